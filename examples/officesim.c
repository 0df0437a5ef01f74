/*
 * officesim: a small simulated office application on libsched.
 *
 * It exercises every priority, idles and timers, a task with a child, a
 * starved task rescued by a maximum wait, and a long task that splits its
 * work with a TaskStopwatch. An input thread types keystrokes and posts
 * them to the main loop through a Performer; autosaves go as messages to a
 * "storage" thread server, which hands the blocking writes to a task pool
 * and reports each finished save back to the main loop. At the end it
 * prints what happened: per priority and per task, how often it ran, how
 * long it waited to run, how long it ran; and how the cross-thread parts
 * fared.
 *
 *   officesim [--seconds N] [--quiet]
 *
 * Exits 0 after N seconds (default 3), or at once, cleanly, on SIGINT or
 * SIGTERM (the report is still printed); 2 on a bad option or argument,
 * with one line on stderr; 1 if the library reports an error.
 */
#include <libsched/libsched.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* What the demo measures for each task. */
struct stats {
	const char *what;
	uint64_t runs;
	int64_t wait_total, wait_max;
	int64_t run_total, run_max;
};

struct office {
	lsched_loop *loop;
	bool quiet;
	lsched_performer *perf; /* the main loop's: input and save reports */
	pthread_t typist;       /* the input thread */
	atomic_bool typing;
	_Atomic uint64_t keys_pending; /* typed, not yet handled */
	uint64_t keystrokes;
	uint64_t rng;

	lsched_server *storage; /* thread server: saves documents */
	lsched_pool *pool;      /* its blocking writes */
	uint64_t saves_asked, saves_done, saves_failed;

	lsched_timer *ticker;   /* loop timer: prints progress each second */
	lsched_timer *end;      /* loop timer: ends the demo */

	lsched_task *keystroke; /* HIGHEST idle: handles a keystroke */
	lsched_task *autosave;  /* DEFAULT auto timer */
	lsched_task *layout;    /* HIGH_IDLE idle, parent of repaint */
	lsched_task *resize;    /* RESIZE timer */
	lsched_task *repaint;   /* REPAINT idle, child of layout */
	lsched_task *blink;     /* POST_PAINT auto timer: cursor blink */
	lsched_task *wordcount; /* DEFAULT_IDLE auto idle: long, stopwatch */
	lsched_task *thumbnail; /* LOWEST idle, with a maximum wait */
	lsched_task *spell;     /* LOWEST auto idle, starved: no max wait */

	/* the long task's work */
	uint64_t words_left, words_done, slices, slice_input, slice_used;
	uint64_t forced_runs;
	int seconds_done;
	int64_t t0;
};

static int64_t now_ns(const struct office *o)
{
	return lsched_loop_now(o->loop);
}

static void spin(struct office *o, int64_t ns)
{
	/* Simulated work: burn CPU for ns of real time. */
	int64_t end = lsched_loop_update_now(o->loop) + ns;

	while (lsched_loop_update_now(o->loop) < end)
		;
}

static uint64_t rnd(struct office *o)
{
	o->rng ^= o->rng << 13;
	o->rng ^= o->rng >> 7;
	o->rng ^= o->rng << 17;
	return o->rng;
}

/* Wraps every task callback: measures wait and run time. */
static void account(lsched_task *t, struct stats *s, int64_t start)
{
	lsched_loop *loop = lsched_task_loop(t);
	int64_t ready = lsched_task_ready_since(t);
	int64_t wait = ready >= 0 && start > ready ? start - ready : 0;
	int64_t run = lsched_loop_update_now(loop) - start;

	s->runs++;
	s->wait_total += wait;
	if (wait > s->wait_max)
		s->wait_max = wait;
	s->run_total += run;
	if (run > s->run_max)
		s->run_max = run;
}

#define TASK_STATS(name) static struct stats name##_stats = { .what = #name }
TASK_STATS(keystroke);
TASK_STATS(autosave);
TASK_STATS(layout);
TASK_STATS(resize);
TASK_STATS(repaint);
TASK_STATS(blink);
TASK_STATS(wordcount);
TASK_STATS(thumbnail);
TASK_STATS(spell);

static void say(const struct office *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct office *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet)
		return;
	printf("[%6.3f s] ", (double)(now_ns(o) - o->t0) / 1e9);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ---- tasks -------------------------------------------------------------- */

static void on_keystroke(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, LSCHED_US(50));
	/* Typing invalidates the layout; layout's child (repaint) follows. */
	lsched_task_start(o->layout);
	account(t, &keystroke_stats, start);
}

/* ---- saving: main loop -> storage server -> pool -> main loop ---------- */

enum { MSG_SAVE = 1 };

struct save {
	struct office *o;
	uint64_t version;
	int status;
};

