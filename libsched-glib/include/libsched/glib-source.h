/*
 * libsched-glib: a libsched loop hosted in a GLib main context.
 *
 * VCL's scheduler does not own the main loop under GTK: a GLib source
 * drives it. This is that source. It polls lsched_loop_fd(), asks
 * lsched_loop_timeout() in its prepare and runs lsched_loop_dispatch() in
 * its dispatch, so a GTK program keeps its GMainLoop and gets libsched's
 * eight priorities, stopwatches and performers for its own work:
 *
 *     GSource *src = lsched_glib_source_new(loop, G_PRIORITY_DEFAULT_IDLE);
 *     g_source_set_callback(src, on_stop, main_loop, NULL);  // optional
 *     g_source_attach(src, NULL);
 *     g_main_loop_run(main_loop);
 *
 * Every libsched cycle is one dispatch of the source, at the GLib priority
 * given: GLib sources of a higher priority (a smaller number) that are
 * ready dispatch first, between two libsched cycles; one cycle runs one
 * pass of libsched's ready tasks (docs/embedding.md).
 *
 * A stop: lsched_loop_stop() (from a task, or any thread) ends the cycle;
 * then the source calls its callback (g_source_set_callback(), a
 * GSourceFunc): G_SOURCE_REMOVE removes the source, G_SOURCE_CONTINUE
 * keeps it. Without a callback the stop is consumed and the source stays.
 * While the loop runs natively (a task of lsched_loop_run() iterates this
 * context), the source dispatches nothing and stays: the loop is busy
 * (-EBUSY), which is no error.
 *
 * Ownership: the source does not own the loop. Destroy the source
 * (g_source_destroy() and g_source_unref()) before lsched_loop_destroy().
 * Thread-safety: the source dispatches in the thread iterating its
 * GMainContext, which must be the only thread using the loop (as for
 * lsched_loop_run()); other threads post with performers, as always.
 */
#ifndef LIBSCHED_GLIB_SOURCE_H
#define LIBSCHED_GLIB_SOURCE_H

#include <glib.h>
#include <libsched/libsched.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates a source that runs loop inside whatever GMainContext it is
 * attached to, at GLib priority priority (G_PRIORITY_DEFAULT_IDLE for
 * idle work under GTK's redraw, G_PRIORITY_DEFAULT beside I/O, ...).
 * Returns a new reference (g_source_unref()), or NULL with errno set:
 * EINVAL (NULL loop), or the error of lsched_loop_fd() (EMFILE, ...).
 */
LSCHED_API GSource *lsched_glib_source_new(lsched_loop *loop, int priority);

/* The source's loop, or NULL if source is NULL or not one of ours. */
LSCHED_API lsched_loop *lsched_glib_source_loop(GSource *source);

/*
 * The error that removed the source, if any: a negative errno returned by
 * lsched_loop_dispatch() other than -EBUSY (the poller failed). 0 while none; -EINVAL for
 * NULL or a source not made by lsched_glib_source_new().
 */
LSCHED_API int lsched_glib_source_error(GSource *source);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_GLIB_SOURCE_H */
