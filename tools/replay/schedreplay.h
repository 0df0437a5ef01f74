/*
 * schedreplay: rebuilds a recorded libsched workload (tools/common/
 * workload.h) and replays it through the real scheduler, in virtual time
 * (replay.c, --sim) or in real time (--real), with what-if changes, and
 * compares the replay with the recording (report.c). main.c reads the
 * options and the input.
 *
 * Exit statuses (docs/schedreplay.md): 0 success; 1 the replay failed
 * (the library refused something, a thread could not start, tracing the
 * replay failed); 2 bad usage or bad input (a missing path, not a trace,
 * a malformed workload file, an unknown task in a what-if, a bad number).
 */
#ifndef SCHEDREPLAY_H
#define SCHEDREPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "workload.h"

enum {
	SR_EXIT_OK = 0,
	SR_EXIT_FAIL = 1,
	SR_EXIT_USAGE = 2,
};

/* A what-if that names a task (NULL name: every task). */
struct sr_named {
	const char *name;
	int64_t value;  /* priority, or max wait in ns */
	double factor;  /* --scale */
};

struct sr_whatif {
	int64_t slice;              /* --slice, ns; 0: the recorded slices */
	struct sr_named *prios;     /* --set-priority */
	size_t nprios;
	struct sr_named *max_waits; /* --max-wait [TASK=]MS */
	size_t nmax_waits;
	struct sr_named *scales;    /* --scale */
	size_t nscales;
	/* --split TASK=N (value N >= 2): each of TASK's runs works in N
	 * pieces of a run each, the task ready again after each piece as a
	 * task split with a stopwatch is (a one-shot task starts itself
	 * again). */
	struct sr_named *splits;
	size_t nsplits;
};

/* Whether any what-if is asked. */
bool sr_whatif_any(const struct sr_whatif *wi);

/* What a replay did besides its events. */
struct sr_stats {
	uint64_t events;       /* libsched events the replay emitted */
	uint64_t runs;         /* task callbacks that replayed work */
	uint64_t split;        /* runs the stopwatch ended before the recording did */
	uint64_t merged;       /* recorded yields the replay ran through */
	uint64_t extra;        /* runs with no recorded work left */
	uint64_t checks, checks_same; /* stopwatch checks; verdict as recorded */
	uint64_t posts;        /* posts delivered */
	uint64_t starts_skipped; /* recorded starts of a task already active */
	uint64_t runs_dropped;   /* recorded runs passed over to the run the
				  * last start led to */
	int64_t replayed_ns;   /* workload time replayed */
	/* How far from its recorded begin each recorded run began afresh
	 * (not resumed after a split): the replay's drift. */
	uint64_t drift_runs;
	int64_t drift_p50, drift_p90, drift_max;
	bool realtime_refused; /* --realtime without the privilege */
	double wall_s;         /* wall-clock time it took */
};

struct sr_replay {
	struct an *a;               /* the replay's analysis (finished) */
	const struct an_loop *loop; /* its loop in a, NULL if nothing ran */
	struct sr_stats st;
};

/*
 * Replays w with the what-ifs wi (NULL: unchanged) through a libsched loop
 * on a virtual clock or the real clock (mode), measuring it with the
 * analysis configured by cfg. Returns 0 with *out
 * filled (free with sr_replay_free()), or -1 with a one-line message.
 */
/* How a replay runs. */
struct sr_mode {
	bool real;     /* the real clock, else a virtual one */
	double speed;  /* real: times and durations divided by it */
	bool realtime; /* real: the loop's thread and the producers run
			* SCHED_FIFO (10 and 11), so that other processes do
			* not stretch the replay */
};

int sr_replay(const struct wl_workload *w, const struct sr_whatif *wi,
	      const struct sr_mode *mode, const struct an_config *cfg,
	      struct sr_replay *out, char *err, size_t errlen);
void sr_replay_free(struct sr_replay *r);

/* The figures compared: the recording's (from the workload) or a
 * replay's (from its analysis). Times from the workload's origin. */
struct sr_fig_prio {
	uint64_t fired;
	int64_t p50, p99, max, starved, longest;
};

struct sr_fig_task {
	const char *name;
	int prio;
	uint64_t runs, long_runs;
	int64_t p50, p99, max, run_max, run_total;
};

struct sr_figs {
	struct wl_orig_finding *findings; /* ranked as the analysis ranks */
	size_t nfindings;
	struct sr_fig_prio prio[WL_PRIOS];
	struct wl_orig_starve *starves; /* by start */
	size_t nstarves;
	struct sr_fig_task *tasks;
	size_t ntasks;
	/* The loop's counts as the analysis defines them (an_counts); a
	 * workload's recorded figures do not hold its posted-work runs. */
	struct an_counts counts;
	bool posted_known;
	/* A replay's: the queue delay of its performer (all the posts go
	 * through one), p99 and max, ns; 0 without posts. */
	int64_t perf_p99, perf_max;
};

/* Fills f from the workload's recorded figures (false: it has none). */
bool sr_figs_orig(const struct wl_workload *w, struct sr_figs *f);
/* Fills f from a replay; false when out of memory. */
bool sr_figs_replay(const struct sr_replay *r, struct sr_figs *f);
void sr_figs_free(struct sr_figs *f);

/* Whether the replay of the unchanged workload (unchanged) is faithful to
 * the recording (orig) by the criteria of the report's FAITHFUL line
 * (docs/schedreplay.md); why gets its numbers, one line. */
bool sr_faithful(const struct sr_figs *orig, const struct sr_figs *unchanged,
		 char *why, size_t len);

/* What the report needs. */
struct sr_report {
	const char *input;          /* the path given */
	const struct wl_workload *w;
	const struct sr_whatif *wi;
	bool real;
	double speed;
	bool realtime;             /* SCHED_FIFO asked */
	bool realtime_refused;     /* ... and refused: not privileged */
	const struct sr_figs *orig;      /* NULL: the workload has none */
	const struct sr_figs *replay;    /* with the what-ifs */
	const struct sr_figs *unchanged; /* the fidelity replay (== replay
					  * when no what-if) */
	const struct sr_stats *st;       /* of the replay */
	const struct sr_stats *ust;      /* of the fidelity replay */
	bool unchanged_is_sim;           /* --real what-if: fidelity of --sim */
	int64_t long_task_ns, starve_ns;
};

/* Writes the text report (report.c). */
void sr_report_text(FILE *f, const struct sr_report *r);
/* Writes the JSON report, schema "schedreplay_report": 1. */
void sr_report_json(FILE *f, const struct sr_report *r);

/* Prints "schedreplay: " and the message on stderr, one line. */
void sr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SCHEDREPLAY_H */
