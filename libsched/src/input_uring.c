/*
 * The loop's input check between two tasks (lsched__poll_input() in
 * internal.h): an io_uring multishot poll on the poller's descriptor, or
 * the interval fallback. docs/architecture.md, "Input between tasks".
 *
 * Raw io_uring system calls, not liburing: the loop needs one ring of one
 * submission entry, one opcode (a multishot IORING_OP_POLL_ADD) and a look
 * at the completion tail, which is its own inline load anyway; the kernel
 * header comes with linux-libc-dev, so the library gains no dependency and
 * both paths are always built. Where the header is too old for multishot
 * polls, only the fallback is built.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#endif
#endif

#if defined(IORING_POLL_ADD_MULTI) && defined(SYS_io_uring_setup) &&         \
	defined(SYS_io_uring_enter) && defined(IORING_SETUP_CQSIZE)
#define HAVE_URING 1
#include <poll.h>
#else
#define HAVE_URING 0
#endif

/* Completion entries: a multishot poll posts one per wake-up of the
 * poller, and the loop reaps them at its next check; a full ring ends the
 * poll (its last completion then waits in the kernel's overflow list,
 * which the loop flushes), and the loop arms it again. */
#define CQ_ENTRIES 64

/* Serial numbers for threads, never reused (a pthread_t is), and the
 * number of forks: a loop's ring belongs to the thread that armed its poll
 * (its completions are posted by that thread's task work) and to one
 * process (a forked child shares the parent's ring). */
static atomic_uint_fast64_t thread_serials;
static _Thread_local uint64_t my_serial;
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

static uint64_t thread_serial(void)
{
	if (!my_serial)
		my_serial = atomic_fetch_add_explicit(&thread_serials, 1,
						      memory_order_relaxed) +
			    1;
	return my_serial;
}

struct lsched__uring {
	int fd;
	uint64_t thread; /* thread_serial() of the arming thread */
	unsigned gen;    /* fork_gen at setup */
	uint64_t armed;  /* user_data of the live poll; 0: none */
	uint64_t seq;    /* user_data of the last poll armed */
	int state;       /* SLOT_*, under pool_lock */
	void *sq_map, *cq_map;
	size_t sq_size, cq_size;
	struct io_uring_sqe *sqes;
	size_t sqes_size;
	unsigned *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

/* The fallback's clock reads: every check on a virtual clock (a load);
 * on the real clock every check while tasks are long, every STRIDE_MAX
 * checks while they are short. */
#define STRIDE_MAX 16

static void set_fallback(lsched_loop *loop)
{
	loop->in_tail = NULL;
	loop->in_stride = 1;
	loop->in_left = 1;
	loop->in_read = lsched__clock_read(loop->clock);
}

#if HAVE_URING

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(SYS_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned submit, unsigned wait, unsigned flags)
{
	return (int)syscall(SYS_io_uring_enter, fd, submit, wait, flags, NULL,
			    0);
}

/* Removes the live poll; waits for its end when the thread that armed it
 * asks (the last completions of a poll armed by another thread come
 * through that thread's task work: they are told apart by user_data when
 * the ring is used again). */
static void ring_disarm(struct lsched__uring *u)
{
	uint64_t target = u->armed;
	unsigned tail, idx;
	struct io_uring_sqe *sqe;
	bool mine = u->thread == my_serial;

	if (!target)
		return;
	tail = __atomic_load_n(u->sq_tail, __ATOMIC_RELAXED);
	idx = tail & *u->sq_mask;
	sqe = &u->sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_POLL_REMOVE;
	sqe->fd = -1;
	sqe->addr = target;
	sqe->user_data = 0;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	u->armed = 0;
	if (!mine) {
		(void)sys_enter(u->fd, 1, 0, 0);
		return;
	}
	/* Until the poll's last completion (-ECANCELED) is in: other
	 * completions may come first (input meanwhile, the late end of a
	 * poll another thread armed). Bounded: it comes through this
	 * thread's own task work, run by the wait. */
	for (int i = 0; i < 16; i++) {
		unsigned head = __atomic_load_n(u->cq_head, __ATOMIC_RELAXED);
		bool done = false;

		if (sys_enter(u->fd, i == 0, 1, IORING_ENTER_GETEVENTS) < 0 &&
		    errno != EINTR)
			return;
		tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			const struct io_uring_cqe *c =
				&u->cqes[head & *u->cq_mask];

			if (c->user_data == target &&
			    !(c->flags & IORING_CQE_F_MORE))
				done = true;
		}
		__atomic_store_n(u->cq_head, tail, __ATOMIC_RELEASE);
		if (done)
			return;
	}
}

