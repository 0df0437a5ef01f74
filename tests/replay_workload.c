/*
 * A workload with a known truth for schedreplay's tests
 * (scripts/test-schedreplay.sh): recorded for real with schedprof record,
 * then replayed, unchanged and with what-ifs. It has every kind of thing a
 * replay must rebuild, and one planted starvation:
 *
 *   - "hog" (DEFAULT_IDLE, auto-idle) works 150 pieces of 2 ms through a
 *     TaskStopwatch with a 10 ms slice, yielding to input and to higher
 *     priorities, then stops;
 *   - "victim" (LOWEST, idle) is started with the hog: strict priority
 *     starves it until the hog is done (about 300 ms of work, more with
 *     what interrupts it). This is the planted starvation;
 *   - "tick" (DEFAULT, auto-timer) works 0.5 ms every 17 ms: not a
 *     multiple of the hog's 2 ms pieces, so that it falls due at every
 *     phase of a piece, never always at a piece's end (where a replay a
 *     microsecond off would make it wait a whole piece more or less);
 *   - a typist thread posts a key every 15 ms (first class, through a
 *     Performer): it starts "keystroke" (HIGHEST, 1 ms), which starts
 *     "layout" (HIGH_IDLE, 0.5 ms), whose child "repaint" (REPAINT,
 *     0.4 ms) starts when it completes; every other key it also posts
 *     "paint" at HIGH_IDLE (0.3 ms);
 *   - the loop stops at 550 ms.
 *
 * Prints on stdout, one "key=value" per line: pid, loop, victim_ready_ns
 * (the victim's start, on the loop's clock, which for a loop on the real
 * clock is the trace's), victim_ran_ns (its run's begin), hog_pieces,
 * keys, and ok=1 when the plan ran as intended (the victim waited at
 * least 250 ms, the hog did all its pieces).
 *
 * --realtime runs the loop's thread and the typist under SCHED_FIFO (as
 * test-schedprof-truth.sh does with truth_workload): on a busy machine
 * other processes then do not stretch the planted runs.
 *
 * Exit status 0; 1 if the library failed or the plan did not run; 2 on
 * bad usage.
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PIECES 150
#define PIECE_NS LSCHED_MS(2)
#define SLICE_NS LSCHED_MS(10)
#define KEY_PERIOD_MS 15
#define RUN_NS LSCHED_MS(550)
#define KICKOFF_NS LSCHED_MS(20)

static lsched_loop *loop;
static lsched_performer *perf;
static lsched_task *hog, *victim, *tick, *keystroke, *layout, *repaint, *kick;
static int pieces, victim_runs, failed;
static int64_t victim_ready = -1, victim_ran = -1;
static atomic_bool typing = true;
static atomic_int keys;

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "replay_workload: %s: %s\n", what,
			lsched_strerror(err));
		failed = 1;
	}
}

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

static lsched_task *new_task(const char *name, enum lsched_task_kind kind,
			     int prio, lsched_task_cb cb)
{
	lsched_task *t = lsched_task_new(loop, name, kind, prio, cb, NULL);

	if (!t) {
		fprintf(stderr, "replay_workload: lsched_task_new(%s): %s\n",
			name, lsched_strerror(-errno));
		exit(1);
	}
	return t;
}

static void on_hog(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;

	lsched_stopwatch_init(&sw, loop);
	lsched_stopwatch_set_slice(&sw, SLICE_NS);
	while (pieces < PIECES) {
		spin_ns(PIECE_NS);
		pieces++;
		if (!lsched_stopwatch_continue(&sw))
			break;
	}
	if (pieces == PIECES)
		check(lsched_task_stop(t), "stop hog");
}

static void on_victim(lsched_task *t, void *arg)
{
	victim_ran = lsched_loop_now(loop);
	victim_runs++;
	spin_ns(LSCHED_MS(1));
}

static void on_tick(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(500));
}

static void on_keystroke(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_MS(1));
	check(lsched_task_start(layout), "start layout");
}

static void on_layout(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(500));
}

static void on_repaint(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(400));
}

static void on_paint(void *arg)
{
	spin_ns(LSCHED_US(300));
}

static void on_key(void *arg)
{
	check(lsched_task_start(keystroke), "start keystroke");
}

static void on_kickoff(lsched_task *t, void *arg)
{
	/* Fresh, so that the victim's ready time is the true instant. */
	victim_ready = lsched_loop_update_now(loop);
	check(lsched_task_start(victim), "start victim");
	check(lsched_task_start(hog), "start hog");
}

