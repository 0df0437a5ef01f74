#!/usr/bin/env bash
# The benchmark driver of `make bench` (docs/performance.md). Runs the
# programs of bench/ (built by make: build/bench/*), each measuring libsched
# beside libevent, libuv and GLib in the same run, then the tool rows
# (tracing cost, schedprof report, schedreplay --sim); prints one table per
# measure with every figure as median [min-max] of its repetitions, the
# ratio of libsched to the best peer of that run, the goal and whether it
# was met; writes results.csv and PNG charts of the scaling curves.
#
#   scripts/bench.sh [--quick] [--tools-only] [--no-tools] [--reps N]
#
# --quick: small sizes, into build/bench/quick/: a check of the harness
# (every callback counted), no timing judged. Output: build/bench/ (or
# build/bench/quick/): results.csv, queue.png, timers-insert.png,
# timers-dispatch.png, raw/ (each program's output).
# Exit status: 0 when every program ran and every callback fired (missed
# goals are reported, not failures); 1 when one failed, or when a
# (measure, variant, library) appears twice in results.csv (one line each).
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0 core=1 tools=1 reps=5
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--tools-only) core=0 ;;
	--no-tools) tools=0 ;;
	--reps) reps=$2; shift ;;
	*) echo "usage: scripts/bench.sh [--quick] [--tools-only] [--no-tools] [--reps N]" >&2
	   exit 2 ;;
	esac
	shift
done

bin=build/bench
out=build/bench
[ "$quick" = 1 ] && out=build/bench/quick
raw=$out/raw
mkdir -p "$raw"
# results.csv is made from every raw/*.out: the outputs of the parts this
# run makes are removed first, so that a file an earlier run (or an older
# layout of raw/) left there cannot add its rows a second time. A part not
# run (--tools-only, --no-tools) keeps its last outputs.
[ "$core" = 1 ] && rm -f "$raw"/posts.* "$raw"/input_latency.* \
	"$raw"/xthread.* "$raw"/timers.* "$raw"/hosted.*
[ "$tools" = 1 ] && rm -f "$raw"/tools.out "$raw"/trace-*.out \
	"$raw"/bigtrace.out
# Outputs no program of this script writes (an earlier layout): gone.
for f in "$raw"/*.out; do
	[ -e "$f" ] || continue
	case ${f##*/} in
	posts.out | input_latency.out | xthread.out | timers.out | \
	hosted.out | tools.out | trace-*.out | bigtrace.out) ;;
	*) echo "  NOTE     bench: removing $f (no program of this run writes it)"
	   rm -f "$f" ;;
	esac
done
qarg=()
[ "$quick" = 1 ] && qarg=(--quick)
failed=()
t_start=$(date +%s)

fail() {
	failed+=("$1")
	echo "  FAIL     bench: $1"
}

ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# run NAME: one program of bench/, its output kept in raw/.
run_prog() {
	local name=$1 t0 rc=0 why
	shift
	if [ ! -x "$bin/$name" ]; then
		fail "$bin/$name is not built (make bench-progs)"
		return
	fi
	t0=$(date +%s%N)
	"$bin/$name" "${qarg[@]}" --reps "$reps" "$@" >"$raw/$name.out" \
		2>"$raw/$name.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		why=$(grep -m1 -e 'FAILED' -e 'error' "$raw/$name.err" ||
		      tail -1 "$raw/$name.err")
		fail "$name exited with status $rc: ${why:-no message} (log: $raw/$name.err)"
		return
	fi
	printf '  BENCH    %-14s %6.1f s\n' "$name" "$(echo "$(ms_since "$t0")" | awk '{print $1/1000}')"
}

if [ "$core" = 1 ]; then
	for p in posts input_latency xthread timers; do
		run_prog "$p"
	done
	# The hosted loop beside the native one (built where GLib is).
	if pkg-config --exists glib-2.0; then
		run_prog hosted
	fi
fi

# ---- the tool rows --------------------------------------------------------
tools_out=$raw/tools.out
: >"$tools_out"
emit() { # measure variant lib api unit better med min max reps flt
	local IFS='|'
	echo "BENCH|$*" >>"$tools_out"
}
emit_na() { # measure variant lib why
	echo "BENCH|$1|$2|$3|$4|-|-|-|-|-|0|0" >>"$tools_out"
}

