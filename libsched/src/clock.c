/* Clocks: the real monotonic clock and virtual clocks. */
#include "internal.h"

#include <stdlib.h>
#include <time.h>

static lsched_clock monotonic_clock = { .is_virtual = false };

lsched_clock *lsched_clock_monotonic(void)
{
	return &monotonic_clock;
}

lsched_clock *lsched_clock_new_virtual(int64_t start_ns)
{
	lsched_clock *c;

	if (start_ns < 0) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&c->now, start_ns);
	atomic_init(&c->auto_advance, false);
	c->is_virtual = true;
	return c;
}

void lsched_clock_destroy(lsched_clock *clock)
{
	if (clock && clock->is_virtual)
		free(clock);
}

int64_t lsched__clock_read(const lsched_clock *clock)
{
	struct timespec ts;

	if (clock->is_virtual)
		return atomic_load_explicit(&((lsched_clock *)clock)->now,
					    memory_order_acquire);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t lsched_clock_now(const lsched_clock *clock)
{
	return clock ? lsched__clock_read(clock) : -EINVAL;
}

bool lsched_clock_is_virtual(const lsched_clock *clock)
{
	return clock && clock->is_virtual;
}

int lsched_clock_advance(lsched_clock *clock, int64_t delta_ns)
{
	int64_t cur;

	if (!clock || !clock->is_virtual || delta_ns < 0)
		return -EINVAL;
	cur = atomic_load_explicit(&clock->now, memory_order_acquire);
	do {
		if (delta_ns > INT64_MAX - cur)
			return -EINVAL; /* would wrap to a time in the past */
	} while (!atomic_compare_exchange_weak_explicit(
		&clock->now, &cur, cur + delta_ns, memory_order_acq_rel,
		memory_order_acquire));
	return 0;
}

int lsched_clock_set(lsched_clock *clock, int64_t t_ns)
{
	int64_t cur;

	if (!clock || !clock->is_virtual)
		return -EINVAL;
	cur = atomic_load_explicit(&clock->now, memory_order_acquire);
	do {
		if (t_ns < cur)
			return -EINVAL;
	} while (!atomic_compare_exchange_weak_explicit(
		&clock->now, &cur, t_ns, memory_order_acq_rel,
		memory_order_acquire));
	return 0;
}

int lsched_clock_set_auto_advance(lsched_clock *clock, bool on)
{
	if (!clock || !clock->is_virtual)
		return -EINVAL;
	atomic_store(&clock->auto_advance, on);
	return 0;
}
