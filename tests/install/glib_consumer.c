/* Built against an installed libsched-glib with `pkg-config libsched-glib`
 * by scripts/test-install.sh: proves its header, library and .pc file
 * (which pulls in libsched's and GLib's) work together. A GMainLoop runs a
 * libsched timer task that stops the loop; the source's stop callback
 * quits the GMainLoop; exits 0. */
#include <libsched/glib-source.h>
#include <stdio.h>

static int fired;

static void on_timer(lsched_task *task, void *arg)
{
	fired++;
	lsched_loop_stop(lsched_task_loop(task));
}

static gboolean on_stop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

int main(void)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	GMainLoop *ml = g_main_loop_new(NULL, FALSE);
	lsched_task *timer;
	GSource *src;

	if (!loop)
		return 1;
	timer = lsched_task_new(loop, "consumer timer", LSCHED_TASK_TIMER,
				LSCHED_PRIO_DEFAULT, on_timer, NULL);
	if (!timer || lsched_task_set_timeout(timer, LSCHED_MS(5)) != 0 ||
	    lsched_task_start(timer) != 0)
		return 1;
	src = lsched_glib_source_new(loop, G_PRIORITY_DEFAULT_IDLE);
	if (!src)
		return 1;
	g_source_set_callback(src, on_stop, ml, NULL);
	g_source_attach(src, NULL);
	g_main_loop_run(ml);
	g_source_unref(src);
	g_main_loop_unref(ml);
	lsched_task_destroy(timer);
	lsched_loop_destroy(loop);
	printf("libsched-glib: timer fired %d time(s) in a GMainLoop\n", fired);
	return fired == 1 ? 0 : 1;
}
