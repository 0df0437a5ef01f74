#!/usr/bin/env bash
# schedtop -p PID --save-on RULE: the flight recorder on a process that
# runs already, end to end, in real LTTng sessions (root).
#
#   scripts/test-schedtop-flight.sh
#	(make build/bin/schedtop build/bin/schedprof lttng-test-progs
#	 build/tests/flight_workload first)
#
# build/tests/flight_workload, started with the provider preloaded, plants
# one starvation after 6 s of healthy work and logs its truth; schedtop is
# attached half a second after its start, before the fault:
#   -b       exactly one save; the frames show the save's alert and the
#            summary names the rule that fired; the save holds nothing from
#            before schedtop started, and 'schedprof report' of it finds the
#            victim starving from the truth's instant, blamed on the hog.
#   --json   the same fault: the save's alert is in the frames' alerts;
#            SIGINT after the save stops schedtop (status 0).
#   two      two schedtops on that fault, one --save-dir holding a stale
#            snapshot-1-...: flight-001 and flight-002, one each, the
#            stale one untouched, no private snapshot directory left.
#   healthy  three rules, healthy work only: no save, the directory empty.
#   no provider  the same program without the provider: the documented
#            one-line error, exit status 2, no save directory made.
# After each run, no LTTng session or trigger of that schedtop is left
# (other programs' are not judged: the machine may be shared). A save
# that a stall of the machine fired (the workload logs its tick's largest
# lateness before the plant: a sanitized program on a loaded machine
# stalls at the attach) is right, not the case's fault: the case, -b,
# --json or healthy, runs again, up to 3 times, with a note.
#
# SCHEDTOP=PATH, SCHEDPROF=PATH and FLIGHT_WORKLOAD=PATH test other builds;
# the provider is build/lib/libsched-lttng.so unless PROVIDER=PATH. Output
# goes to build/schedtop-flight-test/ (cleaned first). Exit status 0 if all
# passed.
set -uo pipefail
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
cd "$(dirname "$0")/.." || exit 1

top=${SCHEDTOP:-build/bin/schedtop}
sp=${SCHEDPROF:-build/bin/schedprof}
wl=${FLIGHT_WORKLOAD:-build/tests/flight_workload}
prov=${PROVIDER:-build/lib/libsched-lttng.so}
out=build/schedtop-flight-test
limit=60

failures=0
pass() { printf '  PASS     schedtop flight: %s\n' "$*"; }
fail() { printf '  FAIL     schedtop flight: %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf '  SKIP     schedtop flight: %s\n' "$*"; }
indent() { sed -e 's/^/           /'; }

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (BPF, LTTng session daemon, triggers)"
	exit 0
fi
for f in "$top" "$sp" "$wl" "$prov"; do
	if [ ! -e "$f" ]; then
		fail "$f is missing: make build/bin/schedtop build/bin/schedprof lttng-test-progs $wl"
		exit 1
	fi
done
for cmd in lttng timeout python3; do
	command -v "$cmd" >/dev/null || { fail "$cmd is not installed"; exit 1; }
done
prov=$(realpath "$prov")
rm -rf "$out"
mkdir -p "$out"

# A session daemon before the first workload: one that schedtop starts
# later is found by a running program only seconds on (LTTng-UST's
# registration retries), and the first save would begin that late.
if ! pgrep -x lttng-sessiond >/dev/null 2>&1 &&
   ! lttng-sessiond --daemonize >"$out/sessiond.log" 2>&1; then
	fail "lttng-sessiond --daemonize failed:"
	indent <"$out/sessiond.log"
	exit 1
fi

# A sanitized workload: LeakSanitizer reports 0.7 to 2 KB that
# liblttng-ust.so allocates in a program registered with the session
# daemon while a trigger of the user is armed (lttng-ust 2.13, Debian 12:
# seen without schedtop too, with another recorder's trigger armed), and
# ends the program before its buffered stdout, the truth, is written. Not
# ours (only liblttng-ust.so in its stack): suppressed for the workload
# only; schedtop itself runs with the leak checker as given.
printf 'leak:liblttng-ust.so\n' >"$out/lsan-workload.supp"
wl_lsan="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/$out/lsan-workload.supp:print_suppressions=0"

# Under SANITIZE=thread, the reports of LTTng-UST's own RCU-published
# probe arrays in the workload: scripts/tsan.supp (the flight recorder's
# test) says why they are not ours, when the checkout has it.
if [ -f scripts/tsan.supp ]; then
	export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }suppressions=$PWD/scripts/tsan.supp"
