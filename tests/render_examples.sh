#!/bin/sh
# The examples of the README and of examples/README run as written, from a
# copy of examples/ next to a copy of the demo scenes (as installed:
# share/tingle/examples and share/tingle/scenes), and sound comes out:
# tingled --check, the harp moving (with a harp.wav made as examples/README
# says), the pads, and the tour of tools/run-demo rendered offline.
. "${top_srcdir:-.}/tests/lib.sh"
mkdir -p "$TMP/share"
cp -R "$top_srcdir/examples" "$top_srcdir/scenes" "$TMP/share/"
chmod -R u+w "$TMP/share"
PATH="$top_builddir:$PATH"
export PATH

# The commands: lines indented by four spaces that run tingled or
# tingle-render on my.conf, or make harp.wav, in the order written.
commands() {
	sed -n 's/^    \(\(tingled --check\|tingle-render\) -c my\.conf\( .*\)\{0,1\}\)$/\1/p; s/^    \(seq .*\)$/\1/p' "$1"
}
commands "$top_srcdir/examples/README" >"$TMP/examples.cmds"
commands "$top_srcdir/README" >"$TMP/readme.cmds"
[ "$(wc -l <"$TMP/examples.cmds")" -ge 5 ] || fail "examples/README has too few commands: $(cat "$TMP/examples.cmds")"
[ "$(wc -l <"$TMP/readme.cmds")" -ge 3 ] || fail "README has too few example commands: $(cat "$TMP/readme.cmds")"
while IFS= read -r c; do
	grep -qxF "$c" "$TMP/examples.cmds" || fail "README's '$c' is not in examples/README"
done <"$TMP/readme.cmds"
pass "README's examples are those of examples/README"

cd "$TMP/share/examples" || fail "no copy of examples/"
# harp.wav first: examples/README says how to make one before the
# command that needs it.
{ grep 'harp\.wav$' "$TMP/examples.cmds"; grep -v 'harp\.wav$' "$TMP/examples.cmds"; } >"$TMP/run.cmds"
n=0
while IFS= read -r c; do
	n=$((n + 1))
	sh -c "$c" </dev/null >"$TMP/cmd$n.log" 2>&1 || fail "'$c' failed: $(cat "$TMP/cmd$n.log")"
	pass "$c"
done <"$TMP/run.cmds"
grep -q "^ok$" "$TMP"/cmd*.log || fail "tingled --check did not say ok"
grep -q "^scenes: 3 checked" "$TMP"/cmd*.log || fail "tingled --check did not check the 3 demo scenes"

for f in harp.wav out.wav pads.wav tour.wav; do
	[ -f "$f" ] || fail "no $f was made"
	expect "$(wavnum "$f" peak_db) > -40" "$f has sound in it"
done
# The harp is heard through the moves, and muted at their end.
expect "$(wavnum out.wav rms_l_db 0 10) > -60" "the harp sounds while it moves"
expect "$(wavnum out.wav peak_db 13 14) < -80" "the harp is muted at the end"
# The tour: sound in every stretch of ten seconds, about 80 s long.
expect "$(wavnum tour.wav frames) >= 75 * 48000" "the tour lasts about 80 s"
for s in 0 10 20 30 40 50 60 70; do
	expect "$(wavnum tour.wav peak_db $s $((s + 10))) > -40" "the tour sounds between $s and $((s + 10)) s"
done
