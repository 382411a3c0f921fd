/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The poller and reloads against the real server: only light requests
 * while nothing changes, exactly one reload per external write (HTTP or
 * plain SQL), own writes recognised, and the smallest model change.
 * Stopping the poller, or giving up a load, cancels what is on its way. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "engine-test-util.h"

typedef struct
{
  guint  n_changes;
  guint  n_by_others;
  gint64 revision;
  guint  n_remote_notes;
  guint  n_rounds;
} PollerSpy;

static void
checked_cb (NavettePoller *poller,
            PollerSpy     *spy)
{
  spy->n_rounds++;
}

static void
changes_cb (NavettePoller *poller,
            NavetteTable  *table,
            gint64         revision,
            GPtrArray     *records,
            guint          n_by_others,
            PollerSpy     *spy)
{
  spy->n_changes++;
  spy->n_by_others += n_by_others;
  spy->revision = revision;
}

static void
notification_cb (NavetteEngine *engine,
                 const char    *message,
                 guint          kind,
                 NavetteChange *change,
                 PollerSpy     *spy)
{
  if (kind == NAVETTE_NOTIFICATION_REMOTE_CHANGES)
    {
      g_test_message ("notification: %s", message);
      spy->n_remote_notes++;
    }
}

static void
test_poller_light_then_reload_once (void)
{
  const char *args[] = { "--state-cache", "0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *table = engine_test_load_table (engine, "catalogue", "products");
  NavettePoller *poller = navette_engine_get_poller (engine);
  NavetteClient *client = navette_engine_get_client (engine);
  g_autoptr(JsonObject) own = engine_test_object_int ("stock", 1234);
  g_autoptr(NavetteChange) change = NULL;
  PollerSpy spy = { 0 };
  guint64 polls0, bytes0, requests0, reloads0;
  guint64 polls1, bytes1, requests1;
  guint rounds0, rounds1;
  guint n_rows;

  g_signal_connect (poller, "changes", G_CALLBACK (changes_cb), &spy);
  g_signal_connect (poller, "checked", G_CALLBACK (checked_cb), &spy);
  g_signal_connect (engine, "notification", G_CALLBACK (notification_cb), &spy);
  navette_poller_set_interval_ms (poller, 50);
  g_assert_true (navette_poller_get_running (poller));

  /* A first round learns the ETags. */
  polls0 = navette_poller_get_polls (poller);
  ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) >= polls0 + 2, 10000);

  /* Nothing changes: light checks only, answered 304, and at most one
   * check of the roles (`me`, with its ETag: a 304 too) per round. */
  polls0 = navette_poller_get_polls (poller);
  bytes0 = navette_poller_get_bytes_received (poller);
  requests0 = navette_client_get_requests (client);
  reloads0 = navette_poller_get_reloads (poller);
  rounds0 = spy.n_rounds;
  ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) >= polls0 + 10, 20000);
  polls1 = navette_poller_get_polls (poller);
  bytes1 = navette_poller_get_bytes_received (poller);
  requests1 = navette_client_get_requests (client);
  rounds1 = spy.n_rounds;
  g_test_message ("%" G_GUINT64_FORMAT " light checks and %u rounds, %" G_GUINT64_FORMAT
                  " bytes per light check (roles checks included)",
                  polls1 - polls0, rounds1 - rounds0, (bytes1 - bytes0) / (polls1 - polls0));
  g_assert_cmpuint (requests1 - requests0, >=, polls1 - polls0);
  g_assert_cmpuint (requests1 - requests0, <=, polls1 - polls0 + (rounds1 - rounds0) + 1);
  g_assert_cmpuint (navette_poller_get_reloads (poller), ==, reloads0);
  g_assert_cmpuint (spy.n_changes, ==, 0);
  g_assert_cmpuint ((bytes1 - bytes0) / (polls1 - polls0), <, 512);
  g_assert_true (navette_poller_get_online (poller));

  /* Another user writes over HTTP: exactly one reload. */
  n_rows = g_list_model_get_n_items (G_LIST_MODEL (table));
  engine_test_patch_product (server, NULL, DEMO_PRODUCT_1, -1, "{\"stock\": 4321}");
  ENGINE_WAIT_UNTIL (spy.n_changes == 1, 10000);
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (table, DEMO_PRODUCT_1), "stock"), ==, 4321);
  g_assert_cmpuint (spy.n_by_others, ==, 1);
  g_assert_cmpuint (spy.n_remote_notes, ==, 1);
  polls0 = navette_poller_get_polls (poller);
  ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) >= polls0 + 10, 20000);
  g_assert_cmpuint (navette_poller_get_reloads (poller), ==, reloads0 + 1);
  g_assert_cmpuint (spy.n_changes, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, n_rows);

  /* The user's own write is not reported as someone else's. */
  change = navette_store_update (navette_table_get_store (table), table, DEMO_PRODUCT_2, own);
  engine_test_wait_change (change, 10000);
  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  polls0 = navette_poller_get_polls (poller);
  ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) >= polls0 + 6, 20000);
  g_assert_cmpuint (spy.n_by_others, ==, 1);
  g_assert_cmpuint (spy.n_remote_notes, ==, 1);
  reloads0 = navette_poller_get_reloads (poller);

  if (!engine_test_have_sqlite ())
    return;

  /* Another program writes with plain SQL: exactly one reload too. */
  engine_test_sql (server,
                   "INSERT INTO \"catalogue.products\" (name, price, stock, published) "
                   "VALUES ('Written with plain SQL', 2.5, 9, 1)");
  ENGINE_WAIT_UNTIL (spy.n_changes == 2, 10000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, n_rows + 1);
  polls0 = navette_poller_get_polls (poller);
  ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) >= polls0 + 10, 20000);
  g_assert_cmpuint (navette_poller_get_reloads (poller), ==, reloads0 + 1);
  g_assert_cmpuint (spy.n_changes, ==, 2);
  g_assert_cmpuint (spy.n_by_others, ==, 2);
  g_signal_handlers_disconnect_by_data (poller, &spy);
  engine_test_drop (&engine, &spy);
}

