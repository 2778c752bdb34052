# Shared by the test scripts: temp dir, clean-up, a private JACK server,
# a running tingled, and numbers from wavstat. Source it, don't run it.
set -eu

# JACK keeps its servers in a registry in /dev/shm with room for a few
# only, and entries of servers that died can look alive once their PIDs are
# reused. Where we may (root, as in CI), each test runs in its own mount
# namespace with a private /dev/shm: a JACK world of its own, whatever else
# runs on the machine.
if [ -z "${TINGLE_TEST_NS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	unshare -m true 2>/dev/null; then
	TINGLE_TEST_NS=1
	export TINGLE_TEST_NS
	exec unshare -m sh -c 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm && exec sh "$@"' sh "$0" "$@"
fi

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
TINGLED="$top_builddir/tingled"
RENDER="$top_builddir/tingle-render"
WAVSTAT="$top_builddir/tests/wavstat"
MKWAV="$top_builddir/tests/mkwav"
PROBE="$top_builddir/tests/jack_probe"
OSC_ASK="$top_builddir/tests/osc_ask"
DATA="$top_srcdir/tests/data"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tingle-test.XXXXXX")

# The tests use this tree's files, whatever is installed: every tingled
# and tingle-render gets -c, never a config of the user's
# ($XDG_CONFIG_HOME, ~/.config) or of an installed tingle
# ($(sysconfdir)/tingle), and every test config names its [scenes] dir,
# never the compiled-in default, where an installed tingle keeps its demo
# scenes. NO_SCENES is an empty one (tests/data/two-inputs.conf says
# "dir = no-scenes": tests/data/no-scenes, or this one for a copy in $TMP).
XDG_CONFIG_HOME="$TMP/config"
export XDG_CONFIG_HOME
unset TINGLE_DATADIR
NO_SCENES="$TMP/no-scenes"
mkdir "$NO_SCENES"
# The offline tests (tingle-render, checks) yield the processor to the
# real-time ones that may run beside them (make -j): a dummy JACK server
# has no real-time priority, and a render hogging a core would make it
# drop cycles.
case $(basename "$0") in
render_* | daemon_* | layout*) renice -n 10 -p $$ >/dev/null 2>&1 || true ;;
esac
JACKD_PID=
TINGLED_PID=

cleanup() {
	status=$?
	if [ -n "$TINGLED_PID" ] && kill -0 "$TINGLED_PID" 2>/dev/null; then
		kill -KILL "$TINGLED_PID" 2>/dev/null || true
	fi
	if [ -n "$JACKD_PID" ]; then
		kill -TERM "$JACKD_PID" 2>/dev/null || true
		wait "$JACKD_PID" 2>/dev/null || true
	fi
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		for f in "$TMP"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f"
			tail -n 40 "$f"
		done
	fi
	rm -rf "$TMP"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "ok: $*"; }

# wavnum FILE KEY [FROM TO]: one number from wavstat
wavnum() {
	"$WAVSTAT" "$1" ${3:-} ${4:-} | sed -n "s/^$2=//p"
}

# expect 'EXPRESSION' 'what it means': an awk condition that must hold
expect() {
	if awk "BEGIN { exit !($1) }"; then
		pass "$2 ($1)"
	else
		fail "$2 ($1)"
	fi
}

# A private dummy JACK server, 48 kHz, 128 frames. Its name is exported so
# every client of this test finds it.
start_jackd() {
	command -v "${JACKD:-jackd}" >/dev/null 2>&1 || skip "jackd not installed"
	JACK_DEFAULT_SERVER="tingle-test-$$-${RANDOM:-0}"
	export JACK_DEFAULT_SERVER
	JACK_NO_AUDIO_RESERVATION=1
	export JACK_NO_AUDIO_RESERVATION
	"${JACKD:-jackd}" --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 128 \
		>"$TMP/jackd.log" 2>&1 &
	JACKD_PID=$!
	if ! jack_wait -w -s "$JACK_DEFAULT_SERVER" -t 15 >/dev/null 2>&1; then
		if grep -q "Too many servers" "$TMP/jackd.log"; then
			fail "jackd refused: JACK's server registry in /dev/shm is full (stale entries of" \
				"servers that died); with no JACK server running, remove /dev/shm/jack* and retry"
		fi
		fail "jackd did not come up: $(cat "$TMP/jackd.log")"
	fi
}

