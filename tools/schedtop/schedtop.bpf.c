// SPDX-License-Identifier: GPL-2.0
/*
 * schedtop's BPF side: programs on libsched's USDT probes that aggregate,
 * in maps, what tools/schedtop/model.h describes, with the functions it
 * shares with the trace source. tools/schedtop/live.c attaches them through
 * the skeleton bpftool generates from this file.
 *
 * Probes: task_fire_begin and task_fire_end (the two hits per task run),
 * perform_enqueue (one per post, on the posting thread) and loop_sleep (one
 * per sleep). Nothing else, so that a busy loop pays two uprobe hits per
 * task and no more.
 *
 * Each loop's entries are written by the one thread that runs that loop,
 * so plain increments are enough; user space reads while they change,
 * which can only skew a frame by the run in flight.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "model.h"

/* bpf_probe_read_user_str() is offered to GPL programs only. */
char LICENSE[] SEC("license") = "GPL";

/* Set by the tool before loading. */
const volatile __s64 long_task_ns = 50000000;
const volatile __s64 starve_ns = 100000000;
const volatile __u32 target_tgid = 0;

/* The epoch of the maxima; the tool flips it at each frame. */
__u64 epoch;
struct st_lost lost;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, struct st_loop);
} loops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2048);
	__type(key, struct st_task_key);
	__type(value, struct st_task_stat);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct st_open_key);
	__type(value, struct st_open);
} open SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} alerts SEC(".maps");

/* Zeroed values to create entries from: too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_loop);
} zero_loop SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_task_stat);
} zero_task SEC(".maps");

#define INC(x) __sync_fetch_and_add(&(x), 1)

static __always_inline bool ours(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline long arg(struct pt_regs *ctx, __u64 i)
{
	long v = 0;

	if (bpf_usdt_arg(ctx, i, &v))
		INC(lost.bad_args);
	return v;
}

static __always_inline struct st_loop *loop_get(__u64 addr)
{
	struct st_loop *l = bpf_map_lookup_elem(&loops, &addr);
	__u32 zero = 0;
	void *z;

	if (l)
		return l;
	z = bpf_map_lookup_elem(&zero_loop, &zero);
	if (!z)
		return NULL;
	/* Only this loop's thread inserts it: no race on creation. */
	if (bpf_map_update_elem(&loops, &addr, z, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&loops, &addr)) {
		INC(lost.map_full);
		return NULL;
	}
	return bpf_map_lookup_elem(&loops, &addr);
}

static __always_inline void alert(__u32 kind, __s32 prio, __u64 loop,
				  __u64 task, __s64 start, __s64 dur,
				  const char name[ST_NAME_LEN])
{
	struct st_alert *a = bpf_ringbuf_reserve(&alerts, sizeof(*a), 0);

	if (!a) {
		INC(lost.ringbuf);
		return;
	}
	a->kind = kind;
	a->prio = prio;
	a->loop = loop;
	a->task = task;
	a->start = start;
	a->dur = dur;
	a->tid = (__u32)bpf_get_current_pid_tgid();
	a->pad = 0;
	__builtin_memcpy(a->name, name, sizeof(a->name));
	bpf_ringbuf_submit(a, 0);
}

/* task_fire_begin: loop, task, name, prio, kind, ready_at, begin, queued,
 * ready_mask, flags. */
