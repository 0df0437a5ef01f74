#include <libsched/libsched.h>
#include <stdio.h>

static void paint(lsched_task *task, void *arg)
{
	printf("repaint\n");
}

static void quit(lsched_task *task, void *arg)
{
	lsched_loop_stop(lsched_task_loop(task));
}

int main(void)
{
	lsched_loop *loop = lsched_loop_new(NULL);   /* monotonic clock */
	lsched_task *repaint = lsched_task_new(loop, "repaint", LSCHED_TASK_IDLE,
					       LSCHED_PRIO_REPAINT, paint, NULL);
	lsched_task *bye = lsched_task_new(loop, "quit", LSCHED_TASK_TIMER,
					   LSCHED_PRIO_DEFAULT, quit, NULL);

	lsched_task_set_timeout(bye, LSCHED_MS(100));
	lsched_task_start(repaint);
	lsched_task_start(bye);
	lsched_loop_run(loop, LSCHED_RUN_DEFAULT);   /* until stopped */
	lsched_loop_destroy(loop);                   /* frees both tasks */
	return 0;
}
