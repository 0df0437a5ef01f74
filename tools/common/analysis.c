/*
 * The analysis core (see analysis.h).
 *
 * Per loop it rebuilds the state of every task from the events (waiting,
 * ready at some priority, running), which gives the ready-queue depth of
 * every priority over time; task_fire_begin's own "queued" and
 * "ready_mask" fields resynchronise that state at every run, so a lost or
 * missing event skews it for one run at most. A priority starves while it
 * has a ready task and no task of its own runs: the interval opens when it
 * becomes non-empty (or one of its runs ends with tasks still ready) and
 * closes when one of its tasks begins, when it empties, or at the end of
 * the trace; meanwhile every run that ends is added to its blame.
 */
#include "grow.h"
#include "analysis.h"
#include "words.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* enum lsched_task_kind (docs/tracepoints.md): the tools do not include
 * the library's headers. */
enum { KIND_IDLE = 0, KIND_AUTO_IDLE = 1, KIND_TIMER = 2, KIND_AUTO_TIMER = 3 };

/* A process's name: the name of its main thread (tid == pid). A loop's
 * first event gives the name of the loop's thread, which may be any
 * thread of the process ("storage" is officesim's server thread). */
struct an_proc {
	int64_t pid;
	char *name;
};

struct an {
	struct an_result res;
	size_t caploops, capfindings;
	uint64_t anomalies;
	bool finished;
	int nomem;
	struct an_proc *procs;
	size_t nprocs, capprocs;
};

static const char *const prio_names[AN_PRIOS] = {
	"HIGHEST", "DEFAULT", "HIGH_IDLE", "RESIZE",
	"REPAINT", "POST_PAINT", "DEFAULT_IDLE", "LOWEST",
};

void an_config_default(struct an_config *cfg)
{
	cfg->long_task_ns = 50 * 1000000LL;
	cfg->starve_ns = 100 * 1000000LL;
	cfg->pid = -1;
	cfg->block_ns = 5 * 1000000LL;
	cfg->merge = false;
	cfg->merge_prog = NULL;
}

const char *an_prio_name(int prio)
{
	return prio >= 0 && prio < AN_PRIOS ? prio_names[prio] : "?";
}

const char *an_severity_name(enum an_severity s)
{
	return s == AN_ERROR ? "error" : s == AN_WARNING ? "warning" : "info";
}

const char *an_kind_name(enum an_kind k)
{
	switch (k) {
	case AN_STARVING: return "starving-priority";
	case AN_STARVING_TASK: return "starving-task";
	case AN_LONG_TASK: return "long-running-task";
	case AN_NEVER_YIELDS: return "never-yields";
	case AN_OVERRUN: return "slice-overrun";
	case AN_BUSY_IDLE: return "busy-idle";
	case AN_BACKLOG: return "performer-backlog";
	case AN_LOST: return "events-lost";
	case AN_BLOCKS_LOOP: return "blocks-loop";
	}
	return "?";
}

