/*
 * Thread server tests: life cycle and hooks, routing by id, payload
 * ownership, handler failures, stop with queued messages, the bounded
 * inbox, stopping from a handler, custom bodies, names, many senders and
 * counters.
 *
 * Synchronisation never relies on time: the test thread waits for the
 * server with semaphores its handlers post, or with a waiting post on the
 * server's performer (srv_sync()): messages are performer posts, run in the
 * order they were accepted, so once that post ran every message sent before
 * it was handled. A handler that must stay busy blocks on a semaphore that
 * the test (or a helper thread) posts. Where a helper must act while the
 * test thread is blocked inside a call, it waits until that thread sleeps
 * (/proc/self/task/<tid>/stat); that wait only makes the scenario
 * meaningful, the assertions hold whatever the timing.
 *
 * Every test arms a watchdog (alarm()): a hang kills the binary with the
 * name of the test instead of stalling CI. Run one test alone with
 * `test_server <name-pattern>`.
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
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "testutil.h"

#define WATCHDOG_S 60

/* ---- watchdog and small helpers -------------------------------------------- */

#include "threadutil.h"


static void nop(void *arg)
{
	(void)arg;
}

/* Returns once every message sent before it was handled. */
static void srv_sync(lsched_server *srv)
{
	assert_int_equal(lsched_perform(lsched_server_performer(srv), nop,
					NULL, LSCHED_PERFORM_WAIT),
			 0);
}

static void sem_wait_ok(sem_t *s)
{
	while (sem_wait(s) != 0)
		assert_int_equal(errno, EINTR);
}

/* ---- a record of what the server did ----------------------------------------- */

#define MAXSEEN 512

struct rec {
	lsched_server *srv;
	/* Hooks (server thread; read after a sync, a stop or a semaphore). */
	int startups, shutdowns;
	pthread_t startup_thread, shutdown_thread;
	char tname[16];
	bool loop_at_startup;
	int handled_at_shutdown; /* nseen when the shutdown hook ran */
	sem_t shutdown_sem;
	/* Handlers. */
	int nseen;
	int seen[MAXSEEN];       /* a value per handled message, in order */
	struct evlog log;
	int wrong_thread;        /* handlers/hooks not on the server thread */
	int wrong_srv;           /* handler got another server */
	int wrong_arg;           /* handler got another arg */
	int nested;              /* a handler ran inside another */
	bool in_handler;
	/* on_error */
	int errors;
	uint32_t err_id;
	int err_code;
	/* Blocking handler. */
	sem_t entered, release;
	int block_next;          /* how many handlers still block */
	/* Payloads. */
	atomic_int frees;
	atomic_int freed_unhandled;
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(sem_init(&r->shutdown_sem, 0, 0), 0);
	assert_int_equal(sem_init(&r->entered, 0, 0), 0);
	assert_int_equal(sem_init(&r->release, 0, 0), 0);
	atomic_init(&r->frees, 0);
	atomic_init(&r->freed_unhandled, 0);
}

static void rec_fini(struct rec *r)
{
	sem_destroy(&r->shutdown_sem);
	sem_destroy(&r->entered);
	sem_destroy(&r->release);
}

static void check_thread(struct rec *r)
{
	if (!pthread_equal(pthread_self(), r->startup_thread))
		r->wrong_thread++;
}

static void on_startup(lsched_server *srv, void *arg)
{
	struct rec *r = arg;

	r->srv = srv;
	r->startups++;
	r->startup_thread = pthread_self();
	pthread_getname_np(pthread_self(), r->tname, sizeof(r->tname));
	r->loop_at_startup = lsched_server_loop(srv) != NULL;
}

static void on_shutdown(lsched_server *srv, void *arg)
{
	struct rec *r = arg;

	r->shutdowns++;
	r->shutdown_thread = pthread_self();
	r->handled_at_shutdown = r->nseen;
	evlog_add(&r->log, "shutdown");
	sem_post(&r->shutdown_sem);
}

static void on_error(lsched_server *srv, uint32_t id, int err, void *arg)
{
	struct rec *r = arg;

	check_thread(r);
	if (srv != r->srv)
		r->wrong_srv++;
	r->errors++;
	r->err_id = id;
	r->err_code = err;
}

/* A payload: a value, and whether its handler saw it. */
struct payload {
	struct rec *r;
	int v;
	bool handled;
};

static struct payload *payload_new(struct rec *r, int v)
{
	struct payload *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->r = r;
	p->v = v;
	return p;
}

