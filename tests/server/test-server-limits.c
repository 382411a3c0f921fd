/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-limits.c — the body limit (refused from the headers), the
 * 503 of a busy database, and changes made behind the server's back
 * (plain SQL) seen by the light check. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sqlite3.h>

#include "server-test-util.h"

static void
assert_413 (const char *answer)
{
  const char *body;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413 "));
  body = strstr (answer, "\r\n\r\n");
  g_assert_nonnull (body);
  bytes = g_bytes_new (body + 4, strlen (body + 4));
  json = navette_test_parse (bytes);
  st_assert_error (413, json, 413, "payload_too_large");
}

static void
test_body_limit (void)
{
  const char *args[] = { "--body-limit", "1000", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *announced = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *chunked = NULL;
  g_autofree char *padding = g_strnfill (600, 'x');
  g_autofree char *small_body = NULL;
  g_autofree char *chunk_request = NULL;
  g_autoptr(JsonNode) json = NULL;
  guint status;

  /* Announces 5000 bytes but sends 2: a server that waited for the body
   * would never answer. It answers 413 from the headers alone. */
  announced = g_strdup_printf ("POST " PRODUCTS "/records HTTP/1.1\r\n"
                               "Host: 127.0.0.1\r\n"
                               "Authorization: Bearer %s\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: 5000\r\n"
                               "\r\n{}", token);
  answer = st_raw_exchange (server, announced, strlen (announced), 65536);
  assert_413 (answer);

  /* A chunked body that grows over the limit. The last chunk is never
   * sent: the answer comes once the limit is passed. */
  chunk_request = g_strdup_printf ("POST " PRODUCTS "/records HTTP/1.1\r\n"
                                   "Host: 127.0.0.1\r\n"
                                   "Authorization: Bearer %s\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\n"
                                   "\r\n"
                                   "258\r\n%s\r\n258\r\n%s\r\n", token, padding, padding);
  chunked = st_raw_exchange (server, chunk_request, strlen (chunk_request), 65536);
  assert_413 (chunked);

  /* under the limit: fine */
  small_body = g_strdup_printf ("{\"data\": {\"name\": \"%.*s\"}}", 900, padding);
  status = st_request (server, "POST", PRODUCTS "/records", token, small_body, &json, NULL);
  g_assert_cmpuint (status, ==, 201);
}

static sqlite3 *
open_sqlite (NavetteTestServer *server)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (server->db, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
test_busy_503 (void)
{
  const char *args[] = { "--busy-timeout", "50", NULL };
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) busy = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  sqlite3 *db;
  guint status;

  if (!navette_test_need_sqlite ("holds a SQLite lock"))
    return;
  server = navette_test_server_start (args);
  token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);

  db = open_sqlite (server);
  exec_sql (db, "BEGIN EXCLUSIVE");
  status = st_request (server, "POST", PRODUCTS "/records", token,
                       "{\"data\": {\"name\": \"Busy\"}}", &busy, &headers);
  st_assert_error (status, busy, 503, "unavailable");
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  exec_sql (db, "ROLLBACK");
  sqlite3_close (db);

  status = st_request (server, "POST", PRODUCTS "/records", token,
                       "{\"data\": {\"name\": \"Not busy\"}}", &created, NULL);
  g_assert_cmpuint (status, ==, 201);
}

static void
test_trigger_seen (void)
{
  /* --state-cache 0: every light check reads the database */
  const char *args[] = { "--state-cache", "0", NULL };
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) records = NULL;
  gint64 before, after;
  gboolean found = FALSE;
  JsonArray *list;
  guint status;

  if (!navette_test_need_sqlite ("writes with the sqlite3 API"))
    return;
  server = navette_test_server_start (args);
  token = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  before = st_revision (server, token, PRODUCTS);
  navette_test_sqlite_exec (server, "INSERT INTO \"catalogue.products\" (name, price) VALUES ('Plain SQL', 2.5)");
  after = st_revision (server, token, PRODUCTS);
  g_assert_cmpint (after, >, before);

  /* and the row is a record like any other */
  status = st_request (server, "GET", PRODUCTS "/records", token, NULL, &records, NULL);
  g_assert_cmpuint (status, ==, 200);
  list = json_object_get_array_member (st_object (records), "records");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *data = json_object_get_object_member (json_array_get_object_element (list, i), "data");
      found |= g_strcmp0 (json_object_get_string_member (data, "name"), "Plain SQL") == 0;
    }
  g_assert_true (found);
}