/* On a pool worker: the blocking write. */
static int write_job(void *arg, void **result)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	nanosleep(&ts, NULL); /* write + fsync */
	*result = arg;
	return 0;
}

/* Back on the main loop. */
static void on_saved(void *arg)
{
	struct save *s = arg;

	if (s->status == 0)
		s->o->saves_done++;
	else
		s->o->saves_failed++;
	free(s);
}

/* On the storage server's loop: report to the main loop. */
static void write_done(int status, void *result, void *arg)
{
	struct save *s = arg;

	s->status = status;
	if (lsched_perform_at(s->o->perf, LSCHED_PRIO_DEFAULT, "save done",
			      on_saved, s, 0) != 0)
		free(s); /* the main loop has shut down */
}

/* On the storage server's thread: hand the write to the pool. */
static int on_save_msg(lsched_server *srv, uint32_t id, void *payload,
		       void *arg)
{
	struct save *s = payload;

	return lsched_pool_submit(s->o->pool, lsched_server_performer(srv),
				  write_job, write_done, s);
}

static void on_autosave(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);
	struct save *s = malloc(sizeof(*s));

	spin(o, LSCHED_US(300)); /* serialise the document */
	if (s) {
		*s = (struct save){ .o = o, .version = autosave_stats.runs };
		if (lsched_server_send(o->storage, MSG_SAVE, s, NULL) == 0)
			o->saves_asked++;
		else
			free(s);
	}
	account(t, &autosave_stats, start);
}

static void on_layout(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, LSCHED_US(300));
	/* A one-shot run completes here: its child, repaint, starts. */
	account(t, &layout_stats, start);
}

static void on_resize(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	say(o, "RESIZE      window resized: relayout and repaint");
	spin(o, LSCHED_MS(2));
	lsched_task_start(o->layout);
	lsched_task_set_timeout(t, LSCHED_MS(700 + (int64_t)(rnd(o) % 600)));
	lsched_task_start(t);
	account(t, &resize_stats, start);
}

static void on_repaint(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, LSCHED_US(400));
	account(t, &repaint_stats, start);
}

static void on_blink(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, LSCHED_US(20));
	account(t, &blink_stats, start);
}

/* The long task: counts words of a big document in slices. Each run works
 * until the stopwatch says the slice is used up or input is pending. */
static void on_wordcount(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);
	struct lsched_stopwatch sw;

	lsched_stopwatch_init(&sw, o->loop);
	lsched_stopwatch_set_slice(&sw, LSCHED_MS(20));
	while (o->words_left > 0) {
		spin(o, LSCHED_US(250)); /* one paragraph */
		o->words_left -= o->words_left < 500 ? o->words_left : 500;
		o->words_done += 500;
		if (!lsched_stopwatch_continue(&sw))
			break;
	}
	o->slices++;
	if (lsched_stopwatch_verdict(&sw) == LSCHED_SW_INPUT_PENDING)
		o->slice_input++;
	else if (lsched_stopwatch_verdict(&sw) == LSCHED_SW_SLICE_USED)
		o->slice_used++;
	if (o->words_left == 0) {
		say(o, "DEFAULT_IDLE word count done in %llu slices",
		    (unsigned long long)o->slices);
		lsched_task_stop(t);
	}
	account(t, &wordcount_stats, start);
}

static void on_thumbnail(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);
	int64_t waited = start - lsched_task_ready_since(t);

	if (waited >= lsched_task_max_wait(t))
		o->forced_runs++;
	spin(o, LSCHED_US(500));
	/* Regenerate the thumbnail again a bit later. */
	account(t, &thumbnail_stats, start);
	lsched_task_start(t);
}

static void on_spell(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, LSCHED_US(100));
	account(t, &spell_stats, start);
}

/* ---- input and loop timers --------------------------------------------- */

/* Posted by the input thread, run on the main loop: takes every key typed
 * since the last post, as a real input queue would. */
static void on_keys(void *arg)
{
	struct office *o = arg;
	uint64_t n = atomic_exchange(&o->keys_pending, 0);

	if (n) {
		o->keystrokes += n;
		lsched_task_start(o->keystroke);
	}
}

/* The input thread: a burst of 1-3 keys every 30 ms. */
static void *typist_main(void *arg)
{
	struct office *o = arg;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	while (atomic_load(&o->typing)) {
		nanosleep(&ts, NULL);
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		atomic_fetch_add(&o->keys_pending, 1 + rng % 3);
		if (lsched_perform(o->perf, on_keys, o, 0) != 0)
			break; /* the main loop's performer closed */
	}
	return NULL;
}

static void on_ticker(lsched_timer *tm, void *arg)
{
	struct office *o = arg;

	o->seconds_done++;
	say(o, "tick %d: %llu keystrokes, %llu words counted, %llu thumbnails",
	    o->seconds_done, (unsigned long long)o->keystrokes,
	    (unsigned long long)o->words_done,
	    (unsigned long long)thumbnail_stats.runs);
}

