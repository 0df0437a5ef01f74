/*
 * Loop tests: life cycle, run modes, stop, descriptors, cached time.
 *
 * Most tests use the virtual-clock fixture and LSCHED_RUN_NOWAIT cycles so
 * they never block. Tests that must block (stop from another thread, stop
 * before run) arm alarm() as a watchdog: a broken loop kills the binary
 * instead of hanging the suite. The watchdog never decides a result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"
#include "trace_hook.h"

#define WATCHDOG_S 30

static lsched_loop *fix_loop(void **state)
{
	return ((struct vfix *)*state)->loop;
}

static lsched_clock *fix_clock(void **state)
{
	return ((struct vfix *)*state)->clock;
}

static void make_pipe(int p[2])
{
	assert_int_equal(pipe(p), 0);
}

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

static void write1(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* What a descriptor callback saw. */
struct fdrec {
	int calls;
	int fd;
	unsigned revents;
	lsched_loop *loop;
	int rc; /* result of an action the callback took */
};

static void fd_record(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct fdrec *r = arg;
	r->calls++;
	r->fd = fd;
	r->revents = revents;
	r->loop = loop;
}

static void timer_nop(lsched_timer *t, void *arg)
{
}

static void count_cb(lsched_timer *t, void *arg)
{
	(*(int *)arg)++;
}

static void task_count(lsched_task *task, void *arg)
{
	(*(int *)arg)++;
}

static void fd_stop(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	fd_record(loop, fd, revents, arg);
	lsched_loop_stop(loop);
}

/* ---- life cycle -------------------------------------------------------- */

static void test_loop_new_destroy_monotonic(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	assert_ptr_equal(lsched_loop_clock(loop), lsched_clock_monotonic());
	assert_false(lsched_loop_is_running(loop));
	assert_false(lsched_loop_in_thread(loop));
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

static void test_loop_new_destroy_virtual(void **state)
{
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(7));
	assert_non_null(clock);
	lsched_loop *loop = lsched_loop_new(clock);
	assert_non_null(loop);
	assert_ptr_equal(lsched_loop_clock(loop), clock);
	assert_int_equal(lsched_loop_update_now(loop), LSCHED_S(7));
	assert_int_equal(lsched_loop_destroy(loop), 0);
	lsched_clock_destroy(clock);
}

static void test_loop_destroy_null(void **state)
{
	assert_int_equal(lsched_loop_destroy(NULL), -EINVAL);
}

static void test_loop_null_arguments(void **state)
{
	assert_int_equal(lsched_loop_run(NULL, LSCHED_RUN_NOWAIT), -EINVAL);
	assert_int_equal(lsched_loop_run_for(NULL, 0), -EINVAL);
	assert_int_equal(lsched_loop_stop(NULL), -EINVAL);
	assert_false(lsched_loop_in_thread(NULL));
	assert_false(lsched_loop_is_running(NULL));
	assert_int_equal(lsched_loop_now(NULL), -EINVAL);
	assert_int_equal(lsched_loop_set_input_interval(NULL, 0), -EINVAL);
	assert_int_equal(lsched_loop_input_interval(NULL), -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(NULL, 0, LSCHED_FD_READ,
					      fd_record, NULL),
			 -EINVAL);
	assert_int_equal(lsched_loop_unwatch_fd(NULL, 0), -EINVAL);
}

static void test_loop_run_bad_mode(void **state)
{
	lsched_loop *loop = fix_loop(state);
	assert_int_equal(lsched_loop_run(loop, (enum lsched_run_mode)3),
			 -EINVAL);
	assert_int_equal(lsched_loop_run(loop, (enum lsched_run_mode)100),
			 -EINVAL);
	assert_int_equal(lsched_loop_run(loop, (enum lsched_run_mode)-1),
			 -EINVAL);
	assert_false(lsched_loop_is_running(loop));
	/* The loop is unharmed. */
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
}

/* ---- descriptors --------------------------------------------------------- */

static void test_loop_fd_read(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(rec.calls, 0);

	write1(p[1]);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.fd, p[0]);
	assert_ptr_equal(rec.loop, loop);
	assert_true(rec.revents & LSCHED_FD_READ);
	assert_false(rec.revents & LSCHED_FD_WRITE);

	/* Level-triggered: still readable, reported again. */
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 2);

	/* Drained: no more calls. */
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(rec.calls, 2);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

static void test_loop_fd_write(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[1], LSCHED_FD_WRITE,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.fd, p[1]);
	assert_true(rec.revents & LSCHED_FD_WRITE);
	assert_false(rec.revents & LSCHED_FD_READ);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[1]), 0);
	close_pipe(p);
}

static void test_loop_fd_watch_again_replaces(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec old = { 0 }, new = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &old),
			 0);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &new),
			 0);
	write1(p[1]);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(old.calls, 0);
	assert_int_equal(new.calls, 3);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

/* One watcher per condition: a watch for WRITE leaves the READ watcher of
 * the fd alone, and unwatching one condition keeps the other. */
static void test_loop_fd_watch_other_condition_keeps_first(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec r = { 0 }, w = { 0 };
	int p[2];
	make_pipe(p);

	/* A pipe's write end never becomes readable. */
	assert_int_equal(lsched_loop_watch_fd(loop, p[1], LSCHED_FD_READ,
					      fd_record, &r),
			 0);
	assert_int_equal(run_cycles(loop, 2), 2);
	assert_int_equal(r.calls, 0);

	assert_int_equal(lsched_loop_watch_fd(loop, p[1], LSCHED_FD_WRITE,
					      fd_record, &w),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.revents, LSCHED_FD_WRITE);
	assert_int_equal(r.calls, 0);

	/* Without its WRITE watcher: no more calls. */
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[1],
						       LSCHED_FD_WRITE),
			 0);
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[1],
						       LSCHED_FD_WRITE),
			 -ENOENT);
	assert_int_equal(run_cycles(loop, 2), 2);
	assert_int_equal(w.calls, 1);

	/* The READ watcher is still there; unwatching it drops the fd. */
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[1],
						       LSCHED_FD_READ),
			 0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[1]), -ENOENT);
	assert_int_equal(lsched_loop_unwatch_fd_events(NULL, p[1],
						       LSCHED_FD_READ),
			 -EINVAL);
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[1], 0), -EINVAL);
	assert_int_equal(lsched_loop_unwatch_fd_events(loop, p[1],
						       LSCHED_FD_ERROR),
			 -EINVAL);
	close_pipe(p);
}

/* GLib's two sources on one socket, rtmfp-cpp's per-condition callbacks:
 * a read callback and a write callback live side by side, each gets its
 * own condition. */
static void test_loop_fd_read_and_write_watchers_both_called(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec r = { 0 }, w = { 0 };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_READ,
					      fd_record, &r),
			 0);
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_WRITE,
					      fd_record, &w),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.calls, 0); /* nothing to read yet */
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.revents, LSCHED_FD_WRITE);

	write1(sv[1]);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.revents, LSCHED_FD_READ);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.revents, LSCHED_FD_WRITE);

	/* A watch of READ again replaces the READ callback only. */
	struct fdrec r2 = { 0 };
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_READ,
					      fd_record, &r2),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r2.calls, 1);
	assert_int_equal(w.calls, 3);

	assert_int_equal(lsched_loop_unwatch_fd(loop, sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
}

/* One watcher for both conditions is called once with both bits. */
static void test_loop_fd_one_watcher_for_both_called_once(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rw = { 0 };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	write1(sv[1]);
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0],
					      LSCHED_FD_READ | LSCHED_FD_WRITE,
					      fd_record, &rw),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rw.calls, 1);
	assert_int_equal(rw.revents, LSCHED_FD_READ | LSCHED_FD_WRITE);
	assert_int_equal(lsched_loop_unwatch_fd(loop, sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
}

/* A hang-up reaches every watcher of the fd, whatever its condition. */
static void test_loop_fd_hangup_reaches_every_watcher(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec r = { 0 }, w = { 0 };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_READ,
					      fd_record, &r),
			 0);
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_WRITE,
					      fd_record, &w),
			 0);
	close(sv[1]);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(w.calls, 1);
	assert_true(r.revents & LSCHED_FD_HUP);
	assert_true(w.revents & LSCHED_FD_HUP);
	assert_int_equal(lsched_loop_unwatch_fd(loop, sv[0]), 0);
	close(sv[0]);
}

/* Removes the WRITE watcher of its fd (another watcher of the same fd). */
static void fd_unwatch_write(lsched_loop *loop, int fd, unsigned revents,
			     void *arg)
{
	struct fdrec *r = arg;

	fd_record(loop, fd, revents, arg);
	r->rc = lsched_loop_unwatch_fd_events(loop, fd, LSCHED_FD_WRITE);
}

/* A watcher removed by another watcher's callback in the same cycle is
 * not called with that cycle's events. */
static void test_loop_fd_watcher_removed_by_other_not_called(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec r = { 0 }, w = { 0 };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	write1(sv[1]); /* readable and writable at once */
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_READ,
					      fd_unwatch_write, &r),
			 0);
	assert_int_equal(lsched_loop_watch_fd(loop, sv[0], LSCHED_FD_WRITE,
					      fd_record, &w),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(w.calls, 0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_loop_fd_unwatch(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	write1(p[1]);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(rec.calls, 1);

	/* Not watched any more, never watched. */
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), -ENOENT);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[1]), -ENOENT);

	/* The fd was not closed by the library. */
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);

	/* Can be watched again after an unwatch. */
	write1(p[1]);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 2);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

