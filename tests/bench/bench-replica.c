/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-replica — figures of the local replica (NavetteReplica, issue 14)
 * against the real server, with a products table of N rows inserted with
 * plain SQL (N: the first argument, or NAVETTE_BENCH_ROWS; 100 000 by
 * default), each figure taken R times (the second argument, or
 * NAVETTE_BENCH_REPEAT; 3 by default), printed as median [min–max]:
 *
 *  - first sync into an empty replica (`navette-cli ls --limit 1` in a
 *    fresh data directory): time, peak RSS of navette-cli, replica size;
 *  - the keys of a view sorted by a text and by a number column (the first
 *    sort by a column builds its index: printed apart), and searched;
 *  - a delta of 1 and of 1 000 rows;
 *  - `navette-cli ls` of the whole table, with and without --json, output
 *    to /dev/null: time and peak RSS.
 *
 * NAVETTE_BENCH_QUICK=1: the first sync and the views only (to iterate).
 * NAVETTE_BENCH_SAVE=PATH: a copy of the replica just after the first
 * sync is left at PATH (to study it with the sqlite3 shell).
 *
 * Nothing is asserted on timings (machines differ). */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "navette-engine.h"
#include "navette-test-loop.h"
#include "navette-test-server.h"
#include "bench-util.h"

/* Runs navette-cli ARGV with @home as its XDG homes, stdout to /dev/null;
 * returns the wall time in ms and the child's peak RSS in MiB. */
