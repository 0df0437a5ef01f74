/*
 * Stress: random work against the library's guarantees, checked against a
 * reference model.
 *
 *  - model:      tasks and loop timers on a virtual clock; callbacks
 *                create, restart, stop and destroy tasks and timers at
 *                random; a reference model says what must fire and when,
 *                and every firing is checked against it (and what did not
 *                fire, at the end);
 *  - performer:  producer threads post with random flags (async or
 *                waiting, first-class or at a priority) while a closer
 *                closes the performer at a random moment: every accepted
 *                post runs exactly once, in order per producer for
 *                first-class posts, every refused one got -ESHUTDOWN and
 *                never runs, every post accepted before the close began
 *                ran when it returns, waiting posts ran before they
 *                returned;
 *  - server:     thread servers start and stop in a loop while senders
 *                send (bounded and unbounded inboxes, stops from outside
 *                and from a handler): every accepted message is handled
 *                or reported failed exactly once and its payload freed
 *                once; refusals are -EAGAIN or -ESHUTDOWN;
 *  - pool:       jobs submitted from several threads while the pool is
 *                destroyed at a random moment: every accepted job is
 *                completed exactly once (0, -ECANCELED or -ESHUTDOWN);
 *  - dispatcher: spawned dispatchers get commands from several threads
 *                and stop at a random moment: every accepted command runs
 *                or is discarded, exactly once.
 *
 * A watchdog (SIGALRM) turns a hang into a failure that names the scenario
 * and the seed. Knobs (environment):
 *   STRESS_SEED=N      the base seed (printed; round r uses N + r)
 *   STRESS_SECONDS=S   time budget per scenario (default 2)
 *   STRESS_ROUNDS=N    stop a scenario after N rounds (default: time only)
 *   STRESS_ONLY=name   run one scenario
 * The model scenario replays exactly from its seed; the threaded ones
 * replay their choices, not the threads' interleaving.
 *
 * Output: one cmocka test per scenario, and one line per scenario with
 * its rounds and counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "testutil.h"

/* ---- knobs, seeds, watchdog --------------------------------------------- */

static unsigned long base_seed;
static double budget_s = 2.0;
static long max_rounds;
static const char *only;

static const char *volatile current = "?";
static volatile unsigned long current_seed;

static void watchdog(int sig)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
			 "\nstress: watchdog: scenario %s hung (round seed %lu; "
			 "replay with STRESS_SEED=%lu STRESS_ONLY=%s)\n",
			 current, current_seed, base_seed, current);

	(void)sig;
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(3);
	_exit(3);
}

/* Each round arms the watchdog afresh: a round takes well under this,
 * also under Valgrind. */
#define ROUND_LIMIT_S 60

static void round_begin(const char *name, unsigned long seed)
{
	current = name;
	current_seed = seed;
	alarm(ROUND_LIMIT_S);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rounds go on until the budget is spent (at least one round). */
static bool more_rounds(double start, long round)
{
	if (round == 0)
		return true;
	if (max_rounds && round >= max_rounds)
		return false;
	return now_s() - start < budget_s;
}

/* xorshift64*: small, and replays from its seed. */
struct rng {
	uint64_t s;
};

static void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (!r->s)
		r->s = 1;
}

static uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n). */
static unsigned rnd(struct rng *r, unsigned n)
{
	return n ? (unsigned)((rng_next(r) >> 33) % n) : 0;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	if (us)
		nanosleep(&ts, NULL);
}

/* Threads racing an event (a close, a stop, a destroy) count their
 * attempts; the driver lets the event happen after a random number of
 * them, or once every thread is done. */
struct progress {
	atomic_long attempts;
	atomic_int finished;
};

static void wait_progress(struct progress *pg, long target, int nthreads)
{
	while (atomic_load(&pg->attempts) < target &&
	       atomic_load(&pg->finished) < nthreads)
		sleep_us(20);
}

static bool wanted(const char *name)
{
	return !only || !strcmp(only, name);
}

/* ---- model: tasks and timers on a virtual clock ---------------------------- */

#define M_OBJS 48
#define M_TIMEOUTS 6

enum m_kind { M_IDLE, M_AUTO_IDLE, M_TIMER, M_AUTO_TIMER, M_LTIMER };

/* One object and what the model expects of it. */
struct m_obj {
	struct m_world *w;
	enum m_kind kind;
	lsched_task *task;   /* tasks */
	lsched_timer *timer; /* loop timers */
	bool live;
	/* The model: */
	bool active;
	int64_t due;     /* idles: when they became ready; timers: deadline */
	int64_t timeout; /* tasks: their timeout; loop timers: first delay */
	int64_t period;  /* loop timers: 0 for one-shot */
	int auto_left;   /* auto-idles: runs before they stop themselves */
	uint64_t fired, expected;
};

struct m_world {
	struct rng rng;
	lsched_clock *clock;
	lsched_loop *loop;
	struct m_obj obj[M_OBJS];
	long actions_left; /* random actions still allowed */
	uint64_t fires, creations, destructions;
	char fail[256];
};

static const int64_t m_timeouts[M_TIMEOUTS] = {
	0, LSCHED_US(1), LSCHED_US(10), LSCHED_MS(1), LSCHED_MS(3),
	LSCHED_MS(10),
};

#define M_FAIL(w, ...)                                                         \
	do {                                                                   \
		if (!(w)->fail[0])                                             \
			snprintf((w)->fail, sizeof((w)->fail), __VA_ARGS__);   \
	} while (0)

static int64_t m_now(struct m_world *w)
{
	return lsched_clock_now(w->clock);
}

static const char *m_kind_name(enum m_kind k)
{
	static const char *const names[] = { "idle", "auto-idle", "timer",
					     "auto-timer", "loop-timer" };
	return names[k];
}

/* Nothing the model expects may have been skipped: no idle left ready
 * while the clock moved, no deadline passed without its firing. */
static void m_check_nothing_missed(struct m_world *w)
{
	int64_t now = m_now(w);

	for (int i = 0; i < M_OBJS; i++) {
		struct m_obj *o = &w->obj[i];

		if (!o->live || !o->active)
			continue;
		if (o->due < now)
			M_FAIL(w, "obj %d (%s) due at %lld missed (now %lld)", i,
			       m_kind_name(o->kind), (long long)o->due,
			       (long long)now);
	}
}

