#!/bin/sh
# The TouchOSC layout config/tingle.tosc: (a) tools/make-tosc makes it again
# byte for byte from the demo scenes and the shipped config, so the shipped
# file is never stale; (b) every message a control of it sends, at the
# minimum, maximum and middle of its scaled range, is taken by a running
# tingled (none is answered /error), each scene page's messages while that
# scene plays; (c) it has a trigger pad for every sound and an XY pad for
# every source of every demo scene, and a fader for every input.
. "${top_srcdir:-.}/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
LAYOUT="$top_srcdir/config/tingle.tosc"
[ -f "$LAYOUT" ] || fail "no $LAYOUT"

# (a) Regenerated, identical.
python3 "$top_srcdir/tools/make-tosc" -c "$top_srcdir/config/tingled.conf" -s "$top_srcdir/scenes" \
	-o "$TMP/tingle.tosc" || fail "tools/make-tosc failed"
if cmp -s "$TMP/tingle.tosc" "$LAYOUT"; then
	pass "tools/make-tosc makes config/tingle.tosc again, byte for byte"
elif python3 -c 'import sys, zlib
a, b = (zlib.decompress(open(f, "rb").read()) for f in sys.argv[1:])
sys.exit(a != b)' "$TMP/tingle.tosc" "$LAYOUT"; then
	# Same XML, compressed by another zlib build (zlib-ng, say).
	pass "tools/make-tosc makes config/tingle.tosc again (same XML; this zlib compresses it differently)"
else
	fail "config/tingle.tosc is stale: run tools/make-tosc and commit config/tingle.tosc"
fi

# The layout subscribes by itself: its root script sends /subscribe 9000,
# answers /token with /subscribe 9000 TOKEN and renews every 20 s.
python3 - "$LAYOUT" <<'EOF' || fail "the layout's root script does not subscribe"
import sys, zlib
import xml.etree.ElementTree as ET
root = ET.fromstring(zlib.decompress(open(sys.argv[1], "rb").read())).find("node")
script = [p.find("value").text for p in root.find("properties") if p.find("key").text == "script"][0]
for want in ("local PORT = 9000", "'/subscribe'", "message[1] == '/token'", "RENEW_MS = 20000"):
    assert want in script, want
EOF
pass "the layout's root script subscribes, answers the token and renews every 20 s"

# The layout read back: "scene NAME" opens a page's messages, "send PATH
# TYPES ARG..." is one message a control sends; globals first. Structure
# errors go to stderr and end the program with status 1.
python3 - "$LAYOUT" "$top_srcdir/scenes" "$top_srcdir/config/tingled.conf" >"$TMP/sends.txt" <<'EOF' ||
import os, re, sys, zlib
import xml.etree.ElementTree as ET

tosc, scenes_dir, conf = sys.argv[1:]
root = ET.fromstring(zlib.decompress(open(tosc, "rb").read()))
if root.tag != "lexml" or root.get("version") != "3":
    sys.exit("not a TouchOSC document: <%s version=%s>" % (root.tag, root.get("version")))

def props(node):
    out = {}
    for p in node.findall("properties/property"):
        v = p.find("value")
        out[p.findtext("key")] = v.text if len(v) == 0 else {c.tag: c.text for c in v}
    return out

def sends(node):
    """(path, [(type, [values])]) of each OSC message the control sends."""
    pr = props(node)
    out = []
    for osc in node.findall("messages/osc"):
        if osc.findtext("enabled") != "1" or osc.findtext("send") != "1":
            continue
        path = ""
        for part in osc.findall("path/partial"):
            kind, value = part.findtext("type"), part.findtext("value") or ""
            path += value if kind == "CONSTANT" else str(pr.get(value, "")) if kind == "PROPERTY" else "?"
        args = []
        for a in osc.findall("arguments/partial"):
            kind, conv, value = a.findtext("type"), a.findtext("conversion"), a.findtext("value") or ""
            lo, hi = float(a.findtext("scaleMin")), float(a.findtext("scaleMax"))
            t = {"FLOAT": "f", "INTEGER": "i", "STRING": "s", "BOOLEAN": "i"}.get(conv, "?")
            if kind == "VALUE" and t in "fi":
                vals = [lo, hi, (lo + hi) / 2]
            elif kind == "CONSTANT":
                vals = [value] * 3
            else:
                vals = [str(pr.get(value, ""))] * 3
            if t == "i":
                vals = [int(round(float(v))) for v in vals]
            args.append((t, vals))
        out.append((path, args))
    return out

