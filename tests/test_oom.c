/*
 * Out of memory: every allocation the library makes fails in turn. Each
 * call must return -ENOMEM (or NULL with errno ENOMEM), leave nothing
 * allocated or half-registered, and leave the loop usable.
 * The allocator is wrapped with -Wl,--wrap (see the Makefile).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "testutil.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_aligned_alloc(size_t align, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_aligned_alloc(size_t align, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

/* fail_at: the allocation number (1-based, counted from arming) that
 * fails; 0 means none. live: allocations not yet freed. Only the
 * library's and this file's calls are wrapped (libc's and cmocka's own
 * allocations are not), and the library allocates on its threads too
 * (servers, pools): hence atomics. */
static atomic_long fail_at, count, failed;
static atomic_long live;
static atomic_bool failing_all; /* every allocation fails */

static bool should_fail(void)
{
	if (atomic_load(&failing_all)) {
		atomic_fetch_add(&failed, 1);
		return true;
	}
	if (atomic_load(&fail_at) &&
	    atomic_fetch_add(&count, 1) + 1 == atomic_load(&fail_at)) {
		atomic_fetch_add(&failed, 1);
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	void *p;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_malloc(n);
	if (p)
		atomic_fetch_add(&live, 1);
	return p;
}

void *__wrap_calloc(size_t n, size_t m)
{
	void *p;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_calloc(n, m);
	if (p)
		atomic_fetch_add(&live, 1);
	return p;
}

/* Tasks are allocated on a cache line's boundary. */
void *__wrap_aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_aligned_alloc(align, n);
	if (p)
		atomic_fetch_add(&live, 1);
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	void *p;

	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_realloc(old, n);
	if (p && !old)
		atomic_fetch_add(&live, 1);
	return p;
}

void __wrap_free(void *p)
{
	if (p)
		atomic_fetch_sub(&live, 1);
	__real_free(p);
}

static void arm(long k)
{
	atomic_store(&fail_at, 0);
	atomic_store(&count, 0);
	atomic_store(&failed, 0);
	atomic_store(&fail_at, k);
}

static void fail_all(bool on)
{
	if (on)
		atomic_store(&failed, 0);
	atomic_store(&failing_all, on);
}

static void on_task(lsched_task *t, void *arg)
{
	(*(int *)arg)++;
}

static void on_timer(lsched_timer *t, void *arg)
{
	(*(int *)arg)++;
}

static void on_fd(lsched_loop *loop, int fd, unsigned ev, void *arg)
{
	char c;

	(*(int *)arg)++;
	(void)!read(fd, &c, 1);
}

static void test_oom_clock_and_loop_new(void **state)
{
	long base = live;
	int failures = 0;

	for (long k = 1;; k++) {
		lsched_loop *loop;

		arm(k);
		loop = lsched_loop_new(NULL);
		arm(0);
		if (loop) {
			assert_int_equal(lsched_loop_destroy(loop), 0);
			break;
		}
		assert_int_equal(errno, ENOMEM);
		assert_int_equal(live, base);
		failures++;
	}
	assert_true(failures >= 2); /* the loop and the poller's state */

	arm(1);
	assert_null(lsched_clock_new_virtual(0));
	assert_int_equal(errno, ENOMEM);
	arm(0);
	assert_int_equal(live, base);
}

/* Creates tasks until the heap must grow, failing each allocation in turn;
 * every failure leaves the loop as it was and the tasks made so far run. */
