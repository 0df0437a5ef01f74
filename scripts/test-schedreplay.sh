#!/usr/bin/env bash
# schedreplay end to end (root: LTTng). Records two programs for real with
# `schedprof record`, replays them with `schedreplay` and checks:
#
# tests/replay_workload.c (a planted LOWEST starvation, posts, children,
# timers, a stopwatch task; run SCHED_FIFO, as the truth test runs its
# workloads, so that a busy machine does not stretch it):
#   truth        the recording's LOWEST interval starts and ends within
#                10 ms of when the victim became ready and ran;
#   fidelity     the unchanged --sim replay reproduces every priority's
#                wait p50 and p99 within 10% or 1 ms, and the same
#                starvation intervals (each end within 10 ms), computed
#                here from the JSON figures, and the tool says FAITHFUL;
#   determinism  two --sim replays print the same bytes (text and JSON);
#   round trip   --save, then the file: the same JSON (but "input"), and
#                saving the file again gives the same bytes;
#   what-ifs     --max-wait victim=50 (victim waits at most 60 ms, no
#                LOWEST starvation), --set-priority victim=HIGHEST (waits
#                under 5 ms), --scale hog=0.5 (LOWEST starvation 35% to
#                70% of the recording's), --slice 4 (hog runs at most
#                6.5 ms, more often), --max-wait 50 for all (no starvation
#                at all);
#   --real       a real-time replay (--realtime) reproduces the LOWEST
#                starvation within 15%; at --speed 2 within 20% (figures
#                back on the recording's scale) in at most 65% of the
#                span (--timing); -o records it with LTTng and
#                `schedprof report` finds the victim's starvation in it.
#
# examples/officesim (the demo, 3 s, SCHED_FIFO): the unchanged --sim
# replay reproduces the wait p50 and p99 of every priority that ran at
# least 20 times within 10% or 1 ms, and each priority's starved time
# within 10% (the tool's own verdict, which also asks every interval to
# match to 10 ms, is printed: a forced run of a task with a maximum wait
# that falls within microseconds of another task's pick can split an
# interval elsewhere, see docs/schedreplay.md); --max-wait indexer=50 at least halves the indexer's longest
# wait and its starving-task finding is gone (or left only behind a layout
# reflow, not the spell checker), and with --scale layout=0.1
# (a layout that reflows in 30 ms) the
# indexer never waits the starvation threshold (100 ms); --slice 5 splits
# the spell checker's runs (more runs, its longest under 75% of the
# recording's) but leaves LOWEST starving as long (strict priority: the
# spell checker stays ready above it); --set-priority
# indexer=DEFAULT_IDLE shortens the indexer's longest wait; what-if
# replays print the same bytes twice.
#
# tests/traces/before-cpu (committed, no recording): a workload without
# recorded figures, with a what-if, writes "fidelity" and
# "unchanged_replay" as null. On officesim, --set-priority layout=HIGHEST
# leaves HIGH_IDLE with no run: "runs N 0", not "only recorded", and any
# "not faithful" there names the unchanged replay; counts of 1 singular.
#
# The comparison's layout (tools/common/compare.c): the fidelity said once
# near the top and the summary before the tables, no ">" between recorded
# and replayed, no "+0.0%", no trailing space, per-task rows by impact with
# the report's own figures; a workload that ran no task: "nothing to
# compare".
#
#   scripts/test-schedreplay.sh   (make build/bin/schedreplay
#                                  build/bin/schedprof build/bin/officesim
#                                  build/tests/replay_workload
#                                  build/lib/libsched-lttng.so)
#
# Output under build/schedreplay-test/ (cleaned first). Exit status 0 if
# all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/schedreplay-test
rp=build/bin/schedreplay
prof=build/bin/schedprof
wl=build/tests/replay_workload
office=build/bin/officesim
fail=0
pass() { echo "  PASS     schedreplay: $*"; }
bad() { echo "  FAIL     schedreplay: $*"; fail=1; }

