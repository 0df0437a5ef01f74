/*
 * The tracepoints' enabled path, without a tracer: raising every USDT
 * semaphore by hand makes every site compute its arguments and reach its
 * probe (a nop without a consumer), so this test runs each site's argument
 * code (under the sanitizers and Valgrind too) and checks that the library
 * behaves exactly as with nobody listening. What the events say is checked
 * against a real LTTng session (scripts/test-lttng.sh) and real BPF
 * (scripts/test-usdt.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libsched/libsched.h>
#include <pthread.h>

#include "schema.h"
#include "testutil.h"
#include "trace_hook.h"

#ifndef LSCHED_TRACE_DISABLED
#define LSCHED_EVENT(ev, ...) extern volatile unsigned short libsched_##ev##_semaphore;
#include "events.def"
#undef LSCHED_EVENT

static void raise_all(unsigned short v)
{
#define LSCHED_EVENT(ev, ...) libsched_##ev##_semaphore = v;
#include "events.def"
#undef LSCHED_EVENT
}
#else
static void raise_all(unsigned short v)
{
	(void)v;
}
#endif

static void test_schema(void **state)
{
#ifdef LSCHED_TRACE_DISABLED
	assert_int_equal(lsched_trace_schema(), 0);
#else
	assert_int_equal(lsched_trace_schema(), LSCHED_TRACE_SCHEMA);
#endif
}

/* ---- one workload that reaches every site -------------------------------- */

struct counts {
	int idle, timer, child, repeat, sliced, checks, perf, at, waited;
	int inline_waited, commands, builds;
};

static struct counts got;
static lsched_loop *wl_loop;
static lsched_performer *wl_perf;

static void on_count(lsched_task *t, void *arg)
{
	(*(int *)arg)++;
}

static void on_repeat(lsched_task *t, void *arg)
{
	if (++got.repeat == 3)
		lsched_task_stop(t);
}

/* Stopwatch checks on the virtual clock, 1 ms apart, with a 2 ms slice:
 * the second is an overrun and answers stop. */
static void on_sliced(lsched_task *t, void *arg)
{
	lsched_clock *clock = arg;
	struct lsched_stopwatch sw;

	got.sliced++;
	lsched_stopwatch_init(&sw, wl_loop);
	lsched_stopwatch_set_slice(&sw, LSCHED_MS(2));
	lsched_stopwatch_set_flags(&sw, LSCHED_SW_ELAPSED_ONLY);
	for (int i = 0; i < 3; i++) {
		lsched_clock_advance(clock, LSCHED_MS(1) + 1);
		got.checks++;
		if (!lsched_stopwatch_continue(&sw))
			break;
	}
}

static void on_perf(void *arg)
{
	(*(int *)arg)++;
}

static void on_inline(void *arg)
{
	got.inline_waited++;
}

/* A waiting post from the loop's own thread runs inline. */
static void on_poster(lsched_task *t, void *arg)
{
	assert_int_equal(lsched_perform(wl_perf, on_inline, NULL,
					LSCHED_PERFORM_WAIT), 0);
}

