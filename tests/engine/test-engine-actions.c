/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The middleware against the real server: optimistic apply, reconcile,
 * every failure class the real server can produce, rollback of one action
 * alone, retries with the same idempotency key, the expired session. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <sqlite3.h>

#include "engine-test-util.h"

typedef struct
{
  guint n;
  guint kinds[16];
} Notifications;

static void
notification_cb (NavetteEngine *engine,
                 const char    *message,
                 guint          kind,
                 NavetteChange *change,
                 Notifications *n)
{
  g_assert_nonnull (message);
  g_assert_cmpstr (message, !=, "");
  if (n->n < G_N_ELEMENTS (n->kinds))
    n->kinds[n->n] = kind;
  n->n++;
}

static guint
count_kind (Notifications *n,
            guint          kind)
{
  guint count = 0;

  for (guint i = 0; i < MIN (n->n, G_N_ELEMENTS (n->kinds)); i++)
    if (n->kinds[i] == kind)
      count++;
  return count;
}

/* ---- Optimistic apply and reconcile ---- */

static void
test_optimistic_apply (void)
{
  const char *args[] = { "--response-delay", "300", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *table = engine_test_load_table (engine, "catalogue", "products");
  NavetteStore *store = navette_table_get_store (table);
  NavetteRecord *record = navette_table_lookup (table, DEMO_PRODUCT_1);
  g_autoptr(JsonObject) data = engine_test_object_double ("price", 99.5);
  g_autoptr(NavetteChange) change = NULL;
  EngineTestItemsChanged ic = { 0 };
  guint pos = navette_table_find (table, DEMO_PRODUCT_1);
  gint64 start, elapsed;

  g_assert_nonnull (record);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), !=, 99.5);
  g_signal_connect (table, "items-changed", G_CALLBACK (engine_test_items_changed_cb), &ic);

  start = g_get_monotonic_time ();
  change = navette_store_update (store, table, DEMO_PRODUCT_1, data);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("optimistic apply took %" G_GINT64_FORMAT " µs", elapsed);

  /* Visible at once, without the main loop running: the answer takes
   * 300 ms at least. */
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 99.5);
  g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_PENDING);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_PENDING);
  g_assert_cmpuint (ic.n_calls, ==, 1);
  g_assert_cmpuint (ic.position, ==, pos);
  g_assert_cmpuint (ic.removed, ==, 1);
  g_assert_cmpuint (ic.added, ==, 1);
  g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (engine)), ==, 1);
  /* described with the column's title ("Price"), as the list shows it,
   * not its key ("price") */
  g_assert_nonnull (strstr (navette_change_get_description (change), "Price"));
  g_assert_null (strstr (navette_change_get_description (change), "price"));

  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 99.5);
  g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_SYNCED);
  g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (engine)), ==, 0);
}

static void
test_optimistic_create (void)
{
  const char *args[] = { "--response-delay", "200", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *table = engine_test_load_table (engine, "catalogue", "products");
  NavetteStore *store = navette_table_get_store (table);
  g_autoptr(JsonObject) data = engine_test_object_string ("name", "Optimistic kettle");
  g_autoptr(NavetteChange) change = NULL;
  guint n_before = g_list_model_get_n_items (G_LIST_MODEL (table));
  NavetteRecord *record;

  change = navette_store_create (store, table, NULL, data);
  record = navette_table_lookup (table, navette_change_get_record_id (change));
  g_assert_nonnull (record);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, n_before + 1);
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Optimistic kettle");
  g_assert_cmpint (navette_record_get_version (record), ==, 0);

  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  /* Same object, now with the server's version. */
  g_assert_true (navette_table_lookup (table, navette_change_get_record_id (change)) == record);
  g_assert_cmpint (navette_record_get_version (record), ==, 1);
  g_assert_cmpstr (navette_record_get_updated_by (record), ==, "alice");
}

/* An edit of a record whose optimistic create is not answered yet waits
 * for it, then goes out with the version the create produced. */
