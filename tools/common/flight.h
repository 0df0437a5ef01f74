/*
 * flight: a flight recorder for libsched programs, on LTTng 2.13.
 *
 * The libsched events of one process (or of every process of the user) go
 * into LTTng-UST ring buffers in memory only (a snapshot-mode session,
 * overwrite mode): nothing is written while the program runs well. The
 * rules ("starve>150ms", "run>100ms", "backlog>50ms") become ONE trigger
 * in the session daemon: an event-rule-matches condition on the
 * libsched:loop_check event whose filter ORs every rule, with the event's
 * fields captured, and the actions [snapshot-session, notify], each once
 * (rate policy once-after:1). The session daemon takes the snapshot itself
 * as soon as the traced program emits a matching loop_check; the recorder
 * only learns of it through the notification, and then:
 *   - reads the snapshot OUT/.SESSION/snapshot-N-.../ back (no readable
 *     events or metadata: an incomplete save, removed),
 *   - writes the marker schedprof-flight.json into it (the rule that
 *     fired, decided from the captured values, the loop_check's fields,
 *     the discarded events; no marker: an incomplete save, removed),
 *   - renames it to OUT/flight-NNN-YYYYMMDD-HHMMSS/ (NNN from 001, above
 *     any in OUT; local time): a save is complete once it has that name,
 *   - unregisters the spent trigger and, while fewer than max_saves saves
 *     were made, registers a fresh one once hold_off_ms has passed.
 * So max_saves and the hold-off are exact: one arming gives one save.
 *
 * Everything goes through liblttng-ctl (no lttng command). Names: the
 * session is schedprof-PID-TIME (PID: the recorder's), its triggers
 * schedprof-PID-TIME-N. fl_reap_stale() removes those a dead recorder left.
 *
 * Threads: a recorder is used by one thread at a time (the caller's wait
 * loop calls fl_poll()); no thread of its own. fl_poll() never blocks: it
 * asks the notification channel whether a notification is pending
 * (lttng_notification_channel_has_pending_notification() polls its socket
 * without waiting) before reading it.
 *
 * Messages (a save made, a warning) go to the log callback of the
 * configuration, one line each without a newline; errors of a call also
 * go to the err buffer the call is given.
 */
#ifndef TOOLS_FLIGHT_H
#define TOOLS_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a rule compares, on the loop_check event. */
enum fl_rule_kind {
	FL_STARVE,  /* wait: the longest wait of a ready task at the check */
	FL_RUN,     /* run: the run that just ended */
	FL_BACKLOG, /* delay, for posted work (kind 1): its queue delay */
};

#define FL_RULE_TEXT 48
#define FL_MAX_RULES 16

struct fl_rule {
	enum fl_rule_kind kind;
	int64_t ns;              /* fires when the value is greater */
	char text[FL_RULE_TEXT]; /* as given, e.g. "starve>150ms" */
};

/*
 * Parses "starve>DUR", "run>DUR" or "backlog>DUR"; DUR is a plain decimal
 * number (numarg.h) with a unit ns, us, ms or s, greater than 0 and at
 * most 1 hour. Returns 0, or -1 with a one-line message in err (no
 * newline; errlen bytes at most).
 */
int fl_rule_parse(const char *s, struct fl_rule *out, char *err,
		  size_t errlen);

/* The trigger's filter for these rules (no process condition), into buf;
 * returns the length, as snprintf(). Exposed for the docs and tests. */
int fl_rules_filter(const struct fl_rule *rules, size_t n, char *buf,
		    size_t len);

typedef void (*fl_log_fn)(void *arg, const char *line);

struct fl_config {
	const char *outdir;      /* absolute; exists; saves go under it */
	/* The process to record: > 0 that vpid (tracked at fl_start()), 0
	 * every process of the user, FL_PID_LATER none until fl_track(). */
	pid_t pid;
	const struct fl_rule *rules; /* copied */
	size_t nrules;               /* 1 to FL_MAX_RULES */
	unsigned subbuf_mb;     /* sub-buffer size, a power of two >= 1 */
	unsigned num_subbuf;    /* sub-buffers per CPU ring, power of two */
	unsigned max_saves;     /* >= 1: no arming after that many */
	int64_t hold_off_ms;    /* between a save and the next arming */
	int64_t keep_ns;        /* a save holding less is warned of; 0 off */
	fl_log_fn log;          /* NULL: stderr, "flight: " first */
	void *log_arg;
};

#define FL_PID_LATER ((pid_t)-1)

/* A save, as told to fl_save_at(). */
struct fl_save {
	unsigned number;        /* 1, 2, ... */
	char path[4096];        /* OUT/flight-NNN-YYYYMMDD-HHMMSS */
	char rule[FL_RULE_TEXT]; /* the rule that fired, or "exit" */
	int64_t span_ns;        /* last - first event of the save; -1 unknown */
	uint64_t events;        /* libsched events it holds */
	uint64_t discarded;     /* events the session had discarded by then */
};

struct fl_recorder;

