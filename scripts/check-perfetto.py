#!/usr/bin/env python3
"""Strict validator of a Chrome/Perfetto trace-event JSON file.

    scripts/check-perfetto.py [--stats] [--schedprof] [--tolerance-ns N] FILE.json

Checks, in the file as a whole (python3 standard library only):

  1. it is JSON (no NaN or Infinity) holding a "traceEvents" list (or is
     such a list); "displayTimeUnit", if there, is "ms" or "ns";
  2. every event has the keys its phase requires, with the right types:
     integer pid and tid (0 to 2^32 - 1, what Perfetto keeps), finite
     ts >= 0 (µs), X with a finite dur >= 0, flows with a cat and an id,
     metadata with its name or sort_index, ... ; an unknown phase fails;
  3. the complete events ("X") of each (pid, tid) nest strictly: sorted by
     ts then longest first, each one either starts at or after the end of
     the one before it on the stack or ends at or before that one's end
     (boundaries equal within --tolerance-ns, 1 ns by default);
  4. every flow start "s" has exactly one flow end "f" with the same id and
     cat (and name: Perfetto keys v1 flows by id, cat and name), not before
     it; steps "t" belong to a flow;
  5. how Perfetto's JSON importer binds the flows (followed exactly: it
     takes events by ts, then complete events longest first, then file
     order; "s", "t" and "f" with "bp":"e" bind to the slice on top of
     their track's stack, "f" without "bp" to the next slice to begin on
     its track): every "s" binds to a slice that encloses its ts (not a
     stale one that already ended), every "f" to a slice that encloses
     its ts, and not the slice its "s" bound to; a complete event that
     Perfetto would drop for overlapping another one fails too;
  6. counter ("C") values are numbers;
  7. every pid used has a process_name, every (pid, tid) a thread_name;
  8. async slices ("b"/"e") of each (pid, cat, id, name) nest: every "e"
     ends an open "b" not after it, and none is left open.

--schedprof adds what `schedprof export --perfetto` promises: times shown
in ns; runs (cat a priority, with their task id, or "performer", and
their loop) on tracks named "loop 0x..."; a track named after a thread id
("... tid N)") has that tid, and a made-up tid (10^9 and above) is only on
a loop track that names no thread; starvation intervals as async slices
"loop 0x... PRIO starving"; every run with a wait (args wait_ns or
delay_ns) the end of exactly one arrow, whose "f" binds to that very run
at its start (task ids equal; for a "posted" arrow with a post number,
the run of that post); a "ready" arrow's "s" on the run's track, a
"posted" arrow's "s" on the thread that posted (tid = args poster_tid);
stopwatch iterations (cat "stopwatch") nested in a run of their task on
its track, no longer than their last_iter_ns; sleeps (cat "sleep") as
long as their slept_ns, on a loop track; the other X events zero-length
"ready" or "posted" markers; counters named "ready..." with a series per
priority; instants global findings with their evidence, or (cat "flight")
the trigger of a flight-recorder save on its loop's track, named after
its rule.

--stats prints one line "stats: key=value ..." on stdout (runs per kind,
arrows, markers, counters, ...). Exit status 0 if valid, 1 if not (the
first errors on stderr), 2 for bad usage or an unreadable file.
"""

import argparse
import collections
import decimal
import json
import math
import re
import sys

PRIOS = ("HIGHEST", "DEFAULT", "HIGH_IDLE", "RESIZE", "REPAINT",
         "POST_PAINT", "DEFAULT_IDLE", "LOWEST")
PHASES = set("XBEiIC stf ben M".replace(" ", ""))
META = {"process_name", "thread_name", "process_sort_index",
        "thread_sort_index", "process_labels", "process_uptime_seconds",
        "num_cpus", "trace_buffer_overflowed"}
MAX_ERRORS = 25


class Checker:
    def __init__(self, tol_ns):
        self.tol = tol_ns
        self.errors = []
        self.nerrors = 0

    def bad(self, msg):
        self.nerrors += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(msg)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    if isinstance(v, decimal.Decimal):
        return v.is_finite()
    if isinstance(v, float):
        return math.isfinite(v)
    return False


