/* schedprof: the subcommands' dispatcher, and `schedprof help`. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schedprof.h"
#include "version.h"

void sp_error(const char *fmt, ...)
{
	va_list ap;

	fputs("schedprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void sp_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "schedprof: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see schedprof %s%s--help)\n", cmd ? cmd : "",
		cmd ? " " : "");
}

int sp_version(const char *cmd, int argc, char **argv, int self)
{
	const char *extra = tool_version_extra(argc, argv, 1, self);

	if (extra) {
		sp_usage_error(cmd, "--version goes alone, not with '%s'",
			       extra);
		return SP_EXIT_USAGE;
	}
	tool_print_version(stdout, "schedprof");
	return SP_EXIT_OK;
}

/*
 * The subcommands. A command is added here and nowhere else in this file:
 * its entry point, its help (the one text `schedprof COMMAND --help` and
 * `schedprof help COMMAND` print) and the line `schedprof help` gives it.
 */
static const struct sp_command {
	const char *name;
	int (*main)(int argc, char **argv);
	void (*help)(FILE *f);
	const char *summary;
} commands[] = {
	{ "record", sp_record_main, sp_record_help,
	  "run a command under LTTng and keep its libsched trace" },
	{ "report", sp_report_main, sp_report_help,
	  "the latency profile of traces: text, JSON, HTML" },
	{ "export", sp_export_main, sp_export_help,
	  "the traces as a Perfetto (Chrome JSON) timeline" },
	{ "diff", sp_diff_main, sp_diff_help,
	  "compare two recordings (traces or reports' JSON)" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct sp_command *command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* The commands' names, "record, report, export or diff", for messages. */
static const char *command_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 !i ? "" : i + 1 < NCOMMANDS ? ", " :
					 " or ", commands[i].name);
	return buf;
}

static void usage(FILE *f)
{
	fputs("usage: schedprof COMMAND [OPTIONS] [ARGS...]\n"
	      "       schedprof help [COMMAND]\n"
	      "       schedprof --version\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("  help     this list, or a command's options "
	      "(the same as COMMAND --help)\n"
	      "Options:\n"
	      "  -h, --help  this list\n"
	      "  --version   the libsched release and the trace schema\n"
	      "See schedprof(1) and docs/schedprof.md.\n", f);
}

static void help_help(FILE *f)
{
	fputs("usage: schedprof help [COMMAND]\n"
	      "Lists the commands, or prints COMMAND's options (the same "
	      "as schedprof\nCOMMAND --help).\n"
	      "Options:\n"
	      "  -h, --help  this help\n"
	      "Exit status: 0; 2 for an unknown command or option.\n"
	      "See schedprof(1) and docs/schedprof.md.\n", f);
}

/* schedprof help [COMMAND] */
static int help_main(int argc, char **argv)
{
	const struct sp_command *c;
	char names[128];

	if (argc >= 2 && (!strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "--help"))) {
		help_help(stdout);
		return SP_EXIT_OK;
	}
	if (argc >= 2 && argv[1][0] == '-' && argv[1][1]) {
		sp_usage_error("help", "unknown option '%s'", argv[1]);
		return SP_EXIT_USAGE;
	}
	if (argc < 2) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (argc > 2) {
		sp_error("help: one command at most, not '%s' too", argv[2]);
		return SP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help")) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	c = command(argv[1]);
	if (!c) {
		sp_error("help: unknown command '%s' (%s)", argv[1],
			 command_names(names, sizeof(names)));
		return SP_EXIT_USAGE;
	}
	c->help(stdout);
	return SP_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct sp_command *c;
	char names[128];

	if (argc < 2) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return sp_version(NULL, argc, argv, 1);
	if (!strcmp(argv[1], "help"))
		return help_main(argc - 1, argv + 1);
	c = command(argv[1]);
	if (c)
		return c->main(argc - 1, argv + 1);
	if (argv[1][0] == '-' && argv[1][1]) {
		sp_usage_error(NULL, "unknown option '%s'", argv[1]);
		return SP_EXIT_USAGE;
	}
	sp_error("unknown command '%s' (%s; schedprof help lists them)",
		 argv[1], command_names(names, sizeof(names)));
	return SP_EXIT_USAGE;
}
