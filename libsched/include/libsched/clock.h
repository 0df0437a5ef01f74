/*
 * libsched clocks: one clock interface for the whole library.
 *
 * Every loop reads time through an lsched_clock. The real clock reads
 * CLOCK_MONOTONIC. A virtual clock only moves when told to (or, if
 * auto-advance is on, when a loop would otherwise sleep: the loop jumps the
 * clock to its next deadline instead of sleeping), so tests drive time
 * deterministically with no sleeps.
 *
 * Ownership: lsched_clock_monotonic() returns a process-wide static clock
 * that must not be destroyed. A virtual clock belongs to its creator, who
 * destroys it after every loop using it is destroyed.
 *
 * Thread-safety: every function here may be called from any thread; a
 * virtual clock's time is read and moved atomically. Time never goes
 * backwards: setting a virtual clock to an earlier time is refused.
 */
#ifndef LIBSCHED_CLOCK_H
#define LIBSCHED_CLOCK_H

#include <libsched/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The real monotonic clock (CLOCK_MONOTONIC), shared and never freed. */
LSCHED_API lsched_clock *lsched_clock_monotonic(void);

/*
 * Creates a virtual clock reading start_ns (>= 0). Returns NULL with errno
 * EINVAL (negative start) or ENOMEM.
 */
LSCHED_API lsched_clock *lsched_clock_new_virtual(int64_t start_ns);

/*
 * Destroys a virtual clock. Destroying the monotonic clock or NULL is a
 * no-op. Must not be called while a loop still uses the clock.
 */
LSCHED_API void lsched_clock_destroy(lsched_clock *clock);

/* Reads the clock now, uncached, in ns. Returns -EINVAL for NULL. */
LSCHED_API int64_t lsched_clock_now(const lsched_clock *clock);

/* True for a virtual clock. */
LSCHED_API bool lsched_clock_is_virtual(const lsched_clock *clock);

/*
 * Moves a virtual clock forward by delta_ns (>= 0).
 * Errors: -EINVAL for NULL, a negative delta, a delta that would overflow
 * int64_t (the clock is unchanged), or the real clock.
 */
LSCHED_API int lsched_clock_advance(lsched_clock *clock, int64_t delta_ns);

/*
 * Sets a virtual clock to t_ns; t_ns must not be earlier than its current
 * time. Errors: -EINVAL for NULL, the real clock, or a time in the past.
 */
LSCHED_API int lsched_clock_set(lsched_clock *clock, int64_t t_ns);

/*
 * Auto-advance: when on, a loop using this virtual clock that has nothing
 * to do until a deadline does not sleep: it sets the clock to that deadline
 * and goes on. Off by default. Errors: -EINVAL for NULL or the real clock.
 */
LSCHED_API int lsched_clock_set_auto_advance(lsched_clock *clock, bool on);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_CLOCK_H */
