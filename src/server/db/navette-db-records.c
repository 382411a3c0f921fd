/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-records.c — the records of the content tables: reading
 * (lists, deltas, one record, its versions, and the list written as JSON
 * straight from the rows), and writing versions (create and its replays,
 * update, archive, revert, bulk create) with idempotency keys.
 *
 * Versioning: a write takes the record's lock (PostgreSQL: an advisory
 * lock; SQLite: nothing beyond BEGIN IMMEDIATE), reads the current
 * version, marks it obsolete and inserts version + 1, all in one write
 * transaction with its audit entry and idempotency key. The revision of
 * the new row is the table's revision it makes (the dialect's insert, and
 * the content table's triggers, see the drivers), so `since` deltas are
 * `revision > since`.
 *
 * Choices:
 * - create with an existing id compares the data with version 1 (what was
 *   created): equal → the record as it is now, created = FALSE; else
 *   CONFLICT.
 * - update with base_version newer than the current version → BAD_REQUEST
 *   (the client claims a version that was never written); base_version <= 0
 *   means "not given" (no superseded list). */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include <math.h>
#include <string.h>

#include "navette-db-private.h"

/* ------------------------------------------------------------------ */
/* Content tables                                                      */

void
navette_db_table_free (NavetteDbTable *table)
{
  if (table == NULL)
    return;
  g_free (table->app);
  g_free (table->tlm_name);
  g_free (table->sql_name);
  g_clear_pointer (&table->schema, navette_wire_table_free);
  g_free (table->select);
  g_free (table);
}

NavetteDbTable *
navette_db_table_load (NavetteDbConn  *conn,
                       const char     *app,
                       const char     *name,
                       GError        **error)
{
  g_autoptr(NavetteDbTable) table = navette_db_table_load_any (conn, app, name, error);

  if (table != NULL && table->archived)
    {
      navette_db_not_found (error, "No such table.");
      return NULL;
    }
  return g_steal_pointer (&table);
}

NavetteDbTable *
navette_db_table_load_any (NavetteDbConn  *conn,
                           const char     *app,
                           const char     *name,
                           GError        **error)
{
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  g_autoptr(NavetteDbStmt) stmt = NULL;
  g_autoptr(NavetteDbTable) table = NULL;
  g_autofree char *sql_name = NULL;
  GString *select;
  NavetteDbStep step;

  if (!navette_db_check_app_table (app, name, error))
    return NULL;
  stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_TABLE_LOAD, error);
  if (stmt == NULL)
    return NULL;
  navette_db_bind_text (stmt, 1, app);
  navette_db_bind_text (stmt, 2, name);
  if (!navette_db_step_row (stmt, error, NAVETTE_API_ERROR_NOT_FOUND, "No such table."))
    return NULL;

  table = g_new0 (NavetteDbTable, 1);
  table->id = navette_db_get_int (stmt, 0);
  table->archived = navette_db_get_bool (stmt, 10);
  table->app = g_strdup (app);
  table->tlm_name = g_strdup_printf ("%s.%s", app, name);
  sql_name = klass->table_name (app, name, table->id);
  table->sql_name = g_strdup_printf ("\"%s\"", sql_name);
  table->schema = navette_wire_table_new (name, navette_db_get_text (stmt, 1));
  do
    navette_db_add_column_from_row (table->schema->columns, stmt, 2);
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW);
  if (step != NAVETTE_DB_STEP_DONE)
    return NULL;

  /* The columns of NavetteDbRowColumn, then the data columns. */
  select = g_string_new ("SELECT record_id, version, revision, obsolete, archived, updated_at,"
                         " updated_by");
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", column->name);
      g_auto(GStrv) parts = NULL;

      g_string_append (select, ", ");
      if (column->type == NAVETTE_COLUMN_DATE)
        {
          g_autofree char *date = NULL;

          /* named after the column: a page selects from a derived table */
          parts = g_strsplit (klass->date_column, "@column", -1);
          date = g_strjoinv (quoted, parts);
          g_string_append_printf (select, "%s AS %s", date, quoted);
        }
      else
        g_string_append (select, quoted);
    }
  g_string_append_printf (select, " FROM %s", table->sql_name);
  table->select = g_string_free (select, FALSE);
  return g_steal_pointer (&table);
}

/* The select of @table's rows that match @where (after "WHERE"). */
static NavetteDbStmt *
prepare_select (NavetteDbConn   *conn,
                NavetteDbTable  *table,
                const char      *where,
                GError         **error)
{
  g_autofree char *sql = g_strdup_printf ("%s WHERE %s", table->select, where);

  return navette_db_prepare_text (conn, sql, error);
}

static NavetteWireRecord *
read_record (NavetteDbTable *table,
             NavetteDbStmt  *stmt)
{
  NavetteWireRecord *record = navette_wire_record_new ();

  record->id = navette_db_dup_text (stmt, NAVETTE_DB_ROW_RECORD_ID);
  record->version = navette_db_get_int (stmt, NAVETTE_DB_ROW_VERSION);
  record->revision = navette_db_get_int (stmt, NAVETTE_DB_ROW_REVISION);
  record->obsolete = navette_db_get_bool (stmt, NAVETTE_DB_ROW_OBSOLETE);
  record->archived = navette_db_get_bool (stmt, NAVETTE_DB_ROW_ARCHIVED);
  record->updated_at = navette_db_get_usec (stmt, NAVETTE_DB_ROW_UPDATED_AT);
  record->updated_by = navette_db_dup_text (stmt, NAVETTE_DB_ROW_UPDATED_BY);
  if (record->data == NULL)
    record->data = json_object_new ();
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);
      int index = NAVETTE_DB_ROW_DATA + (int) i;

      if (navette_db_is_null (stmt, index))
        {
          json_object_set_null_member (record->data, column->name);
          continue;
        }
      switch (navette_column_type_value_type (column->type))
        {
        case G_TYPE_INT64:
          json_object_set_int_member (record->data, column->name, navette_db_get_int (stmt, index));
          break;
        case G_TYPE_DOUBLE:
          json_object_set_double_member (record->data, column->name,
                                         stmt->klass->get_double (stmt, index));
          break;
        case G_TYPE_BOOLEAN:
          json_object_set_boolean_member (record->data, column->name, navette_db_get_bool (stmt, index));
          break;
        default:
          json_object_set_string_member (record->data, column->name, navette_db_get_text (stmt, index));
          break;
        }
    }
  return record;
}

