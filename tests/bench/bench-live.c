/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-live.c — how soon the ENGINE follows schema and role changes
 * made by the `navette-server` administration commands:
 *
 *  - schema: `column add blog articles cN:text` → the column is in the
 *    engine's table (the table list and schemas read again);
 *  - roles: `grant bob editor|reader catalogue` (alternately) → the
 *    store's role switched (`/me` read again, then `/applications`).
 *
 * With push (the WebSocket; polls every hour so they cannot help) and
 * without (polls every --interval-ms, 1000 by default: the delay is then
 * up to one interval plus the reads). Delays run from the command's exit
 * (its own run time — process start, opening the database — is printed
 * beside them) to the engine's state, on loopback, each change after a
 * random pause under 0.5 s. Median and range of --rounds N (default 10).
 * Figures, never assertions. */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine-test-util.h"

static int rounds = 10;
static int interval_ms = 1000;

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
print_figures (const char *what,
               GArray     *delays,
               GArray     *commands)
{
  double *d = (double *) delays->data;
  double *c = (double *) commands->data;

  qsort (d, delays->len, sizeof (double), compare_double);
  qsort (c, commands->len, sizeof (double), compare_double);
  printf ("%-34s median %7.1f ms  range %7.1f – %7.1f ms  (command itself: median %.0f ms), %u rounds\n",
          what, d[delays->len / 2], d[0], d[delays->len - 1], c[commands->len / 2], delays->len);
  fflush (stdout);
}

/* Runs the command; returns the monotonic time of its exit and adds its
 * run time to @commands. */
static gint64
run_command (NavetteTestServer *server,
             GArray            *commands,
             ...)
{
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 end;
  double ms;
  va_list args;
  int status;

  va_start (args, commands);
  status = navette_test_server_admin_v (server, NULL, &err, args);
  va_end (args);
  if (status != 0)
    g_error ("administration command failed: %s", err);
  end = g_get_monotonic_time ();
  ms = (end - start) / 1000.0;
  g_array_append_val (commands, ms);
  return end;
}

static void
bench_schema (gboolean push)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteTable *articles = engine_test_load_table (engine, "blog", "articles");
  g_autoptr(GArray) delays = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) commands = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *what = NULL;

  engine_test_set_push (engine, push, interval_ms);
  for (int i = 0; i < rounds; i++)
    {
      g_autofree char *spec = g_strdup_printf ("c%d:text", i);
      g_autofree char *name = g_strdup_printf ("c%d", i);
      gint64 done;
      double ms;

      engine_test_run_for (g_random_int_range (0, 500));
      done = run_command (server, commands, "column", "add", "blog", "articles", spec, NULL);
      ENGINE_WAIT_UNTIL (navette_table_lookup_column (articles, name) != NULL, 60000);
      ms = (g_get_monotonic_time () - done) / 1000.0;
      g_array_append_val (delays, ms);
    }
  what = push ? g_strdup ("schema, push")
              : g_strdup_printf ("schema, polls every %d ms", interval_ms);
  print_figures (what, delays, commands);
}

static void
bench_roles (gboolean push)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "bob", NULL);
  NavetteStore *catalogue = navette_engine_lookup_store (engine, "catalogue");
  g_autoptr(GArray) delays = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) commands = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *what = NULL;

  engine_test_set_push (engine, push, interval_ms);
  for (int i = 0; i < rounds; i++)
    {
      NavetteRole want = i % 2 == 0 ? NAVETTE_ROLE_EDITOR : NAVETTE_ROLE_READER;
      gint64 done;
      double ms;

      engine_test_run_for (g_random_int_range (0, 500));
      done = run_command (server, commands, "grant", "bob",
                          want == NAVETTE_ROLE_EDITOR ? "editor" : "reader", "catalogue", NULL);
      ENGINE_WAIT_UNTIL (navette_store_get_role (catalogue) == want, 60000);
      ms = (g_get_monotonic_time () - done) / 1000.0;
      g_array_append_val (delays, ms);
    }
  what = push ? g_strdup ("roles, push")
              : g_strdup_printf ("roles, polls every %d ms", interval_ms);
  print_figures (what, delays, commands);
}

int
main (int   argc,
      char *argv[])
{
  for (int i = 1; i + 1 < argc; i++)
    {
      if (g_str_equal (argv[i], "--rounds"))
        rounds = MAX (1, atoi (argv[++i]));
      else if (g_str_equal (argv[i], "--interval-ms"))
        interval_ms = MAX (10, atoi (argv[++i]));
    }

  printf ("How soon the engine follows administration commands (loopback)\n");
  bench_schema (TRUE);
  bench_schema (FALSE);
  bench_roles (TRUE);
  bench_roles (FALSE);
  return 0;
}
