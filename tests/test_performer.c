/*
 * Performer tests: cross-thread posts onto a loop's thread.
 *
 * Single-thread tests use the virtual-clock fixture and LSCHED_RUN_NOWAIT
 * cycles. Thread tests run a loop on the real clock in its own thread
 * ("looper"). Every blocking step is bounded: alarm() kills the binary if a
 * test hangs, and threads are joined with a timed join that fails the test.
 * The watchdogs never decide a result. Where a test needs "some time" to
 * pass to expose a bug (a close that returns too early), the delay only
 * gives a broken library the chance to fail: a correct one passes whatever
 * the timing.
 *
 * Environment: PERF_STRESS_N (posts per producer in the stress test,
 * default 1000000), PERF_RACE_ROUNDS (rounds of the close race, default
 * 300; the destroy races run 5 x 100), PERF_STOP_RACE_S (seconds of the
 * close/stop/destroy race, default 5), PERF_WATCHDOG_S (default 120),
 * PERF_FILTER (a cmocka test-name filter).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"

static int env_int(const char *name, int def)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	int v = atoi(s);
	return v > 0 ? v : def;
}

static unsigned watchdog_s(void)
{
	return (unsigned)env_int("PERF_WATCHDOG_S", 120);
}

static lsched_loop *fix_loop(void **state)
{
	return ((struct vfix *)*state)->loop;
}

/* Joins th or fails the test after secs seconds. */
static void join_within(pthread_t th, unsigned secs)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	int rc = pthread_timedjoin_np(th, NULL, &ts);
	if (rc)
		fail_msg("thread not joined within %u s (rc %d)", secs, rc);
}

/* Bounded semaphore wait: false on timeout. */
static bool sem_wait_s(sem_t *s, unsigned secs)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	int rc;
	while ((rc = sem_timedwait(s, &ts)) != 0 && errno == EINTR)
		;
	return rc == 0;
}

/* ---- a loop running in its own thread ------------------------------------ */

struct looper {
	lsched_loop *loop;
	pthread_t th;
	int rc;
};

static void *looper_main(void *arg)
{
	struct looper *l = arg;
	l->rc = lsched_loop_run(l->loop, LSCHED_RUN_DEFAULT);
	return NULL;
}

static void looper_start(struct looper *l, lsched_loop *loop)
{
	l->loop = loop;
	l->rc = -1;
	assert_int_equal(pthread_create(&l->th, NULL, looper_main, l), 0);
}

static void looper_stop(struct looper *l)
{
	assert_int_equal(lsched_loop_stop(l->loop), 0);
	join_within(l->th, watchdog_s());
	assert_int_equal(l->rc, 0);
}

/* ---- small work callbacks --------------------------------------------------- */

static void work_nop(void *arg)
{
	(void)arg;
}

static void work_count(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* Logs its name into a shared log (loop thread only). */
struct logwork {
	struct evlog *log;
	const char *name;
};

static void work_log(void *arg)
{
	struct logwork *w = arg;
	evlog_add(w->log, w->name);
}

static void task_log(lsched_task *t, void *arg)
{
	work_log(arg);
}

static void get_stats(lsched_performer *p, struct lsched_performer_stats *st)
{
	assert_int_equal(lsched_performer_stats(p, st), 0);
}

/* ---- arguments ----------------------------------------------------------- */

static void test_performer_new_null(void **state)
{
	errno = 0;
	assert_null(lsched_performer_new(NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_performer_invalid_arguments(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	atomic_int n = 0;
	struct lsched_performer_stats st;

	assert_int_equal(lsched_perform(NULL, work_count, &n, 0), -EINVAL);
	assert_int_equal(lsched_perform(p, NULL, &n, 0), -EINVAL);
	assert_int_equal(lsched_perform(p, work_count, &n, 1u << 1), -EINVAL);
	assert_int_equal(lsched_perform(p, work_count, &n, ~0u), -EINVAL);
	assert_int_equal(lsched_perform(p, NULL, &n, LSCHED_PERFORM_WAIT),
			 -EINVAL);

	assert_int_equal(lsched_perform_at(NULL, LSCHED_PRIO_DEFAULT, "w",
					   work_count, &n, 0),
			 -EINVAL);
	assert_int_equal(lsched_perform_at(p, -1, "w", work_count, &n, 0),
			 -EINVAL);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_COUNT, "w",
					   work_count, &n, 0),
			 -EINVAL);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_DEFAULT, NULL,
					   work_count, &n, 0),
			 -EINVAL);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_DEFAULT, "",
					   work_count, &n, 0),
			 -EINVAL);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_DEFAULT, "w", NULL,
					   &n, 0),
			 -EINVAL);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_DEFAULT, "w",
					   work_count, &n, 1u << 3),
			 -EINVAL);
	/* Invalid waiting posts fail at once, they do not block. */
	assert_int_equal(lsched_perform_at(p, 99, "w", work_count, &n,
					   LSCHED_PERFORM_WAIT),
			 -EINVAL);

	assert_int_equal(lsched_performer_close(NULL), -EINVAL);
	assert_int_equal(lsched_performer_stats(NULL, &st), -EINVAL);
	assert_int_equal(lsched_performer_stats(p, NULL), -EINVAL);
	lsched_performer_destroy(NULL); /* no-op */

	run_cycles(loop, 3);
	assert_int_equal(atomic_load(&n), 0);
	get_stats(p, &st);
	assert_int_equal(st.posts, 0);
	assert_int_equal(st.ran, 0);
	assert_int_equal(st.wakes, 0);
	assert_int_equal(st.waits, 0);
	assert_false(lsched_performer_is_closed(p));
	lsched_performer_destroy(p);
}

/* ---- order and thread -------------------------------------------------------- */

#define ORDER_N 200

struct order_rec {
	pthread_t loop_th;
	int seq[ORDER_N];
	int n;
	int wrong_thread;
};

struct order_item {
	struct order_rec *rec;
	int seq;
};

static void work_order(void *arg)
{
	struct order_item *it = arg;
	struct order_rec *r = it->rec;
	if (!pthread_equal(pthread_self(), r->loop_th))
		r->wrong_thread++;
	if (r->n < ORDER_N)
		r->seq[r->n] = it->seq;
	r->n++;
}