# start_tingled ARGS...: runs tingled on the private server with an
# ephemeral OSC port, waits for its ports and learns OSC_PORT from its log.
start_tingled() {
	"$TINGLED" -S "$JACK_DEFAULT_SERVER" -p 0 "$@" >"$TMP/tingled.log" 2>&1 &
	TINGLED_PID=$!
	"$PROBE" --wait-port "${TINGLE_NAME:-tingle}:out_R" 20 ||
		fail "tingled did not register its ports"
	OSC_PORT=
	i=0
	while [ -z "$OSC_PORT" ] && [ $i -lt 200 ]; do
		OSC_PORT=$(sed -n 's/.*listening for OSC on UDP port \([0-9]*\).*/\1/p' "$TMP/tingled.log" | tail -n 1)
		[ -n "$OSC_PORT" ] || { kill -0 "$TINGLED_PID" 2>/dev/null || fail "tingled died"; sleep 0.05; }
		i=$((i + 1))
	done
	[ -n "$OSC_PORT" ] || fail "tingled did not say its OSC port"
}

# probe_strict ARGS...: a probe recording that must measure timing or level:
# run again (up to eight times, a moment apart) when an xrun or a lost
# cycle of a loaded machine fell inside it; the ninth is taken as it comes
# (a sanitizer build may never keep up: its figures are then checked as
# they are). Its stdout is the probe's.
probe_strict() {
	n=0
	while [ $n -lt 8 ]; do
		"$PROBE" --strict "$@" && return 0
		rc=$?
		[ $rc -eq 3 ] || return $rc
		n=$((n + 1))
		echo "(the recording had an xrun: recording again)" >&2
		sleep 0.5
	done
	echo "(xruns in every recording: measuring the last one as it is)" >&2
	"$PROBE" "$@"
}

# record_around OUT.wav SECONDS CMD...: records tingle:out_L/R into OUT.wav
# for SECONDS (after 0.1 s) while CMD runs half a second in; recorded again
# as probe_strict does when an xrun fell inside.
record_around() {
	ra_out=$1
	ra_secs=$2
	shift 2
	ra_n=0
	ra_strict=--strict
	while :; do
		"$PROBE" $ra_strict --capture tingle:out_L tingle:out_R "$ra_secs" "$ra_out" --skip 0.1 &
		ra_pid=$!
		sleep 0.5
		"$@" || { wait "$ra_pid" || true; return 1; }
		ra_rc=0
		wait "$ra_pid" || ra_rc=$?
		[ $ra_rc -eq 0 ] && return 0
		[ $ra_rc -eq 3 ] || return $ra_rc
		ra_n=$((ra_n + 1))
		echo "(the recording had an xrun: recording again)" >&2
		[ $ra_n -lt 8 ] || ra_strict=
		sleep 0.5
	done
}

# wait_exit PID SECONDS: waits for PID to end within SECONDS; sets EXIT_STATUS.
wait_exit() {
	i=0
	limit=$(awk "BEGIN { print int($2 * 50) }")
	while kill -0 "$1" 2>/dev/null && [ $i -lt "$limit" ]; do
		sleep 0.02
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		EXIT_STATUS=timeout
		return 1
	fi
	EXIT_STATUS=0
	wait "$1" || EXIT_STATUS=$?
	return 0
}

# clicks_setup: a scene folder in $TMP/scenes with scene "clicks" (a
# one-sample click from straight ahead on note 60), and $TMP/clicks.conf
# pointing at it. The click makes onsets exact to the frame.
clicks_setup() {
	mkdir -p "$TMP/scenes"
	"$MKWAV" "$TMP/scenes/click.wav" click 0.05 48000 0.5
	cat >"$TMP/scenes/clicks.scene" <<EOS
[scene]
fade = 0.1
[source front]
azimuth = 0
distance = 1
[sound click]
samples = click.wav
note = 60
source = front
velocity = 0
EOS
	cat >"$TMP/clicks.conf" <<EOC
[engine]
sources = 8
[scenes]
dir = $TMP/scenes
setlist = clicks
[input harp]
azimuth = right
EOC
}

# first_onset FILE FROM_S TO_S: first frame above -60 dBFS in the range
first_onset() {
	wavnum "$1" onset_l "$2" "$3"
}
