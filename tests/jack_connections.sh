#!/bin/sh
# Connections belong to the user. tingled with [jack] autoconnect connects
# its ports once, at start; a connection the user then removes does not
# come back on SIGHUP, one the user keeps stays, and the reload connects
# only the port it makes for a new [input]. Under a session manager (NSM)
# nothing is connected automatically, and the log says so once.
. "${top_srcdir:-.}/tests/lib.sh"
start_jackd

cat >"$TMP/conn.conf" <<EOC
[jack]
autoconnect = yes
[engine]
sources = 8
[scenes]
dir = $NO_SCENES
[input harp]
port = system:capture_1
EOC

# connected A B: whether jack_lsp -c lists B under A
connected() {
	jack_lsp -c "$1" | sed -n '2,$p' | grep -qx "[[:space:]]*$2"
}
# wait_log PATTERN N: until the log has N lines matching (10 s)
wait_log() {
	i=0
	while [ "$(grep -c "$1" "$TMP/tingled.log" || true)" -lt "$2" ] && [ $i -lt 200 ]; do
		kill -0 "$TINGLED_PID" 2>/dev/null || fail "tingled died"
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(grep -c "$1" "$TMP/tingled.log" || true)" -ge "$2" ] || fail "never saw '$1' in the log"
}

start_tingled -c "$TMP/conn.conf"
wait_log "connected tingle:out_R to" 1
connected system:capture_1 tingle:in_harp || fail "in_harp not connected at start: $(jack_lsp -c)"
connected tingle:out_L system:playback_1 || fail "out_L not connected at start: $(jack_lsp -c)"
connected tingle:out_R system:playback_2 || fail "out_R not connected at start: $(jack_lsp -c)"
pass "at start: in_harp from system:capture_1, out_L and out_R to the playback ports"

# The user takes two connections apart, keeps out_R's, and adds an input.
jack_disconnect system:capture_1 tingle:in_harp || fail "jack_disconnect in_harp"
jack_disconnect tingle:out_L system:playback_1 || fail "jack_disconnect out_L"
cat >>"$TMP/conn.conf" <<EOC
[input bowl]
port = system:capture_2
EOC
kill -HUP "$TINGLED_PID"
wait_log "reloaded" 1
"$PROBE" --wait-port tingle:in_bowl 5 || fail "no in_bowl after the reload"
! connected system:capture_1 tingle:in_harp || fail "the reload connected in_harp again"
! connected tingle:out_L system:playback_1 || fail "the reload connected out_L again"
pass "a reload does not bring back the connections the user removed"
connected tingle:out_R system:playback_2 || fail "out_R lost its connection"
connected system:capture_2 tingle:in_bowl || fail "the new in_bowl was not connected: $(jack_lsp -c)"
pass "the connection kept stays; the new input's port is connected"

# A second SIGHUP with nothing new connects nothing.
before=$(grep -c "connected " "$TMP/tingled.log" || true)
kill -HUP "$TINGLED_PID"
wait_log "reloaded" 2
after=$(grep -c "connected " "$TMP/tingled.log" || true)
expect "$after == $before" "a reload with no new input makes no connection"
kill -TERM "$TINGLED_PID"
wait_exit "$TINGLED_PID" 5
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
TINGLED_PID=

# Under NSM: no automatic connection, said once.
NSM="$top_builddir/tests/nsm_server"
mkdir -p "$TMP/session"
"$NSM" "$TMP/nsm.log" "$TMP/session/tingle.nCONN" nCONN &
NSM_PID=$!
trap 'rc=$?; kill "$NSM_PID" 2>/dev/null || true; (exit $rc); cleanup' EXIT
i=0
while ! grep -q '^url' "$TMP/nsm.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
NSM_URL=$(sed -n 's/^url //p' "$TMP/nsm.log")
[ -n "$NSM_URL" ] || fail "the NSM server did not start"
export NSM_URL
TINGLE_NAME=nCONN
export TINGLE_NAME
start_tingled -c "$TMP/conn.conf"
i=0
while ! grep -q '^reply /nsm/client/open ok' "$TMP/nsm.log" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
grep -q '^reply /nsm/client/open ok' "$TMP/nsm.log" || fail "the session did not open: $(cat "$TMP/nsm.log")"
kill -HUP "$TINGLED_PID"
wait_log "reloaded" 1
ports=0
for p in $(jack_lsp nCONN:); do
	ports=$((ports + 1))
	[ "$(jack_lsp -c "$p" | wc -l)" -eq 1 ] || fail "under NSM $p is connected: $(jack_lsp -c "$p")"
done
expect "$ports >= 4" "under NSM none of nCONN's $ports ports is connected, after start and a reload"
said=$(grep -c "no automatic connections" "$TMP/tingled.log" || true)
expect "$said == 1" "the log says once that a session makes no connections"
! grep -q "connected " "$TMP/tingled.log" || fail "under NSM: $(grep "connected " "$TMP/tingled.log")"
