/*
 * The workload file format (tools/common/workload.c): a file with every
 * record parses into what it says; writing and parsing again gives the
 * same text; every malformed line is refused with a message naming its
 * line and field; the checks made once the file is read (references,
 * cycles); and arbitrary bytes (random files and mutations of a valid
 * one) never crash the parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

/* Every record kind, with quoted names and escapes. */
static const char full[] =
	"libsched-workload 1\n"
	"# a comment, and a blank line\n"
	"\n"
	"source \"hand made\"\n"
	"origin 1000\n"
	"span 500000000\n"
	"task 1 \"keys\" HIGHEST idle 0 0 0\n"
	"task 2 \"a \\\"spell\\\" checker\" DEFAULT_IDLE auto-idle 0 0 0\n"
	"task 3 tick 1 auto-timer 20000000 0 0\n"
	"task 4 \"repaint\" REPAINT idle 0 5000000 1\n"
	"run 1 100 100 1000000 inactive\n"
	"at 500 now\n"
	"at 600 start 2 0 1\n"
	"at 650 restart 4 0 0\n"
	"at 700 prio 3 HIGH_IDLE\n"
	"at 800 max-wait 2 40000000\n"
	"run 2 2000000 1100000 30000000 active\n"
	"at 250000 check continue 10000000\n"
	"at 500000 check input-pending 10000000\n"
	"at 600000 command 100000 \"cmd\\tone\"\n"
	"at 700000 build forced 20000\n"
	"at 800000 stop 2\n"
	"post 90 77 FIRST nowait 0 5000 \"\"\n"
	"at 1000 start 1 0 1\n"
	"post 95 78 DEFAULT wait 1500 7000 \"file loaded\"\n"
	"start 0 3 20000000 0\n"
	"stop 400000000 3\n"
	"stall 3000 100000\n"
	"prio 1000 4 LOWEST\n"
	"max-wait 2000 4 0\n"
	"orig-thresholds 50000000 100000000\n"
	"orig-posted-runs 12\n"
	"orig-prio LOWEST 10 1000 2000 3000 150000000 150000000\n"
	"orig-starve LOWEST 1000 151000000 closed\n"
	"orig-task \"keys\" HIGHEST 3 0 10 20 30 40 50\n"
	"orig-finding error \"starving-task\" \"keys (HIGHEST)\" "
	"\"waited up to 600 ms; meanwhile higher priorities\"\n"
	"orig-finding warning \"starving-priority\" \"LOWEST\"\n";

static struct wl_workload *parse_ok(const char *text)
{
	struct wl_workload *w = NULL;
	char err[256];
	int rc = wl_parse(text, strlen(text), &w, err, sizeof(err));

	if (rc)
		fail_msg("parse failed: %s", err);
	assert_non_null(w);
	return w;
}

