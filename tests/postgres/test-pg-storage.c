/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-pg-storage.c — NavetteDbPg itself, on the throwaway cluster named
 * by NAVETTE_TEST_PG_URL (tests/postgres/pg-cluster.sh): the schema, the
 * triggers seen from plain SQL, versions under concurrent writers (one
 * NavetteDbPg per thread, as separate server processes would have), the
 * commit-ordered revisions, and what happens when the database is away. */
#define G_LOG_DOMAIN "navette-test-pg"

#include "config.h"

#include <string.h>

#include "navette-db.h"
#include "navette-db-pg.h"
#include "navette-test-pg.h"

typedef struct
{
  char *name;  /* database name */
  char *url;   /* its URL */
} TestDb;

static void
test_db_free (TestDb *db)
{
  g_free (db->name);
  g_free (db->url);
  g_free (db);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestDb, test_db_free)

static const char *
cluster_url (void)
{
  return g_getenv ("NAVETTE_TEST_PG_URL");
}

static gboolean
need_cluster (void)
{
  if (cluster_url () == NULL)
    {
      g_test_skip ("NAVETTE_TEST_PG_URL is not set (see tests/postgres/pg-cluster.sh)");
      return FALSE;
    }
  return TRUE;
}

/* A fresh database on the cluster. */
static TestDb *
test_db_new (void)
{
  TestDb *db = g_new0 (TestDb, 1);

  db->name = navette_test_pg_database_new ("navette_pgstore", &db->url);
  return db;
}

static void
test_db_drop (TestDb *db)
{
  navette_test_pg_database_drop (db->name);
}

static NavetteDb *
open_db (TestDb *tdb)
{
  g_autoptr(GError) error = NULL;
  NavetteDb *db = navette_db_pg_new (tdb->url, &error);

  g_assert_no_error (error);
  g_assert_true (NAVETTE_IS_DB (db));
  return db;
}

/* A migrated database with the application "shop", its table
 * "products" (every column type) and the users admin and alice. */
