#!/usr/bin/env bash
# make check: replays each fuzz target's committed corpus and regression
# inputs (tests/fuzz/corpus/NAME/, tests/fuzz/regress/NAME/) through the
# target built with the check's compiler and flags (DIR/fuzz_NAME, a
# plain main: tests/fuzz/run_corpus.c). VALGRIND=1 runs it under memcheck.
#
#   scripts/fuzz-replay.sh DIR NAME...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
dir=$1
shift
fail=0
for name in "$@"; do
	inputs=()
	for d in tests/fuzz/corpus/$name tests/fuzz/regress/$name; do
		[ -d "$d" ] && inputs+=("$d")
	done
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "  FAIL     fuzz replay $name: no tests/fuzz/corpus/$name/ (commit a seed corpus)"
		fail=1
		continue
	fi
	runner=()
	if [ "${VALGRIND:-0}" = 1 ]; then
		runner=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99)
	fi
	log=$dir/fuzz_$name.log
	if "${runner[@]}" "$dir/fuzz_$name" "${inputs[@]}" >"$log" 2>&1; then
		echo "  PASS     fuzz replay $name: $(tail -1 "$log") (${inputs[*]})"
	else
		echo "  FAIL     fuzz replay $name: $dir/fuzz_$name ${inputs[*]}"
		tail -20 "$log" | sed -e 's/^/           /'
		fail=1
	fi
done
exit $fail
