/*
 * Task pool tests: where jobs and completions run, FIFO starts, blocking
 * jobs, cancellation at destroy, refused deliveries, errors and counters.
 *
 * The test thread owns a loop on the real clock and a performer on it; the
 * pool's workers post completions back through that performer, and the
 * test runs LSCHED_RUN_ONCE cycles until the completions it expects have
 * arrived. Jobs that must stay busy block on a semaphore the test posts.
 * Every test that may block arms alarm() in the fixture as a watchdog: a
 * lost completion or a hang kills the binary (and fails the suite) instead
 * of hanging it. No result depends on timing: where a test checks that
 * something did not happen, workers are provably busy or the loop did not
 * run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libsched/pool.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "testutil.h"

#define WATCHDOG_S 60

/* Fixture: a loop on the real clock (completions wake it through its
 * eventfd) and the performer the pool replies through. */
struct pfix {
	lsched_loop *loop;
	lsched_performer *perf;
};

static int pfix_setup(void **state)
{
	struct pfix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->loop = lsched_loop_new(NULL);
	if (!f->loop)
		goto out_free;
	f->perf = lsched_performer_new(f->loop);
	if (!f->perf)
		goto out_destroy_loop;
	*state = f;
	alarm(WATCHDOG_S);
	return 0;

out_destroy_loop:
	lsched_loop_destroy(f->loop);
out_free:
	free(f);
	return -1;
}

static int pfix_teardown(void **state)
{
	struct pfix *f = *state;
	int rc;

	alarm(0);
	lsched_performer_destroy(f->perf);
	rc = lsched_loop_destroy(f->loop);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* ---- jobs and completions ---------------------------------------------- */

struct ctx;

/* One job: what ran where, and what its completion saw. */
struct rec {
	struct ctx *ctx;
	int id;
	int want_status; /* what the job returns */
	atomic_int runs;
	atomic_int dones;
	pthread_t job_thread;
	pthread_t done_thread;
	char tname[16];
	int start_seq;
	int done_seq;
	int status;
	void *result;
	int nested_rc;   /* submit or destroy called from inside the job */
	bool sigint_blocked;
};

struct ctx {
	lsched_pool *pool;
	lsched_performer *perf;
	pthread_t loop_thread;
	sem_t gate;     /* blocking jobs wait for it */
	sem_t started;  /* blocking jobs post it when they start */
	sem_t finished; /* every job posts it when it returns */
	sem_t fallback; /* completions off the loop thread post it */
	atomic_int dones;
	atomic_int start_seq;
	int done_seq;   /* loop thread only */
	int chain_left; /* loop thread only */
	int destroy_rc; /* loop thread only */
};

static void ctx_init(struct ctx *c, struct pfix *f, lsched_pool *pool)
{
	memset(c, 0, sizeof(*c));
	c->pool = pool;
	c->perf = f->perf;
	c->loop_thread = pthread_self();
	assert_int_equal(sem_init(&c->gate, 0, 0), 0);
	assert_int_equal(sem_init(&c->started, 0, 0), 0);
	assert_int_equal(sem_init(&c->finished, 0, 0), 0);
	assert_int_equal(sem_init(&c->fallback, 0, 0), 0);
}

static void ctx_fini(struct ctx *c)
{
	sem_destroy(&c->gate);
	sem_destroy(&c->started);
	sem_destroy(&c->finished);
	sem_destroy(&c->fallback);
}

static void rec_init(struct rec *r, struct ctx *c, int id)
{
	memset(r, 0, sizeof(*r));
	r->ctx = c;
	r->id = id;
	r->want_status = id % 2 ? -EIO : 0;
}

static void done_record(int status, void *result, void *arg);

static int job_finish(struct rec *r, void **result)
{
	r->job_thread = pthread_self();
	pthread_getname_np(pthread_self(), r->tname, sizeof(r->tname));
	*result = &r->id;
	atomic_fetch_add(&r->runs, 1);
	sem_post(&r->ctx->finished);
	return r->want_status;
}

static int job_quick(void *arg, void **result)
{
	struct rec *r = arg;

	r->start_seq = atomic_fetch_add(&r->ctx->start_seq, 1);
	return job_finish(r, result);
}

/* Occupies its worker until the test posts the gate. */
static int job_block(void *arg, void **result)
{
	struct rec *r = arg;

	r->start_seq = atomic_fetch_add(&r->ctx->start_seq, 1);
	sem_post(&r->ctx->started);
	sem_wait(&r->ctx->gate);
	return job_finish(r, result);
}

/* Blocks, then submits to its own pool (destroy is waiting for it). Were
 * the submission accepted, r would run and complete twice. */
static int job_block_then_submit(void *arg, void **result)
{
	struct rec *r = arg;

	sem_post(&r->ctx->started);
	sem_wait(&r->ctx->gate);
	r->nested_rc = lsched_pool_submit(r->ctx->pool, r->ctx->perf,
					  job_quick, done_record, r);
	return job_finish(r, result);
}

static int job_destroy_own_pool(void *arg, void **result)
{
	struct rec *r = arg;

	r->nested_rc = lsched_pool_destroy(r->ctx->pool);
	return job_finish(r, result);
}

static int job_read_sigmask(void *arg, void **result)
{
	struct rec *r = arg;
	sigset_t set;

	pthread_sigmask(SIG_BLOCK, NULL, &set);
	r->sigint_blocked = sigismember(&set, SIGINT) == 1;
	return job_finish(r, result);
}

static void done_record(int status, void *result, void *arg)
{
	struct rec *r = arg;
	struct ctx *c = r->ctx;
	bool on_loop = pthread_equal(pthread_self(), c->loop_thread);

	r->done_thread = pthread_self();
	r->status = status;
	r->result = result;
	if (on_loop)
		r->done_seq = c->done_seq++;
	atomic_fetch_add(&r->dones, 1);
	atomic_fetch_add(&c->dones, 1);
	if (!on_loop)
		sem_post(&c->fallback);
}

/* Runs loop cycles until n completions arrived in total. */
static void run_until(lsched_loop *loop, struct ctx *c, int n)
{
	while (atomic_load(&c->dones) < n)
		assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_ONCE), 0);
	assert_int_equal(atomic_load(&c->dones), n);
}