static void test_oom_task_and_timer_new(void **state)
{
	long base = live;
	struct vfix *f = NULL;
	lsched_task *tasks[40];
	lsched_timer *timers[40];
	int ran = 0, fired = 0, failures = 0;

	assert_int_equal(vfix_setup((void **)&f), 0);
	for (int i = 0; i < 40; i++) {
		for (long k = 1;; k++) {
			long before = live;

			arm(k);
			tasks[i] = lsched_task_new(f->loop, "t", LSCHED_TASK_IDLE,
						   LSCHED_PRIO_DEFAULT, on_task,
						   &ran);
			arm(0);
			if (tasks[i])
				break;
			assert_int_equal(errno, ENOMEM);
			/* Only the heaps' grown capacity may stay. */
			assert_in_range(live, before, before + 2);
			failures++;
		}
		for (long k = 1;; k++) {
			long before = live;

			arm(k);
			timers[i] = lsched_timer_new(f->loop, on_timer, &fired);
			arm(0);
			if (timers[i])
				break;
			assert_int_equal(errno, ENOMEM);
			assert_in_range(live, before, before + 1);
			failures++;
		}
	}
	/* One failure per task, plus heap growth at 16 and 32 slots; timers
	 * allocate only when their room grows (a slab of 64 timers, the
	 * heap and the due array at 16 and 32). */
	assert_true(failures >= 40 + 2 + 1 + 3 + 3);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(lsched_task_start(tasks[i]), 0);
		assert_int_equal(lsched_timer_start(timers[i], 0, 0,
						    LSCHED_CATCHUP_SKIP), 0);
	}
	run_cycles(f->loop, 5);
	assert_int_equal(ran, 40);
	assert_int_equal(fired, 40);
	for (int i = 0; i < 40; i++) {
		lsched_task_destroy(tasks[i]);
		lsched_timer_destroy(timers[i]);
	}
	assert_int_equal(vfix_teardown((void **)&f), 0);
	assert_int_equal(live, base);
}

