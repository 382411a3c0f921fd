/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-list-json.c — the record list written straight from the
 * rows (navette_db_record_list_json, what GET …/records sends) is byte
 * for byte the text of today's writer (navette_db_record_list, then
 * navette_wire_record_append_json for each record), and the strict
 * decoder accepts it. SQLite always; PostgreSQL when NAVETTE_TEST_PG_URL
 * is set (tests/postgres/pg-cluster.sh). */
#define G_LOG_DOMAIN "test-server-list-json"

#include "config.h"

#include <math.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <unistd.h>

#include "navette-db.h"
#include "navette-wire.h"

#define TEXT_NEEDING_ESCAPES \
  "quote \" backslash \\ slash / newline \n return \r tab \t bell \x07 " \
  "unit \x1f del \x7f é ü 日本語 🚀 \xe2\x80\xa8 </script>"

static const double reals[] = {
  12.34, 0.1, 0.5, -0.5, 0.30000000000000004, 1.0 / 3.0, 1e20, -1e-7, 0.001,
  123456789012.34, 9999999999999.99, 10000000000000.5, 5e-324, 1.7976931348623157e308,
  -0.0, 0.0, 100.0, -42.1, 2.675, 1e15, 0.07,
};

static const gint64 integers[] = {
  0, 1, -1, 42, G_MAXINT64, G_MININT64 + 1, 1000000,
};

static JsonObject *
make_data (guint i)
{
  JsonObject *data = json_object_new ();

  switch (i % 4)
    {
    case 0:
      json_object_set_string_member (data, "name", TEXT_NEEDING_ESCAPES);
      json_object_set_int_member (data, "qty", integers[i % G_N_ELEMENTS (integers)]);
      json_object_set_double_member (data, "price", reals[i % G_N_ELEMENTS (reals)]);
      json_object_set_boolean_member (data, "ok", TRUE);
      json_object_set_string_member (data, "day", "2024-02-29");
      json_object_set_string_member (data, "note", "");
      break;
    case 1:
      /* every column null */
      json_object_set_null_member (data, "name");
      json_object_set_null_member (data, "qty");
      json_object_set_null_member (data, "price");
      json_object_set_null_member (data, "ok");
      json_object_set_null_member (data, "day");
      json_object_set_null_member (data, "note");
      break;
    case 2:
      json_object_set_string_member (data, "name", "Ünïcødé — ½ € ✓");
      json_object_set_int_member (data, "qty", integers[i % G_N_ELEMENTS (integers)]);
      json_object_set_double_member (data, "price", reals[i % G_N_ELEMENTS (reals)]);
      json_object_set_boolean_member (data, "ok", FALSE);
      json_object_set_null_member (data, "day");
      json_object_set_string_member (data, "note", "plain");
      break;
    default:
      /* some columns left out */
      json_object_set_string_member (data, "name", "partial");
      json_object_set_double_member (data, "price", reals[i % G_N_ELEMENTS (reals)]);
      break;
    }
  return data;
}

