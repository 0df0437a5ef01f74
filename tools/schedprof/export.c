/*
 * schedprof export: the analysis of recorded traces as a Chrome/Perfetto
 * JSON trace (the "trace event format"), for ui.perfetto.dev or
 * chrome://tracing:
 *
 *   - a process per traced process (vpid and procname);
 *   - in it, per loop, a thread track per lane, in priority order:
 *     "LOOP 0x... performer work", "LOOP 0x... HIGHEST", and after each
 *     priority that starved, "LOOP 0x... HIGHEST starving";
 *   - each run a complete event ("X": name the task, cat its priority),
 *     each starvation interval one on its priority's starving lane;
 *   - the ready-queue depth per priority as counters ("C");
 *   - the findings as global instant events ("i", scope "g").
 *
 * Times are µs (with ns as decimals) from the earliest loop time of the
 * trace. Lanes are "threads" with made-up ids: the track per lane is the
 * point, and an id must not collide with a real process's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "html.h"
#include "schedprof.h"

/* Made-up thread ids: TID_BASE + loop * LANES + lane. Lane 0 is the
 * performer work, 1 + 2 p priority p's runs, 2 + 2 p its starvation. */
#define TID_BASE 1000000000LL
#define LANES 32
/* Made-up process ids, for processes of unknown or clashing vpid; above
 * any real pid (pid_max is at most 2^22). */
#define PID_SYNTH 100000000LL

struct proc {
	int64_t vpid;
	const char *procname;
	unsigned trace;
	int64_t pid;           /* in the JSON */
	unsigned nloops;       /* so far, to order its loops' lanes */
};

struct out {
	FILE *f;
	bool first;            /* no event written yet */
	uint64_t events;
};

/* The usage line; with --help, what the command does too. */
static int usage(FILE *f, int status)
{
	fputs("usage: schedprof export DIR... --perfetto FILE.json "
	      "[--long-task MS] [--starve MS]\n", f);
	if (status == SP_EXIT_OK)
		fputs("Writes the traces' runs, starvation intervals, "
		      "ready-queue depths and findings\nas a Chrome/Perfetto "
		      "JSON trace: open it in ui.perfetto.dev or "
		      "chrome://tracing.\n", f);
	return status;
}

/* s as a JSON string: quotes, backslashes and control characters
 * escaped; what is not UTF-8 becomes U+FFFD, which keeps the file valid
 * JSON whatever bytes a program named its tasks with. */
static void json_str(FILE *f, const char *s)
{
	size_t n;

	fputc('"', f);
	while (s && *s) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (ch < 0x20 || ch == 0x7f) {
				fprintf(f, "\\u%04x", ch);
				break;
			}
			n = sp_utf8_seq(s);
			if (n == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}

/* ns as µs with three decimals, exactly (no floating point). */
static void json_us(FILE *f, int64_t ns)
{
	uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	fprintf(f, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", u / 1000,
		u % 1000);
}

/* Starts an event: the separator, then {"ph":"PH". */
static void ev_begin(struct out *o, const char *ph)
{
	fputs(o->first ? "\n" : ",\n", o->f);
	o->first = false;
	o->events++;
	fprintf(o->f, "{\"ph\":\"%s\"", ph);
}

static void ev_meta(struct out *o, const char *what, int64_t pid,
		    int64_t tid, const char *name, long sort)
{
	ev_begin(o, "M");
	fprintf(o->f, ",\"name\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%"
		PRId64 ",\"args\":{", what, pid, tid);
	if (name) {
		fputs("\"name\":", o->f);
		json_str(o->f, name);
	} else {
		fprintf(o->f, "\"sort_index\":%ld", sort);
	}
	fputs("}}", o->f);
}

static const char *lane_name(int lane, char *buf, size_t len,
			     const struct an_loop *l)
{
	if (lane == 0)
		snprintf(buf, len, "LOOP 0x%" PRIx64 " performer work",
			 l->addr);
	else
		snprintf(buf, len, "LOOP 0x%" PRIx64 " %s%s", l->addr,
			 an_prio_name((lane - 1) / 2),
			 lane % 2 ? "" : " starving");
	return buf;
}

static struct proc *proc_of(struct proc *procs, size_t nprocs,
			    const struct an_loop *l)
{
	size_t i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].vpid == l->vpid &&
		    (l->vpid >= 0 || procs[i].trace == l->trace) &&
		    !strcmp(procs[i].procname ? procs[i].procname : "",
			    l->procname ? l->procname : ""))
			return &procs[i];
	return NULL;
}

