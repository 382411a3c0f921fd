/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-replica-model — figures of the lazy model over the replica
 * (NavetteReplicaModel, issue 14) against the real server, with a products
 * table of N rows inserted with plain SQL (N: the first argument, or
 * NAVETTE_BENCH_ROWS; 100 000 by default), synced once into a replica in
 * this process; each figure taken R times (the second argument, or
 * NAVETTE_BENCH_REPEAT; 3 by default), printed as median [min–max]:
 *
 *  - open: the replica opened and a model made (its view unsorted), to
 *    n_items known and the first 50 rows materialised (what a window
 *    paints first), and to all its keys read (the model reads a view's
 *    first keys and its count first, the rest behind);
 *  - sort by a text and by a number column, and search (in the order by
 *    id, unsorted, and sorted by a column: typed in the sorted view, or
 *    the sort clicked during the search), through the model: from
 *    set_view() to n_items known and the first rows materialised;
 *  - scroll from the top to the bottom: every item asked in order (a
 *    batch awaited whenever a placeholder comes), with the records
 *    materialised at the end and the process's RSS before and after.
 *
 * NAVETTE_BENCH_QUICK=1: no scroll.
 * NAVETTE_BENCH_REPLICA=PATH: no server and no sync; a copy of the
 * replica at PATH (made by bench-replica's NAVETTE_BENCH_SAVE, products
 * in catalogue) is used instead, so that a million rows are synced once.
 *
 * Nothing is asserted on timings (machines differ). */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <sys/resource.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "navette-engine.h"
#include "navette-replica-model.h"
#include "navette-test-server.h"
#include "bench-util.h"

#define FIRST_ROWS 50

static void
changed_cb (GListModel *list,
            guint       position,
            guint       removed,
            guint       added,
            gboolean   *changed)
{
  *changed = TRUE;
}

/* Waits for the model's new keys — its first ones (a view's head: the
 * count and the first keys) or all of them, whichever is applied first —
 * then materialises its first rows: @first_us, when that was done
 * (monotonic). Then waits for the rest of the keys. */
static void
wait_first_rows_at (NavetteReplicaModel *model,
                    gint64              *first_us)
{
  GListModel *list = G_LIST_MODEL (model);
  gboolean changed = FALSE;
  gulong handler = g_signal_connect (model, "items-changed", G_CALLBACK (changed_cb), &changed);
  guint n;

  while (navette_replica_model_get_loading (model) && !changed)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (model, handler);
  n = MIN (FIRST_ROWS, g_list_model_get_n_items (list));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (list, i);

      while (*navette_record_get_id (record) == '\0')
        g_main_context_iteration (NULL, TRUE);
    }
  if (first_us != NULL)
    *first_us = g_get_monotonic_time ();
  while (navette_replica_model_get_loading (model))
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_first_rows (NavetteReplicaModel *model)
{
  wait_first_rows_at (model, NULL);
}

