/*
 * Error table and version tests.
 *
 * The expectations are generated from LSCHED_ERRNO_MAP itself, so a code
 * added to the table is tested without touching this file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "testutil.h"

struct errdef {
	int code;   /* the LSCHED_E* constant (negative) */
	int sys;    /* the system errno (positive) */
	const char *name;
	const char *msg;
};

static const struct errdef errdefs[] = {
#define ERRDEF_GEN(name, msg) { LSCHED_##name, name, #name, msg },
	LSCHED_ERRNO_MAP(ERRDEF_GEN)
#undef ERRDEF_GEN
};
#define N_ERRDEFS (sizeof(errdefs) / sizeof(errdefs[0]))

static void test_error_codes_are_negative_errno(void **state)
{
	assert_true(N_ERRDEFS > 0);
	for (size_t i = 0; i < N_ERRDEFS; i++) {
		assert_true(errdefs[i].code < 0);
		assert_int_equal(errdefs[i].code, -errdefs[i].sys);
	}
	assert_int_equal(LSCHED_EINVAL, -EINVAL);
	assert_int_equal(LSCHED_EBUSY, -EBUSY);
}

/* Distinct codes, or a lookup by code could not tell two entries apart. */
static void test_error_codes_are_distinct(void **state)
{
	for (size_t i = 0; i < N_ERRDEFS; i++)
		for (size_t j = i + 1; j < N_ERRDEFS; j++)
			assert_int_not_equal(errdefs[i].code, errdefs[j].code);
}

static void test_error_strerror_negative(void **state)
{
	for (size_t i = 0; i < N_ERRDEFS; i++) {
		const char *s = lsched_strerror(errdefs[i].code);
		assert_non_null(s);
		assert_string_equal(s, errdefs[i].msg);
	}
}

static void test_error_strerror_positive(void **state)
{
	for (size_t i = 0; i < N_ERRDEFS; i++) {
		const char *s = lsched_strerror(errdefs[i].sys);
		assert_non_null(s);
		assert_string_equal(s, errdefs[i].msg);
	}
}

static void test_error_errname_negative(void **state)
{
	for (size_t i = 0; i < N_ERRDEFS; i++) {
		const char *s = lsched_errname(errdefs[i].code);
		assert_non_null(s);
		assert_string_equal(s, errdefs[i].name);
	}
}

static void test_error_errname_positive(void **state)
{
	for (size_t i = 0; i < N_ERRDEFS; i++) {
		const char *s = lsched_errname(errdefs[i].sys);
		assert_non_null(s);
		assert_string_equal(s, errdefs[i].name);
	}
}

/* Codes the table does not hold, including the extremes of int. */
static const int unknown_codes[] = {
	9999, -9999, ETIMEDOUT, -ETIMEDOUT, INT_MAX, INT_MIN, INT_MIN + 1,
};
#define N_UNKNOWN (sizeof(unknown_codes) / sizeof(unknown_codes[0]))

static void test_error_strerror_unknown(void **state)
{
	for (size_t i = 0; i < N_UNKNOWN; i++) {
		const char *s = lsched_strerror(unknown_codes[i]);
		assert_non_null(s);
		assert_string_equal(s, "unknown error");
	}
}

static void test_error_errname_unknown(void **state)
{
	for (size_t i = 0; i < N_UNKNOWN; i++) {
		const char *s = lsched_errname(unknown_codes[i]);
		assert_non_null(s);
		assert_string_equal(s, "UNKNOWN");
	}
}

/* Whatever the input, a printable string comes back. */
static void test_error_never_null(void **state)
{
	for (int e = -300; e <= 300; e++) {
		assert_non_null(lsched_strerror(e));
		assert_non_null(lsched_errname(e));
	}
}

static void test_error_version(void **state)
{
	char expect[64];
	snprintf(expect, sizeof(expect), "%d.%d.%d", LSCHED_VERSION_MAJOR,
		 LSCHED_VERSION_MINOR, LSCHED_VERSION_PATCH);
	assert_non_null(lsched_version());
	assert_string_equal(lsched_version(), expect);
	assert_string_equal(lsched_version(), "0.1.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_codes_are_negative_errno),
		cmocka_unit_test(test_error_codes_are_distinct),
		cmocka_unit_test(test_error_strerror_negative),
		cmocka_unit_test(test_error_strerror_positive),
		cmocka_unit_test(test_error_errname_negative),
		cmocka_unit_test(test_error_errname_positive),
		cmocka_unit_test(test_error_strerror_unknown),
		cmocka_unit_test(test_error_errname_unknown),
		cmocka_unit_test(test_error_never_null),
		cmocka_unit_test(test_error_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
