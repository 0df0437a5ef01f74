/*
 * schedprof export: the analysis of recorded traces as a Chrome/Perfetto
 * JSON trace (the "trace event format"), for ui.perfetto.dev or
 * chrome://tracing:
 *
 *   - a process per traced process (vpid and procname, "M" process_name);
 *   - in it, a thread track per loop, "loop 0x... (PROCNAME)", the loop's
 *     thread: each run a complete event ("X": name the task, cat its
 *     priority or "performer"), strictly nested (below);
 *   - a flow arrow from the moment each run's task became ready (an idle's
 *     enqueue, a timer's due time; a post, for performer work) to its run:
 *     "s" on the loop's track at that moment, bound to the run enclosing
 *     it, "f" with "bp":"e" at the run's start; where no run encloses that
 *     moment, a zero-length "ready NAME" slice there holds the arrow;
 *   - the ready-queue depth of each priority as counter series ("C"
 *     "ready", "ready 0x..." in a process of several loops; one series
 *     per priority: "ready HIGHEST" in Perfetto);
 *   - per priority that starved, a track "loop 0x... HIGHEST starving"
 *     with its starvation intervals (they overlap the runs, and those of
 *     other priorities, so they cannot share the loop's track);
 *   - the findings as global instant events ("i", scope "g");
 *   - the trigger of each flight-recorder save among the traces
 *     (flightmark.h) as an instant event on its loop's track ("i", scope
 *     "t", cat "flight"), named after the rule that fired; a save made at
 *     the end of the recording (--save-on-exit) as a global one at the
 *     trace's last event. They come last in the file, so that a flow at
 *     the same ns binds as it would without them.
 *
 * Strict nesting: the runs of one loop never overlap, but a run may hold
 * another (performer work drained inline, within a task). Runs are sorted
 * by start, longest first, and a run that would stick out of the one
 * holding it is clamped into it; a nested run that starts at the very ns
 * of its parent starts 1 ns later, so that the flow ending at the parent's
 * start binds to the parent (args "clamped" says so).
 *
 * Flow binding follows Perfetto's JSON importer: events are taken in
 * (ts, then complete events longest first, then file order) order; "s"
 * and "f" bind to the slice on top of their track's stack at that point.
 * The events of a loop's track are written in that order, and the stack
 * is followed while writing, which is how the exporter knows whether the
 * slice on top encloses a flow's start or a marker slice is needed. A run
 * that was ready at the very ns it began (cached time) gets its arrow from
 * 1 ns before: "s" must come before "f", and no slice at one instant can
 * hold both. A task ready since before the trace saw its loop gets its
 * arrow from the loop's first event (args wait_ns has the whole wait).
 * The arrow's "s" and "f" carry the run's task id in args.
 *
 * Times are µs (with ns as decimals) from the earliest time of the trace.
 * Thread ids are made up (TID_BASE + loop * TRACKS + track), stable for a
 * given trace: an_loop does not carry the loop's thread id, and a made-up
 * id must not collide with a real process's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "flightmark.h"
#include "jsonstr.h"
#include "schedprof.h"
#include "words.h"

/* Made-up thread ids: TID_BASE + loop * TRACKS + track. Track 0 is the
 * loop's thread, 1 + p priority p's starvation intervals. */
#define TID_BASE 1000000000LL
#define TRACKS 16
/* Made-up process ids, for processes of unknown or clashing vpid; above
 * any real pid (pid_max is at most 2^22). */
#define PID_SYNTH 100000000LL

struct proc {
	int64_t vpid;
	const char *procname;
	unsigned trace;
	int64_t pid;           /* in the JSON */
	unsigned nloops;       /* its loops */
};

struct out {
	FILE *f;
	bool first;            /* no event written yet */
	uint64_t events;
	uint64_t flows;        /* arrows written */
	uint64_t markers;      /* zero-length slices holding an arrow's start */
	uint64_t clamped;      /* runs moved to nest strictly */
	uint64_t unbound;      /* arrows whose end found another slice on top:
				* a bug, said on stderr */
};

/* The usage line; with --help, what the command does too. */
static int usage(FILE *f, int status)
{
	fputs("usage: schedprof export DIR... --perfetto FILE.json "
	      "[--long-task MS] [--starve MS]\n", f);
	if (status == SP_EXIT_OK)
		fputs("Writes the traces' runs (a track per loop), arrows from "
		      "each task's ready time\nto its run, ready-queue depths, "
		      "starvation intervals and findings as a\nChrome/Perfetto "
		      "JSON trace: open it in ui.perfetto.dev or "
		      "chrome://tracing.\n", f);
	return status;
}