static void
test_create_then_update (void)
{
  const char *args[] = { "--response-delay", "100", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *table = engine_test_load_table (engine, "catalogue", "products");
  NavetteStore *store = navette_table_get_store (table);
  g_autoptr(JsonObject) data = engine_test_object_string ("name", "Kettle");
  g_autoptr(JsonObject) price = engine_test_object_double ("price", 19.5);
  g_autoptr(NavetteChange) create = NULL;
  g_autoptr(NavetteChange) update = NULL;
  NavetteRecord *record;

  create = navette_store_create (store, table, NULL, data);
  update = navette_store_update (store, table, navette_change_get_record_id (create), price);
  record = navette_table_lookup (table, navette_change_get_record_id (create));
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Kettle");
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 19.5);

  engine_test_wait_change (create, 10000);
  engine_test_wait_change (update, 10000);
  g_assert_cmpuint (navette_change_get_state (create), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpuint (navette_change_get_state (update), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpint (navette_record_get_version (record), ==, 2);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 19.5);
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Kettle");
}

static void
test_reconcile (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *table = engine_test_load_table (engine, "catalogue", "products");
  NavetteStore *store = navette_table_get_store (table);
  NavetteRecord *record = navette_table_lookup (table, DEMO_PRODUCT_2);
  g_autoptr(JsonObject) data = engine_test_object_int ("stock", 3);
  g_autoptr(NavetteChange) change = NULL;
  gint64 old_version = navette_record_get_version (record);
  gint64 old_revision = navette_record_get_revision (record);
  gint64 old_updated_at = navette_record_get_updated_at (record);
  NavetteWireRecord *result;

  change = navette_store_update (store, table, DEMO_PRODUCT_2, data);
  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);

  result = navette_change_get_result (change);
  g_assert_nonnull (result);
  g_assert_true (navette_table_lookup (table, DEMO_PRODUCT_2) == record);
  g_assert_cmpint (navette_record_get_version (record), ==, old_version + 1);
  g_assert_cmpint (navette_record_get_version (record), ==, result->version);
  g_assert_cmpint (navette_record_get_revision (record), ==, result->revision);
  g_assert_cmpint (navette_record_get_revision (record), >, old_revision);
  g_assert_cmpint (navette_record_get_updated_at (record), ==, result->updated_at);
  g_assert_cmpint (navette_record_get_updated_at (record), >, old_updated_at);
  g_assert_cmpstr (navette_record_get_updated_by (record), ==, "alice");
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 3);
  g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_SYNCED);
  g_assert_null (navette_record_get_error (record));
}

/* ---- Failure classes, for real ---- */

typedef struct
{
  NavetteTestServer *server;
  NavetteEngine     *engine;
  NavetteTable      *table;
  NavetteStore      *store;
  Notifications      notes;
} Fixture;

static void
fixture_setup (Fixture           *f,
               const char * const *server_args,
               const char        *user)
{
  f->server = navette_test_server_start (server_args);
  f->engine = navette_test_engine_new (f->server, user, NULL);
  f->table = engine_test_load_table (f->engine, "catalogue", "products");
  f->store = navette_table_get_store (f->table);
  g_signal_connect (f->engine, "notification", G_CALLBACK (notification_cb), &f->notes);
}

static void
fixture_teardown (Fixture *f)
{
  /* &f->notes is on the stack: an ASan build caught a ROLE_CHANGED of
   * /engine/failure/auth-expired-other-user's engine, alive with a
   * request in flight, written there during the next test,
   * /engine/failure/token-lifetime-zero (a SIGSEGV without ASan). The
   * engine is gone before the server, and the next test. */
  engine_test_drop (&f->engine, &f->notes);
  g_clear_pointer (&f->server, navette_test_server_free);
}

/* Updates @column of DEMO_PRODUCT_1 with @value and checks that it fails
 * with @code and is rolled back. */
static NavetteChange *
expect_failure (Fixture          *f,
                const char       *column,
                JsonNode         *value,
                NavetteSyncError  code)
{
  NavetteRecord *record = navette_table_lookup (f->table, DEMO_PRODUCT_1);
  NavetteMiddleware *middleware = navette_engine_get_middleware (f->engine);
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(NavetteChange) change = NULL;
  gint64 version = navette_record_get_version (record);
  guint n_failed = g_list_model_get_n_items (navette_middleware_get_failed_changes (middleware));
  guint pos;

  before = json_node_copy (navette_record_get_value (record, column));
  json_object_set_member (data, column, value);

  change = navette_store_update (f->store, f->table, DEMO_PRODUCT_1, data);
  g_assert_true (json_node_equal (navette_record_get_value (record, column), value));

  engine_test_wait_change (change, 30000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_error (navette_change_get_error (change), NAVETTE_SYNC_ERROR, (gint) code);

  /* Rolled back to exactly the value before. */
  g_assert_true (json_node_equal (navette_record_get_value (record, column), before));
  g_assert_cmpint (navette_record_get_version (record), ==, version);
  g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_FAILED);
  g_assert_error (navette_record_get_error (record), NAVETTE_SYNC_ERROR, (gint) code);

  /* Not lost: in the failed changes. */
  g_assert_cmpuint (g_list_model_get_n_items (navette_middleware_get_failed_changes (middleware)), ==, n_failed + 1);
  g_assert_true (g_list_store_find (G_LIST_STORE (navette_middleware_get_failed_changes (middleware)),
                                    change, &pos));
  return g_steal_pointer (&change);
}

static JsonNode *
double_node (double value)
{
  return json_node_init_double (json_node_alloc (), value);
}

/* Updates @column of DEMO_PRODUCT_1 with @value while the server cannot
 * take it, and checks that the change is KEPT: applied, pending, waiting,
 * in no failed list, no error toast. */
