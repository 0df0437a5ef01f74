#!/usr/bin/env bash
# The readers of a flight-recorder save (docs/schedprof.md, "Reading a
# flight-recorder save"; tools/common/flightmark.h), on a save made here
# (root: LTTng): truth_workload --mode starve recorded with `schedprof
# record` (a LOWEST task, "starved", ready while a DEFAULT auto-idle,
# "hog", runs 2 ms pieces for 300 ms), and the marker a `starve>150ms`
# rule would have written, at the top of the trace directory: the end of
# the first hog run that ended 150 ms or more after starved became ready
# (its loop_check: the run that had just ended, the task waiting longest),
# its ids, priorities and times taken from the trace itself (babeltrace2).
#
# Then every reader must show that moment, with the names of those ids and
# the time on its own axis:
#   schedprof report: the line "flight-recorder save 1: rule starve>150ms
#     fired at +S s: starved (LOWEST) had waited W; the run that had just
#     ended: hog (DEFAULT) R" (S from the loop's first event) and, the
#     save holding the whole run, the note that it holds its program from
#     the start; --json: the "flight" object; the rest of the report
#     byte for byte the report of the same trace without the marker;
#   the save cut to begin mid-run (babeltrace2 --begin, while starved
#     waits): the mid-run note, "starts_mid_run": true;
#   report -o: the line in index.html, a vertical line at S on the
#     timeline and depth charts (report.gp), the page rendering in
#     headless Chromium (when installed);
#   export --perfetto: an instant event named "starve>150ms" on the loop's
#     track at the end of that hog run (check-perfetto.py --schedprof);
#   schedtop TRACE -b and --json: the alert "flight save 1: rule ..." at
#     S, kind flight-save, t_ns the trigger's;
#   schedreplay: the save replays as the trace without the marker does;
#   a path inside the save (the directory of its metadata) finds the
#     marker; a directory of two saves of one recording (a rule's save and
#     the save at exit, same pid) is refused by report, export and schedtop
#     (exit 2, one line naming both: they overlap), while each save given
#     directly reads, the save at exit as such;
#   babeltrace2 reads the save (the marker does not disturb its discovery).
#
# Malformed markers are scripts/test-schedprof-badinput.sh's (report and
# export) and docs/errors.md's rows (schedtop too); hostile strings in a
# marker, scripts/test-hostile-names.sh's.
#
#   scripts/test-flight-readers.sh   (make build/bin/schedprof build/bin/
#                                     schedtop build/bin/schedreplay
#                                     build/tests/truth_workload
#                                     build/lib/libsched-lttng.so)
#
# Output in build/flight-readers-test/ (cleaned first). Exit status 0 if
# all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/flight-readers-test
bin=build/bin/schedprof
fail=0
pass() { echo "  PASS     flight-readers: $*"; }
bad() { echo "  FAIL     flight-readers: $*"; fail=1; }

