/*
 * The workload model and its text file format (see workload.h and
 * docs/schedreplay.md). The parser takes any bytes: every record is read
 * into fields with explicit bounds, every number is range-checked before
 * use, and the whole workload is checked once read (ids, references,
 * offsets, cycles), so that the replay can trust what it gets.
 */
#include "grow.h"
#include "workload.h"
#include "words.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- strings (arrays grow through grow.h) -------------------------------- */

/* A copy of s (len bytes) owned by w; NULL when out of memory. Names
 * repeat (a post's name, thousands of times): the last few are reused. */
static const char *wl_str(struct wl_workload *w, const char *s, size_t len)
{
	char *c;

	for (size_t i = w->nstrs, k = 0; i > 0 && k < 16; i--, k++)
		if (strlen(w->strs[i - 1]) == len &&
		    !memcmp(w->strs[i - 1], s, len))
			return w->strs[i - 1];
	if (!TG_ROOM(w->strs, w->nstrs, w->capstrs))
		return NULL;
	c = malloc(len + 1);
	if (!c)
		return NULL;
	memcpy(c, s, len);
	c[len] = '\0';
	w->strs[w->nstrs++] = c;
	return c;
}

/* ---- names ------------------------------------------------------------- */

static const char *const kind_names[] = { "idle", "auto-idle", "timer",
					  "auto-timer" };
static const char *const verdict_names[] = { "continue", "slice-used",
					     "input-pending" };
static const char *const prio_names[WL_PRIOS] = {
	"HIGHEST", "DEFAULT", "HIGH_IDLE", "RESIZE",
	"REPAINT", "POST_PAINT", "DEFAULT_IDLE", "LOWEST",
};

const char *wl_kind_name(enum wl_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "?";
}

const char *wl_verdict_name(int v)
{
	return v >= 0 && v < 3 ? verdict_names[v] : "?";
}

const char *wl_prio_name(int prio)
{
	if (prio == -1)
		return "FIRST";
	return prio >= 0 && prio < WL_PRIOS ? prio_names[prio] : "?";
}

int wl_prio_parse(const char *s)
{
	for (int p = 0; p < WL_PRIOS; p++)
		if (!strcasecmp(s, prio_names[p]))
			return p;
	if (s[0] >= '0' && s[0] <= '7' && !s[1])
		return s[0] - '0';
	return -1;
}

/* ---- the model --------------------------------------------------------- */

/* The slot of id in an index of cap (a power of two) slots. */
static size_t tidx_slot(uint64_t id, size_t cap)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static void tidx_put(struct wl_workload *w, size_t i)
{
	size_t s = tidx_slot(w->tasks[i].id, w->tidx_cap);

	while (w->tidx[s])
		s = (s + 1) & (w->tidx_cap - 1);
	w->tidx[s] = (uint32_t)i + 1;
}

/* Brings the index up to date with w's tasks: extended when tasks were
 * appended in place, rebuilt when the array moved or shrank (a workload
 * being built grows its array; the extraction compacts it). False when
 * out of memory or too many tasks: then lookups search linearly. */
static bool tidx_sync(struct wl_workload *w)
{
	if (w->tidx && w->tidx_of == w->tasks && w->tidx_n == w->ntasks)
		return true;
	if (w->ntasks > UINT32_MAX / 4)
		return false;
	if (!w->tidx || w->tidx_of != w->tasks || w->tidx_n > w->ntasks ||
	    w->ntasks * 2 > w->tidx_cap) {
		size_t cap = 64;
		uint32_t *t;

		while (cap < w->ntasks * 2)
			cap *= 2;
		t = calloc(cap, sizeof(*t));
		if (!t)
			return false;
		free(w->tidx);
		w->tidx = t;
		w->tidx_cap = cap;
		w->tidx_n = 0;
		w->tidx_of = w->tasks;
	}
	for (; w->tidx_n < w->ntasks; w->tidx_n++)
		tidx_put(w, w->tidx_n);
	return true;
}

const struct wl_task *wl_task_find(const struct wl_workload *cw, uint64_t id)
{
	/* The index is a cache: building it does not change the workload. */
	struct wl_workload *w = (struct wl_workload *)cw;

	if (!w->ntasks)
		return NULL;
	if (!tidx_sync(w)) {
		for (size_t i = 0; i < w->ntasks; i++)
			if (w->tasks[i].id == id)
				return &w->tasks[i];
		return NULL;
	}
	for (size_t s = tidx_slot(id, w->tidx_cap); w->tidx[s];
	     s = (s + 1) & (w->tidx_cap - 1))
		if (w->tasks[w->tidx[s] - 1].id == id)
			return &w->tasks[w->tidx[s] - 1];
	return NULL;
}

size_t wl_run_count(const struct wl_workload *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->ntasks; i++)
		n += w->tasks[i].nruns;
	return n;
}

void wl_free(struct wl_workload *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->ntasks; i++) {
		for (size_t r = 0; r < w->tasks[i].nruns; r++)
			free(w->tasks[i].runs[r].steps);
		free(w->tasks[i].runs);
	}
	for (size_t i = 0; i < w->nposts; i++)
		free(w->posts[i].steps);
	for (size_t i = 0; i < w->nstrs; i++)
		free(w->strs[i]);
	free(w->strs);
	free(w->tasks);
	free(w->posts);
	free(w->actions);
	free(w->orig_starves);
	free(w->orig_tasks);
	free(w->orig_findings);
	free(w->source);
	free(w->tidx);
	free(w);
}

/* ---- the parser -------------------------------------------------------- */

#define MAX_FIELDS 12
#define MAX_NS ((int64_t)1 << 62) /* about 146 years: room to add two */

struct field {
	const char *s; /* unescaped, NUL-terminated (in the line buffer) */
	size_t len;
};

struct parser {
	struct wl_workload *w;
	size_t line;
	char *err;
	size_t errlen;
	const char *rec;   /* the record's keyword */
	bool bad;
	/* Where "at" lines go: the last run or post. */
	struct wl_step **steps;
	size_t *nsteps, *capsteps;
	int64_t steps_duration; /* offsets must not pass it */
	int64_t last_at;
	bool have_span;
};