/* A thread that destroys the pool, since destroy blocks until running
 * jobs return while the test thread must keep its loop running. */
struct destroyer {
	pthread_t tid;
	lsched_pool *pool;
	int rc;
};

static void *destroyer_main(void *arg)
{
	struct destroyer *d = arg;

	d->rc = lsched_pool_destroy(d->pool);
	return NULL;
}

static void destroyer_start(struct destroyer *d, lsched_pool *pool)
{
	d->pool = pool;
	d->rc = INT32_MIN;
	assert_int_equal(pthread_create(&d->tid, NULL, destroyer_main, d), 0);
}

static int destroyer_join(struct destroyer *d)
{
	assert_int_equal(pthread_join(d->tid, NULL), 0);
	return d->rc;
}

static void assert_stats(lsched_pool *pool, uint64_t submitted,
			 uint64_t completed, uint64_t cancelled,
			 uint64_t undeliverable, uint32_t queued,
			 uint32_t running)
{
	struct lsched_pool_stats st;

	assert_int_equal(lsched_pool_stats(pool, &st), 0);
	assert_int_equal(st.submitted, submitted);
	assert_int_equal(st.completed, completed);
	assert_int_equal(st.cancelled, cancelled);
	assert_int_equal(st.undeliverable, undeliverable);
	assert_int_equal(st.queued, queued);
	assert_int_equal(st.running, running);
}

/* ---- creation and arguments -------------------------------------------- */

static void test_pool_new_thread_count_bounds(void **state)
{
	lsched_pool *pool;

	errno = 0;
	assert_null(lsched_pool_new(0, "tp"));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(lsched_pool_new(257, "tp"));
	assert_int_equal(errno, EINVAL);

	pool = lsched_pool_new(1, "tp");
	assert_non_null(pool);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	pool = lsched_pool_new(256, "tp");
	assert_non_null(pool);
	assert_stats(pool, 0, 0, 0, 0, 0, 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
}

static void test_pool_null_arguments(void **state)
{
	struct pfix *f = *state;
	struct lsched_pool_stats st;
	lsched_pool *pool = lsched_pool_new(1, "tp");
	struct ctx c;
	struct rec r;

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	rec_init(&r, &c, 0);
	assert_int_equal(lsched_pool_submit(NULL, f->perf, job_quick,
					    done_record, &r), -EINVAL);
	assert_int_equal(lsched_pool_submit(pool, NULL, job_quick,
					    done_record, &r), -EINVAL);
	assert_int_equal(lsched_pool_submit(pool, f->perf, NULL, done_record,
					    &r), -EINVAL);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick, NULL,
					    &r), -EINVAL);
	assert_int_equal(lsched_pool_stats(NULL, &st), -EINVAL);
	assert_int_equal(lsched_pool_stats(pool, NULL), -EINVAL);
	assert_int_equal(lsched_pool_destroy(NULL), -EINVAL);
	/* Refused submissions are not counted and never run. */
	assert_stats(pool, 0, 0, 0, 0, 0, 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	assert_int_equal(run_cycles(f->loop, 3), 3);
	assert_int_equal(atomic_load(&r.runs), 0);
	assert_int_equal(atomic_load(&r.dones), 0);
	ctx_fini(&c);
}

