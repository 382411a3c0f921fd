/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-sqlite.c — NavetteDb on SQLite, the embedded default.
 *
 * Connections: a pool; a caller takes an idle connection (or opens a new
 * one) for the duration of one call, so there is one connection per
 * concurrent caller. WAL lets readers go on while a writer writes.
 *
 * Writes: every write transaction is BEGIN IMMEDIATE. The writers of this
 * process first queue on a condition variable (the "write gate"), so only
 * writers of other processes ever meet SQLite's busy handler. Both waits
 * are bounded by the busy timeout; past it: NAVETTE_API_ERROR_UNAVAILABLE.
 *
 * Versioning: an update marks the current row obsolete (the AFTER UPDATE
 * trigger adds one to the table revision), then inserts version + 1 with
 * revision = table revision + 1 (which the AFTER INSERT trigger then makes
 * the table revision). So a row's revision is the table revision at which
 * it was written, and `since` deltas are `revision > since`.
 *
 * Choices documented here:
 * - create with an existing id compares the data with version 1 (what was
 *   created): equal → the current version, created = FALSE; else CONFLICT.
 * - update with base_version newer than the current version → BAD_REQUEST
 *   (the client claims a version that was never written); base_version <= 0
 *   means "not given" (no superseded list).
 * - column_add of a required column on a table that has rows → BAD_REQUEST
 *   (there is no default value to give the existing records).
 * - grant of the role a user already has is a no-op (no new version); revoke
 *   without a current grant is NOT_FOUND.
 * - changing a password revokes the user's sessions.
 * - a row inserted by another program may leave revision at its default 0:
 *   the triggers then set it to the new table revision, so it shows in
 *   `since` deltas too. */
#define G_LOG_DOMAIN "navette-db-sqlite"

#include "config.h"

#include <string.h>
#include <math.h>
#include <sqlite3.h>

#include "navette-db-sqlite.h"
#include "navette-db-private.h"
#include "navette-server-resources.h"

#define MIGRATIONS_PATH "/org/navette/server/migrations/sqlite"
#define ROLE_GRANTS_TABLE_NAME "_navette.role_grants"

/* Now, as unix microseconds, from SQLite's own clock (millisecond resolution). */
#define SQL_NOW_USEC \
  "(CAST(strftime('%s', 'now') AS INTEGER) * 1000000" \
  " + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000)"

/* A random (version 4) UUID, for rows inserted by other programs. */
#define SQL_RANDOM_UUID \
  "(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4'" \
  " || substr(hex(randomblob(2)), 2) || '-'" \
  " || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2)" \
  " || '-' || hex(randomblob(6))))"

static const char * const reserved_columns[] = {
  "row_id", "record_id", "version", "obsolete", "archived",
  "updated_at", "updated_by", "revision", "rowid", "oid", NULL
};

/* ---- connections ---- */

typedef struct
{
  sqlite3    *handle;
  GHashTable *statements; /* SQL text → sqlite3_stmt*, persistent */
  guint       busy_timeout;
} Conn;

struct _NavetteDbSqlite
{
  NavetteDb  parent_instance;

  char      *path;
  guint      busy_timeout; /* atomic */

  GMutex     pool_lock;
  GQueue     pool;         /* idle Conn* */

  GMutex     write_lock;
  GCond      write_cond;
  gboolean   writing;
};

G_DEFINE_FINAL_TYPE (NavetteDbSqlite, navette_db_sqlite, NAVETTE_TYPE_DB)

static void
set_busy_error (GError **error)
{
  g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                       "The database is busy; try again shortly.");
}

/* Maps an SQLite result code to a NAVETTE_API_ERROR. The SQL, the SQLite
 * message and the path go to the debug log, never into the GError. */
static void
set_sqlite_error (sqlite3     *handle,
                  int          rc,
                  const char  *context,
                  GError     **error)
{
  const char *detail = handle != NULL ? sqlite3_errmsg (handle) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_debug ("busy: %s: %s (%d)", context, detail, rc);
      set_busy_error (error);
      break;

    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      g_debug ("unavailable: %s: %s (%d)", context, detail, rc);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           "The database file is damaged, or is not a database.");
      break;

    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_PROTOCOL:
      g_debug ("unavailable: %s: %s (%d)", context, detail, rc);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           "The database cannot be used right now.");
      break;

    case SQLITE_CONSTRAINT:
      g_debug ("constraint: %s: %s (%d)", context, detail, rc);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                           "The change conflicts with data already stored.");
      break;

    default:
      g_message ("database error: %s: %s (%d)", context, detail, rc);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_INTERNAL,
                           "The database failed; the server log has the details.");
      break;
    }
}

static void
conn_free (Conn *conn)
{
  if (conn == NULL)
    return;
  g_clear_pointer (&conn->statements, g_hash_table_unref); /* finalizes statements */
  sqlite3_close_v2 (conn->handle);
  g_free (conn);
}

static gboolean
conn_exec (Conn        *conn,
           const char  *sql,
           GError     **error)
{
  int rc = sqlite3_exec (conn->handle, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (conn->handle, rc, sql, error);
      return FALSE;
    }
  return TRUE;
}

static Conn *
conn_open (NavetteDbSqlite  *self,
           GError          **error)
{
  sqlite3 *handle = NULL;
  Conn *conn;
  int rc;

  rc = sqlite3_open_v2 (self->path, &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_debug ("cannot open %s: %s (%d)", self->path,
               handle != NULL ? sqlite3_errmsg (handle) : sqlite3_errstr (rc), rc);
      sqlite3_close_v2 (handle);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           "The database cannot be opened.");
      return NULL;
    }

  conn = g_new0 (Conn, 1);
  conn->handle = handle;
  conn->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);
  conn->busy_timeout = g_atomic_int_get (&self->busy_timeout);
  sqlite3_extended_result_codes (handle, 1);
  sqlite3_busy_timeout (handle, (int) conn->busy_timeout);

  if (!conn_exec (conn, "PRAGMA foreign_keys = ON", error) ||
      !conn_exec (conn, "PRAGMA synchronous = FULL", error) ||
      !conn_exec (conn, "PRAGMA journal_mode = WAL", error) ||
      !conn_exec (conn, "SELECT count(*) FROM sqlite_master", error))
    {
      conn_free (conn);
      return NULL;
    }

  return conn;
}

static Conn *
pool_acquire (NavetteDbSqlite  *self,
              GError          **error)
{
  Conn *conn;
  guint timeout;

  g_mutex_lock (&self->pool_lock);
  conn = g_queue_pop_head (&self->pool);
  g_mutex_unlock (&self->pool_lock);

  if (conn == NULL)
    return conn_open (self, error);

  timeout = g_atomic_int_get (&self->busy_timeout);
  if (conn->busy_timeout != timeout)
    {
      conn->busy_timeout = timeout;
      sqlite3_busy_timeout (conn->handle, (int) timeout);
    }

  return conn;
}

static void
pool_release (NavetteDbSqlite *self,
              Conn            *conn)
{
  if (!sqlite3_get_autocommit (conn->handle))
    {
      /* Never hand out a connection in the middle of a transaction. */
      sqlite3_exec (conn->handle, "ROLLBACK", NULL, NULL, NULL);
    }

  g_mutex_lock (&self->pool_lock);
  g_queue_push_head (&self->pool, conn);
  g_mutex_unlock (&self->pool_lock);
}

static gboolean
write_gate_enter (NavetteDbSqlite  *self,
                  GError          **error)
{
  gint64 deadline;

  deadline = g_get_monotonic_time ()
             + (gint64) g_atomic_int_get (&self->busy_timeout) * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&self->write_lock);
  while (self->writing)
    {
      if (!g_cond_wait_until (&self->write_cond, &self->write_lock, deadline) &&
          self->writing)
        {
          g_mutex_unlock (&self->write_lock);
          g_debug ("busy: waited for the other writers of this process");
          set_busy_error (error);
          return FALSE;
        }
    }
  self->writing = TRUE;
  g_mutex_unlock (&self->write_lock);

  return TRUE;
}

static void
write_gate_leave (NavetteDbSqlite *self)
{
  g_mutex_lock (&self->write_lock);
  self->writing = FALSE;
  g_cond_signal (&self->write_cond);
  g_mutex_unlock (&self->write_lock);
}

/* ---- transactions ---- */

typedef enum
{
  TXN_NONE,   /* single statements, autocommit */
  TXN_READ,   /* BEGIN: one snapshot */
  TXN_WRITE,  /* BEGIN IMMEDIATE behind the write gate */
} TxnMode;

typedef struct
{
  NavetteDbSqlite *self;
  Conn            *conn;
  gboolean         in_transaction;
  gboolean         holds_gate;
} Txn;

static void
txn_clear (Txn *txn)
{
  if (txn->conn != NULL)
    {
      if (txn->in_transaction)
        sqlite3_exec (txn->conn->handle, "ROLLBACK", NULL, NULL, NULL);
      pool_release (txn->self, txn->conn);
      txn->conn = NULL;
    }
  txn->in_transaction = FALSE;
  if (txn->holds_gate)
    {
      write_gate_leave (txn->self);
      txn->holds_gate = FALSE;
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Txn, txn_clear)

static gboolean
txn_begin (NavetteDbSqlite  *self,
           Txn              *txn,
           TxnMode           mode,
           GError          **error)
{
  txn->self = self;

  if (mode == TXN_WRITE)
    {
      if (!write_gate_enter (self, error))
        return FALSE;
      txn->holds_gate = TRUE;
    }

  txn->conn = pool_acquire (self, error);
  if (txn->conn == NULL)
    return FALSE;

  switch (mode)
    {
    case TXN_READ:
      if (!conn_exec (txn->conn, "BEGIN", error))
        return FALSE;
      txn->in_transaction = TRUE;
      break;
    case TXN_WRITE:
      if (!conn_exec (txn->conn, "BEGIN IMMEDIATE", error))
        return FALSE;
      txn->in_transaction = TRUE;
      break;
    case TXN_NONE:
    default:
      break;
    }

  return TRUE;
}

static gboolean
txn_commit (Txn     *txn,
            GError **error)
{
  g_assert (txn->in_transaction);

  if (!conn_exec (txn->conn, "COMMIT", error))
    return FALSE;
  txn->in_transaction = FALSE;
  return TRUE;
}

/* ---- statements ---- */

typedef sqlite3_stmt NavetteSqliteStmt;

static void
stmt_release (NavetteSqliteStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteSqliteStmt, stmt_release)

/* A cached prepared statement; release it (reset) with g_autoptr. */
static NavetteSqliteStmt *
conn_prepare (Conn        *conn,
              const char  *sql,
              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = g_hash_table_lookup (conn->statements, sql);
  if (stmt != NULL)
    return stmt;

  rc = sqlite3_prepare_v3 (conn->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (conn->handle, rc, sql, error);
      return NULL;
    }

  g_hash_table_insert (conn->statements, g_strdup (sql), stmt);
  return stmt;
}

/* SQLITE_ROW, SQLITE_DONE, or 0 with @error set. */
static int
stmt_step (Conn          *conn,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  set_sqlite_error (conn->handle, rc, sqlite3_sql (stmt), error);
  return 0;
}

static gboolean
stmt_run (Conn          *conn,
          sqlite3_stmt  *stmt,
          GError       **error)
{
  return stmt_step (conn, stmt, error) == SQLITE_DONE;
}

/* Steps @stmt to its first row: FALSE with @error set when that fails,
 * or when there is no row, to a NAVETTE_API_ERROR @code and @format. */
static gboolean stmt_step_row (Conn          *conn,
                               sqlite3_stmt  *stmt,
                               GError       **error,
                               int            code,
                               const char    *format,
                               ...) G_GNUC_PRINTF (5, 6);

static gboolean
stmt_step_row (Conn          *conn,
               sqlite3_stmt  *stmt,
               GError       **error,
               int            code,
               const char    *format,
               ...)
{
  va_list args;
  int rc = stmt_step (conn, stmt, error);

  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      va_start (args, format);
      g_propagate_error (error, g_error_new_valist (NAVETTE_API_ERROR, code, format, args));
      va_end (args);
      return FALSE;
    }
  return TRUE;
}

