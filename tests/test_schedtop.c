/*
 * schedtop's model and frames (tools/schedtop/model.h, frame.c), the code
 * both its sources share: the duration histogram, the aggregation of runs
 * (starvation, maxima per epoch, long runs), frames between snapshots
 * (rates, busy share with the run in progress, percentiles, task rows and
 * their order, loops' order), the alerts raised for runs and starvation
 * still going on, and the text and JSON output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "schedtop.h"

#define MS(x) ((int64_t)(x) * 1000000)
#define US(x) ((int64_t)(x) * 1000)

static void test_bucket_edges(void **state)
{
	(void)state;
	for (int64_t v = 0; v < 4; v++)
		assert_int_equal(st_bucket(v), v);
	assert_int_equal(st_bucket(-5), 0);
	assert_int_equal(st_bucket(4), 4);
	assert_int_equal(st_bucket(7), 7);
	assert_int_equal(st_bucket(8), 8);
	assert_int_equal(st_bucket(9), 8);
	assert_int_equal(st_bucket(10), 9);
	for (uint32_t b = 0; b + 1 < ST_HIST_BUCKETS; b++) {
		int64_t lo = st_bucket_low(b), hi = st_bucket_high(b);

		assert_true(lo < hi);
		assert_int_equal(st_bucket(lo), b);
		assert_int_equal(st_bucket(hi - 1), b);
		assert_int_equal(st_bucket_low(b + 1), hi);
		/* A bucket is at most a quarter of its lower bound wide. */
		if (b >= 4)
			assert_true((hi - lo) * 4 <= lo);
	}
	assert_int_equal(st_bucket(INT64_MAX), ST_HIST_BUCKETS - 1);
	assert_int_equal(st_bucket((int64_t)1 << 45), ST_HIST_BUCKETS - 1);
}

static void test_hist_percentiles(void **state)
{
	st_u64 prev[ST_HIST_BUCKETS] = { 0 }, cur[ST_HIST_BUCKETS] = { 0 };
	int64_t p50, p99;

	(void)state;
	assert_int_equal(st_hist_pct(cur, prev, 50, 0), 0);
	/* 1..1000 us, once each; the previous frame had 10 runs of 5 s. */
	for (int i = 1; i <= 1000; i++)
		cur[st_bucket(US(i))]++;
	cur[st_bucket(MS(5000))] += 10;
	prev[st_bucket(MS(5000))] = 10;
	p50 = st_hist_pct(cur, prev, 50, US(1000));
	p99 = st_hist_pct(cur, prev, 99, US(1000));
	assert_true(p50 >= US(500) && p50 <= US(500) * 5 / 4);
	assert_true(p99 >= US(990) && p99 <= US(1000));
	/* Never above the maximum. */
	assert_int_equal(st_hist_pct(cur, prev, 100, US(1000)), US(1000));
	/* Without a maximum, the bucket's upper edge. */
	assert_true(st_hist_pct(cur, prev, 100, 0) >= US(1000));
	assert_true(st_hist_pct(cur, NULL, 100, 0) >= MS(5000));
}

static struct st_loop *new_loop(void)
{
	return calloc(1, sizeof(struct st_loop));
}

