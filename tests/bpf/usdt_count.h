/*
 * What tests/bpf/usdt_count.bpf.c and its checker tests/usdt_count.c share:
 * the event numbers and argument counts, taken from tracepoints/events.def
 * so that a new or changed event changes both sides, and the layout of the
 * counters the BPF side fills. Included by BPF C (no libc), hence the
 * kernel's integer types.
 */
#ifndef USDT_COUNT_H
#define USDT_COUNT_H

#include <linux/types.h>

/* Room for a task, post or command name, NUL included; longer names are
 * cut (the workload's names are far shorter). */
#define UC_NAME_LEN 32

/* The number of (KIND, field) pairs of an event: its USDT argument count. */
#define UC_NARG(...)                                                           \
	UC_NARG_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define UC_NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, N, ...) N

/* UC_EV_<event>: the event's index in the "events" array map. */
enum uc_event {
#define LSCHED_EVENT(ev, ...) UC_EV_##ev,
#include "events.def"
#undef LSCHED_EVENT
	UC_EV_COUNT
};

/* UC_NARGS_<event>: how many arguments its probe must carry. */
enum uc_nargs {
#define LSCHED_EVENT(ev, ...) UC_NARGS_##ev = UC_NARG(__VA_ARGS__),
#include "events.def"
#undef LSCHED_EVENT
};

/* The value of the "events" map, one per event. */
struct uc_event_stat {
	__u64 hits;
	__u64 bad_argc;	/* hits with another argument count than events.def */
	__s64 argc;	/* the argument count libbpf decoded, last hit */
};

/* Decoded-argument checks, global variables of the BPF object (its .bss
 * and .data, read through the skeleton). Counters named bad_* must end at
 * zero. */
struct uc_checks {
	/* task_enqueue */
	__u64 enqueue_child;		/* cause CHILD */
	__u64 bad_child_parent;		/* cause CHILD with parent 0 */
	__u64 bad_due;			/* due < now */
	/* task_wake */
	__u64 bad_late;			/* late != now - due */
	/* task_fire_begin / task_fire_end */
	__u64 bad_end;			/* end < begin */
	__u64 bad_pair;			/* end without its begin, or not its begin */
	__u64 null_name;		/* task_fire_begin with a NULL name */
	__u64 fire_checks;		/* sum of task_fire_end.checks */
	/* task_stop */
	__u64 stop_stop;		/* reason LSCHED_TP_STOP_STOP */
	/* slice */
	__u64 slice_in_task;		/* slice.task != 0 */
	/* perform_enqueue / perform_wake */
	__u64 post_wait;		/* wait != 0 */
	__u64 post_signalled;		/* signalled != 0 */
	__u64 bad_posted_at;		/* posted_at < 0 while traced */
	/* perform_fire_end, dispatch_command, dispatch_build */
	__u64 bad_perform_end;		/* end < begin or delay < 0 */
	__u64 bad_dispatch_end;		/* end < begin */
	/* loop_wake */
	__u64 bad_slept;		/* slept < 0 */
};

#endif /* USDT_COUNT_H */
