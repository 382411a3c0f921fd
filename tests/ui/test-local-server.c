/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-local-server.c — local mode: NavetteLocalServer creates the demo
 * database on first run, starts the real navette-server on a free loopback
 * port, lets the local user (admin / navette-demo) sign in, keeps the data
 * across runs, and stops the server. */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <glib/gstdio.h>

#include "navette-engine.h"
#include "navette-local-server.h"
#include "navette-test-dirs.h"
#include "navette-test-engine.h"
#include "navette-test-loop.h"
#include "navette-test-server.h"

static char *
start (NavetteLocalServer *server)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *url;

  navette_local_server_start_async (server, NULL, navette_test_store_result_cb, &result);
  url = navette_local_server_start_finish (server, navette_test_wait_result (&result, "navette_local_server_start"), &error);
  g_assert_no_error (error);
  g_assert_nonnull (url);
  return g_strdup (url);
}

static NavetteEngine *
sign_in (const char  *url,
         GError     **error)
{
  g_autoptr(NavetteEngine) engine = navette_engine_new (url);
  g_autoptr(GAsyncResult) result = NULL;

  navette_session_login_async (navette_engine_get_session (engine),
                               NAVETTE_LOCAL_USERNAME, NAVETTE_LOCAL_PASSWORD,
                               NULL, navette_test_store_result_cb, &result);
  if (!navette_session_login_finish (navette_engine_get_session (engine), navette_test_wait_result (&result, "navette_session_login"), error))
    return NULL;
  return g_steal_pointer (&engine);
}

static void
test_local_mode (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("navette-local-XXXXXX", &error);
  g_autofree char *db = NULL;
  g_autofree char *url = NULL;
  g_autofree char *url2 = NULL;
  g_autoptr(NavetteLocalServer) server = NULL;
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  NavetteStore *store;
  NavetteTable *table;
  char *id;

  g_assert_no_error (error);
  /* A folder that does not exist yet, as on a fresh machine. */
  db = g_build_filename (dir, "navette", "local.db", NULL);

  server = navette_local_server_new (db);
  g_assert_null (navette_local_server_get_base_url (server));
  url = start (server);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  g_assert_false (g_str_has_suffix (url, ":0"));
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));

  /* The demo content and its local user are there. */
  engine = sign_in (url, &error);
  g_assert_no_error (error);
  navette_engine_load_async (engine, NULL, navette_test_store_result_cb, &result);
  g_assert_true (navette_engine_load_finish (engine, navette_test_wait_result (&result, "navette_engine_load"), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  store = navette_engine_lookup_store (engine, "catalogue");
  g_assert_nonnull (store);
  g_assert_cmpint (navette_store_get_role (store), ==, NAVETTE_ROLE_EDITOR);
  table = navette_test_engine_table (engine, "catalogue", "products");

  /* A record written in this run … */
  json_object_set_string_member (data, "name", "Kept across runs");
  change = navette_store_create (store, table, NULL, data);
  id = g_strdup (navette_change_get_record_id (change));
  while (!navette_change_is_finished (change))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_clear_object (&engine);

  /* … the server stops with the editor … */
  navette_local_server_stop (server);
  g_assert_null (navette_local_server_get_base_url (server));
  engine = sign_in (url, &error);
  g_assert_null (engine);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK);
  g_clear_error (&error);
  g_clear_object (&server);

  /* … and the next start finds it (no second demo run). */
  server = navette_local_server_new (db);
  url2 = start (server);
  engine = sign_in (url2, &error);
  g_assert_no_error (error);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s", id);
    g_autoptr(JsonNode) node = NULL;
    guint status = 0;

    node = navette_client_request_sync (navette_engine_get_client (engine), "GET", path, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (status, ==, 200);
  }
  g_clear_object (&engine);
  navette_local_server_stop (server);

  g_free (id);
  navette_test_rm_rf (dir);
}

static void
test_missing_binary (void)
{
  g_autoptr(NavetteLocalServer) server = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("navette-local-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "local.db", NULL);

  g_setenv ("NAVETTE_SERVER_BINARY", "/nonexistent/navette-server", TRUE);
  server = navette_local_server_new (db);
  navette_local_server_start_async (server, NULL, navette_test_store_result_cb, &result);
  g_assert_null (navette_local_server_start_finish (server, navette_test_wait_result (&result, "navette_local_server_start"), &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/local-server/local-mode", test_local_mode);
  g_test_add_func ("/local-server/missing-binary", test_missing_binary);

  return g_test_run ();
}
