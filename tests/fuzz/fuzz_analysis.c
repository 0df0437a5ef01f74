/*
 * Fuzz target: the analysis core (tools/common/analysis.c) fed arbitrary
 * event sequences.
 *
 * The input is decoded into a configuration and a sequence of struct
 * tr_event of every type of events.def, each field drawn from a few
 * values that make events collide (loop and task ids, names, priorities
 * in and out of range) or from raw input bytes (huge values, negatives);
 * times mostly move forward on one running clock, but may go backwards or
 * jump to the extremes. So the core sees ends without begins, unknown
 * priorities, out-of-order timestamps, huge values, stops of tasks never
 * enqueued, and discards. It must never crash, leak or hit undefined behaviour; an_feed()
 * returns 0 (or -ENOMEM). The results are walked and formatted as the
 * tools do.
 *
 * make fuzz builds it with clang -fsanitize=fuzzer,address,undefined;
 * make check runs the committed corpus through it with any compiler
 * (tests/fuzz/run_corpus.c). docs/testing.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static uint64_t raw64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | u8(in);
	return v;
}

static const char *const names[] = {
	"paint", "layout", "spell", "", "indexer",
	"a-name-long-enough-to-matter-in-the-reports-and-their-columns-xxxxxx",
	"dispatcher commands", "post",
};

/* Ids and pointers: mostly a few values, so that events meet. */
static uint64_t pick_u64(struct in *in)
{
	uint8_t s = u8(in);

	switch (s >> 5) {
	case 0:
	case 1:
	case 2:
		return s & 3;
	case 3:
		return 0x1000 + (s & 7);
	case 4:
		return UINT64_MAX - (s & 1);
	case 5:
		return (uint64_t)INT64_MAX + (s & 1);
	default:
		return raw64(in);
	}
}

/* Small enumerations (priorities, kinds, causes, flags): the valid range,
 * just outside it, and anything. */
static int32_t pick_int(struct in *in)
{
	uint8_t s = u8(in);

	switch (s >> 6) {
	case 0:
	case 1:
		return (int32_t)(s & 7);
	case 2:
		return (int32_t)(s & 15) - 4;
	default:
		return (int32_t)(uint32_t)raw64(in);
	}
}

/* Times: forward on a running clock (small steps), sometimes backwards,
 * sometimes the extremes; durations are times too. */
static int64_t pick_time(struct in *in, int64_t *clock)
{
	uint8_t s = u8(in);

	switch (s >> 5) {
	case 0:
	case 1:
	case 2:
		return *clock;
	case 3:
		*clock += (int64_t)(s & 31) * 1000000;
		return *clock;
	case 4:
		*clock += (int64_t)(s & 31) * 1000;
		return *clock;
	case 5:
		return *clock - (int64_t)(s & 31) * 1000000;
	case 6:
		return (s & 1) ? INT64_MAX : INT64_MIN;
	default:
		return (int64_t)raw64(in);
	}
}

static void walk_dist(struct an_dist *d, char *buf, size_t len)
{
	an_fmt_ns(an_pct(d, 50), buf, len);
	an_fmt_ns(an_pct(d, 99.9), buf, len);
	an_fmt_ns(an_pct(d, 100), buf, len);
	an_fmt_ns(an_mean(d), buf, len);
	an_fmt_ns(d->max, buf, len);
	an_fmt_ns(d->min, buf, len);
}

