/*
 * Workloads with a known truth, for schedprof's end-to-end test
 * (scripts/test-schedprof-truth.sh): each plants one problem (or none) on
 * the real clock, is recorded for real, and prints what it planted on
 * stdout, one "key=value" per line, so that the test compares the report
 * with the truth. Times are on the loop's clock (lsched_loop_now(), which
 * for a loop on the real clock is CLOCK_MONOTONIC, the clock of the
 * trace's payload times), in ns.
 *
 *   --mode starve   a LOWEST task ("starved") is made ready at a known
 *                   instant while a DEFAULT auto-idle ("hog") keeps the
 *                   loop busy in 2 ms runs for 300 ms; then the hog stops
 *                   and the LOWEST task runs. Prints loop, starved_task,
 *                   starved_prio, ready_ns (its enqueue), ran_ns (its
 *                   run's begin), waited_ns, hog_task.
 *   --mode long     after a few short tasks, one task ("long", DEFAULT)
 *                   runs 120 ms without any stopwatch check, once; nothing
 *                   else is ready meanwhile. Prints loop, long_task,
 *                   long_prio, long_begin_ns, long_end_ns, long_run_ns.
 *   --mode restart  a POST_PAINT idle ("paint") is made ready at a known
 *                   instant; a DEFAULT auto-idle ("hog") runs 10 ms pieces
 *                   for 270 ms and restarts paint (lsched_task_start() of
 *                   a ready task) every third piece, so that paint is
 *                   restarted while ready every 30 ms; then the hog stops
 *                   and paint runs. Prints victim, victim_prio, ready_ns
 *                   (its first readiness), ran_ns, waited_ns, restarts,
 *                   hog_task, hog_prio, hog_runs.
 *   --mode sibling  a LOWEST idle ("victim") is made ready, then a LOWEST
 *                   auto-idle ("sibling", 2 ms a run) with a 60 ms maximum
 *                   wait; a DEFAULT_IDLE auto-idle ("hog") runs 10 ms
 *                   pieces for 300 ms, so LOWEST runs only when the
 *                   sibling's maximum wait forces it (it ends each LOWEST
 *                   interval before 100 ms); then the hog stops and the
 *                   victim runs. Prints victim, victim_prio, ready_ns,
 *                   ran_ns, waited_ns, hog_task, hog_prio, hog_runs,
 *                   sibling_task, sibling_runs (its runs while the victim
 *                   waited, each forced by its maximum wait).
 *   --mode healthy  a realistic mix for about 1.2 s: keystrokes posted from
 *                   another thread (a first-class post and a HIGHEST post
 *                   each, every 25 ms), each restarting a short repaint and
 *                   a spell check; a 16 ms auto-timer tick; an indexing job
 *                   (auto-idle at LOWEST) cut into stopwatch slices of
 *                   7.5 ms, 3 ms per piece, that yields properly; one-shot
 *                   autosave idles. Nothing waits 100 ms or more, nothing
 *                   runs 50 ms or more. Prints loop and the counts.
 *                   With --plant-long MS (schedprof diff's test), one
 *                   spell check (the 10th) runs MS ms instead, without a
 *                   stopwatch check: a regression whose truth it prints
 *                   (planted_task, planted_prio, planted_run_ns, its run
 *                   as the task measured it).
 *
 *   --mode block    a task ("reader", DEFAULT) reads a pipe inside its
 *                   run, once, and the write comes from another thread
 *                   200 ms later: the loop thread sleeps in read(). A few
 *                   short tasks run before. Prints loop, block_task,
 *                   block_prio, block_run_ns (its run, measured by the
 *                   task), block_read_ns (the time spent in read()),
 *                   block_cpu_ns (its CPU time, CLOCK_THREAD_CPUTIME_ID).
 *   --mode preempt  a stopwatch task ("worker", DEFAULT_IDLE, repeating)
 *                   does 1 ms pieces under a 7.8 ms slice, while a
 *                   SCHED_FIFO thread of a higher priority, pinned to the
 *                   same CPU as the loop, burns 20 ms every 45 ms, 10
 *                   times: each burst preempts a worker run, whose next
 *                   check finds the slice exceeded with little CPU used.
 *                   Prints loop, preempt_task, preempt_prio, bursts,
 *                   burst_ns (each, measured), burst_total_ns,
 *                   worker_runs, worker_checks.
 *
 * Every mode also prints mode=, pid=, loop_name= (the loop is named
 * "truth"), loop_tid= (the thread that runs it), realtime= and ok=1 when the plan
 * ran as intended.
 *
 * --realtime runs the loop's thread (and the thread it starts) under
 * SCHED_FIFO, so that on a busy machine other processes do not preempt
 * the planted runs: a 2 ms run preempted for 50 ms would be a long task
 * the plan did not make. Without the privilege it says so on stderr and
 * goes on (realtime=0).
 *
 * Exit status 0; 1 if the library failed or the plan did not run as
 * intended (a check below says what); 2 on bad usage.
 */
