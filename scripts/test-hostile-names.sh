#!/usr/bin/env bash
# Every tool and every output format on a trace of hostile names (issue
# 17). tests/hostile_workload.c names its tasks, posts, thread and process
# with HTML, quotes, a backslash, OSC and CSI escapes, bytes that are not
# UTF-8 (and a C1 CSI), a newline, a tab and a CR, printf conversions, a
# 10 KB name, and an empty thread name; it is recorded with schedprof
# record (root: LTTng), then:
#
#   schedprof report (text), --json, -o DIR (HTML: scripts/test-schedprof-
#     html.sh's checks, which run report -o and export --perfetto again
#     and strictly check both), export --perfetto
#   schedtop TRACE -b, and -b --json (one object per frame)
#   schedreplay TRACE (text), --json, --save FILE, and FILE read back
#     (text and --json: the same task names as from the trace)
#   schedprof diff TRACE REPORT.json (text and --json: every name in the
#     rows within noise and the findings still there)
#
# Each must exit 0; every text output and every stderr must hold no
# control byte but the newline (nothing reaches a terminal raw) and be
# valid UTF-8; every JSON output must load with Python's json module.
# Output in build/hostile-names-test/ (cleaned first). Exit status 0 if
# all passed.
#
#   scripts/test-hostile-names.sh   (make build/bin/schedprof build/bin/
#                                    schedtop build/bin/schedreplay
#                                    build/tests/hostile_workload
#                                    build/lib/libsched-lttng.so)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/hostile-names-test
trace=$out/trace
fail=0
pass() { echo "  PASS     hostile-names: $*"; }
bad() { echo "  FAIL     hostile-names: $*"; fail=1; }

