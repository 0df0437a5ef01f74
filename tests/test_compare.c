/*
 * The comparison of two sets of figures (tools/common/compare.c), shared
 * by schedprof diff and schedreplay: honest words for a change (from 0, to
 * 0, none), rows on one side only, noise, rows by impact with the summary
 * first, findings gone / new / still there, the --fail-on verdict, and
 * JSON that jansson reads back with the same numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

#define US(x) ((int64_t)(x) * 1000)
#define MS(x) ((int64_t)(x) * 1000000)

struct pair {
	struct cmp_set *b, *a;
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->b = cmp_set_new();
	p->a = cmp_set_new();
	*state = p;
	return p->b && p->a ? 0 : -1;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	cmp_set_free(p->b);
	cmp_set_free(p->a);
	free(p);
	return 0;
}

static struct cmp_figs waits(int64_t runs, int64_t p50, int64_t p99,
			     int64_t max)
{
	struct cmp_figs f = { { 0 }, 0 };

	cmp_figs_set(&f, CMP_RUNS, runs);
	cmp_figs_set(&f, CMP_WAIT_P50, p50);
	cmp_figs_set(&f, CMP_WAIT_P99, p99);
	cmp_figs_set(&f, CMP_WAIT_MAX, max);
	return f;
}

/* The text layout of c, in a string to free. */
static char *text_of(const struct cmp *c, const struct cmp_words *w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cmp_text(f, c, w, "  ");
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The JSON of c, read back with jansson (decref it). */
static json_t *json_of(const struct cmp *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t err;
	json_t *j;

	assert_non_null(f);
	cmp_json(f, c, NULL);
	assert_int_equal(fclose(f), 0);
	j = json_loads(buf, 0, &err);
	if (!j)
		fail_msg("not JSON (%s): %s", err.text, buf);
	free(buf);
	return j;
}

static json_t *row_named(json_t *j, const char *table, const char *name)
{
	json_t *rows = json_object_get(j, table), *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "name")), name))
			return r;
	fail_msg("no row %s in %s", name, table);
	return NULL;
}

static json_t *fig(json_t *row, const char *key)
{
	json_t *x = json_object_get(json_object_get(row, "figures"), key);

	assert_non_null(x);
	return x;
}

static void test_compare_change_from_zero_is_not_a_percentage(void **state)
{
	struct pair *p = *state;
	struct cmp_figs b = waits(80, 0, 0, 0), a = waits(80, 0, US(504), US(600));
	struct cmp_rules r;
	struct cmp *c;
	char *t;
	json_t *j, *x;

	/* Noise from 100 us: the change is beyond it. */
	cmp_rules_default(&r);
	r.noise_ns = US(100);
	assert_int_equal(cmp_set_prio(p->b, "REPAINT", &b), 0);
	assert_int_equal(cmp_set_prio(p->a, "REPAINT", &a), 0);
	c = cmp_new(p->b, p->a, &r);
	assert_non_null(c);
	t = text_of(c, NULL);
	assert_non_null(strstr(t, "+504 us (from 0)"));
	assert_null(strstr(t, "0.0%"));
	assert_null(strstr(t, " > "));
	assert_non_null(strstr(t, "summary: 1 priority changed beyond noise: "
				  "REPAINT wait max 0 to 600 us; findings"));
	j = json_of(c);
	x = fig(row_named(j, "priorities", "REPAINT"), "wait_p99_ns");
	assert_int_equal(json_integer_value(json_object_get(x, "before")), 0);
	assert_int_equal(json_integer_value(json_object_get(x, "after")), US(504));
	assert_int_equal(json_integer_value(json_object_get(x, "change")), US(504));
	assert_true(json_is_null(json_object_get(x, "change_pct")));
	assert_true(json_is_true(json_object_get(x, "beyond_noise")));
	json_decref(j);
	free(t);
	cmp_free(c);
}