static void test_performer_async_runs_on_loop_thread_in_order(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct looper l;
	struct order_rec rec = { 0 };
	struct order_item items[ORDER_N];

	alarm(watchdog_s());
	looper_start(&l, loop);
	rec.loop_th = l.th;
	for (int i = 0; i < ORDER_N; i++) {
		items[i] = (struct order_item){ &rec, i };
		/* Mix async and waiting posts: acceptance order is kept. */
		unsigned fl = i % 17 == 16 ? LSCHED_PERFORM_WAIT : 0;
		assert_int_equal(lsched_perform(p, work_order, &items[i], fl), 0);
	}
	assert_int_equal(lsched_perform(p, work_nop, NULL, LSCHED_PERFORM_WAIT),
			 0);
	/* The waiting post returned: everything accepted before it ran. */
	assert_int_equal(rec.n, ORDER_N);
	assert_int_equal(rec.wrong_thread, 0);
	for (int i = 0; i < ORDER_N; i++)
		assert_int_equal(rec.seq[i], i);
	assert_false(pthread_equal(pthread_self(), l.th));
	looper_stop(&l);
	alarm(0);

	lsched_performer_destroy(p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

static void test_performer_default_runs_before_tasks(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct evlog log = { 0 };
	struct logwork hi = { &log, "task-highest" }, def = { &log, "task-default" };
	struct logwork w1 = { &log, "w1" }, w2 = { &log, "w2" };

	lsched_task *th = lsched_task_new(loop, "hi", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_HIGHEST, task_log, &hi);
	lsched_task *td = lsched_task_new(loop, "def", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_DEFAULT, task_log, &def);
	assert_non_null(th);
	assert_non_null(td);
	assert_int_equal(lsched_task_start(td), 0);
	assert_int_equal(lsched_task_start(th), 0);
	/* Posted after the tasks became ready, still first in the cycle. */
	assert_int_equal(lsched_perform(p, work_log, &w1, 0), 0);
	assert_int_equal(lsched_perform(p, work_log, &w2, 0), 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&log, "w1 w2 task-highest task-default");

	lsched_task_destroy(th);
	lsched_task_destroy(td);
	lsched_performer_destroy(p);
}

/* perform_at work: a one-shot task with that name and priority. */
struct atwork {
	struct evlog *log;
	const char *name;
	lsched_loop *loop;
	int prio;
	int bad; /* not run as the expected task */
};

static void work_at(void *arg)
{
	struct atwork *w = arg;
	lsched_task *t = lsched_loop_current_task(w->loop);
	if (!t || strcmp(lsched_task_name(t), w->name) != 0 ||
	    lsched_task_priority(t) != w->prio ||
	    lsched_task_kind(t) != LSCHED_TASK_IDLE)
		w->bad++;
	evlog_add(w->log, w->name);
}

static void test_performer_perform_at_ordered_with_tasks(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct evlog log = { 0 };
	struct logwork def = { &log, "task-default" }, first = { &log, "first" };
	struct atwork idle = { &log, "at-default-idle", loop,
			       LSCHED_PRIO_DEFAULT_IDLE, 0 };
	struct atwork hi = { &log, "at-highest", loop, LSCHED_PRIO_HIGHEST, 0 };
	struct atwork dflt = { &log, "at-default", loop, LSCHED_PRIO_DEFAULT, 0 };

	lsched_task *td = lsched_task_new(loop, "def", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_DEFAULT, task_log, &def);
	assert_non_null(td);
	assert_int_equal(lsched_task_start(td), 0);
	assert_int_equal(lsched_perform_at(p, idle.prio, idle.name, work_at,
					   &idle, 0),
			 0);
	assert_int_equal(lsched_perform_at(p, hi.prio, hi.name, work_at, &hi, 0),
			 0);
	assert_int_equal(lsched_perform_at(p, dflt.prio, dflt.name, work_at,
					   &dflt, 0),
			 0);
	assert_int_equal(lsched_perform(p, work_log, &first, 0), 0);
	run_cycles(loop, 5);
	/* First-class work first; prioritised work ordered with the task
	 * (the DEFAULT task was ready before the DEFAULT post). */
	assert_log(&log, "first at-highest task-default at-default "
			 "at-default-idle");
	assert_int_equal(idle.bad + hi.bad + dflt.bad, 0);

	struct lsched_performer_stats st;
	get_stats(p, &st);
	assert_int_equal(st.posts, 4);
	assert_int_equal(st.ran, 4);
	lsched_task_destroy(td);
	lsched_performer_destroy(p);
}

/* ---- waiting posts ---------------------------------------------------------- */

struct waitrec {
	pthread_t loop_th;
	int value; /* plain int: visibility comes from the post's return */
	int wrong_thread;
};

static void work_set(void *arg)
{
	struct waitrec *w = arg;
	if (!pthread_equal(pthread_self(), w->loop_th))
		w->wrong_thread++;
	w->value++;
}

static void test_performer_wait_from_other_thread(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct looper l;
	struct waitrec w = { 0 };

	alarm(watchdog_s());
	looper_start(&l, loop);
	w.loop_th = l.th;
	for (int i = 1; i <= 50; i++) {
		assert_int_equal(lsched_perform(p, work_set, &w,
						LSCHED_PERFORM_WAIT),
				 0);
		assert_int_equal(w.value, 2 * i - 1);
		assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_LOWEST, "set",
						   work_set, &w,
						   LSCHED_PERFORM_WAIT),
				 0);
		assert_int_equal(w.value, 2 * i);
	}
	assert_int_equal(w.wrong_thread, 0);
	looper_stop(&l);
	alarm(0);

	struct lsched_performer_stats st;
	get_stats(p, &st);
	assert_int_equal(st.posts, 100);
	assert_int_equal(st.waits, 100);
	assert_int_equal(st.ran, 100);
	assert_int_equal(st.refused, 0);
	lsched_performer_destroy(p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
}

/* A task on the loop's thread makes a waiting post. */
struct inline_ctx {
	lsched_performer *p;
	struct evlog log;
	struct logwork c, x, w, lw;
	int rc_c, rc_x, rc_w, rc_lw;
};

static void *post_x_main(void *arg)
{
	struct inline_ctx *c = arg;
	c->rc_x = lsched_perform(c->p, work_log, &c->x, 0);
	return NULL;
}

static void task_wait_inline(lsched_task *t, void *arg)
{
	struct inline_ctx *c = arg;
	pthread_t th;

	evlog_add(&c->log, "task");
	c->rc_c = lsched_perform(c->p, work_log, &c->c, 0);
	/* Queued from another thread while this task runs. */
	if (pthread_create(&th, NULL, post_x_main, c) == 0)
		pthread_join(th, NULL);
	c->rc_w = lsched_perform(c->p, work_log, &c->w, LSCHED_PERFORM_WAIT);
	evlog_add(&c->log, "after-wait");
	c->rc_lw = lsched_perform_at(c->p, LSCHED_PRIO_LOWEST, "lw", work_log,
				     &c->lw, LSCHED_PERFORM_WAIT);
	evlog_add(&c->log, "after-wait-at");
}

static void test_performer_wait_from_loop_thread_runs_inline(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct inline_ctx c = { 0 };
	c.p = lsched_performer_new(loop);
	assert_non_null(c.p);
	c.c = (struct logwork){ &c.log, "c" };
	c.x = (struct logwork){ &c.log, "x" };
	c.w = (struct logwork){ &c.log, "w" };
	c.lw = (struct logwork){ &c.log, "lw" };
	c.rc_x = -1;

	lsched_task *t = lsched_task_new(loop, "waiter", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, task_wait_inline,
					 &c);
	assert_non_null(t);
	assert_int_equal(lsched_task_start(t), 0);
	alarm(watchdog_s());
	assert_int_equal(run_cycles(loop, 1), 1);
	alarm(0);
	assert_int_equal(c.rc_c, 0);
	assert_int_equal(c.rc_x, 0);
	assert_int_equal(c.rc_w, 0);
	assert_int_equal(c.rc_lw, 0);
	assert_log(&c.log, "task c x w after-wait lw after-wait-at");
	/* Nothing runs twice. */
	run_cycles(loop, 3);
	assert_log(&c.log, "task c x w after-wait lw after-wait-at");

	struct lsched_performer_stats st;
	get_stats(c.p, &st);
	assert_int_equal(st.posts, 4);
	assert_int_equal(st.ran, 4);
	assert_int_equal(st.waits, 2);
	lsched_task_destroy(t);
	lsched_performer_destroy(c.p);
}

/* ---- wake-ups collapse ---------------------------------------------------------- */

struct spam {
	lsched_performer *p;
	atomic_int *n;
	int count;
	int errors;
};

static void *spam_main(void *arg)
{
	struct spam *s = arg;
	for (int i = 0; i < s->count; i++)
		if (lsched_perform(s->p, work_count, s->n, 0) != 0)
			s->errors++;
	return NULL;
}

static void test_performer_wakes_collapse(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	atomic_int n = 0;
	struct spam s = { p, &n, 1000, 0 };
	struct lsched_performer_stats st;
	pthread_t th;

	alarm(watchdog_s());
	assert_int_equal(pthread_create(&th, NULL, spam_main, &s), 0);
	join_within(th, watchdog_s());
	assert_int_equal(s.errors, 0);
	get_stats(p, &st);
	assert_int_equal(st.posts, 1000);
	assert_int_equal(st.wakes, 1);
	assert_int_equal(atomic_load(&n), 0); /* the loop did not run */
	assert_true(lsched_loop_input_pending(loop));

	run_cycles(loop, 2);
	assert_int_equal(atomic_load(&n), 1000);
	get_stats(p, &st);
	assert_int_equal(st.wakes, 1);
	assert_int_equal(st.ran, 1000);

	/* Drained: the next post signals again, once. */
	assert_int_equal(pthread_create(&th, NULL, spam_main, &s), 0);
	join_within(th, watchdog_s());
	get_stats(p, &st);
	assert_int_equal(st.wakes, 2);
	run_cycles(loop, 2);
	assert_int_equal(atomic_load(&n), 2000);
	alarm(0);
	lsched_performer_destroy(p);
}

/* ---- no starvation ------------------------------------------------------------ */

struct repost {
	lsched_performer *p;
	int count, limit;
	int rc;
	int pipe_w;
	lsched_timer *timer;
	int fd_at, timer_at;   /* count when the fd callback / timer ran */
	int trigger_at;        /* count at which input is made */
};

static void work_repost(void *arg)
{
	struct repost *r = arg;
	r->count++;
	if (r->count == r->trigger_at) {
		if (write(r->pipe_w, "x", 1) != 1)
			r->rc = -EIO;
		if (lsched_timer_start(r->timer, 0, 0, LSCHED_CATCHUP_SKIP))
			r->rc = -EINVAL;
	}
	if (r->count < r->limit) {
		int rc = lsched_perform(r->p, work_repost, r, 0);
		if (rc)
			r->rc = rc;
	}
}

static void fd_seen(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct repost *r = arg;
	char b;
	if (read(fd, &b, 1) == 1 && r->fd_at < 0)
		r->fd_at = r->count;
}

static void timer_seen(lsched_timer *t, void *arg)
{
	struct repost *r = arg;
	if (r->timer_at < 0)
		r->timer_at = r->count;
}

static void test_performer_self_reposting_work_does_not_starve(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	struct repost r = { .p = p, .limit = 1000, .pipe_w = fds[1],
			    .fd_at = -1, .timer_at = -1, .trigger_at = 10 };
	r.timer = lsched_timer_new(loop, timer_seen, &r);
	assert_non_null(r.timer);
	assert_int_equal(lsched_loop_watch_fd(loop, fds[0], LSCHED_FD_READ,
					      fd_seen, &r),
			 0);

	assert_int_equal(lsched_perform(p, work_repost, &r, 0), 0);
	/* Work posted during a drain runs in the next cycle. */
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(r.count, 1);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(r.count, 2);

	for (int i = 0; i < 2000 && r.count < r.limit; i++)
		run_cycles(loop, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.count, r.limit);
	/* Input made at count 10 is seen within a few cycles. */
	assert_true(r.fd_at >= r.trigger_at && r.fd_at <= r.trigger_at + 3);
	assert_true(r.timer_at >= r.trigger_at &&
		    r.timer_at <= r.trigger_at + 3);

	assert_int_equal(lsched_loop_unwatch_fd(loop, fds[0]), 0);
	close(fds[0]);
	close(fds[1]);
	lsched_timer_destroy(r.timer);
	lsched_performer_destroy(p);
}

/* ---- stress --------------------------------------------------------------------- */

#define STRESS_PRODUCERS 4

struct stress {
	lsched_performer *p;
	int n;
	/* loop thread only */
	int64_t next[STRESS_PRODUCERS];
	int64_t errors;
	int64_t ran;
};

struct producer {
	struct stress *s;
	int id;
	int errors;     /* posts that failed */
	int wait_stale; /* a waiting post returned before its work ran */
};

static struct stress *stress_global;

static void work_stress(void *arg)
{
	struct stress *s = stress_global;
	uintptr_t v = (uintptr_t)arg;
	int id = (int)(v % STRESS_PRODUCERS);
	int64_t seq = (int64_t)(v / STRESS_PRODUCERS);
	if (s->next[id] != seq)
		s->errors++;
	s->next[id] = seq + 1;
	s->ran++;
}

static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	struct stress *s = pr->s;
	for (int i = 0; i < s->n; i++) {
		uintptr_t v = (uintptr_t)i * STRESS_PRODUCERS + (uintptr_t)pr->id;
		/* Some waiting posts; they also bound the items in flight. */
		unsigned fl = (i & 1023) == 1023 ? LSCHED_PERFORM_WAIT : 0;
		if (lsched_perform(s->p, work_stress, (void *)v, fl) != 0)
			pr->errors++;
		/* After a waiting post returned, its own work ran: the loop's
		 * counter for this producer passed i (read under the same
		 * happens-before the return gives). */
		if (fl && s->next[pr->id] < i + 1)
			pr->wait_stale++;
	}
	return NULL;
}

