/*
 * The candidate fixes of a workload's findings, each checked by a replay
 * in virtual time (fixes.h). A candidate is a what-if of schedreplay
 * (struct sr_whatif); its replay is measured by the analysis core, and
 * compared with the replay of the unchanged workload (not with the
 * recording: both sides of the comparison then carry the same replay
 * error, and the unchanged replay must first be faithful to be used).
 */
#include "fixes.h"
#include "textesc.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonstr.h"
#include "schedreplay.h"

/* Equal within the replay's fidelity tolerance (docs/schedreplay.md): 10%,
 * at least 1 ms. */
#define FX_TOL_PCT 0.10
#define FX_TOL_MIN 1000000LL
/* The kept candidates the text shows per finding (JSON: all). */
#define FX_TEXT_KEPT 3

static int64_t fx_tol(int64_t v)
{
	int64_t t = (int64_t)llround(FX_TOL_PCT * (double)llabs(v));

	return t > FX_TOL_MIN ? t : FX_TOL_MIN;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A task name as the text and the C calls show it. The one place a name
 * goes into output text: route it through the tools' escape here. */
static const char *shown(const char *name)
{
	return name;
}

static const char *ns_txt(int64_t v, char *buf, size_t len)
{
	return an_fmt_ns(v, buf, len);
}

/* The task name of a culprit "NAME (PRIORITY)". */
static void culprit_name(const char *culprit, char *buf, size_t len)
{
	const char *p = strrchr(culprit, '(');
	size_t n = strlen(culprit);

	if (p && p > culprit + 1 && p[-1] == ' ' && n && culprit[n - 1] == ')')
		n = (size_t)(p - 1 - culprit);
	if (n >= len)
		n = len - 1;
	memcpy(buf, culprit, n);
	buf[n] = 0;
}

static int sev_rank(const char *s)
{
	return !strcmp(s, "error") ? 2 : !strcmp(s, "warning") ? 1 : 0;
}

/* Two findings are the same one if of one kind and one task (a priority
 * change renames "NAME (PRIO)"); backlogs, of the replay's performer. */
static bool same(const struct wl_orig_finding *f, const char *kind,
		 const char *culprit)
{
	char a[96], b[96];

	if (strcmp(f->kind, kind))
		return false;
	if (!strcmp(kind, "performer-backlog"))
		return true;
	culprit_name(f->culprit, a, sizeof(a));
	culprit_name(culprit, b, sizeof(b));
	return !strcmp(a, b);
}

static const struct wl_orig_finding *find_in(const struct sr_figs *f,
					     const char *kind,
					     const char *culprit)
{
	for (size_t i = 0; i < f->nfindings; i++)
		if (same(&f->findings[i], kind, culprit))
			return &f->findings[i];
	return NULL;
}

static const struct sr_fig_task *task_in(const struct sr_figs *f,
					 const char *name)
{
	const struct sr_fig_task *best = NULL;

	for (size_t i = 0; i < f->ntasks; i++)
		if (!strcmp(f->tasks[i].name, name) &&
		    (!best || f->tasks[i].runs > best->runs))
			best = &f->tasks[i];
	return best;
}

static const char *prio_c(int p)
{
	static const char *const n[WL_PRIOS] = {
		"LSCHED_PRIO_HIGHEST",   "LSCHED_PRIO_DEFAULT",
		"LSCHED_PRIO_HIGH_IDLE", "LSCHED_PRIO_RESIZE",
		"LSCHED_PRIO_REPAINT",   "LSCHED_PRIO_POST_PAINT",
		"LSCHED_PRIO_DEFAULT_IDLE", "LSCHED_PRIO_LOWEST",
	};

	return p >= 0 && p < WL_PRIOS ? n[p] : "?";
}

/* ---- candidates ----------------------------------------------------------- */

static struct fx_candidate *add(struct fx_finding *x, size_t *cap)
{
	if (x->ncands == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct fx_candidate *v = realloc(x->cands, nc * sizeof(*v));

		if (!v)
			return NULL;
		x->cands = v;
		*cap = nc;
	}
	memset(&x->cands[x->ncands], 0, sizeof(x->cands[0]));
	return &x->cands[x->ncands++];
}

static void chg(struct fx_candidate *c, char op, const char *name,
		int64_t value, double factor)
{
	if (c->nchg >= FX_MAX_CHANGES)
		return;
	c->chg[c->nchg].op = op;
	snprintf(c->chg[c->nchg].name, sizeof(c->chg[0].name), "%s", name);
	c->chg[c->nchg].value = value;
	c->chg[c->nchg].factor = factor;
	c->nchg++;
}

/* The C call of one change; run_max: the task's longest run (split). */
static void call_of(const struct sr_figs *base, char op, const char *name,
		    int64_t value, double factor, char *buf, size_t len)
{
	char b[32];
	const struct sr_fig_task *t = task_in(base, name);

	switch (op) {
	case 'm':
		snprintf(buf, len, "lsched_task_set_max_wait(%s, %lld) /* %s */",
			 shown(name), (long long)value, ns_txt(value, b, sizeof(b)));
		break;
	case 'p':
		snprintf(buf, len, "lsched_task_set_priority(%s, %s)", shown(name),
			 prio_c((int)value));
		break;
	case 'c':
		snprintf(buf, len, "make %s's work %g times as long", shown(name),
			 factor);
		break;
	default:
		snprintf(buf, len, "split %s into %lld pieces: return when "
				   "lsched_stopwatch_continue() says so after about "
				   "%s of work (its longest run / %lld), and go on "
				   "in its next run",
			 shown(name), (long long)value,
			 ns_txt(t ? t->run_max / value : 0, b, sizeof(b)),
			 (long long)value);
		break;
	}
}

static void describe(const struct sr_figs *base, struct fx_candidate *c)
{
	size_t n = 0;

	c->call[0] = 0;
	for (int i = 0; i < c->nchg; i++) {
		char one[200];

		call_of(base, c->chg[i].op, c->chg[i].name, c->chg[i].value,
			c->chg[i].factor, one, sizeof(one));
		n += (size_t)snprintf(c->call + n, n < sizeof(c->call) ?
						    sizeof(c->call) - n : 0,
				      "%s%s", i ? "; and " : "", one);
		if (n >= sizeof(c->call))
			break;
	}
}

/* The first culprit of the victim's longest wait in the unchanged replay,
 * if it is of the given group (an_tgroup); else NULL. */
static const struct an_tblame *culprit_of(const struct sr_replay *r,
					  const char *victim,
					  enum an_tgroup g)
{
	const struct an_loop *l = r->loop;
	const struct an_task_starve *w = NULL;

	for (size_t j = 0; l && j < l->ntstarves; j++)
		if (!strcmp(l->tstarves[j].task->name, victim) &&
		    (!w || l->tstarves[j].end - l->tstarves[j].start >
				   w->end - w->start))
			w = &l->tstarves[j];
	/* The culprit that ran longest, if it is of group g. */
	for (unsigned k = 0; w && k < w->nblame; k++)
		if (w->blame[k].task && strcmp(w->blame[k].task->name, victim))
			return an_tgroup_of(w->prio, w->blame[k].prio) == g
				       ? &w->blame[k]
				       : NULL;
	return NULL;
}

static bool wl_task_named(const struct wl_workload *w, const char *name)
{
	for (size_t i = 0; i < w->ntasks; i++)
		if (!strcmp(w->tasks[i].name, name))
			return true;
	return false;
}

/* A post delayed this long or more is part of a backlog: the analysis'
 * threshold (find_backlog() in analysis.c). */
#define FX_BACKLOG_DELAY (10 * 1000000LL)

/* Whether post p is one of the backlog of the performer at addr (0: the
 * finding names none) that waited: a post whose performer or delay the
 * workload does not know (an older file) counts. */
static bool backlogged(const struct wl_post *p, uint64_t addr)
{
	if (addr && p->performer && p->performer != addr)
		return false;
	return p->delay < 0 || p->delay >= FX_BACKLOG_DELAY;
}

/* What ran while the first-class posts of the backlog waited: the task
 * whose runs overlap their waits most (NULL: none), its longest such run
 * in *longest. */
static const struct wl_task *backlog_blame(const struct wl_workload *w,
					   uint64_t addr, int64_t *longest)
{
	const struct wl_task *best = NULL;
	int64_t best_sum = 0;

	*longest = 0;
	for (size_t i = 0; i < w->ntasks; i++) {
		const struct wl_task *t = &w->tasks[i];
		int64_t sum = 0, lr = 0;

		for (size_t j = 0; j < t->nruns; j++) {
			const struct wl_run *r = &t->runs[j];
			int64_t ov = 0;

			for (size_t k = 0; k < w->nposts; k++) {
				const struct wl_post *p = &w->posts[k];
				int64_t b, e;

				if (p->prio >= 0 || p->delay < 0 ||
				    !backlogged(p, addr))
					continue;
				b = r->begin > p->at ? r->begin : p->at;
				e = r->begin + r->duration < p->at + p->delay
					    ? r->begin + r->duration
					    : p->at + p->delay;
				if (e > b)
					ov += e - b;
			}
			if (ov > 0 && r->duration > lr)
				lr = r->duration;
			sum += ov;
		}
		if (sum > best_sum) {
			best = t;
			best_sum = sum;
			*longest = lr;
		}
	}
	return best;
}

/* A backlog's candidates: from the posts of the finding's performer that
 * waited. Posts at a priority are tasks named after them: their priority
 * raised to HIGHEST. First-class posts are ahead of every priority
 * already: a note, and the task that ran while they waited split. */
static int backlog_candidates(const struct wl_workload *w,
			      struct fx_finding *x, size_t *cap)
{
	unsigned long long a = 0;
	uint64_t addr;
	size_t nfirst = 0;
	struct fx_candidate *c;

	if (sscanf(x->culprit, "performer %llx", &a) != 1)
		a = 0;
	addr = (uint64_t)a;
	for (size_t i = 0; i < w->nposts; i++) {
		const struct wl_post *p = &w->posts[i];
		bool dup = false;

		if (!backlogged(p, addr))
			continue;
		if (p->prio < 0) {
			nfirst++;
			continue;
		}
		if (p->prio == 0 || !p->name[0])
			continue;
		for (size_t k = 0; k < x->ncands && !dup; k++)
			dup = !strcmp(x->cands[k].chg[0].name, p->name);
		if (dup || x->ncands >= 4)
			continue;
		if (!(c = add(x, cap)))
			return -1;
		chg(c, 'p', p->name, 0, 0);
	}
	if (x->ncands)
		return 0;
	if (nfirst) {
		int64_t longest;
		const struct wl_task *t = backlog_blame(w, addr, &longest);
		char b[32];

		if (t && wl_task_named(w, t->name)) {
			static const int64_t f[] = { 4, 10 };

			snprintf(x->note, sizeof(x->note), "the delayed posts "
				 "are first class (lsched_perform()): no "
				 "priority to raise; the work they run must get "
				 "shorter, or what ran while they waited: %s's "
				 "%s runs: split %s with "
				 "lsched_stopwatch_continue()", shown(t->name),
				 ns_txt(longest, b, sizeof(b)), shown(t->name));
			for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
				if (!(c = add(x, cap)))
					return -1;
				chg(c, 's', t->name, f[i], 0);
			}
			return 0;
		}
	}
	snprintf(x->note, sizeof(x->note), "no candidate: the posts are "
		 "first class (lsched_perform()) or at HIGHEST already; the "
		 "work they run must get shorter");
	return 0;
}