static void
test_poller_offline_and_back (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavettePoller *poller = navette_engine_get_poller (engine);
  guint64 polls0;

  engine_test_load_table (engine, "catalogue", "products");
  navette_poller_set_interval_ms (poller, 50);
  g_assert_true (navette_engine_get_online (engine));

  navette_test_server_stop (server);
  ENGINE_WAIT_UNTIL (!navette_poller_get_online (poller), 10000);
  g_assert_false (navette_engine_get_online (engine));

  /* It reconnects by itself; a manual refresh checks at once (or right
   * after the round in flight). */
  navette_test_server_restart (server);
  polls0 = navette_poller_get_polls (poller);
  navette_poller_refresh (poller);
  ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) > polls0, 10000);
  ENGINE_WAIT_UNTIL (navette_poller_get_online (poller), 10000);
  g_assert_true (navette_engine_get_online (engine));
}

static void
role_notification_cb (NavetteEngine *engine,
                      const char    *message,
                      guint          kind,
                      NavetteChange *change,
                      guint         *n)
{
  if (kind == NAVETTE_NOTIFICATION_ROLE_CHANGED)
    {
      g_test_message ("notification: %s", message);
      (*n)++;
    }
}

/* A role granted on the server reaches the engine (and the store). */
static void
test_role_change (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "bob", NULL);
  NavetteStore *store = navette_engine_lookup_store (engine, "catalogue");
  g_autofree char *err = NULL;
  guint n_notes = 0;

  g_assert_nonnull (store);
  g_assert_null (navette_engine_lookup_store (engine, "blog"));
  g_assert_cmpuint (navette_store_get_role (store), ==, NAVETTE_ROLE_READER);
  g_signal_connect (engine, "notification", G_CALLBACK (role_notification_cb), &n_notes);

  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "grant", "bob", "editor", "catalogue", NULL), ==, 0);
  g_assert_cmpint (navette_test_server_admin (server, NULL, &err, "grant", "bob", "reader", "blog", NULL), ==, 0);

  /* The engine can only see what the server says to its session. */
  {
    const char *token = navette_session_get_token (navette_engine_get_session (engine));
    g_autoptr(GBytes) body = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *editor;

    g_assert_cmpuint (navette_test_request (server, "GET", "/api/v1/me", token, NULL, &body, NULL), ==, 200);
    root = navette_test_parse (body);
    editor = json_object_get_array_member (json_object_get_object_member (json_node_get_object (root), "roles"), "editor");
    /* The server reads roles afresh for every request but light checks. */
    g_assert_cmpuint (json_array_get_length (editor), ==, 1);
  }

  navette_engine_refresh (engine);

  ENGINE_WAIT_UNTIL (navette_store_get_role (store) == NAVETTE_ROLE_EDITOR &&
                     navette_engine_lookup_store (engine, "blog") != NULL, 10000);
  g_assert_true (navette_engine_lookup_store (engine, "catalogue") == store);
  g_assert_cmpuint (n_notes, >=, 1);
  engine_test_drop (&engine, &n_notes);
}