/* The current version of @id (@version 0), or that version: NULL without
 * error when there is none. */
NavetteWireRecord *
navette_db_fetch_record (NavetteDbConn   *conn,
                         NavetteDbTable  *table,
                         const char      *id,
                         gint64           version,
                         GError         **error)
{
  g_autofree char *where = NULL;
  g_autoptr(NavetteDbStmt) stmt = NULL;

  if (version > 0)
    where = g_strdup ("record_id = ?1 AND version = ?2");
  else
    where = g_strdup_printf ("record_id = ?1 AND %s", NAVETTE_DB_GET_CLASS (conn->db)->current);
  stmt = prepare_select (conn, table, where, error);
  if (stmt == NULL)
    return NULL;
  navette_db_bind_text (stmt, 1, id);
  if (version > 0)
    navette_db_bind_int (stmt, 2, version);
  if (navette_db_step (stmt, error) != NAVETTE_DB_STEP_ROW)
    return NULL;
  return read_record (table, stmt);
}

/* fetch_record(), failing with a NOT_FOUND @message when there is none. */
static NavetteWireRecord *
fetch_record_or (NavetteDbConn   *conn,
                 NavetteDbTable  *table,
                 const char      *id,
                 gint64           version,
                 const char      *message,
                 GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  NavetteWireRecord *record = navette_db_fetch_record (conn, table, id, version, &local_error);

  if (record == NULL && local_error == NULL)
    navette_db_not_found (&local_error, message);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return record;
}

/* The table of the record @id: NULL with NOT_FOUND also when @id is not a
 * UUID (no record has such an id). */
static NavetteDbTable *
load_record_table (NavetteDbConn  *conn,
                   const char     *app,
                   const char     *table,
                   const char     *id,
                   GError        **error)
{
  g_autoptr(NavetteDbTable) loaded = navette_db_table_load (conn, app, table, error);

  if (loaded == NULL)
    return NULL;
  if (!navette_uuid_is_valid (id))
    {
      navette_db_not_found (error, "No such record.");
      return NULL;
    }
  return g_steal_pointer (&loaded);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

typedef struct
{
  const char          *app;
  const char          *table;
  const char          *id;
  gint64               since;
  NavetteDbTableState *state;
  GString             *json;   /* record_list_json: the output */
  gsize                start;  /* json->len before the first attempt */
  GPtrArray           *list;
} ReadOp;

/* The revision and last_update of @table (0 when never written). */
static gboolean
read_table_state (NavetteDbConn   *conn,
                  NavetteDbTable  *table,
                  gint64          *revision,
                  gint64          *last_update,
                  GError         **error)
{
  g_autoptr(NavetteDbStmt) state = navette_db_prepare (conn, NAVETTE_DB_SQL_TLM_GET, error);
  NavetteDbStep step;

  *revision = *last_update = 0;
  if (state == NULL)
    return FALSE;
  navette_db_bind_text (state, 1, table->tlm_name);
  step = navette_db_step (state, error);
  if (step == NAVETTE_DB_STEP_ROW)
    {
      *revision = navette_db_get_int (state, 0);
      *last_update = navette_db_get_usec (state, 1);
    }
  return step != NAVETTE_DB_STEP_ERROR;
}

/* Reads the table's state and walks its current rows (those past
 * revision op->since when it is >= 0), in one snapshot: the revision read
 * covers exactly the rows listed. Each row goes to op->json, or else to
 * op->list. */
static gboolean
list_op (NavetteDbConn  *conn,
         gpointer        data,
         GError        **error)
{
  ReadOp *op = data;
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  g_autoptr(NavetteDbTable) table = navette_db_table_load (conn, op->app, op->table, error);
  g_autoptr(NavetteDbStmt) rows = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *where = NULL;
  gint64 revision = 0;
  gint64 last_update = 0;
  NavetteDbStep step;

  if (table == NULL || !read_table_state (conn, table, &revision, &last_update, error))
    return FALSE;

  if (op->since >= 0)
    where = g_strdup_printf ("%s AND revision > ?1 ORDER BY revision", klass->current);
  else
    where = g_strdup_printf ("%s ORDER BY %s", klass->current, klass->list_order);
  rows = prepare_select (conn, table, where, error);
  if (rows == NULL)
    return FALSE;
  if (op->since >= 0)
    navette_db_bind_int (rows, 1, op->since);

  if (op->json != NULL)
    {
      gboolean first = TRUE;

      /* an attempt made again starts over */
      g_string_truncate (op->json, op->start);
      g_string_append_c (op->json, '[');
      while ((step = navette_db_step (rows, error)) == NAVETTE_DB_STEP_ROW)
        {
          if (!first)
            g_string_append_c (op->json, ',');
          first = FALSE;
          navette_db_append_row_json (table, rows, op->json);
        }
      g_string_append_c (op->json, ']');
    }
  else
    {
      records = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
      while ((step = navette_db_step (rows, error)) == NAVETTE_DB_STEP_ROW)
        g_ptr_array_add (records, read_record (table, rows));
    }
  if (step != NAVETTE_DB_STEP_DONE)
    return FALSE;

  if (op->state != NULL)
    {
      g_free (op->state->table);
      op->state->table = g_strdup (op->table);
      op->state->revision = revision;
      op->state->last_update = last_update;
    }
  if (records != NULL)
    navette_db_answer_list (&op->list, g_steal_pointer (&records));
  return TRUE;
}

/* Runs @func, a read of op->app.op->table in one snapshot; when it
 * fails, frees with @free_out what it may have left in *@out. */
static gboolean
run_read (NavetteDb       *self,
          NavetteDbOp      func,
          ReadOp          *op,
          gpointer        *out,
          GDestroyNotify   free_out,
          GError         **error)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (op->app != NULL, FALSE);
  g_return_val_if_fail (op->table != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (navette_db_run (self, NAVETTE_DB_SNAPSHOT, func, op, error))
    return TRUE;
  if (out != NULL)
    g_clear_pointer (out, free_out);
  return FALSE;
}

GPtrArray *
navette_db_record_list (NavetteDb            *self,
                        const char           *app,
                        const char           *table,
                        gint64                since,
                        NavetteDbTableState  *state,
                        GError              **error)
{
  ReadOp op = { .app = app, .table = table, .since = since, .state = state };

  if (!run_read (self, list_op, &op, (gpointer *) &op.list, (GDestroyNotify) g_ptr_array_unref, error))
    return NULL;
  return op.list;
}

gboolean
navette_db_record_list_json (NavetteDb            *self,
                             const char           *app,
                             const char           *table,
                             gint64                since,
                             NavetteDbTableState  *state,
                             GString              *out,
                             GError              **error)
{
  ReadOp op = { .app = app, .table = table, .since = since, .state = state, .json = out };

  g_return_val_if_fail (out != NULL, FALSE);
  op.start = out->len;
  return run_read (self, list_op, &op, NULL, NULL, error);
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */

/* A cursor is the page's kind and a few integers, "K.N.N…" in base64url
 * without padding: opaque to clients, which only hand it back. */
#define CURSOR_MAX_NUMBERS 4

static char *
cursor_encode (char          kind,
               guint         n,
               const gint64 *numbers)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *base64 = NULL;

  g_string_append_c (text, kind);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, ".%" G_GINT64_FORMAT, numbers[i]);
  base64 = g_base64_encode ((const guchar *) text->str, text->len);
  g_strdelimit (base64, "+", '-');
  g_strdelimit (base64, "/", '_');
  g_strdelimit (base64, "=", '\0');
  return g_strdup (base64);
}

