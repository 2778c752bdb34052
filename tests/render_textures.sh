#!/bin/sh
# Offline: generated sounds that do not give themselves away. A held
# texture never repeats (no autocorrelation peak from 0.3 to 20 s), every
# trigger of a generated tap is a fresh strike, a glass chime rings for
# seconds and dies away smoothly, a light touch sounds darker, and all of
# it renders the same twice.
. "${top_srcdir:-.}/tests/lib.sh"
TEXSTAT="$top_builddir/tests/texstat"
tex() { # KEY CMD FILE ARGS...: one number from texstat
	key=$1
	shift
	"$TEXSTAT" "$@" | sed -n "s/^$key=//p"
}

SC="$top_srcdir/scenes"
cat >"$TMP/demo.conf" <<EOC
[scenes]
dir = $SC
[input harp]
[input bowl]
EOC

# Held textures, 40 s: the demo's rain (wood-and-rain) and the crinkle of
# whisper-circle. A loop of fixed buffers correlates ~1 at its length.
for sc in wood-and-rain:rain whisper-circle:crinkle; do
	scene=${sc%%:*}
	sound=${sc#*:}
	echo "0 /trigger $sound" >"$TMP/held.txt"
	"$RENDER" -q -c "$TMP/demo.conf" -s "$scene" -e "$TMP/held.txt" -d 42 -o "$TMP/held.wav" ||
		fail "render of held $sound failed"
	r=$(tex max_autocorr autocorr "$TMP/held.wav" 2 42 0.3 20)
	lag=$(tex at_lag autocorr "$TMP/held.wav" 2 42 0.3 20)
	rms=$(wavnum "$TMP/held.wav" rms_l_db 2 42)
	expect "$rms > -60" "held $sound ($scene) sounds all along ($rms dB)"
	expect "$r < 0.5" "held $sound ($scene): autocorrelation $r at most (at $lag s) from 0.3 to 20 s"
done

mkdir -p "$TMP/scenes"
cat >"$TMP/scenes/taps.scene" <<EOS
[source front]
azimuth = 30
distance = 1
[sound tap]
generator = tap
brightness = 0.3
size = 0.35
variants = 8
gain = -12
source = front
[sound chime]
generator = tap
brightness = 0.95
size = 0.2
variants = 5
gain = -12
source = front
EOS
cat >"$TMP/taps.conf" <<EOC
[scenes]
dir = $TMP/scenes
EOC

# 24 taps, one every half second: every one a fresh strike (8 fixed
# variants in turn would repeat exactly every 8).
: >"$TMP/hits.txt"
i=0
while [ $i -lt 24 ]; do
	echo "$(awk "BEGIN { print 0.1 + $i * 0.5 }") /trigger tap" >>"$TMP/hits.txt"
	i=$((i + 1))
done
"$RENDER" -q -c "$TMP/taps.conf" -s taps -e "$TMP/hits.txt" -d 12.5 -o "$TMP/hits.wav" || fail "render of 24 taps failed"
x=$(tex max_xcorr hits "$TMP/hits.wav" 0.1 0.5 24 0.4)
pair=$(tex pair hits "$TMP/hits.wav" 0.1 0.5 24 0.4)
expect "$x < 0.9" "no two of 24 taps alike: max cross-correlation $x (hits $pair)"

# The glass chime (bowl-meditation's: brightness 0.95, size 0.2) rings on.
echo "0.1 /trigger chime" >"$TMP/chime.txt"
"$RENDER" -q -c "$TMP/taps.conf" -s taps -e "$TMP/chime.txt" -d 5 -o "$TMP/chime.wav" || fail "render of the chime failed"
ring=$(tex ring_s ring "$TMP/chime.wav" 0 5)
fall=$(tex max_fall_db ring "$TMP/chime.wav" 0 5)
expect "$ring >= 1" "the chime rings $ring s before it is 40 dB down"
expect "$fall < 6" "the chime dies away smoothly: at most $fall dB from one 10 ms to the next"

# Velocity: a light tap is darker, not only quieter.
for v in 0.3 1.0; do
	echo "0.1 /trigger tap $v" >"$TMP/v.txt"
	"$RENDER" -q -c "$TMP/taps.conf" -s taps -e "$TMP/v.txt" -d 1 -o "$TMP/v$v.wav" || fail "render at velocity $v failed"
done
soft=$(tex centroid_hz centroid "$TMP/v0.3.wav" 0.1 0.5)
hard=$(tex centroid_hz centroid "$TMP/v1.0.wav" 0.1 0.5)
expect "$soft < 0.97 * $hard" "velocity 0.3 lowers the tap's spectral centroid ($soft Hz against $hard Hz)"

# Fresh sound is made in step with the render: the same seed, the same file.
printf '0 /trigger rain\n0.5 /trigger tap\n0.7 /trigger tap\n0.9 /trigger knock\n1 /trigger scrape\n4 /release rain\n' >"$TMP/mix.txt"
for k in 1 2; do
	"$RENDER" -q --seed 7 -c "$TMP/demo.conf" -s wood-and-rain -e "$TMP/mix.txt" -d 8 -o "$TMP/mix$k.wav" ||
		fail "render of the mix failed"
done
cmp -s "$TMP/mix1.wav" "$TMP/mix2.wav" || fail "two renders with --seed 7 differ"
pass "two renders with --seed 7 are the same, fresh sound and all"
