/*
 * trace_check: checks an LTTng trace of tests/trace_workload against what
 * the workload says it did (its key=value output), through the tools'
 * trace reader (tools/common/trace_read.h).
 *
 *   trace_check [--pid PID] TRACE_DIR WORKLOAD_OUTPUT
 *   trace_check --expect-none [--pid PID] TRACE_DIR
 *
 * The first form checks the life of every task (within its loop and
 * process) and every Performer post, the consistency of the fields that
 * restate each other (late == now - due, delay == begin - posted_at, ...),
 * and the counts per task and post name against the workload's output.
 * The second passes when no libsched event was recorded: no trace
 * directory at all, none with a CTF trace in it, or traces without a
 * libsched event (a workload run without the provider).
 *
 * --pid keeps the events of that process only (the vpid context): a
 * session records every process that has the provider loaded, and
 * another one may run at the same time.
 *
 * Prints one line per check, PASS or FAIL with the numbers. Exit status
 * 0 if every check passed, 1 if one failed, 2 on bad usage or input that
 * cannot be read.
 */
#include "trace_read.h"

#include <errno.h>
#include <libsched/libsched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the workload's output --------------------------------------------- */

enum {
	W_IDLE_RUNS, W_TIMER_RUNS, W_CHILD_RUNS, W_STOPPED, W_SLICED_RUNS,
	W_SLICED_CHECKS, W_BURST_POSTS, W_AT_POSTS, W_WAIT_POSTS, W_COMMANDS,
	W_BUILDS,
	W_REQUIRED, /* the keys above must be there; those below may */
	W_MOVED_RUNS = W_REQUIRED, W_NAP_RUNS, W_COUNT
};
static const char *const wkeys[W_COUNT] = {
	"idle_runs", "timer_runs", "child_runs", "stopped", "sliced_runs",
	"sliced_checks", "burst_posts", "at_posts", "wait_posts", "commands",
	"builds", "moved_runs", "nap_runs",
};
static uint64_t want[W_COUNT];
static bool have[W_COUNT];

static int read_workload(const char *path)
{
	bool *seen = have;
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "trace_check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Other lines ("ready PID" of --wait-start) are not ours. */
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *end;
		unsigned long long v;

		if (!eq)
			continue;
		*eq = '\0';
		for (int k = 0; k < W_COUNT; k++) {
			if (strcmp(line, wkeys[k]))
				continue;
			errno = 0;
			v = strtoull(eq + 1, &end, 10);
			if (errno || end == eq + 1 || (*end && *end != '\n')) {
				fprintf(stderr, "trace_check: %s: bad value "
					"for %s\n", path, wkeys[k]);
				fclose(f);
				return -1;
			}
			want[k] = v;
			seen[k] = true;
		}
	}
	fclose(f);
	for (int k = 0; k < W_REQUIRED; k++) {
		if (!seen[k]) {
			fprintf(stderr, "trace_check: %s: no '%s=' line (not "
				"the output of trace_workload?)\n", path,
				wkeys[k]);
			return -1;
		}
	}
	return 0;
}

/* ---- checks ------------------------------------------------------------ */

/* A property checked on many cases: how many, how many violated it, and
 * the first violation, which is what one debugs from. */
struct check {
	const char *what;
	uint64_t n, bad;
	char first[240];
};

enum {
	C_FIRE_AFTER_QUEUE, C_FIRE_NO_NEST, C_FIRE_ENDS, C_ORDER, C_READY_AT,
	C_BEGIN_FIELDS, C_END_FIELDS, C_ENQUEUE_CAUSE, C_WAKE_AFTER_ENQUEUE,
	C_WAKE_LATE, C_STOP_STATE, C_POST_ONCE, C_POST_ORDER, C_POST_DELAY,
	C_POST_FIELDS, C_WAKE_POST, C_LOOP_ALTERNATE, C_LOOP_SLEPT,
	C_CHANGE_STATE, C_POST_TASK, C_POST_NUMBERS, C_RESTART_KEEPS, C_END_CPU,
	C_SLICE_CPU, C_DURATIONS, C_CHECK_TASK, C_CHECK_POST, C_CHECK_WAITING,
	C_NCHECKS
};
static struct check checks[C_NCHECKS] = {
	[C_FIRE_AFTER_QUEUE] = { .what = "task_fire_begin preceded by the "
		"task's task_enqueue (task_wake for timers)" },
	[C_FIRE_NO_NEST] = { .what = "task_fire_begin not before the task's "
		"previous task_fire_end" },
	[C_FIRE_ENDS] = { .what = "task_fire_begin followed by its "
		"task_fire_end" },
	[C_ORDER] = { .what = "time order enqueue/wake < fire_begin < "
		"fire_end" },
	[C_READY_AT] = { .what = "task_fire_begin begin >= ready_at, ready_at "
		"== due of its enqueue/wake" },
	[C_BEGIN_FIELDS] = { .what = "task_fire_begin name/prio/kind those of "
		"its task_enqueue" },
	[C_END_FIELDS] = { .what = "task_fire_end ready_at/begin those of its "
		"fire_begin, end >= begin" },
	[C_ENQUEUE_CAUSE] = { .what = "task_enqueue cause RESTART exactly when "
		"the task was queued" },
	[C_WAKE_AFTER_ENQUEUE] = { .what = "task_wake of a waiting timer, due "
		"that of its task_enqueue" },
	[C_WAKE_LATE] = { .what = "task_wake late >= 0 and late == now - due" },
	[C_STOP_STATE] = { .what = "task_stop of a queued task, state where it "
		"was" },
	[C_POST_ONCE] = { .what = "every post enqueued once, fired once "
		"(fire_begin, fire_end)" },
	[C_POST_ORDER] = { .what = "post time order enqueue < fire_begin < "
		"fire_end" },
	[C_POST_DELAY] = { .what = "post delay == begin - posted_at >= 0" },
	[C_POST_FIELDS] = { .what = "post posted_at/name/prio the same in its "
		"events, end >= begin" },
	[C_WAKE_POST] = { .what = "perform_wake names an enqueued post" },
	[C_LOOP_ALTERNATE] = { .what = "loop_sleep/loop_wake alternate per "
		"loop" },
	[C_LOOP_SLEPT] = { .what = "loop_wake slept == now - loop_sleep now "
		">= 0" },
	[C_CHANGE_STATE] = { .what = "task_priority/task_max_wait old value "
		"and state those tracked" },
	[C_POST_TASK] = { .what = "prioritised post runs in its own running "
		"task, first-class with task 0" },
	[C_POST_NUMBERS] = { .what = "post numbers of each performer 1..N "
		"without gaps" },
	[C_RESTART_KEEPS] = { .what = "task_enqueue RESTART of a ready task "
		"keeps its ready time (due)" },
	/* The workload's loop is on the real clock: every run and every
	 * check of a stopwatch started in the run has its CPU time. From
	 * perf records it is the wall time less the time off the CPU (0 for
	 * a run shorter than the clock's tick); the fallback reads the CPU
	 * clock just outside begin and end: 1 ms of slack. */
	[C_END_CPU] = { .what = "task_fire_end cpu measured, 0 <= cpu <= "
		"end - begin + 1 ms; BLOCKED/PREEMPTED flags only with it" },
	[C_SLICE_CPU] = { .what = "slice cpu_elapsed measured, 0 <= "
		"cpu_elapsed <= elapsed + 1 ms" },
	[C_DURATIONS] = { .what = "task_fire_begin wait == begin - ready_at, "
		"task_fire_end run == end - begin" },
	[C_CHECK_TASK] = { .what = "task_fire_end followed on its thread by "
		"loop_check kind 0 of that run (id, prio, run, delay 0, now == "
		"end)" },
	[C_CHECK_POST] = { .what = "loop_check kind 1 right after a "
		"perform_fire_end with task 0 on its thread (id == post, prio, "
		"run, delay, now == end)" },
	[C_CHECK_WAITING] = { .what = "loop_check waiting/waiting_prio/wait: "
		"a ready task of the earliest ready time, now - it; none: 0, "
		"-1, 0" },
};

