/*
 * schedtop: what its parts share. The sources (live.c: BPF on a running
 * process; tracesrc.c: a recorded trace) fill snapshots of the model of
 * model.h; frame.c turns two snapshots into a frame of figures; ui.c shows
 * frames (ncurses, plain text, JSON); main.c parses the options.
 */
#ifndef SCHEDTOP_H
#define SCHEDTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

/* Exit statuses (docs/schedtop.md). */
enum {
	ST_EXIT_OK = 0,
	ST_EXIT_FAIL = 1,  /* could not run: not permitted, out of memory */
	ST_EXIT_USAGE = 2, /* bad option, no such PID, no probes, no uprobes,
			    * not a trace, --save-on without the LTTng-UST
			    * provider in the process */
};

void st_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum st_sort {
	ST_SORT_TIME, ST_SORT_RUNS, ST_SORT_MAX, ST_SORT_MEAN, ST_SORT_P99,
	ST_SORT_WAIT,
	ST_SORT_OVERRUNS, ST_SORT_NAME, ST_SORT_COUNT
};
const char *st_sort_name(enum st_sort s);
int st_sort_lookup(const char *name); /* -1 if unknown */

struct fl_rule;

struct st_opts {
	long pid;             /* live: the target; trace: a filter, or -1 */
	const char **paths;   /* trace mode: the trace directories */
	int npaths;
	double interval_s;    /* -d */
	long count;           /* -n: frames, 0 for no limit */
	bool batch, json;
	enum st_sort sort;
	int64_t long_task_ns, starve_ns;
	/* The flight recorder (live only, --save-on; flight.h): rules[0 ..
	 * nrules - 1], none when nrules is 0. */
	const struct fl_rule *rules;
	size_t nrules;
	const char *save_dir;  /* NULL: ./schedtop-flight-PID */
	unsigned max_saves;
	int64_t hold_off_ms;
	unsigned buffer_mb;    /* sub-buffer size, MiB */
	int pace_ms;           /* trace, on the screen: real ms per frame
				* (--pace, else SCHEDTOP_PACE_MS, else 1000) */
	bool merge;            /* trace mode: --merge (trace_read.h) */
};

/* ---- snapshots ---------------------------------------------------------- */

struct st_loop_ent {
	uint64_t addr;
	int64_t vpid;         /* the process, -1 if unknown */
	struct st_loop v;
	uint64_t depth[ST_PRIOS]; /* ready now, where the source knows it */
	bool depth_exact;     /* depth[] is exact (trace), else from masks */
	char thread[32];      /* its thread's name, if the source knows it */
	char name[64];        /* lsched_loop_set_name(), "" if none known */
};

struct st_task_ent {
	struct st_task_key k;
	struct st_task_stat v;
};

struct st_snap {
	int64_t t;            /* the source's clock (loop time), ns */
	uint64_t epoch;       /* the epoch whose maxima this snapshot holds */
	struct st_loop_ent *loops;
	size_t nloops, caploops;
	struct st_task_ent *tasks; /* sorted by key */
	size_t ntasks, captasks;
	struct st_lost lost;
	uint64_t lost_trace;  /* events the tracer discarded (trace) */
};

void st_snap_clear(struct st_snap *s);
void st_snap_free(struct st_snap *s);
/* Copies src into dst (dst's arrays are reused). False: out of memory. */
bool st_snap_copy(struct st_snap *dst, const struct st_snap *src);
/* The entry of a loop or task, created zeroed if absent (NULL: out of
 * memory). Tasks stay sorted; call st_snap_sort_tasks() after appending
 * with st_snap_add_task(). */
struct st_loop_ent *st_snap_loop(struct st_snap *s, uint64_t addr,
				 int64_t vpid);
struct st_task_stat *st_snap_task(struct st_snap *s,
				  const struct st_task_key *k);
bool st_snap_add_task(struct st_snap *s, const struct st_task_key *k,
		      const struct st_task_stat *v);
void st_snap_sort_tasks(struct st_snap *s);

/* ---- alerts ------------------------------------------------------------- */

struct st_alert_ent {
	struct st_alert a;
	int64_t when;          /* source clock, ns */
	char text[512];        /* one line, for people */
};

#define ST_ALERTS_KEPT 256

struct st_alerts {
	struct st_alert_ent ring[ST_ALERTS_KEPT];
	uint64_t total;        /* ever raised; ring[i % KEPT] */
	/* Trace mode on the screen keeps every alert, so that stepping back
	 * shows a frame's own: all[0 .. total - 1] when keep_all (NULL if
	 * memory ran out: then only the ring). */
	bool keep_all;
	struct st_alert_ent *all;
	size_t capall;
};

/* Raises an alert; extra (may be NULL) is appended to its text. */
void st_alert_raise(struct st_alerts *al, const struct st_alert *a,
		    int64_t when, const char *extra);