static void *producer(void *arg)
{
	for (int i = 0; i < 50; i++)
		assert_int_equal(lsched_perform(wl_perf, on_perf, &got.perf, 0),
				 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(lsched_perform_at(wl_perf, LSCHED_PRIO_REPAINT,
						   "at", on_perf, &got.at, 0),
				 0);
	assert_int_equal(lsched_perform_at(wl_perf, LSCHED_PRIO_DEFAULT,
					   "waited", on_perf, &got.waited,
					   LSCHED_PERFORM_WAIT),
			 0);
	return NULL;
}

static void on_command(void *arg)
{
	got.commands++;
}

static void on_build(void *arg)
{
	got.builds++;
}

static void on_done_check(lsched_task *t, void *arg)
{
	if (got.waited == 1 && got.builds >= 1)
		lsched_loop_stop(wl_loop);
}

static struct counts run_workload(void)
{
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(1));
	struct lsched_dispatcher_config cfg = {
		.builder = on_build,
		.latency_ns = LSCHED_MS(1),
		.force_ns = LSCHED_MS(3),
	};
	lsched_dispatcher *d;
	lsched_task *parent, *child, *t, *gone, *late, *watch;
	pthread_t th;

	memset(&got, 0, sizeof(got));
	assert_non_null(clock);
	lsched_clock_set_auto_advance(clock, true);
	wl_loop = lsched_loop_new(clock);
	assert_non_null(wl_loop);
	wl_perf = lsched_performer_new(wl_loop);
	assert_non_null(wl_perf);
	d = lsched_dispatcher_new(wl_loop, &cfg);
	assert_non_null(d);

	for (int p = 0; p < LSCHED_PRIO_COUNT; p++) {
		t = lsched_task_new(wl_loop, "idle", LSCHED_TASK_IDLE, p,
				    on_count, &got.idle);
		assert_int_equal(lsched_task_start(t), 0);
		lsched_task_start(t); /* a restart while queued */
	}
	t = lsched_task_new(wl_loop, "timer", LSCHED_TASK_TIMER,
			    LSCHED_PRIO_DEFAULT, on_count, &got.timer);
	lsched_task_set_timeout(t, LSCHED_MS(5));
	lsched_task_start(t);
	lsched_task_set_timeout(t, LSCHED_MS(4)); /* re-timed while waiting */
	parent = lsched_task_new(wl_loop, "parent", LSCHED_TASK_IDLE,
				 LSCHED_PRIO_HIGH_IDLE, on_count, &got.idle);
	child = lsched_task_new(wl_loop, "child", LSCHED_TASK_IDLE,
				LSCHED_PRIO_REPAINT, on_count, &got.child);
	assert_int_equal(lsched_task_add_child(parent, child), 0);
	lsched_task_start(child);
	lsched_task_start(parent); /* stops the queued child: PARENT */
	t = lsched_task_new(wl_loop, "repeat", LSCHED_TASK_AUTO_IDLE,
			    LSCHED_PRIO_LOWEST, on_repeat, NULL);
	lsched_task_set_max_wait(t, LSCHED_MS(1)); /* overdue picks */
	lsched_task_start(t);
	t = lsched_task_new(wl_loop, "moved", LSCHED_TASK_IDLE,
			    LSCHED_PRIO_LOWEST, on_count, &got.idle);
	lsched_task_start(t);
	lsched_task_set_priority(t, LSCHED_PRIO_HIGHEST);
	t = lsched_task_new(wl_loop, "sliced", LSCHED_TASK_IDLE,
			    LSCHED_PRIO_DEFAULT_IDLE, on_sliced, clock);
	lsched_task_start(t);
	gone = lsched_task_new(wl_loop, "gone", LSCHED_TASK_IDLE,
			       LSCHED_PRIO_DEFAULT, on_count, &got.idle);
	lsched_task_start(gone);
	lsched_task_destroy(gone); /* DESTROY while ready */
	t = lsched_task_new(wl_loop, "stopped", LSCHED_TASK_TIMER,
			    LSCHED_PRIO_DEFAULT, on_count, &got.idle);
	lsched_task_set_timeout(t, LSCHED_S(1));
	lsched_task_start(t);
	lsched_task_stop(t); /* STOP while waiting */
	late = lsched_task_new(wl_loop, "left", LSCHED_TASK_TIMER,
			       LSCHED_PRIO_DEFAULT, on_count, &got.idle);
	/* Far enough: while the producer thread is descheduled (a busy
	 * machine), the loop runs its 10 ms watch timer over and over, each
	 * cycle a jump of virtual time; 10^4 of them reached a 100 s timer
	 * (an eleventh idle run). 10^8 take minutes. */
	lsched_task_set_timeout(late, LSCHED_S(1000000));
	lsched_task_start(late); /* still queued at the loop's end: LOOP */
	t = lsched_task_new(wl_loop, "poster", LSCHED_TASK_IDLE,
			    LSCHED_PRIO_DEFAULT, on_poster, NULL);
	lsched_task_start(t);
	for (int i = 0; i < 5; i++)
		assert_int_equal(lsched_dispatcher_enqueue(d, i ? "cmd" : NULL,
							   on_command, NULL,
							   NULL),
				 0);
	watch = lsched_task_new(wl_loop, "watch", LSCHED_TASK_AUTO_TIMER,
				LSCHED_PRIO_LOWEST, on_done_check, NULL);
	lsched_task_set_timeout(watch, LSCHED_MS(10));
	lsched_task_start(watch);

	assert_int_equal(pthread_create(&th, NULL, producer, NULL), 0);
	assert_int_equal(lsched_loop_run(wl_loop, LSCHED_RUN_DEFAULT), 0);
	pthread_join(th, NULL);
	run_cycles(wl_loop, 10);

	assert_int_equal(lsched_performer_close(wl_perf), 0);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	lsched_performer_destroy(wl_perf);
	assert_int_equal(lsched_loop_destroy(wl_loop), 0);
	lsched_clock_destroy(clock);
	return got;
}

static void assert_counts(const struct counts *c)
{
	/* 8 idles, parent, moved */
	assert_int_equal(c->idle, 10);
	assert_int_equal(c->timer, 1);
	assert_int_equal(c->child, 1);
	assert_int_equal(c->repeat, 3);
	assert_int_equal(c->sliced, 1);
	assert_int_equal(c->checks, 2);
	assert_int_equal(c->perf, 50);
	assert_int_equal(c->at, 10);
	assert_int_equal(c->waited, 1);
	assert_int_equal(c->inline_waited, 1);
	assert_int_equal(c->commands, 5);
	assert_true(c->builds >= 1);
}

static void test_nobody_listening(void **state)
{
	struct counts c;

	raise_all(0);
	c = run_workload();
	assert_counts(&c);
}

static void test_every_site_enabled(void **state)
{
	struct counts c;

	raise_all(1);
	c = run_workload();
	raise_all(0);
	assert_counts(&c);
}

/* The in-process hook (trace_hook.h) gets every event with its fields,
 * strings never NULL, a run's end after its begin; removed, it gets
 * nothing more and the sites are off again. */
struct hooked {
	uint64_t per[LSCHED_TP_EV_COUNT];
	uint64_t running;  /* the task between fire_begin and fire_end */
	bool checks;       /* loop_check asked for */
	int bad;
	pthread_mutex_t lock;
};

/* The task whose task_fire_end this thread emitted last, until the
 * loop_check that must come next. */
static __thread uint64_t check_due;

