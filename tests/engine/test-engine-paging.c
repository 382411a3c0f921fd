/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-engine-paging.c — the engine and navette-cli walk the server's
 * pages (docs/api.md, "Paging").
 *
 * The real navette-server runs with pages of 50 rows and a table of a few
 * hundred rows: a full load gets every row exactly once, page by page
 * with "rows-loaded" climbing; a delta after changes gets them; writes
 * made between two pages of a walk lose or repeat nothing (the walk is
 * the table at its first page's revision, the next delta brings the
 * rest); a record with more versions than a page gets its whole history;
 * `navette-cli ls` and `history` follow the pages too. The replica's
 * walk (a page sink) asks for the next page before the current one is
 * decoded: every row comes once, in pages handed over in order, the next
 * page already asked for when one is handed over; cancelled between two
 * pages, or the server gone mid-walk, it ends once, with that error, and
 * hands nothing over after. */
#include "config.h"

#include <glib/gstdio.h>

#include "engine-test-util.h"
#include "navette-engine-private.h"
#include "navette-wire.h"

#define PAGE_SIZE 50
#define N_ADDED   300
#define N_DEMO    6
#define PRODUCTS  "/api/v1/applications/catalogue/tables/products/records"

/* The engine asks for pages of 10 000 rows: the largest page is made
 * small too. */
static const char * const server_args[] = { "--page-size", G_STRINGIFY (PAGE_SIZE),
                                            "--max-page-size", G_STRINGIFY (PAGE_SIZE), NULL };

/* PATCHes @id's price on its current version. */
static void
patch_price (NavetteTestServer *server,
             const char        *token,
             const char        *id,
             double             price)
{
  g_autofree char *data = g_strdup_printf ("{\"price\": %g}", price);

  engine_test_patch_product (server, token, id, -1, data);
}

/* Every row once: the table is sorted by id, so strictly ascending ids. */
static void
assert_each_once (NavetteTable *table,
                  guint         n)
{
  GListModel *model = G_LIST_MODEL (table);
  g_autofree char *last = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);
      const char *id = navette_record_get_id (record);

      if (last != NULL)
        g_assert_cmpint (strcmp (last, id), <, 0);
      g_free (last);
      last = g_strdup (id);
    }
}

/* The table holds exactly what a fresh full load by another engine gets,
 * at the same versions. */
static void
assert_same_as_fresh_load (NavetteTestServer *server,
                           NavetteTable      *table)
{
  g_autoptr(NavetteEngine) other = navette_test_engine_new (server, "admin", NULL);
  NavetteTable *fresh = engine_test_load_table (other, "catalogue", "products");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (fresh));

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) a = g_list_model_get_item (G_LIST_MODEL (table), i);
      g_autoptr(NavetteRecord) b = g_list_model_get_item (G_LIST_MODEL (fresh), i);

      g_assert_cmpstr (navette_record_get_id (a), ==, navette_record_get_id (b));
      g_assert_cmpint (navette_record_get_version (a), ==, navette_record_get_version (b));
    }
}

static void
reload (NavetteTable *table,
        gboolean      full)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  navette_table_reload_async (table, full, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 30000);
  navette_table_reload_finish (table, result, NULL, &error);
  g_assert_no_error (error);
}

typedef struct
{
  GArray *rows;         /* guint: each value of "rows-loaded" during the load */
  guint   n_unknown;    /* "progress" at -1 while loading after the first page */
} Progress;

static void
rows_loaded_cb (Progress     *progress,
                GParamSpec   *pspec,
                NavetteTable *table)
{
  guint rows = navette_table_get_rows_loaded (table);

  if (!navette_table_get_loading (table))
    return;
  g_array_append_val (progress->rows, rows);
  if (rows > 0 && navette_table_get_progress (table) == -1.0)
    progress->n_unknown++;
}

