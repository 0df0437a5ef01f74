/*
 * The analysis core (tools/common/analysis.c) on hand-made event
 * sequences: percentiles, ready-queue depth, starvation intervals and
 * their blame, long and never-yielding runs, performer figures, tasks
 * grouped by name, lost events, sequences no sound trace has, and the CPU
 * time of runs (blocking, preemption and long work told apart).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "analysis.h"

#define MS(x) ((int64_t)(x) * 1000000)
#define LOOP 0x1000
#define LOWEST 7
#define HIGHEST 0

static struct tr_event base(enum tr_type type)
{
	struct tr_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.vpid = 42;
	ev.vtid = 42;
	ev.procname = "prog";
	return ev;
}

static void enqueue(struct an *a, uint64_t id, const char *name, int prio,
		    int kind, int64_t now)
{
	struct tr_event ev = base(TR_EV_task_enqueue);

	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = id, .name = name, .prio = prio,
		.kind = kind, .now = now, .due = now,
	};
	assert_int_equal(an_feed(a, &ev), 0);
}

static void run(struct an *a, uint64_t id, const char *name, int prio,
		int64_t ready_at, int64_t begin, int64_t end, uint64_t queued,
		int mask, uint64_t checks)
{
	struct tr_event ev = base(TR_EV_task_fire_begin);

	ev.task_fire_begin = (struct tr_ev_task_fire_begin){
		.loop = LOOP, .task = id, .name = name, .prio = prio,
		.ready_at = ready_at, .begin = begin, .queued = queued,
		.ready_mask = mask,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	ev = base(TR_EV_task_fire_end);
	ev.task_fire_end = (struct tr_ev_task_fire_end){
		.loop = LOOP, .task = id, .prio = prio, .ready_at = ready_at,
		.begin = begin, .end = end, .checks = checks,
	};
	assert_int_equal(an_feed(a, &ev), 0);
}

static struct an *new_an(void)
{
	struct an_config cfg;
	struct an *a;

	an_config_default(&cfg); /* long task 50 ms, starve 100 ms */
	a = an_new(&cfg);
	assert_non_null(a);
	return a;
}

static const struct an_task *task_named(const struct an_loop *l,
					const char *name)
{
	for (size_t i = 0; i < l->ntasks; i++)
		if (!strcmp(l->tasks[i]->name, name))
			return l->tasks[i];
	return NULL;
}

/* The finding of kind about the task whose culprit begins with name. */
static const struct an_finding *finding_of(const struct an_result *r,
					   enum an_kind kind, const char *name)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == kind &&
		    !strncmp(r->findings[i].culprit, name, strlen(name)) &&
		    r->findings[i].culprit[strlen(name)] == ' ')
			return &r->findings[i];
	return NULL;
}

static void test_percentiles(void **state)
{
	struct an *a = new_an();
	struct an_dist d;

	memset(&d, 0, sizeof(d));
	/* Through a task's wait: 1..100 ms. */
	for (int i = 1; i <= 100; i++) {
		enqueue(a, 1, "t", 1, 0, MS(0));
		run(a, 1, "t", 1, 0, MS(i), MS(i), 0, 0, 0);
	}
	{
		const struct an_result *r = an_finish(a);
		struct an_loop *l = r->loops[0];
		struct an_dist *w = &l->prio[1].wait;

		assert_int_equal(w->count, 100);
		assert_int_equal(an_pct(w, 50), MS(50));
		assert_int_equal(an_pct(w, 99), MS(99));
		assert_int_equal(an_pct(w, 100), MS(100));
		assert_int_equal(w->max, MS(100));
		assert_int_equal(an_mean(w), MS(50) + MS(1) / 2);
		/* 1 ms is in [2^19, 2^20) ns. */
		assert_int_equal(w->log2[19], 1);
	}
	assert_int_equal(an_pct(&d, 50), 0); /* empty */
	an_free(a);
}

/* A LOWEST idle waits 300 ms while a HIGHEST task runs ten 30 ms runs:
 * one starvation interval, blamed on the hog. */
static void test_starvation_and_blame(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	struct an_loop *l;
	const struct an_starve *s;

	enqueue(a, 1, "indexer", LOWEST, 0, MS(0));
	for (int i = 0; i < 10; i++) {
		enqueue(a, 2, "hog", HIGHEST, 0, MS(30 * i));
		run(a, 2, "hog", HIGHEST, MS(30 * i), MS(30 * i),
		    MS(30 * i + 30), 0, 1 << LOWEST, 0);
	}
	run(a, 1, "indexer", LOWEST, 0, MS(300), MS(301), 0, 0, 0);
	r = an_finish(a);
	assert_int_equal(r->nloops, 1);
	l = r->loops[0];
	assert_int_equal(l->prio[LOWEST].nstarves, 1);
	s = &l->prio[LOWEST].starves[0];
	assert_int_equal(s->start, 0);
	assert_int_equal(s->end, MS(300));
	assert_false(s->open_at_end);
	assert_int_equal(s->nblame, 1);
	assert_string_equal(s->blame[0].task->name, "hog");
	assert_int_equal(s->blame[0].ran_ns, MS(300));
	assert_int_equal(s->blame[0].runs, 10);
	assert_int_equal(l->prio[LOWEST].max_depth, 1);
	assert_int_equal(l->prio[HIGHEST].nstarves, 0);
	/* The finding: a warning (longest < 5 x starve), LOWEST, blamed. */
	assert_true(r->nfindings >= 1);
	assert_int_equal(r->findings[0].kind, AN_STARVING);
	assert_int_equal(r->findings[0].severity, AN_WARNING);
	assert_string_equal(r->findings[0].culprit, "LOWEST");
	assert_non_null(strstr(r->findings[0].evidence, "hog"));
	assert_int_equal(an_anomalies(a), 0);
	an_free(a);
}

/* A wait shorter than the threshold is no starvation; one still open at
 * the end of the trace is, and says so. */
static void test_starvation_threshold_and_open(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	struct an_loop *l;

	enqueue(a, 1, "quick", LOWEST, 0, MS(0));
	run(a, 2, "other", HIGHEST, MS(0), MS(0), MS(99), 0, 1 << LOWEST, 0);
	run(a, 1, "quick", LOWEST, 0, MS(99), MS(100), 0, 0, 0);
	enqueue(a, 3, "late", LOWEST, 0, MS(100));
	run(a, 2, "other", HIGHEST, MS(100), MS(100), MS(700), 0, 1 << LOWEST,
	    0);
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->prio[LOWEST].nstarves, 1);
	assert_true(l->prio[LOWEST].starves[0].open_at_end);
	assert_int_equal(l->prio[LOWEST].starves[0].start, MS(100));
	assert_int_equal(l->prio[LOWEST].starves[0].end, MS(700));
	/* 600 ms >= 5 x 100 ms: an error. */
	assert_int_equal(r->findings[0].kind, AN_STARVING);
	assert_int_equal(r->findings[0].severity, AN_ERROR);
	an_free(a);
}

/* A LOWEST task waits 600 ms while another LOWEST task keeps running:
 * the priority never starves, the task does. */