static void on_end(lsched_timer *tm, void *arg)
{
	struct office *o = arg;

	lsched_loop_stop(o->loop);
}

static void on_signal(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct office *o = arg;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		say(o, "signal %u: stopping", si.ssi_signo);
	lsched_loop_stop(loop);
}

/* ---- setup and report ---------------------------------------------------- */

static void fail(const char *what, int err)
{
	fprintf(stderr, "officesim: %s: %s\n", what, lsched_strerror(err));
	exit(1);
}

static lsched_task *mk(struct office *o, const char *name,
		       enum lsched_task_kind kind, int prio, lsched_task_cb cb,
		       int64_t timeout_ms)
{
	lsched_task *t = lsched_task_new(o->loop, name, kind, prio, cb, o);

	if (!t)
		fail(name, -errno);
	lsched_task_set_timeout(t, LSCHED_MS(timeout_ms));
	return t;
}

static void row(const struct stats *s, lsched_task *t)
{
	printf("  %-12s %-12s %7llu %10.3f %10.3f %10.3f %10.3f\n", s->what,
	       lsched_priority_name(lsched_task_priority(t)),
	       (unsigned long long)s->runs,
	       s->runs ? (double)s->wait_total / (double)s->runs / 1e6 : 0.0,
	       (double)s->wait_max / 1e6,
	       s->runs ? (double)s->run_total / (double)s->runs / 1e6 : 0.0,
	       (double)s->run_max / 1e6);
}

