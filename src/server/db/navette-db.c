/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db.c — the storage core: the NavetteDb object, running an
 * operation over the driver (transactions, attempts), statements and
 * their standard texts, migrations, the change watch and busy timeout,
 * housekeeping. The operations themselves are in navette-db-*.c (see
 * navette-db-private.h). */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "navette-db-private.h"
#include "navette-db-sqlite.h"
#include "navette-server-resources.h"
#if HAVE_POSTGRESQL
#include "navette-db-pg.h"
#endif

/* Attempts of one operation that lost races with other writers. */
#define MAX_ATTEMPTS 12

/* What navette_db_get_stats() reads: counted by every operation, from
 * any thread (relaxed atomics, navette-histogram.h). */
typedef struct
{
  guint64          reads;
  guint64          writes;
  guint64          retries;
  guint64          unavailable;
  NavetteHistogram wait;
} NavetteDbPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NavetteDb, navette_db, G_TYPE_OBJECT)

enum {
  TABLE_CHANGED,
  SCHEMA_CHANGED,
  ROLES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The statements, in SQL both backends run (?1, ?2…: the parameters).
 * NULL where the dialects differ too much: each driver has its text. */
static const char * const standard_sql[NAVETTE_DB_N_SQL] = {
  [NAVETTE_DB_SQL_PING] = "SELECT 1",
  [NAVETTE_DB_SQL_USER_ADD] =
    "INSERT INTO users (username, display_name, password_hash, admin, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (username) DO NOTHING",
  [NAVETTE_DB_SQL_USER_SET_PASSWORD] =
    "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE username = ?1",
  [NAVETTE_DB_SQL_USER_END_SESSIONS] =
    "UPDATE sessions SET revoked = TRUE WHERE NOT revoked"
    " AND user_id = (SELECT id FROM users WHERE username = ?1)",
  [NAVETTE_DB_SQL_USER_GET] =
    "SELECT id, username, display_name, password_hash, admin, disabled, created_at FROM users"
    " WHERE username = ?1",
  [NAVETTE_DB_SQL_USER_LIST] =
    "SELECT id, username, display_name, password_hash, admin, disabled, created_at FROM users",
  [NAVETTE_DB_SQL_SESSION_CREATE] =
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)"
    " SELECT ?1, id, CAST (?3 AS BIGINT), CAST (?4 AS BIGINT) FROM users WHERE username = ?2",
  [NAVETTE_DB_SQL_SESSION_LOOKUP] =
    "SELECT u.id, u.username, u.display_name, u.password_hash, u.admin, u.disabled, u.created_at,"
    " s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = ?1 AND NOT s.revoked AND NOT u.disabled",
  [NAVETTE_DB_SQL_SESSION_REVOKE] = "UPDATE sessions SET revoked = TRUE WHERE token_hash = ?1",
  [NAVETTE_DB_SQL_ROLES_FOR_USER] =
    "SELECT app, role FROM role_grants"
    " WHERE username = ?1 AND @current AND NOT archived AND role IS NOT NULL"
    " AND app NOT IN (SELECT name FROM applications WHERE archived)",
  [NAVETTE_DB_SQL_GRANT_CHECK] =
    "SELECT (SELECT count(*) FROM users WHERE username = ?1),"
    " (SELECT count(*) FROM applications WHERE name = ?2)",
  [NAVETTE_DB_SQL_GRANT_CURRENT] =
    "SELECT record_id, version, role FROM role_grants"
    " WHERE username = ?1 AND app = ?2 AND @current",
  [NAVETTE_DB_SQL_GRANT_OBSOLETE] =
    "UPDATE role_grants SET obsolete = TRUE WHERE record_id = ?1 AND version = ?2 AND @current",
  [NAVETTE_DB_SQL_APP_LIST] = "SELECT name, title, archived FROM applications WHERE NOT archived",
  [NAVETTE_DB_SQL_APP_ADD] =
    "INSERT INTO applications (name, title, created_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (name) DO NOTHING",
  [NAVETTE_DB_SQL_APP_ID] = "SELECT id FROM applications WHERE name = ?1",
  /* one row per column; a row of NULLs for an application without tables */
  [NAVETTE_DB_SQL_TABLE_LIST] =
    "SELECT t.id, t.name, t.title, c.name, c.title, c.type, c.required, c.max_length,"
    " c.choices, c.min_value, c.max_value"
    " FROM applications a LEFT JOIN content_tables t ON t.app_id = a.id AND NOT t.archived"
    " LEFT JOIN content_columns c ON c.table_id = t.id"
    " WHERE a.name = ?1 AND NOT a.archived ORDER BY t.id, c.position",
  [NAVETTE_DB_SQL_TABLE_LOAD] =
    "SELECT t.id, t.title, c.name, c.title, c.type, c.required, c.max_length,"
    " c.choices, c.min_value, c.max_value, (a.archived OR t.archived)"
    " FROM applications a JOIN content_tables t ON t.app_id = a.id"
    " LEFT JOIN content_columns c ON c.table_id = t.id"
    " WHERE a.name = ?1 AND t.name = ?2 ORDER BY c.position",
  [NAVETTE_DB_SQL_TABLE_ADD] =
    "INSERT INTO content_tables (app_id, name, title, created_at) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (app_id, name) DO NOTHING RETURNING id",
  [NAVETTE_DB_SQL_COLUMN_INSERT] =
    "INSERT INTO content_columns (table_id, position, name, title, type, required, max_length,"
    " choices, min_value, max_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [NAVETTE_DB_SQL_COLUMN_NEXT_POSITION] =
    "SELECT coalesce (max (position), 0) + 1 FROM content_columns WHERE table_id = ?1",
  [NAVETTE_DB_SQL_TABLE_STATE] =
    "SELECT m.revision, m.last_update FROM content_tables t"
    " JOIN applications a ON a.id = t.app_id"
    " LEFT JOIN table_last_modifications m ON m.table_name = a.name || '.' || t.name"
    " WHERE a.name = ?1 AND t.name = ?2",
  /* one row per table; a row of NULLs for an application without tables;
   * the schema's revision on every row */
  [NAVETTE_DB_SQL_APP_STATE] =
    "SELECT t.name, m.revision, m.last_update, s.revision FROM applications a"
    " LEFT JOIN schema_revisions s ON s.app = a.name"
    " LEFT JOIN content_tables t ON t.app_id = a.id"
    " LEFT JOIN table_last_modifications m ON m.table_name = a.name || '.' || t.name"
    " WHERE a.name = ?1",
  [NAVETTE_DB_SQL_TLM_GET] =
    "SELECT revision, last_update FROM table_last_modifications WHERE table_name = ?1",
  [NAVETTE_DB_SQL_IDEM_GET] =
    "SELECT request_hash, app, \"table\", record_id, version, created, superseded"
    " FROM idempotency_keys WHERE username = ?1 AND key = ?2",
  [NAVETTE_DB_SQL_IDEM_PUT] =
    "INSERT INTO idempotency_keys (username, key, request_hash, app, \"table\", record_id,"
    " version, created, superseded, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [NAVETTE_DB_SQL_AUDIT_ADD] =
    "INSERT INTO audit (at, \"user\", action, app, \"table\", record, from_version, to_version,"
    " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
  [NAVETTE_DB_SQL_AUDIT_LIST] =
    "SELECT id, at, \"user\", action, app, \"table\", record, from_version, to_version, detail"
    " FROM audit WHERE (CAST (?1 AS TEXT) IS NULL OR app = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
  [NAVETTE_DB_SQL_PURGE_KEYS] = "DELETE FROM idempotency_keys WHERE created_at < ?1",
  [NAVETTE_DB_SQL_PURGE_SESSIONS] = "DELETE FROM sessions WHERE expires_at < ?1",
  [NAVETTE_DB_SQL_USER_PAGE] =
    "SELECT id, username, display_name, password_hash, admin, disabled, created_at FROM users"
    " WHERE CAST (?1 AS TEXT) IS NULL OR username > ?1 ORDER BY username LIMIT ?2",
  [NAVETTE_DB_SQL_USER_SET_NAME] =
    "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE username = ?1",
  [NAVETTE_DB_SQL_USER_SET_ADMIN] =
    "UPDATE users SET admin = ?2, updated_at = ?3 WHERE username = ?1",
  [NAVETTE_DB_SQL_USER_SET_DISABLED] =
    "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE username = ?1",
  [NAVETTE_DB_SQL_GRANT_LIST] =
    "SELECT username, app, role, version, obsolete, updated_at, updated_by FROM role_grants"
    " WHERE @current AND role IS NOT NULL AND (CAST (?1 AS TEXT) IS NULL OR app = ?1)"
    " AND (CAST (?2 AS TEXT) IS NULL OR username = ?2) ORDER BY app, username",
  [NAVETTE_DB_SQL_GRANT_VERSIONS] =
    "SELECT username, app, role, version, obsolete, updated_at, updated_by FROM role_grants"
    " WHERE username = ?1 AND app = ?2 ORDER BY version DESC",
  /* one row per column; NULLs for an application without tables */
  [NAVETTE_DB_SQL_APP_SCHEMAS] =
    "SELECT a.name, a.title, a.archived, t.name, t.title, t.archived, c.name, c.title, c.type,"
    " c.required, c.max_length, c.choices, c.min_value, c.max_value"
    " FROM applications a LEFT JOIN content_tables t ON t.app_id = a.id"
    " LEFT JOIN content_columns c ON c.table_id = t.id ORDER BY a.name, t.name, c.position",
  [NAVETTE_DB_SQL_APP_SET_TITLE] = "UPDATE applications SET title = ?2 WHERE name = ?1",
  [NAVETTE_DB_SQL_APP_SET_ARCHIVED] = "UPDATE applications SET archived = ?2 WHERE name = ?1",
  [NAVETTE_DB_SQL_TABLE_SET_TITLE] = "UPDATE content_tables SET title = ?2 WHERE id = ?1",
  [NAVETTE_DB_SQL_TABLE_SET_ARCHIVED] = "UPDATE content_tables SET archived = ?2 WHERE id = ?1",
  [NAVETTE_DB_SQL_COLUMN_UPDATE] =
    "UPDATE content_columns SET title = ?3, required = ?4, max_length = ?5, choices = ?6,"
    " min_value = ?7, max_value = ?8 WHERE table_id = ?1 AND name = ?2",
  /* ?10: ",app1,app2," or NULL — an application is in it when removing
   * ",app," from it makes it shorter (LIKE would read "_" as a wildcard) */
  [NAVETTE_DB_SQL_ACTIVITY] =
    "SELECT id, at, \"user\", action, app, \"table\", record, from_version, to_version, detail"
    " FROM audit WHERE (CAST (?1 AS TEXT) IS NULL OR app = ?1)"
    " AND (CAST (?2 AS TEXT) IS NULL OR \"table\" = ?2)"
    " AND (CAST (?3 AS TEXT) IS NULL OR record = ?3)"
    " AND (CAST (?4 AS TEXT) IS NULL OR \"user\" = ?4)"
    " AND (CAST (?5 AS TEXT) IS NULL OR action = ?5)"
    " AND (CAST (?6 AS BIGINT) IS NULL OR at >= ?6)"
    " AND (CAST (?7 AS BIGINT) IS NULL OR at < ?7)"
    " AND (CAST (?8 AS BIGINT) IS NULL OR id < ?8)"
    " AND (CAST (?10 AS TEXT) IS NULL OR (app IS NOT NULL"
    " AND length (replace (?10, ',' || app || ',', '')) < length (?10)))"
    " ORDER BY id DESC LIMIT ?9",
  [NAVETTE_DB_SQL_ADMIN_KEY_GET] =
    "SELECT request_hash, status, body FROM admin_idempotency_keys WHERE username = ?1 AND key = ?2",
  [NAVETTE_DB_SQL_ADMIN_KEY_PUT] =
    "INSERT INTO admin_idempotency_keys (username, key, request_hash, status, body, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username, key) DO NOTHING",
  [NAVETTE_DB_SQL_PURGE_ADMIN_KEYS] = "DELETE FROM admin_idempotency_keys WHERE created_at < ?1",
};

