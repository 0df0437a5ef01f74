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

#endif
