/*
 * The CPU time of traced runs (libsched/src/tracecpu.c), through the
 * in-process trace hook on a real clock: a run that sleeps is told
 * BLOCKED with less CPU than wall time, one that computes is measured; the
 * loop says where its CPU times come from (loop_cpu_source), falls back to
 * the system calls with the reason when perf_event_open is refused (a
 * seccomp filter, as in a container), and releases what it made with the
 * loop. No timed assertion: a sleep always leaves the CPU, and every CPU
 * time is bounded by its run's wall time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libsched/libsched.h>
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema.h"
#include "trace_hook.h"

#ifndef LSCHED_TRACE_DISABLED
struct seen {
	int sources;  /* loop_cpu_source events */
	int source, err;
	uint64_t sleeper, spinner;
	struct lsched_tp_rec_task_fire_end sleep_end, spin_end;
	int ends;
};

static void on_event(enum lsched_tp_event ev, const void *rec, void *arg)
{
	struct seen *s = arg;

	if (ev == LSCHED_TP_EV_loop_cpu_source) {
		const struct lsched_tp_rec_loop_cpu_source *r = rec;

		s->sources++;
		s->source = r->source;
		s->err = r->err;
	} else if (ev == LSCHED_TP_EV_task_fire_end) {
		const struct lsched_tp_rec_task_fire_end *r = rec;

		s->ends++;
		if (r->task == s->sleeper)
			s->sleep_end = *r;
		else if (r->task == s->spinner)
			s->spin_end = *r;
	}
}

