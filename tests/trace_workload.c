/*
 * A workload with known counts, for the tracepoint tests (LTTng record and
 * read back, USDT probes counted by BPF). It runs on the real clock and
 * prints what it did, one "key=value" per line on stdout, so that a checker
 * compares the trace against the truth:
 *
 *   idle_runs      idle tasks named "idle-<PRIORITY>", one run each
 *   timer_runs     one-shot timer tasks named "timer"
 *   child_runs     "child", started by its parent "parent"
 *   stopped        timer tasks "stopped" stopped before they ran
 *   sliced_runs    runs of the auto-idle "sliced" (stopwatch slices)
 *   sliced_checks  stopwatch checks made by "sliced"
 *   burst_posts    async posts of the burst, sent while the loop is busy
 *   at_posts       posts at REPAINT named "posted"
 *   wait_posts     waiting posts named "waited"
 *   commands       dispatcher commands named "cmd"
 *   builds         dispatcher builder runs
 *   moved_runs     "moved", started at LOWEST and moved to HIGHEST while ready
 *   nap_runs       "nap", a 2 ms timer started once all else is done: the
 *                  loop sleeps for it (loop_sleep, loop_wake), then stops
 *
 * Options: --wait-start prints "ready PID" and waits for a line on stdin
 * before starting (so that a tracer can attach first); --scale N
 * multiplies the idle, timer and post counts. Exit status 0, or 1 if the
 * library failed, 2 on a bad option.
 */
#include <libsched/libsched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDLE_PER_SCALE 300
#define TIMER_PER_SCALE 40
#define BURST_PER_SCALE 2000
#define AT_PER_SCALE 100
#define WAIT_POSTS 10
#define STOPPED 5
#define COMMANDS 20
#define SLICED_PIECES 200

static lsched_loop *loop;
static lsched_performer *perf;
static lsched_dispatcher *disp;
static int scale = 1;
static int failed;

static int idle_runs, timer_runs, child_runs, stopped_runs, sliced_runs;
static int at_runs, wait_runs, commands_run, builds, moved_runs, nap_runs;
static lsched_task *nap;
static unsigned long sliced_checks;
static _Atomic int burst_runs;
static int pieces_left = SLICED_PIECES;
static int timers_left;
static pthread_t producer;
static int producer_started;

static const char *const idle_names[LSCHED_PRIO_COUNT] = {
	"idle-HIGHEST",   "idle-DEFAULT",    "idle-HIGH_IDLE",    "idle-RESIZE",
	"idle-REPAINT",   "idle-POST_PAINT", "idle-DEFAULT_IDLE", "idle-LOWEST",
};

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "trace_workload: %s: %s\n", what,
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

static void maybe_done(void);

static void on_idle(lsched_task *t, void *arg)
{
	idle_runs++;
	lsched_task_destroy(t);
	maybe_done();
}

static void on_timer(lsched_task *t, void *arg)
{
	timer_runs++;
	lsched_task_destroy(t);
	timers_left--;
	maybe_done();
}

static void on_stopped(lsched_task *t, void *arg)
{
	stopped_runs++;
}

static void on_parent(lsched_task *t, void *arg)
{
}

static void on_child(lsched_task *t, void *arg)
{
	child_runs++;
	maybe_done();
}

/* A long job cut into stopwatch slices of 2 ms: each piece is 0.1 ms. */
static void on_sliced(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;

	sliced_runs++;
	lsched_stopwatch_init(&sw, loop);
	lsched_stopwatch_set_slice(&sw, LSCHED_MS(2));
	while (pieces_left > 0) {
		spin_ns(LSCHED_US(100));
		pieces_left--;
		sliced_checks++;
		if (!lsched_stopwatch_continue(&sw))
			break;
	}
	if (pieces_left == 0) {
		lsched_task_stop(t);
		maybe_done();
	}
}

static void on_burst(void *arg)
{
	burst_runs++;
	maybe_done();
}

static void on_at(void *arg)
{
	at_runs++;
	maybe_done();
}