/* ns as µs with three decimals, exactly (no floating point). */
static void json_us(FILE *f, int64_t ns)
{
	uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	fprintf(f, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", u / 1000,
		u % 1000);
}

/* Starts an event: the separator, then {"ph":"PH". */
static void ev_begin(struct out *o, const char *ph)
{
	fputs(o->first ? "\n" : ",\n", o->f);
	o->first = false;
	o->events++;
	fprintf(o->f, "{\"ph\":\"%s\"", ph);
}

static void ev_meta(struct out *o, const char *what, int64_t pid,
		    int64_t tid, const char *name, long sort)
{
	ev_begin(o, "M");
	fprintf(o->f, ",\"name\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%"
		PRId64 ",\"args\":{", what, pid, tid);
	if (name) {
		fputs("\"name\":", o->f);
		tj_str(o->f, name);
	} else {
		fprintf(o->f, "\"sort_index\":%ld", sort);
	}
	fputs("}}", o->f);
}

static struct proc *proc_of(struct proc *procs, size_t nprocs,
			    const struct an_loop *l)
{
	size_t i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].vpid == l->vpid &&
		    (l->vpid >= 0 || procs[i].trace == l->trace) &&
		    !strcmp(procs[i].procname ? procs[i].procname : "",
			    l->procname ? l->procname : ""))
			return &procs[i];
	return NULL;
}

/* The processes of the loops, in order of appearance. */
static struct proc *make_procs(const struct an_result *r, size_t *np)
{
	struct proc *procs = calloc(r->nloops ? r->nloops : 1,
				    sizeof(*procs));
	size_t n = 0, i, j;
	int64_t synth = PID_SYNTH;

	if (!procs)
		return NULL;
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		struct proc *p = proc_of(procs, n, l);

		if (p) {
			p->nloops++;
			continue;
		}
		p = &procs[n++];
		p->nloops = 1;
		p->vpid = l->vpid;
		p->procname = l->procname;
		p->trace = l->trace;
		p->pid = l->vpid;
		/* A vpid seen with another name (an exec) keeps the two
		 * apart. */
		for (j = 0; j + 1 < n && p->pid >= 0; j++)
			if (procs[j].pid == p->pid)
				p->pid = -1;
		if (p->pid < 0)
			p->pid = synth++;
	}
	*np = n;
	return procs;
}

/*
 * When a finding happened, as near as its culprit tells: the longest
 * starvation of its priority, the longest run of its task, the largest
 * backlog of its performer; else the loop's start: an_finding carries
 * no time of its own.
 */
/* The start of the longest wait of the task a starving-task finding
 * names ("NAME (PRIO)"); INT64_MIN if none. */
static int64_t task_wait_time(const struct an_loop *l, const char *culprit)
{
	const struct an_task_starve *w = NULL;
	char who[sizeof(((struct an_finding *)0)->culprit)];

	for (size_t i = 0; i < l->ntstarves; i++) {
		const struct an_task_starve *s = &l->tstarves[i];

		snprintf(who, sizeof(who), "%s (%s)", s->task->name,
			 an_prio_name(s->prio));
		if (!strcmp(who, culprit) &&
		    (!w || s->end - s->start > w->end - w->start))
			w = s;
	}
	return w ? w->start : INT64_MIN;
}

static int64_t finding_time(const struct an_finding *fd)
{
	const struct an_loop *l = fd->loop;
	/* Truncated as the culprit was. */
	char who[sizeof(fd->culprit)];
	size_t i;
	int p;

	if (!l)
		return INT64_MIN;
	if (fd->kind == AN_STARVING) {
		for (p = 0; p < AN_PRIOS; p++) {
			const struct an_prio *ap = &l->prio[p];
			const struct an_starve *w = NULL;

			if (strcmp(fd->culprit, an_prio_name(p)))
				continue;
			for (i = 0; i < ap->nstarves; i++)
				if (!w || ap->starves[i].end -
					  ap->starves[i].start >
					  w->end - w->start)
					w = &ap->starves[i];
			if (w)
				return w->start;
		}
	} else if (fd->kind == AN_STARVING_TASK) {
		int64_t t = task_wait_time(l, fd->culprit);

		if (t != INT64_MIN)
			return t;
	} else if (fd->kind == AN_BACKLOG) {
		for (i = 0; i < l->nperfs; i++) {
			snprintf(who, sizeof(who), "performer 0x%" PRIx64,
				 l->perfs[i]->addr);
			if (!strcmp(who, fd->culprit) ||
			    strstr(fd->culprit, who + 10))
				return l->perfs[i]->max_backlog_at;
		}
	} else {
		for (i = 0; i < l->ntasks; i++) {
			const struct an_task *t = l->tasks[i];

			snprintf(who, sizeof(who), "%s (%s)",
				 t->name ? t->name : "", an_prio_name(t->prio));
			if ((!strcmp(who, fd->culprit) ||
			     (t->name && !strcmp(t->name, fd->culprit))) &&
			    t->runs)
				return t->max_run_begin;
		}
	}
	return l->first;
}