static void test_starvation(void **state)
{
	struct st_loop *l = new_loop();
	int64_t start;

	(void)state;
	assert_non_null(l);
	/* DEFAULT runs at 10 ms while LOWEST (bit 7) waits. */
	start = st_begin(l, 1, 1, MS(10), MS(10), 0, 1 << 7, 100, MS(100), MS(10));
	assert_int_equal(start, 0);
	assert_int_equal(l->prio[7].ready_since, MS(10));
	assert_int_equal(l->run_task, 1);
	/* More DEFAULT runs: LOWEST still waits since 10 ms. */
	st_begin(l, 1, 1, MS(50), MS(50), 0, 1 << 7, 100, MS(100), MS(50));
	assert_int_equal(l->prio[7].ready_since, MS(10));
	/* LOWEST runs at 210 ms; its task was ready since 5 ms: the
	 * starvation began then. */
	start = st_begin(l, 2, 7, MS(5), MS(210), 3, 0, 100, MS(100), MS(210));
	assert_int_equal(start, MS(5));
	assert_int_equal(l->prio[7].starves, 1);
	assert_int_equal(l->prio[7].starved_sum, MS(205));
	assert_int_equal(l->prio[7].ready_since, 0);
	assert_int_equal(l->prio[7].queued, 3);
	/* The run ends; the next LOWEST task, ready long ago, runs right
	 * after: it ends no starvation (its priority just ran). */
	{
		struct st_task_stat t = { 0 };

		st_end(l, &t, 7, MS(5), MS(210), MS(211), 0, 0, 0, 1, MS(50), MS(211));
	}
	start = st_begin(l, 3, 7, MS(6), MS(211), 2, 0, 100, MS(100), MS(211));
	assert_int_equal(start, 0);
	/* Short of the threshold: nothing. */
	st_begin(l, 1, 1, MS(300), MS(300), 0, 1 << 7, 100, MS(100), MS(300));
	assert_int_equal(st_begin(l, 4, 7, MS(300), MS(350), 0, 0, 100, MS(100), MS(350)), 0);
	/* A sleep: nothing is ready any more. */
	st_begin(l, 1, 1, MS(400), MS(400), 0, 1 << 6, 100, MS(100), MS(400));
	assert_int_equal(l->prio[6].ready_since, MS(400));
	st_sleep(l, MS(450), MS(450));
	assert_int_equal(l->prio[6].ready_since, 0);
	assert_int_equal(l->ready_mask, 0);
	assert_int_equal(l->sleeps, 1);
	/* A priority out of range only updates the loop. */
	assert_int_equal(st_begin(l, 9, 12, 0, MS(500), 0, 0, 100, MS(100), MS(500)), 0);
	free(l);
}

static void test_end_figures(void **state)
{
	struct st_loop *l = new_loop();
	struct st_task_stat t = { 0 };
	int64_t run, wait;

	(void)state;
	st_begin(l, 1, 2, MS(1), MS(2), 0, 0, 7, MS(100), MS(2));
	assert_int_equal(st_end(l, &t, 2, MS(1), MS(2), MS(3), 4, 1, 2, 1, MS(50), MS(3)), 0);
	assert_int_equal(l->run_task, 0);
	assert_int_equal(l->runs, 1);
	assert_int_equal(l->run_sum, MS(1));
	assert_int_equal(t.runs, 1);
	assert_int_equal(t.prio, 2);
	assert_int_equal(t.checks, 4);
	assert_int_equal(t.yields, 1);
	assert_int_equal(t.overruns, 2);
	st_maxes_get(&t.max, 1, &run, &wait);
	assert_int_equal(run, MS(1));
	assert_int_equal(wait, MS(1));
	st_maxes_get(&l->prio[2].max, 1, &run, &wait);
	assert_int_equal(wait, MS(1));
	assert_int_equal(l->prio[2].last_end, MS(3));
	assert_int_equal(l->last_time, MS(3));
	/* A long run. */
	assert_int_equal(st_end(l, &t, 2, MS(3), MS(4), MS(64), 0, 0, 0, 1, MS(50), MS(64)), 1);
	assert_int_equal(t.long_runs, 1);
	st_maxes_get(&t.max, 1, &run, &wait);
	assert_int_equal(run, MS(60));
	/* The reader moves to epoch 2; a run ends before it reads: epoch
	 * 1's frame sees it too, as the frame counts it. */
	st_end(l, &t, 2, MS(64), MS(65), MS(66), 0, 0, 0, 2, MS(50), MS(66));
	st_maxes_get(&t.max, 1, &run, &wait);
	assert_int_equal(run, MS(60));
	/* Epoch 2's frame: only its own run. */
	st_maxes_get(&t.max, 2, &run, &wait);
	assert_int_equal(run, MS(1));
	/* Epoch 3 writes over epoch 1's slot, not epoch 2's. */
	st_end(l, &t, 2, MS(66), MS(67), MS(69), 0, 0, 0, 3, MS(50), MS(69));
	st_maxes_get(&t.max, 2, &run, &wait);
	assert_int_equal(run, MS(2));
	st_maxes_get(&t.max, 3, &run, &wait);
	assert_int_equal(run, MS(2));
	/* An epoch with no run: nothing (slots hold older epochs). */
	st_maxes_get(&t.max, 5, &run, &wait);
	assert_int_equal(run, 0);
	assert_int_equal(wait, 0);
	/* Times going backwards count as 0, never negative. */
	st_end(l, &t, 2, MS(70), MS(69), MS(68), 0, 0, 0, 3, MS(50), MS(68));
	st_maxes_get(&t.max, 3, &run, &wait);
	assert_int_equal(run, MS(2));
	assert_int_equal(l->prio[2].wait_hist[0], 1);
	free(l);
}

