/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-db-contract.c — the contract of NavetteDb, the same cases on every
 * backend: SQLite (a file in a temporary directory) always, PostgreSQL
 * (a fresh database on the cluster named by NAVETTE_TEST_PG_URL, see
 * tests/postgres/pg-cluster.sh) when that is set; each case is registered
 * once per backend, /contract/sqlite/… and /contract/postgresql/….
 *
 * Every storage operation is covered, and each rule the two backends
 * once wrote twice (and differently): the checks of user names, display
 * names, titles, maximum lengths and reserved column names, the audit
 * trail's actions and details, and the messages a client reads. A case
 * states what both must do; it does not look inside either. */
#define G_LOG_DOMAIN "test-db-contract"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#if HAVE_POSTGRESQL
#include "navette-test-pg.h"
#endif

#include "db-test-util.h"
#include "navette-test-server.h"
#include "navette-db.h"
#include "navette-password.h"

typedef struct
{
  const char *backend;  /* "sqlite" or "postgresql" */
  char       *dir;      /* SQLite: the temporary directory */
  char       *pg_name;  /* PostgreSQL: the database made for the case */
  char       *location; /* the file or the URL */
  NavetteDb  *db;       /* NULL when the backend is not there (skipped) */
} Fixture;

/* A fresh, migrated database of the backend, or NULL (the case skipped). */
static NavetteDb *
fixture_open (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  NavetteDb *db;

  if (g_str_equal (fixture->backend, "sqlite"))
    {
      fixture->dir = g_dir_make_tmp ("navette-contract-XXXXXX", &error);
      g_assert_no_error (error);
      fixture->location = g_build_filename (fixture->dir, "navette.db", NULL);
    }
  else
    {
#if HAVE_POSTGRESQL
      if (g_getenv ("NAVETTE_TEST_PG_URL") == NULL)
        {
          g_test_skip ("NAVETTE_TEST_PG_URL is not set (see tests/postgres/pg-cluster.sh)");
          return NULL;
        }
      fixture->pg_name = navette_test_pg_database_new ("navette_contract", &fixture->location);
#else
      g_test_skip ("built without PostgreSQL");
      return NULL;
#endif
    }

  db = navette_db_open (fixture->location, &error);
  g_assert_no_error (error);
  g_assert_true (navette_db_migrate (db, &error));
  g_assert_no_error (error);
  return db;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->backend = data;
  fixture->db = fixture_open (fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->db != NULL)
    g_assert_finalize_object (fixture->db);
  if (fixture->dir != NULL)
    navette_test_rm_rf (fixture->dir);
#if HAVE_POSTGRESQL
  if (fixture->pg_name != NULL)
    navette_test_pg_database_drop (fixture->pg_name);
#endif
  g_free (fixture->dir);
  g_free (fixture->pg_name);
  g_free (fixture->location);
}

/* ---- helpers ---- */

/* @error is @code with exactly @message; cleared. */
#define assert_error_message(err, code_, text)                       \
  G_STMT_START {                                                     \
    g_assert_error ((err), NAVETTE_API_ERROR, (code_));              \
    g_assert_cmpstr ((err)->message, ==, (text));                    \
    g_clear_error (&(err));                                          \
  } G_STMT_END

#define assert_error_code(err, code_)                                \
  G_STMT_START {                                                     \
    g_assert_error ((err), NAVETTE_API_ERROR, (code_));              \
    g_clear_error (&(err));                                          \
  } G_STMT_END

static void
add_user (NavetteDb  *db,
          const char *username,
          gboolean    admin)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (navette_db_user_add (db, "admin", username, NULL, "hash", admin, &error));
  g_assert_no_error (error);
}

/* The audit entries of @action, oldest first. */
static GPtrArray *
audit_of (NavetteDb  *db,
          const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = navette_db_audit_list (db, NULL, 0, 1000, &error);
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_db_audit_entry_free);

  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      NavetteDbAuditEntry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->action, action))
        g_ptr_array_add (found, g_ptr_array_steal_index (entries, i--));
    }
  return found;
}

/* The detail of the only audit entry of @action. */
static char *
audit_detail (NavetteDb  *db,
              const char *action)
{
  g_autoptr(GPtrArray) entries = audit_of (db, action);

  g_assert_cmpuint (entries->len, ==, 1);
  return g_strdup (((NavetteDbAuditEntry *) g_ptr_array_index (entries, 0))->detail);
}

#define NEED_DB(fixture)            \
  G_STMT_START {                    \
    if ((fixture)->db == NULL)      \
      return;                       \
  } G_STMT_END

/* ------------------------------------------------------------------ */
/* Every operation                                                     */
/* ------------------------------------------------------------------ */

