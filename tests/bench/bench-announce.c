/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-announce.c — how soon a WebSocket subscriber hears of changes
 * made outside the server process:
 *
 *  - `navette-server column add` / `table add` run as a separate process
 *    → {"type":"schema"} received by an admin's socket;
 *  - `navette-server grant` / `revoke` → {"type":"roles"} received by the
 *    user's socket;
 *  - a row inserted into a content table by plain SQL (sqlite3 or libpq,
 *    from this process) → {"type":"table"} received.
 *
 * Delays run from starting the command (or the INSERT) to the message,
 * on loopback; the command's own run time (process start, opening the
 * database, its transaction, exit) is printed beside them. Each change
 * comes after a random pause (under 0.5 s), so that it falls anywhere
 * between two looks of the SQLite server. Median and range of --rounds N
 * (default 20) each. Figures, never assertions.
 *
 * The backend is the test helper's: SQLite by default (the server looks
 * at the file every NAVETTE_DB_SQLITE_WATCH_MS), PostgreSQL when
 * NAVETTE_TEST_BACKEND=postgresql (LISTEN/NOTIFY; run through
 * tests/postgres/pg-cluster.sh as the bench-announce-pg benchmark does). */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#if HAVE_POSTGRESQL
#include "navette-test-pg.h"
#endif

#include "server-test-util.h"
#include "bench-util.h"

/* NAVETTE_DB_SQLITE_WATCH_MS, the SQLite server's look interval */
#define SQLITE_WATCH_MS 500

static int rounds = 20;

typedef struct
{
  const char *name;
  GArray     *delays;    /* of double, ms: start → message */
  GArray     *commands;  /* of double, ms: the command's own run time */
} Figure;

static Figure *
figure_new (const char *name)
{
  Figure *figure = g_new0 (Figure, 1);

  figure->name = name;
  figure->delays = g_array_new (FALSE, FALSE, sizeof (double));
  figure->commands = g_array_new (FALSE, FALSE, sizeof (double));
  return figure;
}

static void
figure_print (Figure *figure)
{
  BenchFigures delays = bench_figures (figure->delays);

  printf ("%-34s median %7.1f ms  range %6.1f – %6.1f ms", figure->name, delays.median, delays.min, delays.max);
  if (figure->commands->len > 0)
    printf ("   (the command itself: median %.1f ms)", bench_figures (figure->commands).median);
  printf ("\n");
  g_array_unref (figure->delays);
  g_array_unref (figure->commands);
  g_free (figure);
}

typedef struct
{
  gboolean done;
  gint64   ended;
  int      status;
} Command;

static void
command_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Command *command = data;
  GSubprocess *process = G_SUBPROCESS (source);

  command->ended = g_get_monotonic_time ();
  g_subprocess_wait_finish (process, result, NULL);
  command->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  command->done = TRUE;
}

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A pause of a random length under @max_ms, the main loop running: the
 * changes then fall anywhere between two of the SQLite server's looks,
 * not right after one (the previous change was heard at a look). */
static void
random_pause (guint max_ms)
{
  gboolean done = FALSE;

  g_timeout_add (g_random_int_range (0, max_ms), flag_cb, &done);
  st_wait_flag (&done);
}

/* Runs `navette-server ARGS… --db DB` (NULL-terminated) without waiting
 * for it, then waits for the next message of @type on @sub: adds the
 * delay from the start to @figure, and the command's run time. */
static void
run_and_wait (NavetteTestServer *server,
              StSubscriber      *sub,
              const char        *type,
              Figure            *figure,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) message = NULL;
  Command command = { FALSE, 0, 0 };
  const char *arg;
  gint64 started, heard;
  double ms;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NAVETTE_SERVER_BINARY"));
  va_start (args, figure);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, server->db);
  g_ptr_array_add (argv, NULL);

  random_pause (SQLITE_WATCH_MS);
  started = g_get_monotonic_time ();
  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, command_done_cb, &command);
  message = st_next_of_type (sub, type);
  heard = g_get_monotonic_time ();
  st_wait_flag (&command.done);
  g_assert_cmpint (command.status, ==, 0);

  ms = (heard - started) / 1000.0;
  g_array_append_val (figure->delays, ms);
  ms = (command.ended - started) / 1000.0;
  g_array_append_val (figure->commands, ms);
}

