/*
 * libsched-glib tests: a GLib main loop drives a libsched loop, and what
 * runs, in which order and how many times, is what lsched_loop_run() runs.
 *
 * Each scenario is built twice on a fresh virtual clock (auto-advance):
 * once run natively (lsched_loop_run(RUN_DEFAULT) until its stop), once
 * hosted (a GSource in a GMainContext, g_main_loop_run() until the
 * source's stop callback quits it); the two logs must be equal, and the
 * counts are checked against what the scenario sets up. The scenario
 * mixes tasks at several priorities, loop timers, timer tasks, posts from
 * another thread, a stopwatch task that yields and a stop. Posts from the
 * other thread are made while a task waits for them (a handshake), so
 * where they land in the order is fixed, natively and hosted alike.
 * (libuv's test-embed.c checks that an embedded loop's timer fires once
 * when its host polls uv_backend_fd() with uv_backend_timeout(); here the
 * whole scenario is checked against the native loop instead.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>

#include <libsched/glib-source.h>

#include "testutil.h"

/* A hung test (a lost wake-up) fails the binary instead of hanging it. */
static void watchdog_arm(const char *test)
{
	(void)test;
	alarm(60);
}

#define LOGN 512

struct world {
	lsched_clock *clock;
	lsched_loop *loop;
	lsched_performer *perf;
	pthread_t poster;
	sem_t go, done;
	int rounds;        /* handshakes the poster serves */
	int64_t t0;
	/* the log: "name@ms" */
	int n;
	char ev[LOGN][64];
	/* counts */
	int post_errors; /* of the poster thread: checked by the main one */
	int ticks, lt_fires, posts, sw_units, sw_runs, sw_yields;
	lsched_task *tick, *hand, *sw, *end;
	lsched_timer *lt;
};

static void logf_(struct world *w, const char *name)
{
	int64_t ms = (lsched_loop_now(w->loop) - w->t0) / 1000000;

	if (w->n < LOGN)
		snprintf(w->ev[w->n++], sizeof(w->ev[0]), "%s@%lld", name,
			 (long long)ms);
}

static void idle_cb(lsched_task *t, void *arg)
{
	logf_(arg, lsched_task_name(t));
}

static void tick_cb(lsched_task *t, void *arg)
{
	struct world *w = arg;

	logf_(w, "tick");
	if (++w->ticks == 5)
		lsched_task_stop(t);
}

static void lt_cb(lsched_timer *timer, void *arg)
{
	struct world *w = arg;

	logf_(w, "lt");
	if (++w->lt_fires == 3)
		lsched_timer_stop(timer);
}

static void post_cb(void *arg)
{
	struct world *w = arg;

	w->posts++;
	logf_(w, "post");
}

static void post_task_cb(void *arg)
{
	struct world *w = arg;

	w->posts++;
	logf_(w, "post-task");
}

/* The other thread: each round, three plain posts and one at a priority,
 * made while the loop's "hand" task waits for them. */
static void *poster_main(void *arg)
{
	struct world *w = arg;

	for (int r = 0; r < 2; r++) {
		sem_wait(&w->go);
		for (int i = 0; i < 3; i++)
			if (lsched_perform(w->perf, post_cb, w, 0) != 0)
				w->post_errors++;
		if (lsched_perform_at(w->perf, LSCHED_PRIO_HIGH_IDLE,
				      "post-task", post_task_cb, w, 0) != 0)
			w->post_errors++;
		sem_post(&w->done);
	}
	return NULL;
}

static void hand_cb(lsched_task *t, void *arg)
{
	struct world *w = arg;

	logf_(w, "hand");
	sem_post(&w->go);
	sem_wait(&w->done);
	if (--w->rounds == 0)
		lsched_task_stop(t);
}

/* A long job of 30 units of 4 ms each, in 10 ms slices: it yields to
 * higher priorities and to the slice, and starts itself again. */