static int candidates(const struct wl_workload *w, const struct an_config *cfg,
		      const struct sr_replay *ur, const struct sr_figs *base,
		      struct fx_finding *x)
{
	size_t cap = 0;
	char name[96];
	struct fx_candidate *c;

	culprit_name(x->culprit, name, sizeof(name));
	if (!strcmp(x->kind, "starving-task")) {
		const struct sr_fig_task *v = task_in(base, name);
		const struct an_tblame *hi =
			culprit_of(ur, name, AN_TG_HIGHER);
		/* A lower task blamed was running when the victim became
		 * ready: only splitting it helps. */
		const struct an_tblame *lo =
			hi ? NULL : culprit_of(ur, name, AN_TG_LOWER);
		static const double at[] = { 0.25, 0.5, 0.75 };

		if (!v) {
			snprintf(x->note, sizeof(x->note), "the replay does not "
				 "run %s", shown(name));
			return 0;
		}
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			if (!(c = add(x, &cap)))
				return -1;
			chg(c, 'm', name,
			    (int64_t)llround(at[i] * (double)cfg->starve_ns /
					     1e6) * 1000000LL, 0);
		}
		if (hi && hi->task) {
			if (!(c = add(x, &cap)))
				return -1;
			chg(c, 'p', name, hi->prio, 0);
			if (strcmp(hi->task->name, name) &&
			    (wl_task_named(w, hi->task->name))) {
				if (!(c = add(x, &cap)))
					return -1;
				chg(c, 'p', hi->task->name, v->prio, 0);
				if (!(c = add(x, &cap)))
					return -1;
				chg(c, 's', hi->task->name, 4, 0);
			}
		}
		if (lo && lo->task && strcmp(lo->task->name, name) &&
		    wl_task_named(w, lo->task->name)) {
			if (!(c = add(x, &cap)))
				return -1;
			chg(c, 's', lo->task->name, 4, 0);
		}
	} else if (!strcmp(x->kind, "never-yields") ||
		   !strcmp(x->kind, "long-running-task")) {
		static const int64_t f[] = { 2, 4, 10 };

		if (!task_in(base, name)) {
			snprintf(x->note, sizeof(x->note), "the replay does not "
				 "run %s", shown(name));
			return 0;
		}
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			if (!(c = add(x, &cap)))
				return -1;
			chg(c, 's', name, f[i], 0);
		}
	} else if (!strcmp(x->kind, "performer-backlog")) {
		if (backlog_candidates(w, x, &cap) < 0)
			return -1;
	}
	return 0;
}