static void m_task_cb(lsched_task *t, void *arg);
static void m_timer_cb(lsched_timer *t, void *arg);

static void m_start(struct m_obj *o)
{
	int64_t now = m_now(o->w);

	if (o->kind == M_LTIMER) {
		if (lsched_timer_start(o->timer, o->timeout, o->period,
				       LSCHED_CATCHUP_SKIP))
			M_FAIL(o->w, "timer_start failed");
		o->due = now + o->timeout;
	} else {
		bool timer = o->kind == M_TIMER || o->kind == M_AUTO_TIMER;

		if (lsched_task_start(o->task))
			M_FAIL(o->w, "task_start failed");
		/* A start of a ready task (an active idle, or an active timer
		 * whose deadline passed: the clock only moves between cycles,
		 * and each cycle collects what fell due) moves nothing: it
		 * keeps its ready time. A waiting timer is re-armed. A task
		 * in its own callback is not ready (m_task_cb updated it). */
		if (!o->active || (timer && o->due > now))
			o->due = timer ? now + o->timeout : now;
		if (o->kind == M_AUTO_IDLE)
			o->auto_left = 1 + (int)rnd(&o->w->rng, 4);
	}
	o->active = true;
}

static void m_stop(struct m_obj *o)
{
	if (o->kind == M_LTIMER)
		lsched_timer_stop(o->timer);
	else
		lsched_task_stop(o->task);
	o->active = false;
}

static void m_destroy(struct m_obj *o)
{
	if (o->kind == M_LTIMER)
		lsched_timer_destroy(o->timer);
	else
		lsched_task_destroy(o->task);
	o->live = o->active = false;
	o->task = NULL;
	o->timer = NULL;
	o->w->destructions++;
}

static void m_create(struct m_world *w, int i)
{
	static const enum lsched_task_kind kinds[] = {
		LSCHED_TASK_IDLE, LSCHED_TASK_AUTO_IDLE, LSCHED_TASK_TIMER,
		LSCHED_TASK_AUTO_TIMER,
	};
	struct m_obj *o = &w->obj[i];

	memset(o, 0, sizeof(*o));
	o->w = w;
	o->kind = (enum m_kind)rnd(&w->rng, 5);
	o->timeout = m_timeouts[rnd(&w->rng, M_TIMEOUTS)];
	/* A repeating timer task with no timeout is always ready, as an
	 * auto-idle that never stops: virtual time would stand still. */
	if (o->kind == M_AUTO_TIMER && !o->timeout)
		o->timeout = m_timeouts[1];
	if (o->kind == M_LTIMER) {
		o->period = rnd(&w->rng, 2) ? m_timeouts[1 + rnd(&w->rng,
							       M_TIMEOUTS - 1)]
					    : 0;
		o->timer = lsched_timer_new(w->loop, m_timer_cb, o);
		if (!o->timer) {
			M_FAIL(w, "timer_new failed");
			return;
		}
	} else {
		o->task = lsched_task_new(w->loop, "stress", kinds[o->kind],
					  (int)rnd(&w->rng, LSCHED_PRIO_COUNT),
					  m_task_cb, o);
		if (!o->task) {
			M_FAIL(w, "task_new failed");
			return;
		}
		lsched_task_set_timeout(o->task, o->timeout);
	}
	o->live = true;
	w->creations++;
}

/* A few random actions, from inside a callback (or from the driver). */
static void m_act(struct m_world *w)
{
	int n = (int)rnd(&w->rng, 4);

	for (int k = 0; k < n && w->actions_left > 0; k++, w->actions_left--) {
		int i = (int)rnd(&w->rng, M_OBJS);
		struct m_obj *o = &w->obj[i];

		if (!o->live) {
			m_create(w, i);
			if (o->live && rnd(&w->rng, 4))
				m_start(o);
			continue;
		}
		switch (rnd(&w->rng, 6)) {
		case 0:
		case 1:
			m_start(o); /* start or restart */
			break;
		case 2:
			m_stop(o);
			break;
		case 3:
			m_destroy(o);
			break;
		case 4:
			if (o->kind != M_LTIMER)
				lsched_task_set_priority(
					o->task,
					(int)rnd(&w->rng, LSCHED_PRIO_COUNT));
			break;
		default:
			break; /* nothing */
		}
	}
}

static void m_task_cb(lsched_task *t, void *arg)
{
	struct m_obj *o = arg;
	struct m_world *w = o->w;
	int64_t now = m_now(w);
	int prio = lsched_task_priority(t);

	w->fires++;
	o->fired++;
	if (!o->live || !o->active || o->task != t)
		M_FAIL(w, "task %s ran while the model has it inactive",
		       m_kind_name(o->kind));
	else if (o->due != now)
		M_FAIL(w, "%s ran at %lld, expected at %lld",
		       m_kind_name(o->kind), (long long)now, (long long)o->due);
	/* Strict priority: nothing more urgent is ready while a task runs. */
	for (int p = 0; p < prio; p++)
		if (lsched_loop_ready_count(w->loop, p) != 0)
			M_FAIL(w, "a %s task ran while priority %d had a ready "
				  "task", lsched_priority_name(prio), p);
	o->expected++;
	switch (o->kind) {
	case M_IDLE:
	case M_TIMER:
		o->active = false;
		break;
	case M_AUTO_IDLE:
		o->due = now; /* ready again at once */
		if (--o->auto_left <= 0) {
			lsched_task_stop(t);
			o->active = false;
		}
		break;
	case M_AUTO_TIMER:
		o->due = now + o->timeout;
		break;
	default:
		break;
	}
	m_check_nothing_missed(w);
	m_act(w);
}

static void m_timer_cb(lsched_timer *t, void *arg)
{
	struct m_obj *o = arg;
	struct m_world *w = o->w;
	int64_t now = m_now(w);

	w->fires++;
	o->fired++;
	if (!o->live || !o->active || o->timer != t)
		M_FAIL(w, "loop timer fired while the model has it inactive");
	else if (o->due != now)
		M_FAIL(w, "loop timer fired at %lld, expected at %lld",
		       (long long)now, (long long)o->due);
	o->expected++;
	if (o->period)
		o->due += o->period;
	else
		o->active = false;
	m_check_nothing_missed(w);
	m_act(w);
}

