#!/usr/bin/env bash
# Traces of several recordings under the paths given (docs/schedprof.md,
# "Which traces are read"; tools/common/trace_read.h, struct tr_recording),
# through every reader: schedprof report and export, schedreplay, schedtop
# over a trace. No LTTng needed: the recordings are copies of the kept
# trace tests/traces/before-cpu, one of them made another session's by
# changing its session name in its metadata (trace_name "schedprof-..."
# becomes "schedprog-...", the same length, in the packetized file):
#   - a directory holding both: refused, exit 2, nothing on stdout, one
#     line on stderr naming both recordings (their directory, session and
#     creation time) and saying how to pick one (its directory, or
#     --merge); nothing was read;
#   - with --merge: read, exit 0, stderr says "merged 2 recordings" with a
#     line per recording, and report counts every event of both (twice
#     the events of one);
#   - one recording (the kept trace, given by its session's directory):
#     stdout byte for byte what it was without this check (the kept trace
#     given directly), nothing on stderr;
#   - a directory holding two copies of one recording (cp -r TRACE a; cp
#     -r TRACE b; the same session and trace UUID): refused, with and
#     without --merge, exit 2, nothing on stdout, one line naming both
#     copies (read together, every count was doubled: 12 446 events of
#     the demo's 6 223, "808 events out of sequence");
#   - six recordings: the first three named, "and 3 more";
#   - --merge where it means nothing (schedreplay on a workload file,
#     schedtop -p without a trace): one line, exit 2.
#
#   scripts/test-merged-traces.sh   (make build/bin/schedprof build/bin/
#                                    schedtop build/bin/schedreplay)
#
# Output in build/merged-traces-test/ (cleaned first). Exit status 0 if
# all passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=build/merged-traces-test
kept=tests/traces/before-cpu
fail=0
pass() { echo "  PASS     merged-traces: $*"; }
bad() { echo "  FAIL     merged-traces: $*"; fail=1; }

for f in build/bin/schedprof build/bin/schedtop build/bin/schedreplay; do
	if [ ! -x "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out/two" "$out/same" "$out/six"
abs=$(cd "$out" && pwd -P)

# another_session DIR N: DIR's session name gets the letter N at the end
# of "schedpro" (schedprof- -> schedproN-).
another_session() {
	python3 - "$1/ust/uid/0/64-bit/metadata" "$2" <<'PY'
import sys
path, letter = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
old = b'trace_name = "schedprof-'
if data.count(old) != 1:
    sys.exit(path + ": no single trace_name")
open(path, "wb").write(data.replace(old, b'trace_name = "schedpro' + letter + b'-'))
PY
}
cp -r "$kept" "$out/two/a"
cp -r "$kept" "$out/two/b"
another_session "$out/two/b" g || exit 1
cp -r "$kept" "$out/same/a"
cp -r "$kept" "$out/same/b"
for n in 1 2 3 4 5 6; do
	cp -r "$kept" "$out/six/r$n"
	[ $n = 1 ] || another_session "$out/six/r$n" "$(echo ghijk | cut -c$((n - 1)))" || exit 1
done

session=schedprof-17781-1796619350
uuid=fd7c727a-bfc6-46c9-9741-0a6691c720b0
created="created 2026-12-07 04:55:50 UTC"
reca="$abs/two/a: session $session, $created"
recb="$abs/two/b: session ${session/schedprof/schedprog}, $created"
refusal="traces of 2 different recordings (give the directory of one, or --merge to read them together): $abs/two/a: session $session; $abs/two/b: session ${session/schedprof/schedprog}"

# The four readers, each a command line whose trace path is TRACE.
readers=(
	"build/bin/schedprof report TRACE --no-fixes"
	"build/bin/schedprof export TRACE --perfetto $out/out.json"
	"build/bin/schedreplay TRACE"
	"build/bin/schedtop TRACE -b -d 0.05"
)
# A TRACE=0 build's schedreplay reads traces but refuses to replay them
# (exit 1, docs/errors.md): there it is read through --save - (the
# workload on stdout), and its "workload written" line is not an error.
if [ "${TRACE:-1}" = 0 ]; then
	readers[2]="build/bin/schedreplay TRACE --save -"
fi
saved_line() { sed -i '/^schedreplay: workload written to -: /d' "$@"; }
name_of() {
	local n=${1#build/bin/}
	case $n in
	schedprof*) echo "schedprof ${n#schedprof }" | cut -d' ' -f1,2 ;;
	*) echo "${n%% *}" ;;
	esac
}