const char *an_fmt_ns(int64_t ns, char *buf, size_t len)
{
	double v = (double)ns;
	double a = fabs(v);

	if (a >= 1e9)
		snprintf(buf, len, "%.3g s", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3g ms", v / 1e6);
	else if (a >= 1e3)
		snprintf(buf, len, "%.3g us", v / 1e3);
	else
		snprintf(buf, len, "%lld ns", (long long)ns);
	return buf;
}

/* ---- growing arrays (grow.h) ------------------------------------------- */

#define GROW(a, arr, n, cap)                                                   \
	(TG_ROOM(arr, n, cap) ||                                               \
	 ((a)->nomem = 1, false))

/* ---- arithmetic on times ----------------------------------------------- */

/* Event times are clamped into [-AN_TIME_LIMIT, AN_TIME_LIMIT] when fed
 * (2^61 ns, 73 years: past any real clock; a deadline saturated at
 * INT64_MAX stays "far future"), so that the difference of two times never
 * overflows; sums of many durations saturate instead of wrapping. */
#define AN_TIME_LIMIT (INT64_C(1) << 61)

static int64_t sat_add(int64_t x, int64_t y)
{
	int64_t r;

	if (__builtin_add_overflow(x, y, &r))
		return y > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static void clamp_times(struct tr_event *ev)
{
	unsigned n;
	const struct tr_field *f = tr_type_fields(ev->type, &n);

	for (unsigned i = 0; i < n; i++) {
		char *p = (char *)ev + f[i].offset;
		int64_t v;

		if (f[i].kind != TR_KIND_I64)
			continue;
		memcpy(&v, p, sizeof(v));
		if (v > AN_TIME_LIMIT || v < -AN_TIME_LIMIT) {
			v = v > 0 ? AN_TIME_LIMIT : -AN_TIME_LIMIT;
			memcpy(p, &v, sizeof(v));
		}
	}
}

/* ---- distributions ----------------------------------------------------- */

static void dist_add(struct an *a, struct an_dist *d, int64_t v)
{
	int b = v > 0 ? 63 - __builtin_clzll((unsigned long long)v) : 0;

	if (!d->count || v < d->min)
		d->min = v;
	if (!d->count || v > d->max)
		d->max = v;
	d->count++;
	d->sum = sat_add(d->sum, v);
	d->log2[b]++;
	if (GROW(a, d->samples, d->nsamples, d->cap)) {
		d->samples[d->nsamples++] = v;
		d->sorted = false;
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

int64_t an_pct(struct an_dist *d, double p)
{
	size_t rank;

	if (!d->nsamples)
		return 0;
	if (!d->sorted) {
		/* nsamples > 0: samples is not NULL. */
		qsort(d->samples, d->nsamples, sizeof(*d->samples), cmp_i64);
		d->sorted = true;
	}
	/* Nearest rank: the smallest value with at least p% at or below. */
	rank = (size_t)ceil(p / 100.0 * (double)d->nsamples);
	if (rank < 1)
		rank = 1;
	if (rank > d->nsamples)
		rank = d->nsamples;
	return d->samples[rank - 1];
}

int64_t an_mean(const struct an_dist *d)
{
	return d->count ? d->sum / (int64_t)d->count : 0;
}

static void dist_free(struct an_dist *d)
{
	free(d->samples);
}

/* ---- loops and tasks ----------------------------------------------------- */

/* Replaces *dst by a copy of src (NULL: none), unless they are equal. */
static void set_str(struct an *a, char **dst, const char *src)
{
	char *c;

	if (*dst && src && !strcmp(*dst, src))
		return;
	c = src ? strdup(src) : NULL;
	if (src && !c) {
		a->nomem = 1;
		return;
	}
	free(*dst);
	*dst = c;
}

/* An event only the loop's thread emits: it tells who runs the loop (the
 * latest thread, should another run it later). */
static void loop_thread(struct an *a, struct an_loop *l,
			const struct tr_event *ev)
{
	if (ev->vtid < 0)
		return;
	l->tid = ev->vtid;
	set_str(a, &l->thread, ev->procname);
}

const char *an_loop_label(const struct an_loop *l, char *buf, size_t len)
{
	char thread[96] = "";

	if (l->tid >= 0)
		snprintf(thread, sizeof(thread), "thread %s%stid %lld",
			 l->thread ? l->thread : "",
			 l->thread ? ", " : "", (long long)l->tid);
	if (l->name && *l->name)
		snprintf(buf, len, "loop \"%s\" (%s)", l->name,
			 *thread ? thread
				 : "thread unknown");
	else if (*thread && l->thread)
		snprintf(buf, len, "loop of thread %s (tid %lld)", l->thread,
			 (long long)l->tid);
	else if (*thread)
		snprintf(buf, len, "loop of %s", thread);
	else
		snprintf(buf, len, "loop 0x%llx", (unsigned long long)l->addr);
	return buf;
}

static struct an_loop *loop_get(struct an *a, const struct tr_event *ev,
				uint64_t addr)
{
	struct an_result *r = &a->res;
	unsigned trace = ev->stream && ev->stream->trace
				 ? ev->stream->trace->index
				 : 0;
	struct an_loop *l;

	/* Another process than the one asked for: skipped. */
	if (r->cfg.pid >= 0 && ev->vpid != r->cfg.pid)
		return NULL;
	for (size_t i = 0; i < r->nloops; i++) {
		l = r->loops[i];
		if (l->addr == addr && l->vpid == ev->vpid &&
		    (ev->vpid >= 0 || l->trace == trace))
			return l;
	}
	l = calloc(1, sizeof(*l));
	if (!l || !GROW(a, r->loops, r->nloops, a->caploops)) {
		free(l);
		a->nomem = 1;
		return NULL;
	}
	r->loops[r->nloops++] = l;
	l->vpid = ev->vpid;
	l->procname = ev->procname ? strdup(ev->procname) : NULL;
	l->trace = trace;
	l->addr = addr;
	l->tid = -1;
	l->first = l->last = INT64_MIN;
	for (int p = 0; p < AN_PRIOS; p++)
		l->wait_since[p] = -1;
	return l;
}

static struct an_tstate *id_find(struct an_loop *l, uint64_t id)
{
	struct an_tstate *ts;

	if (!l->idsize)
		return NULL;
	for (ts = l->ids[id & (l->idsize - 1)]; ts; ts = ts->hnext)
		if (ts->id == id)
			return ts;
	return NULL;
}

const struct an_task *an_loop_task(const struct an_loop *l, uint64_t id)
{
	/* id_find() only reads the table. */
	const struct an_tstate *ts = id_find((struct an_loop *)l, id);

	return ts ? ts->task : NULL;
}

static size_t name_hash(const char *name, int kind, size_t size)
{
	uint64_t h = 1469598103934665603ULL ^ ((uint64_t)(int64_t)kind + 1);

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return (size_t)(h & (size - 1));
}

static bool rehash_names(struct an_loop *l)
{
	size_t nsize = l->namesize ? l->namesize * 2 : 64;
	struct an_task **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return false;
	for (size_t i = 0; i < l->ntasks; i++) {
		struct an_task *t = l->tasks[i];
		size_t h = name_hash(t->name, t->kind, nsize);

		t->hnext = nt[h];
		nt[h] = t;
	}
	free(l->names);
	l->names = nt;
	l->namesize = nsize;
	return true;
}

static bool rehash_ids(struct an_loop *l)
{
	size_t nsize = l->idsize ? l->idsize * 2 : 256;
	struct an_tstate **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return false;
	for (size_t i = 0; i < l->idsize; i++) {
		struct an_tstate *ts = l->ids[i], *next;

		for (; ts; ts = next) {
			next = ts->hnext;
			ts->hnext = nt[ts->id & (nsize - 1)];
			nt[ts->id & (nsize - 1)] = ts;
		}
	}
	free(l->ids);
	l->ids = nt;
	l->idsize = nsize;
	return true;
}

/* The entry of tasks named name of this kind, made when first seen. */
static struct an_task *task_named(struct an *a, struct an_loop *l,
				  const char *name, int kind, int prio,
				  uint64_t id)
{
	struct an_task *t;

	if (l->namesize)
		for (t = l->names[name_hash(name, kind, l->namesize)]; t;
		     t = t->hnext)
			if (t->kind == kind && !strcmp(t->name, name))
				return t;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(name)) ||
	    !GROW(a, l->tasks, l->ntasks, l->captasks)) {
		if (t)
			free(t->name);
		free(t);
		a->nomem = 1;
		return NULL;
	}
	t->id = id;
	t->prio = prio;
	t->kind = kind;
	l->tasks[l->ntasks++] = t;
	if (l->ntasks * 2 > l->namesize) {
		if (!rehash_names(l))
			a->nomem = 1;
	} else {
		size_t h = name_hash(name, kind, l->namesize);

		t->hnext = l->names[h];
		l->names[h] = t;
	}
	return t;
}

/* The state of task id, made when first seen; name (NULL if the event
 * has none) names its entry. */
static struct an_tstate *task_get(struct an *a, struct an_loop *l, uint64_t id,
				  const char *name, int prio, int kind)
{
	struct an_tstate *ts = id_find(l, id);

	if (ts && (!name || (ts->task && ts->task->kind == kind &&
			     !strcmp(ts->task->name, name))))
		return ts;
	if (!ts) {
		ts = calloc(1, sizeof(*ts));
		if (!ts) {
			a->nomem = 1;
			return NULL;
		}
		ts->id = id;
		ts->ready_prio = -1;
		if (l->nids * 2 >= l->idsize && !rehash_ids(l)) {
			free(ts);
			a->nomem = 1;
			return NULL;
		}
		ts->hnext = l->ids[id & (l->idsize - 1)];
		l->ids[id & (l->idsize - 1)] = ts;
		l->nids++;
	}
	/* First seen, or first seen with its name (the trace began after
	 * its enqueue): (re)attach it to its named entry. */
	ts->task = task_named(a, l, name && *name ? name : "?",
			      name ? kind : -1, prio, id);
	if (!ts->task)
		return NULL;
	ts->task->instances++;
	return ts;
}

static struct an_performer *perf_get(struct an *a, struct an_loop *l,
				     uint64_t addr)
{
	struct an_performer *p;

	for (size_t i = 0; i < l->nperfs; i++)
		if (l->perfs[i]->addr == addr)
			return l->perfs[i];
	p = calloc(1, sizeof(*p));
	if (!p || !GROW(a, l->perfs, l->nperfs, l->capperfs)) {
		free(p);
		a->nomem = 1;
		return NULL;
	}
	p->addr = addr;
	l->perfs[l->nperfs++] = p;
	return p;
}

static bool valid_prio(int prio)
{
	return prio >= 0 && prio < AN_PRIOS;
}

/* ---- ready queues and starvation ----------------------------------------- */

static void seen(struct an_loop *l, int64_t t)
{
	if (l->first == INT64_MIN || t < l->first)
		l->first = t;
	if (t > l->last)
		l->last = t;
}

static void depth_point(struct an *a, struct an_prio *p, int64_t t)
{
	if (p->cur_depth > p->max_depth)
		p->max_depth = p->cur_depth;
	if (p->ndepth && p->depth[p->ndepth - 1].t == t) {
		p->depth[p->ndepth - 1].depth = p->cur_depth;
		return;
	}
	if (p->ndepth && p->depth[p->ndepth - 1].depth == p->cur_depth)
		return;
	if (GROW(a, p->depth, p->ndepth, p->capdepth))
		p->depth[p->ndepth++] = (struct an_depth){ t, p->cur_depth };
}

static int cmp_blame(const void *x, const void *y)
{
	const struct an_blame *a = x, *b = y;

	return a->ran_ns > b->ran_ns ? -1 : a->ran_ns < b->ran_ns;
}

/* Closes prio's waiting interval at t; keeps it if it starved. */
static void starve_close(struct an *a, struct an_loop *l, int prio, int64_t t,
			 bool open_at_end)
{
	struct an_prio *p = &l->prio[prio];
	int64_t since = l->wait_since[prio];

	l->wait_since[prio] = -1;
	if (since < 0 || t - since < a->res.cfg.starve_ns) {
		l->nacc[prio] = 0;
		return;
	}
	if (GROW(a, p->starves, p->nstarves, p->capstarves)) {
		struct an_starve *s = &p->starves[p->nstarves++];

		memset(s, 0, sizeof(*s));
		s->prio = prio;
		s->start = since;
		s->end = t;
		s->open_at_end = open_at_end;
		if (l->nacc[prio] > 1) /* acc is NULL before any blame */
			qsort(l->acc[prio], l->nacc[prio],
			      sizeof(struct an_blame), cmp_blame);
		s->nblame = l->nacc[prio] < AN_BLAME_MAX ? (unsigned)l->nacc[prio]
							  : AN_BLAME_MAX;
		if (s->nblame)
			memcpy(s->blame, l->acc[prio],
			       s->nblame * sizeof(*s->blame));
		p->starved_ns = sat_add(p->starved_ns, t - since);
		if (t - since > p->longest_starve_ns)
			p->longest_starve_ns = t - since;
	}
	l->nacc[prio] = 0;
}

/* A priority's depth changed at t: opens or closes its waiting. */
static void blame_one(struct an *a, struct an_loop *l, int prio,
		      const struct an_task *t, int64_t begin, int64_t end);

/* A priority's depth changed at t: opens or closes its waiting. A task
 * that became ready before we saw it (a timer due during a long run, woken
 * after it) opens the waiting at ready_at, and the run that covered it is
 * blamed for its share. */
static void depth_changed_at(struct an *a, struct an_loop *l, int prio,
			     int64_t t, int64_t ready_at)
{
	struct an_prio *p = &l->prio[prio];

	depth_point(a, p, t);
	if (p->cur_depth == 0) {
		if (l->wait_since[prio] >= 0)
			starve_close(a, l, prio, t, false);
	} else if (l->wait_since[prio] < 0 &&
		   !(l->running && l->running_prio == prio)) {
		int64_t since = ready_at < t ? ready_at : t;

		l->wait_since[prio] = since;
		if (l->last_end > since && l->last_begin < t)
			blame_one(a, l, prio, l->last_task, l->last_begin,
				  l->last_end);
	}
}

static void depth_changed(struct an *a, struct an_loop *l, int prio, int64_t t)
{
	depth_changed_at(a, l, prio, t, t);
}

static void ready_add(struct an *a, struct an_loop *l, struct an_tstate *t,
		      int prio, int64_t ready_at, int64_t now)
{
	if (!valid_prio(prio)) {
		a->anomalies++;
		return;
	}
	t->state = LSCHED_TP_STATE_READY;
	t->ready_prio = prio;
	t->ready_at = ready_at;
	l->prio[prio].cur_depth++;
	depth_changed_at(a, l, prio, now, ready_at);
}

/* Takes t out of whatever queue it is in. */
static void unqueue(struct an *a, struct an_loop *l, struct an_tstate *t,
		    int64_t now)
{
	if (t->state == LSCHED_TP_STATE_READY && valid_prio(t->ready_prio)) {
		struct an_prio *p = &l->prio[t->ready_prio];

		if (p->cur_depth)
			p->cur_depth--;
		else
			a->anomalies++;
		depth_changed(a, l, t->ready_prio, now);
	}
	t->state = LSCHED_TP_STATE_IDLE;
	t->ready_prio = -1;
	t->restarted = false;
}

/* Adds the part of a run [begin, end) after prio began waiting to its
 * blame. */
static void blame_one(struct an *a, struct an_loop *l, int prio,
		      const struct an_task *t, int64_t begin, int64_t end)
{
	int64_t since = l->wait_since[prio], from;
	struct an_blame *b = NULL;

	if (since < 0 || end <= since)
		return;
	from = begin > since ? begin : since;
	for (size_t i = 0; i < l->nacc[prio]; i++)
		if (l->acc[prio][i].task == t) {
			b = &l->acc[prio][i];
			break;
		}
	if (!b) {
		if (!GROW(a, l->acc[prio], l->nacc[prio], l->capacc[prio]))
			return;
		b = &l->acc[prio][l->nacc[prio]++];
		*b = (struct an_blame){ .task = t };
	}
	b->ran_ns = sat_add(b->ran_ns, end - from);
	b->runs++;
}

/* Adds a run to the blame of every priority waiting. */
static void blame_run(struct an *a, struct an_loop *l, const struct an_task *t,
		      int64_t begin, int64_t end)
{
	for (int prio = 0; prio < AN_PRIOS; prio++)
		blame_one(a, l, prio, t, begin, end);
	l->last_task = t;
	l->last_begin = begin;
	l->last_end = end;
}

static void add_run(struct an *a, struct an_loop *l, const struct an_task *t,
		    uint64_t id, int prio, int64_t ready_at, int64_t begin,
		    int64_t end, bool forced)
{
	if (GROW(a, l->runs, l->nruns, l->capruns))
		l->runs[l->nruns++] = (struct an_run){
			.task = t, .task_id = id, .prio = prio,
			.ready_at = ready_at, .begin = begin, .end = end,
			.forced = forced,
		};
}

/* ---- a task's wait and its blame ------------------------------------------ */

enum an_tgroup an_tgroup_of(int prio, int run_prio)
{
	if (run_prio < 0)
		return AN_TG_POSTED;
	return run_prio < prio ? AN_TG_HIGHER
	       : run_prio == prio ? AN_TG_OWN
				  : AN_TG_LOWER;
}

const char *an_tgroup_name(enum an_tgroup g)
{
	switch (g) {
	case AN_TG_HIGHER: return "higher priorities";
	case AN_TG_OWN: return "its own priority";
	case AN_TG_LOWER: return "lower priorities";
	case AN_TG_POSTED: return "posted work";
	default: break;
	}
	return "?";
}

/* The first run that ends after t: runs are in begin order and do not
 * overlap (one loop thread), so only the run before the first one to
 * begin at or after t may still be going at t. */
static size_t first_run_after(const struct an_loop *l, int64_t t)
{
	size_t lo = 0, hi = l->nruns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->runs[mid].begin < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && l->runs[lo - 1].end > t)
		lo--;
	return lo;
}

/* Adds run r, from..to of it, to the sums s and the culprits tacc (n of
 * them). Returns its culprit's slot, or -1 when out of memory. */
static long wait_add_run(struct an *a, struct an_loop *l,
			 struct an_task_starve *s, size_t *n, int prio,
			 const struct an_run *r, int64_t from, int64_t to,
			 int sign)
{
	enum an_tgroup g = an_tgroup_of(prio, r->prio);
	struct an_tblame *b = NULL;
	int64_t d;

	/* A run that ends before it begins (performer work of an unsound
	 * trace) counts, for nothing. */
	if (to < from)
		to = from;
	d = sign * (to - from);

	s->group_ns[g] = sat_add(s->group_ns[g], d);
	s->group_runs[g] += (uint64_t)(int64_t)sign;
	if (r->forced) {
		s->forced_ns[g] = sat_add(s->forced_ns[g], d);
		s->forced_runs[g] += (uint64_t)(int64_t)sign;
	}
	/* A task's slot is found at once; performer work, and a task seen
	 * at a second priority, by a walk. */
	if (r->task && r->task->acc_gen == l->acc_gen &&
	    r->task->acc_slot < *n && l->tacc[r->task->acc_slot].prio == r->prio)
		b = &l->tacc[r->task->acc_slot];
	for (size_t j = 0; !b && j < *n; j++)
		if (l->tacc[j].task == r->task && l->tacc[j].prio == r->prio)
			b = &l->tacc[j];
	if (!b) {
		if (!GROW(a, l->tacc, *n, l->captacc))
			return -1;
		b = &l->tacc[*n];
		*b = (struct an_tblame){ .task = r->task, .prio = r->prio };
		if (r->task) {
			/* The entry is the analysis' own: only the runs'
			 * view of it is const. */
			struct an_task *mt = (struct an_task *)r->task;

			mt->acc_slot = *n;
			mt->acc_gen = l->acc_gen;
		}
		(*n)++;
	}
	b->ran_ns = sat_add(b->ran_ns, d);
	b->runs += (uint64_t)(int64_t)sign;
	b->forced_runs += (uint64_t)(int64_t)(sign * r->forced);
	return (long)(b - l->tacc);
}

/* The AN_BLAME_MAX longest of the n culprits into s->blame, longest
 * first (tacc keeps its order: the slots point into it). */
static void wait_top_blame(const struct an_loop *l, size_t n,
			   struct an_task_starve *s)
{
	s->nblame = 0;
	for (size_t i = 0; i < n; i++) {
		const struct an_tblame *b = &l->tacc[i];
		unsigned k;

		if (!b->runs)
			continue;
		if (s->nblame == AN_BLAME_MAX &&
		    b->ran_ns <= s->blame[AN_BLAME_MAX - 1].ran_ns)
			continue;
		k = s->nblame < AN_BLAME_MAX ? s->nblame++ : AN_BLAME_MAX - 1;
		while (k > 0 && s->blame[k - 1].ran_ns < b->ran_ns) {
			s->blame[k] = s->blame[k - 1];
			k--;
		}
		s->blame[k] = *b;
	}
}

/*
 * Task t (id) waited at prio from start to end, at least the starve
 * threshold: keeps the wait with what ran inside it. The blame is taken
 * from the runs already kept (only waits this long pay for the walk), so
 * the per-run cost of the analysis does not grow with the number of ready
 * tasks. Tasks that became ready together and ran one after the other
 * (waits of one start and priority, each ending later) share the walk:
 * the sums of the runs that ended inside the last wait are kept, and the
 * next goes on from them; the one run cut by a wait's end is added for
 * that wait only.
 */
static void task_starve_add(struct an *a, struct an_loop *l,
			    struct an_task *t, uint64_t id, int prio,
			    int64_t start, int64_t end, bool open_at_end,
			    bool restarted)
{
	struct an_task_starve *s;
	size_t i, n;
	long cut = -1;

	if (end - start < a->res.cfg.starve_ns)
		return;
	if (!GROW(a, l->tstarves, l->ntstarves, l->captstarves))
		return;
	if (!(l->wc_valid && l->wc_start == start && l->wc_prio == prio &&
	      (l->wc_next == 0 || l->runs[l->wc_next - 1].end <= end))) {
		l->acc_gen++;
		memset(&l->wc, 0, sizeof(l->wc));
		l->wc_valid = true;
		l->wc_start = start;
		l->wc_prio = prio;
		l->wc_next = first_run_after(l, start);
		l->wc_n = 0;
	}
	n = l->wc_n;
	for (i = l->wc_next; i < l->nruns && l->runs[i].begin < end &&
			     l->runs[i].end <= end; i++) {
		const struct an_run *r = &l->runs[i];

		if (r->end <= start && r->end > r->begin)
			continue;
		if (wait_add_run(a, l, &l->wc, &n, prio, r,
				 r->begin > start ? r->begin : start,
				 r->end > start ? r->end : start, 1) < 0) {
			l->wc_valid = false;
			return;
		}
	}
	l->wc_next = i;
	l->wc_n = n;
	s = &l->tstarves[l->ntstarves++];
	*s = l->wc;
	s->task = t;
	s->task_id = id;
	s->prio = prio;
	s->start = start;
	s->end = end;
	s->open_at_end = open_at_end;
	s->restarted = restarted;
	s->under_way = NULL;
	s->under_way_ns = 0;
	s->due_run = NULL;
	s->due_run_ns = 0;
	if (t->max_wait > 0 && start + t->max_wait < end) {
		int64_t due = start + t->max_wait;
		size_t k = first_run_after(l, due);

		if (k < l->nruns && l->runs[k].begin < due &&
		    l->runs[k].end > due && l->runs[k].task) {
			s->due_run = l->runs[k].task;
			s->due_run_ns = (l->runs[k].end < end ? l->runs[k].end
							      : end) -
					due;
		}
	}
	{
		size_t k = first_run_after(l, start);

		if (k < l->nruns && l->runs[k].begin < start &&
		    l->runs[k].end > start && l->runs[k].task) {
			s->under_way = l->runs[k].task;
			s->under_way_ns = (l->runs[k].end < end ? l->runs[k].end
								: end) -
					  start;
		}
	}
	/* The run going on at the end (not in a cooperative trace, where
	 * the waiting task's run ends the wait; at the trace's end, yes). */
	if (i < l->nruns && l->runs[i].begin < end) {
		const struct an_run *r = &l->runs[i];

		cut = wait_add_run(a, l, s, &n, prio, r,
				   r->begin > start ? r->begin : start, end, 1);
		if (cut < 0) {
			l->wc_valid = false;
			l->ntstarves--;
			return;
		}
	}
	wait_top_blame(l, n, s);
	if (cut >= 0) { /* undone in the culprits kept for the next wait */
		struct an_tblame *b = &l->tacc[cut];
		const struct an_run *r = &l->runs[i];
		int64_t from = r->begin > start ? r->begin : start;
		int64_t d = end > from ? end - from : 0;

		b->ran_ns -= d;
		b->runs--;
		b->forced_runs -= r->forced;
	}
	t->starves++;
	if (end - start > t->longest_starve_ns)
		t->longest_starve_ns = end - start;
}

/* At the end of the trace, the tasks still ready that waited long. */
static void task_starve_open(struct an *a, struct an_loop *l)
{
	for (size_t i = 0; i < l->idsize; i++)
		for (struct an_tstate *ts = l->ids[i]; ts; ts = ts->hnext)
			if (ts->state == LSCHED_TP_STATE_READY && ts->task &&
			    valid_prio(ts->ready_prio))
				task_starve_add(a, l, ts->task, ts->id,
						ts->ready_prio, ts->ready_at,
						l->last, true, ts->restarted);
}

static int cmp_tstarve(const void *x, const void *y)
{
	const struct an_task_starve *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->task_id < b->task_id ? -1 : a->task_id > b->task_id;
}

/* ---- the events ---------------------------------------------------------- */

/*
 * A start of a task that is ready (cause RESTART): it stays ready, and its
 * wait goes on from the time it first became ready. Before the scheduler
 * kept a restarted task's place, such a restart moved the task to the
 * tail and reset its ready time (an idle) or sent it back to its timer
 * heap until a task_wake (a timer); either way the program wanted it run
 * all along, so neither its priority's waiting nor its own wait ends.
 */
static void restart_ready(struct an *a, struct an_loop *l,
			  struct an_tstate *t,
			  const struct tr_ev_task_enqueue *e)
{
	t->restarted = true;
	if (t->ready_prio != e->prio) { /* a change we did not see */
		int64_t ready_at = t->ready_at;

		a->anomalies++;
		unqueue(a, l, t, e->now);
		ready_add(a, l, t, e->prio, ready_at, e->now);
		t->restarted = true;
	}
}

static void on_enqueue(struct an *a, struct an_loop *l,
		       const struct tr_ev_task_enqueue *e)
{
	struct an_tstate *t = task_get(a, l, e->task, e->name, e->prio, e->kind);

	if (!t)
		return;
	seen(l, e->now);
	t->task->prio = e->prio;
	t->task->max_wait = e->max_wait > 0 ? e->max_wait : 0;
	if (e->cause == LSCHED_TP_CAUSE_RESTART &&
	    t->state == LSCHED_TP_STATE_READY) {
		restart_ready(a, l, t, e);
		return;
	}
	unqueue(a, l, t, e->now); /* a restart replaces the earlier one */
	if (e->kind == KIND_IDLE || e->kind == KIND_AUTO_IDLE)
		ready_add(a, l, t, e->prio, e->now, e->now);
	else
		t->state = LSCHED_TP_STATE_WAITING;
}

static void on_wake(struct an *a, struct an_loop *l,
		    const struct tr_ev_task_wake *e)
{
	struct an_tstate *t = task_get(a, l, e->task, NULL, e->prio, -1);

	if (!t)
		return;
	seen(l, e->now);
	if (e->late < 0)
		a->anomalies++;
	/* Woken while still ready: a timer restarted while ready by a
	 * scheduler that sent it back to its heap (restart_ready()). */
	if (t->state == LSCHED_TP_STATE_READY && t->restarted &&
	    t->ready_prio == e->prio)
		return;
	if (t->state == LSCHED_TP_STATE_READY)
		unqueue(a, l, t, e->now);
	ready_add(a, l, t, e->prio, e->due, e->now);
}

static void on_begin(struct an *a, struct an_loop *l,
		     const struct tr_ev_task_fire_begin *e)
{
	struct an_tstate *t = task_get(a, l, e->task, e->name, e->prio, e->kind);
	struct an_prio *p;
	int64_t ready_at = e->ready_at;
	bool restarted = false;

	if (!t)
		return;
	seen(l, e->begin);
	if (!valid_prio(e->prio)) {
		a->anomalies++;
		return;
	}
	/* Restarted while ready: it has waited since it first became ready,
	 * whatever time the scheduler kept (an older one reset it). */
	if (t->state == LSCHED_TP_STATE_READY && t->restarted &&
	    t->ready_at < ready_at)
		ready_at = t->ready_at;
	if (t->state == LSCHED_TP_STATE_READY)
		restarted = t->restarted;
	t->restarted = false;
	task_starve_add(a, l, t->task, e->task, e->prio, ready_at, e->begin,
			false, restarted);
	if (t->state == LSCHED_TP_STATE_READY)
		unqueue(a, l, t, e->begin);
	t->state = LSCHED_TP_STATE_IDLE;
	t->task->prio = e->prio;
	p = &l->prio[e->prio];
	/* The run says how many are still ready: trust it over our count. */
	if (p->cur_depth != e->queued) {
		a->anomalies++; /* we missed events: the run knows better */
		p->cur_depth = (uint32_t)e->queued;
	}
	for (int q = 0; q < AN_PRIOS; q++)
		if (q != e->prio && !(e->ready_mask & (1 << q)) &&
		    l->prio[q].cur_depth) {
			a->anomalies++;
			l->prio[q].cur_depth = 0;
			depth_changed(a, l, q, e->begin);
		}
	l->running = t;
	l->running_prio = e->prio;
	l->running_ready_at = ready_at;
	l->running_forced = (e->flags & LSCHED_TP_BEGIN_OVERDUE) != 0;
	/* Its priority runs: not starving any more. */
	if (l->wait_since[e->prio] >= 0)
		starve_close(a, l, e->prio, e->begin, false);
	depth_point(a, p, e->begin);
	p->fired++;
	t->task->runs++;
	dist_add(a, &p->wait, e->begin - ready_at);
	dist_add(a, &t->task->wait, e->begin - ready_at);
}

/* ---- CPU time: blocking, preemption and long work told apart ----------- */

/* A run's CPU time against its run time (task_fire_end.cpu and flags). */
static void cpu_run(struct an *a, struct an_task *t,
		    const struct tr_ev_task_fire_end *e)
{
	struct an_cpu_use *c = &t->cpu;
	int64_t run = e->end - e->begin, off;

	/* Not measured: an older trace, a virtual clock, or an event made
	 * by hand that left it 0 (a measured run takes some CPU time: the
	 * clock reads around it at least). */
	if (e->cpu <= 0)
		return;
	off = run > e->cpu ? run - e->cpu : 0;
	c->runs++;
	c->cpu = sat_add(c->cpu, e->cpu);
	c->wall = sat_add(c->wall, run);
	if (run >= a->res.cfg.long_task_ns && e->cpu < a->res.cfg.long_task_ns)
		c->long_off_cpu_runs++;
	if (!off)
		return;
	/* The thread slept in the run: the loop could not run anything else
	 * meanwhile. A run that also was preempted counts here: sleeping is
	 * what the program can change. */
	if ((e->flags & LSCHED_TP_END_BLOCKED) &&
	    off >= a->res.cfg.block_ns && off > e->cpu) {
		c->blocked_runs++;
		c->blocked_ns = sat_add(c->blocked_ns, off);
		if (off > c->block_max) {
			c->block_max = off;
			c->block_max_run = run;
			c->block_max_cpu = e->cpu;
			c->block_max_begin = e->begin;
		}
	} else if (!(e->flags & LSCHED_TP_END_BLOCKED) &&
		   ((e->flags & LSCHED_TP_END_PREEMPTED) ||
		    off >= a->res.cfg.block_ns)) {
		/* Off the CPU without sleeping: preempted, or (no switch at
		 * all, for long) the hypervisor or interrupts took the CPU.
		 * A few us off the CPU with no switch are the clock reads. */
		c->preempted_runs++;
		c->preempted_ns = sat_add(c->preempted_ns, off);
	}
}

/* A stopwatch check that found its slice exceeded: was the CPU time since
 * the stopwatch's start within the slice (the thread was descheduled), or
 * beyond it (the iterations are too long)? */
static void cpu_slice(struct an_loop *l, const struct tr_ev_slice *e)
{
	struct an_tstate *ts;
	struct an_cpu_use *c;

	if (e->cpu_elapsed <= 0 || e->elapsed <= e->slice || !e->task ||
	    !(ts = id_find(l, e->task)))
		return;
	c = &ts->task->cpu;
	if (e->cpu_elapsed <= e->slice) {
		c->overruns_off_cpu++;
		if (e->elapsed - e->cpu_elapsed >
		    c->worst_off_elapsed - c->worst_off_cpu) {
			c->worst_off_elapsed = e->elapsed;
			c->worst_off_cpu = e->cpu_elapsed;
		}
	} else {
		c->overruns_on_cpu++;
	}
}

static void on_end(struct an *a, struct an_loop *l,
		   const struct tr_ev_task_fire_end *e)
{
	struct an_tstate *ts = id_find(l, e->task);
	struct an_task *t;
	const struct an_config *cfg = &a->res.cfg;
	int64_t run = e->end - e->begin;

	seen(l, e->end);
	if (!ts || l->running != ts || run < 0) {
		a->anomalies++; /* an end without its begin */
		l->running = NULL;
		return;
	}
	l->running = NULL;
	t = ts->task;
	dist_add(a, &t->run, run);
	t->run_total = sat_add(t->run_total, run);
	if (run >= t->run.max)
		t->max_run_begin = e->begin;
	t->checks += e->checks;
	t->yields += e->yields;
	t->overruns += e->overruns;
	t->overrun_runs += e->overruns > 0;
	if (run >= cfg->long_task_ns) {
		t->long_runs++;
		t->never_yield += e->checks == 0;
	}
	cpu_run(a, t, e);
	add_run(a, l, t, e->task, e->prio, l->running_ready_at, e->begin,
		e->end, l->running_forced);
	blame_run(a, l, t, e->begin, e->end);
	/* Its priority still has ready tasks: they wait from now. */
	if (valid_prio(e->prio) && l->prio[e->prio].cur_depth &&
	    l->wait_since[e->prio] < 0)
		l->wait_since[e->prio] = e->end;
}

static void on_stop(struct an *a, struct an_loop *l,
		    const struct tr_ev_task_stop *e)
{
	struct an_tstate *t = task_get(a, l, e->task, NULL, e->prio, -1);

	if (!t)
		return;
	seen(l, e->now);
	t->task->stops++;
	unqueue(a, l, t, e->now);
}

/* The advice for a starving task depends on whether it has a maximum
 * wait already. */
static void on_max_wait(struct an *a, struct an_loop *l,
			const struct tr_ev_task_max_wait *e)
{
	/* A task not seen yet is not made up here (it would be a nameless
	 * "?" entry): its first task_enqueue carries its maximum wait. */
	struct an_tstate *t = id_find(l, e->task);

	(void)a;
	if (t && t->task)
		t->task->max_wait = e->max_wait > 0 ? e->max_wait : 0;
}

static void on_priority(struct an *a, struct an_loop *l,
			const struct tr_ev_task_priority *e)
{
	struct an_tstate *t = task_get(a, l, e->task, NULL, e->old_prio, -1);
	int64_t now = l->last;

	if (!t)
		return;
	t->task->prio = e->prio;
	if (t->state == LSCHED_TP_STATE_READY) {
		int64_t ready_at = t->ready_at;

		unqueue(a, l, t, now);
		ready_add(a, l, t, e->prio, ready_at, now);
	}
}

static void on_perform_enqueue(struct an *a, struct an_loop *l,
			       const struct tr_ev_perform_enqueue *e)
{
	struct an_performer *p = perf_get(a, l, e->performer);

	if (!p)
		return;
	if (e->posted_at >= 0)
		seen(l, e->posted_at);
	p->posts++;
	p->waits += e->wait != 0;
	p->signalled += e->signalled != 0;
	if (++p->backlog > p->max_backlog) {
		p->max_backlog = p->backlog;
		p->max_backlog_at = e->posted_at;
	}
}

static void on_perform_end(struct an *a, struct an_loop *l,
			   const struct tr_ev_perform_fire_end *e)
{
	struct an_performer *p = perf_get(a, l, e->performer);

	if (!p)
		return;
	seen(l, e->end);
	p->fired++;
	if (p->backlog)
		p->backlog--;
	if (e->delay >= 0)
		dist_add(a, &p->delay, e->delay);
	dist_add(a, &p->run, e->end - e->begin);
	/* First-class work runs outside any task: a run of its own. */
	if (e->task == 0) {
		l->posted_runs++;
		add_run(a, l, NULL, 0, -1, e->posted_at, e->begin, e->end,
			false);
		blame_run(a, l, NULL, e->begin, e->end);
	}
}

/* An event of a process's main thread names the process. */
static void note_proc(struct an *a, int64_t pid, const char *name)
{
	struct an_proc *p = NULL;
	char *copy;

	for (size_t i = 0; i < a->nprocs && !p; i++)
		if (a->procs[i].pid == pid)
			p = &a->procs[i];
	if (p && !strcmp(p->name, name))
		return;
	if (!(copy = strdup(name))) {
		a->nomem = 1;
		return;
	}
	if (!p) {
		if (!GROW(a, a->procs, a->nprocs, a->capprocs)) {
			free(copy);
			return;
		}
		p = &a->procs[a->nprocs++];
		p->pid = pid;
	} else {
		free(p->name);
	}
	p->name = copy;
}

/* Loops learn their process's name from its main thread where the trace
 * has an event of it. */
static void name_procs(struct an *a)
{
	for (size_t i = 0; i < a->res.nloops; i++) {
		struct an_loop *l = a->res.loops[i];

		for (size_t j = 0; l->vpid >= 0 && j < a->nprocs; j++) {
			char *copy;

			if (a->procs[j].pid != l->vpid ||
			    (l->procname && !strcmp(l->procname,
						    a->procs[j].name)))
				continue;
			if (!(copy = strdup(a->procs[j].name))) {
				a->nomem = 1;
				return;
			}
			free(l->procname);
			l->procname = copy;
		}
	}
}

int an_feed(struct an *a, const struct tr_event *in)
{
	struct tr_event copy = *in;
	const struct tr_event *ev = &copy;
	struct an_loop *l;

	if (a->nomem)
		return -ENOMEM;
	clamp_times(&copy);
	a->res.events++;
	if (ev->vpid >= 0 && ev->vtid == ev->vpid && ev->procname)
		note_proc(a, ev->vpid, ev->procname);
	switch (ev->type) {
	case TR_EV_task_enqueue:
		l = loop_get(a, ev, ev->task_enqueue.loop);
		if (l)
			on_enqueue(a, l, &ev->task_enqueue);
		break;
	case TR_EV_task_wake:
		l = loop_get(a, ev, ev->task_wake.loop);
		if (l)
			on_wake(a, l, &ev->task_wake);
		break;
	case TR_EV_task_fire_begin:
		l = loop_get(a, ev, ev->task_fire_begin.loop);
		if (l) {
			loop_thread(a, l, ev);
			on_begin(a, l, &ev->task_fire_begin);
		}
		break;
	case TR_EV_task_fire_end:
		l = loop_get(a, ev, ev->task_fire_end.loop);
		if (l)
			on_end(a, l, &ev->task_fire_end);
		break;
	case TR_EV_task_stop:
		l = loop_get(a, ev, ev->task_stop.loop);
		if (l)
			on_stop(a, l, &ev->task_stop);
		break;
	case TR_EV_task_priority:
		l = loop_get(a, ev, ev->task_priority.loop);
		if (l)
			on_priority(a, l, &ev->task_priority);
		break;
	case TR_EV_task_max_wait:
		l = loop_get(a, ev, ev->task_max_wait.loop);
		if (l)
			on_max_wait(a, l, &ev->task_max_wait);
		break;
	case TR_EV_slice:
		if (!ev->slice.loop)
			break;
		l = loop_get(a, ev, ev->slice.loop);
		if (l) {
			l->slices++;
			cpu_slice(l, &ev->slice);
		}
		break;
	case TR_EV_perform_enqueue:
		l = loop_get(a, ev, ev->perform_enqueue.loop);
		if (l)
			on_perform_enqueue(a, l, &ev->perform_enqueue);
		break;
	case TR_EV_perform_wake:
		l = loop_get(a, ev, ev->perform_wake.loop);
		if (l) {
			struct an_performer *p =
				perf_get(a, l, ev->perform_wake.performer);

			if (p)
				p->wakes++;
		}
		break;
	case TR_EV_perform_fire_end:
		l = loop_get(a, ev, ev->perform_fire_end.loop);
		if (l)
			on_perform_end(a, l, &ev->perform_fire_end);
		break;
	case TR_EV_loop_name:
		l = loop_get(a, ev, ev->loop_name.loop);
		if (l)
			set_str(a, &l->name, ev->loop_name.name);
		break;
	case TR_EV_loop_wake:
		l = loop_get(a, ev, ev->loop_wake.loop);
		if (l) {
			loop_thread(a, l, ev);
			l->sleeps++;
			if (ev->loop_wake.slept > 0)
				l->slept_ns = sat_add(l->slept_ns,
						      ev->loop_wake.slept);
			seen(l, ev->loop_wake.now);
		}
		break;
	case TR_EV_dispatch_command:
		l = loop_get(a, ev, ev->dispatch_command.loop);
		if (l)
			l->commands++;
		break;
	case TR_EV_dispatch_build:
		l = loop_get(a, ev, ev->dispatch_build.loop);
		if (l) {
			l->builds++;
			l->builds_forced += ev->dispatch_build.reason ==
					    LSCHED_TP_BUILD_FORCED;
		}
		break;
	default:
		break;
	}
	return a->nomem ? -ENOMEM : 0;
}

void an_discard(struct an *a, const struct tr_discard *d)
{
	a->res.discard_reports++;
	if (d->count_known)
		a->res.discarded_events += d->count;
	a->res.complete = false;
}

/* ---- counts -------------------------------------------------------------- */

void an_loop_counts(const struct an_loop *l, struct an_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < l->ntasks; i++) {
		c->task_runs += l->tasks[i]->runs;
		c->tasks += l->tasks[i]->runs > 0;
	}
	c->posted_runs = l->posted_runs;
}

