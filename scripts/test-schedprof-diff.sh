#!/usr/bin/env bash
# schedprof diff against a regression whose truth we control (root:
# LTTng). Records tests/truth_workload's healthy mix three times with
# `schedprof record`: twice as it is (h1, h2) and once with
# --plant-long 120, which makes its 10th spell check run 120 ms without a
# stopwatch check (p; the workload prints the run as it measured it).
# Each is reported with `schedprof report --pid PID --json --no-fixes`,
# and then:
#
#   healthy  diff h1.json h2.json --fail-on 10 says "nothing changed
#            beyond noise" and exits 0;
#   planted  diff h1.json p.json --fail-on 10 --json exits 3, worse; every
#            priority's and task's before and after are the two reports'
#            figures, and every change is after - before; the spellcheck
#            task's longest run is the planted run (within 10 ms of the
#            workload's own measure) and beyond noise; a never-yields or
#            long-running-task finding on spellcheck is new; the rows come
#            by impact (the largest change of waits, longest run, starved
#            time), and the summary names spellcheck's longest run;
#   text     the same in text: the summary first, spellcheck's longest run
#            784 us to 120 ms style, no ">" between before and after, no
#            "+0.0%", "--fail-on 10%: worse";
#   mixed    diff h1 (the trace directory, --pid H1,P) p.json gives the
#            same comparison as the two reports.
#
# First, without recording, hand-made report JSONs: a second finding of
# one key after (a new error) is new and fails --fail-on; output to
# /dev/full is one line and exit 1; --fail-on 5 shows the +7% p99 it
# fails on; a priority that ran nothing after is 79 to 0; diff --help
# within 80 columns with --merge; diff --merge reads a trace.
#
# --min-change 5 (ms) on a busy machine: the workloads run SCHED_FIFO
# (--realtime), yet two healthy runs' maximum waits may differ by a few ms.
# The planted regression is 120 ms.
#
#   scripts/test-schedprof-diff.sh   (make build/bin/schedprof
#                                     build/tests/truth_workload
#                                     build/lib/libsched-lttng.so)
#
# Output in build/schedprof-diff-test/ (cleaned first). Exit status 0 if
# all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/schedprof-diff-test
bin=build/bin/schedprof
wl=build/tests/truth_workload
fail=0
pass() { echo "  PASS     schedprof-diff: $*"; }
bad() { echo "  FAIL     schedprof-diff: $*"; fail=1; }