fi

# The rules' threshold. A ThreadSanitizer-built program stalls 150 to
# 200 ms when LTTng enables its events in the middle of its run (measured
# at the attach: tick waited 193 ms, posted work 184 ms, a real stall of
# the loop that starve>150ms rightly saved), so there the rules are 250 ms:
# still under the planted 300 ms starvation, above that stall. Elsewhere
# starve>150ms, and for the healthy run also run>100ms and backlog>50ms.
ms=150 run_ms=100 backlog_ms=50
if ldd "$wl" 2>/dev/null | grep -q libtsan; then
	ms=250 run_ms=250 backlog_ms=250
	printf '  note     schedtop flight: a ThreadSanitizer build: rules of %d ms (its attach stalls the program up to 200 ms)\n' $ms
fi
rule="starve>${ms}ms"

mono_ns() { python3 -c 'import time; print(time.monotonic_ns())'; }

# watch NAME MODE SCHEDTOP-ARGS...: starts the workload (MODE, with the
# provider unless NAME is noprov), waits 0.5 s, runs schedtop -p on it
# with the args and --save-dir $out/NAME; stdout to $out/NAME.out, stderr
# to $out/NAME.err, the workload's truth (stdout) to $out/NAME.truth, its
# stderr to $out/NAME.wlerr. $rc is
# schedtop's status, $toppid its pid; $out/NAME.t0 the CLOCK_MONOTONIC
# time just before schedtop started. With SIGINT_AFTER_SAVE=1 schedtop
# gets SIGINT once a frame has shown a save's alert.
watch() {
	local name=$1 mode=$2 wpid
	shift 2
	rm -rf "${out:?}/$name" # a run again starts from nothing
	if [ "$name" = noprov ]; then
		LSAN_OPTIONS=$wl_lsan "$wl" --mode "$mode" --healthy 6 \
			>"$out/$name.truth" 2>"$out/$name.wlerr" &
	else
		LSAN_OPTIONS=$wl_lsan LD_PRELOAD="$prov" "$wl" --mode "$mode" --healthy 6 \
			>"$out/$name.truth" 2>"$out/$name.wlerr" &
	fi
	wpid=$!
	sleep 0.5
	mono_ns >"$out/$name.t0"
	timeout -s KILL $limit "$top" -p "$wpid" "$@" --save-dir "$out/$name" \
		>"$out/$name.out" 2>"$out/$name.err" &
	toppid=$!
	if [ "${SIGINT_AFTER_SAVE:-0}" = 1 ]; then
		for _ in $(seq 300); do
			grep -q 'saved flight-' "$out/$name.out" 2>/dev/null && break
			sleep 0.05
		done
		kill -INT "$toppid" 2>/dev/null
	fi
	wait "$toppid"
	rc=$?
	# The workload prints its truth when it ends, a few seconds on.
	for _ in $(seq 300); do
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.05
	done
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	left_behind "$name"
}

left_behind() {
	local s t
	s=$(lttng list 2>/dev/null | grep -o "schedprof-$toppid-[0-9]*" | sort -u)
	t=$(lttng list-triggers 2>/dev/null | grep -o "schedprof-$toppid-[0-9-]*" | sort -u)
	if [ -n "$s$t" ]; then
		fail "$1: left in LTTng: $s $t"
		for x in $t; do lttng remove-trigger "$x" >/dev/null 2>&1; done
		for x in $s; do lttng destroy "$x" >/dev/null 2>&1; done
	else
		pass "$1: no session or trigger of schedtop (pid $toppid) left in LTTng"
	fi
}

