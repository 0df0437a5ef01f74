#!/usr/bin/env bash
# The README's C example must be examples/hello.c, which `make` compiles
# with -Werror and `make check` runs: the documented example always works.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! diff -u examples/hello.c <(sed -n '/^```c$/,/^```$/p' README.md | sed '1d;$d'); then
	echo "readme: the C example in README.md differs from examples/hello.c" >&2
	exit 1
fi
out=$(timeout 10 build/bin/hello)
[ "$out" = repaint ] || { echo "readme: examples/hello printed '$out'" >&2; exit 1; }
echo "  PASS     README example (examples/hello.c) compiles and runs"
