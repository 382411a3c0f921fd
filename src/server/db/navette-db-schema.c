/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-schema.c — applications and the schemas of their tables
 * (every check on names, titles and columns), and the light check: the
 * revision and last update of a table, or of every table of an
 * application. */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include "navette-db-private.h"

/* Column names a content table keeps for the record's own fields (and
 * that SQLite gives every table). */
static const char * const reserved_columns[] = {
  "row_id", "record_id", "version", "obsolete", "archived",
  "updated_at", "updated_by", "revision", "rowid", "oid", NULL
};

typedef struct _AppRows AppRows;

typedef struct
{
  const char              *actor;
  const char              *app;
  const char              *title;
  const char              *table;
  const NavetteWireTable  *schema;
  const NavetteWireColumn *column;
  NavetteDbTableState     *state;
  const AppRows           *rows;
  GPtrArray               *list;
  gint64                   schema_revision;
} SchemaOp;

/* ------------------------------------------------------------------ */
/* Applications                                                        */

static gpointer
read_app (NavetteDbStmt *stmt)
{
  NavetteDbApp *app = g_new0 (NavetteDbApp, 1);

  app->name = navette_db_dup_text (stmt, 0);
  app->title = navette_db_dup_text (stmt, 1);
  return app;
}

static gboolean
app_list_op (NavetteDbConn  *conn,
             gpointer        data,
             GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_APP_LIST, error);

  return stmt != NULL
      && navette_db_answer_list (&op->list,
                                 navette_db_collect (stmt, read_app,
                                                     (GDestroyNotify) navette_db_app_free, error));
}

/* Runs @op, which leaves a list of items named by their char* member at
 * @offset in op->list: that list in name order. */
static GPtrArray *
run_list_op (NavetteDb   *self,
             NavetteDbOp  op,
             SchemaOp    *data,
             gsize        offset,
             GError     **error)
{
  GPtrArray *list = navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, op, data,
                                           (gpointer *) &data->list,
                                           (GDestroyNotify) g_ptr_array_unref, error);

  if (list != NULL)
    navette_db_sort_by_name (list, offset);
  return list;
}

GPtrArray *
navette_db_app_list (NavetteDb  *self,
                     GError    **error)
{
  SchemaOp op = { 0 };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return run_list_op (self, app_list_op, &op, G_STRUCT_OFFSET (NavetteDbApp, name), error);
}

static gboolean
app_add_op (NavetteDbConn  *conn,
            gpointer        data,
            GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_APP_ADD, error);
  gint64 now = g_get_real_time ();

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->app);
  navette_db_bind_text (stmt, 2, navette_db_title_or_name (op->title, op->app));
  navette_db_bind_int (stmt, 3, now);
  return navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_CONFLICT,
                                   "The application “%s” already exists.", op->app)
      && navette_db_audit_add (conn, now, op->actor, "app_add", op->app, NULL, NULL, 0, 0,
                               op->title, error);
}

gboolean
navette_db_app_add (NavetteDb   *self,
                    const char  *actor,
                    const char  *name,
                    const char  *title,
                    GError     **error)
{
  SchemaOp op = { .actor = actor, .app = name, .title = title };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_db_check_name (name, "application", error) || !navette_db_check_title (title, error) ||
      !navette_db_run (self, NAVETTE_DB_WRITE, app_add_op, &op, error))
    return FALSE;
  navette_db_committed_schema (self, name);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Tables and columns                                                  */

void
navette_db_add_column_from_row (GPtrArray     *columns,
                                NavetteDbStmt *stmt,
                                int            first)
{
  NavetteColumnType type = NAVETTE_COLUMN_TEXT;

  /* a LEFT JOIN's row of a table without columns */
  if (navette_db_is_null (stmt, first))
    return;
  if (!navette_column_type_from_string (navette_db_get_text (stmt, first + 2), &type))
    g_message ("Unknown column type in content_columns, read as text");
  g_ptr_array_add (columns, navette_wire_column_new (navette_db_get_text (stmt, first),
                                                     navette_db_get_text (stmt, first + 1),
                                                     type,
                                                     navette_db_get_bool (stmt, first + 3),
                                                     navette_db_get_int (stmt, first + 4)));
}


/* One row of TABLE_LIST (a column of a table, tables in id order) added
 * to @tables. */
