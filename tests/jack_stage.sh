#!/bin/sh
# Stage control on a private dummy jackd: a tablet fader bound to an
# input's gain, program changes and a foot pedal as JACK MIDI, the
# string-free /trigger/NAME, feedback to subscribers and to a configured
# [osc] feedback target (state, scene changes, bound faders, meters), and
# /error for a scene that cannot be switched to.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd
LISTEN="$top_builddir/tests/osc_listen"
MIDI_SEND="$top_builddir/tests/midi_send"

mkdir -p "$TMP/scenes"
"$MKWAV" "$TMP/scenes/click.wav" click 0.05 48000 0.5
# Three scenes; each sets the harp's gain, so a fader bound to it moves.
for s in one:0 two:-20 three:-10; do
	name=${s%%:*}
	cat >"$TMP/scenes/$name.scene" <<EOS
[scene]
fade = 0.2
[source front]
azimuth = 0
[sound tick]
samples = click.wav
source = front
[input harp]
gain = ${s#*:}
EOS
done

# A feedback target that listens before tingled starts.
"$LISTEN" -t 60 -o "$TMP/target.txt" &
LISTEN_PID=$!
i=0
while ! grep -q '^port' "$TMP/target.txt" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
FB_PORT=$(sed -n 's/^port //p' "$TMP/target.txt")
[ -n "$FB_PORT" ] || fail "the listener did not start"

cat >"$TMP/stage.conf" <<EOC
[osc]
feedback = 127.0.0.1:$FB_PORT
[engine]
sources = 8
[scenes]
dir = $TMP/scenes
setlist = one two three
[input harp]
azimuth = right
[bind]
osc /1/fader1 = input harp gain -40 0
midi cc 80 = scene next
midi pc = scene
EOC
"$TINGLED" -c "$TMP/stage.conf" --check >"$TMP/check.txt" 2>&1 || fail "--check: $(cat "$TMP/check.txt")"
start_tingled -c "$TMP/stage.conf" --no-connect

# The configured target hears the state without asking.
i=0
while ! grep -q '/scene/name s one' "$TMP/target.txt" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q '/scene/name s one' "$TMP/target.txt" || fail "the feedback target got no state: $(cat "$TMP/target.txt")"
grep -q '/1/fader1 f 1$' "$TMP/target.txt" || fail "no bound fader value in the state"
pass "the [osc] feedback target got the state without subscribing"

# The fader: at 1.0 the harp plays at 0 dB, at 0.5 at -20 dB.
level() {
	"$PROBE" --tone tingle:in_harp 1000 0.3 --capture tingle:out_L tingle:out_R 0.6 "$TMP/$1.wav" --skip 0.4 ||
		fail "capture failed"
	wavnum "$TMP/$1.wav" rms_r_db
}
"$OSC_ASK" "$OSC_PORT" /1/fader1 f 1 -t 0
full=$(level full)
"$OSC_ASK" "$OSC_PORT" /1/fader1 f 0.5 -t 0
half=$(level half)
echo "harp: fader 1.0: $full dB, fader 0.5: $half dB"
expect "$full - $half > 19.5 && $full - $half < 20.5" "/1/fader1 0.5 bound to 'input harp gain -40 0' lowers the harp 20 dB"

# A subscriber (listening for a while, on the port it sends from): it
# answers the /token tingled sends, and the whole state comes.
subscribe() {
	"$LISTEN" -t "$1" -o "$TMP/$2.txt" --send "$OSC_PORT" /subscribe &
	SUB_PID=$!
	i=0
	while ! grep -q '/scene/name' "$TMP/$2.txt" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.01; i=$((i + 1)); done
	grep -q '/scene/name' "$TMP/$2.txt" || fail "subscribed, but no state came: $(cat "$TMP/$2.txt")"
}

# A program change as JACK MIDI picks the setlist's scene by index.
subscribe 2 pc
"$MIDI_SEND" tingle:midi_in "0.05:c0 02" || fail "midi_send failed"
wait "$SUB_PID"
grep -q '/scene/name s three' "$TMP/pc.txt" || fail "no /scene/name three after program change 2: $(cat "$TMP/pc.txt")"
grep -q '/scene/index i 2' "$TMP/pc.txt" || fail "no /scene/index 2"
pass "program change 2 (JACK MIDI) selects the third scene; the subscriber hears /scene/name three"
rate=$(awk '$2 == "/meter/out" { if (!n++) first = $1; last = $1 } END { if (n > 1) printf "%.2f", (n - 1) / (last - first); else print 0 }' "$TMP/pc.txt")
echo "meters: $rate a second"
expect "$rate >= 12 && $rate <= 18" "/meter/out about 15 times a second"

# A pedal: 127, 0, 127, 0 a tenth of a second apart advances two scenes
# (three -> one -> two).
subscribe 2 pedal
"$MIDI_SEND" tingle:midi_in "0.05:b0 50 7f" "0.15:b0 50 00" "0.25:b0 50 7f" "0.35:b0 50 00" ||
	fail "midi_send failed"
wait "$SUB_PID"
last=$(grep '/scene/name' "$TMP/pedal.txt" | tail -n 1)
n=$(grep -c '/scene/name' "$TMP/pedal.txt" || true)
case "$last" in *"/scene/name s two") ;; *) fail "after two presses: '$last'" ;; esac
expect "$n == 3" "two scene changes (and the state on subscribing): $n"
# The new scene's harp gain (-20 dB) shows on the bound fader.
grep '/1/fader1' "$TMP/pedal.txt" | tail -n 1 | grep -q ' 0.5$' || fail "the fader did not follow: $(grep fader "$TMP/pedal.txt")"
pass "pedal 127,0,127,0 advances two scenes; the bound fader follows the scene"