static void payload_free(void *arg)
{
	struct payload *p = arg;

	if (!p->handled)
		atomic_fetch_add(&p->r->freed_unhandled, 1);
	atomic_fetch_add(&p->r->frees, 1);
	free(p);
}

/* Common handler body: records the value under a tag. */
static int note(lsched_server *srv, void *payload, struct rec *r,
		const char *tag)
{
	struct payload *p = payload;
	char buf[32];

	check_thread(r);
	if (srv != r->srv)
		r->wrong_srv++;
	if (r->in_handler)
		r->nested++;
	if (p) {
		p->handled = true;
		if (r->nseen < MAXSEEN)
			r->seen[r->nseen] = p->v;
		snprintf(buf, sizeof(buf), "%s%d", tag, p->v);
	} else {
		snprintf(buf, sizeof(buf), "%s-", tag);
	}
	r->nseen++;
	evlog_add(&r->log, buf);
	return 0;
}

static int h_a(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	return note(srv, payload, arg, "a");
}

static int h_b(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	return note(srv, payload, arg, "b");
}

/* Blocks while r->block_next > 0: tells the test it entered, waits. */
static int h_block(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	struct rec *r = arg;

	note(srv, payload, r, "k");
	if (r->block_next > 0) {
		r->block_next--;
		sem_post(&r->entered);
		sem_wait_ok(&r->release);
	}
	return 0;
}

/* Fails for odd values. */
static int h_odd_fails(lsched_server *srv, uint32_t id, void *payload,
		       void *arg)
{
	struct payload *p = payload;

	note(srv, payload, arg, "f");
	return p->v % 2 ? -EPROTO : 0;
}

/* The server a test made with start_rec() and has not destroyed: the
 * teardown destroys it when an assertion ended the test early (a test that
 * hung is not helped: the watchdog ends the binary). */
static lsched_server *live_srv;

static int srv_teardown(void **state)
{
	if (live_srv) {
		lsched_server_destroy(live_srv);
		live_srv = NULL;
	}
	return 0;
}

static lsched_server *start_rec(const char *name, struct rec *r,
				size_t inbox_limit)
{
	struct lsched_server_config cfg = {
		.name = name,
		.inbox_limit = inbox_limit,
		.startup = on_startup,
		.shutdown = on_shutdown,
		.on_error = on_error,
		.arg = r,
	};
	lsched_server *srv = lsched_server_start(&cfg);

	assert_non_null(srv);
	assert_ptr_equal(r->srv, srv);
	live_srv = srv;
	return srv;
}

/* Destroys a start_rec() server; returns destroy's result. */
static int srv_destroy(lsched_server *srv)
{
	if (live_srv == srv)
		live_srv = NULL;
	return lsched_server_destroy(srv);
}

/* ---- life cycle --------------------------------------------------------------- */

