#!/usr/bin/env python3
"""Runs every row of docs/errors.md's bad-input tables and checks that the
tool answers exactly as documented: the exit status, and the first line of
stderr against the documented message (`*` matches anything, nothing else
is special); nothing on stdout when the status is not 0. So the document
and the tools cannot drift apart.

A table is checked when its header is `| case | command | exit | stderr |`;
the command and stderr cells are in backquotes. In a command, `schedprof`
(or any tool of build/bin) is ours, and these are set:
  $IN    the bad inputs scripts/test-schedprof-badinput.sh made
         (build/schedprof-badinput-test/in: missing, empty-dir, not-ctf,
         plain-file, stream-bad-magic, schema-99, ...)
  $GOOD  the good trace it recorded (build/schedprof-badinput-test/good)
  $FIX   fixtures made here (build/errors-doc-test): file (a regular file),
         nonempty/ (a directory with a file in it), private/ (a copy of the
         good trace only root may read), public/ (one anyone may read),
         ro/ (a directory only root may write), out/ (an empty scratch
         directory), recording/ (a copy of the good trace that a live
         `schedprof record` seems to write: its marker names pid 1),
         small/ (a 5 MiB tmpfs on 2 CPUs, 2 MiB more per CPU more) and
         tiny/ (a 1 MiB tmpfs), mounted here
         and unmounted at the end, even on failure
A command starting with `nobody:` runs as user nobody (setpriv), for the
permission cases. In the stderr cell the same $NAMES are replaced by their
values. Root (the fixtures' owners, setpriv); run after the bad-input test,
as make check does.

A checkout in a directory that nobody cannot enter (a root's /root, a
`mktemp -d`) would make every nobody row fail for the wrong reason: then
the tools (build/bin, and the provider in build/lib) and $FIX are copied
into a directory of their own under $TMPDIR (or /tmp) that anyone may
enter, the nobody rows run from there, and the copy is removed at the end.
When no such copy can be made (no user nobody, no setpriv, nothing nobody
can reach), the nobody rows are skipped, each with the reason.

    scripts/test-errors-doc.py [docs/errors.md]

Exit status 0 if every row passed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
DOC = sys.argv[1] if len(sys.argv) > 1 else "docs/errors.md"
BADIN = "build/schedprof-badinput-test"
FIX = "build/errors-doc-test"
HEADER = ["case", "command", "exit", "stderr"]


def without_sanitizer_reports(text):
    """stderr's lines without the blocks a sanitizer prints between two
    '==================' lines. A traced command shares the tool's stderr:
    under TSan, LTTng-UST's RCU-deferred probe release, when tracing stops
    while the command emits, is reported as a race in the command (TSan
    does not see RCU's ordering). A report in the tool itself still fails
    the row: the sanitizer changes its exit status."""
    out, inside = [], False
    for line in (text or "").splitlines():
        if line.startswith("=================="):
            inside = not inside
            continue
        if not inside:
            out.append(line)
    return out
LIMIT = 60

failures = 0


def report(ok, msg):
    global failures
    print(("  PASS     " if ok else "  FAIL     ") + "errors.md: " + msg)
    if not ok:
        failures += 1


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def unquote(cell):
    m = re.fullmatch(r"`(.*)`", cell)
    return m.group(1) if m else None


def rows(path):
    """(section, case, command, exit, stderr) for each checked row."""
    section, table = None, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("## "):
                section = line[3:].strip()
                table = False
                continue
            if not line.startswith("|"):
                table = False
                continue
            c = cells(line)
            if [x.lower() for x in c] == HEADER:
                table = True
                continue
            if not table or set(line.strip()) <= set("|-: "):
                continue
            # A | inside a backquoted cell would split it: none is used.
            if len(c) != 4 or unquote(c[1]) is None or unquote(c[3]) is None \
                    or not c[2].isdigit():
                report(False, f"{path}:{n}: malformed row: {line.strip()}")
                continue
            yield section, c[0], unquote(c[1]), int(c[2]), unquote(c[3]), n


def as_nobody(argv):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup",
            "--clear-groups", "--"] + argv


def nobody_reaches(binary, fix):
    """Whether user nobody can run binary and enter fix."""
    try:
        p = subprocess.run(as_nobody(["sh", "-c", 'test -x "$0" && cd "$1"',
                                      binary, fix]),
                           capture_output=True, cwd="/", timeout=LIMIT)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0


def reachable_copy():
    """(bin dir, FIX) in a copy under $TMPDIR that nobody can reach, or
    (None, reason)."""
    try:
        top = tempfile.mkdtemp(prefix="libsched-errors-doc-")
    except OSError as e:
        return None, f"cannot make a directory for a copy: {e}"
    try:
        os.chmod(top, 0o755)
        shutil.copytree("build/bin", top + "/build/bin")
        os.makedirs(top + "/build/lib")
        shutil.copy2("build/lib/libsched-lttng.so", top + "/build/lib")
        subprocess.run(["chmod", "-R", "a+rX", top + "/build"], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        shutil.rmtree(top, ignore_errors=True)
        return None, f"cannot copy the tools to {top}: {e}"
    if not nobody_reaches(top + "/build/bin/schedprof", top):
        shutil.rmtree(top, ignore_errors=True)
        return None, (f"user nobody cannot reach {top} either (is there a "
                      "user nobody, and setpriv?)")
    return top, None


MOUNTS = []


def mount_tmpfs(path, size):
    os.makedirs(path)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777",
                        "libsched-errors-doc", path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        report(False, f"cannot mount a {size} tmpfs on {path}: "
               + p.stderr.strip())
        return
    MOUNTS.append(path)


def unmount_all():
    while MOUNTS:
        path = MOUNTS.pop()
        if subprocess.run(["umount", path]).returncode != 0:
            subprocess.run(["umount", "-l", path])


def fixtures():
    unmount_all()
    for name in ("small", "tiny"):
        if os.path.ismount(FIX + "/" + name):
            subprocess.run(["umount", FIX + "/" + name])
    if os.path.exists(FIX):
        subprocess.run(["chmod", "-R", "u+rwx", FIX])
        shutil.rmtree(FIX)
    os.makedirs(FIX + "/nonempty")
    os.makedirs(FIX + "/out")
    os.makedirs(FIX + "/ro")
    with open(FIX + "/file", "w") as f:
        f.write("not a trace\n")
    with open(FIX + "/nonempty/keep", "w") as f:
        f.write("x\n")
    shutil.copytree(BADIN + "/good", FIX + "/private")
    os.chmod(FIX + "/private", 0o700)
    shutil.copytree(BADIN + "/good", FIX + "/public")
    subprocess.run(["chmod", "-R", "a+rX", FIX + "/public"], check=True)
    os.chmod(FIX + "/ro", 0o555)
    os.chmod(FIX + "/out", 0o777)
    shutil.copytree(BADIN + "/good", FIX + "/recording")
    with open(FIX + "/recording/.schedprof-recording", "w") as f:
        f.write(f"1 {int(time.time())}\n")
    # 5 MiB on 2 CPUs: room for what schedprof keeps free (two 1 MiB
    # sub-buffers per CPU, the metadata) and a little trace.
    mount_tmpfs(FIX + "/small",
                f"{max(5, 2 * os.sysconf('SC_NPROCESSORS_CONF') + 1)}m")
    mount_tmpfs(FIX + "/tiny", "1m")


def expand(s, env):
    for k in ("IN", "GOOD", "FIX"):
        s = s.replace("$" + k, env[k])
    return s


def matches(pattern, line):
    rx = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(rx, line, re.S) is not None


def main():
    try:
        return run()
    finally:
        unmount_all()


def run():
    for need in (BADIN + "/good", BADIN + "/in", "build/bin/schedprof"):
        if not os.path.exists(need):
            report(False, f"{need} is missing: run scripts/test-schedprof-"
                   "badinput.sh first (make check does)")
            return 1
    global FIX
    # Where the nobody rows run from: the checkout itself when nobody can
    # reach it, else a copy, else nowhere (skipped, with the reason).
    nobody_bin, nobody_cwd, skip_reason, copy = (
        os.path.join(ROOT, "build/bin"), ROOT, None, None)
    os.makedirs(FIX, exist_ok=True)
    if not nobody_reaches(os.path.join(ROOT, "build/bin/schedprof"),
                          os.path.join(ROOT, FIX)):
        copy, why = reachable_copy()
        if copy:
            print(f"  NOTE     errors.md: user nobody cannot reach {ROOT}: "
                  f"its rows run from a copy in {copy}")
            FIX = copy + "/fix"
            nobody_bin, nobody_cwd = copy + "/build/bin", copy
        else:
            nobody_bin = None
            skip_reason = f"user nobody cannot reach {ROOT}, and {why}"
    fixtures()
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, "build/bin") + ":" + env["PATH"]
    env["IN"] = os.path.join(ROOT, BADIN, "in")
    env["GOOD"] = os.path.join(ROOT, BADIN, "good")
    env["FIX"] = os.path.join(ROOT, FIX)
    # Under make check SANITIZE=address the tools are instrumented: as in
    # the other schedprof tests, they accept the preloaded provider.
    # babeltrace2's own leak on damaged metadata is suppressed, with the
    # reason beside it (scripts/lsan.supp); naming its frames needs the
    # slow unwinder.
    env["ASAN_OPTIONS"] = ":".join(
        x for x in (env.get("ASAN_OPTIONS"), "verify_asan_link_order=0",
                    "fast_unwind_on_malloc=0") if x)
    env["LSAN_OPTIONS"] = ":".join(
        x for x in (env.get("LSAN_OPTIONS"),
                    "suppressions=" + os.path.join(ROOT, "scripts/lsan.supp"),
                    "print_suppressions=0") if x)
    nobody_env = dict(env)
    if nobody_bin:
        nobody_env["PATH"] = nobody_bin + ":" + os.environ["PATH"]
    count = skipped = 0
    for section, case, cmd, status, pattern, n in rows(DOC):
        count += 1
        argv, run_env, cwd = ["bash", "-c", cmd], env, ROOT
        if cmd.startswith("nobody:"):
            if not nobody_bin:
                skipped += 1
                print(f"  SKIP     errors.md: {section}: {case}: "
                      f"{skip_reason}")
                continue
            argv = as_nobody(["bash", "-c", cmd[len("nobody:"):].strip()])
            run_env, cwd = nobody_env, nobody_cwd
        try:
            p = subprocess.run(argv, env=run_env, capture_output=True,
                               text=True, timeout=LIMIT, cwd=cwd)
        except subprocess.TimeoutExpired:
            report(False, f"{section}: {case}: hung ({LIMIT} s): {cmd}")
            continue
        lines = without_sanitizer_reports(p.stderr)
        first = lines[0] if lines else ""
        want = expand(pattern, env)
        problems = []
        if p.returncode != status:
            problems.append(f"exit {p.returncode}, documented {status}")
        if not matches(want, first):
            problems.append(f"stderr '{first}', documented '{want}'")
        if status == 2 and p.stdout:
            problems.append("wrote on stdout: "
                            + p.stdout.splitlines()[0][:80])
        if problems:
            report(False, f"{section}: {case} (line {n}): {cmd}: "
                   + "; ".join(problems))
        else:
            report(True, f"{section}: {case}: exit {status}, {first}")
    subprocess.run(["chmod", "-R", "u+rwx", FIX])
    unmount_all()
    if copy:
        shutil.rmtree(copy, ignore_errors=True)
    if count == 0:
        report(False, f"{DOC}: no row found")
    print(f"errors.md: {count} rows, {failures} failure(s)"
          + (f", {skipped} skipped" if skipped else ""))
    return 1 if failures else 0


sys.exit(main())
