/*
 * schedprof export: the analysis of recorded traces as a Chrome/Perfetto
 * JSON trace (the "trace event format"), for ui.perfetto.dev or
 * chrome://tracing:
 *
 *   - a process per traced process (its vpid as pid, "M" process_name);
 *   - in it, a track per thread, with the thread's real id (the trace's
 *     vtid context) as tid: a loop's thread is named "loop 0x...
 *     (thread NAME, tid N)" (and "+ loop 0x..." for each other loop it
 *     runs); a thread that only posted work is named after the thread;
 *   - on a loop's thread, each run of its tasks and of first-class posted
 *     work on the thread that ran it (its task_fire_begin's or
 *     perform_fire_begin's vtid), a complete event ("X": name the task,
 *     cat its priority or "performer"); the loop's sleeps (cat "sleep",
 *     loop_wake's [now - slept, now], the time the loop counted as slept,
 *     loop_sleep's now being its start); its stopwatch checks (cat
 *     "stopwatch", named after the verdict), each the iteration that
 *     just ended, [t - last_iter, t] at the slice event's time t, inside
 *     the run of its task that encloses t (a check outside such a run,
 *     made outside a task or on a loop whose clock is not the trace's,
 *     is only counted); all of them strictly nested (below);
 *   - an arrow (flow) into each run from where it became ready: from the
 *     post, on the thread that posted (perform_enqueue's vtid) at its
 *     posted_at, for posted work (first-class, or a prioritised post's
 *     task: cat "posted"); else from the moment the task became ready
 *     (an idle's enqueue, a timer's due time: cat "ready") on the run's
 *     track. "s" binds to the slice enclosing it on its track; where no
 *     slice encloses that moment, a zero-length "ready NAME" or
 *     "posted NAME" slice there holds the arrow; "f" with "bp":"e" at the
 *     run's start;
 *   - the ready-queue depth of each priority as counter series ("C"
 *     "ready", "ready 0x..." in a process of several loops; one series
 *     per priority: "ready HIGHEST" in Perfetto);
 *   - per priority that starved, its starvation intervals as async slices
 *     ("b"/"e", cat "starvation") of a process track "loop 0x... HIGHEST
 *     starving" (they overlap the runs, and those of other priorities, so
 *     they cannot share a thread's track);
 *   - the findings as global instant events ("i", scope "g");
 *   - the trigger of each flight-recorder save among the traces
 *     (flightmark.h) as an instant event on its loop's thread ("i", scope
 *     "t", cat "flight"), named after the rule that fired; a save made at
 *     the end of the recording (--save-on-exit) as a global one at the
 *     trace's last event. They come last in the file, so that a flow at
 *     the same ns binds as it would without them.
 *
 * What the analysis does not keep (which thread ran a run or made a
 * post, the checks, the sleeps) is read from the traces in a second pass
 * (extra_read()).
 *
 * Strict nesting: the slices of one thread never overlap in time unless
 * one holds the other (performer work drained inline, within a task; a
 * check within its run; a loop run inside a task of another loop of the
 * thread). They are sorted by start, longest first, and one that would
 * stick out of the one holding it is clamped into it; a nested one that
 * starts at the very ns of its parent starts 1 ns later, so that the flow
 * ending at the parent's start binds to the parent (args "clamped" says
 * so).
 *
 * Flow binding follows Perfetto's JSON importer: events are taken in
 * (ts, then complete events longest first, then file order) order; "s"
 * and "f" bind to the slice on top of their track's stack at that point.
 * The events of a track are written in that order, and the stack is
 * followed while writing, which is how the exporter knows whether the
 * slice on top encloses a flow's start or a marker slice is needed. A run
 * that was ready at the very ns it began (cached time) gets its arrow from
 * 1 ns before: "s" must come before "f", and no slice at one instant can
 * hold both. A task ready since before the trace saw its loop gets its
 * arrow from the loop's first event (args wait_ns has the whole wait).
 * The arrow's "s" and "f" carry the run's task id in args (and a post's
 * number and poster_tid).
 *
 * Times are µs (with ns as decimals) from t0, the earliest first event of
 * the loops or an earlier ready time or post drawn, which "otherData"
 * gives as t0_ns, on the loops' clock. A
 * trace recorded without the vtid context (older tools, a hand-made
 * session) does not say which thread runs a loop: that loop's track then
 * has a made-up tid (TID_BASE + its index, above any real tid), and its
 * arrows all start on it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "grow.h"
#include "flightmark.h"
#include "jsonstr.h"
#include "numarg.h"
#include "schedprof.h"
#include "words.h"

/* Made-up thread ids, for a loop whose thread the trace does not say:
 * TID_BASE + the loop's index; above any real tid (pid_max is at most
 * 2^22). */
#define TID_BASE 1000000000LL
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
	uint64_t slices[3];    /* runs, sleeps, stopwatch checks written */
	uint64_t from_poster;  /* arrows starting on another thread, a post's */
	uint64_t starves;      /* starvation intervals */
	uint64_t unplaced;     /* checks not inside a run of their task */
};

#define EXPORT_USAGE \
	"usage: schedprof export DIR... --perfetto FILE.json " \
	"[--long-task MS] [--starve MS]\n" \
	"                        [--pid PID] [--merge]\n"