static void test_server_start_stop_lifecycle(void **state)
{
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	char name[] = "lifecycle";
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec(name, &r, 0);

	/* The startup hook ran on the server's thread, before start
	 * returned, with the loop already there. */
	assert_int_equal(r.startups, 1);
	assert_false(pthread_equal(r.startup_thread, pthread_self()));
	assert_true(r.loop_at_startup);
	assert_string_equal(r.tname, "lifecycle");
	assert_int_equal(r.shutdowns, 0);

	/* The name is a copy. */
	assert_string_equal(lsched_server_name(srv), "lifecycle");
	assert_ptr_not_equal(lsched_server_name(srv), name);
	name[0] = 'X';
	assert_string_equal(lsched_server_name(srv), "lifecycle");

	assert_non_null(lsched_server_loop(srv));
	assert_non_null(lsched_server_performer(srv));
	assert_false(lsched_server_stopping(srv));

	/* Stop: the shutdown hook ran on the same thread, the thread ended
	 * (joined), its loop is gone. */
	assert_int_equal(lsched_server_stop(srv), 0);
	assert_int_equal(r.shutdowns, 1);
	assert_true(pthread_equal(r.shutdown_thread, r.startup_thread));
	assert_true(lsched_server_stopping(srv));
	assert_null(lsched_server_loop(srv));
	assert_non_null(lsched_server_performer(srv));

	/* Idempotent. */
	assert_int_equal(lsched_server_stop(srv), 0);
	assert_int_equal(r.shutdowns, 1);
	assert_int_equal(r.startups, 1);

	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

static void test_server_destroy_without_stop(void **state)
{
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("no-stop", &r, 0);
	/* destroy stops: the shutdown hook runs. */
	assert_int_equal(srv_destroy(srv), 0);
	assert_int_equal(r.startups, 1);
	assert_int_equal(r.shutdowns, 1);
	rec_fini(&r);
	watchdog_off();
}

static void test_server_thread_name_truncated(void **state)
{
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	const char *name = "a-rather-long-server-name";
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec(name, &r, 0);
	/* Thread names hold 15 bytes: the start of the server's name. */
	assert_string_equal(r.tname, "a-rather-long-s");
	assert_string_equal(lsched_server_name(srv), name);
	/* Its loop is named after the server, whole, for the tools; named
	 * before start returned, and not renamed since. */
	assert_string_equal(lsched_loop_name(lsched_server_loop(srv)), name);
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

static void test_server_invalid_config(void **state)
{
	struct lsched_server_config cfg = { 0 };
	char longname[65];

	WATCHDOG();
	errno = 0;
	assert_null(lsched_server_start(NULL));
	assert_int_equal(errno, EINVAL);

	errno = 0;
	assert_null(lsched_server_start(&cfg)); /* no name */
	assert_int_equal(errno, EINVAL);

	cfg.name = "";
	errno = 0;
	assert_null(lsched_server_start(&cfg));
	assert_int_equal(errno, EINVAL);

	memset(longname, 'n', 64);
	longname[64] = '\0';
	cfg.name = longname; /* 64 bytes: one too many */
	errno = 0;
	assert_null(lsched_server_start(&cfg));
	assert_int_equal(errno, EINVAL);
	assert_null(lsched_server_find(longname));

	longname[63] = '\0'; /* 63 bytes: the longest allowed */
	lsched_server *srv = lsched_server_start(&cfg);
	assert_non_null(srv);
	assert_string_equal(lsched_server_name(srv), longname);
	assert_ptr_equal(lsched_server_find(longname), srv);
	assert_int_equal(srv_destroy(srv), 0);
	watchdog_off();
}

static void test_server_null_arguments(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	assert_int_equal(lsched_server_handle(NULL, 1, h_a, NULL), -EINVAL);
	assert_int_equal(lsched_server_send(NULL, 1, NULL, NULL), -EINVAL);
	assert_int_equal(lsched_server_stop(NULL), -EINVAL);
	assert_int_equal(lsched_server_destroy(NULL), -EINVAL);
	assert_int_equal(lsched_server_stats(NULL, &st), -EINVAL);
	assert_false(lsched_server_stopping(NULL));
	assert_null(lsched_server_name(NULL));
	assert_null(lsched_server_find(NULL));
	assert_null(lsched_server_loop(NULL));
	assert_null(lsched_server_performer(NULL));

	rec_init(&r);
	srv = start_rec("nulls", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 1, NULL, NULL), -EINVAL);
	assert_int_equal(lsched_server_stats(srv, NULL), -EINVAL);
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

/* ---- messages ---------------------------------------------------------------- */

static void startup_registers(lsched_server *srv, void *arg)
{
	on_startup(srv, arg);
	assert_int_equal(lsched_server_handle(srv, 1, h_a, arg), 0);
}

static void test_server_messages_routed_by_id(void **state)
{
	struct lsched_server_config cfg = { .name = "router",
					    .startup = startup_registers,
					    .shutdown = on_shutdown,
					    .on_error = on_error };
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	cfg.arg = &r;
	srv = lsched_server_start(&cfg);
	assert_non_null(srv);
	/* id 1 from the startup hook, id 2 from this thread. */
	assert_int_equal(lsched_server_handle(srv, 2, h_b, &r), 0);

	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 10),
					    payload_free),
			 0);
	assert_int_equal(lsched_server_send(srv, 2, payload_new(&r, 20),
					    payload_free),
			 0);
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 30),
					    payload_free),
			 0);
	/* A NULL payload without a free function is fine. */
	assert_int_equal(lsched_server_send(srv, 2, NULL, NULL), 0);
	srv_sync(srv);

	assert_log(&r.log, "a10 b20 a30 b-");
	assert_int_equal(r.wrong_thread, 0);
	assert_int_equal(r.wrong_srv, 0);
	assert_int_equal(r.errors, 0);
	/* Every payload freed once, each after its handler saw it. */
	assert_int_equal(atomic_load(&r.frees), 3);
	assert_int_equal(atomic_load(&r.freed_unhandled), 0);

	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

struct argcheck {
	struct rec *r;
	void *expect;
	int bad;
};

static int h_checks_arg(lsched_server *srv, uint32_t id, void *payload,
			void *arg)
{
	struct argcheck *a = arg;

	if (payload != a->expect || id != 9)
		a->bad++;
	return note(srv, NULL, a->r, "c");
}