# trace_cost's line -> a row of the tracing table.
trace_row() { # variant api file
	local line
	line=$(grep -m1 '^trace_cost:' "$3") || {
		emit_na trace "$1" libsched "trace_cost gave no figure (log: $3)"
		fail "trace_cost ($1) gave no figure (log: $3)"
		return 1
	}
	# trace_cost: median X ns/task (min Y, max Z) over K repetitions of ..., F minflt
	set -- "$1" "$2" $(echo "$line" | sed -E \
		's/.*median ([0-9.]+) ns\/task \(min ([0-9.]+), max ([0-9.]+)\) over ([0-9]+) .*, ([0-9]+) minflt/\1 \2 \3 \4 \5/')
	emit trace "$1" libsched "$2" ns/task low "$3" "$4" "$5" "$6" "$7"
}

tracing_rows() {
	local rounds=200 lrounds=50 brounds=10 tc=$bin/trace_cost
	local tca=(--tasks 1000 --reps "$reps")
	[ "$quick" = 1 ] && rounds=10 lrounds=5 brounds=2
	echo "  BENCH    tracing cost per task (trace_cost)"
	"$bin/trace_cost_notrace" "${tca[@]}" --rounds "$rounds" \
		>"$raw/trace-notrace.out" 2>&1
	trace_row notrace "library built with every tracepoint compiled out (as TRACE=0)" \
		"$raw/trace-notrace.out"
	if [ "${TRACE:-1}" = 0 ]; then
		emit_na trace idle libsched "this is a TRACE=0 build: nothing compiled in"
		emit_na trace lttng libsched "this is a TRACE=0 build: no tracepoints"
		emit_na trace trigger libsched "this is a TRACE=0 build: no tracepoints"
		emit_na trace bpf libsched "this is a TRACE=0 build: no probes"
		return
	fi
	"$tc" "${tca[@]}" --rounds "$rounds" >"$raw/trace-idle.out" 2>&1
	trace_row idle "tracepoints compiled in, nobody listening" "$raw/trace-idle.out"

	# LTTng: schedprof record, every libsched:* event enabled.
	local dir=$out/tmp-lttng disc
	rm -rf "$dir"
	if build/bin/schedprof record --buffer-size 32 -o "$dir" -- "$tc" \
		"${tca[@]}" --rounds "$lrounds" >"$raw/trace-lttng.out" \
		2>"$raw/trace-lttng.err"; then
		disc=$(sed -nE 's/.*\(([0-9]+) events, ([0-9]+) discarded\).*/\2/p' \
			"$raw/trace-lttng.err" | tail -1)
		trace_row lttng "schedprof record (LTTng session, every libsched:* event; ${disc:-?} discarded)" \
			"$raw/trace-lttng.out"
	else
		emit_na trace lttng libsched "schedprof record failed (log: $raw/trace-lttng.err)"
		fail "schedprof record of trace_cost failed (log: $raw/trace-lttng.err)"
	fi
	rm -rf "$dir"

	trigger_row "$tc" "${tca[@]}" --rounds "$lrounds"
	bpf_row "$tc" "${tca[@]}" --rounds "$brounds"
}

# An LTTng trigger (event notifier) on libsched:loop_check whose filter
# never matches, no session: what a flight recorder's rule costs per run
# (loop_check computed and filtered in the process; docs/tracepoints.md).
trigger_row() {
	local tc=$1 name=bench-trigger-$$ provider=$PWD/build/lib/libsched-lttng.so
	shift
	if ! timeout 60 lttng add-trigger --name "$name" \
		--condition=event-rule-matches --type=user \
		--name=libsched:loop_check \
		--filter='wait > 1000000000000 || run > 1000000000000' \
		--action=notify >"$raw/trace-trigger.lttng" 2>&1; then
		emit_na trace trigger libsched "lttng add-trigger failed (log: $raw/trace-trigger.lttng)"
		fail "lttng add-trigger failed (log: $raw/trace-trigger.lttng)"
		return
	fi
	# An AddressSanitizer build (make check SANITIZE=...) accepts a
	# preloaded provider only with this option.
	LD_PRELOAD=$provider \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$tc" "$@" >"$raw/trace-trigger.out" 2>&1
	timeout 60 lttng remove-trigger "$name" >>"$raw/trace-trigger.lttng" 2>&1 ||
		fail "lttng remove-trigger $name failed (log: $raw/trace-trigger.lttng)"
	trace_row trigger "an LTTng trigger on libsched:loop_check that never matches, no session" \
		"$raw/trace-trigger.out"
}