/* ---- checking a candidate ------------------------------------------------- */

/* The figure a finding's effect is told in: the victim's longest wait or
 * the task's longest run (a backlog's: in judge()). */
static int64_t figure(const struct sr_figs *f, const struct fx_finding *x,
		      const char *name)
{
	const struct sr_fig_task *t = task_in(f, name);

	if (!strcmp(x->kind, "starving-task"))
		return t ? t->max : 0;
	return t ? t->run_max : 0;
}

static const char *figure_name(const struct fx_finding *x)
{
	if (!strcmp(x->kind, "starving-task"))
		return "longest wait";
	return "longest run";
}

static size_t cat(char *buf, size_t len, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t cat(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n >= len)
		return n;
	va_start(ap, fmt);
	k = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return k < 0 ? n : n + (size_t)k;
}

/* How the finding fared: a (the candidate's replay) and b (the
 * unchanged one) are the finding in each, a NULL when gone. */
static const char *verdict_text(enum fx_verdict v,
				const struct wl_orig_finding *a,
				const struct wl_orig_finding *b)
{
	if (v == FX_FIXES)
		return "the finding is gone";
	if (v == FX_EASES)
		return b && a && sev_rank(a->severity) < sev_rank(b->severity)
			       ? "the finding stays, as a warning"
			       : "the finding stays, at half or less";
	return "the finding stays";
}