static void test_compare_change_to_zero_and_both_zero(void **state)
{
	struct pair *p = *state;
	struct cmp_figs b = waits(10, 0, MS(4), MS(5)), a = waits(10, 0, 0, 0);
	struct cmp_cell same = { true, true, 0, 0, false };
	struct cmp *c;
	char buf[64], *t;
	json_t *j, *x;

	assert_string_equal(cmp_change_text(&same, true, NULL, buf, sizeof(buf)),
			    "same");
	assert_int_equal(cmp_set_prio(p->b, "HIGHEST", &b), 0);
	assert_int_equal(cmp_set_prio(p->a, "HIGHEST", &a), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_string_equal(cmp_change_text(&c->prios[0].cell[CMP_WAIT_P99], true,
					    NULL, buf, sizeof(buf)),
			    "-4 ms (-100.0%)");
	/* Both 0: no change, within noise, not shown. */
	assert_false(c->prios[0].cell[CMP_WAIT_P50].beyond_noise);
	assert_false(c->prios[0].cell[CMP_RUNS].beyond_noise);
	t = text_of(c, NULL);
	assert_non_null(strstr(t, "-5 ms (-100.0%)"));
	assert_null(strstr(t, "wait p50"));
	j = json_of(c);
	x = fig(row_named(j, "priorities", "HIGHEST"), "wait_max_ns");
	assert_int_equal(json_integer_value(json_object_get(x, "change")), -MS(5));
	assert_true(json_real_value(json_object_get(x, "change_pct")) == -100.0);
	x = fig(row_named(j, "priorities", "HIGHEST"), "wait_p50_ns");
	assert_int_equal(json_integer_value(json_object_get(x, "change")), 0);
	assert_true(json_is_null(json_object_get(x, "change_pct")));
	/* Better is not worse. */
	assert_false(json_is_true(json_object_get(j, "worse")));
	json_decref(j);
	free(t);
	cmp_free(c);
}

static void test_compare_empty_loops_say_nothing_changed(void **state)
{
	struct pair *p = *state;
	struct cmp *c = cmp_new(p->b, p->a, NULL);
	char *t, why[128];
	json_t *j;

	assert_non_null(c);
	assert_int_equal(c->nprios + c->ntasks + c->nfindings, 0);
	t = text_of(c, NULL);
	assert_string_equal(t, "  summary: nothing changed beyond noise\n\n"
			       "  findings: none, before or after\n");
	assert_false(cmp_worse(c, why, sizeof(why)));
	assert_string_equal(why, "");
	j = json_of(c);
	assert_int_equal(json_array_size(json_object_get(j, "priorities")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "tasks")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "findings")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "summary")),
			    "nothing changed beyond noise");
	json_decref(j);
	free(t);
	cmp_free(c);
}

