/*
 * schedreplay's report: the recording against the replay, per priority
 * and per task, and the replay's fidelity, as text or JSON (schema in
 * docs/schedreplay.md). Nothing here depends on wall-clock time: two runs
 * of the same replay print the same bytes.
 */
#include "schedreplay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "jsonstr.h"
#include "textesc.h"
#include "words.h"

/* ---- figures ------------------------------------------------------------- */

static int cmp_starve(const void *x, const void *y)
{
	const struct wl_orig_starve *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->prio - b->prio;
}

bool sr_figs_orig(const struct wl_workload *w, struct sr_figs *f)
{
	memset(f, 0, sizeof(*f));
	if (!w->has_orig)
		return false;
	for (int p = 0; p < WL_PRIOS; p++) {
		const struct wl_orig_prio *o = &w->orig_prio[p];

		f->prio[p] = (struct sr_fig_prio){ o->fired, o->p50, o->p99,
						   o->max, o->starved_ns,
						   o->longest_ns };
	}
	f->starves = calloc(w->norig_starves + 1, sizeof(*f->starves));
	f->tasks = calloc(w->norig_tasks + 1, sizeof(*f->tasks));
	f->findings = calloc(w->norig_findings + 1, sizeof(*f->findings));
	if (!f->starves || !f->tasks || !f->findings)
		return false;
	/* A workload without them has NULL arrays, which memcpy() must not
	 * get even for 0 bytes (UBSan). */
	if (w->norig_findings)
		memcpy(f->findings, w->orig_findings,
		       w->norig_findings * sizeof(*f->findings));
	f->nfindings = w->norig_findings;
	if (w->norig_starves)
		memcpy(f->starves, w->orig_starves,
		       w->norig_starves * sizeof(*f->starves));
	f->nstarves = w->norig_starves;
	qsort(f->starves, f->nstarves, sizeof(*f->starves), cmp_starve);
	for (int p = 0; p < WL_PRIOS; p++)
		f->counts.task_runs += w->orig_prio[p].fired;
	f->posted_known = w->orig_posted_runs >= 0;
	if (f->posted_known)
		f->counts.posted_runs = (uint64_t)w->orig_posted_runs;
	for (size_t i = 0; i < w->norig_tasks; i++) {
		const struct wl_orig_task *o = &w->orig_tasks[i];

		f->counts.tasks += o->runs > 0;
		f->tasks[f->ntasks++] = (struct sr_fig_task){
			o->name, o->prio, o->runs, o->long_runs, o->p50, o->p99,
			o->max, o->run_max, o->run_total,
		};
	}
	return true;
}

bool sr_figs_replay(const struct sr_replay *r, struct sr_figs *f)
{
	const struct an_loop *l = r->loop;
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	f->posted_known = true;
	if (!l)
		return true;
	an_loop_counts(l, &f->counts);
	for (int p = 0; p < WL_PRIOS; p++)
		n += l->prio[p].nstarves;
	f->starves = calloc(n + 1, sizeof(*f->starves));
	f->tasks = calloc(l->ntasks + 1, sizeof(*f->tasks));
	if (!f->starves || !f->tasks)
		return false;
	{
		const struct an_result *res = an_finish(r->a);

		f->findings = calloc(res->nfindings + 1, sizeof(*f->findings));
		if (!f->findings)
			return false;
		for (size_t i = 0; i < res->nfindings; i++) {
			const struct an_finding *af = &res->findings[i];

			if (af->loop && af->loop != l)
				continue;
			/* The analysis owns the culprit until an_free(),
			 * which comes after the report. A performer's culprit
			 * is its address, which changes from run to run: the
			 * replay has one performer, named so. */
			f->findings[f->nfindings++] = (struct wl_orig_finding){
				an_severity_name(af->severity),
				an_kind_name(af->kind),
				af->kind == AN_BACKLOG ? "performer (the replay's)"
						       : af->culprit,
				af->evidence,
			};
		}
	}
	for (int p = 0; p < WL_PRIOS; p++) {
		struct an_prio *ap = (struct an_prio *)&l->prio[p];

		f->prio[p] = (struct sr_fig_prio){
			ap->fired, an_pct(&ap->wait, 50), an_pct(&ap->wait, 99),
			ap->wait.count ? ap->wait.max : 0, ap->starved_ns,
			ap->longest_starve_ns,
		};
		/* The replay's clock starts at the workload's origin. */
		for (size_t i = 0; i < ap->nstarves; i++)
			f->starves[f->nstarves++] = (struct wl_orig_starve){
				p, ap->starves[i].start, ap->starves[i].end,
				ap->starves[i].open_at_end,
			};
	}
	qsort(f->starves, f->nstarves, sizeof(*f->starves), cmp_starve);
	for (size_t i = 0; i < l->nperfs; i++) {
		struct an_performer *pf = l->perfs[i];
		int64_t p99 = an_pct(&pf->delay, 99);

		if (p99 > f->perf_p99)
			f->perf_p99 = p99;
		if (pf->delay.count && pf->delay.max > f->perf_max)
			f->perf_max = pf->delay.max;
	}
	for (size_t i = 0; i < l->ntasks; i++) {
		struct an_task *t = l->tasks[i];

		if (!t->runs)
			continue;
		f->tasks[f->ntasks++] = (struct sr_fig_task){
			t->name, t->prio, t->runs, t->long_runs,
			an_pct(&t->wait, 50), an_pct(&t->wait, 99),
			t->wait.count ? t->wait.max : 0,
			t->run.count ? t->run.max : 0, t->run_total,
		};
	}
	return true;
}