static void test_loop_fd_watch_errors(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2], closed[2];
	make_pipe(p);
	make_pipe(closed);
	int closed_fd = closed[0];
	close_pipe(closed);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, NULL,
					      &rec),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], 0, fd_record, &rec),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], 1u << 7, fd_record,
					      &rec),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0],
					      LSCHED_FD_READ | (1u << 7),
					      fd_record, &rec),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0],
					      LSCHED_FD_READ | (1u << 31),
					      fd_record, &rec),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, -1, LSCHED_FD_READ,
					      fd_record, &rec),
			 -EBADF);
	assert_int_equal(lsched_loop_watch_fd(loop, closed_fd, LSCHED_FD_READ,
					      fd_record, &rec),
			 -EBADF);

	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(lsched_loop_watch_fd(loop, fileno(f), LSCHED_FD_READ,
					      fd_record, &rec),
			 -EPERM);
	assert_int_equal(lsched_loop_unwatch_fd(loop, fileno(f)), -ENOENT);
	fclose(f);

	/* On error nothing was registered. */
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), -ENOENT);
	assert_int_equal(lsched_loop_unwatch_fd(loop, closed_fd), -ENOENT);
	write1(p[1]);
	assert_int_equal(run_cycles(loop, 2), 2);
	assert_int_equal(rec.calls, 0);
	close_pipe(p);
}

/* A failed re-watch leaves the existing registration as it was. */
static void test_loop_fd_failed_rewatch_changes_nothing(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 }, other = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], 0, fd_record,
					      &other),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ, NULL,
					      &other),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], 1u << 9, fd_record,
					      &other),
			 -EINVAL);
	write1(p[1]);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(other.calls, 0);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

static void fd_unwatch_self(lsched_loop *loop, int fd, unsigned revents,
			    void *arg)
{
	struct fdrec *r = arg;
	fd_record(loop, fd, revents, arg);
	r->rc = lsched_loop_unwatch_fd(loop, fd);
}

static void test_loop_fd_unwatch_self_in_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_unwatch_self, &rec),
			 0);
	write1(p[1]);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.rc, 0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), -ENOENT);
	close_pipe(p);
}

/* Two pipes, both readable; whichever callback runs first unwatches the
 * other one, which must then not be called in the same dispatch. */
struct cross {
	int rd[2];
	int wr[2];
	int calls[2];
	int unwatch_rc;
};

static void fd_unwatch_other(lsched_loop *loop, int fd, unsigned revents,
			     void *arg)
{
	struct cross *x = arg;
	int me = fd == x->rd[0] ? 0 : 1;
	x->calls[me]++;
	x->unwatch_rc = lsched_loop_unwatch_fd(loop, x->rd[1 - me]);
	lsched_loop_unwatch_fd(loop, fd);
}

static void test_loop_fd_unwatch_other_in_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct cross x = { 0 };
	for (int i = 0; i < 2; i++) {
		int p[2];
		make_pipe(p);
		x.rd[i] = p[0];
		x.wr[i] = p[1];
		write1(p[1]);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(lsched_loop_watch_fd(loop, x.rd[i],
						      LSCHED_FD_READ,
						      fd_unwatch_other, &x),
				 0);

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(x.calls[0] + x.calls[1], 1);
	assert_int_equal(x.unwatch_rc, 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(x.calls[0] + x.calls[1], 1);

	for (int i = 0; i < 2; i++) {
		assert_int_equal(lsched_loop_unwatch_fd(loop, x.rd[i]),
				 -ENOENT);
		close(x.rd[i]);
		close(x.wr[i]);
	}
}

/*
 * Harder variant: the first callback unwatches the other fd, closes it and
 * puts a new, empty pipe under the same fd number, then watches it. The
 * readiness the poller reported for the old file must not reach the new
 * registration (work added during a dispatch is not run in that dispatch,
 * and the new pipe is never readable anyway).
 */
struct reuse {
	int rd[2];
	int wr[2];
	int fresh; /* index of the replaced fd */
	int calls;
	int fresh_calls;
	int rc;
};

static void fd_fresh(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct reuse *r = arg;
	r->fresh_calls++;
}

static void fd_reuse_other(lsched_loop *loop, int fd, unsigned revents,
			   void *arg)
{
	struct reuse *r = arg;
	int other = fd == r->rd[0] ? 1 : 0;
	int n[2];

	r->calls++;
	r->fresh = other;
	r->rc |= lsched_loop_unwatch_fd(loop, fd);
	r->rc |= lsched_loop_unwatch_fd(loop, r->rd[other]);
	if (pipe(n) != 0) {
		r->rc = -1;
		return;
	}
	/* rd[other] now names the new, empty pipe's read end. */
	if (dup2(n[0], r->rd[other]) != r->rd[other])
		r->rc = -1;
	close(n[0]);
	close(r->wr[other]);
	r->wr[other] = n[1];
	r->rc |= lsched_loop_watch_fd(loop, r->rd[other], LSCHED_FD_READ,
				      fd_fresh, r);
}

static void test_loop_fd_number_reused_in_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct reuse r = { 0 };
	for (int i = 0; i < 2; i++) {
		int p[2];
		make_pipe(p);
		r.rd[i] = p[0];
		r.wr[i] = p[1];
		write1(p[1]);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(lsched_loop_watch_fd(loop, r.rd[i],
						      LSCHED_FD_READ,
						      fd_reuse_other, &r),
				 0);

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fresh_calls, 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fresh_calls, 0);

	/* The new registration works once its pipe is readable. */
	write1(r.wr[r.fresh]);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.fresh_calls, 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(lsched_loop_unwatch_fd(loop, r.rd[r.fresh]), 0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, r.rd[1 - r.fresh]),
			 -ENOENT);

	for (int i = 0; i < 2; i++) {
		close(r.rd[i]);
		close(r.wr[i]);
	}
}

/*
 * lsched_loop_check_input() called from a descriptor callback (the loop's
 * thread, as loop.h allows) polls while the dispatch of this cycle's events
 * is still in progress. That must not change the dispatch: B, reported
 * ready by this cycle's poll, is still called in it; C, which became ready
 * during the dispatch, is not (it is called in the next cycle).
 */
struct midpoll {
	lsched_clock *clock;
	int rd[3], wr[3];
	int calls[3];
	bool done;
	bool input;
};

static void fd_midpoll(lsched_loop *loop, int fd, unsigned revents,
		       void *arg)
{
	struct midpoll *m = arg;
	char c;
	for (int i = 0; i < 3; i++)
		if (m->rd[i] == fd)
			m->calls[i]++;
	if (m->done)
		return;
	m->done = true;
	if (read(fd, &c, 1) != 1)
		return;
	if (write(m->wr[2], "x", 1) != 1)
		return;
	lsched_clock_advance(m->clock, LSCHED_MS(1));
	m->input = lsched_loop_check_input(loop);
}

static void test_loop_check_input_in_fd_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct midpoll m = { .clock = fix_clock(state) };
	for (int i = 0; i < 3; i++) {
		int p[2];
		make_pipe(p);
		m.rd[i] = p[0];
		m.wr[i] = p[1];
	}
	write1(m.wr[0]);
	write1(m.wr[1]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lsched_loop_watch_fd(loop, m.rd[i],
						      LSCHED_FD_READ,
						      fd_midpoll, &m),
				 0);

	int rc1 = lsched_loop_run(loop, LSCHED_RUN_NOWAIT);
	int ab_first = m.calls[0] + m.calls[1], c_first = m.calls[2];
	int rc2 = lsched_loop_run(loop, LSCHED_RUN_NOWAIT);
	int c_second = m.calls[2];
	int unwatched = 0;
	for (int i = 0; i < 3; i++) {
		unwatched += lsched_loop_unwatch_fd(loop, m.rd[i]) == 0;
		close(m.rd[i]);
		close(m.wr[i]);
	}

	assert_int_equal(rc1, 0);
	assert_int_equal(rc2, 0);
	assert_int_equal(unwatched, 3);
	assert_true(m.done);
	assert_true(m.input);
	assert_int_equal(c_first, 0);  /* C: ready only since the dispatch */
	assert_int_equal(ab_first, 2); /* A and B: both reported by the poll */
	assert_int_equal(c_second, 1);
}

/* A callback that starts watching another (ready) fd during dispatch. */
struct adder {
	int new_fd;
	int calls;
	int rc;
	struct fdrec added;
};

static void fd_add_other(lsched_loop *loop, int fd, unsigned revents,
			 void *arg)
{
	struct adder *a = arg;
	if (a->calls++ == 0)
		a->rc = lsched_loop_watch_fd(loop, a->new_fd, LSCHED_FD_READ,
					     fd_record, &a->added);
}

static void test_loop_fd_watch_in_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct adder a = { 0 };
	int p[2], q[2];
	make_pipe(p);
	make_pipe(q);
	a.new_fd = q[0];
	write1(p[1]);
	write1(q[1]);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_add_other, &a),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rc, 0);
	/* Added during this dispatch: not run in it. */
	assert_int_equal(a.added.calls, 0);

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.added.calls, 1);
	assert_int_equal(a.added.fd, q[0]);
	assert_true(a.added.revents & LSCHED_FD_READ);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, q[0]), 0);
	close_pipe(p);
	close_pipe(q);
}

