/*
 * A planted never-yields task for the checked fixes (scripts/test-fixes.sh,
 * docs/schedprof.md "Fixes: checked by a replay"): recorded as it is,
 * schedprof report proposes to split it; run again with --split N (the
 * split proposed), it shows what the split really does, for the test to
 * compare with the replay's prediction.
 *
 *   - "blob" (DEFAULT_IDLE, idle) works BLOB_NS (120 ms) in one run with
 *     no stopwatch check: a never-yields finding. A "kick" timer task
 *     (HIGHEST) starts it every 300 ms. With --split N it works the same
 *     through a TaskStopwatch with a slice of BLOB_NS / N (slice only: no
 *     input check), in steps of 1 ms, and when the stopwatch says stop it
 *     starts itself again and returns: N pieces, ready again after each;
 *   - "tick" (DEFAULT, auto-timer, every 10 ms) works 0.3 ms: while blob
 *     runs it waits (a starving-task finding blaming blob, which was
 *     running when tick fell due);
 *   - the loop stops at 1.25 s.
 *
 * Prints on stdout "key=value" lines: pid, blobs (blob's whole works
 * done), pieces (its runs), longest_piece_ns. --realtime runs the loop
 * SCHED_FIFO (as replay_workload does). Exit status 0; 1 if the library
 * failed; 2 on bad usage.
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOB_NS LSCHED_MS(120)
#define STEP_NS LSCHED_MS(1)
#define KICK_NS LSCHED_MS(300)
#define TICK_NS LSCHED_MS(10)
#define RUN_NS LSCHED_MS(1250)

static lsched_loop *loop;
static lsched_task *blob, *tick, *kick;
static int split; /* pieces asked, 0: none */
static int64_t blob_left, longest_piece;
static unsigned blobs, pieces;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_ns(int64_t ns)
{
	int64_t end = mono_ns() + ns;

	while (mono_ns() < end)
		;
}

static void check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "split_workload: %s: %s\n", what,
			lsched_strerror(err));
		exit(1);
	}
}

static void on_blob(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;
	int64_t t0 = mono_ns(), d;

	(void)arg;
	pieces++;
	if (!split) {
		spin_ns(blob_left);
		blob_left = 0;
	} else {
		check(lsched_stopwatch_init(&sw, loop), "stopwatch");
		check(lsched_stopwatch_set_slice(&sw, BLOB_NS / split), "slice");
		check(lsched_stopwatch_set_flags(&sw, 0), "flags");
		while (blob_left > 0) {
			spin_ns(STEP_NS);
			blob_left -= STEP_NS;
			if (blob_left > 0 && !lsched_stopwatch_continue(&sw))
				break;
		}
	}
	d = mono_ns() - t0;
	if (d > longest_piece)
		longest_piece = d;
	if (blob_left > 0)
		check(lsched_task_start(t), "restart blob");
	else
		blobs++;
}

static void on_kick(lsched_task *t, void *arg)
{
	(void)t;
	(void)arg;
	if (blob_left <= 0) {
		blob_left = BLOB_NS;
		check(lsched_task_start(blob), "start blob");
	}
}

static void on_tick(lsched_task *t, void *arg)
{
	(void)t;
	(void)arg;
	spin_ns(LSCHED_US(300));
}

static void on_end(lsched_timer *timer, void *arg)
{
	(void)timer;
	(void)arg;
	lsched_loop_stop(loop);
}

static lsched_task *new_task(const char *name, enum lsched_task_kind kind,
			     int prio, lsched_task_cb cb)
{
	lsched_task *t = lsched_task_new(loop, name, kind, prio, cb, NULL);

	if (!t) {
		fprintf(stderr, "split_workload: lsched_task_new(%s): %s\n",
			name, lsched_strerror(-errno));
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	lsched_timer *end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--realtime")) {
			struct sched_param sp = { .sched_priority = 10 };
			int err = pthread_setschedparam(pthread_self(),
							SCHED_FIFO, &sp);

			if (err)
				fprintf(stderr, "split_workload: --realtime: %s "
						"(going on)\n", strerror(err));
		} else if (!strcmp(argv[i], "--split") && i + 1 < argc) {
			char *e;
			long n = strtol(argv[++i], &e, 10);

			if (*e || n < 2 || n > 100) {
				fprintf(stderr, "split_workload: --split wants "
						"2 to 100 pieces\n");
				return 2;
			}
			split = (int)n;
		} else {
			fprintf(stderr, "usage: split_workload [--split N] "
					"[--realtime]\n");
			return 2;
		}
	}
	loop = lsched_loop_new(NULL);
	if (!loop || !(end = lsched_timer_new(loop, on_end, NULL))) {
		fprintf(stderr, "split_workload: setup: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	blob = new_task("blob", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT_IDLE,
			on_blob);
	tick = new_task("tick", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_DEFAULT,
			on_tick);
	kick = new_task("kick", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_HIGHEST,
			on_kick);
	check(lsched_task_set_timeout(tick, TICK_NS), "timeout");
	check(lsched_task_set_timeout(kick, KICK_NS), "timeout");
	check(lsched_task_start(tick), "start tick");
	check(lsched_task_start(kick), "start kick");
	check(lsched_timer_start(end, RUN_NS, 0, LSCHED_CATCHUP_SKIP), "end");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	printf("pid=%d\nblobs=%u\npieces=%u\nlongest_piece_ns=%lld\n",
	       (int)getpid(), blobs, pieces, (long long)longest_piece);
	lsched_timer_destroy(end);
	lsched_loop_destroy(loop);
	return 0;
}
