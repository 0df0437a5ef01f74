#!/usr/bin/env bash
# schedprof on bad input (root: LTTng). Every input below must make both
# `schedprof report` and `schedprof export --perfetto` exit with status 2,
# print exactly one line on stderr, starting with "schedprof: ", print
# nothing on stdout, leave no Perfetto file behind, and neither crash nor
# hang; and valgrind must find no invalid access in either.
#
# The inputs are made under build/schedprof-badinput-test/ (cleaned
# first) from a real trace recorded there (trace_workload under
# `schedprof record`), and from two small LTTng sessions of our own:
#
#   missing             a path that does not exist
#   empty-dir           an empty directory
#   not-ctf             a directory of files that are not a trace
#   plain-file          a regular file given as the trace
#   garbage-metadata    a trace directory whose metadata is not CTF
#   foreign             a CTF trace of another provider only
#                       (lttng_ust_libc:*, through liblttng-ust-libc-wrapper)
#   no-libsched-events  the libsched provider registered, no event recorded
#                       (a filter that never matches)
#   stream-truncated    a stream file cut in the middle of a packet
#   stream-truncated-noindex   the same without the index/ directory
#   stream-bad-magic    a packet whose magic number is wrong
#   stream-bad-size     a packet whose content size exceeds its size
#   stream-corrupt      0xff bytes over the middle of a packet's events
#                       (checked: babeltrace2 rejects it too)
#   schema-99           text metadata (babeltrace2 --output-format=
#                       ctf-metadata) with the schema URI's version 99
#   schema-3-packetized the packetized metadata patched in place, version 3
#   no-schema           text metadata without any model.emf.uri
#   metadata-truncated  the packetized metadata cut in the middle of a
#                       packet
#   metadata-syntax     a syntax error inside the packetized metadata (a
#                       keyword overwritten; packet sizes intact)
#   index-corrupt       an index entry pointing past its stream file
#   good-and-missing    a good trace and a missing path together
#   flight-*            the good trace as a flight-recorder save whose
#                       marker (schedprof-flight.json) is bad: empty,
#                       not JSON, cut short, not an object, version 2, no
#                       rule, a rule not a string, a pid not an integer,
#                       a prio out of range, a loop not an address, more
#                       than 1 MiB, not UTF-8, a directory
#
#   scripts/test-schedprof-badinput.sh   (make build/bin/schedprof
#                                         build/tests/trace_workload
#                                         build/lib/libsched-lttng.so)
#
# Each command runs under a 30 s timeout (a hang is a failure). Set
# VALGRIND=0 to skip the valgrind runs. Exit status 0 if all passed.
set -uo pipefail
# Under make check SANITIZE=address the workload is instrumented: it must
# accept the provider preloaded into it (no-libsched-events).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
cd "$(dirname "$0")/.." || exit 1
# babeltrace2's own leak on damaged metadata is suppressed, with the reason
# beside it (scripts/lsan.supp); its frames can only be named with the slow
# unwinder (the plugin has no frame pointers), so these runs use it.
export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
out=build/schedprof-badinput-test
bin=build/bin/schedprof
wl=build/tests/trace_workload
provider=build/lib/libsched-lttng.so
limit=30
fail=0
pass() { echo "  PASS     schedprof-badinput: $*"; }
bad() { echo "  FAIL     schedprof-badinput: $*"; fail=1; }
skip() { echo "  SKIP     schedprof-badinput: $*"; }

for f in "$bin" "$wl" "$provider"; do
	if [ ! -e "$f" ]; then
		bad "$f is missing: make $f"
		exit 1
	fi
done
for cmd in python3 babeltrace2 lttng; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		bad "$cmd not found (make deps, as root)"
		exit 1
	fi
done
rm -rf "$out"
mkdir -p "$out/in"
in=$out/in

# ---- the inputs ---------------------------------------------------------

if ! timeout 120 "$bin" record -o "$out/good" -- "$wl" >/dev/null \
	2>"$out/record.err"; then
	bad "recording the base trace failed: $(tail -1 "$out/record.err")"
	exit 1