# check NAME FORMAT: the one save of $out/NAME against the truth.
check() {
	python3 - "$out/$1" "$2" "$sp" "$rule" <<'PY'
import glob, json, os, re, subprocess, sys

base, fmt, sp, rule = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
tol = 5_000_000
truth = dict(l.split("=", 1) for l in open(base + ".truth").read().split()
             if "=" in l)
t0 = int(open(base + ".t0").read())
ms = lambda ns: "%.1f ms" % (ns / 1e6)

def fail(msg):
    print(msg)
    sys.exit(1)

if truth.get("ok") != "1":
    fail("the workload did not run its plan: %s" % truth)
saves = sorted(glob.glob(base + "/flight-*"))
if len(saves) != 1:
    fail("%d saves, expected 1: %s" % (len(saves), saves))
save = os.path.basename(saves[0])
if not re.fullmatch(r"flight-001-\d{8}-\d{6}", save):
    fail("save named %s" % save)

# The alert, in the frames.
want = "saved %s: rule %s fired" % (save, rule)
if fmt == "json":
    texts = []
    for line in open(base + ".out"):
        texts += [a["text"] for a in json.loads(line)["alerts"]]
else:
    texts = [l.split("  ", 1)[1].rstrip("\n") for l in open(base + ".out")
             if "  saved flight-" in l]
if not [t for t in texts if t.startswith(want)]:
    fail("no alert '%s...' in the %s frames (saves: %s)"
         % (want, fmt, [t for t in texts if "flight" in t]))
if len([t for t in texts if t.startswith("saved ")]) != 1:
    fail("the save's alert is shown %d times"
         % len([t for t in texts if t.startswith("saved ")]))

# The summary at the end.
err = open(base + ".err").read()
if not re.search(r"^schedtop: flight: 1 save in \S+ \(%s: 1\)" % re.escape(rule),
                 err, re.M):
    fail("no summary '1 save in DIR (%s: 1)' in:\n%s" % (rule, err))

# The marker: the rule, the process, the victim's wait.
m = json.load(open(os.path.join(saves[0], "schedprof-flight.json")))
if m.get("rule") != rule or m.get("pid") != int(truth["pid"]):
    fail("marker: rule %r pid %r (truth pid %s)" % (m.get("rule"), m.get("pid"),
         truth["pid"]))
ready = int(truth["starve_1_ready_ns"])
# A save of the tick, late by the rule's threshold before the plant as the
# workload itself logged: the machine stalled the program (a sanitizer's
# attach on a loaded machine), and the rule was right to fire. Status 3:
# the caller runs the case again.
thr = int(re.search(r"(\d+)ms", rule).group(1)) * 1_000_000
since = m["time"] - m["wait"]
if m.get("waiting") == int(truth["tick"]) and \
        int(truth["tick_late_max_ns"]) >= thr - tol and \
        int(truth["start_ns"]) <= since < ready:
    print("the workload's own log shows its tick %s late at %d, before the "
          "plant; the save names it, waiting since %d: a stall of the "
          "machine, rightly saved"
          % (ms(int(truth["tick_late_max_ns"])), int(truth["tick_late_at_ns"]),
             since))
    sys.exit(3)
if m.get("waiting") != int(truth["starve_1_victim"]) or \
        abs(m["time"] - m["wait"] - ready) > tol:
    fail("marker: waiting %r since %d; truth: victim %s ready at %d"
         % (m.get("waiting"), m["time"] - m["wait"], truth["starve_1_victim"],
            ready))

# The report of the save.
p = subprocess.run([sp, "report", "--json", "--no-fixes", "--pid",
                    truth["pid"], saves[0]], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True)
try:
    r = json.loads(p.stdout)
except Exception:
    fail("report of %s (status %d): %s" % (saves[0], p.returncode,
         p.stderr.strip()))
loops = [l for l in r["loops"] if int(l["loop"], 16) == int(truth["loop"], 16)]
if len(loops) != 1:
    fail("the loop is not in the report of the save")
loop = loops[0]
# Recording began when schedtop started: nothing before it, and soon after.
if loop["first_ns"] < t0:
    fail("the save holds events from %s before schedtop started"
         % ms(t0 - loop["first_ns"]))
if loop["first_ns"] - t0 > 2_000_000_000 or loop["first_ns"] > ready - 1_000_000_000:
    fail("the save begins %s after schedtop started, %s before the fault"
         % (ms(loop["first_ns"] - t0), ms(ready - loop["first_ns"])))
prio = [q for q in loop["priorities"] if q["priority"] == truth["victim_prio"]]
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
print("1 save, %s; it begins %s after schedtop started and %s before the "
      "fault; marker: victim (%d) waited %s; report: LOWEST starving %s from "
      "the truth's instant (%s off), blamed on hog; starving-task victim "
      "(LOWEST)" % (save, ms(loop["first_ns"] - t0), ms(ready - loop["first_ns"]),
      m["waiting"], ms(m["wait"]), ms(iv[0]["duration_ns"]),
      ms(iv[0]["start_ns"] - ready)))
PY
}

