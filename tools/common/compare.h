/*
 * One comparison of two sets of figures, for every tool that compares:
 * `schedprof diff` (two recordings) and schedreplay (the recording
 * against its replay). Each side holds figures per priority and per task
 * (runs, waits p50/p99/max, longest run, run time, long runs, starved
 * time, starvation intervals) and findings (severity, kind, subject,
 * evidence). cmp_new() pairs them and computes, for each figure, before |
 * after | change (absolute and %), marks what is beyond noise, sorts the
 * rows by impact and pairs the findings (gone, new, still there).
 * cmp_text() and cmp_json() render it; docs/schedprof.md (its `schedprof
 * diff` section) describes both layouts, and docs/schedreplay.md the
 * replay's.
 *
 * The words, the same everywhere:
 *   - a change from 0 prints "+504 us (from 0)", never a percentage (JSON:
 *     "change_pct": null); a percentage has one decimal, more where one
 *     would show 100.0 without the change being 100% ("-99.95%");
 *   - equal values print "same";
 *   - a priority or task on one side only prints "-" on the other, and
 *     "only before" / "only after" (the caller names the sides: "before"
 *     and "after", or "recorded" and "replayed"); on a side that had the
 *     loop (cmp_set_has_loop()) it ran nothing and is 0 there instead;
 *   - before and after are separated by columns or by " to ", never by a
 *     ">" that would read as a comparison.
 *
 * Noise (struct cmp_rules): a figure's change is beyond noise when it is
 * at least noise_pct % of the before value and, for a time, at least
 * noise_ns, or for a count at least 1 (a change from 0 needs only the
 * absolute amount). The summary says "nothing changed beyond noise" when
 * no figure's change is beyond noise and no finding is new or gone.
 *
 * Worse (cmp_worse(), for --fail-on): some priority's or task's wait p99,
 * wait max or longest run is up by more than fail_pct % of its before
 * value and by at least fail_min_ns (from 0: by at least fail_min_ns), a
 * task or priority only after has one of them at least fail_min_ns, or a
 * finding of severity "error" is new (or was of a lower severity before).
 *
 * Ownership: a cmp_set copies every string it is given; a struct cmp
 * copies what it needs from its two sets, which may be freed after
 * cmp_new(). Nothing here is thread-safe: one thread per object.
 * Functions that allocate return NULL or false when out of memory.
 */
#ifndef TOOLS_COMPARE_H
#define TOOLS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The figures, in the order the text shows them. */
enum cmp_fig {
	CMP_RUNS,       /* count: a priority's fired runs, a task's runs */
	CMP_WAIT_P50,   /* ns */
	CMP_WAIT_P99,   /* ns */
	CMP_WAIT_MAX,   /* ns */
	CMP_RUN_MAX,    /* ns: a task's longest run */
	CMP_RUN_TOTAL,  /* ns: a task's time run */
	CMP_LONG_RUNS,  /* count: a task's runs of at least --long-task */
	CMP_STARVED,    /* ns: a priority's time starved */
	CMP_INTERVALS,  /* count: a priority's starvation intervals */
	CMP_NFIGS
};

/* One entry's figures: v[fig] counts when have has bit 1u << fig. */
struct cmp_figs {
	int64_t v[CMP_NFIGS];
	unsigned have;
};

/* Sets figure fig of f to v (and marks it present). */
void cmp_figs_set(struct cmp_figs *f, enum cmp_fig fig, int64_t v);

/* The figure's name for text ("wait p99") and its JSON key
 * ("wait_p99_ns", "runs"); whether it is a time in ns. */
const char *cmp_fig_name(enum cmp_fig fig);
const char *cmp_fig_key(enum cmp_fig fig);
bool cmp_fig_is_ns(enum cmp_fig fig);

/* One side of a comparison. */
struct cmp_set;

/* A new, empty side. NULL when out of memory. Free with cmp_set_free(). */
struct cmp_set *cmp_set_new(void);
void cmp_set_free(struct cmp_set *s);

/* Says s is the figures of a loop, listing every priority and task that
 * ran or starved there: one the other side has and s lacks ran nothing
 * on s and compares against 0 ("runs 79 to 0"), not "only before". A
 * side without the call (no loop) shows such rows on one side only. */
void cmp_set_has_loop(struct cmp_set *s);

/* Adds a priority (by name: "REPAINT") with its figures; a second one of
 * the same name replaces the first. Returns 0, or -ENOMEM. */
int cmp_set_prio(struct cmp_set *s, const char *prio,
		 const struct cmp_figs *f);
