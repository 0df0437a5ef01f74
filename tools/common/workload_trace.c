/*
 * A workload from recorded traces (wl_from_traces(), see workload.h).
 *
 * One pass over the trace: every event goes to the analysis (the
 * original's figures) and to the extractor of its loop, which rebuilds
 * that loop's workload as it goes; at the end the busiest loop's workload
 * is kept. Per loop the extractor follows which task run, or which
 * first-class post's work, is in progress (the loop's thread does one
 * thing at a time), and so tells a start made inside a run (kept as a step
 * of that run, at its offset) from one made outside (kept at its time).
 *
 * Offsets and times come from the event's own timestamp when the loop ran
 * on the real clock (the timestamp is then the true instant on the loop's
 * clock, while the payload's "now" is the cached time, which lags inside
 * a run); on a virtual clock from the payload.
 */
#include "grow.h"
#include "workload.h"

#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "trace_read.h"

enum { KIND_IDLE = 0, KIND_AUTO_IDLE, KIND_TIMER, KIND_AUTO_TIMER };

/* What the extractor knows of a task id. */
struct xtask {
	uint64_t id;
	size_t idx;      /* in w->tasks */
	bool queued;     /* an enqueue is pending (its run will follow) */
	bool described;  /* its first enqueue gave its timeout and max wait */
	/* Its starts since its last run began, which its next run binds:
	 * where each step is (see struct sloc). */
	struct sloc *pending;
	size_t npending, cappending;
	long post;       /* the post it ran, -1 if none */
	struct xtask *hnext;
};

/* Where a step is: in run r of task t, in post p, or a top-level action;
 * and its index there. Arrays move as they grow: indexes, not pointers. */
struct sloc {
	int where;     /* 0 run, 1 post, 2 top level */
	size_t a, b;   /* task and run, post, - */
	size_t step;
};

/* A post, by (performer, number). */
struct xpost {
	uint64_t perf, num;
	size_t idx;      /* in w->posts */
	struct xpost *hnext;
};

struct xloop {
	uint64_t addr;
	int64_t vpid;
	unsigned trace;
	bool clock_known, real;
	struct wl_workload *w;
	struct xtask **tasks;
	size_t ntasks, tsize;
	struct xpost **posts;
	size_t nposts, psize;
	/* The run in progress: its task's index and its begin, or -1. */
	long run_task;
	int64_t run_begin;
	/* The first-class post whose work is in progress, or -1. */
	long work_post;
	int64_t work_begin;
	/* The loop's cached time as last seen in the run or work in
	 * progress (payload "now"). */
	int64_t cached;
	/* When the loop last finished something it does for the scheduler
	 * (a run, post work, a sleep), or INT64_MIN. */
	int64_t busy_end;
	/* Asleep (between loop_sleep and loop_wake), and the posts made
	 * meanwhile, which its wake-up will time (w->posts indexes). */
	bool asleep;
	int64_t sleep_now, sleep_timeout; /* of the sleep in progress */
	/* When each post's work began (w->posts indexes; -1: not seen), and
	 * the last run's end or wake-up of the loop: work that began well
	 * after it ran at the program's teardown (a performer's close). */
	int64_t *post_begin;
	size_t cappost_begin;
	int64_t last_active;
	size_t *woke_for;
	size_t nwoke_for, capwoke_for;
	uint64_t runs;
};

struct xt {
	struct an *a;
	struct xloop **loops;
	size_t nloops, caploops;
	int64_t pid;
	bool nomem;
};

#define GROW(x, arr, n, cap)                                                   \
	(TG_ROOM(arr, n, cap) ||                                               \
	 ((x)->nomem = true, false))

/* ---- lookups ------------------------------------------------------------- */

static struct xtask *xtask_find(struct xloop *l, uint64_t id)
{
	if (!l->tsize)
		return NULL;
	for (struct xtask *t = l->tasks[id & (l->tsize - 1)]; t; t = t->hnext)
		if (t->id == id)
			return t;
	return NULL;
}

static bool rehash_tasks(struct xloop *l)
{
	size_t nsize = l->tsize ? l->tsize * 2 : 64;
	struct xtask **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return false;
	for (size_t i = 0; i < l->tsize; i++)
		for (struct xtask *t = l->tasks[i], *next; t; t = next) {
			next = t->hnext;
			t->hnext = nt[t->id & (nsize - 1)];
			nt[t->id & (nsize - 1)] = t;
		}
	free(l->tasks);
	l->tasks = nt;
	l->tsize = nsize;
	return true;
}

/* The task of id, made (with these properties) when first seen. */
static struct xtask *xtask_get(struct xt *x, struct xloop *l, uint64_t id,
			       const char *name, int prio, int kind)
{
	struct xtask *t = xtask_find(l, id);
	struct wl_workload *w = l->w;
	struct wl_task *wt;

	if (t) {
		wt = &w->tasks[t->idx];
		/* Seen first without a name (a wake or a stop of a task
		 * enqueued before the trace began): named now. */
		if (name && *name && !strcmp(wt->name, "?")) {
			size_t len = strlen(name);
			char *c = malloc(len + 1);

			if (!c || !GROW(x, w->strs, w->nstrs, w->capstrs)) {
				free(c);
				x->nomem = true;
				return t;
			}
			memcpy(c, name, len + 1);
			w->strs[w->nstrs++] = c;
			wt->name = c;
			if (kind >= 0)
				wt->kind = (enum wl_kind)kind;
		}
		return t;
	}
	if (prio < 0 || prio >= WL_PRIOS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t || !GROW(x, w->tasks, w->ntasks, w->captasks) ||
	    (l->ntasks * 2 >= l->tsize && !rehash_tasks(l))) {
		free(t);
		x->nomem = true;
		return NULL;
	}
	t->id = id;
	t->idx = w->ntasks;
	t->post = -1;
	t->hnext = l->tasks[id & (l->tsize - 1)];
	l->tasks[id & (l->tsize - 1)] = t;
	l->ntasks++;
	wt = &w->tasks[w->ntasks++];
	memset(wt, 0, sizeof(*wt));
	wt->id = id;
	wt->prio = prio;
	wt->kind = kind >= 0 && kind <= 3 ? (enum wl_kind)kind : WL_IDLE;
	{
		const char *n = name && *name ? name : "?";
		size_t len = strlen(n);
		char *c = malloc(len + 1);

		if (!c || !GROW(x, w->strs, w->nstrs, w->capstrs)) {
			free(c);
			x->nomem = true;
			wt->name = "?";
			return t;
		}
		memcpy(c, n, len + 1);
		w->strs[w->nstrs++] = c;
		wt->name = c;
	}
	return t;
}