static void
test_full_and_delta (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Paged", N_ADDED);
  g_autoptr(GPtrArray) more = NULL;
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteClient *client = navette_engine_get_client (engine);
  Progress progress = { g_array_new (FALSE, FALSE, sizeof (guint)), 0 };
  NavetteTable *table;
  guint64 requests;
  gint64 first_revision;
  gulong handler;

  navette_poller_set_push (navette_engine_get_poller (engine), FALSE);
  table = navette_test_engine_table (engine, "catalogue", "products");

  /* The full load: 306 rows in 7 pages, "rows-loaded" 0, 50, 100, … */
  handler = g_signal_connect_swapped (table, "notify::rows-loaded", G_CALLBACK (rows_loaded_cb), &progress);
  requests = navette_client_get_requests (client);
  reload (table, TRUE);
  g_signal_handler_disconnect (table, handler);
  g_assert_cmpuint (navette_client_get_requests (client) - requests, ==, (N_DEMO + N_ADDED + PAGE_SIZE - 1) / PAGE_SIZE);
  assert_each_once (table, N_DEMO + N_ADDED);
  g_assert_cmpuint (navette_table_get_rows_loaded (table), ==, N_DEMO + N_ADDED);
  /* 50, 100, … 300 before each page after the first, then all 306. */
  g_assert_cmpuint (progress.rows->len, ==, (N_DEMO + N_ADDED) / PAGE_SIZE + 1);
  for (guint i = 0; i + 1 < progress.rows->len; i++)
    g_assert_cmpuint (g_array_index (progress.rows, guint, i), ==, (i + 1) * PAGE_SIZE);
  g_assert_cmpuint (g_array_index (progress.rows, guint, progress.rows->len - 1), ==, N_DEMO + N_ADDED);
  g_assert_cmpuint (progress.n_unknown, ==, progress.rows->len);
  for (guint i = 0; i < ids->len; i++)
    g_assert_nonnull (navette_table_lookup (table, g_ptr_array_index (ids, i)));
  first_revision = navette_table_get_revision (table);

  /* A delta after 120 changes (more than two pages) and 70 new rows. */
  for (guint i = 0; i < 120; i++)
    patch_price (server, token, g_ptr_array_index (ids, (i * 7) % N_ADDED), 1000 + i);
  more = engine_test_create_products (server, token, "Later", 70);
  requests = navette_client_get_requests (client);
  reload (table, FALSE);
  g_assert_cmpuint (navette_client_get_requests (client) - requests, ==, (120 + 70 + PAGE_SIZE - 1) / PAGE_SIZE);
  g_assert_cmpint (navette_table_get_revision (table), >, first_revision);
  assert_each_once (table, N_DEMO + N_ADDED + 70);
  for (guint i = 0; i < more->len; i++)
    g_assert_nonnull (navette_table_lookup (table, g_ptr_array_index (more, i)));
  assert_same_as_fresh_load (server, table);

  g_array_unref (progress.rows);
}

/* Writes made between the pages of a walk: once, after the first page. */
typedef struct
{
  NavetteTestServer *server;
  const char        *token;
  GPtrArray         *ids;
  GPtrArray         *created;
  gboolean           done;
} Writer;

static void
write_during_walk_cb (Writer       *writer,
                      GParamSpec   *pspec,
                      NavetteTable *table)
{
  if (writer->done || !navette_table_get_loading (table) ||
      navette_table_get_rows_loaded (table) == 0)
    return;
  writer->done = TRUE;

  /* Rows already given (the oldest revisions come first), rows still to
   * come, new rows, and an archive. */
  for (guint i = 0; i < 10; i++)
    patch_price (writer->server, writer->token, g_ptr_array_index (writer->ids, i), 2000 + i);
  for (guint i = 0; i < 40; i++)
    patch_price (writer->server, writer->token, g_ptr_array_index (writer->ids, N_ADDED - 1 - i * 5), 3000 + i);
  writer->created = engine_test_create_products (writer->server, writer->token, "During", 20);
  {
    g_autofree char *path = g_strdup_printf (PRODUCTS "/%s", (const char *) g_ptr_array_index (writer->ids, 150));
    g_autoptr(GBytes) current = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *body = NULL;

    g_assert_cmpuint (navette_test_request (writer->server, "GET", path, writer->token, NULL, &current, NULL), ==, 200);
    root = navette_test_parse (current);
    body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"archived\": true}",
                            json_object_get_int_member (json_node_get_object (root), "version"));
    g_assert_cmpuint (navette_test_request (writer->server, "PATCH", path, writer->token, body, NULL, NULL), ==, 200);
  }
}

static void
test_writes_during_walk (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Walked", N_ADDED);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  Writer writer = { server, token, ids, NULL, FALSE };
  NavetteTable *table;
  gulong handler;

  navette_poller_set_push (navette_engine_get_poller (engine), FALSE);
  table = navette_test_engine_table (engine, "catalogue", "products");

  handler = g_signal_connect_swapped (table, "notify::rows-loaded", G_CALLBACK (write_during_walk_cb), &writer);
  reload (table, TRUE);
  g_signal_handler_disconnect (table, handler);
  g_assert_true (writer.done);

  /* The walk is the table as it was at its first page: every row once,
   * none of the rows created meanwhile. */
  assert_each_once (table, N_DEMO + N_ADDED);
  for (guint i = 0; i < ids->len; i++)
    g_assert_nonnull (navette_table_lookup (table, g_ptr_array_index (ids, i)));
  for (guint i = 0; i < writer.created->len; i++)
    g_assert_null (navette_table_lookup (table, g_ptr_array_index (writer.created, i)));

  /* The next delta brings the rest: then it is the table as it is. */
  reload (table, FALSE);
  assert_each_once (table, N_DEMO + N_ADDED + 20);
  {
    NavetteRecord *archived = navette_table_lookup (table, g_ptr_array_index (ids, 150));

    g_assert_nonnull (archived);
    g_assert_true (navette_record_get_archived (archived));
  }
  assert_same_as_fresh_load (server, table);
  g_ptr_array_unref (writer.created);
}

