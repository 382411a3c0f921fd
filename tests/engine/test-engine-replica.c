/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-engine-replica.c — the local replica (NavetteReplica) against the
 * real navette-server with pages of 50 rows:
 *
 * - a first sync of a few hundred rows, page by page, holds exactly what
 *   the server lists (ids, versions, data, revision);
 * - a delta (updates, new rows, archived rows) is applied;
 * - views: sorted by a text and a number column both ways, searched
 *   through FTS5, archived rows filtered;
 * - two users of one server get two replica files;
 * - a column added on the server migrates the replica's table;
 * - a whole walk interrupted (rows, no index on id, stale FTS) is made
 *   whole by the next one;
 * - navette-cli ls processes killed with SIGKILL over and over during a
 *   first sync, then during a delta, leave a replica that a resumed sync
 *   makes equal to the server;
 * - navette-cli ls --sort, --search, --limit, --json read the replica;
 * - text sorts by its sort key (accents and case second, numbers by
 *   value), in the replica as in navette-cli ls; old replicas migrate;
 * - a searched view's keys are the same whether the matches are joined
 *   in SQL and sorted, or the view's order (read, or kept by the worker)
 *   is filtered by a bitmap of the matches: ties, accents, archived rows,
 *   limits; and after a delta or another connection's write. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "engine-test-util.h"
#include "navette-engine-private.h"
#include "navette-test-dirs.h"
#include "navette-wire.h"

#define PAGE_SIZE 50
#define N_ADDED   300
#define N_DEMO    6
#define PRODUCTS  "/api/v1/applications/catalogue/tables/products"

static const char * const server_args[] = { "--page-size", G_STRINGIFY (PAGE_SIZE),
                                            "--max-page-size", G_STRINGIFY (PAGE_SIZE), NULL };

/* The products table's schema, as the server gives it now. */
static NavetteWireTable *
products_schema (NavetteTestServer *server,
                 const char        *token)
{
  g_autoptr(JsonObject) object = navette_test_table_json (server, token, "catalogue", "products");
  g_autoptr(GError) error = NULL;
  NavetteWireTable *schema = navette_wire_table_from_json (object, &error);

  g_assert_no_error (error);
  return schema;
}

/* Every record of the table, from the server (all pages). */
static GPtrArray *
server_records (NavetteClient *client,
                gint64        *revision)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *records;

  navette_client_list_records_async (client, "catalogue", "products", -1, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 30000);
  records = navette_client_list_records_finish (client, result, revision, &error);
  g_assert_no_error (error);
  return records;
}

static GArray *
query_keys (NavetteReplica           *replica,
            const NavetteReplicaView *view)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GArray *keys;

  navette_replica_query_keys_async (replica, "catalogue", "products", view, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 30000);
  keys = navette_replica_query_keys_finish (replica, result, &error);
  g_assert_no_error (error);
  return keys;
}

static GPtrArray *
fetch (NavetteReplica *replica,
       GArray         *keys)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  navette_replica_fetch_async (replica, "catalogue", "products", (const gint64 *) keys->data, keys->len,
                               NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 30000);
  rows = navette_replica_fetch_finish (replica, result, &error);
  g_assert_no_error (error);
  return rows;
}

/* The replica holds exactly the server's records (every one, archived
 * included, by id: ids, versions, archived, data) at its revision. */
static void
assert_same_as_server (NavetteReplica *replica,
                       NavetteClient  *client)
{
  gint64 server_revision = 0;
  gint64 revision = 0;
  guint64 n_rows = 0;
  g_autoptr(GPtrArray) expected = server_records (client, &server_revision);
  NavetteReplicaView view = { .archived = NAVETTE_REPLICA_ARCHIVED_ALL };
  g_autoptr(GArray) keys = query_keys (replica, &view);
  g_autoptr(GPtrArray) rows = fetch (replica, keys);
  g_autoptr(GError) error = NULL;

  g_assert_true (navette_replica_get_table_info (replica, "catalogue", "products", &revision, &n_rows, &error));
  g_assert_no_error (error);
  g_assert_cmpint (revision, ==, server_revision);
  g_assert_cmpuint (n_rows, ==, expected->len);
  g_assert_cmpuint (rows->len, ==, expected->len);
  for (guint i = 0; i < rows->len; i++)
    {
      NavetteRecord *got = g_ptr_array_index (rows, i);
      NavetteWireRecord *want = g_ptr_array_index (expected, i);
      g_autoptr(NavetteWireRecord) wire = navette_record_to_wire (got);
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;
      g_autoptr(GString) sa = g_string_new (NULL);
      g_autoptr(GString) sb = g_string_new (NULL);

      g_assert_cmpstr (navette_record_get_id (got), ==, want->id);
      g_assert_cmpint (navette_record_get_version (got), ==, want->version);
      g_assert_cmpint (navette_record_get_archived (got), ==, want->archived);
      navette_wire_record_append_json (wire, sa, FALSE);
      navette_wire_record_append_json (want, sb, FALSE);
      g_assert_cmpstr (sa->str, ==, sb->str);
    }
}

/* A client of its own (no poller making requests meanwhile). */
static NavetteClient *
client_new (NavetteTestServer *server,
            const char        *user)
{
  g_autofree char *token = navette_test_login (server, user, NAVETTE_DEMO_PASSWORD);
  NavetteClient *client = navette_client_new (server->base_url);

  navette_client_set_token (client, token);
  return client;
}

static NavetteReplica *
open_replica (const char *dir,
              const char *url,
              const char *user)
{
  g_autofree char *path = navette_replica_path_for (dir, url, user);
  g_autoptr(GError) error = NULL;
  NavetteReplica *replica = navette_replica_open (path, &error);

  g_assert_no_error (error);
  return replica;
}

static guint64
sync_replica (NavetteReplica   *replica,
              NavetteClient    *client,
              NavetteWireTable *schema)
{
  g_autoptr(GError) error = NULL;
  guint64 n_rows = 0;

  g_assert_true (navette_replica_sync (replica, client, "catalogue", schema, NULL, &n_rows, &error));
  g_assert_no_error (error);
  return n_rows;
}

static gint64 replica_sql_int (const char *path,
                               const char *sql);

