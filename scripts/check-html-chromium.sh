#!/usr/bin/env bash
# schedprof's HTML report in headless Chromium: the page loads, every
# chart on it renders, and it reads at a narrow width.
#
#   scripts/check-html-chromium.sh [--screenshot FILE.png] [--width PX]
#                                  [--expect-title TEXT]... OUTDIR
#
# OUTDIR is a `schedprof report -o OUTDIR`. A wrapper page, made in a fresh
# temporary directory, loads OUTDIR/index.html in two iframes, 1280 and
# 800 px wide, and once they have loaded looks, in each, at:
# - every chart (the inline <svg> of each div.chart): laid out, and drawn:
#   serialized and rasterized on a canvas, it has ink (a blank or broken
#   SVG has none); their number is checked against index.html's;
# - the page's width: document.scrollingElement.scrollWidth is at most the
#   iframe's (no sideways scrolling: wide tables scroll in their own box);
# - each loop's timeline and depth charts: the left and right edges of
#   their plotting areas on the screen (gnuplot's border: the first closed
#   rectangle path of each SVG), equal within 1 px;
# - each idle loop (div.loop.idle): its section, 200 px tall at most;
# - the hover texts: how many <title> elements of drawn chart elements
#   there are (at least one), and that each --expect-title TEXT is one
#   of them, exactly.
# It writes what it found as JSON into its own DOM, which `chromium
# --headless --dump-dom` prints, and python3 judges it. --screenshot also
# saves the whole report as it renders, --width PX wide (default 1280).
#
# Chromium: Debian's package (apt-get install chromium), run with a new
# profile each time, no sandbox (root), no GPU, no network of its own.
# Prints one line: what passed and how long Chromium took, or what failed.
# Exit status 0 if the page and every chart render and every check holds,
# 1 if not (or no chromium), 2 for bad usage.
set -uo pipefail

