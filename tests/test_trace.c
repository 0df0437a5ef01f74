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
	int bad;
	pthread_mutex_t lock;
};

static void on_hook(enum lsched_tp_event ev, const void *rec, void *arg)
{
	struct hooked *h = arg;

	pthread_mutex_lock(&h->lock);
	h->per[ev]++;
	switch (ev) {
	case LSCHED_TP_EV_task_fire_begin: {
		const struct lsched_tp_rec_task_fire_begin *r = rec;

		h->bad += !r->name || !*r->name || r->prio < 0 || r->prio > 7 ||
			  r->begin < r->ready_at;
		h->running = r->task;
		break;
	}
	case LSCHED_TP_EV_task_fire_end: {
		const struct lsched_tp_rec_task_fire_end *r = rec;

		h->bad += r->task != h->running || r->end < r->begin;
		h->running = 0;
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
	/* Removed: nothing more reaches it. */
	memset(h.per, 0, sizeof(h.per));
	c = run_workload();
	assert_counts(&c);
	for (int e = 0; e < LSCHED_TP_EV_COUNT; e++)
		assert_int_equal(h.per[e], 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_nobody_listening),
		cmocka_unit_test(test_every_site_enabled),
		cmocka_unit_test(test_work_destroys_loop_traced),
		cmocka_unit_test(test_hook_sees_the_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
