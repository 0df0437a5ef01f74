/*
 * Thread servers: a named thread with its own loop and performer; messages
 * travel as performer posts and are routed by id on the server's thread.
 *
 * Stopping is itself a post: it runs on the server's thread after every
 * message accepted before it, closes the performer (which runs whatever was
 * accepted meanwhile, and refuses the rest) and stops the loop. The thread
 * then runs the shutdown hook and destroys its loop; the performer stays
 * (closed, answering -ESHUTDOWN) until lsched_server_destroy().
 */
#include "internal.h"

#include <libsched/server.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME_MAX_LEN 63
_Static_assert(NAME_MAX_LEN <= LSCHED_LOOP_NAME_MAX,
	       "a server's name fits its loop's");

struct handler {
	uint32_t id;
	lsched_msg_handler fn;
	void *arg;
};

struct msg {
	lsched_server *srv;
	uint32_t id;
	void *payload;
	lsched_payload_free free_payload;
};

struct lsched_server {
	char name[NAME_MAX_LEN + 1];
	struct lsched_server_config cfg;
	pthread_t thread;
	lsched_loop *_Atomic loop; /* NULL once the thread destroyed it */
	lsched_performer *perf;

	pthread_mutex_t lock; /* handlers; start handshake */
	pthread_mutex_t join_lock; /* one joiner; never held by the thread */
	pthread_cond_t started;
	int start_err;        /* > 0 pending, 0 ready, < 0 failed */
	bool joined;
	struct handler *handlers;
	size_t nhandlers, cap;

	atomic_bool stopping;
	atomic_size_t inflight; /* accepted, not yet handled */
	int exit_status;
	_Atomic uint64_t accepted, handled, failed, refused;
	atomic_int last_error;

