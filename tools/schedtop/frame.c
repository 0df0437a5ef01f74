/*
 * schedtop frames: snapshots of the model, the figures of an interval
 * between two snapshots, alerts, and the plain-text and JSON output.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "grow.h"
#include "jsonstr.h"
#include "schedtop.h"
#include "textesc.h"

void st_error(const char *fmt, ...)
{
	va_list ap;

	fputs("schedtop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *const sort_names[ST_SORT_COUNT] = {
	"time", "runs", "max", "mean", "p99", "wait", "overruns", "name",
};

const char *st_sort_name(enum st_sort s)
{
	return s < ST_SORT_COUNT ? sort_names[s] : "?";
}

int st_sort_lookup(const char *name)
{
	for (int i = 0; i < ST_SORT_COUNT; i++)
		if (!strcmp(name, sort_names[i]))
			return i;
	return -1;
}

static const char *const prio_names[ST_PRIOS] = {
	"HIGHEST", "DEFAULT", "HIGH_IDLE", "RESIZE",
	"REPAINT", "POST_PAINT", "DEFAULT_IDLE", "LOWEST",
};

int st_waited_behind(const struct an_run *runs, size_t i, char *buf,
		     size_t len)
{
	struct wb { const char *name; int64_t ns; } *all = NULL;
	const struct an_run *ru = &runs[i];
	size_t n = 0, cap = 0, k = 0;
	int shown = 0;

	buf[0] = '\0';
	if (ru->ready_at < 0 || ru->begin <= ru->ready_at)
		return 0;
	for (size_t j = i; j-- > 0;) {
		const struct an_run *o = &runs[j];
		int64_t lo = o->begin > ru->ready_at ? o->begin : ru->ready_at;
		int64_t hi = o->end < ru->begin ? o->end : ru->begin;
		const char *nm = o->task ? o->task->name : "(posted work)";
		size_t x;

		/* A loop's runs follow one another: the earlier ones ended
		 * before the wait. */
		if (o->end <= ru->ready_at)
			break;
		if (hi <= lo)
			continue;
		for (x = 0; x < n && strcmp(all[x].name, nm); x++)
			;
		if (x == n) {
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 16;
				struct wb *g = realloc(all, nc * sizeof(*g));

				if (!g) {
					free(all);
					return -1;
				}
				all = g;
				cap = nc;
			}
			all[n].name = nm;
			all[n++].ns = 0;
		}
		all[x].ns += hi - lo;
	}
	/* The three largest, largest first (ties: the latest met first). */
	for (; shown < 3 && (size_t)shown < n && k < len; shown++) {
		size_t best = (size_t)shown;
		struct wb tmp;
		char d[32];

		for (size_t x = best + 1; x < n; x++)
			if (all[x].ns > all[best].ns)
				best = x;
		tmp = all[shown];
		all[shown] = all[best];
		all[best] = tmp;
		k += (size_t)snprintf(buf + k, len - k, "%s%s %s",
				      shown ? ", " : "", all[shown].name,
				      st_fmt_ns(all[shown].ns, d, sizeof(d)));
	}
	free(all);
	return shown;
}

const char *st_prio_name(int prio)
{
	return prio >= 0 && prio < ST_PRIOS ? prio_names[prio] : "?";
}

const char *st_kind_name(int kind)
{
	/* enum lsched_task_kind */
	static const char *const names[] = {
		"idle", "auto-idle", "timer", "auto-timer",
	};

	return kind >= 0 && kind < 4 ? names[kind] : "?";
}

const char *st_fmt_ns(int64_t ns, char *buf, size_t len)
{
	double v = (double)ns;

	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%" PRId64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.3g us", v / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3g ms", v / 1e6);
	else
		snprintf(buf, len, "%.3g s", v / 1e9);
	return buf;
}

/* ---- snapshots ---------------------------------------------------------- */

void st_snap_clear(struct st_snap *s)
{
	s->nloops = 0;
	s->ntasks = 0;
	s->t = 0;
	s->epoch = 0;
	memset(&s->lost, 0, sizeof(s->lost));
	s->lost_trace = 0;
}

void st_snap_free(struct st_snap *s)
{
	free(s->loops);
	free(s->tasks);
	memset(s, 0, sizeof(*s));
}

bool st_snap_copy(struct st_snap *dst, const struct st_snap *src)
{
	if (!tg_reserve((void **)&dst->loops, &dst->caploops, src->nloops,
		  sizeof(*dst->loops)) ||
	    !tg_reserve((void **)&dst->tasks, &dst->captasks, src->ntasks,
		  sizeof(*dst->tasks)))
		return false;
	if (src->nloops)
		memcpy(dst->loops, src->loops, src->nloops * sizeof(*src->loops));
	if (src->ntasks)
		memcpy(dst->tasks, src->tasks, src->ntasks * sizeof(*src->tasks));
	dst->nloops = src->nloops;
	dst->ntasks = src->ntasks;
	dst->t = src->t;
	dst->epoch = src->epoch;
	dst->lost = src->lost;
	dst->lost_trace = src->lost_trace;
	return true;
}

