#!/bin/sh
# What a network can throw at the OSC port: future-timetagged bundles
# (applied on arrival, never queued: memory stays flat, also from senders
# [osc] allow refuses, which cost nothing beyond reading the datagram),
# floods of malformed datagrams, refused commands and a full engine queue
# (at most one log line per cause per second, with a count and the
# sender), newlines in addresses and names (escaped, no forged log line),
# numbers that do not fit (refused with /error), empty address parts.
# Through the floods a looping tone plays from the source they hammer,
# orbiting: the output stays finite, sounding and below full scale.
. "${top_srcdir:-.}/tests/lib.sh"
ATTACK="$top_builddir/tests/osc_attack"
clicks_setup
# The source the floods aim at orbits, with a looping 400 Hz tone on it.
"$MKWAV" "$TMP/scenes/tone.wav" sine 1 48000 0.3 400
awk '{ print } /^\[source front\]$/ { print "motion = orbit 90" }' "$TMP/scenes/clicks.scene" >"$TMP/s" &&
	mv "$TMP/s" "$TMP/scenes/clicks.scene"
grep -q '^motion = orbit 90$' "$TMP/scenes/clicks.scene" || fail "no [source front] in the clicks scene"
cat >>"$TMP/scenes/clicks.scene" <<EOS
[sound tone]
samples = tone.wav
mode = loop
source = front
EOS
start_jackd
# Under AddressSanitizer freed memory waits in a quarantine that would
# count as growth (even 1 MB of it came to about 2 MB of RSS through the
# floods): none, so what is measured is what is kept.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
export ASAN_OPTIONS
start_tingled -c "$TMP/clicks.conf" --no-connect

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$TINGLED_PID/status"; }
log_lines() { wc -l <"$TMP/tingled.log"; }

# 1. Future bundles: 20,000 of 8 KB, an hour ahead.
"$OSC_ASK" "$OSC_PORT" /ping >/dev/null || fail "no /pong"
before=$(rss)
"$ATTACK" "$OSC_PORT" future-bundles 20000 8192 || fail "could not send"
"$OSC_ASK" "$OSC_PORT" /ping >/dev/null || fail "no /pong after the bundles"
after=$(rss)
echo "RSS before $before kB, after 20000 future bundles of 8 KB $after kB"
expect "$after - $before < 8192" "memory grows by less than 8 MB ($((after - before)) kB)"
out=$("$ATTACK" "$OSC_PORT" bundle-ping) || fail "a /ping bundled a minute ahead got no answer now"
pass "a bundle acts on arrival: $out"

# 2. Floods: malformed datagrams, refused commands, more than the engine
# queue holds.
wait_summary() {
	k=0
	until grep -q "$1" "$TMP/tingled.log" || [ $k -ge 150 ]; do sleep 0.02; k=$((k + 1)); done
	grep -q "$1" "$TMP/tingled.log"
}
# What comes out meanwhile is recorded: during the floods (the recording
# starts just before them) and after them. Not --strict: a lost cycle of
# a loaded machine changes no figure checked here.
"$OSC_ASK" "$OSC_PORT" /trigger s tone -t 0
"$PROBE" --capture tingle:out_L tingle:out_R 2.0 "$TMP/during.wav" --skip 0.1 &
PROBE_PID=$!
sleep 0.5
l0=$(log_lines)
m0=$(rss)
"$ATTACK" "$OSC_PORT" garbage 5000
"$ATTACK" "$OSC_PORT" flood 5000 /no/such/address
"$ATTACK" "$OSC_PORT" flood 100000 /source/front/azimuth
wait_summary "more like this" || fail "no summary line with a count"
# At least 1.2 s: the limiters' second is over, the last summaries are out.
"$PROBE" --capture tingle:out_L tingle:out_R 1.0 "$TMP/after.wav" --skip 0.2 || fail "capture failed"
wait "$PROBE_PID" || fail "capture during the floods failed"
l1=$(log_lines)
echo "lines logged for 5001 malformed datagrams, 5000 refused commands and 100000 commands:"
sed -n "$((l0 + 1)),${l1}p" "$TMP/tingled.log"
expect "$l1 - $l0 <= 12" "at most a few lines per cause ($((l1 - l0)) lines)"
sed -n "$((l0 + 1)),${l1}p" "$TMP/tingled.log" | grep "malformed" | grep -q "127.0.0.1" ||
	fail "malformed datagrams logged without their sender"