# BPF attached to a running trace_cost: schedtop (two probe hits per task).
bpf_row() {
	local tc=$1 api attacher=() apid pid ready line
	shift
	api="schedtop -p PID -b -d 1 attached"
	if [ ! -x build/bin/schedtop ]; then
		emit_na trace bpf libsched "build/bin/schedtop is not built"
		fail "build/bin/schedtop is not built"
		return
	fi
	coproc TC { exec "$tc" "$@" --wait-start 2>&1; }
	read -r -t 10 ready pid <&"${TC[0]}" || true
	if [ "${ready:-}" != ready ]; then
		emit_na trace bpf libsched "trace_cost --wait-start did not start"
		fail "trace_cost --wait-start did not start"
		return
	fi
	attacher=(build/bin/schedtop -p "$pid" -b -d 0.2)
	"${attacher[@]}" >"$raw/trace-bpf-attacher.log" 2>&1 &
	apid=$!
	# Attached once its first frame is out.
	for _ in $(seq 100); do
		grep -q '^schedtop live' "$raw/trace-bpf-attacher.log" 2>/dev/null && break
		kill -0 "$apid" 2>/dev/null || break
		sleep 0.1
	done
	echo go >&"${TC[1]}"
	line=$(cat <&"${TC[0]}")
	echo "$line" >"$raw/trace-bpf.out"
	kill -INT "$apid" 2>/dev/null
	wait "$apid" 2>/dev/null
	trace_row bpf "$api" "$raw/trace-bpf.out"
}

# schedreplay --sim on the big trace, three ways (rates in the trace's
# events per second): from the trace directory, end to end (babeltrace2's
# decoding included, which the report table measures alone); from the
# workload file --save wrote, end to end (parsing included: what a user
# replaying what-ifs over a saved workload pays); and the replay alone
# (--timing's figure). The goal is judged on the file row.
replay_rows() { # trace-dir short-variant
	local dir=$1 v=$2 wl=$out/tmp-big.workload rate i
	local vr=() vf=() vs=()
	if time_cmd vr build/bin/schedreplay --sim "$dir"; then
		set -- $(stats "${vr[@]}")
		emit replay "trace-$v" schedreplay \
			"schedreplay --sim TRACE_DIR (babeltrace2 decoding included)" \
			"M/s" high "$1" "$2" "$3" "$4" 0
	else
		emit_na replay "trace-$v" schedreplay "schedreplay --sim TRACE failed"
		fail "schedreplay --sim failed on the big trace"
		return
	fi
	if ! build/bin/schedreplay --sim "$dir" --save "$wl" >/dev/null \
		2>"$raw/replay-save.err"; then
		emit_na replay "file-$v" schedreplay "schedreplay --save failed"
		fail "schedreplay --save failed on the big trace (log: $raw/replay-save.err)"
		return
	fi
	# One run per repetition gives both: its wall time (the file row)
	# and its --timing figure (the replay alone).
	for i in $(seq 0 "$reps"); do
		t0=$(date +%s%N)
		if ! build/bin/schedreplay --sim --timing "$wl" >/dev/null \
			2>"$raw/replay-file.err"; then
			emit_na replay "file-$v" schedreplay "schedreplay --sim FILE failed"
			fail "schedreplay --sim failed on the saved workload (log: $raw/replay-file.err)"
			rm -f "$wl"
			return
		fi
		ms=$(ms_since "$t0")
		rate=$(sed -n 's/.* events in [0-9.]* s (\([0-9]*\)\/s).*/\1/p' \
			"$raw/replay-file.err")
		if [ -z "$rate" ]; then
			emit_na replay "sim-$v" schedreplay "no --timing figure"
			fail "schedreplay --timing printed no figure (log: $raw/replay-file.err)"
			rm -f "$wl"
			return
		fi
		[ "$i" -gt 0 ] || continue
		vf+=("$(awk -v n="$events" -v ms="$ms" \
			'BEGIN {printf "%.4f", n / (ms > 0 ? ms : 1) / 1e3}')")
		vs+=("$(awk -v r="$rate" 'BEGIN {printf "%.4f", r / 1e6}')")
	done
	set -- $(stats "${vf[@]}")
	emit replay "file-$v" schedreplay \
		"schedreplay --sim FILE (a --save'd workload: parse + replay)" \
		"M/s" high "$1" "$2" "$3" "$4" 0
	set -- $(stats "${vs[@]}")
	emit replay "sim-$v" schedreplay \
		"schedreplay --sim --timing: the replay alone" \
		"M/s" high "$1" "$2" "$3" "$4" 0
	rm -f "$wl"
}