fi
if ! "$bin" report "$out/good" >/dev/null 2>"$out/good.err"; then
	bad "the base trace is not good: $(head -1 "$out/good.err")"
	exit 1
fi

mkdir -p "$in/empty-dir" "$in/not-ctf/sub"
echo "not a trace" >"$in/not-ctf/README"
printf 'x\n' >"$in/not-ctf/sub/data"
echo "not a trace either" >"$in/plain-file"

# Sessions of our own, with the lttng command; removed on exit.
sessions=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for s in "${sessions[@]}"; do
		lttng destroy "$s" >/dev/null 2>&1
	done
}
trap cleanup EXIT
# lttng_session NAME DIR EVENT [enable-event options] -- CMD...
lttng_session() {
	local name=$1 dir=$2 ev=$3 opts=()

	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	sessions+=("$name")
	lttng create "$name" --output="$dir" >/dev/null &&
		lttng enable-event -u "$ev" -s "$name" "${opts[@]}" >/dev/null &&
		lttng start "$name" >/dev/null &&
		"$@" >/dev/null 2>&1
	local rc=$?
	lttng stop "$name" >/dev/null 2>&1
	lttng destroy "$name" >/dev/null 2>&1
	return $rc
}
libc_wrapper=$(ldconfig -p 2>/dev/null | awk '/liblttng-ust-libc-wrapper\.so/ { print $NF; exit }')
if [ -z "$libc_wrapper" ]; then
	skip "foreign: liblttng-ust-libc-wrapper.so not found (liblttng-ust1)"
elif ! lttng_session "schedprof-badinput-$$-foreign" "$PWD/$in/foreign" \
	'lttng_ust_libc:*' -- env LD_PRELOAD="$libc_wrapper" ls / ||
	[ ! -f "$(find "$in/foreign" -name metadata -print -quit 2>/dev/null)" ]; then
	bad "foreign: could not record an lttng_ust_libc trace"
	rm -rf "$in/foreign"
fi
# shellcheck disable=SC2016 # the filter is LTTng's, not the shell's
if ! lttng_session "schedprof-badinput-$$-noev" "$PWD/$in/no-libsched-events" \
	'libsched:*' --filter '$ctx.vpid == 0' -- \
	env LD_PRELOAD="$PWD/$provider" "$wl" ||
	[ ! -f "$(find "$in/no-libsched-events" -name metadata -print -quit 2>/dev/null)" ]; then
	bad "no-libsched-events: could not record the trace"
	rm -rf "$in/no-libsched-events"
fi

# The damaged copies of the good trace. LTTng 2.13's layout: a stream
# packet starts with its header (magic 0xc1fc1fc1, uuid, stream id and
# instance id: 32 bytes) and context (timestamps at 32 and 40, then
# content_size at 48 and packet_size at 56, in bits); an index file
# (index/STREAM.idx) is a header of 16 bytes (magic 0xc1f1dcc1, version,
# entry length) then one big-endian entry per packet, its offset first;
# packetized metadata is packets of 37-byte headers (magic 0x75d11d57)
# with content_size and packet_size (bits) at 24 and 28.
if ! python3 - "$out/good" "$in" >"$out/make-inputs.log" 2>&1 <<'PY'
import os, shutil, struct, subprocess, sys

good, dest = sys.argv[1], sys.argv[2]
tdir = None
for root, dirs, files in os.walk(good):
    if "metadata" in files:
        tdir = os.path.relpath(root, good)
        break
if tdir is None:
    sys.exit("no trace directory under " + good)

def copy(name):
    d = os.path.join(dest, name)
    shutil.copytree(good, d)
    return os.path.join(d, tdir)

