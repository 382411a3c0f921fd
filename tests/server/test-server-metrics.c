/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-metrics.c — GET /metrics on `serve --metrics-listen`
 * (docs/metrics.md): after traffic that touches every metric, the
 * exposition passes a strict parser of the Prometheus text format
 * (version 0.0.4: names, labels and their escapes, values, HELP and TYPE
 * once per family and before its samples, families not interleaved, no
 * series twice, histograms with ascending `le`, cumulative buckets ending
 * in +Inf equal to _count) and every metric is there with what the
 * traffic made of it. Without --metrics-listen there is no /metrics
 * anywhere. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server-test-util.h"

/* ------------------------------------------------------------------ */
/* A strict parser of the text format                                  */

typedef struct
{
  char       *name;
  char       *type;     /* counter, gauge, histogram, summary, untyped */
  char       *help;
  GPtrArray  *samples;  /* of Sample* */
} Family;

typedef struct
{
  char       *name;     /* with its _bucket, _sum, _count */
  GHashTable *labels;   /* name → value (unescaped) */
  char       *key;      /* name{labels sorted}: a series, once */
  double      value;
} Sample;

static void
sample_free (Sample *sample)
{
  g_free (sample->name);
  g_hash_table_unref (sample->labels);
  g_free (sample->key);
  g_free (sample);
}

static void
family_free (Family *family)
{
  g_free (family->name);
  g_free (family->type);
  g_free (family->help);
  g_ptr_array_unref (family->samples);
  g_free (family);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
is_name (const char *p,
         gsize       len,
         gboolean    colons)
{
  if (len == 0 || !(g_ascii_isalpha (p[0]) || p[0] == '_' || (colons && p[0] == ':')))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!(g_ascii_isalnum (p[i]) || p[i] == '_' || (colons && p[i] == ':')))
      return FALSE;
  return TRUE;
}

/* A value as the format (Go's ParseFloat) takes it. */
static gboolean
parse_value (const char *text,
             double     *value)
{
  char *end = NULL;

  if (g_str_equal (text, "+Inf") || g_str_equal (text, "-Inf") || g_str_equal (text, "NaN"))
    {
      *value = g_str_equal (text, "NaN") ? NAN : g_str_equal (text, "+Inf") ? INFINITY : -INFINITY;
      return TRUE;
    }
  if (*text == '\0' || strchr ("+-0123456789.", *text) == NULL)
    return FALSE;
  *value = g_ascii_strtod (text, &end);
  return end != text && *end == '\0';
}