for f in "$rp" "$prof" "$wl" "$office" build/lib/libsched-lttng.so; do
	if [ ! -e "$f" ]; then
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

# record NAME CMD...: the trace in $out/NAME, stdout in NAME.out.
record() {
	local name=$1
	shift
	if ! timeout 120 "$prof" record -o "$out/$name" -- "$@" \
		>"$out/$name.out" 2>"$out/$name.record.err"; then
		bad "$name: record failed: $(tail -1 "$out/$name.record.err")"
		return 1
	fi
	if ! grep -q 'trace written to .* 0 discarded)' "$out/$name.record.err"; then
		bad "$name: the trace is incomplete: $(grep -m1 'trace written' "$out/$name.record.err")"
		return 1
	fi
	return 0
}

# replay OUTFILE ARGS...: schedreplay ARGS > OUTFILE; false (and a FAIL)
# if it did not exit 0.
replay() {
	local o=$1 rc
	shift
	timeout 120 "$rp" "$@" >"$o" 2>"$o.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		bad "schedreplay $*: exit status $rc: $(head -1 "$o.err")"
		return 1
	fi
	return 0
}

# check NAME PYTHON: runs the Python check on the files it names; its last
# line is the PASS message, anything before it a diagnosis.
check() {
	local name=$1 code=$2 msg
	shift 2
	if msg=$(python3 -c "$code" "$@" 2>&1); then
		pass "$name: $msg"
	else
		bad "$name: $msg"
	fi
}

# The same, for a figure that is reported but not required: the fidelity
# of a recording of the demo program, which a knife edge (a maximum wait
# running out a few microseconds before or after another task's slice)
# can move on one recording in several (docs/schedreplay.md, "Fidelity").
# The fidelity required is the purpose-built workload's, above.
inform() {
	local name=$1 code=$2 msg
	shift 2
	if msg=$(python3 -c "$code" "$@" 2>&1); then
		pass "$name: $msg"
	else
		echo "  INFO     schedreplay: $name, not required: $msg"
	fi
}

# What the checks share: the figures of one task or priority.
lib='
import json, sys
def load(p): return json.load(open(p))
def task(figs, name):
    t = [t for t in figs["tasks"] if t["name"] == name]
    if not t: fail("no task %s" % name)
    return t[0]
def prio(figs, name): return [p for p in figs["priorities"] if p["priority"] == name][0]
def ms(ns): return "%.1f ms" % (ns / 1e6)
def fail(why):
    print(why); sys.exit(1)
'

# ---- the committed trace, no recording -----------------------------------------
# tests/traces/before-cpu saved as a workload and stripped of its recorded
# figures (the orig-* lines): with a what-if and --json, "fidelity" and
# "unchanged_replay" are both there, null.
if replay "$out/cpu.save" tests/traces/before-cpu --save "$out/cpu.wl"; then
	grep -v '^orig-' "$out/cpu.wl" >"$out/cpu-noorig.wl"
	replay "$out/cpu-noorig.json" "$out/cpu-noorig.wl" --max-wait short=50 --json &&
	check "a workload without recorded figures, --json" "$lib"'
r = load(sys.argv[1])
for k in ("comparison", "fidelity", "unchanged_replay"):
    if k not in r: fail("no %s key" % k)
    if r[k] is not None: fail("%s is %r, not null" % (k, r[k]))
print("comparison, fidelity and unchanged_replay: null")
' "$out/cpu-noorig.json"
fi

# ---- the purpose-built workload --------------------------------------------
if record rw "$wl" --realtime && grep -qx 'ok=1' "$out/rw.out"; then
	pid=$(sed -n 's/^pid=//p' "$out/rw.out")
	replay "$out/rw.json" "$out/rw" --pid "$pid" --json &&
	check "truth" "$lib"'