static void test_starving_task(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	bool found = false;

	enqueue(a, 1, "spell", LOWEST, 0, MS(0));
	for (int i = 0; i < 20; i++) {
		enqueue(a, 2, "thumb", LOWEST, 0, MS(30 * i));
		run(a, 2, "thumb", LOWEST, MS(30 * i), MS(30 * i),
		    MS(30 * i + 30), 1, 1 << LOWEST, 0);
	}
	run(a, 1, "spell", LOWEST, 0, MS(600), MS(601), 0, 0, 0);
	r = an_finish(a);
	assert_int_equal(r->loops[0]->prio[LOWEST].nstarves, 0);
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == AN_STARVING_TASK) {
			found = true;
			assert_int_equal(r->findings[i].severity, AN_ERROR);
			assert_non_null(strstr(r->findings[i].culprit, "spell"));
		}
	assert_true(found);
	an_free(a);
}

/* A POST_PAINT timer falls due during a 300 ms HIGHEST run and is woken
 * after it: its priority starved from its due time, blamed on the run,
 * and so did the task, whose finding blames the higher priority. */
static void test_late_timer_blamed(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_starve *s;
	const struct an_task_starve *ts;
	const struct an_finding *f;
	struct tr_event ev = base(TR_EV_task_enqueue);

	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = 5, .name = "blink", .prio = 5,
		.kind = 2, .now = 0, .due = MS(10),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	enqueue(a, 1, "layout", HIGHEST, 0, 0);
	run(a, 1, "layout", HIGHEST, 0, 0, MS(300), 0, 0, 0);
	ev = base(TR_EV_task_wake);
	ev.task_wake = (struct tr_ev_task_wake){
		.loop = LOOP, .task = 5, .prio = 5, .due = MS(10),
		.now = MS(300), .late = MS(290),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	run(a, 5, "blink", 5, MS(10), MS(301), MS(302), 0, 0, 0);
	r = an_finish(a);
	assert_int_equal(r->loops[0]->prio[5].nstarves, 1);
	s = &r->loops[0]->prio[5].starves[0];
	assert_int_equal(s->start, MS(10));
	assert_int_equal(s->end, MS(301));
	assert_int_equal(s->nblame, 1);
	assert_string_equal(s->blame[0].task->name, "layout");
	assert_int_equal(s->blame[0].ran_ns, MS(290));
	assert_int_equal(r->loops[0]->ntstarves, 1);
	ts = &r->loops[0]->tstarves[0];
	assert_string_equal(ts->task->name, "blink");
	assert_int_equal(ts->start, MS(10));
	assert_int_equal(ts->end, MS(301));
	assert_int_equal(ts->group_ns[AN_TG_HIGHER], MS(290));
	assert_int_equal(ts->group_runs[AN_TG_HIGHER], 1);
	assert_int_equal(ts->group_runs[AN_TG_OWN], 0);
	f = finding_of(r, AN_STARVING_TASK, "blink");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "higher priorities 290 ms"));
	assert_non_null(strstr(f->evidence, "layout HIGHEST"));
	/* layout was running when blink fell due: a maximum wait would
	 * not have cut it short. */
	assert_non_null(strstr(f->evidence, "split layout with "
					    "lsched_stopwatch_continue(): "
					    "it was running when blink became "
					    "ready (290 ms of the wait)"));
	assert_null(strstr(f->evidence, "or split or lower layout"));
	an_free(a);
}

/* --pid keeps one process. */
static void test_pid_filter(void **state)
{
	struct an_config cfg;
	struct an *a;
	struct tr_event ev = base(TR_EV_task_enqueue);

	an_config_default(&cfg);
	cfg.pid = 7;
	a = an_new(&cfg);
	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = 1, .name = "x", .prio = 1, .now = 1,
	};
	assert_int_equal(an_feed(a, &ev), 0); /* vpid 42: skipped */
	ev.vpid = 7;
	assert_int_equal(an_feed(a, &ev), 0);
	assert_int_equal(an_finish(a)->nloops, 1);
	assert_int_equal(an_finish(a)->loops[0]->vpid, 7);
	an_free(a);
}

static void test_long_and_never_yields(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_task *t;
	bool never = false, longt = false;

	enqueue(a, 1, "blob", 1, 0, MS(0));
	run(a, 1, "blob", 1, 0, MS(0), MS(250), 0, 0, 0); /* no check */
	enqueue(a, 2, "chunky", 1, 0, MS(250));
	run(a, 2, "chunky", 1, MS(250), MS(250), MS(310), 0, 0, 12);
	r = an_finish(a);
	t = task_named(r->loops[0], "blob");
	assert_non_null(t);
	assert_int_equal(t->long_runs, 1);
	assert_int_equal(t->never_yield, 1);
	t = task_named(r->loops[0], "chunky");
	assert_int_equal(t->long_runs, 1);
	assert_int_equal(t->never_yield, 0);
	assert_int_equal(t->checks, 12);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct an_finding *f = &r->findings[i];

		if (f->kind == AN_NEVER_YIELDS) {
			never = true;
			assert_int_equal(f->severity, AN_ERROR); /* >= 200 ms */
			assert_non_null(strstr(f->culprit, "blob"));
			/* One run is "1 run"; the advice names the call. */
			assert_true(strncmp(f->evidence, "1 run of at least ",
					    18) == 0);
			assert_non_null(strstr(f->evidence,
					       "split it: ask "
					       "lsched_stopwatch_continue() "
					       "between pieces of work"));
		}
		if (f->kind == AN_LONG_TASK) {
			longt = true;
			assert_int_equal(f->severity, AN_WARNING);
			assert_non_null(strstr(f->culprit, "chunky"));
			assert_true(strncmp(f->evidence, "1 of 1 run at least ",
					    20) == 0);
		}
	}
	assert_true(never && longt);
	an_free(a);
}

/* ---- CPU time: blocking, preemption and long work told apart ---------- */

#define DEFAULT 1
#define BLOCKED LSCHED_TP_END_BLOCKED
#define PREEMPTED LSCHED_TP_END_PREEMPTED

/* A run carrying its CPU time and the switch flags (task_fire_end.cpu,
 * LSCHED_TP_END_BLOCKED / _PREEMPTED); cpu -1 is an older trace. */
