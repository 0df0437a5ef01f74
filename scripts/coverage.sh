#!/usr/bin/env bash
# make coverage: summarises the coverage the tests left in DIR (gcov data
# of a --coverage build) for libsched/ with gcovr: one line per file, the
# totals, an HTML report in DIR/index.html. Exit status 1 if line coverage
# is under MIN percent.
#
#   scripts/coverage.sh DIR MIN
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
dir=$1 min=$2
if ! command -v gcovr >/dev/null 2>&1; then
	echo "  FAIL     coverage: gcovr not found (make deps, as root)"
	exit 1
fi
common=(--root . --filter 'libsched/' --object-directory "$dir/obj/libsched"
	--exclude-unreachable-branches --exclude-throw-branches)
gcovr "${common[@]}" --txt --branches --output "$dir/branches.txt" "$dir" >/dev/null 2>&1
gcovr "${common[@]}" --txt --output "$dir/lines.txt" "$dir" >/dev/null 2>&1
gcovr "${common[@]}" --html-details "$dir/index.html" "$dir" >/dev/null 2>&1
gcovr "${common[@]}" --json-summary "$dir/summary.json" "$dir" >/dev/null 2>&1
sed -n '/^File/,$p' "$dir/lines.txt"
read -r lines_pct lines_cov lines_tot branch_pct branch_cov branch_tot < <(python3 - "$dir/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["line_percent"], s["line_covered"], s["line_total"],
      s["branch_percent"], s["branch_covered"], s["branch_total"])
PY
)
echo "coverage: libsched/: lines ${lines_pct}% (${lines_cov}/${lines_tot}), branches ${branch_pct}% (${branch_cov}/${branch_tot}); HTML: $dir/index.html"
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$lines_pct" "$min"; then
	echo "  PASS     coverage: lines ${lines_pct}% >= ${min}%"
else
	echo "  FAIL     coverage: lines ${lines_pct}% < ${min}%"
	exit 1
fi
