#!/bin/sh
# tools/run-demo on a machine without a sound card, with no controller:
# on a JACK server that runs (a private dummy one), it plays the tour of the
# demo scenes on tingle:out_L/out_R within 30 s of starting, tingled prints
# each tour event, out_L/out_R go to the playback ports and no capture
# port is connected to the live inputs; with no server running and
# --dummy, it starts a dummy server of its own and renders the tour to a
# WAV file; with no server running and a process named pipewire that is
# not this user's PipeWire, it says so in one line and falls back to a
# dummy server (exit 0); with this user's PipeWire answering (a private
# one, where PipeWire and pw-jack are installed), it plays through pw-jack.
# run-demo uses this build (--bin), so nothing is built here.
. "${top_srcdir:-.}/tests/lib.sh"
DEMO_PID=
stop_demo() {
	if [ -n "$DEMO_PID" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
		kill -TERM "$DEMO_PID" 2>/dev/null || true
		wait_exit "$DEMO_PID" 5 || kill -KILL "$DEMO_PID" 2>/dev/null || true
	fi
	DEMO_PID=
}
trap 'st=$?; stop_demo; (exit $st); cleanup' EXIT

# run_demo LOG ARGS...: run-demo in the background, its tingled on an
# ephemeral OSC port.
run_demo() {
	log=$1
	shift
	TINGLE_DEMO_DIR="$TMP/demo" sh "$top_srcdir/tools/run-demo" --bin "$top_builddir" "$@" -- -p 0 \
		>"$log" 2>&1 &
	DEMO_PID=$!
}

# ---- tingled --tour: the tour is checked with --check; a bad tour file
# is refused with its file and line, before JACK is contacted.
sed "s|^dir =\$|dir = $top_srcdir/scenes|" "$top_srcdir/config/tingled.conf" >"$TMP/shipped.conf"
"$TINGLED" --check -c "$TMP/shipped.conf" --tour "$top_srcdir/scenes/tour.events" >"$TMP/check.out" 2>&1 ||
	fail "--check --tour refused the tour: $(cat "$TMP/check.out")"
grep -q "^tour: .*tour.events: [0-9]* events over [0-9.]* s$" "$TMP/check.out" ||
	fail "--check did not describe the tour: $(cat "$TMP/check.out")"
pass "$(grep '^tour:' "$TMP/check.out")"
printf '0 /trigger tap\nsoon /trigger tap\n' >"$TMP/bad.events"
status=0
"$TINGLED" -c "$TMP/shipped.conf" -S "no-such-server-$$" --tour "$TMP/bad.events" >"$TMP/bad.out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "a bad tour file: exit $status, expected 2: $(cat "$TMP/bad.out")"
grep -q "bad.events:2:" "$TMP/bad.out" || fail "the bad line was not named: $(cat "$TMP/bad.out")"
pass "a bad tour file is refused: $(tail -n 1 "$TMP/bad.out")"

# ---- a server runs: run-demo plays on it
start_jackd
t0=$(date +%s)
run_demo "$TMP/demo.log"
"$PROBE" --wait-port tingle:out_R 20 || fail "no tingle:out_R within 20 s: $(cat "$TMP/demo.log")"
grep -q "run-demo: playing through the JACK server that runs ($JACK_DEFAULT_SERVER)" "$TMP/demo.log" ||
	fail "run-demo did not take the JACK server that runs: $(cat "$TMP/demo.log")"
pass "run-demo plays through the JACK server that runs"
"$PROBE" --capture tingle:out_L tingle:out_R 8 "$TMP/tour.wav" --skip 0 >/dev/null ||
	fail "capture failed"
elapsed=$(($(date +%s) - t0))
peak=$(wavnum "$TMP/tour.wav" peak_db)
echo "tour: peak $peak dBFS in the first 8 s recorded, $elapsed s after run-demo started"
expect "$peak > -60" "the tour sounds on tingle:out_L/out_R with no controller"
expect "$elapsed <= 30" "within 30 s of starting run-demo"
grep -q "tour [0-9.]* s: /trigger tap" "$TMP/demo.log" ||
	fail "tingled did not print the tour's events: $(cat "$TMP/demo.log")"
pass "tingled prints the tour's events: $(grep -m 1 'tour [0-9.]* s: /trigger tap' "$TMP/demo.log")"
grep -q "warning: tour" "$TMP/demo.log" && fail "a tour event was refused: $(grep 'warning: tour' "$TMP/demo.log")"
# The example it gives is a sound of the scene the tour ends on.
grep -q "then play tingle over OSC (UDP 0: oscsend localhost 0 /trigger s tap, a sound of wood-and-rain)" \
	"$TMP/demo.log" || fail "run-demo's OSC example is not wood-and-rain's tap: $(grep oscsend "$TMP/demo.log")"
pass "the OSC example after the tour: /trigger s tap, a sound of wood-and-rain"

# The outputs go to the playback ports; the live inputs to nothing.
conns=$(jack_lsp -s "$JACK_DEFAULT_SERVER" -c 2>/dev/null)
echo "$conns" | awk '/^tingle:out_L$/ { f = 1; next } /^[^ ]/ { f = 0 } f && /system:playback_1/ { ok = 1 } END { exit !ok }' ||
	fail "tingle:out_L is not connected to system:playback_1: $conns"
echo "$conns" | awk '/^tingle:in_/ { f = 1; next } /^[^ ]/ { f = 0 } f && /capture/ { bad = 1 } END { exit bad }' ||
	fail "a capture port is connected to a live input: $conns"
pass "out_L/out_R go to the playback ports, no capture port to the live inputs"
grep -q "^port =$" "$TMP/demo/demo.conf" || fail "the demo config keeps the capture ports"
stop_demo
grep -q "stopped" "$TMP/demo.log" || fail "tingled did not stop: $(tail -n 5 "$TMP/demo.log")"

# With --inputs, the inputs go to the capture ports (the dummy server's);
# with no tour and -s, the OSC example is a sound of that scene.
run_demo "$TMP/inputs.log" --inputs --no-tour -s whisper-circle
"$PROBE" --wait-port tingle:in_bowl 20 || fail "no tingle:in_bowl: $(cat "$TMP/inputs.log")"
i=0
until jack_lsp -s "$JACK_DEFAULT_SERVER" -c 2>/dev/null | grep -A1 "^tingle:in_harp" | grep -q "capture_1" ||
	[ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
jack_lsp -s "$JACK_DEFAULT_SERVER" -c 2>/dev/null | grep -A1 "^tingle:in_harp" | grep -q "system:capture_1" ||
	fail "--inputs did not connect the harp: $(jack_lsp -s "$JACK_DEFAULT_SERVER" -c)"
grep -q "tour" "$TMP/inputs.log" && fail "--no-tour played the tour"
grep -q "oscsend localhost 0 /trigger s shush, a sound of whisper-circle" "$TMP/inputs.log" ||
	fail "the OSC example is not a sound of whisper-circle: $(grep oscsend "$TMP/inputs.log")"
pass "--inputs connects the live inputs, --no-tour plays no tour, -s whisper-circle: /trigger s shush"
stop_demo

# ---- no server runs, no sound card (--dummy stands for one missing):
# run-demo starts a dummy server of its own, says so, writes the WAV.
kill -TERM "$JACKD_PID"
wait "$JACKD_PID" 2>/dev/null || true
JACKD_PID=
JACK_DEFAULT_SERVER="tingle-demo-$$-${RANDOM:-0}"
export JACK_DEFAULT_SERVER
run_demo "$TMP/dummy.log" --dummy
jack_wait -w -s "$JACK_DEFAULT_SERVER" -t 20 >/dev/null 2>&1 ||
	fail "run-demo started no JACK server: $(cat "$TMP/dummy.log")"
"$PROBE" --wait-port tingle:out_R 30 || fail "no tingle:out_R on run-demo's own server: $(cat "$TMP/dummy.log")"
grep -q "starting jackd .*dummy" "$TMP/dummy.log" || fail "run-demo did not start a dummy server"
grep -q "listen to the tour in $TMP/demo/tour.wav" "$TMP/dummy.log" ||
	fail "run-demo did not say where the tour's WAV is: $(cat "$TMP/dummy.log")"
"$PROBE" --capture tingle:out_L tingle:out_R 3 "$TMP/dummy.wav" --skip 0 >/dev/null || fail "capture failed"
expect "$(wavnum "$TMP/dummy.wav" peak_db) > -60" "the tour plays on run-demo's own dummy server"
expect "$(wavnum "$TMP/demo/tour.wav" peak_db) > -30" "the tour's WAV has the tour in it"
expect "$(wavnum "$TMP/demo/tour.wav" frames) >= 60 * 48000" "the tour lasts more than a minute"
stop_demo
jack_wait -c -s "$JACK_DEFAULT_SERVER" 2>/dev/null | grep -q "^running" &&
	fail "run-demo left its JACK server running"
pass "run-demo stops the JACK server it started"

# ---- no server runs, and a process named pipewire runs that is not this
# user's PipeWire (another user's, another session's: here a sleep under
# that name), with no PipeWire socket in this XDG_RUNTIME_DIR: run-demo
# must not take PipeWire for usable. It says why in one line and falls
# back, here (no sound card) to a dummy server of its own, and exits 0
# when stopped.
if grep -q '^ *[0-9]' /proc/asound/cards 2>/dev/null; then
	echo "note: this machine has a sound card; the PipeWire fall-back cases need none, skipped"
	exit 0
fi
FAKE_PW=
PW_PID=
stop_pw() {
	for p in $FAKE_PW $PW_PID; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	FAKE_PW=
	PW_PID=
}
trap 'st=$?; stop_demo; stop_pw; (exit $st); cleanup' EXIT
mkdir -p "$TMP/fakebin" "$TMP/run"
chmod 700 "$TMP/run"
ln -s "$(command -v sleep)" "$TMP/fakebin/pipewire"
"$TMP/fakebin/pipewire" 120 &
FAKE_PW=$!
pgrep -x pipewire >/dev/null || fail "the stand-in is not seen as a process named pipewire"
JACK_DEFAULT_SERVER="tingle-demo-pw-$$-${RANDOM:-0}"
XDG_RUNTIME_DIR=$TMP/run PIPEWIRE_RUNTIME_DIR=$TMP/run
export JACK_DEFAULT_SERVER XDG_RUNTIME_DIR PIPEWIRE_RUNTIME_DIR
run_demo "$TMP/fakepw.log" --no-tour
jack_wait -w -s "$JACK_DEFAULT_SERVER" -t 30 >/dev/null 2>&1 ||
	fail "run-demo did not fall back to a JACK server of its own: $(cat "$TMP/fakepw.log")"
"$PROBE" --wait-port tingle:out_R 30 || fail "no tingle:out_R on run-demo's own server: $(cat "$TMP/fakepw.log")"
grep -q "playing through PipeWire" "$TMP/fakepw.log" &&
	fail "run-demo took the stand-in for PipeWire: $(cat "$TMP/fakepw.log")"
why=$(grep "this user's PipeWire does not answer\|without pw-jack" "$TMP/fakepw.log") ||
	fail "run-demo did not say why it does not use PipeWire: $(cat "$TMP/fakepw.log")"
[ "$(echo "$why" | wc -l)" -eq 1 ] || fail "more than one line about PipeWire: $why"
echo "$why" | grep -q "falling back to a silent dummy JACK server" ||
	fail "the line does not say what run-demo falls back to: $why"
grep -q "starting jackd .*dummy" "$TMP/fakepw.log" || fail "run-demo started no dummy server"
kill -TERM "$DEMO_PID"
st=0
wait "$DEMO_PID" || st=$?
DEMO_PID=
[ "$st" -eq 0 ] || fail "run-demo exited $st after the fall-back: $(tail -n 5 "$TMP/fakepw.log")"
pass "another session's pipewire process is not taken for this user's PipeWire: $why; exit 0"
stop_pw

# ---- this user's PipeWire answers (one of the test's own, in its private
# XDG_RUNTIME_DIR; run only where PipeWire and pw-jack are installed):
# run-demo plays through pw-jack.
if ! command -v pipewire >/dev/null 2>&1 || ! command -v pw-jack >/dev/null 2>&1; then
	echo "note: pipewire or pw-jack not installed: the case of a PipeWire that answers is skipped"
	exit 0
fi
pipewire >"$TMP/pipewire.log" 2>&1 &
PW_PID=$!
i=0
until [ -S "$TMP/run/pipewire-0" ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$TMP/run/pipewire-0" ] || fail "the test's PipeWire did not start: $(tail -n 5 "$TMP/pipewire.log")"
run_demo "$TMP/pw.log" --no-tour
i=0
until pw-jack jack_lsp 2>/dev/null | grep -q "^tingle:out_R$" || [ $i -ge 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
pw-jack jack_lsp 2>/dev/null | grep -q "^tingle:out_R$" ||
	fail "no tingle:out_R on PipeWire: $(cat "$TMP/pw.log")"
grep -q "run-demo: playing through PipeWire's JACK (pw-jack)" "$TMP/pw.log" ||
	fail "run-demo did not say it plays through PipeWire: $(cat "$TMP/pw.log")"
grep -q "starting jackd" "$TMP/pw.log" && fail "run-demo started jackd beside PipeWire"
stop_demo
pass "this user's PipeWire answers: run-demo plays through pw-jack"