static void test_workload_parses_every_record(void **state)
{
	struct wl_workload *w = parse_ok(full);
	const struct wl_task *t;

	(void)state;
	assert_string_equal(w->source, "hand made");
	assert_int_equal(w->origin, 1000);
	assert_int_equal(w->span, 500000000);
	assert_int_equal(w->ntasks, 4);
	t = wl_task_find(w, 2);
	assert_non_null(t);
	assert_string_equal(t->name, "a \"spell\" checker");
	assert_int_equal(t->prio, 6);
	assert_int_equal(t->kind, WL_AUTO_IDLE);
	assert_int_equal(t->nruns, 1);
	assert_int_equal(t->runs[0].duration, 30000000);
	assert_true(t->runs[0].active_after);
	assert_int_equal(t->runs[0].nsteps, 5);
	assert_int_equal(t->runs[0].steps[1].op, WL_CHECK);
	assert_int_equal(t->runs[0].steps[1].verdict, WL_INPUT_PENDING);
	assert_int_equal(t->runs[0].steps[1].value, 10000000);
	assert_string_equal(t->runs[0].steps[2].name, "cmd\tone");
	assert_int_equal(t->runs[0].steps[3].op, WL_BUILD);
	assert_int_equal(t->runs[0].steps[3].verdict, 1);
	t = wl_task_find(w, 3);
	assert_int_equal(t->prio, 1); /* by number */
	assert_int_equal(t->timeout, 20000000);
	t = wl_task_find(w, 4);
	assert_int_equal(t->parent, 1);
	assert_int_equal(t->max_wait, 5000000);
	t = wl_task_find(w, 1);
	assert_int_equal(t->runs[0].steps[0].op, WL_NOW);
	assert_int_equal(t->runs[0].steps[1].op, WL_START);
	assert_int_equal(t->runs[0].steps[1].run, 1);
	assert_int_equal(t->runs[0].steps[2].op, WL_RESTART);
	assert_int_equal(t->runs[0].steps[2].task, 4);
	assert_int_equal(t->runs[0].steps[2].run, 0);
	assert_int_equal(t->runs[0].steps[3].op, WL_PRIO);
	assert_int_equal(t->runs[0].steps[3].value, 2);
	assert_int_equal(w->nposts, 2);
	assert_int_equal(w->posts[0].prio, -1);
	assert_string_equal(w->posts[0].name, "");
	assert_int_equal(w->posts[0].thread, 77);
	assert_int_equal(w->posts[0].nsteps, 1);
	assert_int_equal(w->posts[1].prio, 1);
	assert_true(w->posts[1].wait);
	assert_int_equal(w->posts[1].latency, 1500);
	assert_int_equal(w->posts[1].duration, 7000);
	/* Actions sorted by time, in file order on a tie. */
	assert_int_equal(w->nactions, 5);
	assert_int_equal(w->actions[0].op, WL_START);
	assert_int_equal(w->actions[1].op, WL_PRIO);
	assert_int_equal(w->actions[2].op, WL_MAX_WAIT);
	assert_int_equal(w->actions[3].op, WL_STALL);
	assert_int_equal(w->actions[3].value, 100000);
	assert_int_equal(w->actions[4].op, WL_STOP);
	assert_true(w->has_orig);
	assert_int_equal(w->orig_prio[7].fired, 10);
	assert_int_equal(w->orig_prio[7].starved_ns, 150000000);
	assert_int_equal(w->norig_starves, 1);
	assert_int_equal(w->norig_tasks, 1);
	assert_int_equal(w->orig_posted_runs, 12);
	assert_int_equal(w->norig_findings, 2);
	assert_string_equal(w->orig_findings[0].severity, "error");
	assert_string_equal(w->orig_findings[0].culprit, "keys (HIGHEST)");
	assert_string_equal(w->orig_findings[0].evidence,
			    "waited up to 600 ms; meanwhile higher priorities");
	assert_null(w->orig_findings[1].evidence); /* an older file's */
	assert_int_equal(wl_run_count(w), 2);
	wl_free(w);
}

