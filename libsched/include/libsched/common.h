/*
 * libsched: common definitions shared by every public header.
 *
 * Conventions used throughout the API:
 *  - Actions return 0 on success or a negative errno value (LSCHED_E*).
 *  - Predicates return bool.
 *  - Constructors return a pointer, or NULL with errno set.
 *  - Times and durations are int64_t nanoseconds. Timestamps count from the
 *    origin of the loop's clock (CLOCK_MONOTONIC for the real clock).
 */
#ifndef LIBSCHED_COMMON_H
#define LIBSCHED_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LSCHED_BUILDING) && defined(__GNUC__)
#define LSCHED_API __attribute__((visibility("default")))
#else
#define LSCHED_API
#endif

#define LSCHED_VERSION_MAJOR 0
#define LSCHED_VERSION_MINOR 1
#define LSCHED_VERSION_PATCH 0

/* Duration helpers: all durations in the API are nanoseconds. */
#define LSCHED_NS(x) ((int64_t)(x))
#define LSCHED_US(x) ((int64_t)(x) * INT64_C(1000))
#define LSCHED_MS(x) ((int64_t)(x) * INT64_C(1000000))
#define LSCHED_S(x)  ((int64_t)(x) * INT64_C(1000000000))

/*
 * Every error code the library returns, with its message. One table yields
 * both the LSCHED_E* constants and lsched_strerror(), so they cannot drift.
 */
#define LSCHED_ERRNO_MAP(X)                                                    \
	X(EINVAL, "invalid argument")                                          \
	X(ENOMEM, "out of memory")                                             \
	X(EBUSY, "object is busy (running or in use)")                         \
	X(ENOENT, "no such object registered")                                 \
	X(EEXIST, "object already registered")                                 \
	X(EBADF, "bad file descriptor")                                        \
	X(ELOOP, "would create a dependency cycle")                            \
	X(EAGAIN, "resource temporarily unavailable")                          \
	X(EDEADLK, "operation would deadlock")                                 \
	X(ECANCELED, "operation canceled")                                     \
	X(ESHUTDOWN, "object is closed")                                       \
	X(EPERM, "operation not permitted")                                    \
	X(ENOSYS, "function not implemented")                                  \
	X(EMFILE, "too many open files")                                       \
	X(ENFILE, "too many open files in system")                             \
	X(ENOSPC, "no space left (limit reached)")                             \
	X(EIO, "input/output error")

enum {
#define LSCHED_ERRNO_GEN(name, msg) LSCHED_##name = -name,
	LSCHED_ERRNO_MAP(LSCHED_ERRNO_GEN)
#undef LSCHED_ERRNO_GEN
};

/*
 * Returns a static, human-readable message for an error code returned by
 * the library. Accepts the negative code (as returned) or a positive errno.
 * Never returns NULL: 0 gets "success", unknown codes "unknown error".
 * Thread-safe.
 */
LSCHED_API const char *lsched_strerror(int err);

/*
 * Returns the symbolic name of an error code ("EINVAL"), or "UNKNOWN" (also
 * for 0). Accepts negative or positive values. Thread-safe.
 */
LSCHED_API const char *lsched_errname(int err);

/*
 * Returns the schema version of the trace events this build of the library
 * emits (LTTng-UST provider "libsched" and USDT probes libsched:*; see
 * docs/tracepoints.md), or 0 if it was built without tracepoints
 * (make TRACE=0). Thread-safe; never fails.
 */
LSCHED_API int lsched_trace_schema(void);

/* Opaque handles. */
typedef struct lsched_clock lsched_clock;
typedef struct lsched_loop lsched_loop;
typedef struct lsched_timer lsched_timer;
typedef struct lsched_task lsched_task;

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_COMMON_H */
