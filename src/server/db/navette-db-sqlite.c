/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-sqlite.c — the SQLite driver of NavetteDb.
 *
 * Connections: a pool; an operation takes an idle connection (or opens a
 * new one) for its duration, so there is one connection per concurrent
 * caller. WAL lets readers go on while a writer writes. Each connection
 * keeps its prepared statements.
 *
 * Writes: every write transaction is BEGIN IMMEDIATE. The writers of this
 * process first queue on a condition variable (the "write gate"), so only
 * writers of other processes ever meet SQLite's busy handler. Both waits
 * are bounded by the busy timeout; past it: NAVETTE_API_ERROR_UNAVAILABLE.
 * So writers of one record (or anything) run one after the other: there
 * is no per-record lock, and no attempt is ever made again.
 *
 * Versioning: marking the current row obsolete moves the table revision
 * (the AFTER UPDATE trigger), then the insert of version + 1 takes
 * revision = table revision + 1, which its AFTER INSERT trigger makes the
 * table revision. A row inserted by another program may leave revision at
 * its default 0: the triggers then set it to the new table revision, so
 * it shows in `since` deltas too. */
#define G_LOG_DOMAIN "navette-db-sqlite"

#include "config.h"

#include <sqlite3.h>

#include "navette-db-sqlite.h"
#include "navette-db-sqlite-watch.h"
#include "navette-db-driver.h"

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

/* The table revision after the next row written. */
#define SQL_NEXT_REVISION(tlm_name) \
  "coalesce ((SELECT revision FROM table_last_modifications WHERE table_name = " tlm_name "), 0) + 1"

/* The statements whose standard text SQLite cannot run, or runs another way. */
static const char * const sqlite_sql[NAVETTE_DB_N_SQL] = {
  /* BEGIN IMMEDIATE holds the database's write lock already */
  [NAVETTE_DB_SQL_MIGRATIONS_LOCK] = "SELECT 1",
  [NAVETTE_DB_SQL_MIGRATIONS_TABLE] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  [NAVETTE_DB_SQL_MIGRATIONS_EXIST] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
  [NAVETTE_DB_SQL_MIGRATIONS_APPLIED] = "SELECT name FROM schema_version",
  [NAVETTE_DB_SQL_MIGRATION_DONE] =
    "INSERT INTO schema_version (version, name, applied_at) VALUES (?2, ?1, ?3)",
  [NAVETTE_DB_SQL_GRANT_INSERT] =
    "INSERT INTO role_grants (record_id, version, archived, updated_by, username, app, role,"
    " obsolete, updated_at, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, FALSE, ?8, "
    SQL_NEXT_REVISION ("'_navette.role_grants'") ")",
};

#define NAVETTE_TYPE_DB_SQLITE (navette_db_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (NavetteDbSqlite, navette_db_sqlite, NAVETTE, DB_SQLITE, NavetteDb)

struct _NavetteDbSqlite
{
  NavetteDb  parent_instance;

  char      *path;
  guint      busy_timeout; /* atomic */

  NavetteDbWatch       *watch;  /* navette_db_watch_changes() */

  GMutex     pool_lock;
  GQueue     pool;         /* idle Conn* */

  GMutex     write_lock;
  GCond      write_cond;
  gboolean   writing;
};

G_DEFINE_FINAL_TYPE (NavetteDbSqlite, navette_db_sqlite, NAVETTE_TYPE_DB)

typedef struct _Conn Conn;

typedef struct
{
  NavetteDbStmt  base;
  Conn          *conn;
  sqlite3_stmt  *handle;
} Stmt;

struct _Conn
{
  NavetteDbConn  base;
  sqlite3       *handle;
  Stmt          *by_id[NAVETTE_DB_N_SQL];
  GHashTable    *by_text;  /* SQL text → Stmt*: the core's own texts */
  guint          busy_timeout;
  gboolean       in_transaction;
  gboolean       holds_gate;
};

/* Maps an SQLite result code to its failure. The SQL, the SQLite message
 * and the path go to the log, never into the GError. */
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
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_BUSY);
      break;

    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      g_debug ("unavailable: %s: %s (%d)", context, detail, rc);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_DAMAGED);
      break;

    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_PROTOCOL:
      g_debug ("unavailable: %s: %s (%d)", context, detail, rc);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_UNUSABLE);
      break;

    case SQLITE_CONSTRAINT:
      g_debug ("constraint: %s: %s (%d)", context, detail, rc);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_CONSTRAINT);
      break;

    default:
      g_message ("database error: %s: %s (%d)", context, detail, rc);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_INTERNAL);
      break;
    }
}