static void
test_sync_delta_views (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Listed", N_ADDED);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autoptr(NavetteReplica) replica = open_replica (dir, server->base_url, "alice");
  g_autoptr(NavetteReplica) bob_replica = NULL;
  guint64 requests;

  /* First sync: every page, one request each. */
  requests = navette_client_get_requests (client);
  g_assert_cmpuint (sync_replica (replica, client, schema), ==, N_DEMO + N_ADDED);
  g_assert_cmpuint (navette_client_get_requests (client) - requests, ==, (N_DEMO + N_ADDED + PAGE_SIZE - 1) / PAGE_SIZE);
  assert_same_as_server (replica, client);
  /* The FTS index, filled page by page, finds every row; it is left in
   * one segment, its automatic merges and its triggers back. */
  {
    g_autofree char *path = navette_replica_path_for (dir, server->base_url, "alice");
    NavetteReplicaView search = { .search = "listed", .sort_column = "name" };
    g_autoptr(GArray) keys = query_keys (replica, &search);

    g_assert_cmpuint (keys->len, ==, N_ADDED);
    g_assert_cmpint (replica_sql_int (path, "SELECT count(DISTINCT id >> 37) FROM f1_data WHERE id >> 37 > 0"), ==, 1);
    g_assert_cmpint (replica_sql_int (path, "SELECT v FROM f1_config WHERE k = 'automerge'"), ==, 4);
    g_assert_cmpint (replica_sql_int (path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'r1'"), ==, 3);
  }

  /* Nothing changed: the delta is empty. */
  g_assert_cmpuint (sync_replica (replica, client, schema), ==, 0);

  /* A delta: 60 updates, 70 new rows (two pages), 5 archived. */
  for (guint i = 0; i < 60; i++)
    engine_test_patch_product (server, token, g_ptr_array_index (ids, i), -1, "{\"price\": 1000.5}");
  g_ptr_array_unref (engine_test_create_products (server, token, "Delta", 70));
  for (guint i = 100; i < 105; i++)
    engine_test_archive_product (server, token, g_ptr_array_index (ids, i));
  g_assert_cmpuint (sync_replica (replica, client, schema), ==, 60 + 70 + 5);
  assert_same_as_server (replica, client);

  /* Views. Sorted by price, descending: non-increasing; ascending: the
   * reverse order of the same rows (ties broken by id). */
  {
    NavetteReplicaView desc = { .sort_column = "price", .descending = TRUE };
    NavetteReplicaView asc = { .sort_column = "price" };
    g_autoptr(GArray) keys = query_keys (replica, &desc);
    g_autoptr(GArray) asc_keys = query_keys (replica, &asc);
    g_autoptr(GPtrArray) rows = fetch (replica, keys);
    double last = G_MAXDOUBLE;

    /* Archived rows are hidden by default. */
    g_assert_cmpuint (keys->len, ==, N_DEMO + N_ADDED + 70 - 5);
    g_assert_cmpuint (asc_keys->len, ==, keys->len);
    for (guint i = 0; i < rows->len; i++)
      {
        JsonObject *data = navette_record_get_data (g_ptr_array_index (rows, i));
        double price = json_object_get_double_member (data, "price");

        g_assert_cmpfloat (price, <=, last);
        g_assert_false (navette_record_get_archived (g_ptr_array_index (rows, i)));
        last = price;
      }
    g_assert_cmpfloat (json_object_get_double_member (navette_record_get_data (g_ptr_array_index (rows, 0)), "price"), ==, 1000.5);
  }
  {
    NavetteReplicaView by_name = { .sort_column = "name", .limit = 3 };
    g_autoptr(GArray) keys = query_keys (replica, &by_name);
    g_autoptr(GPtrArray) rows = fetch (replica, keys);

    g_assert_cmpuint (rows->len, ==, 3);
    /* Byte order: "Café …" (demo), then "Delta 000", "Delta 001". */
    g_assert_cmpstr (navette_record_get_id (g_ptr_array_index (rows, 0)), ==, DEMO_PRODUCT_1);
    g_assert_cmpstr (json_object_get_string_member (navette_record_get_data (g_ptr_array_index (rows, 1)), "name"), ==, "Delta 000");
    g_assert_cmpstr (json_object_get_string_member (navette_record_get_data (g_ptr_array_index (rows, 2)), "name"), ==, "Delta 001");
  }
  {
    NavetteReplicaView only = { .archived = NAVETTE_REPLICA_ARCHIVED_ONLY };
    g_autoptr(GArray) keys = query_keys (replica, &only);

    g_assert_cmpuint (keys->len, ==, 5);
  }
  /* Search: word prefixes, every word, accents folded. */
  {
    NavetteReplicaView search = { .search = "listed 01", .sort_column = "name" };
    g_autoptr(GArray) keys = query_keys (replica, &search);
    g_autoptr(GPtrArray) rows = fetch (replica, keys);

    g_assert_cmpuint (rows->len, ==, 10);
    g_assert_cmpstr (json_object_get_string_member (navette_record_get_data (g_ptr_array_index (rows, 0)), "name"), ==, "Listed 010");
  }
  /* A word most rows have (read through a bitmap of the FTS rows, not a
   * join): the same rows, in the same order, as the sorted view filtered
   * by hand; with a limit, its first rows; archived ones only on demand. */
  {
    NavetteReplicaView sorted = { .sort_column = "price", .descending = TRUE };
    NavetteReplicaView search = { .search = "listed", .sort_column = "price", .descending = TRUE };
    NavetteReplicaView first = { .search = "listed", .sort_column = "price", .descending = TRUE, .limit = 7 };
    NavetteReplicaView archived = { .search = "LISTED", .archived = NAVETTE_REPLICA_ARCHIVED_ONLY };
    g_autoptr(GArray) all_keys = query_keys (replica, &sorted);
    g_autoptr(GPtrArray) all_rows = fetch (replica, all_keys);
    g_autoptr(GArray) keys = query_keys (replica, &search);
    g_autoptr(GArray) first_keys = query_keys (replica, &first);
    g_autoptr(GArray) archived_keys = query_keys (replica, &archived);
    g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));

    for (guint i = 0; i < all_rows->len; i++)
      if (g_str_has_prefix (json_object_get_string_member (navette_record_get_data (g_ptr_array_index (all_rows, i)), "name"), "Listed "))
        g_array_append_val (expected, g_array_index (all_keys, gint64, i));
    g_assert_cmpuint (expected->len, ==, N_ADDED - 5);
    g_assert_cmpuint (keys->len, ==, expected->len);
    for (guint i = 0; i < keys->len; i++)
      g_assert_cmpint (g_array_index (keys, gint64, i), ==, g_array_index (expected, gint64, i));
    g_assert_cmpuint (first_keys->len, ==, 7);
    for (guint i = 0; i < first_keys->len; i++)
      g_assert_cmpint (g_array_index (first_keys, gint64, i), ==, g_array_index (expected, gint64, i));
    g_assert_cmpuint (archived_keys->len, ==, 5);
  }
  /* The same in the order of the keys (the model's unsorted view), whose
   * keys are read from the bitmap itself, archived rows taken out (or
   * kept alone): the view of the keys filtered by hand, both ways, with
   * and without a limit, for each archived filter. */
  for (guint a = 0; a < 3; a++)
    for (guint d = 0; d < 2; d++)
      {
        static const NavetteReplicaArchived filters[] = { NAVETTE_REPLICA_ARCHIVED_HIDE, NAVETTE_REPLICA_ARCHIVED_ONLY,
                                                          NAVETTE_REPLICA_ARCHIVED_ALL };
        static const guint n_expected[] = { N_ADDED - 5, 5, N_ADDED };
        NavetteReplicaView unsorted = { .sort_column = "key", .descending = d, .archived = filters[a] };
        NavetteReplicaView search = { .search = "listed", .sort_column = "key", .descending = d, .archived = filters[a] };
        NavetteReplicaView first = { .search = "listed", .sort_column = "key", .descending = d, .archived = filters[a], .limit = 3 };
        g_autoptr(GArray) all_keys = query_keys (replica, &unsorted);
        g_autoptr(GPtrArray) all_rows = fetch (replica, all_keys);
        g_autoptr(GArray) keys = query_keys (replica, &search);
        g_autoptr(GArray) first_keys = query_keys (replica, &first);
        g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));

        for (guint i = 0; i < all_rows->len; i++)
          if (g_str_has_prefix (json_object_get_string_member (navette_record_get_data (g_ptr_array_index (all_rows, i)), "name"), "Listed "))
            g_array_append_val (expected, g_array_index (all_keys, gint64, i));
        g_assert_cmpuint (expected->len, ==, n_expected[a]);
        g_assert_cmpuint (keys->len, ==, expected->len);
        for (guint i = 0; i < keys->len; i++)
          g_assert_cmpint (g_array_index (keys, gint64, i), ==, g_array_index (expected, gint64, i));
        g_assert_cmpuint (first_keys->len, ==, 3);
        for (guint i = 0; i < first_keys->len; i++)
          g_assert_cmpint (g_array_index (first_keys, gint64, i), ==, g_array_index (expected, gint64, i));
      }
  {
    NavetteReplicaView search = { .search = "ethiopie cafe" };
    g_autoptr(GArray) keys = query_keys (replica, &search);
    g_autoptr(GPtrArray) rows = fetch (replica, keys);

    g_assert_cmpuint (rows->len, ==, 1);
    g_assert_cmpstr (navette_record_get_id (g_ptr_array_index (rows, 0)), ==, DEMO_PRODUCT_1);
  }
  {
    NavetteReplicaView search = { .search = "nothing\"like this" };
    g_autoptr(GArray) keys = query_keys (replica, &search);

    g_assert_cmpuint (keys->len, ==, 0);
  }
  /* An unknown column is refused. */
  {
    NavetteReplicaView bad = { .sort_column = "colour" };
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) keys = NULL;

    navette_replica_query_keys_async (replica, "catalogue", "products", &bad, NULL, navette_test_store_result_cb, &result);
    ENGINE_WAIT_UNTIL (result != NULL, 30000);
    keys = navette_replica_query_keys_finish (replica, result, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (keys);
  }

  /* Two users of one server: two files; bob's holds his own sync. */
  {
    g_autoptr(NavetteClient) bob = client_new (server, "bob");
    g_autofree char *alice_path = navette_replica_path_for (dir, server->base_url, "alice");
    g_autofree char *bob_path = navette_replica_path_for (dir, server->base_url, "bob");
    gint64 revision = 0;
    guint64 n_rows = 0;

    g_assert_cmpstr (alice_path, !=, bob_path);
    bob_replica = open_replica (dir, server->base_url, "bob");
    g_assert_true (navette_replica_get_table_info (bob_replica, "catalogue", "products", &revision, &n_rows, NULL));
    g_assert_cmpint (revision, ==, -1);
    g_assert_cmpuint (n_rows, ==, 0);
    g_assert_cmpuint (sync_replica (bob_replica, bob, schema), ==, N_DEMO + N_ADDED + 70);
    assert_same_as_server (bob_replica, bob);
    g_assert_true (g_file_test (alice_path, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (bob_path, G_FILE_TEST_EXISTS));
    /* Record data in clear: readable by its owner only. */
    {
      GStatBuf st;

      g_assert_cmpint (g_stat (bob_path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    }
  }

  g_clear_object (&replica);
  g_clear_object (&bob_replica);
  engine_test_rm_rf (dir);
}

/* A column added on the server: the replica's table gets it, with the
 * values of the rows that have one, and can be sorted by it. */
static void
test_column_added (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *admin = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Column", 120);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autoptr(NavetteWireTable) wider = NULL;
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autoptr(NavetteReplica) replica = open_replica (dir, server->base_url, "alice");

  sync_replica (replica, client, schema);
  g_assert_cmpuint (navette_test_request (server, "POST", "/api/v1/admin/applications/catalogue/tables/products/columns", admin,
                                          "{\"name\": \"colour\", \"type\": \"text\"}", NULL, NULL), ==, 201);
  engine_test_patch_product (server, token, g_ptr_array_index (ids, 7), -1, "{\"colour\": \"zinc yellow\"}");
  engine_test_patch_product (server, token, g_ptr_array_index (ids, 8), -1, "{\"colour\": \"azure\"}");
  wider = products_schema (server, token);
  g_assert_cmpuint (wider->columns->len, ==, schema->columns->len + 1);

  /* Every row read again: the server gives each one the new column. */
  g_assert_cmpuint (sync_replica (replica, client, wider), ==, N_DEMO + 120);
  assert_same_as_server (replica, client);
  {
    NavetteReplicaView view = { .sort_column = "colour", .descending = TRUE, .limit = 2 };
    g_autoptr(GArray) keys = query_keys (replica, &view);
    g_autoptr(GPtrArray) rows = fetch (replica, keys);

    g_assert_cmpuint (rows->len, ==, 2);
    g_assert_cmpstr (navette_record_get_id (g_ptr_array_index (rows, 0)), ==, g_ptr_array_index (ids, 7));
    g_assert_cmpstr (navette_record_get_id (g_ptr_array_index (rows, 1)), ==, g_ptr_array_index (ids, 8));
  }
  /* The new text column is searched. */
  {
    NavetteReplicaView view = { .search = "azu" };
    g_autoptr(GArray) keys = query_keys (replica, &view);

    g_assert_cmpuint (keys->len, ==, 1);
  }
  /* The migration is kept: a replica opened again has it. */
  g_clear_object (&replica);
  replica = open_replica (dir, server->base_url, "alice");
  g_assert_cmpuint (sync_replica (replica, client, wider), ==, 0);
  {
    NavetteReplicaView view = { .search = "zinc" };
    g_autoptr(GArray) keys = query_keys (replica, &view);

    g_assert_cmpuint (keys->len, ==, 1);
  }
  g_clear_object (&replica);
  engine_test_rm_rf (dir);
}

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
kill_cb (gpointer user_data)
{
  g_subprocess_send_signal (user_data, SIGKILL);
  return G_SOURCE_REMOVE;
}

/* Runs navette-cli ls --limit 1 in @home and kills it with SIGKILL after
 * @ms: TRUE when it was killed, FALSE when it finished first (with 0). */
static gboolean
run_cli_killed_after (const char *home,
                      guint       ms)
{
  g_autoptr(GSubprocessLauncher) launcher = engine_test_cli_launcher_new (home);
  const char *argv[] = { g_getenv ("NAVETTE_CLI_BINARY"), "ls", "catalogue/products", "--limit", "1", NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint kill_id;

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  kill_id = g_timeout_add_full (G_PRIORITY_DEFAULT, ms, kill_cb, g_object_ref (process), g_object_unref);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 60000);
  if (g_main_context_find_source_by_id (NULL, kill_id) != NULL)
    g_source_remove (kill_id);
  g_subprocess_communicate_utf8_finish (process, result, NULL, NULL, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_signaled (process))
    return TRUE;
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  return FALSE;
}

/* navette-cli ls processes killed with SIGKILL at various moments of a
 * first sync (a whole walk: rows appended, the id and FTS indexes made
 * with the last page) and of a delta of several pages; then a sync in
 * this process: the replica is a sound SQLite file equal to the server,
 * and searched by its FTS index. */
static void
test_crash_mid_sync (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Crash", 200);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autofree char *home = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (home, "data", "navette", NULL);
  g_autoptr(NavetteReplica) replica = NULL;
  guint killed = 0;
  guint finished = 0;

  g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "login", "alice", "--server", server->base_url, NULL), ==, 0);
  /* First syncs killed after 0, 15, 30, … ms, each resuming what the
   * last one left (a finished one: the replica removed, to start again). */
  for (guint round = 0; round < 12; round++)
    {
      if (run_cli_killed_after (home, round * 15))
        killed++;
      else
        {
          g_autofree char *path = navette_replica_path_for (data_dir, server->base_url, "alice");
          const char *suffixes[] = { "", "-wal", "-shm" };

          finished++;
          for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
            {
              g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
              g_unlink (file);
            }
        }
    }
  g_test_message ("first sync: %u navette-cli killed, %u finished", killed, finished);
  g_assert_cmpuint (killed, >, 0);
  killed = finished = 0;
  /* The first sync, complete (after whatever the last one killed left). */
  g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "ls", "catalogue/products", "--limit", "1", NULL), ==, 0);
  {
    g_autoptr(NavetteReplica) first = open_replica (data_dir, server->base_url, "alice");
    NavetteReplicaView search = { .search = "crash" };
    g_autoptr(GArray) keys = query_keys (first, &search);

    assert_same_as_server (first, client);
    g_assert_cmpuint (keys->len, ==, 200);
  }

  /* A delta of 200 updates (4 pages) and 100 new rows, then navette-cli
   * killed after 0, 10, 20, … ms. */
  for (guint i = 0; i < ids->len; i++)
    engine_test_patch_product (server, token, g_ptr_array_index (ids, i), -1, "{\"price\": 7.25}");
  g_ptr_array_unref (engine_test_create_products (server, token, "After", 100));
  for (guint round = 0; round < 16; round++)
    {
      if (run_cli_killed_after (home, round * 10))
        killed++;
      else
        {
          finished++;
          /* Once one finished, the next ones have nothing to do: more
           * changes for them to be killed in. */
          for (guint i = 0; i < 100; i++)
            engine_test_patch_product (server, token, g_ptr_array_index (ids, (round * 100 + i) % ids->len), -1, "{\"stock\": 3}");
        }
    }
  g_test_message ("%u navette-cli killed, %u finished", killed, finished);
  g_assert_cmpuint (killed, >, 0);

  /* The file is sound, and a resumed sync makes it the server's. */
  {
    g_autofree char *path = navette_replica_path_for (data_dir, server->base_url, "alice");
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
    sqlite3_finalize (stmt);
    sqlite3_close (db);

    replica = open_replica (data_dir, server->base_url, "alice");
    sync_replica (replica, client, schema);
    assert_same_as_server (replica, client);
  }
  g_clear_object (&replica);
  engine_test_rm_rf (home);
}