void sr_figs_free(struct sr_figs *f)
{
	free(f->starves);
	free(f->tasks);
	free(f->findings);
	memset(f, 0, sizeof(*f));
}

/* ---- findings ------------------------------------------------------------ */

/* A culprit as printed: a performer is named by its address, which the
 * replay's own process draws anew each run (ASLR); the replay has one
 * performer per loop, so "performer" says the same and keeps the output
 * the same bytes run after run. */
static const char *stable_culprit(const char *culprit, char *buf, size_t len)
{
	if (!strncmp(culprit, "performer 0x", 12)) {
		snprintf(buf, len, "performer");
		return buf;
	}
	return culprit;
}

/* ---- fidelity ------------------------------------------------------------- */

/* The criteria: a wait percentile within 10% or 1 ms, whichever
 * is larger; a starvation interval matched when both its ends are within
 * 10 ms, or 10% of its length, of one of the same priority. */
#define PCT_TOL 0.10
#define PCT_MIN_NS 1000000LL
#define STARVE_MIN_NS 10000000LL

static int64_t tol(int64_t orig)
{
	int64_t t = (int64_t)llround(PCT_TOL * (double)llabs(orig));

	return t > PCT_MIN_NS ? t : PCT_MIN_NS;
}

static bool within(int64_t orig, int64_t replay)
{
	return llabs(replay - orig) <= tol(orig);
}

static int64_t starve_tol(const struct wl_orig_starve *s)
{
	int64_t t = (s->end - s->start) / 10;

	return t > STARVE_MIN_NS ? t : STARVE_MIN_NS;
}

/* The replay interval matching s, or NULL; *off its largest end offset. */
static const struct wl_orig_starve *match(const struct sr_figs *f,
					  const struct wl_orig_starve *s,
					  int64_t *off)
{
	const struct wl_orig_starve *best = NULL;
	int64_t bo = 0;

	for (size_t i = 0; i < f->nstarves; i++) {
		const struct wl_orig_starve *r = &f->starves[i];
		int64_t ds = llabs(r->start - s->start), de = llabs(r->end - s->end);
		int64_t o = ds > de ? ds : de;

		if (r->prio != s->prio || ds > starve_tol(s) || de > starve_tol(s))
			continue;
		if (!best || o < bo) {
			best = r;
			bo = o;
		}
	}
	*off = bo;
	return best;
}

struct fidelity {
	bool known;
	bool prio_ok[WL_PRIOS];
	bool used[WL_PRIOS];
	size_t prios_ok, prios;
	size_t orig_starves, replay_starves, matched, replay_matched;
	int64_t max_off;
	bool ok;
};