struct st_loop_ent *st_snap_loop(struct st_snap *s, uint64_t addr,
				 int64_t vpid)
{
	struct st_loop_ent *e;

	for (size_t i = 0; i < s->nloops; i++)
		if (s->loops[i].addr == addr && s->loops[i].vpid == vpid)
			return &s->loops[i];
	if (!tg_reserve((void **)&s->loops, &s->caploops, s->nloops + 1,
		  sizeof(*s->loops)))
		return NULL;
	e = &s->loops[s->nloops++];
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->vpid = vpid;
	return e;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct st_task_key));
}

static int cmp_ent(const void *a, const void *b)
{
	return cmp_key(&((const struct st_task_ent *)a)->k,
		       &((const struct st_task_ent *)b)->k);
}

static struct st_task_ent *task_find(const struct st_snap *s,
				     const struct st_task_key *k)
{
	if (!s->ntasks)
		return NULL;
	/* The key is the entry's first member. */
	return bsearch(k, s->tasks, s->ntasks, sizeof(*s->tasks), cmp_key);
}

struct st_task_stat *st_snap_task(struct st_snap *s,
				  const struct st_task_key *k)
{
	struct st_task_ent *e = task_find(s, k);
	size_t lo = 0, hi = s->ntasks;

	if (e)
		return &e->v;
	if (!tg_reserve((void **)&s->tasks, &s->captasks, s->ntasks + 1,
		  sizeof(*s->tasks)))
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cmp_key(&s->tasks[mid].k, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&s->tasks[lo + 1], &s->tasks[lo],
		(s->ntasks - lo) * sizeof(*s->tasks));
	s->ntasks++;
	memset(&s->tasks[lo], 0, sizeof(s->tasks[lo]));
	s->tasks[lo].k = *k;
	return &s->tasks[lo].v;
}

bool st_snap_add_task(struct st_snap *s, const struct st_task_key *k,
		      const struct st_task_stat *v)
{
	if (!tg_reserve((void **)&s->tasks, &s->captasks, s->ntasks + 1,
		  sizeof(*s->tasks)))
		return false;
	s->tasks[s->ntasks].k = *k;
	s->tasks[s->ntasks].v = *v;
	s->ntasks++;
	return true;
}

void st_snap_sort_tasks(struct st_snap *s)
{
	if (s->ntasks > 1)
		qsort(s->tasks, s->ntasks, sizeof(*s->tasks), cmp_ent);
}

/* ---- alerts ------------------------------------------------------------- */

static void name_of(char *dst, size_t len, const char *name)
{
	snprintf(dst, len, "%.*s", ST_NAME_LEN - 1, name[0] ? name : "(unnamed)");
}

void st_alert_raise(struct st_alerts *al, const struct st_alert *a,
		    int64_t when, const char *extra)
{
	struct st_alert_ent *e = &al->ring[al->total % ST_ALERTS_KEPT];
	char d[32], name[ST_NAME_LEN + 2];
	int n = 0;

	e->a = *a;
	e->when = when;
	name_of(name, sizeof(name), a->name);
	st_fmt_ns(a->dur, d, sizeof(d));
	switch (a->kind) {
	case ST_ALERT_LONG_TASK:
		n = snprintf(e->text, sizeof(e->text),
			     "long task: %s (%s) ran %s", name,
			     st_prio_name(a->prio), d);
		break;
	case ST_ALERT_RUNNING:
		n = snprintf(e->text, sizeof(e->text),
			     "running long: %s (%s) has run %s so far", name,
			     st_prio_name(a->prio), d);
		break;
	case ST_ALERT_STARVED:
		n = snprintf(e->text, sizeof(e->text),
			     "starved: %s waited %s until %s ran",
			     st_prio_name(a->prio), d, name);
		break;
	case ST_ALERT_STARVING:
		n = snprintf(e->text, sizeof(e->text),
			     "starving: %s ready %s without a run",
			     st_prio_name(a->prio), d);
		break;
	case ST_ALERT_TASK_STARVED:
		n = snprintf(e->text, sizeof(e->text),
			     "starved task: %s (%s) waited %s", name,
			     st_prio_name(a->prio), d);
		break;
	case ST_ALERT_LOST:
		n = snprintf(e->text, sizeof(e->text), "events lost: %" PRId64,
			     a->dur);
		break;
	case ST_ALERT_FLIGHT:
		/* The rule and the rest: extra. */
		n = snprintf(e->text, sizeof(e->text), "flight save");
		break;
	default:
		n = snprintf(e->text, sizeof(e->text), "alert %u", a->kind);
		break;
	}
	if (extra && n >= 0 && (size_t)n < sizeof(e->text))
		snprintf(e->text + n, sizeof(e->text) - (size_t)n, "%s", extra);
	if (al->keep_all) {
		if (al->total == al->capall) {
			size_t cap = al->capall ? al->capall * 2 : 64;
			struct st_alert_ent *all =
				realloc(al->all, cap * sizeof(*all));

			if (!all) {
				/* The ring still holds the latest. */
				free(al->all);
				al->all = NULL;
				al->keep_all = false;
			} else {
				al->all = all;
				al->capall = cap;
			}
		}
		if (al->keep_all)
			al->all[al->total] = *e;
	}
	al->total++;
}