static void on_hook(enum lsched_tp_event ev, const void *rec, void *arg)
{
	struct hooked *h = arg;

	pthread_mutex_lock(&h->lock);
	h->per[ev]++;
	if (h->checks && check_due) {
		const struct lsched_tp_rec_loop_check *c = rec;

		h->bad += ev != LSCHED_TP_EV_loop_check || c->kind != 0 ||
			  c->id != check_due;
		check_due = 0;
	}
	switch (ev) {
	case LSCHED_TP_EV_task_fire_begin: {
		const struct lsched_tp_rec_task_fire_begin *r = rec;

		h->bad += !r->name || !*r->name || r->prio < 0 || r->prio > 7 ||
			  r->begin < r->ready_at ||
			  r->wait != r->begin - r->ready_at;
		h->running = r->task;
		break;
	}
	case LSCHED_TP_EV_task_fire_end: {
		const struct lsched_tp_rec_task_fire_end *r = rec;

		h->bad += r->task != h->running || r->end < r->begin ||
			  r->run != r->end - r->begin;
		h->running = 0;
		if (h->checks)
			check_due = r->task;
		break;
	}
	case LSCHED_TP_EV_loop_check: {
		const struct lsched_tp_rec_loop_check *r = rec;

		h->bad += !h->checks || r->run < 0 || r->wait < 0 ||
			  (r->waiting == 0) != (r->waiting_prio == -1) ||
			  (r->waiting == 0 && r->wait != 0) ||
			  (r->kind == 0 && r->delay != 0);
		break;
	}
	case LSCHED_TP_EV_perform_enqueue: {
		const struct lsched_tp_rec_perform_enqueue *r = rec;

		h->bad += r->name == NULL || r->performer == 0;
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&h->lock);
}

static void test_hook_sees_the_events(void **state)
{
	struct hooked h = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct counts c;

#ifdef LSCHED_TRACE_DISABLED
	assert_int_equal(lsched__trace_hook_set(on_hook, &h), -ENOTSUP);
	(void)c;
#else
	raise_all(0);
	assert_int_equal(lsched__trace_hook_set(on_hook, &h), 0);
	c = run_workload();
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_counts(&c);
	assert_int_equal(h.bad, 0);
	assert_int_equal(h.per[LSCHED_TP_EV_task_fire_begin],
			 h.per[LSCHED_TP_EV_task_fire_end]);
	assert_true(h.per[LSCHED_TP_EV_task_fire_begin] > 0);
	assert_true(h.per[LSCHED_TP_EV_task_enqueue] > 0);
	assert_true(h.per[LSCHED_TP_EV_task_wake] > 0);
	assert_true(h.per[LSCHED_TP_EV_slice] > 0);
	assert_true(h.per[LSCHED_TP_EV_perform_enqueue] > 0);
	assert_int_equal(h.per[LSCHED_TP_EV_perform_fire_begin],
			 h.per[LSCHED_TP_EV_perform_fire_end]);
	assert_true(h.per[LSCHED_TP_EV_perform_fire_end] > 0);
	assert_int_equal(h.per[LSCHED_TP_EV_dispatch_command], 5);
	assert_true(h.per[LSCHED_TP_EV_dispatch_build] >= 1);
	/* Not asked for: no loop_check. */
	assert_int_equal(h.per[LSCHED_TP_EV_loop_check], 0);
	/* Asked for: one after every task run, and after first-class posts
	 * (kind 1). */
	memset(h.per, 0, sizeof(h.per));
	h.checks = true;
	assert_int_equal(lsched__trace_hook_set(on_hook, &h), 0);
	assert_int_equal(lsched__trace_hook_checks(true), 0);
	c = run_workload();
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_counts(&c);
	assert_int_equal(h.bad, 0);
	assert_true(h.per[LSCHED_TP_EV_loop_check] >
		    h.per[LSCHED_TP_EV_task_fire_end]);
	h.checks = false;
	/* Removed: nothing more reaches it. */
	memset(h.per, 0, sizeof(h.per));
	c = run_workload();
	assert_counts(&c);
	for (int e = 0; e < LSCHED_TP_EV_COUNT; e++)
		assert_int_equal(h.per[e], 0);
#endif
}

/* Posts taken while nobody listened and run once a recording began (the
 * work of the first installs the hook): every traced run names its post
 * by a number, no two the same, and a post made after them gets a larger
 * one. (The loop takes a batch without numbering it while numbers cannot
 * be seen; a post that fires traced is numbered then.) */
#ifndef LSCHED_TRACE_DISABLED
#define LATE_POSTS 200
struct late {
	uint64_t fired[LATE_POSTS + 1];
	int nfired, zero;
	uint64_t enq;
};
static struct late late_x;

static void on_late_hook(enum lsched_tp_event ev, const void *rec, void *arg)
{
	struct late *l = arg;

	if (ev == LSCHED_TP_EV_perform_fire_begin) {
		const struct lsched_tp_rec_perform_fire_begin *r = rec;

		l->zero += r->post == 0;
		if (l->nfired <= LATE_POSTS)
			l->fired[l->nfired++] = r->post;
	} else if (ev == LSCHED_TP_EV_perform_enqueue) {
		l->enq = ((const struct lsched_tp_rec_perform_enqueue *)rec)->post;
	}
}

static void install_late_hook(void *arg)
{
	(void)arg;
	assert_int_equal(lsched__trace_hook_set(on_late_hook, &late_x), 0);
}

static void count_run(void *arg)
{
	(*(int *)arg)++;
}
#endif

static void test_posts_taken_untraced_numbered_when_traced(void **state)
{
#ifdef LSCHED_TRACE_DISABLED
	(void)state;
#else
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(1));
	lsched_loop *loop = lsched_loop_new(clock);
	lsched_performer *p = lsched_performer_new(loop);
	uint64_t top = 0;
	int ran = 0;

	(void)state;
	assert_non_null(p);
	memset(&late_x, 0, sizeof(late_x));
	raise_all(0);
	assert_int_equal(lsched_perform(p, install_late_hook, NULL, 0), 0);
	for (int i = 0; i < LATE_POSTS; i++)
		assert_int_equal(lsched_perform(p, count_run, &ran, 0), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(ran, LATE_POSTS);
	/* The batch looks at the recording every 64 posts. */
	assert_true(late_x.nfired >= LATE_POSTS - 64);
	assert_int_equal(late_x.zero, 0);
	for (int i = 0; i < late_x.nfired; i++) {
		for (int j = i + 1; j < late_x.nfired; j++)
			assert_true(late_x.fired[i] != late_x.fired[j]);
		if (late_x.fired[i] > top)
			top = late_x.fired[i];
	}
	assert_int_equal(lsched_perform(p, count_run, &ran, 0), 0);
	assert_true(late_x.enq > top);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(ran, LATE_POSTS + 1);
	assert_int_equal(late_x.fired[late_x.nfired - 1], late_x.enq);
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_int_equal(lsched_performer_close(p), 0);
	lsched_performer_destroy(p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	lsched_clock_destroy(clock);
#endif
}

/* Work run at a close may destroy the loop (which does not run): the
 * traced path must not touch the loop after the work. */
static lsched_loop *doomed;

static void destroy_loop(void *arg)
{
	assert_int_equal(lsched_loop_destroy(doomed), 0);
	(*(int *)arg)++;
}

static void test_work_destroys_loop_traced(void **state)
{
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(1));
	lsched_performer *p;
	int ran = 0;

	doomed = lsched_loop_new(clock);
	p = lsched_performer_new(doomed);
	assert_non_null(p);
	raise_all(1);
	assert_int_equal(lsched_perform(p, destroy_loop, &ran, 0), 0);
	assert_int_equal(lsched_performer_close(p), 0);
	raise_all(0);
	assert_int_equal(ran, 1);
	lsched_performer_destroy(p);
	lsched_clock_destroy(clock);
}

/* ---- the durations and loop_check, on a virtual clock ------------------- */
/*
 * Through the hook, checks enabled: each run's task_fire_begin.wait and
 * task_fire_end.run, and the loop_check that follows it (the run, and the
 * ready task that has waited longest at its end).
 */
#ifndef LSCHED_TRACE_DISABLED
#define REC_MAX 64
struct rec {
	int nbegin, nend, ncheck, nperf, nname;
	struct lsched_tp_rec_task_name name[REC_MAX];
	struct lsched_tp_rec_task_fire_begin begin[REC_MAX];
	struct lsched_tp_rec_task_fire_end end[REC_MAX];
	struct lsched_tp_rec_loop_check check[REC_MAX];
	struct lsched_tp_rec_perform_fire_end perf[REC_MAX];
	/* per loop_check: the event just before it */
	enum lsched_tp_event before[REC_MAX];
	enum lsched_tp_event last;
	/* If set, each task_fire_end takes end_ns of this clock's time, as
	 * writing an event does on the real clock. */
	lsched_clock *end_clock;
	int64_t end_ns;
};

static void on_rec(enum lsched_tp_event ev, const void *r, void *arg)
{
	struct rec *x = arg;

	switch (ev) {
	case LSCHED_TP_EV_task_name:
		if (x->nname < REC_MAX)
			x->name[x->nname++] = *(const struct lsched_tp_rec_task_name *)r;
		break;
	case LSCHED_TP_EV_task_fire_begin:
		if (x->nbegin < REC_MAX)
			x->begin[x->nbegin++] = *(const struct lsched_tp_rec_task_fire_begin *)r;
		break;
	case LSCHED_TP_EV_task_fire_end:
		if (x->nend < REC_MAX)
			x->end[x->nend++] = *(const struct lsched_tp_rec_task_fire_end *)r;
		if (x->end_clock)
			lsched_clock_advance(x->end_clock, x->end_ns);
		break;
	case LSCHED_TP_EV_perform_fire_end:
		if (x->nperf < REC_MAX)
			x->perf[x->nperf++] = *(const struct lsched_tp_rec_perform_fire_end *)r;
		break;
	case LSCHED_TP_EV_loop_check:
		if (x->ncheck < REC_MAX) {
			x->before[x->ncheck] = x->last;
			x->check[x->ncheck++] = *(const struct lsched_tp_rec_loop_check *)r;
		}
		break;
	default:
		break;
	}
	x->last = ev;
}

/* One test at a time: the hook's record is the file's. */
static struct rec rec_x;

static int rec_setup(void **state)
{
	struct rec *x = &rec_x;

	memset(x, 0, sizeof(*x));
	if (vfix_setup(state))
		return -1;
	raise_all(0);
	if (lsched__trace_hook_set(on_rec, x) ||
	    lsched__trace_hook_checks(true))
		return -1;
	return 0;
}

static int rec_teardown(void **state)
{
	lsched__trace_hook_set(NULL, NULL);
	return vfix_teardown(state);
}

/* A callback that takes arg's ns of (virtual) time. */
struct take {
	lsched_clock *clock;
	int64_t ns;
	lsched_task *restart; /* started again inside, if set */
	lsched_task *move;    /* moved to REPAINT inside, if set */
};

static void on_take(lsched_task *t, void *arg)
{
	struct take *k = arg;

	if (k->restart)
		assert_int_equal(lsched_task_start(k->restart), 0);
	if (k->move)
		assert_int_equal(lsched_task_set_priority(k->move,
							  LSCHED_PRIO_REPAINT),
				 0);
	lsched_clock_advance(k->clock, k->ns);
}

static lsched_task *new_task(struct vfix *f, const char *name, int prio,
			     struct take *k)
{
	lsched_task *t = lsched_task_new(f->loop, name, LSCHED_TASK_IDLE, prio,
					 on_take, k);

	assert_non_null(t);
	return t;
}

/* A timer task started now (the loop's time: t0), ready ms later. */
static lsched_task *new_timer(struct vfix *f, const char *name, int prio,
			      int ms, struct take *k)
{
	lsched_task *t = lsched_task_new(f->loop, name, LSCHED_TASK_TIMER,
					 prio, on_take, k);

	assert_non_null(t);
	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(ms)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	return t;
}

static void assert_check(const struct lsched_tp_rec_loop_check *c,
			 const lsched_loop *loop, int kind, uint64_t id,
			 int prio, int64_t run, int64_t delay,
			 const lsched_task *waiting, int64_t wait, int64_t now)
{
	assert_int_equal(c->loop, (uint64_t)(uintptr_t)loop);
	assert_int_equal(c->kind, kind);
	assert_int_equal(c->id, id);
	assert_int_equal(c->prio, prio);
	assert_int_equal(c->run, run);
	assert_int_equal(c->delay, delay);
	assert_int_equal(c->waiting, waiting ? lsched_task_id(waiting) : 0);
	assert_int_equal(c->waiting_prio,
			 waiting ? lsched_task_priority(waiting) : -1);
	assert_int_equal(c->wait, wait);
	assert_int_equal(c->now, now);
}

/* What schema 2's task events leave out comes once per task and name
 * epoch (100 ms of loop time), before the task's first traced event: not
 * in every run, yet again after an epoch (a flight recorder's snapshot
 * may have overwritten the first) and after its parent changed. */
static void test_trace_task_name_once_per_epoch(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take k = { f->clock, 0, NULL, NULL };
	lsched_task *a = new_task(f, "a", LSCHED_PRIO_REPAINT, &k);
	lsched_task *b = new_task(f, "b", LSCHED_PRIO_LOWEST, &k);

	assert_int_equal(lsched_task_set_max_wait(a, LSCHED_MS(7)), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lsched_task_start(a), 0);
		assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	}
	assert_int_equal(x->nbegin, 3);
	assert_int_equal(x->nname, 1);
	assert_int_equal(x->name[0].loop, (uint64_t)(uintptr_t)f->loop);
	assert_int_equal(x->name[0].task, lsched_task_id(a));
	assert_string_equal(x->name[0].name, "a");
	assert_int_equal(x->name[0].kind, LSCHED_TASK_IDLE);
	assert_int_equal(x->name[0].prio, LSCHED_PRIO_REPAINT);
	assert_int_equal(x->name[0].max_wait, LSCHED_MS(7));
	assert_int_equal(x->name[0].parent, 0);

	/* Within the epoch: nothing new. At its end: named again. */
	lsched_clock_advance(f->clock, LSCHED_MS(99));
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->nname, 1);
	lsched_clock_advance(f->clock, LSCHED_MS(1));
	/* (a pass with nothing to run takes the loop's time) */
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(x->nname, 2);
	assert_int_equal(x->name[1].task, lsched_task_id(a));
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->nname, 2);

	/* A new parent: said before the child's next event. */
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(x->nname, 3);
	assert_int_equal(x->name[2].parent, 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_task_add_child(a, b), 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	/* a completed: b started as its child, then ran */
	assert_int_equal(x->nname, 4);
	assert_int_equal(x->name[3].task, lsched_task_id(b));
	assert_int_equal(x->name[3].parent, lsched_task_id(a));
	lsched_task_destroy(b);
	lsched_task_destroy(a);
}

