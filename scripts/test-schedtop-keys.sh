#!/usr/bin/env bash
# schedtop's screen driven by its keys, over a recording of
# tests/top_workload (known tasks; a planted long task and a starving
# LOWEST task, lowly, that waits behind worker), in tmux at 80x24 (the
# documented minimum) and 160x48. The pace is --pace 1000000 (a frame per
# 1000 s), so that no frame moves on by itself: only the keys move it, and
# each check waits for what the screen must show (never a fixed sleep).
# Also: the tail of a trace merged into the last frame, --pid, --pace and
# --help. Needs root (LTTng); never skips. Builds nothing: make
# build/bin/schedtop build/bin/schedprof build/tests/top_workload first.
set -euo pipefail
cd "$(dirname "$0")/.."
top=${SCHEDTOP:-build/bin/schedtop}
prof=${SCHEDPROF:-build/bin/schedprof}
wl=${TOP_WORKLOAD:-build/tests/top_workload}
out=build/tests/schedtop-keys
failed=0

pass() { echo "  PASS     schedtop keys: $1"; }
fail() {
	echo "  FAIL     schedtop keys: $1"
	shift
	for line in "$@"; do
		[ -n "$line" ] && echo "           $line"
	done
	failed=1
}
# A private tmux server: never the user's own sessions.
tm() { tmux -L "schedtop-keys-$$" "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT

for f in "$top" "$prof" "$wl"; do
	[ -x "$f" ] || { fail "$f is not built"; exit 1; }
done
command -v tmux >/dev/null || { fail "tmux is missing (scripts/deps.sh)"; exit 1; }
rm -rf "$out" && mkdir -p "$out"

rc=0; "$prof" record -o "$out/trace" -- "$wl" --seconds 2 >"$out/record.txt" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { fail "schedprof record exit status $rc" "$(tail -3 "$out/record.txt")"; exit 1; }
rpid=$(sed -n 's/^ready pid=\([0-9]*\)$/\1/p' "$out/record.txt")
[ -n "$rpid" ] || { fail "the recorded workload printed no pid"; exit 1; }

# ---- the tail, in batch mode ------------------------------------------------
# Frames of 0.5 s over a 2 s recording: no frame at the end of a few ms
# with rates from a handful of events; the tail goes into the last frame.
"$top" "$out/trace" --pid "$rpid" -d 0.5 --json >"$out/frames.json"
if why=$(python3 - "$out/frames.json" <<'EOF' 2>&1
import json, sys
fr = [json.loads(l) for l in open(sys.argv[1])]
assert len(fr) >= 3, len(fr)
spans = [(f["t1_ns"] - f["t0_ns"]) / 1e9 for f in fr]
for i, s in enumerate(spans):
    assert s >= 0.25, ("frame %d spans %.3f s" % (i + 1, s), spans)
assert spans[-1] < 0.75 + 1e-9, spans
print(len(fr), ["%.3f" % s for s in spans])
EOF
); then pass "tail merged: frames of 0.5 s span $why"
else fail "a tail frame shorter than half an interval" "$why"
fi

# -b's "in all" is the running sum of "in this frame" (it counted the
# next frame's alerts too: 10/16, then 6/30).
if why=$("$top" "$out/trace" --pid "$rpid" -d 0.5 -b | python3 -c '
import re, sys
run, seen = 0, []
for l in sys.stdin:
    m = re.match(r"ALERTS \((\d+) in this frame, (\d+) in all", l)
    if m:
        run += int(m.group(1))
        seen.append((int(m.group(1)), int(m.group(2))))
        assert int(m.group(2)) == run, seen
assert len(seen) >= 3 and run > 0, seen
print(seen)
' 2>&1); then pass "-b: in all is the running sum $why"
else fail "-b: in all is not the running sum of in this frame" "$why"
fi

# --pid is -p; --pace and SCHEDTOP_PACE_MS are checked.
a=$("$top" "$out/trace" -p "$rpid" -b -n 1 | sed -n 1p)
b=$("$top" "$out/trace" --pid "$rpid" -b -n 1 | sed -n 1p)
[ -n "$a" ] && [ "$a" = "$b" ] && pass "--pid is -p ($b)" || fail "--pid differs from -p" "$a" "$b"
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
expect 2 "--pace: '0' is not a number of milliseconds" "--pace 0" "$top" "$out/trace" --pace 0
expect 2 "--pace needs a value" "--pace without a value" "$top" "$out/trace" --pace
expect 2 "--pid: 'x' is not a process id" "--pid x" "$top" --pid x
expect 2 "--pace paces a trace's frames: give a trace directory" "--pace live" "$top" -p "$$" --pace 100
expect 2 "SCHEDTOP_PACE_MS: 'fast' is not a number" "SCHEDTOP_PACE_MS=fast" env SCHEDTOP_PACE_MS=fast "$top" "$out/trace" -b
# --help lists every key the screen takes.
help=$("$top" --help)
missing=
for k in "q quit" "s next sort key" "r reverse" "l next loop" "/ or F4" "Enter or d" "Up/Down" \
	"p or space" "h or ?" "n or Right" "b or Left" "+ faster" "- slower" "g or Home" "G or End" \
	"a next frame with an alert" "--pace MS" "--pid PID" "--help" "--version"; do
	grep -qF -- "$k" <<<"$help" || missing="$missing '$k'"
done
[ -z "$missing" ] && pass "--help lists every key, --pid and --pace" || fail "--help misses$missing"

# The frames the screen must step through, from the same trace: their
# count, and those that raised an alert.
read -r nframes alert_frames <<<"$(python3 -c '
import json, sys
fr = [json.loads(l) for l in open(sys.argv[1])]
print(len(fr), ",".join(str(f["frame"]) for f in fr if f["alerts"]))' "$out/frames.json")"

# ---- the screen -------------------------------------------------------------
screen() { tm capture-pane -p -t "$1"; }
# Waits (up to 10 s) until the screen of session $1 matches the ERE $2.
wait_for() {
	local i
	for i in $(seq 100); do
		screen "$1" 2>/dev/null | grep -qE -e "$2" && return 0
		sleep 0.1
	done
	return 1
}
# Sends keys to session $1, then waits for $2 on the screen.
keys_until() {
	local s=$1 pat=$2
	shift 2
	tm send-keys -t "$s" "$@"
	wait_for "$s" "$pat"
}
start() { # session, columns, rows
	tm new-session -d -s "$1" -x "$2" -y "$3" \
		"$top $out/trace --pid $rpid -d 0.5 --pace 1000000; echo schedtop-exit=\$? > $out/$1.rc; sleep 60"
	wait_for "$1" 'frame 1 ' || fail "$1: no first frame" "$(screen "$1" | head -3)"
}

start small 80 24
s=$(screen small)
echo "$s" >"$out/small-1.txt"
head1=$(sed -n 1p <<<"$s")
if grep -qE 'lost [0-9]+$' <<<"$head1" && [ "${#head1}" -le 80 ]; then
	pass "80x24: the header is whole ($head1)"
else
	fail "80x24: the header is cut" "$head1"
fi
thead=$(grep -E '^TASK ' <<<"$s" || true)
if grep -q RUN_MAX <<<"$thead" && grep -q WAIT_P99 <<<"$thead" && grep -q OVERRUNS <<<"$thead" &&
	grep -q RUNS/S <<<"$thead" && grep -q RUN_P99 <<<"$thead" && grep -q PRIO <<<"$thead"; then
	pass "80x24: the task table keeps PRIO, RUNS/S, RUN_P99, RUN_MAX, WAIT_P99, OVERRUNS"
else
	fail "80x24: key columns missing" "$thead"
fi
# Every task of the main loop is listed (batch frame 1 has them).
ntasks=$("$top" "$out/trace" --pid "$rpid" -d 0.5 -n 1 --json | python3 -c '
import json, sys
f = json.loads(sys.stdin.readline())
print(len(f["loops"][0]["tasks"]))')
rows=$(awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF' <<<"$s" | wc -l)
want=$(( ntasks < 8 ? ntasks : 8 ))
[ "$rows" -eq "$want" ] && pass "80x24: $rows task rows (the loop has $ntasks)" || fail "80x24: $rows task rows, want $want" "$s"
long=$(awk '/^ALERTS /{on=1; next} on' <<<"$s" | awk 'length($0) >= 80 || /…$/')
if [ -n "$long" ] && ! grep -qvE '(…|\.\.\.)$' <<<"$long"; then
	pass "80x24: cut alert lines end in an ellipsis"
else
	fail "80x24: an alert line cut without an ellipsis (or none long)" "$long"
fi

# Help: a page of its own, no table under it; any key closes it.
if keys_until small '^schedtop keys' h && ! screen small | grep -qE '^(PRIO|TASK|HIGHEST) '; then
	pass "h: a clean help page"
else
	fail "h: help drawn over the tables" "$(screen small | head -5)"
fi
keys_until small '^PRIO ' x && pass "a key closes the help" || fail "the help stays"

# Pause and resume.
keys_until small '\[paused\]' p && pass "p: paused" || fail "p: no pause marker"
keys_until small 'lost [0-9]+$' p && pass "p again: playing" || fail "p: still paused" "$(screen small | head -1)"

# + and - at 80x24, where the header drops the pace: the status line
# says it until the next key.
if keys_until small '^ALERTS .*pace 500000 ms' + && keys_until small '^ALERTS .*pace 1000000 ms' - &&
	keys_until small '^ALERTS \([0-9]+\)  sort time  frame [0-9/]+  h help' x; then
	pass "80x24: + and - say the pace on the status line until the next key"
else
	fail "80x24: no pace feedback" "$(screen small | tail -4)"
fi

# Stepping.
keys_until small 'frame 2 ' n && pass "n: the next frame" || fail "n: no frame 2" "$(screen small | tail -1)"
keys_until small '\[paused\]' && pass "a step pauses" || fail "no pause marker"
keys_until small 'frame 1 ' b && pass "b: the previous frame" || fail "b: not back to frame 1"
keys_until small 'frame 2 ' Right && keys_until small 'frame 1 ' Left &&
	pass "Right and Left step too" || fail "Right/Left do not step"
if keys_until small '\[end of trace\]' G && wait_for small "frame $nframes/$nframes "; then
	pass "G: the last frame ($nframes), with the end-of-trace marker"
else
	fail "G: no end-of-trace marker" "$(screen small | sed -n '1p;$p')"
fi
keys_until small "frame 1/$nframes " g && ! screen small | grep -q '\[end of trace\]' &&
	pass "g: back to the first frame" || fail "g: not the first frame" "$(screen small | head -1)"
keys_until small "frame $nframes/$nframes " End && keys_until small "frame 1/$nframes " Home &&
	pass "End and Home jump too" || fail "End/Home do not jump"
first_alert=${alert_frames%%,*}
next_alert=
for f in ${alert_frames//,/ }; do [ "$f" -gt 1 ] && { next_alert=$f; break; }; done
if [ -n "$next_alert" ]; then
	keys_until small "frame $next_alert/" a && pass "a: the next frame with an alert (frame $next_alert)" ||
		fail "a: not frame $next_alert" "$(screen small | tail -3)"
else
	fail "no frame after the first raised an alert (frames with alerts: $alert_frames)"
fi
[ -n "$first_alert" ] || fail "no alerts in the trace"

# The highlighted row: the task row drawn in standout (ESC [7m).
selected() {
	# (tmux writes an attribute where it changes: a row may go on in the
	# reverse video of the row before, so the state is followed.)
	tm capture-pane -e -p -t "${1:-big}" | python3 -c '
import re, sys
sgr = re.compile(r"\x1b\[([0-9;]*)m")
rev = on = False
def apply(codes):
    global rev
    for c in (codes or "0").split(";"):
        if c in ("", "0", "27"):
            rev = False
        elif c == "7":
            rev = True
for line in sys.stdin:
    pos = 0
    while (m := sgr.match(line, pos)):
        apply(m.group(1))
        pos = m.end()
    first = rev
    for m in sgr.finditer(line, pos):
        apply(m.group(1))
    text = sgr.sub("", line).rstrip()
    if text.startswith("TASK "):
        on = True
    elif text.startswith("ALERTS "):
        break
    elif on and first and text:
        print(re.split(r"  +", text)[0])
        break
'
}
# Filter: lowly only, the selection (on the fourth row before) on it;
# Esc brings the others back.
tm send-keys -t small g
wait_for small "frame 1/" || true
tm send-keys -t small Down Down Down
if keys_until small 'filter "low": 1 of' / l o w Enter; then
	t=$(awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF {print $1}' <<<"$(screen small)")
	[ "$t" = "lowly" ] && pass "/ filter: only lowly" || fail "/ filter shows: $t"
	[ "$(selected small)" = "lowly" ] && pass "/ filter: the selection clamped to the rows left (lowly highlighted)" ||
		fail "/ filter: lowly not highlighted" "selected: '$(selected small)'"
else
	fail "/ filter: no filter status" "$(screen small | tail -4)"
fi
# (The rows are counted until they are all back, as every check here waits
# for its screen: tmux may show the screen between two of schedtop's writes.)
task_rows() { awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF' <<<"$(screen small)" | wc -l; }
rows_back() {
	local i
	for i in $(seq 100); do
		[ "$(task_rows)" -eq "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
keys_until small "^ALERTS \([0-9]+\)  sort time  frame" Escape && rows_back &&
	pass "Esc clears the filter" || fail "Esc did not clear the filter" "$(screen small)"

# Reverse sort: the same rows in the reverse order.
before=$(awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF {print $1}' <<<"$(screen small)")
keys_until small 'sort time \(rev\)' r
after=$(awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF {print $1}' <<<"$(screen small)")
if [ -n "$before" ] && [ "$(tac <<<"$before")" = "$after" ]; then
	pass "r: the reverse order ($(echo $after))"
else
	fail "r: not the reverse order" "before: $(echo $before)" "after: $(echo $after)"
fi
tm send-keys -t small r
wait_for small 'sort time  frame' || true

# A resize redraws the screen at the new size by itself, though the trace
# has ended (it waited for a key): 120 columns show RUN_MEAN, 80 do not.
keys_until small "frame $nframes/" G
tm resize-window -t small -x 120 -y 30
if wait_for small '^TASK .*RUN_MEAN'; then
	pass "a resize redraws the ended trace's screen without a key"
else
	fail "no redraw on resize" "$(screen small | sed -n '1,12p')"
fi
tm resize-window -t small -x 80 -y 24
wait_for small '^TASK +PRIO +RUNS/S' || fail "no redraw on the resize back to 80x24" "$(screen small | sed -n '1,12p')"

# Detail of lowly at the end: its runs, and its waits blamed on worker.
keys_until small "frame $nframes/" G
keys_until small 'filter "low"' / l o w Enter
if keys_until small '^task lowly' Enter; then
	d=$(screen small)
	echo "$d" >"$out/detail-small.txt"
	grep -q 'WAITED BEHIND' <<<"$d" && grep -qE '^t=[0-9.]+ +[0-9.]+ [mun]?s +[0-9.]+ [mun]?s +[a-z]' <<<"$d" &&
		pass "detail: lowly's runs with what ran while each waited" || fail "detail: no runs" "$d"
	# The blame and the advice are wrapped (continuation lines indented),
	# not cut; scrolling stops at the last screenful, not on a blank one.
	cut=$(awk 'NR > 4' <<<"$d" | grep -E '(…|\.\.\.)$' || true)
	[ -z "$cut" ] && grep -qE '^    [a-z(]' <<<"$d" && pass "detail: long lines wrapped, none cut" ||
		fail "detail: lines cut at the screen's width" "$cut"
	tm send-keys -t small -N 300 Down
	if wait_for small 'lsched_[a-z_]+\(\)' && wait_for small 'its alerts:|starved' &&
		[ -n "$(screen small | sed -n 24p)" ]; then
		pass "detail: Down stops at the last screenful, the advice shown ($(screen small | grep -oE 'lsched_[a-z_]+' | head -1))"
	else
		fail "detail: scrolled past the end or no advice" "$(screen small)"
	fi
	tm resize-window -t small -x 160 -y 48 2>/dev/null || true
fi
tm send-keys -t small q
for _ in $(seq 50); do [ -s "$out/small.rc" ] && break; sleep 0.1; done
[ "$(cat "$out/small.rc" 2>/dev/null)" = "schedtop-exit=0" ] && pass "q quits (status 0)" || fail "q did not quit"

# Playing by itself, paced by SCHEDTOP_PACE_MS (still honoured): the
# frames follow one another up to the end-of-trace marker.
tm new-session -d -s play -x 100 -y 30 \
	"SCHEDTOP_PACE_MS=20 $top $out/trace --pid $rpid -d 0.5; echo schedtop-exit=\$? > $out/play.rc; sleep 60"
if wait_for play "\[end of trace\]" && wait_for play "frame $nframes/$nframes "; then
	pass "playing at SCHEDTOP_PACE_MS=20 reaches the end of the trace by itself"
else
	fail "playing did not reach the end" "$(screen play | sed -n '1p;$p')"
fi
keys_until play "frame $((nframes - 1))/$nframes " b && pass "b from the end: frame $((nframes - 1))" ||
	fail "b from the end" "$(screen play | tail -1)"
tm send-keys -t play q
for _ in $(seq 50); do [ -s "$out/play.rc" ] && break; sleep 0.1; done
[ "$(cat "$out/play.rc" 2>/dev/null)" = "schedtop-exit=0" ] || fail "play: q did not quit"

# ---- 160x48 -----------------------------------------------------------------
start big 160 48
keys_until big "frame $nframes/$nframes " G
s=$(screen big)
echo "$s" >"$out/big-end.txt"
nal=$(sed -n 's/^ALERTS (\([0-9]*\)).*/\1/p' <<<"$s")
shown=$(awk '/^ALERTS /{on=1; next} on && NF' <<<"$s" | wc -l)
room=$(( 48 - $(grep -n '^ALERTS ' <<<"$s" | cut -d: -f1) ))
want=$(( nal < room ? nal : room ))
if [ "$shown" -eq "$want" ] && [ "$shown" -gt 6 ]; then
	pass "160x48: $shown of $nal alerts fill the $room rows left"
else
	fail "160x48: $shown alerts shown of $nal, $room rows left" "$(tail -5 <<<"$s")"
fi
thead=$(grep -E '^TASK ' <<<"$s")
grep -q RUN_MEAN <<<"$thead" && grep -q 'BUSY%' <<<"$thead" && pass "160x48: every column" || fail "160x48: columns dropped" "$thead"
grep -q 'pace 1000000 ms' <<<"$s" && keys_until big 'pace 500000 ms' + && keys_until big 'pace 2000000 ms' -- - - &&
	pass "+ and -: half and twice the time per frame" || fail "+/- do not change the pace" "$(screen big | head -1)"
# The selection stays on its task (as htop's), not on its row: select the
# third row, re-sort and step frames; the same task stays highlighted and
# Enter opens it (the row index moved the highlight to another task).
keys_until big "frame 1/$nframes " Home
tm send-keys -t big Down Down
for _ in $(seq 100); do
	sel=$(selected)
	[ -n "$sel" ] && [ "$sel" = "$(awk '/^TASK /{on=1; next} on && ++n == 3' <<<"$(screen big)" | sed 's/  .*//')" ] && break
	sleep 0.1
done
order1=$(awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF' <<<"$(screen big)" | sed 's/  .*//' | tr '\n' ,)
keys_until big 'sort runs' s && keys_until big "frame 3/$nframes " n n
order2=$(awk '/^TASK /{on=1; next} /^ALERTS /{on=0} on && NF' <<<"$(screen big)" | sed 's/  .*//' | tr '\n' ,)
sel2=$(selected)
if [ -n "$sel" ] && [ "$sel2" = "$sel" ] && [ "$order1" != "$order2" ] &&
	keys_until big "^task $sel " Enter; then
	pass "the selection follows its task ($sel) across a re-sort and frames; Enter opens it"
else
	fail "the selection left its task: '$sel' then '$sel2'" "$order1" "$order2" "$(screen big | sed -n 4,6p)"
fi
keys_until big '^PRIO ' Escape || true
tm send-keys -t big s s s s s s s
wait_for big 'sort time  frame' || fail "the sort did not come back to time"
# Detail of lowly: its long waits, with the analysis's blame (worker).
keys_until big 'filter "lowly"' / l o w l y Enter
if keys_until big '^task lowly' d && wait_for big 'its waits of --starve or longer' &&
	screen big | grep -qE 'waited .*higher priorities .*worker'; then
	pass "detail: lowly's long waits blamed on worker"
else
	fail "detail: no blamed waits" "$(screen big | head -30)"
fi
keys_until big '^PRIO ' Escape && pass "Esc leaves the detail" || fail "Esc stays in the detail"
tm send-keys -t big q
for _ in $(seq 50); do [ -s "$out/big.rc" ] && break; sleep 0.1; done
[ "$(cat "$out/big.rc" 2>/dev/null)" = "schedtop-exit=0" ] && pass "160x48: q quits (status 0)" || fail "160x48: q did not quit"

exit $failed
