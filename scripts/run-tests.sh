#!/usr/bin/env bash
# Runs every test binary given; prints one line per binary and a summary.
# VALGRIND=1 runs each under valgrind memcheck (leaks and errors fail).
set -u
failed=()
for t in "$@"; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		runner=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99)
	else
		runner=()
	fi
	log="${t}.log"
	if "${runner[@]}" "$t" >"$log" 2>&1; then
		printf '  PASS     %s (%s)\n' "$(basename "$t")" \
			"$(grep -c '^\[       OK \]' "$log") tests"
		# Programs that sum up what they did (the stress test).
		grep '^stress: ' "$log" | sed -e 's/^/           /'
	else
		printf '  FAIL     %s\n' "$(basename "$t")"
		# Valgrind 3.19 does not know epoll_pwait2 (syscall 441): the
		# poller falls back on epoll_wait; not an error, only noise.
		sed -e 's/^/           /' "$log" | grep -v '^\s*\[ \(RUN\|      OK\) ' |
			grep -v 'unhandled amd64-linux syscall: 441' | tail -40
		failed+=("$(basename "$t")")
	fi
done
if [ ${#failed[@]} -ne 0 ]; then
	echo "check: ${#failed[@]} test program(s) failed: ${failed[*]}" >&2
	exit 1
fi
echo "check: all $# test programs passed"
