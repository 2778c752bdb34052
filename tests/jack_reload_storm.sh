#!/bin/sh
# SIGHUP reloads while sounds ring: tingled stays up, frees nothing the
# engine still plays from (in the sanitizer build a use after free ends
# the daemon), carries out the latest reload, still plays and stops
# cleanly. First bursts with the shipped configuration and the
# bowl-meditation scene, then reloads in a row, each carried out before
# the next, while more replaced scenes ring than tingled keeps room for.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd

# reloads_done: how many reloads tingled has carried out.
reloads_done() { grep -c "reloaded" "$TMP/tingled.log" || true; }

stop_tingled() {
	kill -TERM "$TINGLED_PID"
	wait_exit "$TINGLED_PID" 2.0 || fail "SIGTERM: still running"
	[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS after the reloads"
	TINGLED_PID=
}

# The shipped configuration with bowl-meditation alone in the setlist.
sed -e "s|^dir =.*|dir = $top_srcdir/scenes|" -e "s|^setlist =.*|setlist = bowl-meditation|" \
	"$top_srcdir/config/tingled.conf" >"$TMP/show.conf"
start_tingled -c "$TMP/show.conf" --no-connect
grep -q "scene bowl-meditation" "$TMP/tingled.log" || fail "the scene did not start"
round=1
while [ $round -le 3 ]; do
	i=0
	while [ $i -lt 25 ]; do
		"$OSC_ASK" "$OSC_PORT" /trigger s chime -t 0
		"$OSC_ASK" "$OSC_PORT" /trigger s brush -t 0
		kill -HUP "$TINGLED_PID" 2>/dev/null || fail "tingled died in burst $round after $i signals"
		"$OSC_ASK" "$OSC_PORT" /trigger s breath-left -t 0
		i=$((i + 1))
	done
	kill -0 "$TINGLED_PID" 2>/dev/null || fail "tingled died in burst $round"
	pass "burst $round: 25 SIGHUPs with sounds ringing, still running"
	round=$((round + 1))
done
# The last reload is carried out, however many came before it.
printf '[input voice]\nazimuth = front\n' >>"$TMP/show.conf"
kill -HUP "$TINGLED_PID"
"$PROBE" --wait-port tingle:in_voice 20 || fail "the latest configuration was not loaded"
pass "the latest configuration took effect ($(reloads_done) reloads carried out for 76 signals)"
"$OSC_ASK" "$OSC_PORT" /ping >/dev/null || fail "no /pong after the bursts"
probe_strict --osc "$OSC_PORT" chime --capture tingle:out_L tingle:out_R 1.0 "$TMP/after.wav" >/dev/null ||
	fail "capture failed"
peak=$(wavnum "$TMP/after.wav" peak_db)
expect "$peak > -40" "a chime after the bursts is heard (peak $peak dBFS)"
stop_tingled
pass "SIGTERM after the bursts: exit 0"

# A scene that loads in no time and rings for 5 s: reloads come far faster
# than replaced scenes ring out.
mkdir -p "$TMP/scenes"
"$MKWAV" "$TMP/scenes/ring.wav" sine 5 48000 0.2 330
cat >"$TMP/scenes/ring.scene" <<EOS
[scene]
fade = 0.5
[source front]
azimuth = 0
[sound ring]
samples = ring.wav
note = 60
source = front
EOS
sed -e "s|^dir =.*|dir = $TMP/scenes|" -e "s|^setlist =.*|setlist = ring|" \
	"$top_srcdir/config/tingled.conf" >"$TMP/ring.conf"
start_tingled -c "$TMP/ring.conf" --no-connect
i=0
while [ $i -lt 20 ]; do
	before=$(reloads_done)
	"$OSC_ASK" "$OSC_PORT" /trigger s ring -t 0
	kill -HUP "$TINGLED_PID" 2>/dev/null || fail "tingled died after $i reloads"
	k=0
	while [ "$(reloads_done)" -le "$before" ] && [ $k -lt 750 ]; do
		kill -0 "$TINGLED_PID" 2>/dev/null || fail "tingled died in reload $((i + 1))"
		sleep 0.02
		k=$((k + 1))
	done
	[ "$(reloads_done)" -gt "$before" ] || fail "reload $((i + 1)) not carried out within 15 s"
	i=$((i + 1))
done
pass "20 reloads in a row, each while the scenes before it ring, each carried out"
probe_strict --osc "$OSC_PORT" ring --capture tingle:out_L tingle:out_R 1.0 "$TMP/ring.wav" >/dev/null ||
	fail "capture failed"
peak=$(wavnum "$TMP/ring.wav" peak_db)
expect "$peak > -40" "the scene still plays (peak $peak dBFS)"
stop_tingled
pass "SIGTERM after the reloads: exit 0"
