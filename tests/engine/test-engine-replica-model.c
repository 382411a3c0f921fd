/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-engine-replica-model.c — the lazy model over the replica
 * (NavetteReplicaModel), the replica synced from the real navette-server:
 *
 * - n_items from the view's keys; get_item answers at once with a
 *   placeholder that fills in when its batch lands; the same object while
 *   someone holds it; the model's own cache stays bounded;
 * - after a one-row delta (a row inserted, updated in place, archived)
 *   "items-changed" covers exactly that row's position, and a held
 *   record is updated in place; three changes far apart give three
 *   ranges;
 * - sort and search through the model; a record found by id;
 * - a new view's head: its first keys and its count shown before the
 *   rest of its keys are read; positions beyond the head answered with
 *   placeholders that become their rows (the same objects, no second
 *   items-changed) once the keys are read; a find waits for them; a
 *   change landed between the head and the keys: one range from it;
 *   the count of the rows not archived;
 * - NavetteReplicaFeed: a table not loaded in memory synced into the
 *   replica at once, and again when the poller hears that another user
 *   added a row: the model gets that one row, at its position; an edit
 *   of an adopted record shows at once on the same object; the table
 *   archived on the server leaves the replica;
 * - a record created while the server is stopped shows first, at once,
 *   and at its sorted place once, when the server has it. */
#include "config.h"

#include "engine-test-util.h"
#include "navette-replica-feed.h"
#include "navette-replica-model.h"
#include "navette-replica-private.h"
#include "navette-test-dirs.h"

#define N_ADDED   250
#define N_DEMO    6

static const char * const server_args[] = { "--page-size", "50", "--max-page-size", "50", NULL };

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