static void sleep_20ms(lsched_task *t, void *arg)
{
	poll(NULL, 0, 20);
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void spin_1ms(lsched_task *t, void *arg)
{
	int64_t until = thread_cpu_ns() + 1000000;

	while (thread_cpu_ns() < until)
		;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Runs a sleeping and a spinning task, traced, on a fresh real-clock
 * loop; fills *s. Returns the open descriptors after the loop is gone
 * minus before it was made (0: nothing leaked). */
static int run_traced(struct seen *s)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	int before;

	/* A real-clock loop's io_uring (its input check, input_uring.c) is
	 * kept open for the next loop once made: made before the count. */
	assert_non_null(loop);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	before = open_fds();
	loop = lsched_loop_new(NULL);
	lsched_task *sleeper, *spinner;

	assert_non_null(loop);
	sleeper = lsched_task_new(loop, "sleeper", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, sleep_20ms, NULL);
	spinner = lsched_task_new(loop, "spinner", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, spin_1ms, NULL);
	assert_non_null(sleeper);
	assert_non_null(spinner);
	memset(s, 0, sizeof(*s));
	s->sleeper = lsched_task_id(sleeper);
	s->spinner = lsched_task_id(spinner);
	assert_int_equal(lsched__trace_hook_set(on_event, s), 0);
	assert_int_equal(lsched_task_start(sleeper), 0);
	assert_int_equal(lsched_task_start(spinner), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	lsched_task_destroy(sleeper);
	lsched_task_destroy(spinner);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	return open_fds() - before;
}

/* What every source must give: the sleeper BLOCKED, both runs measured,
 * no CPU time above its run's wall time, the sleeper's well below. */
static void assert_measured(const struct seen *s)
{
	const struct lsched_tp_rec_task_fire_end *sl = &s->sleep_end;
	const struct lsched_tp_rec_task_fire_end *sp = &s->spin_end;

	assert_int_equal(s->ends, 2);
	assert_int_equal(s->sources, 1);
	assert_true(sl->flags & LSCHED_TP_END_BLOCKED);
	assert_true(sl->cpu >= 0);
	assert_true(sl->cpu < sl->end - sl->begin);
	assert_true(sp->cpu > 0);
	/* The CPU clock and the loop's clock are read at slightly
	 * different instants by the fallback: a microsecond of slack. */
	assert_true(sp->cpu <= sp->end - sp->begin + 1000);
}

static void test_sleeping_run_blocked_and_cpu_measured(void **state)
{
	struct seen s;

	assert_int_equal(run_traced(&s), 0);
	assert_measured(&s);
	/* The source is said once, with its reason when it is the
	 * fallback. */
	if (s.source == LSCHED_TP_CPU_SOURCE_PERF)
		assert_int_equal(s.err, 0);
	else
		assert_int_equal(s.source, LSCHED_TP_CPU_SOURCE_SYSCALL);
	if (s.source == LSCHED_TP_CPU_SOURCE_SYSCALL)
		assert_true(s.err > 0);
}

/* Refuses perf_event_open with EACCES from now on, as Docker's default
 * seccomp profile does (with EPERM). */
static int deny_perf_event_open(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void test_refused_perf_falls_back_with_reason(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* In a child: the filter stays with the process. cmocka's
		 * asserts longjmp to the parent's runner, so the child
		 * reports by its exit status instead. */
		struct seen s;

		if (deny_perf_event_open() < 0)
			_exit(10);
		if (run_traced(&s) != 0)
			_exit(11);
		if (s.sources != 1 || s.source != LSCHED_TP_CPU_SOURCE_SYSCALL ||
		    s.err != EACCES)
			_exit(12);
		if (s.ends != 2 || !(s.sleep_end.flags & LSCHED_TP_END_BLOCKED) ||
		    s.sleep_end.cpu < 0 ||
		    s.sleep_end.cpu >= s.sleep_end.end - s.sleep_end.begin ||
		    s.spin_end.cpu <= 0)
			_exit(13);
		exit(0); /* not _exit: coverage is written at exit */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A child of fork() that runs the loop its parent traced measures its own
 * thread: it opens its own event (a loop_cpu_source of its own), not the
 * parent's ring, which tells of the parent's switches. */
static void test_forked_child_measures_itself(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_task *sleeper = lsched_task_new(loop, "sleeper", LSCHED_TASK_IDLE,
					       LSCHED_PRIO_DEFAULT, sleep_20ms,
					       NULL);
	struct seen s = { 0 };
	int status;
	pid_t pid;

	assert_non_null(sleeper);
	s.sleeper = lsched_task_id(sleeper);
	assert_int_equal(lsched__trace_hook_set(on_event, &s), 0);
	assert_int_equal(lsched_task_start(sleeper), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(s.sources, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		memset(&s, 0, sizeof(s));
		s.sleeper = lsched_task_id(sleeper);
		if (lsched_task_start(sleeper) != 0 ||
		    lsched_loop_run(loop, LSCHED_RUN_NOWAIT) != 0)
			_exit(10);
		if (s.sources != 1 || s.ends != 1)
			_exit(11);
		if (!(s.sleep_end.flags & LSCHED_TP_END_BLOCKED) ||
		    s.sleep_end.cpu < 0 ||
		    s.sleep_end.cpu >= s.sleep_end.end - s.sleep_end.begin)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	lsched_task_destroy(sleeper);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* The address and size of this process's perf ring (its
 * "anon_inode:[perf_event]" mapping), or 0. */
static size_t perf_ring(void **addr)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	size_t size = 0;

	if (!f)
		return 0;
	while (!size && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (strstr(line, "[perf_event]") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			*addr = (void *)lo;
			size = hi - lo;
		}
	}
	fclose(f);
	return size;
}

/* A child of fork() inherits the descriptor but not the ring (perf maps it
 * VM_DONTCOPY): destroying the loop there must not unmap what the child
 * has mapped at that address since. */
static void test_forked_child_destroy_spares_its_memory(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_task *sleeper = lsched_task_new(loop, "sleeper", LSCHED_TASK_IDLE,
					       LSCHED_PRIO_DEFAULT, sleep_20ms,
					       NULL);
	struct seen s = { 0 };
	void *ring = NULL;
	size_t size;
	int status;
	pid_t pid;

	assert_non_null(sleeper);
	assert_int_equal(lsched__trace_hook_set(on_event, &s), 0);
	assert_int_equal(lsched_task_start(sleeper), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	size = perf_ring(&ring);
	if (!size) {
		/* perf refused here: the fallback maps nothing. */
		assert_int_not_equal(s.source, LSCHED_TP_CPU_SOURCE_PERF);
		goto out;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile char *m = mmap(ring, size, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS |
						MAP_FIXED_NOREPLACE,
					-1, 0);

		if (m == MAP_FAILED)
			_exit(10); /* the ring was inherited after all */
		m[0] = 1;
		lsched_task_destroy(sleeper);
		if (lsched_loop_destroy(loop) != 0)
			_exit(11);
		m[0] = 2; /* SIGSEGV if the destroy unmapped it */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
out:
	lsched_task_destroy(sleeper);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

struct moved {
	lsched_loop *loop;
	lsched_task *task;
};

static void *run_on_thread(void *arg)
{
	struct moved *m = arg;

	if (lsched_task_start(m->task) != 0 ||
	    lsched_loop_run(m->loop, LSCHED_RUN_NOWAIT) != 0)
		return arg;
	return NULL;
}

/* A loop run by one thread, then (that thread gone) by another, measures
 * the new one: glibc gives the new thread the old one's pthread_t, which
 * must not pass for the same thread (the dead thread's ring never moves:
 * every run would look spent on the CPU). */
static void test_loop_moved_to_new_thread_measures_it(void **state)
{
	struct moved m = { lsched_loop_new(NULL), NULL };
	struct seen s = { 0 };
	pthread_t th;
	void *res;

	assert_non_null(m.loop);
	m.task = lsched_task_new(m.loop, "sleeper", LSCHED_TASK_IDLE,
				 LSCHED_PRIO_DEFAULT, sleep_20ms, NULL);
	assert_non_null(m.task);
	s.sleeper = lsched_task_id(m.task);
	assert_int_equal(lsched__trace_hook_set(on_event, &s), 0);
	for (int i = 1; i <= 2; i++) {
		memset(&s.sleep_end, 0, sizeof(s.sleep_end));
		assert_int_equal(pthread_create(&th, NULL, run_on_thread, &m),
				 0);
		assert_int_equal(pthread_join(th, &res), 0);
		assert_null(res);
		assert_int_equal(s.sources, i); /* a new event per thread */
		assert_true(s.sleep_end.flags & LSCHED_TP_END_BLOCKED);
		assert_true(s.sleep_end.cpu >= 0);
		assert_true(s.sleep_end.cpu <
			    s.sleep_end.end - s.sleep_end.begin);
	}
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	lsched_task_destroy(m.task);
	assert_int_equal(lsched_loop_destroy(m.loop), 0);
}

/* A loop on a virtual clock measures nothing, and so opens nothing. */
static void test_virtual_clock_measures_nothing(void **state)
{
	lsched_clock *clock = lsched_clock_new_virtual(0);
	lsched_loop *loop = lsched_loop_new(clock);
	lsched_task *t = lsched_task_new(loop, "spinner", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, spin_1ms, NULL);
	struct seen s = { 0 };
	int before = open_fds();

	assert_non_null(t);
	s.spinner = lsched_task_id(t);
	assert_int_equal(lsched__trace_hook_set(on_event, &s), 0);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
	assert_int_equal(s.ends, 1);
	assert_int_equal(s.sources, 0);
	assert_int_equal(s.spin_end.cpu, LSCHED_TP_CPU_UNKNOWN);
	assert_int_equal(open_fds(), before);
	lsched_task_destroy(t);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	lsched_clock_destroy(clock);
}
#else
/* Built with TRACE=0: no hook, nothing measured, nothing opened. */
static void test_no_trace_no_hook(void **state)
{
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), -ENOTSUP);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifndef LSCHED_TRACE_DISABLED
		cmocka_unit_test(test_sleeping_run_blocked_and_cpu_measured),
		cmocka_unit_test(test_refused_perf_falls_back_with_reason),
		cmocka_unit_test(test_forked_child_measures_itself),
		cmocka_unit_test(test_forked_child_destroy_spares_its_memory),
		cmocka_unit_test(test_loop_moved_to_new_thread_measures_it),
		cmocka_unit_test(test_virtual_clock_measures_nothing),
#else
		cmocka_unit_test(test_no_trace_no_hook),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
