#!/bin/sh
# Bad scenes are refused with file and line: a missing sample file, a
# corrupt WAV, an unknown key, a note out of range.
. "${top_srcdir:-.}/tests/lib.sh"
clicks_setup
cp "$TMP/scenes/clicks.scene" "$TMP/good.scene"

try() { # NAME EXPECTED-LINE EXPECTED-TEXT
	status=0
	"$RENDER" -q -c "$TMP/clicks.conf" -s "$TMP/scenes/$1.scene" -d 0.5 -o "$TMP/x.wav" 2>"$TMP/err.txt" || status=$?
	[ "$status" -eq 2 ] || fail "$1: exit $status, expected 2"
	grep -q "$1.scene:$2:.*$3" "$TMP/err.txt" || fail "$1: expected '$1.scene:$2: ... $3', got: $(cat "$TMP/err.txt")"
	pass "$1 refused: $(cat "$TMP/err.txt")"
}

sed 's/click.wav/missing.wav/' "$TMP/good.scene" >"$TMP/scenes/missing.scene"
try missing 7 "missing.wav"

printf 'RIFF\0\0\0\0WAVEjunkjunkjunk' >"$TMP/scenes/corrupt.wav"
sed 's/click.wav/corrupt.wav/' "$TMP/good.scene" >"$TMP/scenes/corrupt.scene"
try corrupt 6 "corrupt.wav"

sed 's/^velocity = 0$/velocty = 0/' "$TMP/good.scene" >"$TMP/scenes/typo.scene"
try typo 10 "velocty"

sed 's/^note = 60$/note = 128/' "$TMP/good.scene" >"$TMP/scenes/note.scene"
try note 8 "128"
