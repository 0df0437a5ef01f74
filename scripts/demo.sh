#!/usr/bin/env bash
# make demo: records officesim (a simulated office application on libsched)
# with schedprof, then prints its latency profile and writes the HTML
# report. Extra officesim options come in DEMO_ARGS (default --seconds 3).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2086
build/bin/schedprof record -o "$out/trace" -- build/bin/officesim ${DEMO_ARGS:---seconds 3}
echo
build/bin/schedprof report "$out/trace" -o "$out/report"
echo
echo "Open $out/report/index.html for the charts; or load the timeline:"
echo "  build/bin/schedprof export $out/trace --perfetto $out/trace.json  # ui.perfetto.dev"