/* Today's writer, as GET …/records used it before. */
static char *
old_text (NavetteDb           *db,
          const char          *app,
          gint64               since,
          NavetteDbTableState *state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  GString *out = g_string_new ("[");

  records = navette_db_record_list (db, app, "things", since, state, &error);
  g_assert_no_error (error);
  g_assert_nonnull (records);
  for (guint i = 0; i < records->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      navette_wire_record_append_json (g_ptr_array_index (records, i), out, FALSE);
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

static void
assert_same_answer (NavetteDb  *db,
                    const char *app,
                    gint64      since,
                    guint       expected_len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) fast = g_string_new (NULL);
  g_autofree char *old = NULL;
  g_autoptr(JsonNode) root = NULL;
  NavetteDbTableState old_state = { 0, };
  NavetteDbTableState fast_state = { 0, };

  old = old_text (db, app, since, &old_state);
  g_assert_true (navette_db_record_list_json (db, app, "things", since, &fast_state, fast, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (fast->str, ==, old);
  g_assert_cmpstr (fast_state.table, ==, old_state.table);
  g_assert_cmpint (fast_state.revision, ==, old_state.revision);
  g_assert_cmpint (fast_state.last_update, ==, old_state.last_update);
  g_free (fast_state.table);
  g_free (old_state.table);

  g_assert_true (g_utf8_validate (fast->str, fast->len, NULL));
  root = navette_json_parse_strict (fast->str, fast->len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, expected_len);
}

static void
add_table (NavetteDb  *db,
           const char *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("things", "Things");

  g_ptr_array_add (table->columns, navette_wire_column_new ("name", "Name", NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("qty", "Quantity", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("ok", "OK", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("day", "Day", NAVETTE_COLUMN_DATE, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("note", "Note", NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_assert_true (navette_db_app_add (db, "admin", app, "List JSON", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_table_add (db, "admin", app, table, &error));
  g_assert_no_error (error);
}

/* Fills the table (with updated and archived records) and compares the
 * whole list and two since= lists. */
static void
check_backend (NavetteDb  *db,
               const char *app)
{
  g_autoptr(GError) error = NULL;
  guint n = 3 * G_N_ELEMENTS (reals);
  gint64 middle = 0;

  add_table (db, app);
  assert_same_answer (db, app, -1, 0);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) data = make_data (i);
      g_autoptr(NavetteDbWriteResult) created = NULL;

      created = navette_db_record_create (db, app, "things", NULL, data, "alice", NULL, &error);
      g_assert_no_error (error);
      if (i % 5 == 0)
        {
          g_autoptr(NavetteDbWriteResult) archived = NULL;

          archived = navette_db_record_update (db, app, "things", created->record->id,
                                               created->record->version, NULL, 1, "bob \"b\" ☃",
                                               NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
      else if (i % 7 == 0)
        {
          g_autoptr(NavetteDbWriteResult) updated = NULL;
          g_autoptr(JsonObject) change = json_object_new ();

          json_object_set_double_member (change, "price", reals[(i + 3) % G_N_ELEMENTS (reals)]);
          json_object_set_string_member (change, "note", TEXT_NEEDING_ESCAPES);
          updated = navette_db_record_update (db, app, "things", created->record->id,
                                              created->record->version, change, -1, "carol",
                                              NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
      if (i == n / 2)
        middle = created->record->revision;
    }

  assert_same_answer (db, app, -1, n);
  assert_same_answer (db, app, 0, n);
  g_assert_cmpint (middle, >, 0);
  {
    g_autoptr(GPtrArray) after = navette_db_record_list (db, app, "things", middle, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (after->len, >, 0);
    g_assert_cmpuint (after->len, <, n);
    assert_same_answer (db, app, middle, after->len);
  }
}

static void
test_sqlite (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("navette-list-json-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "navette.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  NavetteDb *db;
  sqlite3 *raw = NULL;
  guint n = 3 * G_N_ELEMENTS (reals);

  g_assert_no_error (error);
  db = navette_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (navette_db_migrate (db, &error));
  g_assert_no_error (error);

  check_backend (db, "shop");

  /* Times only another program can write: before 1970, at the ends of
   * the four-digit years and beyond them (clamped), and reals and
   * integers stored in the "wrong" storage class. */
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw,
                                 "UPDATE \"shop.things\" SET updated_at = CASE row_id % 8"
                                 " WHEN 0 THEN -1 WHEN 1 THEN 0 WHEN 2 THEN 951782400000000"
                                 " WHEN 3 THEN 253402300799999999 WHEN 4 THEN 253402300800000000"
                                 " WHEN 5 THEN -62135596800000001 WHEN 6 THEN -86400000001"
                                 " ELSE 4102444800123456 END;"
                                 "UPDATE \"shop.things\" SET price = 7 WHERE row_id % 9 = 0;"
                                 "UPDATE \"shop.things\" SET qty = '12' WHERE row_id % 11 = 0;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  assert_same_answer (db, "shop", -1, n);

  g_assert_finalize_object (db);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

static void
test_postgres (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) db = NULL;
  g_autofree char *app = NULL;
  const char *url = g_getenv ("NAVETTE_TEST_PG_URL");

  if (url == NULL)
    {
      g_test_skip ("NAVETTE_TEST_PG_URL is not set (see tests/postgres/pg-cluster.sh)");
      return;
    }
  db = navette_db_open (url, &error);
  g_assert_no_error (error);
  g_assert_true (navette_db_migrate (db, &error));
  g_assert_no_error (error);
  /* A name of its own: the cluster's database may be shared. */
  app = g_strdup_printf ("listjson%u%u", (guint) getpid (), g_random_int_range (0, 100000));
  check_backend (db, app);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/list-json/sqlite", test_sqlite);
  g_test_add_func ("/server/list-json/postgres", test_postgres);

  return g_test_run ();
}
