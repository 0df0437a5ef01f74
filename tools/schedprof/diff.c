/*
 * schedprof diff BEFORE AFTER: compares two recordings, each a trace
 * directory or a report's JSON (schedprof report --json), through the
 * comparison shared with schedreplay (tools/common/compare.h). Each side is
 * the busiest loop (most task runs) of its recording, or of the process
 * --pid names, with the findings about that loop or about no loop in
 * particular. Text or JSON; --fail-on PCT exits 3 when AFTER is worse
 * (compare.h says what worse is). docs/schedprof.md, its schedprof diff
 * section.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"
#include "compare.h"
#include "jsonstr.h"
#include "numarg.h"
#include "schedprof.h"
#include "textesc.h"

/* One side as read: its figures, and what it was. */
struct side {
	const char *path;
	bool is_trace;
	struct cmp_set *set;
	char label[256];      /* the loop compared, or "no loop" */
	int64_t pid;          /* the loop's process, -1 if none */
	uint64_t task_runs;
	size_t nloops;        /* loops in the recording (of --pid) */
	int64_t long_task_ns, starve_ns;
};

static void put_figs(struct cmp_figs *f, enum cmp_fig fig, int64_t v)
{
	cmp_figs_set(f, fig, v);
}

/* ---- a trace ------------------------------------------------------------- */

