#!/bin/sh
# More MIDI events in one JACK block than tingle once copied (512): a
# looping sound is started, then one block brings 600 controller messages
# and, last, the loop's note-off. Every event of the block is handled: the
# loop is released and the output falls silent after its release time.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd

mkdir -p "$TMP/scenes"
"$MKWAV" "$TMP/scenes/hiss.wav" noise 0.5 48000 0.2
cat >"$TMP/scenes/loop.scene" <<EOS
[scene]
fade = 0.1
[source front]
azimuth = 0
distance = 1
[sound hiss]
samples = hiss.wav
note = 50
mode = loop
release = 0.05
source = front
EOS
cat >"$TMP/loop.conf" <<EOC
[engine]
sources = 8
[scenes]
dir = $TMP/scenes
setlist = loop
EOC

start_tingled -c "$TMP/loop.conf" --no-connect
grep -q "scene loop" "$TMP/tingled.log" || fail "tingled did not start the scene"

N=${FLOOD_EVENTS:-600}
"$PROBE" --flood tingle:midi_in 50 "$N" --capture tingle:out_L tingle:out_R 1.2 "$TMP/flood.wav" \
	>"$TMP/flood.txt" || fail "the probe could not send its block: $(cat "$TMP/flood.txt")"
cat "$TMP/flood.txt"
set -- $(sed -n 's/^flood //p' "$TMP/flood.txt")
[ $# -eq 2 ] || fail "the probe did not send its block: $(cat "$TMP/flood.txt")"
off=$1
expect "$2 == $N + 1" "one JACK block carried $N controllers and the note-off"

# Sounding before the block; silent from the note-off plus the release
# (50 ms), the HRIR and a block or two of latency on.
loud=$(wavnum "$TMP/flood.wav" rms_l_db 0.3 0.5)
from=$(awk "BEGIN { print $off / 48000 + 0.05 + 0.03 }")
after=$(wavnum "$TMP/flood.wav" peak_db "$from" 1.2)
echo "loop at $loud dBFS before; note-off at frame $off; peak from $from s on: $after dBFS"
expect "$loud > -40" "the loop sounds"
expect "$after < -90" "the note-off after $N other events in its block released the loop"
kill -0 "$TINGLED_PID" || fail "tingled died"