/* Three blocking jobs hold three distinct workers, so all names show. */
static void check_names(struct pfix *f, const char *name,
			const char *const expected[3])
{
	lsched_pool *pool = lsched_pool_new(3, name);
	struct destroyer d;
	struct ctx c;
	struct rec r[3];
	bool seen[3] = { false, false, false };

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	for (int i = 0; i < 3; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_block,
						    done_record, &r[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(sem_wait(&c.started), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sem_post(&c.gate), 0);
	run_until(f->loop, &c, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(strlen(r[i].tname) <= 15);
		for (int k = 0; k < 3; k++)
			if (strcmp(r[i].tname, expected[k]) == 0)
				seen[k] = true;
	}
	for (int k = 0; k < 3; k++) {
		if (!seen[k])
			fail_msg("no worker named \"%s\" (got %s %s %s)",
				 expected[k], r[0].tname, r[1].tname,
				 r[2].tname);
	}
	destroyer_start(&d, pool);
	assert_int_equal(destroyer_join(&d), 0);
	ctx_fini(&c);
}

static void test_pool_thread_names(void **state)
{
	static const char *const tp[3] = { "tp/0", "tp/1", "tp/2" };
	static const char *const deflt[3] = { "pool/0", "pool/1", "pool/2" };
	/* 15 bytes: the name is cut, the index kept. */
	static const char *const longn[3] = { "averyverylong/0",
					      "averyverylong/1",
					      "averyverylong/2" };

	check_names(*state, "tp", tp);
	check_names(*state, NULL, deflt);
	check_names(*state, "", deflt);
	check_names(*state, "averyverylongpoolname", longn);
}

/* ---- where things run -------------------------------------------------- */

static void test_pool_jobs_on_workers_completions_on_loop(void **state)
{
	struct pfix *f = *state;
	struct lsched_performer_stats ps0, ps1;
	lsched_pool *pool = lsched_pool_new(2, "tp");
	struct ctx c;
	struct rec r[4];

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	assert_int_equal(lsched_performer_stats(f->perf, &ps0), 0);
	for (int i = 0; i < 4; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
						    done_record, &r[i]), 0);
	}
	/* Every job has returned, yet no completion ran: they wait for the
	 * loop, which has not run. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(sem_wait(&c.finished), 0);
	assert_int_equal(atomic_load(&c.dones), 0);

	run_until(f->loop, &c, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(atomic_load(&r[i].runs), 1);
		assert_int_equal(atomic_load(&r[i].dones), 1);
		assert_false(pthread_equal(r[i].job_thread, c.loop_thread));
		assert_true(pthread_equal(r[i].done_thread, c.loop_thread));
		assert_int_equal(r[i].status, i % 2 ? -EIO : 0);
		assert_ptr_equal(r[i].result, &r[i].id);
		assert_int_equal(strncmp(r[i].tname, "tp/", 3), 0);
	}
	/* They came through the performer. */
	assert_int_equal(lsched_performer_stats(f->perf, &ps1), 0);
	assert_int_equal(ps1.posts - ps0.posts, 4);
	assert_int_equal(ps1.ran - ps0.ran, 4);
	assert_stats(pool, 4, 4, 0, 0, 0, 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	ctx_fini(&c);
}

static void test_pool_thousand_jobs_complete_once(void **state)
{
	enum { N = 1000 };
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(4, "tp");
	struct rec *r = calloc(N, sizeof(*r));
	pthread_t seen[4];
	int nseen = 0;
	struct ctx c;

	assert_non_null(pool);
	assert_non_null(r);
	ctx_init(&c, f, pool);
	for (int i = 0; i < N; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
						    done_record, &r[i]), 0);
	}
	run_until(f->loop, &c, N);
	/* Nothing more trickles in. */
	assert_int_equal(run_cycles(f->loop, 10), 10);
	assert_int_equal(atomic_load(&c.dones), N);
	for (int i = 0; i < N; i++) {
		int k;

		assert_int_equal(atomic_load(&r[i].runs), 1);
		assert_int_equal(atomic_load(&r[i].dones), 1);
		assert_int_equal(r[i].status, i % 2 ? -EIO : 0);
		assert_ptr_equal(r[i].result, &r[i].id);
		assert_true(pthread_equal(r[i].done_thread, c.loop_thread));
		for (k = 0; k < nseen; k++)
			if (pthread_equal(seen[k], r[i].job_thread))
				break;
		if (k == nseen) {
			assert_true(nseen < 4); /* at most 4 workers */
			seen[nseen++] = r[i].job_thread;
		}
	}
	assert_stats(pool, N, N, 0, 0, 0, 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	ctx_fini(&c);
	free(r);
}

