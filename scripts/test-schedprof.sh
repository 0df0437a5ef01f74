#!/usr/bin/env bash
# schedprof end to end (root: LTTng): record trace_workload with
# `schedprof record`, check the trace it kept (trace_check), then the
# report (text, JSON, --fail-on), the HTML report and the Perfetto export
# (scripts/test-schedprof-html.sh) on it; and the report's bad inputs.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/schedprof-test
bin=build/bin/schedprof
rm -rf "$out"
mkdir -p "$out"
fail=0
pass() { echo "  PASS     schedprof: $*"; }
bad() { echo "  FAIL     schedprof: $*"; fail=1; }

# A trace recorded before the CPU-time fields were added at the end of
# task_fire_end and slice (tests/traces/README.md): still read, the same
# finding, no CPU figures.
if "$bin" report tests/traces/before-cpu --json >"$out/before-cpu.json" \
	2>"$out/before-cpu.err" && python3 - "$out/before-cpu.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = {t["name"]: t for t in r["loops"][0]["tasks"]}
assert r["complete"] and len(r["loops"]) == 1, "not one complete loop"
assert t["long"]["runs"] == 1 and t["short"]["runs"] == 20, "runs"
assert abs(t["long"]["run_ns"]["max"] - 120012535) < 1000000, "long run"
assert all(x["cpu"] is None for x in t.values()), "cpu figures"
assert [(f["kind"], f["culprit"]) for f in r["findings"]] == \
    [("never-yields", "long (DEFAULT)")], r["findings"]
PY
then
	pass "report: a trace recorded before the CPU-time fields is read as before"
else
	bad "report: the trace recorded before the CPU-time fields: $(head -1 "$out/before-cpu.err")"
fi

if timeout 120 "$bin" record -o "$out/trace" -- build/tests/trace_workload \
	>"$out/workload.out" 2>"$out/record.err"; then
	pass "record: trace_workload ran, $(grep -o 'trace written.*' "$out/record.err")"
else
	bad "record failed: $(tail -1 "$out/record.err")"
fi
if build/tests/trace_check --no-loop-check "$out/trace" "$out/workload.out" >"$out/check.log" 2>&1; then
	pass "record: the kept trace passes trace_check ($(tail -1 "$out/check.log" | sed 's/^trace_check: //'))"
else
	bad "record: trace_check: $(grep -m1 FAIL "$out/check.log")"
fi

"$bin" report "$out/trace" >"$out/report.txt" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^Findings:' "$out/report.txt" &&
   grep -q 'idle-LOWEST' "$out/report.txt"; then
	pass "report: text with findings and tasks"
else
	bad "report: exit $rc, $(head -1 "$out/report.txt")"
fi
if "$bin" report "$out/trace" --json >"$out/report.json" 2>&1 &&
   python3 - "$out/report.json" "$out/workload.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
w = dict(l.strip().split('=') for l in open(sys.argv[2]) if '=' in l)
assert r["schedprof_report"] == 1 and r["complete"] is True
tasks = {t["name"]: t for l in r["loops"] for t in l["tasks"]}
idle = sum(t["runs"] for n, t in tasks.items() if n.startswith("idle-"))
assert idle == int(w["idle_runs"]), (idle, w["idle_runs"])
assert tasks["timer"]["runs"] == int(w["timer_runs"])
assert tasks["posted"]["runs"] == int(w["at_posts"])
assert tasks["sliced"]["checks"] == int(w["sliced_checks"])
PY
then
	pass "report --json: valid, runs per task match the workload"
else
	bad "report --json: invalid or counts differ"
fi
"$bin" report "$out/trace" --fail-on warning >/dev/null 2>&1
rc=$?
nf=$(python3 -c "import json;print(len(json.load(open('$out/report.json'))['findings']))" 2>/dev/null)
if { [ "$nf" -gt 0 ] && [ $rc = 3 ]; } || { [ "$nf" = 0 ] && [ $rc = 0 ]; }; then
	pass "report --fail-on warning: exit $rc with $nf finding(s)"
else
	bad "report --fail-on warning: exit $rc with $nf finding(s)"
fi
mkdir -p "$out/empty"
for args in "/nonexistent" "--starve abc $out/trace" "--fail-on maybe $out/trace" "" "$out/empty"; do
	# shellcheck disable=SC2086
	"$bin" report $args >/dev/null 2>"$out/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$out/err")" -ge 1 ]; then
		:
	else
		bad "report $args: exit $rc (want 2)"
	fi
done
[ $fail = 0 ] && pass "report: bad inputs exit 2 with one line"
scripts/test-schedprof-html.sh "$out/trace" || fail=1
exit $fail