static void test_server_handler_gets_id_payload_arg(void **state)
{
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	struct argcheck a = { &r, (void *)&r.seen[3], 0 };
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("args", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 9, h_checks_arg, &a), 0);
	assert_int_equal(lsched_server_send(srv, 9, a.expect, NULL), 0);
	srv_sync(srv);
	assert_log(&r.log, "c-");
	assert_int_equal(a.bad, 0);
	assert_int_equal(r.wrong_srv, 0);
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

static void test_server_handler_replaced(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("replace", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 5, h_a, &r), 0);
	assert_int_equal(lsched_server_send(srv, 5, payload_new(&r, 1),
					    payload_free),
			 0);
	srv_sync(srv);
	assert_int_equal(lsched_server_handle(srv, 5, h_b, &r), 0);
	assert_int_equal(lsched_server_send(srv, 5, payload_new(&r, 2),
					    payload_free),
			 0);
	srv_sync(srv);
	assert_log(&r.log, "a1 b2");
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.handled, 2);
	assert_int_equal(st.failed, 0);
	assert_int_equal(atomic_load(&r.frees), 2);
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

static void test_server_no_handler_enoent(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("nohandler", &r, 0);
	assert_int_equal(lsched_server_send(srv, 77, payload_new(&r, 1),
					    payload_free),
			 0);
	srv_sync(srv);
	/* Reported through on_error, on the server's thread. */
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.err_id, 77);
	assert_int_equal(r.err_code, -ENOENT);
	assert_int_equal(r.wrong_thread, 0);
	assert_int_equal(r.wrong_srv, 0);
	/* The server owned the payload: freed all the same. */
	assert_int_equal(atomic_load(&r.frees), 1);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.handled, 0);
	assert_int_equal(st.last_error, -ENOENT);

	/* The server keeps running: once a handler exists, it is used. */
	assert_int_equal(lsched_server_handle(srv, 77, h_a, &r), 0);
	assert_int_equal(lsched_server_send(srv, 77, payload_new(&r, 2),
					    payload_free),
			 0);
	srv_sync(srv);
	assert_log(&r.log, "a2");
	assert_int_equal(r.errors, 1);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.handled, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(srv_destroy(srv), 0);
	assert_int_equal(atomic_load(&r.frees), 2);
	rec_fini(&r);
	watchdog_off();
}

static void test_server_handler_failure_reported(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("failing", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 3, h_odd_fails, &r), 0);
	for (int v = 1; v <= 6; v++)
		assert_int_equal(lsched_server_send(srv, 3, payload_new(&r, v),
						    payload_free),
				 0);
	srv_sync(srv);
	/* Every message handled in order, failures or not. */
	assert_log(&r.log, "f1 f2 f3 f4 f5 f6");
	assert_int_equal(r.errors, 3);
	assert_int_equal(r.err_id, 3);
	assert_int_equal(r.err_code, -EPROTO);
	assert_int_equal(r.wrong_thread, 0);
	assert_int_equal(atomic_load(&r.frees), 6);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 6);
	assert_int_equal(st.handled, 3);
	assert_int_equal(st.failed, 3);
	assert_int_equal(st.last_error, -EPROTO);
	assert_false(lsched_server_stopping(srv));
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

/* ---- stop ----------------------------------------------------------------------- */

static void test_server_send_after_stop_eshutdown(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;
	struct payload *p;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("after-stop", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 1, h_a, &r), 0);
	assert_int_equal(lsched_server_stop(srv), 0);

	p = payload_new(&r, 1);
	assert_int_equal(lsched_server_send(srv, 1, p, payload_free),
			 -ESHUTDOWN);
	assert_int_equal(lsched_server_send(srv, 1, NULL, NULL), -ESHUTDOWN);
	/* The payload stayed with us. */
	assert_int_equal(atomic_load(&r.frees), 0);
	assert_int_equal(r.nseen, 0);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 0);
	assert_int_equal(st.refused, 2);
	/* The performer answers too, until destroy. */
	assert_int_equal(lsched_perform(lsched_server_performer(srv), nop,
					NULL, 0),
			 -ESHUTDOWN);
	assert_int_equal(srv_destroy(srv), 0);
	payload_free(p);
	rec_fini(&r);
	watchdog_off();
}

/* Ordered messages: id 1 blocks once, then every message records. */
struct stop_helper {
	lsched_server *srv;
	struct rec *r;
	pid_t stopper_tid;
	uint64_t posts_before_stop;
};

