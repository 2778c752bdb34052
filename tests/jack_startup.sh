#!/bin/sh
# Starting up on a private dummy jackd: no patchbay ever sees a port of
# tingled's client before the client is active. A watcher connects to each
# tingle:* port the moment JACK announces it; JACK refuses connections to
# the ports of an inactive client, so every attempt must succeed.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd

"$PROBE" --watch tingle 5 20 >"$TMP/watch.out" 2>"$TMP/watch.log" &
WATCH_PID=$!
i=0
until grep -q '^ready$' "$TMP/watch.out" || [ $i -ge 500 ]; do
	kill -0 "$WATCH_PID" 2>/dev/null || fail "the watcher died: $(cat "$TMP/watch.log")"
	sleep 0.02
	i=$((i + 1))
done
grep -q '^ready$' "$TMP/watch.out" || fail "the watcher did not start"

start_tingled -c "$DATA/two-inputs.conf"
status=0
wait "$WATCH_PID" || status=$?
cat "$TMP/watch.out"
for p in out_L out_R midi_in in_harp in_bowl; do
	grep -qx "port tingle:$p connected" "$TMP/watch.out" ||
		fail "tingle:$p was seen before it could be connected: $(grep "tingle:$p" "$TMP/watch.out") $(cat "$TMP/watch.log")"
done
[ "$status" -eq 0 ] || fail "watcher: exit $status: $(cat "$TMP/watch.log")"
pass "every port of tingle was connectable the moment it appeared"

# The auto-connections were still made.
jack_lsp -s "$JACK_DEFAULT_SERVER" -c >"$TMP/conn.txt"
grep -A3 -x 'tingle:in_harp' "$TMP/conn.txt" | grep -q 'system:capture_1' || fail "in_harp not connected to system:capture_1"
grep -A3 -x 'tingle:out_R' "$TMP/conn.txt" | grep -q 'system:playback_2' || fail "out_R not connected to system:playback_2"
pass "auto-connected"