/* Judges a candidate's replay cand against the unchanged one base. */
static void judge(const struct sr_figs *base, const struct sr_figs *cand,
		  const struct fx_finding *x, struct fx_candidate *c)
{
	const struct wl_orig_finding *b = find_in(base, x->kind, x->culprit);
	const struct wl_orig_finding *a = find_in(cand, x->kind, x->culprit);
	char name[96], b1[32], b2[32], b3[32], b4[32], p99[80] = "";
	size_t n = 0;

	if (!strcmp(x->kind, "performer-backlog")) {
		/* A backlog is told in the queue delay of the performer
		 * (the replay's one), as the finding is. */
		c->before = base->perf_max;
		c->after = cand->perf_max;
		c->before_p99 = base->perf_p99;
		c->after_p99 = cand->perf_p99;
		if (!a)
			c->verdict = FX_FIXES;
		else if (b && (sev_rank(a->severity) < sev_rank(b->severity) ||
			       (c->before_p99 > 0 &&
				c->after_p99 * 2 <= c->before_p99)))
			c->verdict = FX_EASES;
		else
			c->verdict = FX_NO_EFFECT;
		snprintf(c->effect, sizeof(c->effect), "the replay gives the "
			 "performer's queue delay p99 %s (was %s), max %s "
			 "(was %s): %s",
			 ns_txt(c->after_p99, b1, sizeof(b1)),
			 ns_txt(c->before_p99, b2, sizeof(b2)),
			 ns_txt(c->after, b3, sizeof(b3)),
			 ns_txt(c->before, b4, sizeof(b4)),
			 verdict_text(c->verdict, a, b));
	} else {
		culprit_name(x->culprit, name, sizeof(name));
		c->before = figure(base, x, name);
		c->after = figure(cand, x, name);
		if (strcmp(x->kind, "never-yields") &&
		    strcmp(x->kind, "long-running-task")) {
			const struct sr_fig_task *tb = task_in(base, name);
			const struct sr_fig_task *ta = task_in(cand, name);

			c->before_p99 = tb ? tb->p99 : 0;
			c->after_p99 = ta ? ta->p99 : 0;
		}
		if (!a)
			c->verdict = FX_FIXES;
		else if (b && (sev_rank(a->severity) < sev_rank(b->severity) ||
			       (c->before > 0 && c->after * 2 <= c->before)))
			c->verdict = FX_EASES;
		else
			c->verdict = FX_NO_EFFECT;
		if (c->before_p99 || c->after_p99)
			snprintf(p99, sizeof(p99), ", p99 %s (was %s)",
				 ns_txt(c->after_p99, b3, sizeof(b3)),
				 ns_txt(c->before_p99, b4, sizeof(b4)));
		snprintf(c->effect, sizeof(c->effect), "the replay gives %s's "
			 "%s %s (was %s)%s: %s", shown(name), figure_name(x),
			 ns_txt(c->after, b1, sizeof(b1)),
			 ns_txt(c->before, b2, sizeof(b2)), p99,
			 verdict_text(c->verdict, a, b));
	}

	/* The cost: priorities whose p99 wait rose beyond the tolerance,
	 * and findings new or more severe. */
	c->cost[0] = 0;
	for (int p = 0; p < WL_PRIOS; p++) {
		int64_t d = cand->prio[p].p99 - base->prio[p].p99;

		if (!cand->prio[p].fired || d <= fx_tol(base->prio[p].p99))
			continue;
		c->costs++;
		n = cat(c->cost, sizeof(c->cost), n, "%s%s p99 +%s", n ? "; " : "",
			an_prio_name(p), ns_txt(d, b1, sizeof(b1)));
	}
	for (size_t i = 0; i < cand->nfindings; i++) {
		const struct wl_orig_finding *f = &cand->findings[i];
		const struct wl_orig_finding *o;
		char fn[96];

		if (same(f, x->kind, x->culprit))
			continue;
		o = find_in(base, f->kind, f->culprit);
		if (o && sev_rank(f->severity) <= sev_rank(o->severity))
			continue;
		c->worse++;
		culprit_name(f->culprit, fn, sizeof(fn));
		n = cat(c->cost, sizeof(c->cost), n, "%s%s %s for %s (%s)",
			n ? "; " : "", o ? "a more severe" : "a new",
			f->severity, shown(fn), f->kind);
	}
	c->kept = c->verdict >= FX_EASES && !c->worse;
}

