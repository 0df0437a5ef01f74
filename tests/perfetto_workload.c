/*
 * A workload with a known truth, for schedprof export --perfetto's test
 * (scripts/test-schedprof-perfetto.sh): it is recorded for real, and
 * prints on stdout, one "key=value" per line, what the timeline must
 * show, so that the test compares the exported threads, arrows and
 * slices with it. Times are CLOCK_MONOTONIC ns, the clock of the trace's
 * payload times for a loop on the real clock.
 *
 * The loop (named "perfetto") runs on the main thread. Two poster
 * threads each make POSTS posts to one performer, every 3 ms, one in
 * two first-class (lsched_perform()) and the other at DEFAULT
 * (lsched_perform_at(), a task named "post-1" or "post-2"); the loop
 * sleeps between them. A one-shot DEFAULT_IDLE task "sliced" runs ITERS
 * iterations of 1 ms under a stopwatch, checking after each one
 * (lsched_stopwatch_continue(), a 1 s slice and no input flags: it
 * never says stop).
 *
 *   pid=, loop=, loop_tid=         the process, its loop and the loop's
 *                                  thread (gettid())
 *   poster1_tid=, poster2_tid=     the posting threads (gettid())
 *   run=TID,KIND,SEQ,AT            a post's work ran: posted by thread
 *                                  TID (KIND "perform" or "at", the
 *                                  poster's SEQ-th post), at AT ns, an
 *                                  instant inside the work's run
 *   sliced_task=ID                 the stopwatch task's id
 *   iter=I,BEGIN,END               its I-th iteration (from 0), measured
 *                                  by the task; a check follows each
 *   ok=1                           everything ran as planned
 *
 *   perfetto_workload [--idle]
 *
 * --idle instead runs a loop with one idle task run 3 times, and prints
 * pid= and ok=1: a second process for --pid.
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POSTS 10
#define ITERS 5
#define MAX_RUNS (2 * POSTS)

struct post {
	int poster_tid;
	int seq;
	int at;          /* made with lsched_perform_at() */
	int64_t ran_ns;  /* inside its run, on the loop's thread */
};

static lsched_loop *loop;
static lsched_performer *perf;
static struct post posts[2][POSTS];
static int poster_tid[2];
static int runs;
static int sliced_done;
static int64_t iter_begin[ITERS], iter_end[ITERS];

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void spin_ns(int64_t ns)
{
	int64_t end = mono_ns() + ns;

	while (mono_ns() < end)
		;
}

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "perfetto_workload: %s: %s\n", what,
			lsched_strerror(err));
		exit(1);
	}
}

static void maybe_stop(void)
{
	if (runs == MAX_RUNS && sliced_done)
		check(lsched_loop_stop(loop), "stop");
}

static void on_post(void *arg)
{
	struct post *p = arg;

	p->ran_ns = mono_ns();
	spin_ns(20000);
	runs++;
	maybe_stop();
}

static void *poster(void *arg)
{
	int k = (int)(intptr_t)arg;
	static const char *const names[2] = { "post-1", "post-2" };
	struct timespec gap = { 0, 3000000 };

	poster_tid[k] = (int)gettid();
	for (int i = 0; i < POSTS; i++) {
		struct post *p = &posts[k][i];

		p->poster_tid = poster_tid[k];
		p->seq = i;
		p->at = i % 2;
		if (p->at)
			check(lsched_perform_at(perf, LSCHED_PRIO_DEFAULT,
						names[k], on_post, p, 0),
			      "perform_at");
		else
			check(lsched_perform(perf, on_post, p, 0), "perform");
		nanosleep(&gap, NULL);
	}
	return NULL;
}

static void on_sliced(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;

	(void)t;
	(void)arg;
	check(lsched_stopwatch_init(&sw, loop), "stopwatch");
	check(lsched_stopwatch_set_slice(&sw, LSCHED_MS(1000)), "slice");
	/* Posts pending must not cut it short: only the slice counts. */
	check(lsched_stopwatch_set_flags(&sw, 0), "flags");
	for (int i = 0; i < ITERS; i++) {
		iter_begin[i] = mono_ns();
		spin_ns(LSCHED_MS(1));
		iter_end[i] = mono_ns();
		if (!lsched_stopwatch_continue(&sw)) {
			fprintf(stderr, "perfetto_workload: the stopwatch "
				"said stop\n");
			exit(1);
		}
	}
	sliced_done = 1;
	maybe_stop();
}

static int idle_runs;

static void on_idle(lsched_task *t, void *arg)
{
	(void)arg;
	spin_ns(LSCHED_MS(1));
	if (++idle_runs == 3) {
		check(lsched_task_stop(t), "stop idle");
		check(lsched_loop_stop(loop), "stop");
	}
}

/* Posts would be trace events of the quiet process too: none here. */
static int run_idle(void)
{
	lsched_task *t;

	t = lsched_task_new(loop, "quiet", LSCHED_TASK_AUTO_IDLE,
			    LSCHED_PRIO_DEFAULT, on_idle, NULL);
	if (!t)
		check(-errno, "task");
	check(lsched_task_start(t), "start");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	lsched_task_destroy(t);
	printf("pid=%d\nok=1\n", (int)getpid());
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t th[2];
	lsched_task *sliced;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--idle"))) {
		fprintf(stderr, "usage: perfetto_workload [--idle]\n");
		return 2;
	}
	loop = lsched_loop_new(lsched_clock_monotonic());
	if (!loop)
		check(-errno, "loop");
	if (argc == 2) {
		int rc = run_idle();

		lsched_loop_destroy(loop);
		return rc;
	}
	check(lsched_loop_set_name(loop, "perfetto"), "name");
	perf = lsched_performer_new(loop);
	if (!perf)
		check(-errno, "performer");
	sliced = lsched_task_new(loop, "sliced", LSCHED_TASK_IDLE,
				 LSCHED_PRIO_DEFAULT_IDLE, on_sliced, NULL);
	if (!sliced)
		check(-errno, "task");
	check(lsched_task_start(sliced), "start");
	for (int k = 0; k < 2; k++)
		if (pthread_create(&th[k], NULL, poster, (void *)(intptr_t)k)) {
			fprintf(stderr, "perfetto_workload: pthread_create\n");
			return 1;
		}
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);

	printf("pid=%d\n", (int)getpid());
	printf("loop=0x%" PRIxPTR "\n", (uintptr_t)loop);
	printf("loop_tid=%d\n", (int)gettid());
	printf("poster1_tid=%d\nposter2_tid=%d\n", poster_tid[0],
	       poster_tid[1]);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < POSTS; i++) {
			const struct post *p = &posts[k][i];

			printf("run=%d,%s,%d,%" PRId64 "\n", p->poster_tid,
			       p->at ? "at" : "perform", p->seq, p->ran_ns);
		}
	printf("sliced_task=%" PRIu64 "\n", lsched_task_id(sliced));
	for (int i = 0; i < ITERS; i++)
		printf("iter=%d,%" PRId64 ",%" PRId64 "\n", i, iter_begin[i],
		       iter_end[i]);
	lsched_task_destroy(sliced);
	lsched_performer_destroy(perf);
	lsched_loop_destroy(loop);
	printf("ok=%d\n", runs == MAX_RUNS && sliced_done);
	return runs == MAX_RUNS && sliced_done ? 0 : 1;
}
