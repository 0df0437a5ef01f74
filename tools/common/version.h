/*
 * What every tool prints for --version: its name, the libsched release
 * it was built with, and the trace schema it reads and writes.
 */
#ifndef TOOLS_VERSION_H
#define TOOLS_VERSION_H

#include <stdio.h>

/*
 * Print the version block of the tool named prog to out, e.g.
 *   schedprof (libsched) 0.1.0
 *   trace schema 1 (urn:libsched:trace-schema:1)
 * prog is borrowed. Thread-safe as far as out is. Cannot fail (a write
 * error shows in ferror(out)).
 */
void tool_print_version(FILE *out, const char *prog);

/*
 * --version goes alone: the first of argv[from..argc-1] other than
 * argv[self] (the --version given, however abbreviated), which a tool
 * refuses (exit 2) rather than ignore; NULL when there is none. Borrowed
 * from argv. Thread-safe.
 */
const char *tool_version_extra(int argc, char *const *argv, int from,
			       int self);

#endif
