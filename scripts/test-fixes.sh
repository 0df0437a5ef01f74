#!/usr/bin/env bash
# The checked fixes of schedprof report (docs/schedprof.md, "Fixes"): on
# officesim recorded for 3 s, the indexer's starving-task finding comes
# with a max-wait fix (lsched_task_set_max_wait(indexer, 50 ms)); officesim
# run for real with that max wait (--indexer-max-wait 50) and recorded
# again must show the indexer's longest wait the replay predicted, within
# the replay's fidelity tolerance for an interval and the program's own
# spread (below).
# Then a planted never-yields task (tests/split_workload.c): the split
# proposed, run for real (split_workload --split N), shows the longest run
# and the findings the replay predicted. Also: --no-fixes, --fix-budget,
# schedreplay --suggest on the saved workload gives the same fixes. Root
# and tracing compiled in.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test-fixes: $*" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "  SKIP     checked fixes: needs root (LTTng session daemon)"
	exit 0
fi
if grep -q 'TRACE=0' build/config.stamp 2>/dev/null; then
	echo "  SKIP     checked fixes: TRACE=0 compiled the tracepoints out"
	exit 0
fi
dir=build/fixes-test
rm -rf "$dir"
mkdir -p "$dir"
record() { # OUT ARGS...: officesim recorded SCHED_FIFO (as test-schedreplay.sh
	# does): other processes on a loaded machine then do not stretch its
	# runs, which would make both the replay less faithful and the real
	# run's waits longer than the program's own
	local out=$1; shift
	# shellcheck disable=SC2016
	timeout 60 build/bin/schedprof record -o "$out" -- \
		sh -c 'echo $$ >"$0" && exec chrt -f 10 "$@"' "$out.pid" \
		build/bin/officesim --seconds 3 --quiet "$@" >/dev/null 2>"$out.err" ||
		fail "schedprof record failed: $(tail -n 3 "$out.err")"
}
# The recording and the real run with the fix are two runs of a program
# whose keys, resizes and backlogs fall a little differently each time: a
# pair that disagrees is made once more (and said so), not twice.
for pair in 1 2; do
# A recording on a loaded machine may not replay faithfully (its thread
# preempted mid-run): then no fix is proposed, rightly. Up to 5 tries: a
# ThreadSanitizer build needed 3 in a quiet CI rehearsal, and failed 3 of
# 3 on a loaded machine.
for try in 1 2 3 4 5; do
	rm -rf "$dir/before" "$dir/before.pid"
	record "$dir/before"
	build/bin/schedprof report "$dir/before" --pid "$(cat "$dir/before.pid")" --json >"$dir/before.json"
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["fixes"]["status"] != "done")' \
		"$dir/before.json" && break
	echo "  note     checked fixes: recording $try did not replay faithfully ($(python3 -c \
		'import json,sys; print(json.load(open(sys.argv[1]))["fixes"]["why"])' "$dir/before.json")); again" >&2
done
rm -rf "$dir/after" "$dir/after.pid" # the first pair's, when made again
record "$dir/after" --indexer-max-wait 50
build/bin/schedprof report "$dir/after" --pid "$(cat "$dir/after.pid")" --json --no-fixes >"$dir/after.json"
build/bin/schedprof report "$dir/before" --pid "$(cat "$dir/before.pid")" >"$dir/before.txt"
build/bin/schedreplay "$dir/before" --pid "$(cat "$dir/before.pid")" --save "$dir/before.wl" 2>/dev/null
build/bin/schedreplay "$dir/before.wl" --suggest --json >"$dir/suggest.json"
rc=0
python3 - "$dir" <<'PY' || rc=$?
import json, sys
d = sys.argv[1]
b = json.load(open(d + "/before.json"))
a = json.load(open(d + "/after.json"))
s = json.load(open(d + "/suggest.json"))
fail = lambda m: sys.exit("test-fixes: " + m)
ms = lambda ns: "%.1f ms" % (ns / 1e6)
if b["fixes"]["status"] != "done":
    fail("no fixes: %s (%s)" % (b["fixes"]["status"], b["fixes"]["why"]))
if "fixes" in a:
    fail("--no-fixes still gave fixes")
idx = [f for f in b["findings"] if f["kind"] == "starving-task" and f["culprit"].startswith("indexer ")]
if not idx:
    fail("no starving-task finding on the indexer")
cands = idx[0].get("fixes", {}).get("candidates", [])
mw = [c for c in cands if len(c["changes"]) == 1 and c["changes"][0]["what"] == "max_wait"
      and c["changes"][0]["task"] == "indexer" and c["changes"][0]["max_wait_ns"] == 50000000]
if not mw:
    fail("the indexer's finding has no max-wait 50 ms candidate: %s" % [c["call"] for c in cands])