/* The @n numbers (each >= 0) of a cursor of @kind: FALSE, BAD_REQUEST,
 * when @cursor is not one. */
static gboolean
cursor_decode (const char  *cursor,
               char         kind,
               guint        n,
               gint64      *numbers,
               GError     **error)
{
  g_autofree char *base64 = NULL;
  g_autofree guchar *raw = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len = strlen (cursor);
  gsize raw_len = 0;

  if (len == 0 || len > 128 || strspn (cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                               "0123456789-_") != len || len % 4 == 1)
    goto invalid;
  base64 = g_strnfill (len + (4 - len % 4) % 4, '=');
  memcpy (base64, cursor, len);
  g_strdelimit (base64, "-", '+');
  g_strdelimit (base64, "_", '/');
  raw = g_base64_decode (base64, &raw_len);
  text = g_strndup ((const char *) raw, raw_len);
  if (strlen (text) != raw_len || raw_len < 2 || text[0] != kind || text[1] != '.')
    goto invalid;
  parts = g_strsplit (text + 2, ".", -1);
  if (g_strv_length (parts) != n)
    goto invalid;
  for (guint i = 0; i < n; i++)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXINT64, &value, NULL))
        goto invalid;
      numbers[i] = (gint64) value;
    }
  return TRUE;

invalid:
  g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                       "“after” is not a cursor of this list.");
  return FALSE;
}

typedef struct
{
  const char          *app;
  const char          *table;
  const char          *id;      /* versions: the record */
  const NavetteDbPage *page;
  NavetteDbTableState *state;
  GString             *json;    /* the records' output */
  gsize                start;   /* json->len before the first attempt */
  GPtrArray           *list;    /* versions: the output */
  char                *next;
} PageOp;

/* The rows of a page of a walk at revision ?2 past the revision ?1, at
 * most ?3 of them, in ascending revision: the current rows written at
 * or before ?2, and, for the records changed since, the version that was
 * current at ?2 (the last one written at or before it: a record's
 * versions are written in ascending revision). Both parts go through an
 * index: the current rows' revision (SQLite (obsolete, revision),
 * PostgreSQL (revision) WHERE NOT obsolete), then the record's
 * (record_id, version); the second is only as long as what changed since
 * the walk began. */
