/*
 * The loop thread's time off the CPU during traced runs, read without a
 * system call (docs/tracepoints.md, "CPU time of traced runs").
 *
 * Each loop, the first time a run of it is traced, opens a perf event on
 * its own thread (perf_event_open(pid 0, cpu -1), a software task-clock
 * that is never read: only its side-band records matter) with
 * attr.context_switch, and maps its ring. The kernel then writes a
 * PERF_RECORD_SWITCH record, stamped with CLOCK_MONOTONIC (use_clockid),
 * every time the thread leaves the CPU and every time it comes back; a
 * switch-out carries PERF_RECORD_MISC_SWITCH_OUT_PREEMPT when the thread
 * was still runnable (preempted, or sched_yield), none when it went to
 * sleep. A run that saw no record ran on the CPU all along: its CPU time
 * is its wall time, and telling that costs one load of the ring's head at
 * begin and end. A run with records gets wall time minus the intervals
 * between each switch-out and the next switch-in, clipped to the run.
 *
 * Why not the CPU clock: clock_gettime(CLOCK_THREAD_CPUTIME_ID) and
 * getrusage(RUSAGE_THREAD) are real system calls (1-3 us each on this
 * kind of VM), and the event's own user page cannot stand in for them:
 * its time fields are extrapolated with rdtsc only when cap_user_time is
 * set, which a kvm-clock guest does not offer (docs/performance.md).
 *
 * Where perf_event_open is refused (perf_event_paranoid 3 as Debian ships
 * it for users, a seccomp filter such as Docker's, a kernel without perf
 * events, the mlock limit of the ring), the loop falls back to those two
 * system calls at begin and end; lsched__tcpu_source() says which and
 * why, and the trace's loop_cpu_source event carries it.
 */
#include "internal.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Data pages of the ring: 16 KB, 1024 records of 16 bytes, so a run may
 * leave the CPU 512 times before its records no longer fit (its CPU time
 * is then not known). Small because each one counts against the user's
 * perf_event_mlock_kb (516 KB by default). */
#define TCPU_DATA_PAGES 4
/* A PERF_RECORD_SWITCH with sample_id_all and PERF_SAMPLE_TIME. */
#define TCPU_RECORD 16

struct lsched__tcpu {
	int fd;    /* -1: the system-call fallback */
	int err;   /* errno of what refused the perf event; 0 if it is used */
	uint64_t thread;  /* thread_serial() of the thread it measures */
	unsigned gen;     /* fork_gen when it was opened */
	struct perf_event_mmap_page *page;
	size_t map_size;
	const unsigned char *data;
	uint64_t data_size; /* a power of two */
	/* The fallback's anchor: the loop time, CPU time and switch counts
	 * at the last traced run's end (anchored: they are set). */
	bool anchored;
	int64_t a_now, a_cpu;
	uint64_t a_vcsw, a_ivcsw;
};

/*
 * A child of fork() inherits the loop and its descriptor (not the ring:
 * perf maps it VM_DONTCOPY), but the event measures the parent's thread
 * (perf events are not inherited unless asked), whose thread number
 * (thread_serial()) the child's thread shares. Counting forks tells the
 * child to open its own.
 */
static atomic_uint fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