static void fidelity(const struct sr_report *r, struct fidelity *fd)
{
	const struct sr_figs *o = r->orig, *u = r->unchanged;

	memset(fd, 0, sizeof(*fd));
	if (!o || !u)
		return;
	fd->known = true;
	for (int p = 0; p < WL_PRIOS; p++) {
		if (!o->prio[p].fired && !u->prio[p].fired)
			continue;
		fd->used[p] = true;
		fd->prios++;
		fd->prio_ok[p] = within(o->prio[p].p50, u->prio[p].p50) &&
				 within(o->prio[p].p99, u->prio[p].p99);
		fd->prios_ok += fd->prio_ok[p];
	}
	fd->orig_starves = o->nstarves;
	fd->replay_starves = u->nstarves;
	for (size_t i = 0; i < o->nstarves; i++) {
		int64_t off;

		if (match(u, &o->starves[i], &off)) {
			fd->matched++;
			if (off > fd->max_off)
				fd->max_off = off;
		}
	}
	/* And the other way: no interval the recording did not have. */
	for (size_t i = 0; i < u->nstarves; i++) {
		int64_t off;

		fd->replay_matched += match(o, &u->starves[i], &off) != NULL;
	}
	fd->ok = fd->prios_ok == fd->prios && fd->matched == fd->orig_starves &&
		 fd->replay_matched == fd->replay_starves;
}

bool sr_faithful(const struct sr_figs *orig, const struct sr_figs *unchanged,
		 char *why, size_t len)
{
	struct sr_report r = { .orig = orig, .unchanged = unchanged };
	struct fidelity fd;

	fidelity(&r, &fd);
	snprintf(why, len, "%zu of %zu priorities within tolerance, %zu of %zu "
			   "recorded starvation intervals matched, %zu of %zu "
			   "replayed ones",
		 fd.prios_ok, fd.prios, fd.matched, fd.orig_starves,
		 fd.replay_matched, fd.replay_starves);
	return fd.known && fd.ok;
}

/* ---- text ----------------------------------------------------------------- */

static const char *ns_str(int64_t v)
{
	static char ring[32][32];
	static unsigned next;

	return an_fmt_ns(v, ring[next++ % 32], sizeof(ring[0]));
}

#define NS(v) ns_str(v)

static void text_whatif(FILE *f, const struct sr_whatif *wi)
{
	const char *sep = "";

	if (!sr_whatif_any(wi)) {
		fputs("none (the workload as recorded)", f);
		return;
	}
	/* Each option after a space, none after the last. */
	if (wi->slice) {
		fprintf(f, "--slice %s", NS(wi->slice));
		sep = " ";
	}
	for (size_t i = 0; i < wi->nprios; i++, sep = " ")
		fprintf(f, "%s--set-priority %s=%s", sep,
			tx_esc(wi->prios[i].name),
			wl_prio_name((int)wi->prios[i].value));
	for (size_t i = 0; i < wi->nmax_waits; i++, sep = " ")
		fprintf(f, "%s--max-wait %s%s%s", sep,
			wi->max_waits[i].name ? tx_esc(wi->max_waits[i].name) : "",
			wi->max_waits[i].name ? "=" : "",
			NS(wi->max_waits[i].value));
	for (size_t i = 0; i < wi->nscales; i++, sep = " ")
		fprintf(f, "%s--scale %s=%g", sep, tx_esc(wi->scales[i].name),
			wi->scales[i].factor);
	for (size_t i = 0; i < wi->nsplits; i++, sep = " ")
		fprintf(f, "%s--split %s=%lld", sep, tx_esc(wi->splits[i].name),
			(long long)wi->splits[i].value);
}

/* Two lines; the second indented by indent. */
static void stats_line(FILE *f, const struct sr_stats *st, const char *indent)
{
	unsigned long long runs = st->runs, posts = st->posts,
			   skipped = st->starts_skipped,
			   dropped = st->runs_dropped, events = st->events,
			   checks = st->checks;

	fprintf(f, "%llu workload %s replayed (%llu split by the stopwatch, "
		   "%llu run on through a recorded yield, %llu with no work "
		   "left), %llu %s, %llu %s of an active task skipped, %llu "
		   "recorded %s passed over, %llu %s;\n%sstopwatch "
		   "verdicts as recorded: %llu of %llu",
		runs, tw_noun(runs, "run", "runs"),
		(unsigned long long)st->split, (unsigned long long)st->merged,
		(unsigned long long)st->extra, posts,
		tw_noun(posts, "post", "posts"), skipped,
		tw_noun(skipped, "start", "starts"), dropped,
		tw_noun(dropped, "run", "runs"), events,
		tw_noun(events, "event", "events"), indent,
		(unsigned long long)st->checks_same, checks);
	fprintf(f, "; run begins off the recording's: p50 %s, p90 %s, max %s",
		NS(st->drift_p50), NS(st->drift_p90), NS(st->drift_max));
}

static size_t first_class_posts(const struct wl_workload *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nposts; i++)
		n += w->posts[i].prio < 0;
	return n;
}