const struct st_alert_ent *st_alert_get(const struct st_alerts *al,
					uint64_t i)
{
	if (i >= al->total)
		return NULL;
	if (al->keep_all && al->all)
		return &al->all[i];
	if (al->total - i > ST_ALERTS_KEPT)
		return NULL;
	return &al->ring[i % ST_ALERTS_KEPT];
}

void st_alerts_free(struct st_alerts *al)
{
	free(al->all);
	al->all = NULL;
	al->capall = 0;
	al->keep_all = false;
}

static const char *alert_kind(uint32_t k)
{
	switch (k) {
	case ST_ALERT_LONG_TASK: return "long-task";
	case ST_ALERT_STARVED: return "starved";
	case ST_ALERT_LOST: return "lost";
	case ST_ALERT_RUNNING: return "running-long";
	case ST_ALERT_STARVING: return "starving";
	case ST_ALERT_TASK_STARVED: return "starved-task";
	case ST_ALERT_FLIGHT: return "flight-save";
	default: return "?";
	}
}

/* ---- frames ------------------------------------------------------------- */

int64_t st_hist_pct(const st_u64 *cur, const st_u64 *prev, double p,
		    int64_t max)
{
	uint64_t n = 0, want, seen = 0;
	int64_t v;

	for (unsigned b = 0; b < ST_HIST_BUCKETS; b++)
		n += cur[b] - (prev ? prev[b] : 0);
	if (!n)
		return 0;
	want = (uint64_t)ceil(p / 100.0 * (double)n);
	if (want < 1)
		want = 1;
	for (unsigned b = 0; b < ST_HIST_BUCKETS; b++) {
		seen += cur[b] - (prev ? prev[b] : 0);
		if (seen >= want) {
			v = st_bucket_high(b) - 1;
			return max > 0 && v > max ? max : v;
		}
	}
	return max;
}

static const struct st_loop_ent *loop_find(const struct st_snap *s,
					   uint64_t addr, int64_t vpid)
{
	for (size_t i = 0; i < s->nloops; i++)
		if (s->loops[i].addr == addr && s->loops[i].vpid == vpid)
			return &s->loops[i];
	return NULL;
}

bool st_loop_virtual(const struct st_loop_ent *l)
{
	int64_t skew = l->v.last_time - l->v.last_clock;

	return l->v.last_clock && (skew > 1000000000LL || skew < -1000000000LL);
}

int64_t st_loop_now(const struct st_loop_ent *l, int64_t t)
{
	return st_loop_virtual(l) ? l->v.last_time : t;
}

static int64_t in_progress(const struct st_loop_ent *l, int64_t t)
{
	t = st_loop_now(l, t);
	return l->v.run_task && t > l->v.run_begin ? t - l->v.run_begin : 0;
}

static bool task_of(const struct st_task_key *k, const struct st_loop_ent *l)
{
	return k->loop == l->addr && (l->vpid < 0 || k->pid == (uint32_t)l->vpid);
}

static enum st_sort sort_key;

static int cmp_task(const void *x, const void *y)
{
	const struct st_frame_task *a = x, *b = y;
	int64_t d = 0;

	switch (sort_key) {
	case ST_SORT_TIME: d = b->run_sum - a->run_sum; break;
	case ST_SORT_RUNS: d = (int64_t)b->runs - (int64_t)a->runs; break;
	case ST_SORT_MAX: d = b->run_max - a->run_max; break;
	case ST_SORT_MEAN: d = b->run_mean - a->run_mean; break;
	case ST_SORT_P99: d = b->run_p99 - a->run_p99; break;
	case ST_SORT_WAIT: d = b->wait_p99 - a->wait_p99; break;
	case ST_SORT_OVERRUNS:
		d = (int64_t)b->overruns - (int64_t)a->overruns;
		break;
	default: break;
	}
	if (d)
		return d > 0 ? 1 : -1;
	return strcmp(a->k->name, b->k->name);
}

void st_frame_sort(struct st_frame *f, enum st_sort sort)
{
	st_frame_sort_dir(f, sort, false);
}

