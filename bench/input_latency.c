/*
 * Input latency while a chain of tiny tasks runs back to back: libsched
 * against libevent, libuv and GLib.
 *
 *   input_latency [--quick] [--reps N] [--only input]
 *
 * The loop's thread runs a chain: each tiny task (it only counts) posts
 * the next, at one priority, from a ring of 8192 pre-made objects (GLib:
 * a new idle source per post), for as long as the writer writes. A writer
 * thread writes K timestamps (8 bytes each) to a pipe the loop watches,
 * one every 200 to 1000 us (random). The pipe's callback reads them and
 * records now - timestamp. When the writer is done the chain stops, and
 * the loop ends once every timestamp was read. Figures per repetition:
 * p50 and p99 of the K latencies, in us; then median [min-max] over the
 * repetitions. Every byte must arrive and every chain task must run.
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <uv.h>

#include "bench.h"

/* More than a libsched pass runs (4096), so that no chain task comes
 * round within one pass: the pass then ends on input, not on the ring. */
#define RING 8192

static int pfd[2];
static size_t k_samples;
static double *lat_us;
static size_t received;
static atomic_int writer_done;
static int chain_ended;
static size_t posted, fired;

struct lib {
	const char *name;
	const char *api;
	void (*setup)(void);
	void (*start)(void); /* posts the first chain task */
	void (*run)(void);
	void (*teardown)(void);
};

static void *writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (size_t i = 0; i < k_samples; i++) {
		struct timespec ts = { 0, 200000 + rand_r(&seed) % 800000 };
		int64_t t;

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		t = bench_now();
		if (write(pfd[1], &t, sizeof(t)) != (ssize_t)sizeof(t))
			bench_fail("input: pipe write failed");
	}
	atomic_store(&writer_done, 1);
	return NULL;
}

/* Reads every timestamp waiting; true when all K arrived and the chain
 * is over (the loop may stop). */
static int read_input(void)
{
	int64_t t[64];
	ssize_t n;

	while ((n = read(pfd[0], t, sizeof(t))) > 0) {
		int64_t now = bench_now();

		for (ssize_t i = 0; i < n / (ssize_t)sizeof(t[0]); i++)
			if (received < k_samples)
				lat_us[received++] = (double)(now - t[i]) / 1e3;
	}
	return received == k_samples && chain_ended;
}

/* A chain task ran; true if the next one is to be posted. */
static int chain_step(int *stop)
{
	fired++;
	*stop = 0;
	if (!atomic_load_explicit(&writer_done, memory_order_relaxed)) {
		posted++;
		return 1;
	}
	chain_ended = 1;
	*stop = received == k_samples;
	return 0;
}

/* ---- libsched ------------------------------------------------------------ */

static lsched_loop *ls_loop;
static lsched_task *ls_ring[RING];

static void ls_task(lsched_task *t, void *arg)
{
	int stop;

	if (chain_step(&stop))
		lsched_task_start(ls_ring[posted % RING]);
	if (stop)
		lsched_loop_stop(ls_loop);
}

static void ls_input(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	if (read_input())
		lsched_loop_stop(loop);
}

static void ls_setup(void)
{
	ls_loop = lsched_loop_new(NULL);
	if (!ls_loop)
		bench_fail("libsched: lsched_loop_new failed");
	for (int i = 0; i < RING; i++)
		if (!(ls_ring[i] = lsched_task_new(ls_loop, "chain",
						   LSCHED_TASK_IDLE,
						   LSCHED_PRIO_DEFAULT, ls_task,
						   NULL)))
			bench_fail("libsched: lsched_task_new failed");
	if (lsched_loop_watch_fd(ls_loop, pfd[0], LSCHED_FD_READ, ls_input,
				 NULL))
		bench_fail("libsched: lsched_loop_watch_fd failed");
}

static void ls_start(void)
{
	lsched_task_start(ls_ring[posted % RING]);
}

static void ls_run(void)
{
	if (lsched_loop_run(ls_loop, LSCHED_RUN_DEFAULT))
		bench_fail("libsched: lsched_loop_run failed");
}

static void ls_teardown(void)
{
	lsched_loop_destroy(ls_loop);
}

/* ---- libevent ------------------------------------------------------------ */

static struct event_base *ev_base;
static struct event ev_ring[RING], ev_in;

static void ev_task(evutil_socket_t fd, short what, void *arg)
{
	int stop;

	if (chain_step(&stop))
		event_active(&ev_ring[posted % RING], EV_TIMEOUT, 0);
	if (stop)
		event_base_loopbreak(ev_base);
}

static void ev_input(evutil_socket_t fd, short what, void *arg)
{
	if (read_input())
		event_base_loopbreak(ev_base);
}

static void ev_setup(void)
{
	if (!(ev_base = event_base_new()))
		bench_fail("libevent: event_base_new failed");
	for (int i = 0; i < RING; i++)
		event_assign(&ev_ring[i], ev_base, -1, 0, ev_task, NULL);
	event_assign(&ev_in, ev_base, pfd[0], EV_READ | EV_PERSIST, ev_input,
		     NULL);
	if (event_add(&ev_in, NULL))
		bench_fail("libevent: event_add failed");
}

static void ev_start(void)
{
	event_active(&ev_ring[posted % RING], EV_TIMEOUT, 0);
}

static void ev_run(void)
{
	if (event_base_loop(ev_base, 0) < 0)
		bench_fail("libevent: event_base_loop failed");
}

static void ev_teardown(void)
{
	event_del(&ev_in);
	event_base_free(ev_base);
}