/* An integer from the replica's file (another connection), or -1. */
static gint64
replica_sql_int (const char *path,
                 const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* A whole walk appends its rows without the index on id nor the FTS
 * triggers, and makes both with its last page. What a walk interrupted
 * leaves (some rows, stale FTS entries, no index, revision -1) is made
 * whole by the next one: no row twice, every row searchable, the index
 * and triggers back (a delta is searchable at once). */
static void
test_whole_walk_resumed (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Resumed", 120);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autofree char *path = navette_replica_path_for (dir, server->base_url, "alice");
  g_autoptr(NavetteReplica) replica = open_replica (dir, server->base_url, "alice");
  const char *unique_sql = "SELECT count(*) FROM pragma_index_list('r1') WHERE \"unique\"";
  const char *triggers_sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'r1'";

  g_assert_cmpuint (sync_replica (replica, client, schema), ==, N_DEMO + 120);
  g_clear_object (&replica);
  g_assert_cmpint (replica_sql_int (path, "SELECT id FROM replica_tables WHERE name = 'products'"), ==, 1);
  g_assert_cmpint (replica_sql_int (path, unique_sql), ==, 1);
  g_assert_cmpint (replica_sql_int (path, triggers_sql), ==, 3);

  /* An interrupted walk, as a SIGKILL leaves it. (And FTS5's in-memory
   * hash made tiny, so that the rebuild at the walk's end flushes a
   * segment every few rows, as it does every ~70 000 rows by default.) */
  navette_test_sqlite_file_exec (path,
                                 "DROP INDEX r1_id; DROP TRIGGER r1_ai; DROP TRIGGER r1_ad; DROP TRIGGER r1_au;"
                                 "DELETE FROM r1 WHERE key % 3 = 0; UPDATE r1 SET version = 0 WHERE key % 3 = 1;"
                                 "UPDATE replica_tables SET revision = -1;"
                                 "INSERT INTO f1 (f1, rank) VALUES ('hashsize', 64)");
  for (guint i = 0; i < 10; i++)
    engine_test_patch_product (server, token, g_ptr_array_index (ids, i), -1, "{\"price\": 3.5}");

  replica = open_replica (dir, server->base_url, "alice");
  g_assert_cmpuint (sync_replica (replica, client, schema), ==, N_DEMO + 120);
  assert_same_as_server (replica, client);
  {
    NavetteReplicaView search = { .search = "resumed" };
    g_autoptr(GArray) keys = query_keys (replica, &search);

    g_assert_cmpuint (keys->len, ==, 120);
  }
  g_assert_cmpint (replica_sql_int (path, unique_sql), ==, 1);
  g_assert_cmpint (replica_sql_int (path, triggers_sql), ==, 3);
  /* The FTS index is left in one segment (its pages' rowids are
   * segment << 37 | …), its automatic merges on again: the next writes
   * merge only their own small segments, not the whole index. */
  g_assert_cmpint (replica_sql_int (path, "SELECT count(DISTINCT id >> 37) FROM f1_data WHERE id >> 37 > 0"), ==, 1);
  g_assert_cmpint (replica_sql_int (path, "SELECT v FROM f1_config WHERE k = 'automerge'"), ==, 4);

  /* A delta goes through the triggers. */
  engine_test_patch_product (server, token, g_ptr_array_index (ids, 42), -1, "{\"name\": \"Zebra crossing\"}");
  g_assert_cmpuint (sync_replica (replica, client, schema), ==, 1);
  {
    NavetteReplicaView zebra = { .search = "zebra" };
    NavetteReplicaView search = { .search = "resumed" };
    g_autoptr(GArray) keys = query_keys (replica, &zebra);
    g_autoptr(GArray) resumed = query_keys (replica, &search);

    g_assert_cmpuint (keys->len, ==, 1);
    g_assert_cmpuint (resumed->len, ==, 119);
  }
  g_clear_object (&replica);
  engine_test_rm_rf (dir);
}

/* navette-cli ls reads the replica: --sort, --search, --limit, --json;
 * the default order and output are those of before (by id, archived rows
 * included). */
static void
test_cli_ls (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Cli", 120);
  g_autofree char *home = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);

  g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "login", "alice", "--server", server->base_url, NULL), ==, 0);
  engine_test_archive_product (server, token, g_ptr_array_index (ids, 3));
  {
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *records;

    g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "ls", "catalogue/products", "--json", NULL), ==, 0);
    root = navette_json_parse_strict (out, strlen (out) - 1, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "table"), ==, "products");
    records = json_object_get_array_member (json_node_get_object (root), "records");
    g_assert_cmpuint (json_array_get_length (records), ==, N_DEMO + 120);
    for (guint i = 1; i < json_array_get_length (records); i++)
      g_assert_cmpint (strcmp (json_object_get_string_member (json_array_get_object_element (records, i - 1), "id"),
                               json_object_get_string_member (json_array_get_object_element (records, i), "id")), <, 0);
  }
  {
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "ls", "catalogue/products", "--sort", "price:desc", "--limit", "3", NULL), ==, 0);
    lines = g_strsplit (out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 5);  /* header, 3 rows, "" */
    g_assert_true (g_str_has_prefix (lines[0], "id\tversion\tarchived\tname\tprice"));
    g_assert_nonnull (strstr (lines[1], "Cli 119"));
    g_assert_nonnull (strstr (lines[3], "Cli 117"));
  }
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *records;

    g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "ls", "catalogue/products", "--search", "cli 00",
                                          "--sort", "name", "--json", NULL), ==, 0);
    root = navette_json_parse_strict (out, strlen (out) - 1, NULL);
    records = json_object_get_array_member (json_node_get_object (root), "records");
    /* Cli 000 … Cli 009; Cli 003 archived, listed all the same. */
    g_assert_cmpuint (json_array_get_length (records), ==, 10);
    g_assert_true (json_object_get_boolean_member (json_array_get_object_element (records, 3), "archived"));
  }
  {
    g_autofree char *err = NULL;

    g_assert_cmpint (engine_test_run_cli (home, NULL, &err, "ls", "catalogue/products", "--sort", "colour", NULL), ==, 2);
    g_assert_nonnull (strstr (err, "colour"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (engine_test_run_cli (home, NULL, &err, "ls", "catalogue/products", "--sort", "name:sideways", NULL), ==, 2);
  }
  engine_test_rm_rf (home);
}

/* Creates one product per name (price 1); returns their ids. */
static GPtrArray *
create_named (NavetteTestServer  *server,
              const char         *token,
              const char * const *names)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *body = NULL;
      g_autoptr(GBytes) answer = NULL;
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "data");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, names[i]);
      json_builder_set_member_name (builder, "price");
      json_builder_add_int_value (builder, 1);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      body = navette_json_to_string (node, NULL);
      g_assert_cmpuint (navette_test_request (server, "POST", PRODUCTS "/records", token, body, &answer, NULL), ==, 201);
      root = navette_test_parse (answer);
      g_ptr_array_add (ids, g_strdup (json_object_get_string_member (json_node_get_object (root), "id")));
    }
  return ids;
}

