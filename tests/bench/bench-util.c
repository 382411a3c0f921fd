/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/resource.h>
#include <unistd.h>

#include "bench-util.h"

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

BenchFigures
bench_figures (GArray *values)
{
  BenchFigures figures;
  guint middle = values->len / 2;

  g_assert_cmpuint (values->len, >, 0);
  g_array_sort (values, compare_double);
  figures.min = g_array_index (values, double, 0);
  figures.max = g_array_index (values, double, values->len - 1);
  if (values->len % 2 == 1)
    figures.median = g_array_index (values, double, middle);
  else
    figures.median = (g_array_index (values, double, middle - 1) + g_array_index (values, double, middle)) / 2;
  return figures;
}

char *
bench_summary (GArray     *values,
               const char *unit)
{
  BenchFigures figures = bench_figures (values);

  return g_strdup_printf ("%.1f %s [%.1f–%.1f]", figures.median, unit, figures.min, figures.max);
}

double
bench_rss_now (void)
{
  g_autofree char *text = NULL;
  long pages = 0;

  if (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL))
    {
      char *end = NULL;

      g_ascii_strtoll (text, &end, 10);
      pages = g_ascii_strtoll (end, NULL, 10);
    }
  return pages * (double) sysconf (_SC_PAGESIZE) / 1048576.0;
}

double
bench_rss_peak (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

double
bench_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}