static void test_pool_single_worker_runs_fifo(void **state)
{
	enum { N = 200 };
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(1, "fifo");
	struct rec *r = calloc(N, sizeof(*r));
	struct ctx c;

	assert_non_null(pool);
	assert_non_null(r);
	ctx_init(&c, f, pool);
	for (int i = 0; i < N; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
						    done_record, &r[i]), 0);
	}
	run_until(f->loop, &c, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(r[i].start_seq, i);
		/* One producer, one performer: completions keep the order. */
		assert_int_equal(r[i].done_seq, i);
	}
	assert_int_equal(lsched_pool_destroy(pool), 0);
	ctx_fini(&c);
	free(r);
}

static void test_pool_workers_block_signals(void **state)
{
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(1, "tp");
	sigset_t mine;
	struct ctx c;
	struct rec r;

	assert_non_null(pool);
	/* Creating the pool left the creator's own mask alone. */
	pthread_sigmask(SIG_BLOCK, NULL, &mine);
	assert_int_equal(sigismember(&mine, SIGINT), 0);
	ctx_init(&c, f, pool);
	rec_init(&r, &c, 0);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_read_sigmask,
					    done_record, &r), 0);
	run_until(f->loop, &c, 1);
	assert_true(r.sigint_blocked);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	ctx_fini(&c);
}

/* ---- blocking jobs ----------------------------------------------------- */

static void test_pool_blocked_workers_queue_others(void **state)
{
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(2, "tp");
	struct ctx c;
	struct rec r[5];

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	for (int i = 0; i < 2; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_block,
						    done_record, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(sem_wait(&c.started), 0);
	for (int i = 2; i < 5; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
						    done_record, &r[i]), 0);
	}
	/* Both workers are held by the gate: the others can only queue. */
	assert_stats(pool, 5, 0, 0, 0, 3, 2);
	assert_int_equal(run_cycles(f->loop, 5), 5);
	assert_int_equal(atomic_load(&c.dones), 0);
	for (int i = 2; i < 5; i++)
		assert_int_equal(atomic_load(&r[i].runs), 0);

	for (int i = 0; i < 2; i++)
		assert_int_equal(sem_post(&c.gate), 0);
	run_until(f->loop, &c, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(atomic_load(&r[i].runs), 1);
		assert_int_equal(atomic_load(&r[i].dones), 1);
		assert_int_equal(r[i].status, i % 2 ? -EIO : 0);
	}
	/* The queued jobs started after the blocked ones, in order. */
	for (int i = 2; i < 5; i++)
		assert_int_equal(r[i].start_seq, i);
	assert_stats(pool, 5, 5, 0, 0, 0, 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	ctx_fini(&c);
}

/* ---- destroy ----------------------------------------------------------- */