static void run_cpu(struct an *a, uint64_t id, const char *name, int prio,
		    int64_t begin, int64_t end, uint64_t checks,
		    uint64_t overruns, int64_t cpu, int flags)
{
	struct tr_event ev = base(TR_EV_task_fire_begin);

	ev.task_fire_begin = (struct tr_ev_task_fire_begin){
		.loop = LOOP, .task = id, .name = name, .prio = prio,
		.ready_at = begin, .begin = begin,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	ev = base(TR_EV_task_fire_end);
	ev.task_fire_end = (struct tr_ev_task_fire_end){
		.loop = LOOP, .task = id, .prio = prio, .ready_at = begin,
		.begin = begin, .end = end, .checks = checks,
		.overruns = overruns, .flags = flags, .cpu = cpu,
	};
	assert_int_equal(an_feed(a, &ev), 0);
}

/* A stopwatch check of task id, inside its run (before run_cpu's end). */
static void check_at(struct an *a, uint64_t id, int64_t elapsed,
		     int64_t slice, int64_t cpu_elapsed)
{
	struct tr_event ev = base(TR_EV_slice);

	ev.slice = (struct tr_ev_slice){
		.loop = LOOP, .task = id, .prio = DEFAULT, .elapsed = elapsed,
		.slice = slice, .last_iter = MS(1), .verdict = 1, .checks = 1,
		.cpu_elapsed = cpu_elapsed,
	};
	assert_int_equal(an_feed(a, &ev), 0);
}

static const struct an_finding *finding_for(const struct an_result *r,
					    enum an_kind kind,
					    const char *culprit)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == kind &&
		    !strcmp(r->findings[i].culprit, culprit))
			return &r->findings[i];
	return NULL;
}

static size_t findings_about(const struct an_result *r, const char *culprit)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += !strcmp(r->findings[i].culprit, culprit);
	return n;
}

/* A 210 ms run with 2 ms of CPU that slept is found as blocking the loop,
 * with its numbers, and not as a long task (a stopwatch would not help);
 * a 210 ms run that computed is a task that never yields; 3 ms asleep
 * (under block_ns, 5 ms) and a run off the CPU for a quarter are nothing. */
static void test_blocking_told_from_computing(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_finding *f;
	const struct an_task *t;

	run_cpu(a, 1, "reader", DEFAULT, MS(0), MS(210), 0, 0, MS(2),
		BLOCKED);
	run_cpu(a, 2, "cruncher", DEFAULT, MS(210), MS(420), 0, 0, MS(209),
		0);
	run_cpu(a, 3, "napper", DEFAULT, MS(420), MS(424), 0, 0, MS(1),
		BLOCKED);
	run_cpu(a, 4, "logger", DEFAULT, MS(424), MS(444), 0, 0, MS(15),
		BLOCKED);
	r = an_finish(a);

	f = finding_for(r, AN_BLOCKS_LOOP, "reader (DEFAULT)");
	assert_non_null(f);
	assert_int_equal(f->severity, AN_ERROR); /* >= the 50 ms long task */
	assert_non_null(strstr(f->evidence, "208 ms off the CPU in a 210 ms "
					    "run with 2 ms of CPU"));
	assert_int_equal(findings_about(r, "reader (DEFAULT)"), 1);
	t = task_named(r->loops[0], "reader");
	assert_int_equal(t->cpu.runs, 1);
	assert_int_equal(t->cpu.cpu, MS(2));
	assert_int_equal(t->cpu.wall, MS(210));
	assert_int_equal(t->cpu.blocked_runs, 1);
	assert_int_equal(t->cpu.block_max, MS(208));
	assert_int_equal(t->cpu.block_max_begin, MS(0));
	assert_int_equal(t->cpu.long_off_cpu_runs, 1);

	assert_non_null(finding_for(r, AN_NEVER_YIELDS, "cruncher (DEFAULT)"));
	assert_null(finding_for(r, AN_BLOCKS_LOOP, "cruncher (DEFAULT)"));
	assert_int_equal(findings_about(r, "napper (DEFAULT)"), 0);
	assert_int_equal(findings_about(r, "logger (DEFAULT)"), 0);
	t = task_named(r->loops[0], "logger");
	assert_int_equal(t->cpu.blocked_runs, 0);
	an_free(a);
}

/* Overruns whose CPU time stayed within the slice are the thread being
 * descheduled: told so, as information, and the iterations are not blamed;
 * a preempted run is not blocking, and a run long only for its preemption
 * is not a long task. Overruns with the CPU past the slice blame the
 * iterations, as before. */
static void test_preempted_overruns_not_blamed_on_iterations(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_finding *f;
	const struct an_task *t;
	int64_t at = 0;

	for (int i = 0; i < 4; i++, at += MS(100)) {
		/* 8 ms of work and a 60 ms preemption: the check after it
		 * finds 62 ms elapsed for 3 ms of CPU. */
		struct tr_event ev = base(TR_EV_task_fire_begin);

		ev.task_fire_begin = (struct tr_ev_task_fire_begin){
			.loop = LOOP, .task = 1, .name = "worker",
			.prio = DEFAULT, .ready_at = at, .begin = at,
		};
		assert_int_equal(an_feed(a, &ev), 0);
		check_at(a, 1, MS(62), MS(8), MS(3));
		ev = base(TR_EV_task_fire_end);
		ev.task_fire_end = (struct tr_ev_task_fire_end){
			.loop = LOOP, .task = 1, .prio = DEFAULT,
			.ready_at = at, .begin = at, .end = at + MS(68),
			.checks = 6, .overruns = 1, .flags = PREEMPTED,
			.cpu = MS(8),
		};
		assert_int_equal(an_feed(a, &ev), 0);
	}
	for (int i = 0; i < 4; i++, at += MS(20)) {
		/* 12 ms pieces under an 8 ms slice: the CPU overran. */
		struct tr_event ev = base(TR_EV_task_fire_begin);

		ev.task_fire_begin = (struct tr_ev_task_fire_begin){
			.loop = LOOP, .task = 2, .name = "chunky",
			.prio = DEFAULT, .ready_at = at, .begin = at,
		};
		assert_int_equal(an_feed(a, &ev), 0);
		check_at(a, 2, MS(12), MS(8), MS(12));
		ev = base(TR_EV_task_fire_end);
		ev.task_fire_end = (struct tr_ev_task_fire_end){
			.loop = LOOP, .task = 2, .prio = DEFAULT,
			.ready_at = at, .begin = at, .end = at + MS(12),
			.checks = 1, .overruns = 1, .cpu = MS(12),
		};
		assert_int_equal(an_feed(a, &ev), 0);
	}
	r = an_finish(a);

	f = finding_for(r, AN_OVERRUN, "worker (DEFAULT)");
	assert_non_null(f);
	assert_int_equal(f->severity, AN_INFO);
	assert_non_null(strstr(f->evidence, "descheduled"));
	assert_non_null(strstr(f->evidence, "worst 62 ms elapsed, 3 ms of "
					    "CPU, 59 ms off it"));
	assert_null(strstr(f->evidence, "too long for the slice"));
	/* 68 ms runs, but only for the preemption; not blocking either. */
	assert_int_equal(findings_about(r, "worker (DEFAULT)"), 1);
	t = task_named(r->loops[0], "worker");
	assert_int_equal(t->cpu.overruns_off_cpu, 4);
	assert_int_equal(t->cpu.overruns_on_cpu, 0);
	assert_int_equal(t->cpu.preempted_runs, 4);
	assert_int_equal(t->cpu.preempted_ns, 4 * MS(60));
	assert_int_equal(t->cpu.long_off_cpu_runs, 4);

	f = finding_for(r, AN_OVERRUN, "chunky (DEFAULT)");
	assert_non_null(f);
	assert_int_equal(f->severity, AN_WARNING);
	assert_non_null(strstr(f->evidence, "too long for the slice"));
	t = task_named(r->loops[0], "chunky");
	assert_int_equal(t->cpu.overruns_on_cpu, 4);
	an_free(a);
}

