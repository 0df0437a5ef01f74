/*
 * schedtop's model: what its BPF programs aggregate in their maps and what
 * its trace source aggregates from a recorded trace, in the same layout
 * and by the same functions, so that the two sources fill one model and
 * the screens cannot tell them apart.
 *
 * Included by BPF C (tools/schedtop/schedtop.bpf.c: no libc) and by the
 * tool's C, so only fixed-size types and static inline arithmetic here.
 *
 * Every figure is cumulative since the source started, except the maxima,
 * which are kept per epoch (struct st_maxes): the reader moves the epoch
 * on at each frame, then reads; a frame's maxima are those of its epoch
 * and of the runs that ended between the move and the read, which the
 * frame counts (st_maxes_get()).
 */
#ifndef SCHEDTOP_MODEL_H
#define SCHEDTOP_MODEL_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u64 st_u64;
typedef __s64 st_s64;
typedef __u32 st_u32;
typedef __s32 st_s32;
#else
#include <stdint.h>
typedef uint64_t st_u64;
typedef int64_t st_s64;
typedef uint32_t st_u32;
typedef int32_t st_s32;
#endif

#define ST_PRIOS 8
/* Room for a task name, NUL included; longer names are cut. */
#define ST_NAME_LEN 48

/*
 * Durations are counted in a histogram with 4 buckets per power of two:
 * values 0..3 ns have a bucket each; from 4 ns on, bucket 4*(m-1)+s holds
 * the values whose highest set bit is m and whose next two bits are s. A
 * bucket's width is at most a quarter of its lower bound, so a percentile
 * read off it is at most 25% above the truth. The last bucket also holds
 * everything from about 1100 s on.
 */
#define ST_HIST_BUCKETS 160

/* The bucket of a duration (negative counts as 0). */
static inline st_u32 st_bucket(st_s64 v)
{
	st_u64 x, m = 0;
	st_u32 b;

	if (v < 4)
		return v < 0 ? 0 : (st_u32)v;
	x = (st_u64)v;
	if (x >> 32) { x >>= 32; m += 32; }
	if (x >> 16) { x >>= 16; m += 16; }
	if (x >> 8) { x >>= 8; m += 8; }
	if (x >> 4) { x >>= 4; m += 4; }
	if (x >> 2) { x >>= 2; m += 2; }
	if (x >> 1) { m += 1; }
	b = (st_u32)(4 * (m - 1) + (((st_u64)v >> (m - 2)) & 3));
	return b < ST_HIST_BUCKETS ? b : ST_HIST_BUCKETS - 1;
}

/* The smallest value of a bucket, and the first value past it. */
static inline st_s64 st_bucket_low(st_u32 b)
{
	if (b < 4)
		return b;
	return (st_s64)(4 + (b & 3)) << (b / 4 - 1);
}

static inline st_s64 st_bucket_high(st_u32 b)
{
	if (b < 4)
		return b + 1;
	return (st_s64)(5 + (b & 3)) << (b / 4 - 1);
}

/*
 * Maxima per epoch, in two slots: epoch e writes slot e & 1, which starts
 * from zero when it last held another epoch. Slot e & 1 thus keeps epoch
 * e's maxima while epoch e + 1 fills the other one, so the reader, having
 * moved the epoch from e to e + 1, reads epoch e's whole and the start of
 * e + 1's, whatever the order in which runs and reads interleave.
 */
struct st_maxes {
	st_u64 epoch[2];
	st_s64 run[2];
	st_s64 wait[2];
};

static inline void st_maxes_add(struct st_maxes *m, st_u64 epoch,
				st_s64 run, st_s64 wait)
{
	st_u32 s = (st_u32)(epoch & 1);

	if (m->epoch[s] != epoch) {
		m->epoch[s] = epoch;
		m->run[s] = 0;
		m->wait[s] = 0;
	}
	if (run > m->run[s])
		m->run[s] = run;
	if (wait > m->wait[s])
		m->wait[s] = wait;
}