static void test_performer_stress_4_producers(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	struct stress s = { 0 };
	s.p = lsched_performer_new(loop);
	assert_non_null(s.p);
	s.n = env_int("PERF_STRESS_N", 1000000);
	stress_global = &s;
	struct producer pr[STRESS_PRODUCERS];
	pthread_t th[STRESS_PRODUCERS];
	struct looper l;

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(watchdog_s() * 4);
	looper_start(&l, loop);
	for (int i = 0; i < STRESS_PRODUCERS; i++) {
		pr[i] = (struct producer){ &s, i, 0, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, producer_main,
						&pr[i]),
				 0);
	}
	for (int i = 0; i < STRESS_PRODUCERS; i++)
		join_within(th[i], watchdog_s() * 4);
	/* Everything accepted before this one ran before it. */
	assert_int_equal(lsched_perform(s.p, work_nop, NULL,
					LSCHED_PERFORM_WAIT),
			 0);
	looper_stop(&l);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("stress: %d producers x %d posts in %.2f s\n",
		      STRESS_PRODUCERS, s.n,
		      (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

	for (int i = 0; i < STRESS_PRODUCERS; i++) {
		assert_int_equal(pr[i].errors, 0);
		assert_int_equal(pr[i].wait_stale, 0);
		assert_int_equal(s.next[i], s.n);
	}
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.ran, (int64_t)s.n * STRESS_PRODUCERS);
	struct lsched_performer_stats st;
	get_stats(s.p, &st);
	assert_int_equal(st.posts, (uint64_t)s.n * STRESS_PRODUCERS + 1);
	assert_int_equal(st.ran, st.posts);
	assert_int_equal(st.refused, 0);
	assert_true(st.wakes >= 1 && st.wakes <= st.posts);
	lsched_performer_destroy(s.p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	stress_global = NULL;
}

/* ---- close ------------------------------------------------------------------------ */

struct closectx {
	lsched_loop *loop;
	lsched_performer *p;
	struct evlog log;
	struct logwork a, b1, c2, b, c, d;
	int repost_rc;
	int close_rc;
};

static void work_c1_reposts(void *arg)
{
	struct closectx *c = arg;
	evlog_add(&c->log, "c1");
	/* Runs inside close: refused. */
	c->repost_rc = lsched_perform(c->p, work_log, &c->a, 0);
}

static void task_closer(lsched_task *t, void *arg)
{
	struct closectx *c = arg;
	evlog_add(&c->log, "closer");
	if (lsched_perform(c->p, work_c1_reposts, c, 0) ||
	    lsched_perform_at(c->p, LSCHED_PRIO_DEFAULT, "c2", work_log, &c->c2,
			      0))
		evlog_add(&c->log, "post-failed");
	c->close_rc = lsched_performer_close(c->p);
	evlog_add(&c->log, "closed");
}

static void test_performer_close_from_loop_thread(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct closectx c = { .loop = loop };
	c.p = lsched_performer_new(loop);
	assert_non_null(c.p);
	c.a = (struct logwork){ &c.log, "a" };
	c.b1 = (struct logwork){ &c.log, "b1" };
	c.c2 = (struct logwork){ &c.log, "c2" };
	c.repost_rc = 1;
	c.close_rc = 1;

	lsched_task *t = lsched_task_new(loop, "closer", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_HIGHEST, task_closer, &c);
	assert_non_null(t);
	assert_int_equal(lsched_perform(c.p, work_log, &c.a, 0), 0);
	/* Becomes a LOWEST task in the perform phase; the HIGHEST closer
	 * runs first, so b1 waits as a task when close is called. */
	assert_int_equal(lsched_perform_at(c.p, LSCHED_PRIO_LOWEST, "b1",
					   work_log, &c.b1, 0),
			 0);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&c.log, "a closer b1 c1 c2 closed");
	assert_int_equal(c.close_rc, 0);
	assert_int_equal(c.repost_rc, -ESHUTDOWN);
	assert_true(lsched_performer_is_closed(c.p));

	/* Refused from now on, waiting or not; nothing runs again. */
	assert_int_equal(lsched_perform(c.p, work_log, &c.a, 0), -ESHUTDOWN);
	assert_int_equal(lsched_perform(c.p, work_log, &c.a,
					LSCHED_PERFORM_WAIT),
			 -ESHUTDOWN);
	assert_int_equal(lsched_perform_at(c.p, LSCHED_PRIO_HIGHEST, "x",
					   work_log, &c.a, 0),
			 -ESHUTDOWN);
	assert_int_equal(lsched_perform_at(c.p, LSCHED_PRIO_HIGHEST, "x",
					   work_log, &c.a, LSCHED_PERFORM_WAIT),
			 -ESHUTDOWN);
	assert_int_equal(lsched_performer_close(c.p), 0); /* idempotent */
	run_cycles(loop, 5);
	assert_log(&c.log, "a closer b1 c1 c2 closed");

	struct lsched_performer_stats st;
	get_stats(c.p, &st);
	assert_int_equal(st.posts, 4);
	assert_int_equal(st.ran, 4);
	assert_int_equal(st.refused, 5);
	lsched_task_destroy(t);
	lsched_performer_destroy(c.p);
}

