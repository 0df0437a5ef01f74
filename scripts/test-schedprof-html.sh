#!/usr/bin/env bash
# schedprof's HTML report and Perfetto export, on a recorded trace:
#
#   scripts/test-schedprof-html.sh TRACE_DIR     (make build/bin/schedprof)
#
# report -o: index.html is there and parses, has four charts per loop (an
# idle loop, where no task ran or was ready, none), every chart it shows is
# a non-empty, well-formed SVG, and HIGHEST and LOWEST are told apart in
# the wait chart (the colours and markers gnuplot drew); without gnuplot it
# fails with one clear line; in headless Chromium (check-html-chromium.sh)
# the page loads, every chart renders, nothing scrolls sideways at 800 px,
# the timeline's and depth chart's time axes line up, idle loops are a
# line, and the hover titles hold what the JSON report says (the top
# task's run-time p99, its priority's wait p99). export --perfetto: valid JSON
# that scripts/check-perfetto.py --schedprof accepts (the trace event
# format, strictly, and the export's layout: a track per loop, strictly
# nested runs, an arrow bound to each run), with one "X" event per run
# (the task_fire_end events of the trace, counted by babeltrace2, plus the
# performer work that ran outside a task); bad usage exits 2, an
# unwritable output 1.
#
# Output goes to build/schedprof-html-test/ (cleaned first). Exit status 0
# if all passed.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 TRACE_DIR (a recorded libsched LTTng trace)" >&2
	exit 2
fi
trace=$(cd "$1" && pwd)
cd "$(dirname "$0")/.." || exit 1

bin=build/bin/schedprof
out=build/schedprof-html-test
failures=0
pass() { printf '  PASS     schedprof-html: %s\n' "$*"; }
fail() { printf '  FAIL     schedprof-html: %s\n' "$*"; failures=$((failures + 1)); }
indent() { sed -e 's/^/           /'; }

if [ ! -x "$bin" ]; then
	fail "$bin is missing: build it with  make build/bin/schedprof"
	exit 1
fi
for cmd in gnuplot babeltrace2 python3; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		fail "$cmd not found (make deps, as root)"
		exit 1
	fi
done
have_xmllint=0
command -v xmllint >/dev/null 2>&1 && have_xmllint=1

rm -rf "$out"
mkdir -p "$out"

# xml_ok FILE: well-formed XML (xmllint, else Python's parser).
xml_ok() {
	if [ "$have_xmllint" = 1 ]; then
		xmllint --noout "$1" 2>/dev/null
	else
		python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' \
			"$1" 2>/dev/null
	fi
}

# ---- 1: the HTML report ----------------------------------------------------
html=$out/html
start=$(date +%s.%N)
rc=0
"$bin" report "$trace" -o "$html" >"$out/report.out" 2>"$out/report.err" || rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
index=$html/index.html
if [ "$rc" -ne 0 ]; then
	fail "report -o exited with status $rc:"
	indent <"$out/report.err"
elif [ ! -s "$index" ]; then
	fail "report -o: no $index"
