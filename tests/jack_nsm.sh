#!/bin/sh
# Under a session manager (a small NSM server of the test suite): tingled
# announces, opens the session it is given (JACK client named by the
# client id, state under the session path), says when it has unsaved
# changes, saves on request, and a new start in the same session plays
# what was saved: scene, places, gains and a binding learned with /learn.
# Nobody but the manager is obeyed: an open or a save from another socket
# on the machine is ignored.
. "${top_srcdir:-.}/tests/lib.sh"
clicks_setup
start_jackd
NSM="$top_builddir/tests/nsm_server"
LISTEN="$top_builddir/tests/osc_listen"
MIDI_SEND="$top_builddir/tests/midi_send"

cp "$TMP/scenes/clicks.scene" "$TMP/scenes/second.scene"
sed -i 's/^setlist = clicks/setlist = clicks second/' "$TMP/clicks.conf"

# The manager opens the session a second after the announce: time for a
# stranger to try first.
NSM_OPEN_DELAY_MS=1500 "$NSM" "$TMP/nsm.log" "$TMP/session/tingle.nTEST" nTEST &
NSM_PID=$!
i=0
while ! grep -q '^url' "$TMP/nsm.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
NSM_URL=$(sed -n 's/^url //p' "$TMP/nsm.log")
[ -n "$NSM_URL" ] || fail "the NSM server did not start"
export NSM_URL
mkdir -p "$TMP/session"

# wait_for FILE PATTERN: until a line matches (10 s)
wait_for() {
	i=0
	while ! grep -q "$2" "$1" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	grep -q "$2" "$1" || fail "never saw '$2' in $1: $(cat "$1")"
}

TINGLE_NAME=nTEST
export TINGLE_NAME
# A stranger, between the announce and the manager's open: another
# session folder, another name, and a save.
(
	wait_for "$TMP/nsm.log" '^client '
	nsm_port=$(sed -n 's/^client //p' "$TMP/nsm.log" | tail -n 1)
	"$OSC_ASK" "$nsm_port" /nsm/client/open sss "$TMP/evil" evil nEVIL -t 0
	"$OSC_ASK" "$nsm_port" /nsm/client/save -t 0
) &
STRANGER_PID=$!
start_tingled -c "$TMP/clicks.conf" --no-connect
wait "$STRANGER_PID"
nsm_port=$(sed -n 's/^client //p' "$TMP/nsm.log" | tail -n 1)
wait_for "$TMP/nsm.log" '^reply /nsm/client/open ok'
grep -q '^announce tingle :dirty: tingled 1 1 ' "$TMP/nsm.log" || fail "announce: $(grep announce "$TMP/nsm.log")"
[ ! -e "$TMP/evil" ] || fail "a stranger's /nsm/client/open made $TMP/evil"
jack_lsp 2>/dev/null | grep -q '^nEVIL:' && fail "a stranger's /nsm/client/open named the JACK client"
grep -q '/nsm/client/open from .* ignored: not the manager' "$TMP/tingled.log" ||
	fail "the stranger's open was not reported: $(cat "$TMP/tingled.log")"
pass "announced with :dirty:, opened by the manager only (a stranger's open and save ignored); JACK client nTEST:out_R exists"

# After the open, a stranger's save is ignored: nothing is written.
"$OSC_ASK" "$nsm_port" /nsm/client/save -t 0
sleep 0.3
[ ! -e "$TMP/session/tingle.nTEST/state.ini" ] || fail "a stranger's /nsm/client/save wrote the state"
grep -q 'reply /nsm/client/save' "$TMP/nsm.log" && fail "a stranger's save was answered to the manager"
pass "a stranger's /nsm/client/save after the open writes nothing"

# Changes: another scene, a place, the harp's gain, a learned binding.
"$OSC_ASK" "$OSC_PORT" /scene s second -t 0
wait_for "$TMP/tingled.log" 'info: scene second$'
"$OSC_ASK" "$OSC_PORT" /source/front/position fff 45 10 0.5 -t 0
"$OSC_ASK" "$OSC_PORT" /input/harp/gain f -12 -t 0
out=$("$LISTEN" -t 1.5 --send "$OSC_PORT" /learn s "scene prev" &
	sleep 0.3; "$MIDI_SEND" nTEST:midi_in "0.05:b2 15 7f" "0.2:b2 15 00"; wait)
echo "$out" | grep -q '/learned s midi cc 21 channel 3 = scene prev' || fail "nothing learned: $out"
wait_for "$TMP/nsm.log" '^dirty'
pass "unsaved changes are said (is_dirty)"

kill -USR1 "$NSM_PID"
wait_for "$TMP/nsm.log" '^reply /nsm/client/save'
wait_for "$TMP/nsm.log" '^clean'
state="$TMP/session/tingle.nTEST/state.ini"
[ -f "$state" ] || fail "no state file"
grep -q '^scene = second' "$state" || fail "state: $(cat "$state")"
pass "saved to the session path, then clean"

kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 5
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
TINGLED_PID=

# Reopen: what was saved plays again.
start_tingled -c "$TMP/clicks.conf" --no-connect
wait_for "$TMP/nsm.log" '^reply /nsm/client/open ok'
"$LISTEN" -t 1 -o "$TMP/state.txt" --send "$OSC_PORT" /state
grep -q '/scene/name s second' "$TMP/state.txt" || fail "reopened on another scene: $(cat "$TMP/state.txt")"
grep -q '/source/front/position fff 45 10 0.5' "$TMP/state.txt" || fail "place lost: $(grep position "$TMP/state.txt")"
grep -q '/input/harp/gain f -12' "$TMP/state.txt" || fail "gain lost: $(grep gain "$TMP/state.txt")"
"$MIDI_SEND" nTEST:midi_in "0.05:b2 15 7f" "0.2:b2 15 00"
wait_for "$TMP/tingled.log" 'info: scene clicks$'
pass "reopened: scene second, front at 45/10/0.5, harp at -12 dB, and the learned pedal goes back a scene"
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 5
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
TINGLED_PID=
kill "$NSM_PID" 2>/dev/null || true