static void perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->bad)
		return;
	p->bad = true;
	n = snprintf(p->err, p->errlen, "line %zu: ", p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A field's text for a message: at most 40 bytes, non-printable bytes as
 * \xHH. */
static const char *shown(const struct field *f, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < f->len && o + 5 < len; i++) {
		unsigned char c = (unsigned char)f->s[i];

		if (i == 40) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\'')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}

static void bad_field(struct parser *p, const char *name,
		      const struct field *f, const char *what)
{
	char b[200];

	perr(p, "%s: field '%s': '%s' is not %s", p->rec, name,
	     shown(f, b, sizeof(b)), what);
}

/*
 * Splits a line (NUL-terminated, modified in place) into fields separated
 * by blanks; a field in double quotes may hold blanks and the escapes \\,
 * \", \n, \t and \xHH. Returns the count, or -1 after an error.
 */
static int split(struct parser *p, char *line, struct field *f, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			return n;
		if (n == max) {
			perr(p, "%s: too many fields (at most %d)", f[0].s, max);
			return -1;
		}
		if (*s == '"') {
			char *o = ++s, *start = s;

			for (;;) {
				if (!*s) {
					perr(p, "a quoted string is not closed");
					return -1;
				}
				if (*s == '"')
					break;
				if (*s == '\\') {
					int hi, lo;

					s++;
					switch (*s) {
					case '\\': *o++ = '\\'; break;
					case '"': *o++ = '"'; break;
					case 'n': *o++ = '\n'; break;
					case 't': *o++ = '\t'; break;
					case 'x':
#define HEX(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : -1)
						hi = s[1] ? HEX(s[1]) : -1;
						lo = hi >= 0 && s[2] ? HEX(s[2]) : -1;
#undef HEX
						if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
							perr(p, "bad escape \\x in a quoted string (two hex digits, not 00)");
							return -1;
						}
						*o++ = (char)(hi * 16 + lo);
						s += 2;
						break;
					default:
						perr(p, "unknown escape in a quoted string (\\\\, \\\", \\n, \\t, \\xHH)");
						return -1;
					}
					s++;
					continue;
				}
				*o++ = *s++;
			}
			s++; /* the closing quote */
			if (*s && *s != ' ' && *s != '\t') {
				perr(p, "a quoted string must be followed by a blank");
				return -1;
			}
			f[n].s = start;
			f[n].len = (size_t)(o - start);
			if (*s)
				s++;
			*o = '\0';
			n++;
			continue;
		}
		f[n].s = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		f[n].len = (size_t)(s - f[n].s);
		if (*s)
			*s++ = '\0';
		n++;
	}
}

/* Where a run ends: begin and duration are each at most 2^62, so their
 * sum can be 2^63, one past INT64_MAX; it stops there. */
static int64_t run_end(const struct wl_run *r)
{
	int64_t e;

	return __builtin_add_overflow(r->begin, r->duration, &e) ? INT64_MAX : e;
}

/* A decimal integer in [min, max]. */
static bool num(struct parser *p, const struct field *f, const char *name,
		int64_t min, int64_t max, int64_t *v)
{
	const char *s = f->s;
	bool neg = false;
	uint64_t acc = 0;
	char what[96];

	/* A minus sign only where the field may be negative ("span -0" is
	 * refused as "+5" is); digits only otherwise. */
	if (*s == '-' && min < 0) {
		neg = true;
		s++;
	}
	if (!*s)
		goto bad;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || acc > (UINT64_MAX - 9) / 10)
			goto bad;
		acc = acc * 10 + (uint64_t)(*s - '0');
	}
	if (acc > (uint64_t)INT64_MAX)
		goto bad;
	*v = neg ? -(int64_t)acc : (int64_t)acc;
	if (*v < min || *v > max)
		goto bad;
	return true;
bad:
	if (min == 0 && max >= MAX_NS)
		snprintf(what, sizeof(what), "a number of ns (0 to 2^62)");
	else
		snprintf(what, sizeof(what), "an integer from %lld to %lld",
			 (long long)min, (long long)max);
	bad_field(p, name, f, what);
	return false;
}

static bool ns(struct parser *p, const struct field *f, const char *name,
	       int64_t *v)
{
	return num(p, f, name, 0, MAX_NS, v);
}

static bool task_id(struct parser *p, const struct field *f,
		    const char *name, uint64_t *id)
{
	int64_t v;

	if (!num(p, f, name, 1, INT64_MAX, &v))
		return false;
	*id = (uint64_t)v;
	return true;
}

static bool prio(struct parser *p, const struct field *f, const char *name,
		 int *v)
{
	*v = wl_prio_parse(f->s);
	if (*v < 0)
		bad_field(p, name, f, "a priority (HIGHEST, DEFAULT, HIGH_IDLE, "
			  "RESIZE, REPAINT, POST_PAINT, DEFAULT_IDLE, LOWEST or 0-7)");
	return *v >= 0;
}

static bool word(struct parser *p, const struct field *f, const char *name,
		 const char *const *words, int nwords, const char *what,
		 int *v)
{
	for (int i = 0; i < nwords; i++)
		if (!strcmp(f->s, words[i])) {
			*v = i;
			return true;
		}
	bad_field(p, name, f, what);
	return false;
}

static bool name_field(struct parser *p, const struct field *f,
		       const char *name, bool empty_ok, const char **out)
{
	/* No length limit: a trace holds names of any length, and what
	 * --save writes must read back. The file's size bounds them. */
	if ((!empty_ok && !f->len) || memchr(f->s, '\0', f->len)) {
		bad_field(p, name, f, empty_ok ? "a name without NUL bytes"
					       : "a name (1 byte or more)");
		return false;
	}
	*out = wl_str(p->w, f->s, f->len);
	if (!*out)
		perr(p, "out of memory");
	return *out != NULL;
}

/* A line of text for people (a finding's evidence): at most 1023 bytes,
 * no NUL. */
static bool text_field(struct parser *p, const struct field *f,
		       const char *name, const char **out)
{
	if (memchr(f->s, '\0', f->len) || f->len > 1023) {
		bad_field(p, name, f, "a text of at most 1023 bytes");
		return false;
	}
	*out = wl_str(p->w, f->s, f->len);
	if (!*out)
		perr(p, "out of memory");
	return *out != NULL;
}

static bool nfields(struct parser *p, int n, int want, const char *form)
{
	if (n == want)
		return true;
	perr(p, "%s: %d %s, expected %d: %s", p->rec, n - 1,
	     tw_noun((unsigned)(n - 1), "field", "fields"), want - 1, form);
	return false;
}

