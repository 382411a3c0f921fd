/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-engine — figures of the sync engine against the real server:
 *  - time and peak memory to load 100 000 records into the model;
 *  - time to apply a reload with 1 and with 1 000 changed rows;
 *  - time from an action to the model change, with the server delayed by
 *    500 ms (it must not depend on the network);
 *  - time from a write through one engine to the change in a second
 *    engine's model, with push and with 1 s polling.
 * Prints the figures and whether each target is met (optimistic apply
 * < 1 ms, 100 000-record load < 1 s and < 150 MiB). Timings depend on the
 * machine, so only the row counts (a 1-row reload touches one row) decide
 * the exit status. */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <malloc.h>
#include <sys/resource.h>

#include "navette-engine.h"
#include "engine-test-util.h"

#define N_ROWS 100000

/* Benchmarks wait longer than tests: a figure is never a timeout. */
#define WAIT_UNTIL(cond) ENGINE_WAIT_UNTIL (cond, 120000)

static long
maxrss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* Alice's engine; the benchmark drives reloads itself. */
static NavetteEngine *
engine_new (NavetteTestServer *server)
{
  NavetteEngine *engine = navette_test_engine_new (server, "alice", NULL);

  navette_poller_stop (navette_engine_get_poller (engine));
  return engine;
}

typedef struct
{
  guint calls;
  guint rows;
} Spy;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Spy        *spy)
{
  spy->calls++;
  spy->rows += MAX (removed, added);
}

/* Reloads @table; returns the milliseconds it took. */
static double
timed_reload (NavetteTable *table,
              gboolean      full,
              guint        *n_changed,
              Spy          *spy)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gulong handler;
  gint64 start;
  double ms;

  *spy = (Spy) { 0 };
  handler = g_signal_connect (table, "items-changed", G_CALLBACK (items_changed_cb), spy);
  start = g_get_monotonic_time ();
  navette_table_reload_async (table, full, NULL, navette_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  g_signal_handler_disconnect (table, handler);
  if (!navette_table_reload_finish (table, result, n_changed, &error))
    g_error ("reload: %s", error->message);
  return ms;
}

static int failures;

/* A target on time or memory: reported. */
static void
check (gboolean    ok,
       const char *what)
{
  g_print ("  %-58s %s\n", what, ok ? "ok" : "MISSED");
}

/* A correctness check: fails the benchmark. */
static void
require (gboolean    ok,
         const char *what)
{
  g_print ("  %-58s %s\n", what, ok ? "ok" : "FAILED");
  if (!ok)
    failures++;
}

static void
bench_load_and_reloads (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = NULL;
  g_autofree char *fill = NULL;
  g_autofree char *token = NULL;
  g_autofree char *patch = NULL;
  NavetteTable *table;
  Spy spy;
  guint n_changed;
  long rss_before, rss_after;
  double ms;

  fill = g_strdup_printf ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
                          "INSERT INTO \"catalogue.products\" (name, price, stock, published) "
                          "SELECT 'Product number ' || x, x * 0.25, x, x %% 2 FROM c", N_ROWS);
  navette_test_sqlite_exec (server, fill);

  engine = engine_new (server);
  table = navette_test_engine_table (engine, "catalogue", "products");

  rss_before = maxrss_kib ();
  ms = timed_reload (table, TRUE, &n_changed, &spy);
  rss_after = maxrss_kib ();
  g_print ("load of %u records into the model: %.1f ms (one items-changed: %u call(s))\n",
           g_list_model_get_n_items (G_LIST_MODEL (table)), ms, spy.calls);
  g_print ("peak RSS: %.1f MiB before the load, %.1f MiB after (process total)\n",
           rss_before / 1024.0, rss_after / 1024.0);
  {
    struct mallinfo2 info = mallinfo2 ();
    g_print ("heap in use after the load: %.1f MiB\n", (info.uordblks + info.hblkhd) / 1048576.0);
  }
  check (ms < 1000.0, "100 000-record load under 1 s");
  check (rss_after / 1024.0 < 150.0, "peak memory under 150 MiB");

  /* 1 changed row */
  token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  patch = g_strdup ("{\"base_version\": 1, \"data\": {\"stock\": 1}}");
  if (navette_test_request (server, "PATCH",
                            "/api/v1/applications/catalogue/tables/products/records/4e617665-7474-4500-8000-000000000101",
                            token, patch, NULL, NULL) != 200)
    g_error ("PATCH failed");
  ms = timed_reload (table, FALSE, &n_changed, &spy);
  g_print ("delta reload, 1 changed row: %.2f ms, %u row(s) changed, %u items-changed\n", ms, n_changed, spy.calls);
  require (n_changed == 1 && spy.calls == 1 && spy.rows == 1, "a 1-row reload touches one row");

  navette_test_sqlite_exec (server, "UPDATE \"catalogue.products\" SET stock = stock + 1 WHERE record_id = '4e617665-7474-4500-8000-000000000102' AND obsolete = 0");
  ms = timed_reload (table, TRUE, &n_changed, &spy);
  g_print ("full reload (%u rows), 1 changed row: %.1f ms, %u row(s) changed, %u items-changed\n",
           g_list_model_get_n_items (G_LIST_MODEL (table)), ms, n_changed, spy.calls);
  require (n_changed == 1 && spy.calls == 1 && spy.rows == 1, "a full reload with 1 change touches one row");

  /* 1 000 changed rows */
  navette_test_sqlite_exec (server, "UPDATE \"catalogue.products\" SET price = price + 1 WHERE obsolete = 0 AND row_id IN "
               "(SELECT row_id FROM \"catalogue.products\" WHERE obsolete = 0 ORDER BY row_id LIMIT 1000)");
  ms = timed_reload (table, FALSE, &n_changed, &spy);
  g_print ("delta reload, 1 000 changed rows: %.1f ms, %u row(s) changed, %u items-changed\n", ms, n_changed, spy.calls);
  require (n_changed == 1000, "a 1 000-row reload touches 1 000 rows");

  g_print ("bytes received: %" G_GUINT64_FORMAT "\n",
           navette_client_get_bytes_received (navette_engine_get_client (engine)));
}

