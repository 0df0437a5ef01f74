#!/usr/bin/env bash
# schedprof export --perfetto against a known truth (root: LTTng). Records
# tests/perfetto_workload.c, which logs its own thread ids (gettid()), the
# thread that made each post, when each post's work ran, and its stopwatch
# iterations, together with a second process (perfetto_workload --idle),
# in one recording (schedprof record --all-processes), and checks:
#
#   tids     with --pid: the threads' tracks carry the real tids the
#            workload logged (its loop's thread and its two posting
#            threads), no made-up one; only that process's pid;
#   posts    every one of the 20 posts' runs (found by the instant the
#            work logged inside it) is the end of one arrow that starts on
#            the track of the thread that posted it, before the run; a
#            prioritised post's run is a task named after its poster;
#   slices   the stopwatch task's 5 checks as 5 "stopwatch" slices inside
#            its run, in order (check 1..5), each ending after the
#            iteration it closes ended and before the next one began (the
#            check lies between them), no longer than the check's
#            last_iter_ns and as long unless it starts where the one
#            before ended;
#   sleeps   one "sleep" slice per loop_wake event of the process in the
#            trace (babeltrace2), each as long as the wake's slept, none
#            inside a run;
#   --pid    selects: the idle process's export holds its 3 runs and none
#            of the other's threads; without --pid both processes are
#            there;
#   errors   --pid with a bad value or a pid not in the trace: one line,
#            exit 2, no file written (as docs/errors.md says);
#   no vtid  a trace recorded without the vtid context (per-process
#            buffers: the vpid is known, the thread is not): the loop's
#            track gets a made-up tid (10^9 and above) and no thread in its
#            name, and every arrow starts on it;
#
# and every export passes scripts/check-perfetto.py --schedprof.
#
# Perfetto's own importer is not run: Debian 12 packages no Perfetto trace
# processor, importer or Python module (apt-cache search perfetto, trace
# processor, catapult, trace-viewer: none), and Chromium 156's
# chrome://tracing is Perfetto's web UI, loaded from the network.
# check-perfetto.py follows its JSON importer's rules instead.
#
#   scripts/test-schedprof-perfetto.sh   (make build/bin/schedprof
#                                         build/tests/perfetto_workload
#                                         build/lib/libsched-lttng.so)
#
# Output goes to build/schedprof-perfetto-test/ (cleaned first). Exit
# status 0 if all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/schedprof-perfetto-test
bin=build/bin/schedprof
wl=build/tests/perfetto_workload
fail=0
pass() { echo "  PASS     schedprof-perfetto: $*"; }
bad() { echo "  FAIL     schedprof-perfetto: $*"; fail=1; }

