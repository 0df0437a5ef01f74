/*
 * libsched thread servers (the ThreadButler model).
 *
 * A thread server is a named, long-lived thread running its own loop (with
 * its scheduler) and a performer. Other threads send it messages: an id
 * and a payload, routed to the handler registered for that id, run on the
 * server's thread. Startup and shutdown hooks run on that thread too.
 *
 * Guarantees:
 *  - sending never blocks; with a bounded inbox, a send to a full server
 *    returns -EAGAIN (and the caller keeps the payload);
 *  - every message accepted (send returned 0) is handled exactly once, also
 *    when the server stops: stopping handles what was accepted, then runs
 *    the shutdown hook, then the thread ends;
 *  - a handler that fails (returns a negative errno), or a message with no
 *    handler (-ENOENT), is counted and reported through the on_error hook;
 *    the server keeps running;
 *  - after the server stopped, sends return -ESHUTDOWN, never undefined
 *    behaviour, until lsched_server_destroy().
 *
 * Ownership: lsched_server_start() returns a server owned by the caller,
 * freed by lsched_server_destroy(). A payload passed to a successful send
 * belongs to the server, which calls its free function (if any) after the
 * handler returned; on a failed send it stays with the caller.
 *
 * Thread-safety: every function may be called from any thread, except that
 * lsched_server_destroy() must not be called from the server's own thread.
 * lsched_server_stop() and lsched_server_destroy() join the server's
 * thread; unlike waiting posts, these waits are not checked for cycles, so
 * do not call them from a thread that a handler of that server waits for
 * (for instance the loop a handler makes a waiting post to).
 */
#ifndef LIBSCHED_SERVER_H
#define LIBSCHED_SERVER_H

#include <libsched/common.h>
#include <libsched/loop.h>
#include <libsched/performer.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lsched_server lsched_server;

/* Message handler, on the server's thread: 0 or a negative errno. */
typedef int (*lsched_msg_handler)(lsched_server *srv, uint32_t id,
				  void *payload, void *arg);

/* Frees a payload after its message was handled. */
typedef void (*lsched_payload_free)(void *payload);

/* A hook on the server's thread (startup, shutdown). */
typedef void (*lsched_server_hook)(lsched_server *srv, void *arg);

/* Reports a failed message: the handler's error, or -ENOENT for no
 * handler. On the server's thread. */
typedef void (*lsched_server_error_hook)(lsched_server *srv, uint32_t id,
					 int err, void *arg);

/*
 * A custom loop body, run on the server's thread instead of the default
 * lsched_loop_run(loop, LSCHED_RUN_DEFAULT). It must run the server's loop
 * (lsched_server_loop()) and return once the loop was stopped, i.e. when
 * lsched_loop_run() returned and lsched_server_stopping() is true. Its
 * return value is kept as the server's exit status.
 */
typedef int (*lsched_server_body)(lsched_server *srv, void *arg);

struct lsched_server_config {
	const char *name;      /* required; unique among live servers */
	size_t inbox_limit;    /* 0: unbounded; else at most this many
				  messages accepted and not yet handled */
	lsched_server_hook startup;  /* optional */
	lsched_server_hook shutdown; /* optional */
	lsched_server_error_hook on_error; /* optional */
	lsched_server_body body;     /* optional */
	void *arg;             /* passed to the hooks and the body */
	lsched_clock *clock;   /* the loop's clock; NULL: monotonic */
};

/*
 * Spawns the server's thread and returns once its loop and performer exist
 * and its startup hook ran. The name is copied.
 * Returns NULL with errno EINVAL (NULL config, missing or empty name, name
 * longer than 63 bytes), EEXIST (a live server has that name), ENOMEM, or
 * the error of pthread_create() or of the loop's creation.
 */
LSCHED_API lsched_server *
lsched_server_start(const struct lsched_server_config *cfg);

/*
 * Registers handler(arg) for message id, replacing any previous one. May be
 * called at any time, from any thread (a startup hook is a good place).
 * Errors: -EINVAL (NULL server or handler), -ENOMEM.
 */
LSCHED_API int lsched_server_handle(lsched_server *srv, uint32_t id,
				    lsched_msg_handler handler, void *arg);

/*
 * Sends message id with payload (may be NULL) to the server. Never blocks.
 * On success the server owns payload and calls free_payload(payload) (if
 * not NULL) after handling it. Errors: -EINVAL (NULL server), -EAGAIN (the
 * bounded inbox is full), -ESHUTDOWN (stopping or stopped), -ENOMEM, -EIO
 * (the wake-up write failed).
 */
LSCHED_API int lsched_server_send(lsched_server *srv, uint32_t id,
				  void *payload,
				  lsched_payload_free free_payload);

/*
 * Stops the server: messages already accepted are handled, the shutdown
 * hook runs, the thread ends. From another thread, returns once the thread
 * has ended (joined). From the server's own thread (a handler), asks to
 * stop and returns at once; the thread ends after the current callback.
 * The stop needs no allocation to succeed: if it cannot be queued behind
 * the messages (out of memory, a failed wake-up write), the server's loop
 * is stopped through its stop flag instead (accepted messages are still
 * handled), and woken again every millisecond until its thread has ended.
 * Idempotent. Errors: -EINVAL for NULL.
 */
LSCHED_API int lsched_server_stop(lsched_server *srv);

/* True once the server was asked to stop. */
LSCHED_API bool lsched_server_stopping(const lsched_server *srv);

/*
 * Stops (if needed), joins and frees the server. Returns the body's exit
 * status (for the default body, what lsched_loop_run() returned: 0 unless
 * the loop failed). Errors: -EINVAL for NULL; -EDEADLK from the server's
 * own thread (nothing done).
 */
LSCHED_API int lsched_server_destroy(lsched_server *srv);

/* Finds a live (not yet destroyed) server by name, or NULL. The pointer
 * is valid until the server is destroyed: the caller must know that no
 * other thread destroys it meanwhile. */
LSCHED_API lsched_server *lsched_server_find(const char *name);

/* The server's name (its copy). */
LSCHED_API const char *lsched_server_name(const lsched_server *srv);

/*
 * The server's loop and performer. The loop is used from the server's
 * thread only; it is destroyed when the thread ends (NULL afterwards). The
 * performer may be used from any thread until lsched_server_destroy()
 * (after the thread ended, posts return -ESHUTDOWN).
 */
LSCHED_API lsched_loop *lsched_server_loop(const lsched_server *srv);
LSCHED_API lsched_performer *lsched_server_performer(const lsched_server *srv);

struct lsched_server_stats {
	uint64_t accepted; /* messages accepted */
	uint64_t handled;  /* handlers that returned 0 */
	uint64_t failed;   /* handlers that failed, or no handler */
	uint64_t refused;  /* sends refused (full, stopped, errors) */
	int last_error;    /* the last failure's error, 0 if none */
};

/* Fills *st. Thread-safe. Errors: -EINVAL for NULL. */
LSCHED_API int lsched_server_stats(const lsched_server *srv,
				   struct lsched_server_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_SERVER_H */