/* Stops every repeating object, so the world can fall quiet. */
static void m_quiesce(struct m_world *w)
{
	for (int i = 0; i < M_OBJS; i++) {
		struct m_obj *o = &w->obj[i];

		if (o->live && o->active &&
		    (o->kind == M_AUTO_TIMER || o->kind == M_AUTO_IDLE ||
		     (o->kind == M_LTIMER && o->period)))
			m_stop(o);
	}
}

static void m_round(unsigned long seed, uint64_t *fires)
{
	struct m_world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	rng_seed(&w->rng, seed);
	w->clock = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(w->clock);
	assert_int_equal(lsched_clock_set_auto_advance(w->clock, true), 0);
	w->loop = lsched_loop_new(w->clock);
	assert_non_null(w->loop);
	w->actions_left = 2000 + rnd(&w->rng, 2000);

	/* Seed the world, run it, nudge it from outside now and then. */
	for (int step = 0; step < 40 && !w->fail[0]; step++) {
		m_act(w);
		m_act(w);
		assert_int_equal(lsched_loop_run_for(w->loop,
						     m_timeouts[rnd(&w->rng,
								    M_TIMEOUTS)]),
				 0);
		m_check_nothing_missed(w);
	}
	/* No more random actions; let what repeats stop, then let every
	 * pending one-shot fire. */
	w->actions_left = 0;
	m_quiesce(w);
	assert_int_equal(lsched_loop_run_for(w->loop, LSCHED_S(1)), 0);
	m_check_nothing_missed(w);
	for (int i = 0; i < M_OBJS && !w->fail[0]; i++) {
		struct m_obj *o = &w->obj[i];

		if (o->live && o->active)
			M_FAIL(w, "obj %d (%s) still expected to fire", i,
			       m_kind_name(o->kind));
		if (o->fired != o->expected)
			M_FAIL(w, "obj %d fired %llu times, model %llu", i,
			       (unsigned long long)o->fired,
			       (unsigned long long)o->expected);
	}
	if (w->fail[0])
		fail_msg("model, seed %lu: %s", seed, w->fail);
	/* What is left goes with the loop. */
	assert_int_equal(lsched_loop_destroy(w->loop), 0);
	lsched_clock_destroy(w->clock);
	*fires += w->fires;
	free(w);
}

static void test_stress_model(void **state)
{
	double start = now_s();
	uint64_t fires = 0;
	long r;

	if (!wanted("model"))
		skip();
	for (r = 0; more_rounds(start, r); r++) {
		round_begin("model", base_seed + (unsigned long)r);
		m_round(base_seed + (unsigned long)r, &fires);
	}
	alarm(0);
	printf("stress: model: %ld rounds, %llu firings checked\n", r,
	       (unsigned long long)fires);
}

/* ---- performer: posts racing a close --------------------------------------- */

#define P_PRODUCERS 3
#define P_POSTS 400

struct p_item {
	atomic_int runs;
	atomic_bool before_close; /* accepted before the close began */
	int rc;
	uint32_t seq;     /* per producer, first-class posts */
	int producer;
	bool first_class;
};

struct p_world {
	lsched_loop *loop;
	lsched_performer *perf;
	struct p_item items[P_PRODUCERS][P_POSTS];
	atomic_uint last_seq[P_PRODUCERS]; /* last first-class seq run + 1 */
	atomic_int order_errors;
	atomic_bool close_begun;
	struct progress pg;
	unsigned long seed;
	char fail[256];
	pthread_mutex_t fail_lock;
};

struct p_producer {
	struct p_world *w;
	int index;
	unsigned long seed;
};

static void p_fail(struct p_world *w, const char *msg, int a, int b)
{
	pthread_mutex_lock(&w->fail_lock);
	if (!w->fail[0])
		snprintf(w->fail, sizeof(w->fail), "%s (%d, %d)", msg, a, b);
	pthread_mutex_unlock(&w->fail_lock);
}

/* The work: on the loop's thread. */
static void p_work(void *arg)
{
	atomic_fetch_add(&((struct p_item *)arg)->runs, 1);
}

static struct p_world *p_world_of_first; /* for the order check */

static void p_work_ordered(void *arg)
{
	struct p_item *it = arg;
	struct p_world *w = p_world_of_first;
	unsigned last = atomic_load(&w->last_seq[it->producer]);

	/* First-class posts of one producer run in the order accepted. */
	if (it->seq + 1 <= last)
		atomic_fetch_add(&w->order_errors, 1);
	atomic_store(&w->last_seq[it->producer], it->seq + 1);
	atomic_fetch_add(&it->runs, 1);
}

static void *p_producer_main(void *arg)
{
	struct p_producer *pr = arg;
	struct p_world *w = pr->w;
	struct rng rng;
	uint32_t seq = 0;

	rng_seed(&rng, pr->seed);
	for (int i = 0; i < P_POSTS; i++) {
		struct p_item *it = &w->items[pr->index][i];
		unsigned flags = rnd(&rng, 4) == 0 ? LSCHED_PERFORM_WAIT : 0;

		it->producer = pr->index;
		it->first_class = rnd(&rng, 3) != 0;
		if (it->first_class) {
			it->seq = seq;
			it->rc = lsched_perform(w->perf, p_work_ordered, it,
						flags);
			if (it->rc == 0)
				seq++;
		} else {
			it->rc = lsched_perform_at(
				w->perf, (int)rnd(&rng, LSCHED_PRIO_COUNT),
				"stress-post", p_work, it, flags);
		}
		if (it->rc == 0) {
			if (!atomic_load(&w->close_begun))
				atomic_store(&it->before_close, true);
			if ((flags & LSCHED_PERFORM_WAIT) &&
			    atomic_load(&it->runs) != 1)
				p_fail(w, "a waiting post returned before its "
					  "work ran", pr->index, i);
		} else if (it->rc != -ESHUTDOWN) {
			p_fail(w, "a post failed with an unexpected error",
			       pr->index, it->rc);
		}
		atomic_fetch_add(&w->pg.attempts, 1);
		if (rnd(&rng, 8) == 0)
			sleep_us(rnd(&rng, 50));
	}
	atomic_fetch_add(&w->pg.finished, 1);
	return NULL;
}

static void *p_loop_main(void *arg)
{
	struct p_world *w = arg;

	if (lsched_loop_run(w->loop, LSCHED_RUN_DEFAULT) != 0)
		p_fail(w, "the loop failed", 0, 0);
	return NULL;
}

