/*
 * officesim: a simulated office application on libsched, the program
 * `make demo` profiles.
 *
 * It behaves like a word processor in the VCL model, with one culprit and
 * one victim for the profiler to find:
 *  - an input thread types keystrokes (a burst of 1-3 keys every 30 ms) and
 *    posts them to the main loop through a Performer; now and then (every
 *    1.8 s or so) the user inserts a file;
 *  - "storage", a thread server, loads files (the document at start, each
 *    inserted file) and saves them: it hands the blocking reads and writes
 *    to a task pool and posts each loaded file and finished save back to
 *    the main loop;
 *  - keystroke (HIGHEST) handles typed keys; autosave (DEFAULT timer, every
 *    500 ms) sends the document to storage;
 *  - layout (HIGH_IDLE) reflows the edited paragraph; when the window was
 *    resized (resize, a RESIZE timer every 0.7-1.3 s) it reflows the whole
 *    document in one go: 300 ms without a stopwatch check, input and every
 *    other task wait. This is the long-running culprit;
 *  - repaint (REPAINT, child of layout) paints after each layout; blink
 *    (POST_PAINT timer) blinks the cursor;
 *  - spell (DEFAULT_IDLE) checks every new paragraph, in slices that yield
 *    properly through a TaskStopwatch;
 *  - thumbnail (LOWEST) regenerates the document preview, with a maximum
 *    wait of 150 ms that rescues it whatever runs above;
 *  - indexer (LOWEST, no maximum wait) indexes the text for search: while
 *    the spell checker has work (the freshly loaded document, an inserted
 *    file), strict priority starves it. This is the victim.
 * At the end it prints what happened: per task how often it ran, how long
 * it waited, how long it ran; and how the cross-thread parts fared.
 *
 *   officesim [--seconds N] [--quiet] [--host native|glib]
 *
 * --host glib runs the same loop inside a GLib main loop, through
 * libsched-glib's GSource (docs/embedding.md), instead of
 * lsched_loop_run(): what runs and what schedprof finds are the same.
 * It is there when officesim was built with GLib (make does where GLib is
 * installed); otherwise --host glib is refused with exit status 2.
 *
 * Exits 0 after N seconds (default 3), or at once, cleanly, on SIGINT or
 * SIGTERM (the report is still printed); 2 on a bad option or argument,
 * with one line on stderr; 1 if the library reports an error.
 */
#include <libsched/libsched.h>
#ifdef OFFICESIM_GLIB
#include <libsched/glib-source.h>
#endif

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

/* The simulated costs, in one place: they decide what the profiler sees. */
#define KEY_COST LSCHED_US(50)          /* handle a burst of keys */
#define REFLOW_COST LSCHED_US(300)      /* lay out the edited paragraph */
#define FULL_REFLOW_COST LSCHED_MS(300) /* lay out the whole document */
#define PAINT_COST LSCHED_US(400)
#define BLINK_COST LSCHED_US(20)
#define SERIALISE_COST LSCHED_US(300)   /* autosave, on the main loop */
#define SPELL_PARA_COST LSCHED_US(250)  /* check one paragraph */
/* Below the profiler's long-task threshold (50 ms, VCL's slice) with room
 * to spare, and above the 30 ms between keystrokes, so that the checker
 * usually yields to typing before the slice is used up. */
#define SPELL_SLICE LSCHED_MS(40)
#define INDEX_PARAS 8                   /* paragraphs per indexer run */
#define INDEX_COST LSCHED_US(200)
#define THUMB_COST LSCHED_US(500)
/* The preview is never more than this out of date. It also keeps LOWEST
 * from starving long as a whole, so that the indexer's much longer waits
 * show as its own: the maximum wait runs the thumbnail ahead of it. */
#define THUMB_MAX_WAIT LSCHED_MS(150)
#define WRITE_MS 5                      /* a save's write + fsync */
#define INSERT_EVERY 60                 /* key bursts between inserts */

/* The document opened at start, then the files the user inserts in turn.
 * The document's spell check keeps the main loop busy for most of a second
 * (longer on a loaded machine): the load under which the indexer starves. */