static char *
page_sql (NavetteDbTable *table,
          const char     *current)
{
  return g_strdup_printf ("SELECT * FROM (%s WHERE %s AND revision > ?1 AND revision <= ?2"
                          " ORDER BY revision LIMIT ?3) AS now_current"
                          " UNION ALL"
                          " SELECT * FROM (%s WHERE record_id IN"
                          " (SELECT record_id FROM %s WHERE %s AND revision > ?2)"
                          " AND revision > ?1 AND revision <= ?2"
                          " AND NOT EXISTS (SELECT 1 FROM %s AS later WHERE later.record_id = %s.record_id"
                          " AND later.version = %s.version + 1 AND later.revision <= ?2)"
                          " ORDER BY revision LIMIT ?3) AS then_current"
                          " ORDER BY revision LIMIT ?3",
                          table->select, current,
                          table->select, table->sql_name, current,
                          table->sql_name, table->sql_name, table->sql_name);
}

/* One page of a walk (the struct's comment in navette-db.h). The cursor
 * holds the table's id, the walk's revision and last_update, and the
 * revision of the last row given. */
static gboolean
page_op (NavetteDbConn  *conn,
         gpointer        data,
         GError        **error)
{
  PageOp *op = data;
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  const NavetteDbPage *page = op->page;
  g_autoptr(NavetteDbTable) table = navette_db_table_load (conn, op->app, op->table, error);
  g_autoptr(NavetteDbStmt) rows = NULL;
  g_autofree char *sql = NULL;
  gint64 cursor[CURSOR_MAX_NUMBERS] = { 0, };
  gint64 revision = 0, last_update = 0, past, last = 0;
  gint64 limit = page->limit > 0 ? (gint64) page->limit : G_MAXINT64 - 1;
  gint64 n = 0;
  NavetteDbStep step;

  if (table == NULL || !read_table_state (conn, table, &revision, &last_update, error))
    return FALSE;
  past = MAX (page->since, 0);
  if (page->after != NULL)
    {
      if (!cursor_decode (page->after, 'l', 4, cursor, error))
        return FALSE;
      /* of another table, or of a revision this one never had */
      if (cursor[0] != table->id || cursor[1] > revision)
        return cursor_decode ("", 'l', 4, cursor, error);
      revision = cursor[1];
      last_update = cursor[2];
      past = MAX (past, cursor[3]);
    }

  sql = page_sql (table, klass->current);
  rows = navette_db_prepare_text (conn, sql, error);
  if (rows == NULL)
    return FALSE;
  navette_db_bind_int (rows, 1, past);
  navette_db_bind_int (rows, 2, revision);
  /* one row more than the page: whether there is a page after it */
  navette_db_bind_int (rows, 3, limit + 1);

  /* an attempt made again starts over */
  g_string_truncate (op->json, op->start);
  g_string_append_c (op->json, '[');
  g_clear_pointer (&op->next, g_free);
  while ((step = navette_db_step (rows, error)) == NAVETTE_DB_STEP_ROW)
    {
      if (n == limit)
        {
          gint64 numbers[4] = { table->id, revision, last_update, last };

          op->next = cursor_encode ('l', 4, numbers);
          step = NAVETTE_DB_STEP_DONE;
          break;
        }
      if (n > 0)
        g_string_append_c (op->json, ',');
      navette_db_append_row_json (table, rows, op->json);
      last = navette_db_get_int (rows, NAVETTE_DB_ROW_REVISION);
      n++;
    }
  g_string_append_c (op->json, ']');
  if (step != NAVETTE_DB_STEP_DONE)
    return FALSE;

  g_free (op->state->table);
  op->state->table = g_strdup (op->table);
  op->state->revision = revision;
  op->state->last_update = last_update;
  return TRUE;
}

gboolean
navette_db_record_page_json (NavetteDb            *self,
                             const char           *app,
                             const char           *table,
                             const NavetteDbPage  *page,
                             NavetteDbTableState  *state,
                             GString              *out,
                             char                **next,
                             GError              **error)
{
  PageOp op = { .app = app, .table = table, .page = page, .state = state, .json = out };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (app != NULL && table != NULL, FALSE);
  g_return_val_if_fail (page != NULL && state != NULL && out != NULL, FALSE);
  g_return_val_if_fail (next != NULL && *next == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op.start = out->len;
  if (!navette_db_run (self, NAVETTE_DB_SNAPSHOT, page_op, &op, error))
    {
      g_free (op.next);
      return FALSE;
    }
  *next = op.next;
  return TRUE;
}

/* A page of a record's versions, newest first: those older than the
 * version in the cursor (the last one given). */
static gboolean
versions_page_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  PageOp *op = data;
  g_autoptr(NavetteDbTable) table = load_record_table (conn, op->app, op->table, op->id, error);
  g_autoptr(NavetteDbStmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
  gint64 limit = op->page->limit > 0 ? (gint64) op->page->limit : G_MAXINT64 - 1;
  gint64 cursor[2] = { 0, G_MAXINT64 };
  NavetteDbStep step;

  if (table == NULL)
    return FALSE;
  if (op->page->after != NULL &&
      (!cursor_decode (op->page->after, 'v', 2, cursor, error) ||
       (cursor[0] != table->id && !cursor_decode ("", 'v', 2, cursor, error))))
    return FALSE;
  stmt = prepare_select (conn, table, "record_id = ?1 AND version < ?2 ORDER BY version DESC LIMIT ?3",
                         error);
  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->id);
  navette_db_bind_int (stmt, 2, cursor[1]);
  navette_db_bind_int (stmt, 3, limit + 1);
  g_clear_pointer (&op->next, g_free);
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    {
      if ((gint64) rows->len == limit)
        {
          gint64 numbers[2] = { table->id, ((NavetteWireRecord *) g_ptr_array_index (rows, rows->len - 1))->version };

          op->next = cursor_encode ('v', 2, numbers);
          step = NAVETTE_DB_STEP_DONE;
          break;
        }
      g_ptr_array_add (rows, read_record (table, stmt));
    }
  if (step != NAVETTE_DB_STEP_DONE)
    return FALSE;
  if (rows->len == 0)
    return navette_db_not_found (error, "No such record.");
  return navette_db_answer_list (&op->list, g_steal_pointer (&rows));
}