static void
reload_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  guint *n_changed = user_data;
  g_autoptr(GError) error = NULL;

  navette_table_reload_finish (NAVETTE_TABLE (object), result, n_changed, &error);
  g_assert_no_error (error);
}

static void
check_one_row_reload (NavetteTestServer *server,
                      NavetteTable      *table,
                      const char        *id,
                      gboolean           full)
{
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *data = NULL;
  EngineTestItemsChanged ic = { 0 };
  guint n_changed = G_MAXUINT;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (table));
  guint pos = navette_table_find (table, id);
  gulong handler;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (before, g_list_model_get_item (G_LIST_MODEL (table), i));

  data = g_strdup_printf ("{\"stock\": %d}", g_random_int_range (100000, 200000));
  engine_test_patch_product (server, NULL, id, -1, data);

  handler = g_signal_connect (table, "items-changed", G_CALLBACK (engine_test_items_changed_cb), &ic);
  navette_table_reload_async (table, full, NULL, reload_cb, &n_changed);
  ENGINE_WAIT_UNTIL (n_changed != G_MAXUINT, 30000);
  g_signal_handler_disconnect (table, handler);

  g_assert_cmpuint (n_changed, ==, 1);
  g_assert_cmpuint (ic.n_calls, ==, 1);
  g_assert_cmpuint (ic.position, ==, pos);
  g_assert_cmpuint (ic.removed, ==, 1);
  g_assert_cmpuint (ic.added, ==, 1);

  /* Every row keeps its object. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (table), i);
      g_assert_true (record == g_ptr_array_index (before, i));
    }
}

static void
progress_cb (guint        *n_steps,
             GParamSpec   *pspec,
             NavetteTable *table)
{
  double progress = navette_table_get_progress (table);

  if (progress > 0.0 && progress < 1.0)
    (*n_steps)++;
}

static void
rows_loaded_cb (guint        *n_steps,
                GParamSpec   *pspec,
                NavetteTable *table)
{
  guint rows = navette_table_get_rows_loaded (table);

  /* Rows so far, while the walk goes on: the total is not known. */
  if (rows > 0 && rows < 10006 && navette_table_get_loading (table))
    {
      g_assert_cmpfloat (navette_table_get_progress (table), ==, -1.0);
      (*n_steps)++;
    }
}

static void
test_reload_smallest_change (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(NavetteEngine) engine = NULL;
  NavetteTable *table;

  if (!engine_test_have_sqlite ())
    {
      g_test_skip ("fills the table with plain SQL: needs the SQLite backend");
      return;
    }

  server = navette_test_server_start (NULL);
  engine_test_sql (server,
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) "
                   "INSERT INTO \"catalogue.products\" (name, price, stock, published) "
                   "SELECT 'Product ' || x, x * 0.5, x, x % 2 FROM c");
  engine = navette_test_engine_new (server, "alice", NULL);
  table = engine_test_load_table (engine, "catalogue", "products");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, 10006);

  /* A delta reload, then a full one. */
  navette_poller_set_push (navette_engine_get_poller (engine), FALSE);
  check_one_row_reload (server, table, DEMO_PRODUCT_2, FALSE);
  check_one_row_reload (server, table, DEMO_PRODUCT_3, TRUE);

  /* A large load reports its progress: the first page's bytes as they
   * arrive, then the rows loaded page by page (the engine asks for the
   * largest page, 10 000 rows: a second page of 6). */
  {
    guint n_changed = G_MAXUINT;
    guint n_steps = 0;
    guint n_pages = 0;
    gulong handler, rows_handler;

    handler = g_signal_connect_swapped (table, "notify::progress", G_CALLBACK (progress_cb), &n_steps);
    rows_handler = g_signal_connect_swapped (table, "notify::rows-loaded", G_CALLBACK (rows_loaded_cb), &n_pages);
    navette_table_reload_async (table, TRUE, NULL, reload_cb, &n_changed);
    ENGINE_WAIT_UNTIL (n_changed != G_MAXUINT, 30000);
    g_signal_handler_disconnect (table, handler);
    g_signal_handler_disconnect (table, rows_handler);
    g_test_message ("%u progress steps, %u pages after the first", n_steps, n_pages);
    g_assert_cmpuint (n_steps, >=, 2);
    g_assert_cmpuint (n_pages, ==, 1);
    g_assert_cmpfloat (navette_table_get_progress (table), ==, 1.0);
    g_assert_cmpuint (navette_table_get_rows_loaded (table), ==, 10006);
  }

  /* 50 adjacent rows changed: one items-changed for the run. */
  {
    EngineTestItemsChanged ic = { 0 };
    guint n_changed = G_MAXUINT;
    gulong handler;

    for (guint i = 100; i < 150; i++)
      {
        g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (table), i);
        g_autofree char *data = g_strdup_printf ("{\"stock\": %u}", 700000 + i);

        engine_test_patch_product (server, NULL, navette_record_get_id (record), -1, data);
      }
    handler = g_signal_connect (table, "items-changed", G_CALLBACK (engine_test_items_changed_cb), &ic);
    navette_table_reload_async (table, FALSE, NULL, reload_cb, &n_changed);
    ENGINE_WAIT_UNTIL (n_changed != G_MAXUINT, 30000);
    g_signal_handler_disconnect (table, handler);
    g_assert_cmpuint (n_changed, ==, 50);
    g_assert_cmpuint (ic.n_calls, ==, 1);
    g_assert_cmpuint (ic.position, ==, 100);
    g_assert_cmpuint (ic.removed, ==, 50);
    g_assert_cmpuint (ic.added, ==, 50);
  }
}