/* The family a sample name belongs to. */
static Family *
family_of (GHashTable *families,
           const char *name)
{
  static const char * const suffixes[] = { "_bucket", "_sum", "_count" };
  Family *family = g_hash_table_lookup (families, name);

  for (guint i = 0; family == NULL && i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      {
        g_autofree char *base = g_strndup (name, strlen (name) - strlen (suffixes[i]));
        Family *candidate = g_hash_table_lookup (families, base);

        if (candidate != NULL && g_strcmp0 (candidate->type, "histogram") == 0)
          family = candidate;
      }
  return family;
}

static Sample *
parse_sample (const char *line)
{
  Sample *sample = g_new0 (Sample, 1);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GString *key = g_string_new (NULL);
  const char *p = line;
  const char *start = p;
  g_auto(GStrv) rest = NULL;

  sample->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while (*p != '\0' && *p != '{' && *p != ' ')
    p++;
  if (!is_name (start, p - start, TRUE))
    g_error ("not a metric name: %s", line);
  sample->name = g_strndup (start, p - start);
  if (*p == '{')
    {
      p++;
      while (*p != '}')
        {
          const char *name = p;
          g_autofree char *label = NULL;
          GString *value = g_string_new (NULL);

          while (*p != '\0' && *p != '=')
            p++;
          if (!is_name (name, p - name, FALSE) || g_str_has_prefix (name, "__") || p[1] != '"')
            g_error ("not a label: %s", line);
          label = g_strndup (name, p - name);
          for (p += 2; *p != '"'; p++)
            {
              if (*p == '\0' || *p == '\n')
                g_error ("unterminated label value: %s", line);
              if (*p == '\\')
                {
                  p++;
                  if (*p == 'n')
                    g_string_append_c (value, '\n');
                  else if (*p == '\\' || *p == '"')
                    g_string_append_c (value, *p);
                  else
                    g_error ("bad escape in a label value: %s", line);
                }
              else
                g_string_append_c (value, *p);
            }
          p++;
          if (g_hash_table_contains (sample->labels, label))
            g_error ("label %s twice: %s", label, line);
          g_ptr_array_add (keys, g_strdup_printf ("%s=%s", label, value->str));
          g_hash_table_insert (sample->labels, g_steal_pointer (&label), g_string_free (value, FALSE));
          if (*p == ',')
            p++;
          else if (*p != '}')
            g_error ("expected , or }: %s", line);
        }
      p++;
    }
  if (*p != ' ')
    g_error ("expected a space before the value: %s", line);
  rest = g_strsplit (p + 1, " ", -1);
  if (g_strv_length (rest) < 1 || g_strv_length (rest) > 2 || !parse_value (rest[0], &sample->value))
    g_error ("not a value [timestamp]: %s", line);
  if (rest[1] != NULL && !g_ascii_string_to_signed (rest[1], 10, G_MININT64, G_MAXINT64, NULL, NULL))
    g_error ("not a timestamp: %s", line);

  g_ptr_array_sort (keys, compare_strings);
  g_string_append (key, sample->name);
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (key, "%c%s", i == 0 ? '{' : ',', (char *) g_ptr_array_index (keys, i));
  sample->key = g_string_free (key, FALSE);
  return sample;
}

/* Checks the rules of a histogram family: per label set (without le), le
 * ascending to +Inf, cumulative counts, +Inf = _count, a _sum. */
static void
check_histogram (Family *family)
{
  g_autoptr(GHashTable) last_le = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) last_count = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) sums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *bucket = g_strconcat (family->name, "_bucket", NULL);
  g_autofree char *sum = g_strconcat (family->name, "_sum", NULL);
  g_autofree char *count = g_strconcat (family->name, "_count", NULL);
  guint n_counts = 0;

  for (guint i = 0; i < family->samples->len; i++)
    {
      Sample *sample = g_ptr_array_index (family->samples, i);
      g_autoptr(GString) set = g_string_new (NULL);
      GHashTableIter iter;
      gpointer name, value;
      g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

      g_hash_table_iter_init (&iter, sample->labels);
      while (g_hash_table_iter_next (&iter, &name, &value))
        if (!g_str_equal (name, "le"))
          g_ptr_array_add (parts, g_strdup_printf ("%s=%s", (char *) name, (char *) value));
      g_ptr_array_sort (parts, compare_strings);
      for (guint k = 0; k < parts->len; k++)
        g_string_append_printf (set, "%s;", (char *) g_ptr_array_index (parts, k));

      if (g_str_equal (sample->name, bucket))
        {
          const char *le = g_hash_table_lookup (sample->labels, "le");
          double bound;
          double *previous_le = g_hash_table_lookup (last_le, set->str);
          double *previous = g_hash_table_lookup (last_count, set->str);

          g_assert_nonnull (le);
          g_assert_true (parse_value (le, &bound));
          if (previous_le != NULL)
            {
              g_assert_cmpfloat (bound, >, *previous_le);
              g_assert_cmpfloat (sample->value, >=, *previous);
            }
          g_hash_table_insert (last_le, g_strdup (set->str), g_memdup2 (&bound, sizeof bound));
          g_hash_table_insert (last_count, g_strdup (set->str), g_memdup2 (&sample->value, sizeof sample->value));
        }
      else if (g_str_equal (sample->name, sum))
        g_hash_table_add (sums, g_strdup (set->str));
      else if (g_str_equal (sample->name, count))
        {
          double *le = g_hash_table_lookup (last_le, set->str);
          double *cumulative = g_hash_table_lookup (last_count, set->str);

          /* the buckets came first and ended with +Inf, which is the count */
          g_assert_nonnull (le);
          g_assert_true (isinf (*le) && *le > 0);
          g_assert_cmpfloat (*cumulative, ==, sample->value);
          g_assert_true (g_hash_table_contains (sums, set->str));
          n_counts++;
        }
      else
        g_error ("%s is not a sample of the histogram %s", sample->name, family->name);
    }
  g_assert_cmpuint (n_counts, ==, g_hash_table_size (last_le));
}

