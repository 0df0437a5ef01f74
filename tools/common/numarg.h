/*
 * Numbers given on the tools' command lines. strtod() alone takes "0x10",
 * "1e3", "inf", "nan" and leading blanks; the tools document durations,
 * factors and intervals as plain decimal numbers, so every such option
 * checks its text with tn_decimal() before converting it.
 */
#ifndef TOOLS_NUMARG_H
#define TOOLS_NUMARG_H

#include <stdbool.h>

/* True if s is a plain decimal number: an optional '-', digits, and an
 * optional '.' followed by digits ("12", "0.5", "-3"; not "0x10", "1e3",
 * " 5", "+5", ".5", "5.", "inf", "nan", ""). The range is the caller's. */
bool tn_decimal(const char *s);

#endif /* TOOLS_NUMARG_H */