/* Waits until the stop was posted and the stopper sleeps in it, then
 * releases the blocked handler. */
static void *release_when_stopping(void *arg)
{
	struct stop_helper *h = arg;
	struct lsched_performer_stats ps;

	for (;;) {
		assert_int_equal(lsched_performer_stats(
					 lsched_server_performer(h->srv), &ps),
				 0);
		if (lsched_server_stopping(h->srv) &&
		    ps.posts > h->posts_before_stop)
			break;
		pause_1ms();
	}
	wait_thread_sleeps(h->stopper_tid);
	sem_post(&h->r->release);
	return NULL;
}

static void test_server_stop_handles_queued_messages(void **state)
{
	struct lsched_performer_stats ps;
	struct stop_helper h;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;
	pthread_t th;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("queued-stop", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 1, h_block, &r), 0);
	r.block_next = 1;
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 0),
					    payload_free),
			 0);
	sem_wait_ok(&r.entered); /* the server is blocked in message 0 */
	for (int v = 1; v <= 100; v++)
		assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, v),
						    payload_free),
				 0);

	/* Stop from this thread while the server is blocked; a helper
	 * releases it once this thread waits in the stop. */
	assert_int_equal(lsched_performer_stats(lsched_server_performer(srv),
						&ps),
			 0);
	h = (struct stop_helper){ srv, &r, my_tid(), ps.posts };
	assert_int_equal(pthread_create(&th, NULL, release_when_stopping, &h),
			 0);
	assert_int_equal(lsched_server_stop(srv), 0);
	assert_int_equal(pthread_join(th, NULL), 0);

	/* All 101 handled, in order, before the shutdown hook. */
	assert_int_equal(r.nseen, 101);
	for (int v = 0; v <= 100; v++)
		assert_int_equal(r.seen[v], v);
	assert_int_equal(r.shutdowns, 1);
	assert_int_equal(r.handled_at_shutdown, 101);
	assert_int_equal(atomic_load(&r.frees), 101);
	assert_int_equal(atomic_load(&r.freed_unhandled), 0);
	assert_int_equal(lsched_server_send(srv, 1, NULL, NULL), -ESHUTDOWN);
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

/* A handler that stops its own server, then notes what ran meanwhile. */
struct self_stop {
	struct rec *r;
	int rc;
	int seen_before, seen_after;
	bool stopping_after;
	int destroy_rc;
};

static int h_stop_self(lsched_server *srv, uint32_t id, void *payload,
		       void *arg)
{
	struct self_stop *s = arg;

	note(srv, payload, s->r, "S");
	s->r->in_handler = true;
	s->seen_before = s->r->nseen;
	s->rc = lsched_server_stop(srv);
	s->seen_after = s->r->nseen;
	s->stopping_after = lsched_server_stopping(srv);
	s->r->in_handler = false;
	return 0;
}

static void test_server_handler_stops_own_server(void **state)
{
	struct self_stop s = { 0 };
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	s.r = &r;
	srv = start_rec("self-stop", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 1, h_block, &r), 0);
	assert_int_equal(lsched_server_handle(srv, 2, h_stop_self, &s), 0);
	assert_int_equal(lsched_server_handle(srv, 3, h_a, &r), 0);

	/* Block the server so that the stop message and two more are all
	 * accepted before it runs. */
	r.block_next = 1;
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 0),
					    payload_free),
			 0);
	sem_wait_ok(&r.entered);
	assert_int_equal(lsched_server_send(srv, 2, payload_new(&r, 1),
					    payload_free),
			 0);
	assert_int_equal(lsched_server_send(srv, 3, payload_new(&r, 2),
					    payload_free),
			 0);
	assert_int_equal(lsched_server_send(srv, 3, payload_new(&r, 3),
					    payload_free),
			 0);
	sem_post(&r.release);

	/* The server ends on its own: wait for its shutdown hook. */
	sem_wait_ok(&r.shutdown_sem);
	assert_int_equal(s.rc, 0);
	assert_true(s.stopping_after);
	/* stop returned at once: no other handler ran inside it. */
	assert_int_equal(s.seen_after, s.seen_before);
	assert_int_equal(r.nested, 0);
	/* The messages accepted before the stop were still handled, after
	 * the stopping handler, then the shutdown hook ran. */
	assert_log(&r.log, "k0 S1 a2 a3 shutdown");
	assert_int_equal(atomic_load(&r.frees), 4);
	assert_true(lsched_server_stopping(srv));
	assert_int_equal(lsched_server_send(srv, 3, NULL, NULL), -ESHUTDOWN);

	/* destroy from this thread joins the ended thread. */
	assert_int_equal(srv_destroy(srv), 0);
	assert_int_equal(r.shutdowns, 1);
	rec_fini(&r);
	watchdog_off();
}

