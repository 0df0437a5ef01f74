/*
 * analysis: the one analysis core of the libsched tools. schedprof reports
 * it, schedtop shows it live, schedreplay compares an original with its
 * replay through it. It is fed libsched events (struct tr_event, from a
 * recorded trace through trace_read, or filled by a live source) in time
 * order, and computes, per loop of each process:
 *
 *   - per priority: tasks fired; wait latency (ready to run) as a
 *     distribution (exact percentiles, log2 histogram); ready-queue depth
 *     over time; starvation intervals (the priority had a ready task and
 *     none of its tasks ran for at least the starve threshold), each with
 *     its blame: the tasks that ran meanwhile, ranked by time;
 *   - per task: runs, run time and wait distributions, stopwatch checks,
 *     yields and overruns, runs longer than the long-task threshold and
 *     those with no stopwatch check ("never yields");
 *   - per performer: posts, wake-ups written (coalescing), waiting posts,
 *     queue delay and run time distributions, the largest backlog;
 *   - the runs themselves (task, priority, begin, end), for timelines;
 *   - per task wait of at least the starve threshold: what ran meanwhile,
 *     grouped (an_task_starve);
 *
 * and, once finished, a ranked list of findings with severity, culprit and
 * evidence.
 *
 * All times are the events' payload times: ns on each loop's clock (see
 * docs/tracepoints.md), so a replay on a virtual clock is analysed alike.
 *
 * Ownership: an analysis owns everything it returns; pointers stay valid
 * until an_free(). Threads: one thread at a time per analysis.
 */
#ifndef TOOLS_ANALYSIS_H
#define TOOLS_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_read.h"

#define AN_PRIOS 8
#define AN_BLAME_MAX 5
#define AN_EVIDENCE_LEN 512

/* The thresholds are in (0, AN_THRESHOLD_MAX] ns (1e9 ms, what the tools'
 * options accept); event times may be anything. */
#define AN_THRESHOLD_MAX INT64_C(1000000000000000)

struct an_config {
	int64_t long_task_ns; /* a run at least this long is long (50 ms) */
	int64_t starve_ns;    /* starvation threshold (100 ms) */
	int64_t pid;          /* only this process's events; -1: all */
	/* A run blocks the loop when its thread slept in it for at least
	 * this long, and for more than half of the run (5 ms). */
	int64_t block_ns;
	/* an_from_traces() and wl_from_traces(): read the traces of several
	 * recordings together (the tools' --merge); without it they are
	 * refused (trace_read.h, tr_reader_allow_merge()). */
	bool merge;
	/* With merge: the tool's name, to say on stderr which recordings
	 * were merged (tr_reader_print_merged()); NULL says nothing (a
	 * second reading of the same traces). */
	const char *merge_prog;
};

/* The defaults: VCL's 50 ms slice; 100 ms of starvation; no merging. */
void an_config_default(struct an_config *cfg);

/* A distribution of durations (ns): count, sum, min, max, a log2 histogram
 * (bucket i counts values in [2^i, 2^(i+1)) ns; bucket 0 also counts 0 and
 * negative values) and every sample, for exact percentiles. */
struct an_dist {
	uint64_t count;
	int64_t sum, min, max;
	uint64_t log2[64];
	int64_t *samples;
	size_t nsamples, cap;
	bool sorted;
};

/* The p-th percentile (0 < p <= 100), nearest rank; 0 for no sample. */
int64_t an_pct(struct an_dist *d, double p);
/* The mean, 0 for no sample. */
int64_t an_mean(const struct an_dist *d);

/*
 * Where a task's run time went, from the loop thread's CPU time that
 * traced runs carry (task_fire_end.cpu, slice.cpu_elapsed; traces
 * recorded before those fields, and runs on a virtual clock, have none: a
 * value of 0 or less is taken as not measured).
 * Off the CPU is the run time minus the CPU time: the thread slept in the
 * run (blocked: a read, a lock, a sleep), or was preempted.
 */
struct an_cpu_use {
	uint64_t runs;          /* runs with their CPU time known */
	int64_t cpu;            /* their CPU time */
	int64_t wall;           /* their run time */
	/* Runs that blocked the loop: slept for at least block_ns, and for
	 * more than half of the run. */
	uint64_t blocked_runs;
	int64_t blocked_ns;     /* their time off the CPU */
	int64_t block_max;      /* the most time off the CPU of one of them */
	int64_t block_max_run;  /* that run's time, CPU time and begin */
	int64_t block_max_cpu;
	int64_t block_max_begin;
	/* Runs off the CPU without sleeping: preempted (or the VM paused). */
	uint64_t preempted_runs;
	int64_t preempted_ns;
	/* Runs of at least long_task_ns with less CPU time than that: long
	 * only for the time off the CPU. */
	uint64_t long_off_cpu_runs;
	/* Stopwatch checks that found the slice exceeded, with the CPU time
	 * since the stopwatch's start known: within the slice (the thread
	 * was descheduled), or beyond it (the work itself overran). */
	uint64_t overruns_off_cpu, overruns_on_cpu;
	int64_t worst_off_elapsed, worst_off_cpu; /* of an off-CPU overrun */
};

