/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-util.h — what the C benchmarks share: the figures of a series of
 * runs (median and range) and what the process itself uses. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double median;
  double min;
  double max;
} BenchFigures;

/* The median and the range of @values (doubles, sorted in place). */
BenchFigures bench_figures (GArray     *values);
/* "median @unit [min–max]" of @values (sorted in place). */
char        *bench_summary (GArray     *values,
                            const char *unit);
/* The resident set of this process now, in MiB. */
double       bench_rss_now  (void);
/* Its peak resident set so far, in MiB. */
double       bench_rss_peak (void);
/* The CPU time (user + system) it has used, in ms. */
double       bench_cpu_ms   (void);

G_END_DECLS
