/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-driver.h — the SQL driver under NavetteDb's storage core.
 *
 * A backend is a subclass of NavetteDb that fills NavetteDbClass, below,
 * with a driver: its dialect (a few SQL fragments, and its texts of the
 * statements whose standard text it cannot run), connections and
 * transactions (autocommit, one snapshot, a write), prepared statements
 * with typed binding and row access, the per-record lock, the detection
 * of retryable failures, the DDL of a content table, where its
 * migrations are, and the change watch and busy timeout. It holds no
 * rule of the API: those are the core's (navette-db*.c), written once.
 *
 * Included by the core and the backends only (never by the HTTP layer). */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

typedef enum
{
  NAVETTE_DB_AUTOCOMMIT,  /* each statement on its own */
  NAVETTE_DB_SNAPSHOT,    /* reads that all see one snapshot */
  NAVETTE_DB_WRITE,       /* a write transaction (SQLite: BEGIN IMMEDIATE) */
} NavetteDbTxn;

/* What to do after an attempt failed: the driver's retryable-error
 * detection. The core makes the attempts (navette_db_run()). */
typedef enum
{
  NAVETTE_DB_RETRY_NO,
  NAVETTE_DB_RETRY_NOW,    /* a reused connection turned out dead before COMMIT was sent */
  NAVETTE_DB_RETRY_LATER,  /* lost a race with another writer: again after a short pause */
} NavetteDbRetry;

typedef enum
{
  NAVETTE_DB_STEP_ERROR,
  NAVETTE_DB_STEP_ROW,
  NAVETTE_DB_STEP_DONE,
} NavetteDbStep;

/* What went wrong, as a driver reports it; navette_db_set_failure() words
 * it for the client (the driver logs the details). */
typedef enum
{
  NAVETTE_DB_FAILURE_BUSY,         /* a lock not had in time, a lost race → UNAVAILABLE */
  NAVETTE_DB_FAILURE_UNREACHABLE,  /* cannot open or connect, connection lost → UNAVAILABLE */
  NAVETTE_DB_FAILURE_DAMAGED,      /* not a database, corrupt → UNAVAILABLE */
  NAVETTE_DB_FAILURE_UNUSABLE,     /* I/O error, disk full, read-only → UNAVAILABLE */
  NAVETTE_DB_FAILURE_CONSTRAINT,   /* a constraint refused the change → CONFLICT */
  NAVETTE_DB_FAILURE_INTERNAL,     /* anything else → INTERNAL */
} NavetteDbFailure;

void navette_db_set_failure (GError           **error,
                             NavetteDbFailure   failure);

/* The statements of the core, by name. Each has a standard text (in
 * navette-db.c, with ?1, ?2… parameters, and @current for the condition
 * of a current row) that a driver may replace in its dialect table
 * (NavetteDbClass.sql). */