static void work_closer(void *arg)
{
	struct closectx *c = arg;
	evlog_add(&c->log, "close-begin");
	c->close_rc = lsched_performer_close(c->p);
	evlog_add(&c->log, "close-end");
}

static void test_performer_close_from_work_runs_rest_of_batch(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct closectx c = { .loop = loop };
	c.p = lsched_performer_new(loop);
	assert_non_null(c.p);
	c.a = (struct logwork){ &c.log, "a" };
	c.b = (struct logwork){ &c.log, "b" };
	c.c = (struct logwork){ &c.log, "c" };
	c.d = (struct logwork){ &c.log, "d" };
	c.close_rc = 1;

	assert_int_equal(lsched_perform(c.p, work_log, &c.a, 0), 0);
	assert_int_equal(lsched_perform(c.p, work_closer, &c, 0), 0);
	assert_int_equal(lsched_perform(c.p, work_log, &c.b, 0), 0);
	assert_int_equal(lsched_perform_at(c.p, LSCHED_PRIO_LOWEST, "c",
					   work_log, &c.c, 0),
			 0);
	assert_int_equal(lsched_perform(c.p, work_log, &c.d, 0), 0);
	run_cycles(loop, 3);
	assert_log(&c.log, "a close-begin b c d close-end");
	assert_int_equal(c.close_rc, 0);
	run_cycles(loop, 3);
	assert_log(&c.log, "a close-begin b c d close-end");
	lsched_performer_destroy(c.p);
}

static void test_performer_close_while_loop_idle_runs_inline(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct evlog log = { 0 };
	struct logwork a = { &log, "a" }, b = { &log, "b" }, c = { &log, "c" };

	assert_int_equal(lsched_perform(p, work_log, &a, 0), 0);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_LOWEST, "b", work_log,
					   &b, 0),
			 0);
	assert_int_equal(lsched_perform(p, work_log, &c, 0), 0);
	assert_int_equal(lsched_performer_close(p), 0);
	assert_log(&log, "a b c");
	assert_true(lsched_performer_is_closed(p));
	assert_int_equal(lsched_perform(p, work_log, &a, 0), -ESHUTDOWN);
	run_cycles(loop, 3);
	assert_log(&log, "a b c");
	lsched_performer_destroy(p);
}

/* The loop's thread blocks inside a work item until the gate opens. */
struct gate {
	sem_t entered, open;
	int timed_out;
};

static void work_gate(void *arg)
{
	struct gate *g = arg;
	sem_post(&g->entered);
	if (!sem_wait_s(&g->open, watchdog_s()))
		g->timed_out = 1;
}

struct closer {
	lsched_performer *p;
	atomic_int *ran;
	int rc;
	int ran_at_return;
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	c->rc = lsched_performer_close(c->p);
	c->ran_at_return = atomic_load(c->ran);
	return NULL;
}

#define CLOSE_N 100

static void test_performer_close_from_other_thread_waits(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct looper l;
	struct gate g = { 0 };
	atomic_int ran = 0;
	struct closer c1 = { p, &ran, 1, -1 }, c2 = { p, &ran, 1, -1 };
	pthread_t t1, t2;

	sem_init(&g.entered, 0, 0);
	sem_init(&g.open, 0, 0);
	alarm(watchdog_s());
	looper_start(&l, loop);
	assert_int_equal(lsched_perform(p, work_gate, &g, 0), 0);
	assert_true(sem_wait_s(&g.entered, watchdog_s()));
	/* The loop's thread is inside work_gate: these stay queued. */
	for (int i = 0; i < CLOSE_N; i++) {
		if (i % 3 == 0)
			assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_LOWEST,
							   "n", work_count,
							   &ran, 0),
					 0);
		else
			assert_int_equal(lsched_perform(p, work_count, &ran, 0),
					 0);
	}
	assert_int_equal(pthread_create(&t1, NULL, closer_main, &c1), 0);
	while (!lsched_performer_is_closed(p))
		sched_yield();
	/* A second closer must wait just as well. */
	assert_int_equal(pthread_create(&t2, NULL, closer_main, &c2), 0);
	/* Give a broken close the chance to return early. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 200 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	bool t1_joined = pthread_timedjoin_np(t1, NULL, &ts) == 0;
	sem_post(&g.open);
	if (!t1_joined)
		join_within(t1, watchdog_s());
	join_within(t2, watchdog_s());
	int post_rc = lsched_perform(p, work_count, &ran, 0);
	int wait_rc = lsched_perform(p, work_count, &ran, LSCHED_PERFORM_WAIT);
	bool closed = lsched_performer_is_closed(p);
	looper_stop(&l);
	alarm(0);
	lsched_performer_destroy(p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	sem_destroy(&g.entered);
	sem_destroy(&g.open);
	/* Asserted after the clean-up so a failure leaves nothing behind. */
	assert_int_equal(g.timed_out, 0);
	assert_int_equal(c1.rc, 0);
	assert_int_equal(c2.rc, 0);
	assert_int_equal(c1.ran_at_return, CLOSE_N);
	assert_int_equal(c2.ran_at_return, CLOSE_N);
	assert_true(closed);
	assert_int_equal(post_rc, -ESHUTDOWN);
	assert_int_equal(wait_rc, -ESHUTDOWN);
	assert_int_equal(atomic_load(&ran), CLOSE_N);
}

/* Producers race a closer: every post runs exactly once or was refused. */
#define RACE_PRODUCERS 3
#define RACE_MAX 20000

struct slot {
	atomic_int ran;
	int rc;
};

struct racer {
	lsched_performer *p;
	struct slot *slots;
	int n;                /* posts made */
	unsigned seed;
	int bad_rc;           /* an error other than -ESHUTDOWN */
	int accepted_after_refusal;
	int wait_not_run;     /* a waiting post returned 0 before it ran */
};

static void work_slot(void *arg)
{
	atomic_fetch_add(&((struct slot *)arg)->ran, 1);
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	int refused = 0;
	for (r->n = 0; r->n < RACE_MAX && refused < 20; r->n++) {
		struct slot *s = &r->slots[r->n];
		unsigned fl = rand_r(&r->seed) % 3 == 0 ? LSCHED_PERFORM_WAIT : 0;
		bool at = rand_r(&r->seed) % 4 == 0;
		s->rc = at ? lsched_perform_at(r->p, LSCHED_PRIO_DEFAULT, "race",
					      work_slot, s, fl)
			   : lsched_perform(r->p, work_slot, s, fl);
		if (s->rc == 0) {
			if (refused)
				r->accepted_after_refusal++;
			if (fl && atomic_load(&s->ran) != 1)
				r->wait_not_run++;
		} else {
			if (s->rc != -ESHUTDOWN)
				r->bad_rc++;
			refused++;
		}
	}
	return NULL;
}

struct race_closer {
	lsched_performer *p;
	unsigned spins;
	int rc;
};

static void *race_closer_main(void *arg)
{
	struct race_closer *c = arg;
	for (unsigned i = 0; i < c->spins; i++)
		sched_yield();
	c->rc = lsched_performer_close(c->p);
	return NULL;
}