static void
add_table_row (GPtrArray     *tables,
               NavetteDbStmt *stmt)
{
  NavetteWireTable *last = tables->len > 0 ? g_ptr_array_index (tables, tables->len - 1) : NULL;

  if (last == NULL || !g_str_equal (last->name, navette_db_get_text (stmt, 1)))
    {
      last = navette_wire_table_new (navette_db_get_text (stmt, 1), navette_db_get_text (stmt, 2));
      g_ptr_array_add (tables, last);
    }
  navette_db_add_column_from_row (last->columns, stmt, 3);
}

/* One row of APP_STATE (a table's state) added to @states. */
static void
add_state_row (GPtrArray     *states,
               NavetteDbStmt *stmt)
{
  NavetteDbTableState *state = g_new0 (NavetteDbTableState, 1);

  state->table = navette_db_dup_text (stmt, 0);
  state->revision = navette_db_get_int (stmt, 1);
  state->last_update = navette_db_get_usec (stmt, 2);
  g_ptr_array_add (states, state);
}

/* A statement of the tables of an application (@app: ?1): one row or
 * more per table, a row of NULLs when it has none, no row when there is
 * no such application. */
struct _AppRows
{
  NavetteDbSql     sql;
  GDestroyNotify   free_item;
  void           (*add_row) (GPtrArray *items, NavetteDbStmt *stmt);
  gsize            name_offset;    /* of the items' name, to sort them */
  int              schema_column;  /* of the schema's revision on every row, or -1 */
};

static const AppRows app_tables = {
  NAVETTE_DB_SQL_TABLE_LIST, (GDestroyNotify) navette_wire_table_free, add_table_row,
  G_STRUCT_OFFSET (NavetteWireTable, name), -1
};
static const AppRows app_states = {
  NAVETTE_DB_SQL_APP_STATE, (GDestroyNotify) navette_db_table_state_free, add_state_row,
  G_STRUCT_OFFSET (NavetteDbTableState, table), 3
};

static gboolean
app_rows_op (NavetteDbConn  *conn,
             gpointer        data,
             GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, op->rows->sql, error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (op->rows->free_item);
  gboolean found = FALSE;
  NavetteDbStep step;

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->app);
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    {
      found = TRUE;
      if (op->rows->schema_column >= 0)
        op->schema_revision = navette_db_get_int (stmt, op->rows->schema_column);
      if (!navette_db_is_null (stmt, 0))  /* else: the application has no tables */
        op->rows->add_row (items, stmt);
    }
  if (step != NAVETTE_DB_STEP_DONE)
    return FALSE;
  if (!found)
    return navette_db_not_found (error, "No such application.");
  return navette_db_answer_list (&op->list, g_steal_pointer (&items));
}

/* The items @rows makes of the tables of @app, in name order, and the
 * schema's revision when @rows reads it. */
static GPtrArray *
app_rows (NavetteDb      *self,
          const char     *app,
          const AppRows  *rows,
          gint64         *schema_revision,
          GError        **error)
{
  SchemaOp op = { .app = app, .rows = rows };
  GPtrArray *list;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!navette_db_check_app (app, error))
    return NULL;
  list = run_list_op (self, app_rows_op, &op, rows->name_offset, error);
  if (list != NULL && schema_revision != NULL)
    *schema_revision = op.schema_revision;
  return list;
}

GPtrArray *
navette_db_table_list (NavetteDb   *self,
                       const char  *app,
                       GError     **error)
{
  return app_rows (self, app, &app_tables, NULL, error);
}

static gboolean
check_column (const NavetteWireColumn  *column,
              GError                  **error)
{
  if (!navette_db_check_name (column->name, "column", error))
    return FALSE;
  if (g_strv_contains (reserved_columns, column->name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is reserved for the record's own fields; choose another column name.",
                   column->name);
      return FALSE;
    }
  if (column->max_length < 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: a maximum length cannot be negative.", column->name);
      return FALSE;
    }
  if (column->max_length > 0 && column->type != NAVETTE_COLUMN_TEXT)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: a maximum length only applies to text columns.", column->name);
      return FALSE;
    }
  return navette_db_check_title (column->title, error);
}

/* "name text required" */
static void
describe_column (GString                 *out,
                 const NavetteWireColumn *column)
{
  g_string_append_printf (out, "%s %s%s", column->name, navette_column_type_to_string (column->type),
                          column->required ? " required" : "");
}

