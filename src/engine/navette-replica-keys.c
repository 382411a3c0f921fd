/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-keys.c — the sort key columns of the replica's tables
 * (docs/replica.md, "Text order"): each text column c_<column> of r<ID>
 * has its key k_<column>, a BLOB navette_sort_key() makes
 * (navette-sort-key.c), filled on write by the SQL function of the same
 * name, registered on the worker's connection. See navette-replica.c
 * for the layout of the database. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include "navette-replica-private.h"
#include "navette-engine-private.h"
#include "navette-sort-key.h"

/* navette_sort_key(text): the BLOB navette_sort_key() makes of it; NULL
 * for NULL. Registered on the worker's connection only: it fills the
 * k_<column> columns, which every connection can read and index. */
void
replica_sql_sort_key (sqlite3_context  *context,
                      int               argc,
                      sqlite3_value   **argv)
{
  const char *text;
  guint8 *key;
  gsize key_len;

  if (sqlite3_value_type (argv[0]) == SQLITE_NULL)
    {
      sqlite3_result_null (context);
      return;
    }
  text = (const char *) sqlite3_value_text (argv[0]);
  key = navette_sort_key (text != NULL ? text : "", sqlite3_value_bytes (argv[0]), &key_len);
  sqlite3_result_blob (context, key, key_len, g_free);
}

/* Gives r<ID> a sort key column k_<column> for each of @text_columns
 * ("a,b": the text columns, as its FTS index) that has none, filled from
 * c_<column>. Within the caller's transaction. A table made before sort
 * keys (text sorted by bytes) gets them here, once: its old indexes of
 * sorts by those columns, v<ID>_<column> on c_<column>, are dropped
 * (sorts use w<ID>_<column> on the key). The table's triggers (the FTS
 * index's) are set aside meanwhile: the keys change no text. */
gboolean
replica_ensure_sort_keys (NavetteReplica  *self,
                          gint64           id,
                          const char      *text_columns,
                          GError         **error)
{
  g_auto(GStrv) names = g_strsplit (text_columns != NULL ? text_columns : "", ",", -1);
  g_autoptr(GHashTable) have = replica_sql_columns (self, id, error);
  g_autoptr(GString) sets = g_string_new (NULL);
  g_autoptr(GPtrArray) triggers = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  gint64 start = g_get_monotonic_time ();

  if (have == NULL)
    return FALSE;
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *k_name = g_strconcat ("k_", names[i], NULL);
      g_autofree char *add = NULL;

      if (*names[i] == '\0' || g_hash_table_contains (have, k_name))
        continue;
      add = g_strdup_printf ("ALTER TABLE r%1$" G_GINT64_FORMAT " ADD COLUMN \"%2$s\" BLOB;"
                             "DROP INDEX IF EXISTS \"v%1$" G_GINT64_FORMAT "_%3$s\"",
                             id, k_name, names[i]);
      if (!replica_sql_exec (self, add, error))
        return FALSE;
      g_string_append_printf (sets, "%s\"k_%s\" = navette_sort_key(\"c_%s\")",
                              sets->len > 0 ? ", " : "", names[i], names[i]);
    }
  if (sets->len == 0)
    return TRUE;

  triggers = g_ptr_array_new_with_free_func (g_free);
  sql = g_strdup_printf ("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'r%" G_GINT64_FORMAT "'", id);
  if (!(stmt = replica_sql_prepare (self, sql, error)))
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (triggers, g_strdup_printf ("DROP TRIGGER \"%s\"", (const char *) sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (triggers, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  sqlite3_finalize (stmt);
  for (guint i = 0; i < triggers->len; i += 2)
    if (!replica_sql_exec (self, g_ptr_array_index (triggers, i), error))
      return FALSE;
  g_free (sql);
  sql = g_strdup_printf ("UPDATE r%" G_GINT64_FORMAT " SET %s", id, sets->str);
  if (!replica_sql_exec (self, sql, error))
    return FALSE;
  for (guint i = 1; i < triggers->len; i += 2)
    if (!replica_sql_exec (self, g_ptr_array_index (triggers, i), error))
      return FALSE;
  g_debug ("Replica: sort keys of r%" G_GINT64_FORMAT " (%s) made in %.0f ms",
           id, text_columns, (g_get_monotonic_time () - start) / 1000.0);
  return TRUE;
}