r = load(sys.argv[1])
w = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
origin = r["workload"]["origin_ns"]
ready, ran = int(w["victim_ready_ns"]) - origin, int(w["victim_ran_ns"]) - origin
iv = prio(r["original"], "LOWEST")["starvation"]
if len(iv) != 1: fail("recorded LOWEST intervals: %s" % iv)
ds, de = iv[0]["start_ns"] - ready, iv[0]["end_ns"] - ran
if abs(ds) > 10e6 or abs(de) > 10e6:
    fail("recorded interval off the truth by %s, %s" % (ms(ds), ms(de)))
print("the workload holds the planted LOWEST starvation of %s (start off by %s, end by %s)"
      % (ms(ran - ready), ms(ds), ms(de)))
' "$out/rw.json" "$out/rw.out"
	check "fidelity" "$lib"'
r = load(sys.argv[1])
o, u = r["original"], r["replay"]
bad = []
for po, pu in zip(o["priorities"], u["priorities"]):
    if not po["fired"] and not pu["fired"]: continue
    for k in ("wait_p50_ns", "wait_p99_ns"):
        tol = max(0.1 * po[k], 1e6)
        if abs(pu[k] - po[k]) > tol:
            bad.append("%s %s %s > %s" % (po["priority"], k, ms(po[k]), ms(pu[k])))
so = [(p["priority"], s) for p in o["priorities"] for s in p["starvation"]]
su = [(p["priority"], s) for p in u["priorities"] for s in p["starvation"]]
if len(so) != len(su): bad.append("%d intervals recorded, %d replayed" % (len(so), len(su)))
for (a, x), (b, y) in zip(so, su):
    if a != b or abs(x["start_ns"] - y["start_ns"]) > 10e6 or abs(x["end_ns"] - y["end_ns"]) > 10e6:
        bad.append("interval %s %s vs %s %s" % (a, x, b, y))
if bad: fail("; ".join(bad))
if not r["fidelity"]["ok"]: fail("the tool says not faithful: %s" % r["fidelity"])
print("every priority within 10%%/1 ms, %d starvation interval%s the same; the tool agrees"
      % (len(so), "" if len(so) == 1 else "s"))
' "$out/rw.json"

	# Determinism: the same bytes twice, text and JSON.
	if replay "$out/rw.a.txt" "$out/rw" --pid "$pid" &&
		replay "$out/rw.b.txt" "$out/rw" --pid "$pid" &&
		replay "$out/rw.b.json" "$out/rw" --pid "$pid" --json; then
		if cmp -s "$out/rw.a.txt" "$out/rw.b.txt" && cmp -s "$out/rw.json" "$out/rw.b.json"; then
			pass "determinism: two --sim replays print the same bytes (text and JSON)"
		else
			bad "determinism: two --sim replays differ"
		fi
		if grep -q 'FAITHFUL' "$out/rw.a.txt" && ! grep -q 'NOT FAITHFUL' "$out/rw.a.txt"; then
			pass "the text report says FAITHFUL"
		else
			bad "the text report does not say FAITHFUL: $(grep -i faithful "$out/rw.a.txt")"
		fi
	fi

	# Round trip through a workload file.
	if "$rp" "$out/rw" --pid "$pid" --save "$out/rw.workload" 2>"$out/save.err" &&
		replay "$out/rw.file.json" "$out/rw.workload" --json &&
		"$rp" "$out/rw.workload" --save "$out/rw.again.workload" 2>>"$out/save.err"; then
		check "round trip" "$lib"'
a, b = load(sys.argv[1]), load(sys.argv[2])
a.pop("input"); b.pop("input")
if a != b: fail("the file replays differently: %s" % [k for k in a if a[k] != b[k]])
if open(sys.argv[3]).read() != open(sys.argv[4]).read(): fail("saving the file again changed it")
print("the saved workload replays to the same report, and saves to the same bytes")
' "$out/rw.json" "$out/rw.file.json" "$out/rw.workload" "$out/rw.again.workload"
	else
		bad "round trip: --save failed: $(head -1 "$out/save.err")"
	fi

	# What-ifs.
	replay "$out/rw.maxwait.json" "$out/rw.workload" --max-wait victim=50 --json &&
	check "what-if --max-wait victim=50" "$lib"'
