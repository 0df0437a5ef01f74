/*
 * schedtop's frame cycle and interactive screen (ncurses).
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "schedtop.h"

static bool screen_on;

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
	if (!initscr())
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = (int)SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	atexit(st_screen_close);
	cbreak();
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

static const char *help_lines[] = {
	"schedtop keys",
	"",
	"  q       quit (leaves no probe attached)",
	"  s       next sort key of the task table:",
	"          time, runs, max, mean, p99, wait, overruns, name",
	"  p       pause / resume (the figures keep counting)",
	"  n       while paused on a trace: the next frame",
	"  l       next loop",
	"  h or ?  this help; any key closes it",
	"",
	"READY: tasks ready at the priority now (live: '+' means at least,",
	"as seen when a task last ran). STARVING: ready without any of its",
	"tasks running for at least the --starve threshold.",
	"Percentiles come from histograms with 4 buckets per power of two.",
};

static void draw_help(void)
{
	int rows = (int)(sizeof(help_lines) / sizeof(help_lines[0]));

	for (int i = 0; i < rows; i++) {
		move(2 + i, 2);
		clrtoeol();
		if (i == 0)
			attron(A_BOLD);
		addstr(help_lines[i]);
		if (i == 0)
			attroff(A_BOLD);
	}
}

void st_screen_draw(const struct st_frame *f, const struct st_alerts *al,
		    const struct st_view *v, enum st_sort sort)
{
	const struct st_frame_loop *l = NULL;
	char a[32], b[32], d[32], line[512];
	double runs = 0, posts = 0, cpu = -1;
	char cpus[32] = "";
	int rows, cols, y = 0, task_rows, nalerts;

	if (!screen_on)
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
	for (size_t i = 0; i < f->nloops; i++) {
		runs += f->loops[i].runs_s;
		posts += f->loops[i].posts_s;
		if (f->loops[i].cpu_pct >= 0)
			cpu = (cpu < 0 ? 0 : cpu) + f->loops[i].cpu_pct;
	}
	if (cpu >= 0)
		snprintf(cpus, sizeof(cpus), "  loop cpu %.1f%%", cpu);
	if (f->wall > 0) {
		time_t t = (time_t)f->wall;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(a, sizeof(a), "%H:%M:%S", &tm);
	} else {
		snprintf(a, sizeof(a), "t=%.3fs",
			 (double)(f->t1 - f->trace_start) / 1e9);
	}
	if (v->pid >= 0)
		snprintf(b, sizeof(b), "  pid %ld", v->pid);
	else
		b[0] = '\0';
	snprintf(line, sizeof(line),
		 "schedtop %s - %s%s%s%s%s  loops %zu%s  tasks/s %.1f  "
		 "posts/s %.1f  lost %" PRIu64 "%s",
		 v->mode, a, b, v->comm[0] ? " (" : "", v->comm,
		 v->comm[0] ? ")" : "", f->nloops, cpus, runs, posts, f->lost,
		 v->paused ? "  [paused]" : "");
	attron(A_BOLD);
	mvaddnstr(y++, 0, line, cols);
	attroff(A_BOLD);
	if (f->nloops)
		l = &f->loops[v->loop_sel < f->nloops ? v->loop_sel : 0];
	if (!l) {
		mvaddstr(y + 1, 0, "no loop has run a task yet");
		refresh();
		return;
	}
	snprintf(line, sizeof(line),
		 "loop %zu/%zu %s%s%s0x%" PRIx64 "  tid %u%s%s%s",
		 (size_t)(l - f->loops) + 1, f->nloops,
		 l->name[0] ? "\"" : "", l->name, l->name[0] ? "\" " : "",
		 l->addr, l->tid, l->thread[0] ? " (" : "", l->thread,
		 l->thread[0] ? ")" : "");
	mvaddnstr(y, 0, line, cols);
	{
		char more[256];
		int n;

		if (l->cpu_pct >= 0)
			n = snprintf(more, sizeof(more), "  cpu %.1f%%", l->cpu_pct);
		else
			n = 0;
		if (l->virtual_clock)
			n += snprintf(more + n, sizeof(more) - (size_t)n,
				      "  virtual clock");
		else
			n += snprintf(more + n, sizeof(more) - (size_t)n,
				      "  busy %.1f%%", l->busy_pct);
		snprintf(more + n, sizeof(more) - (size_t)n,
			 "  tasks/s %.1f  posts/s %.1f%s%s%s%s",
			 l->runs_s, l->posts_s,
			 l->running ? "  running " : "",
			 l->running ? (l->run_name[0] ? l->run_name : "(unnamed)") : "",
			 l->running ? " for " : "",
			 l->running ? st_fmt_ns(l->run_for, d, sizeof(d)) : "");
		addnstr(more, cols - (int)strlen(line) > 0 ?
				      cols - (int)strlen(line) : 0);
	}
	y += 2;
	attron(A_REVERSE);
	mvaddnstr(y++, 0, st_prio_header, cols);
	attroff(A_REVERSE);
	for (int q = 0; q < ST_PRIOS && y < rows; q++) {
		const struct st_frame_prio *p = &l->prio[q];

		st_prio_row(line, sizeof(line), q, p);
		if (p->starving)
			attron(A_BOLD);
		mvaddnstr(y++, 0, line, cols);
		if (p->starving)
			attroff(A_BOLD);
	}
	y++;
	nalerts = rows > 30 ? 6 : 3;
	task_rows = rows - y - 1 - (nalerts + 2);
	attron(A_REVERSE);
	snprintf(line, sizeof(line), "%s  sort: %s", st_task_header,
		 st_sort_name(sort));
	mvaddnstr(y++, 0, line, cols);
	attroff(A_REVERSE);
	for (size_t i = 0; i < l->ntasks && task_rows > 0; i++, task_rows--) {
		st_task_row(line, sizeof(line), &l->tasks[i]);
		mvaddnstr(y++, 0, line, cols);
	}
	y = rows - nalerts - 1;
	if (y < 0)
		y = 0;
	attron(A_REVERSE);
	snprintf(line, sizeof(line), "ALERTS (%" PRIu64 ")  q quit  s sort  "
		 "p pause  l loop  h help", al->total);
	mvaddnstr(y++, 0, line, cols);
	attroff(A_REVERSE);
	for (int i = 0; i < nalerts && (uint64_t)i < al->total; i++) {
		const struct st_alert_ent *e =
			&al->ring[(al->total - 1 - (uint64_t)i) % ST_ALERTS_KEPT];

		if (f->wall > 0)
			snprintf(a, sizeof(a), "-%.1fs",
				 (double)(f->t1 - e->when) / 1e9);
		else
			snprintf(a, sizeof(a), "t=%.3fs",
				 (double)(e->when - f->trace_start) / 1e9);
		snprintf(line, sizeof(line), "%9s  %s", a, e->text);
		mvaddnstr(y++, 0, line, cols);
	}
	if (v->help)
		draw_help();
	refresh();
}

bool st_screen_key(int key, struct st_view *v, enum st_sort *sort,
		   size_t nloops, bool *redraw, bool *step)
{
	*redraw = true;
	if (v->help) {
		v->help = false;
		return key != 'q' && key != 'Q';
	}
	switch (key) {
	case 'q':
	case 'Q':
		return false;
	case 's':
		*sort = (enum st_sort)((*sort + 1) % ST_SORT_COUNT);
		break;
	case 'p':
	case ' ':
		v->paused = !v->paused;
		break;
	case 'n':
		*step = true;
		break;
	case 'l':
		v->loop_sel = nloops ? (v->loop_sel + 1) % nloops : 0;
		break;
	case 'h':
	case '?':
		v->help = true;
		break;
	case KEY_RESIZE:
		break;
	default:
		*redraw = false;
		break;
	}
	return true;
}

/* ---- the frame cycle ---------------------------------------------------- */