/* A snapshot of one loop of process 42 (tid 42) with the given tasks. */
static struct st_loop_ent *snap_loop(struct st_snap *s, int64_t t,
				     uint64_t epoch)
{
	struct st_loop_ent *e;

	s->t = t;
	s->epoch = epoch;
	e = st_snap_loop(s, 0x1000, 42);
	assert_non_null(e);
	e->v.tid = 42;
	return e;
}

static struct st_task_stat *snap_task(struct st_snap *s, const char *name,
				      int prio)
{
	struct st_task_key k;
	struct st_task_stat *t;

	memset(&k, 0, sizeof(k));
	k.loop = 0x1000;
	k.pid = 42;
	snprintf(k.name, sizeof(k.name), "%s", name);
	t = st_snap_task(s, &k);
	assert_non_null(t);
	t->prio = prio;
	return t;
}

static void test_frame(void **state)
{
	struct st_snap a = { 0 }, b = { 0 };
	struct st_loop_ent *la, *lb;
	struct st_task_stat *t;
	struct st_frame f = { 0 };

	(void)state;
	la = snap_loop(&a, MS(1000), 1);
	la->v.runs = 10;
	la->v.run_sum = MS(100);
	la->v.posts = 5;
	/* A run in progress since 900 ms at the first snapshot. */
	la->v.run_task = 7;
	la->v.run_begin = MS(900);
	t = snap_task(&a, "spell", 6);
	t->runs = 10;
	t->run_sum = MS(100);
	snap_task(&a, "idle-one", 1)->runs = 3;

	assert_true(st_snap_copy(&b, &a));
	lb = snap_loop(&b, MS(2000), 2);
	/* The run ended at 1200 ms (300 ms in all), two more of 10 ms ran. */
	lb->v.run_task = 0;
	lb->v.runs = 13;
	lb->v.run_sum = MS(100) + MS(300) + MS(20);
	lb->v.posts = 25;
	lb->v.prio[6].runs = 3;
	st_maxes_add(&lb->v.prio[6].max, 2, MS(1), MS(4));
	lb->v.prio[6].wait_hist[st_bucket(MS(1))] = 2;
	lb->v.prio[6].wait_hist[st_bucket(MS(4))] = 1;
	lb->v.ready_mask = 1 << 7;
	lb->v.prio[7].queued = 0;
	lb->v.prio[7].ready_since = MS(1500);
	lb->v.prio[7].last_end = MS(1400);
	t = snap_task(&b, "spell", 6);
	t->runs = 13;
	t->run_sum = MS(420);
	st_maxes_add(&t->max, 2, MS(300), MS(4));
	t->wait_hist[st_bucket(MS(4))] = 3;
	t->overruns = 4;
	snap_task(&b, "newcomer", 0)->runs = 1;
	b.lost.ringbuf = 2;

	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.nloops, 1);
	assert_int_equal(f.t0, MS(1000));
	assert_int_equal(f.t1, MS(2000));
	assert_int_equal(f.lost, 2);
	assert_int_equal(f.lost_delta, 2);
	{
		struct st_frame_loop *l = &f.loops[0];

		assert_true(l->runs_s > 2.99 && l->runs_s < 3.01);
		assert_true(l->posts_s > 19.99 && l->posts_s < 20.01);
		/* 420 - 100 ms ended in the frame, minus the 100 ms the
		 * run in progress had already counted in the last one. */
		assert_true(l->busy_pct > 21.99 && l->busy_pct < 22.01);
		assert_false(l->running);
		assert_int_equal(l->prio[6].runs, 3);
		assert_int_equal(l->prio[6].wait_max, MS(4));
		assert_true(l->prio[6].wait_p50 >= MS(1) &&
			    l->prio[6].wait_p50 <= MS(1) * 5 / 4);
		assert_int_equal(l->prio[6].wait_p99, MS(4));
		/* LOWEST: ready (at least one) since 1500 ms. */
		assert_int_equal(l->prio[7].ready, 1);
		assert_false(l->prio[7].ready_exact);
		assert_int_equal(l->prio[7].starving, MS(500));
		assert_int_equal(l->prio[0].starving, 0);
		/* Tasks that ran in the frame, by run time: spell (320 ms),
		 * then newcomer (0); idle-one did not run. */
		assert_int_equal(l->ntasks, 2);
		assert_string_equal(l->tasks[0].k->name, "spell");
		assert_int_equal(l->tasks[0].runs, 3);
		assert_int_equal(l->tasks[0].run_sum, MS(320));
		assert_int_equal(l->tasks[0].run_max, MS(300));
		assert_int_equal(l->tasks[0].wait_p99, MS(4));
		assert_int_equal(l->tasks[0].overruns, 4);
		assert_string_equal(l->tasks[1].k->name, "newcomer");
		st_frame_sort(&f, ST_SORT_NAME);
		assert_string_equal(l->tasks[0].k->name, "newcomer");
		st_frame_sort(&f, ST_SORT_RUNS);
		assert_string_equal(l->tasks[0].k->name, "spell");
	}
	st_frame_free(&f);
	/* A maximum of an older epoch is not this frame's. */
	b.epoch = 4;
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.loops[0].prio[6].wait_max, 0);
	assert_int_equal(f.loops[0].tasks[0].run_max, 0);
	/* Runs tagged with the next epoch (they ended between the move of
	 * the epoch and the read) are the frame's too: it counts them. */
	b.epoch = 1;
	st_frame_free(&f);
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.loops[0].prio[6].wait_max, MS(4));
	st_frame_free(&f);
	/* Another process's loops are left out when filtered. */
	assert_true(st_frame_build(&f, &a, &b, 7, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.nloops, 0);
	st_frame_free(&f);
	st_snap_free(&a);
	st_snap_free(&b);
}