r = load(sys.argv[1])
v = task(r["replay"], "victim")["wait_max_ns"]; vo = task(r["original"], "victim")["wait_max_ns"]
if v > 60e6: fail("victim waited %s" % ms(v))
if prio(r["replay"], "LOWEST")["starvation"]: fail("LOWEST still starves")
if not r["fidelity"]["ok"]: fail("the unchanged replay is not faithful")
print("victim waits %s (recorded %s), no LOWEST starvation" % (ms(v), ms(vo)))
' "$out/rw.maxwait.json"
	replay "$out/rw.prio.json" "$out/rw.workload" --set-priority victim=HIGHEST --json &&
	check "what-if --set-priority victim=HIGHEST" "$lib"'
r = load(sys.argv[1])
t = task(r["replay"], "victim")
if t["priority"] != "HIGHEST" or t["wait_max_ns"] > 5e6: fail("victim %s" % t)
if any(p["starvation"] for p in r["replay"]["priorities"]): fail("something starves")
print("victim waits %s at HIGHEST, nothing starves" % ms(t["wait_max_ns"]))
' "$out/rw.prio.json"
	replay "$out/rw.scale.json" "$out/rw.workload" --scale hog=0.5 --json &&
	check "what-if --scale hog=0.5" "$lib"'
r = load(sys.argv[1])
o, n = prio(r["original"], "LOWEST")["longest_starve_ns"], prio(r["replay"], "LOWEST")["longest_starve_ns"]
if not 0.35 * o <= n <= 0.7 * o: fail("LOWEST starved %s, recorded %s" % (ms(n), ms(o)))
h = task(r["replay"], "hog")["run_total_ns"]; ho = task(r["original"], "hog")["run_total_ns"]
if not 0.45 * ho <= h <= 0.55 * ho: fail("hog ran %s in all, recorded %s" % (ms(h), ms(ho)))
print("LOWEST starves %s (recorded %s); hog runs %s in all (recorded %s)"
      % (ms(n), ms(o), ms(h), ms(ho)))
' "$out/rw.scale.json"
	replay "$out/rw.slice.json" "$out/rw.workload" --slice 4 --json &&
	check "what-if --slice 4" "$lib"'
r = load(sys.argv[1])
h, ho = task(r["replay"], "hog"), task(r["original"], "hog")
if h["run_max_ns"] > 6.5e6 or h["runs"] <= ho["runs"]:
    fail("hog: %d runs, longest %s (recorded %d, %s)" % (h["runs"], ms(h["run_max_ns"]), ho["runs"], ms(ho["run_max_ns"])))
if r["replay_stats"]["runs_split"] == 0: fail("no run split")
print("hog: %d runs of at most %s (recorded %d of at most %s)"
      % (h["runs"], ms(h["run_max_ns"]), ho["runs"], ms(ho["run_max_ns"])))
' "$out/rw.slice.json"
	replay "$out/rw.maxall.json" "$out/rw.workload" --max-wait 50 --json &&
	check "what-if --max-wait 50 (every task)" "$lib"'
r = load(sys.argv[1])
s = [(p["priority"], x) for p in r["replay"]["priorities"] for x in p["starvation"]]
if s: fail("still starving: %s" % s)
print("no starvation interval left (recorded: %d)" % sum(len(p["starvation"]) for p in r["original"]["priorities"]))
' "$out/rw.maxall.json"

	# Real time, at speed 1 and 2, and recorded with LTTng.
	if replay "$out/rw.real.json" "$out/rw.workload" --real --realtime --json; then
		check "--real" "$lib"'
