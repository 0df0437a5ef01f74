#!/usr/bin/env bash
# schedtop end to end, for real: BPF on the USDT probes of a running
# tests/top_workload (two loops, known tasks, a planted 120 ms task and a
# starving LOWEST), the trace mode on a recording of the same workload, the
# interactive screen driven in tmux, quitting by q, SIGINT and the target's
# exit with nothing left attached, and every error case. Needs root (BPF,
# LTTng); never skips. Builds nothing: make build/bin/schedtop
# build/bin/schedprof build/tests/top_workload first.
set -euo pipefail
cd "$(dirname "$0")/.."
top=${SCHEDTOP:-build/bin/schedtop}
prof=${SCHEDPROF:-build/bin/schedprof}
wl=${TOP_WORKLOAD:-build/tests/top_workload}
out=build/tests/schedtop
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
failed=0
pids=()

pass() { echo "  PASS     schedtop: $1"; }
fail() {
	echo "  FAIL     schedtop: $1"
	shift
	for line in "$@"; do
		[ -n "$line" ] && echo "           $line"
	done
	failed=1
}
# A private tmux server: never the user's own sessions.
tm() { tmux -L "schedtop-test-$$" "$@"; }
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	tm kill-server 2>/dev/null || true
}
trap cleanup EXIT

for f in "$top" "$prof" "$wl"; do
	[ -x "$f" ] || { fail "$f is not built"; exit 1; }
done
command -v tmux >/dev/null || { fail "tmux is missing (scripts/deps.sh)"; exit 1; }
rm -rf "$out" && mkdir -p "$out"

# Starts the workload for $1 seconds; sets wl_pid once it runs.
start_workload() {
	local fifo="$out/ready.$RANDOM" line
	mkfifo "$fifo"
	"$wl" --seconds "$1" >"$fifo" &
	wl_pid=$!
	pids+=("$wl_pid")
	read -r -t 10 line <"$fifo" || true
	rm -f "$fifo"
	[ "$line" = "ready pid=$wl_pid" ] || { fail "top_workload did not start ($line)"; exit 1; }
}

# The ids of the BPF programs schedtop has loaded: those using a map named
# schedtop.bss (its global data), which only schedtop's object has.
schedtop_progs() {
	local maps
	maps=$("$bpftool" map show 2>/dev/null | sed -n 's/^\([0-9]*\): .* name schedtop\.bss .*/\1/p')
	[ -n "$maps" ] || return 0
	"$bpftool" prog show 2>/dev/null | awk -v maps=" $(echo $maps) " '
		/^[0-9]+: / { id = $1; sub(":", "", id) }
		/map_ids/ { n = split($0, f, /[ ,]+/); for (i = 1; i <= n; i++)
			if (index(maps, " " f[i] " ")) { print id; break } }'
}

