#!/bin/sh
# On a private dummy jackd: JACK MIDI note-ons sent by a test client at
# known frames sound at exactly those frames (plus one fixed latency, the
# same for both); an OSC /trigger sounds within two blocks; an OSC bundle
# acts at one block; /scene and
# bad scenes over OSC; the daemon keeps playing.
. "${top_srcdir:-.}/tests/lib.sh"
clicks_setup
start_jackd

# The HRIR's own onset, offline.
printf '0 /trigger click\n' >"$TMP/ev.txt"
"$RENDER" -q -c "$TMP/clicks.conf" -s clicks -e "$TMP/ev.txt" -d 1 -o "$TMP/h0.wav" || fail "render failed"
h0=$(first_onset "$TMP/h0.wav" 0 1)

start_tingled -c "$TMP/clicks.conf" --no-connect
grep -q "scene clicks" "$TMP/tingled.log" || fail "tingled did not start the scene"

probe_strict --midi tingle:midi_in 60 --capture tingle:out_L tingle:out_R 1.5 "$TMP/midi.wav" >"$TMP/midi.txt" ||
	fail "MIDI capture failed"
m1=$(sed -n '1s/^midi //p' "$TMP/midi.txt")
m2=$(sed -n '2s/^midi //p' "$TMP/midi.txt")
[ -n "$m1" ] && [ -n "$m2" ] || fail "the probe did not send its notes: $(cat "$TMP/midi.txt")"
o1=$(first_onset "$TMP/midi.wav" 0 0.5)
o2=$(first_onset "$TMP/midi.wav" 0.6 1.5)
echo "notes sent at frames $m1 and $m2, heard at $o1 and $o2 (HRIR onset $h0)"
expect "$o1 - $m1 == $o2 - $m2" "both notes land at their exact frame (same latency: $((o1 - m1)))"
expect "$o1 - $m1 - $h0 >= 0 && $o1 - $m1 - $h0 <= 128" "latency beyond the HRIR is at most one block"

probe_strict --osc "$OSC_PORT" click --capture tingle:out_L tingle:out_R 1.0 "$TMP/osc.wav" >"$TMP/osc.txt" ||
	fail "OSC capture failed"
f=$(sed -n 's/^osc //p' "$TMP/osc.txt")
o=$(first_onset "$TMP/osc.wav" 0 1)
# The probe hears tingle one block late (the MIDI latency above, less the
# HRIR's onset: the probe runs before tingle in a cycle). Sent at the end of
# one of the probe's blocks, the trigger must sound within two blocks.
late=$((o1 - m1 - h0))
echo "OSC /trigger sent after recording frame $f, heard at $o (the probe hears tingle $late frames late)"
expect "$o >= 0 && $o - $h0 - $f <= 256 + $late" "an OSC /trigger sounds within two blocks"

# An OSC bundle acts together, at one block however long: two triggers of
# the click with 300 commands between them (more than the engine takes
# from a queue in one block) sound at the same frame: one click, twice as
# loud (+6 dB), not two clicks a block apart.
p1=$(wavnum "$TMP/osc.wav" peak_db)
n=0
strict=--strict
while :; do
	"$PROBE" $strict --capture tingle:out_L tingle:out_R 1.0 "$TMP/bundle.wav" --skip 0.1 &
	PROBE_PID=$!
	sleep 0.5
	"$top_builddir/tests/osc_attack" "$OSC_PORT" bundle-pair click 300 || fail "bundle not sent"
	rc=0
	wait "$PROBE_PID" || rc=$?
	[ $rc -eq 0 ] && break
	n=$((n + 1))
	[ $rc -eq 3 ] || fail "capture failed"
	# As probe_strict: the ninth recording is taken as it comes.
	[ $n -lt 8 ] || strict=
	sleep 0.5
done
p2=$(wavnum "$TMP/bundle.wav" peak_db)
echo "one click: $p1 dBFS; two in one bundle: $p2 dBFS"
expect "$p2 - $p1 > 5.5 && $p2 - $p1 < 6.5" "the bundle's two triggers sound at the same frame"

# A scene that does not exist, over OSC: refused, the scene plays on.
out=$("$OSC_ASK" "$OSC_PORT" /scene s nosuch -t 300) || true
i=0
until grep -q "nosuch" "$TMP/tingled.log" || [ $i -ge 100 ]; do sleep 0.02; i=$((i + 1)); done
grep -q "scene: .*nosuch.*the scene playing goes on" "$TMP/tingled.log" || fail "no error for a missing scene"
out=$("$OSC_ASK" "$OSC_PORT" /scene s ../../etc/passwd -t 300) || fail "no /error for a path as a scene name"
case "$out" in *"not a scene name"*) pass "a path is not a scene name: $out" ;; *) fail "got '$out'" ;; esac
probe_strict --osc "$OSC_PORT" click --capture tingle:out_L tingle:out_R 1.0 "$TMP/osc2.wav" >/dev/null || fail "capture failed"
o=$(first_onset "$TMP/osc2.wav" 0 1)
expect "$o >= 0" "the old scene still plays"

# A scene with a corrupt sample, asked for over OSC: refused with its
# file, the old scene plays on.
printf 'RIFF\0\0\0\0WAVEjunk' >"$TMP/scenes/broken.wav"
sed 's/click.wav/broken.wav/' "$TMP/scenes/clicks.scene" >"$TMP/scenes/broken.scene"
"$OSC_ASK" "$OSC_PORT" /scene s broken -t 0
i=0
until grep -q "broken.wav" "$TMP/tingled.log" || [ $i -ge 200 ]; do sleep 0.02; i=$((i + 1)); done
grep -q "broken.scene:[0-9]*:.*broken.wav.*the scene playing goes on" "$TMP/tingled.log" ||
	fail "the corrupt sample was not named: $(tail -n 2 "$TMP/tingled.log")"
probe_strict --osc "$OSC_PORT" click --capture tingle:out_L tingle:out_R 1.0 "$TMP/osc4.wav" >/dev/null || fail "capture failed"
o=$(first_onset "$TMP/osc4.wav" 0 1)
expect "$o >= 0" "after a scene with a corrupt sample was refused, the old scene still plays"

# A broken scene file and SIGHUP: refused, the old scene keeps playing.
printf 'volume = 3\n' >>"$TMP/scenes/clicks.scene"  # a key no sound has
kill -HUP "$TINGLED_PID"
i=0
until grep -q "stay as they were" "$TMP/tingled.log" || [ $i -ge 200 ]; do sleep 0.02; i=$((i + 1)); done
grep -q "clicks.scene:[0-9]*:.*volume" "$TMP/tingled.log" || fail "the bad scene line was not named"
probe_strict --osc "$OSC_PORT" click --capture tingle:out_L tingle:out_R 1.0 "$TMP/osc3.wav" >/dev/null || fail "capture failed"
o=$(first_onset "$TMP/osc3.wav" 0 1)
expect "$o >= 0" "after a bad reload the scene still plays"
kill -0 "$TINGLED_PID" || fail "tingled died"