for f in "$bin" build/bin/schedtop build/bin/schedreplay \
	build/tests/truth_workload build/lib/libsched-lttng.so; do
	if [ ! -e "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
for cmd in python3 babeltrace2; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		bad "$cmd not found (make deps, as root)"
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out"
plain=$out/plain
save=$out/flight-001-20261207-120301
if ! timeout 120 "$bin" record -o "$plain" -- build/tests/truth_workload \
	--mode starve >"$out/workload.out" 2>"$out/record.err" ||
	! grep -qx 'ok=1' "$out/workload.out"; then
	bad "recording truth_workload --mode starve failed: $(tail -1 "$out/record.err")"
	exit 1
fi
cp -r "$plain" "$save"

# The marker, from the trace's own events; the expected figures in
# $out/truth (key=value).
if ! python3 - "$save" "$out/workload.out" "$out/truth" \
	>"$out/marker.log" 2>&1 <<'PY'
import json, re, subprocess, sys
save, wlout, truth = sys.argv[1:4]
w = dict(l.strip().split("=", 1) for l in open(wlout) if "=" in l)
pid, loop, ready = int(w["pid"]), int(w["loop"], 16), int(w["ready_ns"])
text = subprocess.run(["babeltrace2", save], capture_output=True, text=True,
                      check=True).stdout
first = None
ids, prios, ends = {}, {}, []
for line in text.splitlines():
    m = re.search(r"libsched:(\w+): .*vpid = (\d+).*?\}, \{ (.*) \}$", line)
    if not m or int(m.group(2)) != pid:
        continue
    ev, f = m.group(1), dict(re.findall(r"(\w+) = (\"[^\"]*\"|\w+)", m.group(3)))
    # Schema 2: task_name gives a task's loop and name, once per task and
    # epoch; task_fire_begin and task_fire_end carry neither (their begin
    # is end - run).
    if ev == "task_name":
        if int(f["loop"], 16) == loop:
            ids[f["name"].strip('"')] = int(f["task"])
        continue
    if ev in ("task_fire_begin", "task_fire_end"):
        if int(f["task"]) not in ids.values():
            continue
    elif int(f.get("loop", "0"), 16) != loop:
        continue
    if ev == "task_fire_begin":
        prios[int(f["task"])] = int(f["prio"])
    if ev == "task_fire_end":
        ends.append((int(f["task"]), int(f["end"]) - int(f["run"]),
                     int(f["end"])))
hog, starved = ids["hog"], ids["starved"]
begin, end = next((b, e) for t, b, e in ends
                  if t == hog and e >= ready + 150000000)
marker = {"schedprof_flight": 1, "save": 1, "rule": "starve>150ms",
          "rules": ["starve>150ms", "run>100ms"],
          "saved_at": "2026-12-07T12:03:01Z", "pid": pid,
          "loop": w["loop"], "time": end, "kind": 0, "id": hog,
          "prio": prios[hog], "run": end - begin, "delay": 0,
          "waiting": starved, "waiting_prio": prios[starved],
          "wait": end - ready, "discarded": 0,
          "a_later_field": {"ignored": [1, 2]}}
json.dump(marker, open(save + "/schedprof-flight.json", "w"), indent=1)
with open(truth, "w") as t:
    for k, v in (("pid", pid), ("hog", hog), ("starved", starved),
                 ("time", end), ("run", end - begin), ("wait", end - ready),
                 ("hog_begin", begin)):
        print("%s=%d" % (k, v), file=t)
print("marker: hog %d ran %d ns to %d; starved %d waited %d ns" %
      (hog, end - begin, end, starved, end - ready))
PY
then
	bad "making the marker failed: $(tail -1 "$out/marker.log")"
	exit 1
fi
pass "save made: $(tail -1 "$out/marker.log")"

# babeltrace2's own discovery is not disturbed by the marker.
if babeltrace2 "$save" >"$out/bt.txt" 2>"$out/bt.err" &&
	grep -q 'libsched:task_fire_end' "$out/bt.txt"; then
	pass "babeltrace2 reads the save with its marker"
else
	bad "babeltrace2 on the save: $(head -1 "$out/bt.err")"
fi

# ---- schedprof report ---------------------------------------------------
"$bin" report "$save" --no-fixes >"$out/report.txt" 2>"$out/report.err"
rc=$?
"$bin" report "$plain" --no-fixes >"$out/plain.txt" 2>&1
"$bin" report "$save" --no-fixes --json >"$out/report.json" 2>&1
"$bin" report "$plain" --no-fixes --json >"$out/plain.json" 2>&1
if [ $rc = 0 ] && python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
t = dict(l.strip().split("=", 1) for l in open(out + "/truth"))
t = {k: int(v) for k, v in t.items()}
r = json.load(open(out + "/report.json"))
p = json.load(open(out + "/plain.json"))
loop = r["loops"][0]
at = t["time"] - loop["first_ns"]
def ms(ns):
    # an_fmt_ns(): 3 significant digits
    v = ns / 1e6
    return ("%.3g ms" % v) if v < 1000 else None
want = ("flight-recorder save 1: rule starve>150ms fired at +%.3f s: "
        "starved (LOWEST) had waited %s; the run that had just ended: "
        "hog (DEFAULT) %s" % (at / 1e9, ms(t["wait"]), ms(t["run"])))
lines = open(out + "/report.txt").read().splitlines()
if lines[1] != want:
    sys.exit("line 2: %r\n want: %r" % (lines[1], want))
# The save holds the whole recording: no mid-run note.
if not lines[2].startswith("note: this flight-recorder save holds its "
                           "program from the start"):
    sys.exit("no from-the-start note: %r" % lines[2])
# Everything else is the report without the marker, byte for byte.
plain = open(out + "/plain.txt").read().splitlines()
if lines[:1] + lines[3:] != plain:
    sys.exit("the rest of the report differs from the plain trace's")
f = r["flight"]
s = f["saves"][0]
exp = {"save": 1, "rule": "starve>150ms", "pid": t["pid"], "exit": False,
       "loop_in_trace": True, "time_ns": t["time"], "at_ns": at,
       "run": {"kind": "task", "id": t["hog"], "name": "hog",
               "priority": "DEFAULT", "run_ns": t["run"], "delay_ns": 0},
       "waiting": {"id": t["starved"], "name": "starved",
                   "priority": "LOWEST", "wait_ns": t["wait"]},
       "discarded": 0, "text": want,
       "rules": ["starve>150ms", "run>100ms"]}
for k, v in exp.items():
    if s.get(k) != v:
        sys.exit("flight.saves[0].%s = %r, want %r" % (k, s.get(k), v))
if f["starts_mid_run"] is not False or len(f["saves"]) != 1:
    sys.exit("flight: %r" % f)
del r["flight"]
if r != p or "flight" in p:
    sys.exit("the JSON without \"flight\" differs from the plain trace's")
PY
then
	pass "report: the trigger line, the note, the JSON flight object; the rest as without the marker"
else
	bad "report: exit $rc: $(head -1 "$out/report.err")"
fi
if grep -q 'flight' "$out/plain.txt" "$out/plain.json"; then
	bad "report of a trace without a marker mentions a flight save"
else
	pass "report of the trace without the marker: no flight line, no \"flight\" key"
fi

# The save cut to begin mid-run, while starved waits (the 10th run's end):
# the mid-run note.
cut=$out/flight-cut
ts=$(babeltrace2 --clock-seconds "$save" | grep 'libsched:task_fire_end' |
	sed -n '10s/^\[\([0-9.]*\)\].*/\1/p')
if [ -n "$ts" ] && babeltrace2 "$save" --begin="$ts" -o ctf -w "$cut" \
	>"$out/cut.log" 2>&1 &&
	cp "$save/schedprof-flight.json" "$cut/" &&
	"$bin" report "$cut" --no-fixes >"$out/cut.txt" 2>&1 &&
	"$bin" report "$cut" --no-fixes --json >"$out/cut.json" 2>&1 &&
	sed -n 3p "$out/cut.txt" | grep -q '^note: a flight-recorder save holds only the last seconds before its trigger, so its trace starts mid-run' &&
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["flight"]["starts_mid_run"] is not True)' "$out/cut.json"; then
	pass "report of the save cut to begin at $ts s (starved already waiting): the mid-run note"
