#!/usr/bin/env bash
# The LTTng record-and-read-back test. Records build/tests/trace_workload
# with the provider build/lib/libsched-lttng.so preloaded and checks the
# trace against what the workload says it did (build/tests/trace_check);
# then runs it without the provider: it must work the same and record no
# libsched event. Needs an LTTng session daemon: as root (as CI runs) it
# starts one when none runs.
#
#   scripts/test-lttng.sh [--scale N]     (make lttng-test-progs first)
#
# VERBOSE=1 prints every line of trace_check, not only its summary. Output
# goes to build/lttng-test/ (cleaned first). Exit status 0 if all passed.
set -uo pipefail
cd "$(dirname "$0")/.."

scale=1
case "${1:-}" in
--scale)
	[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--scale N]" >&2; exit 2; }
	scale=$2 ;;
"") ;;
*)	echo "usage: $0 [--scale N]" >&2; exit 2 ;;
esac

workload=build/tests/trace_workload
checker=build/tests/trace_check
provider=$PWD/build/lib/libsched-lttng.so
out=build/lttng-test
# A run that takes longer than this is stuck (scale 1 takes ~0.1 s).
limit=$((60 + scale))

failures=0
pass() { printf '  PASS     lttng: %s\n' "$*"; }
fail() { printf '  FAIL     lttng: %s\n' "$*"; failures=$((failures + 1)); }
indent() { sed -e 's/^/           /'; }

for f in "$workload" "$checker" "$provider"; do
	if [ ! -e "$f" ]; then
		fail "$f is missing: build it with  make lttng-test-progs"
		exit 1
	fi
done
for cmd in lttng lttng-sessiond; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		fail "$cmd not found: install lttng-tools (make deps, as root)"
		exit 1
	fi
done

rm -rf "$out"
mkdir -p "$out"

# A session daemon: as root, start the system one when none runs. Anyone
# else may start their own (it traces their processes, the workload's
# too); if that fails, say what to run.
if ! pgrep -x lttng-sessiond >/dev/null 2>&1; then
	if ! lttng-sessiond --daemonize >"$out/sessiond.log" 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			fail "no LTTng session daemon runs and none could be started; run:"
			echo "           sudo lttng-sessiond --daemonize"
		else
			fail "lttng-sessiond --daemonize failed:"
			indent <"$out/sessiond.log"
		fi
		exit 1
	fi
fi

# As root the lttng client always reaches the system daemon; its
# "current session" (in $LTTNG_HOME/.lttngrc) is then kept apart from the
# user's own. Every command names the session anyway, and none may hang
# the test: stop and destroy wait for the trace data, which never
# completes if a traced process died in the middle of writing an event.
lttng_home=
if [ "$(id -u)" -eq 0 ]; then
	lttng_home=$PWD/$out/home
	mkdir -p "$lttng_home"
fi
lt() { LTTNG_HOME=${lttng_home:-${LTTNG_HOME:-$HOME}} timeout 60 lttng "$@"; }

session=
trigger=
wpid=
watchdog=
# On the way out after a failure or a signal: the trace does not matter,
# so destroy without waiting for its data.
cleanup() {
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
	[ -n "$wpid" ] && kill -KILL "$wpid" 2>/dev/null
	[ -n "$session" ] && lt destroy --no-wait "$session" >/dev/null 2>&1
	session=
	[ -n "$trigger" ] && lt remove-trigger "$trigger" >/dev/null 2>&1
	trigger=
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# start_session NAME DIR: the session of both cases. Its own channel with
# roomy buffers, so that discarded events mean a real problem rather than
# default buffer sizes against a slow machine. It starts recording no
# process at all (run_workload tracks the workload's): a tracker changed
# after the start does not stop the processes already recorded.
start_session() {
	session=$1
	if ! { lt create "$1" --output="$PWD/$2" &&
	       lt enable-channel -u -s "$1" --subbuf-size=1M --num-subbuf=8 libsched &&
	       lt enable-event -u -s "$1" -c libsched 'libsched:*' &&
	       lt add-context -u -s "$1" -c libsched -t vtid -t vpid -t procname &&
	       lt untrack -u -s "$1" --vpid --all &&
	       lt start "$1"; } >"$out/$1.lttng.log" 2>&1; then
		fail "cannot set up LTTng session $1:"
		indent <"$out/$1.lttng.log"
		if [ "$(id -u)" -ne 0 ]; then
			echo "           is a session daemon reachable? run:  sudo lttng-sessiond --daemonize"
			echo "           (and add this user to the 'tracing' group), or run this test as root"
		fi
		return 1
	fi
}

# stop_session [--no-wait]: after a workload that died from a signal, its
# data may never complete: do not wait for it (nor read it).
stop_session() {
	if ! { lt stop ${1:-} "$session" && lt destroy ${1:-} "$session"; } \
		>>"$out/$session.lttng.log" 2>&1; then
		fail "cannot stop LTTng session $session:"
		indent <"$out/$session.lttng.log"
		session=
		return 1
	fi
	session=
}

# run_workload OUTFILE [PRELOAD]: runs it in the background so that $wpid
# is its own pid (the checker keeps that process's events), under a
# watchdog. The session records that process only: LTTng's buffers are
# per user, and another program of the user with the provider loaded (a
# test of someone else's checkout) would write into them too. The process
# waits on a FIFO until its pid is tracked, then executes the workload
# (same pid), whose LTTng-UST registration then finds it tracked. Sets rc.
run_workload() {
	rm -f "$out/go"
	mkfifo "$out/go" || { rc=1; fail "mkfifo $out/go failed"; return; }
	if [ -n "${2:-}" ]; then
		# An AddressSanitizer build (make check SANITIZE=...) accepts
		# a preloaded provider only with this option.
		(read -r _ <"$out/go" && exec env LD_PRELOAD="$2" \
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			"$workload" --scale "$scale" >"$1" 2>"$1.err") &
	else
		(read -r _ <"$out/go" && exec env -u LD_PRELOAD "$workload" \
			--scale "$scale" >"$1" 2>"$1.err") &
	fi
	wpid=$!
	if ! lt track -u -s "$session" --vpid "$wpid" >>"$out/$session.lttng.log" 2>&1; then
		fail "cannot track pid $wpid in LTTng session $session:"
		indent <"$out/$session.lttng.log"
	fi
	echo go >"$out/go"
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$limit" & s=$!
		wait $s
		kill -KILL "$wpid" 2>/dev/null
	) &
	watchdog=$!
	rc=0
	wait "$wpid" || rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	watchdog=
	pid=$wpid
	wpid=
}