/* Alert number i (0 is the first raised), or NULL when no longer kept. */
const struct st_alert_ent *st_alert_get(const struct st_alerts *al,
					uint64_t i);
void st_alerts_free(struct st_alerts *al);

/* ---- frames ------------------------------------------------------------- */

struct st_frame_prio {
	uint64_t ready;        /* ready now */
	bool ready_exact;
	uint64_t runs;         /* in the frame */
	double runs_s;
	int64_t wait_p50, wait_p99, wait_max; /* of the frame's runs */
	int64_t run_p50, run_p99, run_max;
	int64_t waiting;       /* ready without a run for this long; 0: not */
	int64_t starving;      /* the same once at least --starve; else 0 */
};

struct st_frame_task {
	const struct st_task_key *k;
	int prio;
	uint64_t runs, runs_total;
	double runs_s, busy_pct;
	int64_t run_sum, run_mean, run_p99, run_max, wait_p99;
	uint64_t overruns, overruns_total, long_runs_total;
};

struct st_frame_loop {
	uint64_t addr;
	int64_t vpid;
	uint32_t tid;
	char thread[32];       /* the thread's name, "" if unknown */
	char name[64];         /* the loop's name (trace mode), "" if none */
	double cpu_pct;        /* the thread's CPU; < 0 if unknown */
	double busy_pct;       /* time in task runs; < 0 on a virtual clock */
	bool virtual_clock;    /* the loop's times are not the source's clock */
	double runs_s, posts_s;
	uint64_t runs_total;
	struct st_frame_prio prio[ST_PRIOS];
	struct st_frame_task *tasks;
	size_t ntasks;
	/* The run in progress at the frame's end. */
	bool running;
	char run_name[ST_NAME_LEN];
	int run_prio;
	int64_t run_for;
};

struct st_frame {
	uint64_t seq;          /* 1, 2, ... */
	int64_t t0, t1;        /* the interval, source clock */
	double wall;           /* live: the Unix time at its end; 0 in a trace */
	int64_t trace_start;   /* trace: the first event's time */
	struct st_frame_loop *loops;
	size_t nloops;
	uint64_t lost, lost_delta; /* events lost, all kinds */
	uint64_t alerts_from, alerts_to; /* the alerts raised in the frame */
	struct st_task_key *own_keys; /* a copy's task keys (st_frame_dup) */
};

/* Computes the frame between two snapshots (prev may be empty). cpu: the
 * loop threads' CPU, or NULL. Returns false when out of memory. */
bool st_frame_build(struct st_frame *f, const struct st_snap *prev,
		    const struct st_snap *cur, long pid, double interval_s,
		    int64_t starve_ns, enum st_sort sort);
/* Whether a loop runs on a virtual clock (its times far from the source's
 * clock), and its time at the source's time t: t itself on the real
 * clock, else the latest time it showed. */
bool st_loop_virtual(const struct st_loop_ent *l);
int64_t st_loop_now(const struct st_loop_ent *l, int64_t t);
void st_frame_sort(struct st_frame *f, enum st_sort sort);
/* The same, in the reverse order when reverse. */
void st_frame_sort_dir(struct st_frame *f, enum st_sort sort, bool reverse);
/* A deep copy of src that owns its task keys, for a trace's history.
 * False: out of memory (dst is then empty). */
bool st_frame_dup(struct st_frame *dst, const struct st_frame *src);
void st_frame_free(struct st_frame *f);

/* The percentile p of the difference of two histograms, read as the upper
 * edge of its bucket, but never above max. 0 for no value. */
int64_t st_hist_pct(const st_u64 *cur, const st_u64 *prev, double p,
		    int64_t max);

/* ---- output ------------------------------------------------------------- */

struct st_view {
	const char *mode;      /* "live" or "trace" */
	long pid;
	char comm[64];
	size_t loop_sel;       /* interactive: the loop shown */
	bool paused;
	bool help;
	bool reverse;          /* the task table in the reverse order */
	bool at_end;           /* trace: the last frame is shown */
	bool trace_done;       /* trace: every event has been read */
	int pace_ms;           /* trace: real ms per frame while playing */
	bool pace_note;        /* trace: + or - was the last key: the status
				* line says the pace (the header may drop it) */
	uint64_t frame_no, frames; /* trace: the frame shown, of those read */
	/* The task filter (a substring of the name, any case); filter_edit
	 * while it is being typed. */
	char filter[64];
	bool filter_edit;
	/* The selected task: its row in the task table as drawn and its
	 * key (sel_set), which the selection follows across frames, re-sorts
	 * and filters, as htop's does; the detail view of a task (its key,
	 * kept across frames and re-sorts). */
	size_t task_sel;
	bool sel_set;
	struct st_task_key sel_key;
	bool detail;
	struct st_task_key detail_key;
	int detail_scroll;
};

/* What a key asks of the source (st_screen_key's *action). */
enum st_action {
	ST_ACT_NONE, ST_ACT_STEP, ST_ACT_BACK, ST_ACT_START, ST_ACT_END,
	ST_ACT_NEXT_ALERT,
};