else
	pass "report -o $html: exit 0 in ${secs} s"

	# Well-formed: xmllint's HTML parser says nothing but that it does
	# not know the inline SVG's elements (an HTML 4 parser); else the
	# main elements open and close.
	if [ "$have_xmllint" = 1 ]; then
		xmllint --html --noout "$index" >"$out/xmllint.raw" 2>&1
		# An unknown tag's error is three lines: the message, the line
		# of the page, a caret.
		awk '/HTML parser error : Tag (svg|g|path|use|text|title|desc|defs|rect|circle|polygon|pattern|filter|feflood|fecomposite|image) invalid$/ { skip = 2; next }
		     skip > 0 { skip--; next } { print }' "$out/xmllint.raw" >"$out/xmllint.log"
		if [ ! -s "$out/xmllint.log" ]; then
			pass "index.html parses cleanly (xmllint --html; but for the inline SVG's tags)"
		else
			fail "index.html does not parse cleanly:"
			head -n 20 "$out/xmllint.log" | indent
		fi
	else
		bad=
		for tag in html head body table; do
			[ "$(grep -o "<${tag}[ >]" "$index" | wc -l)" -eq \
			  "$(grep -o "</$tag>" "$index" | wc -l)" ] || bad+=" $tag"
		done
		if [ -z "$bad" ] && grep -q '^<!DOCTYPE html>' "$index"; then
			pass "index.html is well-formed (no xmllint: tags balanced)"
		else
			fail "index.html: unbalanced or missing <${bad# }>"
		fi
	fi

	# What the page must say: completeness, thresholds, findings
	# before the loops.
	missing=
	grep -qE 'Complete trace|INCOMPLETE TRACE' "$index" || missing+=" completeness"
	grep -q 'Thresholds:' "$index" || missing+=" thresholds"
	grep -q 'id="findings"' "$index" || missing+=" findings"
	for h in Priorities Tasks 'Starvation intervals'; do
		grep -q "<h3>$h</h3>" "$index" || missing+=" '$h'"
	done
	fline=$(grep -n 'id="findings"' "$index" | head -n 1 | cut -d: -f1)
	lline=$(grep -n '<div class="loop"' "$index" | head -n 1 | cut -d: -f1)
	if [ -n "$fline" ] && [ -n "$lline" ] && [ "$fline" -gt "$lline" ]; then
		missing+=" findings-first"
	fi
	if [ -z "$missing" ]; then
		pass "index.html has the header, the findings first, per-loop tables"
	else
		fail "index.html lacks:$missing"
	fi

	# Four chart kinds per loop; an idle loop's section has none.
	loops=$(grep -c '<div class="loop' "$index")
	idle=$(grep -c '<div class="loop idle"' "$index")
	bad=
	for ((i = 0; i < loops; i++)); do
		grep -q "<div class=\"loop idle\" id=\"loop$i\"" "$index" && continue
		for kind in wait timeline runtime depth; do
			grep -q "data-src=\"loop$i-$kind.svg\"" "$index" || bad+=" loop$i-$kind"
		done
	done
	if [ "$loops" -lt 1 ]; then
		fail "index.html shows no loop"
	elif [ -n "$bad" ]; then
		fail "index.html lacks charts:$bad"
	else
		pass "$loops loop(s), each with its 4 charts (wait by percentile, timeline, run time, depth) but the $idle idle one(s)"
	fi

	# Every SVG the page shows exists, is not empty and is XML; it is
	# inline too (the <svg> count).
	n=0
	bad=
	while read -r svg; do
		n=$((n + 1))
		if [ ! -s "$html/$svg" ]; then
			bad+=" $svg(missing/empty)"
		elif ! xml_ok "$html/$svg"; then
			bad+=" $svg(not XML)"
		fi
	done < <(grep -o 'data-src="[^"]*\.svg"' "$index" | sed -e 's/^data-src="//' -e 's/"$//')
	inline=$(grep -o '<svg' "$index" | wc -l)
	# (A loop of many runs has a fifth: a detail of its timeline.)
	if [ -z "$bad" ] && [ "$n" -ge $((4 * (loops - idle))) ] && [ "$inline" -eq "$n" ]; then
		pass "$n SVG charts exist, non-empty, well-formed XML, inline in index.html"
	else
		fail "SVG charts ($n referenced, $inline inline, $((4 * (loops - idle))) at least expected):$bad"
	fi

	# HIGHEST and LOWEST apart in the wait chart, as drawn: the colour
	# and marker of each one's key entry, at least 50 apart in CIELAB
	# (delta E 1976) and of another shape.
	for w in "$html"/loop*-wait.svg; do
		[ -e "$w" ] || continue
		if msg=$(python3 - "$w" <<'PY'
import re, sys
svg = open(sys.argv[1], encoding="utf-8").read()
def entry(prio):
    m = re.search(r"<text>" + prio + r" \(\d+\)</text>(.*?)<path stroke='rgb\(\s*(\d+),\s*(\d+),\s*(\d+)\)'.*?xlink:href='#gpPt(\d+)'", svg, re.S)
    return None if not m else ((int(m.group(2)), int(m.group(3)), int(m.group(4))), int(m.group(5)))
def lab(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = map(lin, rgb)
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = lambda t: t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))
hi, lo = entry("HIGHEST"), entry("LOWEST")
if not hi or not lo:
    print("skip")
    sys.exit(0)
