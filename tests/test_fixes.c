/*
 * The checked fixes (tools/replay/fixes.c) and the split what-if
 * they replay (replay.c, --split), on a hand-made workload in virtual
 * time, whose truth is known:
 *
 *   - "hog" (DEFAULT_IDLE, auto-idle) works 20 runs of 20 ms from 0 to
 *     400 ms; "victim" (LOWEST), ready at 0, runs at 400 ms: a 400 ms
 *     wait blamed on a higher priority;
 *   - "blob" (HIGH_IDLE, idle) works 120 ms in one run from 600 ms with no
 *     stopwatch check (never-yields); "tick" (DEFAULT, auto-timer, 10 ms)
 *     falls due at 610 ms and waits for blob's run to end (a 110 ms wait
 *     blamed on a lower priority, which was running).
 *
 * The recorded figures are those of the workload's own unchanged replay,
 * so that the replay is faithful by construction; a copy with one figure
 * off is not, and gets no fix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixes.h"
#include "schedreplay.h"
#include "workload.h"

#define MS 1000000LL

/* The workload without recorded figures, into a growing buffer. */
static char *workload_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fprintf(f, "libsched-workload 1\nspan %lld\n", 1000 * MS);
	fprintf(f, "task 1 \"hog\" DEFAULT_IDLE auto-idle 0 0 0\n"
		   "task 2 \"victim\" LOWEST idle 0 0 0\n"
		   "task 3 \"blob\" HIGH_IDLE idle 0 0 0\n"
		   "task 4 \"tick\" DEFAULT auto-timer %lld 0 0\n", 10 * MS);
	for (int i = 0; i < 20; i++)
		fprintf(f, "run 1 %lld %lld %lld %s\n", i * 20 * MS, i * 20 * MS,
			20 * MS, i < 19 ? "active" : "inactive");
	fprintf(f, "run 2 %lld 0 %lld inactive\n", 400 * MS, 1 * MS);
	fprintf(f, "run 3 %lld %lld %lld inactive\n", 600 * MS, 600 * MS,
		120 * MS);
	/* tick: every 10 ms from 510 ms, late behind blob at 720 ms. */
	for (long long t = 510; t < 1000; t += 10) {
		if (t > 600 && t < 720)
			continue;
		fprintf(f, "run 4 %lld %lld %lld active\n", t * MS,
			(t == 720 ? 610 : t) * MS, MS / 5);
	}
	fprintf(f, "start 0 1 0 1\nstart 0 2 0 1\n");
	fprintf(f, "start %lld 4 %lld 1\n", 500 * MS, 10 * MS);
	fprintf(f, "start %lld 3 0 1\n", 600 * MS);
	fclose(f);
	return buf;
}

static struct wl_workload *parse(const char *text)
{
	struct wl_workload *w = NULL;
	char err[256];