GPtrArray *
navette_db_record_versions_page (NavetteDb    *self,
                                 const char   *app,
                                 const char   *table,
                                 const char   *id,
                                 guint         limit,
                                 const char   *after,
                                 char        **next,
                                 GError      **error)
{
  NavetteDbPage page = { .since = -1, .limit = limit, .after = after };
  PageOp op = { .app = app, .table = table, .id = id, .page = &page };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (app != NULL && table != NULL && id != NULL, NULL);
  g_return_val_if_fail (next == NULL || *next == NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!navette_db_run (self, NAVETTE_DB_SNAPSHOT, versions_page_op, &op, error))
    {
      g_clear_pointer (&op.list, g_ptr_array_unref);
      g_free (op.next);
      return NULL;
    }
  if (next != NULL)
    *next = op.next;
  else
    g_free (op.next);
  return op.list;
}

/* The current version of the record op->id, in op->list; NOT_FOUND when
 * there is none. */
static gboolean
record_get_op (NavetteDbConn  *conn,
               gpointer        data,
               GError        **error)
{
  ReadOp *op = data;
  g_autoptr(NavetteDbTable) table = load_record_table (conn, op->app, op->table, op->id, error);
  g_autoptr(NavetteWireRecord) record = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);

  if (table == NULL)
    return FALSE;
  record = fetch_record_or (conn, table, op->id, 0, "No such record.", error);
  if (record == NULL)
    return FALSE;
  g_ptr_array_add (rows, g_steal_pointer (&record));
  return navette_db_answer_list (&op->list, g_steal_pointer (&rows));
}

NavetteWireRecord *
navette_db_record_get (NavetteDb   *self,
                       const char  *app,
                       const char  *table,
                       const char  *id,
                       GError     **error)
{
  ReadOp op = { .app = app, .table = table, .id = id };
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (id != NULL, NULL);
  if (!run_read (self, record_get_op, &op, (gpointer *) &op.list,
                 (GDestroyNotify) g_ptr_array_unref, error))
    return NULL;
  rows = op.list;
  return navette_wire_record_ref (g_ptr_array_index (rows, 0));
}

GPtrArray *
navette_db_record_versions (NavetteDb   *self,
                            const char  *app,
                            const char  *table,
                            const char  *id,
                            GError     **error)
{
  return navette_db_record_versions_page (self, app, table, id, 0, NULL, NULL, error);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

typedef struct
{
  const char                 *app;
  const char                 *table;
  const char                 *id;
  gint64                      version;       /* revert: the version to go back to */
  gint64                      base_version;
  JsonObject                 *data;
  GPtrArray                  *rows;          /* create_many: of JsonObject* */
  int                         archived;
  const char                 *user;
  const NavetteDbIdempotency *idem;
  NavetteDbValidateFunc       validate;
  gpointer                    validate_data;
  GHashTable                 *fields;        /* revert: what does not fit the schema */
  NavetteDbWriteResult       *result;
} WriteOp;

static gboolean
json_value_is_null (JsonNode *node)
{
  return node == NULL || !JSON_NODE_HOLDS_VALUE (node);
}

static gboolean
json_values_equal (NavetteColumnType  type,
                   JsonNode          *a,
                   JsonNode          *b)
{
  if (json_value_is_null (a) || json_value_is_null (b))
    return json_value_is_null (a) == json_value_is_null (b);

  switch (navette_column_type_value_type (type))
    {
    case G_TYPE_INT64:
      return json_node_get_int (a) == json_node_get_int (b);
    case G_TYPE_DOUBLE:
      return json_node_get_double (a) == json_node_get_double (b);
    case G_TYPE_BOOLEAN:
      return !json_node_get_boolean (a) == !json_node_get_boolean (b);
    default:
      return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
    }
}

/* Binds @node, a value of @column (validated), to @index. */
void
navette_db_bind_value (NavetteDbStmt           *stmt,
                 int                      index,
                 const NavetteWireColumn *column,
                 JsonNode                *node)
{
  if (json_value_is_null (node))
    {
      navette_db_bind_text (stmt, index, NULL);
      return;
    }
  switch (navette_column_type_value_type (column->type))
    {
    case G_TYPE_INT64:
      navette_db_bind_int (stmt, index, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      stmt->klass->bind_double (stmt, index, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      navette_db_bind_bool (stmt, index, json_node_get_boolean (node));
      break;
    default:
      navette_db_bind_text (stmt, index, json_node_get_value_type (node) == G_TYPE_STRING
                                         ? json_node_get_string (node) : NULL);
      break;
    }
}

/* @node, a value of @column (validated), as reading it back gives it: a
 * real column's integer becomes a real. */
static JsonNode *
stored_value (const NavetteWireColumn *column,
              JsonNode                *node)
{
  if (json_value_is_null (node))
    return json_node_new (JSON_NODE_NULL);
  if (column->type == NAVETTE_COLUMN_REAL)
    return json_node_init_double (json_node_alloc (), json_node_get_double (node));
  return json_node_copy (node);
}

/* Inserts version @version of @id with @data: the new record, with the
 * revision and time the database gave it. */
static NavetteWireRecord *
insert_version (NavetteDbConn   *conn,
                NavetteDbTable  *table,
                const char      *id,
                gint64           version,
                gboolean         archived,
                JsonObject      *data,
                const char      *user,
                gint64           now,
                GError         **error)
{
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GString) values = g_string_new (NULL);
  g_autoptr(NavetteDbStmt) stmt = NULL;
  g_autoptr(NavetteWireRecord) record = navette_wire_record_new ();

  g_string_append_printf (sql, "INSERT INTO %s (record_id, version, archived, updated_by%s",
                          table->sql_name, klass->insert_columns);
  g_string_append_printf (values, "?1, ?2, ?3, ?4%s", klass->insert_values);
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);

      g_string_append_printf (sql, ", \"%s\"", column->name);
      g_string_append_printf (values, ", ?%u", i + 7);
    }
  g_string_append_printf (sql, ") VALUES (%s) RETURNING revision, updated_at", values->str);

  stmt = navette_db_prepare_text (conn, sql->str, error);
  if (stmt == NULL)
    return NULL;
  navette_db_bind_text (stmt, 1, id);
  navette_db_bind_int (stmt, 2, version);
  navette_db_bind_bool (stmt, 3, archived);
  navette_db_bind_text (stmt, 4, user);
  navette_db_bind_int (stmt, 5, now);
  navette_db_bind_text (stmt, 6, table->tlm_name);
  if (record->data == NULL)
    record->data = json_object_new ();
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);
      JsonNode *node = data != NULL ? json_object_get_member (data, column->name) : NULL;

      navette_db_bind_value (stmt, (int) i + 7, column, node);
      json_object_set_member (record->data, column->name, stored_value (column, node));
    }
  if (!navette_db_step_row (stmt, error, NAVETTE_API_ERROR_INTERNAL, "The new version cannot be read back."))
    return NULL;

  record->id = g_strdup (id);
  record->version = version;
  record->revision = navette_db_get_int (stmt, 0);
  record->updated_at = navette_db_get_usec (stmt, 1);
  record->archived = archived;
  record->updated_by = g_strdup (user);
  return g_steal_pointer (&record);
}