struct an_task;

/* A task's share of a starvation interval. */
struct an_blame {
	const struct an_task *task; /* NULL: first-class performer work */
	int64_t ran_ns;             /* its run time inside the interval */
	uint64_t runs;
};

struct an_starve {
	int prio;
	int64_t start, end; /* loop time */
	bool open_at_end;   /* still starving when the trace ended */
	unsigned nblame;
	struct an_blame blame[AN_BLAME_MAX]; /* longest first */
};

/* A point of a ready-queue depth series: from t on, depth tasks ready. */
struct an_depth {
	int64_t t;
	uint32_t depth;
};

struct an_prio {
	uint64_t fired;
	struct an_dist wait;
	struct an_depth *depth; /* a point at every change */
	size_t ndepth, capdepth;
	uint32_t cur_depth, max_depth;
	struct an_starve *starves; /* in time order */
	size_t nstarves, capstarves;
	int64_t starved_ns;        /* sum of the intervals */
	int64_t longest_starve_ns;
};

/*
 * A task as people name it: every task of one name and kind is one entry
 * (a post made at a priority is a new task each time, and a program may
 * make many tasks of one name). Its figures cover all of them.
 */
struct an_task {
	uint64_t id;          /* the first task id seen with this name */
	uint64_t instances;   /* task ids seen with this name and kind */
	char *name;
	int prio;             /* the latest */
	int kind;             /* enum lsched_task_kind, -1 if unknown */
	uint64_t runs;
	struct an_dist run;   /* run time per run */
	struct an_dist wait;  /* wait latency per run */
	int64_t run_total;
	uint64_t checks, yields, overruns;
	uint64_t overrun_runs; /* runs with at least one overrun */
	uint64_t long_runs;    /* runs >= long_task_ns */
	uint64_t never_yield;  /* of them, with no stopwatch check */
	int64_t max_run_begin; /* when its longest run began */
	uint64_t stops;        /* task_stop events */
	int64_t max_wait;      /* its maximum wait, the latest seen; 0: none */
	/* Its waits of at least the starve threshold (an_task_starve). */
	uint64_t starves;
	int64_t longest_starve_ns;
	struct an_cpu_use cpu; /* CPU against run time, where traced */
	struct an_task *hnext; /* private */
	size_t acc_slot;       /* private: its slot in a wait's blame, */
	uint64_t acc_gen;      /* valid while this is the loop's acc_gen */
};

/* The state of one task id (private). */
struct an_tstate {
	uint64_t id;
	struct an_task *task;
	int state;             /* enum lsched_tp_state */
	int ready_prio;
	int64_t ready_at;      /* kept across restarts while ready */
	bool restarted;        /* restarted while ready since ready_at */
	struct an_tstate *hnext;
};

/* One run, for timelines: a task's (task != NULL) or first-class
 * performer work's. */
struct an_run {
	const struct an_task *task;
	uint64_t task_id;     /* this run's task id; 0 for performer work */
	int prio;             /* -1 for performer work */
	int64_t ready_at;     /* ready (or posted); -1 if unknown */
	int64_t begin, end;
	bool forced;          /* picked because its max wait ran out */
};

/*
 * A task's wait of at least the starve threshold, with what ran while it
 * waited, in four groups: higher priorities; its own priority (and of
 * those runs, the ones its max wait forced ahead); lower priorities (only
 * their max wait can run them ahead of a ready task); posted work (first-
 * class performer work, run outside any task). A wait runs from the time
 * the task became ready (or fell due) to the begin of its run; a restart
 * while it was ready neither ends nor restarts it.
 */
enum an_tgroup {
	AN_TG_HIGHER = 0,
	AN_TG_OWN = 1,
	AN_TG_LOWER = 2,
	AN_TG_POSTED = 3,
	AN_TG_N
};

/* One culprit of a task's wait. */
struct an_tblame {
	const struct an_task *task; /* NULL: first-class performer work */
	int prio;                   /* -1 for performer work */
	int64_t ran_ns;             /* its run time inside the wait */
	uint64_t runs;
	uint64_t forced_runs;       /* of them, forced by their max wait */
};