static struct xpost *xpost_find(struct xloop *l, uint64_t perf, uint64_t num)
{
	if (!l->psize)
		return NULL;
	for (struct xpost *p = l->posts[(num ^ perf) & (l->psize - 1)]; p;
	     p = p->hnext)
		if (p->perf == perf && p->num == num)
			return p;
	return NULL;
}

static bool rehash_posts(struct xloop *l)
{
	size_t nsize = l->psize ? l->psize * 2 : 256;
	struct xpost **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return false;
	for (size_t i = 0; i < l->psize; i++)
		for (struct xpost *p = l->posts[i], *next; p; p = next) {
			next = p->hnext;
			p->hnext = nt[(p->num ^ p->perf) & (nsize - 1)];
			nt[(p->num ^ p->perf) & (nsize - 1)] = p;
		}
	free(l->posts);
	l->posts = nt;
	l->psize = nsize;
	return true;
}

static struct xloop *xloop_get(struct xt *x, const struct tr_event *ev,
			       uint64_t addr)
{
	unsigned trace = ev->stream && ev->stream->trace
				 ? ev->stream->trace->index
				 : 0;
	struct xloop *l;

	if (x->pid >= 0 && ev->vpid != x->pid)
		return NULL;
	for (size_t i = 0; i < x->nloops; i++) {
		l = x->loops[i];
		if (l->addr == addr && l->vpid == ev->vpid &&
		    (ev->vpid >= 0 || l->trace == trace))
			return l;
	}
	l = calloc(1, sizeof(*l));
	if (!l || !(l->w = calloc(1, sizeof(*l->w))) ||
	    !GROW(x, x->loops, x->nloops, x->caploops)) {
		if (l)
			free(l->w);
		free(l);
		x->nomem = true;
		return NULL;
	}
	l->addr = addr;
	l->vpid = ev->vpid;
	l->trace = trace;
	l->w->orig_posted_runs = -1;
	l->run_task = -1;
	l->work_post = -1;
	l->busy_end = INT64_MIN;
	x->loops[x->nloops++] = l;
	return l;
}

static void xloop_free(struct xloop *l)
{
	for (size_t i = 0; i < l->tsize; i++)
		for (struct xtask *t = l->tasks[i], *next; t; t = next) {
			next = t->hnext;
			free(t->pending);
			free(t);
		}
	for (size_t i = 0; i < l->psize; i++)
		for (struct xpost *p = l->posts[i], *next; p; p = next) {
			next = p->hnext;
			free(p);
		}
	free(l->tasks);
	free(l->posts);
	free(l->woke_for);
	free(l->post_begin);
	wl_free(l->w);
	free(l);
}

/* ---- time ---------------------------------------------------------------- */

/* Decides once, from the loop's first event, whether its payload times are
 * on the clock of the event timestamps (a loop on the real clock). */
static void clock_seen(struct xloop *l, const struct tr_event *ev,
		       int64_t payload)
{
	int64_t d = ev->clock_ns - payload;

	if (l->clock_known || !ev->clock_ns)
		return;
	l->clock_known = true;
	l->real = d > -1000000000LL && d < 1000000000LL;
}

/* The true instant of an event whose payload time is payload (which may
 * be the cached time). */
static int64_t when(const struct xloop *l, const struct tr_event *ev,
		    int64_t payload)
{
	return l->real ? ev->clock_ns : payload;
}

/* ---- steps ---------------------------------------------------------------- */

/* Where a step made now goes: into the run or post work in progress, at
 * its offset, or the top-level actions at its time. */
/* Where place() put its last step. */
static struct sloc last_loc;

static struct wl_step *place(struct xt *x, struct xloop *l,
			     const struct tr_event *ev, int64_t payload)
{
	struct wl_workload *w = l->w;
	int64_t t = when(l, ev, payload);

	/* Outside runs the action happens at the scheduler's time, the
	 * cached one, which its effects (due and ready times) count from. */
	if (l->work_post < 0 && l->run_task < 0)
		t = payload;
	struct wl_step **steps;
	size_t *n, *cap;
	int64_t base;
	bool nested = true;
	struct wl_step *s;

	if (l->work_post >= 0) {
		struct wl_post *p = &w->posts[l->work_post];

		steps = &p->steps;
		n = &p->nsteps;
		cap = &p->capsteps;
		base = l->work_begin;
		last_loc = (struct sloc){ 1, (size_t)l->work_post, 0, *n };
	} else if (l->run_task >= 0) {
		struct wl_task *tk = &w->tasks[l->run_task];
		struct wl_run *r = &tk->runs[tk->nruns - 1];

		steps = &r->steps;
		n = &r->nsteps;
		cap = &r->capsteps;
		base = l->run_begin;
		last_loc = (struct sloc){ 0, (size_t)l->run_task, tk->nruns - 1,
					  *n };
	} else {
		steps = &w->actions;
		n = &w->nactions;
		cap = &w->capactions;
		base = 0;
		nested = false; /* sorted by time at the end */
		last_loc = (struct sloc){ 2, 0, 0, *n };
	}
	if (!GROW(x, *steps, *n, *cap))
		return NULL;
	s = &(*steps)[(*n)++];
	memset(s, 0, sizeof(*s));
	s->at = t - base;
	/* The cached time may lag the run's fresh begin: not before it, nor
	 * before the step before. */
	if (nested && s->at < 0)
		s->at = 0;
	if (nested && *n > 1 && s->at < (*steps)[*n - 2].at)
		s->at = (*steps)[*n - 2].at;
	return s;
}