# Nothing of ours may remain: no program among $@, no link to one.
check_detached() {
	local what=$1 left
	shift
	if [ $# -eq 0 ]; then
		fail "$what: no program of schedtop was seen while it ran, so none can be checked"
		return
	fi
	for _ in $(seq 50); do
		left=""
		for id in "$@"; do
			if "$bpftool" prog show id "$id" >/dev/null 2>&1; then left="$left prog $id"; fi
			if "$bpftool" link show 2>/dev/null | grep -q "prog $id\b"; then left="$left link->$id"; fi
		done
		[ -z "$left" ] && { pass "$what: no program or link left attached (${#@} programs checked)"; return; }
		sleep 0.1
	done
	fail "$what: left in the kernel:$left"
}

# Waits until file $1 has a line matching $2 (10 s at most).
wait_line() {
	for _ in $(seq 100); do grep -qE -e "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# ---- live, batch ----------------------------------------------------------
# Long enough for every live part below, whatever the machine's load; it
# is stopped before the target-exit part.
start_workload 120
"$top" -b -n 3 -d 0.5 -p "$wl_pid" >"$out/batch.txt" 2>"$out/batch.err" &
tp=$!
# Attached once the first frame is out.
wait_line "$out/batch.txt" '^schedtop live - ' || true
mapfile -t progs < <(schedtop_progs)
rc=0; wait "$tp" || rc=$?
if [ "$rc" -ne 0 ]; then
	fail "schedtop -b -n 3 exit status $rc" "$(head -3 "$out/batch.err")"
else
	frames=$(grep -c '^schedtop live - ' "$out/batch.txt" || true)
	[ "$frames" -eq 3 ] && pass "-b -n 3 -d 0.5 printed 3 frames" || fail "-b -n 3 printed $frames frames"
	if grep -q $'\e' "$out/batch.txt"; then fail "batch output holds escape codes"; else pass "batch output has no escape code"; fi
	grep -q 'loops 2 ' "$out/batch.txt" && pass "both loops seen (main and server thread)" || fail "not 2 loops" "$(grep '^schedtop' "$out/batch.txt" | head -1)"
	grep -qE '^schedtop live .* loop cpu [0-9.]+%' "$out/batch.txt" &&
		grep -qE '^loop .*\(top-main\)  cpu [0-9.]+%' "$out/batch.txt" &&
		pass "the loop threads' CPU shown (header and per loop)" || fail "no loop thread CPU shown"
	ok=1
	# Each task with its priority and non-zero runs/s, in the last frame.
	last=$(awk '/^schedtop live - /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$out/batch.txt")
	for t in "tick HIGHEST" "paint REPAINT" "worker DEFAULT_IDLE" "keystroke HIGHEST" "poll DEFAULT" "longjob DEFAULT" "lowly LOWEST"; do
		set -- $t
		row=$(grep -E "^$1 +$2 " <<<"$last" || true)
		runs=$(awk '{print $3}' <<<"$row")
		if [ -z "$row" ] || ! awk -v r="${runs:-0}" 'BEGIN{exit !(r > 0)}'; then
			# longjob runs every 500 ms: look in every frame.
			row=$(grep -E "^$1 +$2 " "$out/batch.txt" | awk '$3 > 0' | head -1)
			[ -n "$row" ] || { ok=0; fail "task $1 ($2) not shown with runs" "$(grep -E "^$1 " "$out/batch.txt" | head -2)"; }
		fi
	done
	[ $ok = 1 ] && pass "every task of the workload shown with its priority and runs/s > 0"
	grep -qE 'long task: longjob \(DEFAULT\) ran (1[2-9][0-9]|[2-9][0-9][0-9])(\.[0-9]+)? ms|long task: longjob \(DEFAULT\) ran [0-9.]+ s' "$out/batch.txt" &&
		pass "the planted 120 ms task raised a long-task alert" ||
		fail "no long-task alert for longjob" "$(grep -A8 '^ALERTS' "$out/batch.txt" | head -8)"
	grep -qE 'starved: LOWEST waited' "$out/batch.txt" &&
		pass "the starving LOWEST raised a starvation alert" || fail "no starvation alert for LOWEST"
	grep -qE 'starved task: lowly \(LOWEST\) waited' "$out/batch.txt" &&
		pass "the starving task raised an alert naming it (lowly)" || fail "no starved-task alert naming lowly"
	grep -qE '^LOWEST +1\+? ' "$out/batch.txt" && pass "LOWEST shown ready" || fail "LOWEST never shown ready"
fi
[ ${#progs[@]} -ge 4 ] && pass "4 programs loaded while attached (${progs[*]})" || fail "found ${#progs[@]} schedtop programs while attached"
check_detached "after -n 3" "${progs[@]}"

# ---- live, JSON ---------------------------------------------------------
# Many short frames: maxima and percentiles of each frame are its own.
rc=0; "$top" --json -n 12 -d 0.1 -p "$wl_pid" >"$out/live.json" 2>"$out/json.err" || rc=$?
if [ "$rc" -eq 0 ] && why=$(python3 - "$out/live.json" 2>&1 <<'EOF'
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
assert len(frames) == 12, len(frames)
rows = 0
names, loops = set(), set()
for f in frames:
    assert f["schedtop"] == 1 and f["mode"] == "live"
    # A loop shows once it has begun a run under the probes: the main
    # loop may be inside its 120 ms task when they attach.
    assert 1 <= len(f["loops"]) <= 2, len(f["loops"])
    loops |= {l["loop"] for l in f["loops"]}
    # A 0.1 s frame may hold nothing but the 120 ms longjob.
    names |= {t["name"] for l in f["loops"] for t in l["tasks"]}
    for l in f["loops"]:
        assert l["cpu_pct"] is None or l["cpu_pct"] >= 0
        # Runs ending while the maps are read can add a little.
        assert 0 <= l["busy_pct"] <= 110, l["busy_pct"]
        for p in l["prios"]:
            if p["runs"]:
                # Every run spins 20 us or more: a frame with runs has a
                # maximum, and its percentiles stay under it.
                assert 0 < p["run_max_ns"], p
                assert p["run_p50_ns"] <= p["run_p99_ns"] <= p["run_max_ns"], p
                assert p["wait_p50_ns"] <= p["wait_p99_ns"] <= p["wait_max_ns"], p
                rows += 1
        for t in l["tasks"]:
            if t["runs"]:
                assert 0 < t["run_max_ns"] and t["run_p99_ns"] <= t["run_max_ns"], t
                assert t["run_mean_ns"] <= t["run_max_ns"], t
assert rows >= 10, rows
assert {"tick", "worker", "poll", "keystroke"} <= names, names
assert len(loops) == 2, loops
EOF
); then pass "--json: 12 frames of 0.1 s, both loops, every frame's maxima set and above its percentiles"
else fail "--json output wrong (exit $rc)" "$(tail -2 <<<"${why:-}")" "$(head -c 300 "$out/live.json")" "$(head -2 "$out/json.err")"
fi

# ---- SIGINT --------------------------------------------------------------
"$top" -b -d 0.3 -p "$wl_pid" >"$out/int.txt" 2>"$out/int.err" &
tp=$!
# Its handler is in place once a frame is out.
wait_line "$out/int.txt" '^schedtop live - ' || true
mapfile -t progs < <(schedtop_progs)
kill -INT "$tp"
rc=0; wait "$tp" || rc=$?
[ "$rc" -eq 0 ] && pass "SIGINT: exit status 0" || fail "SIGINT: exit status $rc" "$(cat "$out/int.err")"
check_detached "after SIGINT" "${progs[@]}"

# ---- interactive, in tmux --------------------------------------------------
tm kill-server 2>/dev/null || true
tm new-session -d -s top -x 132 -y 45 "$top -p $wl_pid -d 0.4; echo schedtop-exit=\$? > $out/tmux.rc; sleep 30"
cap() { tm capture-pane -p -t top 2>/dev/null; }
waitfor() { # pattern, what
	for _ in $(seq 40); do cap | grep -qE "$1" && return 0; sleep 0.1; done
	return 1
}
if waitfor '^ALERTS .*sort time' && waitfor '^worker +DEFAULT_IDLE'; then
	screen=$(cap)
	if grep -q '^schedtop live' <<<"$screen" && grep -q '^PRIO ' <<<"$screen" &&
	   grep -q '^ALERTS' <<<"$screen" && grep -q 'q quit' <<<"$screen"; then
		pass "screen: header, priority table, task table and alerts laid out"
	else fail "screen layout" "$(head -5 <<<"$screen")"
	fi
else
	fail "screen never showed the task table" "$(cap | head -5)"
fi
mapfile -t progs < <(schedtop_progs)
tm send-keys -t top s
waitfor '^ALERTS .*sort runs' && pass "key s: next sort key (runs)" || fail "key s did not change the sort"
tm send-keys -t top h
if waitfor 'schedtop keys'; then
	pass "key h: help shown"
	tm send-keys -t top x
	for _ in $(seq 20); do cap | grep -q 'schedtop keys' || break; sleep 0.1; done
	cap | grep -q 'schedtop keys' && fail "help did not close on a key" || pass "help closes on any key"
else
	fail "key h showed no help"
fi
tm send-keys -t top l
waitfor 'loop 2/2 .*top-server' && pass "key l: the next loop (2/2)" || fail "key l did not change the loop" "$(cap | sed -n 2p)"
tm send-keys -t top p
waitfor '\[paused\]' && pass "key p: paused" || fail "key p did not pause"
tm send-keys -t top p
waitfor '^schedtop live .*  loops 2 ' && ! cap | grep -q '\[paused\]' && pass "key p again: resumed" || fail "key p did not resume"
# Filter, reverse order and the detail view work live too (back on the
# main loop: l again).
tm send-keys -t top l
waitfor '^loop 1/2 ' || true
tm send-keys -t top / w o r k Enter
rows() { cap | awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF {print $1}'; }
if waitfor 'filter "work": 1 of' && [ "$(rows)" = worker ]; then
	pass "live: / filter shows worker only"
else
	fail "live: the filter" "$(cap | tail -4)"
fi
tm send-keys -t top Enter
if waitfor '^task worker' && waitfor 'probes keep no' && waitfor '^this frame: [0-9]+ runs'; then
	pass "live: the detail of worker (its figures; no run history, said so)"
else
	fail "live: no detail of worker" "$(cap | head -8)"
fi
tm send-keys -t top Escape
waitfor '^PRIO ' || fail "live: Esc did not leave the detail"
tm send-keys -t top Escape
waitfor '^ALERTS .*sort runs  h help' || fail "live: Esc did not clear the filter" "$(cap | tail -3)"
tm send-keys -t top r
waitfor 'sort runs \(rev\)' && pass "live: r reverses the order" || fail "live: r" "$(cap | grep '^ALERTS')"
tm send-keys -t top q
for _ in $(seq 50); do [ -s "$out/tmux.rc" ] && break; sleep 0.1; done
if [ "$(cat "$out/tmux.rc" 2>/dev/null)" = "schedtop-exit=0" ]; then pass "key q: quit with status 0"
else fail "key q: $(cat "$out/tmux.rc" 2>/dev/null || echo 'still running')"
fi
tm kill-server 2>/dev/null || true
check_detached "after q" "${progs[@]}"

# A terminal too small for the layout says so, and q still quits.
rm -f "$out/tmux3.rc"
tm new-session -d -s small -x 40 -y 10 "$top -p $wl_pid -d 0.3; echo schedtop-exit=\$? > $out/tmux3.rc; sleep 30"
for _ in $(seq 50); do tm capture-pane -p -t small 2>/dev/null | grep -q 'terminal too small' && break; sleep 0.1; done
tm capture-pane -p -t small 2>/dev/null | tr -d '\n' | grep -q 'terminal too small (40x10): schedtop needs 80x24; q quits' &&
	pass "a 40x10 terminal: 'terminal too small' instead of a broken layout" ||
	fail "small terminal" "$(tm capture-pane -p -t small 2>/dev/null | head -3)"
tm send-keys -t small q
for _ in $(seq 50); do [ -s "$out/tmux3.rc" ] && break; sleep 0.1; done
[ "$(cat "$out/tmux3.rc" 2>/dev/null)" = "schedtop-exit=0" ] && pass "small terminal: q quits" || fail "small terminal: q did not quit"
tm kill-server 2>/dev/null || true

# ---- the target's exit -----------------------------------------------------
kill -TERM "$wl_pid" 2>/dev/null || true
wait "$wl_pid" 2>/dev/null || true
start_workload 3
"$top" -b -d 5 -p "$wl_pid" >"$out/exit.txt" 2>"$out/exit.err" &
tp=$!
for _ in $(seq 50); do [ -n "$(schedtop_progs)" ] && break; sleep 0.1; done
mapfile -t progs < <(schedtop_progs)
rc=0
for _ in $(seq 100); do kill -0 "$tp" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$tp" 2>/dev/null; then
	kill "$tp"
	fail "target exit: schedtop still runs 10 s after a 3 s target"
else
	wait "$tp" || rc=$?
	if [ "$rc" -eq 0 ] && grep -q "process $wl_pid exited" "$out/exit.err"; then
		pass "the target's exit ends schedtop (status 0, '$(cat "$out/exit.err")')"
	else fail "target exit: status $rc" "$(cat "$out/exit.err")"
	fi
	# -d 5 outlives the 3 s target: the last, partial frame is shown.
	grep -qE '^worker +DEFAULT_IDLE ' "$out/exit.txt" &&
		pass "the target's exit: a last, partial frame up to it" ||
		fail "the target's exit: no last frame" "$(head -3 "$out/exit.txt")"
fi
check_detached "after the target's exit" "${progs[@]}"

# A library replaced under the running program (maps shows it deleted, as
# after a rebuild): its probes are still found, through map_files.
mkdir -p "$out/lib"
cp build/lib/libsched.so.0.* "$out/lib/libsched.so.0"
LD_LIBRARY_PATH="$out/lib" "$wl" --seconds 20 >"$out/del.txt" &
dpid=$!
pids+=("$dpid")
wait_line "$out/del.txt" '^ready ' || true
if grep -q "$out/lib/libsched.so.0" "/proc/$dpid/maps"; then
	rm -f "$out/lib/libsched.so.0"
	rc=0; "$top" -b -n 1 -d 0.3 -p "$dpid" >"$out/del.out" 2>"$out/del.err" || rc=$?
	[ "$rc" -eq 0 ] && grep -qE '^worker +DEFAULT_IDLE ' "$out/del.out" &&
		pass "a deleted (replaced) libsched.so is still watched" ||
		fail "deleted library: exit $rc" "$(cat "$out/del.err")"
else
	fail "deleted library: the workload did not load the copy" "$(grep libsched "/proc/$dpid/maps" | head -1)"
fi
kill "$dpid" 2>/dev/null || true

# ---- trace mode on a recording of the same workload -------------------------
rc=0; "$prof" record -o "$out/trace" -- "$wl" --seconds 2 >"$out/record.txt" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	fail "schedprof record exit status $rc" "$(tail -3 "$out/record.txt")"
else
	# The trace may hold other libsched processes of this user (a trace
	# records every process with the provider loaded): show the
	# workload's only.
	rpid=$(sed -n 's/^ready pid=\([0-9]*\)$/\1/p' "$out/record.txt")
	[ -n "$rpid" ] || fail "the recorded workload printed no pid" "$(head -3 "$out/record.txt")"
	rc=0; "$top" "$out/trace" -p "${rpid:-0}" -b -d 0.5 >"$out/trace.txt" 2>"$out/trace.err" || rc=$?
	frames=$(grep -c '^schedtop trace - ' "$out/trace.txt" || true)
	if [ "$rc" -eq 0 ] && [ "$frames" -ge 4 ]; then
		pass "trace mode: $frames frames of 0.5 s over a 2 s recording"
	else fail "trace mode: exit $rc, $frames frames" "$(head -2 "$out/trace.err")"
	fi
	"$top" "$out/trace" -p "${rpid:-0}" --json -d 0.5 >"$out/trace.json" 2>/dev/null || true
	if python3 - "$out/live.json" "$out/trace.json" "$out/batch.txt" <<'EOF'
import json, re, sys
def tasks(path):
    s = set()
    for line in open(path):
        for l in json.loads(line)["loops"]:
            for t in l["tasks"]:
                s.add((t["name"], t["prio"]))
    return s
live, trace = tasks(sys.argv[1]), tasks(sys.argv[2])
# The batch frames add the tasks the short JSON run may have missed
# (longjob runs every 500 ms).
for line in open(sys.argv[3]):
    m = re.match(r"^(\S+) +([A-Z_]+) +[0-9.]+ ", line)
    if m and m.group(2) in ("HIGHEST", "DEFAULT", "HIGH_IDLE", "RESIZE", "REPAINT",
                            "POST_PAINT", "DEFAULT_IDLE", "LOWEST") and m.group(1) not in ("PRIO", "TASK"):
        live.add((m.group(1), m.group(2)))
if live != trace:
    print("live only:", sorted(live - trace), "trace only:", sorted(trace - live))
    sys.exit(1)

EOF
	then pass "trace mode shows the same tasks with the same priorities as live"
	else fail "trace mode and live show different tasks"
	fi
	# The same figures as schedprof's report of the same trace: runs per
	# task and per priority, and (exact) maxima.
	"$prof" report "$out/trace" --pid "${rpid:-0}" --json >"$out/report.json" 2>/dev/null || true
	if why=$(python3 - "$out/trace.json" "$out/report.json" <<'EOF' 2>&1
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
rep = json.load(open(sys.argv[2]))
runs, pruns, pmax, rmax = {}, {}, {}, {}
for f in frames:
    for l in f["loops"]:
        for t in l["tasks"]:
            k = (l["loop"], t["name"])
            runs[k] = runs.get(k, 0) + t["runs"]
            rmax[k] = max(rmax.get(k, 0), t["run_max_ns"])
        for p in l["prios"]:
            k = (l["loop"], p["prio"])
            pruns[k] = pruns.get(k, 0) + p["runs"]
            pmax[k] = max(pmax.get(k, 0), p["wait_max_ns"])
n = 0
for l in rep["loops"]:
    for t in l["tasks"]:
        k = (l["loop"], t["name"])
        assert runs.get(k, 0) == t["runs"], (k, runs.get(k), t["runs"])
        assert rmax.get(k, 0) == t["run_ns"]["max"], (k, rmax.get(k), t["run_ns"]["max"])
        n += 1
    for p in l["priorities"]:
        k = (l["loop"], p["priority"])
        assert pruns.get(k, 0) == p["fired"], (k, pruns.get(k), p["fired"])
        if p["fired"]:
            assert pmax[k] == p["wait_ns"]["max"], (k, pmax[k], p["wait_ns"]["max"])
assert n >= 7, n
EOF
	); then pass "trace mode: runs per task and priority, longest run and wait equal schedprof report's"
	else fail "trace mode differs from schedprof report" "$(tail -2 <<<"$why")"
	fi
	grep -q 'long task: longjob (DEFAULT)' "$out/trace.txt" && pass "trace mode: long-task alert for longjob" || fail "trace mode: no long-task alert"
	grep -qE 'starved: LOWEST waited .*ran meanwhile: worker' "$out/trace.txt" &&
		pass "trace mode: LOWEST starvation blamed on worker" || fail "trace mode: no blamed starvation" "$(grep starved "$out/trace.txt" | head -2)"
	grep -qE 'starved task: lowly \(LOWEST\) waited .*meanwhile higher priorities .*most: worker DEFAULT_IDLE' "$out/trace.txt" &&
		pass "trace mode: lowly's wait named and blamed on worker (higher priority)" ||
		fail "trace mode: no blamed starved-task alert for lowly" "$(grep 'starved task' "$out/trace.txt" | head -2)"
	grep -qE '^LOWEST +[1-9][0-9]* ' "$out/trace.txt" && pass "trace mode: exact ready depth shown" || fail "trace mode: no ready depth"
	# Interactive over the trace: a frame per 100 ms; q quits.
	tm new-session -d -s tr -x 132 -y 45 "SCHEDTOP_PACE_MS=100 $top $out/trace -p ${rpid:-0} -d 0.25; echo schedtop-exit=\$? > $out/tmux2.rc; sleep 30"
	for _ in $(seq 40); do tm capture-pane -p -t tr 2>/dev/null | grep -q '^schedtop trace - t=' && break; sleep 0.1; done
	tm capture-pane -p -t tr 2>/dev/null | grep -q '^schedtop trace - t=' && pass "trace mode: interactive screen" || fail "trace mode: no screen" "$(tm capture-pane -p -t tr 2>/dev/null | head -3)"
	tm send-keys -t tr q
	for _ in $(seq 50); do [ -s "$out/tmux2.rc" ] && break; sleep 0.1; done
	[ "$(cat "$out/tmux2.rc" 2>/dev/null)" = "schedtop-exit=0" ] && pass "trace mode: q quits (status 0)" || fail "trace mode: q did not quit"
	tm kill-server 2>/dev/null || true
fi

# ---- errors: one line each, the documented status --------------------------
expect() { # status, pattern, description, command...
	local want=$1 pat=$2 what=$3 rc=0 err lines
	shift 3
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	lines=$(printf '%s\n' "$err" | grep -c . || true)
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -qE -e "$pat" <<<"$err"; then
		pass "$what: exit $rc, '$err'"
	else
		fail "$what: exit $rc (want $want), $lines lines" "$err"
	fi
}
sleep 30 &
plain=$!
pids+=("$plain")
dead=$(sh -c 'echo $$')
expect 2 "no process with PID $dead" "no such PID" "$top" -b -n 1 -p "$dead"
expect 2 "process $plain \(sleep\) has no libsched probes" "a process without libsched" "$top" -b -n 1 -p "$plain"
expect 2 "no uprobes" "a kernel without uprobes" env SCHEDTOP_SYSFS=/nonexistent "$top" -b -n 1 -p "$plain"
start_workload 5
if command -v setpriv >/dev/null; then
	expect 1 "not permitted to load BPF programs: this needs CAP_BPF and CAP_PERFMON" \
		"not permitted (an unprivileged user)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$top" -b -n 1 -p "$wl_pid"
else
	fail "setpriv missing: the not-permitted case is not tested"
fi
expect 2 "-d: '0' is not a number of seconds" "-d 0" "$top" -d 0 -p "$wl_pid"
expect 2 "-n: 'x' is not a count" "-n x" "$top" -n x -p "$wl_pid"
expect 2 "-s: unknown sort key 'foo'" "-s foo" "$top" -s foo -p "$wl_pid"
expect 2 "-p needs a value" "-p without a value" "$top" -p
expect 2 "unknown option '--frob'" "unknown option" "$top" --frob
expect 2 "give -p PID" "nothing to watch" "$top"
expect 2 "-p: 'abc' is not a process id" "-p abc" "$top" -p abc
expect 2 "does-not-exist" "a missing trace path" "$top" "$out/does-not-exist" -b
mkdir -p "$out/empty"
expect 2 "empty" "a directory without a trace" "$top" "$out/empty" -b
# Corrupt traces of every kind: docs/errors.md's rows (make check runs
# them through scripts/test-errors-doc.py).
expect 2 "--starve needs a value" "--starve without a value" "$top" -p "$wl_pid" --starve
# A zombie: a child its parent never reaps.
python3 -c 'import os, sys, time
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
time.sleep(20)' >"$out/zombie.txt" &
pids+=("$!")
wait_line "$out/zombie.txt" '^[0-9]+$' || true
zpid=$(head -1 "$out/zombie.txt")
for _ in $(seq 30); do grep -q '^State:.*Z' "/proc/$zpid/status" 2>/dev/null && break; sleep 0.1; done
expect 2 "process $zpid has exited \(a zombie" "a zombie" "$top" -b -n 1 -p "$zpid"
if [ -d "$out/trace" ]; then
	expect 2 "no libsched event of process 1 " "a trace without that PID" "$top" "$out/trace" -b -p 1
fi
kill "$plain" 2>/dev/null || true

exit $failed