static void
test_migrate_ping (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) other = NULL;

  NEED_DB (fixture);
  /* Again, and from a second object on the same database (another
   * process starting): nothing is applied twice. */
  g_assert_true (navette_db_migrate (fixture->db, &error));
  g_assert_no_error (error);
  other = navette_db_open (fixture->location, &error);
  g_assert_no_error (error);
  g_assert_true (navette_db_migrate (other, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_ping (other, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_ping (fixture->db, &error));
  g_assert_no_error (error);
}

static void
test_users (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) carol = NULL;
  g_autoptr(NavetteDbUser) missing = NULL;
  g_autoptr(GPtrArray) users = NULL;

  NEED_DB (fixture);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "carol", "Carol C.", "hash-c", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "bob", NULL, "hash-b", TRUE, &error));
  g_assert_no_error (error);

  g_assert_false (navette_db_user_add (fixture->db, "admin", "carol", "Carol", "h", FALSE, &error));
  assert_error_message (error, NAVETTE_API_ERROR_CONFLICT, "The user “carol” already exists.");

  carol = navette_db_user_get (fixture->db, "carol", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (carol->username, ==, "carol");
  g_assert_cmpstr (carol->display_name, ==, "Carol C.");
  g_assert_cmpstr (carol->password_hash, ==, "hash-c");
  g_assert_false (carol->admin);
  g_assert_cmpint (carol->id, >, 0);

  missing = navette_db_user_get (fixture->db, "nobody", &error);
  g_assert_null (missing);
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "There is no user “nobody”.");

  /* In name order; no display name is the user name. */
  users = navette_db_user_list (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 2);
  g_assert_cmpstr (((NavetteDbUser *) g_ptr_array_index (users, 0))->username, ==, "bob");
  g_assert_cmpstr (((NavetteDbUser *) g_ptr_array_index (users, 0))->display_name, ==, "bob");
  g_assert_true (((NavetteDbUser *) g_ptr_array_index (users, 0))->admin);
  g_assert_cmpstr (((NavetteDbUser *) g_ptr_array_index (users, 1))->username, ==, "carol");
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

  NEED_DB (fixture);
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
  assert_error_message (error, NAVETTE_API_ERROR_AUTH_REQUIRED,
                        "This session is unknown or was closed; sign in again.");
  g_assert_false (navette_db_session_create (fixture->db, "nobody", "t0", 1, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "There is no user “nobody”.");

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
  /* a second logout of the same session is not an error */
  g_assert_true (navette_db_session_revoke (fixture->db, "tokenhash2", &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_session_revoke (fixture->db, "unknown", &error));
  assert_error_message (error, NAVETTE_API_ERROR_AUTH_REQUIRED, "This session is unknown; sign in again.");
  g_assert_null (navette_db_session_lookup (fixture->db, "tokenhash2", NULL, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED);
  g_clear_error (&error);

  g_assert_false (navette_db_user_add (fixture->db, "admin", "Not Valid", NULL, hash, FALSE, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (db_test_count_audit (fixture->db, "user_passwd", NULL), ==, 1);
}

static void
test_applications (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) apps = NULL;

  NEED_DB (fixture);
  g_assert_true (navette_db_app_add (fixture->db, "admin", "shop", "Shop", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_app_add (fixture->db, "admin", "blog", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_app_add (fixture->db, "admin", "shop", "Again", &error));
  assert_error_message (error, NAVETTE_API_ERROR_CONFLICT, "The application “shop” already exists.");
  g_assert_false (navette_db_app_add (fixture->db, "admin", "Not Valid", NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "“Not Valid” is not a valid application name: use a lowercase letter, "
                        "then up to 62 lowercase letters, digits or “_”.");

  apps = navette_db_app_list (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 2);
  g_assert_cmpstr (((NavetteDbApp *) g_ptr_array_index (apps, 0))->name, ==, "blog");
  g_assert_cmpstr (((NavetteDbApp *) g_ptr_array_index (apps, 0))->title, ==, "blog");
  g_assert_cmpstr (((NavetteDbApp *) g_ptr_array_index (apps, 1))->name, ==, "shop");
  g_assert_cmpstr (((NavetteDbApp *) g_ptr_array_index (apps, 1))->title, ==, "Shop");
}

static void
test_tables (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) again = db_test_items_schema ();
  g_autoptr(NavetteWireTable) bad_name = navette_wire_table_new ("Bad Name", NULL);
  g_autoptr(NavetteWireTable) twice = navette_wire_table_new ("twice", NULL);
  g_autoptr(GPtrArray) tables = NULL;
  NavetteWireTable *items;
  const NavetteWireColumn *name;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);

  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", again, &error));
  assert_error_message (error, NAVETTE_API_ERROR_CONFLICT, "The table “items” already exists in “shop”.");
  g_assert_false (navette_db_table_add (fixture->db, "admin", "nope", again, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "There is no application “nope”.");
  g_ptr_array_add (bad_name->columns, navette_wire_column_new ("a", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", bad_name, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "“Bad Name” is not a valid table name: use a lowercase letter, "
                        "then up to 62 lowercase letters, digits or “_”.");
  g_ptr_array_add (twice->columns, navette_wire_column_new ("a", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_ptr_array_add (twice->columns, navette_wire_column_new ("a", NULL, NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", twice, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, "The column “a” is given twice.");

  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 1);
  items = g_ptr_array_index (tables, 0);
  g_assert_cmpstr (items->name, ==, "items");
  g_assert_cmpstr (items->title, ==, "Items");
  g_assert_cmpuint (items->columns->len, ==, 5);
  name = g_ptr_array_index (items->columns, 0);
  g_assert_cmpstr (name->name, ==, "name");
  g_assert_cmpstr (name->title, ==, "Name");
  g_assert_cmpint (name->type, ==, NAVETTE_COLUMN_TEXT);
  g_assert_true (name->required);
  g_assert_cmpint (name->max_length, ==, 20);
  for (guint i = 1; i < 5; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (items->columns, i);
      const NavetteWireColumn *expected = g_ptr_array_index (again->columns, i);

      g_assert_cmpstr (column->name, ==, expected->name);
      g_assert_cmpint (column->type, ==, expected->type);
      g_assert_false (column->required);
      g_assert_cmpint (column->max_length, ==, 0);
    }

  g_clear_pointer (&tables, g_ptr_array_unref);
  tables = navette_db_table_list (fixture->db, "nope", &error);
  g_assert_null (tables);
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such application.");
}

static void
test_column_add (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(NavetteWireRecord) again = NULL;
  g_autoptr(NavetteWireColumn) required = navette_wire_column_new ("sku", "SKU", NAVETTE_COLUMN_TEXT, TRUE, 0);
  g_autoptr(NavetteWireColumn) optional = navette_wire_column_new ("note", "Note", NAVETTE_COLUMN_TEXT, FALSE, 80);
  g_autoptr(NavetteWireColumn) reserved = navette_wire_column_new ("version", "V", NAVETTE_COLUMN_INTEGER, FALSE, 0);
  g_autoptr(GPtrArray) tables = NULL;
  NavetteWireTable *items;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "pan", 8);

  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", required, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "“items” already has records, which would have no value for the new "
                        "required column “sku”: add it as optional, or give a default value.");
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "nope", optional, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", reserved, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  g_assert_true (navette_db_column_add (fixture->db, "admin", "shop", "items", optional, &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", optional, &error));
  assert_error_message (error, NAVETTE_API_ERROR_CONFLICT, "The column “note” already exists in “items”.");

  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 1);
  items = g_ptr_array_index (tables, 0);
  g_assert_cmpuint (items->columns->len, ==, 6);
  g_assert_cmpstr (((NavetteWireColumn *) g_ptr_array_index (items->columns, 5))->name, ==, "note");
  g_assert_cmpstr (((NavetteWireColumn *) g_ptr_array_index (items->columns, 5))->title, ==, "Note");
  g_assert_cmpint (((NavetteWireColumn *) g_ptr_array_index (items->columns, 5))->max_length, ==, 80);
  g_assert_cmpint (((NavetteWireColumn *) g_ptr_array_index (items->columns, 0))->max_length, ==, 20);
  g_assert_true (((NavetteWireColumn *) g_ptr_array_index (items->columns, 0))->required);

  again = navette_db_record_get (fixture->db, "shop", "items", record->id, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (again->data, "note"));
  g_assert_true (json_object_get_null_member (again->data, "note"));
  g_assert_cmpuint (db_test_count_audit (fixture->db, "column_add", NULL), ==, 1);
}

static void
test_light_check (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(NavetteWireTable) extra = navette_wire_table_new ("extra", NULL);
  NavetteDbTableState state = { 0 };

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  g_ptr_array_add (extra->columns, navette_wire_column_new ("a", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_assert_true (navette_db_table_add (fixture->db, "admin", "shop", extra, &error));
  g_assert_no_error (error);

  /* Never written: revision 0, no last update. */
  g_assert_true (navette_db_table_state (fixture->db, "shop", "items", &state, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state.table, ==, "items");
  g_assert_cmpint (state.revision, ==, 0);
  g_assert_cmpint (state.last_update, ==, 0);
  g_clear_pointer (&state.table, g_free);

  record = db_test_create_item (fixture->db, NULL, "kettle", 20);
  g_assert_true (navette_db_table_state (fixture->db, "shop", "items", &state, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state.revision, ==, 1);
  g_assert_cmpint (state.revision, ==, record->revision);
  g_assert_cmpint (ABS (state.last_update - g_get_real_time ()), <, 60 * G_USEC_PER_SEC);
  g_clear_pointer (&state.table, g_free);

  /* Every table of the application, in name order. */
  states = navette_db_app_state (fixture->db, "shop", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (states->len, ==, 2);
  g_assert_cmpstr (((NavetteDbTableState *) g_ptr_array_index (states, 0))->table, ==, "extra");
  g_assert_cmpint (((NavetteDbTableState *) g_ptr_array_index (states, 0))->revision, ==, 0);
  g_assert_cmpstr (((NavetteDbTableState *) g_ptr_array_index (states, 1))->table, ==, "items");
  g_assert_cmpint (((NavetteDbTableState *) g_ptr_array_index (states, 1))->revision, ==, 1);
  g_clear_pointer (&states, g_ptr_array_unref);

  /* An application without tables has none; an unknown one is not found. */
  g_assert_true (navette_db_app_add (fixture->db, "admin", "empty", NULL, &error));
  g_assert_no_error (error);
  states = navette_db_app_state (fixture->db, "empty", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (states->len, ==, 0);
  g_clear_pointer (&states, g_ptr_array_unref);
  g_assert_null (navette_db_app_state (fixture->db, "nope", NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such application.");
  g_assert_false (navette_db_table_state (fixture->db, "shop", "nope", &state, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
}

/* record_list_json writes what record_list returns, record by record. */
static void
assert_list_json (NavetteDb *db,
                  gint64     since)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GString) expected = g_string_new ("[");
  g_autoptr(GString) json = g_string_new (NULL);
  NavetteDbTableState list_state = { 0 };
  NavetteDbTableState json_state = { 0 };

  records = navette_db_record_list (db, "shop", "items", since, &list_state, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      if (i > 0)
        g_string_append_c (expected, ',');
      navette_wire_record_append_json (g_ptr_array_index (records, i), expected, FALSE);
    }
  g_string_append_c (expected, ']');
  g_assert_true (navette_db_record_list_json (db, "shop", "items", since, &json_state, json, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (json->str, ==, expected->str);
  g_assert_cmpstr (json_state.table, ==, "items");
  g_assert_cmpint (json_state.revision, ==, list_state.revision);
  g_assert_cmpint (json_state.last_update, ==, list_state.last_update);
  g_free (list_state.table);
  g_free (json_state.table);
}

static void
test_records (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) full = json_object_new ();
  g_autoptr(JsonObject) rename = json_object_new ();
  g_autoptr(NavetteDbWriteResult) created = NULL;
  g_autoptr(NavetteDbWriteResult) v2 = NULL;
  g_autoptr(NavetteDbWriteResult) v3 = NULL;
  g_autoptr(NavetteDbWriteResult) v4 = NULL;
  g_autoptr(NavetteWireRecord) other = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  NavetteDbTableState state = { 0 };
  const char *id;
  gint64 before;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);

  json_object_set_string_member (full, "name", "Pear “ß” \"q\"");
  json_object_set_double_member (full, "price", 2.25);
  json_object_set_int_member (full, "qty", G_GINT64_CONSTANT (9007199254740993));
  json_object_set_boolean_member (full, "ok", TRUE);
  json_object_set_string_member (full, "day", "2026-02-28");
  created = navette_db_record_create (fixture->db, "shop", "items", NULL, full, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (created->created);
  g_assert_true (navette_uuid_is_valid (created->record->id));
  g_assert_cmpint (created->record->version, ==, 1);
  g_assert_cmpint (created->record->revision, ==, db_test_items_revision (fixture->db));
  g_assert_cmpstr (created->record->updated_by, ==, "alice");
  g_assert_false (created->record->archived);
  g_assert_cmpint (ABS (created->record->updated_at - g_get_real_time ()), <, 60 * G_USEC_PER_SEC);
  id = created->record->id;

  current = navette_db_record_get (fixture->db, "shop", "items", id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (current->data, "name"), ==, "Pear “ß” \"q\"");
  g_assert_cmpfloat (json_object_get_double_member (current->data, "price"), ==, 2.25);
  g_assert_cmpint (json_object_get_int_member (current->data, "qty"), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_true (json_object_get_boolean_member (current->data, "ok"));
  g_assert_cmpstr (json_object_get_string_member (current->data, "day"), ==, "2026-02-28");
  g_assert_cmpint (current->updated_at, ==, created->record->updated_at);
  g_assert_cmpint (current->revision, ==, created->record->revision);
  g_clear_pointer (&current, navette_wire_record_unref);

  other = db_test_create_item (fixture->db, NULL, "plum", 0.1);
  before = db_test_items_revision (fixture->db);

  /* An update merges into the current version. */
  json_object_set_string_member (rename, "name", "pear");
  json_object_set_null_member (rename, "day");
  v2 = navette_db_record_update (fixture->db, "shop", "items", id, 1, rename, -1, "bob", NULL,
                                 NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (v2->created);
  g_assert_false (v2->replayed);
  g_assert_null (v2->superseded);
  g_assert_cmpint (v2->record->version, ==, 2);
  g_assert_cmpint (v2->record->revision, ==, db_test_items_revision (fixture->db));
  g_assert_cmpint (v2->record->revision, >, before);
  g_assert_cmpstr (v2->record->updated_by, ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (v2->record->data, "name"), ==, "pear");
  g_assert_cmpfloat (json_object_get_double_member (v2->record->data, "price"), ==, 2.25);
  g_assert_true (json_object_get_null_member (v2->record->data, "day"));

  /* Archived from an old base: applied; what it superseded is said. */
  v3 = navette_db_record_update (fixture->db, "shop", "items", id, 1, NULL, 1, "alice", NULL,
                                 NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v3->record->version, ==, 3);
  g_assert_true (v3->record->archived);
  g_assert_cmpuint (v3->superseded->len, ==, 1);
  g_assert_cmpint (g_array_index (v3->superseded, gint64, 0), ==, 2);

  /* A revert writes the data and the archived flag of that version. */
  v4 = navette_db_record_revert (fixture->db, "shop", "items", id, 1, "alice", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v4->record->version, ==, 4);
  g_assert_false (v4->record->archived);
  g_assert_cmpstr (json_object_get_string_member (v4->record->data, "day"), ==, "2026-02-28");

  versions = navette_db_record_versions (fixture->db, "shop", "items", id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 4);
  for (guint i = 0; i < versions->len; i++)
    {
      NavetteWireRecord *version = g_ptr_array_index (versions, i);

      g_assert_cmpint (version->version, ==, 4 - i);
      g_assert_cmpint (version->obsolete, ==, i > 0);
    }

  /* The full list and a delta, with the table's state read with them. */
  all = navette_db_record_list (fixture->db, "shop", "items", -1, &state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpint (state.revision, ==, db_test_items_revision (fixture->db));
  g_assert_cmpint (state.last_update, >, 0);
  g_clear_pointer (&state.table, g_free);
  delta = navette_db_record_list (fixture->db, "shop", "items", v3->record->revision, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 1);
  g_assert_cmpstr (((NavetteWireRecord *) g_ptr_array_index (delta, 0))->id, ==, id);
  g_assert_cmpint (((NavetteWireRecord *) g_ptr_array_index (delta, 0))->version, ==, 4);
  assert_list_json (fixture->db, -1);
  assert_list_json (fixture->db, before);
  assert_list_json (fixture->db, v4->record->revision);
}

static void
test_create_many (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) creates = NULL;
  gint64 before;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  before = db_test_items_revision (fixture->db);
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *name = g_strdup_printf ("item %u", i);
      JsonObject *row = db_test_item (name, i / 4.0);

      json_object_set_int_member (row, "qty", i);
      g_ptr_array_add (rows, row);
    }
  g_assert_true (navette_db_record_create_many (fixture->db, "shop", "items", rows, "admin", &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, before + 50);
  records = navette_db_record_list (fixture->db, "shop", "items", before, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 50);
  creates = audit_of (fixture->db, "create");
  g_assert_cmpuint (creates->len, ==, 50);
  assert_list_json (fixture->db, -1);
}

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
  g_autoptr(JsonObject) same = db_test_item ("teapot", 12.0);
  g_autoptr(JsonObject) other = db_test_item ("teapot", 13.0);
  g_autoptr(JsonObject) change = json_object_new ();
  g_autoptr(JsonObject) same_otherwise = json_object_new ();
  g_autoptr(NavetteDbWriteResult) replay_otherwise = NULL;
  g_autoptr(NavetteDbWriteResult) bad_id = NULL;
  const char *id = "0b6d3f2e-8c1a-4e57-9a3d-2f1e0c9b8a71";
  gint64 revision;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  first = db_test_create_item (fixture->db, id, "teapot", 12.0);
  g_assert_cmpstr (first->id, ==, id);
  g_assert_cmpint (first->version, ==, 1);
  g_assert_cmpstr (first->updated_by, ==, "alice");
  g_assert_true (json_object_get_null_member (first->data, "qty"));
  revision = db_test_items_revision (fixture->db);

  replay = navette_db_record_create (fixture->db, "shop", "items", id, same, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (replay->created);
  g_assert_cmpint (replay->record->version, ==, 1);
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, revision);

  /* The same data written otherwise: 12 as an integer, qty null rather
   * than absent. */
  json_object_set_string_member (same_otherwise, "name", "teapot");
  json_object_set_int_member (same_otherwise, "price", 12);
  json_object_set_null_member (same_otherwise, "qty");
  replay_otherwise = navette_db_record_create (fixture->db, "shop", "items", id, same_otherwise,
                                               "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (replay_otherwise->created);
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, revision);

  conflict = navette_db_record_create (fixture->db, "shop", "items", id, other, "alice", NULL, &error);
  g_assert_null (conflict);
  assert_error_message (error, NAVETTE_API_ERROR_CONFLICT,
                        "A record with this id already exists with other data.");

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
  g_assert_cmpint (db_test_count_audit (fixture->db, "create", id), ==, 1);

  bad_id = navette_db_record_create (fixture->db, "shop", "items", "NOT-A-UUID", same, "alice", NULL, &error);
  g_assert_null (bad_id);
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, "A record id must be a lowercase UUID.");
}

static void
test_idempotency (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = db_test_item ("mug", 5.0);
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
  NavetteDbIdempotency stale_key = { "a1c2e3f4-0000-4000-8000-000000000003", "hash-s" };
  NavetteDbIdempotency revert_key = { "a1c2e3f4-0000-4000-8000-000000000002", "hash-r" };
  g_autoptr(NavetteDbWriteResult) v3 = NULL;
  g_autoptr(NavetteDbWriteResult) v3_replay = NULL;
  g_autoptr(NavetteDbWriteResult) revert = NULL;
  g_autoptr(NavetteDbWriteResult) revert_replay = NULL;
  gint64 revision;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);

  first = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice", &key, &error);
  g_assert_no_error (error);
  g_assert_true (first->created);
  g_assert_false (first->replayed);
  revision = db_test_items_revision (fixture->db);

  replay = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice", &key, &error);
  g_assert_no_error (error);
  g_assert_true (replay->replayed);
  g_assert_true (replay->created);
  g_assert_cmpstr (replay->record->id, ==, first->record->id);
  g_assert_cmpint (replay->record->version, ==, 1);
  g_assert_cmpint (db_test_items_revision (fixture->db), ==, revision);
  g_assert_cmpuint (db_test_count_audit (fixture->db, "create", NULL), ==, 1);

  conflict = navette_db_record_create (fixture->db, "shop", "items", NULL, body, "alice",
                                       &key_other_body, &error);
  g_assert_null (conflict);
  assert_error_message (error, NAVETTE_API_ERROR_CONFLICT,
                        "This Idempotency-Key was already used for another request.");

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
  g_assert_cmpuint (db_test_count_audit (fixture->db, "update", NULL), ==, 1);

  /* An update from an old base replayed after later writes answers what
   * it answered then: its version, and what it superseded. */
  v3 = navette_db_record_update (fixture->db, "shop", "items", first->record->id, 1, change, -1,
                                 "alice", &stale_key, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v3->record->version, ==, 3);
  g_assert_cmpuint (v3->superseded->len, ==, 1);
  revert = navette_db_record_revert (fixture->db, "shop", "items", first->record->id, 1, "alice",
                                     &revert_key, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (revert->record->version, ==, 4);
  v3_replay = navette_db_record_update (fixture->db, "shop", "items", first->record->id, 1, change,
                                        -1, "alice", &stale_key, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (v3_replay->replayed);
  g_assert_false (v3_replay->created);
  g_assert_cmpint (v3_replay->record->version, ==, 3);
  g_assert_false (v3_replay->record->obsolete);
  g_assert_cmpuint (v3_replay->superseded->len, ==, 1);
  g_assert_cmpint (g_array_index (v3_replay->superseded, gint64, 0), ==, 2);
  revert_replay = navette_db_record_revert (fixture->db, "shop", "items", first->record->id, 1,
                                            "alice", &revert_key, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (revert_replay->replayed);
  g_assert_cmpint (revert_replay->record->version, ==, 4);

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

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "lamp", 30.0);

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
  g_assert_cmpuint (db_test_count_audit (fixture->db, "archive", record->id), ==, 1);

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

  v4 = navette_db_record_revert (fixture->db, "shop", "items", record->id, 1, "alice", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v4->record->version, ==, 4);
  g_assert_false (v4->record->archived);
  g_assert_cmpstr (json_object_get_string_member (v4->record->data, "name"), ==, "lamp");
  g_assert_cmpuint (db_test_count_audit (fixture->db, "revert", record->id), ==, 1);

  missing = navette_db_record_revert (fixture->db, "shop", "items", record->id, 42, "alice", NULL, NULL, &error);
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

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  a = db_test_create_item (fixture->db, NULL, "a", 1);
  b = db_test_create_item (fixture->db, NULL, "b", 2);
  c = db_test_create_item (fixture->db, NULL, "c", 3);
  r = db_test_items_revision (fixture->db);

  json_object_set_boolean_member (change, "ok", TRUE);
  b2 = navette_db_record_update (fixture->db, "shop", "items", b->id, 1, change, -1, "alice",
                                 NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b2->record->revision, ==, db_test_items_revision (fixture->db));
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

  apps = navette_db_app_state (fixture->db, "shop", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpstr (((NavetteDbTableState *) g_ptr_array_index (apps, 0))->table, ==, "items");
  g_assert_cmpint (((NavetteDbTableState *) g_ptr_array_index (apps, 0))->revision, ==,
                   b2->record->revision);

  g_assert_null (navette_db_app_state (fixture->db, "nope", NULL, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND);
}

static void
test_update_revert_errors (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(JsonObject) change = json_object_new ();
  const char *unknown = "00000000-0000-4000-8000-000000000000";

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "lamp", 30);
  json_object_set_int_member (change, "qty", 1);

  g_assert_null (navette_db_record_update (fixture->db, "shop", "items", record->id, 9, change, -1,
                                           "alice", NULL, NULL, NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "base_version 9 is newer than the current version 1.");
  g_assert_null (navette_db_record_update (fixture->db, "shop", "items", unknown, 1, change, -1,
                                           "alice", NULL, NULL, NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
  g_assert_null (navette_db_record_revert (fixture->db, "shop", "items", record->id, 42, "alice",
                                           NULL, NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "This record has no version 42.");
  g_assert_null (navette_db_record_revert (fixture->db, "shop", "items", unknown, 1, "alice",
                                           NULL, NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
  g_assert_null (navette_db_record_versions (fixture->db, "shop", "items", unknown, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
  g_assert_null (navette_db_record_get (fixture->db, "shop", "items", unknown, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
}

/* ------------------------------------------------------------------ */
/* Pages of lists                                                      */

/* One page of items: its records (JsonObject*), *@revision the walk's,
 * *@next its cursor (NULL on the last page). */
static GPtrArray *
page_of_items (NavetteDb   *db,
               gint64       since,
               guint        limit,
               const char  *after,
               gint64      *revision,
               char       **next)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(JsonNode) root = NULL;
  NavetteDbPage page = { .since = since, .limit = limit, .after = after };
  NavetteDbTableState state = { 0 };
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *array;

  g_assert_true (navette_db_record_page_json (db, "shop", "items", &page, &state, json, next, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state.table, ==, "items");
  g_free (state.table);
  root = navette_json_parse_strict (json->str, json->len, &error);
  g_assert_no_error (error);
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (records, json_object_ref (json_array_get_object_element (array, i)));
  g_assert_cmpuint (records->len, <=, limit);
  /* a page that stops early says where; the last one does not */
  if (*next != NULL)
    g_assert_cmpuint (records->len, ==, limit);
  *revision = state.revision;
  return records;
}

static gint64
record_version (JsonObject *record)
{
  return json_object_get_int_member (record, "version");
}

/* Pages of 3 of 7 records: 3, 3, 1, in ascending revision, each record
 * once, the same walk revision on each page; a page of 7 or more has no
 * cursor. */
static void
test_pages (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) all = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *none = NULL;
  gint64 walk = 0, last = 0;
  guint pages = 0;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *name = g_strdup_printf ("item %u", i);
      g_autoptr(NavetteWireRecord) record = db_test_create_item (fixture->db, NULL, name, i);

      g_ptr_array_add (ids, g_strdup (record->id));
    }
  do
    {
      g_autofree char *after = g_steal_pointer (&cursor);
      g_autoptr(GPtrArray) page = NULL;
      gint64 revision;

      page = page_of_items (fixture->db, -1, 3, after, &revision, &cursor);
      g_assert_cmpuint (page->len, ==, pages < 2 ? 3 : 1);
      if (pages == 0)
        walk = revision;
      g_assert_cmpint (revision, ==, walk);
      for (guint i = 0; i < page->len; i++)
        {
          JsonObject *record = g_ptr_array_index (page, i);
          const char *id = json_object_get_string_member (record, "id");

          g_assert_cmpint (json_object_get_int_member (record, "revision"), >, last);
          last = json_object_get_int_member (record, "revision");
          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, (gpointer) g_intern_string (id));
        }
      pages++;
    }
  while (cursor != NULL);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 7);
  g_assert_cmpint (walk, ==, db_test_items_revision (fixture->db));

  all = page_of_items (fixture->db, -1, 7, NULL, &walk, &none);
  g_assert_cmpuint (all->len, ==, 7);
  g_assert_null (none);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = page_of_items (fixture->db, -1, 0 + 1000, NULL, &walk, &none);
  g_assert_cmpuint (all->len, ==, 7);
  g_assert_null (none);
}

/* Writes between the pages of a walk: no record of the walk's revision
 * is skipped or given twice, each comes as it was at that revision, a
 * record created meanwhile is not in the walk, and the delta since the
 * walk's revision has everything written meanwhile. With `since`, the
 * same for the records written after it. */
static void
walk_under_writes (Fixture *fixture,
                   gint64   since)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) delta = NULL;
  g_autoptr(NavetteWireRecord) late = NULL;
  g_autofree char *cursor = NULL;
  gint64 walk = -1, first_revision = 0;
  guint pages = 0, expected = 0;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("item %u", i);

      g_ptr_array_add (records, db_test_create_item (fixture->db, NULL, name, i));
      if (i == 3)
        first_revision = db_test_items_revision (fixture->db);
    }
  if (since >= 0)
    since = first_revision;  /* items 4 … 9 */
  expected = since >= 0 ? 6 : 10;

  do
    {
      g_autofree char *after = g_steal_pointer (&cursor);
      g_autoptr(GPtrArray) page = NULL;
      gint64 revision;

      page = page_of_items (fixture->db, since, 2, after, &revision, &cursor);
      if (walk < 0)
        walk = revision;
      g_assert_cmpint (revision, ==, walk);
      for (guint i = 0; i < page->len; i++)
        {
          JsonObject *record = g_ptr_array_index (page, i);
          const char *id = json_object_get_string_member (record, "id");

          /* as it was when the walk began: every one at version 1 */
          g_assert_cmpint (record_version (record), ==, 1);
          g_assert_cmpint (json_object_get_int_member (record, "revision"), <=, walk);
          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, (gpointer) g_intern_string (id));
        }

      /* After the first page: one record given already changes, one not
       * given yet changes twice and another is archived, a record is
       * created; after the second, one more not given yet changes. */
      if (pages == 0)
        {
          g_autoptr(JsonObject) change = json_object_new ();
          g_autoptr(NavetteDbWriteResult) given = NULL;
          g_autoptr(NavetteDbWriteResult) once = NULL;
          g_autoptr(NavetteDbWriteResult) twice = NULL;
          g_autoptr(NavetteDbWriteResult) archived = NULL;
          NavetteWireRecord *first = g_ptr_array_index (records, since >= 0 ? 4 : 0);
          NavetteWireRecord *later = g_ptr_array_index (records, 8);

          json_object_set_int_member (change, "qty", 5);
          given = navette_db_record_update (fixture->db, "shop", "items", first->id, 1, change, -1,
                                            "alice", NULL, NULL, NULL, &error);
          g_assert_no_error (error);
          once = navette_db_record_update (fixture->db, "shop", "items", later->id, 1, change, -1,
                                           "alice", NULL, NULL, NULL, &error);
          g_assert_no_error (error);
          twice = navette_db_record_update (fixture->db, "shop", "items", later->id, 2, change, -1,
                                            "alice", NULL, NULL, NULL, &error);
          g_assert_no_error (error);
          archived = navette_db_record_update (fixture->db, "shop", "items",
                                               ((NavetteWireRecord *) g_ptr_array_index (records, 9))->id,
                                               1, NULL, TRUE, "alice", NULL, NULL, NULL, &error);
          g_assert_no_error (error);
          late = db_test_create_item (fixture->db, NULL, "late", 1);
        }
      else if (pages == 1)
        {
          g_autoptr(JsonObject) change = json_object_new ();
          g_autoptr(NavetteDbWriteResult) result = NULL;

          json_object_set_int_member (change, "qty", 7);
          result = navette_db_record_update (fixture->db, "shop", "items",
                                             ((NavetteWireRecord *) g_ptr_array_index (records, 7))->id,
                                             1, change, -1, "alice", NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
      pages++;
    }
  while (cursor != NULL);

  g_assert_cmpuint (g_hash_table_size (seen), ==, expected);
  g_assert_false (g_hash_table_contains (seen, late->id));
  for (guint i = since >= 0 ? 4 : 0; i < records->len; i++)
    g_assert_true (g_hash_table_contains (seen, ((NavetteWireRecord *) g_ptr_array_index (records, i))->id));

  /* the next delta: the four records written during the walk, as they are now */
  delta = navette_db_record_list (fixture->db, "shop", "items", walk, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (delta->len, ==, 5);
}

static void
test_pages_under_writes (Fixture       *fixture,
                         gconstpointer  data)
{
  walk_under_writes (fixture, -1);
}

static void
test_pages_since (Fixture       *fixture,
                  gconstpointer  data)
{
  walk_under_writes (fixture, 0);
}

/* A cursor that is not one of this list is BAD_REQUEST. */
static void
test_page_cursor_checked (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) a = NULL;
  g_autoptr(NavetteWireRecord) b = NULL;
  g_autoptr(NavetteWireTable) other = db_test_items_schema ();
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *versions_cursor = NULL;
  const char * const bad[] = { "", "x", "====", "bC4x", "not a cursor", "bC4xLjIuMy40LjU", "di4xLjE" };
  gint64 revision;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  g_free (other->name);
  other->name = g_strdup ("others");
  g_assert_true (navette_db_table_add (fixture->db, "admin", "shop", other, &error));
  g_assert_no_error (error);
  a = db_test_create_item (fixture->db, NULL, "a", 1);
  b = db_test_create_item (fixture->db, NULL, "b", 2);
  page = page_of_items (fixture->db, -1, 1, NULL, &revision, &cursor);
  g_assert_nonnull (cursor);
  versions = navette_db_record_versions_page (fixture->db, "shop", "items", a->id, 1, NULL,
                                              &versions_cursor, &error);
  g_assert_no_error (error);
  g_assert_null (versions_cursor);  /* one version: no page after it */

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GString) json = g_string_new (NULL);
      g_autofree char *next = NULL;
      NavetteDbPage request = { .since = -1, .limit = 10, .after = bad[i] };
      NavetteDbTableState state = { 0 };

      g_assert_false (navette_db_record_page_json (fixture->db, "shop", "items", &request, &state,
                                                   json, &next, &error));
      assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, "“after” is not a cursor of this list.");
      g_assert_null (next);
    }
  /* of another table, and of a list of versions */
  {
    g_autoptr(GString) json = g_string_new (NULL);
    g_autofree char *next = NULL;
    NavetteDbPage request = { .since = -1, .limit = 10, .after = cursor };
    NavetteDbTableState state = { 0 };

    g_assert_false (navette_db_record_page_json (fixture->db, "shop", "others", &request, &state,
                                                 json, &next, &error));
    assert_error_code (error, NAVETTE_API_ERROR_BAD_REQUEST);
    g_assert_null (navette_db_record_versions_page (fixture->db, "shop", "items", a->id, 1, cursor,
                                                    &next, &error));
    assert_error_code (error, NAVETTE_API_ERROR_BAD_REQUEST);
  }
}

/* Pages of a record's versions, newest first; versions written during
 * the walk are not in its later pages. */
static void
test_versions_pages (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autofree char *cursor = NULL;
  gint64 expected = 5;
  guint pages = 0;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "lamp", 1);
  for (gint64 v = 1; v < 5; v++)
    {
      g_autoptr(JsonObject) change = json_object_new ();
      g_autoptr(NavetteDbWriteResult) result = NULL;

      json_object_set_int_member (change, "qty", v);
      result = navette_db_record_update (fixture->db, "shop", "items", record->id, v, change, -1,
                                         "alice", NULL, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  do
    {
      g_autofree char *after = g_steal_pointer (&cursor);
      g_autoptr(GPtrArray) page = NULL;

      page = navette_db_record_versions_page (fixture->db, "shop", "items", record->id, 2, after,
                                              &cursor, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (page->len, ==, pages < 2 ? 2 : 1);
      for (guint i = 0; i < page->len; i++)
        {
          NavetteWireRecord *version = g_ptr_array_index (page, i);

          g_assert_cmpint (version->version, ==, expected);
          g_assert_true (version->obsolete == (expected != 5));
          expected--;
        }
      if (pages == 0)
        {
          g_autoptr(JsonObject) change = json_object_new ();
          g_autoptr(NavetteDbWriteResult) result = NULL;

          json_object_set_int_member (change, "qty", 99);
          result = navette_db_record_update (fixture->db, "shop", "items", record->id, 5, change, -1,
                                             "alice", NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
      pages++;
    }
  while (cursor != NULL);
  g_assert_cmpint (expected, ==, 0);
  g_assert_cmpuint (pages, ==, 3);
}

/* ------------------------------------------------------------------ */
/* Reverts                                                             */

/* Runs @sql on the fixture's database behind the storage core's back
 * (the same text on both backends). */
static void
fixture_sql (Fixture    *fixture,
             const char *sql)
{
#if HAVE_POSTGRESQL
  if (fixture->pg_name != NULL)
    {
      g_autoptr(PGconn) conn = navette_test_pg_connect (fixture->location);

      navette_test_pg_exec (conn, sql);
      return;
    }
#endif
  navette_test_sqlite_file_exec (fixture->location, sql);
}

/* A revert's data is checked against the table as it is now: a column
 * made shorter or required since (behind the core's back here, as an
 * administrator's change of the schema would) refuses it with the
 * fields, as an update's merged data is; nothing is written. */
static void
test_revert_validated (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(NavetteDbWriteResult) v2 = NULL;
  g_autoptr(NavetteDbWriteResult) v3 = NULL;
  g_autoptr(NavetteDbWriteResult) refused = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(JsonObject) change = json_object_new ();

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "a long name", 1);
  json_object_set_string_member (change, "name", "ab");
  json_object_set_int_member (change, "qty", 3);
  v2 = navette_db_record_update (fixture->db, "shop", "items", record->id, 1, change, -1, "alice",
                                 NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  fixture_sql (fixture, "UPDATE content_columns SET max_length = 5 WHERE name = 'name'");
  fixture_sql (fixture, "UPDATE content_columns SET required = (1 = 1) WHERE name = 'qty'");

  refused = navette_db_record_revert (fixture->db, "shop", "items", record->id, 1, "alice", NULL,
                                      &fields, &error);
  g_assert_null (refused);
  assert_error_message (error, NAVETTE_API_ERROR_VALIDATION_FAILED,
                        "The data of version 1 does not fit the table as it is now.");
  g_assert_nonnull (fields);
  g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
  g_assert_true (g_hash_table_contains (fields, "name"));
  g_assert_true (g_hash_table_contains (fields, "qty"));
  g_clear_pointer (&fields, g_hash_table_unref);
  /* without asking for the fields */
  g_assert_null (navette_db_record_revert (fixture->db, "shop", "items", record->id, 1, "alice",
                                           NULL, NULL, &error));
  assert_error_code (error, NAVETTE_API_ERROR_VALIDATION_FAILED);

  versions = navette_db_record_versions (fixture->db, "shop", "items", record->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 2);
  g_assert_cmpuint (db_test_count_audit (fixture->db, "revert", record->id), ==, 0);

  /* version 2 fits: reverted */
  v3 = navette_db_record_revert (fixture->db, "shop", "items", record->id, 2, "alice", NULL,
                                 &fields, &error);
  g_assert_no_error (error);
  g_assert_null (fields);
  g_assert_cmpint (v3->record->version, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (v3->record->data, "name"), ==, "ab");
}

/* Names that are not names are unknown things, never an SQL error. */
static void
test_unknown_names (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = db_test_item ("x", 1);
  g_autoptr(NavetteWireRecord) record = NULL;
  const char *evil = "items\"; DROP TABLE users; --";
  NavetteDbTableState state = { 0 };

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "lamp", 30);

  g_assert_null (navette_db_record_get (fixture->db, "shop", evil, record->id, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
  g_assert_null (navette_db_record_get (fixture->db, "nope", "items", record->id, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
  g_assert_null (navette_db_record_get (fixture->db, "shop", "items", "not-a-uuid", &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
  g_assert_null (navette_db_record_list (fixture->db, "shop", "nope", -1, NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
  g_assert_null (navette_db_record_create (fixture->db, "shop", evil, NULL, body, "alice", NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
  g_assert_false (navette_db_table_state (fixture->db, "Shop", "items", &state, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such table.");
  g_assert_null (navette_db_table_list (fixture->db, "Sh op", &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such application.");
  g_assert_null (navette_db_app_state (fixture->db, "Sh op", NULL, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such application.");
  g_assert_null (navette_db_audit_list (fixture->db, "Sh op", 0, 10, &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "No such application.");
}

static void
test_grants (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) roles = NULL;
  g_autoptr(GPtrArray) grants = NULL;
  g_autoptr(GPtrArray) revokes = NULL;
  NavetteDbAuditEntry *entry;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  add_user (fixture->db, "carol", FALSE);

  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "editor", &error));
  g_assert_no_error (error);
  /* the role she has: nothing changes */
  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "editor", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "reader", &error));
  g_assert_no_error (error);
  roles = navette_db_roles_for_user (fixture->db, "carol", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (roles), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (roles, "shop"), ==, "reader");
  g_clear_pointer (&roles, g_hash_table_unref);

  g_assert_true (navette_db_revoke (fixture->db, "admin", "carol", "shop", &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_revoke (fixture->db, "admin", "carol", "shop", &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "“carol” has no role in “shop”.");
  roles = navette_db_roles_for_user (fixture->db, "carol", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (roles), ==, 0);

  g_assert_false (navette_db_grant (fixture->db, "admin", "nobody", "shop", "reader", &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "There is no user “nobody”.");
  g_assert_false (navette_db_grant (fixture->db, "admin", "carol", "nope", "reader", &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "There is no application “nope”.");
  g_assert_false (navette_db_grant (fixture->db, "admin", "carol", "shop", "owner", &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "“owner” is not a role: use “reader” or “editor”.");

  /* A grant is a record with versions; each change is audited with them. */
  grants = audit_of (fixture->db, "grant");
  g_assert_cmpuint (grants->len, ==, 2);
  entry = g_ptr_array_index (grants, 0);
  g_assert_cmpstr (entry->app, ==, "shop");
  g_assert_cmpstr (entry->detail, ==, "carol: editor");
  g_assert_cmpint (entry->from_version, ==, 0);
  g_assert_cmpint (entry->to_version, ==, 1);
  g_assert_true (navette_uuid_is_valid (entry->record));
  entry = g_ptr_array_index (grants, 1);
  g_assert_cmpstr (entry->detail, ==, "carol: reader");
  g_assert_cmpint (entry->from_version, ==, 1);
  g_assert_cmpint (entry->to_version, ==, 2);
  revokes = audit_of (fixture->db, "revoke");
  g_assert_cmpuint (revokes->len, ==, 1);
  entry = g_ptr_array_index (revokes, 0);
  g_assert_cmpstr (entry->detail, ==, "carol (was reader)");
  g_assert_cmpint (entry->from_version, ==, 2);
  g_assert_cmpint (entry->to_version, ==, 3);
  g_assert_cmpstr (entry->record, ==, ((NavetteDbAuditEntry *) g_ptr_array_index (grants, 0))->record);
}

static void
test_audit (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) shop = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(NavetteDbWriteResult) update = NULL;
  g_autoptr(JsonObject) change = json_object_new ();
  const char *expected[] = { "app_add", "table_add", "create", "update" };
  NavetteDbAuditEntry *entry;

  NEED_DB (fixture);
  add_user (fixture->db, "alice", FALSE);
  g_assert_true (navette_db_app_add (fixture->db, "admin", "other", "Other", &error));
  g_assert_no_error (error);
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "cup", 2);
  json_object_set_int_member (change, "qty", 4);
  update = navette_db_record_update (fixture->db, "shop", "items", record->id, 1, change, -1,
                                     "bob", NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Only the application's entries, in order. */
  shop = navette_db_audit_list (fixture->db, "shop", 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (shop->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < shop->len; i++)
    {
      entry = g_ptr_array_index (shop, i);
      g_assert_cmpstr (entry->action, ==, expected[i]);
      g_assert_cmpstr (entry->app, ==, "shop");
      g_assert_cmpint (ABS (entry->at - g_get_real_time ()), <, 60 * G_USEC_PER_SEC);
      if (i > 0)
        g_assert_cmpint (entry->id, >, ((NavetteDbAuditEntry *) g_ptr_array_index (shop, i - 1))->id);
    }
  entry = g_ptr_array_index (shop, 2);
  g_assert_cmpstr (entry->user, ==, "alice");
  g_assert_cmpstr (entry->table, ==, "items");
  g_assert_cmpstr (entry->record, ==, record->id);
  g_assert_cmpint (entry->from_version, ==, 0);
  g_assert_cmpint (entry->to_version, ==, 1);
  g_assert_null (entry->detail);
  entry = g_ptr_array_index (shop, 3);
  g_assert_cmpstr (entry->user, ==, "bob");
  g_assert_cmpint (entry->from_version, ==, 1);
  g_assert_cmpint (entry->to_version, ==, 2);

  /* Paged: after an id, at most limit entries. */
  page = navette_db_audit_list (fixture->db, "shop",
                                ((NavetteDbAuditEntry *) g_ptr_array_index (shop, 1))->id, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (page, 0))->action, ==, "create");
  none = navette_db_audit_list (fixture->db, "nothing", 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

/* The audit trail says the same on every backend: its actions and the
 * details of the administration changes. */
static void
test_audit_details (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(NavetteDbWriteResult) reverted = NULL;
  g_autoptr(NavetteDbWriteResult) archived = NULL;
  g_autoptr(NavetteWireColumn) note = navette_wire_column_new ("note", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0);
  g_autoptr(NavetteWireColumn) flag = navette_wire_column_new ("flag", NULL, NAVETTE_COLUMN_BOOLEAN, FALSE, 0);
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GPtrArray) reverts = NULL;
  g_autofree char *app_add = NULL;
  g_autofree char *table_add = NULL;
  g_autofree char *passwd = NULL;
  g_autofree char *archive = NULL;

  NEED_DB (fixture);
  add_user (fixture->db, "erin", TRUE);
  add_user (fixture->db, "fred", FALSE);
  users = audit_of (fixture->db, "user_add");
  g_assert_cmpuint (users->len, ==, 2);
  g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (users, 0))->detail, ==, "erin (admin)");
  g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (users, 0))->user, ==, "admin");
  g_assert_null (((NavetteDbAuditEntry *) g_ptr_array_index (users, 0))->app);
  g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (users, 1))->detail, ==, "fred");

  g_assert_true (navette_db_user_set_password (fixture->db, "admin", "fred", "new-hash", &error));
  g_assert_no_error (error);
  passwd = audit_detail (fixture->db, "user_passwd");
  g_assert_cmpstr (passwd, ==, "fred");

  db_test_add_shop (fixture->db);
  app_add = audit_detail (fixture->db, "app_add");
  g_assert_cmpstr (app_add, ==, "Shop");
  table_add = audit_detail (fixture->db, "table_add");
  g_assert_cmpstr (table_add, ==, "items (name text required, price real, qty integer, ok boolean, day date)");

  g_assert_true (navette_db_column_add (fixture->db, "admin", "shop", "items", note, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_column_add (fixture->db, "admin", "shop", "items", flag, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) columns = audit_of (fixture->db, "column_add");

    g_assert_cmpuint (columns->len, ==, 2);
    g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (columns, 0))->detail, ==, "note text");
    g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (columns, 0))->table, ==, "items");
    g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (columns, 1))->detail, ==, "flag boolean");
  }

  record = db_test_create_item (fixture->db, NULL, "vase", 3);
  archived = navette_db_record_update (fixture->db, "shop", "items", record->id, 1, NULL, 1,
                                       "alice", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  archive = audit_detail (fixture->db, "archive");
  g_assert_null (archive);
  reverted = navette_db_record_revert (fixture->db, "shop", "items", record->id, 1, "alice", NULL, NULL, &error);
  g_assert_no_error (error);
  reverts = audit_of (fixture->db, "revert");
  g_assert_cmpuint (reverts->len, ==, 1);
  g_assert_cmpstr (((NavetteDbAuditEntry *) g_ptr_array_index (reverts, 0))->detail, ==, "reverted to version 1");
  g_assert_cmpint (((NavetteDbAuditEntry *) g_ptr_array_index (reverts, 0))->from_version, ==, 2);
  g_assert_cmpint (((NavetteDbAuditEntry *) g_ptr_array_index (reverts, 0))->to_version, ==, 3);
}

/* ------------------------------------------------------------------ */
/* Rules each backend once had its own way                             */
/* ------------------------------------------------------------------ */

static void
test_user_name_checked (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *long_name = g_strnfill (65, 'a');
  g_autofree char *longest = g_strnfill (64, 'a');
  const char *refused[] = { "Not Valid", "", "-dash", "UPPER", "tab\tname", "é" };
  g_autoptr(GPtrArray) users = NULL;

  NEED_DB (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *message = g_strdup_printf ("“%s” is not a valid user name: use 1 to 64 "
                                                  "lowercase letters, digits, “_”, “-” or “.”, "
                                                  "starting with a letter or a digit.", refused[i]);

      g_assert_false (navette_db_user_add (fixture->db, "admin", refused[i], NULL, "h", FALSE, &error));
      assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
    }
  g_assert_false (navette_db_user_add (fixture->db, "admin", long_name, NULL, "h", FALSE, &error));
  assert_error_code (error, NAVETTE_API_ERROR_BAD_REQUEST);

  g_assert_true (navette_db_user_add (fixture->db, "admin", longest, NULL, "h", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "j.doe-2_x", NULL, "h", FALSE, &error));
  g_assert_no_error (error);
  users = navette_db_user_list (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 2);
}

static void
test_display_name_checked (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) too_long = g_string_new (NULL);
  g_autoptr(NavetteDbUser) empty = NULL;
  g_autoptr(NavetteDbUser) longest = NULL;

  NEED_DB (fixture);
  for (guint i = 0; i < 201; i++)
    g_string_append (too_long, "é");
  g_assert_false (navette_db_user_add (fixture->db, "admin", "gina", too_long->str, "h", FALSE, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "The display name must be valid UTF-8, at most 200 characters.");
  g_assert_false (navette_db_user_add (fixture->db, "admin", "gina", "bad \xff utf-8", "h", FALSE, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "The display name must be valid UTF-8, at most 200 characters.");

  /* 200 characters (400 bytes) are fine; an empty one is the user name. */
  g_string_truncate (too_long, too_long->len - strlen ("é"));
  g_assert_true (navette_db_user_add (fixture->db, "admin", "gina", too_long->str, "h", FALSE, &error));
  g_assert_no_error (error);
  longest = navette_db_user_get (fixture->db, "gina", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (longest->display_name, ==, too_long->str);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "hugo", "", "h", FALSE, &error));
  g_assert_no_error (error);
  empty = navette_db_user_get (fixture->db, "hugo", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (empty->display_name, ==, "hugo");
}

static void
test_titles_checked (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *long_title = g_strnfill (201, 't');
  g_autoptr(NavetteWireTable) table = db_test_items_schema ();
  g_autoptr(NavetteWireColumn) column = navette_wire_column_new ("note", long_title, NAVETTE_COLUMN_TEXT, FALSE, 0);
  g_autoptr(GPtrArray) apps = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  const char *message = "A title must be valid UTF-8, at most 200 characters.";

  NEED_DB (fixture);
  g_assert_false (navette_db_app_add (fixture->db, "admin", "shop", long_title, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
  g_assert_false (navette_db_app_add (fixture->db, "admin", "shop", "bad \xc3", &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
  apps = navette_db_app_list (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 0);

  g_assert_true (navette_db_app_add (fixture->db, "admin", "shop", NULL, &error));
  g_assert_no_error (error);
  g_free (table->title);
  table->title = g_strdup (long_title);
  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
  g_free (table->title);
  table->title = g_strdup ("Items");
  g_free (((NavetteWireColumn *) g_ptr_array_index (table->columns, 1))->title);
  ((NavetteWireColumn *) g_ptr_array_index (table->columns, 1))->title = g_strdup (long_title);
  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 0);

  g_free (((NavetteWireColumn *) g_ptr_array_index (table->columns, 1))->title);
  ((NavetteWireColumn *) g_ptr_array_index (table->columns, 1))->title = g_strdup ("Price");
  g_assert_true (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  g_assert_no_error (error);
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", column, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
}

static void
test_empty_title_is_name (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("things", "");
  g_autoptr(GPtrArray) apps = NULL;
  g_autoptr(GPtrArray) tables = NULL;

  NEED_DB (fixture);
  g_assert_true (navette_db_app_add (fixture->db, "admin", "shop", "", &error));
  g_assert_no_error (error);
  g_ptr_array_add (table->columns, navette_wire_column_new ("a", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_assert_true (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  g_assert_no_error (error);

  apps = navette_db_app_list (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((NavetteDbApp *) g_ptr_array_index (apps, 0))->title, ==, "shop");
  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((NavetteWireTable *) g_ptr_array_index (tables, 0))->title, ==, "things");
  g_assert_cmpstr (((NavetteWireColumn *) g_ptr_array_index (((NavetteWireTable *) g_ptr_array_index (tables, 0))->columns, 0))->title, ==, "a");
}

/* The types long_text, choice, url, email and the bounds of numbers are
 * stored and read back as they were given. */
static void
test_column_types (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("leads", NULL);
  g_autoptr(GPtrArray) tables = NULL;
  g_autoptr(NavetteWireColumn) mood = navette_wire_column_new ("mood", NULL, NAVETTE_COLUMN_CHOICE, FALSE, 0);
  NavetteWireColumn *state, *age;
  const NavetteWireTable *read = NULL;
  const NavetteWireColumn *column;
  const char * const states[] = { "new", "won", "lost, sadly", NULL };

  NEED_DB (fixture);
  /* made here, not above: NEED_DB returns early without a database */
  state = navette_wire_column_new ("state", NULL, NAVETTE_COLUMN_CHOICE, TRUE, 0);
  age = navette_wire_column_new ("age", NULL, NAVETTE_COLUMN_INTEGER, FALSE, 0);
  db_test_add_shop (fixture->db);
  state->choices = g_strdupv ((char **) states);
  age->has_min = TRUE;
  age->min = 18;
  age->has_max = TRUE;
  age->max = 120.5;
  g_ptr_array_add (table->columns, state);
  g_ptr_array_add (table->columns, navette_wire_column_new ("notes", NULL, NAVETTE_COLUMN_LONG_TEXT, FALSE, 5000));
  g_ptr_array_add (table->columns, navette_wire_column_new ("site", NULL, NAVETTE_COLUMN_URL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("mail", NULL, NAVETTE_COLUMN_EMAIL, FALSE, 0));
  g_ptr_array_add (table->columns, age);
  g_assert_true (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  g_assert_no_error (error);

  /* a choice column without choices is refused */
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "leads", mood, &error));
  assert_error_code (error, NAVETTE_API_ERROR_BAD_REQUEST);

  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < tables->len; i++)
    if (g_str_equal (((NavetteWireTable *) g_ptr_array_index (tables, i))->name, "leads"))
      read = g_ptr_array_index (tables, i);
  g_assert_nonnull (read);
  column = navette_wire_table_lookup_column (read, "state");
  g_assert_cmpint (column->type, ==, NAVETTE_COLUMN_CHOICE);
  g_assert_cmpstrv (column->choices, states);
  column = navette_wire_table_lookup_column (read, "notes");
  g_assert_cmpint (column->type, ==, NAVETTE_COLUMN_LONG_TEXT);
  g_assert_cmpint (column->max_length, ==, 5000);
  g_assert_null (column->choices);
  g_assert_cmpint (navette_wire_table_lookup_column (read, "site")->type, ==, NAVETTE_COLUMN_URL);
  g_assert_cmpint (navette_wire_table_lookup_column (read, "mail")->type, ==, NAVETTE_COLUMN_EMAIL);
  column = navette_wire_table_lookup_column (read, "age");
  g_assert_true (column->has_min && column->has_max);
  g_assert_cmpfloat (column->min, ==, 18);
  g_assert_cmpfloat (column->max, ==, 120.5);
  g_assert_false (navette_wire_table_lookup_column (read, "mail")->has_min);
}

static void
test_max_length_text_only (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("things", NULL);
  g_autoptr(NavetteWireColumn) number = navette_wire_column_new ("n", NULL, NAVETTE_COLUMN_INTEGER, FALSE, 10);
  g_autoptr(NavetteWireColumn) negative = navette_wire_column_new ("t", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0);

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  negative->max_length = -1;  /* the constructor would make it 0 */
  g_ptr_array_add (table->columns, navette_wire_column_new ("d", NULL, NAVETTE_COLUMN_DATE, FALSE, 10));
  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "Column “d”: a maximum length only applies to text, long text, URL and email columns.");
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", number, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST,
                        "Column “n”: a maximum length only applies to text, long text, URL and email columns.");
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", negative, &error));
  assert_error_code (error, NAVETTE_API_ERROR_BAD_REQUEST);
}

static void
test_reserved_columns (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *reserved[] = {
    "row_id", "record_id", "version", "obsolete", "archived",
    "updated_at", "updated_by", "revision", "rowid", "oid",
  };
  g_autoptr(GError) error = NULL;

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  for (guint i = 0; i < G_N_ELEMENTS (reserved); i++)
    {
      g_autoptr(NavetteWireColumn) column = navette_wire_column_new (reserved[i], NULL, NAVETTE_COLUMN_TEXT, FALSE, 0);
      g_autoptr(NavetteWireTable) table = navette_wire_table_new ("things", NULL);
      g_autofree char *message = g_strdup_printf ("“%s” is reserved for the record's own fields; "
                                                  "choose another column name.", reserved[i]);

      g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", column, &error));
      assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
      g_ptr_array_add (table->columns, navette_wire_column_new (reserved[i], NULL, NAVETTE_COLUMN_TEXT, FALSE, 0));
      g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
      assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, message);
    }
}

static void
test_table_needs_columns (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = navette_wire_table_new ("empty", NULL);

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  g_assert_false (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
  assert_error_message (error, NAVETTE_API_ERROR_BAD_REQUEST, "A table needs at least one column.");
}

static void
test_table_list_order (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  const char *names[] = { "zebra", "apple", "mango" };

  NEED_DB (fixture);
  g_assert_true (navette_db_app_add (fixture->db, "admin", "shop", NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(NavetteWireTable) table = navette_wire_table_new (names[i], NULL);

      g_ptr_array_add (table->columns, navette_wire_column_new ("a", NULL, NAVETTE_COLUMN_TEXT, FALSE, 0));
      g_assert_true (navette_db_table_add (fixture->db, "admin", "shop", table, &error));
      g_assert_no_error (error);
    }
  tables = navette_db_table_list (fixture->db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 3);
  g_assert_cmpstr (((NavetteWireTable *) g_ptr_array_index (tables, 0))->name, ==, "apple");
  g_assert_cmpstr (((NavetteWireTable *) g_ptr_array_index (tables, 1))->name, ==, "mango");
  g_assert_cmpstr (((NavetteWireTable *) g_ptr_array_index (tables, 2))->name, ==, "zebra");
}

static void
test_password_ends_sessions (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) user = NULL;
  g_autoptr(NavetteDbUser) other = NULL;

  NEED_DB (fixture);
  add_user (fixture->db, "dave", FALSE);
  add_user (fixture->db, "erin", FALSE);
  g_assert_true (navette_db_session_create (fixture->db, "dave", "dave-1", G_MAXINT64, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_session_create (fixture->db, "erin", "erin-1", G_MAXINT64, &error));
  g_assert_no_error (error);

  g_assert_true (navette_db_user_set_password (fixture->db, "admin", "dave", "new-hash", &error));
  g_assert_no_error (error);
  g_assert_null (navette_db_session_lookup (fixture->db, "dave-1", NULL, &error));
  assert_error_code (error, NAVETTE_API_ERROR_AUTH_REQUIRED);
  other = navette_db_session_lookup (fixture->db, "erin-1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other->username, ==, "erin");
  user = navette_db_user_get (fixture->db, "dave", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->password_hash, ==, "new-hash");

  g_assert_false (navette_db_user_set_password (fixture->db, "admin", "nobody", "h", &error));
  assert_error_message (error, NAVETTE_API_ERROR_NOT_FOUND, "There is no user “nobody”.");
}

/* Sessions are kept as long as idempotency keys once expired, so that a
 * client is told its session expired rather than that it is unknown. */
static void
test_purge_keeps_expired_sessions (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) recent = NULL;
  gint64 now = g_get_real_time ();
  gint64 keep = 48 * G_TIME_SPAN_HOUR;
  gint64 expires = 0;

  NEED_DB (fixture);
  add_user (fixture->db, "dave", FALSE);
  g_assert_true (navette_db_session_create (fixture->db, "dave", "recent", now - G_TIME_SPAN_HOUR, &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_session_create (fixture->db, "dave", "old", now - keep - G_TIME_SPAN_HOUR, &error));
  g_assert_no_error (error);

  g_assert_true (navette_db_purge (fixture->db, now - keep, &error));
  g_assert_no_error (error);
  recent = navette_db_session_lookup (fixture->db, "recent", &expires, &error);
  g_assert_no_error (error);
  g_assert_cmpint (expires, ==, now - G_TIME_SPAN_HOUR);
  g_assert_null (navette_db_session_lookup (fixture->db, "old", NULL, &error));
  assert_error_code (error, NAVETTE_API_ERROR_AUTH_REQUIRED);
}

/* ------------------------------------------------------------------ */
/* The storage layer's own interface                                   */

static void
test_schema_version (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) other = NULL;
  gint64 version;

  NEED_DB (fixture);
  g_assert_cmpstr (navette_db_get_backend_name (fixture->db), ==, fixture->backend);
  version = navette_db_get_schema_version (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (version, >=, 1);
  other = navette_db_open (fixture->location, &error);
  g_assert_no_error (error);
  g_assert_cmpint (navette_db_get_schema_version (other, &error), ==, version);
  g_assert_no_error (error);
}

static void
test_busy_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(NavetteWireRecord) record = NULL;

  NEED_DB (fixture);
  navette_db_set_busy_timeout (fixture->db, 250);
  g_assert_cmpuint (navette_db_get_busy_timeout (fixture->db), ==, 250);
  navette_db_set_busy_timeout (fixture->db, 4000);
  g_assert_cmpuint (navette_db_get_busy_timeout (fixture->db), ==, 4000);
  /* connections opened before and after the change both work */
  db_test_add_shop (fixture->db);
  record = db_test_create_item (fixture->db, NULL, "after", 1);
}

typedef struct
{
  GPtrArray *changes;  /* "app.table", "schema:app", "roles:user", or "*" for "anything may have changed" */
  GPtrArray *answers;  /* "ok" or "failed", in the order given */
  guint      changes_at_answer;
} WatchLog;

static void
table_changed_cb (NavetteDb  *db,
                  const char *app,
                  const char *table,
                  WatchLog   *log)
{
  g_ptr_array_add (log->changes, app != NULL ? g_strdup_printf ("%s.%s", app, table) : g_strdup ("*"));
}

static void
schema_changed_cb (NavetteDb  *db,
                   const char *app,
                   WatchLog   *log)
{
  g_ptr_array_add (log->changes, g_strdup_printf ("schema:%s", app));
}

static void
roles_changed_cb (NavetteDb  *db,
                  const char *username,
                  WatchLog   *log)
{
  g_ptr_array_add (log->changes, g_strdup_printf ("roles:%s", username));
}

static void
watch_log_connect (NavetteDb *db,
                   WatchLog  *log)
{
  g_signal_connect (db, "table-changed", G_CALLBACK (table_changed_cb), log);
  g_signal_connect (db, "schema-changed", G_CALLBACK (schema_changed_cb), log);
  g_signal_connect (db, "roles-changed", G_CALLBACK (roles_changed_cb), log);
}

static void
synced_cb (gboolean  ok,
           gpointer  user_data)
{
  WatchLog *log = user_data;

  if (log->answers->len == 0)
    log->changes_at_answer = log->changes->len;
  g_ptr_array_add (log->answers, g_strdup (ok ? "ok" : "failed"));
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @array has @n items (10 s at most). */
static void
wait_for (GPtrArray *array,
          guint      n)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);

  while (array->len < n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_cmpuint (array->len, >=, n);
}

static gboolean
has_item (GPtrArray  *array,
          const char *item)
{
  return g_ptr_array_find_with_equal_func (array, item, g_str_equal, NULL);
}

/* Iterates the main context until @array holds @item (10 s at most). */
static void
wait_for_item (GPtrArray  *array,
               const char *item)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);

  while (!has_item (array, item) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  if (!has_item (array, item))
    g_error ("%s was not told within 10 s", item);
}

/* Every backend reports the changes committed by others (another server
 * process here: another object on the same database). When "wait until I
 * have seen every change committed before now" has something to wait
 * for (a round trip), it answers once the change is emitted. */
static void
test_change_watch (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) other = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(NavetteWireRecord) record = NULL;
  WatchLog log = { changes, answers, 0 };

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  watch_log_connect (fixture->db, &log);
  g_assert_true (navette_db_watch_changes (fixture->db));
  /* listening: anything may have changed meanwhile (PostgreSQL: once
   * connected; SQLite: once it took its baseline) */
  wait_for (changes, 1);
  g_assert_cmpstr (g_ptr_array_index (changes, 0), ==, "*");

  other = navette_db_open (fixture->location, &error);
  g_assert_no_error (error);
  record = db_test_create_item (other, NULL, "watched", 1);
  if (navette_db_sync_changes (fixture->db, synced_cb, &log))
    {
      /* the round trip asked for at once, before the main context ran
       * again, answers after its change was emitted */
      g_assert_cmpuint (answers->len, ==, 0);
      wait_for (answers, 1);
      g_assert_cmpstr (g_ptr_array_index (answers, 0), ==, "ok");
      g_assert_cmpuint (log.changes_at_answer, ==, 2);
      g_assert_cmpstr (g_ptr_array_index (changes, 1), ==, "shop.items");

      /* Stopping answers what still waits, before it returns. */
      g_assert_true (navette_db_sync_changes (fixture->db, synced_cb, &log));
      navette_db_unwatch_changes (fixture->db);
      g_assert_cmpuint (answers->len, ==, 2);
      g_assert_cmpstr (g_ptr_array_index (answers, 1), ==, "failed");
      return;
    }
  /* nothing to wait for: the watch finds it on its own clock */
  wait_for_item (changes, "shop.items");
  g_assert_cmpuint (answers->len, ==, 0);
  navette_db_unwatch_changes (fixture->db);
}

/* The writer tells of its own schema and grant writes at once, before
 * the call returns, watched or not; a grant of the role she has already
 * writes nothing and tells nothing. */
static void
test_writer_tells (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(NavetteWireColumn) column = navette_wire_column_new ("colour", "Colour", NAVETTE_COLUMN_TEXT,
                                                                 FALSE, 0);
  WatchLog log = { changes, answers, 0 };

  NEED_DB (fixture);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "carol", NULL, "x", FALSE, &error));
  g_assert_no_error (error);
  watch_log_connect (fixture->db, &log);

  db_test_add_shop (fixture->db);  /* the application, then its table */
  g_assert_cmpuint (changes->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (changes, 0), ==, "schema:shop");
  g_assert_cmpstr (g_ptr_array_index (changes, 1), ==, "schema:shop");

  g_assert_true (navette_db_column_add (fixture->db, "admin", "shop", "items", column, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (changes, 2), ==, "schema:shop");

  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "reader", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (changes, 3), ==, "roles:carol");
  g_assert_true (navette_db_grant (fixture->db, "admin", "carol", "shop", "reader", &error));
  g_assert_cmpuint (changes->len, ==, 4);
  g_assert_true (navette_db_revoke (fixture->db, "admin", "carol", "shop", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (changes, 4), ==, "roles:carol");

  /* refused: nothing told */
  g_assert_false (navette_db_column_add (fixture->db, "admin", "shop", "items", column, &error));
  g_clear_error (&error);
  g_assert_false (navette_db_revoke (fixture->db, "admin", "carol", "shop", &error));
  g_clear_error (&error);
  g_assert_cmpuint (changes->len, ==, 5);
}

/* Schema and grant writes of others (the admin commands, another server
 * process: another object here) are told by the watch; and the
 * application light check's schema revision moves with them. */
static void
test_change_watch_administration (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) other = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(NavetteWireTable) notes = navette_wire_table_new ("notes", "Notes");
  g_autoptr(NavetteWireColumn) column = navette_wire_column_new ("colour", "Colour", NAVETTE_COLUMN_TEXT,
                                                                 FALSE, 0);
  g_autoptr(GPtrArray) states = NULL;
  gint64 before = -1, after = -1;
  WatchLog log = { changes, answers, 0 };

  NEED_DB (fixture);
  db_test_add_shop (fixture->db);
  g_assert_true (navette_db_user_add (fixture->db, "admin", "carol", NULL, "x", FALSE, &error));
  g_assert_no_error (error);
  states = navette_db_app_state (fixture->db, "shop", &before, &error);
  g_assert_no_error (error);
  g_assert_cmpint (before, >, 0);
  g_clear_pointer (&states, g_ptr_array_unref);

  other = navette_db_open (fixture->location, &error);
  g_assert_no_error (error);
  watch_log_connect (fixture->db, &log);
  g_assert_true (navette_db_watch_changes (fixture->db));
  wait_for_item (changes, "*");  /* up: nothing is missed from now on */

  g_assert_true (navette_db_column_add (other, "admin", "shop", "items", column, &error));
  g_assert_no_error (error);
  wait_for_item (changes, "schema:shop");
  states = navette_db_app_state (fixture->db, "shop", &after, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after, >, before);
  g_clear_pointer (&states, g_ptr_array_unref);

  g_assert_true (navette_db_app_add (other, "admin", "desk", "Desk", &error));
  g_assert_no_error (error);
  wait_for_item (changes, "schema:desk");

  g_ptr_array_add (notes->columns, navette_wire_column_new ("text", "Text", NAVETTE_COLUMN_TEXT, TRUE, 0));
  g_ptr_array_set_size (changes, 0);
  g_assert_true (navette_db_table_add (other, "admin", "desk", notes, &error));
  g_assert_no_error (error);
  wait_for_item (changes, "schema:desk");

  g_assert_true (navette_db_grant (other, "admin", "carol", "desk", "editor", &error));
  g_assert_no_error (error);
  wait_for_item (changes, "roles:carol");
  g_ptr_array_set_size (changes, 0);
  g_assert_true (navette_db_revoke (other, "admin", "carol", "desk", &error));
  g_assert_no_error (error);
  wait_for_item (changes, "roles:carol");
  /* nothing told of anybody else */
  for (guint i = 0; i < changes->len; i++)
    g_assert_false (g_str_has_prefix (g_ptr_array_index (changes, i), "roles:") &&
                    !g_str_equal (g_ptr_array_index (changes, i), "roles:carol"));
  navette_db_unwatch_changes (fixture->db);
}

int
main (int    argc,
      char **argv)
{
  static const char * const backends[] = { "sqlite", "postgresql" };
  static const struct
  {
    const char *name;
    void      (*func) (Fixture *fixture, gconstpointer data);
  } cases[] = {
    /* every operation */
    { "migrate-ping", test_migrate_ping },
    { "users", test_users },
    { "sessions", test_sessions },
    { "applications", test_applications },
    { "tables", test_tables },
    { "column-add", test_column_add },
    { "light-check", test_light_check },
    { "records", test_records },
    { "create-many", test_create_many },
    { "create-replay", test_create_replay },
    { "idempotency", test_idempotency },
    { "update-revert", test_update_revert },
    { "update-revert-errors", test_update_revert_errors },
    { "since", test_since },
    { "pages", test_pages },
    { "pages-under-writes", test_pages_under_writes },
    { "pages-since", test_pages_since },
    { "page-cursor-checked", test_page_cursor_checked },
    { "versions-pages", test_versions_pages },
    { "revert-validated", test_revert_validated },
    { "unknown-names", test_unknown_names },
    { "grants", test_grants },
    { "audit", test_audit },
    /* rules the backends once each had their own way */
    { "audit-details", test_audit_details },
    { "user-name-checked", test_user_name_checked },
    { "display-name-checked", test_display_name_checked },
    { "titles-checked", test_titles_checked },
    { "empty-title-is-name", test_empty_title_is_name },
    { "max-length-text-only", test_max_length_text_only },
    { "column-types", test_column_types },
    { "reserved-columns", test_reserved_columns },
    { "table-needs-columns", test_table_needs_columns },
    { "table-list-order", test_table_list_order },
    { "password-ends-sessions", test_password_ends_sessions },
    { "purge-keeps-expired-sessions", test_purge_keeps_expired_sessions },
    /* the storage layer's own interface */
    { "schema-version", test_schema_version },
    { "busy-timeout", test_busy_timeout },
    { "change-watch", test_change_watch },
    { "writer-tells", test_writer_tells },
    { "change-watch-administration", test_change_watch_administration },
  };

  g_test_init (&argc, &argv, NULL);

  for (guint b = 0; b < G_N_ELEMENTS (backends); b++)
    for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
      {
        g_autofree char *path = g_strdup_printf ("/contract/%s/%s", backends[b], cases[c].name);

        g_test_add (path, Fixture, backends[b], fixture_setup, cases[c].func, fixture_teardown);
      }

  return g_test_run ();
}
