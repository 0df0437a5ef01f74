/*
 * Names in text meant for a terminal. Traced programs choose their task,
 * thread and process names, and workload files are hand-edited: a name may
 * hold ESC (which retitles or clears a terminal), CR or LF (which break
 * table rows), or bytes that are not UTF-8. Every text output of the tools
 * (schedprof report, schedtop -b, schedreplay) passes names through here,
 * so that such bytes show as visible escapes instead of reaching the
 * terminal. JSON has its own rules: tj_str() (jsonstr.h).
 *
 * The escapes: a backslash as "\\"; LF, CR and TAB as "\n", "\r", "\t";
 * any other control byte (0x00-0x1f, 0x7f), and any byte that does not
 * start a well-formed UTF-8 sequence, as "\xHH"; the C1 controls U+0080 to
 * U+009F (which some terminals obey like ESC sequences) as "\u00HH".
 * Everything else, UTF-8 included, is copied as it is.
 */
#ifndef TOOLS_TEXTESC_H
#define TOOLS_TEXTESC_H

#include <stddef.h>
#include <stdio.h>

/* Writes s escaped to f. NULL writes nothing. */
void tx_fputs(FILE *f, const char *s);

/* Writes s escaped into dst (len bytes, len > 0), always NUL-terminated.
 * An escape never is cut in half: what does not fit is left out whole, and
 * the output then ends with "...". Returns the length written. NULL is
 * taken as "". */
size_t tx_escape(char *dst, size_t len, const char *s);

/* s escaped, in one of TX_RING buffers reused in turn, so that up to
 * TX_RING names can be escaped in the arguments of one printf(). The
 * buffers grow with the name and stay allocated (reachable) until exit;
 * the result stays valid for the next TX_RING - 1 calls. On a failed allocation
 * the result is a placeholder, "(name too long)". NULL gives "". Not
 * thread-safe: the tools print from one thread. */
#define TX_RING 8
const char *tx_esc(const char *s);

#endif /* TOOLS_TEXTESC_H */