/* Runs @stmt, a write: FALSE with @error set when that fails, or when it
 * changed no row, to a NAVETTE_API_ERROR @code and @format. */
static gboolean stmt_run_changing (Conn          *conn,
                                   sqlite3_stmt  *stmt,
                                   GError       **error,
                                   int            code,
                                   const char    *format,
                                   ...) G_GNUC_PRINTF (5, 6);

static gboolean
stmt_run_changing (Conn          *conn,
                   sqlite3_stmt  *stmt,
                   GError       **error,
                   int            code,
                   const char    *format,
                   ...)
{
  va_list args;

  if (!stmt_run (conn, stmt, error))
    return FALSE;
  if (sqlite3_changes (conn->handle) == 0)
    {
      va_start (args, format);
      g_propagate_error (error, g_error_new_valist (NAVETTE_API_ERROR, code, format, args));
      va_end (args);
      return FALSE;
    }
  return TRUE;
}

typedef gpointer (*ReadRowFunc) (sqlite3_stmt *stmt);

/* Steps @stmt through its rows, making an item of each with @read_row:
 * the items, or NULL with @error when a step fails. */
static GPtrArray *
collect_rows (Conn            *conn,
              sqlite3_stmt    *stmt,
              ReadRowFunc      read_row,
              GDestroyNotify   free_item,
              GError         **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (free_item);
  int rc;

  while ((rc = stmt_step (conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (items, read_row (stmt));
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&items);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static char *
column_dup_text (sqlite3_stmt *stmt,
                 int           index)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, index));
}

/* ---- names ---- */

static gboolean
check_app_name (const char  *app,
                GError     **error)
{
  if (!navette_name_is_valid (app))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                           "No such application.");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_app_table_names (const char  *app,
                       const char  *table,
                       GError     **error)
{
  if (!navette_name_is_valid (app) || !navette_name_is_valid (table))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                           "No such table.");
      return FALSE;
    }
  return TRUE;
}

static gboolean
column_name_is_reserved (const char *name)
{
  return g_strv_contains (reserved_columns, name);
}

static gboolean
username_is_valid (const char *username)
{
  gsize len = strlen (username);

  if (len == 0 || len > 64)
    return FALSE;
  if (!g_ascii_isalnum (username[0]))
    return FALSE;
  for (const char *p = username; *p != '\0'; p++)
    {
      if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_' || *p == '-' || *p == '.'))
        return FALSE;
    }
  return TRUE;
}

static const char *
column_sql_type (NavetteColumnType type)
{
  switch (type)
    {
    case NAVETTE_COLUMN_INTEGER:
    case NAVETTE_COLUMN_BOOLEAN:
      return "INTEGER";
    case NAVETTE_COLUMN_REAL:
      return "REAL";
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
    default:
      return "TEXT";
    }
}

static char *
column_sql_definition (const NavetteWireColumn *column)
{
  if (column->type == NAVETTE_COLUMN_BOOLEAN)
    return g_strdup_printf ("\"%s\" INTEGER CHECK (\"%s\" IN (0, 1))",
                            column->name, column->name);
  return g_strdup_printf ("\"%s\" %s", column->name, column_sql_type (column->type));
}

/* ---- JSON values ↔ SQLite ---- */

static void
bind_json_value (sqlite3_stmt            *stmt,
                 int                      index,
                 const NavetteWireColumn *column,
                 JsonNode                *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    {
      sqlite3_bind_null (stmt, index);
      return;
    }

  switch (column->type)
    {
    case NAVETTE_COLUMN_INTEGER:
      sqlite3_bind_int64 (stmt, index, json_node_get_int (node));
      break;
    case NAVETTE_COLUMN_REAL:
      sqlite3_bind_double (stmt, index, json_node_get_double (node));
      break;
    case NAVETTE_COLUMN_BOOLEAN:
      sqlite3_bind_int (stmt, index, json_node_get_boolean (node) ? 1 : 0);
      break;
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
    default:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        bind_text (stmt, index, json_node_get_string (node));
      else
        sqlite3_bind_null (stmt, index);
      break;
    }
}

static JsonNode *
column_json_value (sqlite3_stmt      *stmt,
                   int                index,
                   NavetteColumnType  type)
{
  JsonNode *node = json_node_alloc ();

  if (sqlite3_column_type (stmt, index) == SQLITE_NULL)
    return json_node_init_null (node);

  switch (type)
    {
    case NAVETTE_COLUMN_INTEGER:
      return json_node_init_int (node, sqlite3_column_int64 (stmt, index));
    case NAVETTE_COLUMN_REAL:
      return json_node_init_double (node, sqlite3_column_double (stmt, index));
    case NAVETTE_COLUMN_BOOLEAN:
      return json_node_init_boolean (node, sqlite3_column_int64 (stmt, index) != 0);
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
    default:
      return json_node_init_string (node, (const char *) sqlite3_column_text (stmt, index));
    }
}

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

  switch (type)
    {
    case NAVETTE_COLUMN_INTEGER:
      return json_node_get_int (a) == json_node_get_int (b);
    case NAVETTE_COLUMN_REAL:
      return json_node_get_double (a) == json_node_get_double (b);
    case NAVETTE_COLUMN_BOOLEAN:
      return !json_node_get_boolean (a) == !json_node_get_boolean (b);
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
    default:
      return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
    }
}

/* ---- content tables ---- */

typedef struct
{
  gint64            id;
  char             *app;
  char             *tlm_name;    /* app.table, as in table_last_modifications */
  char             *sql_name;    /* "app.table", quoted */
  NavetteWireTable *schema;
  char             *select_sql;  /* SELECT <version columns, data columns> FROM "app.table" */
} TableInfo;

/* Index of the first data column in select_sql. */
#define FIRST_DATA_COLUMN 8

static void
table_info_free (TableInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->app);
  g_free (info->tlm_name);
  g_free (info->sql_name);
  g_clear_pointer (&info->schema, navette_wire_table_free);
  g_free (info->select_sql);
  g_free (info);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TableInfo, table_info_free)

static GPtrArray *
load_columns (Conn     *conn,
              gint64    table_id,
              GError  **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) columns = NULL;
  int rc;

  stmt = conn_prepare (conn,
                       "SELECT name, title, type, required, max_length FROM content_columns"
                       " WHERE table_id = ?1 ORDER BY position",
                       error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, table_id);

  columns = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_column_free);
  while ((rc = stmt_step (conn, stmt, error)) == SQLITE_ROW)
    {
      NavetteColumnType type = NAVETTE_COLUMN_TEXT;

      if (!navette_column_type_from_string ((const char *) sqlite3_column_text (stmt, 2), &type))
        g_message ("unknown column type in content_columns, read as text");
      g_ptr_array_add (columns,
                       navette_wire_column_new ((const char *) sqlite3_column_text (stmt, 0),
                                                (const char *) sqlite3_column_text (stmt, 1),
                                                type,
                                                sqlite3_column_int (stmt, 3) != 0,
                                                sqlite3_column_int64 (stmt, 4)));
    }
  if (rc != SQLITE_DONE)
    return NULL;

  return g_steal_pointer (&columns);
}

static TableInfo *
load_table (Conn        *conn,
            const char  *app,
            const char  *table,
            GError     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(GPtrArray) columns = NULL;
  g_autoptr(GString) select = NULL;

  if (!check_app_table_names (app, table, error))
    return NULL;

  stmt = conn_prepare (conn,
                       "SELECT t.id, t.title FROM content_tables t"
                       " JOIN applications a ON a.id = t.app_id"
                       " WHERE a.name = ?1 AND t.name = ?2",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, app);
  bind_text (stmt, 2, table);

  if (!stmt_step_row (conn, stmt, error, NAVETTE_API_ERROR_NOT_FOUND, "No such table."))
    return NULL;

  info = g_new0 (TableInfo, 1);
  info->id = sqlite3_column_int64 (stmt, 0);
  info->app = g_strdup (app);
  info->tlm_name = g_strdup_printf ("%s.%s", app, table);
  info->sql_name = g_strdup_printf ("\"%s.%s\"", app, table);
  info->schema = navette_wire_table_new (table, (const char *) sqlite3_column_text (stmt, 1));

  columns = load_columns (conn, info->id, error);
  if (columns == NULL)
    return NULL;
  g_ptr_array_extend_and_steal (info->schema->columns, g_steal_pointer (&columns));

  select = g_string_new ("SELECT row_id, record_id, version, revision, obsolete, archived,"
                         " updated_at, updated_by");
  for (guint i = 0; i < info->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (info->schema->columns, i);
      g_string_append_printf (select, ", \"%s\"", column->name);
    }
  g_string_append_printf (select, " FROM %s", info->sql_name);
  info->select_sql = g_string_free (g_steal_pointer (&select), FALSE);

  return g_steal_pointer (&info);
}

static NavetteWireRecord *
read_record (TableInfo    *info,
             sqlite3_stmt *stmt,
             gint64       *row_id)
{
  NavetteWireRecord *record = navette_wire_record_new ();

  if (row_id != NULL)
    *row_id = sqlite3_column_int64 (stmt, 0);
  record->id = column_dup_text (stmt, 1);
  record->version = sqlite3_column_int64 (stmt, 2);
  record->revision = sqlite3_column_int64 (stmt, 3);
  record->obsolete = sqlite3_column_int (stmt, 4) != 0;
  record->archived = sqlite3_column_int (stmt, 5) != 0;
  record->updated_at = sqlite3_column_int64 (stmt, 6);
  record->updated_by = column_dup_text (stmt, 7);
  record->data = json_object_new ();
  for (guint i = 0; i < info->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (info->schema->columns, i);
      json_object_set_member (record->data, column->name,
                              column_json_value (stmt, FIRST_DATA_COLUMN + (int) i, column->type));
    }

  return record;
}

