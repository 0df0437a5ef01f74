/*
 * Loop timer tests (lsched_timer_*), all on the virtual clock.
 *
 * Rules under test (loop.h): a cycle reads the clock once; every timer whose
 * deadline is <= that time is moved to the due list (deadline order, then
 * start order) and fired; a timer re-armed during a callback goes back on
 * the heap and is only looked at in a later cycle. Recurring timers are
 * fixed rate: deadline k is t0 + timeout + k * period, however late a
 * firing was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#define WATCHDOG_S 30
#define MAX_FIRES 64

static lsched_loop *fix_loop(void **state)
{
	return ((struct vfix *)*state)->loop;
}

static lsched_clock *fix_clock(void **state)
{
	return ((struct vfix *)*state)->clock;
}

/* Makes the loop's cached now equal the clock and returns it. */
static int64_t sync_now(void **state)
{
	int64_t now = lsched_loop_update_now(fix_loop(state));
	assert_int_equal(now, lsched_clock_now(fix_clock(state)));
	return now;
}

static void set_clock(void **state, int64_t t)
{
	assert_int_equal(lsched_clock_set(fix_clock(state), t), 0);
}

static void nowait(lsched_loop *loop)
{
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
}

/* What a timer's callback saw, firing by firing. */
struct trec {
	lsched_timer *timer; /* the handle, to check the callback gets it */
	int n;
	bool wrong_timer;
	int64_t at[MAX_FIRES];       /* lsched_loop_now() at each firing */
	uint64_t missed[MAX_FIRES];  /* lsched_timer_missed() at each firing */
};

static void record_cb(lsched_timer *t, void *arg)
{
	struct trec *r = arg;
	if (t != r->timer)
		r->wrong_timer = true;
	if (r->n < MAX_FIRES) {
		r->at[r->n] = lsched_loop_now(lsched_timer_loop(t));
		r->missed[r->n] = lsched_timer_missed(t);
	}
	r->n++;
}

static lsched_timer *new_recorded(lsched_loop *loop, struct trec *r)
{
	memset(r, 0, sizeof(*r));
	r->timer = lsched_timer_new(loop, record_cb, r);
	assert_non_null(r->timer);
	return r->timer;
}

static void count_cb(lsched_timer *t, void *arg)
{
	(*(int *)arg)++;
}

/* ---- basics -------------------------------------------------------------- */

static void test_timer_new_is_stopped(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int n = 0;
	lsched_timer *t = lsched_timer_new(loop, count_cb, &n);
	assert_non_null(t);
	assert_ptr_equal(lsched_timer_loop(t), loop);
	assert_false(lsched_timer_is_active(t));
	assert_int_equal(lsched_timer_deadline(t), -ENOENT);
	assert_int_equal(lsched_timer_missed(t), 0);
	assert_int_equal(lsched_timer_stop(t), 0); /* no-op when stopped */
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(n, 0);
	lsched_timer_destroy(t);
}

static void test_timer_errors(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int n = 0;

	errno = 0;
	assert_null(lsched_timer_new(NULL, count_cb, &n));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(lsched_timer_new(loop, NULL, &n));
	assert_int_equal(errno, EINVAL);

	lsched_timer *t = lsched_timer_new(loop, count_cb, &n);
	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, -1, 0, LSCHED_CATCHUP_SKIP),
			 -EINVAL);
	assert_int_equal(lsched_timer_start(t, INT64_MIN, 0,
					    LSCHED_CATCHUP_SKIP),
			 -EINVAL);
	assert_int_equal(lsched_timer_start(t, 0, -1, LSCHED_CATCHUP_SKIP),
			 -EINVAL);
	assert_int_equal(lsched_timer_start(t, 0, 1, (enum lsched_catchup)2),
			 -EINVAL);
	assert_int_equal(lsched_timer_start(t, 0, 1, (enum lsched_catchup)-1),
			 -EINVAL);
	assert_false(lsched_timer_is_active(t));
	assert_int_equal(run_cycles(loop, 2), 2);
	assert_int_equal(n, 0);

	assert_int_equal(lsched_timer_start(NULL, 0, 0, LSCHED_CATCHUP_SKIP),
			 -EINVAL);
	assert_int_equal(lsched_timer_stop(NULL), -EINVAL);
	assert_int_equal(lsched_timer_deadline(NULL), -EINVAL);
	assert_false(lsched_timer_is_active(NULL));
	lsched_timer_destroy(NULL);
	lsched_timer_destroy(t);
}

