#!/usr/bin/env bash
# schedprof against a known truth (root: LTTng). Records the purpose-built
# workloads of tests/truth_workload.c for real with `schedprof record`,
# reports them with `schedprof report --json` and checks the report
# against what each workload says it planted:
#
#   starve   a LOWEST starvation interval whose start and end are each
#            within 10 ms of the instants the LOWEST task became ready and
#            ran, blamed on the hog, and a starving-priority finding;
#   long     a never-yields (or long-running-task) finding naming the task
#            "long", whose longest run is within 10 ms of the truth;
#   restart  a POST_PAINT task restarted while ready every 30 ms for
#            270 ms: one POST_PAINT interval and one task wait, each
#            within 10 ms of the truth (not cut at the restarts), the wait
#            marked restarted and blamed on the hog (higher priorities);
#   sibling  a LOWEST task starved by a DEFAULT_IDLE hog while its LOWEST
#            sibling is run by its maximum wait: the victim's wait within
#            10 ms of the truth, its higher-priority part the hog's, its
#            own-priority part the sibling's runs, every one counted as
#            forced; a starving-task finding for the victim with advice
#            against the hog, none for the sibling, no starving-priority
#            (the sibling's runs end every LOWEST interval before 100 ms);
#   healthy  no finding at all;
#   (all)    the loop named "truth" by the workload, and by its thread:
#            truth_workload, with the tid the workload printed;
#   block    a blocks-loop finding naming the task "reader" that slept in
#            read(): its longest time off the CPU within 10 ms of the time
#            the task measured in read(), its CPU time within 10 ms of the
#            task's own CLOCK_THREAD_CPUTIME_ID figure, and no
#            long-running-task or never-yields finding (a stopwatch would
#            not help);
#   preempt  the slice overruns of the stopwatch task "worker", preempted
#            by a SCHED_FIFO thread on its CPU, told as the thread being
#            descheduled (a slice-overrun finding of severity info, every
#            overrun check with its CPU time within the slice), its time
#            preempted within 10 ms per burst of the bursts' measured
#            total, and no blocks-loop finding. An overrun check "on the
#            CPU" is recorded again, up to 3 times, with a note: this
#            VM's host stalls a vCPU now and then without the guest
#            seeing it (no steal time is reported).
#
# restart and sibling are also checked in schedtop over their traces (a
# starved-task alert naming the victim, blamed on the hog) and in
# schedreplay (the finding recorded and replayed, blamed on the hog).
#
# And --fail-on warning: exit 0 on the healthy workload, 3 on the starving
# one. The workloads run with --realtime (SCHED_FIFO, we are root anyway),
# so that other processes on a busy machine do not stretch the planted
# runs. LTTng records every process that has the provider loaded
# meanwhile: the reports are made with --pid, the workload's.
#
#   scripts/test-schedprof-truth.sh   (make build/bin/schedprof
#                                      build/tests/truth_workload
#                                      build/lib/libsched-lttng.so)
#
# Output goes to build/schedprof-truth-test/ (cleaned first). Exit status
# 0 if all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/schedprof-truth-test
bin=build/bin/schedprof
wl=build/tests/truth_workload
tolerance_ms=10
fail=0
pass() { echo "  PASS     schedprof-truth: $*"; }
bad() { echo "  FAIL     schedprof-truth: $*"; fail=1; }

