#!/usr/bin/env python3
"""One command-line grammar across the tools (docs/schedprof.md, docs/
schedtop.md, docs/schedreplay.md), checked mechanically from the sources,
so that a new option cannot be added without its line in --help:

- every long option in a parser's table appears in its command's --help:
  the `static const struct option NAME[] = { { "name", ...` tables of the C
  files under tools/, and for a schedprof subcommand parsed by hand
  (record.c) every "--name" it compares an argument with (strcmp(a, ...),
  opt_value(...)); a file with a table is mapped to its command: a
  schedprof subcommand file defines sp_NAME_main, tools/replay/main.c is
  schedreplay, tools/schedtop/main.c is schedtop (another file with a table
  fails the test until it is mapped here);
- `schedprof COMMAND --help` and `schedprof help COMMAND` print the same
  text, exit 0, for every command of main.c's table (a command added there
  is checked without touching this script); `schedprof help` and
  `schedprof --help` print the same list, naming every command; `schedprof
  help NOSUCH` exits 2 with one line naming the commands;
- --version, for schedprof, schedtop and schedreplay: exit 0 and exactly
  "TOOL (libsched) X.Y.Z" (the Makefile's VERSION_*) then "trace schema N
  (URI)" (tracepoints/schema.h);
- option errors, one grammar, exactly one line on stderr, nothing on
  stdout, exit 2, for schedprof, schedprof help, every schedprof command
  schedreplay and schedtop:
  "TOOL: [COMMAND: ]unknown option '--bogus' (see TOOL [COMMAND] --help)",
  and for every option of the parser's table that takes a value, given
  last: "TOOL: [COMMAND: ]--NAME needs a value (see TOOL [COMMAND]
  --help)"; `schedprof -V` is an unknown option, not an unknown command;
  `schedprof help --help` prints help's help;
- --version on every command too (`schedprof report --version`: the
  tool's version), and alone: `TOOL [COMMAND] --version extra` is refused,
  "TOOL: [COMMAND: ]--version goes alone, not with 'extra' (see ...)";
- --pid: in the table and the help of every reader that has it today
  (PID_TOOLS), and working: the pid of the kept trace tests/traces/
  before-cpu reads, a pid not in it exits 2 (schedtop's --pid attaches to
  a live process, as -p: scripts/test-schedtop.sh tests it).

    scripts/test-cli.py   (make tools)

Exit status 0 if all passed.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
BIN = "build/bin"
KEPT = "tests/traces/before-cpu"
KEPT_PID = "17787"  # the vpid of every event of KEPT (babeltrace2 KEPT)

failed = False


def ok(what):
    print("  PASS     cli: " + what)


def bad(what):
    global failed
    print("  FAIL     cli: " + what)
    failed = True


def run(argv):
    r = subprocess.run([os.path.join(BIN, argv[0])] + argv[1:],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def option_tables(text):
    """The long names of every getopt_long table in a C file."""
    names = []
    for m in re.finditer(r"static const struct option \w+\[\] = \{(.*?)\n\t*\};",
                         text, re.S):
        names += re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,', m.group(1))
    return names


def hand_parsed(text):
    """The options a hand-written parser compares its arguments with."""
    names = re.findall(r'strcmp\(a, "--([a-z][a-z0-9-]*)"\)', text)
    names += re.findall(r'opt_value\([^;]*?"--([a-z][a-z0-9-]*)"', text, re.S)
    return sorted(set(names))


def listed(name, helptext):
    return re.search(r"(?<![\w-])--" + re.escape(name) + r"(?![\w-])",
                     helptext) is not None


# ---- the parsers and their commands ---------------------------------------
parsers = []  # (source, help argv, [long names])
for d in sorted(os.listdir("tools")):
    for f in sorted(os.listdir(os.path.join("tools", d))):
        if not f.endswith(".c"):
            continue
        path = os.path.join("tools", d, f)
        text = open(path).read()
        names = option_tables(text)
        sub = re.search(r"^int sp_(\w+)_main\(", text, re.M)
        if d == "schedprof" and sub:
            if not names:
                names = hand_parsed(text)
            parsers.append((path, ["schedprof", sub.group(1), "--help"], names))
        elif path == "tools/replay/main.c":
            parsers.append((path, ["schedreplay", "--help"], names))
        elif path == "tools/schedtop/main.c":
            parsers.append((path, ["schedtop", "--help"], names))
        elif names:
            bad(f"{path} has an option table but no command here: map it "
                "in scripts/test-cli.py")

for path, argv, names in parsers:
    if not names:
        bad(f"{path}: no option found in its parser")
        continue
    rc, out, err = run(argv)
    if rc != 0 or err:
        bad(f"{' '.join(argv)}: exit {rc}: {err.strip()[:200]}")
        continue
    missing = [n for n in names if not listed(n, out)]
    if missing:
        bad(f"{' '.join(argv)} does not list " +
            ", ".join("--" + n for n in missing) + f" ({path} accepts them)")
    else:
        ok(f"{' '.join(argv)} lists all {len(names)} options of {path}")

# ---- schedprof help ---------------------------------------------------------
main_c = open("tools/schedprof/main.c").read()
commands = re.findall(r'^\t\{ "([a-z]+)", sp_\w+_main, sp_\w+_help,', main_c,
                      re.M)
if not commands:
    bad("no command found in tools/schedprof/main.c's table")
for c in commands:
    r1 = run(["schedprof", c, "--help"])
    r2 = run(["schedprof", "help", c])
    if r1[0] != 0 or r2[0] != 0 or r1[1] != r2[1] or not r1[1] or r1[2] or r2[2]:
        bad(f"schedprof {c} --help (exit {r1[0]}) and schedprof help {c} "
            f"(exit {r2[0]}) differ or fail")
    elif not r1[1].startswith(f"usage: schedprof {c} "):
        bad(f"schedprof help {c} does not start with its usage line")
    else:
        ok(f"schedprof {c} --help = schedprof help {c} "
           f"({len(r1[1].splitlines())} lines)")
r1 = run(["schedprof", "help"])
r2 = run(["schedprof", "--help"])
if r1[0] != 0 or r1[1] != r2[1] or r2[0] != 0:
    bad("schedprof help and schedprof --help differ")
elif [c for c in commands + ["help"] if not re.search(
        r"^  " + c + r" ", r1[1], re.M)] or not listed("version", r1[1]) or \
        not listed("help", r1[1]):
    bad("schedprof help does not name every command, --help and --version")
else:
    ok("schedprof help = schedprof --help, naming " + ", ".join(commands))
rc, out, err = run(["schedprof", "help", "nosuch"])
names = ", ".join(commands[:-1]) + " or " + commands[-1]
want = f"schedprof: help: unknown command 'nosuch' ({names})\n"
if rc != 2 or out or err != want:
    bad(f"schedprof help nosuch: exit {rc}: {err!r}, expected {want!r}")
else:
    ok("schedprof help nosuch: exit 2, one line naming the commands")

# ---- --version ---------------------------------------------------------------
mk = open("Makefile").read()
version = ".".join(re.search(r"^VERSION_%s := (\d+)" % p, mk, re.M).group(1)
                   for p in ("MAJOR", "MINOR", "PATCH"))
schema = open("tracepoints/schema.h").read()
num = re.search(r'#define LSCHED_TRACE_SCHEMA_STR "(\d+)"', schema).group(1)
uri = re.search(r'LSCHED_TRACE_SCHEMA_URI\s*\\?\s*"([^"]+)"\s*'
                r'(LSCHED_TRACE_SCHEMA_STR)?', schema)
uri = uri.group(1) + (num if uri.group(2) else "")
for tool in ("schedprof", "schedtop", "schedreplay"):
    rc, out, err = run([tool, "--version"])
    want = f"{tool} (libsched) {version}\ntrace schema {num} ({uri})\n"
    if rc != 0 or out != want or err:
        bad(f"{tool} --version: exit {rc}: {out!r}, expected {want!r}")
    else:
        ok(f"{tool} --version: {version}, trace schema {num}")

# ---- option errors: one grammar, one line ---------------------------------------
# Commands whose option errors are their own (none now: diff's follow the
# grammar too).
OWN_MESSAGES = set()


def value_options(text):
    """The long options of a C file's parser that take a value."""
    names = []
    for m in re.finditer(r"static const struct option \w+\[\] = \{(.*?)\n\t*\};",
                         text, re.S):
        names += re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*required_argument',
                            m.group(1))
    if not names:
        names = re.findall(r'opt_value\([^;]*?"--([a-z][a-z0-9-]*)"', text, re.S)
    return sorted(set(names))