/* "name|name|…" of the rows of @view whose id is in @ids (the demo's
 * rows left out), in the view's order. */
static char *
names_in_order (NavetteReplica           *replica,
                const NavetteReplicaView *view,
                GPtrArray                *ids)
{
  g_autoptr(GArray) keys = query_keys (replica, view);
  g_autoptr(GPtrArray) rows = fetch (replica, keys);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      NavetteRecord *record = g_ptr_array_index (rows, i);

      if (!g_ptr_array_find_with_equal_func (ids, navette_record_get_id (record), g_str_equal, NULL))
        continue;
      g_string_append_printf (out, "%s%s", out->len > 0 ? "|" : "", navette_record_get_string (record, "name"));
    }
  return g_string_free (out, FALSE);
}

/* Text sorts as a French reader expects, whatever the locale (the test
 * runs under the C.UTF-8 of the CI, where g_utf8_collate() is the order
 * of code points: "Zoé" < "abricot" < "Éclair"): case and accents count
 * only between texts otherwise equal, numbers by value; ties (the same
 * text) by id; descending is the exact reverse. The same order in
 * navette-cli ls --sort name. A replica made before sort keys (text
 * sorted by bytes: no k_name column, an index v1_name on c_name) gets
 * them once, from a view as from a sync; a delta keeps them. */
