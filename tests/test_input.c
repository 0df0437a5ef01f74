/*
 * The loop's input check between two tasks (loop.h, enum
 * lsched_input_source): which path a loop takes, and how soon each one
 * notices a readable descriptor behind a run of tasks. The io_uring path
 * notices it at the first check after it arrives (the write is made by a
 * task on the loop's own thread, so the completion is posted when write()
 * returns: no timing involved); the interval fallback once its interval
 * has passed, counted on a virtual clock. No sleeps, no timed assertions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "testutil.h"
#include "schema.h"
#include "trace_hook.h"

#define NTASKS 5

struct chain {
	lsched_clock *clock; /* virtual: each task advances it */
	int64_t step;
	int writer;          /* index of the task that writes */
	int nbytes;          /* bytes it writes */
	int fds[2];
	struct evlog log;
	char names[NTASKS][8];
	lsched_task *tasks[NTASKS];
};

/* Whether loops here should take the io_uring path: this process may
 * make an io_uring at all (not so: a kernel without it, io_uring_disabled,
 * a seccomp filter, Valgrind), and the environment does not force the
 * fallback (LSCHED_IO_URING=0: make check runs this program both ways). */
static int probe_fd = -2;

static bool uring_allowed(void)
{
	const char *env = getenv("LSCHED_IO_URING");
	struct io_uring_params p;
	int fd;

	if (env && strcmp(env, "0") == 0)
		return false;
	/* Made once and left open: closing a ring makes the kernel post a
	 * task-work callback to this thread later, which interrupts the wait
	 * it is in then (EINTR), and a RUN_ONCE would return early. */
	if (probe_fd == -2) {
		memset(&p, 0, sizeof(p));
		probe_fd = (int)syscall(SYS_io_uring_setup, 1, &p);
	}
	fd = probe_fd;
	return fd >= 0;
}

/* Sets LSCHED_IO_URING=0 (on), or puts back what the environment held. */
static void env_force_fallback(bool on)
{
	static char *saved;
	static bool had;

	if (on) {
		const char *v = getenv("LSCHED_IO_URING");

		had = v != NULL;
		saved = v ? strdup(v) : NULL;
		assert_int_equal(setenv("LSCHED_IO_URING", "0", 1), 0);
	} else {
		if (had)
			assert_int_equal(setenv("LSCHED_IO_URING", saved, 1),
					 0);
		else
			assert_int_equal(unsetenv("LSCHED_IO_URING"), 0);
		free(saved);
		saved = NULL;
	}
}

static void task_cb(lsched_task *task, void *arg)
{
	struct chain *c = arg;
	const char *name = lsched_task_name(task);

	evlog_add(&c->log, name);
	if (name[1] - '1' == c->writer)
		for (int i = 0; i < c->nbytes; i++)
			assert_int_equal(write(c->fds[1], "x", 1), 1);
	if (c->clock)
		assert_int_equal(lsched_clock_advance(c->clock, c->step), 0);
}

/* Reads one byte: a second byte keeps the pipe readable. */
static void fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct chain *c = arg;
	char b;

	(void)loop;
	(void)revents;
	assert_int_equal(read(fd, &b, 1), 1);
	evlog_add(&c->log, "fd");
}

static void chain_start(lsched_loop *loop, struct chain *c)
{
	assert_int_equal(pipe2(c->fds, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, c->fds[0], LSCHED_FD_READ,
					      fd_cb, c),
			 0);
	for (int i = 0; i < NTASKS; i++) {
		snprintf(c->names[i], sizeof(c->names[i]), "t%d", i + 1);
		c->tasks[i] = lsched_task_new(loop, c->names[i],
					      LSCHED_TASK_IDLE,
					      LSCHED_PRIO_DEFAULT, task_cb, c);
		assert_non_null(c->tasks[i]);
		assert_int_equal(lsched_task_start(c->tasks[i]), 0);
	}
}

static void chain_end(lsched_loop *loop, struct chain *c)
{
	for (int i = 0; i < NTASKS; i++)
		lsched_task_destroy(c->tasks[i]);
	assert_int_equal(lsched_loop_unwatch_fd(loop, c->fds[0]), 0);
	close(c->fds[0]);
	close(c->fds[1]);
}

/* A real-clock loop whose interval (1 hour) could never poll: on the
 * io_uring path, the byte written by t2 is dispatched before t3 runs. */