	struct lsched__list reg_link; /* the registry of live servers */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lsched__list registry = { &registry, &registry };
static _Thread_local lsched_server *this_server;

/* ---- the server's thread ---------------------------------------------------- */

static void deliver(void *arg)
{
	struct msg *m = arg;
	lsched_server *srv = m->srv;
	lsched_msg_handler fn = NULL;
	void *harg = NULL;
	int err;

	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < srv->nhandlers; i++) {
		if (srv->handlers[i].id == m->id) {
			fn = srv->handlers[i].fn;
			harg = srv->handlers[i].arg;
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);

	err = fn ? fn(srv, m->id, m->payload, harg) : -ENOENT;
	/* Handled: the bounded inbox has room again. */
	atomic_fetch_sub(&srv->inflight, 1);
	if (err == 0) {
		atomic_fetch_add(&srv->handled, 1);
	} else {
		atomic_fetch_add(&srv->failed, 1);
		atomic_store(&srv->last_error, err);
		if (srv->cfg.on_error)
			srv->cfg.on_error(srv, m->id, err, srv->cfg.arg);
	}
	if (m->free_payload)
		m->free_payload(m->payload);
	free(m);
}

/* On the server's thread: handle what was accepted, refuse the rest,
 * leave the loop. */
static void do_stop(void *arg)
{
	lsched_server *srv = arg;

	lsched_performer_close(srv->perf);
	lsched_loop_stop(atomic_load(&srv->loop));
}

static void start_done(lsched_server *srv, int err)
{
	pthread_mutex_lock(&srv->lock);
	srv->start_err = err;
	pthread_cond_broadcast(&srv->started);
	pthread_mutex_unlock(&srv->lock);
}

static void *server_main(void *arg)
{
	lsched_server *srv = arg;
	char tname[16];
	lsched_loop *loop;
	int status;

	this_server = srv;
	/* Thread names hold 15 bytes: the start of the server's name. */
	memcpy(tname, srv->name, sizeof(tname) - 1);
	tname[sizeof(tname) - 1] = '\0';
	pthread_setname_np(pthread_self(), tname);

	loop = lsched_loop_new(srv->cfg.clock);
	if (!loop) {
		start_done(srv, -errno);
		return NULL;
	}
	/* The tools show the loop by the server's whole name (the thread's
	 * holds 15 bytes); it fits: NAME_MAX_LEN <= LSCHED_LOOP_NAME_MAX. */
	lsched_loop_set_name(loop, srv->name);
	srv->perf = lsched_performer_new(loop);
	if (!srv->perf) {
		int err = -errno;

		lsched_loop_destroy(loop);
		start_done(srv, err);
		return NULL;
	}
	atomic_store(&srv->loop, loop);
	if (srv->cfg.startup)
		srv->cfg.startup(srv, srv->cfg.arg);
	start_done(srv, 0);

	if (srv->cfg.body)
		status = srv->cfg.body(srv, srv->cfg.arg);
	else
		status = lsched_loop_run(loop, LSCHED_RUN_DEFAULT);

	/* A body may also return on its own: handle what was accepted. */
	atomic_store(&srv->stopping, true);
	lsched_performer_close(srv->perf);
	if (srv->cfg.shutdown)
		srv->cfg.shutdown(srv, srv->cfg.arg);
	/* Under the lock: a stop that could not post (stop_by_flag())
	 * reads the loop under it too, so it never touches a freed loop. */
	pthread_mutex_lock(&srv->lock);
	atomic_store(&srv->loop, NULL);
	pthread_mutex_unlock(&srv->lock);
	/* Runs anything a shutdown hook still managed to queue, then turns
	 * the performer into a closed shell answering -ESHUTDOWN. */
	lsched_loop_destroy(loop);
	srv->exit_status = status;
	return NULL;
}

/* ---- the API ------------------------------------------------------------ */

/* Under registry_lock. */
static lsched_server *find_locked(const char *name)
{
	for (struct lsched__list *l = registry.next; l != &registry;
	     l = l->next) {
		lsched_server *srv =
			lsched__container_of(l, lsched_server, reg_link);

		if (!strcmp(srv->name, name))
			return srv;
	}
	return NULL;
}

lsched_server *lsched_server_start(const struct lsched_server_config *cfg)
{
	lsched_server *srv;
	int err;

	if (!cfg || !cfg->name || !*cfg->name ||
	    strlen(cfg->name) > NAME_MAX_LEN) {
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		errno = ENOMEM;
		return NULL;
	}
	strcpy(srv->name, cfg->name);
	srv->cfg = *cfg;
	srv->cfg.name = srv->name;
	srv->start_err = 1;
	atomic_init(&srv->loop, NULL);
	atomic_init(&srv->stopping, false);
	atomic_init(&srv->inflight, 0);
	atomic_init(&srv->last_error, 0);
	if (pthread_mutex_init(&srv->lock, NULL)) {
		err = ENOMEM;
		goto out_free;
	}
	if (pthread_mutex_init(&srv->join_lock, NULL)) {
		err = ENOMEM;
		goto out_destroy_lock;
	}
	if (pthread_cond_init(&srv->started, NULL)) {
		err = ENOMEM;
		goto out_destroy_join_lock;
	}

	pthread_mutex_lock(&registry_lock);
	if (find_locked(cfg->name)) {
		pthread_mutex_unlock(&registry_lock);
		err = EEXIST;
		goto out_destroy_cond;
	}
	lsched__list_push_tail(&registry, &srv->reg_link);
	pthread_mutex_unlock(&registry_lock);

	err = pthread_create(&srv->thread, NULL, server_main, srv);
	if (err)
		goto out_unregister;
	pthread_mutex_lock(&srv->lock);
	while (srv->start_err > 0)
		pthread_cond_wait(&srv->started, &srv->lock);
	err = -srv->start_err;
	pthread_mutex_unlock(&srv->lock);
	if (err) {
		pthread_join(srv->thread, NULL);
		goto out_unregister;
	}
	return srv;

out_unregister:
	pthread_mutex_lock(&registry_lock);
	lsched__list_remove(&srv->reg_link);
	pthread_mutex_unlock(&registry_lock);
out_destroy_cond:
	pthread_cond_destroy(&srv->started);
out_destroy_join_lock:
	pthread_mutex_destroy(&srv->join_lock);
out_destroy_lock:
	pthread_mutex_destroy(&srv->lock);
out_free:
	free(srv);
	errno = err;
	return NULL;
}

int lsched_server_handle(lsched_server *srv, uint32_t id,
			 lsched_msg_handler handler, void *arg)
{
	int err = 0;

	if (!srv || !handler)
		return -EINVAL;
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < srv->nhandlers; i++) {
		if (srv->handlers[i].id == id) {
			srv->handlers[i].fn = handler;
			srv->handlers[i].arg = arg;
			goto out_unlock;
		}
	}
	if (srv->nhandlers == srv->cap) {
		size_t cap = srv->cap ? srv->cap * 2 : 8;
		struct handler *h = realloc(srv->handlers, cap * sizeof(*h));

		if (!h) {
			err = -ENOMEM;
			goto out_unlock;
		}
		srv->handlers = h;
		srv->cap = cap;
	}
	srv->handlers[srv->nhandlers++] =
		(struct handler){ .id = id, .fn = handler, .arg = arg };
out_unlock:
	pthread_mutex_unlock(&srv->lock);
	return err;
}

