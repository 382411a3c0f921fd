/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A start from the replica against the real server: with the server
 * stopped, what the replica holds opens (the applications kept there, the
 * table and its rows through a feed that does not sync), the table is not
 * loaded in memory; once the server is back and the engine loaded, the
 * same table object goes live and the feed syncs. Another user's replica
 * is never opened, nor kept when another user signs in. The JSON cache of earlier versions is deleted. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <glib/gstdio.h>

#include "engine-test-util.h"
#include "navette-test-dirs.h"

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

/* Opens the replica of @username in a fresh engine on @data_dir. */
static NavetteEngine *
engine_from_replica (NavetteTestServer *server,
                     const char        *data_dir,
                     const char        *username,
                     GError           **error)
{
  g_autoptr(NavetteEngine) engine = navette_engine_new (server->base_url);
  g_autoptr(GAsyncResult) result = NULL;

  navette_engine_set_data_dir (engine, data_dir);
  navette_engine_open_saved_async (engine, username, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 10000);
  if (!navette_engine_open_saved_finish (engine, result, error))
    return NULL;
  return g_steal_pointer (&engine);
}

/* The stock of @id in the replica, read off the main thread. */
static gint64
replica_stock (NavetteReplica *replica,
               const char     *id)
{
  g_autoptr(GAsyncResult) looked = NULL;
  g_autoptr(GAsyncResult) fetched = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  gint64 key;

  navette_replica_lookup_key_async (replica, "catalogue", "products", id, NULL,
                                    navette_test_store_result_cb, &looked);
  ENGINE_WAIT_UNTIL (looked != NULL, 10000);
  key = navette_replica_lookup_key_finish (replica, looked, &error);
  g_assert_no_error (error);
  navette_replica_fetch_async (replica, "catalogue", "products", &key, 1, NULL,
                               navette_test_store_result_cb, &fetched);
  ENGINE_WAIT_UNTIL (fetched != NULL, 10000);
  records = navette_replica_fetch_finish (replica, fetched, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  return navette_record_get_int (g_ptr_array_index (records, 0), "stock");
}

static void
test_saved_offline_then_live (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("navette-saved-XXXXXX", &error);
  g_autoptr(NavetteEngine) writer = NULL;
  g_autoptr(NavetteEngine) offline = NULL;
  g_autoptr(NavetteEngine) bob = NULL;
  NavetteReplicaFeed *feed;
  NavetteReplicaModel *model;
  NavetteReplica *replica;
  NavetteTable *table, *saved;
  NavetteStore *store;
  guint64 n_rows = 0;
  gint64 revision = -1;

  g_assert_no_error (error);
  patch_stock (server, DEMO_PRODUCT_1, 111);

  /* A session that shows the table syncs it into the replica, and keeps
   * the list of applications there. */
  writer = navette_test_engine_new (server, "alice", data_dir);
  table = navette_test_engine_table (writer, "catalogue", "products");
  feed = navette_engine_open_feed (writer, table);
  g_assert_nonnull (feed);
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_synced (feed), 30000);
  replica = navette_engine_get_replica (writer);
  g_assert_true (navette_replica_get_table_info (replica, "catalogue", "products", &revision, &n_rows, &error));
  g_assert_cmpuint (n_rows, >=, 6);
  {
    g_autofree char *apps = NULL;

    ENGINE_WAIT_UNTIL ((g_free (apps), apps = navette_replica_dup_meta (replica, "applications", NULL)) != NULL,
                       10000);
    g_assert_nonnull (strstr (apps, "\"catalogue\""));
  }
  g_clear_object (&writer);

  /* No network: the replica opens; the table is known, not loaded. */
  navette_test_server_stop (server);
  offline = engine_from_replica (server, data_dir, "alice", &error);
  g_assert_no_error (error);
  store = navette_engine_lookup_store (offline, "catalogue");
  g_assert_nonnull (store);
  /* The application's title and role, as kept. */
  g_assert_cmpstr (navette_store_get_title (store), !=, "catalogue");
  saved = navette_store_lookup_table (store, "products");
  g_assert_nonnull (saved);
  g_assert_true (navette_table_get_cached (saved));
  g_assert_false (navette_table_get_loaded (saved));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (saved)), ==, 0);

  /* Its rows, through the replica: the feed shows them and does not
   * sync while the engine is not loaded (no session, no server). */
  feed = navette_engine_open_feed (offline, saved);
  g_assert_nonnull (feed);
  model = navette_replica_feed_get_model (feed);
  navette_replica_model_refresh (model);
  ENGINE_WAIT_UNTIL (!navette_replica_model_get_loading (model) &&
                     g_list_model_get_n_items (G_LIST_MODEL (model)) > 0, 10000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_rows);
  g_assert_false (navette_replica_feed_get_syncing (feed));
  g_assert_false (navette_replica_feed_get_synced (feed));
  g_assert_cmpint (replica_stock (navette_engine_get_replica (offline), DEMO_PRODUCT_1), ==, 111);

  /* Another user has no replica here: nothing opens. */
  bob = engine_from_replica (server, data_dir, "bob", &error);
  g_assert_null (bob);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The server is back with newer data: the same objects go live, and
   * the feed syncs the change into the replica. */
  navette_test_server_restart (server);
  g_assert_cmpstr (server->base_url, ==, navette_client_get_base_url (navette_engine_get_client (offline)));
  patch_stock (server, DEMO_PRODUCT_1, 222);
  navette_test_sign_in_and_load (offline, "alice");
  g_assert_true (navette_engine_lookup_store (offline, "catalogue") == store);
  g_assert_false (navette_table_get_cached (saved));
  g_assert_true (navette_engine_open_feed (offline, saved) == feed);
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_synced (feed), 30000);
  g_assert_true (navette_store_lookup_table (store, "products") == saved);
  g_assert_false (navette_table_get_loaded (saved));
  g_assert_cmpint (replica_stock (navette_engine_get_replica (offline), DEMO_PRODUCT_1), ==, 222);
  g_clear_object (&offline);

  /* alice's replica shown at start, then bob signs in: alice's replica
   * and feeds are dropped, bob gets his own. */
  offline = engine_from_replica (server, data_dir, "alice", &error);
  g_assert_no_error (error);
  saved = navette_store_lookup_table (navette_engine_lookup_store (offline, "catalogue"), "products");
  feed = navette_engine_open_feed (offline, saved);
  g_assert_nonnull (feed);
  g_object_ref (feed);
  navette_test_sign_in_and_load (offline, "bob");
  {
    g_autofree char *bob_path = navette_replica_path_for (data_dir, server->base_url, "bob");

    g_assert_cmpstr (navette_replica_get_path (navette_engine_get_replica (offline)), ==, bob_path);
  }
  g_assert_true (navette_engine_lookup_feed (offline, saved) != feed);
  g_assert_false (navette_replica_feed_get_syncing (feed));
  g_object_unref (feed);

  g_clear_object (&offline);
  engine_test_rm_rf (data_dir);
}

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (navette_engine_flush_journal_finish (NAVETTE_ENGINE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* The record @id of the feed's model (the object the list shows), or
 * NULL: read on the main loop until the model has its rows. */
static NavetteRecord *
model_record (NavetteReplicaModel *model,
              const char          *id)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (g_strcmp0 (navette_record_get_id (record), id) == 0)
        return record;
    }
  return NULL;
}