for f in build/bin/schedprof build/bin/schedtop build/bin/schedreplay \
	build/tests/hostile_workload build/lib/libsched-lttng.so; do
	if [ ! -e "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out"
if ! timeout 120 build/bin/schedprof record -o "$trace" -- \
	build/tests/hostile_workload >"$out/record.out" 2>"$out/record.err"; then
	bad "recording hostile_workload failed: $(tail -1 "$out/record.err")"
	exit 1
fi

# The replay takes one process: this one (until issue 16, a trace may also
# hold another root test's processes).
pid=$(sed -n 's/^pid=//p' "$out/record.out")
if [ -z "$pid" ]; then
	bad "hostile_workload printed no pid: $(head -3 "$out/record.out")"
	exit 1
fi

# The trace made a flight-recorder save: a marker at its top whose rule,
# rules and time stamp are hostile too (the escapes of the task names, in
# a JSON string), naming the trace's first task as the one that waited
# and its loop, at the loop's first event, so that every output below
# shows the trigger line with those strings and that task's name.
if ! build/bin/schedprof report --no-fixes --json "$trace" >"$out/pre.json" 2>"$out/pre.err" ||
	! python3 - "$out/pre.json" "$trace/schedprof-flight.json" "$pid" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pid = int(sys.argv[3])
loop = next(l for l in r["loops"] if l["pid"] == pid and l["tasks"])
task = loop["tasks"][0]
rule = "starve>1ms\x1b]0;flightpwn\x07<script>alert('flight')</script>%s%n\"\\\r\t\u202e"
json.dump({"schedprof_flight": 1, "save": 1, "rule": rule,
           "rules": [rule, "run>1ms"], "saved_at": "2026\x1b[2J<b>",
           "pid": pid, "loop": loop["loop"], "time": loop["first_ns"],
           "kind": 0, "id": task["id"], "prio": 0, "run": 1000,
           "delay": 0, "waiting": task["id"], "waiting_prio": 7,
           "wait": 2000000, "discarded": 0}, open(sys.argv[2], "w"))
PY
then
	bad "making the hostile flight-recorder marker failed: $(tail -1 "$out/pre.err")"
	exit 1
fi

# check FILE text|json|jsonl: no raw control byte but \n, valid UTF-8;
# json: one document; jsonl: one per line.
check() {
	python3 - "$1" "$2" <<'PY'
import json, sys
path, kind = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
raw = sorted({b for b in data if (b < 0x20 and b != 0x0a) or b == 0x7f})
if raw:
    sys.exit("raw control bytes %s" % ", ".join("0x%02x" % b for b in raw))
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8: %s" % e)
if kind == "json":
    json.loads(text)
elif kind == "jsonl":
    n = 0
    for line in text.splitlines():
        if line.strip():
            json.loads(line)
            n += 1
    if not n:
        sys.exit("no JSON object")
PY
}

# run NAME KIND CMD...: runs CMD with stdout to $out/NAME.out, checks the
# exit status, stdout as KIND and stderr as text.
run() {
	local name=$1 kind=$2 msg
	shift 2
	if ! timeout 120 "$@" >"$out/$name.out" 2>"$out/$name.err"; then
		bad "$name: exit $? ($*): $(tail -1 "$out/$name.err" | cat -v)"
		return
	fi
	if ! msg=$(check "$out/$name.out" "$kind" 2>&1); then
		bad "$name: stdout: ${msg##*$'\n'}"
	elif ! msg=$(check "$out/$name.err" text 2>&1); then
		bad "$name: stderr: ${msg##*$'\n'}"
	else
		pass "$name: exit 0, $(wc -c <"$out/$name.out") bytes of $kind, nothing raw"
	fi
}

run report text build/bin/schedprof report "$trace"
run report-json json build/bin/schedprof report --json "$trace"
run report-html text build/bin/schedprof report -o "$out/html" "$trace"
run export-perfetto text build/bin/schedprof export "$trace" --perfetto "$out/perfetto.json"
if check "$out/perfetto.json" json >/dev/null 2>&1; then
	pass "export --perfetto: the file is JSON"
else
	bad "export --perfetto: $out/perfetto.json is not JSON"
fi
run schedtop text build/bin/schedtop "$trace" -b
run schedtop-json jsonl build/bin/schedtop "$trace" -b --json
run replay text build/bin/schedreplay "$trace" --pid "$pid"
run replay-json json build/bin/schedreplay "$trace" --pid "$pid" --json
run replay-save text build/bin/schedreplay "$trace" --pid "$pid" --save "$out/workload"
run reload text build/bin/schedreplay "$out/workload"
run reload-json json build/bin/schedreplay "$out/workload" --json
run diff text build/bin/schedprof diff "$trace" "$out/report-json.out"
run diff-json json build/bin/schedprof diff "$trace" "$out/report-json.out" --json

# Every name survives --save and the reload: the reloaded workload's task
# names are those of the trace's replay, the 10 KB one included.
if python3 - "$out/replay-json.out" "$out/reload-json.out" <<'PY'
import json, sys
def names(path):
    d = json.load(open(path))
    found = set()
    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "name" and isinstance(v, str):
                    found.add(v)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(d)
    return found
a, b = names(sys.argv[1]), names(sys.argv[2])
if a != b or not any(len(n) >= 10240 for n in a) or "%s%n%x" not in a:
    sys.exit("names differ: %d from the trace, %d reloaded" % (len(a), len(b)))
PY
then
	pass "--save and reload: every task name kept, the 10 KB one too"
else
	bad "--save and reload changed the names"
fi

# The HTML report: the checks of scripts/test-schedprof-html.sh (it
# parses index.html, checks every SVG as XML, renders the page in
# headless Chromium, checks the Perfetto export strictly).
if scripts/test-schedprof-html.sh "$trace" >"$out/html-test.log" 2>&1; then
	pass "HTML report and Perfetto export pass scripts/test-schedprof-html.sh"
else
	bad "scripts/test-schedprof-html.sh on the hostile trace:"
	grep FAIL "$out/html-test.log" | sed -e 's/^/           /'
fi
# The escaped forms are there, and the raw ones are not.
if grep -q '\\x1b\]0;pwned\\x07' "$out/report.out" &&
	grep -q '^flight-recorder save 1: rule starve>1ms\\x1b\]0;flightpwn\\x07<script>' "$out/report.out" &&
	grep -q 'flight save 1: rule starve>1ms\\x1b\]0;flightpwn' "$out/schedtop.out" &&
	grep -q 'flight-recorder save 1: rule starve&gt;1ms.*&lt;script&gt;alert(&#39;flight&#39;)' "$out/html/index.html" &&
	grep -q '%s%n%x' "$out/schedtop.out" &&
	! grep -q '<script>alert' "$out/html/index.html"; then
	pass "names shown escaped (\\x1b]0;pwned\\x07), none raw in index.html"
else
	bad "an escaped name is missing, or index.html holds <script>alert raw"
fi

# report -o never writes through a planted link: an earlier report's
# directory with index.html and index.html.tmp made links to a victim file
# is written again (index.html replaced, the victim untouched); a
# report.gp made a link does not count as an earlier report (refused, 2).
victim=$out/victim
echo "victim" >"$victim"
cp -r "$out/html" "$out/html2"
ln -sf "$PWD/$victim" "$out/html2/index.html"
ln -sf "$PWD/$victim" "$out/html2/index.html.tmp"
build/bin/schedprof report -o "$out/html2" "$trace" >/dev/null 2>"$out/html2.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$victim")" = victim ] &&
	[ ! -L "$out/html2/index.html" ] && grep -q '</html>' "$out/html2/index.html"; then
	pass "report -o over planted links: exit 0, index.html replaced, the victim untouched"
else
	bad "report -o over planted links: exit $rc, victim '$(head -c 40 "$victim")'"
fi
rm -f "$out/html2/report.gp"
ln -s "$PWD/$victim" "$out/html2/report.gp"
build/bin/schedprof report -o "$out/html2" "$trace" >/dev/null 2>"$out/html3.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(cat "$victim")" = victim ] &&
	grep -q 'is not empty and holds no earlier report' "$out/html3.err"; then
	pass "report -o: a linked report.gp is no earlier report: exit 2, the victim untouched"
else
	bad "report -o with a linked report.gp: exit $rc: $(head -1 "$out/html3.err")"
fi
exit $fail