def walk(node, page, pages, found):
    kind = node.get("type")
    for path, args in sends(node):
        found.setdefault(page, []).append((kind, path, args))
    for c in node.findall("children/node"):
        if kind == "PAGER":
            name = props(c).get("name")
            pages.append(name)
            walk(c, name, pages, found)
        else:
            walk(c, page, pages, found)

pages, found = [], {}
walk(root.find("node"), None, pages, found)

def sections(path, kind):
    out = []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*\[\s*%s\s+([^\]\s]+)\s*\]" % kind, line)
        if m:
            out.append(m.group(1))
    return out

errors = []
for f in sorted(os.listdir(scenes_dir)):
    if not f.endswith(".scene"):
        continue
    scene = f[:-len(".scene")]
    if scene not in pages:
        errors.append("no page for scene %s" % scene)
        continue
    have = found.get(scene, [])
    for snd in sections(os.path.join(scenes_dir, f), "sound"):
        if not any(k == "BUTTON" and p == "/trigger/" + snd and len(a) == 1 for k, p, a in have):
            errors.append("scene %s: no trigger pad for sound %s" % (scene, snd))
    for src in sections(os.path.join(scenes_dir, f), "source"):
        if not any(k == "XY" and p == "/source/%s/xy" % src and len(a) == 2 for k, p, a in have):
            errors.append("scene %s: no XY pad for source %s" % (scene, src))
every = [m for ms in found.values() for m in ms]
for inp in sections(conf, "input"):
    if not any(k == "FADER" and p == "/input/%s/gain" % inp for k, p, a in every):
        errors.append("no fader for input %s" % inp)
for p in ("/master/gain", "/scene/prev", "/scene/next", "/panic"):
    if not any(q == p for k, q, a in every):
        errors.append("no control sends %s" % p)
if errors:
    sys.exit("\n".join(errors))

for page in [None] + pages:
    if page is not None:
        print("scene", page)
    for kind, path, args in found.get(page, []):
        for i in range(3):
            print("send", path, "".join(t for t, v in args), *[("%g" % v[i]) if t == "f" else v[i] for t, v in args])
EOF
	fail "the layout lacks controls"
pages=$(grep -c '^scene ' "$TMP/sends.txt" || true)
msgs=$(grep -c '^send ' "$TMP/sends.txt" || true)
pass "a trigger pad per sound and an XY pad per source on each of the $pages scene pages, a fader per input"

# (b) Every message sent to tingled running the shipped configuration.
sed "s|^dir =\$|dir = $top_srcdir/scenes|" "$top_srcdir/config/tingled.conf" >"$TMP/shipped.conf"
start_jackd
start_tingled -c "$TMP/shipped.conf" --no-connect

# playing: the scene tingled switched to last.
playing() { sed -n 's/.*scene \([A-Za-z0-9_-]*\)$/\1/p' "$TMP/tingled.log" | tail -n 1; }

refused=0
while read -r what a b; do
	case "$what" in
	scene)
		"$OSC_ASK" "$OSC_PORT" /scene s "$a" -t 0
		i=0
		until [ "$(playing)" = "$a" ] || [ $i -ge 250 ]; do sleep 0.02; i=$((i + 1)); done
		[ "$(playing)" = "$a" ] || fail "scene $a did not start (playing: $(playing))"
		;;
	send)
		# shellcheck disable=SC2086
		if out=$("$OSC_ASK" "$OSC_PORT" "$a" $b -t 250); then
			case "$out" in
			/error*)
				echo "refused: $a $b: $out"
				refused=$((refused + 1))
				;;
			esac
		fi
		;;
	esac
done <"$TMP/sends.txt"
kill -0 "$TINGLED_PID" || fail "tingled died"
[ "$refused" -eq 0 ] || fail "tingled refused $refused of the $msgs messages the layout sends"
pass "tingled takes all $msgs messages the layout sends (minimum, maximum and middle of each)"