#include <libsched/libsched.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* starve */
#define STARVE_NS LSCHED_MS(300)
#define HOG_RUN_NS LSCHED_MS(2)
/* long */
#define LONG_NS LSCHED_MS(120)
#define SHORT_TASKS 20
/* healthy */
#define KEYS 48
#define KEY_PERIOD_NS LSCHED_MS(25)
#define TICK_NS LSCHED_MS(16)
/* The indexer's slice ends half a piece after its last whole piece: the
 * stopwatch, which stops when elapsed + the last piece would pass the
 * slice, leaves 1.5 ms of slack, so only a preemption of 1.5 ms at the
 * wrong moment makes a check find the slice already used up (an overrun).
 * Its runs (6 ms) stay well under the 10 ms of queue delay at which the
 * analysis finds a performer backlog: with 8 ms runs, a keystroke posted
 * as one began waited 10 ms and more, now and then. */
#define INDEX_PIECES 130
#define INDEX_PIECE_NS LSCHED_MS(3)
#define INDEX_SLICE_NS LSCHED_US(7500)
#define AUTOSAVE_EVERY 8

static lsched_loop *loop;
static int failed;

static void check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "truth_workload: %s: %s\n", what,
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

/* Busy for ns of real time: the work of a task. */
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
		fprintf(stderr, "truth_workload: lsched_task_new(%s): %s\n",
			name, lsched_strerror(-errno));
		exit(1);
	}
	return t;
}

static void print_loop(const char *mode)
{
	printf("mode=%s\n", mode);
	printf("pid=%d\n", (int)getpid());
	printf("loop=0x%" PRIxPTR "\n", (uintptr_t)loop);
	printf("loop_name=%s\n", lsched_loop_name(loop));
	printf("loop_tid=%d\n", (int)gettid());
}

/* ---- starve ---------------------------------------------------------- */

static lsched_task *starved, *hog;
static int64_t starved_ready = -1, starved_ran = -1;
static int hog_runs, starved_runs;

/* The hog: 2 ms runs, a repeating idle that keeps DEFAULT ready until
 * STARVE_NS after the LOWEST task became ready. */
static void on_hog(lsched_task *t, void *arg)
{
	hog_runs++;
	spin_ns(HOG_RUN_NS);
	if (lsched_loop_update_now(loop) - starved_ready >= STARVE_NS)
		check(lsched_task_stop(t), "stop hog");
}

static void on_starved(lsched_task *t, void *arg)
{
	/* The cached time is the run's begin (refreshed after the previous
	 * run). */
	starved_ran = lsched_loop_now(loop);
	starved_runs++;
	check(lsched_loop_stop(loop), "stop loop");
}

/* 20 ms into the run (the loop slept meanwhile): the LOWEST task becomes
 * ready, and the hog starts. */
static void on_starve_kickoff(lsched_task *t, void *arg)
{
	/* Fresh, so that the enqueue's cached time is the true instant. */
	starved_ready = lsched_loop_update_now(loop);
	check(lsched_task_start(starved), "start starved");
	check(lsched_task_start(hog), "start hog");
}

