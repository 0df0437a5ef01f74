/*
 * Shared helpers for the cmocka tests: a loop on a virtual clock (setup and
 * teardown own it), an event log to assert orders, and small utilities.
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h> and <cmocka.h>.
 */
#ifndef LSCHED_TESTUTIL_H
#define LSCHED_TESTUTIL_H

#include <libsched/libsched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fixture: a virtual clock starting at 1 s and a loop on it. */
struct vfix {
	lsched_clock *clock;
	lsched_loop *loop;
};

static inline int vfix_setup(void **state)
{
	struct vfix *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->clock = lsched_clock_new_virtual(LSCHED_S(1));
	if (!f->clock)
		goto out_free;
	f->loop = lsched_loop_new(f->clock);
	if (!f->loop)
		goto out_clock;
	*state = f;
	return 0;
out_clock:
	lsched_clock_destroy(f->clock);
out_free:
	free(f);
	return -1;
}

static inline int vfix_teardown(void **state)
{
	struct vfix *f = *state;
	int rc = lsched_loop_destroy(f->loop);
	lsched_clock_destroy(f->clock);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* An ordered log of short strings, to assert what ran and in which order. */
#define LOG_MAX 256
struct evlog {
	int n;
	char ev[LOG_MAX][32];
};

static inline void evlog_add(struct evlog *l, const char *s)
{
	if (l->n < LOG_MAX) {
		snprintf(l->ev[l->n], sizeof(l->ev[0]), "%s", s);
		l->n++;
	}
}

/* Joins the log with spaces into buf; returns buf. */
static inline const char *evlog_str(const struct evlog *l, char *buf,
				    size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < l->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? " " : "", l->ev[i]);
	return buf;
}

#define assert_log(l, expected)                                                \
	do {                                                                   \
		char buf_[LOG_MAX * 33];                                       \
		assert_string_equal(evlog_str((l), buf_, sizeof(buf_)),        \
				    (expected));                               \
	} while (0)

/* Runs up to max NOWAIT cycles; returns how many ran. */
static inline int run_cycles(lsched_loop *loop, int max)
{
	int i;
	for (i = 0; i < max; i++)
		if (lsched_loop_run(loop, LSCHED_RUN_NOWAIT) != 0)
			break;
	return i;
}

#endif /* LSCHED_TESTUTIL_H */
