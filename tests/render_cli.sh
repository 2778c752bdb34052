#!/bin/sh
# tingle-render: deterministic output, events at their time (a source moved
# from right to left at 1 s), clear errors naming file and line.
. "${top_srcdir:-.}/tests/lib.sh"

"$MKWAV" "$TMP/noise.wav" noise 2 44100 0.1 3   # another rate: resampled at load
cat >"$TMP/r.conf" <<EOC
[engine]
sources = 4
[input voice]
azimuth = right
[scenes]
dir = $NO_SCENES
EOC
cat >"$TMP/move.events" <<EOE
# move the voice to the left after one second
1.0 /source/voice/azimuth 90
1.0 /input/voice/gain -6
EOE
"$RENDER" -q -c "$TMP/r.conf" --input voice="$TMP/noise.wav" -e "$TMP/move.events" -d 2 -o "$TMP/a.wav" ||
	fail "render failed"
"$RENDER" -q -c "$TMP/r.conf" --input voice="$TMP/noise.wav" -e "$TMP/move.events" -d 2 -o "$TMP/b.wav" ||
	fail "render failed"
cmp -s "$TMP/a.wav" "$TMP/b.wav" || fail "two renders differ"
pass "two renders are identical"

frames=$(wavnum "$TMP/a.wav" frames)
[ "$frames" -eq 96000 ] || fail "expected 96000 frames, got $frames"
before=$(wavnum "$TMP/a.wav" ild_db 0.3 0.95)
after=$(wavnum "$TMP/a.wav" ild_db 1.1 1.9)
r1=$(wavnum "$TMP/a.wav" rms_r_db 0.3 0.95)
l2=$(wavnum "$TMP/a.wav" rms_l_db 1.1 1.9)
expect "$before >= 10" "right before 1 s"
expect "$after <= -10" "left after 1 s"
expect "$r1 - $l2 > 5 && $r1 - $l2 < 7" "6 dB softer after 1 s"
step=$(wavnum "$TMP/a.wav" max_step 0.9 1.1)
step0=$(wavnum "$TMP/a.wav" max_step 0.5 0.9)
expect "$step < 1.5 * $step0" "no click at the move ($step vs $step0)"

printf '0.5 /source/voice/azimuth 90\n0.7 /source/cello/azimuth 0\n' >"$TMP/bad.events"
status=0
"$RENDER" -q -c "$TMP/r.conf" -e "$TMP/bad.events" -d 1 -o "$TMP/c.wav" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 2 ] || fail "unknown source: exit $status"
grep -q "bad.events:2: /source/cello/azimuth: no source named 'cello'" "$TMP/err.txt" ||
	fail "error lacks file:line: $(cat "$TMP/err.txt")"
pass "bad event: $(cat "$TMP/err.txt")"

printf '0.5 /source/voice/azimuth 90\nlater /ping\n' >"$TMP/bad2.events"
status=0
"$RENDER" -q -c "$TMP/r.conf" -e "$TMP/bad2.events" -d 1 -o "$TMP/c.wav" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 2 ] || fail "bad time: exit $status"
grep -q "bad2.events:2:" "$TMP/err.txt" || fail "error lacks file:line: $(cat "$TMP/err.txt")"

status=0
"$RENDER" -q -c "$TMP/r.conf" --input voice="$TMP/none.wav" -d 1 -o "$TMP/c.wav" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 2 ] || fail "missing input file: exit $status"
grep -q "none.wav" "$TMP/err.txt" || fail "missing file not named"
status=0
"$RENDER" -q -c "$TMP/r.conf" --input cello="$TMP/noise.wav" -d 1 -o "$TMP/c.wav" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 2 ] || fail "unknown input: exit $status"
pass "bad inputs refused"

# One sample-rate range (src/common/limits.h) for -r as for the engine:
# a render at the top rate works; just outside the range -r is refused,
# exit 2, with the range HRTF sets are refused with (tests/test_hrtf.c).
lim() { sed -n "s/^#define TINGLE_RATE_$1 \([0-9]*\)\$/\1/p" "$top_srcdir/src/common/limits.h"; }
rmin=$(lim MIN) rmax=$(lim MAX)
[ -n "$rmin" ] && [ -n "$rmax" ] || fail "no TINGLE_RATE_MIN/MAX in limits.h"
"$RENDER" -q -c "$TMP/r.conf" -r "$rmax" -d 0.05 -o "$TMP/top.wav" 2>"$TMP/err.txt" ||
	fail "a render at $rmax Hz failed: $(cat "$TMP/err.txt")"
[ "$(wavnum "$TMP/top.wav" rate)" = "$rmax" ] || fail "the render at $rmax Hz is at $(wavnum "$TMP/top.wav" rate) Hz"
for r in $((rmax + 1)) $((rmin - 1)) 768000; do
	status=0
	"$RENDER" -q -c "$TMP/r.conf" -r "$r" -d 0.05 -o "$TMP/c.wav" 2>"$TMP/err.txt" || status=$?
	[ "$status" -eq 2 ] || fail "-r $r: exit $status"
	grep -qF "cannot render at '$r' Hz (supported: $rmin to $rmax Hz)" "$TMP/err.txt" ||
		fail "-r $r: $(cat "$TMP/err.txt")"
done
pass "-r $rmax renders; -r $((rmax + 1)), $((rmin - 1)) and 768000 refused: $(cat "$TMP/err.txt")"

# Events from standard input, and the block size does not change the result
# beyond rounding.
"$RENDER" -q -c "$TMP/r.conf" --input voice="$TMP/noise.wav" -e - -d 2 -b 512 -o "$TMP/d.wav" <"$TMP/move.events" ||
	fail "render from stdin failed"
after512=$(wavnum "$TMP/d.wav" ild_db 1.1 1.9)
expect "$after512 <= -10" "events from stdin, block 512"
