/*
 * schedprof's HTML report: index.html and, per loop, four gnuplot charts
 * (wait-latency CDF, timeline of runs, run-time distribution of the top
 * tasks, ready-queue depth). The data files and report.gp stay in OUTDIR
 * for re-plotting; gnuplot runs once for every chart.
 *
 * Large traces: the timeline merges the runs of a lane that are less than
 * a pixel apart (at the chart's width) into one box, paler the less of it
 * they fill, and widens a box narrower than a pixel to one pixel, so it
 * holds at most about one box per pixel and lane whatever the trace's
 * length, and still shows every run and every gap a pixel wide; a loop
 * of more than DETAIL_MIN_RUNS runs gets a fifth chart, the timeline of
 * DETAIL_RUNS runs from just before its longest starvation, where runs
 * are seen one by one. The depth chart keeps, per pixel, the highest
 * depth and the one it settles to; a CDF keeps at most CDF_POINTS
 * points, evenly spaced in fraction.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flightmark.h"
#include "fixes.h"
#include "html.h"
#include "jsonstr.h"
#include "schedprof.h"
#include "words.h"

#define CHART_W 1100     /* timeline and depth charts, px */
/* Their plotting area, the same in both so that their time axes line up:
 * fixed margins (gnuplot's "at screen"), not ones fitted to the labels. */
#define CHART_LM 230     /* left margin, px: the lanes' and strips' labels */
#define CHART_RM 30      /* right margin, px */
#define CHART_PX (CHART_W - CHART_LM - CHART_RM) /* the plotting area, px */
#define SMALL_W 760      /* run-time chart, px */
#define CDF_W 900
#define SMALL_H 380
#define CDF_POINTS 2000  /* per curve */
#define TOP_CHART 8      /* tasks in the run-time chart */
#define TOP_TASKS 8      /* tasks with a colour of their own */
#define TOP_TABLE 30     /* tasks in the table */
#define STARVE_ROWS 100  /* starvation intervals in the table */
#define LABEL_MAX 28     /* characters of a task name on a chart axis */
#define LANE_LABEL_MAX 22 /* of a task lane's name (the margin is fixed) */
#define HOVER_MAX 160    /* characters of a hover text */
#define BOX_LABEL_PX 40  /* a box at least this wide is named on it */
#define FLIGHT_RGB "#111111" /* a flight-recorder save's trigger */
/* A loop of more runs than this gets a detail timeline of DETAIL_RUNS
 * consecutive runs too: the overview's boxes then hide single runs. */
#define DETAIL_MIN_RUNS 20000
#define DETAIL_RUNS 2000
/* Waits under a microsecond (0 ns among them) on the log axis of the wait
 * chart: a log axis has no 0, so they get a line of their own below 1 us. */
#define FLOOR_MS 0.0003
/* An invisible marker that carries a hover text (gnuplot's hypertext):
 * fully transparent, it still takes the pointer. */
#define HOVER_RGB "#ff000000"

/*
 * A priority's colour and marker, the same in every chart: [0] performer
 * work, then the priorities, HIGHEST first. HIGHEST (red, filled circle)
 * and LOWEST (black, cross) are the two a reader compares most: far apart
 * in hue and lightness, and in shape.
 */
static const char *const lane_rgb[AN_PRIOS + 1] = {
	"#7f7f7f", "#d62728", "#ff7f0e", "#bcbd22", "#2ca02c",
	"#17becf", "#1f77b4", "#9467bd", "#000000",
};
static const int prio_pt[AN_PRIOS] = { 7, 5, 9, 11, 13, 6, 8, 2 };

/* The top tasks' colours on the timeline and run-time charts (by total run
 * time: the first gets [0]); every other task is TASK_OTHER_RGB. */
static const char *const task_rgb[TOP_TASKS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
	"#9467bd", "#8c564b", "#e377c2", "#17becf",
};
#define TASK_OTHER_RGB "#b0b0b0"

struct ctx {
	struct an_result *r;
	const char *outdir;
	char *err;
	size_t errlen;
	bool failed;
};

/* What a loop's charts hold, for their captions. */
struct tl_info {
	size_t runs, boxes;   /* runs drawn, and the boxes they became */
	size_t starves;
	double px_ns;         /* a pixel */
	size_t task_lanes;    /* victims and culprits of task waits */
	size_t task_waits;    /* waits drawn on them */
	size_t names;         /* boxes named on the chart */
};

struct chart_info {
	bool idle;            /* no task ran: no chart */
	struct tl_info tl;    /* the whole loop */
	bool detail;          /* a detail window too: */
	struct tl_info dt;
	double dfrom_s, dto_s;
	char detail_why[96];
	unsigned cdf_prios;
	unsigned floor_prios; /* priorities whose every wait is under 1 us */
	char floor_note[200]; /* "REPAINT's 73, ..." */
	unsigned depth_prios;
	bool depth_reduced;
	unsigned top;         /* tasks in the run-time chart */
};

/* Keeps the first error: what fails after it follows from it. */
static int __attribute__((format(printf, 2, 3)))
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}


/* ---- files ---------------------------------------------------------- */

static int out_path(struct ctx *c, char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", c->outdir, name);

	if (n < 0 || (size_t)n >= len)
		return fail(c, "%s/%s: path too long", c->outdir, name);
	return 0;
}

/*
 * path opened for writing (created or truncated), never through a symbolic
 * link: one planted in the output directory would have the report
 * overwrite its target.
 */
static FILE *open_nofollow(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			    O_CLOEXEC, 0666);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

/*
 * A new temporary file OUTDIR/.NAME.XXXXXX (mkstemp: created, never an
 * existing file or link), with the permissions a plain creation would
 * give; its path in tmp.
 */
static FILE *out_temp(struct ctx *c, const char *name, char *tmp, size_t len)
{
	mode_t mask = umask(0);
	int n = snprintf(tmp, len, "%s/.%s.XXXXXX", c->outdir, name), fd;
	FILE *f;

	umask(mask);
	if (n < 0 || (size_t)n >= len) {
		fail(c, "%s/%s: path too long", c->outdir, name);
		return NULL;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		fail(c, "cannot write %s/%s: %s", c->outdir, name,
		     strerror(errno));
		return NULL;
	}
	if (fchmod(fd, 0666 & ~mask) < 0 || !(f = fdopen(fd, "w"))) {
		fail(c, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return NULL;
	}
	return f;
}

/* A regular file opened for reading, not through a link; NULL if not. */
static FILE *open_nofollow_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (fd >= 0 && !f)
		close(fd);
	return f;
}

/* True if dir holds a report schedprof wrote (its report.gp). */
static bool earlier_report(const char *dir)
{
	char path[PATH_MAX], line[sizeof(HTML_GP_MAGIC)];
	FILE *f;
	bool yes;

	if ((size_t)snprintf(path, sizeof(path), "%s/report.gp", dir) >=
	    sizeof(path))
		return false;
	f = open_nofollow_read(path);
	if (!f)
		return false;
	yes = fgets(line, sizeof(line), f) &&
	      !strcmp(line, HTML_GP_MAGIC);
	fclose(f);
	return yes;
}

int sp_html_outdir_ok(const char *outdir, char *err, size_t errlen)
{
	struct dirent *d;
	bool empty = true;
	DIR *dir = opendir(outdir);

	if (!dir)
		return 0; /* missing: created; anything else: said when written */
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(dir);
	if (empty || earlier_report(outdir))
		return 0;
	snprintf(err, errlen, "%s is not empty and holds no earlier report: "
			      "give a new or empty directory with -o",
		 outdir);
	return -1;
}

static FILE *out_open(struct ctx *c, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	if (out_path(c, path, sizeof(path), name) < 0)
		return NULL;
	f = open_nofollow(path);
	if (!f)
		fail(c, "cannot write %s: %s", path, strerror(errno));
	return f;
}

/* Closes f, written as OUTDIR/name; a write error anywhere shows here. */
static int out_close(struct ctx *c, FILE *f, const char *name)
{
	bool bad = ferror(f);
	int e = errno;

	if (fclose(f) != 0) {
		bad = true;
		e = errno;
	}
	if (bad)
		return fail(c, "cannot write %s/%s: %s", c->outdir, name,
			    strerror(e ? e : EIO));
	return 0;
}

/* mkdir -p: the report's directory may be new, and so may its parent. */
static int make_dirs(struct ctx *c, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = strlen(dir), i;

	if (len == 0)
		return fail(c, "empty output directory name");
	if (len >= sizeof(path))
		return fail(c, "%s: path too long", dir);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return fail(c, "cannot create %s: %s", path,
				    strerror(errno));
		path[i] = dir[i];
	}
	if (stat(dir, &st) < 0)
		return fail(c, "cannot create %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(c, "%s exists and is not a directory", dir);
	return 0;
}

static void chart_name(char *buf, size_t len, size_t loop, const char *kind,
		       const char *ext)
{
	snprintf(buf, len, "loop%zu-%s.%s", loop, kind, ext);
}

/* ---- text ----------------------------------------------------------- */

/* s in HTML text or a quoted attribute; what is not UTF-8 or is a control
 * character becomes U+FFFD. */
