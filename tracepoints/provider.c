/*
 * The LTTng-UST provider of libsched's events: build/lib/libsched-lttng.so.
 * Load it (LD_PRELOAD, or link it) to let an LTTng session record the
 * library's events; without it the library's tracepoints stay off and cost
 * one branch each. See docs/tracepoints.md.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "libsched_tp.h"