static void on_wait(void *arg)
{
	wait_runs++;
	maybe_done();
}

static void *produce(void *arg)
{
	for (int i = 0; i < BURST_PER_SCALE * scale; i++)
		check(lsched_perform(perf, on_burst, NULL, 0), "perform");
	for (int i = 0; i < AT_PER_SCALE * scale; i++)
		check(lsched_perform_at(perf, LSCHED_PRIO_REPAINT, "posted",
					on_at, NULL, 0),
		      "perform_at");
	for (int i = 0; i < WAIT_POSTS; i++)
		check(lsched_perform_at(perf, LSCHED_PRIO_DEFAULT, "waited",
					on_wait, NULL, LSCHED_PERFORM_WAIT),
		      "perform_at wait");
	return NULL;
}

/* Busy for 20 ms while the producer posts its burst: the posts pile up
 * behind one wake-up. */
static void on_blocker(lsched_task *t, void *arg)
{
	if (pthread_create(&producer, NULL, produce, NULL) != 0) {
		fprintf(stderr, "trace_workload: cannot start a thread\n");
		failed = 1;
	} else {
		producer_started = 1;
	}
	spin_ns(LSCHED_MS(20));
	lsched_task_destroy(t);
}

static void on_command(void *arg)
{
	commands_run++;
}

static void on_build(void *arg)
{
	builds++;
	maybe_done();
}

static void on_nap(lsched_task *t, void *arg)
{
	nap_runs++;
	lsched_loop_stop(loop);
}

/* Once everything planned has run, naps 2 ms (the loop sleeps), then
 * stops. */
static void maybe_done(void)
{
	if (timers_left == 0 && pieces_left == 0 && child_runs == 1 &&
	    idle_runs == IDLE_PER_SCALE * scale && moved_runs == 1 &&
	    at_runs == AT_PER_SCALE * scale && wait_runs == WAIT_POSTS &&
	    burst_runs == BURST_PER_SCALE * scale &&
	    commands_run == COMMANDS && builds >= 1 &&
	    !lsched_task_is_active(nap) && nap_runs == 0)
		check(lsched_task_start(nap), "start nap");
}

static void on_moved(lsched_task *t, void *arg)
{
	moved_runs++;
	maybe_done();
}

static lsched_task *new_task(const char *name, enum lsched_task_kind kind,
			     int prio, lsched_task_cb cb)
{
	lsched_task *t = lsched_task_new(loop, name, kind, prio, cb, NULL);

	if (!t) {
		fprintf(stderr, "trace_workload: lsched_task_new: %s\n",
			lsched_strerror(-errno));
		exit(1);
	}
	return t;
}

