/*
 * Timers with random deadlines: libsched against libevent, libuv and
 * GLib, at 1k, 100k and 1M timers.
 *
 *   timers [--quick] [--reps N] [--only timers]
 *
 * Each repetition starts N one-shot timers with random timeouts between 1
 * and 20 ms (the insert figure: ns per start, timed), sleeps until every
 * deadline has passed, then runs the loop until all N fired (the dispatch
 * figure: ns per expired timer). Timer objects are made before the timed
 * part where the library lets the caller own them (libsched loop timers,
 * libevent events, libuv handles); GLib allocates a source per
 * g_timeout_add_full(). libuv and GLib take milliseconds, libevent
 * microseconds, libsched nanoseconds: each gets the same random timeouts
 * at its own resolution.
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <glib.h>
#include <uv.h>

#include "bench.h"

#define MAX_TIMEOUT_MS 20

static size_t n_timers, fired;
static int64_t *timeout_ns; /* random, per timer */

struct lib {
	const char *name;
	const char *api;
	void (*setup)(void);
	void (*insert)(void);
	void (*run)(void);
	void (*teardown)(void);
};

/* ---- libsched: loop timers ---- */
static lsched_loop *ls_loop;
static lsched_timer **ls_t;

static void ls_cb(lsched_timer *t, void *arg)
{
	if (++fired == n_timers)
		lsched_loop_stop(ls_loop);
}

static void ls_setup(void)
{
	ls_loop = lsched_loop_new(NULL);
	ls_t = calloc(n_timers, sizeof(*ls_t));
	if (!ls_loop || !ls_t)
		bench_fail("libsched: out of memory");
	for (size_t i = 0; i < n_timers; i++)
		if (!(ls_t[i] = lsched_timer_new(ls_loop, ls_cb, NULL)))
			bench_fail("libsched: lsched_timer_new failed");
}

static void ls_insert(void)
{
	/* Deadlines count from the loop's cached now: bring it up to date,
	 * as a program that has not run its loop for a while must. */
	lsched_loop_update_now(ls_loop);
	for (size_t i = 0; i < n_timers; i++)
		lsched_timer_start(ls_t[i], timeout_ns[i], 0, LSCHED_CATCHUP_SKIP);
}

static void ls_run(void)
{
	if (lsched_loop_run(ls_loop, LSCHED_RUN_DEFAULT))
		bench_fail("libsched: lsched_loop_run failed");
}

static void ls_teardown(void)
{
	lsched_loop_destroy(ls_loop);
	free(ls_t);
}

/* ---- libsched: timer tasks (the scheduler's VCL Timer) ---- */
static lsched_task **lt_t;

static void lt_cb(lsched_task *t, void *arg)
{
	if (++fired == n_timers)
		lsched_loop_stop(ls_loop);
}

static void lt_setup(void)
{
	ls_loop = lsched_loop_new(NULL);
	lt_t = calloc(n_timers, sizeof(*lt_t));
	if (!ls_loop || !lt_t)
		bench_fail("libsched: out of memory");
	for (size_t i = 0; i < n_timers; i++)
		if (!(lt_t[i] = lsched_task_new(ls_loop, "timer",
						LSCHED_TASK_TIMER,
						LSCHED_PRIO_DEFAULT, lt_cb, NULL)))
			bench_fail("libsched: lsched_task_new failed");
}

static void lt_insert(void)
{
	lsched_loop_update_now(ls_loop);
	for (size_t i = 0; i < n_timers; i++) {
		lsched_task_set_timeout(lt_t[i], timeout_ns[i]);
		lsched_task_start(lt_t[i]);
	}
}

static void lt_teardown(void)
{
	lsched_loop_destroy(ls_loop);
	free(lt_t);
}

/* ---- libevent ---- */
static struct event_base *ev_base;
static struct event *ev_t;
static struct timeval *ev_tv;

static void ev_cb(evutil_socket_t fd, short what, void *arg)
{
	if (++fired == n_timers)
		event_base_loopbreak(ev_base);
}

static void ev_setup(void)
{
	ev_base = event_base_new();
	ev_t = calloc(n_timers, sizeof(*ev_t));
	ev_tv = calloc(n_timers, sizeof(*ev_tv));
	if (!ev_base || !ev_t || !ev_tv)
		bench_fail("libevent: out of memory");
	for (size_t i = 0; i < n_timers; i++) {
		evtimer_assign(&ev_t[i], ev_base, ev_cb, NULL);
		ev_tv[i].tv_sec = 0;
		ev_tv[i].tv_usec = (suseconds_t)(timeout_ns[i] / 1000);
	}
}

static void ev_insert(void)
{
	for (size_t i = 0; i < n_timers; i++)
		evtimer_add(&ev_t[i], &ev_tv[i]);
}

static void ev_run(void)
{
	if (event_base_loop(ev_base, 0) < 0)
		bench_fail("libevent: event_base_loop failed");
}

static void ev_teardown(void)
{
	free(ev_t);
	free(ev_tv);
	event_base_free(ev_base);
}

/* ---- libuv ---- */
static uv_loop_t uv_lp;
static uv_timer_t *uv_t;

static void uv_cb(uv_timer_t *h)
{
	if (++fired == n_timers)
		uv_stop(&uv_lp);
}