/* The trace screen's history: a frame's copy owns its task keys and
 * outlives the snapshots it was built from; the task table reverses. */
static void test_frame_dup_reverse(void **state)
{
	struct st_snap a = { 0 }, b = { 0 };
	struct st_frame f = { 0 }, g = { 0 };
	struct st_task_stat *t;
	const char *names[] = { "alpha", "beta", "gamma" };

	(void)state;
	snap_loop(&a, MS(1000), 1);
	assert_true(st_snap_copy(&b, &a));
	snap_loop(&b, MS(2000), 2);
	for (int i = 0; i < 3; i++) {
		t = snap_task(&b, names[i], 6);
		t->runs = (uint64_t)(i + 1);
		t->run_sum = MS(10 * (i + 1));
	}
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.loops[0].ntasks, 3);
	assert_string_equal(f.loops[0].tasks[0].k->name, "gamma");
	st_frame_sort_dir(&f, ST_SORT_TIME, true);
	assert_string_equal(f.loops[0].tasks[0].k->name, "alpha");
	assert_string_equal(f.loops[0].tasks[2].k->name, "gamma");
	st_frame_sort_dir(&f, ST_SORT_NAME, true);
	assert_string_equal(f.loops[0].tasks[0].k->name, "gamma");
	f.alerts_from = 2;
	f.alerts_to = 5;
	assert_true(st_frame_dup(&g, &f));
	/* The snapshots and the frame go; the copy stands alone. */
	st_frame_free(&f);
	st_snap_free(&a);
	st_snap_free(&b);
	assert_int_equal(g.nloops, 1);
	assert_int_equal(g.loops[0].ntasks, 3);
	assert_int_equal(g.alerts_to, 5);
	assert_string_equal(g.loops[0].tasks[0].k->name, "gamma");
	assert_int_equal(g.loops[0].tasks[0].runs, 3);
	st_frame_sort_dir(&g, ST_SORT_RUNS, false);
	assert_string_equal(g.loops[0].tasks[0].k->name, "gamma");
	assert_string_equal(g.loops[0].tasks[2].k->name, "alpha");
	st_frame_free(&g);
	assert_null(g.loops);
	assert_null(g.own_keys);
}