def one_line(argv, want, what):
    rc, out, err = run(argv)
    if rc != 2 or out or err != want + "\n":
        bad(f"{' '.join(argv)}: exit {rc}, stdout {len(out)} bytes, "
            f"stderr {err!r}, expected exit 2 and {want!r}")
        return False
    return True


grammar = [(["schedprof"], None, None), (["schedprof", "help"], None, None)]
for path, argv, names in parsers:
    if argv[0] == "schedprof" and argv[1] in OWN_MESSAGES:
        continue
    grammar.append((argv[:-1], path, None))
for cmd, path, _ in grammar:
    tool, sub = cmd[0], " ".join(cmd[1:])
    pre = f"{tool}: " + (f"{sub}: " if sub else "")
    see = f" (see {' '.join(cmd)} --help)"
    good = one_line(cmd + ["--bogus"], pre + "unknown option '--bogus'" + see,
                    "unknown option")
    vals = value_options(open(path).read()) if path else []
    for v in vals:
        good &= one_line(cmd + [f"--{v}"], pre + f"--{v} needs a value" + see,
                         "missing value")
    if good:
        ok(f"{' '.join(cmd)}: an unknown option and each of its {len(vals)} "
           "options given without a value: one line, exit 2")
# Short options given without their value: the same line, short-named.
shorts = [(["schedprof", "record"], "-o"), (["schedprof", "report"], "-o"),
          (["schedreplay"], "-o"), (["schedtop"], "-p"), (["schedtop"], "-d"),
          (["schedtop"], "-n"), (["schedtop"], "-s")]