static struct wl_step *new_step(struct parser *p, struct wl_step **steps,
				size_t *n, size_t *cap)
{
	struct wl_step *s;

	if (!TG_ROOM(*steps, *n, *cap)) {
		perr(p, "out of memory");
		return NULL;
	}
	s = &(*steps)[(*n)++];
	memset(s, 0, sizeof(*s));
	s->line = p->line;
	return s;
}

/* The action of a step (after "at OFFSET", or after "TIME" at the top
 * level): f[0] is its keyword. top: outside any run or post. */
static bool action(struct parser *p, struct field *f, int n, struct wl_step *s,
		   bool top)
{
	static const char *const forms[] = {
		[WL_CHECK] = "check VERDICT SLICE_NS",
		[WL_START] = "start TASK TIMEOUT_NS RUN",
		[WL_RESTART] = "restart TASK TIMEOUT_NS RUN",
		[WL_STOP] = "stop TASK",
		[WL_PRIO] = "prio TASK PRIORITY",
		[WL_MAX_WAIT] = "max-wait TASK NS",
		[WL_COMMAND] = "command DURATION_NS NAME",
		[WL_BUILD] = "build REASON DURATION_NS",
		[WL_STALL] = "stall DURATION_NS",
		[WL_NOW] = "now",
	};
	static const char *const ops[] = {
		[WL_CHECK] = "check", [WL_START] = "start",
		[WL_RESTART] = "restart", [WL_STOP] = "stop",
		[WL_PRIO] = "prio", [WL_MAX_WAIT] = "max-wait",
		[WL_COMMAND] = "command", [WL_BUILD] = "build",
		[WL_STALL] = "stall", [WL_NOW] = "now",
	};
	static const int want[] = {
		[WL_CHECK] = 3, [WL_START] = 4, [WL_RESTART] = 4, [WL_STOP] = 2,
		[WL_PRIO] = 3,
		[WL_MAX_WAIT] = 3, [WL_COMMAND] = 3, [WL_BUILD] = 3,
		[WL_STALL] = 2, [WL_NOW] = 1,
	};
	static const char *const reasons[] = { "latency", "forced" };
	char form[64];
	int op = -1;

	for (int i = 0; i < (int)(sizeof(ops) / sizeof(*ops)); i++)
		if (!strcmp(f[0].s, ops[i]))
			op = i;
	if (op < 0 || (top && op != WL_START && op != WL_RESTART && op != WL_STOP &&
		       op != WL_PRIO && op != WL_MAX_WAIT && op != WL_STALL) ||
	    (!top && op == WL_STALL)) {
		bad_field(p, "action", &f[0],
			  top ? "an action (start, restart, stop, prio, max-wait, "
				"stall)"
			      : "an action (check, start, restart, stop, prio, "
				"max-wait, command, build, now)");
		return false;
	}
	s->op = (enum wl_op)op;
	snprintf(form, sizeof(form), "%s", forms[op]);
	if (n != want[op]) {
		if (top)
			perr(p, "%s: %d %s after the time, expected %d: "
				"%s TIME_NS%s",
			     ops[op], n - 1,
			     tw_noun((unsigned)(n - 1), "field", "fields"),
			     want[op] - 1,
			     ops[op], form + strlen(ops[op]));
		else
			perr(p, "at %s: %d %s after the action, expected "
				"%d: %s",
			     ops[op], n - 1,
			     tw_noun((unsigned)(n - 1), "field", "fields"),
			     want[op] - 1,
			     form);
		return false;
	}
	switch (s->op) {
	case WL_CHECK:
		return word(p, &f[1], "verdict", verdict_names, 3,
			    "a verdict (continue, slice-used, input-pending)",
			    &s->verdict) &&
		       num(p, &f[2], "slice", 1, MAX_NS, &s->value);
	case WL_START:
	case WL_RESTART: {
		int64_t run;

		if (!task_id(p, &f[1], "task", &s->task) ||
		    !ns(p, &f[2], "timeout", &s->value) ||
		    !num(p, &f[3], "run", 0, INT64_MAX, &run))
			return false;
		s->run = (uint64_t)run;
		return true;
	}
	case WL_STOP:
		return task_id(p, &f[1], "task", &s->task);
	case WL_PRIO: {
		int v;

		if (!task_id(p, &f[1], "task", &s->task) ||
		    !prio(p, &f[2], "priority", &v))
			return false;
		s->value = v;
		return true;
	}
	case WL_MAX_WAIT:
		return task_id(p, &f[1], "task", &s->task) &&
		       ns(p, &f[2], "max_wait", &s->value);
	case WL_COMMAND:
		return ns(p, &f[1], "duration", &s->value) &&
		       name_field(p, &f[2], "name", true, &s->name);
	case WL_BUILD:
		return word(p, &f[1], "reason", reasons, 2,
			    "a build reason (latency, forced)", &s->verdict) &&
		       ns(p, &f[2], "duration", &s->value);
	case WL_STALL:
		return ns(p, &f[1], "duration", &s->value);
	case WL_NOW:
		return true;
	}
	return false;
}