/* Unmaps and closes what u holds; the caller frees its slot. */
static void ring_close(struct lsched__uring *u)
{
	/* A forked child's mappings are its own copies: unmapping them is
	 * fine; closing its descriptor does not end the parent's ring. */
	if (u->sqes)
		munmap(u->sqes, u->sqes_size);
	if (u->cq_map && u->cq_map != u->sq_map)
		munmap(u->cq_map, u->cq_size);
	if (u->sq_map)
		munmap(u->sq_map, u->sq_size);
	if (u->fd >= 0)
		close(u->fd);
	u->sqes = NULL;
	u->cq_map = u->sq_map = NULL;
	u->fd = -1;
}

/* Makes the ring in the reserved slot u. Returns 0 or the errno that
 * refused it (u then holds nothing). */
static int ring_new(struct lsched__uring *u)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = CQ_ENTRIES;
	u->sqes = NULL;
	u->cq_map = u->sq_map = NULL;
	u->fd = sys_setup(1, &p);
	if (u->fd < 0)
		return errno;
	u->sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	u->cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if ((p.features & IORING_FEAT_SINGLE_MMAP) && u->cq_size > u->sq_size)
		u->sq_size = u->cq_size;
	u->sq_map = mmap(NULL, u->sq_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->sq_map == MAP_FAILED) {
		u->sq_map = NULL;
		goto fail;
	}
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		u->cq_map = u->sq_map;
	} else {
		u->cq_map = mmap(NULL, u->cq_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, u->fd,
				 IORING_OFF_CQ_RING);
		if (u->cq_map == MAP_FAILED) {
			u->cq_map = NULL;
			goto fail;
		}
	}
	u->sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED) {
		u->sqes = NULL;
		goto fail;
	}
	sq = u->sq_map;
	cq = u->cq_map;
	u->sq_tail = (unsigned *)(void *)(sq + p.sq_off.tail);
	u->sq_mask = (unsigned *)(void *)(sq + p.sq_off.ring_mask);
	u->sq_array = (unsigned *)(void *)(sq + p.sq_off.array);
	u->sq_flags = (unsigned *)(void *)(sq + p.sq_off.flags);
	u->cq_head = (unsigned *)(void *)(cq + p.cq_off.head);
	u->cq_tail = (unsigned *)(void *)(cq + p.cq_off.tail);
	u->cq_mask = (unsigned *)(void *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(void *)(cq + p.cq_off.cqes);
	u->armed = 0;
	return 0;
fail:;
	int err = errno;

	ring_close(u);
	return err;
}

/* Submits the multishot poll on the poller's descriptor. Returns 0 or a
 * negative errno. Its completions carry the new user_data; those of an
 * earlier poll (its last one) are told apart by theirs. */
static int ring_arm(struct lsched__uring *u, int pollfd)
{
	unsigned tail = __atomic_load_n(u->sq_tail, __ATOMIC_RELAXED);
	unsigned idx = tail & *u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[idx];
	int n;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_POLL_ADD;
	sqe->fd = pollfd;
	sqe->poll32_events = POLLIN;
	sqe->len = IORING_POLL_ADD_MULTI;
	sqe->user_data = u->seq + 1;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	n = sys_enter(u->fd, 1, 0, 0);
	if (n != 1)
		return n < 0 ? -errno : -EAGAIN;
	u->armed = ++u->seq;
	u->thread = thread_serial(); /* its completions: this thread's */
	return 0;
}

/*
 * Rings are kept for reuse, never closed while the process lives: closing
 * one makes the kernel's exit work queue a task-work callback on every
 * thread that used it (to drop its context), and that interrupts what the
 * thread sleeps in (EINTR): measured, a RUN_ONCE after destroying a loop
 * returned early half of the time. A process holds as many rings as it
 * ever had loops running at once, up to SLOTS; their state lives in a
 * static table, not on the heap, so that a destroyed loop leaves no
 * allocation behind. Beyond SLOTS loops at once, a loop falls back.
 */