/* What the tools read from a result. */
static void walk(const struct an_result *res)
{
	char buf[64];

	for (size_t i = 0; i < res->nloops; i++) {
		struct an_loop *l = res->loops[i];

		for (int p = 0; p < AN_PRIOS; p++) {
			struct an_prio *pr = &l->prio[p];

			walk_dist(&pr->wait, buf, sizeof(buf));
			for (size_t k = 0; k < pr->nstarves; k++)
				for (unsigned b = 0; b < pr->starves[k].nblame;
				     b++) {
					const struct an_task *t =
						pr->starves[k].blame[b].task;

					if (t && t->name)
						(void)strlen(t->name);
				}
			an_prio_name(p);
		}
		for (size_t k = 0; k < l->ntasks; k++) {
			walk_dist(&l->tasks[k]->run, buf, sizeof(buf));
			walk_dist(&l->tasks[k]->wait, buf, sizeof(buf));
			an_prio_name(l->tasks[k]->prio);
		}
		for (size_t k = 0; k < l->nperfs; k++) {
			walk_dist(&l->perfs[k]->delay, buf, sizeof(buf));
			walk_dist(&l->perfs[k]->run, buf, sizeof(buf));
		}
		for (size_t k = 0; k < l->nruns; k++)
			if (l->runs[k].task)
				(void)strlen(l->runs[k].task->name);
	}
	for (size_t i = 0; i < res->nfindings; i++) {
		const struct an_finding *f = &res->findings[i];

		(void)strlen(f->culprit);
		(void)strlen(f->evidence);
		an_severity_name(f->severity);
		an_kind_name(f->kind);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tr_trace traces[2] = {
		{ .index = 0, .path = "t0", .vpid = -1 },
		{ .index = 1, .path = "t1", .vpid = 42, .procname = "p" },
	};
	static const struct tr_stream streams[2] = {
		{ .index = 0, .id = 0, .trace = &traces[0] },
		{ .index = 1, .id = 0, .trace = &traces[1] },
	};
	struct in in = { data, size };
	struct an_config cfg;
	struct an *a;
	int64_t clock = 1000000000;
	uint8_t head;

	/* Thresholds within what the tools accept (sp_parse_ms(): 0 < ms <=
	 * 1e9, AN_THRESHOLD_MAX); the events are where anything goes. */
	an_config_default(&cfg);
	head = u8(&in);
	if (head & 1)
		cfg.long_task_ns = 1 + (int64_t)(raw64(&in) % AN_THRESHOLD_MAX);
	if (head & 2)
		cfg.starve_ns = 1 + (int64_t)(raw64(&in) % AN_THRESHOLD_MAX);
	if (head & 4)
		cfg.pid = (int64_t)pick_u64(&in);
	a = an_new(&cfg);
	if (!a)
		return 0;

	while (in.n) {
		uint8_t op = u8(&in);
		struct tr_event ev;
		const struct tr_field *f;
		unsigned nf;

		if (op >= 0xf8) {
			/* The tracer lost data. */
			struct tr_discard d = {
				.packets = op & 1,
				.count_known = op & 2,
				.count = pick_u64(&in),
				.has_range = op & 4,
				.stream = &streams[op & 1],
			};

			d.begin = pick_time(&in, &clock);
			d.end = pick_time(&in, &clock);
			an_discard(a, &d);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.type = (enum tr_type)(op % TR_EV_COUNT);
		ev.stream = &streams[(op >> 7) & 1];
		ev.vpid = (op & 0x40) ? 42 : -1;
		ev.vtid = ev.vpid;
		ev.procname = (op & 0x20) ? "proc" : NULL;
		ev.ts = ev.clock_ns = pick_time(&in, &clock);
		f = tr_type_fields(ev.type, &nf);
		for (unsigned i = 0; i < nf; i++) {
			char *dst = (char *)&ev + f[i].offset;
			uint64_t u;
			int64_t t;
			int32_t v;
			const char *s;

			switch (f[i].kind) {
			case TR_KIND_PTR:
			case TR_KIND_U64:
				u = pick_u64(&in);
				memcpy(dst, &u, sizeof(u));
				break;
			case TR_KIND_I64:
				t = pick_time(&in, &clock);
				memcpy(dst, &t, sizeof(t));
				break;
			case TR_KIND_INT:
				v = pick_int(&in);
				memcpy(dst, &v, sizeof(v));
				break;
			case TR_KIND_STR:
				s = names[u8(&in) % (sizeof(names) /
						     sizeof(names[0]))];
				memcpy(dst, &s, sizeof(s));
				break;
			}
		}
		if (an_feed(a, &ev) != 0)
			break; /* -ENOMEM: it can only be freed now */
	}
	walk(an_finish(a));
	(void)an_anomalies(a);
	an_free(a);
	return 0;
}