static int h_destroy_self(lsched_server *srv, uint32_t id, void *payload,
			  void *arg)
{
	struct self_stop *s = arg;

	s->destroy_rc = lsched_server_destroy(srv);
	s->stopping_after = lsched_server_stopping(srv);
	return note(srv, payload, s->r, "D");
}

static void test_server_destroy_from_own_thread_edeadlk(void **state)
{
	struct self_stop s = { 0 };
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	s.r = &r;
	srv = start_rec("self-destroy", &r, 0);
	assert_int_equal(lsched_server_handle(srv, 1, h_destroy_self, &s), 0);
	assert_int_equal(lsched_server_handle(srv, 2, h_a, &r), 0);
	assert_int_equal(lsched_server_send(srv, 1, NULL, NULL), 0);
	srv_sync(srv);
	assert_int_equal(s.destroy_rc, -EDEADLK);
	/* Nothing was done: the server still runs and handles. */
	assert_false(s.stopping_after);
	assert_false(lsched_server_stopping(srv));
	assert_int_equal(lsched_server_send(srv, 2, payload_new(&r, 5),
					    payload_free),
			 0);
	srv_sync(srv);
	assert_log(&r.log, "D- a5");
	assert_int_equal(r.shutdowns, 0);
	assert_int_equal(srv_destroy(srv), 0);
	assert_int_equal(r.shutdowns, 1);
	rec_fini(&r);
	watchdog_off();
}

/* ---- bounded inbox ---------------------------------------------------------------- */

/*
 * inbox_limit counts the messages accepted and not yet handled: a message
 * counts from the send that returned 0 until its handler returned, so the
 * one whose handler is running counts too.
 */
static void test_server_bounded_inbox(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;
	struct payload *p;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("bounded", &r, 3);
	assert_int_equal(lsched_server_handle(srv, 1, h_block, &r), 0);
	r.block_next = 1;
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 1),
					    payload_free),
			 0);
	sem_wait_ok(&r.entered); /* message 1 is in its handler */
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 2),
					    payload_free),
			 0);
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 3),
					    payload_free),
			 0);

	/* Full: refused, the payload stays ours. */
	p = payload_new(&r, 4);
	assert_int_equal(lsched_server_send(srv, 1, p, payload_free), -EAGAIN);
	assert_int_equal(lsched_server_send(srv, 1, NULL, NULL), -EAGAIN);
	assert_int_equal(atomic_load(&r.frees), 0);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 3);
	assert_int_equal(st.refused, 2);

	/* Drained: accepted again. */
	sem_post(&r.release);
	srv_sync(srv);
	assert_int_equal(r.nseen, 3);
	assert_int_equal(lsched_server_send(srv, 1, p, payload_free), 0);
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 5),
					    payload_free),
			 0);
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 6),
					    payload_free),
			 0);
	srv_sync(srv);
	assert_log(&r.log, "k1 k2 k3 k4 k5 k6");
	assert_int_equal(atomic_load(&r.frees), 6);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 6);
	assert_int_equal(st.handled, 6);
	assert_int_equal(st.refused, 2);
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

/* A handler sending to its own full server is refused, not blocked. */
struct resend {
	struct rec *r;
	int rc;
};

static int h_resend(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	struct resend *s = arg;

	s->rc = lsched_server_send(srv, 1, NULL, NULL);
	return note(srv, payload, s->r, "R");
}

static void test_server_bounded_inbox_counts_running_handler(void **state)
{
	struct resend s = { 0 };
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	s.r = &r;
	srv = start_rec("bounded-one", &r, 1);
	assert_int_equal(lsched_server_handle(srv, 1, h_resend, &s), 0);
	assert_int_equal(lsched_server_send(srv, 1, NULL, NULL), 0);
	srv_sync(srv);
	/* With a limit of 1 the running message fills the inbox. */
	assert_int_equal(s.rc, -EAGAIN);
	assert_log(&r.log, "R-");
	assert_int_equal(srv_destroy(srv), 0);
	rec_fini(&r);
	watchdog_off();
}

/* ---- custom body ----------------------------------------------------------------- */

struct body_rec {
	struct rec r;
	int cycles;
	int run_errors;
	pthread_t thread;
};

