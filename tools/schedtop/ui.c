/*
 * schedtop's frame cycle and interactive screen (ncurses).
 */
#include <curses.h>
#include <locale.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "schedtop.h"
#include "textesc.h"
#include "words.h"

static bool screen_on;

/* What marks a cut line: "…" where the terminal takes UTF-8, else "...". */
static const char *ellipsis = "...";
static int ellipsis_w = 3;

/* The smallest screen the layout fits: the header, 8 priorities, a few
 * tasks and alerts, and the help. */
#define ST_MIN_ROWS 24
#define ST_MIN_COLS 80

/* A crash must not leave the terminal without echo: restore it, then die
 * of the same signal. */
static void on_fatal(int sig)
{
	if (screen_on)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

bool st_screen_open(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return false;
	setlocale(LC_CTYPE, "");
	if (!initscr())
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = (int)SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	atexit(st_screen_close);
	cbreak();
	/* Esc alone (clears the filter, leaves the detail) within 50 ms. */
	set_escdelay(50);
	if (MB_CUR_MAX > 1) {
		ellipsis = "\xe2\x80\xa6";
		ellipsis_w = 1;
	}
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	screen_on = true;
	return true;
}

void st_screen_close(void)
{
	if (!screen_on)
		return;
	endwin();
	screen_on = false;
}

/* ---- drawing helpers ---------------------------------------------------- */

/* The columns text takes: a character per column (UTF-8 continuation bytes
 * take none; names are not expected to hold wide characters). */
static size_t width_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The bytes of text's first ncols columns. */
static size_t bytes_of(const char *s, size_t ncols)
{
	size_t i = 0;

	for (size_t c = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == ncols)
			break;
	}
	return i;
}

/* Draws text at row y from column 0, cut to cols with an ellipsis that
 * says so. */
static void put_line(int y, const char *text, int cols)
{
	size_t keep;

	if (width_of(text) <= (size_t)cols) {
		mvaddstr(y, 0, text);
		return;
	}
	keep = bytes_of(text, cols > ellipsis_w ? (size_t)(cols - ellipsis_w) : 0);
	mvaddnstr(y, 0, text, (int)keep);
	addstr(ellipsis);
}

/* A line made of parts, the least important dropped first (a higher rank
 * goes first; rank 0 stays) until it fits cols. */
struct seg {
	char text[96];
	int rank;
};

static void fit_segs(char *out, size_t len, struct seg *sg, int n, int cols)
{
	for (const char *sep = "  ";;) {
		size_t k = 0;
		int worst = 0, wi = -1;

		out[0] = '\0';
		for (int i = 0; i < n; i++) {
			if (!sg[i].text[0])
				continue;
			k += (size_t)snprintf(out + k, k < len ? len - k : 0, "%s%s",
					      k ? sep : "", sg[i].text);
			if (sg[i].rank > worst) {
				worst = sg[i].rank;
				wi = i;
			}
		}
		if (width_of(out) <= (size_t)cols)
			return;
		if (wi >= 0)
			sg[wi].text[0] = '\0';
		else if (sep[1])
			sep = " ";
		else
			return; /* put_line cuts it */
	}
}

/* ---- the task table's columns ------------------------------------------- */

/* The columns after TASK, dropped in the order of drop (1 first) when the
 * screen is narrow (docs/schedtop.md): RUN_MEAN, BUSY%, RUN_P99, RUNS/S. */
enum { C_PRIO, C_RUNS_S, C_BUSY, C_MEAN, C_P99, C_MAX, C_WAIT, C_OVER, C_N };
static const struct {
	const char *name;
	int width, drop;
} task_cols[C_N] = {
	[C_PRIO] = { "PRIO", 12, 0 },
	[C_RUNS_S] = { "RUNS/S", 8, 4 },
	[C_BUSY] = { "BUSY%", 6, 2 },
	[C_MEAN] = { "RUN_MEAN", 9, 1 },
	[C_P99] = { "RUN_P99", 9, 3 },
	[C_MAX] = { "RUN_MAX", 9, 0 },
	[C_WAIT] = { "WAIT_P99", 9, 0 },
	[C_OVER] = { "OVERRUNS", 8, 0 },
};
#define NAME_MIN 16
#define NAME_MAX 32

struct layout {
	bool on[C_N];
	int name_w;
};

