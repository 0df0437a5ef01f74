/*
 * flightmark: the readers' side of a flight-recorder save (schedprof record
 * --flight, docs/schedprof.md). A save is an ordinary LTTng trace directory
 * with a marker file, FM_FILE, at its top: the rule that fired, when (on
 * the loop's clock) and what the loop was doing then, as JSON. This module
 * finds and reads those markers (with jansson), places them on a loop of
 * an analysis (tools/common/analysis.h) and says them in words, for
 * schedprof report and export and for schedtop over a trace.
 *
 * The marker (fields other than these are ignored; absent or null
 * optional fields are fine):
 *   required: "schedprof_flight": 1, "save" (integer >= 1), "rule"
 *     (string), "rules" (array of strings), "saved_at" (string), "pid"
 *     (integer >= 0);
 *   optional: "loop" ("0x..." string), "time" (integer, ns on the loop's
 *     clock), "kind" (0 a task run, 1 posted work), "id", "prio" (0..7),
 *     "run", "delay" (ns), "waiting" (a task id, 0 for none),
 *     "waiting_prio" (-1..7), "wait" (ns), "discarded" (integer >= 0).
 * Anything else (not JSON, not an object, a required field missing, a
 * field of the wrong type or out of range, a file over FM_MAX_BYTES) is a
 * malformed marker: the readers refuse it with a one-line error.
 *
 * Ownership: a set owns its marks and their strings; fm_set_free() frees
 * them. Threads: no shared state; one thread per set.
 */
#ifndef TOOLS_FLIGHTMARK_H
#define TOOLS_FLIGHTMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis.h"

#define FM_FILE "schedprof-flight.json"
/* A marker is a few hundred bytes; anything this large is not one. */
#define FM_MAX_BYTES (1 << 20)
/* Markers read from one set of paths at most (a save per directory). */
#define FM_MAX_MARKS 4096

struct fm_mark {
	char *file;          /* the marker's path, as found */
	int64_t save;        /* 1, 2, ... */
	char *rule;          /* the rule that fired; "exit" at --save-on-exit */
	char **rules;        /* every rule of the recording */
	size_t nrules;
	char *saved_at;      /* as written: an ISO 8601 UTC time */
	int64_t pid;         /* the recorded command's */
	bool has_loop, has_time, has_run, has_waiting, has_discarded;
	uint64_t loop;       /* has_loop */
	int64_t time;        /* has_time: the check's time, loop clock ns */
	/* has_run: the run that had just ended at the check. */
	int kind;            /* 0 a task's run, 1 posted work */
	uint64_t id;         /* the task id, or the post id */
	int prio;            /* its priority; -1 unknown */
	int64_t run, delay;  /* its run time; posted work's queue delay */
	/* has_waiting: the ready task that had waited longest (waiting 0:
	 * none was ready). */
	uint64_t waiting;
	int waiting_prio;
	int64_t wait;
	uint64_t discarded;  /* has_discarded: events the session had lost */
};

struct fm_set {
	struct fm_mark *v;   /* by time (those without one last), pid, save */
	size_t n;
};

/* Reads the marker file at path into *m (zeroed first; free it with
 * fm_mark_free()). Returns 0, or -1 with a one-line message naming the
 * file in err: unreadable, too large, or malformed (see above). */
int fm_read(const char *path, struct fm_mark *m, char *err, size_t errlen);

/* The same for a marker's n bytes at buf, read from path (named in the
 * errors and kept in m->file). */
int fm_parse(const char *path, const char *buf, size_t n, struct fm_mark *m,
	     char *err, size_t errlen);

void fm_mark_free(struct fm_mark *m);

/*
 * The markers of the trace paths the tools were given: at each path (a
 * directory, or the directory of a "metadata" file), in its four nearest
 * parents (a path inside a save), and in the directories below it that the
 * trace reader searches (a directory holding a save). Each file once.
 * Returns 0 with *set filled (n may be 0: no save, an ordinary trace), or
 * -1 with a one-line message in err: a malformed marker; two or more saves
 * of one process (the same pid: each save holds the whole ring, so saves
 * of one recording overlap and their events would be counted twice; the
 * message names them and says to give one save directory); out of memory.
 * Saves of different pids are read together (the trace reader asks for
 * --merge when they come from different sessions: trace_read.h).
 */
int fm_find(const char *const *paths, int npaths, struct fm_set *set,
	    char *err, size_t errlen);

void fm_set_free(struct fm_set *set);

/* Drops the marks of processes other than pid from set (--pid). */
void fm_set_keep_pid(struct fm_set *set, int64_t pid);

/* The loop of r the mark names (its pid and loop address); with no loop
 * in the mark, the busiest loop of its pid. NULL if none is in r. */
const struct an_loop *fm_loop(const struct fm_mark *m,
			      const struct an_result *r);

/*
 * What the loop was doing when the rule fired, in words, with the task
 * names resolved from l's task ids (l may be NULL: ids only): "indexer
 * (LOWEST) had waited 151 ms; the run that had just ended: spell
 * (DEFAULT_IDLE) 12 ms". The rule's kind (starve, run, backlog) says what
 * comes first. Raw names: escape for the output. Returns buf.
 */
const char *fm_what(const struct fm_mark *m, const struct an_loop *l,
		    char *buf, size_t len);

/* The trigger's time on the report's axis: ns from the first event of
 * loop l (fm_loop()). False when the mark has no time, l is NULL or has no
 * event, or the difference does not fit. */
bool fm_at(const struct fm_mark *m, const struct an_loop *l, int64_t *at);

/*
 * The report's line for the save, on the report's time axis (from the
 * first event of the mark's loop, fm_loop()): "flight-recorder save 1:
 * rule starve>150ms fired at +3.214 s: " and fm_what(). Raw. Returns buf.
 */
const char *fm_line(const struct fm_mark *m, const struct an_result *r,
		    char *buf, size_t len);

/* The name of task id in l ("task 17" when l does not know it); raw. */
const char *fm_task_name(const struct an_loop *l, uint64_t id, char *buf,
			 size_t len);

/* Whether the save was made at the end of the recording (rule "exit",
 * --save-on-exit) rather than by a rule. */
bool fm_is_exit(const struct fm_mark *m);

/*
 * Whether the save m does not hold its process from the start: false when
 * r holds the process's first task (id 1: libsched numbers a process's
 * tasks from 1) on a loop of m's pid and no run of those loops had become
 * ready before its loop's first event (no wait was already going on);
 * true otherwise. A cheap sign, not a proof: a save whose ring begins
 * between two runs of a repeating task 1 reads as holding the start.
 */
bool fm_mid_run(const struct fm_mark *m, const struct an_result *r);

/* Whether any save of set starts mid-run (fm_mid_run()). */
bool fm_set_mid_run(const struct fm_set *set, const struct an_result *r);

/* The one note every reader gives a save: it holds only the last seconds
 * before the trigger, so its trace starts mid-run (what that means for the
 * figures). One sentence, no newline. */
extern const char fm_mid_run_note[];

/* The note instead when every save holds its process from the start. One
 * sentence, no newline. */
extern const char fm_from_start_note[];

#endif /* TOOLS_FLIGHTMARK_H */
