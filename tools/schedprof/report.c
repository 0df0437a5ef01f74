/*
 * schedprof report: the latency profile of recorded traces, as text (the
 * default), JSON (--json, schema in docs/schedprof.md) and an HTML report
 * with charts (-o OUTDIR). --fail-on gates a CI on the findings.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "html.h"
#include "fixes.h"
#include "flightmark.h"
#include "jsonstr.h"
#include "schedprof.h"
#include "textesc.h"
#include "numarg.h"
#include "words.h"

#define TOP_TASKS 20
#define TOP_STARVES 10

/* Parses a duration in ms (decimals allowed) into ns; false if bad. */
bool sp_parse_ms(const char *s, int64_t *ns)
{
	char *end;
	double v;

	if (!tn_decimal(s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 1e9)
		return false;
	*ns = (int64_t)(v * 1e6);
	return *ns > 0;
}

/* ---- text ---------------------------------------------------------------- */

/* 'loop "main" (thread officesim, tid 41), pid 41'; 'loop 0x... of
 * officesim, pid 41' when the trace does not say which thread runs it. */
static const char *loop_label(const struct an_loop *l, char *buf, size_t len)
{
	char who[160];

	an_loop_label(l, who, sizeof(who));
	if (l->tid >= 0 && l->vpid >= 0)
		snprintf(buf, len, "%s, pid %lld", tx_esc(who),
			 (long long)l->vpid);
	else if (l->vpid >= 0)
		snprintf(buf, len, "%s of %s, pid %lld", tx_esc(who),
			 l->procname ? tx_esc(l->procname) : "?",
			 (long long)l->vpid);
	else
		snprintf(buf, len, "%s of %s, trace %u", tx_esc(who),
			 l->procname ? tx_esc(l->procname) : "?", l->trace);
	return buf;
}

static int cmp_task_total(const void *x, const void *y)
{
	const struct an_task *a = *(struct an_task *const *)x;
	const struct an_task *b = *(struct an_task *const *)y;

	return a->run_total > b->run_total ? -1 : a->run_total < b->run_total;
}

/* The loop's tasks that ran, by total run time; *n gets their count. The
 * caller frees the array. */
static struct an_task **tasks_by_total(const struct an_loop *l, size_t *n)
{
	struct an_task **v = malloc((l->ntasks + 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < l->ntasks; i++)
		if (l->tasks[i]->runs)
			v[(*n)++] = l->tasks[i];
	qsort(v, *n, sizeof(*v), cmp_task_total);
	return v;
}

/* A duration for a table cell; a ring of buffers lets one printf hold
 * many. */
static const char *ns_str(int64_t v)
{
	static char ring[16][32];
	static unsigned next;

	return an_fmt_ns(v, ring[next++ % 16], sizeof(ring[0]));
}

#define NS(v) ns_str(v)

/* The end of a task row: CPU time, time off the CPU and blocking runs of
 * the runs that carried their CPU time ("-" for a trace without). */
static void print_cpu(const struct an_cpu_use *c)
{
	if (!c->runs) {
		printf(" %9s %9s %7s\n", "-", "-", "-");
		return;
	}
	printf(" %9s %9s %7llu\n", NS(c->cpu),
	       NS(c->wall > c->cpu ? c->wall - c->cpu : 0),
	       (unsigned long long)c->blocked_runs);
}

/* The checked fixes (fixes.h) of the busiest loop's findings, or NULL
 * (--no-fixes); fix_loop: that loop. */
static const struct fx_result *fixes;
static const struct an_loop *fix_loop;

const struct fx_finding *sp_fixes_of(const struct an_finding *f)
{
	if (!fixes || fixes->status != FX_DONE || f->loop != fix_loop)
		return NULL;
	return fx_find(fixes, an_kind_name(f->kind), f->culprit);
}

const struct fx_result *sp_fixes_result(void)
{
	return fixes;
}

/* The flight-recorder saves among the traces reported (flightmark.h). */
static struct fm_set flight;

const struct fm_set *sp_flight(void)
{
	return &flight;
}

/* Each save's trigger, and what a save's trace starting mid-run means (or
 * that it holds its program from the start: fm_mid_run()); nothing for a
 * trace that is not a save. */
static void text_flight(const struct an_result *r)
{
	char line[1024];

	for (size_t i = 0; i < flight.n; i++)
		printf("%s\n", tx_esc(fm_line(&flight.v[i], r, line,
					      sizeof(line))));
	if (flight.n)
		printf("note: %s\n", fm_set_mid_run(&flight, r) ?
		       fm_mid_run_note : fm_from_start_note);
}

static void text_findings(const struct an_result *r)
{
	size_t nerr = 0, nwarn = 0;
	char lbl[256];

	for (size_t i = 0; i < r->nfindings; i++) {
		nerr += r->findings[i].severity == AN_ERROR;
		nwarn += r->findings[i].severity == AN_WARNING;
	}
	printf("\nFindings: %zu (%zu %s, %zu %s)\n", r->nfindings,
	       nerr, tw_noun(nerr, "error", "errors"),
	       nwarn, tw_noun(nwarn, "warning", "warnings"));
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct an_finding *f = &r->findings[i];

		printf("  %-7s  %-18s %s", f->severity == AN_ERROR ? "ERROR"
					 : f->severity == AN_WARNING ? "WARNING"
								     : "INFO",
		       an_kind_name(f->kind), tx_esc(f->culprit));
		if (f->loop && r->nloops > 1)
			printf(" [%s]", loop_label(f->loop, lbl, sizeof(lbl)));
		printf("\n           %s\n", tx_esc(f->evidence));
		fx_text(stdout, fixes, sp_fixes_of(f), "           ");
	}
	if (fixes && fixes->status == FX_DONE && fix_loop && r->nloops > 1)
		printf("  fixes: checked for %s, the loop with the most task "
		       "runs (the one schedreplay replays)\n",
		       loop_label(fix_loop, lbl, sizeof(lbl)));
	if (fixes && fixes->status != FX_DONE)
		printf("  %s\n", tx_esc(fx_status_text(fixes)));
	else if (fixes && fixes->budget_out)
		printf("  fixes: the budget (--fix-budget %g s) ran out before "
		       "every candidate was tried\n", fixes->budget_s);
}

static void text_loop(struct an_loop *l)
{
	char lbl[256], counts[128];
	struct an_task **tasks;
	size_t ntasks;
	struct an_counts c;

	an_loop_counts(l, &c);
	printf("\n%s: %s of loop time, %s; slept %llu "
	       "%s (%s); %llu stopwatch %s\n",
	       loop_label(l, lbl, sizeof(lbl)),
	       NS(l->last > l->first ? l->last - l->first : 0),
	       an_counts_text(&c, counts, sizeof(counts)),
	       (unsigned long long)l->sleeps,
	       tw_noun(l->sleeps, "time", "times"),
	       NS(l->slept_ns), (unsigned long long)l->slices,
	       tw_noun(l->slices, "check", "checks"));

	/* The priorities that fired, queued or starved; no table for a loop
	 * that ran only posted work (or nothing). */
	for (int p = 0, head = 0; p < AN_PRIOS; p++) {
		struct an_prio *pr = &l->prio[p];

		if (!pr->fired && !pr->max_depth && !pr->nstarves)
			continue;
		if (!head++)
			printf("\n  %-13s %8s %10s %10s %10s %10s %6s %10s "
			       "%10s\n", "priority", "fired", "wait p50", "p90",
			       "p99", "max", "depth", "starved", "longest");
		printf("  %-13s %8llu %10s %10s %10s %10s %6u %10s %10s\n",
		       an_prio_name(p), (unsigned long long)pr->fired,
		       NS(an_pct(&pr->wait, 50)), NS(an_pct(&pr->wait, 90)),
		       NS(an_pct(&pr->wait, 99)), NS(pr->wait.max),
		       pr->max_depth, pr->starved_ns ? NS(pr->starved_ns) : "-",
		       pr->longest_starve_ns ? NS(pr->longest_starve_ns) : "-");
	}

	tasks = tasks_by_total(l, &ntasks);
	if (tasks && ntasks) {
		printf("\n  %-20s %-12s %7s %10s %9s %9s %9s %9s %9s %7s %6s %6s %5s %9s %9s %7s\n",
		       "task", "priority", "runs", "run total", "mean", "p99",
		       "max", "wait p99", "wait max", "checks", "yield",
		       "overr", "long", "cpu", "off cpu", "blocked");
		for (size_t i = 0; i < ntasks && i < TOP_TASKS; i++) {
			struct an_task *t = tasks[i];

				printf("  %-20.20s %-12s %7llu %10s %9s %9s %9s %9s %9s "
			       "%7llu %6llu %6llu %5llu",
			       tx_esc(t->name), an_prio_name(t->prio),
			       (unsigned long long)t->runs, NS(t->run_total),
			       NS(an_mean(&t->run)), NS(an_pct(&t->run, 99)),
			       NS(t->run.max), NS(an_pct(&t->wait, 99)),
			       NS(t->wait.max), (unsigned long long)t->checks,
			       (unsigned long long)t->yields,
			       (unsigned long long)t->overrun_runs,
			       (unsigned long long)t->long_runs);
			print_cpu(&t->cpu);
		}
		if (ntasks > TOP_TASKS)
			printf("  (%zu more %s; --json lists them all)\n",
			       ntasks - TOP_TASKS,
			       tw_noun(ntasks - TOP_TASKS, "task", "tasks"));
	}
	free(tasks);

	if (l->nperfs) {
		printf("\n  %-20s %8s %8s %9s %6s %10s %10s %10s %8s\n",
		       "performer", "posts", "wakes", "coalesced", "waits",
		       "delay p50", "p99", "max", "backlog");
		for (size_t i = 0; i < l->nperfs; i++) {
			struct an_performer *p = l->perfs[i];
			char addr[24];

				snprintf(addr, sizeof(addr), "0x%llx",
				 (unsigned long long)p->addr);
			printf("  %-20s %8llu %8llu %8.1f%% %6llu %10s %10s %10s %8llu\n",
			       addr, (unsigned long long)p->posts,
			       (unsigned long long)p->wakes,
			       p->posts ? 100.0 * (double)(p->posts - (p->wakes < p->posts ? p->wakes : p->posts)) /
						  (double)p->posts
					: 0.0,
			       (unsigned long long)p->waits,
			       NS(an_pct(&p->delay, 50)), NS(an_pct(&p->delay, 99)),
			       NS(p->delay.max),
			       (unsigned long long)p->max_backlog);
		}
	}

	for (int p = 0, shown = 0; p < AN_PRIOS && shown < TOP_STARVES; p++) {
		struct an_prio *pr = &l->prio[p];

		for (size_t i = 0; i < pr->nstarves && shown < TOP_STARVES;
		     i++, shown++) {
			const struct an_starve *s = &pr->starves[i];

			if (!shown)
				printf("\n  starvation (at least the starve "
				       "threshold with ready tasks and none run)\n");
			printf("  %-13s at %s for %s%s:", an_prio_name(p),
			       NS(s->start - l->first), NS(s->end - s->start),
			       s->open_at_end ? " (until the end)" : "");
			for (unsigned k = 0; k < s->nblame; k++)
				printf("%s %s %s (%llu %s)", k ? "," : "",
				       s->blame[k].task ? tx_esc(s->blame[k].task->name)
							: "(performer work)",
				       NS(s->blame[k].ran_ns),
				       (unsigned long long)s->blame[k].runs,
				       tw_noun(s->blame[k].runs, "run", "runs"));
			printf("%s\n", s->nblame ? "" : " nothing ran");
		}
	}
}

/* The tasks that waited at least the starve threshold, with what ran
 * meanwhile, grouped (an_task_starve). */
static void text_task_starves(const struct an_loop *l)
{
	size_t shown = 0;

	for (size_t i = 0; i < l->ntstarves && shown < TOP_STARVES; i++) {
		const struct an_task_starve *s = &l->tstarves[i];

		if (!shown++)
			printf("\n  task waits (at least the starve threshold: "
			       "what ran while the task waited)\n");
		printf("  %-20.20s %-12s at %s for %s%s%s\n", tx_esc(s->task->name),
		       an_prio_name(s->prio), NS(s->start - l->first),
		       NS(s->end - s->start),
		       s->open_at_end ? " (until the end)" : "",
		       s->restarted ? " (restarted while ready)" : "");
		for (int g = 0; g < AN_TG_N; g++) {
			if (!s->group_runs[g])
				continue;
			printf("      %-18s %10s %6llu %s",
			       an_tgroup_name((enum an_tgroup)g),
			       NS(s->group_ns[g]),
			       (unsigned long long)s->group_runs[g],
			       tw_noun(s->group_runs[g], "run", "runs"));
			if (s->forced_runs[g])
				printf(" (%llu forced by a max wait, %s)",
				       (unsigned long long)s->forced_runs[g],
				       NS(s->forced_ns[g]));
			/* Posted work is one culprit: the group says it. */
			if (g == AN_TG_POSTED) {
				putchar('\n');
				continue;
			}
			putchar(':');
			for (unsigned k = 0, n = 0; k < s->nblame; k++) {
				const struct an_tblame *b = &s->blame[k];

				if ((int)an_tgroup_of(s->prio, b->prio) != g)
					continue;
				printf("%s %s %s %s (%llu %s", n++ ? ";" : "",
				       b->task ? tx_esc(b->task->name) : "?",
				       an_prio_name(b->prio), NS(b->ran_ns),
				       (unsigned long long)b->runs,
				       tw_noun(b->runs, "run", "runs"));
				if (b->forced_runs)
					printf(", %llu forced",
					       (unsigned long long)b->forced_runs);
				printf(")");
			}
			putchar('\n');
		}
	}
	if (l->ntstarves > shown)
		printf("  (%zu more task %s; --json lists them all)\n",
		       l->ntstarves - shown,
		       tw_noun(l->ntstarves - shown, "wait", "waits"));
}

static void report_text(struct an_result *r, uint64_t anomalies,
			const char *const *paths, int npaths)
{
	char b1[32], b2[32];

	printf("schedprof: %d trace %s, %llu events, %s; %zu %s; "
	       "thresholds: long task %s, starve %s\n",
	       npaths, tw_noun((unsigned)npaths, "path", "paths"),
	       (unsigned long long)r->events,
	       r->complete ? "complete" : "INCOMPLETE (the tracer lost events)",
	       r->nloops, tw_noun(r->nloops, "loop", "loops"),
	       an_fmt_ns(r->cfg.long_task_ns, b1, sizeof(b1)),
	       an_fmt_ns(r->cfg.starve_ns, b2, sizeof(b2)));
	(void)paths;
	text_flight(r);
	if (anomalies)
		printf("note: %llu %s out of sequence (an end without its "
		       "begin, ...): tracing started or stopped mid-run\n",
		       (unsigned long long)anomalies,
		       tw_noun(anomalies, "event", "events"));
	text_findings(r);
	for (size_t i = 0; i < r->nloops; i++) {
		text_loop(r->loops[i]);
		text_task_starves(r->loops[i]);
	}
}

/* ---- JSON ---------------------------------------------------------------- */


/* ,"cpu":{...}: where the task's run time went (an_cpu_use); null for a
 * trace without CPU times. */
static void json_cpu(FILE *f, const struct an_cpu_use *c)
{
	if (!c->runs) {
		fputs(",\"cpu\":null", f);
		return;
	}
	fprintf(f, ",\"cpu\":{\"runs\":%llu,\"cpu_ns\":%lld,\"wall_ns\":%lld,"
		   "\"blocked_runs\":%llu,\"blocked_ns\":%lld,"
		   "\"block_max_ns\":%lld,\"block_max_run_ns\":%lld,"
		   "\"block_max_cpu_ns\":%lld,\"block_max_begin_ns\":%lld,"
		   "\"preempted_runs\":%llu,\"preempted_ns\":%lld,"
		   "\"long_off_cpu_runs\":%llu,"
		   "\"overruns_off_cpu\":%llu,\"overruns_on_cpu\":%llu,"
		   "\"worst_off_elapsed_ns\":%lld,\"worst_off_cpu_ns\":%lld}",
		(unsigned long long)c->runs, (long long)c->cpu,
		(long long)c->wall, (unsigned long long)c->blocked_runs,
		(long long)c->blocked_ns, (long long)c->block_max,
		(long long)c->block_max_run, (long long)c->block_max_cpu,
		(long long)c->block_max_begin,
		(unsigned long long)c->preempted_runs,
		(long long)c->preempted_ns,
		(unsigned long long)c->long_off_cpu_runs,
		(unsigned long long)c->overruns_off_cpu,
		(unsigned long long)c->overruns_on_cpu,
		(long long)c->worst_off_elapsed, (long long)c->worst_off_cpu);
}

static void json_dist(FILE *f, const char *key, struct an_dist *d)
{
	int last = 0;

	fprintf(f, "\"%s\":{\"count\":%llu,\"min\":%lld,\"mean\":%lld,"
		   "\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"max\":%lld,"
		   "\"log2_hist\":[",
		key, (unsigned long long)d->count,
		(long long)(d->count ? d->min : 0), (long long)an_mean(d),
		(long long)an_pct(d, 50), (long long)an_pct(d, 90),
		(long long)an_pct(d, 99), (long long)(d->count ? d->max : 0));
	for (int i = 0; i < 64; i++)
		if (d->log2[i])
			last = i + 1;
	for (int i = 0; i < last; i++)
		fprintf(f, "%s%llu", i ? "," : "",
			(unsigned long long)d->log2[i]);
	fputs("]}", f);
}

/* "task_starvation": every task wait of at least the threshold. */
static void json_task_starves(FILE *f, const struct an_loop *l)
{
	fputs(",\"task_starvation\":[", f);
	for (size_t i = 0; i < l->ntstarves; i++) {
		const struct an_task_starve *s = &l->tstarves[i];

		fprintf(f, "%s{\"task\":%llu,\"name\":", i ? "," : "",
			(unsigned long long)s->task_id);
		tj_str(f, s->task->name);
		fprintf(f, ",\"priority\":\"%s\",\"start_ns\":%lld,"
			   "\"end_ns\":%lld,\"duration_ns\":%lld,"
			   "\"open_at_end\":%s,\"restarted\":%s,\"groups\":{",
			an_prio_name(s->prio), (long long)s->start,
			(long long)s->end, (long long)(s->end - s->start),
			s->open_at_end ? "true" : "false",
			s->restarted ? "true" : "false");
		for (int g = 0; g < AN_TG_N; g++)
			fprintf(f, "%s\"%s\":{\"ran_ns\":%lld,\"runs\":%llu,"
				   "\"forced_ns\":%lld,\"forced_runs\":%llu}",
				g ? "," : "",
				g == AN_TG_HIGHER ? "higher"
				: g == AN_TG_OWN  ? "own"
				: g == AN_TG_LOWER ? "lower"
						   : "posted",
				(long long)s->group_ns[g],
				(unsigned long long)s->group_runs[g],
				(long long)s->forced_ns[g],
				(unsigned long long)s->forced_runs[g]);
		fputs("},\"blame\":[", f);
		for (unsigned k = 0; k < s->nblame; k++) {
			const struct an_tblame *b = &s->blame[k];

			fprintf(f, "%s{\"task\":%llu,\"name\":", k ? "," : "",
				(unsigned long long)(b->task ? b->task->id : 0));
			tj_str(f, b->task ? b->task->name : "(performer work)");
			fprintf(f, ",\"priority\":\"%s\",\"ran_ns\":%lld,"
				   "\"runs\":%llu,\"forced_runs\":%llu}",
				b->prio >= 0 ? an_prio_name(b->prio) : "posted",
				(long long)b->ran_ns, (unsigned long long)b->runs,
				(unsigned long long)b->forced_runs);
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

/* ,"name":...,"thread":...,"tid":N,"label":...: who the loop is
 * (lsched_loop_set_name(), the thread that runs it; null or -1 when the
 * trace does not say), and the label every output shows. */
static void json_loop_who(FILE *f, const struct an_loop *l)
{
	char label[160];

	fputs(",\"name\":", f);
	if (l->name)
		tj_str(f, l->name);
	else
		fputs("null", f);
	fputs(",\"thread\":", f);
	if (l->thread)
		tj_str(f, l->thread);
	else
		fputs("null", f);
	fprintf(f, ",\"tid\":%lld,\"label\":", (long long)l->tid);
	tj_str(f, an_loop_label(l, label, sizeof(label)));
}

static void json_loop(FILE *f, struct an_loop *l)
{
	struct an_counts c;

	an_loop_counts(l, &c);
	fprintf(f, "{\"loop\":\"0x%llx\",\"pid\":%lld,\"procname\":",
		(unsigned long long)l->addr, (long long)l->vpid);
	tj_str(f, l->procname ? l->procname : "");
	fprintf(f, ",\"task_runs\":%llu,\"tasks_run\":%llu,"
		   "\"posted_runs\":%llu",
		(unsigned long long)c.task_runs, (unsigned long long)c.tasks,
		(unsigned long long)c.posted_runs);
	json_loop_who(f, l);
	fprintf(f, ",\"first_ns\":%lld,\"last_ns\":%lld,\"sleeps\":%llu,"
		   "\"slept_ns\":%lld,\"slices\":%llu,\"commands\":%llu,"
		   "\"builds\":%llu,\"builds_forced\":%llu,\"priorities\":[",
		(long long)l->first, (long long)l->last,
		(unsigned long long)l->sleeps, (long long)l->slept_ns,
		(unsigned long long)l->slices, (unsigned long long)l->commands,
		(unsigned long long)l->builds,
		(unsigned long long)l->builds_forced);
	for (int p = 0; p < AN_PRIOS; p++) {
		struct an_prio *pr = &l->prio[p];

		fprintf(f, "%s{\"priority\":\"%s\",\"fired\":%llu,", p ? "," : "",
			an_prio_name(p), (unsigned long long)pr->fired);
		json_dist(f, "wait_ns", &pr->wait);
		fprintf(f, ",\"max_depth\":%u,\"starved_ns\":%lld,"
			   "\"longest_starve_ns\":%lld,\"starvation\":[",
			pr->max_depth, (long long)pr->starved_ns,
			(long long)pr->longest_starve_ns);
		for (size_t i = 0; i < pr->nstarves; i++) {
			const struct an_starve *s = &pr->starves[i];

			fprintf(f, "%s{\"start_ns\":%lld,\"end_ns\":%lld,"
				   "\"duration_ns\":%lld,\"open_at_end\":%s,"
				   "\"blame\":[",
				i ? "," : "", (long long)s->start,
				(long long)s->end, (long long)(s->end - s->start),
				s->open_at_end ? "true" : "false");
			for (unsigned k = 0; k < s->nblame; k++) {
				fprintf(f, "%s{\"task\":%llu,\"name\":",
					k ? "," : "",
					(unsigned long long)(s->blame[k].task ? s->blame[k].task->id : 0));
				tj_str(f, s->blame[k].task ? s->blame[k].task->name
							     : "(performer work)");
				fprintf(f, ",\"ran_ns\":%lld,\"runs\":%llu}",
					(long long)s->blame[k].ran_ns,
					(unsigned long long)s->blame[k].runs);
			}
			fputs("]}", f);
		}
		fputs("]}", f);
	}
	fputs("],\"tasks\":[", f);
	for (size_t i = 0; i < l->ntasks; i++) {
		struct an_task *t = l->tasks[i];

		fprintf(f, "%s{\"id\":%llu,\"name\":", i ? "," : "",
			(unsigned long long)t->id);
		tj_str(f, t->name);
		fprintf(f, ",\"priority\":\"%s\",\"kind\":%d,\"runs\":%llu,"
			   "\"run_total_ns\":%lld,",
			an_prio_name(t->prio), t->kind,
			(unsigned long long)t->runs, (long long)t->run_total);
		json_dist(f, "run_ns", &t->run);
		fputc(',', f);
		json_dist(f, "wait_ns", &t->wait);
		fprintf(f, ",\"checks\":%llu,\"yields\":%llu,\"overruns\":%llu,"
			   "\"overrun_runs\":%llu,\"long_runs\":%llu,"
			   "\"never_yield_runs\":%llu,\"stops\":%llu",
			(unsigned long long)t->checks,
			(unsigned long long)t->yields,
			(unsigned long long)t->overruns,
			(unsigned long long)t->overrun_runs,
			(unsigned long long)t->long_runs,
			(unsigned long long)t->never_yield,
			(unsigned long long)t->stops);
		json_cpu(f, &t->cpu);
		fputc('}', f);
	}
	fputs("],\"performers\":[", f);
	for (size_t i = 0; i < l->nperfs; i++) {
		struct an_performer *p = l->perfs[i];

		fprintf(f, "%s{\"performer\":\"0x%llx\",\"posts\":%llu,"
			   "\"wakes\":%llu,\"signalled\":%llu,\"waits\":%llu,"
			   "\"fired\":%llu,\"max_backlog\":%llu,",
			i ? "," : "", (unsigned long long)p->addr,
			(unsigned long long)p->posts,
			(unsigned long long)p->wakes,
			(unsigned long long)p->signalled,
			(unsigned long long)p->waits,
			(unsigned long long)p->fired,
			(unsigned long long)p->max_backlog);
		json_dist(f, "delay_ns", &p->delay);
		fputc(',', f);
		json_dist(f, "run_ns", &p->run);
		fputc('}', f);
	}
	fputc(']', f);
	json_task_starves(f, l);
	fputc('}', f);
}

/* "flight":{...},: the saves' triggers (docs/schedprof.md). */
static void json_flight(FILE *f, const struct an_result *r)
{
	char buf[1024], name[64];
	bool mid = fm_set_mid_run(&flight, r);

	fprintf(f, "\"flight\":{\"starts_mid_run\":%s,\"note\":",
		mid ? "true" : "false");
	tj_str(f, mid ? fm_mid_run_note : fm_from_start_note);
	fputs(",\"saves\":[", f);
	for (size_t i = 0; i < flight.n; i++) {
		const struct fm_mark *m = &flight.v[i];
		const struct an_loop *l = fm_loop(m, r);
		int64_t at;

		fprintf(f, "%s{\"save\":%" PRId64 ",\"file\":", i ? "," : "",
			m->save);
		tj_str(f, m->file);
		fputs(",\"rule\":", f);
		tj_str(f, m->rule);
		fputs(",\"rules\":[", f);
		for (size_t k = 0; k < m->nrules; k++) {
			if (k)
				fputc(',', f);
			tj_str(f, m->rules[k]);
		}
		fputs("],\"saved_at\":", f);
		tj_str(f, m->saved_at);
		fprintf(f, ",\"pid\":%" PRId64 ",\"exit\":%s,\"loop\":",
			m->pid, fm_is_exit(m) ? "true" : "false");
		if (m->has_loop)
			fprintf(f, "\"0x%" PRIx64 "\"", m->loop);
		else
			fputs("null", f);
		fprintf(f, ",\"loop_in_trace\":%s", l ? "true" : "false");
		if (m->has_time) {
			fprintf(f, ",\"time_ns\":%" PRId64, m->time);
			if (fm_at(m, l, &at))
				fprintf(f, ",\"at_ns\":%" PRId64, at);
			else
				fputs(",\"at_ns\":null", f);
		} else {
			fputs(",\"time_ns\":null,\"at_ns\":null", f);
		}
		if (m->has_run) {
			fprintf(f, ",\"run\":{\"kind\":\"%s\",\"id\":%" PRIu64
				   ",\"name\":", m->kind ? "posted" : "task",
				m->id);
			if (m->kind)
				fputs("null", f);
			else
				tj_str(f, fm_task_name(l, m->id, name,
						       sizeof(name)));
			fprintf(f, ",\"priority\":\"%s\",\"run_ns\":%" PRId64
				   ",\"delay_ns\":%" PRId64 "}",
				m->prio >= 0 ? an_prio_name(m->prio) : "?",
				m->run, m->delay);
		} else {
			fputs(",\"run\":null", f);
		}
		if (m->has_waiting && m->waiting) {
			fprintf(f, ",\"waiting\":{\"id\":%" PRIu64 ",\"name\":",
				m->waiting);
			tj_str(f, fm_task_name(l, m->waiting, name,
					       sizeof(name)));
			fprintf(f, ",\"priority\":\"%s\",\"wait_ns\":%" PRId64
				   "}", an_prio_name(m->waiting_prio), m->wait);
		} else {
			fputs(",\"waiting\":null", f);
		}
		fputs(",\"discarded\":", f);
		if (m->has_discarded)
			fprintf(f, "%" PRIu64, m->discarded);
		else
			fputs("null", f);
		fputs(",\"text\":", f);
		tj_str(f, fm_line(m, r, buf, sizeof(buf)));
		fputc('}', f);
	}
	fputs("]},", f);
}

static void report_json(FILE *f, struct an_result *r, uint64_t anomalies)
{
	fprintf(f, "{\"schedprof_report\":1,\"trace_schema\":%d,"
		   "\"events\":%llu,\"complete\":%s,\"discard_reports\":%llu,"
		   "\"discarded_events\":%llu,\"anomalies\":%llu,"
		   "\"long_task_ns\":%lld,\"starve_ns\":%lld,",
		LSCHED_TRACE_SCHEMA, (unsigned long long)r->events,
		r->complete ? "true" : "false",
		(unsigned long long)r->discard_reports,
		(unsigned long long)r->discarded_events,
		(unsigned long long)anomalies, (long long)r->cfg.long_task_ns,
		(long long)r->cfg.starve_ns);
	if (flight.n)
		json_flight(f, r);
	if (fixes) {
		fputs("\"fixes\":{\"status\":", f);
		tj_str(f, fixes->status == FX_DONE ? "done"
			  : fixes->status == FX_UNFAITHFUL ? "unfaithful"
			  : fixes->status == FX_NO_ORIG ? "no-figures"
							: "no-replay");
		fputs(",\"why\":", f);
		tj_str(f, fixes->why);
		fprintf(f, ",\"loop\":\"0x%llx\",\"replays\":%zu,"
			   "\"budget_s\":%g,\"budget_out\":%s,\"wall_s\":%.3f},",
			(unsigned long long)(fix_loop ? fix_loop->addr : 0),
			fixes->replays, fixes->budget_s,
			fixes->budget_out ? "true" : "false", fixes->wall_s);
	}
	fputs("\"findings\":[", f);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct an_finding *fd = &r->findings[i];

		fprintf(f, "%s{\"severity\":\"%s\",\"kind\":\"%s\",\"loop\":",
			i ? "," : "", an_severity_name(fd->severity),
			an_kind_name(fd->kind));
		if (fd->loop)
			fprintf(f, "\"0x%llx\"", (unsigned long long)fd->loop->addr);
		else
			fputs("null", f);
		fputs(",\"culprit\":", f);
		tj_str(f, fd->culprit);
		fputs(",\"evidence\":", f);
		tj_str(f, fd->evidence);
		if (sp_fixes_of(fd)) {
			fputs(",\"fixes\":", f);
			fx_json(f, fixes, sp_fixes_of(fd));
		}
		fputc('}', f);
	}
	fputs("],\"loops\":[", f);
	for (size_t i = 0; i < r->nloops; i++) {
		if (i)
			fputc(',', f);
		json_loop(f, r->loops[i]);
	}
	fputs("]}\n", f);
}

/* ---- the command ------------------------------------------------------- */

#define REPORT_USAGE \
	"usage: schedprof report DIR... [--json] [-o OUTDIR] [--long-task MS]\n" \
	"                        [--starve MS] [--pid PID] " \
	"[--fail-on warning|error]\n" \
	"                        [--no-fixes] [--fix-budget SECONDS] " \
	"[--merge]\n"

void sp_report_help(FILE *f)
{
	fprintf(f, REPORT_USAGE
		"Reads the traces at DIR... (schedprof record's directories, "
		"or any directory\n"
		"holding LTTng traces of libsched) and prints their latency "
		"profile: per loop,\n"
		"the waits and runs per priority and per task, starvation, long "
		"runs, and the\n"
		"findings ranked, each with the fixes a replay checked.\n"
		"  --json                the report as JSON (schedprof_report 1)\n"
		"  -o, --output OUTDIR   also an HTML report with charts, "
		"OUTDIR/index.html\n"
		"  --long-task MS        a run this long is a long task "
		"(default 50)\n"
		"  --starve MS           a ready task waiting this long "
		"starves (default 100)\n"
		"  --pid PID             only that process's events\n"
		"  --fail-on warning|error  exit 3 when a finding of that "
		"severity is found\n"
		"  --no-fixes            no checked fixes under the findings\n"
		"  --fix-budget SECONDS  wall-clock time for replaying the "
		"candidate fixes\n"
		"                        (default %g)\n"
		"  --merge               read traces of several recordings "
		"together (refused\n"
		"                        without it: a directory such as /tmp "
		"may hold many)\n"
		"  -h, --help            this help\n"
		"  --version             the libsched release and the trace schema\n"
		"Exit status: 0 ok; 1 the report could not be written; 2 bad "
		"usage or bad\n"
		"input; 3 --fail-on found a finding of that severity.\n"
		"See schedprof(1) and docs/schedprof.md.\n", FX_BUDGET_DEFAULT);
}

int sp_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "long-task", required_argument, NULL, 'l' },
		{ "starve", required_argument, NULL, 's' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "pid", required_argument, NULL, 'p' },
		{ "no-fixes", no_argument, NULL, 'N' },
		{ "fix-budget", required_argument, NULL, 'B' },
		{ "merge", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct an_config cfg, fixcfg;
	const char *outdir = NULL;
	int json = 0, fail_on = -1, c, status = SP_EXIT_OK;
	struct an *a;
	struct an_result *r;
	char err[512];
	bool no_fixes = false;
	double budget = FX_BUDGET_DEFAULT;
	struct fx_result fxr;

	an_config_default(&cfg);
	optind = 1;
	/* Our own messages, "schedprof: report: ...", as export's: getopt's
	 * would start with the subcommand's name alone. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'l':
			if (!sp_parse_ms(optarg, &cfg.long_task_ns)) {
				sp_error("--long-task: '%s' is not a duration in ms",
					 optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 's':
			if (!sp_parse_ms(optarg, &cfg.starve_ns)) {
				sp_error("--starve: '%s' is not a duration in ms",
					 optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "warning"))
				fail_on = AN_WARNING;
			else if (!strcmp(optarg, "error"))
				fail_on = AN_ERROR;
			else {
				sp_error("--fail-on: '%s' is not warning or error",
					 optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'p':
			if (!tn_pid(optarg, &cfg.pid)) {
				sp_error("--pid: '%s' is not a process id", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'N':
			no_fixes = true;
			break;
		case 'B': {
			char *end;

			errno = 0;
			budget = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(budget >= 0) ||
			    budget > 3600) {
				sp_error("--fix-budget: '%s' is not a number of "
					 "seconds from 0 to 3600", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		}
		case 'M':
			cfg.merge = true;
			cfg.merge_prog = "schedprof";
			break;
		case 'h':
			sp_report_help(stdout);
			return SP_EXIT_OK;
		case 'V':
			return sp_version("report", argc, argv, optind - 1);
		case ':':
			sp_usage_error("report", "%s needs a value",
				       argv[optind - 1]);
			return SP_EXIT_USAGE;
		default:
			sp_usage_error("report", "unknown option '%s'",
				       argv[optind - 1]);
			return SP_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		sp_usage_error("report", "no trace directory given");
		return SP_EXIT_USAGE;
	}
	if (outdir && sp_html_outdir_ok(outdir, err, sizeof(err)) < 0) {
		sp_error("%s", err);
		return SP_EXIT_USAGE;
	}
	/* A save's marker first: a malformed one is bad input, as a bad
	 * trace is. */
	if (fm_find((const char *const *)argv + optind, argc - optind,
		    &flight, err, sizeof(err)) < 0) {
		sp_error("%s", err);
		return SP_EXIT_USAGE;
	}
	if (cfg.pid >= 0)
		fm_set_keep_pid(&flight, cfg.pid);
	a = an_from_traces((const char *const *)argv + optind, argc - optind,
			   &cfg, err, sizeof(err));
	if (!a) {
		sp_error("%s", err);
		fm_set_free(&flight);
		return SP_EXIT_USAGE;
	}
	r = (struct an_result *)an_finish(a);
	if (cfg.pid >= 0 && r->nloops == 0) {
		/* Not an empty report: the process asked for is not there
		 * (another pid, or it had exited before the recording). */
		sp_error("no libsched event of pid %lld in the trace",
			 (long long)cfg.pid);
		fm_set_free(&flight);
		an_free(a);
		return SP_EXIT_USAGE;
	}
	if (!no_fixes) {
		int rc;

		/* The same traces again: which were merged is said once. */
		fixcfg = cfg;
		fixcfg.merge_prog = NULL;
		rc = sp_fixes((const char *const *)argv + optind,
			      argc - optind, &fixcfg, budget, r, &fxr,
			      &fix_loop);

		if (rc < 0) {
			sp_error("out of memory");
			fm_set_free(&flight);
			an_free(a);
			return SP_EXIT_FAIL;
		}
		fixes = &fxr;
	}
	if (json)
		report_json(stdout, r, an_anomalies(a));
	else
		report_text(r, an_anomalies(a),
			    (const char *const *)argv + optind, argc - optind);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sp_error("cannot write the report: %s", strerror(errno));
		status = SP_EXIT_FAIL;
	}
	if (outdir && status == SP_EXIT_OK) {
		if (sp_html_report(r, outdir, err, sizeof(err)) < 0) {
			sp_error("%s", err);
			status = SP_EXIT_FAIL;
		} else if (!json) {
			printf("\nHTML report: %s/index.html\n", outdir);
		}
	}
	if (status == SP_EXIT_OK && fail_on >= 0)
		for (size_t i = 0; i < r->nfindings; i++)
			if ((int)r->findings[i].severity >= fail_on) {
				status = SP_EXIT_FINDING;
				break;
			}
	if (fixes)
		fx_free(&fxr);
	fixes = NULL;
	fix_loop = NULL;
	fm_set_free(&flight);
	an_free(a);
	return status;
}