if all([one_line(cmd + [o], f"{cmd[0]}: " +
                 (f"{cmd[1]}: " if cmd[1:] else "") +
                 f"{o} needs a value (see {' '.join(cmd)} --help)", "")
        for cmd, o in shorts]):
    ok("short options without their value: " +
       ", ".join(" ".join(c + [o]) for c, o in shorts))
one_line(["schedprof", "-V"],
         "schedprof: unknown option '-V' (see schedprof --help)", "-V")
rc, out, err = run(["schedprof", "help", "--help"])
if rc != 0 or err or not out.startswith("usage: schedprof help [COMMAND]\n"):
    bad(f"schedprof help --help: exit {rc}: {err.strip()[:200]}")
else:
    ok("schedprof help --help: help's help, exit 0")

# --version: on every command, and alone.
for cmd in [["schedprof"]] + [["schedprof", c] for c in commands
                               if c not in OWN_MESSAGES] + \
        [["schedtop"], ["schedreplay"]]:
    tool, sub = cmd[0], " ".join(cmd[1:])
    rc, out, err = run(cmd + ["--version"])
    if rc != 0 or err or not out.startswith(f"{tool} (libsched) {version}\n"):
        bad(f"{' '.join(cmd)} --version: exit {rc}: {out!r} {err!r}")
        continue
    pre = f"{tool}: " + (f"{sub}: " if sub else "")
    see = f" (see {' '.join(cmd)} --help)"
    good = one_line(cmd + ["--version", "extra"],
                    pre + "--version goes alone, not with 'extra'" + see, "")
    good &= one_line(cmd + ["--version", "--bogus"],
                     pre + "--version goes alone, not with '--bogus'" + see,
                     "")
    if good:
        ok(f"{' '.join(cmd)} --version: the version; with anything else "
           "refused, one line")

