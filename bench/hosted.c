/*
 * A hosted loop beside the native one (docs/embedding.md): what it costs
 * to drive libsched from another main loop instead of lsched_loop_run().
 *
 *   hosted [--quick] [--reps N] [--only task|wake] [--lib LIBRARY]
 *
 * Three drivers of the same libsched loop (the "library" column):
 *   libsched        lsched_loop_run(), the native loop;
 *   libsched-glib   a GMainLoop with libsched-glib's GSource;
 *   libsched-poll   a hand-written poll(2) loop on lsched_loop_fd(),
 *                   lsched_loop_timeout() and lsched_loop_dispatch().
 * task    ns per task. Variant batch: N idle tasks started up front (a
 *         cycle runs up to 4096 of them, so the host's cost per cycle is
 *         spread); variant chain: one task starting itself 50k times (one
 *         task per cycle: the host's whole cost per cycle shows).
 * wake    another thread posts (lsched_perform) to the loop, which sleeps
 *         in its host's poll, and waits until the work ran, then pauses
 *         200 us so that the loop sleeps again; K one-way latencies (post
 *         to callback) per repetition: p50 and p99 in us.
 * Every task and post is counted: a run where one did not fire fails.
 */
#include <libsched/libsched.h>
#include <libsched/glib-source.h>

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <unistd.h>

#include "bench.h"

enum host { HOST_NATIVE, HOST_GLIB, HOST_POLL, HOST_COUNT };
static const char *const host_name[HOST_COUNT] = { "libsched", "libsched-glib",
						   "libsched-poll" };
static const char *const host_api[HOST_COUNT] = {
	"lsched_loop_run", "lsched_glib_source_new",
	"lsched_loop_fd+timeout+dispatch"
};

static gboolean quit_on_stop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* Runs loop under host h until its stop. */
static void drive(lsched_loop *loop, enum host h)
{
	if (h == HOST_NATIVE) {
		if (lsched_loop_run(loop, LSCHED_RUN_DEFAULT) != 0)
			bench_fail("lsched_loop_run failed");
	} else if (h == HOST_GLIB) {
		GMainContext *ctx = g_main_context_new();
		GMainLoop *ml = g_main_loop_new(ctx, FALSE);
		GSource *src = lsched_glib_source_new(loop, G_PRIORITY_DEFAULT);

		if (!src)
			bench_fail("lsched_glib_source_new failed");
		g_source_set_callback(src, quit_on_stop, ml, NULL);
		g_source_attach(src, ctx);
		g_main_loop_run(ml);
		g_source_unref(src);
		g_main_loop_unref(ml);
		g_main_context_unref(ctx);
	} else {
		struct pollfd p = { .fd = lsched_loop_fd(loop),
				    .events = POLLIN };
		int r;

		if (p.fd < 0)
			bench_fail("lsched_loop_fd failed");
		do {
			(void)poll(&p, 1, lsched_loop_timeout(loop));
			r = lsched_loop_dispatch(loop);
		} while (r == 0);
		if (r < 0)
			bench_fail("lsched_loop_dispatch failed");
	}
}

/* ---- task ------------------------------------------------------------- */

struct taskrun {
	uint64_t fired, want;
};

static void count_cb(lsched_task *t, void *arg)
{
	struct taskrun *r = arg;

	if (++r->fired == r->want)
		lsched_loop_stop(lsched_task_loop(t));
}

static void chain_cb(lsched_task *t, void *arg)
{
	struct taskrun *r = arg;

	if (++r->fired == r->want)
		lsched_loop_stop(lsched_task_loop(t));
	else
		lsched_task_start(t);
}

