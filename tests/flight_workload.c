/*
 * A workload for the flight recorder's test (scripts/test-flight.sh):
 * healthy work, then planted faults at known instants, each logged by the
 * program itself on stdout ("key=value" lines) so that the test compares
 * the saves with the truth. Times are ns on the loop's clock
 * (lsched_loop_now(): CLOCK_MONOTONIC for a real loop).
 *
 *	flight_workload --mode MODE [--healthy SECONDS] [--count N]
 *			[--gap SECONDS] [--seconds S] [--burst B]
 *
 * The healthy part, in every mode: a 10 ms timer ("tick", DEFAULT) that
 * works 0.3 ms and starts a LOWEST idle ("chore", 0.2 ms) when it is not
 * active; another thread posts first-class work ("input", 0.1 ms) every
 * 20 ms. Nothing waits or runs more than a few ms.
 *
 *   --mode healthy  the healthy part only, for --healthy seconds (3).
 *   --mode starve   after --healthy seconds, --count times (1), --gap
 *                   seconds apart (1.5): a LOWEST idle ("victim") is made
 *                   ready, and a DEFAULT auto-idle ("hog") runs 2 ms
 *                   pieces until the victim has waited 300 ms; then the
 *                   victim runs. Prints per plant k (1, 2, ...):
 *                   starve_k_victim (task id), starve_k_ready_ns,
 *                   starve_k_ran_ns, starve_k_waited_ns, starve_k_hog
 *                   (task id); and victim_prio, hog_prio.
 *   --mode long     after --healthy seconds, a DEFAULT one-shot ("long")
 *                   runs 250 ms once. Prints long_task (id), long_begin_ns,
 *                   long_end_ns, long_run_ns. It quits --tail seconds
 *                   after the run (default 0.5; 0: at once, so that the
 *                   trigger's notification comes while the recorder
 *                   stops).
 *   --mode backlog  after --healthy seconds, a DEFAULT one-shot
 *                   ("blocker") runs 150 ms; 20 ms into it, it posts
 *                   first-class work ("late"), which runs once the blocker
 *                   ends. Prints late_post_ns (the post), late_begin_ns
 *                   (its run), late_delay_ns, blocker_task.
 *   --mode rate     a high event rate for --seconds (60): every 1 ms a
 *                   timer starts --burst (20) DEFAULT idles of no work, on
 *                   top of the healthy part. Prints runs, events_per_s
 *                   (an estimate: 3 events a run).
 *
 * Also prints mode=, pid=, loop=, loop_name= (the loop is "flight"),
 * tick= (its id), tick_late_max_ns= and tick_late_at_ns= (the largest
 * lateness of the tick before the first plant, the whole run in healthy
 * mode, and the time of the late run: a stall of the machine, which a
 * rule rightly saves) and ok=1 when the plan ran as intended. Exit status 0; 1 if the library
 * failed or the plan did not run; 2 on bad usage.
 */
#include <libsched/libsched.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS LSCHED_MS(10)
#define INPUT_PERIOD_NS LSCHED_MS(20)
#define STARVE_NS LSCHED_MS(300)
#define HOG_RUN_NS LSCHED_MS(2)
#define LONG_NS LSCHED_MS(250)
#define BLOCK_NS LSCHED_MS(150)
#define BLOCK_POST_NS LSCHED_MS(20)
#define MAX_PLANTS 32
#define BURST_MAX 1000

static lsched_loop *loop;
static lsched_performer *perf;
static int failed;
static const char *mode;
static double healthy_s = 3, gap_s = 1.5, seconds = 60, tail_s = 0.5;
static int count = 1, burst = 20;

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "flight_workload: %s: %s\n", what,
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
			     int prio, lsched_task_cb cb, void *arg)
{
	lsched_task *t = lsched_task_new(loop, name, kind, prio, cb, arg);

	if (!t) {
		fprintf(stderr, "flight_workload: lsched_task_new(%s): %s\n",
			name, lsched_strerror(-errno));
		exit(1);
	}
	return t;
}