else
	bad "report of the save cut mid-run: $(sed -n 3p "$out/cut.txt" 2>/dev/null | cut -c1-100) $(tail -1 "$out/cut.log")"
fi

# A path inside the save: the directory of its metadata.
meta=$(dirname "$(find "$save" -name metadata | head -1)")
if "$bin" report "$meta" --no-fixes 2>&1 | sed -n 2p | grep -q '^flight-recorder save 1: rule starve>150ms fired at +'; then
	pass "report of a path inside the save finds its marker (${meta#"$save"/})"
else
	bad "report of $meta: no flight line"
fi

# ---- HTML ------------------------------------------------------------------
"$bin" report "$save" --no-fixes -o "$out/html" >"$out/html.log" 2>&1
at_s=$(python3 -c 'import json,sys; print("%.9g" % (json.load(open(sys.argv[1]))["flight"]["saves"][0]["at_ns"] / 1e9))' "$out/report.json")
arrows=$(grep -c "^set arrow from $at_s, graph 0 to $at_s, graph 1 nohead front lw 2 lc rgb '#111111'" "$out/html/report.gp")
if grep -q 'class="banner flight">flight-recorder save 1: rule starve&gt;150ms fired at +' "$out/html/index.html" &&
	[ "$arrows" -ge 2 ] && grep -q "^set label 'save 1: starve>150ms' at $at_s, graph 1" "$out/html/report.gp"; then
	pass "HTML: the line in the summary, the trigger at $at_s s on $arrows charts with its rule"