void sp_export_help(FILE *f)
{
	fputs(EXPORT_USAGE
	      "Writes the traces' runs, sleeps and stopwatch checks (a "
	      "track per thread, with\nits real tid), arrows from each "
	      "post (on the posting thread) or ready time to\nits run, "
	      "ready-queue depths, starvation intervals and findings as "
	      "a\nChrome/Perfetto JSON trace: open it in ui.perfetto.dev "
	      "or chrome://tracing.\n"
	      "  --perfetto FILE.json  where the trace goes (required)\n"
	      "  --long-task MS        a run this long is a long task "
	      "(default 50)\n"
	      "  --starve MS           a ready task waiting this long "
	      "starves (default 100)\n"
	      "  --pid PID             only this process's events\n"
	      "  --merge               read traces of several recordings "
	      "together\n"
	      "  -h, --help            this help\n"
	      "  --version             the libsched release and the trace schema\n"
	      "Exit status: 0 ok; 1 FILE.json could not be written; 2 bad "
	      "usage or bad input.\n"
	      "See schedprof(1) and docs/schedprof.md.\n", f);
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

/* ---- what the analysis does not keep: read from the traces again ------ */

/* A run's start and the thread that ran it (task_fire_begin; for
 * first-class posted work perform_fire_begin, task 0). */
struct xfire {
	int64_t begin;
	uint64_t task;
	int64_t vtid;
};

/* Which post a run of posted work ran (perform_fire_begin): by the task
 * that ran it, or for first-class work (task 0) by its start. */
struct xpfire {
	uint64_t task;
	int64_t begin;
	uint64_t performer, post;
};

/* A post as accepted (perform_enqueue), on the thread that posted it. */
struct xpost {
	uint64_t performer, post;
	int64_t vtid, posted_at;
};

/* A stopwatch check (slice): at the event's time, on the thread that
 * checked. */
struct xcheck {
	int64_t t, vtid, elapsed, slice, last_iter, cpu;
	uint64_t task, checks;
	int verdict;
};

/* A sleep of the loop: loop_wake's [now - slept, now], the time the loop
 * counted as slept (loop_sleep's now is that start); the timeout its
 * loop_sleep gave (INT64_MIN when the trace began during the sleep). */
struct xsleep {
	int64_t begin, end, timeout, vtid;
	int reason;
};

struct xloop {
	struct xfire *fires;
	size_t nfires, capfires;
	struct xpfire *pfires;
	size_t npfires, cappfires;
	struct xpost *posts;
	size_t nposts, capposts;
	struct xcheck *checks;
	size_t nchecks, capchecks;
	struct xsleep *sleeps;
	size_t nsleeps, capsleeps;
	int64_t timeout;          /* of the sleep under way; INT64_MIN: none */
	const struct an_run **byid; /* task runs by (task id, begin) */
	size_t nbyid;
};

/* A thread's name: the procname context of its latest event. */
struct xthread {
	int64_t vpid, vtid;
	char *name;
};

struct extra {
	const struct an_result *r;
	struct xloop *loops;      /* one per r->loops[] */
	struct xthread *threads;
	size_t nthreads, capthreads, last;
	bool nomem;
};

/* The loop an event of loop addr belongs to, as the analysis keys loops
 * (an_loop: vpid and address; the trace when the vpid is unknown); -1
 * for none (another process than --pid's). */
static int find_loop(const struct extra *x, const struct tr_event *ev,
		     uint64_t addr)
{
	unsigned trace = ev->stream && ev->stream->trace
				 ? ev->stream->trace->index
				 : 0;
	size_t i;

	for (i = 0; i < x->r->nloops; i++) {
		const struct an_loop *l = x->r->loops[i];

		if (l->addr == addr && l->vpid == ev->vpid &&
		    (ev->vpid >= 0 || l->trace == trace))
			return (int)i;
	}
	return -1;
}

static void note_thread(struct extra *x, const struct tr_event *ev)
{
	struct xthread *t = NULL;
	size_t i;

	if (ev->vtid < 0 || !ev->procname)
		return;
	if (x->last < x->nthreads && x->threads[x->last].vtid == ev->vtid &&
	    x->threads[x->last].vpid == ev->vpid)
		t = &x->threads[x->last];
	for (i = 0; !t && i < x->nthreads; i++)
		if (x->threads[i].vtid == ev->vtid &&
		    x->threads[i].vpid == ev->vpid) {
			t = &x->threads[i];
			x->last = i;
		}
	if (t && t->name && !strcmp(t->name, ev->procname))
		return;
	if (!t) {
		if (!TG_ROOM(x->threads, x->nthreads, x->capthreads)) {
			x->nomem = true;
			return;
		}
		x->last = x->nthreads;
		t = &x->threads[x->nthreads++];
		*t = (struct xthread){ ev->vpid, ev->vtid, NULL };
	}
	free(t->name);
	t->name = strdup(ev->procname);
	if (!t->name)
		x->nomem = true;
}

static const char *thread_name(const struct extra *x, int64_t vpid,
			       int64_t vtid)
{
	size_t i;

	for (i = 0; i < x->nthreads; i++)
		if (x->threads[i].vtid == vtid && x->threads[i].vpid == vpid)
			return x->threads[i].name;
	return NULL;
}

#define XADD(x, arr, n, cap, ...)                                              \
	do {                                                                   \
		if (!TG_ROOM(arr, n, cap))                                     \
			(x)->nomem = true;                                     \
		else                                                           \
			(arr)[(n)++] = __VA_ARGS__;                            \
	} while (0)

/* Times beyond +-2^61 ns taken as +-2^61, as the analysis takes them
 * (an_feed()): the runs they are matched with carry such times, and no
 * difference of two of them overflows. */
#define X_TIME_LIMIT (INT64_C(1) << 61)

static int64_t clamp_time(int64_t v)
{
	return v > X_TIME_LIMIT ? X_TIME_LIMIT
				: v < -X_TIME_LIMIT ? -X_TIME_LIMIT : v;
}

static int extra_event(const struct tr_event *in, void *arg)
{
	struct extra *x = arg;
	struct tr_event copy = *in;
	const struct tr_event *ev = &copy;
	const struct tr_field *fl;
	unsigned nf = 0;
	struct xloop *xl;
	int i;

	fl = tr_type_fields(in->type, &nf);
	for (unsigned k = 0; k < nf; k++) {
		char *p = (char *)&copy + fl[k].offset;
		int64_t v;

		if (fl[k].kind != TR_KIND_I64)
			continue;
		memcpy(&v, p, sizeof(v));
		v = clamp_time(v);
		memcpy(p, &v, sizeof(v));
	}
	copy.clock_ns = clamp_time(copy.clock_ns);
	note_thread(x, ev);
	switch (ev->type) {
	case TR_EV_task_fire_begin:
		if ((i = find_loop(x, ev, ev->task_fire_begin.loop)) < 0)
			break;
		xl = &x->loops[i];
		XADD(x, xl->fires, xl->nfires, xl->capfires,
		     (struct xfire){ ev->task_fire_begin.begin,
				     ev->task_fire_begin.task, ev->vtid });
		break;
	case TR_EV_perform_fire_begin: {
		const struct tr_ev_perform_fire_begin *e =
			&ev->perform_fire_begin;

		if ((i = find_loop(x, ev, e->loop)) < 0)
			break;
		xl = &x->loops[i];
		XADD(x, xl->pfires, xl->npfires, xl->cappfires,
		     (struct xpfire){ e->task, e->begin, e->performer,
				      e->post });
		if (e->task == 0)
			XADD(x, xl->fires, xl->nfires, xl->capfires,
			     (struct xfire){ e->begin, 0, ev->vtid });
		break;
	}
	case TR_EV_perform_enqueue: {
		const struct tr_ev_perform_enqueue *e = &ev->perform_enqueue;

		if ((i = find_loop(x, ev, e->loop)) < 0)
			break;
		xl = &x->loops[i];
		XADD(x, xl->posts, xl->nposts, xl->capposts,
		     (struct xpost){ e->performer, e->post, ev->vtid,
				     e->posted_at });
		break;
	}
	case TR_EV_slice: {
		const struct tr_ev_slice *e = &ev->slice;

		if (!e->loop || (i = find_loop(x, ev, e->loop)) < 0)
			break;
		xl = &x->loops[i];
		XADD(x, xl->checks, xl->nchecks, xl->capchecks,
		     (struct xcheck){ ev->clock_ns, ev->vtid, e->elapsed,
				      e->slice, e->last_iter, e->cpu_elapsed,
				      e->task, e->checks, e->verdict });
		break;
	}
	case TR_EV_loop_sleep:
		if ((i = find_loop(x, ev, ev->loop_sleep.loop)) >= 0)
			x->loops[i].timeout = ev->loop_sleep.timeout;
		break;
	case TR_EV_loop_wake: {
		const struct tr_ev_loop_wake *e = &ev->loop_wake;
		int64_t slept = e->slept > 0 ? e->slept : 0;

		if ((i = find_loop(x, ev, e->loop)) < 0)
			break;
		xl = &x->loops[i];
		XADD(x, xl->sleeps, xl->nsleeps, xl->capsleeps,
		     (struct xsleep){ e->now - slept, e->now, xl->timeout,
				      ev->vtid, e->reason });
		xl->timeout = INT64_MIN;
		break;
	}
	default:
		break;
	}
	return x->nomem;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_xfire(const void *a, const void *b)
{
	const struct xfire *x = a, *y = b;

	return x->begin != y->begin ? cmp_i64(x->begin, y->begin)
				    : cmp_u64(x->task, y->task);
}

static int cmp_xpfire(const void *a, const void *b)
{
	const struct xpfire *x = a, *y = b;

	return x->task != y->task ? cmp_u64(x->task, y->task)
				  : cmp_i64(x->begin, y->begin);
}

static int cmp_xpost(const void *a, const void *b)
{
	const struct xpost *x = a, *y = b;

	return x->performer != y->performer
		       ? cmp_u64(x->performer, y->performer)
		       : cmp_u64(x->post, y->post);
}

static int cmp_byid(const void *a, const void *b)
{
	const struct an_run *x = *(const struct an_run *const *)a;
	const struct an_run *y = *(const struct an_run *const *)b;

	return x->task_id != y->task_id ? cmp_u64(x->task_id, y->task_id)
					: cmp_i64(x->begin, y->begin);
}

static void extra_free(struct extra *x)
{
	size_t i;

	for (i = 0; x->loops && i < x->r->nloops; i++) {
		struct xloop *xl = &x->loops[i];

		free(xl->fires);
		free(xl->pfires);
		free(xl->posts);
		free(xl->checks);
		free(xl->sleeps);
		free(xl->byid);
	}
	free(x->loops);
	for (i = 0; i < x->nthreads; i++)
		free(x->threads[i].name);
	free(x->threads);
}

/*
 * Reads the traces at paths a second time for what the analysis r does
 * not keep: which thread ran each run, which thread made each post, the
 * stopwatch checks and the loops' sleeps. Returns 0, or -1 with a
 * one-line message in err.
 */
static int extra_read(struct extra *x, const struct an_result *r,
		      const char *const *paths, int npaths, char *err,
		      size_t errlen)
{
	struct tr_handlers h = { .event = extra_event, .arg = x };
	struct tr_reader *rd;
	size_t i, j;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	x->r = r;
	x->loops = calloc(r->nloops ? r->nloops : 1, sizeof(*x->loops));
	rd = tr_reader_new();
	if (!x->loops || !rd) {
		tr_reader_free(rd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < r->nloops; i++)
		x->loops[i].timeout = INT64_MIN;
	/* The analysis read these paths first and refused traces of several
	 * recordings unless --merge: what it read, this reads again. */
	tr_reader_allow_merge(rd, true);
	for (i = 0; i < (size_t)npaths && rc >= 0; i++)
		rc = tr_reader_add_path(rd, paths[i]);
	if (rc >= 0)
		rc = tr_reader_run(rd, &h);
	if (rc == TR_STOPPED || x->nomem) {
		tr_reader_free(rd);
		snprintf(err, errlen, "out of memory while reading the trace");
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", tr_reader_error(rd));
		tr_reader_free(rd);
		return -1;
	}
	tr_reader_free(rd);
	for (i = 0; i < r->nloops; i++) {
		struct xloop *xl = &x->loops[i];
		const struct an_loop *l = r->loops[i];

		/* (An array with nothing in it may be NULL, which qsort()
		 * must not get.) */
		if (xl->nfires)
			qsort(xl->fires, xl->nfires, sizeof(*xl->fires),
			      cmp_xfire);
		if (xl->npfires)
			qsort(xl->pfires, xl->npfires, sizeof(*xl->pfires),
			      cmp_xpfire);
		if (xl->nposts)
			qsort(xl->posts, xl->nposts, sizeof(*xl->posts),
			      cmp_xpost);
		xl->byid = calloc(l->nruns ? l->nruns : 1, sizeof(*xl->byid));
		if (!xl->byid) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (j = 0; j < l->nruns; j++)
			if (l->runs[j].task)
				xl->byid[xl->nbyid++] = &l->runs[j];
		qsort(xl->byid, xl->nbyid, sizeof(*xl->byid), cmp_byid);
	}
	return 0;
}

/* The thread that ran run: its fire event's vtid; -1 if unknown. */
static int64_t run_vtid(const struct xloop *xl, const struct an_run *run)
{
	struct xfire key = { run->begin, run->task_id, 0 };
	const struct xfire *f;

	if (!xl->nfires)
		return -1;
	f = bsearch(&key, xl->fires, xl->nfires, sizeof(key), cmp_xfire);
	return f ? f->vtid : -1;
}

/* The post run ran, if it ran one: first-class work by its start, a
 * prioritised post by the task that ran it. */
static const struct xpost *run_post(const struct xloop *xl,
				    const struct an_run *run)
{
	struct xpfire key = { run->task ? run->task_id : 0,
			      run->task ? 0 : run->begin, 0, 0 };
	const struct xpfire *pf;
	struct xpost pkey;
	size_t lo = 0, hi = xl->npfires;

	if (!xl->npfires || !xl->nposts)
		return NULL;
	if (run->task) {
		/* The task's post, whatever its start. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (xl->pfires[mid].task < key.task)
				lo = mid + 1;
			else
				hi = mid;
		}
		pf = lo < xl->npfires && xl->pfires[lo].task == key.task
			     ? &xl->pfires[lo]
			     : NULL;
	} else {
		pf = bsearch(&key, xl->pfires, xl->npfires, sizeof(key),
			     cmp_xpfire);
	}
	if (!pf)
		return NULL;
	pkey.performer = pf->performer;
	pkey.post = pf->post;
	return bsearch(&pkey, xl->posts, xl->nposts, sizeof(pkey), cmp_xpost);
}

/* The run of check's task that encloses the check's time, NULL if none:
 * the check ran outside a task, or the loop's clock is not the trace's
 * (a virtual clock). */
static const struct an_run *check_run(const struct xloop *xl,
				      const struct xcheck *c)
{
	size_t lo = 0, hi = xl->nbyid;
	const struct an_run *run;

	if (!c->task)
		return NULL;
	/* The last run of the task beginning at or before the check. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct an_run *m = xl->byid[mid];

		if (m->task_id < c->task ||
		    (m->task_id == c->task && m->begin <= c->t))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	run = xl->byid[lo - 1];
	return run->task_id == c->task && c->t <= run->end ? run : NULL;
}

/* ---- threads' tracks: runs, sleeps and checks, strictly nested -------- */

enum ikind { IK_RUN, IK_SLEEP, IK_CHECK };

/* A slice as written: its times once nesting is strict; for a run, its
 * arrow. */
struct item {
	enum ikind kind;
	int64_t begin, end;
	bool clamped;
	size_t loop;
	const void *src;          /* an_run, xsleep or xcheck */
	const struct xpost *post; /* the post a run ran, where known */
	int64_t flow_ts;          /* where its arrow starts; INT64_MIN: none */
	uint64_t flow;            /* the arrow's id */
	size_t flow_track;        /* the track it starts on */
};

/* An arrow's start on a track. */
struct fstart {
	int64_t ts;
	struct item *to;
};

/*
 * A thread's track: (pid, real tid) from the trace, or a made-up tid for
 * a loop whose thread the trace does not say (recorded without the vtid
 * context).
 */
struct track {
	int64_t pid, tid;
	int64_t vpid;      /* the process's, for the thread's name */
	size_t loop;       /* the first loop whose thread this is; SIZE_MAX */
	unsigned nloops;   /* loops whose (latest) thread this is */
	size_t runs_loop;  /* a loop with runs or sleeps here; SIZE_MAX: none */
	struct item *items;
	size_t nitems, capitems;
	struct fstart *starts;
	size_t nstarts, capstarts;
};

struct tracks {
	struct track *v;
	size_t n, cap;
	size_t *of_loop;   /* each loop's own track: its thread's */
	uint64_t unplaced; /* stopwatch checks not inside a run of theirs */
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

/* The track of (pid, tid), made if new; SIZE_MAX when out of memory. */
static size_t track_get(struct tracks *t, int64_t pid, int64_t vpid,
			int64_t tid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].pid == pid && t->v[i].tid == tid)
			return i;
	if (!TG_ROOM(t->v, t->n, t->cap))
		return SIZE_MAX;
	t->v[t->n] = (struct track){ .pid = pid, .tid = tid, .vpid = vpid,
				     .loop = SIZE_MAX,
				     .runs_loop = SIZE_MAX };
	return t->n++;
}

static bool item_add(struct track *tk, struct item it)
{
	if (!TG_ROOM(tk->items, tk->nitems, tk->capitems))
		return false;
	tk->items[tk->nitems++] = it;
	return true;
}

/*
 * Where a task's arrow starts when no post made it: when it became
 * ready; the loop's first event for a task ready since before the trace
 * saw the loop (the arrow would otherwise stretch the timeline over time
 * nothing was recorded in; "wait_ns" says how long it was). INT64_MIN
 * when the trace did not say. Never later than 1 ns before the run's
 * start (the arrow's "s" must be taken before its "f").
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

/* By start, then the longest first (a parent before what it holds), a
 * run before a sleep or a check of the same times. */
static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return (x->src > y->src) - (x->src < y->src);
}

/*
 * One pass over items sorted by cmp_item: each is checked against the
 * innermost earlier item still open at its start (a stack) and clamped
 * into it: a start before the parent's start or an end after the
 * parent's end moves onto that boundary, and an item with a duration
 * that starts at the very ns of its parent starts 1 ns later. Slices are
 * half-open, [begin, end): one ending where another starts is done,
 * except that zero-length slices at one instant nest. Returns the number
 * of changes: 0 when the items nest strictly.
 */
static size_t strict_pass(struct item *v, size_t n, size_t *stk)
{
	size_t depth = 0, fixes = 0, i;

	for (i = 0; i < n; i++) {
		struct item *r = &v[i];
		const struct item *t;

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

/* Sorts a track's items and nests them strictly. False when out of
 * memory. */
static bool strict_items(struct track *tk)
{
	size_t *stk;
	int pass;

	if (tk->nitems == 0)
		return true;
	stk = calloc(tk->nitems, sizeof(*stk));
	if (!stk)
		return false;
	qsort(tk->items, tk->nitems, sizeof(*tk->items), cmp_item);
	/* A pass leaves the items nested; moved starts may need a sort and
	 * another pass. */
	for (pass = 0; pass < 16 && strict_pass(tk->items, tk->nitems, stk);
	     pass++)
		qsort(tk->items, tk->nitems, sizeof(*tk->items), cmp_item);
	free(stk);
	return true;
}

/* The track of a loop's run: the thread that ran it, else the loop's. */
static size_t run_track(struct tracks *t, const struct xloop *xl,
			const struct an_run *run, int64_t pid, size_t own)
{
	int64_t vtid = run_vtid(xl, run);

	if (vtid < 0 || vtid == t->v[own].tid)
		return own;
	return track_get(t, pid, t->v[own].vpid, vtid);
}

/*
 * Every track and what it holds: each loop's runs on the thread that ran
 * them, its sleeps and its stopwatch checks (inside the run of their
 * task) on the thread that slept or checked; the arrows into runs,
 * starting on the thread that posted (posted work) or on the run's own
 * track (a task that became ready). False when out of memory.
 */
static bool make_tracks(struct tracks *t, const struct an_result *r,
			const struct extra *x, struct proc *procs,
			size_t nprocs, uint64_t *flow_id)
{
	size_t i, j;

	t->of_loop = calloc(r->nloops ? r->nloops : 1, sizeof(*t->of_loop));
	if (!t->of_loop)
		return false;
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		int64_t pid = proc_of(procs, nprocs, l)->pid;
		size_t own;

		if (l->tid >= 0)
			own = track_get(t, pid, l->vpid, l->tid);
		else
			own = track_get(t, pid, l->vpid,
					TID_BASE + (int64_t)i);
		if (own == SIZE_MAX)
			return false;
		t->of_loop[i] = own;
		if (t->v[own].loop == SIZE_MAX)
			t->v[own].loop = i;
		t->v[own].nloops++;
	}
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		const struct xloop *xl = &x->loops[i];
		int64_t pid = proc_of(procs, nprocs, l)->pid;
		size_t own = t->of_loop[i], k;
		const struct an_run *prev_run = NULL;
		int64_t prev_t = INT64_MIN;

		for (j = 0; j < l->nruns; j++) {
			const struct an_run *run = &l->runs[j];
			struct item it = { .kind = IK_RUN, .loop = i,
					   .src = run, .flow_ts = INT64_MIN };

			if (!run_valid(run))
				continue;
			it.begin = run->begin;
			it.end = run->end > run->begin ? run->end : run->begin;
			it.post = run_post(xl, run);
			k = run_track(t, xl, run, pid, own);
			if (k == SIZE_MAX || !item_add(&t->v[k], it))
				return false;
			if (t->v[k].runs_loop == SIZE_MAX)
				t->v[k].runs_loop = i;
		}
		for (j = 0; j < xl->nsleeps; j++) {
			const struct xsleep *s = &xl->sleeps[j];
			struct item it = { .kind = IK_SLEEP, .loop = i,
					   .src = s, .begin = s->begin,
					   .end = s->end,
					   .flow_ts = INT64_MIN };

			k = s->vtid < 0 || s->vtid == t->v[own].tid
				    ? own
				    : track_get(t, pid, l->vpid, s->vtid);
			if (k == SIZE_MAX || !item_add(&t->v[k], it))
				return false;
			if (t->v[k].runs_loop == SIZE_MAX)
				t->v[k].runs_loop = i;
		}
		for (j = 0; j < xl->nchecks; j++) {
			const struct xcheck *c = &xl->checks[j];
			const struct an_run *run = check_run(xl, c);
			struct item it = { .kind = IK_CHECK, .loop = i,
					   .src = c, .end = c->t,
					   .flow_ts = INT64_MIN };

			if (!run) {
				t->unplaced++;
				continue;
			}
			/* The iteration that just ended; from the run's
			 * start if it began before (the stopwatch started
			 * before the run: clamped); from the previous
			 * check of the run if it would overlap it (both
			 * are drawn at their events' times, which follow
			 * the checks by the tracepoint's cost). */
			if (c->last_iter >= 0 && c->t - run->begin >=
						       c->last_iter) {
				it.begin = c->t - c->last_iter;
			} else {
				it.begin = run->begin;
				it.clamped = true;
			}
			if (run == prev_run && it.begin < prev_t)
				it.begin = prev_t;
			prev_run = run;
			prev_t = c->t;
			k = run_track(t, xl, run, pid, own);
			if (k == SIZE_MAX || !item_add(&t->v[k], it))
				return false;
		}
	}
	for (i = 0; i < t->n; i++)
		if (!strict_items(&t->v[i]))
			return false;

	/* The arrows, once the items are in place. Posting threads' tracks
	 * are made here: item pointers stay valid (each track's items are
	 * an array of their own). */
	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->v[i].nitems; j++) {
			struct item *it = &t->v[i].items[j];
			const struct an_run *run = it->src;
			const struct an_loop *l;
			size_t k = i;
			int64_t s;

			if (it->kind != IK_RUN)
				continue;
			l = r->loops[it->loop];
			if (it->post && it->post->vtid >= 0 &&
			    it->post->posted_at >= 0) {
				s = it->post->posted_at;
				if (s >= it->begin)
					s = it->begin - 1;
				if (it->post->vtid != t->v[i].tid)
					k = track_get(t, t->v[i].pid,
						      t->v[i].vpid,
						      it->post->vtid);
				if (k == SIZE_MAX)
					return false;
			} else {
				s = flow_start(l, run, it->begin);
			}
			if (s == INT64_MIN)
				continue;
			it->flow_ts = s;
			it->flow = ++*flow_id;
			it->flow_track = k;
			if (!TG_ROOM(t->v[k].starts, t->v[k].nstarts,
				     t->v[k].capstarts))
				return false;
			t->v[k].starts[t->v[k].nstarts++] =
				(struct fstart){ s, it };
		}
	}
	return true;
}

static void tracks_free(struct tracks *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].items);
		free(t->v[i].starts);
	}
	free(t->v);
	free(t->of_loop);
}

