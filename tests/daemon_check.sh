#!/bin/sh
# tingled without JACK: --check validates the shipped config and HRTF and
# refuses bad ones with file and line; usage errors exit 2.
. "${top_srcdir:-.}/tests/lib.sh"

# The shipped config, with the scenes of this tree (not yet installed).
sed "s|^dir =\$|dir = $top_srcdir/scenes|" "$top_srcdir/config/tingled.conf" >"$TMP/shipped.conf"
grep -q "^dir = $top_srcdir/scenes" "$TMP/shipped.conf" || fail "cannot point the shipped config at the scenes"

"$TINGLED" --check -c "$TMP/shipped.conf" >"$TMP/check.out" 2>&1 ||
	fail "--check refused the shipped config: $(cat "$TMP/check.out")"
grep -q '^input harp' "$TMP/check.out" || fail "--check summary lacks the harp: $(cat "$TMP/check.out")"
grep -q '^input bowl' "$TMP/check.out" || fail "--check summary lacks the bowl"
grep -q '^hrtf: .*directions' "$TMP/check.out" || fail "--check summary lacks the HRTF"
grep -q '^scenes: 3 checked' "$TMP/check.out" || fail "--check did not check the 3 scenes: $(cat "$TMP/check.out")"
pass "--check accepts config/tingled.conf"

printf '[engine]\nsources = 8\n\n[input harp]\nazimuth = 30\nelevaton = 10\n' >"$TMP/typo.conf"
status=0
"$TINGLED" --check -c "$TMP/typo.conf" >"$TMP/typo.out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "--check on a typo: exit $status, expected 2"
grep -q "typo.conf:6:.*elevaton" "$TMP/typo.out" || fail "typo not named with file:line: $(cat "$TMP/typo.out")"
pass "a typo is refused: $(cat "$TMP/typo.out")"

status=0
"$TINGLED" --check -c "$TMP/missing.conf" >"$TMP/missing.out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "missing config: exit $status"
grep -q "missing.conf" "$TMP/missing.out" || fail "missing config not named"

printf 'not a sofa file\n' >"$TMP/bad.sofa"
status=0
"$TINGLED" --check -c "$TMP/shipped.conf" --hrtf "$TMP/bad.sofa" >"$TMP/badsofa.out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "bad HRTF: exit $status"
grep -q "bad.sofa" "$TMP/badsofa.out" || fail "bad HRTF not named: $(cat "$TMP/badsofa.out")"
pass "a bad HRTF is refused: $(cat "$TMP/badsofa.out")"

SOFA_DIR="$top_srcdir/../shared/sofa"
if [ -d "$SOFA_DIR/bad" ]; then
	for f in "$SOFA_DIR"/bad/*.sofa; do
		status=0
		"$TINGLED" --check -c "$TMP/shipped.conf" --hrtf "$f" >"$TMP/one.out" 2>&1 || status=$?
		[ "$status" -eq 2 ] || fail "$(basename "$f"): exit $status, expected 2"
		grep -q "$(basename "$f")" "$TMP/one.out" || fail "$(basename "$f") not named"
	done
	pass "every file in sofa/bad refused by --check"
fi

status=0
"$TINGLED" --bogus >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "unknown option: exit $status"
status=0
"$TINGLED" -p 70000 >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "bad port: exit $status"
# --version, GNU style: the program, its package and version, the
# copyright holder (as in README and AUTHORS), the licence, no warranty;
# exit 0; tingle-render says the same.
for prog in tingled tingle-render; do
	"$top_builddir/$prog" --version >"$TMP/version.out" 2>&1 || fail "$prog --version: exit $?"
	version=$(sed -n 's/^AC_INIT(\[tingle\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
	printf '%s\n' "$prog (tingle) $version" \
		"Copyright (C) 2026 the tingle developers" \
		"License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>." \
		"This is free software: you are free to change and redistribute it." \
		"There is NO WARRANTY, to the extent permitted by law." >"$TMP/version.want"
	cmp -s "$TMP/version.out" "$TMP/version.want" ||
		fail "$prog --version: $(diff "$TMP/version.want" "$TMP/version.out")"
done
grep -qx "Copyright (C) 2026 the tingle developers (AUTHORS says who they are)." "$top_srcdir/README" ||
	fail "README does not name the copyright holder --version names"
grep -q "^tingle is Copyright (C) 2026 the tingle developers" "$top_srcdir/AUTHORS" ||
	fail "AUTHORS does not name the copyright holder --version names"
pass "tingled and tingle-render --version: $(head -n 2 "$TMP/version.out" | tail -n 1), GPLv3+, no warranty"
"$TINGLED" --help | grep -q -- "--no-connect" || fail "--help"
pass "usage errors exit 2; --version and --help work"

# No JACK server: a runtime failure, exit 1, said plainly.
status=0
"$TINGLED" -c "$TMP/shipped.conf" -S "no-such-server-$$" -p 0 >"$TMP/nojack.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "no JACK server: exit $status: $(cat "$TMP/nojack.out")"
grep -q "JACK server" "$TMP/nojack.out" || fail "no JACK server not said: $(cat "$TMP/nojack.out")"
pass "no JACK server: exit 1"

# A broken scene in the setlist: --check names it.
mkdir -p "$TMP/sc"
cp "$top_srcdir"/scenes/*.scene "$TMP/sc/"
sed -i 's/^note = D3$/note = D11/' "$TMP/sc/bowl-meditation.scene"
sed "s|^dir =\$|dir = $TMP/sc|" "$top_srcdir/config/tingled.conf" >"$TMP/broken.conf"
status=0
"$TINGLED" --check -c "$TMP/broken.conf" >"$TMP/broken.out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "--check with a broken scene: exit $status"
grep -q "bowl-meditation.scene:[0-9]*:.*note" "$TMP/broken.out" || fail "broken scene not named: $(cat "$TMP/broken.out")"
pass "--check names a broken scene: $(cat "$TMP/broken.out")"

# A binding at one of tingled's own addresses takes it over: said, with
# file and line, and the rest still checks.
printf '[bind]\nosc /1/push1 = panic\nosc /ping = panic\n' >"$TMP/shadow.conf"
"$TINGLED" --check -c "$TMP/shadow.conf" >"$TMP/shadow.out" 2>&1 || fail "--check refused: $(cat "$TMP/shadow.out")"
grep -q "warning: .*shadow.conf:3: \[bind\] osc /ping: this is also a command" "$TMP/shadow.out" ||
	fail "no warning for /ping: $(cat "$TMP/shadow.out")"
! grep -q "/1/push1: this is also" "$TMP/shadow.out" || fail "a warning for /1/push1"
pass "a binding at a command's address is said: $(grep /ping "$TMP/shadow.out")"
