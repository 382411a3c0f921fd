/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "navette-test-server.h"

static const char *
server_binary (void)
{
  const char *binary = g_getenv ("NAVETTE_SERVER_BINARY");

  g_assert_nonnull (binary);
  return binary;
}

static gboolean
backend_is_postgresql (void)
{
  return g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") == 0;
}

gboolean
navette_test_need_sqlite (const char *why)
{
  if (backend_is_postgresql ())
    {
      g_test_skip (why);
      return FALSE;
    }
  return TRUE;
}

gboolean
navette_test_need_postgresql (void)
{
  if (!backend_is_postgresql () || g_getenv ("NAVETTE_TEST_PG_URL") == NULL)
    {
      g_test_skip ("needs NAVETTE_TEST_BACKEND=postgresql and NAVETTE_TEST_PG_URL");
      return FALSE;
    }
  return TRUE;
}

/* For PostgreSQL, every test server gets a database of its own on the
 * throwaway cluster: NAVETTE_TEST_PG_URL names the cluster's maintenance
 * database (postgresql://user@127.0.0.1:PORT/postgres). */
static char *
make_database (const char *tmpdir)
{
  static gint counter;
  const char *url;
  g_autofree char *name = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *base = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) psql = NULL;
  const char *slash;

  if (!backend_is_postgresql ())
    return g_build_filename (tmpdir, "navette.db", NULL);

  url = g_getenv ("NAVETTE_TEST_PG_URL");
  g_assert_nonnull (url);
  name = g_strdup_printf ("navette_test_%d_%d_%d", (int) getpid (),
                          g_atomic_int_add (&counter, 1), g_random_int_range (0, 1000000));
  sql = g_strdup_printf ("CREATE DATABASE %s", name);
  psql = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                           "psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (psql, NULL, &error);
  g_assert_no_error (error);

  slash = strrchr (url, '/');
  g_assert_nonnull (slash);
  base = g_strndup (url, slash - url);
  return g_strdup_printf ("%s/%s", base, name);
}

static void
drop_database (const char *db)
{
  const char *url = g_getenv ("NAVETTE_TEST_PG_URL");
  const char *slash;
  g_autofree char *sql = NULL;
  g_autoptr(GSubprocess) psql = NULL;

  if (!backend_is_postgresql () || url == NULL)
    return;
  slash = strrchr (db, '/');
  if (slash == NULL)
    return;
  sql = g_strdup_printf ("DROP DATABASE IF EXISTS %s WITH (FORCE)", slash + 1);
  psql = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                           NULL, "psql", "-q", url, "-c", sql, NULL);
  if (psql != NULL)
    g_subprocess_wait (psql, NULL, NULL);
}

int
navette_test_server_admin_v (NavetteTestServer *server,
                             char             **out,
                             char             **err,
                             va_list            args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_buf = NULL;
  g_autofree char *stderr_buf = NULL;
  const char *arg;

  g_ptr_array_add (argv, (gpointer) server_binary ());
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, server->db);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_buf, &stderr_buf, &error);
  g_assert_no_error (error);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_buf);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_buf);
  if (!g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

int
navette_test_server_admin (NavetteTestServer *server,
                           char             **out,
                           char             **err,
                           ...)
{
  va_list args;
  int status;

  va_start (args, err);
  status = navette_test_server_admin_v (server, out, err, args);
  va_end (args);
  return status;
}

void
navette_test_server_admin_check (NavetteTestServer *server,
                                 ...)
{
  g_autofree char *err = NULL;
  va_list args;
  int status;

  va_start (args, server);
  status = navette_test_server_admin_v (server, NULL, &err, args);
  va_end (args);
  if (status != 0)
    g_error ("navette-server failed (%d): %s", status, err);
}

/* Runs in the child between fork and exec: the server gets SIGTERM when
 * the test process dies (an abort included), so no orphan keeps meson's
 * output pipe open. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Reads @data (a GInputStream, owned) to its end and drops what it reads. */
static gpointer
drain_thread (gpointer data)
{
  g_autoptr(GInputStream) pipe = data;
  char buffer[16384];

  while (g_input_stream_read (pipe, buffer, sizeof buffer, NULL, NULL) > 0)
    ;
  return NULL;
}

static void
launch (NavetteTestServer *server)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  GInputStream *stdout_pipe;

  g_ptr_array_add (argv, g_strdup (server_binary ()));
  g_ptr_array_add (argv, g_strdup ("serve"));
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (server->db));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%u", server->port));
  for (guint i = 0; i < server->extra_args->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (server->extra_args, i)));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);

  stdout_pipe = g_subprocess_get_stdout_pipe (server->process);
  data = g_data_input_stream_new (stdout_pipe);
  /* Block on the server's own announcement: it prints the line once it
   * accepts connections, so no sleep is needed. EOF means it died. */
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (data, NULL, NULL, &error);
      const char *at;

      g_assert_no_error (error);
      if (line == NULL)
        g_error ("navette-server exited before listening; output so far:\n%s", server->output->str);
      g_string_append_printf (server->output, "%s\n", line);
      at = strstr (line, "listening on http://");
      if (at == NULL)
        at = strstr (line, "listening on https://");
      if (at != NULL)
        {
          const char *colon;

          g_clear_pointer (&server->base_url, g_free);
          server->base_url = g_strdup (at + strlen ("listening on "));
          g_strchomp (server->base_url);
          colon = strrchr (server->base_url, ':');
          g_assert_nonnull (colon);
          server->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
          break;
        }
    }
  /* The rest of stdout (the access log) is drained by a thread of its
   * own until the server exits, so the server never blocks on a full pipe.
   * (An async splice on the main context only moved while the test
   * iterated it: a test making a few thousand synchronous requests filled
   * the pipe, and the server, writing its log at SIGTERM, never exited
   * while end_process() waited for it.) */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);
  g_thread_unref (g_thread_new ("navette-test-drain", drain_thread, g_object_ref (stdout_pipe)));
}