typedef enum
{
  NAVETTE_DB_SQL_PING,
  NAVETTE_DB_SQL_MIGRATIONS_LOCK,     /* serializes migrating processes, in the transaction */
  NAVETTE_DB_SQL_MIGRATIONS_TABLE,    /* (a script) creates the table of applied migrations */
  NAVETTE_DB_SQL_MIGRATIONS_EXIST,    /* a row: 1 when that table exists */
  NAVETTE_DB_SQL_MIGRATIONS_APPLIED,  /* rows: name */
  NAVETTE_DB_SQL_MIGRATION_DONE,      /* name, number, now */
  NAVETTE_DB_SQL_USER_ADD,
  NAVETTE_DB_SQL_USER_SET_PASSWORD,
  NAVETTE_DB_SQL_USER_END_SESSIONS,
  NAVETTE_DB_SQL_USER_GET,
  NAVETTE_DB_SQL_USER_LIST,
  NAVETTE_DB_SQL_SESSION_CREATE,
  NAVETTE_DB_SQL_SESSION_LOOKUP,
  NAVETTE_DB_SQL_SESSION_REVOKE,
  NAVETTE_DB_SQL_ROLES_FOR_USER,
  NAVETTE_DB_SQL_GRANT_CHECK,
  NAVETTE_DB_SQL_GRANT_CURRENT,
  NAVETTE_DB_SQL_GRANT_OBSOLETE,
  NAVETTE_DB_SQL_GRANT_INSERT,        /* record id, version, archived, actor, user, app, role, now */
  NAVETTE_DB_SQL_APP_LIST,
  NAVETTE_DB_SQL_APP_ADD,
  NAVETTE_DB_SQL_APP_ID,
  NAVETTE_DB_SQL_TABLE_LIST,
  NAVETTE_DB_SQL_TABLE_LOAD,
  NAVETTE_DB_SQL_TABLE_ADD,           /* app id, name, title, now; returns the table's id */
  NAVETTE_DB_SQL_COLUMN_INSERT,
  NAVETTE_DB_SQL_COLUMN_NEXT_POSITION,
  NAVETTE_DB_SQL_TABLE_STATE,         /* revision, last update (µs) */
  NAVETTE_DB_SQL_APP_STATE,
  NAVETTE_DB_SQL_TLM_GET,
  NAVETTE_DB_SQL_IDEM_GET,
  NAVETTE_DB_SQL_IDEM_PUT,
  NAVETTE_DB_SQL_AUDIT_ADD,           /* now, user, action, app, table, record, from, to, detail */
  NAVETTE_DB_SQL_AUDIT_LIST,
  NAVETTE_DB_SQL_PURGE_KEYS,
  NAVETTE_DB_SQL_PURGE_SESSIONS,
  /* administration (navette-db-admin.c and the files above) */
  NAVETTE_DB_SQL_USER_PAGE,           /* after (NULL: first), limit */
  NAVETTE_DB_SQL_USER_SET_NAME,       /* username, display name, now */
  NAVETTE_DB_SQL_USER_SET_ADMIN,      /* username, admin, now */
  NAVETTE_DB_SQL_USER_SET_DISABLED,   /* username, disabled, now */
  NAVETTE_DB_SQL_GRANT_LIST,          /* app or NULL, username or NULL */
  NAVETTE_DB_SQL_GRANT_VERSIONS,      /* username, app */
  NAVETTE_DB_SQL_APP_SCHEMAS,
  NAVETTE_DB_SQL_APP_SET_TITLE,       /* app, title */
  NAVETTE_DB_SQL_APP_SET_ARCHIVED,    /* app, archived */
  NAVETTE_DB_SQL_TABLE_SET_TITLE,     /* table id, title */
  NAVETTE_DB_SQL_TABLE_SET_ARCHIVED,  /* table id, archived */
  NAVETTE_DB_SQL_COLUMN_UPDATE,       /* table id, name, title, required, max_length, choices, min, max */
  NAVETTE_DB_SQL_ACTIVITY,            /* app, table, record, user, action, from, to, before, limit, apps */
  NAVETTE_DB_SQL_ADMIN_KEY_GET,       /* username, key */
  NAVETTE_DB_SQL_ADMIN_KEY_PUT,       /* username, key, hash, status, body, now */
  NAVETTE_DB_SQL_PURGE_ADMIN_KEYS,
  NAVETTE_DB_N_SQL
} NavetteDbSql;

/* A content table, as loaded by the core. */
typedef struct
{
  gint64            id;
  gboolean          archived;  /* the table or its application */
  char             *app;
  char             *tlm_name;  /* "<app>.<table>": its row of table_last_modifications */
  char             *sql_name;  /* its SQL name, quoted */
  NavetteWireTable *schema;
  char             *select;    /* "SELECT <version columns>, <data columns> FROM <sql_name>" */
} NavetteDbTable;

/* The columns of a content row as the core selects them, before the
 * data columns. */
typedef enum
{
  NAVETTE_DB_ROW_RECORD_ID,
  NAVETTE_DB_ROW_VERSION,
  NAVETTE_DB_ROW_REVISION,
  NAVETTE_DB_ROW_OBSOLETE,
  NAVETTE_DB_ROW_ARCHIVED,
  NAVETTE_DB_ROW_UPDATED_AT,  /* unix µs */
  NAVETTE_DB_ROW_UPDATED_BY,
  NAVETTE_DB_ROW_DATA,        /* the first data column */
} NavetteDbRowColumn;

/* A driver's connection and statement start with these. A connection is
 * used by one thread at a time, from acquire() to release(); its
 * statements are cached by the driver and reset by the core after use. */