void st_frame_sort_dir(struct st_frame *f, enum st_sort sort, bool reverse)
{
	sort_key = sort;
	for (size_t i = 0; i < f->nloops; i++) {
		struct st_frame_task *t = f->loops[i].tasks;
		size_t n = f->loops[i].ntasks;

		if (n < 2)
			continue;
		qsort(t, n, sizeof(*t), cmp_task);
		for (size_t a = 0, b = n - 1; reverse && a < b; a++, b--) {
			struct st_frame_task x = t[a];

			t[a] = t[b];
			t[b] = x;
		}
	}
}

bool st_frame_dup(struct st_frame *dst, const struct st_frame *src)
{
	size_t ntasks = 0, k = 0;

	*dst = *src;
	dst->loops = NULL;
	dst->nloops = 0;
	dst->own_keys = NULL;
	for (size_t i = 0; i < src->nloops; i++)
		ntasks += src->loops[i].ntasks;
	dst->loops = calloc(src->nloops ? src->nloops : 1, sizeof(*dst->loops));
	dst->own_keys = calloc(ntasks ? ntasks : 1, sizeof(*dst->own_keys));
	if (!dst->loops || !dst->own_keys)
		goto out_free;
	for (size_t i = 0; i < src->nloops; i++) {
		struct st_frame_loop *l = &dst->loops[i];

		*l = src->loops[i];
		l->tasks = NULL;
		dst->nloops = i + 1;
		if (!src->loops[i].ntasks)
			continue;
		l->tasks = malloc(l->ntasks * sizeof(*l->tasks));
		if (!l->tasks) {
			l->ntasks = 0;
			goto out_free;
		}
		for (size_t j = 0; j < l->ntasks; j++, k++) {
			l->tasks[j] = src->loops[i].tasks[j];
			dst->own_keys[k] = *src->loops[i].tasks[j].k;
			l->tasks[j].k = &dst->own_keys[k];
		}
	}
	return true;
out_free:
	st_frame_free(dst);
	return false;
}

void st_frame_free(struct st_frame *f)
{
	for (size_t i = 0; i < f->nloops; i++)
		free(f->loops[i].tasks);
	free(f->loops);
	free(f->own_keys);
	f->loops = NULL;
	f->own_keys = NULL;
	f->nloops = 0;
}

