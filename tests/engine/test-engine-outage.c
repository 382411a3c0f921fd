/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Outages, for real: the server process stopped while edits are made and
 * started again on the same port and database; the program quitting during
 * the outage and starting after it; the journal that makes both work. No
 * user action anywhere: every edit made before and during the outage must
 * reach the server exactly once, in order. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <signal.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "engine-test-util.h"
#include "navette-test-dirs.h"
#include "navette-test-outbox.h"

#define NEW_RECORD "4e617665-7474-4500-8000-00000000a11a"

/* Waits until the journal of @engine is on disk (before its directory is
 * removed). */
static void
flush_journal (NavetteEngine *engine)
{
  g_autoptr(GAsyncResult) flushed = NULL;
  g_autoptr(GError) error = NULL;

  navette_engine_flush_journal_async (engine, NULL, navette_test_store_result_cb, &flushed);
  ENGINE_WAIT_UNTIL (flushed != NULL, 10000);
  g_assert_true (navette_engine_flush_journal_finish (engine, flushed, &error));
}

/* An engine signed in as @user with its journal under @data_dir. */
static NavetteEngine *
journaled_engine_new_for (NavetteTestServer *server,
                          const char        *data_dir,
                          const char        *user)
{
  return navette_test_engine_new (server, user, data_dir);
}

static NavetteEngine *
journaled_engine_new (NavetteTestServer *server,
                      const char        *data_dir)
{
  return journaled_engine_new_for (server, data_dir, "alice");
}

/* The outbox on the disk holds no change. */
static gboolean
outbox_is_empty (const char *db_path)
{
  g_autofree char *dump = navette_test_outbox_dump (db_path);

  return dump != NULL && dump[0] == '\0';
}

/* The values one column took, oldest first, in the record's history. */
static GArray *
history_of (NavetteTestServer *server,
            const char        *token,
            const char        *id,
            const char        *column)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s/versions", id);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));
  JsonArray *versions;

  g_assert_cmpuint (navette_test_request (server, "GET", path, token, NULL, &body, NULL), ==, 200);
  root = navette_test_parse (body);
  versions = json_object_get_array_member (json_node_get_object (root), "versions");
  for (guint i = json_array_get_length (versions); i > 0; i--)
    {
      JsonObject *version = json_array_get_object_element (versions, i - 1);
      JsonObject *data = json_object_get_object_member (version, "data");
      JsonNode *node = json_object_get_member (data, column);
      double value = node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_double (node) : -1;

      g_array_append_val (values, value);
    }
  return values;
}

/* @history ends with exactly @expected (each value once, in order), after
 * the @before values the record had. */