static void test_performer_close_races_producers(void **state)
{
	int rounds = env_int("PERF_RACE_ROUNDS", 300);
	unsigned seed = (unsigned)time(NULL);
	char why[160] = "";
	struct slot *slots = calloc((size_t)RACE_PRODUCERS * RACE_MAX,
				    sizeof(*slots));
	assert_non_null(slots);

	alarm(watchdog_s() * 2);
	for (int round = 0; round < rounds; round++) {
		lsched_loop *loop = lsched_loop_new(NULL);
		assert_non_null(loop);
		lsched_performer *p = lsched_performer_new(loop);
		assert_non_null(p);
		struct looper l;
		struct racer r[RACE_PRODUCERS];
		pthread_t th[RACE_PRODUCERS], ct;
		struct race_closer c = { p, rand_r(&seed) % 3000, 1 };

		memset(slots, 0,
		       (size_t)RACE_PRODUCERS * RACE_MAX * sizeof(*slots));
		looper_start(&l, loop);
		for (int i = 0; i < RACE_PRODUCERS; i++) {
			r[i] = (struct racer){ .p = p,
					       .slots = slots + i * RACE_MAX,
					       .seed = rand_r(&seed) };
			assert_int_equal(pthread_create(&th[i], NULL, racer_main,
							&r[i]),
					 0);
		}
		assert_int_equal(pthread_create(&ct, NULL, race_closer_main, &c),
				 0);
		join_within(ct, watchdog_s());
		for (int i = 0; i < RACE_PRODUCERS; i++)
			join_within(th[i], watchdog_s());
		assert_int_equal(c.rc, 0);
		looper_stop(&l);
		lsched_performer_destroy(p);
		assert_int_equal(lsched_loop_destroy(loop), 0);

		for (int i = 0; i < RACE_PRODUCERS && !*why; i++) {
			if (r[i].bad_rc)
				snprintf(why, sizeof(why), "round %d: producer %d "
					 "got an error other than -ESHUTDOWN",
					 round, i);
			else if (r[i].wait_not_run)
				snprintf(why, sizeof(why), "round %d: a waiting "
					 "post returned 0 before it ran", round);
			else if (r[i].accepted_after_refusal)
				snprintf(why, sizeof(why), "round %d: producer %d "
					 "had %d posts accepted after one was "
					 "refused",
					 round, i, r[i].accepted_after_refusal);
			for (int k = 0; k < r[i].n && !*why; k++) {
				struct slot *s = &r[i].slots[k];
				int ran = atomic_load(&s->ran);
				if (s->rc == 0 && ran != 1)
					snprintf(why, sizeof(why), "round %d: "
						 "accepted post ran %d times",
						 round, ran);
				if (s->rc != 0 && ran != 0)
					snprintf(why, sizeof(why), "round %d: "
						 "refused post ran", round);
			}
		}
		if (*why)
			break;
	}
	alarm(0);
	free(slots);
	if (*why)
		fail_msg("%s", why);
}

/* ---- the loop's destruction ---------------------------------------------------- */

static void task_stop_loop(lsched_task *t, void *arg)
{
	lsched_loop_stop(arg);
}

static void test_performer_loop_destroy_runs_accepted(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	lsched_performer *p = lsched_performer_new(loop);
	lsched_performer *q = lsched_performer_new(loop);
	assert_non_null(p);
	assert_non_null(q);
	struct evlog log = { 0 };
	struct logwork a = { &log, "a" }, b = { &log, "b" }, c = { &log, "c" },
		       d = { &log, "d" }, e = { &log, "e" };

	/* b becomes a LOWEST task; the HIGHEST stopper ends the pass first. */
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_LOWEST, "b", work_log,
					   &b, 0),
			 0);
	lsched_task *stopper = lsched_task_new(loop, "stop", LSCHED_TASK_IDLE,
					       LSCHED_PRIO_HIGHEST,
					       task_stop_loop, loop);
	assert_non_null(stopper);
	assert_int_equal(lsched_task_start(stopper), 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(log.n, 0);

	assert_int_equal(lsched_perform(p, work_log, &c, 0), 0);
	assert_int_equal(lsched_perform(q, work_log, &a, 0), 0);
	assert_int_equal(lsched_perform_at(p, LSCHED_PRIO_DEFAULT, "d", work_log,
					   &d, 0),
			 0);
	assert_int_equal(lsched_perform_at(q, LSCHED_PRIO_DEFAULT, "e", work_log,
					   &e, 0),
			 0);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	/* Each performer's accepted work ran, in its own order. */
	char buf[LOG_MAX * 33];
	const char *s = evlog_str(&log, buf, sizeof(buf));
	assert_true(strcmp(s, "b c d a e") == 0 || strcmp(s, "a e b c d") == 0);

	for (lsched_performer **pp = (lsched_performer *[]){ p, q, NULL }; *pp;
	     pp++) {
		assert_true(lsched_performer_is_closed(*pp));
		assert_int_equal(lsched_perform(*pp, work_log, &a, 0),
				 -ESHUTDOWN);
		assert_int_equal(lsched_perform(*pp, work_log, &a,
						LSCHED_PERFORM_WAIT),
				 -ESHUTDOWN);
		assert_int_equal(lsched_perform_at(*pp, LSCHED_PRIO_DEFAULT, "x",
						   work_log, &a,
						   LSCHED_PERFORM_WAIT),
				 -ESHUTDOWN);
		assert_int_equal(lsched_performer_close(*pp), 0);
		struct lsched_performer_stats st;
		get_stats(*pp, &st);
		assert_int_equal(st.ran, st.posts);
		assert_int_equal(st.refused, 3);
	}
	assert_int_equal(log.n, 5);
	lsched_performer_destroy(p);
	lsched_performer_destroy(q);
}

struct blocked_poster {
	lsched_performer *p;
	struct waitrec w;
	int rc;
};

static void *blocked_poster_main(void *arg)
{
	struct blocked_poster *b = arg;
	b->rc = lsched_perform(b->p, work_set, &b->w, LSCHED_PERFORM_WAIT);
	return NULL;
}

static void test_performer_waiter_released_by_loop_destroy(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	struct blocked_poster b = { .rc = 1 };
	b.p = lsched_performer_new(loop);
	assert_non_null(b.p);
	b.w.loop_th = pthread_self(); /* the destroy runs it here */
	pthread_t th;
	struct lsched_performer_stats st;

	alarm(watchdog_s());
	assert_int_equal(pthread_create(&th, NULL, blocked_poster_main, &b), 0);
	/* Accepted and waiting (the loop does not run). */
	do {
		sched_yield();
		get_stats(b.p, &st);
	} while (st.waits == 0);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	join_within(th, watchdog_s());
	alarm(0);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.w.value, 1);
	assert_int_equal(b.w.wrong_thread, 0);
	assert_true(lsched_performer_is_closed(b.p));
	lsched_performer_destroy(b.p);
}

/* Posts and closes from other threads race with the owner destroying the
 * loop: each post ran or got -ESHUTDOWN; nothing touches the freed loop
 * (run under ASan/valgrind to see it). */
struct destroy_racer {
	lsched_performer *p;
	struct waitrec w;
	int rc, close_rc;
	unsigned flags;
	bool do_close;
};

static void *destroy_racer_main(void *arg)
{
	struct destroy_racer *d = arg;
	d->rc = lsched_perform(d->p, work_set, &d->w, d->flags);
	d->close_rc = d->do_close ? lsched_performer_close(d->p) : 0;
	return NULL;
}

