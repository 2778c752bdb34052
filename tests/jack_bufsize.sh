#!/bin/sh
# JACK changes its block size under a looping sound and a live input
# (PipeWire changes its quantum by itself): 128 -> 256 -> 64 frames (and
# back to 128 between recordings) while a loop (1 kHz, 60 degrees left)
# sounds and a tone (3 kHz) plays into in_voice (60 degrees right). After
# each change the loop sounds on at the level it had when it was triggered
# (within 1 dB, each ear), the sound never drops out for more
# than a few ms, and no change clicks: the largest second difference of the
# output (where a click stands out of a tone's curve) stays that of the
# steady sound.
. "${top_srcdir:-.}/tests/lib.sh"
command -v jack_bufsize >/dev/null 2>&1 || skip "jack_bufsize not installed"
start_jackd

mkdir -p "$TMP/scenes"
# 0.5 s of 1 kHz: 500 whole periods, a loop without a seam.
"$MKWAV" "$TMP/scenes/hum.wav" sine 0.5 48000 0.3 1000
cat >"$TMP/scenes/hum.scene" <<EOS
[scene]
fade = 0.1
[source left]
azimuth = 60
distance = 1
[sound hum]
samples = hum.wav
mode = loop
source = left
velocity = 0
EOS
cat >"$TMP/bufsize.conf" <<EOC
[engine]
sources = 8
[scenes]
dir = $TMP/scenes
setlist = hum
[input voice]
azimuth = -60
distance = 1
EOC

start_tingled -c "$TMP/bufsize.conf" --no-connect

# The tone comes from a client of its own: one that played and recorded
# would hear tingle a period late, and JACK clears that period at a
# change of block size. Recorded for 3 s; the block size changes about 1 s
# and 2 s in (the probe notes the exact frames). A recording with a change
# too near an end (a slow machine) is made again.
"$PROBE" --tone tingle:in_voice 3000 0.1 --for 60 &
TONE_PID=$!
trap 'rc=$?; kill "$TONE_PID" 2>/dev/null || true; (exit $rc); cleanup' EXIT
"$OSC_ASK" "$OSC_PORT" /trigger s hum -t 0 || fail "no /trigger sent"
# The loop and the voice at 128 frames, before anything changes.
probe_strict --capture tingle:out_L tingle:out_R 0.5 "$TMP/ref.wav" --skip 0.3 >/dev/null || fail "capture failed"
lref=$(wavnum "$TMP/ref.wav" rms_l_db)
rref=$(wavnum "$TMP/ref.wav" rms_r_db)
# An xrun of the loaded machine may drop a period from the recording, and
# the dummy backend loses cycles at 64 frames: a recording with xruns
# counts only when it passes (so a fault shows on the last try).
windows() {
	t1=$(awk "BEGIN { print $c1 / 48000 }")
	t2=$(awk "BEGIN { print $c2 / 48000 }")
	w0a=0.05
	w0b=$(awk "BEGIN { print $t1 - 0.1 }")
	w1a=$(awk "BEGIN { print $t1 + 0.1 }")
	w1b=$(awk "BEGIN { print $t2 - 0.1 }")
	w2a=$(awk "BEGIN { print $t2 + 0.1 }")
	w2b=2.95
	gap=$(wavnum "$TMP/rec.wav" gap_ms 0.05 2.95)
	# The tone's own curve: the least of three stretches clear of the
	# changes (an xrun in one of them does not raise it).
	steady=
	for a in $w0a $w1a $w2a; do
		v=$(wavnum "$TMP/rec.wav" max_step2 $a $(awk "BEGIN { print $a + 0.2 }"))
		steady=$(awk "BEGIN { s = \"$steady\"; print (s == \"\" || $v < s + 0) ? $v : s }")
	done
	around1=$(wavnum "$TMP/rec.wav" max_step2 $(awk "BEGIN { print $t1 - 0.05 }") $(awk "BEGIN { print $t1 + 0.05 }"))
	around2=$(wavnum "$TMP/rec.wav" max_step2 $(awk "BEGIN { print $t2 - 0.05 }") $(awk "BEGIN { print $t2 + 0.05 }"))
}
clean() {
	awk "BEGIN { exit !($gap <= 3 && $around1 <= 1.2 * $steady && $around2 <= 1.2 * $steady) }"
}
n=0
while :; do
	"$PROBE" --blocks --capture tingle:out_L tingle:out_R 3.0 "$TMP/rec.wav" --skip 0.3 >"$TMP/probe.txt" &
	PROBE_PID=$!
	sleep 1.3
	jack_bufsize 256 >"$TMP/bufsize1.txt" 2>&1 || fail "jack_bufsize 256: $(cat "$TMP/bufsize1.txt")"
	sleep 1
	jack_bufsize 64 >"$TMP/bufsize2.txt" 2>&1 || fail "jack_bufsize 64: $(cat "$TMP/bufsize2.txt")"
	wait "$PROBE_PID" || fail "capture failed"
	glitches=$(sed -n 's/^glitches //p' "$TMP/probe.txt")
	c1=$(sed -n 's/^block \([0-9]*\) 256$/\1/p' "$TMP/probe.txt" | head -n 1)
	c2=$(sed -n 's/^block \([0-9]*\) 64$/\1/p' "$TMP/probe.txt" | head -n 1)
	n=$((n + 1))
	jack_bufsize 128 >/dev/null 2>&1 || fail "jack_bufsize 128"
	if [ -z "$c1" ] || [ -z "$c2" ] ||
		! awk "BEGIN { exit !($c1 > 0.4 * 48000 && $c2 - $c1 > 0.4 * 48000 && $c2 < 2.6 * 48000) }"; then
		[ $n -lt 8 ] || fail "no recording with both changes well inside it: $(cat "$TMP/probe.txt")"
		echo "(a change fell too near an end of the recording: recording again)" >&2
		continue
	fi
	windows
	if [ "$glitches" -eq 0 ] || [ $n -ge 8 ] || clean; then
		break
	fi
	echo "(the recording had $glitches xruns or lost cycles: recording again)" >&2