static int run_starve(void)
{
	lsched_task *kick;

	starved = new_task("starved", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			   on_starved, NULL);
	hog = new_task("hog", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_DEFAULT,
		       on_hog, NULL);
	kick = new_task("kickoff", LSCHED_TASK_TIMER, LSCHED_PRIO_HIGHEST,
			on_starve_kickoff, NULL);
	check(lsched_task_set_timeout(kick, LSCHED_MS(20)), "timeout");
	check(lsched_task_start(kick), "start kickoff");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");

	print_loop("starve");
	printf("starved_task=starved\n");
	printf("starved_prio=LOWEST\n");
	printf("ready_ns=%" PRId64 "\n", starved_ready);
	printf("ran_ns=%" PRId64 "\n", starved_ran);
	printf("waited_ns=%" PRId64 "\n", starved_ran - starved_ready);
	printf("hog_task=hog\n");
	printf("hog_runs=%d\n", hog_runs);
	if (starved_runs != 1 || starved_ran - starved_ready < STARVE_NS) {
		fprintf(stderr, "truth_workload: starve: the plan did not "
				"run (runs %d, waited %" PRId64 " ns)\n",
			starved_runs, starved_ran - starved_ready);
		failed = 1;
	}
	return 0;
}

/* ---- restart --------------------------------------------------------- */

#define RESTART_NS LSCHED_MS(270)
#define RESTART_PIECE_NS LSCHED_MS(10)

static lsched_task *paint;
static int64_t paint_ready = -1, paint_ran = -1;
static int paint_runs, paint_restarts;

/* Pieces of 10 ms; every third restarts paint, which is still ready. */
static void on_restart_hog(lsched_task *t, void *arg)
{
	hog_runs++;
	spin_ns(RESTART_PIECE_NS);
	if (hog_runs % 3 == 0 && lsched_task_is_active(paint)) {
		check(lsched_task_start(paint), "restart paint");
		paint_restarts++;
	}
	if (lsched_loop_update_now(loop) - paint_ready >= RESTART_NS)
		check(lsched_task_stop(t), "stop hog");
}

static void on_paint(lsched_task *t, void *arg)
{
	paint_ran = lsched_loop_now(loop);
	paint_runs++;
	check(lsched_loop_stop(loop), "stop loop");
}

static void on_restart_kickoff(lsched_task *t, void *arg)
{
	paint_ready = lsched_loop_update_now(loop);
	check(lsched_task_start(paint), "start paint");
	check(lsched_task_start(hog), "start hog");
}

static int run_restart(void)
{
	lsched_task *kick;

	paint = new_task("paint", LSCHED_TASK_IDLE, LSCHED_PRIO_POST_PAINT,
			 on_paint, NULL);
	hog = new_task("hog", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_DEFAULT,
		       on_restart_hog, NULL);
	kick = new_task("kickoff", LSCHED_TASK_TIMER, LSCHED_PRIO_HIGHEST,
			on_restart_kickoff, NULL);
	check(lsched_task_set_timeout(kick, LSCHED_MS(20)), "timeout");
	check(lsched_task_start(kick), "start kickoff");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");

	print_loop("restart");
	printf("victim=paint\n");
	printf("victim_prio=POST_PAINT\n");
	printf("ready_ns=%" PRId64 "\n", paint_ready);
	printf("ran_ns=%" PRId64 "\n", paint_ran);
	printf("waited_ns=%" PRId64 "\n", paint_ran - paint_ready);
	printf("restarts=%d\n", paint_restarts);
	printf("hog_task=hog\n");
	printf("hog_prio=DEFAULT\n");
	printf("hog_runs=%d\n", hog_runs);
	if (paint_runs != 1 || paint_restarts < 5 ||
	    paint_ran - paint_ready < RESTART_NS) {
		fprintf(stderr, "truth_workload: restart: the plan did not "
				"run (runs %d, restarts %d, waited %" PRId64
				" ns)\n",
			paint_runs, paint_restarts, paint_ran - paint_ready);
		failed = 1;
	}
	return 0;
}

/* ---- sibling --------------------------------------------------------- */

#define SIBLING_HOG_NS LSCHED_MS(300)
#define SIBLING_MAX_WAIT_NS LSCHED_MS(60)