/* The loop's counts under the analysis' labels (an_counts_text()). */
static void text_counts(FILE *f, const struct sr_figs *o,
			const struct sr_figs *rp)
{
	char b[128];

	fputs("  ", f);
	if (o)
		fprintf(f, "recorded: %s%s; ",
			an_counts_text(&o->counts, b, sizeof(b)),
			o->posted_known ? "" : " (posted-work runs not kept)");
	fprintf(f, "replayed: %s\n", an_counts_text(&rp->counts, b,
						     sizeof(b)));
}

static void json_counts(FILE *f, const char *key, const struct sr_figs *x)
{
	fprintf(f, "\"%s\":", key);
	if (!x) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"task_runs\":%llu,\"tasks_run\":%llu,"
		   "\"posted_runs\":",
		(unsigned long long)x->counts.task_runs,
		(unsigned long long)x->counts.tasks);
	if (x->posted_known)
		fprintf(f, "%llu}", (unsigned long long)x->counts.posted_runs);
	else
		fputs("null}", f);
}

/* The figures of x as one side of a comparison (compare.h); NULL when out
 * of memory. Tasks and priorities that never ran are left out; one that
 * ran on the other side only compares against 0 here (both sides are
 * the workload's loop: cmp_set_has_loop()), "runs 79 to 0". */
static struct cmp_set *cmp_side(const struct sr_figs *x)
{
	struct cmp_set *s = cmp_set_new();
	size_t nst[WL_PRIOS] = { 0 };

	if (!s)
		return NULL;
	cmp_set_has_loop(s);
	for (size_t i = 0; i < x->nstarves; i++)
		nst[x->starves[i].prio]++;
	for (int p = 0; p < WL_PRIOS; p++) {
		const struct sr_fig_prio *a = &x->prio[p];
		struct cmp_figs f = { { 0 }, 0 };

		if (!a->fired && !nst[p])
			continue;
		cmp_figs_set(&f, CMP_RUNS, (int64_t)a->fired);
		cmp_figs_set(&f, CMP_WAIT_P50, a->p50);
		cmp_figs_set(&f, CMP_WAIT_P99, a->p99);
		cmp_figs_set(&f, CMP_WAIT_MAX, a->max);
		cmp_figs_set(&f, CMP_STARVED, a->starved);
		cmp_figs_set(&f, CMP_INTERVALS, (int64_t)nst[p]);
		if (cmp_set_prio(s, wl_prio_name(p), &f) < 0)
			goto oom;
	}
	for (size_t i = 0; i < x->ntasks; i++) {
		const struct sr_fig_task *t = &x->tasks[i];
		struct cmp_figs f = { { 0 }, 0 };

		if (!t->runs)
			continue;
		cmp_figs_set(&f, CMP_RUNS, (int64_t)t->runs);
		cmp_figs_set(&f, CMP_WAIT_P50, t->p50);
		cmp_figs_set(&f, CMP_WAIT_P99, t->p99);
		cmp_figs_set(&f, CMP_WAIT_MAX, t->max);
		cmp_figs_set(&f, CMP_RUN_MAX, t->run_max);
		cmp_figs_set(&f, CMP_RUN_TOTAL, t->run_total);
		cmp_figs_set(&f, CMP_LONG_RUNS, (int64_t)t->long_runs);
		if (cmp_set_task(s, t->name, wl_prio_name(t->prio), &f) < 0)
			goto oom;
	}
	for (size_t i = 0; i < x->nfindings; i++) {
		const struct wl_orig_finding *d = &x->findings[i];
		char buf[64];

		if (cmp_set_finding(s, d->severity, d->kind,
				    stable_culprit(d->culprit, buf, sizeof(buf)),
				    d->evidence) < 0)
			goto oom;
	}
	return s;
oom:
	cmp_set_free(s);
	return NULL;
}

/* The comparison of the recording with the replay (NULL: no recorded
 * figures, or out of memory: *oom says which). */
static struct cmp *compare(const struct sr_report *r, bool *oom)
{
	struct cmp_set *o, *p;
	struct cmp *c = NULL;

	*oom = false;
	if (!r->orig)
		return NULL;
	o = cmp_side(r->orig);
	p = cmp_side(r->replay);
	if (o && p)
		c = cmp_new(o, p, NULL);
	*oom = !c;
	cmp_set_free(o);
	cmp_set_free(p);
	return c;
}