/* ---- a loop's track: runs, strictly nested, and their arrows ---------- */

/* A run as written: its times once nesting is strict, and its arrow. */
struct xrun {
	const struct an_run *run;
	int64_t begin, end;
	int64_t flow_ts;      /* where its arrow starts; INT64_MIN: none */
	uint64_t flow;        /* the arrow's id */
	bool clamped;
};

static bool run_valid(const struct an_run *run)
{
	return run->prio >= -1 && run->prio < AN_PRIOS;
}

static const char *run_name(const struct an_run *run)
{
	if (!run->task)
		return "performer work";
	return run->task->name && run->task->name[0] ? run->task->name
						      : "(unnamed)";
}

/*
 * Where a run's arrow starts: when it became ready; the loop's first
 * event for a task ready since before the trace saw the loop (the arrow
 * would otherwise stretch the timeline over time nothing was recorded
 * in; "wait_ns" says how long it was); 1 ns before the run's start when
 * that is not earlier (the arrow's "s" must be taken before its "f").
 * INT64_MIN when the trace did not say.
 */
static int64_t flow_start(const struct an_loop *l, const struct an_run *run,
			  int64_t begin)
{
	int64_t s = run->ready_at;

	if (s < 0)
		return INT64_MIN;
	if (l->first != INT64_MIN && s < l->first)
		s = l->first;
	return s < begin ? s : begin - 1;
}

/* By start, then the longest first (a parent before what it holds). */
static int cmp_xrun(const void *a, const void *b)
{
	const struct xrun *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return (x->run > y->run) - (x->run < y->run);
}

/*
 * One pass over runs sorted by cmp_xrun: each run is checked against the
 * innermost earlier run still open at its start (a stack) and clamped
 * into it: a start before the parent's start or an end after the
 * parent's end moves onto that boundary, and a run with a duration that
 * starts at the very ns of its parent starts 1 ns later. Slices are
 * half-open, [begin, end): a run ending where another starts is done,
 * except that zero-length slices at one instant nest. Returns the number
 * of changes: 0 when the runs nest strictly.
 */
static size_t strict_pass(struct xrun *v, size_t n, size_t *stk)
{
	size_t depth = 0, fixes = 0, i;

	for (i = 0; i < n; i++) {
		struct xrun *r = &v[i];
		const struct xrun *t;

		while (depth) {
			t = &v[stk[depth - 1]];
			if (t->end < r->begin ||
			    (t->end == r->begin &&
			     !(t->begin == t->end && r->begin == r->end)))
				depth--;
			else
				break;
		}
		if (depth) {
			t = &v[stk[depth - 1]];
			if (r->begin < t->begin) {
				r->begin = t->begin;
				fixes++;
				r->clamped = true;
			}
			if (r->end > t->end) {
				r->end = t->end;
				fixes++;
				r->clamped = true;
			}
			if (r->end < r->begin)
				r->end = r->begin;
			if (r->begin == t->begin && r->end > r->begin &&
			    t->end > t->begin) {
				r->begin++;
				fixes++;
				r->clamped = true;
			}
		}
		stk[depth++] = i;
	}
	return fixes;
}

/* The loop's runs, sorted and strictly nested, in *n; NULL when out of
 * memory (or no run: *n is then 0). */
static struct xrun *strict_runs(const struct an_loop *l, size_t *n)
{
	struct xrun *v;
	size_t *stk, i, k = 0;
	int pass;

	*n = 0;
	if (l->nruns == 0)
		return NULL;
	v = calloc(l->nruns, sizeof(*v));
	stk = calloc(l->nruns, sizeof(*stk));
	if (!v || !stk) {
		free(v);
		free(stk);
		return NULL;
	}
	for (i = 0; i < l->nruns; i++) {
		const struct an_run *run = &l->runs[i];

		if (!run_valid(run))
			continue;
		v[k].run = run;
		v[k].begin = run->begin;
		v[k].end = run->end > run->begin ? run->end : run->begin;
		k++;
	}
	qsort(v, k, sizeof(*v), cmp_xrun);
	/* A pass leaves the runs nested; moved starts may need a sort and
	 * another pass. */
	for (pass = 0; pass < 16 && strict_pass(v, k, stk); pass++)
		qsort(v, k, sizeof(*v), cmp_xrun);
	free(stk);
	*n = k;
	return v;
}

/* What a loop's track holds, in the order Perfetto takes it. */
enum tev_kind { TEV_RUN, TEV_END, TEV_START };

