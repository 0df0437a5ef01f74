/*
 * Names escaped for terminals (tools/common/textesc.c) and plain decimal
 * numbers on command lines (tools/common/numarg.c): what the tools print
 * of a name never holds a control byte or a byte that is not UTF-8, and
 * says what the name was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstr.h"
#include "numarg.h"
#include "textesc.h"

struct esc_case {
	const char *in, *out;
};

static const struct esc_case cases[] = {
	{ "plain name", "plain name" },
	{ "", "" },
	{ "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07" },
	{ "\x1b[2J", "\\x1b[2J" },
	{ "a\nb\tc\rd", "a\\nb\\tc\\rd" },
	{ "back\\slash", "back\\\\slash" },
	{ "del\x7f", "del\\x7f" },
	{ "\x01\x1f", "\\x01\\x1f" },
	/* Not UTF-8: a stray byte, an overlong '/', a cut sequence. */
	{ "\xff", "\\xff" },
	{ "\xc0\xaf", "\\xc0\\xaf" },
	{ "\xe2\x82", "\\xe2\\x82" },
	/* UTF-8 stays; a C1 control (U+009B, a CSI) does not. */
	{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" },
	{ "\xc2\x9b" "31m", "\\u009b31m" },
	{ "%s%n%x \"q\" <b>", "%s%n%x \"q\" <b>" },
};

/* True if s holds no control byte and is UTF-8 throughout. */
static int clean(const char *s)
{
	while (*s) {
		size_t n = tj_utf8_seq(s);

		if (n == 0 || (unsigned char)*s < 0x20 || *s == 0x7f ||
		    ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] < 0xa0))
			return 0;
		s += n;
	}
	return 1;
}

static void test_textesc_escapes_controls_and_bad_utf8(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char buf[256];

		tx_escape(buf, sizeof(buf), cases[i].in);
		if (strcmp(buf, cases[i].out))
			fail_msg("case %zu: '%s', expected '%s'", i, buf,
				 cases[i].out);
		assert_string_equal(tx_esc(cases[i].in), cases[i].out);
		assert_true(clean(buf));
	}
	assert_string_equal(tx_esc(NULL), "");
}

/* Every byte value, alone and after every other: the result is clean. */
static void test_textesc_every_byte_pair_is_clean(void **state)
{
	(void)state;
	for (int a = 1; a < 256; a++)
		for (int b = 0; b < 256; b++) {
			char in[3] = { (char)a, (char)b, 0 };

			assert_true(clean(tx_esc(in)));
		}
}

/* A small buffer: never overrun, never half an escape, "..." at the end. */
static void test_textesc_truncates_whole_escapes(void **state)
{
	char buf[12];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(tx_escape(buf, 8, "\x1b\x1b\x1b\x1b"), 7);
	assert_string_equal(buf, "\\x1b...");
	assert_int_equal(buf[9], 'Z');
	assert_int_equal(tx_escape(buf, 1, "abc"), 0);
	assert_string_equal(buf, "");
	/* Exactly enough room: everything, no "...". */
	assert_int_equal(tx_escape(buf, 9, "\x01\x02"), 8);
	assert_string_equal(buf, "\\x01\\x02");
}

/* Up to TX_RING names in one printf(): each keeps its own buffer; a
 * 10 KB name is escaped whole. */
static void test_textesc_ring_and_long_names(void **state)
{
	const char *r[TX_RING];
	char *big = malloc(10241);

	(void)state;
	assert_non_null(big);
	for (int i = 0; i < TX_RING; i++) {
		char in[4] = { '\n', (char)('a' + i), 0 };

		r[i] = tx_esc(in);
	}
	for (int i = 0; i < TX_RING; i++) {
		char want[4] = { '\\', 'n', (char)('a' + i), 0 };

		assert_string_equal(r[i], want);
	}
	memset(big, '\x1b', 10240);
	big[10240] = '\0';
	assert_int_equal(strlen(tx_esc(big)), 4 * 10240);
	free(big);
}

static void test_textesc_fputs(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	tx_fputs(f, "\x1b[2J\xff ok");
	tx_fputs(f, NULL);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, "\\x1b[2J\\xff ok");
	free(out);
}

/* strtod() takes all of these; a duration option must not. */
static void test_numarg_plain_decimals_only(void **state)
{
	static const char *const good[] = { "0", "12", "0.5", "-3", "100.25" };
	static const char *const bad[] = {
		"0x10", "1e3", "inf", "nan", " 5", "5 ", "+5", ".5", "5.", "",
		"-", "1..2", "0x", "1,5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!tn_decimal(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (tn_decimal(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

/* A --pid is decimal digits only: strtoll() alone took " 12" and "+12"
 * in report and schedreplay. */
static void test_numarg_pid_digits_only(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+12", " 12", "12 ", "0x10", "1e3", "1.0", "12a",
		"9223372036854775808",
	};
	int64_t pid = -1;

	(void)state;
	assert_true(tn_pid("0", &pid));
	assert_int_equal(pid, 0);
	assert_true(tn_pid("17787", &pid));
	assert_int_equal(pid, 17787);
	assert_true(tn_pid("9223372036854775807", &pid));
	assert_int_equal(pid, INT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (tn_pid(bad[i], &pid))
			fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textesc_escapes_controls_and_bad_utf8),
		cmocka_unit_test(test_textesc_every_byte_pair_is_clean),
		cmocka_unit_test(test_textesc_truncates_whole_escapes),
		cmocka_unit_test(test_textesc_ring_and_long_names),
		cmocka_unit_test(test_textesc_fputs),
		cmocka_unit_test(test_numarg_plain_decimals_only),
		cmocka_unit_test(test_numarg_pid_digits_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