r = load(sys.argv[1])
if r["mode"] != "real": fail("mode %s" % r["mode"])
o, n = prio(r["original"], "LOWEST")["longest_starve_ns"], prio(r["replay"], "LOWEST")["longest_starve_ns"]
if abs(n - o) > 0.15 * o: fail("LOWEST starved %s, recorded %s" % (ms(n), ms(o)))
print("real time: LOWEST starves %s (recorded %s); fidelity %s" % (ms(n), ms(o), "ok" if r["fidelity"]["ok"] else "off: " + json.dumps(r["fidelity"]["starvation"])))
' "$out/rw.real.json"
	fi
	if replay "$out/rw.real2.json" "$out/rw.workload" --real --realtime --speed 2 --json --timing; then
		check "--real --speed 2" "$lib"'
import re
r = load(sys.argv[1])
m = re.search(r"([0-9.]+) s of workload in ([0-9.]+) s", open(sys.argv[2]).read())
if not m: fail("no --timing line")
span, took = float(m.group(1)), float(m.group(2))
if took > 0.65 * span: fail("took %.3f s for %.3f s of workload at speed 2" % (took, span))
o, n = prio(r["original"], "LOWEST")["longest_starve_ns"], prio(r["replay"], "LOWEST")["longest_starve_ns"]
if abs(n - o) > 0.2 * o: fail("LOWEST starved %s on the recording scale, recorded %s" % (ms(n), ms(o)))
print("%.3f s of workload in %.3f s; LOWEST starves %s on the recording scale (recorded %s)" % (span, took, ms(n), ms(o)))
' "$out/rw.real2.json" "$out/rw.real2.json.err"
	fi
	if replay "$out/rw.o.txt" "$out/rw.workload" --real --realtime -o "$out/rw-replayed"; then
		if "$prof" report "$out/rw-replayed" --json >"$out/rw-replayed.json" 2>"$out/rw-replayed.err"; then
			check "--real -o" "$lib"'
r = load(sys.argv[1])
loops = [l for l in r["loops"] if any(t["name"] == "victim" for t in l["tasks"])]
if len(loops) != 1: fail("%d loops with the victim" % len(loops))
low = [p for p in loops[0]["priorities"] if p["priority"] == "LOWEST"][0]
if not low["starvation"] or low["longest_starve_ns"] < 250e6:
    fail("no LOWEST starvation in the recorded replay: %s" % low)
if "fidelity" not in open(sys.argv[2]).read(): fail("no fidelity in the report")
print("schedprof reads the recorded replay: LOWEST starves %s in it" % ms(low["longest_starve_ns"]))
' "$out/rw-replayed.json" "$out/rw.o.txt"
		else
			bad "--real -o: schedprof report failed: $(head -1 "$out/rw-replayed.err")"
		fi
	fi
elif [ -f "$out/rw.out" ]; then
	bad "replay_workload did not run its plan: $(tail -1 "$out/rw.record.err")"
fi

# ---- the demo program ---------------------------------------------------------
# officesim prints no pid, and LTTng records every program with the
# provider loaded meanwhile (another test's officesim, say): the shell
# says its pid, which exec hands on to officesim.
if record office sh -c 'echo "pid=$$"; exec chrt -f 10 "$0" --seconds 3 --quiet' \
	"$office"; then
	opid=$(sed -n 's/^pid=//p' "$out/office.out")
	set -- --pid "${opid:-0}"
	if replay "$out/office.json" "$out/office" "$@" --json; then
		inform "officesim fidelity" "$lib"'
