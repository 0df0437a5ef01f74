/*
 * One comparison of two sets of figures (compare.h): pairing, noise,
 * impact, and the text and JSON layouts shared by schedprof diff and
 * schedreplay.
 */
#include "compare.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "grow.h"
#include "jsonstr.h"
#include "textesc.h"

struct cmp_entry {
	char *name, *prio;
	struct cmp_figs f;
};

struct cmp_fd {
	char *severity, *kind, *subject, *evidence;
};

struct cmp_set {
	struct cmp_entry *prios, *tasks;
	size_t nprios, ntasks, cap_prios, cap_tasks;
	struct cmp_fd *findings;
	size_t nfindings, cap_findings;
	bool has_loop; /* cmp_set_has_loop() */
};

static const struct {
	const char *name, *key;
	bool ns;
} figs[CMP_NFIGS] = {
	[CMP_RUNS] = { "runs", "runs", false },
	[CMP_WAIT_P50] = { "wait p50", "wait_p50_ns", true },
	[CMP_WAIT_P99] = { "wait p99", "wait_p99_ns", true },
	[CMP_WAIT_MAX] = { "wait max", "wait_max_ns", true },
	[CMP_RUN_MAX] = { "longest run", "run_max_ns", true },
	[CMP_RUN_TOTAL] = { "time run", "run_total_ns", true },
	[CMP_LONG_RUNS] = { "long runs", "long_runs", false },
	[CMP_STARVED] = { "starved", "starved_ns", true },
	[CMP_INTERVALS] = { "starvation intervals", "starvation_intervals",
			    false },
};

/* The figures whose changes make a row's impact and --fail-on's verdict. */
static bool fig_impact(int fig)
{
	return fig == CMP_WAIT_P50 || fig == CMP_WAIT_P99 ||
	       fig == CMP_WAIT_MAX || fig == CMP_RUN_MAX || fig == CMP_STARVED;
}

static bool fig_fails(int fig)
{
	return fig == CMP_WAIT_P99 || fig == CMP_WAIT_MAX || fig == CMP_RUN_MAX;
}

void cmp_figs_set(struct cmp_figs *f, enum cmp_fig fig, int64_t v)
{
	f->v[fig] = v;
	f->have |= 1u << fig;
}

const char *cmp_fig_name(enum cmp_fig fig)
{
	return (unsigned)fig < CMP_NFIGS ? figs[fig].name : "?";
}

const char *cmp_fig_key(enum cmp_fig fig)
{
	return (unsigned)fig < CMP_NFIGS ? figs[fig].key : "?";
}

bool cmp_fig_is_ns(enum cmp_fig fig)
{
	return (unsigned)fig < CMP_NFIGS && figs[fig].ns;
}

/* ---- sides ----------------------------------------------------------------- */

struct cmp_set *cmp_set_new(void)
{
	return calloc(1, sizeof(struct cmp_set));
}

void cmp_set_free(struct cmp_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nprios; i++)
		free(s->prios[i].name);
	for (size_t i = 0; i < s->ntasks; i++) {
		free(s->tasks[i].name);
		free(s->tasks[i].prio);
	}
	for (size_t i = 0; i < s->nfindings; i++) {
		free(s->findings[i].severity);
		free(s->findings[i].kind);
		free(s->findings[i].subject);
		free(s->findings[i].evidence);
	}
	free(s->prios);
	free(s->tasks);
	free(s->findings);
	free(s);
}

