#!/usr/bin/env bash
# schedprof's HTML report in headless Chromium: the page loads and every
# chart on it renders.
#
#   scripts/check-html-chromium.sh [--screenshot FILE.png] OUTDIR
#
# OUTDIR is a `schedprof report -o OUTDIR`. A wrapper page, made in a fresh
# temporary directory, loads OUTDIR/index.html in an iframe and, once it
# has loaded, looks at every <img> of it: loaded, with a size of its own
# (naturalWidth > 0), laid out on the page, and drawn: rasterized on a
# canvas, it has ink (a blank or broken SVG has none). It writes what it
# found into its own DOM, which `chromium --headless --dump-dom` prints:
# "CHARTS-OK N" (N is checked against the <img> tags of index.html), or
# "CHART-BROKEN src (why) ...", or why the page itself did not load.
# --screenshot also saves the whole report as it renders, 1280 px wide.
#
# Chromium: Debian's package (apt-get install chromium), run with a new
# profile each time, no sandbox (root), no GPU, no network of its own.
# Prints one line: what passed and how long Chromium took, or what failed.
# Exit status 0 if the page and every chart render, 1 if not (or no
# chromium), 2 for bad usage.
set -uo pipefail

usage() {
	echo "usage: $0 [--screenshot FILE.png] OUTDIR (a schedprof report -o OUTDIR)" >&2
	exit 2
}
shot=
while [ $# -gt 0 ]; do
	case $1 in
	--screenshot)
		[ $# -ge 2 ] || usage
		shot=$2
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

# The wrapper. The strings the result is recognised by are put together
# at run time, so that the page's own script never matches them.
cat >"$tmp/check.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>check</title></head>
<body>
<pre id="result">NO-RESULT</pre>
<iframe id="report" src="$report_url" style="width:1280px;height:2000px"></iframe>
<script>
var OK = 'CHARTS' + '-OK', BROKEN = 'CHART' + '-BROKEN';
var frame = document.getElementById('report');
function say(s) { document.getElementById('result').textContent = s; }
var timer = setTimeout(function () {
	say('PAGE' + '-BROKEN the report did not load');
}, 4000);
/* Why an image is not a rendered chart; '' if it is. */
function problem(im) {
	var c, g, px, ink = 0, i;
	if (!im.complete)
		return 'not loaded';
	if (!(im.naturalWidth > 0 && im.naturalHeight > 0))
		return 'no image: naturalWidth 0';
	if (!(im.width > 0 && im.height > 0))
		return 'not laid out';
	c = document.createElement('canvas');
	c.width = im.naturalWidth;
	c.height = im.naturalHeight;
	try {
		g = c.getContext('2d');
		g.drawImage(im, 0, 0);
		px = g.getImageData(0, 0, c.width, c.height).data;
	} catch (e) {
		return 'cannot be drawn: ' + e;
	}
	for (i = 0; i < px.length; i += 4)
		if (px[i + 3] > 0 && (px[i] < 160 || px[i + 1] < 160 ||
				      px[i + 2] < 160))
			ink++;
	return ink < 100 ? 'blank: ' + ink + ' dark pixels' : '';
}
frame.addEventListener('load', function () {
	var d, bad = [], imgs, i, why;
	clearTimeout(timer);
	try {
		d = frame.contentDocument;
	} catch (e) {
		say('PAGE' + '-BROKEN cannot read the report: ' + e);
		return;
	}
	if (!d || !d.body || !d.querySelector('h1')) {
		say('PAGE' + '-BROKEN no report in the page (title "' +
		    (d ? d.title : '') + '")');
		return;
	}
	imgs = d.images;
	for (i = 0; i < imgs.length; i++) {
		why = problem(imgs[i]);
		if (why)
			bad.push(imgs[i].getAttribute('src') + ' (' + why + ')');
	}
	say(bad.length ? BROKEN + ' ' + bad.join(' ') :
	    OK + ' ' + imgs.length + ' HEIGHT ' +
	    d.documentElement.scrollHeight + ' TITLE ' + d.title);
});
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
"CHARTS-OK "*) ;;
"") fail "no result in the page chromium dumped (${secs} s)" ;;
*) fail "$result" ;;
esac
n=$(sed -n 's/^CHARTS-OK \([0-9]*\) .*/\1/p' <<<"$result")
height=$(sed -n 's/.* HEIGHT \([0-9]*\) .*/\1/p' <<<"$result")
want=$(grep -o '<img ' "$dir/index.html" | wc -l)
if [ "$n" -ne "$want" ]; then
	fail "$n images rendered, index.html has $want"
fi
if [ "$n" -eq 0 ]; then
	fail "the report shows no chart"
fi

if [ -n "$shot" ]; then
	# The whole page: its height, as the check measured it (capped).
	h=${height:-2000}
	[ "$h" -le 16000 ] || h=16000
	timeout -k 5 120 "$chromium" "${flags[@]}" --user-data-dir="$tmp/profile2" \
		--window-size=1280,"$h" --screenshot="$shot" "$report_url" \
		>/dev/null 2>>"$tmp/chromium.log" ||
		fail "chromium could not take the screenshot $shot"
	[ -s "$shot" ] || fail "no screenshot written to $shot"
fi
echo "check-html-chromium: index.html loads and its $n charts render in headless Chromium ($(basename "$chromium"), ${secs} s)${shot:+; screenshot $shot}"
exit 0