/* One line: the verdict on the fidelity, with its numbers. */
static void text_fidelity(FILE *f, const struct sr_report *r,
			  const struct fidelity *fd)
{
	fputs("  fidelity: ", f);
	if (!fd->known) {
		fputs("unknown (the workload holds no recorded figures to "
		      "compare with)\n", f);
		return;
	}
	if (!fd->prios && !fd->orig_starves && !fd->replay_starves) {
		fputs("nothing to compare (no task ran, recorded or "
		      "replayed)\n", f);
		return;
	}
	fprintf(f, "%s: %zu of %zu priorities within tolerance, starvation %s "
		   "(the %s replay of the unchanged workload; p50 and p99 "
		   "within 10%% or 1 ms, intervals within 10 ms or 10%%)\n",
		fd->ok ? "FAITHFUL" : "NOT FAITHFUL", fd->prios_ok, fd->prios,
		fd->matched == fd->orig_starves &&
				fd->replay_matched == fd->replay_starves
			? "the same"
			: "differs",
		r->unchanged_is_sim ? "--sim" : r->real ? "--real" : "--sim");
}

/* Why not faithful: the priorities off, and the intervals unmatched. */
static void text_unfaithful(FILE *f, const struct sr_report *r,
			    const struct fidelity *fd)
{
	const struct sr_figs *o = r->orig, *u = r->unchanged;

	if (!fd->known || fd->ok)
		return;
	/* With a what-if the fidelity is the unchanged replay's, not the
	 * one whose figures come before. */
	fprintf(f, "\n  not faithful%s:\n",
		r->unchanged != r->replay ? " (the unchanged --sim replay)" : "");
	for (int p = 0; p < WL_PRIOS; p++) {
		const struct sr_fig_prio *a = &o->prio[p], *b = &u->prio[p];

		if (!fd->used[p] || fd->prio_ok[p])
			continue;
		fprintf(f, "    %-13s p50 recorded %s, replayed %s (tolerance %s); "
			   "p99 recorded %s, replayed %s (tolerance %s)\n",
			wl_prio_name(p), NS(a->p50), NS(b->p50), NS(tol(a->p50)),
			NS(a->p99), NS(b->p99), NS(tol(a->p99)));
	}
	if (fd->matched != fd->orig_starves ||
	    fd->replay_matched != fd->replay_starves)
		fprintf(f, "    starvation: %zu of %zu recorded intervals "
			   "matched, %zu replayed with no recorded match\n",
			fd->matched, fd->orig_starves,
			fd->replay_starves - fd->replay_matched);
}

/* Without recorded figures: the replay's own, one table each. */
static void text_replay_only(FILE *f, const struct sr_figs *rp)
{
	size_t nst[WL_PRIOS] = { 0 };

	for (size_t i = 0; i < rp->nstarves; i++)
		nst[rp->starves[i].prio]++;
	fprintf(f, "\n  per priority (replayed)\n  %-13s %8s %10s %10s %10s "
		   "%10s %s\n", "priority", "fired", "wait p50", "wait p99",
		"wait max", "starved", "intervals");
	for (int p = 0; p < WL_PRIOS; p++) {
		const struct sr_fig_prio *b = &rp->prio[p];

		if (!b->fired && !nst[p])
			continue;
		fprintf(f, "  %-13s %8llu %10s %10s %10s %10s %zu\n",
			wl_prio_name(p), (unsigned long long)b->fired,
			NS(b->p50), NS(b->p99), NS(b->max), NS(b->starved),
			nst[p]);
	}
	fprintf(f, "\n  per task (replayed)\n  %-20s %-12s %8s %10s %10s "
		   "%10s %s\n", "task", "priority", "runs", "wait p99",
		"wait max", "run max", "long runs");
	for (size_t i = 0; i < rp->ntasks; i++) {
		const struct sr_fig_task *b = &rp->tasks[i];

		fprintf(f, "  %-20.20s %-12s %8llu %10s %10s %10s %llu\n",
			tx_esc(b->name), wl_prio_name(b->prio),
			(unsigned long long)b->runs, NS(b->p99), NS(b->max),
			NS(b->run_max), (unsigned long long)b->long_runs);
	}
	if (!rp->nfindings) {
		fputs("\n  findings: none\n", f);
		return;
	}
	fputs("\n  findings (replayed)\n", f);
	for (size_t i = 0; i < rp->nfindings; i++) {
		const struct wl_orig_finding *b = &rp->findings[i];
		char buf[64];

		fprintf(f, "    %-8s %-18s %s\n", b->severity, b->kind,
			tx_esc(stable_culprit(b->culprit, buf, sizeof(buf))));
	}
}