static void
count_batch_cb (gpointer  instance,
                guint     n,
                guint    *count)
{
  (*count)++;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
sync_replica (NavetteReplica *replica,
              NavetteEngine  *engine,
              NavetteTable   *table)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (navette_replica_sync (replica, navette_engine_get_client (engine), "catalogue",
                                       navette_table_get_schema (table), NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Waits for the key query under way to be applied. */
static void
wait_keys (NavetteReplicaModel *model)
{
  ENGINE_WAIT_UNTIL (!navette_replica_model_get_loading (model), 30000);
}

/* The item at @position, its batch landed. (transfer full) */
static NavetteRecord *
item_filled (NavetteReplicaModel *model,
             guint                position)
{
  NavetteRecord *record = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (record);
  ENGINE_WAIT_UNTIL (*navette_record_get_id (record) != '\0', 30000);
  return record;
}

static const char *
name_of (NavetteRecord *record)
{
  return navette_record_get_string (record, "name");
}

static void
test_lazy_model (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(NavetteEngine) engine = NULL;
  NavetteTable *table;
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-model-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(NavetteReplicaModel) model = NULL;
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteRecord) first = NULL;
  g_autoptr(NavetteRecord) held = NULL;
  g_autoptr(NavetteRecord) listed_010 = NULL;
  NavetteRecord *placeholder;
  NavetteReplicaView by_name = { .sort_column = "name" };
  guint batches = 0;
  guint n_keys_loaded = 0;
  guint version_notified = 0;
  guint base;
  guint at;

  for (guint i = 0; i < N_ADDED; i++)
    {
      g_autofree char *name = g_strdup_printf ("Listed %03u", i);

      g_ptr_array_add (ids, engine_test_create_product (server, token, name, i));
    }
  engine = navette_test_engine_new (server, "alice", NULL);
  table = engine_test_load_table (engine, "catalogue", "products");
  path = navette_replica_path_for (dir, server->base_url, "alice");
  replica = navette_replica_open (path, &error);
  g_assert_no_error (error);
  sync_replica (replica, engine, table);

  model = navette_replica_model_new (replica, "catalogue", "products");
  g_assert_true (navette_replica_model_get_loading (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), changes);
  g_signal_connect (model, "batch-loaded", G_CALLBACK (count_batch_cb), &batches);
  g_signal_connect (model, "keys-loaded", G_CALLBACK (count_cb), &n_keys_loaded);
  navette_replica_model_set_view (model, &by_name);
  wait_keys (model);
  /* The first query was cancelled by the second: one applied. */
  g_assert_cmpuint (n_keys_loaded, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEMO + N_ADDED);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, N_DEMO + N_ADDED);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), N_DEMO + N_ADDED));

  /* A placeholder at once, filled in place when its batch lands. */
  placeholder = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_cmpstr (navette_record_get_id (placeholder), ==, "");
  g_assert_cmpuint (batches, ==, 0);
  first = item_filled (model, 0);
  g_assert_true (first == placeholder);
  g_object_unref (placeholder);
  g_assert_cmpuint (batches, ==, 1);
  /* Byte order: the demo's "Café …" first. */
  g_assert_cmpstr (navette_record_get_id (first), ==, DEMO_PRODUCT_1);
  /* The whole batch came with it: no other read for position 1. */
  {
    g_autoptr(NavetteRecord) second = g_list_model_get_item (G_LIST_MODEL (model), 1);

    g_assert_cmpstr (navette_record_get_id (second), !=, "");
  }

  /* Held records stay the same objects; the others are dropped. */
  /* The demo's names before "Listed …" in byte order. */
  for (base = 0; base <= N_DEMO; base++)
    {
      g_autoptr(NavetteRecord) record = item_filled (model, base);

      if (g_strcmp0 (name_of (record), "Listed 000") == 0)
        break;
    }
  g_assert_cmpuint (base, <=, N_DEMO);
  at = base + 5;
  held = item_filled (model, at);
  g_assert_cmpstr (name_of (held), ==, "Listed 005");
  listed_010 = item_filled (model, base + 10);
  g_assert_cmpstr (name_of (listed_010), ==, "Listed 010");
  navette_replica_model_set_cache_size (model, 200);
  g_assert_cmpuint (navette_replica_model_get_n_materialised (model), <=, 200 + 3);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    g_object_unref (item_filled (model, i));
  g_assert_cmpuint (batches, ==, (N_DEMO + N_ADDED + 199) / 200);
  g_assert_cmpuint (navette_replica_model_get_n_materialised (model), <=, 200 + 3);
  {
    g_autoptr(NavetteRecord) again = g_list_model_get_item (G_LIST_MODEL (model), at);

    g_assert_true (again == held);
  }
  g_assert_cmpuint (navette_replica_model_find_loaded (model, navette_record_get_id (held)), ==, at);

  /* A one-row delta: a row inserted after "Listed 005". */
  g_array_set_size (changes, 0);
  g_free (engine_test_create_product (server, token, "Listed 005a", 5000));
  sync_replica (replica, engine, table);
  navette_replica_model_refresh (model);
  wait_keys (model);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, at + 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEMO + N_ADDED + 1);
  {
    g_autoptr(NavetteRecord) inserted = item_filled (model, at + 1);

    g_assert_cmpstr (name_of (inserted), ==, "Listed 005a");
  }

  /* Updated in place, same order: no items-changed; the record held is
   * updated (notified). */
  g_array_set_size (changes, 0);
  g_signal_connect (listed_010, "notify::version", G_CALLBACK (count_notify_cb), &version_notified);
  engine_test_patch_product (server, token, navette_record_get_id (listed_010), -1, "{\"price\": 77.5}");
  sync_replica (replica, engine, table);
  navette_replica_model_refresh (model);
  wait_keys (model);
  g_assert_cmpuint (changes->len, ==, 0);
  ENGINE_WAIT_UNTIL (version_notified > 0, 30000);
  g_assert_cmpfloat (navette_record_get_double (listed_010, "price"), ==, 77.5);
  {
    g_autoptr(NavetteRecord) again = g_list_model_get_item (G_LIST_MODEL (model), base + 11);

    g_assert_true (again == listed_010);
  }

  /* Archived: hidden, its one position removed. */
  engine_test_archive_product (server, token, navette_record_get_id (held));
  sync_replica (replica, engine, table);
  navette_replica_model_refresh (model);
  wait_keys (model);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, at);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEMO + N_ADDED);

  /* Three changes far apart (two rows added, one archived): three
   * ranges, not one over the rows between them. */
  g_array_set_size (changes, 0);
  g_free (engine_test_create_product (server, token, "Listed 000a", 1));
  engine_test_archive_product (server, token, g_ptr_array_index (ids, 100));
  g_free (engine_test_create_product (server, token, "Listed 240a", 1));
  sync_replica (replica, engine, table);
  navette_replica_model_refresh (model);
  wait_keys (model);
  g_assert_cmpuint (changes->len, ==, 3);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, base + 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 1).position, ==, base + 101);
  g_assert_cmpuint (g_array_index (changes, Change, 1).removed, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 1).added, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 2).position, ==, base + 241);
  g_assert_cmpuint (g_array_index (changes, Change, 2).removed, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 2).added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEMO + N_ADDED + 1);
  {
    g_autoptr(NavetteRecord) added = item_filled (model, base + 241);
    g_autoptr(NavetteRecord) listed_010_now = item_filled (model, base + 11);

    g_assert_cmpstr (name_of (added), ==, "Listed 240a");
    g_assert_true (listed_010_now == listed_010);
  }

  /* Sorted by price, descending, through the model: 5000 first, then
   * non-increasing; the record held keeps its object. */
  {
    NavetteReplicaView by_price = { .sort_column = "price", .descending = TRUE };
    double last = G_MAXDOUBLE;

    navette_replica_model_set_view (model, &by_price);
    wait_keys (model);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_DEMO + N_ADDED + 1);
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
      {
        g_autoptr(NavetteRecord) record = item_filled (model, i);
        double price = navette_record_get_double (record, "price");

        if (i == 0)
          g_assert_cmpstr (name_of (record), ==, "Listed 005a");
        if (g_strcmp0 (navette_record_get_id (record), navette_record_get_id (listed_010)) == 0)
          g_assert_true (record == listed_010);
        g_assert_cmpfloat (price, <=, last);
        last = price;
      }
  }

  /* Searched: word prefixes. */
  {
    NavetteReplicaView search = { .sort_column = "name", .search = "listed 01" };

    navette_replica_model_set_view (model, &search);
    wait_keys (model);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 10);
    {
      g_autoptr(NavetteRecord) record = item_filled (model, 0);

      g_assert_true (record == listed_010);
    }
  }

  /* Found by id (a toast's Show): its position in this view; an archived
   * row or an unknown id is not in it. */
  {
    const char *wanted[] = { navette_record_get_id (listed_010), g_ptr_array_index (ids, 19),
                             navette_record_get_id (held), "4e617665-7474-4500-8000-0000000fffff" };
    const guint expected[] = { 0, 9, G_MAXUINT, G_MAXUINT };

    for (guint i = 0; i < G_N_ELEMENTS (wanted); i++)
      {
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) find_error = NULL;

        navette_replica_model_find_async (model, wanted[i], NULL, navette_test_store_result_cb, &result);
        ENGINE_WAIT_UNTIL (result != NULL, 30000);
        g_assert_cmpuint (navette_replica_model_find_finish (model, result, &find_error), ==, expected[i]);
        if (expected[i] == G_MAXUINT)
          g_assert_error (find_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        else
          g_assert_no_error (find_error);
      }
  }

  /* Archived only. */
  {
    NavetteReplicaView archived = { .archived = NAVETTE_REPLICA_ARCHIVED_ONLY };

    navette_replica_model_set_view (model, &archived);
    wait_keys (model);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);
    {
      g_autoptr(NavetteRecord) record = item_filled (model, 0);
      g_autoptr(NavetteRecord) other = item_filled (model, 1);

      g_assert_true (record == held || other == held);
      g_assert_true (navette_record_get_archived (held));
    }
  }

  /* A new model's view: every current row, in the order they entered
   * the replica. */
  {
    g_autoptr(NavetteReplicaModel) plain = navette_replica_model_new (replica, "catalogue", "products");
    g_autoptr(NavetteRecord) last = NULL;

    g_assert_cmpstr (navette_replica_model_get_view (plain)->sort_column, ==, "key");
    wait_keys (plain);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (plain)), ==, N_DEMO + N_ADDED + 1);
    /* The last delta brought two rows (in the server's page order). */
    last = item_filled (plain, N_DEMO + N_ADDED);
    g_assert_true (g_str_equal (name_of (last), "Listed 240a") || g_str_equal (name_of (last), "Listed 000a"));
  }

  /* Records outlive the model. */
  g_assert_finalize_object (g_steal_pointer (&model));
  g_assert_cmpstr (navette_record_get_id (held), !=, "");
  g_clear_object (&replica);
  engine_test_rm_rf (dir);
}

