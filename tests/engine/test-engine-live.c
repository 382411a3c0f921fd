/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Live schema and roles against the real server, changed by the
 * `navette-server` administration commands while the engine is open:
 *  - a table and a column added appear (push on; and push off, by the
 *    light check's schema_revision alone), the new table loads;
 *  - a grant adds an application and switches reader → editor, a revoke
 *    removes it with a notification, and its unsent changes are listed as
 *    failed with that reason (push on; and off, by `/me`'s ETag). */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "engine-test-util.h"

static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

static void
check_live_schema (gboolean push)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *articles = engine_test_load_table (engine, "blog", "articles");
  NavetteStore *blog = navette_table_get_store (articles);
  NavetteTable *notes;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint schema_changes = 0;

  engine_test_set_push (engine, push, 200);
  g_signal_connect (articles, "schema-changed", G_CALLBACK (count_cb), &schema_changes);

  /* A table added while open is listed, and loads. */
  g_assert_null (navette_store_lookup_table (blog, "notes"));
  navette_test_server_admin_check (server, "table", "add", "blog", "notes", "--column", "text:text:required", NULL);
  ENGINE_WAIT_UNTIL (navette_store_lookup_table (blog, "notes") != NULL, 60000);
  notes = engine_test_load_table (engine, "blog", "notes");
  g_assert_true (navette_table_get_loaded (notes));
  g_assert_nonnull (navette_table_lookup_column (notes, "text"));

  /* A column added to a loaded table: the same table object, a new
   * schema, said once. */
  g_assert_null (navette_table_lookup_column (articles, "subtitle"));
  navette_test_server_admin_check (server, "column", "add", "blog", "articles", "subtitle:text", NULL);
  ENGINE_WAIT_UNTIL (navette_table_lookup_column (articles, "subtitle") != NULL, 60000);
  g_assert_cmpuint (schema_changes, ==, 1);
  g_assert_true (navette_store_lookup_table (blog, "articles") == articles);
  g_assert_nonnull (navette_table_lookup_column (articles, "title"));

  /* Nothing moves: no schema change is said again. Polling, two whole
   * rounds of light checks answered meanwhile (a round is sent once the
   * last one is done); with push, whose socket says nothing more, a
   * quiet spell. */
  if (push)
    engine_test_run_for (300);
  else
    {
      NavettePoller *poller = navette_engine_get_poller (engine);
      guint64 n_stores = g_list_model_get_n_items (navette_engine_get_stores (engine));
      guint64 polls = navette_poller_get_polls (poller);

      ENGINE_WAIT_UNTIL (navette_poller_get_polls (poller) > polls + 2 * n_stores, 10000);
    }
  g_assert_cmpuint (schema_changes, ==, 1);
}

static void
test_schema_push (void)
{
  check_live_schema (TRUE);
}

static void
test_schema_poll (void)
{
  check_live_schema (FALSE);
}

typedef struct
{
  guint  n_role_notes;
  char  *last;
} RoleSpy;

static void
notification_cb (NavetteEngine *engine,
                 const char    *message,
                 guint          kind,
                 NavetteChange *change,
                 RoleSpy       *spy)
{
  if (kind != NAVETTE_NOTIFICATION_ROLE_CHANGED)
    return;
  g_test_message ("notification: %s", message);
  spy->n_role_notes++;
  g_free (spy->last);
  spy->last = g_strdup (message);
}

static void
check_live_roles (gboolean push)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "bob", NULL);
  NavetteTable *products = engine_test_load_table (engine, "catalogue", "products");
  NavetteStore *catalogue = navette_table_get_store (products);
  GListModel *failed = navette_engine_get_failed_changes (engine);
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(JsonObject) data = engine_test_object_int ("stock", 4242);
  RoleSpy spy = { 0 };

  engine_test_set_push (engine, push, 200);
  g_signal_connect (engine, "notification", G_CALLBACK (notification_cb), &spy);
  g_assert_cmpint (navette_store_get_role (catalogue), ==, NAVETTE_ROLE_READER);
  g_assert_null (navette_engine_lookup_store (engine, "blog"));

  /* A new application appears. */
  navette_test_server_admin_check (server, "grant", "bob", "reader", "blog", NULL);
  ENGINE_WAIT_UNTIL (navette_engine_lookup_store (engine, "blog") != NULL, 60000);

  /* Reader → editor, in place (the same store). */
  navette_test_server_admin_check (server, "grant", "bob", "editor", "catalogue", NULL);
  ENGINE_WAIT_UNTIL (navette_store_get_role (catalogue) == NAVETTE_ROLE_EDITOR, 60000);
  g_assert_true (navette_engine_lookup_store (engine, "catalogue") == catalogue);
  g_assert_true (navette_store_can_edit (catalogue));

  /* An unsent change (held: the session is taken as expired) … */
  navette_middleware_wait_for_sign_in (navette_engine_get_middleware (engine));
  change = navette_store_update (catalogue, products, DEMO_PRODUCT_1, data);
  g_assert_true (navette_change_get_waiting (change));
  g_assert_cmpuint (g_list_model_get_n_items (failed), ==, 0);

  /* … fails with the reason when the application is taken away. */
  navette_test_server_admin_check (server, "revoke", "bob", "catalogue", NULL);
  ENGINE_WAIT_UNTIL (navette_engine_lookup_store (engine, "catalogue") == NULL, 60000);
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_cmpuint (g_list_model_get_n_items (failed), ==, 1);
  g_assert_error (navette_change_get_error (change), NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (navette_change_get_error (change)->message, "no longer have access"));
  g_assert_nonnull (spy.last);
  g_assert_nonnull (strstr (spy.last, "no longer have access"));
  /* Rolled back: the model shows the server's value again. */
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (products, DEMO_PRODUCT_1), "stock"),
                   !=, 4242);
  engine_test_drop (&engine, &spy);
  g_free (spy.last);
}

static void
test_roles_push (void)
{
  check_live_roles (TRUE);
}

static void
test_roles_poll (void)
{
  check_live_roles (FALSE);
}

/* F5 revalidates everything: with neither push nor polls, a refresh
 * finds a column added. */
static void
test_refresh_rereads_schema (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *articles = engine_test_load_table (engine, "blog", "articles");
  NavettePoller *poller = navette_engine_get_poller (engine);

  navette_poller_set_push (poller, FALSE);
  navette_poller_set_interval (poller, 3600);
  navette_test_server_admin_check (server, "column", "add", "blog", "articles", "subtitle:text", NULL);
  engine_test_run_for (300);
  g_assert_null (navette_table_lookup_column (articles, "subtitle"));

  navette_engine_refresh (engine);
  ENGINE_WAIT_UNTIL (navette_table_lookup_column (articles, "subtitle") != NULL, 60000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/live/schema-push", test_schema_push);
  g_test_add_func ("/engine/live/schema-poll", test_schema_poll);
  g_test_add_func ("/engine/live/roles-push", test_roles_push);
  g_test_add_func ("/engine/live/roles-poll", test_roles_poll);
  g_test_add_func ("/engine/live/refresh", test_refresh_rereads_schema);

  return g_test_run ();
}