static void
assert_history (GArray       *history,
                guint         before,
                const double *expected,
                guint         n)
{
  g_autoptr(GString) seen = g_string_new (NULL);

  for (guint i = 0; i < history->len; i++)
    g_string_append_printf (seen, " %g", g_array_index (history, double, i));
  g_test_message ("history:%s", seen->str);
  g_assert_cmpuint (history->len, ==, before + n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat (g_array_index (history, double, before + i), ==, expected[i]);
}

/* Updates the record @id with @data (taken) and keeps the change in @changes. */
static void
queue_update (NavetteTable *table,
              const char   *id,
              JsonObject   *data,
              GPtrArray    *changes)
{
  g_autoptr(JsonObject) owned = data;

  g_ptr_array_add (changes, navette_store_update (navette_table_get_store (table), table, id, owned));
}

static gboolean
all_kept (GPtrArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    if (navette_change_get_state (g_ptr_array_index (changes, i)) != NAVETTE_CHANGE_STATE_PENDING)
      return FALSE;
  return TRUE;
}

static gboolean
all_succeeded (GPtrArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    if (navette_change_get_state (g_ptr_array_index (changes, i)) != NAVETTE_CHANGE_STATE_SUCCEEDED)
      return FALSE;
  return TRUE;
}

/* The server stopped for 20 s while edits are made — some on their way
 * when it stops, more during the outage, including a record created and
 * then changed — and started again on the same port and database. */
static void
test_outage_twenty_seconds (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *data_dir = g_dir_make_tmp ("navette-outage-XXXXXX", NULL);
  g_autoptr(NavetteEngine) engine = journaled_engine_new (server, data_dir);
  NavetteTable *table = engine_test_load_table (engine, "catalogue", "products");
  NavetteStore *store = navette_table_get_store (table);
  NavetteMiddleware *middleware = navette_engine_get_middleware (engine);
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GArray) stock_before = history_of (server, token, DEMO_PRODUCT_1, "stock");
  g_autoptr(GArray) price_before = history_of (server, token, DEMO_PRODUCT_2, "price");
  g_autoptr(GArray) stocks = NULL;
  g_autoptr(GArray) prices = NULL;
  g_autoptr(GArray) created = NULL;
  double expected_stock[10];
  double expected_price[6];
  guint16 port = server->port;
  gint64 start;

  for (guint i = 0; i < 10; i++)
    expected_stock[i] = 100 + i;
  for (guint i = 0; i < 6; i++)
    expected_price[i] = 10.5 + i;

  /* Before: three edits in flight or queued when the server stops. */
  queue_update (table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 100), changes);
  queue_update (table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 101), changes);
  queue_update (table, DEMO_PRODUCT_2, engine_test_object_double ("price", 10.5), changes);
  navette_test_server_stop (server);

  /* During: more on the same records, and a new record changed again. */
  for (guint i = 2; i < 10; i++)
    queue_update (table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 100 + i), changes);
  for (guint i = 1; i < 6; i++)
    queue_update (table, DEMO_PRODUCT_2, engine_test_object_double ("price", 10.5 + i), changes);
  {
    g_autoptr(JsonObject) data = engine_test_object_string ("name", "Outage lamp");

    g_ptr_array_add (changes, navette_store_create (store, table, NEW_RECORD, data));
  }
  queue_update (table, NEW_RECORD, engine_test_object_int ("stock", 7), changes);

  /* The user sees every edit at once, and nothing is undone. */
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (table, DEMO_PRODUCT_1), "stock"), ==, 109);
  g_assert_cmpfloat (navette_record_get_double (navette_table_lookup (table, DEMO_PRODUCT_2), "price"), ==, 15.5);
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_waiting (middleware) == changes->len, 20000);
  engine_test_run_for (20000);   /* the outage itself: 20 s */
  g_assert_true (all_kept (changes));
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 0);
  g_assert_cmpuint (navette_record_get_sync_state (navette_table_lookup (table, NEW_RECORD)),
                    ==, NAVETTE_SYNC_STATE_WAITING);
  g_assert_cmpint (navette_record_get_int (navette_table_lookup (table, DEMO_PRODUCT_1), "stock"), ==, 109);

  /* Back on the same port and database; nobody presses anything. */
  navette_test_server_restart (server);
  g_assert_cmpuint (server->port, ==, port);
  start = g_get_monotonic_time ();
  ENGINE_WAIT_UNTIL (all_succeeded (changes), 60000);
  g_test_message ("all %u changes saved %.1f s after the restart", changes->len,
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (navette_middleware_get_n_pending (middleware), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 0);

  /* Exactly once each, in order. */
  stocks = history_of (server, token, DEMO_PRODUCT_1, "stock");
  assert_history (stocks, stock_before->len, expected_stock, G_N_ELEMENTS (expected_stock));
  prices = history_of (server, token, DEMO_PRODUCT_2, "price");
  assert_history (prices, price_before->len, expected_price, G_N_ELEMENTS (expected_price));
  created = history_of (server, token, NEW_RECORD, "stock");
  {
    const double expected_created[] = { -1, 7 };

    assert_history (created, 0, expected_created, G_N_ELEMENTS (expected_created));
  }

  flush_journal (engine);
  g_clear_object (&engine);
  engine_test_rm_rf (data_dir);
}

/* Quitting while the server cannot be reached: the waiting changes are on
 * disk; the next start, after the server is back, sends them — once. */
static void
test_outage_quit_and_restart (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *data_dir = g_dir_make_tmp ("navette-outage-XXXXXX", NULL);
  g_autoptr(NavetteEngine) first = journaled_engine_new (server, data_dir);
  g_autoptr(NavetteEngine) second = NULL;
  NavetteTable *table = engine_test_load_table (first, "catalogue", "products");
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GArray) stock_before = history_of (server, token, DEMO_PRODUCT_3, "stock");
  g_autoptr(GArray) stocks = NULL;
  g_autofree char *journal = NULL;
  const double expected[] = { 201, 202, 203 };

  navette_test_server_stop (server);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    queue_update (table, DEMO_PRODUCT_3, engine_test_object_int ("stock", (gint64) expected[i]), changes);
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_waiting (navette_engine_get_middleware (first)) == 3, 20000);

  /* What the app does before it quits: everything on disk. */
  flush_journal (first);
  for (guint i = 0; i < changes->len; i++)
    g_assert_true (navette_change_get_journaled (g_ptr_array_index (changes, i)));
  journal = navette_engine_dup_journal_path (first);
  g_assert_nonnull (journal);
  g_clear_pointer (&changes, g_ptr_array_unref);
  g_clear_object (&first);

  navette_test_server_restart (server);
  second = journaled_engine_new (server, data_dir);
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_pending (navette_engine_get_middleware (second)) == 0, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (second)), ==, 0);

  stocks = history_of (server, token, DEMO_PRODUCT_3, "stock");
  assert_history (stocks, stock_before->len, expected, G_N_ELEMENTS (expected));
  ENGINE_WAIT_UNTIL (outbox_is_empty (journal), 10000);

  flush_journal (second);
  g_clear_object (&second);
  engine_test_rm_rf (data_dir);
}