static void atfork_register(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

/*
 * A number of the calling thread's own, never reused in the process: a
 * pthread_t is (glibc gives a new thread the pthread_t of one that exited),
 * and a loop moved to such a thread would keep the dead thread's event,
 * whose ring never moves (every run "on the CPU"). A child of fork() keeps
 * its parent thread's number; fork_gen tells it apart.
 */
static atomic_uint_fast64_t thread_serials;
static __thread uint64_t my_serial;

static uint64_t thread_serial(void)
{
	if (!my_serial)
		my_serial = atomic_fetch_add_explicit(&thread_serials, 1,
						      memory_order_relaxed) +
			    1;
	return my_serial;
}

/* Whether c measures the calling thread. */
static bool tcpu_mine(const struct lsched__tcpu *c)
{
	return c->thread == thread_serial() &&
	       c->gen == atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

static int tcpu_open(struct lsched__tcpu *c)
{
	struct perf_event_attr attr = {0};
	long page_size = sysconf(_SC_PAGESIZE);
	void *map;

	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.context_switch = 1;
	attr.sample_id_all = 1;
	attr.sample_type = PERF_SAMPLE_TIME;
	attr.use_clockid = 1;
	attr.clockid = CLOCK_MONOTONIC; /* the loop's real clock */
	/* What perf_event_paranoid 2 allows an unprivileged user. */
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	c->fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1,
			     PERF_FLAG_FD_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	c->map_size = (size_t)page_size * (1 + TCPU_DATA_PAGES);
	map = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   c->fd, 0);
	if (map == MAP_FAILED) {
		int err = -errno;

		close(c->fd);
		c->fd = -1;
		return err;
	}
	c->page = map;
	c->data = (const unsigned char *)map + page_size;
	c->data_size = (uint64_t)page_size * TCPU_DATA_PAGES;
	return 0;
}

static void tcpu_close(struct lsched__tcpu *c)
{
	if (c->fd < 0)
		return;
	/* A child of fork() inherits the descriptor but not the ring: perf
	 * maps it VM_DONTCOPY. Unmapping there would remove whatever the
	 * child has mapped at that address since. */
	if (c->gen == atomic_load_explicit(&fork_gen, memory_order_relaxed))
		munmap(c->page, c->map_size);
	close(c->fd);
	c->fd = -1;
	c->page = NULL;
}

/* The loop's state, made on first use on the calling thread; NULL if it
 * cannot be allocated (the run then goes unmeasured). A loop run from
 * another thread than the one measured, or in a child of fork(), gets a
 * new event. */
static struct lsched__tcpu *tcpu_get(lsched_loop *loop)
{
	struct lsched__tcpu *c = loop->tcpu;

	if (c && tcpu_mine(c))
		return c;
	if (!c) {
		pthread_once(&atfork_once, atfork_register);
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->fd = -1;
		loop->tcpu = c;
	}
	tcpu_close(c);
	c->anchored = false; /* the fallback's anchor was another thread's */
	c->thread = thread_serial();
	c->gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
	c->err = -tcpu_open(c);
	LSCHED_TRACE(loop_cpu_source, loop,
		     c->fd >= 0 ? LSCHED_TP_CPU_SOURCE_PERF
				: LSCHED_TP_CPU_SOURCE_SYSCALL,
		     c->err);
	return c;
}

static uint64_t tcpu_head(const struct lsched__tcpu *c)
{
	return __atomic_load_n(&c->page->data_head, __ATOMIC_ACQUIRE);
}

bool lsched__tcpu_begin(lsched_loop *loop, bool first, uint64_t *pos)
{
	struct lsched__tcpu *c = tcpu_get(loop);

	if (!c || c->fd < 0)
		return false;
	*pos = tcpu_head(c);
	/* What came before the outermost run is not needed any more; a
	 * nested run leaves the ring to its outer one. */
	if (first)
		__atomic_store_n(&c->page->data_tail, *pos, __ATOMIC_RELEASE);
	return true;
}

bool lsched__tcpu_mark(lsched_loop *loop, uint64_t *pos)
{
	const struct lsched__tcpu *c = loop->tcpu;

	if (!c || c->fd < 0 || !tcpu_mine(c))
		return false;
	*pos = tcpu_head(c);
	return true;
}

static uint64_t ring_u64(const struct lsched__tcpu *c, uint64_t at)
{
	uint64_t v;

	memcpy(&v, c->data + (at & (c->data_size - 1)), sizeof(v));
	return v;
}

int64_t lsched__tcpu_off(const lsched_loop *loop, uint64_t pos, int64_t from,
			 int64_t to, int *flags)
{
	const struct lsched__tcpu *c = loop->tcpu;
	uint64_t head, at;
	int64_t off = 0, out = -1;

	if (!c || c->fd < 0 || !tcpu_mine(c))
		return -1;
	head = tcpu_head(c);
	if (head == pos)
		return 0; /* on the CPU all along: the common case */
	/* A ring that filled up may have dropped this run's records. */
	if (head - __atomic_load_n(&c->page->data_tail, __ATOMIC_RELAXED) >
	    c->data_size - 4 * TCPU_RECORD)
		return -1;
	for (at = pos; at < head;) {
		uint64_t h = ring_u64(c, at);
		struct perf_event_header hdr;
		int64_t t;

		memcpy(&hdr, &h, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || at + hdr.size > head)
			return -1;
		/* A PERF_RECORD_LOST here tells of records dropped before
		 * this run began (the kernel writes it once there is room
		 * again, which the begin made): this run's own are whole. */
		if (hdr.type == PERF_RECORD_SWITCH &&
		    hdr.size >= TCPU_RECORD) {
			t = (int64_t)ring_u64(c, at + hdr.size - 8);
			if (hdr.misc & PERF_RECORD_MISC_SWITCH_OUT) {
				out = t;
				if (t < to)
					*flags |= hdr.misc &
						  PERF_RECORD_MISC_SWITCH_OUT_PREEMPT
						  ? LSCHED_TP_END_PREEMPTED
						  : LSCHED_TP_END_BLOCKED;
			} else if (out >= 0) {
				int64_t b = out > from ? out : from;
				int64_t e = t < to ? t : to;

				off += e > b ? e - b : 0;
				out = -1;
			}
		}
		at += hdr.size;
	}
	if (out >= 0 && to > (out > from ? out : from))
		off += to - (out > from ? out : from);
	return off;
}

/*
 * The fallback, where perf_event_open is refused. The switch counts must be
 * read at both ends (getrusage(), a system call), but the CPU clock need
 * not be: while the counts have not moved the thread has been on the CPU,
 * so its CPU time grew as the loop's clock did. A run begins from the
 * last run's end when no switch came between (a busy loop: one system call
 * per begin), and ends without reading the clock when none came during it.
 */
static void sys_anchor(struct lsched__tcpu *c, int64_t now, int64_t cpu,
		       uint64_t vcsw, uint64_t ivcsw)
{
	c->anchored = true;
	c->a_now = now;
	c->a_cpu = cpu;
	c->a_vcsw = vcsw;
	c->a_ivcsw = ivcsw;
}

bool lsched__tcpu_sys_begin(lsched_loop *loop, int64_t now,
			    struct lsched__tcpu_sys *b)
{
	struct lsched__tcpu *c = loop->tcpu;

	if (!lsched__thread_switches(&b->vcsw, &b->ivcsw))
		return false;
	if (c && c->anchored && tcpu_mine(c) && b->vcsw == c->a_vcsw &&
	    b->ivcsw == c->a_ivcsw && now >= c->a_now) {
		b->cpu = c->a_cpu + (now - c->a_now);
	} else {
		b->cpu = lsched__thread_cpu();
		if (b->cpu < 0)
			return false;
	}
	b->now = now;
	if (c && tcpu_mine(c))
		sys_anchor(c, now, b->cpu, b->vcsw, b->ivcsw);
	return true;
}

int64_t lsched__tcpu_sys_end(lsched_loop *loop, int64_t now,
			     const struct lsched__tcpu_sys *b, int *flags)
{
	struct lsched__tcpu *c = loop->tcpu;
	uint64_t vcsw, ivcsw;
	int64_t cpu, wall = now - b->now;

	if (wall < 0 || !lsched__thread_switches(&vcsw, &ivcsw))
		return LSCHED_TP_CPU_UNKNOWN;
	if (vcsw == b->vcsw && ivcsw == b->ivcsw) {
		cpu = wall;
	} else {
		int64_t end = lsched__thread_cpu();

		if (end < 0)
			return LSCHED_TP_CPU_UNKNOWN;
		/* A begin taken from an anchor and an end read from the
		 * clock may disagree by the read's own time: never more CPU
		 * than wall time. */
		cpu = end - b->cpu;
		cpu = cpu < 0 ? 0 : cpu > wall ? wall : cpu;
		*flags |= (vcsw != b->vcsw ? LSCHED_TP_END_BLOCKED : 0) |
			  (ivcsw != b->ivcsw ? LSCHED_TP_END_PREEMPTED : 0);
	}
	if (c && tcpu_mine(c))
		sys_anchor(c, now, b->cpu + cpu, vcsw, ivcsw);
	return cpu;
}

void lsched__tcpu_fini(lsched_loop *loop)
{
	if (!loop->tcpu)
		return;
	tcpu_close(loop->tcpu);
	free(loop->tcpu);
	loop->tcpu = NULL;
}