static void to_whatif(const struct fx_candidate *c, struct sr_whatif *wi,
		      struct sr_named *v)
{
	memset(wi, 0, sizeof(*wi));
	for (int i = 0; i < c->nchg; i++) {
		v[i] = (struct sr_named){ c->chg[i].name, c->chg[i].value,
					  c->chg[i].factor };
		switch (c->chg[i].op) {
		case 'm':
			if (!wi->max_waits)
				wi->max_waits = &v[i];
			wi->nmax_waits++;
			break;
		case 's':
			if (!wi->splits)
				wi->splits = &v[i];
			wi->nsplits++;
			break;
		case 'p':
			if (!wi->prios)
				wi->prios = &v[i];
			wi->nprios++;
			break;
		default:
			if (!wi->scales)
				wi->scales = &v[i];
			wi->nscales++;
			break;
		}
	}
}

/* Replays candidate c; -1 only when out of memory. */
static int try(const struct wl_workload *w, const struct an_config *cfg,
	       const struct sr_figs *base, const struct fx_finding *x,
	       struct fx_candidate *c, struct fx_result *res)
{
	static const struct sr_mode sim = { .real = false, .speed = 1.0 };
	struct sr_named v[FX_MAX_CHANGES];
	struct fx_candidate sorted = *c;
	struct sr_whatif wi;
	struct sr_replay r = { 0 };
	struct sr_figs f;
	char err[200];
	int k = 0;

	/* The what-if's arrays hold one kind of change each, contiguous. */
	for (const char *op = "mpcs"; *op; op++)
		for (int i = 0; i < c->nchg; i++)
			if (c->chg[i].op == *op)
				sorted.chg[k++] = c->chg[i];
	to_whatif(&sorted, &wi, v);
	describe(base, c);
	res->replays++;
	if (sr_replay(w, &wi, &sim, cfg, &r, err, sizeof(err)) < 0) {
		c->verdict = FX_FAILED;
		snprintf(c->effect, sizeof(c->effect), "the replay failed: %s",
			 err);
		sr_replay_free(&r);
		return 0;
	}
	if (!sr_figs_replay(&r, &f)) {
		sr_figs_free(&f);
		sr_replay_free(&r);
		return -1;
	}
	judge(base, &f, x, c);
	sr_figs_free(&f);
	sr_replay_free(&r);
	return 0;
}

/* Kept first; then fixes before eases; fewer findings worse; fewer
 * priorities slower; the smaller figure; the order tried. */