static void html_esc(FILE *f, const char *s)
{
	size_t n;

	if (!s)
		return;
	while (*s) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (ch < 0x20 || ch == 0x7f) {
				fputs("&#xFFFD;", f);
				break;
			}
			n = tj_utf8_seq(s);
			if (n == 0) {
				fputs("&#xFFFD;", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
}

/*
 * s as a single-quoted gnuplot string, at most max characters (then
 * "..."). Inside single quotes gnuplot interprets nothing but '' (a
 * quote); the terminal is noenhanced, so ^ _ @ { } are plain too; the SVG
 * terminal escapes < and &. Control characters and what is not UTF-8
 * would break the SVG: they become '?'.
 */
static void gp_str(FILE *f, const char *s, size_t max)
{
	size_t chars = 0, n;

	fputc('\'', f);
	while (s && *s) {
		if (chars == max) {
			fputs("...", f);
			break;
		}
		n = tj_utf8_seq(s);
		if (*s == '\'')
			fputs("''", f);
		else if (n == 0 || (unsigned char)*s < 0x20 || *s == 0x7f)
			fputc('?', f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
		chars++;
	}
	fputc('\'', f);
}

/*
 * s as an explicit tic label: gnuplot reads those as format strings for
 * the tic's value (a task named "progress 100%" made it fail with "Bad
 * format character", "%s" drew a number), so each '%' is doubled; for the
 * rest, as gp_str(). Backslashes need nothing: single quotes keep them.
 */
static void gp_tic_str(FILE *f, const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m) {
		gp_str(f, "?", max);
		return;
	}
	gp_str(m, s, max);
	if (fclose(m) != 0) {
		free(buf);
		gp_str(f, "?", max);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '%')
			fputc('%', f);
		fputc(buf[i], f);
	}
	free(buf);
}

/*
 * A hover text as the last column of a gnuplot data file, at most max
 * characters: in double quotes, which gnuplot reads as one string column.
 * Inside them gnuplot drops backslashes, and a double quote would end the
 * string (and the SVG attribute gnuplot writes it in): both become '?', as
 * do control characters and what is not UTF-8. The SVG terminal escapes &
 * and <.
 */
static void hv_str(FILE *f, const char *s, size_t max)
{
	size_t chars = 0, n;

	fputc('"', f);
	while (s && *s) {
		if (chars == max) {
			fputs("...", f);
			break;
		}
		n = tj_utf8_seq(s);
		if (n == 0 || (unsigned char)*s < 0x20 || *s == 0x7f ||
		    *s == '"' || *s == '\\')
			fputc('?', f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
		chars++;
	}
	fputs("\"\n", f);
}

/* A point of a hover layer: x y "text" (printf-style). */
static void __attribute__((format(printf, 4, 5)))
hover(FILE *f, double x, double y, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(f, "%.9g %.9g ", x, y);
	hv_str(f, text, HOVER_MAX);
}

/* The plot clause of a hover layer: a transparent square of size ps over
 * each point, which the SVG terminal gives the text of its third column
 * (gnuplot's hypertext; the report turns it into the point's <title>). */
static void gp_hover(FILE *gp, const char *dat, double ps)
{
	fprintf(gp, "'%s' using 1:2:3 with labels hypertext point pt 5 "
		"ps %.2f lc rgb '" HOVER_RGB "' notitle", dat, ps);
}

/* The fixed margins of the timeline and depth charts (CHART_LM, CHART_RM),
 * in screen fractions. */
static double chart_l(void)
{
	return (double)CHART_LM / CHART_W;
}

static double chart_r(void)
{
	return 1.0 - (double)CHART_RM / CHART_W;
}

/* 'officesim[557] loop "main" (thread officesim, tid 557)', raw (escape
 * it for output). */
static void loop_label(char *buf, size_t len, const struct an_loop *l)
{
	char who[160];

	an_loop_label(l, who, sizeof(who));
	if (l->vpid >= 0)
		snprintf(buf, len, "%s[%" PRId64 "] %s",
			 l->procname ? l->procname : "?", l->vpid, who);
	else
		snprintf(buf, len, "%s (trace %u) %s",
			 l->procname ? l->procname : "?", l->trace, who);
}

static const char *task_name(const struct an_task *t)
{
	if (!t)
		return "performer work";
	return t->name && t->name[0] ? t->name : "(unnamed)";
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* A duration on a log axis: 1 ns at least. */
static double log_ms(int64_t ns)
{
	return ns < 1 ? 1e-6 : (double)ns / 1e6;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Most run time first; then most runs; then the oldest task. */
static int cmp_task_total(const void *a, const void *b)
{
	const struct an_task *x = *(const struct an_task *const *)a;
	const struct an_task *y = *(const struct an_task *const *)b;

	if (x->run_total != y->run_total)
		return x->run_total < y->run_total ? 1 : -1;
	if (x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

/* The loop's tasks, most run time first; NULL (and an error) when out of
 * memory. The caller frees. */
static struct an_task **tasks_by_total(struct ctx *c, const struct an_loop *l)
{
	struct an_task **v = malloc((l->ntasks ? l->ntasks : 1) * sizeof(*v));

	if (!v) {
		fail(c, "out of memory");
		return NULL;
	}
	if (l->ntasks)
		memcpy(v, l->tasks, l->ntasks * sizeof(*v));
	qsort(v, l->ntasks, sizeof(*v), cmp_task_total);
	return v;
}

/* The tasks with a colour of their own: the first TOP_TASKS that ran, by
 * total run time. */
struct top_tasks {
	const struct an_task *t[TOP_TASKS];
	unsigned n;
};

static int top_tasks_pick(struct ctx *c, const struct an_loop *l,
			  struct top_tasks *tt)
{
	struct an_task **v = tasks_by_total(c, l);

	tt->n = 0;
	if (!v)
		return -1;
	for (size_t i = 0; i < l->ntasks && tt->n < TOP_TASKS; i++)
		if (v[i]->runs && v[i]->run.count)
			tt->t[tt->n++] = v[i];
	free(v);
	return 0;
}

/* A task's colour slot: its rank among the top tasks, else tt->n (the
 * others', and performer work's). */
static unsigned top_slot(const struct top_tasks *tt, const struct an_task *t)
{
	for (unsigned k = 0; t && k < tt->n; k++)
		if (tt->t[k] == t)
			return k;
	return tt->n;
}

static const char *slot_rgb(const struct top_tasks *tt, unsigned slot)
{
	return slot < tt->n ? task_rgb[slot] : TASK_OTHER_RGB;
}

/* ---- the gnuplot script --------------------------------------------- */

/* What every chart starts with: reset clears the previous one's settings
 * (not the terminal or the output, which are set right after). */
static void gp_begin(FILE *gp, const char *out, int w, int h,
		     const char *title)
{
	fprintf(gp, "\nreset\n"
		"set terminal svg size %d,%d noenhanced font 'sans,11' "
		"background '#ffffff'\n", w, h);
	fputs("set output ", gp);
	gp_str(gp, out, SIZE_MAX);
	fputs("\nset encoding utf8\nset title ", gp);
	gp_str(gp, title, 200);
	fputs("\nset grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n",
	      gp);
}

/* A chart without data: still drawn, so that each loop has its four. */
static void gp_empty(FILE *gp, const char *what)
{
	fputs("set label 1 ", gp);
	gp_str(gp, what, 200);
	fputs(" at graph 0.5, graph 0.5 center\n"
	      "set xrange [0:1]\nset yrange [0:1]\n"
	      "unset xtics\nunset ytics\nplot NaN notitle\n", gp);
}

/* ---- charts --------------------------------------------------------- */

/* True if loop l is idle: no task ran or was ever ready (performer work
 * may have run); a task that was ready and never ran is not idle. */
static bool loop_idle(const struct an_loop *l)
{
	for (size_t i = 0; i < l->nruns; i++)
		if (l->runs[i].task)
			return false;
	for (int p = 0; p < AN_PRIOS; p++)
		if (l->prio[p].fired || l->prio[p].max_depth ||
		    l->prio[p].nstarves)
			return false;
	return l->ntstarves == 0;
}

/* A wait on the wait chart's log axis: under a µs (often 0: a task ready
 * at the instant it ran) on the floor line below 1 µs. */
static double wait_y(int64_t ns)
{
	return ns < 1000 ? FLOOR_MS : (double)ns / 1e6;
}

/* The "nines" axis of the wait chart: fraction q at -log10(1 - q), so that
 * p50, p90, p99 and p99.9 are evenly spaced and the tail is as wide as the
 * body. */
static double nines(double q)
{
	return q >= 1.0 ? 1e9 : -log10(1.0 - q);
}

/* The percentiles the wait chart marks, and their names. */
static const double tail_pct[] = { 50, 90, 99, 99.9 };
static const char *const tail_pct_name[] = { "p50", "p90", "p99", "p99.9" };

/*
 * Wait latency per priority by percentile: the wait (log scale) against
 * the percentile on a nines axis, so the tail (p99, p99.9, the maximum)
 * is as readable as the median; one curve per priority that has samples,
 * with its marker at p50, p90, p99 (p99.9 from 1000 waits on) and the
 * maximum, each with the value on hover. Waits under 1 us, 0 among them,
 * lie on a floor line of their own below the axis's 1 us, said so on the
 * chart: a log axis has no 0.
 */
static int chart_cdf(struct ctx *c, FILE *gp, size_t li,
		     struct an_loop *l, const char *label,
		     struct chart_info *ci)
{
	char dat[64], mdat[64], svg[64], title[300], buf[48];
	char floor_note[300] = "";
	int blocks[AN_PRIOS];
	unsigned nb = 0, k, nfloor = 0;
	bool has_floor = false;
	double ymax = 0.01, xmax = 2.0;
	size_t nmax = 0;
	FILE *f, *m;
	int p;

	chart_name(dat, sizeof(dat), li, "wait", "dat");
	chart_name(mdat, sizeof(mdat), li, "wait-marks", "dat");
	chart_name(svg, sizeof(svg), li, "wait", "svg");
	for (p = 0; p < AN_PRIOS; p++)
		if (l->prio[p].wait.nsamples > nmax)
			nmax = l->prio[p].wait.nsamples;
	/* The axis ends half a decade past the rarest rank of the largest
	 * priority, and shows p99 at least. */
	while (xmax < log10(2.0 * (double)nmax))
		xmax += 1.0;
	f = out_open(c, dat);
	if (!f)
		return -1;
	m = out_open(c, mdat);
	if (!m) {
		fclose(f);
		return -1;
	}
	fprintf(f, "# %s: wait latency by percentile, one block per "
		"priority (gnuplot index)\n# nines wait_ms: the sample of "
		"rank i of n (from 0) at -log10(1 - i/n); under 1 us at %g\n",
		label, FLOOR_MS);
	fputs("# the marked percentiles, one block per priority\n"
	      "# nines wait_ms \"hover text\"\n", m);
	for (p = 0; p < AN_PRIOS; p++) {
		struct an_dist *d = &l->prio[p].wait;
		size_t n = d->nsamples, i, last = SIZE_MAX;
		int64_t *v;

		if (n == 0 || !d->samples)
			continue;
		v = malloc(n * sizeof(*v));
		if (!v) {
			fclose(f);
			fclose(m);
			return fail(c, "out of memory");
		}
		memcpy(v, d->samples, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_i64);
		fprintf(f, "# %s: %zu samples\n", an_prio_name(p), n);
		/* Ranks evenly spaced on the nines axis (every rank when
		 * there are few): the value of rank i holds from i/n to
		 * (i + 1)/n, as nearest-rank percentiles (an_pct) do. */
		for (k = 0; k <= CDF_POINTS; k++) {
			double x = (double)k * log10((double)n) / CDF_POINTS;

			i = (size_t)((double)n * (1.0 - pow(10.0, -x)) + 1e-9);
			if (i >= n)
				i = n - 1;
			if (i == last)
				continue;
			fprintf(f, "%.9g %.9g\n", nines((double)i / (double)n),
				wait_y(v[i]));
			last = i;
		}
		fprintf(f, "%.9g %.9g\n\n\n", xmax, wait_y(v[n - 1]));
		if (v[n - 1] < 1000) {
			size_t len = strlen(floor_note);

			snprintf(floor_note + len, sizeof(floor_note) - len,
				 "%s%s's %" PRIu64, nfloor ? ", " : "",
				 an_prio_name(p), d->count);
			nfloor++;
		}
		/* Without a wait under 1 us, the floor line is not drawn. */
		has_floor |= v[0] < 1000;
		while (ymax < wait_y(v[n - 1]) * 1.01 ||
		       ymax < ms(c->r->cfg.starve_ns) * 1.01)
			ymax *= 10;
		free(v);
		fprintf(m, "# %s\n", an_prio_name(p));
		for (k = 0; k < sizeof(tail_pct) / sizeof(tail_pct[0]); k++) {
			int64_t w;

			if (tail_pct[k] > 99.0 && n < 1000)
				continue;
			w = an_pct(d, tail_pct[k]);
			hover(m, nines(tail_pct[k] / 100.0), wait_y(w),
			      "%s wait %s: %s (%" PRIu64 " %s)",
			      an_prio_name(p), tail_pct_name[k],
			      an_fmt_ns(w, buf, sizeof(buf)), d->count,
			      tw_noun(d->count, "wait", "waits"));
		}
		hover(m, xmax, wait_y(d->max), "%s wait max: %s (%" PRIu64
		      " waits)", an_prio_name(p),
		      an_fmt_ns(d->max, buf, sizeof(buf)), d->count);
		fputs("\n\n", m);
		blocks[nb++] = p;
	}
	if (out_close(c, f, dat) < 0 || out_close(c, m, mdat) < 0)
		return -1;
	ci->cdf_prios = nb;
	ci->floor_prios = nfloor;
	snprintf(ci->floor_note, sizeof(ci->floor_note), "%s", floor_note);

	snprintf(title, sizeof(title), "%s: wait latency (ready to run) by "
		 "percentile", label);
	gp_begin(gp, svg, CDF_W, SMALL_H + 20, title);
	if (nb == 0) {
		gp_empty(gp, "no task ran");
		return 0;
	}
	fprintf(gp, "set logscale y 10\nset yrange [%g:%g]\n"
		"set xrange [0:%g]\nset ytics (", FLOOR_MS * 0.6, ymax, xmax);
	{
		static const char *const dec[] = {
			"1 us", "10 us", "100 us", "1 ms", "10 ms", "100 ms",
			"1 s", "10 s", "100 s",
		};
		double y = 0.001;

		for (k = 0; k < sizeof(dec) / sizeof(dec[0]) && y <= ymax;
		     k++, y *= 10)
			fprintf(gp, "%s'%s' %g", k ? ", " : "", dec[k], y);
		for (; y <= ymax; y *= 10)
			fprintf(gp, ", '%g s' %g", y / 1000, y);
	}
	fputs(")\nset xtics (", gp);
	for (k = 0; k <= (unsigned)xmax; k++) {
		static const char *const q[] = {
			"p0", "p90", "p99", "p99.9", "p99.99", "p99.999",
			"p99.9999", "p99.99999", "p99.999999",
		};

		fprintf(gp, "%s'%s' %u", k ? ", " : "", k < 9 ? q[k] : "",
			k);
	}
	fprintf(gp, ", 'p50' %.9g)\n"
		"set xlabel 'percentile of the waits (each step right: ten "
		"times rarer)'\nset ylabel 'wait, log scale'\n"
		"set key outside right top\n"
		"set arrow 1 from graph 0, first %.9g to graph 1, first %.9g "
		"nohead dt 2 lc rgb '#999999'\n"
		"set label 2 'starve threshold' at graph 0.01, first %.9g "
		"left offset 0,0.6 tc rgb '#777777'\n",
		nines(0.5), ms(c->r->cfg.starve_ns), ms(c->r->cfg.starve_ns),
		ms(c->r->cfg.starve_ns));
	if (has_floor) {
		/* The floor: a line of its own, and what it means. */
		char note[400];

		fprintf(gp, "set ytics add ('0 or < 1 us' %g)\n"
			"set arrow 3 from graph 0, first %g to graph 1, "
			"first %g nohead dt 3 lc rgb '#bbbbbb'\n", FLOOR_MS,
			sqrt(FLOOR_MS * 0.001), sqrt(FLOOR_MS * 0.001));
		snprintf(note, sizeof(note), "bottom line: waits under 1 us, "
			 "0 among them (a log axis has no 0)%s%s%s",
			 nfloor ? "; all of " : "", floor_note,
			 nfloor ? " waits" : "");
		fputs("set label 4 ", gp);
		gp_str(gp, note, 200);
		fprintf(gp, " at graph 0.01, first %g left offset 0,0.7 "
			"tc rgb '#555555'\n", sqrt(FLOOR_MS * 0.001));
	}
	fputs("plot", gp);
	for (k = 0; k < nb; k++) {
		p = blocks[k];
		fprintf(gp, "%s \\\n  '%s' index %u using 1:2 with steps "
			"lw 1.6 lc rgb '%s' notitle", k ? "," : "", dat, k,
			lane_rgb[p + 1]);
	}
	/* The markers, with their values on hover; the key shows line and
	 * marker together. */
	for (k = 0; k < nb; k++) {
		p = blocks[k];
		fprintf(gp, ", \\\n  '%s' index %u using 1:2:3 with labels "
			"hypertext point pt %d ps 1.1 lc rgb '%s' notitle",
			mdat, k, prio_pt[p], lane_rgb[p + 1]);
	}
	for (k = 0; k < nb; k++) {
		p = blocks[k];
		fprintf(gp, ", \\\n  keyentry with linespoints lw 1.6 pt %d "
			"ps 1.1 lc rgb '%s' title '%s (%" PRIu64 ")'",
			prio_pt[p], lane_rgb[p + 1], an_prio_name(p),
			l->prio[p].wait.count);
	}
	fputc('\n', gp);
	return 0;
}

/* The loop's span for the time axes: at least a µs, so that a loop seen
 * at one instant still has an axis. */
static int64_t loop_span(const struct an_loop *l)
{
	int64_t span = l->last - l->first;

	return span < 1000 ? 1000 : span;
}

static double rel_s(const struct an_loop *l, int64_t t)
{
	return (double)(t - l->first) / 1e9;
}

/* A colour, paled towards white: k = 1 is the colour itself. */
static int rgb_pale(int rgb, double k)
{
	int out = 0, sh;

	for (sh = 0; sh <= 16; sh += 8) {
		int v = (rgb >> sh) & 0xff;

		out |= (255 - (int)((255 - v) * k + 0.5)) << sh;
	}
	return out;
}

static int rgb_int(const char *hex)
{
	return (int)strtol(hex + 1, NULL, 16);
}

/* A timeline's window of loop time. */
struct window {
	int64_t from, to;
	const char *kind;    /* "timeline" or "detail" */
};

/* The box being grown on a lane: runs less than a pixel apart; their run
 * time per colour slot (top_slot()). */
struct tl_box {
	bool open;
	int64_t begin, end, busy;
	size_t runs;
	int64_t slot_busy[TOP_TASKS + 1];
};

/* Where a timeline's boxes go: their data, hover texts and names. */
struct tl_out {
	const struct an_loop *l;
	const struct top_tasks *tt;
	double px;
	FILE *runs, *hover, *names;
	size_t boxes, hovers, nnames;
	bool seen[TOP_TASKS + 1]; /* colour slots drawn, for the key */
};

/* The name of a box's colour slot. */
static const char *slot_name(const struct top_tasks *tt, unsigned slot,
			     bool performer)
{
	if (performer)
		return "performer work";
	return slot < tt->n ? task_name(tt->t[slot]) : "other tasks";
}

/*
 * Writes box b of lane y (named lane: a priority, or "performer work"):
 * coloured by the task that ran most of it (a top task's colour, else the
 * neutral one), shaded by how busy its runs kept the lane (pale: short
 * runs far apart; full colour: busy throughout; a lone run is in full
 * colour, however short), at least a pixel wide; its hover text; its
 * task's name on it if it is wide enough and one task ran most of it.
 */
static void tl_flush(struct tl_out *o, struct tl_box *b, int y,
		     const char *lane, bool performer)
{
	const struct an_loop *l = o->l;
	double end = (double)b->end, w_px;
	unsigned slot = 0, k;
	int rgb;
	char d1[48], d2[48];
	const char *who;

	for (k = 1; k <= o->tt->n; k++)
		if (b->slot_busy[k] > b->slot_busy[slot])
			slot = k;
	if (performer)
		slot = o->tt->n;
	who = slot_name(o->tt, slot, performer);
	rgb = rgb_int(slot_rgb(o->tt, slot));
	if (b->runs > 1 && b->end > b->begin)
		rgb = rgb_pale(rgb, 0.25 + 0.75 * (double)b->busy /
			       (double)(b->end - b->begin));
	if (end - (double)b->begin < o->px)
		end = (double)b->begin + o->px;
	fprintf(o->runs, "%.9g %.9g %d %d %zu\n", rel_s(l, b->begin),
		(end - (double)l->first) / 1e9, y, rgb, b->runs);
	o->boxes++;
	o->seen[slot] = true;
	if (b->runs == 1)
		hover(o->hover, (rel_s(l, b->begin) + (end - (double)l->first) /
				 1e9) / 2, y, "%s (%s): a run at +%.6f s, %s",
		      who, lane, rel_s(l, b->begin),
		      an_fmt_ns(b->end - b->begin, d1, sizeof(d1)));
	else if (performer)
		/* The lane says it: no "most of it performer work". */
		hover(o->hover, (rel_s(l, b->begin) + (end - (double)l->first) /
				 1e9) / 2, y, "%s: %zu runs from +%.6f s to "
		      "+%.6f s, %s running", lane, b->runs,
		      rel_s(l, b->begin), rel_s(l, b->end),
		      an_fmt_ns(b->busy, d2, sizeof(d2)));
	else
		hover(o->hover, (rel_s(l, b->begin) + (end - (double)l->first) /
				 1e9) / 2, y, "%s: %zu runs from +%.6f s to "
		      "+%.6f s, %s running; most of it %s", lane, b->runs,
		      rel_s(l, b->begin), rel_s(l, b->end),
		      an_fmt_ns(b->busy, d2, sizeof(d2)), who);
	o->hovers++;
	/* Its name on it: white on a dark colour, black on a light one. */
	w_px = (end - (double)b->begin) / o->px;
	if (!performer && slot < o->tt->n && w_px >= BOX_LABEL_PX &&
	    2 * b->slot_busy[slot] >= b->busy) {
		int lum = (299 * ((rgb >> 16) & 0xff) + 587 *
			   ((rgb >> 8) & 0xff) + 114 * (rgb & 0xff)) / 1000;

		fprintf(o->names, "%.9g %d %d ", (rel_s(l, b->begin) +
			(end - (double)l->first) / 1e9) / 2, y,
			lum < 150 ? 0xffffff : 0x000000);
		hv_str(o->names, who, (size_t)(w_px - 6) / 7);
		o->nnames++;
	}
	b->open = false;
}

/* Adds run to the box of lane y: a run that begins within a pixel of the
 * box's end extends it; another flushes it and starts a new one. */
static void tl_add(struct tl_out *o, struct tl_box *b, const struct an_run *run,
		   int y, const char *lane)
{
	int64_t end = run->end > run->begin ? run->end : run->begin;
	unsigned slot = top_slot(o->tt, run->task);

	if (b->open && (double)(run->begin - b->end) < o->px) {
		if (end > b->end)
			b->end = end;
		b->busy += end - run->begin;
		b->slot_busy[slot] += end - run->begin;
		b->runs++;
		return;
	}
	if (b->open)
		tl_flush(o, b, y, lane, !run->task);
	memset(b, 0, sizeof(*b));
	*b = (struct tl_box){ true, run->begin, end, end - run->begin, 1,
			      { 0 } };
	b->slot_busy[slot] = end - run->begin;
}

/* The hatched intervals of a lane (starvation, task waits), merged as
 * runs are: those less than a pixel apart share a box, with one hover
 * text (a trace may hold thousands). */
struct span_box {
	bool open, open_at_end;
	int64_t begin, end;     /* of the box, inside the window */
	int64_t longest, longest_at;
	size_t n;
};

static void span_flush(struct tl_out *o, FILE *f, struct span_box *sb, int y,
		       const char *who, bool wait)
{
	const struct an_loop *l = o->l;
	double end = (double)sb->end, mid;
	char d[48];

	if (!sb->open)
		return;
	if (end - (double)sb->begin < o->px)
		end = (double)sb->begin + o->px;
	fprintf(f, "%.9g %.9g %d %zu\n", rel_s(l, sb->begin),
		(end - (double)l->first) / 1e9, y, sb->n);
	mid = (rel_s(l, sb->begin) + (end - (double)l->first) / 1e9) / 2;
	an_fmt_ns(sb->longest, d, sizeof(d));
	if (sb->n == 1)
		hover(o->hover, mid, y, wait ? "%s waited %s from +%.6f s%s" :
		      "%s starving for %s from +%.6f s%s", who, d,
		      rel_s(l, sb->longest_at), sb->open_at_end ?
		      " (still at the end)" : "");
	else
		hover(o->hover, mid, y, "%s: %zu %s from +%.6f s to +%.6f s, "
		      "the longest %s from +%.6f s%s", who, sb->n,
		      wait ? "waits" : "starvation intervals",
		      rel_s(l, sb->begin), rel_s(l, sb->end), d,
		      rel_s(l, sb->longest_at), sb->open_at_end ?
		      " (the last still at the end)" : "");
	o->hovers++;
	sb->open = false;
}

/* Adds the interval [start, stop) (clipped to the window w) to lane y's
 * box; flushes the box first if it is more than a pixel before it. */
static void span_add(struct tl_out *o, FILE *f, struct span_box *sb,
		     const struct window *w, int64_t start, int64_t stop,
		     bool open_at_end, int y, const char *who, bool wait)
{
	int64_t b0 = start > w->from ? start : w->from;
	int64_t e0 = stop < w->to ? stop : w->to;

	if (sb->open && (double)(b0 - sb->end) >= o->px)
		span_flush(o, f, sb, y, who, wait);
	if (!sb->open) {
		*sb = (struct span_box){ .open = true, .begin = b0, .end = e0,
					 .longest = -1 };
	}
	if (e0 > sb->end)
		sb->end = e0;
	if (stop - start > sb->longest) {
		sb->longest = stop - start;
		sb->longest_at = start;
	}
	sb->open_at_end = open_at_end;
	sb->n++;
}

/* ---- task lanes: the victims and culprits of task waits ------------------ */

#define TASK_LANES_MAX 6

struct task_lane {
	const struct an_task *task;
	bool victim;            /* else a culprit */
	struct tl_box box;
};

static bool lane_has(const struct task_lane *tl, size_t n,
		     const struct an_task *t)
{
	for (size_t i = 0; i < n; i++)
		if (tl[i].task == t)
			return true;
	return false;
}

/* The tasks of the starving-task findings (longest wait first), each
 * followed by the top culprit of its longest wait, up to max lanes. */
static size_t task_lanes_pick(const struct an_loop *l, struct task_lane *tl,
			      size_t max)
{
	size_t n = 0;

	while (n < max) {
		const struct an_task *v = NULL;
		const struct an_task_starve *worst = NULL;

		for (size_t i = 0; i < l->ntasks; i++) {
			const struct an_task *t = l->tasks[i];

			if (t->starves && !lane_has(tl, n, t) &&
			    (!v || t->longest_starve_ns > v->longest_starve_ns))
				v = t;
		}
		if (!v)
			break;
		tl[n++] = (struct task_lane){ .task = v, .victim = true };
		for (size_t i = 0; i < l->ntstarves; i++)
			if (l->tstarves[i].task == v &&
			    (!worst || l->tstarves[i].end - l->tstarves[i].start >
					       worst->end - worst->start))
				worst = &l->tstarves[i];
		if (n < max && worst && worst->nblame && worst->blame[0].task &&
		    !lane_has(tl, n, worst->blame[0].task))
			tl[n++] = (struct task_lane){
				.task = worst->blame[0].task, .victim = false,
			};
	}
	return n;
}

/*
 * Writes the task lanes' data for window w: their runs as boxes (lanes
 * first.. first + n - 1, coloured as the lanes above are) through o, the
 * victims' waits in wdat (and their hover texts). Counts the waits.
 */
static int task_lanes_data(struct ctx *c, const struct window *w,
			   struct task_lane *tl, size_t n, int first,
			   struct tl_out *o, const char *wdat, size_t *waits)
{
	const struct an_loop *l = o->l;
	FILE *f = out_open(c, wdat);

	*waits = 0;
	if (!f)
		return -1;
	fputs("# task waits of at least the starve threshold; those less than "
	      "a pixel apart share a box\n# begin_s end_s lane waits\n", f);
	for (size_t k = 0; k < n; k++) {
		struct span_box sb = { 0 };

		if (!tl[k].victim)
			continue;
		/* tstarves is in time order. */
		for (size_t i = 0; i < l->ntstarves; i++) {
			const struct an_task_starve *s = &l->tstarves[i];

			if (tl[k].task != s->task || s->end < w->from ||
			    s->start > w->to)
				continue;
			span_add(o, f, &sb, w, s->start, s->end,
				 s->open_at_end, first + (int)k,
				 task_name(s->task), true);
			(*waits)++;
		}
		span_flush(o, f, &sb, first + (int)k, task_name(tl[k].task),
			   true);
	}
	if (out_close(c, f, wdat) < 0)
		return -1;
	for (size_t i = 0; i < l->nruns; i++) {
		const struct an_run *run = &l->runs[i];
		int64_t end = run->end > run->begin ? run->end : run->begin;

		if (!run->task || end < w->from || run->begin > w->to)
			continue;
		for (size_t k = 0; k < n; k++)
			if (tl[k].task == run->task &&
			    run->prio >= 0 && run->prio < AN_PRIOS)
				tl_add(o, &tl[k].box, run, first + (int)k,
				       an_prio_name(run->prio));
	}
	for (size_t k = 0; k < n; k++)
		if (tl[k].box.open)
			tl_flush(o, &tl[k].box, first + (int)k,
				 an_prio_name(tl[k].task->prio), false);
	return 0;
}

/*
 * Timeline: a lane per priority (and one for performer work), a box per
 * run, starvation intervals shaded; within the window w. Runs less than
 * a pixel apart share a box: at most about one box per pixel and lane,
 * however long the trace.
 */
/*
 * The trigger of each flight-recorder save of loop l inside [from, to], as
 * a vertical line across the chart with its rule (sp_flight()); label:
 * the rule's name too (the top strip of a stacked chart only). Returns
 * how many.
 */
static unsigned gp_flight_marks(FILE *gp, const struct an_result *r,
				const struct an_loop *l, int64_t from,
				int64_t to, bool label)
{
	const struct fm_set *fs = sp_flight();
	unsigned n = 0;

	for (size_t i = 0; fs && i < fs->n; i++) {
		const struct fm_mark *m = &fs->v[i];
		int64_t at;
		double x;

		if (fm_is_exit(m) || fm_loop(m, r) != l ||
		    !fm_at(m, l, &at) || m->time < from || m->time > to)
			continue;
		x = (double)at / 1e9;
		fprintf(gp, "set arrow from %.9g, graph 0 to %.9g, graph 1 "
			"nohead front lw 2 lc rgb '%s'\n", x, x, FLIGHT_RGB);
		if (label) {
			char text[300];

			snprintf(text, sizeof(text), "save %" PRId64 ": %s",
				 m->save, m->rule);
			fputs("set label ", gp);
			gp_str(gp, text, LABEL_MAX + 20);
			fprintf(gp, " at %.9g, graph 1 left offset 0.5,-0.8 "
				"front tc rgb '%s'\n", x, FLIGHT_RGB);
		}
		n++;
	}
	return n;
}

static int chart_timeline(struct ctx *c, FILE *gp, size_t li,
			  const struct an_loop *l, const char *label,
			  const struct window *w, const struct top_tasks *tt,
			  struct tl_info *ti)
{
	char rdat[64], sdat[64], svg[64], kind[32], title[300], thr[48];
	char wdat[64], hdat[64], ndat[64];
	int lane_of[AN_PRIOS + 1], nl = 0, p, k, keys = 2;
	size_t per_lane[AN_PRIOS + 1] = { 0 };
	struct tl_box box[AN_PRIOS + 1];
	struct task_lane tl[TASK_LANES_MAX];
	struct tl_out o = { .l = l, .tt = tt };
	size_t i, starves = 0, runs = 0, ntl, twaits = 0;
	FILE *f;

	o.px = (double)(w->to - w->from) / CHART_PX;
	memset(box, 0, sizeof(box));
	for (i = 0; i < l->nruns; i++)
		if (l->runs[i].prio >= -1 && l->runs[i].prio < AN_PRIOS)
			per_lane[l->runs[i].prio + 1]++;
	/* The same lanes in both windows, for comparison. */
	for (k = 0; k <= AN_PRIOS; k++) {
		const struct an_prio *ap = k ? &l->prio[k - 1] : NULL;

		lane_of[k] = -1;
		if (per_lane[k] || (ap && (ap->fired || ap->nstarves)))
			lane_of[k] = nl++;
	}
	ti->px_ns = o.px;

	snprintf(kind, sizeof(kind), "%s-hover", w->kind);
	chart_name(hdat, sizeof(hdat), li, kind, "dat");
	o.hover = out_open(c, hdat);
	if (!o.hover)
		return -1;
	fputs("# what the chart says on hover, at each box's centre\n"
	      "# time_s lane \"text\"\n", o.hover);
	snprintf(kind, sizeof(kind), "%s-names", w->kind);
	chart_name(ndat, sizeof(ndat), li, kind, "dat");
	o.names = out_open(c, ndat);
	if (!o.names) {
		fclose(o.hover);
		return -1;
	}
	fputs("# the task names written on the boxes wide enough\n"
	      "# time_s lane text_rgb \"name\"\n", o.names);

	snprintf(kind, sizeof(kind), "%s-starve", w->kind);
	chart_name(sdat, sizeof(sdat), li, kind, "dat");
	f = out_open(c, sdat);
	if (!f)
		goto out_close_names;
	fprintf(f, "# %s: starvation intervals; those less than a pixel apart "
		"share a box\n# begin_s end_s lane intervals\n", label);
	for (p = 0; p < AN_PRIOS; p++) {
		const struct an_prio *ap = &l->prio[p];
		struct span_box sb = { 0 };

		for (i = 0; i < ap->nstarves; i++) {
			const struct an_starve *s = &ap->starves[i];

			if (s->end < w->from || s->start > w->to)
				continue;
			span_add(&o, f, &sb, w, s->start, s->end,
				 s->open_at_end, lane_of[p + 1],
				 an_prio_name(p), false);
			starves++;
		}
		span_flush(&o, f, &sb, lane_of[p + 1], an_prio_name(p), false);
	}
	if (out_close(c, f, sdat) < 0)
		goto out_close_names;

	snprintf(kind, sizeof(kind), "%s-runs", w->kind);
	chart_name(rdat, sizeof(rdat), li, kind, "dat");
	o.runs = out_open(c, rdat);
	if (!o.runs)
		goto out_close_names;
	fprintf(o.runs, "# %s: runs; those less than %.0f ns (a pixel) "
		"apart share a box\n# begin_s end_s lane rgb runs\n", label,
		o.px);
	for (i = 0; i < l->nruns; i++) {
		const struct an_run *run = &l->runs[i];
		int64_t end = run->end > run->begin ? run->end : run->begin;
		int ln = run->prio + 1;

		if (ln < 0 || ln > AN_PRIOS || end < w->from ||
		    run->begin > w->to)
			continue;
		runs++;
		tl_add(&o, &box[ln], run, lane_of[ln],
		       ln ? an_prio_name(ln - 1) : "performer work");
	}
	for (k = 0; k <= AN_PRIOS; k++)
		if (box[k].open)
			tl_flush(&o, &box[k], lane_of[k],
				 k ? an_prio_name(k - 1) : "performer work",
				 k == 0);
	ti->runs = runs;
	ti->starves = starves;

	memset(tl, 0, sizeof(tl));
	ntl = nl ? task_lanes_pick(l, tl, TASK_LANES_MAX) : 0;
	if (ntl) {
		snprintf(kind, sizeof(kind), "%s-twait", w->kind);
		chart_name(wdat, sizeof(wdat), li, kind, "dat");
		if (task_lanes_data(c, w, tl, ntl, nl, &o, wdat, &twaits) < 0)
			goto out_close_runs;
	}
	ti->boxes = o.boxes;
	ti->task_lanes = ntl;
	ti->task_waits = twaits;
	ti->names = o.nnames;
	if (out_close(c, o.runs, rdat) < 0 ||
	    out_close(c, o.names, ndat) < 0 ||
	    out_close(c, o.hover, hdat) < 0)
		return -1;

	if (!strcmp(w->kind, "detail"))
		snprintf(title, sizeof(title), "%s: task runs, detail of "
			 "%.6f s to %.6f s", label, rel_s(l, w->from),
			 rel_s(l, w->to));
	else
		snprintf(title, sizeof(title), "%s: task runs per priority, "
			 "coloured by task", label);
	for (k = 0; k <= (int)tt->n; k++)
		keys += o.seen[k];
	chart_name(svg, sizeof(svg), li, w->kind, "svg");
	gp_begin(gp, svg, CHART_W, 110 + 34 * (nl ? nl + (int)ntl : 3) +
		 18 * ((keys + 3) / 4), title);
	if (nl == 0) {
		gp_empty(gp, "no task ran");
		return 0;
	}
	fprintf(gp, "set lmargin at screen %.6f\nset rmargin at screen %.6f\n"
		"set xrange [%.9g:%.9g]\nset yrange [%d.5:-0.5]\n"
		"set xlabel 'time (s) from the loop''s first event'\n"
		"set grid noytics\nset key below maxcols 4\nset ytics (",
		chart_l(), chart_r(), rel_s(l, w->from), rel_s(l, w->to),
		nl + (int)ntl - 1);
	for (k = 0; k <= AN_PRIOS; k++) {
		if (lane_of[k] < 0)
			continue;
		fprintf(gp, "%s'%s' %d", lane_of[k] ? ", " : "",
			k ? an_prio_name(k - 1) : "performer work",
			lane_of[k]);
	}
	for (i = 0; i < ntl; i++) {
		char name[96];

		snprintf(name, sizeof(name), "%.*s (%s)", LANE_LABEL_MAX,
			 task_name(tl[i].task),
			 tl[i].victim ? "waits" : "culprit");
		fputs(", ", gp);
		gp_tic_str(gp, name, LANE_LABEL_MAX + 12);
		fprintf(gp, " %d", nl + (int)i);
	}
	fputs(")\n", gp);
	gp_flight_marks(gp, c->r, l, w->from, w->to, true);
	if (ntl) /* the task lanes below a line */
		fprintf(gp, "set arrow from graph 0, first %d.5 to graph 1, "
			"first %d.5 nohead lc rgb '#888888' dt 2\n", nl - 1,
			nl - 1);
	/* An empty file would make gnuplot fail: plot only what exists
	 * (every window has a box: its lanes have runs in the loop, and the
	 * window holds a run at least). */
	fputs("plot", gp);
	if (starves)
		fprintf(gp, " \\\n  '%s' using (($1+$2)/2):3:(($2-$1)/2):"
			"(0.5) with boxxyerror fs transparent pattern 4 "
			"border lc rgb '#d62728' lc rgb '#d62728' "
			"title 'starving (ready, "
			"no run for %s or more)'%s", sdat,
			an_fmt_ns(c->r->cfg.starve_ns, thr, sizeof(thr)),
			o.boxes ? "," : "");
	if (o.boxes)
		fprintf(gp, " \\\n  '%s' using (($1+$2)/2):3:(($2-$1)/2):"
			"(0.3):4 with boxxyerror fs solid 1 noborder "
			"lc rgb variable notitle", rdat);
	if (!o.boxes && !starves) {
		fputs(" NaN notitle\n", gp);
		return 0;
	}
	if (twaits)
		fprintf(gp, ", \\\n  '%s' using (($1+$2)/2):3:(($2-$1)/2):"
			"(0.5) with boxxyerror fs transparent pattern 5 "
			"border lc rgb '#9467bd' lc rgb '#9467bd' "
			"title 'task waiting (%s or more)'", wdat,
			an_fmt_ns(c->r->cfg.starve_ns, thr, sizeof(thr)));
	if (o.nnames)
		fprintf(gp, ", \\\n  '%s' using 1:2:4:3 with labels center "
			"tc rgb variable notitle", ndat);
	/* The key: a colour per task. */
	for (k = 0; k <= (int)tt->n; k++) {
		if (!o.seen[k])
			continue;
		fprintf(gp, ", \\\n  keyentry with boxes fs solid 1 noborder "
			"lc rgb '%s' title ", slot_rgb(tt, (unsigned)k));
		gp_str(gp, k < (int)tt->n ? task_name(tt->t[k]) :
		       lane_of[0] >= 0 ? "other tasks, performer work" :
		       "other tasks", LABEL_MAX);
	}
	if (o.hovers) {
		fputs(", \\\n  ", gp);
		gp_hover(gp, hdat, 2.2);
	}
	fputc('\n', gp);
	return 0;

out_close_runs:
	fclose(o.runs);
out_close_names:
	fclose(o.names);
	fclose(o.hover);
	return -1;
}

/*
 * The detail window of a loop with many runs: DETAIL_RUNS consecutive
 * runs, from a little before the start of its longest starvation
 * interval (what a reader wants to see), else before its longest run.
 * False if the loop has too few runs for the overview to hide anything.
 */
static bool detail_window(const struct an_loop *l, struct window *w,
			  char *why, size_t len)
{
	const struct an_starve *worst = NULL;
	int64_t anchor, longest = -1;
	size_t i, a = 0, i0, i1;
	int p;

	if (l->nruns <= DETAIL_MIN_RUNS)
		return false;
	for (p = 0; p < AN_PRIOS; p++)
		for (i = 0; i < l->prio[p].nstarves; i++) {
			const struct an_starve *s = &l->prio[p].starves[i];

			if (!worst || s->end - s->start >
				      worst->end - worst->start)
				worst = s;
		}
	if (worst) {
		anchor = worst->start;
		snprintf(why, len, "from just before the longest starvation "
			 "interval (%s)", an_prio_name(worst->prio));
	} else {
		anchor = l->runs[0].begin;
		for (i = 0; i < l->nruns; i++)
			if (l->runs[i].end - l->runs[i].begin > longest) {
				longest = l->runs[i].end - l->runs[i].begin;
				anchor = l->runs[i].begin;
			}
		snprintf(why, len, "around the longest run");
	}
	while (a < l->nruns && l->runs[a].begin < anchor)
		a++;
	i0 = a > DETAIL_RUNS / 10 ? a - DETAIL_RUNS / 10 : 0;
	i1 = i0 + DETAIL_RUNS - 1;
	if (i1 >= l->nruns) {
		i1 = l->nruns - 1;
		i0 = i1 + 1 > DETAIL_RUNS ? i1 + 1 - DETAIL_RUNS : 0;
	}
	w->from = l->runs[i0].begin;
	w->to = l->runs[i1].end;
	for (i = i0; i <= i1; i++)
		if (l->runs[i].end > w->to)
			w->to = l->runs[i].end;
	if (w->to - w->from < 1000)
		w->to = w->from + 1000;
	w->kind = "detail";
	return true;
}

/* Run-time distribution of the top tasks by total run time, each in its
 * timeline colour: a box from p25 to p75, the median, whiskers from min
 * to max, p99 marked; each task's figures on hover. */
static int chart_runtime(struct ctx *c, FILE *gp, size_t li,
			 const struct an_loop *l, const char *label,
			 const struct top_tasks *tt, struct chart_info *ci)
{
	char dat[64], hdat[64], svg[64], title[300];
	char b[6][48];
	unsigned n = tt->n, k;
	FILE *f, *h;

	ci->top = n;
	chart_name(dat, sizeof(dat), li, "runtime", "dat");
	chart_name(hdat, sizeof(hdat), li, "runtime-hover", "dat");
	chart_name(svg, sizeof(svg), li, "runtime", "svg");
	f = out_open(c, dat);
	if (!f)
		return -1;
	h = out_open(c, hdat);
	if (!h) {
		fclose(f);
		return -1;
	}
	fprintf(f, "# %s: run time (ms) of the top tasks by total run "
		"time\n# rank min p25 p50 p75 p99 max runs task_id rgb\n",
		label);
	fputs("# rank run_ms \"hover text\": at the median and at p99\n", h);
	for (k = 0; k < n; k++) {
		struct an_task *t = (struct an_task *)tt->t[k];
		struct an_dist *d = &t->run;

		fprintf(f, "%u %.9g %.9g %.9g %.9g %.9g %.9g %" PRIu64
			" %" PRIu64 " %d\n", k + 1, log_ms(d->min),
			log_ms(an_pct(d, 25)), log_ms(an_pct(d, 50)),
			log_ms(an_pct(d, 75)), log_ms(an_pct(d, 99)),
			log_ms(d->max), t->runs, t->id,
			rgb_int(task_rgb[k]));
		hover(h, k + 1, log_ms(an_pct(d, 50)), "%s (%s): %" PRIu64
		      " runs, %s in all; min %s, median %s, p99 %s, max %s",
		      task_name(t), an_prio_name(t->prio), t->runs,
		      an_fmt_ns(t->run_total, b[0], sizeof(b[0])),
		      an_fmt_ns(d->min, b[1], sizeof(b[1])),
		      an_fmt_ns(an_pct(d, 50), b[2], sizeof(b[2])),
		      an_fmt_ns(an_pct(d, 99), b[3], sizeof(b[3])),
		      an_fmt_ns(d->max, b[4], sizeof(b[4])));
		hover(h, k + 1, log_ms(an_pct(d, 99)), "%s: run time p99 %s "
		      "(%" PRIu64 " %s)", task_name(t),
		      an_fmt_ns(an_pct(d, 99), b[5], sizeof(b[5])), t->runs,
		      tw_noun(t->runs, "run", "runs"));
	}
	if (out_close(c, f, dat) < 0 || out_close(c, h, hdat) < 0)
		return -1;

	snprintf(title, sizeof(title), "%s: run time of the top %u tasks",
		 label, n);
	gp_begin(gp, svg, SMALL_W, SMALL_H + 40, title);
	if (n == 0) {
		gp_empty(gp, "no task ran");
		return 0;
	}
	fprintf(gp, "set logscale y 10\nset format y '%%g'\n"
		"set ylabel 'run time (ms), log scale'\n"
		"set xrange [0.4:%u.6]\nset key top right\n"
		"set boxwidth 0.5\nset xtics rotate by -25 nomirror (",
		n);
	for (k = 0; k < n; k++) {
		fputs(k ? ", " : "", gp);
		gp_tic_str(gp, task_name(tt->t[k]), LABEL_MAX);
		fprintf(gp, " %u", k + 1);
	}
	fprintf(gp, ")\n"
		"plot '%s' using 1:3:2:7:5:10 with candlesticks whiskerbars "
		"0.5 fs solid 0.45 lc rgb variable notitle, \\\n"
		"  keyentry with boxes fs solid 0.45 lc rgb '%s' "
		"title 'p25-p75, min-max', \\\n"
		"  '' using 1:4:4:4:4 with candlesticks lw 2 lc rgb '#000000' "
		"title 'median', \\\n"
		"  '' using 1:6 with points pt 2 ps 1.2 lc rgb '#d62728' "
		"title 'p99', \\\n"
		"  %.9g with lines dt 2 lc rgb '#999999' "
		"title 'long-task threshold', \\\n  ", dat, TASK_OTHER_RGB,
		ms(c->r->cfg.long_task_ns));
	gp_hover(gp, hdat, 1.6);
	fputc('\n', gp);
	return 0;
}

/* Where the depth chart's hover texts are: the rises, at most one per
 * DEPTH_HOVER_PX pixels of a strip (each costs some 300 bytes of SVG). */
#define DEPTH_HOVER_PX 3

struct depth_hover {
	FILE *h;
	double min_dx;   /* DEPTH_HOVER_PX, in s */
	double last_x;   /* of the last one */
	uint32_t prev;   /* the depth before */
};

/* A point of the depth chart; where the depth rises, its hover text. */
static void depth_pt(FILE *f, struct depth_hover *dh, double x,
		     uint32_t depth, int p)
{
	fprintf(f, "%.9g %" PRIu32 "\n", x, depth);
	if (depth > dh->prev && x - dh->last_x >= dh->min_dx) {
		hover(dh->h, x, depth, "%s: %" PRIu32 " ready at +%.6f s",
		      an_prio_name(p), depth, x);
		dh->last_x = x;
	}
	dh->prev = depth;
}

/* Ready-queue depth per priority over time, as steps, each rise's value
 * on hover. */
static int chart_depth(struct ctx *c, FILE *gp, size_t li,
		       const struct an_loop *l, const char *label,
		       struct chart_info *ci)
{
	char dat[64], hdat[64], svg[64], title[300];
	int blocks[AN_PRIOS], p;
	unsigned nb = 0, k, marks = 0;
	double px = (double)loop_span(l) / CHART_PX;
	size_t i;
	FILE *f, *h;

	chart_name(dat, sizeof(dat), li, "depth", "dat");
	chart_name(hdat, sizeof(hdat), li, "depth-hover", "dat");
	chart_name(svg, sizeof(svg), li, "depth", "svg");
	f = out_open(c, dat);
	if (!f)
		return -1;
	h = out_open(c, hdat);
	if (!h) {
		fclose(f);
		return -1;
	}
	fputs("# the rises of the depth, one block per priority\n"
	      "# time_s depth \"hover text\"\n", h);
	fprintf(f, "# %s: ready tasks per priority, one block per priority "
		"(gnuplot index)\n# time_s depth\n", label);
	for (p = 0; p < AN_PRIOS; p++) {
		const struct an_prio *ap = &l->prio[p];
		uint32_t last = 0, top = 0;
		int64_t bucket = -1;
		struct depth_hover dh = {
			h, DEPTH_HOVER_PX * px / 1e9, -1e300, 0
		};

		if (ap->ndepth == 0 || ap->max_depth == 0)
			continue;
		fprintf(f, "# %s\n", an_prio_name(p));
		fprintf(h, "# %s\n", an_prio_name(p));
		if (ap->ndepth <= 4 * CHART_PX) {
			for (i = 0; i < ap->ndepth; i++)
				depth_pt(f, &dh, rel_s(l, ap->depth[i].t),
					 ap->depth[i].depth, p);
			last = ap->depth[ap->ndepth - 1].depth;
		} else {
			/* Per pixel: the highest depth, then (a pixel
			 * later) the one it settled to, if lower. */
			ci->depth_reduced = true;
			for (i = 0; i <= ap->ndepth; i++) {
				const struct an_depth *d =
					i < ap->ndepth ? &ap->depth[i] : NULL;
				int64_t b = d ? (int64_t)((double)(d->t -
					l->first) / px) : -2;

				if (b != bucket && bucket >= 0) {
					depth_pt(f, &dh, (double)bucket * px /
						 1e9, top, p);
					if (last != top)
						depth_pt(f, &dh, (double)(bucket
							 + 1) * px / 1e9, last,
							 p);
				}
				if (!d)
					break;
				if (b != bucket) {
					bucket = b < 0 ? 0 : b;
					top = d->depth;
				} else if (d->depth > top) {
					top = d->depth;
				}
				last = d->depth;
			}
		}
		/* The last level lasts to the end of the loop. */
		fprintf(f, "%.9g %" PRIu32 "\n\n\n", rel_s(l, l->last), last);
		fputs("\n\n", h);
		blocks[nb++] = p;
	}
	if (out_close(c, f, dat) < 0 || out_close(c, h, hdat) < 0)
		return -1;
	ci->depth_prios = nb;

	snprintf(title, sizeof(title), "%s: ready-queue depth per priority",
		 label);
	/* One strip per priority, stacked on a shared time axis: curves of
	 * eight priorities on one plot hide each other. */
	gp_begin(gp, svg, CHART_W, nb ? 90 + 64 * (int)nb : SMALL_H, title);
	if (nb == 0) {
		gp_empty(gp, "no task was ever ready");
		return 0;
	}
	/* The left margin holds each strip's label (the priority and its
	 * maximum), right-aligned so that the longest, DEFAULT_IDLE, stays
	 * clear of the tick labels and the frame; the margins are the
	 * timeline's, so that the two time axes line up. */
	fputs("unset title\nset multiplot layout ", gp);
	fprintf(gp, "%u,1 margins %.6f,%.6f,%.4f,%.4f spacing 0,0.012 "
		"title ", nb, chart_l(), chart_r(), 56.0 / (90 + 64 * nb),
		1.0 - 30.0 / (90 + 64 * nb));
	gp_str(gp, title, 200);
	fprintf(gp, "\nset xrange [0:%.9g]\nset key off\n"
		"set ylabel offset 0,0 rotate by 0 right\n"
		"set format x ''\n", (double)loop_span(l) / 1e9);
	for (k = 0; k < nb; k++) {
		p = blocks[k];
		/* Arrows and labels stay for the strips after: the line
		 * once, across every strip, the rule on the top one. */
		if (k == 0)
			marks = gp_flight_marks(gp, c->r, l, l->first,
						l->last, true);
		else if (k == 1 && marks)
			fputs("unset label\n", gp);
		if (k + 1 == nb)
			fputs("set format x '%g'\n"
			      "set xlabel 'time (s) from the loop''s first "
			      "event'\n", gp);
		fprintf(gp, "set yrange [0:%.3g]\nset ytics 0, %"
			PRIu32 " nomirror\nset ylabel \"%s\\nmax %" PRIu32
			"\"\nplot '%s' index %u using 1:2 with fillsteps "
			"fs solid 0.35 noborder lc rgb '%s' notitle, \\\n"
			"  '' index %u using 1:2 with steps lw 1 "
			"lc rgb '%s' notitle, \\\n  ", 1.2 * l->prio[p].max_depth,
			l->prio[p].max_depth, an_prio_name(p),
			l->prio[p].max_depth, dat, k, lane_rgb[p + 1], k,
			lane_rgb[p + 1]);
		fprintf(gp, "'%s' index %u using 1:2:3 with labels hypertext "
			"point pt 7 ps 0.8 lc rgb '" HOVER_RGB "' notitle\n",
			hdat, k);
	}
	fputs("unset multiplot\n", gp);
	return 0;
}

/* ---- gnuplot -------------------------------------------------------- */

/* The last non-blank line of OUTDIR/gnuplot.log: gnuplot's error. */
static void gnuplot_error(struct ctx *c, char *buf, size_t len)
{
	char path[PATH_MAX], line[512];
	FILE *f;

	buf[0] = '\0';
	if (out_path(c, path, sizeof(path), "gnuplot.log") < 0)
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		while (n && (line[n - 1] == '\n' || line[n - 1] == ' ' ||
			     line[n - 1] == '\t' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n)
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

/*
 * Runs "gnuplot report.gp" in outdir: fork and exec, no shell. The
 * child's exec error comes back through a close-on-exec pipe, so that a
 * missing gnuplot is told apart from one that failed.
 */
static int run_gnuplot(struct ctx *c)
{
	char log[PATH_MAX], msg[512];
	char *argv[] = { "gnuplot", "report.gp", NULL };
	int pfd[2], status, e = 0;
	ssize_t n;
	pid_t pid;

	if (out_path(c, log, sizeof(log), "gnuplot.log") < 0)
		return -1;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return fail(c, "cannot run gnuplot: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return fail(c, "cannot run gnuplot: %s", strerror(e));
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
			       0666);

		if (in < 0 || out < 0 || chdir(c->outdir) < 0 ||
		    dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
			e = errno;
		} else {
			execvp(argv[0], argv);
			e = errno;
		}
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail(c, "gnuplot: %s", strerror(errno));
	}
	if (n == (ssize_t)sizeof(e)) {
		if (e == ENOENT)
			return fail(c, "gnuplot not found: install "
				    "gnuplot-nox");
		return fail(c, "cannot run gnuplot: %s", strerror(e));
	}
	if (WIFSIGNALED(status))
		return fail(c, "gnuplot killed by signal %d (script %s/"
			    "report.gp)", WTERMSIG(status), c->outdir);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		gnuplot_error(c, msg, sizeof(msg));
		return fail(c, "gnuplot failed (exit %d) on %s/report.gp: %s",
			    WEXITSTATUS(status), c->outdir,
			    msg[0] ? msg : "no message");
	}
	return 0;
}

/* Every chart the script names must now exist, non-empty. */
static int check_charts(struct ctx *c, const struct chart_info *ci)
{
	static const char *const kinds[] = {
		"wait", "timeline", "runtime", "depth", "detail"
	};
	char name[64], path[PATH_MAX];
	struct stat st;
	size_t li;
	unsigned k;

	for (li = 0; li < c->r->nloops; li++) {
		for (k = 0; !ci[li].idle && k < (ci[li].detail ? 5u : 4u); k++) {
			chart_name(name, sizeof(name), li, kinds[k], "svg");
			if (out_path(c, path, sizeof(path), name) < 0)
				return -1;
			if (stat(path, &st) < 0 || st.st_size == 0)
				return fail(c, "gnuplot wrote no %s (see %s/"
					    "gnuplot.log)", path, c->outdir);
		}
	}
	return 0;
}

/* ---- HTML ----------------------------------------------------------- */

static const char css[] =
	"body{font-family:sans-serif;margin:1.5em auto;max-width:1200px;"
	"padding:0 1em;color:#222;background:#fff}\n"
	"h1{margin-bottom:.2em}h2{border-bottom:2px solid #ccc;"
	"padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}\n"
	"table{border-collapse:collapse;margin:.5em 0;font-size:90%}\n"
	"th,td{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}\n"
	"th{background:#f0f0f0;text-align:left}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}\n"
	"tr:nth-child(even) td{background:#fafafa}\n"
	".sev-error{color:#fff;background:#c62828!important;"
	"font-weight:bold}\n"
	".sev-warning{background:#ffb74d!important;font-weight:bold}\n"
	".sev-info{background:#e0e0e0!important}\n"
	".bad{color:#c62828;font-weight:bold}\n"
	".banner{padding:.6em 1em;border-radius:4px;margin:.5em 0}\n"
	".complete{background:#e8f5e9;border:1px solid #66bb6a}\n"
	".incomplete{background:#ffebee;border:2px solid #c62828;"
	"font-weight:bold}\n"
	/* At any width, no sideways scrolling of the page: charts scale
	 * down, a wide table scrolls in its own box, long words break. */
	"h1,h2,h3,p,li{overflow-wrap:anywhere}\n"
	"div.wide{max-width:100%;overflow-x:auto}\n"
	"div.chart{margin:1em 0}div.chart svg{display:block;max-width:100%;"
	"height:auto;border:1px solid #ddd}\n"
	"p.caption{font-size:90%;color:#555;margin:.2em 0}\n"
	".note{color:#555;font-size:90%}\n"
	"code{background:#f4f4f4;padding:0 .2em}\n"
	"div.fix{margin-top:.4em;padding:.2em .4em;border-left:3px solid "
	"#66bb6a;background:#f1f8e9}\n";

static void td_ns(FILE *f, int64_t ns)
{
	char buf[48];

	fprintf(f, "<td class=\"n\">%s</td>", an_fmt_ns(ns, buf, sizeof(buf)));
}

static void td_u64(FILE *f, uint64_t v, bool bad)
{
	fprintf(f, "<td class=\"n%s\">%" PRIu64 "</td>", bad && v ? " bad" : "",
		v);
}

static void td_none(FILE *f)
{
	fputs("<td class=\"n\">-</td>", f);
}

/* CPU time against run time (an_cpu_use): the CPU time and the time off
 * the CPU of the runs that carried it, the runs that blocked the loop and
 * those preempted; "-" for a trace without CPU times. */
static void td_cpu(FILE *f, const struct an_cpu_use *c)
{
	if (!c->runs) {
		for (int i = 0; i < 4; i++)
			td_none(f);
		return;
	}
	td_ns(f, c->cpu);
	td_ns(f, c->wall > c->cpu ? c->wall - c->cpu : 0);
	td_u64(f, c->blocked_runs, true);
	td_u64(f, c->preempted_runs, false);
}

/* A distribution's percentile cell; "-" without samples. */
static void td_pct(FILE *f, struct an_dist *d, double p)
{
	if (d->count == 0)
		td_none(f);
	else
		td_ns(f, an_pct(d, p));
}

static void td_max(FILE *f, const struct an_dist *d)
{
	if (d->count == 0)
		td_none(f);
	else
		td_ns(f, d->max);
}

static long loop_index(const struct an_result *r, const struct an_loop *l)
{
	size_t i;

	for (i = 0; l && i < r->nloops; i++)
		if (r->loops[i] == l)
			return (long)i;
	return -1;
}

/* The triggers of the flight-recorder saves among the traces, and what a
 * save's trace starting mid-run means, or that it holds its program from
 * the start (fm_mid_run()); nothing for another trace. */
static void html_flight(FILE *f, const struct an_result *r)
{
	const struct fm_set *fs = sp_flight();
	char line[1024];

	if (!fs || !fs->n)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		fputs("<p class=\"banner flight\">", f);
		html_esc(f, fm_line(&fs->v[i], r, line, sizeof(line)));
		fputs(" (the black vertical line on the loop's timeline and "
		      "ready-queue depth charts)</p>\n", f);
	}
	fputs("<p class=\"note\">Note: ", f);
	html_esc(f, fm_set_mid_run(fs, r) ? fm_mid_run_note :
		 fm_from_start_note);
	fputs(".</p>\n", f);
}

static void html_header(FILE *f, const struct an_result *r)
{
	char a[48], b[48];
	size_t i, j, procs = 0;
	unsigned counts[3] = { 0 };

	/* Processes: distinct (vpid, procname), or traces when the vpid is
	 * unknown. */
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];

		for (j = 0; j < i; j++) {
			const struct an_loop *m = r->loops[j];

			if (m->vpid == l->vpid &&
			    (l->vpid >= 0 || m->trace == l->trace) &&
			    !strcmp(m->procname ? m->procname : "",
				    l->procname ? l->procname : ""))
				break;
		}
		procs += j == i;
	}
	for (i = 0; i < r->nfindings; i++)
		if ((unsigned)r->findings[i].severity < 3)
			counts[r->findings[i].severity]++;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"schedprof\">\n"
	      "<title>schedprof report</title>\n<style>\n", f);
	fputs(css, f);
	/* Only for a save: a report of another trace stays as it was. */
	if (sp_flight() && sp_flight()->n)
		fputs(".flight{background:#eeeeee;border-left:4px solid "
		      FLIGHT_RGB "}\n", f);
	fputs("</style>\n</head>\n<body>\n<h1>schedprof report</h1>\n", f);
	fprintf(f, "<p>%" PRIu64 " libsched events; %zu loop%s in %zu "
		"process%s; %u error%s, %u warning%s, %u info finding%s.</p>\n",
		r->events, r->nloops, r->nloops == 1 ? "" : "s", procs,
		procs == 1 ? "" : "es", counts[AN_ERROR],
		counts[AN_ERROR] == 1 ? "" : "s", counts[AN_WARNING],
		counts[AN_WARNING] == 1 ? "" : "s", counts[AN_INFO],
		counts[AN_INFO] == 1 ? "" : "s");
	if (r->complete)
		fputs("<p class=\"banner complete\">Complete trace: the tracer "
		      "reported no lost events.</p>\n", f);
	else
		fprintf(f, "<p class=\"banner incomplete\">INCOMPLETE TRACE: "
			"the tracer reported %" PRIu64 " discarded event%s in "
			"%" PRIu64 " report%s (the count of some may be "
			"unknown). Counts, waits and intervals near the gaps "
			"may be wrong; record again with larger buffers "
			"(<code>lttng enable-channel --subbuf-size</code>)."
			"</p>\n", r->discarded_events,
			r->discarded_events == 1 ? "" : "s",
			r->discard_reports,
			r->discard_reports == 1 ? "" : "s");
	fprintf(f, "<p>Thresholds: a run of <b>%s</b> or more is long "
		"(<code>--long-task</code>); a priority with a ready task "
		"and no run for <b>%s</b> or more starves "
		"(<code>--starve</code>).</p>\n",
		an_fmt_ns(r->cfg.long_task_ns, a, sizeof(a)),
		an_fmt_ns(r->cfg.starve_ns, b, sizeof(b)));
	html_flight(f, r);
	if (r->nloops) {
		fputs("<p>Loops:</p>\n<ul>\n", f);
		for (i = 0; i < r->nloops; i++) {
			char label[200], ctext[128];
			struct an_counts c;

			loop_label(label, sizeof(label), r->loops[i]);
			fprintf(f, "<li><a href=\"#loop%zu\">", i);
			html_esc(f, label);
			an_loop_counts(r->loops[i], &c);
			fprintf(f, "</a> (%s)</li>\n",
				an_counts_text(&c, ctext, sizeof(ctext)));
		}
		fputs("</ul>\n", f);
	}
}

static void html_findings(FILE *f, const struct an_result *r)
{
	size_t i;

	fputs("<h2 id=\"findings\">Findings</h2>\n", f);
	if (r->nfindings == 0) {
		fputs("<p>No findings.</p>\n", f);
		return;
	}
	fputs("<div class=\"wide\"><table>\n<tr><th>severity</th><th>kind</th><th>loop</th>"
	      "<th>culprit</th><th>evidence</th></tr>\n", f);
	for (i = 0; i < r->nfindings; i++) {
		const struct an_finding *fd = &r->findings[i];
		long li = loop_index(r, fd->loop);

		fprintf(f, "<tr><td class=\"sev-%s\">%s</td><td>",
			an_severity_name(fd->severity),
			an_severity_name(fd->severity));
		html_esc(f, an_kind_name(fd->kind));
		fputs("</td><td>", f);
		if (li >= 0) {
			char label[200];

			loop_label(label, sizeof(label), fd->loop);
			fprintf(f, "<a href=\"#loop%ld\">", li);
			html_esc(f, label);
			fputs("</a>", f);
		} else {
			fputs("(whole trace)", f);
		}
		fputs("</td><td>", f);
		html_esc(f, fd->culprit);
		fputs("</td><td>", f);
		html_esc(f, fd->evidence);
		fx_html(f, sp_fixes_result(), sp_fixes_of(fd), html_esc);
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
	if (sp_fixes_result() && fx_status_text(sp_fixes_result())) {
		fputs("<p>", f);
		html_esc(f, fx_status_text(sp_fixes_result()));
		fputs("</p>\n", f);
	}
}

/*
 * Gnuplot's SVG, made fit to sit inline in the page. The chart itself is
 * gnuplot's; what changes:
 * - what comes before <svg> (the XML declaration) is dropped;
 * - gnuplot's hypertext (its svg terminal writes it for gnuplot_svg.js,
 *   which only its "mouse" option embeds, and leaves the element's <title>
 *   blank) becomes the <title> of its element, which a browser shows on
 *   hover without a script:
 *     <g onmousemove="gnuplot_svg.showHypertext(evt,'TEXT')"
 *        onmouseout="gnuplot_svg.hideHypertext()"><title> </title>
 *   becomes <g><title>TEXT</title> (TEXT as gnuplot escaped it: & and <;
 *   hv_str() kept quotes and backslashes out of it);
 * - the chart's <title>Gnuplot</title> becomes its description, and the
 *   <title>gnuplot_plot_N</title> of a plot without a key entry goes (a
 *   reader would see "gnuplot_plot_3" on hover);
 * - every id, and every reference to one (#ID, url(#ID)), gets the chart's
 *   prefix: the charts share one page, and gnuplot gives each the same ids.
 */
#define HT_OPEN "<g onmousemove=\"gnuplot_svg.showHypertext(evt,'"
#define HT_CLOSE "')\" onmouseout=\"gnuplot_svg.hideHypertext()\"><title> " \
		 "</title>"

static bool at(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static void svg_inline(FILE *f, const char *svg, size_t len,
		       const char *prefix, const char *desc)
{
	const char *p = svg, *end = svg + len, *q;
	static const char *const idrefs[] = {
		" id='", " id=\"", "href='#", "href=\"#", "url(#",
	};

	q = strstr(svg, "<svg");
	if (q)
		p = q;
	while (p < end) {
		size_t k;

		if (*p == '<' && at(p, end, HT_OPEN)) {
			const char *t = p + strlen(HT_OPEN);
			const char *e = strstr(t, HT_CLOSE);

			if (e) {
				fputs("<g><title>", f);
				fwrite(t, 1, (size_t)(e - t), f);
				fputs("</title>", f);
				p = e + strlen(HT_CLOSE);
				continue;
			}
		}
		if (*p == '<' && at(p, end, "<title>Gnuplot</title>")) {
			fputs("<title>", f);
			html_esc(f, desc);
			fputs("</title>", f);
			p += strlen("<title>Gnuplot</title>");
			continue;
		}
		if (*p == '<' && at(p, end, "<title>gnuplot_plot_")) {
			const char *e = strstr(p, "</title>");

			if (e) {
				p = e + strlen("</title>");
				continue;
			}
		}
		for (k = 0; k < sizeof(idrefs) / sizeof(idrefs[0]); k++)
			if ((*p == ' ' || *p == 'h' || *p == 'u') &&
			    at(p, end, idrefs[k]))
				break;
		if (k < sizeof(idrefs) / sizeof(idrefs[0])) {
			fputs(idrefs[k], f);
			fputs(prefix, f);
			p += strlen(idrefs[k]);
			continue;
		}
		fputc(*p++, f);
	}
}

/* The whole of OUTDIR/name in a new NUL-terminated buffer, or NULL (an
 * error said). */
static char *slurp(struct ctx *c, const char *name, size_t *len)
{
	char path[PATH_MAX], *buf = NULL;
	size_t cap = 0, n = 0, got;
	FILE *f;

	if (out_path(c, path, sizeof(path), name) < 0)
		return NULL;
	f = open_nofollow_read(path);
	if (!f) {
		fail(c, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - n < 65536) {
			char *nb = realloc(buf, cap + 262144);

			if (!nb) {
				fclose(f);
				free(buf);
				fail(c, "out of memory");
				return NULL;
			}
			buf = nb;
			cap += 262144;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		fail(c, "cannot read %s: %s", path, strerror(EIO));
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A chart, inline (svg_inline()), and its caption. */
static int html_figure(struct ctx *c, FILE *f, size_t li, const char *kind,
		       const char *alt, const char *caption)
{
	char svg[64], prefix[64];
	size_t len;
	char *buf;

	chart_name(svg, sizeof(svg), li, kind, "svg");
	snprintf(prefix, sizeof(prefix), "loop%zu-%s-", li, kind);
	buf = slurp(c, svg, &len);
	if (!buf)
		return -1;
	/* div and p rather than HTML5's figure: HTML 4 parsers (xmllint
	 * --html) check the page without complaint. */
	fprintf(f, "<div class=\"chart %s\" data-src=\"%s\">\n", kind, svg);
	svg_inline(f, buf, len, prefix, alt);
	free(buf);
	fputs("\n<p class=\"caption\">", f);
	html_esc(f, caption);
	fputs("</p></div>\n", f);
	return 0;
}

static int html_charts(struct ctx *c, FILE *f, size_t li,
		       const struct chart_info *ci)
{
	char cap[1000], px[48];

	if (ci->cdf_prios) {
		snprintf(cap, sizeof(cap), "Wait latency (from ready to run) "
			 "per priority by percentile, on a log scale: p50, "
			 "p90, p99 and p99.9 are evenly spaced, so the tail "
			 "reads as well as the median; markers at p50, p90, "
			 "p99 (p99.9 from 1000 waits), the maximum at the "
			 "right end; values on hover; %u priorit%s with "
			 "runs.", ci->cdf_prios,
			 ci->cdf_prios == 1 ? "y" : "ies");
		if (ci->floor_prios) {
			size_t n = strlen(cap);

			snprintf(cap + n, sizeof(cap) - n, " Waits under "
				 "1 us, 0 ns among them, lie on the bottom "
				 "line (a log axis has no 0): all of %s "
				 "waits.", ci->floor_note);
		}
	} else {
		snprintf(cap, sizeof(cap), "Wait latency: no task ran.");
	}
	if (html_figure(c, f, li, "wait", "wait latency by percentile per "
			"priority", cap) < 0)
		return -1;

	an_fmt_ns((int64_t)(ci->tl.px_ns + 0.5), px, sizeof(px));
	snprintf(cap, sizeof(cap), "Runs per priority over the whole loop, "
		 "coloured by task (the top %d by run time; the others "
		 "grey), a long run named on its box: "
		 "%zu %s as %zu %s. Runs less than a pixel (%s) apart "
		 "share a box, in the colour of the task that ran most of "
		 "it, paler the less of it they fill; a box is a "
		 "pixel wide at least. Shaded: %zu starvation interval%s. "
		 "Each box's runs on hover.",
		 TOP_TASKS, ci->tl.runs, tw_noun(ci->tl.runs, "run", "runs"),
		 ci->tl.boxes, tw_noun(ci->tl.boxes, "box", "boxes"), px,
		 ci->tl.starves,
		 ci->tl.starves == 1 ? "" : "s");
	if (ci->tl.task_lanes) {
		size_t n = strlen(cap);

		snprintf(cap + n, sizeof(cap) - n, " Below the line: %zu task "
			 "lane%s, the tasks of the starving-task findings "
			 "(waits) with their %zu wait%s of at least the "
			 "threshold hatched, and the top culprit of each "
			 "one's longest wait.", ci->tl.task_lanes,
			 ci->tl.task_lanes == 1 ? "" : "s", ci->tl.task_waits,
			 ci->tl.task_waits == 1 ? "" : "s");
	}
	if (html_figure(c, f, li, "timeline", "timeline of runs per priority, "
			"coloured by task", cap) < 0)
		return -1;
	if (ci->detail) {
		an_fmt_ns((int64_t)(ci->dt.px_ns + 0.5), px, sizeof(px));
		snprintf(cap, sizeof(cap), "Detail: the %zu runs from "
			 "%.6f s to %.6f s, %s, as %zu boxes (a pixel is %s): "
			 "the whole-loop view above merges the runs of so "
			 "long a trace.", ci->dt.runs, ci->dfrom_s, ci->dto_s,
			 ci->detail_why, ci->dt.boxes, px);
		if (html_figure(c, f, li, "detail", "timeline detail",
				cap) < 0)
			return -1;
	}

	if (ci->top)
		snprintf(cap, sizeof(cap), "Run time of the top %u task%s by "
			 "total run time, in their timeline colours: box p25 "
			 "to p75, median, whiskers min to max, p99 marked; "
			 "log scale; each task's figures on hover.", ci->top,
			 ci->top == 1 ? "" : "s");
	else
		snprintf(cap, sizeof(cap), "Run time: no task ran.");
	if (html_figure(c, f, li, "runtime", "run-time distribution of the "
			"top tasks", cap) < 0)
		return -1;

	if (ci->depth_prios)
		snprintf(cap, sizeof(cap), "Ready tasks per priority over "
			 "time (%u priorit%s), on the timeline's time axis%s; "
			 "each rise on hover.", ci->depth_prios,
			 ci->depth_prios == 1 ? "y" : "ies",
			 ci->depth_reduced ? "; per pixel, the highest depth "
			 "and the one it settled to" : "");
	else
		snprintf(cap, sizeof(cap), "Ready-queue depth: no task was "
			 "ever ready.");
	return html_figure(c, f, li, "depth", "ready-queue depth per priority",
			   cap);
}

static void html_prios(FILE *f, struct an_loop *l)
{
	bool any = false;
	int p;

	fputs("<h3>Priorities</h3>\n", f);
	for (p = 0; p < AN_PRIOS; p++) {
		struct an_prio *ap = &l->prio[p];

		if (!ap->fired && !ap->nstarves && !ap->max_depth)
			continue;
		if (!any)
			fputs("<div class=\"wide\"><table>\n<tr><th>priority</th><th>fired</th>"
			      "<th>wait p50</th><th>p90</th><th>p99</th>"
			      "<th>max</th><th>max depth</th>"
			      "<th>starving</th><th>total starved</th>"
			      "<th>longest</th></tr>\n", f);
		any = true;
		fprintf(f, "<tr><td>%s</td>", an_prio_name(p));
		td_u64(f, ap->fired, false);
		td_pct(f, &ap->wait, 50);
		td_pct(f, &ap->wait, 90);
		td_pct(f, &ap->wait, 99);
		td_max(f, &ap->wait);
		fprintf(f, "<td class=\"n\">%" PRIu32 "</td>", ap->max_depth);
		fprintf(f, "<td class=\"n%s\">%zu</td>",
			ap->nstarves ? " bad" : "", ap->nstarves);
		td_ns(f, ap->starved_ns);
		td_ns(f, ap->longest_starve_ns);
		fputs("</tr>\n", f);
	}
	fputs(any ? "</table></div>\n" : "<p>No task was ready.</p>\n", f);
}

static int html_tasks(struct ctx *c, FILE *f, const struct an_loop *l)
{
	struct an_task **v = tasks_by_total(c, l);
	size_t i, n = 0;

	if (!v)
		return -1;
	fputs("<h3>Tasks</h3>\n", f);
	for (i = 0; i < l->ntasks; i++)
		n += v[i]->runs > 0;
	if (n == 0) {
		fputs("<p>No task ran.</p>\n", f);
		free(v);
		return 0;
	}
	if (n > TOP_TABLE)
		fprintf(f, "<p class=\"note\">The top %d of %zu tasks that "
			"ran, by total run time.</p>\n", TOP_TABLE, n);
	for (i = 0; i < n && i < TOP_TABLE; i++)
		if (v[i]->instances > 1) {
			fputs("<p class=\"note\">A row holds every task of "
			      "one name: \"(N tasks)\" says how many there "
			      "were (a program may make a new task for each "
			      "job, as a post at a priority does).</p>\n", f);
			break;
		}
	fputs("<div class=\"wide\"><table>\n<tr><th>task</th><th>priority</th>"
	      "<th>runs</th><th>run total</th><th>mean</th><th>p99</th>"
	      "<th>max</th><th>wait p99</th><th>wait max</th>"
	      "<th>checks</th><th>yields</th><th>overrun runs</th>"
	      "<th>long runs</th><th>never-yield runs</th>"
	      "<th>CPU</th><th>off CPU</th><th>blocked runs</th>"
	      "<th>preempted runs</th></tr>\n", f);
	for (i = 0; i < n && i < TOP_TABLE; i++) {
		struct an_task *t = v[i];

		fputs("<tr><td>", f);
		html_esc(f, task_name(t));
		/* Tasks of one name are one entry: say how many. */
		if (t->instances > 1)
			fprintf(f, " <span class=\"note\">(%" PRIu64
				" tasks)</span>", t->instances);
		fprintf(f, "</td><td>%s</td>", an_prio_name(t->prio));
		td_u64(f, t->runs, false);
		td_ns(f, t->run_total);
		if (t->run.count)
			td_ns(f, an_mean(&t->run));
		else
			td_none(f);
		td_pct(f, &t->run, 99);
		td_max(f, &t->run);
		td_pct(f, &t->wait, 99);
		td_max(f, &t->wait);
		td_u64(f, t->checks, false);
		td_u64(f, t->yields, false);
		td_u64(f, t->overrun_runs, true);
		td_u64(f, t->long_runs, true);
		td_u64(f, t->never_yield, true);
		td_cpu(f, &t->cpu);
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	free(v);
	return 0;
}

static void html_perfs(FILE *f, const struct an_loop *l)
{
	size_t i;

	if (l->nperfs == 0)
		return;
	fputs("<h3>Performers</h3>\n<div class=\"wide\"><table>\n<tr><th>performer</th>"
	      "<th>posts</th><th>wakes</th><th>coalescing</th>"
	      "<th>waiting posts</th><th>ran</th><th>delay p50</th>"
	      "<th>p99</th><th>max</th><th>run p99</th>"
	      "<th>max backlog</th></tr>\n", f);
	for (i = 0; i < l->nperfs; i++) {
		struct an_performer *pf = l->perfs[i];

		fprintf(f, "<tr><td>0x%" PRIx64 "</td>", pf->addr);
		td_u64(f, pf->posts, false);
		td_u64(f, pf->wakes, false);
		/* Coalescing: the posts that did not have to write a
		 * wake-up. */
		if (pf->posts)
			fprintf(f, "<td class=\"n\">%.1f %%</td>",
				100.0 * (double)(pf->posts - (pf->wakes <
				pf->posts ? pf->wakes : pf->posts)) /
				(double)pf->posts);
		else
			td_none(f);
		td_u64(f, pf->waits, false);
		td_u64(f, pf->fired, false);
		td_pct(f, &pf->delay, 50);
		td_pct(f, &pf->delay, 99);
		td_max(f, &pf->delay);
		td_pct(f, &pf->run, 99);
		td_u64(f, pf->max_backlog, false);
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

static int cmp_starve_len(const void *a, const void *b)
{
	const struct an_starve *x = *(const struct an_starve *const *)a;
	const struct an_starve *y = *(const struct an_starve *const *)b;
	int64_t dx = x->end - x->start, dy = y->end - y->start;

	return (dx < dy) - (dx > dy);
}

static int cmp_starve_start(const void *a, const void *b)
{
	const struct an_starve *x = *(const struct an_starve *const *)a;
	const struct an_starve *y = *(const struct an_starve *const *)b;

	if (x->start != y->start)
		return (x->start > y->start) - (x->start < y->start);
	return x->prio - y->prio;
}

/* The task waits of at least the threshold, in time order (the first
 * STARVE_ROWS), with what ran meanwhile by group (an_task_starve). */
static void html_task_waits(FILE *f, const struct an_loop *l)
{
	char buf[48];

	fputs("<h3>Task waits</h3>\n", f);
	if (!l->ntstarves) {
		fputs("<p>None.</p>\n", f);
		return;
	}
	if (l->ntstarves > STARVE_ROWS)
		fprintf(f, "<p class=\"note\">The first %d of %zu waits.</p>\n",
			STARVE_ROWS, l->ntstarves);
	fputs("<div class=\"wide\"><table>\n<tr><th>task</th><th>priority</th><th>start</th>"
	      "<th>waited</th><th>ran meanwhile, by group (top culprits)"
	      "</th></tr>\n", f);
	for (size_t i = 0; i < l->ntstarves && i < STARVE_ROWS; i++) {
		const struct an_task_starve *s = &l->tstarves[i];

		fputs("<tr><td>", f);
		html_esc(f, task_name(s->task));
		fprintf(f, "</td><td>%s</td><td class=\"n\">+%.6f s</td>"
			"<td class=\"n\">%s%s%s</td><td>",
			an_prio_name(s->prio), rel_s(l, s->start),
			an_fmt_ns(s->end - s->start, buf, sizeof(buf)),
			s->open_at_end ? " (still waiting at the end)" : "",
			s->restarted ? " (restarted while ready)" : "");
		for (int g = 0, ng = 0; g < AN_TG_N; g++) {
			if (!s->group_runs[g])
				continue;
			fprintf(f, "%s<b>%s</b> %s (%" PRIu64 " run%s",
				ng++ ? "<br>" : "",
				an_tgroup_name((enum an_tgroup)g),
				an_fmt_ns(s->group_ns[g], buf, sizeof(buf)),
				s->group_runs[g],
				s->group_runs[g] == 1 ? "" : "s");
			if (s->forced_runs[g])
				fprintf(f, ", %" PRIu64 " forced by a max wait",
					s->forced_runs[g]);
			fputc(')', f);
			for (unsigned k = 0, n = 0; k < s->nblame; k++) {
				const struct an_tblame *b = &s->blame[k];

				if (g == AN_TG_POSTED ||
				    (int)an_tgroup_of(s->prio, b->prio) != g)
					continue;
				fputs(n++ ? "; " : ": ", f);
				html_esc(f, task_name(b->task));
				fprintf(f, " %s (%" PRIu64 ")",
					an_fmt_ns(b->ran_ns, buf, sizeof(buf)),
					b->runs);
			}
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

static int html_starves(struct ctx *c, FILE *f, const struct an_loop *l)
{
	const struct an_starve **v;
	size_t n = 0, shown, i;
	char buf[48];
	unsigned k;
	int p;

	for (p = 0; p < AN_PRIOS; p++)
		n += l->prio[p].nstarves;
	fputs("<h3>Starvation intervals</h3>\n", f);
	if (n == 0) {
		fputs("<p>None.</p>\n", f);
		return 0;
	}
	v = malloc(n * sizeof(*v));
	if (!v)
		return fail(c, "out of memory");
	n = 0;
	for (p = 0; p < AN_PRIOS; p++)
		for (i = 0; i < l->prio[p].nstarves; i++)
			v[n++] = &l->prio[p].starves[i];
	shown = n;
	if (n > STARVE_ROWS) {
		qsort(v, n, sizeof(*v), cmp_starve_len);
		shown = STARVE_ROWS;
		fprintf(f, "<p class=\"note\">The %d longest of %zu intervals, "
			"in time order.</p>\n", STARVE_ROWS, n);
	}
	qsort(v, shown, sizeof(*v), cmp_starve_start);
	fputs("<div class=\"wide\"><table>\n<tr><th>priority</th><th>start</th>"
	      "<th>duration</th><th>ran meanwhile (top blame)</th></tr>\n", f);
	for (i = 0; i < shown; i++) {
		const struct an_starve *s = v[i];

		fprintf(f, "<tr><td>%s</td><td class=\"n\">+%.6f s</td>",
			an_prio_name(s->prio), rel_s(l, s->start));
		fprintf(f, "<td class=\"n\">%s%s</td><td>",
			an_fmt_ns(s->end - s->start, buf, sizeof(buf)),
			s->open_at_end ? " (still starving at the end)" : "");
		for (k = 0; k < s->nblame && k < AN_BLAME_MAX; k++) {
			const struct an_blame *b = &s->blame[k];

			fputs(k ? "; " : "", f);
			html_esc(f, task_name(b->task));
			fprintf(f, " %s (%" PRIu64 " run%s)",
				an_fmt_ns(b->ran_ns, buf, sizeof(buf)),
				b->runs, b->runs == 1 ? "" : "s");
		}
		if (s->nblame == 0)
			fputs("nothing ran", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
	free(v);
	return 0;
}

/* An idle loop (loop_idle()) in one line: what it did instead. */
static void html_idle(FILE *f, const struct an_loop *l)
{
	char a[48], b[48];
	size_t i;

	fprintf(f, "<p class=\"idle\">Idle: no task ran or was ready, so no "
		"charts; %" PRIu64 " sleep%s, %s asleep", l->sleeps,
		l->sleeps == 1 ? "" : "s",
		an_fmt_ns(l->slept_ns, a, sizeof(a)));
	for (i = 0; i < l->nperfs; i++) {
		struct an_performer *pf = l->perfs[i];

		fprintf(f, "; performer 0x%" PRIx64 ": %" PRIu64 " post%s, "
			"%" PRIu64 " ran", pf->addr, pf->posts,
			pf->posts == 1 ? "" : "s", pf->fired);
		if (pf->delay.count)
			fprintf(f, ", delay p99 %s, max %s",
				an_fmt_ns(an_pct(&pf->delay, 99), a,
					  sizeof(a)),
				an_fmt_ns(pf->delay.max, b, sizeof(b)));
	}
	fputs(".</p>\n", f);
}

static int html_loop(struct ctx *c, FILE *f, size_t li,
		     const struct chart_info *ci)
{
	struct an_loop *l = c->r->loops[li];
	char label[200], a[48], b[48], counts[128];
	struct an_counts cn;

	loop_label(label, sizeof(label), l);
	fprintf(f, "<div class=\"loop%s\" id=\"loop%zu\">\n<h2>",
		ci->idle ? " idle" : "", li);
	html_esc(f, label);
	fputs("</h2>\n", f);
	if (ci->idle) {
		html_idle(f, l);
		fputs("</div>\n", f);
		return 0;
	}
	fputs("<p>", f);
	/* A loop seen only in events without a time has no span. */
	if (l->first != INT64_MIN)
		fprintf(f, "Span %s (loop time %" PRId64 " to %" PRId64
			" ns); ", an_fmt_ns(l->last - l->first, a, sizeof(a)),
			l->first, l->last);
	an_loop_counts(l, &cn);
	html_esc(f, an_counts_text(&cn, counts, sizeof(counts)));
	fprintf(f, "; %" PRIu64 " %s, %s asleep; "
		"%" PRIu64 " stopwatch %s", l->sleeps,
		tw_noun(l->sleeps, "sleep", "sleeps"),
		an_fmt_ns(l->slept_ns, b, sizeof(b)), l->slices,
		tw_noun(l->slices, "check", "checks"));
	if (l->commands || l->builds)
		fprintf(f, "; %" PRIu64 " dispatcher commands, %" PRIu64
			" builds (%" PRIu64 " forced)", l->commands, l->builds,
			l->builds_forced);
	fputs(".</p>\n", f);
	if (html_charts(c, f, li, ci) < 0)
		return -1;
	html_prios(f, l);
	if (html_tasks(c, f, l) < 0)
		return -1;
	html_perfs(f, l);
	if (html_starves(c, f, l) < 0)
		return -1;
	html_task_waits(f, l);
	fputs("</div>\n", f);
	return 0;
}

static int write_html(struct ctx *c, const struct chart_info *ci)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *f;
	size_t li;

	/* Written beside, then renamed: an index.html is always whole. */
	if (out_path(c, dst, sizeof(dst), "index.html") < 0)
		return -1;
	f = out_temp(c, "index.html", tmp, sizeof(tmp));
	if (!f)
		return -1;
	html_header(f, c->r);
	html_findings(f, c->r);
	for (li = 0; li < c->r->nloops; li++)
		if (html_loop(c, f, li, &ci[li]) < 0)
			break;
	fputs("<p class=\"note\">Charts: drawn by gnuplot as SVG files from "
	      "the data files beside them (re-plot with <code>gnuplot "
	      "report.gp</code> in this directory), and inlined here with "
	      "their hover texts as titles.</p>\n</body>\n</html>\n", f);
	if (out_close(c, f, "index.html") < 0 || c->failed) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, dst) < 0) {
		int e = errno;

		unlink(tmp);
		return fail(c, "cannot write %s: %s", dst, strerror(e));
	}
	return 0;
}

int sp_html_report(struct an_result *r, const char *outdir, char *err,
		   size_t errlen)
{
	struct ctx c = {
		.r = r, .outdir = outdir, .err = err, .errlen = errlen,
	};
	struct chart_info *ci;
	FILE *gp;
	size_t li, charts = 0;

	if (errlen)
		err[0] = '\0';
	if (make_dirs(&c, outdir) < 0)
		return -1;
	ci = calloc(r->nloops ? r->nloops : 1, sizeof(*ci));
	if (!ci)
		return fail(&c, "out of memory");
	gp = out_open(&c, "report.gp");
	if (!gp) {
		free(ci);
		return -1;
	}
	fputs(HTML_GP_MAGIC " Re-plot with\n"
	      "#   cd THIS_DIRECTORY && gnuplot report.gp\n", gp);
	for (li = 0; li < r->nloops && !c.failed; li++) {
		struct an_loop *l = r->loops[li];
		char label[200];

		loop_label(label, sizeof(label), l);
		fprintf(gp, "\n# ---- loop %zu: ", li);
		gp_str(gp, label, 200);
		fputc('\n', gp);
		struct window all = {
			l->first, l->first + loop_span(l), "timeline"
		}, detail;
		struct top_tasks tt;

		/* A loop where no task ran gets a line, not empty charts. */
		ci[li].idle = loop_idle(l);
		if (ci[li].idle)
			continue;
		charts++;
		if (top_tasks_pick(&c, l, &tt) < 0 ||
		    chart_cdf(&c, gp, li, l, label, &ci[li]) < 0 ||
		    chart_timeline(&c, gp, li, l, label, &all, &tt,
				   &ci[li].tl) < 0)
			break;
		ci[li].detail = detail_window(l, &detail, ci[li].detail_why,
					      sizeof(ci[li].detail_why));
		if (ci[li].detail) {
			ci[li].dfrom_s = rel_s(l, detail.from);
			ci[li].dto_s = rel_s(l, detail.to);
		}
		if ((ci[li].detail &&
		     chart_timeline(&c, gp, li, l, label, &detail, &tt,
				    &ci[li].dt) < 0) ||
		    chart_runtime(&c, gp, li, l, label, &tt, &ci[li]) < 0 ||
		    chart_depth(&c, gp, li, l, label, &ci[li]) < 0)
			break;
	}
	if (c.failed) {
		fclose(gp);
		free(ci);
		return -1;
	}
	if (out_close(&c, gp, "report.gp") < 0 ||
	    (charts && (run_gnuplot(&c) < 0 || check_charts(&c, ci) < 0)) ||
	    write_html(&c, ci) < 0) {
		free(ci);
		return -1;
	}
	free(ci);
	return 0;
}