static void sw_cb(lsched_task *t, void *arg)
{
	struct world *w = arg;
	struct lsched_stopwatch sw;
	char name[32];
	int done = 0;

	lsched_stopwatch_init(&sw, w->loop);
	lsched_stopwatch_set_slice(&sw, LSCHED_MS(10));
	w->sw_runs++;
	while (w->sw_units < 30) {
		lsched_clock_advance(w->clock, LSCHED_MS(4));
		w->sw_units++;
		done++;
		if (!lsched_stopwatch_continue(&sw)) {
			w->sw_yields++;
			break;
		}
	}
	snprintf(name, sizeof(name), "sw+%d", done);
	logf_(w, name);
	if (w->sw_units < 30)
		lsched_task_start(t);
}

static void end_cb(lsched_task *t, void *arg)
{
	struct world *w = arg;

	logf_(w, "end");
	assert_int_equal(lsched_loop_stop(w->loop), 0);
}

static lsched_task *task(struct world *w, const char *name, int kind, int prio,
			 lsched_task_cb cb, int64_t timeout)
{
	lsched_task *t = lsched_task_new(w->loop, name, kind, prio, cb, w);

	assert_non_null(t);
	if (timeout >= 0)
		assert_int_equal(lsched_task_set_timeout(t, timeout), 0);
	assert_int_equal(lsched_task_start(t), 0);
	return t;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->clock = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(w->clock);
	assert_int_equal(lsched_clock_set_auto_advance(w->clock, true), 0);
	w->loop = lsched_loop_new(w->clock);
	assert_non_null(w->loop);
	w->perf = lsched_performer_new(w->loop);
	assert_non_null(w->perf);
	w->t0 = lsched_loop_now(w->loop);
	w->rounds = 2;
	sem_init(&w->go, 0, 0);
	sem_init(&w->done, 0, 0);
	assert_int_equal(pthread_create(&w->poster, NULL, poster_main, w), 0);

	task(w, "lowest", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST, idle_cb, -1);
	task(w, "idle", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT_IDLE, idle_cb, -1);
	task(w, "highest", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGHEST, idle_cb, -1);
	task(w, "repaint", LSCHED_TASK_IDLE, LSCHED_PRIO_REPAINT, idle_cb, -1);
	task(w, "t7", LSCHED_TASK_TIMER, LSCHED_PRIO_RESIZE, idle_cb,
	     LSCHED_MS(7));
	w->tick = task(w, "tick", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_DEFAULT,
		       tick_cb, LSCHED_MS(10));
	w->hand = task(w, "hand", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_DEFAULT,
		       hand_cb, LSCHED_MS(12));
	w->sw = task(w, "sw", LSCHED_TASK_IDLE, LSCHED_PRIO_POST_PAINT, sw_cb,
		     -1);
	w->end = task(w, "end", LSCHED_TASK_TIMER, LSCHED_PRIO_DEFAULT, end_cb,
		      LSCHED_MS(200));
	w->lt = lsched_timer_new(w->loop, lt_cb, w);
	assert_non_null(w->lt);
	assert_int_equal(lsched_timer_start(w->lt, LSCHED_MS(15),
					    LSCHED_MS(15), LSCHED_CATCHUP_SKIP),
			 0);
}

static void world_fini(struct world *w)
{
	assert_int_equal(pthread_join(w->poster, NULL), 0);
	lsched_performer_destroy(w->perf);
	assert_int_equal(lsched_loop_destroy(w->loop), 0);
	lsched_clock_destroy(w->clock);
	sem_destroy(&w->go);
	sem_destroy(&w->done);
}

static void world_check_counts(const struct world *w)
{
	assert_int_equal(w->ticks, 5);
	assert_int_equal(w->lt_fires, 3);
	assert_int_equal(w->post_errors, 0);
	assert_int_equal(w->posts, 8);
	assert_int_equal(w->sw_units, 30);
	assert_true(w->sw_yields >= 2);
	assert_int_equal(w->sw_runs, w->sw_yields + 1);
	assert_string_equal(w->ev[w->n - 1], "end@200");
}

static gboolean quit_on_stop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* Runs loop from a GMainLoop on a private context, with the source at
 * priority prio, until the loop's stop. */