/* ---- The journal itself ---- */

static JsonObject *
entry_new (const char *key,
           const char *kind)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "key", key);
  json_object_set_string_member (entry, "kind", kind);
  return entry;
}

static void
written_cb (NavetteJournal *journal,
            guint64         ticket,
            gboolean        durable,
            guint64        *last)
{
  g_assert_true (durable);
  *last = ticket;
}

static void
test_journal_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "key", "replica.db", NULL);
  g_autoptr(NavetteJournal) journal = navette_journal_new (path, "http://a", "alice");
  g_autoptr(NavetteJournal) again = NULL;
  g_autoptr(NavetteJournal) other = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonObject) one = entry_new ("k1", "update");
  g_autoptr(JsonObject) two = entry_new ("k2", "create");
  g_autoptr(JsonObject) one_again = entry_new ("k1", "archive");
  g_autoptr(JsonObject) unknown = entry_new ("k3", "a-kind-of-the-future");
  g_autoptr(GError) error = NULL;
  guint64 ticket, last = 0;

  g_assert_true (navette_journal_load (journal, &error));
  g_assert_cmpuint (navette_journal_get_n_entries (journal), ==, 0);
  g_signal_connect (journal, "written", G_CALLBACK (written_cb), &last);

  navette_journal_put (journal, one);
  navette_journal_put (journal, two);
  navette_journal_put (journal, unknown);
  /* Replacing keeps the place: the order of the changes. */
  ticket = navette_journal_put (journal, one_again);
  g_assert_false (navette_journal_is_durable (journal, ticket));
  ENGINE_WAIT_UNTIL (navette_journal_is_durable (journal, ticket), 10000);
  g_assert_cmpuint (last, >=, ticket);

  again = navette_journal_new (path, "http://a", "alice");
  g_assert_true (navette_journal_load (again, &error));
  entries = navette_journal_dup_entries (again);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "key"), ==, "k1");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "kind"), ==, "archive");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 1), "key"), ==, "k2");
  /* What this version does not understand is kept as it is. */
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 2), "kind"), ==,
                   "a-kind-of-the-future");

  /* On the disk, in the outbox table, in that order (k1 replaced in
   * its place). */
  {
    g_autofree char *dump = navette_test_outbox_dump (path);
    g_auto(GStrv) lines = g_strsplit (dump, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 4);
    g_assert_nonnull (strstr (lines[0], "\"k1\""));
    g_assert_nonnull (strstr (lines[0], "archive"));
    g_assert_nonnull (strstr (lines[1], "\"k2\""));
    g_assert_nonnull (strstr (lines[2], "\"k3\""));
  }

  ticket = navette_journal_remove (journal, "k2");
  ENGINE_WAIT_UNTIL (navette_journal_is_durable (journal, ticket), 10000);
  g_assert_null (navette_journal_lookup (journal, "k2"));
  {
    g_autofree char *dump = navette_test_outbox_dump (path);

    g_assert_null (strstr (dump, "\"k2\""));
    g_assert_nonnull (strstr (dump, "\"k3\""));
  }

  /* Another user's journal is never read (nor written over). */
  other = navette_journal_new (path, "http://a", "bob");
  g_assert_false (navette_journal_load (other, &error));
  g_assert_nonnull (error);

  g_clear_object (&journal);
  g_clear_object (&again);
  engine_test_rm_rf (dir);
}

typedef struct
{
  guint journal_failed;
  guint info;
  char *last;
} Notes;

static void
notes_cb (NavetteEngine           *engine,
          const char              *message,
          NavetteNotificationKind  kind,
          NavetteChange           *change,
          Notes                   *notes)
{
  g_test_message ("notification %d: %s", kind, message);
  notes->journal_failed += kind == NAVETTE_NOTIFICATION_JOURNAL_FAILED;
  notes->info += kind == NAVETTE_NOTIFICATION_INFO;
  g_free (notes->last);
  notes->last = g_strdup (message);
}

