/*
 * schedreplay: the options, the input (a trace directory or a workload
 * file), the replays and the report. See schedreplay(1) and
 * docs/schedreplay.md.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixes.h"
#include "jsonstr.h"
#include "schedreplay.h"
#include "textesc.h"
#include "numarg.h"
#include "version.h"
#include "words.h"

void sr_error(const char *fmt, ...)
{
	va_list ap;

	fputs("schedreplay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs("usage: schedreplay TRACE_DIR|FILE [--sim|--real] [--speed X]\n"
	      "                   [--set-priority TASK=PRIO]... [--slice MS]\n"
	      "                   [--max-wait [TASK=]MS]... [--scale TASK=FACTOR]...\n"
	      "                   [--split TASK=N]...\n"
	      "                   [--json] [-o OUT_TRACE] [--save FILE] [--pid PID]\n"
	      "                   [--loop ADDR] [--merge] [--realtime] [--timing]\n"
	      "       schedreplay TRACE_DIR|FILE --suggest [--fix-budget SECONDS] [--json]\n"
	      "       schedreplay --version\n"
	      "Rebuilds the workload of one loop from a libsched trace (schedprof\n"
	      "record) or a workload file, replays it through the scheduler, in\n"
	      "virtual time (--sim, the default: deterministic, no sleeping) or in\n"
	      "real time (--real), with what-if changes, and compares the replay\n"
	      "with the recording: wait p50/p99/max, starvation, long runs, per\n"
	      "priority and per task, and the replay's fidelity.\n"
	      "  --sim                 virtual time through the real scheduler (default)\n"
	      "  --real                real time: tasks spin, producer threads post\n"
	      "  --speed X             --real only: X times faster (0.01 to 100)\n"
	      "  --set-priority TASK=PRIO  PRIO by name (LOWEST...) or 0-7\n"
	      "  --slice MS            the stopwatch slice of every check\n"
	      "  --max-wait [TASK=]MS  a maximum wait for TASK, or every task\n"
	      "  --scale TASK=FACTOR   TASK's run time times FACTOR (0.001 to 1000)\n"
	      "  --split TASK=N        TASK's runs each worked in N pieces (2 to 1000),\n"
	      "                        the task ready again after each piece\n"
	      "  --json                the report as JSON (schedreplay_report 1)\n"
	      "  -o, --output OUT_TRACE  --real only: record the replay with LTTng\n"
	      "                        (through schedprof record) into OUT_TRACE\n"
	      "  --save FILE           write the workload file (- for stdout), no replay\n"
	      "  --pid PID, --loop ADDR  which process and loop of the trace (default:\n"
	      "                        the loop with the most task runs)\n"
	      "  --merge               read a directory holding traces of several\n"
	      "                        recordings as one (refused without it)\n"
	      "  --realtime            --real only: run SCHED_FIFO (root), so that\n"
	      "                        other processes do not stretch the replay\n"
	      "  --timing              how fast the replay ran, on stderr\n"
	      "  --suggest             the recorded findings with their checked fixes\n"
	      "                        (candidate what-ifs replayed), as schedprof\n"
	      "                        report gives them; no what-if replay\n"
	      "  --fix-budget SECONDS  --suggest: wall-clock time for the candidates'\n"
	      "                        replays (default 0.5)\n"
	      "  -h, --help            this help\n"
	      "  --version             the libsched release and the trace schema\n"
	      "Examples:\n"
	      "  schedreplay build/demo/trace --max-wait indexer=50\n"
	      "  schedreplay build/demo/trace --save demo.workload\n"
	      "  schedreplay demo.workload --set-priority spell=LOWEST --json\n"
	      "Exit status: 0 ok, 1 the replay failed, 2 bad usage or bad input.\n"
	      "See schedreplay(1) and docs/schedreplay.md.\n",
	      f);
}

/* A duration in ms (decimals allowed, > 0) into ns. */
static bool parse_ms(const char *s, int64_t *ns)
{
	char *end;
	double v;

	if (!tn_decimal(s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e9)
		return false;
	*ns = (int64_t)(v * 1e6);
	return *ns > 0;
}

static bool parse_double(const char *s, double lo, double hi, double *v)
{
	char *end;

	if (!tn_decimal(s))
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end && *v >= lo && *v <= hi;
}

/* TASK=VALUE: splits at the last '=' (a name may hold one). */
static bool split_eq(char *arg, char **name, char **value)
{
	char *eq = strrchr(arg, '=');

	if (!eq || eq == arg || !eq[1])
		return false;
	*eq = '\0';
	*name = arg;
	*value = eq + 1;
	return true;
}

static bool add_named(struct sr_named **v, size_t *n, struct sr_named x)
{
	struct sr_named *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return false;
	*v = nv;
	nv[(*n)++] = x;
	return true;
}

/* Whether the workload has a task (or, posts true, a post) named name. */
static bool has_name(const struct wl_workload *w, const char *name, bool posts)
{
	for (size_t i = 0; i < w->ntasks; i++)
		if (!strcmp(w->tasks[i].name, name))
			return true;
	for (size_t i = 0; posts && i < w->nposts; i++)
		if (w->posts[i].prio >= 0 && !strcmp(w->posts[i].name, name))
			return true;
	return false;
}

/* The workload's task names, for a message: "a, b, c". */
static const char *task_names(const struct wl_workload *w)
{
	static char buf[400];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < w->ntasks && o + 1 < sizeof(buf); i++) {
		bool dup = false;

		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(w->tasks[k].name, w->tasks[i].name);
		if (dup)
			continue;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? ", " : "",
				      tx_esc(w->tasks[i].name));
	}
	if (o >= sizeof(buf) - 1)
		strcpy(buf + sizeof(buf) - 5, "...");
	return buf;
}