done
grep -q "block size now 256 frames" "$TMP/tingled.log" || fail "tingled did not say the new block size 256"
grep -q "block size now 64 frames" "$TMP/tingled.log" || fail "tingled did not say the new block size 64"

echo "block size 256 from $t1 s, 64 from $t2 s into the recording"
l0=$(wavnum "$TMP/rec.wav" rms_l_db $w0a $w0b)
r0=$(wavnum "$TMP/rec.wav" rms_r_db $w0a $w0b)
l1=$(wavnum "$TMP/rec.wav" rms_l_db $w1a $w1b)
r1=$(wavnum "$TMP/rec.wav" rms_r_db $w1a $w1b)
l2=$(wavnum "$TMP/rec.wav" rms_l_db $w2a $w2b)
r2=$(wavnum "$TMP/rec.wav" rms_r_db $w2a $w2b)
echo "left ear (the loop): $lref dB at first, then $l0 dB at 128, $l1 dB at 256, $l2 dB at 64"
echo "right ear (the voice): $rref dB at first, then $r0 dB at 128, $r1 dB at 256, $r2 dB at 64"
expect "$lref > -20 && $rref > -20" "the loop and the voice sound"
for w in "$l0 $r0 128" "$l1 $r1 256" "$l2 $r2 64"; do
	set -- $w
	expect "$1 - $lref < 1 && $lref - $1 < 1 && $2 - $rref < 1 && $rref - $2 < 1" \
		"at $3 frames, both at the level they had at first"
done

echo "longest drop-out (6 dB below the median, either ear): $gap ms"
expect "$gap <= 3" "no drop-out longer than a few ms"

echo "largest second difference: $steady steady (least of three stretches), $around1 around 128 -> 256, $around2 around 256 -> 64"
expect "$around1 <= 1.2 * $steady && $around2 <= 1.2 * $steady" "no click at either change"