static void test_compare_rows_on_one_side_only(void **state)
{
	struct pair *p = *state;
	struct cmp_figs f = waits(3, US(10), US(20), US(30));
	struct cmp_words w = { "recorded", "replayed" };
	struct cmp *c;
	char *t;
	json_t *j, *r;

	cmp_figs_set(&f, CMP_RUN_MAX, MS(2));
	assert_int_equal(cmp_set_task(p->b, "old", "LOWEST", &f), 0);
	assert_int_equal(cmp_set_task(p->a, "fresh", "DEFAULT", &f), 0);
	assert_int_equal(cmp_set_prio(p->a, "RESIZE", &f), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_int_equal(c->ntasks, 2);
	assert_int_equal(c->changed, 3);
	t = text_of(c, &w);
	assert_non_null(strstr(t, "only recorded"));
	assert_non_null(strstr(t, "only replayed"));
	assert_non_null(strstr(t, "old (LOWEST)"));
	assert_non_null(strstr(t, "fresh (DEFAULT)"));
	/* One side only: its runs, waits p99 and max, longest run; not its
	 * p50, time run or a count of 0. */
	assert_non_null(strstr(t, "longest run"));
	assert_null(strstr(t, "wait p50"));
	assert_null(strstr(t, "time run"));
	j = json_of(c);
	r = row_named(j, "tasks", "old");
	assert_true(json_is_true(json_object_get(r, "in_before")));
	assert_true(json_is_false(json_object_get(r, "in_after")));
	assert_true(json_is_null(json_object_get(fig(r, "run_max_ns"), "after")));
	assert_true(json_is_null(json_object_get(fig(r, "run_max_ns"), "change")));
	assert_true(json_is_null(json_object_get(r, "priority_after")));
	r = row_named(j, "priorities", "RESIZE");
	assert_true(json_is_null(json_object_get(fig(r, "wait_p99_ns"), "before")));
	/* A task only after that runs 2 ms is worse, by at least the
	 * minimum (1 ms). */
	assert_true(json_is_true(json_object_get(j, "worse")));
	json_decref(j);
	free(t);
	cmp_free(c);
}

static void test_compare_rows_by_impact_summary_first(void **state)
{
	struct pair *p = *state;
	struct cmp_figs s = waits(10, US(100), US(200), US(300));
	struct cmp_figs m = waits(10, US(100), MS(3), MS(4));
	struct cmp_figs l = waits(10, US(100), MS(30), MS(120));
	const char *names[] = { "alpha", "beta", "gamma" };
	struct cmp *c;
	char *t;

	/* Before: all alike; after: beta a little worse, gamma much. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(cmp_set_task(p->b, names[i], "DEFAULT", &s), 0);
	assert_int_equal(cmp_set_task(p->a, "alpha", "DEFAULT", &s), 0);
	assert_int_equal(cmp_set_task(p->a, "beta", "DEFAULT", &m), 0);
	assert_int_equal(cmp_set_task(p->a, "gamma", "DEFAULT", &l), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_string_equal(c->tasks[0].name, "gamma");
	assert_string_equal(c->tasks[1].name, "beta");
	assert_string_equal(c->tasks[2].name, "alpha");
	assert_int_equal(c->tasks[0].impact_ns, MS(120) - US(300));
	assert_false(c->tasks[2].beyond_noise);
	t = text_of(c, NULL);
	/* The summary comes first and names the largest change. */
	assert_ptr_equal(strstr(t, "  summary: 2 tasks changed beyond noise: "
				   "gamma wait max 300 us to 120 ms (+39900.0%); "
				   "beta wait max 300 us to 4 ms (+1233.3%); findings"),
			 t);
	assert_true(strstr(t, "gamma (DEFAULT)") < strstr(t, "beta (DEFAULT)"));
	assert_non_null(strstr(t, "per task within noise (1): alpha\n"));
	free(t);
	cmp_free(c);
}

static void test_compare_noise_is_relative_and_absolute(void **state)
{
	struct pair *p = *state;
	/* +50% of a small wait (under 1 ms), +5% of a large one, one run
	 * more of 100: all noise. */
	struct cmp_figs b = waits(100, US(200), MS(20), MS(40));
	struct cmp_figs a = waits(101, US(300), MS(21), MS(41));
	struct cmp *c;
	char why[128], *t;

	assert_int_equal(cmp_set_prio(p->b, "DEFAULT", &b), 0);
	assert_int_equal(cmp_set_prio(p->a, "DEFAULT", &a), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_int_equal(c->changed, 0);
	assert_false(cmp_worse(c, why, sizeof(why)));
	t = text_of(c, NULL);
	assert_non_null(strstr(t, "summary: nothing changed beyond noise\n"));
	assert_non_null(strstr(t, "per priority within noise (1): DEFAULT\n"));
	free(t);
	cmp_free(c);
}

static void test_compare_fail_on_threshold_and_minimum(void **state)
{
	struct pair *p = *state;
	struct cmp_figs b = waits(100, US(100), MS(10), MS(20));
	struct cmp_figs a = waits(100, US(100), MS(13), MS(22));
	struct cmp_rules r;
	struct cmp *c;
	char why[256];

	assert_int_equal(cmp_set_task(p->b, "spell", "DEFAULT_IDLE", &b), 0);
	assert_int_equal(cmp_set_task(p->a, "spell", "DEFAULT_IDLE", &a), 0);
	cmp_rules_default(&r);
	/* p99 +30%, 3 ms: worse at 25 %, not at 50 %. */
	r.fail_pct = 25;
	c = cmp_new(p->b, p->a, &r);
	assert_non_null(c);
	assert_true(cmp_worse(c, why, sizeof(why)));
	assert_string_equal(why, "task spell: wait p99 up from 10 ms to 13 ms");
	cmp_free(c);
	r.fail_pct = 50;
	c = cmp_new(p->b, p->a, &r);
	assert_non_null(c);
	assert_false(cmp_worse(c, why, sizeof(why)));
	cmp_free(c);
	/* At 25 % but with a 5 ms minimum: not worse. */
	r.fail_pct = 25;
	r.fail_min_ns = MS(5);
	c = cmp_new(p->b, p->a, &r);
	assert_non_null(c);
	assert_false(cmp_worse(c, why, sizeof(why)));
	cmp_free(c);
}

static void test_compare_findings_gone_new_still(void **state)
{
	struct pair *p = *state;
	struct cmp *c;
	char why[256], *t;
	json_t *j, *fd;

	assert_int_equal(cmp_set_finding(p->b, "warning", "starving-task",
					 "indexer (LOWEST)", "waited 300 ms"), 0);
	assert_int_equal(cmp_set_finding(p->b, "warning", "performer-backlog",
					 "performer 0x55d0", "8 posts waiting"), 0);
	assert_int_equal(cmp_set_finding(p->b, "info", "slice-overrun",
					 "worker (DEFAULT_IDLE)", NULL), 0);
	/* After: the indexer moved to another priority, still starving and
	 * now an error; the performer is another address; the overrun is
	 * gone; a never-yields is new. */
	assert_int_equal(cmp_set_finding(p->a, "error", "starving-task",
					 "indexer (DEFAULT_IDLE)", "waited 1 s"), 0);
	assert_int_equal(cmp_set_finding(p->a, "warning", "performer-backlog",
					 "performer 0x7f00", "8 posts waiting"), 0);
	assert_int_equal(cmp_set_finding(p->a, "warning", "never-yields",
					 "layout (DEFAULT)", "ran 300 ms"), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_int_equal(c->nnew, 1);
	assert_int_equal(c->nstill, 2);
	assert_int_equal(c->ngone, 1);
	assert_int_equal(c->findings[0].status, CMP_NEW);
	assert_string_equal(c->findings[0].kind, "never-yields");
	assert_int_equal(c->findings[c->nfindings - 1].status, CMP_GONE);
	assert_string_equal(c->findings[c->nfindings - 1].kind, "slice-overrun");
	/* The indexer's finding became an error: worse. */
	assert_true(cmp_worse(c, why, sizeof(why)));
	assert_string_equal(why, "now an error finding: starving-task "
				 "indexer (DEFAULT_IDLE)");
	t = text_of(c, NULL);
	assert_non_null(strstr(t, "findings: 1 new, 2 still there, 1 gone\n"));
	assert_non_null(strstr(t, "still there error, before: warning"));
	assert_non_null(strstr(t, "before: waited 300 ms\n"));
	assert_non_null(strstr(t, "after: waited 1 s\n"));
	/* The same evidence on both sides: once. */
	assert_non_null(strstr(t, "      before and after: 8 posts waiting\n"));
	assert_null(strstr(t, " > "));
	j = json_of(c);
	fd = json_array_get(json_object_get(j, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(fd, "status")), "new");
	assert_true(json_is_null(json_object_get(fd, "severity_before")));
	assert_int_equal(json_integer_value(json_object_get(j, "findings_gone")), 1);
	json_decref(j);
	free(t);
	cmp_free(c);
}

static void test_compare_findings_of_one_key_pair_one_to_one(void **state)
{
	struct pair *p = *state;
	struct cmp *c;
	char why[256];

	/* Before: one backlog; after: a warning and a new error on two
	 * performers. The error must show as new, and be worse. */
	assert_int_equal(cmp_set_finding(p->b, "warning", "performer-backlog",
					 "performer 0xaa", NULL), 0);
	assert_int_equal(cmp_set_finding(p->a, "warning", "performer-backlog",
					 "performer 0xbb", NULL), 0);
	assert_int_equal(cmp_set_finding(p->a, "error", "performer-backlog",
					 "performer 0xcc", NULL), 0);
	/* Two tasks named w: the one at DEFAULT pairs with DEFAULT (exact
	 * first), the one at LOWEST is new. */
	assert_int_equal(cmp_set_finding(p->b, "warning", "starving-task",
					 "w (DEFAULT)", NULL), 0);
	assert_int_equal(cmp_set_finding(p->a, "error", "starving-task",
					 "w (LOWEST)", NULL), 0);
	assert_int_equal(cmp_set_finding(p->a, "warning", "starving-task",
					 "w (DEFAULT)", NULL), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_int_equal(c->nfindings, 4);
	assert_int_equal(c->nnew, 2);
	assert_int_equal(c->nstill, 2);
	assert_int_equal(c->ngone, 0);
	assert_int_equal(c->findings[0].status, CMP_NEW);
	assert_string_equal(c->findings[0].subject, "performer 0xcc");
	assert_int_equal(c->findings[1].status, CMP_NEW);
	assert_string_equal(c->findings[1].subject, "w (LOWEST)");
	assert_string_equal(c->findings[3].subject, "w (DEFAULT)");
	assert_string_equal(c->findings[3].severity_before, "warning");
	assert_true(cmp_worse(c, why, sizeof(why)));
	assert_string_equal(why, "a new error finding: performer-backlog "
				 "performer 0xcc");
	cmp_free(c);
}

static void test_compare_near_hundred_percent_is_not_rounded_to_it(void **state)
{
	struct pair *p = *state;
	struct cmp_figs b = waits(10, 0, MS(264), MS(264)),
			a = waits(10, 0, US(119), US(119));
	struct cmp_cell cell = { true, true, MS(264), US(119), true };
	struct cmp *c;
	char buf[64], *t;
	json_t *j, *x;

	assert_string_equal(cmp_change_text(&cell, true, NULL, buf, sizeof(buf)),
			    "-264 ms (-99.95%)");
	cell.after = 0;
	assert_non_null(strstr(cmp_change_text(&cell, true, NULL, buf,
					       sizeof(buf)), "(-100.0%)"));
	cell.after = MS(528);
	assert_non_null(strstr(cmp_change_text(&cell, true, NULL, buf,
					       sizeof(buf)), "(+100.0%)"));
	assert_int_equal(cmp_set_prio(p->b, "REPAINT", &b), 0);
	assert_int_equal(cmp_set_prio(p->a, "REPAINT", &a), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	t = text_of(c, NULL);
	assert_null(strstr(t, "100.0%"));
	assert_non_null(strstr(t, "(-99.95%)"));
	j = json_of(c);
	x = fig(row_named(j, "priorities", "REPAINT"), "wait_p99_ns");
	assert_true(json_real_value(json_object_get(x, "change_pct")) > -100.0);
	json_decref(j);
	free(t);
	cmp_free(c);
}

static void test_compare_summary_names_a_task_inside_anothers_name(void **state)
{
	struct pair *p = *state;
	struct cmp_figs pb = waits(10, 0, MS(5), MS(5)),
			pa = waits(10, 0, MS(505), MS(505)),
			eb = waits(5, 0, MS(5), MS(5)),
			ea = waits(5, 0, MS(505), MS(505)),
			rb = waits(5, 0, 0, 0), ra = waits(5, 0, 0, 0);
	struct cmp *c;
	char buf[512];

	cmp_figs_set(&rb, CMP_RUN_MAX, MS(1));
	cmp_figs_set(&ra, CMP_RUN_MAX, MS(101));
	assert_int_equal(cmp_set_prio(p->b, "DEFAULT", &pb), 0);
	assert_int_equal(cmp_set_prio(p->a, "DEFAULT", &pa), 0);
	assert_int_equal(cmp_set_task(p->b, "editor", "DEFAULT", &eb), 0);
	assert_int_equal(cmp_set_task(p->a, "editor", "DEFAULT", &ea), 0);
	assert_int_equal(cmp_set_task(p->b, "edit", "DEFAULT", &rb), 0);
	assert_int_equal(cmp_set_task(p->a, "edit", "DEFAULT", &ra), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	cmp_summary(c, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "; editor wait p99 "));
	assert_non_null(strstr(buf, "; edit longest run 1 ms to 101 ms "
				    "(+10000.0%)"));
	/* The findings in the order of the text's findings header. */
	assert_non_null(strstr(buf, "; findings: 0 new, 0 still there, 0 gone"));
	cmp_free(c);
}

static void test_compare_long_names_keep_the_columns(void **state)
{
	struct pair *p = *state;
	struct cmp_figs b = waits(5, 0, MS(5), MS(5)), a = waits(5, 0, MS(50), MS(50));
	struct cmp_figs only = waits(3, 0, MS(9), MS(9));
	struct cmp *c;
	char *t;

	cmp_figs_set(&only, CMP_STARVED, 0);
	cmp_figs_set(&only, CMP_INTERVALS, 0);
	assert_int_equal(cmp_set_task(p->b, "a very long task name that overflows the column",
				      "DEFAULT", &b), 0);
	assert_int_equal(cmp_set_task(p->a, "a very long task name that overflows the column",
				      "DEFAULT", &a), 0);
	assert_int_equal(cmp_set_prio(p->a, "RESIZE", &only), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	t = text_of(c, NULL);
	/* 27 characters and an ellipsis fill the 28 columns; the figure's
	 * name starts where every other row's does. */
	assert_non_null(strstr(t, "    a very long task name that \u2026 wait p99 "));
	/* A row on one side only: starved time and intervals alike, shown
	 * only when not 0. */
	assert_null(strstr(t, "starved "));
	assert_null(strstr(t, "starvation intervals"));
	free(t);
	cmp_free(c);
}

static void test_compare_new_warning_is_not_worse(void **state)
{
	struct pair *p = *state;
	struct cmp *c;
	char why[128];

	assert_int_equal(cmp_set_finding(p->a, "warning", "starving-task",
					 "indexer (LOWEST)", NULL), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_false(cmp_worse(c, why, sizeof(why)));
	cmp_free(c);
	assert_int_equal(cmp_set_finding(p->a, "error", "never-yields",
					 "layout (DEFAULT)", NULL), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_true(cmp_worse(c, why, sizeof(why)));
	assert_string_equal(why, "a new error finding: never-yields layout (DEFAULT)");
	cmp_free(c);
}

static void test_compare_tasks_of_one_name_pair_in_order(void **state)
{
	struct pair *p = *state;
	struct cmp_figs one = waits(1, 0, 0, 0), two = waits(2, 0, 0, 0);
	struct cmp *c;

	assert_int_equal(cmp_set_task(p->b, "autosave", "LOWEST", &one), 0);
	assert_int_equal(cmp_set_task(p->b, "autosave", "HIGHEST", &two), 0);
	assert_int_equal(cmp_set_task(p->a, "autosave", "LOWEST", &one), 0);
	assert_int_equal(cmp_set_task(p->a, "autosave", "HIGHEST", &two), 0);
	c = cmp_new(p->b, p->a, NULL);
	assert_non_null(c);
	assert_int_equal(c->ntasks, 2);
	assert_int_equal(c->changed, 0);
	cmp_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_compare_change_from_zero_is_not_a_percentage),
		T(test_compare_change_to_zero_and_both_zero),
		T(test_compare_empty_loops_say_nothing_changed),
		T(test_compare_rows_on_one_side_only),
		T(test_compare_rows_by_impact_summary_first),
		T(test_compare_noise_is_relative_and_absolute),
		T(test_compare_fail_on_threshold_and_minimum),
		T(test_compare_findings_gone_new_still),
		T(test_compare_findings_of_one_key_pair_one_to_one),
		T(test_compare_near_hundred_percent_is_not_rounded_to_it),
		T(test_compare_summary_names_a_task_inside_anothers_name),
		T(test_compare_long_names_keep_the_columns),
		T(test_compare_new_warning_is_not_worse),
		T(test_compare_tasks_of_one_name_pair_in_order),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