/* The current version (obsolete = 0), or with @version > 0 that version.
 * NULL without error when there is none. */
static NavetteWireRecord *
fetch_record (Conn        *conn,
              TableInfo   *info,
              const char  *id,
              gint64       version,
              gint64      *row_id,
              GError     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autofree char *sql = NULL;
  int rc;

  if (version > 0)
    sql = g_strdup_printf ("%s WHERE record_id = ?1 AND version = ?2", info->select_sql);
  else
    sql = g_strdup_printf ("%s WHERE record_id = ?1 AND obsolete = 0", info->select_sql);

  stmt = conn_prepare (conn, sql, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (version > 0)
    sqlite3_bind_int64 (stmt, 2, version);

  rc = stmt_step (conn, stmt, error);
  if (rc != SQLITE_ROW)
    return NULL;

  return read_record (info, stmt, row_id);
}

/* fetch_record(), failing with a NAVETTE_API_ERROR @code and @format when
 * there is no such row. */
static NavetteWireRecord *fetch_record_or (Conn        *conn,
                                           TableInfo   *info,
                                           const char  *id,
                                           gint64       version,
                                           gint64      *row_id,
                                           GError     **error,
                                           int          code,
                                           const char  *format,
                                           ...) G_GNUC_PRINTF (8, 9);

static NavetteWireRecord *
fetch_record_or (Conn        *conn,
                 TableInfo   *info,
                 const char  *id,
                 gint64       version,
                 gint64      *row_id,
                 GError     **error,
                 int          code,
                 const char  *format,
                 ...)
{
  g_autoptr(GError) local_error = NULL;
  NavetteWireRecord *record;
  va_list args;

  record = fetch_record (conn, info, id, version, row_id, &local_error);
  if (record != NULL)
    return record;
  if (local_error == NULL)
    {
      va_start (args, format);
      local_error = g_error_new_valist (NAVETTE_API_ERROR, code, format, args);
      va_end (args);
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

static gboolean
read_table_revision (Conn        *conn,
                     const char  *tlm_name,
                     gint64      *revision,
                     gint64      *last_update,
                     GError     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  int rc;

  stmt = conn_prepare (conn,
                       "SELECT revision, last_update FROM table_last_modifications"
                       " WHERE table_name = ?1",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, tlm_name);

  rc = stmt_step (conn, stmt, error);
  if (rc == 0)
    return FALSE;
  if (revision != NULL)
    *revision = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  if (last_update != NULL)
    *last_update = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 1) : 0;
  return TRUE;
}

/* Inserts a version row, with revision = table revision + 1. */
static gboolean
insert_version (Conn        *conn,
                TableInfo   *info,
                const char  *id,
                gint64       version,
                gboolean     archived,
                JsonObject  *data,
                const char  *user,
                gint64       now,
                gint64       revision,
                GError     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GString) sql = NULL;
  g_autoptr(GString) values = NULL;

  if (revision <= 0)
    {
      if (!read_table_revision (conn, info->tlm_name, &revision, NULL, error))
        return FALSE;
      revision++;
    }

  sql = g_string_new (NULL);
  values = g_string_new (NULL);
  g_string_append_printf (sql, "INSERT INTO %s (record_id, version, obsolete, archived,"
                          " updated_at, updated_by, revision", info->sql_name);
  g_string_append (values, "?1, ?2, 0, ?3, ?4, ?5, ?6");
  for (guint i = 0; i < info->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (info->schema->columns, i);
      g_string_append_printf (sql, ", \"%s\"", column->name);
      g_string_append_printf (values, ", ?%u", i + 7);
    }
  g_string_append_printf (sql, ") VALUES (%s)", values->str);

  stmt = conn_prepare (conn, sql->str, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, version);
  sqlite3_bind_int (stmt, 3, archived ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, now);
  bind_text (stmt, 5, user);
  sqlite3_bind_int64 (stmt, 6, revision);
  for (guint i = 0; i < info->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (info->schema->columns, i);
      JsonNode *node = data != NULL ? json_object_get_member (data, column->name) : NULL;

      bind_json_value (stmt, (int) i + 7, column, node);
    }

  return stmt_run (conn, stmt, error);
}

static gboolean
mark_obsolete (Conn       *conn,
               TableInfo  *info,
               gint64      row_id,
               GError    **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autofree char *sql = NULL;

  sql = g_strdup_printf ("UPDATE %s SET obsolete = 1 WHERE row_id = ?1", info->sql_name);
  stmt = conn_prepare (conn, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, row_id);
  return stmt_run (conn, stmt, error);
}

static gboolean
audit_add (Conn        *conn,
           gint64       at,
           const char  *user,
           const char  *action,
           const char  *app,
           const char  *table,
           const char  *record,
           gint64       from_version,
           gint64       to_version,
           const char  *detail,
           GError     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  stmt = conn_prepare (conn,
                       "INSERT INTO audit (at, user, action, app, \"table\", record,"
                       " from_version, to_version, detail)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, at);
  bind_text (stmt, 2, user);
  bind_text (stmt, 3, action);
  bind_text (stmt, 4, app);
  bind_text (stmt, 5, table);
  bind_text (stmt, 6, record);
  if (from_version > 0)
    sqlite3_bind_int64 (stmt, 7, from_version);
  if (to_version > 0)
    sqlite3_bind_int64 (stmt, 8, to_version);
  bind_text (stmt, 9, detail);
  return stmt_run (conn, stmt, error);
}

/* The end of a change that is not a record version (users, applications,
 * tables): audits it as @action by @actor, then commits. */
static gboolean
commit_audited (Txn         *txn,
                gint64       now,
                const char  *actor,
                const char  *action,
                const char  *app,
                const char  *table,
                const char  *detail,
                GError     **error)
{
  return audit_add (txn->conn, now, actor, action, app, table, NULL, 0, 0, detail, error)
      && txn_commit (txn, error);
}

/* ---- idempotency ---- */

static gboolean
idem_used (const NavetteDbIdempotency *idem)
{
  return idem != NULL && idem->key != NULL;
}

/* Looks the key up. Returns FALSE with @error on failure or CONFLICT;
 * otherwise TRUE and *result is the replay, or NULL when the key is new. */
static gboolean
idem_lookup (Conn                        *conn,
             const char                  *user,
             const NavetteDbIdempotency  *idem,
             NavetteDbWriteResult       **result,
             GError                     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteDbWriteResult) replay = NULL;
  g_autofree char *app = NULL;
  g_autofree char *table = NULL;
  g_autofree char *record_id = NULL;
  g_autofree char *superseded = NULL;
  gint64 version;
  int rc;

  *result = NULL;
  if (!idem_used (idem))
    return TRUE;

  stmt = conn_prepare (conn,
                       "SELECT request_hash, app, \"table\", record_id, version, created, superseded"
                       " FROM idempotency_keys WHERE username = ?1 AND key = ?2",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user);
  bind_text (stmt, 2, idem->key);

  rc = stmt_step (conn, stmt, error);
  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    return TRUE;

  if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), idem->request_hash) != 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                           "This Idempotency-Key was already used for another request.");
      return FALSE;
    }

  app = column_dup_text (stmt, 1);
  table = column_dup_text (stmt, 2);
  record_id = column_dup_text (stmt, 3);
  version = sqlite3_column_int64 (stmt, 4);
  replay = g_new0 (NavetteDbWriteResult, 1);
  replay->created = sqlite3_column_int (stmt, 5) != 0;
  replay->replayed = TRUE;
  superseded = column_dup_text (stmt, 6);
  replay->superseded = navette_db_superseded_from_string (superseded);
  g_clear_pointer (&stmt, stmt_release);

  info = load_table (conn, app, table, error);
  if (info == NULL)
    return FALSE;
  replay->record = fetch_record_or (conn, info, record_id, version, NULL, error,
                                    NAVETTE_API_ERROR_INTERNAL,
                                    "The version this request wrote is missing.");
  if (replay->record == NULL)
    return FALSE;
  replay->record->obsolete = FALSE;

  *result = g_steal_pointer (&replay);
  return TRUE;
}

