/* schedtop: options, then the live or the trace source. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schedtop.h"
#include "flight.h"
#include "numarg.h"
#include "version.h"

static void usage(FILE *f)
{
	fputs("usage: schedtop -p PID [-d SECS] [-n COUNT] [-b] [--json] [-s KEY]\n"
	      "                [--long-task MS] [--starve MS]\n"
	      "                [--save-on RULE]... [--save-dir DIR] "
	      "[--max-saves N]\n"
	      "                [--hold-off SECS] [--buffer-size MB]\n"
	      "       schedtop TRACE_DIR... [-p PID] [-d SECS] [-n COUNT] [-b] "
	      "[--json] [-s KEY]\n"
	      "                [--long-task MS] [--starve MS] [--pace MS]\n"
	      "                [--merge]\n"
	      "Watch a running libsched program through its USDT probes "
	      "(root: BPF),\nor step through a recorded trace "
	      "(schedprof record) in trace time.\n"
	      "  -p, --pid PID   the process to watch (with traces: show only it)\n"
	      "  -d SECS         seconds per frame (trace time with traces); "
	      "default 1\n"
	      "  -n COUNT        stop after COUNT frames\n"
	      "  -b              batch: plain-text frames, no screen control\n"
	      "  --json          one JSON object per frame\n"
	      "  -s KEY          sort tasks by time (default), runs, max, mean, "
	      "p99,\n                  wait, overruns or name\n"
	      "  --long-task MS  a run this long raises an alert (default 50)\n"
	      "  --starve MS     a priority ready this long without a run "
	      "starves\n                  (default 100)\n"
	      "  --pace MS       traces on the screen: real milliseconds per frame while\n"
	      "                  playing (default 1000, or SCHEDTOP_PACE_MS)\n"
	      "  --save-on RULE  -p only: flight recorder: from now on, keep "
	      "the process's\n"
	      "                  libsched events in memory (LTTng) and save "
	      "them when RULE\n"
	      "                  fires: starve>DUR, run>DUR or backlog>DUR "
	      "(DUR like 150ms);\n"
	      "                  repeatable. The process must have libsched's "
	      "LTTng-UST\n"
	      "                  provider loaded (schedprof record --flight, "
	      "or LD_PRELOAD)\n"
	      "  --save-dir DIR  where saves go, as DIR/flight-NNN-YYYYmmdd-"
	      "HHMMSS/\n"
	      "                  (default ./schedtop-flight-PID)\n"
	      "  --max-saves N   stop saving after N saves (default 1)\n"
	      "  --hold-off SECS no save within SECS after one (default 10)\n"
	      "  --buffer-size MB  sub-buffer size, a power of two from 1 to "
	      "256 (default 1;\n"
	      "                  8 sub-buffers per CPU)\n"
	      "  --merge         traces: read traces of several recordings "
	      "together\n"
	      "  -h, --help      this help;  --version  the release and trace schema\n"
	      "Keys (h on the screen shows them too):\n"
	      "  q quit   s next sort key   r reverse the order   l next loop\n"
	      "  / or F4 filter tasks by name (Enter keeps it, Esc clears it)\n"
	      "  Up/Down select a task   Enter or d its detail (Esc goes back)\n"
	      "  p or space pause/resume   h or ? help\n"
	      "  trace mode: n or Right next frame, b or Left previous frame,\n"
	      "  + faster, - slower, g or Home first frame, G or End last frame,\n"
	      "  a next frame with an alert\n"
	      "See schedtop(1) and docs/schedtop.md.\n",
	      f);
}

static bool parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!tn_decimal(s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* The long name of the option whose value is val. */
static const char *optopt_name(const struct option *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts->name;
	return "?";
}

/* Whether the option getopt_long() just read was spelled long: its value
 * is the argument before optind, or after '=' in it. */
