/*
 * The replay: a workload (tools/common/workload.h) rebuilt on a real
 * libsched loop.
 *
 * Every task of the workload becomes an lsched_task with its name,
 * priority, kind, timeout, maximum wait and parent; its callback replays
 * the task's recorded runs in order. A run "works" its recorded duration
 * (on a virtual clock by moving the clock, on the real clock by spinning),
 * and at the recorded offsets does what the original did: asks a real
 * stopwatch (with the recorded slice, or --slice), starts, stops and
 * changes tasks. The stopwatch decides, not the recording: when it stops
 * the task before the original stopped, the run ends there and the rest of
 * its work is done in the task's next run (a repeating task runs again by
 * itself; a one-shot task starts itself again, as real code does); when it
 * lets the task go on where the original yielded, the task goes on into
 * its next recorded run's work. Posts are made through a real Performer,
 * at their recorded times: on a virtual clock by whoever moves the clock
 * past their time (a running task's work, or a loop timer when the loop is
 * idle), so that a post arriving during a run is pending input for its
 * stopwatch, as it was for real; on the real clock by one thread per
 * recorded producer. Starts made outside any run happen on a loop timer at
 * their time.
 *
 * The replay is measured by the library's own trace events, delivered in
 * process through the trace hook (tracepoints/trace_hook.h) to the same
 * analysis core that measured the recording.
 */
#include "schedreplay.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libsched/libsched.h>

#include "trace_hook.h"
#include "trace_read.h"

/* The hook's records have the layout of trace_read's event structs: a
 * record is copied into a struct tr_event as it is. */