static NavetteChange *
expect_waiting (Fixture    *f,
                const char *column,
                JsonNode   *value)
{
  NavetteRecord *record = navette_table_lookup (f->table, DEMO_PRODUCT_1);
  NavetteMiddleware *middleware = navette_engine_get_middleware (f->engine);
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(NavetteChange) change = NULL;

  json_object_set_member (data, column, json_node_copy (value));
  change = navette_store_update (f->store, f->table, DEMO_PRODUCT_1, data);

  ENGINE_WAIT_UNTIL (navette_change_get_waiting (change), 30000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_PENDING);
  g_assert_true (json_node_equal (navette_record_get_value (record, column), value));
  g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_WAITING);
  g_assert_cmpuint (navette_middleware_get_n_waiting (middleware), ==, 1);
  g_assert_false (navette_middleware_get_online (middleware));
  ENGINE_WAIT_UNTIL (!navette_engine_get_online (f->engine), 10000);
  g_assert_cmpuint (g_list_model_get_n_items (navette_middleware_get_failed_changes (middleware)), ==, 0);
  g_assert_cmpuint (count_kind (&f->notes, NAVETTE_NOTIFICATION_CHANGE_FAILED), ==, 0);
  json_node_unref (value);
  return g_steal_pointer (&change);
}

/* The server stopped: the change waits; the server comes back: it is sent
 * by itself (the engine probes), once, and one discreet "all saved". */
static void
test_failure_network (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *token = NULL;
  guint n_versions;

  fixture_setup (&f, NULL, "alice");
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  n_versions = engine_test_count_versions (f.server, token, "catalogue", "products", DEMO_PRODUCT_1);
  navette_test_server_stop (f.server);

  change = expect_waiting (&f, "price", double_node (1.25));
  /* Still waiting once the server has been probed and found away, twice
   * (the second probe leaves when the first failed): never rolled back. */
  ENGINE_WAIT_UNTIL (navette_poller_get_probes (navette_engine_get_poller (f.engine)) >= 2, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_PENDING);

  /* Back: no Retry, no user action. */
  navette_test_server_restart (f.server);
  engine_test_wait_change (change, 30000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpfloat (navette_record_get_double (navette_table_lookup (f.table, DEMO_PRODUCT_1), "price"), ==, 1.25);
  g_assert_cmpuint (navette_record_get_sync_state (navette_table_lookup (f.table, DEMO_PRODUCT_1)),
                    ==, NAVETTE_SYNC_STATE_SYNCED);
  ENGINE_WAIT_UNTIL (navette_engine_get_online (f.engine), 10000);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_CHANGE_FAILED), ==, 0);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_ALL_SAVED), ==, 1);
  g_assert_cmpuint (engine_test_count_versions (f.server, token, "catalogue", "products", DEMO_PRODUCT_1),
                    ==, n_versions + 1);

  fixture_teardown (&f);
}

/* Every attempt times out although the write reaches the server: kept;
 * resent under the same key once the client is patient — one version. */
static void
test_failure_timeout (void)
{
  const char *args[] = { "--response-delay", "1500", NULL };
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *token = NULL;
  NavetteRecord *record;
  gint64 version;
  guint n_versions;

  fixture_setup (&f, args, "alice");
  record = navette_table_lookup (f.table, DEMO_PRODUCT_1);
  version = navette_record_get_version (record);
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  n_versions = engine_test_count_versions (f.server, token, "catalogue", "products", DEMO_PRODUCT_1);
  navette_client_set_timeout (navette_engine_get_client (f.engine), 1);

  change = expect_waiting (&f, "price", double_node (2.5));
  g_assert_cmpuint (navette_change_get_attempts (change), >=, 1);

  /* A patient client; F5 probes at once. */
  navette_client_set_timeout (navette_engine_get_client (f.engine), 10);
  navette_engine_refresh (f.engine);
  engine_test_wait_change (change, 30000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpint (navette_record_get_version (record), ==, version + 1);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 2.5);
  /* Two sends or more, one new version. */
  g_assert_cmpuint (navette_change_get_attempts (change), >=, 2);
  g_assert_cmpuint (engine_test_count_versions (f.server, token, "catalogue", "products", DEMO_PRODUCT_1),
                    ==, n_versions + 1);

  fixture_teardown (&f);
}

static void
test_failure_forbidden (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change = NULL;

  fixture_setup (&f, NULL, "bob");
  g_assert_cmpuint (navette_store_get_role (f.store), ==, NAVETTE_ROLE_READER);
  g_assert_false (navette_store_can_edit (f.store));

  change = expect_failure (&f, "price", double_node (3.5), NAVETTE_SYNC_ERROR_FORBIDDEN);
  /* Permanent: no retry. */
  g_assert_cmpuint (navette_change_get_attempts (change), ==, 1);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_CHANGE_FAILED), ==, 1);

  fixture_teardown (&f);
}