/* ---- the events ------------------------------------------------------------ */

/* Time the loop spent between two things it did for the scheduler (runs,
 * post work, sleeps) that is longer than this is a stall: loop timer or
 * descriptor callbacks, or its thread preempted. The replay reproduces
 * it, else a replay would run ahead of the recording by the time the
 * recording lost. Below it, the loop's own work between runs, which
 * replays as a run's lead. */
#define STALL_MIN 500000

static void busy_begins(struct xt *x, struct xloop *l, int64_t t)
{
	struct wl_workload *w = l->w;
	struct wl_step *s;

	if (l->busy_end != INT64_MIN && t - l->busy_end >= STALL_MIN &&
	    l->run_task < 0 && l->work_post < 0 &&
	    GROW(x, w->actions, w->nactions, w->capactions)) {
		s = &w->actions[w->nactions++];
		memset(s, 0, sizeof(*s));
		s->op = WL_STALL;
		s->at = l->busy_end;
		s->value = t - l->busy_end;
	}
	l->busy_end = INT64_MIN;
}

static void busy_ends(struct xloop *l, int64_t t)
{
	l->busy_end = t;
}

/* A sleep until a deadline that woke up late (the kernel, another thread
 * on the CPU): the lateness, a stall at the deadline, delays what fell due
 * then as it did (a virtual clock wakes up on time). Up to 10 ms: more is
 * not a wake-up. The stall begins OVERSLEEP_GUARD before the deadline (the
 * loop was asleep then: nothing else is delayed), so that a replay a few
 * microseconds ahead still finds the loop stalled when the timer falls
 * due. */
#define OVERSLEEP_GUARD 200000
static void oversleep(struct xt *x, struct xloop *l,
		      const struct tr_ev_loop_wake *e)
{
	struct wl_workload *w = l->w;
	int64_t due = l->sleep_now + l->sleep_timeout;
	int64_t late = e->now - due;
	struct wl_step *s;

	if (!(e->reason & LSCHED_TP_WAKE_TIMEOUT) || l->sleep_timeout < 0 ||
	    late <= 0 || late > 10000000 ||
	    !GROW(x, w->actions, w->nactions, w->capactions))
		return;
	s = &w->actions[w->nactions++];
	memset(s, 0, sizeof(*s));
	s->op = WL_STALL;
	s->at = due - OVERSLEEP_GUARD > l->sleep_now ? due - OVERSLEEP_GUARD
						      : l->sleep_now;
	s->value = late + (due - s->at);
}

/* A task event inside a run or post work carries the loop's cached time:
 * when it is later than the cached time seen last, the run refreshed it
 * (lsched_loop_update_now()) meanwhile, and what it starts counts from the
 * refreshed time. A "now" step at that offset lets the replay do the
 * same. */
static void cached_seen(struct xt *x, struct xloop *l, const struct tr_event *ev,
			int64_t now)
{
	struct wl_step *s;
	int64_t base;

	if (l->work_post < 0 && l->run_task < 0)
		return;
	base = l->work_post >= 0 ? l->work_begin : l->run_begin;
	if (now <= l->cached || now <= base) {
		return;
	}
	l->cached = now;
	{
		bool saved = l->real;

		l->real = false; /* placed at the cached time's offset */
		s = place(x, l, ev, now);
		l->real = saved;
	}
	if (s)
		s->op = WL_NOW;
}

static void on_enqueue(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	const struct tr_ev_task_enqueue *e = &ev->task_enqueue;
	struct xtask *t = xtask_get(x, l, e->task, e->name, e->prio, e->kind);
	struct wl_task *wt;
	struct wl_step *s;
	bool first;

	if (!t)
		return;
	wt = &l->w->tasks[t->idx];
	first = !t->described;
	t->described = true;
	if (first) {
		wt->max_wait = e->max_wait > 0 ? e->max_wait : 0;
		wt->timeout = e->due > e->now ? e->due - e->now : 0;
	}
	if (e->parent)
		wt->parent = e->parent;
	t->queued = true;
	/* Repeats and children's starts are the scheduler's own doing: the
	 * replay's scheduler makes them again. */
	if (e->cause == LSCHED_TP_CAUSE_REPEAT ||
	    e->cause == LSCHED_TP_CAUSE_CHILD)
		return;
	cached_seen(x, l, ev, e->now);
	s = place(x, l, ev, e->now);
	if (!s)
		return;
	s->op = e->cause == LSCHED_TP_CAUSE_RESTART ? WL_RESTART : WL_START;
	s->task = e->task;
	if (e->due > e->now)
		s->value = e->due - e->now;
	else if (e->cause == LSCHED_TP_CAUSE_RESTART && e->due < e->now)
		/* A restart of a ready task: its due is the time it has
		 * been ready since (nothing moved); its timeout is the one
		 * known. */
		s->value = wt->timeout;
	else
		s->value = 0;
	/* Its next run, when it comes, is the one this start led to. */
	if (GROW(x, t->pending, t->npending, t->cappending))
		t->pending[t->npending++] = last_loc;
}