static void record(struct parser *p, struct field *f, int n)
{
	struct wl_workload *w = p->w;
	const char *k = f[0].s;
	int64_t v;

	p->rec = k;
	if (!strcmp(k, "span")) {
		if (nfields(p, n, 2, "span NS") && ns(p, &f[1], "span", &w->span))
			p->have_span = true;
	} else if (!strcmp(k, "origin")) {
		if (nfields(p, n, 2, "origin NS"))
			num(p, &f[1], "origin", INT64_MIN / 2, INT64_MAX / 2,
			    &w->origin);
	} else if (!strcmp(k, "source")) {
		if (nfields(p, n, 2, "source TEXT")) {
			free(w->source);
			w->source = strndup(f[1].s, f[1].len > 1000 ? 1000 : f[1].len);
			if (!w->source)
				perr(p, "out of memory");
		}
	} else if (!strcmp(k, "task")) {
		struct wl_task *t;
		int kind;

		if (!nfields(p, n, 8, "task ID NAME PRIORITY KIND TIMEOUT_NS "
				      "MAX_WAIT_NS PARENT"))
			return;
		if (!TG_ROOM(w->tasks, w->ntasks, w->captasks)) {
			perr(p, "out of memory");
			return;
		}
		t = &w->tasks[w->ntasks];
		memset(t, 0, sizeof(*t));
		t->line = p->line;
		if (!task_id(p, &f[1], "id", &t->id) ||
		    !name_field(p, &f[2], "name", false, &t->name) ||
		    !prio(p, &f[3], "priority", &t->prio) ||
		    !word(p, &f[4], "kind", kind_names, 4,
			  "a kind (idle, auto-idle, timer, auto-timer)", &kind) ||
		    !ns(p, &f[5], "timeout", &t->timeout) ||
		    !ns(p, &f[6], "max_wait", &t->max_wait) ||
		    !num(p, &f[7], "parent", 0, INT64_MAX, &v))
			return;
		t->kind = (enum wl_kind)kind;
		t->parent = (uint64_t)v;
		if (wl_task_find(w, t->id)) {
			perr(p, "task: field 'id': task %llu is already defined",
			     (unsigned long long)t->id);
			return;
		}
		w->ntasks++;
		p->steps = NULL;
	} else if (!strcmp(k, "run")) {
		struct wl_task *t;
		struct wl_run *r;
		uint64_t id;
		int active;
		static const char *const act[] = { "inactive", "active" };

		if (!nfields(p, n, 6, "run TASK BEGIN_NS READY_NS DURATION_NS "
				      "active|inactive") ||
		    !task_id(p, &f[1], "task", &id))
			return;
		t = (struct wl_task *)wl_task_find(w, id);
		if (!t) {
			perr(p, "run: field 'task': no task %llu defined before "
				"this line", (unsigned long long)id);
			return;
		}
		if (!TG_ROOM(t->runs, t->nruns, t->capruns)) {
			perr(p, "out of memory");
			return;
		}
		r = &t->runs[t->nruns];
		memset(r, 0, sizeof(*r));
		r->line = p->line;
		if (!ns(p, &f[2], "begin", &r->begin) ||
		    !ns(p, &f[3], "ready", &r->ready_at) ||
		    !ns(p, &f[4], "duration", &r->duration) ||
		    !word(p, &f[5], "state", act, 2, "active or inactive", &active))
			return;
		if (r->ready_at > r->begin) {
			perr(p, "run: field 'ready': %lld is after the run's begin "
				"(%lld)", (long long)r->ready_at,
			     (long long)r->begin);
			return;
		}
		if (t->nruns && r->begin < run_end(&t->runs[t->nruns - 1])) {
			perr(p, "run: field 'begin': %lld is before the end of "
				"task %llu's previous run (%lld): a task's runs go "
				"in time order, one after the other",
			     (long long)r->begin, (unsigned long long)id,
			     (long long)run_end(&t->runs[t->nruns - 1]));
			return;
		}
		r->active_after = active;
		t->nruns++;
		p->steps = &r->steps;
		p->nsteps = &r->nsteps;
		p->capsteps = &r->capsteps;
		p->steps_duration = r->duration;
		p->last_at = 0;
	} else if (!strcmp(k, "post")) {
		struct wl_post *po;
		int wait, pr;
		static const char *const waits[] = { "nowait", "wait" };

		/* PERFORMER and DELAY_NS are optional (older files). */
		if (n != 10 &&
		    !nfields(p, n, 8, "post TIME_NS THREAD PRIORITY|FIRST "
				      "wait|nowait LATENCY_NS DURATION_NS NAME "
				      "[PERFORMER DELAY_NS]"))
			return;
		if (!TG_ROOM(w->posts, w->nposts, w->capposts)) {
			perr(p, "out of memory");
			return;
		}
		po = &w->posts[w->nposts];
		memset(po, 0, sizeof(*po));
		po->line = p->line;
		if (!ns(p, &f[1], "time", &po->at) ||
		    !num(p, &f[2], "thread", -1, INT64_MAX, &po->thread))
			return;
		if (!strcasecmp(f[3].s, "first"))
			pr = -1;
		else if (!prio(p, &f[3], "priority", &pr))
			return;
		if (!word(p, &f[4], "wait", waits, 2, "wait or nowait", &wait) ||
		    !ns(p, &f[5], "latency", &po->latency) ||
		    !ns(p, &f[6], "duration", &po->duration) ||
		    !name_field(p, &f[7], "name", pr < 0, &po->name))
			return;
		po->delay = -1;
		if (n == 10) {
			char *end;

			errno = 0;
			po->performer = strtoull(f[8].s, &end, 0);
			if (errno || end == f[8].s || *end || f[8].s[0] == '-') {
				perr(p, "post: field 'performer': '%s' is not an "
				     "address", f[8].s);
				return;
			}
			if (!num(p, &f[9], "delay", -1, INT64_MAX, &po->delay))
				return;
		}
		po->prio = pr;
		po->wait = wait;
		w->nposts++;
		p->steps = &po->steps;
		p->nsteps = &po->nsteps;
		p->capsteps = &po->capsteps;
		p->steps_duration = po->duration;
		p->last_at = 0;
	} else if (!strcmp(k, "at")) {
		struct wl_step *s;
		int64_t at;

		if (!p->steps) {
			perr(p, "at: not after a run or post record");
			return;
		}
		if (n < 2) {
			perr(p, "at: no offset and action: at OFFSET_NS ACTION ...");
			return;
		}
		if (!ns(p, &f[1], "offset", &at))
			return;
		if (at > p->steps_duration) {
			perr(p, "at: field 'offset': %lld is past the end of its "
				"run or post (duration %lld)",
			     (long long)at, (long long)p->steps_duration);
			return;
		}
		if (at < p->last_at) {
			perr(p, "at: field 'offset': %lld is before the previous "
				"step's (%lld): steps go in time order",
			     (long long)at, (long long)p->last_at);
			return;
		}
		if (n < 3) {
			perr(p, "at: no action after the offset");
			return;
		}
		s = new_step(p, p->steps, p->nsteps, p->capsteps);
		if (!s)
			return;
		s->at = at;
		p->last_at = at;
		if (!action(p, f + 2, n - 2, s, false))
			return;
	} else if (!strcmp(k, "start") || !strcmp(k, "restart") ||
		   !strcmp(k, "stop") ||
		   !strcmp(k, "prio") || !strcmp(k, "max-wait") ||
		   !strcmp(k, "stall")) {
		struct wl_step *s;
		int64_t at;
		struct field sub[MAX_FIELDS];

		if (n < 2) {
			perr(p, "%s: no time: %s TIME_NS TASK ...", k, k);
			return;
		}
		if (!ns(p, &f[1], "time", &at))
			return;
		/* The action is the keyword and the fields after the time. */
		sub[0] = f[0];
		for (int i = 2; i < n; i++)
			sub[i - 1] = f[i];
		s = new_step(p, &w->actions, &w->nactions, &w->capactions);
		if (!s)
			return;
		s->at = at;
		if (!action(p, sub, n - 1, s, true))
			return;
		p->steps = NULL;
	} else if (!strcmp(k, "orig-thresholds")) {
		if (nfields(p, n, 3, "orig-thresholds LONG_TASK_NS STARVE_NS") &&
		    num(p, &f[1], "long_task", 1, MAX_NS, &w->orig_long_task_ns) &&
		    num(p, &f[2], "starve", 1, MAX_NS, &w->orig_starve_ns))
			w->has_orig = true;
	} else if (!strcmp(k, "orig-posted-runs")) {
		if (nfields(p, n, 2, "orig-posted-runs N") &&
		    num(p, &f[1], "posted_runs", 0, INT64_MAX,
			&w->orig_posted_runs))
			w->has_orig = true;
	} else if (!strcmp(k, "orig-prio")) {
		struct wl_orig_prio *o;
		int pr;

		if (!nfields(p, n, 8, "orig-prio PRIORITY FIRED P50_NS P99_NS "
				      "MAX_NS STARVED_NS LONGEST_NS") ||
		    !prio(p, &f[1], "priority", &pr))
			return;
		o = &w->orig_prio[pr];
		if (num(p, &f[2], "fired", 0, INT64_MAX, &v) &&
		    ns(p, &f[3], "p50", &o->p50) && ns(p, &f[4], "p99", &o->p99) &&
		    ns(p, &f[5], "max", &o->max) &&
		    ns(p, &f[6], "starved", &o->starved_ns) &&
		    ns(p, &f[7], "longest", &o->longest_ns))
			o->fired = (uint64_t)v;
		w->has_orig = true;
	} else if (!strcmp(k, "orig-starve")) {
		struct wl_orig_starve *o;
		int open;
		static const char *const opens[] = { "closed", "open" };

		if (!nfields(p, n, 5, "orig-starve PRIORITY START_NS END_NS "
				      "closed|open"))
			return;
		if (!TG_ROOM(w->orig_starves, w->norig_starves,
			     w->caporig_starves)) {
			perr(p, "out of memory");
			return;
		}
		o = &w->orig_starves[w->norig_starves];
		if (!prio(p, &f[1], "priority", &o->prio) ||
		    !ns(p, &f[2], "start", &o->start) ||
		    !ns(p, &f[3], "end", &o->end) ||
		    !word(p, &f[4], "state", opens, 2, "closed or open", &open))
			return;
		if (o->end < o->start) {
			perr(p, "orig-starve: field 'end': before its start");
			return;
		}
		o->open_at_end = open;
		w->norig_starves++;
		w->has_orig = true;
	} else if (!strcmp(k, "orig-task")) {
		struct wl_orig_task *o;
		int64_t runs, longr;

		if (!nfields(p, n, 10, "orig-task NAME PRIORITY RUNS LONG_RUNS "
				       "P50_NS P99_NS MAX_NS RUN_MAX_NS RUN_TOTAL_NS"))
			return;
		if (!TG_ROOM(w->orig_tasks, w->norig_tasks, w->caporig_tasks)) {
			perr(p, "out of memory");
			return;
		}
		o = &w->orig_tasks[w->norig_tasks];
		memset(o, 0, sizeof(*o));
		if (!name_field(p, &f[1], "name", false, &o->name) ||
		    !prio(p, &f[2], "priority", &o->prio) ||
		    !num(p, &f[3], "runs", 0, INT64_MAX, &runs) ||
		    !num(p, &f[4], "long_runs", 0, INT64_MAX, &longr) ||
		    !ns(p, &f[5], "p50", &o->p50) || !ns(p, &f[6], "p99", &o->p99) ||
		    !ns(p, &f[7], "max", &o->max) ||
		    !ns(p, &f[8], "run_max", &o->run_max) ||
		    !ns(p, &f[9], "run_total", &o->run_total))
			return;
		o->runs = (uint64_t)runs;
		o->long_runs = (uint64_t)longr;
		w->norig_tasks++;
		w->has_orig = true;
	} else if (!strcmp(k, "orig-finding")) {
		static const char *const sevs[] = { "info", "warning", "error" };
		struct wl_orig_finding *o;
		int sev;

		if (n != 5 && !nfields(p, n, 4, "orig-finding SEVERITY KIND "
						       "CULPRIT [EVIDENCE]"))
			return;
		if (!TG_ROOM(w->orig_findings, w->norig_findings,
			     w->caporig_findings)) {
			perr(p, "out of memory");
			return;
		}
		o = &w->orig_findings[w->norig_findings];
		if (!word(p, &f[1], "severity", sevs, 3,
			  "a severity (info, warning, error)", &sev) ||
		    !name_field(p, &f[2], "kind", false, &o->kind) ||
		    !name_field(p, &f[3], "culprit", false, &o->culprit))
			return;
		o->evidence = NULL;
		if (n == 5 && !text_field(p, &f[4], "evidence", &o->evidence))
			return;
		o->severity = sevs[sev];
		w->norig_findings++;
		w->has_orig = true;
	} else {
		struct field kf = f[0];

		p->rec = "record";
		bad_field(p, "keyword", &kf,
			  "a record (span, origin, source, task, run, post, at, "
			  "start, restart, stop, prio, max-wait, stall, "
			  "orig-thresholds, orig-posted-runs, "
			  "orig-prio, orig-starve, orig-task, orig-finding)");
	}
}