else
	bad "HTML: summary line or chart marker missing ($arrows arrows at $at_s s)"
fi
if command -v chromium >/dev/null 2>&1; then
	if msg=$(scripts/check-html-chromium.sh "$out/html" 2>&1); then
		pass "HTML: ${msg#check-html-chromium: }"
	else
		bad "HTML in Chromium: $msg"
	fi
fi

# ---- Perfetto --------------------------------------------------------------
if "$bin" export "$save" --perfetto "$out/perfetto.json" >"$out/export.log" 2>&1 &&
	scripts/check-perfetto.py --schedprof "$out/perfetto.json" 2>"$out/check-perfetto.err" &&
	python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
t = {k: int(v) for k, v in (l.strip().split("=", 1) for l in open(out + "/truth"))}
ev = json.load(open(out + "/perfetto.json"))["traceEvents"]
fl = [e for e in ev if e.get("cat") == "flight"]
if len(fl) != 1:
    sys.exit("%d flight events" % len(fl))
e = fl[0]
names = {(m["pid"], m["tid"]): m["args"]["name"] for m in ev
         if m["ph"] == "M" and m["name"] == "thread_name"}
track = names.get((e["pid"], e["tid"]), "")
if e["name"] != "starve>150ms" or e["s"] != "t" or not track.startswith("loop 0x"):
    sys.exit("flight event %r on %r" % (e, track))
# At the end of the hog run that triggered it, on the same track.
runs = [x for x in ev if x["ph"] == "X" and x.get("args", {}).get("task") == t["hog"]
        and (x["pid"], x["tid"]) == (e["pid"], e["tid"])]
run = min(runs, key=lambda x: abs(x["ts"] + x["dur"] - e["ts"]))
if abs(run["ts"] + run["dur"] - e["ts"]) > 0.0015 or \
        abs(run["dur"] * 1000 - t["run"]) > 2:
    sys.exit("the trigger at %r us is not the end of hog's run (%r + %r)" %
             (e["ts"], run["ts"], run["dur"]))
PY
then
	pass "export --perfetto: the instant \"starve>150ms\" on the loop's track at the end of hog's run; check-perfetto valid"
else
	bad "export --perfetto: $(tail -1 "$out/check-perfetto.err" 2>/dev/null)"
fi

# ---- schedtop ----------------------------------------------------------------
build/bin/schedtop "$save" -b -d 0.05 >"$out/schedtop.txt" 2>"$out/schedtop.err"
rc=$?
build/bin/schedtop "$save" -b --json -d 0.05 >"$out/schedtop.jsonl" 2>&1
if [ $rc = 0 ] && python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
t = {k: int(v) for k, v in (l.strip().split("=", 1) for l in open(out + "/truth"))}
r = json.load(open(out + "/report.json"))["flight"]["saves"][0]
want = "flight save 1: rule starve>150ms fired: " + r["text"].split(": ", 2)[2]
lines = [l for l in open(out + "/schedtop.txt") if "flight save" in l]
if len(lines) != 1 or lines[0].split("  ", 1)[1].rstrip("\n") != want:
    sys.exit("schedtop -b: %r, want %r" % (lines, want))