static const struct file_spec {
	const char *name;
	uint32_t paras;
	int read_ms; /* the blocking read */
} document = { "thesis.odt", 2500, 40 }, inserts[] = {
	{ "chapter-notes.odt", 600, 15 },
	{ "survey.csv", 400, 25 },
	{ "appendix.odt", 900, 20 },
};

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
	lsched_performer *perf; /* the main loop's: input, loads, saves */
	pthread_t typist;       /* the input thread */
	atomic_bool typing;
	_Atomic uint64_t keys_pending; /* typed, not yet handled */
	uint64_t keystrokes, key_posts;
	uint64_t rng;

	lsched_server *storage; /* thread server: loads and saves files */
	lsched_pool *pool;      /* its blocking reads and writes */
	unsigned next_insert;
	uint64_t loads_asked, loads_done, loads_failed, paras_loaded;
	uint64_t saves_asked, saves_done, saves_failed;

	lsched_timer *ticker;   /* loop timer: prints progress each second */
	lsched_timer *end;      /* loop timer: ends the demo */

	lsched_task *keystroke; /* HIGHEST idle: handles typed keys */
	lsched_task *autosave;  /* DEFAULT auto timer */
	lsched_task *layout;    /* HIGH_IDLE idle, parent of repaint */
	lsched_task *resize;    /* RESIZE timer: asks for a full reflow */
	lsched_task *repaint;   /* REPAINT idle, child of layout */
	lsched_task *blink;     /* POST_PAINT auto timer: cursor blink */
	lsched_task *spell;     /* DEFAULT_IDLE auto idle, stopwatch */
	lsched_task *thumbnail; /* LOWEST idle, with a maximum wait */
	lsched_task *indexer;   /* LOWEST auto idle, no maximum wait */

	bool full_reflow;       /* the next layout reflows everything */
	uint64_t full_reflows;
	int64_t full_reflow_max;
	/* The spell checker's and the indexer's backlogs, in paragraphs. */
	uint64_t spell_left, spell_done, slices, slice_input, slice_used;
	uint64_t spell_said;    /* spell_done when it last caught up */
	uint64_t index_left, index_done;
	uint64_t forced_runs;   /* thumbnail runs forced by its max wait */
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

/* Starts t unless it is already waiting: a restart would move it to the
 * tail of its queue and restart its wait, and a task that must not starve
 * would then never reach its maximum wait. */
