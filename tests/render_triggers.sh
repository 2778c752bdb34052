#!/bin/sh
# Offline: a /trigger at t seconds sounds at frame round(t * rate) exactly
# (after the HRIR's own onset, measured with a trigger at 0); so does a
# raw MIDI note-on from the events file; the generators of the bundled
# scenes all sound.
. "${top_srcdir:-.}/tests/lib.sh"
clicks_setup

render() { # EVENTS OUT
	printf '%s\n' "$1" >"$TMP/ev.txt"
	"$RENDER" -q -c "$TMP/clicks.conf" -s clicks -e "$TMP/ev.txt" -d 2 -o "$2" || fail "render failed: $1"
}
render "0 /trigger click" "$TMP/t0.wav"
h0=$(first_onset "$TMP/t0.wav" 0 2)
expect "$h0 >= 0 && $h0 < 200" "a trigger at 0 is heard at the HRIR's onset ($h0)"

for t in 0.5 1.2345 0.0001 1.99; do
	render "$t /trigger click" "$TMP/t.wav"
	want=$(awk "BEGIN { printf \"%d\", $t * 48000 + 0.5 }")
	got=$(first_onset "$TMP/t.wav" 0 2)
	expect "$got - $h0 == $want" "/trigger at $t s sounds at frame $want (got $got - $h0)"
done

render "0.75 midi 90 3c 7f" "$TMP/m.wav"
got=$(first_onset "$TMP/m.wav" 0 2)
expect "$got - $h0 == 36000" "a note-on at 0.75 s sounds at frame 36000"

# Velocity 0 in the events file (as a TouchOSC button release): no sound.
render "0.5 /trigger click 0" "$TMP/v0.wav"
peak=$(wavnum "$TMP/v0.wav" peak_db)
expect "$peak < -200" "/trigger with velocity 0 plays nothing"

# Samples in FLAC, Ogg Vorbis and a stereo WAV (its channels averaged:
# the same signal in both channels plays at the level of the mono file).
"$MKWAV" "$TMP/scenes/tone.flac" sine 0.5 44100 0.25 1000
"$MKWAV" "$TMP/scenes/tone.ogg" sine 0.5 44100 0.25 1000
"$MKWAV" "$TMP/scenes/tone-mono.wav" sine 0.5 48000 0.25 1000
MKWAV_CHANNELS=2 "$MKWAV" "$TMP/scenes/tone-stereo.wav" sine 0.5 48000 0.25 1000
cat >"$TMP/scenes/formats.scene" <<EOS
[source front]
azimuth = 0
[sound tones]
samples = tone.flac tone.ogg tone-mono.wav tone-stereo.wav
select = roundrobin
source = front
EOS
# roundrobin goes through the files in name order:
# tone-mono.wav, tone-stereo.wav, tone.flac, tone.ogg
printf '0 /trigger tones\n1 /trigger tones\n2 /trigger tones\n3 /trigger tones\n' >"$TMP/ev.txt"
"$RENDER" -q -c "$TMP/clicks.conf" -s formats -e "$TMP/ev.txt" -d 4 -o "$TMP/formats.wav" ||
	fail "render of FLAC, Ogg and stereo samples failed"
mono=$(wavnum "$TMP/formats.wav" rms_l_db 0.1 0.4)
stereo=$(wavnum "$TMP/formats.wav" rms_l_db 1.1 1.4)
flac=$(wavnum "$TMP/formats.wav" rms_l_db 2.1 2.4)
ogg=$(wavnum "$TMP/formats.wav" rms_l_db 3.1 3.4)
echo "levels: mono WAV $mono, stereo WAV $stereo, FLAC $flac, Ogg $ogg dB"
expect "$mono > -40 && $stereo - $mono < 0.1 && $mono - $stereo < 0.1" "a stereo sample plays at the level of the mono one"
expect "$flac - $mono < 0.1 && $mono - $flac < 0.1" "a FLAC sample (44.1 kHz, resampled) plays"
expect "$ogg - $mono < 0.5 && $mono - $ogg < 0.5" "an Ogg Vorbis sample plays"

# The bundled scenes: every sound of every scene, triggered once.
SC="$top_srcdir/scenes"
cat >"$TMP/demo.conf" <<EOC
[scenes]
dir = $SC
[input harp]
[input bowl]
EOC
for scene in "$SC"/*.scene; do
	name=$(basename "$scene" .scene)
	sounds=$(sed -n 's/^\[sound \(.*\)\]$/\1/p' "$scene")
	: >"$TMP/all.txt"
	t=0
	for s in $sounds; do
		echo "$t /trigger $s" >>"$TMP/all.txt"
		t=$(awk "BEGIN { print $t + 2 }")
		echo "$t /release $s" >>"$TMP/all.txt"
	done
	"$RENDER" -q -c "$TMP/demo.conf" -s "$name" -e "$TMP/all.txt" -o "$TMP/$name.wav" ||
		fail "scene $name does not render"
	t=0
	for s in $sounds; do
		to=$(awk "BEGIN { print $t + 2 }")
		rms=$(wavnum "$TMP/$name.wav" rms_l_db "$t" "$to")
		rmsr=$(wavnum "$TMP/$name.wav" rms_r_db "$t" "$to")
		expect "$rms > -60 || $rmsr > -60" "scene $name: sound $s is heard ($rms / $rmsr dB)"
		t=$to
	done
	fin=$(wavnum "$TMP/$name.wav" finite)
	peak=$(wavnum "$TMP/$name.wav" peak_db)
	# The limiter is a safety net: the demo scenes, played one sound at a
	# time, stay well clear of it.
	expect "$fin == 1 && $peak <= -3" "scene $name: finite, peak $peak dBFS, no limiting"
done