struct tev {
	int64_t ts;
	int64_t key;   /* -dur for a run with a duration, else 0 */
	int grp;       /* among key 0 at one ts: 0 the end of an arrow to a
			* run with a duration, 1 a zero-length run and its
			* arrow's end, 2 arrows' starts */
	size_t seq;
	enum tev_kind kind;
	struct xrun *x;
};

/*
 * Perfetto's JSON importer sorts by ts, then complete events by
 * decreasing duration before everything else (zero-length ones rank
 * with everything else), then by file order; the grp and seq below are
 * that file order.
 */
static int cmp_tev(const void *a, const void *b)
{
	const struct tev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->grp != y->grp)
		return x->grp - y->grp;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* A slice on a track's stack, as Perfetto keeps it. */
struct slot {
	int64_t begin, end;
	const struct xrun *x;   /* NULL for a marker */
};

/*
 * Perfetto's SliceTracker before it opens a slice at ts of duration dur:
 * from the top of the stack down, a slice that ended before ts, or at ts
 * unless both are zero-length, is popped. (It pops the top of the stack
 * whichever slice it is looking at; that is copied too.)
 */
static void stack_close(struct slot *s, size_t *n, int64_t ts, int64_t dur)
{
	size_t i = *n;

	while (i-- > 0) {
		int64_t d = s[i].end - s[i].begin;

		if (s[i].end < ts || (s[i].end == ts && !(d == 0 && dur == 0)))
			(*n)--;
	}
}

/* The common start of an "X" event, up to its "dur". */
static void ev_x(struct out *o, const char *name, const char *cat,
		 int64_t pid, int64_t tid, int64_t ts, int64_t dur)
{
	ev_begin(o, "X");
	fputs(",\"name\":", o->f);
	tj_str(o->f, name);
	fprintf(o->f, ",\"cat\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
		",\"ts\":", cat, pid, tid);
	json_us(o->f, ts);
	fputs(",\"dur\":", o->f);
	json_us(o->f, dur);
}

static void write_run(struct out *o, const struct xrun *x, int64_t pid,
		      int64_t tid, int64_t t0)
{
	const struct an_run *run = x->run;

	ev_x(o, run_name(run), run->prio < 0 ? "performer" :
	     an_prio_name(run->prio), pid, tid, x->begin - t0,
	     x->end - x->begin);
	fputs(",\"args\":{", o->f);
	if (run->task) {
		fprintf(o->f, "\"task\":%" PRIu64, run->task_id);
		if (run->ready_at >= 0)
			fprintf(o->f, ",\"wait_ns\":%" PRId64,
				run->begin - run->ready_at);
	} else {
		fputs("\"performer_work\":true", o->f);
		if (run->ready_at >= 0)
			fprintf(o->f, ",\"delay_ns\":%" PRId64,
				run->begin - run->ready_at);
	}
	if (x->clamped)
		fprintf(o->f, ",\"clamped\":true,\"begin_ns\":%" PRId64
			",\"end_ns\":%" PRId64, run->begin, run->end);
	fputs("}}", o->f);
}

/* An arrow's category and name: a task became ready, work was posted. */
static const char *flow_cat(const struct xrun *x)
{
	return x->run->task ? "ready" : "posted";
}

static void write_flow(struct out *o, bool start, const struct xrun *x,
		       int64_t pid, int64_t tid, int64_t ts)
{
	ev_begin(o, start ? "s" : "f");
	fprintf(o->f, ",\"name\":\"%s\",\"cat\":\"%s\",\"id\":%" PRIu64
		",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":",
		flow_cat(x), flow_cat(x), x->flow, pid, tid);
	json_us(o->f, ts);
	if (!start)
		fputs(",\"bp\":\"e\"", o->f);
	fprintf(o->f, ",\"args\":{\"task\":%" PRIu64 "}}", x->run->task_id);
}

/* The zero-length slice an arrow starts from where no run encloses its
 * start. */
static void write_marker(struct out *o, const struct xrun *x, int64_t pid,
			 int64_t tid, int64_t ts)
{
	char name[200];

	snprintf(name, sizeof(name), "%s %s", flow_cat(x), run_name(x->run));
	ev_x(o, name, flow_cat(x), pid, tid, ts, 0);
	fprintf(o->f, ",\"args\":{\"task\":%" PRIu64 "}}", x->run->task_id);
}

/* The loop's thread track: its runs, the arrows to them, the markers
 * the arrows need. False when out of memory. */