/* A revert is checked against the table as it is now, like an update:
 * the name column made shorter behind the server's back (as an
 * administrator's change of the schema would) refuses a revert to a
 * version with a longer name, with the same 422 and fields. */
static void
test_revert_checked_against_schema (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *revert = NULL;
  g_autoptr(JsonNode) updated = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) too_long = NULL;
  g_autoptr(JsonNode) versions = NULL;
  g_autoptr(JsonNode) reverted = NULL;
  JsonObject *error;
  guint status;

  if (!navette_test_need_sqlite ("changes the schema with the sqlite3 API "
                                 "(the storage contract covers PostgreSQL)"))
    return;
  server = navette_test_server_start (NULL);
  token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  id = st_create_product (server, token, "A name of twenty-five chr");
  path = g_strdup_printf (PRODUCTS "/records/%s", id);
  status = st_request (server, "PATCH", path, token, "{\"base_version\": 1, \"data\": {\"name\": \"Short\"}}",
                       &updated, NULL);
  g_assert_cmpuint (status, ==, 200);

  navette_test_sqlite_exec (server, "UPDATE content_columns SET max_length = 10 WHERE name = 'name'"
                                    " AND table_id = (SELECT id FROM content_tables WHERE name = 'products')");

  /* an update with that name now gets 422… */
  status = st_request (server, "PATCH", path, token,
                       "{\"base_version\": 2, \"data\": {\"name\": \"A name of twenty-five chr\"}}",
                       &too_long, NULL);
  st_assert_error (status, too_long, 422, "validation_failed");
  /* …and so does a revert to the version that had it, with the same fields */
  revert = g_strdup_printf ("%s/revert", path);
  status = st_request (server, "POST", revert, token, "{\"version\": 1}", &refused, NULL);
  st_assert_error (status, refused, 422, "validation_failed");
  error = json_object_get_object_member (st_object (refused), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "message"), ==,
                   json_object_get_string_member (json_object_get_object_member (st_object (too_long), "error"),
                                                  "message"));
  g_assert_true (json_object_has_member (json_object_get_object_member (error, "fields"), "name"));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (error, "fields")), ==, 1);

  /* nothing was written; version 2 still fits */
  status = st_request (server, "GET", path, token, NULL, &versions, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (versions), "version"), ==, 2);
  status = st_request (server, "POST", revert, token, "{\"version\": 2}", &reverted, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (reverted), "version"), ==, 3);
}

#define CACHE_TTL_MS    250
#define CACHE_MARGIN_MS 250

static void
test_trigger_seen_within_cache_ttl (void)
{
  /* A plain-SQL change shows within the cache lifetime: a light check
   * sent once the lifetime (plus a margin for the worker that stored the
   * entry) has passed since the change never answers the old revision.
   * Each poll is a real request; what counts is when it was sent, so a
   * slow client only makes fewer of them. */
  const char *args[] = { "--state-cache", G_STRINGIFY (CACHE_TTL_MS), NULL };
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *token = NULL;
  gint64 before, after, changed, sent;

  if (!navette_test_need_sqlite ("writes with the sqlite3 API"))
    return;
  server = navette_test_server_start (args);
  token = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  before = st_revision (server, token, PRODUCTS);
  navette_test_sqlite_exec (server, "INSERT INTO \"catalogue.products\" (name, price) VALUES ('Plain SQL', 2.5)");
  changed = g_get_monotonic_time ();
  do
    {
      sent = g_get_monotonic_time ();
      after = st_revision (server, token, PRODUCTS);
      if (after == before)
        g_assert_cmpint (sent - changed, <, (CACHE_TTL_MS + CACHE_MARGIN_MS) * G_TIME_SPAN_MILLISECOND);
    }
  while (after == before);
  g_assert_cmpint (after, >, before);
}