/* Parses @text strictly: family name → Family. */
static GHashTable *
parse_exposition (const char *text)
{
  GHashTable *families = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) family_free);
  g_autoptr(GHashTable) series = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) lines = NULL;
  Family *current = NULL;
  guint n;

  g_assert_true (g_str_has_suffix (text, "\n"));
  g_assert_null (strchr (text, '\r'));
  g_assert_true (g_utf8_validate (text, -1, NULL));
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines) - 1;  /* after the last newline */
  for (guint i = 0; i < n; i++)
    {
      const char *line = lines[i];

      if (*line == '\0')
        continue;
      if (g_str_has_prefix (line, "# HELP ") || g_str_has_prefix (line, "# TYPE "))
        {
          g_auto(GStrv) parts = g_strsplit (line + 7, " ", 2);
          Family *family;

          g_assert_nonnull (parts[0]);
          if (!is_name (parts[0], strlen (parts[0]), TRUE) || parts[1] == NULL)
            g_error ("bad comment line: %s", line);
          family = g_hash_table_lookup (families, parts[0]);
          if (family == NULL)
            {
              /* a new family: the one before is over */
              if (current != NULL)
                g_hash_table_add (done, current->name);
              family = g_new0 (Family, 1);
              family->name = g_strdup (parts[0]);
              family->samples = g_ptr_array_new_with_free_func ((GDestroyNotify) sample_free);
              g_hash_table_insert (families, family->name, family);
            }
          else if (family != current || family->samples->len > 0)
            g_error ("%s: HELP and TYPE go before its samples, together: %s", family->name, line);
          current = family;
          if (line[2] == 'H')
            {
              if (family->help != NULL)
                g_error ("HELP twice: %s", line);
              family->help = g_strdup (parts[1]);
            }
          else
            {
              if (family->type != NULL)
                g_error ("TYPE twice: %s", line);
              if (!g_strv_contains ((const char * const[]) { "counter", "gauge", "histogram", "summary",
                                                             "untyped", NULL }, parts[1]))
                g_error ("unknown type: %s", line);
              family->type = g_strdup (parts[1]);
            }
          continue;
        }
      if (line[0] == '#')
        continue;  /* another comment */
      {
        Sample *sample = parse_sample (line);
        Family *family = family_of (families, sample->name);

        if (family == NULL)
          g_error ("a sample without HELP and TYPE: %s", line);
        if (family != current)
          {
            if (g_hash_table_contains (done, family->name))
              g_error ("the samples of %s are not together: %s", family->name, line);
            g_hash_table_add (done, current->name);
            current = family;
          }
        if (g_hash_table_contains (series, sample->key))
          g_error ("a series twice: %s", line);
        g_hash_table_add (series, sample->key);
        if (g_str_equal (family->type, "counter"))
          {
            g_assert_true (g_str_has_suffix (family->name, "_total"));
            g_assert_cmpfloat (sample->value, >=, 0);
          }
        g_ptr_array_add (family->samples, sample);
      }
    }

  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, families);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        Family *family = value;

        g_assert_nonnull (family->help);
        g_assert_nonnull (family->type);
        if (g_str_equal (family->type, "histogram"))
          check_histogram (family);
      }
  }
  return families;
}

/* The value of the sample @name with the labels "a=b,c=d" (NULL: none);
 * -1 when there is no such sample. */
static double
value_of (GHashTable *families,
          const char *name,
          const char *labels)
{
  Family *family = family_of (families, name);
  g_auto(GStrv) wanted = labels != NULL ? g_strsplit (labels, ",", -1) : g_new0 (char *, 1);

  if (family == NULL)
    return -1;
  for (guint i = 0; i < family->samples->len; i++)
    {
      Sample *sample = g_ptr_array_index (family->samples, i);
      gboolean match = g_str_equal (sample->name, name) &&
                       g_hash_table_size (sample->labels) == g_strv_length (wanted);

      for (guint k = 0; match && wanted[k] != NULL; k++)
        {
          g_auto(GStrv) pair = g_strsplit (wanted[k], "=", 2);

          match = g_strcmp0 (g_hash_table_lookup (sample->labels, pair[0]), pair[1]) == 0;
        }
      if (match)
        return sample->value;
    }
  return -1;
}

/* ------------------------------------------------------------------ */
/* The server                                                          */

/* The metrics' URL the server printed. */
static char *
metrics_url (NavetteTestServer *server)
{
  const char *at = strstr (server->output->str, "metrics on ");
  const char *end;

  g_assert_nonnull (at);
  at += strlen ("metrics on ");
  end = strchr (at, '\n');
  return g_strndup (at, end - at);
}

