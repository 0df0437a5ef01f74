/*
 * Work across threads: libsched's Performer against libuv, libevent and
 * GLib, and the raw mechanisms under them.
 *
 *   xthread [--quick] [--reps N] [--only xpost|wake]
 *
 * xpost   P producer threads (1, then 2) post N small async work items to
 *         a loop running in the main thread; the figure is N over the time
 *         from the producers' release until the last item ran (M/s).
 *         Every item must run exactly once. Items are pre-made where the
 *         library lets the caller own them (libuv's queue nodes, libevent
 *         events); libsched's performer recycles its own; GLib allocates
 *         a source per g_main_context_invoke().
 * wake    ping-pong between two threads, each sleeping in its own loop:
 *         one thread posts to the other, which posts back, K round trips;
 *         each one-way latency (post to callback) is recorded. Figures per
 *         repetition: p50 and p99 in us. Beside the libraries: a blocking
 *         read() on an eventfd, epoll_wait() on an eventfd (what a loop
 *         that sleeps must pay at least), and two threads spinning on a
 *         shared word (what not sleeping buys). Then libsched again with
 *         lsched_loop_set_spin(50 us) on both loops: rows spin-p50 and
 *         spin-p99 (the spin-then-sleep goal).
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <uv.h>

#include "bench.h"

/* ======================= cross-thread posts (xpost) ===================== */

static size_t x_total;     /* items to run */
static int x_producers;
static size_t x_ran;       /* counted on the loop's thread */
static int64_t x_end;
static _Atomic int64_t x_begin; /* the first producer's start */
static pthread_barrier_t x_start;

struct xlib {
	const char *name;
	const char *api;
	size_t scale_div; /* N / scale_div items: a slow peer posts fewer */
	void (*setup)(void);
	void *(*producer)(void *arg); /* arg: producer index */
	void (*run)(void);
	void (*teardown)(void);
};

/* Waits for the start, then notes when this producer began: the
 * earliest start is the beginning of the timed part (the loop's thread may
 * be scheduled out right after the barrier, while producers post). */
static void x_go(void)
{
	int64_t now, cur;

	pthread_barrier_wait(&x_start);
	now = bench_now();
	cur = atomic_load(&x_begin);
	while ((cur == 0 || now < cur) &&
	       !atomic_compare_exchange_weak(&x_begin, &cur, now))
		;
}

static size_t x_share(int p, size_t *first)
{
	size_t per = x_total / (size_t)x_producers;

	*first = per * (size_t)p;
	return p == x_producers - 1 ? x_total - *first : per;
}

/* ---- libsched ---- */
static lsched_loop *xl_loop;
static lsched_performer *xl_perf;

static void xl_work(void *arg)
{
	if (++x_ran == x_total) {
		x_end = bench_now();
		lsched_loop_stop(xl_loop);
	}
}

static void xl_setup(void)
{
	xl_loop = lsched_loop_new(NULL);
	xl_perf = xl_loop ? lsched_performer_new(xl_loop) : NULL;
	if (!xl_perf)
		bench_fail("libsched: cannot make a loop and performer");
}

static void *xl_producer(void *arg)
{
	size_t first, n = x_share((int)(intptr_t)arg, &first);

	x_go();
	for (size_t i = 0; i < n; i++) {
		int err = lsched_perform(xl_perf, xl_work, NULL, 0);

		if (err)
			bench_fail("libsched: lsched_perform: %s",
				   lsched_strerror(err));
	}
	return NULL;
}

static void xl_run(void)
{
	if (lsched_loop_run(xl_loop, LSCHED_RUN_DEFAULT))
		bench_fail("libsched: lsched_loop_run failed");
}

static void xl_teardown(void)
{
	lsched_performer_destroy(xl_perf);
	lsched_loop_destroy(xl_loop);
}

/* ---- libuv: uv_async_send and a locked queue of caller-owned nodes ---- */
struct uvq_node {
	struct uvq_node *next;
	void (*cb)(void *);
	void *arg;
};

static uv_loop_t xu_loop;
static uv_async_t xu_async;
static pthread_mutex_t xu_mu = PTHREAD_MUTEX_INITIALIZER;
static struct uvq_node *xu_head, *xu_tail, *xu_nodes;

static void xu_work(void *arg)
{
	if (++x_ran == x_total) {
		x_end = bench_now();
		uv_stop(&xu_loop);
	}
}