/* Adds a task by name, with its priority's name (prio may be NULL).
 * Tasks pair by name; a second task of the same name on one side pairs
 * with the second of that name on the other. Returns 0, or -ENOMEM. */
int cmp_set_task(struct cmp_set *s, const char *name, const char *prio,
		 const struct cmp_figs *f);
/* Adds a finding. severity is "info", "warning" or "error"; subject is
 * what it is about (its culprit); evidence may be NULL. Findings pair one
 * to one (each finding of each side once): first by kind and the whole
 * subject, then by kind and subject with its parenthesised tail aside (a
 * task's priority, which a what-if may move), a "performer-backlog" by
 * its kind alone (a performer's address changes from run to run); what
 * pairs with nothing is new or gone. Returns 0, or -ENOMEM. */
int cmp_set_finding(struct cmp_set *s, const char *severity, const char *kind,
		    const char *subject, const char *evidence);

/* What noise is and what worse is (see the top of this file). */
struct cmp_rules {
	double noise_pct;    /* default 10 */
	int64_t noise_ns;    /* default 1 ms */
	double fail_pct;     /* default 10 */
	int64_t fail_min_ns; /* default 1 ms */
};

void cmp_rules_default(struct cmp_rules *r);

/* How the text names things. */
struct cmp_words {
	const char *before, *after; /* "before", "after" */
};

/* One paired figure. */
struct cmp_cell {
	bool have_before, have_after;
	int64_t before, after;
	bool beyond_noise;
};

/* One paired priority or task. */
struct cmp_row {
	char *name;
	char *prio_before, *prio_after; /* tasks; NULL if unknown or absent */
	bool in_before, in_after;
	struct cmp_cell cell[CMP_NFIGS];
	unsigned have;        /* figures either side has */
	bool beyond_noise;    /* some figure is */
	int64_t impact_ns;    /* the largest change of its waits, longest
			       * run and starved time; for a row on one
			       * side only, the largest of them there */
};

enum cmp_status { CMP_GONE, CMP_NEW, CMP_STILL };

struct cmp_pair {
	enum cmp_status status;
	char *kind, *subject;
	char *severity_before, *severity_after; /* NULL on the side it lacks */
	char *evidence_before, *evidence_after; /* NULL if none */
};

struct cmp {
	struct cmp_rules rules;
	struct cmp_row *prios, *tasks; /* by impact, largest first */
	size_t nprios, ntasks;
	struct cmp_pair *findings;     /* new, then still there, then gone;
					* each in the sides' order */
	size_t nfindings;
	size_t changed;                /* rows beyond noise */
	size_t nnew, ngone, nstill;
};

/* Compares before with after under rules (NULL: the defaults). NULL when
 * out of memory. Free with cmp_free(). */
struct cmp *cmp_new(const struct cmp_set *before, const struct cmp_set *after,
		    const struct cmp_rules *rules);
void cmp_free(struct cmp *c);

/* Whether after is worse than before by the rule at the top of this file;
 * why gets the first reason found, one line ("" when not worse). */
bool cmp_worse(const struct cmp *c, char *why, size_t len);

/* The change of a figure as text: "+504 us (from 0)", "-1.2 ms (-35.0%)",
 * "+3 (+7.5%)", "same", "only before", "only after"; w names the sides
 * (NULL: before/after). Returns buf. */
const char *cmp_change_text(const struct cmp_cell *cell, bool ns,
			    const struct cmp_words *w, char *buf, size_t len);

/* The summary, one line with no newline: "nothing changed beyond noise"
 * or its largest changes and the findings' count; w names the sides
 * (NULL: before/after). Returns buf. */
const char *cmp_summary(const struct cmp *c, const struct cmp_words *w,
			char *buf, size_t len);

/* The text layout: "summary: ...", then per priority and per task the
 * figures beyond noise, rows by impact, columns before | after | change
 * (a row on one side only: its runs, waits, longest run and starvation),
 * each table followed by one line naming the rows within noise, then the
 * findings (new, still there, gone; an evidence the same on both sides
 * once). indent prefixes every line; w names the sides (NULL:
 * before/after). */
void cmp_text(FILE *f, const struct cmp *c, const struct cmp_words *w,
	      const char *indent);

/* The JSON object (no newline), schema in docs/schedprof.md:
 * {"summary":..,"changed":N,"rules":{..},"findings":[..],
 *  "priorities":[..],"tasks":[..]}; w names the sides in the summary
 * (NULL: before/after); the keys say before and after whatever w says. */
void cmp_json(FILE *f, const struct cmp *c, const struct cmp_words *w);

#endif /* TOOLS_COMPARE_H */