static gboolean
idem_store (Conn                        *conn,
            const char                  *user,
            const NavetteDbIdempotency  *idem,
            TableInfo                   *info,
            NavetteDbWriteResult        *result,
            gint64                       now,
            GError                     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autofree char *superseded = NULL;

  if (!idem_used (idem))
    return TRUE;

  stmt = conn_prepare (conn,
                       "INSERT INTO idempotency_keys (username, key, request_hash, app, \"table\","
                       " record_id, version, created, superseded, created_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                       error);
  if (stmt == NULL)
    return FALSE;
  superseded = navette_db_superseded_to_string (result->superseded);
  bind_text (stmt, 1, user);
  bind_text (stmt, 2, idem->key);
  bind_text (stmt, 3, idem->request_hash != NULL ? idem->request_hash : "");
  bind_text (stmt, 4, info->app);
  bind_text (stmt, 5, info->schema->name);
  bind_text (stmt, 6, result->record->id);
  sqlite3_bind_int64 (stmt, 7, result->record->version);
  sqlite3_bind_int (stmt, 8, result->created ? 1 : 0);
  bind_text (stmt, 9, superseded);
  sqlite3_bind_int64 (stmt, 10, now);
  return stmt_run (conn, stmt, error);
}

/* ---- migrations ---- */

static gboolean
read_schema_version (Conn     *conn,
                     gint64   *version,
                     GError  **error)
{
  g_autoptr(NavetteSqliteStmt) exists = NULL;
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  int rc;

  *version = 0;
  exists = conn_prepare (conn,
                         "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                         error);
  if (exists == NULL)
    return FALSE;
  rc = stmt_step (conn, exists, error);
  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    return TRUE;

  /* Not cached: the table may not have existed at prepare time. */
  stmt = conn_prepare (conn, "SELECT coalesce(max(version), 0) FROM schema_version", error);
  if (stmt == NULL)
    return FALSE;
  rc = stmt_step (conn, stmt, error);
  if (rc == 0)
    return FALSE;
  *version = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
apply_migration (NavetteDbSqlite  *self,
                 gint64            number,
                 const char       *name,
                 GError          **error)
{
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *resource_path = NULL;
  g_autofree char *sql = NULL;
  gint64 current;

  resource_path = g_strdup_printf ("%s/%s", MIGRATIONS_PATH, name);
  bytes = g_resource_lookup_data (navette_server_get_resource (), resource_path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return FALSE;
  sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;

  if (!conn_exec (txn.conn,
                  "CREATE TABLE IF NOT EXISTS schema_version ("
                  " version INTEGER PRIMARY KEY NOT NULL,"
                  " name TEXT NOT NULL,"
                  " applied_at INTEGER NOT NULL)",
                  error))
    return FALSE;

  /* Another process may have applied it meanwhile. */
  if (!read_schema_version (txn.conn, &current, error))
    return FALSE;
  if (current >= number)
    return txn_commit (&txn, error);

  g_debug ("applying migration %s", name);
  if (!conn_exec (txn.conn, sql, error))
    return FALSE;

  stmt = conn_prepare (txn.conn,
                       "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, number);
  bind_text (stmt, 2, name);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  if (!stmt_run (txn.conn, stmt, error))
    return FALSE;
  g_clear_pointer (&stmt, stmt_release);

  return txn_commit (&txn, error);
}

static gboolean
navette_db_sqlite_migrate (NavetteDb  *db,
                           GError    **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(GStrv) names = NULL;
  gint64 current = 0;

  names = g_resource_enumerate_children (navette_server_get_resource (), MIGRATIONS_PATH,
                                         G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (names == NULL)
    return FALSE;
  qsort (names, g_strv_length (names), sizeof (char *), navette_db_compare_strings);

  {
    g_auto(Txn) txn = { 0 };

    if (!txn_begin (self, &txn, TXN_NONE, error) ||
        !read_schema_version (txn.conn, &current, error))
      return FALSE;
  }

  for (guint i = 0; names[i] != NULL; i++)
    {
      char *end = NULL;
      gint64 number;

      if (!g_str_has_suffix (names[i], ".sql"))
        continue;
      number = g_ascii_strtoll (names[i], &end, 10);
      if (number <= 0 || end == NULL || *end != '-')
        {
          g_message ("ignoring migration with a malformed name: %s", names[i]);
          continue;
        }
      if (number <= current)
        continue;
      if (!apply_migration (self, number, names[i], error))
        return FALSE;
    }

  return TRUE;
}

gint64
navette_db_sqlite_get_schema_version (NavetteDbSqlite  *self,
                                      GError          **error)
{
  g_auto(Txn) txn = { 0 };
  gint64 version = 0;

  g_return_val_if_fail (NAVETTE_IS_DB_SQLITE (self), -1);

  if (!txn_begin (self, &txn, TXN_NONE, error) ||
      !read_schema_version (txn.conn, &version, error))
    return -1;
  return version;
}

static gboolean
navette_db_sqlite_ping (NavetteDb  *db,
                        GError    **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_NONE, error))
    return FALSE;
  stmt = conn_prepare (txn.conn, "SELECT count(*) FROM sqlite_master", error);
  if (stmt == NULL)
    return FALSE;
  return stmt_step (txn.conn, stmt, error) == SQLITE_ROW;
}

/* ---- users and sessions ---- */

static NavetteDbUser *
read_user (sqlite3_stmt *stmt)
{
  NavetteDbUser *user = g_new0 (NavetteDbUser, 1);

  user->id = sqlite3_column_int64 (stmt, 0);
  user->username = column_dup_text (stmt, 1);
  user->display_name = column_dup_text (stmt, 2);
  user->password_hash = column_dup_text (stmt, 3);
  user->admin = sqlite3_column_int (stmt, 4) != 0;
  return user;
}

#define USER_COLUMNS "u.id, u.username, u.display_name, u.password_hash, u.admin"

static gboolean
navette_db_sqlite_user_add (NavetteDb   *db,
                            const char  *actor,
                            const char  *username,
                            const char  *display_name,
                            const char  *password_hash,
                            gboolean     admin,
                            GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autofree char *detail = NULL;
  gint64 now = g_get_real_time ();

  if (!username_is_valid (username))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid user name: use 1 to 64 lowercase letters, digits, "
                   "“_”, “-” or “.”, starting with a letter or a digit.", username);
      return FALSE;
    }
  if (display_name == NULL || *display_name == '\0')
    display_name = username;
  if (!g_utf8_validate (display_name, -1, NULL) || g_utf8_strlen (display_name, -1) > 200)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The display name must be valid UTF-8, at most 200 characters.");
      return FALSE;
    }

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;

  stmt = conn_prepare (txn.conn,
                       "INSERT INTO users (username, display_name, password_hash, admin,"
                       " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
                       " ON CONFLICT (username) DO NOTHING",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, username);
  bind_text (stmt, 2, display_name);
  bind_text (stmt, 3, password_hash);
  sqlite3_bind_int (stmt, 4, admin ? 1 : 0);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!stmt_run_changing (txn.conn, stmt, error, NAVETTE_API_ERROR_CONFLICT,
                          "The user “%s” already exists.", username))
    return FALSE;

  detail = g_strdup_printf ("%s%s", username, admin ? " (admin)" : "");
  return commit_audited (&txn, now, actor, "user_add", NULL, NULL, detail, error);
}

static gboolean
navette_db_sqlite_user_set_password (NavetteDb   *db,
                                     const char  *actor,
                                     const char  *username,
                                     const char  *password_hash,
                                     GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(NavetteSqliteStmt) revoke = NULL;
  gint64 now = g_get_real_time ();

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;

  stmt = conn_prepare (txn.conn,
                       "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE username = ?1",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, username);
  bind_text (stmt, 2, password_hash);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!stmt_run_changing (txn.conn, stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                          "There is no user “%s”.", username))
    return FALSE;

  /* A new password ends the sessions opened with the old one. */
  revoke = conn_prepare (txn.conn,
                         "UPDATE sessions SET revoked = 1 WHERE revoked = 0"
                         " AND user_id = (SELECT id FROM users WHERE username = ?1)",
                         error);
  if (revoke == NULL)
    return FALSE;
  bind_text (revoke, 1, username);
  if (!stmt_run (txn.conn, revoke, error))
    return FALSE;

  return commit_audited (&txn, now, actor, "user_passwd", NULL, NULL, username, error);
}

static NavetteDbUser *
navette_db_sqlite_user_get (NavetteDb   *db,
                            const char  *username,
                            GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;
  stmt = conn_prepare (txn.conn, "SELECT " USER_COLUMNS " FROM users u WHERE u.username = ?1",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, username);
  if (!stmt_step_row (txn.conn, stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                      "There is no user “%s”.", username))
    return NULL;
  return read_user (stmt);
}

static GPtrArray *
navette_db_sqlite_user_list (NavetteDb  *db,
                             GError    **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;
  stmt = conn_prepare (txn.conn, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.username",
                       error);
  if (stmt == NULL)
    return NULL;

  return collect_rows (txn.conn, stmt, (ReadRowFunc) read_user,
                       (GDestroyNotify) navette_db_user_free, error);
}

static gboolean
navette_db_sqlite_session_create (NavetteDb   *db,
                                  const char  *username,
                                  const char  *token_hash,
                                  gint64       expires_at,
                                  GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;
  stmt = conn_prepare (txn.conn,
                       "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)"
                       " SELECT ?1, id, ?3, ?4 FROM users WHERE username = ?2",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, token_hash);
  bind_text (stmt, 2, username);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  sqlite3_bind_int64 (stmt, 4, expires_at);
  if (!stmt_run_changing (txn.conn, stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                          "There is no user “%s”.", username))
    return FALSE;

  return txn_commit (&txn, error);
}

static NavetteDbUser *
navette_db_sqlite_session_lookup (NavetteDb   *db,
                                  const char  *token_hash,
                                  gint64      *expires_at,
                                  GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;
  stmt = conn_prepare (txn.conn,
                       "SELECT " USER_COLUMNS ", s.expires_at FROM sessions s"
                       " JOIN users u ON u.id = s.user_id"
                       " WHERE s.token_hash = ?1 AND s.revoked = 0",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, token_hash);
  if (!stmt_step_row (txn.conn, stmt, error, NAVETTE_API_ERROR_AUTH_REQUIRED,
                      "This session is unknown or was closed; sign in again."))
    return NULL;
  if (expires_at != NULL)
    *expires_at = sqlite3_column_int64 (stmt, 5);
  return read_user (stmt);
}

static gboolean
row_exists (Conn        *conn,
            const char  *sql,
            const char  *value,
            gboolean    *exists,
            GError     **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  int rc;

  stmt = conn_prepare (conn, sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, value);
  rc = stmt_step (conn, stmt, error);
  if (rc == 0)
    return FALSE;
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
navette_db_sqlite_session_revoke (NavetteDb   *db,
                                  const char  *token_hash,
                                  GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;
  stmt = conn_prepare (txn.conn, "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, token_hash);
  if (!stmt_run (txn.conn, stmt, error))
    return FALSE;

  if (sqlite3_changes (txn.conn->handle) == 0)
    {
      gboolean exists;

      if (!row_exists (txn.conn, "SELECT 1 FROM sessions WHERE token_hash = ?1", token_hash,
                       &exists, error))
        return FALSE;
      if (!exists)
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED,
                               "This session is unknown; sign in again.");
          return FALSE;
        }
    }

  return txn_commit (&txn, error);
}

/* NOT_FOUND "No such application." unless @app exists. */
static gboolean
require_app (Conn        *conn,
             const char  *app,
             GError     **error)
{
  gboolean exists = FALSE;

  if (!row_exists (conn, "SELECT 1 FROM applications WHERE name = ?1", app, &exists, error))
    return FALSE;
  if (!exists)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                           "No such application.");
      return FALSE;
    }
  return TRUE;
}

/* ---- roles ---- */

static GHashTable *
navette_db_sqlite_roles_for_user (NavetteDb   *db,
                                  const char  *username,
                                  GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GHashTable) roles = NULL;
  int rc;

  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;
  stmt = conn_prepare (txn.conn,
                       "SELECT app, role FROM role_grants"
                       " WHERE username = ?1 AND obsolete = 0 AND archived = 0 AND role IS NOT NULL",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, username);

  roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((rc = stmt_step (txn.conn, stmt, error)) == SQLITE_ROW)
    g_hash_table_insert (roles, column_dup_text (stmt, 0), column_dup_text (stmt, 1));
  if (rc != SQLITE_DONE)
    return NULL;

  return g_steal_pointer (&roles);
}

static gboolean
require_user_and_app (Conn        *conn,
                      const char  *username,
                      const char  *app,
                      GError     **error)
{
  gboolean exists = FALSE;

  if (!row_exists (conn, "SELECT 1 FROM users WHERE username = ?1", username, &exists, error))
    return FALSE;
  if (!exists)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                   "There is no user “%s”.", username);
      return FALSE;
    }
  if (!navette_name_is_valid (app) ||
      !row_exists (conn, "SELECT 1 FROM applications WHERE name = ?1", app, &exists, error))
    exists = FALSE;
  if (error != NULL && *error != NULL)
    return FALSE;
  if (!exists)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                   "There is no application “%s”.", app);
      return FALSE;
    }
  return TRUE;
}