/* An engine signed in as alice (polling every 100 ms) on a server with
 * @n_products more products, "Listed 000" on, made by admin; a feed of
 * catalogue/products on a replica of its own, synced, its model sorted
 * by name. */
typedef struct
{
  NavetteTestServer   *server;
  char                *admin;   /* a token of admin's */
  NavetteEngine       *engine;
  NavetteStore        *store;
  NavetteTable        *table;
  char                *dir;
  NavetteReplica      *replica;
  NavetteReplicaFeed  *feed;
  NavetteReplicaModel *model;
} Synced;

static const NavetteReplicaView name_order = { .sort_column = "name" };

static void
open_synced_model (Synced *s,
                   guint   n_products)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  s->server = navette_test_server_start (server_args);
  s->admin = navette_test_login (s->server, "admin", NAVETTE_DEMO_PASSWORD);
  s->dir = g_dir_make_tmp ("navette-replica-feed-XXXXXX", NULL);
  for (guint i = 0; i < n_products; i++)
    {
      g_autofree char *name = g_strdup_printf ("Listed %03u", i);

      g_free (engine_test_create_product (s->server, s->admin, name, i));
    }
  s->engine = navette_test_engine_new (s->server, "alice", NULL);
  navette_poller_set_interval_ms (navette_engine_get_poller (s->engine), 100);
  s->store = navette_engine_lookup_store (s->engine, "catalogue");
  s->table = navette_test_engine_table (s->engine, "catalogue", "products");

  path = navette_replica_path_for (s->dir, s->server->base_url, "alice");
  s->replica = navette_replica_open (path, &error);
  g_assert_no_error (error);
  s->feed = navette_replica_feed_new (s->replica, navette_engine_get_client (s->engine), s->table);
  s->model = navette_replica_feed_get_model (s->feed);
  navette_replica_model_set_view (s->model, &name_order);
  g_assert_true (navette_replica_feed_get_syncing (s->feed));
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_synced (s->feed) && !navette_replica_model_get_loading (s->model), 30000);
  g_assert_null (navette_replica_feed_get_error (s->feed));
}