static NavetteDb *
open_shop (TestDb *tdb)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("products", "Products");
  NavetteDb *db = open_db (tdb);

  g_assert_true (navette_db_migrate (db, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_user_add (db, "test", "admin", "Admin", "hash", TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_user_add (db, "admin", "alice", "Alice", "hash", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_app_add (db, "admin", "shop", "Shop", &error));
  g_assert_no_error (error);
  g_ptr_array_add (table->columns, navette_wire_column_new ("name", "Name", NAVETTE_COLUMN_TEXT, TRUE, 100));
  g_ptr_array_add (table->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("stock", "Stock", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("since", "Since", NAVETTE_COLUMN_DATE, FALSE, 0));
  g_assert_true (navette_db_table_add (db, "admin", "shop", table, &error));
  g_assert_no_error (error);
  return db;
}

/* Most cases run on a fresh database holding that shop, made before and
 * dropped after the case (db NULL: no cluster, the case is skipped). */
typedef struct
{
  TestDb    *tdb;
  NavetteDb *db;
} Shop;

static void
shop_setup (Shop          *shop,
            gconstpointer  test_data)
{
  if (!need_cluster ())
    return;
  shop->tdb = test_db_new ();
  shop->db = open_shop (shop->tdb);
}

static void
shop_teardown (Shop          *shop,
               gconstpointer  test_data)
{
  if (shop->tdb == NULL)
    return;
  g_clear_object (&shop->db);
  test_db_drop (shop->tdb);
  test_db_free (shop->tdb);
}

#define NEED_SHOP(shop)       \
  G_STMT_START {              \
    if ((shop)->db == NULL)   \
      return;                 \
  } G_STMT_END

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
create_product (NavetteDb  *db,
                const char *json)
{
  g_autoptr(JsonObject) data = parse_object (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;

  result = navette_db_record_create (db, "shop", "products", NULL, data, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (result->created);
  g_assert_cmpint (result->record->version, ==, 1);
  return g_strdup (result->record->id);
}

static gint64
table_revision (NavetteDb *db)
{
  NavetteDbTableState state = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (navette_db_table_state (db, "shop", "products", &state, &error));
  g_assert_no_error (error);
  g_free (state.table);
  return state.revision;
}

/* ------------------------------------------------------------------ */

static void
test_migrate_idempotent (void)
{
  g_autoptr(TestDb) tdb = NULL;
  g_autoptr(NavetteDb) a = NULL;
  g_autoptr(NavetteDb) b = NULL;
  g_autoptr(GError) error = NULL;

  if (!need_cluster ())
    return;
  tdb = test_db_new ();
  a = open_db (tdb);
  b = open_db (tdb);
  g_assert_true (navette_db_migrate (a, &error));
  g_assert_no_error (error);
  /* A second server starting on the same database. */
  g_assert_true (navette_db_migrate (b, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_ping (b, &error));
  g_assert_no_error (error);
  g_clear_object (&a);
  g_clear_object (&b);
  test_db_drop (tdb);
}

static void
test_records (Shop          *shop,
              gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) patch = NULL;
  g_autoptr(NavetteDbWriteResult) updated = NULL;
  g_autoptr(NavetteDbWriteResult) superseding = NULL;
  g_autoptr(NavetteDbWriteResult) reverted = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autofree char *id = NULL;
  NavetteDbTableState state = { 0 };
  gint64 revision;

  NEED_SHOP (shop);

  g_assert_cmpint (table_revision (db), ==, 0);
  id = create_product (db, "{\"name\": \"Pear\", \"price\": 2.25, \"stock\": 9007199254740993,"
                           " \"published\": true, \"since\": \"2026-02-28\"}");
  revision = table_revision (db);
  g_assert_cmpint (revision, ==, 1);

  record = navette_db_record_get (db, "shop", "products", id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (record->data, "name"), ==, "Pear");
  g_assert_cmpfloat (json_object_get_double_member (record->data, "price"), ==, 2.25);
  g_assert_cmpint (json_object_get_int_member (record->data, "stock"), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_true (json_object_get_boolean_member (record->data, "published"));
  g_assert_cmpstr (json_object_get_string_member (record->data, "since"), ==, "2026-02-28");
  g_assert_cmpint (record->revision, ==, revision);
  g_assert_cmpstr (record->updated_by, ==, "alice");
  g_assert_cmpint (ABS (record->updated_at - g_get_real_time ()), <, 60 * G_USEC_PER_SEC);

  /* An update merges, writes version 2, moves the revision. */
  patch = parse_object ("{\"price\": 3.5}");
  updated = navette_db_record_update (db, "shop", "products", id, 1, patch, -1, "alice",
                                      NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (updated->record->version, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (updated->record->data, "name"), ==, "Pear");
  g_assert_cmpfloat (json_object_get_double_member (updated->record->data, "price"), ==, 3.5);
  g_assert_null (updated->superseded);
  g_assert_cmpint (updated->record->revision, ==, table_revision (db));
  g_assert_cmpint (updated->record->revision, >, revision);

  /* Archiving from an old base version: applied, superseded = [2]. */
  superseding = navette_db_record_update (db, "shop", "products", id, 1, NULL, 1, "admin",
                                          NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (superseding->record->version, ==, 3);
  g_assert_true (superseding->record->archived);
  g_assert_nonnull (superseding->superseded);
  g_assert_cmpuint (superseding->superseded->len, ==, 1);
  g_assert_cmpint (g_array_index (superseding->superseded, gint64, 0), ==, 2);

  reverted = navette_db_record_revert (db, "shop", "products", id, 1, "alice", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reverted->record->version, ==, 4);
  g_assert_false (reverted->record->archived);
  g_assert_cmpfloat (json_object_get_double_member (reverted->record->data, "price"), ==, 2.25);

  versions = navette_db_record_versions (db, "shop", "products", id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 4);
  for (guint i = 0; i < versions->len; i++)
    {
      NavetteWireRecord *v = g_ptr_array_index (versions, i);

      g_assert_cmpint (v->version, ==, 4 - i);
      g_assert_cmpint (v->obsolete, ==, i > 0);
    }

  /* The delta since the revision of the update holds the record once. */
  delta = navette_db_record_list (db, "shop", "products", updated->record->revision, &state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 1);
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (delta, 0))->version, ==, 4);
  g_assert_cmpint (state.revision, ==, table_revision (db));
  g_assert_cmpint (state.last_update, >, 0);
  g_clear_pointer (&delta, g_ptr_array_unref);
  delta = navette_db_record_list (db, "shop", "products", state.revision, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 0);
  g_free (state.table);

  audit = navette_db_audit_list (db, "shop", 0, 100, &error);
  g_assert_no_error (error);
  {
    const char *expected[] = { "app_add", "table_add", "create", "update", "archive", "revert" };
    guint n = 0;

    for (guint i = 0; i < audit->len; i++)
      {
        NavetteDbAuditEntry *entry = g_ptr_array_index (audit, i);

        g_assert_cmpuint (n, <, G_N_ELEMENTS (expected));
        g_assert_cmpstr (entry->action, ==, expected[n]);
        n++;
      }
    g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));
  }

  /* Unknown things are NOT_FOUND, never an SQL error. */
  g_clear_pointer (&record, navette_wire_record_unref);
  record = navette_db_record_get (db, "shop", "products", "not-a-uuid", &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_assert_null (record);
  g_clear_error (&error);
  record = navette_db_record_get (db, "shop", "nope\"; DROP TABLE users; --", id, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (navette_db_table_state (db, "shop", "missing", &state, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);

}

static void
test_create_and_idempotency (Shop          *shop,
                             gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = parse_object ("{\"name\": \"Fig\", \"price\": 4}");
  g_autoptr(JsonObject) same = parse_object ("{\"name\": \"Fig\", \"price\": 4.0, \"stock\": null}");
  g_autoptr(JsonObject) other = parse_object ("{\"name\": \"Plum\"}");
  g_autoptr(NavetteDbWriteResult) first = NULL;
  g_autoptr(NavetteDbWriteResult) again = NULL;
  g_autoptr(NavetteDbWriteResult) conflict = NULL;
  g_autoptr(NavetteDbWriteResult) keyed = NULL;
  g_autoptr(NavetteDbWriteResult) replay = NULL;
  g_autofree char *id = navette_uuid_new ();
  NavetteDbIdempotency idem = { "6b1f0a52-7a43-4f0e-9a59-0d1b55d1f3a1", "hash-1" };
  NavetteDbIdempotency reused = { "6b1f0a52-7a43-4f0e-9a59-0d1b55d1f3a1", "hash-2" };
  gint64 revision;

  NEED_SHOP (shop);

  first = navette_db_record_create (db, "shop", "products", id, data, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (first->created);
  g_assert_cmpstr (first->record->id, ==, id);
  revision = table_revision (db);

  /* Same id, equal data: the existing record, nothing written. */
  again = navette_db_record_create (db, "shop", "products", id, same, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (again->created);
  g_assert_cmpint (again->record->version, ==, 1);
  g_assert_cmpint (table_revision (db), ==, revision);

  conflict = navette_db_record_create (db, "shop", "products", id, other, "alice", NULL, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_assert_null (conflict);
  g_clear_error (&error);

  /* An idempotency key: the replay writes nothing and says so. */
  keyed = navette_db_record_update (db, "shop", "products", id, 1, other, -1, "alice", &idem,
                                    NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (keyed->record->version, ==, 2);
  revision = table_revision (db);
  replay = navette_db_record_update (db, "shop", "products", id, 1, other, -1, "alice", &idem,
                                     NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (replay->replayed);
  g_assert_cmpint (replay->record->version, ==, 2);
  g_assert_cmpint (table_revision (db), ==, revision);
  g_clear_pointer (&replay, navette_db_write_result_free);
  replay = navette_db_record_update (db, "shop", "products", id, 1, data, -1, "alice", &reused,
                                     NULL, NULL, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_assert_null (replay);
  g_clear_error (&error);

}

/* Names of 63 bytes (the API's limit) for the application, the table and
 * a column: PostgreSQL's identifiers are 63 bytes too, so the backend
 * must not build identifiers out of them. */
static void
test_long_names (void)
{
  g_autoptr(TestDb) tdb = NULL;
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = NULL;
  g_autoptr(NavetteWireColumn) extra = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  g_autofree char *app = g_strnfill (63, 'a');
  g_autofree char *name = g_strnfill (63, 't');
  g_autofree char *column = g_strnfill (63, 'c');
  g_autofree char *column2 = g_strnfill (63, 'd');
  g_autofree char *json = NULL;

  if (!need_cluster ())
    return;
  tdb = test_db_new ();
  db = open_db (tdb);
  g_assert_true (navette_db_migrate (db, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_app_add (db, "admin", app, "Long", &error));
  g_assert_no_error (error);
  table = navette_wire_table_new (name, "Long");
  g_ptr_array_add (table->columns, navette_wire_column_new (column, "C", NAVETTE_COLUMN_TEXT, TRUE, 0));
  g_assert_true (navette_db_table_add (db, "admin", app, table, &error));
  g_assert_no_error (error);
  extra = navette_wire_column_new (column2, "D", NAVETTE_COLUMN_INTEGER, FALSE, 0);
  g_assert_true (navette_db_column_add (db, "admin", app, name, extra, &error));
  g_assert_no_error (error);

  json = g_strdup_printf ("{\"%s\": \"x\", \"%s\": 7}", column, column2);
  data = parse_object (json);
  result = navette_db_record_create (db, app, name, NULL, data, "admin", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result->record->data, column2), ==, 7);

  tables = navette_db_table_list (db, app, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 1);
  g_assert_cmpuint (((NavetteWireTable *) g_ptr_array_index (tables, 0))->columns->len, ==, 2);

  /* Reserved version columns cannot be user columns. */
  g_clear_pointer (&extra, navette_wire_column_free);
  extra = navette_wire_column_new ("version", "V", NAVETTE_COLUMN_INTEGER, FALSE, 0);
  g_assert_false (navette_db_column_add (db, "admin", app, name, extra, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  g_clear_object (&db);
  test_db_drop (tdb);
}

/* The revision is kept by triggers: a row written by plain SQL, outside
 * the server, moves it and shows up in the delta. */
static void
test_trigger_plain_sql (Shop          *shop,
                        gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autofree char *sql_name = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *id = NULL;
  NavetteWireRecord *found;
  gint64 before;

  NEED_SHOP (shop);
  id = create_product (db, "{\"name\": \"Apple\"}");
  before = table_revision (db);

  conn = navette_test_pg_connect (shop->tdb->url);
  sql_name = navette_test_pg_value (conn, "SELECT sql_name FROM content_tables WHERE name = 'products'");
  sql = g_strdup_printf ("INSERT INTO \"%s\" (updated_by, name, price) VALUES ('import', 'Quince', 1.5)",
                         sql_name);
  navette_test_pg_exec (conn, sql);
  g_assert_cmpint (table_revision (db), ==, before + 1);

  delta = navette_db_record_list (db, "shop", "products", before, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 1);
  found = g_ptr_array_index (delta, 0);
  g_assert_cmpstr (json_object_get_string_member (found->data, "name"), ==, "Quince");
  g_assert_cmpint (found->version, ==, 1);
  g_assert_cmpint (found->revision, ==, before + 1);
  g_assert_true (navette_uuid_is_valid (found->id));

  /* An in-place edit of a current row, and a delete, move it too. */
  g_free (sql);
  sql = g_strdup_printf ("UPDATE \"%s\" SET price = 2 WHERE name = 'Quince'", sql_name);
  navette_test_pg_exec (conn, sql);
  g_assert_cmpint (table_revision (db), ==, before + 2);
  g_clear_pointer (&delta, g_ptr_array_unref);
  delta = navette_db_record_list (db, "shop", "products", before + 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 1);
  g_free (sql);
  sql = g_strdup_printf ("DELETE FROM \"%s\" WHERE name = 'Quince'", sql_name);
  navette_test_pg_exec (conn, sql);
  g_assert_cmpint (table_revision (db), ==, before + 3);

  /* The database enforces one current row per record and unique versions. */
  g_free (sql);
  sql = g_strdup_printf ("INSERT INTO \"%s\" (record_id, version, updated_by, name) "
                         "VALUES ('%s', 2, 'x', 'dup')", sql_name, id);
  {
    g_autoptr(PGresult) res = PQexec (conn, sql);

    g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_SQLSTATE), ==, "23505");
  }
  g_free (sql);
  sql = g_strdup_printf ("INSERT INTO \"%s\" (record_id, version, obsolete, updated_by, name) "
                         "VALUES ('%s', 1, true, 'x', 'dup')", sql_name, id);
  {
    g_autoptr(PGresult) res = PQexec (conn, sql);

    g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_SQLSTATE), ==, "23505");
  }

  g_clear_pointer (&conn, PQfinish);
}

/* A writer that started earlier but commits later is still seen by the
 * next check: while a plain-SQL transaction holds an uncommitted row, a
 * server write to the same table waits for it and takes the revision
 * after it, so the poller that saw revision R before either committed
 * finds both in the delta since R. */
typedef struct
{
  NavetteDb *db;
  gint64     revision;
} LateWriter;

static gpointer
late_writer_thread (gpointer data)
{
  LateWriter *w = data;
  g_autoptr(JsonObject) obj = parse_object ("{\"name\": \"Late\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;

  result = navette_db_record_create (w->db, "shop", "products", NULL, obj, "alice", NULL, &error);
  g_assert_no_error (error);
  w->revision = result->record->revision;
  return NULL;
}

static void
test_revision_commit_order (Shop          *shop,
                            gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGconn) early = NULL;
  g_autoptr(PGconn) watch = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autofree char *sql_name = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *create_id = NULL;
  LateWriter w = { 0 };
  GThread *thread;
  gint64 seen;

  NEED_SHOP (shop);
  create_id = create_product (db, "{\"name\": \"First\"}");
  seen = table_revision (db);

  early = navette_test_pg_connect (shop->tdb->url);
  watch = navette_test_pg_connect (shop->tdb->url);
  sql_name = navette_test_pg_value (early, "SELECT sql_name FROM content_tables WHERE name = 'products'");
  navette_test_pg_exec (early, "BEGIN");
  sql = g_strdup_printf ("INSERT INTO \"%s\" (updated_by, name) VALUES ('early', 'Early')", sql_name);
  navette_test_pg_exec (early, sql);

  /* Uncommitted: pollers still see the old revision. */
  g_assert_cmpint (table_revision (db), ==, seen);

  w.db = db;
  thread = g_thread_new ("late-writer", late_writer_thread, &w);
  /* Wait until the server's write is blocked on the early transaction's
   * lock, as PostgreSQL itself reports it. */
  for (;;)
    {
      g_autofree char *waiting = navette_test_pg_value (watch,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'navette-server' "
        "AND wait_event_type = 'Lock'");

      if (strcmp (waiting, "0") != 0)
        break;
      g_thread_yield ();
    }
  g_assert_cmpint (table_revision (db), ==, seen);
  navette_test_pg_exec (early, "COMMIT");
  g_thread_join (thread);

  g_assert_cmpint (w.revision, ==, seen + 2);
  delta = navette_db_record_list (db, "shop", "products", seen, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 2);
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (delta, 0))->revision, ==, seen + 1);
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (delta, 1))->revision, ==, seen + 2);

  g_clear_pointer (&early, PQfinish);
  g_clear_pointer (&watch, PQfinish);
}

/* Writers on separate NavetteDbPg objects (separate pools, as separate
 * server processes have) hammer one record: versions stay contiguous and
 * the revisions grow with them. */
#define HAMMER_THREADS 8
#define HAMMER_UPDATES 25

typedef struct
{
  TestDb     *tdb;
  const char *id;
  guint       index;
} Hammer;

static gpointer
hammer_thread (gpointer data)
{
  Hammer *h = data;
  g_autoptr(NavetteDb) db = open_db (h->tdb);

  for (guint i = 0; i < HAMMER_UPDATES; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"stock\": %u}", h->index * 1000 + i);
      g_autoptr(JsonObject) patch = parse_object (json);
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteDbWriteResult) result = NULL;

      result = navette_db_record_update (db, "shop", "products", h->id, 1, patch, -1, "alice",
                                         NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (result);
    }
  return NULL;
}

static void
test_concurrent_writers (Shop          *shop,
                         gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autofree char *id = NULL;
  GThread *threads[HAMMER_THREADS];
  Hammer hammers[HAMMER_THREADS];
  gint64 previous_revision = G_MAXINT64;

  NEED_SHOP (shop);
  id = create_product (db, "{\"name\": \"Hammered\"}");

  for (guint i = 0; i < HAMMER_THREADS; i++)
    {
      hammers[i] = (Hammer) { shop->tdb, id, i };
      threads[i] = g_thread_new ("hammer", hammer_thread, &hammers[i]);
    }
  for (guint i = 0; i < HAMMER_THREADS; i++)
    g_thread_join (threads[i]);

  versions = navette_db_record_versions (db, "shop", "products", id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 1 + HAMMER_THREADS * HAMMER_UPDATES);
  for (guint i = 0; i < versions->len; i++)
    {
      NavetteWireRecord *v = g_ptr_array_index (versions, i);

      g_assert_cmpint (v->version, ==, (gint64) versions->len - i);
      g_assert_cmpint (v->revision, <, previous_revision);
      g_assert_cmpint (v->obsolete, ==, i > 0);
      previous_revision = v->revision;
    }

}

static void
test_create_many (Shop          *shop,
                  gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) records = NULL;
  gint64 before;

  NEED_SHOP (shop);
  before = table_revision (db);
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"name\": \"Item %u\", \"stock\": %u}", i, i);

      g_ptr_array_add (data, parse_object (json));
    }
  g_assert_true (navette_db_record_create_many (db, "shop", "products", data, "admin", &error));
  g_assert_no_error (error);
  g_assert_cmpint (table_revision (db), ==, before + 50);
  records = navette_db_record_list (db, "shop", "products", before, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 50);

}

static void
test_roles (Shop          *shop,
            gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) roles = NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autofree char *count = NULL;

  NEED_SHOP (shop);

  g_assert_true (navette_db_grant (db, "admin", "alice", "shop", "reader", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_grant (db, "admin", "alice", "shop", "editor", &error));
  g_assert_no_error (error);
  roles = navette_db_roles_for_user (db, "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (roles, "shop"), ==, "editor");
  g_clear_pointer (&roles, g_hash_table_unref);

  g_assert_true (navette_db_revoke (db, "admin", "alice", "shop", &error));
  g_assert_no_error (error);
  roles = navette_db_roles_for_user (db, "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (roles), ==, 0);

  g_assert_false (navette_db_grant (db, "admin", "nobody", "shop", "reader", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (navette_db_grant (db, "admin", "alice", "shop", "owner", &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  /* Grants are versioned content: three versions of one record. */
  conn = navette_test_pg_connect (shop->tdb->url);
  count = navette_test_pg_value (conn, "SELECT string_agg (version::text || coalesce (role, '-'), ',' "
                             "ORDER BY version) FROM role_grants");
  g_assert_cmpstr (count, ==, "1reader,2editor,3-");

  g_clear_pointer (&conn, PQfinish);
}

static void
test_users_sessions (Shop          *shop,
                     gconstpointer  test_data)
{
  NavetteDb *db = shop->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) user = NULL;
  g_autoptr(GPtrArray) users = NULL;
  gint64 expires = 0;

  NEED_SHOP (shop);

  g_assert_false (navette_db_user_add (db, "admin", "alice", "Alice", "h", FALSE, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (navette_db_user_set_password (db, "admin", "alice", "h2", &error));
  g_assert_no_error (error);
  user = navette_db_user_get (db, "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->password_hash, ==, "h2");
  g_assert_false (user->admin);
  g_clear_pointer (&user, navette_db_user_free);

  users = navette_db_user_list (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 2);

  g_assert_true (navette_db_session_create (db, "alice", "tokenhash", 12345, &error));
  g_assert_no_error (error);
  user = navette_db_session_lookup (db, "tokenhash", &expires, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->username, ==, "alice");
  g_assert_cmpint (expires, ==, 12345);
  g_clear_pointer (&user, navette_db_user_free);
  g_assert_true (navette_db_session_revoke (db, "tokenhash", &error));
  g_assert_no_error (error);
  user = navette_db_session_lookup (db, "tokenhash", &expires, &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED);
  g_assert_null (user);
  g_clear_error (&error);

  g_assert_true (navette_db_purge (db, g_get_real_time (), &error));
  g_assert_no_error (error);

}

/* Another NavetteDbPg (another server process) hears about the changes
 * committed through this one and through plain SQL. */
static void
table_changed_cb (NavetteDb   *db,
                  const char  *app,
                  const char  *table,
                  GAsyncQueue *queue)
{
  /* (NULL, NULL): listening (again), anything may have changed. */
  g_async_queue_push (queue, app != NULL ? g_strdup_printf ("%s.%s", app, table) : g_strdup ("*"));
}

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The watch runs on this thread's main context: iterate it until the next
 * change is emitted (10 s at most). */
static char *
next_change (GAsyncQueue *queue)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (10, flag_cb, &timed_out);
  char *change;

  while ((change = g_async_queue_try_pop (queue)) == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  g_assert_nonnull (change);
  return change;
}

static void
test_watch_changes (void)
{
  g_autoptr(TestDb) tdb = NULL;
  g_autoptr(NavetteDb) writer = NULL;
  g_autoptr(NavetteDb) watcher = NULL;
  g_autoptr(GAsyncQueue) queue = g_async_queue_new_full (g_free);
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *id = NULL;
  g_autofree char *sql_name = NULL;
  g_autofree char *sql = NULL;

  if (!need_cluster ())
    return;
  tdb = test_db_new ();
  writer = open_shop (tdb);
  watcher = open_db (tdb);
  g_signal_connect (watcher, "table-changed", G_CALLBACK (table_changed_cb), queue);
  g_assert_true (navette_db_watch_changes (watcher));
  listening = next_change (queue);
  g_assert_cmpstr (listening, ==, "*");
  id = create_product (writer, "{\"name\": \"Watched\"}");
  first = next_change (queue);
  g_assert_cmpstr (first, ==, "shop.products");

  conn = navette_test_pg_connect (tdb->url);
  sql_name = navette_test_pg_value (conn, "SELECT sql_name FROM content_tables WHERE name = 'products'");
  sql = g_strdup_printf ("INSERT INTO \"%s\" (updated_by, name) VALUES ('import', 'Plain')", sql_name);
  navette_test_pg_exec (conn, sql);
  second = next_change (queue);
  g_assert_cmpstr (second, ==, "shop.products");

  g_clear_pointer (&conn, PQfinish);
  g_clear_object (&watcher);
  g_clear_object (&writer);
  test_db_drop (tdb);
}

/* navette_db_sync_changes(): a round trip answers only once every
 * change committed before it was asked for has been emitted; round trips
 * are answered in order, each one sent at once; without a listening
 * connection the answer is FALSE, never from within the call. */
typedef struct
{
  GAsyncQueue *changes;   /* emitted by the watcher */
  GPtrArray   *answers;   /* "N:ok" or "N:failed", in the order given */
  gboolean     saw_change; /* the change was emitted before answer 1 */
} SyncLog;

typedef struct
{
  SyncLog *log;
  guint    n;
} SyncAsk;

static void
sync_answer_cb (gboolean ok,
                gpointer user_data)
{
  SyncAsk *ask = user_data;
  g_autofree char *change = NULL;

  if (ask->n == 1)
    {
      /* what the watcher emitted before this answer */
      while ((change = g_async_queue_try_pop (ask->log->changes)) != NULL)
        {
          if (g_str_equal (change, "shop.products"))
            ask->log->saw_change = TRUE;
          g_clear_pointer (&change, g_free);
        }
    }
  g_ptr_array_add (ask->log->answers, g_strdup_printf ("%u:%s", ask->n, ok ? "ok" : "failed"));
  g_free (ask);
}

static void
sync_ask (NavetteDb *db,
          SyncLog   *log,
          guint      n)
{
  SyncAsk *ask = g_new0 (SyncAsk, 1);

  ask->log = log;
  ask->n = n;
  g_assert_true (navette_db_sync_changes (db, sync_answer_cb, ask));
}

static void
wait_answers (SyncLog *log,
              guint    n)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (10, flag_cb, &timed_out);

  while (log->answers->len < n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  g_assert_cmpuint (log->answers->len, ==, n);
}

static void
test_sync_changes (void)
{
  g_autoptr(TestDb) tdb = NULL;
  g_autoptr(NavetteDb) writer = NULL;
  g_autoptr(NavetteDb) watcher = NULL;
  g_autoptr(GAsyncQueue) queue = g_async_queue_new_full (g_free);
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *listening = NULL;
  g_autofree char *id = NULL;
  SyncLog log = { queue, answers, FALSE };

  if (!need_cluster ())
    return;
  tdb = test_db_new ();
  writer = open_shop (tdb);
  watcher = open_db (tdb);
  g_signal_connect (watcher, "table-changed", G_CALLBACK (table_changed_cb), queue);

  /* no watch yet: failed, and not from within the call */
  sync_ask (watcher, &log, 0);
  g_assert_cmpuint (answers->len, ==, 0);
  wait_answers (&log, 1);
  g_assert_cmpstr (g_ptr_array_index (answers, 0), ==, "0:failed");
  g_ptr_array_set_size (answers, 0);

  g_assert_true (navette_db_watch_changes (watcher));
  listening = next_change (queue);
  g_assert_cmpstr (listening, ==, "*");

  /* A write committed, then at once (the main context not run since, so
   * its notification cannot have been read yet) three round trips asked
   * for back to back: the first is answered after the change is emitted,
   * and the three in order. */
  id = create_product (writer, "{\"name\": \"Synced\"}");
  sync_ask (watcher, &log, 1);
  sync_ask (watcher, &log, 2);
  sync_ask (watcher, &log, 3);
  g_assert_cmpuint (answers->len, ==, 0);
  wait_answers (&log, 3);
  g_assert_true (log.saw_change);
  g_assert_cmpstr (g_ptr_array_index (answers, 0), ==, "1:ok");
  g_assert_cmpstr (g_ptr_array_index (answers, 1), ==, "2:ok");
  g_assert_cmpstr (g_ptr_array_index (answers, 2), ==, "3:ok");

  g_clear_object (&watcher);
  g_clear_object (&writer);
  test_db_drop (tdb);
}

/* Nothing listens: UNAVAILABLE (503), not INTERNAL. */
static void
test_unreachable (void)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  NavetteDbTableState state = { 0 };

  /* A port that nothing listens on: bound, not listening. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("postgresql://nobody@127.0.0.1:%u/navette",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  db = navette_db_pg_new (url, &error);
  g_assert_no_error (error);
  g_assert_false (navette_db_ping (db, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (navette_db_table_state (db, "shop", "products", &state, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  g_clear_object (&db);
  db = navette_db_pg_new ("postgresql://[::1", &error);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_assert_null (db);
}

static void
add_shop_case (const char *path,
               void      (*test) (Shop *shop, gconstpointer test_data))
{
  g_test_add (path, Shop, NULL, shop_setup, test, shop_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pg/storage/migrate-idempotent", test_migrate_idempotent);
  add_shop_case ("/pg/storage/records", test_records);
  add_shop_case ("/pg/storage/create-and-idempotency", test_create_and_idempotency);
  g_test_add_func ("/pg/storage/long-names", test_long_names);
  add_shop_case ("/pg/storage/trigger-plain-sql", test_trigger_plain_sql);
  add_shop_case ("/pg/storage/revision-commit-order", test_revision_commit_order);
  add_shop_case ("/pg/storage/concurrent-writers", test_concurrent_writers);
  add_shop_case ("/pg/storage/create-many", test_create_many);
  add_shop_case ("/pg/storage/roles", test_roles);
  add_shop_case ("/pg/storage/users-sessions", test_users_sessions);
  g_test_add_func ("/pg/storage/watch-changes", test_watch_changes);
  g_test_add_func ("/pg/storage/sync-changes", test_sync_changes);
  g_test_add_func ("/pg/storage/unreachable", test_unreachable);

  return g_test_run ();
}