/* The journal cannot be written (the outbox's writes made to fail by the
 * test hook navette_journal_set_test_fail_writes(): SQLite's writes
 * cannot be made to fail on demand otherwise, as root): the user is told
 * once, through the notifications, while edits still go to the server;
 * "journal-error" says it while it lasts, naming replica.db; once a
 * write works again, that is said too. */
static void
test_journal_write_failure (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *data_dir = g_dir_make_tmp ("navette-journal-XXXXXX", &error);
  g_autoptr(GAsyncResult) flushed = NULL;
  NavetteMiddleware *middleware;
  NavetteTable *table;
  Notes notes = { 0 };

  g_assert_no_error (error);
  navette_journal_set_test_fail_writes (TRUE);

  engine = journaled_engine_new (server, data_dir);
  middleware = navette_engine_get_middleware (engine);
  g_signal_connect (engine, "notification", G_CALLBACK (notes_cb), &notes);
  table = engine_test_load_table (engine, "catalogue", "products");
  g_assert_null (navette_middleware_get_journal_error (middleware));

  /* Saved on the server all the same; the user is warned once. */
  queue_update (table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 41), changes);
  queue_update (table, DEMO_PRODUCT_2, engine_test_object_int ("stock", 42), changes);
  ENGINE_WAIT_UNTIL (all_succeeded (changes), 10000);
  ENGINE_WAIT_UNTIL (notes.journal_failed == 1, 10000);
  g_assert_nonnull (navette_middleware_get_journal_error (middleware));
  g_assert_nonnull (strstr (navette_middleware_get_journal_error (middleware)->message, "replica.db"));
  g_assert_nonnull (strstr (notes.last, "would be lost if Navette quit"));
  g_assert_false (navette_change_get_journaled (g_ptr_array_index (changes, 0)));
  navette_engine_flush_journal_async (engine, NULL, navette_test_store_result_cb, &flushed);
  ENGINE_WAIT_UNTIL (flushed != NULL, 10000);
  g_assert_false (navette_engine_flush_journal_finish (engine, flushed, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_object (&flushed);
  g_assert_cmpuint (notes.journal_failed, ==, 1);

  /* The disk works again: said, and the warning is over. */
  navette_journal_set_test_fail_writes (FALSE);
  queue_update (table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 43), changes);
  ENGINE_WAIT_UNTIL (all_succeeded (changes), 10000);
  ENGINE_WAIT_UNTIL (notes.info == 1, 10000);
  g_assert_null (navette_middleware_get_journal_error (middleware));
  g_assert_cmpuint (notes.journal_failed, ==, 1);
  flush_journal (engine);

  g_signal_handlers_disconnect_by_data (engine, &notes);
  g_free (notes.last);
  g_clear_object (&engine);
  engine_test_rm_rf (data_dir);
}

/* A journal of before (pending.json) that cannot be read, and cannot be
 * moved aside either (a directory has the name it would take): it is
 * left as it is, never written over nor moved into the outbox, and the
 * user is told that changes are not kept. */
static void
test_journal_unusable (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteEngine) engine = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("navette-journal-XXXXXX", &error);
  g_autofree char *key = navette_engine_account_key (server->base_url, "alice");
  g_autofree char *path = g_build_filename (data_dir, key, "pending.json", NULL);
  g_autofree char *aside = g_strconcat (path, ".unreadable", NULL);
  g_autofree char *inside = g_build_filename (aside, "kept", NULL);
  g_autofree char *text = NULL;
  Notes notes = { 0 };

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (aside, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", -1, &error));
  g_assert_true (g_file_set_contents (path, "{not json", -1, &error));

  engine = navette_engine_new (server->base_url);
  navette_engine_set_data_dir (engine, data_dir);
  g_signal_connect (engine, "notification", G_CALLBACK (notes_cb), &notes);
  navette_test_sign_in_and_load (engine, "alice");

  g_assert_cmpuint (notes.journal_failed, ==, 1);
  g_assert_null (navette_engine_get_journal (engine));
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_cmpstr (text, ==, "{not json");

  g_signal_handlers_disconnect_by_data (engine, &notes);
  g_free (notes.last);
  g_clear_object (&engine);
  engine_test_rm_rf (data_dir);
}

/* ---- The outbox in the replica ---- */