static void test_pool_destroy_cancels_queued(void **state)
{
	enum { RUNNING = 2, QUEUED = 5, N = RUNNING + QUEUED };
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(RUNNING, "tp");
	struct destroyer d;
	struct ctx c;
	struct rec r[N];

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	for (int i = 0; i < N; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf,
						    i < RUNNING ? job_block
								: job_quick,
						    done_record, &r[i]), 0);
	}
	for (int i = 0; i < RUNNING; i++)
		assert_int_equal(sem_wait(&c.started), 0);

	destroyer_start(&d, pool);
	/* Destroy delivers the cancellations before it waits for the
	 * running jobs, which the gate still holds. */
	run_until(f->loop, &c, QUEUED);
	for (int i = RUNNING; i < N; i++) {
		assert_int_equal(atomic_load(&r[i].runs), 0);
		assert_int_equal(atomic_load(&r[i].dones), 1);
		assert_int_equal(r[i].status, -ECANCELED);
		assert_null(r[i].result);
		assert_true(pthread_equal(r[i].done_thread, c.loop_thread));
	}
	for (int i = 0; i < RUNNING; i++)
		assert_int_equal(atomic_load(&r[i].dones), 0);
	/* The destroyer waits in join: the pool is still there to read. */
	assert_stats(pool, N, 0, QUEUED, 0, 0, RUNNING);

	for (int i = 0; i < RUNNING; i++)
		assert_int_equal(sem_post(&c.gate), 0);
	run_until(f->loop, &c, N);
	assert_int_equal(destroyer_join(&d), QUEUED);
	assert_int_equal(run_cycles(f->loop, 5), 5);
	assert_int_equal(atomic_load(&c.dones), N);
	for (int i = 0; i < RUNNING; i++) {
		assert_int_equal(atomic_load(&r[i].runs), 1);
		assert_int_equal(atomic_load(&r[i].dones), 1);
		assert_int_equal(r[i].status, i % 2 ? -EIO : 0);
		assert_ptr_equal(r[i].result, &r[i].id);
	}
	ctx_fini(&c);
}

static void test_pool_submit_during_destroy_refused(void **state)
{
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(1, "tp");
	struct destroyer d;
	struct ctx c;
	struct rec a, b, x;

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	rec_init(&a, &c, 0);
	rec_init(&b, &c, 1);
	rec_init(&x, &c, 2);
	assert_int_equal(lsched_pool_submit(pool, f->perf,
					    job_block_then_submit,
					    done_record, &a), 0);
	assert_int_equal(sem_wait(&c.started), 0);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
					    done_record, &b), 0);

	destroyer_start(&d, pool);
	/* b's cancellation proves destroy has started; a holds it. */
	run_until(f->loop, &c, 1);
	assert_int_equal(b.status, -ECANCELED);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
					    done_record, &x), -ESHUTDOWN);
	assert_stats(pool, 2, 0, 1, 0, 0, 1);

	/* Now a submits to its own pool from its worker. */
	assert_int_equal(sem_post(&c.gate), 0);
	run_until(f->loop, &c, 2);
	assert_int_equal(destroyer_join(&d), 1);
	assert_int_equal(a.nested_rc, -ESHUTDOWN);
	assert_int_equal(a.status, 0);
	assert_int_equal(atomic_load(&a.runs), 1);
	assert_int_equal(atomic_load(&a.dones), 1);
	assert_int_equal(atomic_load(&x.runs), 0);
	assert_int_equal(atomic_load(&x.dones), 0);
	ctx_fini(&c);
}

static void test_pool_destroy_from_worker_deadlocks(void **state)
{
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(2, "tp");
	struct ctx c;
	struct rec a, b;

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	rec_init(&a, &c, 0);
	rec_init(&b, &c, 1);
	assert_int_equal(lsched_pool_submit(pool, f->perf,
					    job_destroy_own_pool, done_record,
					    &a), 0);
	run_until(f->loop, &c, 1);
	assert_int_equal(a.nested_rc, -EDEADLK);
	assert_int_equal(a.status, 0);
	/* Nothing was done: the pool still takes and runs jobs. */
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
					    done_record, &b), 0);
	run_until(f->loop, &c, 2);
	assert_int_equal(b.status, -EIO);
	assert_stats(pool, 2, 2, 0, 0, 0, 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	ctx_fini(&c);
}

/* The completions of jobs that ran are still in the performer when destroy
 * returns; they arrive afterwards (and the last one frees the pool's
 * memory, which valgrind checks). */
static void test_pool_completions_outlive_pool(void **state)
{
	enum { N = 10 };
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(2, "tp");
	struct ctx c;
	struct rec r[N];

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	for (int i = 0; i < N; i++) {
		rec_init(&r[i], &c, i);
		assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
						    done_record, &r[i]), 0);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(sem_wait(&c.finished), 0);
	assert_int_equal(lsched_pool_destroy(pool), 0);
	assert_int_equal(atomic_load(&c.dones), 0);
	run_until(f->loop, &c, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(atomic_load(&r[i].dones), 1);
		assert_int_equal(r[i].status, i % 2 ? -EIO : 0);
	}
	ctx_fini(&c);
}