/* (a) One task, nothing else ready: wait and run are its own, the check
 * names nobody. */
static void test_trace_fire_wait_run_and_check_alone(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take k = { f->clock, LSCHED_MS(3), NULL, NULL };
	lsched_task *t = new_task(f, "alone", LSCHED_PRIO_DEFAULT, &k);
	int64_t t0 = LSCHED_S(1);

	assert_int_equal(lsched_task_start(t), 0);
	lsched_clock_advance(f->clock, LSCHED_MS(5));
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	assert_int_equal(x->nbegin, 1);
	assert_int_equal(x->begin[0].ready_at, t0);
	assert_int_equal(x->begin[0].begin, t0 + LSCHED_MS(5));
	assert_int_equal(x->begin[0].wait, LSCHED_MS(5));
	assert_int_equal(x->nend, 1);
	assert_int_equal(x->end[0].end, t0 + LSCHED_MS(8));
	assert_int_equal(x->end[0].run, LSCHED_MS(3));
	assert_int_equal(x->ncheck, 1);
	assert_int_equal(x->before[0], LSCHED_TP_EV_task_fire_end);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(t),
		     LSCHED_PRIO_DEFAULT, LSCHED_MS(3), 0, NULL, 0,
		     t0 + LSCHED_MS(8));
	lsched_task_destroy(t);
}

