/*
 * What the benchmark programs share: the clock, page-fault counts, the
 * statistics of repeated figures and the one result line the driver
 * (scripts/bench.sh) reads.
 *
 * Every figure is measured reps times (after one warm-up repetition that
 * is not counted) and reported as median, min and max. Each program prints
 * two lines per figure:
 *
 *   post1 libsched: 1000000 ops in 0.0161 s (62.1 M/s); median 16.1 ns/task [15.8-17.0], 0 minflt
 *   BENCH|post1|1|libsched|lsched_task_start|ns/task|low|16.1|15.8|17.0|5|0
 *
 * The first for people (the house format "name: N ops in X s (Y/s)" for
 * the median repetition), the second for the driver: measure, variant,
 * library, the API it used, unit, which way is better, median, min, max,
 * repetitions, page faults (median per repetition, inside the timed part).
 *
 * A callback that did not fire is a failed run: bench_fail() prints one
 * line and exits 1.
 */
#ifndef LSCHED_BENCH_H
#define LSCHED_BENCH_H

#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_MAX_REPS 64

struct bench_opts {
	int reps;   /* counted repetitions, >= 5 unless asked otherwise */
	int quick;  /* small sizes: a smoke test of the harness */
	const char *only; /* run only the measure of this name */
	const char *lib;  /* run only this library (to profile it) */
};

struct bench_series {
	double v[BENCH_MAX_REPS];
	long flt[BENCH_MAX_REPS];
	int n;
};

static const char *bench_prog = "bench";

static inline __attribute__((format(printf, 1, 2), noreturn)) void
bench_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: FAILED: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Every callback counted: a run where one did not fire fails loudly. */
static inline void bench_check(const char *what, uint64_t got, uint64_t want)
{
	if (got != want)
		bench_fail("%s: %llu callbacks fired, %llu expected", what,
			   (unsigned long long)got, (unsigned long long)want);
}

static inline int64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Minor page faults of the process so far (all threads). */
static inline long bench_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Keeps freed memory in the process, so that a repetition reuses the pages
 * the warm-up repetition touched instead of faulting in fresh ones (about
 * 10 us a page on this VM): no trimming, no mmap()ed chunks. Then touches
 * prefault_mb of heap once.
 */
static inline void bench_memory_setup(size_t prefault_mb)
{
	char *p;

	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_MMAP_MAX, 0);
	if (!prefault_mb)
		return;
	p = malloc(prefault_mb << 20);
	if (!p)
		bench_fail("cannot allocate %zu MiB to pre-fault", prefault_mb);
	for (size_t i = 0; i < prefault_mb << 20; i += 4096)
		((volatile char *)p)[i] = 1;
	free(p);
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static inline void bench_add(struct bench_series *s, double v, long flt)
{
	if (s->n < BENCH_MAX_REPS) {
		s->v[s->n] = v;
		s->flt[s->n] = flt;
		s->n++;
	}
}

/* The median of a sorted array (the mean of the middle two if even). */
static inline double bench_median_sorted(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Percentile q (0..100) of n values, sorted in place: nearest rank. */
static inline double bench_percentile(double *v, size_t n, double q)
{
	size_t rank;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	rank = (size_t)(q / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/*
 * Prints the figure. ops and per_op_unit describe the repetition for the
 * human line: with unit "ns/..." the value is ns per op, with "M/s" a rate,
 * with "us" a latency.
 */
static inline void bench_report(const char *measure, const char *variant,
				const char *lib, const char *api,
				const char *unit, const char *better,
				struct bench_series *s, uint64_t ops)
{
	double v[BENCH_MAX_REPS], med;
	long flt[BENCH_MAX_REPS];
	int n = s->n;

	memcpy(v, s->v, sizeof(double) * (size_t)n);
	memcpy(flt, s->flt, sizeof(long) * (size_t)n);
	qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
	qsort(flt, (size_t)n, sizeof(long), bench_cmp_long);
	med = bench_median_sorted(v, n);
	if (!strncmp(unit, "ns/", 3) && ops)
		printf("%s/%s %s: %llu ops in %.4f s (%.2f M/s); ", measure,
		       variant, lib, (unsigned long long)ops,
		       med * (double)ops / 1e9, 1e3 / med);
	else if (!strcmp(unit, "M/s") && ops)
		printf("%s/%s %s: %llu ops in %.4f s (%.2f M/s); ", measure,
		       variant, lib, (unsigned long long)ops,
		       (double)ops / (med * 1e6), med);
	else
		printf("%s/%s %s: ", measure, variant, lib);
	printf("median %.4g %s [%.4g-%.4g] over %d reps, %ld minflt (%s)\n",
	       med, unit, v[0], v[n - 1], n, flt[n / 2], api);
	printf("BENCH|%s|%s|%s|%s|%s|%s|%.6g|%.6g|%.6g|%d|%ld\n", measure,
	       variant, lib, api, unit, better, med, v[0], v[n - 1], n,
	       flt[n / 2]);
	fflush(stdout);
}

/* A row the program could not measure, with the reason in plain words. */
static inline void bench_report_na(const char *measure, const char *variant,
				   const char *lib, const char *why)
{
	printf("%s/%s %s: not measured: %s\n", measure, variant, lib, why);
	printf("BENCH|%s|%s|%s|%s|-|-|-|-|-|0|0\n", measure, variant, lib, why);
	fflush(stdout);
}

static inline long bench_arg_long(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max) {
		fprintf(stderr, "%s: bad number '%s' (%ld to %ld)\n", bench_prog,
			s, min, max);
		exit(2);
	}
	return v;
}

/*
 * Common options: --quick, --reps N, --only MEASURE, --lib LIBRARY (one
 * library alone: to profile it). Exits 2 on anything
 * else, after printing usage (what the program measures).
 */
static inline void bench_parse(int argc, char **argv, struct bench_opts *o,
			       const char *measures)
{
	o->reps = 5;
	o->quick = 0;
	o->only = NULL;
	o->lib = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			o->quick = 1;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			o->reps = (int)bench_arg_long(argv[++i], 1,
						      BENCH_MAX_REPS);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			o->only = argv[++i];
		else if (!strcmp(argv[i], "--lib") && i + 1 < argc)
			o->lib = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--quick] [--reps N] [--only MEASURE] "
				"[--lib LIBRARY]\n"
				"measures: %s\n",
				bench_prog, measures);
			exit(2);
		}
	}
}

static inline int bench_want(const struct bench_opts *o, const char *measure)
{
	return !o->only || !strcmp(o->only, measure);
}

static inline int bench_want_lib(const struct bench_opts *o, const char *lib)
{
	return !o->lib || !strcmp(o->lib, lib);
}

#endif /* LSCHED_BENCH_H */
