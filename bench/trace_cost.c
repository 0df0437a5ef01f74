/*
 * The cost per task of libsched's tracepoints: start a batch of one-shot
 * idle tasks from the loop thread, then run them (three trace sites per
 * task: task_enqueue, task_fire_begin, task_fire_end). Run it against a
 * build with TRACE=0, a default build with nobody listening, under an
 * LTTng session, and with a BPF program on the USDT probes; compare the
 * medians (scripts/bench.sh does all four: `make bench-tools`).
 *
 *   trace_cost [--tasks N] [--rounds R] [--reps K] [--wait-start]
 *
 * Prints one line: "trace_cost: median X ns/task (min Y, max Z) over K
 * repetitions of R rounds x N tasks, cpu C ns/task, F minflt" (F: the
 * median page faults of a repetition, inside the timed part; C: the median
 * CPU time of the process per task, CLOCK_PROCESS_CPUTIME_ID, which a
 * loaded machine inflates much less than the wall time X: time spent
 * waiting for a CPU is not in it). --wait-start prints "ready PID" and
 * waits for a line on stdin, so that a tracer can attach first.
 */
#include <libsched/libsched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static unsigned long fired;

static void on_task(lsched_task *t, void *arg)
{
	fired++;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long arg_long(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < min || v > max) {
		fprintf(stderr, "trace_cost: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long ntasks = 1000, rounds = 1000, reps = 7;
	int wait_start = 0;
	lsched_loop *loop;
	lsched_task **tasks;
	double *ns, *cpu;
	long *flt;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
			ntasks = arg_long(argv[++i], 1, 1000000);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = arg_long(argv[++i], 1, 1000000);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = arg_long(argv[++i], 1, 1000);
		else if (!strcmp(argv[i], "--wait-start"))
			wait_start = 1;
		else {
			fprintf(stderr, "usage: trace_cost [--tasks N] "
					"[--rounds R] [--reps K] [--wait-start]\n");
			return 2;
		}
	}
	loop = lsched_loop_new(NULL);
	tasks = calloc((size_t)ntasks, sizeof(*tasks));
	ns = calloc((size_t)reps, sizeof(*ns));
	flt = calloc((size_t)reps, sizeof(*flt));
	cpu = calloc((size_t)reps, sizeof(*cpu));
	if (!loop || !tasks || !ns || !flt || !cpu) {
		fprintf(stderr, "trace_cost: out of memory\n");
		return 1;
	}
	for (long i = 0; i < ntasks; i++) {
		tasks[i] = lsched_task_new(loop, "bench", LSCHED_TASK_IDLE,
					   (int)(i % LSCHED_PRIO_COUNT),
					   on_task, NULL);
		if (!tasks[i]) {
			fprintf(stderr, "trace_cost: out of memory\n");
			return 1;
		}
	}
	if (wait_start) {
		char line[16];

		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	/* One warm-up repetition, not counted. */
	for (long k = -1; k < reps; k++) {
		long f0 = minflt();
		int64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		int64_t t0 = now_ns();

		for (long r = 0; r < rounds; r++) {
			for (long i = 0; i < ntasks; i++)
				lsched_task_start(tasks[i]);
			while (lsched_loop_ready_count(loop, LSCHED_PRIO_LOWEST) > 0)
				lsched_loop_run(loop, LSCHED_RUN_NOWAIT);
		}
		if (k >= 0) {
			ns[k] = (double)(now_ns() - t0) / (double)(rounds * ntasks);
			cpu[k] = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) -
					  c0) /
				 (double)(rounds * ntasks);
			flt[k] = minflt() - f0;
		}
	}
	if (fired != (unsigned long)((reps + 1) * rounds * ntasks)) {
		fprintf(stderr, "trace_cost: %lu tasks fired, %ld expected\n",
			fired, (reps + 1) * rounds * ntasks);
		return 1;
	}
	qsort(ns, (size_t)reps, sizeof(*ns), cmp_double);
	qsort(flt, (size_t)reps, sizeof(*flt), cmp_long);
	qsort(cpu, (size_t)reps, sizeof(*cpu), cmp_double);
	/* scripts/bench.sh parses "... over K ..., F minflt": the cpu figure
	 * comes before minflt. */
	printf("trace_cost: median %.1f ns/task (min %.1f, max %.1f) over %ld "
	       "repetitions of %ld rounds x %ld tasks, cpu %.1f ns/task, %ld "
	       "minflt\n",
	       ns[reps / 2], ns[0], ns[reps - 1], reps, rounds, ntasks,
	       cpu[reps / 2], flt[reps / 2]);
	for (long i = 0; i < ntasks; i++)
		lsched_task_destroy(tasks[i]);
	lsched_loop_destroy(loop);
	free(tasks);
	free(ns);
	free(flt);
	free(cpu);
	return 0;
}
