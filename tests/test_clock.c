/*
 * Clock tests: the shared monotonic clock and virtual clocks.
 *
 * The virtual clock is the base of every timing test in the suite, so its
 * rules are pinned down here: it reads what it was told, only moves forward,
 * refuses bad arguments without changing, and is moved atomically.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <time.h>

#include "testutil.h"

static int64_t sys_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* ---- monotonic clock ------------------------------------------------- */

static void test_clock_monotonic_is_shared_and_real(void **state)
{
	lsched_clock *c = lsched_clock_monotonic();
	assert_non_null(c);
	assert_ptr_equal(c, lsched_clock_monotonic());
	assert_false(lsched_clock_is_virtual(c));
}

static void test_clock_monotonic_non_decreasing(void **state)
{
	lsched_clock *c = lsched_clock_monotonic();
	int64_t prev = lsched_clock_now(c);
	assert_true(prev >= 0);
	for (int i = 0; i < 100000; i++) {
		int64_t t = lsched_clock_now(c);
		assert_true(t >= prev);
		prev = t;
	}
}

/* The real clock counts from CLOCK_MONOTONIC's origin (common.h). */
static void test_clock_monotonic_matches_clock_monotonic(void **state)
{
	lsched_clock *c = lsched_clock_monotonic();
	int64_t before = sys_monotonic_ns();
	int64_t t = lsched_clock_now(c);
	int64_t after = sys_monotonic_ns();
	assert_true(before <= t);
	assert_true(t <= after);
}

/* The static clock must survive destroy: destroy is a no-op for it. */
static void test_clock_monotonic_destroy_is_noop(void **state)
{
	lsched_clock *c = lsched_clock_monotonic();
	int64_t t0 = lsched_clock_now(c);
	lsched_clock_destroy(c);
	lsched_clock_destroy(c);
	assert_ptr_equal(c, lsched_clock_monotonic());
	assert_true(lsched_clock_now(c) >= t0);
	lsched_clock_destroy(NULL); /* also a no-op */
}

static void test_clock_monotonic_refuses_moves(void **state)
{
	lsched_clock *c = lsched_clock_monotonic();
	int64_t now = lsched_clock_now(c);
	assert_int_equal(lsched_clock_advance(c, 0), -EINVAL);
	assert_int_equal(lsched_clock_advance(c, LSCHED_S(1)), -EINVAL);
	assert_int_equal(lsched_clock_set(c, now + LSCHED_S(3600)), -EINVAL);
	assert_int_equal(lsched_clock_set_auto_advance(c, true), -EINVAL);
	assert_int_equal(lsched_clock_set_auto_advance(c, false), -EINVAL);
	/* Still far from an hour later: the refused set did not move it. */
	assert_true(lsched_clock_now(c) < now + LSCHED_S(3600));
}

/* ---- virtual clock ---------------------------------------------------- */

static void test_clock_virtual_start(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(c);
	assert_true(lsched_clock_is_virtual(c));
	assert_int_equal(lsched_clock_now(c), LSCHED_S(1));
	/* Reading does not move it. */
	assert_int_equal(lsched_clock_now(c), LSCHED_S(1));
	lsched_clock_destroy(c);

	c = lsched_clock_new_virtual(0);
	assert_non_null(c);
	assert_int_equal(lsched_clock_now(c), 0);
	lsched_clock_destroy(c);

	c = lsched_clock_new_virtual(INT64_MAX / 2);
	assert_non_null(c);
	assert_int_equal(lsched_clock_now(c), INT64_MAX / 2);
	lsched_clock_destroy(c);
}