static int usage(void)
{
	fprintf(stderr, "usage: trace_workload [--wait-start] [--scale N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct lsched_dispatcher_config cfg = {
		.builder = on_build,
		.latency_ns = LSCHED_MS(1),
		.force_ns = LSCHED_MS(5),
	};
	lsched_task *parent, *child, *stopped[STOPPED];
	int wait_start = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait-start")) {
			wait_start = 1;
		} else if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
			char *end;

			scale = (int)strtol(argv[++i], &end, 10);
			if (*end || scale < 1 || scale > 1000)
				return usage();
		} else {
			return usage();
		}
	}
	if (wait_start) {
		char line[16];

		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}

	loop = lsched_loop_new(NULL);
	perf = loop ? lsched_performer_new(loop) : NULL;
	disp = perf ? lsched_dispatcher_new(loop, &cfg) : NULL;
	if (!disp) {
		fprintf(stderr, "trace_workload: setup failed\n");
		return 1;
	}
	for (int i = 0; i < IDLE_PER_SCALE * scale; i++)
		check(lsched_task_start(new_task(idle_names[i % LSCHED_PRIO_COUNT],
						 LSCHED_TASK_IDLE,
						 i % LSCHED_PRIO_COUNT, on_idle)),
		      "start idle");
	timers_left = TIMER_PER_SCALE * scale;
	for (int i = 0; i < TIMER_PER_SCALE * scale; i++) {
		lsched_task *t = new_task("timer", LSCHED_TASK_TIMER,
					  LSCHED_PRIO_DEFAULT, on_timer);

		check(lsched_task_set_timeout(t, LSCHED_MS(1 + i % 5)),
		      "timeout");
		check(lsched_task_start(t), "start timer");
		if (i == 0) /* waiting: re-armed, RESTART */
			check(lsched_task_start(t), "restart timer");
	}
	for (int i = 0; i < STOPPED; i++) {
		stopped[i] = new_task("stopped", LSCHED_TASK_TIMER,
				      LSCHED_PRIO_DEFAULT, on_stopped);
		check(lsched_task_set_timeout(stopped[i], LSCHED_S(10)),
		      "timeout");
		check(lsched_task_start(stopped[i]), "start stopped");
	}
	parent = new_task("parent", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGH_IDLE,
			  on_parent);
	child = new_task("child", LSCHED_TASK_IDLE, LSCHED_PRIO_REPAINT,
			 on_child);
	check(lsched_task_add_child(parent, child), "add child");
	check(lsched_task_start(parent), "start parent");
	check(lsched_task_start(new_task("sliced", LSCHED_TASK_AUTO_IDLE,
					 LSCHED_PRIO_DEFAULT_IDLE, on_sliced)),
	      "start sliced");
	nap = new_task("nap", LSCHED_TASK_TIMER, LSCHED_PRIO_DEFAULT, on_nap);
	check(lsched_task_set_timeout(nap, LSCHED_MS(2)), "timeout");
	{
		lsched_task *moved = new_task("moved", LSCHED_TASK_IDLE,
					      LSCHED_PRIO_LOWEST, on_moved);

		check(lsched_task_start(moved), "start moved");
		check(lsched_task_set_priority(moved, LSCHED_PRIO_HIGHEST),
		      "set priority");
		/* Ready: a restart keeps its place and ready time (the trace
		 * says RESTART with that time as due). */
		check(lsched_task_start(moved), "restart moved");
	}
	check(lsched_task_start(new_task("blocker", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_HIGHEST, on_blocker)),
	      "start blocker");
	for (int i = 0; i < COMMANDS; i++)
		check(lsched_dispatcher_enqueue(disp, "cmd", on_command, NULL,
						NULL),
		      "enqueue command");
	for (int i = 0; i < STOPPED; i++)
		check(lsched_task_stop(stopped[i]), "stop");

	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	if (producer_started)
		pthread_join(producer, NULL);

	printf("idle_runs=%d\n", idle_runs);
	printf("timer_runs=%d\n", timer_runs);
	printf("child_runs=%d\n", child_runs);
	printf("stopped=%d\n", STOPPED - stopped_runs);
	printf("sliced_runs=%d\n", sliced_runs);
	printf("sliced_checks=%lu\n", sliced_checks);
	printf("burst_posts=%d\n", burst_runs);
	printf("at_posts=%d\n", at_runs);
	printf("wait_posts=%d\n", wait_runs);
	printf("commands=%d\n", commands_run);
	printf("builds=%d\n", builds);
	printf("moved_runs=%d\n", moved_runs);
	printf("nap_runs=%d\n", nap_runs);
	if (idle_runs != IDLE_PER_SCALE * scale ||
	    timer_runs != TIMER_PER_SCALE * scale || child_runs != 1 ||
	    stopped_runs != 0 || burst_runs != BURST_PER_SCALE * scale ||
	    at_runs != AT_PER_SCALE * scale || wait_runs != WAIT_POSTS ||
	    commands_run != COMMANDS || builds < 1 || moved_runs != 1 ||
	    nap_runs != 1) {
		fprintf(stderr, "trace_workload: counts differ from the plan\n");
		failed = 1;
	}
	lsched_dispatcher_destroy(disp);
	lsched_performer_destroy(perf);
	if (lsched_loop_destroy(loop) < 0)
		failed = 1;
	return failed;
}