static void
bench_action_latency (void)
{
  const char *args[] = { "--response-delay", "500", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteEngine) engine = engine_new (server);
  NavetteTable *table = navette_test_engine_table (engine, "catalogue", "products");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  double best = G_MAXDOUBLE, worst = 0, total_answer = 0;
  const guint n = 5;

  navette_table_reload_async (table, TRUE, NULL, navette_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  if (!navette_table_reload_finish (table, result, NULL, &error))
    g_error ("reload: %s", error->message);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteChange) change = NULL;
      Spy spy = { 0 };
      gulong handler;
      gint64 start, applied, answered;
      double ms;

      json_object_set_int_member (data, "stock", 1000 + i);
      handler = g_signal_connect (table, "items-changed", G_CALLBACK (items_changed_cb), &spy);
      start = g_get_monotonic_time ();
      change = navette_store_update (navette_table_get_store (table), table,
                                     "4e617665-7474-4500-8000-000000000103", data);
      applied = g_get_monotonic_time ();
      g_signal_handler_disconnect (table, handler);
      if (spy.calls != 1)
        g_error ("the action did not change the model at once");

      WAIT_UNTIL (navette_change_is_finished (change));
      answered = g_get_monotonic_time ();
      if (navette_change_get_state (change) != NAVETTE_CHANGE_STATE_SUCCEEDED)
        g_error ("the action failed");

      ms = (applied - start) / 1000.0;
      best = MIN (best, ms);
      worst = MAX (worst, ms);
      total_answer += (answered - start) / 1000.0;
    }

  g_print ("action → model change (server delayed 500 ms): best %.3f ms, worst %.3f ms; "
           "server answer after %.0f ms on average\n", best, worst, total_answer / n);
  check (worst < 1.0, "optimistic apply under 1 ms");
}

static gint64
stock_of (NavetteTable *table)
{
  NavetteRecord *record = navette_table_lookup (table, "4e617665-7474-4500-8000-000000000101");

  return record ? navette_record_get_int (record, "stock") : -1;
}

/* From a write through one engine to the change in a second engine's
 * model: with push (the poller at an hour) and with 1 s polling only. */
static void
bench_other_client_latency (gboolean push,
                            guint    n)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) writer = engine_new (server);
  g_autoptr(NavetteEngine) reader = engine_new (server);
  NavetteTable *wtable = navette_test_engine_table (writer, "catalogue", "products");
  NavetteTable *rtable = navette_test_engine_table (reader, "catalogue", "products");
  NavettePoller *poller = navette_engine_get_poller (reader);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  double best = G_MAXDOUBLE, worst = 0, total = 0;

  navette_table_reload_async (wtable, TRUE, NULL, navette_test_store_result_cb, &result);
  navette_table_reload_async (rtable, TRUE, NULL, navette_test_store_result_cb, &result2);
  WAIT_UNTIL (result != NULL && result2 != NULL);

  navette_poller_set_push (poller, push);
  navette_poller_set_interval (poller, push ? 3600 : 1);
  navette_poller_start (poller);
  if (push)
    WAIT_UNTIL (navette_poller_get_push_live (poller));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteChange) change = NULL;
      gint64 value = 5000 + i + (push ? 0 : 1000);
      gint64 start;
      double ms;

      json_object_set_int_member (data, "stock", value);
      if (!push)
        {
          /* Write at a random moment of the interval, not right after a
           * check. */
          gboolean waited = FALSE;

          g_timeout_add (g_random_int_range (0, 1000), engine_test_timeout_cb, &waited);
          WAIT_UNTIL (waited);
        }
      start = g_get_monotonic_time ();
      change = navette_store_update (navette_table_get_store (wtable), wtable,
                                     "4e617665-7474-4500-8000-000000000101", data);
      WAIT_UNTIL (stock_of (rtable) == value);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      best = MIN (best, ms);
      worst = MAX (worst, ms);
      total += ms;
      WAIT_UNTIL (navette_change_is_finished (change));
    }

  g_print ("write → other client's model, %s: average %.1f ms, best %.1f ms, worst %.1f ms (%u writes)\n",
           push ? "push" : "1 s polling", total / n, best, worst, n);
  if (push)
    check (total / n < 50.0, "write-to-other-client latency under 50 ms with push");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") == 0)
    {
      g_print ("bench-engine fills the table with plain SQL: SQLite only\n");
      return 0;
    }

  g_print ("# navette sync engine benchmark\n");
  bench_action_latency ();
  bench_other_client_latency (TRUE, 50);
  bench_other_client_latency (FALSE, 10);
  bench_load_and_reloads ();

  return failures == 0 ? 0 : 1;
}
