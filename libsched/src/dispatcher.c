/*
 * The command dispatcher, built from the scheduler's parts: the command
 * queue is drained by an auto-idle task, one command per run; the builder
 * is a timer task re-armed after every command to min(latency, the time
 * left before the force bound), with a maximum wait so that once due it
 * runs ahead of queued commands. Every state change travels through the
 * loop's performer, so it lands between two actions.
 */
#include "internal.h"

#include <libsched/dispatcher.h>
#include <libsched/server.h>
#include <pthread.h>
#include <stdlib.h>

struct cmd {
	struct cmd *next;
	lsched_dispatcher *d;
	lsched_command_fn fn;
	lsched_command_fn discard;
	void *arg;
	const char *name;
};

struct lsched_dispatcher {
	struct lsched_dispatcher_config cfg;
	lsched_loop *loop;
	lsched_performer *perf; /* ours, or the server's when spawned */
	lsched_server *server;  /* when spawned */

	/* Loop thread only: */
	struct cmd *head, *tail;
	lsched_task *runner;
	lsched_task *builder;
	int64_t dirty_since;
	int setup_err;
	int shutdown_discards; /* discarded by a spawned server's shutdown */
	int busy;     /* a command or build of ours runs */
	uint64_t ncommands;    /* commands run, for the trace */
	uint64_t since_build;  /* commands run since the last build */
	bool zombie;  /* destroyed by it: freed when it returns */