static void test_virtual_clock(void **state)
{
	struct st_snap a = { 0 }, b = { 0 };
	struct st_frame f = { 0 };
	struct st_loop_ent *e;

	(void)state;
	/* A loop whose times are 22 000 s away from the source's clock: a
	 * virtual clock. Its "now" is its latest time, not the source's. */
	b.t = MS(30000000);
	e = st_snap_loop(&b, 0x1000, 42);
	e->v.tid = 42;
	e->v.last_time = MS(8000000);
	e->v.last_clock = MS(29999000);
	e->v.run_task = 3;
	e->v.run_begin = MS(7999950);
	e->v.prio[7].ready_since = MS(7999990);
	assert_true(st_loop_virtual(e));
	assert_int_equal(st_loop_now(e, b.t), MS(8000000));
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(5), ST_SORT_TIME));
	assert_true(f.loops[0].virtual_clock);
	assert_true(f.loops[0].busy_pct < 0);
	assert_int_equal(f.loops[0].run_for, MS(50));
	assert_int_equal(f.loops[0].prio[7].waiting, MS(10));
	assert_int_equal(f.loops[0].prio[7].starving, MS(10));
	st_frame_free(&f);
	/* Below the threshold: waiting, not starving. */
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.loops[0].prio[7].waiting, MS(10));
	assert_int_equal(f.loops[0].prio[7].starving, 0);
	st_frame_free(&f);
	/* The real clock: a few ms apart at most. */
	e->v.last_clock = MS(8000003);
	assert_false(st_loop_virtual(e));
	assert_int_equal(st_loop_now(e, MS(8000100)), MS(8000100));
	st_snap_free(&b);
}

static void test_loop_order(void **state)
{
	struct st_snap a = { 0 }, b = { 0 };
	struct st_frame f = { 0 };
	struct st_loop_ent *e;

	(void)state;
	b.t = MS(1000);
	e = st_snap_loop(&b, 0x3000, 42);
	e->v.tid = 50;
	e = st_snap_loop(&b, 0x2000, 42);
	e->v.tid = 44;
	e = st_snap_loop(&b, 0x9000, 42);
	e->v.tid = 42;
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	assert_int_equal(f.nloops, 3);
	/* The main thread's loop first, then by thread. */
	assert_int_equal(f.loops[0].tid, 42);
	assert_int_equal(f.loops[1].tid, 44);
	assert_int_equal(f.loops[2].tid, 50);
	st_frame_free(&f);
	st_snap_free(&b);
}

static void test_ongoing_alerts(void **state)
{
	struct st_run *r = calloc(1, sizeof(*r));
	struct st_snap s = { 0 };
	struct st_loop_ent *e;

	(void)state;
	assert_non_null(r);
	e = snap_loop(&s, MS(1000), 1);
	e->v.run_task = 5;
	e->v.run_begin = MS(900);
	e->v.run_prio = 2;
	snprintf(e->v.run_name, sizeof(e->v.run_name), "layout");
	e->v.prio[7].ready_since = MS(850);
	/* 100 ms running: not yet 200 ms; 150 ms starving: not yet 200. */
	st_check_ongoing(r, &s, MS(200), MS(200));
	assert_int_equal(r->alerts.total, 0);
	s.t = MS(1200);
	st_check_ongoing(r, &s, MS(200), MS(200));
	assert_int_equal(r->alerts.total, 2);
	assert_string_equal(r->alerts.ring[0].text,
			    "running long: layout (HIGH_IDLE) has run 300 ms so far");
	assert_string_equal(r->alerts.ring[1].text,
			    "starving: LOWEST ready 350 ms without a run");
	/* Once per run and per starvation. */
	s.t = MS(1500);
	st_check_ongoing(r, &s, MS(200), MS(200));
	assert_int_equal(r->alerts.total, 2);
	/* A new run, a new starvation: alerts again. */
	e->v.run_begin = MS(1250);
	e->v.prio[7].ready_since = MS(1280);
	st_check_ongoing(r, &s, MS(200), MS(200));
	assert_int_equal(r->alerts.total, 4);
	st_snap_free(&s);
	free(r);
}