/* The processes of the loops, in order of appearance. */
static struct proc *make_procs(const struct an_result *r, size_t *np)
{
	struct proc *procs = calloc(r->nloops ? r->nloops : 1,
				    sizeof(*procs));
	size_t n = 0, i, j;
	int64_t synth = PID_SYNTH;

	if (!procs)
		return NULL;
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		struct proc *p;

		if (proc_of(procs, n, l))
			continue;
		p = &procs[n++];
		p->vpid = l->vpid;
		p->procname = l->procname;
		p->trace = l->trace;
		p->pid = l->vpid;
		/* A vpid seen with another name (an exec) keeps the two
		 * apart. */
		for (j = 0; j + 1 < n && p->pid >= 0; j++)
			if (procs[j].pid == p->pid)
				p->pid = -1;
		if (p->pid < 0)
			p->pid = synth++;
	}
	*np = n;
	return procs;
}

/*
 * When a finding happened, as near as its culprit tells: the longest
 * starvation of its priority, the longest run of its task, the largest
 * backlog of its performer; else the loop's start: an_finding carries
 * no time of its own.
 */
static int64_t finding_time(const struct an_finding *fd)
{
	const struct an_loop *l = fd->loop;
	/* Truncated as the culprit was. */
	char who[sizeof(fd->culprit)];
	size_t i;
	int p;

	if (!l)
		return INT64_MIN;
	if (fd->kind == AN_STARVING) {
		for (p = 0; p < AN_PRIOS; p++) {
			const struct an_prio *ap = &l->prio[p];
			const struct an_starve *w = NULL;

			if (strcmp(fd->culprit, an_prio_name(p)))
				continue;
			for (i = 0; i < ap->nstarves; i++)
				if (!w || ap->starves[i].end -
					  ap->starves[i].start >
					  w->end - w->start)
					w = &ap->starves[i];
			if (w)
				return w->start;
		}
	} else if (fd->kind == AN_BACKLOG) {
		for (i = 0; i < l->nperfs; i++) {
			snprintf(who, sizeof(who), "performer 0x%" PRIx64,
				 l->perfs[i]->addr);
			if (!strcmp(who, fd->culprit) ||
			    strstr(fd->culprit, who + 10))
				return l->perfs[i]->max_backlog_at;
		}
	} else {
		for (i = 0; i < l->ntasks; i++) {
			const struct an_task *t = l->tasks[i];

			snprintf(who, sizeof(who), "%s (%s)",
				 t->name ? t->name : "", an_prio_name(t->prio));
			if ((!strcmp(who, fd->culprit) ||
			     (t->name && !strcmp(t->name, fd->culprit))) &&
			    t->runs)
				return t->max_run_begin;
		}
	}
	return l->first;
}

