/* Built against an installed libsched with pkg-config by
 * scripts/test-install.sh: proves the installed headers, library and .pc
 * file work together. Runs a timer and an idle, then exits 0. */
#include <libsched/libsched.h>
#include <stdio.h>

static int fired;

static void on_idle(lsched_task *task, void *arg)
{
	fired++;
	lsched_loop_stop(lsched_task_loop(task));
}

int main(void)
{
	lsched_loop *loop = lsched_loop_new(NULL);
	lsched_task *idle;

	if (!loop)
		return 1;
	idle = lsched_task_new(loop, "consumer idle", LSCHED_TASK_IDLE,
			       LSCHED_PRIO_DEFAULT_IDLE, on_idle, NULL);
	if (!idle || lsched_task_start(idle) != 0)
		return 1;
	if (lsched_loop_run(loop, LSCHED_RUN_DEFAULT) != 0)
		return 1;
	lsched_task_destroy(idle);
	lsched_loop_destroy(loop);
	printf("libsched %s: idle fired %d time(s)\n", lsched_version(), fired);
	return fired == 1 ? 0 : 1;
}