static NavetteTestServer *
server_new (const char * const *extra_args)
{
  NavetteTestServer *server = g_new0 (NavetteTestServer, 1);
  g_autoptr(GError) error = NULL;

  server->tmpdir = g_dir_make_tmp ("navette-test-XXXXXX", &error);
  g_assert_no_error (error);
  server->db = make_database (server->tmpdir);
  server->extra_args = g_ptr_array_new_with_free_func (g_free);
  server->output = g_string_new (NULL);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (server->extra_args, g_strdup (extra_args[i]));
  return server;
}

/* Makes the database with `navette-server @command` (demo or init), then
 * serves it. */
static NavetteTestServer *
start (const char * const *extra_args,
       const char         *command)
{
  NavetteTestServer *server = server_new (extra_args);

  navette_test_server_admin_check (server, command, NULL);
  launch (server);
  return server;
}

NavetteTestServer *
navette_test_server_start (const char * const *extra_args)
{
  return start (extra_args, "demo");
}

NavetteTestServer *
navette_test_server_start_empty (const char * const *extra_args)
{
  return start (extra_args, "init");
}

static void
end_process (NavetteTestServer *server,
             int                sig)
{
  if (server->process == NULL)
    return;
  g_subprocess_send_signal (server->process, sig);
  g_subprocess_wait (server->process, NULL, NULL);
  g_clear_object (&server->process);
}

void
navette_test_server_stop (NavetteTestServer *server)
{
  end_process (server, SIGTERM);
}

void
navette_test_server_kill (NavetteTestServer *server)
{
  end_process (server, SIGKILL);
}

void
navette_test_server_restart (NavetteTestServer *server)
{
  end_process (server, SIGTERM);
  launch (server);
}

void
navette_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        navette_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
navette_test_server_free (NavetteTestServer *server)
{
  if (server == NULL)
    return;
  end_process (server, SIGTERM);
  drop_database (server->db);
  navette_test_rm_rf (server->tmpdir);
  g_free (server->tmpdir);
  g_free (server->db);
  g_free (server->base_url);
  g_ptr_array_unref (server->extra_args);
  g_string_free (server->output, TRUE);
  g_free (server);
}

static SoupSession *
test_session (void)
{
  static SoupSession *session;

  if (session == NULL)
    session = soup_session_new_with_options ("timeout", 30, NULL);
  return session;
}

/* @method @base_url@path, with @token (may be NULL) as its bearer and
 * @body (may be NULL) of @content_type. */
static SoupMessage *
request_new (const char *base_url,
             const char *method,
             const char *path,
             const char *token,
             const char *content_type,
             const char *body,
             gsize       body_len)
{
  g_autofree char *uri = g_strconcat (base_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) request_body = g_bytes_new (body, body_len);
      soup_message_set_request_body_from_bytes (msg, content_type, request_body);
    }
  return msg;
}