static char *
get_text (const char *url,
          const char *method,
          guint      *status,
          char      **content_type)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (content_type != NULL)
    *content_type = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                            "Content-Type"));
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

typedef struct
{
  GAsyncResult *result;
  guint         messages;
} Wait;

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  ((Wait *) data)->result = g_object_ref (result);
}

static void
message_cb (SoupWebsocketConnection *connection,
            int                      type,
            GBytes                  *message,
            gpointer                 data)
{
  ((Wait *) data)->messages++;
}

static gboolean
expired_cb (gpointer data)
{
  g_error ("no answer within 30 s");
  return G_SOURCE_REMOVE;
}

/* A subscriber of /api/v1/events (the main loop runs until it is open). */
static SoupWebsocketConnection *
subscribe (NavetteTestServer *server,
           const char        *token,
           Wait              *wait)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (server->base_url, API "/events", NULL);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GError) error = NULL;
  const char *protocols[] = { "navette.v1", NULL };
  guint deadline = g_timeout_add_seconds (30, expired_cb, NULL);
  SoupWebsocketConnection *connection;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (session, msg, NULL, (char **) protocols, G_PRIORITY_DEFAULT,
                                        NULL, connected_cb, wait);
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  connection = soup_session_websocket_connect_finish (session, wait->result, &error);
  g_clear_object (&wait->result);
  g_assert_no_error (error);
  g_signal_connect (connection, "message", G_CALLBACK (message_cb), wait);
  return connection;
}

static void
post_session (NavetteTestServer *server,
              const char        *body,
              guint              expected)
{
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (st_request (server, "POST", API "/sessions", NULL, body, &json, NULL), ==, expected);
}

/* Traffic through every counted path, then the exposition: strictly
 * parsed, every metric there, with what the traffic made. */