typedef struct _NavetteDbConn NavetteDbConn;
typedef struct _NavetteDbStmt NavetteDbStmt;

struct _NavetteDbConn
{
  NavetteDb *db;
};

struct _NavetteDbStmt
{
  const NavetteDbClass *klass;
};

struct _NavetteDbClass
{
  GObjectClass parent_class;

  /* ---- the dialect ---- */
  const char         *backend_name;    /* "sqlite", "postgresql" */
  const char         *migrations_path; /* resource folder of its NNNN-name.sql */
  const char * const *sql;             /* NAVETTE_DB_N_SQL texts; NULL: the standard text */
  const char         *current;         /* the condition of a current row (not obsolete), as its
                                        * partial indexes say it; "@current" in a statement */
  const char         *date_column;     /* selects the date column @column as YYYY-MM-DD */
  const char         *insert_columns;  /* ", …": what an insert of a version sets besides
                                        * record_id, version, archived, updated_by, the data */
  const char         *insert_values;   /* ", …": their values (?5 is now in µs, ?6 the tlm name) */
  const char         *list_order;      /* ORDER BY of a full list of current rows */

  /* ---- connections and transactions ---- */
  /* A connection for a transaction of @txn (which begin() then opens). */
  NavetteDbConn *(*acquire)      (NavetteDb      *self,
                                  NavetteDbTxn    txn,
                                  GError        **error);
  gboolean       (*begin)        (NavetteDbConn  *conn,
                                  NavetteDbTxn    txn,
                                  GError        **error);
  gboolean       (*commit)       (NavetteDbConn  *conn,
                                  GError        **error);
  /* Rolls back what is open, gives the connection back; for a failed
   * attempt (@ok FALSE), says whether it may be made again. */
  NavetteDbRetry (*release)      (NavetteDbConn  *conn,
                                  gboolean        ok);
  /* The attempt lost a race (the core found a row changed under it). */
  void           (*retry_later)  (NavetteDbConn  *conn);
  /* Serializes the writers of @key in @space until the transaction ends. */
  gboolean       (*lock_record)  (NavetteDbConn  *conn,
                                  gint64          space,
                                  const char     *key,
                                  GError        **error);
  /* Runs @script (statements without parameters nor results: DDL). */
  gboolean       (*exec)         (NavetteDbConn  *conn,
                                  const char     *script,
                                  GError        **error);

  /* ---- statements (parameters from 1, columns from 0) ---- */
  /* @id: a NavetteDbSql (its text @text), or -1 for a text of the core's
   * own (content tables): both are prepared once per connection. */
  NavetteDbStmt *(*prepare)      (NavetteDbConn  *conn,
                                  int             id,
                                  const char     *text,
                                  GError        **error);
  void           (*reset)        (NavetteDbStmt  *stmt);
  void           (*bind_text)    (NavetteDbStmt  *stmt,
                                  int             index,
                                  const char     *value);  /* NULL: SQL NULL */
  void           (*bind_int)     (NavetteDbStmt  *stmt,
                                  int             index,
                                  gint64          value);
  void           (*bind_double)  (NavetteDbStmt  *stmt,
                                  int             index,
                                  double          value);
  void           (*bind_bool)    (NavetteDbStmt  *stmt,
                                  int             index,
                                  gboolean        value);
  NavetteDbStep  (*step)         (NavetteDbStmt  *stmt,
                                  GError        **error);
  /* Rows the write just run changed (or matched). */
  gint64         (*changes)      (NavetteDbStmt  *stmt);
  gboolean       (*is_null)      (NavetteDbStmt  *stmt,
                                  int             column);
  gint64         (*get_int)      (NavetteDbStmt  *stmt,
                                  int             column);
  double         (*get_double)   (NavetteDbStmt  *stmt,
                                  int             column);
  gboolean       (*get_bool)     (NavetteDbStmt  *stmt,
                                  int             column);
  /* A time (SQLite: an integer; PostgreSQL: a timestamptz) in unix µs. */
  gint64         (*get_usec)     (NavetteDbStmt  *stmt,
                                  int             column);
  /* Valid until the next step or reset; NULL for SQL NULL. */
  const char    *(*get_text)     (NavetteDbStmt  *stmt,
                                  int             column);