static void test_loop_fd_hangup(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 0);

	close(p[1]);
	p[1] = -1;
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);
	assert_true(rec.revents & (LSCHED_FD_HUP | LSCHED_FD_READ));
	assert_false(rec.revents & ~(unsigned)(LSCHED_FD_READ | LSCHED_FD_WRITE |
					       LSCHED_FD_ERROR | LSCHED_FD_HUP));

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

/* A write end whose reader is gone reports an error condition. */
static void test_loop_fd_error_reported(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);
	close(p[0]);
	p[0] = -1;

	assert_int_equal(lsched_loop_watch_fd(loop, p[1], LSCHED_FD_WRITE,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);
	assert_true(rec.revents & LSCHED_FD_ERROR);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[1]), 0);
	close_pipe(p);
}

/* ---- run modes and stop ------------------------------------------------ */

/* A timer that fires once per cycle (re-armed with a 0 timeout) and stops
 * the loop every stop_every firings. */
struct ticker {
	lsched_timer *timer;
	int n;
	int stop_every;
};

static void tick_cb(lsched_timer *t, void *arg)
{
	struct ticker *k = arg;
	k->n++;
	lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP);
	if (k->stop_every && k->n % k->stop_every == 0)
		lsched_loop_stop(lsched_timer_loop(t));
}

static void ticker_init(struct ticker *k, lsched_loop *loop, int stop_every)
{
	k->n = 0;
	k->stop_every = stop_every;
	k->timer = lsched_timer_new(loop, tick_cb, k);
	assert_non_null(k->timer);
	assert_int_equal(lsched_timer_start(k->timer, 0, 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
}

static void test_loop_run_nowait_returns(void **state)
{
	/* Real clock, nothing to do: NOWAIT must not block. */
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);

	/* A far timer and an idle descriptor: still no wait. */
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	lsched_timer *t = lsched_timer_new(loop, timer_nop, NULL);
	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, LSCHED_S(2), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	int64_t t0 = real_ns();
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_true(real_ns() - t0 < LSCHED_S(1));
	assert_int_equal(rec.calls, 0);
	alarm(0);

	lsched_timer_destroy(t);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

static void test_loop_stop_from_fd_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);
	write1(p[1]);
	alarm(WATCHDOG_S);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_stop, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(rec.calls, 1);
	assert_false(lsched_loop_is_running(loop));
	alarm(0);

	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

/* The stop is consumed by the run it ended: the next run goes on until its
 * own stop. */
static void test_loop_stop_from_timer_callback(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct ticker k;
	alarm(WATCHDOG_S);
	ticker_init(&k, loop, 3);

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(k.n, 3);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(k.n, 6);
	alarm(0);
	lsched_timer_destroy(k.timer);
}

static void test_loop_stop_before_run(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct ticker k;
	alarm(WATCHDOG_S);
	ticker_init(&k, loop, 0);

	assert_int_equal(lsched_loop_stop(loop), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	/* libuv's uv_stop() before uv_run(): nothing is dispatched, not
	 * even the timer that was due. */
	assert_int_equal(k.n, 0);

	/* The early stop was used up. */
	k.n = 0;
	k.stop_every = 4;
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(k.n, 4);
	alarm(0);
	lsched_timer_destroy(k.timer);
}

/* A stop made before the run, by another thread, is honoured before any
 * dispatch in every mode: no due timer, ready task or readable fd. */
static void *stop_thread_main(void *arg)
{
	lsched_loop_stop(arg);
	return NULL;
}

static void test_loop_stop_before_run_dispatches_nothing(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static const enum lsched_run_mode modes[] = {
		LSCHED_RUN_DEFAULT, LSCHED_RUN_ONCE, LSCHED_RUN_NOWAIT,
	};
	struct fdrec rec = { 0 };
	int fires = 0, runs = 0, p[2];
	lsched_timer *t = lsched_timer_new(loop, count_cb, &fires);
	lsched_task *k = lsched_task_new(loop, "k", LSCHED_TASK_AUTO_IDLE,
					 LSCHED_PRIO_DEFAULT, task_count, &runs);

	alarm(WATCHDOG_S);
	assert_non_null(t);
	assert_non_null(k);
	make_pipe(p);
	write1(p[1]);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_timer_start(t, 0, LSCHED_MS(1),
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_task_start(k), 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, stop_thread_main,
						loop),
				 0);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(lsched_loop_run(loop, modes[i]), 0);
		assert_int_equal(fires, 0);
		assert_int_equal(runs, 0);
		assert_int_equal(rec.calls, 0);
	}
	/* Each stop was used up by its run. */
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(fires, 1);
	assert_int_equal(runs, 1);
	assert_int_equal(rec.calls, 1);
	alarm(0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
	lsched_timer_destroy(t);
	lsched_task_destroy(k);
}

struct stopper {
	lsched_loop *loop;
	atomic_bool saw_running;
	atomic_bool in_thread;
	atomic_int stop_rc;
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	while (!lsched_loop_is_running(s->loop))
		sched_yield();
	atomic_store(&s->saw_running, true);
	atomic_store(&s->in_thread, lsched_loop_in_thread(s->loop));
	atomic_store(&s->stop_rc, lsched_loop_stop(s->loop));
	return NULL;
}

/* A loop with nothing to do sleeps in the poller; a stop from another
 * thread must wake it. */
static void test_loop_stop_from_other_thread(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	struct stopper s;
	pthread_t th;
	assert_non_null(loop);
	s.loop = loop;
	atomic_init(&s.saw_running, false);
	atomic_init(&s.in_thread, true);
	atomic_init(&s.stop_rc, 1);

	alarm(WATCHDOG_S);
	assert_int_equal(pthread_create(&th, NULL, stopper_main, &s), 0);
	int rc = lsched_loop_run(loop, LSCHED_RUN_DEFAULT);
	assert_int_equal(pthread_join(th, NULL), 0);
	alarm(0);

	assert_int_equal(rc, 0);
	assert_true(atomic_load(&s.saw_running));
	assert_false(atomic_load(&s.in_thread));
	assert_int_equal(atomic_load(&s.stop_rc), 0);
	assert_false(lsched_loop_is_running(loop));
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* What another thread sees (and may do) while the loop runs a callback. */
struct probe {
	lsched_loop *loop;
	bool in_thread;
	bool running;
	int run_rc;
};

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	p->in_thread = lsched_loop_in_thread(p->loop);
	p->running = lsched_loop_is_running(p->loop);
	p->run_rc = lsched_loop_run(p->loop, LSCHED_RUN_NOWAIT);
	return NULL;
}

struct inside {
	int calls;
	bool in_thread;
	bool running;
	int nested_nowait;
	int nested_once;
	int nested_default;
	int nested_run_for;
	int destroy_rc;
	int join_rc;
	struct probe other;
};

static void inside_cb(lsched_timer *t, void *arg)
{
	struct inside *in = arg;
	lsched_loop *loop = lsched_timer_loop(t);
	pthread_t th;

	in->calls++;
	in->in_thread = lsched_loop_in_thread(loop);
	in->running = lsched_loop_is_running(loop);
	in->nested_nowait = lsched_loop_run(loop, LSCHED_RUN_NOWAIT);
	in->nested_once = lsched_loop_run(loop, LSCHED_RUN_ONCE);
	in->nested_default = lsched_loop_run(loop, LSCHED_RUN_DEFAULT);
	in->nested_run_for = lsched_loop_run_for(loop, LSCHED_MS(1));
	in->destroy_rc = lsched_loop_destroy(loop);

	in->other.loop = loop;
	in->join_rc = pthread_create(&th, NULL, probe_main, &in->other);
	if (in->join_rc == 0)
		in->join_rc = pthread_join(th, NULL);
}

static void test_loop_in_thread_and_is_running(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct inside in = { 0 };
	lsched_timer *t = lsched_timer_new(loop, inside_cb, &in);
	assert_non_null(t);

	assert_false(lsched_loop_in_thread(loop));
	assert_false(lsched_loop_is_running(loop));

	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(in.calls, 1);
	assert_true(in.in_thread);
	assert_true(in.running);
	assert_int_equal(in.join_rc, 0);
	assert_false(in.other.in_thread);
	assert_true(in.other.running);

	assert_false(lsched_loop_in_thread(loop));
	assert_false(lsched_loop_is_running(loop));
	lsched_timer_destroy(t);
}

static void test_loop_nested_run_is_busy(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct inside in = { 0 };
	lsched_timer *t = lsched_timer_new(loop, inside_cb, &in);
	assert_non_null(t);

	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(in.calls, 1);
	assert_int_equal(in.nested_nowait, -EBUSY);
	assert_int_equal(in.nested_once, -EBUSY);
	assert_int_equal(in.nested_default, -EBUSY);
	assert_int_equal(in.nested_run_for, -EBUSY);
	/* And from another thread while it runs. */
	assert_int_equal(in.join_rc, 0);
	assert_int_equal(in.other.run_rc, -EBUSY);

	/* The loop still works afterwards. */
	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(in.calls, 2);
	lsched_timer_destroy(t);
}

static void test_loop_destroy_while_running_is_busy(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct inside in = { 0 };
	lsched_timer *t = lsched_timer_new(loop, inside_cb, &in);
	assert_non_null(t);

	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(in.calls, 1);
	assert_int_equal(in.destroy_rc, -EBUSY);

	/* Nothing was freed: the timer and loop still work. */
	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(in.calls, 2);
	lsched_timer_destroy(t);
	/* The fixture's teardown destroys the loop (and checks it returns 0). */
}

/* ---- run_for ---------------------------------------------------------------- */


static void test_loop_run_for_auto_advance(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);

	/* Nothing at all to do: the clock jumps to the end. */
	int64_t t0 = lsched_clock_now(clock);
	assert_int_equal(lsched_loop_run_for(loop, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(5));
	assert_false(lsched_loop_is_running(loop));

	/* A recurring timer inside the window fires at each of its deadlines
	 * (t0 + 0.5, 1.5, ..., 4.5 ms) and the clock still ends at t0 + 5 ms. */
	int fires = 0;
	lsched_timer *t = lsched_timer_new(loop, count_cb, &fires);
	assert_non_null(t);
	t0 = lsched_loop_update_now(loop);
	assert_int_equal(lsched_timer_start(t, LSCHED_US(500), LSCHED_MS(1),
					    LSCHED_CATCHUP_EACH),
			 0);
	assert_int_equal(lsched_loop_run_for(loop, LSCHED_MS(5)), 0);
	assert_int_equal(fires, 5);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(5));
	assert_int_equal(lsched_timer_deadline(t), t0 + LSCHED_US(5500));
	alarm(0);
	lsched_timer_destroy(t);
}