/* ---- the healthy part ------------------------------------------------- */

static lsched_task *tick, *chore, *quit;
static pthread_t typist;
static atomic_int typing_stop;
static int typist_started;
static int64_t start_ns, plant_at_ns, end_ns;
static bool quiet; /* no chore while a fault is planted */
/* The tick's largest lateness before the first plant (the whole run in
 * healthy mode), as the workload saw it: its run's time minus the
 * previous run's and the period, which is the wait a loop_check names
 * (the tick is due a period after its previous dispatch). A stall of the
 * machine shows here; the test tells such a stall from a tool's error. */
static int64_t tick_prev = -1, tick_late_max, tick_late_at = -1;

static void on_chore(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(200));
}

static void on_input(void *arg)
{
	spin_ns(LSCHED_US(100));
}

static void *type_inputs(void *arg)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&typing_stop)) {
		next.tv_nsec += INPUT_PERIOD_NS;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		check(lsched_perform(perf, on_input, NULL, 0), "perform");
	}
	return NULL;
}

static void on_quit(lsched_task *t, void *arg)
{
	check(lsched_task_stop(tick), "stop tick");
	check(lsched_loop_stop(loop), "stop loop");
}

/* ---- the plants --------------------------------------------------------- */

static lsched_task *victim, *hog, *longt, *blocker;
static int plants;
static int64_t ready_ns[MAX_PLANTS], ran_ns[MAX_PLANTS];
static uint64_t victim_id[MAX_PLANTS], hog_id[MAX_PLANTS];
static int64_t long_begin = -1, long_end = -1;
static int64_t late_post = -1, late_begin = -1;
static bool planting;

static void on_victim(lsched_task *t, void *arg)
{
	ran_ns[plants - 1] = lsched_loop_now(loop);
	planting = false;
	quiet = false;
	plant_at_ns = lsched_loop_update_now(loop) +
		      (int64_t)(gap_s * 1e9);
	if (plants == count)
		end_ns = lsched_loop_now(loop) + LSCHED_MS(500);
}

static void on_hog(lsched_task *t, void *arg)
{
	spin_ns(HOG_RUN_NS);
	if (lsched_loop_update_now(loop) - ready_ns[plants - 1] >= STARVE_NS)
		check(lsched_task_stop(t), "stop hog");
}

static void on_long(lsched_task *t, void *arg)
{
	long_begin = lsched_loop_now(loop);
	spin_ns(LONG_NS);
	long_end = lsched_loop_update_now(loop);
	planting = false;
	quiet = false;
	end_ns = long_end + (int64_t)(tail_s * 1e9);
}

static void on_late(void *arg)
{
	late_begin = lsched_loop_update_now(loop);
}

static void on_blocker(lsched_task *t, void *arg)
{
	spin_ns(BLOCK_POST_NS);
	late_post = lsched_loop_update_now(loop);
	check(lsched_perform(perf, on_late, NULL, 0), "perform late");
	spin_ns(BLOCK_NS - BLOCK_POST_NS);
	planting = false;
	quiet = false;
	end_ns = lsched_loop_update_now(loop) + LSCHED_MS(500);
}

static void plant(void)
{
	planting = true;
	quiet = true;
	if (!strcmp(mode, "starve")) {
		/* Fresh, so that the enqueue's cached time is the instant. */
		ready_ns[plants] = lsched_loop_update_now(loop);
		victim_id[plants] = lsched_task_id(victim);
		hog_id[plants] = lsched_task_id(hog);
		plants++;
		check(lsched_task_start(victim), "start victim");
		check(lsched_task_start(hog), "start hog");
	} else if (!strcmp(mode, "long")) {
		plants++;
		check(lsched_task_start(longt), "start long");
	} else {
		plants++;
		check(lsched_task_start(blocker), "start blocker");
	}
}

/* ---- rate ----------------------------------------------------------- */

static lsched_task *burster, *idles[BURST_MAX];
static uint64_t rate_runs;

