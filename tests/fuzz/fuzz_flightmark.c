/*
 * Fuzz target: the marker of a flight-recorder save
 * (tools/common/flightmark.c) read from arbitrary bytes, and, when it is
 * accepted, said as the report and schedtop say it (fm_line(), fm_what()),
 * against an analysis without loops and without a loop. Malformed input
 * must be refused with a message, never crash, leak or hit undefined
 * behaviour; an accepted mark holds what flightmark.h promises.
 *
 * make fuzz builds it with clang -fsanitize=fuzzer,address,undefined;
 * make check runs the committed corpus through it (tests/fuzz/
 * run_corpus.c). docs/testing.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flightmark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_mark m;
	char err[512], line[1024];
	struct an *a;

	err[0] = '\0';
	if (fm_parse("fuzz", (const char *)data, size, &m, err,
		     sizeof(err)) < 0) {
		if (!err[0] || strchr(err, '\n'))
			abort(); /* one line, always */
		return 0;
	}
	if (!m.rule || !m.saved_at || !m.file || m.save < 1 || m.pid < 0 ||
	    (m.nrules && !m.rules) || m.prio < -1 || m.prio >= AN_PRIOS ||
	    m.waiting_prio < -1 || m.waiting_prio >= AN_PRIOS)
		abort();
	for (size_t i = 0; i < m.nrules; i++)
		if (!m.rules[i])
			abort();
	fm_what(&m, NULL, line, sizeof(line));
	a = an_new(NULL);
	if (a) {
		fm_line(&m, an_finish(a), line, sizeof(line));
		an_free(a);
	}
	fm_mark_free(&m);
	return 0;
}
