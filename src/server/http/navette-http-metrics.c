/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-metrics.c — what the server counts for GET /metrics, and
 * its exposition in the Prometheus text format (version 0.0.4); each
 * metric is described in docs/metrics.md.
 *
 * Counting is cheap on the hot path: a few relaxed atomic additions into
 * fixed arrays (navette-histogram.h), no lock, no allocation; the
 * request's route and method were found by the routing already (its
 * metrics slot, navette-http-routes.c). Everything is read only when
 * /metrics is asked for, on the main loop. Without --metrics-listen there
 * is no NavetteHttpMetrics and every call here does nothing. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "navette-http-private.h"

#define N_CLASSES 5  /* 1xx … 5xx */

struct _NavetteHttpMetrics
{
  guint             n_slots;
  NavetteHistogram *requests;  /* [slot * N_CLASSES + class] */
  guint64           light_checks[2];  /* from the database, from the caches */
  guint64           writes[METRICS_N_WRITES][2];  /* written, replayed */
  guint64           sign_in_failures[METRICS_N_SIGN_INS];
  guint64           deadlines[METRICS_N_DEADLINES];
  gint64            started;   /* unix µs */
};

NavetteHttpMetrics *
navette_http_metrics_new (void)
{
  NavetteHttpMetrics *metrics = g_new0 (NavetteHttpMetrics, 1);

  metrics->n_slots = navette_http_routes_n_slots ();
  metrics->requests = g_new0 (NavetteHistogram, metrics->n_slots * N_CLASSES);
  metrics->started = g_get_real_time ();
  return metrics;
}

void
navette_http_metrics_free (NavetteHttpMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_free (metrics->requests);
  g_free (metrics);
}

/* ------------------------------------------------------------------ */
/* Counting                                                            */

void
navette_http_metrics_request (NavetteHttpMetrics *metrics,
                              guint               slot,
                              guint               status,
                              gint64              usec)
{
  guint class = CLAMP (status / 100, 1, N_CLASSES) - 1;

  if (metrics == NULL || slot >= metrics->n_slots)
    return;
  navette_histogram_observe (&metrics->requests[slot * N_CLASSES + class], usec);
}

void
navette_http_metrics_light_check (NavetteHttpMetrics *metrics,
                                  gboolean            cached)
{
  if (metrics != NULL)
    navette_counter_add (&metrics->light_checks[cached ? 1 : 0], 1);
}

void
navette_http_metrics_write (NavetteHttpMetrics *metrics,
                            MetricsWrite        write,
                            gboolean            replayed)
{
  if (metrics != NULL)
    navette_counter_add (&metrics->writes[write][replayed ? 1 : 0], 1);
}

void
navette_http_metrics_sign_in_failed (NavetteHttpMetrics *metrics,
                                     MetricsSignIn       reason)
{
  if (metrics != NULL)
    navette_counter_add (&metrics->sign_in_failures[reason], 1);
}

void
navette_http_metrics_deadline (NavetteHttpMetrics *metrics,
                               MetricsDeadline     phase)
{
  if (metrics != NULL)
    navette_counter_add (&metrics->deadlines[phase], 1);
}

/* ------------------------------------------------------------------ */
/* The exposition                                                      */

/* @usec as seconds, exactly ("0.0001", "2.5", "12"). */
static void
append_seconds (GString *out,
                guint64  usec)
{
  char frac[8];
  int len;

  g_string_append_printf (out, "%" G_GUINT64_FORMAT, usec / G_USEC_PER_SEC);
  if (usec % G_USEC_PER_SEC == 0)
    return;
  g_snprintf (frac, sizeof frac, "%06u", (guint) (usec % G_USEC_PER_SEC));
  for (len = 6; frac[len - 1] == '0'; len--)
    ;
  g_string_append_c (out, '.');
  g_string_append_len (out, frac, len);
}

