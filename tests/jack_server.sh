#!/bin/sh
# tingled and its JACK server: a new buffer size is taken over and the
# inputs still sound in place; when the server goes away tingled keeps
# running and comes back, with its state, when the server returns.
. "${top_srcdir:-.}/tests/lib.sh"
command -v jack_bufsize >/dev/null 2>&1 || skip "jack_bufsize not installed"
start_jackd
start_tingled -c "$DATA/two-inputs.conf" --no-connect

# The same tone before and after the change must sound the same.
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/b128.wav" --skip 0.3 ||
	fail "capture failed"
r128=$(wavnum "$TMP/b128.wav" rms_r_db)
l128=$(wavnum "$TMP/b128.wav" rms_l_db)
jack_bufsize 512 >/dev/null 2>&1 || fail "jack_bufsize failed"
i=0
until grep -q "block size now 512" "$TMP/tingled.log" || [ $i -ge 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
grep -q "block size now 512" "$TMP/tingled.log" || fail "tingled did not take the new block size"
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/b512.wav" --skip 0.3 ||
	fail "capture failed"
ild=$(wavnum "$TMP/b512.wav" ild_db)
rms=$(wavnum "$TMP/b512.wav" rms_r_db)
expect "$rms > -30 && $ild >= 6" "block 512: the harp still sounds to the right"
l512=$(wavnum "$TMP/b512.wav" rms_l_db)
expect "$rms - $r128 < 0.3 && $r128 - $rms < 0.3 && $l512 - $l128 < 0.3 && $l128 - $l512 < 0.3" \
	"block 512 sounds as block 128 did (right $r128 -> $rms, left $l128 -> $l512 dB)"

# The harp moves left, then the server goes away and comes back.
"$OSC_ASK" "$OSC_PORT" /source/harp/azimuth f 90 -t 0
kill -TERM "$JACKD_PID"
wait "$JACKD_PID" 2>/dev/null || true
JACKD_PID=
i=0
until grep -q "JACK server went away" "$TMP/tingled.log" || [ $i -ge 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
grep -q "JACK server went away" "$TMP/tingled.log" || fail "the loss was not noticed"
kill -0 "$TINGLED_PID" || fail "tingled died with its server"
out=$("$OSC_ASK" "$OSC_PORT" /ping) || fail "no /pong without a server"
pass "server gone: tingled still answers OSC"

"${JACKD:-jackd}" --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 128 >"$TMP/jackd2.log" 2>&1 &
JACKD_PID=$!
jack_wait -w -s "$JACK_DEFAULT_SERVER" -t 15 >/dev/null 2>&1 || fail "jackd did not come back"
"$PROBE" --wait-port tingle:in_harp 10 || fail "tingled did not reconnect"
pass "tingled reconnected: $(grep reconnected "$TMP/tingled.log")"
"$PROBE" --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 0.5 "$TMP/back.wav" --skip 0.3 ||
	fail "capture failed"
ild=$(wavnum "$TMP/back.wav" ild_db)
expect "$ild <= -6" "the harp is where OSC put it before the server went away"
