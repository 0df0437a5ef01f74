/*
 * schedprof report's checked fixes: the workload of the busiest loop is
 * rebuilt from the same traces and its findings' candidate fixes replayed
 * (tools/replay/fixes.h).
 */
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "fixes.h"
#include "schedprof.h"
#include "workload.h"

int sp_fixes(const char *const *paths, int npaths, const struct an_config *cfg,
	     double budget_s, const struct an_result *r, struct fx_result *out,
	     const struct an_loop **loop)
{
	const struct an_loop *best = NULL;
	uint64_t best_runs = 0;
	struct wl_workload *w = NULL;
	char err[512];
	int rc;

	memset(out, 0, sizeof(*out));
	out->budget_s = budget_s;
	*loop = NULL;
	for (size_t i = 0; i < r->nloops; i++) {
		struct an_counts c;

		an_loop_counts(r->loops[i], &c);
		if (!best || c.task_runs > best_runs) {
			best = r->loops[i];
			best_runs = c.task_runs;
		}
	}
	if (!best || !best_runs) {
		out->status = FX_NO_ORIG;
		snprintf(out->why, sizeof(out->why), "no loop ran a task");
		return 0;
	}
	*loop = best;
	if (wl_from_traces(paths, npaths, cfg, best->addr, &w, NULL, err,
			   sizeof(err)) < 0) {
		if (strstr(err, "out of memory"))
			return -1;
		out->status = FX_NO_REPLAY;
		snprintf(out->why, sizeof(out->why), "the workload could not "
			 "be rebuilt: %.400s", err);
		return 0;
	}
	rc = fx_suggest(w, cfg, budget_s, out);
	wl_free(w);
	return rc;
}
