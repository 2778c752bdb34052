#!/bin/sh
# tingled without JACK: --check validates the shipped config and HRTF and
# refuses bad ones with file and line; usage errors exit 2.
. "${top_srcdir:-.}/tests/lib.sh"

"$TINGLED" --check -c "$top_srcdir/config/tingled.conf" >"$TMP/check.out" 2>&1 ||
	fail "--check refused the shipped config: $(cat "$TMP/check.out")"
grep -q '^input harp' "$TMP/check.out" || fail "--check summary lacks the harp: $(cat "$TMP/check.out")"
grep -q '^input bowl' "$TMP/check.out" || fail "--check summary lacks the bowl"
grep -q '^hrtf: .*directions' "$TMP/check.out" || fail "--check summary lacks the HRTF"
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
"$TINGLED" --check -c "$top_srcdir/config/tingled.conf" --hrtf "$TMP/bad.sofa" >"$TMP/badsofa.out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "bad HRTF: exit $status"
grep -q "bad.sofa" "$TMP/badsofa.out" || fail "bad HRTF not named: $(cat "$TMP/badsofa.out")"
pass "a bad HRTF is refused: $(cat "$TMP/badsofa.out")"

SOFA_DIR="$top_srcdir/../shared/sofa"
if [ -d "$SOFA_DIR/bad" ]; then
	for f in "$SOFA_DIR"/bad/*.sofa; do
		status=0
		"$TINGLED" --check -c "$top_srcdir/config/tingled.conf" --hrtf "$f" >"$TMP/one.out" 2>&1 || status=$?
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
"$TINGLED" --version | grep -q "^tingled [0-9]" || fail "--version"
"$TINGLED" --help | grep -q -- "--no-connect" || fail "--help"
pass "usage errors exit 2; --version and --help work"

# No JACK server: a runtime failure, exit 1, said plainly.
status=0
"$TINGLED" -c "$top_srcdir/config/tingled.conf" -S "no-such-server-$$" -p 0 >"$TMP/nojack.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "no JACK server: exit $status: $(cat "$TMP/nojack.out")"
grep -q "JACK server" "$TMP/nojack.out" || fail "no JACK server not said: $(cat "$TMP/nojack.out")"
pass "no JACK server: exit 1"
