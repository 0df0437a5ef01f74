/* The epoll poller (Linux). The only file that knows about epoll. */
#include "backend.h"

#include <errno.h>
#include <libsched/loop.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct epoll_state {
	int epfd;
	/* epoll_pwait2 (ns timeouts) needs Linux 5.11; fall back to
	 * epoll_wait with the timeout rounded up to whole ms. */
	bool no_pwait2;
};

static uint32_t to_epoll(unsigned events)
{
	uint32_t e = 0;

	if (events & LSCHED_FD_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & LSCHED_FD_WRITE)
		e |= EPOLLOUT;
	return e;
}

static unsigned from_epoll(uint32_t e)
{
	unsigned events = 0;

	if (e & (EPOLLIN | EPOLLPRI))
		events |= LSCHED_FD_READ;
	if (e & EPOLLOUT)
		events |= LSCHED_FD_WRITE;
	if (e & EPOLLERR)
		events |= LSCHED_FD_ERROR;
	if (e & (EPOLLHUP | EPOLLRDHUP))
		events |= LSCHED_FD_HUP;
	return events;
}

static int ep_open(void **state)
{
	struct epoll_state *s = malloc(sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		int err = -errno;

		free(s);
		return err;
	}
	s->no_pwait2 = false;
	*state = s;
	return 0;
}

static void ep_close(void *state)
{
	struct epoll_state *s = state;

	close(s->epfd);
	free(s);
}

static int ctl(void *state, int op, int fd, unsigned events, uint64_t token)
{
	struct epoll_state *s = state;
	struct epoll_event ev = { .events = to_epoll(events), .data.u64 = token };

	return epoll_ctl(s->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static int ep_add(void *state, int fd, unsigned events, uint64_t token)
{
	return ctl(state, EPOLL_CTL_ADD, fd, events, token);
}

static int ep_modify(void *state, int fd, unsigned events, uint64_t token)
{
	return ctl(state, EPOLL_CTL_MOD, fd, events, token);
}

static int ep_remove(void *state, int fd)
{
	return ctl(state, EPOLL_CTL_DEL, fd, 0, 0);
}

static int ep_wait(void *state, struct lsched__poll_event *out, int max,
		   int64_t timeout_ns)
{
	struct epoll_state *s = state;
	struct epoll_event ev[64];
	int n = 0;

	if (max > 64)
		max = 64;
	if (!s->no_pwait2) {
		struct timespec ts, *tsp = NULL;

		if (timeout_ns >= 0) {
			ts.tv_sec = timeout_ns / 1000000000;
			ts.tv_nsec = timeout_ns % 1000000000;
			tsp = &ts;
		}
		n = epoll_pwait2(s->epfd, ev, max, tsp, NULL);
		if (n < 0 && errno == ENOSYS)
			s->no_pwait2 = true;
	}
	if (s->no_pwait2) {
		int ms = -1;

		if (timeout_ns >= 0) {
			int64_t m = timeout_ns / 1000000 +
				    (timeout_ns % 1000000 != 0);
			ms = m > INT32_MAX ? INT32_MAX : (int)m;
		}
		n = epoll_wait(s->epfd, ev, max, ms);
	}
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		out[i].token = ev[i].data.u64;
		out[i].events = from_epoll(ev[i].events);
	}
	return n;
}

/* An epoll descriptor polls readable while any of its descriptors is
 * ready: a host loop can poll it as one descriptor. */
static int ep_fd(void *state)
{
	return ((struct epoll_state *)state)->epfd;
}

const struct lsched__backend_ops lsched__backend_epoll = {
	.name = "epoll",
	.open = ep_open,
	.close = ep_close,
	.add = ep_add,
	.modify = ep_modify,
	.remove = ep_remove,
	.wait = ep_wait,
	.fd = ep_fd,
};