static void p_round(unsigned long seed, uint64_t *accepted_total,
		    uint64_t *refused_total)
{
	struct p_world *w = calloc(1, sizeof(*w));
	struct p_producer pr[P_PRODUCERS];
	pthread_t prod[P_PRODUCERS], looper;
	struct lsched_performer_stats st;
	struct rng rng;
	uint64_t accepted = 0, refused = 0;

	assert_non_null(w);
	pthread_mutex_init(&w->fail_lock, NULL);
	rng_seed(&rng, seed);
	w->seed = seed;
	p_world_of_first = w;
	w->loop = lsched_loop_new(NULL);
	assert_non_null(w->loop);
	w->perf = lsched_performer_new(w->loop);
	assert_non_null(w->perf);
	assert_int_equal(pthread_create(&looper, NULL, p_loop_main, w), 0);
	for (int i = 0; i < P_PRODUCERS; i++) {
		pr[i] = (struct p_producer){ w, i, rng_next(&rng) };
		assert_int_equal(pthread_create(&prod[i], NULL,
						p_producer_main, &pr[i]), 0);
	}
	/* The close, at a random moment. */
	wait_progress(&w->pg, (long)rnd(&rng, P_PRODUCERS * P_POSTS + 1),
		      P_PRODUCERS);
	atomic_store(&w->close_begun, true);
	assert_int_equal(lsched_performer_close(w->perf), 0);
	/* Everything accepted before the close began has run. */
	for (int p = 0; p < P_PRODUCERS; p++)
		for (int i = 0; i < P_POSTS; i++)
			if (atomic_load(&w->items[p][i].before_close) &&
			    atomic_load(&w->items[p][i].runs) != 1)
				p_fail(w, "a post accepted before the close "
					  "had not run when it returned", p, i);
	for (int i = 0; i < P_PRODUCERS; i++)
		pthread_join(prod[i], NULL);
	assert_int_equal(lsched_loop_stop(w->loop), 0);
	pthread_join(looper, NULL);

	for (int p = 0; p < P_PRODUCERS; p++) {
		for (int i = 0; i < P_POSTS; i++) {
			struct p_item *it = &w->items[p][i];
			int runs = atomic_load(&it->runs);

			if (it->rc == 0) {
				accepted++;
				if (runs != 1)
					p_fail(w, "an accepted post ran "
						  "other than once", i, runs);
			} else {
				refused++;
				if (runs != 0)
					p_fail(w, "a refused post ran", i,
					       runs);
			}
		}
	}
	if (atomic_load(&w->order_errors))
		p_fail(w, "first-class posts of a producer ran out of order",
		       atomic_load(&w->order_errors), 0);
	assert_int_equal(lsched_performer_stats(w->perf, &st), 0);
	if (st.posts != accepted || st.ran != accepted || st.refused != refused)
		p_fail(w, "the stats disagree with the posts", (int)st.posts,
		       (int)accepted);
	/* Closed: a post now is refused. */
	if (lsched_perform(w->perf, p_work, &w->items[0][0], 0) != -ESHUTDOWN)
		p_fail(w, "a closed performer accepted a post", 0, 0);
	lsched_performer_destroy(w->perf);
	assert_int_equal(lsched_loop_destroy(w->loop), 0);
	if (w->fail[0])
		fail_msg("performer, seed %lu: %s", seed, w->fail);
	pthread_mutex_destroy(&w->fail_lock);
	free(w);
	*accepted_total += accepted;
	*refused_total += refused;
}

static void test_stress_performer(void **state)
{
	double start = now_s();
	uint64_t accepted = 0, refused = 0;
	long r;

	if (!wanted("performer"))
		skip();
	for (r = 0; more_rounds(start, r); r++) {
		round_begin("performer", base_seed + (unsigned long)r);
		p_round(base_seed + (unsigned long)r, &accepted, &refused);
	}
	alarm(0);
	printf("stress: performer: %ld rounds, %llu posts accepted and run "
	       "once, %llu refused\n",
	       r, (unsigned long long)accepted, (unsigned long long)refused);
}

/* ---- performer: many lock-free producers racing a close and a destroy ----- */

/* Async first-class posts only, without pauses, so that nearly every post
 * takes the Performer's lock-free path, while the main thread closes the
 * performer (the loop running) or stops and destroys the loop (the
 * performer then closed by the loop's destruction) at a random moment.
 * Exactly-once, per-producer order, refusals never run, and the counters
 * are checked as in the performer scenario. */
#define Q_PRODUCERS 6
#define Q_POSTS 2000

struct q_world {
	lsched_loop *loop;
	lsched_performer *perf;
	atomic_int runs[Q_PRODUCERS][Q_POSTS];
	int rc[Q_PRODUCERS][Q_POSTS];
	atomic_bool before_end[Q_PRODUCERS][Q_POSTS];
	int last[Q_PRODUCERS]; /* loop thread: last index run + 1 */
	atomic_int order_errors;
	atomic_bool end_begun;
	struct progress pg;
};

struct q_post {
	struct q_world *w;
	int producer, index;
};

static struct q_post q_posts[Q_PRODUCERS][Q_POSTS];

static void q_work(void *arg)
{
	struct q_post *qp = arg;
	struct q_world *w = qp->w;

	if (qp->index < w->last[qp->producer])
		atomic_fetch_add(&w->order_errors, 1);
	w->last[qp->producer] = qp->index + 1;
	atomic_fetch_add(&w->runs[qp->producer][qp->index], 1);
}

struct q_producer {
	struct q_world *w;
	int index;
};

static void *q_producer_main(void *arg)
{
	struct q_producer *pr = arg;
	struct q_world *w = pr->w;

	for (int i = 0; i < Q_POSTS; i++) {
		int rc = lsched_perform(w->perf, q_work,
					&q_posts[pr->index][i], 0);

		w->rc[pr->index][i] = rc;
		if (rc == 0 && !atomic_load(&w->end_begun))
			atomic_store(&w->before_end[pr->index][i], true);
		atomic_fetch_add(&w->pg.attempts, 1);
	}
	atomic_fetch_add(&w->pg.finished, 1);
	return NULL;
}