static void task_layout(struct layout *lo, int cols)
{
	int w = 0;

	for (int c = 0; c < C_N; c++) {
		lo->on[c] = true;
		w += task_cols[c].width + 1;
	}
	for (int drop = 1; w + NAME_MIN > cols && drop <= 4; drop++)
		for (int c = 0; c < C_N; c++)
			if (task_cols[c].drop == drop) {
				lo->on[c] = false;
				w -= task_cols[c].width + 1;
			}
	lo->name_w = cols - w;
	if (lo->name_w > NAME_MAX)
		lo->name_w = NAME_MAX;
	if (lo->name_w < 4)
		lo->name_w = 4;
}

/* The name cut to width columns, with an ellipsis when cut, padded with
 * spaces to width (the ellipsis may take more bytes than columns). */
static void cut_name(char *out, size_t len, const char *name, int width)
{
	size_t n = strlen(name);

	if (n <= (size_t)width)
		snprintf(out, len, "%-*s", width, name);
	else
		snprintf(out, len, "%.*s%s", width - ellipsis_w, name, ellipsis);
}

static void task_head(char *buf, size_t len, const struct layout *lo)
{
	size_t k = (size_t)snprintf(buf, len, "%-*s", lo->name_w, "TASK");

	for (int c = 0; c < C_N && k < len; c++)
		if (lo->on[c])
			k += (size_t)snprintf(buf + k, len - k,
					      c == C_PRIO ? " %-*s" : " %*s",
					      task_cols[c].width, task_cols[c].name);
}

static void task_line(char *buf, size_t len, const struct layout *lo,
		      const struct st_frame_task *t)
{
	char v[C_N][32], name[NAME_MAX + 8];
	size_t k;

	cut_name(name, sizeof(name),
		 t->k->name[0] ? tx_esc(t->k->name) : "(unnamed)", lo->name_w);
	snprintf(v[C_PRIO], 32, "%s", st_prio_name(t->prio));
	snprintf(v[C_RUNS_S], 32, "%.1f", t->runs_s);
	snprintf(v[C_BUSY], 32, "%.1f", t->busy_pct);
	if (t->runs) {
		st_fmt_ns(t->run_mean, v[C_MEAN], 32);
		st_fmt_ns(t->run_p99, v[C_P99], 32);
		st_fmt_ns(t->run_max, v[C_MAX], 32);
		st_fmt_ns(t->wait_p99, v[C_WAIT], 32);
	} else {
		strcpy(v[C_MEAN], "-");
		strcpy(v[C_P99], "-");
		strcpy(v[C_MAX], "-");
		strcpy(v[C_WAIT], "-");
	}
	snprintf(v[C_OVER], 32, "%" PRIu64, t->overruns);
	k = (size_t)snprintf(buf, len, "%s", name);
	for (int c = 0; c < C_N && k < len; c++)
		if (lo->on[c])
			k += (size_t)snprintf(buf + k, len - k,
					      c == C_PRIO ? " %-*s" : " %*s",
					      task_cols[c].width, v[c]);
}

/* ---- filter and selection ----------------------------------------------- */

bool st_task_shown(const struct st_view *v, const struct st_frame_task *t)
{
	return !v->filter[0] ||
	       strcasestr(t->k->name[0] ? t->k->name : "(unnamed)", v->filter);
}

static const struct st_frame_loop *shown_loop(const struct st_frame *f,
					      const struct st_view *v)
{
	if (!f || !f->nloops)
		return NULL;
	return &f->loops[v->loop_sel < f->nloops ? v->loop_sel : 0];
}

/* The n-th task of l that passes the filter, NULL if none. */
static const struct st_frame_task *nth_shown(const struct st_frame_loop *l,
					     const struct st_view *v, size_t n)
{
	for (size_t i = 0; l && i < l->ntasks; i++)
		if (st_task_shown(v, &l->tasks[i]) && n-- == 0)
			return &l->tasks[i];
	return NULL;
}

static size_t count_shown(const struct st_frame_loop *l,
			  const struct st_view *v)
{
	size_t n = 0;

	for (size_t i = 0; l && i < l->ntasks; i++)
		n += st_task_shown(v, &l->tasks[i]);
	return n;
}

static bool same_task(const struct st_task_key *a, const struct st_task_key *b)
{
	return a->loop == b->loop && a->pid == b->pid && a->kind == b->kind &&
	       !strncmp(a->name, b->name, ST_NAME_LEN);
}

/* The selection on the task it names: task_sel becomes that task's row
 * among those shown; a task no longer shown leaves the row where it was,
 * clamped to the rows there are, and the selection takes that row's task.
 * Returns the selected task, NULL if no task is shown. */
