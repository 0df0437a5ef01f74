/* Clocks: the real monotonic clock and virtual clocks. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

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

int64_t lsched__thread_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return LSCHED_TP_CPU_UNKNOWN;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool lsched__thread_switches(uint64_t *voluntary, uint64_t *involuntary)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return false;
	*voluntary = (uint64_t)ru.ru_nvcsw;
	*involuntary = (uint64_t)ru.ru_nivcsw;
	return true;
}

/* ---- the TSC extrapolation of a loop's cached now ------------------------
 *
 * lsched__loop_refresh_now() (internal.h) runs after tasks (every one while
 * traced or a max wait is pending, else every Nth: lsched__loop_clock_tick()
 * below). On x86_64
 * with an invariant TSC (CPUID 0x80000007 EDX bit 8, what Linux shows as
 * constant_tsc and nonstop_tsc) it extrapolates from the loop's last real
 * read instead of calling clock_gettime(). What keeps that the same time:
 *
 * - the rate (ns per tick) is measured against CLOCK_MONOTONIC between two
 *   real reads at least 50 ms apart, then re-measured over every window of
 *   a second or more, so it follows NTP's slewing; a rate that moved by
 *   more than 1/64 (a paused VM, say) is not trusted: real reads again
 *   until the next window agrees;
 * - the rate used is 1/512 below the measured one (more than NTP's largest
 *   slew, 500 ppm, plus the measuring error), and an anchor is used for 20
 *   us of ticks at most, so an extrapolated time is never ahead of
 *   CLOCK_MONOTONIC and lags it by 40 ns at most, plus the anchor's own
 *   error;
 * - an anchor is a real read followed by the TSC, both between two
 *   ordered TSC reads less than 8192 ticks apart (else the thread was
 *   preempted in between and the read is not an anchor): the TSC is read
 *   after the time, so the anchor itself is never ahead either;
 * - the loop's now never goes backwards: an extrapolated time below it is
 *   not taken, and a real read is at or after any extrapolated time.
 *
 * lsched_clock_now() and every other read stay clock_gettime(): only the
 * loop's cached time after a task is extrapolated, and virtual clocks
 * never are. LSCHED_TSC=0 in the environment turns it off.
 */
#if defined(__x86_64__)
_Atomic uint64_t lsched__tsc_mult;
_Atomic uint64_t lsched__tsc_max_delta;

#define TSC_GUARD_TICKS 8192
#define TSC_MAX_DELTA_NS 20000
#define TSC_CAL_NS LSCHED_MS(50)
#define TSC_RECAL_NS LSCHED_S(1)

/* The calibration window's start, under cal_lock. */
static atomic_flag cal_lock = ATOMIC_FLAG_INIT;
static uint64_t cal_tsc;
static int64_t cal_ns;

static uint64_t tsc_ordered(void)
{
	_mm_lfence(); /* not before the reads that precede it */
	return __rdtsc();
}

static void tsc_calibrate(int64_t ns, uint64_t tsc)
{
	uint64_t prev, m;

	/* Another thread is at it: this sample is not needed. */
	if (atomic_flag_test_and_set_explicit(&cal_lock, memory_order_acquire))
		return;
	prev = atomic_load_explicit(&lsched__tsc_mult, memory_order_relaxed);
	if (!cal_tsc || tsc <= cal_tsc || ns < cal_ns) {
		cal_tsc = tsc;
		cal_ns = ns;
	} else if (ns - cal_ns >= (prev ? TSC_RECAL_NS : TSC_CAL_NS)) {
		m = (uint64_t)(((unsigned __int128)(uint64_t)(ns - cal_ns) << 32) /
			       (tsc - cal_tsc));
		m -= m >> 9;
		if (!m || (prev && (m > prev + (prev >> 6) ||
				    m < prev - (prev >> 6)))) {
			m = 0; /* not trusted: real reads until a window agrees */
		} else {
			atomic_store_explicit(
				&lsched__tsc_max_delta,
				(uint64_t)(((unsigned __int128)TSC_MAX_DELTA_NS
					    << 32) / m),
				memory_order_relaxed);
		}
		atomic_store_explicit(&lsched__tsc_mult, m,
				      memory_order_release);
		cal_tsc = tsc;
		cal_ns = ns;
	}
	atomic_flag_clear_explicit(&cal_lock, memory_order_release);
}

static bool tsc_invariant(void)
{
	unsigned a, b, c, d;
	const char *env = getenv("LSCHED_TSC");

	if (env && !strcmp(env, "0"))
		return false;
	if ((unsigned)__get_cpuid_max(0x80000000, NULL) < 0x80000007u)
		return false;
	__cpuid(0x80000007, a, b, c, d);
	return d & (1u << 8);
}

bool lsched__tsc_usable(void)
{
	/* 0: not asked yet, 1: usable, 2: not. Racing first calls compute
	 * the same answer. */
	static atomic_int state;
	int s = atomic_load_explicit(&state, memory_order_relaxed);

	if (!s) {
		s = tsc_invariant() ? 1 : 2;
		atomic_store_explicit(&state, s, memory_order_relaxed);
	}
	return s == 1;
}

void lsched__loop_read_now(lsched_loop *loop)
{
	uint64_t before, after;
	int64_t ns;

	loop->now_stale = false;
	if (!loop->tsc_ok) {
		loop->now = lsched__clock_read(loop->clock);
		return;
	}
	before = tsc_ordered();
	ns = lsched__clock_read(loop->clock);
	after = tsc_ordered();
	if (ns > loop->now)
		loop->now = ns;
	if (after - before > TSC_GUARD_TICKS) {
		loop->tsc_anchor = 0; /* no anchor: the next refresh reads */
		return;
	}
	loop->tsc_anchor = after;
	loop->ns_anchor = ns;
	tsc_calibrate(ns, after);
}
#else
bool lsched__tsc_usable(void)
{
	return false;
}

void lsched__loop_read_now(lsched_loop *loop)
{
	loop->now_stale = false;
	loop->now = lsched__clock_read(loop->clock);
}
#endif

void lsched__loop_refresh_now_cold(lsched_loop *loop)
{
	lsched__loop_refresh_now(loop);
}

/* Tiny tasks read the clock every 64th task at most, long ones after each
 * (internal.h, docs/architecture.md Time): the span the last clock_every
 * tasks took says how many may run before the next read. */
void lsched__loop_clock_tick(lsched_loop *loop)
{
	int64_t span;

	lsched__loop_refresh_now(loop);
	loop->now_stale = false;
	span = loop->now - loop->clock_mark;
	loop->clock_mark = loop->now;
	if (span > LSCHED__CLOCK_SPAN)
		loop->clock_every = 1;
	else if (span < LSCHED__CLOCK_SPAN / 2 &&
		 loop->clock_every < LSCHED__CLOCK_TASKS_MAX)
		loop->clock_every *= 2;
	loop->clock_left = loop->clock_every;
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
