#!/usr/bin/env bash
# officesim, the demo: runs to the end and reports every task; ends cleanly
# (exit 0, report printed) on SIGINT and on SIGTERM; refuses bad options
# with one line and exit status 2. As root, with tracing compiled in, also
# what the demo is for: schedprof, recording officesim --seconds 3, finds
# the culprit (layout: a never-yields or long-running-task finding, a run
# of at least 250 ms) and the victim (the LOWEST indexer starving, its
# wait blamed on higher priorities), and no finding accusing the spell
# checker, which yields properly (it may wait behind a layout reflow).
# Where officesim was built with GLib, all of it twice: natively and with
# --host glib (the loop inside a GMainLoop, through libsched-glib): same
# report, same findings.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/officesim
fail() { echo "officesim: $*" >&2; exit 1; }

hosts=native
if "$bin" --host glib --help >/dev/null 2>&1; then
	hosts="native glib"
fi
for host in $hosts; do
out=$(timeout 20 "$bin" --seconds 0.5 --quiet --host "$host")
for task in keystroke autosave layout resize repaint blink spell thumbnail indexer; do
	grep -q "^  $task " <<<"$out" || fail "report lacks task '$task'"
done
for prio in HIGHEST DEFAULT HIGH_IDLE RESIZE REPAINT POST_PAINT DEFAULT_IDLE LOWEST; do
	grep -q " $prio " <<<"$out" || fail "report lacks priority $prio"
done
done

for sig in INT TERM; do
	log=$(mktemp)
	timeout 20 "$bin" --seconds 60 >"$log" &
	pid=$!
	# Wait until it runs (its first line), then signal it.
	for _ in $(seq 200); do [ -s "$log" ] && break; sleep 0.05; done
	kill -s "$sig" "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc after SIG$sig, expected 0"
	grep -q "signal" "$log" || fail "no 'signal' line after SIG$sig"
	grep -q "simulated office work" "$log" || fail "no report after SIG$sig"
	rm -f "$log"
done

for bad in "--seconds -1" "--seconds abc" "--bogus" "extra" "--host gtk" \
	"--indexer-max-wait 0" "--indexer-max-wait x"; do
	rc=0; err=$("$bin" $bad 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq 2 ] || fail "'$bad' gave exit status $rc, expected 2"
	[ -n "$err" ] || fail "'$bad' printed no error"
done
echo "  PASS     officesim: full run (hosts: $hosts), clean exit on SIGINT and SIGTERM, bad options"

# ---- what schedprof finds in it ----------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "  SKIP     officesim profile: needs root (LTTng session daemon)"
	exit 0
fi
if grep -q 'TRACE=0' build/config.stamp 2>/dev/null; then
	echo "  SKIP     officesim profile: TRACE=0 compiled the tracepoints out"
	exit 0
fi
for f in build/bin/schedprof build/lib/libsched-lttng.so; do
	[ -e "$f" ] || fail "$f is missing: make build/bin/schedprof build/lib/libsched-lttng.so"