static const struct st_frame_task *sync_sel(const struct st_frame_loop *l,
					    struct st_view *v)
{
	const struct st_frame_task *t;
	size_t nt = count_shown(l, v);

	if (v->sel_set)
		for (size_t i = 0, n = 0; l && i < l->ntasks; i++) {
			if (!st_task_shown(v, &l->tasks[i]))
				continue;
			if (same_task(l->tasks[i].k, &v->sel_key)) {
				v->task_sel = n;
				return &l->tasks[i];
			}
			n++;
		}
	if (v->task_sel >= nt)
		v->task_sel = nt ? nt - 1 : 0;
	t = nth_shown(l, v, v->task_sel);
	if (t) {
		v->sel_key = *t->k;
		v->sel_set = true;
	}
	return t;
}

/* Selects the row-th task shown (clamped). */
static void select_row(const struct st_frame_loop *l, struct st_view *v,
		       size_t row)
{
	v->task_sel = row;
	v->sel_set = false;
	sync_sel(l, v);
}

/* ---- the pages ---------------------------------------------------------- */

static const char *help_lines[] = {
	"schedtop keys (any key closes this page)",
	"",
	"  q            quit (live: leaves no probe attached)",
	"  s            next sort key: time, runs, max, mean, p99, wait,",
	"               overruns, name;   r  reverse the order",
	"  / or F4      filter tasks by name: type a part of it, Enter keeps",
	"               it, Esc clears it",
	"  Up, Down     select a task;  Enter or d: its detail (Esc: back)",
	"  l            next loop",
	"  p or space   pause / resume",
	"Trace mode:",
	"  n or Right   the next frame (pauses)",
	"  b or Left    the previous frame (pauses)",
	"  + / -        faster / slower (half / twice the time per frame)",
	"  g or Home    the first frame;  G or End: the last frame",
	"  a            the next frame that raised an alert",
	"  h or ?       this help",
	"",
	"READY: tasks ready now (live: '+' means at least, as seen when a",
	"task last ran). STARVING: ready with no run for --starve or longer.",
	"Percentiles: histograms with 4 buckets per power of two.",
};

static void draw_help(int rows, int cols)
{
	int n = (int)(sizeof(help_lines) / sizeof(help_lines[0]));

	for (int i = 0; i < n && i < rows; i++) {
		if (i == 0)
			attron(A_BOLD);
		put_line(i, help_lines[i], cols);
		if (i == 0)
			attroff(A_BOLD);
	}
}