r = load(sys.argv[1])
if "officesim" not in r["workload"]["source"]: fail("replayed %s" % r["workload"]["source"])
o, u, f = r["original"], r["replay"], r["fidelity"]
bad = []
for po, pu in zip(o["priorities"], u["priorities"]):
    if po["fired"] < 20: continue
    for k in ("wait_p50_ns", "wait_p99_ns"):
        if abs(pu[k] - po[k]) > max(0.1 * po[k], 1e6):
            bad.append("%s %s %s > %s" % (po["priority"], k, ms(po[k]), ms(pu[k])))
    if abs(pu["starved_ns"] - po["starved_ns"]) > max(0.1 * po["starved_ns"], 10e6):
        bad.append("%s starved %s > %s" % (po["priority"], ms(po["starved_ns"]), ms(pu["starved_ns"])))
if bad: fail("; ".join(bad))
st = f["starvation"]
print("every priority that ran 20 times within 10%%/1 ms, starved as long within 10%%; "
      "the tool says %s: %d of %d intervals matched, %d replayed unmatched; run begins off by p50 %.0f us"
      % ("FAITHFUL" if f["ok"] else "NOT FAITHFUL", st["matched"], st["recorded"],
         st["replayed_unmatched"], f["stats"]["drift_p50_ns"] / 1e3))
' "$out/office.json"
	fi
	replay "$out/office.mw.json" "$out/office" "$@" --max-wait indexer=50 --json &&
	check "officesim --max-wait indexer=50" "$lib"'
r = load(sys.argv[1])
n, o = task(r["replay"], "indexer")["wait_max_ns"], task(r["original"], "indexer")["wait_max_ns"]
if n > 0.5 * o: fail("indexer waits %s, recorded %s" % (ms(n), ms(o)))
starving = lambda figs: [f for f in figs["findings"] if f["kind"] == "starving-task" and f["culprit"].startswith("indexer ")]
if not starving(r["original"]): fail("no starving-task finding on the indexer in the recording")
# Every wait of 100 ms is a finding: one may stay, behind a 300 ms layout
# reflow that nothing preempts, but no longer behind the spell checker.
left = [f for f in starving(r["replay"]) if "most: spell " in (f["evidence"] or "")]
if left: fail("the replay still finds the indexer starving behind spell: %s" % left)
print("indexer waits at most %s (recorded %s); its starving-task finding is %s" % (ms(n), ms(o),
      "gone" if not starving(r["replay"]) else "left only behind " + starving(r["replay"])[0]["evidence"].split("(most: ")[1].split(")")[0]))
' "$out/office.mw.json"
	replay "$out/office.mwl.json" "$out/office" "$@" --max-wait indexer=50 --scale layout=0.1 --json &&
	check "officesim --max-wait indexer=50 --scale layout=0.1" "$lib"'
r = load(sys.argv[1])
n, o = task(r["replay"], "indexer")["wait_max_ns"], task(r["original"], "indexer")["wait_max_ns"]
if n >= r["starve_ns"]: fail("indexer waits %s" % ms(n))
print("indexer never waits the starvation threshold: at most %s (recorded %s)" % (ms(n), ms(o)))
' "$out/office.mwl.json"
	replay "$out/office.sl.json" "$out/office" "$@" --slice 5 --json &&
	check "officesim --slice 5" "$lib"'
r = load(sys.argv[1])
s, so = task(r["replay"], "spell"), task(r["original"], "spell")
if s["runs"] <= so["runs"] or s["run_max_ns"] > 0.75 * so["run_max_ns"]:
    fail("spell %d runs, longest %s (recorded %d, %s)" % (s["runs"], ms(s["run_max_ns"]), so["runs"], ms(so["run_max_ns"])))
lo, ln = prio(r["original"], "LOWEST")["starved_ns"], prio(r["replay"], "LOWEST")["starved_ns"]
if abs(ln - lo) > 0.1 * lo: fail("LOWEST starved %s, recorded %s" % (ms(ln), ms(lo)))
print("spell: %d runs, longest %s (recorded %d, %s); LOWEST still starves %s (recorded %s)"
      % (s["runs"], ms(s["run_max_ns"]), so["runs"], ms(so["run_max_ns"]), ms(ln), ms(lo)))