/* The detail of one task the source knows (trace: its runs, its waits and
 * what ran meanwhile), as lines of text ending in '\n', written to buf of
 * len bytes; t1 is the end of the frame shown. */
typedef void st_detail_fn(void *arg, const struct st_frame_loop *l,
			  const struct st_task_key *k, int64_t t1, char *buf,
			  size_t len);

/* The tables' header lines and rows, for the text output and the screen. */
extern const char *const st_prio_header;
extern const char *const st_task_header;
void st_prio_row(char *buf, size_t len, int q, const struct st_frame_prio *p);
void st_task_row(char *buf, size_t len, const struct st_frame_task *t);

void st_print_text(FILE *out, const struct st_frame *f,
		   const struct st_alerts *al, const struct st_view *v);
void st_print_json(FILE *out, const struct st_frame *f,
		   const struct st_alerts *al, const struct st_view *v);

/* Interactive screen (ncurses). */
bool st_screen_open(void);
void st_screen_close(void);
struct st_run;
/* Draws frame f (sorted as v says) with the alerts it holds. */
void st_screen_draw(struct st_run *r, struct st_frame *f);
/* Handles a key; returns false on quit. *action: what the source must do
 * (trace mode steps; live mode ignores it). */
bool st_screen_key(int key, struct st_view *v, enum st_sort *sort,
		   const struct st_frame *f, bool *redraw,
		   enum st_action *action);
/* Whether task t passes the filter of v. */
bool st_task_shown(const struct st_view *v, const struct st_frame_task *t);

/* ---- the sources -------------------------------------------------------- */

int st_live_main(const struct st_opts *o);
int st_trace_main(const struct st_opts *o);

/*
 * The common frame cycle. A source fills snapshots and hands each to
 * st_run_frame(), which builds the frame, prints or draws it, and keeps it
 * for redraws. st_run_wait() waits up to timeout_ms for fd (-1: none) and,
 * on the screen, handles keys meanwhile.
 */
struct st_run {
	const struct st_opts *o;
	struct st_view view;
	enum st_sort sort;
	long filter_pid;       /* loops of this process only; -1: all */
	struct st_snap prev;
	struct st_frame last;
	struct st_frame *shown; /* trace: the frame on the screen; NULL: last */
	bool quiet;            /* build frames without drawing (seeking) */
	enum st_action action; /* the action of ST_WAIT_ACTION */
	st_detail_fn *detail;  /* NULL: the frame's figures only */
	void *detail_arg;
	struct st_alerts alerts;
	uint64_t frames;
	uint64_t alerts_shown;
	bool screen;
	bool failed;           /* out of memory */
	int64_t trace_start;
	/* What st_check_ongoing() already raised, per loop. */
	struct {
		uint64_t loop;
		int64_t vpid;
		uint64_t task;
		int64_t begin;
		int64_t since[ST_PRIOS];
	} ongoing[64];
	size_t nongoing;
	/* Called on each frame before it is shown (live: CPU, threads). */
	void (*annotate)(struct st_frame *f, void *arg);
	void *annotate_arg;
};

/* False when the frame count (-n) is reached or memory ran out. */
bool st_run_frame(struct st_run *r, struct st_snap *cur, double wall);
/* The same, with the frame's alerts those raised before alerts_to (a
 * source that shows a frame after reading past its end). */
bool st_run_frame_upto(struct st_run *r, struct st_snap *cur, double wall,
		       uint64_t alerts_to);

/* Raises an alert for a run still going past long_ns and for a priority
 * still starving past starve_ns at the snapshot's time, once each. */
void st_check_ongoing(struct st_run *r, const struct st_snap *s,
		      int64_t long_ns, int64_t starve_ns);

enum { ST_WAIT_TIMEOUT, ST_WAIT_FD, ST_WAIT_KEY, ST_WAIT_ACTION,
       ST_WAIT_QUIT, ST_WAIT_SIGNAL };
int st_run_wait(struct st_run *r, int fd, int timeout_ms);
void st_run_free(struct st_run *r);

const char *st_fmt_ns(int64_t ns, char *buf, size_t len);

/*
 * What ran while runs[i] waited (from its ready_at to its begin): the time
 * each task (or posted work) ran inside that wait, summed over the whole
 * wait, the three largest written to buf as "name TIME, name TIME, ..."
 * (largest first; "" when nothing ran or the wait is unknown). runs[0 .. i]
 * are one loop's runs in order (struct an_run, tools/common/analysis.h).
 * Returns how many names it wrote, or -1 when out of memory (buf "").
 */
struct an_run;
int st_waited_behind(const struct an_run *runs, size_t i, char *buf,
		     size_t len);
const char *st_prio_name(int prio);
const char *st_kind_name(int kind);

#endif /* SCHEDTOP_H */
