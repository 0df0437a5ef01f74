/*
 * libsched: an instrumented, priority-based cooperative scheduler.
 * Include this one header to get the whole public API.
 */
#ifndef LIBSCHED_LIBSCHED_H
#define LIBSCHED_LIBSCHED_H

#include <libsched/common.h>
#include <libsched/clock.h>
#include <libsched/loop.h>
#include <libsched/task.h>
#include <libsched/stopwatch.h>
#include <libsched/performer.h>
#include <libsched/server.h>
#include <libsched/pool.h>
#include <libsched/dispatcher.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH": a static string, never
 * freed. Thread-safe. */
LSCHED_API const char *lsched_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_LIBSCHED_H */