static struct wl_step *step_at(struct wl_workload *w, const struct sloc *c)
{
	switch (c->where) {
	case 0: return &w->tasks[c->a].runs[c->b].steps[c->step];
	case 1: return &w->posts[c->a].steps[c->step];
	default: return &w->actions[c->step];
	}
}

static void on_begin(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	const struct tr_ev_task_fire_begin *e = &ev->task_fire_begin;
	struct xtask *t = xtask_get(x, l, e->task, e->name, e->prio, e->kind);
	struct wl_task *wt;
	struct wl_run *r;

	if (!t)
		return;
	wt = &l->w->tasks[t->idx];
	if (!t->queued) {
		/* Enqueued before the trace began: started at its ready
		 * time, from outside. */
		struct wl_step *s;
		long saved_run = l->run_task, saved_post = l->work_post;

		l->run_task = l->work_post = -1;
		s = place(x, l, ev, e->ready_at);
		l->run_task = saved_run;
		l->work_post = saved_post;
		if (s) {
			s->at = e->ready_at;
			s->op = WL_START;
			s->task = e->task;
			s->value = 0;
			s->run = wt->nruns + 1; /* the run that begins now */
		}
	}
	t->queued = false;
	if (l->work_post < 0)
		busy_begins(x, l, e->begin);
	if (!GROW(x, wt->runs, wt->nruns, wt->capruns))
		return;
	/* The starts since its last run led to this one. */
	for (size_t i = 0; i < t->npending; i++)
		step_at(l->w, &t->pending[i])->run = wt->nruns + 1;
	t->npending = 0;
	r = &wt->runs[wt->nruns++];
	memset(r, 0, sizeof(*r));
	r->begin = e->begin;
	r->ready_at = e->ready_at;
	r->duration = -1; /* until its end is seen */
	l->run_task = (long)t->idx;
	l->run_begin = e->begin;
	l->cached = e->begin;
	l->runs++;
}

static void on_end(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	const struct tr_ev_task_fire_end *e = &ev->task_fire_end;
	struct xtask *t = xtask_find(l, e->task);
	struct wl_task *wt;
	struct wl_run *r;

	(void)x;
	if (!t || l->run_task != (long)t->idx) {
		l->run_task = -1;
		return;
	}
	wt = &l->w->tasks[t->idx];
	r = &wt->runs[wt->nruns - 1];
	r->duration = e->end - e->begin > 0 ? e->end - e->begin : 0;
	r->active_after = (e->flags & LSCHED_TP_END_ACTIVE) != 0;
	/* A step after the end (a cached time past it) is at the end. */
	for (size_t i = 0; i < r->nsteps; i++)
		if (r->steps[i].at > r->duration)
			r->steps[i].at = r->duration;
	l->run_task = -1;
	if (l->work_post < 0)
		busy_ends(l, e->end);
	if (e->end > l->last_active)
		l->last_active = e->end;
}

static void on_stop(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	const struct tr_ev_task_stop *e = &ev->task_stop;
	struct xtask *t = xtask_get(x, l, e->task, NULL, e->prio, -1);
	struct wl_step *s;

	if (!t)
		return;
	t->queued = false;
	/* A parent's start stops its children, a destroyed loop its tasks:
	 * the replay does both itself. */
	if (e->reason != LSCHED_TP_STOP_STOP &&
	    e->reason != LSCHED_TP_STOP_DESTROY)
		return;
	cached_seen(x, l, ev, e->now);
	s = place(x, l, ev, e->now);
	if (s) {
		s->op = WL_STOP;
		s->task = e->task;
	}
}

static void on_priority(struct xt *x, struct xloop *l,
			const struct tr_event *ev, uint64_t task, int old_prio,
			enum wl_op op, int64_t value)
{
	struct xtask *t = xtask_get(x, l, task, NULL, old_prio, -1);
	struct wl_step *s;
	int64_t now = l->run_task >= 0 ? l->run_begin : 0;

	if (!t)
		return;
	/* No time in the payload: the timestamp on the real clock, else the
	 * run's begin (or the last post's time). */
	if (!l->real && l->run_task < 0 && l->w->nposts)
		now = l->w->posts[l->w->nposts - 1].at;
	s = place(x, l, ev, now);
	if (s) {
		s->op = op;
		s->task = task;
		s->value = value;
	}
}

static void on_slice(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	const struct tr_ev_slice *e = &ev->slice;
	struct wl_task *wt;
	struct wl_step *s;
	int64_t payload;

	/* A stopwatch of the run in progress; others (post work, no loop)
	 * cannot be replayed as a task's checks. */
	if (l->run_task < 0 || l->work_post >= 0)
		return;
	wt = &l->w->tasks[l->run_task];
	if (wt->id != e->task)
		return;
	/* On a virtual clock: the stopwatch's elapsed time, as if started
	 * at the run's begin. */
	payload = l->run_begin + e->elapsed;
	s = place(x, l, ev, payload);
	/* A check refreshes the cached time. */
	l->cached = when(l, ev, payload);
	if (s) {
		s->op = WL_CHECK;
		s->verdict = e->verdict >= 0 && e->verdict <= 2 ? e->verdict : 0;
		s->value = e->slice > 0 ? e->slice : 1;
	}
}