def to_ns(v):
    """µs (int or exact decimal) as integer ns, rounded."""
    return int((decimal.Decimal(v) * 1000).to_integral_value(
        rounding=decimal.ROUND_HALF_EVEN))


# An event's ts and dur in ns, computed once, are kept in it under the keys
# TS and DUR: integers, which no JSON key is.
TS, DUR = 0, 1


def cache_ns(e):
    if e["ph"] != "M":
        e[TS] = to_ns(e["ts"])
        if e["ph"] == "X":
            e[DUR] = to_ns(e["dur"])


def short(e):
    if isinstance(e, dict):   # without the ns cached under int keys
        e = {k: v for k, v in e.items() if isinstance(k, str)}
    s = json.dumps(e, default=float)
    return s if len(s) <= 200 else s[:197] + "..."


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    return json.loads(data.decode("utf-8"), parse_float=decimal.Decimal,
                      parse_constant=reject_constant)


def check_fields(c, i, e):
    """Phase and keys of event i; returns True if usable further."""
    where = "event %d" % i
    if not isinstance(e, dict):
        c.bad("%s is not an object: %s" % (where, short(e)))
        return False
    ph = e.get("ph")
    if not isinstance(ph, str) or ph not in PHASES:
        c.bad("%s: unknown or missing phase %r: %s" % (where, ph, short(e)))
        return False
    ok = True

    def need(key, test, what):
        nonlocal ok
        if key not in e:
            c.bad("%s (%s): no \"%s\": %s" % (where, ph, key, short(e)))
            ok = False
        elif not test(e[key]):
            c.bad("%s (%s): \"%s\" is not %s: %s" % (where, ph, key, what,
                                                    short(e)))
            ok = False

    def u32(v):
        return is_int(v) and 0 <= v < 2 ** 32

    need("pid", u32, "an integer from 0 to 2^32-1")
    if "args" in e and not isinstance(e["args"], dict):
        c.bad("%s (%s): args is not an object: %s" % (where, ph, short(e)))
        ok = False
    if "cat" in e and not isinstance(e["cat"], str):
        c.bad("%s (%s): cat is not a string: %s" % (where, ph, short(e)))
        ok = False
    if ph == "M":
        need("name", lambda v: v in META, "a known metadata name")
        need("args", lambda v: isinstance(v, dict), "an object")
        if not ok:
            return False
        if e["name"].startswith("thread_"):
            need("tid", u32, "an integer from 0 to 2^32-1")
        if e["name"] in ("process_name", "thread_name"):
            if not (isinstance(e["args"].get("name"), str) and
                    e["args"]["name"]):
                c.bad("%s: %s without a name: %s" % (where, e["name"],
                                                     short(e)))
                ok = False
        elif e["name"].endswith("_sort_index"):
            if not is_int(e["args"].get("sort_index")):
                c.bad("%s: %s without an integer sort_index: %s" %
                      (where, e["name"], short(e)))
                ok = False
        return ok
    need("ts", lambda v: is_num(v) and v >= 0, "a finite number >= 0")
    if ph in "XBEiIstf":
        need("tid", u32, "an integer from 0 to 2^32-1")
    if ph != "E":
        need("name", lambda v: isinstance(v, str), "a string")
    if ph == "X":
        need("dur", lambda v: is_num(v) and v >= 0, "a finite number >= 0")
    elif ph in "iI":
        if "s" in e and e["s"] not in ("g", "p", "t"):
            c.bad("%s: instant scope %r is not g, p or t" % (where, e["s"]))
            ok = False
    elif ph == "C":
        need("args", lambda v: isinstance(v, dict) and v, "a non-empty "
             "object")
        if ok:
            for k, v in e["args"].items():
                if not is_num(v):
                    c.bad("%s: counter %r series %r is not a number: %r" %
                          (where, e["name"], k, v))
                    ok = False
    elif ph in "stf":
        need("cat", lambda v: isinstance(v, str), "a string")
        need("id", lambda v: is_int(v) or isinstance(v, str),
             "an integer or a string")
        if ph == "f" and "bp" in e and e["bp"] != "e":
            c.bad("%s: flow end with \"bp\" %r (only \"e\" exists)" %
                  (where, e["bp"]))
            ok = False
    elif ph in "ben":
        need("cat", lambda v: isinstance(v, str), "a string")
        if "id" not in e and "id2" not in e:
            c.bad("%s (%s): async event without id or id2: %s" %
                  (where, ph, short(e)))
            ok = False
    return ok