static void
test_text_order (void)
{
  static const char * const names[] = { "Zoé", "fraise", "Éclair", "cerise", "Banane", "abricot",
                                        "Produit 10", "Produit 2", "cote", "Cote", "Cote", "Œuf", "oeil", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = create_named (server, token, names);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autofree char *path = navette_replica_path_for (dir, server->base_url, "alice");
  g_autoptr(NavetteReplica) replica = open_replica (dir, server->base_url, "alice");
  NavetteReplicaView asc = { .sort_column = "name" };
  NavetteReplicaView desc = { .sort_column = "name", .descending = TRUE };
  /* The two "Cote" by id. */
  gboolean first_cote_first = strcmp (g_ptr_array_index (ids, 9), g_ptr_array_index (ids, 10)) < 0;
  const char *expected = "abricot|Banane|cerise|Cote|Cote|cote|Éclair|fraise|oeil|Œuf|Produit 2|Produit 10|Zoé";
  const char *expected_desc = "Zoé|Produit 10|Produit 2|Œuf|oeil|fraise|Éclair|cote|Cote|Cote|cerise|Banane|abricot";
  const char *old_style = "DROP INDEX w1_name; ALTER TABLE r1 DROP COLUMN k_name;"
                          " CREATE INDEX v1_name ON r1 (c_name, id, archived)";

  /* Under C.UTF-8 (main() sets it), the locale's collation is the order
   * of code points: what the replica does not follow. */
  if (g_strcmp0 (setlocale (LC_COLLATE, NULL), "C.UTF-8") == 0)
    g_assert_cmpint (g_utf8_collate ("Zoé", "abricot"), <, 0);
  sync_replica (replica, client, schema);
  {
    g_autofree char *got = names_in_order (replica, &asc, ids);
    g_autofree char *got_desc = names_in_order (replica, &desc, ids);
    g_autoptr(GArray) keys = query_keys (replica, &asc);
    g_autoptr(GArray) desc_keys = query_keys (replica, &desc);
    g_autoptr(GPtrArray) rows = NULL;
    guint cote = 0;

    g_assert_cmpstr (got, ==, expected);
    g_assert_cmpstr (got_desc, ==, expected_desc);
    /* Descending: the exact reverse, the ties too. */
    g_assert_cmpuint (keys->len, ==, desc_keys->len);
    for (guint i = 0; i < keys->len; i++)
      g_assert_cmpint (g_array_index (keys, gint64, i), ==, g_array_index (desc_keys, gint64, keys->len - 1 - i));
    /* Ties by id. */
    rows = fetch (replica, keys);
    for (guint i = 0; i < rows->len; i++)
      if (g_strcmp0 (navette_record_get_string (g_ptr_array_index (rows, i), "name"), "Cote") == 0)
        {
          const char *id = navette_record_get_id (g_ptr_array_index (rows, i));

          g_assert_cmpstr (id, ==, g_ptr_array_index (ids, (cote == 0) == first_cote_first ? 9 : 10));
          cote++;
        }
    g_assert_cmpuint (cote, ==, 2);
    /* The sort reads its index on the key. */
    g_assert_cmpint (replica_sql_int (path, "SELECT count(*) FROM sqlite_master WHERE name = 'w1_name'"), ==, 1);
  }

  /* A replica made before: keys made by the first view that sorts by
   * the column (replica closed meanwhile: another connection changes
   * its tables). */
  g_clear_object (&replica);
  navette_test_sqlite_file_exec (path, old_style);
  replica = open_replica (dir, server->base_url, "alice");
  {
    g_autofree char *got = names_in_order (replica, &asc, ids);

    g_assert_cmpstr (got, ==, expected);
    g_assert_cmpint (replica_sql_int (path, "SELECT count(*) FROM sqlite_master WHERE name = 'v1_name'"), ==, 0);
    g_assert_cmpint (replica_sql_int (path, "SELECT count(*) FROM r1 WHERE k_name IS NULL"), ==, 0);
    g_assert_cmpint (replica_sql_int (path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'r1'"), ==, 3);
  }
  /* … or by the next sync (a delta: one renamed, one added), whose rows
   * get their keys; the FTS index still follows the rows. */
  g_clear_object (&replica);
  navette_test_sqlite_file_exec (path, old_style);
  replica = open_replica (dir, server->base_url, "alice");
  engine_test_patch_product (server, token, g_ptr_array_index (ids, 1), -1, "{\"name\": \"ananas\"}");
  {
    static const char * const more[] = { "Églantine", NULL };
    g_autoptr(GPtrArray) added = create_named (server, token, more);

    g_ptr_array_add (ids, g_strdup (g_ptr_array_index (added, 0)));
  }
  g_assert_cmpuint (sync_replica (replica, client, schema), ==, 2);
  g_assert_cmpint (replica_sql_int (path, "SELECT count(*) FROM r1 WHERE k_name IS NULL"), ==, 0);
  {
    NavetteReplicaView search = { .search = "eglantine" };
    g_autoptr(GArray) found = query_keys (replica, &search);
    g_autofree char *got = names_in_order (replica, &asc, ids);

    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpstr (got, ==, "abricot|ananas|Banane|cerise|Cote|Cote|cote|Éclair|Églantine|oeil|Œuf|Produit 2|Produit 10|Zoé");
  }
  g_clear_object (&replica);

  /* navette-cli ls --sort name: the same order (its own replica). */
  {
    g_autofree char *home = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GString) got = g_string_new (NULL);
    JsonArray *records;

    g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "login", "alice", "--server", server->base_url, NULL), ==, 0);
    g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "ls", "catalogue/products", "--sort", "name", "--json", NULL), ==, 0);
    root = navette_json_parse_strict (out, strlen (out) - 1, NULL);
    records = json_object_get_array_member (json_node_get_object (root), "records");
    for (guint i = 0; i < json_array_get_length (records); i++)
      {
        JsonObject *record = json_array_get_object_element (records, i);

        if (!g_ptr_array_find_with_equal_func (ids, json_object_get_string_member (record, "id"), g_str_equal, NULL))
          continue;
        g_string_append_printf (got, "%s%s", got->len > 0 ? "|" : "",
                                json_object_get_string_member (json_object_get_object_member (record, "data"), "name"));
      }
    g_assert_cmpstr (got->str, ==, "abricot|ananas|Banane|cerise|Cote|Cote|cote|Éclair|Églantine|oeil|Œuf|Produit 2|Produit 10|Zoé");
    engine_test_rm_rf (home);
  }
  engine_test_rm_rf (dir);
}