static void on_idle(lsched_task *t, void *arg)
{
	rate_runs++;
}

static void on_burst(lsched_task *t, void *arg)
{
	for (int i = 0; i < burst; i++)
		check(lsched_task_start(idles[i]), "start idle");
}

/* ---- the conductor: the tick ------------------------------------------ */

static void on_tick(lsched_task *t, void *arg)
{
	int64_t now = lsched_loop_now(loop);

	if (tick_prev >= 0 && plants == 0 &&
	    now - tick_prev - TICK_NS > tick_late_max) {
		tick_late_max = now - tick_prev - TICK_NS;
		tick_late_at = now;
	}
	tick_prev = now;
	spin_ns(LSCHED_US(300));
	if (end_ns >= 0 && now >= end_ns) {
		if (!lsched_task_is_active(quit))
			check(lsched_task_start(quit), "start quit");
		return;
	}
	/* A plant waits for the chore to be done: the victim must be the
	 * one ready task that waits. */
	if (!planting && plant_at_ns >= 0 && now >= plant_at_ns &&
	    plants < count && !lsched_task_is_active(chore)) {
		plant_at_ns = -1;
		plant();
		return;
	}
	if (!quiet && !lsched_task_is_active(chore))
		check(lsched_task_start(chore), "start chore");
}

