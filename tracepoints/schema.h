/*
 * The trace schema's constants: its version and the values of the
 * enumeration and flag fields of the events in events.def. The library
 * emits them and the tools (tools/) decode them; docs/tracepoints.md
 * documents each one. Plain C, no dependency: tools include it too.
 */
#ifndef LSCHED_TRACE_SCHEMA_H
#define LSCHED_TRACE_SCHEMA_H

/* Bump on any change a reader could notice (see events.def). 2: the
 * task events leave out what a reader derives (the D kinds of events.def)
 * and task_name names each task once per epoch. */
#define LSCHED_TRACE_SCHEMA 2
#define LSCHED_TRACE_SCHEMA_STR "2"
/* Every LTTng event class of the provider carries it as its EMF URI. */
#define LSCHED_TRACE_SCHEMA_URI                                                \
	"urn:libsched:trace-schema:" LSCHED_TRACE_SCHEMA_STR

/* task_enqueue.cause */
enum lsched_tp_cause {
	LSCHED_TP_CAUSE_START = 0,   /* lsched_task_start() of a task not queued */
	LSCHED_TP_CAUSE_RESTART = 1, /* start or new timeout of a queued task */
	LSCHED_TP_CAUSE_REPEAT = 2,  /* an auto task back in line after a run */
	LSCHED_TP_CAUSE_CHILD = 3,   /* started by its parent's completed run */
};

/* task_stop.reason */
enum lsched_tp_stop {
	LSCHED_TP_STOP_STOP = 0,    /* lsched_task_stop() */
	LSCHED_TP_STOP_DESTROY = 1, /* lsched_task_destroy() */
	LSCHED_TP_STOP_PARENT = 2,  /* its parent was started again */
	LSCHED_TP_STOP_LOOP = 3,    /* its loop was destroyed */
};

/* task_stop.state, task_priority.state: where the task was */
enum lsched_tp_state {
	LSCHED_TP_STATE_IDLE = 0,    /* not queued */
	LSCHED_TP_STATE_WAITING = 1, /* a timer waiting for its due time */
	LSCHED_TP_STATE_READY = 2,   /* in its priority's ready queue */
};

/* task_fire_begin.flags */
#define LSCHED_TP_BEGIN_OVERDUE 0x1 /* picked because its max wait ran out */
/* task_fire_end.flags */
#define LSCHED_TP_END_DESTROYED 0x1 /* destroyed during its run */
#define LSCHED_TP_END_ACTIVE 0x2    /* still active: repeating or restarted */
/* The loop thread went off the CPU during the run (read with
 * task_fire_end.cpu, see loop_cpu_source): it slept (a read, a lock, a
 * sleep: voluntary switches), or was preempted (involuntary switches). */
#define LSCHED_TP_END_BLOCKED 0x4
#define LSCHED_TP_END_PREEMPTED 0x8
/* task_fire_end.cpu, slice.cpu_elapsed: not measured */
#define LSCHED_TP_CPU_UNKNOWN (-1)

/* loop_cpu_source.source: how the loop's traced runs get their CPU time */
enum lsched_tp_cpu_source {
	/* perf context-switch records of the loop thread: no system call */
	LSCHED_TP_CPU_SOURCE_PERF = 0,
	/* perf_event_open refused (loop_cpu_source.err says why): the CPU
	 * switch counts (getrusage(RUSAGE_THREAD)) at both ends of a run and
	 * the CPU clock after a switch: 2 to 4 system calls per run */
	LSCHED_TP_CPU_SOURCE_SYSCALL = 1,
};

/* loop_input_source.source: enum lsched_input_source (loop.h), 1
 * IO_URING or 2 INTERVAL */
#define LSCHED_TP_INPUT_SOURCE_IO_URING 1
#define LSCHED_TP_INPUT_SOURCE_INTERVAL 2

/* task_enqueue.kind, task_fire_begin.kind: enum lsched_task_kind */
/* slice.verdict: enum lsched_stopwatch_verdict */

/* loop_wake.reason: bits; 0 when nothing woke it before its deadline (a
 * signal interrupted the wait) or the wait failed (nevents < 0) */
#define LSCHED_TP_WAKE_FD 0x1      /* a watched descriptor is ready */
#define LSCHED_TP_WAKE_SIGNAL 0x2  /* the wake-up eventfd: cross-thread work or a stop */
#define LSCHED_TP_WAKE_TIMEOUT 0x4 /* nothing woke it: its deadline came */

/* dispatch_build.reason */
enum lsched_tp_build {
	LSCHED_TP_BUILD_LATENCY = 0, /* the idle latency passed with no command */
	LSCHED_TP_BUILD_FORCED = 1,  /* the force bound ran out */
};

#endif /* LSCHED_TRACE_SCHEMA_H */