static bool write_loop(struct out *o, const struct an_loop *l, int64_t pid,
		       int64_t tid0, int64_t t0)
{
	char name[160], buf[48];
	size_t i;
	unsigned k;
	int p;

	for (i = 0; i < l->nruns; i++) {
		const struct an_run *run = &l->runs[i];
		const struct an_task *t = run->task;

		if (run->prio < -1 || run->prio >= AN_PRIOS)
			continue;
		ev_begin(o, "X");
		fputs(",\"name\":", o->f);
		json_str(o->f, t ? (t->name && t->name[0] ? t->name
					: "(unnamed)") : "performer work");
		fprintf(o->f, ",\"cat\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%"
			PRId64 ",\"ts\":", run->prio < 0 ? "performer" :
			an_prio_name(run->prio), pid,
			tid0 + (run->prio < 0 ? 0 : 1 + 2 * run->prio));
		json_us(o->f, run->begin - t0);
		fputs(",\"dur\":", o->f);
		json_us(o->f, run->end > run->begin ? run->end - run->begin
						    : 0);
		fputs(",\"args\":{", o->f);
		if (t) {
			fprintf(o->f, "\"task\":%" PRIu64, run->task_id);
			if (run->ready_at >= 0)
				fprintf(o->f, ",\"wait_ns\":%" PRId64,
					run->begin - run->ready_at);
		} else if (run->ready_at >= 0) {
			fprintf(o->f, "\"delay_ns\":%" PRId64,
				run->begin - run->ready_at);
		}
		fputs("}}", o->f);
	}
	for (p = 0; p < AN_PRIOS; p++) {
		const struct an_prio *ap = &l->prio[p];

		for (i = 0; i < ap->nstarves; i++) {
			const struct an_starve *s = &ap->starves[i];

			ev_begin(o, "X");
			snprintf(name, sizeof(name), "%s starving",
				 an_prio_name(p));
			fprintf(o->f, ",\"name\":\"%s\",\"cat\":\"starvation\","
				"\"pid\":%" PRId64 ",\"tid\":%" PRId64
				",\"ts\":", name, pid, tid0 + 2 + 2 * p);
			json_us(o->f, s->start - t0);
			fputs(",\"dur\":", o->f);
			json_us(o->f, s->end - s->start);
			fprintf(o->f, ",\"args\":{\"duration\":\"%s\","
				"\"open_at_end\":%s", an_fmt_ns(s->end -
				s->start, buf, sizeof(buf)),
				s->open_at_end ? "true" : "false");
			for (k = 0; k < s->nblame && k < AN_BLAME_MAX; k++) {
				const struct an_blame *b = &s->blame[k];

				fprintf(o->f, ",\"blame%u\":", k + 1);
				snprintf(name, sizeof(name), "%s: %s in "
					 "%" PRIu64 " run%s", b->task ?
					 (b->task->name ? b->task->name : "") :
					 "performer work",
					 an_fmt_ns(b->ran_ns, buf, sizeof(buf)),
					 b->runs, b->runs == 1 ? "" : "s");
				json_str(o->f, name);
			}
			fputs("}}", o->f);
		}
	}

	for (p = 0; p < AN_PRIOS; p++) {
		const struct an_prio *ap = &l->prio[p];

		snprintf(name, sizeof(name), "LOOP 0x%" PRIx64 " %s", l->addr,
			 an_prio_name(p));
		for (i = 0; i < ap->ndepth; i++) {
			ev_begin(o, "C");
			fprintf(o->f, ",\"name\":\"%s\",\"pid\":%" PRId64
				",\"tid\":%" PRId64 ",\"ts\":", name, pid,
				tid0 + 1 + 2 * p);
			json_us(o->f, ap->depth[i].t - t0);
			fprintf(o->f, ",\"args\":{\"ready\":%" PRIu32 "}}",
				ap->depth[i].depth);
		}
	}
	return true;
}

/* Which lanes of a loop have something: runs, a priority that fired or
 * was ever ready, starvation. */
static void loop_lanes(const struct an_loop *l, bool has[LANES])
{
	size_t j;
	int p;

	memset(has, 0, LANES * sizeof(*has));
	for (j = 0; j < l->nruns; j++)
		if (l->runs[j].prio >= -1 && l->runs[j].prio < AN_PRIOS)
			has[l->runs[j].prio < 0 ? 0 :
			    1 + 2 * l->runs[j].prio] = true;
	for (p = 0; p < AN_PRIOS; p++) {
		has[1 + 2 * p] |= l->prio[p].fired > 0 ||
				  l->prio[p].ndepth > 0;
		has[2 + 2 * p] = l->prio[p].nstarves > 0;
	}
}