static void ok(int c)
{
	checks[c].n++;
}

static void bad(int c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(int c, const char *fmt, ...)
{
	va_list ap;

	checks[c].n++;
	if (checks[c].bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(checks[c].first, sizeof(checks[c].first), fmt, ap);
	va_end(ap);
}

static void expect(int c, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void expect(int c, bool cond, const char *fmt, ...)
{
	va_list ap;

	checks[c].n++;
	if (cond || checks[c].bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(checks[c].first, sizeof(checks[c].first), fmt, ap);
	va_end(ap);
}

static int failures, passes;

static void report(bool pass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(bool pass, const char *fmt, ...)
{
	va_list ap;

	printf("  %-8s ", pass ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (pass)
		passes++;
	else
		failures++;
}

static void report_check(const struct check *c)
{
	if (c->bad)
		report(false, "%s: %llu of %llu wrong (first: %s)", c->what,
		       (unsigned long long)c->bad, (unsigned long long)c->n,
		       c->first);
	else
		report(true, "%s: %llu checked", c->what,
		       (unsigned long long)c->n);
}

static void report_count(const char *what, uint64_t got, uint64_t expected)
{
	report(got == expected, "%s: %llu in the trace, %llu expected", what,
	       (unsigned long long)got, (unsigned long long)expected);
}

/* ---- tables of tasks, posts, loops ------------------------------------- */

/* Keys: (trace, process, object, id). Pointers are unique in a process
 * only, and with per-UID buffers several processes share a trace. */
struct key {
	uint64_t w[4];
};

struct map {
	struct key *keys;
	void **vals;
	size_t cap, n;
};

static size_t key_hash(const struct key *k, size_t cap)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 4; i++) {
		h ^= k->w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return (size_t)h & (cap - 1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "trace_check: out of memory\n");
		exit(2);
	}
	return p;
}

static void map_put(struct map *m, const struct key *k, void *v);

static void map_grow(struct map *m)
{
	struct map old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.vals[i])
			map_put(m, &old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
}

static void map_put(struct map *m, const struct key *k, void *v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		map_grow(m);
	for (i = key_hash(k, m->cap); m->vals[i]; i = (i + 1) & (m->cap - 1))
		;
	m->keys[i] = *k;
	m->vals[i] = v;
	m->n++;
}

/* The record of key k, created zeroed (size bytes) if absent. */
static void *map_get(struct map *m, const struct key *k, size_t size,
		     bool *created)
{
	void *v;

	*created = false;
	if (m->cap) {
		for (size_t i = key_hash(k, m->cap); m->vals[i];
		     i = (i + 1) & (m->cap - 1))
			if (!memcmp(&m->keys[i], k, sizeof(*k)))
				return m->vals[i];
	}
	v = xcalloc(1, size);
	map_put(m, k, v);
	*created = true;
	return v;
}

enum queue { Q_NONE, Q_WAITING, Q_READY };

struct task {
	uint64_t id;
	uint64_t trace, loop; /* its key, to find a loop's ready tasks */
	int64_t vpid;
	char *name;
	int32_t prio, kind;
	enum queue queue;
	int64_t queued_ts;   /* of the enqueue or wake that made it ready */
	int64_t due;         /* what it announced */
	bool running;
	int64_t begin_ts, begin, ready_at;
	uint64_t runs, checks, slices, stops;
	bool stop_ok; /* every stop: reason STOP from the waiting state */
	bool child_ok; /* an enqueue with cause CHILD and the right parent */
	uint64_t parent; /* as its enqueues say */
	int64_t max_wait;
	bool max_wait_known;
	uint64_t moves; /* task_priority events while ready */
	int32_t first_prio; /* of its first enqueue */
	bool enqueued;
};

struct post {
	int enq, fb, fe;
	int64_t enq_ts, fb_ts, posted_at, begin;
	uint64_t task;
	int32_t prio;
	char kind; /* 'b' unnamed, 'p' "posted", 'w' "waited", 'o' other */
};

struct performer {
	uint64_t posts, wakes, fired[4]; /* fired by kind: b, p, w, o */
	uint64_t max_post; /* the highest post number enqueued */
};

struct loop {
	bool sleeping;
	int64_t sleep_now;
	uint64_t pairs;
};

static struct map tasks, posts, performers, loops;
/* Every task, to walk at the end. */
static struct task **task_list;
static size_t ntasks, task_cap;

static struct key key_of(const struct tr_event *ev, uint64_t obj, uint64_t id)
{
	struct key k = { { ev->stream->trace->index, (uint64_t)ev->vpid, obj,
			   id } };

	return k;
}

static struct task *task_of(const struct tr_event *ev, uint64_t loop,
			    uint64_t id)
{
	struct key k = key_of(ev, loop, id);
	bool created;
	struct task *t = map_get(&tasks, &k, sizeof(*t), &created);

	if (created) {
		t->id = id;
		t->trace = ev->stream->trace->index;
		t->vpid = ev->vpid;
		t->loop = loop;
		t->stop_ok = true;
		if (ntasks == task_cap) {
			task_cap = task_cap ? task_cap * 2 : 1024;
			task_list = realloc(task_list,
					    task_cap * sizeof(*task_list));
			if (!task_list) {
				fprintf(stderr, "trace_check: out of memory\n");
				exit(2);
			}
		}
		task_list[ntasks++] = t;
	}
	return t;
}

static void set_name(struct task *t, const char *name)
{
	if (!t->name && !(t->name = strdup(name))) {
		fprintf(stderr, "trace_check: out of memory\n");
		exit(2);
	}
}

static const char *tname(const struct task *t)
{
	return t->name ? t->name : "?";
}

static bool is_timer(int32_t kind)
{
	return kind == LSCHED_TASK_TIMER || kind == LSCHED_TASK_AUTO_TIMER;
}

static char post_kind(const char *name)
{
	if (!*name)
		return 'b';
	if (!strcmp(name, "posted"))
		return 'p';
	if (!strcmp(name, "waited"))
		return 'w';
	return 'o';
}

static int kind_index(char k)
{
	return k == 'b' ? 0 : k == 'p' ? 1 : k == 'w' ? 2 : 3;
}

/* ---- the events -------------------------------------------------------- */

struct state {
	int64_t pid; /* -1: every process */
	uint64_t other_procs, kept, no_vpid;
	uint64_t commands, cmd_named, builds;
	uint64_t slices;
};

static void on_enqueue(const struct tr_event *ev)
{
	const struct tr_ev_task_enqueue *e = &ev->task_enqueue;
	struct task *t = task_of(ev, e->loop, e->task);

	set_name(t, e->name);
	expect(C_ENQUEUE_CAUSE,
	       (e->cause == LSCHED_TP_CAUSE_RESTART) == (t->queue != Q_NONE),
	       "task %llu '%s' enqueued with cause %d while %s",
	       (unsigned long long)e->task, e->name, e->cause,
	       t->queue != Q_NONE ? "queued" : "not queued");
	if (e->cause == LSCHED_TP_CAUSE_RESTART && t->queue == Q_READY) {
		/* A restart of a ready task moves nothing (task.h): it stays
		 * ready since then, and says so in due. */
		expect(C_RESTART_KEEPS, e->due == t->due && e->prio == t->prio,
		       "task %llu '%s' restarted while ready since %lld: due "
		       "%lld", (unsigned long long)e->task, e->name,
		       (long long)t->due, (long long)e->due);
		t->max_wait = e->max_wait;
		t->parent = e->parent;
		return;
	}
	if (!t->enqueued)
		t->first_prio = e->prio;
	t->enqueued = true;
	t->prio = e->prio;
	t->kind = e->kind;
	t->max_wait = e->max_wait;
	t->max_wait_known = true;
	t->queue = is_timer(e->kind) ? Q_WAITING : Q_READY;
	t->queued_ts = ev->ts;
	t->due = e->due;
	t->parent = e->parent;
	if (e->cause == LSCHED_TP_CAUSE_CHILD && e->parent)
		t->child_ok = true;
}

static void on_wake(const struct tr_event *ev)
{
	const struct tr_ev_task_wake *e = &ev->task_wake;
	struct task *t = task_of(ev, e->loop, e->task);

	expect(C_WAKE_LATE, e->late >= 0 && e->late == e->now - e->due,
	       "task %llu '%s': late %lld, now - due %lld",
	       (unsigned long long)e->task, tname(t), (long long)e->late,
	       (long long)(e->now - e->due));
	expect(C_WAKE_AFTER_ENQUEUE, t->queue == Q_WAITING && e->due == t->due,
	       "task %llu '%s' woken %s (due %lld, enqueued with due %lld)",
	       (unsigned long long)e->task, tname(t),
	       t->queue == Q_WAITING ? "as expected" : "while not waiting",
	       (long long)e->due, (long long)t->due);
	t->queue = Q_READY;
	t->queued_ts = ev->ts;
}

static void on_fire_begin(const struct tr_event *ev)
{
	const struct tr_ev_task_fire_begin *e = &ev->task_fire_begin;
	struct task *t = task_of(ev, e->loop, e->task);

	set_name(t, e->name);
	if (t->queue != Q_READY)
		bad(C_FIRE_AFTER_QUEUE, "task %llu '%s' began while %s",
		    (unsigned long long)e->task, e->name,
		    t->queue == Q_WAITING ? "waiting for its due time (no "
					    "task_wake)"
					  : "not queued");
	else
		ok(C_FIRE_AFTER_QUEUE);
	expect(C_FIRE_NO_NEST, !t->running,
	       "task %llu '%s' began again before its task_fire_end",
	       (unsigned long long)e->task, e->name);
	if (t->queue == Q_READY) {
		expect(C_ORDER, t->queued_ts < ev->ts,
		       "task %llu '%s': enqueue/wake at %lld, fire_begin at "
		       "%lld", (unsigned long long)e->task, e->name,
		       (long long)t->queued_ts, (long long)ev->ts);
		expect(C_READY_AT, e->begin >= e->ready_at &&
				   e->ready_at == t->due,
		       "task %llu '%s': begin %lld, ready_at %lld, due %lld",
		       (unsigned long long)e->task, e->name,
		       (long long)e->begin, (long long)e->ready_at,
		       (long long)t->due);
		expect(C_BEGIN_FIELDS, !strcmp(e->name, tname(t)) &&
				       e->prio == t->prio && e->kind == t->kind,
		       "task %llu: fire_begin '%s' prio %d kind %d, enqueue "
		       "'%s' prio %d kind %d", (unsigned long long)e->task,
		       e->name, e->prio, e->kind, tname(t), t->prio, t->kind);
	}
	expect(C_DURATIONS, e->wait == e->begin - e->ready_at,
	       "task %llu '%s': fire_begin wait %lld, begin - ready_at %lld",
	       (unsigned long long)e->task, e->name, (long long)e->wait,
	       (long long)(e->begin - e->ready_at));
	t->queue = Q_NONE;
	t->running = true;
	t->begin_ts = ev->ts;
	t->begin = e->begin;
	t->ready_at = e->ready_at;
	t->runs++;
}

static void on_fire_end(const struct tr_event *ev)
{
	const struct tr_ev_task_fire_end *e = &ev->task_fire_end;
	struct task *t = task_of(ev, e->loop, e->task);

	if (!t->running) {
		bad(C_FIRE_ENDS, "task %llu '%s' ended without beginning",
		    (unsigned long long)e->task, tname(t));
		return;
	}
	ok(C_FIRE_ENDS);
	expect(C_ORDER, t->begin_ts < ev->ts,
	       "task %llu '%s': fire_begin at %lld, fire_end at %lld",
	       (unsigned long long)e->task, tname(t), (long long)t->begin_ts,
	       (long long)ev->ts);
	expect(C_END_FIELDS, e->begin == t->begin &&
			     e->ready_at == t->ready_at && e->end >= e->begin,
	       "task %llu '%s': end ready_at %lld begin %lld end %lld, "
	       "begin's ready_at %lld begin %lld", (unsigned long long)e->task,
	       tname(t), (long long)e->ready_at, (long long)e->begin,
	       (long long)e->end, (long long)t->ready_at, (long long)t->begin);
	expect(C_DURATIONS, e->run == e->end - e->begin,
	       "task %llu '%s': fire_end run %lld, end - begin %lld",
	       (unsigned long long)e->task, tname(t), (long long)e->run,
	       (long long)(e->end - e->begin));
	t->running = false;
	t->checks += e->checks;
	expect(C_END_CPU, e->cpu >= 0 &&
			  e->cpu <= e->end - e->begin + 1000000 &&
			  (e->flags & ~(LSCHED_TP_END_DESTROYED |
					LSCHED_TP_END_ACTIVE |
					LSCHED_TP_END_BLOCKED |
					LSCHED_TP_END_PREEMPTED)) == 0,
	       "task %llu '%s': cpu %lld in a run of %lld ns, flags 0x%x",
	       (unsigned long long)e->task, tname(t), (long long)e->cpu,
	       (long long)(e->end - e->begin), (unsigned)e->flags);
}

/* ---- loop_check ----------------------------------------------------------- */

/* Per thread: the loop_check the run it ended last calls for, until its
 * next event. */
struct thread_check {
	bool due;
	int32_t kind, prio;
	uint64_t loop, id;
	int64_t run, delay, now;
};
static struct map threads;
static uint64_t checks_kind[2];
/* --no-loop-check: the trace was made by schedprof record, which leaves
 * loop_check out (it serves flight-recorder triggers): none may be there,
 * and no run's end calls for one. */
static bool no_loop_check;

static struct thread_check *thread_of(const struct tr_event *ev)
{
	struct key k = { { ev->stream->trace->index, (uint64_t)ev->vpid,
			   UINT64_MAX, (uint64_t)ev->vtid } };
	bool created;

	return map_get(&threads, &k, sizeof(struct thread_check), &created);
}

/* The loop's ready tasks as the trace has them: the check must name one
 * of the earliest ready time. Or, when a timer task fell due before any
 * ready task became ready and is not collected yet, that timer, waiting
 * from its due time (the ready time it gets when collected); the library
 * looks only at its timer heap's top, and a loop timer there hides it, so
 * the ready answer (or nobody) stays right too. */
static void check_waiting(const struct tr_event *ev)
{
	const struct tr_ev_loop_check *e = &ev->loop_check;
	const struct task *named = NULL;
	int64_t first = INT64_MAX, first_due = INT64_MAX;

	for (size_t i = 0; i < ntasks; i++) {
		const struct task *t = task_list[i];

		if (t->loop != e->loop || t->vpid != ev->vpid ||
		    t->trace != ev->stream->trace->index)
			continue;
		if (t->queue == Q_READY && t->due < first)
			first = t->due;
		if (t->queue == Q_WAITING && t->due <= e->now &&
		    t->due < first_due)
			first_due = t->due;
		if (t->id == e->waiting &&
		    (t->queue == Q_READY || t->queue == Q_WAITING))
			named = t;
	}
	if (named && named->queue == Q_WAITING)
		expect(C_CHECK_WAITING, named->due == first_due &&
					first_due < first &&
					named->prio == e->waiting_prio &&
					e->wait == e->now - first_due,
		       "loop_check after %llu: waiting %llu prio %d wait %lld, "
		       "a timer due at %lld; earliest due %lld, earliest ready "
		       "%lld (now %lld)", (unsigned long long)e->id,
		       (unsigned long long)e->waiting, e->waiting_prio,
		       (long long)e->wait, (long long)named->due,
		       (long long)first_due, (long long)first,
		       (long long)e->now);
	else if (first == INT64_MAX)
		expect(C_CHECK_WAITING, e->waiting == 0 &&
					e->waiting_prio == -1 && e->wait == 0,
		       "loop_check after %llu: nothing ready, waiting %llu "
		       "prio %d wait %lld", (unsigned long long)e->id,
		       (unsigned long long)e->waiting, e->waiting_prio,
		       (long long)e->wait);
	else
		expect(C_CHECK_WAITING, named && named->due == first &&
					named->prio == e->waiting_prio &&
					e->wait == e->now - first,
		       "loop_check after %llu: waiting %llu prio %d wait %lld, "
		       "earliest ready at %lld (now %lld)%s",
		       (unsigned long long)e->id,
		       (unsigned long long)e->waiting, e->waiting_prio,
		       (long long)e->wait, (long long)first, (long long)e->now,
		       named ? "" : ", the named task is not ready");
}

/* Every event: the one after a run's end on its thread must be its
 * loop_check; a loop_check must follow such an end. */
static void on_any_for_check(const struct tr_event *ev)
{
	struct thread_check *th;
	const struct tr_ev_loop_check *c = &ev->loop_check;

	if (ev->vtid < 0)
		return;
	if (no_loop_check) {
		if (ev->type == TR_EV_loop_check)
			checks_kind[c->kind == 1]++;
		return;
	}
	th = thread_of(ev);
	if (ev->type == TR_EV_loop_check) {
		int which = c->kind == 1 ? C_CHECK_POST : C_CHECK_TASK;

		checks_kind[c->kind == 1]++;
		expect(which, th->due && th->kind == c->kind &&
				      th->loop == c->loop && th->id == c->id &&
				      th->prio == c->prio &&
				      th->run == c->run &&
				      th->delay == c->delay && th->now == c->now,
		       "loop_check kind %d id %llu prio %d run %lld delay %lld "
		       "now %lld; the run before: %s kind %d id %llu prio %d "
		       "run %lld delay %lld end %lld", c->kind,
		       (unsigned long long)c->id, c->prio, (long long)c->run,
		       (long long)c->delay, (long long)c->now,
		       th->due ? "ended" : "none", th->kind,
		       (unsigned long long)th->id, th->prio,
		       (long long)th->run, (long long)th->delay,
		       (long long)th->now);
		check_waiting(ev);
	} else if (th->due && th->kind == 0) {
		bad(C_CHECK_TASK, "task %llu's run ended, then %s came before "
		    "its loop_check", (unsigned long long)th->id,
		    tr_type_name(ev->type));
	}
	th->due = false;
	if (ev->type == TR_EV_task_fire_end) {
		const struct tr_ev_task_fire_end *e = &ev->task_fire_end;

		*th = (struct thread_check){ true, 0, e->prio, e->loop, e->task,
					     e->end - e->begin, 0, e->end };
	} else if (ev->type == TR_EV_perform_fire_end &&
		   ev->perform_fire_end.task == 0) {
		const struct tr_ev_perform_fire_end *e = &ev->perform_fire_end;

		*th = (struct thread_check){ true, 1, e->prio, e->loop, e->post,
					     e->end - e->begin, e->delay,
					     e->end };
	}
}

/* Where the trace so far says the task is, as task_stop.state has it. */
static int tracked_state(const struct task *t)
{
	return t->queue == Q_WAITING ? LSCHED_TP_STATE_WAITING
	       : t->queue == Q_READY ? LSCHED_TP_STATE_READY
				     : LSCHED_TP_STATE_IDLE;
}

static void on_priority(const struct tr_event *ev)
{
	const struct tr_ev_task_priority *e = &ev->task_priority;
	struct task *t = task_of(ev, e->loop, e->task);

	/* A task never enqueued has no priority in the trace yet. */
	expect(C_CHANGE_STATE, (!t->enqueued || e->old_prio == t->prio) &&
				       e->state == tracked_state(t),
	       "task %llu '%s': priority %d -> %d in state %d, tracked "
	       "priority %d state %d", (unsigned long long)e->task, tname(t),
	       e->old_prio, e->prio, e->state, t->prio, tracked_state(t));
	if (e->state == LSCHED_TP_STATE_READY)
		t->moves++;
	t->prio = e->prio;
}

static void on_max_wait(const struct tr_event *ev)
{
	const struct tr_ev_task_max_wait *e = &ev->task_max_wait;
	struct task *t = task_of(ev, e->loop, e->task);

	expect(C_CHANGE_STATE, (!t->max_wait_known ||
				e->old_max_wait == t->max_wait) &&
				       e->state == tracked_state(t),
	       "task %llu '%s': max wait %lld -> %lld in state %d, tracked "
	       "max wait %lld state %d", (unsigned long long)e->task,
	       tname(t), (long long)e->old_max_wait, (long long)e->max_wait,
	       e->state, (long long)t->max_wait, tracked_state(t));
	t->max_wait = e->max_wait;
	t->max_wait_known = true;
}

static void on_stop(const struct tr_event *ev)
{
	const struct tr_ev_task_stop *e = &ev->task_stop;
	struct task *t = task_of(ev, e->loop, e->task);
	int state = tracked_state(t);

	expect(C_STOP_STATE, t->queue != Q_NONE && e->state == state,
	       "task %llu '%s' stopped in state %d, was in state %d",
	       (unsigned long long)e->task, tname(t), e->state, state);
	t->queue = Q_NONE;
	t->stops++;
	if (e->reason != LSCHED_TP_STOP_STOP ||
	    e->state != LSCHED_TP_STATE_WAITING)
		t->stop_ok = false;
}

static struct post *post_of(const struct tr_event *ev, uint64_t performer,
			    uint64_t id)
{
	struct key k = key_of(ev, performer, id);
	bool created;

	return map_get(&posts, &k, sizeof(struct post), &created);
}

static struct performer *performer_of(const struct tr_event *ev,
				      uint64_t performer)
{
	struct key k = key_of(ev, performer, 0);
	bool created;

	return map_get(&performers, &k, sizeof(struct performer), &created);
}

static void on_perform_enqueue(const struct tr_event *ev)
{
	const struct tr_ev_perform_enqueue *e = &ev->perform_enqueue;
	struct post *p = post_of(ev, e->performer, e->post);
	struct performer *pf;

	if (++p->enq > 1)
		bad(C_POST_ONCE, "post %llu enqueued %d times",
		    (unsigned long long)e->post, p->enq);
	p->enq_ts = ev->ts;
	p->posted_at = e->posted_at;
	p->prio = e->prio;
	p->kind = post_kind(e->name);
	pf = performer_of(ev, e->performer);
	pf->posts++;
	if (e->post > pf->max_post)
		pf->max_post = e->post;
}

static void on_perform_wake(const struct tr_event *ev)
{
	const struct tr_ev_perform_wake *e = &ev->perform_wake;
	struct post *p = post_of(ev, e->performer, e->post);

	expect(C_WAKE_POST, p->enq == 1,
	       "perform_wake for post %llu, enqueued %d times",
	       (unsigned long long)e->post, p->enq);
	performer_of(ev, e->performer)->wakes++;
}

static void on_perform_fire_begin(const struct tr_event *ev)
{
	const struct tr_ev_perform_fire_begin *e = &ev->perform_fire_begin;
	struct post *p = post_of(ev, e->performer, e->post);

	if (++p->fb > 1)
		bad(C_POST_ONCE, "post %llu '%s' fired %d times",
		    (unsigned long long)e->post, e->name, p->fb);
	expect(C_POST_ORDER, p->enq && p->enq_ts < ev->ts,
	       "post %llu '%s': fire_begin at %lld, %s %lld",
	       (unsigned long long)e->post, e->name, (long long)ev->ts,
	       p->enq ? "enqueued at" : "never enqueued", (long long)p->enq_ts);
	expect(C_POST_DELAY, e->delay == e->begin - e->posted_at &&
			     e->delay >= 0,
	       "post %llu '%s': delay %lld, begin - posted_at %lld",
	       (unsigned long long)e->post, e->name, (long long)e->delay,
	       (long long)(e->begin - e->posted_at));
	if (p->enq)
		expect(C_POST_FIELDS, e->posted_at == p->posted_at &&
				      post_kind(e->name) == p->kind &&
				      e->prio == p->prio,
		       "post %llu: fire_begin '%s' prio %d posted_at %lld, "
		       "enqueue prio %d posted_at %lld",
		       (unsigned long long)e->post, e->name, e->prio,
		       (long long)e->posted_at, p->prio,
		       (long long)p->posted_at);
	if (e->prio >= 0) {
		/* Run as a one-shot task of its priority, named after it. */
		const struct task *t = task_of(ev, e->loop, e->task);

		expect(C_POST_TASK, e->task && t->running &&
				    !strcmp(tname(t), e->name),
		       "post %llu '%s' (prio %d) ran in task %llu '%s', %s",
		       (unsigned long long)e->post, e->name, e->prio,
		       (unsigned long long)e->task, tname(t),
		       t->running ? "running" : "not running");
	} else {
		expect(C_POST_TASK, e->task == 0,
		       "first-class post %llu ran with task %llu",
		       (unsigned long long)e->post,
		       (unsigned long long)e->task);
	}
	p->task = e->task;
	p->fb_ts = ev->ts;
	p->begin = e->begin;
	p->kind = post_kind(e->name);
	performer_of(ev, e->performer)->fired[kind_index(p->kind)]++;
}

static void on_perform_fire_end(const struct tr_event *ev)
{
	const struct tr_ev_perform_fire_end *e = &ev->perform_fire_end;
	struct post *p = post_of(ev, e->performer, e->post);

	if (++p->fe > 1 || !p->fb)
		bad(C_POST_ONCE, "post %llu: fire_end number %d after %d "
		    "fire_begin", (unsigned long long)e->post, p->fe, p->fb);
	expect(C_POST_ORDER, p->fb && p->fb_ts < ev->ts,
	       "post %llu: fire_end at %lld, fire_begin at %lld",
	       (unsigned long long)e->post, (long long)ev->ts,
	       (long long)p->fb_ts);
	expect(C_POST_DELAY, e->delay == e->begin - e->posted_at &&
			     e->delay >= 0,
	       "post %llu (end): delay %lld, begin - posted_at %lld",
	       (unsigned long long)e->post, (long long)e->delay,
	       (long long)(e->begin - e->posted_at));
	expect(C_POST_FIELDS, e->posted_at == p->posted_at &&
			      e->begin == p->begin && e->end >= e->begin &&
			      e->prio == p->prio && e->task == p->task,
	       "post %llu: fire_end prio %d task %llu posted_at %lld begin "
	       "%lld end %lld, fire_begin task %llu posted_at %lld begin %lld",
	       (unsigned long long)e->post, e->prio,
	       (unsigned long long)e->task, (long long)e->posted_at,
	       (long long)e->begin, (long long)e->end,
	       (unsigned long long)p->task, (long long)p->posted_at,
	       (long long)p->begin);
}

static struct loop *loop_of(const struct tr_event *ev, uint64_t loop)
{
	struct key k = key_of(ev, loop, 0);
	bool created;

	return map_get(&loops, &k, sizeof(struct loop), &created);
}

static void on_loop_sleep(const struct tr_event *ev)
{
	struct loop *l = loop_of(ev, ev->loop_sleep.loop);

	expect(C_LOOP_ALTERNATE, !l->sleeping,
	       "loop 0x%llx: loop_sleep after loop_sleep",
	       (unsigned long long)ev->loop_sleep.loop);
	l->sleeping = true;
	l->sleep_now = ev->loop_sleep.now;
}

static void on_loop_wake(const struct tr_event *ev)
{
	const struct tr_ev_loop_wake *e = &ev->loop_wake;
	struct loop *l = loop_of(ev, e->loop);

	expect(C_LOOP_ALTERNATE, l->sleeping,
	       "loop 0x%llx: loop_wake without loop_sleep",
	       (unsigned long long)e->loop);
	if (l->sleeping) {
		expect(C_LOOP_SLEPT, e->slept >= 0 &&
				     e->slept == e->now - l->sleep_now,
		       "loop 0x%llx: slept %lld, now - sleep's now %lld",
		       (unsigned long long)e->loop, (long long)e->slept,
		       (long long)(e->now - l->sleep_now));
		l->pairs++;
	}
	l->sleeping = false;
}

static int on_event(const struct tr_event *ev, void *arg)
{
	struct state *st = arg;

	if (st->pid >= 0) {
		if (ev->vpid < 0) {
			st->no_vpid++;
		} else if (ev->vpid != st->pid) {
			st->other_procs++;
			return 0;
		}
	}
	st->kept++;
	on_any_for_check(ev);
	switch (ev->type) {
	case TR_EV_task_enqueue:
		on_enqueue(ev);
		break;
	case TR_EV_task_wake:
		on_wake(ev);
		break;
	case TR_EV_task_fire_begin:
		on_fire_begin(ev);
		break;
	case TR_EV_task_fire_end:
		on_fire_end(ev);
		break;
	case TR_EV_task_stop:
		on_stop(ev);
		break;
	case TR_EV_task_priority:
		on_priority(ev);
		break;
	case TR_EV_task_max_wait:
		on_max_wait(ev);
		break;
	case TR_EV_slice:
		st->slices++;
		task_of(ev, ev->slice.loop, ev->slice.task)->slices++;
		expect(C_SLICE_CPU, ev->slice.cpu_elapsed >= 0 &&
			ev->slice.cpu_elapsed <= ev->slice.elapsed + 1000000,
		       "task %llu: check %llu: cpu_elapsed %lld, elapsed %lld",
		       (unsigned long long)ev->slice.task,
		       (unsigned long long)ev->slice.checks,
		       (long long)ev->slice.cpu_elapsed,
		       (long long)ev->slice.elapsed);
		break;
	case TR_EV_perform_enqueue:
		on_perform_enqueue(ev);
		break;
	case TR_EV_perform_wake:
		on_perform_wake(ev);
		break;
	case TR_EV_perform_fire_begin:
		on_perform_fire_begin(ev);
		break;
	case TR_EV_perform_fire_end:
		on_perform_fire_end(ev);
		break;
	case TR_EV_loop_sleep:
		on_loop_sleep(ev);
		break;
	case TR_EV_loop_wake:
		on_loop_wake(ev);
		break;
	case TR_EV_dispatch_command:
		st->commands++;
		st->cmd_named += !strcmp(ev->dispatch_command.name, "cmd");
		break;
	case TR_EV_dispatch_build:
		st->builds++;
		break;
	default:
		/* An event added since: nothing to check about it yet. */
		break;
	}
	return 0;
}

/* ---- the end ----------------------------------------------------------- */

static void final_checks(const struct state *st, const struct tr_stats *stats)
{
	uint64_t idle = 0, timer = 0, child = 0, sliced = 0, sliced_checks = 0;
	uint64_t sliced_slices = 0, stopped = 0, stopped_ok = 0;
	uint64_t stopped_ran = 0, child_ok = 0, parent_id = 0;
	uint64_t nposts = 0, wakes = 0, fired[4] = { 0 }, pposts = 0;
	uint64_t main_burst = 0, pairs = 0;
	uint64_t moved = 0, moved_ok = 0, nap = 0;
	bool parent_unique = true;

	for (size_t i = 0; i < ntasks; i++) {
		struct task *t = task_list[i];
		const char *n = tname(t);

		if (t->running)
			bad(C_FIRE_ENDS, "task %llu '%s' never ended its last "
			    "run", (unsigned long long)t->id, n);
		if (!strcmp(n, "parent")) {
			parent_unique = !parent_id;
			parent_id = t->id;
		}
	}
	for (size_t i = 0; i < ntasks; i++) {
		struct task *t = task_list[i];
		const char *n = tname(t);

		if (!strncmp(n, "idle-", 5))
			idle += t->runs;
		else if (!strcmp(n, "timer"))
			timer += t->runs;
		else if (!strcmp(n, "child")) {
			child += t->runs;
			child_ok += t->child_ok && t->parent == parent_id &&
				    parent_unique;
		} else if (!strcmp(n, "sliced")) {
			sliced += t->runs;
			sliced_checks += t->checks;
			sliced_slices += t->slices;
		} else if (!strcmp(n, "moved")) {
			/* Started at LOWEST, moved to HIGHEST while ready:
			 * it runs at HIGHEST. */
			moved += t->runs;
			moved_ok += t->moves == 1 && t->prio == 0 &&
				    t->first_prio == 7;
		} else if (!strcmp(n, "nap")) {
			nap += t->runs;
		} else if (!strcmp(n, "stopped")) {
			stopped += t->stops > 0;
			stopped_ok += t->stops == 1 && t->stop_ok;
			stopped_ran += t->runs;
		}
	}

	for (size_t i = 0; i < posts.cap; i++) {
		const struct post *p = posts.vals[i];

		if (!p)
			continue;
		nposts++;
		if (p->enq != 1 || p->fb != 1 || p->fe != 1)
			bad(C_POST_ONCE, "post %llu: enqueued %d, fire_begin "
			    "%d, fire_end %d times",
			    (unsigned long long)posts.keys[i].w[3], p->enq,
			    p->fb, p->fe);
		else
			ok(C_POST_ONCE);
	}
	for (size_t i = 0; i < performers.cap; i++) {
		const struct performer *p = performers.vals[i];

		if (!p)
			continue;
		expect(C_POST_NUMBERS, p->max_post == p->posts,
		       "performer 0x%llx: %llu posts, numbered up to %llu",
		       (unsigned long long)performers.keys[i].w[2],
		       (unsigned long long)p->posts,
		       (unsigned long long)p->max_post);
		wakes += p->wakes;
		pposts += p->posts;
		for (int k = 0; k < 4; k++)
			fired[k] += p->fired[k];
		/* The workload's own performer carries "posted": its
		 * unnamed posts are the burst (the dispatcher's performer
		 * has unnamed posts too, its commands). */
		if (p->fired[1])
			main_burst += p->fired[0];
	}
	for (size_t i = 0; i < loops.cap; i++) {
		const struct loop *l = loops.vals[i];

		if (!l)
			continue;
		pairs += l->pairs;
		if (l->sleeping)
			bad(C_LOOP_ALTERNATE, "loop 0x%llx: asleep at the end",
			    (unsigned long long)loops.keys[i].w[2]);
	}

	/* Tasks */
	report_check(&checks[C_FIRE_AFTER_QUEUE]);
	report_check(&checks[C_FIRE_NO_NEST]);
	report_check(&checks[C_FIRE_ENDS]);
	report_check(&checks[C_ORDER]);
	report_check(&checks[C_READY_AT]);
	report_check(&checks[C_BEGIN_FIELDS]);
	report_check(&checks[C_END_FIELDS]);
	report_check(&checks[C_END_CPU]);
	report_check(&checks[C_DURATIONS]);
	if (no_loop_check) {
		report(checks_kind[0] + checks_kind[1] == 0,
		       "no loop_check recorded (a schedprof record trace "
		       "leaves it out): %llu found",
		       (unsigned long long)(checks_kind[0] + checks_kind[1]));
	} else {
		report_check(&checks[C_CHECK_TASK]);
		report_check(&checks[C_CHECK_POST]);
		report_check(&checks[C_CHECK_WAITING]);
		report(checks_kind[0] > 0 && checks_kind[1] > 0,
		       "loop_check recorded after task runs (%llu) and "
		       "first-class posts (%llu)",
		       (unsigned long long)checks_kind[0],
		       (unsigned long long)checks_kind[1]);
	}
	report_check(&checks[C_SLICE_CPU]);
	report_check(&checks[C_ENQUEUE_CAUSE]);
	report_check(&checks[C_RESTART_KEEPS]);
	report_check(&checks[C_WAKE_AFTER_ENQUEUE]);
	report_check(&checks[C_WAKE_LATE]);
	report_check(&checks[C_STOP_STATE]);
	report_check(&checks[C_CHANGE_STATE]);
	report_count("runs of \"idle-*\" (idle_runs)", idle, want[W_IDLE_RUNS]);
	report_count("runs of \"timer\" (timer_runs)", timer,
		     want[W_TIMER_RUNS]);
	report_count("runs of \"child\" (child_runs)", child,
		     want[W_CHILD_RUNS]);
	report(child_ok == 1 && child == 1,
	       "\"child\" enqueued with cause CHILD by \"parent\" (id %llu): "
	       "%llu child task(s) so enqueued",
	       (unsigned long long)parent_id, (unsigned long long)child_ok);
	report_count("runs of \"sliced\" (sliced_runs)", sliced,
		     want[W_SLICED_RUNS]);
	report_count("slice events of \"sliced\" (sliced_checks)",
		     sliced_slices, want[W_SLICED_CHECKS]);
	report_count("slice events in all", st->slices, want[W_SLICED_CHECKS]);
	report_count("task_fire_end checks summed over \"sliced\" "
		     "(sliced_checks)", sliced_checks, want[W_SLICED_CHECKS]);
	report(stopped == want[W_STOPPED] && stopped_ok == stopped &&
		       !stopped_ran,
	       "task_stop of the \"stopped\" tasks (stopped): %llu stopped, "
	       "%llu expected, %llu once with reason STOP from WAITING, %llu "
	       "runs", (unsigned long long)stopped,
	       (unsigned long long)want[W_STOPPED],
	       (unsigned long long)stopped_ok,
	       (unsigned long long)stopped_ran);

	if (have[W_MOVED_RUNS]) {
		report_count("runs of \"moved\" (moved_runs)", moved,
			     want[W_MOVED_RUNS]);
		report(moved_ok == 1,
		       "\"moved\" enqueued at LOWEST, moved to HIGHEST while "
		       "ready (task_priority state READY): %llu task(s) so",
		       (unsigned long long)moved_ok);
	}
	if (have[W_NAP_RUNS])
		report_count("runs of \"nap\" (nap_runs)", nap,
			     want[W_NAP_RUNS]);

	/* The Performer */
	report(stats->per_type[TR_EV_perform_enqueue] &&
		       stats->per_type[TR_EV_perform_wake] &&
		       stats->per_type[TR_EV_perform_fire_begin] &&
		       stats->per_type[TR_EV_perform_fire_end],
	       "Performer events present: perform_enqueue %llu, perform_wake "
	       "%llu, perform_fire_begin %llu, perform_fire_end %llu",
	       (unsigned long long)stats->per_type[TR_EV_perform_enqueue],
	       (unsigned long long)stats->per_type[TR_EV_perform_wake],
	       (unsigned long long)stats->per_type[TR_EV_perform_fire_begin],
	       (unsigned long long)stats->per_type[TR_EV_perform_fire_end]);
	report_check(&checks[C_POST_ONCE]);
	report_check(&checks[C_POST_ORDER]);
	report_check(&checks[C_POST_DELAY]);
	report_check(&checks[C_POST_FIELDS]);
	report_check(&checks[C_WAKE_POST]);
	report_check(&checks[C_POST_TASK]);
	report_check(&checks[C_POST_NUMBERS]);
	report_count("posts \"posted\" fired (at_posts)", fired[1],
		     want[W_AT_POSTS]);
	report_count("posts \"waited\" fired (wait_posts)", fired[2],
		     want[W_WAIT_POSTS]);
	report_count("unnamed posts of the workload's performer fired "
		     "(burst_posts)", main_burst, want[W_BURST_POSTS]);
	report(pposts && wakes * 10 < pposts,
	       "wake-ups coalesced: %llu perform_wake for %llu posts (fewer "
	       "than posts/10 = %llu)", (unsigned long long)wakes,
	       (unsigned long long)pposts, (unsigned long long)(pposts / 10));

	/* The dispatcher */
	report(st->commands == want[W_COMMANDS] &&
		       st->cmd_named == st->commands,
	       "dispatch_command \"cmd\" (commands): %llu in the trace (%llu "
	       "named \"cmd\"), %llu expected",
	       (unsigned long long)st->commands,
	       (unsigned long long)st->cmd_named,
	       (unsigned long long)want[W_COMMANDS]);
	report(st->builds >= 1 && st->builds == want[W_BUILDS],
	       "dispatch_build (builds): %llu in the trace, %llu expected, "
	       "at least 1", (unsigned long long)st->builds,
	       (unsigned long long)want[W_BUILDS]);

	/* The loop: a busy run may never sleep; the nap makes it. */
	if (checks[C_LOOP_ALTERNATE].bad)
		report_check(&checks[C_LOOP_ALTERNATE]);
	else
		report(!(have[W_NAP_RUNS] && want[W_NAP_RUNS] && !pairs),
		       "%s: %llu pair(s) in %zu loop(s)%s",
		       checks[C_LOOP_ALTERNATE].what,
		       (unsigned long long)pairs, loops.n,
		       have[W_NAP_RUNS] && want[W_NAP_RUNS]
			       ? " (the nap needs one at least)" : "");
	report_check(&checks[C_LOOP_SLEPT]);

	/* The trace */
	report(tr_stats_complete(stats),
	       "no discarded events: %llu discarded event(s) in %llu "
	       "report(s), %llu discarded packet report(s)",
	       (unsigned long long)stats->discarded_events,
	       (unsigned long long)stats->discarded_events_msgs,
	       (unsigned long long)stats->discarded_packets_msgs);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: trace_check [--pid PID] [--no-loop-check] TRACE_DIR "
		"WORKLOAD_OUTPUT\n"
		"       trace_check --expect-none [--pid PID] TRACE_DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct state st = { .pid = -1 };
	struct tr_handlers h = { .event = on_event, .arg = &st };
	const struct tr_stats *stats;
	const char *dir = NULL, *out = NULL;
	bool expect_none = false;
	struct tr_reader *r;
	struct stat sb;
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--expect-none")) {
			expect_none = true;
		} else if (!strcmp(argv[i], "--no-loop-check")) {
			no_loop_check = true;
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			char *end;

			st.pid = strtoll(argv[++i], &end, 10);
			if (*end || st.pid <= 0)
				return usage();
		} else {
			return usage();
		}
	}
	if (argc - i != (expect_none ? 1 : 2))
		return usage();
	dir = argv[i];
	out = expect_none ? NULL : argv[i + 1];
	if (out && read_workload(out) < 0)
		return 2;

	r = tr_reader_new();
	if (!r) {
		fprintf(stderr, "trace_check: out of memory\n");
		return 2;
	}
	if (expect_none && stat(dir, &sb) < 0 && errno == ENOENT) {
		/* LTTng creates the output directory when it has data. */
		report(true, "no libsched event recorded: no trace directory "
		       "(%s)", dir);
		tr_reader_free(r);
		return 0;
	}
	rc = tr_reader_add_path(r, dir);
	if (rc == TR_ERR_NOTRACE && expect_none) {
		report(true, "no libsched event recorded: no CTF trace in %s",
		       dir);
		tr_reader_free(r);
		return 0;
	}
	if (rc >= 0)
		rc = tr_reader_run(r, &h);
	if (rc < 0) {
		fprintf(stderr, "trace_check: %s\n", tr_reader_error(r));
		tr_reader_free(r);
		return 2;
	}
	stats = tr_reader_stats(r);
	if (st.pid >= 0)
		printf("  %-8s process %lld: %llu libsched events, %llu of "
		       "other processes left out%s\n", "INFO",
		       (long long)st.pid, (unsigned long long)st.kept,
		       (unsigned long long)st.other_procs,
		       st.no_vpid ? " (some events have no vpid context: "
				    "kept)" : "");

	if (expect_none) {
		report(st.kept == 0, "no libsched event recorded: %llu in %u "
		       "trace(s)", (unsigned long long)st.kept, stats->traces);
	} else if (st.kept == 0) {
		report(false, "libsched events recorded: none in %u trace(s)",
		       stats->traces);
	} else {
		final_checks(&st, stats);
	}
	tr_reader_free(r);
	if (failures)
		printf("trace_check: %d of %d checks failed\n", failures,
		       failures + passes);
	else
		printf("trace_check: all %d checks passed\n", passes);
	return failures ? 1 : 0;
}