def check_nesting(c, events, parents):
    """Check 3: X events per (pid, tid) nest strictly. Fills parents:
    {X event index: the X event index holding it, or None}."""
    tracks = collections.defaultdict(list)
    for i, e in events:
        if e["ph"] == "X":
            tracks[(e["pid"], e["tid"])].append((e[TS], e[TS] + e[DUR], i))
    max_depth = 0
    for key, xs in tracks.items():
        xs.sort(key=lambda x: (x[0], -(x[1] - x[0]), x[2]))
        stack = []
        for b, en, i in xs:
            while stack:
                tb, te, ti = stack[-1]
                zero_pair = tb == te and b == en and abs(tb - b) <= c.tol
                if b >= te - c.tol and not zero_pair:
                    stack.pop()      # done before this one starts
                else:
                    break
            if stack:
                tb, te, ti = stack[-1]
                if en > te + c.tol:
                    c.bad("track %d/%d: X event %d [%d, %d] ns overlaps "
                          "event %d [%d, %d] ns without nesting in it" %
                          (key[0], key[1], i, b, en, ti, tb, te))
                    continue
            parents[i] = stack[-1][2] if stack else None
            stack.append((b, en, i))
            max_depth = max(max_depth, len(stack))
    return max_depth


def flow_key(e):
    return (e["cat"], str(e["id"]))


def check_flows(c, events):
    """Check 4: s/f pairs. Returns {flow key: {"s": i, "f": i}}."""
    flows = collections.defaultdict(lambda: {"s": [], "t": [], "f": []})
    for i, e in events:
        if e["ph"] in "stf":
            flows[flow_key(e)][e["ph"]].append(i)
    pairs = {}
    evs = dict(events)
    for key, fl in flows.items():
        what = "flow cat %r id %s" % key
        if len(fl["s"]) != 1 or len(fl["f"]) != 1:
            c.bad("%s: %d start(s) \"s\" and %d end(s) \"f\", not one of "
                  "each" % (what, len(fl["s"]), len(fl["f"])))
            continue
        s, f = evs[fl["s"][0]], evs[fl["f"][0]]
        if s["name"] != f["name"]:
            c.bad("%s: start named %r, end %r (Perfetto matches v1 flows "
                  "by id, cat and name)" % (what, s["name"], f["name"]))
        if s[TS] > f[TS]:
            c.bad("%s: starts at %s us, after its end at %s us" %
                  (what, s["ts"], f["ts"]))
        for t in fl["t"]:
            if not s[TS] <= evs[t][TS] <= f[TS]:
                c.bad("%s: step at %s us outside [%s, %s] us" %
                      (what, evs[t]["ts"], s["ts"], f["ts"]))
        pairs[key] = {"s": fl["s"][0], "f": fl["f"][0]}
    return pairs


class Slice:
    __slots__ = ("begin", "end", "index")

    def __init__(self, begin, end, index):
        self.begin, self.end, self.index = begin, end, index

    def encloses(self, ts):
        return self.begin <= ts and (self.end is None or ts <= self.end)


def perfetto_order(events):
    """Perfetto's sort: ts, then E first, X by decreasing duration, the rest
    (zero-length X among them), then file order."""
    def key(item):
        i, e = item
        ts = e[TS]
        if e["ph"] == "E":
            k = -math.inf
        elif e["ph"] == "X":
            k = -e[DUR]
        else:
            k = 0
        return (ts, k, i)
    return sorted((x for x in events if x[1]["ph"] != "M"), key=key)