struct an_task_starve {
	const struct an_task *task; /* the victim */
	uint64_t task_id;
	int prio;                   /* the victim's, while it waited */
	int64_t start, end;         /* loop time */
	bool open_at_end;           /* still waiting when the trace ended */
	bool restarted;             /* restarted while it waited */
	/* The run under way when the wait began (a task's, not performer
	 * work), and how much of it was left: no maximum wait or priority
	 * of the victim's can cut it short. NULL if none. */
	const struct an_task *under_way;
	int64_t under_way_ns;
	/* The run going on when the task's maximum wait fell due (if it has
	 * one and the wait went past it), and how much of it was left. */
	const struct an_task *due_run;
	int64_t due_run_ns;
	int64_t group_ns[AN_TG_N];  /* run time of each group in the wait */
	uint64_t group_runs[AN_TG_N];
	int64_t forced_ns[AN_TG_N]; /* of it, runs forced by a max wait */
	uint64_t forced_runs[AN_TG_N];
	unsigned nblame;
	struct an_tblame blame[AN_BLAME_MAX]; /* longest first */
};

/* The group a run at run_prio (-1: performer work) falls in for a victim
 * at prio. */
enum an_tgroup an_tgroup_of(int prio, int run_prio);
/* "higher priorities", "its own priority", "lower priorities",
 * "posted work". */
const char *an_tgroup_name(enum an_tgroup g);

struct an_performer {
	uint64_t addr;
	uint64_t posts, wakes, waits, fired;
	uint64_t signalled;     /* posts that started a batch */
	struct an_dist delay;   /* queue delay */
	struct an_dist run;     /* run time of the work */
	uint64_t backlog, max_backlog;
	int64_t max_backlog_at;
};

struct an_loop {
	int64_t vpid;           /* -1 if unknown */
	char *procname;         /* NULL if unknown */
	unsigned trace;         /* trace index, when vpid is unknown */
	uint64_t addr;          /* the lsched_loop */
	/* Who the loop is for people (an_loop_label()): the thread that runs
	 * it (the vtid and procname contexts of the events only that thread
	 * emits; -1 and NULL when unknown) and its lsched_loop_set_name()
	 * name (the loop_name event; NULL for none). */
	int64_t tid;
	char *thread;
	char *name;
	int64_t first, last;    /* loop time span seen */
	struct an_prio prio[AN_PRIOS];
	struct an_task **tasks; /* every task seen, in order of appearance */
	size_t ntasks, captasks;
	struct an_performer **perfs;
	size_t nperfs, capperfs;
	struct an_run *runs;    /* in begin order */
	size_t nruns, capruns;
	struct an_task_starve *tstarves; /* by end (start at an_finish()) */
	size_t ntstarves, captstarves;
	uint64_t sleeps;
	int64_t slept_ns;
	uint64_t commands, builds, builds_forced;
	uint64_t slices;
	uint64_t posted_runs;   /* first-class performer work run (an_counts) */
	/* Private. */
	struct an_tstate **ids;   /* by task id */
	size_t nids, idsize;
	struct an_task **names;   /* by name and kind */
	size_t namesize;
	int64_t wait_since[AN_PRIOS]; /* -1: not waiting */
	struct an_blame *acc[AN_PRIOS];
	size_t nacc[AN_PRIOS], capacc[AN_PRIOS];
	struct an_tstate *running;
	int running_prio;
	int64_t running_ready_at;  /* the wait the running task ended */
	bool running_forced;
	struct an_tblame *tacc;    /* scratch for a task's blame */
	size_t captacc;
	uint64_t acc_gen;          /* one per blame summed (an_task.acc_slot) */
	/* The sums of the last wait's runs that ended inside it, to go on
	 * from for the next wait of the same start and priority (tasks
	 * ready together, run one after the other). */
	bool wc_valid;
	int wc_prio;
	int64_t wc_start;
	size_t wc_next, wc_n;      /* the next run to add; culprits in tacc */
	struct an_task_starve wc;  /* group sums only */
	const struct an_task *last_task; /* the last run that ended */
	int64_t last_begin, last_end;
};

enum an_severity { AN_INFO = 0, AN_WARNING = 1, AN_ERROR = 2 };

enum an_kind {
	AN_STARVING,     /* a priority starves */
	AN_STARVING_TASK, /* a task waits at least the threshold: blamed */
	AN_LONG_TASK,    /* a task runs too long */
	AN_NEVER_YIELDS, /* ... without any stopwatch check */
	AN_OVERRUN,      /* a task overruns its slice */
	AN_BUSY_IDLE,    /* a repeating idle busy-loops */
	AN_BACKLOG,      /* performer work waits long */
	AN_LOST,         /* the tracer lost events */
	AN_BLOCKS_LOOP,  /* a task sleeps inside its run: the loop waits */
};