/* ------------------------------------------------------------------ */
/* Connections and the write gate                                      */

static void
stmt_free (Stmt *stmt)
{
  if (stmt == NULL)
    return;
  sqlite3_finalize (stmt->handle);
  g_free (stmt);
}

static void
conn_free (Conn *conn)
{
  if (conn == NULL)
    return;
  for (guint i = 0; i < NAVETTE_DB_N_SQL; i++)
    stmt_free (conn->by_id[i]);
  g_clear_pointer (&conn->by_text, g_hash_table_unref);
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
  conn->base.db = NAVETTE_DB (self);
  conn->handle = handle;
  conn->by_text = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) stmt_free);
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

static void
pool_push (NavetteDbSqlite *self,
           Conn            *conn)
{
  g_mutex_lock (&self->pool_lock);
  g_queue_push_head (&self->pool, conn);
  g_mutex_unlock (&self->pool_lock);
}

static gboolean
write_gate_enter (NavetteDbSqlite  *self,
                  GError          **error)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) g_atomic_int_get (&self->busy_timeout) * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&self->write_lock);
  while (self->writing)
    {
      if (!g_cond_wait_until (&self->write_cond, &self->write_lock, deadline) && self->writing)
        {
          g_mutex_unlock (&self->write_lock);
          g_debug ("busy: waited for the other writers of this process");
          navette_db_set_failure (error, NAVETTE_DB_FAILURE_BUSY);
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

/* A writer first queues on the write gate, and only then takes a
 * connection: the writers of this process then use the one connection
 * the last writer left on top of the pool, whose page cache is current,
 * rather than each reading again what the others changed meanwhile. */
static NavetteDbConn *
navette_db_sqlite_acquire (NavetteDb     *db,
                           NavetteDbTxn   txn,
                           GError       **error)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);
  guint timeout = g_atomic_int_get (&self->busy_timeout);
  Conn *conn;

  if (txn == NAVETTE_DB_WRITE && !write_gate_enter (self, error))
    return NULL;
  g_mutex_lock (&self->pool_lock);
  conn = g_queue_pop_head (&self->pool);
  g_mutex_unlock (&self->pool_lock);
  if (conn == NULL)
    {
      conn = conn_open (self, error);
      if (conn == NULL)
        {
          if (txn == NAVETTE_DB_WRITE)
            write_gate_leave (self);
          return NULL;
        }
    }
  else if (conn->busy_timeout != timeout)
    {
      conn->busy_timeout = timeout;
      sqlite3_busy_timeout (conn->handle, (int) timeout);
    }
  conn->holds_gate = txn == NAVETTE_DB_WRITE;
  return &conn->base;
}

static gboolean
navette_db_sqlite_begin (NavetteDbConn  *base,
                         NavetteDbTxn    txn,
                         GError        **error)
{
  Conn *conn = (Conn *) base;

  switch (txn)
    {
    case NAVETTE_DB_SNAPSHOT:
      conn->in_transaction = conn_exec (conn, "BEGIN", error);
      return conn->in_transaction;
    case NAVETTE_DB_WRITE:
      conn->in_transaction = conn_exec (conn, "BEGIN IMMEDIATE", error);
      return conn->in_transaction;
    case NAVETTE_DB_AUTOCOMMIT:
    default:
      return TRUE;
    }
}

static gboolean
navette_db_sqlite_commit (NavetteDbConn  *base,
                          GError        **error)
{
  Conn *conn = (Conn *) base;

  if (!conn->in_transaction)
    return TRUE;
  if (!conn_exec (conn, "COMMIT", error))
    return FALSE;
  conn->in_transaction = FALSE;
  return TRUE;
}

static NavetteDbRetry
navette_db_sqlite_release (NavetteDbConn *base,
                           gboolean       ok)
{
  Conn *conn = (Conn *) base;
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (base->db);
  gboolean holds_gate;

  /* Never hand out a connection in the middle of a transaction. */
  if (conn->in_transaction || !sqlite3_get_autocommit (conn->handle))
    sqlite3_exec (conn->handle, "ROLLBACK", NULL, NULL, NULL);
  conn->in_transaction = FALSE;
  holds_gate = conn->holds_gate;
  conn->holds_gate = FALSE;
  /* Back on top of the pool before the next writer is let in, so that it
   * takes this connection (see navette_db_sqlite_acquire()). */
  pool_push (self, conn);
  if (holds_gate)
    write_gate_leave (self);
  return NAVETTE_DB_RETRY_NO;
}