def close_stack(stack, ts, dur):
    """Perfetto's SliceTracker::MaybeCloseStack, pops included (it pops the
    top of the stack whichever slice it looks at). Returns the slice a
    complete event of [ts, ts + dur] would partially overlap, or None."""
    i = len(stack) - 1
    while i >= 0:
        s = stack[i]
        if s.end is None:
            i -= 1
            continue
        sdur = s.end - s.begin
        if s.end < ts or (s.end == ts and not (sdur == 0 and dur == 0)):
            stack.pop()
            i -= 1
            continue
        if dur is not None and ts < s.end and ts + dur > s.end:
            return s
        i -= 1
    return None


def check_binding(c, events, pairs):
    """Check 5: what Perfetto binds each flow event to. Returns
    {event index of s/t/f: bound X/B event index}."""
    stacks = collections.defaultdict(list)
    pending = collections.defaultdict(list)   # f without bp, per track
    bound = {}
    seen_start = set()
    evs = dict(events)
    for i, e in perfetto_order(events):
        ph = e["ph"]
        if ph in "XBEiIstf" and "tid" in e:
            track = (e["pid"], e["tid"])
        else:
            continue
        stack = stacks[track]
        ts = e[TS]
        if ph in "XBiI":
            if ph in "iI" and e.get("s", "t") != "t":
                continue
            dur = e[DUR] if ph == "X" else (None if ph == "B"
                                                      else 0)
            other = close_stack(stack, ts, dur)
            if other is not None:
                c.bad("track %d/%d: Perfetto drops X event %d [%d, +%d] "
                      "ns: it overlaps event %d [%d, %d] ns" %
                      (track[0], track[1], i, ts, dur, other.index,
                       other.begin, other.end))
                continue
            stack.append(Slice(ts, None if dur is None else ts + dur, i))
            for j in pending.pop(track, []):
                bound[j] = i
        elif ph == "E":
            for k in range(len(stack) - 1, -1, -1):
                if stack[k].end is None:
                    stack[k].end = ts
                    del stack[k:]
                    break
        else:
            key = flow_key(e)
            pair = pairs.get(key)
            what = "flow cat %r id %s" % key
            if ph == "f" and key not in seen_start:
                c.bad("%s: Perfetto takes its end before its start (drops "
                      "it)" % what)
                continue
            if ph == "s":
                seen_start.add(key)
            if ph == "f" and e.get("bp") != "e":
                pending[track].append(i)
                continue
            if not stack:
                c.bad("%s: its %s at %s us binds to no slice (no slice "
                      "on track %d/%d)" % (what, ph, e["ts"], *track))
                continue
            top = stack[-1]
            if not top.encloses(ts):
                c.bad("%s: its %s at %s us binds to event %d [%d, %s] ns, "
                      "which does not enclose it" %
                      (what, ph, e["ts"], top.index, top.begin, top.end))
                continue
            bound[i] = top.index
            if ph == "f" and pair and bound.get(pair["s"]) == top.index:
                c.bad("%s: start and end bind to the same slice (event "
                      "%d)" % (what, top.index))
    for track, js in pending.items():
        for j in js:
            c.bad("flow cat %r id %s: its end (no bp) has no later slice "
                  "on track %d/%d to bind to" % (*flow_key(evs[j]), *track))
    return bound


def check_names(c, events):
    """Check 7: metadata names for every pid and (pid, tid) used."""
    procs, threads = set(), set()
    for _, e in events:
        if e["ph"] == "M" and e["name"] == "process_name":
            procs.add(e["pid"])
        elif e["ph"] == "M" and e["name"] == "thread_name":
            threads.add((e["pid"], e["tid"]))
    missing_p, missing_t = set(), set()
    for _, e in events:
        if e["ph"] == "M":
            continue
        if e["pid"] not in procs:
            missing_p.add(e["pid"])
        if "tid" in e and (e["pid"], e["tid"]) not in threads:
            missing_t.add((e["pid"], e["tid"]))
    for p in sorted(missing_p):
        c.bad("pid %d is used but has no process_name" % p)
    for p, t in sorted(missing_t):
        c.bad("pid %d tid %d is used but has no thread_name" % (p, t))
    return threads


