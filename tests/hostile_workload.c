/*
 * A program that names its tasks, posts, threads and process the way an
 * attacker (or a careless program) would, for the end-to-end test of the
 * tools on hostile names (scripts/test-hostile-names.sh, issue 17): every
 * tool and output format is run on its recorded trace, and every output
 * must stay well formed with nothing reaching the terminal raw.
 *
 * The names: HTML (<script>alert(1)</script>), a double quote, a
 * backslash, an OSC escape that retitles a terminal, CSI escapes that
 * clear it and colour it, bytes that are not UTF-8 (and a C1 CSI, U+009B),
 * a newline and a tab, printf conversions (%s%n%x, "progress 100%"), and a
 * 10 KB name. Tasks get them all (a task name is never empty); posts at a
 * priority get them from another thread; that thread and the process get
 * short ones (the kernel keeps 15 bytes), the thread an empty one too. One
 * task ("\x1b]0;pwned\x07") runs 60 ms, a long task, so that a hostile
 * name is also a finding's culprit.
 *
 * Prints its pid and the task names' count on stdout; exit status 0, or 1 if the
 * library failed.
 */
#include <libsched/libsched.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define BIG_LEN 10240
/* Long enough that the tasks queued behind it wait past schedprof's
 * starve threshold (100 ms): their starving-task findings, task waits and
 * blame carry the hostile names too. */
#define LONG_NS LSCHED_MS(150)

static char big[BIG_LEN + 1];
static const char *names[] = {
	"<script>alert(1)</script>",
	"\"",
	"\\",
	"\x1b]0;pwned\x07",
	"\x1b[2J\x1b[31mred\x1b[0m",
	"bad \xff\xfe utf8 \xc0\xaf and \xc2\x9b" "31m",
	"a\nb\tc\r",
	"%s%n%x",
	"progress 100%",
	"it's \"quoted\" \\ 'twice'",
	big,
};
#define NNAMES (sizeof(names) / sizeof(*names))

static lsched_loop *loop;
static lsched_performer *perf;
static int failed, ran;

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "hostile_workload: %s: %s\n", what,
			lsched_strerror(err));
		failed = 1;
	}
}

static void spin_ns(int64_t ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) <
	       ns);
}

static void on_task(lsched_task *t, void *arg)
{
	const char *name = arg;

	spin_ns(strcmp(name, "\x1b]0;pwned\x07") ? LSCHED_US(200) : LONG_NS);
	ran++;
	lsched_task_destroy(t);
}

static void on_post(void *arg)
{
	(void)arg;
	spin_ns(LSCHED_US(100));
}

static void on_quit(lsched_task *t, void *arg)
{
	(void)arg;
	lsched_task_destroy(t);
	check(lsched_loop_stop(loop), "stop");
}

/* Posts every name at a priority, from a thread named "\x1b[2J" and then
 * "" (prctl: the kernel's 15 bytes). */
static void *poster(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "\x1b[2J\x1b]0;t\x07", 0, 0, 0);
	for (size_t i = 0; i < NNAMES; i++) {
		if (i == NNAMES / 2)
			prctl(PR_SET_NAME, "", 0, 0, 0);
		check(lsched_perform_at(perf, LSCHED_PRIO_DEFAULT, names[i],
					on_post, NULL, 0),
		      "perform_at");
	}
	return NULL;
}

int main(void)
{
	pthread_t th;

	/* 10 KB: letters, with a hostile byte every 1000. */
	for (size_t i = 0; i < BIG_LEN; i++)
		big[i] = i % 1000 == 999 ? "\x1b\n%\"\\\xff"[i / 1000 % 6]
					 : (char)('a' + i % 26);
	prctl(PR_SET_NAME, "\x1b]0;p\x07%n\xff", 0, 0, 0);
	loop = lsched_loop_new(NULL);
	perf = loop ? lsched_performer_new(loop) : NULL;
	if (!loop || !perf) {
		fprintf(stderr, "hostile_workload: setup: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	check(lsched_loop_set_name(loop, "\x1b]0;loop\x07 %s\n\xff<b>"),
	      "loop_set_name");
	for (size_t i = 0; i < NNAMES; i++) {
		lsched_task *t = lsched_task_new(loop, names[i], LSCHED_TASK_IDLE,
						 LSCHED_PRIO_DEFAULT, on_task,
						 (void *)names[i]);

		if (!t) {
			fprintf(stderr, "hostile_workload: task %zu: %s\n", i,
				lsched_strerror(-errno));
			return 1;
		}
		check(lsched_task_start(t), "start");
	}
	lsched_task *quit = lsched_task_new(loop, "quit", LSCHED_TASK_TIMER,
					    LSCHED_PRIO_LOWEST, on_quit, NULL);
	if (!quit)
		return 1;
	check(lsched_task_set_timeout(quit, LSCHED_MS(150)), "timeout");
	check(lsched_task_start(quit), "start quit");
	if (pthread_create(&th, NULL, poster, NULL) != 0)
		return 1;
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	pthread_join(th, NULL);
	lsched_performer_destroy(perf);
	lsched_loop_destroy(loop);
	printf("pid=%d\ntasks=%zu ran=%d\n", (int)getpid(), NNAMES, ran);
	return failed || ran != (int)NNAMES;
}