static int cmp_step_at(const void *x, const void *y)
{
	const struct wl_step *a = x, *b = y;

	return a->at < b->at ? -1 : a->at > b->at;
}

static int cmp_post_at(const void *x, const void *y)
{
	const struct wl_post *a = x, *b = y;

	return a->at < b->at ? -1 : a->at > b->at;
}

/* A stable merge sort (qsort is not stable): O(n log n) whatever the
 * order, O(n) when already in order (a saved file, most extractions).
 * False when out of memory, the array untouched. */
static bool stable_sort(void *base, size_t n, size_t size,
			int (*cmp)(const void *, const void *))
{
	char *a = base, *tmp;
	size_t first_out = 1;

	while (first_out < n &&
	       cmp(a + first_out * size, a + (first_out - 1) * size) >= 0)
		first_out++;
	if (first_out >= n)
		return true;
	tmp = malloc(size * n);
	if (!tmp)
		return false;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi) {
				if (cmp(a + j * size, a + i * size) < 0)
					memcpy(tmp + k++ * size, a + j++ * size, size);
				else
					memcpy(tmp + k++ * size, a + i++ * size, size);
			}
			while (i < mid)
				memcpy(tmp + k++ * size, a + i++ * size, size);
			while (j < hi)
				memcpy(tmp + k++ * size, a + j++ * size, size);
		}
		memcpy(a, tmp, n * size);
	}
	free(tmp);
	return true;
}