static void destroy_race(bool do_close)
{
	int rounds = env_int("PERF_RACE_ROUNDS", 100) * 5;

	alarm(watchdog_s() * 2);
	for (int round = 0; round < rounds; round++) {
		lsched_loop *loop = lsched_loop_new(NULL);
		assert_non_null(loop);
		struct destroy_racer d = { .rc = 1, .close_rc = 1,
					   .flags = round % 2 ?
							    LSCHED_PERFORM_WAIT :
							    0,
					   .do_close = do_close };
		d.p = lsched_performer_new(loop);
		assert_non_null(d.p);
		d.w.loop_th = pthread_self();
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, destroy_racer_main,
						&d),
				 0);
		for (int i = round % 7; i > 0; i--)
			sched_yield();
		assert_int_equal(lsched_loop_destroy(loop), 0);
		join_within(th, watchdog_s());
		assert_true(d.rc == 0 || d.rc == -ESHUTDOWN);
		assert_int_equal(d.close_rc, 0);
		if (d.rc == 0) {
			assert_int_equal(d.w.value, 1);
		} else {
			assert_int_equal(d.w.value, 0);
		}
		lsched_performer_destroy(d.p);
	}
	alarm(0);
}

static void test_performer_post_races_loop_destroy(void **state)
{
	destroy_race(false);
}

/* close() from another thread while the owner destroys the idle loop. */
static void test_performer_close_races_loop_destroy(void **state)
{
	destroy_race(true);
}

/*
 * Two threads close the same performer while its loop does not run, with a
 * backlog, and (second variant) the owner destroys the loop meanwhile.
 * Every accepted post runs exactly once, and each close returns only after
 * everything accepted before it ran.
 */
#define BACKLOG_N 2000

struct backlog_closer {
	lsched_performer *p;
	pthread_barrier_t *start;
	struct slot *slots;
	int rc;
	int missing_at_return; /* slots not yet run when close returned */
};

static void *backlog_closer_main(void *arg)
{
	struct backlog_closer *c = arg;
	pthread_barrier_wait(c->start);
	c->rc = lsched_performer_close(c->p);
	for (int i = 0; i < BACKLOG_N; i++)
		if (atomic_load(&c->slots[i].ran) == 0)
			c->missing_at_return++;
	return NULL;
}

/* Child process body (no cmocka asserts): 0, or 1 with a message. */
static int backlog_close_race(bool destroy_loop)
{
	struct slot *slots = calloc(BACKLOG_N, sizeof(*slots));
	char why[160] = "";

	if (!slots)
		return 1;
	for (int round = 0; round < 50 && !*why; round++) {
		lsched_loop *loop = lsched_loop_new(NULL);
		lsched_performer *p = loop ? lsched_performer_new(loop) : NULL;
		pthread_barrier_t start;
		struct backlog_closer c[2];
		pthread_t th[2];
		int nthreads = destroy_loop ? 1 : 2;

		if (!p)
			return 1;
		memset(slots, 0, BACKLOG_N * sizeof(*slots));
		for (int i = 0; i < BACKLOG_N; i++)
			if (lsched_perform(p, work_slot, &slots[i], 0))
				return 1;
		pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
		for (int i = 0; i < nthreads; i++) {
			c[i] = (struct backlog_closer){ p, &start, slots, 1, 0 };
			if (pthread_create(&th[i], NULL, backlog_closer_main,
					   &c[i]))
				return 1;
		}
		pthread_barrier_wait(&start);
		if (destroy_loop && lsched_loop_destroy(loop))
			snprintf(why, sizeof(why), "loop destroy failed");
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&start);
		lsched_performer_destroy(p);
		if (!destroy_loop)
			lsched_loop_destroy(loop);

		for (int i = 0; i < nthreads && !*why; i++) {
			if (c[i].rc != 0)
				snprintf(why, sizeof(why), "round %d: close "
					 "returned %d", round, c[i].rc);
			else if (c[i].missing_at_return)
				snprintf(why, sizeof(why), "round %d: close "
					 "returned with %d accepted posts not "
					 "run", round, c[i].missing_at_return);
		}
		for (int k = 0; k < BACKLOG_N && !*why; k++)
			if (atomic_load(&slots[k].ran) != 1)
				snprintf(why, sizeof(why), "round %d: post %d "
					 "ran %d times", round, k,
					 atomic_load(&slots[k].ran));
	}
	free(slots);
	if (*why) {
		fprintf(stderr, "child: %s\n", why);
		return 1;
	}
	return 0;
}

/* Runs fn(arg) in a child process, bounded by secs: a crash, a hang or a
 * failure there fails the calling test only. */
static void run_in_child(int (*fn)(bool), bool arg, unsigned secs,
			 const char *what)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka's handlers would report in the child: die instead. */
		int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		alarm(secs);
		_exit(fn(arg));
	}
	int status = 0;
	pid_t w;
	/* Polling only bounds the wait; it decides nothing. */
	for (unsigned i = 0; (w = waitpid(pid, &status, WNOHANG)) == 0 &&
			     i < (secs + 5) * 100; i++)
		usleep(10000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("%s: hangs", what);
	}
	if (WIFSIGNALED(status))
		fail_msg("%s: killed by signal %d", what, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("%s: failed (exit %d)", what, WEXITSTATUS(status));
}

static void test_performer_two_closers_idle_loop(void **state)
{
	run_in_child(backlog_close_race, false, watchdog_s(),
		     "two closers on an idle loop");
}

static void test_performer_close_with_backlog_races_loop_destroy(void **state)
{
	run_in_child(backlog_close_race, true, watchdog_s(),
		     "close racing the loop's destruction");
}

/*
 * A close from another thread that saw the loop running, racing with the
 * owner stopping and destroying the loop. The loop's destruction runs what
 * its performers accepted; a close marker that arrives after that drain
 * (but before the performer lets go of the loop) must still be run, and
 * close() must return 0 (its documented errors are -EINVAL and -EDEADLK),
 * never hang nor report -ESHUTDOWN. The owner's work posts slow work from
 * a task so that the loop's destruction takes a while to drain: it widens
 * the window a late marker can fall into. Timing only gives a broken
 * library the chance to fail; a correct one passes whatever the timing.
 */
struct stop_race {
	lsched_performer *p;
	atomic_int go;
	atomic_int done;
	int rc;
};

static void *stop_race_closer(void *arg)
{
	struct stop_race *r = arg;

	while (!atomic_load(&r->go))
		sched_yield();
	r->rc = lsched_performer_close(r->p);
	atomic_store(&r->done, 1);
	return NULL;
}

static void work_slow(void *arg)
{
	struct timespec ts = { 0, 20000 }; /* 20 us */

	atomic_fetch_add((atomic_int *)arg, 1);
	nanosleep(&ts, NULL);
}

struct stop_race_task {
	struct stop_race *r;
	atomic_int *ran;
	int posted;
};

static void task_release_closer(lsched_task *t, void *arg)
{
	struct stop_race_task *st = arg;

	atomic_store(&st->r->go, 1);
	/* From the loop's thread: stays in the inbox for the destruction. */
	for (int i = 0; i < 100; i++)
		if (lsched_perform(st->r->p, work_slow, st->ran, 0) == 0)
			st->posted++;
}

/* Competes for the CPUs, so that the closer is preempted at random
 * points (the race needs it delayed between its checks). */
static atomic_int stop_noise;

static void *noise_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_noise))
		sched_yield();
	return NULL;
}

static int close_stop_race(bool unused)
{
	struct timespec t0, t1;
	char why[160] = "";
	pthread_t noise[2];
	int round;

	(void)unused;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&noise[i], NULL, noise_main, NULL))
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < 20000 && !*why; round++) {
		lsched_loop *loop = lsched_loop_new(NULL);
		struct stop_race r = { .rc = 1 };
		atomic_int ran = 0;
		struct stop_race_task st = { &r, &ran, 0 };
		lsched_task *t;
		pthread_t th;

		r.p = loop ? lsched_performer_new(loop) : NULL;
		t = r.p ? lsched_task_new(loop, "release", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_DEFAULT,
					  task_release_closer, &st)
			: NULL;
		if (!t || lsched_task_start(t) ||
		    pthread_create(&th, NULL, stop_race_closer, &r))
			return 1;
		lsched_loop_run(loop, LSCHED_RUN_NOWAIT);
		if (lsched_loop_destroy(loop))
			return 1;
		for (int i = 0; i < 5000 && !atomic_load(&r.done); i++)
			usleep(1000);
		if (!atomic_load(&r.done)) {
			snprintf(why, sizeof(why), "round %d: close hangs after "
				 "the loop was destroyed", round);
			break; /* the closer stays blocked: exit the child */
		}
		pthread_join(th, NULL);
		if (r.rc != 0)
			snprintf(why, sizeof(why), "round %d: close returned "
				 "%d", round, r.rc);
		else if (atomic_load(&ran) != st.posted)
			snprintf(why, sizeof(why), "round %d: %d of %d posts "
				 "ran", round, atomic_load(&ran), st.posted);
		lsched_performer_destroy(r.p);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= env_int("PERF_STOP_RACE_S", 5))
			break;
	}
	atomic_store(&stop_noise, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(noise[i], NULL);
	if (*why) {
		fprintf(stderr, "child: %s\n", why);
		return 1;
	}
	return 0;
}

