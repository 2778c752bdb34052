#!/bin/sh
# Offline, what a scene change does to what already sounds: a loop being
# released keeps its own release time (the new scene's long fade does not
# stretch it), a live input moves to the new scene's gain over the new
# scene's fade (no snap), and a hold pedal or held note never outlasts the
# switch. Also MIDI controls of [bind] lines act in tingle-render.
. "${top_srcdir:-.}/tests/lib.sh"
mkdir -p "$TMP/scenes"
"$MKWAV" "$TMP/scenes/hum.wav" sine 1 48000 0.3 300
"$MKWAV" "$TMP/tone.wav" sine 12 48000 0.3 1000
cat >"$TMP/scenes/a.scene" <<EOS
[scene]
fade = 0.1
[source front]
azimuth = 0
[sound hum]
samples = hum.wav
mode = loop
release = 0.6
note = 60
source = front
[input harp]
gain = 0
EOS
cat >"$TMP/scenes/b.scene" <<EOS
[scene]
fade = 5
[source side]
azimuth = left
[sound other]
generator = tap
source = side
[input harp]
gain = -20
EOS
cat >"$TMP/stage.conf" <<EOC
[engine]
sources = 8
[scenes]
dir = $TMP/scenes
setlist = a b
[input harp]
azimuth = right
[bind]
midi cc 64 = hold
midi cc 80 = scene next
EOC

render() { # NAME EVENTS [OPTIONS]
	printf '%s\n' "$2" >"$TMP/$1.txt"
	name=$1
	shift 2
	"$RENDER" -q -c "$TMP/stage.conf" -s a -e "$TMP/$name.txt" -d 8 -o "$TMP/$name.wav" "$@" ||
		fail "render $name failed"
}
rms() { wavnum "$TMP/$1.wav" rms_l_db "$2" "$3"; }

# A loop released at 3 s (0.6 s release), then a scene with a 5 s fade.
render loop "$(printf '0 /trigger hum\n3 /release hum\n3.2 /scene b')"
playing=$(rms loop 1 3)
after=$(rms loop 3.8 8)
echo "loop: $playing dB while held, $after dB from 3.8 s"
expect "$playing > -40" "the loop plays"
expect "$after < -90" "released at 3 s with a 0.6 s release, it is silent by 3.8 s despite the 5 s scene fade"

# The harp, fed a steady tone, at 0 dB in scene a and -20 dB in scene b:
# the change takes the 5 s fade.
render harp "1 /scene b" --input harp="$TMP/tone.wav"
l0=$(wavnum "$TMP/harp.wav" rms_r_db 0.5 1)
l_early=$(wavnum "$TMP/harp.wav" rms_r_db 1.2 1.3)
l_mid=$(wavnum "$TMP/harp.wav" rms_r_db 3.4 3.6)
l_end=$(wavnum "$TMP/harp.wav" rms_r_db 6.5 7.5)
echo "harp: $l0 dB before, $l_early at 1.25 s, $l_mid at 3.5 s, $l_end after the fade"
expect "$l0 - $l_end > 19.5 && $l0 - $l_end < 20.5" "the harp ends 20 dB down, as scene b says"
expect "$l0 - $l_early < 1.5" "no snap: 0.25 s into the 5 s fade the harp is within 1.5 dB of where it was"
expect "$l_mid < $l0 - 3 && $l_mid > $l_end + 3" "half way through the fade the harp is half way"

# A hold pedal (CC 64 bound to hold) keeps a released loop; the pedal
# let go ends it.
render hold "$(printf '0 /trigger hum\n0.5 midi b0 40 7f\n1 /release hum\n3 midi b0 40 00')"
held=$(rms hold 1.5 2.9)
gone=$(rms hold 3.7 5)
echo "hold: $held dB after the release while held, $gone dB after the pedal"
expect "$held > -40" "the hold pedal keeps the released loop sounding"
expect "$gone < -90" "letting go of the pedal releases it"

# A note held with the pedal down, then a scene switch from a pedal
# (CC 80 bound to scene next): nothing sticks.
render stick "$(printf '0 midi 90 3c 64\n0.2 midi b0 40 7f\n0.5 midi 80 3c 00\n1 midi b0 50 7f\n1.2 midi b0 50 00')"
gone=$(rms stick 6.5 8)
expect "$gone < -90" "a note held by the pedal does not outlast a scene switch ($gone dB)"