bool wl_sort_by_time(struct wl_workload *w)
{
	return stable_sort(w->posts, w->nposts, sizeof(*w->posts),
			   cmp_post_at) &&
	       stable_sort(w->actions, w->nactions, sizeof(*w->actions),
			   cmp_step_at);
}

/* "line N: " for what was read from a file, "" otherwise. */
static const char *at_line(size_t line, char *buf, size_t len)
{
	if (!line)
		return "";
	snprintf(buf, len, "line %zu: ", line);
	return buf;
}

/* Every task a step names exists. */
static bool steps_ok(const struct wl_workload *w, const struct wl_step *s,
		     size_t n, const char *where, char *err, size_t errlen)
{
	char ln[32];

	for (size_t i = 0; i < n; i++)
		if ((s[i].op == WL_START || s[i].op == WL_RESTART ||
		     s[i].op == WL_STOP ||
		     s[i].op == WL_PRIO || s[i].op == WL_MAX_WAIT) &&
		    !wl_task_find(w, s[i].task)) {
			snprintf(err, errlen, "%s%s: field 'task': a step names "
					      "task %llu, which no task record "
					      "defines",
				 at_line(s[i].line, ln, sizeof(ln)), where,
				 (unsigned long long)s[i].task);
			return false;
		} else if ((s[i].op == WL_START || s[i].op == WL_RESTART) &&
			   s[i].run > wl_task_find(w, s[i].task)->nruns) {
			snprintf(err, errlen, "%s%s: field 'run': a start of task "
					      "%llu leads to its run %llu, but it "
					      "has %zu",
				 at_line(s[i].line, ln, sizeof(ln)), where,
				 (unsigned long long)s[i].task,
				 (unsigned long long)s[i].run,
				 wl_task_find(w, s[i].task)->nruns);
			return false;
		} else if (s == w->actions && s[i].at > w->span) {
			snprintf(err, errlen, "%s%s: field 'time': %lld is past the "
					      "span (%lld): the recording ended "
					      "before",
				 at_line(s[i].line, ln, sizeof(ln)), where,
				 (long long)s[i].at, (long long)w->span);
			return false;
		}
	return true;
}

/*
 * Every task's ancestors exist and do not come back to it. Each task is
 * walked up to the first ancestor already known good, then the tasks of
 * that path are marked good: every parent link is followed at most twice
 * in all (w->parent_links counts them), where walking each task's whole
 * chain was quadratic in the depth of a chain (40k tasks in one chain took
 * 18 s). The first task in file order whose chain is bad is the one named.
 */
static bool parents_ok(struct wl_workload *w, char *err, size_t errlen)
{
	enum { UNSEEN, ON_PATH, GOOD };
	unsigned char *state = calloc(w->ntasks ? w->ntasks : 1, 1);
	char ln[32];
	bool ok = true;

	w->parent_links = 0;
	if (!state) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (size_t i = 0; ok && i < w->ntasks; i++) {
		const struct wl_task *t = &w->tasks[i], *pt = t;

		if (state[i] == GOOD)
			continue;
		state[i] = ON_PATH;
		while (pt->parent) {
			uint64_t up = pt->parent;
			size_t k;

			w->parent_links++;
			pt = wl_task_find(w, up);
			if (!pt) {
				snprintf(err, errlen, "%stask %llu: field 'parent': "
						      "parent %llu is not defined",
					 at_line(t->line, ln, sizeof(ln)),
					 (unsigned long long)t->id,
					 (unsigned long long)up);
				ok = false;
				break;
			}
			k = (size_t)(pt - w->tasks);
			if (state[k] == GOOD)
				break;
			if (state[k] == ON_PATH) {
				snprintf(err, errlen, "%stask %llu: field 'parent': "
						      "its parents make a cycle",
					 at_line(t->line, ln, sizeof(ln)),
					 (unsigned long long)t->id);
				ok = false;
				break;
			}
			state[k] = ON_PATH;
		}
		/* The path is good: mark it so, up to where it met good
		 * tasks. (After an error nothing more is read.) */
		for (pt = t; ok && pt && state[pt - w->tasks] == ON_PATH;
		     pt = pt->parent ? wl_task_find(w, pt->parent) : NULL) {
			state[pt - w->tasks] = GOOD;
			w->parent_links++;
		}
	}
	free(state);
	return ok;
}

/* The whole workload, once read. */
static bool check(struct wl_workload *w, char *err, size_t errlen)
{
	char where[96], ln[32];

	/* Recorded figures mean nothing without the thresholds they were
	 * made with. */
	if (w->has_orig && (!w->orig_long_task_ns || !w->orig_starve_ns)) {
		snprintf(err, errlen, "orig-* records without an orig-thresholds "
				      "record (the thresholds of the recorded "
				      "figures)");
		return false;
	}

	for (size_t i = 0; i < w->ntasks; i++) {
		const struct wl_task *t = &w->tasks[i];

		for (size_t r = 0; r < t->nruns; r++) {
			snprintf(where, sizeof(where), "task %llu, run %zu",
				 (unsigned long long)t->id, r + 1);
			if (t->runs[r].begin > w->span) {
				snprintf(err, errlen, "%srun: field 'begin': %lld "
						      "is past the span (%lld): "
						      "the recording ended before",
					 at_line(t->runs[r].line, ln, sizeof(ln)),
					 (long long)t->runs[r].begin,
					 (long long)w->span);
				return false;
			}
			if (!steps_ok(w, t->runs[r].steps, t->runs[r].nsteps,
				      where, err, errlen))
				return false;
		}
	}
	if (!parents_ok(w, err, errlen))
		return false;
	for (size_t i = 0; i < w->nposts; i++) {
		snprintf(where, sizeof(where), "post %zu", i + 1);
		if (w->posts[i].at > w->span) {
			snprintf(err, errlen, "%spost: field 'time': %lld is past "
					      "the span (%lld): the recording "
					      "ended before",
				 at_line(w->posts[i].line, ln, sizeof(ln)),
				 (long long)w->posts[i].at, (long long)w->span);
			return false;
		}
		if (!steps_ok(w, w->posts[i].steps, w->posts[i].nsteps, where,
			      err, errlen))
			return false;
	}
	return steps_ok(w, w->actions, w->nactions, "a top-level action", err,
			errlen);
}