  /* ---- content tables ---- */
  /* The SQL name (unquoted) of the table @table (id @id) of @app. */
  char          *(*table_name)   (const char     *app,
                                  const char     *table,
                                  gint64          id);
  /* The definition of @column after its quoted name. */
  char          *(*column_type)  (const NavetteWireColumn *column);
  /* The DDL that creates @table: the table, its indexes, its triggers. */
  char          *(*create_table) (const NavetteDbTable    *table);

  /* ---- change notification, busy timeout (navette-db.h) ---- */
  gboolean       (*watch_changes)    (NavetteDb         *self);
  void           (*unwatch_changes)  (NavetteDb         *self);
  gboolean       (*sync_changes)     (NavetteDb         *self,
                                      NavetteDbSyncFunc  func,
                                      gpointer           user_data);
  void           (*set_busy_timeout) (NavetteDb         *self,
                                      guint              timeout_ms);
  guint          (*get_busy_timeout) (NavetteDb         *self);

  /*< private >*/
  char **resolved_sql;  /* the texts with @current replaced, made on first use */

  gpointer padding[8];
};

/* Sets every driver vfunc of the NavetteDbClass @klass to <prefix>_<vfunc>:
 * a driver implements them all, under those names. */
#define NAVETTE_DB_CLASS_SET_DRIVER(klass, prefix)                \
  G_STMT_START {                                                  \
    (klass)->acquire = prefix##_acquire;                          \
    (klass)->begin = prefix##_begin;                              \
    (klass)->commit = prefix##_commit;                            \
    (klass)->release = prefix##_release;                          \
    (klass)->retry_later = prefix##_retry_later;                  \
    (klass)->lock_record = prefix##_lock_record;                  \
    (klass)->exec = prefix##_exec;                                \
    (klass)->prepare = prefix##_prepare;                          \
    (klass)->reset = prefix##_reset;                              \
    (klass)->bind_text = prefix##_bind_text;                      \
    (klass)->bind_int = prefix##_bind_int;                        \
    (klass)->bind_double = prefix##_bind_double;                  \
    (klass)->bind_bool = prefix##_bind_bool;                      \
    (klass)->step = prefix##_step;                                \
    (klass)->changes = prefix##_changes;                          \
    (klass)->is_null = prefix##_is_null;                          \
    (klass)->get_int = prefix##_get_int;                          \
    (klass)->get_double = prefix##_get_double;                    \
    (klass)->get_bool = prefix##_get_bool;                        \
    (klass)->get_usec = prefix##_get_usec;                        \
    (klass)->get_text = prefix##_get_text;                        \
    (klass)->table_name = prefix##_table_name;                    \
    (klass)->column_type = prefix##_column_type;                  \
    (klass)->create_table = prefix##_create_table;                \
    (klass)->watch_changes = prefix##_watch_changes;              \
    (klass)->unwatch_changes = prefix##_unwatch_changes;          \
    (klass)->sync_changes = prefix##_sync_changes;                \
    (klass)->set_busy_timeout = prefix##_set_busy_timeout;        \
    (klass)->get_busy_timeout = prefix##_get_busy_timeout;        \
  } G_STMT_END

/* What a driver's change watch heard of (navette_db_emit_change()). */
typedef enum
{
  NAVETTE_DB_CHANGE_ANY,     /* anything may have changed (the watch (re)started) */
  NAVETTE_DB_CHANGE_TABLE,   /* @name: an application, @table: its content table */
  NAVETTE_DB_CHANGE_SCHEMA,  /* @name: an application whose schema changed */
  NAVETTE_DB_CHANGE_ROLES,   /* @name: a user whose grants changed */
} NavetteDbChange;

/* For a driver's change watch, on the watch's main context: emits the
 * NavetteDb signal of @kind (::table-changed (NULL, NULL) for ANY). */
void navette_db_emit_change        (NavetteDb       *self,
                                    NavetteDbChange  kind,
                                    const char      *name,
                                    const char      *table);
/* For a driver: NavetteDb::table-changed (@app NULL: anything may have changed). */
void navette_db_emit_table_changed (NavetteDb  *self,
                                    const char *app,
                                    const char *table);

G_END_DECLS
