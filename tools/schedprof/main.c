/* schedprof: the subcommands' dispatcher. */
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

static void usage(FILE *f)
{
	fputs("usage: schedprof record [-o DIR] [--buffer-size MB] [--all-processes]\n"
	      "                        -- CMD [ARGS...]\n"
	      "       schedprof report DIR... [--json] [-o OUTDIR] "
	      "[--long-task MS] [--starve MS] [--pid PID]\n"
	      "                        [--fail-on warning|error]\n"
	      "       schedprof export DIR... --perfetto FILE.json "
	      "[--long-task MS] [--starve MS]\n"
	      "       schedprof diff BEFORE AFTER [--json] [--fail-on PCT] "
	      "[--pid PID]\n"
	      "       schedprof --version\n"
	      "See schedprof(1) and docs/schedprof.md.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		tool_print_version(stdout, "schedprof");
		return SP_EXIT_OK;
	}
	if (!strcmp(argv[1], "record"))
		return sp_record_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return sp_report_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return sp_export_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff"))
		return sp_diff_main(argc - 1, argv + 1);
	sp_error("unknown command '%s' (record, report, export or diff)", argv[1]);
	return SP_EXIT_USAGE;
}
