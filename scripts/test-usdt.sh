#!/usr/bin/env bash
# The USDT test: build/tests/usdt_count attaches BPF programs (libbpf) to
# the libsched:* probes of a running trace_workload and checks their counts
# against the workload's; then nothing of it may stay in the kernel: no
# link to its programs in `bpftool link show`, no program, no link it had.
# Needs root (BPF); never skips. Builds nothing: `make usdt-test-progs`
# first. USDT_SCALE=N passes --scale N to the workload (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/tests/usdt_count
log=build/tests/usdt_count.log
scale=${USDT_SCALE:-1}
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
failed=0

fail() {
	echo "  FAIL     usdt: $1"
	shift
	for line in "$@"; do
		[ -n "$line" ] && echo "           $line"
	done
	failed=1
}

if [ ! -x "$bin" ]; then
	fail "$bin is not built (make usdt-test-progs)"
	exit 1
fi
if [ ! -x "$bpftool" ]; then
	fail "bpftool not found: cannot check for leftover links"
	exit 1
fi

# A log left by an earlier run would name programs that are not ours.
if ! rm -f "$log" || ! : >"$log"; then
	fail "cannot write $log"
	exit 1
fi
start=$(date +%s%N)
rc=0
timeout 300 "$bin" -v --scale "$scale" >"$log" 2>&1 || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
took=$(printf '%d.%02d s' $((ms / 1000)) $((ms % 1000 / 10)))
if [ "$rc" -eq 0 ]; then
	summary=$(sed -n 's/^PASS  \([0-9]* of [0-9]* checks\) passed.*/\1/p' "$log")
	echo "  PASS     usdt: BPF counts of the libsched probes match trace_workload ($summary, scale $scale, $took)"
else
	# The failed checks and the error lines, not the counters.
	mapfile -t why < <(grep -v -e '^info ' -e '^PASS ' "$log" | tail -40)
	fail "usdt_count exit status $rc, $took (full log: $log)" "${why[@]}"
fi

# What was ours: the programs usdt_count loaded, the links it made.
read -r -a progs <<<"$(sed -n 's/^info  prog ids//p' "$log")"
read -r -a links <<<"$(sed -n 's/^info  link ids//p' "$log")"
if [ ${#progs[@]} -eq 0 ]; then
	# It stopped before loading: nothing of it can be in the kernel.
	fail "leftovers not checked: usdt_count loaded no program"
	exit 1
fi

# Whether bpftool finds object $2 of kind $1 ("prog", "link"): only "no
# such" counts as gone, any other error (no privilege) is reported.
present() {
	local err
	err=$("$bpftool" "$1" show id "$2" 2>&1 >/dev/null) && return 0
	[[ "$err" == *"No such file or directory"* ]] && return 1
	echo "           bpftool $1 show id $2: $err" >&2
	return 0
}

# Freeing a program is deferred past an RCU grace period: allow 5 s.
left=()
for _ in $(seq 50); do
	left=()
	if ! all=$("$bpftool" link show 2>&1); then
		fail "cannot list the kernel's links: $all"
		exit 1
	fi
	while read -r id type rest; do
		for p in "${progs[@]}"; do
			[[ " $rest " == *" prog $p "* ]] &&
				left+=("link ${id%:} ($type, prog $p)")
		done
	done < <(grep -E '^[0-9]+:' <<<"$all")
	for p in "${progs[@]}"; do
		present prog "$p" && left+=("prog $p")
	done
	for l in "${links[@]}"; do
		present link "$l" && left+=("link $l")
	done
	[ ${#left[@]} -eq 0 ] && break
	sleep 0.1
done
if [ ${#left[@]} -eq 0 ]; then
	echo "  PASS     usdt: nothing left attached or loaded (${#links[@]} links, ${#progs[@]} programs gone)"
else
	fail "left in the kernel after usdt_count exited: ${left[*]}"
fi
exit "$failed"
