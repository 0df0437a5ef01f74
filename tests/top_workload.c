/*
 * A workload for schedtop's tests (scripts/test-schedtop.sh): it runs until
 * --seconds have passed or a SIGTERM/SIGINT, with known tasks on two loops,
 * and prints "ready pid=N" on stdout once both loops run.
 *
 * Main loop (thread "top-main"):
 *   tick      auto-timer, HIGHEST, every 10 ms, 50 us of work
 *   paint     idle, REPAINT, restarted by tick every 20 ms, 200 us
 *   worker    auto-idle, DEFAULT_IDLE, 1 ms pieces under a stopwatch
 *   longjob   timer, DEFAULT, every 500 ms: runs 120 ms without a
 *             stopwatch check (the planted long task)
 *   lowly     auto-idle, LOWEST: starves behind worker, except when the
 *             loop has nothing else (never, here): it is the planted
 *             starving priority, with a 300 ms maximum wait
 *   keystroke posts from an input thread every 5 ms, HIGHEST
 * Second loop (thread "top-server"):
 *   poll      auto-timer, DEFAULT, every 5 ms, 100 us
 *
 * It links the shared library, as a program would: its probes are there.
 * Exit status 0; 1 if the library failed; 2 on bad usage.
 */
#include <libsched/libsched.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_now;
static atomic_bool done, server_up;
static bool ready_said;
static lsched_loop *main_loop, *server_loop;
static lsched_task *paint, *longjob;
static lsched_performer *input;

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void spin_ns(int64_t ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) <
		 ns);
}

static void tick_cb(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(50));
	/* Both loops run: say so, once. */
	if (!ready_said && atomic_load(&server_up)) {
		printf("ready pid=%d\n", (int)getpid());
		fflush(stdout);
		ready_said = true;
	}
	if (!lsched_task_is_active(paint))
		lsched_task_start(paint);
	if (stop_now)
		lsched_loop_stop(lsched_task_loop(t));
}

static void paint_cb(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(200));
}

static void worker_cb(lsched_task *t, void *arg)
{
	struct lsched_stopwatch sw;

	lsched_stopwatch_init(&sw, lsched_task_loop(t));
	do
		spin_ns(LSCHED_MS(1));
	while (lsched_stopwatch_continue(&sw));
}

static void longjob_cb(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_MS(120));
	lsched_task_start(t);
}

static void lowly_cb(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(300));
}

static void key_cb(void *arg)
{
	spin_ns(LSCHED_US(20));
}

static void poll_cb(lsched_task *t, void *arg)
{
	spin_ns(LSCHED_US(100));
	atomic_store(&server_up, true);
	if (atomic_load(&done))
		lsched_loop_stop(lsched_task_loop(t));
}

static void *input_thread(void *arg)
{
	struct timespec ts = { 0, 5000000 };

	while (!atomic_load(&done)) {
		lsched_perform_at(input, LSCHED_PRIO_HIGHEST, "keystroke",
				  key_cb, NULL, 0);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *server_thread(void *arg)
{
	lsched_task *poll;

	pthread_setname_np(pthread_self(), "top-server");
	poll = lsched_task_new(server_loop, "poll", LSCHED_TASK_AUTO_TIMER,
			       LSCHED_PRIO_DEFAULT, poll_cb, NULL);
	if (!poll || lsched_task_set_timeout(poll, LSCHED_MS(5)) ||
	    lsched_task_start(poll))
		return (void *)1;
	lsched_loop_run(server_loop, LSCHED_RUN_DEFAULT);
	lsched_task_destroy(poll);
	return NULL;
}

int main(int argc, char **argv)
{
	lsched_task *tick, *worker, *lowly;
	pthread_t in, srv;
	double seconds = 10;
	void *srv_rc = NULL;
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = atof(argv[++i]);
		} else {
			fprintf(stderr, "usage: top_workload [--seconds N]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pthread_setname_np(pthread_self(), "top-main");
	main_loop = lsched_loop_new(NULL);
	server_loop = lsched_loop_new(NULL);
	input = main_loop ? lsched_performer_new(main_loop) : NULL;
	if (!main_loop || !server_loop || !input)
		return 1;
	tick = lsched_task_new(main_loop, "tick", LSCHED_TASK_AUTO_TIMER,
			       LSCHED_PRIO_HIGHEST, tick_cb, NULL);
	paint = lsched_task_new(main_loop, "paint", LSCHED_TASK_IDLE,
				LSCHED_PRIO_REPAINT, paint_cb, NULL);
	worker = lsched_task_new(main_loop, "worker", LSCHED_TASK_AUTO_IDLE,
				 LSCHED_PRIO_DEFAULT_IDLE, worker_cb, NULL);
	longjob = lsched_task_new(main_loop, "longjob", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, longjob_cb, NULL);
	lowly = lsched_task_new(main_loop, "lowly", LSCHED_TASK_AUTO_IDLE,
				LSCHED_PRIO_LOWEST, lowly_cb, NULL);
	if (!tick || !paint || !worker || !longjob || !lowly ||
	    lsched_task_set_timeout(tick, LSCHED_MS(10)) ||
	    lsched_task_set_timeout(longjob, LSCHED_MS(500)) ||
	    lsched_task_set_max_wait(lowly, LSCHED_MS(300)) ||
	    lsched_task_start(tick) || lsched_task_start(worker) ||
	    lsched_task_start(longjob) || lsched_task_start(lowly))
		return 1;
	if (pthread_create(&srv, NULL, server_thread, NULL))
		return 1;
	if (pthread_create(&in, NULL, input_thread, NULL))
		return 1;
	if (lsched_loop_run_for(main_loop, (int64_t)(seconds * 1e9)) < 0)
		return 1;
	atomic_store(&done, true);
	pthread_join(in, NULL);
	pthread_join(srv, &srv_rc);
	lsched_performer_destroy(input);
	lsched_task_destroy(tick);
	lsched_task_destroy(paint);
	lsched_task_destroy(worker);
	lsched_task_destroy(longjob);
	lsched_task_destroy(lowly);
	lsched_loop_destroy(main_loop);
	lsched_loop_destroy(server_loop);
	return srv_rc ? 1 : 0;
}
