/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Failures the real server cannot produce on demand, against a FAKE
 * server (a GThreadedSocketService in this test process that answers
 * canned HTTP): a malformed answer, a connection lost in the middle of
 * the body, and a session that ends between a navette-cli command's
 * reads and its write (the real server's tokens end on the clock, not
 * between two requests of one command). Everything else is tested against
 * the real server. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "engine-test-util.h"

#define RECORD_ID "4e617665-7474-4500-8000-0000000000aa"

typedef enum
{
  FAKE_GOOD,
  FAKE_MALFORMED,
  FAKE_TRUNCATED,
  FAKE_AUTH_EXPIRED,   /* 401 auth_expired */
} FakeMode;

typedef struct
{
  GThreadedSocketService *service;
  char                   *base_url;
  GMutex                  lock;
  FakeMode                records_mode;   /* GET …/records */
  FakeMode                patch_mode;     /* PATCH …/records/ID */
  guint                   n_patches;
  char                   *last_key;       /* Idempotency-Key of the last PATCH */
} FakeServer;

static const char *fake_record =
  "{\"id\":\"" RECORD_ID "\",\"version\":1,\"revision\":1,"
  "\"data\":{\"name\":\"Fake\",\"price\":1.5},\"archived\":false,"
  "\"updated_at\":\"2026-11-28T19:31:04.123456Z\",\"updated_by\":\"admin\"}";

static char *
answer_for (FakeServer *fake,
            const char *method,
            const char *path,
            FakeMode   *mode)
{
  *mode = FAKE_GOOD;

  if (g_str_equal (method, "POST") && g_str_equal (path, "/api/v1/sessions"))
    return g_strdup ("{\"token\":\"fake-token\",\"expires_at\":\"2036-01-01T00:00:00.000000Z\","
                     "\"user\":{\"username\":\"alice\",\"display_name\":\"Alice\",\"admin\":false,"
                     "\"roles\":{\"reader\":[],\"editor\":[\"shop\"]}}}");
  if (g_str_equal (path, "/api/v1/me"))
    return g_strdup ("{\"username\":\"alice\",\"display_name\":\"Alice\",\"admin\":false,"
                     "\"roles\":{\"reader\":[],\"editor\":[\"shop\"]}}");
  if (g_str_equal (path, "/api/v1/applications"))
    return g_strdup ("{\"applications\":[{\"name\":\"shop\",\"title\":\"Shop\",\"role\":\"editor\"}]}");
  if (g_str_equal (path, "/api/v1/applications/shop/tables"))
    return g_strdup ("{\"tables\":[{\"name\":\"items\",\"title\":\"Items\",\"columns\":["
                     "{\"name\":\"name\",\"title\":\"Name\",\"type\":\"text\",\"required\":true},"
                     "{\"name\":\"price\",\"title\":\"Price\",\"type\":\"real\",\"required\":false}]}]}");
  if (g_str_equal (path, "/api/v1/applications/shop/tables/items/records/" RECORD_ID) &&
      g_str_equal (method, "GET"))
    return g_strdup (fake_record);
  if (g_str_has_prefix (path, "/api/v1/applications/shop/tables/items/records") &&
      g_str_equal (method, "GET"))
    {
      g_mutex_lock (&fake->lock);
      *mode = fake->records_mode;
      g_mutex_unlock (&fake->lock);
      return g_strdup_printf ("{\"table\":\"items\",\"revision\":1,"
                              "\"last_update\":\"2026-11-28T19:31:04.123456Z\",\"records\":[%s]}",
                              fake_record);
    }
  if (g_str_equal (method, "PATCH"))
    {
      g_mutex_lock (&fake->lock);
      *mode = fake->patch_mode;
      fake->n_patches++;
      g_mutex_unlock (&fake->lock);
      return g_strdup (fake_record);
    }
  if (g_str_has_suffix (path, "/last-modified"))
    return g_strdup ("{\"tables\":{\"items\":{\"last_update\":\"2026-11-28T19:31:04.123456Z\",\"revision\":1}}}");

  return NULL;
}