static void test_performer_close_races_loop_stop_and_destroy(void **state)
{
	run_in_child(close_stop_race, false, watchdog_s(),
		     "close racing the loop's stop and destruction");
}

/* A performer destroyed from its own work (the loop's thread). */
struct selfdestroy {
	lsched_performer *p;
	int ran;
};

static void work_destroy_self(void *arg)
{
	struct selfdestroy *s = arg;
	s->ran++;
	lsched_performer_destroy(s->p);
	s->p = NULL;
}

static void work_plain_count(void *arg)
{
	(*(int *)arg)++;
}

/* Child process body: 0 if all went well, else the failing step. */
static int destroy_from_own_work_child(void)
{
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(1));
	lsched_loop *loop = clock ? lsched_loop_new(clock) : NULL;
	struct selfdestroy s = { 0 };
	int after = 0;
	if (!loop)
		return 1;
	s.p = lsched_performer_new(loop);
	lsched_performer *other = lsched_performer_new(loop);
	if (!s.p || !other)
		return 2;
	if (lsched_perform(s.p, work_destroy_self, &s, 0) ||
	    /* Accepted before the destroy: the destroy's close runs it. */
	    lsched_perform(s.p, work_plain_count, &after, 0) ||
	    lsched_perform(other, work_plain_count, &after, 0))
		return 3;
	run_cycles(loop, 3);
	if (s.ran != 1 || s.p || after != 2)
		return 4;

	/* Same from a prioritised post (runs as a task). */
	s.p = lsched_performer_new(loop);
	if (!s.p)
		return 5;
	if (lsched_perform_at(s.p, LSCHED_PRIO_DEFAULT, "self",
			      work_destroy_self, &s, 0))
		return 6;
	run_cycles(loop, 3);
	if (s.ran != 2 || s.p)
		return 7;
	lsched_performer_destroy(other);
	if (lsched_loop_destroy(loop))
		return 8;
	lsched_clock_destroy(clock);
	return 0;
}

/*
 * performer.h: destroy is called "from the loop's thread", which includes
 * the performer's own work. Runs in a child process so that a crash or a
 * hang (use after free) fails this test only.
 */
static int destroy_from_own_work_child_b(bool unused)
{
	(void)unused;
	return destroy_from_own_work_child();
}

static void test_performer_destroy_from_own_work(void **state)
{
	/* Milliseconds of work: 10 s means it hangs. */
	run_in_child(destroy_from_own_work_child_b, false, 10,
		     "destroying a performer from its own work");
}

/* ---- deadlock detection --------------------------------------------------------- */

#define MAX_RING 3

struct ring {
	int n;
	lsched_loop *loop[MAX_RING];
	lsched_performer *perf[MAX_RING];
	struct looper l[MAX_RING];
	pthread_barrier_t barrier;
	int target[MAX_RING]; /* loop i's work waits on loop target[i]; -1 none */
	int rc[MAX_RING];
	atomic_int done;
};

struct ring_arg {
	struct ring *r;
	int i;
};

static void work_ring(void *arg)
{
	struct ring_arg *a = arg;
	struct ring *r = a->r;
	pthread_barrier_wait(&r->barrier);
	if (r->target[a->i] >= 0)
		r->rc[a->i] = lsched_perform(r->perf[r->target[a->i]], work_count,
					     &r->done, LSCHED_PERFORM_WAIT);
	else
		r->rc[a->i] = 0;
}

static void ring_run(struct ring *r, int n, const int *target)
{
	struct ring_arg args[MAX_RING];

	r->n = n;
	atomic_init(&r->done, 0);
	assert_int_equal(pthread_barrier_init(&r->barrier, NULL, (unsigned)n),
			 0);
	for (int i = 0; i < n; i++) {
		r->loop[i] = lsched_loop_new(NULL);
		assert_non_null(r->loop[i]);
		r->perf[i] = lsched_performer_new(r->loop[i]);
		assert_non_null(r->perf[i]);
		r->target[i] = target[i];
		r->rc[i] = 1;
		args[i] = (struct ring_arg){ r, i };
	}
	alarm(watchdog_s());
	for (int i = 0; i < n; i++)
		looper_start(&r->l[i], r->loop[i]);
	for (int i = 0; i < n; i++)
		assert_int_equal(lsched_perform(r->perf[i], work_ring, &args[i],
						0),
				 0);
	/* Every work item finished (its loop's thread is free again). */
	for (int i = 0; i < n; i++)
		assert_int_equal(lsched_perform(r->perf[i], work_nop, NULL,
						LSCHED_PERFORM_WAIT),
				 0);
	for (int i = 0; i < n; i++)
		looper_stop(&r->l[i]);
	alarm(0);
	for (int i = 0; i < n; i++) {
		lsched_performer_destroy(r->perf[i]);
		assert_int_equal(lsched_loop_destroy(r->loop[i]), 0);
	}
	pthread_barrier_destroy(&r->barrier);
}

static void check_cycle_result(struct ring *r)
{
	int deadlocks = 0, ok = 0;
	for (int i = 0; i < r->n; i++) {
		if (r->rc[i] == -EDEADLK)
			deadlocks++;
		else if (r->rc[i] == 0)
			ok++;
		else
			fail_msg("loop %d: waiting post returned %d", i, r->rc[i]);
	}
	assert_true(deadlocks >= 1);
	/* The refused posts never ran; the accepted ones did. */
	assert_int_equal(atomic_load(&r->done), ok);
}

static void test_performer_deadlock_two_loops(void **state)
{
	for (int k = 0; k < 20; k++) {
		struct ring r;
		ring_run(&r, 2, (const int[]){ 1, 0 });
		check_cycle_result(&r);
	}
}

static void test_performer_deadlock_three_loops(void **state)
{
	for (int k = 0; k < 20; k++) {
		struct ring r;
		ring_run(&r, 3, (const int[]){ 1, 2, 0 });
		check_cycle_result(&r);
	}
}

static void test_performer_wait_chain_without_cycle(void **state)
{
	for (int k = 0; k < 20; k++) {
		struct ring r;
		ring_run(&r, 3, (const int[]){ 1, 2, -1 });
		for (int i = 0; i < 3; i++)
			assert_int_equal(r.rc[i], 0);
		assert_int_equal(atomic_load(&r.done), 2);
	}
}

/* ---- stats ---------------------------------------------------------------------- */

struct statctx {
	lsched_performer *p;
	atomic_int n;
	int rc;
};

static void task_wait_post(lsched_task *t, void *arg)
{
	struct statctx *c = arg;
	c->rc = lsched_perform(c->p, work_count, &c->n, LSCHED_PERFORM_WAIT);
}

/* libuv's async test: a thread keeps sending while the loop's callback
 * closes the handle on its third run. Here: a producer posts without
 * pause while work on the loop's thread closes the performer; the
 * producer's posts turn into -ESHUTDOWN, and every accepted post ran
 * exactly once (the posts on the lock-free path race the close). */
struct close3 {
	lsched_performer *p;
	atomic_int ran;
	atomic_int accepted;
	int refused_rc;
};

static void work_close_on_third(void *arg)
{
	struct close3 *c = arg;

	if (atomic_fetch_add(&c->ran, 1) + 1 == 3)
		assert_int_equal(lsched_performer_close(c->p), 0);
}