static void test_alert_text(void **state)
{
	struct st_alerts *al = calloc(1, sizeof(*al));
	struct st_alert a = { .kind = ST_ALERT_LONG_TASK, .prio = 1,
			      .dur = MS(120) };

	(void)state;
	assert_non_null(al);
	snprintf(a.name, sizeof(a.name), "longjob");
	st_alert_raise(al, &a, MS(5), NULL);
	assert_string_equal(al->ring[0].text, "long task: longjob (DEFAULT) ran 120 ms");
	a.kind = ST_ALERT_STARVED;
	a.prio = 7;
	a.dur = MS(398);
	snprintf(a.name, sizeof(a.name), "lowly");
	st_alert_raise(al, &a, MS(6), "; ran meanwhile: worker 390 ms");
	assert_string_equal(al->ring[1].text,
			    "starved: LOWEST waited 398 ms until lowly ran; ran meanwhile: worker 390 ms");
	a.name[0] = '\0';
	a.kind = ST_ALERT_LONG_TASK;
	st_alert_raise(al, &a, MS(7), NULL);
	assert_string_equal(al->ring[2].text, "long task: (unnamed) (LOWEST) ran 398 ms");
	/* A task's wait names the task, not the one that ended its
	 * priority's interval. */
	a.kind = ST_ALERT_TASK_STARVED;
	a.dur = MS(657);
	snprintf(a.name, sizeof(a.name), "indexer");
	st_alert_raise(al, &a, MS(7), "; meanwhile higher priorities 654 ms");
	assert_string_equal(al->ring[3].text,
			    "starved task: indexer (LOWEST) waited 657 ms; "
			    "meanwhile higher priorities 654 ms");
	/* The ring keeps the latest. */
	for (int i = 0; i < ST_ALERTS_KEPT; i++)
		st_alert_raise(al, &a, MS(8), NULL);
	assert_int_equal(al->total, ST_ALERTS_KEPT + 4);
	assert_null(st_alert_get(al, 3));
	assert_non_null(st_alert_get(al, 4));
	assert_ptr_equal(st_alert_get(al, al->total - 1),
			 &al->ring[(al->total - 1) % ST_ALERTS_KEPT]);
	assert_null(st_alert_get(al, al->total));
	st_alerts_free(al);
	free(al);
}

/* Trace mode on the screen keeps every alert, so that a frame shown again
 * after many more still has its own. */
static void test_alert_history(void **state)
{
	struct st_alerts *al = calloc(1, sizeof(*al));
	struct st_alert a = { .kind = ST_ALERT_LONG_TASK, .prio = 1 };

	(void)state;
	assert_non_null(al);
	al->keep_all = true;
	for (int i = 0; i < 3 * ST_ALERTS_KEPT; i++) {
		a.dur = MS(i + 1);
		st_alert_raise(al, &a, MS(i), NULL);
	}
	assert_int_equal(al->total, 3 * ST_ALERTS_KEPT);
	for (uint64_t i = 0; i < al->total; i += 97) {
		const struct st_alert_ent *e = st_alert_get(al, i);

		assert_non_null(e);
		assert_int_equal(e->when, MS(i));
		assert_int_equal(e->a.dur, MS(i + 1));
	}
	assert_null(st_alert_get(al, al->total));
	st_alerts_free(al);
	assert_false(al->keep_all);
	free(al);
}