static void
test_long_history (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteStore *store = navette_engine_lookup_store (engine, "catalogue");
  NavetteTable *table;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) versions = NULL;
  g_autoptr(GError) error = NULL;
  const guint n_versions = 2 * PAGE_SIZE + 21;
  guint n;

  for (guint i = 1; i < n_versions; i++)
    patch_price (server, token, DEMO_PRODUCT_1, i);
  g_assert_cmpuint (engine_test_count_versions (server, token, "catalogue", "products", DEMO_PRODUCT_1), ==, PAGE_SIZE);

  table = engine_test_load_table (engine, "catalogue", "products");
  navette_store_list_versions_async (store, table, DEMO_PRODUCT_1, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 30000);
  versions = navette_store_list_versions_finish (store, result, &error);
  g_assert_no_error (error);

  /* Every version once, newest first. */
  n = g_list_model_get_n_items (versions);
  g_assert_cmpuint (n, ==, n_versions);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) version = g_list_model_get_item (versions, i);

      g_assert_cmpint (navette_record_get_version (version), ==, n_versions - i);
    }

  /* navette-cli: ls and history follow the pages too. */
  {
    g_autofree char *home = g_dir_make_tmp ("navette-cli-XXXXXX", &error);
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GPtrArray) ids = NULL;
    GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
    JsonArray *records;

    g_assert_no_error (error);
    ids = engine_test_create_products (server, token, "Listed", 120);
    g_assert_cmpint (engine_test_run_cli (home, NULL, NULL, "login", "alice", "--server", server->base_url, NULL), ==, 0);
    g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "ls", "catalogue/products", "--json", NULL), ==, 0);
    root = navette_json_parse_strict (out, strlen (out), &error);
    g_assert_no_error (error);
    records = json_object_get_array_member (json_node_get_object (root), "records");
    g_assert_cmpuint (json_array_get_length (records), ==, N_DEMO + 120);
    for (guint i = 0; i < json_array_get_length (records); i++)
      {
        const char *id = json_object_get_string_member (json_array_get_object_element (records, i), "id");

        g_assert_false (g_hash_table_contains (seen, id));
        g_hash_table_add (seen, (gpointer) id);
      }
    for (guint i = 0; i < ids->len; i++)
      g_assert_true (g_hash_table_contains (seen, g_ptr_array_index (ids, i)));
    g_hash_table_unref (seen);

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&root, json_node_unref);
    g_assert_cmpint (engine_test_run_cli (home, &out, NULL, "history", "catalogue/products", DEMO_PRODUCT_1, "--json", NULL), ==, 0);
    root = navette_json_parse_strict (out, strlen (out), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root), "versions")), ==, n_versions);
    engine_test_rm_rf (home);
  }
}

/* ---- The prefetching walk (a page sink, as the replica's) ---- */

typedef enum
{
  SINK_WHOLE,
  SINK_CANCEL,   /* cancels after the second page */
  SINK_STOP,     /* stops the server after the second page */
} SinkMode;

typedef struct
{
  SinkMode           mode;
  NavetteClient     *client;
  NavetteTestServer *server;
  GCancellable      *cancellable;
  GHashTable        *ids;          /* id → times given */
  guint              pages;
  guint              rows;
  gboolean           last_seen;
  gboolean           after_end;    /* a page handed over after the walk ended */
  GPtrArray          *asked_ahead; /* per page: requests sent when it came */
  guint64            requests0;
  GAsyncResult      *result;
} Sink;