const char *an_counts_text(const struct an_counts *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%llu task %s of %llu %s",
			 (unsigned long long)c->task_runs,
			 tw_noun(c->task_runs, "run", "runs"),
			 (unsigned long long)c->tasks,
			 tw_noun(c->tasks, "task", "tasks"));

	if (c->posted_runs && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %llu posted-work %s",
			 (unsigned long long)c->posted_runs,
			 tw_noun(c->posted_runs, "run", "runs"));
	return buf;
}

/* ---- findings ---------------------------------------------------------- */

static void finding(struct an *a, enum an_severity sev, enum an_kind kind,
		    const struct an_loop *l, double score, const char *culprit,
		    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void finding(struct an *a, enum an_severity sev, enum an_kind kind,
		    const struct an_loop *l, double score, const char *culprit,
		    const char *fmt, ...)
{
	struct an_result *r = &a->res;
	struct an_finding *f;
	va_list ap;

	if (!GROW(a, r->findings, r->nfindings, a->capfindings))
		return;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->kind = kind;
	f->loop = l;
	f->score = score;
	snprintf(f->culprit, sizeof(f->culprit), "%s", culprit);
	va_start(ap, fmt);
	vsnprintf(f->evidence, sizeof(f->evidence), fmt, ap);
	va_end(ap);
}

static void find_starving(struct an *a, struct an_loop *l)
{
	const struct an_config *cfg = &a->res.cfg;

	for (int prio = 0; prio < AN_PRIOS; prio++) {
		struct an_prio *p = &l->prio[prio];
		const struct an_starve *worst = NULL;
		char b1[32], b2[32], b3[32], blame[160] = "";

		if (!p->nstarves)
			continue;
		for (size_t i = 0; i < p->nstarves; i++)
			if (!worst || p->starves[i].end - p->starves[i].start >
					      worst->end - worst->start)
				worst = &p->starves[i];
		for (unsigned i = 0, n = 0; i < worst->nblame && i < 3; i++) {
			const struct an_blame *bl = &worst->blame[i];

			n += (unsigned)snprintf(blame + n, sizeof(blame) - n,
						"%s%s %s", i ? ", " : "",
						bl->task ? bl->task->name
							 : "(performer work)",
						an_fmt_ns(bl->ran_ns, b3,
							  sizeof(b3)));
			if (n >= sizeof(blame))
				break;
		}
		finding(a,
			p->longest_starve_ns >= 5 * cfg->starve_ns ? AN_ERROR
								   : AN_WARNING,
			AN_STARVING, l, (double)p->starved_ns, an_prio_name(prio),
			"%zu %s with ready tasks and none run, %s in all, "
			"longest %s%s; ran meanwhile: %s",
			p->nstarves,
			tw_noun(p->nstarves, "interval", "intervals"),
			an_fmt_ns(p->starved_ns, b1, sizeof(b1)),
			an_fmt_ns(p->longest_starve_ns, b2, sizeof(b2)),
			worst->open_at_end ? " (still starving at the end)" : "",
			*blame ? blame : "nothing");
	}
}

/*
 * The slice-overrun finding. With the CPU time of the checks known, an
 * overrun whose CPU time stayed within the slice is the thread having been
 * descheduled, not the iterations being long: said so, as information
 * (the program cannot help it), and the iterations are not blamed.
 */
static void find_overrun(struct an *a, struct an_loop *l,
			 const struct an_task *t, const char *who)
{
	const struct an_cpu_use *c = &t->cpu;
	char b1[32], b2[32], b3[32], b4[32];

	if (c->overruns_off_cpu && c->overruns_off_cpu >= c->overruns_on_cpu) {
		finding(a, AN_INFO, AN_OVERRUN, l, (double)t->overruns, who,
			"%llu of %llu stopwatch %s found the slice "
			"used up, in %llu %s, %llu with the CPU time "
			"within the slice (worst %s elapsed, %s of CPU, %s "
			"off it): the thread was descheduled, not the "
			"iterations too long; %llu %s preempted, %s in all",
			(unsigned long long)t->overruns,
			(unsigned long long)t->checks,
			tw_noun(t->checks, "check", "checks"),
			(unsigned long long)t->overrun_runs,
			tw_noun(t->overrun_runs, "run", "runs"),
			(unsigned long long)c->overruns_off_cpu,
			an_fmt_ns(c->worst_off_elapsed, b1, sizeof(b1)),
			an_fmt_ns(c->worst_off_cpu, b2, sizeof(b2)),
			an_fmt_ns(c->worst_off_elapsed - c->worst_off_cpu, b3,
				  sizeof(b3)),
			(unsigned long long)c->preempted_runs,
			tw_noun(c->preempted_runs, "run", "runs"),
			an_fmt_ns(c->preempted_ns, b4, sizeof(b4)));
		return;
	}
	finding(a, AN_WARNING, AN_OVERRUN, l, (double)t->overruns, who,
		"%llu of %llu stopwatch %s found the slice already used "
		"up, in %llu %s: iterations are too long for the slice",
		(unsigned long long)t->overruns, (unsigned long long)t->checks,
		tw_noun(t->checks, "check", "checks"),
		(unsigned long long)t->overrun_runs,
		tw_noun(t->overrun_runs, "run", "runs"));
}

/* Every long run was long for its time off the CPU, not its work: no
 * long-running-task or never-yields finding (a stopwatch would not help). */
static bool long_only_off_cpu(const struct an_task *t)
{
	return t->long_runs && t->cpu.long_off_cpu_runs >= t->long_runs;
}

/* The blocks-loop finding: runs that slept on the loop thread. */
static void find_blocking(struct an *a, struct an_loop *l,
			  const struct an_task *t, const char *who)
{
	const struct an_config *cfg = &a->res.cfg;
	const struct an_cpu_use *c = &t->cpu;
	char b1[32], b2[32], b3[32], b4[32];

	if (!c->blocked_runs)
		return;
	finding(a, c->block_max >= cfg->long_task_ns ? AN_ERROR : AN_WARNING,
		AN_BLOCKS_LOOP, l, (double)c->block_max, who,
		"%llu of %llu %s slept on the loop thread (a read, a lock, "
		"a sleep) for most of the run: longest %s off the CPU in a %s "
		"run with %s of CPU; %s asleep in all, while the loop could "
		"run nothing else; move the blocking call off the loop thread "
		"(a thread server's lsched_server_send(), the pool's "
		"lsched_pool_submit(), or lsched_loop_watch_fd())",
		(unsigned long long)c->blocked_runs,
		(unsigned long long)t->runs, tw_noun(t->runs, "run", "runs"),
		an_fmt_ns(c->block_max, b1, sizeof(b1)),
		an_fmt_ns(c->block_max_run, b2, sizeof(b2)),
		an_fmt_ns(c->block_max_cpu, b3, sizeof(b3)),
		an_fmt_ns(c->blocked_ns, b4, sizeof(b4)));
}

static void find_tasks(struct an *a, struct an_loop *l)
{
	const struct an_config *cfg = &a->res.cfg;
	uint64_t loop_runs = 0;
	int64_t span = l->last > l->first ? l->last - l->first : 0;

	for (size_t i = 0; i < l->ntasks; i++)
		loop_runs += l->tasks[i]->runs;
	for (size_t i = 0; i < l->ntasks; i++) {
		struct an_task *t = l->tasks[i];
		char b1[32], b2[32], b3[32], who[96];

		snprintf(who, sizeof(who), "%s (%s)", t->name,
			 an_prio_name(t->prio));
		if (long_only_off_cpu(t)) {
			/* Not the work: find_blocking() tells a blocking
			 * run; a preempted one is not the program's doing. */
		} else if (t->never_yield) {
			finding(a,
				t->run.max >= 4 * cfg->long_task_ns ? AN_ERROR
								    : AN_WARNING,
				AN_NEVER_YIELDS, l, (double)t->run.max, who,
				"%llu %s of at least %s with no stopwatch check; "
				"longest %s: split it: ask lsched_stopwatch_continue() "
				"between pieces of work and return when it answers "
				"false",
				(unsigned long long)t->never_yield,
				tw_noun(t->never_yield, "run", "runs"),
				an_fmt_ns(cfg->long_task_ns, b1, sizeof(b1)),
				an_fmt_ns(t->run.max, b2, sizeof(b2)));
		} else if (t->long_runs) {
			finding(a,
				t->run.max >= 4 * cfg->long_task_ns ? AN_ERROR
								    : AN_WARNING,
				AN_LONG_TASK, l, (double)t->run.max, who,
				"%llu of %llu %s at least %s, longest %s, p99 %s",
				(unsigned long long)t->long_runs,
				(unsigned long long)t->runs,
				tw_noun(t->runs, "run", "runs"),
				an_fmt_ns(cfg->long_task_ns, b1, sizeof(b1)),
				an_fmt_ns(t->run.max, b2, sizeof(b2)),
				an_fmt_ns(an_pct(&t->run, 99), b3, sizeof(b3)));
		}
		/* One overrun may be the system pausing the thread: a
		 * tenth of the runs, and at least two, is a habit. */
		if (t->overrun_runs >= 2 && t->overrun_runs * 10 >= t->runs)
			find_overrun(a, l, t, who);
		find_blocking(a, l, t, who);
		/* A repeating idle that runs often, briefly, and makes most
		 * of the loop's runs keeps the loop from ever sleeping. */
		if (t->kind == KIND_AUTO_IDLE && t->runs >= 1000 &&
		    t->runs * 2 >= loop_runs && an_mean(&t->run) < 50000 &&
		    t->checks == 0 && span > 0)
			finding(a, AN_WARNING, AN_BUSY_IDLE, l,
				(double)t->runs, who,
				"%llu runs in %s (%.0f/s), mean %s each: a "
				"repeating idle that never stops keeps the loop "
				"awake; stop it when it has nothing to do",
				(unsigned long long)t->runs,
				an_fmt_ns(span, b1, sizeof(b1)),
				(double)t->runs * 1e9 / (double)span,
				an_fmt_ns(an_mean(&t->run), b2, sizeof(b2)));
	}
}

/*
 * "give VICTIM a maximum wait", unless it has one: then the wait went past
 * it by the run that was under way when it fell due (a maximum wait runs
 * the task at the next task boundary), or the maximum wait is longer than
 * the wait. Telling a task that has a maximum wait to get one is wrong.
 */
static bool max_wait_advice(const struct an_task_starve *s, char *buf,
			    size_t len)
{
	int64_t mw = s->task->max_wait, wait = s->end - s->start;
	/* Past its maximum wait by more than a tenth of it: the maximum
	 * wait did not run it in time. Less is the maximum wait working
	 * (it acts at the next task boundary): nothing to split. */
	bool late = mw > 0 && wait - mw > mw / 10;
	char b1[32], b2[32];

	/* Most of the overshoot was one run going on when it fell due: a
	 * shorter maximum wait would have fallen due inside it too. */
	if (late && s->due_run && s->due_run_ns * 2 > wait - mw) {
		snprintf(buf, len, "split %s with lsched_stopwatch_continue(): "
			 "%s's maximum wait (%s) fell due "
			 "during its run, which went on %s (a maximum wait "
			 "acts only between runs)", s->due_run->name,
			 s->task->name, an_fmt_ns(mw, b1, sizeof(b1)),
			 an_fmt_ns(s->due_run_ns, b2, sizeof(b2)));
		return true;
	}
	if (mw <= 0)
		snprintf(buf, len, "give %s a maximum wait "
			 "(lsched_task_set_max_wait())", s->task->name);
	else if (wait > mw && !late)
		snprintf(buf, len, "%s's maximum wait (%s) ran it in time "
			 "(%s past it, at the next task boundary): shorten "
			 "the maximum wait (lsched_task_set_max_wait())",
			 s->task->name, an_fmt_ns(mw, b1, sizeof(b1)),
			 an_fmt_ns(wait - mw, b2, sizeof(b2)));
	else if (wait > mw)
		snprintf(buf, len, "%s's maximum wait (%s) ran it %s past it, "
			 "after the run under way: shorten the maximum wait "
			 "(lsched_task_set_max_wait())",
			 s->task->name, an_fmt_ns(mw, b1, sizeof(b1)),
			 an_fmt_ns(wait - mw, b2, sizeof(b2)));
	else
		snprintf(buf, len, "shorten %s's maximum wait (%s; "
			 "lsched_task_set_max_wait())",
			 s->task->name, an_fmt_ns(mw, b1, sizeof(b1)));
	return false;
}

/* The advice for a task's wait, from the group that ran most of it. */
static void starve_advice(const struct an_task_starve *s, char *buf,
			  size_t len)
{
	const char *top = "?";
	char mw[256], b1[32];
	int64_t ran = 0, most = -1;
	enum an_tgroup g = AN_TG_HIGHER;

	for (int i = 0; i < AN_TG_N; i++) {
		ran = sat_add(ran, s->group_ns[i]);
		if (s->group_ns[i] > most) {
			most = s->group_ns[i];
			g = (enum an_tgroup)i;
		}
	}
	for (unsigned i = 0; i < s->nblame; i++)
		if (an_tgroup_of(s->prio, s->blame[i].prio) == g) {
			top = s->blame[i].task ? s->blame[i].task->name
					       : "(performer work)";
			break;
		}
	/* Most of the wait ran nothing the trace shows. */
	if (ran < (s->end - s->start) / 2) {
		snprintf(buf, len, "the loop ran no task for most of it: "
			 "it slept or was blocked outside any task");
		return;
	}
	if (max_wait_advice(s, mw, sizeof(mw)) && ran >= (s->end - s->start) / 2) {
		/* The run that kept it past its maximum wait: the advice. */
		snprintf(buf, len, "%s", mw);
		return;
	}
	switch (g) {
	case AN_TG_HIGHER:
		/* Most of the wait was one run already going when the task
		 * became ready: a maximum wait acts only at the next task
		 * boundary, and lowering that task keeps it first while it
		 * runs. Only its pieces getting shorter help. */
		if (s->under_way && s->under_way_ns * 2 > s->end - s->start &&
		    an_tgroup_of(s->prio, s->under_way->prio) == AN_TG_HIGHER) {
			snprintf(buf, len, "split %s with "
				 "lsched_stopwatch_continue(): it "
				 "was running when %s became ready (%s of the "
				 "wait), which no maximum wait cuts short; then "
				 "%s", s->under_way->name, s->task->name,
				 an_fmt_ns(s->under_way_ns, b1, sizeof(b1)),
				 mw);
			break;
		}
		snprintf(buf, len, "%s, or split or lower %s "
			 "(lsched_stopwatch_continue(), "
			 "lsched_task_set_priority())", mw, top);
		break;
	case AN_TG_OWN:
		if (s->forced_ns[AN_TG_OWN] * 2 > s->group_ns[AN_TG_OWN])
			snprintf(buf, len, "%s's maximum wait ran it ahead: "
				 "%s%s, or raise its priority "
				 "(lsched_task_set_priority())", top, mw,
				 s->task->max_wait ? "" : " too");
		else
			snprintf(buf, len, "split %s with "
				 "lsched_stopwatch_continue(), or %s", top, mw);
		break;
	case AN_TG_LOWER:
		/* Not forced: the run was under way when the wait began. */
		if (s->forced_ns[AN_TG_LOWER] * 2 > s->group_ns[AN_TG_LOWER])
			snprintf(buf, len, "lower tasks' maximum waits ran "
				 "them ahead (%s): lengthen them "
				 "(lsched_task_set_max_wait()), or %s", top,
				 mw);
		else
			snprintf(buf, len, "split %s with "
				 "lsched_stopwatch_continue(): it "
				 "was running when %s became ready", top,
				 s->task->name);
		break;
	default:
		snprintf(buf, len, "posted work ran ahead of it: post smaller "
			 "pieces, or post them as tasks at a priority "
			 "(lsched_perform_at())");
		break;
	}
}

/* One line of a task's wait: the groups that ran, the top culprit of
 * each, the advice. */
void an_task_starve_text(const struct an_task_starve *s, char *buf,
			 size_t len)
{
	char b1[32], b2[32], advice[512];
	size_t n = 0;

	buf[0] = '\0';
	for (int g = 0; g < AN_TG_N && n < len; g++) {
		const struct an_tblame *top = NULL;

		if (!s->group_runs[g])
			continue;
		for (unsigned i = 0; i < s->nblame && !top; i++)
			if (an_tgroup_of(s->prio, s->blame[i].prio) ==
			    (enum an_tgroup)g)
				top = &s->blame[i];
		n += (size_t)snprintf(buf + n, len - n, "%s%s %s in %llu %s",
				      n ? "; " : "",
				      an_tgroup_name((enum an_tgroup)g),
				      an_fmt_ns(s->group_ns[g], b1, sizeof(b1)),
				      (unsigned long long)s->group_runs[g],
				      tw_noun(s->group_runs[g], "run", "runs"));
		if (n < len && s->forced_runs[g])
			n += (size_t)snprintf(buf + n, len - n,
					      ", %llu forced by a max wait",
					      (unsigned long long)
						      s->forced_runs[g]);
		if (n < len && top && g != AN_TG_POSTED)
			n += (size_t)snprintf(
				buf + n, len - n, " (most: %s %s %s)",
				top->task ? top->task->name : "?",
				an_prio_name(top->prio),
				an_fmt_ns(top->ran_ns, b2, sizeof(b2)));
	}
	if (n < len) {
		starve_advice(s, advice, sizeof(advice));
		snprintf(buf + n, len - n, "%s%s", n ? ": " : "", advice);
	}
}

/* A finding per task that waited at least the threshold, on its longest
 * wait. */
static void find_starving_tasks(struct an *a, struct an_loop *l)
{
	const struct an_config *cfg = &a->res.cfg;

	for (size_t i = 0; i < l->ntasks; i++) {
		const struct an_task *t = l->tasks[i];
		const struct an_task_starve *w = NULL;
		char b1[32], b2[32], who[96], text[AN_EVIDENCE_LEN];

		if (!t->starves)
			continue;
		for (size_t j = 0; j < l->ntstarves; j++)
			if (l->tstarves[j].task == t &&
			    (!w || l->tstarves[j].end - l->tstarves[j].start >
					   w->end - w->start))
				w = &l->tstarves[j];
		if (!w)
			continue;
		snprintf(who, sizeof(who), "%s (%s)", t->name,
			 an_prio_name(w->prio));
		an_task_starve_text(w, text, sizeof(text));
		finding(a,
			t->longest_starve_ns >= 5 * cfg->starve_ns ? AN_ERROR
								   : AN_WARNING,
			AN_STARVING_TASK, l, (double)t->longest_starve_ns, who,
			"waited up to %s%s%s (%llu %s over %s); meanwhile %s",
			an_fmt_ns(t->longest_starve_ns, b1, sizeof(b1)),
			w->open_at_end ? ", still waiting at the end" : "",
			w->restarted ? ", restarted while ready" : "",
			(unsigned long long)t->starves,
			tw_noun(t->starves, "wait", "waits"),
			an_fmt_ns(cfg->starve_ns, b2, sizeof(b2)), text);
	}
}

static void find_backlog(struct an *a, struct an_loop *l)
{
	for (size_t i = 0; i < l->nperfs; i++) {
		struct an_performer *p = l->perfs[i];
		int64_t p99 = an_pct(&p->delay, 99);
		char b1[32], b2[32], who[64];

		/* With under 100 posts the p99 is the longest delay: one post
		 * woken late (the loop thread descheduled on a busy machine)
		 * is not a backlog. At least two posts must have waited. */
		bool delayed = p99 >= 10 * 1000000LL && p->delay.nsamples >= 2 &&
			       p->delay.samples[p->delay.nsamples - 2] >=
				       10 * 1000000LL;

		if (!delayed && p->max_backlog < 10000)
			continue;
		snprintf(who, sizeof(who), "performer 0x%llx",
			 (unsigned long long)p->addr);
		finding(a, p99 >= 100 * 1000000LL ? AN_ERROR : AN_WARNING,
			AN_BACKLOG, l, (double)p99, who,
			"queue delay p99 %s, max %s; up to %llu %s waiting",
			an_fmt_ns(p99, b1, sizeof(b1)),
			an_fmt_ns(p->delay.max, b2, sizeof(b2)),
			(unsigned long long)p->max_backlog,
			tw_noun(p->max_backlog, "post", "posts"));
	}
}

static int cmp_finding(const void *x, const void *y)
{
	const struct an_finding *a = x, *b = y;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return a->score > b->score ? -1 : a->score < b->score;
}

const struct an_result *an_finish(struct an *a)
{
	struct an_result *r = &a->res;

	if (a->finished)
		return r;
	a->finished = true;
	name_procs(a);
	for (size_t i = 0; i < r->nloops; i++) {
		struct an_loop *l = r->loops[i];

		for (int prio = 0; prio < AN_PRIOS; prio++)
			if (l->wait_since[prio] >= 0)
				starve_close(a, l, prio, l->last, true);
		task_starve_open(a, l);
		if (l->ntstarves > 1)
			qsort(l->tstarves, l->ntstarves, sizeof(*l->tstarves),
			      cmp_tstarve);
		find_starving(a, l);
		find_starving_tasks(a, l);
		find_tasks(a, l);
		find_backlog(a, l);
	}
	if (!r->complete)
		finding(a, AN_ERROR, AN_LOST, NULL, 1e18, "the tracer",
			"the trace is incomplete: %llu discard %s, %llu "
			"%s known lost; figures undercount and intervals "
			"may be wrong; record again with bigger buffers",
			(unsigned long long)r->discard_reports,
			tw_noun(r->discard_reports, "report", "reports"),
			(unsigned long long)r->discarded_events,
			tw_noun(r->discarded_events, "event", "events"));
	/* No finding: findings is NULL, which qsort() must not be given. */
	if (r->nfindings > 1)
		qsort(r->findings, r->nfindings, sizeof(*r->findings),
		      cmp_finding);
	return r;
}

const struct an_result *an_current(const struct an *a)
{
	return &a->res;
}

uint64_t an_anomalies(const struct an *a)
{
	return a->anomalies;
}

/* ---- life -------------------------------------------------------------- */

struct an *an_new(const struct an_config *cfg)
{
	struct an *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	an_config_default(&a->res.cfg);
	if (cfg) {
		int64_t block_ns = a->res.cfg.block_ns;

		a->res.cfg = *cfg;
		/* A caller that predates the field leaves it 0. */
		if (cfg->block_ns <= 0)
			a->res.cfg.block_ns = block_ns;
	}
	a->res.complete = true;
	return a;
}

static void loop_free(struct an_loop *l)
{
	free(l->thread);
	free(l->name);
	for (size_t i = 0; i < l->ntasks; i++) {
		dist_free(&l->tasks[i]->run);
		dist_free(&l->tasks[i]->wait);
		free(l->tasks[i]->name);
		free(l->tasks[i]);
	}
	for (size_t i = 0; i < l->nperfs; i++) {
		dist_free(&l->perfs[i]->delay);
		dist_free(&l->perfs[i]->run);
		free(l->perfs[i]);
	}
	for (int p = 0; p < AN_PRIOS; p++) {
		dist_free(&l->prio[p].wait);
		free(l->prio[p].depth);
		free(l->prio[p].starves);
		free(l->acc[p]);
	}
	for (size_t i = 0; i < l->idsize; i++) {
		struct an_tstate *ts = l->ids[i], *next;

		for (; ts; ts = next) {
			next = ts->hnext;
			free(ts);
		}
	}
	free(l->tasks);
	free(l->perfs);
	free(l->runs);
	free(l->tstarves);
	free(l->tacc);
	free(l->ids);
	free(l->names);
	free(l->procname);
	free(l);
}

void an_free(struct an *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->res.nloops; i++)
		loop_free(a->res.loops[i]);
	free(a->res.loops);
	free(a->res.findings);
	for (size_t i = 0; i < a->nprocs; i++)
		free(a->procs[i].name);
	free(a->procs);
	free(a);
}