static void
test_failure_validation (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change = NULL;
  GHashTable *fields;

  fixture_setup (&f, NULL, "alice");

  change = expect_failure (&f, "price", json_node_init_string (json_node_alloc (), "cheap"),
                           NAVETTE_SYNC_ERROR_VALIDATION);
  g_assert_cmpuint (navette_change_get_attempts (change), ==, 1);
  fields = navette_sync_error_get_fields (navette_change_get_error (change));
  g_assert_nonnull (fields);
  g_assert_nonnull (g_hash_table_lookup (fields, "price"));
  /* The record's copy of the error keeps them too. */
  g_assert_nonnull (navette_sync_error_get_fields (navette_record_get_error (navette_table_lookup (f.table, DEMO_PRODUCT_1))));

  /* Discarding forgets it and clears the record's error. */
  navette_middleware_discard (navette_engine_get_middleware (f.engine), change);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_DISCARDED);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (f.engine)), ==, 0);
  g_assert_cmpuint (navette_record_get_sync_state (navette_table_lookup (f.table, DEMO_PRODUCT_1)),
                    ==, NAVETTE_SYNC_STATE_SYNCED);

  fixture_teardown (&f);
}

static void
test_failure_unavailable (void)
{
  const char *args[] = { "--busy-timeout", "200", NULL };
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change = NULL;
  sqlite3 *db = NULL;

  if (!engine_test_have_sqlite ())
    {
      g_test_skip ("needs the SQLite backend");
      return;
    }

  fixture_setup (&f, args, "alice");

  g_assert_cmpint (sqlite3_open (f.server->db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);

  /* 503: kept, and tried again as the probes find the server answering
   * (the database stays locked a while: several attempts). */
  change = expect_waiting (&f, "price", double_node (4.5));
  ENGINE_WAIT_UNTIL (navette_change_get_attempts (change) >= 2, 20000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_PENDING);

  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  engine_test_wait_change (change, 30000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_CHANGE_FAILED), ==, 0);

  fixture_teardown (&f);
}

static guint auth_expired_count;

static void
auth_expired_cb (NavetteSession *session,
                 const GError   *error,
                 gpointer        user_data)
{
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED);
  auth_expired_count++;
}