guint
navette_test_request_full (NavetteTestServer  *server,
                           const char         *method,
                           const char         *path,
                           const char         *token,
                           const char         *content_type,
                           const char         *body,
                           gsize               body_len,
                           GBytes            **response,
                           SoupMessageHeaders **headers,
                           ...)
{
  g_autoptr(SoupMessage) msg = request_new (server->base_url, method, path, token, content_type, body, body_len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *name;
  va_list args;

  va_start (args, headers);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);
      soup_message_headers_replace (soup_message_get_request_headers (msg), name, value);
    }
  va_end (args);

  bytes = soup_session_send_and_read (test_session (), msg, NULL, &error);
  g_assert_no_error (error);
  if (response != NULL)
    *response = g_steal_pointer (&bytes);
  if (headers != NULL)
    *headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  return soup_message_get_status (msg);
}

guint
navette_test_request (NavetteTestServer  *server,
                      const char         *method,
                      const char         *path,
                      const char         *token,
                      const char         *body,
                      GBytes            **response,
                      SoupMessageHeaders **headers)
{
  return navette_test_request_full (server, method, path, token, "application/json",
                                    body, body != NULL ? strlen (body) : 0,
                                    response, headers, NULL);
}

guint
navette_test_session_send (SoupSession  *session,
                           const char   *base_url,
                           const char   *method,
                           const char   *path,
                           const char   *token,
                           const char   *body,
                           GBytes      **response,
                           GError      **error)
{
  g_autoptr(SoupMessage) msg = request_new (base_url, method, path, token, "application/json",
                                            body, body != NULL ? strlen (body) : 0);
  g_autoptr(GBytes) bytes = soup_session_send_and_read (session, msg, NULL, error);

  if (bytes == NULL)
    return 0;
  if (response != NULL)
    *response = g_steal_pointer (&bytes);
  return soup_message_get_status (msg);
}

JsonNode *
navette_test_parse (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data;

  g_assert_nonnull (body);
  data = g_bytes_get_data (body, &len);
  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

JsonObject *
navette_test_table_json (NavetteTestServer *server,
                         const char        *token,
                         const char        *app,
                         const char        *table)
{
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/%s/tables", app);
  JsonArray *tables;

  g_assert_cmpuint (navette_test_request (server, "GET", path, token, NULL, &answer, NULL), ==, 200);
  root = navette_test_parse (answer);
  tables = json_object_get_array_member (json_node_get_object (root), "tables");
  for (guint i = 0; i < json_array_get_length (tables); i++)
    {
      JsonObject *object = json_array_get_object_element (tables, i);

      if (g_strcmp0 (json_object_get_string_member (object, "name"), table) == 0)
        return json_object_ref (object);
    }
  g_error ("no table %s/%s on the server", app, table);
}

char *
navette_test_login (NavetteTestServer *server,
                    const char        *username,
                    const char        *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}",
                                           username, password);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status;

  status = navette_test_request (server, "POST", "/api/v1/sessions", NULL, body, &response, NULL);
  g_assert_cmpuint (status, ==, 201);
  root = navette_test_parse (response);
  return g_strdup (json_object_get_string_member (json_node_get_object (root), "token"));
}

JsonObject *
navette_test_request_object (NavetteTestServer *server,
                             const char        *method,
                             const char        *path,
                             const char        *token,
                             const char        *body,
                             guint              expected_status)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status;

  status = navette_test_request (server, method, path, token, body, &response, NULL);
  if (status != expected_status)
    g_error ("%s %s: %u, expected %u: %.*s", method, path, status, expected_status,
             response != NULL ? (int) g_bytes_get_size (response) : 0,
             response != NULL ? (const char *) g_bytes_get_data (response, NULL) : "");
  root = navette_test_parse (response);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

GSubprocess *
navette_test_session_bus_start (char **address)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocess) bus = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus = g_subprocess_launcher_spawn (launcher, &error,
                                     "dbus-daemon", "--session", "--nofork", "--print-address", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus));
  *address = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*address);
  return g_steal_pointer (&bus);
}

void
navette_test_session_bus_stop (GSubprocess *bus)
{
  g_subprocess_send_signal (bus, SIGTERM);
  g_subprocess_wait (bus, NULL, NULL);
  g_object_unref (bus);
}

void
navette_test_sqlite_file_exec (const char *path,
                               const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    g_error ("cannot open %s: %s", path, sqlite3_errmsg (db));
  /* generous: the benchmarks fill a million rows while the server runs */
  sqlite3_busy_timeout (db, 30000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("SQL failed (%s): %s", sql, message);
  sqlite3_close (db);
}

void
navette_test_sqlite_exec (NavetteTestServer *server,
                          const char        *sql)
{
  navette_test_sqlite_file_exec (server->db, sql);
}