void sr_report_text(FILE *f, const struct sr_report *r)
{
	static const struct cmp_words words = { "recorded", "replayed" };
	const struct wl_workload *w = r->w;
	const struct sr_figs *o = r->orig, *rp = r->replay;
	bool ho = o != NULL, oom;
	struct fidelity fd;
	struct cmp *c;

	fidelity(r, &fd);
	c = compare(r, &oom);
	fprintf(f, "schedreplay: %s\n  workload: %s\n  to replay: %zu "
		   "tasks with %zu of their runs, %zu posts (%zu first-class), "
		   "%zu actions outside runs, %s long\n",
		tx_esc(r->input), w->source ? tx_esc(w->source) : "(no source)",
		w->ntasks, wl_run_count(w), w->nposts, first_class_posts(w),
		w->nactions, NS(w->span));
	fprintf(f, "  replay: %s", r->real ? "--real (real time" : "--sim (virtual time");
	if (r->real)
		fprintf(f, ", speed %g)", r->speed);
	else
		fputs(")", f);
	fputs("; what-if: ", f);
	text_whatif(f, r->wi);
	fputc('\n', f);
	/* The answer first: how far the replay can be trusted, then what
	 * changed (with a what-if: what the what-if changed). */
	text_fidelity(f, r, &fd);
	if (c) {
		fprintf(f, "\n  recorded against replayed%s\n",
			sr_whatif_any(r->wi) ? " with the what-if" : "");
		cmp_text(f, c, &words, "  ");
	} else if (oom) {
		fputs("\n  (out of memory: no comparison)\n", f);
	} else {
		text_replay_only(f, rp);
	}
	cmp_free(c);

	if (rp->nstarves || (ho && o->nstarves)) {
		fprintf(f, "\n  starvation intervals (at least %s with ready "
			   "tasks and none run; from the origin)\n",
			NS(r->starve_ns));
		for (size_t i = 0; ho && i < o->nstarves; i++)
			fprintf(f, "    recorded  %-13s %10s to %10s (%s)%s\n",
				wl_prio_name(o->starves[i].prio),
				NS(o->starves[i].start), NS(o->starves[i].end),
				NS(o->starves[i].end - o->starves[i].start),
				o->starves[i].open_at_end ? " until the end" : "");
		for (size_t i = 0; i < rp->nstarves; i++)
			fprintf(f, "    replayed  %-13s %10s to %10s (%s)%s\n",
				wl_prio_name(rp->starves[i].prio),
				NS(rp->starves[i].start), NS(rp->starves[i].end),
				NS(rp->starves[i].end - rp->starves[i].start),
				rp->starves[i].open_at_end ? " until the end" : "");
	} else {
		fputs("\n  no starvation interval, recorded or replayed\n", f);
	}
	text_unfaithful(f, r, &fd);

	fputs("\n  the replay\n", f);
	text_counts(f, o, rp);
	fputs("  ", f);
	stats_line(f, r->st, "  ");
	fputc('\n', f);
	if (fd.known && r->ust != r->st) {
		fputs("  the unchanged --sim replay of the fidelity: ", f);
		stats_line(f, r->ust, "  ");
		fputc('\n', f);
	}
}

/* ---- JSON ----------------------------------------------------------------- */

/* The shared JSON string writer: what is not UTF-8 becomes U+FFFD, so the
 * output stays valid JSON whatever a program named its tasks. */
static void json_str(FILE *f, const char *s)
{
	tj_str(f, s);
}