static void
reload_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GError **error = user_data;

  if (navette_table_reload_finish (NAVETTE_TABLE (object), result, NULL, error))
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "unexpected success");
}

static void
count_cb (NavettePoller *poller,
          guint         *n)
{
  (*n)++;
}

static void
answered_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = navette_client_request_finish (NAVETTE_CLIENT (object), result,
                                                           NULL, NULL, NULL, &error);

  *(gboolean *) user_data = TRUE;
}

/* Each answer of the server takes 600 ms. A stopped poller drops the
 * light checks it had sent (no "checked" round ends after the stop, no
 * answer is read), and a load given up by every caller is cancelled on
 * the wire (its answer is never read). */
static void
test_cancel_on_stop (void)
{
  const char *args[] = { "--response-delay", "600", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteStore *store = navette_engine_lookup_store (engine, "catalogue");
  NavettePoller *poller = navette_engine_get_poller (engine);
  NavetteClient *client = navette_engine_get_client (engine);
  g_autoptr(NavetteClient) other = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  NavetteTable *table;
  guint64 bytes;
  guint n_checked = 0;
  gboolean answered = FALSE;

  navette_store_load_tables_async (store, NULL, (GAsyncReadyCallback) NULL, NULL);
  ENGINE_WAIT_UNTIL (navette_store_get_loaded (store), 10000);
  table = navette_store_lookup_table (store, "products");

  /* The poller stops while its light checks are on their way. */
  g_signal_connect (poller, "checked", G_CALLBACK (count_cb), &n_checked);
  bytes = navette_client_get_bytes_received (client);
  navette_poller_refresh (poller);
  navette_poller_stop (poller);
  g_assert_false (navette_poller_get_running (poller));

  /* Another client asks the same after the stop: once it has its answer,
   * the checks would have had theirs. */
  other = navette_client_new (server->base_url);
  navette_client_set_token (other, navette_client_get_token (client));
  navette_client_request_async (other, "GET", "/api/v1/applications/catalogue/last-modified",
                                NULL, NULL, NULL, NULL, answered_cb, &answered);
  ENGINE_WAIT_UNTIL (answered, 10000);
  g_assert_cmpuint (n_checked, ==, 0);
  g_assert_cmpuint (navette_client_get_bytes_received (client), ==, bytes);

  /* Stopped, nothing else arrives: a load nobody waits for any more. */
  bytes = navette_client_get_bytes_received (client);
  navette_table_reload_async (table, TRUE, cancellable, reload_done_cb, &error);
  g_assert_true (navette_table_get_loading (table));
  g_cancellable_cancel (cancellable);
  ENGINE_WAIT_UNTIL (error != NULL && !navette_table_get_loading (table), 10000);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* It ended without its answer: the request itself was cancelled. */
  g_assert_cmpuint (navette_client_get_bytes_received (client), ==, bytes);
  g_assert_false (navette_table_get_loaded (table));

  /* Started again, it checks again. */
  navette_poller_start (poller);
  navette_poller_refresh (poller);
  ENGINE_WAIT_UNTIL (n_checked == 1, 10000);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/poller/light-then-reload-once", test_poller_light_then_reload_once);
  g_test_add_func ("/engine/poller/offline-and-back", test_poller_offline_and_back);
  g_test_add_func ("/engine/reload/smallest-change", test_reload_smallest_change);
  g_test_add_func ("/engine/session/role-change", test_role_change);
  g_test_add_func ("/engine/poller/cancel-on-stop", test_cancel_on_stop);

  return g_test_run ();
}