/* The start of every record write: answers a replay of op->idem
 * (op->result set, nothing else done), or else loads the table into
 * *@table, takes the record's lock and reads its current version into
 * *@current (NULL when there is none). */
static gboolean
begin_write (NavetteDbConn      *conn,
             WriteOp            *op,
             NavetteDbTable    **table,
             NavetteWireRecord **current,
             GError            **error)
{
  NavetteDbWriteResult *replay = NULL;

  if (!navette_db_idem_lookup (conn, op->user, op->idem, &replay, error))
    return FALSE;
  g_clear_pointer (&op->result, navette_db_write_result_free);
  op->result = replay;
  if (replay != NULL)
    return TRUE;

  *table = load_record_table (conn, op->app, op->table, op->id, error);
  if (*table == NULL)
    return FALSE;
  if (!navette_db_lock_record (conn, (*table)->id, op->id, error))
    return FALSE;
  *current = navette_db_fetch_record (conn, *table, op->id, 0, error);
  return *current != NULL || error == NULL || *error == NULL;
}

/* The end of a record write that wrote result->record: audits it as
 * @action (from @from_version, with @detail) and stores op->idem. */
static gboolean
end_write (NavetteDbConn         *conn,
           WriteOp               *op,
           NavetteDbTable        *table,
           NavetteDbWriteResult  *result,
           gint64                 now,
           const char            *action,
           gint64                 from_version,
           const char            *detail,
           GError               **error)
{
  if (!navette_db_audit_add (conn, now, op->user, action, table->app, table->schema->name,
                             result->record->id, from_version, result->record->version, detail,
                             error) ||
      !navette_db_idem_store (conn, op->user, op->idem, table, result, now, error))
    return FALSE;
  op->result = result;
  return TRUE;
}

/* The answer to a create of an id that exists: the record as it is now if
 * the data is what version 1 had, else CONFLICT. */
static gboolean
replay_create (NavetteDbConn      *conn,
               WriteOp            *op,
               NavetteDbTable     *table,
               NavetteWireRecord  *current,
               GError            **error)
{
  g_autoptr(NavetteWireRecord) first = NULL;
  g_autoptr(NavetteDbWriteResult) result = g_new0 (NavetteDbWriteResult, 1);

  first = current->version == 1 ? navette_wire_record_ref (current)
                                : fetch_record_or (conn, table, op->id, 1, "No such record.", error);
  if (first == NULL)
    return FALSE;
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);

      if (!json_values_equal (column->type, json_object_get_member (op->data, column->name),
                              json_object_get_member (first->data, column->name)))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                               "A record with this id already exists with other data.");
          return FALSE;
        }
    }
  result->record = navette_wire_record_ref (current);
  if (!navette_db_idem_store (conn, op->user, op->idem, table, result, g_get_real_time (), error))
    return FALSE;
  op->result = g_steal_pointer (&result);
  return TRUE;
}

static gboolean
record_create_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  WriteOp *op = data;
  g_autoptr(NavetteDbTable) table = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  gint64 now = g_get_real_time ();

  if (!begin_write (conn, op, &table, &current, error))
    return FALSE;
  if (op->result != NULL)
    return TRUE;
  if (current != NULL)
    return replay_create (conn, op, table, current, error);

  result = g_new0 (NavetteDbWriteResult, 1);
  result->created = TRUE;
  result->record = insert_version (conn, table, op->id, 1, FALSE, op->data, op->user, now, error);
  if (result->record == NULL ||
      !end_write (conn, op, table, result, now, "create", 0, NULL, error))
    return FALSE;
  g_steal_pointer (&result);
  return TRUE;
}