/* A trace recorded before the CPU fields (the reader delivers -1), or
 * events made with them 0: nothing is made of them, and the findings are
 * what they were. */
static void test_cpu_unknown_changes_nothing(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_finding *f;
	const struct an_task *t;

	for (int i = 0; i < 3; i++) {
		run_cpu(a, 1, "blob", DEFAULT, MS(100) * i,
			MS(100) * i + MS(80), 0, 0,
			i ? -1 : 0, BLOCKED | PREEMPTED);
		check_at(a, 1, MS(20), MS(8), -1);
	}
	run_cpu(a, 2, "worker", DEFAULT, MS(300), MS(310), 4, 1, -1, 0);
	run_cpu(a, 2, "worker", DEFAULT, MS(310), MS(320), 4, 1, -1, 0);
	r = an_finish(a);
	t = task_named(r->loops[0], "blob");
	assert_int_equal(t->cpu.runs, 0);
	assert_int_equal(t->cpu.blocked_runs, 0);
	assert_non_null(finding_for(r, AN_NEVER_YIELDS, "blob (DEFAULT)"));
	assert_null(finding_for(r, AN_BLOCKS_LOOP, "blob (DEFAULT)"));
	f = finding_for(r, AN_OVERRUN, "worker (DEFAULT)");
	assert_non_null(f);
	assert_int_equal(f->severity, AN_WARNING);
	assert_non_null(strstr(f->evidence, "too long for the slice"));
	an_free(a);
}

/* Tasks of one name are one entry; ids stay apart for their state. */
static void test_tasks_grouped_by_name(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_task *t;

	for (uint64_t id = 10; id < 15; id++) {
		enqueue(a, id, "posted", 4, 0, MS(1));
		run(a, id, "posted", 4, MS(1), MS(2), MS(3), 0, 0, 0);
	}
	r = an_finish(a);
	assert_int_equal(r->loops[0]->ntasks, 1);
	t = r->loops[0]->tasks[0];
	assert_int_equal(t->instances, 5);
	assert_int_equal(t->runs, 5);
	assert_int_equal(t->run_total, MS(5));
	an_free(a);
}

/* The ready mask and queued fields of a run correct a depth that missed
 * events (tracing started late). */
static void test_depth_resync(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	struct an_loop *l;

	enqueue(a, 1, "a", 3, 0, MS(0));
	enqueue(a, 2, "b", 3, 0, MS(0));
	enqueue(a, 3, "c", 5, 0, MS(0));
	/* The run says prio 3 has 0 left and prio 5 nothing ready. */
	run(a, 1, "a", 3, 0, MS(1), MS(2), 0, 0, 0);
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->prio[3].cur_depth, 0);
	assert_int_equal(l->prio[5].cur_depth, 0);
	assert_int_equal(l->prio[3].max_depth, 2);
	assert_true(an_anomalies(a) > 0);
	an_free(a);
}

static void test_performer(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	struct an_performer *p;
	struct tr_event ev;

	for (uint64_t i = 1; i <= 4; i++) {
		ev = base(TR_EV_perform_enqueue);
		ev.perform_enqueue = (struct tr_ev_perform_enqueue){
			.loop = LOOP, .performer = 0x2000, .post = i,
			.name = "", .prio = -1, .wait = i == 4,
			.signalled = i == 1, .posted_at = MS(1),
		};
		assert_int_equal(an_feed(a, &ev), 0);
	}
	ev = base(TR_EV_perform_wake);
	ev.perform_wake = (struct tr_ev_perform_wake){ LOOP, 0x2000, 1 };
	assert_int_equal(an_feed(a, &ev), 0);
	for (uint64_t i = 1; i <= 4; i++) {
		ev = base(TR_EV_perform_fire_end);
		ev.perform_fire_end = (struct tr_ev_perform_fire_end){
			.loop = LOOP, .performer = 0x2000, .post = i,
			.prio = -1, .posted_at = MS(1),
			.begin = MS(1) + MS(i), .end = MS(1) + MS(i) + 10,
			.delay = MS(i),
		};
		assert_int_equal(an_feed(a, &ev), 0);
	}
	r = an_finish(a);
	p = r->loops[0]->perfs[0];
	assert_int_equal(p->posts, 4);
	assert_int_equal(p->wakes, 1);
	assert_int_equal(p->waits, 1);
	assert_int_equal(p->fired, 4);
	assert_int_equal(p->max_backlog, 4);
	assert_int_equal(p->backlog, 0);
	assert_int_equal(an_pct(&p->delay, 50), MS(2));
	assert_int_equal(p->delay.max, MS(4));
	/* First-class work is a run of its own, for timelines. */
	assert_int_equal(r->loops[0]->nruns, 4);
	assert_null(r->loops[0]->runs[0].task);
	an_free(a);
}

/* Posts with the given queue delays (ms), one after the other. */
static void posts_delayed(struct an *a, const int *ms, int n)
{
	struct tr_event ev;
	int64_t t = 0;

	for (int i = 0; i < n; i++) {
		ev = base(TR_EV_perform_enqueue);
		ev.perform_enqueue = (struct tr_ev_perform_enqueue){
			.loop = LOOP, .performer = 0x2000, .post = (uint64_t)i + 1,
			.name = "", .prio = -1, .signalled = 1, .posted_at = t,
		};
		assert_int_equal(an_feed(a, &ev), 0);
		ev = base(TR_EV_perform_fire_end);
		ev.perform_fire_end = (struct tr_ev_perform_fire_end){
			.loop = LOOP, .performer = 0x2000, .post = (uint64_t)i + 1,
			.prio = -1, .posted_at = t, .begin = t + MS(ms[i]),
			.end = t + MS(ms[i]) + 10, .delay = MS(ms[i]),
		};
		assert_int_equal(an_feed(a, &ev), 0);
		t += MS(100);
	}
}

/* One post of 15 woken 32 ms late (the loop's thread descheduled) is no
 * backlog: with under 100 posts the p99 is that one delay. Two are. */
static void test_backlog_needs_two_delayed_posts(void **state)
{
	int one[15] = { [7] = 32 }, two[15] = { [3] = 12, [7] = 32 };
	struct an *a = new_an();
	const struct an_result *r;

	posts_delayed(a, one, 15);
	r = an_finish(a);
	for (size_t i = 0; i < r->nfindings; i++)
		assert_int_not_equal(r->findings[i].kind, AN_BACKLOG);
	an_free(a);
	a = new_an();
	posts_delayed(a, two, 15);
	r = an_finish(a);
	assert_non_null(finding_of(r, AN_BACKLOG, "performer"));
	an_free(a);
}

/* ---- a task's wait: restarts while ready, grouped blame ---------------- */

#define POST_PAINT 5
#define DEFAULT_IDLE 6
#define CAUSE_RESTART 1 /* enum lsched_tp_cause */
#define CAUSE_REPEAT 2
#define BEGIN_OVERDUE 0x1

