#!/usr/bin/env bash
# schedreplay on bad usage and bad input: every case below must exit with
# status 2 (bad usage or input), print exactly the expected one line on
# stderr and nothing on stdout, and neither crash nor hang; --help prints
# on stdout and exits 0. No LTTng needed: the inputs are made here, under
# build/schedreplay-badinput-test/ (cleaned first): a workload file good
# enough to reach the what-if checks, malformed workload files (each
# message names the line and the field), an empty directory, a directory
# of files that are not a trace, a text file that is not a workload.
# VALGRIND=1 also runs the workload-file cases under valgrind (no invalid
# access, no leak).
#
#   scripts/test-schedreplay-badinput.sh   (make build/bin/schedreplay)
#
# Exit status 0 if all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/schedreplay-badinput-test
rp=build/bin/schedreplay
fail=0
pass() { echo "  PASS     schedreplay-badinput: $*"; }
bad() { echo "  FAIL     schedreplay-badinput: $*"; fail=1; }

if [ ! -x "$rp" ]; then
	bad "$rp is missing: make $rp"
	exit 1
fi
rm -rf "$out"
mkdir -p "$out/empty" "$out/notctf"
echo "not a trace" >"$out/notctf/data"
echo "hello" >"$out/hello.txt"
good="$out/good.workload"
cat >"$good" <<'EOF'
libsched-workload 1
span 100000000
task 1 "spell" DEFAULT_IDLE auto-idle 0 0 0
task 2 "indexer" LOWEST auto-idle 0 0 0
run 1 0 0 30000000 inactive
at 10000000 check continue 40000000
run 2 30000000 0 1000000 inactive
start 0 1 0 1
start 0 2 0 1
EOF
# malformed NAME LINE...: a copy of the good file with LINE appended.
malformed() {
	local name=$1
	shift
	{ cat "$good"; printf '%s\n' "$@"; } >"$out/$name.workload"
}
malformed badprio 'task 3 x SOMETIMES idle 0 0 0'
malformed badkind 'task 3 x LOWEST lazy 0 0 0'
malformed badrecord 'jump 5'
malformed pastend 'run 2 40000000 0 1000 inactive' 'at 2000 now'
malformed noref 'start 5 9 0 0'
malformed badnumber 'stall 12x 5'
malformed quote 'task 3 "open LOWEST idle 0 0 0'
printf 'libsched-workload 1\nspan 1\0\n' >"$out/nul.workload"
printf 'libsched-workload 7\n' >"$out/version.workload"

# case WANT_STATUS EXPECTED_STDERR ARGS...: one case.
case_() {
	local want=$1 msg=$2 rc err lines
	shift 2
	timeout 60 "$rp" "$@" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	err=$(cat "$out/stderr")
	lines=$(wc -l <"$out/stderr")
	if [ "$rc" != "$want" ]; then
		bad "schedreplay $*: exit $rc, want $want ($err)"
	elif [ "$err" != "$msg" ] || [ "$lines" != 1 ]; then
		bad "schedreplay $*: stderr '$err', want '$msg'"
	elif [ -s "$out/stdout" ]; then
		bad "schedreplay $*: printed on stdout: $(head -1 "$out/stdout")"
	else
		pass "$* -> $rc: $msg"
	fi
}