/* The keys of @view found both ways (NavetteReplicaSearchPlan): the
 * join in SQL, and the view's order filtered by the bitmap of the
 * matches, the order read (the sort's index) then kept (the worker's
 * cache, filled by the view without a search just before). */
static void
assert_plans_agree (NavetteReplica           *replica,
                    const NavetteReplicaView *view,
                    guint                    *n_keys)
{
  NavetteReplicaView unsearched = *view;
  g_autoptr(GArray) joined = NULL;
  g_autoptr(GArray) read = NULL;
  g_autoptr(GArray) kept = NULL;
  g_autoptr(GArray) automatic = NULL;
  g_autoptr(GArray) all = NULL;
  GArray *got[3];

  unsearched.search = NULL;
  unsearched.limit = 0;
  navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_JOIN);
  joined = query_keys (replica, view);
  navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_BITMAP);
  read = query_keys (replica, view);
  all = query_keys (replica, &unsearched);
  kept = query_keys (replica, view);
  navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_AUTO);
  automatic = query_keys (replica, view);
  got[0] = read;
  got[1] = kept;
  got[2] = automatic;
  for (guint g = 0; g < G_N_ELEMENTS (got); g++)
    {
      if (got[g]->len != joined->len)
        g_error ("search \"%s\" sorted by %s%s, archived %d, limit %u: %u keys (way %u), %u joined",
                 view->search, view->sort_column, view->descending ? " desc" : "", view->archived, view->limit,
                 got[g]->len, g, joined->len);
      for (guint i = 0; i < joined->len; i++)
        g_assert_cmpint (g_array_index (got[g], gint64, i), ==, g_array_index (joined, gint64, i));
    }
  /* Each key matched is in the view without the search. */
  g_assert_cmpuint (joined->len, <=, all->len);
  *n_keys += joined->len;
}