static void test_output(void **state)
{
	struct st_snap a = { 0 }, b = { 0 };
	struct st_alerts *al = calloc(1, sizeof(*al));
	struct st_view v = { .mode = "trace", .pid = 42 };
	struct st_frame f = { 0 };
	struct st_alert alert = { .kind = ST_ALERT_STARVED, .prio = 7,
				  .dur = MS(150) };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int depth = 0;

	(void)state;
	assert_non_null(al);
	snprintf(v.comm, sizeof(v.comm), "we\"ird\\name");
	snap_loop(&a, MS(1000), 1);
	snap_loop(&b, MS(2000), 2)->v.runs = 4;
	snap_task(&b, "tab\there", 3)->runs = 4;
	snprintf(alert.name, sizeof(alert.name), "x");
	st_alert_raise(al, &alert, MS(1500), NULL);
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	f.seq = 1;
	f.trace_start = MS(500);
	f.alerts_from = 0;
	f.alerts_to = 1;

	out = open_memstream(&buf, &len);
	st_print_json(out, &f, al, &v);
	fclose(out);
	assert_true(len > 2 && buf[len - 1] == '\n');
	assert_non_null(strstr(buf, "{\"schedtop\":1,\"mode\":\"trace\""));
	assert_non_null(strstr(buf, "\"trace_s\":1.500000"));
	assert_non_null(strstr(buf, "\"comm\":\"we\\\"ird\\\\name\""));
	assert_non_null(strstr(buf, "\"name\":\"tab\\there\""));
	assert_non_null(strstr(buf, "\"kind\":\"starved\""));
	assert_non_null(strstr(buf, "\"cpu_pct\":null"));
	/* Balanced, outside strings. */
	for (size_t i = 0, in = 0; i < len; i++) {
		if (buf[i] == '\\' && in) {
			i++;
			continue;
		}
		if (buf[i] == '"')
			in = !in;
		else if (!in && (buf[i] == '{' || buf[i] == '['))
			depth++;
		else if (!in && (buf[i] == '}' || buf[i] == ']'))
			depth--;
		assert_true(depth >= 0);
	}
	assert_int_equal(depth, 0);
	free(buf);

	buf = NULL;
	out = open_memstream(&buf, &len);
	st_print_text(out, &f, al, &v);
	fclose(out);
	assert_null(strchr(buf, '\033'));
	assert_non_null(strstr(buf, "schedtop trace - t=1.500s  pid 42"));
	assert_non_null(strstr(buf, "ALERTS (1 in this frame, 1 in all)"));
	assert_non_null(strstr(buf, "t=1.000s  starved: LOWEST waited 150 ms until x ran"));
	free(buf);

	/* More alerts in a frame than the ring keeps, and a name cut in
	 * the middle of a UTF-8 character: still valid JSON. */
	memset(alert.name, 0, sizeof(alert.name));
	memset(alert.name, 'a', ST_NAME_LEN - 2);
	alert.name[ST_NAME_LEN - 2] = (char)0xc3; /* first byte of an e-acute */
	for (int i = 0; i < ST_ALERTS_KEPT + 10; i++)
		st_alert_raise(al, &alert, MS(1600), NULL);
	f.alerts_from = 1;
	f.alerts_to = al->total;
	buf = NULL;
	out = open_memstream(&buf, &len);
	st_print_json(out, &f, al, &v);
	fclose(out);
	assert_null(strstr(buf, "[,"));
	assert_null(strstr(buf, ",,"));
	assert_non_null(strstr(buf, "\"alerts_dropped\":10}"));
	assert_non_null(strstr(buf, "aaa\\ufffd\""));
	free(buf);
	st_frame_free(&f);
	st_snap_free(&a);
	st_snap_free(&b);
	free(al);
}

/* What a run waited behind: the time per task summed over the whole wait,
 * the three largest; the culprit (layout, 700 us) is met last walking back,
 * after three other names (the old code kept the first three met). */
