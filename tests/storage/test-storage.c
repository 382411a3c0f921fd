/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-storage.c — NavetteDbSqlite against a real SQLite file in a
 * temporary directory: migrations, triggers, versioning under concurrent
 * writers, idempotency, grants history, busy database. */
#define G_LOG_DOMAIN "test-storage"

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "navette-db.h"
#include "navette-db-sqlite.h"
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
  g_assert_true (NAVETTE_IS_DB_SQLITE (fixture->db));
  g_assert_true (navette_db_migrate (fixture->db, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_assert_finalize_object (fixture->db);
  dir = g_dir_open (fixture->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (fixture->dir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (fixture->dir);
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

/* App "shop" with table "items" (name text required max 20, price real,
 * qty integer, ok boolean, day date). */
static void
add_items_table (NavetteDb *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("items", "Items");

  g_ptr_array_add (table->columns, navette_wire_column_new ("name", "Name", NAVETTE_COLUMN_TEXT, TRUE, 20));
  g_ptr_array_add (table->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("qty", "Quantity", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("ok", "OK", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("day", "Day", NAVETTE_COLUMN_DATE, FALSE, 0));

  g_assert_true (navette_db_app_add (db, "admin", "shop", "Shop", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_table_add (db, "admin", "shop", table, &error));
  g_assert_no_error (error);
}

static JsonObject *
item (const char *name,
      double      price)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "name", name);
  json_object_set_double_member (data, "price", price);
  return data;
}

static NavetteWireRecord *
create_item (NavetteDb  *db,
             const char *id,
             const char *name,
             double      price)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = item (name, price);
  g_autoptr(NavetteDbWriteResult) result = NULL;

  result = navette_db_record_create (db, "shop", "items", id, data, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (result->created);
  return navette_wire_record_ref (result->record);
}

static gint64
table_revision (NavetteDb *db)
{
  g_autoptr(GError) error = NULL;
  NavetteDbTableState state = { 0 };
  gint64 revision;

  g_assert_true (navette_db_table_state (db, "shop", "items", &state, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state.table, ==, "items");
  revision = state.revision;
  g_free (state.table);
  return revision;
}

static guint
count_audit (NavetteDb  *db,
             const char *action,
             const char *record)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = navette_db_audit_list (db, NULL, 0, 100000, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      NavetteDbAuditEntry *entry = g_ptr_array_index (entries, i);

      if ((action == NULL || g_strcmp0 (entry->action, action) == 0) &&
          (record == NULL || g_strcmp0 (entry->record, record) == 0))
        n++;
    }
  return n;
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

  version = navette_db_sqlite_get_schema_version (NAVETTE_DB_SQLITE (fixture->db), &error);
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

  add_items_table (fixture->db);
  g_assert_cmpint (table_revision (fixture->db), ==, 0);
  created = create_item (fixture->db, NULL, "kettle", 20.0);
  before = table_revision (fixture->db);
  g_assert_cmpint (before, ==, 1);
  g_assert_cmpint (created->revision, ==, before);

  /* Another program inserts a row with plain SQL, giving only data columns. */
  raw = open_raw (fixture);
  raw_exec (raw, "INSERT INTO \"shop.items\" (name, price) VALUES ('imported', 3.5)");
  g_assert_cmpint (raw_int (raw, "SELECT revision FROM table_last_modifications"
                                 " WHERE table_name = 'shop.items'"), ==, before + 1);

  after = table_revision (fixture->db);
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
  g_assert_cmpint (table_revision (fixture->db), ==, after + 1);
  raw_exec (raw, "DELETE FROM \"shop.items\" WHERE name = 'imported'");
  g_assert_cmpint (table_revision (fixture->db), ==, after + 2);

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

  add_items_table (fixture->db);
  record = create_item (fixture->db, NULL, "contended", 1.0);

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
                   table_revision (fixture->db));

  raw = open_raw (fixture);
  sql = g_strdup_printf ("SELECT count(*) FROM \"shop.items\" WHERE record_id = '%s' AND obsolete = 0",
                         record->id);
  g_assert_cmpint (raw_int (raw, sql), ==, 1);
  sqlite3_close (raw);

  /* One audit row per version. */
  g_assert_cmpuint (count_audit (fixture->db, "create", record->id), ==, 1);
  g_assert_cmpuint (count_audit (fixture->db, "update", record->id), ==, N_WRITERS * N_UPDATES);
  g_assert_cmpuint (count_audit (fixture->db, NULL, record->id), ==, last);
}

/* ---- create replay and conflict ---- */

static void
test_create_replay (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) first = NULL;
  g_autoptr(NavetteDbWriteResult) replay = NULL;
  g_autoptr(NavetteDbWriteResult) updated = NULL;
  g_autoptr(NavetteDbWriteResult) replay_after_update = NULL;
  g_autoptr(NavetteDbWriteResult) conflict = NULL;
  g_autoptr(JsonObject) same = item ("teapot", 12.0);
  g_autoptr(JsonObject) other = item ("teapot", 13.0);
  g_autoptr(JsonObject) change = json_object_new ();
  const char *id = "0b6d3f2e-8c1a-4e57-9a3d-2f1e0c9b8a71";
  gint64 revision;

  add_items_table (fixture->db);
  first = create_item (fixture->db, id, "teapot", 12.0);
  g_assert_cmpstr (first->id, ==, id);
  g_assert_cmpint (first->version, ==, 1);
  g_assert_cmpstr (first->updated_by, ==, "alice");
  g_assert_true (json_object_get_null_member (first->data, "qty"));
  revision = table_revision (fixture->db);

  replay = navette_db_record_create (fixture->db, "shop", "items", id, same, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (replay->created);
  g_assert_cmpint (replay->record->version, ==, 1);
  g_assert_cmpint (table_revision (fixture->db), ==, revision);

  conflict = navette_db_record_create (fixture->db, "shop", "items", id, other, "alice", NULL, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_assert_null (conflict);
  g_clear_error (&error);

  /* After an update, a replay of the create still matches what was created. */
  json_object_set_int_member (change, "qty", 3);
  updated = navette_db_record_update (fixture->db, "shop", "items", id, 1, change, -1, "bob",
                                      NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  replay_after_update = navette_db_record_create (fixture->db, "shop", "items", id, same,
                                                  "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (replay_after_update->created);
  g_assert_cmpint (replay_after_update->record->version, ==, 2);
  g_assert_cmpint (count_audit (fixture->db, "create", id), ==, 1);
}

/* ---- idempotency ---- */

static void
test_idempotency (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = item ("mug", 5.0);
  g_autoptr(JsonObject) change = json_object_new ();
  g_autoptr(NavetteDbWriteResult) first = NULL;
  g_autoptr(NavetteDbWriteResult) replay = NULL;
  g_autoptr(NavetteDbWriteResult) conflict = NULL;
  g_autoptr(NavetteDbWriteResult) other_user = NULL;
  g_autoptr(NavetteDbWriteResult) update = NULL;
  g_autoptr(NavetteDbWriteResult) update_replay = NULL;
  NavetteDbIdempotency key = { "5f0e8a36-1b7c-4d1e-8f2a-7c3b9e4d6a10", "hash-1" };
  NavetteDbIdempotency key_other_body = { "5f0e8a36-1b7c-4d1e-8f2a-7c3b9e4d6a10", "hash-2" };
  NavetteDbIdempotency update_key = { "a1c2e3f4-0000-4000-8000-000000000001", "hash-u" };
  gint64 revision;

  add_items_table (fixture->db);

  first = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice", &key, &error);
  g_assert_no_error (error);
  g_assert_true (first->created);
  g_assert_false (first->replayed);
  revision = table_revision (fixture->db);

  replay = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice", &key, &error);
  g_assert_no_error (error);
  g_assert_true (replay->replayed);
  g_assert_true (replay->created);
  g_assert_cmpstr (replay->record->id, ==, first->record->id);
  g_assert_cmpint (replay->record->version, ==, 1);
  g_assert_cmpint (table_revision (fixture->db), ==, revision);
  g_assert_cmpuint (count_audit (fixture->db, "create", NULL), ==, 1);

  conflict = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice",
                                       &key_other_body, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_assert_null (conflict);
  g_clear_error (&error);

  /* Keys belong to a user. */
  other_user = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "bob", &key, &error);
  g_assert_no_error (error);
  g_assert_false (other_user->replayed);
  g_assert_cmpstr (other_user->record->id, !=, first->record->id);

  /* An update replayed after another update returns the first answer. */
  json_object_set_int_member (change, "qty", 9);
  update = navette_db_record_update (fixture->db, "shop", "items", first->record->id, 1, change,
                                     -1, "alice", &update_key, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (update->record->version, ==, 2);
  update_replay = navette_db_record_update (fixture->db, "shop", "items", first->record->id, 1,
                                            change, -1, "alice", &update_key, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (update_replay->replayed);
  g_assert_cmpint (update_replay->record->version, ==, 2);
  g_assert_cmpuint (count_audit (fixture->db, "update", NULL), ==, 1);

  /* Purge forgets old keys. */
  g_assert_true (navette_db_purge (fixture->db, g_get_real_time () + G_USEC_PER_SEC, &error));
  g_assert_no_error (error);
  {
    g_autoptr(NavetteDbWriteResult) after_purge = NULL;

    after_purge = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice",
                                            &key_other_body, &error);
    g_assert_no_error (error);
    g_assert_false (after_purge->replayed);
  }
}

/* ---- updates, archive, revert ---- */

static gboolean
refuse_expensive (JsonObject  *merged,
                  gpointer     user_data,
                  GError     **error)
{
  guint *calls = user_data;

  (*calls)++;
  /* The merged data holds every column, given or not. */
  g_assert_true (json_object_has_member (merged, "name"));
  g_assert_true (json_object_has_member (merged, "day"));
  if (json_object_get_double_member (merged, "price") > 100)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_VALIDATION_FAILED, "too dear");
      return FALSE;
    }
  return TRUE;
}

static void
test_update_revert (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(JsonObject) rename = json_object_new ();
  g_autoptr(JsonObject) dear = json_object_new ();
  g_autoptr(NavetteDbWriteResult) v2 = NULL;
  g_autoptr(NavetteDbWriteResult) v3 = NULL;
  g_autoptr(NavetteDbWriteResult) refused = NULL;
  g_autoptr(NavetteDbWriteResult) too_new = NULL;
  g_autoptr(NavetteDbWriteResult) v4 = NULL;
  g_autoptr(NavetteDbWriteResult) missing = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  guint calls = 0;

  add_items_table (fixture->db);
  record = create_item (fixture->db, NULL, "lamp", 30.0);

  json_object_set_string_member (rename, "name", "desk lamp");
  v2 = navette_db_record_update (fixture->db, "shop", "items", record->id, 1, rename, -1, "bob",
                                 NULL, refuse_expensive, &calls, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpint (v2->record->version, ==, 2);
  g_assert_null (v2->superseded);
  g_assert_cmpstr (json_object_get_string_member (v2->record->data, "name"), ==, "desk lamp");
  g_assert_cmpfloat (json_object_get_double_member (v2->record->data, "price"), ==, 30.0);
  g_assert_cmpstr (v2->record->updated_by, ==, "bob");

  /* Archive from an old base: applied, with the versions it superseded. */
  v3 = navette_db_record_update (fixture->db, "shop", "items", record->id, 1, NULL, 1, "alice",
                                 NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (v3->record->archived);
  g_assert_nonnull (v3->superseded);
  g_assert_cmpuint (v3->superseded->len, ==, 1);
  g_assert_cmpint (g_array_index (v3->superseded, gint64, 0), ==, 2);
  g_assert_cmpuint (count_audit (fixture->db, "archive", record->id), ==, 1);

  /* The validate callback refuses: nothing written. */
  json_object_set_double_member (dear, "price", 500.0);
  refused = navette_db_record_update (fixture->db, "shop", "items", record->id, 3, dear, -1,
                                      "alice", NULL, refuse_expensive, &calls, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_VALIDATION_FAILED);
  g_assert_null (refused);
  g_clear_error (&error);

  /* A base_version that was never written. */
  too_new = navette_db_record_update (fixture->db, "shop", "items", record->id, 9, dear, -1,
                                      "alice", NULL, NULL, NULL, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_assert_null (too_new);
  g_clear_error (&error);

  v4 = navette_db_record_revert (fixture->db, "shop", "items", record->id, 1, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v4->record->version, ==, 4);
  g_assert_false (v4->record->archived);
  g_assert_cmpstr (json_object_get_string_member (v4->record->data, "name"), ==, "lamp");
  g_assert_cmpuint (count_audit (fixture->db, "revert", record->id), ==, 1);

  missing = navette_db_record_revert (fixture->db, "shop", "items", record->id, 42, "alice", NULL, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);

  versions = navette_db_record_versions (fixture->db, "shop", "items", record->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 4);
  g_assert_false (((NavetteWireRecord *) g_ptr_array_index (versions, 0))->obsolete);
  g_assert_true (((NavetteWireRecord *) g_ptr_array_index (versions, 3))->obsolete);
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (versions, 3))->version, ==, 1);

  /* Unknown names and records are NOT_FOUND, never an SQL error. */
  g_assert_null (navette_db_record_get (fixture->db, "shop", "items\"; DROP TABLE users; --",
                                        record->id, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (navette_db_record_get (fixture->db, "shop", "items",
                                        "00000000-0000-4000-8000-000000000000", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* ---- since deltas ---- */

static void
test_since (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) a = NULL;
  g_autoptr(NavetteWireRecord) b = NULL;
  g_autoptr(NavetteWireRecord) c = NULL;
  g_autoptr(NavetteDbWriteResult) b2 = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) apps = NULL;
  g_autoptr(JsonObject) change = json_object_new ();
  NavetteDbTableState state = { 0 };
  gint64 r;

  add_items_table (fixture->db);
  a = create_item (fixture->db, NULL, "a", 1);
  b = create_item (fixture->db, NULL, "b", 2);
  c = create_item (fixture->db, NULL, "c", 3);
  r = table_revision (fixture->db);

  json_object_set_boolean_member (change, "ok", TRUE);
  b2 = navette_db_record_update (fixture->db, "shop", "items", b->id, 1, change, -1, "alice",
                                 NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b2->record->revision, ==, table_revision (fixture->db));
  g_assert_true (json_object_get_boolean_member (b2->record->data, "ok"));

  all = navette_db_record_list (fixture->db, "shop", "items", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);

  delta = navette_db_record_list (fixture->db, "shop", "items", r, &state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 1);
  g_assert_cmpstr (((NavetteWireRecord *) g_ptr_array_index (delta, 0))->id, ==, b->id);
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (delta, 0))->version, ==, 2);
  g_assert_cmpint (state.revision, ==, b2->record->revision);
  g_free (state.table);

  none = navette_db_record_list (fixture->db, "shop", "items", b2->record->revision, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  apps = navette_db_app_state (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpstr (((NavetteDbTableState *) g_ptr_array_index (apps, 0))->table, ==, "items");
  g_assert_cmpint (((NavetteDbTableState *) g_ptr_array_index (apps, 0))->revision, ==,
                   b2->record->revision);

  g_assert_null (navette_db_app_state (fixture->db, "nope", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
}

/* ---- schema changes ---- */

static void
test_column_add (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(NavetteWireRecord) again = NULL;
  g_autoptr(NavetteWireColumn) required = navette_wire_column_new ("sku", "SKU", NAVETTE_COLUMN_TEXT, TRUE, 0);
  g_autoptr(NavetteWireColumn) optional = navette_wire_column_new ("note", "Note", NAVETTE_COLUMN_TEXT, FALSE, 0);
  g_autoptr(NavetteWireColumn) reserved = navette_wire_column_new ("version", "V", NAVETTE_COLUMN_INTEGER, FALSE, 0);
  g_autoptr(GPtrArray) tables = NULL;
  NavetteWireTable *items;

  add_items_table (fixture->db);
  record = create_item (fixture->db, NULL, "pan", 8);

  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", required, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", reserved, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  g_assert_true (navette_db_column_add (fixture->db, "admin", "shop", "items", optional, &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", optional, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_clear_error (&error);

  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 1);
  items = g_ptr_array_index (tables, 0);
  g_assert_cmpuint (items->columns->len, ==, 6);
  g_assert_cmpstr (((NavetteWireColumn *) g_ptr_array_index (items->columns, 5))->name, ==, "note");
  g_assert_cmpint (((NavetteWireColumn *) g_ptr_array_index (items->columns, 0))->max_length, ==, 20);
  g_assert_true (((NavetteWireColumn *) g_ptr_array_index (items->columns, 0))->required);

  again = navette_db_record_get (fixture->db, "shop", "items", record->id, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (again->data, "note"));
  g_assert_true (json_object_get_null_member (again->data, "note"));
  g_assert_cmpuint (count_audit (fixture->db, "column_add", NULL), ==, 1);
}

/* ---- users, sessions, grants ---- */

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
  add_items_table (fixture->db);
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

  g_assert_cmpuint (count_audit (fixture->db, "grant", NULL), ==, 2);
  g_assert_cmpuint (count_audit (fixture->db, "revoke", NULL), ==, 1);
  g_assert_cmpuint (count_audit (fixture->db, "user_add", NULL), ==, 1);
}

static void
test_sessions (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) user = NULL;
  g_autoptr(NavetteDbUser) after_passwd = NULL;
  g_autofree char *hash = navette_password_hash ("correct horse", &error);
  g_autofree char *hash2 = navette_password_hash ("battery staple", &error);
  gint64 expires = 0;

  g_assert_true (navette_password_verify (hash, "correct horse"));
  g_assert_false (navette_password_verify (hash, "correct horse!"));
  g_assert_false (navette_password_verify ("garbage", "correct horse"));
  g_assert_false (navette_password_verify (NULL, "x"));
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));

  g_assert_true (navette_db_user_add (fixture->db, "admin", "dave", NULL, hash, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_session_create (fixture->db, "dave", "tokenhash1", 12345, &error));
  g_assert_no_error (error);

  user = navette_db_session_lookup (fixture->db, "tokenhash1", &expires, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->username, ==, "dave");
  g_assert_cmpstr (user->display_name, ==, "dave");
  g_assert_true (user->admin);
  g_assert_cmpint (expires, ==, 12345);

  g_assert_null (navette_db_session_lookup (fixture->db, "unknown", NULL, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED);
  g_clear_error (&error);

  /* A new password closes the sessions. */
  g_assert_true (navette_db_user_set_password (fixture->db, "admin", "dave", hash2, &error));
  g_assert_no_error (error);
  g_assert_null (navette_db_session_lookup (fixture->db, "tokenhash1", NULL, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED);
  g_clear_error (&error);
  after_passwd = navette_db_user_get (fixture->db, "dave", &error);
  g_assert_no_error (error);
  g_assert_true (navette_password_verify (after_passwd->password_hash, "battery staple"));

  g_assert_true (navette_db_session_create (fixture->db, "dave", "tokenhash2", 12345, &error));
  g_assert_true (navette_db_session_revoke (fixture->db, "tokenhash2", &error));
  g_assert_no_error (error);
  g_assert_null (navette_db_session_lookup (fixture->db, "tokenhash2", NULL, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED);
  g_clear_error (&error);

  g_assert_false (navette_db_user_add (fixture->db, "admin", "Not Valid", NULL, hash, FALSE, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (count_audit (fixture->db, "user_passwd", NULL), ==, 1);
}

/* ---- busy database ---- */

static void
test_busy (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = item ("blocked", 1);
  g_autoptr(NavetteDbWriteResult) blocked = NULL;
  g_autoptr(NavetteDbWriteResult) unblocked = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  sqlite3 *raw;
  gint64 start;

  add_items_table (fixture->db);
  record = create_item (fixture->db, NULL, "before", 1);
  navette_db_sqlite_set_busy_timeout (NAVETTE_DB_SQLITE (fixture->db), 200);
  g_assert_cmpuint (navette_db_sqlite_get_busy_timeout (NAVETTE_DB_SQLITE (fixture->db)), ==, 200);

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
  ADD ("create-replay", test_create_replay);
  ADD ("idempotency", test_idempotency);
  ADD ("update-revert", test_update_revert);
  ADD ("since", test_since);
  ADD ("column-add", test_column_add);
  ADD ("grants-history", test_grants_history);
  ADD ("sessions", test_sessions);
  ADD ("busy", test_busy);
  ADD ("demo-idempotent", test_demo_idempotent);

#undef ADD

  return g_test_run ();
}