static void uv_setup(void)
{
	uv_t = calloc(n_timers, sizeof(*uv_t));
	if (uv_loop_init(&uv_lp) || !uv_t)
		bench_fail("libuv: cannot make the loop");
	for (size_t i = 0; i < n_timers; i++)
		uv_timer_init(&uv_lp, &uv_t[i]);
}

static void uv_insert(void)
{
	uv_update_time(&uv_lp);
	for (size_t i = 0; i < n_timers; i++)
		uv_timer_start(&uv_t[i], uv_cb,
			       (uint64_t)(timeout_ns[i] / 1000000), 0);
}

static void uv_run_all(void)
{
	uv_run(&uv_lp, UV_RUN_DEFAULT);
}

static void uv_teardown(void)
{
	for (size_t i = 0; i < n_timers; i++)
		uv_close((uv_handle_t *)&uv_t[i], NULL);
	uv_run(&uv_lp, UV_RUN_NOWAIT);
	if (uv_loop_close(&uv_lp))
		bench_fail("libuv: uv_loop_close: handles left");
	free(uv_t);
}

/* ---- GLib ---- */
static GMainLoop *g_loop;

static gboolean g_cb(gpointer arg)
{
	if (++fired == n_timers)
		g_main_loop_quit(g_loop);
	return G_SOURCE_REMOVE;
}

static void g_setup(void)
{
	g_loop = g_main_loop_new(NULL, FALSE);
}

static void g_insert(void)
{
	for (size_t i = 0; i < n_timers; i++)
		g_timeout_add_full(G_PRIORITY_DEFAULT,
				   (guint)(timeout_ns[i] / 1000000), g_cb, NULL,
				   NULL);
}

static void g_run(void)
{
	g_main_loop_run(g_loop);
}

static void g_teardown(void)
{
	g_main_loop_unref(g_loop);
}

static const struct lib libs[] = {
	{ "libsched", "lsched_timer_start (loop timer)", ls_setup, ls_insert,
	  ls_run, ls_teardown },
	{ "libsched-task", "lsched_task_start (TIMER task, DEFAULT)", lt_setup,
	  lt_insert, ls_run, lt_teardown },
	{ "libevent", "evtimer_add", ev_setup, ev_insert, ev_run, ev_teardown },
	{ "libuv", "uv_timer_start", uv_setup, uv_insert, uv_run_all,
	  uv_teardown },
	{ "GLib", "g_timeout_add_full (a new source per timer)", g_setup,
	  g_insert, g_run, g_teardown },
};

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void measure(const struct bench_opts *o, size_t n, const char *variant)
{
	unsigned seed = 42;

	n_timers = n;
	timeout_ns = calloc(n, sizeof(*timeout_ns));
	if (!timeout_ns)
		bench_fail("out of memory");
	for (size_t i = 0; i < n; i++)
		timeout_ns[i] = 1000000 +
				(int64_t)((double)rand_r(&seed) / RAND_MAX *
					  (MAX_TIMEOUT_MS - 1) * 1e6);
	for (size_t l = 0; l < sizeof(libs) / sizeof(libs[0]); l++) {
		const struct lib *lib = &libs[l];
		struct bench_series ins = { .n = 0 }, disp = { .n = 0 };
		char what_v[48];

		if (!bench_want_lib(o, lib->name))
			continue;

		lib->setup();
		for (int k = -1; k < o->reps; k++) {
			int64_t t0, t_ins;
			long f0, f1;
			char what[96];

			fired = 0;
			f0 = bench_minflt();
			t0 = bench_now();
			lib->insert();
			t_ins = bench_now() - t0;
			f0 = bench_minflt() - f0;
			/* Until every deadline has passed (+1 ms: libuv and
			 * GLib round to their millisecond). */
			sleep_ns(MAX_TIMEOUT_MS * 1000000LL + 1000000 -
				 (bench_now() - t0));
			if (fired)
				bench_fail("timers %s: fired before the loop ran",
					   lib->name);
			f1 = bench_minflt();
			t0 = bench_now();
			lib->run();
			t0 = bench_now() - t0;
			f1 = bench_minflt() - f1;
			snprintf(what, sizeof(what), "timers/%s %s rep %d",
				 variant, lib->name, k + 1);
			bench_check(what, fired, n);
			if (k < 0)
				continue;
			bench_add(&ins, (double)t_ins / (double)n, f0);
			bench_add(&disp, (double)t0 / (double)n, f1);
		}
		lib->teardown();
		snprintf(what_v, sizeof(what_v), "insert-%s", variant);
		bench_report("timers", what_v, lib->name, lib->api, "ns/timer",
			     "low", &ins, n);
		snprintf(what_v, sizeof(what_v), "dispatch-%s", variant);
		bench_report("timers", what_v, lib->name, lib->api, "ns/timer",
			     "low", &disp, n);
	}
	free(timeout_ns);
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_prog = "timers";
	bench_parse(argc, argv, &o, "timers");
	if (!bench_want(&o, "timers"))
		return 0;
	bench_memory_setup(o.quick ? 16 : 512);
	measure(&o, 1000, "1k");
	measure(&o, o.quick ? 10000 : 100000, o.quick ? "10k" : "100k");
	if (!o.quick)
		measure(&o, 1000000, "1M");
	return 0;
}