static void
family (GString    *out,
        const char *name,
        const char *type,
        const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format says (\\, \", \n). */
static void
append_label (GString    *out,
              const char *name,
              const char *value)
{
  g_string_append_printf (out, "%s=\"", name);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
sample (GString    *out,
        const char *name,
        const char *labels,  /* "a=\"b\",…" or NULL */
        guint64     value)
{
  g_string_append (out, name);
  if (labels != NULL && *labels != '\0')
    g_string_append_printf (out, "{%s}", labels);
  g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", value);
}

/* One sample per value of the label @label: @values[i] counted by @counters[i]. */
static void
samples_by_label (GString            *out,
                  const char         *name,
                  const char         *label,
                  const char * const *values,
                  guint64            *counters,
                  guint               n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *labels = g_strdup_printf ("%s=\"%s\"", label, values[i]);

      sample (out, name, labels, navette_counter_get (&counters[i]));
    }
}

/* A sample without labels whose value is @usec in seconds. */
static void
sample_seconds (GString    *out,
                const char *name,
                guint64     usec)
{
  g_string_append_printf (out, "%s ", name);
  append_seconds (out, usec);
  g_string_append_c (out, '\n');
}

/* The samples of one histogram: cumulative buckets, sum and count, with
 * @labels before "le". */
static void
histogram (GString                *out,
           const char             *name,
           const char             *labels,
           const NavetteHistogram *reading,
           guint64                 count)
{
  const char *sep = labels != NULL && *labels != '\0' ? "," : "";
  guint64 cumulative = 0;

  for (guint i = 0; i <= NAVETTE_HISTOGRAM_N_BOUNDS; i++)
    {
      cumulative += reading->buckets[i];
      g_string_append_printf (out, "%s_bucket{%s%sle=\"", name, labels != NULL ? labels : "", sep);
      if (i < NAVETTE_HISTOGRAM_N_BOUNDS)
        append_seconds (out, navette_histogram_bounds_usec[i]);
      else
        g_string_append (out, "+Inf");
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
    }
  g_string_append_printf (out, "%s_sum%s%s%s ", name, *sep ? "{" : "", *sep ? labels : "", *sep ? "}" : "");
  append_seconds (out, reading->sum_usec);
  g_string_append_printf (out, "\n%s_count%s%s%s %" G_GUINT64_FORMAT "\n", name, *sep ? "{" : "",
                          *sep ? labels : "", *sep ? "}" : "", count);
}

/* The labels of a request slot and status class. */
static char *
request_labels (guint slot,
                guint class)
{
  GString *labels = g_string_new (NULL);
  guint n_routes;
  const Route *routes = navette_http_routes_get (&n_routes);
  const char *route = "none";
  const char *method = "other";
  char code[4] = { (char) ('1' + class), 'x', 'x', '\0' };

  for (guint r = 0; r < n_routes; r++)
    for (guint m = 0; ; m++)
      {
        if (routes[r].slot + m == slot)
          {
            route = routes[r].path;
            method = routes[r].methods[m].method != NULL ? routes[r].methods[m].method : "other";
            goto found;
          }
        if (routes[r].methods[m].method == NULL)
          break;
      }
found:
  append_label (labels, "route", route);
  g_string_append_c (labels, ',');
  append_label (labels, "method", method);
  g_string_append_c (labels, ',');
  append_label (labels, "code", code);
  return g_string_free (labels, FALSE);
}

static void
render_requests (GString            *out,
                 NavetteHttpMetrics *metrics)
{
  guint n = metrics->n_slots * N_CLASSES;
  g_autofree NavetteHistogram *readings = g_new0 (NavetteHistogram, n);
  g_autofree guint64 *counts = g_new0 (guint64, n);

  for (guint i = 0; i < n; i++)
    counts[i] = navette_histogram_read (&metrics->requests[i], &readings[i]);

  family (out, "navette_http_requests_total", "counter",
          "Requests answered, per route, method (other: one the route does not take) and status class.");
  for (guint i = 0; i < n; i++)
    if (counts[i] > 0)
      {
        g_autofree char *labels = request_labels (i / N_CLASSES, i % N_CLASSES);
        sample (out, "navette_http_requests_total", labels, counts[i]);
      }
  family (out, "navette_http_request_duration_seconds", "histogram",
          "Time from a request's start to the end of its answer, per route, method and status class.");
  for (guint i = 0; i < n; i++)
    if (counts[i] > 0)
      {
        g_autofree char *labels = request_labels (i / N_CLASSES, i % N_CLASSES);
        histogram (out, "navette_http_request_duration_seconds", labels, &readings[i], counts[i]);
      }
}

/* What /proc says of this process: resident memory, descriptors, CPU. */
static void
render_process (GString            *out,
                NavetteHttpMetrics *metrics)
{
  g_autofree char *statm = NULL;
  g_autofree char *stat = NULL;
  g_autoptr(GDir) fds = NULL;
  guint n_fds = 0;

  family (out, "process_start_time_seconds", "gauge", "When the server started, in seconds since the epoch.");
  sample_seconds (out, "process_start_time_seconds", (guint64) metrics->started);

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    {
      g_auto(GStrv) fields = g_strsplit (statm, " ", 3);

      if (fields[0] != NULL && fields[1] != NULL)
        {
          family (out, "process_resident_memory_bytes", "gauge", "Resident memory of the server.");
          sample (out, "process_resident_memory_bytes", NULL,
                  g_ascii_strtoull (fields[1], NULL, 10) * (guint64) sysconf (_SC_PAGESIZE));
        }
    }
  fds = g_dir_open ("/proc/self/fd", 0, NULL);
  if (fds != NULL)
    {
      while (g_dir_read_name (fds) != NULL)
        n_fds++;
      family (out, "process_open_fds", "gauge", "File descriptors the server has open.");
      sample (out, "process_open_fds", NULL, n_fds);
    }
  /* utime and stime: the 14th and 15th fields, after the ")" that ends the name */
  if (g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) && strrchr (stat, ')') != NULL)
    {
      g_auto(GStrv) fields = g_strsplit (strrchr (stat, ')') + 2, " ", 0);

      if (g_strv_length (fields) > 12)
        {
          guint64 ticks = g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);

          family (out, "process_cpu_seconds_total", "counter", "CPU time the server used, user and system.");
          sample_seconds (out, "process_cpu_seconds_total", ticks * G_USEC_PER_SEC / (guint64) sysconf (_SC_CLK_TCK));
        }
    }
}