static bool write_track(struct out *o, const struct an_loop *l, int64_t pid,
			int64_t tid, int64_t t0, uint64_t *flow_id)
{
	struct xrun *v;
	struct tev *ev;
	struct slot *stk;
	size_t n, nev = 0, depth = 0, i;

	v = strict_runs(l, &n);
	if (!v)
		return l->nruns == 0;
	if (n == 0) {
		free(v);
		return true;
	}
	ev = calloc(3 * n, sizeof(*ev));
	stk = calloc(n + 1, sizeof(*stk));
	if (!ev || !stk) {
		free(v);
		free(ev);
		free(stk);
		return false;
	}
	for (i = 0; i < n; i++) {
		struct xrun *x = &v[i];
		int64_t dur = x->end - x->begin;

		o->clamped += x->clamped;
		x->flow_ts = flow_start(l, x->run, x->begin);
		ev[nev++] = (struct tev){ x->begin, dur > 0 ? -dur : 0,
					  dur > 0 ? 0 : 1, 2 * i, TEV_RUN, x };
		if (x->flow_ts == INT64_MIN)
			continue;
		x->flow = ++*flow_id;
		ev[nev++] = (struct tev){ x->begin, 0, dur > 0 ? 0 : 1,
					  2 * i + 1, TEV_END, x };
		ev[nev++] = (struct tev){ x->flow_ts, 0, 2, i, TEV_START, x };
	}
	qsort(ev, nev, sizeof(*ev), cmp_tev);

	for (i = 0; i < nev; i++) {
		struct xrun *x = ev[i].x;

		switch (ev[i].kind) {
		case TEV_RUN:
			stack_close(stk, &depth, x->begin, x->end - x->begin);
			stk[depth++] = (struct slot){ x->begin, x->end, x };
			write_run(o, x, pid, tid, t0);
			break;
		case TEV_END:
			/* Bound to the slice on top: its own run, by the
			 * order above. */
			if (!depth || stk[depth - 1].x != x)
				o->unbound++;
			write_flow(o, false, x, pid, tid, x->begin - t0);
			o->flows++;
			break;
		case TEV_START:
			/* Bound to the slice on top, if that one encloses
			 * the start; else to a marker there. */
			if (!depth || stk[depth - 1].begin > x->flow_ts ||
			    stk[depth - 1].end < x->flow_ts) {
				stack_close(stk, &depth, x->flow_ts, 0);
				stk[depth++] = (struct slot){
					x->flow_ts, x->flow_ts, NULL
				};
				write_marker(o, x, pid, tid, x->flow_ts - t0);
				o->markers++;
			}
			write_flow(o, true, x, pid, tid, x->flow_ts - t0);
			break;
		}
	}
	free(ev);
	free(stk);
	free(v);
	return true;
}

/* ---- the other tracks ------------------------------------------------ */

/* Each priority that starved: its intervals on a track of its own, in
 * time order and never overlapping. */
static void write_starves(struct out *o, const struct an_loop *l,
			  int64_t pid, int64_t tid0, int64_t t0)
{
	char name[200], buf[48];
	size_t i;
	unsigned k;
	int p;

	for (p = 0; p < AN_PRIOS; p++) {
		const struct an_prio *ap = &l->prio[p];
		int64_t prev_end = INT64_MIN;

		for (i = 0; i < ap->nstarves; i++) {
			const struct an_starve *s = &ap->starves[i];
			int64_t b = s->start > prev_end ? s->start : prev_end;
			int64_t e = s->end > b ? s->end : b;

			prev_end = e;
			snprintf(name, sizeof(name), "%s starving",
				 an_prio_name(p));
			ev_x(o, name, "starvation", pid, tid0 + 1 + p, b - t0,
			     e - b);
			fprintf(o->f, ",\"args\":{\"duration\":\"%s\","
				"\"open_at_end\":%s", an_fmt_ns(s->end -
				s->start, buf, sizeof(buf)),
				s->open_at_end ? "true" : "false");
			for (k = 0; k < s->nblame && k < AN_BLAME_MAX; k++) {
				const struct an_blame *bl = &s->blame[k];

				fprintf(o->f, ",\"blame%u\":", k + 1);
				snprintf(name, sizeof(name), "%s: %s in "
					 "%" PRIu64 " run%s", bl->task ?
					 (bl->task->name ? bl->task->name :
					  "") : "performer work",
					 an_fmt_ns(bl->ran_ns, buf, sizeof(buf)),
					 bl->runs, bl->runs == 1 ? "" : "s");
				tj_str(o->f, name);
			}
			fputs("}}", o->f);
		}
	}
}

/*
 * The ready-queue depths as one counter, a series per priority that was
 * ever ready: at each change, every series' value ("C" events carry all
 * the series of their counter). Perfetto names the tracks
 * "NAME PRIORITY".
 */