static lsched_task *victim, *sibling;
static int64_t victim_ready = -1, victim_ran = -1;
static int victim_runs, sibling_runs_waiting;

static void on_sibling_hog(lsched_task *t, void *arg)
{
	hog_runs++;
	spin_ns(RESTART_PIECE_NS);
	if (lsched_loop_update_now(loop) - victim_ready >= SIBLING_HOG_NS)
		check(lsched_task_stop(t), "stop hog");
}

/* While the hog (DEFAULT_IDLE) is ready, only the sibling's maximum wait
 * can run it: every run before the victim's is a forced one. */
static void on_sibling(lsched_task *t, void *arg)
{
	if (victim_ran < 0)
		sibling_runs_waiting++;
	spin_ns(LSCHED_MS(2));
	if (victim_ran >= 0)
		check(lsched_task_stop(t), "stop sibling");
}

static void on_victim(lsched_task *t, void *arg)
{
	victim_ran = lsched_loop_now(loop);
	victim_runs++;
	check(lsched_loop_stop(loop), "stop loop");
}

static void on_sibling_kickoff(lsched_task *t, void *arg)
{
	victim_ready = lsched_loop_update_now(loop);
	check(lsched_task_start(victim), "start victim");
	check(lsched_task_start(sibling), "start sibling");
	check(lsched_task_start(hog), "start hog");
}

static int run_sibling(void)
{
	lsched_task *kick;

	victim = new_task("victim", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			  on_victim, NULL);
	sibling = new_task("sibling", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_LOWEST,
			   on_sibling, NULL);
	check(lsched_task_set_max_wait(sibling, SIBLING_MAX_WAIT_NS),
	      "max wait");
	hog = new_task("hog", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_DEFAULT_IDLE,
		       on_sibling_hog, NULL);
	kick = new_task("kickoff", LSCHED_TASK_TIMER, LSCHED_PRIO_HIGHEST,
			on_sibling_kickoff, NULL);
	check(lsched_task_set_timeout(kick, LSCHED_MS(20)), "timeout");
	check(lsched_task_start(kick), "start kickoff");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");

	print_loop("sibling");
	printf("victim=victim\n");
	printf("victim_prio=LOWEST\n");
	printf("ready_ns=%" PRId64 "\n", victim_ready);
	printf("ran_ns=%" PRId64 "\n", victim_ran);
	printf("waited_ns=%" PRId64 "\n", victim_ran - victim_ready);
	printf("hog_task=hog\n");
	printf("hog_prio=DEFAULT_IDLE\n");
	printf("hog_runs=%d\n", hog_runs);
	printf("sibling_task=sibling\n");
	printf("sibling_runs=%d\n", sibling_runs_waiting);
	if (victim_runs != 1 || sibling_runs_waiting < 3 ||
	    victim_ran - victim_ready < SIBLING_HOG_NS) {
		fprintf(stderr, "truth_workload: sibling: the plan did not "
				"run (victim runs %d, sibling runs %d, waited %"
				PRId64 " ns)\n", victim_runs,
			sibling_runs_waiting, victim_ran - victim_ready);
		failed = 1;
	}
	return 0;
}

/* ---- long ------------------------------------------------------------ */

static int64_t long_begin = -1, long_end = -1;
static int shorts_left = SHORT_TASKS;
static lsched_task *long_task;

static void on_long(lsched_task *t, void *arg)
{
	long_begin = lsched_loop_now(loop); /* the run's begin */
	spin_ns(LONG_NS);                   /* and never asks a stopwatch */
	long_end = lsched_loop_update_now(loop);
	check(lsched_loop_stop(loop), "stop loop");
}

/* Short one-shot idles of 1 ms; the last one starts the long task once
 * nothing else is ready. */
static void on_short(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_MS(1));
	lsched_task_destroy(t);
	if (--shorts_left == 0)
		check(lsched_task_start(long_task), "start long");
}