/* The feed is freed (nothing else holds it), then all the rest. */
static void
close_synced_model (Synced *s)
{
  g_assert_finalize_object (g_steal_pointer (&s->feed));
  g_clear_object (&s->replica);
  engine_test_rm_rf (s->dir);
  g_free (s->dir);
  g_clear_object (&s->engine);
  g_clear_pointer (&s->server, navette_test_server_free);
  g_free (s->admin);
}

static void
test_feed (void)
{
  Synced s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  NavetteReplicaModel *model;
  guint n_before;
  guint base;

  open_synced_model (&s, 120);
  model = s.model;
  n_before = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n_before, >=, 120);
  /* The table itself stays unloaded: the rows are in the replica only. */
  g_assert_false (navette_table_get_loaded (s.table));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (s.table)), ==, 0);

  for (base = 0; base < n_before; base++)
    {
      g_autoptr(NavetteRecord) record = item_filled (model, base);

      if (g_strcmp0 (name_of (record), "Listed 000") == 0)
        break;
    }
  g_assert_cmpuint (base, <, n_before);

  /* Another user adds a row: the poller (or the announcement) sees the
   * revision move, the feed syncs a delta, the model gets that row. */
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), changes);
  g_free (engine_test_create_product (s.server, s.admin, "Listed 004b", 4));
  ENGINE_WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (model)) == n_before + 1, 30000);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, base + 5);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 1);
  {
    g_autoptr(NavetteRecord) record = item_filled (model, base + 5);

    g_assert_cmpstr (name_of (record), ==, "Listed 004b");
    g_assert_cmpstr (navette_record_get_updated_by (record), ==, "admin");
  }

  /* An edit: the record handed out is adopted by the engine's table, the
   * store's action shows on that very object at once, and it stays the
   * row's object once the server has it and the replica synced again. */
  {
    g_autoptr(NavetteRecord) record = item_filled (model, base + 5);
    g_autoptr(NavetteChange) change = NULL;
    g_autoptr(JsonObject) data = engine_test_object_double ("price", 9.5);
    gint64 revision = navette_replica_feed_get_revision (s.feed);

    g_assert_true (navette_replica_model_adopt (model, record));
    g_assert_true (navette_table_lookup (s.table, navette_record_get_id (record)) == record);
    change = navette_store_update (s.store, s.table, navette_record_get_id (record), data);
    g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 9.5);
    g_assert_cmpint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_PENDING);
    engine_test_wait_change (change, 30000);
    g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
    ENGINE_WAIT_UNTIL (navette_replica_feed_get_revision (s.feed) > revision &&
                       !navette_replica_feed_get_syncing (s.feed) &&
                       !navette_replica_model_get_loading (model), 30000);
    g_assert_cmpint (navette_record_get_version (record), ==, 2);
    g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 9.5);
    {
      g_autoptr(NavetteRecord) again = g_list_model_get_item (G_LIST_MODEL (model), base + 5);

      g_assert_true (again == record);
    }
  }

  /* The table archived: no longer listed, it leaves the replica and the
   * model empties. */
  g_assert_cmpuint (navette_test_request (s.server, "PATCH", "/api/v1/admin/applications/catalogue/tables/products",
                                          s.admin, "{\"archived\": true}", NULL, NULL), ==, 200);
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_removed (s.feed) &&
                     g_list_model_get_n_items (G_LIST_MODEL (model)) == 0, 30000);
  {
    gint64 revision = 0;
    guint64 n_rows = 1;

    g_assert_true (navette_replica_get_table_info (s.replica, "catalogue", "products", &revision, &n_rows, &error));
    g_assert_no_error (error);
    g_assert_cmpint (revision, ==, -1);
    g_assert_cmpuint (n_rows, ==, 0);
  }

  close_synced_model (&s);
}

