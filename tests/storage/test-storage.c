/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-storage.c — NavetteDbSqlite against a real SQLite file in a
 * temporary directory, where the file itself is looked at: migrations,
 * triggers seen from another program, versioning under concurrent
 * writers, the grants' history, a busy database, the demo content. What
 * every backend does alike (replays, idempotency, updates and reverts,
 * deltas, schema changes, sessions) is in test-db-contract.c. */
#define G_LOG_DOMAIN "test-storage"

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "db-test-util.h"
#include "navette-test-server.h"
#include "navette-db.h"
#include "navette-demo.h"
#include "navette-password.h"

typedef struct
{
  char      *dir;
  char      *path;
  NavetteDb *db;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("navette-storage-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "navette.db", NULL);
  fixture->db = navette_db_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (navette_db_get_backend_name (fixture->db), ==, "sqlite");
  g_assert_true (navette_db_migrate (fixture->db, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_finalize_object (fixture->db);
  navette_test_rm_rf (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* ---- helpers ---- */

/* A direct connection to the same file, as another program would open it. */
static sqlite3 *
open_raw (Fixture *fixture)
{
  sqlite3 *handle = NULL;

  g_assert_cmpint (sqlite3_open (fixture->path, &handle), ==, SQLITE_OK);
  sqlite3_busy_timeout (handle, 5000);
  return handle;
}

static void
raw_exec (sqlite3    *handle,
          const char *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (handle, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static gint64
raw_int (sqlite3    *handle,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

/* ---- migrations ---- */

static void
test_migrations (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) other = NULL;
  sqlite3 *raw;
  gint64 version;

  version = navette_db_get_schema_version (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (version, >=, 1);

  /* Again on the same object, and from a second one: nothing applied twice. */
  g_assert_true (navette_db_migrate (fixture->db, &error));
  g_assert_no_error (error);
  other = navette_db_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (navette_db_migrate (other, &error));
  g_assert_no_error (error);

  raw = open_raw (fixture);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM schema_version"), ==, version);
  g_assert_cmpint (raw_int (raw, "SELECT count(DISTINCT version) FROM schema_version"), ==, version);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM sqlite_master WHERE name = 'table_last_modifications'"), ==, 1);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM pragma_table_info('table_last_modifications')"
                                 " WHERE name IN ('table_name', 'last_update', 'revision')"), ==, 3);
  /* WAL, set by the server on the file. */
  g_assert_cmpint (raw_int (raw, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), ==, 1);
  sqlite3_close (raw);

  g_assert_true (navette_db_ping (fixture->db, &error));
  g_assert_no_error (error);
}

static void
test_unopenable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) db = NULL;

  db = navette_db_open ("/nonexistent-navette-dir/sub/navette.db", &error);
  g_assert_null (db);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE);
  g_assert_null (strstr (error->message, "nonexistent"));
}

/* ---- triggers ---- */

static void
test_trigger_direct_sql (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autoptr(NavetteWireRecord) created = NULL;
  NavetteWireRecord *imported;
  NavetteDbTableState state = { 0 };
  gint64 before, after;
  sqlite3 *raw;

  db_test_add_shop (fixture->db);
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, 0);
  created = db_test_create_item (fixture->db, NULL, "kettle", 20.0);
  before = db_test_items_revision (fixture->db);
  g_assert_cmpint (before, ==, 1);
  g_assert_cmpint (created->revision, ==, before);

  /* Another program inserts a row with plain SQL, giving only data columns. */
  raw = open_raw (fixture);
  raw_exec (raw, "INSERT INTO \"shop.items\" (name, price) VALUES ('imported', 3.5)");
  g_assert_cmpint (raw_int (raw, "SELECT revision FROM table_last_modifications"
                                 " WHERE table_name = 'shop.items'"), ==, before + 1);

  after = db_test_items_revision (fixture->db);
  g_assert_cmpint (after, ==, before + 1);

  /* It shows in the delta, with the revision it was written at. */
  delta = navette_db_record_list (fixture->db, "shop", "items", before, &state, &error);
  g_assert_no_error (error);
  g_assert_cmpint (state.revision, ==, after);
  g_assert_cmpint (state.last_update, >, 0);
  g_free (state.table);
  g_assert_cmpuint (delta->len, ==, 1);
  imported = g_ptr_array_index (delta, 0);
  g_assert_cmpstr (json_object_get_string_member (imported->data, "name"), ==, "imported");
  g_assert_cmpint (imported->revision, ==, after);
  g_assert_cmpint (imported->version, ==, 1);
  g_assert_true (navette_uuid_is_valid (imported->id));

  /* UPDATE and DELETE move the revision too. */
  raw_exec (raw, "UPDATE \"shop.items\" SET price = 4 WHERE name = 'imported'");
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, after + 1);
  raw_exec (raw, "DELETE FROM \"shop.items\" WHERE name = 'imported'");
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, after + 2);

  /* At most one current row per record, enforced by the database. */
  g_assert_cmpint (sqlite3_exec (raw, "INSERT INTO \"shop.items\" (record_id, version, name)"
                                      " SELECT record_id, 2, 'dup' FROM \"shop.items\" LIMIT 1",
                                 NULL, NULL, NULL) & 0xff, ==, SQLITE_CONSTRAINT);
  sqlite3_close (raw);
}