/* strdup() of NULL is NULL; *ok turns false when out of memory. */
static char *dup(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

int cmp_set_prio(struct cmp_set *s, const char *prio, const struct cmp_figs *f)
{
	bool ok = true;
	char *name;

	for (size_t i = 0; i < s->nprios; i++)
		if (!strcmp(s->prios[i].name, prio)) {
			s->prios[i].f = *f;
			return 0;
		}
	if (!TG_ROOM(s->prios, s->nprios, s->cap_prios))
		return -ENOMEM;
	name = dup(prio, &ok);
	if (!ok)
		return -ENOMEM;
	s->prios[s->nprios++] = (struct cmp_entry){ name, NULL, *f };
	return 0;
}

int cmp_set_task(struct cmp_set *s, const char *name, const char *prio,
		 const struct cmp_figs *f)
{
	bool ok = true;
	struct cmp_entry e;

	if (!TG_ROOM(s->tasks, s->ntasks, s->cap_tasks))
		return -ENOMEM;
	e = (struct cmp_entry){ dup(name, &ok), dup(prio, &ok), *f };
	if (!ok) {
		free(e.name);
		free(e.prio);
		return -ENOMEM;
	}
	s->tasks[s->ntasks++] = e;
	return 0;
}

int cmp_set_finding(struct cmp_set *s, const char *severity, const char *kind,
		    const char *subject, const char *evidence)
{
	bool ok = true;
	struct cmp_fd d;

	if (!TG_ROOM(s->findings, s->nfindings, s->cap_findings))
		return -ENOMEM;
	d = (struct cmp_fd){ dup(severity, &ok), dup(kind, &ok),
			     dup(subject ? subject : "", &ok),
			     dup(evidence, &ok) };
	if (!ok) {
		free(d.severity);
		free(d.kind);
		free(d.subject);
		free(d.evidence);
		return -ENOMEM;
	}
	s->findings[s->nfindings++] = d;
	return 0;
}

void cmp_rules_default(struct cmp_rules *r)
{
	*r = (struct cmp_rules){ .noise_pct = 10, .noise_ns = 1000000,
				 .fail_pct = 10, .fail_min_ns = 1000000 };
}

/* ---- pairing ---------------------------------------------------------------- */

static bool cell_beyond(const struct cmp_cell *c, bool ns,
			const struct cmp_rules *r)
{
	int64_t d, floor = ns ? r->noise_ns : 1;

	if (!c->have_before || !c->have_after)
		return false;
	d = llabs(c->after - c->before);
	if (d == 0 || d < floor)
		return false;
	return c->before == 0 ||
	       (double)d >= r->noise_pct / 100.0 * (double)llabs(c->before);
}

static int64_t row_impact(const struct cmp_row *row)
{
	int64_t m = 0;

	for (int i = 0; i < CMP_NFIGS; i++) {
		const struct cmp_cell *c = &row->cell[i];
		int64_t d;

		if (!fig_impact(i) || !(row->have & (1u << i)))
			continue;
		if (c->have_before && c->have_after)
			d = llabs(c->after - c->before);
		else
			d = llabs(c->have_after ? c->after : c->before);
		if (d > m)
			m = d;
	}
	return m;
}

/* Fills row from b (NULL: absent before) and a (NULL: absent after). */
static bool fill_row(struct cmp_row *row, const struct cmp_entry *b,
		     const struct cmp_entry *a, const struct cmp_rules *r)
{
	bool ok = true;

	memset(row, 0, sizeof(*row));
	row->name = dup(b ? b->name : a->name, &ok);
	row->prio_before = dup(b ? b->prio : NULL, &ok);
	row->prio_after = dup(a ? a->prio : NULL, &ok);
	row->in_before = b != NULL;
	row->in_after = a != NULL;
	for (int i = 0; i < CMP_NFIGS; i++) {
		struct cmp_cell *c = &row->cell[i];

		c->have_before = b && (b->f.have & (1u << i));
		c->have_after = a && (a->f.have & (1u << i));
		c->before = c->have_before ? b->f.v[i] : 0;
		c->after = c->have_after ? a->f.v[i] : 0;
		if (c->have_before || c->have_after)
			row->have |= 1u << i;
		c->beyond_noise = cell_beyond(c, figs[i].ns, r);
		row->beyond_noise |= c->beyond_noise;
	}
	/* A row on one side only, or a task moved to another priority, is
	 * a change in itself. */
	if (!b || !a || (b->prio && a->prio && strcmp(b->prio, a->prio)))
		row->beyond_noise = true;
	row->impact_ns = row_impact(row);
	return ok;
}

static void row_free(struct cmp_row *row)
{
	free(row->name);
	free(row->prio_before);
	free(row->prio_after);
}

static int by_impact(const void *x, const void *y)
{
	const struct cmp_row *a = x, *b = y;

	if (a->beyond_noise != b->beyond_noise)
		return a->beyond_noise ? -1 : 1;
	if (a->impact_ns != b->impact_ns)
		return a->impact_ns > b->impact_ns ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The nth entry named name in v (n from 0), or NULL. */
static const struct cmp_entry *nth_named(const struct cmp_entry *v, size_t n,
					 const char *name, size_t nth)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) && nth-- == 0)
			return &v[i];
	return NULL;
}

static size_t rank_of(const struct cmp_entry *v, size_t i)
{
	size_t k = 0;

	for (size_t j = 0; j < i; j++)
		k += !strcmp(v[j].name, v[i].name);
	return k;
}