struct an_finding {
	enum an_severity severity;
	enum an_kind kind;
	const struct an_loop *loop; /* NULL for the whole trace */
	char culprit[96];           /* the task, priority or performer */
	char evidence[AN_EVIDENCE_LEN]; /* one line, numbers included */
	double score;               /* ranks findings of one severity */
};

struct an_result {
	struct an_config cfg;
	struct an_loop **loops;
	size_t nloops;
	struct an_finding *findings; /* ranked: most severe, then score */
	size_t nfindings;
	uint64_t events;
	uint64_t discarded_events; /* reported by the tracer */
	uint64_t discard_reports;  /* discard messages, count known or not */
	bool complete;             /* no discard reported */
};

struct an;

/* A new analysis (cfg NULL: defaults). NULL when out of memory. */
struct an *an_new(const struct an_config *cfg);

/* Feeds one event; events must come in time order per loop. Returns 0, or
 * -ENOMEM (the analysis can then only be freed). Unusual sequences (an end
 * without a begin, unknown priorities, times going backwards) are counted
 * as anomalies and never crash it; times beyond +-2^61 ns (73 years) are
 * taken as +-2^61, so that no difference of times overflows (a deadline
 * saturated at INT64_MAX stays the far future), and sums of durations
 * saturate. tests/fuzz/fuzz_analysis.c holds it to this. */
int an_feed(struct an *a, const struct tr_event *ev);

/* Notes that the tracer lost data. */
void an_discard(struct an *a, const struct tr_discard *d);

/* Closes what is open (intervals still starving) and computes the
 * findings. Call once, after the last event. The result belongs to a. */
const struct an_result *an_finish(struct an *a);

/* The result so far, while events are still being fed: loops, tasks,
 * distributions, depths and the starvation intervals already closed (a
 * priority still waiting has loop->wait_since[prio] >= 0, the start of its
 * wait). No findings until an_finish(). For live views (schedtop). */
const struct an_result *an_current(const struct an *a);

/* Anomalies seen in the event sequence (0 for a sound trace). */
uint64_t an_anomalies(const struct an *a);

void an_free(struct an *a);

/* What ran while a task waited, grouped, its top culprits and the advice
 * that follows from them, as one line (the evidence of its starving-task
 * finding, after "meanwhile "); truncated to len. */
void an_task_starve_text(const struct an_task_starve *s, char *buf,
			 size_t len);

/*
 * The counts of a loop, defined once for every output of every tool, which
 * shows them under these labels:
 *   "task runs": runs of tasks (each task_fire_begin: a run still going at
 *     the end of the trace counts); the sum of the priorities' "fired";
 *   "tasks": task entries (one name and kind, an_task) with at least one
 *     run;
 *   "posted-work runs": first-class Performer work (lsched_perform()), run
 *     outside any task; work drained inside a task's run is part of that
 *     run, and a post made at a priority runs as a task.
 * A timeline (an_loop.runs) holds the completed task runs and the posted-
 * work runs.
 */
struct an_counts {
	uint64_t task_runs, tasks, posted_runs;
};

void an_loop_counts(const struct an_loop *l, struct an_counts *c);
/* "805 task runs of 11 tasks, 101 posted-work runs" (the last part only
 * when there are some). */
const char *an_counts_text(const struct an_counts *c, char *buf, size_t len);

/* The task entry of task id in l (the one its events named), or NULL if
 * l never saw that id. */
const struct an_task *an_loop_task(const struct an_loop *l, uint64_t id);

/* Names for output. */
const char *an_prio_name(int prio);      /* "HIGHEST"..., "?" */
const char *an_severity_name(enum an_severity s); /* "info", ... */
const char *an_kind_name(enum an_kind k); /* "starving-priority", ... */
/*
 * A loop for humans, the same in every tool: its name and its thread,
 * 'loop "storage" (thread storage, tid 4242)', 'loop of thread officesim
 * (tid 4241)' when it has no name, and by its address ('loop 0x55...')
 * only when the trace says nothing of its thread. Returns buf.
 */
const char *an_loop_label(const struct an_loop *l, char *buf, size_t len);
/* A duration for humans: "1.25 ms", "830 us", "12 ns", "2.5 s". */
const char *an_fmt_ns(int64_t ns, char *buf, size_t len);

/* Reads the traces at paths (through trace_read) into a new analysis and
 * finishes it; cfg NULL is the defaults (an_config_default()). Traces of
 * several recordings are refused unless cfg->merge. Returns the analysis, or NULL with a one-line message in
 * err (a bad path, not a trace, another schema, out of memory). */
struct an *an_from_traces(const char *const *paths, int npaths,
			  const struct an_config *cfg, char *err,
			  size_t errlen);

#endif /* TOOLS_ANALYSIS_H */
