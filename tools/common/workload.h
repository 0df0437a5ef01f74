/*
 * workload: a recorded libsched workload, rebuilt from a trace so that it
 * can be replayed (schedreplay), and its text file format (version 1,
 * documented field by field in docs/schedreplay.md).
 *
 * A workload is what one loop was asked to do, separated from how its
 * scheduler answered:
 *
 *   - its tasks (one per task id: name, priority, kind, timeout, maximum
 *     wait, parent), each with its runs in order; a run is its duration
 *     and what the task did inside it, at offsets from its begin: stopwatch
 *     checks (with the slice and the recorded verdict), starts and stops
 *     of tasks, priority and maximum-wait changes, dispatcher commands and
 *     builds; and whether the task was still active when it returned;
 *   - the posts other threads made to it through a Performer (time,
 *     producer thread, priority or first class, waiting or not, the
 *     work's duration and what it did inside, at offsets);
 *   - the starts, stops and changes made outside any run or post (loop
 *     timers, descriptor callbacks, the program's own code between runs),
 *     at absolute times;
 *   - the figures of the recording (per priority and per task), so that a
 *     replay of the file alone can be compared with its original.
 *
 * Times are ns from the workload's origin (the first instant the
 * recording saw of the loop); durations ns.
 *
 * Ownership: a workload owns all its memory; wl_free() frees it. Threads:
 * a workload is not changed after it is built and may be read from any
 * thread.
 */
#ifndef TOOLS_WORKLOAD_H
#define TOOLS_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WL_VERSION 1
#define WL_MAGIC "libsched-workload"
#define WL_PRIOS 8

/* What happens at a point of a run, of a post's work, or of the timeline. */
enum wl_op {
	WL_CHECK,    /* a stopwatch check: verdict, slice */
	WL_START,    /* lsched_task_start(task) with timeout (timers) of a
		      * task that was not queued; the replay skips it if
		      * the task is already active there */
	WL_RESTART,  /* the same, of a task that was queued: restarted */
	WL_STOP,     /* lsched_task_stop(task) */
	WL_PRIO,     /* lsched_task_set_priority(task, value) */
	WL_MAX_WAIT, /* lsched_task_set_max_wait(task, value) */
	WL_COMMAND,  /* a dispatcher command ran (annotation): duration, name */
	WL_BUILD,    /* a dispatcher build ran (annotation): duration, reason */
	WL_STALL,    /* top level: the loop was busy outside runs, post work
		      * and sleeps for value ns (loop timer and descriptor
		      * callbacks; its thread preempted) */
	WL_NOW,      /* the run refreshed the loop's cached time
		      * (lsched_loop_update_now()), as the times of what it
		      * started next show */
};

/* enum lsched_stopwatch_verdict */
enum wl_verdict { WL_CONTINUE = 0, WL_SLICE_USED = 1, WL_INPUT_PENDING = 2 };

struct wl_step {
	int64_t at;      /* offset from the run's (post's) begin, or absolute */
	enum wl_op op;
	uint64_t task;   /* (RE)START, STOP, PRIO, MAX_WAIT: the task id */
	int64_t value;   /* (RE)START: timeout; PRIO: priority; MAX_WAIT: ns;
			  * CHECK: slice; COMMAND, BUILD, STALL: duration */
	int verdict;     /* CHECK: enum wl_verdict; BUILD: reason */
	uint64_t run;    /* (RE)START: the task's run (1, 2, ... in its runs)
			  * this start led to, 0 if none (it never ran after) */
	const char *name; /* COMMAND: its name (owned by the workload) */
	size_t line;      /* its line in the file read, 0 if not read */
};

struct wl_run {
	int64_t begin;     /* when it began in the recording (information) */
	int64_t ready_at;  /* when it became ready (information) */
	int64_t duration;
	bool active_after; /* still active when it returned */
	size_t line;       /* its line in the file read, 0 if not read */
	struct wl_step *steps; /* by offset */
	size_t nsteps, capsteps;
};

enum wl_kind { WL_IDLE = 0, WL_AUTO_IDLE, WL_TIMER, WL_AUTO_TIMER };

struct wl_task {
	uint64_t id;      /* its id in the recording; unique in the workload */
	const char *name; /* owned by the workload */
	int prio;         /* 0 (HIGHEST) to 7 (LOWEST) */
	enum wl_kind kind;
	int64_t timeout;  /* its first timeout (timers) */
	int64_t max_wait; /* 0: none */
	uint64_t parent;  /* parent's id, 0 for none */
	size_t line;      /* its line in the file read, 0 if not read */
	struct wl_run *runs;
	size_t nruns, capruns;
};

struct wl_post {
	int64_t at;       /* when it was posted */
	int64_t thread;   /* the producer thread (its vtid), -1 if unknown */
	int prio;         /* -1: first class (lsched_perform()) */
	bool wait;        /* LSCHED_PERFORM_WAIT */
	int64_t latency;  /* when it found the loop asleep: how long the loop
			   * took to wake up for it (0: the loop was awake) */
	int64_t duration; /* of its work (of the task that ran it) */
	const char *name; /* "" for first class; owned by the workload */
	uint64_t performer; /* the lsched_performer it went through in the
			     * recording (its address), 0 if unknown */
	int64_t delay;    /* its queue delay in the recording (posted to its
			   * work's begin), -1 if unknown */
	size_t line;      /* its line in the file read, 0 if not read */
	struct wl_step *steps;
	size_t nsteps, capsteps;
};