/* The stock of DEMO_PRODUCT_1 in each version, oldest first, on the server. */
static GArray *
stock_history (Fixture *f)
{
  g_autofree char *token = navette_test_login (f->server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  GArray *values = g_array_new (FALSE, FALSE, sizeof (gint64));
  JsonArray *versions;

  g_assert_cmpuint (navette_test_request (f->server, "GET",
                                          "/api/v1/applications/catalogue/tables/products/records/"
                                          DEMO_PRODUCT_1 "/versions", token, NULL, &body, NULL), ==, 200);
  root = navette_test_parse (body);
  versions = json_object_get_array_member (json_node_get_object (root), "versions");
  for (guint i = json_array_get_length (versions); i > 0; i--)
    {
      JsonObject *data = json_object_get_object_member (json_array_get_object_element (versions, i - 1), "data");
      gint64 stock = json_object_get_int_member (data, "stock");

      g_array_append_val (values, stock);
    }
  return values;
}

/* A token that expires while the engine runs (a server whose tokens live
 * 3 s). The change answered 401 is rolled back alone, into the failed
 * list, and said (the session says it once); the change queued behind it
 * on the same record is not sent with the dead token — it waits, applied
 * — nor is one made meanwhile. After a new login the refused change is
 * sent again with its key, BEFORE the one queued behind it, and the rest
 * follows: on the server, 11 then 22. */
static void
test_failure_auth_expired (void)
{
  const char *args[] = { "--token-lifetime", "3", NULL };
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change1 = NULL;
  g_autoptr(NavetteChange) change2 = NULL;
  g_autoptr(NavetteChange) change3 = NULL;
  g_autoptr(JsonObject) data1 = engine_test_object_int ("stock", 11);
  g_autoptr(JsonObject) data2 = engine_test_object_int ("stock", 22);
  g_autoptr(JsonObject) data3 = engine_test_object_int ("stock", 33);
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  g_autofree char *key1 = NULL;
  NavetteSession *session;
  NavetteRecord *record1;
  GListModel *failed;
  gint64 expires_at;

  fixture_setup (&f, args, "alice");
  session = navette_engine_get_session (f.engine);
  failed = navette_engine_get_failed_changes (f.engine);
  record1 = navette_table_lookup (f.table, DEMO_PRODUCT_1);
  before = stock_history (&f);
  auth_expired_count = 0;
  g_signal_connect (session, "auth-expired", G_CALLBACK (auth_expired_cb), NULL);

  /* Wait on the clock (the condition), not for a fixed time. */
  expires_at = navette_session_get_expires_at (session);
  g_assert_cmpint (expires_at, >, 0);
  ENGINE_WAIT_UNTIL (g_get_real_time () > expires_at + 100000, 10000);

  change1 = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, data1);
  change2 = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, data2);
  key1 = g_strdup (navette_change_get_idempotency_key (change1));
  engine_test_wait_change (change1, 10000);

  /* The refused one: rolled back alone, in the failed list, said. */
  g_assert_cmpuint (navette_change_get_state (change1), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_error (navette_change_get_error (change1), NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED);
  g_assert_cmpuint (g_list_model_get_n_items (failed), ==, 1);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_CHANGE_FAILED), ==, 1);
  /* The one behind it: never sent, still applied, waiting. */
  g_assert_cmpuint (navette_change_get_state (change2), ==, NAVETTE_CHANGE_STATE_PENDING);
  g_assert_true (navette_change_get_waiting (change2));
  g_assert_cmpuint (navette_change_get_attempts (change2), ==, 0);
  g_assert_cmpint (navette_record_get_int (record1, "stock"), ==, 22);
  g_assert_cmpuint (navette_record_get_sync_state (record1), ==, NAVETTE_SYNC_STATE_WAITING);

  /* Raised once, not once per request; nothing else goes with the dead
   * token. */
  g_assert_cmpuint (auth_expired_count, ==, 1);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_AUTH_EXPIRED), ==, 1);
  g_assert_false (navette_session_get_signed_in (session));
  change3 = navette_store_update (f.store, f.table, DEMO_PRODUCT_2, data3);
  ENGINE_WAIT_UNTIL (navette_change_get_waiting (change3), 10000);
  g_assert_cmpuint (navette_change_get_attempts (change3), ==, 0);
  g_assert_cmpuint (navette_change_get_attempts (change2), ==, 0);

  /* Sign in again: the refused change goes first (same key), then the
   * queue. */
  navette_test_sign_in (session, "alice");
  ENGINE_WAIT_UNTIL (navette_change_get_state (change1) == NAVETTE_CHANGE_STATE_SUCCEEDED &&
                     navette_change_get_state (change2) == NAVETTE_CHANGE_STATE_SUCCEEDED &&
                     navette_change_get_state (change3) == NAVETTE_CHANGE_STATE_SUCCEEDED, 10000);
  g_assert_cmpstr (navette_change_get_idempotency_key (change1), ==, key1);
  g_assert_cmpint (navette_record_get_int (record1, "stock"), ==, 22);
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (f.table, DEMO_PRODUCT_2), "stock"), ==, 33);
  g_assert_cmpuint (g_list_model_get_n_items (failed), ==, 0);
  g_assert_cmpuint (auth_expired_count, ==, 1);
  after = stock_history (&f);
  g_assert_cmpuint (after->len, ==, before->len + 2);
  g_assert_cmpint (g_array_index (after, gint64, before->len), ==, 11);
  g_assert_cmpint (g_array_index (after, gint64, before->len + 1), ==, 22);

  fixture_teardown (&f);
}

/* The session expired and ANOTHER user signs in on the same engine: the
 * refused change is not sent again with that user's token, nor the one
 * that waited — they are not theirs. Once their author signs in again,
 * both go. */
static void
test_failure_auth_expired_other_user (void)
{
  const char *args[] = { "--token-lifetime", "3", NULL };
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change1 = NULL;
  g_autoptr(NavetteChange) change2 = NULL;
  g_autoptr(JsonObject) data1 = engine_test_object_int ("stock", 44);
  g_autoptr(JsonObject) data2 = engine_test_object_int ("stock", 55);
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) meanwhile = NULL;
  g_autoptr(GArray) after = NULL;
  NavetteSession *session;
  guint attempts1;

  fixture_setup (&f, args, "alice");
  session = navette_engine_get_session (f.engine);
  g_assert_cmpstr (navette_engine_get_loaded_user (f.engine), ==, "alice");
  before = stock_history (&f);
  ENGINE_WAIT_UNTIL (g_get_real_time () > navette_session_get_expires_at (session) + 100000, 10000);

  change1 = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, data1);
  change2 = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, data2);
  engine_test_wait_change (change1, 10000);
  g_assert_cmpuint (navette_change_get_state (change1), ==, NAVETTE_CHANGE_STATE_FAILED);
  attempts1 = navette_change_get_attempts (change1);

  /* bob signs in on this engine: nothing of alice's goes. */
  navette_test_sign_in (session, "bob");
  navette_engine_refresh (f.engine);
  ENGINE_WAIT_UNTIL (navette_engine_get_online (f.engine), 10000);
  meanwhile = stock_history (&f);
  g_assert_cmpuint (meanwhile->len, ==, before->len);
  g_assert_cmpuint (navette_change_get_state (change1), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_cmpuint (navette_change_get_attempts (change1), ==, attempts1);
  g_assert_cmpuint (navette_change_get_state (change2), ==, NAVETTE_CHANGE_STATE_PENDING);
  g_assert_cmpuint (navette_change_get_attempts (change2), ==, 0);

  /* alice again: both go, in order. */
  navette_test_sign_in (session, "alice");
  ENGINE_WAIT_UNTIL (navette_change_get_state (change1) == NAVETTE_CHANGE_STATE_SUCCEEDED &&
                     navette_change_get_state (change2) == NAVETTE_CHANGE_STATE_SUCCEEDED, 10000);
  after = stock_history (&f);
  g_assert_cmpuint (after->len, ==, before->len + 2);
  g_assert_cmpint (g_array_index (after, gint64, before->len), ==, 44);
  g_assert_cmpint (g_array_index (after, gint64, before->len + 1), ==, 55);

  fixture_teardown (&f);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GError **error = user_data;

  if (!navette_engine_load_finish (NAVETTE_ENGINE (object), result, error))
    g_assert_nonnull (*error);
  else
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "unexpected success");
}