int wl_parse(const char *buf, size_t len, struct wl_workload **out, char *err,
	     size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	struct field f[MAX_FIELDS];
	size_t pos = 0;
	char *line = NULL;
	size_t linecap = 0;
	bool header = false;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	p.w = calloc(1, sizeof(*p.w));
	if (!p.w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p.w->orig_posted_runs = -1;
	while (pos < len && !p.bad) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		int n;

		p.line++;
		p.rec = NULL;
		if (ll + 1 > linecap) {
			char *nb = realloc(line, ll + 1);

			if (!nb) {
				perr(&p, "out of memory");
				break;
			}
			line = nb;
			linecap = ll + 1;
		}
		memcpy(line, buf + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (memchr(line, '\0', ll)) {
			perr(&p, "a NUL byte: not a text file");
			break;
		}
		n = split(&p, line, f, MAX_FIELDS);
		if (n <= 0)
			continue;
		if (!header) {
			int64_t v;

			p.rec = "header";
			if (strcmp(f[0].s, WL_MAGIC) || n != 2) {
				perr(&p, "not a libsched workload: the first record "
					 "must be '" WL_MAGIC " %d'", WL_VERSION);
				break;
			}
			if (!num(&p, &f[1], "version", 1, INT_MAX, &v))
				break;
			if (v != WL_VERSION) {
				perr(&p, "workload version %lld; this schedreplay "
					 "reads version %d",
				     (long long)v, WL_VERSION);
				break;
			}
			header = true;
			continue;
		}
		record(&p, f, n);
	}
	free(line);
	if (!p.bad && !header)
		snprintf(err, errlen, "empty: not a libsched workload (no '"
				      WL_MAGIC " %d' line)", WL_VERSION);
	else if (!p.bad && !p.have_span)
		snprintf(err, errlen, "no span record (the recording's length)");
	if (p.bad || !header || !p.have_span) {
		wl_free(p.w);
		return -1;
	}
	if (!wl_sort_by_time(p.w)) {
		snprintf(err, errlen, "out of memory");
		wl_free(p.w);
		return -1;
	}
	if (!check(p.w, err, errlen)) {
		wl_free(p.w);
		return -1;
	}
	*out = p.w;
	return 0;
}

/*
 * The whole of a workload file, in a malloc'ed buffer. Only a regular
 * file is read (its size is known before reading: /dev/zero or a pipe
 * would be read into memory without end), and at most WL_FILE_MAX bytes:
 * a larger file, or one that grows past that while read, is refused.
 */
static char *read_whole(FILE *f, const char *path, size_t *len, char *err,
			size_t errlen)
{
	struct stat st;
	size_t cap, got;
	char *buf;

	if (fstat(fileno(f), &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (a workload is "
				      "read from a file, a trace from its "
				      "directory)", path);
		return NULL;
	}
	if (st.st_size > WL_FILE_MAX) {
		snprintf(err, errlen, "%s: %lld bytes: larger than a workload "
				      "file may be (%d MiB)", path,
			 (long long)st.st_size, WL_FILE_MAX >> 20);
		return NULL;
	}
	/* One byte more than its size: a file that grew shows. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	*len = 0;
	while ((got = fread(buf + *len, 1, cap - *len, f)) > 0) {
		*len += got;
		if (*len < cap)
			continue;
		if (cap > WL_FILE_MAX) {
			snprintf(err, errlen, "%s: grew past the size a workload "
					      "file may be (%d MiB) while read",
				 path, WL_FILE_MAX >> 20);
			free(buf);
			return NULL;
		}
		char *nb = realloc(buf, cap * 2 > (size_t)WL_FILE_MAX + 1 ?
					(size_t)WL_FILE_MAX + 1 : cap * 2);

		if (!nb) {
			snprintf(err, errlen, "%s: out of memory", path);
			free(buf);
			return NULL;
		}
		buf = nb;
		cap = cap * 2 > (size_t)WL_FILE_MAX + 1 ? (size_t)WL_FILE_MAX + 1
							 : cap * 2;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	return buf;
}

int wl_load(const char *path, struct wl_workload **out, char *err,
	    size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer, before
	 * read_whole() refuses it. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
	char *buf, msg[400];
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = read_whole(f, path, &len, err, errlen);
	fclose(f);
	if (!buf)
		return -1;
	rc = wl_parse(buf, len, out, msg, sizeof(msg));
	if (rc)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(buf);
	return rc;
}

/* ---- the writer -------------------------------------------------------- */

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* An action: its keyword, the time for a top-level one, its fields. */
static void put_action(FILE *f, const struct wl_step *s, bool top)
{
	static const char *const ops[] = {
		[WL_CHECK] = "check", [WL_START] = "start",
		[WL_RESTART] = "restart", [WL_STOP] = "stop",
		[WL_PRIO] = "prio", [WL_MAX_WAIT] = "max-wait",
		[WL_COMMAND] = "command", [WL_BUILD] = "build",
		[WL_STALL] = "stall", [WL_NOW] = "now",
	};
	static const char *const reasons[] = { "latency", "forced" };

	fputs(ops[s->op], f);
	if (top)
		fprintf(f, " %lld", (long long)s->at);
	switch (s->op) {
	case WL_CHECK:
		fprintf(f, " %s %lld", wl_verdict_name(s->verdict),
			(long long)s->value);
		break;
	case WL_START:
	case WL_RESTART:
		fprintf(f, " %llu %lld %llu", (unsigned long long)s->task,
			(long long)s->value, (unsigned long long)s->run);
		break;
	case WL_STOP:
		fprintf(f, " %llu", (unsigned long long)s->task);
		break;
	case WL_PRIO:
		fprintf(f, " %llu %s", (unsigned long long)s->task,
			wl_prio_name((int)s->value));
		break;
	case WL_MAX_WAIT:
		fprintf(f, " %llu %lld", (unsigned long long)s->task,
			(long long)s->value);
		break;
	case WL_COMMAND:
		fprintf(f, " %lld ", (long long)s->value);
		put_str(f, s->name ? s->name : "");
		break;
	case WL_BUILD:
		fprintf(f, " %s %lld", reasons[s->verdict == 1],
			(long long)s->value);
		break;
	case WL_STALL:
		fprintf(f, " %lld", (long long)s->value);
		break;
	case WL_NOW:
		break;
	}
	fputc('\n', f);
}

static void put_steps(FILE *f, const struct wl_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "at %lld ", (long long)s[i].at);
		put_action(f, &s[i], false);
	}
}

int wl_write(const struct wl_workload *w, FILE *f)
{
	fprintf(f, "%s %d\n", WL_MAGIC, WL_VERSION);
	fputs("# A libsched workload: what one loop was asked to do, for "
	      "schedreplay.\n# Format: docs/schedreplay.md. Times and "
	      "durations in ns from the origin.\n", f);
	if (w->source) {
		fputs("source ", f);
		put_str(f, w->source);
		fputc('\n', f);
	}
	fprintf(f, "origin %lld\nspan %lld\n", (long long)w->origin,
		(long long)w->span);
	fputs("\n# task ID NAME PRIORITY KIND TIMEOUT MAX_WAIT PARENT\n", f);
	for (size_t i = 0; i < w->ntasks; i++) {
		const struct wl_task *t = &w->tasks[i];

		fprintf(f, "task %llu ", (unsigned long long)t->id);
		put_str(f, t->name);
		fprintf(f, " %s %s %lld %lld %llu\n", wl_prio_name(t->prio),
			wl_kind_name(t->kind), (long long)t->timeout,
			(long long)t->max_wait, (unsigned long long)t->parent);
	}
	fputs("\n# run TASK BEGIN READY DURATION active|inactive, then its "
	      "steps: at OFFSET ACTION ...\n", f);
	for (size_t i = 0; i < w->ntasks; i++) {
		const struct wl_task *t = &w->tasks[i];

		for (size_t r = 0; r < t->nruns; r++) {
			const struct wl_run *run = &t->runs[r];

			fprintf(f, "run %llu %lld %lld %lld %s\n",
				(unsigned long long)t->id, (long long)run->begin,
				(long long)run->ready_at,
				(long long)run->duration,
				run->active_after ? "active" : "inactive");
			put_steps(f, run->steps, run->nsteps);
		}
	}
	fputs("\n# post TIME THREAD PRIORITY|FIRST wait|nowait LATENCY DURATION "
	      "NAME PERFORMER DELAY, "
	      "then its steps;\n# start|restart|stop|prio|max-wait TIME TASK ..., "
	      "stall TIME DURATION: outside any run or post\n", f);
	for (size_t i = 0, a = 0; i < w->nposts || a < w->nactions;) {
		/* Merged by time, actions first on a tie. */
		if (a < w->nactions &&
		    (i == w->nposts || w->actions[a].at <= w->posts[i].at)) {
			put_action(f, &w->actions[a++], true);
			continue;
		}
		{
			const struct wl_post *po = &w->posts[i++];

			fprintf(f, "post %lld %lld %s %s %lld %lld ",
				(long long)po->at, (long long)po->thread,
				wl_prio_name(po->prio),
				po->wait ? "wait" : "nowait",
				(long long)po->latency, (long long)po->duration);
			put_str(f, po->name);
			fprintf(f, " 0x%llx %lld\n",
				(unsigned long long)po->performer,
				(long long)po->delay);
			put_steps(f, po->steps, po->nsteps);
		}
	}
	if (w->has_orig) {
		fputs("\n# The recording's figures (schedreplay compares a replay "
		      "with them):\n", f);
		fprintf(f, "orig-thresholds %lld %lld\n",
			(long long)w->orig_long_task_ns,
			(long long)w->orig_starve_ns);
		if (w->orig_posted_runs >= 0)
			fprintf(f, "orig-posted-runs %lld\n",
				(long long)w->orig_posted_runs);
		for (int p = 0; p < WL_PRIOS; p++) {
			const struct wl_orig_prio *o = &w->orig_prio[p];

			fprintf(f, "orig-prio %s %llu %lld %lld %lld %lld %lld\n",
				wl_prio_name(p), (unsigned long long)o->fired,
				(long long)o->p50, (long long)o->p99,
				(long long)o->max, (long long)o->starved_ns,
				(long long)o->longest_ns);
		}
		for (size_t i = 0; i < w->norig_starves; i++) {
			const struct wl_orig_starve *o = &w->orig_starves[i];

			fprintf(f, "orig-starve %s %lld %lld %s\n",
				wl_prio_name(o->prio), (long long)o->start,
				(long long)o->end,
				o->open_at_end ? "open" : "closed");
		}
		for (size_t i = 0; i < w->norig_tasks; i++) {
			const struct wl_orig_task *o = &w->orig_tasks[i];

			fputs("orig-task ", f);
			put_str(f, o->name);
			fprintf(f, " %s %llu %llu %lld %lld %lld %lld %lld\n",
				wl_prio_name(o->prio),
				(unsigned long long)o->runs,
				(unsigned long long)o->long_runs,
				(long long)o->p50, (long long)o->p99,
				(long long)o->max, (long long)o->run_max,
				(long long)o->run_total);
		}
		for (size_t i = 0; i < w->norig_findings; i++) {
			const struct wl_orig_finding *o = &w->orig_findings[i];

			fprintf(f, "orig-finding %s ", o->severity);
			put_str(f, o->kind);
			fputc(' ', f);
			put_str(f, o->culprit);
			if (o->evidence) {
				fputc(' ', f);
				put_str(f, o->evidence);
			}
			fputc('\n', f);
		}
	}
	return ferror(f) ? -1 : 0;
}
