#!/usr/bin/env bash
# officesim, the demo: runs to the end and reports every task; ends cleanly
# (exit 0, report printed) on SIGINT and on SIGTERM; refuses bad options
# with one line and exit status 2.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/officesim
fail() { echo "officesim: $*" >&2; exit 1; }

out=$(timeout 20 "$bin" --seconds 0.5 --quiet)
for task in keystroke autosave layout resize repaint blink wordcount thumbnail spell; do
	grep -q "^  $task " <<<"$out" || fail "report lacks task '$task'"
done
for prio in HIGHEST DEFAULT HIGH_IDLE RESIZE REPAINT POST_PAINT DEFAULT_IDLE LOWEST; do
	grep -q " $prio " <<<"$out" || fail "report lacks priority $prio"
done

for sig in INT TERM; do
	log=$(mktemp)
	timeout 20 "$bin" --seconds 60 >"$log" &
	pid=$!
	# Wait until it runs (its first line), then signal it.
	for _ in $(seq 200); do [ -s "$log" ] && break; sleep 0.05; done
	kill -s "$sig" "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc after SIG$sig, expected 0"
	grep -q "signal" "$log" || fail "no 'signal' line after SIG$sig"
	grep -q "simulated office work" "$log" || fail "no report after SIG$sig"
	rm -f "$log"
done

for bad in "--seconds -1" "--seconds abc" "--bogus" "extra"; do
	rc=0; err=$("$bin" $bad 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq 2 ] || fail "'$bad' gave exit status $rc, expected 2"
	[ -n "$err" ] || fail "'$bad' printed no error"
done
echo "  PASS     officesim: full run, clean exit on SIGINT and SIGTERM, bad options"
