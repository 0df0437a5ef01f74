/*
 * libsched command dispatcher (the Lumiera SteamDispatcher model).
 *
 * A FIFO queue of commands and a "builder". Commands run one at a time, in
 * the order they were enqueued, each as one run of the dispatcher's command
 * task ("dispatcher commands", LSCHED_PRIO_DEFAULT), so the loop's
 * input, timers and other tasks get their turn between two commands. After
 * commands ran the builder is dirty: it runs once no command has run for
 * the latency (default 50 ms), and is forced once it has been dirty for
 * the bound (default 750 ms) even while commands keep arriving. The
 * builder is a timer task ("dispatcher builder", LSCHED_PRIO_DEFAULT) with
 * a maximum wait, so a build that fell due runs next whatever else is
 * ready.
 *
 * A dispatcher lives on a loop: one you give (lsched_dispatcher_new()), or a
 * thread of its own (lsched_dispatcher_spawn(), a thread server). An idle or
 * dormant dispatcher uses no CPU: its loop sleeps.
 *
 * States: active (commands run), dormant (deactivated: commands queue but
 * do not run, and the builder waits), stopped. The command or build that
 * runs when a state change arrives always finishes first.
 *
 * Guarantees: every command accepted (enqueue returned 0) either runs once
 * or, if the dispatcher stops first, is reported as discarded: its discard
 * callback (if any) is called once, on the dispatcher's thread, and it is
 * counted in lsched_dispatcher_stop()'s result.
 *
 * Ownership: the creator destroys the dispatcher with
 * lsched_dispatcher_destroy(). A command's argument belongs to the caller;
 * the command or its discard callback may free it.
 *
 * Thread-safety: enqueue, activate, deactivate, await_dormant, stop, stats
 * and lsched_dispatcher_loop() may be called from any thread.
 * lsched_dispatcher_new() and the destruction of a dispatcher made with it
 * are called on its loop's thread (or while the loop does not run).
 * lsched_dispatcher_spawn() may be called from any thread, and a spawned
 * dispatcher destroyed from any thread but its own.
 */
#ifndef LIBSCHED_DISPATCHER_H
#define LIBSCHED_DISPATCHER_H

#include <libsched/common.h>
#include <libsched/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lsched_dispatcher lsched_dispatcher;

/* A command, or the builder: runs on the dispatcher's loop. */
typedef void (*lsched_command_fn)(void *arg);

#define LSCHED_DISPATCHER_LATENCY LSCHED_MS(50)
#define LSCHED_DISPATCHER_FORCE LSCHED_MS(750)

struct lsched_dispatcher_config {
	lsched_command_fn builder; /* required */
	void *builder_arg;
	int64_t latency_ns; /* 0: LSCHED_DISPATCHER_LATENCY */
	int64_t force_ns;   /* 0: LSCHED_DISPATCHER_FORCE; >= latency */
	lsched_clock *clock; /* spawn only: the thread's clock (NULL: real) */
};

/*
 * Creates an active dispatcher on loop (its thread runs the commands).
 * Returns NULL with errno EINVAL (NULL loop, config or builder, negative
 * durations, force < latency) or ENOMEM.
 */
LSCHED_API lsched_dispatcher *
lsched_dispatcher_new(lsched_loop *loop,
		      const struct lsched_dispatcher_config *cfg);

/*
 * Creates an active dispatcher on a thread of its own, a thread server
 * named name. The server belongs to the dispatcher; if it is stopped
 * directly (lsched_server_find() + lsched_server_stop()), its shutdown
 * discards the queued commands as lsched_dispatcher_stop() would.
 * Errors as lsched_dispatcher_new() and lsched_server_start().
 */
LSCHED_API lsched_dispatcher *
lsched_dispatcher_spawn(const char *name,
			const struct lsched_dispatcher_config *cfg);