static void
test_exposition (void)
{
  const char *args[] = { "--metrics-listen", "127.0.0.1:0", "--request-timeout", "2", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *url = metrics_url (server);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *id = navette_uuid_new ();
  g_autofree char *create = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"Counted\"}}", id);
  g_autofree char *record = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autofree char *revert = g_strdup_printf ("%s/revert", record);
  g_autofree char *key = navette_uuid_new ();
  g_autofree char *text = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(GHashTable) families = NULL;
  g_autoptr(SoupWebsocketConnection) socket = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) idle = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL, 0 };
  guint deadline, status;
  static const char health[] = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  char buffer[1024];

  /* a subscriber, then writes it hears of: create, its replay (the same
   * answer, nothing written), update, revert */
  socket = subscribe (server, token, &wait);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (navette_test_request_full (server, "POST", PRODUCTS "/records", token, "application/json",
                                                 create, strlen (create), NULL, NULL,
                                                 "Idempotency-Key", key, NULL), ==, 201);
  g_assert_cmpuint (st_request (server, "PATCH", record, token, "{\"base_version\": 1, \"data\": {\"stock\": 2}}",
                                NULL, NULL), ==, 200);
  g_assert_cmpuint (st_request (server, "POST", revert, token, "{\"version\": 1}", NULL, NULL), ==, 200);
  deadline = g_timeout_add_seconds (30, expired_cb, NULL);
  while (wait.messages == 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);

  /* light checks: from the database, then from the caches */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (st_request (server, "GET", PRODUCTS "/last-modified", token, NULL, NULL, NULL), ==, 200);
  g_assert_cmpuint (st_request (server, "GET", API "/health", NULL, NULL, NULL, NULL), ==, 200);
  g_assert_cmpuint (st_request (server, "GET", API "/nothing-here", NULL, NULL, NULL, NULL), ==, 404);
  g_assert_cmpuint (st_request (server, "DELETE", record, token, NULL, NULL, NULL), ==, 405);

  /* sign-ins: a wrong password; malformed bodies until the address is
   * refused (rate_limited) */
  post_session (server, "{\"username\": \"alice\", \"password\": \"wrong\"}", 401);
  for (guint i = 0; i < 19; i++)
    post_session (server, "{\"username\": ", 400);
  post_session (server, "{\"username\": \"alice\", \"password\": \"navette-demo\"}", 429);

  /* a kept-alive connection left idle after its answer is closed by its
   * deadline: read up to the end of file */
  idle = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (idle), 30);
  g_assert_cmpint (g_socket_send (g_socket_connection_get_socket (idle), health, strlen (health), NULL, &error),
                   ==, strlen (health));
  while (g_socket_receive (g_socket_connection_get_socket (idle), buffer, sizeof buffer, NULL, &error) > 0)
    ;
  g_assert_no_error (error);

  text = get_text (url, "GET", &status, &content_type);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (content_type, ==, "text/plain; version=0.0.4; charset=utf-8");
  families = parse_exposition (text);

  {
    static const struct
    {
      const char *name;
      const char *type;
    } expected[] = {
      { "navette_build_info", "gauge" },
      { "navette_http_requests_total", "counter" },
      { "navette_http_request_duration_seconds", "histogram" },
      { "navette_http_connections", "gauge" },
      { "navette_http_deadline_closes_total", "counter" },
      { "navette_light_checks_total", "counter" },
      { "navette_writes_total", "counter" },
      { "navette_sign_in_failures_total", "counter" },
      { "navette_websocket_subscribers", "gauge" },
      { "navette_websocket_announcements_total", "counter" },
      { "navette_db_operations_total", "counter" },
      { "navette_db_retries_total", "counter" },
      { "navette_db_unavailable_total", "counter" },
      { "navette_db_connection_wait_seconds", "histogram" },
      { "process_start_time_seconds", "gauge" },
      { "process_resident_memory_bytes", "gauge" },
      { "process_open_fds", "gauge" },
      { "process_cpu_seconds_total", "counter" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        Family *family = g_hash_table_lookup (families, expected[i].name);

        if (family == NULL)
          g_error ("no metric %s", expected[i].name);
        g_assert_cmpstr (family->type, ==, expected[i].type);
        g_assert_cmpuint (family->samples->len, >, 0);
      }
    g_assert_cmpuint (g_hash_table_size (families), ==, G_N_ELEMENTS (expected));
  }

  {
    Family *build = g_hash_table_lookup (families, "navette_build_info");
    Sample *info = g_ptr_array_index (build->samples, 0);

    g_assert_cmpuint (build->samples->len, ==, 1);
    g_assert_cmpfloat (info->value, ==, 1);
    g_assert_cmpstr (g_hash_table_lookup (info->labels, "version"), ==, PACKAGE_VERSION);
    g_assert_nonnull (g_hash_table_lookup (info->labels, "backend"));
  }
  g_assert_cmpfloat (value_of (families, "navette_http_requests_total",
                               "route=/api/v1/health,method=GET,code=2xx"), ==, 2);
  g_assert_cmpfloat (value_of (families, "navette_http_requests_total",
                               "route=/api/v1/applications/{app}/tables/{table}/last-modified,method=GET,code=2xx"),
                     ==, 3);
  g_assert_cmpfloat (value_of (families, "navette_http_requests_total",
                               "route=/api/v1/applications/{app}/tables/{table}/records/{id},method=other,code=4xx"),
                     ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_http_requests_total", "route=none,method=other,code=4xx"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_http_requests_total",
                               "route=/api/v1/sessions,method=POST,code=4xx"), ==, 21);
  g_assert_cmpfloat (value_of (families, "navette_http_request_duration_seconds_count",
                               "route=/api/v1/health,method=GET,code=2xx"), ==, 2);
  g_assert_cmpfloat (value_of (families, "navette_http_request_duration_seconds_sum",
                               "route=/api/v1/health,method=GET,code=2xx"), >, 0);
  g_assert_cmpfloat (value_of (families, "navette_http_connections", NULL), >=, 1);
  g_assert_cmpfloat (value_of (families, "navette_http_deadline_closes_total", "phase=idle"), >=, 1);
  g_assert_cmpfloat (value_of (families, "navette_light_checks_total", "source=database"), >=, 1);
  g_assert_cmpfloat (value_of (families, "navette_light_checks_total", "source=cache"), >=, 1);
  g_assert_cmpfloat (value_of (families, "navette_light_checks_total", "source=database") +
                     value_of (families, "navette_light_checks_total", "source=cache"), ==, 3);
  g_assert_cmpfloat (value_of (families, "navette_writes_total", "action=create,result=written"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_writes_total", "action=create,result=replayed"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_writes_total", "action=update,result=written"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_writes_total", "action=revert,result=written"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_sign_in_failures_total", "reason=password"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_sign_in_failures_total", "reason=malformed"), ==, 19);
  g_assert_cmpfloat (value_of (families, "navette_sign_in_failures_total", "reason=rate_limited"), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_websocket_subscribers", NULL), ==, 1);
  g_assert_cmpfloat (value_of (families, "navette_websocket_announcements_total", NULL), >=, 1);
  g_assert_cmpfloat (value_of (families, "navette_db_operations_total", "kind=write"), >=, 3);
  g_assert_cmpfloat (value_of (families, "navette_db_operations_total", "kind=read"), >=, 1);
  g_assert_cmpfloat (value_of (families, "navette_db_retries_total", NULL), >=, 0);
  g_assert_cmpfloat (value_of (families, "navette_db_unavailable_total", NULL), ==, 0);
  g_assert_cmpfloat (value_of (families, "navette_db_connection_wait_seconds_count", NULL), >=,
                     value_of (families, "navette_db_operations_total", "kind=write"));
  g_assert_cmpfloat (value_of (families, "process_resident_memory_bytes", NULL), >, 1 << 20);
  g_assert_cmpfloat (value_of (families, "process_open_fds", NULL), >, 3);
  g_assert_cmpfloat (value_of (families, "process_cpu_seconds_total", NULL), >, 0);
  g_assert_cmpfloat (value_of (families, "process_start_time_seconds", NULL), >,
                     g_get_real_time () / G_USEC_PER_SEC - 3600);

  soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

/* The metrics listener answers GET /metrics only; without
 * --metrics-listen nothing is counted or served, and the API's port never
 * has /metrics. */
static void
test_only_where_asked (void)
{
  const char *args[] = { "--metrics-listen", "127.0.0.1:0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteTestServer) plain = navette_test_server_start (NULL);
  g_autofree char *url = metrics_url (server);
  g_autofree char *base = g_strndup (url, strlen (url) - strlen ("/metrics"));
  g_autofree char *other = g_strconcat (base, "/other", NULL);
  g_autofree char *api = g_strconcat (server->base_url, "/metrics", NULL);
  g_autofree char *text = NULL;
  guint status;

  g_free (get_text (url, "POST", &status, NULL));
  g_assert_cmpuint (status, ==, 405);
  g_free (get_text (other, "GET", &status, NULL));
  g_assert_cmpuint (status, ==, 404);
  g_free (get_text (api, "GET", &status, NULL));
  g_assert_cmpuint (status, ==, 404);
  text = get_text (url, "GET", &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_hash_table_unref (parse_exposition (text));

  g_assert_null (strstr (plain->output->str, "metrics on"));
}

/* The parser refuses what the format does not allow (so that it can fail). */
static void
test_parser_strict (void)
{
  static const char * const bad[] = {
    "no_type 1\n",
    "# HELP x h\n# TYPE x counter\nx 1\n",                                 /* a counter without _total */
    "# HELP a_total h\n# TYPE a_total counter\na_total{l=\"v} 1\n",        /* unterminated */
    "# HELP a_total h\n# TYPE a_total counter\na_total{l=\"\\t\"} 1\n",    /* bad escape */
    "# HELP a_total h\n# TYPE a_total counter\na_total 1\na_total 2\n",    /* a series twice */
    "# HELP a h\n# TYPE a gauge\n# HELP b h\n# TYPE b gauge\na 1\nb 1\na 2\n",   /* interleaved */
    "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
    "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
    "# HELP g h\n# TYPE g gauge\ng one\n",
    "# HELP g h\n# TYPE g gauge\ng 1",                                      /* no final newline */
    "# HELP g h\n# TYPE g gauge\n# TYPE g gauge\ng 1\n",                  /* TYPE twice */
  };
  const char *index = g_getenv ("NAVETTE_TEST_BAD_EXPOSITION");

  if (g_test_subprocess ())
    {
      g_hash_table_unref (parse_exposition (bad[atoi (index)]));
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf ("%u", i);

      g_setenv ("NAVETTE_TEST_BAD_EXPOSITION", text, TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_failed ();
    }
  g_unsetenv ("NAVETTE_TEST_BAD_EXPOSITION");
  /* and takes what it does */
  g_hash_table_unref (parse_exposition ("# HELP g h\n# TYPE g gauge\ng{a=\"x\\\"y\\\\z\\n\"} -1.5e3 1700000000\n"
                                        "# a comment\n# HELP h h\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\n"
                                        "h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/metrics/exposition", test_exposition);
  g_test_add_func ("/server/metrics/only-where-asked", test_only_where_asked);
  g_test_add_func ("/server/metrics/parser-strict", test_parser_strict);

  return g_test_run ();
}