static void write_finding(struct out *o, const struct an_finding *fd,
			  int64_t pid, int64_t tid, int64_t t0)
{
	int64_t at = finding_time(fd);
	char name[200];

	if (at == INT64_MIN || at < t0)
		at = t0;
	ev_begin(o, "i");
	snprintf(name, sizeof(name), "%s: %s", an_kind_name(fd->kind),
		 fd->culprit);
	fputs(",\"s\":\"g\",\"cat\":\"finding\",\"name\":", o->f);
	json_str(o->f, name);
	fprintf(o->f, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":",
		pid, tid);
	json_us(o->f, at - t0);
	fprintf(o->f, ",\"args\":{\"severity\":\"%s\",\"kind\":\"%s\","
		"\"culprit\":", an_severity_name(fd->severity),
		an_kind_name(fd->kind));
	json_str(o->f, fd->culprit);
	fputs(",\"evidence\":", o->f);
	json_str(o->f, fd->evidence);
	if (fd->loop)
		fprintf(o->f, ",\"loop\":\"0x%" PRIx64 "\"", fd->loop->addr);
	fputs("}}", o->f);
}

/* The whole JSON document to f; false when out of memory. */
static bool write_json(FILE *f, const struct an_result *r, uint64_t *nev)
{
	struct out o = { .f = f, .first = true };
	struct proc *procs;
	/* Per loop: its first lane's thread id, where its findings go. */
	int64_t t0 = INT64_MAX, *tid0, *tid_any;
	size_t nprocs = 0, i;
	bool has[LANES], ok = true;
	char name[200];
	int lane;

	procs = make_procs(r, &nprocs);
	tid0 = calloc(r->nloops ? r->nloops : 1, sizeof(*tid0));
	tid_any = calloc(r->nloops ? r->nloops : 1, sizeof(*tid_any));
	if (!procs || !tid0 || !tid_any) {
		free(procs);
		free(tid0);
		free(tid_any);
		return false;
	}
	for (i = 0; i < r->nloops; i++) {
		/* A loop that saw no time has first == INT64_MIN. */
		if (r->loops[i]->first != INT64_MIN && r->loops[i]->first < t0)
			t0 = r->loops[i]->first;
	}
	if (t0 == INT64_MAX)
		t0 = 0;

	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);

	/* Metadata: the names and order of the processes and lanes. */
	for (i = 0; i < nprocs; i++) {
		if (procs[i].procname && procs[i].vpid >= 0)
			snprintf(name, sizeof(name), "%s", procs[i].procname);
		else if (procs[i].procname)
			snprintf(name, sizeof(name), "%s (trace %u)",
				 procs[i].procname, procs[i].trace);
		else if (procs[i].vpid >= 0)
			snprintf(name, sizeof(name), "pid %" PRId64,
				 procs[i].vpid);
		else
			snprintf(name, sizeof(name), "trace %u",
				 procs[i].trace);
		ev_meta(&o, "process_name", procs[i].pid, 0, name, 0);
		ev_meta(&o, "process_sort_index", procs[i].pid, 0, NULL,
			(long)i);
	}
	for (i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		struct proc *pr = proc_of(procs, nprocs, l);
		unsigned idx = pr->nloops++;

		tid0[i] = TID_BASE + (int64_t)i * LANES;
		tid_any[i] = -1;
		loop_lanes(l, has);
		for (lane = 0; lane < 1 + 2 * AN_PRIOS; lane++) {
			if (!has[lane])
				continue;
			if (tid_any[i] < 0)
				tid_any[i] = tid0[i] + lane;
			ev_meta(&o, "thread_name", pr->pid, tid0[i] + lane,
				lane_name(lane, name, sizeof(name), l), 0);
			ev_meta(&o, "thread_sort_index", pr->pid,
				tid0[i] + lane, NULL,
				(long)idx * LANES + lane);
		}
		/* A loop with nothing to show still gets a lane for its
		 * findings. */
		if (tid_any[i] < 0) {
			tid_any[i] = tid0[i];
			ev_meta(&o, "thread_name", pr->pid, tid0[i],
				lane_name(0, name, sizeof(name), l), 0);
		}
	}

	for (i = 0; i < r->nloops && ok; i++)
		ok = write_loop(&o, r->loops[i],
				proc_of(procs, nprocs, r->loops[i])->pid,
				tid0[i], t0);

	for (i = 0; i < r->nfindings && ok; i++) {
		const struct an_finding *fd = &r->findings[i];
		size_t li;

		for (li = 0; li < r->nloops; li++)
			if (r->loops[li] == fd->loop)
				break;
		/* A finding about the whole trace (events lost) goes with
		 * the first loop. */
		if (li == r->nloops)
			li = 0;
		if (r->nloops)
			write_finding(&o, fd,
				      proc_of(procs, nprocs,
					      r->loops[li])->pid,
				      tid_any[li], t0);
		else
			write_finding(&o, fd, 0, 0, t0);
	}
	fputs("\n]}\n", f);
	*nev = o.events;
	free(procs);
	free(tid0);
	free(tid_any);
	return ok;
}

