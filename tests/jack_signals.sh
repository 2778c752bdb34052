#!/bin/sh
# Daemon manners: SIGHUP reloads the config (an invalid one is refused and
# the running one kept; a valid one adds an input port); every other
# signal whose default is to end a process (SIGUSR1, SIGALRM, a real-time
# signal...) is noted and changes nothing; SIGINT and SIGTERM fade out and
# exit 0 within a second.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd
cp "$DATA/two-inputs.conf" "$TMP/live.conf"
start_tingled -c "$TMP/live.conf" --no-connect

printf '[input piano]\nazimut = 30\n' >>"$TMP/live.conf"
kill -HUP "$TINGLED_PID"
i=0
until grep -q "keeping the running configuration" "$TMP/tingled.log" || [ $i -ge 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
grep -q "live.conf:[0-9]*:.*azimut" "$TMP/tingled.log" || fail "the bad line was not named"
kill -0 "$TINGLED_PID" || fail "tingled died on a bad reload"
out=$("$OSC_ASK" "$OSC_PORT" /ping) || fail "no /pong after a bad reload"
pass "invalid config refused, daemon still running: $(grep 'keeping' "$TMP/tingled.log")"
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.4 "$TMP/after.wav" --skip 0.2 ||
	fail "capture failed"
ild=$(wavnum "$TMP/after.wav" ild_db)
expect "$ild >= 6" "still playing the old configuration"

cp "$DATA/two-inputs.conf" "$TMP/live.conf"
printf '[input voice]\nazimuth = front\ndistance = 0.3\n' >>"$TMP/live.conf"
kill -HUP "$TINGLED_PID"
"$PROBE" --wait-port tingle:in_voice 5 || fail "reload did not add in_voice"
pass "reload added tingle:in_voice"
out=$("$OSC_ASK" "$OSC_PORT" /input/voice/gain f -3 -t 300) && fail "voice gain refused: $out"
pass "the new input takes OSC commands"

# Signals that would end a process by default: noted, nothing lost.
# Many of them, so that some land while JACK's threads wait on the
# server: none may cut tingled off from it.
n=0
while [ $n -lt 25 ]; do
	for sig in USR1 USR2 ALRM VTALRM PROF IO PWR XCPU XFSZ; do
		kill -s "$sig" "$TINGLED_PID" || fail "kill -s $sig"
	done
	# SIGSTKFLT (16) and a real-time signal (SIGRTMIN + 2), by number.
	kill -16 "$TINGLED_PID" || fail "kill -16"
	kill -36 "$TINGLED_PID" || fail "kill -36"
	sleep 0.01
	n=$((n + 1))
done
i=0
until grep -q "ignored: SIGHUP reloads" "$TMP/tingled.log" || [ $i -ge 100 ]; do
	sleep 0.02
	i=$((i + 1))
done
kill -0 "$TINGLED_PID" || fail "a signal ended tingled: $(tail -n 3 "$TMP/tingled.log")"
out=$("$OSC_ASK" "$OSC_PORT" /ping) || fail "no /pong after the signals"
grep -q "signal [0-9]* (.*) ignored: SIGHUP reloads, SIGTERM or SIGINT stops" "$TMP/tingled.log" ||
	fail "the signals were not noted"
grep -q "JACK server went away" "$TMP/tingled.log" && fail "a signal cut tingled off from JACK: $(grep -B2 'went away' "$TMP/tingled.log")"
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.4 "$TMP/signals.wav" --skip 0.2 ||
	fail "capture failed"
ild=$(wavnum "$TMP/signals.wav" ild_db)
expect "$ild >= 6" "after 25 rounds of SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGXCPU, SIGXFSZ, SIGSTKFLT and a real-time signal, tingled plays on, still on its JACK server"

start=$(date +%s.%N)
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 1.0 || fail "SIGTERM: still running after 1 s"
took=$(awk "BEGIN { print $(date +%s.%N) - $start }")
[ "$EXIT_STATUS" = 0 ] || fail "SIGTERM: exit status $EXIT_STATUS"
grep -q "stopped" "$TMP/tingled.log" || fail "no clean stop logged"
pass "SIGTERM: exit 0 after $took s"
TINGLED_PID=

start_tingled -c "$DATA/two-inputs.conf" --no-connect
kill -INT "$TINGLED_PID"
wait_exit "$TINGLED_PID" 1.0 || fail "SIGINT: still running after 1 s"
[ "$EXIT_STATUS" = 0 ] || fail "SIGINT: exit status $EXIT_STATUS"
pass "SIGINT: exit 0"
TINGLED_PID=