/* ------------------------------------------------------------------ */
/* Failures                                                            */

void
navette_db_set_failure (GError           **error,
                        NavetteDbFailure   failure)
{
  static const struct
  {
    NavetteApiError  code;
    const char      *message;
  } failures[] = {
    [NAVETTE_DB_FAILURE_BUSY] = { NAVETTE_API_ERROR_UNAVAILABLE, "The database is busy; try again shortly." },
    [NAVETTE_DB_FAILURE_UNREACHABLE] = { NAVETTE_API_ERROR_UNAVAILABLE, "The database cannot be reached; try again shortly." },
    [NAVETTE_DB_FAILURE_DAMAGED] = { NAVETTE_API_ERROR_UNAVAILABLE, "The database file is damaged, or is not a database." },
    [NAVETTE_DB_FAILURE_UNUSABLE] = { NAVETTE_API_ERROR_UNAVAILABLE, "The database cannot be used right now." },
    [NAVETTE_DB_FAILURE_CONSTRAINT] = { NAVETTE_API_ERROR_CONFLICT, "The change conflicts with data already stored." },
    [NAVETTE_DB_FAILURE_INTERNAL] = { NAVETTE_API_ERROR_INTERNAL, "The database failed; the server log has the details." },
  };

  g_set_error_literal (error, NAVETTE_API_ERROR, failures[failure].code, failures[failure].message);
}

