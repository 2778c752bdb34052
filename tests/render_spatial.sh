#!/bin/sh
# Offline render: a noise source at azimuth -90 is louder at the right ear
# by at least 10 dB and reaches it 0.5-0.8 ms earlier; at azimuth 0 the
# ears match within 1 dB and 50 microseconds.
. "${top_srcdir:-.}/tests/lib.sh"

"$MKWAV" "$TMP/noise.wav" noise 3 48000 0.1 7

for az in -90 0 90; do
	cat >"$TMP/noise.conf" <<EOC
[engine]
sources = 4
[input noise]
azimuth = $az
[scenes]
dir = $NO_SCENES
EOC
	"$RENDER" -q -c "$TMP/noise.conf" --input noise="$TMP/noise.wav" -d 3 -o "$TMP/az$az.wav" ||
		fail "tingle-render failed for azimuth $az"
done
# Skip the start, where gains ramp in.
ild__90=$(wavnum "$TMP/az-90.wav" ild_db 0.5 2.9)
itd__90=$(wavnum "$TMP/az-90.wav" itd_ms 0.5 2.9)
ild_0=$(wavnum "$TMP/az0.wav" ild_db 0.5 2.9)
itd_0=$(wavnum "$TMP/az0.wav" itd_ms 0.5 2.9)
rms_0=$(wavnum "$TMP/az0.wav" rms_l_db 0.5 2.9)
ild_90=$(wavnum "$TMP/az90.wav" ild_db 0.5 2.9)
itd_90=$(wavnum "$TMP/az90.wav" itd_ms 0.5 2.9)
echo "azimuth -90: ILD $ild__90 dB, ITD $itd__90 ms"
echo "azimuth   0: ILD $ild_0 dB, ITD $itd_0 ms"
echo "azimuth  90: ILD $ild_90 dB, ITD $itd_90 ms"
expect "$ild__90 >= 10" "azimuth -90: right ear louder by at least 10 dB"
expect "$itd__90 >= 0.5 && $itd__90 <= 0.8" "azimuth -90: right ear earlier by 0.5-0.8 ms"
expect "$ild_0 > -1 && $ild_0 < 1" "azimuth 0: ears within 1 dB"
expect "$itd_0 > -0.05 && $itd_0 < 0.05" "azimuth 0: ears within 50 us"
expect "$ild_90 <= -10" "azimuth 90: left ear louder by at least 10 dB"
expect "$itd_90 <= -0.5 && $itd_90 >= -0.8" "azimuth 90: left ear earlier by 0.5-0.8 ms"
expect "$rms_0 > -40" "the source is heard"