static bool check_names(const struct wl_workload *w, const char *opt,
			const struct sr_named *v, size_t n, bool posts)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].name && !has_name(w, v[i].name, posts)) {
			sr_error("%s: no task named '%s' in the workload "
				 "(tasks: %s)",
				 opt, tx_esc(v[i].name), task_names(w));
			return false;
		}
	return true;
}

/* Whether arg is --output, or a prefix of it getopt_long takes for it
 * (--out, --outp, ...), alone (with_value false) or with "=VALUE". */
static bool is_output_opt(const char *arg, bool with_value)
{
	size_t n = strcspn(arg, "=");

	if (n < 3 || strncmp(arg, "--output", n))
		return false;
	return with_value ? arg[n] == '=' : arg[n] == '\0';
}

/* -o: runs this same command again, without -o, under schedprof record
 * (found beside this program), which records it into OUT. */
static int record_self(int argc, char **argv, const char *out)
{
	char self[PATH_MAX], dir[PATH_MAX], prof[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char **nargv;
	int k = 0;

	if (n <= 0) {
		sr_error("-o: cannot find this program: %s", strerror(errno));
		return SR_EXIT_FAIL;
	}
	self[n] = '\0';
	memcpy(dir, self, (size_t)n + 1);
	snprintf(prof, sizeof(prof), "%s/schedprof", dirname(dir));
	if (access(prof, X_OK) != 0) {
		sr_error("-o: %s: %s (schedprof records the replay; install it "
			 "beside schedreplay)",
			 prof, strerror(errno));
		return SR_EXIT_FAIL;
	}
	nargv = calloc((size_t)argc + 8, sizeof(*nargv));
	if (!nargv) {
		sr_error("out of memory");
		return SR_EXIT_FAIL;
	}
	nargv[k++] = prof;
	nargv[k++] = "record";
	nargv[k++] = "-o";
	nargv[k++] = (char *)out;
	nargv[k++] = "--";
	nargv[k++] = self;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			/* Operands only from here: kept as they are. */
			while (i < argc)
				nargv[k++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "-o") || is_output_opt(argv[i], false)) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "-o", 2) || is_output_opt(argv[i], true))
			continue;
		nargv[k++] = argv[i];
	}
	fflush(NULL);
	execv(prof, nargv);
	sr_error("-o: cannot run %s: %s", prof, strerror(errno));
	free(nargv);
	return SR_EXIT_FAIL;
}

/* The command, once its argument vector is copied (for -o); what it
 * allocates in wi is freed by main(). */