int sp_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "perfetto", required_argument, NULL, 'p' },
		{ "long-task", required_argument, NULL, 'l' },
		{ "starve", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	struct an_config cfg;
	const struct an_result *r;
	char err[512], *tmp;
	uint64_t nev = 0;
	struct an *a;
	FILE *f;
	int c, e;
	bool ok;

	an_config_default(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			file = optarg;
			break;
		case 'l':
			if (!sp_parse_ms(optarg, &cfg.long_task_ns)) {
				sp_error("export: --long-task: '%s' is not a "
					 "duration in ms", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 's':
			if (!sp_parse_ms(optarg, &cfg.starve_ns)) {
				sp_error("export: --starve: '%s' is not a "
					 "duration in ms", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'h':
			return usage(stdout, SP_EXIT_OK);
		case ':':
			sp_error("export: %s needs a value",
				 argv[optind - 1]);
			return usage(stderr, SP_EXIT_USAGE);
		default:
			sp_error("export: unknown option '%s'",
				 argv[optind - 1]);
			return usage(stderr, SP_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		sp_error("export: no trace directory given");
		return usage(stderr, SP_EXIT_USAGE);
	}
	if (!file || !*file) {
		sp_error("export: --perfetto FILE.json is required");
		return usage(stderr, SP_EXIT_USAGE);
	}

	a = an_from_traces((const char *const *)argv + optind, argc - optind,
			   &cfg, err, sizeof(err));
	if (!a) {
		sp_error("%s", err);
		return SP_EXIT_USAGE;
	}
	r = an_finish(a);

	/* Written beside, then renamed: FILE is never left half written. */
	if (asprintf(&tmp, "%s.tmp", file) < 0) {
		sp_error("out of memory");
		an_free(a);
		return SP_EXIT_FAIL;
	}
	f = fopen(tmp, "w");
	if (!f) {
		sp_error("cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	ok = write_json(f, r, &nev);
	e = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (!ok || e || rename(tmp, file) < 0) {
		if (!ok)
			sp_error("out of memory writing %s", file);
		else
			sp_error("cannot write %s: %s", e ? tmp : file,
				 strerror(e ? e : errno));
		unlink(tmp);
		free(tmp);
		an_free(a);
		return SP_EXIT_FAIL;
	}
	printf("%s: %" PRIu64 " trace events%s; open it in "
	       "https://ui.perfetto.dev or chrome://tracing\n", file, nev,
	       r->complete ? "" : " (the trace is INCOMPLETE: the tracer "
	       "lost events)");
	free(tmp);
	an_free(a);
	return SP_EXIT_OK;
}