static void want(lsched_task *t)
{
	if (!lsched_task_is_active(t))
		lsched_task_start(t);
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
TASK_STATS(spell);
TASK_STATS(thumbnail);
TASK_STATS(indexer);

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

/* New or changed text: the spell checker and the indexer have more to do. */
static void text_changed(struct office *o, uint64_t paras)
{
	o->spell_left += paras;
	o->index_left += paras;
	want(o->spell);
	want(o->indexer);
}

/* ---- files: main loop -> storage server -> pool -> main loop ----------- */

enum { MSG_LOAD = 1, MSG_SAVE };

struct io {
	struct office *o;
	const struct file_spec *file; /* what to load, or NULL for a save */
	int status;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* On a pool worker: the blocking read of a file. */
static int read_job(void *arg, void **result)
{
	struct io *io = arg;

	sleep_ms(io->file->read_ms);
	*result = io;
	return 0;
}

/* On a pool worker: the blocking write of a save. */
static int write_job(void *arg, void **result)
{
	sleep_ms(WRITE_MS); /* write + fsync */
	*result = arg;
	return 0;
}

/* Back on the main loop: the file's text is in the document. */
static void on_loaded(void *arg)
{
	struct io *io = arg;
	struct office *o = io->o;

	if (io->status == 0) {
		o->loads_done++;
		o->paras_loaded += io->file->paras;
		say(o, "DEFAULT     loaded %s: %u paragraphs to spell-check "
		       "and index", io->file->name, io->file->paras);
		text_changed(o, io->file->paras);
		lsched_task_start(o->layout);
	} else {
		o->loads_failed++;
	}
	free(io);
}

static void on_saved(void *arg)
{
	struct io *io = arg;

	if (io->status == 0)
		io->o->saves_done++;
	else
		io->o->saves_failed++;
	free(io);
}

/* On the storage server's loop: report to the main loop, as a DEFAULT
 * task, so that the profile shows loads and saves among the other tasks. */
static void io_done(int status, void *result, void *arg)
{
	struct io *io = arg;

	io->status = status;
	if (lsched_perform_at(io->o->perf, LSCHED_PRIO_DEFAULT,
			      io->file ? "file loaded" : "save done",
			      io->file ? on_loaded : on_saved, io, 0) != 0)
		free(io); /* the main loop has shut down */
}

/* On the storage server's thread: hand the blocking part to the pool. */
static int on_io_msg(lsched_server *srv, uint32_t id, void *payload,
		     void *arg)
{
	struct io *io = payload;

	return lsched_pool_submit(io->o->pool, lsched_server_performer(srv),
				  id == MSG_LOAD ? read_job : write_job,
				  io_done, io);
}

/* From the main loop: load file (NULL: save the document) on storage. */
static void ask_storage(struct office *o, const struct file_spec *file)
{
	struct io *io = malloc(sizeof(*io));

	if (file)
		o->loads_asked++;
	else
		o->saves_asked++;
	/* Filled in before the send: the server may handle it at once. */
	if (io)
		*io = (struct io){ .o = o, .file = file };
	if (!io || !o->storage ||
	    lsched_server_send(o->storage, file ? MSG_LOAD : MSG_SAVE, io,
			       NULL) != 0) {
		free(io);
		if (file)
			o->loads_failed++;
		else
			o->saves_failed++;
	}
}

/* ---- tasks -------------------------------------------------------------- */

static void on_keystroke(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, KEY_COST);
	/* The edited paragraph needs reflowing (and so, as layout's child,
	 * repainting), checking and indexing again. */
	lsched_task_start(o->layout);
	text_changed(o, 1);
	account(t, &keystroke_stats, start);
}

static void on_autosave(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, SERIALISE_COST);
	ask_storage(o, NULL);
	account(t, &autosave_stats, start);
}

/* Reflows the edited paragraph, or after a resize the whole document, in
 * one go: no stopwatch, nothing can run meanwhile. The culprit. */
static void on_layout(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	if (o->full_reflow) {
		int64_t took;

		o->full_reflow = false;
		spin(o, FULL_REFLOW_COST);
		took = lsched_loop_update_now(o->loop) - start;
		o->full_reflows++;
		if (took > o->full_reflow_max)
			o->full_reflow_max = took;
		say(o, "HIGH_IDLE   layout reflowed the whole document in "
		       "%.0f ms without yielding", (double)took / 1e6);
	} else {
		spin(o, REFLOW_COST);
	}
	/* A one-shot run completes here: its child, repaint, starts. */
	account(t, &layout_stats, start);
}

static void on_resize(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	say(o, "RESIZE      window resized: the whole document needs a "
	       "reflow");
	o->full_reflow = true;
	lsched_task_start(o->layout);
	lsched_task_set_timeout(t, LSCHED_MS(700 + (int64_t)(rnd(o) % 600)));
	lsched_task_start(t);
	account(t, &resize_stats, start);
}

static void on_repaint(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, PAINT_COST);
	want(o->thumbnail); /* the preview is out of date */
	account(t, &repaint_stats, start);
}

static void on_blink(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);

	spin(o, BLINK_COST);
	account(t, &blink_stats, start);
}

/* Checks paragraphs until the stopwatch says the slice is used up or input
 * is pending; the auto idle runs again for the rest. */
static void on_spell(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);
	struct lsched_stopwatch sw;

	lsched_stopwatch_init(&sw, o->loop);
	lsched_stopwatch_set_slice(&sw, SPELL_SLICE);
	while (o->spell_left > 0) {
		spin(o, SPELL_PARA_COST);
		o->spell_left--;
		o->spell_done++;
		if (!lsched_stopwatch_continue(&sw))
			break;
	}
	o->slices++;
	if (lsched_stopwatch_verdict(&sw) == LSCHED_SW_INPUT_PENDING)
		o->slice_input++;
	else if (lsched_stopwatch_verdict(&sw) == LSCHED_SW_SLICE_USED)
		o->slice_used++;
	if (o->spell_left == 0) {
		/* Say so after a file's backlog, not after every keystroke. */
		if (o->spell_done - o->spell_said >= 100)
			say(o, "DEFAULT_IDLE spell check caught up (%llu "
			       "paragraphs checked)",
			    (unsigned long long)o->spell_done);
		o->spell_said = o->spell_done;
		lsched_task_stop(t);
	}
	account(t, &spell_stats, start);
}