/* ---- writing a track, in the order Perfetto takes it ------------------ */

enum tev_kind { TEV_SLICE, TEV_END, TEV_START };

struct tev {
	int64_t ts;
	int64_t key;   /* -dur for a slice with a duration, else 0 */
	int grp;       /* among key 0 at one ts: 0 the end of an arrow to a
			* run with a duration, 1 a zero-length slice and its
			* arrow's end, 2 arrows' starts */
	size_t seq;
	enum tev_kind kind;
	struct item *x;
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
	const struct item *x;   /* NULL for a marker */
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

static void write_clamped(struct out *o, const struct item *x, int64_t b,
			  int64_t e)
{
	if (x->clamped)
		fprintf(o->f, ",\"clamped\":true,\"begin_ns\":%" PRId64
			",\"end_ns\":%" PRId64, b, e);
}

static void write_run(struct out *o, const struct item *x,
		      const struct an_result *r, int64_t pid, int64_t tid,
		      int64_t t0)
{
	const struct an_run *run = x->src;

	ev_x(o, run_name(run), run->prio < 0 ? "performer" :
	     an_prio_name(run->prio), pid, tid, x->begin - t0,
	     x->end - x->begin);
	fprintf(o->f, ",\"args\":{\"loop\":\"0x%" PRIx64 "\",",
		r->loops[x->loop]->addr);
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
	if (x->post)
		fprintf(o->f, ",\"performer\":\"0x%" PRIx64 "\",\"post\":%"
			PRIu64, x->post->performer, x->post->post);
	if (x->post && x->post->vtid >= 0)
		fprintf(o->f, ",\"poster_tid\":%" PRId64, x->post->vtid);
	write_clamped(o, x, run->begin, run->end);
	fputs("}}", o->f);
}

static const char *wake_reason(int reason)
{
	if (reason & 0x2)
		return "signal";
	if (reason & 0x1)
		return "fd";
	if (reason & 0x4)
		return "timeout";
	return "other";
}

static void write_sleep(struct out *o, const struct item *x,
			const struct an_result *r, int64_t pid, int64_t tid,
			int64_t t0)
{
	const struct xsleep *s = x->src;

	ev_x(o, "sleep", "sleep", pid, tid, x->begin - t0, x->end - x->begin);
	fprintf(o->f, ",\"args\":{\"loop\":\"0x%" PRIx64 "\",\"slept_ns\":%"
		PRId64 ",\"woken_by\":\"%s\"", r->loops[x->loop]->addr,
		s->end - s->begin, wake_reason(s->reason));
	if (s->timeout != INT64_MIN)
		fprintf(o->f, ",\"timeout_ns\":%" PRId64, s->timeout);
	write_clamped(o, x, s->begin, s->end);
	fputs("}}", o->f);
}

static const char *verdict_name(int v)
{
	switch (v) {
	case 0:
		return "stopwatch: continue";
	case 1:
		return "stopwatch: slice used";
	case 2:
		return "stopwatch: input pending";
	default:
		return "stopwatch";
	}
}

static void write_check(struct out *o, const struct item *x,
			const struct an_result *r, int64_t pid, int64_t tid,
			int64_t t0)
{
	const struct xcheck *c = x->src;

	ev_x(o, verdict_name(c->verdict), "stopwatch", pid, tid,
	     x->begin - t0, x->end - x->begin);
	fprintf(o->f, ",\"args\":{\"loop\":\"0x%" PRIx64 "\",\"task\":%" PRIu64
		",\"check\":%" PRIu64 ",\"last_iter_ns\":%" PRId64
		",\"elapsed_ns\":%" PRId64 ",\"slice_ns\":%" PRId64
		",\"overrun\":%s", r->loops[x->loop]->addr, c->task, c->checks,
		c->last_iter, c->elapsed, c->slice,
		c->elapsed > c->slice ? "true" : "false");
	if (c->cpu >= 0)
		fprintf(o->f, ",\"cpu_elapsed_ns\":%" PRId64, c->cpu);
	if (x->clamped)
		fputs(",\"clamped\":true", o->f);
	fputs("}}", o->f);
}

/* An arrow's category and name: a task became ready, work was posted. */
static const char *flow_cat(const struct item *x)
{
	const struct an_run *run = x->src;

	return x->post || !run->task ? "posted" : "ready";
}

static void write_flow(struct out *o, bool start, const struct item *x,
		       int64_t pid, int64_t tid, int64_t ts)
{
	const struct an_run *run = x->src;

	ev_begin(o, start ? "s" : "f");
	fprintf(o->f, ",\"name\":\"%s\",\"cat\":\"%s\",\"id\":%" PRIu64
		",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":",
		flow_cat(x), flow_cat(x), x->flow, pid, tid);
	json_us(o->f, ts);
	if (!start)
		fputs(",\"bp\":\"e\"", o->f);
	fprintf(o->f, ",\"args\":{\"task\":%" PRIu64, run->task_id);
	if (x->post)
		fprintf(o->f, ",\"post\":%" PRIu64, x->post->post);
	if (x->post && x->post->vtid >= 0)
		fprintf(o->f, ",\"poster_tid\":%" PRId64, x->post->vtid);
	fputs("}}", o->f);
}

/* The zero-length slice an arrow starts from where no slice encloses its
 * start. */
static void write_marker(struct out *o, const struct item *x, int64_t pid,
			 int64_t tid, int64_t ts)
{
	const struct an_run *run = x->src;
	char name[200];

	snprintf(name, sizeof(name), "%s %s", flow_cat(x), run_name(run));
	ev_x(o, name, flow_cat(x), pid, tid, ts, 0);
	fprintf(o->f, ",\"args\":{\"task\":%" PRIu64, run->task_id);
	if (x->post)
		fprintf(o->f, ",\"post\":%" PRIu64, x->post->post);
	fputs("}}", o->f);
}

/* A track: its slices, the arrows' ends at its runs, the arrows' starts
 * on it and the markers they need. False when out of memory. */
static bool write_track(struct out *o, const struct tracks *t, size_t ti,
			const struct an_result *r, int64_t t0)
{
	const struct track *tk = &t->v[ti];
	size_t n = tk->nitems, nev = 0, depth = 0, i;
	struct tev *ev;
	struct slot *stk;

	if (n + tk->nstarts == 0)
		return true;
	ev = calloc(2 * n + tk->nstarts, sizeof(*ev));
	stk = calloc(n + tk->nstarts + 1, sizeof(*stk));
	if (!ev || !stk) {
		free(ev);
		free(stk);
		return false;
	}
	for (i = 0; i < n; i++) {
		struct item *x = &tk->items[i];
		int64_t dur = x->end - x->begin;

		o->clamped += x->clamped;
		ev[nev++] = (struct tev){ x->begin, dur > 0 ? -dur : 0,
					  dur > 0 ? 0 : 1, 2 * i, TEV_SLICE,
					  x };
		if (x->flow_ts != INT64_MIN)
			ev[nev++] = (struct tev){ x->begin, 0,
						  dur > 0 ? 0 : 1, 2 * i + 1,
						  TEV_END, x };
	}
	for (i = 0; i < tk->nstarts; i++)
		ev[nev++] = (struct tev){ tk->starts[i].ts, 0, 2, i,
					  TEV_START, tk->starts[i].to };
	qsort(ev, nev, sizeof(*ev), cmp_tev);

	for (i = 0; i < nev; i++) {
		struct item *x = ev[i].x;

		switch (ev[i].kind) {
		case TEV_SLICE:
			stack_close(stk, &depth, x->begin, x->end - x->begin);
			stk[depth++] = (struct slot){ x->begin, x->end, x };
			if (x->kind == IK_RUN)
				write_run(o, x, r, tk->pid, tk->tid, t0);
			else if (x->kind == IK_SLEEP)
				write_sleep(o, x, r, tk->pid, tk->tid, t0);
			else
				write_check(o, x, r, tk->pid, tk->tid, t0);
			o->slices[x->kind]++;
			break;
		case TEV_END:
			/* Bound to the slice on top: its own run, by the
			 * order above. */
			if (!depth || stk[depth - 1].x != x)
				o->unbound++;
			write_flow(o, false, x, tk->pid, tk->tid,
				   x->begin - t0);
			o->flows++;
			o->from_poster += x->post && x->flow_track != ti;
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
				write_marker(o, x, tk->pid, tk->tid,
					     x->flow_ts - t0);
				o->markers++;
			}
			write_flow(o, true, x, tk->pid, tk->tid,
				   x->flow_ts - t0);
			break;
		}
	}
	free(ev);
	free(stk);
	return true;
}

