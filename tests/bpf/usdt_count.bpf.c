// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the USDT test (tests/usdt_count.c loads it): one program per
 * probe libsched:<event> of tracepoints/events.def, named after the event,
 * so that the checker attaches each program to the probe of its own name.
 *
 * Every program counts its hits in the "events" array map and checks that
 * libbpf decoded as many arguments as events.def lists. The events below
 * that are written out by hand also decode their arguments and check them
 * (tests/bpf/usdt_count.h lists the counters); every other event gets a
 * counting program generated from events.def, so that a new event is
 * covered without editing this file.
 *
 * Built without vmlinux.h: a USDT program only needs struct pt_regs, which
 * the UAPI headers give, and bool, which vmlinux.h would have given
 * usdt.bpf.h.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "schema.h"
#include "usdt_count.h"

/* bpf_probe_read_user_str() is offered to GPL programs only. */
char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UC_EV_COUNT);
	__type(key, __u32);
	__type(value, struct uc_event_stat);
} events SEC(".maps");

/* Runs per task name (task_fire_begin.name), posts per post name
 * (perform_enqueue.name), commands per command name
 * (dispatch_command.name). The empty name stands for NULL. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[UC_NAME_LEN]);
	__type(value, __u64);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[UC_NAME_LEN]);
	__type(value, __u64);
} posts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[UC_NAME_LEN]);
	__type(value, __u64);
} commands SEC(".maps");

/* task id -> task_fire_begin.begin of its run in progress, to pair each
 * task_fire_end with its begin. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __s64);
} open_runs SEC(".maps");

struct uc_checks uc;
/* The smallest task_wake.late seen; stays INT64_MAX without a wake. */
__s64 late_min = 0x7fffffffffffffffLL;

#define INC(x) __sync_fetch_and_add(&(x), 1)

static __always_inline void seen(struct pt_regs *ctx, __u32 ev, int nargs)
{
	struct uc_event_stat *st = bpf_map_lookup_elem(&events, &ev);
	int argc = bpf_usdt_arg_cnt(ctx);

	if (!st)
		return;
	INC(st->hits);
	if (argc != nargs)
		INC(st->bad_argc);
	st->argc = argc;
}

#define SEEN(ev) seen(ctx, UC_EV_##ev, UC_NARGS_##ev)

static __always_inline void count_name(void *map, const char *name)
{
	char key[UC_NAME_LEN] = {};
	__u64 one = 1, *n;

	/* The key is compared whole: the bytes after the NUL stay zero, as
	 * in the keys the checker looks up. A name that cannot be read
	 * counts as "?". */
	if (name && bpf_probe_read_user_str(key, sizeof(key), name) < 0) {
		key[0] = '?';
		key[1] = '\0';
	}
	n = bpf_map_lookup_elem(map, key);
	if (n) {
		INC(*n);
		return;
	}
	/* Posts come from two threads: if another CPU inserted the name
	 * first, add to its entry instead of losing this hit. */
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
		return;
	n = bpf_map_lookup_elem(map, key);
	if (n)
		INC(*n);
}

/* ---- the events decoded here ------------------------------------------- */

