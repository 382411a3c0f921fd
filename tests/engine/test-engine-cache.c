/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The disk cache against the real server: a table opens from the cache
 * with the server stopped, is revalidated (and replaced) once the server
 * is back, and a cache written for another user is never shown. A cache
 * that cannot be written is said, once. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <glib/gstdio.h>

#include "engine-test-util.h"

static void
patch_stock (NavetteTestServer *server,
             const char        *id,
             gint64             stock)
{
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s", id);
  g_autofree char *patch = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_assert_cmpuint (navette_test_request (server, "GET", path, token, NULL, &body, NULL), ==, 200);
  root = navette_test_parse (body);
  patch = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"stock\": %" G_GINT64_FORMAT "}}",
                           json_object_get_int_member (json_node_get_object (root), "version"), stock);
  g_assert_cmpuint (navette_test_request (server, "PATCH", path, token, patch, NULL, NULL), ==, 200);
}

static gboolean
cache_has_stock (const char *path,
                 gint64      stock)
{
  g_autofree char *text = NULL;
  g_autofree char *needle = g_strdup_printf ("\"stock\":%" G_GINT64_FORMAT, stock);

  return g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle) != NULL;
}

/* Opens the cache of @username in a fresh engine; returns whether it
 * could. */
static NavetteEngine *
engine_from_cache (NavetteTestServer *server,
                   const char        *cache_dir,
                   const char        *username,
                   GError           **error)
{
  g_autoptr(NavetteEngine) engine = navette_engine_new (server->base_url);
  g_autoptr(GAsyncResult) result = NULL;

  navette_engine_set_cache_dir (engine, cache_dir);
  navette_engine_open_cache_async (engine, username, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 10000);
  if (!navette_engine_open_cache_finish (engine, result, error))
    return NULL;
  return g_steal_pointer (&engine);
}

static void
sign_in_and_load (NavetteEngine *engine,
                  const char    *username)
{
  NavetteSession *session = navette_engine_get_session (engine);
  g_autoptr(GAsyncResult) login = NULL;
  g_autoptr(GAsyncResult) load = NULL;
  g_autoptr(GError) error = NULL;

  navette_session_login_async (session, username, NAVETTE_DEMO_PASSWORD, NULL, navette_test_store_result_cb, &login);
  ENGINE_WAIT_UNTIL (login != NULL, 10000);
  g_assert_true (navette_session_login_finish (session, login, &error));
  navette_engine_load_async (engine, NULL, navette_test_store_result_cb, &load);
  ENGINE_WAIT_UNTIL (load != NULL, 10000);
  g_assert_true (navette_engine_load_finish (engine, load, &error));
  g_assert_no_error (error);
}

static void
test_cache_offline_then_revalidate (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *cache_dir = g_dir_make_tmp ("navette-cache-XXXXXX", &error);
  g_autofree char *key = NULL;
  g_autofree char *table_file = NULL;
  g_autofree char *other_dir = NULL;
  g_autofree char *alice_dir = NULL;
  g_autoptr(NavetteEngine) writer = NULL;
  g_autoptr(NavetteEngine) offline = NULL;
  g_autoptr(NavetteEngine) bob = NULL;
  NavetteTable *table, *cached;
  NavetteStore *store;
  guint n_rows;

  g_assert_no_error (error);
  patch_stock (server, DEMO_PRODUCT_1, 111);

  /* A session that loads the table writes its cache. */
  writer = engine_test_engine_new (server, "alice");
  navette_engine_set_cache_dir (writer, cache_dir);
  navette_engine_refresh (writer);
  {
    g_autoptr(GAsyncResult) load = NULL;

    navette_engine_load_async (writer, NULL, navette_test_store_result_cb, &load);
    ENGINE_WAIT_UNTIL (load != NULL, 10000);
    g_assert_true (navette_engine_load_finish (writer, load, &error));
  }
  table = engine_test_load_table (writer, "catalogue", "products");
  n_rows = g_list_model_get_n_items (G_LIST_MODEL (table));
  key = navette_engine_account_key (server->base_url, "alice");
  alice_dir = g_build_filename (cache_dir, key, NULL);
  table_file = g_build_filename (alice_dir, "catalogue", "products.json", NULL);
  ENGINE_WAIT_UNTIL (cache_has_stock (table_file, 111), 10000);
  g_clear_object (&writer);

  /* No network: the cache opens, marked as such. */
  navette_test_server_stop (server);
  offline = engine_from_cache (server, cache_dir, "alice", &error);
  g_assert_no_error (error);
  store = navette_engine_lookup_store (offline, "catalogue");
  g_assert_nonnull (store);
  cached = navette_store_lookup_table (store, "products");
  g_assert_nonnull (cached);
  g_assert_true (navette_table_get_cached (cached));
  g_assert_true (navette_table_get_loaded (cached));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cached)), ==, n_rows);
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (cached, DEMO_PRODUCT_1), "stock"), ==, 111);

  /* Another user never sees it — even when alice's files are put where
   * bob's would be: the files name their user. */
  bob = engine_from_cache (server, cache_dir, "bob", &error);
  g_assert_null (bob);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    g_autofree char *bob_key = navette_engine_account_key (server->base_url, "bob");
    g_autofree char *cmd = NULL;

    other_dir = g_build_filename (cache_dir, bob_key, NULL);
    cmd = g_strdup_printf ("cp -r '%s' '%s'", alice_dir, other_dir);
    g_assert_cmpint (system (cmd), ==, 0);
  }
  bob = engine_from_cache (server, cache_dir, "bob", &error);
  g_assert_null (bob);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The server is back with newer data: the same table object is
   * revalidated and replaced. */
  navette_test_server_restart (server);
  g_assert_cmpstr (server->base_url, ==, navette_client_get_base_url (navette_engine_get_client (offline)));
  patch_stock (server, DEMO_PRODUCT_1, 222);
  sign_in_and_load (offline, "alice");
  g_assert_true (navette_engine_lookup_store (offline, "catalogue") == store);
  ENGINE_WAIT_UNTIL (!navette_table_get_cached (cached), 10000);
  g_assert_true (navette_store_lookup_table (store, "products") == cached);
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (cached, DEMO_PRODUCT_1), "stock"), ==, 222);
  /* And the cache follows. */
  ENGINE_WAIT_UNTIL (cache_has_stock (table_file, 222), 10000);

  g_clear_object (&offline);
  engine_test_rm_rf (cache_dir);
}