/* A record created while the server is stopped is not in the replica:
 * the model shows it first (the overlay table's very object, one
 * items-changed at 0), not in the archive view; once the server has it
 * and the replica synced, it is at its sorted place, once, and the head
 * is empty. */
static void
test_created_head (void)
{
  Synced s = { 0 };
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(JsonObject) data = engine_test_object_string ("name", "Listed 005b");
  g_autoptr(NavetteChange) change = NULL;
  NavetteReplicaView archived = { .sort_column = "name", .archived = NAVETTE_REPLICA_ARCHIVED_ONLY };
  NavetteReplicaModel *model;
  NavetteRecord *created;
  gint64 revision;
  guint n_before, n, seen = 0;
  gulong handler;

  open_synced_model (&s, 10);
  model = s.model;
  n_before = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n_before, >=, 10);

  /* The server stopped: the create waits, and shows first at once. */
  navette_test_server_stop (s.server);
  handler = g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), changes);
  change = navette_store_create (s.store, s.table, NULL, data);
  created = navette_table_lookup (s.table, navette_change_get_record_id (change));
  g_assert_nonnull (created);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_before + 1);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 1);
  {
    g_autoptr(NavetteRecord) first = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_autoptr(NavetteRecord) second = item_filled (model, 1);

    g_assert_true (first == created);
    g_assert_cmpstr (name_of (first), ==, "Listed 005b");
    g_assert_false (second == created);
    g_assert_cmpuint (navette_replica_model_find_loaded (model, navette_record_get_id (created)), ==, 0);
  }
  /* A refresh while offline keeps it (the replica has no such row). */
  navette_replica_model_refresh (model);
  wait_keys (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_before + 1);
  {
    g_autoptr(NavetteRecord) first = g_list_model_get_item (G_LIST_MODEL (model), 0);

    g_assert_true (first == created);
  }

  /* The archive view does not show it; back to the list, it is first. */
  navette_replica_model_set_view (model, &archived);
  wait_keys (model);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_assert_false (record == created);
    }
  g_assert_cmpuint (navette_replica_model_find_loaded (model, navette_record_get_id (created)), ==, G_MAXUINT);
  navette_replica_model_set_view (model, &name_order);
  wait_keys (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_before + 1);
  {
    g_autoptr(NavetteRecord) first = g_list_model_get_item (G_LIST_MODEL (model), 0);

    g_assert_true (first == created);
  }

  /* The server back: the create lands, the feed syncs, the record is at
   * its sorted place (after "Listed 005"), once. */
  revision = navette_replica_feed_get_revision (s.feed);
  navette_test_server_restart (s.server);
  engine_test_wait_change (change, 30000);
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_revision (s.feed) > revision &&
                     !navette_replica_feed_get_syncing (s.feed) &&
                     !navette_replica_model_get_loading (model) &&
                     g_list_model_get_n_items (G_LIST_MODEL (model)) == n_before + 1, 30000);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) filled = item_filled (model, i);
      /* A placeholder filled with the overlay's row is swapped with the
       * table's object: asked again. */
      g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (g_strcmp0 (navette_record_get_id (filled), navette_record_get_id (created)) != 0)
        continue;
      seen++;
      g_assert_true (record == created);
      if (i > 0)
        {
          g_autoptr(NavetteRecord) before = item_filled (model, i - 1);

          g_assert_cmpstr (name_of (before), ==, "Listed 005");
        }
    }
  g_assert_cmpuint (seen, ==, 1);
  g_assert_cmpint (navette_record_get_version (created), ==, 1);
  /* No items-changed ever showed it twice (it left the top before the
   * replica's keys with its row were applied). */
  for (guint i = 0, count = n_before; i < changes->len; i++)
    {
      const Change *c = &g_array_index (changes, Change, i);

      count = count - c->removed + c->added;
      g_assert_cmpuint (count, <=, n_before + 1);
      if (i + 1 == changes->len)
        g_assert_cmpuint (count, ==, n);
    }

  g_signal_handler_disconnect (model, handler);
  close_synced_model (&s);
}

/* The engine opens the replica of its user (with a data directory),
 * hands out one feed per table, with the progress of a first sync, and
 * drops an application the user loses from the replica. */
static void
rows_synced_cb (NavetteReplicaFeed *feed,
                GParamSpec         *pspec,
                guint64            *seen)
{
  if (!navette_replica_feed_get_synced (feed))
    *seen = MAX (*seen, navette_replica_feed_get_rows_synced (feed));
}