static void header_line(char *line, size_t len, const struct st_frame *f,
			const struct st_view *v, int cols)
{
	struct seg sg[10];
	double runs = 0, posts = 0, cpu = -1;
	int n = 0;

	memset(sg, 0, sizeof(sg));
	for (size_t i = 0; i < f->nloops; i++) {
		runs += f->loops[i].runs_s;
		posts += f->loops[i].posts_s;
		if (f->loops[i].cpu_pct >= 0)
			cpu = (cpu < 0 ? 0 : cpu) + f->loops[i].cpu_pct;
	}
	if (f->wall > 0) {
		time_t t = (time_t)f->wall;
		struct tm tm;
		char hms[16];

		localtime_r(&t, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		snprintf(sg[n++].text, 96, "schedtop %s - %s", v->mode, hms);
	} else {
		snprintf(sg[n++].text, 96, "schedtop %s - t=%.3fs", v->mode,
			 (double)(f->t1 - f->trace_start) / 1e9);
	}
	if (v->pid >= 0)
		snprintf(sg[n++].text, 96, "pid %ld", v->pid);
	if (v->comm[0]) {
		snprintf(sg[n].text, 96, "(%.60s)", v->comm);
		sg[n++].rank = 6;
	}
	if (v->frame_no) {
		snprintf(sg[n].text, 96, "pace %d ms", v->pace_ms);
		sg[n++].rank = 5;
	}
	snprintf(sg[n].text, 96, "loops %zu", f->nloops);
	sg[n++].rank = 4;
	if (cpu >= 0) {
		snprintf(sg[n].text, 96, "loop cpu %.1f%%", cpu);
		sg[n++].rank = 2;
	}
	snprintf(sg[n++].text, 96, "tasks/s %.1f", runs);
	snprintf(sg[n++].text, 96, "posts/s %.1f", posts);
	snprintf(sg[n].text, 96, "lost %" PRIu64, f->lost);
	sg[n++].rank = 1;
	if (v->at_end)
		snprintf(sg[n++].text, 96, "[end of trace]");
	else if (v->paused)
		snprintf(sg[n++].text, 96, "[paused]");
	fit_segs(line, len, sg, n, cols);
}

static void loop_line(char *line, size_t len, const struct st_frame *f,
		      const struct st_frame_loop *l, int cols)
{
	struct seg sg[10];
	char d[32];
	int n = 0;

	memset(sg, 0, sizeof(sg));
	snprintf(sg[n++].text, 96, "loop %zu/%zu%s%.40s%s",
		 (size_t)(l - f->loops) + 1, f->nloops, l->name[0] ? " \"" : "",
		 l->name, l->name[0] ? "\"" : "");
	snprintf(sg[n].text, 96, "0x%" PRIx64, l->addr);
	sg[n++].rank = 5;
	snprintf(sg[n].text, 96, "tid %u%s%.31s%s", l->tid,
		 l->thread[0] ? " (" : "", l->thread, l->thread[0] ? ")" : "");
	sg[n++].rank = 4;
	if (l->cpu_pct >= 0)
		snprintf(sg[n++].text, 96, "cpu %.1f%%", l->cpu_pct);
	if (l->virtual_clock)
		snprintf(sg[n++].text, 96, "virtual clock");
	else
		snprintf(sg[n++].text, 96, "busy %.1f%%", l->busy_pct);
	snprintf(sg[n].text, 96, "tasks/s %.1f", l->runs_s);
	sg[n++].rank = 2;
	snprintf(sg[n].text, 96, "posts/s %.1f", l->posts_s);
	sg[n++].rank = 3;
	if (l->running)
		snprintf(sg[n++].text, 96, "running %.40s for %s",
			 l->run_name[0] ? l->run_name : "(unnamed)",
			 st_fmt_ns(l->run_for, d, sizeof(d)));
	fit_segs(line, len, sg, n, cols);
}

/* The number of alerts frame f can show (raised by its end, still kept). */
static uint64_t alerts_of(const struct st_alerts *al, const struct st_frame *f)
{
	uint64_t n = f->alerts_to;

	while (n && !st_alert_get(al, f->alerts_to - n))
		n--;
	return n;
}

static void alert_line(char *line, size_t len, const struct st_alert_ent *e,
		       const struct st_frame *f)
{
	char a[32];

	if (f->wall > 0)
		snprintf(a, sizeof(a), "-%.1fs", (double)(f->t1 - e->when) / 1e9);
	else
		snprintf(a, sizeof(a), "t=%.3fs",
			 (double)(e->when - f->trace_start) / 1e9);
	snprintf(line, len, "%9s  %s", a, e->text);
}

/* Lines of text as the screen shows them. */
struct wrapped {
	char **v;
	size_t n, cap;
};

static bool wrapped_add(struct wrapped *w, const char *indent, const char *s,
			size_t nb)
{
	size_t il = strlen(indent);
	char *l;

	if (w->n == w->cap) {
		size_t nc = w->cap ? 2 * w->cap : 64;
		char **g = realloc(w->v, nc * sizeof(*g));

		if (!g)
			return false;
		w->v = g;
		w->cap = nc;
	}
	l = malloc(il + nb + 1);
	if (!l)
		return false;
	memcpy(l, indent, il);
	memcpy(l + il, s, nb);
	l[il + nb] = '\0';
	w->v[w->n++] = l;
	return true;
}

/* The indent of a wrapped line's continuation lines. */
#define WRAP_INDENT "    "

/*
 * Splits text ('\n'-ended lines) into w's screen lines of at most cols
 * columns: a longer line goes on in lines indented by WRAP_INDENT, cut
 * after the last space that fits (mid-word when a word alone is wider).
 * False when out of memory (w freed).
 */
static bool wrap_lines(struct wrapped *w, const char *text, int cols)
{
	const int ind = (int)strlen(WRAP_INDENT);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *ln = malloc(n + 1), *q;
		bool first = true, ok = true;

		if (!ln)
			ok = false;
		else {
			memcpy(ln, p, n);
			ln[n] = '\0';
		}
		for (q = ln; ok;) {
			int width = first ? cols : cols - ind;
			size_t nb;

			if (!first)
				while (*q == ' ')
					q++;
			if (width < 8)
				width = 8;
			if (width_of(q) <= (size_t)width) {
				ok = wrapped_add(w, first ? "" : WRAP_INDENT, q,
						 strlen(q));
				break;
			}
			nb = bytes_of(q, (size_t)width);
			for (size_t b = nb; b > (size_t)width / 3; b--)
				if (q[b] == ' ') {
					nb = b;
					break;
				}
			ok = wrapped_add(w, first ? "" : WRAP_INDENT, q, nb);
			q += nb;
			first = false;
		}
		free(ln);
		if (!ok) {
			for (size_t i = 0; i < w->n; i++)
				free(w->v[i]);
			free(w->v);
			memset(w, 0, sizeof(*w));
			return false;
		}
		p = nl ? nl + 1 : p + n;
	}
	return true;
}