c = mw[0]
if not c["kept"]:
    fail("the max-wait fix was not kept: %s; %s" % (c["effect"], c["cost"]))
if "lsched_task_set_max_wait(indexer, 50000000)" not in c["call"]:
    fail("the call is not the C call: " + c["call"])
real = None
ok = True
for l in a["loops"]:
    for t in l["tasks"]:
        if t["name"] == "indexer" and t["runs"]:
            real = t["wait_ns"]
if real is None:
    fail("the real run with --indexer-max-wait 50 ran no indexer")
# The longest wait, as the fix says it. The tolerance: the replay's for an
# interval (10%, at least 10 ms: docs/schedreplay.md), plus the spread of
# the real program itself from run to run, measured: officesim with
# --indexer-max-wait 50 gave a longest wait of 60.7 to 80.4 ms over 11
# runs, so 10 ms more. A wait a 300 ms layout reflow (which nothing
# preempts) falls into is a coincidence of one run (one recording here
# predicted 301 ms from such a wait; its real run gave 68 ms): that pair
# is made again.
pred = c["after_ns"]
tol = max(10e6, 0.10 * pred) + 10e6
print("  fixes: indexer with max wait 50 ms: predicted longest wait %s, real run %s (was %s, tolerance %s); "
      "wait p99 %s predicted, %s real"
      % (ms(pred), ms(real["max"]), ms(c["before_ns"]), ms(tol), ms(c["after_p99_ns"]), ms(real["p99"])))
if abs(real["max"] - pred) > tol:
    print("  note     checked fixes: predicted %s, the real run gave %s" % (ms(pred), ms(real["max"])))
    sys.exit(10)
# schedreplay --suggest on the saved workload: the same candidate and figure.
sidx = [f for f in s["findings"] if f["kind"] == "starving-task" and f["culprit"].startswith("indexer ")]
smw = [x for x in sidx[0]["fixes"]["candidates"] if x["call"] == c["call"]]
if not smw or smw[0]["after_p99_ns"] != c["after_p99_ns"] or smw[0]["after_ns"] != pred:
    fail("schedreplay --suggest differs from schedprof report")
PY
[ "$rc" -eq 0 ] && break
[ "$rc" -eq 10 ] && [ "$pair" -eq 1 ] && continue
[ "$rc" -eq 10 ] && fail "the real runs with the fix did not show the predicted wait twice"
exit 1
done
# ---- a planted never-yields task (tests/split_workload.c) -------------------
# blob works 120 ms in one run; the fix proposed is to split it. The test
# runs the split proposed for real and compares: blob's longest run, the
# never-yields finding (gone if the fix said so), and tick's longest wait
# (the starving-task finding's figure with the same split, if proposed).
recsplit() { # OUT ARGS...
	local out=$1; shift
	timeout 60 build/bin/schedprof record -o "$out" -- build/tests/split_workload --realtime "$@" \
		>"$out.out" 2>"$out.err" || fail "recording split_workload failed: $(tail -n 3 "$out.err")"
}
for try in 1 2 3 4 5; do
	rm -rf "$dir/blob" "$dir/blob.out"
	recsplit "$dir/blob"
	build/bin/schedprof report "$dir/blob" --pid "$(sed -n 's/^pid=//p' "$dir/blob.out")" --json >"$dir/blob.json"
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["fixes"]["status"] != "done")' \
		"$dir/blob.json" && break
	echo "  note     checked fixes: split_workload recording $try did not replay faithfully; again" >&2
done
n=$(python3 - "$dir/blob.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r["fixes"]["status"] != "done":
    sys.exit("test-fixes: split_workload: no fixes: %s (%s)" % (r["fixes"]["status"], r["fixes"]["why"]))
f = [x for x in r["findings"] if x["kind"] == "never-yields" and x["culprit"].startswith("blob ")]
if not f:
    sys.exit("test-fixes: split_workload: no never-yields finding on blob")
k = [c for c in f[0]["fixes"]["candidates"] if c["kept"]]
if not k or k[0]["changes"][0]["what"] != "split":
    sys.exit("test-fixes: split_workload: no split kept for blob: %s" % f[0]["fixes"])
print(k[0]["changes"][0]["pieces"])
PY
) || exit 1
recsplit "$dir/blob-split" --split "$n"
build/bin/schedprof report "$dir/blob-split" --pid "$(sed -n 's/^pid=//p' "$dir/blob-split.out")" --json --no-fixes >"$dir/blob-split.json"
python3 - "$dir/blob.json" "$dir/blob-split.json" "$n" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
fail = lambda m: sys.exit("test-fixes: split_workload: " + m)
ms = lambda ns: "%.1f ms" % (ns / 1e6)
ny = [x for x in b["findings"] if x["kind"] == "never-yields" and x["culprit"].startswith("blob ")][0]
c = [x for x in ny["fixes"]["candidates"] if x["kept"]][0]
def task(r, name):
    for l in r["loops"]:
        for t in l["tasks"]:
            if t["name"] == name and t["runs"]:
                return t
    fail("no task %s in the split run" % name)