# A bouncing contact: 127, 0, 127, 0, 127 within 20 ms is one press.
subscribe 2 bounce
"$MIDI_SEND" tingle:midi_in "0.05:b0 50 7f" "0.055:b0 50 00" "0.06:b0 50 7f" "0.065:b0 50 00" "0.07:b0 50 7f" \
	"0.5:b0 50 00" || fail "midi_send failed"
wait "$SUB_PID"
n=$(grep -c '/scene/name' "$TMP/bounce.txt" || true)
last=$(grep '/scene/name' "$TMP/bounce.txt" | tail -n 1)
case "$last" in *"/scene/name s three") ;; *) fail "after a bounce: '$last'" ;; esac
expect "$n == 2" "a bounce within 20 ms advances one scene"

# After /scene/next the subscriber gets the bound fader's new value
# (three -> one: harp at 0 dB, the fader at 1).
subscribe 1.5 next
"$OSC_ASK" "$OSC_PORT" /scene/next -t 0
wait "$SUB_PID"
grep -q '/scene/name s one' "$TMP/next.txt" || fail "no scene one after /scene/next: $(cat "$TMP/next.txt")"
grep '/1/fader1' "$TMP/next.txt" | tail -n 1 | grep -q ' 1$' || fail "no fader value after /scene/next"
pass "after /scene/next the subscriber gets /1/fader1 1"

# A reload keeps the place in the setlist: on scene two (index 1), after
# SIGHUP /state says index 1 and /scene/next goes on to three.
"$OSC_ASK" "$OSC_PORT" /scene/next -t 0
i=0
while [ "$(grep -c 'info: scene two$' "$TMP/tingled.log")" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
reloads=$(grep -c 'info: reloaded' "$TMP/tingled.log" || true)
kill -HUP "$TINGLED_PID"
i=0
while [ "$(grep -c 'info: reloaded' "$TMP/tingled.log")" -le "$reloads" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
"$LISTEN" -t 1 -o "$TMP/reloaded.txt" --send "$OSC_PORT" /state
grep -q '/scene/name s two' "$TMP/reloaded.txt" || fail "after SIGHUP: $(grep scene "$TMP/reloaded.txt")"
grep -q '/scene/index i 1' "$TMP/reloaded.txt" || fail "after SIGHUP the setlist place is lost: $(grep scene "$TMP/reloaded.txt")"
threes=$(grep -c 'info: scene three$' "$TMP/tingled.log" || true)
"$OSC_ASK" "$OSC_PORT" /scene/next -t 0
i=0
while [ "$(grep -c 'info: scene three$' "$TMP/tingled.log")" -le "$threes" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
[ "$(grep -c 'info: scene three$' "$TMP/tingled.log")" -gt "$threes" ] || fail "/scene/next after SIGHUP did not go on to three: $(tail -n 5 "$TMP/tingled.log")"
pass "after SIGHUP on scene two, /state says index 1 and /scene/next plays three"

# /trigger/NAME f 1 plays the sound (a tablet button, no string).
record_around "$TMP/trig.wav" 1.2 "$OSC_ASK" "$OSC_PORT" /trigger/tick f 1 -t 0 || fail "capture failed"
peak=$(wavnum "$TMP/trig.wav" peak_db)
expect "$peak > -30" "/trigger/tick f 1 plays the click ($peak dBFS)"

# A scene that cannot be switched to is answered /error, and the show goes on.
out=$("$OSC_ASK" "$OSC_PORT" /scene s nosuch -t 2000) || fail "no answer to a bad /scene"
case "$out" in "/error s"*nosuch*) pass "bad /scene: $out" ;; *) fail "got '$out'" ;; esac
out=$("$OSC_ASK" "$OSC_PORT" /ping -t 1000) || fail "no /pong"

kill "$LISTEN_PID" 2>/dev/null || true
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 5
[ "$EXIT_STATUS" = 0 ] || fail "tingled exit status $EXIT_STATUS"