static void *q_loop_main(void *arg)
{
	struct q_world *w = arg;

	lsched_loop_run(w->loop, LSCHED_RUN_DEFAULT);
	return NULL;
}

static void q_round(unsigned long seed, uint64_t *accepted_total,
		    uint64_t *refused_total)
{
	struct q_world *w = calloc(1, sizeof(*w));
	struct q_producer pr[Q_PRODUCERS];
	pthread_t prod[Q_PRODUCERS], looper;
	struct lsched_performer_stats st;
	struct rng rng;
	uint64_t accepted = 0, refused = 0;
	bool destroy_loop;
	char fail[160] = "";

	assert_non_null(w);
	rng_seed(&rng, seed);
	destroy_loop = rnd(&rng, 2);
	w->loop = lsched_loop_new(NULL);
	assert_non_null(w->loop);
	w->perf = lsched_performer_new(w->loop);
	assert_non_null(w->perf);
	for (int p = 0; p < Q_PRODUCERS; p++)
		for (int i = 0; i < Q_POSTS; i++)
			q_posts[p][i] = (struct q_post){ w, p, i };
	assert_int_equal(pthread_create(&looper, NULL, q_loop_main, w), 0);
	for (int i = 0; i < Q_PRODUCERS; i++) {
		pr[i] = (struct q_producer){ w, i };
		assert_int_equal(pthread_create(&prod[i], NULL,
						q_producer_main, &pr[i]), 0);
	}
	wait_progress(&w->pg, (long)rnd(&rng, Q_PRODUCERS * Q_POSTS + 1),
		      Q_PRODUCERS);
	atomic_store(&w->end_begun, true);
	if (destroy_loop) {
		/* The producers keep posting to a stopped loop (accepted),
		 * then to a destroyed one (refused). */
		assert_int_equal(lsched_loop_stop(w->loop), 0);
		pthread_join(looper, NULL);
		assert_int_equal(lsched_loop_destroy(w->loop), 0);
	} else {
		assert_int_equal(lsched_performer_close(w->perf), 0);
	}
	/* Everything accepted before the close (or destroy) began ran. */
	for (int p = 0; p < Q_PRODUCERS; p++)
		for (int i = 0; i < Q_POSTS; i++)
			if (atomic_load(&w->before_end[p][i]) &&
			    atomic_load(&w->runs[p][i]) != 1 && !fail[0])
				snprintf(fail, sizeof(fail),
					 "post %d/%d accepted before the end "
					 "had not run when it returned", p, i);
	for (int i = 0; i < Q_PRODUCERS; i++)
		pthread_join(prod[i], NULL);
	if (!destroy_loop) {
		assert_int_equal(lsched_loop_stop(w->loop), 0);
		pthread_join(looper, NULL);
	}
	for (int p = 0; p < Q_PRODUCERS; p++) {
		for (int i = 0; i < Q_POSTS; i++) {
			int runs = atomic_load(&w->runs[p][i]);
			int rc = w->rc[p][i];

			if (rc == 0)
				accepted++;
			else
				refused++;
			if (rc != 0 && rc != -ESHUTDOWN && !fail[0])
				snprintf(fail, sizeof(fail),
					 "post %d/%d: unexpected error %d", p,
					 i, rc);
			if (runs != (rc == 0) && !fail[0])
				snprintf(fail, sizeof(fail),
					 "post %d/%d (rc %d) ran %d times", p,
					 i, rc, runs);
		}
	}
	if (atomic_load(&w->order_errors) && !fail[0])
		snprintf(fail, sizeof(fail),
			 "posts of a producer ran out of order (%d)",
			 atomic_load(&w->order_errors));
	assert_int_equal(lsched_performer_stats(w->perf, &st), 0);
	if ((st.posts != accepted || st.ran != accepted ||
	     st.refused != refused) && !fail[0])
		snprintf(fail, sizeof(fail),
			 "stats: posts %llu ran %llu refused %llu, expected "
			 "%llu accepted %llu refused",
			 (unsigned long long)st.posts,
			 (unsigned long long)st.ran,
			 (unsigned long long)st.refused,
			 (unsigned long long)accepted,
			 (unsigned long long)refused);
	if (lsched_perform(w->perf, q_work, &q_posts[0][0], 0) != -ESHUTDOWN &&
	    !fail[0])
		snprintf(fail, sizeof(fail), "accepted a post after the end");
	lsched_performer_destroy(w->perf);
	if (!destroy_loop)
		assert_int_equal(lsched_loop_destroy(w->loop), 0);
	free(w);
	if (fail[0])
		fail_msg("performer_end (%s), seed %lu: %s",
			 destroy_loop ? "loop destroy" : "close", seed, fail);
	*accepted_total += accepted;
	*refused_total += refused;
}

static void test_stress_performer_end(void **state)
{
	double start = now_s();
	uint64_t accepted = 0, refused = 0;
	long r;

	if (!wanted("performer_end"))
		skip();
	for (r = 0; more_rounds(start, r); r++) {
		round_begin("performer_end", base_seed + (unsigned long)r);
		q_round(base_seed + (unsigned long)r, &accepted, &refused);
	}
	alarm(0);
	printf("stress: performer_end: %ld rounds, %llu posts accepted and "
	       "run once, %llu refused\n",
	       r, (unsigned long long)accepted, (unsigned long long)refused);
}

/* ---- servers: start, send, stop -------------------------------------------- */

#define S_SENDERS 3
#define S_SENDS 300
#define S_MSG_HANDLED 1
#define S_MSG_FAILS 2
#define S_MSG_STOP 3
#define S_MSG_UNKNOWN 4

struct s_world {
	atomic_long handled, failed_reported, freed, accepted, refused;
	atomic_int bad_refusals;
	struct progress pg;
	lsched_server *srv;
};

struct s_payload {
	struct s_world *w;
	atomic_int frees;
};

static void s_free(void *p)
{
	struct s_payload *pl = p;

	atomic_fetch_add(&pl->w->freed, 1);
	if (atomic_fetch_add(&pl->frees, 1) != 0)
		abort(); /* freed twice: the sanitizers would say so too */
	free(pl);
}

static int s_handle(lsched_server *srv, uint32_t id, void *payload, void *arg)
{
	struct s_world *w = arg;

	switch (id) {
	case S_MSG_FAILS:
		return -EIO;
	case S_MSG_STOP:
		lsched_server_stop(srv); /* from a handler: asks and returns */
		break;
	default:
		break;
	}
	atomic_fetch_add(&w->handled, 1);
	return 0;
}