static void json_figs(FILE *f, const struct sr_figs *x)
{
	if (!x) {
		fputs("null", f);
		return;
	}
	fputs("{\"priorities\":[", f);
	for (int p = 0; p < WL_PRIOS; p++) {
		const struct sr_fig_prio *a = &x->prio[p];
		bool first = true;

		fprintf(f, "%s{\"priority\":\"%s\",\"fired\":%llu,"
			   "\"wait_p50_ns\":%lld,\"wait_p99_ns\":%lld,"
			   "\"wait_max_ns\":%lld,\"starved_ns\":%lld,"
			   "\"longest_starve_ns\":%lld,\"starvation\":[",
			p ? "," : "", wl_prio_name(p), (unsigned long long)a->fired,
			(long long)a->p50, (long long)a->p99, (long long)a->max,
			(long long)a->starved, (long long)a->longest);
		for (size_t i = 0; i < x->nstarves; i++) {
			const struct wl_orig_starve *s = &x->starves[i];

			if (s->prio != p)
				continue;
			fprintf(f, "%s{\"start_ns\":%lld,\"end_ns\":%lld,"
				   "\"open_at_end\":%s}",
				first ? "" : ",", (long long)s->start,
				(long long)s->end, s->open_at_end ? "true" : "false");
			first = false;
		}
		fputs("]}", f);
	}
	fputs("],\"findings\":[", f);
	for (size_t i = 0; i < x->nfindings; i++) {
		char buf[64];

		fprintf(f, "%s{\"severity\":\"%s\",\"kind\":", i ? "," : "",
			x->findings[i].severity);
		json_str(f, x->findings[i].kind);
		fputs(",\"culprit\":", f);
		json_str(f, stable_culprit(x->findings[i].culprit, buf,
					   sizeof(buf)));
		fputs(",\"evidence\":", f);
		if (x->findings[i].evidence)
			json_str(f, x->findings[i].evidence);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputs("],\"tasks\":[", f);
	for (size_t i = 0; i < x->ntasks; i++) {
		const struct sr_fig_task *t = &x->tasks[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, t->name);
		fprintf(f, ",\"priority\":\"%s\",\"runs\":%llu,\"long_runs\":%llu,"
			   "\"wait_p50_ns\":%lld,\"wait_p99_ns\":%lld,"
			   "\"wait_max_ns\":%lld,\"run_max_ns\":%lld,"
			   "\"run_total_ns\":%lld}",
			wl_prio_name(t->prio), (unsigned long long)t->runs,
			(unsigned long long)t->long_runs, (long long)t->p50,
			(long long)t->p99, (long long)t->max,
			(long long)t->run_max, (long long)t->run_total);
	}
	fputs("]}", f);
}

static void json_stats(FILE *f, const struct sr_stats *st)
{
	fprintf(f, "{\"events\":%llu,\"runs\":%llu,\"runs_split\":%llu,"
		   "\"runs_merged\":%llu,\"runs_without_work\":%llu,"
		   "\"posts\":%llu,\"starts_skipped\":%llu,\"runs_dropped\":%llu,"
		   "\"checks\":%llu,"
		   "\"checks_as_recorded\":%llu,\"replayed_ns\":%lld,"
		   "\"drift_runs\":%llu,\"drift_p50_ns\":%lld,"
		   "\"drift_p90_ns\":%lld,\"drift_max_ns\":%lld}",
		(unsigned long long)st->events, (unsigned long long)st->runs,
		(unsigned long long)st->split, (unsigned long long)st->merged,
		(unsigned long long)st->extra, (unsigned long long)st->posts,
		(unsigned long long)st->starts_skipped,
		(unsigned long long)st->runs_dropped,
		(unsigned long long)st->checks,
		(unsigned long long)st->checks_same, (long long)st->replayed_ns,
		(unsigned long long)st->drift_runs, (long long)st->drift_p50,
		(long long)st->drift_p90, (long long)st->drift_max);
}

void sr_report_json(FILE *f, const struct sr_report *r)
{
	const struct wl_workload *w = r->w;
	const struct sr_whatif *wi = r->wi;
	struct fidelity fd;

	fputs("{\"schedreplay_report\":1,\"input\":", f);
	json_str(f, r->input);
	fprintf(f, ",\"mode\":\"%s\",\"speed\":%g,\"workload\":{\"source\":",
		r->real ? "real" : "sim", r->real ? r->speed : 1.0);
	json_str(f, w->source ? w->source : "");
	fprintf(f, ",\"origin_ns\":%lld,\"span_ns\":%lld,\"tasks\":%zu,"
		   "\"runs\":%zu,\"posts\":%zu,"
		   "\"actions\":%zu},\"long_task_ns\":%lld,\"starve_ns\":%lld,",
		(long long)w->origin, (long long)w->span, w->ntasks, wl_run_count(w), w->nposts,
		w->nactions, (long long)r->long_task_ns, (long long)r->starve_ns);
	fputs("\"counts\":{", f);
	json_counts(f, "recorded", r->orig);
	fputc(',', f);
	json_counts(f, "replayed", r->replay);
	fputs("},", f);
	fputs("\"whatif\":{\"slice_ns\":", f);
	if (wi->slice)
		fprintf(f, "%lld", (long long)wi->slice);
	else
		fputs("null", f);
	fputs(",\"set_priority\":[", f);
	for (size_t i = 0; i < wi->nprios; i++) {
		fputs(i ? ",{\"task\":" : "{\"task\":", f);
		json_str(f, wi->prios[i].name);
		fprintf(f, ",\"priority\":\"%s\"}",
			wl_prio_name((int)wi->prios[i].value));
	}
	fputs("],\"max_wait\":[", f);
	for (size_t i = 0; i < wi->nmax_waits; i++) {
		fputs(i ? ",{\"task\":" : "{\"task\":", f);
		if (wi->max_waits[i].name)
			json_str(f, wi->max_waits[i].name);
		else
			fputs("null", f);
		fprintf(f, ",\"max_wait_ns\":%lld}",
			(long long)wi->max_waits[i].value);
	}
	fputs("],\"scale\":[", f);
	for (size_t i = 0; i < wi->nscales; i++) {
		fputs(i ? ",{\"task\":" : "{\"task\":", f);
		json_str(f, wi->scales[i].name);
		fprintf(f, ",\"factor\":%g}", wi->scales[i].factor);
	}
	fputs("],\"split\":[", f);
	for (size_t i = 0; i < wi->nsplits; i++) {
		fputs(i ? ",{\"task\":" : "{\"task\":", f);
		json_str(f, wi->splits[i].name);
		fprintf(f, ",\"pieces\":%lld}", (long long)wi->splits[i].value);
	}
	fputs("]},\"original\":", f);
	json_figs(f, r->orig);
	fputs(",\"replay\":", f);
	json_figs(f, r->replay);
	fputs(",\"replay_stats\":", f);
	json_stats(f, r->st);
	/* The same comparison as the text, recorded against replayed (keys
	 * before and after, compare.h); null without recorded figures. */
	fputs(",\"comparison\":", f);
	{
		static const struct cmp_words words = { "recorded", "replayed" };
		bool oom;
		struct cmp *c = compare(r, &oom);

		if (c)
			cmp_json(f, c, &words);
		else
			fputs("null", f);
		cmp_free(c);
	}
	fidelity(r, &fd);
	fputs(",\"fidelity\":", f);
	if (!fd.known) {
		/* No recorded figures: no fidelity, and no unchanged replay
		 * either (docs/schedreplay.md: null). */
		fputs("null,\"unchanged_replay\":null}\n", f);
		return;
	}
	fprintf(f, "{\"replay\":\"%s\",\"priorities\":[",
		r->unchanged_is_sim || !r->real ? "sim" : "real");
	for (int p = 0, first = 1; p < WL_PRIOS; p++) {
		const struct sr_fig_prio *a = &r->orig->prio[p],
					 *b = &r->unchanged->prio[p];

		if (!fd.used[p])
			continue;
		fprintf(f, "%s{\"priority\":\"%s\",\"p50_ns\":%lld,"
			   "\"replay_p50_ns\":%lld,\"p99_ns\":%lld,"
			   "\"replay_p99_ns\":%lld,\"tolerance_p50_ns\":%lld,"
			   "\"tolerance_p99_ns\":%lld,\"ok\":%s}",
			first ? "" : ",", wl_prio_name(p), (long long)a->p50,
			(long long)b->p50, (long long)a->p99, (long long)b->p99,
			(long long)tol(a->p50), (long long)tol(a->p99),
			fd.prio_ok[p] ? "true" : "false");
		first = 0;
	}
	fprintf(f, "],\"starvation\":{\"recorded\":%zu,\"replayed\":%zu,"
		   "\"matched\":%zu,\"replayed_unmatched\":%zu,"
		   "\"max_offset_ns\":%lld,\"same\":%s},\"stats\":",
		fd.orig_starves, fd.replay_starves, fd.matched,
		fd.replay_starves - fd.replay_matched, (long long)fd.max_off,
		fd.matched == fd.orig_starves &&
				fd.replay_matched == fd.replay_starves
			? "true"
			: "false");
	json_stats(f, r->ust);
	fprintf(f, ",\"ok\":%s},\"unchanged_replay\":",
		fd.ok ? "true" : "false");
	json_figs(f, r->unchanged != r->replay ? r->unchanged : NULL);
	fputs("}\n", f);
}