' "$out/office.sl.json"
	replay "$out/office.pr.json" "$out/office" "$@" --set-priority indexer=DEFAULT_IDLE --json &&
	check "officesim --set-priority indexer=DEFAULT_IDLE" "$lib"'
r = load(sys.argv[1])
n, o = task(r["replay"], "indexer")["wait_max_ns"], task(r["original"], "indexer")["wait_max_ns"]
if n >= 0.5 * o: fail("indexer waits %s, recorded %s" % (ms(n), ms(o)))
print("indexer waits at most %s (recorded %s)" % (ms(n), ms(o)))
' "$out/office.pr.json"
	# A what-if that empties a priority: layout was HIGH_IDLE's only
	# task; at HIGHEST, HIGH_IDLE ran nothing: "runs N 0", never "only
	# recorded". A "not faithful" block there is about the unchanged
	# replay and says so. Counts of one are singular.
	if replay "$out/office.hi.txt" "$out/office" "$@" --set-priority layout=HIGHEST &&
		replay "$out/office.sc.txt" "$out/office" "$@" --scale layout=0.1; then
		if grep -q 'only recorded' "$out/office.hi.txt" ||
			! grep -Eq '^    HIGH_IDLE +runs +[0-9]+ +0 +-[0-9]+ \(-100\.0%\)$' "$out/office.hi.txt"; then
			bad "--set-priority layout=HIGHEST: HIGH_IDLE: $(grep -m1 HIGH_IDLE "$out/office.hi.txt")"
		elif grep -q '^  not faithful:$' "$out/office.hi.txt"; then
			bad "--set-priority layout=HIGHEST: 'not faithful:' not said to be the unchanged replay's"
		elif grep -Eq '(^|[^0-9])1 (starts|recorded runs|posts|events|workload runs)[ ,;]' \
			"$out/office.hi.txt" "$out/office.sc.txt"; then
			bad "a count of 1 in the plural: $(grep -Eho '(^|[^0-9])1 (starts|recorded runs|posts|events|workload runs)' "$out/office.hi.txt" "$out/office.sc.txt" | head -1)"
		else
			pass "what-if layout=HIGHEST: HIGH_IDLE runs to 0; not faithful labelled the unchanged replay's; counts of one singular"
		fi
	fi
	# Determinism with what-ifs, on a program whose findings name
	# addresses (a performer's backlog).
	if replay "$out/office.d1" "$out/office" "$@" --max-wait indexer=50 --slice 3 --json &&
		replay "$out/office.d2" "$out/office" "$@" --max-wait indexer=50 --slice 3 --json &&
		replay "$out/office.d3" "$out/office" "$@" --scale layout=0.5 &&
		replay "$out/office.d4" "$out/office" "$@" --scale layout=0.5; then
		if cmp -s "$out/office.d1" "$out/office.d2" && cmp -s "$out/office.d3" "$out/office.d4"; then
			pass "officesim determinism: what-if replays print the same bytes twice (JSON and text)"
		else
			bad "officesim determinism: $(cmp "$out/office.d1" "$out/office.d2"; cmp "$out/office.d3" "$out/office.d4")"
		fi
	fi
	if "$rp" "$out/office" "$@" --timing >/dev/null 2>"$out/office.timing" &&
		grep -Eq '^schedreplay: --sim replay: [0-9]+ events in [0-9.]+ s \([0-9]+/s\)' "$out/office.timing"; then
		pass "--timing: $(cat "$out/office.timing")"
	else
		bad "--timing: $(cat "$out/office.timing")"
	fi