/* The maxima of epoch e and of those epoch e + 1 already holds. */
static inline void st_maxes_get(const struct st_maxes *m, st_u64 e,
				st_s64 *run, st_s64 *wait)
{
	*run = 0;
	*wait = 0;
	for (st_u32 s = 0; s < 2; s++) {
		if (m->epoch[s] != e && m->epoch[s] != e + 1)
			continue;
		/* Slot of an epoch never written is all zero: harmless. */
		if (m->run[s] > *run)
			*run = m->run[s];
		if (m->wait[s] > *wait)
			*wait = m->wait[s];
	}
}

/* A priority of a loop. */
struct st_prio_stat {
	st_u64 runs;
	st_s64 wait_sum;
	st_s64 run_sum;
	struct st_maxes max;    /* of wait and run time */
	st_s64 last_end;        /* its latest run ended; 0 if none */
	st_s64 ready_since;     /* seen ready (ready_mask) and not run since; 0: not */
	st_u64 queued;          /* tasks still ready when it last ran */
	st_u64 starves;         /* starvation intervals, ended by a run */
	st_s64 starved_sum;
	st_u64 wait_hist[ST_HIST_BUCKETS];
	st_u64 run_hist[ST_HIST_BUCKETS];
};

/* A task as people name it: per loop, name and kind (a post made at a
 * priority is a new task each time). */
struct st_task_key {
	st_u64 loop;
	st_s32 kind;
	st_u32 pid;             /* the process (a trace may hold several) */
	char name[ST_NAME_LEN];
};

struct st_task_stat {
	st_s32 prio;            /* the latest */
	st_u32 pad;
	st_u64 runs;
	st_s64 run_sum;
	st_s64 wait_sum;
	struct st_maxes max;    /* of run and wait time */
	st_u64 checks, yields, overruns;
	st_u64 long_runs;
	st_u64 wait_hist[ST_HIST_BUCKETS];
	st_u64 run_hist[ST_HIST_BUCKETS];
};

/* A loop: the "loops" map, keyed by the lsched_loop's address. */
struct st_loop {
	st_u32 tid;             /* the thread that runs its tasks */
	st_s32 ready_mask;      /* as the latest task_fire_begin said */
	st_u64 runs;
	st_u64 posts;           /* perform_enqueue: posts accepted */
	st_u64 sleeps;
	st_s64 run_sum;         /* time spent in task runs */
	st_s64 first;           /* the first time seen (loop clock) */
	/* The latest loop time seen (a run's begin or end, a sleep), and the
	 * source's own clock then (CLOCK_MONOTONIC live, the trace's clock):
	 * a loop on a virtual clock shows as the two far apart. */
	st_s64 last_time;
	st_s64 last_clock;
	/* The run in progress, if any (run_task != 0). */
	st_u64 run_task;
	st_s64 run_begin;
	st_s32 run_prio;
	st_u32 pad;
	char run_name[ST_NAME_LEN];
	struct st_prio_stat prio[ST_PRIOS];
};

/* A run between its task_fire_begin and task_fire_end: the "open" map,
 * keyed by loop and task id. */
struct st_open_key {
	st_u64 loop;
	st_u64 task;
};

struct st_open {
	st_s32 kind;
	st_u32 pad;
	char name[ST_NAME_LEN];
};

/* What went missing: the "lost" counters. */
struct st_lost {
	st_u64 ringbuf;         /* alerts the ring buffer had no room for */
	st_u64 map_full;        /* a task or loop the maps had no room for */
	st_u64 unmatched;       /* a run's end without its begin */
	st_u64 bad_args;        /* a probe whose arguments could not be read */
};

enum st_alert_kind {
	ST_ALERT_LONG_TASK = 1, /* a run took at least the long-task threshold */
	ST_ALERT_STARVED = 2,   /* a priority waited at least the threshold */
	ST_ALERT_LOST = 3,      /* events were lost (the tool's own alert) */
	ST_ALERT_RUNNING = 4,   /* a run still going past the threshold */
	ST_ALERT_STARVING = 5,  /* a priority still starving past it */
	ST_ALERT_TASK_STARVED = 6, /* a task waited at least the threshold */
	/* A flight-recorder save's trigger (trace mode, from the save's
	 * marker: tools/common/flightmark.h); never from the BPF side. */
	ST_ALERT_FLIGHT = 7,
};

