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
  int                      archived;   /* -1: keep */
  const char              *column_name;
  const NavetteDbColumnChange *change;
  JsonNode                *default_value;
  gboolean                 wrote;
} SchemaOp;

/* Runs the schema write @func (on @op) in a write transaction; once it
 * committed, tells of it (::schema-changed of op->app) unless it wrote
 * nothing: an update operation clears op->wrote when there was nothing
 * to change. */
static gboolean
write_schema (NavetteDb    *self,
              NavetteDbOp   func,
              SchemaOp     *op,
              GError      **error)
{
  op->wrote = TRUE;
  if (!navette_db_run (self, NAVETTE_DB_WRITE, func, op, error))
    return FALSE;
  if (op->wrote)
    navette_db_committed_schema (self, op->app);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Applications                                                        */

static gpointer
read_app (NavetteDbStmt *stmt)
{
  NavetteDbApp *app = g_new0 (NavetteDbApp, 1);

  app->name = navette_db_dup_text (stmt, 0);
  app->title = navette_db_dup_text (stmt, 1);
  app->archived = navette_db_get_bool (stmt, 2);
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

  return navette_db_check_name (name, "application", error) && navette_db_check_title (title, error) &&
         write_schema (self, app_add_op, &op, error);
}

/* ------------------------------------------------------------------ */
/* Tables and columns                                                  */

void
navette_db_add_column_from_row (GPtrArray     *columns,
                                NavetteDbStmt *stmt,
                                int            first)
{
  NavetteColumnType type = NAVETTE_COLUMN_TEXT;
  NavetteWireColumn *column;

  /* a LEFT JOIN's row of a table without columns */
  if (navette_db_is_null (stmt, first))
    return;
  if (!navette_column_type_from_string (navette_db_get_text (stmt, first + 2), &type))
    g_message ("Unknown column type in content_columns, read as text");
  column = navette_wire_column_new (navette_db_get_text (stmt, first),
                                    navette_db_get_text (stmt, first + 1),
                                    type,
                                    navette_db_get_bool (stmt, first + 3),
                                    navette_db_get_int (stmt, first + 4));
  if (!navette_db_is_null (stmt, first + 5))
    column->choices = navette_db_choices_from_text (navette_db_get_text (stmt, first + 5));
  if (type == NAVETTE_COLUMN_CHOICE && column->choices == NULL)
    column->choices = g_new0 (char *, 1);  /* no value fits */
  if (!navette_db_is_null (stmt, first + 6))
    {
      column->has_min = TRUE;
      column->min = stmt->klass->get_double (stmt, first + 6);
    }
  if (!navette_db_is_null (stmt, first + 7))
    {
      column->has_max = TRUE;
      column->max = stmt->klass->get_double (stmt, first + 7);
    }
  g_ptr_array_add (columns, column);
}

char *
navette_db_choices_to_text (char **choices)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (choices == NULL)
    return NULL;
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; choices[i] != NULL; i++)
    json_builder_add_string_value (builder, choices[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

char **
navette_db_choices_from_text (const char *text)
{
  g_autoptr(JsonNode) root = json_from_string (text, NULL);
  g_autoptr(GPtrArray) choices = NULL;
  JsonArray *array;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_message ("Choices of a column in content_columns are not a JSON array, read as none");
      return NULL;
    }
  array = json_node_get_array (root);
  choices = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_ptr_array_add (choices, g_strdup (json_node_get_string (element)));
    }
  g_ptr_array_add (choices, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&choices), FALSE);
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
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_RESERVED_NAME,
                                    "“%s” is reserved for the record's own fields; choose another column name.",
                                    column->name);
      return FALSE;
    }
  return navette_wire_column_check (column, error)
      && navette_db_check_title (column->title, error);
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
  g_autofree char *choices = NULL;

  if (stmt == NULL)
    return FALSE;
  choices = navette_db_choices_to_text (column->choices);
  navette_db_bind_int (stmt, 1, table_id);
  navette_db_bind_int (stmt, 2, position);
  navette_db_bind_text (stmt, 3, column->name);
  navette_db_bind_text (stmt, 4, column->title != NULL ? column->title : column->name);
  navette_db_bind_text (stmt, 5, navette_column_type_to_string (column->type));
  navette_db_bind_bool (stmt, 6, column->required);
  navette_db_bind_int (stmt, 7, column->max_length);
  navette_db_bind_text (stmt, 8, choices);
  navette_db_bind_bound (stmt, 9, column->has_min, column->min);
  navette_db_bind_bound (stmt, 10, column->has_max, column->max);
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

      g_ptr_array_add (table->schema->columns, navette_wire_column_copy (column));
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
  return write_schema (self, table_add_op, &op, error);
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
    navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_ROWS_EXIST,
                                  "“%s” already has records, which would have no value for the new "
                                  "required column “%s”: add it as optional, or give a default value.",
                                  table->schema->name, column);
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
  if (op->column->required && op->default_value == NULL &&
      !check_no_rows (conn, table, op->column->name, error))
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
  if (!navette_db_exec (conn, alter, error))
    return FALSE;
  if (op->default_value != NULL && !JSON_NODE_HOLDS_NULL (op->default_value))
    {
      g_autofree char *value = json_to_string (op->default_value, FALSE);

      if (!navette_db_set_current_value (conn, table, op->column, op->default_value, error))
        return FALSE;
      g_string_append_printf (detail, " default %s", value);
    }
  return navette_db_audit_add (conn, g_get_real_time (), op->actor, "column_add", op->app, op->table,
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
  return navette_db_column_add_with_default (self, actor, app, table, column, NULL, error);
}