static void test_timer_deadline_and_is_active(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int n = 0;
	int64_t t0 = sync_now(state);
	lsched_timer *t = lsched_timer_new(loop, count_cb, &n);
	assert_non_null(t);

	assert_int_equal(lsched_timer_start(t, LSCHED_MS(10), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_true(lsched_timer_is_active(t));
	assert_int_equal(lsched_timer_deadline(t), t0 + LSCHED_MS(10));

	assert_int_equal(lsched_timer_stop(t), 0);
	assert_false(lsched_timer_is_active(t));
	assert_int_equal(lsched_timer_deadline(t), -ENOENT);
	set_clock(state, t0 + LSCHED_MS(20));
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(n, 0);

	/* Restart counts from the cached now at the time of the call. */
	int64_t t1 = sync_now(state);
	assert_int_equal(lsched_timer_start(t, LSCHED_MS(10), LSCHED_MS(4),
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_true(lsched_timer_is_active(t));
	assert_int_equal(lsched_timer_deadline(t), t1 + LSCHED_MS(10));

	/* A recurring timer stays active after firing. */
	set_clock(state, t1 + LSCHED_MS(10));
	nowait(loop);
	assert_int_equal(n, 1);
	assert_true(lsched_timer_is_active(t));
	assert_int_equal(lsched_timer_deadline(t), t1 + LSCHED_MS(14));
	lsched_timer_destroy(t);
}

/* ---- one-shot -------------------------------------------------------------- */

static void test_timer_oneshot_fires_once_at_deadline(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	lsched_timer *t = new_recorded(loop, &r);
	const int64_t deadline = t0 + LSCHED_MS(10);

	assert_int_equal(lsched_timer_start(t, LSCHED_MS(10), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_timer_deadline(t), deadline);

	set_clock(state, deadline - 1);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(r.n, 0);
	assert_true(lsched_timer_is_active(t));

	set_clock(state, deadline);
	nowait(loop);
	assert_int_equal(r.n, 1);
	assert_false(r.wrong_timer);
	assert_int_equal(r.at[0], deadline);
	assert_false(lsched_timer_is_active(t));
	assert_int_equal(lsched_timer_deadline(t), -ENOENT);

	set_clock(state, deadline + LSCHED_S(10));
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(r.n, 1);
	lsched_timer_destroy(t);
}

static void test_timer_zero_timeout_fires_next_cycle(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	lsched_timer *t = new_recorded(loop, &r);

	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_timer_deadline(t), t0);
	nowait(loop);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], t0);
	lsched_timer_destroy(t);
}

/* ---- recurring -------------------------------------------------------------- */

static void test_timer_recurring_fixed_rate(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	const int64_t timeout = LSCHED_MS(10), period = LSCHED_MS(3);
	lsched_timer *t = new_recorded(loop, &r);

	assert_int_equal(lsched_timer_start(t, timeout, period,
					    LSCHED_CATCHUP_SKIP),
			 0);
	for (int k = 0; k < 6; k++) {
		int64_t dl = t0 + timeout + k * period;
		assert_int_equal(lsched_timer_deadline(t), dl);
		set_clock(state, dl - 1);
		nowait(loop);
		assert_int_equal(r.n, k);
		set_clock(state, dl);
		nowait(loop);
		assert_int_equal(r.n, k + 1);
		assert_int_equal(r.at[k], dl);
		assert_int_equal(r.missed[k], 0);
		/* Several cycles at the same time: no extra firing. */
		assert_int_equal(run_cycles(loop, 3), 3);
		assert_int_equal(r.n, k + 1);
	}
	assert_false(r.wrong_timer);
	lsched_timer_destroy(t);
}

/* A late firing does not shift later deadlines (fixed rate, no drift). */
static void test_timer_recurring_late_does_not_drift(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	const int64_t timeout = LSCHED_MS(10), period = LSCHED_MS(3);
	lsched_timer *t = new_recorded(loop, &r);

	for (int mode = LSCHED_CATCHUP_SKIP; mode <= LSCHED_CATCHUP_EACH;
	     mode++) {
		r.n = 0;
		t0 = sync_now(state);
		assert_int_equal(lsched_timer_start(t, timeout, period,
						    (enum lsched_catchup)mode),
				 0);
		for (int k = 0; k < 4; k++) {
			int64_t dl = t0 + timeout + k * period;
			/* Late by two thirds of a period each time. */
			set_clock(state, dl + LSCHED_MS(2));
			nowait(loop);
			assert_int_equal(r.n, k + 1);
			assert_int_equal(r.at[k], dl + LSCHED_MS(2));
			assert_int_equal(lsched_timer_deadline(t), dl + period);
		}
		assert_int_equal(lsched_timer_stop(t), 0);
	}
	lsched_timer_destroy(t);
}

/*
 * SKIP: timeout = period = 10 ms, clock jumps to t0 + 55 ms (5.5 periods).
 * Deadlines t0+10..t0+50 (five) have passed: it fires once, the four other
 * periods are skipped (missed == 4), and the next deadline is the first one
 * strictly after now, t0 + 60 ms.
 */
static void test_timer_catchup_skip(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	const int64_t p = LSCHED_MS(10);
	lsched_timer *t = new_recorded(loop, &r);

	assert_int_equal(lsched_timer_start(t, p, p, LSCHED_CATCHUP_SKIP), 0);
	set_clock(state, t0 + 55 * p / 10);
	nowait(loop);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.missed[0], 4);
	assert_int_equal(lsched_timer_missed(t), 4);
	assert_int_equal(lsched_timer_deadline(t), t0 + 6 * p);
	assert_true(lsched_timer_deadline(t) > lsched_clock_now(fix_clock(state)));

	/* The skipped periods are not fired later. */
	assert_int_equal(run_cycles(loop, 10), 10);
	assert_int_equal(r.n, 1);

	/* The next firing is on time: nothing missed before it. */
	set_clock(state, t0 + 6 * p);
	nowait(loop);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.missed[1], 0);
	assert_int_equal(lsched_timer_missed(t), 0);
	assert_int_equal(lsched_timer_deadline(t), t0 + 7 * p);
	lsched_timer_destroy(t);
}

/* SKIP with the clock exactly on a deadline: that deadline is the one
 * fired, and the next must be strictly after now. */
static void test_timer_catchup_skip_exact_multiple(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	const int64_t p = LSCHED_MS(10);
	lsched_timer *t = new_recorded(loop, &r);

	assert_int_equal(lsched_timer_start(t, p, p, LSCHED_CATCHUP_SKIP), 0);
	/* First firing on time. */
	set_clock(state, t0 + p);
	nowait(loop);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.missed[0], 0);

	/* Jump to t0 + 60 ms: deadlines 20..60 (five) due, four skipped. */
	set_clock(state, t0 + 6 * p);
	nowait(loop);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.missed[1], 4);
	assert_int_equal(lsched_timer_deadline(t), t0 + 7 * p);
	assert_int_equal(run_cycles(loop, 10), 10);
	assert_int_equal(r.n, 2);
	lsched_timer_destroy(t);
}

/*
 * EACH: timeout = period = 10 ms, clock jumps to t0 + 50 ms: five periods
 * elapsed. The timer fires once per cycle (re-armed into the past, it is
 * due again only in the next cycle) until it has caught up.
 */
static void test_timer_catchup_each(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct trec r;
	int64_t t0 = sync_now(state);
	const int64_t p = LSCHED_MS(10);
	lsched_timer *t = new_recorded(loop, &r);

	assert_int_equal(lsched_timer_start(t, p, p, LSCHED_CATCHUP_EACH), 0);
	set_clock(state, t0 + 5 * p);
	for (int i = 1; i <= 5; i++) {
		nowait(loop);
		assert_int_equal(r.n, i);
		assert_int_equal(r.at[i - 1], t0 + 5 * p);
	}
	assert_int_equal(lsched_timer_deadline(t), t0 + 6 * p);
	assert_int_equal(run_cycles(loop, 10), 10);
	assert_int_equal(r.n, 5);

	/* 5.5 more periods: five more deadlines (60..100). */
	set_clock(state, t0 + 5 * p + 55 * p / 10);
	assert_int_equal(run_cycles(loop, 10), 10);
	assert_int_equal(r.n, 10);
	assert_int_equal(lsched_timer_deadline(t), t0 + 11 * p);
	lsched_timer_destroy(t);
}

/* ---- ordering ------------------------------------------------------------------ */

struct order {
	struct evlog log;
	char name[8][4];
	lsched_timer *t[8];
};

static void order_cb(lsched_timer *t, void *arg)
{
	struct order *o = arg;
	for (int i = 0; i < 8; i++)
		if (o->t[i] == t)
			evlog_add(&o->log, o->name[i]);
}