gboolean
navette_db_not_found (GError     **error,
                      const char  *message)
{
  g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND, message);
  return FALSE;
}

gboolean
navette_db_check_app (const char  *app,
                      GError     **error)
{
  if (navette_name_is_valid (app))
    return TRUE;
  return navette_db_not_found (error, "No such application.");
}

gboolean
navette_db_check_app_table (const char  *app,
                            const char  *table,
                            GError     **error)
{
  if (navette_name_is_valid (app) && navette_name_is_valid (table))
    return TRUE;
  return navette_db_not_found (error, "No such table.");
}

gboolean
navette_db_check_name (const char  *name,
                       const char  *what,
                       GError     **error)
{
  if (navette_name_is_valid (name))
    return TRUE;
  g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
               "“%s” is not a valid %s name: use a lowercase letter, then up "
               "to 62 lowercase letters, digits or “_”.", name != NULL ? name : "", what);
  return FALSE;
}

gboolean
navette_db_check_title (const char  *title,
                        GError     **error)
{
  if (title == NULL || (g_utf8_validate (title, -1, NULL) && g_utf8_strlen (title, -1) <= 200))
    return TRUE;
  navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_BAD_TITLE,
                                "A title must be valid UTF-8, at most 200 characters.");
  return FALSE;
}