static void
write_legacy (const char *path,
              const char *user,
              const char *changes)
{
  g_autofree char *text = g_strdup_printf ("{\"format\":2,\"server\":\"http://a\",\"user\":\"%s\","
                                           "\"changes\":[%s]}\n", user, changes);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static void
assert_keys (NavetteJournal *journal,
             const char     *first,
             ...)
{
  g_autoptr(GPtrArray) entries = navette_journal_dup_entries (journal);
  const char *key = first;
  va_list args;
  guint i = 0;

  va_start (args, first);
  for (; key != NULL; key = va_arg (args, const char *), i++)
    {
      g_assert_cmpuint (i, <, entries->len);
      g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, i), "key"), ==, key);
    }
  va_end (args);
  g_assert_cmpuint (entries->len, ==, i);
}

/* The journal of before, DIR/KEY/pending.json, moved into the outbox by
 * the first load: every entry kept, in its order, the file gone; a crash
 * between the commit and the removal of the file (both there at the next
 * start) adds nothing twice; a pending.json of another user is never
 * read nor removed. */
static void
test_journal_migration (void)
{
  g_autofree char *dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autofree char *key_dir = g_build_filename (dir, "key", NULL);
  g_autofree char *path = g_build_filename (key_dir, "replica.db", NULL);
  g_autofree char *legacy = g_build_filename (key_dir, "pending.json", NULL);
  g_autofree char *dump = NULL;
  g_autoptr(NavetteJournal) journal = NULL;
  g_autoptr(NavetteJournal) again = NULL;
  g_autoptr(NavetteJournal) bobs = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *entry;

  g_assert_cmpint (g_mkdir_with_parents (key_dir, 0700), ==, 0);
  write_legacy (legacy, "alice",
                "\n{\"key\":\"k1\",\"kind\":\"update\",\"state\":\"pending\",\"data\":{\"stock\":41}},"
                "\n{\"key\":\"k2\",\"kind\":\"create\",\"state\":\"failed\"},"
                "\n{\"key\":\"k3\",\"kind\":\"a-kind-of-the-future\"},"
                "\n{\"key\":\"k1\",\"kind\":\"a-duplicate\"},"
                "\n\"not an entry\"");

  journal = navette_journal_new (path, "http://a", "alice");
  g_assert_true (navette_journal_load (journal, &error));
  g_assert_no_error (error);
  assert_keys (journal, "k1", "k2", "k3", NULL);
  entry = navette_journal_lookup (journal, "k1");
  g_assert_cmpstr (json_object_get_string_member (entry, "kind"), ==, "update");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (entry, "data"), "stock"), ==, 41);
  g_assert_cmpstr (json_object_get_string_member (navette_journal_lookup (journal, "k2"), "state"), ==, "failed");
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  /* In the outbox table itself, in that order. */
  dump = navette_test_outbox_dump (path);
  g_assert_nonnull (dump);
  {
    g_auto(GStrv) lines = g_strsplit (dump, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 4);
    g_assert_nonnull (strstr (lines[0], "\"k1\""));
    g_assert_nonnull (strstr (lines[1], "\"k2\""));
    g_assert_nonnull (strstr (lines[2], "\"k3\""));
  }
  g_clear_object (&journal);

  /* A crash after the commit, before the file was removed: the file is
   * there again, with one entry more. */
  write_legacy (legacy, "alice",
                "{\"key\":\"k1\",\"kind\":\"update\"},{\"key\":\"k2\",\"kind\":\"create\"},"
                "{\"key\":\"k3\",\"kind\":\"a-kind-of-the-future\"},{\"key\":\"k4\",\"kind\":\"archive\"}");
  again = navette_journal_new (path, "http://a", "alice");
  g_assert_true (navette_journal_load (again, &error));
  assert_keys (again, "k1", "k2", "k3", "k4", NULL);
  /* What the outbox held wins over the older file. */
  g_assert_cmpstr (json_object_get_string_member (navette_journal_lookup (again, "k2"), "state"), ==, "failed");
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  g_clear_object (&again);

  /* bob's file where alice's outbox is: refused, left as it is. */
  write_legacy (legacy, "bob", "{\"key\":\"b1\",\"kind\":\"update\"}");
  bobs = navette_journal_new (path, "http://a", "alice");
  g_assert_false (navette_journal_load (bobs, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (g_file_test (legacy, G_FILE_TEST_EXISTS));
  g_clear_object (&bobs);

  engine_test_rm_rf (dir);
}

/* The child of /engine/journal/crash: puts 50 changes (the first one
 * replaced in its place), says "durable 50" once they are, then goes on
 * putting one more change at a time, saying "durable N" each time the
 * first N are durable, until it is killed. */
static int
crash_child (const char *path)
{
  g_autoptr(NavetteJournal) journal = navette_journal_new (path, "http://a", "alice");
  g_autoptr(GError) error = NULL;
  guint64 ticket = 0;

  if (!navette_journal_load (journal, &error))
    g_error ("load: %s", error->message);
  for (guint i = 0; i <= 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%04u", i % 50);
      g_autoptr(JsonObject) entry = json_object_new ();

      json_object_set_string_member (entry, "key", key);
      json_object_set_int_member (entry, "value", i == 50 ? 1000 : i);
      ticket = navette_journal_put (journal, entry);
    }
  while (!navette_journal_is_durable (journal, ticket))
    g_main_context_iteration (NULL, TRUE);
  g_print ("durable 50\n");

  for (guint n = 50; ; n++)
    {
      g_autofree char *key = g_strdup_printf ("k%04u", n);
      g_autoptr(JsonObject) entry = json_object_new ();

      json_object_set_string_member (entry, "key", key);
      json_object_set_int_member (entry, "value", n);
      ticket = navette_journal_put (journal, entry);
      /* Some coalesced, some one by one. */
      if (n % 3 == 0)
        {
          while (!navette_journal_is_durable (journal, ticket))
            g_main_context_iteration (NULL, TRUE);
          g_print ("durable %u\n", n + 1);
        }
      else
        g_main_context_iteration (NULL, FALSE);
    }
  return 0;
}

/* A process killed (SIGKILL) while it writes its outbox: every change it
 * was told was durable is there, with its replaced value, in order, and
 * what it had not been told about is a whole prefix of what followed
 * (each write one transaction), never a hole nor a torn entry. */
static void
test_journal_crash (void)
{
  g_autofree char *dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "key", "replica.db", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(NavetteJournal) journal = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  guint durable = 0, n_lines = 0;

  g_assert_nonnull (self_exe);
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            self_exe, "--outbox-crash-child", path, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  /* Killed in the middle of its writes: after a few acknowledgements. */
  while (n_lines < 8)
    {
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line, "durable "));
      durable = (guint) g_ascii_strtoull (line + 8, NULL, 10);
      n_lines++;
    }
  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  journal = navette_journal_new (path, "http://a", "alice");
  g_assert_true (navette_journal_load (journal, &error));
  entries = navette_journal_dup_entries (journal);
  g_test_message ("durable: %u acknowledged, %u in the outbox", durable, entries->len);
  g_assert_cmpuint (entries->len, >=, durable);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      g_autofree char *key = g_strdup_printf ("k%04u", i);

      g_assert_cmpstr (json_object_get_string_member (entry, "key"), ==, key);
      g_assert_cmpint (json_object_get_int_member (entry, "value"), ==, i == 0 ? 1000 : i);
    }
  g_clear_object (&journal);
  engine_test_rm_rf (dir);
}

