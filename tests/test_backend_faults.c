/*
 * Poller faults: epoll_create1(), eventfd(), epoll_ctl() and the epoll
 * waits fail. Each call must return the error, leave nothing open or
 * half-registered, and leave the loop usable once the fault is gone.
 *
 * Linked with -Wl,--wrap=epoll_ctl,--wrap=epoll_create1,--wrap=eventfd,
 * --wrap=epoll_wait,--wrap=epoll_pwait2 (see the Makefile): the wrappers
 * forward to the real calls unless armed. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "testutil.h"

int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __real_epoll_create1(int flags);
int __real_eventfd(unsigned int initval, int flags);
int __real_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms);
int __real_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			const struct timespec *ts, const sigset_t *mask);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __real_timerfd_create(int clockid, int flags);
int __wrap_timerfd_create(int clockid, int flags);
int __wrap_epoll_create1(int flags);
int __wrap_eventfd(unsigned int initval, int flags);
int __wrap_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms);
int __wrap_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			const struct timespec *ts, const sigset_t *mask);

/* The errno each call fails with (0: forwarded); for epoll_ctl, only the
 * operation ctl_op (0: any). */
static int ctl_errno, ctl_op, create_errno, eventfd_errno, wait_errno;
static int timerfd_errno; /* lsched_loop_fd()'s timerfd */
static int ctl_calls_failed;
/* epoll_ctl() calls seen, per operation (EPOLL_CTL_ADD, DEL, MOD: 1..3),
 * and the events of the last one. */
static int ctl_seen[4];
static uint32_t ctl_last_events;

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (op >= 1 && op <= 3)
		ctl_seen[op]++;
	if (ev)
		ctl_last_events = ev->events;
	if (ctl_errno && (!ctl_op || ctl_op == op)) {
		ctl_calls_failed++;
		errno = ctl_errno;
		return -1;
	}
	return __real_epoll_ctl(epfd, op, fd, ev);
}

int __wrap_timerfd_create(int clockid, int flags)
{
	if (timerfd_errno) {
		errno = timerfd_errno;
		return -1;
	}
	return __real_timerfd_create(clockid, flags);
}

int __wrap_epoll_create1(int flags)
{
	if (create_errno) {
		errno = create_errno;
		return -1;
	}
	return __real_epoll_create1(flags);
}

int __wrap_eventfd(unsigned int initval, int flags)
{
	if (eventfd_errno) {
		errno = eventfd_errno;
		return -1;
	}
	return __real_eventfd(initval, flags);
}

int __wrap_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
	if (wait_errno) {
		errno = wait_errno;
		return -1;
	}
	return __real_epoll_wait(epfd, ev, max, ms);
}

int __wrap_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			const struct timespec *ts, const sigset_t *mask)
{
	if (wait_errno) {
		errno = wait_errno;
		return -1;
	}
	return __real_epoll_pwait2(epfd, ev, max, ts, mask);
}

static void disarm(void)
{
	ctl_errno = ctl_op = create_errno = eventfd_errno = wait_errno = 0;
	timerfd_errno = 0;
	ctl_calls_failed = 0;
}

/* Open descriptors of the process: nothing may leak. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static lsched_loop *fix_loop(void **state)
{
	return ((struct vfix *)*state)->loop;
}

static void on_fd(lsched_loop *loop, int fd, unsigned ev, void *arg)
{
	char c;

	(*(int *)arg)++;
	(void)!read(fd, &c, 1);
}

static void on_fd_other(lsched_loop *loop, int fd, unsigned ev, void *arg)
{
	char c;

	(*(int *)arg) += 100;
	(void)!read(fd, &c, 1);
}

/* ---- creation -------------------------------------------------------------- */

static void test_backend_faults_loop_new(void **state)
{
	int fds = open_fds();
	static const int errs[] = { EMFILE, ENFILE, ENOMEM };

	for (unsigned i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		create_errno = errs[i];
		assert_null(lsched_loop_new(NULL));
		assert_int_equal(errno, errs[i]);
		disarm();
		assert_int_equal(open_fds(), fds);

		eventfd_errno = errs[i];
		assert_null(lsched_loop_new(NULL));
		assert_int_equal(errno, errs[i]);
		disarm();
		assert_int_equal(open_fds(), fds); /* the epoll fd closed */
	}
	/* Registering the wake-up descriptor fails. */
	ctl_errno = ENOSPC;
	assert_null(lsched_loop_new(NULL));
	assert_int_equal(errno, ENOSPC);
	disarm();
	assert_int_equal(open_fds(), fds); /* both descriptors closed */

	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	assert_int_equal(open_fds(), fds);
}

