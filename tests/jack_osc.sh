#!/bin/sh
# Real OSC packets over UDP to a running tingled: /ping is answered /pong,
# bad messages are answered /error and the daemon keeps running, and
# /source/NAME/azimuth and /input/NAME/mute change what is heard.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd
start_tingled -c "$DATA/two-inputs.conf" --no-connect

out=$("$OSC_ASK" "$OSC_PORT" /ping) || fail "no answer to /ping"
[ "$out" = "/pong " ] || fail "/ping answered '$out'"
pass "/ping answered /pong"

out=$("$OSC_ASK" "$OSC_PORT" /no/such/thing f 1) || fail "no answer to a bad address"
case "$out" in "/error s unknown address /no/such/thing"*) pass "unknown address: $out" ;; *) fail "got '$out'" ;; esac
out=$("$OSC_ASK" "$OSC_PORT" /input/harp/gain s loud) || fail "no answer to a bad argument"
case "$out" in "/error s /input/harp/gain: expected one number"*) pass "wrong type: $out" ;; *) fail "got '$out'" ;; esac
out=$("$OSC_ASK" "$OSC_PORT" /input/cello/mute i 1) || fail "no answer to an unknown input"
case "$out" in *"no input named 'cello'"*) pass "unknown input: $out" ;; *) fail "got '$out'" ;; esac
grep -q "OSC from 127.0.0.1:[0-9]*: unknown address /no/such/thing" "$TMP/tingled.log" ||
	fail "the refusal was not logged with its sender"
pass "refusals logged with the sender"
kill -0 "$TINGLED_PID" || fail "tingled died"

# Good commands are not answered.
if "$OSC_ASK" "$OSC_PORT" /source/harp/azimuth f 90 -t 300 >/dev/null; then
	fail "a good command was answered"
fi
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/left.wav" --skip 0.3 ||
	fail "capture failed"
ild=$(wavnum "$TMP/left.wav" ild_db)
expect "$ild <= -6" "/source/harp/azimuth 90 moved the harp to the left"

"$OSC_ASK" "$OSC_PORT" /source/harp/position fff -90 0 1 -t 0
"$OSC_ASK" "$OSC_PORT" /input/harp/gain f -20 -t 0
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/soft.wav" --skip 0.3 ||
	fail "capture failed"
ild=$(wavnum "$TMP/soft.wav" ild_db)
soft=$(wavnum "$TMP/soft.wav" rms_r_db)
expect "$ild >= 6" "/source/harp/position moved it back to the right"

"$OSC_ASK" "$OSC_PORT" /input/harp/gain i 0 -t 0
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/loud.wav" --skip 0.3 ||
	fail "capture failed"
loud=$(wavnum "$TMP/loud.wav" rms_r_db)
expect "$loud - $soft > 19 && $loud - $soft < 21" "/input/harp/gain: 20 dB apart"

"$OSC_ASK" "$OSC_PORT" /input/harp/mute i 1 -t 0
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/muted.wav" --skip 0.3 ||
	fail "capture failed"
peak=$(wavnum "$TMP/muted.wav" peak_db)
expect "$peak < -100" "/input/harp/mute 1 silences it"

"$OSC_ASK" "$OSC_PORT" /input/harp/mute f 0 -t 0
"$OSC_ASK" "$OSC_PORT" /master/gain f -6 -t 0
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/master.wav" --skip 0.3 ||
	fail "capture failed"
m=$(wavnum "$TMP/master.wav" rms_r_db)
expect "$loud - $m > 5.5 && $loud - $m < 6.5" "/master/gain -6 is 6 dB down"