static int custom_body(lsched_server *srv, void *arg)
{
	struct body_rec *b = arg;

	b->thread = pthread_self();
	while (!lsched_server_stopping(srv)) {
		if (lsched_loop_run(lsched_server_loop(srv), LSCHED_RUN_ONCE))
			b->run_errors++;
		b->cycles++;
	}
	return 42;
}

static void test_server_custom_body(void **state)
{
	struct body_rec b;
	struct lsched_server_config cfg = { .name = "custom-body",
					    .startup = on_startup,
					    .shutdown = on_shutdown,
					    .body = custom_body,
					    .arg = &b };
	lsched_server *srv;

	WATCHDOG();
	memset(&b, 0, sizeof(b));
	rec_init(&b.r);
	srv = lsched_server_start(&cfg);
	assert_non_null(srv);
	assert_int_equal(lsched_server_handle(srv, 1, h_a, &b.r), 0);
	for (int v = 1; v <= 3; v++)
		assert_int_equal(lsched_server_send(srv, 1,
						    payload_new(&b.r, v),
						    payload_free),
				 0);
	srv_sync(srv);
	assert_log(&b.r.log, "a1 a2 a3");
	assert_int_equal(b.r.wrong_thread, 0);

	/* The body's status comes back from destroy. */
	assert_int_equal(srv_destroy(srv), 42);
	assert_true(pthread_equal(b.thread, b.r.startup_thread));
	assert_true(b.cycles > 0);
	assert_int_equal(b.run_errors, 0);
	assert_int_equal(b.r.shutdowns, 1);
	assert_int_equal(atomic_load(&b.r.frees), 3);
	rec_fini(&b.r);
	watchdog_off();
}

/* ---- names ------------------------------------------------------------------------ */

static void test_server_find_by_name(void **state)
{
	struct lsched_server_config cfg = { .name = "findme" };
	lsched_server *a, *b;

	WATCHDOG();
	assert_null(lsched_server_find("findme"));
	a = lsched_server_start(&cfg);
	assert_non_null(a);
	cfg.name = "other";
	b = lsched_server_start(&cfg);
	assert_non_null(b);

	assert_ptr_equal(lsched_server_find("findme"), a);
	assert_ptr_equal(lsched_server_find("other"), b);
	assert_null(lsched_server_find("find"));
	assert_null(lsched_server_find("findme2"));
	assert_null(lsched_server_find(""));

	/* A live server's name is taken. */
	cfg.name = "findme";
	errno = 0;
	assert_null(lsched_server_start(&cfg));
	assert_int_equal(errno, EEXIST);
	assert_ptr_equal(lsched_server_find("findme"), a);

	/* Stopped but not destroyed: still found, name still taken. */
	assert_int_equal(lsched_server_stop(a), 0);
	assert_ptr_equal(lsched_server_find("findme"), a);
	errno = 0;
	assert_null(lsched_server_start(&cfg));
	assert_int_equal(errno, EEXIST);

	/* Destroyed: gone, and the name is free again. */
	assert_int_equal(lsched_server_destroy(a), 0);
	assert_null(lsched_server_find("findme"));
	assert_ptr_equal(lsched_server_find("other"), b);
	a = lsched_server_start(&cfg);
	assert_non_null(a);
	assert_ptr_equal(lsched_server_find("findme"), a);

	assert_int_equal(lsched_server_destroy(a), 0);
	assert_int_equal(lsched_server_destroy(b), 0);
	assert_null(lsched_server_find("findme"));
	assert_null(lsched_server_find("other"));
	watchdog_off();
}

/* ---- many senders ------------------------------------------------------------------ */

#define SENDERS 4
#define PER_SENDER 10000

struct many {
	lsched_server *srv;
	/* Server thread only. */
	uint32_t next[SENDERS];
	uint64_t handled;
	uint64_t out_of_order;
	uint64_t bad_sender;
	/* Senders. */
	atomic_int send_errors;
};

struct sender {
	struct many *m;
	uint32_t index;
};

static int h_many(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	struct many *m = arg;
	uintptr_t v = (uintptr_t)payload;
	uint32_t s = (uint32_t)(v >> 20), seq = (uint32_t)(v & 0xfffff);

	if (s >= SENDERS || id != s) {
		m->bad_sender++;
		return 0;
	}
	if (seq != m->next[s])
		m->out_of_order++;
	m->next[s] = seq + 1;
	m->handled++;
	return 0;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	for (uint32_t seq = 0; seq < PER_SENDER; seq++) {
		uintptr_t v = ((uintptr_t)s->index << 20) | seq;

		if (lsched_server_send(s->m->srv, s->index, (void *)v, NULL))
			atomic_fetch_add(&s->m->send_errors, 1);
	}
	return NULL;
}