def packets(path):
    """(offset, content bytes, packet bytes) of each packet of a stream."""
    data = open(path, "rb").read()
    off, out = 0, []
    while off + 64 <= len(data):
        magic, = struct.unpack_from("<I", data, off)
        cs, ps = struct.unpack_from("<QQ", data, off + 48)
        if magic != 0xC1FC1FC1 or ps == 0 or cs > ps:
            sys.exit("%s: unexpected packet at %d" % (path, off))
        out.append((off, cs // 8, ps // 8))
        off += ps // 8
    return out

def streams(t):
    return sorted(f for f in os.listdir(t)
                  if os.path.isfile(os.path.join(t, f)) and f != "metadata")

# The stream with the most events (the biggest content) and its packet.
t0 = os.path.join(good, tdir)
best = max(((f, p) for f in streams(t0) for p in packets(os.path.join(t0, f))),
           key=lambda fp: fp[1][1])
sname, (poff, pcs, pps) = best
if pcs < 2048:
    sys.exit("the base trace has too few events")

t = copy("stream-truncated")
os.truncate(os.path.join(t, sname), poff + pcs // 2)
t = copy("stream-truncated-noindex")
os.truncate(os.path.join(t, sname), poff + pcs // 2)
shutil.rmtree(os.path.join(t, "index"))

t = copy("stream-bad-magic")
with open(os.path.join(t, sname), "r+b") as f:
    f.seek(poff)
    f.write(b"\xde\xad\xbe\xef")

t = copy("stream-bad-size")
with open(os.path.join(t, sname), "r+b") as f:
    f.seek(poff + 48)
    f.write(struct.pack("<Q", pps * 8 * 1024))

# 0xff over 512 bytes of events: event id 65535 (an extended header) then
# id 0xffffffff, which no event class has. Moved until babeltrace2 itself
# rejects the copy, so that it is certainly corrupt.
for k in range(8):
    name = "stream-corrupt"
    if os.path.exists(os.path.join(dest, name)):
        shutil.rmtree(os.path.join(dest, name))
    t = copy(name)
    at = poff + 128 + (pcs - 128 - 512) * (k + 1) // 9
    with open(os.path.join(t, sname), "r+b") as f:
        f.seek(at)
        f.write(b"\xff" * 512)
    r = subprocess.run(["babeltrace2", os.path.join(dest, name)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
    if r.returncode != 0:
        break
else:
    sys.exit("stream-corrupt: babeltrace2 reads every corrupted copy")

# Metadata in text form, as babeltrace2 prints it.
text = subprocess.run(["babeltrace2", "--output-format=ctf-metadata", t0],
                      capture_output=True, text=True, check=True).stdout
uri = 'model.emf.uri = "urn:libsched:trace-schema:2";'
if not text.startswith("/* CTF 1.8 */") or uri not in text:
    sys.exit("unexpected text metadata")
t = copy("schema-99")
open(os.path.join(t, "metadata"), "w").write(
    text.replace(uri, uri.replace(":2\"", ":99\"")))
t = copy("no-schema")
open(os.path.join(t, "metadata"), "w").write(
    "".join(l for l in text.splitlines(True) if "model.emf.uri" not in l))

meta = open(os.path.join(t0, "metadata"), "rb").read()
magic, = struct.unpack_from("<I", meta, 0)
if magic != 0x75D11D57:
    sys.exit("the base trace's metadata is not packetized")
t = copy("schema-3-packetized")
old = b'urn:libsched:trace-schema:2"'
if old not in meta:
    sys.exit("no schema URI in the packetized metadata")
open(os.path.join(t, "metadata"), "wb").write(
    meta.replace(old, b'urn:libsched:trace-schema:3"'))

mcs, mps = struct.unpack_from("<II", meta, 24)
t = copy("metadata-truncated")
os.truncate(os.path.join(t, "metadata"), mcs // 8 // 2)

t = copy("garbage-metadata")
open(os.path.join(t, "metadata"), "w").write("this is not CTF metadata\n")

# A syntax error inside the packetized metadata, packet sizes intact: the
# first "struct {" after the first packet's header made "Q#ruct {". This
# trips a leak inside babeltrace2's ctf plugin (scripts/lsan.supp), which
# must not change the exit status under AddressSanitizer.
t = copy("metadata-syntax")
at = meta.find(b"struct {", 64)
if at < 0:
    sys.exit("no 'struct {' in the packetized metadata")
with open(os.path.join(t, "metadata"), "r+b") as f:
    f.seek(at)
    f.write(b"Q#")

t = copy("index-corrupt")
idx = os.path.join(t, "index", sname + ".idx")
size = os.path.getsize(os.path.join(t, sname))
with open(idx, "r+b") as f:
    hdr = f.read(16)
    if struct.unpack_from(">I", hdr, 0)[0] != 0xC1F1DCC1:
        sys.exit("unexpected index file " + idx)
    f.seek(16)
    f.write(struct.pack(">Q", size * 16))
PY
then
	bad "making the damaged traces failed: $(tail -1 "$out/make-inputs.log")"
	exit 1
fi

# Flight-recorder saves with a bad marker (tools/common/flightmark.h).
flight_ok='"schedprof_flight": 1, "save": 1, "rules": ["starve>150ms"], "saved_at": "2026-12-07T12:03:01Z"'
flight() {
	mkdir -p "$in/flight-$1"
	cp -r "$out/good/." "$in/flight-$1/"
	printf '%s' "$2" >"$in/flight-$1/schedprof-flight.json"
}
flight empty ''
flight not-json 'this is not JSON'
flight cut '{"schedprof_flight": 1, "save": 1, "rule": "starve>'
flight not-object '[1, 2, 3]'
flight version-2 '{"schedprof_flight": 2}'
flight no-rule "{$flight_ok, \"pid\": 1}"
flight rule-number "{$flight_ok, \"pid\": 1, \"rule\": 150}"
flight pid-string "{$flight_ok, \"pid\": \"1234\", \"rule\": \"run>1ms\"}"
flight prio-99 "{$flight_ok, \"pid\": 1, \"rule\": \"run>1ms\", \"kind\": 0, \"prio\": 99}"
flight loop-bad "{$flight_ok, \"pid\": 1, \"rule\": \"run>1ms\", \"loop\": \"0xZZ\"}"
flight not-utf8 "{$flight_ok, \"pid\": 1, \"rule\": \"run$(printf '\377')\"}"
flight huge ''
python3 -c 'import sys; open(sys.argv[1], "w").write("{\"pad\": \"" + "x" * (1 << 20) + "\"}")' \
	"$in/flight-huge/schedprof-flight.json"
flight dir ''
rm -f "$in/flight-dir/schedprof-flight.json"
mkdir "$in/flight-dir/schedprof-flight.json"

# ---- the checks ---------------------------------------------------------

cases=(missing empty-dir not-ctf plain-file garbage-metadata foreign
       no-libsched-events stream-truncated stream-truncated-noindex
       stream-bad-magic stream-bad-size stream-corrupt schema-99
       schema-3-packetized no-schema metadata-truncated metadata-syntax
       index-corrupt good-and-missing flight-empty flight-not-json
       flight-cut flight-not-object flight-version-2 flight-no-rule
       flight-rule-number flight-pid-string flight-prio-99 flight-loop-bad
       flight-not-utf8 flight-huge flight-dir)

# args CASE: the trace paths of a case, one per line.
args() {
	case $1 in
	missing) echo "$in/missing" ;;
	good-and-missing) printf '%s\n' "$out/good" "$in/missing" ;;
	*) echo "$in/$1" ;;
	esac
}

# run CASE CMD: runs report or export on the case (under $wrap), leaves
# rc, stdout and stderr in $out/CASE.CMD.{rc,out,err}.
wrap=()
run() {
	local c=$1 cmd=$2 paths=() rc

	mapfile -t paths < <(args "$c")
	rm -f "$out/$c.perfetto.json" "$out/$c.perfetto.json.tmp"
	# (The braces keep bash's own "Killed" or "Aborted" off the output:
	# the verdict says it.)
	if [ "$cmd" = report ]; then
		{ timeout -s KILL "$limit" "${wrap[@]}" "$bin" report "${paths[@]}" \
			>"$out/$c.$cmd.out" 2>"$out/$c.$cmd.err"; } 2>/dev/null
	else
		{ timeout -s KILL "$limit" "${wrap[@]}" "$bin" export "${paths[@]}" \
			--perfetto "$out/$c.perfetto.json" \
			>"$out/$c.$cmd.out" 2>"$out/$c.$cmd.err"; } 2>/dev/null
	fi
	rc=$?
	echo "$rc" >"$out/$c.$cmd.rc"
	return 0
}

# verdict CASE CMD: empty if the run behaved, else what went wrong.
verdict() {
	local c=$1 cmd=$2 rc lines first

	rc=$(cat "$out/$c.$cmd.rc")
	lines=$(awk 'END { print NR }' "$out/$c.$cmd.err")
	first=$(head -1 "$out/$c.$cmd.err")
	if [ "$rc" = 137 ]; then
		echo "hung: killed after $limit s"
	elif [ "$rc" -ge 128 ]; then
		echo "crashed: exit $rc (signal $((rc - 128))); stderr: $(head -c 300 "$out/$c.$cmd.err" | tr '\n' '|')"
	elif [ "$rc" != 2 ]; then
		echo "exit $rc, want 2; stderr: $first"
	elif [ "$lines" != 1 ]; then
		echo "$lines lines on stderr, want 1: $(head -c 300 "$out/$c.$cmd.err" | tr '\n' '|')"
	elif [ "${first#schedprof: }" = "$first" ]; then
		echo "stderr does not start with 'schedprof: ': $first"
	elif [ -s "$out/$c.$cmd.out" ]; then
		echo "wrote on stdout: $(head -1 "$out/$c.$cmd.out")"
	elif [ "$cmd" = export ] && [ -e "$out/$c.perfetto.json" ] ||
	     [ -e "$out/$c.perfetto.json.tmp" ]; then
		echo "left a Perfetto file behind"
	fi
}

for c in "${cases[@]}"; do
	if [ "$c" != missing ] && [ "$c" != good-and-missing ] && [ ! -e "$in/$c" ]; then
		skip "$c: input not made"
		continue
	fi
	for cmd in report export; do
		run "$c" "$cmd"
		v=$(verdict "$c" "$cmd")
		if [ -z "$v" ]; then
			pass "$cmd $c: exit 2, $(cat "$out/$c.$cmd.err")"
		else
			bad "$cmd $c: $v"
		fi
	done
done

# ---- valgrind -----------------------------------------------------------

if [ "${VALGRIND:-1}" = 0 ]; then
	skip "valgrind: VALGRIND=0"
	exit $fail
fi
if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind: not installed"
	exit $fail
fi
limit=180
vg_fail=0
for c in "${cases[@]}"; do
	[ "$c" = missing ] || [ "$c" = good-and-missing ] || [ -e "$in/$c" ] || continue
	for cmd in report export; do
		# What hangs or aborts without valgrind is reported above.
		rc=$(cat "$out/$c.$cmd.rc")
		if [ "$rc" -ge 128 ]; then
			skip "valgrind $cmd $c: it already failed without valgrind (exit $rc)"
			continue
		fi
		wrap=(valgrind -q --error-exitcode=99 --log-file="$out/$c.$cmd.vg")
		run "$c" "$cmd"
		rc=$(cat "$out/$c.$cmd.rc")
		if [ "$rc" = 99 ] || [ -s "$out/$c.$cmd.vg" ]; then
			bad "valgrind $cmd $c: exit $rc; $(grep -m1 -E 'Invalid|uninitialised|Conditional|Mismatched|overlap' "$out/$c.$cmd.vg" || head -1 "$out/$c.$cmd.vg")"
			vg_fail=1
		fi
	done
done
wrap=()
[ $vg_fail = 0 ] && pass "valgrind: no error in any run of report or export on these inputs"
exit $fail