/* alice and bob on one machine, one data directory: each has their own
 * replica.db, and the changes each makes during an outage are in their
 * outbox only; neither outbox can be opened as the other's. */
static void
test_journal_two_users (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *data_dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autoptr(NavetteEngine) alice = journaled_engine_new_for (server, data_dir, "alice");
  g_autoptr(NavetteEngine) bob = journaled_engine_new_for (server, data_dir, "bob");
  g_autoptr(GPtrArray) alices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) bobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *alice_path = navette_engine_dup_journal_path (alice);
  g_autofree char *bob_path = navette_engine_dup_journal_path (bob);
  g_autofree char *alice_dump = NULL;
  g_autofree char *bob_dump = NULL;
  g_autoptr(NavetteJournal) intruder = NULL;
  g_autoptr(GError) error = NULL;
  NavetteTable *alice_table = engine_test_load_table (alice, "catalogue", "products");
  NavetteTable *bob_table = engine_test_load_table (bob, "catalogue", "products");
  const char *alice_key, *bob_key;

  g_assert_cmpstr (alice_path, !=, bob_path);
  g_assert_true (g_str_has_suffix (alice_path, "/replica.db"));
  {
    g_autofree char *expected = navette_replica_path_for (data_dir, server->base_url, "bob");

    g_assert_cmpstr (bob_path, ==, expected);
  }

  navette_test_server_stop (server);
  queue_update (alice_table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 301), alices);
  queue_update (bob_table, DEMO_PRODUCT_2, engine_test_object_int ("stock", 302), bobs);
  flush_journal (alice);
  flush_journal (bob);
  alice_key = navette_change_get_idempotency_key (g_ptr_array_index (alices, 0));
  bob_key = navette_change_get_idempotency_key (g_ptr_array_index (bobs, 0));

  alice_dump = navette_test_outbox_dump (alice_path);
  bob_dump = navette_test_outbox_dump (bob_path);
  g_assert_nonnull (strstr (alice_dump, alice_key));
  g_assert_null (strstr (alice_dump, bob_key));
  g_assert_nonnull (strstr (bob_dump, bob_key));
  g_assert_null (strstr (bob_dump, alice_key));

  /* bob's outbox is never read as alice's (a hash collision of KEY). */
  intruder = navette_journal_new (bob_path, navette_engine_get_account_url (alice), "alice");
  g_assert_false (navette_journal_load (intruder, &error));
  g_assert_nonnull (error);

  g_clear_pointer (&alices, g_ptr_array_unref);
  g_clear_pointer (&bobs, g_ptr_array_unref);
  g_clear_object (&alice);
  g_clear_object (&bob);
  engine_test_rm_rf (data_dir);
}