# schedprof report and schedreplay --sim on one big trace, beside
# babeltrace2's counter on the same trace.
tool_rows() {
	local dir=$out/tmp-big rounds=1150 events t0 ms i rate
	local v=() vb=() vr=()
	[ "$quick" = 1 ] && rounds=10
	echo "  BENCH    a big trace for the tool rows (schedprof record of trace_cost)"
	rm -rf "$dir"
	if ! build/bin/schedprof record --buffer-size 32 -o "$dir" -- \
		"$bin/trace_cost" --tasks 1000 --rounds "$rounds" --reps 2 \
		>"$raw/bigtrace.out" 2>"$raw/bigtrace.err"; then
		fail "schedprof record of the big trace failed (log: $raw/bigtrace.err)"
		emit_na tools report schedprof "no trace (schedprof record failed)"
		rm -rf "$dir"
		return
	fi
	events=$(babeltrace2 "$dir" -c sink.utils.counter -p step=+0 2>/dev/null |
		awk '/Event messages/ {n = $1} END {print n + 0}')
	local variant
	variant=$(awk -v n="$events" 'BEGIN {printf "%.1fM-events", n / 1e6}')
	echo "  BENCH    $events events in the trace ($(du -sh "$dir" | cut -f1))"
	time_cmd() { # prints a rate in M events/s per repetition into an array name
		local -n acc=$1
		shift
		for i in $(seq 0 "$reps"); do
			t0=$(date +%s%N)
			"$@" >/dev/null 2>&1 || return 1
			ms=$(ms_since "$t0")
			[ "$i" -gt 0 ] && acc+=("$(awk -v n="$events" -v ms="$ms" \
				'BEGIN {printf "%.4f", n / (ms > 0 ? ms : 1) / 1e3}')")
		done
	}
	stats() { # values... -> "median min max n"
		printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			print m, a[1], a[NR], NR}'
	}
	if time_cmd vb babeltrace2 "$dir" -c sink.utils.counter -p step=+0; then
		set -- $(stats "${vb[@]}")
		emit report "$variant" babeltrace2 "babeltrace2 -c sink.utils.counter" \
			"M/s" high "$1" "$2" "$3" "$4" 0
	else
		emit_na report "$variant" babeltrace2 "babeltrace2 failed on the trace"
	fi
	# --no-fixes: the row measures reading and analysing the trace; the
	# checked fixes (a second read, then replays within --fix-budget)
	# would add a fixed cost of their own.
	if time_cmd v build/bin/schedprof report "$dir" --no-fixes; then
		set -- $(stats "${v[@]}")
		emit report "$variant" schedprof "schedprof report (text)" "M/s" \
			high "$1" "$2" "$3" "$4" 0
	else
		emit_na report "$variant" schedprof "schedprof report failed on the trace"
		fail "schedprof report failed on the big trace"
	fi
	if [ -x build/bin/schedreplay ]; then
		replay_rows "$dir" "${variant%-events}"
	else
		emit_na replay "$variant" schedreplay \
			"schedreplay not built yet (build/bin/schedreplay)"
	fi
	rm -rf "$dir"
}