static gboolean
fake_run_cb (GThreadedSocketService *service,
             GSocketConnection      *connection,
             GObject                *source_object,
             gpointer                user_data)
{
  FakeServer *fake = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (in);
  g_autofree char *request_line = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GString) response = NULL;
  gsize content_length = 0;
  FakeMode mode;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  request_line = g_data_input_stream_read_line (data, NULL, NULL, NULL);
  if (request_line == NULL)
    return TRUE;
  parts = g_strsplit (request_line, " ", 3);
  if (g_strv_length (parts) < 2)
    return TRUE;

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (data, NULL, NULL, NULL);

      if (line == NULL || line[0] == '\0')
        break;
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        content_length = g_ascii_strtoull (line + 15, NULL, 10);
      if (g_ascii_strncasecmp (line, "Idempotency-Key:", 16) == 0)
        {
          g_mutex_lock (&fake->lock);
          g_free (fake->last_key);
          fake->last_key = g_strstrip (g_strdup (line + 16));
          g_mutex_unlock (&fake->lock);
        }
    }
  if (content_length > 0)
    {
      g_autofree char *request_body = g_malloc (content_length);
      g_input_stream_read_all (G_INPUT_STREAM (data), request_body, content_length, NULL, NULL, NULL);
    }

  body = answer_for (fake, parts[0], parts[1], &mode);
  response = g_string_new (NULL);
  if (body == NULL)
    {
      const char *not_found = "{\"error\":{\"code\":\"not_found\",\"message\":\"Not found\"}}";
      g_string_append_printf (response,
                              "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                              strlen (not_found), not_found);
    }
  else if (mode == FAKE_MALFORMED)
    {
      const char *bad = "{\"id\": \"" RECORD_ID "\", \"version\": ";
      g_string_append_printf (response,
                              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                              strlen (bad), bad);
    }
  else if (mode == FAKE_AUTH_EXPIRED)
    {
      const char *expired = "{\"error\":{\"code\":\"auth_expired\",\"message\":\"The session has expired.\"}}";
      g_string_append_printf (response,
                              "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                              strlen (expired), expired);
    }
  else if (mode == FAKE_TRUNCATED)
    {
      /* Announce the whole body, send a third of it, hang up. */
      g_string_append_printf (response,
                              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                              strlen (body));
      g_string_append_len (response, body, strlen (body) / 3);
    }
  else
    {
      g_string_append_printf (response,
                              "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                              g_str_equal (parts[0], "POST") ? "201 Created" : "200 OK",
                              strlen (body), body);
    }

  g_output_stream_write_all (out, response->str, response->len, NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static FakeServer *
fake_server_new (void)
{
  FakeServer *fake = g_new0 (FakeServer, 1);
  g_autoptr(GError) error = NULL;
  guint16 port;

  g_mutex_init (&fake->lock);
  fake->service = G_THREADED_SOCKET_SERVICE (g_threaded_socket_service_new (4));
  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (fake->service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fake->service, "run", G_CALLBACK (fake_run_cb), fake);
  g_socket_service_start (G_SOCKET_SERVICE (fake->service));
  fake->base_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  return fake;
}

static void
fake_server_free (FakeServer *fake)
{
  g_socket_service_stop (G_SOCKET_SERVICE (fake->service));
  g_socket_listener_close (G_SOCKET_LISTENER (fake->service));
  g_clear_object (&fake->service);
  g_free (fake->base_url);
  g_free (fake->last_key);
  g_mutex_clear (&fake->lock);
  g_free (fake);
}

static void
set_modes (FakeServer *fake,
           FakeMode    records_mode,
           FakeMode    patch_mode)
{
  g_mutex_lock (&fake->lock);
  fake->records_mode = records_mode;
  fake->patch_mode = patch_mode;
  g_mutex_unlock (&fake->lock);
}

static NavetteEngine *
fake_engine_new (FakeServer    *fake,
                 NavetteTable **table_out)
{
  g_autoptr(NavetteEngine) engine = navette_engine_new (fake->base_url);
  g_autoptr(GAsyncResult) login = NULL;
  g_autoptr(GAsyncResult) load = NULL;
  g_autoptr(GError) error = NULL;

  navette_session_login_async (navette_engine_get_session (engine), "alice", "x", NULL, navette_test_store_result_cb, &login);
  ENGINE_WAIT_UNTIL (login != NULL, 10000);
  navette_session_login_finish (navette_engine_get_session (engine), login, &error);
  g_assert_no_error (error);
  navette_engine_load_async (engine, NULL, navette_test_store_result_cb, &load);
  ENGINE_WAIT_UNTIL (load != NULL, 10000);
  navette_engine_load_finish (engine, load, &error);
  g_assert_no_error (error);

  *table_out = engine_test_load_table (engine, "shop", "items");
  g_assert_nonnull (navette_table_lookup (*table_out, RECORD_ID));
  return g_steal_pointer (&engine);
}

static void
check_failed_update (NavetteEngine    *engine,
                     NavetteTable     *table,
                     NavetteSyncError  code)
{
  NavetteRecord *record = navette_table_lookup (table, RECORD_ID);
  g_autoptr(JsonObject) data = engine_test_object_double ("price", 9.75);
  g_autoptr(NavetteChange) change = NULL;

  change = navette_store_update (navette_table_get_store (table), table, RECORD_ID, data);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 9.75);

  if (code == NAVETTE_SYNC_ERROR_NETWORK)
    {
      /* Transient: kept, applied, waiting for the server — never rolled
       * back. */
      ENGINE_WAIT_UNTIL (navette_change_get_waiting (change), 10000);
      g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_PENDING);
      g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 9.75);
      g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_WAITING);
      g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 0);
      return;
    }

  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_error (navette_change_get_error (change), NAVETTE_SYNC_ERROR, (gint) code);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 1.5);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 1);
}

