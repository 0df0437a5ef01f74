/*
 * trace_read: the input layer of the libsched tools (schedprof, schedtop's
 * trace mode, schedreplay, the tracepoint tests). It reads the CTF traces
 * an LTTng session recorded from the "libsched" LTTng-UST provider, with
 * libbabeltrace2, and hands every libsched event to a callback as a
 * decoded C struct.
 *
 *	struct tr_reader *r = tr_reader_new();
 *	struct tr_handlers h = { .event = on_event, .arg = &state };
 *
 *	if (!r)
 *		die("out of memory");
 *	if (tr_reader_add_path(r, dir) < 0 || tr_reader_run(r, &h) < 0)
 *		die("%s", tr_reader_error(r));
 *	if (!tr_stats_complete(tr_reader_stats(r)))
 *		warn("the trace is incomplete: the tracer discarded events");
 *	tr_reader_free(r);
 *
 * Underneath, one babeltrace2 graph: a source.ctf.fs component per CTF
 * trace directory found under the paths (a directory holding a "metadata"
 * file), all their streams merged by time by one filter.utils.muxer, and
 * a sink of ours that decodes the events. Events therefore arrive in time
 * order across every trace, stream and process given.
 *
 * The event types and their fields are not written here: they come from
 * tracepoints/events.def, the definition the library's tracepoints are
 * generated from, so that a reader cannot drift from the library. Fields
 * are looked up by name, once per event class, and must have the kind
 * events.def gives them; a libsched event class must carry the EMF URI of
 * the schema this reader was built for (LSCHED_TRACE_SCHEMA_URI).
 *
 * Build with -Itracepoints (for events.def and schema.h) and link with
 * libbabeltrace2 (pkg-config babeltrace2).
 *
 * Threads: a reader is used by one thread at a time; readers are
 * independent of each other.
 */
#ifndef TOOLS_TRACE_READ_H
#define TOOLS_TRACE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "schema.h"

/* ---- event types, generated from events.def ---------------------------- */

/* TR__MAP(M, X, (K, n), ...) expands M(X, K, n) for each (KIND, name)
 * pair of an event: at most 12, sys/sdt.h's limit (a 13th does not
 * compile). Our own copy: tracepoints/trace_map.h is the library's. */
#define TR__CALL(M, ...) M(__VA_ARGS__)
#define TR__UNPACK(k, n) k, n
#define TR__NARG(...) \
	TR__NARG_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define TR__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, N, ...) N
#define TR__CAT(a, b) TR__CAT_(a, b)
#define TR__CAT_(a, b) a##b
#define TR__MAP(M, X, ...) \
	TR__CAT(TR__MAP, TR__NARG(__VA_ARGS__))(M, X, __VA_ARGS__)
#define TR__MAP1(M, X, a) TR__CALL(M, X, TR__UNPACK a)
#define TR__MAP2(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP1(M, X, __VA_ARGS__)
#define TR__MAP3(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP2(M, X, __VA_ARGS__)
#define TR__MAP4(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP3(M, X, __VA_ARGS__)
#define TR__MAP5(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP4(M, X, __VA_ARGS__)
#define TR__MAP6(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP5(M, X, __VA_ARGS__)
#define TR__MAP7(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP6(M, X, __VA_ARGS__)
#define TR__MAP8(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP7(M, X, __VA_ARGS__)
#define TR__MAP9(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP8(M, X, __VA_ARGS__)
#define TR__MAP10(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP9(M, X, __VA_ARGS__)
#define TR__MAP11(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP10(M, X, __VA_ARGS__)
#define TR__MAP12(M, X, a, ...) TR__MAP1(M, X, a) TR__MAP11(M, X, __VA_ARGS__)

/* How each field kind of events.def is delivered. */
#define TR__CTYPE_PTR uint64_t    /* a pointer of the traced process */
#define TR__CTYPE_STR const char * /* never NULL; valid during the callback */
#define TR__CTYPE_U64 uint64_t
#define TR__CTYPE_I64 int64_t      /* ns on the loop's clock */
#define TR__CTYPE_INT int32_t
/* The D kinds of events.def: fields that schema 2 leaves out of the LTTng
 * record and the reader derives (docs/tracepoints.md); same C types. */
#define TR__CTYPE_DPTR TR__CTYPE_PTR
#define TR__CTYPE_DSTR TR__CTYPE_STR
#define TR__CTYPE_DU64 TR__CTYPE_U64
#define TR__CTYPE_DI64 TR__CTYPE_I64
#define TR__CTYPE_DINT TR__CTYPE_INT

/* One value per event of events.def: TR_EV_task_enqueue, ... */
enum tr_type {
#define LSCHED_EVENT(ev, ...) TR_EV_##ev,
#include "events.def"
#undef LSCHED_EVENT
	TR_EV_COUNT
};