/* The detail page of the task v->detail_key. */
static void draw_detail(struct st_run *r, const struct st_frame *f,
			const struct st_frame_loop *l, int y, int rows,
			int cols)
{
	struct st_view *v = &r->view;
	const struct st_frame_task *t = NULL;
	char line[600], a[32], b[32], c[32], d[32], *text;
	size_t cap = 64 * 1024, k = 0;
	struct wrapped wl = { 0 };
	int skip;

	for (size_t i = 0; l && i < l->ntasks; i++)
		if (same_task(l->tasks[i].k, &v->detail_key))
			t = &l->tasks[i];
	text = malloc(cap);
	if (!text)
		return;
	k += (size_t)snprintf(text + k, cap - k, "task %s (%s)\n",
			      v->detail_key.name[0] ?
				      tx_esc(v->detail_key.name) : "(unnamed)",
			      st_kind_name(v->detail_key.kind));
	if (t && t->runs) {
		k += (size_t)snprintf(text + k, cap - k,
			"this frame: %" PRIu64 " %s (%.1f/s), %s, busy "
			"%.1f%%\n  run mean %s, p99 %s, max %s; wait p99 %s; "
			"%" PRIu64 " %s\n", t->runs,
			tw_noun(t->runs, "run", "runs"), t->runs_s,
			st_prio_name(t->prio), t->busy_pct,
			st_fmt_ns(t->run_mean, a, sizeof(a)),
			st_fmt_ns(t->run_p99, b, sizeof(b)),
			st_fmt_ns(t->run_max, c, sizeof(c)),
			st_fmt_ns(t->wait_p99, d, sizeof(d)), t->overruns,
			tw_noun(t->overruns, "overrun", "overruns"));
	} else {
		k += (size_t)snprintf(text + k, cap - k,
				      "this frame: no run\n");
	}
	if (t)
		k += (size_t)snprintf(text + k, cap - k,
			"so far: %" PRIu64 " %s, %" PRIu64 " %s, %"
			PRIu64 " long %s\n", t->runs_total,
			tw_noun(t->runs_total, "run", "runs"),
			t->overruns_total,
			tw_noun(t->overruns_total, "overrun", "overruns"),
			t->long_runs_total,
			tw_noun(t->long_runs_total, "run", "runs"));
	if (r->detail && l && k < cap)
		r->detail(r->detail_arg, l, &v->detail_key, f->t1, text + k,
			  cap - k);
	else if (k < cap)
		snprintf(text + k, cap - k, "(live: the probes keep no "
			 "history of single runs; the alerts below name it)\n");
	k = strlen(text);
	/* The alerts that name it, latest first. */
	{
		uint64_t n = alerts_of(&r->alerts, f), shown = 0;

		for (uint64_t i = 0; i < n && k < cap; i++) {
			const struct st_alert_ent *e =
				st_alert_get(&r->alerts, f->alerts_to - 1 - i);

			if (!e || e->a.loop != v->detail_key.loop ||
			    strncmp(e->a.name, v->detail_key.name, ST_NAME_LEN))
				continue;
			if (!shown++)
				k += (size_t)snprintf(text + k, cap - k,
						      "\nits alerts:\n");
			alert_line(line, sizeof(line), e, f);
			k += (size_t)snprintf(text + k, cap - k, "%s\n", line);
		}
	}
	attron(A_REVERSE);
	snprintf(line, sizeof(line), "DETAIL  Esc back  Up/Down scroll%s",
		 r->detail ? "  (as of the frame shown)" : "");
	put_line(y++, line, cols);
	attroff(A_REVERSE);
	/* The text's lines wrapped to the screen (the blame and the advice
	 * are longer than any screen), then scrolled: no further than the
	 * last screenful. */
	if (!wrap_lines(&wl, text, cols)) {
		free(text);
		return;
	}
	skip = v->detail_scroll;
	if (skip > (int)wl.n - (rows - y))
		skip = (int)wl.n - (rows - y);
	if (skip < 0)
		skip = 0;
	v->detail_scroll = skip;
	for (size_t i = (size_t)skip; i < wl.n && y < rows; i++) {
		if (i == 0)
			attron(A_BOLD);
		put_line(y++, wl.v[i], cols);
		if (i == 0)
			attroff(A_BOLD);
	}
	for (size_t i = 0; i < wl.n; i++)
		free(wl.v[i]);
	free(wl.v);
	free(text);
}