static void
test_engine_feeds (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autoptr(NavetteEngine) engine = navette_engine_new (server->base_url);
  g_autoptr(NavetteEngine) bare = navette_test_engine_new (server, "bob", NULL);
  g_autoptr(NavetteStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("navette-engine-feeds-XXXXXX", NULL);
  g_autofree char *path = NULL;
  NavetteReplica *replica;
  NavetteReplicaFeed *feed;
  NavetteTable *table;
  guint64 seen = 0;
  guint64 n_rows = 0;
  gint64 revision = 0;

  navette_engine_set_data_dir (engine, dir);
  /* Before the first load the user is not known: no replica. */
  g_assert_null (navette_engine_get_replica (engine));
  navette_test_sign_in_and_load (engine, "bob");

  replica = navette_engine_get_replica (engine);
  g_assert_nonnull (replica);
  path = navette_replica_path_for (dir, server->base_url, "bob");
  g_assert_cmpstr (navette_replica_get_path (replica), ==, path);
  g_assert_true (navette_engine_get_replica (engine) == replica);

  /* Held: its table is asked about again once the application is gone. */
  store = g_object_ref (navette_engine_lookup_store (engine, "catalogue"));
  table = navette_test_engine_table (engine, "catalogue", "products");

  /* No data directory: no replica, no feed. */
  {
    NavetteStore *bare_store = navette_engine_lookup_store (bare, "catalogue");
    g_autoptr(GAsyncResult) loaded = NULL;

    g_assert_null (navette_engine_get_replica (bare));
    navette_store_load_tables_async (bare_store, NULL, navette_test_store_result_cb, &loaded);
    ENGINE_WAIT_UNTIL (loaded != NULL, 30000);
    g_assert_null (navette_engine_open_feed (bare, navette_store_lookup_table (bare_store, "products")));
  }

  feed = navette_engine_open_feed (engine, table);
  g_assert_nonnull (feed);
  g_assert_true (navette_engine_open_feed (engine, table) == feed);
  g_assert_true (navette_engine_lookup_feed (engine, table) == feed);
  g_signal_connect (feed, "notify::rows-synced", G_CALLBACK (rows_synced_cb), &seen);
  ENGINE_WAIT_UNTIL (navette_replica_feed_get_synced (feed), 30000);
  g_signal_handlers_disconnect_by_func (feed, rows_synced_cb, &seen);
  g_assert_true (navette_replica_get_table_info (replica, "catalogue", "products", &revision, &n_rows, &error));
  g_assert_cmpuint (n_rows, >=, 6);
  /* Pages of 50: the demo's rows in one, seen as they were applied. */
  g_assert_cmpuint (seen, ==, n_rows);

  /* The application taken away: its tables leave the replica. */
  navette_test_server_admin_check (server, "revoke", "bob", "catalogue", NULL);
  navette_engine_refresh (engine);
  ENGINE_WAIT_UNTIL (navette_engine_lookup_store (engine, "catalogue") == NULL, 60000);
  ENGINE_WAIT_UNTIL (navette_replica_get_table_info (replica, "catalogue", "products", &revision, &n_rows, NULL) &&
                     revision == -1, 30000);
  g_assert_null (navette_engine_lookup_feed (engine, table));

  g_clear_object (&engine);
  engine_test_rm_rf (dir);
}

/* A job on the replica's worker that waits at a gate: what follows it in
 * the queue waits too. With @archive_position's key set, archives that
 * row first (a sync landing between a view's head and its keys). */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean entered;
  gboolean open;
  gint64   archive_key;
} Gate;

static void
gate_job (NavetteReplica *replica,
          gpointer        data)
{
  Gate *gate = data;

  g_mutex_lock (&gate->mutex);
  gate->entered = TRUE;
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->mutex);
  g_mutex_unlock (&gate->mutex);
  if (gate->archive_key > 0)
    {
      gint64 id = replica_lookup_table (replica, "catalogue", "products", NULL, NULL, NULL);
      g_autofree char *sql = g_strdup_printf ("UPDATE r%" G_GINT64_FORMAT " SET archived = 1 WHERE key = %" G_GINT64_FORMAT,
                                              id, gate->archive_key);

      g_assert_cmpint (id, >, 0);
      g_assert_true (replica_sql_exec (replica, sql, NULL));
    }
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->open = TRUE;
  g_cond_signal (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

static gboolean
gate_entered (Gate *gate)
{
  gboolean entered;

  g_mutex_lock (&gate->mutex);
  entered = gate->entered;
  g_mutex_unlock (&gate->mutex);
  return entered;
}

/* A model of head-size @head whose head is applied while its whole keys
 * wait behind @gate: the worker holds at @first, the model queues its
 * head before everything (and its keys after @gate), then @first opens. */
static NavetteReplicaModel *
model_held_after_head (NavetteReplica *replica,
                       Gate           *first,
                       Gate           *gate,
                       guint           head,
                       guint           head_rows,
                       GArray         *changes)
{
  NavetteReplicaModel *model;

  replica_push_job (replica, gate_job, first);
  ENGINE_WAIT_UNTIL (gate_entered (first), 30000);
  replica_push_job (replica, gate_job, gate);
  model = g_object_new (NAVETTE_TYPE_REPLICA_MODEL, "replica", replica, "app", "catalogue",
                        "table", "products", "head-size", head,
                        "head-rows", head_rows, NULL);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), changes);
  gate_open (first);
  ENGINE_WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (model)) > 0, 30000);
  ENGINE_WAIT_UNTIL (gate_entered (gate), 30000);
  return model;
}