static void on_thumbnail(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);
	int64_t waited = start - lsched_task_ready_since(t);

	if (waited >= lsched_task_max_wait(t))
		o->forced_runs++;
	spin(o, THUMB_COST);
	account(t, &thumbnail_stats, start);
}

/* Short runs, no stopwatch needed; it stops when it has caught up. */
static void on_indexer(lsched_task *t, void *arg)
{
	struct office *o = arg;
	int64_t start = now_ns(o);
	int64_t waited = start - lsched_task_ready_since(t);
	uint64_t n = o->index_left < INDEX_PARAS ? o->index_left : INDEX_PARAS;

	if (waited > LSCHED_MS(100))
		say(o, "LOWEST      indexer ran after starving %.0f ms",
		    (double)waited / 1e6);
	spin(o, INDEX_COST);
	o->index_left -= n;
	o->index_done += n;
	if (o->index_left == 0)
		lsched_task_stop(t);
	account(t, &indexer_stats, start);
}

/* ---- input and loop timers --------------------------------------------- */

/* Posted by the input thread, run on the main loop: takes every key typed
 * since the last post, as a real input queue would. */
static void on_keys(void *arg)
{
	struct office *o = arg;
	uint64_t n = atomic_exchange(&o->keys_pending, 0);

	o->key_posts++;
	if (n) {
		o->keystrokes += n;
		lsched_task_start(o->keystroke);
	}
}

/* Posted by the input thread: Insert > Text from File. */
static void on_insert(void *arg)
{
	struct office *o = arg;
	const struct file_spec *f =
		&inserts[o->next_insert++ % (sizeof(inserts) / sizeof(*inserts))];

	say(o, "input       user inserts %s: storage loads it", f->name);
	ask_storage(o, f);
}

/* The input thread: a burst of 1-3 keys every 30 ms, now and then a file
 * to insert. */
static void *typist_main(void *arg)
{
	struct office *o = arg;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned bursts = 0;

	while (atomic_load(&o->typing)) {
		sleep_ms(30);
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		atomic_fetch_add(&o->keys_pending, 1 + rng % 3);
		if (lsched_perform(o->perf, on_keys, o, 0) != 0)
			break; /* the main loop's performer closed */
		if (++bursts % INSERT_EVERY == 0 &&
		    lsched_perform(o->perf, on_insert, o, 0) != 0)
			break;
	}
	return NULL;
}