static void write_depths(struct out *o, const struct an_loop *l,
			 int64_t pid, int64_t tid, int64_t t0,
			 const char *name)
{
	size_t idx[AN_PRIOS] = { 0 };
	uint32_t cur[AN_PRIOS] = { 0 };
	bool any = false;
	int p;

	for (p = 0; p < AN_PRIOS; p++)
		any |= l->prio[p].ndepth > 0;
	while (any) {
		int64_t t = INT64_MAX;
		bool comma = false;

		for (p = 0; p < AN_PRIOS; p++)
			if (idx[p] < l->prio[p].ndepth &&
			    l->prio[p].depth[idx[p]].t < t)
				t = l->prio[p].depth[idx[p]].t;
		if (t == INT64_MAX)
			break;
		for (p = 0; p < AN_PRIOS; p++)
			while (idx[p] < l->prio[p].ndepth &&
			       l->prio[p].depth[idx[p]].t == t)
				cur[p] = l->prio[p].depth[idx[p]++].depth;
		ev_begin(o, "C");
		fputs(",\"name\":", o->f);
		tj_str(o->f, name);
		fprintf(o->f, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64
			",\"ts\":", pid, tid);
		json_us(o->f, t - t0);
		fputs(",\"args\":{", o->f);
		for (p = 0; p < AN_PRIOS; p++) {
			if (!l->prio[p].ndepth)
				continue;
			fprintf(o->f, "%s\"%s\":%" PRIu32, comma ? "," : "",
				an_prio_name(p), cur[p]);
			comma = true;
		}
		fputs("}}", o->f);
	}
}

/* The loop's name on its track: its address (which tells two loops of a
 * process apart, and scripts/check-perfetto.py keys on) then its name and
 * thread, 'loop 0x... "main" (thread officesim, tid 41)'; by its address
 * and process when the trace says nothing of its thread. */
static const char *loop_track_name(char *buf, size_t len,
				   const struct an_loop *l)
{
	char who[160];

	if (l->tid >= 0 || l->name)
		/* an_loop_label() begins with "loop ". */
		snprintf(buf, len, "loop 0x%" PRIx64 " %s", l->addr,
			 an_loop_label(l, who, sizeof(who)) + 5);
	else if (l->procname)
		snprintf(buf, len, "loop 0x%" PRIx64 " (%s)", l->addr,
			 l->procname);
	else if (l->vpid >= 0)
		snprintf(buf, len, "loop 0x%" PRIx64 " (pid %" PRId64 ")",
			 l->addr, l->vpid);
	else
		snprintf(buf, len, "loop 0x%" PRIx64 " (trace %u)", l->addr,
			 l->trace);
	return buf;
}

/* The earliest time the loop's events will show, arrows' starts
 * included; INT64_MAX when none. */
static int64_t loop_t0(const struct an_loop *l)
{
	int64_t t0 = l->first != INT64_MIN ? l->first : INT64_MAX;
	size_t i;

	for (i = 0; i < l->nruns; i++) {
		const struct an_run *run = &l->runs[i];
		int64_t s;

		if (!run_valid(run))
			continue;
		if (run->begin < t0)
			t0 = run->begin;
		s = flow_start(l, run, run->begin);
		if (s != INT64_MIN && s < t0)
			t0 = s;
	}
	return t0;
}

static void write_finding(struct out *o, const struct an_finding *fd,
			  int64_t pid, int64_t tid, int64_t t0)
{
	int64_t at = finding_time(fd);
	char name[200];

	if (at == INT64_MIN || at < t0)
		at = t0;
	ev_begin(o, "i");
	snprintf(name, sizeof(name), "%s: %s", an_kind_name(fd->kind),
		 fd->culprit);
	fputs(",\"s\":\"g\",\"cat\":\"finding\",\"name\":", o->f);
	tj_str(o->f, name);
	fprintf(o->f, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":",
		pid, tid);
	json_us(o->f, at - t0);
	fprintf(o->f, ",\"args\":{\"severity\":\"%s\",\"kind\":\"%s\","
		"\"culprit\":", an_severity_name(fd->severity),
		an_kind_name(fd->kind));
	tj_str(o->f, fd->culprit);
	fputs(",\"evidence\":", o->f);
	tj_str(o->f, fd->evidence);
	if (fd->loop)
		fprintf(o->f, ",\"loop\":\"0x%" PRIx64 "\"", fd->loop->addr);
	fputs("}}", o->f);
}