static void enqueue_cause(struct an *a, uint64_t id, const char *name,
			  int prio, int kind, int64_t now, int64_t due,
			  int cause)
{
	struct tr_event ev = base(TR_EV_task_enqueue);

	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = id, .name = name, .prio = prio,
		.kind = kind, .now = now, .due = due, .cause = cause,
	};
	assert_int_equal(an_feed(a, &ev), 0);
}

static void run_flags(struct an *a, uint64_t id, const char *name, int prio,
		      int kind, int64_t ready_at, int64_t begin, int64_t end,
		      uint64_t queued, int mask, int flags)
{
	struct tr_event ev = base(TR_EV_task_fire_begin);

	ev.task_fire_begin = (struct tr_ev_task_fire_begin){
		.loop = LOOP, .task = id, .name = name, .prio = prio,
		.kind = kind,
		.ready_at = ready_at, .begin = begin, .queued = queued,
		.ready_mask = mask, .flags = flags,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	ev = base(TR_EV_task_fire_end);
	ev.task_fire_end = (struct tr_ev_task_fire_end){
		.loop = LOOP, .task = id, .prio = prio, .ready_at = ready_at,
		.begin = begin, .end = end, .flags = flags,
	};
	assert_int_equal(an_feed(a, &ev), 0);
}

/*
 * The case: a POST_PAINT idle restarted every 30 ms while it is
 * ready, for 270 ms in which a HIGHEST task runs and no POST_PAINT task
 * does. keep_ready_at: the scheduler keeps the task's ready time across
 * the restarts (its run says ready at 0); else it reset it at each
 * restart (its run says ready at 240 ms), as before that change. Both
 * traces are the same starvation: one interval of 270 ms, a wait of
 * 270 ms, blamed on the HIGHEST task.
 */
static void restarted_victim(bool keep_ready_at)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_loop *l;
	const struct an_task_starve *ts;
	const struct an_finding *f;

	enqueue(a, 1, "paint", POST_PAINT, 0, MS(0));
	for (int i = 0; i < 9; i++) {
		if (i)
			enqueue_cause(a, 1, "paint", POST_PAINT, 0, MS(30 * i),
				      MS(30 * i), CAUSE_RESTART);
		enqueue(a, 2, "hog", HIGHEST, 0, MS(30 * i));
		run(a, 2, "hog", HIGHEST, MS(30 * i), MS(30 * i),
		    MS(30 * i + 30), 0, 1 << POST_PAINT, 0);
	}
	run(a, 1, "paint", POST_PAINT, keep_ready_at ? 0 : MS(240), MS(270),
	    MS(271), 0, 0, 0);
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->prio[POST_PAINT].nstarves, 1);
	assert_int_equal(l->prio[POST_PAINT].starves[0].start, 0);
	assert_int_equal(l->prio[POST_PAINT].starves[0].end, MS(270));
	assert_int_equal(l->prio[POST_PAINT].max_depth, 1);
	assert_int_equal(task_named(l, "paint")->wait.max, MS(270));
	assert_int_equal(l->prio[POST_PAINT].wait.max, MS(270));
	assert_int_equal(l->ntstarves, 1);
	ts = &l->tstarves[0];
	assert_string_equal(ts->task->name, "paint");
	assert_int_equal(ts->prio, POST_PAINT);
	assert_int_equal(ts->start, 0);
	assert_int_equal(ts->end, MS(270));
	assert_true(ts->restarted);
	assert_false(ts->open_at_end);
	assert_int_equal(ts->group_ns[AN_TG_HIGHER], MS(270));
	assert_int_equal(ts->group_runs[AN_TG_HIGHER], 9);
	assert_int_equal(ts->nblame, 1);
	assert_string_equal(ts->blame[0].task->name, "hog");
	/* The run keeps the wait it ended, for timelines. */
	assert_int_equal(l->runs[l->nruns - 1].ready_at, 0);
	f = finding_of(r, AN_STARVING_TASK, "paint");
	assert_non_null(f);
	assert_int_equal(f->severity, AN_WARNING);
	assert_non_null(strstr(f->evidence, "waited up to 270 ms"));
	assert_non_null(strstr(f->evidence, "restarted while ready"));
	assert_non_null(strstr(f->evidence,
			       "higher priorities 270 ms in 9 runs"));
	assert_int_equal(an_anomalies(a), 0);
	an_free(a);
}

static void test_restart_while_ready_keeps_wait_old_trace(void **state)
{
	restarted_victim(false);
}

static void test_restart_while_ready_keeps_wait_new_trace(void **state)
{
	restarted_victim(true);
}

/* A POST_PAINT timer due at 10 ms, restarted at 100 ms while ready: an
 * older scheduler sent it back to its heap and woke it again at 150 ms.
 * Its wait still runs from 10 ms, and its priority's interval is one. */
static void test_restart_of_ready_timer_keeps_wait(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_loop *l;
	struct tr_event ev;

	enqueue_cause(a, 5, "blink", POST_PAINT, 2, 0, MS(10), 0);
	ev = base(TR_EV_task_wake);
	ev.task_wake = (struct tr_ev_task_wake){
		.loop = LOOP, .task = 5, .prio = POST_PAINT, .due = MS(10),
		.now = MS(10), .late = 0,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	enqueue(a, 1, "layout", HIGHEST, 0, MS(10));
	run(a, 1, "layout", HIGHEST, MS(10), MS(10), MS(100), 0,
	    1 << POST_PAINT, 0);
	enqueue_cause(a, 5, "blink", POST_PAINT, 2, MS(100), MS(150),
		      CAUSE_RESTART);
	enqueue(a, 1, "layout", HIGHEST, 0, MS(100));
	run(a, 1, "layout", HIGHEST, MS(100), MS(100), MS(200), 0,
	    1 << POST_PAINT, 0);
	ev.task_wake.due = MS(150);
	ev.task_wake.now = MS(200);
	ev.task_wake.late = MS(50);
	assert_int_equal(an_feed(a, &ev), 0);
	run_flags(a, 5, "blink", POST_PAINT, 2, MS(150), MS(200), MS(201), 0,
		  0, 0);
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->prio[POST_PAINT].nstarves, 1);
	assert_int_equal(l->prio[POST_PAINT].starves[0].start, MS(10));
	assert_int_equal(l->prio[POST_PAINT].starves[0].end, MS(200));
	assert_int_equal(task_named(l, "blink")->wait.max, MS(190));
	assert_int_equal(l->ntstarves, 1);
	assert_int_equal(l->tstarves[0].start, MS(10));
	assert_int_equal(l->tstarves[0].group_ns[AN_TG_HIGHER], MS(190));
	assert_int_equal(l->tstarves[0].group_runs[AN_TG_HIGHER], 2);
	an_free(a);
}

/* A restart of a task that is not ready (a waiting timer re-armed) is a
 * new wait: nothing carries over. */