/* ---- watch ------------------------------------------------------------------ */

/* epoll_ctl(ADD) fails: the error comes back, nothing is registered, and
 * after the fault the same fd is watched normally. */
static void test_backend_faults_watch_add(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static const int errs[] = { ENOSPC, ENOMEM, EPERM, EINVAL };
	int p[2], calls = 0;

	assert_int_equal(pipe(p), 0);
	for (unsigned i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		ctl_errno = errs[i];
		assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
						      on_fd, &calls),
				 -errs[i]);
		disarm();
		assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), -ENOENT);
	}
	assert_int_equal(write(p[1], "x", 1), 1);
	run_cycles(loop, 2);
	assert_int_equal(calls, 0); /* nothing registered */
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls), 0);
	run_cycles(loop, 2);
	assert_int_equal(calls, 1);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
}

/* Two watchers of one fd (read, write) share one registration: the second
 * watch and a removal of one condition are EPOLL_CTL_MODs, never a second
 * ADD; a failed MOD changes nothing. */
static void test_backend_faults_watchers_share_one_registration(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int p[2], reads = 0, writes = 0;
	int add0, mod0, del0;

	assert_int_equal(pipe(p), 0);
	add0 = ctl_seen[EPOLL_CTL_ADD];
	mod0 = ctl_seen[EPOLL_CTL_MOD];
	del0 = ctl_seen[EPOLL_CTL_DEL];
	/* A pipe's read end is never writable: the write watcher exists
	 * only in the registration's events. */
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &reads), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_WRITE,
					      on_fd_other, &writes), 0);
	assert_int_equal(ctl_seen[EPOLL_CTL_ADD] - add0, 1);
	assert_int_equal(ctl_seen[EPOLL_CTL_MOD] - mod0, 1);
	assert_true(ctl_last_events & EPOLLIN);
	assert_true(ctl_last_events & EPOLLOUT);

	/* A failed MOD on removing the write watcher changes nothing. */
	ctl_errno = ENOMEM;
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[0],
						       LSCHED_FD_WRITE),
			 -ENOMEM);
	disarm();
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[0],
						       LSCHED_FD_WRITE),
			 0);
	assert_int_equal(ctl_seen[EPOLL_CTL_MOD] - mod0, 3);
	assert_true(ctl_last_events & EPOLLIN);
	assert_false(ctl_last_events & EPOLLOUT);
	assert_int_equal(ctl_seen[EPOLL_CTL_DEL] - del0, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	run_cycles(loop, 2);
	assert_int_equal(reads, 1);
	assert_int_equal(writes, 0);
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[0],
						       LSCHED_FD_READ),
			 0);
	assert_int_equal(ctl_seen[EPOLL_CTL_DEL] - del0, 1);
	close(p[0]);
	close(p[1]);
}

/* epoll_ctl(MOD) fails on a re-watch: the old registration stays as it
 * was (events, callback, argument). */
static void test_backend_faults_watch_modify(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int p[2], calls = 0;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls), 0);
	ctl_errno = ENOMEM;
	ctl_op = EPOLL_CTL_MOD;
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      on_fd_other, &calls),
			 -ENOMEM);
	assert_int_equal(ctl_calls_failed, 1);
	disarm();
	assert_int_equal(write(p[1], "x", 1), 1);
	run_cycles(loop, 2);
	assert_int_equal(calls, 1); /* the old callback */
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
}

/* The fd was closed and its number reused without an unwatch: MOD says
 * ENOENT, and the fresh ADD fails too: the stale registration is dropped
 * (watch_fd's documented exception), and a later watch works. */
