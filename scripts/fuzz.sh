#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target for SECONDS from its committed
# corpus (tests/fuzz/corpus/NAME/, read only) and what earlier runs found
# (DIR/corpus/NAME/, where new inputs go); crashes go to DIR/artifacts/.
# Prints one line per target: executions, executions per second, corpus
# size, new inputs. Exit status 1 if a target crashed (or could not run).
#
#   scripts/fuzz.sh SECONDS DIR NAME...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
secs=$1 dir=$2
shift 2
fail=0
for name in "$@"; do
	bin=$dir/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	work=$dir/corpus/$name
	log=$dir/fuzz_$name.log
	mkdir -p "$work" "$dir/artifacts" "$seeds"
	if "$bin" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-" -timeout=10 \
		-rss_limit_mb=2048 "$work" "$seeds" >"$log" 2>&1; then
		stat() { awk -v k="$1" '$1 == k ":" { print $2 }' "$log" | tail -1; }
		printf '  PASS     fuzz_%s: %s runs in %s s (%s/s), corpus %s inputs (%s new this run, %s committed)\n' \
			"$name" "$(stat stat::number_of_executed_units)" "$secs" \
			"$(stat stat::average_exec_per_sec)" \
			"$(find "$work" "$seeds" -type f | wc -l)" \
			"$(stat stat::new_units_added)" "$(find "$seeds" -type f | wc -l)"
	else
		printf '  FAIL     fuzz_%s: see %s\n' "$name" "$log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" |
			head -8 | sed -e 's/^/           /'
		echo "           make it a regression test: copy the crash input into tests/fuzz/regress/$name/"
		fail=1
	fi
done
exit $fail