/* A server whose tokens expire at once (--token-lifetime 0). */
static void
test_failure_token_lifetime_zero (void)
{
  const char *args[] = { "--token-lifetime", "0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = navette_engine_new (server->base_url);
  NavetteSession *session = navette_engine_get_session (engine);
  g_autoptr(GError) error1 = NULL;
  g_autoptr(GError) error2 = NULL;

  auth_expired_count = 0;
  g_signal_connect (session, "auth-expired", G_CALLBACK (auth_expired_cb), NULL);

  navette_test_sign_in (session, "alice");
  g_assert_nonnull (navette_session_get_token (session));

  navette_engine_load_async (engine, NULL, load_cb, &error1);
  navette_engine_load_async (engine, NULL, load_cb, &error2);
  ENGINE_WAIT_UNTIL (error1 != NULL && error2 != NULL, 10000);
  g_assert_error (error1, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED);
  g_assert_error (error2, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED);
  g_assert_cmpuint (auth_expired_count, ==, 1);
}

/* ---- Rollback of one action alone ---- */

typedef struct
{
  NavetteChange *fail_change;
  NavetteRecord *record;
  gboolean       saw_pending;
  gboolean       kept_optimistic;
  gboolean       done;
} ReloadCheck;

static void
reloaded_cb (NavetteTable *table,
             guint         n_changed,
             GPtrArray    *changed,
             ReloadCheck  *check)
{
  check->saw_pending = navette_change_get_state (check->fail_change) == NAVETTE_CHANGE_STATE_PENDING;
  check->kept_optimistic = g_strcmp0 (navette_record_get_string (check->record, "stock"), "many") == 0;
}

static void
reload_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ReloadCheck *check = user_data;
  g_autoptr(GError) error = NULL;

  navette_table_reload_finish (NAVETTE_TABLE (object), result, NULL, &error);
  g_assert_no_error (error);
  check->done = TRUE;
}

/* On record A: a good change of "name", then a failing change of "stock"
 * queued behind it, then a good change of "price" queued behind that; on
 * record B a good change of "price". Meanwhile another program changes A's
 * "published" and a reload lands while the failing change is pending.
 * The rollback restores "stock" alone. */