static int run_long(void)
{
	long_task = new_task("long", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			     on_long, NULL);
	for (int i = 0; i < SHORT_TASKS; i++)
		check(lsched_task_start(new_task("short", LSCHED_TASK_IDLE,
						 LSCHED_PRIO_DEFAULT_IDLE,
						 on_short, NULL)),
		      "start short");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");

	print_loop("long");
	printf("long_task=long\n");
	printf("long_prio=DEFAULT\n");
	printf("long_begin_ns=%" PRId64 "\n", long_begin);
	printf("long_end_ns=%" PRId64 "\n", long_end);
	printf("long_run_ns=%" PRId64 "\n", long_end - long_begin);
	if (long_begin < 0 || long_end - long_begin < LONG_NS) {
		fprintf(stderr, "truth_workload: long: the plan did not run\n");
		failed = 1;
	}
	return 0;
}

/* ---- healthy --------------------------------------------------------- */

static lsched_performer *perf;
static lsched_task *repaint, *spell, *tick, *indexer, *quit;
static pthread_t typist;
static int typist_started;
static atomic_int typing_done;
static int keys_run, inputs_run, repaints, spells, ticks, autosaves;
static int index_left = INDEX_PIECES, index_runs;
static unsigned long index_checks;
static int64_t longest_run_seen;
static int64_t plant_long_ns, planted_run_ns; /* --plant-long */

static void note_run(int64_t begin)
{
	int64_t run = lsched_loop_update_now(loop) - begin;

	if (run > longest_run_seen)
		longest_run_seen = run;
}

static void maybe_quit(void)
{
	if (atomic_load(&typing_done) && index_left == 0 &&
	    keys_run == KEYS && inputs_run >= KEYS &&
	    !lsched_task_is_active(quit))
		check(lsched_task_start(quit), "start quit");
}

static void on_quit(lsched_task *t, void *arg)
{
	check(lsched_task_stop(tick), "stop tick");
	check(lsched_loop_stop(loop), "stop loop");
}

static void on_repaint(lsched_task *t, void *arg)
{
	int64_t b = lsched_loop_now(loop);

	repaints++;
	spin_ns(LSCHED_US(1500));
	note_run(b);
}

static void on_spell(lsched_task *t, void *arg)
{
	int64_t b = lsched_loop_now(loop);

	spells++;
	if (plant_long_ns && spells == 10) {
		spin_ns(plant_long_ns);
		planted_run_ns = lsched_loop_update_now(loop) - b;
	} else {
		spin_ns(LSCHED_US(700));
	}
	note_run(b);
}

static void on_autosave(lsched_task *t, void *arg)
{
	int64_t b = lsched_loop_now(loop);

	autosaves++;
	spin_ns(LSCHED_MS(2));
	note_run(b);
	lsched_task_destroy(t);
}

/* A keystroke, as a HIGHEST post: handle it, schedule the repaint and a
 * spell check (a restart of a queued task keeps one in line), and now
 * and then an autosave. */
static void on_key(void *arg)
{
	int64_t b = lsched_loop_update_now(loop);

	keys_run++;
	spin_ns(LSCHED_US(300));
	check(lsched_task_start(repaint), "start repaint");
	check(lsched_task_start(spell), "start spell");
	if (keys_run % AUTOSAVE_EVERY == 0)
		check(lsched_task_start(new_task("autosave", LSCHED_TASK_IDLE,
						 LSCHED_PRIO_LOWEST,
						 on_autosave, NULL)),
		      "start autosave");
	note_run(b);
	maybe_quit();
}

/* The input event itself, first-class work. */
static void on_input(void *arg)
{
	inputs_run++;
	spin_ns(LSCHED_US(100));
	maybe_quit();
}

static void on_tick(lsched_task *t, void *arg)
{
	int64_t b = lsched_loop_now(loop);

	ticks++;
	spin_ns(LSCHED_US(200));
	note_run(b);
}

/* A long job done properly: 4 ms pieces in slices of 10 ms, yielding
 * whenever the stopwatch says so (slice used, input or a higher task). */
static void on_index(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;
	int64_t b = lsched_loop_now(loop);

	index_runs++;
	check(lsched_stopwatch_init(&sw, loop), "stopwatch");
	check(lsched_stopwatch_set_slice(&sw, INDEX_SLICE_NS), "slice");
	while (index_left > 0) {
		spin_ns(INDEX_PIECE_NS);
		index_left--;
		index_checks++;
		if (!lsched_stopwatch_continue(&sw))
			break;
	}
	note_run(b);
	if (index_left == 0) {
		check(lsched_task_stop(t), "stop indexer");
		maybe_quit();
	}
}