/* The test helper drains the server's access log while the test makes
 * synchronous requests (and never iterates a main loop): 3 000 log lines
 * are more than a pipe holds, and the server must still stop at SIGTERM.
 * (Before the drain ran in a thread, this hung in navette_test_server_stop:
 * the rare hang of trigger-seen-within-cache-ttl, whose polling loop makes
 * as many requests as it can for up to 5 s.) */
static void
test_stop_after_many_requests (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);

  for (guint i = 0; i < 3000; i++)
    g_assert_cmpuint (st_request (server, "GET", "/api/v1/health", NULL, NULL, NULL, NULL), ==, 200);
  navette_test_server_stop (server);
  g_assert_null (server->process);
}

static guint
count_fds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_closed_connections_released (void)
{
  /* libsoup 3.2 keeps a kept-alive connection the client closed while
   * idle (CLOSE-WAIT) forever; the server must release them. */
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  const char *pid = g_subprocess_get_identifier (server->process);
  const char *request = "GET " API "/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint before, during, after;
  gint64 deadline;

  before = count_fds (pid);
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GError) error = NULL;
      char buffer[1024];
      gssize n;

      connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 request, strlen (request), NULL, NULL, &error);
      g_assert_no_error (error);
      n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                               buffer, sizeof buffer - 1, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, >, 12);
      g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 200"));
      /* the client closes the kept-alive connection */
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  during = count_fds (pid);
  g_test_message ("descriptors: %u before, %u after 40 closed connections", before, during);

  /* The server sweeps every 2 s; wait on the main loop (up to 10 s). */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  do
    {
      g_timeout_add (100, quit_loop_cb, loop);
      g_main_loop_run (loop);
      after = count_fds (pid);
    }
  while (after > before + 5 && g_get_monotonic_time () < deadline);
  g_assert_cmpuint (after, <=, before + 5);
}