static void report(struct office *o, double secs,
		   const struct lsched_performer_stats *ps,
		   const struct lsched_server_stats *ss,
		   const struct lsched_pool_stats *pst)
{
	printf("\nofficesim: %.2f s simulated office work on libsched %s\n", secs,
	       lsched_version());
	printf("  %llu keystrokes typed; word count %s after %llu slices "
	       "(%llu ended by input, %llu by a used-up slice);\n",
	       (unsigned long long)o->keystrokes,
	       o->words_left ? "unfinished" : "finished",
	       (unsigned long long)o->slices,
	       (unsigned long long)o->slice_input,
	       (unsigned long long)o->slice_used);
	printf("  'thumbnail' (LOWEST, max wait 250 ms) ran %llu times, %llu "
	       "of them forced by its max wait;\n",
	       (unsigned long long)thumbnail_stats.runs,
	       (unsigned long long)o->forced_runs);
	printf("  'spell' (LOWEST, no max wait) ran %llu times: strict "
	       "priority starves it while higher work is ready.\n",
	       (unsigned long long)spell_stats.runs);
	printf("  input thread -> main loop: %llu posts, %llu wake-ups "
	       "written (%llu coalesced: the loop was already signalled), "
	       "%llu run;\n",
	       (unsigned long long)ps->posts, (unsigned long long)ps->wakes,
	       (unsigned long long)(ps->posts - ps->wakes),
	       (unsigned long long)ps->ran);
	printf("  autosave -> 'storage' server -> pool -> main loop: %llu "
	       "saves asked, %llu done, %llu failed or cancelled;\n",
	       (unsigned long long)o->saves_asked,
	       (unsigned long long)o->saves_done,
	       (unsigned long long)o->saves_failed);
	printf("  'storage' server: %llu messages handled, %llu failed; pool: "
	       "%llu jobs completed, %llu cancelled.\n\n",
	       (unsigned long long)ss->handled, (unsigned long long)ss->failed,
	       (unsigned long long)pst->completed,
	       (unsigned long long)pst->cancelled);
	printf("  %-12s %-12s %7s %10s %10s %10s %10s\n", "task", "priority",
	       "runs", "wait avg", "wait max", "run avg", "run max");
	printf("  %-12s %-12s %7s %10s %10s %10s %10s\n", "", "", "", "(ms)",
	       "(ms)", "(ms)", "(ms)");
	row(&keystroke_stats, o->keystroke);
	row(&autosave_stats, o->autosave);
	row(&layout_stats, o->layout);
	row(&resize_stats, o->resize);
	row(&repaint_stats, o->repaint);
	row(&blink_stats, o->blink);
	row(&wordcount_stats, o->wordcount);
	row(&thumbnail_stats, o->thumbnail);
	row(&spell_stats, o->spell);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: officesim [--seconds N] [--quiet]\n"
		   "  Simulates an office application on libsched for N seconds "
		   "(default 3)\n  and prints what its scheduler did. "
		   "Ctrl-C ends it early.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct office o = { .rng = 0x9e3779b97f4a7c15ull };
	double seconds = 3;
	sigset_t sigs;
	int sfd, c, err;
	int64_t t0;

	opterr = 0; /* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, ":s:qh", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 's':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno || *end || !(seconds > 0) || seconds > 86400) {
				fprintf(stderr, "officesim: --seconds wants a "
						"number in (0, 86400], not "
						"'%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "officesim: option '%s' needs a value\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "officesim: bad option '%s' (try --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "officesim: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 ||
	    (sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		perror("officesim");
		return 1;
	}

	o.loop = lsched_loop_new(NULL);
	if (!o.loop)
		fail("loop", -errno);
	if ((err = lsched_loop_watch_fd(o.loop, sfd, LSCHED_FD_READ, on_signal,
					&o)))
		fail("watch", err);
	o.perf = lsched_performer_new(o.loop);
	if (!o.perf)
		fail("performer", -errno);
	o.pool = lsched_pool_new(2, "storage-pool");
	if (!o.pool)
		fail("pool", -errno);
	o.storage = lsched_server_start(&(struct lsched_server_config){
		.name = "storage" });
	if (!o.storage)
		fail("storage server", -errno);
	if ((err = lsched_server_handle(o.storage, MSG_SAVE, on_save_msg, NULL)))
		fail("storage handler", err);

	o.keystroke = mk(&o, "keystroke", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGHEST,
			 on_keystroke, 0);
	o.autosave = mk(&o, "autosave", LSCHED_TASK_AUTO_TIMER,
			LSCHED_PRIO_DEFAULT, on_autosave, 200);
	o.layout = mk(&o, "layout", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGH_IDLE,
		      on_layout, 0);
	o.resize = mk(&o, "resize", LSCHED_TASK_TIMER, LSCHED_PRIO_RESIZE,
		      on_resize, 900);
	o.repaint = mk(&o, "repaint", LSCHED_TASK_IDLE, LSCHED_PRIO_REPAINT,
		       on_repaint, 0);
	o.blink = mk(&o, "blink", LSCHED_TASK_AUTO_TIMER,
		     LSCHED_PRIO_POST_PAINT, on_blink, 500);
	o.wordcount = mk(&o, "wordcount", LSCHED_TASK_AUTO_IDLE,
			 LSCHED_PRIO_DEFAULT_IDLE, on_wordcount, 0);
	o.thumbnail = mk(&o, "thumbnail", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			 on_thumbnail, 0);
	o.spell = mk(&o, "spell", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_LOWEST,
		     on_spell, 0);
	o.words_left = 2400000;
	if ((err = lsched_task_add_child(o.layout, o.repaint)) ||
	    (err = lsched_task_set_max_wait(o.thumbnail, LSCHED_MS(250))))
		fail("task setup", err);

	o.ticker = lsched_timer_new(o.loop, on_ticker, &o);
	o.end = lsched_timer_new(o.loop, on_end, &o);
	if (!o.ticker || !o.end)
		fail("timer", -errno);
	lsched_timer_start(o.ticker, LSCHED_S(1), LSCHED_S(1),
			   LSCHED_CATCHUP_SKIP);
	lsched_timer_start(o.end, (int64_t)(seconds * 1e9), 0,
			   LSCHED_CATCHUP_SKIP);

	lsched_task_start(o.autosave);
	lsched_task_start(o.resize);
	lsched_task_start(o.blink);
	lsched_task_start(o.wordcount);
	lsched_task_start(o.thumbnail);
	lsched_task_start(o.spell);

	t0 = o.t0 = lsched_loop_update_now(o.loop);
	say(&o, "officesim: typing, autosaving, counting words for %.1f s",
	    seconds);
	atomic_store(&o.typing, true);
	if ((err = pthread_create(&o.typist, NULL, typist_main, &o)))
		fail("input thread", -err);
	err = lsched_loop_run(o.loop, LSCHED_RUN_DEFAULT);
	if (err)
		fail("run", err);

	/* Shut down in dependency order; nothing accepted is lost: the pool
	 * delivers cancelled jobs to the storage server, which handles every
	 * message it accepted; closing our performer runs every report and
	 * keystroke it accepted. */
	{
		struct lsched_performer_stats ps;
		struct lsched_server_stats ss;
		struct lsched_pool_stats pst;
		double secs = (double)(lsched_loop_update_now(o.loop) - t0) / 1e9;

		atomic_store(&o.typing, false);
		pthread_join(o.typist, NULL);
		lsched_pool_stats(o.pool, &pst);
		err = lsched_pool_destroy(o.pool);
		pst.cancelled = err > 0 ? (uint64_t)err : 0;
		lsched_server_stop(o.storage);
		lsched_server_stats(o.storage, &ss);
		lsched_server_destroy(o.storage);
		lsched_performer_close(o.perf);
		lsched_performer_stats(o.perf, &ps);
		report(&o, secs, &ps, &ss, &pst);
	}
	lsched_performer_destroy(o.perf);
	lsched_loop_destroy(o.loop); /* frees the tasks and timers */
	close(sfd);
	return 0;
}
