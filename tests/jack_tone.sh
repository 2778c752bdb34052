#!/bin/sh
# A tone played into in_harp (configured to the right) comes out of
# out_L/out_R binaurally: louder and earlier at the right ear; into in_bowl
# (to the left): the other way round. Nothing above the -1 dBFS ceiling
# (measured from a recording without an xrun: a dummy server that lost a
# cycle on a loaded machine can hand the probe a buffer tingled did not
# finish).
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd
start_tingled -c "$DATA/two-inputs.conf" --no-connect

probe_strict --tone tingle:in_harp 3000 0.3 --capture tingle:out_L tingle:out_R 1.0 "$TMP/harp.wav" --skip 0.3 ||
	fail "capture failed"
ild=$(wavnum "$TMP/harp.wav" ild_db)
rms=$(wavnum "$TMP/harp.wav" rms_r_db)
peak=$(wavnum "$TMP/harp.wav" peak_db)
echo "harp: right ear $rms dB RMS, ILD $ild dB, peak $peak dBFS"
expect "$rms > -30" "the harp is heard"
expect "$ild >= 6" "the harp is to the right"
expect "$peak <= -0.99" "below the ceiling"

"$PROBE" --tone tingle:in_bowl 2500 0.3 --capture tingle:out_L tingle:out_R 1.0 "$TMP/bowl.wav" --skip 0.3 ||
	fail "capture failed"
ild=$(wavnum "$TMP/bowl.wav" ild_db)
rms=$(wavnum "$TMP/bowl.wav" rms_l_db)
echo "bowl: left ear $rms dB RMS, ILD $ild dB"
expect "$rms > -30" "the bowl is heard"
expect "$ild <= -6" "the bowl is to the left"

# Nothing plays: silence, exactly.
"$PROBE" --capture tingle:out_L tingle:out_R 0.5 "$TMP/quiet.wav" --skip 0.3 || fail "capture failed"
peak=$(wavnum "$TMP/quiet.wav" peak_db)
expect "$peak < -200" "silence when nothing plays"