# ---- --pid -------------------------------------------------------------------
PID_TOOLS = [
    (["schedprof", "report"], ["--no-fixes"], "tools/schedprof/report.c"),
    (["schedreplay"], [], "tools/replay/main.c"),
    (["schedprof", "export"], ["--perfetto", "/dev/stdout"],
     "tools/schedprof/export.c"),
    (["schedprof", "diff", KEPT], [], "tools/schedprof/diff.c"),
]
# A TRACE=0 build's schedreplay refuses to replay (it could not measure
# the replay: exit 1, docs/errors.md): there its --pid is checked through
# --save, which reads the trace for that pid and writes the workload.
SAVED = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                     f"test-cli-{os.getpid()}.wl")
for cmd, extra, src in PID_TOOLS:
    name = " ".join(cmd)
    if "pid" not in option_tables(open(src).read()):
        bad(f"{name}: no --pid in {src}'s table")
        continue
    if cmd == ["schedreplay"] and os.environ.get("TRACE") == "0":
        extra = extra + ["--save", SAVED]
        name += " --save (TRACE=0)"
    rc, out, err = run(cmd + [KEPT, "--pid", KEPT_PID] + extra)
    if "--save" in extra and rc == 0:
        with open(SAVED) as f:
            out = f.read()
        os.unlink(SAVED)
    rc2, out2, err2 = run(cmd + [KEPT, "--pid", "999999999"] + extra)
    if rc != 0 or not out:
        bad(f"{name} --pid {KEPT_PID} {KEPT}: exit {rc}: {err.strip()[:200]}")
    elif rc2 != 2 or out2 or len(err2.splitlines()) != 1:
        bad(f"{name} --pid 999999999: exit {rc2}, {err2.strip()[:200]}")
    else:
        ok(f"{name} --pid: the trace's pid reads, another exits 2 "
           f"({err2.strip()})")

# ---- export to what is not a regular file ---------------------------------------
# --perfetto /dev/stdout pipes the JSON (the summary on stderr) and leaves
# /dev/stdout a link; a symbolic link to a file stays a link, the file
# written through it. (Written beside and renamed, it replaced them.)
import json
import tempfile
rc, out, err = run(["schedprof", "export", KEPT, "--perfetto", "/dev/stdout"])
try:
    events = len(json.loads(out)["traceEvents"])
except (ValueError, KeyError):
    events = -1
if rc != 0 or events <= 0 or not os.path.islink("/dev/stdout") or \
        "trace events" not in err:
    bad(f"export --perfetto /dev/stdout: exit {rc}, {events} events on "
        f"stdout, /dev/stdout a link: {os.path.islink('/dev/stdout')}")
else:
    ok(f"export --perfetto /dev/stdout: {events} events of JSON on stdout, "
       "the summary on stderr, /dev/stdout still a link")
with tempfile.TemporaryDirectory() as d:
    target, link = os.path.join(d, "real.json"), os.path.join(d, "link.json")
    open(target, "w").close()
    os.symlink(target, link)
    rc, out, err = run(["schedprof", "export", KEPT, "--perfetto", link])
    if rc != 0 or not os.path.islink(link) or os.path.getsize(target) == 0:
        bad(f"export --perfetto LINK: exit {rc}, link kept: "
            f"{os.path.islink(link)}, {os.path.getsize(target)} bytes "
            "written through it")
    else:
        ok("export --perfetto LINK: written through the link, the link kept")

sys.exit(1 if failed else 0)