/* ---- versioning under concurrent writers ---- */

#define N_WRITERS 8
#define N_UPDATES 25

typedef struct
{
  NavetteDb  *db;
  const char *id;
  guint       writer;
} WriterData;

static gpointer
writer_thread (gpointer user_data)
{
  WriterData *writer = user_data;

  for (guint i = 0; i < N_UPDATES; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteDbWriteResult) result = NULL;

      json_object_set_int_member (data, "qty", writer->writer * 1000 + i);
      result = navette_db_record_update (writer->db, "shop", "items", writer->id, 1, data, -1,
                                         "alice", NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (result);
      g_assert_false (result->created);
    }

  return NULL;
}

static void
test_concurrent_writers (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autofree char *sql = NULL;
  GThread *threads[N_WRITERS];
  WriterData writers[N_WRITERS];
  const gint64 last = 1 + N_WRITERS * N_UPDATES;
  sqlite3 *raw;

  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "contended", 1.0);

  for (guint i = 0; i < N_WRITERS; i++)
    {
      writers[i] = (WriterData) { fixture->db, record->id, i };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }
  for (guint i = 0; i < N_WRITERS; i++)
    g_thread_join (threads[i]);

  /* Contiguous versions 1..N, newest first, exactly one current. */
  versions = navette_db_record_versions (fixture->db, "shop", "items", record->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, last);
  for (guint i = 0; i < versions->len; i++)
    {
      NavetteWireRecord *version = g_ptr_array_index (versions, i);

      g_assert_cmpint (version->version, ==, last - i);
      g_assert_cmpint (version->obsolete, ==, i != 0);
      /* A version's revision grows with its number. */
      if (i > 0)
        g_assert_cmpint (version->revision, <,
                         ((NavetteWireRecord *) g_ptr_array_index (versions, i - 1))->revision);
      /* Only "qty" changed; the rest was merged from the previous version. */
      g_assert_cmpstr (json_object_get_string_member (version->data, "name"), ==, "contended");
    }
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (versions, 0))->revision, ==,
                   db_test_items_revision (fixture->db));

  raw = open_raw (fixture);
  sql = g_strdup_printf ("SELECT count(*) FROM \"shop.items\" WHERE record_id = '%s' AND obsolete = 0",
                         record->id);
  g_assert_cmpint (raw_int (raw, sql), ==, 1);
  sqlite3_close (raw);

  /* One audit row per version. */
  g_assert_cmpuint (db_test_count_audit (fixture->db, "create", record->id), ==, 1);
  g_assert_cmpuint (db_test_count_audit (fixture->db, "update", record->id), ==, N_WRITERS * N_UPDATES);
  g_assert_cmpuint (db_test_count_audit (fixture->db, NULL, record->id), ==, last);
}

/* ---- grants ---- */

