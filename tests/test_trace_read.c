/*
 * The trace reader's view of a recording still going on
 * (tools/common/trace_read.c): tr_recording_pid() finds the marker that
 * `schedprof record` keeps in its output directory, from that directory,
 * from the trace directory four levels below it, or from its metadata
 * file; it ignores a marker five levels up, one whose recorder no longer
 * runs, one whose pid now runs a process started after the marker was
 * written (a reused pid), and a malformed one; tr_reader_add_path()
 * answers TR_ERR_RECORDING with one line naming the path and the pid.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