static void test_loop_run_for_zero_and_negative(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	int64_t t0 = lsched_clock_now(clock);

	assert_int_equal(lsched_loop_run_for(loop, -1), -EINVAL);
	assert_int_equal(lsched_loop_run_for(loop, INT64_MIN), -EINVAL);
	assert_int_equal(lsched_clock_now(clock), t0);

	assert_int_equal(lsched_loop_run_for(loop, 0), 0);
	assert_int_equal(lsched_clock_now(clock), t0);
	alarm(0);
}

/* ---- cached time -------------------------------------------------------- */

struct nowrec {
	int64_t cached_before;
	int64_t cached_after_advance;
	int64_t updated;
	int64_t cached_after_update;
};

static void now_cb(lsched_timer *t, void *arg)
{
	struct nowrec *r = arg;
	lsched_loop *loop = lsched_timer_loop(t);
	r->cached_before = lsched_loop_now(loop);
	lsched_clock_advance(lsched_loop_clock(loop), LSCHED_MS(1));
	r->cached_after_advance = lsched_loop_now(loop);
	r->updated = lsched_loop_update_now(loop);
	r->cached_after_update = lsched_loop_now(loop);
}

static void test_loop_now_cached_vs_update(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	const int64_t t0 = LSCHED_S(1);

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_loop_now(loop), t0);

	/* The clock moves, the cached time does not. */
	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_loop_now(loop), t0);
	assert_int_equal(lsched_loop_update_now(loop), t0 + LSCHED_MS(5));
	assert_int_equal(lsched_loop_now(loop), t0 + LSCHED_MS(5));

	/* A cycle reads the clock at its start. */
	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_loop_now(loop), t0 + LSCHED_MS(6));

	/* Inside a callback: cached for the cycle, refreshed on demand. */
	struct nowrec r = { 0 };
	lsched_timer *t = lsched_timer_new(loop, now_cb, &r);
	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(r.cached_before, t0 + LSCHED_MS(6));
	assert_int_equal(r.cached_after_advance, t0 + LSCHED_MS(6));
	assert_int_equal(r.updated, t0 + LSCHED_MS(7));
	assert_int_equal(r.cached_after_update, t0 + LSCHED_MS(7));
	lsched_timer_destroy(t);
}

/* ---- input interval ----------------------------------------------------- */

static void test_loop_input_interval(void **state)
{
	lsched_loop *loop = fix_loop(state);
	assert_int_equal(lsched_loop_input_interval(loop), LSCHED_US(100));
	assert_int_equal(lsched_loop_set_input_interval(loop, 0), 0);
	assert_int_equal(lsched_loop_input_interval(loop), 0);
	assert_int_equal(lsched_loop_set_input_interval(loop, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_loop_input_interval(loop), LSCHED_MS(5));
	assert_int_equal(lsched_loop_set_input_interval(loop, -1), -EINVAL);
	assert_int_equal(lsched_loop_input_interval(loop), LSCHED_MS(5));
}

/* check_input polls only once the last poll is older than the interval, and
 * input stays pending until a cycle dispatches it. */
static void fd_drain(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	char c;
	fd_record(loop, fd, revents, arg);
	if (read(fd, &c, 1) != 1)
		((struct fdrec *)arg)->rc = -1;
}

/* A descriptor watched for writing is ready all the time: that is not
 * input, or it would end every task pass and every stopwatch slice. */
static void test_loop_writable_fd_is_not_input(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[1], LSCHED_FD_WRITE,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1); /* writable: dispatched */
	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(1)), 0);
	assert_false(lsched_loop_check_input(loop));
	assert_false(lsched_loop_input_pending(loop));

	/* The read end watched too, and readable: that is input. */
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	write1(p[1]);
	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(1)), 0);
	assert_true(lsched_loop_check_input(loop));
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[1]), 0);
	close(p[0]);
	close(p[1]);
}

static void test_loop_check_input_sees_ready_fd(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct fdrec rec = { 0 };
	int p[2];
	make_pipe(p);

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_drain, &rec),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_false(lsched_loop_input_pending(loop));
	assert_false(lsched_loop_check_input(loop));

	/* Readable, but the last poll is not older than 100 us: no poll. */
	write1(p[1]);
	assert_false(lsched_loop_check_input(loop));
	assert_false(lsched_loop_input_pending(loop));

	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(1)), 0);
	assert_true(lsched_loop_check_input(loop));
	assert_true(lsched_loop_input_pending(loop));
	assert_int_equal(rec.calls, 0); /* seen, not dispatched */

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.rc, 0);
	assert_false(lsched_loop_input_pending(loop));

	/* Interval 0: every check polls. */
	assert_int_equal(lsched_loop_set_input_interval(loop, 0), 0);
	assert_false(lsched_loop_check_input(loop));
	write1(p[1]);
	assert_true(lsched_loop_check_input(loop));
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(rec.calls, 2);

	assert_false(lsched_loop_input_pending(NULL));
	assert_false(lsched_loop_check_input(NULL));
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close_pipe(p);
}

/* ---- destroy with things attached ------------------------------------------ */

static void task_nop(lsched_task *task, void *arg)
{
}

/* Everything still attached is freed by the loop (valgrind/ASan check it);
 * descriptors stay open. */
static void test_loop_destroy_with_attached(void **state)
{
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(clock);
	lsched_loop *loop = lsched_loop_new(clock);
	assert_non_null(loop);
	int p[2], q[2];
	make_pipe(p);
	make_pipe(q);
	struct fdrec rec = { 0 };

	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      fd_record, &rec),
			 0);
	assert_int_equal(lsched_loop_watch_fd(loop, q[1], LSCHED_FD_WRITE,
					      fd_record, &rec),
			 0);

	lsched_timer *active = lsched_timer_new(loop, timer_nop, NULL);
	lsched_timer *recurring = lsched_timer_new(loop, timer_nop, NULL);
	lsched_timer *stopped = lsched_timer_new(loop, timer_nop, NULL);
	lsched_timer *due = lsched_timer_new(loop, timer_nop, NULL);
	assert_non_null(active);
	assert_non_null(recurring);
	assert_non_null(stopped);
	assert_non_null(due);
	assert_int_equal(lsched_timer_start(active, LSCHED_S(10), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_timer_start(recurring, LSCHED_MS(1),
					    LSCHED_MS(1), LSCHED_CATCHUP_EACH),
			 0);
	assert_int_equal(lsched_timer_start(due, 0, 0, LSCHED_CATCHUP_SKIP),
			 0);

	lsched_task *idle = lsched_task_new(loop, "idle", LSCHED_TASK_IDLE,
					    LSCHED_PRIO_DEFAULT, task_nop,
					    NULL);
	lsched_task *auto_idle =
		lsched_task_new(loop, "auto-idle", LSCHED_TASK_AUTO_IDLE,
				LSCHED_PRIO_LOWEST, task_nop, NULL);
	lsched_task *ttimer = lsched_task_new(loop, "timer", LSCHED_TASK_TIMER,
					      LSCHED_PRIO_HIGHEST, task_nop,
					      NULL);
	lsched_task *parked =
		lsched_task_new(loop, "parked", LSCHED_TASK_AUTO_TIMER,
				LSCHED_PRIO_REPAINT, task_nop, NULL);
	assert_non_null(idle);
	assert_non_null(auto_idle);
	assert_non_null(ttimer);
	assert_non_null(parked);
	assert_int_equal(lsched_task_start(idle), 0);
	assert_int_equal(lsched_task_start(auto_idle), 0);
	assert_int_equal(lsched_task_set_timeout(ttimer, LSCHED_S(5)), 0);
	assert_int_equal(lsched_task_start(ttimer), 0);
	assert_int_equal(lsched_task_add_child(ttimer, parked), 0);

	/* Some state after a cycle too: the recurring timer is re-armed. */
	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(3)), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_timer_start(due, 0, 0, LSCHED_CATCHUP_SKIP),
			 0);

	assert_int_equal(lsched_loop_destroy(loop), 0);

	/* The descriptors were not closed. */
	write1(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	write1(q[1]);
	close_pipe(p);
	close_pipe(q);
	lsched_clock_destroy(clock);
}