/* Writes a new version of the (username, app) grant: @role NULL revokes. */
static gboolean
write_grant (NavetteDbSqlite  *self,
             const char       *actor,
             const char       *username,
             const char       *app,
             const char       *role,
             GError          **error)
{
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) current = NULL;
  g_autoptr(NavetteSqliteStmt) obsolete = NULL;
  g_autoptr(NavetteSqliteStmt) insert = NULL;
  g_autofree char *record_id = NULL;
  g_autofree char *current_role = NULL;
  g_autofree char *detail = NULL;
  gint64 row_id = 0;
  gint64 version = 0;
  gint64 revision = 0;
  gint64 now = g_get_real_time ();
  int rc;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;
  if (!require_user_and_app (txn.conn, username, app, error))
    return FALSE;

  current = conn_prepare (txn.conn,
                          "SELECT row_id, record_id, version, role FROM role_grants"
                          " WHERE username = ?1 AND app = ?2 AND obsolete = 0",
                          error);
  if (current == NULL)
    return FALSE;
  bind_text (current, 1, username);
  bind_text (current, 2, app);
  rc = stmt_step (txn.conn, current, error);
  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      row_id = sqlite3_column_int64 (current, 0);
      record_id = column_dup_text (current, 1);
      version = sqlite3_column_int64 (current, 2);
      current_role = column_dup_text (current, 3);
    }
  g_clear_pointer (&current, stmt_release);

  if (g_strcmp0 (current_role, role) == 0)
    {
      if (role == NULL)
        {
          g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                       "“%s” has no role in “%s”.", username, app);
          return FALSE;
        }
      return txn_commit (&txn, error); /* nothing changes */
    }

  if (record_id != NULL)
    {
      obsolete = conn_prepare (txn.conn, "UPDATE role_grants SET obsolete = 1 WHERE row_id = ?1",
                               error);
      if (obsolete == NULL)
        return FALSE;
      sqlite3_bind_int64 (obsolete, 1, row_id);
      if (!stmt_run (txn.conn, obsolete, error))
        return FALSE;
    }
  else
    record_id = navette_uuid_new ();

  if (!read_table_revision (txn.conn, ROLE_GRANTS_TABLE_NAME, &revision, NULL, error))
    return FALSE;

  insert = conn_prepare (txn.conn,
                         "INSERT INTO role_grants (record_id, version, obsolete, archived,"
                         " updated_at, updated_by, revision, username, app, role)"
                         " VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                         error);
  if (insert == NULL)
    return FALSE;
  bind_text (insert, 1, record_id);
  sqlite3_bind_int64 (insert, 2, version + 1);
  sqlite3_bind_int (insert, 3, role == NULL ? 1 : 0);
  sqlite3_bind_int64 (insert, 4, now);
  bind_text (insert, 5, actor);
  sqlite3_bind_int64 (insert, 6, revision + 1);
  bind_text (insert, 7, username);
  bind_text (insert, 8, app);
  bind_text (insert, 9, role);
  if (!stmt_run (txn.conn, insert, error))
    return FALSE;

  if (role != NULL)
    detail = g_strdup_printf ("%s: %s", username, role);
  else
    detail = g_strdup_printf ("%s (was %s)", username, current_role);
  if (!audit_add (txn.conn, now, actor, role != NULL ? "grant" : "revoke", app, NULL,
                  record_id, version, version + 1, detail, error))
    return FALSE;

  return txn_commit (&txn, error);
}

static gboolean
navette_db_sqlite_grant (NavetteDb   *db,
                         const char  *actor,
                         const char  *username,
                         const char  *app,
                         const char  *role,
                         GError     **error)
{
  if (g_strcmp0 (role, "reader") != 0 && g_strcmp0 (role, "editor") != 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a role: use “reader” or “editor”.", role);
      return FALSE;
    }
  return write_grant (NAVETTE_DB_SQLITE (db), actor, username, app, role, error);
}

static gboolean
navette_db_sqlite_revoke (NavetteDb   *db,
                          const char  *actor,
                          const char  *username,
                          const char  *app,
                          GError     **error)
{
  return write_grant (NAVETTE_DB_SQLITE (db), actor, username, app, NULL, error);
}

/* ---- applications and tables ---- */

static NavetteDbApp *
read_app (sqlite3_stmt *stmt)
{
  NavetteDbApp *app = g_new0 (NavetteDbApp, 1);

  app->name = column_dup_text (stmt, 0);
  app->title = column_dup_text (stmt, 1);
  return app;
}

static GPtrArray *
navette_db_sqlite_app_list (NavetteDb  *db,
                            GError    **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;
  stmt = conn_prepare (txn.conn, "SELECT name, title FROM applications ORDER BY name", error);
  if (stmt == NULL)
    return NULL;

  return collect_rows (txn.conn, stmt, (ReadRowFunc) read_app,
                       (GDestroyNotify) navette_db_app_free, error);
}

static gboolean
check_title (const char  *title,
             GError     **error)
{
  if (title != NULL && (!g_utf8_validate (title, -1, NULL) || g_utf8_strlen (title, -1) > 200))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A title must be valid UTF-8, at most 200 characters.");
      return FALSE;
    }
  return TRUE;
}

static gboolean
navette_db_sqlite_app_add (NavetteDb   *db,
                           const char  *actor,
                           const char  *name,
                           const char  *title,
                           GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  gint64 now = g_get_real_time ();

  if (!navette_name_is_valid (name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid application name: use a lowercase letter, then up "
                   "to 62 lowercase letters, digits or “_”.", name);
      return FALSE;
    }
  if (!check_title (title, error))
    return FALSE;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;
  stmt = conn_prepare (txn.conn,
                       "INSERT INTO applications (name, title, created_at) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (name) DO NOTHING",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  bind_text (stmt, 2, title != NULL && *title != '\0' ? title : name);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!stmt_run_changing (txn.conn, stmt, error, NAVETTE_API_ERROR_CONFLICT,
                          "The application “%s” already exists.", name))
    return FALSE;

  return commit_audited (&txn, now, actor, "app_add", name, NULL, title, error);
}

static GPtrArray *
navette_db_sqlite_table_list (NavetteDb   *db,
                              const char  *app,
                              GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  g_autoptr(GArray) ids = NULL;
  int rc;

  if (!check_app_name (app, error))
    return NULL;
  if (!txn_begin (self, &txn, TXN_READ, error))
    return NULL;

  if (!require_app (txn.conn, app, error))
    return NULL;

  stmt = conn_prepare (txn.conn,
                       "SELECT t.id, t.name, t.title FROM content_tables t"
                       " JOIN applications a ON a.id = t.app_id"
                       " WHERE a.name = ?1 ORDER BY t.name",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, app);

  tables = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_table_free);
  ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((rc = stmt_step (txn.conn, stmt, error)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
      g_ptr_array_add (tables, navette_wire_table_new ((const char *) sqlite3_column_text (stmt, 1),
                                                       (const char *) sqlite3_column_text (stmt, 2)));
    }
  if (rc != SQLITE_DONE)
    return NULL;
  g_clear_pointer (&stmt, stmt_release);

  for (guint i = 0; i < tables->len; i++)
    {
      NavetteWireTable *table = g_ptr_array_index (tables, i);
      g_autoptr(GPtrArray) columns = NULL;

      columns = load_columns (txn.conn, g_array_index (ids, gint64, i), error);
      if (columns == NULL)
        return NULL;
      g_ptr_array_extend_and_steal (table->columns, g_steal_pointer (&columns));
    }

  if (!txn_commit (&txn, error))
    return NULL;
  return g_steal_pointer (&tables);
}

static gboolean
check_column (const NavetteWireColumn  *column,
              GError                  **error)
{
  if (!navette_name_is_valid (column->name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid column name: use a lowercase letter, then up "
                   "to 62 lowercase letters, digits or “_”.", column->name);
      return FALSE;
    }
  if (column_name_is_reserved (column->name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is reserved for the record's own fields; choose another column name.",
                   column->name);
      return FALSE;
    }
  if (column->max_length < 0 ||
      (column->max_length > 0 && column->type != NAVETTE_COLUMN_TEXT))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: a maximum length only applies to text columns.",
                   column->name);
      return FALSE;
    }
  return check_title (column->title, error);
}

