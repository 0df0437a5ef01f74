# Prints the tables of scripts/bench.sh from its result lines:
#   BENCH|measure|variant|library|api|unit|better|median|min|max|reps|minflt
# One table per measure: each library's median [min-max], its page faults
# and the API it used; per variant the ratio of libsched (the subject) to
# the best peer of the same run, the goal and whether it was met, in plain
# words. With -v quick=1 nothing is judged (sizes are too small).

function fmt(x) {
	if (x == "-")
		return "-"
	x += 0
	if (x >= 1000)
		return sprintf("%.0f", x)
	if (x >= 100)
		return sprintf("%.1f", x)
	if (x >= 10)
		return sprintf("%.2f", x)
	return sprintf("%.3g", x)
}

function subject_of(m) {
	if (m == "report")
		return "schedprof"
	if (m == "replay")
		return "schedreplay"
	return "libsched"
}

function is_peer(lib) {
	return lib == "libevent" || lib == "libuv" || lib == "GLib" ||
	       lib == "babeltrace2"
}

# The goal of a row, "" if none: sets gkind, gval, gtext.
function goal(m, v) {
	gkind = ""; gref = ""
	if (m == "post1" && v == "1M") {
		gkind = "best"; gval = 1; gtext = "at most the best peer"
	} else if (m == "post4" && v == "1M") {
		gkind = "best"; gval = 0.8; gref = "libevent"
		gtext = "at most 0.8x libevent"
	} else if (m == "chain") {
		gkind = "le"; gval = 35; gtext = "at most 35 ns/task"
	} else if (m == "input" && v == "p99") {
		gkind = "best"; gval = 1; gtext = "p99 at most the best peer"
	} else if (m == "input" && v == "p50") {
		gkind = "best"; gval = 2; gtext = "p50 at most 2x the best peer"
	} else if (m == "queue" && v == "1k") {
		gkind = "best"; gval = 1; gtext = "at most the best peer"
	} else if (m == "queue" && v != "1") {
		gkind = "flat"; gval = 1.5
		gtext = "flat: within 1.5x of libsched's size-1 figure"
	} else if (m == "xpost") {
		gkind = "best"; gval = 1
		gtext = "at least the best peer (aim: 1.25x)"
	} else if (m == "wake" && (v == "p50" || v == "p99")) {
		gkind = "ref"; gval = 1.1; gref = "epoll+eventfd"
		gtext = "within 1.1x of raw epoll+eventfd"
	} else if (m == "wake" && v == "spin-p50") {
		gkind = "le"; gval = 1; gtext = "spin-then-sleep mode: p50 at most 1 us"
	} else if (m == "timers" && v == "insert-100k") {
		gkind = "le"; gval = 50; gtext = "insert at most 50 ns"
	} else if (m == "timers" && v == "dispatch-100k") {
		gkind = "le"; gval = 150; gtext = "dispatch at most 150 ns per expired timer"
	} else if (m == "trace" && v == "idle") {
		gkind = "noise"; gtext = "within noise of TRACE=0"
	} else if (m == "trace" && v == "lttng") {
		gkind = "added"; gval = 300
		gtext = "recording adds at most 300 ns per task over TRACE=0"
	} else if (m == "report") {
		gkind = "peer"; gval = 0.5; gtext = "at least half of babeltrace2's counter rate"
	} else if (m == "replay" && v ~ /^file-/) {
		gkind = "ge"; gval = 1; gtext = "at least 1 M events/s"
	}
	return gkind
}

BEGIN {
	title["post1"] = "post N one-shot tasks from the loop thread, then run them, one priority: ns per task"
	title["post4"] = "the same over 4 priorities: ns per task"
	title["chain"] = "chain: each task posts the next, alternating 4 priorities: ns per task"
	title["input"] = "input latency while a chain of tiny tasks runs: pipe write to callback, us"
	title["queue"] = "pending-queue size (S tasks kept pending): ns per task"
	title["xpost"] = "cross-thread async posts, 1 and 2 producers: M tasks/s"
	title["wake"] = "cross-thread wake, ping-pong between two sleeping loops: one-way us"
	title["timers"] = "timers with random deadlines: insert and dispatch, ns per timer"
	title["hosted-task"] = "the loop hosted by GLib and by a poll(2) loop beside lsched_loop_run(): ns per task (batch: N tasks started; chain: one per cycle)"
	title["hosted-wake"] = "the same three: a post from another thread to the sleeping loop, post to callback, us"
	title["trace"] = "tracing cost per task (trace_cost: 1000 one-shot tasks started then run)"
	title["report"] = "schedprof report on a big trace: M events/s"
	title["replay"] = "schedreplay --sim on the same trace (from the trace, from its saved workload, the replay alone): M trace events/s"
	met = missed = 0
	# The order of the tables: the issue's order, then anything else.
	split("post1 post4 chain input queue xpost wake hosted-task hosted-wake timers trace report replay", order, " ")
	for (i = 1; i in order; i++)
		morder[++nm] = order[i]
}

