/*
 * The trace reader's view of a recording still going on
 * (tools/common/trace_read.c): tr_recording_pid() finds the marker that
 * `schedprof record` keeps in its output directory, from that directory,
 * from the trace directory four levels below it, or from its metadata
 * file; it ignores a marker five levels up, one whose recorder no longer
 * runs, one whose pid now runs a process started after the marker was
 * written (a reused pid), and a malformed one; tr_reader_add_path()
 * answers TR_ERR_RECORDING with one line naming the path and the pid.
 *
 * And the recordings of the traces added (struct tr_recording), on copies
 * of the kept trace tests/traces/before-cpu (run from the checkout's top,
 * as make check does): two copies of one trace (the same recording and
 * trace UUID) are refused as they are added (TR_ERR_COPY, one line naming
 * both), even with tr_reader_allow_merge(); a recording is named by the
 * directory above LTTng's ust/uid/0/64-bit; a copy whose session
 * name was changed is another recording, refused by tr_reader_run()
 * (TR_ERR_MERGE, nothing read, one line naming both and saying how to
 * pick one) unless tr_reader_allow_merge(), and tr_reader_print_merged()
 * then lists both.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace_read.h"

struct tree {
	char top[256];        /* the session's output directory */
	char trace[512];      /* top/ust/uid/0/64-bit */
	char meta[PATH_MAX];  /* trace/metadata */
	char marker[PATH_MAX];
};