static void s_on_error(lsched_server *srv, uint32_t id, int err, void *arg)
{
	struct s_world *w = arg;

	if ((id == S_MSG_FAILS && err == -EIO) ||
	    (id == S_MSG_UNKNOWN && err == -ENOENT))
		atomic_fetch_add(&w->failed_reported, 1);
}

static void s_startup(lsched_server *srv, void *arg)
{
	lsched_server_handle(srv, S_MSG_HANDLED, s_handle, arg);
	lsched_server_handle(srv, S_MSG_FAILS, s_handle, arg);
	lsched_server_handle(srv, S_MSG_STOP, s_handle, arg);
}

struct s_sender {
	struct s_world *w;
	unsigned long seed;
};

static void *s_sender_main(void *arg)
{
	struct s_sender *s = arg;
	struct s_world *w = s->w;
	struct rng rng;

	rng_seed(&rng, s->seed);
	for (int i = 0; i < S_SENDS; i++) {
		struct s_payload *pl = malloc(sizeof(*pl));
		unsigned r = rnd(&rng, 1000);
		uint32_t id = r < 800   ? S_MSG_HANDLED
			      : r < 900 ? S_MSG_FAILS
			      : r < 998 ? S_MSG_UNKNOWN
					: S_MSG_STOP;
		int rc;

		if (!pl)
			abort();
		pl->w = w;
		atomic_init(&pl->frees, 0);
		rc = lsched_server_send(w->srv, id, pl, s_free);
		if (rc == 0) {
			atomic_fetch_add(&w->accepted, 1);
		} else {
			/* Refused: the payload is still ours. */
			if (rc != -EAGAIN && rc != -ESHUTDOWN)
				atomic_fetch_add(&w->bad_refusals, 1);
			atomic_fetch_add(&w->refused, 1);
			free(pl);
			if (rc == -ESHUTDOWN)
				break;
		}
		atomic_fetch_add(&w->pg.attempts, 1);
		if (rnd(&rng, 8) == 0)
			sleep_us(rnd(&rng, 30));
	}
	atomic_fetch_add(&w->pg.finished, 1);
	return NULL;
}