/* A child becomes ready when its parent's run ends, at the loop's time
 * refreshed then; what the loop does before the child begins (here the
 * parent's end event, which takes 7 us as writing it would) is the
 * child's wait: its begin is read afresh, not the time cached at the
 * parent's end, which made a REPAINT child's wait always 0 ns. */
static void test_trace_child_wait_counts_from_its_parents_end(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kp = { f->clock, LSCHED_MS(2), NULL, NULL };
	struct take kc = { f->clock, LSCHED_MS(1), NULL, NULL };
	lsched_task *parent = new_task(f, "layout", LSCHED_PRIO_HIGH_IDLE, &kp);
	lsched_task *child = new_task(f, "repaint", LSCHED_PRIO_REPAINT, &kc);
	int64_t t0 = LSCHED_S(1);

	assert_int_equal(lsched_task_add_child(parent, child), 0);
	x->end_clock = f->clock;
	x->end_ns = LSCHED_US(7);
	assert_int_equal(lsched_task_start(parent), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	assert_int_equal(x->nbegin, 2);
	assert_int_equal(x->begin[1].task, lsched_task_id(child));
	/* Ready when the parent's run ended, before its end event. */
	assert_int_equal(x->begin[1].ready_at, t0 + LSCHED_MS(2));
	assert_int_equal(x->begin[1].begin, t0 + LSCHED_MS(2) + LSCHED_US(7));
	assert_int_equal(x->begin[1].wait, LSCHED_US(7));
	/* The run is measured from that begin. */
	assert_int_equal(x->end[1].run, LSCHED_MS(1));
	/* The loop_check of the child's run gives the same begin. */
	assert_int_equal(x->check[1].run, LSCHED_MS(1));
	lsched_task_destroy(child);
	lsched_task_destroy(parent);
}

/* (b) Two priorities ready behind the run: the check names the one made
 * ready first, whatever its priority. Timer tasks, so that each is ready
 * at a known time (its deadline). */
static void test_trace_check_names_the_longest_waiting(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kr = { f->clock, LSCHED_MS(4), NULL, NULL };
	struct take kb = { f->clock, LSCHED_MS(1), NULL, NULL };
	struct take kc = { f->clock, 0, NULL, NULL };
	lsched_task *c = new_timer(f, "lowest", LSCHED_PRIO_LOWEST, 1, &kc);
	lsched_task *b = new_timer(f, "repaint", LSCHED_PRIO_REPAINT, 2, &kb);
	lsched_task *r = new_timer(f, "highest", LSCHED_PRIO_HIGHEST, 3, &kr);
	int64_t t0 = LSCHED_S(1);

	lsched_clock_advance(f->clock, LSCHED_MS(3));
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	/* r: 4 ms, then b: 1 ms, then c: nothing ready after it. */
	assert_int_equal(x->ncheck, 3);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(r),
		     LSCHED_PRIO_HIGHEST, LSCHED_MS(4), 0, c, LSCHED_MS(6),
		     t0 + LSCHED_MS(7));
	assert_check(&x->check[1], f->loop, 0, lsched_task_id(b),
		     LSCHED_PRIO_REPAINT, LSCHED_MS(1), 0, c, LSCHED_MS(7),
		     t0 + LSCHED_MS(8));
	assert_check(&x->check[2], f->loop, 0, lsched_task_id(c),
		     LSCHED_PRIO_LOWEST, 0, 0, NULL, 0, t0 + LSCHED_MS(8));
	assert_int_equal(x->end[2].run, 0);
	assert_int_equal(x->begin[1].wait, LSCHED_MS(5));
	assert_int_equal(x->begin[2].wait, LSCHED_MS(7));
	lsched_task_destroy(r);
	lsched_task_destroy(b);
	lsched_task_destroy(c);
}

