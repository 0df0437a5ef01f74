/*
 * The tracepoints' storage: LTTng-UST's tracepoint definitions (reached
 * through its dynamic linkage, so the library links only -ldl) and the
 * USDT semaphores. See tracepoints/trace.h.
 */
#ifndef LSCHED_TRACE_DISABLED
#define LTTNG_UST_TRACEPOINT_DEFINE
#endif
#include "internal.h"

#ifndef LSCHED_TRACE_DISABLED
#define LSCHED_EVENT(ev, ...)                                                  \
	volatile unsigned short libsched_##ev##_semaphore                      \
		__attribute__((section(".probes"), used,                       \
			       visibility("hidden")));
#include "events.def"
#undef LSCHED_EVENT
/* Of the libsched:schema probe, which is not an event. */
volatile unsigned short libsched_schema_semaphore
	__attribute__((section(".probes"), used, visibility("hidden")));

struct lsched__trace_hook lsched__trace_hook;
#endif

int lsched__trace_hook_set(lsched_trace_hook_fn fn, void *arg)
{
#ifdef LSCHED_TRACE_DISABLED
	(void)fn;
	(void)arg;
	return -ENOTSUP;
#else
	bool was = lsched__trace_hook.fn != NULL;

	lsched__trace_hook.fn = fn;
	lsched__trace_hook.arg = arg;
	/* The hook is one more listener of every probe but loop_check's
	 * (asked for apart: lsched__trace_hook_checks()): its semaphores
	 * say so, as a USDT consumer's would (they count listeners). */
	/* Atomic: the kernel moves the same counters when a USDT consumer
	 * attaches or leaves meanwhile. */
	if (fn && !was) {
#define LSCHED_EVENT(ev, ...)                                                  \
	if (LSCHED_TP_EV_##ev != LSCHED_TP_EV_loop_check)                      \
		__atomic_fetch_add(&libsched_##ev##_semaphore, 1,              \
				   __ATOMIC_RELAXED);
#include "events.def"
#undef LSCHED_EVENT
	} else if (!fn && was) {
#define LSCHED_EVENT(ev, ...)                                                  \
	if (LSCHED_TP_EV_##ev != LSCHED_TP_EV_loop_check)                      \
		__atomic_fetch_sub(&libsched_##ev##_semaphore, 1,              \
				   __ATOMIC_RELAXED);
#include "events.def"
#undef LSCHED_EVENT
		lsched__trace_hook_checks(false);
	}
	return 0;
#endif
}

#ifndef LSCHED_TRACE_DISABLED
static bool hook_checks;
#endif

int lsched__trace_hook_checks(bool on)
{
#ifdef LSCHED_TRACE_DISABLED
	(void)on;
	return -ENOTSUP;
#else
	if (on && !lsched__trace_hook.fn)
		return -EINVAL;
	if (on && !hook_checks)
		__atomic_fetch_add(&libsched_loop_check_semaphore, 1,
				   __ATOMIC_RELAXED);
	else if (!on && hook_checks)
		__atomic_fetch_sub(&libsched_loop_check_semaphore, 1,
				   __ATOMIC_RELAXED);
	hook_checks = on;
	return 0;
#endif
}

int lsched_trace_schema(void)
{
#ifdef LSCHED_TRACE_DISABLED
	return 0;
#else
	/* Not an event: its constant argument tells USDT consumers the
	 * schema without running anything (readelf -n shows "-4@$1"). */
	LSCHED__TP_STAP(schema, LSCHED_TRACE_SCHEMA);
	return LSCHED_TRACE_SCHEMA;
#endif
}