static gboolean
insert_column_row (Conn                     *conn,
                   gint64                    table_id,
                   gint64                    position,
                   const NavetteWireColumn  *column,
                   GError                  **error)
{
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  stmt = conn_prepare (conn,
                       "INSERT INTO content_columns (table_id, position, name, title, type,"
                       " required, max_length) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, table_id);
  sqlite3_bind_int64 (stmt, 2, position);
  bind_text (stmt, 3, column->name);
  bind_text (stmt, 4, column->title != NULL ? column->title : column->name);
  bind_text (stmt, 5, navette_column_type_to_string (column->type));
  sqlite3_bind_int (stmt, 6, column->required ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, column->type == NAVETTE_COLUMN_TEXT ? column->max_length : 0);
  return stmt_run (conn, stmt, error);
}

/* The trigger body statement that moves table_last_modifications. */
static char *
trigger_bump_sql (const char *tlm_name)
{
  /* SQL_NOW_USEC holds '%' characters: an argument, never a format. */
  return g_strdup_printf ("INSERT INTO table_last_modifications (table_name, last_update, revision)"
                          " VALUES ('%s', %s, 1)"
                          " ON CONFLICT (table_name) DO UPDATE"
                          " SET last_update = excluded.last_update, revision = revision + 1;",
                          tlm_name, SQL_NOW_USEC);
}

/* Sets the revision of a current row written by another program (which
 * left it at its default) to the table revision it was written at. */
static char *
trigger_fixup_sql (const char *tlm_name,
                   const char *sql_name)
{
  return g_strdup_printf ("UPDATE %s SET revision = (SELECT revision FROM table_last_modifications"
                          " WHERE table_name = '%s')"
                          " WHERE row_id = NEW.row_id AND NEW.obsolete = 0"
                          " AND NEW.revision IS NOT (SELECT revision FROM table_last_modifications"
                          " WHERE table_name = '%s');",
                          sql_name, tlm_name, tlm_name);
}

static char *
content_table_ddl (const char             *app,
                   const NavetteWireTable *table)
{
  g_autofree char *tlm_name = g_strdup_printf ("%s.%s", app, table->name);
  g_autofree char *sql_name = g_strdup_printf ("\"%s\"", tlm_name);
  g_autofree char *bump = trigger_bump_sql (tlm_name);
  g_autofree char *fixup = trigger_fixup_sql (tlm_name, sql_name);
  GString *ddl = g_string_new (NULL);

  g_string_append_printf (ddl,
                          "CREATE TABLE %s (\n"
                          "  row_id INTEGER PRIMARY KEY,\n"
                          "  record_id TEXT NOT NULL DEFAULT %s,\n"
                          "  version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),\n"
                          "  obsolete INTEGER NOT NULL DEFAULT 0 CHECK (obsolete IN (0, 1)),\n"
                          "  archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),\n"
                          "  updated_at INTEGER NOT NULL DEFAULT %s,\n"
                          "  updated_by TEXT NOT NULL DEFAULT 'sql',\n"
                          "  revision INTEGER NOT NULL DEFAULT 0",
                          sql_name, SQL_RANDOM_UUID, SQL_NOW_USEC);
  for (guint i = 0; i < table->columns->len; i++)
    {
      g_autofree char *definition = column_sql_definition (g_ptr_array_index (table->columns, i));
      g_string_append_printf (ddl, ",\n  %s", definition);
    }
  g_string_append (ddl, ",\n  UNIQUE (record_id, version)\n);\n");

  g_string_append_printf (ddl,
                          "CREATE UNIQUE INDEX \"%s:current\" ON %s (record_id) WHERE obsolete = 0;\n"
                          "CREATE INDEX \"%s:revision\" ON %s (obsolete, revision);\n",
                          tlm_name, sql_name, tlm_name, sql_name);

  g_string_append_printf (ddl,
                          "CREATE TRIGGER \"%s:after_insert\" AFTER INSERT ON %s\n"
                          "BEGIN\n  %s\n  %s\nEND;\n",
                          tlm_name, sql_name, bump, fixup);
  /* Skips only the fixup's own update (revision set to the table revision). */
  g_string_append_printf (ddl,
                          "CREATE TRIGGER \"%s:after_update\" AFTER UPDATE ON %s\n"
                          "WHEN NOT (NEW.revision IS NOT OLD.revision AND NEW.revision IS"
                          " (SELECT revision FROM table_last_modifications WHERE table_name = '%s'))\n"
                          "BEGIN\n  %s\n  %s\nEND;\n",
                          tlm_name, sql_name, tlm_name, bump, fixup);
  g_string_append_printf (ddl,
                          "CREATE TRIGGER \"%s:after_delete\" AFTER DELETE ON %s\n"
                          "BEGIN\n  %s\nEND;\n",
                          tlm_name, sql_name, bump);

  return g_string_free (ddl, FALSE);
}

static gboolean
navette_db_sqlite_table_add (NavetteDb               *db,
                             const char              *actor,
                             const char              *app,
                             const NavetteWireTable  *table,
                             GError                 **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) app_stmt = NULL;
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GString) detail = NULL;
  g_autofree char *ddl = NULL;
  gint64 now = g_get_real_time ();
  gint64 app_id;
  gint64 table_id;

  if (!navette_name_is_valid (table->name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid table name: use a lowercase letter, then up "
                   "to 62 lowercase letters, digits or “_”.", table->name);
      return FALSE;
    }
  if (!check_title (table->title, error))
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
  if (!check_app_name (app, error))
    return FALSE;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;

  app_stmt = conn_prepare (txn.conn, "SELECT id FROM applications WHERE name = ?1", error);
  if (app_stmt == NULL)
    return FALSE;
  bind_text (app_stmt, 1, app);
  if (!stmt_step_row (txn.conn, app_stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                      "There is no application “%s”.", app))
    return FALSE;
  app_id = sqlite3_column_int64 (app_stmt, 0);
  g_clear_pointer (&app_stmt, stmt_release);

  stmt = conn_prepare (txn.conn,
                       "INSERT INTO content_tables (app_id, name, title, created_at)"
                       " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (app_id, name) DO NOTHING",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, app_id);
  bind_text (stmt, 2, table->name);
  bind_text (stmt, 3, table->title != NULL && *table->title != '\0' ? table->title : table->name);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!stmt_run_changing (txn.conn, stmt, error, NAVETTE_API_ERROR_CONFLICT,
                          "The table “%s” already exists in “%s”.", table->name, app))
    return FALSE;
  table_id = sqlite3_last_insert_rowid (txn.conn->handle);
  g_clear_pointer (&stmt, stmt_release);

  detail = g_string_new (table->name);
  g_string_append (detail, " (");
  for (guint i = 0; i < table->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->columns, i);

      if (!insert_column_row (txn.conn, table_id, i + 1, column, error))
        return FALSE;
      g_string_append_printf (detail, "%s%s %s%s", i > 0 ? ", " : "", column->name,
                              navette_column_type_to_string (column->type),
                              column->required ? " required" : "");
    }
  g_string_append (detail, ")");

  ddl = content_table_ddl (app, table);
  if (!conn_exec (txn.conn, ddl, error))
    return FALSE;

  return commit_audited (&txn, now, actor, "table_add", app, table->name, detail->str, error);
}

static gboolean
navette_db_sqlite_column_add (NavetteDb                *db,
                              const char               *actor,
                              const char               *app,
                              const char               *table,
                              const NavetteWireColumn  *column,
                              GError                  **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteSqliteStmt) count = NULL;
  g_autofree char *count_sql = NULL;
  g_autofree char *definition = NULL;
  g_autofree char *alter = NULL;
  g_autofree char *detail = NULL;
  gint64 now = g_get_real_time ();

  if (!check_column (column, error))
    return FALSE;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;
  info = load_table (txn.conn, app, table, error);
  if (info == NULL)
    return FALSE;
  if (navette_wire_table_lookup_column (info->schema, column->name) != NULL)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The column “%s” already exists in “%s”.", column->name, table);
      return FALSE;
    }

  if (column->required)
    {
      int rc;

      count_sql = g_strdup_printf ("SELECT 1 FROM %s LIMIT 1", info->sql_name);
      count = conn_prepare (txn.conn, count_sql, error);
      if (count == NULL)
        return FALSE;
      rc = stmt_step (txn.conn, count, error);
      if (rc == 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        {
          g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                       "“%s” already has records, which would have no value for the new "
                       "required column “%s”: add it as optional.", table, column->name);
          return FALSE;
        }
      g_clear_pointer (&count, stmt_release);
    }

  if (!insert_column_row (txn.conn, info->id, info->schema->columns->len + 1, column, error))
    return FALSE;

  definition = column_sql_definition (column);
  alter = g_strdup_printf ("ALTER TABLE %s ADD COLUMN %s", info->sql_name, definition);
  if (!conn_exec (txn.conn, alter, error))
    return FALSE;

  detail = g_strdup_printf ("%s %s%s", column->name, navette_column_type_to_string (column->type),
                            column->required ? " required" : "");
  return commit_audited (&txn, now, actor, "column_add", app, table, detail, error);
}

/* ---- the light check ---- */

static gboolean
navette_db_sqlite_table_state (NavetteDb            *db,
                               const char           *app,
                               const char           *table,
                               NavetteDbTableState  *out,
                               GError              **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (!check_app_table_names (app, table, error))
    return FALSE;
  if (!txn_begin (self, &txn, TXN_NONE, error))
    return FALSE;

  stmt = conn_prepare (txn.conn,
                       "SELECT m.revision, m.last_update FROM content_tables t"
                       " JOIN applications a ON a.id = t.app_id"
                       " LEFT JOIN table_last_modifications m"
                       "   ON m.table_name = a.name || '.' || t.name"
                       " WHERE a.name = ?1 AND t.name = ?2",
                       error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, app);
  bind_text (stmt, 2, table);
  if (!stmt_step_row (txn.conn, stmt, error, NAVETTE_API_ERROR_NOT_FOUND, "No such table."))
    return FALSE;

  out->table = g_strdup (table);
  out->revision = sqlite3_column_int64 (stmt, 0);
  out->last_update = sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

static GPtrArray *
navette_db_sqlite_app_state (NavetteDb   *db,
                             const char  *app,
                             GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) states = NULL;
  int rc;

  if (!check_app_name (app, error))
    return NULL;
  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;

  /* One row per table; one row with a NULL table for an app without tables. */
  stmt = conn_prepare (txn.conn,
                       "SELECT t.name, m.revision, m.last_update FROM applications a"
                       " LEFT JOIN content_tables t ON t.app_id = a.id"
                       " LEFT JOIN table_last_modifications m"
                       "   ON m.table_name = a.name || '.' || t.name"
                       " WHERE a.name = ?1 ORDER BY t.name",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, app);

  states = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_db_table_state_free);
  while ((rc = stmt_step (txn.conn, stmt, error)) == SQLITE_ROW)
    {
      NavetteDbTableState *state;

      if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
        continue;
      state = g_new0 (NavetteDbTableState, 1);
      state->table = column_dup_text (stmt, 0);
      state->revision = sqlite3_column_int64 (stmt, 1);
      state->last_update = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (states, state);
    }
  if (rc != SQLITE_DONE)
    return NULL;
  if (states->len == 0)
    {
      g_clear_pointer (&stmt, stmt_release);
      if (!require_app (txn.conn, app, error))
        return NULL;
    }

  return g_steal_pointer (&states);
}

/* ---- records ---- */

/* Checks the names, opens a transaction of @mode and loads the table. */
static TableInfo *
open_table (NavetteDbSqlite  *self,
            Txn              *txn,
            TxnMode           mode,
            const char       *app,
            const char       *table,
            GError          **error)
{
  if (!check_app_table_names (app, table, error))
    return NULL;
  if (!txn_begin (self, txn, mode, error))
    return NULL;
  return load_table (txn->conn, app, table, error);
}

/* The start of record_list and record_list_json: opens the read
 * transaction (one snapshot) on the table, reads its revision and last
 * update, and prepares the select of its current rows
 * (those past revision @since when @since >= 0). */
static NavetteSqliteStmt *
begin_record_list (NavetteDbSqlite  *self,
                   Txn              *txn,
                   const char       *app,
                   const char       *table,
                   gint64            since,
                   TableInfo       **info,
                   gint64           *revision,
                   gint64           *last_update,
                   GError          **error)
{
  NavetteSqliteStmt *stmt;
  g_autofree char *sql = NULL;

  *info = open_table (self, txn, TXN_READ, app, table, error);
  if (*info == NULL)
    return NULL;
  if (!read_table_revision (txn->conn, (*info)->tlm_name, revision, last_update, error))
    return NULL;

  if (since >= 0)
    sql = g_strdup_printf ("%s WHERE obsolete = 0 AND revision > ?1 ORDER BY revision",
                           (*info)->select_sql);
  else
    sql = g_strdup_printf ("%s WHERE obsolete = 0 ORDER BY row_id", (*info)->select_sql);
  stmt = conn_prepare (txn->conn, sql, error);
  if (stmt == NULL)
    return NULL;
  if (since >= 0)
    sqlite3_bind_int64 (stmt, 1, since);
  return stmt;
}

/* Fills @state (when not NULL) with what begin_record_list() read. */
static void
set_list_state (NavetteDbTableState *state,
                const char          *table,
                gint64               revision,
                gint64               last_update)
{
  if (state == NULL)
    return;
  state->table = g_strdup (table);
  state->revision = revision;
  state->last_update = last_update;
}