static void test_restart_of_waiting_timer_is_new_wait(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	struct tr_event ev;

	enqueue_cause(a, 5, "blink", POST_PAINT, 2, 0, MS(500), 0);
	enqueue_cause(a, 5, "blink", POST_PAINT, 2, MS(300), MS(310),
		      CAUSE_RESTART);
	ev = base(TR_EV_task_wake);
	ev.task_wake = (struct tr_ev_task_wake){
		.loop = LOOP, .task = 5, .prio = POST_PAINT, .due = MS(310),
		.now = MS(310), .late = 0,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	run_flags(a, 5, "blink", POST_PAINT, 2, MS(310), MS(311), MS(312), 0,
		  0, 0);
	r = an_finish(a);
	assert_int_equal(r->loops[0]->ntstarves, 0);
	assert_int_equal(r->loops[0]->prio[POST_PAINT].nstarves, 0);
	assert_int_equal(r->nfindings, 0);
	an_free(a);
}

/*
 * The demo's case: a LOWEST "indexer" waits while DEFAULT_IDLE "spell"
 * runs 20 ms pieces; its LOWEST sibling "thumb", with an 80 ms max wait,
 * runs every 80 ms because that max wait forces it. LOWEST never starves
 * 100 ms (each forced run ends its interval), the indexer waits 255 ms:
 * 240 ms of spell (higher), 15 ms of thumb (own, 3 runs, all forced).
 */
static void test_starved_by_higher_sibling_rescued(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_loop *l;
	const struct an_task_starve *ts;
	const struct an_finding *f;
	int64_t t = 0;

	enqueue(a, 1, "indexer", LOWEST, 1, 0);
	enqueue(a, 2, "thumb", LOWEST, 1, 0);
	for (int cycle = 0; cycle < 3; cycle++) {
		int64_t thumb_ready = t;

		for (int i = 0; i < 4; i++) {
			enqueue_cause(a, 3, "spell", DEFAULT_IDLE, 1, t, t,
				      i || cycle ? CAUSE_REPEAT : 0);
			run_flags(a, 3, "spell", DEFAULT_IDLE, 1, t, t,
				  t + MS(20), 0, 1 << LOWEST, 0);
			t += MS(20);
		}
		run_flags(a, 2, "thumb", LOWEST, 1, thumb_ready, t, t + MS(5), 1,
			  1 << LOWEST, BEGIN_OVERDUE);
		t += MS(5);
		enqueue_cause(a, 2, "thumb", LOWEST, 1, t, t, CAUSE_REPEAT);
	}
	run_flags(a, 1, "indexer", LOWEST, 1, 0, t, t + MS(1), 1, 1 << LOWEST,
		  0);
	assert_int_equal(t, MS(255));
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->prio[LOWEST].nstarves, 0);
	assert_int_equal(l->ntstarves, 1);
	ts = &l->tstarves[0];
	assert_string_equal(ts->task->name, "indexer");
	assert_int_equal(ts->end - ts->start, MS(255));
	assert_false(ts->restarted);
	assert_int_equal(ts->group_ns[AN_TG_HIGHER], MS(240));
	assert_int_equal(ts->group_runs[AN_TG_HIGHER], 12);
	assert_int_equal(ts->forced_runs[AN_TG_HIGHER], 0);
	assert_int_equal(ts->group_ns[AN_TG_OWN], MS(15));
	assert_int_equal(ts->group_runs[AN_TG_OWN], 3);
	assert_int_equal(ts->forced_runs[AN_TG_OWN], 3);
	assert_int_equal(ts->forced_ns[AN_TG_OWN], MS(15));
	assert_int_equal(ts->group_runs[AN_TG_POSTED], 0);
	assert_int_equal(ts->nblame, 2);
	assert_string_equal(ts->blame[0].task->name, "spell");
	assert_int_equal(ts->blame[0].prio, DEFAULT_IDLE);
	assert_int_equal(ts->blame[0].runs, 12);
	assert_string_equal(ts->blame[1].task->name, "thumb");
	assert_int_equal(ts->blame[1].forced_runs, 3);
	/* The sibling's waits (80 ms) are under the threshold. */
	assert_null(finding_of(r, AN_STARVING_TASK, "thumb"));
	f = finding_of(r, AN_STARVING_TASK, "indexer");
	assert_non_null(f);
	assert_string_equal(f->culprit, "indexer (LOWEST)");
	assert_int_equal(f->severity, AN_WARNING);
	assert_non_null(strstr(f->evidence, "waited up to 255 ms"));
	assert_non_null(strstr(f->evidence, "higher priorities 240 ms in 12 "
					    "runs (most: spell DEFAULT_IDLE "
					    "240 ms)"));
	assert_non_null(strstr(f->evidence, "its own priority 15 ms in 3 "
					    "runs, 3 forced by a max wait "
					    "(most: thumb LOWEST 15 ms)"));
	assert_non_null(strstr(f->evidence, "give indexer a maximum wait "
					    "(lsched_task_set_max_wait()), or "
					    "split or lower spell "
					    "(lsched_stopwatch_continue(), "
					    "lsched_task_set_priority())"));
	assert_null(strstr(f->evidence, "kept running ahead"));
	an_free(a);
}

/* A starving task that has a maximum wait is not told to get one: the
 * advice says by how much the wait went past it (the run under way when
 * it fell due), or that it is longer than the wait. The maximum wait is
 * learnt from task_enqueue and from task_max_wait. */
static void test_starving_task_with_max_wait(void **state)
{
	struct an *a = new_an();
	struct tr_event ev = base(TR_EV_task_enqueue);
	const struct an_result *r;
	const struct an_finding *f;
	int64_t t = 0;

	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = 1, .name = "thumb", .prio = LOWEST,
		.kind = 1, .now = 0, .due = 0, .max_wait = MS(100),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	enqueue(a, 2, "cache", LOWEST, 1, 0);
	ev = base(TR_EV_task_max_wait);
	ev.task_max_wait = (struct tr_ev_task_max_wait){
		.loop = LOOP, .task = 2, .prio = LOWEST, .old_max_wait = 0,
		.max_wait = MS(300), .state = 1,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	for (int i = 0; i < 6; i++) {
		enqueue_cause(a, 3, "spell", DEFAULT_IDLE, 1, t, t,
			      i ? CAUSE_REPEAT : 0);
		run_flags(a, 3, "spell", DEFAULT_IDLE, 1, t, t, t + MS(20), 0,
			  1 << LOWEST, 0);
		t += MS(20);
	}
	/* thumb fell due at 100 ms, inside spell's 20 ms run: run at 120. */
	run_flags(a, 1, "thumb", LOWEST, 1, 0, t, t + MS(1), 1, 1 << LOWEST,
		  BEGIN_OVERDUE);
	t += MS(1);
	run_flags(a, 2, "cache", LOWEST, 1, 0, t, t + MS(1), 0, 0, 0);
	/* A maximum wait set on a task never enqueued makes no entry. */
	ev = base(TR_EV_task_max_wait);
	ev.task_max_wait = (struct tr_ev_task_max_wait){
		.loop = LOOP, .task = 99, .prio = LOWEST, .max_wait = MS(5),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	r = an_finish(a);
	assert_int_equal(r->loops[0]->ntasks, 3);
	f = finding_of(r, AN_STARVING_TASK, "thumb");
	assert_non_null(f);
	assert_null(strstr(f->evidence, "give thumb a maximum wait"));
	assert_non_null(strstr(f->evidence, "thumb's maximum wait (100 ms) "
					    "ran it 20 ms past it, after the "
					    "run under way: shorten the "
					    "maximum wait "
					    "(lsched_task_set_max_wait()), or "
					    "split or lower spell"));
	f = finding_of(r, AN_STARVING_TASK, "cache");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "shorten cache's maximum wait "
					    "(300 ms; "
					    "lsched_task_set_max_wait()), or "
					    "split or lower spell"));
	an_free(a);
}