static void test_oom_watch_fd(void **state)
{
	long base = live, before;
	struct vfix *f = NULL;
	int p[2], calls = 0, failures = 0;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(vfix_setup((void **)&f), 0);
	/* fd 200: the descriptor table must grow too. */
	assert_int_equal(dup2(p[0], 200), 200);
	before = live;
	for (long k = 1;; k++) {
		int rc;

		arm(k);
		rc = lsched_loop_watch_fd(f->loop, 200, LSCHED_FD_READ, on_fd,
					  &calls);
		arm(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		/* Only the descriptor table's grown capacity may stay. */
		assert_in_range(live, before, before + 1);
		assert_int_equal(lsched_loop_unwatch_fd(f->loop, 200), -ENOENT);
		failures++;
	}
	assert_int_equal(lsched_loop_unwatch_fd(f->loop, 200), 0);
	close(200);
	assert_true(failures >= 1);
	for (long k = 1;; k++) {
		int rc;

		arm(k);
		rc = lsched_loop_watch_fd(f->loop, p[0], LSCHED_FD_READ, on_fd,
					  &calls);
		arm(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_int_equal(lsched_loop_unwatch_fd(f->loop, p[0]),
				 -ENOENT);
	}
	assert_int_equal(write(p[1], "x", 1), 1);
	run_cycles(f->loop, 2);
	assert_int_equal(calls, 1);
	assert_int_equal(lsched_loop_unwatch_fd(f->loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(vfix_teardown((void **)&f), 0);
	assert_int_equal(live, base);
}


/* ---- the cross-thread parts ------------------------------------------------ */

static void work_count(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* Posts from a thread that does not run the loop, so that the first post
 * of a batch goes the whole way (item, wake-up). */
struct post_req {
	lsched_performer *p;
	int prio; /* < 0: lsched_perform() */
	atomic_int *n;
	long fail_k;
	int rc;
};

static void *post_main(void *arg)
{
	struct post_req *r = arg;

	arm(r->fail_k);
	r->rc = r->prio < 0 ? lsched_perform(r->p, work_count, r->n, 0)
			    : lsched_perform_at(r->p, r->prio, "post",
						work_count, r->n, 0);
	arm(0);
	return NULL;
}

static int post_from_thread(lsched_performer *p, int prio, atomic_int *n,
			    long k)
{
	struct post_req r = { p, prio, n, k, 1 };
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, post_main, &r), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	return r.rc;
}

/* lsched_performer_new() and the first posts (which grow the item pool):
 * each allocation fails in turn; a refused post never runs, an accepted
 * one runs once. */
static void test_oom_performer(void **state)
{
	long base = live;
	struct vfix *f = NULL;
	lsched_performer *p;
	atomic_int n = 0;
	int failures = 0, accepted = 0;

	assert_int_equal(vfix_setup((void **)&f), 0);
	for (long k = 1;; k++) {
		arm(k);
		p = lsched_performer_new(f->loop);
		arm(0);
		if (p)
			break;
		assert_int_equal(errno, ENOMEM);
		failures++;
	}
	assert_true(failures >= 1);
	/* The item pool is shared by the live performers and freed with the
	 * last: with p gone, each q starts from an empty pool. */
	lsched_performer_destroy(p);
	/* A first-class post, then one at a priority: each allocation of
	 * the post fails in turn. */
	for (int prio = -1; prio <= LSCHED_PRIO_LOWEST; prio += 1 + 7) {
		lsched_performer *q = lsched_performer_new(f->loop);

		assert_non_null(q);
		failures = 0;
		for (long k = 1;; k++) {
			int rc = post_from_thread(q, prio, &n, k);

			if (rc == 0)
				break;
			assert_int_equal(rc, -ENOMEM);
			run_cycles(f->loop, 2);
			assert_int_equal(atomic_load(&n), accepted);
			failures++;
		}
		assert_true(failures >= 1);
		accepted++;
		run_cycles(f->loop, 3);
		assert_int_equal(atomic_load(&n), accepted);
		lsched_performer_destroy(q);
	}
	assert_int_equal(vfix_teardown((void **)&f), 0);
	assert_int_equal(live, base);
}

/* A post at a priority becomes a task when the loop takes it: if that
 * task cannot be made, the work runs at once instead of being lost. */
static void test_oom_perform_at_task_runs_anyway(void **state)
{
	long base = live;
	struct vfix *f = NULL;
	lsched_performer *p;
	atomic_int n = 0;
	struct lsched_performer_stats st;
	int expect = 0;

	assert_int_equal(vfix_setup((void **)&f), 0);
	p = lsched_performer_new(f->loop);
	assert_non_null(p);
	for (long k = 1; k <= 4; k++) {
		assert_int_equal(post_from_thread(p, LSCHED_PRIO_LOWEST, &n, 0),
				 0);
		expect++;
		/* Fails the k-th allocation of the drain (the task, its heap
		 * slots): the work runs either way, exactly once. */
		arm(k);
		run_cycles(f->loop, 3);
		arm(0);
		run_cycles(f->loop, 2);
		assert_int_equal(atomic_load(&n), expect);
	}
	assert_int_equal(lsched_performer_stats(p, &st), 0);
	assert_int_equal(st.posts, 4);
	assert_int_equal(st.ran, 4);
	lsched_performer_destroy(p);
	assert_int_equal(vfix_teardown((void **)&f), 0);
	assert_int_equal(live, base);
}

static int msg_ok(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
	return 0;
}

static void payload_free(void *p)
{
	free(p);
}

/* lsched_server_start() (its thread makes the loop and the performer),
 * lsched_server_handle(), lsched_server_send(): each allocation fails in
 * turn; the server that starts works and stops cleanly. */
static void test_oom_server(void **state)
{
	long base = live;
	struct lsched_server_config cfg = { .name = "oom-server" };
	struct lsched_server_stats st;
	lsched_server *srv;
	atomic_int handled = 0;
	int failures = 0, rc;
	void *payload;

	for (long k = 1;; k++) {
		arm(k);
		srv = lsched_server_start(&cfg);
		arm(0);
		if (srv)
			break;
		assert_int_equal(errno, ENOMEM);
		assert_null(lsched_server_find("oom-server"));
		assert_int_equal(live, base);
		failures++;
	}
	assert_true(failures >= 3); /* server, loop, poller state... */
	for (long k = 1;; k++) {
		arm(k);
		rc = lsched_server_handle(srv, 1, msg_ok, &handled);
		arm(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
	}
	failures = 0;
	payload = malloc(8);
	assert_non_null(payload);
	for (long k = 1;; k++) {
		arm(k);
		rc = lsched_server_send(srv, 1, payload, payload_free);
		arm(0);
		if (rc == 0)
			break;
		/* Refused: the payload is still ours (valgrind would see a
		 * double free otherwise). */
		assert_int_equal(rc, -ENOMEM);
		failures++;
	}
	/* The message; the item pool (shared by the live performers) may
	 * have grown already, at the server's startup. */
	assert_true(failures >= 1);
	assert_int_equal(lsched_server_stop(srv), 0);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.handled, 1);
	assert_int_equal(st.refused, (uint64_t)failures);
	assert_int_equal(atomic_load(&handled), 1);
	assert_int_equal(lsched_server_destroy(srv), 0);
	assert_int_equal(live, base);
}

/* The stop of a server needs no allocation. A handler holds the server's
 * thread while 256 messages (one chunk of performer items: every item in
 * flight) wait, so the stop's post must grow the item pool, and every
 * allocation fails: the stop still stops the server, and every accepted
 * message is handled. */
struct gate {
	lsched_server *srv;
	atomic_bool open;
	atomic_int handled;
};

static int msg_gated(lsched_server *srv, uint32_t id, void *payload,
		     void *arg)
{
	struct gate *g = arg;

	while (!atomic_load(&g->open))
		usleep(100);
	atomic_fetch_add(&g->handled, 1);
	return 0;
}

static void *gate_opener(void *arg)
{
	struct gate *g = arg;

	/* Once the stop has begun (and its post has failed). */
	while (!lsched_server_stopping(g->srv) || atomic_load(&failed) == 0)
		usleep(100);
	atomic_store(&g->open, true);
	return NULL;
}

static void test_oom_server_stop(void **state)
{
	long base = live;
	struct lsched_server_config cfg = { .name = "oom-stop" };
	struct lsched_server_stats st;
	struct gate g = { 0 };
	pthread_t opener;

	g.srv = lsched_server_start(&cfg);
	assert_non_null(g.srv);
	assert_int_equal(lsched_server_handle(g.srv, 1, msg_gated, &g), 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(lsched_server_send(g.srv, 1, NULL, NULL), 0);
	assert_int_equal(pthread_create(&opener, NULL, gate_opener, &g), 0);
	fail_all(true);
	alarm(30);
	assert_int_equal(lsched_server_stop(g.srv), 0);
	alarm(0);
	fail_all(false);
	assert_int_equal(pthread_join(opener, NULL), 0);
	assert_true(atomic_load(&failed) >= 1);
	assert_int_equal(lsched_server_stats(g.srv, &st), 0);
	assert_int_equal(st.accepted, 256);
	assert_int_equal(st.handled, 256);
	assert_int_equal(atomic_load(&g.handled), 256);
	assert_int_equal(lsched_server_send(g.srv, 1, NULL, NULL), -ESHUTDOWN);
	assert_int_equal(lsched_server_destroy(g.srv), 0);
	assert_int_equal(live, base);
}

static int job_ok(void *arg, void **result)
{
	*result = arg;
	return 0;
}

static void job_done(int status, void *result, void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* lsched_pool_new() and the first lsched_pool_submit(). */
static void test_oom_pool(void **state)
{
	long base = live;
	struct vfix *f = NULL;
	lsched_performer *reply;
	lsched_pool *pool;
	atomic_int done = 0;
	int failures = 0, rc;

	for (long k = 1;; k++) {
		arm(k);
		pool = lsched_pool_new(2, "oom");
		arm(0);
		if (pool)
			break;
		assert_int_equal(errno, ENOMEM);
		assert_int_equal(live, base);
		failures++;
	}
	assert_true(failures >= 1);
	assert_int_equal(vfix_setup((void **)&f), 0);
	reply = lsched_performer_new(f->loop);
	assert_non_null(reply);
	failures = 0;
	for (long k = 1;; k++) {
		arm(k);
		rc = lsched_pool_submit(pool, reply, job_ok, job_done, &done);
		arm(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		failures++;
	}
	assert_true(failures >= 1);
	/* The completion comes back through the reply performer. */
	for (int i = 0; i < 2000 && atomic_load(&done) == 0; i++) {
		run_cycles(f->loop, 1);
		usleep(1000);
	}
	assert_int_equal(atomic_load(&done), 1);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	lsched_performer_destroy(reply);
	assert_int_equal(vfix_teardown((void **)&f), 0);
	assert_int_equal(live, base);
}

static void cmd_count(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

static void build_nothing(void *arg)
{
}

/* lsched_dispatcher_new(), lsched_dispatcher_spawn(), and the first
 * enqueue, activate and deactivate of each: a refused command is neither
 * run nor discarded. */
static void test_oom_dispatcher(void **state)
{
	long base = live;
	struct lsched_dispatcher_config cfg = { .builder = build_nothing };
	struct vfix *f = NULL;
	lsched_dispatcher *d;
	atomic_int ran = 0, discarded = 0;
	int failures = 0, rc;

	assert_int_equal(vfix_setup((void **)&f), 0);
	for (long k = 1;; k++) {
		arm(k);
		d = lsched_dispatcher_new(f->loop, &cfg);
		arm(0);
		if (d)
			break;
		assert_int_equal(errno, ENOMEM);
		failures++;
	}
	assert_true(failures >= 3); /* dispatcher, performer, two tasks */
	for (long k = 1;; k++) {
		arm(k);
		rc = lsched_dispatcher_enqueue(d, "c", cmd_count, cmd_count,
					       &ran);
		arm(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
	}
	run_cycles(f->loop, 4);
	assert_int_equal(atomic_load(&ran), 1);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	assert_int_equal(vfix_teardown((void **)&f), 0);
	assert_int_equal(live, base);

	failures = 0;
	for (long k = 1;; k++) {
		arm(k);
		d = lsched_dispatcher_spawn("oom-dispatch", &cfg);
		arm(0);
		if (d)
			break;
		assert_int_equal(errno, ENOMEM);
		assert_null(lsched_server_find("oom-dispatch"));
		assert_int_equal(live, base);
		failures++;
	}
	assert_true(failures >= 4);
	ran = 0;
	for (long k = 1;; k++) {
		arm(k);
		rc = lsched_dispatcher_enqueue(d, "c", cmd_count, cmd_count,
					       &discarded);
		arm(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
	}
	assert_int_equal(lsched_dispatcher_deactivate(d), 0);
	assert_int_equal(lsched_dispatcher_activate(d), 0);
	assert_true(lsched_dispatcher_stop(d) >= 0);
	assert_true(lsched_dispatcher_destroy(d) >= 0);
	/* The one accepted command ran or was discarded, once. */
	assert_int_equal(atomic_load(&discarded), 1);
	assert_int_equal(live, base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_clock_and_loop_new),
		cmocka_unit_test(test_oom_task_and_timer_new),
		cmocka_unit_test(test_oom_watch_fd),
		cmocka_unit_test(test_oom_performer),
		cmocka_unit_test(test_oom_perform_at_task_runs_anyway),
		cmocka_unit_test(test_oom_server),
		cmocka_unit_test(test_oom_server_stop),
		cmocka_unit_test(test_oom_pool),
		cmocka_unit_test(test_oom_dispatcher),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