static void test_server_many_senders(void **state)
{
	struct lsched_server_config cfg = { .name = "many" };
	struct lsched_server_stats st;
	struct sender senders[SENDERS];
	pthread_t th[SENDERS];
	struct many m;

	WATCHDOG();
	memset(&m, 0, sizeof(m));
	atomic_init(&m.send_errors, 0);
	m.srv = lsched_server_start(&cfg);
	assert_non_null(m.srv);
	for (uint32_t i = 0; i < SENDERS; i++)
		assert_int_equal(lsched_server_handle(m.srv, i, h_many, &m), 0);
	for (uint32_t i = 0; i < SENDERS; i++) {
		senders[i] = (struct sender){ &m, i };
		assert_int_equal(pthread_create(&th[i], NULL, sender_main,
						&senders[i]),
				 0);
	}
	for (int i = 0; i < SENDERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	srv_sync(m.srv);

	assert_int_equal(atomic_load(&m.send_errors), 0);
	assert_int_equal(m.handled, SENDERS * PER_SENDER);
	assert_int_equal(m.out_of_order, 0);
	assert_int_equal(m.bad_sender, 0);
	for (int i = 0; i < SENDERS; i++)
		assert_int_equal(m.next[i], PER_SENDER);
	assert_int_equal(lsched_server_stats(m.srv, &st), 0);
	assert_int_equal(st.accepted, SENDERS * PER_SENDER);
	assert_int_equal(st.handled, SENDERS * PER_SENDER);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.refused, 0);
	assert_int_equal(lsched_server_destroy(m.srv), 0);
	watchdog_off();
}

/* ---- counters -------------------------------------------------------------------------- */

static void test_server_stats(void **state)
{
	struct lsched_server_stats st;
	static struct rec r; /* outlives a failed test: see srv_teardown() */
	lsched_server *srv;

	WATCHDOG();
	rec_init(&r);
	srv = start_rec("stats", &r, 0);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 0);
	assert_int_equal(st.handled, 0);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.last_error, 0);

	assert_int_equal(lsched_server_handle(srv, 1, h_a, &r), 0);
	assert_int_equal(lsched_server_handle(srv, 2, h_odd_fails, &r), 0);
	assert_int_equal(lsched_server_send(srv, 1, payload_new(&r, 1),
					    payload_free),
			 0); /* handled */
	assert_int_equal(lsched_server_send(srv, 2, payload_new(&r, 3),
					    payload_free),
			 0); /* fails: -EPROTO */
	assert_int_equal(lsched_server_send(srv, 2, payload_new(&r, 4),
					    payload_free),
			 0); /* handled */
	assert_int_equal(lsched_server_send(srv, 9, NULL, NULL),
			 0); /* no handler: -ENOENT */
	srv_sync(srv);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 4);
	assert_int_equal(st.handled, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.last_error, -ENOENT);
	assert_int_equal(r.errors, 2);

	assert_int_equal(lsched_server_stop(srv), 0);
	assert_int_equal(lsched_server_send(srv, 1, NULL, NULL), -ESHUTDOWN);
	assert_int_equal(lsched_server_stats(srv, &st), 0);
	assert_int_equal(st.accepted, 4);
	assert_int_equal(st.handled, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.refused, 1);
	assert_int_equal(srv_destroy(srv), 0);
	assert_int_equal(atomic_load(&r.frees), 3);
	rec_fini(&r);
	watchdog_off();
}

int main(int argc, char **argv)
{
#define ST(f) cmocka_unit_test_teardown(f, srv_teardown)
	const struct CMUnitTest tests[] = {
		ST(test_server_start_stop_lifecycle),
		ST(test_server_destroy_without_stop),
		ST(test_server_thread_name_truncated),
		ST(test_server_invalid_config),
		ST(test_server_null_arguments),
		ST(test_server_messages_routed_by_id),
		ST(test_server_handler_gets_id_payload_arg),
		ST(test_server_handler_replaced),
		ST(test_server_no_handler_enoent),
		ST(test_server_handler_failure_reported),
		ST(test_server_send_after_stop_eshutdown),
		ST(test_server_destroy_from_own_thread_edeadlk),
		ST(test_server_bounded_inbox),
		ST(test_server_bounded_inbox_counts_running_handler),
		ST(test_server_custom_body),
		ST(test_server_find_by_name),
		ST(test_server_many_senders),
		ST(test_server_stats),
		ST(test_server_handler_stops_own_server),
		ST(test_server_stop_handles_queued_messages),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