static void *type_keys(void *arg)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; i < KEYS; i++) {
		next.tv_nsec += KEY_PERIOD_NS;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		check(lsched_perform(perf, on_input, NULL, 0), "perform");
		check(lsched_perform_at(perf, LSCHED_PRIO_HIGHEST, "keystroke",
					on_key, NULL, 0),
		      "perform_at");
	}
	atomic_store(&typing_done, 1);
	/* Wakes the loop, in case all else is done and it sleeps. */
	check(lsched_perform(perf, on_input, NULL, 0), "perform");
	return NULL;
}

/* Once the loop runs: the typist starts. */
static void on_healthy_kickoff(lsched_task *t, void *arg)
{
	if (pthread_create(&typist, NULL, type_keys, NULL) != 0) {
		fprintf(stderr, "truth_workload: cannot start a thread\n");
		failed = 1;
		check(lsched_loop_stop(loop), "stop loop");
		return;
	}
	typist_started = 1;
	lsched_task_destroy(t);
}

static int run_healthy(void)
{
	perf = lsched_performer_new(loop);
	if (!perf) {
		fprintf(stderr, "truth_workload: lsched_performer_new: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	repaint = new_task("repaint", LSCHED_TASK_IDLE, LSCHED_PRIO_REPAINT,
			   on_repaint, NULL);
	spell = new_task("spellcheck", LSCHED_TASK_IDLE,
			 LSCHED_PRIO_DEFAULT_IDLE, on_spell, NULL);
	tick = new_task("tick", LSCHED_TASK_AUTO_TIMER, LSCHED_PRIO_DEFAULT,
			on_tick, NULL);
	check(lsched_task_set_timeout(tick, TICK_NS), "timeout");
	indexer = new_task("indexer", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_LOWEST,
			   on_index, NULL);
	quit = new_task("quit", LSCHED_TASK_TIMER, LSCHED_PRIO_DEFAULT,
			on_quit, NULL);
	check(lsched_task_set_timeout(quit, LSCHED_MS(5)), "timeout");

	check(lsched_task_start(new_task("kickoff", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_HIGHEST,
					 on_healthy_kickoff, NULL)),
	      "start kickoff");
	check(lsched_task_start(tick), "start tick");
	check(lsched_task_start(indexer), "start indexer");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	if (typist_started)
		pthread_join(typist, NULL);

	print_loop("healthy");
	printf("keystrokes=%d\n", keys_run);
	printf("inputs=%d\n", inputs_run);
	printf("repaints=%d\n", repaints);
	printf("spellchecks=%d\n", spells);
	printf("autosaves=%d\n", autosaves);
	printf("ticks=%d\n", ticks);
	printf("index_runs=%d\n", index_runs);
	printf("index_checks=%lu\n", index_checks);
	printf("longest_run_ns=%" PRId64 "\n", longest_run_seen);
	if (plant_long_ns)
		printf("planted_task=spellcheck\nplanted_prio=DEFAULT_IDLE\n"
		       "planted_run_ns=%" PRId64 "\n", planted_run_ns);
	if (keys_run != KEYS || index_left != 0 ||
	    (plant_long_ns ? !planted_run_ns
			   : longest_run_seen >= LSCHED_MS(50))) {
		fprintf(stderr, "truth_workload: healthy: the plan did not "
				"run as intended\n");
		failed = 1;
	}
	lsched_performer_destroy(perf);
	return 0;
}

/* ---- block ----------------------------------------------------------- */

#define BLOCK_NS LSCHED_MS(200)

static int block_pipe[2] = { -1, -1 };
static int64_t block_run = -1, block_read = -1, block_cpu = -1;
static int block_shorts_left = 5;
static lsched_task *reader;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The writer: 200 ms after it is told, one byte. */
static void *block_writer(void *arg)
{
	struct timespec ts = { 0, BLOCK_NS };
	char c = 'x';

	(void)arg;
	nanosleep(&ts, NULL);
	if (write(block_pipe[1], &c, 1) != 1)
		failed = 1;
	return NULL;
}

static void on_reader(lsched_task *t, void *arg)
{
	int64_t begin = mono_ns(), cpu = thread_cpu_ns(), r0, r1;
	pthread_t th;
	char c;

	(void)t;
	(void)arg;
	spin_ns(LSCHED_US(500)); /* a little work first */
	if (pthread_create(&th, NULL, block_writer, NULL)) {
		failed = 1;
		return;
	}
	r0 = mono_ns();
	if (read(block_pipe[0], &c, 1) != 1) /* the loop thread sleeps */
		failed = 1;
	r1 = mono_ns();
	spin_ns(LSCHED_US(500));
	block_read = r1 - r0;
	block_cpu = thread_cpu_ns() - cpu;
	block_run = mono_ns() - begin;
	pthread_join(th, NULL);
	check(lsched_loop_stop(loop), "stop loop");
}

static void on_block_short(lsched_task *t, void *arg)
{
	(void)arg;
	spin_ns(LSCHED_MS(1));
	lsched_task_destroy(t);
	if (--block_shorts_left == 0)
		check(lsched_task_start(reader), "start reader");
}

static int run_block(void)
{
	if (pipe(block_pipe) < 0) {
		perror("truth_workload: pipe");
		return 1;
	}
	reader = new_task("reader", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			  on_reader, NULL);
	for (int i = 0; i < 5; i++)
		check(lsched_task_start(new_task("short", LSCHED_TASK_IDLE,
						 LSCHED_PRIO_DEFAULT_IDLE,
						 on_block_short, NULL)),
		      "start short");
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	close(block_pipe[0]);
	close(block_pipe[1]);

	print_loop("block");
	printf("block_task=reader\n");
	printf("block_prio=DEFAULT\n");
	printf("block_run_ns=%" PRId64 "\n", block_run);
	printf("block_read_ns=%" PRId64 "\n", block_read);
	printf("block_cpu_ns=%" PRId64 "\n", block_cpu);
	if (block_read < BLOCK_NS / 2) {
		fprintf(stderr, "truth_workload: block: the plan did not run "
				"(read took %" PRId64 " ns)\n", block_read);
		failed = 1;
	}
	return 0;
}

/* ---- preempt --------------------------------------------------------- */

#define BURSTS 10
#define BURST_NS LSCHED_MS(20)
#define BURST_GAP_NS LSCHED_MS(25)
#define WORKER_SLICE_NS LSCHED_US(7800)
#define WORKER_PIECE_NS LSCHED_MS(1)

static atomic_int competitor_done;
static int64_t burst_ns[BURSTS];
static int worker_runs;
static unsigned long worker_checks;
static lsched_task *worker;

/* A SCHED_FIFO thread above the loop's priority on the loop's CPU: while
 * it burns, the loop thread cannot run. Created with its policy and CPU
 * (not set from inside: pinned beside a loop that never sleeps, at the
 * loop's priority, it would never get to run). */
static void *competitor(void *arg)
{
	struct timespec gap = { 0, BURST_GAP_NS };

	(void)arg;
	for (int i = 0; i < BURSTS; i++) {
		int64_t b;

		nanosleep(&gap, NULL);
		b = mono_ns();
		spin_ns(BURST_NS);
		burst_ns[i] = mono_ns() - b;
	}
	atomic_store(&competitor_done, 1);
	return NULL;
}

/* 1 ms pieces under a 7.8 ms slice, yielding when the stopwatch says so;
 * stops the loop once the competitor is done. */
static void on_worker(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;

	(void)arg;
	worker_runs++;
	check(lsched_stopwatch_init(&sw, loop), "stopwatch");
	check(lsched_stopwatch_set_slice(&sw, WORKER_SLICE_NS), "slice");
	do {
		spin_ns(WORKER_PIECE_NS);
		worker_checks++;
	} while (lsched_stopwatch_continue(&sw));
	if (atomic_load(&competitor_done)) {
		check(lsched_task_stop(t), "stop worker");
		check(lsched_loop_stop(loop), "stop loop");
	}
}

static int run_preempt(void)
{
	struct sched_param sp = { .sched_priority = 20 };
	pthread_attr_t attr;
	pthread_t th;
	cpu_set_t cpu0;
	int64_t total = 0;
	int err;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	err = pthread_setaffinity_np(pthread_self(), sizeof(cpu0), &cpu0);
	if (!err)
		err = pthread_attr_init(&attr);
	if (!err) {
		err = pthread_attr_setinheritsched(&attr,
						   PTHREAD_EXPLICIT_SCHED);
		if (!err)
			err = pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		if (!err)
			err = pthread_attr_setschedparam(&attr, &sp);
		if (!err)
			err = pthread_attr_setaffinity_np(&attr, sizeof(cpu0),
							  &cpu0);
		worker = new_task("worker", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, on_worker, NULL);
		check(lsched_task_start(worker), "start worker");
		if (!err)
			err = pthread_create(&th, &attr, competitor, NULL);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		fprintf(stderr, "truth_workload: preempt: no SCHED_FIFO "
				"competitor on CPU 0: %s\n", strerror(err));
		return 1;
	}
	check(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), "run");
	pthread_join(th, NULL);

	print_loop("preempt");
	printf("preempt_task=worker\n");
	printf("preempt_prio=DEFAULT_IDLE\n");
	printf("bursts=%d\n", BURSTS);
	for (int i = 0; i < BURSTS; i++)
		total += burst_ns[i];
	printf("burst_ns=%" PRId64 "\n", (int64_t)BURST_NS);
	printf("burst_total_ns=%" PRId64 "\n", total);
	printf("worker_runs=%d\n", worker_runs);
	printf("worker_checks=%lu\n", worker_checks);
	return 0;
}