	/* Under lock (written on the loop thread, read anywhere): */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool active, dormant, stopped, dirty;
	uint32_t queued;
	uint32_t posting; /* enqueues accepted, their push not posted yet */
	uint64_t enqueued, executed, discarded, builds_latency, builds_forced;
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void dfree(lsched_dispatcher *d);

/* A command or build may destroy its dispatcher (on its loop's thread,
 * as allowed): the struct outlives the callback. Returns true if the
 * dispatcher is gone and the caller must not touch it. */
static bool unbusy(lsched_dispatcher *d)
{
	if (--d->busy == 0 && d->zombie) {
		dfree(d);
		return true;
	}
	return d->zombie;
}

/* ---- on the loop's thread -------------------------------------------------- */

static void arm_builder(lsched_dispatcher *d)
{
	int64_t now, left;

	/* Already due: it runs next (max wait); re-arming would push a
	 * forced build back. */
	if (lsched_task_ready_since(d->builder) >= 0)
		return;
	now = lsched_loop_update_now(d->loop);
	left = d->dirty_since + d->cfg.force_ns - now;

	lsched_task_set_timeout(d->builder,
				min64(d->cfg.latency_ns, left > 0 ? left : 0));
	lsched_task_start(d->builder);
}

static void run_command(lsched_task *task, void *arg)
{
	lsched_dispatcher *d = arg;
	struct cmd *c = d->head;
	lsched_loop *loop;
	int64_t begin = 0;
	uint32_t queued;
	bool traced;

	if (!c) {
		lsched_task_stop(task);
		return;
	}
	d->head = c->next;
	if (!d->head) {
		d->tail = NULL;
		lsched_task_stop(task); /* nothing left: the runner sleeps */
	}
	pthread_mutex_lock(&d->lock);
	queued = --d->queued;
	pthread_mutex_unlock(&d->lock);

	d->ncommands++;
	d->since_build++;
	/* Only a run whose begin was read is traced. */
	traced = LSCHED_TRACE_ON(dispatch_command);
	loop = d->loop;
	if (traced)
		begin = lsched__clock_read(loop->clock);
	d->busy++;
	c->fn(c->arg);
	/* The name must still be valid here: see lsched_dispatcher_enqueue(). */
	if (traced)
		LSCHED_TRACE(dispatch_command, loop, d, task->id, d->ncommands,
			     c->name, queued, begin,
			     lsched__clock_read(loop->clock));
	free(c);
	if (unbusy(d))
		return;

	pthread_mutex_lock(&d->lock);
	d->executed++;
	if (!d->dirty) {
		d->dirty = true;
		d->dirty_since = lsched_loop_update_now(d->loop);
	}
	pthread_mutex_unlock(&d->lock);
	if (d->active && !d->stopped)
		arm_builder(d);
}

static void run_builder(lsched_task *task, void *arg)
{
	lsched_dispatcher *d = arg;
	bool forced = lsched_loop_now(d->loop) - d->dirty_since >=
		      d->cfg.force_ns;
	lsched_loop *loop = d->loop;
	bool traced = LSCHED_TRACE_ON(dispatch_build);
	int64_t begin = 0, dirty_since = 0;
	uint64_t commands = 0;

	if (traced) {
		dirty_since = d->dirty_since;
		commands = d->since_build;
		begin = lsched__clock_read(loop->clock);
	}

	pthread_mutex_lock(&d->lock);
	d->dirty = false;
	if (forced)
		d->builds_forced++;
	else
		d->builds_latency++;
	pthread_mutex_unlock(&d->lock);
	d->since_build = 0;
	d->busy++;
	d->cfg.builder(d->cfg.builder_arg);
	if (traced)
		LSCHED_TRACE(dispatch_build, loop, d, task->id,
			     forced ? LSCHED_TP_BUILD_FORCED
				    : LSCHED_TP_BUILD_LATENCY,
			     dirty_since, commands, begin,
			     lsched__clock_read(loop->clock));
	unbusy(d);
}

static void push_command(void *arg)
{
	struct cmd *c = arg;
	lsched_dispatcher *d = c->d;

	pthread_mutex_lock(&d->lock);
	if (d->stopped) {
		/* Accepted before the stop, arrived after it. */
		d->discarded++;
		d->queued--;
		pthread_mutex_unlock(&d->lock);
		if (c->discard)
			c->discard(c->arg);
		free(c);
		return;
	}
	pthread_mutex_unlock(&d->lock);
	c->next = NULL;
	if (d->tail)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	if (d->active && !lsched_task_is_active(d->runner))
		lsched_task_start(d->runner);
}

static void do_deactivate(void *arg)
{
	lsched_dispatcher *d = arg;

	if (d->stopped)
		return;
	lsched_task_stop(d->runner);
	lsched_task_stop(d->builder);
	pthread_mutex_lock(&d->lock);
	d->active = false;
	d->dormant = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void do_activate(void *arg)
{
	lsched_dispatcher *d = arg;
	bool dirty;

	if (d->stopped)
		return;
	pthread_mutex_lock(&d->lock);
	d->active = true;
	d->dormant = false;
	dirty = d->dirty;
	pthread_mutex_unlock(&d->lock);
	if (d->head)
		lsched_task_start(d->runner);
	if (dirty)
		arm_builder(d);
}

static void nothing(void *arg)
{
}

/* Stops on the loop's thread (or with the loop idle); returns how many
 * commands this call discarded, 0 if it was stopped already. */
static int stop_now(lsched_dispatcher *d)
{
	uint64_t before;
	int n = 0;

	pthread_mutex_lock(&d->lock);
	if (d->stopped) {
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	d->stopped = true;
	d->active = false;
	/* An enqueue that saw no stop may still be posting its push: wait
	 * for it (a post never waits for this thread), so that the drain
	 * below finds every accepted command and the count is exact. */
	while (d->posting)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
	lsched_task_stop(d->runner);
	lsched_task_stop(d->builder);
	while (d->head) {
		struct cmd *c = d->head;

		d->head = c->next;
		if (c->discard)
			c->discard(c->arg);
		free(c);
		n++;
	}
	d->tail = NULL;
	pthread_mutex_lock(&d->lock);
	d->discarded += (uint64_t)n;
	d->queued -= (uint32_t)n;
	before = d->discarded;
	pthread_mutex_unlock(&d->lock);
	/* Commands accepted before the stop flag was set, their pushes
	 * still in the inbox: run them now; they are discarded and counted. Our
	 * own performer closes; a spawned dispatcher's belongs to its
	 * server, so drain it with a waiting post instead (refused once the
	 * server shuts down, when its close already drained it). */
	if (!d->server)
		lsched_performer_close(d->perf);
	else
		(void)lsched_perform(d->perf, nothing, NULL,
				     LSCHED_PERFORM_WAIT);
	pthread_mutex_lock(&d->lock);
	n += (int)(d->discarded - before);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return n;
}

struct stop_req {
	lsched_dispatcher *d;
	int discarded;
};

static void do_stop(void *arg)
{
	struct stop_req *r = arg;

	r->discarded = stop_now(r->d);
}

/* A spawned dispatcher's server is shutting down (perhaps stopped
 * directly through lsched_server_stop()): discard what is queued, so that
 * no command is left neither run nor discarded. */
static void spawn_shutdown(lsched_server *srv, void *arg)
{
	lsched_dispatcher *d = arg;

	d->shutdown_discards = stop_now(d);
}

/* Creates the two tasks on the loop. */
static void setup(void *arg)
{
	lsched_dispatcher *d = arg;

	d->runner = lsched_task_new(d->loop, "dispatcher commands",
				    LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_DEFAULT,
				    run_command, d);
	d->builder = lsched_task_new(d->loop, "dispatcher builder",
				     LSCHED_TASK_TIMER, LSCHED_PRIO_DEFAULT,
				     run_builder, d);
	if (!d->runner || !d->builder) {
		d->setup_err = -ENOMEM;
		lsched_task_destroy(d->runner);
		lsched_task_destroy(d->builder);
		d->runner = d->builder = NULL;
		return;
	}
	/* Once due, a build runs before queued commands. */
	lsched_task_set_max_wait(d->builder, 1);
}

/* ---- creation ------------------------------------------------------------ */

static lsched_dispatcher *alloc(const struct lsched_dispatcher_config *cfg)
{
	lsched_dispatcher *d;

	if (!cfg || !cfg->builder || cfg->latency_ns < 0 || cfg->force_ns < 0) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->cfg = *cfg;
	if (!d->cfg.latency_ns)
		d->cfg.latency_ns = LSCHED_DISPATCHER_LATENCY;
	if (!d->cfg.force_ns)
		d->cfg.force_ns = LSCHED_DISPATCHER_FORCE;
	if (d->cfg.force_ns < d->cfg.latency_ns) {
		free(d);
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->active = true;
	return d;
}

static void dfree(lsched_dispatcher *d)
{
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

lsched_dispatcher *lsched_dispatcher_new(lsched_loop *loop,
					 const struct lsched_dispatcher_config *cfg)
{
	lsched_dispatcher *d;

	if (!loop) {
		errno = EINVAL;
		return NULL;
	}
	d = alloc(cfg);
	if (!d)
		return NULL;
	d->loop = loop;
	d->perf = lsched_performer_new(loop);
	if (!d->perf)
		goto out_free;
	setup(d);
	if (d->setup_err)
		goto out_destroy_perf;
	return d;

out_destroy_perf:
	lsched_performer_destroy(d->perf);
out_free:
	dfree(d);
	errno = ENOMEM;
	return NULL;
}

lsched_dispatcher *lsched_dispatcher_spawn(const char *name,
					   const struct lsched_dispatcher_config *cfg)
{
	struct lsched_server_config scfg = { .name = name };
	lsched_dispatcher *d = alloc(cfg);
	int err;

	if (!d)
		return NULL;
	scfg.clock = cfg->clock;
	scfg.shutdown = spawn_shutdown;
	scfg.arg = d;
	d->server = lsched_server_start(&scfg);
	if (!d->server) {
		err = errno;
		goto out_free;
	}
	d->perf = lsched_server_performer(d->server);
	d->loop = lsched_server_loop(d->server);
	err = -lsched_perform(d->perf, setup, d, LSCHED_PERFORM_WAIT);
	if (!err)
		err = -d->setup_err;
	if (err)
		goto out_destroy_server;
	return d;

out_destroy_server:
	lsched_server_destroy(d->server);
out_free:
	dfree(d);
	errno = err;
	return NULL;
}

/* ---- the API --------------------------------------------------------------- */

int lsched_dispatcher_enqueue(lsched_dispatcher *d, const char *name,
			      lsched_command_fn fn, lsched_command_fn discard,
			      void *arg)
{
	struct cmd *c;
	int err;

	if (!d || !fn)
		return -EINVAL;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct cmd){ .d = d, .fn = fn, .discard = discard, .arg = arg,
			   .name = name };
	/* Counted before the post so that executed never exceeds enqueued;
	 * uncounted if the post is refused. */
	pthread_mutex_lock(&d->lock);
	err = d->stopped ? -ESHUTDOWN : 0;
	if (!err) {
		d->enqueued++;
		d->queued++;
		d->posting++;
	}
	pthread_mutex_unlock(&d->lock);
	if (err)
		goto out_free;
	err = lsched_perform(d->perf, push_command, c, 0);
	pthread_mutex_lock(&d->lock);
	if (err) {
		d->enqueued--;
		d->queued--;
	}
	/* A stop waits for the posts in progress (stop_now()). */
	if (--d->posting == 0 && d->stopped)
		pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (err)
		goto out_free;
	return 0;

out_free:
	free(c);
	return err;
}

static int post_state(lsched_dispatcher *d, lsched_work_cb fn)
{
	bool stopped;

	if (!d)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	stopped = d->stopped;
	pthread_mutex_unlock(&d->lock);
	if (stopped)
		return -ESHUTDOWN;
	return lsched_perform(d->perf, fn, d, 0);
}

int lsched_dispatcher_deactivate(lsched_dispatcher *d)
{
	return post_state(d, do_deactivate);
}

int lsched_dispatcher_activate(lsched_dispatcher *d)
{
	return post_state(d, do_activate);
}

int lsched_dispatcher_await_dormant(lsched_dispatcher *d)
{
	if (!d)
		return -EINVAL;
	if (lsched_loop_in_thread(d->loop))
		return -EDEADLK;
	pthread_mutex_lock(&d->lock);
	while (!d->dormant && !d->stopped)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int lsched_dispatcher_stop(lsched_dispatcher *d)
{
	struct stop_req r = { .d = d };
	int err;

	if (!d)
		return -EINVAL;
	/* On the loop's thread this runs inline; from elsewhere it waits for
	 * the loop's thread (a stop must never run beside the loop). */
	err = lsched_perform(d->perf, do_stop, &r, LSCHED_PERFORM_WAIT);
	if (err == -ESHUTDOWN)
		return 0; /* stopped before */
	return err ? err : r.discarded;
}

int lsched_dispatcher_destroy(lsched_dispatcher *d)
{
	int n;

	if (!d)
		return -EINVAL;
	if (lsched_loop_in_thread(d->loop) && d->server)
		return -EDEADLK;
	if (d->server) {
		/* The server's stop runs behind what it accepted; its shutdown
		 * hook discards what is queued (spawn_shutdown); its loop owns
		 * the tasks and frees them. Nothing here can fail half-way. */
		lsched_server_destroy(d->server);
		n = d->shutdown_discards;
	} else {
		/* On the loop's thread or with the loop idle (dispatcher.h):
		 * stop inline. */
		n = stop_now(d);
		lsched_task_destroy(d->runner);
		lsched_task_destroy(d->builder);
		lsched_performer_destroy(d->perf);
	}
	if (d->busy)
		d->zombie = true; /* from our own command: freed after it */
	else
		dfree(d);
	return n;
}

lsched_loop *lsched_dispatcher_loop(const lsched_dispatcher *d)
{
	if (!d)
		return NULL;
	/* A spawned dispatcher's loop ends with its server's thread. */
	return d->server ? lsched_server_loop(d->server) : d->loop;
}

int lsched_dispatcher_stats(lsched_dispatcher *d,
			    struct lsched_dispatcher_stats *st)
{
	if (!d || !st)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	st->enqueued = d->enqueued;
	st->executed = d->executed;
	st->discarded = d->discarded;
	st->builds_latency = d->builds_latency;
	st->builds_forced = d->builds_forced;
	st->queued = d->queued;
	st->active = d->active;
	st->dirty = d->dirty;
	pthread_mutex_unlock(&d->lock);
	return 0;
}