for f in "$bin" "$wl"; do
	if [ ! -x "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out"

# ---- hand-made reports: what needs no recording ----------------------------------
# Report JSONs written here (the layout of schedprof report --json), each
# case's truth in them.
python3 - "$out" <<'PY'
import json, sys
MS = 1000000
out = sys.argv[1]
def prio(n, fired, p99):
    return {"priority": n, "fired": fired, "wait_ns": {"p50": 0, "p99": p99, "max": p99},
            "starved_ns": 0, "starvation": []}
def task(n, pr, runs, p99):
    return {"name": n, "priority": pr, "runs": runs, "wait_ns": {"p50": 0, "p99": p99, "max": p99},
            "run_ns": {"max": MS}, "run_total_ns": runs * MS, "long_runs": 0}
def fd(sev, kind, cul):
    return {"severity": sev, "kind": kind, "culprit": cul, "evidence": "e", "loop": "0x1"}
def rep(name, prios, tasks, findings):
    json.dump({"schedprof_report": 1, "long_task_ns": 50 * MS, "starve_ns": 100 * MS,
               "findings": findings,
               "loops": [{"loop": "0x1", "pid": 100, "label": "loop \"x\"",
                          "task_runs": sum(t["runs"] for t in tasks),
                          "priorities": prios, "tasks": tasks}]},
              open("%s/%s.json" % (out, name), "w"))
P = [prio("DEFAULT", 10, 20 * MS)]
T = [task("a", "DEFAULT", 10, 20 * MS)]
# One backlog warning before; a warning and a new error after.
rep("fd1", P, T, [fd("warning", "performer-backlog", "performer 0xaa")])
rep("fd2", P, T, [fd("warning", "performer-backlog", "performer 0xbb"),
                  fd("error", "performer-backlog", "performer 0xcc")])
# wait p99 20 ms to 21.4 ms: +7%.
rep("p7", [prio("DEFAULT", 10, 21400000)], [task("a", "DEFAULT", 10, 21400000)], [])
# 300 tasks 40 ms slower: more output than stdio's buffer.
rep("big1", P, [task("t%d" % i, "DEFAULT", 10, MS) for i in range(300)], [])
rep("big2", P, [task("t%d" % i, "DEFAULT", 10, 41 * MS) for i in range(300)], [])
# LOWEST ran 79 times before, nothing after.
rep("lo1", P + [prio("LOWEST", 79, 5 * MS)], T, [])
PY
h="$out"
rc=0
"$bin" diff "$h/fd1.json" "$h/fd2.json" --fail-on 10 >"$h/fd.txt" 2>&1 || rc=$?
if [ "$rc" -ne 3 ] || ! grep -q '^  findings: 1 new, 1 still there, 0 gone$' "$h/fd.txt" ||
	! grep -q '^    new  *error  *performer-backlog  performer 0xcc$' "$h/fd.txt"; then
	bad "one to one: exit $rc (expected 3): $(grep -m1 'findings:' "$h/fd.txt")"
else
	pass "a second finding of one key: the new error shows and --fail-on exits 3"
fi
rc=0
"$bin" diff "$h/big1.json" "$h/big2.json" >/dev/full 2>"$h/full.err" || rc=$?
if [ "$rc" -ne 1 ] || [ "$(wc -l <"$h/full.err")" -ne 1 ] ||
	! grep -q '^schedprof: cannot write the comparison: ' "$h/full.err"; then
	bad "/dev/full: exit $rc (expected 1): $(cat "$h/full.err")"
else
	pass "output to /dev/full: one line, exit 1"
fi
rc=0
"$bin" diff "$h/fd1.json" "$h/p7.json" --fail-on 5 >"$h/p7.txt" 2>&1 || rc=$?
if [ "$rc" -ne 3 ] || grep -q 'nothing changed beyond noise' "$h/p7.txt" ||
	! grep -q 'wait p99 .*+1.4 ms (+7.0%)' "$h/p7.txt"; then
	bad "--fail-on 5: exit $rc (expected 3), the failing row not shown: $(grep -m1 summary "$h/p7.txt")"
else
	pass "--fail-on 5 on a +7% p99: the row shows, exit 3"
fi
rc=0
"$bin" diff "$h/lo1.json" "$h/fd1.json" >"$h/lo.txt" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || grep -q 'only before' "$h/lo.txt" ||
	! grep -q '^    LOWEST  *runs  *79  *0  *-79 (-100.0%)$' "$h/lo.txt"; then
	bad "a priority that ran nothing after: $(grep -m1 LOWEST "$h/lo.txt")"
else
	pass "a priority that ran nothing after: runs 79 to 0, not 'only before'"
fi
if "$bin" diff --help | awk 'length($0) > 80 { exit 1 }' &&
	"$bin" diff --help | grep -q -- '--merge' &&
	"$bin" diff --help | grep -q '1 the output could not be written'; then
	pass "diff --help: within 80 columns, --merge, exit status 1"
else
	bad "diff --help: over 80 columns, or --merge or exit 1 missing"
fi
rc=0
"$bin" diff --merge tests/traces/before-cpu tests/traces/before-cpu \
	>"$h/merge.txt" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || ! grep -q '^  summary: nothing changed beyond noise' "$h/merge.txt"; then
	bad "diff --merge: exit $rc: $(head -1 "$h/merge.txt")"
else
	pass "diff --merge: accepted, a trace against itself is nothing changed"
fi

# record NAME ARGS...: the trace in $out/NAME, the truth in NAME.out, the
# report in NAME.json.
record() {
	local m=$1 pid

	shift
	if ! timeout 120 "$bin" record -o "$out/$m" -- "$wl" --mode healthy \
		--realtime "$@" >"$out/$m.out" 2>"$out/$m.record.err"; then
		bad "$m: record failed: $(tail -1 "$out/$m.record.err")"
		return 1
	fi
	if ! grep -qx 'ok=1' "$out/$m.out"; then
		bad "$m: the workload did not run its plan: $(tail -1 "$out/$m.record.err")"
		return 1
	fi
	pid=$(sed -n 's/^pid=//p' "$out/$m.out")
	if ! "$bin" report "$out/$m" --pid "$pid" --json --no-fixes \
		>"$out/$m.json" 2>"$out/$m.report.err"; then
		bad "$m: report --json failed: $(head -1 "$out/$m.report.err")"
		return 1
	fi
}

record h1 && record h2 && record p --plant-long 120 || exit 1
pid_h1=$(sed -n 's/^pid=//p' "$out/h1.out")
pid_p=$(sed -n 's/^pid=//p' "$out/p.out")

# ---- healthy: nothing beyond noise, exit 0 --------------------------------------
rc=0
"$bin" diff "$out/h1.json" "$out/h2.json" --fail-on 10 --min-change 5 \
	>"$out/healthy.txt" 2>"$out/healthy.err" || rc=$?
if [ "$rc" -ne 0 ]; then
	bad "healthy: exit $rc, expected 0: $(grep -m1 'summary\|worse' "$out/healthy.txt") $(head -1 "$out/healthy.err")"
elif ! grep -q '^  summary: nothing changed beyond noise$' "$out/healthy.txt"; then
	bad "healthy: $(grep -m1 summary "$out/healthy.txt")"
else
	pass "two healthy recordings: nothing changed beyond noise, --fail-on 10 exits 0"
fi

# ---- planted: JSON ---------------------------------------------------------------
rc=0
"$bin" diff "$out/h1.json" "$out/p.json" --fail-on 10 --min-change 5 --json \
	>"$out/planted.json" 2>"$out/planted.err" || rc=$?
if [ "$rc" -ne 3 ]; then
	bad "planted: exit $rc, expected 3: $(head -1 "$out/planted.err")"
fi
if msg=$(python3 - "$out/h1.json" "$out/p.json" "$out/planted.json" "$out/p.out" <<'PY' 2>&1
import json, sys

b, a, d = (json.load(open(p)) for p in sys.argv[1:4])
truth = dict(l.strip().split("=", 1) for l in open(sys.argv[4]) if "=" in l)
ms = lambda ns: "%.3f ms" % (ns / 1e6)

def fail(why):
    print(why)
    sys.exit(1)

if d.get("schedprof_diff") != 1: fail("not a schedprof_diff 1")
if not d["fail_on"]["worse"]: fail("not worse: %s" % d["fail_on"])
c = d["comparison"]

def busiest(r):
    return max(r["loops"], key=lambda l: l["task_runs"])

lb, la = busiest(b), busiest(a)
# Every figure is the reports' own, every change after - before.
def prio_figs(p):
    return {"runs": p["fired"], "wait_p50_ns": p["wait_ns"]["p50"],
            "wait_p99_ns": p["wait_ns"]["p99"], "wait_max_ns": p["wait_ns"]["max"],
            "starved_ns": p["starved_ns"], "starvation_intervals": len(p["starvation"])}

def task_figs(t):
    return {"runs": t["runs"], "wait_p50_ns": t["wait_ns"]["p50"],
            "wait_p99_ns": t["wait_ns"]["p99"], "wait_max_ns": t["wait_ns"]["max"],
            "run_max_ns": t["run_ns"]["max"], "run_total_ns": t["run_total_ns"],
            "long_runs": t["long_runs"]}

def side(loop, key, figs, keep):
    return {x[key]: figs(x) for x in loop if keep(x)}

for table, key, figs, keep, lbkey in (
        ("priorities", "priority", prio_figs,
         lambda p: p["fired"] or p["starvation"], "priorities"),
        ("tasks", "name", task_figs, lambda t: True, "tasks")):
    sb = side(lb[lbkey], key, figs, keep)
    sa = side(la[lbkey], key, figs, keep)
    rows = {r["name"]: r for r in c[table]}
    if set(rows) != set(sb) | set(sa):
        fail("%s: rows %s, reports %s" % (table, sorted(rows), sorted(set(sb) | set(sa))))
    for name, r in rows.items():
        for k, cell in r["figures"].items():
            # Both sides have the loop: a row one lacks ran nothing
            # there, 0 (compare.h, cmp_set_has_loop()).
            vb = sb[name].get(k) if name in sb else 0
            va = sa[name].get(k) if name in sa else 0
            if (cell["before"], cell["after"]) != (vb, va):
                fail("%s %s %s: %s to %s, reports %s to %s" %
                     (table, name, k, cell["before"], cell["after"], vb, va))
            if vb is not None and va is not None and cell["change"] != va - vb:
                fail("%s %s %s: change %s" % (table, name, k, cell["change"]))
            if vb == 0 and cell["change_pct"] is not None:
                fail("%s %s %s: a percentage from 0" % (table, name, k))
    # By impact: the rows beyond noise first, their impact not growing.
    imp = [(not r["beyond_noise"], -r["impact_ns"]) for r in c[table]]
    if imp != sorted(imp):
        fail("%s not by impact: %s" % (table, [(r["name"], r["impact_ns"]) for r in c[table]]))

spell = [r for r in c["tasks"] if r["name"] == truth["planted_task"]]
if not spell: fail("no row for %s" % truth["planted_task"])
rm = spell[0]["figures"]["run_max_ns"]
planted = int(truth["planted_run_ns"])
if abs(rm["after"] - planted) > 10_000_000:
    fail("spellcheck's longest run %s, planted %s" % (ms(rm["after"]), ms(planted)))
if not rm["beyond_noise"] or rm["before"] > 50_000_000:
    fail("spellcheck's longest run: %s" % rm)
new = [f for f in c["findings"] if f["status"] == "new" and
       f["kind"] in ("never-yields", "long-running-task") and
       f["subject"].startswith("spellcheck")]
if not new: fail("no new never-yields/long-running-task finding on spellcheck: %s" % c["findings"])
if "spellcheck longest run" not in c["summary"]:
    fail("the summary does not name spellcheck's longest run: %s" % c["summary"])
print("planted: spellcheck's longest run %s to %s (truth %s), %s new; every figure "
      "the reports'; rows by impact; exit 3" % (ms(rm["before"]), ms(rm["after"]),
                                                ms(planted), new[0]["kind"]))
PY
); then
	pass "$msg"
else
	bad "planted: $msg"
fi

# ---- planted: text -----------------------------------------------------------------
rc=0
"$bin" diff "$out/h1.json" "$out/p.json" --fail-on 10 --min-change 5 \
	>"$out/planted.txt" 2>&1 || rc=$?
t="$out/planted.txt"
if [ "$rc" -ne 3 ]; then
	bad "text: exit $rc, expected 3"
elif [ "$(sed -n 4p "$t" | cut -c1-11)" != "  summary: " ]; then
	bad "text: the summary is not first: $(sed -n 4p "$t")"
elif ! grep -q '^  summary: .*spellcheck longest run .* to 12[0-9]\(\.[0-9]*\)\? ms' "$t"; then
	bad "text: the summary: $(grep -m1 summary "$t")"
elif grep -q ' > \|+0\.0%\| $' "$t"; then
	bad "text: a '>' separator, a '+0.0%' or a trailing space: $(grep -m1 ' > \|+0\.0%\| $' "$t")"
elif ! grep -q '^  --fail-on 10%: worse: ' "$t"; then
	bad "text: no verdict: $(tail -1 "$t")"
else
	pass "text: summary first, naming spellcheck's longest run; no '>', no '+0.0%'; worse"
fi

# ---- mixed: a trace against a report -----------------------------------------------
rc=0
"$bin" diff "$out/h1" "$out/p.json" --pid "$pid_h1,$pid_p" --fail-on 10 \
	--min-change 5 --json >"$out/mixed.json" 2>"$out/mixed.err" || rc=$?
if [ "$rc" -ne 3 ]; then
	bad "mixed: exit $rc, expected 3: $(head -1 "$out/mixed.err")"
elif ! python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if a["comparison"] == b["comparison"] else 1)' "$out/mixed.json" "$out/planted.json"; then
	bad "mixed: the trace against the report compares otherwise than the two reports"
else
	pass "a trace directory against a report: the same comparison"
fi
exit $fail