static void on_post(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	const struct tr_ev_perform_enqueue *e = &ev->perform_enqueue;
	struct wl_workload *w = l->w;
	struct wl_post *p;
	struct xpost *xp;

	if (xpost_find(l, e->performer, e->post))
		return;
	xp = calloc(1, sizeof(*xp));
	if (!xp || !GROW(x, w->posts, w->nposts, w->capposts) ||
	    (l->nposts * 2 >= l->psize && !rehash_posts(l))) {
		free(xp);
		x->nomem = true;
		return;
	}
	xp->perf = e->performer;
	xp->num = e->post;
	xp->idx = w->nposts;
	xp->hnext = l->posts[(xp->num ^ xp->perf) & (l->psize - 1)];
	l->posts[(xp->num ^ xp->perf) & (l->psize - 1)] = xp;
	l->nposts++;
	p = &w->posts[w->nposts++];
	memset(p, 0, sizeof(*p));
	p->at = e->posted_at >= 0 ? e->posted_at : ev->clock_ns;
	p->thread = ev->vtid;
	p->prio = e->prio >= 0 && e->prio < WL_PRIOS ? e->prio : -1;
	p->wait = e->wait != 0;
	p->performer = e->performer;
	p->delay = -1;
	{
		size_t len = strlen(e->name);
		char *c = malloc(len + 1);

		if (!c || !GROW(x, w->strs, w->nstrs, w->capstrs)) {
			free(c);
			x->nomem = true;
			p->name = "";
			return;
		}
		memcpy(c, e->name, len + 1);
		w->strs[w->nstrs++] = c;
		p->name = c;
	}
	if (p->prio >= 0 && !*p->name)
		p->name = "post";
	if (l->asleep && GROW(x, l->woke_for, l->nwoke_for, l->capwoke_for))
		l->woke_for[l->nwoke_for++] = w->nposts - 1;
}

/* Room in post_begin for post idx; new entries -1 (not begun). */
static bool post_begin_room(struct xt *x, struct xloop *l, size_t idx)
{
	size_t ncap;
	int64_t *nv;

	if (idx < l->cappost_begin)
		return true;
	ncap = l->cappost_begin ? l->cappost_begin : 64;
	while (ncap <= idx)
		ncap *= 2;
	nv = realloc(l->post_begin, ncap * sizeof(*nv));
	if (!nv) {
		x->nomem = true;
		return false;
	}
	for (size_t i = l->cappost_begin; i < ncap; i++)
		nv[i] = -1;
	l->post_begin = nv;
	l->cappost_begin = ncap;
	return true;
}

static void on_perform_begin(struct xt *x, struct xloop *l,
			     const struct tr_event *ev)
{
	const struct tr_ev_perform_fire_begin *e = &ev->perform_fire_begin;
	struct xpost *xp = xpost_find(l, e->performer, e->post);

	if (!xp)
		return;
	if (post_begin_room(x, l, xp->idx))
		l->post_begin[xp->idx] = e->begin;
	l->w->posts[xp->idx].delay = e->begin >= l->w->posts[xp->idx].at
					     ? e->begin - l->w->posts[xp->idx].at
					     : 0;
	if (e->task) {
		/* Run by a task of its own: that task's run is the post's
		 * work. */
		struct xtask *t = xtask_find(l, e->task);

		if (t)
			t->post = (long)xp->idx;
		return;
	}
	if (l->run_task >= 0)
		return; /* inline inside a run: part of that run */
	busy_begins(x, l, e->begin);
	/* It woke the loop up: the wake-up lasts until its work begins. */
	if (l->w->posts[xp->idx].latency > 0 && e->begin > l->w->posts[xp->idx].at &&
	    e->begin - l->w->posts[xp->idx].at <= 10000000)
		l->w->posts[xp->idx].latency = e->begin - l->w->posts[xp->idx].at;
	l->work_post = (long)xp->idx;
	l->work_begin = e->begin;
	l->cached = e->begin;
	(void)x;
}

static void on_perform_end(struct xt *x, struct xloop *l,
			   const struct tr_event *ev)
{
	const struct tr_ev_perform_fire_end *e = &ev->perform_fire_end;
	struct xpost *xp = xpost_find(l, e->performer, e->post);

	(void)x;
	if (!xp)
		return;
	l->w->posts[xp->idx].duration = e->end - e->begin > 0 ? e->end - e->begin
							       : 0;
	if (l->work_post == (long)xp->idx) {
		struct wl_post *p = &l->w->posts[xp->idx];

		for (size_t i = 0; i < p->nsteps; i++)
			if (p->steps[i].at > p->duration)
				p->steps[i].at = p->duration;
		l->work_post = -1;
		busy_ends(l, e->end);
	}
}

static void on_dispatch(struct xt *x, struct xloop *l, const struct tr_event *ev)
{
	struct wl_step *s;
	bool cmd = ev->type == TR_EV_dispatch_command;
	int64_t begin = cmd ? ev->dispatch_command.begin : ev->dispatch_build.begin;
	int64_t end = cmd ? ev->dispatch_command.end : ev->dispatch_build.end;
	bool saved = l->real;

	if (l->run_task < 0)
		return;
	/* Emitted after the run, with its begin: placed at its begin. */
	l->real = false;
	s = place(x, l, ev, begin);
	l->real = saved;
	if (!s)
		return;
	s->value = end - begin > 0 ? end - begin : 0;
	if (cmd) {
		const char *n = ev->dispatch_command.name;
		size_t len = strlen(n);
		char *c = malloc(len + 1);
		struct wl_workload *w = l->w;

		s->op = WL_COMMAND;
		if (!c || !GROW(x, w->strs, w->nstrs, w->capstrs)) {
			free(c);
			x->nomem = true;
			s->name = "";
			return;
		}
		memcpy(c, n, len + 1);
		w->strs[w->nstrs++] = c;
		s->name = c;
	} else {
		s->op = WL_BUILD;
		s->verdict = ev->dispatch_build.reason == LSCHED_TP_BUILD_FORCED;
	}
}