/* struct tr_ev_<event>: the event's fields, named and ordered as in
 * events.def. */
#define TR__MEMBER(ev, k, n) TR__CTYPE_##k n;
#define LSCHED_EVENT(ev, ...)                                                  \
	struct tr_ev_##ev {                                                    \
		TR__MAP(TR__MEMBER, ev, __VA_ARGS__)                           \
	};
#include "events.def"
#undef LSCHED_EVENT

enum tr_kind {
	TR_KIND_PTR, TR_KIND_STR, TR_KIND_U64, TR_KIND_I64, TR_KIND_INT
};

/* A field of an event type, for code that handles every type alike (a
 * dump, a generic filter): the value is at (const char *)ev + offset,
 * of the C type of its kind (TR__CTYPE_*). */
struct tr_field {
	const char *name;
	enum tr_kind kind;
	size_t offset;
	/* Schema 2 leaves it out of the LTTng record (a D kind of
	 * events.def); the reader derives it (docs/tracepoints.md). */
	bool derived;
};

/* "task_enqueue" (without the "libsched:" provider), or NULL if out of
 * range. */
const char *tr_type_name(enum tr_type type);
/* The type of "task_enqueue" or "libsched:task_enqueue"; -1 if unknown. */
int tr_type_lookup(const char *name);
/* The fields of a type, in events.def order; *n gets their count. NULL
 * (and *n = 0) if out of range. */
const struct tr_field *tr_type_fields(enum tr_type type, unsigned *n);

/* ---- what the callbacks receive ---------------------------------------- */

/*
 * A CTF trace: one directory with its own metadata. LTTng writes one per
 * user and bitness (per-UID buffers, the default) or one per process
 * (per-PID buffers). Owned by the reader; valid until tr_reader_free().
 */
struct tr_trace {
	unsigned index;       /* 0, 1, ... in discovery order (sorted paths) */
	const char *path;     /* the trace directory, as found */
	const char *session;  /* LTTng session name (env trace_name) or NULL */
	const char *hostname; /* env hostname or NULL */
	int64_t vpid;         /* env vpid (per-PID buffers), else -1 */
	const char *procname; /* env procname (per-PID buffers), else NULL */
	unsigned recording;   /* the index of its struct tr_recording */
};

/*
 * A recording: the traces one LTTng tracing session wrote, known from the
 * environment of each trace's metadata (read when the trace is added):
 * the same hostname, session name (trace_name) and session creation time
 * (trace_creation_datetime). A session's per-UID traces (one per user and
 * bitness) and per-PID traces (one per process, --all-processes) are one
 * recording; so are the flight-recorder saves of one session (their own
 * rule, that two saves of one process overlap, is flightmark.h's). A
 * trace without LTTng's trace_name is a recording of its own. Owned by the
 * reader; valid until tr_reader_free().
 */
struct tr_recording {
	unsigned index;       /* 0, 1, ... in the order of their first trace */
	/* The directory that holds its traces: their common directory above
	 * LTTng's own layout (ust/uid/UID/64-bit, ust/pid/NAME-PID-TIME),
	 * which is the session's output directory. */
	const char *dir;
	const char *session;  /* env trace_name, or NULL */
	const char *hostname; /* env hostname, or NULL */
	const char *created;  /* env trace_creation_datetime as written
			       * ("20261207T045550+0000"), or NULL */
	unsigned traces;      /* how many trace directories it has */
};

/* A stream of a trace: LTTng writes one per CPU and channel. Owned by the
 * reader; valid until tr_reader_free(). */
struct tr_stream {
	unsigned index;               /* 0, 1, ... in order of appearance */
	uint64_t id;                  /* babeltrace2's id, within its trace */
	const struct tr_trace *trace;
};

/*
 * One libsched event. The reader owns it and reuses it: it and its
 * strings are valid during the callback only (copy what must outlive it).
 * Only the union member of `type` is meaningful.
 *
 * Which process and thread: vtid, vpid and procname come from the LTTng
 * contexts of the same names (lttng add-context -u -t vtid -t vpid -t
 * procname); vpid and procname fall back on the trace's environment with
 * per-PID buffers. Pointer fields (loop, performer, ...) are unique within
 * a process only: key on vpid (or the trace, with per-PID buffers) too
 * when several processes may be in the trace.
 */