static int cmp_loop(const void *x, const void *y)
{
	const struct st_frame_loop *a = x, *b = y;
	bool ma = a->vpid >= 0 && a->tid == (uint32_t)a->vpid;
	bool mb = b->vpid >= 0 && b->tid == (uint32_t)b->vpid;

	if (a->vpid != b->vpid)
		return a->vpid < b->vpid ? -1 : 1;
	if (ma != mb)
		return ma ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static uint64_t lost_sum(const struct st_snap *s)
{
	/* An end without its begin is not counted: the run in progress when
	 * the probes were attached ends so. */
	return s->lost.ringbuf + s->lost.map_full + s->lost.bad_args +
	       s->lost_trace;
}

bool st_frame_build(struct st_frame *f, const struct st_snap *prev,
		    const struct st_snap *cur, long pid, double interval_s,
		    int64_t starve_ns, enum st_sort sort)
{
	double secs = interval_s > 0 ? interval_s : 1;
	int64_t span_ns;

	f->t0 = prev->t ? prev->t : cur->t - (int64_t)(secs * 1e9);
	f->t1 = cur->t;
	span_ns = f->t1 - f->t0;
	if (span_ns > 0)
		secs = (double)span_ns / 1e9;
	f->lost = lost_sum(cur);
	f->lost_delta = f->lost - lost_sum(prev);
	f->nloops = 0;
	f->loops = calloc(cur->nloops ? cur->nloops : 1, sizeof(*f->loops));
	if (!f->loops)
		return false;
	for (size_t i = 0; i < cur->nloops; i++) {
		const struct st_loop_ent *c = &cur->loops[i];
		const struct st_loop_ent *p = loop_find(prev, c->addr, c->vpid);
		struct st_frame_loop *fl = &f->loops[f->nloops];
		static const struct st_loop zero;
		const struct st_loop *pv = p ? &p->v : &zero;
		int64_t now = st_loop_now(c, cur->t);
		size_t n = 0;

		if (pid >= 0 && c->vpid >= 0 && c->vpid != pid)
			continue;
		f->nloops++;
		fl->addr = c->addr;
		fl->vpid = c->vpid;
		fl->tid = c->v.tid;
		memcpy(fl->thread, c->thread, sizeof(fl->thread));
		memcpy(fl->name, c->name, sizeof(fl->name));
		fl->cpu_pct = -1;
		fl->runs_total = c->v.runs;
		fl->runs_s = (double)(c->v.runs - pv->runs) / secs;
		fl->posts_s = (double)(c->v.posts - pv->posts) / secs;
		/* The run in progress counts up to the snapshot, in this
		 * frame and not again in the next. A loop on a virtual clock
		 * has no share of real time. */
		fl->virtual_clock = st_loop_virtual(c);
		if (fl->virtual_clock)
			fl->busy_pct = -1;
		else
			fl->busy_pct = 100.0 *
				       (double)(c->v.run_sum + in_progress(c, cur->t) -
						pv->run_sum -
						(p ? in_progress(p, prev->t) : 0)) /
				       (secs * 1e9);
		for (int q = 0; q < ST_PRIOS; q++) {
			const struct st_prio_stat *cp = &c->v.prio[q];
			const struct st_prio_stat *pp = &pv->prio[q];
			struct st_frame_prio *fp = &fl->prio[q];
			int64_t since;

			fp->runs = cp->runs - pp->runs;
			fp->runs_s = (double)fp->runs / secs;
			if (fp->runs)
				st_maxes_get(&cp->max, cur->epoch, &fp->run_max,
					     &fp->wait_max);
			fp->wait_p50 = st_hist_pct(cp->wait_hist, pp->wait_hist,
						   50, fp->wait_max);
			fp->wait_p99 = st_hist_pct(cp->wait_hist, pp->wait_hist,
						   99, fp->wait_max);
			fp->run_p50 = st_hist_pct(cp->run_hist, pp->run_hist,
						  50, fp->run_max);
			fp->run_p99 = st_hist_pct(cp->run_hist, pp->run_hist,
						  99, fp->run_max);
			fp->ready_exact = c->depth_exact;
			if (c->depth_exact)
				fp->ready = c->depth[q];
			else
				fp->ready = c->v.ready_mask & (1 << q) ?
						    (cp->queued ? cp->queued : 1) : 0;
			since = cp->ready_since;
			if (since && since < cp->last_end)
				since = cp->last_end;
			fp->waiting = since && now > since ? now - since : 0;
			fp->starving = fp->waiting >= starve_ns ? fp->waiting : 0;
		}
		if (c->v.run_task) {
			fl->running = true;
			memcpy(fl->run_name, c->v.run_name, ST_NAME_LEN);
			fl->run_name[ST_NAME_LEN - 1] = '\0';
			fl->run_prio = c->v.run_prio;
			fl->run_for = now - c->v.run_begin;
			if (fl->run_for < 0)
				fl->run_for = 0;
		}
		/* This loop's tasks. */
		for (size_t t = 0; t < cur->ntasks; t++)
			if (task_of(&cur->tasks[t].k, c))
				n++;
		fl->tasks = calloc(n ? n : 1, sizeof(*fl->tasks));
		if (!fl->tasks)
			return false;
		for (size_t t = 0; t < cur->ntasks; t++) {
			const struct st_task_ent *ce = &cur->tasks[t];
			const struct st_task_ent *pe;
			struct st_frame_task *ft;
			static const struct st_task_stat tzero;
			const struct st_task_stat *pt;
			int64_t wait_max = 0;
			uint64_t runs;

			if (!task_of(&ce->k, c))
				continue;
			pe = p ? task_find(prev, &ce->k) : NULL;
			pt = pe ? &pe->v : &tzero;
			runs = ce->v.runs - pt->runs;
			if (!runs && !(fl->running &&
				       !strncmp(fl->run_name, ce->k.name,
						ST_NAME_LEN)))
				continue;
			ft = &fl->tasks[fl->ntasks++];
			ft->k = &ce->k;
			ft->prio = ce->v.prio;
			ft->runs = runs;
			ft->runs_total = ce->v.runs;
			ft->runs_s = (double)runs / secs;
			ft->run_sum = ce->v.run_sum - pt->run_sum;
			ft->busy_pct = 100.0 * (double)ft->run_sum / (secs * 1e9);
			ft->run_mean = runs ? ft->run_sum / (int64_t)runs : 0;
			if (runs)
				st_maxes_get(&ce->v.max, cur->epoch, &ft->run_max,
					     &wait_max);
			ft->run_p99 = st_hist_pct(ce->v.run_hist, pt->run_hist,
						  99, ft->run_max);
			ft->wait_p99 = st_hist_pct(
				ce->v.wait_hist, pt->wait_hist, 99,
				wait_max);
			ft->overruns = ce->v.overruns - pt->overruns;
			ft->overruns_total = ce->v.overruns;
			ft->long_runs_total = ce->v.long_runs;
		}
	}
	/* Loops in a stable order: per process, its main thread's first. */
	qsort(f->loops, f->nloops, sizeof(*f->loops), cmp_loop);
	st_frame_sort(f, sort);
	return true;
}

void st_check_ongoing(struct st_run *r, const struct st_snap *s,
		      int64_t long_ns, int64_t starve_ns)
{
	for (size_t i = 0; i < s->nloops; i++) {
		const struct st_loop_ent *e = &s->loops[i];
		int64_t now = st_loop_now(e, s->t);
		size_t k;

		for (k = 0; k < r->nongoing; k++)
			if (r->ongoing[k].loop == e->addr &&
			    r->ongoing[k].vpid == e->vpid)
				break;
		if (k == r->nongoing) {
			if (k == sizeof(r->ongoing) / sizeof(r->ongoing[0]))
				continue;
			memset(&r->ongoing[k], 0, sizeof(r->ongoing[k]));
			r->ongoing[k].loop = e->addr;
			r->ongoing[k].vpid = e->vpid;
			r->nongoing++;
		}
		if (e->v.run_task && now - e->v.run_begin >= long_ns &&
		    (r->ongoing[k].task != e->v.run_task ||
		     r->ongoing[k].begin != e->v.run_begin)) {
			struct st_alert a = {
				.kind = ST_ALERT_RUNNING, .prio = e->v.run_prio,
				.loop = e->addr, .task = e->v.run_task,
				.start = e->v.run_begin,
				.dur = now - e->v.run_begin, .tid = e->v.tid,
			};

			memcpy(a.name, e->v.run_name, ST_NAME_LEN);
			a.name[ST_NAME_LEN - 1] = '\0';
			st_alert_raise(&r->alerts, &a, now, NULL);
			r->ongoing[k].task = e->v.run_task;
			r->ongoing[k].begin = e->v.run_begin;
		}
		for (int q = 0; q < ST_PRIOS; q++) {
			const struct st_prio_stat *p = &e->v.prio[q];
			int64_t since = p->ready_since;

			if (since && since < p->last_end)
				since = p->last_end;
			if (!since || now - since < starve_ns ||
			    r->ongoing[k].since[q] == since)
				continue;
			struct st_alert a = {
				.kind = ST_ALERT_STARVING, .prio = q,
				.loop = e->addr, .start = since,
				.dur = now - since, .tid = e->v.tid,
			};
			st_alert_raise(&r->alerts, &a, now, NULL);
			r->ongoing[k].since[q] = since;
		}
	}
}

/* ---- plain text --------------------------------------------------------- */

static void frame_time(char *buf, size_t len, const struct st_frame *f)
{
	if (f->wall > 0) {
		time_t t = (time_t)f->wall;
		struct tm tm;
		char hms[16];

		localtime_r(&t, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		snprintf(buf, len, "%s", hms);
	} else {
		snprintf(buf, len, "t=%.3fs",
			 (double)(f->t1 - f->trace_start) / 1e9);
	}
}

static void alert_time(char *buf, size_t len, const struct st_alert_ent *e,
		       const struct st_frame *f)
{
	if (f->wall > 0) {
		/* Live: the loop clock is CLOCK_MONOTONIC, f->t1 is now. */
		double w = f->wall - (double)(f->t1 - e->when) / 1e9;
		time_t t = (time_t)w;
		struct tm tm;
		char hms[16];

		localtime_r(&t, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%03d", hms,
			 (int)((w - (double)t) * 1000));
	} else {
		snprintf(buf, len, "t=%.3fs",
			 (double)(e->when - f->trace_start) / 1e9);
	}
}

const char *const st_prio_header =
	"PRIO           READY    RUNS/S   WAIT_P50   WAIT_P99   WAIT_MAX   STARVING";
const char *const st_task_header =
	"TASK                     PRIO           RUNS/S  BUSY%   RUN_MEAN    "
	"RUN_P99    RUN_MAX   WAIT_P99 OVERRUNS";

void st_prio_row(char *buf, size_t len, int q, const struct st_frame_prio *p)
{
	char ready[24], a[32], b[32], c[32], d[32];

	snprintf(ready, sizeof(ready), "%" PRIu64 "%s", p->ready,
		 !p->ready_exact && p->ready ? "+" : "");
	snprintf(buf, len, "%-13s %6s %9.1f %10s %10s %10s %10s",
		 st_prio_name(q), ready, p->runs_s,
		 p->runs ? st_fmt_ns(p->wait_p50, a, sizeof(a)) : "-",
		 p->runs ? st_fmt_ns(p->wait_p99, b, sizeof(b)) : "-",
		 p->runs ? st_fmt_ns(p->wait_max, c, sizeof(c)) : "-",
		 p->starving ? st_fmt_ns(p->starving, d, sizeof(d)) : "-");
}

void st_task_row(char *buf, size_t len, const struct st_frame_task *t)
{
	char a[32], b[32], c[32], d[32];

	snprintf(buf, len, "%-24.24s %-12s %8.1f %6.1f %10s %10s %10s %10s %8"
		 PRIu64, t->k->name[0] ? tx_esc(t->k->name) : "(unnamed)",
		 st_prio_name(t->prio), t->runs_s, t->busy_pct,
		 t->runs ? st_fmt_ns(t->run_mean, a, sizeof(a)) : "-",
		 t->runs ? st_fmt_ns(t->run_p99, d, sizeof(d)) : "-",
		 t->runs ? st_fmt_ns(t->run_max, b, sizeof(b)) : "-",
		 t->runs ? st_fmt_ns(t->wait_p99, c, sizeof(c)) : "-",
		 t->overruns);
}

static void print_loop_text(FILE *out, const struct st_frame_loop *l)
{
	char a[32], row[256];

	if (l->name[0])
		fprintf(out, "loop \"%s\" 0x%" PRIx64, tx_esc(l->name), l->addr);
	else
		fprintf(out, "loop 0x%" PRIx64, l->addr);
	if (l->vpid >= 0)
		fprintf(out, "  pid %" PRId64, l->vpid);
	if (l->tid)
		fprintf(out, "  tid %u", l->tid);
	if (l->thread[0])
		fprintf(out, " (%s)", tx_esc(l->thread));
	if (l->cpu_pct >= 0)
		fprintf(out, "  cpu %.1f%%", l->cpu_pct);
	if (l->virtual_clock)
		fputs("  virtual clock", out);
	else
		fprintf(out, "  busy %.1f%%", l->busy_pct);
	fprintf(out, "  tasks/s %.1f  posts/s %.1f", l->runs_s, l->posts_s);
	if (l->running)
		fprintf(out, "  running %s for %s",
			l->run_name[0] ? tx_esc(l->run_name) : "(unnamed)",
			st_fmt_ns(l->run_for, a, sizeof(a)));
	fputc('\n', out);
	fprintf(out, "%s\n", st_prio_header);
	for (int q = 0; q < ST_PRIOS; q++) {
		st_prio_row(row, sizeof(row), q, &l->prio[q]);
		fprintf(out, "%s\n", row);
	}
	fprintf(out, "%s\n", st_task_header);
	for (size_t i = 0; i < l->ntasks; i++) {
		st_task_row(row, sizeof(row), &l->tasks[i]);
		fprintf(out, "%s\n", row);
	}
}

void st_print_text(FILE *out, const struct st_frame *f,
		   const struct st_alerts *al, const struct st_view *v)
{
	char when[32];
	double runs = 0, posts = 0, cpu = -1;

	for (size_t i = 0; i < f->nloops; i++) {
		runs += f->loops[i].runs_s;
		posts += f->loops[i].posts_s;
		if (f->loops[i].cpu_pct >= 0)
			cpu = (cpu < 0 ? 0 : cpu) + f->loops[i].cpu_pct;
	}
	frame_time(when, sizeof(when), f);
	fprintf(out, "schedtop %s - %s", v->mode, when);
	if (v->pid >= 0)
		fprintf(out, "  pid %ld", v->pid);
	if (v->comm[0])
		fprintf(out, " (%s)", tx_esc(v->comm));
	fprintf(out, "  loops %zu", f->nloops);
	if (cpu >= 0)
		fprintf(out, "  loop cpu %.1f%%", cpu);
	fprintf(out, "  tasks/s %.1f  posts/s %.1f  lost %" PRIu64 "\n", runs,
		posts, f->lost);
	for (size_t i = 0; i < f->nloops; i++) {
		fputc('\n', out);
		print_loop_text(out, &f->loops[i]);
	}
	fprintf(out, "\nALERTS (%" PRIu64 " in this frame, %" PRIu64 " in all%s)\n",
		f->alerts_to - f->alerts_from, f->alerts_to,
		f->alerts_to - f->alerts_from > ST_ALERTS_KEPT ?
			"; the oldest of this frame are not kept" : "");
	for (uint64_t i = f->alerts_from; i < f->alerts_to; i++) {
		const struct st_alert_ent *e;

		if (f->alerts_to - i > ST_ALERTS_KEPT)
			continue;
		e = &al->ring[i % ST_ALERTS_KEPT];
		alert_time(when, sizeof(when), e, f);
		fprintf(out, "%s  %s\n", when, tx_esc(e->text));
	}
	fputc('\n', out);
	fflush(out);
}

/* ---- JSON --------------------------------------------------------------- */


void st_print_json(FILE *out, const struct st_frame *f,
		   const struct st_alerts *al, const struct st_view *v)
{
	fprintf(out, "{\"schedtop\":1,\"mode\":\"%s\",\"frame\":%" PRIu64
		",\"t0_ns\":%" PRId64 ",\"t1_ns\":%" PRId64, v->mode, f->seq,
		f->t0, f->t1);
	if (f->wall > 0)
		fprintf(out, ",\"wall\":%.3f", f->wall);
	else
		fprintf(out, ",\"trace_s\":%.6f",
			(double)(f->t1 - f->trace_start) / 1e9);
	fprintf(out, ",\"pid\":%ld,\"comm\":", v->pid);
	tj_str(out, v->comm);
	fprintf(out, ",\"lost\":%" PRIu64 ",\"lost_in_frame\":%" PRIu64
		",\"loops\":[", f->lost, f->lost_delta);
	for (size_t i = 0; i < f->nloops; i++) {
		const struct st_frame_loop *l = &f->loops[i];

		fprintf(out, "%s{\"loop\":\"0x%" PRIx64 "\",\"pid\":%" PRId64
			",\"tid\":%u,\"thread\":", i ? "," : "", l->addr,
			l->vpid, l->tid);
		tj_str(out, l->thread);
		fputs(",\"name\":", out);
		if (l->name[0])
			tj_str(out, l->name);
		else
			fputs("null", out);
		if (l->cpu_pct >= 0)
			fprintf(out, ",\"cpu_pct\":%.2f", l->cpu_pct);
		else
			fputs(",\"cpu_pct\":null", out);
		if (l->virtual_clock)
			fputs(",\"busy_pct\":null", out);
		else
			fprintf(out, ",\"busy_pct\":%.2f", l->busy_pct);
		fprintf(out, ",\"virtual_clock\":%s,\"tasks_per_s\":%.3f"
			",\"posts_per_s\":%.3f,\"runs_total\":%" PRIu64,
			l->virtual_clock ? "true" : "false", l->runs_s,
			l->posts_s, l->runs_total);
		if (l->running) {
			fputs(",\"running\":{\"task\":", out);
			tj_str(out, l->run_name);
			fprintf(out, ",\"prio\":\"%s\",\"for_ns\":%" PRId64 "}",
				st_prio_name(l->run_prio), l->run_for);
		} else {
			fputs(",\"running\":null", out);
		}
		fputs(",\"prios\":[", out);
		for (int q = 0; q < ST_PRIOS; q++) {
			const struct st_frame_prio *p = &l->prio[q];

			fprintf(out, "%s{\"prio\":\"%s\",\"ready\":%" PRIu64
				",\"ready_exact\":%s,\"runs\":%" PRIu64
				",\"runs_per_s\":%.3f,\"wait_p50_ns\":%" PRId64
				",\"wait_p99_ns\":%" PRId64
				",\"wait_max_ns\":%" PRId64
				",\"run_p50_ns\":%" PRId64
				",\"run_p99_ns\":%" PRId64
				",\"run_max_ns\":%" PRId64
				",\"waiting_ns\":%" PRId64
				",\"starving_ns\":%" PRId64 "}",
				q ? "," : "", st_prio_name(q), p->ready,
				p->ready_exact ? "true" : "false", p->runs,
				p->runs_s, p->wait_p50, p->wait_p99,
				p->wait_max, p->run_p50, p->run_p99,
				p->run_max, p->waiting, p->starving);
		}
		fputs("],\"tasks\":[", out);
		for (size_t k = 0; k < l->ntasks; k++) {
			const struct st_frame_task *t = &l->tasks[k];

			fprintf(out, "%s{\"name\":", k ? "," : "");
			tj_str(out, t->k->name);
			fprintf(out, ",\"kind\":\"%s\",\"prio\":\"%s\",\"runs\":%"
				PRIu64 ",\"runs_total\":%" PRIu64
				",\"runs_per_s\":%.3f,\"busy_pct\":%.2f"
				",\"run_mean_ns\":%" PRId64
				",\"run_p99_ns\":%" PRId64
				",\"run_max_ns\":%" PRId64
				",\"wait_p99_ns\":%" PRId64
				",\"overruns\":%" PRIu64
				",\"overruns_total\":%" PRIu64
				",\"long_runs_total\":%" PRIu64 "}",
				st_kind_name(t->k->kind), st_prio_name(t->prio),
				t->runs, t->runs_total, t->runs_s, t->busy_pct,
				t->run_mean, t->run_p99, t->run_max,
				t->wait_p99,
				t->overruns, t->overruns_total,
				t->long_runs_total);
		}
		fputs("]}", out);
	}
	fputs("],\"alerts\":[", out);
	for (uint64_t i = f->alerts_from; i < f->alerts_to; i++) {
		const struct st_alert_ent *e;

		/* The ring keeps the latest ST_ALERTS_KEPT. */
		if (f->alerts_to - i > ST_ALERTS_KEPT)
			continue;
		e = &al->ring[i % ST_ALERTS_KEPT];
		fprintf(out, "%s{\"kind\":\"%s\",\"t_ns\":%" PRId64
			",\"loop\":\"0x%" PRIx64 "\",\"prio\":\"%s\",\"task\":",
			f->alerts_to - i < ST_ALERTS_KEPT &&
					i > f->alerts_from ? "," : "",
			alert_kind(e->a.kind),
			e->when, e->a.loop, st_prio_name(e->a.prio));
		tj_str(out, e->a.name);
		fprintf(out, ",\"start_ns\":%" PRId64 ",\"dur_ns\":%" PRId64
			",\"text\":", e->a.start, e->a.dur);
		tj_str(out, e->text);
		fputc('}', out);
	}
	fprintf(out, "],\"alerts_dropped\":%" PRIu64 "}\n",
		f->alerts_to - f->alerts_from > ST_ALERTS_KEPT ?
			f->alerts_to - f->alerts_from - ST_ALERTS_KEPT : 0);
	fflush(out);
}
