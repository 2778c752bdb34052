#!/bin/sh
# What a network can throw at the OSC port: future-timetagged bundles
# (applied on arrival, never queued: memory stays flat, also from senders
# [osc] allow refuses, which cost nothing beyond reading the datagram),
# floods of malformed datagrams, refused commands and a full engine queue
# (at most one log line per cause per second, with a count and the
# sender), newlines in addresses and names (escaped, no forged log line),
# numbers that do not fit (refused with /error), empty address parts.
. "${top_srcdir:-.}/tests/lib.sh"
ATTACK="$top_builddir/tests/osc_attack"
clicks_setup
start_jackd
# Under AddressSanitizer freed memory waits in a quarantine that would
# count as growth: keep it small, so what is measured is what is kept.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1:thread_local_quarantine_size_kb=64"
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
l0=$(log_lines)
m0=$(rss)
"$ATTACK" "$OSC_PORT" garbage 5000
"$ATTACK" "$OSC_PORT" flood 5000 /no/such/address
"$ATTACK" "$OSC_PORT" flood 100000 /source/front/azimuth
wait_summary "more like this" || fail "no summary line with a count"
sleep 1.2 # the limiters' second is over: the last summaries are out
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