/* --suggest: the recorded findings, each with its checked fixes. */
static int suggest_print(const struct wl_workload *w, const struct an_config *cfg,
			 double budget, bool json)
{
	struct fx_result r;

	if (fx_suggest(w, cfg, budget, &r) < 0) {
		sr_error("out of memory");
		return SR_EXIT_FAIL;
	}
	if (json) {
		printf("{\"schedreplay_suggest\":1,\"status\":\"%s\",\"why\":",
		       r.status == FX_DONE ? "done"
		       : r.status == FX_UNFAITHFUL ? "unfaithful"
		       : r.status == FX_NO_ORIG ? "no-figures" : "no-replay");
		tj_str(stdout, r.why);
		printf(",\"replays\":%zu,\"budget_s\":%g,\"budget_out\":%s,"
		       "\"findings\":[", r.replays, r.budget_s,
		       r.budget_out ? "true" : "false");
		for (size_t i = 0; i < w->norig_findings; i++) {
			const struct wl_orig_finding *f = &w->orig_findings[i];

			printf("%s{\"severity\":", i ? "," : "");
			tj_str(stdout, f->severity);
			fputs(",\"kind\":", stdout);
			tj_str(stdout, f->kind);
			fputs(",\"culprit\":", stdout);
			tj_str(stdout, f->culprit);
			fputs(",\"evidence\":", stdout);
			tj_str(stdout, f->evidence ? f->evidence : "");
			if (r.status == FX_DONE) {
				fputs(",\"fixes\":", stdout);
				fx_json(stdout, &r, fx_find(&r, f->kind, f->culprit));
			}
			fputc('}', stdout);
		}
		fputs("]}\n", stdout);
	} else {
		printf("schedreplay: %zu recorded %s", w->norig_findings,
		       tw_noun(w->norig_findings, "finding", "findings"));
		if (r.status == FX_DONE)
			printf(", %zu candidate %s replayed in %.2f s\n",
			       r.replays, tw_noun(r.replays, "fix", "fixes"),
			       r.wall_s);
		else
			printf("\n%s\n", tx_esc(fx_status_text(&r)));
		for (size_t i = 0; i < w->norig_findings; i++) {
			const struct wl_orig_finding *f = &w->orig_findings[i];

			printf("  %-7s  %-18s %s\n", tx_esc(f->severity),
			       tx_esc(f->kind), tx_esc(f->culprit));
			if (f->evidence)
				printf("           %s\n", tx_esc(f->evidence));
			if (r.status == FX_DONE)
				fx_text(stdout, &r,
					fx_find(&r, f->kind, f->culprit),
					"           ");
		}
		if (r.budget_out)
			printf("  fixes: the budget (--fix-budget %g s) ran out "
			       "before every candidate was tried\n", r.budget_s);
	}
	fx_free(&r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sr_error("cannot write the report: %s", strerror(errno));
		return SR_EXIT_FAIL;
	}
	return SR_EXIT_OK;
}