gboolean
navette_db_column_add_with_default (NavetteDb                *self,
                                    const char               *actor,
                                    const char               *app,
                                    const char               *table,
                                    const NavetteWireColumn  *column,
                                    JsonNode                 *default_value,
                                    GError                  **error)
{
  SchemaOp op = { .actor = actor, .app = app, .table = table, .column = column,
                  .default_value = default_value };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (column != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_column (column, error))
    return FALSE;
  if (default_value != NULL && !JSON_NODE_HOLDS_NULL (default_value))
    {
      g_autofree char *problem = navette_wire_column_problem (column, default_value);

      if (problem != NULL)
        {
          g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                       "The default value of “%s” %s.", column->name, problem);
          return FALSE;
        }
    }
  else
    op.default_value = NULL;
  return write_schema (self, column_add_op, &op, error);
}

/* ------------------------------------------------------------------ */
/* Administration: every application and table, archiving, retitling,  */
/* changing a column's constraints                                     */

static gboolean
app_schemas_op (NavetteDbConn  *conn,
                gpointer        data,
                GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_APP_SCHEMAS, error);
  g_autoptr(GPtrArray) apps = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_db_app_schema_free);
  NavetteDbStep step;

  if (stmt == NULL)
    return FALSE;
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    {
      NavetteDbAppSchema *app = apps->len > 0 ? g_ptr_array_index (apps, apps->len - 1) : NULL;
      NavetteWireTable *table;

      if (app == NULL || !g_str_equal (app->name, navette_db_get_text (stmt, 0)))
        {
          app = g_new0 (NavetteDbAppSchema, 1);
          app->name = navette_db_dup_text (stmt, 0);
          app->title = navette_db_dup_text (stmt, 1);
          app->archived = navette_db_get_bool (stmt, 2);
          app->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_table_free);
          app->tables_archived = g_array_new (FALSE, FALSE, sizeof (gboolean));
          g_ptr_array_add (apps, app);
        }
      if (navette_db_is_null (stmt, 3))
        continue;  /* an application without tables */
      table = app->tables->len > 0 ? g_ptr_array_index (app->tables, app->tables->len - 1) : NULL;
      if (table == NULL || !g_str_equal (table->name, navette_db_get_text (stmt, 3)))
        {
          gboolean archived = navette_db_get_bool (stmt, 5);

          table = navette_wire_table_new (navette_db_get_text (stmt, 3), navette_db_get_text (stmt, 4));
          g_ptr_array_add (app->tables, table);
          g_array_append_val (app->tables_archived, archived);
        }
      navette_db_add_column_from_row (table->columns, stmt, 6);
    }
  if (step != NAVETTE_DB_STEP_DONE)
    return FALSE;
  return navette_db_answer_list (&op->list, g_steal_pointer (&apps));
}

GPtrArray *
navette_db_app_schemas (NavetteDb  *self,
                        GError    **error)
{
  SchemaOp op = { 0 };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* ordered by the statement (names sort alike in both backends' "C"
   * comparisons of [a-z0-9_]); sorted again to be sure */
  return run_list_op (self, app_schemas_op, &op, G_STRUCT_OFFSET (NavetteDbAppSchema, name), error);
}

/* Runs @sql (?1: @key as text, or @id when @key is NULL; ?2: @title or
 * the flag @archived), which must change one row. */
static gboolean
update_row (NavetteDbConn  *conn,
            NavetteDbSql    sql,
            const char     *key,
            gint64          id,
            const char     *title,
            int             archived,
            GError        **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, sql, error);

  if (stmt == NULL)
    return FALSE;
  if (key != NULL)
    navette_db_bind_text (stmt, 1, key);
  else
    navette_db_bind_int (stmt, 1, id);
  if (title != NULL)
    navette_db_bind_text (stmt, 2, title);
  else
    navette_db_bind_bool (stmt, 2, archived);
  return navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_NOT_FOUND, "No such application.");
}