/* A queue out of ready-time order (a task moved to another priority keeps
 * its ready time, behind one made ready later): the check still names the
 * one that waited longest, not the queue's head. */
static void test_trace_check_sees_past_the_head(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take k0 = { f->clock, 0, NULL, NULL };
	lsched_task *moved = new_task(f, "moved", LSCHED_PRIO_LOWEST, &k0);
	lsched_task *head = new_timer(f, "head", LSCHED_PRIO_REPAINT, 1, &k0);
	struct take kr = { f->clock, LSCHED_MS(1), NULL, moved };
	lsched_task *r = new_timer(f, "highest", LSCHED_PRIO_HIGHEST, 2, &kr);
	int64_t t0 = LSCHED_S(1);

	lsched_task_start(moved);                  /* ready at t0 */
	lsched_clock_advance(f->clock, LSCHED_MS(2));
	/* r moves moved behind head (ready at t0 + 1 ms) */
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	/* r, then head (the queue's order), then moved. */
	assert_int_equal(x->ncheck, 3);
	assert_int_equal(x->check[1].id, lsched_task_id(head));
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(r),
		     LSCHED_PRIO_HIGHEST, LSCHED_MS(1), 0, moved,
		     LSCHED_MS(3), t0 + LSCHED_MS(3));
	assert_check(&x->check[1], f->loop, 0, lsched_task_id(head),
		     LSCHED_PRIO_REPAINT, 0, 0, moved, LSCHED_MS(3),
		     t0 + LSCHED_MS(3));
	assert_check(&x->check[2], f->loop, 0, lsched_task_id(moved),
		     LSCHED_PRIO_REPAINT, 0, 0, NULL, 0, t0 + LSCHED_MS(3));
	lsched_task_destroy(r);
	lsched_task_destroy(head);
	lsched_task_destroy(moved);
}

/* (c) A ready task started again keeps its place and ready time (issue
 * 14): its wait at the check runs from its first start. */
static void test_trace_check_restart_keeps_wait(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take k0 = { f->clock, 0, NULL, NULL };
	lsched_task *w = new_task(f, "waiter", LSCHED_PRIO_LOWEST, &k0);
	struct take kr = { f->clock, LSCHED_MS(3), w, NULL };
	lsched_task *r = new_timer(f, "restarter", LSCHED_PRIO_HIGHEST, 2,
				   &kr);
	int64_t t0 = LSCHED_S(1);

	lsched_task_start(w);                      /* ready at t0 */
	lsched_clock_advance(f->clock, LSCHED_MS(2));
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	assert_int_equal(x->ncheck, 2);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(r),
		     LSCHED_PRIO_HIGHEST, LSCHED_MS(3), 0, w, LSCHED_MS(5),
		     t0 + LSCHED_MS(5));
	assert_int_equal(x->begin[1].task, lsched_task_id(w));
	assert_int_equal(x->begin[1].wait, LSCHED_MS(5));
	lsched_task_destroy(r);
	lsched_task_destroy(w);
}

/* First-class posted work: a check of kind 1 after its perform_fire_end,
 * with its queue delay; work posted at a priority runs as a task (kind
 * 0, the task's id). */
static void on_work(void *arg)
{
	struct take *k = arg;

	lsched_clock_advance(k->clock, k->ns);
}