static int cmp_cand(const void *xa, const void *xb)
{
	const struct fx_candidate *a = xa, *b = xb;

	if (a->kept != b->kept)
		return a->kept ? -1 : 1;
	if (a->verdict != b->verdict)
		return a->verdict > b->verdict ? -1 : 1;
	if (a->worse != b->worse)
		return a->worse < b->worse ? -1 : 1;
	if (a->costs != b->costs)
		return a->costs < b->costs ? -1 : 1;
	if (a->after != b->after)
		return a->after < b->after ? -1 : 1;
	return 0;
}

/* When no single candidate makes the finding go away: the best change of
 * the victim (its own max wait or priority) with the best change of
 * another task. */
static int combine(struct fx_finding *x)
{
	const struct fx_candidate *own = NULL, *other = NULL;
	char name[96];
	struct fx_candidate *c, *v;

	culprit_name(x->culprit, name, sizeof(name));
	for (size_t i = 0; i < x->ncands; i++) {
		const struct fx_candidate *k = &x->cands[i];

		if (k->verdict == FX_FIXES)
			return 0;
		if (k->nchg != 1 || k->verdict < FX_EASES)
			continue;
		if (!strcmp(k->chg[0].name, name)) {
			if (!own || cmp_cand(k, own) < 0)
				own = k;
		} else if (!other || cmp_cand(k, other) < 0) {
			other = k;
		}
	}
	if (!own || !other || x->combined)
		return 0;
	x->combined = true;
	v = realloc(x->cands, (x->ncands + 1) * sizeof(*v));
	if (!v)
		return -1;
	x->cands = v;
	/* own and other pointed into the old array: find them again. */
	own = other = NULL;
	for (size_t i = 0; i < x->ncands; i++) {
		const struct fx_candidate *k = &x->cands[i];

		if (k->nchg != 1 || k->verdict < FX_EASES)
			continue;
		if (!strcmp(k->chg[0].name, name)) {
			if (!own || cmp_cand(k, own) < 0)
				own = k;
		} else if (!other || cmp_cand(k, other) < 0) {
			other = k;
		}
	}
	c = &x->cands[x->ncands++];
	memset(c, 0, sizeof(*c));
	c->chg[0] = own->chg[0];
	c->chg[1] = other->chg[0];
	c->nchg = 2;
	return 1;
}

int fx_suggest(const struct wl_workload *w, const struct an_config *cfg,
	       double budget_s, struct fx_result *out)
{
	static const struct sr_mode sim = { .real = false, .speed = 1.0 };
	struct sr_replay ur = { 0 };
	struct sr_figs orig, base;
	double t0 = now_s();
	char err[256];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&orig, 0, sizeof(orig));
	out->budget_s = budget_s;
	if (!w->has_orig || !sr_figs_orig(w, &orig)) {
		sr_figs_free(&orig);
		out->status = FX_NO_ORIG;
		snprintf(out->why, sizeof(out->why), "the workload holds no "
			 "recorded figures to check a replay against");
		return 0;
	}
	if (sr_replay(w, NULL, &sim, cfg, &ur, err, sizeof(err)) < 0) {
		out->status = FX_NO_REPLAY;
		snprintf(out->why, sizeof(out->why), "the replay failed: %s", err);
		sr_replay_free(&ur);
		sr_figs_free(&orig);
		return 0;
	}
	if (!sr_figs_replay(&ur, &base))
		goto out_base;
	if (!sr_faithful(&orig, &base, out->why, sizeof(out->why))) {
		out->status = FX_UNFAITHFUL;
		rc = 0;
		goto out_base;
	}
	out->why[0] = 0;
	out->findings = calloc(w->norig_findings + 1, sizeof(*out->findings));
	if (!out->findings)
		goto out_base;
	for (size_t i = 0; i < w->norig_findings; i++) {
		const struct wl_orig_finding *of = &w->orig_findings[i];
		struct fx_finding *x = &out->findings[out->nfindings++];

		snprintf(x->kind, sizeof(x->kind), "%s", of->kind);
		snprintf(x->culprit, sizeof(x->culprit), "%s", of->culprit);
		if (!find_in(&base, of->kind, of->culprit)) {
			snprintf(x->note, sizeof(x->note), "the replay does not "
				 "reproduce this finding: no candidate checked");
			continue;
		}
		if (candidates(w, cfg, &ur, &base, x) < 0)
			goto out_base;
	}
	/* Round robin over the findings, so that a tight budget still gives
	 * each finding its first candidates. */
	for (size_t round = 0;; round++) {
		bool any = false;

		for (size_t i = 0; i < out->nfindings; i++) {
			struct fx_finding *x = &out->findings[i];

			if (round >= x->ncands)
				continue;
			any = true;
			if (now_s() - t0 > budget_s) {
				out->budget_out = true;
				continue;
			}
			if (try(w, cfg, &base, x, &x->cands[round], out) < 0)
				goto out_base;
			x->tried++;
			if (round + 1 == x->ncands) {
				int k = combine(x);

				if (k < 0)
					goto out_base;
			}
		}
		if (!any)
			break;
	}
	for (size_t i = 0; i < out->nfindings; i++) {
		struct fx_finding *x = &out->findings[i];

		for (size_t k = 0; k < x->ncands; k++)
			if (x->cands[k].verdict == FX_UNTRIED)
				describe(&base, &x->cands[k]);
		if (x->ncands) /* cands is NULL for none: not for qsort */
			qsort(x->cands, x->ncands, sizeof(*x->cands), cmp_cand);
	}
	out->status = FX_DONE;
	rc = 0;
	/* Every way here comes after sr_figs_replay(), which zeroes base
	 * first: it may be freed whatever it holds. */