static void *close3_producer(void *arg)
{
	struct close3 *c = arg;
	int rc;

	/* A yield now and then: a producer on the lock-free path makes no
	 * system call, and Valgrind's thread lock, which is not fair, would
	 * let it run alone for minutes while the loop waits for a turn. */
	while ((rc = lsched_perform(c->p, work_close_on_third, c, 0)) == 0)
		if (atomic_fetch_add(&c->accepted, 1) % 256 == 255)
			sched_yield();
	c->refused_rc = rc;
	return NULL;
}

static void test_performer_producer_races_close_from_work(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		lsched_loop *loop = lsched_loop_new(NULL);
		assert_non_null(loop);
		struct close3 c = { .p = lsched_performer_new(loop) };
		assert_non_null(c.p);
		struct looper l;
		pthread_t th;
		struct lsched_performer_stats st;

		alarm(watchdog_s());
		looper_start(&l, loop);
		assert_int_equal(pthread_create(&th, NULL, close3_producer, &c),
				 0);
		join_within(th, watchdog_s());
		looper_stop(&l);
		alarm(0);
		assert_int_equal(c.refused_rc, -ESHUTDOWN);
		assert_true(atomic_load(&c.accepted) >= 3);
		/* The close ran everything accepted before it; what was
		 * accepted after it began (on the lock-free path, before
		 * the close's drain) ran too. */
		assert_int_equal(atomic_load(&c.ran), atomic_load(&c.accepted));
		get_stats(c.p, &st);
		assert_int_equal(st.posts, (uint64_t)atomic_load(&c.accepted));
		assert_int_equal(st.ran, st.posts);
		assert_int_equal(st.refused, 1);
		lsched_performer_destroy(c.p);
		assert_int_equal(lsched_loop_destroy(loop), 0);
	}
}

/* Free items are cached per thread and are not tied to a performer: a
 * thread posts to one performer, which is destroyed, then posts to
 * another with the items the first one handed back (ASan and Valgrind
 * would see a use after free if they belonged to the first). */
static void test_performer_items_outlive_their_performer(void **state)
{
	lsched_loop *loop = fix_loop(state);
	atomic_int n = 0;

	for (int k = 0; k < 3; k++) {
		lsched_performer *p = lsched_performer_new(loop);
		assert_non_null(p);
		atomic_store(&n, 0);
		/* More than one chunk of items in flight at once. */
		for (int i = 0; i < 700; i++)
			assert_int_equal(lsched_perform(p, work_count, &n, 0),
					 0);
		run_cycles(loop, 2);
		assert_int_equal(atomic_load(&n), 700);
		/* Handed back, then taken by the next posts. */
		for (int i = 0; i < 10; i++)
			assert_int_equal(lsched_perform(p, work_count, &n, 0),
					 0);
		run_cycles(loop, 2);
		assert_int_equal(atomic_load(&n), 710);
		lsched_performer_destroy(p);
	}
}

static void test_performer_stats_add_up(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct statctx c = { .rc = 1 };
	c.p = lsched_performer_new(loop);
	assert_non_null(c.p);
	struct lsched_performer_stats st;

	get_stats(c.p, &st);
	assert_int_equal(st.posts + st.wakes + st.ran + st.refused + st.waits, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lsched_perform(c.p, work_count, &c.n, 0), 0);
	assert_int_equal(lsched_perform(c.p, work_count, &c.n, 4), -EINVAL);
	get_stats(c.p, &st);
	assert_int_equal(st.posts, 3);
	assert_int_equal(st.wakes, 1);
	assert_int_equal(st.ran, 0);
	assert_int_equal(st.refused, 1);
	run_cycles(loop, 2);
	get_stats(c.p, &st);
	assert_int_equal(st.ran, 3);

	lsched_task *t = lsched_task_new(loop, "w", LSCHED_TASK_IDLE,
					 LSCHED_PRIO_DEFAULT, task_wait_post, &c);
	assert_non_null(t);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_perform_at(c.p, LSCHED_PRIO_LOWEST, "at",
					   work_count, &c.n, 0),
			 0);
	run_cycles(loop, 3);
	assert_int_equal(c.rc, 0);
	assert_int_equal(atomic_load(&c.n), 5);
	assert_int_equal(lsched_performer_close(c.p), 0);
	assert_int_equal(lsched_perform(c.p, work_count, &c.n, 0), -ESHUTDOWN);
	assert_int_equal(lsched_perform(c.p, work_count, &c.n,
					LSCHED_PERFORM_WAIT),
			 -ESHUTDOWN);
	get_stats(c.p, &st);
	assert_int_equal(st.posts, 5);
	assert_int_equal(st.ran, 5);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.wakes, 2); /* the in-thread wait writes nothing */
	assert_int_equal(st.refused, 3);
	lsched_task_destroy(t);
	lsched_performer_destroy(c.p);
}

static void test_performer_stats_threaded_close(void **state)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	assert_non_null(loop);
	lsched_performer *p = lsched_performer_new(loop);
	assert_non_null(p);
	struct looper l;
	atomic_int n = 0;
	struct lsched_performer_stats st;

	alarm(watchdog_s());
	looper_start(&l, loop);
	for (int i = 0; i < 10; i++)
		assert_int_equal(lsched_perform(p, work_count, &n, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lsched_perform(p, work_count, &n,
						LSCHED_PERFORM_WAIT),
				 0);
	/* From this thread while the loop runs in another. */
	assert_int_equal(lsched_performer_close(p), 0);
	assert_int_equal(atomic_load(&n), 13);
	assert_int_equal(lsched_perform(p, work_count, &n, 0), -ESHUTDOWN);
	assert_int_equal(lsched_perform(p, work_count, &n, LSCHED_PERFORM_WAIT),
			 -ESHUTDOWN);
	looper_stop(&l);
	alarm(0);
	get_stats(p, &st);
	lsched_performer_destroy(p);
	assert_int_equal(lsched_loop_destroy(loop), 0);
	/* posts counts the caller's accepted posts only. */
	assert_int_equal(st.posts, 13);
	assert_int_equal(st.ran, 13);
	assert_int_equal(st.waits, 3);
	assert_int_equal(st.refused, 2);
	assert_true(st.wakes >= 1 && st.wakes <= 13);
}

int main(void)
{
#define VT(f) cmocka_unit_test_setup_teardown(f, vfix_setup, vfix_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_performer_new_null),
		VT(test_performer_invalid_arguments),
		cmocka_unit_test(test_performer_async_runs_on_loop_thread_in_order),
		VT(test_performer_default_runs_before_tasks),
		VT(test_performer_perform_at_ordered_with_tasks),
		cmocka_unit_test(test_performer_wait_from_other_thread),
		VT(test_performer_wait_from_loop_thread_runs_inline),
		VT(test_performer_wakes_collapse),
		VT(test_performer_self_reposting_work_does_not_starve),
		cmocka_unit_test(test_performer_stress_4_producers),
		VT(test_performer_close_from_loop_thread),
		VT(test_performer_close_from_work_runs_rest_of_batch),
		VT(test_performer_close_while_loop_idle_runs_inline),
		cmocka_unit_test(test_performer_close_from_other_thread_waits),
		cmocka_unit_test(test_performer_close_races_producers),
		cmocka_unit_test(test_performer_loop_destroy_runs_accepted),
		cmocka_unit_test(test_performer_waiter_released_by_loop_destroy),
		cmocka_unit_test(test_performer_post_races_loop_destroy),
		cmocka_unit_test(test_performer_close_races_loop_destroy),
		cmocka_unit_test(test_performer_two_closers_idle_loop),
		cmocka_unit_test(test_performer_close_with_backlog_races_loop_destroy),
		cmocka_unit_test(test_performer_close_races_loop_stop_and_destroy),
		cmocka_unit_test(test_performer_destroy_from_own_work),
		cmocka_unit_test(test_performer_deadlock_two_loops),
		cmocka_unit_test(test_performer_deadlock_three_loops),
		cmocka_unit_test(test_performer_wait_chain_without_cycle),
		VT(test_performer_stats_add_up),
		cmocka_unit_test(test_performer_stats_threaded_close),
		cmocka_unit_test(test_performer_producer_races_close_from_work),
		VT(test_performer_items_outlive_their_performer),
	};
#undef VT
	const char *filter = getenv("PERF_FILTER");
	if (filter && *filter)
		cmocka_set_test_filter(filter);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
