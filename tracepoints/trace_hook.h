/*
 * The in-process consumer of libsched's trace events: one hook function
 * that receives every event the library emits, as a plain C record, on the
 * thread that emits it. schedreplay measures its replays through it (the
 * replay's loop runs in the tool's own process, so the replay is measured
 * from the same events, in the same order, as a recording would hold).
 *
 * A record is struct lsched_tp_rec_<event>: the event's fields, named and
 * ordered as in events.def, with pointers as uint64_t, strings never NULL
 * (an absent name is "", as LTTng records it) and int fields as int32_t.
 * That is the layout of trace_read's struct tr_ev_<event>, so a tool can
 * copy a record into a struct tr_event.
 *
 * Internal: lsched__trace_hook_set() is in libsched.a (and hidden in
 * libsched.so); a program that wants it links the static library. Plain C,
 * no dependency: tools include it.
 */
#ifndef LSCHED_TRACE_HOOK_H
#define LSCHED_TRACE_HOOK_H

#include "trace_map.h"

#include <stdbool.h>

/* One value per event of events.def, in its order. */
enum lsched_tp_event {
#define LSCHED_EVENT(ev, ...) LSCHED_TP_EV_##ev,
#include "events.def"
#undef LSCHED_EVENT
	LSCHED_TP_EV_COUNT
};

#define LSCHED__HOOK_CTYPE_PTR uint64_t
#define LSCHED__HOOK_CTYPE_STR const char *
#define LSCHED__HOOK_CTYPE_U64 uint64_t
#define LSCHED__HOOK_CTYPE_I64 int64_t
#define LSCHED__HOOK_CTYPE_INT int32_t
#define LSCHED__HOOK_CTYPE_DPTR uint64_t
#define LSCHED__HOOK_CTYPE_DSTR const char *
#define LSCHED__HOOK_CTYPE_DU64 uint64_t
#define LSCHED__HOOK_CTYPE_DI64 int64_t
#define LSCHED__HOOK_CTYPE_DINT int32_t
#define LSCHED__HOOK_MEMBER(k, n) LSCHED__HOOK_CTYPE_##k n;
#define LSCHED__HOOK_NOSEP()

#define LSCHED_EVENT(ev, ...)                                                  \
	struct lsched_tp_rec_##ev {                                            \
		LSCHED__TP_MAP(LSCHED__HOOK_MEMBER, LSCHED__HOOK_NOSEP,        \
			       __VA_ARGS__)                                    \
	};
#include "events.def"
#undef LSCHED_EVENT

/* rec points to the struct lsched_tp_rec_<event> of ev, valid during the
 * call only. Called on the emitting thread (perform_enqueue and
 * perform_wake on the posting thread, the others on the loop's thread). */
typedef void (*lsched_trace_hook_fn)(enum lsched_tp_event ev, const void *rec,
				     void *arg);

/*
 * Installs fn (NULL removes the hook). While a hook is installed every
 * trace site is on but loop_check's, as if a USDT consumer listened to
 * every probe (its semaphores are raised): the library pays the cost of
 * tracing. loop_check, which costs a look at the ready queues after every
 * run and serves triggers, not recordings, is asked for apart with
 * lsched__trace_hook_checks(). Call it while no loop runs and no thread
 * posts work: installing is not synchronised with the sites. Removing the
 * hook also ends its loop_check. Returns 0, or -ENOTSUP for a library
 * built with TRACE=0 (no trace site exists).
 */
int lsched__trace_hook_set(lsched_trace_hook_fn fn, void *arg);

/*
 * on: the installed hook also receives loop_check (its USDT semaphore is
 * raised, as a consumer of that probe would); off: it no longer does.
 * Same rules as lsched__trace_hook_set(). Returns 0, -EINVAL to turn it
 * on with no hook installed, -ENOTSUP for a TRACE=0 library.
 */
int lsched__trace_hook_checks(bool on);

#endif /* LSCHED_TRACE_HOOK_H */