/* A plain-SQL insert into catalogue.products, from this process: the
 * delay from before the INSERT to its table announcement on @sub. */
static void
plain_sql_and_wait (NavetteTestServer *server,
                    StSubscriber      *sub,
                    Figure            *figure)
{
  g_autoptr(JsonNode) message = NULL;
  gint64 started;
  double ms;

  random_pause (SQLITE_WATCH_MS);
  if (g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") != 0)
    {
      sqlite3 *db = NULL;
      char *fail = NULL;

      g_assert_cmpint (sqlite3_open (server->db, &db), ==, SQLITE_OK);
      sqlite3_busy_timeout (db, 5000);
      started = g_get_monotonic_time ();
      if (sqlite3_exec (db, "INSERT INTO \"catalogue.products\" (name, price) VALUES ('Plain SQL', 1.5)",
                        NULL, NULL, &fail) != SQLITE_OK)
        g_error ("%s", fail);
      sqlite3_close (db);
    }
  else
    {
#if HAVE_POSTGRESQL
      g_autoptr(PGconn) conn = navette_test_pg_connect (server->db);
      g_autofree char *table = navette_test_pg_products_table (conn);
      g_autofree char *sql = g_strdup_printf ("INSERT INTO \"%s\" (updated_by, name, price) "
                                              "VALUES ('import', 'Plain SQL', 1.5)", table);

      started = g_get_monotonic_time ();
      navette_test_pg_exec (conn, sql);
#else
      g_error ("built without PostgreSQL");
#endif
    }
  message = st_next_of_type (sub, "table");
  ms = (g_get_monotonic_time () - started) / 1000.0;
  g_array_append_val (figure->delays, ms);
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Measures of each change (default 20)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— delays of announcements of outside changes");
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autoptr(StSubscriber) admin_sub = NULL;
  g_autoptr(StSubscriber) bob_sub = NULL;
  g_autofree char *warm = NULL;
  g_autoptr(JsonNode) first = NULL;
  Figure *column = figure_new ("column add → schema");
  Figure *table = figure_new ("table add → schema");
  Figure *grant = figure_new ("grant → roles");
  Figure *revoke = figure_new ("revoke → roles");
  Figure *plain = figure_new ("plain-SQL INSERT → table");
  const char *backend = g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") == 0 ? "postgresql" : "sqlite";

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (g_getenv ("NAVETTE_SERVER_BINARY") == NULL)
    {
      g_printerr ("NAVETTE_SERVER_BINARY must name navette-server (meson test --benchmark sets it)\n");
      return 2;
    }

  server = navette_test_server_start (NULL);
  admin = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  admin_sub = st_subscribe (server, admin, NULL);
  bob_sub = st_subscribe (server, bob, NULL);
  g_assert_nonnull (admin_sub);
  g_assert_nonnull (bob_sub);
  /* both live end to end */
  warm = st_create_product (server, alice, "Warm-up");
  first = st_next_of_type (admin_sub, "table");
  g_clear_pointer (&first, json_node_unref);
  first = st_next_of_type (bob_sub, "table");

  printf ("Announcements of changes made outside the server (%s, %d rounds, loopback):\n", backend, rounds);
  for (int i = 0; i < rounds; i++)
    {
      g_autofree char *spec = g_strdup_printf ("extra%d:text", i);
      g_autofree char *name = g_strdup_printf ("notes%d", i);

      run_and_wait (server, admin_sub, "schema", column, "column", "add", "catalogue", "products", spec, NULL);
      run_and_wait (server, admin_sub, "schema", table, "table", "add", "blog", name, "--column",
                    "text:text", NULL);
      run_and_wait (server, bob_sub, "roles", grant, "grant", "bob", "editor", "blog", NULL);
      run_and_wait (server, bob_sub, "roles", revoke, "revoke", "bob", "blog", NULL);
      plain_sql_and_wait (server, bob_sub, plain);
    }
  figure_print (column);
  figure_print (table);
  figure_print (grant);
  figure_print (revoke);
  figure_print (plain);
  return 0;
}