# check_workload OUTFILE WHAT: its exit status (it checks its own counts).
check_workload() {
	if [ "$rc" -eq 0 ]; then
		return 0
	elif [ "$rc" -eq 137 ]; then
		fail "$2: trace_workload killed after ${limit} s (or by SIGKILL)"
	elif [ "$rc" -gt 128 ]; then
		fail "$2: trace_workload died from signal $((rc - 128))"
	else
		fail "$2: trace_workload exited with status $rc"
	fi
	indent <"$1.err"
	return 1
}

tag=libsched-test-$$-$(date +%s)

# ---- 1: recorded with the provider ----------------------------------------
dir=$out/traced
if start_session "$tag-traced" "$dir"; then
	run_workload "$out/traced.out" "$provider"
	stop_session $([ "$rc" -gt 128 ] && echo --no-wait)
	if check_workload "$out/traced.out" "traced run"; then
		pass "traced run: trace_workload --scale $scale (pid $pid) exit 0"
		crc=0
		"$checker" --pid "$pid" "$dir" "$out/traced.out" \
			>"$out/trace_check.log" 2>&1 || crc=$?
		[ "${VERBOSE:-0}" = 1 ] && cat "$out/trace_check.log"
		summary=$(tail -n 1 "$out/trace_check.log")
		if [ "$crc" -eq 0 ]; then
			pass "trace read back and checked: ${summary#trace_check: } ($dir)"
		else
			fail "trace_check (exit $crc): ${summary#trace_check: }; log: $out/trace_check.log"
			grep -v '^  PASS ' "$out/trace_check.log" | indent
		fi
	fi
fi

# ---- 2: the same session, the workload without the provider ---------------
dir=$out/untraced
if start_session "$tag-untraced" "$dir"; then
	run_workload "$out/untraced.out"
	stop_session $([ "$rc" -gt 128 ] && echo --no-wait)
	if check_workload "$out/untraced.out" "untraced run"; then
		# The counts that do not depend on timing must be the traced
		# run's (which trace_check compared with the trace).
		keys='^(idle_runs|timer_runs|child_runs|stopped|sliced_checks'
		keys+='|burst_posts|at_posts|wait_posts|commands|moved_runs'
		keys+='|nap_runs)='
		if [ ! -s "$out/traced.out" ]; then
			fail "untraced run: no traced run to compare its counts with"
		elif diff <(grep -E "$keys" "$out/traced.out") \
			  <(grep -E "$keys" "$out/untraced.out") >"$out/counts.diff"; then
			pass "untraced run: exit 0, counts those of the traced run ($(grep -E "$keys" "$out/untraced.out" | tr '\n' ' ' | sed 's/ $//'))"
		else
			fail "untraced run: counts differ from the traced run's:"
			indent <"$out/counts.diff"
		fi
		crc=0
		"$checker" --expect-none --pid "$pid" "$dir" \
			>"$out/trace_check_none.log" 2>&1 || crc=$?
		line=$(grep -E '^  (PASS|FAIL) ' "$out/trace_check_none.log" | tail -n 1 | sed -E 's/^  (PASS|FAIL) +//')
		if [ "$crc" -eq 0 ]; then
			pass "untraced run: $line"
		else
			fail "untraced run (trace_check exit $crc): ${line:-see $out/trace_check_none.log}"
			indent <"$out/trace_check_none.log"
		fi
	fi
fi

# ---- 3: a trigger (an event notifier) filtering loop_check ------------------
# The flight recorder's rules are one filter on loop_check's fields, run in
# the session daemon: the daemon must accept it (the recorder's own test,
# scripts/test-flight.sh, fires one end to end).
trigger="$tag-loop-check"
if lt add-trigger --name "$trigger" --condition=event-rule-matches \
	--type=user --name=libsched:loop_check \
	--filter='wait > 100000000 || run > 50000000 || (kind == 1 && delay > 20000000)' \
	--action=notify >"$out/trigger.log" 2>&1; then
	if lt list-triggers 2>&1 | grep -q "rule: libsched:loop_check (type: user tracepoint, filter: wait > 100000000"; then
		pass "trigger on libsched:loop_check with a filter on wait, run and delay accepted"
	else
		fail "trigger $trigger added but not listed with its filter:"
		lt list-triggers 2>&1 | indent
	fi
	lt remove-trigger "$trigger" >>"$out/trigger.log" 2>&1 ||
		fail "cannot remove trigger $trigger: $(tail -n 1 "$out/trigger.log")"
	trigger=
else
	trigger=
	fail "lttng add-trigger on libsched:loop_check refused:"
	indent <"$out/trigger.log"
fi

if [ "$failures" -ne 0 ]; then
	echo "lttng: $failures failure(s)" >&2
	exit 1
fi
exit 0