void cmp_set_has_loop(struct cmp_set *s)
{
	s->has_loop = true;
}

/* The entry x stands for on a side that had the loop and lacks it: the
 * same figures, all 0 (it ran nothing there). */
static struct cmp_entry zero_of(const struct cmp_entry *x)
{
	struct cmp_entry z = { x->name, NULL, { { 0 }, x->f.have } };

	return z;
}

/* Pairs the entries of bv and av into *rows (sorted by impact); an entry
 * one side lacks is 0 there when that side had the loop (zb, za). */
static bool pair_rows(const struct cmp_entry *bv, size_t nb, bool zb,
		      const struct cmp_entry *av, size_t na, bool za,
		      const struct cmp_rules *r, struct cmp_row **rows,
		      size_t *n)
{
	*rows = calloc(nb + na + 1, sizeof(**rows));
	*n = 0;
	if (!*rows)
		return false;
	for (size_t i = 0; i < nb; i++) {
		const struct cmp_entry *a =
			nth_named(av, na, bv[i].name, rank_of(bv, i));
		struct cmp_entry z = zero_of(&bv[i]);

		if (!fill_row(&(*rows)[(*n)++], &bv[i], a ? a : za ? &z : NULL,
			      r))
			return false;
	}
	for (size_t i = 0; i < na; i++) {
		struct cmp_entry z = zero_of(&av[i]);

		if (!nth_named(bv, nb, av[i].name, rank_of(av, i)) &&
		    !fill_row(&(*rows)[(*n)++], zb ? &z : NULL, &av[i], r))
			return false;
	}
	qsort(*rows, *n, sizeof(**rows), by_impact);
	return true;
}

/* A subject's key: without its parenthesised tail (a task's priority). */
static size_t subject_key(const struct cmp_fd *f)
{
	const char *paren = strstr(f->subject, " (");

	if (!strcmp(f->kind, "performer-backlog"))
		return 0;
	return paren ? (size_t)(paren - f->subject) : strlen(f->subject);
}

static bool same_finding(const struct cmp_fd *a, const struct cmp_fd *b)
{
	size_t ka = subject_key(a), kb = subject_key(b);

	return !strcmp(a->kind, b->kind) && ka == kb &&
	       !strncmp(a->subject, b->subject, ka);
}

static bool add_pair(struct cmp *c, enum cmp_status st, const struct cmp_fd *b,
		     const struct cmp_fd *a)
{
	const struct cmp_fd *x = a ? a : b;
	struct cmp_pair *p = &c->findings[c->nfindings++];
	bool ok = true;

	p->status = st;
	p->kind = dup(x->kind, &ok);
	p->subject = dup(x->subject, &ok);
	p->severity_before = dup(b ? b->severity : NULL, &ok);
	p->severity_after = dup(a ? a->severity : NULL, &ok);
	p->evidence_before = dup(b ? b->evidence : NULL, &ok);
	p->evidence_after = dup(a ? a->evidence : NULL, &ok);
	return ok;
}

/*
 * Pairs the findings one to one: each finding on each side is used once.
 * Exact matches first (same kind and the same whole subject: the same
 * priority, the same performer address), then the looser key
 * (same_finding()), each in the sides' order; what is left is new or gone.
 * partner[i] is the index in b of a's finding i, or SIZE_MAX.
 */
static bool pair_findings(struct cmp *c, const struct cmp_set *b,
			  const struct cmp_set *a)
{
	size_t *partner = calloc(a->nfindings + 1, sizeof(*partner));
	bool *used = calloc(b->nfindings + 1, sizeof(*used));
	bool ok = false;

	c->findings = calloc(b->nfindings + a->nfindings + 1,
			     sizeof(*c->findings));
	if (!c->findings || !partner || !used)
		goto out_free;
	for (size_t i = 0; i < a->nfindings; i++)
		partner[i] = SIZE_MAX;
	for (int loose = 0; loose < 2; loose++)
		for (size_t i = 0; i < a->nfindings; i++) {
			const struct cmp_fd *x = &a->findings[i];

			for (size_t j = 0; partner[i] == SIZE_MAX &&
					   j < b->nfindings; j++) {
				const struct cmp_fd *y = &b->findings[j];

				if (used[j] || strcmp(x->kind, y->kind))
					continue;
				if (loose ? same_finding(x, y)
					  : !strcmp(x->subject, y->subject)) {
					partner[i] = j;
					used[j] = true;
				}
			}
		}
	for (size_t i = 0; i < a->nfindings; i++)
		if (partner[i] == SIZE_MAX) {
			if (!add_pair(c, CMP_NEW, NULL, &a->findings[i]))
				goto out_free;
			c->nnew++;
		}
	for (size_t i = 0; i < a->nfindings; i++)
		if (partner[i] != SIZE_MAX) {
			if (!add_pair(c, CMP_STILL, &b->findings[partner[i]],
				      &a->findings[i]))
				goto out_free;
			c->nstill++;
		}
	for (size_t j = 0; j < b->nfindings; j++)
		if (!used[j]) {
			if (!add_pair(c, CMP_GONE, &b->findings[j], NULL))
				goto out_free;
			c->ngone++;
		}
	ok = true;
out_free:
	free(used);
	free(partner);
	return ok;
}