static void s_round(unsigned long seed, uint64_t *accepted_total)
{
	struct s_world w = { 0 };
	struct s_sender snd[S_SENDERS];
	pthread_t th[S_SENDERS];
	struct lsched_server_stats st;
	struct rng rng;
	char name[32];
	struct lsched_server_config cfg = { 0 };

	rng_seed(&rng, seed);
	snprintf(name, sizeof(name), "stress-%lu", seed % 100000);
	cfg.name = name;
	cfg.inbox_limit = rnd(&rng, 2) ? 0 : 1 + rnd(&rng, 16);
	cfg.startup = s_startup;
	cfg.on_error = s_on_error;
	cfg.arg = &w;
	w.srv = lsched_server_start(&cfg);
	assert_non_null(w.srv);
	for (int i = 0; i < S_SENDERS; i++) {
		snd[i] = (struct s_sender){ &w, rng_next(&rng) };
		assert_int_equal(pthread_create(&th[i], NULL, s_sender_main,
						&snd[i]), 0);
	}
	wait_progress(&w.pg, (long)rnd(&rng, S_SENDERS * S_SENDS + 1),
		      S_SENDERS);
	assert_int_equal(lsched_server_stop(w.srv), 0);
	assert_true(lsched_server_stopping(w.srv));
	for (int i = 0; i < S_SENDERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(lsched_server_stats(w.srv, &st), 0);
	assert_int_equal(lsched_server_destroy(w.srv), 0);

	if (atomic_load(&w.bad_refusals))
		fail_msg("server, seed %lu: a send failed with an error other "
			 "than -EAGAIN or -ESHUTDOWN", seed);
	/* Every accepted message was handled or reported failed, once, and
	 * its payload freed once. */
	if ((long)st.accepted != atomic_load(&w.accepted) ||
	    (long)(st.handled + st.failed) != atomic_load(&w.accepted) ||
	    atomic_load(&w.freed) != atomic_load(&w.accepted) ||
	    (long)st.handled != atomic_load(&w.handled) ||
	    (long)st.failed != atomic_load(&w.failed_reported) ||
	    (long)st.refused != atomic_load(&w.refused))
		fail_msg("server, seed %lu: accepted %ld (stats %llu), handled "
			 "%llu + failed %llu, freed %ld, handler saw %ld, "
			 "errors reported %ld, refused %ld (stats %llu)",
			 seed, atomic_load(&w.accepted),
			 (unsigned long long)st.accepted,
			 (unsigned long long)st.handled,
			 (unsigned long long)st.failed, atomic_load(&w.freed),
			 atomic_load(&w.handled),
			 atomic_load(&w.failed_reported),
			 atomic_load(&w.refused),
			 (unsigned long long)st.refused);
	*accepted_total += (uint64_t)atomic_load(&w.accepted);
}

static void test_stress_server(void **state)
{
	double start = now_s();
	uint64_t accepted = 0;
	long r;

	if (!wanted("server"))
		skip();
	for (r = 0; more_rounds(start, r); r++) {
		round_begin("server", base_seed + (unsigned long)r);
		s_round(base_seed + (unsigned long)r, &accepted);
	}
	alarm(0);
	printf("stress: server: %ld servers started and stopped, %llu "
	       "messages accepted and handled once\n",
	       r, (unsigned long long)accepted);
}

/* ---- pool: submissions racing a destroy ------------------------------------ */

#define J_SUBMITTERS 3
#define J_JOBS 200

struct j_rec {
	atomic_int done;
	atomic_int status;
	int rc;
};

struct j_world {
	lsched_pool *pool;
	lsched_loop *loop;
	lsched_performer *reply;
	struct j_rec rec[J_SUBMITTERS][J_JOBS];
	atomic_long completions;
	struct progress pg;
	atomic_bool gate_running, gate_open;
	atomic_int gate_done, gate_status;
	int cancelled;
};

struct j_submitter {
	struct j_world *w;
	int index;
	unsigned long seed;
};

static int j_job(void *arg, void **result)
{
	struct j_rec *r = arg;

	*result = r;
	if ((uintptr_t)r % 7 == 0)
		sleep_us(20);
	return 0;
}

static struct j_world *j_current;

static void j_done(int status, void *result, void *arg)
{
	struct j_rec *r = arg;

	atomic_store(&r->status, status);
	atomic_fetch_add(&r->done, 1);
	atomic_fetch_add(&j_current->completions, 1);
}

/* The gate job: keeps a worker busy, so that lsched_pool_destroy() cannot
 * return (its handle stays valid) while the submitters race its start. */
static int j_gate_job(void *arg, void **result)
{
	struct j_world *w = arg;

	atomic_store(&w->gate_running, true);
	while (!atomic_load(&w->gate_open))
		sleep_us(100);
	return 0;
}

static void j_gate_done(int status, void *result, void *arg)
{
	struct j_world *w = arg;

	atomic_store(&w->gate_status, status);
	atomic_fetch_add(&w->gate_done, 1);
}

static void *j_submitter_main(void *arg)
{
	struct j_submitter *s = arg;
	struct j_world *w = s->w;
	struct rng rng;

	rng_seed(&rng, s->seed);
	for (int i = 0; i < J_JOBS; i++) {
		struct j_rec *r = &w->rec[s->index][i];

		r->rc = lsched_pool_submit(w->pool, w->reply, j_job, j_done,
					   r);
		atomic_fetch_add(&w->pg.attempts, 1);
		if (r->rc == -ESHUTDOWN)
			break; /* the handle is about to go */
		if (rnd(&rng, 8) == 0)
			sleep_us(rnd(&rng, 30));
	}
	atomic_fetch_add(&w->pg.finished, 1);
	return NULL;
}

static void *j_destroy_main(void *arg)
{
	struct j_world *w = arg;

	w->cancelled = lsched_pool_destroy(w->pool);
	return NULL;
}

static void *j_loop_main(void *arg)
{
	struct j_world *w = arg;

	lsched_loop_run(w->loop, LSCHED_RUN_DEFAULT);
	return NULL;
}

static void j_round(unsigned long seed, uint64_t *jobs_total)
{
	struct j_world *w = calloc(1, sizeof(*w));
	struct j_submitter sub[J_SUBMITTERS];
	pthread_t th[J_SUBMITTERS], looper, destroyer;
	struct rng rng;
	long accepted = 0;

	assert_non_null(w);
	for (int s = 0; s < J_SUBMITTERS; s++)
		for (int i = 0; i < J_JOBS; i++)
			w->rec[s][i].rc = 1; /* not submitted */
	j_current = w;
	rng_seed(&rng, seed);
	w->loop = lsched_loop_new(NULL);
	assert_non_null(w->loop);
	w->reply = lsched_performer_new(w->loop);
	assert_non_null(w->reply);
	w->pool = lsched_pool_new(1 + rnd(&rng, 4), "stress");
	assert_non_null(w->pool);
	assert_int_equal(pthread_create(&looper, NULL, j_loop_main, w), 0);
	assert_int_equal(lsched_pool_submit(w->pool, w->reply, j_gate_job,
					    j_gate_done, w), 0);
	while (!atomic_load(&w->gate_running))
		sleep_us(100);
	for (int i = 0; i < J_SUBMITTERS; i++) {
		sub[i] = (struct j_submitter){ w, i, rng_next(&rng) };
		assert_int_equal(pthread_create(&th[i], NULL, j_submitter_main,
						&sub[i]), 0);
	}
	wait_progress(&w->pg, (long)rnd(&rng, J_SUBMITTERS * J_JOBS + 1),
		      J_SUBMITTERS);
	/* Destroy races the submitters on another thread; the gate job keeps
	 * it from returning (and the handle from going) until they are done. */
	assert_int_equal(pthread_create(&destroyer, NULL, j_destroy_main, w), 0);
	for (int i = 0; i < J_SUBMITTERS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&w->gate_open, true);
	pthread_join(destroyer, NULL);
	if (w->cancelled < 0)
		fail_msg("pool, seed %lu: destroy failed (%d)", seed,
			 w->cancelled);
	for (int s = 0; s < J_SUBMITTERS; s++)
		for (int i = 0; i < J_JOBS; i++)
			accepted += w->rec[s][i].rc == 0;
	/* Completions still in the reply performer run on the loop. */
	while (atomic_load(&w->completions) < accepted ||
	       !atomic_load(&w->gate_done))
		sleep_us(200);
	if (atomic_load(&w->gate_done) != 1 || atomic_load(&w->gate_status))
		fail_msg("pool, seed %lu: the running job completed %d times, "
			 "status %d", seed, atomic_load(&w->gate_done),
			 atomic_load(&w->gate_status));
	assert_int_equal(lsched_loop_stop(w->loop), 0);
	pthread_join(looper, NULL);
	for (int s = 0; s < J_SUBMITTERS; s++) {
		for (int i = 0; i < J_JOBS; i++) {
			struct j_rec *r = &w->rec[s][i];
			int st = atomic_load(&r->status);

			if (r->rc == 0 && (atomic_load(&r->done) != 1 ||
					   (st != 0 && st != -ECANCELED &&
					    st != -ESHUTDOWN)))
				fail_msg("pool, seed %lu: job %d/%d completed "
					 "%d times, status %d", seed, s, i,
					 atomic_load(&r->done), st);
			if (r->rc != 0 && atomic_load(&r->done) != 0)
				fail_msg("pool, seed %lu: a refused job "
					 "completed", seed);
			if (r->rc != 0 && r->rc != 1 && r->rc != -ESHUTDOWN)
				fail_msg("pool, seed %lu: submit failed with "
					 "%d", seed, r->rc);
		}
	}
	lsched_performer_destroy(w->reply);
	assert_int_equal(lsched_loop_destroy(w->loop), 0);
	free(w);
	*jobs_total += (uint64_t)accepted;
}

static void test_stress_pool(void **state)
{
	double start = now_s();
	uint64_t jobs = 0;
	long r;

	if (!wanted("pool"))
		skip();
	for (r = 0; more_rounds(start, r); r++) {
		round_begin("pool", base_seed + (unsigned long)r);
		j_round(base_seed + (unsigned long)r, &jobs);
	}
	alarm(0);
	printf("stress: pool: %ld pools destroyed while busy, %llu jobs "
	       "completed once\n", r, (unsigned long long)jobs);
}

/* ---- dispatcher: commands racing a stop ------------------------------------- */

#define D_SENDERS 2
#define D_CMDS 200

struct d_rec {
	atomic_int ran, discarded;
	int rc;
};

struct d_world {
	lsched_dispatcher *d;
	struct d_rec rec[D_SENDERS][D_CMDS];
	atomic_long builds;
	struct progress pg;
};

struct d_sender {
	struct d_world *w;
	int index;
	unsigned long seed;
};

static void d_cmd(void *arg)
{
	atomic_fetch_add(&((struct d_rec *)arg)->ran, 1);
}

static void d_discard(void *arg)
{
	atomic_fetch_add(&((struct d_rec *)arg)->discarded, 1);
}

static void d_build(void *arg)
{
	atomic_fetch_add(&((struct d_world *)arg)->builds, 1);
}

static void *d_sender_main(void *arg)
{
	struct d_sender *s = arg;
	struct rng rng;

	rng_seed(&rng, s->seed);
	for (int i = 0; i < D_CMDS; i++) {
		struct d_rec *r = &s->w->rec[s->index][i];

		r->rc = lsched_dispatcher_enqueue(s->w->d, "stress", d_cmd,
						  d_discard, r);
		atomic_fetch_add(&s->w->pg.attempts, 1);
		if (rnd(&rng, 6) == 0)
			sleep_us(rnd(&rng, 40));
	}
	atomic_fetch_add(&s->w->pg.finished, 1);
	return NULL;
}

static void d_round(unsigned long seed, uint64_t *cmds_total)
{
	struct d_world *w = calloc(1, sizeof(*w));
	struct lsched_dispatcher_config cfg = {
		.builder = d_build,
		.latency_ns = LSCHED_US(200),
		.force_ns = LSCHED_MS(2),
	};
	struct d_sender snd[D_SENDERS];
	pthread_t th[D_SENDERS];
	struct lsched_dispatcher_stats st;
	struct rng rng;
	char name[32];
	long accepted = 0, ran = 0, discarded = 0;
	int stop_discarded;

	assert_non_null(w);
	rng_seed(&rng, seed);
	cfg.builder_arg = w;
	snprintf(name, sizeof(name), "stress-d-%lu", seed % 100000);
	w->d = lsched_dispatcher_spawn(name, &cfg);
	assert_non_null(w->d);
	for (int i = 0; i < D_SENDERS; i++) {
		snd[i] = (struct d_sender){ w, i, rng_next(&rng) };
		assert_int_equal(pthread_create(&th[i], NULL, d_sender_main,
						&snd[i]), 0);
	}
	wait_progress(&w->pg, (long)rnd(&rng, D_SENDERS * D_CMDS + 1),
		      D_SENDERS);
	if (rnd(&rng, 3) == 0) {
		assert_int_equal(lsched_dispatcher_deactivate(w->d), 0);
		sleep_us(rnd(&rng, 500));
		if (rnd(&rng, 2))
			assert_int_equal(lsched_dispatcher_activate(w->d), 0);
	}
	stop_discarded = lsched_dispatcher_stop(w->d);
	assert_true(stop_discarded >= 0);
	for (int i = 0; i < D_SENDERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(lsched_dispatcher_stats(w->d, &st), 0);
	assert_true(lsched_dispatcher_destroy(w->d) >= 0);
	for (int s = 0; s < D_SENDERS; s++) {
		for (int i = 0; i < D_CMDS; i++) {
			struct d_rec *r = &w->rec[s][i];
			int n = atomic_load(&r->ran) + atomic_load(&r->discarded);

			if (r->rc == 0) {
				accepted++;
				ran += atomic_load(&r->ran);
				discarded += atomic_load(&r->discarded);
				if (n != 1)
					fail_msg("dispatcher, seed %lu: command "
						 "ran %d and discarded %d times",
						 seed, atomic_load(&r->ran),
						 atomic_load(&r->discarded));
			} else if (n != 0 || r->rc != -ESHUTDOWN) {
				fail_msg("dispatcher, seed %lu: a refused "
					 "command (%d) ran or was discarded",
					 seed, r->rc);
			}
		}
	}
	if ((long)st.enqueued != accepted || (long)st.executed != ran ||
	    (long)st.discarded != discarded || st.queued != 0)
		fail_msg("dispatcher, seed %lu: stats enqueued %llu executed "
			 "%llu discarded %llu queued %u; counted %ld %ld %ld",
			 seed, (unsigned long long)st.enqueued,
			 (unsigned long long)st.executed,
			 (unsigned long long)st.discarded, st.queued, accepted,
			 ran, discarded);
	free(w);
	*cmds_total += (uint64_t)accepted;
}

static void test_stress_dispatcher(void **state)
{
	double start = now_s();
	uint64_t cmds = 0;
	long r;

	if (!wanted("dispatcher"))
		skip();
	for (r = 0; more_rounds(start, r); r++) {
		round_begin("dispatcher", base_seed + (unsigned long)r);
		d_round(base_seed + (unsigned long)r, &cmds);
	}
	alarm(0);
	printf("stress: dispatcher: %ld dispatchers stopped while busy, %llu "
	       "commands run or discarded once\n",
	       r, (unsigned long long)cmds);
}

int main(void)
{
	const char *s;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_model),
		cmocka_unit_test(test_stress_performer),
		cmocka_unit_test(test_stress_performer_end),
		cmocka_unit_test(test_stress_server),
		cmocka_unit_test(test_stress_pool),
		cmocka_unit_test(test_stress_dispatcher),
	};

	s = getenv("STRESS_SEED");
	base_seed = s && *s ? strtoul(s, NULL, 0)
			    : (unsigned long)time(NULL) ^
				      ((unsigned long)getpid() << 16);
	s = getenv("STRESS_SECONDS");
	if (s && *s)
		budget_s = strtod(s, NULL);
	s = getenv("STRESS_ROUNDS");
	if (s && *s)
		max_rounds = strtol(s, NULL, 0);
	only = getenv("STRESS_ONLY");
	if (only && !*only)
		only = NULL;
	signal(SIGALRM, watchdog);
	printf("stress: seed %lu, %.1f s per scenario (replay: STRESS_SEED=%lu)\n",
	       base_seed, budget_s, base_seed);
	fflush(stdout);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