# A case whose save a stall of the machine fired (check's status 3, the
# workload's own log of its tick says so) is run again, up to 3 times.
stalled() { printf '  note     schedtop flight: %s: %s; again\n' "$1" "$2"; }

# starve_case NAME FORMAT LABEL SCHEDTOP-ARGS...: the planted starvation
# watched with the args, its one save checked against the truth (check
# NAME FORMAT); run again after a stall of the machine.
starve_case() {
	local name=$1 fmt=$2 label=$3 try msg st
	shift 3
	for try in 1 2 3; do
		watch "$name" starve "$@"
		if [ $rc -ne 0 ]; then
			fail "$name: schedtop exited $rc"
			indent <"$out/$name.err"
			return
		fi
		msg=$(check "$name" "$fmt")
		st=$?
		if [ $st -eq 3 ] && [ $try -lt 3 ]; then
			stalled "$name" "$msg"
			continue
		fi
		if [ $st -eq 0 ]; then
			pass "$label: $msg"
		else
			fail "$label: $msg"
			indent <"$out/$name.err"
		fi
		return
	done
}

# ---- one starvation, -b ------------------------------------------------------
starve_case starve text "starve (-b)" -b --save-on "$rule"
if grep -q '^schedtop: flight: recording process .* a save holds what happened from .* on, never the time before$' "$out/starve.err"; then
	pass "starve: says the save holds only what happened since it started"
else
	fail "starve: no 'recording process ... never the time before' line"
	indent <"$out/starve.err"
fi

# ---- the same, --json, quit with SIGINT after the save ----------------------
SIGINT_AFTER_SAVE=1 starve_case json json "json (SIGINT after the save)" \
	--json --save-on "$rule"

# ---- two recorders, one save directory -----------------------------------------
# Two schedtops on one starving process, saving to one directory that
# also holds a snapshot-1-... left by a recorder killed long ago: each
# save is found in its session's own snapshot directory and gets its own
# number (LTTng names every snapshot snapshot-1-<second>-<seq>: both used
# to take the same, or the stale one).
two=$out/two
mkdir -p "$two/snapshot-1-20200101-000000-0"
echo stale >"$two/snapshot-1-20200101-000000-0/stale"
LSAN_OPTIONS=$wl_lsan LD_PRELOAD="$prov" "$wl" --mode starve --healthy 6 \
	>"$out/two.truth" 2>"$out/two.wlerr" &
wpid=$!
sleep 0.5
timeout -s KILL $limit "$top" -p "$wpid" -b --save-on "$rule" --save-dir "$two" \
	>"$out/two-a.out" 2>"$out/two-a.err" &
