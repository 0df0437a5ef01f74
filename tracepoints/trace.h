/*
 * The library's one tracing macro layer. Every trace site in libsched is
 *
 *     LSCHED_TRACE(event, field values...);
 *
 * with the fields of that event in events.def, in order (they are
 * type-checked). The values are evaluated only while a consumer listens:
 * an LTTng session with the event enabled (the provider
 * build/lib/libsched-lttng.so loaded), or a USDT consumer (BPF, perf,
 * SystemTap) that raised the probe's semaphore. Otherwise a site costs two
 * loads and one branch. A site that must prepare a value beforehand (read
 * a clock, say) asks LSCHED_TRACE_ON(event) first.
 *
 * Built with LSCHED_TRACE_DISABLED (make TRACE=0) every site compiles to
 * nothing; the arguments are still type-checked.
 *
 * Not installed: events.def and docs/tracepoints.md are the contract.
 */
#ifndef LSCHED_TRACE_H
#define LSCHED_TRACE_H

#include "trace_map.h"
#include "trace_hook.h"

#ifndef LSCHED_TRACE_DISABLED

#define LTTNG_UST_TRACEPOINT_HIDDEN_DEFINITION
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "libsched_tp.h"

#define _SDT_HAS_SEMAPHORES 1
#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>

/* The USDT semaphores: a consumer attached to libsched:<event> raises
 * libsched_<event>_semaphore (trace.c defines them in .probes). */
#define LSCHED_EVENT(ev, ...)                                                  \
	extern volatile unsigned short libsched_##ev##_semaphore               \
		__attribute__((visibility("hidden")));
#include "events.def"
#undef LSCHED_EVENT

/* The in-process hook (trace_hook.h), read only inside the cold emitters
 * below: sites cost nothing more for it. */
struct lsched__trace_hook {
	lsched_trace_hook_fn fn;
	void *arg;
};
extern struct lsched__trace_hook lsched__trace_hook
	__attribute__((visibility("hidden")));
#define LSCHED__HOOK_VAL_PTR(n) (uint64_t)(uintptr_t)(n)
#define LSCHED__HOOK_VAL_STR(n) ((n) ? (n) : "")
#define LSCHED__HOOK_VAL_U64(n) (n)
#define LSCHED__HOOK_VAL_I64(n) (n)
#define LSCHED__HOOK_VAL_INT(n) (int32_t)(n)
#define LSCHED__HOOK_VAL_DPTR LSCHED__HOOK_VAL_PTR
#define LSCHED__HOOK_VAL_DSTR LSCHED__HOOK_VAL_STR
#define LSCHED__HOOK_VAL_DU64 LSCHED__HOOK_VAL_U64
#define LSCHED__HOOK_VAL_DI64 LSCHED__HOOK_VAL_I64
#define LSCHED__HOOK_VAL_DINT LSCHED__HOOK_VAL_INT
#define LSCHED__HOOK_INIT(k, n) .n = LSCHED__HOOK_VAL_##k(n)

/* Through a macro, so that the argument list is expanded before sys/sdt.h
 * counts it. */
#define LSCHED__TP_STAP(ev, ...) STAP_PROBEV(libsched, ev, __VA_ARGS__)

/* Non-zero while an LTTng session records ev or a USDT consumer listens:
 * two loads OR-ed, so that a site is one branch. */
#define LSCHED__TP_RAW(ev)                                                     \
	(*(volatile int *)&lttng_ust_tracepoint_libsched___##ev.state |        \
	 libsched_##ev##_semaphore)
#define LSCHED_TRACE_ON(ev) __builtin_expect(LSCHED__TP_RAW(ev) != 0, 0)
/* Any of two to four events: still one branch. */
#define LSCHED_TRACE_ON2(a, b)                                                 \
	__builtin_expect((LSCHED__TP_RAW(a) | LSCHED__TP_RAW(b)) != 0, 0)
#define LSCHED_TRACE_ON3(a, b, c)                                              \
	__builtin_expect((LSCHED__TP_RAW(a) | LSCHED__TP_RAW(b) |              \
			  LSCHED__TP_RAW(c)) != 0,                              \
			 0)
#define LSCHED_TRACE_ON4(a, b, c, d)                                           \
	__builtin_expect((LSCHED__TP_RAW(a) | LSCHED__TP_RAW(b) |              \
			  LSCHED__TP_RAW(c) | LSCHED__TP_RAW(d)) != 0,          \
			 0)

/* Out of line and cold: a site in a hot function costs its caller only
 * the test and a call in a cold block, not the registers that marshalling
 * ten arguments would otherwise claim on every path. */
#define LSCHED_EVENT(ev, ...)                                                  \
	static __attribute__((noinline, cold, unused)) void lsched__tp_##ev(   \
		LSCHED__TP_MAP(LSCHED__TP_PARAM, LSCHED__TP_COMMA, __VA_ARGS__)) \
	{                                                                      \
		struct lsched_tp_rec_##ev rec = { LSCHED__TP_MAP(              \
			LSCHED__HOOK_INIT, LSCHED__TP_COMMA, __VA_ARGS__) };   \
									       \
		if (lttng_ust_tracepoint_enabled(libsched, ev))                \
			lttng_ust_do_tracepoint(libsched, ev, &rec);           \
		if (libsched_##ev##_semaphore)                                 \
			LSCHED__TP_STAP(ev, LSCHED__TP_MAP(LSCHED__TP_NAME,    \
					LSCHED__TP_COMMA, __VA_ARGS__));       \
		if (lsched__trace_hook.fn)                                     \
			lsched__trace_hook.fn(LSCHED_TP_EV_##ev, &rec,         \
					      lsched__trace_hook.arg);         \
	}
#include "events.def"
#undef LSCHED_EVENT

#define LSCHED_TRACE(ev, ...)                                                  \
	do {                                                                   \
		if (LSCHED_TRACE_ON(ev))                                       \
			lsched__tp_##ev(__VA_ARGS__);                          \
	} while (0)

#else /* LSCHED_TRACE_DISABLED */

#define LSCHED_EVENT(ev, ...)                                                  \
	static inline __attribute__((always_inline)) void lsched__tp_##ev(     \
		LSCHED__TP_MAP(LSCHED__TP_PARAM, LSCHED__TP_COMMA, __VA_ARGS__)) \
	{                                                                      \
	}
#include "events.def"
#undef LSCHED_EVENT

#define LSCHED_TRACE_ON(ev) 0
#define LSCHED_TRACE_ON2(a, b) 0
#define LSCHED_TRACE_ON3(a, b, c) 0
#define LSCHED_TRACE_ON4(a, b, c, d) 0
#define LSCHED_TRACE(ev, ...)                                                  \
	do {                                                                   \
		if (0)                                                         \
			lsched__tp_##ev(__VA_ARGS__);                          \
	} while (0)

#endif /* LSCHED_TRACE_DISABLED */

#endif /* LSCHED_TRACE_H */