static int on_event(const struct tr_event *ev, void *arg)
{
	struct xt *x = arg;
	struct xloop *l;

	if (an_feed(x->a, ev))
		return 1;
	switch (ev->type) {
	case TR_EV_task_enqueue:
		l = xloop_get(x, ev, ev->task_enqueue.loop);
		if (l) {
			clock_seen(l, ev, ev->task_enqueue.now);
			on_enqueue(x, l, ev);
		}
		break;
	case TR_EV_task_fire_begin:
		l = xloop_get(x, ev, ev->task_fire_begin.loop);
		if (l) {
			clock_seen(l, ev, ev->task_fire_begin.begin);
			on_begin(x, l, ev);
		}
		break;
	case TR_EV_task_fire_end:
		l = xloop_get(x, ev, ev->task_fire_end.loop);
		if (l)
			on_end(x, l, ev);
		break;
	case TR_EV_task_stop:
		l = xloop_get(x, ev, ev->task_stop.loop);
		if (l) {
			clock_seen(l, ev, ev->task_stop.now);
			on_stop(x, l, ev);
		}
		break;
	case TR_EV_task_priority:
		l = xloop_get(x, ev, ev->task_priority.loop);
		if (l)
			on_priority(x, l, ev, ev->task_priority.task,
				    ev->task_priority.old_prio, WL_PRIO,
				    ev->task_priority.prio);
		break;
	case TR_EV_task_max_wait:
		l = xloop_get(x, ev, ev->task_max_wait.loop);
		if (l)
			on_priority(x, l, ev, ev->task_max_wait.task,
				    ev->task_max_wait.prio, WL_MAX_WAIT,
				    ev->task_max_wait.max_wait);
		break;
	case TR_EV_slice:
		if (!ev->slice.loop)
			break;
		l = xloop_get(x, ev, ev->slice.loop);
		if (l)
			on_slice(x, l, ev);
		break;
	case TR_EV_perform_enqueue:
		l = xloop_get(x, ev, ev->perform_enqueue.loop);
		if (l) {
			if (ev->perform_enqueue.posted_at >= 0)
				clock_seen(l, ev, ev->perform_enqueue.posted_at);
			on_post(x, l, ev);
		}
		break;
	case TR_EV_perform_fire_begin:
		l = xloop_get(x, ev, ev->perform_fire_begin.loop);
		if (l)
			on_perform_begin(x, l, ev);
		break;
	case TR_EV_perform_fire_end:
		l = xloop_get(x, ev, ev->perform_fire_end.loop);
		if (l)
			on_perform_end(x, l, ev);
		break;
	case TR_EV_loop_sleep:
		l = xloop_get(x, ev, ev->loop_sleep.loop);
		if (l && l->run_task < 0 && l->work_post < 0)
			busy_begins(x, l, ev->loop_sleep.now);
		if (l) {
			l->asleep = true;
			l->sleep_now = ev->loop_sleep.now;
			l->sleep_timeout = ev->loop_sleep.timeout;
		}
		break;
	case TR_EV_loop_wake:
		l = xloop_get(x, ev, ev->loop_wake.loop);
		if (l && l->run_task < 0 && l->work_post < 0)
			busy_ends(l, ev->loop_wake.now);
		if (l) {
			/* The posts that found it asleep: how long it took
			 * to wake up for them (up to 10 ms: more is not a
			 * wake-up). */
			for (size_t i = 0; i < l->nwoke_for; i++) {
				struct wl_post *p = &l->w->posts[l->woke_for[i]];
				int64_t lat = ev->loop_wake.now - p->at;

				if (lat > 0 && lat <= 10000000)
					p->latency = lat;
			}
			l->nwoke_for = 0;
			l->asleep = false;
			oversleep(x, l, &ev->loop_wake);
			if (ev->loop_wake.now > l->last_active)
				l->last_active = ev->loop_wake.now;
		}
		break;
	case TR_EV_dispatch_command:
		l = xloop_get(x, ev, ev->dispatch_command.loop);
		if (l)
			on_dispatch(x, l, ev);
		break;
	case TR_EV_dispatch_build:
		l = xloop_get(x, ev, ev->dispatch_build.loop);
		if (l)
			on_dispatch(x, l, ev);
		break;
	default:
		break;
	}
	return x->nomem ? 1 : 0;
}

static int on_discard(const struct tr_discard *d, void *arg)
{
	struct xt *x = arg;

	an_discard(x->a, d);
	return 0;
}

/* ---- finishing ------------------------------------------------------------ */




static bool is_post_task(struct xloop *l, uint64_t id)
{
	struct xtask *t = xtask_find(l, id);

	return t && t->post >= 0;
}

/* Drops the steps that name post tasks (their start is the post). */
static void drop_post_steps(struct xloop *l, struct wl_step *s, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		bool named = s[i].op == WL_START || s[i].op == WL_RESTART ||
			     s[i].op == WL_STOP ||
			     s[i].op == WL_PRIO || s[i].op == WL_MAX_WAIT;

		if (named && is_post_task(l, s[i].task))
			continue;
		s[k++] = s[i];
	}
	*n = k;
}

static void rel(int64_t *t, int64_t origin)
{
	*t = *t > origin ? *t - origin : 0;
}

