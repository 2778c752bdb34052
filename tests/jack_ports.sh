#!/bin/sh
# On a private dummy jackd: tingled registers the ports DESIGN names
# (out_L, out_R, midi_in, in_NAME per input) and connects each input to its
# capture port and the outputs to the first two playback ports; each port
# has a pretty name (JACK metadata) for patchbays.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd
start_tingled -c "$DATA/two-inputs.conf"

jack_lsp -s "$JACK_DEFAULT_SERVER" -t >"$TMP/ports.txt"
for p in out_L out_R midi_in in_harp in_bowl; do
	grep -qx "tingle:$p" "$TMP/ports.txt" || fail "no port tingle:$p"
	pass "port tingle:$p"
done
grep -A1 -x 'tingle:midi_in' "$TMP/ports.txt" | grep -q midi || fail "midi_in is not a MIDI port"
grep -A1 -x 'tingle:out_L' "$TMP/ports.txt" | grep -q 'audio' || fail "out_L is not an audio port"
n=$(grep -c '^tingle:' "$TMP/ports.txt")
[ "$n" -eq 5 ] || fail "expected 5 tingle ports, found $n"

jack_lsp -s "$JACK_DEFAULT_SERVER" -c >"$TMP/conn.txt"
grep -A3 -x 'tingle:in_harp' "$TMP/conn.txt" | grep -q 'system:capture_1' || fail "in_harp not connected to system:capture_1"
grep -A3 -x 'tingle:in_bowl' "$TMP/conn.txt" | grep -q 'system:capture_2' || fail "in_bowl not connected to system:capture_2"
grep -A3 -x 'tingle:out_L' "$TMP/conn.txt" | grep -q 'system:playback_1' || fail "out_L not connected to system:playback_1"
grep -A3 -x 'tingle:out_R' "$TMP/conn.txt" | grep -q 'system:playback_2' || fail "out_R not connected to system:playback_2"
pass "auto-connected"

# Pretty names (JACK metadata) for patchbays.
if command -v jack_property >/dev/null 2>&1; then
	for pn in "out_L:Headphones left" "out_R:Headphones right" "in_harp:harp (live input)" \
		"in_bowl:bowl (live input)" "midi_in:MIDI in"; do
		port=${pn%%:*}
		want=${pn#*:}
		jack_property -p -l "tingle:$port" http://jackaudio.org/metadata/pretty-name >"$TMP/pretty.txt" 2>&1 ||
			fail "no pretty name for tingle:$port: $(cat "$TMP/pretty.txt")"
		grep -qF "$want" "$TMP/pretty.txt" || fail "tingle:$port is '$(cat "$TMP/pretty.txt")', not '$want'"
		pass "tingle:$port shows as '$want'"
	done
fi
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 2 || fail "tingled did not stop"

# --no-connect and --name: nothing connected, ports under the new name.
TINGLE_NAME=tingle2
export TINGLE_NAME
start_tingled -c "$DATA/two-inputs.conf" --no-connect -n tingle2
jack_lsp -s "$JACK_DEFAULT_SERVER" -c >"$TMP/conn2.txt"
grep -q -x 'tingle2:in_harp' "$TMP/conn2.txt" || fail "no port tingle2:in_harp"
if grep -A1 -x 'tingle2:in_harp' "$TMP/conn2.txt" | grep -q 'system:'; then
	fail "--no-connect still connected in_harp"
fi
if grep -A1 -x 'tingle2:out_L' "$TMP/conn2.txt" | grep -q 'system:'; then
	fail "--no-connect still connected out_L"
fi
pass "--no-connect connects nothing"