static void
test_grants_history (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) roles = NULL;
  g_autoptr(GHashTable) no_roles = NULL;
  g_autofree char *hash = navette_password_hash ("correct horse", &error);
  sqlite3 *raw;

  g_assert_no_error (error);
  db_test_add_shop (fixture->db);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "carol", "Carol", hash, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_user_add (fixture->db, "admin", "carol", "Carol", hash, FALSE, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "editor", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "editor", &error)); /* no-op */
  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "reader", &error));
  g_assert_no_error (error);

  roles = navette_db_roles_for_user (fixture->db, "carol", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (roles, "shop"), ==, "reader");

  g_assert_true (navette_db_revoke (fixture->db, "admin", "carol", "shop", &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_revoke (fixture->db, "admin", "carol", "shop", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (navette_db_grant (fixture->db, "admin", "nobody", "shop", "reader", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (navette_db_grant (fixture->db, "admin", "carol", "shop", "owner", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  no_roles = navette_db_roles_for_user (fixture->db, "carol", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (no_roles), ==, 0);

  /* The whole history is kept, versioned like content. */
  raw = open_raw (fixture);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM role_grants WHERE username = 'carol'"), ==, 3);
  g_assert_cmpint (raw_int (raw, "SELECT count(DISTINCT record_id) FROM role_grants WHERE username = 'carol'"), ==, 1);
  g_assert_cmpint (raw_int (raw, "SELECT max(version) FROM role_grants WHERE username = 'carol'"), ==, 3);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM role_grants WHERE username = 'carol'"
                                 " AND obsolete = 0 AND role IS NULL AND archived = 1"), ==, 1);
  g_assert_cmpint (raw_int (raw, "SELECT revision FROM table_last_modifications"
                                 " WHERE table_name = '_navette.role_grants'"), >=, 3);
  sqlite3_close (raw);

  g_assert_cmpuint (db_test_count_audit (fixture->db, "grant", NULL), ==, 2);
  g_assert_cmpuint (db_test_count_audit (fixture->db, "revoke", NULL), ==, 1);
  g_assert_cmpuint (db_test_count_audit (fixture->db, "user_add", NULL), ==, 1);
}

/* ---- busy database ---- */

static void
test_busy (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = db_test_item ("blocked", 1);
  g_autoptr(NavetteDbWriteResult) blocked = NULL;
  g_autoptr(NavetteDbWriteResult) unblocked = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  sqlite3 *raw;
  gint64 start;

  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "before", 1);
  navette_db_set_busy_timeout (fixture->db, 200);
  g_assert_cmpuint (navette_db_get_busy_timeout (fixture->db), ==, 200);

  raw = open_raw (fixture);
  raw_exec (raw, "BEGIN EXCLUSIVE");

  start = g_get_monotonic_time ();
  blocked = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice", NULL, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE);
  g_assert_null (blocked);
  g_assert_cmpstr (error->message, ==, "The database is busy; try again shortly.");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 150 * G_TIME_SPAN_MILLISECOND);
  g_clear_error (&error);

  /* Readers are not blocked by the writer (WAL). */
  list = navette_db_record_list (fixture->db, "shop", "items", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);

  raw_exec (raw, "ROLLBACK");
  sqlite3_close (raw);

  unblocked = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (unblocked->created);
}

/* ---- demo ---- */

static void
test_demo_idempotent (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) alice = NULL;
  g_autoptr(GHashTable) bob = NULL;
  g_autoptr(NavetteDbUser) admin = NULL;
  g_autoptr(GPtrArray) products = NULL;
  g_autoptr(GPtrArray) articles = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  const char *counts_sql[] = {
    "SELECT count(*) FROM users", "SELECT count(*) FROM applications",
    "SELECT count(*) FROM content_tables", "SELECT count(*) FROM content_columns",
    "SELECT count(*) FROM \"catalogue.products\"", "SELECT count(*) FROM \"blog.articles\"",
    "SELECT count(*) FROM role_grants", "SELECT count(*) FROM audit",
    "SELECT revision FROM table_last_modifications WHERE table_name = 'catalogue.products'",
  };
  gint64 counts[G_N_ELEMENTS (counts_sql)];
  sqlite3 *raw;

  g_assert_true (navette_demo_create (fixture->db, "admin", &error));
  g_assert_no_error (error);

  raw = open_raw (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (counts_sql); i++)
    counts[i] = raw_int (raw, counts_sql[i]);

  g_assert_true (navette_demo_create (fixture->db, "admin", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (counts_sql); i++)
    g_assert_cmpint (raw_int (raw, counts_sql[i]), ==, counts[i]);
  sqlite3_close (raw);

  g_assert_cmpint (counts[0], ==, 3);
  g_assert_cmpint (counts[1], ==, 2);

  products = navette_db_record_list (fixture->db, "catalogue", "products", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (products->len, >=, 3);
  articles = navette_db_record_list (fixture->db, "blog", "articles", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (articles->len, >=, 3);

  tables = navette_db_table_list (fixture->db, "blog", &error);
  g_assert_no_error (error);
  {
    NavetteWireTable *t = g_ptr_array_index (tables, 0);
    const NavetteWireColumn *title = navette_wire_table_lookup_column (t, "title");
    const NavetteWireColumn *date = navette_wire_table_lookup_column (t, "publish_date");

    g_assert_cmpstr (t->name, ==, "articles");
    g_assert_true (title->required);
    g_assert_cmpint (title->max_length, ==, 200);
    g_assert_cmpint (date->type, ==, NAVETTE_COLUMN_DATE);
    g_assert_nonnull (navette_wire_table_lookup_column (t, "body"));
    g_assert_cmpint (navette_wire_table_lookup_column (t, "published")->type, ==, NAVETTE_COLUMN_BOOLEAN);
  }

  admin = navette_db_user_get (fixture->db, "admin", &error);
  g_assert_no_error (error);
  g_assert_true (admin->admin);
  g_assert_true (navette_password_verify (admin->password_hash, NAVETTE_DEMO_PASSWORD));

  alice = navette_db_roles_for_user (fixture->db, "alice", &error);
  g_assert_cmpstr (g_hash_table_lookup (alice, "catalogue"), ==, "editor");
  g_assert_cmpstr (g_hash_table_lookup (alice, "blog"), ==, "editor");
  bob = navette_db_roles_for_user (fixture->db, "bob", &error);
  g_assert_cmpstr (g_hash_table_lookup (bob, "catalogue"), ==, "reader");
  g_assert_false (g_hash_table_contains (bob, "blog"));

  /* Generated rows for benchmarks. */
  g_assert_true (navette_demo_add_rows (fixture->db, "catalogue", "products", 2500, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) more = navette_db_record_list (fixture->db, "catalogue", "products", -1, NULL, &error);
    g_assert_cmpuint (more->len, ==, products->len + 2500);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/storage/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("migrations", test_migrations);
  g_test_add_func ("/storage/unopenable", test_unopenable);
  ADD ("trigger-direct-sql", test_trigger_direct_sql);
  ADD ("concurrent-writers", test_concurrent_writers);
  ADD ("grants-history", test_grants_history);
  ADD ("busy", test_busy);
  ADD ("demo-idempotent", test_demo_idempotent);

#undef ADD

  return g_test_run ();
}