void st_screen_draw(struct st_run *r, struct st_frame *f)
{
	struct st_view *v = &r->view;
	const struct st_frame_loop *l;
	struct layout lo;
	char line[1024];
	int rows, cols, y = 0, avail, task_rows, alert_rows;
	size_t nt, first = 0;
	uint64_t nal;
	bool roomy;

	if (!screen_on || !f)
		return;
	getmaxyx(stdscr, rows, cols);
	erase();
	if (rows < ST_MIN_ROWS || cols < ST_MIN_COLS) {
		snprintf(line, sizeof(line),
			 "terminal too small (%dx%d): schedtop needs %dx%d; "
			 "q quits", cols, rows, ST_MIN_COLS, ST_MIN_ROWS);
		mvaddnstr(0, 0, line, cols * rows);
		refresh();
		return;
	}
	if (v->help) {
		draw_help(rows, cols);
		refresh();
		return;
	}
	st_frame_sort_dir(f, r->sort, v->reverse);
	header_line(line, sizeof(line), f, v, cols);
	attron(A_BOLD);
	put_line(y++, line, cols);
	attroff(A_BOLD);
	l = shown_loop(f, v);
	if (!l) {
		mvaddstr(y + 1, 0, "no loop has run a task yet");
		refresh();
		return;
	}
	loop_line(line, sizeof(line), f, l, cols);
	put_line(y++, line, cols);
	if (v->detail) {
		/* The task's own loop, whichever loop is selected. */
		for (size_t i = 0; i < f->nloops; i++)
			if (f->loops[i].addr == v->detail_key.loop &&
			    (f->loops[i].vpid < 0 ||
			     (uint32_t)f->loops[i].vpid == v->detail_key.pid))
				l = &f->loops[i];
		draw_detail(r, f, l, y + 1, rows, cols);
		refresh();
		return;
	}
	/* A blank line between the parts where rows allow. */
	roomy = rows >= 30;
	y += roomy;
	attron(A_REVERSE);
	put_line(y++, st_prio_header, cols);
	attroff(A_REVERSE);
	for (int q = 0; q < ST_PRIOS && y < rows; q++) {
		const struct st_frame_prio *p = &l->prio[q];

		st_prio_row(line, sizeof(line), q, p);
		if (p->starving)
			attron(A_BOLD);
		put_line(y++, line, cols);
		if (p->starving)
			attroff(A_BOLD);
	}
	y += roomy;
	/* The rest: the task table, then the alerts; the tasks take what
	 * they need while the alerts keep 3 rows (or what they have), the
	 * alerts the rest. */
	nt = count_shown(l, v);
	nal = alerts_of(&r->alerts, f);
	avail = rows - y - 2 - roomy;
	alert_rows = nal < 3 ? (int)nal : 3;
	task_rows = avail - alert_rows;
	if (task_rows > (int)nt)
		task_rows = (int)nt;
	if (task_rows < 0)
		task_rows = 0;
	alert_rows = avail - task_rows;
	sync_sel(l, v);
	if (task_rows && v->task_sel >= (size_t)task_rows)
		first = v->task_sel - (size_t)task_rows + 1;
	task_layout(&lo, cols);
	task_head(line, sizeof(line), &lo);
	attron(A_REVERSE);
	put_line(y++, line, cols);
	attroff(A_REVERSE);
	for (int i = 0; i < task_rows; i++) {
		const struct st_frame_task *t = nth_shown(l, v, first + (size_t)i);

		if (!t)
			break;
		task_line(line, sizeof(line), &lo, t);
		if (first + (size_t)i == v->task_sel)
			attron(A_STANDOUT);
		put_line(y + i, line, cols);
		if (first + (size_t)i == v->task_sel)
			attroff(A_STANDOUT);
	}
	y += task_rows + roomy;
	{
		char sortw[160], filt[192];

		snprintf(sortw, sizeof(sortw), "sort %s%s", st_sort_name(r->sort),
			 v->reverse ? " (rev)" : "");
		if (v->filter_edit)
			snprintf(filt, sizeof(filt), "  filter: %s_  (Enter "
				 "keeps, Esc clears)", v->filter);
		else if (v->filter[0])
			snprintf(filt, sizeof(filt), "  filter \"%s\": %zu of "
				 "%zu tasks", v->filter, nt, l->ntasks);
		else
			filt[0] = '\0';
		if (v->frame_no && v->trace_done)
			snprintf(sortw + strlen(sortw), sizeof(sortw) - strlen(sortw),
				 "  frame %" PRIu64 "/%" PRIu64, v->frame_no,
				 v->frames);
		else if (v->frame_no)
			snprintf(sortw + strlen(sortw), sizeof(sortw) - strlen(sortw),
				 "  frame %" PRIu64, v->frame_no);
		/* The task rows the table hides (the selection scrolls them
		 * in), and the pace just changed. */
		if (task_rows < (int)nt)
			snprintf(sortw + strlen(sortw), sizeof(sortw) - strlen(sortw),
				 "  tasks %zu-%zu of %zu", first + 1,
				 first + (size_t)task_rows, nt);
		if (v->pace_note)
			snprintf(sortw + strlen(sortw), sizeof(sortw) - strlen(sortw),
				 "  pace %d ms", v->pace_ms);
		snprintf(line, sizeof(line), "ALERTS (%" PRIu64 ")  %s%s  %s",
			 f->alerts_to, sortw, filt, v->filter_edit ? "" :
			 v->frame_no ? "h help  q quit  p pause  n/b step  a alert"
				     : "h help  q quit  p pause  s sort  / filter");
	}
	attron(A_REVERSE);
	put_line(y++, line, cols);
	attroff(A_REVERSE);
	for (int i = 0; i < alert_rows && (uint64_t)i < nal && y < rows; i++) {
		const struct st_alert_ent *e =
			st_alert_get(&r->alerts, f->alerts_to - 1 - (uint64_t)i);

		if (!e)
			break;
		alert_line(line, sizeof(line), e, f);
		put_line(y++, line, cols);
	}
	refresh();
}