/* A completion submits the next job; the last one destroys the pool from
 * the loop thread while its own delivery is still outstanding. */
static void done_chain(int status, void *result, void *arg)
{
	struct rec *r = arg;
	struct ctx *c = r->ctx;

	done_record(status, result, arg);
	if (--c->chain_left > 0)
		assert_int_equal(lsched_pool_submit(c->pool, c->perf,
						    job_quick, done_chain, r),
				 0);
	else
		c->destroy_rc = lsched_pool_destroy(c->pool);
}

static void test_pool_completion_submits_and_destroys(void **state)
{
	enum { N = 50 };
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(2, "tp");
	struct ctx c;
	struct rec r;

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	c.chain_left = N;
	c.destroy_rc = INT32_MIN;
	rec_init(&r, &c, 0);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
					    done_chain, &r), 0);
	run_until(f->loop, &c, N);
	assert_int_equal(c.destroy_rc, 0);
	assert_int_equal(atomic_load(&r.runs), N);
	assert_int_equal(atomic_load(&r.dones), N);
	ctx_fini(&c);
}

/* ---- refused deliveries ------------------------------------------------ */

static void test_pool_closed_reply_falls_back(void **state)
{
	struct pfix *f = *state;
	lsched_pool *pool = lsched_pool_new(1, "tp");
	struct destroyer d;
	struct ctx c;
	struct rec a, b;

	assert_non_null(pool);
	ctx_init(&c, f, pool);
	rec_init(&a, &c, 0);
	rec_init(&b, &c, 1);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_block,
					    done_record, &a), 0);
	assert_int_equal(sem_wait(&c.started), 0);
	assert_int_equal(lsched_pool_submit(pool, f->perf, job_quick,
					    done_record, &b), 0);
	assert_int_equal(lsched_performer_close(f->perf), 0);

	/* b is cancelled by destroy; its performer refuses, so it completes
	 * on the destroying thread with -ESHUTDOWN. */
	destroyer_start(&d, pool);
	assert_int_equal(sem_wait(&c.fallback), 0);
	assert_int_equal(atomic_load(&b.dones), 1);
	assert_int_equal(atomic_load(&b.runs), 0);
	assert_int_equal(b.status, -ESHUTDOWN);
	assert_null(b.result);
	assert_true(pthread_equal(b.done_thread, d.tid));
	assert_stats(pool, 2, 0, 1, 1, 0, 1);

	/* a ran to the end: it completes on its worker, with its result. */
	assert_int_equal(sem_post(&c.gate), 0);
	assert_int_equal(sem_wait(&c.fallback), 0);
	assert_int_equal(destroyer_join(&d), 1);
	assert_int_equal(atomic_load(&a.runs), 1);
	assert_int_equal(atomic_load(&a.dones), 1);
	assert_int_equal(a.status, -ESHUTDOWN);
	assert_ptr_equal(a.result, &a.id);
	assert_true(pthread_equal(a.done_thread, a.job_thread));
	assert_false(pthread_equal(a.done_thread, c.loop_thread));
	assert_int_equal(atomic_load(&c.dones), 2);
	ctx_fini(&c);
}

/* ---- idle workers ------------------------------------------------------ */

static int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* Idle workers sleep on the condition variable: eight of them spinning
 * for 200 ms would burn far more than the bound. */
static void test_pool_idle_workers_sleep(void **state)
{
	lsched_pool *pool = lsched_pool_new(8, "idle");
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	int64_t before;

	assert_non_null(pool);
	before = cpu_ns();
	while (nanosleep(&nap, &nap) != 0)
		;
	assert_true(cpu_ns() - before < LSCHED_MS(50));
	assert_int_equal(lsched_pool_destroy(pool), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pfix_setup, pfix_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pool_new_thread_count_bounds),
		T(test_pool_null_arguments),
		T(test_pool_thread_names),
		T(test_pool_jobs_on_workers_completions_on_loop),
		T(test_pool_thousand_jobs_complete_once),
		T(test_pool_single_worker_runs_fifo),
		T(test_pool_workers_block_signals),
		T(test_pool_blocked_workers_queue_others),
		T(test_pool_destroy_cancels_queued),
		T(test_pool_submit_during_destroy_refused),
		T(test_pool_destroy_from_worker_deadlocks),
		T(test_pool_completions_outlive_pool),
		T(test_pool_completion_submits_and_destroys),
		T(test_pool_closed_reply_falls_back),
		T(test_pool_idle_workers_sleep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