static gboolean
insert_column (NavetteDbConn            *conn,
               gint64                    table_id,
               gint64                    position,
               const NavetteWireColumn  *column,
               GError                  **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_COLUMN_INSERT, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_int (stmt, 1, table_id);
  navette_db_bind_int (stmt, 2, position);
  navette_db_bind_text (stmt, 3, column->name);
  navette_db_bind_text (stmt, 4, column->title != NULL ? column->title : column->name);
  navette_db_bind_text (stmt, 5, navette_column_type_to_string (column->type));
  navette_db_bind_bool (stmt, 6, column->required);
  navette_db_bind_int (stmt, 7, column->max_length);
  return navette_db_step_done (stmt, error);
}

/* Inserts the table's row (ON CONFLICT nothing): its id, or 0 when it
 * exists already. */
static gint64
insert_table (NavetteDbConn  *conn,
              SchemaOp       *op,
              GError        **error)
{
  g_autoptr(NavetteDbStmt) app = navette_db_prepare (conn, NAVETTE_DB_SQL_APP_ID, error);
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_TABLE_ADD, error);
  NavetteDbStep step;

  if (app == NULL || stmt == NULL)
    return -1;
  navette_db_bind_text (app, 1, op->app);
  if (!navette_db_step_row (app, error, NAVETTE_API_ERROR_NOT_FOUND,
                            "There is no application “%s”.", op->app))
    return -1;
  navette_db_bind_int (stmt, 1, navette_db_get_int (app, 0));
  navette_db_bind_text (stmt, 2, op->schema->name);
  navette_db_bind_text (stmt, 3, navette_db_title_or_name (op->schema->title, op->schema->name));
  navette_db_bind_int (stmt, 4, g_get_real_time ());
  step = navette_db_step (stmt, error);
  if (step == NAVETTE_DB_STEP_ERROR)
    return -1;
  return step == NAVETTE_DB_STEP_ROW ? navette_db_get_int (stmt, 0) : 0;
}

static gboolean
table_add_op (NavetteDbConn  *conn,
              gpointer        data,
              GError        **error)
{
  SchemaOp *op = data;
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);
  g_autoptr(NavetteDbTable) table = NULL;
  g_autoptr(GString) detail = g_string_new (op->schema->name);
  g_autofree char *sql_name = NULL;
  g_autofree char *ddl = NULL;
  gint64 id;

  id = insert_table (conn, op, error);
  if (id < 0)
    return FALSE;
  if (id == 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The table “%s” already exists in “%s”.", op->schema->name, op->app);
      return FALSE;
    }

  g_string_append (detail, " (");
  for (guint i = 0; i < op->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (op->schema->columns, i);

      if (!insert_column (conn, id, i + 1, column, error))
        return FALSE;
      if (i > 0)
        g_string_append (detail, ", ");
      describe_column (detail, column);
    }
  g_string_append (detail, ")");

  /* The content table itself: the version columns, the user's typed
   * columns (names validated, always quoted), indexes, triggers. */
  table = g_new0 (NavetteDbTable, 1);
  table->id = id;
  table->app = g_strdup (op->app);
  table->tlm_name = g_strdup_printf ("%s.%s", op->app, op->schema->name);
  sql_name = klass->table_name (op->app, op->schema->name, id);
  table->sql_name = g_strdup_printf ("\"%s\"", sql_name);
  table->schema = navette_wire_table_new (op->schema->name, op->schema->title);
  for (guint i = 0; i < op->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (op->schema->columns, i);

      g_ptr_array_add (table->schema->columns,
                       navette_wire_column_new (column->name, column->title, column->type,
                                                column->required, column->max_length));
    }
  ddl = klass->create_table (table);
  return navette_db_exec (conn, ddl, error)
      && navette_db_audit_add (conn, g_get_real_time (), op->actor, "table_add", op->app,
                               op->schema->name, NULL, 0, 0, detail->str, error);
}

gboolean
navette_db_table_add (NavetteDb               *self,
                      const char              *actor,
                      const char              *app,
                      const NavetteWireTable  *table,
                      GError                 **error)
{
  SchemaOp op = { .actor = actor, .app = app, .schema = table };
  g_autoptr(GHashTable) seen = NULL;

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_db_check_name (table->name, "table", error) ||
      !navette_db_check_title (table->title, error))
    return FALSE;
  if (table->columns->len == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A table needs at least one column.");
      return FALSE;
    }
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < table->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->columns, i);

      if (!check_column (column, error))
        return FALSE;
      if (!g_hash_table_add (seen, column->name))
        {
          g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                       "The column “%s” is given twice.", column->name);
          return FALSE;
        }
    }
  if (!navette_db_run (self, NAVETTE_DB_WRITE, table_add_op, &op, error))
    return FALSE;
  navette_db_committed_schema (self, app);
  return TRUE;
}