/* ---- the other tracks ------------------------------------------------ */

/*
 * Each priority that starved: its intervals as async slices ("b"/"e") of
 * a track of their own under the loop's process, named "loop 0x...
 * HIGHEST starving" (they overlap the runs, and those of other
 * priorities, so they cannot share a thread's track); in time order and
 * never overlapping.
 */
static void write_starves(struct out *o, const struct an_loop *l, size_t li,
			  int64_t pid, int64_t tid, int64_t t0)
{
	char name[200], track[200], buf[48];
	size_t i;
	unsigned k;
	int p;

	for (p = 0; p < AN_PRIOS; p++) {
		const struct an_prio *ap = &l->prio[p];
		int64_t prev_end = INT64_MIN;
		uint64_t id = (uint64_t)li * AN_PRIOS + (uint64_t)p + 1;

		if (l->name && *l->name)
			snprintf(track, sizeof(track), "loop 0x%" PRIx64
				 " \"%s\" %s starving", l->addr, l->name,
				 an_prio_name(p));
		else
			snprintf(track, sizeof(track), "loop 0x%" PRIx64
				 " %s starving", l->addr, an_prio_name(p));
		for (i = 0; i < ap->nstarves; i++) {
			const struct an_starve *s = &ap->starves[i];
			int64_t b = s->start > prev_end ? s->start : prev_end;
			int64_t e = s->end > b ? s->end : b;

			prev_end = e;
			ev_begin(o, "b");
			fputs(",\"name\":", o->f);
			tj_str(o->f, track);
			fprintf(o->f, ",\"cat\":\"starvation\",\"id\":%" PRIu64
				",\"pid\":%" PRId64 ",\"tid\":%" PRId64
				",\"ts\":", id, pid, tid);
			json_us(o->f, b - t0);
			fprintf(o->f, ",\"args\":{\"priority\":\"%s\","
				"\"duration\":\"%s\",\"open_at_end\":%s",
				an_prio_name(p), an_fmt_ns(s->end - s->start,
				buf, sizeof(buf)),
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
			ev_begin(o, "e");
			fputs(",\"name\":", o->f);
			tj_str(o->f, track);
			fprintf(o->f, ",\"cat\":\"starvation\",\"id\":%" PRIu64
				",\"pid\":%" PRId64 ",\"tid\":%" PRId64
				",\"ts\":", id, pid, tid);
			json_us(o->f, e - t0);
			fputs("}", o->f);
			o->starves++;
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
			 const struct fm_set *fs, const struct tracks *t,
			 int64_t t0)
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
				t->v[t->of_loop[li]].pid,
				t->v[t->of_loop[li]].tid);
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

/* The whole JSON document to o->f; false when out of memory. */
static bool write_json(struct out *o, const struct an_result *r,
		       const struct fm_set *fs, const struct extra *x)
{
	struct proc *procs;
	struct tracks t = { 0 };
	int64_t t0 = INT64_MAX;
	size_t nprocs = 0, i, j;
	uint64_t flow_id = 0;
	bool ok = true;
	char name[400];

	procs = make_procs(r, &nprocs);
	if (!procs)
		return false;
	if (!make_tracks(&t, r, x, procs, nprocs, &flow_id)) {
		tracks_free(&t);
		free(procs);
		return false;
	}
	o->unplaced = t.unplaced;
	/* Times from the loops' earliest first event, or an earlier ready
	 * time or post drawn. */
	for (i = 0; i < r->nloops; i++)
		if (r->loops[i]->first != INT64_MIN && r->loops[i]->first < t0)
			t0 = r->loops[i]->first;
	for (i = 0; i < t.n; i++) {
		for (j = 0; j < t.v[i].nitems; j++)
			if (t.v[i].items[j].begin < t0)
				t0 = t.v[i].items[j].begin;
		for (j = 0; j < t.v[i].nstarts; j++)
			if (t.v[i].starts[j].ts < t0)
				t0 = t.v[i].starts[j].ts;
	}
	if (t0 == INT64_MAX)
		t0 = 0;

	/* otherData: what the times are counted from, to match them with
	 * other tools' (the trace's payload times: CLOCK_MONOTONIC ns for a
	 * loop on the real clock). */
	fprintf(o->f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{"
		"\"t0_ns\":%" PRId64 ",\"clock\":\"the loops' clock (ns): "
		"CLOCK_MONOTONIC for a loop on the real clock\"},"
		"\"traceEvents\":[", t0);

	/* Metadata: the names and order of the processes and threads. */
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
	for (i = 0; i < t.n; i++) {
		const struct track *tk = &t.v[i];
		const char *tn;
		size_t len;

		if (tk->loop != SIZE_MAX) {
			/* The loops this thread runs: the first one's label,
			 * then the others' addresses. */
			loop_track_name(name, sizeof(name),
					r->loops[tk->loop]);
			for (j = tk->loop + 1; j < r->nloops; j++) {
				if (t.of_loop[j] != i)
					continue;
				len = strlen(name);
				snprintf(name + len, sizeof(name) - len,
					 " + loop 0x%" PRIx64,
					 r->loops[j]->addr);
			}
		} else {
			tn = thread_name(x, tk->vpid, tk->tid);
			if (tk->runs_loop != SIZE_MAX)
				snprintf(name, sizeof(name), "loop 0x%" PRIx64
					 " (thread %s%stid %" PRId64 ")",
					 r->loops[tk->runs_loop]->addr,
					 tn ? tn : "", tn ? ", " : "",
					 tk->tid);
			else
				snprintf(name, sizeof(name), "%s",
					 tn ? tn : "posting thread");
		}
		ev_meta(o, "thread_name", tk->pid, tk->tid, name, 0);
		ev_meta(o, "thread_sort_index", tk->pid, tk->tid, NULL,
			(long)i);
	}
	/* Findings without a loop in a trace without loops: somewhere
	 * named. */
	if (r->nloops == 0 && (r->nfindings || fs->n)) {
		ev_meta(o, "process_name", 0, 0, "schedprof", 0);
		ev_meta(o, "thread_name", 0, 0, "findings", 0);
	}

	for (i = 0; i < t.n && ok; i++)
		ok = write_track(o, &t, i, r, t0);
	for (i = 0; i < r->nloops && ok; i++) {
		const struct an_loop *l = r->loops[i];
		const struct proc *pr = proc_of(procs, nprocs, l);
		const struct track *own = &t.v[t.of_loop[i]];

		write_starves(o, l, i, own->pid, own->tid, t0);
		/* One counter per loop of the process. */
		if (pr->nloops > 1)
			snprintf(name, sizeof(name), "ready 0x%" PRIx64,
				 l->addr);
		else
			snprintf(name, sizeof(name), "ready");
		write_depths(o, l, own->pid, own->tid, t0, name);
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
			write_finding(o, fd, t.v[t.of_loop[li]].pid,
				      t.v[t.of_loop[li]].tid, t0);
		else
			write_finding(o, fd, 0, 0, t0);
	}
	if (ok && fs->n)
		write_flight(o, r, fs, &t, t0);
	fputs("\n]}\n", o->f);
	tracks_free(&t);
	free(procs);
	return ok;
}

int sp_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "perfetto", required_argument, NULL, 'p' },
		{ "long-task", required_argument, NULL, 'l' },
		{ "starve", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'P' },
		{ "merge", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	struct an_config cfg;
	const struct an_result *r;
	char err[512], note[80] = "", *tmp;
	struct out o = { .first = true };
	struct fm_set fs;
	struct extra x;
	struct an *a;
	FILE *f;
	struct stat st;
	FILE *sum;
	int c, e;
	bool ok, direct;

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
		case 'P':
			if (!tn_pid(optarg, &cfg.pid)) {
				sp_error("export: --pid: '%s' is not a process "
					 "id", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'M':
			cfg.merge = true;
			cfg.merge_prog = "schedprof";
			break;
		case 'h':
			sp_export_help(stdout);
			return SP_EXIT_OK;
		case 'V':
			return sp_version("export", argc, argv, optind - 1);
		case ':':
			sp_usage_error("export", "%s needs a value",
				       argv[optind - 1]);
			return SP_EXIT_USAGE;
		default:
			sp_usage_error("export", "unknown option '%s'",
				       argv[optind - 1]);
			return SP_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		sp_usage_error("export", "no trace directory given");
		return SP_EXIT_USAGE;
	}
	if (!file || !*file) {
		sp_usage_error("export", "--perfetto FILE.json is required");
		return SP_EXIT_USAGE;
	}

	if (fm_find((const char *const *)argv + optind, argc - optind, &fs,
		    err, sizeof(err)) < 0) {
		sp_error("%s", err);
		return SP_EXIT_USAGE;
	}
	if (cfg.pid >= 0)
		fm_set_keep_pid(&fs, cfg.pid);
	a = an_from_traces((const char *const *)argv + optind, argc - optind,
			   &cfg, err, sizeof(err));
	if (!a) {
		sp_error("%s", err);
		fm_set_free(&fs);
		return SP_EXIT_USAGE;
	}
	r = an_finish(a);
	if (cfg.pid >= 0 && r->nloops == 0) {
		/* Not an empty timeline: the process asked for is not there
		 * (another pid, or it had exited before the recording). */
		sp_error("no libsched event of pid %lld in the trace",
			 (long long)cfg.pid);
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_USAGE;
	}
	if (extra_read(&x, r, (const char *const *)argv + optind,
		       argc - optind, err, sizeof(err)) < 0) {
		sp_error("%s", err);
		extra_free(&x);
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_FAIL;
	}

	/* Written beside, then renamed: FILE is never left half written. A
	 * FILE that is there and not a regular file (/dev/stdout, a device, a
	 * pipe, a symbolic link) is written in place, through the link: a
	 * rename would replace the device or the link itself. */
	direct = lstat(file, &st) == 0 && !S_ISREG(st.st_mode);
	if (asprintf(&tmp, direct ? "%s" : "%s.tmp", file) < 0) {
		sp_error("out of memory");
		extra_free(&x);
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	f = fopen(tmp, "w");
	if (!f) {
		sp_error("cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		extra_free(&x);
		fm_set_free(&fs);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	o.f = f;
	ok = write_json(&o, r, &fs, &x);
	extra_free(&x);
	e = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (!ok || e || (!direct && rename(tmp, file) < 0)) {
		if (!ok)
			sp_error("out of memory writing %s", file);
		else
			sp_error("cannot write %s: %s", e ? tmp : file,
				 strerror(e ? e : errno));
		if (!direct)
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
	/* The summary goes to stderr when the file is written in place
	 * (/dev/stdout: the JSON alone there). */
	sum = direct ? stderr : stdout;
	if (o.clamped)
		snprintf(note, sizeof(note), ", %" PRIu64 " %s clamped "
			 "to nest strictly", o.clamped,
			 tw_noun(o.clamped, "run", "runs"));
	fprintf(sum, "%s: %" PRIu64 " trace %s: %" PRIu64 " %s, %" PRIu64 " %s, %"
	       PRIu64 " stopwatch %s, %" PRIu64 " %s (%" PRIu64 " from the "
	       "posting thread, %" PRIu64 " from a marker)%s%s"
	       "; open it in https://ui.perfetto.dev or chrome://tracing\n",
	       file, o.events, tw_noun(o.events, "event", "events"),
	       o.slices[IK_RUN], tw_noun(o.slices[IK_RUN], "run", "runs"),
	       o.slices[IK_SLEEP], tw_noun(o.slices[IK_SLEEP], "sleep", "sleeps"),
	       o.slices[IK_CHECK], tw_noun(o.slices[IK_CHECK], "check", "checks"),
	       o.flows, tw_noun(o.flows, "arrow", "arrows"), o.from_poster,
	       o.markers, note,
	       r->complete ? "" : " (the trace is INCOMPLETE: the tracer "
	       "lost events)");
	if (o.unplaced)
		fprintf(sum, "%s: %" PRIu64 " stopwatch %s not shown: not "
		       "inside a run of their task on the trace's clock\n",
		       file, o.unplaced, tw_noun(o.unplaced, "check", "checks"));
	free(tmp);
	fm_set_free(&fs);
	an_free(a);
	return SP_EXIT_OK;
}