static int run(void)
{
	lsched_task *kick = NULL;

	perf = lsched_performer_new(loop);
	if (!perf) {
		fprintf(stderr, "flight_workload: lsched_performer_new: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	tick = new_task("tick", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_DEFAULT,
			on_tick, NULL);
	check(lsched_task_set_timeout(tick, TICK_NS), "tick timeout");
	chore = new_task("chore", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			 on_chore, NULL);
	quit = new_task("quit", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGHEST,
			on_quit, NULL);
	victim = new_task("victim", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			  on_victim, NULL);
	hog = new_task("hog", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_DEFAULT,
		       on_hog, NULL);
	longt = new_task("long", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			 on_long, NULL);
	blocker = new_task("blocker", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			   on_blocker, NULL);
	start_ns = lsched_loop_update_now(loop);
	end_ns = -1;
	plant_at_ns = -1;
	if (!strcmp(mode, "healthy")) {
		end_ns = start_ns + (int64_t)(healthy_s * 1e9);
		count = 0;
	} else if (!strcmp(mode, "rate")) {
		end_ns = start_ns + (int64_t)(seconds * 1e9);
		count = 0;
		burster = new_task("burst", LSCHED_TASK_AUTO_TIMER,
				   LSCHED_PRIO_HIGHEST, on_burst, NULL);
		check(lsched_task_set_timeout(burster, LSCHED_MS(1)),
		      "burst timeout");
		for (int i = 0; i < burst; i++)
			idles[i] = new_task("idle", LSCHED_TASK_IDLE,
					    LSCHED_PRIO_DEFAULT, on_idle, NULL);
		check(lsched_task_start(burster), "start burst");
	} else {
		if (strcmp(mode, "starve"))
			count = 1;
		plant_at_ns = start_ns + (int64_t)(healthy_s * 1e9);
	}
	check(lsched_task_start(tick), "start tick");
	if (pthread_create(&typist, NULL, type_inputs, NULL) == 0)
		typist_started = 1;
	else
		failed = 1;
	(void)kick;
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	atomic_store(&typing_stop, 1);
	if (typist_started)
		pthread_join(typist, NULL);

	printf("mode=%s\n", mode);
	printf("pid=%d\n", (int)getpid());
	printf("loop=0x%" PRIxPTR "\n", (uintptr_t)loop);
	printf("loop_name=%s\n", lsched_loop_name(loop));
	printf("start_ns=%" PRId64 "\n", start_ns);
	printf("tick=%" PRIu64 "\n", lsched_task_id(tick));
	printf("tick_late_max_ns=%" PRId64 "\n", tick_late_max);
	printf("tick_late_at_ns=%" PRId64 "\n", tick_late_at);
	if (!strcmp(mode, "starve")) {
		printf("victim_prio=LOWEST\nhog_prio=DEFAULT\n");
		printf("plants=%d\n", plants);
		for (int k = 0; k < plants; k++) {
			printf("starve_%d_victim=%" PRIu64 "\n", k + 1,
			       victim_id[k]);
			printf("starve_%d_hog=%" PRIu64 "\n", k + 1, hog_id[k]);
			printf("starve_%d_ready_ns=%" PRId64 "\n", k + 1,
			       ready_ns[k]);
			printf("starve_%d_ran_ns=%" PRId64 "\n", k + 1, ran_ns[k]);
			printf("starve_%d_waited_ns=%" PRId64 "\n", k + 1,
			       ran_ns[k] - ready_ns[k]);
			if (ran_ns[k] - ready_ns[k] < STARVE_NS)
				failed = 1;
		}
		if (plants != count)
			failed = 1;
	} else if (!strcmp(mode, "long")) {
		printf("long_task=%" PRIu64 "\n", lsched_task_id(longt));
		printf("long_begin_ns=%" PRId64 "\nlong_end_ns=%" PRId64 "\n",
		       long_begin, long_end);
		printf("long_run_ns=%" PRId64 "\n", long_end - long_begin);
		if (long_begin < 0)
			failed = 1;
	} else if (!strcmp(mode, "backlog")) {
		printf("blocker_task=%" PRIu64 "\n", lsched_task_id(blocker));
		printf("late_post_ns=%" PRId64 "\nlate_begin_ns=%" PRId64 "\n",
		       late_post, late_begin);
		printf("late_delay_ns=%" PRId64 "\n", late_begin - late_post);
		if (late_begin < 0)
			failed = 1;
	} else if (!strcmp(mode, "rate")) {
		printf("runs=%" PRIu64 "\n", rate_runs);
		printf("events_per_s=%.0f\n", (double)rate_runs * 3 / seconds);
	}
	lsched_performer_destroy(perf);
	return 0;
}

/* ---- main ------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr, "usage: flight_workload --mode "
			"healthy|starve|long|backlog|rate [--healthy SECONDS] "
			"[--count N] [--gap SECONDS] [--seconds S] "
			"[--burst B] [--tail SECONDS]\n");
	return 2;
}

static bool num_arg(int argc, char **argv, int *i, const char *name,
		    double *out)
{
	char *end;

	if (strcmp(argv[*i], name) || *i + 1 >= argc)
		return false;
	*out = strtod(argv[++*i], &end);
	if (*end || !(*out >= 0))
		exit(usage());
	return true;
}

int main(int argc, char **argv)
{
	double v;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mode = argv[++i];
		else if (num_arg(argc, argv, &i, "--healthy", &healthy_s) ||
			 num_arg(argc, argv, &i, "--gap", &gap_s) ||
			 num_arg(argc, argv, &i, "--seconds", &seconds) ||
			 num_arg(argc, argv, &i, "--tail", &tail_s))
			;
		else if (num_arg(argc, argv, &i, "--count", &v))
			count = (int)v;
		else if (num_arg(argc, argv, &i, "--burst", &v))
			burst = (int)v;
		else
			return usage();
	}
	if (!mode || (strcmp(mode, "healthy") && strcmp(mode, "starve") &&
		      strcmp(mode, "long") && strcmp(mode, "backlog") &&
		      strcmp(mode, "rate")) ||
	    count < 1 || count > MAX_PLANTS || burst < 1 || burst > BURST_MAX)
		return usage();
	loop = lsched_loop_new(NULL);
	if (!loop) {
		fprintf(stderr, "flight_workload: lsched_loop_new: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	check(lsched_loop_set_name(loop, "flight"), "loop name");
	rc = run();
	if (lsched_loop_destroy(loop) < 0)
		failed = 1;
	printf("ok=%d\n", !(rc || failed));
	return rc || failed;
}