static void
test_head (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(NavetteEngine) engine = NULL;
  NavetteTable *table;
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-head-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(NavetteReplicaModel) whole = NULL;
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GError) error = NULL;
  const guint n = N_DEMO + N_ADDED;
  guint keys_loaded = 0;

  for (guint i = 0; i < N_ADDED; i++)
    {
      g_autofree char *name = g_strdup_printf ("Listed %03u", i);

      g_free (engine_test_create_product (server, token, name, i));
    }
  engine = navette_test_engine_new (server, "alice", NULL);
  table = engine_test_load_table (engine, "catalogue", "products");
  path = navette_replica_path_for (dir, server->base_url, "alice");
  replica = navette_replica_open (path, &error);
  g_assert_no_error (error);
  sync_replica (replica, engine, table);

  /* The reference: the whole keys at once. */
  whole = g_object_new (NAVETTE_TYPE_REPLICA_MODEL, "replica", replica, "app", "catalogue",
                        "table", "products", "head-size", 0, NULL);
  wait_keys (whole);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (whole)), ==, n);

  {
    Gate first = { 0 }, gate = { 0 };
    g_autoptr(NavetteReplicaModel) model = NULL;
    g_autoptr(NavetteRecord) beyond = NULL;
    g_autoptr(NavetteRecord) beyond_again = NULL;
    g_autoptr(NavetteRecord) within = NULL;
    g_autoptr(NavetteRecord) expected = item_filled (whole, 230);
    g_autoptr(GAsyncResult) found = NULL;
    g_autoptr(GError) find_error = NULL;

    model = model_held_after_head (replica, &first, &gate, 50, 0, changes);
    g_signal_connect (model, "keys-loaded", G_CALLBACK (count_cb), &keys_loaded);
    /* The head shown: every row counted, the first 50 keys known, the
     * rest still being read. */
    g_assert_true (navette_replica_model_get_loading (model));
    g_assert_cmpuint (keys_loaded, ==, 0);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
    g_assert_cmpuint (changes->len, ==, 1);
    g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, 0);
    g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 0);
    g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, n);
    for (guint i = 0; i < 50; i++)
      g_assert_cmpint (navette_replica_model_get_key (model, i), ==, navette_replica_model_get_key (whole, i));
    g_assert_cmpint (navette_replica_model_get_key (model, 50), ==, -1);
    g_assert_cmpint (navette_replica_model_get_key (model, n - 1), ==, -1);
    g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));

    /* Beyond the head: a placeholder, the same one when asked again. */
    beyond = g_list_model_get_item (G_LIST_MODEL (model), 200);
    g_assert_cmpstr (navette_record_get_id (beyond), ==, "");
    beyond_again = g_list_model_get_item (G_LIST_MODEL (model), 200);
    g_assert_true (beyond_again == beyond);
    /* Within it: a placeholder whose batch is on its way. */
    within = g_list_model_get_item (G_LIST_MODEL (model), 10);
    /* A record beyond the head is found once the keys are read. */
    navette_replica_model_find_async (model, navette_record_get_id (expected), NULL, navette_test_store_result_cb, &found);

    gate_open (&gate);
    wait_keys (model);
    g_assert_cmpuint (keys_loaded, ==, 1);
    /* Nothing moved: no second items-changed. */
    g_assert_cmpuint (changes->len, ==, 1);
    for (guint i = 0; i < n; i++)
      g_assert_cmpint (navette_replica_model_get_key (model, i), ==, navette_replica_model_get_key (whole, i));
    /* The placeholder became its row, in place. */
    ENGINE_WAIT_UNTIL (*navette_record_get_id (beyond) != '\0', 30000);
    {
      g_autoptr(NavetteRecord) row = item_filled (whole, 200);
      g_autoptr(NavetteRecord) again = g_list_model_get_item (G_LIST_MODEL (model), 200);

      g_assert_cmpstr (navette_record_get_id (beyond), ==, navette_record_get_id (row));
      g_assert_cmpstr (name_of (beyond), ==, name_of (row));
      g_assert_true (again == beyond);
    }
    ENGINE_WAIT_UNTIL (*navette_record_get_id (within) != '\0', 30000);
    {
      g_autoptr(NavetteRecord) row = item_filled (whole, 10);

      g_assert_cmpstr (navette_record_get_id (within), ==, navette_record_get_id (row));
    }
    ENGINE_WAIT_UNTIL (found != NULL, 30000);
    g_assert_cmpuint (navette_replica_model_find_finish (model, found, &find_error), ==, 230);
    g_assert_no_error (find_error);
  }

  /* A row archived between the head and the keys (position 120): one
   * range from there, the count right. */
  {
    Gate first = { 0 }, gate = { 0 };
    g_autoptr(NavetteReplicaModel) model = NULL;
    g_autoptr(NavetteRecord) after = NULL;

    gate.archive_key = navette_replica_model_get_key (whole, 120);
    g_array_set_size (changes, 0);
    model = model_held_after_head (replica, &first, &gate, 50, 0, changes);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
    g_assert_cmpuint (changes->len, ==, 1);
    gate_open (&gate);
    wait_keys (model);
    g_assert_cmpuint (changes->len, ==, 2);
    g_assert_cmpuint (g_array_index (changes, Change, 1).position, ==, 50);
    g_assert_cmpuint (g_array_index (changes, Change, 1).removed, ==, n - 50);
    g_assert_cmpuint (g_array_index (changes, Change, 1).added, ==, n - 51);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n - 1);
    g_assert_cmpint (navette_replica_model_get_key (model, 119), ==, navette_replica_model_get_key (whole, 119));
    g_assert_cmpint (navette_replica_model_get_key (model, 120), ==, navette_replica_model_get_key (whole, 121));
    after = item_filled (model, 120);
    g_assert_cmpint (navette_replica_model_get_key (whole, 121), >, 0);
  }

  /* The sidebar's count: the rows not archived (one is now). */
  {
    g_autoptr(GAsyncResult) counted = NULL;
    g_autoptr(GError) count_error = NULL;

    navette_replica_count_async (replica, "catalogue", "products", NULL, NULL, navette_test_store_result_cb, &counted);
    ENGINE_WAIT_UNTIL (counted != NULL, 30000);
    g_assert_cmpint (navette_replica_count_finish (replica, counted, &count_error), ==, n - 1);
    g_assert_no_error (count_error);
  }

  /* With the records created here: those the replica does not hold yet
   * are listed first, so counted; one it holds is not counted twice. */
  {
    g_autoptr(GAsyncResult) counted = NULL;
    g_autoptr(GError) count_error = NULL;
    g_autoptr(NavetteRecord) held = item_filled (whole, 10);
    const char *created[] = { navette_record_get_id (held), "created-here-not-sent", NULL };

    navette_replica_count_async (replica, "catalogue", "products", created, NULL,
                                 navette_test_store_result_cb, &counted);
    ENGINE_WAIT_UNTIL (counted != NULL, 30000);
    g_assert_cmpint (navette_replica_count_finish (replica, counted, &count_error), ==, n);
    g_assert_no_error (count_error);
  }

  /* The head's first rows read with it: materialised before the range,
   * while the worker is still held (nothing else could read them). */
  {
    Gate first = { 0 }, gate = { 0 };
    g_autoptr(NavetteReplicaModel) model = NULL;
    g_autoptr(NavetteRecord) fifth = NULL;
    g_autoptr(NavetteRecord) later = NULL;
    g_autoptr(NavetteRecord) row = item_filled (whole, 5);

    g_array_set_size (changes, 0);
    model = model_held_after_head (replica, &first, &gate, 50, 20, changes);
    fifth = g_list_model_get_item (G_LIST_MODEL (model), 5);
    g_assert_cmpstr (navette_record_get_id (fifth), ==, navette_record_get_id (row));
    g_assert_cmpstr (name_of (fifth), ==, name_of (row));
    later = g_list_model_get_item (G_LIST_MODEL (model), 30);
    g_assert_cmpstr (navette_record_get_id (later), ==, "");
    gate_open (&gate);
    wait_keys (model);
    ENGINE_WAIT_UNTIL (*navette_record_get_id (later) != '\0', 30000);
    g_assert_cmpuint (changes->len, ==, 1);
  }

  g_clear_object (&whole);
  g_clear_object (&replica);
  engine_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/replica-model/lazy", test_lazy_model);
  g_test_add_func ("/engine/replica-model/head", test_head);
  g_test_add_func ("/engine/replica-model/feed", test_feed);
  g_test_add_func ("/engine/replica-model/created-head", test_created_head);
  g_test_add_func ("/engine/replica-model/engine-feeds", test_engine_feeds);
  return g_test_run ();
}
