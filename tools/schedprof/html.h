/*
 * html: schedprof's HTML report. One page, OUTDIR/index.html (inline CSS,
 * no script, nothing fetched from the network), with SVG charts rendered
 * by gnuplot beside it. The charts' data files and their gnuplot script
 * (OUTDIR/report.gp) are kept, so that a user can re-plot:
 *
 *	cd OUTDIR && gnuplot report.gp
 */
#ifndef SCHEDPROF_HTML_H
#define SCHEDPROF_HTML_H

#include <stddef.h>

#include "analysis.h"

/*
 * The rule for report -o OUTDIR: OUTDIR may be missing (it is created),
 * empty, or hold an earlier report of schedprof (its report.gp starts with
 * HTML_GP_MAGIC), whose files are replaced. Anything else is refused, so
 * that a report never writes over files it did not make. Returns 0, or -1
 * with a one-line message in err ("OUTDIR is not empty ...").
 */
#define HTML_GP_MAGIC "# schedprof: the report's charts."
int sp_html_outdir_ok(const char *outdir, char *err, size_t errlen);

/*
 * Writes the report of r into outdir (created if missing; the files of an
 * earlier report there are replaced). r is not const: percentiles sort
 * its samples. Needs gnuplot on the PATH. Returns 0, or -1 with a one-line
 * message in err (a file that cannot be written, gnuplot missing or
 * failing).
 */
int sp_html_report(struct an_result *r, const char *outdir, char *err,
		   size_t errlen);

#endif /* SCHEDPROF_HTML_H */