/* ---- main ------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr, "usage: truth_workload --mode "
			"starve|long|healthy|restart|sibling|block|preempt "
			"[--realtime] [--plant-long MS (healthy)]\n");
	return 2;
}

/* SCHED_FIFO for the calling thread (and the threads it creates, which
 * inherit it); 1 if set. */
static int go_realtime(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

	if (err) {
		fprintf(stderr, "truth_workload: --realtime: SCHED_FIFO: %s "
				"(going on without)\n", strerror(err));
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = NULL;
	int rc, realtime = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mode = argv[++i];
		else if (!strncmp(argv[i], "--mode=", 7))
			mode = argv[i] + 7;
		else if (!strcmp(argv[i], "--realtime"))
			realtime = 1;
		else if (!strcmp(argv[i], "--plant-long") && i + 1 < argc) {
			char *end;
			long ms = strtol(argv[++i], &end, 10);

			if (*end || ms <= 0 || ms > 10000)
				return usage();
			plant_long_ns = LSCHED_MS(ms);
		} else
			return usage();
	}
	if (!mode)
		return usage();
	if (strcmp(mode, "starve") && strcmp(mode, "long") &&
	    strcmp(mode, "healthy") && strcmp(mode, "restart") &&
	    strcmp(mode, "sibling") && strcmp(mode, "block") &&
	    strcmp(mode, "preempt"))
		return usage();

	if (realtime)
		realtime = go_realtime();
	loop = lsched_loop_new(NULL);
	if (!loop) {
		fprintf(stderr, "truth_workload: lsched_loop_new: %s\n",
			lsched_strerror(-errno));
		return 1;
	}
	check(lsched_loop_set_name(loop, "truth"), "loop name");
	if (!strcmp(mode, "starve"))
		rc = run_starve();
	else if (!strcmp(mode, "long"))
		rc = run_long();
	else if (!strcmp(mode, "restart"))
		rc = run_restart();
	else if (!strcmp(mode, "sibling"))
		rc = run_sibling();
	else if (!strcmp(mode, "block"))
		rc = run_block();
	else if (!strcmp(mode, "preempt"))
		rc = run_preempt();
	else
		rc = run_healthy();
	if (lsched_loop_destroy(loop) < 0)
		failed = 1;
	printf("realtime=%d\n", realtime);
	printf("ok=%d\n", !(rc || failed));
	return rc || failed;
}