static void
run_cli (const char         *home,
         const char * const *args,
         double             *ms,
         double             *rss_mib)
{
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  struct rusage usage;
  gint64 start;
  GPid pid;
  int status = 0;
  int out;

  envp = g_environ_setenv (envp, "XDG_CONFIG_HOME", config, TRUE);
  envp = g_environ_setenv (envp, "XDG_DATA_HOME", data, TRUE);
  envp = g_environ_setenv (envp, "XDG_CACHE_HOME", cache, TRUE);
  envp = g_environ_setenv (envp, "NAVETTE_PASSWORD", NAVETTE_DEMO_PASSWORD, TRUE);
  envp = g_environ_unsetenv (envp, "NAVETTE_SERVER");
  g_ptr_array_add (argv, (gpointer) g_getenv ("NAVETTE_CLI_BINARY"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  out = open ("/dev/null", O_WRONLY);
  start = g_get_monotonic_time ();
  if (!g_spawn_async_with_fds (NULL, (char **) argv->pdata, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                               NULL, NULL, &pid, -1, out, 2, &error))
    g_error ("navette-cli: %s", error->message);
  close (out);
  /* The server is another process: nothing to run here meanwhile. */
  if (wait4 (pid, &status, 0, &usage) < 0)
    g_error ("wait4 failed");
  *ms = (g_get_monotonic_time () - start) / 1000.0;
  *rss_mib = usage.ru_maxrss / 1024.0;
  g_debug ("navette-cli %s: %.0f ms, CPU user %.0f ms, system %.0f ms", args[0], *ms,
           usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0,
           usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("navette-cli %s failed (status %d)", args[0], status);
  g_spawn_close_pid (pid);
}

static double
time_query (NavetteReplica           *replica,
            const NavetteReplicaView *view,
            guint                    *n)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) keys = NULL;
  gint64 start = g_get_monotonic_time ();

  navette_replica_query_keys_async (replica, "catalogue", "products", view, NULL, navette_test_store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  keys = navette_replica_query_keys_finish (replica, result, &error);
  if (keys == NULL)
    g_error ("query: %s", error->message);
  *n = keys->len;
  return (g_get_monotonic_time () - start) / 1000.0;
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

int
main (int    argc,
      char **argv)
{
  guint n_rows = argc > 1 ? atoi (argv[1]) : g_getenv ("NAVETTE_BENCH_ROWS") ? atoi (g_getenv ("NAVETTE_BENCH_ROWS")) : 100000;
  guint repeat = argc > 2 ? atoi (argv[2]) : g_getenv ("NAVETTE_BENCH_REPEAT") ? atoi (g_getenv ("NAVETTE_BENCH_REPEAT")) : 3;
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *fill = NULL;
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autofree char *root = g_dir_make_tmp ("bench-replica-XXXXXX", NULL);
  g_autofree char *home = g_build_filename (root, "home", NULL);
  g_autofree char *data_dir = g_build_filename (home, "data", "navette", NULL);
  g_autofree char *path = navette_replica_path_for (data_dir, server->base_url, "admin");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(NavetteClient) client = navette_client_new (server->base_url);
  g_autoptr(NavetteWireTable) schema = NULL;
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(GError) error = NULL;
  const char *login[] = { "login", "admin", "--server", server->base_url, NULL };
  const char *first_sync[] = { "ls", "catalogue/products", "--limit", "1", NULL };
  const char *ls[] = { "ls", "catalogue/products", NULL };
  const char *ls_json[] = { "ls", "catalogue/products", "--json", NULL };
  double ms, rss;
  guint n;

  repeat = MAX (repeat, 1);
  navette_client_set_token (client, token);
  g_print ("bench-replica: %u rows (+6 demo), %u run(s) per figure; median [min–max]\n", n_rows, repeat);
  fill = g_strdup_printf ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %u) "
                          "INSERT INTO \"catalogue.products\" (name, price, stock, published) "
                          "SELECT 'Product number ' || x, x * 0.25, x, x %% 2 FROM c", n_rows);
  navette_test_sqlite_exec (server, fill);

  /* First sync, in a fresh data directory each time. */
  {
    g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) rsss = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (double));
    g_autofree char *t = NULL, *r = NULL, *s = NULL;

    for (guint i = 0; i < repeat; i++)
      {
        double size;
        g_autofree char *data = g_build_filename (home, "data", NULL);
        g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data);

        g_assert_true (system (command) == 0);
        run_cli (home, login, &ms, &rss);
        run_cli (home, first_sync, &ms, &rss);
        size = (file_size (path) + file_size (wal)) / 1048576.0;
        g_array_append_val (times, ms);
        g_array_append_val (rsss, rss);
        g_array_append_val (sizes, size);
      }
    t = bench_summary (times, "ms");
    r = bench_summary (rsss, "MiB");
    s = bench_summary (sizes, "MiB");
    g_print ("first sync (navette-cli ls --limit 1): %s; peak RSS %s; replica on disk %s\n", t, r, s);
    if (g_getenv ("NAVETTE_BENCH_SAVE") != NULL)
      {
        g_autofree char *command = g_strdup_printf ("cp '%s' '%s'", path, g_getenv ("NAVETTE_BENCH_SAVE"));

        g_assert_true (system (command) == 0);
      }
  }

  replica = navette_replica_open (path, &error);
  if (replica == NULL)
    g_error ("%s", error->message);
  {
    g_autoptr(JsonObject) object = navette_test_table_json (server, token, "catalogue", "products");

    schema = navette_wire_table_from_json (object, NULL);
    g_assert_nonnull (schema);
  }

  /* The first sync again, in this process (its phases with
   * G_MESSAGES_DEBUG=navette-engine), into a replica of its own. */
  if (g_getenv ("NAVETTE_BENCH_QUICK") != NULL)
    {
      g_autofree char *other = g_build_filename (root, "inproc", "replica.db", NULL);
      g_autoptr(NavetteReplica) fresh = navette_replica_open (other, &error);
      struct rusage before, after;
      guint64 applied = 0;
      gint64 start;

      g_assert_nonnull (fresh);
      getrusage (RUSAGE_SELF, &before);
      start = g_get_monotonic_time ();
      if (!navette_replica_sync (fresh, client, "catalogue", schema, NULL, &applied, &error))
        g_error ("sync: %s", error->message);
      getrusage (RUSAGE_SELF, &after);
      g_print ("first sync in process: %.0f ms (%" G_GUINT64_FORMAT " rows), CPU user %.1f s, system %.1f s\n",
               (g_get_monotonic_time () - start) / 1000.0, applied,
               (after.ru_utime.tv_sec - before.ru_utime.tv_sec) + (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6,
               (after.ru_stime.tv_sec - before.ru_stime.tv_sec) + (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6);
    }

  /* The sort indexes, built in the background as a window showing the
   * table does once it is complete (a whole walk queues them too; the
   * CLI's exit above left them unbuilt). */
  {
    double before = (file_size (path) + file_size (wal)) / 1048576.0;
    gint64 start = g_get_monotonic_time ();

    /* A click while one is built: a view's first keys (one that needs
     * no index), asked half a second into the builds, yielded to. */
    NavetteReplicaView click = { .sort_column = "key", .archived = NAVETTE_REPLICA_ARCHIVED_ALL, .limit = 50 };
    double click_ms;

    navette_replica_build_sort_indexes (replica, "catalogue", schema);
    g_usleep (G_USEC_PER_SEC / 2);
    click_ms = time_query (replica, &click, &n);
    navette_replica_wait_background (replica);
    g_print ("sort indexes built in the background: %.0f ms in all; replica on disk %.1f MiB before, %.1f MiB after; "
             "a view's first %u keys asked 0.5 s into the builds: %.1f ms\n",
             (g_get_monotonic_time () - start) / 1000.0, before,
             (file_size (path) + file_size (wal)) / 1048576.0, n, click_ms);
  }

  /* Views */
  {
    struct { const char *label; NavetteReplicaView view; } views[] = {
      { "sort by name (text), ascending", { .sort_column = "name" } },
      { "sort by name (text), descending", { .sort_column = "name", .descending = TRUE } },
      { "sort by price (real), ascending", { .sort_column = "price" } },
      { "sort by price (real), descending", { .sort_column = "price", .descending = TRUE } },
      { "search \"number 4242\"", { .search = "number 4242" } },
      { "search \"number 4242\" in the window's order (key)", { .search = "number 4242", .sort_column = "key" } },
      { "search \"product\" (every row)", { .search = "product" } },
    };

    for (guint v = 0; v < G_N_ELEMENTS (views); v++)
      {
        g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
        g_autofree char *t = NULL;
        double first = time_query (replica, &views[v].view, &n);

        for (guint i = 0; i < MAX (repeat, 3); i++)
          {
            /* The worker keeps the last view's keys and the last
             * search's matches while nothing changes: another view and
             * another search read before each run, so that each reads
             * the replica (through the model, docs/replica.md "Sorted
             * search", the kept ones are what a search typed uses). */
            NavetteReplicaView other = { .sort_column = "key", .search = "zzzz" };
            NavetteReplicaView other_unsearched = { .sort_column = "key" };
            guint n_other;

            time_query (replica, &other, &n_other);
            time_query (replica, &other_unsearched, &n_other);
            ms = time_query (replica, &views[v].view, &n);
            g_array_append_val (times, ms);
          }
        t = bench_summary (times, "ms");
        g_print ("%s: %u keys, first %.1f ms (sort indexes built in the background before), then %s\n",
                 views[v].label, n, first, t);
      }
  }

  if (g_getenv ("NAVETTE_BENCH_QUICK") != NULL)
    goto done;

  /* Deltas */
  {
    g_autoptr(GArray) t1 = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) t1000 = g_array_new (FALSE, FALSE, sizeof (double));
    g_autofree char *a = NULL, *b = NULL;

    for (guint i = 0; i < repeat; i++)
      {
        guint64 applied = 0;
        gint64 start;

        navette_test_sqlite_exec (server, "UPDATE \"catalogue.products\" SET stock = stock + 1 WHERE record_id = '4e617665-7474-4500-8000-000000000102' AND obsolete = 0");
        start = g_get_monotonic_time ();
        if (!navette_replica_sync (replica, client, "catalogue", schema, NULL, &applied, &error))
          g_error ("sync: %s", error->message);
        ms = (g_get_monotonic_time () - start) / 1000.0;
        g_assert_cmpuint (applied, ==, 1);
        g_array_append_val (t1, ms);

        navette_test_sqlite_exec (server, "UPDATE \"catalogue.products\" SET price = price + 1 WHERE obsolete = 0 AND row_id IN "
                     "(SELECT row_id FROM \"catalogue.products\" WHERE obsolete = 0 ORDER BY row_id LIMIT 1000)");
        start = g_get_monotonic_time ();
        if (!navette_replica_sync (replica, client, "catalogue", schema, NULL, &applied, &error))
          g_error ("sync: %s", error->message);
        ms = (g_get_monotonic_time () - start) / 1000.0;
        g_assert_cmpuint (applied, ==, 1000);
        g_array_append_val (t1000, ms);
      }
    a = bench_summary (t1, "ms");
    b = bench_summary (t1000, "ms");
    g_print ("delta of 1 row: %s; of 1 000 rows: %s\n", a, b);
  }
  g_clear_object (&replica);

  /* navette-cli ls of the whole table (after an empty delta). */
  for (guint j = 0; j < 2; j++)
    {
      g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) rsss = g_array_new (FALSE, FALSE, sizeof (double));
      g_autofree char *t = NULL, *r = NULL;

      for (guint i = 0; i < repeat; i++)
        {
          run_cli (home, j == 0 ? ls : ls_json, &ms, &rss);
          g_array_append_val (times, ms);
          g_array_append_val (rsss, rss);
        }
      t = bench_summary (times, "ms");
      r = bench_summary (rsss, "MiB");
      g_print ("navette-cli ls%s of %u rows: %s; peak RSS %s\n", j == 0 ? "" : " --json", n_rows + 6, t, r);
    }

done:
  g_clear_object (&replica);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", root);
    g_assert_true (system (command) == 0);
  }
  return 0;
}