char *
navette_http_metrics_render (NavetteHttpServer *self)
{
  static const char * const writes[] = { "create", "update", "revert" };
  static const char * const sign_ins[] = { "password", "rate_limited", "malformed" };
  static const char * const deadlines[] = { "request", "idle", "send" };
  NavetteHttpMetrics *metrics = self->metrics;
  GString *out = g_string_sized_new (16 * 1024);
  NavetteDbStats db = { 0 };
  guint64 wait_count;

  g_return_val_if_fail (metrics != NULL, NULL);

  family (out, "navette_build_info", "gauge", "The server's version and storage backend (always 1).");
  g_string_append_printf (out, "navette_build_info{version=\"%s\",backend=\"%s\"} 1\n", PACKAGE_VERSION,
                          navette_db_get_backend_name (self->db));

  render_requests (out, metrics);

  family (out, "navette_http_connections", "gauge", "HTTP connections open now, WebSockets included.");
  sample (out, "navette_http_connections", NULL,
          self->connections != NULL ? navette_http_connections_count (self->connections) : 0);
  family (out, "navette_http_deadline_closes_total", "counter",
          "Connections closed by a deadline of --request-timeout: a request too slow to arrive,"
          " a kept-alive connection left idle, an answer not taken in time.");
  samples_by_label (out, "navette_http_deadline_closes_total", "phase", deadlines, metrics->deadlines,
                    METRICS_N_DEADLINES);

  family (out, "navette_light_checks_total", "counter",
          "Light checks (…/last-modified) answered, from the caches or read from the database.");
  sample (out, "navette_light_checks_total", "source=\"cache\"", navette_counter_get (&metrics->light_checks[1]));
  sample (out, "navette_light_checks_total", "source=\"database\"", navette_counter_get (&metrics->light_checks[0]));

  family (out, "navette_writes_total", "counter",
          "Record writes answered 2xx: written, or replayed from an Idempotency-Key (nothing written).");
  for (guint i = 0; i < METRICS_N_WRITES; i++)
    for (guint replayed = 0; replayed < 2; replayed++)
      {
        g_autofree char *labels = g_strdup_printf ("action=\"%s\",result=\"%s\"", writes[i],
                                                   replayed ? "replayed" : "written");
        sample (out, "navette_writes_total", labels, navette_counter_get (&metrics->writes[i][replayed]));
      }

  family (out, "navette_sign_in_failures_total", "counter",
          "Sign-ins refused: a wrong password or user name, a limit of failed sign-ins (429),"
          " a malformed body.");
  samples_by_label (out, "navette_sign_in_failures_total", "reason", sign_ins, metrics->sign_in_failures,
                    METRICS_N_SIGN_INS);

  family (out, "navette_websocket_subscribers", "gauge", "WebSocket subscribers of /api/v1/events now.");
  sample (out, "navette_websocket_subscribers", NULL,
          self->events != NULL ? navette_event_hub_get_n_subscribers (self->events) : 0);
  family (out, "navette_websocket_announcements_total", "counter",
          "Announcements of changes sent to WebSocket subscribers (one per subscriber told).");
  sample (out, "navette_websocket_announcements_total", NULL,
          self->events != NULL ? navette_event_hub_get_n_sent (self->events) : 0);

  navette_db_get_stats (self->db, &db);
  family (out, "navette_db_operations_total", "counter", "Storage operations run, reads and write transactions.");
  sample (out, "navette_db_operations_total", "kind=\"read\"", db.reads);
  sample (out, "navette_db_operations_total", "kind=\"write\"", db.writes);
  family (out, "navette_db_retries_total", "counter",
          "Attempts of an operation made again (a race lost to another writer, a dead pooled connection).");
  sample (out, "navette_db_retries_total", NULL, db.retries);
  family (out, "navette_db_unavailable_total", "counter",
          "Operations that failed because the database was busy past --busy-timeout or unreachable (503).");
  sample (out, "navette_db_unavailable_total", NULL, db.unavailable);
  family (out, "navette_db_connection_wait_seconds", "histogram",
          "How long each attempt waited for a database connection (PostgreSQL: the pool;"
          " SQLite: the write gate of this process).");
  wait_count = 0;
  for (guint i = 0; i <= NAVETTE_HISTOGRAM_N_BOUNDS; i++)
    wait_count += db.wait.buckets[i];
  histogram (out, "navette_db_connection_wait_seconds", NULL, &db.wait, wait_count);

  render_process (out, metrics);
  return g_string_free (out, FALSE);
}