/*
 * Enqueues command fn(arg), labelled name (borrowed, may be NULL; kept
 * with the command for tracing, it changes nothing else; it must stay
 * valid until fn has returned, since the dispatch_command event, emitted
 * after the run, reads it: a string literal in practice). If the
 * dispatcher stops before running it, discard(arg) is called instead (if
 * not NULL). Errors: -EINVAL (NULL dispatcher or fn), -ESHUTDOWN (stopped),
 * -ENOMEM, -EIO; on error neither callback is called.
 */
LSCHED_API int lsched_dispatcher_enqueue(lsched_dispatcher *d,
					 const char *name,
					 lsched_command_fn fn,
					 lsched_command_fn discard, void *arg);

/* Makes the dispatcher dormant: queued commands stay queued, nothing runs.
 * Returns at once. Errors: -EINVAL, -ESHUTDOWN, and -ENOMEM or -EIO when
 * the request could not be posted to the dispatcher's loop. */
LSCHED_API int lsched_dispatcher_deactivate(lsched_dispatcher *d);

/* Makes it active again: queued commands run, a dirty builder is due.
 * Errors: -EINVAL, -ESHUTDOWN, and -ENOMEM or -EIO when the request could
 * not be posted to the dispatcher's loop. */
LSCHED_API int lsched_dispatcher_activate(lsched_dispatcher *d);

/*
 * Blocks until the dispatcher is dormant (deactivated, and the command or
 * build running when it was deactivated has finished) or stopped.
 * Errors: -EINVAL; -EDEADLK from the dispatcher's own thread (it would wait
 * for its own action to end). Waits through other threads are not checked:
 * do not call it from a thread a command of this dispatcher waits for.
 */
LSCHED_API int lsched_dispatcher_await_dormant(lsched_dispatcher *d);

/*
 * Stops the dispatcher: the running action finishes, every queued command
 * is discarded (its discard callback runs), no build runs any more, and
 * later enqueues return -ESHUTDOWN. The stop always runs on the
 * dispatcher's thread: from another thread this waits until that thread
 * ran it (for a dispatcher made with lsched_dispatcher_new(), until its
 * loop runs, or the dispatcher is destroyed: so do not call it, while the
 * loop does not run, from the thread that is going to run it). Returns the
 * number of commands this call discarded (>= 0); 0 if already stopped.
 * An enqueue racing with the stop is either refused (-ESHUTDOWN) or
 * accepted before it: the stop waits for such an enqueue to finish posting
 * and discards that command too, so when the stop returns every accepted
 * command has run or been discarded, the count includes it, and the stats
 * are final (queued is 0). Errors: -EINVAL; from another thread, -EDEADLK (waiting
 * would close a wait cycle, see performer.h), -ENOMEM or -EIO (the stop
 * could not be posted); then nothing was stopped.
 */
LSCHED_API int lsched_dispatcher_stop(lsched_dispatcher *d);

/*
 * Stops (see above) and frees the dispatcher; a spawned one's thread is
 * joined. A dispatcher made with lsched_dispatcher_new() is destroyed on
 * its loop's thread (or while the loop does not run), before its loop;
 * also from inside one of its own commands or builds.
 * Returns the number of commands discarded, or -EINVAL, or -EDEADLK when a
 * spawned dispatcher's own thread calls it (nothing done).
 */
LSCHED_API int lsched_dispatcher_destroy(lsched_dispatcher *d);

/* The dispatcher's loop; for a spawned one, its server's loop, NULL once
 * the server's thread has ended. */
LSCHED_API lsched_loop *lsched_dispatcher_loop(const lsched_dispatcher *d);

struct lsched_dispatcher_stats {
	uint64_t enqueued;      /* commands accepted */
	uint64_t executed;      /* commands run */
	uint64_t discarded;     /* commands discarded by stop */
	uint64_t builds_latency; /* builds after the idle latency */
	uint64_t builds_forced;  /* builds forced by the bound */
	uint32_t queued;        /* commands waiting now */
	bool active;
	bool dirty;
};

/* Fills *st. Thread-safe. Errors: -EINVAL. */
LSCHED_API int lsched_dispatcher_stats(lsched_dispatcher *d,
				       struct lsched_dispatcher_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_DISPATCHER_H */
