#!/usr/bin/env bash
# schedprof record --flight, end to end, in real LTTng sessions (root).
#
#   scripts/test-flight.sh
#	(make build/bin/schedprof lttng-test-progs build/tests/flight_workload
#	 first)
#
# build/tests/flight_workload plants faults at known instants after a few
# seconds of healthy work and logs their truth; each recording is checked
# against it:
#   starve   --on 'starve>150ms', one starvation after 3 s: exactly one
#            save; its marker names the rule, the pid, the loop, the
#            waiting task and a wait over 150 ms that began at the truth's
#            instant; the save holds the 2.5 s before; `schedprof report`
#            of the save finds the victim starving, from the truth's
#            instant, blamed on the hog.
#   healthy  three rules, healthy work only: no save, no directory left.
#   max-saves / hold-off: four starvations 1.3 s apart: --max-saves 2
#            gives exactly the first two; --hold-off 2 gives the 1st and
#            the 3rd (the 2nd falls in the hold-off, the 4th in the next).
#   run      --on 'run>100ms', one 250 ms run: one save, the run's id and
#            length in the marker; the report finds it.
#   run, quitting at once (--hold-off 0): no trigger is left behind.
#   backlog  --on 'backlog>50ms', first-class posts held 130 ms by a
#            blocking run: one save, kind 1, the delay in the marker.
#   exit     --save-on-exit with a rule that never fires: one save, rule
#            "exit", readable, no warning of --keep 100 (the program ran
#            1 s); a 7 s run at a high rate with --buffer-size 1: the
#            save is warned of as shorter than --keep 5.5 if (and only
#            if) it is; SIGINT during a recording: the same, within a
#            few seconds.
#   full     a tmpfs filled before the starvation: "save 1 incomplete:
#            No space left on device", no flight-* left, exit 1.
#   SIGKILL  of schedprof: its session and trigger stay; the next record
#            removes both.
#   loop_check stays out of a normal recording.
# After each recording, no LTTng session or trigger of that schedprof is
# left (other programs' are not judged: the machine may be shared).
#
# SCHEDPROF=PATH and FLIGHT_WORKLOAD=PATH test other builds (the provider
# is found beside that schedprof). Output goes to build/flight-test/
# (cleaned first). Exit status 0 if all
# passed.
set -uo pipefail
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# Under SANITIZE=address the workload leaks inside LTTng-UST's event
# notifiers at exit (scripts/lsan.supp says why that is not ours).
cd "$(dirname "$0")/.." || exit 1
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
# Under SANITIZE=thread, LTTng-UST's RCU-published probe arrays
# (scripts/tsan.supp says why that is not ours).
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }suppressions=$PWD/scripts/tsan.supp"

bin=${SCHEDPROF:-build/bin/schedprof}
wl=${FLIGHT_WORKLOAD:-build/tests/flight_workload}
out=build/flight-test
limit=90