static void test_trace_check_after_posted_work(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kw = { f->clock, LSCHED_MS(1), NULL, NULL };
	struct take k0 = { f->clock, 0, NULL, NULL };
	lsched_task *idle = new_task(f, "idle", LSCHED_PRIO_LOWEST, &k0);
	lsched_performer *p = lsched_performer_new(f->loop);
	int64_t t0 = LSCHED_S(1);

	assert_non_null(p);
	lsched_task_start(idle);                   /* ready at t0 */
	assert_int_equal(lsched_perform(p, on_work, &kw, 0), 0);
	lsched_clock_advance(f->clock, LSCHED_MS(2));
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_DEFAULT, "at",
					   on_work, &kw, 0),
			 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	/* The post (2 ms in its queue, 1 ms of work), then the task made of
	 * the one at a priority, then idle. */
	assert_int_equal(x->ncheck, 3);
	assert_int_equal(x->nperf, 2);
	assert_int_equal(x->before[0], LSCHED_TP_EV_perform_fire_end);
	assert_check(&x->check[0], f->loop, 1, x->perf[0].post, -1,
		     LSCHED_MS(1), LSCHED_MS(2), idle, LSCHED_MS(3),
		     t0 + LSCHED_MS(3));
	/* The post at a priority: perform_fire_end inside its task's run,
	 * then the task's end and its check. */
	assert_int_equal(x->check[1].kind, 0);
	assert_int_equal(x->before[1], LSCHED_TP_EV_task_fire_end);
	assert_int_equal(x->check[1].id, x->perf[1].task);
	assert_int_equal(x->check[1].prio, LSCHED_PRIO_DEFAULT);
	assert_int_equal(x->check[1].run, LSCHED_MS(1));
	assert_int_equal(x->check[1].waiting, lsched_task_id(idle));
	assert_int_equal(x->check[1].wait, LSCHED_MS(4));
	assert_int_equal(x->check[2].id, lsched_task_id(idle));
	assert_int_equal(lsched_performer_close(p), 0);
	lsched_performer_destroy(p);
	lsched_task_destroy(idle);
}

/* Every way of running the loop ends a run with its check: RUN_ONCE, and
 * a host's lsched_loop_dispatch(). */
static void test_trace_check_in_every_run_mode(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take k = { f->clock, LSCHED_MS(2), NULL, NULL };
	lsched_task *t = new_task(f, "t", LSCHED_PRIO_DEFAULT, &k);
	lsched_performer *p = lsched_performer_new(f->loop);

	assert_non_null(p);
	lsched_task_start(t);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(x->ncheck, 1);
	assert_int_equal(x->check[0].id, lsched_task_id(t));
	assert_int_equal(x->check[0].run, LSCHED_MS(2));
	lsched_task_start(t);
	assert_int_equal(lsched_perform(p, on_work, &k, 0), 0);
	assert_int_equal(lsched_loop_dispatch(f->loop), 0);
	assert_int_equal(x->ncheck, 3);
	assert_int_equal(x->check[1].kind, 1);
	assert_int_equal(x->check[1].run, LSCHED_MS(2));
	assert_int_equal(x->check[1].waiting, lsched_task_id(t));
	assert_int_equal(x->check[2].kind, 0);
	assert_int_equal(x->check[2].id, lsched_task_id(t));
	assert_int_equal(x->check[2].now, x->end[1].end);
	assert_int_equal(lsched_performer_close(p), 0);
	lsched_performer_destroy(p);
	lsched_task_destroy(t);
}

/* A timer task due during a long run is not collected into its ready
 * queue until the run ends, but it is ready from its due time (its
 * collection gives it that ready time): the check after the run names it,
 * with its wait from its due time. The reviewer's case: a 10 ms DEFAULT
 * timer, one 250 ms idle run, nothing posted in between. */
static void test_trace_check_names_a_timer_due_during_the_run(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kl = { f->clock, LSCHED_MS(250), NULL, NULL };
	struct take k0 = { f->clock, 0, NULL, NULL };
	lsched_task *tick = new_timer(f, "tick", LSCHED_PRIO_DEFAULT, 10, &k0);
	lsched_task *idle = new_task(f, "long", LSCHED_PRIO_LOWEST, &kl);
	int64_t t0 = LSCHED_S(1);

	assert_int_equal(lsched_task_start(idle), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);

	assert_true(x->ncheck >= 1);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(idle),
		     LSCHED_PRIO_LOWEST, LSCHED_MS(250), 0, tick,
		     LSCHED_MS(240), t0 + LSCHED_MS(250));
	/* Its run, when it comes, waited from the same due time. */
	lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT);
	assert_int_equal(x->nbegin, 2);
	assert_int_equal(x->begin[1].task, lsched_task_id(tick));
	assert_int_equal(x->begin[1].ready_at, t0 + LSCHED_MS(10));
	assert_int_equal(x->begin[1].wait, LSCHED_MS(240));
	lsched_task_destroy(tick);
	lsched_task_destroy(idle);
}

/* A timer task not due yet at the run's end is not waiting: nobody is
 * named. One due at the run's end exactly is, with no wait. */
static void test_trace_check_skips_a_timer_not_due(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kl = { f->clock, LSCHED_MS(5), NULL, NULL };
	struct take k0 = { f->clock, 0, NULL, NULL };
	lsched_task *tick = new_timer(f, "tick", LSCHED_PRIO_DEFAULT, 10, &k0);
	lsched_task *idle = new_task(f, "short", LSCHED_PRIO_LOWEST, &kl);
	int64_t t0 = LSCHED_S(1);

	assert_int_equal(lsched_task_start(idle), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->ncheck, 1);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(idle),
		     LSCHED_PRIO_LOWEST, LSCHED_MS(5), 0, NULL, 0,
		     t0 + LSCHED_MS(5));
	/* Due at the end of the next run: named, 0 ns waited. */
	assert_int_equal(lsched_task_start(idle), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_check(&x->check[1], f->loop, 0, lsched_task_id(idle),
		     LSCHED_PRIO_LOWEST, LSCHED_MS(5), 0, tick, 0,
		     t0 + LSCHED_MS(10));
	lsched_task_destroy(tick);
	lsched_task_destroy(idle);
}