/* Every view of the table both ways: each sort (none, by id, by key,
 * by a text column with ties and accents, by a number every row but a
 * few share), each direction, archived hidden, shown or only, whole or
 * limited; searched by a word most rows have, one some have, and two
 * words. Returns how many keys were compared. */
static guint
assert_all_plans_agree (NavetteReplica *replica)
{
  static const char * const sorts[] = { NULL, "id", "key", "name", "price", "updated_at" };
  static const NavetteReplicaArchived filters[] = { NAVETTE_REPLICA_ARCHIVED_HIDE, NAVETTE_REPLICA_ARCHIVED_ALL,
                                                    NAVETTE_REPLICA_ARCHIVED_ONLY };
  static const char * const searches[] = { "cafe", "CÔTE", "caf co", "zzz" };
  static const guint limits[] = { 0, 3 };
  guint n_keys = 0;

  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    for (guint d = 0; d < 2; d++)
      for (guint a = 0; a < G_N_ELEMENTS (filters); a++)
        for (guint q = 0; q < G_N_ELEMENTS (searches); q++)
          for (guint l = 0; l < G_N_ELEMENTS (limits); l++)
            {
              NavetteReplicaView view = { .sort_column = sorts[s], .descending = d, .archived = filters[a],
                                          .search = searches[q], .limit = limits[l] };

              assert_plans_agree (replica, &view, &n_keys);
            }
  return n_keys;
}

/* A searched view is the same whichever way its keys are found, and
 * stays right after the table changes (the worker's cache of the view's
 * order and of the matches is not used once anything was written, by
 * the replica or by another connection). */
/* The keys @sql gives, read from the replica's file by a connection of
 * the test's own. */
static GArray *
replica_sql_keys (const char *path,
                  const char *sql)
{
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 key = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (keys, key);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return keys;
}

/* Once a whole walk ends, the indexes of the sorts the window offers
 * (every column, and its default order) are built in the background
 * before any view asks for them; the views read them and give the keys
 * a scan of the table (no index) gives. */