for r in "${readers[@]}"; do
	name=$(name_of "$r")
	tool=${name%% *}
	# Refused.
	${r/TRACE/$out/two} >"$out/refused.out" 2>"$out/refused.err"
	rc=$?
	if [ $rc = 2 ] && [ ! -s "$out/refused.out" ] &&
		[ "$(cat "$out/refused.err")" = "$tool: $refusal" ]; then
		pass "$name: two recordings refused (exit 2, one line naming both)"
	else
		bad "$name on two recordings: exit $rc: $(head -c 400 "$out/refused.err")"
	fi
	# Merged.
	${r/TRACE/$out/two} --merge >"$out/merged.out" 2>"$out/merged.err"
	rc=$?
	saved_line "$out/merged.err"
	want="$tool: merged 2 recordings (--merge):
$tool:   $reca, 1 trace
$tool:   $recb, 1 trace"
	if [ $rc = 0 ] && [ -s "$out/merged.out" ] &&
		[ "$(head -3 "$out/merged.err")" = "$want" ]; then
		pass "$name --merge: read, stderr lists the 2 recordings"
	else
		bad "$name --merge on two recordings: exit $rc: $(head -c 400 "$out/merged.err")"
	fi
	# One recording: as before.
	[ "$tool" = schedprof ] && [ "${name#* }" = export ] &&
		r2=${r/out.json/direct.json} || r2=$r
	${r2/TRACE/$kept} >"$out/direct.out" 2>"$out/direct.err"
	rc0=$?
	saved_line "$out/direct.err"
	# Two copies of one recording: refused, even with --merge.
	copies="$tool: $abs/same/a/ust/uid/0/64-bit and $abs/same/b/ust/uid/0/64-bit: two copies of one trace (session $session, trace UUID $uuid): give one of them"
	for m in "" --merge; do
		${r/TRACE/$out/same} $m >"$out/copies.out" 2>"$out/copies.err"
		rc=$?
		if [ $rc = 2 ] && [ ! -s "$out/copies.out" ] &&
			[ "$(cat "$out/copies.err")" = "$copies" ]; then
			pass "$name $m: two copies of one recording refused (exit 2, one line naming both)"
		else
			bad "$name $m on two copies: exit $rc: $(head -c 400 "$out/copies.err")"
		fi
	done
	for one in "$out/same/a"; do
		${r/TRACE/$one} >"$out/one.out" 2>"$out/one.err"
		rc=$?
		saved_line "$out/one.err"
		if [ "$tool" = schedprof ] && [ "${name#* }" = export ]; then
			# The file's name is in the line: compare the files.
			sed -i "s|$out/direct.json|$out/out.json|" "$out/direct.out"
			cmp -s "$out/direct.json" "$out/out.json" || rc=99
		fi
		if ! sed "s|$one|$kept|g" "$out/one.out" |
			cmp -s - "$out/direct.out"; then
			# (schedreplay names the path it read)
			rc=97
		fi
		if [ $rc = $rc0 ] && [ $rc = 0 ] && [ ! -s "$out/one.err" ]; then
			pass "$name on one recording (${one#"$out/"}): unchanged, nothing on stderr"
		else
			bad "$name on one recording (${one#"$out/"}): exit $rc: $(head -c 300 "$out/one.err")"
		fi
	done
done

# Merged reads count both: report's events are twice one recording's.
n1=$(build/bin/schedprof report "$kept" --json --no-fixes | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
n2=$(build/bin/schedprof report "$out/two" --merge --json --no-fixes 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
if [ -n "$n1" ] && [ "$n2" = $((2 * n1)) ]; then
	pass "report --merge read every event of both recordings ($n2 = 2 x $n1)"
else
	bad "report --merge: $n2 events, expected 2 x $n1"
fi

# Six recordings: three named, then how many more.
build/bin/schedprof report "$out/six" --no-fixes >"$out/six.out" 2>"$out/six.err"
rc=$?
if [ $rc = 2 ] && [ "$(cat "$out/six.err")" = "schedprof: traces of 6 different recordings (give the directory of one, or --merge to read them together): $abs/six/r1: session $session; $abs/six/r2: session ${session/schedprof/schedprog}; $abs/six/r3: session ${session/schedprof/schedproh}; and 3 more" ]; then
	pass "six recordings: refused, the first three named, and 3 more"
else
	bad "six recordings: exit $rc: $(head -c 400 "$out/six.err")"
fi

# --merge where it means nothing.
build/bin/schedreplay "$out/two" --merge --save "$out/w.workload" 2>/dev/null
check_usage() {
	local want=$1
	shift
	"$@" >"$out/u.out" 2>"$out/u.err"
	local rc=$?
	if [ $rc = 2 ] && [ ! -s "$out/u.out" ] && [ "$(cat "$out/u.err")" = "$want" ]; then
		pass "$* : exit 2, '$want'"
	else
		bad "$*: exit $rc: $(head -c 300 "$out/u.err")"
	fi
}
check_usage "schedreplay: --merge reads the traces of a directory; $out/w.workload is a workload file" \
	build/bin/schedreplay "$out/w.workload" --merge
check_usage "schedtop: --merge reads trace directories: not with -p alone" \
	build/bin/schedtop -p 1 --merge
exit $fail