case_ 2 "schedreplay: no trace directory or workload file given (see schedreplay --help)"
case_ 2 "schedreplay: $out/missing: No such file or directory" "$out/missing"
case_ 2 "schedreplay: $out/empty: not a CTF trace (no metadata file in it or below)" "$out/empty"
case_ 2 "schedreplay: $out/notctf: not a CTF trace (no metadata file in it or below)" "$out/notctf"
case_ 2 "schedreplay: $out/hello.txt: line 1: not a libsched workload: the first record must be 'libsched-workload 1'" "$out/hello.txt"
case_ 2 "schedreplay: $out/version.workload: line 1: workload version 7; this schedreplay reads version 1" "$out/version.workload"
case_ 2 "schedreplay: $out/nul.workload: line 2: a NUL byte: not a text file" "$out/nul.workload"
case_ 2 "schedreplay: $out/badprio.workload: line 10: task: field 'priority': 'SOMETIMES' is not a priority (HIGHEST, DEFAULT, HIGH_IDLE, RESIZE, REPAINT, POST_PAINT, DEFAULT_IDLE, LOWEST or 0-7)" "$out/badprio.workload"
case_ 2 "schedreplay: $out/badkind.workload: line 10: task: field 'kind': 'lazy' is not a kind (idle, auto-idle, timer, auto-timer)" "$out/badkind.workload"
case_ 2 "schedreplay: $out/badrecord.workload: line 10: record: field 'keyword': 'jump' is not a record (span, origin, source, task, run, post, at, start, restart, stop, prio, max-wait, stall, orig-thresholds, orig-posted-runs, orig-prio, orig-starve, orig-task, orig-finding)" "$out/badrecord.workload"
case_ 2 "schedreplay: $out/pastend.workload: line 11: at: field 'offset': 2000 is past the end of its run or post (duration 1000)" "$out/pastend.workload"
case_ 2 "schedreplay: $out/noref.workload: line 10: a top-level action: field 'task': a step names task 9, which no task record defines" "$out/noref.workload"
malformed ready 'run 2 40000000 50000000 1000 inactive'
case_ 2 "schedreplay: $out/ready.workload: line 10: run: field 'ready': 50000000 is after the run's begin (40000000)" "$out/ready.workload"
malformed overlap 'run 2 30500000 0 1000 inactive'
case_ 2 "schedreplay: $out/overlap.workload: line 10: run: field 'begin': 30500000 is before the end of task 2's previous run (31000000): a task's runs go in time order, one after the other" "$out/overlap.workload"
malformed pastspan 'run 2 200000000 0 1000 inactive'
case_ 2 "schedreplay: $out/pastspan.workload: line 10: run: field 'begin': 200000000 is past the span (100000000): the recording ended before" "$out/pastspan.workload"
case_ 2 "schedreplay: $out/badnumber.workload: line 10: stall: field 'time': '12x' is not a number of ns (0 to 2^62)" "$out/badnumber.workload"
case_ 2 "schedreplay: $out/quote.workload: line 10: a quoted string is not closed" "$out/quote.workload"
# What-ifs and options.
case_ 2 "schedreplay: --set-priority: no task named 'layout' in the workload (tasks: spell, indexer)" "$good" --set-priority layout=LOWEST
case_ 2 "schedreplay: --max-wait: no task named 'thumb' in the workload (tasks: spell, indexer)" "$good" --max-wait thumb=50
case_ 2 "schedreplay: --scale: no task named 'nope' in the workload (tasks: spell, indexer)" "$good" --scale nope=2
case_ 2 "schedreplay: --set-priority: 'NINE' is not a priority (HIGHEST, DEFAULT, HIGH_IDLE, RESIZE, REPAINT, POST_PAINT, DEFAULT_IDLE, LOWEST or 0-7)" "$good" --set-priority spell=NINE
case_ 2 "schedreplay: --set-priority: 'spell' is not TASK=PRIO" "$good" --set-priority spell
case_ 2 "schedreplay: --slice: 'abc' is not a duration in ms" "$good" --slice abc
case_ 2 "schedreplay: --slice: '0' is not a duration in ms" "$good" --slice 0
case_ 2 "schedreplay: --max-wait: '-5' is not a duration in ms" "$good" --max-wait indexer=-5
case_ 2 "schedreplay: --scale: '0' is not a factor from 0.001 to 1000" "$good" --scale spell=0
case_ 2 "schedreplay: --scale: 'x2' is not a factor from 0.001 to 1000" "$good" --scale spell=x2
case_ 2 "schedreplay: --speed applies to --real only (a --sim replay takes no wall-clock time)" "$good" --speed 2
case_ 2 "schedreplay: --speed: '0' is not a factor from 0.01 to 100" "$good" --real --speed 0
case_ 2 "schedreplay: -o records a --real replay (a --sim replay runs on a virtual clock): add --real" "$good" -o "$out/t"
case_ 2 "schedreplay: --realtime applies to --real only (a --sim replay does not depend on the machine)" "$good" --realtime
case_ 2 "schedreplay: --pid: 'abc' is not a process id" "$good" --pid abc
case_ 2 "schedreplay: --loop: 'zz' is not a loop address (hex)" "$good" --loop zz
case_ 2 "schedreplay: --pid and --loop choose within a trace; $good is a workload file" "$good" --pid 12
case_ 2 "schedreplay: unknown option '--bogus' (see schedreplay --help)" "$good" --bogus
case_ 2 "schedreplay: --slice needs a value (see schedreplay --help)" "$good" --slice
case_ 2 "schedreplay: one trace directory or workload file, not '$good' too" "$good" "$good"

# --help: usage on stdout, exit 0.
if "$rp" --help >"$out/help" 2>"$out/help.err" && grep -q '^usage: schedreplay' "$out/help" &&
	[ ! -s "$out/help.err" ]; then
	pass "--help: usage on stdout, exit 0"
else
	bad "--help: $(head -1 "$out/help.err")"
fi

if [ "${VALGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
	for f in "$out"/*.workload; do
		[ "$f" = "$good" ] && continue
		if timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			"$rp" "$f" >/dev/null 2>"$out/vg.err"; [ $? = 99 ]; then
			bad "valgrind on $f: $(grep -m1 '==' "$out/vg.err")"
		fi
	done
	pass "valgrind: no invalid access or leak on the malformed workload files"
fi
exit $fail