fi
# ---- the comparison's layout (tools/common/compare.c, issue 18) -------------
# On the purpose-built workload, unchanged and with --max-wait victim=50:
# the fidelity said once, near the top, with the summary before the
# tables; no ">" between a recorded and a replayed figure, no "+0.0%", no
# trailing space; the per-task rows in the order of the JSON comparison,
# which is by impact; the comparison's figures are the report's own
# "original" and "replay" ones. A workload that ran no task says "nothing
# to compare", not "FAITHFUL: 0 of 0 priorities".
if [ -d "$out/rw" ] && [ -s "$out/rw.a.txt" ]; then
	pid=$(sed -n 's/^pid=//p' "$out/rw.out")
	if replay "$out/rw.wi.txt" "$out/rw" --pid "$pid" --max-wait victim=50 &&
		replay "$out/rw.wi.json" "$out/rw" --pid "$pid" --max-wait victim=50 --json; then
		check "layout" "$lib"'
import re
r = load(sys.argv[1])
for path in sys.argv[2:]:
    lines = open(path).read().split("\n")
    txt = "\n".join(lines)
    name = path.rsplit("/", 1)[-1]
    if re.search(r"[0-9a-z] > [0-9]", txt): fail("%s: a \">\" separator" % name)
    if "+0.0%)" in txt or "-0.0%)" in txt: fail("%s: a 0.0%% change" % name)
    trail = [l for l in lines if l != l.rstrip()]
    if trail: fail("%s: trailing space: %r" % (name, trail[0]))
    fid = [i for i, l in enumerate(lines) if "FAITHFUL" in l]
    if len(fid) != 1 or fid[0] > 6: fail("%s: the fidelity at lines %s" % (name, fid))
    summ = [i for i, l in enumerate(lines) if l.startswith("  summary: ")]
    tables = [i for i, l in enumerate(lines) if l.startswith("  per ")]
    if len(summ) != 1 or summ[0] > 10 or (tables and tables[0] < summ[0]):
        fail("%s: the summary at %s, tables at %s" % (name, summ, tables))
c = r["comparison"]
imp = [(not t["beyond_noise"], -t["impact_ns"]) for t in c["tasks"]]
if imp != sorted(imp): fail("tasks not by impact: %s" % [(t["name"], t["impact_ns"]) for t in c["tasks"]])
v = [t for t in c["tasks"] if t["name"] == "victim"][0]["figures"]["wait_max_ns"]
if (v["before"], v["after"]) != (task(r["original"], "victim")["wait_max_ns"], task(r["replay"], "victim")["wait_max_ns"]):
    fail("victim wait max %s, report %s" % (v, (task(r["original"], "victim")["wait_max_ns"], task(r["replay"], "victim")["wait_max_ns"])))
if not v["beyond_noise"] or v["change"] >= 0: fail("victim wait max: %s" % v)
lines = open(sys.argv[2]).read().split("\n")
start = lines.index("  per task, by impact")
shown = [l.split()[0] for l in lines[start + 2:] if l.startswith("    ") and l[4] != " "]
order = [t["name"] for t in c["tasks"] if t["beyond_noise"]]
if shown[:len(order)] != order: fail("text rows %s, JSON %s" % (shown, order))
print("fidelity once, summary first (%s), no \">\", no 0.0%%, no trailing space; tasks by impact: %s"
      % (c["summary"][:60] + "...", ", ".join(order)))
' "$out/rw.wi.json" "$out/rw.wi.txt" "$out/rw.a.txt"
	fi
	printf 'libsched-workload 1\nspan 100000000\norig-thresholds 50000000 100000000\norig-posted-runs 0\n' \
		>"$out/empty.workload"
	if replay "$out/empty.txt" "$out/empty.workload"; then
		if grep -q '^  fidelity: nothing to compare' "$out/empty.txt" &&
			! grep -q 'FAITHFUL' "$out/empty.txt"; then
			pass "a workload that ran no task: \"fidelity: nothing to compare\""
		else
			bad "a workload that ran no task: $(grep -i 'faithful\|fidelity' "$out/empty.txt")"
		fi
	fi
fi
exit $fail