frames = [json.loads(l) for l in open(out + "/schedtop.jsonl") if l.strip()]
al = [a for f in frames for a in f["alerts"] if a["kind"] == "flight-save"]
if len(al) != 1 or al[0]["t_ns"] != t["time"] or al[0]["text"] != want or \
        al[0]["task"] != "starved" or al[0]["prio"] != "LOWEST" or \
        al[0]["dur_ns"] != t["wait"]:
    sys.exit("schedtop --json: %r" % al)
first = frames[0]["t0_ns"]
when = lines[0].split("  ", 1)[0]
if when != "t=%.3fs" % ((t["time"] - first) / 1e9):
    sys.exit("schedtop -b shows it at %s" % when)
PY
then
	pass "schedtop -b and --json: the flight-save alert at its moment, with the names"
else
	bad "schedtop: exit $rc: $(head -1 "$out/schedtop.err")"
fi

# ---- schedreplay -------------------------------------------------------------
build/bin/schedreplay "$save" --json >"$out/replay.json" 2>"$out/replay.err"
rc=$?
build/bin/schedreplay "$plain" --json >"$out/replay-plain.json" 2>&1
if [ $rc = 0 ] && python3 - "$out/replay.json" "$out/replay-plain.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def strip(x):
    # The trace's path is the only difference allowed.
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ("input", "source")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
if strip(a) != strip(b):
    sys.exit("the replay of the save differs from the plain trace's")
PY
then
	pass "schedreplay: the save replays as the trace without its marker"
else
	bad "schedreplay on the save: exit $rc: $(head -1 "$out/replay.err")"
fi

# ---- several saves, a save at exit ---------------------------------------------
multi=$out/saves
mkdir -p "$multi"
cp -r "$save" "$multi/flight-001-20261207-120301"
cp -r "$plain" "$multi/flight-002-20261207-120309"
cat >"$multi/flight-002-20261207-120309/schedprof-flight.json" <<EOF
{"schedprof_flight": 1, "save": 2, "rule": "exit", "rules": ["starve>150ms"],
 "saved_at": "2026-12-07T12:03:09Z", "pid": $(sed -n 's/^pid=//p' "$out/truth"),
 "discarded": 3}
EOF
# Two saves of one recording overlap: refused by every reader, naming both.
want="2 flight-recorder saves of one recording (pid $(sed -n 's/^pid=//p' "$out/truth")): $multi/flight-001-20261207-120301, $multi/flight-002-20261207-120309; each holds the whole ring, so they overlap: give one save directory"
refused=1
for tool in "$bin report $multi --no-fixes" \
	"$bin export $multi --perfetto $out/multi-perfetto.json" \
	"build/bin/schedtop $multi -b -d 0.05"; do
	$tool >"$out/multi.out" 2>"$out/multi.err"
	rc=$?
	name=${tool%% "$multi"*}
	name=${name##*/}
	if [ $rc != 2 ] || [ -s "$out/multi.out" ] ||
		[ "$(cat "$out/multi.err")" != "${name%% *}: $want" ]; then
		bad "$name on two saves of one recording: exit $rc: $(head -1 "$out/multi.err")"
		refused=0
	fi
done
[ $refused = 1 ] && pass "a directory of two saves of one recording: refused by report, export and schedtop (exit 2, both named)"
# Each save of it given directly still reads, the save at exit as such.
if "$bin" report "$multi/flight-001-20261207-120301" --no-fixes 2>&1 |
	sed -n 2p | grep -q '^flight-recorder save 1: rule starve>150ms fired at +' &&
	"$bin" report "$multi/flight-002-20261207-120309" --no-fixes 2>&1 |
	sed -n 2p | grep -qx 'flight-recorder save 2: saved when the recording ended (--save-on-exit), not by a rule' &&
	build/bin/schedtop "$multi/flight-002-20261207-120309" -b -d 0.05 2>&1 | grep -q 'flight save 2: saved when the recording ended'; then
	pass "each save of that directory given directly reads, the save at exit as such (report, schedtop)"
else
	bad "a save of the directory given directly: no flight line"
fi
exit $fail
