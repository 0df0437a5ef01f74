/*
 * The noun that goes with a count (tools/common/words.c): one for 1, the
 * plural for every other number, zero included, so that the tools print
 * "(1 run)" and "(0 runs)", never "(1 runs)" or "run(s)".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "words.h"

static void test_words_one_is_singular(void **state)
{
	(void)state;
	assert_string_equal(tw_noun(1, "run", "runs"), "run");
	assert_string_equal(tw_noun(1, "priority", "priorities"), "priority");
}

static void test_words_other_counts_are_plural(void **state)
{
	static const unsigned long long counts[] = {
		0, 2, 11, 21, 101, 1000000, ~0ULL,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		assert_string_equal(tw_noun(counts[i], "run", "runs"), "runs");
		assert_string_equal(tw_noun(counts[i], "priority",
					    "priorities"), "priorities");
	}
}

/* The words are the caller's own strings, not copies: no lifetime to
 * manage in a printf argument list. */
static void test_words_returns_the_callers_word(void **state)
{
	static const char one[] = "wait", many[] = "waits";

	(void)state;
	assert_ptr_equal(tw_noun(1, one, many), one);
	assert_ptr_equal(tw_noun(3, one, many), many);
}

/* A line as the tools build it: the count and its noun agree. */
static void test_words_in_a_line(void **state)
{
	char line[64];

	(void)state;
	for (unsigned long long n = 0; n < 3; n++) {
		snprintf(line, sizeof(line), "layout 300 ms (%llu %s)", n,
			 tw_noun(n, "run", "runs"));
		assert_string_equal(line, n == 0   ? "layout 300 ms (0 runs)"
					  : n == 1 ? "layout 300 ms (1 run)"
						   : "layout 300 ms (2 runs)");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_one_is_singular),
		cmocka_unit_test(test_words_other_counts_are_plural),
		cmocka_unit_test(test_words_returns_the_callers_word),
		cmocka_unit_test(test_words_in_a_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
