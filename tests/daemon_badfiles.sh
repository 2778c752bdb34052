#!/bin/sh
# Files that are not what they should be, given to the real programs:
# FIFOs and devices as config, scene or sample files (they used to hang
# --check forever, or grow memory without end), files too large, samples
# of absurd rates or lengths, numbers in hexadecimal, a scenes folder that
# is not there. Each must be refused at once, exit 2, saying which file
# (and line) and what is wrong.
. "${top_srcdir:-.}/tests/lib.sh"

# refused WHAT EXPECTED PROGRAM ARGS...: the program must exit 2 within
# 30 s (a hang is a failure, not a stuck test) and print EXPECTED (a
# fixed string).
refused() {
	what=$1
	expected=$2
	shift 2
	"$@" >"$TMP/out.txt" 2>&1 &
	pid=$!
	if ! wait_exit "$pid" 30; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		fail "$what: still running after 30 s"
	fi
	[ "$EXIT_STATUS" -eq 2 ] || fail "$what: exit $EXIT_STATUS, expected 2: $(cat "$TMP/out.txt")"
	grep -qF -- "$expected" "$TMP/out.txt" || fail "$what: expected '$expected', got: $(cat "$TMP/out.txt")"
	pass "$what: $(grep -F -- "$expected" "$TMP/out.txt")"
}

clicks_setup

# --- config files ---------------------------------------------------------
mkfifo "$TMP/fifo.conf"
refused "a FIFO as config" "$TMP/fifo.conf: not a regular file (got a FIFO, expected a config file)" \
	"$TINGLED" --check -c "$TMP/fifo.conf"
for dev in /dev/zero /dev/urandom; do
	refused "$dev as config" "$dev: not a regular file (got a character device, expected a config file)" \
		"$TINGLED" --check -c "$dev"
done
cp "$TMP/clicks.conf" "$TMP/big.conf"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "# %070d\n", i }' >>"$TMP/big.conf"
refused "a config of more than 1 MiB" "big.conf: larger than 1 MiB (got " "$TINGLED" --check -c "$TMP/big.conf"

# --- numbers --------------------------------------------------------------
sed 's/^azimuth = right$/gain = 0x10/' "$TMP/clicks.conf" >"$TMP/hex.conf"
refused "a hexadecimal gain" "hex.conf:7: [input harp] gain: not a number (got '0x10'" \
	"$TINGLED" --check -c "$TMP/hex.conf"
sed 's/^azimuth = right$/azimuth = 1e39/' "$TMP/clicks.conf" >"$TMP/huge.conf"
refused "an azimuth beyond a float" "huge.conf:7: [input harp] azimuth: not an azimuth (got '1e39'" \
	"$TINGLED" --check -c "$TMP/huge.conf"

# --- the scenes folder ----------------------------------------------------
sed "s|^dir = .*|dir = $TMP/no-such-folder|; /^setlist/d" "$TMP/clicks.conf" >"$TMP/nodir.conf"
refused "a missing scenes dir" \
	"nodir.conf:4: [scenes] dir: does not exist (got '$TMP/no-such-folder', expected a directory of NAME.scene files)" \
	"$TINGLED" --check -c "$TMP/nodir.conf"
refused "a missing scenes dir, rendering" "nodir.conf:4: [scenes] dir: does not exist" \
	"$RENDER" -q -c "$TMP/nodir.conf" -d 0.1 -o "$TMP/x.wav"
sed "s|^dir = .*|dir = $TMP/clicks.conf|" "$TMP/clicks.conf" >"$TMP/filedir.conf"
refused "a file as scenes dir" "filedir.conf:4: [scenes] dir: not a directory" \
	"$TINGLED" --check -c "$TMP/filedir.conf"
mkdir "$TMP/empty"
sed "s|^dir = .*|dir = $TMP/empty|; /^setlist/d" "$TMP/clicks.conf" >"$TMP/empty.conf"
"$TINGLED" --check -c "$TMP/empty.conf" >"$TMP/out.txt" 2>&1 || fail "an empty scenes dir: $(cat "$TMP/out.txt")"
grep -q '^scenes: 0 checked' "$TMP/out.txt" || fail "an empty scenes dir: $(cat "$TMP/out.txt")"
pass "an empty scenes dir is a show without scenes"

# --- scene files ----------------------------------------------------------
mkfifo "$TMP/pipe.scene"
refused "a FIFO as scene (-s)" "pipe.scene: not a regular file (got a FIFO, expected a scene file)" \
	"$TINGLED" --check -c "$TMP/clicks.conf" -s "$TMP/pipe.scene"
mkdir "$TMP/fifos"
mkfifo "$TMP/fifos/pipe.scene"
sed "s|^dir = .*|dir = $TMP/fifos|; s|^setlist = .*|setlist = pipe|" "$TMP/clicks.conf" >"$TMP/fifos.conf"
refused "a FIFO in the setlist" "pipe.scene: not a regular file, got a FIFO" \
	"$TINGLED" --check -c "$TMP/fifos.conf"
long=$(awk 'BEGIN { for (i = 0; i < 20; i++) printf " click.wav" }')
sed "s|^samples = click.wav\$|samples =$long|" "$TMP/scenes/clicks.scene" >"$TMP/scenes/long.scene"
refused "an over-long samples line" "long.scene:7: line too long (got 209 characters" \
	"$TINGLED" --check -c "$TMP/clicks.conf" -s "$TMP/scenes/long.scene"

# --- sample files ---------------------------------------------------------
# sound_with FILE: a scene "s" in $TMP/scenes playing FILE
sound_with() {
	sed "s|^samples = click.wav\$|samples = $1|" "$TMP/scenes/clicks.scene" >"$TMP/scenes/s.scene"
}
mkfifo "$TMP/scenes/pipe.wav"
sound_with pipe.wav
refused "a FIFO as sample" "s.scene:7: [sound click] samples: not a regular file (got a FIFO matching 'pipe.wav'" \
	"$TINGLED" --check -c "$TMP/clicks.conf" -s "$TMP/scenes/s.scene"

# A 4 MB WAV whose header says 200 Hz (it took 84 s and 1.9 GB to load).
"$MKWAV" "$TMP/scenes/slow.wav" silence 5000 200
sound_with slow.wav
refused "a sample at 200 Hz" "slow.wav: sample rate 200 Hz is out of range (expected 8000..384000 Hz)" \
	"$TINGLED" --check -c "$TMP/clicks.conf" -s "$TMP/scenes/s.scene"
refused "a sample at 200 Hz, rendering" "slow.wav: sample rate 200 Hz is out of range" \
	"$RENDER" -q -c "$TMP/clicks.conf" -s "$TMP/scenes/s.scene" -d 0.1 -o "$TMP/x.wav"

# Longer than 10 minutes (FLAC: silence takes little room).
if "$MKWAV" "$TMP/scenes/long.flac" silence 601 8000 2>/dev/null; then
	sound_with long.flac
	refused "a sample of 601 s" "long.flac: 601 s long (4808000 frames at 8000 Hz), more than the 600 s a sample may last" \
		"$TINGLED" --check -c "$TMP/clicks.conf" -s "$TMP/scenes/s.scene"
fi