int lsched_server_send(lsched_server *srv, uint32_t id, void *payload,
		       lsched_payload_free free_payload)
{
	struct msg *m;
	int err;

	if (!srv)
		return -EINVAL;
	if (atomic_load(&srv->stopping)) {
		err = -ESHUTDOWN;
		goto out_refused;
	}
	if (atomic_fetch_add(&srv->inflight, 1) >= srv->cfg.inbox_limit &&
	    srv->cfg.inbox_limit) {
		err = -EAGAIN;
		goto out_uncount;
	}
	m = malloc(sizeof(*m));
	if (!m) {
		err = -ENOMEM;
		goto out_uncount;
	}
	*m = (struct msg){ .srv = srv, .id = id, .payload = payload,
			   .free_payload = free_payload };
	/* Counted first, so that handled never exceeds accepted. */
	atomic_fetch_add(&srv->accepted, 1);
	err = lsched_perform(srv->perf, deliver, m, 0);
	if (err)
		goto out_free;
	return 0;

out_free:
	atomic_fetch_sub(&srv->accepted, 1);
	free(m);
out_uncount:
	atomic_fetch_sub(&srv->inflight, 1);
out_refused:
	atomic_fetch_add(&srv->refused, 1);
	return err;
}

/* Sets the loop's stop flag and wakes it: the stop that needs no
 * allocation, for when the stop post failed. Accepted messages are still
 * handled: the thread closes the performer once its loop returns. Returns
 * the wake-up's error (the flag is set all the same). */
static int stop_by_flag(lsched_server *srv)
{
	lsched_loop *loop;
	int err = 0;

	pthread_mutex_lock(&srv->lock);
	loop = atomic_load(&srv->loop);
	if (loop)
		err = lsched_loop_stop(loop);
	pthread_mutex_unlock(&srv->lock);
	return err;
}

int lsched_server_stop(lsched_server *srv)
{
	bool posted;

	if (!srv)
		return -EINVAL;
	atomic_store(&srv->stopping, true);
	/* Behind every message accepted so far. Refused with -ESHUTDOWN if
	 * a stop already closed the performer: then the thread is ending
	 * anyway. Any other refusal (-ENOMEM, -EIO) would leave the thread
	 * running and the join below waiting for ever: stop by the flag. */
	posted = lsched_perform(srv->perf, do_stop, srv, 0) == 0;
	if (!posted)
		(void)stop_by_flag(srv);
	if (this_server == srv)
		return 0; /* from a handler: the thread ends after it */
	/* Not under srv->lock: the thread takes it to route messages. */
	pthread_mutex_lock(&srv->join_lock);
	while (!srv->joined) {
		struct timespec ts;

		if (posted) {
			pthread_join(srv->thread, NULL);
			srv->joined = true;
			break;
		}
		/* The flag's wake-up may have failed too: wake again until
		 * the thread has ended (a failing wake-up heals, or the loop
		 * wakes for another reason and sees the flag). */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(srv->thread, NULL, &ts) == 0)
			srv->joined = true;
		else
			(void)stop_by_flag(srv);
	}
	pthread_mutex_unlock(&srv->join_lock);
	return 0;
}

bool lsched_server_stopping(const lsched_server *srv)
{
	return srv && atomic_load(&srv->stopping);
}

int lsched_server_destroy(lsched_server *srv)
{
	int status;

	if (!srv)
		return -EINVAL;
	if (this_server == srv)
		return -EDEADLK;
	lsched_server_stop(srv);
	pthread_mutex_lock(&registry_lock);
	lsched__list_remove(&srv->reg_link);
	pthread_mutex_unlock(&registry_lock);
	status = srv->exit_status;
	lsched_performer_destroy(srv->perf);
	free(srv->handlers);
	pthread_cond_destroy(&srv->started);
	pthread_mutex_destroy(&srv->join_lock);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return status;
}

lsched_server *lsched_server_find(const char *name)
{
	lsched_server *found;

	if (!name)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	found = find_locked(name);
	pthread_mutex_unlock(&registry_lock);
	return found;
}

const char *lsched_server_name(const lsched_server *srv)
{
	return srv ? srv->name : NULL;
}

lsched_loop *lsched_server_loop(const lsched_server *srv)
{
	return srv ? atomic_load(&((lsched_server *)srv)->loop) : NULL;
}

lsched_performer *lsched_server_performer(const lsched_server *srv)
{
	return srv ? srv->perf : NULL;
}

int lsched_server_stats(const lsched_server *srv,
			struct lsched_server_stats *st)
{
	lsched_server *s = (lsched_server *)srv;

	if (!srv || !st)
		return -EINVAL;
	st->accepted = atomic_load(&s->accepted);
	st->handled = atomic_load(&s->handled);
	st->failed = atomic_load(&s->failed);
	st->refused = atomic_load(&s->refused);
	st->last_error = atomic_load(&s->last_error);
	return 0;
}
