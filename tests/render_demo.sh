#!/bin/sh
# The demo scenes as a newcomer meets them: tingle-render plays them with no
# configuration at all (the bundled scenes; TINGLE_DATADIR points at this
# tree's, as an installed tingle finds its own), and their sounds are
# staged by loudness: measured with libebur128 (tingle-render --loudness,
# EBU R128), each sound as played (a one-shot struck twice a second, as tapping goes, a
# held or looping one held) lies between -36 and -14 LUFS short-term, and
# the sounds of one scene within 8 LU of each other.
. "${top_srcdir:-.}/tests/lib.sh"

# No -c, no configuration anywhere ($XDG_CONFIG_HOME is empty; the
# installed one is not looked for with TINGLE_DATADIR... only scenes are).
printf '0.2 /trigger tap\n0.6 /trigger knock\n1.0 /trigger rain\n' >"$TMP/first.events"
TINGLE_DATADIR="$top_srcdir" "$RENDER" -s wood-and-rain -e "$TMP/first.events" -d 3 -o "$TMP/first.wav" \
	2>"$TMP/first.log" || { cat "$TMP/first.log" >&2; fail "tingle-render -s wood-and-rain without -c failed"; }
grep -q "warning" "$TMP/first.log" && { cat "$TMP/first.log" >&2; fail "warnings rendering a demo scene without a configuration"; }
peak=$(wavnum "$TMP/first.wav" peak_db)
expect "$peak > -40" "tingle-render -s wood-and-rain without a configuration plays its sounds (peak $peak dBFS)"

# tingled --check -v says each sound's loudness, and the demo scenes set
# every level by loudness.
: >"$TMP/empty.conf"
TINGLE_DATADIR="$top_srcdir" "$TINGLED" --check -v -c "$TMP/empty.conf" >"$TMP/check.out" 2>"$TMP/check.log" ||
	{ cat "$TMP/check.log" >&2; fail "tingled --check of the demo scenes failed"; }
n=$(grep -c "LUFS as made (.*), gain .* dB: .* LUFS at its source" "$TMP/check.log" || true)
want=$(cat "$top_srcdir"/scenes/*.scene | grep -c '^\[sound ')
expect "$n == $want" "tingled --check -v prints the loudness of each of the $want demo sounds"
awk '/^\[/{ sound = /^\[sound / } sound && /^gain *=/{ bad = 1 } END { exit bad }' "$top_srcdir"/scenes/*.scene ||
	fail "a demo sound is set by gain, not by loudness"
pass "every demo sound's level is set by loudness ="

# name mode, for every [sound] of a scene file
sounds_of() {
	awk '/^\[sound /{ if (n) print n, m; n = $2; sub(/\]$/, "", n); m = "oneshot" }
	     /^mode *=/{ m = $3 }
	     END { if (n) print n, m }' "$1"
}

# Every figure is printed before the test fails on any.
bad=
for scene in wood-and-rain whisper-circle bowl-meditation; do
	lo=0
	hi=-1000
	sounds_of "$top_srcdir/scenes/$scene.scene" >"$TMP/sounds"
	[ -s "$TMP/sounds" ] || fail "no sounds found in $scene"
	while read -r name mode; do
		: >"$TMP/ev"
		if [ "$mode" = oneshot ]; then
			for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
				echo "$i" | awk -v n="$name" '{ printf "%.1f /trigger %s\n", 0.2 + $1 * 0.5, n }' >>"$TMP/ev"
			done
		else
			printf '0.2 /trigger %s\n6.2 /release %s\n' "$name" "$name" >>"$TMP/ev"
		fi
		out=$(TINGLE_DATADIR="$top_srcdir" "$RENDER" -q -s "$scene" -e "$TMP/ev" -d 7 --loudness \
			-o "$TMP/s.wav") || fail "$scene: rendering $name failed"
		st=$(echo "$out" | sed -n 's/.*short-term max \([-0-9.inf]*\) LUFS.*/\1/p')
		[ -n "$st" ] || fail "$scene/$name: no loudness printed ($out)"
		echo "$scene/$name ($mode): short-term max $st LUFS"
		awk "BEGIN { exit !($st >= -36 && $st <= -14) }" ||
			bad="$bad
$scene/$name: $st LUFS short-term, not within -36 .. -14"
		lo=$(awk -v a="$lo" -v b="$st" 'BEGIN { print (a == 0 || b < a) ? b : a }')
		hi=$(awk -v a="$hi" -v b="$st" 'BEGIN { print (b > a ? b : a) }')
	done <"$TMP/sounds"
	echo "$scene: $lo .. $hi LUFS"
	awk "BEGIN { exit !($hi - ($lo) <= 8) }" ||
		bad="$bad
$scene: its sounds span $lo .. $hi LUFS, more than 8 LU"
done
[ -z "$bad" ] || fail "loudness staging:$bad"
pass "every demo sound within -36 .. -14 LUFS short-term, each scene's within 8 LU"