/* ---- regressions ------------------------------------------------------------ */

/* No fd at or above 2^30 can be open (fs.nr_open is below it), so watching
 * one is -EBADF, like any fd that is not open. The check runs in a child
 * with its own watchdog: a hang or a crash fails this test only. */
static void test_loop_fd_watch_huge_fd_is_ebadf(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fdrec rec = { 0 };
		lsched_loop *loop;
		int bad = 0;

		alarm(5);
		loop = lsched_loop_new(NULL);
		if (!loop)
			_exit(2);
		if (lsched_loop_watch_fd(loop, INT_MAX, LSCHED_FD_READ,
					 fd_record, &rec) != -EBADF)
			bad = 1;
		if (lsched_loop_watch_fd(loop, 1 << 30, LSCHED_FD_READ,
					 fd_record, &rec) != -EBADF)
			bad = 1;
		lsched_loop_destroy(loop);
		_exit(bad);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status)); /* not killed by the watchdog */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* RUN_ONCE "may wait for the next event": when the event it waits for is a
 * timer deadline, the timer (and a timer task due then) must be handled in
 * that same call, not left for a later call that then blocks. */

static void test_loop_run_once_fires_timer_it_waited_for(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	int fires = 0, runs = 0;
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	int64_t t0 = lsched_loop_update_now(loop);

	lsched_timer *t = lsched_timer_new(loop, count_cb, &fires);
	assert_non_null(t);
	lsched_task *k = lsched_task_new(loop, "k", LSCHED_TASK_TIMER,
					 LSCHED_PRIO_DEFAULT, task_count, &runs);
	assert_non_null(k);
	assert_int_equal(lsched_task_set_timeout(k, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(k), 0);
	assert_int_equal(lsched_timer_start(t, LSCHED_MS(10), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);

	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(10));
	assert_int_equal(fires, 1);
	assert_int_equal(runs, 1);
	alarm(0);
	lsched_timer_destroy(t);
	lsched_task_destroy(k);
}

/* libuv's run-once does not block once it dispatched something: a due
 * 0 ms timer as the only work is fired, and the call returns (it used to
 * go on to wait for the next deadline, here an hour away, or forever). */
static void test_loop_run_once_returns_after_firing_due_timer(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	int now_fires = 0, later_fires = 0;
	lsched_timer *now = lsched_timer_new(loop, count_cb, &now_fires);
	lsched_timer *later = lsched_timer_new(loop, count_cb, &later_fires);

	alarm(WATCHDOG_S);
	assert_non_null(now);
	assert_non_null(later);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	int64_t t0 = lsched_loop_update_now(loop);
	assert_int_equal(lsched_timer_start(now, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_timer_start(later, LSCHED_S(3600), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(now_fires, 1);
	assert_int_equal(later_fires, 0);
	assert_int_equal(lsched_clock_now(clock), t0);
	alarm(0);
	lsched_timer_destroy(now);
	lsched_timer_destroy(later);
}

/* A 10 ms repeating timer, 20 ms without running, then RUN_ONCE: one
 * call, not a second one after waiting for the next period. */
static void test_loop_run_once_late_repeating_timer_fires_once(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	int fires = 0;
	lsched_timer *t = lsched_timer_new(loop, count_cb, &fires);

	alarm(WATCHDOG_S);
	assert_non_null(t);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	int64_t t0 = lsched_loop_update_now(loop);
	assert_int_equal(lsched_timer_start(t, LSCHED_MS(10), LSCHED_MS(10),
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_clock_advance(clock, LSCHED_MS(20)), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(fires, 1);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(20));
	/* With nothing due, the next call waits for the next deadline (30 ms)
	 * and fires it: once. */
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(fires, 2);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(30));
	alarm(0);
	lsched_timer_destroy(t);
}

/* libuv's test-run-once: a ready repeating idle runs once per call. */
static void test_loop_run_once_runs_ready_idle_each_call(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int runs = 0;
	lsched_task *k = lsched_task_new(loop, "idle", LSCHED_TASK_AUTO_IDLE,
					 LSCHED_PRIO_DEFAULT, task_count, &runs);

	alarm(WATCHDOG_S);
	assert_non_null(k);
	assert_int_equal(lsched_task_start(k), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(runs, 500);
	alarm(0);
	lsched_task_destroy(k);
}

/* A loop timer's callback and posted work take time before the task pass:
 * the pass's first task sees the loop's time after them (its begin and
 * its wait are fresh), not the time read before the timers fired. */
struct fresh {
	lsched_clock *clock;
	lsched_task *task;
	int64_t seen;
};

static void slow_timer_cb(lsched_timer *t, void *arg)
{
	struct fresh *f = arg;

	lsched_clock_advance(f->clock, LSCHED_MS(5));
	lsched_task_start(f->task);
}

static void slow_work_cb(void *arg)
{
	struct fresh *f = arg;

	lsched_clock_advance(f->clock, LSCHED_MS(3));
}

static void fresh_task_cb(lsched_task *t, void *arg)
{
	struct fresh *f = arg;

	f->seen = lsched_loop_now(lsched_task_loop(t));
}

static void test_loop_time_fresh_after_timers_and_posts(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct fresh f = { .clock = clock };
	lsched_performer *p = lsched_performer_new(loop);
	int64_t t0 = lsched_loop_update_now(loop);
	lsched_timer *t = lsched_timer_new(loop, slow_timer_cb, &f);

	alarm(WATCHDOG_S);
	assert_non_null(p);
	assert_non_null(t);
	f.task = lsched_task_new(loop, "after", LSCHED_TASK_IDLE,
				 LSCHED_PRIO_DEFAULT, fresh_task_cb, &f);
	assert_non_null(f.task);
	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_perform(p, slow_work_cb, &f, 0), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	/* 5 ms of timer callback and 3 ms of posted work came first. */
	assert_int_equal(f.seen, t0 + LSCHED_MS(8));
	alarm(0);
	lsched_performer_destroy(p);
	lsched_timer_destroy(t);
	lsched_task_destroy(f.task);
}

/* The same on the real clock: one ONCE call sleeps until the deadline and
 * fires the timer. */
static void test_loop_run_once_real_clock_fires_timer(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	int fires = 0;
	assert_non_null(loop);
	alarm(WATCHDOG_S);
	lsched_timer *t = lsched_timer_new(loop, count_cb, &fires);
	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, LSCHED_MS(20), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(fires, 1);
	alarm(0);
	lsched_timer_destroy(t);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* run_for(d) with a timer due exactly at now + d: the loop sets the clock to
 * that deadline because of the timer, so the timer must fire before
 * run_for returns. */
static void test_loop_run_for_fires_timer_due_at_end(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	int fires = 0;
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	int64_t t0 = lsched_loop_update_now(loop);
	lsched_timer *t = lsched_timer_new(loop, count_cb, &fires);
	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, LSCHED_MS(5), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_loop_run_for(loop, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(5));
	assert_int_equal(fires, 1);
	assert_false(lsched_timer_is_active(t));
	alarm(0);
	lsched_timer_destroy(t);
}

/*
 * Stops from another thread racing with the loop's drain of its wake-up
 * eventfd must never leave the wake-up machinery stuck: afterwards a single
 * lsched_loop_stop() must still wake a loop sleeping in the poller.
 * Phase 1 hammers stop() while the loop runs and returns over and over (a
 * pipe kick every few ms keeps a loop that slept through a stop going).
 * Phase 2 is the verdict: the loop sleeps with nothing to do, one stop from
 * another thread must end the run within 5 s; if not, the helper records
 * the loss and rescues the loop through the pipe.
 */
struct stop_race {
	lsched_loop *loop;
	int pipe[2];
	atomic_bool spamming;
	atomic_bool phase2;
	atomic_bool lost;
};

static void race_fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct stop_race *r = arg;
	char buf[64];
	(void)!read(fd, buf, sizeof(buf));
	if (atomic_load(&r->phase2))
		lsched_loop_stop(loop); /* rescue: in-thread stop */
}

static void *race_spammer(void *arg)
{
	struct stop_race *r = arg;
	while (atomic_load(&r->spamming))
		lsched_loop_stop(r->loop);
	return NULL;
}

static void *race_kicker(void *arg)
{
	struct stop_race *r = arg;
	while (atomic_load(&r->spamming)) {
		usleep(2000);
		(void)!write(r->pipe[1], "k", 1);
	}
	return NULL;
}

static void *race_verdict(void *arg)
{
	struct stop_race *r = arg;
	/* Let the loop fall asleep in the poller, then stop it once. */
	while (!lsched_loop_is_running(r->loop))
		sched_yield();
	usleep(50000);
	lsched_loop_stop(r->loop);
	int64_t t0 = real_ns();
	while (lsched_loop_is_running(r->loop) &&
	       real_ns() - t0 < LSCHED_S(5))
		usleep(1000);
	if (lsched_loop_is_running(r->loop)) {
		atomic_store(&r->lost, true);
		(void)!write(r->pipe[1], "r", 1);
	}
	return NULL;
}

static void test_loop_stop_from_other_thread_never_lost(void **state)
{
	struct stop_race r;
	pthread_t spam, kick, verdict;
	r.loop = lsched_loop_new(NULL);
	assert_non_null(r.loop);
	make_pipe(r.pipe);
	atomic_init(&r.spamming, true);
	atomic_init(&r.phase2, false);
	atomic_init(&r.lost, false);
	assert_int_equal(lsched_loop_watch_fd(r.loop, r.pipe[0],
					      LSCHED_FD_READ, race_fd_cb, &r),
			 0);
	alarm(WATCHDOG_S);

	assert_int_equal(pthread_create(&spam, NULL, race_spammer, &r), 0);
	assert_int_equal(pthread_create(&kick, NULL, race_kicker, &r), 0);
	int64_t t0 = real_ns();
	while (real_ns() - t0 < LSCHED_MS(1500))
		assert_int_equal(lsched_loop_run(r.loop, LSCHED_RUN_DEFAULT),
				 0);
	atomic_store(&r.spamming, false);
	assert_int_equal(pthread_join(spam, NULL), 0);
	assert_int_equal(pthread_join(kick, NULL), 0);
	/* Consume a stop the spammer may have left, and pending kicks. */
	assert_int_equal(lsched_loop_run(r.loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(lsched_loop_run(r.loop, LSCHED_RUN_NOWAIT), 0);

	atomic_store(&r.phase2, true);
	assert_int_equal(pthread_create(&verdict, NULL, race_verdict, &r), 0);
	assert_int_equal(lsched_loop_run(r.loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(pthread_join(verdict, NULL), 0);
	alarm(0);

	assert_false(atomic_load(&r.lost));
	assert_int_equal(lsched_loop_unwatch_fd(r.loop, r.pipe[0]), 0);
	close_pipe(r.pipe);
	assert_int_equal(lsched_loop_destroy(r.loop), 0);
}

/*
 * The cached time after a task (extrapolated with the TSC where the CPU
 * allows, see clock.c) on the real clock: never ahead of CLOCK_MONOTONIC,
 * never backwards, and not behind the end of the previous task by more
 * than a read's error. A ring of tiny tasks, each starting the next, runs
 * for 200 ms: long enough for the TSC rate to be measured (50 ms) and
 * used, and one task in 64 begins a pass (a real read).
 */
#define NOW_RING 64
struct now_ring {
	lsched_loop *loop;
	lsched_task *tasks[NOW_RING];
	int64_t start, prev_now, prev_end, worst_lag;
	long runs, ahead, backwards;
};

static void now_ring_cb(lsched_task *t, void *arg)
{
	struct now_ring *r = arg;
	int64_t now = lsched_loop_now(r->loop);
	int64_t real = real_ns();

	if (now > real)
		r->ahead++;
	if (now < r->prev_now)
		r->backwards++;
	if (r->runs && r->prev_end - now > r->worst_lag)
		r->worst_lag = r->prev_end - now;
	r->prev_now = now;
	if (real - r->start < LSCHED_MS(200))
		lsched_task_start(r->tasks[++r->runs % NOW_RING]);
	else
		lsched_loop_stop(r->loop);
	r->prev_end = real_ns();
}

static void test_loop_now_after_task_tracks_real_clock(void **state)
{
	struct now_ring r = { .runs = 0 };

	r.loop = lsched_loop_new(NULL);
	assert_non_null(r.loop);
	for (int i = 0; i < NOW_RING; i++) {
		r.tasks[i] = lsched_task_new(r.loop, "ring", LSCHED_TASK_IDLE,
					     LSCHED_PRIO_DEFAULT, now_ring_cb,
					     &r);
		assert_non_null(r.tasks[i]);
	}
	alarm(WATCHDOG_S);
	r.start = real_ns();
	assert_int_equal(lsched_task_start(r.tasks[0]), 0);
	assert_int_equal(lsched_loop_run(r.loop, LSCHED_RUN_DEFAULT), 0);
	alarm(0);
	assert_true(r.runs > NOW_RING);
	assert_int_equal(r.ahead, 0);
	assert_int_equal(r.backwards, 0);
	/* Tens of ns by design; 100 us leaves room for a slow read. */
	assert_true(r.worst_lag < LSCHED_US(100));
	assert_int_equal(lsched_loop_destroy(r.loop), 0);
}

/* ---- spin-then-sleep -------------------------------------------------- */

static void test_loop_spin_set_and_get(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);

	assert_non_null(loop);
	assert_int_equal(lsched_loop_spin(loop), 0); /* off by default */
	assert_int_equal(lsched_loop_set_spin(loop, LSCHED_US(20)), 0);
	assert_int_equal(lsched_loop_spin(loop), LSCHED_US(20));
	assert_int_equal(lsched_loop_set_spin(loop, -1), -EINVAL);
	assert_int_equal(lsched_loop_spin(loop), LSCHED_US(20));
	assert_int_equal(lsched_loop_set_spin(loop, 0), 0);
	assert_int_equal(lsched_loop_spin(loop), 0);
	assert_int_equal(lsched_loop_set_spin(NULL, 1), -EINVAL);
	assert_int_equal(lsched_loop_spin(NULL), -EINVAL);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

static void spin_timer_cb(lsched_timer *tm, void *arg)
{
	(*(int *)arg)++;
}

/* A loop on a virtual clock never sleeps, so it never spins: an hour of
 * spin would hang here (the spin measures time on the loop's clock). */
static void test_loop_spin_virtual_clock_never_spins(void **state)
{
	lsched_clock *clock = lsched_clock_new_virtual(0);
	lsched_loop *loop;
	lsched_timer *tm;
	int fired = 0;

	assert_non_null(clock);
	loop = lsched_loop_new(clock);
	assert_non_null(loop);
	assert_int_equal(lsched_loop_set_spin(loop, LSCHED_S(3600)), 0);
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	tm = lsched_timer_new(loop, spin_timer_cb, &fired);
	assert_non_null(tm);
	assert_int_equal(lsched_timer_start(tm, LSCHED_MS(5), LSCHED_MS(5),
					    LSCHED_CATCHUP_EACH),
			 0);
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_loop_run_for(loop, LSCHED_MS(50)), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	alarm(0);
	assert_int_equal(fired, 10);
	assert_int_equal(lsched_clock_now(clock), LSCHED_MS(50));
	assert_int_equal(lsched_loop_destroy(loop), 0);
	lsched_clock_destroy(clock);
}

/* Real clock, a long spin: what arrives from another thread while the loop
 * waits (cross-thread work, a stop) is seen, whether the loop is still
 * spinning (no eventfd write then) or already asleep. The spin is 5 s:
 * a spin that missed it would make the run last that long. */
struct spin_peer {
	lsched_loop *loop;
	lsched_performer *perf;
	atomic_int ran;
	int stop_only;
};

static void spin_work(void *arg)
{
	struct spin_peer *sp = arg;

	atomic_fetch_add(&sp->ran, 1);
	lsched_loop_stop(sp->loop);
}

static void *spin_poster(void *arg)
{
	struct spin_peer *sp = arg;

	while (!lsched_loop_is_running(sp->loop))
		sched_yield();
	usleep(2000); /* most likely in the spin by now; either is fine */
	if (sp->stop_only)
		assert_int_equal(lsched_loop_stop(sp->loop), 0);
	else
		assert_int_equal(lsched_perform(sp->perf, spin_work, sp, 0), 0);
	return NULL;
}

static void spin_peer_run(int stop_only)
{
	struct spin_peer sp = { .stop_only = stop_only };
	pthread_t th;
	int64_t t0;

	atomic_init(&sp.ran, 0);
	sp.loop = lsched_loop_new(NULL);
	assert_non_null(sp.loop);
	sp.perf = lsched_performer_new(sp.loop);
	assert_non_null(sp.perf);
	assert_int_equal(lsched_loop_set_spin(sp.loop, LSCHED_S(5)), 0);
	alarm(WATCHDOG_S);
	assert_int_equal(pthread_create(&th, NULL, spin_poster, &sp), 0);
	t0 = real_ns();
	assert_int_equal(lsched_loop_run(sp.loop, LSCHED_RUN_DEFAULT), 0);
	assert_true(real_ns() - t0 < LSCHED_S(4));
	assert_int_equal(pthread_join(th, NULL), 0);
	alarm(0);
	assert_int_equal(atomic_load(&sp.ran), stop_only ? 0 : 1);
	lsched_performer_destroy(sp.perf);
	assert_int_equal(lsched_loop_destroy(sp.loop), 0);
}

static void test_loop_spin_sees_cross_thread_work(void **state)
{
	for (int i = 0; i < 20; i++)
		spin_peer_run(0);
}

static void test_loop_spin_sees_stop_from_other_thread(void **state)
{
	for (int i = 0; i < 20; i++)
		spin_peer_run(1);
}

/* A descriptor that becomes readable while the loop spins is seen (the
 * spin polls every input interval), not after the 5 s spin. */
struct spin_fd {
	lsched_loop *loop;
	int pipe[2];
	int calls;
};

static void spin_fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct spin_fd *sf = arg;
	char c;

	sf->calls++;
	assert_int_equal(read(fd, &c, 1), 1);
	lsched_loop_stop(loop);
}

static void *spin_fd_writer(void *arg)
{
	struct spin_fd *sf = arg;

	while (!lsched_loop_is_running(sf->loop))
		sched_yield();
	usleep(2000);
	assert_int_equal(write(sf->pipe[1], "x", 1), 1);
	return NULL;
}

static void test_loop_spin_sees_descriptor(void **state)
{
	struct spin_fd sf = { .calls = 0 };
	pthread_t th;
	int64_t t0;

	sf.loop = lsched_loop_new(NULL);
	assert_non_null(sf.loop);
	make_pipe(sf.pipe);
	assert_int_equal(lsched_loop_watch_fd(sf.loop, sf.pipe[0],
					      LSCHED_FD_READ, spin_fd_cb, &sf),
			 0);
	assert_int_equal(lsched_loop_set_spin(sf.loop, LSCHED_S(5)), 0);
	alarm(WATCHDOG_S);
	assert_int_equal(pthread_create(&th, NULL, spin_fd_writer, &sf), 0);
	t0 = real_ns();
	assert_int_equal(lsched_loop_run(sf.loop, LSCHED_RUN_DEFAULT), 0);
	assert_true(real_ns() - t0 < LSCHED_S(4));
	assert_int_equal(pthread_join(th, NULL), 0);
	alarm(0);
	assert_int_equal(sf.calls, 1);
	assert_int_equal(lsched_loop_unwatch_fd(sf.loop, sf.pipe[0]), 0);
	close_pipe(sf.pipe);
	assert_int_equal(lsched_loop_destroy(sf.loop), 0);
}

/* The spin never outlasts the next deadline: a 2 ms timer under a 5 s
 * spin fires and RUN_ONCE returns. */
static void test_loop_spin_ends_at_deadline(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_timer *tm;
	int fired = 0;
	int64_t t0;

	assert_non_null(loop);
	assert_int_equal(lsched_loop_set_spin(loop, LSCHED_S(5)), 0);
	tm = lsched_timer_new(loop, spin_timer_cb, &fired);
	assert_non_null(tm);
	assert_int_equal(lsched_timer_start(tm, LSCHED_MS(2), 0,
					    LSCHED_CATCHUP_EACH),
			 0);
	alarm(WATCHDOG_S);
	t0 = real_ns();
	while (!fired)
		assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_true(real_ns() - t0 < LSCHED_S(4));
	alarm(0);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* ---- names ---------------------------------------------------------- */

struct names_seen {
	int n;
	uint64_t loop;
	char last[LSCHED_LOOP_NAME_MAX + 2];
};

static void on_loop_name(enum lsched_tp_event ev, const void *rec, void *arg)
{
	struct names_seen *s = arg;
	const struct lsched_tp_rec_loop_name *r = rec;

	if (ev != LSCHED_TP_EV_loop_name)
		return;
	s->n++;
	s->loop = r->loop;
	snprintf(s->last, sizeof(s->last), "%s", r->name);
}

/* A loop keeps a copy of its name, up to LSCHED_LOOP_NAME_MAX bytes; a
 * longer one is refused and changes nothing; NULL or "" removes it; and
 * each change is traced (loop_name), so that the tools learn it. */
static void test_loop_set_name_kept_and_traced(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	struct names_seen seen = { 0 };
	char name[LSCHED_LOOP_NAME_MAX + 2];
	int hooked;

	(void)state;
	assert_non_null(loop);
	hooked = lsched__trace_hook_set(on_loop_name, &seen);
#ifdef LSCHED_TRACE_DISABLED
	assert_int_equal(hooked, -ENOTSUP);
#else
	assert_int_equal(hooked, 0);
#endif
	assert_string_equal(lsched_loop_name(loop), "");

	snprintf(name, sizeof(name), "%s", "main");
	assert_int_equal(lsched_loop_set_name(loop, name), 0);
	name[0] = 'X'; /* a copy is kept */
	assert_string_equal(lsched_loop_name(loop), "main");

	memset(name, 'n', LSCHED_LOOP_NAME_MAX);
	name[LSCHED_LOOP_NAME_MAX] = '\0';
	assert_int_equal(lsched_loop_set_name(loop, name), 0);
	assert_string_equal(lsched_loop_name(loop), name);
	name[LSCHED_LOOP_NAME_MAX] = 'n';
	name[LSCHED_LOOP_NAME_MAX + 1] = '\0';
	assert_int_equal(lsched_loop_set_name(loop, name), -ENAMETOOLONG);
	name[LSCHED_LOOP_NAME_MAX] = '\0';
	assert_string_equal(lsched_loop_name(loop), name);

	assert_int_equal(lsched_loop_set_name(loop, "storage"), 0);
#ifndef LSCHED_TRACE_DISABLED
	assert_int_equal(seen.n, 3); /* the refused name emitted nothing */
	assert_int_equal(seen.loop, (uint64_t)(uintptr_t)loop);
	assert_string_equal(seen.last, "storage");
#endif
	assert_int_equal(lsched_loop_set_name(loop, NULL), 0);
	assert_string_equal(lsched_loop_name(loop), "");
#ifndef LSCHED_TRACE_DISABLED
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.last, "");
	assert_int_equal(lsched__trace_hook_set(NULL, NULL), 0);
#endif
	assert_int_equal(lsched_loop_set_name(loop, ""), 0);
	assert_string_equal(lsched_loop_name(loop), "");

	assert_int_equal(lsched_loop_set_name(NULL, "x"), -EINVAL);
	assert_null(lsched_loop_name(NULL));
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* ---- hosting: lsched_loop_fd(), lsched_loop_timeout(), _dispatch() ---- */

static void noop_fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
}

/* True if fd polls readable now (no wait). */
static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void host_count_cb(lsched_task *t, void *arg)
{
	(*(int *)arg)++;
}

static void host_timer_cb(lsched_timer *timer, void *arg)
{
	(*(int *)arg)++;
}

/* The descriptor is readable exactly while the loop has something to do:
 * a ready task, then nothing, then input on a watched descriptor. */
static void test_loop_host_fd_readable_while_work(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_task *t;
	int fd, runs = 0, p[2];
	char c = 'x';

	assert_non_null(loop);
	t = lsched_task_new(loop, "t", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			    host_count_cb, &runs);
	assert_int_equal(lsched_task_start(t), 0);
	fd = lsched_loop_fd(loop);
	assert_true(fd >= 0);
	/* Same descriptor every time, and the loop refuses to watch it. */
	assert_int_equal(lsched_loop_fd(loop), fd);
	assert_true(fd_readable(fd));
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(runs, 1);
	assert_false(fd_readable(fd));
	assert_int_equal(lsched_loop_timeout(loop), -1);

	/* Started from outside a dispatch: shows after a timeout(). */
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_true(fd_readable(fd));
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(runs, 2);
	assert_false(fd_readable(fd));

	make_pipe(p);
	assert_int_equal(lsched_loop_watch_fd(loop, p[0], LSCHED_FD_READ,
					      noop_fd_cb, NULL),
			 0);
	assert_false(fd_readable(fd));
	assert_int_equal(write(p[1], &c, 1), 1);
	assert_true(fd_readable(fd));
	assert_int_equal(lsched_loop_unwatch_fd(loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* A deadline: the timeout counts down to it in whole ms, rounded up, and
 * the descriptor turns readable when it passes (the timerfd). */
static void test_loop_host_fd_readable_at_deadline(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_timer *tm;
	struct pollfd p;
	int fired = 0, fd, t;

	assert_non_null(loop);
	fd = lsched_loop_fd(loop);
	tm = lsched_timer_new(loop, host_timer_cb, &fired);
	assert_int_equal(lsched_loop_update_now(loop) > 0, 1);
	assert_int_equal(lsched_timer_start(tm, LSCHED_MS(30), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	t = lsched_loop_timeout(loop);
	assert_true(t >= 1 && t <= 30);
	assert_false(fd_readable(fd));
	/* Wait on the descriptor alone, with no timeout: the timerfd must
	 * wake it (the watchdog turns a missing wake-up into a failure). */
	alarm(WATCHDOG_S);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, -1), 1);
	alarm(0);
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(fired, 1);
	assert_false(fd_readable(fd));
	assert_int_equal(lsched_loop_timeout(loop), -1);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

static void host_work_cb(void *arg)
{
	(*(int *)arg)++;
}

static void *host_post_main(void *arg)
{
	int *ran = ((void **)arg)[1];

	if (lsched_perform(((void **)arg)[0], host_work_cb, ran, 0) != 0)
		return arg;
	return NULL;
}

/* Work posted from another thread makes the descriptor readable and runs
 * in the next dispatch. */
static void test_loop_host_post_from_thread(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_performer *perf = lsched_performer_new(loop);
	int ran = 0, fd = lsched_loop_fd(loop);
	void *args[2] = { perf, &ran }, *res;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	pthread_t th;

	assert_non_null(perf);
	assert_false(fd_readable(fd));
	assert_int_equal(pthread_create(&th, NULL, host_post_main, args), 0);
	alarm(WATCHDOG_S);
	assert_int_equal(poll(&p, 1, -1), 1);
	alarm(0);
	assert_int_equal(pthread_join(th, &res), 0);
	assert_null(res);
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(ran, 1);
	assert_false(fd_readable(fd));
	lsched_performer_destroy(perf);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

static void host_stop_cb(lsched_task *t, void *arg)
{
	int *runs = arg;

	(*runs)++;
	assert_int_equal(lsched_loop_stop(lsched_task_loop(t)), 0);
}

/* A stop from a task ends the dispatch with 1 and is consumed; a stop
 * made between dispatches makes the next one return 1 before running
 * anything, as lsched_loop_run() does. */
static void test_loop_host_dispatch_reports_stop(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int stops = 0, runs = 0;
	lsched_task *s = lsched_task_new(loop, "s", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, host_stop_cb,
					 &stops);
	lsched_task *t = lsched_task_new(loop, "t", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_LOWEST, host_count_cb,
					 &runs);

	assert_true(lsched_loop_fd(loop) >= 0);
	assert_int_equal(lsched_task_start(s), 0);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 1);
	assert_int_equal(stops, 1);
	assert_int_equal(runs, 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(runs, 1);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_loop_stop(loop), 0);
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 1);
	assert_int_equal(runs, 1);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(runs, 2);
}

static void host_nested_cb(lsched_task *t, void *arg)
{
	*(int *)arg = lsched_loop_dispatch(lsched_task_loop(t));
}

/* Errors: NULL, and a dispatch from inside the loop. */
static void test_loop_host_errors(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int r = 0;
	lsched_task *t = lsched_task_new(loop, "n", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, host_nested_cb,
					 &r);
	int fd;

	assert_int_equal(lsched_loop_fd(NULL), -EINVAL);
	assert_int_equal(lsched_loop_timeout(NULL), -EINVAL);
	assert_int_equal(lsched_loop_dispatch(NULL), -EINVAL);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(r, -EBUSY);
	/* Its own descriptors are not the program's to watch. */
	fd = lsched_loop_fd(loop);
	assert_int_equal(lsched_loop_watch_fd(loop, fd, LSCHED_FD_READ,
					      noop_fd_cb, NULL),
			 -EINVAL);
	assert_int_equal(lsched_loop_watch_fd(loop, fd + 1, LSCHED_FD_READ,
					      noop_fd_cb, NULL),
			 -EBADF);
}

/* On a virtual clock with auto-advance, a dispatch with nothing else to
 * do jumps the clock to the next deadline, as lsched_loop_run() does, and
 * the timeout says 0 while a deadline is armed; without auto-advance it
 * does not jump. */
static void test_loop_host_virtual_clock_jumps(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	lsched_timer *tm;
	int fired = 0;
	int64_t t0 = lsched_clock_now(clock);

	tm = lsched_timer_new(loop, host_timer_cb, &fired);
	assert_int_equal(lsched_timer_start(tm, LSCHED_MS(40), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_true(fd_readable(lsched_loop_fd(loop)));
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(fired, 0);
	assert_int_equal(lsched_clock_now(clock), t0);

	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	assert_int_equal(lsched_loop_dispatch(loop), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(lsched_clock_now(clock), t0 + LSCHED_MS(40));
	assert_int_equal(lsched_loop_timeout(loop), -1);
	assert_false(fd_readable(lsched_loop_fd(loop)));
}

/* A native RUN_ONCE after hosted use: the timerfd a host armed for a
 * deadline that is gone since (its task stopped) must not wake the run's
 * poll, which would return having run nothing; the run waits for the task
 * that is due later and runs it (a real clock: the timerfd is a real
 * one; the watchdog bounds the wait). */
static void test_loop_host_then_native_run_once_waits(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	int early = 0, runs = 0;
	lsched_task *e, *t;

	assert_non_null(loop);
	e = lsched_task_new(loop, "early", LSCHED_TASK_TIMER,
			    LSCHED_PRIO_DEFAULT, host_count_cb, &early);
	t = lsched_task_new(loop, "t", LSCHED_TASK_TIMER, LSCHED_PRIO_DEFAULT,
			    host_count_cb, &runs);
	assert_true(lsched_loop_fd(loop) >= 0);
	assert_int_equal(lsched_task_set_timeout(e, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_task_start(e), 0);
	assert_true(lsched_loop_timeout(loop) >= 0); /* armed for "early" */
	assert_int_equal(lsched_task_stop(e), 0);
	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(30)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	alarm(0);
	assert_int_equal(early, 0);
	assert_int_equal(runs, 1);
	lsched_task_destroy(e);
	lsched_task_destroy(t);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* A stop made before a run is consumed by that run without a dispatch;
 * the next RUN_ONCE still waits for its first due task and runs it (the
 * stop's wake-up write, left in the descriptor, woke its poll at once: it
 * returned having run nothing). A real clock; the watchdog bounds it. */
static void test_loop_run_once_after_stop_before_run_waits(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	int runs = 0;
	lsched_task *t;

	assert_non_null(loop);
	t = lsched_task_new(loop, "t", LSCHED_TASK_TIMER, LSCHED_PRIO_DEFAULT,
			    host_count_cb, &runs);
	assert_int_equal(lsched_loop_stop(loop), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(20)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	alarm(WATCHDOG_S);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	alarm(0);
	assert_int_equal(runs, 1);
	lsched_task_destroy(t);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* A native run after hosting: the expired timerfd is disarmed by the
 * run's poll, so the descriptor does not stay readable. */
static void test_loop_host_native_run_drains_timerfd(void **state)
{
	lsched_loop *loop = fix_loop(state);
	int runs = 0, fd = lsched_loop_fd(loop);
	lsched_task *t = lsched_task_new(loop, "t", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, host_count_cb,
					 &runs);

	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_loop_timeout(loop), 0);
	assert_true(fd_readable(fd));
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	assert_int_equal(runs, 1);
	assert_false(fd_readable(fd));
}

int main(void)
{
#define VT(f) cmocka_unit_test_setup_teardown(f, vfix_setup, vfix_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_new_destroy_monotonic),
		cmocka_unit_test(test_loop_new_destroy_virtual),
		cmocka_unit_test(test_loop_destroy_null),
		cmocka_unit_test(test_loop_null_arguments),
		VT(test_loop_run_bad_mode),
		VT(test_loop_fd_read),
		VT(test_loop_fd_write),
		VT(test_loop_fd_watch_again_replaces),
		VT(test_loop_fd_watch_other_condition_keeps_first),
		VT(test_loop_fd_read_and_write_watchers_both_called),
		VT(test_loop_fd_one_watcher_for_both_called_once),
		VT(test_loop_fd_hangup_reaches_every_watcher),
		VT(test_loop_fd_watcher_removed_by_other_not_called),
		VT(test_loop_fd_unwatch),
		VT(test_loop_fd_watch_errors),
		VT(test_loop_fd_failed_rewatch_changes_nothing),
		VT(test_loop_fd_unwatch_self_in_callback),
		VT(test_loop_fd_unwatch_other_in_callback),
		VT(test_loop_fd_number_reused_in_callback),
		VT(test_loop_fd_watch_in_callback),
		VT(test_loop_check_input_in_fd_callback),
		VT(test_loop_fd_hangup),
		VT(test_loop_fd_error_reported),
		cmocka_unit_test(test_loop_run_nowait_returns),
		VT(test_loop_stop_from_fd_callback),
		VT(test_loop_stop_from_timer_callback),
		VT(test_loop_stop_before_run),
		VT(test_loop_stop_before_run_dispatches_nothing),
		cmocka_unit_test(test_loop_stop_from_other_thread),
		VT(test_loop_in_thread_and_is_running),
		VT(test_loop_nested_run_is_busy),
		VT(test_loop_destroy_while_running_is_busy),
		VT(test_loop_run_for_auto_advance),
		VT(test_loop_run_for_zero_and_negative),
		VT(test_loop_now_cached_vs_update),
		VT(test_loop_input_interval),
		VT(test_loop_check_input_sees_ready_fd),
		VT(test_loop_writable_fd_is_not_input),
		cmocka_unit_test(test_loop_destroy_with_attached),
		cmocka_unit_test(test_loop_fd_watch_huge_fd_is_ebadf),
		VT(test_loop_run_once_fires_timer_it_waited_for),
		VT(test_loop_run_once_returns_after_firing_due_timer),
		VT(test_loop_run_once_late_repeating_timer_fires_once),
		VT(test_loop_run_once_runs_ready_idle_each_call),
		VT(test_loop_time_fresh_after_timers_and_posts),
		cmocka_unit_test(test_loop_run_once_real_clock_fires_timer),
		VT(test_loop_run_for_fires_timer_due_at_end),
		cmocka_unit_test(test_loop_stop_from_other_thread_never_lost),
		cmocka_unit_test(test_loop_now_after_task_tracks_real_clock),
		cmocka_unit_test(test_loop_spin_set_and_get),
		cmocka_unit_test(test_loop_spin_virtual_clock_never_spins),
		cmocka_unit_test(test_loop_spin_sees_cross_thread_work),
		cmocka_unit_test(test_loop_spin_sees_stop_from_other_thread),
		cmocka_unit_test(test_loop_spin_sees_descriptor),
		cmocka_unit_test(test_loop_spin_ends_at_deadline),
		cmocka_unit_test(test_loop_set_name_kept_and_traced),
		cmocka_unit_test(test_loop_host_fd_readable_while_work),
		cmocka_unit_test(test_loop_host_fd_readable_at_deadline),
		cmocka_unit_test(test_loop_host_post_from_thread),
		VT(test_loop_host_dispatch_reports_stop),
		VT(test_loop_host_errors),
		VT(test_loop_host_virtual_clock_jumps),
		VT(test_loop_host_native_run_drains_timerfd),
		cmocka_unit_test(test_loop_host_then_native_run_once_waits),
		cmocka_unit_test(test_loop_run_once_after_stop_before_run_waits),
	};
#undef VT
	return cmocka_run_group_tests(tests, NULL, NULL);
}