static void xu_drain(uv_async_t *h)
{
	struct uvq_node *n;

	pthread_mutex_lock(&xu_mu);
	n = xu_head;
	xu_head = xu_tail = NULL;
	pthread_mutex_unlock(&xu_mu);
	while (n) {
		struct uvq_node *next = n->next;

		n->cb(n->arg);
		n = next;
	}
}

static void xu_setup(void)
{
	if (uv_loop_init(&xu_loop) || uv_async_init(&xu_loop, &xu_async, xu_drain))
		bench_fail("libuv: cannot make a loop and async handle");
	xu_nodes = calloc(x_total, sizeof(*xu_nodes));
	if (!xu_nodes)
		bench_fail("libuv: out of memory");
	xu_head = xu_tail = NULL;
}

static void *xu_producer(void *arg)
{
	size_t first, n = x_share((int)(intptr_t)arg, &first);

	x_go();
	for (size_t i = 0; i < n; i++) {
		struct uvq_node *node = &xu_nodes[first + i];

		node->cb = xu_work;
		node->arg = NULL;
		node->next = NULL;
		pthread_mutex_lock(&xu_mu);
		if (xu_tail)
			xu_tail->next = node;
		else
			xu_head = node;
		xu_tail = node;
		pthread_mutex_unlock(&xu_mu);
		if (uv_async_send(&xu_async))
			bench_fail("libuv: uv_async_send failed");
	}
	return NULL;
}

static void xu_run(void)
{
	uv_run(&xu_loop, UV_RUN_DEFAULT);
}

static void xu_teardown(void)
{
	uv_close((uv_handle_t *)&xu_async, NULL);
	uv_run(&xu_loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&xu_loop))
		bench_fail("libuv: uv_loop_close: handles left");
	free(xu_nodes);
}

/* ---- libevent: event_active() from the producer on caller-owned events ---- */
static struct event_base *xe_base;
static struct event *xe_events;

static void xe_work(evutil_socket_t fd, short what, void *arg)
{
	if (++x_ran == x_total) {
		x_end = bench_now();
		event_base_loopbreak(xe_base);
	}
}

static void xe_setup(void)
{
	if (!(xe_base = event_base_new()))
		bench_fail("libevent: event_base_new failed");
	xe_events = calloc(x_total, sizeof(*xe_events));
	if (!xe_events)
		bench_fail("libevent: out of memory");
	for (size_t i = 0; i < x_total; i++)
		event_assign(&xe_events[i], xe_base, -1, 0, xe_work, NULL);
}

static void *xe_producer(void *arg)
{
	size_t first, n = x_share((int)(intptr_t)arg, &first);

	x_go();
	for (size_t i = 0; i < n; i++)
		event_active(&xe_events[first + i], EV_TIMEOUT, 0);
	return NULL;
}

