/*
 * Text the tools write for machines: UTF-8 checked sequence by sequence,
 * and JSON strings that stay valid whatever bytes a program named its
 * tasks with. Shared by schedprof (report, export, HTML) and schedtop.
 */
#ifndef TOOLS_JSONSTR_H
#define TOOLS_JSONSTR_H

#include <stddef.h>
#include <stdio.h>

/* The length (1 to 4) of the well-formed UTF-8 sequence s starts with, or
 * 0 if it is not one (a stray byte, an overlong form, a surrogate, past
 * U+10FFFF, cut short). s must be NUL-terminated. */
size_t tj_utf8_seq(const char *s);

/* Writes s as a JSON string, quotes included: quotes, backslashes and
 * control characters escaped, what is not UTF-8 as U+FFFD. NULL writes
 * "". */
void tj_str(FILE *f, const char *s);

#endif /* TOOLS_JSONSTR_H */
