#!/bin/sh
# Feedback cannot be turned against anybody, nor against tingled: an
# address that did not ask (a forged sender) gets one small /token, never
# a stream; /state answers an unconfirmed sender with no more than it
# asked; a subscription needs its token, ends unless renewed, is capped per
# host and ends when its port closes; tingled never subscribes itself, and
# a peer that sends every message back (a loop) is not a flood.
. "${top_srcdir:-.}/tests/lib.sh"
clicks_setup
start_jackd
PEER="$top_builddir/tests/osc_peer"

# The echo peer is an [osc] feedback target: everything tingled sends it
# comes straight back from where feedback goes.
"$PEER" echo "$TMP/echo.port" 6 >"$TMP/echo.txt" &
ECHO_PID=$!
i=0
while [ ! -s "$TMP/echo.port" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
ECHO_PORT=$(cat "$TMP/echo.port")
cat >>"$TMP/clicks.conf" <<EOC
[osc]
subscription = 2
feedback = 127.0.0.1:$ECHO_PORT
EOC
start_tingled -c "$TMP/clicks.conf" --no-connect -v

# A loop attempt: changes whose feedback the peer sends back as commands,
# an unknown address (its /error comes back too), a ping.
for k in 1 2 3 4 5; do
	"$OSC_ASK" "$OSC_PORT" /source/front/position fff "$k" 0 1 -t 0
	"$OSC_ASK" "$OSC_PORT" /input/harp/gain f "-$k" -t 0
	"$OSC_ASK" "$OSC_PORT" /master/gain f "-$k" -t 0
	"$OSC_ASK" "$OSC_PORT" /no/such/thing -t 0
	"$OSC_ASK" "$OSC_PORT" /hold f 1 -t 0
done
wait "$ECHO_PID"
cat "$TMP/echo.txt"
rate=$(sed -n 's/.*datagrams=\([0-9]*\).*seconds=\([0-9.]*\).*/\1 \2/p' "$TMP/echo.txt" | awk '{ printf "%.1f", $1 / $2 }')
echo "loop attempt: $rate datagrams/s to the echoing peer"
expect "$rate > 5 && $rate < 200" "a peer echoing feedback gets the feedback (meters, changes) and no flood"
kill -0 "$TINGLED_PID" || fail "tingled died"
out=$("$OSC_ASK" "$OSC_PORT" /ping -t 1000) || fail "no /pong after the loop attempt"

# /state from an address that has not shown it receives: a /token only.
"$PEER" probe "$OSC_PORT" state >"$TMP/state.txt"
cat "$TMP/state.txt"
v() { sed -n "s/^$1=//p" "$2"; }
expect "$(v state_out "$TMP/state.txt") <= 2 * $(v state_in "$TMP/state.txt")" \
	"/state unconfirmed: no more than twice the question ($(v state_out "$TMP/state.txt") bytes for $(v state_in "$TMP/state.txt"))"
expect "$(v state_whole "$TMP/state.txt") == 0" "no state to an unconfirmed /state"
expect "$(v token_state_whole "$TMP/state.txt") == 1 && $(v token_state_out "$TMP/state.txt") > 200" \
	"/state with its token: the whole state ($(v token_state_out "$TMP/state.txt") bytes)"
expect "$(v wrong_token_whole "$TMP/state.txt") == 0" "/state with a wrong token: no state"

# Reflection: /subscribe for somebody else's port, a hundred times.
"$PEER" probe "$OSC_PORT" reflect >"$TMP/reflect.txt"
cat "$TMP/reflect.txt"
expect "$(v reflect_out "$TMP/reflect.txt") <= $(v reflect_in "$TMP/reflect.txt") / 10" \
	"100 forged /subscribe: the victim gets $(v reflect_datagrams "$TMP/reflect.txt") tokens, $(v reflect_out "$TMP/reflect.txt") bytes for $(v reflect_in "$TMP/reflect.txt"), and no stream"

# A real subscriber answers its token: the state and the stream come.
"$PEER" probe "$OSC_PORT" confirm >"$TMP/confirm.txt"
cat "$TMP/confirm.txt"
expect "$(v confirm_token "$TMP/confirm.txt") == 1 && $(v confirm_whole "$TMP/confirm.txt") == 1" \
	"a subscriber that answers its token gets the whole state"
expect "$(v confirm_bytes "$TMP/confirm.txt") > 500" "and the stream ($(v confirm_bytes "$TMP/confirm.txt") bytes in 1.6 s)"

# Four subscriptions a host; the fifth is refused.
"$PEER" probe "$OSC_PORT" cap >"$TMP/cap.txt"
cat "$TMP/cap.txt"
expect "$(v cap_confirmed "$TMP/cap.txt") == 4" "four subscriptions from one host"
grep -q 'cap_error=/subscribe: 127.0.0.1 has 4 subscriptions already' "$TMP/cap.txt" || fail "the fifth: $(cat "$TMP/cap.txt")"
pass "the fifth is refused, naming the host"

# Never to itself.
"$PEER" probe "$OSC_PORT" self >"$TMP/self.txt"
cat "$TMP/self.txt"
grep -q "self_error=/subscribe: 127.0.0.1:$OSC_PORT is tingled's own OSC port" "$TMP/self.txt" ||
	fail "a subscription to tingled's own port: $(cat "$TMP/self.txt")"
pass "a subscription to tingled's own port is refused"

# Not renewed: it ends ([osc] subscription = 2 s); renewed: it goes on.
"$PEER" probe "$OSC_PORT" expire >"$TMP/expire.txt"
cat "$TMP/expire.txt"
expect "$(v expire_whole "$TMP/expire.txt") == 1 && $(v expire_late_bytes "$TMP/expire.txt") == 0" \
	"a subscription not renewed ends after 2 s"
expect "$(v renewed_whole "$TMP/expire.txt") == 1 && $(v renewed_late_bytes "$TMP/expire.txt") > 0" \
	"a subscription renewed every second goes on ($(v renewed_late_bytes "$TMP/expire.txt") bytes after 5 s)"
grep -q 'OSC feedback to 127.0.0.1:[0-9]* ended: not renewed within 2 s' "$TMP/tingled.log" ||
	fail "the end was not logged"

# A subscriber whose socket closes is dropped at once (ICMP).
"$PEER" probe "$OSC_PORT" gone >"$TMP/gone.txt"
gone=$(v gone_port "$TMP/gone.txt")
i=0
while ! grep -q "OSC feedback to 127.0.0.1:$gone ended: Connection refused" "$TMP/tingled.log" && [ $i -lt 100 ]; do
	sleep 0.02
	i=$((i + 1))
done
grep -q "OSC feedback to 127.0.0.1:$gone ended: Connection refused" "$TMP/tingled.log" ||
	fail "a closed subscriber was kept: $(grep 'feedback to' "$TMP/tingled.log")"
pass "a subscriber whose port closed is dropped when the network says so"

kill -0 "$TINGLED_PID" || fail "tingled died"
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 5
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
TINGLED_PID=