#define SR_SAME_FIELD(ev, k, n)                                                \
	_Static_assert(offsetof(struct lsched_tp_rec_##ev, n) ==               \
			       offsetof(struct tr_ev_##ev, n),                 \
		       "hook record " #ev "." #n " differs from trace_read's");
#define LSCHED_EVENT(ev, ...)                                                  \
	TR__MAP(SR_SAME_FIELD, ev, __VA_ARGS__)                                \
	_Static_assert(sizeof(struct lsched_tp_rec_##ev) ==                    \
			       sizeof(struct tr_ev_##ev),                      \
		       "hook record " #ev " differs from trace_read's");       \
	_Static_assert((int)LSCHED_TP_EV_##ev == (int)TR_EV_##ev,              \
		       "event numbering differs: " #ev);
#include "events.def"
#undef LSCHED_EVENT

static const size_t rec_size[TR_EV_COUNT] = {
#define LSCHED_EVENT(ev, ...) [TR_EV_##ev] = sizeof(struct tr_ev_##ev),
#include "events.def"
#undef LSCHED_EVENT
};

struct replay;

struct rtask {
	const struct wl_task *wt;
	lsched_task *t;
	struct replay *rp;
	size_t run, step; /* the recorded run and step to go on with */
	int64_t done;     /* of that run's work, how much is done */
	int64_t *lead;    /* per recorded run: the loop's own time before it */
	size_t target;    /* the recorded run the last start led to (+1), 0 */
	double scale;     /* --scale */
	int64_t split;    /* --split: pieces per run, 0 for none */
	int64_t piece;    /* --split: the current run's piece of work, ns */
	bool fixed_prio, fixed_max_wait; /* a what-if owns them */
};

struct rpost {
	const struct wl_post *p;
	struct replay *rp;
	double scale;
	int prio;
};

struct producer {
	struct replay *rp;
	int64_t thread;
	pthread_t tid;
	bool started;
};

#define SR_RT_LOOP 10
#define SR_RT_PRODUCER 11

struct replay {
	/* Set when the measure ends: the hook ignores what comes after (it
	 * stays installed until every thread that may emit has stopped). */
	int measure_done;
	const struct wl_workload *w;
	const struct sr_whatif *wi;
	bool real;
	double speed;
	bool realtime;
	int64_t t0; /* the loop time of the workload's origin */
	lsched_clock *clock;
	lsched_loop *loop;
	lsched_performer *perf;
	struct rtask *tasks;  /* by id */
	size_t ntasks;
	struct rpost *posts;
	size_t next_post;     /* --sim: the next post to deliver */
	size_t next_action;
	lsched_timer *post_timer, *action_timer, *end_timer;
	struct producer *producers;
	size_t nproducers;
	struct an *a;
	pthread_mutex_t lock; /* --real: the analysis, fed from many threads */
	const struct tr_field *fields[TR_EV_COUNT];
	unsigned nfields[TR_EV_COUNT];
	struct sr_stats st;
	int64_t *drifts; /* |replayed - recorded begin| of runs begun afresh */
	size_t ndrifts, capdrifts;
	int err;
	char errmsg[200];
};

static void drift(struct replay *rp, int64_t d)
{
	if (rp->ndrifts == rp->capdrifts) {
		size_t ncap = rp->capdrifts ? rp->capdrifts * 2 : 1024;
		int64_t *nv = realloc(rp->drifts, ncap * sizeof(*nv));

		if (!nv)
			return; /* a figure less, not a failure */
		rp->drifts = nv;
		rp->capdrifts = ncap;
	}
	rp->drifts[rp->ndrifts++] = d < 0 ? -d : d;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* Nearest rank, as the analysis. */
static int64_t pct(const int64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	if (!n)
		return 0;
	return v[(rank < 1 ? 1 : rank > n ? n : rank) - 1];
}

static int cmp_rtask(const void *x, const void *y)
{
	const struct rtask *a = x, *b = y;

	return a->wt->id < b->wt->id ? -1 : a->wt->id > b->wt->id;
}

static struct rtask *rtask_find(struct replay *rp, uint64_t id)
{
	size_t lo = 0, hi = rp->ntasks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rp->tasks[mid].wt->id == id)
			return &rp->tasks[mid];
		if (rp->tasks[mid].wt->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void fail(struct replay *rp, int err, const char *what)
{
	if (rp->err)
		return;
	rp->err = err;
	snprintf(rp->errmsg, sizeof(rp->errmsg), "%s: %s", what,
		 lsched_strerror(err));
	lsched_loop_stop(rp->loop);
}

/* ---- time ---------------------------------------------------------------- */

/*
 * Saturating arithmetic. The format allows times and durations up to 2^62
 * each, so that a time plus a duration fits, but a time plus a latency
 * plus a clock origin, or a duration divided by a small speed, need not:
 * such sums stop at INT64_MAX ("never, in this replay") instead of
 * overflowing (undefined behaviour, and garbage figures such as a wait
 * p50 of 2.31e9 s).
 */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* A workload duration on the replay's clock. */
static int64_t dur(const struct replay *rp, double ns)
{
	double v = ns / rp->speed;

	/* 2^63 as a double: anything from there on does not convert. */
	if (!(v < 9223372036854775808.0))
		return v > 0 ? INT64_MAX : 0;
	return v > 0 ? (int64_t)llround(v) : 0;
}

/* A workload time on the replay's clock. */
static int64_t at(const struct replay *rp, int64_t t)
{
	return sat_add(rp->t0, dur(rp, (double)t));
}

/* Arms timer for the loop time when (a loop timer counts from the loop's
 * cached time). */
static void arm(struct replay *rp, lsched_timer *timer, int64_t when)
{
	int64_t now = lsched_loop_now(rp->loop);
	int rc = lsched_timer_start(timer, when > now ? when - now : 0, 0,
				    LSCHED_CATCHUP_SKIP);

	if (rc)
		fail(rp, rc, "arming a timer");
}

static void post_cb(void *arg);

/* Makes post i through the performer, as its producer did. */
static void deliver(struct replay *rp, struct rpost *rpo, bool may_wait)
{
	const struct wl_post *p = rpo->p;
	unsigned flags = may_wait && p->wait ? LSCHED_PERFORM_WAIT : 0;
	int rc;

	if (rpo->prio < 0)
		rc = lsched_perform(rp->perf, post_cb, rpo, flags);
	else
		rc = lsched_perform_at(rp->perf, rpo->prio, p->name, post_cb,
				       rpo, flags);
	if (rc && rc != -ESHUTDOWN)
		fail(rp, rc, "posting");
	else if (!rc)
		__atomic_fetch_add(&rp->st.posts, 1, __ATOMIC_RELAXED);
}

/* --sim: when the loop notices a post: at its time, plus the time the
 * recorded loop took to wake up for it if it was asleep (a virtual clock
 * wakes up at once). */
static int64_t noticed(const struct replay *rp, const struct wl_post *p)
{
	return at(rp, sat_add(p->at, p->latency));
}

/* --sim: the posts due by loop time t, each at its time. */
static void deliver_due(struct replay *rp, int64_t t)
{
	while (rp->next_post < rp->w->nposts) {
		struct rpost *rpo = &rp->posts[rp->next_post];
		int64_t when = noticed(rp, rpo->p);

		if (when > t)
			break;
		if (when > lsched_clock_now(rp->clock))
			lsched_clock_set(rp->clock, when);
		rp->next_post++;
		deliver(rp, rpo, false);
	}
}

/* Works for d ns of workload time. */
static void work(struct replay *rp, double d)
{
	int64_t now = lsched_clock_now(rp->clock), end = sat_add(now, dur(rp, d));

	if (end <= now)
		return;
	if (!rp->real) {
		deliver_due(rp, end);
		if (end > lsched_clock_now(rp->clock))
			lsched_clock_set(rp->clock, end);
		return;
	}
	while (lsched_clock_now(rp->clock) < end)
		;
}

/* ---- what runs ------------------------------------------------------------ */

static bool repeating(const struct wl_task *t)
{
	return t->kind == WL_AUTO_IDLE || t->kind == WL_AUTO_TIMER;
}

static void start(struct replay *rp, uint64_t id, int64_t timeout)
{
	struct rtask *rt = rtask_find(rp, id);
	int rc = 0;

	if (!rt)
		return;
	if (rt->wt->kind == WL_TIMER || rt->wt->kind == WL_AUTO_TIMER)
		rc = lsched_task_set_timeout(rt->t, dur(rp, (double)timeout));
	if (!rc)
		rc = lsched_task_start(rt->t);
	if (rc)
		fail(rp, rc, "starting a task");
}

/*
 * A start led, in the recording, to a given run of its task: the task's
 * next run replays that one, so that a start the replay merged with
 * another (the task was still queued) or a run it added does not shift
 * every later run of the task onto other work (officesim's layout: its
 * 300 ms reflow is the run after a resize, not the n-th run). A one-shot
 * task's runs are each a start's; a repeating task's are a stream of work
 * that only a start of the stopped task begins anew (idle: true), else its
 * pending work would be dropped.
 */
static void bind(struct rtask *rt, const struct wl_step *s, bool idle)
{
	if (!rt || !s->run || (repeating(rt->wt) && !idle))
		return;
	if (s->run > rt->target)
		rt->target = s->run;
}

/* A step that acts on a task (or is an annotation). */
static void act(struct replay *rp, const struct wl_step *s)
{
	struct rtask *rt = rtask_find(rp, s->task);
	int rc = 0;

	switch (s->op) {
	case WL_START:
		/* The recorded program started a task that was not queued:
		 * if the replay has it queued still, it stays as it is (a
		 * restart would re-arm a waiting timer, which the recording
		 * never did). */
		if (rt && lsched_task_is_active(rt->t)) {
			rp->st.starts_skipped++;
			bind(rt, s, false);
			return;
		}
		bind(rt, s, true);
		start(rp, s->task, s->value);
		return;
	case WL_RESTART:
		bind(rt, s, false);
		start(rp, s->task, s->value);
		return;
	case WL_STOP:
		if (rt)
			rc = lsched_task_stop(rt->t);
		break;
	case WL_PRIO:
		if (rt && !rt->fixed_prio)
			rc = lsched_task_set_priority(rt->t, (int)s->value);
		break;
	case WL_MAX_WAIT:
		if (rt && !rt->fixed_max_wait)
			rc = lsched_task_set_max_wait(rt->t,
						      dur(rp, (double)s->value));
		break;
	case WL_NOW:
		lsched_loop_update_now(rp->loop);
		break;
	case WL_STALL:
		/* The recorded loop was busy elsewhere: so is this one. Its
		 * cached time is refreshed after, else the task that runs
		 * next (after the perform phase: a stall runs on a loop timer,
		 * which may fire after the poll) would count the stall in its
		 * run. */
		work(rp, (double)s->value);
		lsched_loop_update_now(rp->loop);
		break;
	default:
		/* A check outside a task, a dispatcher command or build:
		 * their time is part of the work. */
		break;
	}
	if (rc)
		fail(rp, rc, "changing a task");
}

static void post_cb(void *arg)
{
	struct rpost *rpo = arg;
	struct replay *rp = rpo->rp;
	const struct wl_post *p = rpo->p;
	int64_t done = 0;

	for (size_t i = 0; i < p->nsteps; i++) {
		work(rp, (double)(p->steps[i].at - done) * rpo->scale);
		done = p->steps[i].at;
		act(rp, &p->steps[i]);
	}
	work(rp, (double)(p->duration - done) * rpo->scale);
}

/* --split: when the work up to offset `to` of the current run is more
 * than the piece left, works the piece and ends the run there (true): the
 * task is ready again, as a split task is. *left: the piece left, -1 for
 * no split. */
static bool piece_done(struct replay *rp, struct rtask *rt, lsched_task *t,
		       int64_t to, int64_t *left)
{
	if (*left < 0 || to - rt->done <= *left) {
		if (*left >= 0)
			*left -= to - rt->done;
		return false;
	}
	work(rp, (double)*left * rt->scale);
	rt->done += *left;
	rp->st.split++;
	if (!repeating(rt->wt) && !lsched_task_is_active(t))
		start(rp, rt->wt->id, 0);
	return true;
}

static void task_cb(lsched_task *t, void *arg)
{
	struct rtask *rt = arg;
	struct replay *rp = rt->rp;
	const struct wl_task *wt = rt->wt;
	struct lsched_stopwatch sw;
	int64_t left;

	/* A fresh run: the one its last start led to, if the replay is
	 * behind (the runs between are dropped: a merged start). */
	if (!rt->step && !rt->done && rt->target > rt->run + 1) {
		rp->st.runs_dropped += rt->target - 1 - rt->run;
		rt->run = rt->target - 1;
	}
	if (rt->run >= wt->nruns) {
		/* Started more often than recorded (a what-if made it): no
		 * work left. A repeating task would spin at one instant. */
		rp->st.extra++;
		if (repeating(wt))
			lsched_task_stop(t);
		return;
	}
	rp->st.runs++;
	/* The loop's own time between the run before and this one, in the
	 * recording: without it the replay drifts ahead. */
	if (!rt->step && !rt->done) {
		drift(rp, (int64_t)llround((double)(lsched_loop_now(rp->loop) -
						    rp->t0) * rp->speed) -
				  wt->runs[rt->run].begin);
		work(rp, (double)rt->lead[rt->run]);
	}
	lsched_stopwatch_init(&sw, rp->loop);
	if (rt->split && !rt->step && !rt->done)
		/* Rounded up: N pieces at most, none empty. */
		rt->piece = (wt->runs[rt->run].duration + rt->split - 1) /
			    rt->split;
	left = rt->split ? rt->piece : -1;
	for (;;) {
		const struct wl_run *r = &wt->runs[rt->run];
		bool merge = false;

		while (rt->step < r->nsteps) {
			const struct wl_step *s = &r->steps[rt->step];
			bool go;

			if (piece_done(rp, rt, t, s->at, &left))
				return;
			work(rp, (double)(s->at - rt->done) * rt->scale);
			rt->done = s->at;
			rt->step++;
			if (s->op != WL_CHECK) {
				act(rp, s);
				continue;
			}
			lsched_stopwatch_set_slice(
				&sw, dur(rp, (double)(rp->wi->slice ? rp->wi->slice
								    : s->value)));
			go = lsched_stopwatch_continue(&sw);
			rp->st.checks++;
			rp->st.checks_same += go == (s->verdict == WL_CONTINUE);
			if (!go && s->verdict == WL_CONTINUE) {
				/* Stopped where the original went on: the
				 * rest is for the next run. */
				rp->st.split++;
				if (!repeating(wt) && !lsched_task_is_active(t))
					start(rp, wt->id, 0);
				return;
			}
			if (go && s->verdict != WL_CONTINUE && repeating(wt) &&
			    r->active_after && rt->run + 1 < wt->nruns) {
				/* Let go on where the original yielded: on
				 * into the work of its next run. */
				merge = true;
				break;
			}
		}
		if (merge) {
			rp->st.merged++;
			rt->run++;
			rt->step = 0;
			rt->done = 0;
			continue;
		}
		if (piece_done(rp, rt, t, r->duration, &left))
			return;
		work(rp, (double)(r->duration - rt->done) * rt->scale);
		if (!r->active_after && repeating(wt) && lsched_task_is_active(t))
			lsched_task_stop(t);
		rt->run++;
		rt->step = 0;
		rt->done = 0;
		return;
	}
}

/* ---- the timeline --------------------------------------------------------- */

static void on_posts(lsched_timer *timer, void *arg)
{
	struct replay *rp = arg;

	deliver_due(rp, lsched_loop_now(rp->loop));
	if (rp->next_post < rp->w->nposts)
		arm(rp, timer, noticed(rp, rp->posts[rp->next_post].p));
}

static void on_actions(lsched_timer *timer, void *arg)
{
	struct replay *rp = arg;
	const struct wl_workload *w = rp->w;

	while (rp->next_action < w->nactions &&
	       at(rp, w->actions[rp->next_action].at) <= lsched_loop_now(rp->loop))
		act(rp, &w->actions[rp->next_action++]);
	if (rp->next_action < w->nactions)
		arm(rp, timer, at(rp, w->actions[rp->next_action].at));
}

static void on_end(lsched_timer *timer, void *arg)
{
	struct replay *rp = arg;

	lsched_loop_stop(rp->loop);
}

/* --real: one thread per recorded producer posts its posts at their
 * times, waiting ones waiting. */
static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	struct replay *rp = pr->rp;

	for (size_t i = 0; i < rp->w->nposts; i++) {
		struct rpost *rpo = &rp->posts[i];
		int64_t when;
		struct timespec ts;

		if (rpo->p->thread != pr->thread)
			continue;
		when = at(rp, rpo->p->at);
		ts.tv_sec = when / 1000000000;
		ts.tv_nsec = when % 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
		       EINTR)
			;
		if (lsched_performer_is_closed(rp->perf))
			break;
		deliver(rp, rpo, true);
	}
	return NULL;
}

/* ---- measuring ---------------------------------------------------------- */

/* Payload times back on the workload's scale (from its origin, at speed
 * 1): absolute times and durations, by field name. */
static bool is_instant(const char *name)
{
	static const char *const instants[] = { "now", "due", "ready_at",
						"begin", "end", "posted_at",
						"dirty_since" };

	for (size_t i = 0; i < sizeof(instants) / sizeof(*instants); i++)
		if (!strcmp(name, instants[i]))
			return true;
	return false;
}

static void hook(enum lsched_tp_event type, const void *rec, void *arg)
{
	struct replay *rp = arg;
	struct tr_event ev;

	if ((unsigned)type >= TR_EV_COUNT ||
	    __atomic_load_n(&rp->measure_done, __ATOMIC_ACQUIRE))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = (enum tr_type)type;
	ev.vtid = ev.vpid = -1;
	memcpy(&ev.task_enqueue, rec, rec_size[type]);
	if (rp->real) {
		for (unsigned i = 0; i < rp->nfields[type]; i++) {
			const struct tr_field *f = &rp->fields[type][i];
			int64_t *v = (int64_t *)((char *)&ev + f->offset);

			if (f->kind != TR_KIND_I64 || *v < 0)
				continue;
			if (is_instant(f->name))
				*v = (int64_t)llround((double)(*v - rp->t0) * rp->speed);
			else
				*v = (int64_t)llround((double)*v * rp->speed);
		}
		pthread_mutex_lock(&rp->lock);
	}
	rp->st.events++;
	if (an_feed(rp->a, &ev) && !rp->err) {
		rp->err = -ENOMEM;
		snprintf(rp->errmsg, sizeof(rp->errmsg),
			 "out of memory while measuring the replay");
	}
	if (rp->real)
		pthread_mutex_unlock(&rp->lock);
}

/* ---- setting up ----------------------------------------------------------- */

static const struct sr_named *named(const struct sr_named *v, size_t n,
				    const char *name)
{
	const struct sr_named *all = NULL;

	/* The last one given wins; one for this task over one for all. */
	for (size_t i = n; i > 0; i--) {
		if (v[i - 1].name && !strcmp(v[i - 1].name, name))
			return &v[i - 1];
		if (!v[i - 1].name && !all)
			all = &v[i - 1];
	}
	return all;
}

/* The lead of every recorded run (see task_cb): when the task was ready
 * before the run before it ended, the time between that end and its
 * begin, the loop's own work (polls, the pass), up to LEAD_MAX; else 0
 * (the loop slept, or a post's work ran: replayed as such). */
#define LEAD_MAX 100000

struct run_ref {
	int64_t begin, ready, end;
	int64_t *lead;
};

static int cmp_run_ref(const void *x, const void *y)
{
	const struct run_ref *a = x, *b = y;

	return a->begin < b->begin ? -1 : a->begin > b->begin;
}

static int leads(struct replay *rp)
{
	size_t n = wl_run_count(rp->w), k = 0;
	struct run_ref *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -1;
	for (size_t i = 0; i < rp->ntasks; i++) {
		struct rtask *rt = &rp->tasks[i];
		const struct wl_task *wt = rt->wt;

		rt->lead = calloc(wt->nruns ? wt->nruns : 1, sizeof(*rt->lead));
		if (!rt->lead) {
			free(v);
			return -1;
		}
		for (size_t r = 0; r < wt->nruns; r++)
			v[k++] = (struct run_ref){
				wt->runs[r].begin, wt->runs[r].ready_at,
				sat_add(wt->runs[r].begin, wt->runs[r].duration),
				&rt->lead[r],
			};
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_run_ref);
	for (size_t i = 1; i < n; i++) {
		int64_t from = v[i].ready > v[i - 1].end ? v[i].ready : v[i - 1].end;
		int64_t gap = v[i].begin - from;

		if (gap > 0 && gap <= LEAD_MAX)
			*v[i].lead = gap;
	}
	free(v);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(struct replay *rp, char *err, size_t errlen)
{
	const struct wl_workload *w = rp->w;
	const struct sr_whatif *wi = rp->wi;

	rp->tasks = calloc(w->ntasks ? w->ntasks : 1, sizeof(*rp->tasks));
	rp->posts = calloc(w->nposts ? w->nposts : 1, sizeof(*rp->posts));
	if (!rp->tasks || !rp->posts) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->ntasks; i++)
		rp->tasks[i].wt = &w->tasks[i];
	rp->ntasks = w->ntasks;
	qsort(rp->tasks, rp->ntasks, sizeof(*rp->tasks), cmp_rtask);
	for (size_t i = 0; i < rp->ntasks; i++) {
		struct rtask *rt = &rp->tasks[i];
		const struct wl_task *wt = rt->wt;
		const struct sr_named *np = named(wi->prios, wi->nprios, wt->name);
		const struct sr_named *nm =
			named(wi->max_waits, wi->nmax_waits, wt->name);
		const struct sr_named *ns = named(wi->scales, wi->nscales, wt->name);
		const struct sr_named *nx = named(wi->splits, wi->nsplits, wt->name);
		int rc;

		rt->rp = rp;
		rt->scale = ns ? ns->factor : 1.0;
		rt->split = nx ? nx->value : 0;
		rt->fixed_prio = np != NULL;
		rt->fixed_max_wait = nm != NULL;
		rt->t = lsched_task_new(rp->loop, wt->name,
					(enum lsched_task_kind)wt->kind,
					np ? (int)np->value : wt->prio, task_cb, rt);
		if (!rt->t) {
			snprintf(err, errlen, "task %llu (%s): %s",
				 (unsigned long long)wt->id, wt->name,
				 lsched_strerror(-errno));
			return -1;
		}
		rc = lsched_task_set_timeout(rt->t, dur(rp, (double)wt->timeout));
		if (!rc)
			rc = lsched_task_set_max_wait(
				rt->t, dur(rp, (double)(nm ? nm->value : wt->max_wait)));
		if (rc) {
			snprintf(err, errlen, "task %llu (%s): %s",
				 (unsigned long long)wt->id, wt->name,
				 lsched_strerror(rc));
			return -1;
		}
	}
	if (leads(rp) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < rp->ntasks; i++) {
		struct rtask *rt = &rp->tasks[i];
		struct rtask *parent = rt->wt->parent ? rtask_find(rp, rt->wt->parent)
						      : NULL;
		int rc;

		if (parent && (rc = lsched_task_add_child(parent->t, rt->t))) {
			snprintf(err, errlen, "task %llu: child of %llu: %s",
				 (unsigned long long)rt->wt->id,
				 (unsigned long long)parent->wt->id,
				 lsched_strerror(rc));
			return -1;
		}
	}
	for (size_t i = 0; i < w->nposts; i++) {
		struct rpost *rpo = &rp->posts[i];
		const struct wl_post *p = &w->posts[i];
		const struct sr_named *np =
			p->prio >= 0 ? named(wi->prios, wi->nprios, p->name) : NULL;
		const struct sr_named *ns =
			*p->name ? named(wi->scales, wi->nscales, p->name) : NULL;

		rpo->p = p;
		rpo->rp = rp;
		rpo->prio = np ? (int)np->value : p->prio;
		rpo->scale = ns ? ns->factor : 1.0;
	}
	rp->perf = lsched_performer_new(rp->loop);
	rp->post_timer = lsched_timer_new(rp->loop, on_posts, rp);
	rp->action_timer = lsched_timer_new(rp->loop, on_actions, rp);
	rp->end_timer = lsched_timer_new(rp->loop, on_end, rp);
	if (!rp->perf || !rp->post_timer || !rp->action_timer || !rp->end_timer) {
		snprintf(err, errlen, "setting up the loop: %s",
			 lsched_strerror(-errno));
		return -1;
	}
	for (int t = 0; t < TR_EV_COUNT; t++)
		rp->fields[t] = tr_type_fields((enum tr_type)t, &rp->nfields[t]);
	return 0;
}

/* The producers of --real: one thread per recorded thread. */
static int start_producers(struct replay *rp, char *err, size_t errlen)
{
	const struct wl_workload *w = rp->w;

	rp->producers = calloc(w->nposts ? w->nposts : 1, sizeof(*rp->producers));
	if (!rp->producers) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->nposts; i++) {
		size_t k;

		for (k = 0; k < rp->nproducers; k++)
			if (rp->producers[k].thread == w->posts[i].thread)
				break;
		if (k == rp->nproducers) {
			rp->producers[k].thread = w->posts[i].thread;
			rp->producers[k].rp = rp;
			rp->nproducers++;
		}
	}
	for (size_t k = 0; k < rp->nproducers; k++) {
		pthread_attr_t attr;
		struct sched_param sp = { .sched_priority = SR_RT_PRODUCER };
		int rc;

		pthread_attr_init(&attr);
		if (rp->realtime) {
			pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
			pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
			pthread_attr_setschedparam(&attr, &sp);
		}
		rc = pthread_create(&rp->producers[k].tid, &attr, producer_main,
				    &rp->producers[k]);
		pthread_attr_destroy(&attr);
		if (rc) {
			snprintf(err, errlen, "starting a producer thread: %s",
				 strerror(rc));
			return -1;
		}
		rp->producers[k].started = true;
	}
	return 0;
}

static void teardown(struct replay *rp)
{
	/* The measure ends with the workload: what close runs afterwards is
	 * not part of it. The hook goes only once no thread can emit: a
	 * producer may still be posting, and the hook's function and
	 * argument are read apart. */
	__atomic_store_n(&rp->measure_done, 1, __ATOMIC_RELEASE);
	if (rp->perf)
		lsched_performer_close(rp->perf);
	for (size_t k = 0; k < rp->nproducers; k++)
		if (rp->producers[k].started)
			pthread_join(rp->producers[k].tid, NULL);
	lsched__trace_hook_set(NULL, NULL);
	lsched_performer_destroy(rp->perf);
	if (rp->loop)
		lsched_loop_destroy(rp->loop);
	if (rp->clock && lsched_clock_is_virtual(rp->clock))
		lsched_clock_destroy(rp->clock);
	for (size_t i = 0; rp->tasks && i < rp->ntasks; i++)
		free(rp->tasks[i].lead);
	free(rp->drifts);
	free(rp->tasks);
	free(rp->posts);
	free(rp->producers);
}

bool sr_whatif_any(const struct sr_whatif *wi)
{
	return wi && (wi->slice || wi->nprios || wi->nmax_waits || wi->nscales ||
		      wi->nsplits);
}

int sr_replay(const struct wl_workload *w, const struct sr_whatif *wi,
	      const struct sr_mode *mode, const struct an_config *cfg,
	      struct sr_replay *out, char *err, size_t errlen)
{
	static const struct sr_whatif none;
	bool real = mode->real;
	struct replay rp = { .w = w, .wi = wi ? wi : &none, .real = real,
			     .speed = real && mode->speed > 0 ? mode->speed : 1.0 };
	struct an_config acfg = *cfg;
	struct sched_param old_sp, rt_sp = { .sched_priority = SR_RT_LOOP };
	int old_policy = -1;
	double t_start;
	int rc;

	memset(out, 0, sizeof(*out));
	acfg.pid = -1;
	pthread_mutex_init(&rp.lock, NULL);
	rp.a = an_new(&acfg);
	rp.clock = real ? lsched_clock_monotonic() : lsched_clock_new_virtual(0);
	if (!rp.a || !rp.clock || !(rp.loop = lsched_loop_new(rp.clock))) {
		snprintf(err, errlen, "setting up the replay's loop: %s",
			 lsched_strerror(-errno));
		goto fail;
	}
	if (!real) {
		lsched_clock_set_auto_advance(rp.clock, true);
		/* No descriptor is watched in a --sim replay: polling for
		 * input between tasks would only cost system calls. */
		lsched_loop_set_input_interval(rp.loop, INT64_MAX / 4);
	}
	if (setup(&rp, err, errlen) < 0)
		goto fail;
	rc = lsched__trace_hook_set(hook, &rp);
	if (rc) {
		snprintf(err, errlen, "this libsched was built without its trace "
				      "events (TRACE=0): a replay cannot be "
				      "measured");
		goto fail;
	}
	if (real && mode->realtime) {
		/* Not privileged: said once, and the replay goes on. */
		pthread_getschedparam(pthread_self(), &old_policy, &old_sp);
		if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt_sp) == 0)
			rp.realtime = true;
		else
			rp.st.realtime_refused = true;
	}
	t_start = now_s();
	rp.t0 = lsched_loop_update_now(rp.loop);
	if (real && w->nposts && start_producers(&rp, err, errlen) < 0)
		goto fail;
	if (!real && w->nposts)
		arm(&rp, rp.post_timer, noticed(&rp, &w->posts[0]));
	if (w->nactions)
		arm(&rp, rp.action_timer, at(&rp, w->actions[0].at));
	arm(&rp, rp.end_timer, at(&rp, w->span));
	rc = rp.err ? rp.err : lsched_loop_run(rp.loop, LSCHED_RUN_DEFAULT);
	if (rc || rp.err) {
		if (!rp.err)
			snprintf(rp.errmsg, sizeof(rp.errmsg), "running the loop: %s",
				 lsched_strerror(rc));
		snprintf(err, errlen, "%s", rp.errmsg);
		goto fail;
	}
	rp.st.replayed_ns = (int64_t)llround(
		(double)(lsched_loop_update_now(rp.loop) - rp.t0) * rp.speed);
	if (rp.ndrifts) /* qsort() must not be given NULL */
		qsort(rp.drifts, rp.ndrifts, sizeof(*rp.drifts), cmp_i64);
	rp.st.drift_runs = rp.ndrifts;
	rp.st.drift_p50 = pct(rp.drifts, rp.ndrifts, 50);
	rp.st.drift_p90 = pct(rp.drifts, rp.ndrifts, 90);
	rp.st.drift_max = rp.ndrifts ? rp.drifts[rp.ndrifts - 1] : 0;
	teardown(&rp);
	if (rp.realtime)
		pthread_setschedparam(pthread_self(), old_policy, &old_sp);
	rp.st.wall_s = now_s() - t_start;
	pthread_mutex_destroy(&rp.lock);
	out->a = rp.a;
	out->st = rp.st;
	{
		const struct an_result *res = an_finish(rp.a);

		/* One loop: the replay's (nothing else runs in this
		 * process meanwhile). */
		for (size_t i = 0; i < res->nloops; i++)
			if (!out->loop || res->loops[i]->nruns > out->loop->nruns)
				out->loop = res->loops[i];
	}
	return 0;
fail:
	teardown(&rp);
	if (rp.realtime)
		pthread_setschedparam(pthread_self(), old_policy, &old_sp);
	pthread_mutex_destroy(&rp.lock);
	an_free(rp.a);
	return -1;
}

void sr_replay_free(struct sr_replay *r)
{
	an_free(r->a);
	memset(r, 0, sizeof(*r));
}
