/*
 * Fuzz target: the replay itself (tools/replay/replay.c and its
 * figures, report.c) on any workload the parser accepts: parse, then a
 * --sim replay, then the text and JSON reports.
 *
 * The format allows times, durations and latencies up to 2^62 each, and a
 * workload with a span and nothing else; the replay must neither overflow
 * nor hand qsort() a NULL array (UBSan, fatal here, catches both), nor
 * crash, hang or leak. Its span is bounded (SPAN_MAX of virtual time), so
 * that one input takes milliseconds: the times inside stay as large as the
 * input makes them. A library without its trace events (TRACE=0) cannot
 * measure a replay: sr_replay() then refuses, and the input ends there.
 *
 * make fuzz builds it with clang -fsanitize=fuzzer,address,undefined over
 * a libsched built the same way; make check replays the committed corpus
 * (tests/fuzz/corpus/replay/) and regressions (tests/fuzz/regress/replay/)
 * through it (tests/fuzz/run_corpus.c). docs/testing.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "schedreplay.h"
#include "workload.h"

#define SPAN_MAX ((int64_t)1000000000) /* 1 s of virtual time */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* schedreplay's messages go to stderr (main.c has its own). */
void sr_error(const char *fmt, ...)
{
	(void)fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_workload *w = NULL;
	static const struct sr_whatif none;
	struct sr_mode sim = { .real = false, .speed = 1.0 };
	struct sr_replay rep;
	struct sr_figs forig, frep;
	struct sr_report rr;
	struct an_config cfg;
	bool have_orig;
	char err[512], *copy, *out = NULL;
	size_t outlen = 0;
	FILE *f;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	if (wl_parse(copy, size, &w, err, sizeof(err)) != 0) {
		free(copy);
		return 0;
	}
	free(copy);
	if (w->span > SPAN_MAX)
		w->span = SPAN_MAX;
	an_config_default(&cfg);
	if (w->orig_long_task_ns) {
		cfg.long_task_ns = w->orig_long_task_ns;
		cfg.starve_ns = w->orig_starve_ns;
	}
	if (sr_replay(w, NULL, &sim, &cfg, &rep, err, sizeof(err)) < 0) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		sr_replay_free(&rep);
		wl_free(w);
		return 0;
	}
	have_orig = sr_figs_orig(w, &forig);
	if (!sr_figs_replay(&rep, &frep))
		abort();
	rr = (struct sr_report){
		.input = "fuzz", .w = w, .wi = &none, .orig = have_orig ? &forig : NULL,
		.replay = &frep, .unchanged = &frep, .st = &rep.st,
		.ust = &rep.st, .speed = 1.0,
		.long_task_ns = cfg.long_task_ns, .starve_ns = cfg.starve_ns,
	};
	f = open_memstream(&out, &outlen);
	if (!f)
		abort();
	sr_report_text(f, &rr);
	sr_report_json(f, &rr);
	fclose(f);
	free(out);
	sr_figs_free(&frep);
	if (have_orig)
		sr_figs_free(&forig);
	sr_replay_free(&rep);
	wl_free(w);
	return 0;
}