/* A victim that became ready while a higher-priority run was already going
 * and waited mostly for that run: no maximum wait cuts a run short, so the
 * advice is to split the run under way (the demo's blink behind layout's
 * 300 ms reflow was told to get a maximum wait). */
static void test_starving_task_behind_run_under_way(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_finding *f;
	const struct an_task_starve *ts;

	enqueue(a, 1, "layout", 2, 1, 0);
	/* blink (POST_PAINT, 5) ready at 10 ms, inside layout's 200 ms run */
	enqueue(a, 2, "blink", 5, 1, MS(10));
	run_flags(a, 1, "layout", 2, 1, 0, 0, MS(200), 0, 1 << 5, 0);
	run_flags(a, 2, "blink", 5, 1, MS(10), MS(200), MS(201), 0, 0, 0);
	r = an_finish(a);
	assert_int_equal(r->loops[0]->ntstarves, 1);
	ts = &r->loops[0]->tstarves[0];
	assert_non_null(ts->under_way);
	assert_string_equal(ts->under_way->name, "layout");
	assert_int_equal(ts->under_way_ns, MS(190));
	f = finding_of(r, AN_STARVING_TASK, "blink");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "split layout with "
					    "lsched_stopwatch_continue(): "
					    "it was running when blink became "
					    "ready (190 ms of the wait)"));
	an_free(a);
}

/* A loop run by another thread than the process's main one is named after
 * the process (its main thread's name), not after its own thread, once an
 * event of the main thread shows it: officesim's "storage" server loop
 * was shown as a process "storage". */
static void test_loop_process_named_by_main_thread(void **state)
{
	struct an *a = new_an();
	struct tr_event ev = base(TR_EV_task_enqueue);
	const struct an_result *r;

	ev.vtid = 43;
	ev.procname = "storage";
	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = 0x2000, .task = 7, .name = "save", .prio = 1,
		.kind = 1, .now = 0, .due = 0,
	};
	assert_int_equal(an_feed(a, &ev), 0);
	enqueue(a, 1, "main task", 1, 1, 0);
	r = an_finish(a);
	assert_int_equal(r->nloops, 2);
	for (size_t i = 0; i < r->nloops; i++) {
		assert_int_equal(r->loops[i]->vpid, 42);
		assert_string_equal(r->loops[i]->procname, "prog");
	}
	an_free(a);
}

/* A wait that went far past the task's maximum wait because one long run
 * was going on when it fell due: the advice is to split that run (a
 * shorter maximum wait would fall due inside it too). */
static void test_max_wait_fell_due_inside_a_long_run(void **state)
{
	struct an *a = new_an();
	struct tr_event ev = base(TR_EV_task_enqueue);
	const struct an_result *r;
	const struct an_finding *f;

	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = 1, .name = "thumb", .prio = LOWEST,
		.kind = 1, .now = 0, .due = 0, .max_wait = MS(100),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	enqueue(a, 2, "layout", 2, 1, MS(40));
	run_flags(a, 2, "layout", 2, 1, MS(40), MS(50), MS(250), 1, 1 << LOWEST,
		  0);
	run_flags(a, 1, "thumb", LOWEST, 1, 0, MS(250), MS(251), 0, 0,
		  BEGIN_OVERDUE);
	r = an_finish(a);
	assert_non_null(r->loops[0]->tstarves[0].due_run);
	assert_int_equal(r->loops[0]->tstarves[0].due_run_ns, MS(150));
	f = finding_of(r, AN_STARVING_TASK, "thumb");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, ": split layout with "
					    "lsched_stopwatch_continue(): "
					    "thumb's maximum "
					    "wait (100 ms) fell due during its "
					    "run, which went on 150 ms (a maximum "
					    "wait acts only between runs)"));
	assert_null(strstr(f->evidence, "shorten"));
	an_free(a);
}

/* A maximum wait that fell due during a short run and ran the task just
 * past it (at the next task boundary) worked: the advice is not to split
 * that 102 us run (schedtop named repaint so on officesim's thumbnail),
 * but that the maximum wait ran it in time. */
static void test_max_wait_in_time_is_not_split_advice(void **state)
{
	struct an *a = new_an();
	struct tr_event ev = base(TR_EV_task_enqueue);
	const struct an_result *r;
	const struct an_finding *f;

	ev.task_enqueue = (struct tr_ev_task_enqueue){
		.loop = LOOP, .task = 1, .name = "thumb", .prio = LOWEST,
		.kind = 1, .now = 0, .due = 0, .max_wait = MS(150),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	enqueue(a, 2, "spell", 6, 1, 0);
	run_flags(a, 2, "spell", 6, 1, 0, 0, MS(149) + 950000, 1,
		  1 << LOWEST, 0);
	enqueue(a, 3, "repaint", 4, 1, MS(149) + 950000);
	run_flags(a, 3, "repaint", 4, 1, MS(149) + 950000, MS(149) + 950000,
		  MS(150) + 52000, 1, 1 << LOWEST, 0);
	run_flags(a, 1, "thumb", LOWEST, 1, 0, MS(150) + 52000,
		  MS(150) + 60000, 0, 0, BEGIN_OVERDUE);
	r = an_finish(a);
	assert_non_null(r->loops[0]->tstarves[0].due_run);
	f = finding_of(r, AN_STARVING_TASK, "thumb");
	assert_non_null(f);
	assert_null(strstr(f->evidence, "split repaint"));
	assert_non_null(strstr(f->evidence, "thumb's maximum wait (150 ms) "
					    "ran it in time (52 us past it"));
	an_free(a);
}

/* Posted work that runs while a task waits is blamed as such; a wait
 * still open at the end is kept, and says so. */
static void test_starved_by_posted_work_open(void **state)
{
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_loop *l;
	const struct an_finding *f;
	struct tr_event ev;

	enqueue(a, 1, "save", LOWEST, 0, 0);
	for (int i = 0; i < 30; i++) {
		ev = base(TR_EV_perform_fire_end);
		ev.perform_fire_end = (struct tr_ev_perform_fire_end){
			.loop = LOOP, .performer = 0x2000, .post = (uint64_t)i,
			.prio = -1, .posted_at = MS(10 * i),
			.begin = MS(10 * i), .end = MS(10 * i + 10),
		};
		assert_int_equal(an_feed(a, &ev), 0);
	}
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->ntstarves, 1);
	assert_true(l->tstarves[0].open_at_end);
	assert_int_equal(l->tstarves[0].end, MS(300));
	assert_int_equal(l->tstarves[0].group_ns[AN_TG_POSTED], MS(300));
	assert_int_equal(l->tstarves[0].group_runs[AN_TG_POSTED], 30);
	assert_null(l->tstarves[0].blame[0].task);
	f = finding_of(r, AN_STARVING_TASK, "save");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "still waiting at the end"));
	assert_non_null(strstr(f->evidence, "posted work 300 ms in 30 runs"));
	assert_non_null(strstr(f->evidence, "post smaller pieces"));
	an_free(a);
}