de = sum((a - b) ** 2 for a, b in zip(lab(hi[0]), lab(lo[0]))) ** 0.5
print("HIGHEST rgb%s marker %d, LOWEST rgb%s marker %d: delta E %.0f" % (hi[0], hi[1], lo[0], lo[1], de))
sys.exit(0 if de >= 50 and hi[1] != lo[1] else 1)
PY
); then
			[ "$msg" = skip ] || pass "$(basename "$w"): $msg"
		else
			fail "$(basename "$w"): HIGHEST and LOWEST too alike: $msg"
		fi
	done

	if [ -s "$html/report.gp" ]; then
		pass "report.gp and its data files kept for re-plotting"
	else
		fail "no $html/report.gp"
	fi

	# In a browser: headless Chromium loads the page, draws every chart
	# and reads at 800 px (scripts/check-html-chromium.sh); the hover
	# titles hold the JSON report's figures: the run-time p99 of the
	# first loop's top task by run time (the first of the top 8 with a
	# name a hover text keeps as it is), and its priority's wait p99, as
	# the report formats them (an_fmt_ns).
	expect=()
	if "$bin" report "$trace" --json >"$out/report.json" 2>/dev/null; then
		while IFS= read -r t; do
			expect+=(--expect-title "$t")
		done < <(python3 - "$out/report.json" <<'PY'
import json, sys
def fmt(ns):
    a = abs(ns)
    if a >= 1e9: return "%.3g s" % (ns / 1e9)
    if a >= 1e6: return "%.3g ms" % (ns / 1e6)
    if a >= 1e3: return "%.3g us" % (ns / 1e3)
    return "%d ns" % ns
r = json.load(open(sys.argv[1]))
for l in r["loops"]:
    ts = [t for t in l["tasks"] if t["runs"] and t["run_ns"]["count"]]
    if not ts:
        continue
    ts = sorted(ts, key=lambda t: (-t["run_total_ns"], -t["runs"], t["id"]))[:8]
    # A hover text has what is not printable, quotes and backslashes
    # replaced, and is cut at 160 characters: the first of the top tasks
    # (the run-time chart's) whose name needs none of that.
    plain = [t for t in ts if len(t["name"]) <= 60 and
             all(c.isprintable() and c not in '"\\\ufffd' for c in t["name"])]
    t = plain[0] if plain else ts[0]
    if plain:
        print("%s: run time p99 %s (%d %s)" % (t["name"], fmt(t["run_ns"]["p99"]), t["runs"],
                                                "run" if t["runs"] == 1 else "runs"))
    for p in l["priorities"]:
        if p["priority"] == t["priority"] and p["wait_ns"]["count"]:
            print("%s wait p99: %s (%d %s)" % (p["priority"], fmt(p["wait_ns"]["p99"]), p["wait_ns"]["count"],
                                                "wait" if p["wait_ns"]["count"] == 1 else "waits"))
    break
PY
)
	fi
	if ! command -v chromium >/dev/null 2>&1 &&
	   ! command -v chromium-browser >/dev/null 2>&1; then
		fail "chromium not found: install chromium"
	elif [ "$idle" -lt "$loops" ] && [ "${#expect[@]}" -eq 0 ]; then
		fail "no hover title to expect: report --json failed or names no task"
	elif msg=$(scripts/check-html-chromium.sh ${expect[@]+"${expect[@]}"} "$html" 2>&1); then
		pass "${msg#check-html-chromium: }"
		for ((i = 1; i < ${#expect[@]}; i += 2)); do
			pass "hover title from the JSON report: '${expect[i]}'"
		done
	else
		fail "headless Chromium:"
		indent <<<"$msg"
	fi
fi

# Without gnuplot: one clear line, a failure status, no index.html.
rc=0
env PATH=/nonexistent "$PWD/$bin" report "$trace" -o "$out/nognuplot" \
	>/dev/null 2>"$out/nognuplot.err" || rc=$?
if [ "$rc" -eq 1 ] && grep -q 'gnuplot not found: install gnuplot-nox' "$out/nognuplot.err" &&
   [ "$(wc -l <"$out/nognuplot.err")" -eq 1 ] && [ ! -e "$out/nognuplot/index.html" ]; then
	pass "without gnuplot: exit 1, '$(cat "$out/nognuplot.err")'"
else
	fail "without gnuplot: exit $rc, stderr:"
	indent <"$out/nognuplot.err"
fi

# ---- 2: the Perfetto export ------------------------------------------------
json=$out/trace.json
rc=0
"$bin" export "$trace" --perfetto "$json" >"$out/export.out" 2>"$out/export.err" || rc=$?
if [ "$rc" -ne 0 ]; then
	fail "export --perfetto exited with status $rc:"
	indent <"$out/export.err"
elif [ -e "$json.tmp" ]; then
	fail "export left $json.tmp behind"
elif ! python3 -m json.tool "$json" >/dev/null 2>"$out/json.err"; then
	fail "export: $json is not valid JSON:"
	indent <"$out/json.err"
else
	pass "export --perfetto: exit 0, valid JSON (python3 -m json.tool)"

	# The runs the trace holds: one task_fire_end per task run, if the
	# trace has its task_fire_begin (a run under way when tracing started
	# is not one: the trace may hold processes that ran before it);
	# performer work that ran outside a task (perform_fire_end with task
	# 0) is a run of its own.
	bt=$out/trace.txt
	babeltrace2 "$trace" >"$bt" 2>"$out/babeltrace.err"
	ends=$(python3 - "$bt" <<'EOF'
import re, sys
# Keyed by process and task (task ids are unique in a process): schema 2's
# task_fire_begin and task_fire_end carry no loop (docs/tracepoints.md).
pat = re.compile(r"libsched:task_fire_(begin|end):.*vpid = (\d+).*"
                 r"[{,] task = (\d+),")
running, runs = {}, 0
# Names in the trace may be any bytes (scripts/test-hostile-names.sh).
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = pat.search(line)
    if not m:
        continue
    what, key, task = m.group(1), (m.group(2), m.group(3)), m.group(3)
    if what == "begin":
        running[key] = task
    elif running.pop(key, None) == task:
        runs += 1
print(runs)
EOF
)
	perf=$(grep -cE 'libsched:perform_fire_end:.* task = 0,' "$bt")

	# The whole file, strictly (scripts/check-perfetto.py): fields per
	# phase, runs strictly nested per track, every arrow's "s" and "f"
	# paired and bound as Perfetto binds them, counters numeric, names
	# for every process and track; and the export's own layout
	# (--schedprof): one track per loop, every run with a wait the end of
	# one arrow that binds to it. Prints the counts.
	if stats=$(scripts/check-perfetto.py --schedprof --stats "$json" \
			2>"$out/check-perfetto.err"); then
		stat() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" ${stats#stats: }"; }
		xt=$(stat task_runs) xp=$(stat performer_runs)
		pass "check-perfetto: $(stat loops) loop track(s), $(stat flows) arrows ($(stat markers) from ready markers), $(stat starvation) starvation spans, $(stat counter_series) counter series, $(stat instants) findings, nesting depth $(stat max_depth)"
		if [ "$xt" -eq "$ends" ] && [ "$xp" -eq "$perf" ]; then
			pass "X runs: $((xt + xp)) = $ends task_fire_end (after their begin) + $perf performer work runs"
		else
			fail "X runs: $xt task runs for $ends task_fire_end, $xp performer runs for $perf perform_fire_end with task 0"
		fi
	else
		fail "check-perfetto --schedprof $json:"
		head -n 30 "$out/check-perfetto.err" | indent
	fi
fi

# Bad usage: exit 2 with a message; an output that cannot be written: 1.
expect_status() {
	local want=$1 what=$2
	shift 2
	local rc=0 err
	err=$("$bin" export "$@" 2>&1 >/dev/null) || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "export $what: exit $rc, expected $want"
	elif [ -z "$err" ]; then
		fail "export $what: exit $rc but no message"
	else
		return 0
	fi
	return 1
}
ok=1
expect_status 2 "without arguments" || ok=0
expect_status 2 "without --perfetto" "$trace" || ok=0
expect_status 2 "--perfetto without a file" "$trace" --perfetto || ok=0
expect_status 2 "with an unknown option" "$trace" --bogus --perfetto "$out/x.json" || ok=0
expect_status 2 "with a bad --starve" "$trace" --starve abc --perfetto "$out/x.json" || ok=0
expect_status 2 "with a bad --long-task" "$trace" --long-task -1 --perfetto "$out/x.json" || ok=0
expect_status 2 "of a missing trace" "$out/no-such-trace" --perfetto "$out/x.json" || ok=0
mkdir -p "$out/not-a-trace"
expect_status 2 "of a directory without a trace" "$out/not-a-trace" --perfetto "$out/x.json" || ok=0
expect_status 1 "to an unwritable file" "$trace" --perfetto "$out/no-such-dir/x.json" || ok=0
[ "$ok" = 1 ] && pass "export: bad usage and bad input exit 2, an unwritable output exits 1"

if [ "$failures" -ne 0 ]; then
	echo "schedprof-html: $failures failure(s); see $out/" >&2
	exit 1
fi
exit 0