pa=$!
timeout -s KILL $limit "$top" -p "$wpid" -b --save-on "$rule" --save-dir "$two" \
	>"$out/two-b.out" 2>"$out/two-b.err" &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
wait "$wpid" 2>/dev/null
names=$(cd "$two" && ls -d flight-* 2>/dev/null | sed 's/^\(flight-[0-9]*\)-.*/\1/' | sort | tr '\n' ' ')
sa=$(sed -n 's/.*save 1 (starve>[0-9]*ms): \([^,]*\),.*/\1/p' "$out/two-a.err")
sb=$(sed -n 's/.*save 1 (starve>[0-9]*ms): \([^,]*\),.*/\1/p' "$out/two-b.err")
markers=$(cat "$two"/flight-*/schedprof-flight.json 2>/dev/null | grep -c '"schedprof_flight": 1')
if [ $ra -eq 0 ] && [ $rb -eq 0 ] && [ "$names" = "flight-001 flight-002 " ] &&
   [ -n "$sa" ] && [ -n "$sb" ] && [ "$sa" != "$sb" ] && [ -d "$sa" ] && [ -d "$sb" ] &&
   [ "$markers" -eq 2 ] && [ -f "$two/snapshot-1-20200101-000000-0/stale" ] &&
   [ -z "$(find "$two" -maxdepth 1 -name '.schedprof-*')" ]; then
	pass "two recorders, one directory: flight-001 and flight-002, one each, the stale snapshot left alone, no private directory left"
else
	fail "two recorders, one directory: status $ra $rb, saves '$names', a '$sa' b '$sb', $markers markers"
	indent <"$out/two-a.err"
	indent <"$out/two-b.err"
	ls -la "$two" | indent
fi

# ---- healthy: no save ----------------------------------------------------------
# Run again (up to 3 times) when a save came with the workload's own log
# of its tick late by a rule's threshold: the machine stalled it.
for try in 1 2 3; do
	watch healthy healthy -b --save-on "$rule" --save-on "run>${run_ms}ms" \
		--save-on "backlog>${backlog_ms}ms"
	n=$(find "$out/healthy" -mindepth 1 2>/dev/null | wc -l)
	late=$(sed -n 's/^tick_late_max_ns=//p' "$out/healthy.truth")
	if [ "$n" -ne 0 ] && [ "${late:-0}" -ge $(( (backlog_ms - 5) * 1000000 )) ] && [ $try -lt 3 ]; then
		stalled healthy "a save, and the workload logged its tick $((late / 1000000)) ms late"
		continue
	fi
	break
done
if [ $rc -eq 0 ] && [ "$n" -eq 0 ] && ! grep -q 'saved flight-' "$out/healthy.out" &&
   grep -q '^schedtop: flight: no save (no rule fired' "$out/healthy.err"; then
	pass "healthy: no save, nothing in the save directory, 'no save' said"
else
	fail "healthy: status $rc, $n entries in $out/healthy"
	indent <"$out/healthy.err"
fi

# ---- no provider: refused ------------------------------------------------------
watch noprov healthy -b -n 1 --save-on "$rule"
first=$(head -n 1 "$out/noprov.err")
case $first in
"schedtop: process "*" (flight_workload) does not have libsched's LTTng-UST provider loaded, so nothing of it can be recorded: start it under 'schedprof record --flight', or with LD_PRELOAD="*)
	if [ $rc -eq 2 ] && [ ! -e "$out/noprov" ] && [ ! -s "$out/noprov.out" ]; then
		pass "no provider: exit 2, '$first'"
	else
		fail "no provider: status $rc (expected 2), save directory made or frames shown"
	fi ;;
*)	fail "no provider: status $rc, first line: $first" ;;
esac

if [ $failures -ne 0 ]; then
	echo "  FAIL     schedtop flight: $failures failure(s); output in $out"
	exit 1
fi
exit 0