real_run = task(a, "blob")["run_ns"]["max"]
tol = max(1e6, 0.10 * c["after_ns"])
print("  fixes: blob split %d ways: predicted longest run %s, real %s (was %s, tolerance %s)"
      % (n, ms(c["after_ns"]), ms(real_run), ms(c["before_ns"]), ms(tol)))
if abs(real_run - c["after_ns"]) > tol:
    fail("predicted longest run %s, the real split gave %s" % (ms(c["after_ns"]), ms(real_run)))
gone = not any(x["kind"] == "never-yields" and x["culprit"].startswith("blob ") for x in a["findings"])
if gone != (c["verdict"] == "fixes"):
    fail("the replay said %s, the real split %s the finding" % (c["verdict"], "cleared" if gone else "kept"))
PY
# tick waited behind blob's run: its starving-task finding's split of blob
# (in 4), run for real, gives tick's longest wait the replay predicted.
m=$(python3 - "$dir/blob.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
st = [x for x in r["findings"] if x["kind"] == "starving-task" and x["culprit"].startswith("tick ")]
if not st:
    sys.exit("test-fixes: split_workload: no starving-task finding on tick")
k = [c for c in st[0]["fixes"]["candidates"] if c["kept"] and len(c["changes"]) == 1
     and c["changes"][0]["what"] == "split" and c["changes"][0]["task"] == "blob"]
if not k:
    sys.exit("test-fixes: split_workload: tick's finding has no kept split of blob: %s" % st[0]["fixes"])
print(k[0]["changes"][0]["pieces"])
PY
) || exit 1
if [ "$m" != "$n" ]; then
	recsplit "$dir/blob-split$m" --split "$m"
	build/bin/schedprof report "$dir/blob-split$m" --pid "$(sed -n 's/^pid=//p' "$dir/blob-split$m.out")" \
		--json --no-fixes >"$dir/blob-split$m.json"
else
	cp "$dir/blob-split.json" "$dir/blob-split$m.json"
fi
python3 - "$dir/blob.json" "$dir/blob-split$m.json" "$m" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
m = int(sys.argv[3])
fail = lambda msg: sys.exit("test-fixes: split_workload: " + msg)
ms = lambda ns: "%.1f ms" % (ns / 1e6)
st = [x for x in b["findings"] if x["kind"] == "starving-task" and x["culprit"].startswith("tick ")][0]
c = [x for x in st["fixes"]["candidates"] if x["kept"] and x["changes"][0]["what"] == "split"
     and x["changes"][0]["pieces"] == m][0]
w = None
for l in a["loops"]:
    for t in l["tasks"]:
        if t["name"] == "tick" and t["runs"]:
            w = t["wait_ns"]["max"]
if w is None:
    fail("no tick in the split run")
tol = max(10e6, 0.10 * c["after_ns"])
print("  fixes: tick's longest wait with blob split %d ways: predicted %s, real %s (was %s, tolerance %s)"
      % (m, ms(c["after_ns"]), ms(w), ms(c["before_ns"]), ms(tol)))
if abs(w - c["after_ns"]) > tol:
    fail("tick: predicted %s, the real split gave %s" % (ms(c["after_ns"]), ms(w)))
gone = not any(x["kind"] == "starving-task" and x["culprit"].startswith("tick ") for x in a["findings"])
if gone != (c["verdict"] == "fixes"):
    fail("tick: the replay said %s, the real split %s the finding" % (c["verdict"], "cleared" if gone else "kept"))
PY

grep -q "lsched_task_set_max_wait(indexer" "$dir/before.txt" || grep -q "indexer" "$dir/before.txt" ||
	fail "text report lacks the indexer"
grep -q "^           \(fix\|eases it\): " "$dir/before.txt" || fail "text report shows no fix"
rc=0; build/bin/schedprof report "$dir/before" --fix-budget abc >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--fix-budget abc gave $rc, expected 2"
build/bin/schedprof report "$dir/before" --pid "$(cat "$dir/before.pid")" --fix-budget 0 --json |
	python3 -c 'import json,sys; f=json.load(sys.stdin)["fixes"]; sys.exit(0 if f["budget_out"] and f["replays"]==0 else "budget 0 still replayed")'
echo "  PASS     checked fixes: the indexer's max-wait fix and a planted never-yields task's split predicted as real runs show them; --no-fixes; --fix-budget; schedreplay --suggest"