/*
 * Creates and starts the snapshot session (schedprof-PID-TIME, snapshot
 * output its own cfg->outdir/.schedprof-PID-TIME/, removed by fl_stop();
 * such directories of recorders that no longer run are removed first;
 * saves are renamed from there to cfg->outdir/flight-NNN-..., NNN the
 * first free number in cfg->outdir, under a flock() of it): one per-UID UST channel "flight" in overwrite mode
 * with cfg->num_subbuf sub-buffers of cfg->subbuf_mb MiB per CPU, the
 * events libsched:* except libsched:loop_check, the vtid, vpid and
 * procname contexts, the vpid tracker (the inclusion set {cfg->pid},
 * empty for FL_PID_LATER, off for 0); subscribes to the notifications and,
 * unless cfg->pid is FL_PID_LATER, arms the first trigger. On success
 * *out gets the recorder (free it with fl_stop()), and 0 is returned;
 * else -1, a message in err, and nothing is left in the session daemon.
 * Needs a running session daemon.
 */
int fl_start(const struct fl_config *cfg, struct fl_recorder **out,
	     char *err, size_t errlen);

struct lttng_handle;

/*
 * What every recording of libsched holds, on the user-space channel
 * `channel` of the session behind h (schedprof record's and the flight
 * recorder's): every libsched event but libsched:loop_check (it serves
 * triggers; docs/tracepoints.md), with the vtid, vpid and procname
 * contexts. Returns 0, or a negative LTTng error code with *what naming
 * the step that failed (a static string). h stays the caller's.
 */
int fl_enable_libsched(struct lttng_handle *h, const char *channel,
		       const char **what);

/*
 * The virtual-PID tracker of the session's user-space domain: pid <= 0
 * makes its policy "the inclusion set" (empty until a pid is added); a pid
 * > 0 is added to the set. Returns 0 (also when the pid was already in
 * it), or a negative LTTng error code.
 */
int fl_track_vpid(const char *session, pid_t pid);

/* The session's name (valid until fl_stop()). */
const char *fl_session_name(const struct fl_recorder *fr);

/* For FL_PID_LATER: tracks pid and arms the first trigger (its filter
 * names the pid: triggers are not limited by the session's tracker).
 * With cfg->pid 0 (every process): only names pid in the saves' markers.
 * Once. Returns 0, or -1 with a message in err. */
int fl_track(struct fl_recorder *fr, pid_t pid, char *err, size_t errlen);

/*
 * The step: handles the notifications that came (each one a save), and
 * arms a fresh trigger once the hold-off after a save has passed. Call it
 * often from the wait loop (every 20-100 ms: the save is already made by
 * the daemon; the delay is only the renaming and the marker). Never
 * blocks. Returns the number of saves made by this call (>= 0), or -1 on
 * an error that ends the flight recording (the notification channel
 * closed: the session daemon died), said through the log.
 */
int fl_poll(struct fl_recorder *fr);

/* The save that fl_poll() or fl_stop() made last, or NULL. A save is
 * complete once it has its flight-NNN name: its marker is written inside
 * the snapshot before the directory is renamed. */
const struct fl_save *fl_last_save(const struct fl_recorder *fr);

/* What a recording did, for the end summary. */
struct fl_summary {
	unsigned saves;                 /* made, the exit save included */
	unsigned fired[FL_MAX_RULES];   /* saves per rule, by index */
	unsigned exit_saves;            /* 0 or 1 */
	unsigned missed;                /* fired, but no snapshot found */
	unsigned incomplete;            /* snapshots that could not become
					 * saves (no marker, no events or
					 * metadata): removed */
	uint64_t discarded;             /* the channel's count at the end */
	bool max_reached;               /* disarmed at max_saves */
	bool disk_low;                  /* disarmed: not room for a save */
};

/*
 * Ends the recording: disarms (unregisters the trigger), handles a
 * notification that came meanwhile, saves once more with rule "exit" if
 * save is true (lttng_snapshot_record(), taken by the recorder), stops
 * and destroys the session, closes the notification channel, and frees
 * fr. *sum (if not NULL) gets the summary. Returns 0, or -1 if something
 * could not be undone (said through the log, with the lttng command that
 * does it by hand).
 */
int fl_stop(struct fl_recorder *fr, bool save, struct fl_summary *sum);

/* The summary so far (fl_stop() gives the final one). */
void fl_get_summary(const struct fl_recorder *fr, struct fl_summary *sum);

/*
 * Removes what recorders that no longer run left in the session daemon:
 * the triggers named schedprof-PID-TIME-N and the sessions named
 * schedprof-PID-TIME whose PID no longer runs, or runs a process started
 * after TIME (the pid was reused). Others are left alone. Says what it
 * removed through log (NULL: stderr).
 */
void fl_reap_stale(fl_log_fn log, void *arg);

/* The name of the marker file at the top of each save. */
#define FL_MARKER "schedprof-flight.json"

#endif /* TOOLS_FLIGHT_H */