static void xe_run(void)
{
	if (event_base_loop(xe_base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		bench_fail("libevent: event_base_loop failed");
}

static void xe_teardown(void)
{
	free(xe_events);
	event_base_free(xe_base);
}

/* ---- GLib: g_main_context_invoke() ---- */
static GMainContext *xg_ctx;
static GMainLoop *xg_loop;

static gboolean xg_work(gpointer arg)
{
	if (++x_ran == x_total) {
		x_end = bench_now();
		g_main_loop_quit(xg_loop);
	}
	return G_SOURCE_REMOVE;
}

static void xg_setup(void)
{
	xg_ctx = g_main_context_new();
	xg_loop = g_main_loop_new(xg_ctx, FALSE);
	/* Owned by this thread before any producer runs: otherwise a
	 * producer could acquire it and run the work itself. */
	if (!g_main_context_acquire(xg_ctx))
		bench_fail("GLib: cannot acquire the context");
}

static void *xg_producer(void *arg)
{
	size_t first, n = x_share((int)(intptr_t)arg, &first);

	x_go();
	for (size_t i = 0; i < n; i++)
		g_main_context_invoke(xg_ctx, xg_work, NULL);
	return NULL;
}

static void xg_run(void)
{
	g_main_loop_run(xg_loop);
}

static void xg_teardown(void)
{
	g_main_context_release(xg_ctx);
	g_main_loop_unref(xg_loop);
	g_main_context_unref(xg_ctx);
}

static const struct xlib xlibs[] = {
	{ "libsched", "lsched_perform (async)", 1, xl_setup, xl_producer,
	  xl_run, xl_teardown },
	{ "libuv", "uv_async_send + mutex-locked queue", 1, xu_setup,
	  xu_producer, xu_run, xu_teardown },
	{ "libevent", "event_active from the producer (evthread_use_pthreads)",
	  1, xe_setup, xe_producer, xe_run, xe_teardown },
	{ "GLib", "g_main_context_invoke", 10, xg_setup, xg_producer, xg_run,
	  xg_teardown },
};

static void measure_xpost(const struct bench_opts *o, int producers)
{
	size_t n_all = o->quick ? 20000 : 1000000;
	char variant[32];

	snprintf(variant, sizeof(variant), "%dprod", producers);
	for (size_t l = 0; l < sizeof(xlibs) / sizeof(xlibs[0]); l++) {
		const struct xlib *lib = &xlibs[l];
		struct bench_series ser = { .n = 0 };

		if (!bench_want_lib(o, lib->name))
			continue;
		x_total = n_all / lib->scale_div;
		x_producers = producers;
		for (int k = -1; k < o->reps; k++) {
			pthread_t th[2];
			char what[96];
			long f0;

			x_ran = 0;
			atomic_store(&x_begin, 0);
			lib->setup();
			if (pthread_barrier_init(&x_start, NULL,
						 (unsigned)producers + 1))
				bench_fail("pthread_barrier_init failed");
			for (int p = 0; p < producers; p++)
				if (pthread_create(&th[p], NULL, lib->producer,
						   (void *)(intptr_t)p))
					bench_fail("pthread_create failed");
			pthread_barrier_wait(&x_start);
			f0 = bench_minflt();
			lib->run();
			f0 = bench_minflt() - f0;
			for (int p = 0; p < producers; p++)
				pthread_join(th[p], NULL);
			pthread_barrier_destroy(&x_start);
			lib->teardown();
			snprintf(what, sizeof(what), "xpost/%s %s rep %d",
				 variant, lib->name, k + 1);
			bench_check(what, x_ran, x_total);
			if (k >= 0)
				bench_add(&ser,
					  (double)x_total * 1e3 /
						  (double)(x_end -
							   atomic_load(&x_begin)),
					  f0);
		}
		bench_report("xpost", variant, lib->name, lib->api, "M/s",
			     "high", &ser, x_total);
	}
}

/* ============================ ping-pong (wake) ========================== */

static size_t w_rounds;     /* round trips per repetition */
static double *w_lat;       /* one-way latencies, us */
static size_t w_n;
static _Atomic int64_t w_sent;
static size_t w_round;      /* round trips done (thread A) */

/* One side received: record the one-way latency. */
static void w_record(void)
{
	int64_t now = bench_now();

	w_lat[w_n++] = (double)(now - atomic_load(&w_sent)) / 1e3;
}

static void w_stamp(void)
{
	atomic_store(&w_sent, bench_now());
}

struct wlib {
	const char *name;
	const char *api;
	void (*setup)(void);
	void *(*thread_b)(void *arg);
	void (*run_a)(void); /* sends the first message, runs until done */
	void (*teardown)(void);
};

/* ---- raw eventfd: blocking read ---- */
static int wr_fd[2]; /* [0] wakes A, [1] wakes B */

static void wr_setup(void)
{
	wr_fd[0] = eventfd(0, EFD_CLOEXEC);
	wr_fd[1] = eventfd(0, EFD_CLOEXEC);
	if (wr_fd[0] < 0 || wr_fd[1] < 0)
		bench_fail("eventfd: %s", strerror(errno));
}

static void wr_send(int fd, uint64_t v)
{
	if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		bench_fail("eventfd write: %s", strerror(errno));
}

static uint64_t wr_recv(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		bench_fail("eventfd read: %s", strerror(errno));
	return v;
}

static void *wr_b(void *arg)
{
	/* 1: a message; 2: stop. */
	while (wr_recv(wr_fd[1]) == 1) {
		w_record();
		w_stamp();
		wr_send(wr_fd[0], 1);
	}
	return NULL;
}

static void wr_a(void)
{
	for (w_round = 0; w_round < w_rounds; w_round++) {
		w_stamp();
		wr_send(wr_fd[1], 1);
		wr_recv(wr_fd[0]);
		w_record();
	}
	wr_send(wr_fd[1], 2);
}

static void wr_teardown(void)
{
	close(wr_fd[0]);
	close(wr_fd[1]);
}

/* ---- epoll_wait on an eventfd ---- */
static int we_ep[2];

static void we_setup(void)
{
	wr_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	wr_fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (int i = 0; i < 2; i++) {
		struct epoll_event e = { .events = EPOLLIN };

		we_ep[i] = epoll_create1(EPOLL_CLOEXEC);
		if (wr_fd[i] < 0 || we_ep[i] < 0 ||
		    epoll_ctl(we_ep[i], EPOLL_CTL_ADD, wr_fd[i], &e))
			bench_fail("epoll/eventfd: %s", strerror(errno));
	}
}

static uint64_t we_recv(int i)
{
	struct epoll_event e;
	uint64_t v;

	for (;;) {
		int n = epoll_wait(we_ep[i], &e, 1, -1);

		if (n < 0 && errno != EINTR)
			bench_fail("epoll_wait: %s", strerror(errno));
		if (n == 1 && read(wr_fd[i], &v, sizeof(v)) == (ssize_t)sizeof(v))
			return v;
	}
}

static void *we_b(void *arg)
{
	while (we_recv(1) == 1) {
		w_record();
		w_stamp();
		wr_send(wr_fd[0], 1);
	}
	return NULL;
}

static void we_a(void)
{
	for (w_round = 0; w_round < w_rounds; w_round++) {
		w_stamp();
		wr_send(wr_fd[1], 1);
		we_recv(0);
		w_record();
	}
	wr_send(wr_fd[1], 2);
}

static void we_teardown(void)
{
	wr_teardown();
	close(we_ep[0]);
	close(we_ep[1]);
}

/* ---- spinning on a shared word ---- */
static _Atomic uint64_t ws_word; /* odd: B's turn; even: A's; ~0: stop */

static void ws_setup(void)
{
	atomic_store(&ws_word, 0);
}

static void *ws_b(void *arg)
{
	uint64_t seen = 0;

	for (;;) {
		uint64_t v;

		while ((v = atomic_load(&ws_word)) == seen || !(v & 1))
			__builtin_ia32_pause();
		if (v == UINT64_MAX)
			return NULL;
		w_record();
		w_stamp();
		seen = v + 1;
		atomic_store(&ws_word, seen);
	}
}

static void ws_a(void)
{
	uint64_t v = 0;

	for (w_round = 0; w_round < w_rounds; w_round++) {
		w_stamp();
		atomic_store(&ws_word, ++v);
		while (atomic_load(&ws_word) == v)
			__builtin_ia32_pause();
		v++;
		w_record();
	}
	atomic_store(&ws_word, UINT64_MAX);
}

static void ws_teardown(void)
{
}

/* ---- libsched: a performer on each loop ---- */
static lsched_loop *wl_loop[2];
static lsched_performer *wl_perf[2];

static void wl_at_a(void *arg);

static void wl_at_b(void *arg)
{
	w_record();
	w_stamp();
	if (lsched_perform(wl_perf[0], wl_at_a, NULL, 0))
		bench_fail("libsched: lsched_perform failed");
}

static void wl_at_a(void *arg)
{
	w_record();
	if (++w_round == w_rounds) {
		lsched_loop_stop(wl_loop[1]);
		lsched_loop_stop(wl_loop[0]);
		return;
	}
	w_stamp();
	if (lsched_perform(wl_perf[1], wl_at_b, NULL, 0))
		bench_fail("libsched: lsched_perform failed");
}

/* The spin-then-sleep row: both loops spin this long before sleeping. */
#define WL_SPIN_NS 50000
static int64_t wl_spin;

static void wl_setup(void)
{
	for (int i = 0; i < 2; i++) {
		wl_loop[i] = lsched_loop_new(NULL);
		wl_perf[i] = wl_loop[i] ? lsched_performer_new(wl_loop[i]) : NULL;
		if (!wl_perf[i])
			bench_fail("libsched: cannot make a loop and performer");
		if (lsched_loop_set_spin(wl_loop[i], wl_spin))
			bench_fail("libsched: lsched_loop_set_spin failed");
	}
}

static void *wl_b(void *arg)
{
	if (lsched_loop_run(wl_loop[1], LSCHED_RUN_DEFAULT))
		bench_fail("libsched: lsched_loop_run failed");
	return NULL;
}

static void wl_a(void)
{
	w_round = 0;
	w_stamp();
	if (lsched_perform(wl_perf[1], wl_at_b, NULL, 0))
		bench_fail("libsched: lsched_perform failed");
	if (lsched_loop_run(wl_loop[0], LSCHED_RUN_DEFAULT))
		bench_fail("libsched: lsched_loop_run failed");
}

static void wl_teardown(void)
{
	for (int i = 0; i < 2; i++) {
		lsched_performer_destroy(wl_perf[i]);
		lsched_loop_destroy(wl_loop[i]);
	}
}

/* ---- libuv: uv_async_send ---- */
static uv_loop_t wu_loop[2];
static uv_async_t wu_async[2];
static atomic_int wu_done;

static void wu_at_b(uv_async_t *h)
{
	if (atomic_load(&wu_done)) {
		uv_close((uv_handle_t *)h, NULL);
		return;
	}
	w_record();
	w_stamp();
	uv_async_send(&wu_async[0]);
}

static void wu_at_a(uv_async_t *h)
{
	w_record();
	if (++w_round == w_rounds) {
		atomic_store(&wu_done, 1);
		uv_async_send(&wu_async[1]);
		uv_close((uv_handle_t *)h, NULL);
		return;
	}
	w_stamp();
	uv_async_send(&wu_async[1]);
}

static void wu_setup(void)
{
	atomic_store(&wu_done, 0);
	if (uv_loop_init(&wu_loop[0]) || uv_loop_init(&wu_loop[1]) ||
	    uv_async_init(&wu_loop[0], &wu_async[0], wu_at_a) ||
	    uv_async_init(&wu_loop[1], &wu_async[1], wu_at_b))
		bench_fail("libuv: cannot make loops and async handles");
}

static void *wu_b(void *arg)
{
	uv_run(&wu_loop[1], UV_RUN_DEFAULT);
	return NULL;
}

static void wu_a(void)
{
	w_round = 0;
	w_stamp();
	uv_async_send(&wu_async[1]);
	uv_run(&wu_loop[0], UV_RUN_DEFAULT);
}

static void wu_teardown(void)
{
	if (uv_loop_close(&wu_loop[0]) || uv_loop_close(&wu_loop[1]))
		bench_fail("libuv: uv_loop_close: handles left");
}

/* ---- libevent: event_active() across threads ---- */
static struct event_base *wv_base[2];
static struct event wv_ev[2];

static void wv_at_b(evutil_socket_t fd, short what, void *arg)
{
	w_record();
	w_stamp();
	event_active(&wv_ev[0], EV_TIMEOUT, 0);
}

static void wv_at_a(evutil_socket_t fd, short what, void *arg)
{
	w_record();
	if (++w_round == w_rounds) {
		event_base_loopbreak(wv_base[1]);
		event_base_loopbreak(wv_base[0]);
		return;
	}
	w_stamp();
	event_active(&wv_ev[1], EV_TIMEOUT, 0);
}

static void wv_setup(void)
{
	for (int i = 0; i < 2; i++)
		if (!(wv_base[i] = event_base_new()))
			bench_fail("libevent: event_base_new failed");
	event_assign(&wv_ev[0], wv_base[0], -1, 0, wv_at_a, NULL);
	event_assign(&wv_ev[1], wv_base[1], -1, 0, wv_at_b, NULL);
}

static void *wv_b(void *arg)
{
	event_base_loop(wv_base[1], EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void wv_a(void)
{
	w_round = 0;
	w_stamp();
	event_active(&wv_ev[1], EV_TIMEOUT, 0);
	event_base_loop(wv_base[0], EVLOOP_NO_EXIT_ON_EMPTY);
}

static void wv_teardown(void)
{
	event_base_free(wv_base[0]);
	event_base_free(wv_base[1]);
}

/* ---- GLib: g_main_context_invoke() ---- */
static GMainContext *wg_ctx[2];
static GMainLoop *wg_loop[2];

static gboolean wg_at_a(gpointer arg);

static gboolean wg_at_b(gpointer arg)
{
	w_record();
	w_stamp();
	g_main_context_invoke(wg_ctx[0], wg_at_a, NULL);
	return G_SOURCE_REMOVE;
}

static gboolean wg_at_a(gpointer arg)
{
	w_record();
	if (++w_round == w_rounds) {
		g_main_loop_quit(wg_loop[1]);
		g_main_loop_quit(wg_loop[0]);
		return G_SOURCE_REMOVE;
	}
	w_stamp();
	g_main_context_invoke(wg_ctx[1], wg_at_b, NULL);
	return G_SOURCE_REMOVE;
}

static pthread_barrier_t wg_ready;

static void wg_setup(void)
{
	for (int i = 0; i < 2; i++) {
		wg_ctx[i] = g_main_context_new();
		wg_loop[i] = g_main_loop_new(wg_ctx[i], FALSE);
	}
	pthread_barrier_init(&wg_ready, NULL, 2);
}

static void *wg_b(void *arg)
{
	/* Owned before A posts: else A could run B's work itself. */
	g_main_context_acquire(wg_ctx[1]);
	pthread_barrier_wait(&wg_ready);
	g_main_loop_run(wg_loop[1]);
	g_main_context_release(wg_ctx[1]);
	return NULL;
}

static void wg_a(void)
{
	g_main_context_acquire(wg_ctx[0]);
	pthread_barrier_wait(&wg_ready);
	w_round = 0;
	w_stamp();
	g_main_context_invoke(wg_ctx[1], wg_at_b, NULL);
	g_main_loop_run(wg_loop[0]);
	g_main_context_release(wg_ctx[0]);
}

static void wg_teardown(void)
{
	for (int i = 0; i < 2; i++) {
		g_main_loop_unref(wg_loop[i]);
		g_main_context_unref(wg_ctx[i]);
	}
	pthread_barrier_destroy(&wg_ready);
}

static const struct wlib wlibs[] = {
	{ "libsched", "lsched_perform to the other loop", wl_setup, wl_b, wl_a,
	  wl_teardown },
	{ "libuv", "uv_async_send", wu_setup, wu_b, wu_a, wu_teardown },
	{ "libevent", "event_active across threads", wv_setup, wv_b, wv_a,
	  wv_teardown },
	{ "GLib", "g_main_context_invoke", wg_setup, wg_b, wg_a, wg_teardown },
	{ "eventfd", "write + blocking read of an eventfd (floor)", wr_setup,
	  wr_b, wr_a, wr_teardown },
	{ "epoll+eventfd", "write + epoll_wait on an eventfd (floor of a loop)",
	  we_setup, we_b, we_a, we_teardown },
	{ "spin", "two threads spinning on a shared word (no sleep)", ws_setup,
	  ws_b, ws_a, ws_teardown },
};

/* One library's ping-pong: p50 and p99 rows named v50 and v99. */
static void measure_wake_lib(const struct bench_opts *o,
			     const struct wlib *lib, const char *v50,
			     const char *v99)
{
	struct bench_series p50 = { .n = 0 }, p99 = { .n = 0 };

	for (int k = -1; k < o->reps; k++) {
		pthread_t th;
		char what[96];
		long f0;

		w_n = 0;
		lib->setup();
		f0 = bench_minflt();
		if (pthread_create(&th, NULL, lib->thread_b, NULL))
			bench_fail("pthread_create failed");
		lib->run_a();
		pthread_join(th, NULL);
		f0 = bench_minflt() - f0;
		lib->teardown();
		snprintf(what, sizeof(what), "wake %s %s rep %d", lib->name,
			 v50, k + 1);
		bench_check(what, w_n, 2 * w_rounds);
		if (k < 0)
			continue;
		bench_add(&p50, bench_percentile(w_lat, w_n, 50), f0);
		bench_add(&p99, bench_percentile(w_lat, w_n, 99), f0);
	}
	bench_report("wake", v50, lib->name, lib->api, "us", "low", &p50, 0);
	bench_report("wake", v99, lib->name, lib->api, "us", "low", &p99, 0);
}

static void measure_wake(const struct bench_opts *o)
{
	static const struct wlib spin = {
		"libsched",
		"lsched_perform to the other loop, lsched_loop_set_spin(50 us)",
		wl_setup, wl_b, wl_a, wl_teardown
	};

	w_rounds = o->quick ? 200 : 2000;
	w_lat = calloc(2 * w_rounds, sizeof(*w_lat));
	if (!w_lat)
		bench_fail("out of memory");
	for (size_t l = 0; l < sizeof(wlibs) / sizeof(wlibs[0]); l++) {
		if (bench_want_lib(o, wlibs[l].name))
			measure_wake_lib(o, &wlibs[l], "p50", "p99");
	}
	/* Spin-then-sleep: the same libsched ping-pong, both loops
	 * spinning 50 us before they sleep. */
	if (bench_want_lib(o, "libsched")) {
		wl_spin = WL_SPIN_NS;
		measure_wake_lib(o, &spin, "spin-p50", "spin-p99");
		wl_spin = 0;
	}
	free(w_lat);
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_prog = "xthread";
	bench_parse(argc, argv, &o, "xpost wake");
	if (evthread_use_pthreads())
		bench_fail("libevent: evthread_use_pthreads failed");
	bench_memory_setup(o.quick ? 16 : 256);
	if (bench_want(&o, "xpost")) {
		measure_xpost(&o, 1);
		measure_xpost(&o, 2);
	}
	if (bench_want(&o, "wake"))
		measure_wake(&o);
	return 0;
}