static void test_clock_virtual_negative_start(void **state)
{
	errno = 0;
	assert_null(lsched_clock_new_virtual(-1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(lsched_clock_new_virtual(INT64_MIN));
	assert_int_equal(errno, EINVAL);
}

static void test_clock_virtual_advance(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(42);
	assert_non_null(c);
	assert_int_equal(lsched_clock_advance(c, 10), 0);
	assert_int_equal(lsched_clock_now(c), 52);
	assert_int_equal(lsched_clock_advance(c, 0), 0);
	assert_int_equal(lsched_clock_now(c), 52);
	assert_int_equal(lsched_clock_advance(c, LSCHED_S(2)), 0);
	assert_int_equal(lsched_clock_now(c), 52 + LSCHED_S(2));
	lsched_clock_destroy(c);
}

static void test_clock_virtual_negative_delta(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(c);
	assert_int_equal(lsched_clock_advance(c, -1), -EINVAL);
	assert_int_equal(lsched_clock_advance(c, INT64_MIN), -EINVAL);
	assert_int_equal(lsched_clock_now(c), LSCHED_S(1));
	lsched_clock_destroy(c);
}

/* "Time never goes backwards": an advance past INT64_MAX must be refused
 * or saturate, never wrap around to a negative time. */
static void test_clock_virtual_advance_overflow(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(c);
	int rc = lsched_clock_advance(c, INT64_MAX);
	int64_t t = lsched_clock_now(c);
	lsched_clock_destroy(c); /* before asserting: no leak on failure */
	assert_true(t >= LSCHED_S(1));
	if (rc == 0)
		assert_int_equal(t, INT64_MAX);
	else
		assert_int_equal(t, LSCHED_S(1));
}

static void test_clock_virtual_set(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(c);
	assert_int_equal(lsched_clock_set(c, LSCHED_S(5)), 0);
	assert_int_equal(lsched_clock_now(c), LSCHED_S(5));
	/* Setting the current time again is not going backwards. */
	assert_int_equal(lsched_clock_set(c, LSCHED_S(5)), 0);
	assert_int_equal(lsched_clock_now(c), LSCHED_S(5));
	assert_int_equal(lsched_clock_set(c, LSCHED_S(5) + 1), 0);
	assert_int_equal(lsched_clock_now(c), LSCHED_S(5) + 1);
	lsched_clock_destroy(c);
}

static void test_clock_virtual_set_refuses_backwards(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(c);
	assert_int_equal(lsched_clock_set(c, LSCHED_S(1) - 1), -EINVAL);
	assert_int_equal(lsched_clock_set(c, 0), -EINVAL);
	assert_int_equal(lsched_clock_set(c, -1), -EINVAL);
	assert_int_equal(lsched_clock_now(c), LSCHED_S(1));
	assert_int_equal(lsched_clock_advance(c, 100), 0);
	assert_int_equal(lsched_clock_set(c, LSCHED_S(1) + 99), -EINVAL);
	assert_int_equal(lsched_clock_now(c), LSCHED_S(1) + 100);
	lsched_clock_destroy(c);
}

static void test_clock_virtual_auto_advance_flag(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(c);
	assert_int_equal(lsched_clock_set_auto_advance(c, true), 0);
	assert_int_equal(lsched_clock_set_auto_advance(c, true), 0);
	assert_int_equal(lsched_clock_set_auto_advance(c, false), 0);
	assert_int_equal(lsched_clock_set_auto_advance(c, false), 0);
	/* The flag alone never moves the clock. */
	assert_int_equal(lsched_clock_now(c), LSCHED_S(1));
	lsched_clock_destroy(c);
}

static void test_clock_null_arguments(void **state)
{
	assert_int_equal(lsched_clock_now(NULL), -EINVAL);
	assert_false(lsched_clock_is_virtual(NULL));
	assert_int_equal(lsched_clock_advance(NULL, 1), -EINVAL);
	assert_int_equal(lsched_clock_set(NULL, 1), -EINVAL);
	assert_int_equal(lsched_clock_set_auto_advance(NULL, true), -EINVAL);
	assert_int_equal(lsched_clock_set_auto_advance(NULL, false), -EINVAL);
	lsched_clock_destroy(NULL);
}

/* Two virtual clocks are independent. */
static void test_clock_virtual_independent(void **state)
{
	lsched_clock *a = lsched_clock_new_virtual(10);
	lsched_clock *b = lsched_clock_new_virtual(10);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(lsched_clock_advance(a, 5), 0);
	assert_int_equal(lsched_clock_now(a), 15);
	assert_int_equal(lsched_clock_now(b), 10);
	lsched_clock_destroy(a);
	lsched_clock_destroy(b);
}

/* ---- thread-safety ------------------------------------------------------ */

#define ADV_THREADS 4
#define ADV_STEPS 20000

static void *advance_many(void *arg)
{
	lsched_clock *c = arg;
	for (int i = 0; i < ADV_STEPS; i++)
		if (lsched_clock_advance(c, 1) != 0)
			return (void *)1;
	return NULL;
}

/* "A virtual clock's time is read and moved atomically": no lost update. */
static void test_clock_virtual_advance_is_atomic(void **state)
{
	lsched_clock *c = lsched_clock_new_virtual(0);
	pthread_t th[ADV_THREADS];
	assert_non_null(c);
	for (int i = 0; i < ADV_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, advance_many, c),
				 0);
	for (int i = 0; i < ADV_THREADS; i++) {
		void *ret = (void *)1;
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(lsched_clock_now(c), ADV_THREADS * ADV_STEPS);
	lsched_clock_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_monotonic_is_shared_and_real),
		cmocka_unit_test(test_clock_monotonic_non_decreasing),
		cmocka_unit_test(test_clock_monotonic_matches_clock_monotonic),
		cmocka_unit_test(test_clock_monotonic_destroy_is_noop),
		cmocka_unit_test(test_clock_monotonic_refuses_moves),
		cmocka_unit_test(test_clock_virtual_start),
		cmocka_unit_test(test_clock_virtual_negative_start),
		cmocka_unit_test(test_clock_virtual_advance),
		cmocka_unit_test(test_clock_virtual_negative_delta),
		cmocka_unit_test(test_clock_virtual_advance_overflow),
		cmocka_unit_test(test_clock_virtual_set),
		cmocka_unit_test(test_clock_virtual_set_refuses_backwards),
		cmocka_unit_test(test_clock_virtual_auto_advance_flag),
		cmocka_unit_test(test_clock_null_arguments),
		cmocka_unit_test(test_clock_virtual_independent),
		cmocka_unit_test(test_clock_virtual_advance_is_atomic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