static void
navette_db_sqlite_retry_later (NavetteDbConn *conn)
{
  /* Writers never overlap: nothing to make again. */
}

static gboolean
navette_db_sqlite_lock_record (NavetteDbConn  *conn,
                               gint64          space,
                               const char     *key,
                               GError        **error)
{
  /* BEGIN IMMEDIATE, behind the write gate, already serializes writers. */
  return TRUE;
}

static gboolean
navette_db_sqlite_exec (NavetteDbConn  *conn,
                        const char     *script,
                        GError        **error)
{
  return conn_exec ((Conn *) conn, script, error);
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */

static NavetteDbStmt *
navette_db_sqlite_prepare (NavetteDbConn  *base,
                           int             id,
                           const char     *text,
                           GError        **error)
{
  Conn *conn = (Conn *) base;
  Stmt *stmt = id >= 0 ? conn->by_id[id] : g_hash_table_lookup (conn->by_text, text);
  sqlite3_stmt *handle = NULL;
  int rc;

  if (stmt != NULL)
    return &stmt->base;

  rc = sqlite3_prepare_v3 (conn->handle, text, -1, SQLITE_PREPARE_PERSISTENT, &handle, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (conn->handle, rc, text, error);
      return NULL;
    }
  stmt = g_new0 (Stmt, 1);
  stmt->base.klass = NAVETTE_DB_GET_CLASS (base->db);
  stmt->conn = conn;
  stmt->handle = handle;
  if (id >= 0)
    conn->by_id[id] = stmt;
  else
    g_hash_table_insert (conn->by_text, g_strdup (text), stmt);
  return &stmt->base;
}

#define HANDLE(stmt) (((Stmt *) (stmt))->handle)

static void
navette_db_sqlite_reset (NavetteDbStmt *stmt)
{
  sqlite3_reset (HANDLE (stmt));
  sqlite3_clear_bindings (HANDLE (stmt));
}

static void
navette_db_sqlite_bind_text (NavetteDbStmt *stmt,
                             int            index,
                             const char    *value)
{
  if (value == NULL)
    sqlite3_bind_null (HANDLE (stmt), index);
  else
    sqlite3_bind_text (HANDLE (stmt), index, value, -1, SQLITE_TRANSIENT);
}

static void
navette_db_sqlite_bind_int (NavetteDbStmt *stmt,
                            int            index,
                            gint64         value)
{
  sqlite3_bind_int64 (HANDLE (stmt), index, value);
}

static void
navette_db_sqlite_bind_double (NavetteDbStmt *stmt,
                               int            index,
                               double         value)
{
  sqlite3_bind_double (HANDLE (stmt), index, value);
}

static void
navette_db_sqlite_bind_bool (NavetteDbStmt *stmt,
                             int            index,
                             gboolean       value)
{
  sqlite3_bind_int (HANDLE (stmt), index, value ? 1 : 0);
}

static NavetteDbStep
navette_db_sqlite_step (NavetteDbStmt  *stmt,
                        GError        **error)
{
  int rc = sqlite3_step (HANDLE (stmt));

  if (rc == SQLITE_ROW)
    return NAVETTE_DB_STEP_ROW;
  if (rc == SQLITE_DONE)
    return NAVETTE_DB_STEP_DONE;
  set_sqlite_error (((Stmt *) stmt)->conn->handle, rc, sqlite3_sql (HANDLE (stmt)), error);
  return NAVETTE_DB_STEP_ERROR;
}

static gint64
navette_db_sqlite_changes (NavetteDbStmt *stmt)
{
  return sqlite3_changes (((Stmt *) stmt)->conn->handle);
}

static gboolean
navette_db_sqlite_is_null (NavetteDbStmt *stmt,
                           int            column)
{
  return sqlite3_column_type (HANDLE (stmt), column) == SQLITE_NULL;
}

static gint64
navette_db_sqlite_get_int (NavetteDbStmt *stmt,
                           int            column)
{
  return sqlite3_column_int64 (HANDLE (stmt), column);
}

static double
navette_db_sqlite_get_double (NavetteDbStmt *stmt,
                              int            column)
{
  return sqlite3_column_double (HANDLE (stmt), column);
}

static gboolean
navette_db_sqlite_get_bool (NavetteDbStmt *stmt,
                            int            column)
{
  return sqlite3_column_int64 (HANDLE (stmt), column) != 0;
}

/* Times are integers, unix µs. */
static gint64
navette_db_sqlite_get_usec (NavetteDbStmt *stmt,
                            int            column)
{
  return sqlite3_column_int64 (HANDLE (stmt), column);
}

static const char *
navette_db_sqlite_get_text (NavetteDbStmt *stmt,
                            int            column)
{
  return (const char *) sqlite3_column_text (HANDLE (stmt), column);
}

/* ------------------------------------------------------------------ */
/* Content tables                                                      */

static char *
navette_db_sqlite_table_name (const char *app,
                              const char *table,
                              gint64      id)
{
  return g_strdup_printf ("%s.%s", app, table);
}

static char *
navette_db_sqlite_column_type (const NavetteWireColumn *column)
{
  switch (navette_column_type_value_type (column->type))
    {
    case G_TYPE_BOOLEAN:
      return g_strdup_printf ("INTEGER CHECK (\"%s\" IN (0, 1))", column->name);
    case G_TYPE_INT64:
      return g_strdup ("INTEGER");
    case G_TYPE_DOUBLE:
      return g_strdup ("REAL");
    default:
      return g_strdup ("TEXT");
    }
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
navette_db_sqlite_create_table (const NavetteDbTable *table)
{
  const char *tlm_name = table->tlm_name;
  const char *sql_name = table->sql_name;
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
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);
      g_autofree char *type = navette_db_sqlite_column_type (column);

      g_string_append_printf (ddl, ",\n  \"%s\" %s", column->name, type);
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

/* ------------------------------------------------------------------ */
/* Change notification, busy timeout                                   */

/* Nothing tells this process of the writes of others to the file: the
 * watch looks for them every NAVETTE_DB_SQLITE_WATCH_MS. */
static gboolean
navette_db_sqlite_watch_changes (NavetteDb *db)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (db);

  if (self->watch == NULL)
    self->watch = navette_db_watch_follow (
      NAVETTE_DB_WATCH (navette_db_sqlite_watch_new (self->path, NAVETTE_DB_SQLITE_WATCH_MS)), db);
  return TRUE;
}

static void
navette_db_sqlite_unwatch_changes (NavetteDb *db)
{
  navette_db_watch_drop (&NAVETTE_DB_SQLITE (db)->watch, db);
}

static gboolean
navette_db_sqlite_sync_changes (NavetteDb         *db,
                                NavetteDbSyncFunc  func,
                                gpointer           user_data)
{
  /* What this process writes, it knows at once; what others write, the
   * watch finds on its own clock. */
  return FALSE;
}

static void
navette_db_sqlite_set_busy_timeout (NavetteDb *db,
                                    guint      timeout_ms)
{
  g_atomic_int_set (&NAVETTE_DB_SQLITE (db)->busy_timeout, timeout_ms);
}

static guint
navette_db_sqlite_get_busy_timeout (NavetteDb *db)
{
  return g_atomic_int_get (&NAVETTE_DB_SQLITE (db)->busy_timeout);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
navette_db_sqlite_finalize (GObject *object)
{
  NavetteDbSqlite *self = NAVETTE_DB_SQLITE (object);
  Conn *conn;

  navette_db_sqlite_unwatch_changes (NAVETTE_DB (self));
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

  db_class->backend_name = "sqlite";
  db_class->migrations_path = "/org/navette/server/migrations/sqlite";
  db_class->sql = sqlite_sql;
  db_class->current = "obsolete = 0";
  db_class->date_column = "@column";
  db_class->insert_columns = ", obsolete, updated_at, revision";
  db_class->insert_values = ", FALSE, ?5, " SQL_NEXT_REVISION ("?6");
  db_class->list_order = "row_id";

  NAVETTE_DB_CLASS_SET_DRIVER (db_class, navette_db_sqlite);
}

static void
navette_db_sqlite_init (NavetteDbSqlite *self)
{
  self->busy_timeout = NAVETTE_DB_DEFAULT_BUSY_TIMEOUT;
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
  pool_push (self, conn);

  return NAVETTE_DB (g_steal_pointer (&self));
}