bool st_screen_key(int key, struct st_view *v, enum st_sort *sort,
		   const struct st_frame *f, bool *redraw,
		   enum st_action *action)
{
	const struct st_frame_loop *l = shown_loop(f, v);

	*redraw = true;
	*action = ST_ACT_NONE;
	if (key == KEY_RESIZE)
		return true; /* redraw at the new size, on any page */
	bool had_note = v->pace_note;

	v->pace_note = false;
	if (v->help) {
		v->help = false;
		return key != 'q' && key != 'Q';
	}
	if (v->filter_edit) {
		size_t n = strlen(v->filter);

		if (key == 27) {
			v->filter[0] = '\0';
			v->filter_edit = false;
		} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
			v->filter_edit = false;
		} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
			if (n)
				v->filter[n - 1] = '\0';
		} else if (key >= 32 && key < 127 && n + 1 < sizeof(v->filter)) {
			v->filter[n] = (char)key;
			v->filter[n + 1] = '\0';
		}
		sync_sel(l, v);
		return true;
	}
	if (v->detail) {
		switch (key) {
		case 27:
		case 'd':
		case '\n':
		case '\r':
		case KEY_ENTER:
			v->detail = false;
			return true;
		case KEY_UP:
		case 'k':
			if (v->detail_scroll)
				v->detail_scroll--;
			return true;
		case KEY_DOWN:
		case 'j':
			v->detail_scroll++;
			return true;
		default:
			break;
		}
	}
	switch (key) {
	case 'q':
	case 'Q':
		return false;
	case 's':
		*sort = (enum st_sort)((*sort + 1) % ST_SORT_COUNT);
		break;
	case 'r':
		v->reverse = !v->reverse;
		break;
	case 'p':
	case ' ':
		v->paused = !v->paused;
		break;
	case 'n':
	case KEY_RIGHT:
		*action = ST_ACT_STEP;
		break;
	case 'b':
	case KEY_LEFT:
		*action = ST_ACT_BACK;
		break;
	case 'g':
	case KEY_HOME:
		*action = ST_ACT_START;
		break;
	case 'G':
	case KEY_END:
		*action = ST_ACT_END;
		break;
	case 'a':
		*action = ST_ACT_NEXT_ALERT;
		break;
	case '+':
	case '=':
		if (v->pace_ms > 10)
			v->pace_ms /= 2;
		v->pace_note = v->frame_no > 0;
		break;
	case '-':
		if (v->pace_ms <= 1800000) /* --pace's most: 3600000 */
			v->pace_ms *= 2;
		v->pace_note = v->frame_no > 0;
		break;
	case 'l':
		v->loop_sel = f && f->nloops ? (v->loop_sel + 1) % f->nloops : 0;
		select_row(shown_loop(f, v), v, 0);
		break;
	case '/':
	case KEY_F(4):
		v->filter_edit = true;
		break;
	case 27:
		v->filter[0] = '\0';
		sync_sel(l, v);
		break;
	case KEY_UP:
	case 'k':
		sync_sel(l, v);
		if (v->task_sel)
			select_row(l, v, v->task_sel - 1);
		break;
	case KEY_DOWN:
	case 'j':
		sync_sel(l, v);
		select_row(l, v, v->task_sel + 1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'd': {
		/* The task highlighted: the selection's own. */
		const struct st_frame_task *t = sync_sel(l, v);

		if (t) {
			v->detail = true;
			v->detail_key = *t->k;
			v->detail_scroll = 0;
		}
		break;
	}
	case 'h':
	case '?':
		v->help = true;
		break;
	case KEY_RESIZE:
		break;
	default:
		*redraw = had_note; /* the pace note goes */
		break;
	}
	return true;
}