sed -n "$((l0 + 1)),${l1}p" "$TMP/tingled.log" | grep -q "[0-9][0-9]* more like this" ||
	fail "no count of the lines held back"
"$OSC_ASK" "$OSC_PORT" /ping >/dev/null || fail "no /pong after the floods"
pass "floods logged once a second per cause, with counts and the sender"
m1=$(rss)
echo "RSS before the floods $m0 kB, after $m1 kB"
expect "$m1 - $m0 < 2048" "memory stays flat through 110001 mixed packets"
for w in during after; do
	[ "$(wavnum "$TMP/$w.wav" finite)" = 1 ] || fail "a sample $w the floods is not a number"
	peak=$(wavnum "$TMP/$w.wav" peak_db)
	echo "$w the floods: peak $peak dBFS, RMS left $(wavnum "$TMP/$w.wav" rms_l_db) dB, right $(wavnum "$TMP/$w.wav" rms_r_db) dB"
	expect "$peak > -40 && $peak <= 0" "$w the floods the orbiting tone sounds, every sample finite ($peak dBFS)"
done

# 3. Log injection: a newline in an address and in a sound name.
sleep 1.1 # a fresh second for the refused-command limiter
"$OSC_ASK" "$OSC_PORT" "$(printf '/x\ntingle: error: forged address')" -t 300 >/dev/null || true
"$OSC_ASK" "$OSC_PORT" /trigger s "$(printf 'click\ntingle: error: forged name')" -t 300 >/dev/null || true
wait_summary 'forged name' || fail "the refused trigger was not logged"
grep -q "^tingle: error: forged" "$TMP/tingled.log" && fail "a log line was forged"
grep 'forged' "$TMP/tingled.log"
grep -q '\\ntingle: error: forged name' "$TMP/tingled.log" || fail "the newline was not shown escaped"
pass "control characters from the network are escaped in the log"

# 4. Numbers that do not fit are refused, not truncated.
out=$("$OSC_ASK" "$OSC_PORT" /master/gain h 4294967290) || fail "no answer to a 64-bit gain"
echo "$out" | grep -q "^/error .*32-bit" || fail "64-bit gain not refused: $out"
pass "h 4294967290 refused: $out"
out=$("$OSC_ASK" "$OSC_PORT" /master/gain h -6) || true
[ -z "$out" ] || fail "a 64-bit -6 that fits was refused: $out"
out=$("$OSC_ASK" "$OSC_PORT" /source/front/azimuth d 1e300) || fail "no answer to a huge double"
echo "$out" | grep -q "^/error .*out of range" || fail "1e300 not refused: $out"
pass "d 1e300 refused: $out"

# 5. Empty parts of an address name nothing.
for path in /trigger/ //trigger; do
	out=$("$OSC_ASK" "$OSC_PORT" "$path" s click) || fail "no answer to $path"
	echo "$out" | grep -q "^/error .*bad address" || fail "$path acted: $out"
	pass "$path refused: $out"
done
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 2.0 || fail "still running"
TINGLED_PID=

# 6. A sender [osc] allow refuses costs nothing.
printf '[osc]\nallow = 10.9.9.9\n' >>"$TMP/clicks.conf"
start_tingled -c "$TMP/clicks.conf" --no-connect
before=$(rss)
l0=$(log_lines)
"$ATTACK" "$OSC_PORT" future-bundles 20000 8192
"$ATTACK" "$OSC_PORT" garbage 2000
"$OSC_ASK" "$OSC_PORT" /ping -t 300 && fail "a refused sender was answered"
after=$(rss)
l1=$(log_lines)
echo "refused sender: RSS before $before kB, after $after kB; $((l1 - l0)) lines logged"
expect "$after - $before < 2048" "memory stays flat for a refused sender ($((after - before)) kB)"
expect "$l1 - $l0 == 0" "nothing logged for a refused sender"