struct cmp *cmp_new(const struct cmp_set *before, const struct cmp_set *after,
		    const struct cmp_rules *rules)
{
	struct cmp *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (rules)
		c->rules = *rules;
	else
		cmp_rules_default(&c->rules);
	if (!pair_rows(before->prios, before->nprios, before->has_loop,
		       after->prios, after->nprios, after->has_loop, &c->rules,
		       &c->prios, &c->nprios) ||
	    !pair_rows(before->tasks, before->ntasks, before->has_loop,
		       after->tasks, after->ntasks, after->has_loop, &c->rules,
		       &c->tasks, &c->ntasks) ||
	    !pair_findings(c, before, after)) {
		cmp_free(c);
		return NULL;
	}
	for (size_t i = 0; i < c->nprios; i++)
		c->changed += c->prios[i].beyond_noise;
	for (size_t i = 0; i < c->ntasks; i++)
		c->changed += c->tasks[i].beyond_noise;
	return c;
}

void cmp_free(struct cmp *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->prios && i < c->nprios; i++)
		row_free(&c->prios[i]);
	for (size_t i = 0; c->tasks && i < c->ntasks; i++)
		row_free(&c->tasks[i]);
	for (size_t i = 0; c->findings && i < c->nfindings; i++) {
		struct cmp_pair *p = &c->findings[i];

		free(p->kind);
		free(p->subject);
		free(p->severity_before);
		free(p->severity_after);
		free(p->evidence_before);
		free(p->evidence_after);
	}
	free(c->prios);
	free(c->tasks);
	free(c->findings);
	free(c);
}

/* ---- verdicts ---------------------------------------------------------------- */

static int sev_rank(const char *s)
{
	return !s ? -1 : !strcmp(s, "error") ? 2 : !strcmp(s, "warning") ? 1 : 0;
}

static const char *fmt_ns(int64_t v, char *buf, size_t len)
{
	return an_fmt_ns(v, buf, len);
}

static bool row_worse(const struct cmp *c, const struct cmp_row *row,
		      const char *what, char *why, size_t len)
{
	for (int i = 0; i < CMP_NFIGS; i++) {
		const struct cmp_cell *x = &row->cell[i];
		char b1[32], b2[32];
		int64_t d;

		if (!fig_fails(i) || !x->have_after)
			continue;
		if (!x->have_before) {
			if (row->in_before || x->after < c->rules.fail_min_ns)
				continue;
			snprintf(why, len, "%s %s, only after: %s %s", what,
				 row->name, figs[i].name,
				 fmt_ns(x->after, b1, sizeof(b1)));
			return true;
		}
		d = x->after - x->before;
		if (d < c->rules.fail_min_ns ||
		    (double)d <= c->rules.fail_pct / 100.0 * (double)x->before)
			continue;
		snprintf(why, len, "%s %s: %s up from %s to %s", what, row->name,
			 figs[i].name, fmt_ns(x->before, b1, sizeof(b1)),
			 fmt_ns(x->after, b2, sizeof(b2)));
		return true;
	}
	return false;
}

bool cmp_worse(const struct cmp *c, char *why, size_t len)
{
	if (len)
		why[0] = '\0';
	for (size_t i = 0; i < c->nfindings; i++) {
		const struct cmp_pair *p = &c->findings[i];

		if (sev_rank(p->severity_after) == 2 &&
		    sev_rank(p->severity_before) < 2) {
			snprintf(why, len, "%s error finding: %s %s",
				 p->status == CMP_NEW ? "a new" : "now an",
				 p->kind, p->subject);
			return true;
		}
	}
	for (size_t i = 0; i < c->nprios; i++)
		if (row_worse(c, &c->prios[i], "priority", why, len))
			return true;
	for (size_t i = 0; i < c->ntasks; i++)
		if (row_worse(c, &c->tasks[i], "task", why, len))
			return true;
	return false;
}