/* Changes made while the server is stopped are journaled; Navette quits
 * and starts again with the server still stopped: the replica opens with
 * those changes on it — the record created shown first, the value
 * edited on its row, both waiting — and a change that had failed for
 * good in the failed list. Once the server is back and the engine
 * loaded, each is sent once (one new version each on the server). */
static void
test_saved_journal_offline (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("navette-saved-XXXXXX", &error);
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autofree char *created_id = NULL;
  g_autoptr(NavetteEngine) writer = NULL;
  g_autoptr(NavetteEngine) offline = NULL;
  g_autoptr(NavetteChange) create = NULL;
  g_autoptr(NavetteChange) update = NULL;
  g_autoptr(NavetteChange) refused = NULL;
  g_autoptr(JsonObject) created_data = NULL;
  g_autoptr(JsonObject) stock = engine_test_object_int ("stock", 333);
  g_autoptr(JsonObject) data = NULL;
  NavetteMiddleware *middleware;
  NavetteReplicaFeed *feed;
  NavetteReplicaModel *model;
  NavetteRecord *created, *edited;
  NavetteTable *table, *saved;
  NavetteStore *store;
  gboolean flushed = FALSE;
  guint versions_before;

  g_assert_no_error (error);
  versions_before = engine_test_count_versions (server, token, "catalogue", "products", DEMO_PRODUCT_1);

  /* A session that showed the table (so that the replica holds it). */
  writer = navette_test_engine_new (server, "alice", data_dir);
  table = navette_test_engine_table (writer, "catalogue", "products");
  store = navette_table_get_store (table);
  feed = navette_engine_open_feed (writer, table);
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_synced (feed), 30000);
  {
    g_autofree char *apps = NULL;

    ENGINE_WAIT_UNTIL ((g_free (apps),
                        apps = navette_replica_dup_meta (navette_engine_get_replica (writer), "applications",
                                                         NULL)) != NULL, 10000);
  }
  /* Refused for good (no such record): listed as failed. */
  refused = navette_store_update (store, table, "4e617665-7474-4500-8000-0000000fffff", stock);
  engine_test_wait_change (refused, 10000);
  g_assert_cmpint (navette_change_get_state (refused), ==, NAVETTE_CHANGE_STATE_FAILED);

  /* The server stops: a record created, another edited; both wait. */
  navette_test_server_stop (server);
  created_data = json_object_new ();
  json_object_set_string_member (created_data, "name", "Made offline");
  json_object_set_double_member (created_data, "price", 7.5);
  create = navette_store_create (store, table, NULL, created_data);
  created_id = g_strdup (navette_change_get_record_id (create));
  update = navette_store_update (store, table, DEMO_PRODUCT_1, stock);
  ENGINE_WAIT_UNTIL (navette_change_get_waiting (create) && navette_change_get_waiting (update), 10000);
  navette_engine_flush_journal_async (writer, NULL, flushed_cb, &flushed);
  ENGINE_WAIT_UNTIL (flushed, 10000);
  g_clear_object (&create);
  g_clear_object (&update);
  g_clear_object (&refused);
  g_clear_object (&writer);

  /* Started again, the server still stopped. */
  offline = engine_from_replica (server, data_dir, "alice", &error);
  g_assert_no_error (error);
  middleware = navette_engine_get_middleware (offline);
  saved = navette_store_lookup_table (navette_engine_lookup_store (offline, "catalogue"), "products");
  g_assert_true (navette_table_get_cached (saved));
  g_assert_cmpuint (navette_middleware_get_n_pending (middleware), ==, 2);
  g_assert_cmpuint (navette_middleware_get_n_waiting (middleware), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (navette_middleware_get_failed_changes (middleware)), ==, 1);
  created = navette_table_lookup (saved, created_id);
  g_assert_nonnull (created);
  g_assert_cmpstr (navette_record_get_string (created, "name"), ==, "Made offline");
  g_assert_cmpint (navette_record_get_sync_state (created), ==, NAVETTE_SYNC_STATE_WAITING);
  edited = navette_table_lookup (saved, DEMO_PRODUCT_1);
  g_assert_nonnull (edited);
  g_assert_cmpint (navette_record_get_int (edited, "stock"), ==, 333);
  g_assert_cmpint (navette_record_get_sync_state (edited), ==, NAVETTE_SYNC_STATE_WAITING);

  /* The list shows them: the record created first, the edit on its row
   * (the same objects). */
  feed = navette_engine_open_feed (offline, saved);
  model = navette_replica_feed_get_model (feed);
  navette_replica_model_refresh (model);
  ENGINE_WAIT_UNTIL (!navette_replica_model_get_loading (model) &&
                     model_record (model, DEMO_PRODUCT_1) != NULL, 10000);
  {
    g_autoptr(NavetteRecord) first = g_list_model_get_item (G_LIST_MODEL (model), 0);

    g_assert_true (first == created);
  }
  g_assert_true (model_record (model, DEMO_PRODUCT_1) == edited);
  /* Nothing leaves while the server is stopped and the engine not
   * loaded. */
  engine_test_run_for (300);
  g_assert_cmpuint (navette_middleware_get_n_pending (middleware), ==, 2);

  /* The server is back: sent once each, with their keys. */
  navette_test_server_restart (server);
  navette_test_sign_in_and_load (offline, "alice");
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_pending (middleware) == 0, 30000);
  g_assert_cmpint (navette_record_get_sync_state (created), ==, NAVETTE_SYNC_STATE_SYNCED);
  g_assert_cmpint (navette_record_get_sync_state (edited), ==, NAVETTE_SYNC_STATE_SYNCED);
  g_assert_cmpuint (g_list_model_get_n_items (navette_middleware_get_failed_changes (middleware)), ==, 1);
  g_assert_cmpuint (navette_journal_get_n_entries (navette_engine_get_journal (offline)), ==, 1);
  data = engine_test_product_data (server, token, created_id);
  g_assert_cmpstr (json_object_get_string_member (data, "name"), ==, "Made offline");
  g_clear_pointer (&data, json_object_unref);
  data = engine_test_product_data (server, token, DEMO_PRODUCT_1);
  g_assert_cmpint (json_object_get_int_member (data, "stock"), ==, 333);
  g_assert_cmpuint (engine_test_count_versions (server, token, "catalogue", "products", created_id), ==, 1);
  g_assert_cmpuint (engine_test_count_versions (server, token, "catalogue", "products", DEMO_PRODUCT_1),
                    ==, versions_before + 1);
  /* A further load (F5) puts nothing back again. */
  navette_test_sign_in_and_load (offline, "alice");
  engine_test_run_for (300);
  g_assert_cmpuint (navette_middleware_get_n_pending (middleware), ==, 0);
  g_assert_cmpuint (engine_test_count_versions (server, token, "catalogue", "products", DEMO_PRODUCT_1),
                    ==, versions_before + 1);

  g_clear_object (&offline);
  engine_test_rm_rf (data_dir);
}