/* The text wl_write() makes of w, NUL-terminated; the caller frees it. */
static char *written(const struct wl_workload *w, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(wl_write(w, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_workload_round_trip(void **state)
{
	struct wl_workload *w = parse_ok(full), *w2;
	size_t len, len2;
	char *a = written(w, &len), *b;

	(void)state;
	w2 = parse_ok(a);
	b = written(w2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(a, b, len);
	assert_int_equal(wl_run_count(w2), wl_run_count(w));
	assert_string_equal(wl_task_find(w2, 2)->name, "a \"spell\" checker");
	free(a);
	free(b);
	wl_free(w);
	wl_free(w2);
}

/* A malformed file and the exact message it gets. */
struct bad {
	const char *text;
	const char *err;
};

#define HDR "libsched-workload 1\nspan 1000\n"
#define T1 "task 1 t DEFAULT idle 0 0 0\n"

static const struct bad bads[] = {
	{ "", "empty: not a libsched workload (no 'libsched-workload 1' line)" },
	{ "# only a comment\n", "empty: not a libsched workload (no 'libsched-workload 1' line)" },
	{ "hello world\n", "line 1: not a libsched workload: the first record must be 'libsched-workload 1'" },
	{ "libsched-workload 2\n", "line 1: workload version 2; this schedreplay reads version 1" },
	{ "libsched-workload x\n", "line 1: header: field 'version': 'x' is not an integer from 1 to 2147483647" },
	{ "libsched-workload 1\ntask 1 t DEFAULT idle 0 0 0\n", "no span record (the recording's length)" },
	{ HDR "bogus 1\n", "line 3: record: field 'keyword': 'bogus' is not a record (span, origin, source, task, run, post, at, start, restart, stop, prio, max-wait, stall, orig-thresholds, orig-posted-runs, orig-prio, orig-starve, orig-task, orig-finding)" },
	{ HDR "task 1 t FOO idle 0 0 0\n", "line 3: task: field 'priority': 'FOO' is not a priority (HIGHEST, DEFAULT, HIGH_IDLE, RESIZE, REPAINT, POST_PAINT, DEFAULT_IDLE, LOWEST or 0-7)" },
	{ HDR "task 1 t DEFAULT lazy 0 0 0\n", "line 3: task: field 'kind': 'lazy' is not a kind (idle, auto-idle, timer, auto-timer)" },
	{ HDR "task 0 t DEFAULT idle 0 0 0\n", "line 3: task: field 'id': '0' is not an integer from 1 to 9223372036854775807" },
	{ HDR "task 1 t DEFAULT idle -5 0 0\n", "line 3: task: field 'timeout': '-5' is not a number of ns (0 to 2^62)" },
	{ HDR "task 1 t DEFAULT idle 99999999999999999999 0 0\n", "line 3: task: field 'timeout': '99999999999999999999' is not a number of ns (0 to 2^62)" },
	{ HDR "task 1 t DEFAULT idle 0 0\n", "line 3: task: 6 fields, expected 7: task ID NAME PRIORITY KIND TIMEOUT_NS MAX_WAIT_NS PARENT" },
	{ HDR "task 1 \"\" DEFAULT idle 0 0 0\n", "line 3: task: field 'name': '' is not a name (1 byte or more)" },
	{ "libsched-workload 1\nspan -0\n", "line 2: span: field 'span': '-0' is not a number of ns (0 to 2^62)" },
	{ "libsched-workload 1\nspan +5\n", "line 2: span: field 'span': '+5' is not a number of ns (0 to 2^62)" },
	{ HDR T1 "task 1 u DEFAULT idle 0 0 0\n", "line 4: task: field 'id': task 1 is already defined" },
	{ HDR "run 1 0 0 10 active\n", "line 3: run: field 'task': no task 1 defined before this line" },
	{ HDR T1 "run 1 0 0 10 maybe\n", "line 4: run: field 'state': 'maybe' is not active or inactive" },
	{ HDR "at 5 now\n", "line 3: at: not after a run or post record" },
	{ HDR T1 "run 1 0 0 10 active\nat 11 now\n", "line 5: at: field 'offset': 11 is past the end of its run or post (duration 10)" },
	{ HDR T1 "run 1 0 0 10 active\nat 5 now\nat 4 now\n", "line 6: at: field 'offset': 4 is before the previous step's (5): steps go in time order" },
	{ HDR T1 "run 1 0 0 10 active\nat 5 jump 1\n", "line 5: at: field 'action': 'jump' is not an action (check, start, restart, stop, prio, max-wait, command, build, now)" },
	{ HDR T1 "run 1 0 0 10 active\nat 5 check maybe 10\n", "line 5: at: field 'verdict': 'maybe' is not a verdict (continue, slice-used, input-pending)" },
	{ HDR T1 "run 1 0 0 10 active\nat 5 check continue 0\n", "line 5: at: field 'slice': '0' is not an integer from 1 to 4611686018427387904" },
	{ HDR T1 "run 1 0 0 10 active\nat 5 start 1\n", "line 5: at start: 1 field after the action, expected 3: start TASK TIMEOUT_NS RUN" },
	{ HDR T1 "start 5 1\n", "line 4: start: 1 field after the time, expected 3: start TIME_NS TASK TIMEOUT_NS RUN" },
	{ HDR T1 "start x 1 0 0\n", "line 4: start: field 'time': 'x' is not a number of ns (0 to 2^62)" },
	{ HDR T1 "start 5 1 0 2\n", "line 4: a top-level action: field 'run': a start of task 1 leads to its run 2, but it has 0" },
	{ HDR "post 5 1 FIRST maybe 0 10 \"\"\n", "line 3: post: field 'wait': 'maybe' is not wait or nowait" },
	{ HDR "post 5 1 DEFAULT nowait 0 10 \"\"\n", "line 3: post: field 'name': '' is not a name (1 byte or more)" },
	{ HDR "post 5 1 FIRST nowait 10 \"\"\n", "line 3: post: 6 fields, expected 7: post TIME_NS THREAD PRIORITY|FIRST wait|nowait LATENCY_NS DURATION_NS NAME [PERFORMER DELAY_NS]" },
	{ HDR "post 5 1 FIRST nowait 0 10 \"\" 0xzz 3\n", "line 3: post: field 'performer': '0xzz' is not an address" },
	{ HDR "post 5 1 FIRST nowait 0 10 \"\" 0xa -2\n", "line 3: post: field 'delay': '-2' is not an integer from -1 to 9223372036854775807" },
	{ HDR T1 "run 1 0 0 10 active\nat 5 stall 3\n", "line 5: at: field 'action': 'stall' is not an action (check, start, restart, stop, prio, max-wait, command, build, now)" },
	{ HDR T1 "stall 5\n", "line 4: stall: 0 fields after the time, expected 1: stall TIME_NS DURATION_NS" },
	{ HDR T1 "now 5\n", "line 4: record: field 'keyword': 'now' is not a record (span, origin, source, task, run, post, at, start, restart, stop, prio, max-wait, stall, orig-thresholds, orig-posted-runs, orig-prio, orig-starve, orig-task, orig-finding)" },
	{ HDR "task 1 \"open DEFAULT idle 0 0 0\n", "line 3: a quoted string is not closed" },
	{ HDR "task 1 \"a\\q\" DEFAULT idle 0 0 0\n", "line 3: unknown escape in a quoted string (\\\\, \\\", \\n, \\t, \\xHH)" },
	{ HDR "task 1 \"a\\x00\" DEFAULT idle 0 0 0\n", "line 3: bad escape \\x in a quoted string (two hex digits, not 00)" },
	{ HDR "task 1 \"a\"b DEFAULT idle 0 0 0\n", "line 3: a quoted string must be followed by a blank" },
	{ HDR "task 1 t DEFAULT idle 0 0 0 1 2 3 4 5\n", "line 3: task: too many fields (at most 12)" },
	{ HDR "orig-starve LOWEST 10 5 closed\n", "line 3: orig-starve: field 'end': before its start" },
	{ HDR "orig-finding fatal x y\n", "line 3: orig-finding: field 'severity': 'fatal' is not a severity (info, warning, error)" },
	/* Checked once read. */
	{ HDR T1 "run 1 0 0 10 active\nat 5 start 9 0 0\n", "line 5: task 1, run 1: field 'task': a step names task 9, which no task record defines" },
	{ HDR T1 "stop 5 7\n", "line 4: a top-level action: field 'task': a step names task 7, which no task record defines" },
	{ HDR "task 1 a DEFAULT idle 0 0 2\ntask 2 b DEFAULT idle 0 0 1\n", "line 3: task 1: field 'parent': its parents make a cycle" },
	{ HDR "task 1 a DEFAULT idle 0 0 5\n", "line 3: task 1: field 'parent': parent 5 is not defined" },
	{ HDR "orig-prio LOWEST 1 0 0 0 0 0\n", "orig-* records without an orig-thresholds record (the thresholds of the recorded figures)" },
	/* Consistent times. */
	{ HDR T1 "run 1 10 20 5 active\n", "line 4: run: field 'ready': 20 is after the run's begin (10)" },
	{ HDR T1 "run 1 10 0 5 active\nrun 1 12 0 5 active\n", "line 5: run: field 'begin': 12 is before the end of task 1's previous run (15): a task's runs go in time order, one after the other" },
	{ HDR T1 "run 1 2000 0 5 active\n", "line 4: run: field 'begin': 2000 is past the span (1000): the recording ended before" },
	{ HDR "post 2000 1 FIRST nowait 0 10 \"\"\n", "line 3: post: field 'time': 2000 is past the span (1000): the recording ended before" },
	{ HDR T1 "stop 5000 1\n", "line 4: a top-level action: field 'time': 5000 is past the span (1000): the recording ended before" },
};

/* A name of n bytes using every byte value but NUL, in a malloc'ed string. */
static char *every_byte_name(size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(1 + i % 255);
	s[n] = '\0';
	return s;
}

/* What --save writes, the reader reads: names as long as a trace holds
 * (a 10 KB task and post name, a 300-byte command) and of any bytes. */
static void test_workload_long_names_round_trip(void **state)
{
	char *big = every_byte_name(10240), *cmd = every_byte_name(300);
	struct wl_workload *w = parse_ok(HDR T1), *w2;
	struct wl_task *t = &w->tasks[0];
	struct wl_step st = { 0 };
	size_t len, len2;
	char *a, *b;

	(void)state;
	/* The names go in as the trace's extraction puts them: directly. */
	t->name = big;
	w->posts = calloc(1, sizeof(*w->posts));
	assert_non_null(w->posts);
	w->nposts = w->capposts = 1;
	w->posts[0].at = 5;
	w->posts[0].prio = 1;
	w->posts[0].duration = 10;
	w->posts[0].name = big;
	w->posts[0].steps = &st;
	w->posts[0].nsteps = 1;
	st.op = WL_COMMAND;
	st.at = 1;
	st.value = 2;
	st.name = cmd;
	a = written(w, &len);
	w->posts[0].steps = NULL;
	w->posts[0].nsteps = 0;
	w2 = parse_ok(a);
	b = written(w2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(a, b, len);
	assert_string_equal(w2->tasks[0].name, big);
	assert_int_equal(w2->nposts, 1);
	assert_string_equal(w2->posts[0].name, big);
	assert_int_equal(w2->posts[0].nsteps, 1);
	assert_string_equal(w2->posts[0].steps[0].name, cmd);
	t->name = NULL;
	w->posts[0].name = NULL;
	free(a);
	free(b);
	wl_free(w);
	wl_free(w2);
	free(big);
	free(cmd);
}

/* One chain of n tasks, each the parent of the next (down) or of the one
 * before (up), in a malloc'ed file. */
static char *chain(size_t n, bool down, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	fputs(HDR, f);
	for (size_t i = 1; i <= n; i++)
		fprintf(f, "task %zu t%zu DEFAULT idle 0 0 %zu\n", i, i,
			down ? (i < n ? i + 1 : 0) : i - 1);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The parent check is linear in the tasks, whatever the depth of their
 * chains: it follows at most two links per task (walking every task's
 * whole chain followed n^2/2 for one chain of n, 18 s at 40k tasks). */
static void test_workload_parent_chain_linear(void **state)
{
	const size_t n = 20000;

	(void)state;
	for (int down = 0; down < 2; down++) {
		struct wl_workload *w;
		char err[256];
		size_t len;
		char *text = chain(n, down, &len);

		assert_int_equal(wl_parse(text, len, &w, err, sizeof(err)), 0);
		assert_int_equal(w->ntasks, n);
		assert_true(w->parent_links >= n - 1);
		assert_true(w->parent_links <= 2 * n);
		wl_free(w);
		free(text);
	}
}

static void test_workload_bad_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(*bads); i++) {
		struct wl_workload *w = (struct wl_workload *)1;
		char err[512];
		int rc = wl_parse(bads[i].text, strlen(bads[i].text), &w, err,
				  sizeof(err));

		if (rc != -1 || w != NULL || strcmp(err, bads[i].err))
			fail_msg("case %zu: rc %d, error\n  '%s', expected\n  '%s'",
				 i, rc, err, bads[i].err);
	}
}

static void test_workload_nul_byte(void **state)
{
	static const char text[] = "libsched-workload 1\nspan 1\x00" "0\n";
	struct wl_workload *w;
	char err[256];

	(void)state;
	assert_int_equal(wl_parse(text, sizeof(text) - 1, &w, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "line 2: a NUL byte: not a text file");
}

/* The parser reads exactly len bytes: a buffer cut anywhere, with no NUL
 * after it, is parsed or refused, never overrun (ASan or Valgrind would
 * catch a read past it). */
static void test_workload_cut_anywhere(void **state)
{
	size_t len = strlen(full);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		char *buf = malloc(cut ? cut : 1);
		struct wl_workload *w = NULL;
		char err[256];
		int rc;

		assert_non_null(buf);
		memcpy(buf, full, cut);
		rc = wl_parse(buf, cut, &w, err, sizeof(err));
		assert_true(rc == 0 || rc == -1);
		assert_true(rc == 0 ? w != NULL : (w == NULL && err[0]));
		wl_free(w);
		free(buf);
	}
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes, and a valid file with random bytes changed, inserted or
 * dropped: parsed or refused with a message, never a crash. */
static void test_workload_arbitrary_bytes(void **state)
{
	static const char alphabet[] = " \t\n\"\\x0123456789-abcdefghijklmnopqrstuvwxyzAT#";
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t len = strlen(full);
	unsigned accepted = 0, refused = 0;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t n = round < 1000 ? rng_next(&rng) % 200 : len + 16;
		char *buf = malloc(n + 1);
		struct wl_workload *w = NULL;
		char err[256];
		size_t blen;

		assert_non_null(buf);
		if (round < 1000) {
			for (size_t i = 0; i < n; i++)
				buf[i] = round % 2 ? (char)rng_next(&rng)
					   : alphabet[rng_next(&rng) % (sizeof(alphabet) - 1)];
			blen = n;
		} else {
			memcpy(buf, full, len);
			blen = len;
			for (int k = 0; k < 1 + round % 4; k++) {
				size_t at = rng_next(&rng) % blen;
				char c = alphabet[rng_next(&rng) % (sizeof(alphabet) - 1)];

				switch (rng_next(&rng) % 3) {
				case 0:
					buf[at] = c;
					break;
				case 1: /* insert */
					if (blen < n) {
						memmove(buf + at + 1, buf + at, blen - at);
						buf[at] = c;
						blen++;
					}
					break;
				default: /* drop */
					memmove(buf + at, buf + at + 1, blen - at - 1);
					blen--;
					break;
				}
			}
		}
		if (wl_parse(buf, blen, &w, err, sizeof(err)) == 0) {
			assert_non_null(w);
			accepted++;
		} else {
			assert_null(w);
			assert_true(err[0] != '\0');
			refused++;
		}
		wl_free(w);
		free(buf);
	}
	/* Both outcomes happened: the mutations reach past the header. */
	assert_true(accepted > 0);
	assert_true(refused > 0);
}

static void test_workload_prio_names(void **state)
{
	(void)state;
	assert_int_equal(wl_prio_parse("lowest"), 7);
	assert_int_equal(wl_prio_parse("HIGH_IDLE"), 2);
	assert_int_equal(wl_prio_parse("3"), 3);
	assert_int_equal(wl_prio_parse("8"), -1);
	assert_int_equal(wl_prio_parse("-1"), -1);
	assert_int_equal(wl_prio_parse(""), -1);
	assert_string_equal(wl_prio_name(-1), "FIRST");
	assert_string_equal(wl_prio_name(6), "DEFAULT_IDLE");
	assert_string_equal(wl_kind_name(WL_AUTO_TIMER), "auto-timer");
	assert_string_equal(wl_verdict_name(WL_SLICE_USED), "slice-used");
}

static void test_workload_load_names_the_file(void **state)
{
	struct wl_workload *w;
	char err[512], path[] = "/tmp/test_workload_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(HDR "task 1 t NOPE idle 0 0 0\n", f);
	fclose(f);
	assert_int_equal(wl_load(path, &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ": line 3: task: field 'priority': 'NOPE'"));
	unlink(path);
	assert_int_equal(wl_load(path, &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
}

/* A device or a pipe is refused before anything is read: /dev/zero would
 * have been read into memory without end. */
static void test_workload_load_refuses_non_regular(void **state)
{
	struct wl_workload *w = (struct wl_workload *)1;
	char err[512];

	(void)state;
	assert_int_equal(wl_load("/dev/zero", &w, err, sizeof(err)), -1);
	assert_null(w);
	assert_string_equal(err, "/dev/zero: not a regular file (a workload is "
				 "read from a file, a trace from its directory)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_parses_every_record),
		cmocka_unit_test(test_workload_round_trip),
		cmocka_unit_test(test_workload_long_names_round_trip),
		cmocka_unit_test(test_workload_parent_chain_linear),
		cmocka_unit_test(test_workload_bad_lines),
		cmocka_unit_test(test_workload_nul_byte),
		cmocka_unit_test(test_workload_cut_anywhere),
		cmocka_unit_test(test_workload_arbitrary_bytes),
		cmocka_unit_test(test_workload_prio_names),
		cmocka_unit_test(test_workload_load_names_the_file),
		cmocka_unit_test(test_workload_load_refuses_non_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