for f in "$bin" "$wl" build/bin/schedtop build/bin/schedreplay; do
	if [ ! -x "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
if ! command -v python3 >/dev/null 2>&1; then
	bad "python3 not found (make deps, as root)"
	exit 1
fi
rm -rf "$out"
mkdir -p "$out"

# record MODE: the trace in $out/MODE, the workload's truth in MODE.out.
record() {
	local m=$1

	rm -rf "${out:?}/$m" # recorded again (preempt)
	if ! timeout 120 "$bin" record -o "$out/$m" -- "$wl" --mode "$m" --realtime \
		>"$out/$m.out" 2>"$out/$m.record.err"; then
		bad "$m: record failed: $(tail -1 "$out/$m.record.err")"
		return 1
	fi
	if ! grep -qx 'ok=1' "$out/$m.out"; then
		bad "$m: the workload did not run its plan: $(tail -1 "$out/$m.record.err")"
		return 1
	fi
	if ! grep -q 'trace written to .* 0 discarded)' "$out/$m.record.err"; then
		bad "$m: the trace is incomplete: $(grep -m1 'trace written' "$out/$m.record.err")"
		return 1
	fi
	pid=$(sed -n 's/^pid=//p' "$out/$m.out")
	if ! "$bin" report "$out/$m" --pid "$pid" --json >"$out/$m.json" \
		2>"$out/$m.report.err"; then
		bad "$m: report --json failed: $(head -1 "$out/$m.report.err")"
		return 1
	fi
	return 0
}

# check MODE: runs the Python check of MODE on MODE.json against MODE.out;
# its last line is the PASS message, anything before it a diagnosis.
check() {
	local m=$1 msg

	if msg=$(python3 - "$m" "$out/$m.json" "$out/$m.out" "$tolerance_ms" <<'PY' 2>&1
import json, sys

mode, report, truth, tol_ms = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
tol = int(tol_ms) * 1000000
r = json.load(open(report))
w = dict(l.strip().split("=", 1) for l in open(truth) if "=" in l)
ms = lambda ns: "%.3f ms" % (ns / 1e6)

def fail(why):
    print(why)
    sys.exit(1)

if r.get("schedprof_report") != 1 or r.get("complete") is not True:
    fail("not a complete schedprof_report 1")
# The report has only the workload's process (--pid); the workload's loop
# and the findings about it, or about no loop in particular (lost events),
# are judged.
addr, pid = int(w["loop"], 16), int(w["pid"])
loops = [l for l in r["loops"] if int(l["loop"], 16) == addr and l["pid"] == pid]
if len(loops) != 1:
    fail("loop %s of pid %d not in the report (loops: %s)" %
         (w["loop"], pid, [(l["loop"], l["pid"]) for l in r["loops"]]))
loop = loops[0]
# Named by its name and thread, not its address.
if (loop["name"], loop["tid"], loop["thread"]) != \
        (w["loop_name"], int(w["loop_tid"]), "truth_workload"):
    fail("loop named %r, thread %r tid %r; truth: %r, truth_workload, %s"
         % (loop["name"], loop["thread"], loop["tid"], w["loop_name"], w["loop_tid"]))
if loop["label"] != 'loop "%s" (thread truth_workload, tid %s)' % (w["loop_name"], w["loop_tid"]):
    fail("loop label %r" % loop["label"])
others = sorted({l["pid"] for l in r["loops"] if l["pid"] != pid})
if others:
    fail("--pid %d: the report has other processes too: %s" % (pid, others))
findings = [f for f in r["findings"] if f["loop"] is None or int(f["loop"], 16) == addr]

kinds = ["%s %s (%s)" % (f["severity"], f["kind"], f["culprit"])
         for f in findings]

if mode == "starve":
    ready, ran = int(w["ready_ns"]), int(w["ran_ns"])
    prio = [p for p in loop["priorities"] if p["priority"] == w["starved_prio"]]
    if not prio or not prio[0]["starvation"]:
        fail("no %s starvation interval (findings: %s)" % (w["starved_prio"], kinds))
    best = min(prio[0]["starvation"],
               key=lambda s: abs(s["start_ns"] - ready) + abs(s["end_ns"] - ran))
    ds, de = best["start_ns"] - ready, best["end_ns"] - ran
    if abs(ds) > tol or abs(de) > tol:
        fail("interval [%d, %d] vs truth [%d, %d]: start off by %s, end by %s"
             % (best["start_ns"], best["end_ns"], ready, ran, ms(ds), ms(de)))
    if not best["blame"] or best["blame"][0]["name"] != w["hog_task"]:
        fail("blame %s, expected %s first" % (best["blame"], w["hog_task"]))
    st = [f for f in findings
          if f["kind"] == "starving-priority" and f["culprit"] == w["starved_prio"]]
    if not st:
        fail("no starving-priority finding for %s (findings: %s)"
             % (w["starved_prio"], kinds))
    extra = [k for k, f in zip(kinds, findings)
             if f["kind"] not in ("starving-priority", "starving-task")]
    if extra:
        fail("unexpected findings: %s" % extra)
    print(("starve: %s interval of %s (truth %s), start off by %s, end by %s; "
          "blamed on %s; finding: %s" %
          (w["starved_prio"], ms(best["end_ns"] - best["start_ns"]), ms(ran - ready),
           ms(ds), ms(de), best["blame"][0]["name"], kinds[findings.index(st[0])])))
elif mode == "long":
    run = int(w["long_run_ns"])
    culprit = "%s (%s)" % (w["long_task"], w["long_prio"])
    lf = [f for f in findings
          if f["kind"] in ("never-yields", "long-running-task")
          and f["culprit"] == culprit]
    if not lf:
        fail("no never-yields/long-running-task finding for %s (findings: %s)"
             % (culprit, kinds))
    if lf[0]["kind"] != "never-yields":
        fail("%s found as %s, expected never-yields (no stopwatch check)"
             % (culprit, lf[0]["kind"]))
    tasks = [t for t in loop["tasks"] if t["name"] == w["long_task"]]
    if len(tasks) != 1:
        fail("task %s: %d entries" % (w["long_task"], len(tasks)))
    t = tasks[0]
    d = t["run_ns"]["max"] - run
    if abs(d) > tol:
        fail("max run %s vs truth %s: off by %s" % (ms(t["run_ns"]["max"]), ms(run), ms(d)))
    if t["long_runs"] != 1 or t["never_yield_runs"] != 1 or t["runs"] != 1:
        fail("runs %d, long runs %d, never-yield runs %d: expected 1 each"
             % (t["runs"], t["long_runs"], t["never_yield_runs"]))
    extra = [k for k, f in zip(kinds, findings) if f is not lf[0]]
    if extra:
        fail("unexpected findings: %s" % extra)
    print(("long: %s, max run %s (truth %s, off by %s)" %
          (kinds[findings.index(lf[0])], ms(t["run_ns"]["max"]), ms(run), ms(d))))
elif mode in ("restart", "sibling"):
    ready, ran, waited = int(w["ready_ns"]), int(w["ran_ns"]), int(w["waited_ns"])
    victim, vprio = w["victim"], w["victim_prio"]
    culprit = "%s (%s)" % (victim, vprio)
    waits = [t for t in loop["task_starvation"] if t["name"] == victim]
    if len(waits) != 1:
        fail("%d task wait(s) for %s, expected 1: %s" % (len(waits), victim,
             [(t["name"], t["duration_ns"]) for t in loop["task_starvation"]]))
    tw = waits[0]
    ds, de = tw["start_ns"] - ready, tw["end_ns"] - ran
    if abs(ds) > tol or abs(de) > tol:
        fail("%s's wait [%d, %d] vs truth [%d, %d]: start off by %s, end by %s"
             % (victim, tw["start_ns"], tw["end_ns"], ready, ran, ms(ds), ms(de)))
    if tw["priority"] != vprio:
        fail("%s's wait at %s, expected %s" % (victim, tw["priority"], vprio))
    top = tw["blame"][0] if tw["blame"] else {}
    if top.get("name") != w["hog_task"] or top.get("priority") != w["hog_prio"]:
        fail("%s's wait blamed first on %s, expected %s (%s)"
             % (victim, top, w["hog_task"], w["hog_prio"]))
    higher = tw["groups"]["higher"]
    tasks = {t["name"]: t for t in loop["tasks"]}
    if tasks[victim]["wait_ns"]["max"] - waited > tol or waited - tasks[victim]["wait_ns"]["max"] > tol:
        fail("%s's wait max %s vs truth %s" % (victim, ms(tasks[victim]["wait_ns"]["max"]), ms(waited)))
    vf = [f for f in findings if f["kind"] == "starving-task" and f["culprit"] == culprit]
    if not vf:
        fail("no starving-task finding for %s (findings: %s)" % (culprit, kinds))
    advice = "split or lower %s" % w["hog_task"]
    if advice not in vf[0]["evidence"]:
        fail("the advice does not follow the blame (%r not in %r)" % (advice, vf[0]["evidence"]))
    if mode == "restart":
        if not tw["restarted"] or "restarted while ready" not in vf[0]["evidence"]:
            fail("%s's wait not marked restarted (%d restarts in the workload)" % (victim, int(w["restarts"])))
        if abs(higher["ran_ns"] - waited) > tol:
            fail("higher priorities ran %s of the %s wait" % (ms(higher["ran_ns"]), ms(waited)))
        prio = [p for p in loop["priorities"] if p["priority"] == vprio][0]
        if len(prio["starvation"]) != 1:
            fail("%d %s interval(s), expected 1 (cut at the restarts?): %s"
                 % (len(prio["starvation"]), vprio,
                    [(x["start_ns"], x["end_ns"]) for x in prio["starvation"]]))
        st = prio["starvation"][0]
        if abs(st["start_ns"] - ready) > tol or abs(st["end_ns"] - ran) > tol:
            fail("%s interval [%d, %d] vs truth [%d, %d]" % (vprio, st["start_ns"], st["end_ns"], ready, ran))
        allowed = ("starving-priority", "starving-task")
        detail = "%d restarts, interval %s" % (int(w["restarts"]), ms(st["end_ns"] - st["start_ns"]))
    else:
        own = tw["groups"]["own"]
        n = int(w["sibling_runs"])
        if own["runs"] != n or own["forced_runs"] != n:
            fail("own priority: %d runs, %d forced; the sibling ran %d times, each forced"
                 % (own["runs"], own["forced_runs"], n))
        sib = [b for b in tw["blame"] if b["name"] == w["sibling_task"]]
        if not sib or sib[0]["runs"] != n or sib[0]["forced_runs"] != n:
            fail("sibling in the blame: %s; expected %d runs, all forced" % (sib, n))
        if abs(higher["ran_ns"] + own["ran_ns"] - waited) > tol:
            fail("higher %s + own %s vs the %s wait" % (ms(higher["ran_ns"]), ms(own["ran_ns"]), ms(waited)))
        if [f for f in findings if f["culprit"].startswith(w["sibling_task"] + " ")]:
            fail("a finding for the sibling, whose max wait rescued it: %s" % kinds)
        allowed = ("starving-task",)
        detail = "own priority %d runs, %d forced (sibling %d)" % (own["runs"], own["forced_runs"], n)
    extra = [k for k, f in zip(kinds, findings)
             if f["kind"] not in allowed or (f["kind"] == "starving-task" and f is not vf[0])]
    if extra:
        fail("unexpected findings: %s" % extra)
    print("%s: %s waited %s (truth %s, start off by %s, end by %s), higher priorities %s, "
          "first culprit %s %s; %s; finding: %s" %
          (mode, victim, ms(tw["duration_ns"]), ms(waited), ms(ds), ms(de),
           ms(higher["ran_ns"]), top["name"], top["priority"], detail,
           kinds[findings.index(vf[0])]))
elif mode == "block":
    culprit = "%s (%s)" % (w["block_task"], w["block_prio"])
    bf = [f for f in findings if f["kind"] == "blocks-loop" and f["culprit"] == culprit]
    if not bf:
        fail("no blocks-loop finding for %s (findings: %s)" % (culprit, kinds))
    t = [t for t in loop["tasks"] if t["name"] == w["block_task"]][0]
    c = t["cpu"]
    if not c or c["blocked_runs"] != 1:
        fail("%s: cpu %s, expected 1 blocked run" % (culprit, c))
    d_off = c["block_max_ns"] - int(w["block_read_ns"])
    d_cpu = c["block_max_cpu_ns"] - int(w["block_cpu_ns"])
    d_run = c["block_max_run_ns"] - int(w["block_run_ns"])
    if abs(d_off) > tol or abs(d_cpu) > tol or abs(d_run) > tol:
        fail("off the CPU %s (truth: %s in read()), CPU %s (truth %s), run %s "
             "(truth %s)" % (ms(c["block_max_ns"]), ms(int(w["block_read_ns"])),
                             ms(c["block_max_cpu_ns"]), ms(int(w["block_cpu_ns"])),
                             ms(c["block_max_run_ns"]), ms(int(w["block_run_ns"]))))
    extra = [k for k, f in zip(kinds, findings) if f is not bf[0]]
    if extra:
        fail("unexpected findings: %s" % extra)
    print("block: %s; off the CPU %s (read() took %s), CPU %s (truth %s)" %
          (kinds[findings.index(bf[0])], ms(c["block_max_ns"]),
           ms(int(w["block_read_ns"])), ms(c["block_max_cpu_ns"]),
           ms(int(w["block_cpu_ns"]))))
elif mode == "preempt":
    culprit = "%s (%s)" % (w["preempt_task"], w["preempt_prio"])
    of = [f for f in findings if f["kind"] == "slice-overrun" and f["culprit"] == culprit]
    if not of:
        fail("no slice-overrun finding for %s (findings: %s)" % (culprit, kinds))
    if of[0]["severity"] != "info" or "descheduled" not in of[0]["evidence"]:
        fail("the overrun is not told as the thread descheduled: %s: %s"
             % (kinds[findings.index(of[0])], of[0]["evidence"]))
    t = [t for t in loop["tasks"] if t["name"] == w["preempt_task"]][0]
    c = t["cpu"]
    if not c or c["overruns_off_cpu"] < 2 or c["overruns_on_cpu"]:
        fail("%s: cpu %s: expected overruns off the CPU only" % (culprit, c))
    if t["runs"] != int(w["worker_runs"]) or t["checks"] != int(w["worker_checks"]):
        fail("%s: %d runs, %d checks in the report; %s, %s in the workload"
             % (culprit, t["runs"], t["checks"], w["worker_runs"], w["worker_checks"]))
    bursts, total = int(w["bursts"]), int(w["burst_total_ns"])
    d = c["preempted_ns"] - total
    if abs(d) > bursts * tol:
        fail("preempted %s in %d runs, truth: %d bursts of %s in all (off by %s)"
             % (ms(c["preempted_ns"]), c["preempted_runs"], bursts, ms(total), ms(d)))
    extra = [k for k, f in zip(kinds, findings) if f is not of[0]]
    if extra:
        fail("unexpected findings: %s" % extra)
    print("preempt: %s; %d overrun check(s) off the CPU, none on it; preempted "
          "%s in %d runs (truth: %d bursts, %s)" %
          (kinds[findings.index(of[0])], c["overruns_off_cpu"], ms(c["preempted_ns"]),
           c["preempted_runs"], bursts, ms(total)))
elif mode == "healthy":
    if findings:
        fail("%d finding(s) on a healthy workload: %s" % (len(findings), kinds))
    tasks = {t["name"]: t for t in loop["tasks"]}
    for name, key in (("keystroke", "keystrokes"), ("repaint", "repaints"),
                      ("spellcheck", "spellchecks"), ("autosave", "autosaves"),
                      ("indexer", "index_runs")):
        if name not in tasks or tasks[name]["runs"] != int(w[key]):
            fail("%s: %s runs in the report, %s in the workload" %
                 (name, tasks.get(name, {}).get("runs"), w[key]))
    if tasks["indexer"]["checks"] != int(w["index_checks"]):
        fail("indexer: %d checks in the report, %s in the workload" %
             (tasks["indexer"]["checks"], w["index_checks"]))
    worst_wait = max(p["wait_ns"]["max"] for p in loop["priorities"])
    worst_run = max(t["run_ns"]["max"] for t in loop["tasks"])
    print(("healthy: no finding (%d runs; longest wait %s, longest run %s)" %
          (sum(t["runs"] for t in loop["tasks"]), ms(worst_wait), ms(worst_run))))
PY
	); then
		pass "$msg"
	elif [ "$m" = preempt ] && [ "${last_try:-1}" = 0 ] &&
	     [[ $msg == *"expected overruns off the CPU only"* ]]; then
		# This VM's host can stall a vCPU without the guest seeing a
		# switch (/proc/stat's steal column stays 0 here): a 1 ms piece
		# then lasts longer on the CPU, as far as anyone in the guest
		# can tell, and its check overruns "on the CPU". Seen once in
		# a CI rehearsal (1 of 11 checks). Recorded again, up to 3 times.
		echo "  note     schedprof-truth: preempt: an overrun check on the CPU (a stall the guest cannot see?): $msg; again"
		return 2
	else
		bad "$m: $msg"
	fi
}

for m in starve long restart sibling healthy block preempt; do
	tries=1
	[ "$m" = preempt ] && tries=3
	for try in $(seq "$tries"); do
		last_try=$([ "$try" -eq "$tries" ] && echo 1 || echo 0)
		if record "$m"; then
			check "$m" && break
			[ $? -eq 2 ] || break
		else
			break
		fi
	done
done

# The same task waits in the other tools: schedtop over the trace alerts
# naming the task with its blame (and the priority's interval, blamed:
# not cut by the restarts), and schedreplay finds it recorded and
# replayed, with the same first culprit.
for m in restart sibling; do
	[ -f "$out/$m.json" ] || continue
	pid=$(sed -n 's/^pid=//p' "$out/$m.out")
	victim=$(sed -n 's/^victim=//p' "$out/$m.out")
	vprio=$(sed -n 's/^victim_prio=//p' "$out/$m.out")
	hog=$(sed -n 's/^hog_task=//p' "$out/$m.out")
	hprio=$(sed -n 's/^hog_prio=//p' "$out/$m.out")
	timeout 60 build/bin/schedtop "$out/$m" -p "$pid" -b -d 0.5 \
		>"$out/$m.top" 2>"$out/$m.top.err"
	want="starved task: $victim \\($vprio\\) waited [0-9.]+ ms.*meanwhile higher priorities .*most: $hog $hprio"
	[ "$m" = restart ] && want="starved task: $victim \\($vprio\\) waited [0-9.]+ ms \\(restarted while ready\\).*most: $hog $hprio"
	if grep -qE "$want" "$out/$m.top"; then
		pass "$m: schedtop over the trace: $(grep -oE "starved task: $victim [^;]*" "$out/$m.top" | head -1), blamed on $hog"
	else
		bad "$m: schedtop over the trace: no blamed starved-task alert for $victim: $(grep -m1 'starved' "$out/$m.top") $(head -1 "$out/$m.top.err")"
	fi
	if [ "$m" = restart ]; then
		if grep -qE "starved: $vprio waited [0-9.]+ ms until $victim ran; ran meanwhile: $hog " "$out/$m.top"; then
			pass "$m: schedtop over the trace: $vprio's interval blamed on $hog"
		else
			bad "$m: schedtop over the trace: no blamed $vprio interval: $(grep -m1 'starved:' "$out/$m.top")"
		fi
	fi
	timeout 120 build/bin/schedreplay "$out/$m" --pid "$pid" --json \
		>"$out/$m.replay.json" 2>"$out/$m.replay.err"
	if msg=$(python3 - "$out/$m.replay.json" "$victim ($vprio)" "$hog $hprio" <<'PY' 2>&1
import json, sys
r = json.load(open(sys.argv[1]))
culprit, top = sys.argv[2], "(most: %s " % sys.argv[3]
for side in ("original", "replay"):
    f = [x for x in r[side]["findings"] if x["kind"] == "starving-task" and x["culprit"] == culprit]
    if not f:
        print("%s: no starving-task finding for %s: %s" % (side, culprit, r[side]["findings"]))
        sys.exit(1)
    if not f[0]["evidence"] or top not in f[0]["evidence"]:
        print("%s: %s not blamed on %s: %s" % (side, culprit, sys.argv[3], f[0]["evidence"]))
        sys.exit(1)
print("schedreplay: %s found recorded and replayed, blamed on %s" % (culprit, sys.argv[3]))
PY
	); then
		pass "$m: $msg"
	else
		bad "$m: $msg"
	fi
done

# --fail-on warning: 0 on the healthy workload, 3 on the starving one.
for want in "healthy 0" "starve 3"; do
	read -r m code <<<"$want"
	[ -f "$out/$m.json" ] || continue
	pid=$(sed -n 's/^pid=//p' "$out/$m.out")
	"$bin" report "$out/$m" --pid "$pid" --fail-on warning >/dev/null \
		2>"$out/$m.failon.err"
	rc=$?
	if [ "$rc" = "$code" ]; then
		pass "report --fail-on warning: exit $rc on $m"
	else
		bad "report --fail-on warning: exit $rc on $m (want $code): $(head -1 "$out/$m.failon.err")"
	fi
done
exit $fail