$1 == "BENCH" {
	m = $2; v = $3; key = m SUBSEP v
	if (!(m in seen_m)) {
		seen_m[m] = 1
		if (!(m in title))
			morder[++nm] = m
	}
	if (!(key in seen_v)) {
		seen_v[key] = 1; vorder[m, ++nv[m]] = v
	}
	n = ++nr[key]
	lib[key, n] = $4; api[key, n] = $5; unit[key, n] = $6
	better[key] = $7 == "-" ? better[key] : $7
	med[key, $4] = $8; mn[key, $4] = $9; mx[key, $4] = $10
	flt[key, n] = $12
}

function verdict(m, v, key,   s, x, best, bestlib, i, l, r, base, txt, ok) {
	s = subject_of(m)
	x = med[key, s]
	# The ratio to the best peer of this run.
	best = ""
	for (i = 1; i <= nr[key]; i++) {
		l = lib[key, i]
		if (!is_peer(l) || med[key, l] == "-")
			continue
		if (best == "" || (better[key] == "low" && med[key, l] + 0 < best + 0) ||
		    (better[key] == "high" && med[key, l] + 0 > best + 0)) {
			best = med[key, l]; bestlib = l
		}
	}
	if (best != "" && x != "" && x != "-")
		printf "    %s / best peer (%s): %.2fx\n", s, bestlib, x / best
	if (goal(m, v) == "")
		return
	if (quick) {
		printf "    goal %s: not judged (quick run)\n", gtext
		return
	}
	if (x == "" || x == "-") {
		printf "    goal %s: MISSED: not measured\n", gtext
		missed++; missed_list[missed] = m "/" v ": not measured"
		return
	}
	if (gkind == "best") {
		# A ratio to the best peer of this run (or to the peer named),
		# lower is better for times, higher for rates.
		if (gref != "") {
			best = med[key, gref]; bestlib = gref
		}
		if (best == "" || best == "-" || best + 0 <= 0) {
			ok = 0; txt = "no peer measured"
		} else {
			r = x / best
			ok = better[key] == "high" ? r >= gval : r <= gval
			txt = sprintf("%.2fx %s (%s against %s %s)", r, bestlib,
				      fmt(x), fmt(best), unit[key, 1])
		}
	} else if (gkind == "le") {
		ok = x + 0 <= gval; txt = sprintf("%s %s", fmt(x), unit[key, 1])
	} else if (gkind == "ge") {
		ok = x + 0 >= gval; txt = sprintf("%s %s", fmt(x), unit[key, 1])
	} else if (gkind == "flat") {
		base = med[m SUBSEP "1", s]
		r = base > 0 ? x / base : 0
		ok = base > 0 && r <= gval
		txt = sprintf("%s is %.2fx the size-1 figure %s", fmt(x), r, fmt(base))
	} else if (gkind == "ref") {
		base = med[key, gref]
		r = base > 0 ? x / base : 0
		ok = base > 0 && r <= gval
		txt = sprintf("%.2fx %s (%s against %s us)", r, gref, fmt(x), fmt(base))
	} else if (gkind == "noise") {
		base = med[m SUBSEP "notrace", s]
		r = mx[m SUBSEP "notrace", s] - mn[m SUBSEP "notrace", s]
		if (r < 0.03 * base)
			r = 0.03 * base
		ok = base > 0 && x - base <= r
		txt = sprintf("%+.1f ns per task against TRACE=0 (noise: %.1f ns)", x - base, r)
	} else if (gkind == "added") {
		base = med[m SUBSEP "notrace", s]
		ok = base > 0 && x - base <= gval
		txt = sprintf("adds %.0f ns per task (%s against %s)", x - base, fmt(x), fmt(base))
	} else if (gkind == "peer") {
		base = med[key, "babeltrace2"]
		r = base > 0 ? x / base : 0
		ok = base > 0 && r >= gval
		txt = sprintf("%.2fx babeltrace2's rate (%s against %s M events/s)", r, fmt(x), fmt(base))
	}
	if (ok) {
		met++
		printf "    goal %s: met (%s)\n", gtext, txt
	} else {
		missed++
		missed_list[missed] = m "/" v ": " txt
		printf "    goal %s: MISSED (%s)\n", gtext, txt
	}
}

END {
	for (a = 1; a <= nm; a++) {
		m = morder[a]
		if (!(m in seen_m))
			continue
		printf "\n== %s: %s\n", m, (m in title) ? title[m] : m
		printf "  %-14s %-14s %-34s %7s  %s\n", "variant", "library",
		       "median [min-max]", "minflt", "API"
		for (b = 1; b <= nv[m]; b++) {
			v = vorder[m, b]; key = m SUBSEP v
			for (i = 1; i <= nr[key]; i++) {
				l = lib[key, i]
				if (med[key, l] == "-")
					printf "  %-14s %-14s %-34s %7s  %s\n", v, l,
					       "not measured", "-", api[key, i]
				else
					printf "  %-14s %-14s %-34s %7s  %s\n", v, l,
					       sprintf("%s %s [%s-%s]", fmt(med[key, l]),
						       unit[key, i], fmt(mn[key, l]),
						       fmt(mx[key, l])),
					       flt[key, i], api[key, i]
			}
			verdict(m, v, key)
		}
	}
	if (!quick) {
		printf "\nGoals: %d met, %d missed\n", met, missed
		for (i = 1; i <= missed; i++)
			printf "  MISSED %s\n", missed_list[i]
	}
}
