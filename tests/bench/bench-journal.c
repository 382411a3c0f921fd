/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-journal — how long the journal of unsent changes (NavetteJournal)
 * takes to make changes durable (on the disk, fsync()ed), through its
 * public interface only, so that one storage can be compared with
 * another (the JSON file pending.json before issue 14, the outbox table
 * of replica.db after):
 *
 *  1. one by one: N puts, each waited for until durable (an editor saving
 *     one change after the other): the time per put;
 *  2. coalesced: N puts made at once, then waited for (a burst of edits,
 *     or the CLI replaying): the time until the last is durable;
 *  3. a long backlog: the journal already holds 1 000 changes (a long
 *     outage), then puts one by one: the time per put;
 *  4. removes one by one from that backlog (the changes accepted by the
 *     server when it answers again).
 *
 * Each is run ROUNDS times in a fresh directory; prints the median and
 * the range. Nothing is asserted about time. */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "navette-engine.h"
#include "navette-journal.h"
#include "engine-test-util.h"
#include "bench-util.h"

#define ROUNDS 5
#define BACKLOG 1000

#define WAIT_UNTIL(cond) ENGINE_WAIT_UNTIL (cond, 300000)

/* An entry the size of a real one: an update with its request. */
static JsonObject *
entry_new (guint n)
{
  g_autofree char *key = g_strdup_printf ("00000000-0000-4000-8000-%012u", n);
  g_autofree char *body = g_strdup_printf ("{\"base_version\":%u,\"data\":{\"stock\":%u,"
                                           "\"name\":\"Product number %u, a lamp\"}}", n, n * 7, n);
  JsonObject *entry = json_object_new ();
  JsonObject *request = json_object_new ();

  json_object_set_string_member (entry, "key", key);
  json_object_set_string_member (entry, "state", "pending");
  json_object_set_string_member (entry, "kind", "update");
  json_object_set_string_member (entry, "app", "catalogue");
  json_object_set_string_member (entry, "table", "products");
  json_object_set_string_member (entry, "record", "a1b2c3d4-0000-4000-8000-00000000beef");
  json_object_set_string_member (entry, "made_at", "2026-12-05T17:00:00.000000Z");
  json_object_set_string_member (request, "method", "PATCH");
  json_object_set_string_member (request, "path",
                                 "/api/v1/applications/catalogue/tables/products/records/"
                                 "a1b2c3d4-0000-4000-8000-00000000beef");
  json_object_set_string_member (request, "body", body);
  json_object_set_object_member (entry, "request", request);
  return entry;
}

static NavetteJournal *
journal_open (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "key", "replica.db", NULL);
  g_autoptr(NavetteJournal) journal = navette_journal_new (path, "http://bench", "alice");
  g_autoptr(GError) error = NULL;

  if (!navette_journal_load (journal, &error))
    g_error ("load: %s", error->message);
  return g_steal_pointer (&journal);
}

static const char *
storage_name (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "key", "replica.db", NULL);
  g_autofree char *text = NULL;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return "?";
  return len >= 15 && memcmp (text, "SQLite format 3", 15) == 0 ? "SQLite outbox (replica.db)"
                                                                 : "JSON file";
}

static void
rm_rf (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

  if (system (cmd) != 0)
    g_warning ("could not remove %s", dir);
}

static void
report (const char *what,
        GArray     *ms)
{
  BenchFigures f = bench_figures (ms);

  g_print ("%-58s median %8.2f ms  [%.2f-%.2f]  (%u runs)\n", what, f.median, f.min, f.max, ms->len);
}

/* @n puts, each waited for: the mean time per put, in ms. */
static double
one_by_one (NavetteJournal *journal,
            guint           first,
            guint           n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) entry = entry_new (first + i);
      guint64 ticket = navette_journal_put (journal, entry);

      WAIT_UNTIL (navette_journal_is_durable (journal, ticket));
    }
  return (g_get_monotonic_time () - start) / 1000.0 / n;
}

/* @n puts at once: the time until the last is durable, in ms. */
static double
coalesced (NavetteJournal *journal,
           guint           first,
           guint           n)
{
  gint64 start = g_get_monotonic_time ();
  guint64 ticket = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) entry = entry_new (first + i);

      ticket = navette_journal_put (journal, entry);
    }
  WAIT_UNTIL (navette_journal_is_durable (journal, ticket));
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GArray) single = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) burst100 = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) burst1000 = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) backlog = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) removes = g_array_new (FALSE, FALSE, sizeof (double));
  const char *tmp = g_getenv ("NAVETTE_BENCH_DIR");
  const char *name = "?";

  for (guint r = 0; r < ROUNDS; r++)
    {
      g_autofree char *dir = g_build_filename (tmp != NULL ? tmp : g_get_tmp_dir (),
                                               "navette-bench-journal-XXXXXX", NULL);
      g_autoptr(NavetteJournal) journal = NULL;
      double ms;

      if (g_mkdtemp (dir) == NULL)
        g_error ("mkdtemp %s", dir);

      journal = journal_open (dir);
      ms = one_by_one (journal, 0, 100);
      g_array_append_val (single, ms);
      name = storage_name (dir);
      ms = coalesced (journal, 1000, 100);
      g_array_append_val (burst100, ms);
      ms = coalesced (journal, 2000, BACKLOG);
      g_array_append_val (burst1000, ms);
      /* 1 200 entries held now: one more put, one by one. */
      ms = one_by_one (journal, 5000, 20);
      g_array_append_val (backlog, ms);
      {
        gint64 start = g_get_monotonic_time ();

        for (guint i = 0; i < 20; i++)
          {
            g_autofree char *key = g_strdup_printf ("00000000-0000-4000-8000-%012u", 2000 + i);
            guint64 ticket = navette_journal_remove (journal, key);

            WAIT_UNTIL (navette_journal_is_durable (journal, ticket));
          }
        ms = (g_get_monotonic_time () - start) / 1000.0 / 20;
        g_array_append_val (removes, ms);
      }
      g_clear_object (&journal);
      rm_rf (dir);
    }

  g_print ("journal storage: %s, directory %s\n", name, tmp != NULL ? tmp : g_get_tmp_dir ());
  report ("put, waited until durable (one by one, per put)", single);
  report ("100 puts at once, until the last is durable", burst100);
  report ("1000 puts at once, until the last is durable", burst1000);
  report ("1 200 held, one more put until durable (per put)", backlog);
  report ("1 180 held, one remove until durable (per remove)", removes);
  return 0;
}