failures=0
pass() { printf '  PASS     flight: %s\n' "$*"; }
fail() { printf '  FAIL     flight: %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf '  SKIP     flight: %s\n' "$*"; }
indent() { sed -e 's/^/           /'; }

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (LTTng session daemon, triggers)"
	exit 0
fi
for f in "$bin" "$wl"; do
	if [ ! -e "$f" ]; then
		fail "$f is missing: make build/bin/schedprof lttng-test-progs $wl"
		exit 1
	fi
done
for cmd in lttng babeltrace2 python3; do
	command -v "$cmd" >/dev/null || { fail "$cmd is not installed"; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"

# rec NAME ARGS... -- CMD...: records into $out/NAME, CMD's stdout into
# $out/NAME.truth, schedprof's stderr into $out/NAME.err; $rc its status,
# $recpid its pid. Then checks that nothing of it is left in LTTng.
rec() {
	local name=$1
	shift
	start "$name" record --flight -o "$out/$name" "$@"
	finish "$name"
}

# start NAME ARGS...: schedprof ARGS in the background ($recpid: its own
# pid, which names its sessions and triggers), killed after $limit s.
start() {
	local name=$1
	shift
	"$bin" "$@" >"$out/$name.truth" 2>"$out/$name.err" &
	recpid=$!
	( sleep $limit; kill -KILL $recpid 2>/dev/null ) &
	watchdog=$!
}

# finish NAME: waits for it ($rc), then checks what it left in LTTng.
finish() {
	wait $recpid
	rc=$?
	kill $watchdog 2>/dev/null
	wait $watchdog 2>/dev/null
	left_behind "$1"
}

# The triggers of schedprof pid $1, by name.
triggers_of() {
	lttng list-triggers 2>/dev/null |
		sed -n "s/^- name: \(schedprof-$1-[0-9]*-[0-9]*\)\$/\1/p" | sort -u
}

left_behind() {
	local s t
	s=$(lttng list 2>/dev/null | grep -o "schedprof-$recpid-[0-9]*" | sort -u)
	t=$(triggers_of $recpid)
	if [ -n "$s$t" ]; then
		fail "$1: left in LTTng: $s $t"
		for x in $t; do lttng remove-trigger "$x" >/dev/null 2>&1; done
		for x in $s; do lttng destroy "$x" >/dev/null 2>&1; done
	fi
}

saves() { find "$out/$1" -mindepth 1 -maxdepth 1 -name 'flight-*' 2>/dev/null | sort; }
nsaves() { saves "$1" | grep -c . ; }

# check.py MODE NAME: judges the saves of $out/NAME against its truth.
check() {
	python3 - "$1" "$out/$2" "$bin" <<'PY'
import glob, json, os, subprocess, sys

mode, base, bin = sys.argv[1], sys.argv[2], sys.argv[3]
tol = 5_000_000
truth = dict(l.split("=", 1) for l in open(base + ".truth").read().split()
             if "=" in l)
saves = sorted(glob.glob(base + "/flight-*"))
ms = lambda ns: "%.1f ms" % (ns / 1e6)

def fail(msg):
    print(msg)
    sys.exit(1)

def marker(d):
    try:
        return json.load(open(os.path.join(d, "schedprof-flight.json")))
    except Exception as e:
        fail("%s: marker: %s" % (d, e))

def report(d):
    p = subprocess.run([bin, "report", "--json", "--no-fixes",
                        "--pid", truth["pid"], d],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        return json.loads(p.stdout)
    except Exception:
        fail("report of %s (status %d): %s" % (d, p.returncode, p.stderr.strip()))

def common(m, n, rule):
    if m.get("schedprof_flight") != 1 or m.get("save") != n:
        fail("marker: schedprof_flight %r, save %r (expected 1, %d)"
             % (m.get("schedprof_flight"), m.get("save"), n))
    if m.get("rule") != rule:
        fail("marker: rule %r, expected %r" % (m.get("rule"), rule))
    if m.get("pid") != int(truth["pid"]):
        fail("marker: pid %r, truth %s" % (m.get("pid"), truth["pid"]))
    if rule != "exit" and int(m.get("loop", "0"), 16) != int(truth["loop"], 16):
        fail("marker: loop %r, truth %s" % (m.get("loop"), truth["loop"]))
    if not isinstance(m.get("discarded"), int):
        fail("marker: no discarded count")
    if not m.get("saved_at", "").endswith("Z"):
        fail("marker: saved_at %r" % m.get("saved_at"))

def starve_marker(m, k):
    ready = int(truth["starve_%d_ready_ns" % k])
    if m.get("kind") is None or m["waiting"] != int(truth["starve_%d_victim" % k]):
        fail("marker: waiting %r, truth victim %s" % (m.get("waiting"),
             truth["starve_%d_victim" % k]))
    if not 150_000_000 < m["wait"] < int(truth["starve_%d_waited_ns" % k]):
        fail("marker: wait %s, expected over 150 ms and under the truth's %s"
             % (ms(m["wait"]), ms(int(truth["starve_%d_waited_ns" % k]))))
    began = m["time"] - m["wait"]
    if abs(began - ready) > tol:
        fail("marker: the wait began at %d, truth %d (off by %s)"
             % (began, ready, ms(began - ready)))
    return began - ready

if mode == "starve":
    if len(saves) != 1:
        fail("%d saves, expected 1: %s" % (len(saves), saves))
    m = marker(saves[0])
    common(m, 1, "starve>150ms")
    if m.get("rules") != ["starve>150ms"]:
        fail("marker: rules %r" % m.get("rules"))
    off = starve_marker(m, 1)
    r = report(saves[0])
    ready = int(truth["starve_1_ready_ns"])
    loops = [l for l in r["loops"] if int(l["loop"], 16) == int(truth["loop"], 16)]
    if len(loops) != 1:
        fail("the loop is not in the report of the save")
    loop = loops[0]
    if loop["first_ns"] > ready - 2_500_000_000:
        fail("the save holds only %s before the starvation (want 2.5 s)"
             % ms(ready - loop["first_ns"]))
    prio = [p for p in loop["priorities"] if p["priority"] == truth["victim_prio"]]
    iv = [s for s in (prio[0]["starvation"] if prio else [])
          if abs(s["start_ns"] - ready) <= tol]
    if not iv:
        fail("no %s starvation interval from the truth's %d in the report"
             % (truth["victim_prio"], ready))
    if not iv[0]["blame"] or iv[0]["blame"][0]["name"] != "hog":
        fail("the interval is blamed on %r, expected hog" % iv[0]["blame"][:1])
    if iv[0]["duration_ns"] < m["wait"] - tol:
        fail("the interval lasts %s in the save, the marker says %s"
             % (ms(iv[0]["duration_ns"]), ms(m["wait"])))
    fs = [f for f in r["findings"] if f["kind"] == "starving-task"
          and f["culprit"] == "victim (LOWEST)" and "hog" in f["evidence"]]
    if not fs:
        fail("no starving-task finding for victim blamed on hog: %s"
             % [(f["kind"], f["culprit"]) for f in r["findings"]])
    print("1 save (%s before it); marker: rule %s, waiting %d (victim), wait %s, "
          "began %s off the truth; report: victim starving %s from the truth's "
          "instant, blamed on hog" %
          (ms(ready - loop["first_ns"]), m["rule"], m["waiting"], ms(m["wait"]),
           ms(off), ms(iv[0]["duration_ns"])))
elif mode in ("max", "holdoff"):
    want = [1, 2] if mode == "max" else [1, 3]
    if len(saves) != len(want):
        fail("%d saves, expected %d: %s" % (len(saves), len(want), saves))
    got = []
    for n, d in enumerate(saves, 1):
        m = marker(d)
        common(m, n, "starve>150ms")
        # Which plant: the one whose wait began when this one did.
        began = m["time"] - m["wait"]
        ks = [k for k in range(1, int(truth["plants"]) + 1)
              if abs(int(truth["starve_%d_ready_ns" % k]) - began) <= tol]
        if not ks:
            fail("save %d: its wait began at %d, at no plant's instant" % (n, began))
        starve_marker(m, ks[0])
        got.append(ks[0])
    if got != want:
        fail("saves of starvations %s, expected %s" % (got, want))
    print("%d saves, of starvations %s of %s" % (len(saves), got, truth["plants"]))
elif mode == "run":
    if len(saves) != 1:
        fail("%d saves, expected 1" % len(saves))
    m = marker(saves[0])
    common(m, 1, "run>100ms")
    run = int(truth["long_run_ns"])
    if m["kind"] != 0 or m["id"] != int(truth["long_task"]) or abs(m["run"] - run) > tol:
        fail("marker: kind %r id %r run %s; truth: 0, %s, %s"
             % (m["kind"], m["id"], ms(m["run"]), truth["long_task"], ms(run)))
    r = report(saves[0])
    fs = [f for f in r["findings"] if f["culprit"] == "long (DEFAULT)"
          and f["kind"] in ("never-yields", "long-running-task")]
    if not fs:
        fail("the report of the save does not find long (DEFAULT)")
    print("1 save; marker: run %s of task %d (truth %s); report: %s %s"
          % (ms(m["run"]), m["id"], ms(run), fs[0]["kind"], fs[0]["culprit"]))
elif mode == "backlog":
    if len(saves) != 1:
        fail("%d saves, expected 1" % len(saves))
    m = marker(saves[0])
    common(m, 1, "backlog>50ms")
    begin = m["time"] - m["run"]
    late = int(truth["late_begin_ns"])
    if "prio" in m:
        fail("marker: prio %r for first-class posted work (no priority: "
             "absent)" % m["prio"])
    if m["kind"] != 1 or not 50_000_000 < m["delay"] <= 150_000_000 + tol \
            or abs(begin - late) > 2 * tol:
        fail("marker: kind %r delay %s, began %d; truth: 1, the blocker's posts "
             "ran from %d (late waited %s)" % (m["kind"], ms(m["delay"]), begin,
             late, ms(int(truth["late_delay_ns"]))))
    r = report(saves[0])
    if not [f for f in r["findings"] if f["culprit"] == "blocker (DEFAULT)"]:
        fail("the report of the save does not name blocker (DEFAULT)")
    print("1 save; marker: kind 1, delay %s (late's truth %s), run %s after the "
          "blocker; report names blocker"
          % (ms(m["delay"]), ms(int(truth["late_delay_ns"])), ms(begin - late)))
elif mode == "exit":
    if len(saves) != 1:
        fail("%d saves, expected 1" % len(saves))
    m = marker(saves[0])
    common(m, 1, "exit")
    if "loop" in m or "time" in m:
        fail("an exit save's marker has loop_check fields")
    r = report(saves[0])
    if not r["loops"] or r["events"] == 0:
        fail("the exit save holds no loop")
    print("1 save, rule exit, %d events" % r["events"])
PY
}

# ---- starve -------------------------------------------------------------
rec starve --on 'starve>150ms' -- "$wl" --mode starve
if [ $rc -ne 0 ]; then
	fail "starve: exit status $rc"; indent <"$out/starve.err"
elif msg=$(check starve starve); then
	pass "starve: $msg"
else
	fail "starve: $msg"; indent <"$out/starve.err"
fi
if grep -q "flight: 1 save in .* (starve>150ms: 1)" "$out/starve.err" &&
   grep -Eq "flight: [0-9]+ events? discarded" "$out/starve.err"; then
	pass "starve: the summary: $(grep 'flight: 1 save' "$out/starve.err" | sed 's/^schedprof: //')"
else
	fail "starve: no summary"; indent <"$out/starve.err"
fi

# ---- healthy ------------------------------------------------------------
rec healthy --on 'starve>150ms' --on 'run>100ms' --on 'backlog>50ms' -- \
	"$wl" --mode healthy
if [ $rc -eq 0 ] && [ ! -e "$out/healthy" ] &&
   grep -q "flight: no save" "$out/healthy.err"; then
	pass "healthy: no save, no directory left"
else
	fail "healthy: status $rc, saves: $(saves healthy)"; indent <"$out/healthy.err"
fi

# ---- max-saves, hold-off --------------------------------------------------
rec max --on 'starve>150ms' --max-saves 2 --hold-off 0.5 -- \
	"$wl" --mode starve --count 4 --gap 1
if [ $rc -eq 0 ] && msg=$(check max max) &&
   grep -q "max-saves reached" "$out/max.err"; then
	pass "--max-saves 2 --hold-off 0.5: $msg"
else
	fail "--max-saves 2: status $rc: ${msg:-}"; indent <"$out/max.err"
fi
rec holdoff --on 'starve>150ms' --max-saves 10 --hold-off 2 -- \
	"$wl" --mode starve --count 4 --gap 1
if [ $rc -eq 0 ] && msg=$(check holdoff holdoff); then
	pass "--hold-off 2: $msg"
else
	fail "--hold-off 2: status $rc: ${msg:-}"; indent <"$out/holdoff.err"
fi

# ---- run, backlog -----------------------------------------------------------
rec run --on 'run>100ms' -- "$wl" --mode long --healthy 1
if [ $rc -eq 0 ] && msg=$(check run run); then
	pass "run>100ms: $msg"
else
	fail "run>100ms: status $rc: ${msg:-}"; indent <"$out/run.err"
fi
# A program that quits right after its long run: the fire is handled by
# the recorder's last drain; with --hold-off 0 it used to arm a new
# trigger there, left registered after schedprof ended (rec's check).
rec runquit --on 'run>100ms' --hold-off 0 --max-saves 3 -- \
	"$wl" --mode long --healthy 1 --tail 0
if [ $rc -eq 0 ] && [ "$(nsaves runquit)" -eq 1 ]; then
	pass "run>100ms, quitting at once, --hold-off 0: 1 save, no trigger left"
else
	fail "run>100ms, quitting at once: status $rc, saves: $(saves runquit)"
	indent <"$out/runquit.err"
fi
rec backlog --on 'backlog>50ms' -- "$wl" --mode backlog --healthy 1
if [ $rc -eq 0 ] && msg=$(check backlog backlog); then
	pass "backlog>50ms: $msg"
else
	fail "backlog>50ms: status $rc: ${msg:-}"; indent <"$out/backlog.err"
fi

# ---- exit -------------------------------------------------------------------
rec exit --on 'starve>10s' --save-on-exit --keep 100 -- "$wl" --mode healthy --healthy 1
if [ $rc -eq 0 ] && msg=$(check exit exit) &&
   ! grep -q "warning: save 1 holds" "$out/exit.err"; then
	pass "--save-on-exit: $msg; --keep 100 on a 1 s run: no false warning"
else
	fail "--save-on-exit: status $rc: ${msg:-}"; indent <"$out/exit.err"
fi
# A ring that wraps: 8 x 1 MiB per CPU at ~50 k events/s holds ~3.5 s of
# a 7 s run: the save is shorter than --keep 5.5, and that is warned of.
# (Under a load that halves the rate the ring holds it all: then no
# warning is the right answer, and the line says which it was.)
rec wrap --on 'starve>10s' --save-on-exit --buffer-size 1 --keep 5.5 -- \
	"$wl" --mode rate --seconds 7
span=$(sed -n 's/.*save 1 (exit): [^ ]*, \([0-9.]*\) s, .*/\1/p' "$out/wrap.err")
warned=no
grep -q "warning: save 1 holds [0-9.]* s, less than --keep 5.50 s: .*--buffer-size" \
	"$out/wrap.err" && warned=yes
short=$(python3 -c "print('yes' if ${span:-99} < 5.5 else 'no')")
if [ $rc -eq 0 ] && [ -n "$span" ] && [ "$warned" = "$short" ]; then
	pass "--keep 5.5 on a 7 s run at a high rate: the save holds $span s, warned: $warned"
else
	fail "--keep 5.5, wrapped ring: status $rc, span '${span}', warned $warned"
	indent <"$out/wrap.err"
fi
# Schema 2 names a task once per 100 ms name epoch (task_name), not in
# every event: a save whose ring wrapped (8 x 1 MiB per CPU, filled in
# well under a second at this rate) lost the first task_name of each task,
# yet every task that runs in it must be named in it.
rec names --on 'starve>10s' --save-on-exit --buffer-size 1 -- \
	"$wl" --mode rate --seconds 3 --burst 200
span=$(sed -n 's/.*save 1 (exit): [^ ]*, \([0-9.]*\) s, .*/\1/p' "$out/names.err")
save=$(sed -n 's/.*save 1 (exit): \([^,]*\), .*/\1/p' "$out/names.err")
if [ -n "$save" ] && msg=$(babeltrace2 "$save" 2>/dev/null | python3 -c '
import re, sys
named, ran = set(), set()
for l in sys.stdin:
    m = re.search(r"libsched:(task_name|task_fire_begin):.* task = (\d+)", l)
    if m:
        (named if m.group(1) == "task_name" else ran).add(m.group(2))
if not ran or ran - named:
    sys.exit("tasks run but not named: %s of %d" % (sorted(ran - named), len(ran)))
print("%d tasks run, all named" % len(ran))
') && msg2=$("$bin" report --json --no-fixes "$save" 2>&1 | python3 -c '
import json, sys
# The reader fills the fields schema 2 leaves out (loop, name): no task
# of the report lost them, and none is on a loop 0.
r = json.load(sys.stdin)
bad = [(l["loop"], t["name"]) for l in r["loops"] for t in l["tasks"]
       if int(l["loop"], 16) == 0 or not t["name"]]
if bad or not r["loops"]:
    sys.exit("report: tasks without loop or name: %r" % bad[:5])
print("report: %d tasks on %d loop(s), all named" %
      (sum(len(l["tasks"]) for l in r["loops"]), len(r["loops"])))
'); then
	msg="$msg; $msg2"
	pass "a wrapped save ($span s of a 3 s run) names its tasks: $msg"
else
	fail "wrapped save ($span s of 3): status $rc: ${msg:-no save} ${msg2:-}"
	indent <"$out/names.err"
fi
# SIGINT to schedprof alone (not a terminal's): passed on to the workload,
# which dies of it; the exit save is made all the same.
# Job control: a background job of a script would ignore SIGINT, and so
# would the workload, which gets schedprof's signal dispositions.
set -m
start sigint record --flight -o "$out/sigint" --on 'starve>10s' \
	--save-on-exit -- "$wl" --mode healthy --healthy 60
sleep 2
t0=${EPOCHREALTIME/./}
kill -INT $recpid
finish sigint
set +m
t1=${EPOCHREALTIME/./}
if [ $rc -eq 130 ] && [ "$(nsaves sigint)" -eq 1 ] &&
   grep -q '"rule": "exit"' "$out"/sigint/flight-*/schedprof-flight.json &&
   "$bin" report "$(saves sigint)" >/dev/null 2>&1; then
	pass "SIGINT: exit status 130 after $(( (t1 - t0) / 1000 )) ms, one exit save, readable"
else
	fail "SIGINT: status $rc, saves: $(saves sigint)"; indent <"$out/sigint.err"
fi

# ---- a disk that fills before the save ---------------------------------------
# A tmpfs with room for one save at the start, filled before the
# starvation: the snapshot is cut short; it must not be announced as a
# save (it was, with a 0-byte marker, exit 0), but as incomplete, exit 1,
# and nothing named flight-* may be left.
full=$out/fullfs
mkdir -p "$full"
if mount -t tmpfs -o size=20m tmpfs "$full" 2>/dev/null; then
	start full record --flight -o "$full/out" --buffer-size 1 \
		--on 'starve>150ms' -- "$wl" --mode starve
	sleep 1.5
	dd if=/dev/zero of="$full/fill" bs=64k 2>/dev/null
	finish full
	left=$(find "$full" -maxdepth 2 -name 'flight-*' | wc -l)
	if [ $rc -eq 1 ] && [ "$left" -eq 0 ] &&
	   grep -q "save 1 incomplete: No space left on device (starve>150ms); its snapshot .* is removed" "$out/full.err" &&
	   grep -q "flight: no save: 1 trigger fired, 0 without a snapshot, 1 incomplete" "$out/full.err"; then
		pass "a disk full during the save: incomplete, removed, exit 1"
	else
		fail "a disk full during the save: status $rc, $left flight-* left"
		indent <"$out/full.err"
	fi
	umount "$full"
else
	fail "cannot mount a tmpfs on $full (needed for the full-disk case)"
fi

# ---- SIGKILL: what the dead schedprof left, the next one removes --------------
start killed record --flight -o "$out/killed" --on 'starve>10s' \
	-- "$wl" --mode healthy --healthy 60
killed=$recpid
# Killed once its trigger is armed (CMD runs).
for _ in $(seq 100); do
	[ -n "$(triggers_of $killed)" ] && break
	sleep 0.1
done
kill -KILL $killed
wait $killed 2>/dev/null
kill $watchdog 2>/dev/null
sleep 0.5
ks=$(lttng list 2>/dev/null | grep -o "schedprof-$killed-[0-9]*" | sort -u)
kt=$(triggers_of $killed)
rec reaper --on 'starve>10s' -- "$wl" --mode healthy --healthy 0.5
ks2=$(lttng list 2>/dev/null | grep -o "schedprof-$killed-[0-9]*" | sort -u)
kt2=$(triggers_of $killed)
# Another schedprof record of the machine may destroy the dead session
# first (any record reaps them): then the trigger alone is judged.
if [ -z "$kt" ]; then
	fail "SIGKILL: expected a trigger left by pid $killed, found none"
elif [ $rc -eq 0 ] && [ -z "$ks2$kt2" ] &&
     grep -q "removed LTTng trigger $kt, left by a schedprof that no longer runs" "$out/reaper.err" &&
     { [ -z "$ks" ] || grep -q "destroyed LTTng session $ks, left by a schedprof" "$out/reaper.err"; }; then
	pass "SIGKILL: the next record removed trigger $kt and session ${ks:-(gone already: another record reaped it)}"
else
	fail "SIGKILL: left: '$ks2' '$kt2' (status $rc)"; indent <"$out/reaper.err"
	for x in $kt2; do lttng remove-trigger "$x" >/dev/null 2>&1; done
	for x in $ks2; do lttng destroy "$x" >/dev/null 2>&1; done
fi

# ---- a normal recording leaves loop_check out -------------------------------
start normal record -o "$out/normal" -- "$wl" --mode starve --healthy 0.5
finish normal
n=$(babeltrace2 "$out/normal" 2>/dev/null | grep -c 'libsched:loop_check')
all=$(babeltrace2 "$out/normal" 2>/dev/null | grep -c 'libsched:')
if [ $rc -eq 0 ] && [ "$n" -eq 0 ] && [ "$all" -gt 100 ]; then
	pass "a normal recording: $all libsched events, no loop_check"
else
	fail "a normal recording: status $rc, $n loop_check of $all"; indent <"$out/normal.err"
fi

[ $failures -eq 0 ]