/* Runs @func, a record write: its answer, or NULL. */
static NavetteDbWriteResult *
run_write (NavetteDb    *self,
           NavetteDbOp   func,
           WriteOp      *op,
           GError      **error)
{
  if (!navette_db_check_app_table (op->app, op->table, error))
    return NULL;
  return navette_db_run_taking (self, NAVETTE_DB_WRITE, func, op, (gpointer *) &op->result,
                                (GDestroyNotify) navette_db_write_result_free, error);
}

NavetteDbWriteResult *
navette_db_record_create (NavetteDb                   *self,
                          const char                  *app,
                          const char                  *table,
                          const char                  *id,
                          JsonObject                  *data,
                          const char                  *user,
                          const NavetteDbIdempotency  *idem,
                          GError                     **error)
{
  g_autofree char *new_id = NULL;
  WriteOp op = { .app = app, .table = table, .id = id, .data = data, .user = user, .idem = idem };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!navette_db_check_app_table (app, table, error))
    return NULL;
  if (id == NULL)
    op.id = new_id = navette_uuid_new ();
  else if (!navette_uuid_is_valid (id))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A record id must be a lowercase UUID.");
      return NULL;
    }
  return run_write (self, record_create_op, &op, error);
}

/* Writes version current + 1 of op->id with @data and @archived, marking
 * @current obsolete first, then ends the write (end_write()). */
static gboolean
write_next_version (NavetteDbConn         *conn,
                    WriteOp               *op,
                    NavetteDbTable        *table,
                    NavetteWireRecord     *current,
                    JsonObject            *data,
                    gboolean               archived,
                    const char            *action,
                    const char            *detail,
                    GArray                *superseded,
                    GError               **error)
{
  g_autoptr(NavetteDbWriteResult) result = g_new0 (NavetteDbWriteResult, 1);
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET obsolete = TRUE WHERE record_id = ?1"
                                          " AND version = ?2 AND %s", table->sql_name,
                                          NAVETTE_DB_GET_CLASS (conn->db)->current);
  g_autoptr(NavetteDbStmt) obsolete = navette_db_prepare_text (conn, sql, error);
  gint64 now = g_get_real_time ();

  result->superseded = superseded;
  if (obsolete == NULL)
    return FALSE;
  navette_db_bind_text (obsolete, 1, current->id);
  navette_db_bind_int (obsolete, 2, current->version);
  if (!navette_db_step_once (conn, obsolete, error))
    return FALSE;
  result->record = insert_version (conn, table, current->id, current->version + 1, archived, data,
                                   op->user, now, error);
  if (result->record == NULL ||
      !end_write (conn, op, table, result, now, action, current->version, detail, error))
    return FALSE;
  g_steal_pointer (&result);
  return TRUE;
}

/* BAD_REQUEST when an update's @base_version is newer than the current
 * version: the client claims a version that was never written. */
static gboolean
check_base_version (gint64   base_version,
                    gint64   current_version,
                    GError **error)
{
  if (base_version <= current_version)
    return TRUE;
  g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
               "base_version %" G_GINT64_FORMAT " is newer than the current version %"
               G_GINT64_FORMAT ".", base_version, current_version);
  return FALSE;
}

/* The versions an update from @base_version superseded: base_version + 1
 * … @current_version, or NULL when @base_version is 0 (not given) or not
 * older than @current_version. */
static GArray *
superseded_versions (gint64 base_version,
                     gint64 current_version)
{
  GArray *versions;

  if (base_version <= 0 || base_version >= current_version)
    return NULL;
  versions = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (gint64 v = base_version + 1; v <= current_version; v++)
    g_array_append_val (versions, v);
  return versions;
}

/* The data of an update: for each column, its value in @changes, else in
 * @current, else null; members that are not columns are left out. */
static JsonObject *
merge_data (const NavetteWireTable *schema,
            JsonObject             *current,
            JsonObject             *changes)
{
  JsonObject *merged = json_object_new ();

  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      JsonNode *node = NULL;

      if (changes != NULL && json_object_has_member (changes, column->name))
        node = json_object_get_member (changes, column->name);
      else if (current != NULL && json_object_has_member (current, column->name))
        node = json_object_get_member (current, column->name);
      json_object_set_member (merged, column->name,
                              node != NULL ? json_node_copy (node) : json_node_new (JSON_NODE_NULL));
    }
  return merged;
}

static gboolean
record_update_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  WriteOp *op = data;
  g_autoptr(NavetteDbTable) table = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(JsonObject) merged = NULL;
  gboolean archived;

  if (!begin_write (conn, op, &table, &current, error))
    return FALSE;
  if (op->result != NULL)
    return TRUE;
  if (current == NULL)
    return navette_db_not_found (error, "No such record.");
  if (!check_base_version (op->base_version, current->version, error))
    return FALSE;

  merged = merge_data (table->schema, current->data, op->data);
  if (op->validate != NULL && !op->validate (merged, op->validate_data, error))
    return FALSE;
  archived = op->archived < 0 ? current->archived : op->archived != 0;
  return write_next_version (conn, op, table, current, merged, archived,
                             archived && !current->archived ? "archive" : "update", NULL,
                             superseded_versions (op->base_version, current->version), error);
}