/* ---- words ------------------------------------------------------------------- */

static const char *val_text(int64_t v, bool ns, char *buf, size_t len)
{
	if (ns)
		return fmt_ns(v, buf, len);
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

/*
 * The decimals a change from before to after needs in percent: one, more
 * where one would round to 100.0 without it being 100 (264 ms to 119 us
 * is -99.95%, not -100.0%). before is not 0.
 */
static int pct_prec(int64_t before, int64_t after)
{
	double pct = 100.0 * (double)(after - before) / (double)llabs(before);
	int prec = 1;
	char t[64];

	if (llabs(after - before) == llabs(before))
		return 1;
	for (; prec < 6; prec++) {
		snprintf(t, sizeof(t), "%.*f", prec, fabs(pct));
		if (strtod(t, NULL) != 100.0)
			break;
	}
	return prec;
}

/* "+7.5%", "-99.95%": the change in percent of before (not 0). */
static const char *pct_text(int64_t before, int64_t after, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%+.*f%%", pct_prec(before, after),
		 100.0 * (double)(after - before) / (double)llabs(before));
	return buf;
}

const char *cmp_change_text(const struct cmp_cell *cell, bool ns,
			    const struct cmp_words *w, char *buf, size_t len)
{
	char d[32], pc[32];
	int64_t diff;

	if (!cell->have_before || !cell->have_after) {
		snprintf(buf, len, "only %s",
			 cell->have_before ? (w ? w->before : "before")
					   : (w ? w->after : "after"));
		return buf;
	}
	diff = cell->after - cell->before;
	if (diff == 0) {
		snprintf(buf, len, "same");
		return buf;
	}
	val_text(llabs(diff), ns, d, sizeof(d));
	if (cell->before == 0)
		snprintf(buf, len, "+%s (from 0)", d);
	else
		snprintf(buf, len, "%c%s (%s)", diff > 0 ? '+' : '-', d,
			 pct_text(cell->before, cell->after, pc, sizeof(pc)));
	return buf;
}

/* "SUBJECT FIGURE BEFORE to AFTER (CHANGE)" of row's largest change. */
static void biggest(const struct cmp_row *row, const struct cmp_words *w,
		    char *buf, size_t len)
{
	int best = -1;
	int64_t bd = -2;
	char b1[32], b2[32], pc[32];

	if (!row->in_before || !row->in_after) {
		snprintf(buf, len, "%s only %s", row->name,
			 row->in_before ? w->before : w->after);
		return;
	}
	for (int i = 0; i < CMP_NFIGS; i++) {
		const struct cmp_cell *c = &row->cell[i];
		int64_t d = llabs(c->after - c->before);

		if (!c->beyond_noise)
			continue;
		/* A time's change outranks a count's. */
		if (!figs[i].ns)
			d = -1;
		if (d > bd) {
			bd = d;
			best = i;
		}
	}
	if (best < 0) {
		if (row->prio_before && row->prio_after)
			snprintf(buf, len, "%s priority %s to %s", row->name,
				 row->prio_before, row->prio_after);
		else
			snprintf(buf, len, "%s", row->name);
		return;
	}
	if (row->cell[best].before == 0) {
		snprintf(buf, len, "%s %s 0 to %s", row->name, figs[best].name,
			 val_text(row->cell[best].after, figs[best].ns, b2,
				  sizeof(b2)));
		return;
	}
	snprintf(buf, len, "%s %s %s to %s (%s)", row->name,
		 figs[best].name,
		 val_text(row->cell[best].before, figs[best].ns, b1, sizeof(b1)),
		 val_text(row->cell[best].after, figs[best].ns, b2, sizeof(b2)),
		 pct_text(row->cell[best].before, row->cell[best].after, pc,
			  sizeof(pc)));
}

static const struct cmp_words default_words = { "before", "after" };