static void run_hosted_prio(lsched_loop *loop, int prio)
{
	GMainContext *ctx = g_main_context_new();
	GMainLoop *ml = g_main_loop_new(ctx, FALSE);
	GSource *src = lsched_glib_source_new(loop, prio);

	assert_non_null(src);
	assert_ptr_equal(lsched_glib_source_loop(src), loop);
	g_source_set_callback(src, quit_on_stop, ml, NULL);
	g_source_attach(src, ctx);
	g_main_loop_run(ml);
	assert_int_equal(lsched_glib_source_error(src), 0);
	assert_true(g_source_is_destroyed(src));
	g_source_unref(src);
	g_main_loop_unref(ml);
	g_main_context_unref(ctx);
}

static void run_hosted(struct world *w, int prio)
{
	run_hosted_prio(w->loop, prio);
}

static void run_hosted_ctx(lsched_loop *loop)
{
	run_hosted_prio(loop, G_PRIORITY_DEFAULT);
}

static void assert_same_log(const struct world *a, const struct world *b)
{
	for (int i = 0; i < a->n && i < b->n; i++)
		if (strcmp(a->ev[i], b->ev[i]) != 0)
			fail_msg("entry %d: native %s, hosted %s", i, a->ev[i],
				 b->ev[i]);
	assert_int_equal(a->n, b->n);
}

static void test_glib_hosted_runs_what_native_runs(void **state)
{
	static struct world native, hosted;

	watchdog_arm(__func__);
	world_init(&native);
	assert_int_equal(lsched_loop_run(native.loop, LSCHED_RUN_DEFAULT), 0);
	world_check_counts(&native);
	world_fini(&native);

	world_init(&hosted);
	run_hosted(&hosted, G_PRIORITY_DEFAULT);
	world_check_counts(&hosted);
	world_fini(&hosted);

	if (getenv("GLIB_TEST_VERBOSE"))
		for (int i = 0; i < native.n; i++)
			printf("%s %s\n", native.ev[i], hosted.ev[i]);
	assert_same_log(&native, &hosted);
	/* The order within the first cycle: priorities, then the rest. */
	assert_string_equal(native.ev[0], "highest@0");
	assert_string_equal(native.ev[1], "repaint@0");
}

/* Another GLib source at a higher priority than the libsched source runs
 * between two libsched cycles, and the libsched loop's own log is the
 * same as without it. */