static int run(int argc, char **argv, char **argv_copy, struct sr_whatif *wi)
{
	static const struct option opts[] = {
		{ "sim", no_argument, NULL, 'S' },
		{ "real", no_argument, NULL, 'R' },
		{ "speed", required_argument, NULL, 'x' },
		{ "set-priority", required_argument, NULL, 'p' },
		{ "slice", required_argument, NULL, 's' },
		{ "max-wait", required_argument, NULL, 'm' },
		{ "scale", required_argument, NULL, 'c' },
		{ "split", required_argument, NULL, 'X' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "save", required_argument, NULL, 'w' },
		{ "pid", required_argument, NULL, 'P' },
		{ "loop", required_argument, NULL, 'L' },
		{ "timing", no_argument, NULL, 't' },
		{ "realtime", no_argument, NULL, 'T' },
		{ "suggest", no_argument, NULL, 'G' },
		{ "fix-budget", required_argument, NULL, 'B' },
		{ "merge", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool suggest = false, budget_set = false;
	double budget = FX_BUDGET_DEFAULT;
	struct an_config cfg;
	bool real = false, json = false, timing = false, speed_set = false;
	bool mode_given = false;
	bool realtime = false;
	struct sr_mode mode, sim = { .real = false, .speed = 1.0 };
	double speed = 1.0;
	const char *out_trace = NULL, *save = NULL, *input;
	uint64_t loop = 0;
	char err[600];
	struct wl_workload *w = NULL;
	struct sr_replay rep = { 0 }, urep = { 0 };
	struct sr_figs forig, frep, funch;
	bool have_orig;
	struct sr_report rr;
	struct stat sb;
	int c, status = SR_EXIT_OK;

	an_config_default(&cfg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		char *name, *value;
		int64_t ns;
		double d;

		switch (c) {
		case 'S':
		case 'R':
			if (mode_given && real != (c == 'R')) {
				sr_error("--sim and --real: one or the other");
				return SR_EXIT_USAGE;
			}
			mode_given = true;
			real = c == 'R';
			break;
		case 'x':
			if (!parse_double(optarg, 0.01, 100, &speed)) {
				sr_error("--speed: '%s' is not a factor from 0.01 "
					 "to 100", optarg);
				return SR_EXIT_USAGE;
			}
			speed_set = true;
			break;
		case 'p': {
			int prio;

			if (!split_eq(optarg, &name, &value)) {
				sr_error("--set-priority: '%s' is not TASK=PRIO",
					 optarg);
				return SR_EXIT_USAGE;
			}
			prio = wl_prio_parse(value);
			if (prio < 0) {
				sr_error("--set-priority: '%s' is not a priority "
					 "(HIGHEST, DEFAULT, HIGH_IDLE, RESIZE, "
					 "REPAINT, POST_PAINT, DEFAULT_IDLE, LOWEST "
					 "or 0-7)", value);
				return SR_EXIT_USAGE;
			}
			if (!add_named(&wi->prios, &wi->nprios,
				       (struct sr_named){ name, prio, 0 })) {
				sr_error("out of memory");
				return SR_EXIT_FAIL;
			}
			break;
		}
		case 's':
			if (!parse_ms(optarg, &wi->slice)) {
				sr_error("--slice: '%s' is not a duration in ms",
					 optarg);
				return SR_EXIT_USAGE;
			}
			break;
		case 'm':
			name = NULL;
			value = optarg;
			if (strchr(optarg, '=') && !split_eq(optarg, &name, &value)) {
				sr_error("--max-wait: '%s' is not [TASK=]MS", optarg);
				return SR_EXIT_USAGE;
			}
			if (!parse_ms(value, &ns)) {
				sr_error("--max-wait: '%s' is not a duration in ms",
					 value);
				return SR_EXIT_USAGE;
			}
			if (!add_named(&wi->max_waits, &wi->nmax_waits,
				       (struct sr_named){ name, ns, 0 })) {
				sr_error("out of memory");
				return SR_EXIT_FAIL;
			}
			break;
		case 'c':
			if (!split_eq(optarg, &name, &value)) {
				sr_error("--scale: '%s' is not TASK=FACTOR", optarg);
				return SR_EXIT_USAGE;
			}
			if (!parse_double(value, 0.001, 1000, &d)) {
				sr_error("--scale: '%s' is not a factor from 0.001 "
					 "to 1000", value);
				return SR_EXIT_USAGE;
			}
			if (!add_named(&wi->scales, &wi->nscales,
				       (struct sr_named){ name, 0, d })) {
				sr_error("out of memory");
				return SR_EXIT_FAIL;
			}
			break;
		case 'X':
			if (!split_eq(optarg, &name, &value)) {
				sr_error("--split: '%s' is not TASK=N", optarg);
				return SR_EXIT_USAGE;
			}
			if (!parse_double(value, 2, 1000, &d) || d != (double)(int64_t)d) {
				sr_error("--split: '%s' is not a number of pieces "
					 "from 2 to 1000", value);
				return SR_EXIT_USAGE;
			}
			if (!add_named(&wi->splits, &wi->nsplits,
				       (struct sr_named){ name, (int64_t)d, 0 })) {
				sr_error("out of memory");
				return SR_EXIT_FAIL;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			out_trace = optarg;
			break;
		case 'w':
			save = optarg;
			break;
		case 'P':
			if (!tn_pid(optarg, &cfg.pid)) {
				sr_error("--pid: '%s' is not a process id", optarg);
				return SR_EXIT_USAGE;
			}
			break;
		case 'L': {
			char *end;

			errno = 0;
			loop = strtoull(optarg, &end, 16);
			if (errno || end == optarg || *end || !loop) {
				sr_error("--loop: '%s' is not a loop address (hex)",
					 optarg);
				return SR_EXIT_USAGE;
			}
			break;
		}
		case 't':
			timing = true;
			break;
		case 'T':
			realtime = true;
			break;
		case 'G':
			suggest = true;
			break;
		case 'B':
			if (!parse_double(optarg, 0, 3600, &budget)) {
				sr_error("--fix-budget: '%s' is not a number of "
					 "seconds from 0 to 3600", optarg);
				return SR_EXIT_USAGE;
			}
			budget_set = true;
			break;
		case 'M':
			cfg.merge = true;
			cfg.merge_prog = "schedreplay";
			break;
		case 'h':
			usage(stdout);
			return SR_EXIT_OK;
		case 'V':
			if (tool_version_extra(argc, argv, 1, optind - 1)) {
				sr_error("--version goes alone, not with '%s' "
					 "(see schedreplay --help)",
					 tool_version_extra(argc, argv, 1, optind - 1));
				return SR_EXIT_USAGE;
			}
			tool_print_version(stdout, "schedreplay");
			return SR_EXIT_OK;
		case ':':
			sr_error("%s needs a value (see schedreplay --help)",
				 argv[optind - 1]);
			return SR_EXIT_USAGE;
		default:
			sr_error("unknown option '%s' (see schedreplay --help)",
				 argv[optind - 1]);
			return SR_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		sr_error("no trace directory or workload file given (see "
			 "schedreplay --help)");
		return SR_EXIT_USAGE;
	}
	if (argc - optind > 1) {
		sr_error("one trace directory or workload file, not '%s' too",
			 argv[optind + 1]);
		return SR_EXIT_USAGE;
	}
	input = argv[optind];
	if (speed_set && !real) {
		sr_error("--speed applies to --real only (a --sim replay takes "
			 "no wall-clock time)");
		return SR_EXIT_USAGE;
	}
	if (realtime && !real) {
		sr_error("--realtime applies to --real only (a --sim replay "
			 "does not depend on the machine)");
		return SR_EXIT_USAGE;
	}
	if (out_trace && !real) {
		sr_error("-o records a --real replay (a --sim replay runs on a "
			 "virtual clock): add --real");
		return SR_EXIT_USAGE;
	}
	if (out_trace && save) {
		sr_error("--save writes the workload and replays nothing: not "
			 "with -o");
		return SR_EXIT_USAGE;
	}
	if (budget_set && !suggest) {
		sr_error("--fix-budget applies to --suggest only");
		return SR_EXIT_USAGE;
	}
	if (suggest && (sr_whatif_any(wi) || mode_given || save || out_trace ||
			timing)) {
		sr_error("--suggest replays its own candidates in virtual time: "
			 "not with a what-if, --sim, --real, --save, -o or "
			 "--timing");
		return SR_EXIT_USAGE;
	}
	if (stat(input, &sb) != 0) {
		sr_error("%s: %s", input, strerror(errno));
		return SR_EXIT_USAGE;
	}
	if (save && sr_whatif_any(wi)) {
		sr_error("--save writes the workload as recorded: a what-if "
			 "(--set-priority, --slice, --max-wait, --scale, --split) is not "
			 "saved; edit the file instead");
		return SR_EXIT_USAGE;
	}

	/* The input: a trace directory, or a workload file. */
	if (S_ISDIR(sb.st_mode)) {
		const char *paths[1] = { input };

		if (wl_from_traces(paths, 1, &cfg, loop, &w, NULL, err,
				   sizeof(err)) < 0) {
			sr_error("%s", err);
			return strstr(err, "out of memory") ? SR_EXIT_FAIL
							    : SR_EXIT_USAGE;
		}
	} else {
		if (cfg.merge) {
			sr_error("--merge reads the traces of a directory; %s is "
				 "a workload file", input);
			return SR_EXIT_USAGE;
		}
		if (cfg.pid >= 0 || loop) {
			sr_error("--pid and --loop choose within a trace; %s is a "
				 "workload file", input);
			return SR_EXIT_USAGE;
		}
		if (wl_load(input, &w, err, sizeof(err)) < 0) {
			sr_error("%s", err);
			return strstr(err, "out of memory") ? SR_EXIT_FAIL
							    : SR_EXIT_USAGE;
		}
		if (w->has_orig) {
			cfg.long_task_ns = w->orig_long_task_ns;
			cfg.starve_ns = w->orig_starve_ns;
		}
	}
	if (save) {
		FILE *f = strcmp(save, "-") ? fopen(save, "w") : stdout;

		if (!f || wl_write(w, f) < 0 || (f != stdout ? fclose(f) : fflush(f))) {
			sr_error("%s: %s", save, strerror(errno));
			wl_free(w);
			return SR_EXIT_FAIL;
		}
		fprintf(stderr, "schedreplay: workload written to %s: %zu %s "
				"with %zu of their runs, %zu %s, %zu %s, "
				"%s long\n",
			save, w->ntasks, tw_noun(w->ntasks, "task", "tasks"),
			wl_run_count(w), w->nposts,
			tw_noun(w->nposts, "post", "posts"), w->nactions,
			tw_noun(w->nactions, "action", "actions"),
			an_fmt_ns(w->span, err, sizeof(err)));
		wl_free(w);
		return SR_EXIT_OK;
	}
	if (suggest) {
		status = suggest_print(w, &cfg, budget, json);
		wl_free(w);
		return status;
	}
	if (!check_names(w, "--set-priority", wi->prios, wi->nprios, true) ||
	    !check_names(w, "--max-wait", wi->max_waits, wi->nmax_waits, false) ||
	    !check_names(w, "--scale", wi->scales, wi->nscales, true) ||
	    !check_names(w, "--split", wi->splits, wi->nsplits, false)) {
		wl_free(w);
		return SR_EXIT_USAGE;
	}
	/* -o re-runs this command under schedprof record, once the input
	 * and the what-ifs are known good: a bad one is said once, here. */
	if (out_trace) {
		wl_free(w);
		return record_self(argc, argv_copy, out_trace);
	}

	have_orig = sr_figs_orig(w, &forig);
	/* The fidelity is that of the unchanged workload's replay: with a
	 * what-if, an unchanged --sim replay is made first. */
	if (sr_whatif_any(wi) && have_orig &&
	    sr_replay(w, NULL, &sim, &cfg, &urep, err, sizeof(err)) < 0) {
		sr_error("%s", err);
		status = SR_EXIT_FAIL;
		goto out;
	}
	mode = (struct sr_mode){ .real = real, .speed = speed,
				 .realtime = realtime };
	if (sr_replay(w, wi, &mode, &cfg, &rep, err, sizeof(err)) < 0) {
		sr_error("%s", err);
		status = SR_EXIT_FAIL;
		goto out;
	}
	if (rep.st.realtime_refused)
		sr_error("--realtime: SCHED_FIFO refused (not privileged): the "
			 "replay ran at normal priority");
	if (!sr_figs_replay(&rep, &frep) ||
	    (urep.a && !sr_figs_replay(&urep, &funch))) {
		sr_error("out of memory");
		status = SR_EXIT_FAIL;
		goto out;
	}
	rr = (struct sr_report){
		.input = input, .w = w, .wi = wi, .real = real, .speed = speed,
		.realtime = realtime, .realtime_refused = rep.st.realtime_refused,
		.orig = have_orig ? &forig : NULL, .replay = &frep,
		.unchanged = urep.a ? &funch : &frep,
		.st = &rep.st, .ust = urep.a ? &urep.st : &rep.st,
		.unchanged_is_sim = urep.a != NULL,
		.long_task_ns = cfg.long_task_ns, .starve_ns = cfg.starve_ns,
	};
	if (json)
		sr_report_json(stdout, &rr);
	else
		sr_report_text(stdout, &rr);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sr_error("cannot write the report: %s", strerror(errno));
		status = SR_EXIT_FAIL;
	}
	if (timing) {
		const struct sr_stats *st = &rep.st;

		fprintf(stderr, "schedreplay: %s replay: %llu events in %.3f s "
				"(%.0f/s); %.3f s of workload in %.3f s (%.1fx "
				"real time)\n",
			real ? "--real" : "--sim", (unsigned long long)st->events,
			st->wall_s, st->wall_s > 0 ? (double)st->events / st->wall_s : 0,
			(double)st->replayed_ns / 1e9, st->wall_s,
			st->wall_s > 0 ? (double)st->replayed_ns / 1e9 / st->wall_s : 0);
	}
	sr_figs_free(&frep);
	if (urep.a)
		sr_figs_free(&funch);
out:
	if (have_orig)
		sr_figs_free(&forig);
	sr_replay_free(&rep);
	sr_replay_free(&urep);
	wl_free(w);
	return status;
}

int main(int argc, char **argv)
{
	struct sr_whatif wi = { 0 };
	char **argv_copy = calloc((size_t)argc + 1, sizeof(*argv_copy));
	int status;

	if (!argv_copy) {
		sr_error("out of memory");
		return SR_EXIT_FAIL;
	}
	/* getopt reorders argv: -o re-runs the command as it was given. */
	memcpy(argv_copy, argv, (size_t)argc * sizeof(*argv));
	status = run(argc, argv, argv_copy, &wi);
	free(wi.prios);
	free(wi.max_waits);
	free(wi.scales);
	free(wi.splits);
	free(argv_copy);
	return status;
}