bool st_run_frame(struct st_run *r, struct st_snap *cur, double wall)
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
	f->alerts_to = r->alerts.total;
	r->alerts_shown = r->alerts.total;
	if (r->annotate)
		r->annotate(f, r->annotate_arg);
	if (r->o->json)
		st_print_json(stdout, f, &r->alerts, &r->view);
	else if (!r->screen)
		st_print_text(stdout, f, &r->alerts, &r->view);
	else
		st_screen_draw(f, &r->alerts, &r->view, r->sort);
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
	bool redraw, step = false;

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
	if (rc < 0)
		return errno == EINTR ? ST_WAIT_SIGNAL : ST_WAIT_TIMEOUT;
	if (r->screen && n && (p[n - 1].revents & POLLIN)) {
		while ((key = getch()) != ERR) {
			if (!st_screen_key(key, &r->view, &r->sort,
					   r->last.nloops, &redraw, &step))
				return ST_WAIT_QUIT;
			if (redraw) {
				st_frame_sort(&r->last, r->sort);
				st_screen_draw(&r->last, &r->alerts, &r->view,
					       r->sort);
			}
			if (step)
				return ST_WAIT_STEP;
		}
	}
	if (fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return ST_WAIT_FD;
	return rc == 0 ? ST_WAIT_TIMEOUT : ST_WAIT_KEY;
}

void st_run_free(struct st_run *r)
{
	st_frame_free(&r->last);
	st_snap_free(&r->prev);
}