static void test_waited_behind_longest(void **state)
{
	struct an_task lay = { .name = "layout" }, sp = { .name = "spell" },
		       bl = { .name = "blink" }, rp = { .name = "repaint" },
		       ix = { .name = "indexer" };
	struct an_run runs[] = {
		{ .task = &bl, .begin = 0, .end = 50 },       /* before the wait */
		{ .task = &lay, .begin = 50, .end = 750 },    /* 700 from 100 */
		{ .task = &sp, .begin = 750, .end = 800 },
		{ .task = &bl, .begin = 800, .end = 810 },
		{ .task = &rp, .begin = 810, .end = 890 },
		{ .task = &sp, .begin = 890, .end = 930 },    /* spell 50 + 40 */
		{ .task = NULL, .begin = 930, .end = 935 },   /* posted work */
		{ .task = &ix, .ready_at = 100, .begin = 1000, .end = 1100 },
	};
	char buf[256];

	(void)state;
	assert_int_equal(st_waited_behind(runs, 7, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "layout 650 ns, spell 90 ns, repaint 80 ns");
	/* Unknown or no wait: nothing. */
	runs[7].ready_at = -1;
	assert_int_equal(st_waited_behind(runs, 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	runs[7].ready_at = 1000;
	assert_int_equal(st_waited_behind(runs, 7, buf, sizeof(buf)), 0);
	/* Fewer than three names. */
	runs[7].ready_at = 920;
	assert_int_equal(st_waited_behind(runs, 7, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "spell 10 ns, (posted work) 5 ns");
}

/* The text output's "in all" counts the alerts up to the frame shown, not
 * those the next frame (already taken, not yet shown) raised. */
static void test_alerts_in_all(void **state)
{
	struct st_snap a = { 0 }, b = { 0 };
	struct st_alerts *al = calloc(1, sizeof(*al));
	struct st_view v = { .mode = "trace", .pid = -1 };
	struct st_frame f = { 0 };
	struct st_alert alert = { .kind = ST_ALERT_LONG_TASK, .prio = 3,
				  .dur = MS(80) };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_non_null(al);
	snap_loop(&a, MS(1000), 1);
	snap_loop(&b, MS(2000), 2);
	snprintf(alert.name, sizeof(alert.name), "x");
	for (int i = 0; i < 16; i++)
		st_alert_raise(al, &alert, MS(1000 + 10 * i), NULL);
	assert_true(st_frame_build(&f, &a, &b, -1, 1.0, MS(100), ST_SORT_TIME));
	f.alerts_from = 0;
	f.alerts_to = 10;   /* alerts 10..15 belong to the next frame */
	out = open_memstream(&buf, &len);
	st_print_text(out, &f, al, &v);
	fclose(out);
	assert_non_null(strstr(buf, "ALERTS (10 in this frame, 10 in all)"));
	free(buf);
	f.alerts_from = 10;
	f.alerts_to = 16;
	buf = NULL;
	out = open_memstream(&buf, &len);
	st_print_text(out, &f, al, &v);
	fclose(out);
	assert_non_null(strstr(buf, "ALERTS (6 in this frame, 16 in all)"));
	free(buf);
	st_frame_free(&f);
	st_snap_free(&a);
	st_snap_free(&b);
	st_alerts_free(al);
	free(al);
}

static void test_names(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(st_sort_lookup("wait"), ST_SORT_WAIT);
	assert_int_equal(st_sort_lookup("bogus"), -1);
	assert_string_equal(st_sort_name(ST_SORT_OVERRUNS), "overruns");
	assert_string_equal(st_prio_name(6), "DEFAULT_IDLE");
	assert_string_equal(st_prio_name(8), "?");
	assert_string_equal(st_kind_name(3), "auto-timer");
	assert_string_equal(st_kind_name(-1), "?");
	assert_string_equal(st_fmt_ns(999, buf, sizeof(buf)), "999 ns");
	assert_string_equal(st_fmt_ns(US(12), buf, sizeof(buf)), "12 us");
	assert_string_equal(st_fmt_ns(MS(1500), buf, sizeof(buf)), "1.5 s");
	assert_string_equal(st_fmt_ns(-1, buf, sizeof(buf)), "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_hist_percentiles),
		cmocka_unit_test(test_starvation),
		cmocka_unit_test(test_end_figures),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_frame_dup_reverse),
		cmocka_unit_test(test_virtual_clock),
		cmocka_unit_test(test_loop_order),
		cmocka_unit_test(test_ongoing_alerts),
		cmocka_unit_test(test_alert_text),
		cmocka_unit_test(test_alert_history),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_waited_behind_longest),
		cmocka_unit_test(test_alerts_in_all),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