/* ---- from traces ------------------------------------------------------- */

static int feed_cb(const struct tr_event *ev, void *arg)
{
	return an_feed(arg, ev) ? 1 : 0;
}

static int discard_cb(const struct tr_discard *d, void *arg)
{
	an_discard(arg, d);
	return 0;
}

struct an *an_from_traces(const char *const *paths, int npaths,
			  const struct an_config *cfg, char *err, size_t errlen)
{
	struct tr_reader *r = tr_reader_new();
	struct an *a = an_new(cfg);
	struct tr_handlers h = { .event = feed_cb, .discard = discard_cb };
	int rc = 0;

	if (!r || !a) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	h.arg = a;
	/* cfg may be NULL: the defaults, which do not merge. */
	tr_reader_allow_merge(r, cfg && cfg->merge);
	for (int i = 0; i < npaths && rc >= 0; i++)
		rc = tr_reader_add_path(r, paths[i]);
	if (rc >= 0 && cfg && cfg->merge && cfg->merge_prog)
		tr_reader_print_merged(r, stderr, cfg->merge_prog);
	if (rc >= 0)
		rc = tr_reader_run(r, &h);
	if (rc == TR_STOPPED || a->nomem) {
		snprintf(err, errlen, "out of memory while analysing the trace");
		goto fail;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", tr_reader_error(r));
		goto fail;
	}
	if (tr_reader_stats(r)->events == 0) {
		snprintf(err, errlen,
			 "no libsched event in the trace (was the provider "
			 "libsched-lttng.so loaded?)");
		goto fail;
	}
	tr_reader_free(r);
	an_finish(a);
	return a;
fail:
	tr_reader_free(r);
	an_free(a);
	return NULL;
}