static void test_input_uring_sees_fd_within_one_task(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	struct chain c = { .writer = 1, .nbytes = 1 };

	(void)state;
	assert_non_null(loop);
	assert_int_equal(lsched_loop_input_source(loop), LSCHED_INPUT_UNKNOWN);
	assert_int_equal(lsched_loop_set_input_interval(loop, LSCHED_S(3600)),
			 0);
	chain_start(loop, &c);
	assert_int_equal(run_cycles(loop, 4), 4);
	if (uring_allowed()) {
		assert_int_equal(lsched_loop_input_source(loop),
				 LSCHED_INPUT_IO_URING);
		assert_log(&c.log, "t1 t2 fd t3 t4 t5");
	} else {
		/* The library found what this process is allowed: the
		 * interval, which never came round in this pass. */
		assert_int_equal(lsched_loop_input_source(loop),
				 LSCHED_INPUT_INTERVAL);
		assert_log(&c.log, "t1 t2 t3 t4 t5 fd");
	}
	chain_end(loop, &c);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* A level-triggered descriptor left readable by its callback makes no new
 * completion: the first check after the cycle that dispatched it polls
 * again, so its second byte is not left for the end of the pass. */
static void test_input_uring_undrained_fd_seen_again(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	struct chain c = { .writer = 0, .nbytes = 2 };

	(void)state;
	assert_non_null(loop);
	assert_int_equal(lsched_loop_set_input_interval(loop, LSCHED_S(3600)),
			 0);
	chain_start(loop, &c);
	assert_int_equal(run_cycles(loop, 4), 4);
	if (lsched_loop_input_source(loop) == LSCHED_INPUT_IO_URING)
		assert_log(&c.log, "t1 fd t2 fd t3 t4 t5");
	else
		assert_log(&c.log, "t1 t2 t3 t4 t5 fd fd");
	chain_end(loop, &c);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* LSCHED_IO_URING=0 as the loop first runs forces the fallback, on the
 * real clock; with an interval of 0 it polls after every task. */
static void test_input_env_forces_interval(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	struct chain c = { .writer = 1, .nbytes = 1 };

	(void)state;
	assert_non_null(loop);
	env_force_fallback(true);
	assert_int_equal(lsched_loop_set_input_interval(loop, 0), 0);
	chain_start(loop, &c);
	assert_int_equal(run_cycles(loop, 4), 4);
	env_force_fallback(false);
	assert_int_equal(lsched_loop_input_source(loop), LSCHED_INPUT_INTERVAL);
	assert_log(&c.log, "t1 t2 fd t3 t4 t5");
	chain_end(loop, &c);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	assert_int_equal(lsched_loop_input_source(NULL), -EINVAL);
}

/* A virtual clock takes the fallback, reading its clock after every task:
 * tasks of 30 us, interval 100 us, the byte written by t1 (just after the
 * cycle's poll) is seen by the check after t4, the first task to end 100
 * us or more after that poll. */
static void test_input_virtual_clock_interval_bound(void **state)
{
	struct vfix *f = *state;
	struct chain c = { .clock = f->clock, .step = LSCHED_US(30),
			   .writer = 0, .nbytes = 1 };

	assert_int_equal(lsched_loop_input_interval(f->loop), LSCHED_US(100));
	chain_start(f->loop, &c);
	assert_int_equal(run_cycles(f->loop, 4), 4);
	assert_int_equal(lsched_loop_input_source(f->loop),
			 LSCHED_INPUT_INTERVAL);
	assert_log(&c.log, "t1 t2 t3 t4 fd t5");
	chain_end(f->loop, &c);
}

struct moved {
	lsched_loop *loop;
	struct chain *c;
	int source;
};

static void *run_elsewhere(void *arg)
{
	struct moved *m = arg;

	run_cycles(m->loop, 4);
	m->source = lsched_loop_input_source(m->loop);
	return NULL;
}

/* Run first on this thread, then on another: the loop takes a ring armed
 * by the thread that runs it, and still sees input within one task. */
static void test_input_loop_moved_to_thread(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	struct chain c = { .writer = 1, .nbytes = 1 };
	struct moved m = { .loop = loop, .c = &c };
	pthread_t th;
	int first;

	(void)state;
	assert_non_null(loop);
	assert_int_equal(lsched_loop_set_input_interval(loop, LSCHED_S(3600)),
			 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	first = lsched_loop_input_source(loop);
	chain_start(loop, &c);
	assert_int_equal(pthread_create(&th, NULL, run_elsewhere, &m), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(m.source, first);
	if (first == LSCHED_INPUT_IO_URING)
		assert_log(&c.log, "t1 t2 fd t3 t4 t5");
	else
		assert_log(&c.log, "t1 t2 t3 t4 t5 fd");
	chain_end(loop, &c);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* A forked child checking or running a loop it inherited falls back: the
 * ring is the parent's. The parent's loop keeps its path. */
static void test_input_forked_child_falls_back(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	int status, first;
	pid_t pid;

	(void)state;
	assert_non_null(loop);
	assert_int_equal(run_cycles(loop, 1), 1);
	first = lsched_loop_input_source(loop);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A check before its first run already leaves the ring. */
		(void)lsched_loop_check_input(loop);
		int ok = lsched_loop_input_source(loop) ==
				 LSCHED_INPUT_INTERVAL &&
			 run_cycles(loop, 1) == 1 &&
			 lsched_loop_input_source(loop) ==
				 LSCHED_INPUT_INTERVAL &&
			 lsched_loop_destroy(loop) == 0;
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(lsched_loop_input_source(loop), first);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

#ifndef LSCHED_TRACE_DISABLED
struct seen {
	int n;
	int source, err;
};

static void on_event(enum lsched_tp_event ev, const void *rec, void *arg)
{
	struct seen *s = arg;

	if (ev == LSCHED_TP_EV_loop_input_source) {
		const struct lsched_tp_rec_loop_input_source *r = rec;

		s->n++;
		s->source = r->source;
		s->err = r->err;
	}
}

/* The trace says which path a loop takes, once, as it first runs; the
 * forced fallback says why (ECANCELED). */
static void test_input_source_traced(void **state)
{
	struct seen s = { 0 };
	lsched_loop *loop = lsched_loop_new(NULL);

	(void)state;
	assert_non_null(loop);
	assert_int_equal(lsched__trace_hook_set(on_event, &s), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.source, lsched_loop_input_source(loop));
	if (s.source == LSCHED_TP_INPUT_SOURCE_IO_URING)
		assert_int_equal(s.err, 0);
	else
		assert_int_not_equal(s.err, 0);
	assert_int_equal(lsched_loop_destroy(loop), 0);

	memset(&s, 0, sizeof(s));
	env_force_fallback(true);
	loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	assert_int_equal(run_cycles(loop, 2), 2);
	env_force_fallback(false);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.source, LSCHED_TP_INPUT_SOURCE_INTERVAL);
	assert_int_equal(s.err, ECANCELED);
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}
#endif

/* A RUN_ONCE after another loop was destroyed still waits for its timer:
 * a closed ring would interrupt the thread's next wait (the rings are
 * kept for reuse instead). */
static void count_cb(lsched_timer *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
}

static void test_input_destroyed_loop_spares_next_wait(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		lsched_loop *a = lsched_loop_new(NULL);
		lsched_loop *b;
		lsched_timer *t;
		int fires = 0;

		assert_non_null(a);
		assert_int_equal(run_cycles(a, 1), 1);
		assert_int_equal(lsched_loop_destroy(a), 0);
		b = lsched_loop_new(NULL);
		assert_non_null(b);
		t = lsched_timer_new(b, count_cb, &fires);
		assert_non_null(t);
		assert_int_equal(lsched_timer_start(t, LSCHED_MS(3), 0,
						    LSCHED_CATCHUP_SKIP),
				 0);
		assert_int_equal(lsched_loop_run(b, LSCHED_RUN_ONCE), 0);
		assert_int_equal(fires, 1);
		lsched_timer_destroy(t);
		assert_int_equal(lsched_loop_destroy(b), 0);
	}
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* Rings are reused: loops made and destroyed one after another hold one
 * ring between them, two loops at once two; none is closed (a closed ring
 * interrupts the thread's next wait). The fallback holds none. */
static void test_input_rings_reused(void **state)
{
	lsched_loop *a, *b;
	int base, alive, rings = uring_allowed() ? 1 : 0;

	(void)state;
	a = lsched_loop_new(NULL);
	assert_non_null(a);
	assert_int_equal(run_cycles(a, 1), 1);
	assert_int_equal(lsched_loop_destroy(a), 0);
	base = open_fds();
	for (int i = 0; i < 4; i++) {
		a = lsched_loop_new(NULL);
		assert_non_null(a);
		assert_int_equal(run_cycles(a, 1), 1);
		assert_int_equal(lsched_loop_destroy(a), 0);
		assert_int_equal(open_fds(), base);
	}
	/* Two at once: the second may need a ring of its own; destroying
	 * them closes their epoll descriptors and eventfds (4), no ring. */
	a = lsched_loop_new(NULL);
	b = lsched_loop_new(NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(run_cycles(a, 1), 1);
	assert_int_equal(run_cycles(b, 1), 1);
	alive = open_fds();
	assert_true(alive >= base + 4 && alive <= base + 4 + rings);
	assert_int_equal(lsched_loop_destroy(a), 0);
	assert_int_equal(lsched_loop_destroy(b), 0);
	assert_int_equal(open_fds(), alive - 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input_uring_sees_fd_within_one_task),
		cmocka_unit_test(test_input_uring_undrained_fd_seen_again),
		cmocka_unit_test(test_input_env_forces_interval),
		cmocka_unit_test_setup_teardown(
			test_input_virtual_clock_interval_bound, vfix_setup,
			vfix_teardown),
		cmocka_unit_test(test_input_loop_moved_to_thread),
		cmocka_unit_test(test_input_forked_child_falls_back),
#ifndef LSCHED_TRACE_DISABLED
		cmocka_unit_test(test_input_source_traced),
#endif
		cmocka_unit_test(test_input_destroyed_loop_spares_next_wait),
		cmocka_unit_test(test_input_rings_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