usage() {
	echo "usage: $0 [--screenshot FILE.png] [--width PX] [--expect-title TEXT]... OUTDIR (a schedprof report -o OUTDIR)" >&2
	exit 2
}
shot=
shot_w=1280
titles=()
while [ $# -gt 0 ]; do
	case $1 in
	--screenshot)
		[ $# -ge 2 ] || usage
		shot=$2
		shift 2
		;;
	--width)
		[ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage
		shot_w=$2
		shift 2
		;;
	--expect-title)
		[ $# -ge 2 ] || usage
		titles+=("$2")
		shift 2
		;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
if [ ! -s "$1/index.html" ]; then
	echo "check-html-chromium: no $1/index.html" >&2
	exit 2
fi
dir=$(cd "$1" && pwd) || exit 2

chromium=$(command -v chromium || command -v chromium-browser) || {
	echo "check-html-chromium: chromium not found: install chromium" >&2
	exit 1
}
command -v python3 >/dev/null 2>&1 || {
	echo "check-html-chromium: python3 not found" >&2
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-html-chromium.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# file:// URL of a path: every byte but [A-Za-z0-9/._~-] percent-encoded
# (also makes it safe inside an HTML attribute).
file_url() {
	local LC_ALL=C s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf 'file://%s' "$out"
}
report_url=$(file_url "$dir/index.html")

# The titles expected, as a JSON array (a JS literal: <, > and & escaped,
# so that no text can close the script).
expect_json=$(python3 -c 'import json, sys
print(json.dumps(sys.argv[1:]).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))' ${titles[@]+"${titles[@]}"})

# The wrapper. The string the result is recognised by is put together at
# run time, so that the page's own script never matches it.
cat >"$tmp/check.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>check</title></head>
<body style="margin:0">
<pre id="result">NO-RESULT</pre>
<iframe id="wide" src="$report_url" style="width:1280px;height:2000px;border:0"></iframe>
<iframe id="narrow" src="$report_url" style="width:800px;height:2000px;border:0"></iframe>
<script>
var EXPECT = $expect_json;
var MARK = 'CHECK' + '-RESULT ';
function say(s) { document.getElementById('result').textContent = s; }
var timer = setTimeout(function () {
	say(MARK + JSON.stringify({views: [{error: 'the report did not load'}]}));
}, 8000);
/* How many dark pixels an inline SVG has once rasterized (a promise; -1
 * if it cannot be drawn). */
function ink(svg) {
	return new Promise(function (done) {
		var xml = new XMLSerializer().serializeToString(svg);
		var url = URL.createObjectURL(new Blob([xml],
			{type: 'image/svg+xml'}));
		var im = new Image();
		im.onload = function () {
			var c = document.createElement('canvas'), g, px, n = 0, i;
			c.width = im.naturalWidth || 1;
			c.height = im.naturalHeight || 1;
			try {
				g = c.getContext('2d');
				g.drawImage(im, 0, 0);
				px = g.getImageData(0, 0, c.width, c.height).data;
			} catch (e) {
				done(-1);
				return;
			}
			for (i = 0; i < px.length; i += 4)
				if (px[i + 3] > 0 && (px[i] < 160 ||
				    px[i + 1] < 160 || px[i + 2] < 160))
					n++;
			URL.revokeObjectURL(url);
			done(n);
		};
		im.onerror = function () { done(-1); };
		im.src = url;
	});
}
/* The screen edges of a chart's plotting area: its first closed rectangle
 * path (gnuplot draws the border before any plot). */
var RECT = /^M([-0-9.]+),([-0-9.]+) L\1,([-0-9.]+) L([-0-9.]+),\3 L\4,\2 L\1,\2 Z/;
function plotBox(svg) {
	var ps = svg.querySelectorAll('path'), i, r;
	for (i = 0; i < ps.length; i++)
		if (RECT.test((ps[i].getAttribute('d') || '').trim())) {
			r = ps[i].getBoundingClientRect();
			return {left: r.left, right: r.right};
		}
	return null;
}
function look(frame) {
	var d = frame.contentDocument, out = {}, charts, ts, i, t, r;
	if (!d || !d.body || !d.querySelector('h1'))
		return Promise.resolve({error: 'no report in the page (title "' +
			(d ? d.title : '') + '")'});
	out.width = frame.clientWidth;
	out.scrollWidth = d.scrollingElement.scrollWidth;
	out.height = d.scrollingElement.scrollHeight;
	out.align = [];
	out.idle = [];
	d.querySelectorAll('div.loop').forEach(function (loop) {
		var tl = loop.querySelector('div.chart.timeline svg');
		var dp = loop.querySelector('div.chart.depth svg');
		if (loop.classList.contains('idle'))
			out.idle.push({loop: loop.id,
				height: loop.getBoundingClientRect().height});
		else if (tl && dp)
			out.align.push({loop: loop.id, timeline: plotBox(tl),
				depth: plotBox(dp)});
	});
	/* Hover texts: the <title> of an element drawn with a size. */
	ts = d.querySelectorAll('div.chart svg g > title');
	out.titles = 0;
	out.found = EXPECT.map(function () { return false; });
	for (i = 0; i < ts.length; i++) {
		t = ts[i].textContent;
		r = ts[i].parentNode.getBoundingClientRect();
		if (!(r.width > 0 && r.height > 0))
			continue;
		out.titles++;
		EXPECT.forEach(function (e, k) {
			if (t === e)
				out.found[k] = true;
		});
	}
	charts = d.querySelectorAll('div.chart');
	out.charts = charts.length;
	return Promise.all(Array.prototype.map.call(charts, function (ch) {
		var svg = ch.querySelector('svg'), name, b;
		name = ch.getAttribute('data-src') || ch.className;
		if (!svg)
			return Promise.resolve(name + ' (no svg)');
		b = svg.getBoundingClientRect();
		if (!(b.width > 0 && b.height > 0))
			return Promise.resolve(name + ' (not laid out)');
		return ink(svg).then(function (n) {
			if (n < 0)
				return name + ' (cannot be drawn)';
			return n < 100 ? name + ' (blank: ' + n +
				' dark pixels)' : '';
		});
	})).then(function (why) {
		out.broken = why.filter(function (w) { return w; });
		return out;
	});
}
var loaded = 0;
function onload() {
	var frames;
	if (++loaded < 2)
		return;
	clearTimeout(timer);
	frames = [document.getElementById('wide'),
		  document.getElementById('narrow')];
	Promise.all(frames.map(function (f) {
		try {
			return look(f);
		} catch (e) {
			return Promise.resolve({error: 'cannot read the report: ' + e});
		}
	})).then(function (res) {
		say(MARK + JSON.stringify({expect: EXPECT, views: res}));
	});
}
document.getElementById('wide').addEventListener('load', onload);
document.getElementById('narrow').addEventListener('load', onload);
</script>
</body></html>
EOF

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update
       --disable-sync --hide-scrollbars --run-all-compositor-stages-before-draw
       --virtual-time-budget=5000)

start=$(date +%s.%N)
rc=0
timeout -k 5 120 "$chromium" "${flags[@]}" --user-data-dir="$tmp/profile" \
	--allow-file-access-from-files --dump-dom "$(file_url "$tmp/check.html")" \
	>"$tmp/dom.html" 2>"$tmp/chromium.log" || rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
result=$(sed -n 's:.*<pre id="result">\([^<]*\)</pre>.*:\1:p' "$tmp/dom.html")

fail() {
	echo "check-html-chromium: $*" >&2
	# What chromium said, less the noise of a machine without D-Bus.
	local said
	said=$(grep -v -e 'dbus' -e 'unexpected operator' -e '^$' \
		"$tmp/chromium.log" 2>/dev/null | tail -n 5)
	if [ -n "$said" ]; then
		echo "check-html-chromium: chromium's last messages:" >&2
		sed -e 's/^/    /' <<<"$said" >&2
	fi
	exit 1
}
[ "$rc" -eq 0 ] || fail "chromium exited with status $rc after ${secs} s"
case $result in
"CHECK-RESULT "*) ;;
"") fail "no result in the page chromium dumped (${secs} s)" ;;
*) fail "$result" ;;
esac
want=$(grep -o '<div class="chart ' "$dir/index.html" | wc -l)
# The judgement: one line of what held, or what did not.
verdict=$(python3 - "$want" "${result#CHECK-RESULT }" <<'PY'
import html, json, sys
want, r = int(sys.argv[1]), json.loads(html.unescape(sys.argv[2]))
bad = []
for v in r["views"]:
    if "error" in v:
        bad.append(v["error"])
        continue
    w = v["width"]
    if v["charts"] != want:
        bad.append("%d px: %d charts laid out, index.html has %d" % (w, v["charts"], want))
    if want == 0 and not v["idle"]:
        bad.append("the report shows no chart")
    for b in v["broken"]:
        bad.append("%d px: chart %s" % (w, b))
    if v["scrollWidth"] > w:
        bad.append("%d px wide: the page scrolls sideways (scrollWidth %d)" % (w, v["scrollWidth"]))
    for a in v["align"]:
        t, d = a["timeline"], a["depth"]
        if not t or not d:
            bad.append("%d px: %s: no plotting area found in its %s chart" % (w, a["loop"], "depth" if t else "timeline"))
        elif abs(t["left"] - d["left"]) > 1 or abs(t["right"] - d["right"]) > 1:
            bad.append("%d px: %s: the timeline's plotting area spans x %.1f to %.1f, the depth chart's %.1f to %.1f" % (w, a["loop"], t["left"], t["right"], d["left"], d["right"]))
    for i in v["idle"]:
        if i["height"] > 200:
            bad.append("%d px: idle %s is %.0f px tall (200 at most)" % (w, i["loop"], i["height"]))
    if want and v["titles"] == 0:
        bad.append("%d px: no chart element has a <title>" % w)
    for e, f in zip(r["expect"], v["found"]):
        if not f:
            bad.append("%d px: no drawn element has the title %r" % (w, e))
if bad:
    print("FAIL " + "; ".join(bad[:6]))
    sys.exit(0)
n = r["views"][1]
dx = max([max(abs(a["timeline"]["left"] - a["depth"]["left"]), abs(a["timeline"]["right"] - a["depth"]["right"])) for v in r["views"] for a in v["align"]] or [0])
print("OK index.html loads and its %d charts render (%d hover titles%s); at 800 px no sideways scrolling (scrollWidth %d)%s%s" % (
    want, n["titles"],
    "" if not r["expect"] else ", the %d expected among them" % len(r["expect"]),
    n["scrollWidth"],
    "" if not n["align"] else "; timeline and depth plotting areas within %.2f px" % dx,
    "" if not n["idle"] else "; idle loop sections %s px tall" % "/".join("%.0f" % i["height"] for i in n["idle"])))
PY
) || fail "could not judge the result"
case $verdict in
"OK "*) ;;
*) fail "${verdict#FAIL }" ;;
esac

if [ -n "$shot" ]; then
	# The whole page: its height as the check measured it at 1280 px, or
	# at 800 px for a screenshot that narrow or narrower (capped).
	h=$(python3 -c 'import html, json, sys; r = json.loads(html.unescape(sys.argv[1])); print(r["views"][0 if int(sys.argv[2]) > 800 else 1]["height"])' "${result#CHECK-RESULT }" "$shot_w" 2>/dev/null)
	h=${h:-2000}
	[ "$h" -le 16000 ] || h=16000
	timeout -k 5 120 "$chromium" "${flags[@]}" --user-data-dir="$tmp/profile2" \
		--window-size="$shot_w","$h" --screenshot="$shot" "$report_url" \
		>/dev/null 2>>"$tmp/chromium.log" ||
		fail "chromium could not take the screenshot $shot"
	[ -s "$shot" ] || fail "no screenshot written to $shot"
fi
echo "check-html-chromium: ${verdict#OK } in headless Chromium ($(basename "$chromium"), ${secs} s)${shot:+; screenshot $shot}"
exit 0