static void
replica_synced_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The number of changes in the outbox at @path, as another program (the
 * sqlite3 shell: another process, its own locks) reads it. */
static guint
outbox_count_elsewhere (const char *path)
{
  g_autoptr(GSubprocess) shell = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  shell = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            "sqlite3", path, "SELECT count(*) FROM outbox", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (shell, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (shell));
  return (guint) g_ascii_strtoull (out, NULL, 10);
}

/* @path is readable and writable by its owner only. */
static void
assert_owner_only (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* The replica open in this process when the journal opens the same file
 * (the app's start): the journal's open must not drop the replica
 * connection's locks (POSIX locks go with any close() of the file in the
 * process). Else another program's connection closing (navette-cli, a
 * backup) takes the file for itself, checkpoints and deletes the WAL the
 * journal still writes into: a change written after that is lost. */
static void
test_journal_keeps_locks (void)
{
  g_autofree char *dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "key", "replica.db", NULL);
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(NavetteJournal) journal = navette_journal_new (path, "http://a", "alice");
  g_autoptr(JsonObject) one = entry_new ("k1", "update");
  g_autoptr(JsonObject) two = entry_new ("k2", "update");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  mode_t old_umask = umask (022);
  guint64 ticket;

  replica = navette_replica_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (navette_journal_load (journal, &error));
  g_assert_no_error (error);

  ticket = navette_journal_put (journal, one);
  ENGINE_WAIT_UNTIL (navette_journal_is_durable (journal, ticket), 10000);
  g_assert_cmpuint (outbox_count_elsewhere (path), ==, 1);

  ticket = navette_journal_put (journal, two);
  ENGINE_WAIT_UNTIL (navette_journal_is_durable (journal, ticket), 10000);
  g_assert_cmpuint (outbox_count_elsewhere (path), ==, 2);
  /* SQLite made the file (umask 022 here: 0644), then the replica made
   * it private; the -wal has the database's mode. */
  assert_owner_only (path);
  assert_owner_only (wal);

  g_clear_object (&journal);
  g_clear_object (&replica);
  g_assert_cmpuint (outbox_count_elsewhere (path), ==, 2);

  /* Made by the journal first (an engine loads it before any table is
   * shown): private too. */
  engine_test_rm_rf (dir);
  journal = navette_journal_new (path, "http://a", "alice");
  g_assert_true (navette_journal_load (journal, &error));
  g_assert_no_error (error);
  ticket = navette_journal_put (journal, one);
  ENGINE_WAIT_UNTIL (navette_journal_is_durable (journal, ticket), 10000);
  assert_owner_only (path);
  assert_owner_only (wal);
  g_clear_object (&journal);
  umask (old_umask);
  engine_test_rm_rf (dir);
}

/* The journal and the replica share replica.db, each on its own
 * connection: a first sync of 206 rows in pages of 20 (a transaction
 * each) while edits are journaled (a transaction before each is sent,
 * one when it is accepted) on the same file. Both finish, nothing waits
 * forever, no write fails, the outbox is empty at the end and the
 * replica holds every row. */