static void mkdir_ok(const char *path)
{
	assert_int_equal(mkdir(path, 0755), 0);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	const char *tmp = getenv("TMPDIR");
	char path[sizeof(t->top) + 32];
	FILE *f;

	assert_non_null(t);
	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	snprintf(t->top, sizeof(t->top), "%s/test_trace_read.XXXXXX", tmp);
	assert_non_null(mkdtemp(t->top));
	snprintf(path, sizeof(path), "%s/ust", t->top);
	mkdir_ok(path);
	snprintf(path, sizeof(path), "%s/ust/uid", t->top);
	mkdir_ok(path);
	snprintf(path, sizeof(path), "%s/ust/uid/0", t->top);
	mkdir_ok(path);
	snprintf(t->trace, sizeof(t->trace), "%s/ust/uid/0/64-bit", t->top);
	mkdir_ok(t->trace);
	snprintf(t->meta, sizeof(t->meta), "%s/metadata", t->trace);
	f = fopen(t->meta, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(t->marker, sizeof(t->marker), "%s/%s", t->top,
		 TR_RECORDING_MARKER);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[sizeof(t->top) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->top);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void write_marker(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void marker_of(const struct tree *t, long long pid, long long when)
{
	char line[64];

	snprintf(line, sizeof(line), "%lld %lld\n", pid, when);
	write_marker(t->marker, line);
}

static void recording_seen_from_the_output_dir_the_trace_and_metadata(
	void **state)
{
	struct tree *t = *state;
	char sub[PATH_MAX + 8];

	assert_int_equal(tr_recording_pid(t->top), 0);
	marker_of(t, getpid(), time(NULL));
	assert_int_equal(tr_recording_pid(t->top), getpid());
	assert_int_equal(tr_recording_pid(t->trace), getpid());
	assert_int_equal(tr_recording_pid(t->meta), getpid());
	/* Trailing slashes change nothing. */
	snprintf(sub, sizeof(sub), "%s//", t->trace);
	assert_int_equal(tr_recording_pid(sub), getpid());
}

static void marker_five_levels_up_is_not_this_trace(void **state)
{
	struct tree *t = *state;
	char deeper[PATH_MAX + 8];

	snprintf(deeper, sizeof(deeper), "%s/more", t->trace);
	mkdir_ok(deeper);
	marker_of(t, getpid(), time(NULL));
	assert_int_equal(tr_recording_pid(deeper), 0);
}

static void marker_of_a_dead_recorder_is_ignored(void **state)
{
	struct tree *t = *state;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	marker_of(t, child, time(NULL));
	assert_int_equal(tr_recording_pid(t->trace), 0);
}

static void marker_older_than_its_pid_is_ignored(void **state)
{
	struct tree *t = *state;
	int64_t started = tr_process_start_time(getpid());

	assert_true(started > 0);
	/* Written before this process started: the pid was reused. */
	marker_of(t, getpid(), started - 60);
	assert_int_equal(tr_recording_pid(t->trace), 0);
}

static void malformed_marker_is_ignored(void **state)
{
	struct tree *t = *state;

	write_marker(t->marker, "");
	assert_int_equal(tr_recording_pid(t->trace), 0);
	write_marker(t->marker, "schedprof\n");
	assert_int_equal(tr_recording_pid(t->trace), 0);
	write_marker(t->marker, "0 0\n");
	assert_int_equal(tr_recording_pid(t->trace), 0);
	write_marker(t->marker, "99999999999 1\n");
	assert_int_equal(tr_recording_pid(t->trace), 0);
}

static void reader_refuses_a_trace_being_recorded(void **state)
{
	struct tree *t = *state;
	struct tr_reader *r = tr_reader_new();
	char want[PATH_MAX + 128];

	assert_non_null(r);
	marker_of(t, getpid(), time(NULL));
	assert_int_equal(tr_reader_add_path(r, t->top), TR_ERR_RECORDING);
	snprintf(want, sizeof(want), "%s: still being recorded (by schedprof "
		 "record, pid %d): read it once the recording has ended",
		 t->top, (int)getpid());
	assert_string_equal(tr_reader_error(r), want);
	tr_reader_free(r);
}

static void reader_says_not_a_trace_once_the_marker_is_gone(void **state)
{
	struct tree *t = *state;
	struct tr_reader *r = tr_reader_new();

	assert_non_null(r);
	/* The empty metadata file of this tree: not the recording's
	 * answer any more. */
	assert_true(tr_reader_add_path(r, t->top) < 0);
	assert_null(strstr(tr_reader_error(r), "still being recorded"));
	tr_reader_free(r);
}

static void start_time_of_a_process_that_does_not_run(void **state)
{
	pid_t child = fork();

	(void)state;
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(tr_process_start_time(child), -1);
	assert_true(tr_process_start_time(getpid()) <= (int64_t)time(NULL));
}

/* ---- recordings ---------------------------------------------------------- */

#define KEPT_TRACE "tests/traces/before-cpu"

struct pair {
	char top[256];
	char a[300], b[300];
};

static void run_ok(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	const char *tmp = getenv("TMPDIR");
	char cmd[1024];

	assert_non_null(p);
	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	snprintf(p->top, sizeof(p->top), "%s/test_trace_read.XXXXXX", tmp);
	assert_non_null(mkdtemp(p->top));
	snprintf(p->a, sizeof(p->a), "%s/a", p->top);
	snprintf(p->b, sizeof(p->b), "%s/b", p->top);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && cp -r '%s' '%s'",
		 KEPT_TRACE, p->a, KEPT_TRACE, p->b);
	run_ok(cmd);
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;
	char cmd[sizeof(p->top) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->top);
	assert_int_equal(system(cmd), 0);
	free(p);
	return 0;
}

/* Changes the copy at dir's (packetized) metadata in place: the last
 * character of the first from becomes to (the length stays). */
static void edit_metadata(const char *dir, const char *from, char to)
{
	char path[PATH_MAX];
	char *buf, *at;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ust/uid/0/64-bit/metadata", dir);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	at = memmem(buf, (size_t)n, from, strlen(from));
	assert_non_null(at);
	at[strlen(from) - 1] = to;
	rewind(f);
	assert_int_equal(fwrite(buf, 1, (size_t)n, f), (size_t)n);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

/* Makes the copy at dir another session's: its trace_name
 * "schedprof-..." becomes "schedprog-...". */
static void rename_session(const char *dir)
{
	edit_metadata(dir, "trace_name = \"schedprof", 'g');
}

/* Two copies of one recording below a directory (cp -r TRACE a; cp -r
 * TRACE b): the same trace twice, every event would count twice. Refused
 * as it is added, naming both, even with --merge; the same path given
 * twice is still read once. */
static void copies_of_one_trace_are_refused_even_merged(void **state)
{
	struct pair *p = *state;
	struct tr_reader *r = tr_reader_new();
	char want[2048], trace[PATH_MAX];

	assert_non_null(r);
	tr_reader_allow_merge(r, true);
	assert_int_equal(tr_reader_add_path(r, p->top), TR_ERR_COPY);
	snprintf(want, sizeof(want), "%s/ust/uid/0/64-bit and "
		 "%s/ust/uid/0/64-bit: two copies of one trace (session "
		 "schedprof-17781-1796619350, trace UUID "
		 "fd7c727a-bfc6-46c9-9741-0a6691c720b0): give one of them",
		 p->a, p->b);
	assert_string_equal(tr_reader_error(r), want);
	assert_int_equal(tr_reader_run(r, NULL), TR_ERR_COPY);
	assert_int_equal(tr_reader_stats(r)->events, 0);
	tr_reader_free(r);

	r = tr_reader_new();
	assert_non_null(r);
	snprintf(trace, sizeof(trace), "%s/ust/uid/0/64-bit", p->a);
	assert_int_equal(tr_reader_add_path(r, p->a), 1);
	assert_int_equal(tr_reader_add_path(r, trace), 0);
	assert_int_equal(tr_reader_add_path(r, p->a), 0);
	assert_int_equal(tr_reader_recording_count(r), 1);
	assert_int_equal(tr_reader_run(r, NULL), TR_OK);
	tr_reader_free(r);
}

static void one_trace_is_named_by_its_session_directory(void **state)
{
	struct pair *p = *state;
	struct tr_reader *r = tr_reader_new();
	char trace[PATH_MAX];
	FILE *devnull = fopen("/dev/null", "w");

	assert_non_null(r);
	assert_non_null(devnull);
	snprintf(trace, sizeof(trace), "%s/ust/uid/0/64-bit", p->a);
	assert_int_equal(tr_reader_add_path(r, trace), 1);
	assert_string_equal(tr_reader_recording(r, 0)->dir, p->a);
	assert_int_equal(tr_reader_recording(r, 0)->traces, 1);
	/* One recording: nothing to say. */
	assert_int_equal(tr_reader_print_merged(r, devnull, "test"), 1);
	assert_int_equal(ftell(devnull), 0);
	fclose(devnull);
	tr_reader_free(r);
}

static void two_recordings_are_refused_unless_merged(void **state)
{
	struct pair *p = *state;
	struct tr_reader *r = tr_reader_new();
	char want[2048];

	assert_non_null(r);
	rename_session(p->b);
	assert_int_equal(tr_reader_add_path(r, p->top), 2);
	assert_int_equal(tr_reader_recording_count(r), 2);
	assert_int_equal(tr_reader_run(r, NULL), TR_ERR_MERGE);
	assert_int_equal(tr_reader_stats(r)->events, 0);
	snprintf(want, sizeof(want), "traces of 2 different recordings "
		 "(give the directory of one, or --merge to read them "
		 "together): %s: session schedprof-17781-1796619350; %s: "
		 "session schedprog-17781-1796619350", p->a, p->b);
	assert_string_equal(tr_reader_error(r), want);
	tr_reader_free(r);
}

static void a_session_name_used_twice_is_told_apart_by_its_time(
	void **state)
{
	struct pair *p = *state;
	struct tr_reader *r = tr_reader_new();
	char want[2048];

	assert_non_null(r);
	/* The same session name, created a second later. */
	edit_metadata(p->b, "trace_creation_datetime = \"20261207T045550", '1');
	assert_int_equal(tr_reader_add_path(r, p->top), 2);
	assert_int_equal(tr_reader_run(r, NULL), TR_ERR_MERGE);
	snprintf(want, sizeof(want), "traces of 2 different recordings "
		 "(give the directory of one, or --merge to read them "
		 "together): %s: session schedprof-17781-1796619350, created "
		 "2026-12-07 04:55:50 UTC; %s: session "
		 "schedprof-17781-1796619350, created 2026-12-07 04:55:51 UTC",
		 p->a, p->b);
	assert_string_equal(tr_reader_error(r), want);
	tr_reader_free(r);
}

static void merged_recordings_are_read_and_listed(void **state)
{
	struct pair *p = *state;
	struct tr_reader *one = tr_reader_new(), *r = tr_reader_new();
	char *text = NULL, want[2048];
	size_t len = 0;
	FILE *f;

	assert_non_null(one);
	assert_non_null(r);
	assert_int_equal(tr_reader_add_path(one, p->a), 1);
	assert_int_equal(tr_reader_run(one, NULL), TR_OK);
	rename_session(p->b);
	tr_reader_allow_merge(r, true);
	assert_int_equal(tr_reader_add_path(r, p->a), 1);
	assert_int_equal(tr_reader_add_path(r, p->b), 1);
	assert_int_equal(tr_reader_run(r, NULL), TR_OK);
	/* Both read: every event twice. */
	assert_true(tr_reader_stats(one)->events > 0);
	assert_int_equal(tr_reader_stats(r)->events,
			 2 * tr_reader_stats(one)->events);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(tr_reader_print_merged(r, f, "test"), 2);
	assert_int_equal(fclose(f), 0);
	snprintf(want, sizeof(want), "test: merged 2 recordings (--merge):\n"
		 "test:   %s: session schedprof-17781-1796619350, created "
		 "2026-12-07 04:55:50 UTC, 1 trace\n"
		 "test:   %s: session schedprog-17781-1796619350, created "
		 "2026-12-07 04:55:50 UTC, 1 trace\n", p->a, p->b);
	assert_string_equal(text, want);
	free(text);
	tr_reader_free(one);
	tr_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)
		T(recording_seen_from_the_output_dir_the_trace_and_metadata),
		T(marker_five_levels_up_is_not_this_trace),
		T(marker_of_a_dead_recorder_is_ignored),
		T(marker_older_than_its_pid_is_ignored),
		T(malformed_marker_is_ignored),
		T(reader_refuses_a_trace_being_recorded),
		T(reader_says_not_a_trace_once_the_marker_is_gone),
		cmocka_unit_test(start_time_of_a_process_that_does_not_run),
#undef T
#define P(f) cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)
		P(copies_of_one_trace_are_refused_even_merged),
		P(one_trace_is_named_by_its_session_directory),
		P(two_recordings_are_refused_unless_merged),
		P(a_session_name_used_twice_is_told_apart_by_its_time),
		P(merged_recordings_are_read_and_listed),
#undef P
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