NavetteDbWriteResult *
navette_db_record_update (NavetteDb                   *self,
                          const char                  *app,
                          const char                  *table,
                          const char                  *id,
                          gint64                       base_version,
                          JsonObject                  *data,
                          int                          archived,
                          const char                  *user,
                          const NavetteDbIdempotency  *idem,
                          NavetteDbValidateFunc        validate,
                          gpointer                     validate_data,
                          GError                     **error)
{
  WriteOp op = { .app = app, .table = table, .id = id, .base_version = base_version, .data = data,
                 .archived = archived, .user = user, .idem = idem, .validate = validate,
                 .validate_data = validate_data };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (archived >= -1 && archived <= 1, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return run_write (self, record_update_op, &op, error);
}

static gboolean
record_revert_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  WriteOp *op = data;
  g_autoptr(NavetteDbTable) table = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(NavetteWireRecord) target = NULL;
  g_autoptr(JsonObject) merged = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *detail = NULL;

  if (!begin_write (conn, op, &table, &current, error))
    return FALSE;
  if (op->result != NULL)
    return TRUE;
  if (current == NULL)
    return navette_db_not_found (error, "No such record.");
  missing = g_strdup_printf ("This record has no version %" G_GINT64_FORMAT ".", op->version);
  if (op->version <= 0)
    return navette_db_not_found (error, missing);
  target = fetch_record_or (conn, table, op->id, op->version, missing, error);
  if (target == NULL)
    return FALSE;

  /* The schema may have changed since that version was written: its data
   * must fit the table as it is now, as an update's merged data must
   * (columns added since are null). */
  merged = merge_data (table->schema, target->data, NULL);
  g_clear_pointer (&op->fields, g_hash_table_unref);
  if (!navette_wire_validate_data (table->schema, merged, TRUE, &op->fields))
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_VALIDATION_FAILED,
                                    NAVETTE_API_REASON_VERSION_MISFIT,
                                    "The data of version %" G_GINT64_FORMAT " does not fit the table as it is now.",
                                    op->version);
      return FALSE;
    }

  detail = g_strdup_printf ("reverted to version %" G_GINT64_FORMAT, op->version);
  return write_next_version (conn, op, table, current, merged, target->archived, "revert",
                             detail, NULL, error);
}

NavetteDbWriteResult *
navette_db_record_revert (NavetteDb                   *self,
                          const char                  *app,
                          const char                  *table,
                          const char                  *id,
                          gint64                       version,
                          const char                  *user,
                          const NavetteDbIdempotency  *idem,
                          GHashTable                 **fields,
                          GError                     **error)
{
  WriteOp op = { .app = app, .table = table, .id = id, .version = version, .user = user,
                 .idem = idem };
  g_autoptr(GError) local_error = NULL;
  NavetteDbWriteResult *result;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (fields == NULL || *fields == NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = run_write (self, record_revert_op, &op, &local_error);
  if (result == NULL)
    {
      if (fields != NULL &&
          g_error_matches (local_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_VALIDATION_FAILED))
        *fields = g_steal_pointer (&op.fields);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  g_clear_pointer (&op.fields, g_hash_table_unref);
  return result;
}

static gboolean
record_create_many_op (NavetteDbConn  *conn,
                       gpointer        data,
                       GError        **error)
{
  WriteOp *op = data;
  g_autoptr(NavetteDbTable) table = navette_db_table_load (conn, op->app, op->table, error);
  gint64 now = g_get_real_time ();

  if (table == NULL)
    return FALSE;
  for (guint i = 0; i < op->rows->len; i++)
    {
      g_autofree char *id = navette_uuid_new ();
      g_autoptr(NavetteWireRecord) record = NULL;

      record = insert_version (conn, table, id, 1, FALSE, g_ptr_array_index (op->rows, i), op->user,
                               now, error);
      if (record == NULL ||
          !navette_db_audit_add (conn, now, op->user, "create", table->app, table->schema->name, id,
                                 0, 1, NULL, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
navette_db_record_create_many (NavetteDb   *self,
                               const char  *app,
                               const char  *table,
                               GPtrArray   *data,
                               const char  *user,
                               GError     **error)
{
  WriteOp op = { .app = app, .table = table, .rows = data, .user = user };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return navette_db_run (self, NAVETTE_DB_WRITE, record_create_many_op, &op, error);
}

gboolean
navette_db_count_misfits (NavetteDbConn            *conn,
                          NavetteDbTable           *table,
                          const NavetteWireColumn  *column,
                          gint64                   *count,
                          GError                  **error)
{
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  g_autoptr(NavetteDbStmt) stmt = prepare_select (conn, table, klass->current, error);
  NavetteDbStep step;

  *count = 0;
  if (stmt == NULL)
    return FALSE;
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    {
      g_autoptr(NavetteWireRecord) record = read_record (table, stmt);
      JsonNode *node = json_object_get_member (record->data, column->name);
      g_autofree char *problem = NULL;
      g_autoptr(JsonNode) null = NULL;

      if (node == NULL)
        node = null = json_node_new (JSON_NODE_NULL);
      problem = navette_wire_column_problem (column, node);
      if (problem != NULL)
        (*count)++;
    }
  return step == NAVETTE_DB_STEP_DONE;
}

gboolean
navette_db_set_current_value (NavetteDbConn            *conn,
                              NavetteDbTable           *table,
                              const NavetteWireColumn  *column,
                              JsonNode                 *value,
                              GError                  **error)
{
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET \"%s\" = ?1 WHERE %s",
                                          table->sql_name, column->name, klass->current);
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare_text (conn, sql, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_value (stmt, 1, column, value);
  return navette_db_step_done (stmt, error);
}