/* An alert, through the "alerts" ring buffer. */
struct st_alert {
	st_u32 kind;
	st_s32 prio;
	st_u64 loop;
	st_u64 task;
	st_s64 start;           /* the run's begin, or the starvation's start */
	st_s64 dur;
	st_u32 tid;
	st_u32 pad;
	char name[ST_NAME_LEN]; /* the task that ran long, or that ended it;
				 * TASK_STARVED: the task that waited */
};

/* ---- the aggregation, shared by the BPF programs and the trace source ---- */

/*
 * A task run begins (task_fire_begin). Returns the start of the starvation
 * this run ends (its priority had a ready task and none of its tasks ran
 * since then, for at least starve_ns), or 0 if it ends none.
 */
static inline st_s64 st_begin(struct st_loop *l, st_u64 task, st_s32 prio,
			      st_s64 ready_at, st_s64 begin, st_u64 queued,
			      st_s32 mask, st_u32 tid, st_s64 starve_ns,
			      st_s64 clock)
{
	st_s64 start = 0, since;
	struct st_prio_stat *p;
	st_u32 q;

	l->tid = tid;
	l->last_time = begin;
	l->last_clock = clock;
	l->ready_mask = mask;
	if (!l->first)
		l->first = begin;
	l->run_task = task;
	l->run_begin = begin;
	l->run_prio = prio;
	/* Priorities waiting while this one runs: ready since this instant
	 * at the latest. */
	for (q = 0; q < ST_PRIOS; q++) {
		p = &l->prio[q];
		if (q == (st_u32)prio)
			continue;
		if (!(mask & (1 << q)))
			p->ready_since = 0;
		else if (!p->ready_since)
			p->ready_since = begin;
	}
	if (prio < 0 || prio >= ST_PRIOS)
		return 0;
	p = &l->prio[prio & (ST_PRIOS - 1)];
	since = ready_at;
	if (p->ready_since && p->ready_since < since)
		since = p->ready_since;
	if (since < p->last_end)
		since = p->last_end;
	if (since && begin - since >= starve_ns) {
		start = since;
		p->starves++;
		p->starved_sum += begin - since;
	}
	/* Served: it waits again only if a later run finds it ready. */
	p->ready_since = 0;
	p->queued = queued;
	return start;
}

/*
 * The run ends (task_fire_end); t is its task's entry. Returns nonzero if
 * the run took at least long_ns.
 */
static inline int st_end(struct st_loop *l, struct st_task_stat *t,
			 st_s32 prio, st_s64 ready_at, st_s64 begin,
			 st_s64 end, st_u64 checks, st_u64 yields,
			 st_u64 overruns, st_u64 epoch, st_s64 long_ns,
			 st_s64 clock)
{
	st_s64 run = end - begin, wait = begin - ready_at;
	struct st_prio_stat *p;

	l->last_time = end;
	l->last_clock = clock;

	if (run < 0)
		run = 0;
	if (wait < 0)
		wait = 0;
	l->runs++;
	l->run_sum += run;
	l->run_task = 0;
	if (prio >= 0 && prio < ST_PRIOS) {
		p = &l->prio[prio & (ST_PRIOS - 1)];
		p->runs++;
		p->wait_sum += wait;
		p->run_sum += run;
		st_maxes_add(&p->max, epoch, run, wait);
		p->wait_hist[st_bucket(wait)]++;
		p->run_hist[st_bucket(run)]++;
		p->last_end = end;
	}
	t->prio = prio;
	t->runs++;
	t->run_sum += run;
	t->wait_sum += wait;
	st_maxes_add(&t->max, epoch, run, wait);
	t->wait_hist[st_bucket(wait)]++;
	t->run_hist[st_bucket(run)]++;
	t->checks += checks;
	t->yields += yields;
	t->overruns += overruns;
	if (run >= long_ns) {
		t->long_runs++;
		return 1;
	}
	return 0;
}

/* The loop is about to block (loop_sleep): nothing is ready, and nothing
 * runs (a run whose end was not seen is over). */
static inline void st_sleep(struct st_loop *l, st_s64 now, st_s64 clock)
{
	st_u32 q;

	l->sleeps++;
	l->run_task = 0;
	l->last_time = now;
	l->last_clock = clock;
	l->ready_mask = 0;
	for (q = 0; q < ST_PRIOS; q++)
		l->prio[q].ready_since = 0;
}

#endif /* SCHEDTOP_MODEL_H */