/* A title an update gives: none (NULL: unchanged), or a valid non-empty one. */
static gboolean
check_new_title (const char  *title,
                 GError     **error)
{
  if (title != NULL && title[0] == '\0')
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_BAD_TITLE,
                                    "A title cannot be empty.");
      return FALSE;
    }
  return navette_db_check_title (title, error);
}

static gboolean
app_update_op (NavetteDbConn  *conn,
               gpointer        data,
               GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(GPtrArray) apps = NULL;
  const NavetteDbAppSchema *app = NULL;
  gint64 now = g_get_real_time ();

  op->wrote = FALSE;
  if (!app_schemas_op (conn, op, error))
    return FALSE;
  apps = g_steal_pointer (&op->list);
  for (guint i = 0; i < apps->len; i++)
    if (g_str_equal (((NavetteDbAppSchema *) g_ptr_array_index (apps, i))->name, op->app))
      app = g_ptr_array_index (apps, i);
  if (app == NULL)
    return navette_db_not_found (error, "No such application.");
  if (op->title != NULL && !g_str_equal (op->title, app->title))
    {
      if (!update_row (conn, NAVETTE_DB_SQL_APP_SET_TITLE, op->app, 0, op->title, 0, error) ||
          !navette_db_audit_add (conn, now, op->actor, "app_retitle", op->app, NULL, NULL, 0, 0,
                                 op->title, error))
        return FALSE;
      op->wrote = TRUE;
    }
  if (op->archived >= 0 && !op->archived != !app->archived)
    {
      if (!update_row (conn, NAVETTE_DB_SQL_APP_SET_ARCHIVED, op->app, 0, NULL, op->archived, error) ||
          !navette_db_audit_add (conn, now, op->actor, op->archived ? "app_archive" : "app_unarchive",
                                 op->app, NULL, NULL, 0, 0, NULL, error))
        return FALSE;
      op->wrote = TRUE;
    }
  return TRUE;
}

gboolean
navette_db_app_update (NavetteDb   *self,
                       const char  *actor,
                       const char  *app,
                       const char  *title,
                       int          archived,
                       GError     **error)
{
  SchemaOp op = { .actor = actor, .app = app, .title = title, .archived = archived };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_db_check_app (app, error))
    return FALSE;
  if (!check_new_title (title, error))
    return FALSE;
  if (!write_schema (self, app_update_op, &op, error))
    return FALSE;
  g_clear_pointer (&op.list, g_ptr_array_unref);
  return TRUE;
}

static gboolean
table_update_op (NavetteDbConn  *conn,
                 gpointer        data,
                 GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbTable) table = navette_db_table_load_any (conn, op->app, op->table, error);
  g_autoptr(NavetteDbStmt) stmt = NULL;
  gboolean archived;
  gint64 now = g_get_real_time ();

  op->wrote = FALSE;
  if (table == NULL)
    return FALSE;
  /* the table's own flag, not its application's */
  stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_APP_SCHEMAS, error);
  if (stmt == NULL)
    return FALSE;
  archived = FALSE;
  for (NavetteDbStep step; (step = navette_db_step (stmt, error)) != NAVETTE_DB_STEP_DONE; )
    {
      if (step == NAVETTE_DB_STEP_ERROR)
        return FALSE;
      if (g_str_equal (navette_db_get_text (stmt, 0), op->app) && !navette_db_is_null (stmt, 3) &&
          g_str_equal (navette_db_get_text (stmt, 3), op->table))
        archived = navette_db_get_bool (stmt, 5);
    }
  g_clear_pointer (&stmt, navette_db_stmt_release);

  if (op->title != NULL && !g_str_equal (op->title, table->schema->title))
    {
      if (!update_row (conn, NAVETTE_DB_SQL_TABLE_SET_TITLE, NULL, table->id, op->title, 0, error) ||
          !navette_db_audit_add (conn, now, op->actor, "table_retitle", op->app, op->table, NULL, 0, 0,
                                 op->title, error))
        return FALSE;
      op->wrote = TRUE;
    }
  if (op->archived >= 0 && !op->archived != !archived)
    {
      if (!update_row (conn, NAVETTE_DB_SQL_TABLE_SET_ARCHIVED, NULL, table->id, NULL, op->archived, error) ||
          !navette_db_audit_add (conn, now, op->actor, op->archived ? "table_archive" : "table_unarchive",
                                 op->app, op->table, NULL, 0, 0, NULL, error))
        return FALSE;
      op->wrote = TRUE;
    }
  return TRUE;
}