static int from_trace(struct side *s, const struct an_config *cfg, char *err,
		      size_t errlen)
{
	const char *paths[1] = { s->path };
	struct an *a = an_from_traces(paths, 1, cfg, err, errlen);
	const struct an_result *r;
	struct an_loop *l = NULL;
	struct an_counts cnt;
	int rc = -ENOMEM;

	if (!a)
		return -EINVAL;
	r = an_finish(a);
	s->long_task_ns = r->cfg.long_task_ns;
	s->starve_ns = r->cfg.starve_ns;
	s->nloops = r->nloops;
	for (size_t i = 0; i < r->nloops; i++) {
		an_loop_counts(r->loops[i], &cnt);
		if (!l || cnt.task_runs > s->task_runs) {
			l = r->loops[i];
			s->task_runs = cnt.task_runs;
		}
	}
	if (!l) {
		snprintf(s->label, sizeof(s->label), "no loop");
		s->pid = -1;
		rc = 0;
		goto out;
	}
	an_loop_label(l, s->label, sizeof(s->label));
	s->pid = l->vpid;
	cmp_set_has_loop(s->set);
	for (int p = 0; p < AN_PRIOS; p++) {
		struct an_prio *pr = &l->prio[p];
		struct cmp_figs f = { { 0 }, 0 };

		if (!pr->fired && !pr->nstarves)
			continue;
		put_figs(&f, CMP_RUNS, (int64_t)pr->fired);
		put_figs(&f, CMP_WAIT_P50, an_pct(&pr->wait, 50));
		put_figs(&f, CMP_WAIT_P99, an_pct(&pr->wait, 99));
		put_figs(&f, CMP_WAIT_MAX, pr->wait.count ? pr->wait.max : 0);
		put_figs(&f, CMP_STARVED, pr->starved_ns);
		put_figs(&f, CMP_INTERVALS, (int64_t)pr->nstarves);
		if (cmp_set_prio(s->set, an_prio_name(p), &f) < 0)
			goto out;
	}
	for (size_t i = 0; i < l->ntasks; i++) {
		struct an_task *t = l->tasks[i];
		struct cmp_figs f = { { 0 }, 0 };

		put_figs(&f, CMP_RUNS, (int64_t)t->runs);
		put_figs(&f, CMP_WAIT_P50, an_pct(&t->wait, 50));
		put_figs(&f, CMP_WAIT_P99, an_pct(&t->wait, 99));
		put_figs(&f, CMP_WAIT_MAX, t->wait.count ? t->wait.max : 0);
		put_figs(&f, CMP_RUN_MAX, t->run.count ? t->run.max : 0);
		put_figs(&f, CMP_RUN_TOTAL, t->run_total);
		put_figs(&f, CMP_LONG_RUNS, (int64_t)t->long_runs);
		if (cmp_set_task(s->set, t->name, an_prio_name(t->prio), &f) < 0)
			goto out;
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct an_finding *fd = &r->findings[i];

		if (fd->loop && fd->loop != l)
			continue;
		if (cmp_set_finding(s->set, an_severity_name(fd->severity),
				    an_kind_name(fd->kind), fd->culprit,
				    fd->evidence) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	an_free(a);
	return rc;
}

/* ---- a report's JSON --------------------------------------------------------- */

static int64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A distribution's percentile, p "p50": 0 when missing. */
static int64_t jdist(json_t *o, const char *dist, const char *p)
{
	return jint(json_object_get(o, dist), p);
}

/* The report's task runs of loop l (the sum of its priorities' fired). */
static uint64_t loop_runs(json_t *l)
{
	json_t *v = json_object_get(l, "task_runs");

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static int from_json(struct side *s, const char *which, int64_t pid,
		     char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(s->path, 0, &je), *loops, *l = NULL, *x;
	size_t i;
	int rc = -EINVAL;
	const char *addr = NULL;

	if (!root) {
		snprintf(err, errlen, "diff: %s %s: not a directory (a trace) "
				      "nor a report's JSON: %s (line %d)",
			 which, tx_esc(s->path), je.text, je.line);
		return -EINVAL;
	}
	if (!json_is_object(root) ||
	    jint(root, "schedprof_report") != 1 ||
	    !json_is_array(json_object_get(root, "loops")) ||
	    !json_is_array(json_object_get(root, "findings"))) {
		snprintf(err, errlen, "diff: %s %s is JSON but not a "
				      "schedprof report (schedprof report "
				      "--json, \"schedprof_report\": 1)",
			 which, tx_esc(s->path));
		goto out;
	}
	s->long_task_ns = jint(root, "long_task_ns");
	s->starve_ns = jint(root, "starve_ns");
	loops = json_object_get(root, "loops");
	json_array_foreach(loops, i, x) {
		if (!json_is_object(x))
			continue;
		if (pid >= 0 && jint(x, "pid") != pid)
			continue;
		s->nloops++;
		if (!l || loop_runs(x) > s->task_runs) {
			l = x;
			s->task_runs = loop_runs(x);
		}
	}
	if (!l) {
		snprintf(s->label, sizeof(s->label), "no loop");
		s->pid = -1;
		rc = 0;
		goto out;
	}
	snprintf(s->label, sizeof(s->label), "%s",
		 jstr(l, "label") ? jstr(l, "label") : "loop");
	s->pid = jint(l, "pid");
	cmp_set_has_loop(s->set);
	addr = jstr(l, "loop");
	rc = -ENOMEM;
	json_array_foreach(json_object_get(l, "priorities"), i, x) {
		struct cmp_figs f = { { 0 }, 0 };
		json_t *st = json_object_get(x, "starvation");
		size_t nst = json_is_array(st) ? json_array_size(st) : 0;

		if (!jstr(x, "priority") || (!jint(x, "fired") && !nst))
			continue;
		put_figs(&f, CMP_RUNS, jint(x, "fired"));
		put_figs(&f, CMP_WAIT_P50, jdist(x, "wait_ns", "p50"));
		put_figs(&f, CMP_WAIT_P99, jdist(x, "wait_ns", "p99"));
		put_figs(&f, CMP_WAIT_MAX, jdist(x, "wait_ns", "max"));
		put_figs(&f, CMP_STARVED, jint(x, "starved_ns"));
		put_figs(&f, CMP_INTERVALS, (int64_t)nst);
		if (cmp_set_prio(s->set, jstr(x, "priority"), &f) < 0)
			goto out;
	}
	json_array_foreach(json_object_get(l, "tasks"), i, x) {
		struct cmp_figs f = { { 0 }, 0 };

		if (!jstr(x, "name"))
			continue;
		put_figs(&f, CMP_RUNS, jint(x, "runs"));
		put_figs(&f, CMP_WAIT_P50, jdist(x, "wait_ns", "p50"));
		put_figs(&f, CMP_WAIT_P99, jdist(x, "wait_ns", "p99"));
		put_figs(&f, CMP_WAIT_MAX, jdist(x, "wait_ns", "max"));
		put_figs(&f, CMP_RUN_MAX, jdist(x, "run_ns", "max"));
		put_figs(&f, CMP_RUN_TOTAL, jint(x, "run_total_ns"));
		put_figs(&f, CMP_LONG_RUNS, jint(x, "long_runs"));
		if (cmp_set_task(s->set, jstr(x, "name"), jstr(x, "priority"),
				 &f) < 0)
			goto out;
	}
	json_array_foreach(json_object_get(root, "findings"), i, x) {
		const char *fl = jstr(x, "loop");

		if (!jstr(x, "kind") || !jstr(x, "severity"))
			continue;
		if (fl && addr && strcmp(fl, addr))
			continue;
		if (cmp_set_finding(s->set, jstr(x, "severity"), jstr(x, "kind"),
				    jstr(x, "culprit"), jstr(x, "evidence")) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	json_decref(root);
	return rc;
}

/* Reads one side: a directory is a trace, a file a report's JSON. */
static int read_side(struct side *s, const char *which,
		     const struct an_config *cfg, bool thresholds_given,
		     char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (stat(s->path, &st) < 0) {
		snprintf(err, errlen, "diff: %s %s: %s", which, tx_esc(s->path),
			 strerror(errno));
		return -EINVAL;
	}
	s->set = cmp_set_new();
	if (!s->set) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->is_trace = S_ISDIR(st.st_mode);
	if (s->is_trace) {
		rc = from_trace(s, cfg, err, errlen);
	} else {
		rc = from_json(s, which, cfg->pid, err, errlen);
		if (!rc && thresholds_given &&
		    (s->long_task_ns != cfg->long_task_ns ||
		     s->starve_ns != cfg->starve_ns)) {
			snprintf(err, errlen, "diff: %s %s was reported with "
					      "other --long-task/--starve "
					      "thresholds than those given",
				 which, tx_esc(s->path));
			rc = -EINVAL;
		}
	}
	if (!rc && cfg->pid >= 0 && !s->nloops) {
		snprintf(err, errlen, "diff: no libsched loop of pid %lld in "
				      "%s %s", (long long)cfg->pid, which,
			 tx_esc(s->path));
		rc = -EINVAL;
	}
	return rc;
}

/* ---- output --------------------------------------------------------------------- */

static void text_side(const char *which, const struct side *s)
{
	printf("  %-7s %s (%s): %s", which, tx_esc(s->path),
	       s->is_trace ? "trace" : "report", tx_esc(s->label));
	if (s->pid >= 0)
		printf(", pid %lld", (long long)s->pid);
	printf(", %" PRIu64 " task run%s", s->task_runs,
	       s->task_runs == 1 ? "" : "s");
	if (s->nloops > 1)
		printf(" (the busiest of %zu loops)", s->nloops);
	putchar('\n');
}

static void json_side(const char *key, const struct side *s)
{
	printf("\"%s\":{\"path\":", key);
	tj_str(stdout, s->path);
	printf(",\"source\":\"%s\",\"loop\":", s->is_trace ? "trace" : "report");
	tj_str(stdout, s->label);
	printf(",\"pid\":%lld,\"task_runs\":%" PRIu64 ",\"loops\":%zu}",
	       (long long)s->pid, s->task_runs, s->nloops);
}

/* ---- the command ------------------------------------------------------------- */

#define DIFF_USAGE \
	"usage: schedprof diff BEFORE AFTER [--json] [--fail-on PCT] " \
	"[--min-change MS]\n" \
	"                      [--pid PID[,PID]] [--long-task MS] " \
	"[--starve MS] [--merge]\n"

void sp_diff_help(FILE *f)
{
	fputs(DIFF_USAGE
	      "Compares two recordings, such as before and after a fix: per "
	      "priority and per\ntask before | after | change, the findings "
	      "new, gone or still there, the\nsummary first.\n"
	      "  BEFORE, AFTER       a trace directory or a report's JSON\n"
	      "                      (schedprof report --json)\n"
	      "  --json              the comparison as JSON\n"
	      "  --fail-on PCT       exit 3 when AFTER is worse: a wait p99, "
	      "wait max or\n"
	      "                      longest run up by more than PCT % and "
	      "--min-change; one\n"
	      "                      only in AFTER of at least --min-change; "
	      "an error finding\n"
	      "                      new, or an error now that was less "
	      "before. Every such\n"
	      "                      change shows (noise is the lower of PCT "
	      "and 10 %)\n"
	      "  --min-change MS     smaller changes of a time are noise "
	      "(default 1)\n"
	      "  --pid PID           only that process's loops; "
	      "BEFORE_PID,AFTER_PID: one each\n"
	      "  --long-task MS      a run this long is a long task "
	      "(default 50), as in report\n"
	      "  --starve MS         a ready task waiting this long starves "
	      "(default 100)\n"
	      "  --merge             read traces of several recordings "
	      "together, as in report\n"
	      "  -h, --help          this help\n"
	      "  --version           the libsched release and the trace "
	      "schema\n"
	      "Exit status: 0 compared (not worse); 1 the output could not be "
	      "written or out\nof memory; 2 bad usage or bad input; 3 "
	      "--fail-on: AFTER is worse.\n"
	      "See schedprof(1) and docs/schedprof.md.\n", f);
}

/* One process id (both sides) or two, "BEFORE_PID,AFTER_PID". */
static bool parse_pid(const char *s, size_t n, int64_t *pid)
{
	char buf[24];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return tn_pid(buf, pid);
}

static bool parse_pids(const char *s, int64_t pids[2])
{
	const char *comma = strchr(s, ',');

	if (!comma)
		return parse_pid(s, strlen(s), &pids[0]) &&
		       parse_pid(s, strlen(s), &pids[1]);
	return parse_pid(s, (size_t)(comma - s), &pids[0]) &&
	       parse_pid(comma + 1, strlen(comma + 1), &pids[1]);
}

/* A percentage: a plain decimal > 0, "%" allowed after it. */
static bool parse_pct(const char *s, double *v)
{
	char buf[32], *end;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%')
		buf[n - 1] = '\0';
	if (!tn_decimal(buf))
		return false;
	errno = 0;
	*v = strtod(buf, &end);
	return !errno && end != buf && !*end && *v > 0 && *v <= 1e6;
}

int sp_diff_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "min-change", required_argument, NULL, 'm' },
		{ "long-task", required_argument, NULL, 'l' },
		{ "starve", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "merge", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct an_config cfg, bcfg, acfg;
	struct cmp_rules rules;
	struct side b = { 0 }, a = { 0 };
	int64_t pids[2] = { -1, -1 };
	struct cmp *c = NULL;
	bool json = false, thresholds = false, worse = false;
	double fail_pct = 0;
	char err[512], why[512];
	int ch, status = SP_EXIT_OK;

	an_config_default(&cfg);
	cmp_rules_default(&rules);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'f':
			if (!parse_pct(optarg, &fail_pct)) {
				sp_error("diff: --fail-on: '%s' is not a "
					 "percentage above 0 and at most 1000000",
					 optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'm':
			if (!sp_parse_ms(optarg, &rules.noise_ns)) {
				sp_error("diff: --min-change: '%s' is not a "
					 "duration in ms", optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'l':
			if (!sp_parse_ms(optarg, &cfg.long_task_ns)) {
				sp_error("diff: --long-task: '%s' is not a "
					 "duration in ms", optarg);
				return SP_EXIT_USAGE;
			}
			thresholds = true;
			break;
		case 's':
			if (!sp_parse_ms(optarg, &cfg.starve_ns)) {
				sp_error("diff: --starve: '%s' is not a duration "
					 "in ms", optarg);
				return SP_EXIT_USAGE;
			}
			thresholds = true;
			break;
		case 'p':
			if (!parse_pids(optarg, pids)) {
				sp_error("diff: --pid: '%s' is not a process id or "
					 "two (PID or BEFORE_PID,AFTER_PID)",
					 optarg);
				return SP_EXIT_USAGE;
			}
			break;
		case 'M':
			/* As report: traces of several recordings are read
			 * together, and which were merged is said. */
			cfg.merge = true;
			cfg.merge_prog = "schedprof";
			break;
		case 'h':
			sp_diff_help(stdout);
			return SP_EXIT_OK;
		case 'V':
			return sp_version("diff", argc, argv, optind - 1);
		case ':':
			sp_usage_error("diff", "%s needs a value",
				       argv[optind - 1]);
			return SP_EXIT_USAGE;
		default:
			sp_usage_error("diff", "unknown option '%s'",
				       argv[optind - 1]);
			return SP_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		sp_usage_error("diff", "two recordings needed (BEFORE AFTER), "
			       "%d given", argc - optind);
		return SP_EXIT_USAGE;
	}
	rules.fail_min_ns = rules.noise_ns;
	bcfg = acfg = cfg;
	bcfg.pid = pids[0];
	acfg.pid = pids[1];
	/* What fails is shown: with --fail-on below the noise threshold,
	 * noise is --fail-on's (a +7% p99 failing --fail-on 5 is a row). */
	if (fail_pct > 0) {
		rules.fail_pct = fail_pct;
		if (fail_pct < rules.noise_pct)
			rules.noise_pct = fail_pct;
	}
	b.path = argv[optind];
	a.path = argv[optind + 1];
	if (read_side(&b, "BEFORE", &bcfg, thresholds, err, sizeof(err)) < 0 ||
	    read_side(&a, "AFTER", &acfg, thresholds, err, sizeof(err)) < 0) {
		sp_error("%s", err);
		status = strcmp(err, "out of memory") ? SP_EXIT_USAGE : SP_EXIT_FAIL;
		goto out;
	}
	if (b.long_task_ns != a.long_task_ns || b.starve_ns != a.starve_ns) {
		if (b.is_trace != a.is_trace) {
			const struct side *rs = b.is_trace ? &a : &b;

			sp_error("diff: %s %s was reported with --long-task %g "
				 "--starve %g: give those for the trace %s",
				 rs == &b ? "BEFORE" : "AFTER", tx_esc(rs->path),
				 (double)rs->long_task_ns / 1e6,
				 (double)rs->starve_ns / 1e6,
				 rs == &b ? "AFTER" : "BEFORE");
		} else {
			sp_error("diff: BEFORE and AFTER were reported with "
				 "other --long-task/--starve thresholds; report "
				 "them again with the same");
		}
		status = SP_EXIT_USAGE;
		goto out;
	}
	c = cmp_new(b.set, a.set, &rules);
	if (!c) {
		sp_error("out of memory");
		status = SP_EXIT_FAIL;
		goto out;
	}
	worse = fail_pct > 0 && cmp_worse(c, why, sizeof(why));
	if (json) {
		fputs("{\"schedprof_diff\":1,", stdout);
		json_side("before", &b);
		putchar(',');
		json_side("after", &a);
		printf(",\"long_task_ns\":%lld,\"starve_ns\":%lld,\"fail_on\":",
		       (long long)b.long_task_ns, (long long)b.starve_ns);
		if (fail_pct > 0) {
			printf("{\"pct\":%g,\"min_ns\":%lld,\"worse\":%s,"
			       "\"why\":", fail_pct, (long long)rules.fail_min_ns,
			       worse ? "true" : "false");
			if (worse)
				tj_str(stdout, why);
			else
				fputs("null", stdout);
			putchar('}');
		} else {
			fputs("null", stdout);
		}
		fputs(",\"comparison\":", stdout);
		cmp_json(stdout, c, NULL);
		fputs("}\n", stdout);
	} else {
		printf("schedprof diff\n");
		text_side("before:", &b);
		text_side("after:", &a);
		cmp_text(stdout, c, NULL, "  ");
		if (fail_pct > 0) {
			char m[32];

			if (worse)
				printf("\n  --fail-on %g%%: worse: %s\n", fail_pct,
				       tx_esc(why));
			else
				printf("\n  --fail-on %g%%: not worse (nothing up "
				       "by more than %g%% and %s, no new error "
				       "finding)\n",
				       fail_pct, fail_pct,
				       an_fmt_ns(rules.fail_min_ns, m, sizeof(m)));
		}
	}
	/* A write that failed before (a full buffer to /dev/full) leaves
	 * nothing for fflush() to fail on: ferror() says it. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sp_error("cannot write the comparison: %s", strerror(errno));
		status = SP_EXIT_FAIL;
	} else if (worse) {
		status = SP_EXIT_FINDING;
	}
out:
	cmp_free(c);
	cmp_set_free(b.set);
	cmp_set_free(a.set);
	return status;
}
