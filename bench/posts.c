/*
 * Posting work from the loop's own thread and running it: libsched
 * against libevent, libuv and GLib, each with its closest equivalent of a
 * one-shot task.
 *
 *   posts [--quick] [--reps N] [--only post1|post4|chain|queue]
 *
 * Every measure is one "ring" workload: R pre-made one-shot objects
 * (libsched tasks, libevent events, libuv idle handles; GLib allocates a
 * new idle source per post, as g_idle_add() does), object i at priority
 * i % P. The timed part posts objects 0..S-1, then runs the loop until T
 * callbacks fired; while fewer than T were posted, each callback posts
 * the next object, k % R for the k-th post, so S tasks stay pending. R is
 * large enough that an object is never posted again while still pending
 * (libuv runs a batch of idle handles newest first, so this takes 2S).
 * Measures:
 *
 *   post1    S = T = R = 1M, one priority: post 1M tasks, then run them
 *   post4    the same over 4 priorities
 *   chain    S = 1, R = 1024, 4 priorities: each task posts the next, in
 *            the next priority
 *   queue    S = 1, 1k, 1M pending, one priority, R = 2S + 4096 (more
 *            than a libsched pass runs, so no object comes round within
 *            one pass), T = max(1M, 2S)
 *
 * Figure: ns per task (post + run), median of the repetitions. The
 * callbacks only count; a run where the count is short fails.
 */
#include <libsched/libsched.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <glib.h>
#include <uv.h>

#include "bench.h"

/* The ring. */
static size_t ring_r, ring_s, ring_t, posted, fired;
static int ring_p;

static const int lsched_prio4[4] = { LSCHED_PRIO_DEFAULT,
				     LSCHED_PRIO_HIGH_IDLE,
				     LSCHED_PRIO_REPAINT,
				     LSCHED_PRIO_DEFAULT_IDLE };
static const int glib_prio4[4] = { G_PRIORITY_HIGH, G_PRIORITY_DEFAULT,
				   G_PRIORITY_HIGH_IDLE,
				   G_PRIORITY_DEFAULT_IDLE };

struct lib {
	const char *name;
	const char *api;      /* one priority */
	const char *api_prio; /* P priorities; NULL: the library has none */
	void (*setup)(void);  /* makes ring_r objects at ring_p priorities */
	void (*post)(size_t i);
	void (*run)(void);    /* until ring_t callbacks fired */
	void (*teardown)(void);
};

/* ---- libsched ------------------------------------------------------------ */

static lsched_loop *ls_loop;
static lsched_task **ls_tasks;

static void ls_cb(lsched_task *t, void *arg)
{

	fired++;
	if (posted < ring_t) {
		lsched_task_start(ls_tasks[posted % ring_r]);
		posted++;
	}
	if (fired == ring_t)
		lsched_loop_stop(ls_loop);
}

static void ls_setup(void)
{
	ls_loop = lsched_loop_new(NULL);
	ls_tasks = calloc(ring_r, sizeof(*ls_tasks));
	if (!ls_loop || !ls_tasks)
		bench_fail("libsched: out of memory");
	for (size_t i = 0; i < ring_r; i++) {
		int prio = ring_p == 1 ? LSCHED_PRIO_DEFAULT
				       : lsched_prio4[i % 4];

		ls_tasks[i] = lsched_task_new(ls_loop, "bench", LSCHED_TASK_IDLE,
					      prio, ls_cb, (void *)(uintptr_t)i);
		if (!ls_tasks[i])
			bench_fail("libsched: lsched_task_new: out of memory");
	}
}

static void ls_post(size_t i)
{
	lsched_task_start(ls_tasks[i]);
}

static void ls_run(void)
{
	int err = lsched_loop_run(ls_loop, LSCHED_RUN_DEFAULT);

	if (err)
		bench_fail("libsched: lsched_loop_run: %s", lsched_strerror(err));
}

static void ls_teardown(void)
{
	lsched_loop_destroy(ls_loop); /* frees the tasks */
	free(ls_tasks);
}

/* ---- libevent ------------------------------------------------------------ */

static struct event_base *ev_base;
static struct event *ev_ring;

static void ev_cb(evutil_socket_t fd, short what, void *arg)
{

	fired++;
	if (posted < ring_t) {
		event_active(&ev_ring[posted % ring_r], EV_TIMEOUT, 0);
		posted++;
	}
	if (fired == ring_t)
		event_base_loopbreak(ev_base);
}

static void ev_setup(void)
{
	ev_base = event_base_new();
	ev_ring = calloc(ring_r, sizeof(*ev_ring));
	if (!ev_base || !ev_ring)
		bench_fail("libevent: out of memory");
	if (ring_p > 1 && event_base_priority_init(ev_base, ring_p))
		bench_fail("libevent: event_base_priority_init failed");
	for (size_t i = 0; i < ring_r; i++) {
		if (event_assign(&ev_ring[i], ev_base, -1, 0, ev_cb,
				 (void *)(uintptr_t)i))
			bench_fail("libevent: event_assign failed");
		if (ring_p > 1)
			event_priority_set(&ev_ring[i], (int)(i % 4));
	}
}

static void ev_post(size_t i)
{
	event_active(&ev_ring[i], EV_TIMEOUT, 0);
}