static bool long_opt(int argc, char **argv)
{
	int i = optind - 1;

	if (i > 1 && i < argc && optarg == argv[i])
		i--;
	return i >= 1 && i < argc && !strncmp(argv[i], "--", 2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "pace", required_argument, NULL, 'P' },
		{ "long-task", required_argument, NULL, 'L' },
		{ "starve", required_argument, NULL, 'S' },
		{ "save-on", required_argument, NULL, 'O' },
		{ "save-dir", required_argument, NULL, 'D' },
		{ "max-saves", required_argument, NULL, 'M' },
		{ "hold-off", required_argument, NULL, 'H' },
		{ "buffer-size", required_argument, NULL, 'B' },
		{ "merge", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct st_opts o = {
		.pid = -1, .interval_s = 1, .sort = ST_SORT_TIME,
		.long_task_ns = 50000000, .starve_ns = 100000000,
		.max_saves = 1, .hold_off_ms = 10000, .buffer_mb = 1,
		.pace_ms = 1000,
	};
	static struct fl_rule rules[FL_MAX_RULES];
	bool flight_opt = false, pace_opt = false;
	char err[256];
	const char **paths;
	double v;
	int c, k;

	paths = calloc((size_t)argc, sizeof(*paths));
	if (!paths) {
		st_error("out of memory");
		return ST_EXIT_FAIL;
	}
	o.paths = paths;
	o.rules = rules;
	/* The older way to pace a trace; --pace wins. */
	if (getenv("SCHEDTOP_PACE_MS")) {
		if (!parse_num(getenv("SCHEDTOP_PACE_MS"), 1, 3600000, &v) ||
		    v != floor(v)) {
			st_error("SCHEDTOP_PACE_MS: '%s' is not a number of "
				 "milliseconds from 1 to 3600000",
				 getenv("SCHEDTOP_PACE_MS"));
			goto usage;
		}
		o.pace_ms = (int)v;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-p:d:n:bs:h", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			paths[o.npaths++] = optarg;
			break;
		case 'p': {
			char *end;
			long pid;

			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || pid < 1 ||
			    pid > 4194304) {
				st_error("%s: '%s' is not a process id",
					 long_opt(argc, argv) ? "--pid" : "-p",
					 optarg);
				goto usage;
			}
			o.pid = pid;
			break;
		}
		case 'd':
			if (!parse_num(optarg, 0.01, 3600, &o.interval_s)) {
				st_error("-d: '%s' is not a number of seconds "
					 "from 0.01 to 3600", optarg);
				goto usage;
			}
			break;
		case 'n':
			if (!parse_num(optarg, 1, 1e9, &v) || v != floor(v)) {
				st_error("-n: '%s' is not a count of frames "
					 "(1 or more)", optarg);
				goto usage;
			}
			o.count = (long)v;
			break;
		case 'b':
			o.batch = true;
			break;
		case 'P':
			if (!parse_num(optarg, 1, 3600000, &v) || v != floor(v)) {
				st_error("--pace: '%s' is not a number of "
					 "milliseconds from 1 to 3600000", optarg);
				goto usage;
			}
			o.pace_ms = (int)v;
			pace_opt = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 's':
			k = st_sort_lookup(optarg);
			if (k < 0) {
				st_error("-s: unknown sort key '%s' (time, runs, "
					 "max, mean, p99, wait, overruns, name)", optarg);
				goto usage;
			}
			o.sort = (enum st_sort)k;
			break;
		case 'L':
		case 'S':
			if (!parse_num(optarg, 0.001, 3.6e6, &v)) {
				st_error("--%s: '%s' is not a number of "
					 "milliseconds", c == 'L' ? "long-task" :
					 "starve", optarg);
				goto usage;
			}
			if (c == 'L')
				o.long_task_ns = (int64_t)(v * 1e6);
			else
				o.starve_ns = (int64_t)(v * 1e6);
			break;
		case 'O':
			if (o.nrules == FL_MAX_RULES) {
				st_error("--save-on: at most %d rules",
					 FL_MAX_RULES);
				goto usage;
			}
			if (fl_rule_parse(optarg, &rules[o.nrules], err,
					  sizeof(err)) < 0) {
				st_error("--save-on: %s", err);
				goto usage;
			}
			o.nrules++;
			break;
		case 'D':
			if (!optarg[0]) {
				st_error("--save-dir: an empty path");
				goto usage;
			}
			o.save_dir = optarg;
			flight_opt = true;
			break;
		case 'M':
			if (!parse_num(optarg, 1, 1000, &v) || v != floor(v)) {
				st_error("--max-saves: '%s' is not a number of "
					 "saves from 1 to 1000", optarg);
				goto usage;
			}
			o.max_saves = (unsigned)v;
			flight_opt = true;
			break;
		case 'H':
			if (!parse_num(optarg, 0, 86400, &v)) {
				st_error("--hold-off: '%s' is not a number of "
					 "seconds from 0 to 86400", optarg);
				goto usage;
			}
			o.hold_off_ms = (int64_t)(v * 1000);
			flight_opt = true;
			break;
		case 'B':
			if (!parse_num(optarg, 1, 256, &v) || v != floor(v) ||
			    ((unsigned)v & ((unsigned)v - 1))) {
				st_error("--buffer-size: '%s' is not a power of "
					 "two from 1 to 256 (MiB)", optarg);
				goto usage;
			}
			o.buffer_mb = (unsigned)v;
			flight_opt = true;
			break;
		case 'm':
			o.merge = true;
			break;
		case 'h':
			usage(stdout);
			free(paths);
			return ST_EXIT_OK;
		case 'V':
			if (tool_version_extra(argc, argv, 1, optind - 1)) {
				st_error("--version goes alone, not with '%s' "
					 "(see schedtop --help)",
					 tool_version_extra(argc, argv, 1, optind - 1));
				goto usage;
			}
			tool_print_version(stdout, "schedtop");
			free(paths);
			return ST_EXIT_OK;
		default:
			if (optopt && strchr("LSODMHBP", optopt))
				st_error("--%s needs a value (see schedtop --help)",
					 optopt_name(longopts, optopt));
			else if (optopt == 'p' && long_opt(argc, argv))
				st_error("--pid needs a value (see schedtop --help)");
			else if (optopt && strchr("pdns", optopt))
				st_error("-%c needs a value (see schedtop --help)",
					 optopt);
			else
				st_error("unknown option '%s' (see schedtop --help)",
					 argv[optind - 1]);
			goto usage;
		}
	}
	/* What follows "--" is trace directories too. */
	while (optind < argc)
		paths[o.npaths++] = argv[optind++];
	if (!o.npaths && o.pid < 0) {
		st_error("give -p PID to watch a process, or a trace directory "
			 "(see schedtop --help)");
		goto usage;
	}
	if (flight_opt && !o.nrules) {
		st_error("--save-dir, --max-saves, --hold-off and --buffer-size "
			 "go with --save-on RULE");
		goto usage;
	}
	if (o.merge && !o.npaths) {
		st_error("--merge reads trace directories: not with -p alone");
		goto usage;
	}
	if (o.nrules && o.npaths) {
		st_error("--save-on records a running process: give -p PID, "
			 "not trace directories");
		goto usage;
	}
	if (pace_opt && !o.npaths) {
		st_error("--pace paces a trace's frames: give a trace "
			 "directory (live frames come every -d seconds)");
		goto usage;
	}
	c = o.npaths ? st_trace_main(&o) : st_live_main(&o);
	free(paths);
	return c;
usage:
	free(paths);
	return ST_EXIT_USAGE;
}