/* A ready task made ready before the due timer's due time has waited
 * longer: it is the one named. */
static void test_trace_check_prefers_a_ready_task_waiting_longer(
	void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kl = { f->clock, LSCHED_MS(250), NULL, NULL };
	struct take k0 = { f->clock, 0, NULL, NULL };
	lsched_task *tick = new_timer(f, "tick", LSCHED_PRIO_DEFAULT, 10, &k0);
	lsched_task *early = new_task(f, "early", LSCHED_PRIO_LOWEST, &k0);
	lsched_task *run = new_task(f, "long", LSCHED_PRIO_HIGHEST, &kl);
	int64_t t0 = LSCHED_S(1);

	assert_int_equal(lsched_task_start(early), 0);
	assert_int_equal(lsched_task_start(run), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_true(x->ncheck >= 1);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(run),
		     LSCHED_PRIO_HIGHEST, LSCHED_MS(250), 0, early,
		     LSCHED_MS(250), t0 + LSCHED_MS(250));
	lsched_task_destroy(tick);
	lsched_task_destroy(early);
	lsched_task_destroy(run);
}

/* A loop timer (not a task) due at the heap's top is passed over: the
 * check names tasks only. */
static void on_loop_timer(lsched_timer *tm, void *arg)
{
	(void)tm;
	(*(int *)arg)++;
}

static void test_trace_check_passes_over_a_loop_timer(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take kl = { f->clock, LSCHED_MS(250), NULL, NULL };
	int fired = 0;
	lsched_timer *tm = lsched_timer_new(f->loop, on_loop_timer, &fired);
	lsched_task *idle = new_task(f, "long", LSCHED_PRIO_LOWEST, &kl);
	int64_t t0 = LSCHED_S(1);

	assert_non_null(tm);
	assert_int_equal(lsched_timer_start(tm, LSCHED_MS(10), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_task_start(idle), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->ncheck, 1);
	assert_check(&x->check[0], f->loop, 0, lsched_task_id(idle),
		     LSCHED_PRIO_LOWEST, LSCHED_MS(250), 0, NULL, 0,
		     t0 + LSCHED_MS(250));
	lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT);
	assert_int_equal(fired, 1);
	lsched_timer_destroy(tm);
	lsched_task_destroy(idle);
}

/* Disabled, nothing reaches the hook: neither with a hook that did not ask
 * for it, nor after it asked and stopped. */
static void test_trace_check_not_emitted_when_disabled(void **state)
{
	struct vfix *f = *state;
	struct rec *x = &rec_x;
	struct take k = { f->clock, LSCHED_MS(1), NULL, NULL };
	lsched_task *t = new_task(f, "t", LSCHED_PRIO_DEFAULT, &k);
	lsched_performer *p = lsched_performer_new(f->loop);

	assert_non_null(p);
	assert_int_equal(lsched__trace_hook_checks(false), 0);
	lsched_task_start(t);
	assert_int_equal(lsched_perform(p, on_work, &k, 0), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->nend, 1);
	assert_int_equal(x->nperf, 1);
	assert_int_equal(x->ncheck, 0);
	/* A hook installed afresh does not get it either. */
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_int_equal(lsched__trace_hook_checks(true), -EINVAL);
	assert_int_equal(lsched__trace_hook_set(on_rec, x), 0);
	lsched_task_start(t);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->nend, 2);
	assert_int_equal(x->ncheck, 0);
	/* Asked for, it comes; asked off, it stops. */
	assert_int_equal(lsched__trace_hook_checks(true), 0);
	assert_int_equal(lsched__trace_hook_checks(true), 0);
	lsched_task_start(t);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->ncheck, 1);
	assert_int_equal(lsched__trace_hook_checks(false), 0);
	lsched_task_start(t);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x->nend, 4);
	assert_int_equal(x->ncheck, 1);
	/* The hook's count was its only one: the site is off again. */
	assert_int_equal(libsched_loop_check_semaphore, 0);
	assert_int_equal(lsched_performer_close(p), 0);
	lsched_performer_destroy(p);
	lsched_task_destroy(t);
}
#endif /* !LSCHED_TRACE_DISABLED */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_nobody_listening),
		cmocka_unit_test(test_every_site_enabled),
		cmocka_unit_test(test_work_destroys_loop_traced),
		cmocka_unit_test(test_hook_sees_the_events),
		cmocka_unit_test(test_posts_taken_untraced_numbered_when_traced),
#ifndef LSCHED_TRACE_DISABLED
#define REC_TEST(t) cmocka_unit_test_setup_teardown(t, rec_setup, rec_teardown)
		REC_TEST(test_trace_task_name_once_per_epoch),
		REC_TEST(test_trace_fire_wait_run_and_check_alone),
		REC_TEST(test_trace_child_wait_counts_from_its_parents_end),
		REC_TEST(test_trace_check_names_the_longest_waiting),
		REC_TEST(test_trace_check_sees_past_the_head),
		REC_TEST(test_trace_check_restart_keeps_wait),
		REC_TEST(test_trace_check_after_posted_work),
		REC_TEST(test_trace_check_in_every_run_mode),
		REC_TEST(test_trace_check_names_a_timer_due_during_the_run),
		REC_TEST(test_trace_check_skips_a_timer_not_due),
		REC_TEST(test_trace_check_prefers_a_ready_task_waiting_longer),
		REC_TEST(test_trace_check_passes_over_a_loop_timer),
		REC_TEST(test_trace_check_not_emitted_when_disabled),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
