#!/bin/sh
# SIGTERM ends tingled within a second whatever is loading: scenes that
# take seconds to load (long samples to resample), at start and on a
# reload; and the running scene plays on while a reload loads.
. "${top_srcdir:-.}/tests/lib.sh"
clicks_setup
start_jackd

# A heavy scene: ten sounds, each a 100 s sample at 44.1 kHz to resample.
"$MKWAV" "$TMP/scenes/long.wav" sine 100 44100 0.1 220
{
	printf '[scene]\nfade = 0.1\n[source front]\nazimuth = 0\n'
	for k in 0 1 2 3 4 5 6 7 8 9; do
		printf '[sound s%d]\nsamples = long.wav\nnote = %d\nsource = front\n' "$k" $((40 + k))
	done
} >"$TMP/scenes/heavy.scene"
sed 's/^setlist = clicks/setlist = clicks heavy/' "$TMP/clicks.conf" >"$TMP/heavy.conf"
# At start: the heavy scenes load after the JACK ports are up.
"$TINGLED" -S "$JACK_DEFAULT_SERVER" -p 0 -c "$TMP/heavy.conf" --no-connect >"$TMP/tingled.log" 2>&1 &
TINGLED_PID=$!
"$PROBE" --wait-port tingle:out_R 20 || fail "tingled did not register its ports"
sleep 0.2
grep -q "listening for OSC" "$TMP/tingled.log" && skip "the load was over before SIGTERM could come"
start=$(date +%s.%N)
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 1.0 || fail "SIGTERM while loading at start: still running after 1 s"
took=$(awk "BEGIN { print $(date +%s.%N) - $start }")
[ "$EXIT_STATUS" = 0 ] || fail "SIGTERM while loading at start: exit status $EXIT_STATUS"
TINGLED_PID=
pass "SIGTERM while the first scenes load: exit 0 after $took s"

# On a reload: the clicks scene plays on while the heavy setlist loads.
start_tingled -c "$TMP/clicks.conf" --no-connect
cp "$TMP/heavy.conf" "$TMP/clicks.conf"
kill -HUP "$TINGLED_PID"
sleep 0.2
out=$("$OSC_ASK" "$OSC_PORT" /ping) || fail "no /pong while a reload loads"
"$PROBE" --osc "$OSC_PORT" click --capture tingle:out_L tingle:out_R 1.0 "$TMP/during.wav" >/dev/null ||
	fail "capture failed"
peak=$(wavnum "$TMP/during.wav" peak_db)
expect "$peak > -40" "a click plays while the reload loads (peak $peak dBFS)"
grep -q "reloaded" "$TMP/tingled.log" && skip "the reload was over before SIGTERM could come"
start=$(date +%s.%N)
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 1.0 || fail "SIGTERM during a reload: still running after 1 s"
took=$(awk "BEGIN { print $(date +%s.%N) - $start }")
[ "$EXIT_STATUS" = 0 ] || fail "SIGTERM during a reload: exit status $EXIT_STATUS"
TINGLED_PID=
pass "SIGTERM during a reload: exit 0 after $took s"

# preload = next: the heavy scene loads on the loader thread while the
# first one plays; the main loop never waits for it (feedback flows), and
# a switch to it waits for the load, then happens.
printf '[engine]\nsources = 8\n[scenes]\ndir = %s\nsetlist = clicks heavy\npreload = next\n' "$TMP/scenes" \
	>"$TMP/next.conf"
start_tingled -c "$TMP/next.conf" --no-connect
"$top_builddir/tests/osc_listen" -t 1.5 -o "$TMP/meters.txt" --send "$OSC_PORT" /subscribe
grep -q "scene heavy loaded" "$TMP/tingled.log" && skip "the heavy scene loaded before it could be watched"
meters=$(grep -c '/meter/out' "$TMP/meters.txt" || true)
expect "$meters >= 15" "meters flow while the next scene preloads ($meters in 1.5 s)"
"$OSC_ASK" "$OSC_PORT" /scene/next -t 0
i=0
while ! grep -q "info: scene heavy$" "$TMP/tingled.log" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "info: scene heavy$" "$TMP/tingled.log" || fail "the switch to the preloading scene never came"
pass "a switch to a scene still loading happens once it is loaded"
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 2.0
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
TINGLED_PID=
