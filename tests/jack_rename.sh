#!/bin/sh
# A server that renames the client (PipeWire runs a second "tingle" as
# "tingle-63"; jackd2 refuses the name instead, so a preloaded shim plays
# PipeWire here): tingled says the name it got, and every line that names
# the client names the real one, never the one it asked for.
. "${top_srcdir:-.}/tests/lib.sh"
SHIM="$top_builddir/tests/rename_shim.so"
[ -f "$SHIM" ] || skip "no rename shim"
start_jackd
# A sanitizer's runtime wants to come first; the shim only wraps one call.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export ASAN_OPTIONS
TINGLE_NAME=tingle-63
export TINGLE_NAME
LD_PRELOAD=$SHIM
export LD_PRELOAD
start_tingled -c "$DATA/two-inputs.conf" --no-connect -n tingle
unset LD_PRELOAD
grep -q "JACK client tingle-63 running" "$TMP/tingled.log" || fail "the log does not name tingle-63: $(cat "$TMP/tingled.log")"
grep -q "the JACK server named the client tingle-63 (asked for tingle)" "$TMP/tingled.log" ||
	fail "no word of the new name: $(cat "$TMP/tingled.log")"
pass "tingled says it runs as tingle-63"
if grep -E "(client|port|sequencer|named) tingle[ :]" "$TMP/tingled.log" | grep -v "asked for tingle)"; then
	fail "a line names the client as tingle"
fi
pass "no line names it tingle"