static void
cache_note_cb (NavetteEngine           *engine,
               const char              *message,
               NavetteNotificationKind  kind,
               NavetteChange           *change,
               guint                   *n)
{
  if (kind == NAVETTE_NOTIFICATION_CACHE_FAILED)
    {
      g_test_message ("%s", message);
      (*n)++;
    }
}

static void
store_failed_cb (NavetteStore *store,
                 const GError *error,
                 guint        *n)
{
  (*n)++;
}

/* The application's cache folder cannot be made (a file has its name):
 * the table's copy cannot be written; the engine says so once (not once
 * per write), and the table works as ever. */
static void
test_cache_write_failure (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *cache_dir = g_dir_make_tmp ("navette-cache-XXXXXX", &error);
  g_autofree char *key = navette_engine_account_key (server->base_url, "alice");
  g_autofree char *key_dir = g_build_filename (cache_dir, key, NULL);
  g_autofree char *blocker = g_build_filename (key_dir, "catalogue", NULL);
  g_autoptr(NavetteEngine) engine = NULL;
  NavetteTable *table;
  guint n_notes = 0;
  guint n_failures = 0;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (key_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (blocker, "not a folder", -1, &error));

  engine = engine_test_engine_new (server, "alice");
  g_signal_connect (engine, "notification", G_CALLBACK (cache_note_cb), &n_notes);
  navette_engine_set_cache_dir (engine, cache_dir);
  {
    g_autoptr(GAsyncResult) load = NULL;

    navette_engine_load_async (engine, NULL, navette_test_store_result_cb, &load);
    ENGINE_WAIT_UNTIL (load != NULL, 10000);
    g_assert_true (navette_engine_load_finish (engine, load, &error));
  }
  g_signal_connect (navette_engine_lookup_store (engine, "catalogue"), "cache-failed",
                    G_CALLBACK (store_failed_cb), &n_failures);
  table = engine_test_load_table (engine, "catalogue", "products");
  ENGINE_WAIT_UNTIL (n_notes == 1, 10000);
  g_assert_cmpuint (n_failures, ==, 1);

  /* Another write of the same table fails too: not said again. */
  patch_stock (server, DEMO_PRODUCT_1, 333);
  engine_test_load_table (engine, "catalogue", "products");
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (table, DEMO_PRODUCT_1), "stock"), ==, 333);
  ENGINE_WAIT_UNTIL (n_failures == 2, 10000);
  g_assert_cmpuint (n_notes, ==, 1);
  g_signal_handlers_disconnect_by_data (navette_engine_lookup_store (engine, "catalogue"), &n_failures);

  g_signal_handlers_disconnect_by_data (engine, &n_notes);
  g_clear_object (&engine);
  engine_test_rm_rf (cache_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/cache/offline-then-revalidate", test_cache_offline_then_revalidate);
  g_test_add_func ("/engine/cache/write-failure", test_cache_write_failure);

  return g_test_run ();
}
