/*
 * officesim: a small simulated office application on libsched.
 *
 * It exercises every priority, idles and timers, a loop timer feeding
 * "keystrokes" through a pipe, a task with a child, a starved task rescued
 * by a maximum wait, and a long task that splits its work with a
 * TaskStopwatch. At the end it prints what happened: per priority and per
 * task, how often it ran, how long it waited to run, how long it ran.
 *
 *   officesim [--seconds N] [--quiet]
 *
 * Exits 0 after N seconds (default 3), or at once, cleanly, on SIGINT or
 * SIGTERM (the report is still printed); 2 on a bad option or argument,
 * with one line on stderr; 1 if the library reports an error.
 */
#include <libsched/libsched.h>

#include <errno.h>
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
	int keys[2];            /* the simulated keyboard: a pipe */
	uint64_t keystrokes;
	uint64_t rng;

	lsched_timer *typist;   /* loop timer: writes keystrokes */
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

static void on_autosave(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, LSCHED_US(800));
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

static void on_key_fd(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct office *o = arg;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		o->keystrokes += (uint64_t)n;
		lsched_task_start(o->keystroke);
	}
}

static void on_typist(lsched_timer *tm, void *arg)
{
	struct office *o = arg;

	/* A burst of 1-3 keys; the pipe makes them real input. */
	if (write(o->keys[1], "abc", 1 + rnd(o) % 3) < 0)
		perror("officesim: write");
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

static void report(struct office *o, double secs)
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
	       "priority starves it while higher work is ready.\n\n",
	       (unsigned long long)spell_stats.runs);
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
	    (sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    pipe(o.keys) < 0) {
		perror("officesim");
		return 1;
	}

	o.loop = lsched_loop_new(NULL);
	if (!o.loop)
		fail("loop", -errno);
	if ((err = lsched_loop_watch_fd(o.loop, sfd, LSCHED_FD_READ, on_signal,
					&o)) ||
	    (err = lsched_loop_watch_fd(o.loop, o.keys[0], LSCHED_FD_READ,
					on_key_fd, &o)))
		fail("watch", err);

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

	o.typist = lsched_timer_new(o.loop, on_typist, &o);
	o.ticker = lsched_timer_new(o.loop, on_ticker, &o);
	o.end = lsched_timer_new(o.loop, on_end, &o);
	if (!o.typist || !o.ticker || !o.end)
		fail("timer", -errno);
	lsched_timer_start(o.typist, LSCHED_MS(30), LSCHED_MS(30),
			   LSCHED_CATCHUP_SKIP);
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
	err = lsched_loop_run(o.loop, LSCHED_RUN_DEFAULT);
	if (err)
		fail("run", err);
	report(&o, (double)(lsched_loop_update_now(o.loop) - t0) / 1e9);

	lsched_loop_destroy(o.loop); /* frees the tasks and timers */
	close(o.keys[0]);
	close(o.keys[1]);
	close(sfd);
	return 0;
}