def check_async(c, events):
    """Check 8: b/e pairs per (pid, cat, id, name), as stacks."""
    open_ = collections.defaultdict(list)
    n = 0
    for i, e in sorted(((i, e) for i, e in events if e["ph"] in "be"),
                       key=lambda x: (x[1][TS], x[1]["ph"] == "b", x[0])):
        key = (e["pid"], e.get("cat"), str(e.get("id", e.get("id2"))),
               e.get("name"))
        if e["ph"] == "b":
            open_[key].append(i)
            n += 1
        elif not open_[key]:
            c.bad("async event %d: an end with no open begin: %s" %
                  (i, short(e)))
        else:
            open_[key].pop()
    for key, js in open_.items():
        for j in js:
            c.bad("async event %d: a begin never ended (%r)" % (j, key))
    return n


def thread_names(events):
    return {(e["pid"], e["tid"]): e["args"]["name"] for _, e in events
            if e["ph"] == "M" and e["name"] == "thread_name"}


SYNTH_TID = 10 ** 9


def check_schedprof(c, doc, events, pairs, bound, parents):
    """What schedprof's export promises, beyond the format."""
    if not isinstance(doc, dict) or doc.get("displayTimeUnit") != "ns":
        c.bad("displayTimeUnit is not \"ns\"")
    names = thread_names(events)
    evs = dict(events)
    loops = set()
    incoming = collections.Counter()
    for (pid, tid), tname in names.items():
        m = re.search(r"\btid (\d+)\)", tname)
        if m and int(m.group(1)) != tid:
            c.bad("track %d/%d is named %r: not its tid" % (pid, tid, tname))
        if tid >= SYNTH_TID and (m or not tname.startswith("loop 0x")):
            c.bad("track %d/%d (%r): a made-up tid for a known thread" %
                  (pid, tid, tname))
    for key, pair in pairs.items():
        f = evs[pair["f"]]
        s = evs[pair["s"]]
        what = "flow cat %r id %s" % key
        fargs = f.get("args", {})
        if f["cat"] == "posted" and is_int(fargs.get("poster_tid")) and \
                fargs["poster_tid"] >= 0:
            if s["tid"] != fargs["poster_tid"] or s["pid"] != f["pid"]:
                c.bad("%s: starts on track %d/%d, not the posting thread "
                      "%d" % (what, s["pid"], s["tid"],
                              fargs["poster_tid"]))
        elif (s["pid"], s["tid"]) != (f["pid"], f["tid"]):
            c.bad("%s: starts on another track than it ends" % what)
        x = bound.get(pair["f"])
        if x is None:
            continue
        run = evs[x]
        incoming[x] += 1
        rargs = run.get("args", {})
        if run["ph"] != "X" or run[TS] != f[TS]:
            c.bad("%s: its end binds to event %d, not at that event's "
                  "start" % (what, x))
        if f["cat"] in ("ready", "posted") and run.get("cat") in PRIOS:
            if rargs.get("task") != fargs.get("task"):
                c.bad("%s: its end binds to event %d, not the run of task "
                      "%s: %s" % (what, x, fargs.get("task"), short(run)))
        elif f["cat"] == "posted" and run.get("cat") == "performer":
            pass
        elif f["cat"] in ("ready", "posted"):
            c.bad("%s: its end binds to event %d, not a run: %s" %
                  (what, x, short(run)))
        else:
            c.bad("%s: unknown flow category" % what)
        if f["cat"] == "ready" and run.get("cat") not in PRIOS:
            c.bad("%s: a ready arrow into performer work" % what)
        if "post" in fargs and rargs.get("post") != fargs["post"]:
            c.bad("%s: the arrow of post %s ends at event %d, of post %s" %
                  (what, fargs["post"], x, rargs.get("post")))
    for i, e in events:
        if e["ph"] == "X":
            track = (e["pid"], e["tid"])
            tname = names.get(track, "")
            args = e.get("args", {})
            clamped = bool(args.get("clamped"))
            if e.get("cat") in PRIOS or e.get("cat") == "performer":
                if not tname.startswith("loop 0x"):
                    c.bad("run event %d on track %r, not a loop's" %
                          (i, tname))
                if not isinstance(args.get("loop"), str):
                    c.bad("run event %d without its loop: %s" %
                          (i, short(e)))
                else:
                    loops.add((e["pid"], args["loop"]))
                if e.get("cat") in PRIOS and not is_int(args.get("task")):
                    c.bad("task run event %d without a task id: %s" %
                          (i, short(e)))
                if ("wait_ns" in args or "delay_ns" in args) and \
                        incoming[i] != 1:
                    c.bad("run event %d (%s) has %d arrows in, not 1" %
                          (i, e["name"], incoming[i]))
            elif e.get("cat") == "stopwatch":
                p = parents.get(i)
                while p is not None and evs[p].get("cat") == "stopwatch":
                    p = parents.get(p)
                if p is None or evs[p].get("cat") not in PRIOS or \
                        evs[p].get("args", {}).get("task") != \
                        args.get("task"):
                    c.bad("stopwatch event %d is not inside a run of its "
                          "task %s" % (i, args.get("task")))
                if not is_int(args.get("last_iter_ns")) or \
                        e[DUR] > args["last_iter_ns"] + c.tol:
                    c.bad("stopwatch event %d lasts %d ns, more than its "
                          "last_iter_ns: %s" % (i, e[DUR], short(e)))
            elif e.get("cat") == "sleep":
                if not tname.startswith("loop 0x"):
                    c.bad("sleep event %d on track %r, not a loop's" %
                          (i, tname))
                if not is_int(args.get("slept_ns")) or \
                        (not clamped and
                         abs(e[DUR] - args["slept_ns"]) > c.tol):
                    c.bad("sleep event %d lasts %d ns, not its slept_ns: "
                          "%s" % (i, e[DUR], short(e)))
            elif e.get("cat") in ("ready", "posted"):
                if e[DUR] != 0:
                    c.bad("marker event %d has a duration" % i)
            else:
                c.bad("X event %d of unknown category %r" % (i,
                                                             e.get("cat")))
        elif e["ph"] in "be":
            n = e.get("name", "")
            if e.get("cat") != "starvation" or \
                    not n.startswith("loop 0x") or \
                    not n.endswith(" starving"):
                c.bad("async event %d is not a starvation interval: %s" %
                      (i, short(e)))
        elif e["ph"] in "iI" and e.get("cat") == "flight":
            # A flight-recorder save's trigger: on its loop's track,
            # named after the rule (global for a save at exit).
            args = e.get("args", {})
            tname = names.get((e["pid"], e["tid"]), "")
            if not isinstance(e.get("name"), str) or \
                    not is_int(args.get("save")) or \
                    not isinstance(args.get("text"), str) or \
                    e["name"] != args.get("rule") or \
                    e.get("s") not in ("t", "g") or \
                    (e.get("s") == "t" and not tname.startswith("loop 0x")):
                c.bad("flight event %d is not a save's trigger on a loop's "
                      "track: %s" % (i, short(e)))
        elif e["ph"] in "iI":
            if e.get("cat") != "finding" or e.get("s") != "g" or \
                    not isinstance(e.get("args", {}).get("evidence"), str):
                c.bad("instant event %d is not a global finding with its "
                      "evidence: %s" % (i, short(e)))
        elif e["ph"] == "C":
            if not e["name"].startswith("ready") or \
                    not set(e["args"]) <= set(PRIOS):
                c.bad("counter event %d: %r with series %s" %
                      (i, e["name"], sorted(e["args"])))
    return len(loops)


