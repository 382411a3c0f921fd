/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-meta.c — what the replica says of the account's
 * structure, for a start without the network: the tables it holds (each
 * one's application, schema and revision) and small named values the
 * engine keeps beside them (the list of applications: names, titles,
 * roles; no records), in the table
 *
 *   replica_meta (key TEXT PRIMARY KEY, value TEXT)
 *
 * made the first time a value is written. See navette-replica.h. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include "navette-replica-private.h"
#include "navette-engine-private.h"

void
navette_replica_table_free (NavetteReplicaTable *table)
{
  g_free (table->app);
  g_clear_pointer (&table->schema, navette_wire_table_free);
  g_free (table);
}

typedef struct
{
  GPtrArray *tables;
  GError    *error;
} ListTables;

static void
list_tables_job (NavetteReplica *self,
                 gpointer        data)
{
  ListTables *list = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = replica_sql_prepare (self, "SELECT app, schema, revision FROM replica_tables ORDER BY app, name",
                              &list->error);
  if (stmt == NULL)
    return;
  list->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_replica_table_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, 1);
      g_autoptr(JsonNode) node = NULL;
      NavetteWireTable *schema = NULL;
      NavetteReplicaTable *table;

      if (text != NULL)
        node = navette_json_parse_strict (text, strlen (text), NULL);
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        schema = navette_wire_table_from_json (json_node_get_object (node), NULL);
      if (schema == NULL)
        continue;   /* never written so by this program: left out */
      table = g_new0 (NavetteReplicaTable, 1);
      table->app = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      table->schema = schema;
      table->revision = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (list->tables, table);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_clear_pointer (&list->tables, g_ptr_array_unref);
      replica_sql_fail (self, "listing the tables", &list->error);
    }
}

GPtrArray *
navette_replica_list_tables (NavetteReplica  *self,
                             GError         **error)
{
  ListTables list = { NULL, NULL };

  g_return_val_if_fail (NAVETTE_IS_REPLICA (self), NULL);

  replica_run_job_sync (self, list_tables_job, &list);
  if (list.error != NULL)
    {
      g_propagate_error (error, list.error);
      return NULL;
    }
  return list.tables;
}

typedef struct
{
  const char *key;
  const char *value;   /* to write */
  char       *result;  /* read */
  GError     *error;
} Meta;

static void
set_meta_job (NavetteReplica *self,
              gpointer        data)
{
  Meta *meta = data;
  sqlite3_stmt *stmt;

  if (!replica_sql_exec (self, "CREATE TABLE IF NOT EXISTS replica_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                         &meta->error) ||
      !(stmt = replica_sql_prepare (self, "INSERT OR REPLACE INTO replica_meta (key, value) VALUES (?, ?)",
                                    &meta->error)))
    return;
  sqlite3_bind_text (stmt, 1, meta->key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, meta->value, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    replica_sql_fail (self, "writing a value", &meta->error);
  sqlite3_finalize (stmt);
}

static void
get_meta_job (NavetteReplica *self,
              gpointer        data)
{
  Meta *meta = data;
  sqlite3_stmt *stmt;

  /* Not made yet: nothing was written. */
  if (replica_sql_int (self, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'replica_meta'",
                       &meta->error) <= 0 ||
      !(stmt = replica_sql_prepare (self, "SELECT value FROM replica_meta WHERE key = ?", &meta->error)))
    return;
  sqlite3_bind_text (stmt, 1, meta->key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    meta->result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
}

gboolean
navette_replica_set_meta (NavetteReplica  *self,
                          const char      *key,
                          const char      *value,
                          GError         **error)
{
  Meta meta = { .key = key, .value = value };

  g_return_val_if_fail (NAVETTE_IS_REPLICA (self), FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  replica_run_job_sync (self, set_meta_job, &meta);
  if (meta.error != NULL)
    {
      g_propagate_error (error, meta.error);
      return FALSE;
    }
  return TRUE;
}

char *
navette_replica_dup_meta (NavetteReplica  *self,
                          const char      *key,
                          GError         **error)
{
  Meta meta = { .key = key };

  g_return_val_if_fail (NAVETTE_IS_REPLICA (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  replica_run_job_sync (self, get_meta_job, &meta);
  if (meta.error != NULL)
    {
      g_propagate_error (error, meta.error);
      return NULL;
    }
  return meta.result;
}

/* ---- Counting a table's rows, off the main thread ---- */

typedef struct
{
  char   *app;
  char   *table;
  char  **created;
  GTask  *task;
} Count;

/* How many of @created (ids) table r@id does not hold. */
static gint64
count_absent (NavetteReplica  *self,
              gint64           id,
              char           **created,
              GError         **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  gint64 absent = 0;

  if (created == NULL || created[0] == NULL)
    return 0;
  sql = g_strdup_printf ("SELECT 1 FROM r%" G_GINT64_FORMAT " WHERE id = ?", id);
  if (!(stmt = replica_sql_prepare (self, sql, error)))
    return -1;
  for (guint i = 0; created[i] != NULL; i++)
    {
      sqlite3_bind_text (stmt, 1, created[i], -1, SQLITE_STATIC);
      absent += sqlite3_step (stmt) != SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  return absent;
}

static void
count_job (NavetteReplica *self,
           gpointer        data)
{
  Count *count = data;
  g_autoptr(GTask) task = count->task;
  GError *error = NULL;
  gint64 revision = -1;
  gint64 id = replica_lookup_table (self, count->app, count->table, &revision, NULL, &error);
  gint64 n = -1;

  if (id > 0 && revision >= 0)
    {
      /* The table's count (SQLite counts its smallest index's entries
       * without stepping them) less the archived rows (a range of the
       * index on archived): 6 ms for a million rows where stepping the
       * rows not archived took 45 ms. */
      g_autofree char *sql = g_strdup_printf ("SELECT (SELECT count(*) FROM r%1$" G_GINT64_FORMAT ") - "
                                              "(SELECT count(*) FROM r%1$" G_GINT64_FORMAT " WHERE archived = 1)", id);

      n = replica_sql_int (self, sql, &error);
      /* The records created here that the replica does not hold yet:
       * listed first (NavetteReplicaModel), so counted too. */
      if (error == NULL)
        {
          gint64 absent = count_absent (self, id, count->created, &error);

          n = error == NULL ? n + absent : -1;
        }
    }
  g_free (count->app);
  g_free (count->table);
  g_strfreev (count->created);
  g_free (count);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

void
navette_replica_count_async (NavetteReplica      *self,
                             const char          *app,
                             const char          *table,
                             const char * const  *created,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Count *count;

  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL && table != NULL);

  count = g_new0 (Count, 1);
  count->app = g_strdup (app);
  count->table = g_strdup (table);
  count->created = g_strdupv ((char **) created);
  count->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (count->task, navette_replica_count_async);
  replica_push_job (self, count_job, count);
}

gint64
navette_replica_count_finish (NavetteReplica  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return g_task_propagate_int (G_TASK (result), error);
}