done
profile() {
local host=$1 dir rc msg
dir=build/officesim-test-$host
rm -rf "$dir"
mkdir -p "$dir"
# LTTng's per-user buffers catch every libsched program running meanwhile,
# other officesims included: officesim's pid (kept by exec) tells ours.
# Niced up: other load on the machine would preempt the main loop in the
# middle of a spell-check slice, and a preempted slice looks overrun (or
# long). With autogroup scheduling, nice only counts within a session: the
# recording gets a session of its own (setsid), whose group is niced too.
rc=0
# shellcheck disable=SC2016 # $$ and $@ are the inner shells'
timeout 60 setsid sh -c '{ echo -10 >/proc/self/autogroup; } 2>/dev/null; exec "$@"' sh \
	nice -n -10 build/bin/schedprof record -o "$dir/trace" -- \
	sh -c 'echo $$ >"$0" && exec "$@"' "$dir/pid" \
	"$bin" --seconds 3 --quiet --host "$host" >"$dir/officesim.out" 2>"$dir/record.err" || rc=$?
[ "$rc" -eq 0 ] || fail "schedprof record gave exit status $rc: $(tail -n 3 "$dir/record.err")"
build/bin/schedprof report "$dir/trace" --json >"$dir/report.json" 2>"$dir/report.err" ||
	fail "schedprof report failed: $(head -n 3 "$dir/report.err")"
msg=$(python3 - "$dir/report.json" "$(cat "$dir/pid")" <<'EOF'
import json, sys

r = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
ms = lambda ns: "%.0f ms" % (ns / 1e6)
# officesim's main loop: the one of our process with the layout task.
loops = [l for l in r["loops"] if l["pid"] == pid and
         any(t["name"] == "layout" for t in l["tasks"])]
if len(loops) != 1:
    print("found %d main loops of officesim pid %d in the trace"
          % (len(loops), pid))
    sys.exit(1)
loop = loops[0]
tasks = {t["name"]: t for t in loop["tasks"]}
found = [f for f in r["findings"] if f["loop"] == loop["loop"]]
kinds = lambda culprit: [f["kind"] for f in found if f["culprit"] == culprit]
errors = []

layout = tasks["layout"]
lk = [k for k in kinds("layout (HIGH_IDLE)")
      if k in ("never-yields", "long-running-task")]
if not lk:
    errors.append("no never-yields or long-running-task finding names layout")
if layout["run_ns"]["max"] < 250e6:
    errors.append("layout's longest run is %s, not at least 250 ms"
                  % ms(layout["run_ns"]["max"]))

indexer = tasks.get("indexer")
lowest = [p for p in loop["priorities"] if p["priority"] == "LOWEST"][0]
ik = ["starving-task"] if "starving-task" in kinds("indexer (LOWEST)") else []
ik += ["starving-priority LOWEST"] if "starving-priority" in kinds("LOWEST") else []
if not ik:
    errors.append("no starving-task (indexer) or starving-priority (LOWEST) "
                  "finding")
if not indexer or indexer["wait_ns"]["max"] < r["starve_ns"]:
    errors.append("the indexer did not wait the starve threshold (%s)"
                  % ms(r["starve_ns"]))

# The indexer waits behind the spell checker (a higher priority), not
# behind its LOWEST sibling (whose runs its maximum wait forces).
iw = [f for f in found if f["kind"] == "starving-task" and f["culprit"] == "indexer (LOWEST)"]
if iw and "higher priorities" not in iw[0]["evidence"]:
    errors.append("the indexer's wait is not blamed on higher priorities: " + iw[0]["evidence"])
# The spell checker yields properly: nothing accuses it. It may itself
# wait behind a 300 ms layout reflow (a starving-task finding blamed on
# layout, which is the truth), nothing else.
spell = [f["kind"] for f in found if f["culprit"].startswith("spell ")
         and not (f["kind"] == "starving-task" and "most: layout " in f["evidence"])]
if spell:
    errors.append("findings about the spell checker: " + ", ".join(spell))

# The findings about what officesim plants (the culprit layout, the
# victim indexer and its priority LOWEST), as kind and culprit: the native
# and the hosted run must find the same. The others depend on how the
# machine's load falls on a real-time run (a backlog, a priority starved
# behind the 300 ms reflow): kept beside, compared for information only.
import re
planted = ("layout ", "indexer ", "LOWEST")
with open(sys.argv[1] + ".kinds", "w") as k, \
     open(sys.argv[1] + ".other", "w") as o:
    for line in sorted(set("%s %s" % (f["kind"], re.sub("0x[0-9a-f]+", "0x?",
                                                       f["culprit"]))
                           for f in found)):
        culprit = line.split(" ", 1)[1]
        (k if culprit.startswith(planted) else o).write(line + "\n")

if errors:
    print("; ".join(errors))
    for f in found:
        print("  %s %s %s: %s" % (f["severity"], f["kind"], f["culprit"],
                                  f["evidence"]))
    sys.exit(1)
print("layout %s (longest run %s); indexer %s (waited up to %s; LOWEST "
      "starved up to %s); nothing accuses spell"
      % (lk[0], ms(layout["run_ns"]["max"]), " and ".join(ik),
         ms(indexer["wait_ns"]["max"]), ms(lowest["longest_starve_ns"])))
EOF
) || fail "schedprof's findings in $dir/trace (--host $host): $msg"
echo "  PASS     officesim profile (--host $host): $msg"
# The storage loop runs only posted work: its text section has the
# performer table and no empty priority table (it had a lone header).
build/bin/schedprof report "$dir/trace" --no-fixes >"$dir/report.txt" 2>>"$dir/report.err" ||
	fail "schedprof report (text) failed: $(head -n 3 "$dir/report.err")"
storage=$(awk '/^loop "storage"/{on=1; print; next} /^loop /{on=0} on' "$dir/report.txt")
if grep -q '^  performer ' <<<"$storage" && ! grep -q '^  priority ' <<<"$storage"; then
	echo "  PASS     officesim report (--host $host): the storage loop (posted work only) has no empty priority table"
else
	fail "the storage loop's text section: $(head -n 6 <<<"$storage")"
fi
}
for host in $hosts; do
	profile "$host"
done
if [ "$hosts" != native ]; then
	d=$(diff build/officesim-test-native/report.json.kinds \
		build/officesim-test-glib/report.json.kinds) ||
		fail "native and --host glib runs differ in their findings about layout and the indexer: $d"
	other=same
	cmp -s build/officesim-test-native/report.json.other \
		build/officesim-test-glib/report.json.other ||
		other="differ (timing): native $(paste -sd, build/officesim-test-native/report.json.other); glib $(paste -sd, build/officesim-test-glib/report.json.other)"
	echo "  PASS     officesim profile: --host glib finds what the native run finds about layout and the indexer ($(paste -sd, build/officesim-test-glib/report.json.kinds)); other findings: $other"
fi