static void
sink_page (GPtrArray *records,
           gint64     revision,
           gboolean   last,
           GTask     *walk,
           gpointer   user_data)
{
  Sink *sink = user_data;
  g_autoptr(GPtrArray) owned = records;

  if (sink->result != NULL)
    sink->after_end = TRUE;
  g_assert_false (sink->last_seen);
  sink->pages++;
  sink->last_seen = last;
  g_ptr_array_add (sink->asked_ahead,
                   GUINT_TO_POINTER ((guint) (navette_client_get_requests (sink->client) - sink->requests0)));
  for (guint i = 0; i < records->len; i++)
    {
      g_autoptr(NavetteWireRecord) record = navette_packed_record_to_wire (g_ptr_array_index (records, i));
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (sink->ids, record->id));

      g_hash_table_insert (sink->ids, g_strdup (record->id), GUINT_TO_POINTER (n + 1));
      sink->rows++;
    }
  if (sink->pages == 2 && sink->mode == SINK_CANCEL)
    g_cancellable_cancel (sink->cancellable);
  if (sink->pages == 2 && sink->mode == SINK_STOP)
    navette_test_server_stop (sink->server);
  navette_client_walk_resume (walk, NULL);
}

static void
walk_result_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Sink *sink = user_data;

  g_assert_null (sink->result);
  sink->result = g_object_ref (result);
}

/* Walks the products through a sink; returns the walk's error, if any. */
static GError *
sink_walk (NavetteTestServer *server,
           const char        *token,
           Sink              *sink)
{
  g_autoptr(NavetteClient) client = navette_client_new (server->base_url);
  GError *error = NULL;

  navette_client_set_token (client, token);
  sink->client = client;
  sink->server = server;
  sink->cancellable = g_cancellable_new ();
  sink->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sink->asked_ahead = g_ptr_array_new ();
  sink->requests0 = navette_client_get_requests (client);
  navette_client_walk_records_async (client, "catalogue", "products", -1, sink_page, sink,
                                     sink->cancellable, walk_result_cb, sink);
  ENGINE_WAIT_UNTIL (sink->result != NULL, 30000);
  navette_client_walk_records_finish (client, sink->result, NULL, &error);
  /* Nothing more comes once it ended (a prefetch still running, say). */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (sink->after_end);
  sink->client = NULL;
  return error;
}

static void
sink_clear (Sink *sink)
{
  g_clear_object (&sink->cancellable);
  g_clear_pointer (&sink->ids, g_hash_table_unref);
  g_clear_pointer (&sink->asked_ahead, g_ptr_array_unref);
  g_clear_object (&sink->result);
}

static void
test_prefetching_walk (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (server_args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) ids = engine_test_create_products (server, token, "Walked", N_ADDED);
  const guint n_pages = (N_DEMO + N_ADDED + PAGE_SIZE - 1) / PAGE_SIZE;
  GError *error;

  /* The whole walk: every row once, 7 pages, the last one said so; when
   * page k (k < 7) is handed over, page k + 1 was asked for already. */
  {
    Sink sink = { .mode = SINK_WHOLE };

    error = sink_walk (server, token, &sink);
    g_assert_no_error (error);
    g_assert_cmpuint (sink.pages, ==, n_pages);
    g_assert_true (sink.last_seen);
    g_assert_cmpuint (sink.rows, ==, N_DEMO + N_ADDED);
    g_assert_cmpuint (g_hash_table_size (sink.ids), ==, N_DEMO + N_ADDED);
    for (guint i = 0; i < ids->len; i++)
      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (sink.ids, g_ptr_array_index (ids, i))), ==, 1);
    for (guint i = 0; i + 1 < n_pages; i++)
      g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (sink.asked_ahead, i)), ==, i + 2);
    g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (sink.asked_ahead, n_pages - 1)), ==, n_pages);
    sink_clear (&sink);
  }

  /* Cancelled after the second page: it ends cancelled, two pages given. */
  {
    Sink sink = { .mode = SINK_CANCEL };

    error = sink_walk (server, token, &sink);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (sink.pages, ==, 2);
    g_assert_cmpuint (sink.rows, ==, 2 * PAGE_SIZE);
    g_assert_false (sink.last_seen);
    sink_clear (&sink);
  }

  /* The server stopped after the second page: the third page, fetched
   * already or not, may come; then the walk fails as a network error,
   * the rows given each given once. */
  {
    Sink sink = { .mode = SINK_STOP };

    error = sink_walk (server, token, &sink);
    g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK);
    g_clear_error (&error);
    g_assert_cmpuint (sink.pages, >=, 2);
    g_assert_cmpuint (sink.pages, <=, 3);
    g_assert_false (sink.last_seen);
    g_assert_cmpuint (sink.rows, ==, sink.pages * PAGE_SIZE);
    g_assert_cmpuint (g_hash_table_size (sink.ids), ==, sink.rows);
    sink_clear (&sink);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/paging/full-and-delta", test_full_and_delta);
  g_test_add_func ("/engine/paging/writes-during-walk", test_writes_during_walk);
  g_test_add_func ("/engine/paging/long-history", test_long_history);
  g_test_add_func ("/engine/paging/prefetching-walk", test_prefetching_walk);

  return g_test_run ();
}