if [ "$tools" = 1 ]; then
	t0=$(date +%s%N)
	tracing_rows
	if [ "${TRACE:-1}" = 0 ]; then
		emit_na report - schedprof "this is a TRACE=0 build: no trace to read"
		emit_na replay - schedreplay "this is a TRACE=0 build: no trace to read"
	else
		tool_rows
	fi
	printf '  BENCH    %-14s %6.1f s\n' tools "$(awk -v ms="$(ms_since "$t0")" 'BEGIN {print ms / 1000}')"
fi

# ---- results.csv ------------------------------------------------------------
cat "$raw"/*.out 2>/dev/null | grep '^BENCH|' >"$out/results.psv"
# Each figure once: a (measure, variant, library) twice is a fault of the
# harness (issue 19 found the input rows twice in a results.csv).
dups=$(awk -F'|' '{k = $2 "," $3 "," $4; if (n[k]++ == 1) print k}' \
	"$out/results.psv")
while IFS= read -r d; do
	[ -n "$d" ] &&
		fail "results.csv has (measure,variant,library) $d more than once"
done <<<"$dups"
{
	echo 'measure,variant,library,api,unit,better,median,min,max,reps,minflt'
	awk -F'|' '{
		gsub(/"/, "\"\"", $5)
		printf "%s,%s,%s,\"%s\",%s,%s,%s,%s,%s,%s,%s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
	}' "$out/results.psv"
} >"$out/results.csv"

# ---- the tables ---------------------------------------------------------------
# The quick run (make check) keeps them in tables.txt and says one line.
awk -F'|' -v quick="$quick" -f scripts/bench-tables.awk "$out/results.psv" \
	>"$out/tables.txt"
if [ "$quick" = 1 ]; then
	echo "  TABLES   $out/tables.txt ($(wc -l <"$out/results.psv") figures; quick sizes, not judged)"
else
	cat "$out/tables.txt"
fi

# ---- charts -------------------------------------------------------------------
# One data file per curve and library: "x median min max".
chart() { # name measure variant-prefix title ylabel
	local name=$1 measure=$2 prefix=$3 title=$4 ylabel=$5 plots=() lib f
	for lib in $(awk -F'|' -v m="$measure" -v p="$prefix" \
		'$2 == m && index($3, p) == 1 && $8 != "-" {print $4}' "$out/results.psv" | awk '!s[$0]++'); do
		f=$out/chart-$name-$lib.dat
		awk -F'|' -v m="$measure" -v p="$prefix" -v l="$lib" '
			function size(s,   n) {
				n = s + 0
				if (s ~ /k/) n *= 1e3
				if (s ~ /M/) n *= 1e6
				return n
			}
			$2 == m && index($3, p) == 1 && $4 == l && $8 != "-" {
				print size(substr($3, length(p) + 1)), $8, $9, $10
			}' "$out/results.psv" | sort -g >"$f"
		plots+=("'$f' using 1:2:3:4 with yerrorlines title '$lib'")
	done
	[ ${#plots[@]} -eq 0 ] && return
	local IFS=,
	if ! gnuplot -e "set terminal pngcairo size 800,500; set output '$out/$name.png';
		set title '$title'; set logscale xy; set xlabel 'size'; set ylabel '$ylabel';
		set key outside right; set grid; plot ${plots[*]}" 2>"$raw/gnuplot-$name.err"; then
		fail "gnuplot could not draw $out/$name.png (log: $raw/gnuplot-$name.err)"
	fi
}
if command -v gnuplot >/dev/null; then
	chart queue queue "" "ns per task by pending-queue size (median, min-max)" "ns per task"
	chart timers-insert timers insert- "timer insert: ns per timer by number of timers" "ns per insert"
	chart timers-dispatch timers dispatch- "expired timer dispatch: ns per timer by number of timers" "ns per expired timer"
	[ ${#failed[@]} -eq 0 ] &&
		echo "  CHARTS   $out/queue.png $out/timers-insert.png $out/timers-dispatch.png"
else
	fail "gnuplot not found: no charts"
fi
echo "  RESULTS  $out/results.csv ($(($(date +%s) - t_start)) s in all)"

if [ ${#failed[@]} -eq 0 ] && [ "$quick" = 1 ]; then
	echo "  PASS     bench smoke: every program ran at small sizes and every callback fired"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: FAILED: ${#failed[@]} problem(s):" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
exit 0