#define SLOTS 128
enum { SLOT_FREE = 0, SLOT_IDLE, SLOT_USED };
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lsched__uring slots[SLOTS];

static void slot_set(struct lsched__uring *u, int state)
{
	pthread_mutex_lock(&pool_lock);
	u->state = state;
	pthread_mutex_unlock(&pool_lock);
}

static void ring_put(struct lsched__uring *u)
{
	if (u->gen != atomic_load_explicit(&fork_gen, memory_order_relaxed)) {
		/* The parent's ring: the child's copy goes. */
		ring_close(u);
		slot_set(u, SLOT_FREE);
		return;
	}
	ring_disarm(u);
	slot_set(u, SLOT_IDLE);
}

/* An idle ring of this process, or a new one in a free slot. Returns 0 or
 * the errno: EBUSY when every slot is in use. */
static int ring_get(struct lsched__uring **out)
{
	unsigned gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
	struct lsched__uring *u = NULL, *spare = NULL;
	int err;

	pthread_mutex_lock(&pool_lock);
	/* A forked child's table holds its parent's idle rings: left
	 * there, not reused (the parent's polls would post into them). */
	for (int i = 0; i < SLOTS && !u; i++) {
		if (slots[i].state == SLOT_IDLE && slots[i].gen == gen)
			u = &slots[i];
		else if (slots[i].state == SLOT_FREE && !spare)
			spare = &slots[i];
	}
	if (!u)
		u = spare;
	if (u)
		u->state = SLOT_USED;
	pthread_mutex_unlock(&pool_lock);
	if (!u)
		return EBUSY;
	if (u != spare) {
		/* Idle: the completions of its last poll are stale. */
		__atomic_store_n(u->cq_head, __atomic_load_n(u->cq_tail,
							     __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		*out = u;
		return 0;
	}
	err = ring_new(u);
	if (err) {
		slot_set(u, SLOT_FREE);
		return err;
	}
	*out = u;
	return 0;
}

#endif /* HAVE_URING */

static void emit_source(lsched_loop *loop, int err)
{
	LSCHED_TRACE(loop_input_source, loop, loop->in_source, err);
}

static void drop_ring(lsched_loop *loop)
{
#if HAVE_URING
	if (loop->uring)
		ring_put(loop->uring);
#endif
	loop->uring = NULL;
	loop->in_tail = NULL;
}

/* Falls back for good (for this thread and process), saying why. */
static void give_up(lsched_loop *loop, int err)
{
	drop_ring(loop);
	set_fallback(loop);
	loop->in_source = LSCHED_INPUT_INTERVAL;
	emit_source(loop, err);
}

static bool env_disabled(void)
{
	const char *v = getenv("LSCHED_IO_URING");

	return v && strcmp(v, "0") == 0;
}

void lsched__input_attach(lsched_loop *loop)
{
	struct lsched__uring *u = loop->uring;
	int err;

	pthread_once(&atfork_once, atfork_register);
	if (u) {
		if (u->thread == thread_serial() &&
		    u->gen == atomic_load_explicit(&fork_gen,
						   memory_order_relaxed))
			return;
		/* Another thread (its task work posts the completions) or a
		 * forked child (the ring is the parent's). */
		if (u->gen != atomic_load_explicit(&fork_gen,
						   memory_order_relaxed)) {
			give_up(loop, ECHILD);
			return;
		}
		drop_ring(loop);
	} else if (loop->in_source != LSCHED_INPUT_UNKNOWN) {
		/* Decided before: the fallback stays (once refused, a ring
		 * is not tried again for every run). */
		return;
	}
	if (loop->clock->is_virtual) {
		give_up(loop, 0);
		return;
	}
	if (env_disabled()) {
		give_up(loop, ECANCELED);
		return;
	}
#if HAVE_URING
	if (!loop->bops->fd) {
		give_up(loop, EOPNOTSUPP);
		return;
	}
	err = ring_get(&u);
	if (err) {
		give_up(loop, err);
		return;
	}
	u->thread = thread_serial();
	u->gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
	err = ring_arm(u, loop->bops->fd(loop->backend));
	if (err) {
		ring_put(u);
		give_up(loop, -err);
		return;
	}
	loop->uring = u;
	loop->in_tail = u->cq_tail;
	/* The first look probes: input may be there already. */
	loop->in_seen = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE) - 1;
	loop->in_source = LSCHED_INPUT_IO_URING;
	emit_source(loop, 0);
#else
	(void)u;
	err = ENOSYS;
	give_up(loop, err);
#endif
}

void lsched__input_fini(lsched_loop *loop)
{
	drop_ring(loop);
}

void lsched__input_dispatched(lsched_loop *loop, int n)
{
	if (!loop->in_tail)
		return;
	for (int i = 0; i < n; i++)
		if (loop->events[i].token < LSCHED__TIMERFD_TOKEN &&
		    (loop->events[i].events &
		     (LSCHED_FD_READ | LSCHED_FD_HUP | LSCHED_FD_ERROR))) {
			loop->in_seen = __atomic_load_n(loop->in_tail,
							__ATOMIC_RELAXED) -
					1;
			return;
		}
}

#if HAVE_URING
/* Reaps the completions (the check saw the tail move). Returns false if
 * the loop fell back (the kernel refused the poll). */
static bool reap(lsched_loop *loop)
{
	struct lsched__uring *u = loop->uring;
	bool rearm = false;

	/* A forked child checking before its first run: the ring is the
	 * parent's, whose completions it must not take. */
	if (u->gen != atomic_load_explicit(&fork_gen, memory_order_relaxed)) {
		give_up(loop, ECHILD);
		return false;
	}
	for (;;) {
		unsigned head = __atomic_load_n(u->cq_head, __ATOMIC_RELAXED);
		unsigned tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);

		for (; head != tail; head++) {
			const struct io_uring_cqe *c =
				&u->cqes[head & *u->cq_mask];

			/* The live poll's last completion: it ended (a full
			 * ring, a cancel). An error other than a cancel means
			 * the kernel refuses the poll: fall back. */
			if (c->user_data == u->armed &&
			    !(c->flags & IORING_CQE_F_MORE)) {
				u->armed = 0;
				if (c->res < 0 && c->res != -ECANCELED) {
					__atomic_store_n(u->cq_head, tail,
							 __ATOMIC_RELEASE);
					give_up(loop, -c->res);
					return false;
				}
				rearm = true;
			}
		}
		__atomic_store_n(u->cq_head, tail, __ATOMIC_RELEASE);
		loop->in_seen = tail;
		/* Completions the ring had no room for wait in the kernel:
		 * flush them into the ring and read again. */
		if (!(__atomic_load_n(u->sq_flags, __ATOMIC_ACQUIRE) &
		      IORING_SQ_CQ_OVERFLOW) ||
		    sys_enter(u->fd, 0, 0, IORING_ENTER_GETEVENTS) < 0)
			break;
	}
	if (rearm) {
		int err = ring_arm(u, loop->bops->fd(loop->backend));

		if (err) {
			give_up(loop, -err);
			return false;
		}
		/* Whatever happened while it was not armed. */
		loop->in_seen = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE) - 1;
	}
	return true;
}
#endif

bool lsched__poll_input_slow(lsched_loop *loop)
{
	int64_t now;
	bool found;

#if HAVE_URING
	if (loop->in_tail && reap(loop))
		return lsched__input_probe(loop);
#endif
	/* The fallback. The clock read sets the stride: STRIDE_MAX checks
	 * while that many tasks of the last ones' average length take less
	 * than a quarter of the interval, else every check. */
	now = lsched__clock_read(loop->clock);
	if (!loop->clock->is_virtual &&
	    (now - loop->in_read) * STRIDE_MAX * 4 <
		    loop->input_interval * (int64_t)loop->in_stride)
		loop->in_stride = STRIDE_MAX;
	else
		loop->in_stride = 1;
	loop->in_left = loop->in_stride;
	loop->in_read = now;
	if (now - loop->last_poll < loop->input_interval)
		return false;
	found = lsched__input_probe(loop);
	loop->last_poll = now;
	return found;
}

int lsched_loop_input_source(const lsched_loop *loop)
{
	return loop ? loop->in_source : -EINVAL;
}
