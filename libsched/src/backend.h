/*
 * The poller interface. The loop talks to its poller only through these
 * operations, so a second poller (poll(2), kqueue) can be added as one new
 * file without touching the loop. Events use enum lsched_fd_events.
 */
#ifndef LSCHED_BACKEND_H
#define LSCHED_BACKEND_H

#include <stdint.h>

struct lsched__poll_event {
	uint64_t token;  /* as given to add() */
	unsigned events; /* LSCHED_FD_* that occurred */
};

struct lsched__backend_ops {
	const char *name;
	/* Creates the poller's state; 0 or a negative errno. */
	int (*open)(void **state);
	void (*close)(void *state);
	/* Watches fd (level-triggered); token comes back with its events. */
	int (*add)(void *state, int fd, unsigned events, uint64_t token);
	int (*modify)(void *state, int fd, unsigned events, uint64_t token);
	int (*remove)(void *state, int fd);
	/* Waits up to timeout_ns (-1: forever, 0: do not block). Returns the
	 * number of events stored (0 on timeout or signal) or a negative
	 * errno. */
	int (*wait)(void *state, struct lsched__poll_event *ev, int max,
		    int64_t timeout_ns);
	/* A descriptor that is readable while events are waiting, for a
	 * host loop (lsched_loop_fd()); -EOPNOTSUPP if the poller has none. */
	int (*fd)(void *state);
};

extern const struct lsched__backend_ops lsched__backend_epoll;

#endif /* LSCHED_BACKEND_H */