out_base:
	sr_figs_free(&base);
	sr_figs_free(&orig);
	sr_replay_free(&ur);
	out->wall_s = now_s() - t0;
	return rc;
}

void fx_free(struct fx_result *r)
{
	for (size_t i = 0; i < r->nfindings; i++)
		free(r->findings[i].cands);
	free(r->findings);
	memset(r, 0, sizeof(*r));
}

const struct fx_finding *fx_find(const struct fx_result *r, const char *kind,
				 const char *culprit)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct fx_finding *x = &r->findings[i];

		if (!strcmp(x->kind, kind) &&
		    (!strcmp(x->culprit, culprit) ||
		     (!strcmp(kind, "performer-backlog") &&
		      !strncmp(culprit, "performer ", 10))))
			return x;
	}
	return NULL;
}

const char *fx_status_text(const struct fx_result *r)
{
	static char buf[640];

	switch (r->status) {
	case FX_DONE:
		return NULL;
	case FX_NO_ORIG:
		snprintf(buf, sizeof(buf), "fixes: none proposed: %s", r->why);
		break;
	case FX_UNFAITHFUL:
		snprintf(buf, sizeof(buf), "fixes: none proposed: the replay of "
			 "the unchanged workload is not faithful (%s)", r->why);
		break;
	default:
		snprintf(buf, sizeof(buf), "fixes: none proposed: %s", r->why);
		break;
	}
	return buf;
}

static const char *verdict_name(enum fx_verdict v)
{
	switch (v) {
	case FX_FIXES: return "fixes";
	case FX_EASES: return "eases";
	case FX_NO_EFFECT: return "no-effect";
	case FX_FAILED: return "failed";
	default: return "untried";
	}
}

/* The best candidate to show when none is kept: the one that helped most. */
static const struct fx_candidate *best_tried(const struct fx_finding *x)
{
	const struct fx_candidate *b = NULL;

	for (size_t i = 0; i < x->ncands; i++) {
		const struct fx_candidate *c = &x->cands[i];

		if (c->verdict < FX_NO_EFFECT)
			continue;
		if (!b || c->after < b->after)
			b = c;
	}
	return b;
}

/* The headline when no candidate is kept: the best one tried may clear or
 * ease the finding, and be refused for what it makes worse. */
static const char *none_kept(const struct fx_candidate *b)
{
	return b && b->verdict >= FX_EASES
		       ? "no candidate helps without making something else "
			 "worse"
		       : "no candidate works";
}

void fx_text(FILE *f, const struct fx_result *r, const struct fx_finding *x,
	     const char *indent)
{
	size_t kept = 0, shown_n = 0, untried = 0;

	(void)r;
	if (!x)
		return;
	if (x->note[0]) {
		fprintf(f, "%sfixes: %s\n", indent, tx_esc(x->note));
		if (!x->ncands)
			return;
	}
	for (size_t i = 0; i < x->ncands; i++) {
		kept += x->cands[i].kept;
		untried += x->cands[i].verdict == FX_UNTRIED;
	}
	if (!x->ncands)
		return;
	for (size_t i = 0; i < x->ncands && shown_n < FX_TEXT_KEPT; i++) {
		const struct fx_candidate *c = &x->cands[i];

		if (!c->kept)
			continue;
		shown_n++;
		fprintf(f, "%s%s: %s\n%s  %s; %s\n", indent,
			c->verdict == FX_FIXES ? "fix" : "eases it",
			tx_esc(c->call), indent, tx_esc(c->effect),
			c->cost[0] ? tx_esc(c->cost) : "nothing else got worse");
	}
	if (!kept) {
		const struct fx_candidate *b = best_tried(x);

		fprintf(f, "%sfixes: %s (%zu tried%s)", indent, none_kept(b),
			x->tried, untried ? ", the rest not: --fix-budget" : "");
		if (b)
			fprintf(f, "; the best tried: %s\n%s  %s; cost: %s\n",
				tx_esc(b->call), indent, tx_esc(b->effect),
				b->cost[0] ? tx_esc(b->cost) : "none");
		else
			fputc('\n', f);
	} else if (kept > shown_n || untried) {
		fprintf(f, "%s(%zu kept of %zu tried%s; --json lists them all)\n",
			indent, kept, x->tried,
			untried ? ", some not tried: --fix-budget" : "");
	}
}