SEC("usdt")
int BPF_USDT(task_enqueue, void *loop, __u64 task, const char *name, int prio,
	     int kind, __s64 now, __s64 due, __s64 max_wait, int cause,
	     __u64 parent)
{
	SEEN(task_enqueue);
	if (due < now)
		INC(uc.bad_due);
	if (cause == LSCHED_TP_CAUSE_CHILD) {
		INC(uc.enqueue_child);
		if (!parent)
			INC(uc.bad_child_parent);
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(task_wake, void *loop, __u64 task, int prio, __s64 due,
	     __s64 now, __s64 late)
{
	SEEN(task_wake);
	/* Only the loop's thread wakes tasks: a plain update cannot race. */
	if (late < late_min)
		late_min = late;
	if (late != now - due)
		INC(uc.bad_late);
	return 0;
}

SEC("usdt")
int BPF_USDT(task_fire_begin, void *loop, __u64 task, const char *name,
	     int prio, int kind, __s64 ready_at, __s64 begin)
{
	SEEN(task_fire_begin);
	if (!name)
		INC(uc.null_name);
	count_name(&runs, name);
	bpf_map_update_elem(&open_runs, &task, &begin, BPF_ANY);
	return 0;
}

SEC("usdt")
int BPF_USDT(task_fire_end, void *loop, __u64 task, int prio, __s64 ready_at,
	     __s64 begin, __s64 end, __u64 checks)
{
	__s64 *open;

	SEEN(task_fire_end);
	if (end < begin)
		INC(uc.bad_end);
	open = bpf_map_lookup_elem(&open_runs, &task);
	if (!open || *open != begin)
		INC(uc.bad_pair);
	if (open)
		bpf_map_delete_elem(&open_runs, &task);
	__sync_fetch_and_add(&uc.fire_checks, checks);
	return 0;
}

SEC("usdt")
int BPF_USDT(task_stop, void *loop, __u64 task, int prio, int reason)
{
	SEEN(task_stop);
	if (reason == LSCHED_TP_STOP_STOP)
		INC(uc.stop_stop);
	return 0;
}

SEC("usdt")
int BPF_USDT(slice, void *loop, __u64 task)
{
	SEEN(slice);
	if (task)
		INC(uc.slice_in_task);
	return 0;
}

SEC("usdt")
int BPF_USDT(perform_enqueue, void *loop, void *performer, __u64 post,
	     const char *name, int prio, int wait, int signalled,
	     __s64 posted_at)
{
	SEEN(perform_enqueue);
	count_name(&posts, name);
	if (wait)
		INC(uc.post_wait);
	if (signalled)
		INC(uc.post_signalled);
	if (posted_at < 0)
		INC(uc.bad_posted_at);
	return 0;
}

SEC("usdt")
int BPF_USDT(perform_fire_end, void *loop, void *performer, __u64 post,
	     int prio, __u64 task, __s64 posted_at, __s64 begin, __s64 end,
	     __s64 delay)
{
	SEEN(perform_fire_end);
	if (end < begin || delay < 0)
		INC(uc.bad_perform_end);
	return 0;
}

SEC("usdt")
int BPF_USDT(dispatch_command, void *loop, void *dispatcher, __u64 task,
	     __u64 command, const char *name, __u64 queued, __s64 begin,
	     __s64 end)
{
	SEEN(dispatch_command);
	count_name(&commands, name);
	if (end < begin)
		INC(uc.bad_dispatch_end);
	return 0;
}

SEC("usdt")
int BPF_USDT(dispatch_build, void *loop, void *dispatcher, __u64 task,
	     int reason, __s64 dirty_since, __u64 commands, __s64 begin,
	     __s64 end)
{
	SEEN(dispatch_build);
	if (end < begin)
		INC(uc.bad_dispatch_end);
	return 0;
}

SEC("usdt")
int BPF_USDT(loop_wake, void *loop, __s64 slept)
{
	SEEN(loop_wake);
	if (slept < 0)
		INC(uc.bad_slept);
	return 0;
}

/* ---- every other event: counted only ----------------------------------- */

/*
 * UC_DECODED_<event> is defined, as "x, 1", for each event written out
 * above; UC_IS_DECODED(ev) then picks 1, and 0 for the others, and only
 * those get a generated program (two programs on one probe would count it
 * twice and double its cost).
 */
#define UC_DECODED_task_enqueue x, 1
#define UC_DECODED_task_wake x, 1
#define UC_DECODED_task_fire_begin x, 1
#define UC_DECODED_task_fire_end x, 1
#define UC_DECODED_task_stop x, 1
#define UC_DECODED_slice x, 1
#define UC_DECODED_perform_enqueue x, 1
#define UC_DECODED_perform_fire_end x, 1
#define UC_DECODED_dispatch_command x, 1
#define UC_DECODED_dispatch_build x, 1
#define UC_DECODED_loop_wake x, 1

#define UC_SECOND(a, b, ...) b
#define UC_SECOND_(...) UC_SECOND(__VA_ARGS__)
#define UC_IS_DECODED(ev) UC_SECOND_(UC_DECODED_##ev, 0, x)
#define UC_CAT(a, b) UC_CAT_(a, b)
#define UC_CAT_(a, b) a##b

#define UC_COUNTER_1(ev)
#define UC_COUNTER_0(ev)                                                       \
	SEC("usdt") int ev(struct pt_regs *ctx)                                \
	{                                                                      \
		SEEN(ev);                                                      \
		return 0;                                                      \
	}

#define LSCHED_EVENT(ev, ...) UC_CAT(UC_COUNTER_, UC_IS_DECODED(ev))(ev)
#include "events.def"
#undef LSCHED_EVENT
