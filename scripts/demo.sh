#!/usr/bin/env bash
# make demo: records officesim (a simulated word processor on libsched)
# with schedprof, prints its latency profile (the findings first), writes
# the HTML report and a Perfetto timeline, and says how to open them and
# how to watch the program live. Extra officesim options come in DEMO_ARGS
# (default --seconds 3).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2086
build/bin/schedprof record -o "$out/trace" -- build/bin/officesim ${DEMO_ARGS:---seconds 3}
echo
build/bin/schedprof report "$out/trace" -o "$out/report"
build/bin/schedprof export "$out/trace" --perfetto "$out/trace.json"

cat <<EOF

officesim has a culprit and a victim for schedprof to find, and the
findings above should name both with their numbers: layout (HIGH_IDLE),
which after each resize reflows the whole document in one 300 ms run with
no stopwatch check (never-yields), and the LOWEST indexer, which waits
some 650 ms while the spell checker (DEFAULT_IDLE, a higher priority)
works: its starving-task finding blames spell, and counts the few runs of
its LOWEST sibling thumbnail as forced by thumbnail's maximum wait (those
runs cut LOWEST's own starvation intervals, starving-priority LOWEST, to
under 200 ms). The tables below the findings give the details per
priority and per task, and the task waits what ran while each waited.
Under each finding, the fixes a replay of this recording has checked: the
C call to make, its predicted effect and its cost. Try one for real:
  build/bin/officesim --indexer-max-wait 50

  The report with charts:  file://$PWD/$out/report/index.html
      On a remote machine, serve it:  python3 -m http.server -d $out/report 8000
      and open http://HOST:8000/ (or forward the port: ssh -L 8000:localhost:8000 HOST).
  The timeline:  $out/trace.json
      Open https://ui.perfetto.dev, click "Open trace file" and pick it: one
      track per thread (its real tid), each run a slice named after its
      task with its stopwatch checks inside, the loop's sleeps, an arrow
      from when it became ready (a post: from the posting thread) to its
      run, ready-queue counters per priority.
  The trace itself:  $out/trace  (schedprof report $out/trace --json)

Ask what would have happened: schedreplay replays the recorded workload
through the scheduler in virtual time, says how faithful the replay is,
and answers what-ifs (docs/schedreplay.md):
  build/bin/schedreplay $out/trace
  build/bin/schedreplay $out/trace --max-wait indexer=50
  build/bin/schedreplay $out/trace --max-wait indexer=50 --scale layout=0.1
  build/bin/schedreplay $out/trace --suggest
EOF
cat <<EOF

Step through the recording on a top-like screen (q quits, h helps):
  build/bin/schedtop $out/trace
Or watch officesim live (root): run it in one terminal, schedtop in another:
  build/bin/officesim --seconds 60
  build/bin/schedtop -p \$(pgrep -n officesim)
EOF