static GPtrArray *
navette_db_sqlite_record_list (NavetteDb            *db,
                               const char           *app,
                               const char           *table,
                               gint64                since,
                               NavetteDbTableState  *state,
                               GError              **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) records = NULL;
  gint64 revision = 0;
  gint64 last_update = 0;
  int rc;

  stmt = begin_record_list (self, &txn, app, table, since, &info, &revision, &last_update,
                            error);
  if (stmt == NULL)
    return NULL;

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
  while ((rc = stmt_step (txn.conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (records, read_record (info, stmt, NULL));
  if (rc != SQLITE_DONE)
    return NULL;
  g_clear_pointer (&stmt, stmt_release);

  if (!txn_commit (&txn, error))
    return NULL;

  set_list_state (state, table, revision, last_update);
  return g_steal_pointer (&records);
}

/* Decimal text of @value, as "%" G_GINT64_FORMAT writes it, without printf. */
static void
append_int64 (GString *out,
              gint64   value)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 magnitude = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude != 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

/* @value zero-padded to @width digits into @p (which has room). */
static char *
put_digits (char *p,
            guint value,
            int   width)
{
  for (int i = width - 1; i >= 0; i--)
    {
      p[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  return p + width;
}

/* The quoted text navette_time_format() gives, without GDateTime or
 * printf for times in 1970-01-01 … 9999-12-31 (the rest goes through
 * navette_time_format, which also clamps). */
static void
append_time_string (GString *out,
                    gint64   unix_usec)
{
  char buf[32];
  char *p = buf;
  gint64 seconds, days, z, era, doe, yoe, doy, mp, year;
  guint usec, sod, month, day;

  if (unix_usec < 0 || unix_usec / G_USEC_PER_SEC > G_GINT64_CONSTANT (253402300799))
    {
      g_autofree char *text = navette_time_format (unix_usec);
      navette_json_append_string (out, text);
      return;
    }
  seconds = unix_usec / G_USEC_PER_SEC;
  usec = (guint) (unix_usec % G_USEC_PER_SEC);
  days = seconds / 86400;
  sod = (guint) (seconds % 86400);
  /* civil date from days since 1970-01-01 (proleptic Gregorian) */
  z = days + 719468;
  era = z / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  day = (guint) (doy - (153 * mp + 2) / 5 + 1);
  month = (guint) (mp < 10 ? mp + 3 : mp - 9);
  year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  *p++ = '"';
  p = put_digits (p, (guint) year, 4);
  *p++ = '-';
  p = put_digits (p, month, 2);
  *p++ = '-';
  p = put_digits (p, day, 2);
  *p++ = 'T';
  p = put_digits (p, sod / 3600, 2);
  *p++ = ':';
  p = put_digits (p, sod / 60 % 60, 2);
  *p++ = ':';
  p = put_digits (p, sod % 60, 2);
  *p++ = '.';
  p = put_digits (p, usec, 6);
  *p++ = 'Z';
  *p++ = '"';
  g_string_append_len (out, buf, p - buf);
}

/* navette_json_append_double()'s text, without printf for the common
 * case of a value with at most two decimals below 1e13: the %.15g
 * rendering of such a value is exactly its two-decimal form with
 * trailing zeros dropped (it reads back exactly: k / 100 is the value
 * strtod gives for that text), and ".0" is added when there is no
 * point. Anything else goes through navette_json_append_double. */
static void
append_real (GString *out,
             double   value)
{
  double scaled;
  gint64 k;
  guint64 whole;
  guint frac;

  if (!isfinite (value) || fabs (value) >= 1e13 || (value == 0.0 && signbit (value)))
    {
      navette_json_append_double (out, value);
      return;
    }
  scaled = value * 100.0;
  k = (gint64) llround (scaled);
  if ((double) k / 100.0 != value || (k != 0 && fabs (value) < 0.01))
    {
      navette_json_append_double (out, value);
      return;
    }
  if (k < 0)
    g_string_append_c (out, '-');
  whole = (guint64) (k < 0 ? -k : k) / 100;
  frac = (guint) ((guint64) (k < 0 ? -k : k) % 100);
  append_int64 (out, (gint64) whole);
  if (frac == 0)
    g_string_append (out, ".0");
  else if (frac % 10 == 0)
    {
      g_string_append_c (out, '.');
      g_string_append_c (out, (char) ('0' + frac / 10));
    }
  else
    {
      g_string_append_c (out, '.');
      g_string_append_c (out, (char) ('0' + frac / 10));
      g_string_append_c (out, (char) ('0' + frac % 10));
    }
}

/* One row of info->select_sql as navette_wire_record_append_json writes
 * the record read_record makes of it (without "obsolete"). */
static void
append_row_json (TableInfo    *info,
                 sqlite3_stmt *stmt,
                 GString      *out)
{
  g_string_append (out, "{\"id\":");
  navette_json_append_string (out, (const char *) sqlite3_column_text (stmt, 1));
  g_string_append (out, ",\"version\":");
  append_int64 (out, sqlite3_column_int64 (stmt, 2));
  g_string_append (out, ",\"revision\":");
  append_int64 (out, sqlite3_column_int64 (stmt, 3));
  g_string_append (out, ",\"data\":{");
  for (guint i = 0; i < info->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (info->schema->columns, i);
      int index = FIRST_DATA_COLUMN + (int) i;

      if (i > 0)
        g_string_append_c (out, ',');
      navette_json_append_string (out, column->name);
      g_string_append_c (out, ':');
      if (sqlite3_column_type (stmt, index) == SQLITE_NULL)
        {
          g_string_append (out, "null");
          continue;
        }
      switch (column->type)
        {
        case NAVETTE_COLUMN_INTEGER:
          append_int64 (out, sqlite3_column_int64 (stmt, index));
          break;
        case NAVETTE_COLUMN_REAL:
          append_real (out, sqlite3_column_double (stmt, index));
          break;
        case NAVETTE_COLUMN_BOOLEAN:
          g_string_append (out, sqlite3_column_int64 (stmt, index) != 0 ? "true" : "false");
          break;
        case NAVETTE_COLUMN_TEXT:
        case NAVETTE_COLUMN_DATE:
        default:
          navette_json_append_string (out, (const char *) sqlite3_column_text (stmt, index));
          break;
        }
    }
  g_string_append (out, sqlite3_column_int (stmt, 5) != 0 ? "},\"archived\":true" : "},\"archived\":false");
  g_string_append (out, ",\"updated_at\":");
  append_time_string (out, sqlite3_column_int64 (stmt, 6));
  g_string_append (out, ",\"updated_by\":");
  navette_json_append_string (out, (const char *) sqlite3_column_text (stmt, 7));
  g_string_append_c (out, '}');
}

/* record_list written as JSON text straight from the rows: no
 * NavetteWireRecord, no JsonObject per row. */
static gboolean
navette_db_sqlite_record_list_json (NavetteDb            *db,
                                    const char           *app,
                                    const char           *table,
                                    gint64                since,
                                    NavetteDbTableState  *state,
                                    GString              *out,
                                    GError              **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  gint64 revision = 0;
  gint64 last_update = 0;
  gboolean first = TRUE;
  int rc;

  stmt = begin_record_list (self, &txn, app, table, since, &info, &revision, &last_update,
                            error);
  if (stmt == NULL)
    return FALSE;

  g_string_append_c (out, '[');
  while ((rc = stmt_step (txn.conn, stmt, error)) == SQLITE_ROW)
    {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      append_row_json (info, stmt, out);
    }
  if (rc != SQLITE_DONE)
    return FALSE;
  g_string_append_c (out, ']');
  g_clear_pointer (&stmt, stmt_release);

  if (!txn_commit (&txn, error))
    return FALSE;

  set_list_state (state, table, revision, last_update);
  return TRUE;
}

static NavetteWireRecord *
navette_db_sqlite_record_get (NavetteDb   *db,
                              const char  *app,
                              const char  *table,
                              const char  *id,
                              GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;

  info = open_table (self, &txn, TXN_READ, app, table, error);
  if (info == NULL)
    return NULL;
  return fetch_record_or (txn.conn, info, id, 0, NULL, error,
                          NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
}

static GPtrArray *
navette_db_sqlite_record_versions (NavetteDb   *db,
                                   const char  *app,
                                   const char  *table,
                                   const char  *id,
                                   GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autofree char *sql = NULL;
  int rc;

  info = open_table (self, &txn, TXN_READ, app, table, error);
  if (info == NULL)
    return NULL;

  sql = g_strdup_printf ("%s WHERE record_id = ?1 ORDER BY version DESC", info->select_sql);
  stmt = conn_prepare (txn.conn, sql, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);

  versions = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
  while ((rc = stmt_step (txn.conn, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (versions, read_record (info, stmt, NULL));
  if (rc != SQLITE_DONE)
    return NULL;
  if (versions->len == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                           "No such record.");
      return NULL;
    }

  return g_steal_pointer (&versions);
}

/* The end of a record write that wrote result->record: audits it as
 * @action (from @from_version, with @detail), stores @idem and commits. */
static gboolean
end_record_write (Txn                         *txn,
                  TableInfo                   *info,
                  const char                  *user,
                  const NavetteDbIdempotency  *idem,
                  NavetteDbWriteResult        *result,
                  gint64                       now,
                  const char                  *action,
                  gint64                       from_version,
                  const char                  *detail,
                  GError                     **error)
{
  return audit_add (txn->conn, now, user, action, info->app, info->schema->name,
                    result->record->id, from_version, result->record->version, detail, error)
      && idem_store (txn->conn, user, idem, info, result, now, error)
      && txn_commit (txn, error);
}

static NavetteDbWriteResult *
navette_db_sqlite_record_create (NavetteDb                   *db,
                                 const char                  *app,
                                 const char                  *table,
                                 const char                  *id,
                                 JsonObject                  *data,
                                 const char                  *user,
                                 const NavetteDbIdempotency  *idem,
                                 GError                     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autofree char *new_id = NULL;
  gint64 now = g_get_real_time ();

  if (!check_app_table_names (app, table, error))
    return NULL;
  if (id != NULL && !navette_uuid_is_valid (id))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A record id must be a lowercase UUID.");
      return NULL;
    }

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return NULL;
  if (!idem_lookup (txn.conn, user, idem, &result, error))
    return NULL;
  if (result != NULL)
    return g_steal_pointer (&result);

  info = load_table (txn.conn, app, table, error);
  if (info == NULL)
    return NULL;

  result = g_new0 (NavetteDbWriteResult, 1);

  if (id != NULL)
    {
      g_autoptr(NavetteWireRecord) first = NULL;

      first = fetch_record (txn.conn, info, id, 1, NULL, error);
      if (first == NULL && error != NULL && *error != NULL)
        return NULL;
      if (first != NULL)
        {
          for (guint i = 0; i < info->schema->columns->len; i++)
            {
              const NavetteWireColumn *column = g_ptr_array_index (info->schema->columns, i);

              if (!json_values_equal (column->type,
                                      json_object_get_member (data, column->name),
                                      json_object_get_member (first->data, column->name)))
                {
                  g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                                       "A record with this id already exists with other data.");
                  return NULL;
                }
            }

          /* A replay of the create: the record as it is now, nothing written. */
          result->created = FALSE;
          result->record = fetch_record_or (txn.conn, info, id, 0, NULL, error,
                                            NAVETTE_API_ERROR_INTERNAL,
                                            "The record has no current version.");
          if (result->record == NULL)
            return NULL;
          if (!idem_store (txn.conn, user, idem, info, result, now, error) ||
              !txn_commit (&txn, error))
            return NULL;
          return g_steal_pointer (&result);
        }
    }
  else
    id = new_id = navette_uuid_new ();

  if (!insert_version (txn.conn, info, id, 1, FALSE, data, user, now, 0, error))
    return NULL;
  result->created = TRUE;
  result->record = fetch_record_or (txn.conn, info, id, 1, NULL, error,
                                    NAVETTE_API_ERROR_INTERNAL,
                                    "The new record cannot be read back.");
  if (result->record == NULL)
    return NULL;

  if (!end_record_write (&txn, info, user, idem, result, now, "create", 0, NULL, error))
    return NULL;

  return g_steal_pointer (&result);
}

static gboolean
navette_db_sqlite_record_create_many (NavetteDb   *db,
                                      const char  *app,
                                      const char  *table,
                                      GPtrArray   *data,
                                      const char  *user,
                                      GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  gint64 revision = 0;
  gint64 now = g_get_real_time ();

  info = open_table (self, &txn, TXN_WRITE, app, table, error);
  if (info == NULL)
    return FALSE;
  if (!read_table_revision (txn.conn, info->tlm_name, &revision, NULL, error))
    return FALSE;

  for (guint i = 0; i < data->len; i++)
    {
      g_autofree char *id = navette_uuid_new ();

      /* Each insert moves the table revision by one (its trigger). */
      revision++;
      if (!insert_version (txn.conn, info, id, 1, FALSE, g_ptr_array_index (data, i), user,
                           now, revision, error) ||
          !audit_add (txn.conn, now, user, "create", app, table, id, 0, 1, NULL, error))
        return FALSE;
    }

  return txn_commit (&txn, error);
}

/* Writes version current + 1 with @data and @archived, in the open write
 * transaction: marks the current row obsolete first. */
static gboolean
write_next_version (Conn               *conn,
                    TableInfo          *info,
                    NavetteWireRecord  *current,
                    gint64              current_row_id,
                    JsonObject         *data,
                    gboolean            archived,
                    const char         *user,
                    gint64              now,
                    NavetteWireRecord **written,
                    GError            **error)
{
  if (!mark_obsolete (conn, info, current_row_id, error) ||
      !insert_version (conn, info, current->id, current->version + 1, archived, data, user,
                       now, 0, error))
    return FALSE;

  *written = fetch_record_or (conn, info, current->id, current->version + 1, NULL, error,
                              NAVETTE_API_ERROR_INTERNAL,
                              "The new version cannot be read back.");
  return *written != NULL;
}

/* The start of an update or a revert of @id: checks the names, opens the
 * write transaction and answers a replay of @idem (*replay set, and nothing
 * else), or else loads the table and the current version of the record. */
static gboolean
begin_record_write (NavetteDbSqlite             *self,
                    Txn                         *txn,
                    const char                  *app,
                    const char                  *table,
                    const char                  *id,
                    const char                  *user,
                    const NavetteDbIdempotency  *idem,
                    NavetteDbWriteResult       **replay,
                    TableInfo                  **info,
                    NavetteWireRecord          **current,
                    gint64                      *row_id,
                    GError                     **error)
{
  if (!check_app_table_names (app, table, error))
    return FALSE;

  if (!txn_begin (self, txn, TXN_WRITE, error))
    return FALSE;
  if (!idem_lookup (txn->conn, user, idem, replay, error))
    return FALSE;
  if (*replay != NULL)
    return TRUE;

  *info = load_table (txn->conn, app, table, error);
  if (*info == NULL)
    return FALSE;
  *current = fetch_record_or (txn->conn, *info, id, 0, row_id, error,
                              NAVETTE_API_ERROR_NOT_FOUND, "No such record.");
  return *current != NULL;
}

static NavetteDbWriteResult *
navette_db_sqlite_record_update (NavetteDb                   *db,
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
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(JsonObject) merged = NULL;
  gboolean new_archived;
  const char *action;
  gint64 row_id = 0;
  gint64 now = g_get_real_time ();

  if (!begin_record_write (self, &txn, app, table, id, user, idem, &result, &info,
                           &current, &row_id, error))
    return NULL;
  if (result != NULL)
    return g_steal_pointer (&result);
  if (!navette_db_check_base_version (base_version, current->version, error))
    return NULL;

  merged = navette_db_update_data (info->schema, current, data, archived, validate,
                                   validate_data, &new_archived, &action, error);
  if (merged == NULL)
    return NULL;

  result = g_new0 (NavetteDbWriteResult, 1);
  result->superseded = navette_db_superseded_versions (base_version, current->version);

  if (!write_next_version (txn.conn, info, current, row_id, merged, new_archived, user, now,
                           &result->record, error))
    return NULL;

  if (!end_record_write (&txn, info, user, idem, result, now, action, current->version, NULL,
                         error))
    return NULL;

  return g_steal_pointer (&result);
}

static NavetteDbWriteResult *
navette_db_sqlite_record_revert (NavetteDb                   *db,
                                 const char                  *app,
                                 const char                  *table,
                                 const char                  *id,
                                 gint64                       version,
                                 const char                  *user,
                                 const NavetteDbIdempotency  *idem,
                                 GError                     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(TableInfo) info = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(NavetteWireRecord) target = NULL;
  g_autofree char *detail = NULL;
  gint64 row_id = 0;
  gint64 now = g_get_real_time ();

  if (!begin_record_write (self, &txn, app, table, id, user, idem, &result, &info,
                           &current, &row_id, error))
    return NULL;
  if (result != NULL)
    return g_steal_pointer (&result);
  if (version <= 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                   "This record has no version %" G_GINT64_FORMAT ".", version);
      return NULL;
    }
  target = fetch_record_or (txn.conn, info, id, version, NULL, error,
                            NAVETTE_API_ERROR_NOT_FOUND,
                            "This record has no version %" G_GINT64_FORMAT ".", version);
  if (target == NULL)
    return NULL;

  result = g_new0 (NavetteDbWriteResult, 1);
  if (!write_next_version (txn.conn, info, current, row_id, target->data, target->archived,
                           user, now, &result->record, error))
    return NULL;

  detail = g_strdup_printf ("reverted to version %" G_GINT64_FORMAT, version);
  if (!end_record_write (&txn, info, user, idem, result, now, "revert", current->version,
                         detail, error))
    return NULL;

  return g_steal_pointer (&result);
}

/* ---- audit and housekeeping ---- */

static NavetteDbAuditEntry *
read_audit_entry (sqlite3_stmt *stmt)
{
  NavetteDbAuditEntry *entry = g_new0 (NavetteDbAuditEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->at = sqlite3_column_int64 (stmt, 1);
  entry->user = column_dup_text (stmt, 2);
  entry->action = column_dup_text (stmt, 3);
  entry->app = column_dup_text (stmt, 4);
  entry->table = column_dup_text (stmt, 5);
  entry->record = column_dup_text (stmt, 6);
  entry->from_version = sqlite3_column_int64 (stmt, 7);
  entry->to_version = sqlite3_column_int64 (stmt, 8);
  entry->detail = column_dup_text (stmt, 9);
  return entry;
}

static GPtrArray *
navette_db_sqlite_audit_list (NavetteDb   *db,
                              const char  *app,
                              gint64       after,
                              guint        limit,
                              GError     **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) stmt = NULL;

  if (app != NULL && !check_app_name (app, error))
    return NULL;
  if (!txn_begin (self, &txn, TXN_NONE, error))
    return NULL;

  stmt = conn_prepare (txn.conn,
                       "SELECT id, at, user, action, app, \"table\", record, from_version,"
                       " to_version, detail FROM audit"
                       " WHERE (?1 IS NULL OR app = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
                       error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, app);
  sqlite3_bind_int64 (stmt, 2, after);
  sqlite3_bind_int64 (stmt, 3, limit > 0 ? limit : 100);

  return collect_rows (txn.conn, stmt, (ReadRowFunc) read_audit_entry,
                       (GDestroyNotify) navette_db_audit_entry_free, error);
}

static gboolean
navette_db_sqlite_purge (NavetteDb  *db,
                         gint64      older_than,
                         GError    **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  g_auto(Txn) txn = { 0 };
  g_autoptr(NavetteSqliteStmt) keys = NULL;
  g_autoptr(NavetteSqliteStmt) sessions = NULL;

  if (!txn_begin (self, &txn, TXN_WRITE, error))
    return FALSE;

  keys = conn_prepare (txn.conn, "DELETE FROM idempotency_keys WHERE created_at < ?1", error);
  if (keys == NULL)
    return FALSE;
  sqlite3_bind_int64 (keys, 1, older_than);
  if (!stmt_run (txn.conn, keys, error))
    return FALSE;

  sessions = conn_prepare (txn.conn, "DELETE FROM sessions WHERE expires_at < ?1", error);
  if (sessions == NULL)
    return FALSE;
  sqlite3_bind_int64 (sessions, 1, older_than);
  if (!stmt_run (txn.conn, sessions, error))
    return FALSE;

  return txn_commit (&txn, error);
}

/* ---- GObject ---- */

static void
navette_db_sqlite_finalize (GObject *object)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (object);
  Conn *conn;

  while ((conn = g_queue_pop_head (&self->pool)) != NULL)
    conn_free (conn);
  g_mutex_clear (&self->pool_lock);
  g_mutex_clear (&self->write_lock);
  g_cond_clear (&self->write_cond);
  g_free (self->path);

  G_OBJECT_CLASS (navette_db_sqlite_parent_class)->finalize (object);
}

static void
navette_db_sqlite_class_init (NavetteDbSqliteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NavetteDbClass *db_class = NAVETTE_DB_CLASS (klass);

  object_class->finalize = navette_db_sqlite_finalize;

  NAVETTE_DB_CLASS_SET_VFUNCS (db_class, navette_db_sqlite);
}

static void
navette_db_sqlite_init (NavetteDbSqlite *self)
{
  self->busy_timeout = NAVETTE_DB_SQLITE_DEFAULT_BUSY_TIMEOUT;
  g_mutex_init (&self->pool_lock);
  g_mutex_init (&self->write_lock);
  g_cond_init (&self->write_cond);
  g_queue_init (&self->pool);
}

NavetteDb *
navette_db_sqlite_new (const char  *path,
                       GError     **error)
{
  g_autoptr(NavetteDbSqlite) self = NULL;
  Conn *conn;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_DB_SQLITE, NULL);
  self->path = g_strdup (path);

  conn = conn_open (self, error);
  if (conn == NULL)
    return NULL;
  pool_release (self, conn);

  return NAVETTE_DB (g_steal_pointer (&self));
}

const char *
navette_db_sqlite_get_path (NavetteDbSqlite *self)
{
  g_return_val_if_fail (NAVETTE_IS_DB_SQLITE (self), NULL);
  return self->path;
}

void
navette_db_sqlite_set_busy_timeout (NavetteDbSqlite *self,
                                    guint            timeout_ms)
{
  g_return_if_fail (NAVETTE_IS_DB_SQLITE (self));
  g_atomic_int_set (&self->busy_timeout, MIN (timeout_ms, (guint) G_MAXINT));
}

guint
navette_db_sqlite_get_busy_timeout (NavetteDbSqlite *self)
{
  g_return_val_if_fail (NAVETTE_IS_DB_SQLITE (self), 0);
  return g_atomic_int_get (&self->busy_timeout);
}