/* FALSE with BAD_REQUEST when @table has rows: a new required column
 * would have no value in them. */
static gboolean
check_no_rows (NavetteDbConn   *conn,
               NavetteDbTable  *table,
               const char      *column,
               GError         **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s LIMIT 1", table->sql_name);
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare_text (conn, sql, error);
  NavetteDbStep step;

  if (stmt == NULL)
    return FALSE;
  step = navette_db_step (stmt, error);
  if (step == NAVETTE_DB_STEP_ROW)
    g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                 "“%s” already has records, which would have no value for the new "
                 "required column “%s”: add it as optional.", table->schema->name, column);
  return step == NAVETTE_DB_STEP_DONE;
}

static gboolean
column_add_op (NavetteDbConn  *conn,
               gpointer        data,
               GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbTable) table = navette_db_table_load (conn, op->app, op->table, error);
  g_autoptr(NavetteDbStmt) position = NULL;
  g_autoptr(GString) detail = g_string_new (NULL);
  g_autofree char *type = NULL;
  g_autofree char *alter = NULL;

  if (table == NULL)
    return FALSE;
  if (navette_wire_table_lookup_column (table->schema, op->column->name) != NULL)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The column “%s” already exists in “%s”.", op->column->name, op->table);
      return FALSE;
    }
  if (op->column->required && !check_no_rows (conn, table, op->column->name, error))
    return FALSE;

  position = navette_db_prepare (conn, NAVETTE_DB_SQL_COLUMN_NEXT_POSITION, error);
  if (position == NULL)
    return FALSE;
  navette_db_bind_int (position, 1, table->id);
  if (!navette_db_step_row (position, error, NAVETTE_API_ERROR_INTERNAL, "No answer.") ||
      !insert_column (conn, table->id, navette_db_get_int (position, 0), op->column, error))
    return FALSE;

  type = NAVETTE_DB_GET_CLASS (conn->db)->column_type (op->column);
  alter = g_strdup_printf ("ALTER TABLE %s ADD COLUMN \"%s\" %s", table->sql_name, op->column->name, type);
  describe_column (detail, op->column);
  return navette_db_exec (conn, alter, error)
      && navette_db_audit_add (conn, g_get_real_time (), op->actor, "column_add", op->app, op->table,
                               NULL, 0, 0, detail->str, error);
}

gboolean
navette_db_column_add (NavetteDb                *self,
                       const char               *actor,
                       const char               *app,
                       const char               *table,
                       const NavetteWireColumn  *column,
                       GError                  **error)
{
  SchemaOp op = { .actor = actor, .app = app, .table = table, .column = column };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (column != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_column (column, error) ||
      !navette_db_run (self, NAVETTE_DB_WRITE, column_add_op, &op, error))
    return FALSE;
  navette_db_committed_schema (self, app);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The light check                                                     */

static gboolean
table_state_op (NavetteDbConn  *conn,
                gpointer        data,
                GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_TABLE_STATE, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->app);
  navette_db_bind_text (stmt, 2, op->table);
  if (!navette_db_step_row (stmt, error, NAVETTE_API_ERROR_NOT_FOUND, "No such table."))
    return FALSE;
  g_free (op->state->table);
  op->state->table = g_strdup (op->table);
  op->state->revision = navette_db_get_int (stmt, 0);
  op->state->last_update = navette_db_get_usec (stmt, 1);
  return TRUE;
}

gboolean
navette_db_table_state (NavetteDb            *self,
                        const char           *app,
                        const char           *table,
                        NavetteDbTableState  *out,
                        GError              **error)
{
  SchemaOp op = { .app = app, .table = table, .state = out };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return navette_db_check_app_table (app, table, error)
      && navette_db_run (self, NAVETTE_DB_AUTOCOMMIT, table_state_op, &op, error);
}


GPtrArray *
navette_db_app_state (NavetteDb   *self,
                      const char  *app,
                      gint64      *schema_revision,
                      GError     **error)
{
  return app_rows (self, app, &app_states, schema_revision, error);
}