/* A broken answer of the fake server: the update it answers fails with
 * @code (and is kept, a network failure being transient), and so does a
 * reload it answers, the model left alone. */
typedef struct
{
  const char       *path;
  FakeMode          mode;
  NavetteSyncError  code;
} BrokenAnswer;

static const BrokenAnswer broken_answers[] = {
  { "/engine/fake-server/malformed-answer", FAKE_MALFORMED, NAVETTE_SYNC_ERROR_SERIALIZATION },
  { "/engine/fake-server/mid-body-disconnect", FAKE_TRUNCATED, NAVETTE_SYNC_ERROR_NETWORK },
};

static void
test_fake_broken_answer (gconstpointer data)
{
  const BrokenAnswer *broken = data;
  FakeServer *fake = fake_server_new ();
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(GAsyncResult) reload = NULL;
  g_autoptr(GError) error = NULL;
  NavetteTable *table;

  engine = fake_engine_new (fake, &table);

  set_modes (fake, FAKE_GOOD, broken->mode);
  check_failed_update (engine, table, broken->code);

  /* (A change kept after a network failure is not looked at again: this
   * fake server has no health endpoint to answer the probes.) */
  if (broken->code == NAVETTE_SYNC_ERROR_NETWORK)
    navette_poller_stop (navette_engine_get_poller (engine));
  set_modes (fake, broken->mode, FAKE_GOOD);
  navette_table_reload_async (table, TRUE, NULL, navette_test_store_result_cb, &reload);
  ENGINE_WAIT_UNTIL (reload != NULL, 10000);
  g_assert_false (navette_table_reload_finish (table, reload, NULL, &error));
  g_assert_error (error, NAVETTE_SYNC_ERROR, (gint) broken->code);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, 1);

  g_clear_object (&engine);
  fake_server_free (fake);
}

static char *
fake_last_key (FakeServer *fake)
{
  char *key;

  g_mutex_lock (&fake->lock);
  key = g_strdup (fake->last_key);
  g_mutex_unlock (&fake->lock);
  return key;
}

static guint
fake_n_patches (FakeServer *fake)
{
  guint n;

  g_mutex_lock (&fake->lock);
  n = fake->n_patches;
  g_mutex_unlock (&fake->lock);
  return n;
}

/* navette-cli: a PATCH answered 401 (the session ended after the command
 * read the table) rolls the change back, keeps it in the journal as
 * failed, and says to sign in; the first command after `login` sends it
 * again, with its idempotency key, and says so. */
static void
test_fake_cli_session_expired (void)
{
  FakeServer *fake = fake_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("navette-cli-XXXXXX", &error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *first_key = NULL;
  g_autofree char *again_key = NULL;
  guint n_patches;

  g_assert_no_error (error);
  g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "login", "alice", "--server", fake->base_url,
                                        NULL), ==, 0);

  set_modes (fake, FAKE_GOOD, FAKE_AUTH_EXPIRED);
  g_assert_cmpint (engine_test_run_cli (home, NULL, &err, "set", "shop/items", RECORD_ID, "price=9.75",
                                        NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Rolled back"));
  g_assert_nonnull (strstr (err, "session has expired"));
  g_assert_nonnull (strstr (err, "navette-cli login"));
  first_key = fake_last_key (fake);
  g_assert_nonnull (first_key);
  g_clear_pointer (&err, g_free);

  /* Kept, as failed, with the reason. */
  g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "pending", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "failed"));
  g_assert_nonnull (strstr (out, RECORD_ID));
  g_assert_nonnull (strstr (out, "session has expired"));
  g_clear_pointer (&out, g_free);

  /* Signed in again: the next command sends it first, same key. */
  set_modes (fake, FAKE_GOOD, FAKE_GOOD);
  g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "login", "alice", NULL), ==, 0);
  n_patches = fake_n_patches (fake);
  g_assert_cmpint (engine_test_run_cli (home, NULL, &err, "get", "shop/items", RECORD_ID, NULL), ==, 0);
  g_assert_nonnull (strstr (err, "Sent 1 change kept earlier"));
  g_assert_cmpuint (fake_n_patches (fake), ==, n_patches + 1);
  again_key = fake_last_key (fake);
  g_assert_cmpstr (again_key, ==, first_key);
  g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "pending", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "No change is waiting"));

  engine_test_rm_rf (home);
  fake_server_free (fake);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (broken_answers); i++)
    g_test_add_data_func (broken_answers[i].path, &broken_answers[i], test_fake_broken_answer);
  g_test_add_func ("/engine/fake-server/cli-session-expired", test_fake_cli_session_expired);

  return g_test_run ();
}
