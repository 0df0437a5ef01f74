/* --version for every tool (version.h). */
#include "version.h"

#include "schema.h"

#ifndef LSCHED_VERSION_STR
#error "LSCHED_VERSION_STR is set by the Makefile from VERSION"
#endif

void tool_print_version(FILE *out, const char *prog)
{
	fprintf(out, "%s (libsched) %s\n", prog, LSCHED_VERSION_STR);
	fprintf(out, "trace schema %s (%s)\n", LSCHED_TRACE_SCHEMA_STR,
		LSCHED_TRACE_SCHEMA_URI);
}

const char *tool_version_extra(int argc, char *const *argv, int from,
			       int self)
{
	for (int i = from; i < argc; i++)
		if (i != self)
			return argv[i];
	return NULL;
}
