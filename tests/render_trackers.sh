#!/bin/sh
# Offline, head trackers and panners in their own conventions, as a user
# would check them: which ear a front source is heard at. SPARTA's /ypr
# and IEM SceneRotator's /SceneRotator/ypr turn the scene (yaw +90: the
# front source at the left ear, as tingle's own yaw -90), ADM-OSC's
# /adm/lis/ypr is tingle's own (yaw +90: the right ear); ADM-OSC object 2
# is the scene's second [source] (no live inputs here) and azim 90 puts it
# at the left ear.
. "${top_srcdir:-.}/tests/lib.sh"
mkdir -p "$TMP/scenes"
cat >"$TMP/scenes/s.scene" <<EOS
[scene]
fade = 0.1
[source one]
azimuth = 0
distance = 1
[source two]
azimuth = 0
distance = 1
[sound hiss]
generator = shush
mode = loop
note = 60
source = one
[sound hush]
generator = shush
mode = loop
note = 62
source = two
EOS
printf '[engine]\nsources = 8\n[scenes]\ndir = %s\n' "$TMP/scenes" >"$TMP/c.conf"

render() { # NAME EVENTS
	printf '%s\n' "$2" >"$TMP/$1.txt"
	"$RENDER" -q -c "$TMP/c.conf" -s s -e "$TMP/$1.txt" -d 1.5 -o "$TMP/$1.wav" || fail "render $1 failed"
}
ild() { wavnum "$TMP/$1.wav" ild_db 0.5 1.5; }
apart() { awk "BEGIN { d = $1 - ($2); print d < 0 ? -d : d }"; }

render own_right "$(printf '0 /trigger hiss\n0 /listener/ypr -90 0 0')"
render own_left "$(printf '0 /trigger hiss\n0 /listener/ypr 90 0 0')"
render sparta "$(printf '0 /trigger hiss\n0 /ypr 90 0 0')"
render sparta_yaw "$(printf '0 /trigger hiss\n0 /yaw 90i')"
render iem "$(printf '0 /trigger hiss\n0 /SceneRotator/ypr 90 0 0')"
render iem_quat "$(printf '0 /trigger hiss\n0 /SceneRotator/quaternions 0.70710678 0 0 0.70710678')"
render adm "$(printf '0 /trigger hiss\n0 /adm/lis/ypr 90 0 0')"
echo "ILD (right - left): /listener/ypr -90 $(ild own_right), /ypr 90 $(ild sparta), /yaw 90i $(ild sparta_yaw)," \
	"/SceneRotator/ypr 90 $(ild iem), /SceneRotator/quaternions $(ild iem_quat);" \
	"/listener/ypr 90 $(ild own_left), /adm/lis/ypr 90 $(ild adm)"
expect "$(ild sparta) < -6" "SPARTA /ypr 90 0 0: the front source at the left ear (the head turned right)"
expect "$(apart "$(ild sparta)" "$(ild own_right)") < 0.2" "SPARTA /ypr 90 sounds as tingle's /listener/ypr -90"
expect "$(apart "$(ild sparta_yaw)" "$(ild sparta)") < 0.2" "SPARTA /yaw 90 (an integer) sounds as /ypr 90 0 0"
expect "$(ild iem) < -6" "IEM /SceneRotator/ypr 90 0 0: the scene turned left, the front source at the left ear"
expect "$(apart "$(ild iem)" "$(ild own_right)") < 0.2" "IEM /SceneRotator/ypr 90 sounds as tingle's /listener/ypr -90"
expect "$(apart "$(ild iem_quat)" "$(ild iem)") < 0.2" "IEM's quaternion (cos 45, 0, 0, sin 45) agrees with its yaw 90"
expect "$(ild adm) > 6" "ADM-OSC /adm/lis/ypr 90 0 0: yaw positive left, the front source at the right ear"
expect "$(apart "$(ild adm)" "$(ild own_left)") < 0.2" "ADM-OSC /adm/lis/ypr 90 sounds as tingle's /listener/ypr 90"

# ADM-OSC objects: 1 is the first [source], 2 the second.
render obj2 "$(printf '0 /trigger hush\n0 /adm/obj/2/azim 90')"
render obj1 "$(printf '0 /trigger hush\n0 /adm/obj/1/azim 90')"
render obj2_aed "$(printf '0 /trigger hush\n0 /adm/obj/2/aed -90 0 0.5')"
echo "ILD of the second source: /adm/obj/2/azim 90 $(ild obj2), /adm/obj/1/azim 90 $(ild obj1)," \
	"/adm/obj/2/aed -90 0 0.5 $(ild obj2_aed)"
expect "$(ild obj2) < -6" "/adm/obj/2/azim 90 moves the scene's second source to the left ear"
expect "$(ild obj1) < 1 && $(ild obj1) > -1" "/adm/obj/1/azim 90 moves the first source, not the second"
expect "$(ild obj2_aed) > 6" "/adm/obj/2/aed -90 0 0.5 moves it to the right ear"
