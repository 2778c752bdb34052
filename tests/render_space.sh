#!/bin/sh
# Offline, where a source is heard from: head tracking turns the scene
# against the head (yaw +90 puts a front source at the right ear, and the
# quaternion form agrees), an orbiting source goes round (left ear louder
# a quarter turn in, right ear three quarters in), and near the head the
# distance gain stops at [engine] near_gain, from an OSC place or the
# centre of an XY pad alike.
. "${top_srcdir:-.}/tests/lib.sh"
mkdir -p "$TMP/scenes"
"$MKWAV" "$TMP/scenes/sine.wav" sine 1 48000 0.3 400
cat >"$TMP/scenes/s.scene" <<EOS
[scene]
fade = 0.1
[source front]
azimuth = 0
distance = 1
[sound hiss]
generator = shush
mode = loop
note = 60
source = front
[sound tone]
samples = sine.wav
mode = loop
note = 62
source = front
EOS
printf '[engine]\nsources = 8\n[scenes]\ndir = %s\n' "$TMP/scenes" >"$TMP/c.conf"

render() { # NAME EVENTS
	printf '%s\n' "$2" >"$TMP/$1.txt"
	"$RENDER" -q -c "$TMP/c.conf" -s s -e "$TMP/$1.txt" -d "${DUR:-1.5}" -o "$TMP/$1.wav" || fail "render $1 failed"
}
stat() { wavnum "$TMP/$1.wav" "$2" "${3:-0.5}" "${4:-1.5}"; }

render ahead "0 /trigger hiss"
render yaw "$(printf '0 /trigger hiss\n0 /listener/ypr 90 0 0')"
render quat "$(printf '0 /trigger hiss\n0 /listener/quaternion 0.70710678 0 0 0.70710678')"
render back "$(printf '0 /trigger hiss\n0 /listener/ypr -90 0 0\n0.2 /listener/reset')"
echo "ILD (right - left): ahead $(stat ahead ild_db), yaw +90 $(stat yaw ild_db), quaternion $(stat quat ild_db), reset $(stat back ild_db)"
expect "$(stat ahead ild_db) < 1 && $(stat ahead ild_db) > -1" "a front source is centred with the head straight"
expect "$(stat yaw ild_db) > 6 && $(stat yaw itd_ms) > 0.4" "yaw +90 (head turned left): the front source is at the right ear"
d=$(awk "BEGIN { d = $(stat yaw ild_db) - $(stat quat ild_db); print d < 0 ? -d : d }")
expect "$d < 0.2" "the quaternion (cos 45, 0, 0, sin 45) agrees with yaw +90 ($d dB apart)"
expect "$(stat back ild_db) < 1 && $(stat back ild_db) > -1" "/listener/reset faces front again"

# An orbit at 90 degrees a second from the front: at 1 s it is at the left
# ear, at 3 s at the right.
DUR=4 render orbit "$(printf '0 /trigger hiss\n0 /source/front/motion orbit 90')"
l=$(stat orbit ild_db 0.9 1.1)
r=$(stat orbit ild_db 2.9 3.1)
echo "orbit: ILD $l dB at 1 s, $r dB at 3 s; largest step $(stat orbit max_step 0 4)"
expect "$l < -6" "a quarter turn in, the orbiting source is at the left ear"
expect "$r > 6" "three quarters in, at the right ear"

# Near the head: 1 m, then 0.1 m by OSC place, then the XY pad's centre.
near_ear() { wavnum "$TMP/$1.wav" rms_l_db 0.5 1.5; }
# (30 dB down, so that the limiter stays out of it.)
render far "$(printf '0 /master/gain -30\n0 /trigger hiss\n0 /source/front/position 90 0 1')"
render near "$(printf '0 /master/gain -30\n0 /trigger hiss\n0 /source/front/position 90 0 0.1')"
render xy "$(printf '0 /master/gain -30\n0 /trigger hiss\n0 /source/front/xy 0.5 0.5')"
rise=$(awk "BEGIN { print $(near_ear near) - $(near_ear far) }")
xy=$(near_ear xy)
echo "near ear: $(near_ear far) dB at 1 m, $(near_ear near) dB at 0.1 m (+$rise dB); XY pad centre: $xy dB"
expect "$rise > 6 && $rise < 13" "at 0.1 m the near ear rises by the 12 dB cap, not 20 dB"
expect "$xy < $(near_ear far) + 13" "the XY pad's centre is the minimum distance, no louder than the cap"

# A room: the click's first frame is where it was without one, and a tail
# follows it (decorrelated between the ears); a source sending nothing to
# the room has no tail.
"$MKWAV" "$TMP/scenes/click.wav" click 0.05 48000 0.5
for send in off -6; do
	cat >"$TMP/scenes/room$send.scene" <<EOS
[scene]
fade = 0.1
[room]
decay = 1.2
size = 10
[source front]
azimuth = 30
room = $send
[sound click]
samples = click.wav
source = front
EOS
	printf '0.2 /trigger click\n' >"$TMP/r.txt"
	"$RENDER" -q -c "$TMP/c.conf" -s "room$send" -e "$TMP/r.txt" -d 2 -o "$TMP/room$send.wav" || fail "room render failed"
done
dry=$(wavnum "$TMP/roomoff.wav" onset_l 0 2)
wet=$(wavnum "$TMP/room-6.wav" onset_l 0 2)
tail_dry=$(wavnum "$TMP/roomoff.wav" rms_l_db 0.5 1.5)
tail_wet=$(wavnum "$TMP/room-6.wav" rms_l_db 0.5 1.5)
echo "room: onset $dry dry, $wet with the room; tail 0.3-1.3 s after the click: $tail_dry dB dry, $tail_wet dB wet"
expect "$dry == $wet" "the room adds no delay to the direct sound (first frame $dry)"
expect "$tail_wet > -110 && $tail_dry < -150" "the room rings on after the click, only for a source that sends to it"
