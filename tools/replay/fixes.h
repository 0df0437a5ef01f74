/*
 * fixes: for each finding of a recorded workload, the candidate fixes its
 * blame points to, each checked by a replay of the workload in virtual
 * time (replay.c), kept when it makes the finding go away (or eases it)
 * without making another finding worse, and ranked by its side effects.
 * schedprof report prints them under its findings; schedreplay --suggest
 * prints them for a saved workload.
 *
 * Candidates (docs/schedprof.md, "Fixes"):
 *   starving-task V:      a max wait for V at a quarter, a half and three
 *                         quarters of the starve threshold; and after the
 *                         culprit that ran longest in V's longest wait:
 *                         if of a higher priority, V at its priority, it
 *                         at V's priority, it split in 4; if of a lower
 *                         one (running when V became ready), it split in 4;
 *   never-yields / long-running-task T: T split in 2, 4 and 10 pieces per
 *                         run (schedreplay --split: no work lost);
 *   performer-backlog:    of the finding's performer's posts that waited
 *                         (10 ms or more), those made at a priority, at
 *                         HIGHEST; if they are first class, a note, and
 *                         the task whose runs overlap their waits most
 *                         split in 4 and 10. Judged on the performer's
 *                         queue delay (p99, max), not a task's wait.
 * When no single candidate makes a finding go away, the best one of the
 * victim and the best one of a culprit are tried together.
 *
 * Ownership: fx_suggest() fills a struct fx_result that owns all its
 * memory; fx_free() frees it. Threads: one at a time (the replay is not
 * reentrant: it installs the process's trace hook).
 */
#ifndef SCHEDREPLAY_FIXES_H
#define SCHEDREPLAY_FIXES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "workload.h"

/* The default --fix-budget, s: the demo's candidates take about a tenth
 * of it on the project's VM. */
#define FX_BUDGET_DEFAULT 0.5

/* How a candidate did. */
enum fx_verdict {
	FX_UNTRIED = 0, /* the budget ran out first */
	FX_FAILED,      /* the replay failed */
	FX_NO_EFFECT,   /* the finding stays as it was (or worse) */
	FX_EASES,       /* the finding stays, less severe or at most half */
	FX_FIXES,       /* the finding is gone */
};

#define FX_MAX_CHANGES 2

struct fx_candidate {
	char call[256];    /* the C call(s) to make, one line */
	char effect[256];  /* its predicted effect, in numbers */
	char cost[512];    /* what got worse ("" for nothing) */
	enum fx_verdict verdict;
	bool kept;         /* eases or fixes, and no other finding worse */
	unsigned worse;    /* other findings new or more severe */
	unsigned costs;    /* of it, priorities whose p99 rose */
	int64_t before, after; /* the figure of the effect, ns */
	/* starving-task: the task's wait p99, ns (a longest wait is one
	 * wait, which one coincidence can make; the p99 is what the
	 * replay's fidelity is judged on); performer-backlog: the
	 * performer's queue delay p99 (before/after: its max) */
	int64_t before_p99, after_p99;
	/* The what-if replayed (private to fixes.c). */
	int nchg;
	struct {
		char op;       /* 'p' priority, 'm' max wait, 'c' scale, 's' split */
		char name[96];
		int64_t value;
		double factor;
	} chg[FX_MAX_CHANGES];
};

struct fx_finding {
	char kind[32];       /* an_kind_name() */
	char culprit[96];    /* as the recording's finding names it */
	char note[256];      /* why there is no candidate (or, for a
			      * first-class backlog, none of its kind), or "" */
	struct fx_candidate *cands; /* ranked: kept first, best first */
	size_t ncands;
	size_t tried;
	bool combined;       /* the combination was added (private) */
};

enum fx_status {
	FX_DONE = 0,   /* candidates tried (see each finding) */
	FX_NO_ORIG,    /* the workload holds no recorded figures */
	FX_UNFAITHFUL, /* the unchanged replay is not faithful */
	FX_NO_REPLAY,  /* the unchanged replay failed (TRACE=0 build ...) */
};

struct fx_result {
	enum fx_status status;
	char why[512];         /* FX_UNFAITHFUL, FX_NO_REPLAY: the reason */
	struct fx_finding *findings; /* the recording's, in rank order */
	size_t nfindings;
	size_t replays;        /* candidate replays made */
	bool budget_out;       /* some candidates were not tried */
	double budget_s, wall_s;
};

/*
 * Tries the candidate fixes of w's recorded findings (w->orig_findings),
 * spending at most about budget_s seconds of wall-clock time on replays
 * (the unchanged replay is always made). cfg: the analysis thresholds.
 * Returns 0 with *out filled (see out->status), or -1 when out of memory.
 */
int fx_suggest(const struct wl_workload *w, const struct an_config *cfg,
	       double budget_s, struct fx_result *out);
void fx_free(struct fx_result *r);

/* The fixes of the finding of kind (an_kind_name()) and culprit, or NULL. */
const struct fx_finding *fx_find(const struct fx_result *r, const char *kind,
				 const char *culprit);

/* Writes a finding's fixes as text lines, each starting with indent. */
void fx_text(FILE *f, const struct fx_result *r, const struct fx_finding *x,
	     const char *indent);
/* Writes the JSON object of a finding's fixes (schema in
 * docs/schedprof.md, "fixes"). */
void fx_json(FILE *f, const struct fx_result *r, const struct fx_finding *x);
/* Writes a finding's kept fixes (or that none works) as HTML, inside a
 * table cell: <div class="fix"> blocks; esc writes text escaped. */
void fx_html(FILE *f, const struct fx_result *r, const struct fx_finding *x,
	     void (*esc)(FILE *f, const char *s));
/* A one-line summary of why nothing was tried (FX_DONE: NULL). */
const char *fx_status_text(const struct fx_result *r);

#endif /* SCHEDREPLAY_FIXES_H */