for f in "$bin" "$wl" build/lib/libsched-lttng.so; do
	if [ ! -e "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
for c in python3 babeltrace2 lttng; do
	if ! command -v "$c" >/dev/null 2>&1; then
		bad "$c not found (make deps, as root)"
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out"

# ---- one recording of both processes ----------------------------------
if ! timeout 120 "$bin" record --all-processes -o "$out/trace" -- \
	sh -c "$wl >'$out/posts.out' && $wl --idle >'$out/idle.out'" \
	>"$out/record.log" 2>&1; then
	bad "record failed: $(tail -1 "$out/record.log")"
	exit 1
fi
if ! grep -qx 'ok=1' "$out/posts.out" || ! grep -qx 'ok=1' "$out/idle.out"; then
	bad "the workloads did not run their plan"
	exit 1
fi
if ! grep -q 'trace written to .* 0 discarded)' "$out/record.log"; then
	bad "the trace is incomplete: $(grep -m1 'trace written' "$out/record.log")"
	exit 1
fi
pid=$(sed -n 's/^pid=//p' "$out/posts.out")
idle=$(sed -n 's/^pid=//p' "$out/idle.out")
wakes=$(babeltrace2 "$out/trace" 2>/dev/null |
	grep 'libsched:loop_wake:' | grep -c "vpid = $pid,")

# export NAME ARGS...: exports, then checks strictly; 0 if both did.
export_check() {
	local n=$1

	shift
	if ! "$bin" export "$out/trace" --perfetto "$out/$n.json" "$@" \
		>"$out/$n.log" 2>&1; then
		bad "$n: export failed: $(tail -1 "$out/$n.log")"
		return 1
	fi
	if ! scripts/check-perfetto.py --schedprof "$out/$n.json" \
		2>"$out/$n.check"; then
		bad "$n: check-perfetto: $(tail -1 "$out/$n.check")"
		return 1
	fi
	return 0
}

if export_check posts --pid "$pid"; then
	pass "export --pid $pid: check-perfetto --schedprof valid ($(sed -n 's/.*valid (\(.*\))/\1/p' "$out/posts.check"))"
	python3 - "$out/posts.json" "$out/posts.out" "$wakes" <<'PY'
import collections, decimal, json, sys

doc = json.load(open(sys.argv[1]), parse_float=decimal.Decimal)
ev = doc["traceEvents"]
t0 = doc["otherData"]["t0_ns"]
truth = collections.defaultdict(list)
for line in open(sys.argv[2]):
    k, v = line.strip().split("=", 1)
    truth[k].append(v)
w = {k: v[0] for k, v in truth.items()}
pid, loop_tid = int(w["pid"]), int(w["loop_tid"])
posters = {int(w["poster1_tid"]), int(w["poster2_tid"])}
wakes = int(sys.argv[3])
fails = []


def ns(v):
    return int(decimal.Decimal(v) * 1000) + t0


def begin(e):
    return ns(e["ts"])


def end(e):
    return ns(e["ts"]) + int(decimal.Decimal(e["dur"]) * 1000)


def say(ok, msg):
    print("  %s     schedprof-perfetto: %s" % ("PASS" if ok else "FAIL", msg))
    if not ok:
        fails.append(msg)


names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
used = {(e["pid"], e["tid"]) for e in ev if e["ph"] in "XstfiC"}
pids = {e["pid"] for e in ev}
loop_track = (pid, loop_tid)
want = 'loop %s "perfetto" (thread perfetto_worklo, tid %d)' % (w["loop"],
                                                                 loop_tid)
say(pids == {pid} and {t for _, t in used} == {loop_tid} | posters and
    names.get(loop_track) == want,
    "tids: the tracks are the logged threads %s, loop %d (named %r), "
    "pid %d only (got tids %s, pids %s)" %
    (sorted(posters), loop_tid, names.get(loop_track), pid,
     sorted(t for _, t in used), sorted(pids)))

# posts: the run enclosing each logged instant, its arrow's start.
runs = [e for e in ev if e["ph"] == "X" and
        (e["cat"] == "performer" or e["name"] in ("post-1", "post-2"))]
flows = collections.defaultdict(dict)
for e in ev:
    if e["ph"] in "sf":
        flows[(e["cat"], e["id"])][e["ph"]] = e
by_post = {f["f"]["args"].get("post"): f for f in flows.values()
           if "f" in f and f["f"]["cat"] == "posted"}
ok = 0
seen = set()
for r in truth["run"]:
    tid, kind, seq, at = r.split(",")
    tid, at = int(tid), int(at)
    inside = [x for x in runs if (x["pid"], x["tid"]) == loop_track and
              begin(x) <= at <= end(x)]
    if len(inside) != 1:
        say(False, "post %s/%s of thread %d: %d runs hold its instant" %
            (kind, seq, tid, len(inside)))
        continue
    x = inside[0]
    name = "post-%d" % (1 if tid == int(w["poster1_tid"]) else 2)
    fl = by_post.get(x["args"].get("post"), {})
    s = fl.get("s")
    if (x["cat"] == "performer") != (kind == "perform") or \
            (kind == "at" and x["name"] != name) or \
            x["args"].get("poster_tid") != tid or s is None or \
            (s["pid"], s["tid"]) != (pid, tid) or begin(s) > begin(x) or \
            x["args"]["post"] in seen:
        say(False, "post %s/%s of thread %d: run %s, arrow from %s" %
            (kind, seq, tid, x, s))
        continue
    seen.add(x["args"]["post"])
    ok += 1
say(ok == 20 and len(truth["run"]) == 20,
    "posts: %d of %d posts' runs have their arrow from the posting "
    "thread's track" % (ok, len(truth["run"])))

# slices: the stopwatch's checks.
task = int(w["sliced_task"])
sw = sorted((e for e in ev if e["ph"] == "X" and e["cat"] == "stopwatch"
             and e["args"]["task"] == task), key=lambda e: e["ts"])
run = [e for e in ev if e["ph"] == "X" and e["name"] == "sliced"]
iters = [tuple(int(v) for v in i.split(",")) for i in truth["iter"]]
good = len(sw) == len(iters) == 5 and len(run) == 1 and \
    [e["args"]["check"] for e in sw] == [1, 2, 3, 4, 5]
why = "%d slices, %d iterations, %d runs" % (len(sw), len(iters), len(run))
for k, e in enumerate(sw if good else []):
    after = iters[k + 1][1] if k + 1 < len(iters) else end(run[0])
    dur = end(e) - begin(e)
    li = e["args"]["last_iter_ns"]
    if not (iters[k][2] <= end(e) <= after and begin(run[0]) < begin(e) and
            (e["pid"], e["tid"]) == loop_track and dur <= li and
            (dur == li or begin(e) == end(sw[k - 1]))):
        good = False
        why = "check %d: [%d, %d] ns, last_iter %d; iteration [%d, %d], " \
              "next %d" % (k + 1, begin(e), end(e), li, iters[k][1],
                           iters[k][2], after)
say(good, "slices: the stopwatch's 5 checks as 5 slices in its run, each "
    "between its iteration's end and the next one's start (%s)" % why)

sleeps = [e for e in ev if e["ph"] == "X" and e["cat"] == "sleep"]
in_run = [s for s in sleeps for x in ev if x["ph"] == "X" and
          x["cat"] not in ("sleep", "stopwatch", "ready", "posted") and
          (x["pid"], x["tid"]) == (s["pid"], s["tid"]) and
          begin(x) <= begin(s) < end(x)]
say(len(sleeps) == wakes > 0 and not in_run and
    all(end(s) - begin(s) == s["args"]["slept_ns"] for s in sleeps) and
    all((s["pid"], s["tid"]) == loop_track for s in sleeps),
    "sleeps: %d sleep slices on the loop's thread for %d loop_wake events, "
    "as long as slept, %d inside a run" % (len(sleeps), wakes, len(in_run)))
sys.exit(1 if fails else 0)
PY
	[ $? = 0 ] || fail=1
fi

# ---- --pid selects ------------------------------------------------------
if export_check idle --pid "$idle" && export_check all; then
	if python3 - "$out/idle.json" "$out/all.json" "$pid" "$idle" <<'PY'
import json, sys
idle = json.load(open(sys.argv[1]))["traceEvents"]
every = json.load(open(sys.argv[2]))["traceEvents"]
pid, ip = int(sys.argv[3]), int(sys.argv[4])
runs = [e for e in idle if e["ph"] == "X" and e["name"] == "quiet"]
ok = {e["pid"] for e in idle} == {ip} and len(runs) == 3 and \
    {e["tid"] for e in runs} == {ip} and \
    {pid, ip} <= {e["pid"] for e in every}
sys.exit(0 if ok else 1)
PY
	then
		pass "--pid $idle: its 3 runs on its thread, nothing of pid $pid; without --pid both"
	else
		bad "--pid does not select: see $out/idle.json and $out/all.json"
	fi
fi

# ---- bad --pid ----------------------------------------------------------
# bad_pid WHAT MESSAGE ARGS...: exit 2, MESSAGE as the one line, no file.
bad_pid() {
	local what=$1 msg=$2 rc

	shift 2
	rm -f "$out/bad.json"
	"$bin" export "$out/trace" --perfetto "$out/bad.json" "$@" \
		>"$out/bad.out" 2>"$out/bad.err"
	rc=$?
	if [ $rc = 2 ] && [ "$(cat "$out/bad.err")" = "$msg" ] &&
		[ ! -s "$out/bad.out" ] && [ ! -e "$out/bad.json" ] &&
		[ ! -e "$out/bad.json.tmp" ]; then
		pass "$what: exit 2, '$msg'"
	else
		bad "$what: exit $rc, stderr '$(head -3 "$out/bad.err")'"
	fi
}
bad_pid "--pid of no process in the trace" \
	"schedprof: no libsched event of pid 4194304 in the trace" --pid 4194304
bad_pid "--pid not a number" \
	"schedprof: export: --pid: '12x' is not a process id" --pid 12x
bad_pid "--pid negative" \
	"schedprof: export: --pid: '-1' is not a process id" --pid -1

# ---- a trace without the vtid context ------------------------------------
# Per-process buffers: the trace's environment gives the vpid, nothing
# gives the threads.
sess="schedprof-perfetto-$$"
if lttng create "$sess" --output="$PWD/$out/novtid" >/dev/null &&
	lttng enable-channel -u --buffers-pid -s "$sess" ch >/dev/null &&
	lttng enable-event -u 'libsched:*' -c ch -s "$sess" >/dev/null &&
	lttng start "$sess" >/dev/null &&
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	LD_PRELOAD=$PWD/build/lib/libsched-lttng.so "$wl" >"$out/novtid.out"; then
	lttng stop "$sess" >/dev/null 2>&1
	lttng destroy "$sess" >/dev/null 2>&1
	npid=$(sed -n 's/^pid=//p' "$out/novtid.out")
	dir=$(find "$out/novtid" -type d -name "perfetto_worklo-$npid-*" | head -1)
	if [ -n "$dir" ] &&
		"$bin" export "$dir" --perfetto "$out/novtid.json" >"$out/novtid.log" 2>&1 &&
		scripts/check-perfetto.py --schedprof "$out/novtid.json" 2>"$out/novtid.check" &&
		python3 - "$out/novtid.json" "$npid" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
pid = int(sys.argv[2])
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
tracks = {(e["pid"], e["tid"]) for e in ev if e["ph"] in "Xsf"}
flows = [e for e in ev if e["ph"] == "s"]
ok = len(tracks) == 1 and all(t >= 10 ** 9 and p == pid and
                              "tid" not in names[(p, t)]
                              for p, t in tracks) and len(flows) == 21
sys.exit(0 if ok else "tracks %s, %d arrows" % (
    [(t, names.get(t)) for t in tracks], len(flows)))
PY
	then
		pass "no vtid context: one made-up track for the loop, its 21 arrows on it; check-perfetto valid"
	else
		bad "no vtid context: $(tail -1 "$out/novtid.check" 2>/dev/null) (see $out/novtid.json)"
	fi
else
	lttng stop "$sess" >/dev/null 2>&1
	lttng destroy "$sess" >/dev/null 2>&1
	bad "no vtid context: could not record the workload"
fi

exit $fail