static void measure_task(const struct bench_opts *o, const char *variant,
			 uint64_t n, bool chain)
{
	for (int h = 0; h < HOST_COUNT; h++) {
		struct bench_series ser = { .n = 0 };
		lsched_loop *loop;
		lsched_task **tasks;
		uint64_t ntasks = chain ? 1 : n;
		char what[96];

		if (!bench_want_lib(o, host_name[h]))
			continue;
		loop = lsched_loop_new(NULL);
		tasks = calloc(ntasks, sizeof(*tasks));
		if (!loop || !tasks)
			bench_fail("out of memory");
		for (int k = -1; k < o->reps; k++) {
			struct taskrun r = { .fired = 0, .want = n };
			int64_t t0;
			long f0;

			for (uint64_t i = 0; i < ntasks; i++) {
				if (!tasks[i])
					tasks[i] = lsched_task_new(
						loop, "t", LSCHED_TASK_IDLE,
						(int)(i % 4) + 1,
						chain ? chain_cb : count_cb,
						NULL);
				lsched_task_set_callback(tasks[i],
							 chain ? chain_cb
							       : count_cb,
							 &r);
			}
			f0 = bench_minflt();
			t0 = bench_now();
			for (uint64_t i = 0; i < ntasks; i++)
				lsched_task_start(tasks[i]);
			drive(loop, (enum host)h);
			if (k >= 0)
				bench_add(&ser,
					  (double)(bench_now() - t0) / (double)n,
					  bench_minflt() - f0);
			snprintf(what, sizeof(what), "task/%s %s rep %d",
				 variant, host_name[h], k + 1);
			bench_check(what, r.fired, n);
		}
		free(tasks);
		lsched_loop_destroy(loop);
		bench_report("hosted-task", variant, host_name[h], host_api[h],
			     "ns/task", "low", &ser, n);
	}
}

/* ---- wake ------------------------------------------------------------- */

struct wakerun {
	lsched_loop *loop;
	lsched_performer *perf;
	sem_t done;
	int k, want;
	_Atomic int64_t posted;
	double *lat; /* us */
};

static void wake_cb(void *arg)
{
	struct wakerun *w = arg;

	w->lat[w->k] = (double)(bench_now() - atomic_load(&w->posted)) / 1e3;
	if (++w->k == w->want)
		lsched_loop_stop(w->loop);
	sem_post(&w->done);
}

static void *waker_main(void *arg)
{
	struct wakerun *w = arg;

	for (int i = 0; i < w->want; i++) {
		/* Let the loop go back to sleep in its host's poll. */
		usleep(200);
		atomic_store(&w->posted, bench_now());
		if (lsched_perform(w->perf, wake_cb, w, 0) != 0)
			bench_fail("lsched_perform failed");
		sem_wait(&w->done);
	}
	return NULL;
}

static void measure_wake(const struct bench_opts *o, int want)
{
	for (int h = 0; h < HOST_COUNT; h++) {
		struct bench_series p50 = { .n = 0 }, p99 = { .n = 0 };
		struct wakerun w = { .want = want };

		if (!bench_want_lib(o, host_name[h]))
			continue;
		w.lat = calloc((size_t)want, sizeof(*w.lat));
		w.loop = lsched_loop_new(NULL);
		w.perf = w.loop ? lsched_performer_new(w.loop) : NULL;
		if (!w.lat || !w.perf)
			bench_fail("out of memory");
		sem_init(&w.done, 0, 0);
		for (int k = -1; k < o->reps; k++) {
			pthread_t th;
			char what[96];

			w.k = 0;
			if (pthread_create(&th, NULL, waker_main, &w) != 0)
				bench_fail("pthread_create failed");
			drive(w.loop, (enum host)h);
			pthread_join(th, NULL);
			snprintf(what, sizeof(what), "wake %s rep %d",
				 host_name[h], k + 1);
			bench_check(what, (uint64_t)w.k, (uint64_t)want);
			if (k >= 0) {
				bench_add(&p50, bench_percentile(w.lat,
								 (size_t)want,
								 50),
					  0);
				bench_add(&p99, bench_percentile(w.lat,
								 (size_t)want,
								 99),
					  0);
			}
		}
		sem_destroy(&w.done);
		lsched_performer_destroy(w.perf);
		lsched_loop_destroy(w.loop);
		free(w.lat);
		bench_report("hosted-wake", "p50", host_name[h], host_api[h],
			     "us", "low", &p50, 0);
		bench_report("hosted-wake", "p99", host_name[h], host_api[h],
			     "us", "low", &p99, 0);
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_prog = "hosted";
	bench_parse(argc, argv, &o, "task wake");
	bench_memory_setup(o.quick ? 16 : 64);
	if (bench_want(&o, "task")) {
		measure_task(&o, o.quick ? "batch-20k" : "batch-200k",
			     o.quick ? 20000 : 200000, false);
		/* 50k: under GLib a cycle costs about 15 us here, and make
		 * bench must stay under 10 minutes. */
		measure_task(&o, o.quick ? "chain-20k" : "chain-50k",
			     o.quick ? 20000 : 50000, true);
	}
	if (bench_want(&o, "wake"))
		measure_wake(&o, o.quick ? 50 : 1000);
	return 0;
}