static void
test_sort_indexes (void)
{
  static const char * const indexes[] = { "v1_key", "w1_name", "v1_price", "v1_stock", "v1_published", NULL };
  const char *count_sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'r1' AND sql IS NOT NULL";
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Indexed", 120);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autofree char *path = navette_replica_path_for (dir, server->base_url, "alice");
  g_autoptr(NavetteReplica) replica = open_replica (dir, server->base_url, "alice");

  /* Ties and archived rows, for the views to order and leave out. */
  for (guint i = 0; i < 40; i++)
    engine_test_patch_product (server, token, g_ptr_array_index (ids, i), -1, "{\"price\": 7, \"stock\": 3, \"published\": true}");
  for (guint i = 30; i < 50; i++)
    engine_test_archive_product (server, token, g_ptr_array_index (ids, i));

  g_assert_cmpuint (sync_replica (replica, client, schema), ==, N_DEMO + 120);
  navette_replica_wait_background (replica);
  for (guint i = 0; indexes[i] != NULL; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", indexes[i]);

      g_assert_cmpint (replica_sql_int (path, sql), ==, 1);
    }
  /* No other (none of the id order archived rows hidden, no view asked
   * for it): the unique index on id and those above. */
  g_assert_cmpint (replica_sql_int (path, count_sql),
                   ==, 1 + g_strv_length ((char **) indexes));

  /* The views' keys, as a scan of the table orders them. */
  {
    struct { NavetteReplicaView view; const char *order; } views[] = {
      { { .sort_column = "key" }, "key" },
      { { .sort_column = "name" }, "k_name, id" },
      { { .sort_column = "name", .descending = TRUE }, "k_name DESC, id DESC" },
      { { .sort_column = "price", .descending = TRUE }, "c_price DESC, id DESC" },
      { { .sort_column = "stock" }, "c_stock, id" },
      { { .sort_column = "published" }, "c_published, id" },
    };

    for (guint v = 0; v < G_N_ELEMENTS (views); v++)
      {
        g_autofree char *sql = g_strdup_printf ("SELECT key FROM r1 NOT INDEXED WHERE archived = 0 ORDER BY %s", views[v].order);
        g_autoptr(GArray) keys = query_keys (replica, &views[v].view);
        g_autoptr(GArray) expected = replica_sql_keys (path, sql);

        g_assert_cmpuint (keys->len, ==, N_DEMO + 120 - 20);
        g_assert_cmpuint (keys->len, ==, expected->len);
        for (guint i = 0; i < keys->len; i++)
          g_assert_cmpint (g_array_index (keys, gint64, i), ==, g_array_index (expected, gint64, i));
      }
  }
  /* They read the indexes built (none more made by a view). */
  g_assert_cmpint (replica_sql_int (path, count_sql),
                   ==, 1 + g_strv_length ((char **) indexes));

  /* Queued again (a window opening the table): nothing to build. */
  navette_replica_build_sort_indexes (replica, "catalogue", schema);
  navette_replica_wait_background (replica);
  g_assert_cmpint (replica_sql_int (path, count_sql),
                   ==, 1 + g_strv_length ((char **) indexes));

  /* Closed with builds queued: they are dropped, not waited for. */
  navette_replica_build_sort_indexes (replica, "catalogue", schema);
  g_clear_object (&replica);
  g_assert_cmpint (replica_sql_int (path, count_sql),
                   ==, 1 + g_strv_length ((char **) indexes));
  engine_test_rm_rf (dir);
}

static void
test_search_plans (void)
{
  static const char * const names[] = { "Café moulu", "cafe moulu", "CAFÉ moulu", "Café moulu", "Cafetière",
                                        "Côte de café", "cote de cafe", "Cote", "Cote", "côte", "Thé vert",
                                        "Théière", "Café 10", "Café 2", "Œuf de café", "oeuf", "Cafe", "Cafe",
                                        "Zoé café", "abricot", "Éclair au café", "eclair", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = create_named (server, token, names);
  g_autoptr(NavetteClient) client = client_new (server, "alice");
  g_autoptr(NavetteWireTable) schema = products_schema (server, token);
  g_autofree char *dir = g_dir_make_tmp ("navette-replica-XXXXXX", NULL);
  g_autofree char *path = navette_replica_path_for (dir, server->base_url, "alice");
  g_autoptr(NavetteReplica) replica = open_replica (dir, server->base_url, "alice");
  NavetteReplicaView cafe = { .search = "cafe", .sort_column = "name" };
  guint n_keys;

  /* Prices: 1 for all but a few (ties broken by id); some archived. */
  engine_test_patch_product (server, token, g_ptr_array_index (ids, 4), -1, "{\"price\": 0.5}");
  engine_test_patch_product (server, token, g_ptr_array_index (ids, 13), -1, "{\"price\": 7}");
  engine_test_archive_product (server, token, g_ptr_array_index (ids, 1));
  engine_test_archive_product (server, token, g_ptr_array_index (ids, 8));
  engine_test_archive_product (server, token, g_ptr_array_index (ids, 17));
  sync_replica (replica, client, schema);

  n_keys = assert_all_plans_agree (replica);
  g_assert_cmpuint (n_keys, >, 200);
  {
    g_autoptr(GArray) keys = query_keys (replica, &cafe);

    /* "cafe" matches the demo's "Café" products too: not asserted. */
    g_assert_cmpuint (keys->len, >=, 12);
  }

  /* Changed by a delta (a name no longer matching, a row archived, a
   * new row): the kept order and matches are not used any more. The
   * view and its search are read just before, so that both are kept. */
  {
    g_autoptr(GArray) before = NULL;
    g_autoptr(GArray) after = NULL;
    g_autoptr(GPtrArray) created = NULL;
    static const char * const more[] = { "Café ajouté", NULL };

    navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_BITMAP);
    before = query_keys (replica, &cafe);
    engine_test_patch_product (server, token, g_ptr_array_index (ids, 0), -1, "{\"name\": \"Thé noir\"}");
    engine_test_archive_product (server, token, g_ptr_array_index (ids, 2));
    created = create_named (server, token, more);
    g_assert_cmpuint (sync_replica (replica, client, schema), ==, 3);
    after = query_keys (replica, &cafe);
    g_assert_cmpuint (after->len, ==, before->len - 1);
    navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_AUTO);
    assert_all_plans_agree (replica);
  }

  /* Changed by another connection (PRAGMA data_version). */
  {
    g_autoptr(GArray) before = NULL;
    g_autoptr(GArray) after = NULL;
    g_autofree char *sql = NULL;

    navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_BITMAP);
    before = query_keys (replica, &cafe);
    g_assert_cmpuint (before->len, >, 1);
    sql = g_strdup_printf ("UPDATE r1 SET archived = 1 WHERE key = %" G_GINT64_FORMAT,
                           g_array_index (before, gint64, 0));
    /* (No sort index building meanwhile: this connection waits for none.) */
    navette_replica_wait_background (replica);
    navette_test_sqlite_file_exec (path, sql);
    after = query_keys (replica, &cafe);
    g_assert_cmpuint (after->len, ==, before->len - 1);
    g_assert_cmpint (g_array_index (after, gint64, 0), ==, g_array_index (before, gint64, 1));
    navette_replica_set_search_plan (replica, NAVETTE_REPLICA_SEARCH_AUTO);
    assert_all_plans_agree (replica);
  }
  g_clear_object (&replica);
  engine_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "C.UTF-8");
  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/replica/sync-delta-views", test_sync_delta_views);
  g_test_add_func ("/engine/replica/column-added", test_column_added);
  g_test_add_func ("/engine/replica/crash-mid-sync", test_crash_mid_sync);
  g_test_add_func ("/engine/replica/whole-walk-resumed", test_whole_walk_resumed);
  g_test_add_func ("/engine/replica/cli-ls", test_cli_ls);
  g_test_add_func ("/engine/replica/text-order", test_text_order);
  g_test_add_func ("/engine/replica/search-plans", test_search_plans);
  g_test_add_func ("/engine/replica/sort-indexes", test_sort_indexes);

  return g_test_run ();
}