int
main (int    argc,
      char **argv)
{
  guint n_rows = argc > 1 ? atoi (argv[1]) : g_getenv ("NAVETTE_BENCH_ROWS") ? atoi (g_getenv ("NAVETTE_BENCH_ROWS")) : 100000;
  guint repeat = argc > 2 ? atoi (argv[2]) : g_getenv ("NAVETTE_BENCH_REPEAT") ? atoi (g_getenv ("NAVETTE_BENCH_REPEAT")) : 3;
  const char *saved = g_getenv ("NAVETTE_BENCH_REPLICA");
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *root = g_dir_make_tmp ("bench-replica-model-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  repeat = MAX (repeat, 1);
  if (saved != NULL)
    {
      g_autofree char *command = NULL;

      path = g_build_filename (root, "replica.db", NULL);
      command = g_strdup_printf ("cp '%s' '%s'", saved, path);
      g_assert_true (system (command) == 0);
      g_print ("bench-replica-model: the replica %s, %u run(s) per figure; median [min–max]\n", saved, repeat);
      replica = navette_replica_open (path, &error);
      if (replica == NULL)
        g_error ("%s", error->message);
    }
  else
    {
      g_autofree char *fill = NULL;
      g_autofree char *token = NULL;
      g_autoptr(NavetteClient) client = NULL;
      g_autoptr(NavetteWireTable) schema = NULL;

      server = navette_test_server_start (NULL);
      token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
      path = navette_replica_path_for (root, server->base_url, "admin");
      client = navette_client_new (server->base_url);
      navette_client_set_token (client, token);
      g_print ("bench-replica-model: %u rows (+6 demo), %u run(s) per figure; median [min–max]\n", n_rows, repeat);
      fill = g_strdup_printf ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %u) "
                              "INSERT INTO \"catalogue.products\" (name, price, stock, published) "
                              "SELECT 'Product number ' || x, x * 0.25, x, x %% 2 FROM c", n_rows);
      navette_test_sqlite_exec (server, fill);
      {
        g_autoptr(JsonObject) object = navette_test_table_json (server, token, "catalogue", "products");

        schema = navette_wire_table_from_json (object, NULL);
        g_assert_nonnull (schema);
      }

      replica = navette_replica_open (path, &error);
      if (replica == NULL)
        g_error ("%s", error->message);
      start = g_get_monotonic_time ();
      if (!navette_replica_sync (replica, client, "catalogue", schema, NULL, NULL, &error))
        g_error ("sync: %s", error->message);
      g_print ("first sync (in process, not a figure of this bench): %.0f ms\n",
               (g_get_monotonic_time () - start) / 1000.0);
    }
  /* Indexes of the sorted columns built once, as they are after a first
   * sort; the figures below are of the model. */
  {
    const char *columns[] = { "key", "name", "price" };

    for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
      {
        NavetteReplicaView view = { .sort_column = columns[c], .limit = 1 };
        g_autoptr(NavetteReplicaModel) model = navette_replica_model_new (replica, "catalogue", "products");

        navette_replica_model_set_view (model, &view);
        wait_first_rows (model);
      }
  }
  g_clear_object (&replica);

  /* Open: a replica opened and a model made, to its first rows. */
  {
    g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) wholes = g_array_new (FALSE, FALSE, sizeof (double));
    g_autofree char *t = NULL, *c = NULL, *w = NULL;
    guint n = 0;

    for (guint i = 0; i < repeat; i++)
      {
        g_autoptr(NavetteReplica) opened = NULL;
        g_autoptr(NavetteReplicaModel) model = NULL;
        double ms, whole, cpu = bench_cpu_ms ();
        gint64 first_us;

        start = g_get_monotonic_time ();
        opened = navette_replica_open (path, &error);
        if (opened == NULL)
          g_error ("%s", error->message);

        model = navette_replica_model_new (opened, "catalogue", "products");
        wait_first_rows_at (model, &first_us);
        ms = (first_us - start) / 1000.0;
        whole = (g_get_monotonic_time () - start) / 1000.0;
        cpu = bench_cpu_ms () - cpu;
        n = g_list_model_get_n_items (G_LIST_MODEL (model));
        g_array_append_val (times, ms);
        g_array_append_val (cpus, cpu);
        g_array_append_val (wholes, whole);
      }
    t = bench_summary (times, "ms");
    c = bench_summary (cpus, "ms");
    w = bench_summary (wholes, "ms");
    g_print ("open from the replica to n_items (%u) and the first %u rows materialised: %s; "
             "to all its keys read: %s (CPU of the process, all keys: %s)\n",
             n, FIRST_ROWS, t, w, c);
  }

  replica = navette_replica_open (path, &error);
  if (replica == NULL)
    g_error ("%s", error->message);

  /* Sort and search through the model. */
  {
    /* Each from another view (unsorted unless said): a search typed in
     * a sorted view comes from that sort without a search, a sort
     * clicked during a search from the search unsorted. */
    struct { const char *label; NavetteReplicaView view; NavetteReplicaView from; } views[] = {
      { "sort by name (text), ascending", { .sort_column = "name" }, { .sort_column = "key" } },
      { "sort by name (text), descending", { .sort_column = "name", .descending = TRUE }, { .sort_column = "key" } },
      { "sort by price (real), ascending", { .sort_column = "price" }, { .sort_column = "key" } },
      { "sort by price (real), descending", { .sort_column = "price", .descending = TRUE }, { .sort_column = "key" } },
      { "search \"number 4242\"", { .search = "number 4242" }, { .sort_column = "key" } },
      { "search \"product\" (every row)", { .search = "product" }, { .sort_column = "key" } },
      /* The same in the model's default order (no column sorted). */
      { "search \"number 4242\", unsorted", { .search = "number 4242", .sort_column = "key" }, { .sort_column = "key" } },
      { "search \"product\" (every row), unsorted", { .search = "product", .sort_column = "key" }, { .sort_column = "key" } },
      /* Sorted searches of a word every row has. */
      { "search \"product\" typed in the view sorted by name", { .search = "product", .sort_column = "name" },
        { .sort_column = "name" } },
      { "search \"product\" typed in the view sorted by price, descending",
        { .search = "product", .sort_column = "price", .descending = TRUE },
        { .sort_column = "price", .descending = TRUE } },
      { "sort by name clicked during the search \"product\" sorted by price",
        { .search = "product", .sort_column = "name" }, { .search = "product", .sort_column = "price" } },
      { "sort by price clicked during the search \"product\" sorted by name",
        { .search = "product", .sort_column = "price" }, { .search = "product", .sort_column = "name" } },
    };
    g_autoptr(NavetteReplicaModel) model = navette_replica_model_new (replica, "catalogue", "products");
    const char *last_search = NULL;

    wait_first_rows (model);
    for (guint v = 0; v < G_N_ELEMENTS (views); v++)
      {
        g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
        g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (double));
        g_autoptr(GArray) wholes = g_array_new (FALSE, FALSE, sizeof (double));
        g_autofree char *t = NULL, *c = NULL, *w = NULL;

        for (guint i = 0; i < repeat; i++)
          {
            NavetteReplicaView view = views[v].view;
            gint64 first_us;
            double ms, cpu;

            /* From another view each time; a search typed is another
             * word than the last one searched ("product", "produc":
             * every row), as when typing, so that no run finds the rows
             * it matches already read (the replica's worker keeps the
             * last search's matches while nothing changes). */
            if (g_strcmp0 (view.search, "product") == 0 && g_strcmp0 (views[v].from.search, "product") != 0 &&
                g_strcmp0 (last_search, "product") == 0)
              view.search = "produc";
            navette_replica_model_set_view (model, &views[v].from);
            wait_first_rows (model);
            if (views[v].from.search != NULL)
              last_search = views[v].from.search;
            if (view.search != NULL)
              last_search = view.search;
            cpu = bench_cpu_ms ();
            start = g_get_monotonic_time ();
            navette_replica_model_set_view (model, &view);
            wait_first_rows_at (model, &first_us);
            ms = (first_us - start) / 1000.0;
            cpu = bench_cpu_ms () - cpu;
            g_array_append_val (times, ms);
            g_array_append_val (cpus, cpu);
            ms = (g_get_monotonic_time () - start) / 1000.0;
            g_array_append_val (wholes, ms);
          }
        t = bench_summary (times, "ms");
        c = bench_summary (cpus, "ms");
        w = bench_summary (wholes, "ms");
        g_print ("%s through the model, to the first rows: %u items, %s; all keys read: %s (CPU, all keys: %s)\n",
                 views[v].label, g_list_model_get_n_items (G_LIST_MODEL (model)), t, w, c);
      }
  }

  /* Scroll from top to bottom (not with NAVETTE_BENCH_QUICK). */
  if (g_getenv ("NAVETTE_BENCH_QUICK") == NULL)
  {
    g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) growth = g_array_new (FALSE, FALSE, sizeof (double));
    g_autofree char *t = NULL, *g = NULL;
    guint materialised = 0;
    double before = 0;

    for (guint r = 0; r < repeat; r++)
      {
        g_autoptr(NavetteReplicaModel) model = navette_replica_model_new (replica, "catalogue", "products");
        GListModel *list = G_LIST_MODEL (model);
        guint n;
        double ms, grown;

        wait_first_rows (model);
        before = bench_rss_now ();
        n = g_list_model_get_n_items (list);
        start = g_get_monotonic_time ();
        for (guint i = 0; i < n; i++)
          {
            g_autoptr(NavetteRecord) record = g_list_model_get_item (list, i);

            while (*navette_record_get_id (record) == '\0')
              g_main_context_iteration (NULL, TRUE);
            /* What a cell shows. */
            (void) navette_record_get_string (record, "name");
          }
        ms = (g_get_monotonic_time () - start) / 1000.0;
        grown = bench_rss_now () - before;
        materialised = navette_replica_model_get_n_materialised (model);
        g_array_append_val (times, ms);
        g_array_append_val (growth, grown);
      }
    t = bench_summary (times, "ms");
    g = bench_summary (growth, "MiB");
    g_print ("scroll top to bottom: %s; records materialised at the end %u; RSS before %.0f MiB, "
             "growth %s; peak RSS of the process (sync included) %.0f MiB\n",
             t, materialised, before, g, bench_rss_peak ());
  }

  g_clear_object (&replica);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", root);
    g_assert_true (system (command) == 0);
  }
  return 0;
}