const char *cmp_summary(const struct cmp *c, const struct cmp_words *w,
			char *buf, size_t len)
{
	size_t o = 0, shown = 0;
	const struct cmp_row *named[2] = { NULL, NULL }; /* tasks named */
	char one[256];

#define PUT(...)                                                               \
	do {                                                                   \
		if (o < len)                                                   \
			o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__);  \
	} while (0)
	if (!w)
		w = &default_words;
	if (len)
		buf[0] = '\0';
	if (!c->changed && !c->nnew && !c->ngone) {
		PUT("nothing changed beyond noise");
		if (c->nstill)
			PUT("; %zu finding%s still there", c->nstill,
			    c->nstill == 1 ? "" : "s");
		return buf;
	}
	{
		size_t np = 0, nt = 0;

		for (size_t i = 0; i < c->nprios; i++)
			np += c->prios[i].beyond_noise;
		for (size_t i = 0; i < c->ntasks; i++)
			nt += c->tasks[i].beyond_noise;
		if (np)
			PUT("%zu priorit%s", np, np == 1 ? "y" : "ies");
		if (nt)
			PUT("%s%zu task%s", np ? " and " : "", nt,
			    nt == 1 ? "" : "s");
		if (np || nt)
			PUT(" changed beyond noise");
		else
			PUT("no figure changed beyond noise");
	}
	/* The largest: the first row of each table, then the second. */
	for (size_t k = 0; k < 2 && shown < 2; k++) {
		if (k < c->nprios && c->prios[k].beyond_noise && shown < 2) {
			biggest(&c->prios[k], w, one, sizeof(one));
			PUT("%s%s", shown++ ? "; " : ": ", one);
		}
		if (k < c->ntasks && c->tasks[k].beyond_noise && shown < 2) {
			named[k] = &c->tasks[k];
			biggest(&c->tasks[k], w, one, sizeof(one));
			PUT("%s%s", shown++ ? "; " : ": ", one);
		}
	}
	/* And the longest run that grew most, where the waits usually come
	 * from, unless that task is named already (the row itself: a name
	 * inside another's, "edit" in "editor", is another task). */
	{
		const struct cmp_row *top = NULL;
		int64_t td = 0;

		for (size_t i = 0; i < c->ntasks; i++) {
			const struct cmp_cell *x = &c->tasks[i].cell[CMP_RUN_MAX];

			if (x->beyond_noise && x->after - x->before > td) {
				td = x->after - x->before;
				top = &c->tasks[i];
			}
		}
		if (top && top != named[0] && top != named[1]) {
			const struct cmp_cell *x = &top->cell[CMP_RUN_MAX];
			char b1[32], b2[32];

			PUT("; %s longest run %s to %s", top->name,
			    fmt_ns(x->before, b1, sizeof(b1)),
			    fmt_ns(x->after, b2, sizeof(b2)));
			if (x->before)
				PUT(" (%s)", pct_text(x->before, x->after, b1,
						      sizeof(b1)));
		}
	}
	PUT("; findings: %zu new, %zu still there, %zu gone", c->nnew,
	    c->nstill, c->ngone);
#undef PUT
	return buf;
}

/* ---- text -------------------------------------------------------------------- */

/* The name column: "  " then s escaped, in NAME_COLS columns (counted in
 * characters, not bytes), cut with "…" when longer, then a space. */
#define NAME_COLS 28
static void put_name(FILE *f, const char *in, const char *s)
{
	const char *e = tx_esc(s);
	size_t cols = 0, cut = 0, i;

	for (i = 0; e[i]; i++)
		if (((unsigned char)e[i] & 0xc0) != 0x80 &&
		    ++cols == NAME_COLS)
			cut = i;
	fprintf(f, "%s  ", in);
	if (cols > NAME_COLS) {
		/* The first NAME_COLS - 1 characters, then the ellipsis. */
		fprintf(f, "%.*s\u2026 ", (int)cut, e);
		return;
	}
	fprintf(f, "%s%*s ", e, (int)(NAME_COLS - cols), "");
}

