/*
 * The GSource of libsched-glib (glib-source.h): prepare asks the loop how
 * long the context may sleep, check looks at the loop's descriptor, and
 * dispatch runs one non-blocking libsched cycle.
 */
#include <libsched/glib-source.h>

#include <errno.h>

struct lsched_glib_source {
	GSource base;
	lsched_loop *loop;
	gpointer tag; /* of the loop's descriptor */
	int error;
};

static gboolean src_prepare(GSource *base, gint *timeout)
{
	struct lsched_glib_source *s = (struct lsched_glib_source *)base;
	int t = lsched_loop_timeout(s->loop);

	*timeout = t;
	return t == 0;
}

static gboolean src_check(GSource *base)
{
	struct lsched_glib_source *s = (struct lsched_glib_source *)base;

	if (g_source_query_unix_fd(base, s->tag) & G_IO_IN)
		return TRUE;
	/* The context's poll may end by its timeout (ms, rounded up) just
	 * as the deadline comes: ask the loop rather than trust revents. */
	return lsched_loop_timeout(s->loop) == 0;
}

static gboolean src_dispatch(GSource *base, GSourceFunc callback,
			     gpointer data)
{
	struct lsched_glib_source *s = (struct lsched_glib_source *)base;
	int r = lsched_loop_dispatch(s->loop);

	/* The loop is running natively at the moment (a task of it iterates
	 * this context): nothing to do now, and nothing wrong. */
	if (r == -EBUSY)
		return G_SOURCE_CONTINUE;
	if (r < 0) {
		/* The poller failed: polling it again would fail again, at
		 * once, forever. Say why and leave. */
		s->error = r;
		g_warning("libsched-glib: %s; source removed",
			  lsched_strerror(r));
		return G_SOURCE_REMOVE;
	}
	if (r == 1 && callback)
		return callback(data);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs lsched_glib_funcs = {
	.prepare = src_prepare,
	.check = src_check,
	.dispatch = src_dispatch,
};

GSource *lsched_glib_source_new(lsched_loop *loop, int priority)
{
	struct lsched_glib_source *s;
	GSource *base;
	int fd;

	if (!loop) {
		errno = EINVAL;
		return NULL;
	}
	fd = lsched_loop_fd(loop);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	base = g_source_new(&lsched_glib_funcs, sizeof(*s));
	s = (struct lsched_glib_source *)base;
	s->loop = loop;
	s->error = 0;
	s->tag = g_source_add_unix_fd(base, fd, G_IO_IN);
	g_source_set_priority(base, priority);
	g_source_set_name(base, "libsched");
	return base;
}

static struct lsched_glib_source *ours(GSource *source)
{
	if (!source || source->source_funcs != &lsched_glib_funcs)
		return NULL;
	return (struct lsched_glib_source *)source;
}

lsched_loop *lsched_glib_source_loop(GSource *source)
{
	struct lsched_glib_source *s = ours(source);

	return s ? s->loop : NULL;
}

int lsched_glib_source_error(GSource *source)
{
	struct lsched_glib_source *s = ours(source);

	return s ? s->error : -EINVAL;
}