struct tr_event {
	enum tr_type type;
	/* The event's time: ns from its clock's origin (the default clock
	 * snapshot, bt_clock_snapshot_get_ns_from_origin()); for LTTng the
	 * origin is the Unix epoch. What orders events across traces. 0
	 * (and clock_ns too) if its stream has no clock, which LTTng
	 * streams always have. */
	int64_t ts;
	/* The same instant as the raw value of the clock, in ns: for
	 * LTTng-UST that is CLOCK_MONOTONIC, the base of the payload's times
	 * (now, begin, ...) when the loop runs on the real clock. */
	int64_t clock_ns;
	int64_t vtid;         /* -1 without the vtid context */
	int64_t vpid;         /* -1 without the vpid context or env */
	const char *procname; /* NULL without the procname context or env */
	const struct tr_stream *stream;
	union {
#define LSCHED_EVENT(ev, ...) struct tr_ev_##ev ev;
#include "events.def"
#undef LSCHED_EVENT
	};
};

/*
 * The tracer lost data: a discarded-events message (a ring buffer was full
 * and LTTng dropped events) or a discarded-packets message (whole packets
 * missing, e.g. in overwrite mode). The trace is incomplete from begin to
 * end on that stream.
 */
struct tr_discard {
	bool packets;       /* discarded packets, else discarded events */
	bool count_known;   /* the tracer said how many */
	uint64_t count;     /* how many, when count_known */
	bool has_range;     /* begin and end are known */
	int64_t begin, end; /* ns from origin, as tr_event.ts */
	const struct tr_stream *stream;
};

/*
 * The callbacks, any of them NULL. Each returns 0 to go on, or non-zero
 * to stop the reading: tr_reader_run() then returns TR_STOPPED.
 */
struct tr_handlers {
	int (*event)(const struct tr_event *ev, void *arg);
	int (*discard)(const struct tr_discard *d, void *arg);
	void *arg;
};

/* What a run saw. */
struct tr_stats {
	uint64_t events;                 /* libsched events delivered */
	uint64_t per_type[TR_EV_COUNT];  /* of them, per type */
	uint64_t foreign;                /* other providers' events, skipped */
	/* libsched events this reader does not know (a newer library adds
	 * events without changing the schema): skipped. */
	uint64_t unknown;
	/* Schema 2: task events of a task not named yet (its task_name, once
	 * per 100 ms epoch, not yet read: the first epoch of a flight
	 * recorder's snapshot), in a trace that records task_name: skipped,
	 * as if the snapshot began later for that task. */
	uint64_t unnamed;
	uint64_t discarded_events;       /* the known counts, summed */
	uint64_t discarded_events_msgs;  /* discard reports (count or not) */
	uint64_t discarded_packets;
	uint64_t discarded_packets_msgs;
	unsigned traces;                 /* trace directories read */
	unsigned streams;
	int64_t first_ts, last_ts;       /* of the events delivered, if any */
};

/* Whether nothing was lost: no discarded events or packets reported. */
static inline bool tr_stats_complete(const struct tr_stats *s)
{
	return s->discarded_events_msgs == 0 && s->discarded_packets_msgs == 0;
}

/* ---- the reader -------------------------------------------------------- */

/* Error codes: what went wrong, for callers that react differently (a
 * missing trace may be "nothing recorded"); tr_reader_error() says it in
 * one line. */
enum tr_error {
	TR_OK = 0,
	TR_STOPPED = 1,       /* a callback stopped the run (not an error) */
	TR_ERR_PATH = -1,     /* a path is missing or unreadable */
	TR_ERR_NOTRACE = -2,  /* no CTF trace under a path */
	TR_ERR_CORRUPT = -3,  /* babeltrace2 cannot decode a trace */
	TR_ERR_SCHEMA = -4,   /* another trace schema, or a field missing or
			       * of the wrong kind */
	TR_ERR_SETUP = -5,    /* babeltrace2 plugins missing, graph refused */
	TR_ERR_NOMEM = -6,
	TR_ERR_USAGE = -7,    /* misuse: run twice, add a path after a run */
	TR_ERR_RECORDING = -8, /* a live schedprof record still writes it */
	TR_ERR_MERGE = -9,    /* traces of several recordings, not allowed
			       * (tr_reader_allow_merge()) */
	TR_ERR_COPY = -10,    /* two copies of one trace (the same trace
			       * UUID): refused even when merging */
};

/*
 * The file that `schedprof record` keeps in its output directory while it
 * records, removed once the trace is complete. It holds one line, "PID
 * TIME": the recorder's pid and the time it wrote the file, in seconds
 * since the Epoch. A file whose PID no longer runs, or runs a process
 * started after TIME, was left by a recorder that died: it is ignored.
 */
#define TR_RECORDING_MARKER ".schedprof-recording"

/*
 * When process pid started, in seconds since the Epoch (from /proc), or
 * -1 if it does not run or /proc cannot tell. Thread-safe.
 */
int64_t tr_process_start_time(pid_t pid);