	if (wl_parse(text, strlen(text), &w, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return w;
}

#ifndef LSCHED_TRACE_DISABLED

/* The text with the figures of its unchanged replay appended, as if the
 * recording had them; off: p99 of LOWEST made 3 times larger. */
static char *with_figures(const char *text, bool off)
{
	static const struct sr_mode sim = { .real = false, .speed = 1.0 };
	struct wl_workload *w = parse(text);
	struct sr_replay r = { 0 };
	struct an_config cfg;
	struct sr_figs fg;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	an_config_default(&cfg);
	if (sr_replay(w, NULL, &sim, &cfg, &r, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_true(sr_figs_replay(&r, &fg));
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	fputs(text, f);
	fprintf(f, "orig-thresholds %lld %lld\n", (long long)cfg.long_task_ns,
		(long long)cfg.starve_ns);
	for (int p = 0; p < WL_PRIOS; p++)
		if (fg.prio[p].fired)
			fprintf(f, "orig-prio %d %llu %lld %lld %lld %lld %lld\n", p,
				(unsigned long long)fg.prio[p].fired,
				(long long)fg.prio[p].p50,
				(long long)(fg.prio[p].p99 * (off && p == 7 ? 3 : 1)),
				(long long)fg.prio[p].max,
				(long long)fg.prio[p].starved,
				(long long)fg.prio[p].longest);
	for (size_t i = 0; i < fg.nstarves; i++)
		fprintf(f, "orig-starve %d %lld %lld %s\n", fg.starves[i].prio,
			(long long)fg.starves[i].start,
			(long long)fg.starves[i].end,
			fg.starves[i].open_at_end ? "open" : "closed");
	for (size_t i = 0; i < fg.nfindings; i++)
		fprintf(f, "orig-finding %s \"%s\" \"%s\"\n",
			fg.findings[i].severity, fg.findings[i].kind,
			fg.findings[i].culprit);
	fclose(f);
	sr_figs_free(&fg);
	sr_replay_free(&r);
	wl_free(w);
	return buf;
}

static const struct fx_candidate *kept_with(const struct fx_finding *x,
					    char op, const char *task,
					    int64_t value)
{
	for (size_t i = 0; x && i < x->ncands; i++) {
		const struct fx_candidate *c = &x->cands[i];

		if (c->kept && c->nchg == 1 && c->chg[0].op == op &&
		    !strcmp(c->chg[0].name, task) && c->chg[0].value == value)
			return c;
	}
	return NULL;
}

static void test_fixes_starving_task_gets_a_max_wait(void **state)
{
	char *text = workload_text(), *full = with_figures(text, false);
	struct wl_workload *w = parse(full);
	struct an_config cfg;
	struct fx_result r;
	const struct fx_finding *x;
	const struct fx_candidate *c;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_DONE);
	assert_false(r.budget_out);
	x = fx_find(&r, "starving-task", "victim (LOWEST)");
	assert_non_null(x);
	/* A max wait of 50 ms: the victim waits it, then the hog's run under
	 * way (20 ms) ends: at most 70 ms, under the 100 ms threshold. */
	c = kept_with(x, 'm', "victim", 50 * MS);
	assert_non_null(c);
	assert_int_equal(c->verdict, FX_FIXES);
	assert_true(c->before >= 400 * MS);
	assert_true(c->after >= 50 * MS && c->after <= 70 * MS);
	assert_non_null(strstr(c->call,
			       "lsched_task_set_max_wait(victim, 50000000)"));
	/* The hog lowered to LOWEST shares the victim's queue: also kept. */
	assert_non_null(kept_with(x, 'p', "hog", 7));
	f = open_memstream(&out, &len);
	fx_text(f, &r, x, "  ");
	fclose(f);
	assert_non_null(strstr(out, "fix: "));
	free(out);
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

static void test_fixes_never_yields_gets_a_split(void **state)
{
	char *text = workload_text(), *full = with_figures(text, false);
	struct wl_workload *w = parse(full);
	struct an_config cfg;
	struct fx_result r;
	const struct fx_finding *x;
	const struct fx_candidate *c;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_DONE);
	x = fx_find(&r, "never-yields", "blob (HIGH_IDLE)");
	assert_non_null(x);
	/* In 4: 30 ms pieces, under the 50 ms long-task threshold. */
	c = kept_with(x, 's', "blob", 4);
	assert_non_null(c);
	assert_int_equal(c->verdict, FX_FIXES);
	assert_int_equal(c->before, 120 * MS);
	assert_int_equal(c->after, 30 * MS);
	/* In 2: 60 ms, still long: the finding stays, at half. */
	c = kept_with(x, 's', "blob", 2);
	assert_non_null(c);
	assert_int_equal(c->verdict, FX_EASES);
	/* tick waited behind blob's run: the split in 4 fixes it too. */
	x = fx_find(&r, "starving-task", "tick (DEFAULT)");
	assert_non_null(x);
	c = kept_with(x, 's', "blob", 4);
	assert_non_null(c);
	assert_int_equal(c->verdict, FX_FIXES);
	assert_true(c->after <= 30 * MS);
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

/* --split: each run in N pieces, no work lost, the task ready again. */
static void test_fixes_split_whatif_keeps_the_work(void **state)
{
	static const struct sr_mode sim = { .real = false, .speed = 1.0 };
	char *text = workload_text();
	struct wl_workload *w = parse(text);
	struct sr_named sp = { "blob", 4, 0 };
	struct sr_whatif wi = { .splits = &sp, .nsplits = 1 };
	struct sr_replay r = { 0 };
	struct an_config cfg;
	struct sr_figs fg;
	char err[256];
	const struct sr_fig_task *blob = NULL;

	(void)state;
	an_config_default(&cfg);
	if (sr_replay(w, &wi, &sim, &cfg, &r, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_true(sr_figs_replay(&r, &fg));
	for (size_t i = 0; i < fg.ntasks; i++)
		if (!strcmp(fg.tasks[i].name, "blob"))
			blob = &fg.tasks[i];
	assert_non_null(blob);
	assert_int_equal(blob->runs, 4);
	assert_int_equal(blob->run_max, 30 * MS);
	assert_int_equal(blob->run_total, 120 * MS);
	sr_figs_free(&fg);
	sr_replay_free(&r);
	wl_free(w);
	free(text);
}

/* A replay that does not match the recording proposes nothing. */
/* ---- performer backlogs ----------------------------------------------------
 * "layout" (DEFAULT_IDLE, auto-idle) works from 0 to 600 ms: first three
 * runs of 200 ms (first-class case) or thirty of 20 ms (priority case).
 * The posts of performer 0xa wait behind it; those of performer 0xb
 * ("file loaded", DEFAULT) waited 18 us in the recording. */

/* The workload; first: 0xa's posts are first class (keystrokes), else at
 * LOWEST ("refresh"). */
static char *backlog_text(bool first)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int nruns = first ? 3 : 30;
	long long run = 600 / nruns;

	assert_non_null(f);
	fprintf(f, "libsched-workload 1\nspan %lld\n", 1000 * MS);
	fprintf(f, "task 1 \"layout\" DEFAULT_IDLE auto-idle 0 0 0\n");
	for (int i = 0; i < nruns; i++)
		fprintf(f, "run 1 %lld %lld %lld %s\n", i * run * MS,
			i * run * MS, run * MS,
			i < nruns - 1 ? "active" : "inactive");
	fprintf(f, "start 0 1 0 1\n");
	for (long long t = 10; t < 600; t += 40) {
		/* Recorded: a keystroke runs when the layout run under way
		 * ends; a refresh when layout is done. */
		long long end = first ? (t / run + 1) * run : 600;

		fprintf(f, "post %lld 7 %s nowait 0 %lld \"%s\" 0xa %lld\n",
			t * MS, first ? "FIRST" : "LOWEST", MS / 10,
			first ? "" : "refresh", (end - t) * MS);
	}
	for (long long t = 25; t < 600; t += 200)
		fprintf(f, "post %lld 9 DEFAULT nowait 0 %lld \"file loaded\" "
			   "0xb %lld\n", t * MS, MS / 10, 18000LL);
	fclose(f);
	return buf;
}

/* with_figures(), the backlog named after the recording's performer. */
static char *backlog_figures(const char *text)
{
	char *full = with_figures(text, false);
	const char *from = "\"performer (the replay's)\"";
	char *at = strstr(full, from), *out;

	assert_non_null(at);
	out = malloc(strlen(full) + 16);
	assert_non_null(out);
	sprintf(out, "%.*s\"performer 0xa\"%s", (int)(at - full), full,
		at + strlen(from));
	free(full);
	return out;
}

static bool has_change(const struct fx_finding *x, const char *task)
{
	for (size_t i = 0; i < x->ncands; i++)
		for (int k = 0; k < x->cands[i].nchg; k++)
			if (!strcmp(x->cands[i].chg[k].name, task))
				return true;
	return false;
}

/* Another performer's posts, which did not wait, are no candidates; the
 * first-class backlog gets the note, and layout, which ran while the
 * keystrokes waited, split. */
static void test_fixes_backlog_first_class_gets_the_note_and_split(void **state)
{
	char *text = backlog_text(true), *full = backlog_figures(text);
	struct wl_workload *w = parse(full);
	struct an_config cfg;
	struct fx_result r;
	const struct fx_finding *x;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_DONE);
	x = fx_find(&r, "performer-backlog", "performer 0xa");
	assert_non_null(x);
	assert_false(has_change(x, "file loaded"));
	assert_non_null(strstr(x->note, "first class"));
	assert_non_null(strstr(x->note, "layout's 200 ms runs: split layout"));
	assert_true(x->ncands >= 1);
	for (size_t i = 0; i < x->ncands; i++) {
		const struct fx_candidate *c = &x->cands[i];

		assert_int_equal(c->chg[0].op, 's');
		assert_string_equal(c->chg[0].name, "layout");
		assert_true(c->verdict >= FX_NO_EFFECT);
		/* Judged on the queue delay: 190 ms behind a 200 ms run. */
		assert_true(c->before >= 150 * MS);
		assert_non_null(strstr(c->effect, "queue delay p99"));
	}
	/* Split in 10: 20 ms pieces, the delay at most a piece. */
	assert_true(x->cands[0].after <= 25 * MS);
	assert_true(x->cands[0].verdict >= FX_EASES);
	f = open_memstream(&out, &len);
	fx_text(f, &r, x, "  ");
	fclose(f);
	assert_non_null(strstr(out, "fixes: the delayed posts are first class"));
	assert_null(strstr(out, "file loaded"));
	free(out);
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

/* A backlog of posts at a priority: raised to HIGHEST, judged on the
 * performer's queue delay; the other performer's posts are left alone. */
static void test_fixes_backlog_at_a_priority_gets_the_raise(void **state)
{
	char *text = backlog_text(false), *full = backlog_figures(text);
	struct wl_workload *w = parse(full);
	struct an_config cfg;
	struct fx_result r;
	const struct fx_finding *x;
	const struct fx_candidate *c;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_DONE);
	x = fx_find(&r, "performer-backlog", "performer 0xa");
	assert_non_null(x);
	assert_false(has_change(x, "file loaded"));
	assert_string_equal(x->note, "");
	c = kept_with(x, 'p', "refresh", 0);
	assert_non_null(c);
	assert_non_null(strstr(c->call,
			       "lsched_task_set_priority(refresh, "
			       "LSCHED_PRIO_HIGHEST)"));
	/* Behind layout's end (up to 590 ms), then behind one 20 ms run. */
	assert_true(c->before_p99 >= 400 * MS);
	assert_true(c->after_p99 <= 25 * MS);
	assert_true(c->verdict >= FX_EASES);
	assert_non_null(strstr(c->effect, "performer's queue delay p99"));
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

static void test_fixes_none_when_unfaithful(void **state)
{
	char *text = workload_text(), *full = with_figures(text, true);
	struct wl_workload *w = parse(full);
	struct an_config cfg;
	struct fx_result r;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_UNFAITHFUL);
	assert_int_equal(r.nfindings, 0);
	assert_int_equal(r.replays, 0);
	assert_non_null(strstr(fx_status_text(&r), "not faithful"));
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

/* A budget of 0: the unchanged replay only, every candidate untried. */
static void test_fixes_budget_zero_tries_none(void **state)
{
	char *text = workload_text(), *full = with_figures(text, false);
	struct wl_workload *w = parse(full);
	struct an_config cfg;
	struct fx_result r;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 0, &r), 0);
	assert_int_equal(r.status, FX_DONE);
	assert_true(r.budget_out);
	assert_int_equal(r.replays, 0);
	for (size_t i = 0; i < r.nfindings; i++)
		for (size_t k = 0; k < r.findings[i].ncands; k++)
			assert_int_equal(r.findings[i].cands[k].verdict,
					 FX_UNTRIED);
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

#else /* TRACE=0: the replay has no events to measure */

static void test_fixes_none_without_tracepoints(void **state)
{
	char *text = workload_text();
	char *full;
	struct wl_workload *w;
	struct an_config cfg;
	struct fx_result r;
	size_t n = strlen(text);

	(void)state;
	full = malloc(n + 64);
	assert_non_null(full);
	memcpy(full, text, n);
	strcpy(full + n, "orig-thresholds 50000000 100000000\n");
	w = parse(full);
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_NO_REPLAY);
	assert_non_null(fx_status_text(&r));
	fx_free(&r);
	wl_free(w);
	free(full);
	free(text);
}

#endif

/* No recorded figures: nothing to check a replay against. */
static void test_fixes_none_without_figures(void **state)
{
	char *text = workload_text();
	struct wl_workload *w = parse(text);
	struct an_config cfg;
	struct fx_result r;

	(void)state;
	an_config_default(&cfg);
	assert_int_equal(fx_suggest(w, &cfg, 60, &r), 0);
	assert_int_equal(r.status, FX_NO_ORIG);
	assert_int_equal(r.replays, 0);
	fx_free(&r);
	wl_free(w);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifndef LSCHED_TRACE_DISABLED
		cmocka_unit_test(test_fixes_starving_task_gets_a_max_wait),
		cmocka_unit_test(test_fixes_never_yields_gets_a_split),
		cmocka_unit_test(test_fixes_split_whatif_keeps_the_work),
		cmocka_unit_test(
			test_fixes_backlog_first_class_gets_the_note_and_split),
		cmocka_unit_test(test_fixes_backlog_at_a_priority_gets_the_raise),
		cmocka_unit_test(test_fixes_none_when_unfaithful),
		cmocka_unit_test(test_fixes_budget_zero_tries_none),
#else
		cmocka_unit_test(test_fixes_none_without_tracepoints),
#endif
		cmocka_unit_test(test_fixes_none_without_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