const char *
navette_db_title_or_name (const char *title,
                          const char *name)
{
  return title != NULL && *title != '\0' ? title : name;
}

static int
compare_names_at (gconstpointer a,
                  gconstpointer b,
                  gpointer      offset)
{
  const char *sa = G_STRUCT_MEMBER (const char *, *(gconstpointer const *) a, GPOINTER_TO_SIZE (offset));
  const char *sb = G_STRUCT_MEMBER (const char *, *(gconstpointer const *) b, GPOINTER_TO_SIZE (offset));

  return strcmp (sa, sb);
}

void
navette_db_sort_by_name (GPtrArray *items,
                         gsize      offset)
{
  /* In bytes (names are ASCII): the same order on every backend, whatever
   * the collation of its database. */
  g_ptr_array_sort_with_data (items, compare_names_at, GSIZE_TO_POINTER (offset));
}

/* ------------------------------------------------------------------ */
/* Running an operation                                                */

gboolean
navette_db_run (NavetteDb    *self,
                NavetteDbTxn  txn,
                NavetteDbOp   op,
                gpointer      data,
                GError      **error)
{
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (self);
  NavetteDbPrivate *priv = navette_db_get_instance_private (self);

  navette_counter_add (txn == NAVETTE_DB_WRITE ? &priv->writes : &priv->reads, 1);
  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      NavetteDbConn *conn;
      NavetteDbRetry retry;
      gboolean ok;
      gint64 asked = g_get_monotonic_time ();

      /* a connection (and, SQLite, the write gate): the pool's wait */
      conn = klass->acquire (self, txn, error);
      navette_histogram_observe (&priv->wait, g_get_monotonic_time () - asked);
      if (conn == NULL)
        {
          navette_counter_add (&priv->unavailable, 1);
          return FALSE;
        }
      ok = klass->begin (conn, txn, &local_error)
        && op (conn, data, &local_error)
        && klass->commit (conn, &local_error);
      retry = klass->release (conn, ok);
      if (ok)
        return TRUE;

      g_assert (local_error != NULL);
      if (retry == NAVETTE_DB_RETRY_NOW && attempt <= 2)
        {
          navette_counter_add (&priv->retries, 1);
          continue;
        }
      if (retry == NAVETTE_DB_RETRY_LATER && attempt < MAX_ATTEMPTS)
        {
          /* Lost a race with another writer: back off a little, with
           * jitter so that the losers do not collide again. */
          navette_counter_add (&priv->retries, 1);
          g_usleep (g_random_int_range (100, 1000) * attempt);
          continue;
        }
      if (g_error_matches (local_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE))
        navette_counter_add (&priv->unavailable, 1);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
}