/*
 * The pid of the live recorder still writing the trace at path (a trace
 * directory, a metadata file, or a directory above them), found through
 * TR_RECORDING_MARKER in path or in one of its four nearest parents (an
 * LTTng trace lies four levels below its session's directory); 0 if none.
 * Thread-safe.
 */
pid_t tr_recording_pid(const char *path);

struct tr_reader;

/* A reader without paths. NULL only when out of memory. */
struct tr_reader *tr_reader_new(void);

/*
 * Adds the CTF traces found at path: a trace directory, a "metadata" file,
 * or a directory holding traces at any depth (an LTTng session's output
 * directory). Symbolic links below path are not followed; a trace
 * directory found twice is read once. Prepares their source components
 * (metadata is parsed here). Returns the number of traces added (0 if all
 * were already added), or a negative enum tr_error: TR_ERR_PATH,
 * TR_ERR_NOTRACE (nothing under path looks like a CTF trace),
 * TR_ERR_CORRUPT (a trace's metadata is invalid), TR_ERR_RECORDING (a
 * live `schedprof record` is still writing it: LTTng writes a trace's
 * metadata at the end, so what is there cannot be read yet), TR_ERR_COPY
 * (a trace found is a copy of one added before: the same trace UUID in
 * their metadata, or, for a trace without one, the same recording and
 * the same path below the session's directory, such as ust/uid/0/64-bit;
 * "A/ust/uid/0/64-bit and B/ust/uid/0/64-bit: two copies of one trace
 * (trace UUID U): give one of them"; refused whatever
 * tr_reader_allow_merge() says, since every event would count twice),
 * TR_ERR_SETUP,
 * TR_ERR_NOMEM, TR_ERR_USAGE. After an error the reader can only be
 * freed.
 */
int tr_reader_add_path(struct tr_reader *r, const char *path);

/*
 * Whether the traces added may come from several recordings (struct
 * tr_recording), read together as one (the tools' --merge). Off by
 * default: a directory holding the traces of several sessions (/tmp) is
 * then refused by tr_reader_run() rather than silently merged, since their
 * events would be mixed on one time axis. Call before tr_reader_run().
 */
void tr_reader_allow_merge(struct tr_reader *r, bool allow);

/*
 * Reads every trace added, delivering events and discard reports in time
 * order to h (which may be NULL to only count). Once per reader. Returns
 * TR_OK at the end of the traces, TR_STOPPED if a callback asked, or a
 * negative enum tr_error: TR_ERR_MERGE (traces of several recordings
 * without tr_reader_allow_merge(): nothing read; the error says how many
 * and how to pick one, then names the first three: "traces of 2 different
 * recordings (give the directory of one, or --merge to read them
 * together): /tmp/a: session s1; /tmp/b: session s2"), TR_ERR_CORRUPT, TR_ERR_SCHEMA,
 * TR_ERR_NOTRACE (no path added), TR_ERR_SETUP, TR_ERR_NOMEM,
 * TR_ERR_USAGE. The stats cover what was read up to the end or the error.
 */
int tr_reader_run(struct tr_reader *r, const struct tr_handlers *h);

/* What the run saw so far. Valid until tr_reader_free(). */
const struct tr_stats *tr_reader_stats(const struct tr_reader *r);

/* The traces added, index 0 to tr_reader_trace_count() - 1. */
unsigned tr_reader_trace_count(const struct tr_reader *r);
const struct tr_trace *tr_reader_trace(const struct tr_reader *r,
				       unsigned index);

/* The recordings of the traces added, index 0 to
 * tr_reader_recording_count() - 1. */
unsigned tr_reader_recording_count(const struct tr_reader *r);
const struct tr_recording *tr_reader_recording(const struct tr_reader *r,
					       unsigned index);

/*
 * Says on f which recordings r holds when there are several (read
 * together: tr_reader_allow_merge()), a line each after a first line,
 * every line starting "PROG: ":
 *   schedprof: merged 2 recordings (--merge):
 *   schedprof:   /tmp/a: session schedprof-41-179661, created 2026-12-07
 *                04:55:50 UTC, 1 trace
 * Nothing for one recording (the usual case stays quiet). Returns the
 * number of recordings. Thread-safe as far as f is.
 */
unsigned tr_reader_print_merged(const struct tr_reader *r, FILE *f,
				const char *prog);

/*
 * The reader's error, one line without a newline, naming the path or
 * trace concerned ("t/ust/uid/0/64-bit: trace schema 2, expected 1 (event
 * libsched:task_enqueue)"); "" if none. The first error is kept: what
 * fails after it follows from it. Valid until tr_reader_free().
 */
const char *tr_reader_error(const struct tr_reader *r);

/* Frees the reader and everything it handed out. NULL is a no-op. */
void tr_reader_free(struct tr_reader *r);

#endif /* TOOLS_TRACE_READ_H */