static void on_ticker(lsched_timer *tm, void *arg)
{
	struct office *o = arg;

	o->seconds_done++;
	say(o, "tick %d: %llu keystrokes; spell %llu checked, %llu to go; "
	       "indexer %llu indexed, %llu to go",
	    o->seconds_done, (unsigned long long)o->keystrokes,
	    (unsigned long long)o->spell_done,
	    (unsigned long long)o->spell_left,
	    (unsigned long long)o->index_done,
	    (unsigned long long)o->index_left);
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
	printf("  %llu keystrokes typed in %llu posts; %llu of %llu files "
	       "loaded (%llu paragraphs), %llu refused or cancelled;\n",
	       (unsigned long long)o->keystrokes,
	       (unsigned long long)o->key_posts,
	       (unsigned long long)o->loads_done,
	       (unsigned long long)o->loads_asked,
	       (unsigned long long)o->paras_loaded,
	       (unsigned long long)o->loads_failed);
	printf("  'layout' (HIGH_IDLE) reflowed the whole document %llu "
	       "times, up to %.0f ms in one run without yielding;\n",
	       (unsigned long long)o->full_reflows,
	       (double)o->full_reflow_max / 1e6);
	printf("  'spell' (DEFAULT_IDLE) checked %llu paragraphs (%llu to go) "
	       "in %llu slices: %llu ended by input, %llu by a used-up "
	       "slice;\n",
	       (unsigned long long)o->spell_done,
	       (unsigned long long)o->spell_left,
	       (unsigned long long)o->slices,
	       (unsigned long long)o->slice_input,
	       (unsigned long long)o->slice_used);
	printf("  'thumbnail' (LOWEST, max wait %lld ms) ran %llu times, %llu "
	       "of them forced by its max wait;\n",
	       (long long)(THUMB_MAX_WAIT / 1000000),
	       (unsigned long long)thumbnail_stats.runs,
	       (unsigned long long)o->forced_runs);
	printf("  'indexer' (LOWEST, %s) waited up to %.0f ms and "
	       "indexed %llu paragraphs (%llu to go): strict priority starves "
	       "it while the spell checker has work;\n",
	       lsched_task_max_wait(o->indexer) > 0 ? "with a max wait"
						    : "no max wait",
	       (double)indexer_stats.wait_max / 1e6,
	       (unsigned long long)o->index_done,
	       (unsigned long long)o->index_left);
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
	       "%llu reads and writes completed, %llu cancelled.\n\n",
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
	row(&spell_stats, o->spell);
	row(&thumbnail_stats, o->thumbnail);
	row(&indexer_stats, o->indexer);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: officesim [--seconds N] [--quiet] "
		   "[--host native|glib]\n"
		   "                 [--indexer-max-wait MS]\n"
		   "  Simulates an office application on libsched for N seconds "
		   "(default 3)\n  and prints what its scheduler did. "
		   "Ctrl-C ends it early.\n"
		   "  --host glib runs the loop inside a GLib main loop.\n"
		   "  --indexer-max-wait MS  gives the indexer a maximum wait "
		   "(the fix schedprof\n"
		   "                         report proposes for its "
		   "starvation)\n");
}

#ifdef OFFICESIM_GLIB
static gboolean quit_on_stop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* The loop hosted by a GMainLoop: a libsched-glib source at the default
 * GLib priority; the loop's stop (the end timer, a signal) quits it. */