/* The saves' triggers (see the top of this file). */
static void write_flight(struct out *o, const struct an_result *r,
			 const struct fm_set *fs, struct proc *procs,
			 size_t nprocs, int64_t t0)
{
	char text[1024];
	int64_t last = t0;
	size_t i, li;

	for (i = 0; i < r->nloops; i++)
		if (r->loops[i]->last > last)
			last = r->loops[i]->last;
	for (i = 0; i < fs->n; i++) {
		const struct fm_mark *m = &fs->v[i];
		const struct an_loop *l = fm_loop(m, r);
		bool on_loop = l && m->has_time && !fm_is_exit(m) &&
			       m->time >= t0 && m->time <= last;

		for (li = 0; l && li < r->nloops; li++)
			if (r->loops[li] == l)
				break;
		/* Not in the trace: with the first loop, as a finding. */
		if (!l || li == r->nloops)
			li = 0;
		ev_begin(o, "i");
		fprintf(o->f, ",\"s\":\"%s\",\"cat\":\"flight\",\"name\":",
			on_loop ? "t" : "g");
		tj_str(o->f, m->rule);
		if (r->nloops)
			fprintf(o->f, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64,
				proc_of(procs, nprocs, r->loops[li])->pid,
				(int64_t)(TID_BASE + (int64_t)li * TRACKS));
		else
			fputs(",\"pid\":0,\"tid\":0", o->f);
		fputs(",\"ts\":", o->f);
		json_us(o->f, (on_loop ? m->time : last) - t0);
		fprintf(o->f, ",\"args\":{\"save\":%" PRId64 ",\"rule\":",
			m->save);
		tj_str(o->f, m->rule);
		fputs(",\"saved_at\":", o->f);
		tj_str(o->f, m->saved_at);
		fputs(",\"file\":", o->f);
		tj_str(o->f, m->file);
		fputs(",\"text\":", o->f);
		tj_str(o->f, fm_line(m, r, text, sizeof(text)));
		fputs("}}", o->f);
	}
}

/* The whole JSON document to o->f; false when out of memory. */
static bool write_json(struct out *o, const struct an_result *r,
		       const struct fm_set *fs)
{
	struct proc *procs;
	int64_t t0 = INT64_MAX;
	size_t nprocs = 0, i;
	uint64_t flow_id = 0;
	bool ok = true;
	char name[200];
	int p;

	procs = make_procs(r, &nprocs);
	if (!procs)
		return false;
	for (i = 0; i < r->nloops; i++) {
		int64_t t = loop_t0(r->loops[i]);

		if (t < t0)
			t0 = t;
	}
	if (t0 == INT64_MAX)
		t0 = 0;

	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", o->f);

	/* Metadata: the names and order of the processes and tracks. */
	for (i = 0; i < nprocs; i++) {
		if (procs[i].procname && procs[i].vpid >= 0)
			snprintf(name, sizeof(name), "%s", procs[i].procname);
		else if (procs[i].procname)
			snprintf(name, sizeof(name), "%s (trace %u)",
				 procs[i].procname, procs[i].trace);
		else if (procs[i].vpid >= 0)
			snprintf(name, sizeof(name), "pid %" PRId64,
				 procs[i].vpid);
		else
			snprintf(name, sizeof(name), "trace %u",
				 procs[i].trace);
		ev_meta(o, "process_name", procs[i].pid, 0, name, 0);
		ev_meta(o, "process_sort_index", procs[i].pid, 0, NULL,
			(long)i);
	}
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		int64_t pid = proc_of(procs, nprocs, l)->pid;
		int64_t tid0 = TID_BASE + (int64_t)i * TRACKS;

		ev_meta(o, "thread_name", pid, tid0,
			loop_track_name(name, sizeof(name), l), 0);
		ev_meta(o, "thread_sort_index", pid, tid0, NULL,
			(long)i * TRACKS);
		for (p = 0; p < AN_PRIOS; p++) {
			if (!l->prio[p].nstarves)
				continue;
			char who[160];

			snprintf(name, sizeof(name), "%s %s starving",
				 loop_track_name(who, sizeof(who), l),
				 an_prio_name(p));
			ev_meta(o, "thread_name", pid, tid0 + 1 + p, name, 0);
			ev_meta(o, "thread_sort_index", pid, tid0 + 1 + p,
				NULL, (long)i * TRACKS + 1 + p);
		}
	}
	/* Findings without a loop in a trace without loops: somewhere
	 * named. */
	if (r->nloops == 0 && (r->nfindings || fs->n)) {
		ev_meta(o, "process_name", 0, 0, "schedprof", 0);
		ev_meta(o, "thread_name", 0, 0, "findings", 0);
	}

	for (i = 0; i < r->nloops && ok; i++) {
		const struct an_loop *l = r->loops[i];
		const struct proc *pr = proc_of(procs, nprocs, l);
		int64_t tid0 = TID_BASE + (int64_t)i * TRACKS;

		ok = write_track(o, l, pr->pid, tid0, t0, &flow_id);
		if (!ok)
			break;
		write_starves(o, l, pr->pid, tid0, t0);
		/* One counter per loop of the process. */
		if (pr->nloops > 1)
			snprintf(name, sizeof(name), "ready 0x%" PRIx64,
				 l->addr);
		else
			snprintf(name, sizeof(name), "ready");
		write_depths(o, l, pr->pid, tid0, t0, name);
	}

	for (i = 0; i < r->nfindings && ok; i++) {
		const struct an_finding *fd = &r->findings[i];
		size_t li;

		for (li = 0; li < r->nloops; li++)
			if (r->loops[li] == fd->loop)
				break;
		/* A finding about the whole trace (events lost) goes with
		 * the first loop. */
		if (li == r->nloops)
			li = 0;
		if (r->nloops)
			write_finding(o, fd,
				      proc_of(procs, nprocs,
					      r->loops[li])->pid,
				      TID_BASE + (int64_t)li * TRACKS, t0);
		else
			write_finding(o, fd, 0, 0, t0);
	}
	if (ok && fs->n)
		write_flight(o, r, fs, procs, nprocs, t0);
	fputs("\n]}\n", o->f);
	free(procs);
	return ok;
}