/* Three LOWEST tasks ready together run one after the other behind a
 * HIGHEST hog: each wait counts the hog's runs up to it and its siblings
 * that ran before it (the walk is shared, the figures are each wait's). */
static void test_waits_of_tasks_ready_together(void **state)
{
	static const char *const names[] = { "a", "b", "c" };
	struct an *a = new_an();
	const struct an_result *r;
	const struct an_loop *l;
	int64_t t = 0;

	for (int i = 0; i < 3; i++)
		enqueue(a, 10 + (uint64_t)i, names[i], LOWEST, 0, 0);
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < (i ? 1 : 15); k++) {
			enqueue(a, 2, "hog", HIGHEST, 0, t);
			run(a, 2, "hog", HIGHEST, t, t, t + MS(10),
			    (uint64_t)(3 - i), 1 << LOWEST, 0);
			t += MS(10);
		}
		run(a, 10 + (uint64_t)i, names[i], LOWEST, 0, t, t + MS(10),
		    (uint64_t)(2 - i), i < 2 ? 1 << LOWEST : 0, 0);
		t += MS(10);
	}
	r = an_finish(a);
	l = r->loops[0];
	assert_int_equal(l->ntstarves, 3);
	for (int i = 0; i < 3; i++) {
		const struct an_task_starve *s = &l->tstarves[i];

		assert_string_equal(s->task->name, names[i]);
		assert_int_equal(s->end, MS(150 + 20 * i));
		assert_int_equal(s->group_ns[AN_TG_HIGHER], MS(150 + 10 * i));
		assert_int_equal(s->group_runs[AN_TG_HIGHER], 15 + i);
		assert_int_equal(s->group_ns[AN_TG_OWN], MS(10 * i));
		assert_int_equal(s->group_runs[AN_TG_OWN], i);
		assert_string_equal(s->blame[0].task->name, "hog");
		assert_int_equal(s->blame[0].runs, 15 + i);
		assert_int_equal(s->nblame, 1 + i);
	}
	an_free(a);
}

static void test_discard_is_an_error(void **state)
{
	struct an *a = new_an();
	struct tr_discard d = { .count_known = true, .count = 17 };
	const struct an_result *r;

	enqueue(a, 1, "t", 1, 0, MS(0));
	an_discard(a, &d);
	r = an_finish(a);
	assert_false(r->complete);
	assert_int_equal(r->discarded_events, 17);
	assert_int_equal(r->findings[0].kind, AN_LOST);
	assert_int_equal(r->findings[0].severity, AN_ERROR);
	an_free(a);
}

/* Sequences no sound trace has: counted, never fatal. */
static void test_anomalies(void **state)
{
	struct an *a = new_an();
	struct tr_event ev = base(TR_EV_task_fire_end);

	ev.task_fire_end = (struct tr_ev_task_fire_end){
		.loop = LOOP, .task = 99, .prio = 1, .begin = MS(5),
		.end = MS(6),
	};
	assert_int_equal(an_feed(a, &ev), 0); /* an end without a begin */
	enqueue(a, 1, "odd", 12, 0, MS(7));   /* an unknown priority */
	run(a, 2, "neg", 1, MS(10), MS(9), MS(8), 0, 0, 0); /* end < begin */
	ev = base(TR_EV_task_wake);
	ev.task_wake = (struct tr_ev_task_wake){
		.loop = LOOP, .task = 3, .prio = 40, .due = MS(9),
		.now = MS(8), .late = -MS(1),
	};
	assert_int_equal(an_feed(a, &ev), 0);
	an_finish(a);
	assert_true(an_anomalies(a) >= 4);
	an_free(a);
}

static void test_bad_path(void **state)
{
	const char *paths[] = { "/nonexistent/trace" };
	char err[256] = "";

	assert_null(an_from_traces(paths, 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/trace"));
	assert_null(strchr(err, '\n'));
}

/* Found by fuzzing (tests/fuzz/regress/analysis/empty-no-finding): with
 * no finding, an_finish() sorted a NULL array (undefined behaviour that
 * UBSan reports). No event, and a healthy run, have no finding. */
static void test_no_finding(void **state)
{
	struct an *a = new_an();
	const struct an_result *r = an_finish(a);

	assert_int_equal(r->nfindings, 0);
	assert_int_equal(r->nloops, 0);
	an_free(a);

	a = new_an();
	enqueue(a, 1, "quick", HIGHEST, 0, MS(1));
	run(a, 1, "quick", HIGHEST, MS(1), MS(1), MS(2), 1, 1, 0);
	r = an_finish(a);
	assert_int_equal(r->nloops, 1);
	assert_int_equal(r->nfindings, 0);
	an_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_starvation_and_blame),
		cmocka_unit_test(test_starvation_threshold_and_open),
		cmocka_unit_test(test_starving_task),
		cmocka_unit_test(test_late_timer_blamed),
		cmocka_unit_test(test_pid_filter),
		cmocka_unit_test(test_long_and_never_yields),
		cmocka_unit_test(test_tasks_grouped_by_name),
		cmocka_unit_test(test_depth_resync),
		cmocka_unit_test(test_performer),
		cmocka_unit_test(test_backlog_needs_two_delayed_posts),
		cmocka_unit_test(test_restart_while_ready_keeps_wait_old_trace),
		cmocka_unit_test(test_restart_while_ready_keeps_wait_new_trace),
		cmocka_unit_test(test_restart_of_ready_timer_keeps_wait),
		cmocka_unit_test(test_restart_of_waiting_timer_is_new_wait),
		cmocka_unit_test(test_starved_by_higher_sibling_rescued),
		cmocka_unit_test(test_starving_task_with_max_wait),
		cmocka_unit_test(test_starving_task_behind_run_under_way),
		cmocka_unit_test(test_max_wait_fell_due_inside_a_long_run),
		cmocka_unit_test(test_max_wait_in_time_is_not_split_advice),
		cmocka_unit_test(test_loop_process_named_by_main_thread),
		cmocka_unit_test(test_starved_by_posted_work_open),
		cmocka_unit_test(test_waits_of_tasks_ready_together),
		cmocka_unit_test(test_discard_is_an_error),
		cmocka_unit_test(test_anomalies),
		cmocka_unit_test(test_bad_path),
		cmocka_unit_test(test_no_finding),
		cmocka_unit_test(test_blocking_told_from_computing),
		cmocka_unit_test(test_preempted_overruns_not_blamed_on_iterations),
		cmocka_unit_test(test_cpu_unknown_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
