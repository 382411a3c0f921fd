/* SPDX-License-Identifier: GPL-3.0-or-later */
/* db-test-util.c — see db-test-util.h. */
#define G_LOG_DOMAIN "test-storage"

#include "config.h"

#include "db-test-util.h"

NavetteWireTable *
db_test_items_schema (void)
{
  NavetteWireTable *table = navette_wire_table_new ("items", "Items");

  g_ptr_array_add (table->columns, navette_wire_column_new ("name", "Name", NAVETTE_COLUMN_TEXT, TRUE, 20));
  g_ptr_array_add (table->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("qty", "Quantity", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("ok", "OK", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("day", "Day", NAVETTE_COLUMN_DATE, FALSE, 0));
  return table;
}

void
db_test_add_shop (NavetteDb *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = db_test_items_schema ();

  g_assert_true (navette_db_app_add (db, "admin", "shop", "Shop", &error));
  g_assert_no_error (error);
  g_assert_true (navette_db_table_add (db, "admin", "shop", table, &error));
  g_assert_no_error (error);
}

JsonObject *
db_test_item (const char *name,
              double      price)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "name", name);
  json_object_set_double_member (data, "price", price);
  return data;
}

NavetteWireRecord *
db_test_create_item (NavetteDb  *db,
                     const char *id,
                     const char *name,
                     double      price)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = db_test_item (name, price);
  g_autoptr(NavetteDbWriteResult) result = NULL;

  result = navette_db_record_create (db, "shop", "items", id, data, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (result->created);
  g_assert_false (result->replayed);
  return navette_wire_record_ref (result->record);
}

gint64
db_test_items_revision (NavetteDb *db)
{
  g_autoptr(GError) error = NULL;
  NavetteDbTableState state = { 0 };

  g_assert_true (navette_db_table_state (db, "shop", "items", &state, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state.table, ==, "items");
  g_free (state.table);
  return state.revision;
}

guint
db_test_count_audit (NavetteDb  *db,
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