gpointer
navette_db_run_taking (NavetteDb       *self,
                       NavetteDbTxn     txn,
                       NavetteDbOp      op,
                       gpointer         data,
                       gpointer        *out,
                       GDestroyNotify   free_out,
                       GError         **error)
{
  if (!navette_db_run (self, txn, op, data, error))
    {
      g_clear_pointer (out, free_out);
      return NULL;
    }
  return g_steal_pointer (out);
}

gboolean
navette_db_lost_race (NavetteDbConn  *conn,
                      GError        **error)
{
  NAVETTE_DB_GET_CLASS (conn->db)->retry_later (conn);
  navette_db_set_failure (error, NAVETTE_DB_FAILURE_BUSY);
  return FALSE;
}

gboolean
navette_db_lock_record (NavetteDbConn  *conn,
                        gint64          space,
                        const char     *key,
                        GError        **error)
{
  return NAVETTE_DB_GET_CLASS (conn->db)->lock_record (conn, space, key, error);
}

gboolean
navette_db_exec (NavetteDbConn  *conn,
                 const char     *script,
                 GError        **error)
{
  return NAVETTE_DB_GET_CLASS (conn->db)->exec (conn, script, error);
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */

/* The statement texts of @klass: its own where it has one, else the
 * standard one, with "@current" replaced by its condition. */
static const char *
sql_text (NavetteDbClass *klass,
          NavetteDbSql    sql)
{
  if (g_once_init_enter (&klass->resolved_sql))
    {
      char **texts = g_new0 (char *, NAVETTE_DB_N_SQL + 1);

      for (guint i = 0; i < NAVETTE_DB_N_SQL; i++)
        {
          const char *text = klass->sql != NULL && klass->sql[i] != NULL ? klass->sql[i] : standard_sql[i];
          g_auto(GStrv) parts = NULL;

          g_assert (text != NULL);
          parts = g_strsplit (text, "@current", -1);
          texts[i] = g_strjoinv (klass->current, parts);
        }
      g_once_init_leave (&klass->resolved_sql, texts);
    }
  return klass->resolved_sql[sql];
}

NavetteDbStmt *
navette_db_prepare (NavetteDbConn  *conn,
                    NavetteDbSql    sql,
                    GError        **error)
{
  NavetteDbClass *klass = NAVETTE_DB_GET_CLASS (conn->db);

  return klass->prepare (conn, (int) sql, sql_text (klass, sql), error);
}

NavetteDbStmt *
navette_db_prepare_text (NavetteDbConn  *conn,
                         const char     *text,
                         GError        **error)
{
  return NAVETTE_DB_GET_CLASS (conn->db)->prepare (conn, -1, text, error);
}

void
navette_db_stmt_release (NavetteDbStmt *stmt)
{
  stmt->klass->reset (stmt);
}

gboolean
navette_db_step_done (NavetteDbStmt  *stmt,
                      GError        **error)
{
  NavetteDbStep step;

  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    ;
  return step == NAVETTE_DB_STEP_DONE;
}

gboolean
navette_db_step_row (NavetteDbStmt    *stmt,
                     GError          **error,
                     NavetteApiError   code,
                     const char       *format,
                     ...)
{
  NavetteDbStep step = navette_db_step (stmt, error);
  va_list args;

  if (step == NAVETTE_DB_STEP_DONE)
    {
      va_start (args, format);
      g_propagate_error (error, g_error_new_valist (NAVETTE_API_ERROR, code, format, args));
      va_end (args);
    }
  return step == NAVETTE_DB_STEP_ROW;
}

gboolean
navette_db_step_changing (NavetteDbStmt    *stmt,
                          GError          **error,
                          NavetteApiError   code,
                          const char       *format,
                          ...)
{
  va_list args;

  if (!navette_db_step_done (stmt, error))
    return FALSE;
  if (stmt->klass->changes (stmt) > 0)
    return TRUE;
  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (NAVETTE_API_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

gboolean
navette_db_step_once (NavetteDbConn  *conn,
                      NavetteDbStmt  *stmt,
                      GError        **error)
{
  if (!navette_db_step_done (stmt, error))
    return FALSE;
  if (stmt->klass->changes (stmt) != 1)
    return navette_db_lost_race (conn, error);
  return TRUE;
}

GPtrArray *
navette_db_collect (NavetteDbStmt     *stmt,
                    NavetteDbReadRow   read_row,
                    GDestroyNotify     free_item,
                    GError           **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (free_item);
  NavetteDbStep step;

  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    g_ptr_array_add (items, read_row (stmt));
  if (step != NAVETTE_DB_STEP_DONE)
    return NULL;
  return g_steal_pointer (&items);
}

/* ------------------------------------------------------------------ */
/* Migrations                                                          */

typedef struct
{
  const char *path;     /* the resource folder */
  gint64      version;  /* out: navette_db_get_schema_version() */
} Migrate;

/* The number a migration's name starts with, or 0 when it is malformed. */
static gint64
migration_number (const char *name)
{
  char *end = NULL;
  gint64 number = g_ascii_strtoll (name, &end, 10);

  return number > 0 && end != NULL && *end == '-' && g_str_has_suffix (name, ".sql") ? number : 0;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
read_applied (NavetteDbConn  *conn,
              GHashTable     *applied,
              GError        **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_MIGRATIONS_APPLIED, error);
  NavetteDbStep step;

  if (stmt == NULL)
    return FALSE;
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    g_hash_table_add (applied, navette_db_dup_text (stmt, 0));
  return step == NAVETTE_DB_STEP_DONE;
}

/* Applies, in name order, the migrations not applied yet: in one write
 * transaction, behind the dialect's lock, so that several processes
 * starting at once apply each exactly once. */
static gboolean
migrate_op (NavetteDbConn  *conn,
            gpointer        data,
            GError        **error)
{
  Migrate *op = data;
  g_autoptr(NavetteDbStmt) lock = NULL;
  g_autoptr(GHashTable) applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) names = NULL;

  lock = navette_db_prepare (conn, NAVETTE_DB_SQL_MIGRATIONS_LOCK, error);
  if (lock == NULL || !navette_db_step_done (lock, error) ||
      !navette_db_exec (conn, sql_text (NAVETTE_DB_GET_CLASS (conn->db), NAVETTE_DB_SQL_MIGRATIONS_TABLE),
                        error) ||
      !read_applied (conn, applied, error))
    return FALSE;

  names = g_resource_enumerate_children (navette_server_get_resource (), op->path,
                                         G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (names == NULL)
    {
      g_message ("No migrations in %s", op->path);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_INTERNAL);
      return FALSE;
    }
  qsort (names, g_strv_length (names), sizeof (char *), compare_names);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_path ("/", op->path, names[i], NULL);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *script = NULL;
      g_autoptr(NavetteDbStmt) done = NULL;
      gint64 number = migration_number (names[i]);

      if (number == 0)
        {
          g_message ("Ignoring a migration with a malformed name: %s", names[i]);
          continue;
        }
      if (g_hash_table_contains (applied, names[i]))
        continue;
      bytes = g_resource_lookup_data (navette_server_get_resource (), path,
                                      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_assert (bytes != NULL);
      script = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_debug ("Applying migration %s", names[i]);
      done = navette_db_prepare (conn, NAVETTE_DB_SQL_MIGRATION_DONE, error);
      if (!navette_db_exec (conn, script, error) || done == NULL)
        return FALSE;
      navette_db_bind_text (done, 1, names[i]);
      navette_db_bind_int (done, 2, number);
      navette_db_bind_int (done, 3, g_get_real_time ());
      if (!navette_db_step_done (done, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
navette_db_migrate (NavetteDb  *self,
                    GError    **error)
{
  Migrate op = { 0 };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op.path = NAVETTE_DB_GET_CLASS (self)->migrations_path;
  return navette_db_run (self, NAVETTE_DB_WRITE, migrate_op, &op, error);
}

static gboolean
schema_version_op (NavetteDbConn  *conn,
                   gpointer        data,
                   GError        **error)
{
  Migrate *op = data;
  g_autoptr(NavetteDbStmt) exists = navette_db_prepare (conn, NAVETTE_DB_SQL_MIGRATIONS_EXIST, error);
  g_autoptr(GHashTable) applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer name;

  op->version = 0;
  if (exists == NULL ||
      !navette_db_step_row (exists, error, NAVETTE_API_ERROR_INTERNAL, "No answer."))
    return FALSE;
  if (navette_db_get_int (exists, 0) == 0)
    return TRUE;
  if (!read_applied (conn, applied, error))
    return FALSE;
  g_hash_table_iter_init (&iter, applied);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    op->version = MAX (op->version, migration_number (name));
  return TRUE;
}

gint64
navette_db_get_schema_version (NavetteDb  *self,
                               GError    **error)
{
  Migrate op = { 0 };

  g_return_val_if_fail (NAVETTE_IS_DB (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!navette_db_run (self, NAVETTE_DB_SNAPSHOT, schema_version_op, &op, error))
    return -1;
  return op.version;
}

/* ------------------------------------------------------------------ */
/* Ping, purge                                                         */

static gboolean
ping_op (NavetteDbConn  *conn,
         gpointer        data,
         GError        **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_PING, error);

  return stmt != NULL && navette_db_step_done (stmt, error);
}

gboolean
navette_db_ping (NavetteDb  *self,
                 GError    **error)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return navette_db_run (self, NAVETTE_DB_AUTOCOMMIT, ping_op, NULL, error);
}

static gboolean
purge_op (NavetteDbConn  *conn,
          gpointer        data,
          GError        **error)
{
  const gint64 *older_than = data;
  const NavetteDbSql purges[] = { NAVETTE_DB_SQL_PURGE_KEYS, NAVETTE_DB_SQL_PURGE_SESSIONS,
                                  NAVETTE_DB_SQL_PURGE_ADMIN_KEYS };

  for (guint i = 0; i < G_N_ELEMENTS (purges); i++)
    {
      g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, purges[i], error);

      if (stmt == NULL)
        return FALSE;
      navette_db_bind_int (stmt, 1, *older_than);
      if (!navette_db_step_done (stmt, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
navette_db_purge (NavetteDb  *self,
                  gint64      older_than,
                  GError    **error)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return navette_db_run (self, NAVETTE_DB_WRITE, purge_op, &older_than, error);
}

/* ------------------------------------------------------------------ */
/* Change notification, busy timeout                                   */

void
navette_db_emit_table_changed (NavetteDb  *self,
                               const char *app,
                               const char *table)
{
  g_signal_emit (self, signals[TABLE_CHANGED], 0, app, table);
}

void
navette_db_emit_change (NavetteDb       *self,
                        NavetteDbChange  kind,
                        const char      *name,
                        const char      *table)
{
  switch (kind)
    {
    case NAVETTE_DB_CHANGE_ANY:
      g_signal_emit (self, signals[TABLE_CHANGED], 0, NULL, NULL);
      break;
    case NAVETTE_DB_CHANGE_TABLE:
      g_return_if_fail (name != NULL && table != NULL);
      g_signal_emit (self, signals[TABLE_CHANGED], 0, name, table);
      break;
    case NAVETTE_DB_CHANGE_SCHEMA:
      g_return_if_fail (name != NULL);
      g_signal_emit (self, signals[SCHEMA_CHANGED], 0, name);
      break;
    case NAVETTE_DB_CHANGE_ROLES:
      g_return_if_fail (name != NULL);
      g_signal_emit (self, signals[ROLES_CHANGED], 0, name);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
navette_db_committed_schema (NavetteDb  *self,
                             const char *app)
{
  navette_db_emit_change (self, NAVETTE_DB_CHANGE_SCHEMA, app, NULL);
}

void
navette_db_committed_roles (NavetteDb  *self,
                            const char *username)
{
  navette_db_emit_change (self, NAVETTE_DB_CHANGE_ROLES, username, NULL);
}

gboolean
navette_db_watch_changes (NavetteDb *self)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);

  return NAVETTE_DB_GET_CLASS (self)->watch_changes (self);
}

void
navette_db_unwatch_changes (NavetteDb *self)
{
  g_return_if_fail (NAVETTE_IS_DB (self));

  NAVETTE_DB_GET_CLASS (self)->unwatch_changes (self);
}

gboolean
navette_db_sync_changes (NavetteDb         *self,
                         NavetteDbSyncFunc  func,
                         gpointer           user_data)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return NAVETTE_DB_GET_CLASS (self)->sync_changes (self, func, user_data);
}

void
navette_db_set_busy_timeout (NavetteDb *self,
                             guint      timeout_ms)
{
  g_return_if_fail (NAVETTE_IS_DB (self));

  NAVETTE_DB_GET_CLASS (self)->set_busy_timeout (self, MIN (timeout_ms, (guint) G_MAXINT));
}

guint
navette_db_get_busy_timeout (NavetteDb *self)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), 0);

  return NAVETTE_DB_GET_CLASS (self)->get_busy_timeout (self);
}

const char *
navette_db_get_backend_name (NavetteDb *self)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);

  return NAVETTE_DB_GET_CLASS (self)->backend_name;
}

/* ------------------------------------------------------------------ */
/* The object, opening                                                 */

static void
navette_db_class_init (NavetteDbClass *klass)
{
  /**
   * NavetteDb::table-changed:
   * @app: (nullable): the application, or %NULL for "anything may have
   *   changed" (schemas and roles included)
   * @table: (nullable): the table of @app
   *
   * A change to a table was committed — through this process, another
   * server process or plain SQL. Only after navette_db_watch_changes();
   * emitted on the main context of that call.
   */
  signals[TABLE_CHANGED] =
    g_signal_new ("table-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavetteDb::schema-changed:
   * @app: the application
   *
   * A row of applications, content_tables or content_columns of @app was
   * written: an application, table or column added, changed or
   * archived. For a change made through this object, emitted in the
   * thread that made it, right after its commit; for the others (after
   * navette_db_watch_changes()), on the main context of that call.
   */
  signals[SCHEMA_CHANGED] =
    g_signal_new ("schema-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * NavetteDb::roles-changed:
   * @username: the user whose grants changed
   *
   * A grant of @username was written (granted, changed, revoked). Emitted
   * as ::schema-changed is.
   */
  signals[ROLES_CHANGED] =
    g_signal_new ("roles-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
navette_db_init (NavetteDb *self)
{
}

void
navette_db_get_stats (NavetteDb      *self,
                      NavetteDbStats *stats)
{
  NavetteDbPrivate *priv;

  g_return_if_fail (NAVETTE_IS_DB (self));
  g_return_if_fail (stats != NULL);

  priv = navette_db_get_instance_private (self);
  stats->reads = navette_counter_get (&priv->reads);
  stats->writes = navette_counter_get (&priv->writes);
  stats->retries = navette_counter_get (&priv->retries);
  stats->unavailable = navette_counter_get (&priv->unavailable);
  navette_histogram_read (&priv->wait, &stats->wait);
}

NavetteDb *
navette_db_open (const char  *path_or_url,
                 GError     **error)
{
  g_return_val_if_fail (path_or_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_has_prefix (path_or_url, "postgresql://") ||
      g_str_has_prefix (path_or_url, "postgres://"))
    {
#if HAVE_POSTGRESQL
      return navette_db_pg_new (path_or_url, error);
#else
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "This navette-server was built without PostgreSQL support.");
      return NULL;
#endif
    }

  if (*path_or_url == '\0')
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "No database given.");
      return NULL;
    }

  return navette_db_sqlite_new (path_or_url, error);
}

/* ------------------------------------------------------------------ */
/* Plain data                                                          */

void
navette_db_user_free (NavetteDbUser *user)
{
  if (user == NULL)
    return;
  g_free (user->username);
  g_free (user->display_name);
  g_free (user->password_hash);
  g_free (user);
}

void
navette_db_app_free (NavetteDbApp *app)
{
  if (app == NULL)
    return;
  g_free (app->name);
  g_free (app->title);
  g_free (app);
}

void
navette_db_app_schema_free (NavetteDbAppSchema *app)
{
  if (app == NULL)
    return;
  g_free (app->name);
  g_free (app->title);
  g_clear_pointer (&app->tables, g_ptr_array_unref);
  g_clear_pointer (&app->tables_archived, g_array_unref);
  g_free (app);
}

void
navette_db_grant_free (NavetteDbGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->user);
  g_free (grant->app);
  g_free (grant->role);
  g_free (grant->updated_by);
  g_free (grant);
}

void
navette_db_table_state_free (NavetteDbTableState *state)
{
  if (state == NULL)
    return;
  g_free (state->table);
  g_free (state);
}

void
navette_db_audit_entry_free (NavetteDbAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->user);
  g_free (entry->action);
  g_free (entry->app);
  g_free (entry->table);
  g_free (entry->record);
  g_free (entry->detail);
  g_free (entry);
}

void
navette_db_write_result_free (NavetteDbWriteResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->record, navette_wire_record_unref);
  g_clear_pointer (&result->superseded, g_array_unref);
  g_free (result);
}