static void order_init(struct order *o, lsched_loop *loop, int n)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < n; i++) {
		snprintf(o->name[i], sizeof(o->name[i]), "%u", (unsigned)i & 7u);
		o->t[i] = lsched_timer_new(loop, order_cb, o);
		assert_non_null(o->t[i]);
	}
}

static void order_free(struct order *o, int n)
{
	for (int i = 0; i < n; i++)
		lsched_timer_destroy(o->t[i]);
}

/* Equal deadlines fire in start order, not creation order. */
static void test_timer_equal_deadlines_fifo(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static const int start_order[5] = { 3, 1, 4, 0, 2 };
	struct order o;
	int64_t t0 = sync_now(state);
	order_init(&o, loop, 5);

	for (int i = 0; i < 5; i++)
		assert_int_equal(lsched_timer_start(o.t[start_order[i]],
						    LSCHED_MS(5), 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
	set_clock(state, t0 + LSCHED_MS(5));
	nowait(loop);
	assert_log(&o.log, "3 1 4 0 2");
	order_free(&o, 5);
}

static void test_timer_restart_moves_to_back(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct order o;
	int64_t t0 = sync_now(state);
	order_init(&o, loop, 3);

	for (int i = 0; i < 3; i++)
		assert_int_equal(lsched_timer_start(o.t[i], LSCHED_MS(5), 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
	/* Same cached now, same timeout: same deadline, but started last. */
	assert_int_equal(lsched_timer_start(o.t[0], LSCHED_MS(5), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_timer_deadline(o.t[0]), t0 + LSCHED_MS(5));
	set_clock(state, t0 + LSCHED_MS(5));
	nowait(loop);
	assert_log(&o.log, "1 2 0");
	order_free(&o, 3);
}

/* Different deadlines all due in one cycle fire in deadline order. */
static void test_timer_due_fire_in_deadline_order(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static const int timeout_ms[5] = { 40, 10, 30, 10, 20 };
	struct order o;
	int64_t t0 = sync_now(state);
	order_init(&o, loop, 5);

	for (int i = 0; i < 5; i++)
		assert_int_equal(lsched_timer_start(o.t[i],
						    LSCHED_MS(timeout_ms[i]),
						    0, LSCHED_CATCHUP_SKIP),
				 0);
	set_clock(state, t0 + LSCHED_MS(100));
	nowait(loop);
	assert_log(&o.log, "1 3 4 2 0");
	order_free(&o, 5);
}

/* Many timers with ties, some stopped and some restarted before firing:
 * the heap must yield deadline order, ties in start order. */
#define HEAP_N 300

struct heaprec {
	int n;
	int idx[HEAP_N];
	lsched_timer *t[HEAP_N];
	int64_t deadline[HEAP_N];
	uint64_t seq[HEAP_N]; /* our own start counter */
};

static void heap_cb(lsched_timer *t, void *arg)
{
	struct heaprec *h = arg;
	for (int i = 0; i < HEAP_N; i++)
		if (h->t[i] == t && h->n < HEAP_N)
			h->idx[h->n++] = i;
}

static void test_timer_heap_order_many(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct heaprec *h = calloc(1, sizeof(*h));
	bool stopped[HEAP_N] = { false };
	uint32_t rng = 12345;
	uint64_t seq = 0;
	int64_t t0 = sync_now(state);
	int expected = 0;
	assert_non_null(h);

	for (int i = 0; i < HEAP_N; i++) {
		h->t[i] = lsched_timer_new(loop, heap_cb, h);
		assert_non_null(h->t[i]);
		rng = rng * 1103515245u + 12345u;
		int64_t timeout = LSCHED_US((rng >> 16) % 40); /* many ties */
		assert_int_equal(lsched_timer_start(h->t[i], timeout, 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
		h->deadline[i] = t0 + timeout;
		h->seq[i] = seq++;
	}
	for (int i = 0; i < HEAP_N; i += 7) {
		assert_int_equal(lsched_timer_stop(h->t[i]), 0);
		stopped[i] = true;
	}
	for (int i = 3; i < HEAP_N; i += 11) {
		if (stopped[i])
			continue;
		assert_int_equal(lsched_timer_start(h->t[i], LSCHED_US(20), 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
		h->deadline[i] = t0 + LSCHED_US(20);
		h->seq[i] = seq++;
	}
	for (int i = 0; i < HEAP_N; i++)
		if (!stopped[i])
			expected++;

	/* First half of the window, then the rest. */
	set_clock(state, t0 + LSCHED_US(20));
	nowait(loop);
	int first = h->n;
	for (int k = 0; k < first; k++)
		assert_true(h->deadline[h->idx[k]] <= t0 + LSCHED_US(20));
	set_clock(state, t0 + LSCHED_US(40));
	nowait(loop);
	assert_int_equal(h->n, expected);
	for (int k = first; k < h->n; k++)
		assert_true(h->deadline[h->idx[k]] > t0 + LSCHED_US(20));

	for (int k = 0; k < h->n; k++) {
		int i = h->idx[k];
		assert_false(stopped[i]);
		if (k > 0) {
			int j = h->idx[k - 1];
			assert_true(h->deadline[j] < h->deadline[i] ||
				    (h->deadline[j] == h->deadline[i] &&
				     h->seq[j] < h->seq[i]));
		}
	}
	for (int i = 0; i < HEAP_N; i++)
		lsched_timer_destroy(h->t[i]);
	free(h);
}

/* Destroying active timers outside callbacks removes them from the heap
 * (including from its middle) without disturbing the others. */
static void test_timer_destroy_active(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct order o;
	int64_t t0 = sync_now(state);
	order_init(&o, loop, 6);

	for (int i = 0; i < 6; i++)
		assert_int_equal(lsched_timer_start(o.t[i],
						    LSCHED_MS(6 - i), 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
	lsched_timer_destroy(o.t[2]);
	lsched_timer_destroy(o.t[5]); /* the earliest: the heap's root */
	o.t[2] = o.t[5] = NULL;
	set_clock(state, t0 + LSCHED_MS(10));
	nowait(loop);
	assert_log(&o.log, "4 3 1 0");
	order_free(&o, 6);
}

/* lsched_loop_stop() from a timer callback returns at the end of that
 * callback: the other due timers wait for the next run, still in order. */
static void order_stop_cb(lsched_timer *t, void *arg)
{
	order_cb(t, arg);
	lsched_loop_stop(lsched_timer_loop(t));
}

static void test_timer_loop_stop_leaves_due_timers(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct order o;
	int64_t t0 = sync_now(state);
	order_init(&o, loop, 3);
	lsched_timer_destroy(o.t[0]);
	o.t[0] = lsched_timer_new(loop, order_stop_cb, &o);
	assert_non_null(o.t[0]);
	alarm(WATCHDOG_S);

	for (int i = 0; i < 3; i++)
		assert_int_equal(lsched_timer_start(o.t[i], LSCHED_MS(5), 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
	set_clock(state, t0 + LSCHED_MS(5));
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	assert_log(&o.log, "0");
	assert_true(lsched_timer_is_active(o.t[1]));
	assert_true(lsched_timer_is_active(o.t[2]));
	nowait(loop);
	assert_log(&o.log, "0 1 2");
	alarm(0);
	order_free(&o, 3);
}

/* ---- callbacks changing timers ----------------------------------------------- */

struct selfctl {
	lsched_timer *t;
	int n;
	int stop_at;         /* stop self at this firing */
	int restart_at;      /* restart self at this firing */
	int64_t restart_timeout;
	int64_t restart_period;
	bool destroy;        /* destroy self at the first firing */
	int rc;
	int64_t deadline_after_restart;
};

static void selfctl_cb(lsched_timer *t, void *arg)
{
	struct selfctl *s = arg;
	s->n++;
	if (s->n == s->stop_at)
		s->rc |= lsched_timer_stop(t);
	if (s->n == s->restart_at) {
		s->rc |= lsched_timer_start(t, s->restart_timeout,
					    s->restart_period,
					    LSCHED_CATCHUP_SKIP);
		s->deadline_after_restart = lsched_timer_deadline(t);
	}
	if (s->destroy) {
		lsched_timer_destroy(t);
		s->t = NULL;
	}
}

static void test_timer_stop_in_own_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct selfctl s = { .stop_at = 3 };
	int64_t t0 = sync_now(state);
	s.t = lsched_timer_new(loop, selfctl_cb, &s);
	assert_non_null(s.t);

	assert_int_equal(lsched_timer_start(s.t, LSCHED_MS(1), LSCHED_MS(1),
					    LSCHED_CATCHUP_EACH),
			 0);
	for (int k = 1; k <= 10; k++) {
		set_clock(state, t0 + LSCHED_MS(k));
		nowait(loop);
	}
	assert_int_equal(s.n, 3);
	assert_int_equal(s.rc, 0);
	assert_false(lsched_timer_is_active(s.t));
	assert_int_equal(lsched_timer_deadline(s.t), -ENOENT);
	lsched_timer_destroy(s.t);
}

/* A stopped EACH timer with periods still to catch up fires no more. */
static void test_timer_stop_in_own_callback_while_catching_up(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct selfctl s = { .stop_at = 2 };
	int64_t t0 = sync_now(state);
	s.t = lsched_timer_new(loop, selfctl_cb, &s);
	assert_non_null(s.t);

	assert_int_equal(lsched_timer_start(s.t, LSCHED_MS(1), LSCHED_MS(1),
					    LSCHED_CATCHUP_EACH),
			 0);
	set_clock(state, t0 + LSCHED_MS(10));
	assert_int_equal(run_cycles(loop, 20), 20);
	assert_int_equal(s.n, 2);
	assert_false(lsched_timer_is_active(s.t));
	lsched_timer_destroy(s.t);
}

static void test_timer_restart_in_own_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct selfctl s = { .restart_at = 1,
			     .restart_timeout = LSCHED_MS(25) };
	int64_t t0 = sync_now(state);
	s.t = lsched_timer_new(loop, selfctl_cb, &s);
	assert_non_null(s.t);

	assert_int_equal(lsched_timer_start(s.t, LSCHED_MS(10), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	set_clock(state, t0 + LSCHED_MS(10));
	nowait(loop);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rc, 0);
	/* Relative to the cycle's cached now. */
	assert_int_equal(s.deadline_after_restart, t0 + LSCHED_MS(35));
	assert_true(lsched_timer_is_active(s.t));
	assert_int_equal(lsched_timer_deadline(s.t), t0 + LSCHED_MS(35));

	set_clock(state, t0 + LSCHED_MS(35) - 1);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(s.n, 1);
	set_clock(state, t0 + LSCHED_MS(35));
	nowait(loop);
	assert_int_equal(s.n, 2);
	assert_false(lsched_timer_is_active(s.t));
	lsched_timer_destroy(s.t);
}

/* A recurring timer restarted in its callback takes the new timeout and
 * period; its old schedule is forgotten. */
static void test_timer_restart_recurring_in_own_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct selfctl s = { .restart_at = 1,
			     .restart_timeout = LSCHED_MS(5),
			     .restart_period = LSCHED_MS(20) };
	int64_t t0 = sync_now(state);
	s.t = lsched_timer_new(loop, selfctl_cb, &s);
	assert_non_null(s.t);

	assert_int_equal(lsched_timer_start(s.t, LSCHED_MS(10), LSCHED_MS(10),
					    LSCHED_CATCHUP_SKIP),
			 0);
	set_clock(state, t0 + LSCHED_MS(10));
	nowait(loop);
	assert_int_equal(s.n, 1);
	assert_int_equal(lsched_timer_deadline(s.t), t0 + LSCHED_MS(15));

	set_clock(state, t0 + LSCHED_MS(15));
	nowait(loop);
	assert_int_equal(s.n, 2);
	assert_int_equal(lsched_timer_deadline(s.t), t0 + LSCHED_MS(35));

	set_clock(state, t0 + LSCHED_MS(34));
	nowait(loop);
	assert_int_equal(s.n, 2);
	set_clock(state, t0 + LSCHED_MS(35));
	nowait(loop);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.rc, 0);
	lsched_timer_destroy(s.t);
}

static void test_timer_destroy_in_own_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int64_t t0 = sync_now(state);

	/* One-shot. */
	struct selfctl a = { .destroy = true };
	a.t = lsched_timer_new(loop, selfctl_cb, &a);
	assert_non_null(a.t);
	assert_int_equal(lsched_timer_start(a.t, LSCHED_MS(1), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);

	/* Recurring, with periods still to catch up when destroyed. */
	struct selfctl b = { .destroy = true };
	b.t = lsched_timer_new(loop, selfctl_cb, &b);
	assert_non_null(b.t);
	assert_int_equal(lsched_timer_start(b.t, LSCHED_MS(1), LSCHED_MS(1),
					    LSCHED_CATCHUP_EACH),
			 0);

	/* Restarted, then destroyed, in the same callback. */
	struct selfctl c = { .restart_at = 1, .destroy = true };
	c.t = lsched_timer_new(loop, selfctl_cb, &c);
	assert_non_null(c.t);
	assert_int_equal(lsched_timer_start(c.t, LSCHED_MS(1), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);

	set_clock(state, t0 + LSCHED_MS(10));
	assert_int_equal(run_cycles(loop, 10), 10);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 1);
	assert_int_equal(c.n, 1);
	assert_null(a.t);
	assert_null(b.t);
	assert_null(c.t);
}

/* A and B are due in the same cycle, A first; A's callback acts on B. */
enum other_action { OTHER_STOP, OTHER_DESTROY, OTHER_RESTART_ZERO };

struct pair {
	lsched_timer *a, *b;
	enum other_action action;
	int a_n, b_n;
	int rc;
};

static void pair_a_cb(lsched_timer *t, void *arg)
{
	struct pair *p = arg;
	p->a_n++;
	switch (p->action) {
	case OTHER_STOP:
		p->rc = lsched_timer_stop(p->b);
		break;
	case OTHER_DESTROY:
		lsched_timer_destroy(p->b);
		p->b = NULL;
		break;
	case OTHER_RESTART_ZERO:
		p->rc = lsched_timer_start(p->b, 0, 0, LSCHED_CATCHUP_SKIP);
		break;
	}
}

static void pair_b_cb(lsched_timer *t, void *arg)
{
	struct pair *p = arg;
	p->b_n++;
}

static void pair_run(void **state, enum other_action action,
		     int64_t a_timeout, int64_t b_timeout, struct pair *p)
{
	lsched_loop *loop = fix_loop(state);
	int64_t t0 = sync_now(state);
	memset(p, 0, sizeof(*p));
	p->action = action;
	p->a = lsched_timer_new(loop, pair_a_cb, p);
	p->b = lsched_timer_new(loop, pair_b_cb, p);
	assert_non_null(p->a);
	assert_non_null(p->b);
	assert_int_equal(lsched_timer_start(p->a, a_timeout, 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_timer_start(p->b, b_timeout, 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	set_clock(state, t0 + LSCHED_MS(100));
	nowait(loop);
}

static void test_timer_stop_other_due_same_cycle(void **state)
{
	struct pair p;
	/* Equal deadlines (A started first), then A's deadline earlier. */
	for (int v = 0; v < 2; v++) {
		pair_run(state, OTHER_STOP, LSCHED_MS(v ? 5 : 10),
			 LSCHED_MS(10), &p);
		assert_int_equal(p.a_n, 1);
		assert_int_equal(p.b_n, 0);
		assert_int_equal(p.rc, 0);
		assert_false(lsched_timer_is_active(p.b));
		assert_int_equal(run_cycles(fix_loop(state), 5), 5);
		assert_int_equal(p.b_n, 0);
		lsched_timer_destroy(p.a);
		lsched_timer_destroy(p.b);
	}
}

static void test_timer_destroy_other_due_same_cycle(void **state)
{
	struct pair p;
	for (int v = 0; v < 2; v++) {
		pair_run(state, OTHER_DESTROY, LSCHED_MS(v ? 5 : 10),
			 LSCHED_MS(10), &p);
		assert_int_equal(p.a_n, 1);
		assert_int_equal(p.b_n, 0);
		assert_null(p.b);
		assert_int_equal(run_cycles(fix_loop(state), 5), 5);
		assert_int_equal(p.b_n, 0);
		lsched_timer_destroy(p.a);
	}
}

/* B was due, A restarts it with a 0 timeout: it is re-armed, so it fires
 * in the next cycle, once. */
static void test_timer_restart_other_due_same_cycle(void **state)
{
	struct pair p;
	pair_run(state, OTHER_RESTART_ZERO, LSCHED_MS(5), LSCHED_MS(10), &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a_n, 1);
	assert_int_equal(p.b_n, 0);
	nowait(fix_loop(state));
	assert_int_equal(p.b_n, 1);
	assert_int_equal(run_cycles(fix_loop(state), 5), 5);
	assert_int_equal(p.b_n, 1);
	lsched_timer_destroy(p.a);
	lsched_timer_destroy(p.b);
}

/* ---- big batches of due timers ------------------------------------------
 * A cycle takes every due timer out of the heap at once and fires them
 * from an array (timer.c): on the per-pop path when few of the heap are
 * due, on the bulk path (indices written once at the end) when many are.
 * Callbacks change timers later in the same batch, and a stop leaves the
 * batch's rest for the next run. Like libuv's timer_order case (equal
 * timeouts fire in start order), at the scale of a batch. */
#define BATCH_N 320

enum batch_act { B_NONE, B_STOP, B_DESTROY, B_RESTART, B_LOOP_STOP,
		 B_MAKE };

struct batch {
	lsched_loop *loop;
	lsched_timer *t[BATCH_N];
	int64_t deadline[BATCH_N];
	uint64_t seq[BATCH_N]; /* our own start counter */
	bool live[BATCH_N];    /* expected to fire (once) */
	int fired[2 * BATCH_N];
	int n;
	uint64_t next_seq;
	/* Timer i's callback does act[i] to target[i] (B_RESTART: timeout
	 * restart_ns; B_MAKE: makes make_n timers it never starts). */
	enum batch_act act[BATCH_N];
	int target[BATCH_N];
	int64_t restart_ns;
	lsched_timer *made[BATCH_N];
	int make_n;
	int rc;
};

static struct batch *batch_sorted; /* for qsort's comparison */

static int batch_cmp(const void *a, const void *b)
{
	const struct batch *bt = batch_sorted;
	int i = *(const int *)a, j = *(const int *)b;
	if (bt->deadline[i] != bt->deadline[j])
		return bt->deadline[i] < bt->deadline[j] ? -1 : 1;
	return bt->seq[i] < bt->seq[j] ? -1 : bt->seq[i] > bt->seq[j];
}

static int batch_index(struct batch *b, lsched_timer *t)
{
	for (int i = 0; i < BATCH_N; i++)
		if (b->t[i] == t)
			return i;
	return -1;
}

static void batch_start(struct batch *b, int i, int64_t timeout)
{
	int rc = lsched_timer_start(b->t[i], timeout, 0, LSCHED_CATCHUP_SKIP);
	if (rc)
		b->rc = rc;
	b->deadline[i] = lsched_loop_now(b->loop) + timeout;
	b->seq[i] = b->next_seq++;
	b->live[i] = true;
}

static void batch_cb(lsched_timer *t, void *arg)
{
	struct batch *b = arg;
	int i = batch_index(b, t), j;
	assert_true(i >= 0);
	assert_true(b->n < 2 * BATCH_N);
	b->fired[b->n++] = i;
	b->live[i] = false;
	j = b->target[i];
	switch (b->act[i]) {
	case B_NONE:
		break;
	case B_STOP:
		if (lsched_timer_stop(b->t[j]))
			b->rc = -1;
		b->live[j] = false;
		break;
	case B_DESTROY:
		lsched_timer_destroy(b->t[j]);
		b->t[j] = NULL;
		b->live[j] = false;
		break;
	case B_RESTART:
		batch_start(b, j, b->restart_ns);
		break;
	case B_LOOP_STOP:
		lsched_loop_stop(b->loop);
		break;
	case B_MAKE:
		for (int k = 0; k < b->make_n; k++)
			if (!(b->made[k] = lsched_timer_new(b->loop, count_cb,
							    NULL)))
				b->rc = -1;
		break;
	}
}

static struct batch *batch_new(lsched_loop *loop)
{
	struct batch *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	b->loop = loop;
	for (int i = 0; i < BATCH_N; i++) {
		b->t[i] = lsched_timer_new(loop, batch_cb, b);
		assert_non_null(b->t[i]);
	}
	return b;
}

static void batch_free(struct batch *b)
{
	for (int i = 0; i < BATCH_N; i++)
		lsched_timer_destroy(b->t[i]);
	for (int k = 0; k < b->make_n; k++)
		lsched_timer_destroy(b->made[k]);
	free(b);
}

/* The timers expected to fire by time `by`, in (deadline, start) order. */
static int batch_expected(struct batch *b, int64_t by, int *out)
{
	int n = 0;
	for (int i = 0; i < BATCH_N; i++)
		if (b->live[i] && b->deadline[i] <= by)
			out[n++] = i;
	batch_sorted = b;
	qsort(out, (size_t)n, sizeof(*out), batch_cmp);
	return n;
}

/* Checks that the next firings (from *from) are exactly `want`. */
static void batch_check(struct batch *b, int *from, const int *want, int n)
{
	assert_int_equal(b->rc, 0);
	assert_int_equal(b->n - *from, n);
	for (int k = 0; k < n; k++)
		assert_int_equal(b->fired[*from + k], want[k]);
	*from = b->n;
}

/* ndue of the BATCH_N timers fall due (timeouts 0-39 us, many ties); the
 * rest later (100-139 us). The first due timer to fire stops, destroys
 * and restarts (100 us) three later timers of its batch, stops one timer
 * not yet due and restarts another for 1 us; the second stops one of the
 * batch and restarts one of the batch for 0. None that was stopped fires;
 * the restarted fire at their new deadlines, after the batch, in order. */
static void batch_changes(void **state, int ndue)
{
	lsched_loop *loop = fix_loop(state);
	struct batch *b = batch_new(loop);
	int want[BATCH_N], n, from = 0, first, second;
	uint32_t rng = 777;
	int64_t t0 = sync_now(state);

	for (int i = 0; i < BATCH_N; i++) {
		rng = rng * 1103515245u + 12345u;
		int64_t us = (int64_t)((rng >> 16) % 40);
		batch_start(b, i, LSCHED_US(i < ndue ? us : 100 + us));
	}
	assert_int_equal(batch_expected(b, t0 + LSCHED_US(39), want), ndue);
	first = want[0];
	second = want[1];
	b->act[first] = B_STOP;
	b->target[first] = want[ndue - 1]; /* the batch's last */
	b->act[second] = B_RESTART;
	b->target[second] = want[2];
	b->restart_ns = LSCHED_US(100);
	/* More changes from a third and fourth timer of the batch. */
	b->act[want[3]] = B_DESTROY;
	b->target[want[3]] = want[4];
	b->act[want[5]] = B_STOP;
	b->target[want[5]] = BATCH_N - 1; /* not due yet: in the heap */
	b->act[want[6]] = B_RESTART;
	b->target[want[6]] = want[ndue / 2];
	/* Timers made while the batch fires (the room for due timers grows). */
	b->act[want[7]] = B_MAKE;
	b->make_n = BATCH_N;

	set_clock(state, t0 + LSCHED_US(40));
	/* What fires now: the batch without the changed ones, as ordered
	 * before the callbacks ran (restarts change deadline and seq). */
	n = 0;
	for (int k = 0; k < ndue; k++) {
		int i = want[k];
		if (i != want[ndue - 1] && i != want[2] && i != want[4] &&
		    i != want[ndue / 2])
			want[n++] = i;
	}
	nowait(loop);
	batch_check(b, &from, want, n);
	assert_false(b->live[first]);

	/* Then the rest: the late timers and the two restarted at now+100us
	 * (after the late ones with the same deadline: started later). */
	set_clock(state, t0 + LSCHED_US(200));
	n = batch_expected(b, t0 + LSCHED_US(200), want);
	assert_int_equal(n, BATCH_N - ndue - 1 + 2);
	nowait(loop);
	batch_check(b, &from, want, n);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(b->n, from);
	batch_free(b);
}

/* Most of the heap due: the bulk path. */
static void test_timer_batch_bulk_callbacks_change_batch(void **state)
{
	batch_changes(state, BATCH_N - BATCH_N / 5);
}

/* A few of a big heap due: the per-pop path. */
static void test_timer_batch_few_callbacks_change_batch(void **state)
{
	batch_changes(state, BATCH_N / 10);
}

/* After a bulk take that leaves some timers in the heap, those can still
 * be stopped and restarted (their heap indices were written back). */
static void test_timer_batch_bulk_leaves_heap_usable(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct batch *b = batch_new(loop);
	int want[BATCH_N], n, from = 0;
	int64_t t0 = sync_now(state);

	for (int i = 0; i < BATCH_N; i++)
		batch_start(b, i, LSCHED_US(i % 3 ? i % 7 : 50 + i % 11));
	set_clock(state, t0 + LSCHED_US(10));
	n = batch_expected(b, t0 + LSCHED_US(10), want);
	assert_true(n > BATCH_N / 2);
	nowait(loop);
	batch_check(b, &from, want, n);
	for (int i = 0; i < BATCH_N; i += 3) {
		if (i % 2) {
			assert_int_equal(lsched_timer_stop(b->t[i]), 0);
			b->live[i] = false;
		} else {
			batch_start(b, i, LSCHED_US(30 - i % 5));
		}
	}
	set_clock(state, t0 + LSCHED_US(100));
	n = batch_expected(b, t0 + LSCHED_US(100), want);
	nowait(loop);
	batch_check(b, &from, want, n);
	batch_free(b);
}

/* lsched_loop_stop() in the middle of a big batch; before the next run,
 * two thirds of the batch's rest are restarted (5 us), so the next batch
 * is larger than the room left behind the rest (the rest is moved up):
 * the rest fires first, in order, then the restarted ones in start order;
 * one of the rest, stopped by the first to fire, does not. */
static void test_timer_batch_stop_and_next_batch(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct batch *b = batch_new(loop);
	int want[BATCH_N], n, from = 0;
	int64_t t0 = sync_now(state);

	for (int i = 0; i < BATCH_N; i++)
		batch_start(b, i, LSCHED_US(i % 13));
	n = batch_expected(b, t0 + LSCHED_US(12), want);
	assert_int_equal(n, BATCH_N);
	b->act[want[0]] = B_LOOP_STOP;
	set_clock(state, t0 + LSCHED_US(12));
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	batch_check(b, &from, want, 1);
	for (int k = 1; k < n; k++) {
		assert_true(lsched_timer_is_active(b->t[want[k]]));
		if (k % 3)
			batch_start(b, want[k], LSCHED_US(5));
	}
	/* The first of the rest to fire stops the last of the rest (a slot
	 * the room's move changed). */
	b->act[want[3]] = B_STOP;
	b->target[want[3]] = want[(n - 1) / 3 * 3];
	b->live[want[(n - 1) / 3 * 3]] = false;
	set_clock(state, t0 + LSCHED_US(100));
	n = batch_expected(b, t0 + LSCHED_US(100), want);
	assert_int_equal(n, BATCH_N - 2);
	nowait(loop);
	alarm(0);
	batch_check(b, &from, want, n);
	batch_free(b);
}

/* A callback starts a stopped timer with a 0 timeout: not in this cycle,
 * in the next one. */
struct starter {
	lsched_timer *other;
	int n;
	int other_n;
	int rc;
};

static void starter_cb(lsched_timer *t, void *arg)
{
	struct starter *s = arg;
	s->n++;
	s->rc = lsched_timer_start(s->other, 0, 0, LSCHED_CATCHUP_SKIP);
}

static void test_timer_start_zero_in_callback_fires_next_cycle(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct starter s = { 0 };
	int64_t t0 = sync_now(state);
	lsched_timer *a = lsched_timer_new(loop, starter_cb, &s);
	s.other = lsched_timer_new(loop, count_cb, &s.other_n);
	assert_non_null(a);
	assert_non_null(s.other);

	assert_int_equal(lsched_timer_start(a, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	nowait(loop);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.other_n, 0);
	assert_true(lsched_timer_is_active(s.other));
	assert_int_equal(lsched_timer_deadline(s.other), t0);

	nowait(loop);
	assert_int_equal(s.other_n, 1);
	assert_int_equal(s.n, 1);
	lsched_timer_destroy(a);
	lsched_timer_destroy(s.other);
}

/* A timer restarting itself with 0 fires once per cycle, never twice in
 * one (else a NOWAIT run would never end: the watchdog catches that). */
struct again {
	int n;
};

static void again_cb(lsched_timer *t, void *arg)
{
	struct again *g = arg;
	g->n++;
	lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP);
}

static void test_timer_restart_zero_in_own_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct again g = { 0 };
	lsched_timer *t = lsched_timer_new(loop, again_cb, &g);
	assert_non_null(t);
	alarm(WATCHDOG_S);

	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	for (int i = 1; i <= 5; i++) {
		nowait(loop);
		assert_int_equal(g.n, i);
	}
	alarm(0);
	lsched_timer_destroy(t);
}

/* ---- auto-advance ---------------------------------------------------------------- */

struct jumper {
	lsched_clock *clock;
	struct evlog log;
	int64_t t0;
};

static void jump_a_cb(lsched_timer *t, void *arg)
{
	struct jumper *j = arg;
	char buf[32];
	snprintf(buf, sizeof(buf), "a@%lld",
		 (long long)((lsched_clock_now(j->clock) - j->t0) / 1000000));
	evlog_add(&j->log, buf);
}

static void jump_b_cb(lsched_timer *t, void *arg)
{
	struct jumper *j = arg;
	char buf[32];
	snprintf(buf, sizeof(buf), "b@%lld",
		 (long long)((lsched_clock_now(j->clock) - j->t0) / 1000000));
	evlog_add(&j->log, buf);
	lsched_loop_stop(lsched_timer_loop(t));
}

/* With auto-advance, the loop sets the clock to each deadline in turn
 * instead of sleeping. */
static void test_timer_auto_advance_jumps_to_deadlines(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct jumper j = { .clock = fix_clock(state) };
	j.t0 = sync_now(state);
	lsched_timer *a = lsched_timer_new(loop, jump_a_cb, &j);
	lsched_timer *b = lsched_timer_new(loop, jump_b_cb, &j);
	assert_non_null(a);
	assert_non_null(b);
	alarm(WATCHDOG_S);

	assert_int_equal(lsched_clock_set_auto_advance(j.clock, true), 0);
	assert_int_equal(lsched_timer_start(a, LSCHED_MS(10), LSCHED_MS(7),
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_timer_start(b, LSCHED_MS(30), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	assert_log(&j.log, "a@10 a@17 a@24 b@30");
	assert_int_equal(lsched_clock_now(j.clock), j.t0 + LSCHED_MS(30));
	alarm(0);
	lsched_timer_destroy(a);
	lsched_timer_destroy(b);
}

/* ---- huge durations ------------------------------------------------------ */

/* A timeout so large that now + timeout does not fit in int64_t means
 * "never" (in practice): the deadline must not wrap to a time in the past
 * and fire at once, nor be reported as a negative (error-looking) value. */
static void test_timer_huge_timeout_never_due(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int n = 0;
	int64_t t0 = sync_now(state);
	lsched_timer *t = lsched_timer_new(loop, count_cb, &n);
	assert_non_null(t);

	assert_int_equal(lsched_timer_start(t, INT64_MAX, 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_true(lsched_timer_deadline(t) > t0);
	set_clock(state, t0 + LSCHED_S(3600));
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(n, 0);
	assert_true(lsched_timer_is_active(t));
	lsched_timer_destroy(t);
}

/* A recurring timer whose next deadline (deadline + period) does not fit in
 * int64_t fires once, not on every cycle, in both catch-up modes. */
static void test_timer_huge_period_fires_once(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static const enum lsched_catchup modes[] = { LSCHED_CATCHUP_SKIP,
						     LSCHED_CATCHUP_EACH };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int n = 0;
		int64_t t0 = sync_now(state);
		lsched_timer *t = lsched_timer_new(loop, count_cb, &n);
		assert_non_null(t);

		assert_int_equal(lsched_timer_start(t, 0, INT64_MAX, modes[i]),
				 0);
		assert_int_equal(run_cycles(loop, 5), 5);
		assert_int_equal(n, 1);
		assert_true(lsched_timer_is_active(t));
		assert_true(lsched_timer_deadline(t) > t0);
		lsched_timer_destroy(t);
	}
}

/* ---- callback setter ------------------------------------------------------ */

struct swap {
	int old_calls, new_calls;
	int rc;
};

static void timer_nop_cb(lsched_timer *t, void *arg)
{
	(void)t;
	(void)arg;
}

static void swap_new_cb(lsched_timer *t, void *arg)
{
	(void)t;
	((struct swap *)arg)->new_calls++;
}

static void swap_old_cb(lsched_timer *t, void *arg)
{
	struct swap *s = arg;

	s->old_calls++;
	s->rc = lsched_timer_set_callback(t, swap_new_cb, s);
}

/* rtmfp-cpp arms a timer and assigns its action later: set while armed,
 * or inside its own callback, a callback takes effect from the next
 * firing. */
static void test_timer_set_callback_while_armed(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct swap s = { 0 };
	lsched_timer *t = lsched_timer_new(loop, timer_nop_cb, NULL);

	assert_non_null(t);
	sync_now(state);
	assert_int_equal(lsched_timer_start(t, LSCHED_MS(1), LSCHED_MS(1),
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_timer_set_callback(t, swap_old_cb, &s), 0);
	assert_int_equal(lsched_timer_set_callback(t, NULL, &s), -EINVAL);
	assert_int_equal(lsched_timer_set_callback(NULL, swap_old_cb, &s),
			 -EINVAL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lsched_clock_advance(fix_clock(state),
						      LSCHED_MS(1)),
				 0);
		nowait(loop);
	}
	assert_int_equal(s.old_calls, 1);
	assert_int_equal(s.new_calls, 2);
	assert_int_equal(s.rc, 0);
	assert_true(lsched_timer_is_active(t));
	lsched_timer_destroy(t);
}

/* ---- no period floor ------------------------------------------------------ */

struct tiny {
	lsched_clock *clock;
	lsched_loop *loop;
	int fires;
	int task_runs;
	int reads;
	int stop_at;
};

/* A 10 ns period, always behind: each firing also moves the clock 1 us
 * (100 periods), and CATCHUP_EACH owes one call per period. */
static void tiny_timer_cb(lsched_timer *t, void *arg)
{
	struct tiny *k = arg;

	(void)t;
	k->fires++;
	lsched_clock_advance(k->clock, LSCHED_US(1));
	if (k->fires > 100000)
		lsched_loop_stop(k->loop); /* starved: end the test */
}

static void tiny_task_cb(lsched_task *task, void *arg)
{
	struct tiny *k = arg;

	(void)task;
	if (++k->task_runs == k->stop_at)
		lsched_loop_stop(k->loop);
}

static void tiny_fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	char b;

	(void)loop;
	(void)revents;
	if (read(fd, &b, 1) == 1)
		((struct tiny *)arg)->reads++;
}

/* Why no floor is needed (loop.h): a timer fires at most once per timer
 * phase, and every cycle also polls descriptors, runs tasks and checks
 * for a stop. A 10 ns repeating timer costs one call per cycle, and a
 * task, input and a stop all get through. */
static void test_timer_tiny_period_starves_nothing(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct tiny k = { .clock = fix_clock(state), .loop = loop,
			  .stop_at = 40 };
	static const enum lsched_catchup modes[] = { LSCHED_CATCHUP_EACH,
						     LSCHED_CATCHUP_SKIP };
	int p[2];

	alarm(WATCHDOG_S);
	assert_int_equal(pipe(p), 0);
	for (size_t m = 0; m < 2; m++) {
		lsched_timer *t = lsched_timer_new(loop, tiny_timer_cb, &k);
		lsched_task *task = lsched_task_new(loop, "work",
						    LSCHED_TASK_AUTO_IDLE,
						    LSCHED_PRIO_LOWEST,
						    tiny_task_cb, &k);

		assert_non_null(t);
		assert_non_null(task);
		k.fires = k.task_runs = k.reads = 0;
		assert_int_equal(write(p[1], "abc", 3), 3);
		assert_int_equal(lsched_loop_watch_fd(loop, p[0],
						      LSCHED_FD_READ,
						      tiny_fd_cb, &k),
				 0);
		sync_now(state);
		assert_int_equal(lsched_timer_start(t, 0, 10, modes[m]), 0);
		assert_int_equal(lsched_task_start(task), 0);
		assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
		/* One firing per cycle, one task run per cycle, then the
		 * stop: returned. */
		assert_int_equal(k.task_runs, 40);
		assert_in_range(k.fires, 40, 41);
		assert_int_equal(k.reads, 3);
		assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
		lsched_task_destroy(task);
		lsched_timer_destroy(t);
	}
	alarm(0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
#define VT(f) cmocka_unit_test_setup_teardown(f, vfix_setup, vfix_teardown)
	const struct CMUnitTest tests[] = {
		VT(test_timer_new_is_stopped),
		VT(test_timer_set_callback_while_armed),
		VT(test_timer_tiny_period_starves_nothing),
		VT(test_timer_errors),
		VT(test_timer_deadline_and_is_active),
		VT(test_timer_oneshot_fires_once_at_deadline),
		VT(test_timer_zero_timeout_fires_next_cycle),
		VT(test_timer_recurring_fixed_rate),
		VT(test_timer_recurring_late_does_not_drift),
		VT(test_timer_catchup_skip),
		VT(test_timer_catchup_skip_exact_multiple),
		VT(test_timer_catchup_each),
		VT(test_timer_equal_deadlines_fifo),
		VT(test_timer_restart_moves_to_back),
		VT(test_timer_due_fire_in_deadline_order),
		VT(test_timer_heap_order_many),
		VT(test_timer_destroy_active),
		VT(test_timer_loop_stop_leaves_due_timers),
		VT(test_timer_stop_in_own_callback),
		VT(test_timer_stop_in_own_callback_while_catching_up),
		VT(test_timer_restart_in_own_callback),
		VT(test_timer_restart_recurring_in_own_callback),
		VT(test_timer_destroy_in_own_callback),
		VT(test_timer_stop_other_due_same_cycle),
		VT(test_timer_destroy_other_due_same_cycle),
		VT(test_timer_restart_other_due_same_cycle),
		VT(test_timer_batch_bulk_callbacks_change_batch),
		VT(test_timer_batch_few_callbacks_change_batch),
		VT(test_timer_batch_bulk_leaves_heap_usable),
		VT(test_timer_batch_stop_and_next_batch),
		VT(test_timer_start_zero_in_callback_fires_next_cycle),
		VT(test_timer_restart_zero_in_own_callback),
		VT(test_timer_auto_advance_jumps_to_deadlines),
		VT(test_timer_huge_timeout_never_due),
		VT(test_timer_huge_period_fires_once),
	};
#undef VT
	return cmocka_run_group_tests(tests, NULL, NULL);
}