int sp_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "perfetto", required_argument, NULL, 'p' },
		{ "long-task", required_argument, NULL, 'l' },
		{ "starve", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	struct an_config cfg;
	const struct an_result *r;
	char err[512], note[80] = "", *tmp;
	struct out o = { .first = true };
	struct fm_set fs;
	struct an *a;
	FILE *f;
	int c, e;
	bool ok;

	an_config_default(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			file = optarg;
			break;
		case 'l':
			if (!sp_parse_ms(optarg, &cfg.long_task_ns)) {
				sp_error("export: --long-task: '%s' is not a "
					 "duration in ms", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 's':
			if (!sp_parse_ms(optarg, &cfg.starve_ns)) {
				sp_error("export: --starve: '%s' is not a "
					 "duration in ms", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'h':
			return usage(stdout, SP_EXIT_OK);
		case ':':
			sp_error("export: %s needs a value",
				 argv[optind - 1]);
			return usage(stderr, SP_EXIT_USAGE);
		default:
			sp_error("export: unknown option '%s'",
				 argv[optind - 1]);
			return usage(stderr, SP_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		sp_error("export: no trace directory given");
		return usage(stderr, SP_EXIT_USAGE);
	}
	if (!file || !*file) {
		sp_error("export: --perfetto FILE.json is required");
		return usage(stderr, SP_EXIT_USAGE);
	}

	if (fm_find((const char *const *)argv + optind, argc - optind, &fs,
		    err, sizeof(err)) < 0) {
		sp_error("%s", err);
		return SP_EXIT_USAGE;
	}
	a = an_from_traces((const char *const *)argv + optind, argc - optind,
			   &cfg, err, sizeof(err));
	if (!a) {
		sp_error("%s", err);
		fm_set_free(&fs);
		return SP_EXIT_USAGE;
	}
	r = an_finish(a);

	/* Written beside, then renamed: FILE is never left half written. */
	if (asprintf(&tmp, "%s.tmp", file) < 0) {
		sp_error("out of memory");
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	f = fopen(tmp, "w");
	if (!f) {
		sp_error("cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	o.f = f;
	ok = write_json(&o, r, &fs);
	e = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (!ok || e || rename(tmp, file) < 0) {
		if (!ok)
			sp_error("out of memory writing %s", file);
		else
			sp_error("cannot write %s: %s", e ? tmp : file,
				 strerror(e ? e : errno));
		unlink(tmp);
		free(tmp);
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	/* Cannot happen (the order written makes each arrow's end bind to
	 * its run): said, so that a regression shows. */
	if (o.unbound)
		sp_error("export: %" PRIu64 " %s may bind to the wrong "
			 "slice in Perfetto (a bug)", o.unbound,
			 tw_noun(o.unbound, "arrow", "arrows"));
	if (o.clamped)
		snprintf(note, sizeof(note), ", %" PRIu64 " %s clamped "
			 "to nest strictly", o.clamped,
			 tw_noun(o.clamped, "run", "runs"));
	printf("%s: %" PRIu64 " trace events, %" PRIu64 " arrows (%" PRIu64
	       " from a ready marker)%s%s; open it in https://ui.perfetto.dev "
	       "or chrome://tracing\n", file, o.events, o.flows, o.markers,
	       note, r->complete ? "" : " (the trace is INCOMPLETE: the tracer "
	       "lost events)");
	free(tmp);
	fm_set_free(&fs);
	an_free(a);
	return SP_EXIT_OK;
}