/* ---- libuv --------------------------------------------------------------- */

static uv_loop_t uv_lp;
static uv_idle_t uv_ring[RING];
static uv_poll_t uv_in;

static void uv_task(uv_idle_t *h)
{
	int stop;

	uv_idle_stop(h);
	if (chain_step(&stop))
		uv_idle_start(&uv_ring[posted % RING], uv_task);
	if (stop)
		uv_stop(&uv_lp);
}

static void uv_input(uv_poll_t *h, int status, int events)
{
	if (read_input())
		uv_stop(&uv_lp);
}

static void uv_setup(void)
{
	if (uv_loop_init(&uv_lp))
		bench_fail("libuv: uv_loop_init failed");
	for (int i = 0; i < RING; i++)
		uv_idle_init(&uv_lp, &uv_ring[i]);
	if (uv_poll_init(&uv_lp, &uv_in, pfd[0]) ||
	    uv_poll_start(&uv_in, UV_READABLE, uv_input))
		bench_fail("libuv: uv_poll_start failed");
}

static void uv_start(void)
{
	uv_idle_start(&uv_ring[posted % RING], uv_task);
}

static void uv_run_all(void)
{
	uv_run(&uv_lp, UV_RUN_DEFAULT);
}

static void uv_teardown(void)
{
	for (int i = 0; i < RING; i++)
		uv_close((uv_handle_t *)&uv_ring[i], NULL);
	uv_close((uv_handle_t *)&uv_in, NULL);
	uv_run(&uv_lp, UV_RUN_NOWAIT);
	if (uv_loop_close(&uv_lp))
		bench_fail("libuv: uv_loop_close: handles left");
}

/* ---- GLib ---------------------------------------------------------------- */

static GMainLoop *g_loop;
static guint g_in;

static gboolean g_task(gpointer arg)
{
	int stop;

	if (chain_step(&stop))
		g_idle_add(g_task, NULL);
	if (stop)
		g_main_loop_quit(g_loop);
	return G_SOURCE_REMOVE;
}

static gboolean g_input(gint fd, GIOCondition cond, gpointer arg)
{
	if (read_input())
		g_main_loop_quit(g_loop);
	return G_SOURCE_CONTINUE;
}

static void g_setup(void)
{
	g_loop = g_main_loop_new(NULL, FALSE);
	g_in = g_unix_fd_add(pfd[0], G_IO_IN, g_input, NULL);
}

static void g_start(void)
{
	g_idle_add(g_task, NULL);
}

static void g_run(void)
{
	g_main_loop_run(g_loop);
}

static void g_teardown(void)
{
	g_source_remove(g_in);
	g_main_loop_unref(g_loop);
}

static const struct lib libs[] = {
	{ "libsched", "lsched_loop_watch_fd; chain of lsched_task_start (DEFAULT)",
	  ls_setup, ls_start, ls_run, ls_teardown },
	{ "libevent", "event_add(EV_READ); chain of event_active (1 priority)",
	  ev_setup, ev_start, ev_run, ev_teardown },
	{ "libuv", "uv_poll_start; chain of uv_idle_start", uv_setup, uv_start,
	  uv_run_all, uv_teardown },
	{ "GLib", "g_unix_fd_add; chain of g_idle_add", g_setup, g_start, g_run,
	  g_teardown },
};

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_prog = "input_latency";
	bench_parse(argc, argv, &o, "input");
	if (!bench_want(&o, "input"))
		return 0;
	bench_memory_setup(8);
	k_samples = o.quick ? 20 : 200;
	lat_us = calloc(k_samples, sizeof(*lat_us));
	if (!lat_us)
		bench_fail("out of memory");
	for (size_t l = 0; l < sizeof(libs) / sizeof(libs[0]); l++) {
		const struct lib *lib = &libs[l];
		struct bench_series p50 = { .n = 0 }, p99 = { .n = 0 };

		if (!bench_want_lib(&o, lib->name))
			continue;
		for (int k = -1; k < o.reps; k++) {
			pthread_t th;
			char what[96];
			long f0;

			if (pipe2(pfd, O_NONBLOCK | O_CLOEXEC))
				bench_fail("pipe: %s", strerror(errno));
			received = posted = fired = 0;
			chain_ended = 0;
			atomic_store(&writer_done, 0);
			lib->setup();
			f0 = bench_minflt();
			lib->start();
			if (pthread_create(&th, NULL, writer,
					   (void *)(uintptr_t)(k + 100)))
				bench_fail("pthread_create failed");
			lib->run();
			pthread_join(th, NULL);
			f0 = bench_minflt() - f0;
			lib->teardown();
			close(pfd[0]);
			close(pfd[1]);
			snprintf(what, sizeof(what), "input %s rep %d (bytes)",
				 lib->name, k + 1);
			bench_check(what, received, k_samples);
			snprintf(what, sizeof(what), "input %s rep %d (chain)",
				 lib->name, k + 1);
			bench_check(what, fired, posted + 1);
			if (k < 0)
				continue;
			bench_add(&p50, bench_percentile(lat_us, k_samples, 50),
				  f0);
			bench_add(&p99, bench_percentile(lat_us, k_samples, 99),
				  f0);
			fprintf(stderr, "input %s rep %d: %zu chain tasks\n",
				lib->name, k + 1, fired);
		}
		bench_report("input", "p50", lib->name, lib->api, "us", "low",
			     &p50, 0);
		bench_report("input", "p99", lib->name, lib->api, "us", "low",
			     &p99, 0);
	}
	return 0;
}