static void text_rows(FILE *f, const char *title, const struct cmp_row *rows,
		      size_t n, const struct cmp_words *w, const char *in)
{
	size_t quiet = 0;
	bool head = false;

	for (size_t i = 0; i < n; i++) {
		const struct cmp_row *r = &rows[i];
		bool first = true;

		if (!r->beyond_noise) {
			quiet++;
			continue;
		}
		if (!head) {
			fprintf(f, "\n%s%s, by impact\n%s  %-28s %-20s %12s %12s  %s\n",
				in, title, in, "", "", w->before, w->after, "change");
			head = true;
		}
		if (r->prio_before && r->prio_after &&
		    strcmp(r->prio_before, r->prio_after)) {
			put_name(f, in, r->name);
			fprintf(f, "%-20s %12s %12s  %s\n", "priority",
				tx_esc(r->prio_before), tx_esc(r->prio_after),
				"moved");
			first = false;
		}
		for (int k = 0; k < CMP_NFIGS; k++) {
			const struct cmp_cell *c = &r->cell[k];
			char b1[32], b2[32], ch[64], label[128];

			if (!(r->have & (1u << k)))
				continue;
			/* Within noise: not shown. A row on one side only
			 * shows its runs, waits, longest run and starvation,
			 * long runs and starvation (time and intervals alike)
			 * only when not 0. */
			if (r->in_before && r->in_after && !c->beyond_noise)
				continue;
			if ((!r->in_before || !r->in_after) &&
			    (k == CMP_WAIT_P50 || k == CMP_RUN_TOTAL ||
			     ((k == CMP_LONG_RUNS || k == CMP_INTERVALS ||
			       k == CMP_STARVED) &&
			      !c->before && !c->after)))
				continue;
			if (first) {
				if (r->prio_after || r->prio_before)
					snprintf(label, sizeof(label), "%s (%s)",
						 r->name,
						 r->prio_after ? r->prio_after
							       : r->prio_before);
				else
					snprintf(label, sizeof(label), "%s",
						 r->name);
			} else {
				label[0] = '\0';
			}
			put_name(f, in, label);
			fprintf(f, "%-20s %12s %12s  %s\n", figs[k].name,
				c->have_before ? val_text(c->before, figs[k].ns, b1, sizeof(b1)) : "-",
				c->have_after ? val_text(c->after, figs[k].ns, b2, sizeof(b2)) : "-",
				cmp_change_text(c, figs[k].ns, w, ch, sizeof(ch)));
			first = false;
		}
	}
	if (!quiet)
		return;
	fprintf(f, "%s%s%s within noise (%zu):", head ? "" : "\n", in, title,
		quiet);
	for (size_t i = 0, k = 0; i < n; i++)
		if (!rows[i].beyond_noise)
			fprintf(f, "%s%s", k++ ? ", " : " ", tx_esc(rows[i].name));
	fputc('\n', f);
}

static void text_findings(FILE *f, const struct cmp *c,
			  const struct cmp_words *w, const char *in)
{
	static const char *const st[] = { "gone", "new", "still there" };

	if (!c->nfindings) {
		fprintf(f, "\n%sfindings: none, %s or %s\n", in, w->before,
			w->after);
		return;
	}
	fprintf(f, "\n%sfindings: %zu new, %zu still there, %zu gone\n", in,
		c->nnew, c->nstill, c->ngone);
	for (size_t i = 0; i < c->nfindings; i++) {
		const struct cmp_pair *p = &c->findings[i];
		char sev[64];

		if (p->status == CMP_STILL &&
		    strcmp(p->severity_before, p->severity_after))
			snprintf(sev, sizeof(sev), "%s, %s: %s", p->severity_after,
				 w->before, p->severity_before);
		else
			snprintf(sev, sizeof(sev), "%s",
				 p->severity_after ? p->severity_after
						   : p->severity_before);
		fprintf(f, "%s  %-11s %-24s %-18s %s\n", in, st[p->status],
			tx_esc(sev), tx_esc(p->kind), tx_esc(p->subject));
		if (p->evidence_before && p->evidence_after &&
		    !strcmp(p->evidence_before, p->evidence_after)) {
			fprintf(f, "%s      %s and %s: %s\n", in, w->before,
				w->after, tx_esc(p->evidence_after));
			continue;
		}
		if (p->evidence_before)
			fprintf(f, "%s      %s: %s\n", in, w->before,
				tx_esc(p->evidence_before));
		if (p->evidence_after)
			fprintf(f, "%s      %s: %s\n", in, w->after,
				tx_esc(p->evidence_after));
	}
}

void cmp_text(FILE *f, const struct cmp *c, const struct cmp_words *w,
	      const char *indent)
{
	char sum[1024];

	if (!w)
		w = &default_words;
	/* Names come from the program (and a report's JSON): escaped. */
	fprintf(f, "%ssummary: ", indent);
	tx_fputs(f, cmp_summary(c, w, sum, sizeof(sum)));
	fputc('\n', f);
	text_rows(f, "per priority", c->prios, c->nprios, w, indent);
	text_rows(f, "per task", c->tasks, c->ntasks, w, indent);
	text_findings(f, c, w, indent);
}