static gboolean glib_idle_cb(gpointer data)
{
	int *n = data;

	return ++*n < 1000 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void test_glib_higher_glib_source_interleaves(void **state)
{
	static struct world native, hosted;
	GMainContext *ctx;
	GMainLoop *ml;
	GSource *src, *idle;
	int idles = 0;

	watchdog_arm(__func__);
	world_init(&native);
	assert_int_equal(lsched_loop_run(native.loop, LSCHED_RUN_DEFAULT), 0);
	world_fini(&native);

	world_init(&hosted);
	ctx = g_main_context_new();
	ml = g_main_loop_new(ctx, FALSE);
	src = lsched_glib_source_new(hosted.loop, G_PRIORITY_DEFAULT_IDLE);
	g_source_set_callback(src, quit_on_stop, ml, NULL);
	g_source_attach(src, ctx);
	idle = g_idle_source_new();
	g_source_set_priority(idle, G_PRIORITY_HIGH_IDLE);
	g_source_set_callback(idle, glib_idle_cb, &idles, NULL);
	g_source_attach(idle, ctx);
	g_main_loop_run(ml);
	/* A higher GLib priority starves a lower one while it is ready, as
	 * in any GMainContext: the idle ran to its end first. */
	assert_int_equal(idles, 1000);
	g_source_unref(idle);
	g_source_unref(src);
	g_main_loop_unref(ml);
	g_main_context_unref(ctx);
	world_check_counts(&hosted);
	world_fini(&hosted);
	assert_same_log(&native, &hosted);
}

/* A stop from another thread wakes the context's poll through the loop's
 * descriptor; without a callback the source stays, and a second stop with
 * a callback removes it. */
static void *stopper_main(void *arg)
{
	assert_int_equal(lsched_loop_stop(arg), 0);
	return NULL;
}

static gboolean count_stop(gpointer data)
{
	int *n = data;

	return ++*n == 2 ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void test_glib_stop_from_other_thread_wakes_context(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL); /* the real clock */
	GMainContext *ctx = g_main_context_new();
	GSource *src;
	pthread_t th;
	int stops = 0;

	watchdog_arm(__func__);
	assert_non_null(loop);
	src = lsched_glib_source_new(loop, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, count_stop, &stops, NULL);
	g_source_attach(src, ctx);
	for (int round = 1; round <= 2; round++) {
		assert_int_equal(pthread_create(&th, NULL, stopper_main, loop),
				 0);
		/* Blocks in poll until the stop's wake-up: nothing else is
		 * armed (the watchdog turns a lost wake-up into a failure). */
		while (stops < round)
			g_main_context_iteration(ctx, TRUE);
		assert_int_equal(pthread_join(th, NULL), 0);
	}
	assert_true(g_source_is_destroyed(src));
	g_source_unref(src);
	g_main_context_unref(ctx);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* The pool's completions and the dispatcher's commands and builder reach
 * a hosted loop, on the real clock: pool workers enqueue commands, their
 * completions come back through the reply performer, and the builder's
 * timer (a real deadline: the timerfd) runs after the commands. */
struct hostwork {
	lsched_loop *loop;
	lsched_dispatcher *disp;
	int completions, commands, builds, enqueue_errors;
};

static void hw_maybe_stop(struct hostwork *h)
{
	if (h->completions == 10 && h->commands == 10 && h->builds >= 1)
		lsched_loop_stop(h->loop);
}

static void hw_command(void *arg)
{
	struct hostwork *h = arg;

	h->commands++;
	hw_maybe_stop(h);
}

static void hw_build(void *arg)
{
	struct hostwork *h = arg;

	h->builds++;
	hw_maybe_stop(h);
}

static int hw_job(void *arg, void **result)
{
	struct hostwork *h = arg;

	return lsched_dispatcher_enqueue(h->disp, "cmd", hw_command, NULL, h);
}

static void hw_done(int status, void *result, void *arg)
{
	struct hostwork *h = arg;

	if (status != 0)
		h->enqueue_errors++;
	h->completions++;
	hw_maybe_stop(h);
}

static void test_glib_pool_and_dispatcher_reach_hosted_loop(void **state)
{
	struct hostwork h = { 0 };
	struct lsched_dispatcher_config cfg = {
		.builder = hw_build, .builder_arg = &h,
		.latency_ns = LSCHED_MS(2), .force_ns = LSCHED_MS(10),
	};
	lsched_performer *reply;
	lsched_pool *pool;

	watchdog_arm(__func__);
	h.loop = lsched_loop_new(NULL);
	assert_non_null(h.loop);
	reply = lsched_performer_new(h.loop);
	assert_non_null(reply);
	h.disp = lsched_dispatcher_new(h.loop, &cfg);
	assert_non_null(h.disp);
	pool = lsched_pool_new(2, "hosted");
	assert_non_null(pool);
	for (int i = 0; i < 10; i++)
		assert_int_equal(lsched_pool_submit(pool, reply, hw_job, hw_done,
						    &h),
				 0);
	run_hosted_ctx(h.loop);
	assert_int_equal(h.completions, 10);
	assert_int_equal(h.commands, 10);
	assert_int_equal(h.enqueue_errors, 0);
	assert_true(h.builds >= 1);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	assert_int_equal(lsched_dispatcher_destroy(h.disp), 0);
	lsched_performer_destroy(reply);
	assert_int_equal(lsched_loop_destroy(h.loop), 0);
}

static void test_glib_source_bad_arguments(void **state)
{
	GSource *idle = g_idle_source_new();

	errno = 0;
	assert_null(lsched_glib_source_new(NULL, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(lsched_glib_source_loop(idle));
	assert_null(lsched_glib_source_loop(NULL));
	assert_int_equal(lsched_glib_source_error(idle), -EINVAL);
	assert_int_equal(lsched_glib_source_error(NULL), -EINVAL);
	g_source_unref(idle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glib_hosted_runs_what_native_runs),
		cmocka_unit_test(test_glib_higher_glib_source_interleaves),
		cmocka_unit_test(test_glib_stop_from_other_thread_wakes_context),
		cmocka_unit_test(test_glib_pool_and_dispatcher_reach_hosted_loop),
		cmocka_unit_test(test_glib_source_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