static int run_glib(lsched_loop *loop)
{
	GMainLoop *ml = g_main_loop_new(NULL, FALSE);
	GSource *src = lsched_glib_source_new(loop, G_PRIORITY_DEFAULT);
	int err;

	if (!src) {
		err = -errno;
		g_main_loop_unref(ml);
		return err;
	}
	g_source_set_callback(src, quit_on_stop, ml, NULL);
	g_source_attach(src, NULL);
	g_main_loop_run(ml);
	err = lsched_glib_source_error(src);
	g_source_destroy(src);
	g_source_unref(src);
	g_main_loop_unref(ml);
	return err;
}
#endif

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "host", required_argument, NULL, 'H' },
		{ "indexer-max-wait", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct office o = { .rng = 0x9e3779b97f4a7c15ull };
	double seconds = 3;
	bool glib = false;
	int64_t indexer_max_wait = 0; /* --indexer-max-wait: a checked fix */
	sigset_t sigs;
	int sfd, c, err;
	int64_t t0;

	opterr = 0; /* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, ":s:qH:h", opts, NULL)) != -1) {
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
		case 'H':
			if (strcmp(optarg, "glib") == 0) {
#ifdef OFFICESIM_GLIB
				glib = true;
#else
				fprintf(stderr, "officesim: --host glib: "
						"built without GLib\n");
				return 2;
#endif
			} else if (strcmp(optarg, "native") != 0) {
				fprintf(stderr, "officesim: --host wants "
						"'native' or 'glib', not "
						"'%s'\n", optarg);
				return 2;
			}
			break;
		case 'i': {
			double ms;

			errno = 0;
			ms = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(ms > 0) ||
			    ms > 86400000) {
				fprintf(stderr, "officesim: --indexer-max-wait "
						"wants ms in (0, 86400000], not "
						"'%s'\n", optarg);
				return 2;
			}
			indexer_max_wait = (int64_t)(ms * 1e6);
			break;
		}
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

	/* Blocked before any thread starts, so that every thread inherits
	 * the mask and the signals reach the loop's signalfd only. */
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
	if ((err = lsched_loop_set_name(o.loop, "main")))
		fail("loop name", err);
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
	if ((err = lsched_server_handle(o.storage, MSG_LOAD, on_io_msg, NULL)) ||
	    (err = lsched_server_handle(o.storage, MSG_SAVE, on_io_msg, NULL)))
		fail("storage handler", err);

	o.keystroke = mk(&o, "keystroke", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGHEST,
			 on_keystroke, 0);
	o.autosave = mk(&o, "autosave", LSCHED_TASK_AUTO_TIMER,
			LSCHED_PRIO_DEFAULT, on_autosave, 500);
	o.layout = mk(&o, "layout", LSCHED_TASK_IDLE, LSCHED_PRIO_HIGH_IDLE,
		      on_layout, 0);
	o.resize = mk(&o, "resize", LSCHED_TASK_TIMER, LSCHED_PRIO_RESIZE,
		      on_resize, 900);
	o.repaint = mk(&o, "repaint", LSCHED_TASK_IDLE, LSCHED_PRIO_REPAINT,
		       on_repaint, 0);
	o.blink = mk(&o, "blink", LSCHED_TASK_AUTO_TIMER,
		     LSCHED_PRIO_POST_PAINT, on_blink, 500);
	o.spell = mk(&o, "spell", LSCHED_TASK_AUTO_IDLE,
		     LSCHED_PRIO_DEFAULT_IDLE, on_spell, 0);
	o.thumbnail = mk(&o, "thumbnail", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			 on_thumbnail, 0);
	o.indexer = mk(&o, "indexer", LSCHED_TASK_AUTO_IDLE, LSCHED_PRIO_LOWEST,
		       on_indexer, 0);
	if ((err = lsched_task_add_child(o.layout, o.repaint)) ||
	    (err = lsched_task_set_max_wait(o.thumbnail, THUMB_MAX_WAIT)) ||
	    (err = lsched_task_set_max_wait(o.indexer, indexer_max_wait)))
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

	t0 = o.t0 = lsched_loop_update_now(o.loop);
	say(&o, "officesim: opening %s, typing, autosaving for %.1f s",
	    document.name, seconds);
	ask_storage(&o, &document);
	atomic_store(&o.typing, true);
	if ((err = pthread_create(&o.typist, NULL, typist_main, &o)))
		fail("input thread", -err);
#ifdef OFFICESIM_GLIB
	if (glib)
		err = run_glib(o.loop);
	else
#endif
		err = lsched_loop_run(o.loop, LSCHED_RUN_DEFAULT);
	if (err)
		fail("run", err);

	/* Shut down in dependency order; nothing accepted is lost. The
	 * storage server stops first: it handles every message it accepted,
	 * submitting to the pool, which still runs. The pool then finishes or
	 * cancels its jobs; their completions, refused by the stopped
	 * server's performer, come back as -ESHUTDOWN on the pool's side and
	 * are posted to our performer. Closing our performer last runs every
	 * keystroke, insert, load and save report it accepted; an insert that
	 * comes this late finds no storage (o.storage NULL) and is counted as
	 * refused. */
	{
		struct lsched_performer_stats ps;
		struct lsched_server_stats ss;
		struct lsched_pool_stats pst;
		double secs = (double)(lsched_loop_update_now(o.loop) - t0) / 1e9;

		atomic_store(&o.typing, false);
		pthread_join(o.typist, NULL);
		lsched_server_stop(o.storage);
		lsched_server_stats(o.storage, &ss);
		lsched_pool_stats(o.pool, &pst);
		err = lsched_pool_destroy(o.pool);
		pst.cancelled = err > 0 ? (uint64_t)err : 0;
		lsched_server_destroy(o.storage);
		o.storage = NULL;
		o.quiet = true; /* late loads are counted, not narrated */
		lsched_performer_close(o.perf);
		lsched_performer_stats(o.perf, &ps);
		report(&o, secs, &ps, &ss, &pst);
	}
	lsched_performer_destroy(o.perf);
	lsched_loop_destroy(o.loop); /* frees the tasks and timers */
	close(sfd);
	return 0;
}