/* ---- JSON -------------------------------------------------------------------- */

static void json_str_or_null(FILE *f, const char *s)
{
	if (s)
		tj_str(f, s);
	else
		fputs("null", f);
}

static void json_rows(FILE *f, const char *key, const struct cmp_row *rows,
		      size_t n, bool tasks)
{
	fprintf(f, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		const struct cmp_row *r = &rows[i];
		bool first = true;

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		tj_str(f, r->name);
		if (tasks) {
			fputs(",\"priority_before\":", f);
			json_str_or_null(f, r->prio_before);
			fputs(",\"priority_after\":", f);
			json_str_or_null(f, r->prio_after);
		}
		fprintf(f, ",\"in_before\":%s,\"in_after\":%s,"
			   "\"beyond_noise\":%s,\"impact_ns\":%" PRId64
			   ",\"figures\":{",
			r->in_before ? "true" : "false",
			r->in_after ? "true" : "false",
			r->beyond_noise ? "true" : "false", r->impact_ns);
		for (int k = 0; k < CMP_NFIGS; k++) {
			const struct cmp_cell *c = &r->cell[k];

			if (!(r->have & (1u << k)))
				continue;
			fprintf(f, "%s\"%s\":{\"before\":", first ? "" : ",",
				figs[k].key);
			first = false;
			if (c->have_before)
				fprintf(f, "%" PRId64, c->before);
			else
				fputs("null", f);
			fputs(",\"after\":", f);
			if (c->have_after)
				fprintf(f, "%" PRId64, c->after);
			else
				fputs("null", f);
			if (c->have_before && c->have_after) {
				fprintf(f, ",\"change\":%" PRId64 ",\"change_pct\":",
					c->after - c->before);
				if (c->before)
					fprintf(f, "%.*f",
						pct_prec(c->before, c->after),
						100.0 * (double)(c->after - c->before) /
							(double)llabs(c->before));
				else
					fputs("null", f);
			} else {
				fputs(",\"change\":null,\"change_pct\":null", f);
			}
			fprintf(f, ",\"beyond_noise\":%s}",
				c->beyond_noise ? "true" : "false");
		}
		fputs("}}", f);
	}
	fputc(']', f);
}

void cmp_json(FILE *f, const struct cmp *c, const struct cmp_words *w)
{
	static const char *const st[] = { "gone", "new", "still there" };
	char sum[1024], why[512];
	bool worse = cmp_worse(c, why, sizeof(why));

	fputs("{\"summary\":", f);
	tj_str(f, cmp_summary(c, w, sum, sizeof(sum)));
	fprintf(f, ",\"changed\":%zu,\"worse\":%s,\"worse_why\":", c->changed,
		worse ? "true" : "false");
	json_str_or_null(f, worse ? why : NULL);
	fprintf(f, ",\"rules\":{\"noise_pct\":%g,\"noise_ns\":%" PRId64
		   ",\"fail_pct\":%g,\"fail_min_ns\":%" PRId64 "}",
		c->rules.noise_pct, c->rules.noise_ns, c->rules.fail_pct,
		c->rules.fail_min_ns);
	fprintf(f, ",\"findings_new\":%zu,\"findings_gone\":%zu,"
		   "\"findings_still\":%zu,\"findings\":[",
		c->nnew, c->ngone, c->nstill);
	for (size_t i = 0; i < c->nfindings; i++) {
		const struct cmp_pair *p = &c->findings[i];

		fprintf(f, "%s{\"status\":\"%s\",\"kind\":", i ? "," : "",
			st[p->status]);
		tj_str(f, p->kind);
		fputs(",\"subject\":", f);
		tj_str(f, p->subject);
		fputs(",\"severity_before\":", f);
		json_str_or_null(f, p->severity_before);
		fputs(",\"severity_after\":", f);
		json_str_or_null(f, p->severity_after);
		fputs(",\"evidence_before\":", f);
		json_str_or_null(f, p->evidence_before);
		fputs(",\"evidence_after\":", f);
		json_str_or_null(f, p->evidence_after);
		fputc('}', f);
	}
	fputc(']', f);
	json_rows(f, "priorities", c->prios, c->nprios, false);
	json_rows(f, "tasks", c->tasks, c->ntasks, true);
	fputc('}', f);
}
