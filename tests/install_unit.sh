#!/bin/sh
# The systemd user unit: config/tingled.service, as make builds it, starts
# after the user's audio servers (PipeWire, WirePlumber, pipewire-pulse,
# JACK) without pulling them in, through tingled-launch, restarting on
# failure but not on a configuration error; make install DESTDIR=...
# puts it in the folder configure chose (SYSTEMDUSERUNITDIR), and
# tingled-launch next to it in PKGLIBEXECDIR. tingled-launch takes a JACK
# server that answers, else this user's PipeWire through pw-jack, else
# plain tingled (programs of the test's own stand in for jack_wait,
# jack_lsp, pw-jack and tingled).
. "${top_srcdir:-.}/tests/lib.sh"
[ -n "${SYSTEMDUSERUNITDIR:-}" ] || skip "configured --with-systemduserunitdir=no: no unit to install"
unit=$top_builddir/config/tingled.service
launch=$top_builddir/config/tingled-launch
[ -f "$unit" ] && [ -x "$launch" ] || fail "make built no $unit and $launch"

# ---- the unit
after=$(sed -n 's/^After=//p' "$unit")
for u in pipewire.service pipewire-pulse.service wireplumber.service jack.service; do
	case " $after " in *" $u "*) ;; *) fail "After= lacks $u: After=$after" ;; esac
done
pass "After=$after"
grep -q '^Requires=\|^BindsTo=' "$unit" && fail "the unit requires an audio server: $(grep '^Requires=\|^BindsTo=' "$unit")"
grep -qx "ExecStart=$PKGLIBEXECDIR/tingled-launch" "$unit" ||
	fail "ExecStart= is not $PKGLIBEXECDIR/tingled-launch: $(grep '^ExecStart=' "$unit")"
grep -qx 'Restart=on-failure' "$unit" || fail "no Restart=on-failure"
grep -qx 'RestartPreventExitStatus=2' "$unit" || fail "a configuration error (exit 2) would be restarted"
grep -q '@[a-z]*@' "$unit" "$launch" && fail "an unsubstituted @...@: $(grep -h '@[a-z]*@' "$unit" "$launch")"
pass "ExecStart=$PKGLIBEXECDIR/tingled-launch, Restart=on-failure, not after exit 2"

# ---- make install DESTDIR=...: the folder configure chose
dest=$TMP/dest
(unset MAKEFLAGS MFLAGS MAKELEVEL; make -s -C "$top_builddir" install-systemduserunitDATA install-pkglibexecSCRIPTS \
	DESTDIR="$dest") >"$TMP/install.log" 2>&1 || fail "make install failed: $(cat "$TMP/install.log")"
cmp -s "$unit" "$dest$SYSTEMDUSERUNITDIR/tingled.service" ||
	fail "no tingled.service in $SYSTEMDUSERUNITDIR: $(find "$dest" -type f)"
[ -x "$dest$PKGLIBEXECDIR/tingled-launch" ] || fail "no tingled-launch in $PKGLIBEXECDIR: $(find "$dest" -type f)"
[ "$(find "$dest" -type f | wc -l)" -eq 2 ] || fail "more than the unit and tingled-launch: $(find "$dest" -type f)"
pass "make install DESTDIR=... puts the unit in $SYSTEMDUSERUNITDIR, tingled-launch in $PKGLIBEXECDIR"

# ---- tingled-launch's choice. The stand-ins: jack_wait says "running"
# when FAKE_JACK=yes; pw-jack marks its command as run through it;
# jack_lsp and pw-cli answer only under pw-jack and when FAKE_PW=yes;
# tingled prints how it was started.
fake=$TMP/fake
mkdir -p "$fake"
cat >"$fake/jack_wait" <<'EOS'
#!/bin/sh
if [ "${FAKE_JACK:-}" = yes ]; then echo running; else echo "not running"; fi
EOS
cat >"$fake/pw-jack" <<'EOS'
#!/bin/sh
UNDER_PW_JACK=yes exec "$@"
EOS
cat >"$fake/jack_lsp" <<'EOS'
#!/bin/sh
[ "${UNDER_PW_JACK:-}" = yes ] && [ "${FAKE_PW:-}" = yes ]
EOS
cp "$fake/jack_lsp" "$fake/pw-cli"
cat >"$fake/tingled" <<'EOS'
#!/bin/sh
echo "tingled pw-jack=${UNDER_PW_JACK:-no} args=$*"
EOS
chmod +x "$fake"/*
sed "s|^tingled=.*|tingled='$fake/tingled'|" "$launch" >"$TMP/launch"
launch_with() { env PATH="$fake:$PATH" "$@" sh "$TMP/launch" -c show.conf 2>"$TMP/launch.err"; }

out=$(launch_with FAKE_JACK=yes FAKE_PW=yes)
[ "$out" = "tingled pw-jack=no args=-c show.conf" ] || fail "with a JACK server that answers: $out"
grep -q "the JACK server .* answers" "$TMP/launch.err" || fail "no word of the JACK server: $(cat "$TMP/launch.err")"
pass "a JACK server answers: plain tingled ($(cat "$TMP/launch.err"))"
out=$(launch_with FAKE_JACK=no FAKE_PW=yes PIPEWIRE_QUANTUM=64/48000)
[ "$out" = "tingled pw-jack=yes args=-c show.conf" ] || fail "with this user's PipeWire answering: $out"
grep -q "PipeWire answers: starting tingled through pw-jack (PIPEWIRE_QUANTUM=64/48000)" "$TMP/launch.err" ||
	fail "no word of PipeWire: $(cat "$TMP/launch.err")"
pass "this user's PipeWire answers: tingled through pw-jack ($(cat "$TMP/launch.err"))"
out=$(launch_with FAKE_JACK=no FAKE_PW=no)
[ "$out" = "tingled pw-jack=no args=-c show.conf" ] || fail "with no server answering: $out"
pass "nothing answers (a pipewire that is not this user's): plain tingled ($(cat "$TMP/launch.err"))"