static int cmp_pstarve(const void *x, const void *y)
{
	const struct wl_orig_starve *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/* A copy of s owned by w, or NULL. */
static const char *own(struct wl_workload *w, const char *s)
{
	size_t len = strlen(s);
	char *c;

	if (!TG_ROOM(w->strs, w->nstrs, w->capstrs))
		return NULL;
	c = malloc(len + 1);
	if (!c)
		return NULL;
	memcpy(c, s, len + 1);
	w->strs[w->nstrs++] = c;
	return c;
}

/* The original's findings about its loop (and the whole trace). */
static bool orig_findings(struct wl_workload *w, const struct an_result *res,
			  const struct an_loop *al)
{
	for (size_t i = 0; i < res->nfindings; i++) {
		const struct an_finding *f = &res->findings[i];
		struct wl_orig_finding *o;

		if (f->loop && f->loop != al)
			continue;
		if (!TG_ROOM(w->orig_findings, w->norig_findings,
			     w->caporig_findings))
			return false;
		o = &w->orig_findings[w->norig_findings];
		o->severity = an_severity_name(f->severity);
		o->kind = own(w, an_kind_name(f->kind));
		o->culprit = own(w, f->culprit);
		o->evidence = own(w, f->evidence);
		if (!o->kind || !o->culprit || !o->evidence)
			return false;
		w->norig_findings++;
	}
	return true;
}

/* The original's figures, from its analysis loop. */
static bool orig_figures(struct wl_workload *w, struct an_loop *al,
			 const struct an_config *cfg)
{
	w->has_orig = true;
	w->orig_long_task_ns = cfg->long_task_ns;
	w->orig_starve_ns = cfg->starve_ns;
	w->orig_posted_runs = (int64_t)al->posted_runs;
	for (int p = 0; p < WL_PRIOS; p++) {
		struct an_prio *ap = &al->prio[p];
		struct wl_orig_prio *o = &w->orig_prio[p];

		o->fired = ap->fired;
		o->p50 = an_pct(&ap->wait, 50);
		o->p99 = an_pct(&ap->wait, 99);
		o->max = ap->wait.count ? ap->wait.max : 0;
		o->starved_ns = ap->starved_ns;
		o->longest_ns = ap->longest_starve_ns;
		for (size_t i = 0; i < ap->nstarves; i++) {
			struct wl_orig_starve *s;

			if (!TG_ROOM(w->orig_starves, w->norig_starves,
				     w->caporig_starves))
				return false;
			s = &w->orig_starves[w->norig_starves++];
			s->prio = p;
			s->start = ap->starves[i].start - al->first;
			s->end = ap->starves[i].end - al->first;
			s->open_at_end = ap->starves[i].open_at_end;
		}
	}
	if (w->norig_starves > 1) /* none: NULL, which qsort() must not get */
		qsort(w->orig_starves, w->norig_starves,
		      sizeof(*w->orig_starves), cmp_pstarve);
	for (size_t i = 0; i < al->ntasks; i++) {
		struct an_task *t = al->tasks[i];
		struct wl_orig_task *o;

		if (!t->runs)
			continue;
		if (!TG_ROOM(w->orig_tasks, w->norig_tasks,
			     w->caporig_tasks))
			return false;
		o = &w->orig_tasks[w->norig_tasks];
		memset(o, 0, sizeof(*o));
		{
			size_t len = strlen(t->name);
			char *c = malloc(len + 1);

			if (!c || !TG_ROOM(w->strs, w->nstrs, w->capstrs)) {
				free(c);
				return false;
			}
			memcpy(c, t->name, len + 1);
			w->strs[w->nstrs++] = c;
			o->name = c;
		}
		o->prio = t->prio >= 0 && t->prio < WL_PRIOS ? t->prio : 0;
		o->runs = t->runs;
		o->long_runs = t->long_runs;
		o->p50 = an_pct(&t->wait, 50);
		o->p99 = an_pct(&t->wait, 99);
		o->max = t->wait.count ? t->wait.max : 0;
		o->run_max = t->run.count ? t->run.max : 0;
		o->run_total = t->run_total;
		w->norig_tasks++;
	}
	return true;
}

/* Turns the chosen loop's extraction into a workload. */
static int finish(struct xt *x, struct xloop *l, struct an_loop *al,
		  const struct an_config *cfg, char *err, size_t errlen)
{
	struct wl_workload *w = l->w;
	int64_t origin = al->first, end = al->last;
	size_t k = 0;


	/* Posts run by a task of their own: the task's run is the post's
	 * work (its duration and its steps). */
	for (size_t i = 0; i < w->ntasks; i++) {
		struct wl_task *t = &w->tasks[i];
		struct xtask *xt = xtask_find(l, t->id);

		if (!xt || xt->post < 0)
			continue;
		if (t->nruns) {
			struct wl_post *p = &w->posts[xt->post];
			struct wl_run *r = &t->runs[0];

			free(p->steps);
			p->steps = r->steps;
			p->nsteps = r->nsteps;
			p->capsteps = r->capsteps;
			r->steps = NULL;
			r->nsteps = r->capsteps = 0;
			if (r->duration >= 0)
				p->duration = r->duration;
		}
	}
	for (size_t i = 0; i < w->ntasks; i++) {
		struct wl_task *t = &w->tasks[i];

		if (is_post_task(l, t->id)) {
			for (size_t r = 0; r < t->nruns; r++)
				free(t->runs[r].steps);
			free(t->runs);
			continue;
		}
		w->tasks[k++] = *t;
	}
	w->ntasks = k;
	for (size_t i = 0; i < w->ntasks; i++) {
		struct wl_task *t = &w->tasks[i];

		if (t->parent && !wl_task_find(w, t->parent))
			t->parent = 0; /* its parent never showed up */
		for (size_t r = 0; r < t->nruns; r++) {
			struct wl_run *run = &t->runs[r];

			/* A run still going when the trace ended. */
			if (run->duration < 0) {
				run->duration = end > run->begin ? end - run->begin : 0;
				run->active_after = true;
			}
			drop_post_steps(l, run->steps, &run->nsteps);
			for (size_t s = 0; s < run->nsteps; s++)
				if (run->steps[s].at > run->duration)
					run->steps[s].at = run->duration;
			rel(&run->begin, origin);
			rel(&run->ready_at, origin);
		}
	}
	/* The program's teardown: work that began well after the loop last
	 * ran or woke up (its performer's close running what it held) is
	 * not the loop's, nor is the stall before it. */
	if (l->last_active > 0) {
		int64_t cut = l->last_active + STALL_MIN;
		size_t kk = 0;

		for (size_t i = 0; i < w->nposts; i++) {
			struct wl_post *p = &w->posts[i];
			bool late = i < l->cappost_begin && l->post_begin &&
				    l->post_begin[i] > cut;

			if (late) {
				free(p->steps);
				continue;
			}
			w->posts[kk++] = *p;
		}
		/* Post indexes move: the task-run posts were merged above. */
		w->nposts = kk;
		kk = 0;
		for (size_t i = 0; i < w->nactions; i++)
			if (!(w->actions[i].op == WL_STALL &&
			      w->actions[i].at >= l->last_active))
				w->actions[kk++] = w->actions[i];
		w->nactions = kk;
	}

	for (size_t i = 0; i < w->nposts; i++) {
		struct wl_post *p = &w->posts[i];

		drop_post_steps(l, p->steps, &p->nsteps);
		for (size_t s = 0; s < p->nsteps; s++)
			if (p->steps[s].at > p->duration)
				p->steps[s].at = p->duration;
		rel(&p->at, origin);
	}
	drop_post_steps(l, w->actions, &w->nactions);
	for (size_t i = 0; i < w->nactions; i++)
		rel(&w->actions[i].at, origin);
	if (!wl_sort_by_time(w))
		x->nomem = true;
	w->origin = origin;
	w->span = end > origin ? end - origin : 0;
	if (x->nomem || !orig_figures(w, al, cfg) ||
	    !orig_findings(w, an_finish(x->a), al)) {
		snprintf(err, errlen, "out of memory while extracting the workload");
		return -1;
	}
	return 0;
}

int wl_from_traces(const char *const *paths, int npaths,
		   const struct an_config *cfg, uint64_t loop,
		   struct wl_workload **out, struct an **analysis, char *err,
		   size_t errlen)
{
	struct tr_reader *r = tr_reader_new();
	struct an_config defcfg;
	struct xt x = { .pid = -1 };
	struct tr_handlers h = { .event = on_event, .discard = on_discard, .arg = &x };
	const struct an_result *res;
	struct xloop *best = NULL;
	struct an_loop *al = NULL;
	int rc = 0;
	char src[256];

	*out = NULL;
	if (analysis)
		*analysis = NULL;
	if (!cfg) {
		an_config_default(&defcfg);
		cfg = &defcfg;
	}
	x.pid = cfg->pid;
	x.a = an_new(cfg);
	if (!r || !x.a) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	tr_reader_allow_merge(r, cfg->merge);
	for (int i = 0; i < npaths && rc >= 0; i++)
		rc = tr_reader_add_path(r, paths[i]);
	if (rc >= 0 && cfg->merge && cfg->merge_prog)
		tr_reader_print_merged(r, stderr, cfg->merge_prog);
	if (rc >= 0)
		rc = tr_reader_run(r, &h);
	if (rc == TR_STOPPED || x.nomem) {
		snprintf(err, errlen, "out of memory while reading the trace");
		goto fail;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", tr_reader_error(r));
		goto fail;
	}
	if (tr_reader_stats(r)->events == 0) {
		snprintf(err, errlen, "no libsched event in the trace (was the "
				      "provider libsched-lttng.so loaded?)");
		goto fail;
	}
	for (size_t i = 0; i < x.nloops; i++) {
		struct xloop *l = x.loops[i];

		if (loop) {
			if (l->addr == loop && !best)
				best = l;
		} else if (!best || l->runs > best->runs) {
			best = l;
		}
	}
	if (!best || (!loop && !best->runs)) {
		if (loop)
			snprintf(err, errlen, "no loop 0x%llx in the trace%s",
				 (unsigned long long)loop,
				 cfg->pid >= 0 ? " for that pid" : "");
		else
			snprintf(err, errlen, "no task ran in the trace%s: "
					      "nothing to replay",
				 cfg->pid >= 0 ? " for that pid" : "");
		goto fail;
	}
	res = an_finish(x.a);
	for (size_t i = 0; i < res->nloops; i++)
		if (res->loops[i]->addr == best->addr &&
		    res->loops[i]->vpid == best->vpid &&
		    (best->vpid >= 0 || res->loops[i]->trace == best->trace))
			al = res->loops[i];
	if (!al) {
		snprintf(err, errlen, "the analysis lost loop 0x%llx",
			 (unsigned long long)best->addr);
		goto fail;
	}
	if (finish(&x, best, al, cfg, err, errlen) < 0)
		goto fail;
	{
		char who[160];

		/* Named by its thread (and name); the address is what
		 * --loop takes. */
		snprintf(src, sizeof(src), "%s, %s, loop 0x%llx, pid %lld "
			 "(%s)", paths[0], an_loop_label(al, who, sizeof(who)),
			 (unsigned long long)best->addr, (long long)best->vpid,
			 al->procname ? al->procname : "?");
	}
	best->w->source = strdup(src);
	*out = best->w;
	best->w = NULL;
	for (size_t i = 0; i < x.nloops; i++)
		xloop_free(x.loops[i]);
	free(x.loops);
	tr_reader_free(r);
	if (analysis)
		*analysis = x.a;
	else
		an_free(x.a);
	return 0;
fail:
	for (size_t i = 0; i < x.nloops; i++)
		xloop_free(x.loops[i]);
	free(x.loops);
	tr_reader_free(r);
	an_free(x.a);
	return -1;
}