static void
test_rollback_isolated (void)
{
  const char *args[] = { "--response-delay", "300", NULL };
  Fixture f = { 0 };
  g_autoptr(JsonObject) bad = NULL;
  g_autoptr(JsonObject) name = engine_test_object_string ("name", "Renamed while failing");
  g_autoptr(JsonObject) a_price = engine_test_object_double ("price", 6.25);
  g_autoptr(JsonObject) b_price = engine_test_object_double ("price", 5.75);
  g_autoptr(JsonObject) early = engine_test_object_string ("name", "Renamed first");
  g_autoptr(JsonObject) later = engine_test_object_string ("name", "Renamed second");
  g_autoptr(NavetteChange) early_change = NULL;
  g_autoptr(NavetteChange) later_change = NULL;
  g_autoptr(NavetteChange) name_change = NULL;
  g_autoptr(NavetteChange) fail_change = NULL;
  g_autoptr(NavetteChange) price_change = NULL;
  g_autoptr(NavetteChange) other_change = NULL;
  g_autofree char *sql = NULL;
  ReloadCheck check = { 0 };
  NavetteRecord *a, *b;
  gint64 a_stock;
  gboolean a_published;

  if (!engine_test_have_sqlite ())
    {
      g_test_skip ("needs the SQLite backend");
      return;
    }

  fixture_setup (&f, args, "alice");
  /* Only the reload started below may land: no push-started ones. */
  navette_poller_set_push (navette_engine_get_poller (f.engine), FALSE);
  a = navette_table_lookup (f.table, DEMO_PRODUCT_1);
  b = navette_table_lookup (f.table, DEMO_PRODUCT_2);
  a_stock = navette_record_get_int (a, "stock");
  a_published = navette_record_get_boolean (a, "published");

  bad = json_object_new ();
  json_object_set_string_member (bad, "stock", "many");
  /* Three good changes in front of the failing one: it is sent only after
   * three answers (3 × 300 ms), which leaves the reload below (a light
   * check and a page) ample time to land while it is pending. */
  early_change = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, early);
  later_change = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, later);
  name_change = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, name);
  fail_change = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, bad);
  price_change = navette_store_update (f.store, f.table, DEMO_PRODUCT_1, a_price);
  other_change = navette_store_update (f.store, f.table, DEMO_PRODUCT_2, b_price);
  g_assert_cmpstr (navette_record_get_string (a, "stock"), ==, "many");
  g_assert_cmpstr (navette_record_get_string (a, "name"), ==, "Renamed while failing");
  g_assert_cmpfloat (navette_record_get_double (a, "price"), ==, 6.25);
  g_assert_cmpfloat (navette_record_get_double (b, "price"), ==, 5.75);

  /* Another program changes A; a reload brings it while "stock" is still
   * pending (it is only sent after the "name" change is answered). */
  sql = g_strdup_printf ("UPDATE \"catalogue.products\" SET published = %d "
                         "WHERE record_id = '%s' AND obsolete = 0",
                         a_published ? 0 : 1, DEMO_PRODUCT_1);
  engine_test_sql (f.server, sql);
  check.fail_change = fail_change;
  check.record = a;
  g_signal_connect (f.table, "reloaded", G_CALLBACK (reloaded_cb), &check);
  navette_table_reload_async (f.table, FALSE, NULL, reload_done_cb, &check);

  engine_test_wait_change (early_change, 10000);
  engine_test_wait_change (later_change, 10000);
  engine_test_wait_change (name_change, 10000);
  engine_test_wait_change (fail_change, 10000);
  engine_test_wait_change (price_change, 10000);
  engine_test_wait_change (other_change, 10000);
  ENGINE_WAIT_UNTIL (check.done, 10000);

  g_assert_true (check.saw_pending);
  g_assert_true (check.kept_optimistic);
  g_assert_cmpuint (navette_change_get_state (name_change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpuint (navette_change_get_state (fail_change), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_error (navette_change_get_error (fail_change), NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
  g_assert_cmpuint (navette_change_get_state (price_change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpuint (navette_change_get_state (other_change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);

  /* Only the failed column came back; the other edits and the other
   * program's change survive. */
  g_assert_cmpint (navette_record_get_int (a, "stock"), ==, a_stock);
  g_assert_cmpstr (navette_record_get_string (a, "name"), ==, "Renamed while failing");
  g_assert_cmpfloat (navette_record_get_double (a, "price"), ==, 6.25);
  g_assert_cmpint (navette_record_get_boolean (a, "published"), ==, !a_published);
  g_assert_cmpfloat (navette_record_get_double (b, "price"), ==, 5.75);
  g_assert_true (navette_table_lookup (f.table, DEMO_PRODUCT_1) == a);

  /* A reload started by push may still be running: it must not call
   * back into this stack frame. */
  g_signal_handlers_disconnect_by_data (f.table, &check);
  fixture_teardown (&f);
}

/* ---- Field-level updates: a concurrent change to another column ---- */

/* Another client's PATCH of @data (JSON members) on the current version. */
/* Someone changes the price while this engine, which has not seen it
 * (no push, no poll), changes only the stock from the version it has:
 * the price written by the other stays. */
static void
test_field_level (void)
{
  Fixture f = { 0 };
  g_autoptr(JsonObject) data = engine_test_object_int ("stock", 40);
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *token = NULL;
  NavetteRecord *record;
  gint64 seen;

  fixture_setup (&f, NULL, "alice");
  navette_poller_stop (navette_engine_get_poller (f.engine));
  record = navette_table_lookup (f.table, DEMO_PRODUCT_1);
  seen = navette_record_get_version (record);
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  engine_test_patch_product (f.server, token, DEMO_PRODUCT_1, -1, "{\"price\": 88.0}");
  g_assert_cmpfloat (navette_record_get_double (record, "price"), !=, 88.0);

  change = navette_store_update_from (f.store, f.table, DEMO_PRODUCT_1, data, seen);
  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);

  after = engine_test_product_data (f.server, token, DEMO_PRODUCT_1);
  g_assert_cmpfloat (json_object_get_double_member (after, "price"), ==, 88.0);
  g_assert_cmpint (json_object_get_int_member (after, "stock"), ==, 40);
  /* The engine shows the server's answer: both. */
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 88.0);
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 40);

  fixture_teardown (&f);
}

static gboolean
has_kind (Notifications *n,
          guint          kind)
{
  return count_kind (n, kind) > 0;
}

/* The same column written by both: last write wins, and the engine says
 * whose change it replaced (SUPERSEDED, with who and when) — but not for
 * its own earlier versions. */
static void
test_superseded (void)
{
  Fixture f = { 0 };
  g_autoptr(JsonObject) data = engine_test_object_double ("price", 12.0);
  g_autoptr(JsonObject) again = engine_test_object_double ("price", 13.0);
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(NavetteChange) second = NULL;
  g_autofree char *token = NULL;
  NavetteRecord *record;
  gint64 seen;
  GArray *superseded;

  fixture_setup (&f, NULL, "alice");
  navette_poller_stop (navette_engine_get_poller (f.engine));
  record = navette_table_lookup (f.table, DEMO_PRODUCT_2);
  seen = navette_record_get_version (record);
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  engine_test_patch_product (f.server, token, DEMO_PRODUCT_2, -1, "{\"price\": 88.0}");

  change = navette_store_update_from (f.store, f.table, DEMO_PRODUCT_2, data, seen);
  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  ENGINE_WAIT_UNTIL (has_kind (&f.notes, NAVETTE_NOTIFICATION_SUPERSEDED), 10000);
  superseded = navette_change_get_superseded (change);
  g_assert_nonnull (superseded);
  g_assert_cmpuint (superseded->len, ==, 1);
  g_assert_cmpint (g_array_index (superseded, gint64, 0), ==, seen + 1);
  g_assert_cmpstr (navette_change_get_superseded_by (change), ==, "admin");
  g_assert_cmpint (navette_change_get_superseded_at (change), >, 0);

  /* Its own version (from the same base) is not someone else's. */
  second = navette_store_update_from (f.store, f.table, DEMO_PRODUCT_2, again, seen);
  engine_test_wait_change (second, 10000);
  ENGINE_WAIT_UNTIL (count_kind (&f.notes, NAVETTE_NOTIFICATION_SUPERSEDED) >= 2, 10000);
  g_assert_cmpuint (count_kind (&f.notes, NAVETTE_NOTIFICATION_SUPERSEDED), ==, 2);
  g_assert_cmpuint (navette_change_get_superseded (second)->len, ==, 1);

  fixture_teardown (&f);
}

/* An update of a record that is not in the model (table not loaded): the
 * engine asks for the record first, shows the change on it and sends it
 * with its base version. */
static void
test_update_not_in_model (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteStore *store = navette_engine_lookup_store (engine, "catalogue");
  g_autoptr(JsonObject) data = engine_test_object_int ("stock", 4444);
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *token = NULL;
  NavetteTable *table;
  NavetteRecord *record;
  guint n_versions;

  table = navette_test_engine_table (engine, "catalogue", "products");
  g_assert_false (navette_table_get_loaded (table));
  g_assert_null (navette_table_lookup (table, DEMO_PRODUCT_1));
  token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  n_versions = engine_test_count_versions (server, token, "catalogue", "products", DEMO_PRODUCT_1);

  change = navette_store_update (store, table, DEMO_PRODUCT_1, data);
  engine_test_wait_change (change, 10000);
  g_assert_no_error (navette_change_get_error (change));
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);

  record = navette_table_lookup (table, DEMO_PRODUCT_1);
  g_assert_nonnull (record);
  g_assert_true (navette_change_get_record (change) == record);
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 4444);
  g_assert_cmpint (navette_record_get_version (record), ==, navette_change_get_result (change)->version);
  g_assert_cmpuint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_SYNCED);
  g_assert_cmpuint (engine_test_count_versions (server, token, "catalogue", "products", DEMO_PRODUCT_1),
                    ==, n_versions + 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/actions/optimistic-apply", test_optimistic_apply);
  g_test_add_func ("/engine/actions/optimistic-create", test_optimistic_create);
  g_test_add_func ("/engine/actions/reconcile", test_reconcile);
  g_test_add_func ("/engine/actions/create-then-update", test_create_then_update);
  g_test_add_func ("/engine/failure/network", test_failure_network);
  g_test_add_func ("/engine/failure/timeout", test_failure_timeout);
  g_test_add_func ("/engine/failure/forbidden", test_failure_forbidden);
  g_test_add_func ("/engine/failure/validation", test_failure_validation);
  g_test_add_func ("/engine/failure/unavailable", test_failure_unavailable);
  g_test_add_func ("/engine/failure/auth-expired", test_failure_auth_expired);
  g_test_add_func ("/engine/failure/auth-expired-other-user", test_failure_auth_expired_other_user);
  g_test_add_func ("/engine/failure/token-lifetime-zero", test_failure_token_lifetime_zero);
  g_test_add_func ("/engine/actions/rollback-isolated", test_rollback_isolated);
  g_test_add_func ("/engine/actions/field-level", test_field_level);
  g_test_add_func ("/engine/actions/superseded", test_superseded);
  g_test_add_func ("/engine/actions/update-not-in-model", test_update_not_in_model);

  return g_test_run ();
}