/* The JSON cache of an earlier version ($XDG_CACHE_HOME/navette) is
 * deleted by the default directories, and nothing is written there. */
static void
test_old_cache_deleted (void)
{
  const char *cache_home = g_get_user_cache_dir ();   /* navette_test_dirs_init()'s */
  g_autofree char *old = g_build_filename (cache_home, "navette", NULL);
  g_autofree char *app_dir = g_build_filename (old, "0123456789abcdef0123456789abcdef", "catalogue", NULL);
  g_autofree char *file = g_build_filename (app_dir, "products.json", NULL);
  g_autoptr(NavetteEngine) engine = navette_engine_new ("http://127.0.0.1:9");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (app_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "{\"server\":\"x\",\"user\":\"y\",\"records\":[]}", -1, &error));
  g_assert_no_error (error);

  navette_engine_use_default_dirs (engine);
  ENGINE_WAIT_UNTIL (!g_file_test (old, G_FILE_TEST_EXISTS), 10000);
  g_assert_true (g_file_test (cache_home, G_FILE_TEST_IS_DIR));
}

int
main (int   argc,
      char *argv[])
{
  /* The default directories: of this program, before GLib reads them. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/saved/offline-then-live", test_saved_offline_then_live);
  g_test_add_func ("/engine/saved/old-cache-deleted", test_old_cache_deleted);
  g_test_add_func ("/engine/saved/journal-offline", test_saved_journal_offline);

  return g_test_run ();
}
