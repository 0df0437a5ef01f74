/*
 * Fuzz target: the workload file parser (tools/common/workload.c,
 * wl_parse()) on arbitrary bytes.
 *
 * Whatever the input, the parser must return (never crash, hang, leak or
 * read past the buffer, which is not NUL-terminated here) with either a
 * workload or a one-line error. A workload it accepts must survive the
 * round trip the tool makes with --save: written by wl_write(), the text
 * parses again, and writing that second workload gives the same bytes.
 * Before the round trip the first task and post get names made from the
 * input, longer than any a file had to hold before and of any byte but
 * NUL (a trace holds names of any length: issue 17), so that the round
 * trip covers the names a trace gives as well as those a file gives.
 *
 * make fuzz builds it with clang -fsanitize=fuzzer,address,undefined;
 * make check runs the committed corpus (tests/fuzz/corpus/workload/:
 * workloads saved from real recordings, and malformed variants) through it
 * with any compiler (tests/fuzz/run_corpus.c). docs/testing.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* w as text, in a malloc'ed buffer. */
static char *write_text(const struct wl_workload *w, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (wl_write(w, f) != 0)
		abort();
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* A name of 256 bytes or more made from the input's bytes (NUL made 1),
 * malloc'ed. */
static char *long_name(const uint8_t *data, size_t size)
{
	size_t n = 256 + size % 4096;
	char *s = malloc(n + 1);

	if (!s)
		abort();
	for (size_t i = 0; i < n; i++) {
		uint8_t c = size ? data[i % size] : (uint8_t)i;

		s[i] = (char)(c ? c : 1);
	}
	s[n] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_workload *w = NULL, *again = NULL;
	char err[512], *text, *text2;
	size_t len, len2;
	char *copy, *name;

	/* An exact-size copy: reading past the end is caught by ASan. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	err[0] = '\0';
	if (wl_parse(copy, size, &w, err, sizeof(err)) != 0) {
		/* Refused: with a message of one line. */
		if (!err[0] || strchr(err, '\n'))
			abort();
		free(copy);
		return 0;
	}
	(void)wl_run_count(w);
	name = long_name(data, size);
	if (w->ntasks)
		w->tasks[0].name = name;
	for (size_t i = 0; i < w->nposts; i++)
		if (w->posts[i].prio >= 0) {
			w->posts[i].name = name;
			break;
		}
	text = write_text(w, &len);
	if (wl_parse(text, len, &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_workload: a saved workload does not parse "
			"again: %s\n", err);
		abort();
	}
	text2 = write_text(again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0) {
		fprintf(stderr, "fuzz_workload: saving a reloaded workload "
			"changed it\n");
		abort();
	}
	free(text);
	free(text2);
	wl_free(w);
	wl_free(again);
	free(name);
	free(copy);
	return 0;
}
