/*
 * uv_host: a libsched loop driven by a libuv loop (docs/embedding.md).
 *
 * The program keeps libuv's loop as its main loop and hosts libsched in
 * it with three handles:
 *  - a uv_poll_t on lsched_loop_fd(): readable when libsched has
 *    something to do (a descriptor ready, posted work, a stop, a deadline
 *    passed, tasks ready);
 *  - a uv_timer_t for lsched_loop_timeout(): the next deadline, re-armed
 *    before every poll of libuv by
 *  - a uv_prepare_t, which runs just before libuv polls, as GLib's
 *    prepare does (a task started from a libuv callback shows at once).
 * Either the poll or the timer runs lsched_loop_dispatch(): one
 * non-blocking libsched cycle. When libsched is stopped, the handles are
 * closed and uv_run() returns.
 *
 * The work: tasks at three priorities, a libsched timer task, work posted
 * from another thread, and a libuv timer of the host's own beside them;
 * the last libsched task stops the loop. It prints what ran and exits 0
 * if everything ran as many times as it should, 1 otherwise.
 */
#include <libsched/libsched.h>
#include <pthread.h>
#include <stdio.h>
#include <uv.h>

struct host {
	lsched_loop *loop;
	uv_poll_t poll;
	uv_timer_t timer;
	uv_prepare_t prepare;
	uv_timer_t host_tick; /* the host's own work */
	int dispatches, idles, ticks, posts, host_ticks;
};

static void on_idle(lsched_task *task, void *arg)
{
	struct host *h = arg;

	h->idles++;
	printf("libsched %-12s (%s)\n", lsched_task_name(task),
	       lsched_priority_name(lsched_task_priority(task)));
}

static void on_tick(lsched_task *task, void *arg)
{
	struct host *h = arg;

	if (++h->ticks == 5) {
		lsched_task_stop(task);
		printf("libsched tick ran 5 times: stopping\n");
		lsched_loop_stop(h->loop);
	}
}

static void on_post(void *arg)
{
	((struct host *)arg)->posts++;
}

static struct host host;

/* Another thread posts to the hosted loop: its wake-up makes the loop's
 * descriptor readable, so libuv's poll returns. */
static void *poster(void *arg)
{
	lsched_performer *p = arg;

	for (int i = 0; i < 3; i++)
		lsched_perform(p, on_post, &host, 0);
	return NULL;
}

static void close_all(struct host *h)
{
	uv_close((uv_handle_t *)&h->poll, NULL);
	uv_close((uv_handle_t *)&h->timer, NULL);
	uv_close((uv_handle_t *)&h->prepare, NULL);
	uv_close((uv_handle_t *)&h->host_tick, NULL);
}

static void dispatch(struct host *h)
{
	int r = lsched_loop_dispatch(h->loop);

	h->dispatches++;
	if (r == 1)
		close_all(h); /* libsched was stopped: so is the host */
	else if (r < 0)
		fprintf(stderr, "uv_host: %s\n", lsched_strerror(r));
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	dispatch(p->data);
}

static void on_deadline(uv_timer_t *t)
{
	dispatch(t->data);
}

/* Before libuv polls: arm the timer for libsched's next deadline. */
static void on_prepare(uv_prepare_t *p)
{
	struct host *h = p->data;
	int ms = lsched_loop_timeout(h->loop);

	if (ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, on_deadline, (uint64_t)ms, 0);
}

static void on_host_tick(uv_timer_t *t)
{
	((struct host *)t->data)->host_ticks++;
}

int main(void)
{
	uv_loop_t *uv = uv_default_loop();
	struct host *h = &host;
	lsched_performer *perf;
	pthread_t th;
	int fd;

	h->loop = lsched_loop_new(NULL);
	if (!h->loop)
		return 1;
	perf = lsched_performer_new(h->loop);
	fd = lsched_loop_fd(h->loop);
	if (!perf || fd < 0)
		return 1;
	lsched_task_start(lsched_task_new(h->loop, "lowest", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_LOWEST, on_idle, h));
	lsched_task_start(lsched_task_new(h->loop, "repaint", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_REPAINT, on_idle, h));
	lsched_task_start(lsched_task_new(h->loop, "highest", LSCHED_TASK_IDLE,
					  LSCHED_PRIO_HIGHEST, on_idle, h));
	{
		lsched_task *tick = lsched_task_new(h->loop, "tick",
						    LSCHED_TASK_AUTO_TIMER,
						    LSCHED_PRIO_DEFAULT,
						    on_tick, h);

		lsched_task_set_timeout(tick, LSCHED_MS(20));
		lsched_task_start(tick);
	}

	uv_poll_init(uv, &h->poll, fd);
	uv_timer_init(uv, &h->timer);
	uv_prepare_init(uv, &h->prepare);
	uv_timer_init(uv, &h->host_tick);
	h->poll.data = h->timer.data = h->prepare.data = h->host_tick.data = h;
	uv_poll_start(&h->poll, UV_READABLE, on_readable);
	uv_prepare_start(&h->prepare, on_prepare);
	uv_timer_start(&h->host_tick, on_host_tick, 7, 7);

	if (pthread_create(&th, NULL, poster, perf) != 0)
		return 1;
	uv_run(uv, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	/* Posts that arrived after the stop run here, as they would after
	 * lsched_loop_run() returned. */
	lsched_performer_close(perf);
	lsched_performer_destroy(perf);
	lsched_loop_destroy(h->loop);
	uv_loop_close(uv);
	printf("libuv hosted libsched: %d dispatches; %d idles, %d ticks, "
	       "%d posts; the host's own timer ran %d times\n",
	       h->dispatches, h->idles, h->ticks, h->posts, h->host_ticks);
	return h->idles == 3 && h->ticks == 5 && h->posts == 3 &&
			       h->host_ticks > 0
		       ? 0
		       : 1;
}
