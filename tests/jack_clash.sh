#!/bin/sh
# Two tingleds on one machine: a second one that wants the OSC port or the
# JACK client name of the first says so in one line naming the option to
# change, and exits 1; the first plays on, and no renamed client appears.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd
start_tingled -c "$DATA/two-inputs.conf" --no-connect

# clash WHAT EXPECTED_LINE ARGS...: a second tingled with ARGS must exit 1
# saying EXPECTED_LINE, and nothing about JACK's status bits.
clash() {
	what=$1
	line=$2
	shift 2
	status=0
	"$TINGLED" -S "$JACK_DEFAULT_SERVER" -c "$DATA/two-inputs.conf" --no-connect "$@" \
		>"$TMP/second.out" 2>&1 &
	pid=$!
	wait_exit "$pid" 20 || { kill -KILL "$pid"; fail "$what: the second tingled kept running"; }
	[ "$EXIT_STATUS" -eq 1 ] || fail "$what: exit $EXIT_STATUS, expected 1: $(cat "$TMP/second.out")"
	grep -qxF "tingle: error: $line" "$TMP/second.out" || fail "$what: not said: $(cat "$TMP/second.out")"
	n=$(grep -c "error" "$TMP/second.out" || true)
	[ "$n" -eq 1 ] || fail "$what: $n error lines, expected 1: $(cat "$TMP/second.out")"
	! grep -q "status 0x" "$TMP/second.out" || fail "$what: JACK status bits shown: $(cat "$TMP/second.out")"
	kill -0 "$TINGLED_PID" || fail "$what: the first tingled died"
	pass "$what: exit 1, $line"
}

clash "OSC port in use" \
	"OSC port $OSC_PORT is in use by another program; choose another with -p PORT or [osc] port" \
	-n tingle2 -p "$OSC_PORT"
clash "JACK client name in use" \
	"a JACK client named 'tingle' already runs on this server; choose another name with -n NAME or [jack] name" \
	-p 0

jack_lsp -s "$JACK_DEFAULT_SERVER" >"$TMP/ports.txt"
if grep -v '^tingle:' "$TMP/ports.txt" | grep -q '^tingle'; then
	fail "a renamed tingle client appeared: $(grep '^tingle' "$TMP/ports.txt")"
fi
out=$("$OSC_ASK" "$OSC_PORT" /ping) || fail "the first tingled does not answer OSC"
pass "the first tingled plays on: $out"
