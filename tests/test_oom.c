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

#include "testutil.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

/* fail_at: the allocation number (1-based, counted from arming) that
 * fails; 0 means none. live: allocations not yet freed. */
static long fail_at, count;
static long live;

static bool should_fail(void)
{
	return fail_at && ++count == fail_at;
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
		live++;
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
		live++;
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
		live++;
	return p;
}

void __wrap_free(void *p)
{
	if (p)
		live--;
	__real_free(p);
}

static void arm(long k)
{
	fail_at = k;
	count = 0;
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
	/* One failure per object, plus heap growth at 16 and 32 slots. */
	assert_true(failures > 80);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_clock_and_loop_new),
		cmocka_unit_test(test_oom_task_and_timer_new),
		cmocka_unit_test(test_oom_watch_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