static void on_end(lsched_timer *timer, void *arg)
{
	lsched_loop_stop(loop);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void *typist(void *arg)
{
	int n = 0;

	while (atomic_load(&typing)) {
		sleep_ms(KEY_PERIOD_MS);
		if (lsched_perform(perf, on_key, NULL, 0) != 0)
			break;
		atomic_fetch_add(&keys, 1);
		if (++n % 2 == 0 &&
		    lsched_perform_at(perf, LSCHED_PRIO_HIGH_IDLE, "paint",
				      on_paint, NULL, 0) != 0)
			break;
	}
	return NULL;
}

static void realtime(pthread_t th, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	int err = pthread_setschedparam(th, SCHED_FIFO, &sp);

	if (err)
		fprintf(stderr, "replay_workload: --realtime: %s (going on)\n",
			strerror(err));
}

int main(int argc, char **argv)
{
	bool rt = false;
	lsched_timer *end;
	pthread_t th;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--realtime")) {
			rt = true;
		} else {
			fprintf(stderr, "usage: replay_workload [--realtime]\n");
			return 2;
		}
	}
	if (rt)
		realtime(pthread_self(), 10);
	loop = lsched_loop_new(NULL);
	if (!loop || !(perf = lsched_performer_new(loop)) ||
	    !(end = lsched_timer_new(loop, on_end, NULL))) {
		fprintf(stderr, "replay_workload: setup: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	hog = new_task("hog", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_DEFAULT_IDLE,
		       on_hog);
	victim = new_task("victim", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			  on_victim);
	tick = new_task("tick", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_DEFAULT,
			on_tick);
	keystroke = new_task("keystroke", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGHEST,
			     on_keystroke);
	layout = new_task("layout", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGH_IDLE,
			  on_layout);
	repaint = new_task("repaint", LSCHED_TASK_IDLE, LSCHED_PRIO_REPAINT,
			   on_repaint);
	kick = new_task("kickoff", LSCHED_TASK_TIMER, LSCHED_PRIO_HIGHEST,
			on_kickoff);
	check(lsched_task_add_child(layout, repaint), "child");
	check(lsched_task_set_timeout(tick, LSCHED_MS(17)), "timeout");
	check(lsched_task_set_timeout(kick, KICKOFF_NS), "timeout");
	check(lsched_task_start(tick), "start tick");
	check(lsched_task_start(kick), "start kickoff");
	check(lsched_timer_start(end, RUN_NS, 0, LSCHED_CATCHUP_SKIP), "end");
	if ((err = pthread_create(&th, NULL, typist, NULL))) {
		fprintf(stderr, "replay_workload: thread: %s\n", strerror(err));
		return 1;
	}
	if (rt)
		realtime(th, 11);
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	atomic_store(&typing, false);
	pthread_join(th, NULL);

	printf("pid=%d\n", (int)getpid());
	printf("loop=0x%" PRIxPTR "\n", (uintptr_t)loop);
	printf("victim_ready_ns=%" PRId64 "\n", victim_ready);
	printf("victim_ran_ns=%" PRId64 "\n", victim_ran);
	printf("hog_pieces=%d\n", pieces);
	printf("keys=%d\n", atomic_load(&keys));
	if (victim_runs != 1 || pieces != PIECES ||
	    victim_ran - victim_ready < LSCHED_MS(250)) {
		fprintf(stderr, "replay_workload: the plan did not run (victim "
				"runs %d, waited %" PRId64 " ns, %d pieces)\n",
			victim_runs, victim_ran - victim_ready, pieces);
		failed = 1;
	}
	printf("ok=%d\n", !failed);
	lsched_performer_destroy(perf);
	lsched_loop_destroy(loop);
	return failed;
}
