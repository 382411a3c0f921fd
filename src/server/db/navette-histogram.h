/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-histogram.h — a histogram of durations for the server's
 * metrics (docs/metrics.md), shared by the storage core (waits for a
 * connection) and the HTTP layer (response times): fixed buckets in
 * microseconds, counted with relaxed atomic additions, so that any thread
 * may observe while another reads (a reading is not a snapshot of all
 * buckets at one instant; each bucket is exact). Header only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The upper bounds of the buckets, in microseconds (the last bucket, +Inf,
 * is past them): from 100 µs (a light check answered from the caches)
 * to 10 s (the request timeout). */
#define NAVETTE_HISTOGRAM_N_BOUNDS 16
static const guint64 navette_histogram_bounds_usec[NAVETTE_HISTOGRAM_N_BOUNDS] = {
  100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
  1000000, 2500000, 5000000, 10000000,
};

/* The count of observations is the sum of the buckets (so that a reading
 * always agrees with itself). */
typedef struct
{
  guint64 buckets[NAVETTE_HISTOGRAM_N_BOUNDS + 1];  /* not cumulative; the last: above every bound */
  guint64 sum_usec;
} NavetteHistogram;

/* Relaxed atomics: counts, not synchronisation. */
static inline void
navette_counter_add (guint64 *counter,
                     guint64  value)
{
  __atomic_fetch_add (counter, value, __ATOMIC_RELAXED);
}

static inline guint64
navette_counter_get (const guint64 *counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

static inline void
navette_histogram_observe (NavetteHistogram *histogram,
                           gint64            usec)
{
  guint64 value = usec > 0 ? (guint64) usec : 0;
  guint i = 0;

  while (i < NAVETTE_HISTOGRAM_N_BOUNDS && value > navette_histogram_bounds_usec[i])
    i++;
  navette_counter_add (&histogram->buckets[i], 1);
  navette_counter_add (&histogram->sum_usec, value);
}

/* A reading of @histogram into @copy; returns the count. */
static inline guint64
navette_histogram_read (const NavetteHistogram *histogram,
                        NavetteHistogram       *copy)
{
  guint64 count = 0;

  for (guint i = 0; i <= NAVETTE_HISTOGRAM_N_BOUNDS; i++)
    count += copy->buckets[i] = navette_counter_get (&histogram->buckets[i]);
  copy->sum_usec = navette_counter_get (&histogram->sum_usec);
  return count;
}

G_END_DECLS