SEC("usdt")
int task_fire_begin(struct pt_regs *ctx)
{
	struct st_open_key k;
	struct st_open o = {};
	struct st_loop *l;
	const char *name;
	__s64 begin, start;
	__s32 prio;

	if (!ours())
		return 0;
	k.loop = arg(ctx, 0);
	k.task = arg(ctx, 1);
	name = (const char *)arg(ctx, 2);
	prio = arg(ctx, 3);
	o.kind = arg(ctx, 4);
	begin = arg(ctx, 6);
	if (name && bpf_probe_read_user_str(o.name, sizeof(o.name), name) < 0)
		o.name[0] = '?';
	if (bpf_map_update_elem(&open, &k, &o, BPF_ANY))
		INC(lost.map_full);
	l = loop_get(k.loop);
	if (!l)
		return 0;
	start = st_begin(l, k.task, prio, arg(ctx, 5), begin, arg(ctx, 7),
			 arg(ctx, 8), (__u32)bpf_get_current_pid_tgid(),
			 starve_ns, bpf_ktime_get_ns());
	__builtin_memcpy(l->run_name, o.name, sizeof(o.name));
	if (start)
		alert(ST_ALERT_STARVED, prio, k.loop, k.task, start,
		      begin - start, o.name);
	/* The task itself waited long: named from its own ready time (what
	 * the scheduler kept; see docs/schedtop.md for what this cannot
	 * know). */
	if (arg(ctx, 5) > 0 && begin - (__s64)arg(ctx, 5) >= starve_ns)
		alert(ST_ALERT_TASK_STARVED, prio, k.loop, k.task, arg(ctx, 5),
		      begin - (__s64)arg(ctx, 5), o.name);
	return 0;
}

/* task_fire_end: loop, task, prio, ready_at, begin, end, checks, yields,
 * overruns, flags. */
SEC("usdt")
int task_fire_end(struct pt_regs *ctx)
{
	struct st_task_key tk = {};
	struct st_open_key k;
	struct st_task_stat *t;
	struct st_open *o;
	struct st_loop *l;
	__s64 begin, end;
	__u32 zero = 0;
	void *z;
	__s32 prio;

	if (!ours())
		return 0;
	k.loop = arg(ctx, 0);
	k.task = arg(ctx, 1);
	o = bpf_map_lookup_elem(&open, &k);
	if (!o) {
		INC(lost.unmatched);
		return 0;
	}
	tk.loop = k.loop;
	tk.kind = o->kind;
	tk.pid = bpf_get_current_pid_tgid() >> 32;
	__builtin_memcpy(tk.name, o->name, sizeof(tk.name));
	bpf_map_delete_elem(&open, &k);
	l = loop_get(k.loop);
	if (!l)
		return 0;
	t = bpf_map_lookup_elem(&tasks, &tk);
	if (!t) {
		z = bpf_map_lookup_elem(&zero_task, &zero);
		if (!z)
			return 0;
		if (bpf_map_update_elem(&tasks, &tk, z, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&tasks, &tk)) {
			INC(lost.map_full);
			l->run_task = 0;
			return 0;
		}
		t = bpf_map_lookup_elem(&tasks, &tk);
		if (!t)
			return 0;
	}
	prio = arg(ctx, 2);
	begin = arg(ctx, 4);
	end = arg(ctx, 5);
	if (st_end(l, t, prio, arg(ctx, 3), begin, end, arg(ctx, 6),
		   arg(ctx, 7), arg(ctx, 8), epoch, long_task_ns,
		   bpf_ktime_get_ns()))
		alert(ST_ALERT_LONG_TASK, prio, k.loop, k.task, begin,
		      end - begin, tk.name);
	return 0;
}

/* perform_enqueue: loop, performer, post, name, prio, wait, signalled,
 * posted_at. On the posting thread. */
SEC("usdt")
int perform_enqueue(struct pt_regs *ctx)
{
	struct st_loop *l;

	if (!ours())
		return 0;
	l = bpf_map_lookup_elem(&loops, &(__u64){ arg(ctx, 0) });
	/* A loop that has not run a task yet is created by its own thread
	 * (task_fire_begin), never here: two threads must not race on it. */
	if (l)
		INC(l->posts);
	return 0;
}

/* loop_sleep: loop, timeout, now. */
SEC("usdt")
int loop_sleep(struct pt_regs *ctx)
{
	struct st_loop *l;

	if (!ours())
		return 0;
	l = bpf_map_lookup_elem(&loops, &(__u64){ arg(ctx, 0) });
	if (l)
		st_sleep(l, arg(ctx, 2), bpf_ktime_get_ns());
	return 0;
}