gboolean
navette_db_table_update (NavetteDb   *self,
                         const char  *actor,
                         const char  *app,
                         const char  *table,
                         const char  *title,
                         int          archived,
                         GError     **error)
{
  SchemaOp op = { .actor = actor, .app = app, .table = table, .title = title, .archived = archived };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_db_check_app_table (app, table, error))
    return FALSE;
  if (!check_new_title (title, error))
    return FALSE;
  return write_schema (self, table_update_op, &op, error);
}

/* @column with @change applied: a new column to free. */
static NavetteWireColumn *
changed_column (const NavetteWireColumn     *column,
                const NavetteDbColumnChange *change)
{
  NavetteWireColumn *changed = navette_wire_column_copy (column);

  if (change->title != NULL)
    {
      g_free (changed->title);
      changed->title = g_strdup (change->title);
    }
  if (change->required >= 0)
    changed->required = !!change->required;
  if (change->set_max_length)
    changed->max_length = change->max_length;
  if (change->set_choices)
    {
      g_strfreev (changed->choices);
      changed->choices = g_strdupv (change->choices);
    }
  if (change->set_min)
    {
      changed->has_min = change->has_min;
      changed->min = change->min;
    }
  if (change->set_max)
    {
      changed->has_max = change->has_max;
      changed->max = change->max;
    }
  return changed;
}

static gboolean
column_update_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  SchemaOp *op = data;
  g_autoptr(NavetteDbTable) table = navette_db_table_load_any (conn, op->app, op->table, error);
  g_autoptr(NavetteWireColumn) changed = NULL;
  g_autoptr(NavetteDbStmt) stmt = NULL;
  g_autoptr(GString) detail = g_string_new (NULL);
  g_autofree char *choices = NULL;
  const NavetteWireColumn *column;
  gint64 misfits = 0;

  op->wrote = FALSE;
  if (table == NULL)
    return FALSE;
  column = navette_wire_table_lookup_column (table->schema, op->column_name);
  if (column == NULL)
    return navette_db_not_found (error, "No such column.");
  changed = changed_column (column, op->change);
  if (!check_column (changed, error))
    return FALSE;
  if (!navette_db_count_misfits (conn, table, changed, &misfits, error))
    return FALSE;
  if (misfits > 0)
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_VALIDATION_FAILED, NAVETTE_API_REASON_RECORDS_MISFIT,
                                    misfits == 1
                                    ? "%" G_GINT64_FORMAT " record of “%s” does not fit the new "
                                      "constraints of “%s”; change it first."
                                    : "%" G_GINT64_FORMAT " records of “%s” do not fit the new "
                                      "constraints of “%s”; change them first.",
                                    misfits, op->table, op->column_name);
      if (error != NULL)
        navette_api_error_set_count (*error, misfits);
      return FALSE;
    }

  stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_COLUMN_UPDATE, error);
  if (stmt == NULL)
    return FALSE;
  choices = navette_db_choices_to_text (changed->choices);
  navette_db_bind_int (stmt, 1, table->id);
  navette_db_bind_text (stmt, 2, changed->name);
  navette_db_bind_text (stmt, 3, changed->title);
  navette_db_bind_bool (stmt, 4, changed->required);
  navette_db_bind_int (stmt, 5, changed->max_length);
  navette_db_bind_text (stmt, 6, choices);
  navette_db_bind_bound (stmt, 7, changed->has_min, changed->min);
  navette_db_bind_bound (stmt, 8, changed->has_max, changed->max);
  if (!navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_NOT_FOUND, "No such column."))
    return FALSE;
  describe_column (detail, changed);
  if (changed->max_length > 0)
    g_string_append_printf (detail, " max %" G_GINT64_FORMAT, changed->max_length);
  if (choices != NULL)
    g_string_append_printf (detail, " choices %s", choices);
  if (!navette_db_audit_add (conn, g_get_real_time (), op->actor, "column_change", op->app, op->table,
                             NULL, 0, 0, detail->str, error))
    return FALSE;
  op->wrote = TRUE;
  return TRUE;
}

gboolean
navette_db_column_update (NavetteDb                    *self,
                          const char                   *actor,
                          const char                   *app,
                          const char                   *table,
                          const char                   *column,
                          const NavetteDbColumnChange  *change,
                          GError                      **error)
{
  SchemaOp op = { .actor = actor, .app = app, .table = table, .column_name = column, .change = change };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (column != NULL, FALSE);
  g_return_val_if_fail (change != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_db_check_app_table (app, table, error))
    return FALSE;
  if (!navette_name_is_valid (column))
    return navette_db_not_found (error, "No such column.");
  return write_schema (self, column_update_op, &op, error);
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