void fx_json(FILE *f, const struct fx_result *r, const struct fx_finding *x)
{
	(void)r;
	fputs("{\"note\":", f);
	tj_str(f, x ? x->note : "");
	fputs(",\"candidates\":[", f);
	for (size_t i = 0; x && i < x->ncands; i++) {
		const struct fx_candidate *c = &x->cands[i];

		fprintf(f, "%s{\"verdict\":\"%s\",\"kept\":%s,\"call\":",
			i ? "," : "", verdict_name(c->verdict),
			c->kept ? "true" : "false");
		tj_str(f, c->call);
		fputs(",\"effect\":", f);
		tj_str(f, c->effect);
		fprintf(f, ",\"before_ns\":%lld,\"after_ns\":%lld,"
			   "\"before_p99_ns\":%lld,\"after_p99_ns\":%lld,"
			   "\"worse_findings\":%u,\"slower_priorities\":%u,"
			   "\"cost\":",
			(long long)c->before, (long long)c->after,
			(long long)c->before_p99, (long long)c->after_p99,
			c->worse, c->costs);
		tj_str(f, c->cost);
		fputs(",\"changes\":[", f);
		for (int k = 0; k < c->nchg; k++) {
			fprintf(f, "%s{\"what\":\"%s\",\"task\":", k ? "," : "",
				c->chg[k].op == 'm'   ? "max_wait"
				: c->chg[k].op == 'p' ? "priority"
				: c->chg[k].op == 's' ? "split"
						      : "scale");
			tj_str(f, c->chg[k].name);
			if (c->chg[k].op == 'm')
				fprintf(f, ",\"max_wait_ns\":%lld",
					(long long)c->chg[k].value);
			else if (c->chg[k].op == 'p')
				fprintf(f, ",\"priority\":\"%s\"",
					an_prio_name((int)c->chg[k].value));
			else if (c->chg[k].op == 's')
				fprintf(f, ",\"pieces\":%lld",
					(long long)c->chg[k].value);
			else
				fprintf(f, ",\"scale\":%g", c->chg[k].factor);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("]}", f);
}

void fx_html(FILE *f, const struct fx_result *r, const struct fx_finding *x,
	     void (*esc)(FILE *f, const char *s))
{
	size_t shown_n = 0;

	(void)r;
	if (!x || (!x->ncands && !x->note[0]))
		return;
	if (x->note[0]) {
		fputs("<div class=\"fix\">fixes: ", f);
		esc(f, x->note);
		fputs("</div>", f);
		if (!x->ncands)
			return;
	}
	for (size_t i = 0; i < x->ncands && shown_n < FX_TEXT_KEPT; i++) {
		const struct fx_candidate *c = &x->cands[i];

		if (!c->kept)
			continue;
		shown_n++;
		fprintf(f, "<div class=\"fix\"><b>%s</b>: <code>",
			c->verdict == FX_FIXES ? "fix" : "eases it");
		esc(f, c->call);
		fputs("</code><br>", f);
		esc(f, c->effect);
		fputs("; ", f);
		esc(f, c->cost[0] ? c->cost : "nothing else got worse");
		fputs("</div>", f);
	}
	if (!shown_n) {
		const struct fx_candidate *b = best_tried(x);

		fprintf(f, "<div class=\"fix\"><b>%s</b> (%zu tried)",
			none_kept(b), x->tried);
		if (b) {
			fputs("; the best tried: <code>", f);
			esc(f, b->call);
			fputs("</code><br>", f);
			esc(f, b->effect);
			fputs("; cost: ", f);
			esc(f, b->cost[0] ? b->cost : "none");
		}
		fputs("</div>", f);
	}
}
