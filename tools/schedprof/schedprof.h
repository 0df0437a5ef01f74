/*
 * schedprof: record a libsched program and report its latency profile.
 * One program, subcommands in their own files: record.c (record),
 * report.c (report), export.c (export), diff.c (diff). main.c dispatches.
 *
 * Exit statuses (docs/schedprof.md): 0 success; 1 the work failed (the
 * recorded command failed to start, tracing failed); 2 bad usage or bad
 * input (a missing or unreadable trace, not a trace, another schema);
 * 3 --fail-on found a finding of that severity (report), or AFTER worse
 * beyond the threshold (diff).
 */
#ifndef SCHEDPROF_H
#define SCHEDPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	SP_EXIT_OK = 0,
	SP_EXIT_FAIL = 1,
	SP_EXIT_USAGE = 2,
	SP_EXIT_FINDING = 3,
};

/* Each takes the arguments after the subcommand's name (argv[0] is the
 * subcommand) and returns an exit status. */
int sp_record_main(int argc, char **argv);
int sp_report_main(int argc, char **argv);
int sp_export_main(int argc, char **argv);
int sp_diff_main(int argc, char **argv);

/* Each writes its subcommand's whole help to f: the usage lines, what it
 * does, and a line for every option its parser accepts. `schedprof
 * COMMAND --help` and `schedprof help COMMAND` both print it (main.c's
 * table of commands); scripts/test-cli-help.py checks that every option
 * of the parser is listed. */
void sp_record_help(FILE *f);
void sp_report_help(FILE *f);
void sp_export_help(FILE *f);
void sp_diff_help(FILE *f);

struct an_result;

/* Writes the HTML report with its gnuplot charts into outdir (html.c).
 * Returns 0, or -1 with a one-line message in err. */
int sp_html_report(struct an_result *r, const char *outdir, char *err,
		   size_t errlen);

struct an_config;
struct an_loop;
struct fx_result;

/* The checked fixes of the findings of r's busiest loop (suggest.c,
 * tools/replay/fixes.h), from the traces at paths; *loop gets that
 * loop. Returns 0 with *out filled (free with fx_free(); its status says
 * why no candidate was tried), or -1 when out of memory. */
int sp_fixes(const char *const *paths, int npaths, const struct an_config *cfg,
	     double budget_s, const struct an_result *r, struct fx_result *out,
	     const struct an_loop **loop);

struct an_finding;
struct fx_finding;

/* While report runs: the checked fixes of finding f (NULL: none, or
 * --no-fixes), and the whole result (NULL with --no-fixes) (report.c). */
const struct fx_finding *sp_fixes_of(const struct an_finding *f);
const struct fx_result *sp_fixes_result(void);

struct fm_set;

/* While report runs: the flight-recorder saves among its traces
 * (flightmark.h; n is 0 for none) (report.c). */
const struct fm_set *sp_flight(void);

/* Parses a duration in ms (decimals allowed, > 0) into ns; false if bad. */
bool sp_parse_ms(const char *s, int64_t *ns);

/* Prints "schedprof: " and the message on stderr, one line. */
void sp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A command-line error of command cmd ("report"; NULL for schedprof
 * itself), one line on stderr in the tools' one grammar:
 * "schedprof: report: MESSAGE (see schedprof report --help)". The
 * option errors are "unknown option '--x'" and "--x needs a value".
 */
void sp_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * --version of command cmd (NULL for schedprof itself), argv[0] the
 * command and argv[self] the --version given: prints the tool's version
 * (tool_print_version()) and returns SP_EXIT_OK when --version was given
 * alone, else refuses the other argument with one line and returns
 * SP_EXIT_USAGE.
 */
int sp_version(const char *cmd, int argc, char **argv, int self);

#endif /* SCHEDPROF_H */