/* The recording's figures, for the comparison. */
struct wl_orig_prio {
	uint64_t fired;
	int64_t p50, p99, max;   /* wait latency */
	int64_t starved_ns, longest_ns;
};

struct wl_orig_starve {
	int prio;
	int64_t start, end; /* from the origin */
	bool open_at_end;
};

struct wl_orig_task {
	const char *name;
	int prio;
	uint64_t runs, long_runs;
	int64_t p50, p99, max;   /* wait latency */
	int64_t run_max, run_total;
};

/* A finding of the recording's analysis (analysis.h): its severity
 * ("info", "warning", "error"), kind ("starving-priority", ...), culprit
 * and evidence. */
struct wl_orig_finding {
	const char *severity, *kind, *culprit;
	const char *evidence; /* its one line of numbers; NULL if not kept */
};

struct wl_workload {
	int64_t span;          /* the recording's length from the origin */
	int64_t origin;        /* the origin on the recording's loop clock */
	char *source;          /* where it came from (information), or NULL */
	struct wl_task *tasks; /* in order of appearance */
	size_t ntasks, captasks;
	struct wl_post *posts; /* by time */
	size_t nposts, capposts;
	struct wl_step *actions; /* outside runs and posts, by time (at) */
	size_t nactions, capactions;
	bool has_orig;
	int64_t orig_long_task_ns, orig_starve_ns; /* thresholds of the figures */
	struct wl_orig_prio orig_prio[WL_PRIOS];
	int64_t orig_posted_runs; /* first-class work runs; -1: not kept */
	struct wl_orig_starve *orig_starves;
	size_t norig_starves, caporig_starves;
	struct wl_orig_task *orig_tasks;
	size_t norig_tasks, caporig_tasks;
	struct wl_orig_finding *orig_findings; /* in the analysis' rank order */
	size_t norig_findings, caporig_findings;
	/* Parent links wl_parse()'s check followed: at most twice the
	 * number of tasks (tests hold the check to linear time with it). */
	size_t parent_links;
	/* Private: interned strings. */
	char **strs;
	size_t nstrs, capstrs;
	/* Private: wl_task_find()'s index of tasks by id (an open-addressing
	 * table of task indexes + 1), valid for the tasks array and count
	 * it was built for. */
	uint32_t *tidx;
	size_t tidx_cap, tidx_n;
	const struct wl_task *tidx_of;
};

/*
 * Parses a workload file held in buf (len bytes, any bytes: it never
 * crashes, and never reads past len). Returns 0 and *out, or -1 with a
 * one-line message in err naming the line and the field ("line 12: task:
 * field 'prio': 'FOO' is not a priority"), or "out of memory". The result
 * is checked: ids are unique and every task named exists, offsets lie
 * within their run, times are in order, parents form no cycle.
 */
int wl_parse(const char *buf, size_t len, struct wl_workload **out, char *err,
	     size_t errlen);

/* The largest workload file wl_load() reads, in bytes (1 GiB). A saved
 * 2.25M-event recording is about 230 MB (docs/performance.md). */
#define WL_FILE_MAX (1 << 30)

/* Reads and parses the file at path; errors name the path and the line.
 * Only a regular file of at most WL_FILE_MAX bytes is read: anything else
 * (a device such as /dev/zero, a pipe, a larger file) is refused with a
 * message, before reading. */
int wl_load(const char *path, struct wl_workload **out, char *err,
	    size_t errlen);

/* Sorts w's posts and top-level actions by time, stably (on a tie they
 * keep their order: file order, or the order they were recorded in).
 * False when out of memory, with w unchanged. */
bool wl_sort_by_time(struct wl_workload *w);

/* Writes w in the file format to f. Returns 0, or -1 if a write failed
 * (errno set). */
int wl_write(const struct wl_workload *w, FILE *f);

/* The task of id, or NULL. O(1) on average: the first call after tasks
 * were added or removed (re)builds a private index in w, so calls on one
 * workload must not run at the same time; out of memory, it searches
 * linearly. */
const struct wl_task *wl_task_find(const struct wl_workload *w, uint64_t id);

/* Summary counts. */
size_t wl_run_count(const struct wl_workload *w);

void wl_free(struct wl_workload *w);

struct an;

/*
 * Builds the workload of one loop from recorded traces: the busiest loop
 * (most task runs) of process pid (-1: any), or the loop at address loop
 * (0: the busiest). The analysis of the same traces, made with cfg (NULL:
 * defaults), is returned in *analysis when that is not NULL (its figures
 * are the workload's original figures). Returns 0, or -1 with a one-line
 * message in err (a missing path, not a trace, another schema, no such
 * loop, no task run in it, out of memory).
 */
struct an_config;
int wl_from_traces(const char *const *paths, int npaths,
		   const struct an_config *cfg, uint64_t loop,
		   struct wl_workload **out, struct an **analysis, char *err,
		   size_t errlen);

/* Names for the file format and the output. */
const char *wl_kind_name(enum wl_kind k);       /* "idle", "auto-idle", ... */
const char *wl_verdict_name(int v);             /* "continue", ... */
const char *wl_prio_name(int prio);             /* "HIGHEST"..., "FIRST" (-1) */
/* A priority by name (case-insensitive) or number 0-7; -1 if neither. */
int wl_prio_parse(const char *s);

#endif /* TOOLS_WORKLOAD_H */