static void
test_journal_beside_replica (void)
{
  const char *args[] = { "--page-size", "20", "--max-page-size", "20", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *data_dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(GAsyncResult) synced = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  NavetteMiddleware *middleware;
  NavetteTable *table;
  guint64 n_rows = 0;
  gint64 revision = -1;
  guint n_edits = 0;

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"Beside %03u\", \"price\": %u}}", i, i);

      g_assert_cmpuint (navette_test_request (server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                              token, body, NULL, NULL), ==, 201);
    }
  engine = journaled_engine_new (server, data_dir);
  middleware = navette_engine_get_middleware (engine);
  table = engine_test_load_table (engine, "catalogue", "products");
  path = navette_engine_dup_journal_path (engine);
  replica = navette_replica_open (path, &error);
  g_assert_no_error (error);

  navette_replica_sync_async (replica, navette_engine_get_client (engine), "catalogue",
                              navette_table_get_schema (table), NULL, replica_synced_cb, &synced);
  while (synced == NULL || n_edits < 3)
    {
      g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);

      queue_update (table, DEMO_PRODUCT_1, engine_test_object_int ("stock", 500 + n_edits), changes);
      ENGINE_WAIT_UNTIL (all_succeeded (changes), 60000);
      g_assert_true (navette_change_get_journaled (g_ptr_array_index (changes, 0)));
      n_edits++;
    }
  g_assert_true (navette_replica_sync_finish (replica, synced, &revision, &n_rows, &error));
  g_assert_no_error (error);
  g_test_message ("%u edits journaled during or after a sync of %" G_GUINT64_FORMAT " rows", n_edits, n_rows);
  g_assert_cmpuint (n_rows, ==, 206);
  g_assert_null (navette_middleware_get_journal_error (middleware));
  flush_journal (engine);
  g_assert_true (outbox_is_empty (path));
  {
    guint64 held = 0;

    g_assert_true (navette_replica_get_table_info (replica, "catalogue", "products", &revision, &held, &error));
    g_assert_cmpuint (held, ==, 206);
  }

  g_clear_object (&replica);
  g_clear_object (&engine);
  engine_test_rm_rf (data_dir);
}

/* An earlier version quit with two changes waiting in its pending.json;
 * this version's first start moves them into the outbox and sends them,
 * in order, once each; the file is gone and the outbox empty. */
static void
test_journal_upgrade (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autofree char *data_dir = g_dir_make_tmp ("navette-journal-XXXXXX", NULL);
  g_autofree char *key = navette_engine_account_key (server->base_url, "alice");
  g_autofree char *key_dir = g_build_filename (data_dir, key, NULL);
  g_autofree char *legacy = g_build_filename (key_dir, "pending.json", NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GArray) before = history_of (server, token, DEMO_PRODUCT_3, "stock");
  g_autoptr(GArray) after = NULL;
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  const double expected[] = { 701, 702 };

  text = g_strdup_printf ("{\"format\":2,\"server\":\"%s\",\"user\":\"alice\",\"changes\":[\n"
                          "{\"key\":\"4e617665-7474-4500-8000-0000000f0001\",\"state\":\"pending\","
                          "\"kind\":\"update\",\"app\":\"catalogue\",\"table\":\"products\",\"record\":\"%s\","
                          "\"made_at\":\"2026-12-01T10:00:00Z\",\"data\":{\"stock\":701}},\n"
                          "{\"key\":\"4e617665-7474-4500-8000-0000000f0002\",\"state\":\"pending\","
                          "\"kind\":\"update\",\"app\":\"catalogue\",\"table\":\"products\",\"record\":\"%s\","
                          "\"made_at\":\"2026-12-01T10:00:01Z\",\"data\":{\"stock\":702}}\n]}\n",
                          server->base_url, DEMO_PRODUCT_3, DEMO_PRODUCT_3);
  g_assert_cmpint (g_mkdir_with_parents (key_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (legacy, text, -1, &error));

  engine = journaled_engine_new (server, data_dir);
  path = navette_engine_dup_journal_path (engine);
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_pending (navette_engine_get_middleware (engine)) == 0, 20000);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 0);
  ENGINE_WAIT_UNTIL (outbox_is_empty (path), 10000);
  after = history_of (server, token, DEMO_PRODUCT_3, "stock");
  assert_history (after, before->len, expected, G_N_ELEMENTS (expected));

  g_clear_object (&engine);
  engine_test_rm_rf (data_dir);
}

int
main (int    argc,
      char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--outbox-crash-child"))
    return crash_child (argv[2]);

  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/journal/file", test_journal_file);
  g_test_add_func ("/engine/journal/migration", test_journal_migration);
  g_test_add_func ("/engine/journal/upgrade", test_journal_upgrade);
  g_test_add_func ("/engine/journal/crash", test_journal_crash);
  g_test_add_func ("/engine/journal/two-users", test_journal_two_users);
  g_test_add_func ("/engine/journal/beside-replica", test_journal_beside_replica);
  g_test_add_func ("/engine/journal/keeps-locks", test_journal_keeps_locks);
  g_test_add_func ("/engine/outage/quit-and-restart", test_outage_quit_and_restart);
  g_test_add_func ("/engine/outage/twenty-seconds", test_outage_twenty_seconds);
  g_test_add_func ("/engine/journal/write-failure", test_journal_write_failure);
  g_test_add_func ("/engine/journal/unusable", test_journal_unusable);

  return g_test_run ();
}
