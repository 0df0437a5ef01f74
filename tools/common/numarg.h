/*
 * Numbers given on the tools' command lines. strtod() alone takes "0x10",
 * "1e3", "inf", "nan" and leading blanks; the tools document durations,
 * factors and intervals as plain decimal numbers, so every such option
 * checks its text with tn_decimal() before converting it.
 */
#ifndef TOOLS_NUMARG_H
#define TOOLS_NUMARG_H

#include <stdbool.h>
#include <stdint.h>

/* True if s is a plain decimal number: an optional '-', digits, and an
 * optional '.' followed by digits ("12", "0.5", "-3"; not "0x10", "1e3",
 * " 5", "+5", ".5", "5.", "inf", "nan", ""). The range is the caller's. */
bool tn_decimal(const char *s);

/* True if s is a process id as the readers' --pid takes it: decimal
 * digits only (no sign, blank or "0x"), at most INT64_MAX; *pid gets it.
 * Whether a process of that id is in a trace is the caller's. */
bool tn_pid(const char *s, int64_t *pid);

#endif /* TOOLS_NUMARG_H */