static void
test_response_delay (void)
{
  const char *args[] = { "--response-delay", "300", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  gint64 start = g_get_monotonic_time ();
  guint status = st_request (server, "GET", API "/health", NULL, NULL, NULL, NULL);

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
}

/* A `serve` of our own (not through tests/common), to read everything it
 * prints, on the database of @helper (stopped), whose request functions
 * are pointed at it until own_server_stop(). */
typedef struct
{
  NavetteTestServer *helper;
  GSubprocess       *process;
  GDataInputStream  *out;
  char              *saved_url;
  guint16            saved_port;
} OwnServer;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
own_server_start (OwnServer         *own,
                  NavetteTestServer *helper)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  const char *at;

  navette_test_server_stop (helper);
  own->helper = helper;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* gone with the test, should it fail */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  own->process = g_subprocess_launcher_spawn (launcher, &error,
                                              g_getenv ("NAVETTE_SERVER_BINARY"), "serve", "--db", helper->db,
                                              "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  own->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (own->process));
  first = g_data_input_stream_read_line_utf8 (own->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  at = strstr (first, "navette-server: listening on http://127.0.0.1:");
  g_assert_nonnull (at);

  own->saved_url = helper->base_url;
  own->saved_port = helper->port;
  helper->base_url = g_strdup (at + strlen ("navette-server: listening on "));
  helper->port = (guint16) g_ascii_strtoull (strrchr (helper->base_url, ':') + 1, NULL, 10);
}

/* SIGTERM; asserts a clean exit and returns the rest of the output (the
 * access log, flushed at exit). */
static char *
own_server_stop (OwnServer *own)
{
  g_autoptr(GError) error = NULL;
  char *rest;
  gsize len;

  g_free (own->helper->base_url);
  own->helper->base_url = own->saved_url;
  own->helper->port = own->saved_port;

  g_subprocess_send_signal (own->process, SIGTERM);
  rest = g_data_input_stream_read_upto (own->out, "", 0, &len, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait (own->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (own->process));
  g_assert_cmpint (g_subprocess_get_exit_status (own->process), ==, 0);
  g_clear_object (&own->out);
  g_clear_object (&own->process);
  g_assert_nonnull (rest);
  return rest;
}

/* Every line: METHOD PATH STATUS BYTES MICROSECONDS USER, printable
 * ASCII only. */
static void
assert_log_lines (const char *log)
{
  g_auto(GStrv) lines = NULL;

  for (const guchar *p = (const guchar *) log; *p != '\0'; p++)
    if (*p != '\n')
      g_assert_true (*p >= 0x20 && *p < 0x7f);
  lines = g_strsplit (log, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (lines[i][0] == '\0' && lines[i + 1] == NULL)
        break;  /* after the last newline */
      fields = g_strsplit (lines[i], " ", 0);
      g_test_message ("%s", lines[i]);
      g_assert_cmpuint (g_strv_length (fields), ==, 6);
      g_assert_true (g_ascii_string_to_unsigned (fields[2], 10, 100, 599, NULL, NULL));
      g_assert_true (g_ascii_string_to_unsigned (fields[3], 10, 0, G_MAXUINT64, NULL, NULL));
      g_assert_true (g_ascii_string_to_unsigned (fields[4], 10, 0, G_MAXUINT64, NULL, NULL));
    }
}

/* The access log, and that SIGTERM stops the server cleanly. */
static void
test_access_log_and_sigterm (void)
{
  g_autoptr(NavetteTestServer) helper = navette_test_server_start (NULL);
  g_autofree char *rest = NULL;
  g_autofree char *token = NULL;
  OwnServer own = { 0 };
  guint status;

  own_server_start (&own, helper);
  token = navette_test_login (helper, "alice", NAVETTE_DEMO_PASSWORD);
  status = st_request (helper, "GET", PRODUCTS "/records?since=0&token=secret-in-query", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  status = st_request (helper, "GET", API "/nothing", NULL, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 404);
  rest = own_server_stop (&own);

  g_assert_null (strstr (rest, token));
  g_assert_null (strstr (rest, NAVETTE_DEMO_PASSWORD));
  g_assert_null (strstr (rest, "secret-in-query"));
  g_assert_nonnull (strstr (rest, "POST /api/v1/sessions 201 "));
  g_assert_nonnull (strstr (rest, "GET /api/v1/applications/catalogue/tables/products/records 200 "));
  g_assert_nonnull (strstr (rest, "GET /api/v1/nothing 404 "));
  assert_log_lines (rest);
}

/* What the client sent (method, path, the user name given at sign-in)
 * cannot forge a line of the log or reach the operator's terminal: each
 * byte outside printable ASCII is written %XX, one request one line. */
static void
test_access_log_escaped (void)
{
  static const struct
  {
    const char *request;  /* the request line */
    const char *logged;   /* what the log must hold */
  } lines[] = {
    /* libsoup decodes %0a in the path: a newline */
    { "GET /api/v1/%0aFAKE%20200%200%200%20- HTTP/1.1", "\nGET /api/v1/%0AFAKE%20200%200%200%20- 404 " },
    { "GET /api/v1/\x1b[31mred\x08\x7f HTTP/1.1", "\nGET /api/v1/%1B[31mred%08%7F 404 " },
    { "GET /api/v1/caf\xc3\xa9/\xff%25 HTTP/1.1", "\nGET /api/v1/caf%C3%A9/%FF%25 404 " },
    { "G\x01T /api/v1/health HTTP/1.1", "\nG%01T /api/v1/health 405 " },
  };
  g_autoptr(NavetteTestServer) helper = navette_test_server_start (NULL);
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *log = NULL;
  g_autofree char *token = NULL;
  OwnServer own = { 0 };
  guint status;

  own_server_start (&own, helper);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autofree char *request = g_strdup_printf ("%s\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                                  lines[i].request);
      g_autofree char *answer = st_raw_exchange (helper, request, strlen (request), 65536);

      g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 4"));
    }
  /* a user name at sign-in */
  status = st_request (helper, "POST", API "/sessions", NULL,
                       "{\"username\": \"ev\\nFAKE \\u001b[2J\\u00e9\", \"password\": \"x\"}", &json, NULL);
  st_assert_error (status, json, 401, "auth_required");
  /* a signed-in user */
  token = navette_test_login (helper, "alice", NAVETTE_DEMO_PASSWORD);
  status = st_request (helper, "GET", API "/me", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  rest = own_server_stop (&own);

  assert_log_lines (rest);
  /* every line, the first included, after a newline */
  log = g_strconcat ("\n", rest, NULL);
  g_assert_null (strstr (log, "\nFAKE"));
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    g_assert_nonnull (strstr (log, lines[i].logged));
  g_assert_nonnull (strstr (log, "\nPOST /api/v1/sessions 401 "));
  g_assert_nonnull (strstr (log, " ev%0AFAKE%20%1B[2J%C3%A9\n"));
  g_assert_nonnull (strstr (log, "\nPOST /api/v1/sessions 201 "));
  g_assert_nonnull (strstr (log, " alice\nGET /api/v1/me 200 "));
  g_assert_true (g_str_has_suffix (log, " alice\n"));
}

/* The server listens with the system's largest backlog (GLib's default,
 * 10, made the kernel drop a crowd's connection attempts): `ss` shows a
 * listening socket's backlog as its Send-Q. The time a crowd of 1 000
 * takes is tests/bench/bench-burst.py's business. */
static void
test_listen_backlog (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *somaxconn = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) fields = NULL;
  g_autofree char *ss = g_find_program_in_path ("ss");
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (ss == NULL)
    {
      g_test_skip ("ss (iproute2) is not installed");
      return;
    }
  g_assert_true (g_file_get_contents ("/proc/sys/net/core/somaxconn", &somaxconn, NULL, NULL));
  g_strstrip (somaxconn);

  server = navette_test_server_start (NULL);
  filter = g_strdup_printf ("sport = :%u", server->port);
  g_spawn_sync (NULL, (char *[]) { ss, (char *) "-Hltn", filter, NULL }, NULL,
                G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s", out);
  if (!g_spawn_check_wait_status (status, NULL) || *g_strstrip (out) == '\0')
    {
      /* a container without the socket-diagnostics netlink */
      g_test_skip ("ss cannot list the listening sockets here");
      return;
    }
  /* LISTEN Recv-Q Send-Q Local Peer */
  fields = g_regex_split_simple ("\\s+", out, 0, 0);
  g_assert_cmpuint (g_strv_length (fields), >=, 4);
  g_assert_cmpstr (fields[0], ==, "LISTEN");
  g_assert_cmpstr (fields[2], ==, somaxconn);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/limits/body-limit", test_body_limit);
  g_test_add_func ("/server/limits/busy-503", test_busy_503);
  g_test_add_func ("/server/limits/trigger-seen", test_trigger_seen);
  g_test_add_func ("/server/limits/revert-checked-against-schema", test_revert_checked_against_schema);
  g_test_add_func ("/server/limits/trigger-seen-within-cache-ttl", test_trigger_seen_within_cache_ttl);
  g_test_add_func ("/server/limits/stop-after-many-requests", test_stop_after_many_requests);
  g_test_add_func ("/server/limits/closed-connections-released", test_closed_connections_released);
  g_test_add_func ("/server/limits/response-delay", test_response_delay);
  g_test_add_func ("/server/limits/access-log-and-sigterm", test_access_log_and_sigterm);
  g_test_add_func ("/server/limits/access-log-escaped", test_access_log_escaped);
  g_test_add_func ("/server/limits/listen-backlog", test_listen_backlog);

  return g_test_run ();
}