/* ---- the frame cycle ---------------------------------------------------- */

bool st_run_frame(struct st_run *r, struct st_snap *cur, double wall)
{
	return st_run_frame_upto(r, cur, wall, r->alerts.total);
}

bool st_run_frame_upto(struct st_run *r, struct st_snap *cur, double wall,
		       uint64_t alerts_to)
{
	struct st_frame *f = &r->last;

	st_frame_free(f);
	memset(f, 0, sizeof(*f));
	if (!st_frame_build(f, &r->prev, cur, r->filter_pid, r->o->interval_s,
			    r->o->starve_ns, r->sort)) {
		st_error("out of memory");
		r->failed = true;
		return false;
	}
	f->seq = ++r->frames;
	f->wall = wall;
	f->trace_start = r->trace_start;
	f->alerts_from = r->alerts_shown;
	f->alerts_to = alerts_to;
	r->alerts_shown = alerts_to;
	if (r->annotate)
		r->annotate(f, r->annotate_arg);
	if (r->o->json)
		st_print_json(stdout, f, &r->alerts, &r->view);
	else if (!r->screen)
		st_print_text(stdout, f, &r->alerts, &r->view);
	else if (!r->quiet)
		st_screen_draw(r, r->shown ? r->shown : f);
	if (!st_snap_copy(&r->prev, cur)) {
		st_error("out of memory");
		r->failed = true;
		return false;
	}
	return !(r->o->count && r->frames >= (uint64_t)r->o->count);
}

int st_run_wait(struct st_run *r, int fd, int timeout_ms)
{
	struct pollfd p[2];
	int n = 0, rc, key;
	bool redraw;
	enum st_action action;

	if (fd >= 0) {
		p[n].fd = fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	if (r->screen) {
		p[n].fd = STDIN_FILENO;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	rc = poll(p, (nfds_t)n, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return ST_WAIT_TIMEOUT;
	/* A resize is a signal (SIGWINCH) that ends the poll with nothing to
	 * read: ncurses then gives KEY_RESIZE on the next getch, which
	 * redraws (a paused or ended trace's screen waited for a key). */
	if (r->screen && n && (rc <= 0 || (p[n - 1].revents & POLLIN))) {
		while ((key = getch()) != ERR) {
			struct st_frame *f = r->shown ? r->shown : &r->last;

			if (!st_screen_key(key, &r->view, &r->sort, f, &redraw,
					   &action))
				return ST_WAIT_QUIT;
			if (redraw)
				st_screen_draw(r, f);
			if (action != ST_ACT_NONE) {
				r->action = action;
				return ST_WAIT_ACTION;
			}
		}
	}
	if (rc < 0)
		return ST_WAIT_SIGNAL;
	if (fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return ST_WAIT_FD;
	return rc == 0 ? ST_WAIT_TIMEOUT : ST_WAIT_KEY;
}

void st_run_free(struct st_run *r)
{
	st_alerts_free(&r->alerts);
	st_frame_free(&r->last);
	st_snap_free(&r->prev);
}