def main():
    ap = argparse.ArgumentParser(
        description="Validate a Chrome/Perfetto trace-event JSON file "
        "strictly (see the script's header).")
    ap.add_argument("file")
    ap.add_argument("--tolerance-ns", type=int, default=1,
                    help="equal boundaries within this many ns nest (1)")
    ap.add_argument("--stats", action="store_true",
                    help="print a 'stats: key=value ...' line")
    ap.add_argument("--schedprof", action="store_true",
                    help="also check schedprof export's layout")
    a = ap.parse_args()
    c = Checker(a.tolerance_ns)

    try:
        doc = load(a.file)
    except (OSError, UnicodeDecodeError) as ex:
        print("check-perfetto: %s: %s" % (a.file, ex), file=sys.stderr)
        return 2
    except ValueError as ex:
        print("check-perfetto: %s: not JSON: %s" % (a.file, ex),
              file=sys.stderr)
        return 1
    if isinstance(doc, dict):
        if not isinstance(doc.get("traceEvents"), list):
            print("check-perfetto: %s: no traceEvents list" % a.file,
                  file=sys.stderr)
            return 1
        if doc.get("displayTimeUnit", "ms") not in ("ms", "ns"):
            c.bad("displayTimeUnit %r is not \"ms\" or \"ns\"" %
                  doc["displayTimeUnit"])
        raw = doc["traceEvents"]
    elif isinstance(doc, list):
        raw = doc
    else:
        print("check-perfetto: %s: neither an object nor a list" % a.file,
              file=sys.stderr)
        return 1

    events = [(i, e) for i, e in enumerate(raw) if check_fields(c, i, e)]
    for _, e in events:
        cache_ns(e)
    parents = {}
    max_depth = check_nesting(c, events, parents)
    pairs = check_flows(c, events)
    bound = check_binding(c, events, pairs)
    threads = check_names(c, events)
    nasync = check_async(c, events)
    loops = check_schedprof(c, doc, events, pairs, bound, parents) \
        if a.schedprof else 0

    if c.nerrors:
        for m in c.errors:
            print("check-perfetto: " + m, file=sys.stderr)
        if c.nerrors > len(c.errors):
            print("check-perfetto: ... and %d more" %
                  (c.nerrors - len(c.errors)), file=sys.stderr)
        print("check-perfetto: %s: INVALID, %d error(s)" %
              (a.file, c.nerrors), file=sys.stderr)
        return 1

    st = collections.Counter()
    series = set()
    for _, e in events:
        ph = e["ph"]
        st["events"] += 1
        if ph == "X":
            cat = e.get("cat")
            if cat in PRIOS:
                st["task_runs"] += 1
            elif cat == "performer":
                st["performer_runs"] += 1
            elif cat == "stopwatch":
                st["stopwatch"] += 1
            elif cat == "sleep":
                st["sleeps"] += 1
            elif cat in ("ready", "posted") and e[DUR] == 0:
                st["markers"] += 1
            else:
                st["other_x"] += 1
            st["clamped"] += bool(e.get("args", {}).get("clamped"))
        elif ph == "C":
            st["counter_points"] += 1
            for k in e["args"]:
                series.add((e["pid"], e["name"], k))
        elif ph in "iI" and e.get("cat") == "flight":
            st["flight"] += 1
        elif ph in "iI":
            st["instants"] += 1
        elif ph == "s":
            st["flows"] += 1
            a_ = e.get("args", {})
            if e.get("cat") == "posted" and "poster_tid" in a_:
                st["from_poster"] += 1
    st["counter_series"] = len(series)
    st["starvation"] = nasync
    st["tracks"] = len(threads)
    st["max_depth"] = max_depth
    if a.schedprof:
        st["loops"] = loops
    keys = ["events", "task_runs", "performer_runs", "starvation", "markers",
            "stopwatch", "sleeps", "flows", "from_poster", "counter_points", "counter_series", "instants",
            "flight", "tracks", "max_depth", "clamped", "other_x"] + \
        (["loops"] if a.schedprof else [])
    summary = " ".join("%s=%d" % (k, st[k]) for k in keys)
    if a.stats:
        print("stats: " + summary)
    print("check-perfetto: %s: valid (%s)" % (a.file, summary),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