static void test_backend_faults_watch_stale_readd_fails(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int p[2], q[2], calls = 0;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls), 0);
	/* Reuse p[0]'s number for another pipe behind the loop's back. */
	assert_int_equal(pipe(q), 0);
	assert_int_equal(dup2(q[0], p[0]), p[0]);
	close(q[0]);
	ctl_errno = ENOSPC;
	ctl_op = EPOLL_CTL_ADD;
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls),
			 -ENOSPC);
	disarm();
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), -ENOENT);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls), 0);
	assert_int_equal(write(q[1], "x", 1), 1);
	run_cycles(loop, 2);
	assert_int_equal(calls, 1);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
	close(q[1]);
}

/* epoll_ctl(DEL) fails: unwatch still drops the registration (the fd may
 * already be closed), and no event reaches the callback afterwards. */
static void test_backend_faults_unwatch_del_fails(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int p[2], calls = 0;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls), 0);
	ctl_errno = EBADF;
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	disarm();
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), -ENOENT);
	/* epoll still has it (DEL failed): its events are stale tokens. */
	assert_int_equal(write(p[1], "x", 1), 1);
	run_cycles(loop, 2);
	assert_int_equal(calls, 0);
	/* Watching it again: ADD finds epoll's leftover entry (EEXIST)
	 * and modifies it instead. */
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, on_fd,
					      &calls), 0);
	run_cycles(loop, 2);
	assert_int_equal(calls, 1);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
}

/* ---- wait ---------------------------------------------------------------------- */

static void count_task(lsched_task *t, void *arg)
{
	(*(int *)arg)++;
}

/* The wait fails: lsched_loop_run() returns the error; nothing queued is
 * lost, and the loop runs normally once the fault is gone. */
static void test_backend_faults_wait_fails(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int ran = 0;
	lsched_task *t = lsched_task_new(loop, "t", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, count_task, &ran);

	assert_non_null(t);
	assert_int_equal(lsched_task_start(t), 0);
	wait_errno = EBADF;
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), -EBADF);
	wait_errno = ENOMEM;
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), -ENOMEM);
	disarm();
	assert_int_equal(ran, 0);
	assert_true(lsched_task_is_active(t));
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(ran, 1);
	assert_false(lsched_loop_is_running(loop));
	lsched_task_destroy(t);
}

/* EINTR is not an error: the cycle goes on. */
static void test_backend_faults_wait_eintr(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int ran = 0;
	lsched_task *t = lsched_task_new(loop, "t", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, count_task, &ran);

	assert_non_null(t);
	assert_int_equal(lsched_task_start(t), 0);
	wait_errno = EINTR;
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	disarm();
	assert_int_equal(ran, 1);
	lsched_task_destroy(t);
}

/* ---- hosting ------------------------------------------------------------------ */

/* lsched_loop_fd(): a timerfd that cannot be made or added to the poller is
 * an error, with nothing left open; the next call succeeds. A hosted
 * dispatch whose poll fails returns the error and leaves the loop usable. */
static void test_backend_faults_loop_fd(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int fds = open_fds(), fd;

	timerfd_errno = EMFILE;
	assert_int_equal(lsched_loop_fd(loop), -EMFILE);
	disarm();
	assert_int_equal(open_fds(), fds);
	ctl_errno = ENOMEM;
	ctl_op = EPOLL_CTL_ADD;
	assert_int_equal(lsched_loop_fd(loop), -ENOMEM);
	disarm();
	assert_int_equal(open_fds(), fds); /* the timerfd closed */
	fd = lsched_loop_fd(loop);
	assert_true(fd >= 0);
	assert_int_equal(open_fds(), fds + 1);

	wait_errno = EBADF;
	assert_int_equal(lsched_loop_dispatch(loop), -EBADF);
	disarm();
	assert_int_equal(lsched_loop_dispatch(loop), 0);
}

int main(void)
{
#define VT(f) cmocka_unit_test_setup_teardown(f, vfix_setup, vfix_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_faults_loop_new),
		VT(test_backend_faults_watchers_share_one_registration),
		VT(test_backend_faults_watch_add),
		VT(test_backend_faults_watch_modify),
		VT(test_backend_faults_watch_stale_readd_fails),
		VT(test_backend_faults_unwatch_del_fails),
		VT(test_backend_faults_wait_fails),
		VT(test_backend_faults_wait_eintr),
		VT(test_backend_faults_loop_fd),
	};
#undef VT
	return cmocka_run_group_tests(tests, NULL, NULL);
}