static void ev_run(void)
{
	if (event_base_loop(ev_base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		bench_fail("libevent: event_base_loop failed");
}

static void ev_teardown(void)
{
	free(ev_ring);
	event_base_free(ev_base);
}

/* ---- libuv --------------------------------------------------------------- */

static uv_loop_t uv_lp;
static uv_idle_t *uv_ring;

static void uv_cb(uv_idle_t *h)
{

	uv_idle_stop(h);
	fired++;
	if (posted < ring_t) {
		uv_idle_start(&uv_ring[posted % ring_r], uv_cb);
		posted++;
	}
	if (fired == ring_t)
		uv_stop(&uv_lp);
}

static void uv_setup(void)
{
	if (uv_loop_init(&uv_lp))
		bench_fail("libuv: uv_loop_init failed");
	uv_ring = calloc(ring_r, sizeof(*uv_ring));
	if (!uv_ring)
		bench_fail("libuv: out of memory");
	for (size_t i = 0; i < ring_r; i++)
		uv_idle_init(&uv_lp, &uv_ring[i]);
}

static void uv_post(size_t i)
{
	uv_idle_start(&uv_ring[i], uv_cb);
}

static void uv_run_all(void)
{
	uv_run(&uv_lp, UV_RUN_DEFAULT);
}

static void uv_teardown(void)
{
	for (size_t i = 0; i < ring_r; i++)
		uv_close((uv_handle_t *)&uv_ring[i], NULL);
	uv_run(&uv_lp, UV_RUN_NOWAIT);
	if (uv_loop_close(&uv_lp))
		bench_fail("libuv: uv_loop_close: handles left");
	free(uv_ring);
}

/* ---- GLib ---------------------------------------------------------------- */

static GMainLoop *g_loop;

static gboolean g_cb(gpointer arg);

static void g_post(size_t i)
{
	int prio = ring_p == 1 ? G_PRIORITY_DEFAULT_IDLE : glib_prio4[i % 4];

	g_idle_add_full(prio, g_cb, (gpointer)(uintptr_t)i, NULL);
}

static gboolean g_cb(gpointer arg)
{

	fired++;
	if (posted < ring_t) {
		g_post(posted % ring_r);
		posted++;
	}
	if (fired == ring_t)
		g_main_loop_quit(g_loop);
	return G_SOURCE_REMOVE;
}

static void g_setup(void)
{
	g_loop = g_main_loop_new(NULL, FALSE);
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
	{ "libsched", "lsched_task_start (pre-made one-shot idle task)",
	  "lsched_task_start (pre-made one-shot idle task)", ls_setup, ls_post,
	  ls_run, ls_teardown },
	{ "libevent", "event_active (pre-made event)",
	  "event_active (pre-made event, event_priority_set)", ev_setup,
	  ev_post, ev_run, ev_teardown },
	{ "libuv", "uv_idle_start (pre-made idle handle, stopped in its callback)",
	  NULL, uv_setup, uv_post, uv_run_all, uv_teardown },
	{ "GLib", "g_idle_add_full (a new idle source per post)",
	  "g_idle_add_full at 4 priorities (a new idle source per post)",
	  g_setup, g_post, g_run, g_teardown },
};

static void measure(const struct bench_opts *o, const char *name,
		    const char *variant, size_t r, size_t s, size_t t, int p)
{
	for (size_t l = 0; l < sizeof(libs) / sizeof(libs[0]); l++) {
		const struct lib *lib = &libs[l];
		struct bench_series ser = { .n = 0 };
		char what[128];

		if (!bench_want_lib(o, lib->name))
			continue;
		if (p > 1 && !lib->api_prio) {
			bench_report_na(name, variant, lib->name,
					"no priorities in this library");
			continue;
		}
		ring_r = r;
		ring_s = s;
		ring_t = t;
		ring_p = p;
		lib->setup();
		for (int k = -1; k < o->reps; k++) {
			int64_t t0;
			long f0;

			posted = fired = 0;
			f0 = bench_minflt();
			t0 = bench_now();
			for (size_t i = 0; i < s; i++)
				lib->post(i);
			posted = s;
			lib->run();
			if (k >= 0)
				bench_add(&ser, (double)(bench_now() - t0) /
							(double)t,
					  bench_minflt() - f0);
			snprintf(what, sizeof(what), "%s/%s %s rep %d", name,
				 variant, lib->name, k + 1);
			bench_check(what, fired, t);
		}
		lib->teardown();
		bench_report(name, variant, lib->name,
			     p > 1 ? lib->api_prio : lib->api, "ns/task", "low",
			     &ser, t);
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	size_t big;
	const char *bigname;

	bench_prog = "posts";
	bench_parse(argc, argv, &o, "post1 post4 chain queue");
	big = o.quick ? 20000 : 1000000;
	bigname = o.quick ? "20k" : "1M";
	bench_memory_setup(o.quick ? 16 : 512);
	if (bench_want(&o, "post1"))
		measure(&o, "post1", bigname, big, big, big, 1);
	if (bench_want(&o, "post4"))
		measure(&o, "post4", bigname, big, big, big, 4);
	if (bench_want(&o, "chain"))
		measure(&o, "chain", "4prio", 1024, 1, o.quick ? 20000 : 200000,
			4);
	if (bench_want(&o, "queue")) {
		size_t sizes[3] = { 1, 1000, big };
		const char *names[3] = { "1", "1k", bigname };

		for (int i = 0; i < 3; i++)
			measure(&o, "queue", names[i], 2 * sizes[i] + 4096, sizes[i],
				sizes[i] * 2 > big ? sizes[i] * 2 : big, 1);
	}
	return 0;
}
