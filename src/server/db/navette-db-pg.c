/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-pg.c — the PostgreSQL driver of NavetteDb, with libpq.
 *
 * Connections: a bounded pool shared by the HTTP layer's worker threads.
 * A connection is used by one thread at a time; when one breaks, the idle
 * ones (likely to the same dead server) are dropped too, and an operation
 * that failed on a reused connection before COMMIT is made again on a
 * fresh one. A database that cannot be reached gives UNAVAILABLE; the next
 * operation connects again, so the server recovers by itself.
 *
 * Retryable failures (the core makes the attempt again, a bounded number
 * of times): serialization failures, deadlocks and unique violations (a
 * lost race against another server), and rows changed under an attempt.
 *
 * Concurrency across processes (see docs/postgresql.md):
 * - versions: a write first takes pg_advisory_xact_lock (table id,
 *   hashtext (record id)), then reads the current version in a new
 *   statement snapshot, so writers of one record run one after the other
 *   and versions are contiguous; UNIQUE (record_id, version) and the
 *   partial unique index on the current row are the safety net.
 * - revisions: the content table's triggers stamp a row with the next
 *   revision and update the table's row of table_last_modifications,
 *   which row-locks it until commit; writers of one table therefore take
 *   revisions in commit order, and a poller that read revision R has seen
 *   every change up to R.
 *
 * Values are always bound (prepared statements, text parameters, types
 * inferred); identifiers are generated ("c_<id>") or validated names, and
 * always quoted. */
#define G_LOG_DOMAIN "navette-db-pg"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "navette-db-pg.h"
#include "navette-db-pg-watch.h"
#include "navette-db-driver.h"

#define POOL_DEFAULT_SIZE   16
#define POOL_WAIT_USEC      (10 * G_USEC_PER_SEC)
#define PREPARED_CACHE_MAX  512
#define TEXT_OID            25

/* The statements whose standard text PostgreSQL cannot run, or runs
 * another way (the database's clock and defaults). */
static const char * const pg_sql[NAVETTE_DB_N_SQL] = {
  /* several servers may start at once on one database */
  [NAVETTE_DB_SQL_MIGRATIONS_LOCK] = "SELECT pg_advisory_xact_lock (7036257418)",
  [NAVETTE_DB_SQL_MIGRATIONS_TABLE] =
    "CREATE TABLE IF NOT EXISTS navette_schema_migrations ("
    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp ())",
  [NAVETTE_DB_SQL_MIGRATIONS_EXIST] =
    "SELECT count(*) FROM pg_class WHERE oid = to_regclass ('navette_schema_migrations')",
  [NAVETTE_DB_SQL_MIGRATIONS_APPLIED] = "SELECT name FROM navette_schema_migrations",
  [NAVETTE_DB_SQL_MIGRATION_DONE] = "INSERT INTO navette_schema_migrations (name) VALUES ($1)",
  [NAVETTE_DB_SQL_GRANT_INSERT] =
    "INSERT INTO role_grants (record_id, version, archived, updated_by, username, app, role)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
  /* a content table's SQL name is "c_<id>" (names of applications and
   * tables may be 63 bytes each, PostgreSQL identifiers may not be longer) */
  [NAVETTE_DB_SQL_TABLE_ADD] =
    "INSERT INTO content_tables (id, app_id, name, title, sql_name, created_at)"
    " SELECT n.id, CAST ($1 AS bigint), $2, $3, 'c_' || n.id, CAST ($4 AS bigint)"
    " FROM (SELECT nextval ('content_tables_id_seq') AS id) n"
    " ON CONFLICT (app_id, name) DO NOTHING RETURNING id",
  [NAVETTE_DB_SQL_AUDIT_ADD] =
    "INSERT INTO audit (\"user\", action, app, \"table\", record, from_version, to_version, detail)"
    " VALUES ($2, $3, $4, $5, $6, CAST ($7 AS bigint), CAST ($8 AS bigint), $9)",
};

typedef struct _PgConn PgConn;

typedef struct
{
  NavetteDbStmt  base;
  PgConn        *conn;
  char          *sql;
  char          *name;
  int            n_params;
  char         **values;  /* n_params */
  PGresult      *res;     /* once run */
  int            row;
} PgStmt;

struct _PgConn
{
  NavetteDbConn  base;
  PGconn        *conn;
  PgStmt        *by_id[NAVETTE_DB_N_SQL];
  GHashTable    *by_text;     /* SQL text → PgStmt* */
  guint          n_prepared;
  guint          next_statement;
  guint          generation;
  gboolean       fresh;       /* opened for this operation */
  gboolean       broken;      /* the connection failed: do not reuse */
  gboolean       committing;  /* a failure now leaves the outcome unknown */
  char           sqlstate[6];
};

#define NAVETTE_TYPE_DB_PG (navette_db_pg_get_type ())
G_DECLARE_FINAL_TYPE (NavetteDbPg, navette_db_pg, NAVETTE, DB_PG, NavetteDb)

struct _NavetteDbPg
{
  NavetteDb         parent_instance;

  char             *url;
  GMutex            lock;
  GCond             cond;
  GQueue            idle;         /* of PgConn*, most recently used first */
  guint             n_open;
  guint             max_open;
  guint             generation;   /* bumped when the server went away */
  guint             busy_timeout_ms;

  NavetteDbWatch   *watch;        /* navette_db_watch_changes() */
};

G_DEFINE_FINAL_TYPE (NavetteDbPg, navette_db_pg, NAVETTE_TYPE_DB)

static void
notice_processor_cb (void       *arg,
                     const char *message)
{
  g_debug ("%s", message);
}

static gboolean
result_ok (PGresult *res)
{
  ExecStatusType status = res != NULL ? PQresultStatus (res) : PGRES_FATAL_ERROR;

  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

static gboolean
sqlstate_is_unavailable (const char *state)
{
  return state[0] == '\0'
      || g_str_has_prefix (state, "08")      /* connection exception */
      || g_str_has_prefix (state, "53")      /* insufficient resources */
      || g_str_has_prefix (state, "57P")     /* shutdown, cannot connect now */
      || strcmp (state, "57014") == 0        /* statement timeout */
      || strcmp (state, "55P03") == 0;       /* lock timeout */
}

static gboolean
sqlstate_is_retryable (const char *state)
{
  return strcmp (state, "40001") == 0        /* serialization failure */
      || strcmp (state, "40P01") == 0        /* deadlock */
      || strcmp (state, "23505") == 0;       /* unique violation: a lost race */
}

static void
set_error_from_result (PgConn     *c,
                       PGresult   *res,
                       const char *sql,
                       GError    **error)
{
  const char *state = res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *message = res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (c->conn);

  g_strlcpy (c->sqlstate, state != NULL ? state : "", sizeof c->sqlstate);
  if (PQstatus (c->conn) != CONNECTION_OK)
    {
      c->broken = TRUE;
      c->sqlstate[0] = '\0';
    }

  if (c->broken || sqlstate_is_unavailable (c->sqlstate))
    {
      g_message ("PostgreSQL unavailable (%s): %s", c->sqlstate, message);
      navette_db_set_failure (error, c->broken ? NAVETTE_DB_FAILURE_UNREACHABLE : NAVETTE_DB_FAILURE_BUSY);
    }
  else if (sqlstate_is_retryable (c->sqlstate))
    {
      g_debug ("PostgreSQL: retryable failure (%s): %s", c->sqlstate, message);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_BUSY);
    }
  else
    {
      g_message ("PostgreSQL error (%s): %s", c->sqlstate, message);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_INTERNAL);
    }
  g_debug ("Statement was: %s", sql);
}

/* A statement without parameters nor result (DDL, transaction control). */
static gboolean
pg_exec (PgConn      *c,
         const char  *sql,
         GError     **error)
{
  PGresult *res = PQexec (c->conn, sql);
  gboolean ok = result_ok (res);

  if (!ok)
    set_error_from_result (c, res, sql, error);
  PQclear (res);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Connections and the pool                                            */

static void
pg_stmt_free (PgStmt *stmt)
{
  if (stmt == NULL)
    return;
  g_clear_pointer (&stmt->res, PQclear);
  g_strfreev (stmt->values);
  g_free (stmt->sql);
  g_free (stmt->name);
  g_free (stmt);
}

/* Forgets the statements prepared on @c (the server forgot them, or is
 * told to). */
static void
forget_statements (PgConn *c)
{
  for (guint i = 0; i < NAVETTE_DB_N_SQL; i++)
    g_clear_pointer (&c->by_id[i], pg_stmt_free);
  g_hash_table_remove_all (c->by_text);
  c->n_prepared = 0;
}

static void
pg_conn_free (PgConn *c)
{
  if (c == NULL)
    return;
  forget_statements (c);
  g_clear_pointer (&c->by_text, g_hash_table_unref);
  g_clear_pointer (&c->conn, PQfinish);
  g_free (c);
}

static PgConn *
pg_conn_open (NavetteDbPg  *self,
              GError      **error)
{
  /* The URL comes last so that what it says wins over our defaults. */
  const char * const keywords[] = { "connect_timeout", "application_name", "dbname", NULL };
  const char * const values[] = { "5", "navette-server", self->url, NULL };
  guint busy_timeout = g_atomic_int_get (&self->busy_timeout_ms);
  g_autofree char *settings = NULL;
  PgConn *c = g_new0 (PgConn, 1);

  c->base.db = NAVETTE_DB (self);
  c->by_text = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) pg_stmt_free);
  c->conn = PQconnectdbParams (keywords, values, 1);
  if (c->conn == NULL || PQstatus (c->conn) != CONNECTION_OK)
    {
      g_message ("Cannot connect to PostgreSQL: %s",
                 c->conn != NULL ? PQerrorMessage (c->conn) : "out of memory");
      pg_conn_free (c);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_UNREACHABLE);
      return NULL;
    }
  PQsetNoticeProcessor (c->conn, notice_processor_cb, NULL);

  /* Waiting for a lock (another server writing the same record or table)
   * past the busy timeout is UNAVAILABLE (503), as with SQLite. Times
   * are read as UTC in ISO form (get_usec), dates as YYYY-MM-DD. */
  settings = g_strdup_printf ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
                              "SET lock_timeout = %u; SET statement_timeout = %u;"
                              "SET idle_in_transaction_session_timeout = 60000",
                              busy_timeout, MAX (30000, 2 * busy_timeout));
  if (!pg_exec (c, settings, NULL))
    {
      pg_conn_free (c);
      navette_db_set_failure (error, NAVETTE_DB_FAILURE_UNREACHABLE);
      return NULL;
    }
  return c;
}

/* Drops every idle connection; called with the lock held. */
static void
pool_flush_locked (NavetteDbPg *self)
{
  PgConn *c;

  while ((c = g_queue_pop_head (&self->idle)) != NULL)
    {
      pg_conn_free (c);
      self->n_open--;
    }
  g_cond_broadcast (&self->cond);
}

static NavetteDbConn *
navette_db_pg_acquire (NavetteDb     *db,
                       NavetteDbTxn   txn,
                       GError       **error)
{
  NavetteDbPg *self = NAVETTE_DB_PG (db);
  gint64 deadline = g_get_monotonic_time () + POOL_WAIT_USEC;
  PgConn *c;
  guint generation;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      c = g_queue_pop_head (&self->idle);
      if (c != NULL)
        {
          g_mutex_unlock (&self->lock);
          c->fresh = FALSE;
          return &c->base;
        }
      if (self->n_open < self->max_open)
        break;
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        {
          g_mutex_unlock (&self->lock);
          navette_db_set_failure (error, NAVETTE_DB_FAILURE_BUSY);
          return NULL;
        }
    }
  self->n_open++;
  generation = self->generation;
  g_mutex_unlock (&self->lock);

  c = pg_conn_open (self, error);

  g_mutex_lock (&self->lock);
  if (c == NULL)
    {
      self->n_open--;
      g_cond_signal (&self->cond);
    }
  else
    {
      c->generation = generation;
      c->fresh = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return c != NULL ? &c->base : NULL;
}

static gboolean
navette_db_pg_begin (NavetteDbConn  *base,
                     NavetteDbTxn    txn,
                     GError        **error)
{
  PgConn *c = (PgConn *) base;

  c->sqlstate[0] = '\0';
  c->committing = FALSE;
  /* No statement is in use between operations: forget them all when
   * there are many (tables come and go). */
  if (c->n_prepared >= PREPARED_CACHE_MAX)
    {
      if (!pg_exec (c, "DEALLOCATE ALL", error))
        return FALSE;
      forget_statements (c);
    }
  switch (txn)
    {
    case NAVETTE_DB_SNAPSHOT:
      return pg_exec (c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error);
    case NAVETTE_DB_WRITE:
      return pg_exec (c, "BEGIN", error);
    case NAVETTE_DB_AUTOCOMMIT:
    default:
      return TRUE;
    }
}

static gboolean
navette_db_pg_commit (NavetteDbConn  *base,
                      GError        **error)
{
  PgConn *c = (PgConn *) base;

  if (PQtransactionStatus (c->conn) == PQTRANS_IDLE)
    return TRUE;
  c->committing = TRUE;
  return pg_exec (c, "COMMIT", error);
}

static NavetteDbRetry
navette_db_pg_release (NavetteDbConn *base,
                       gboolean       ok)
{
  NavetteDbPg *self = NAVETTE_DB_PG (base->db);
  PgConn *c = (PgConn *) base;
  NavetteDbRetry retry = NAVETTE_DB_RETRY_NO;
  gboolean lost;

  if (!ok && !c->broken && PQtransactionStatus (c->conn) != PQTRANS_IDLE)
    PQclear (PQexec (c->conn, "ROLLBACK"));
  lost = c->broken || PQstatus (c->conn) != CONNECTION_OK;
  c->broken = lost;

  /* A reused connection that turns out dead: the server restarted since.
   * Once more on a new one, unless COMMIT was sent. */
  if (!ok && lost && !c->fresh && !c->committing)
    retry = NAVETTE_DB_RETRY_NOW;
  else if (!ok && !lost && sqlstate_is_retryable (c->sqlstate))
    retry = NAVETTE_DB_RETRY_LATER;

  g_mutex_lock (&self->lock);
  if (lost)
    {
      /* The server probably went away: the idle connections are as dead
       * as this one. Those in use are dropped when they come back. */
      self->generation++;
      pool_flush_locked (self);
    }
  if (!lost && PQtransactionStatus (c->conn) == PQTRANS_IDLE && c->generation == self->generation)
    g_queue_push_head (&self->idle, c);
  else
    {
      pg_conn_free (c);
      self->n_open--;
    }
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  return retry;
}

static void
navette_db_pg_retry_later (NavetteDbConn *base)
{
  g_strlcpy (((PgConn *) base)->sqlstate, "40001", sizeof ((PgConn *) base)->sqlstate);
}

static gboolean
navette_db_pg_exec (NavetteDbConn  *base,
                    const char     *script,
                    GError        **error)
{
  return pg_exec ((PgConn *) base, script, error);
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */

/* @text with the core's ?N written $N; *@n_params: the highest parameter
 * it names, and @types (of *@n_params) TEXT_OID for those it does not
 * name (their type cannot be inferred), 0 for the others. */
static char *
pg_text (const char  *text,
         int         *n_params,
         GArray      *types)
{
  GString *out = g_string_sized_new (strlen (text));
  char quote = 0;

  *n_params = 0;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
          g_string_append_c (out, *p);
          continue;
        }
      if (*p == '\'' || *p == '"')
        quote = *p;
      if ((*p == '?' || *p == '$') && g_ascii_isdigit (p[1]))
        {
          char *end = NULL;
          int index = (int) strtol (p + 1, &end, 10);
          Oid text_oid = TEXT_OID;

          while ((int) types->len < index)
            g_array_append_val (types, text_oid);
          g_array_index (types, Oid, index - 1) = 0;
          *n_params = MAX (*n_params, index);
          g_string_append_c (out, '$');
          g_string_append_len (out, p + 1, end - (p + 1));
          p = end - 1;
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static NavetteDbStmt *
navette_db_pg_prepare (NavetteDbConn  *base,
                       int             id,
                       const char     *text,
                       GError        **error)
{
  PgConn *c = (PgConn *) base;
  PgStmt *stmt = id >= 0 ? c->by_id[id] : g_hash_table_lookup (c->by_text, text);
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (Oid));
  PGresult *res;

  if (stmt != NULL)
    return &stmt->base;

  stmt = g_new0 (PgStmt, 1);
  stmt->base.klass = NAVETTE_DB_GET_CLASS (base->db);
  stmt->conn = c;
  stmt->sql = pg_text (text, &stmt->n_params, types);
  stmt->name = g_strdup_printf ("navette_%u", c->next_statement++);
  stmt->values = g_new0 (char *, stmt->n_params + 1);
  res = PQprepare (c->conn, stmt->name, stmt->sql, stmt->n_params, (const Oid *) types->data);
  if (!result_ok (res))
    {
      set_error_from_result (c, res, stmt->sql, error);
      PQclear (res);
      pg_stmt_free (stmt);
      return NULL;
    }
  PQclear (res);
  c->n_prepared++;
  if (id >= 0)
    c->by_id[id] = stmt;
  else
    g_hash_table_insert (c->by_text, g_strdup (text), stmt);
  return &stmt->base;
}

#define PG_STMT(stmt) ((PgStmt *) (stmt))

static void
navette_db_pg_reset (NavetteDbStmt *base)
{
  PgStmt *stmt = PG_STMT (base);

  g_clear_pointer (&stmt->res, PQclear);
  for (int i = 0; i < stmt->n_params; i++)
    g_clear_pointer (&stmt->values[i], g_free);
}

/* Sets parameter @index to @value (taken); the statement may name fewer
 * parameters than the core binds: the others are dropped. */
static void
bind_value (NavetteDbStmt *base,
            int            index,
            char          *value)
{
  PgStmt *stmt = PG_STMT (base);

  if (index < 1 || index > stmt->n_params)
    {
      g_free (value);
      return;
    }
  g_free (stmt->values[index - 1]);
  stmt->values[index - 1] = value;
}

static void
navette_db_pg_bind_text (NavetteDbStmt *stmt,
                         int            index,
                         const char    *value)
{
  bind_value (stmt, index, g_strdup (value));
}

static void
navette_db_pg_bind_int (NavetteDbStmt *stmt,
                        int            index,
                        gint64         value)
{
  bind_value (stmt, index, g_strdup_printf ("%" G_GINT64_FORMAT, value));
}

static void
navette_db_pg_bind_double (NavetteDbStmt *stmt,
                           int            index,
                           double         value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  bind_value (stmt, index, g_strdup (g_ascii_dtostr (buf, sizeof buf, value)));
}

static void
navette_db_pg_bind_bool (NavetteDbStmt *stmt,
                         int            index,
                         gboolean       value)
{
  bind_value (stmt, index, g_strdup (value ? "t" : "f"));
}

static NavetteDbStep
navette_db_pg_step (NavetteDbStmt  *base,
                    GError        **error)
{
  PgStmt *stmt = PG_STMT (base);

  if (stmt->res == NULL)
    {
      stmt->res = PQexecPrepared (stmt->conn->conn, stmt->name, stmt->n_params,
                                  (const char * const *) stmt->values, NULL, NULL, 0);
      if (!result_ok (stmt->res))
        {
          set_error_from_result (stmt->conn, stmt->res, stmt->sql, error);
          g_clear_pointer (&stmt->res, PQclear);
          return NAVETTE_DB_STEP_ERROR;
        }
      stmt->row = -1;
    }
  if (stmt->row + 1 >= PQntuples (stmt->res))
    return NAVETTE_DB_STEP_DONE;
  stmt->row++;
  return NAVETTE_DB_STEP_ROW;
}

static gint64
navette_db_pg_changes (NavetteDbStmt *stmt)
{
  return g_ascii_strtoll (PQcmdTuples (PG_STMT (stmt)->res), NULL, 10);
}

static gboolean
navette_db_pg_is_null (NavetteDbStmt *stmt,
                       int            column)
{
  return PQgetisnull (PG_STMT (stmt)->res, PG_STMT (stmt)->row, column);
}

static const char *
navette_db_pg_get_text (NavetteDbStmt *stmt,
                        int            column)
{
  if (navette_db_pg_is_null (stmt, column))
    return NULL;
  return PQgetvalue (PG_STMT (stmt)->res, PG_STMT (stmt)->row, column);
}

static gint64
navette_db_pg_get_int (NavetteDbStmt *stmt,
                       int            column)
{
  const char *value = navette_db_pg_get_text (stmt, column);

  return value != NULL ? g_ascii_strtoll (value, NULL, 10) : 0;
}

static double
navette_db_pg_get_double (NavetteDbStmt *stmt,
                          int            column)
{
  const char *value = navette_db_pg_get_text (stmt, column);

  return value != NULL ? g_ascii_strtod (value, NULL) : 0;
}

static gboolean
navette_db_pg_get_bool (NavetteDbStmt *stmt,
                        int            column)
{
  const char *value = navette_db_pg_get_text (stmt, column);

  return value != NULL && value[0] == 't';
}

/* @n digits of @p as a number, -1 when they are not all digits. */
static int
parse_digits (const char *p,
              int         n)
{
  int value = 0;

  for (int i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (p[i]))
        return -1;
      value = value * 10 + (p[i] - '0');
    }
  return value;
}

/* A timestamptz as PostgreSQL writes it with DateStyle ISO and TimeZone
 * UTC ("2026-02-28 19:31:04.123456+00"), as unix µs; 0 when it is not
 * one (infinity, a year past 9999). */
static gint64
navette_db_pg_get_usec (NavetteDbStmt *stmt,
                        int            column)
{
  const char *p = navette_db_pg_get_text (stmt, column);
  int year, month, day, hour, minute, second, offset = 0;
  gint64 usec = 0, days, y, era, yoe, doy, doe;

  if (p == NULL || strlen (p) < 19 || p[4] != '-' || p[7] != '-' || p[10] != ' ' ||
      p[13] != ':' || p[16] != ':')
    return 0;
  year = parse_digits (p, 4);
  month = parse_digits (p + 5, 2);
  day = parse_digits (p + 8, 2);
  hour = parse_digits (p + 11, 2);
  minute = parse_digits (p + 14, 2);
  second = parse_digits (p + 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0)
    return 0;
  p += 19;
  if (*p == '.')
    {
      int digits = 0;

      for (p++; g_ascii_isdigit (*p); p++, digits++)
        if (digits < 6)
          usec = usec * 10 + (*p - '0');
      for (; digits < 6; digits++)
        usec *= 10;
    }
  if ((*p == '+' || *p == '-') && parse_digits (p + 1, 2) >= 0)
    {
      offset = parse_digits (p + 1, 2) * 60 + (p[3] == ':' ? MAX (parse_digits (p + 4, 2), 0) : 0);
      if (*p == '-')
        offset = -offset;
    }

  /* days from 1970-01-01 to the civil date (proleptic Gregorian) */
  y = year - (month <= 2 ? 1 : 0);
  era = y / 400;
  yoe = y - era * 400;
  doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  days = era * 146097 + doe - 719468;
  return ((days * 86400 + hour * 3600 + minute * 60 + second) - (gint64) offset * 60)
         * G_USEC_PER_SEC + usec;
}

static gboolean
navette_db_pg_lock_record (NavetteDbConn  *conn,
                           gint64          space,
                           const char     *key,
                           GError        **error)
{
  NavetteDbStmt *stmt = navette_db_pg_prepare (conn, -1, "SELECT pg_advisory_xact_lock"
                                               " (CAST ($1 AS integer), hashtext ($2))", error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  navette_db_pg_bind_int (stmt, 1, space);
  navette_db_pg_bind_text (stmt, 2, key);
  ok = navette_db_pg_step (stmt, error) != NAVETTE_DB_STEP_ERROR;
  navette_db_pg_reset (stmt);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Content tables                                                      */

static char *
navette_db_pg_table_name (const char *app,
                          const char *table,
                          gint64      id)
{
  return g_strdup_printf ("c_%" G_GINT64_FORMAT, id);
}

static char *
navette_db_pg_column_type (const NavetteWireColumn *column)
{
  switch (navette_column_type_value_type (column->type))
    {
    case G_TYPE_INT64:
      return g_strdup ("bigint");
    case G_TYPE_DOUBLE:
      return g_strdup ("double precision");
    case G_TYPE_BOOLEAN:
      return g_strdup ("boolean");
    default:
      return g_strdup (column->type == NAVETTE_COLUMN_DATE ? "date" : "text");
    }
}

static char *
navette_db_pg_create_table (const NavetteDbTable *table)
{
  g_autofree char *name = navette_db_pg_table_name (table->app, table->schema->name, table->id);
  g_autofree char *tlm = g_strdup_printf ("'%s'", table->tlm_name);  /* validated names */
  GString *ddl = g_string_new (NULL);

  /* The version columns, then the user's typed columns. */
  g_string_append_printf (ddl,
                          "CREATE TABLE %s ("
                          " record_id uuid NOT NULL DEFAULT gen_random_uuid (),"
                          " version bigint NOT NULL DEFAULT 1 CHECK (version > 0),"
                          " obsolete boolean NOT NULL DEFAULT false,"
                          " archived boolean NOT NULL DEFAULT false,"
                          " updated_at timestamptz NOT NULL DEFAULT clock_timestamp (),"
                          " updated_by text NOT NULL DEFAULT current_user,"
                          " revision bigint NOT NULL",
                          table->sql_name);
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);
      g_autofree char *type = navette_db_pg_column_type (column);

      g_string_append_printf (ddl, ", \"%s\" %s", column->name, type);
    }
  g_string_append_printf (ddl,
                          ", PRIMARY KEY (record_id, version));"
                          "CREATE UNIQUE INDEX %s_current ON %s (record_id) WHERE NOT obsolete;"
                          "CREATE INDEX %s_revision ON %s (revision) WHERE NOT obsolete;"
                          "CREATE TRIGGER navette_stamp BEFORE INSERT OR UPDATE ON %s"
                          " FOR EACH ROW EXECUTE FUNCTION navette_stamp_row (%s);"
                          "CREATE TRIGGER navette_touch AFTER INSERT OR UPDATE OR DELETE ON %s"
                          " FOR EACH ROW EXECUTE FUNCTION navette_touch_table (%s);"
                          "INSERT INTO table_last_modifications (table_name, last_update, revision)"
                          " VALUES (%s, NULL, 0) ON CONFLICT (table_name) DO NOTHING",
                          name, table->sql_name, name, table->sql_name,
                          table->sql_name, tlm, table->sql_name, tlm, tlm);
  return g_string_free (ddl, FALSE);
}

/* ------------------------------------------------------------------ */
/* Change notification, busy timeout                                   */

static gboolean
navette_db_pg_watch_changes (NavetteDb *db)
{
  NavetteDbPg *self = NAVETTE_DB_PG (db);

  if (self->watch == NULL)
    self->watch = navette_db_watch_follow (NAVETTE_DB_WATCH (navette_db_pg_watch_new (self->url)), db);
  return TRUE;
}

static void
navette_db_pg_unwatch_changes (NavetteDb *db)
{
  navette_db_watch_drop (&NAVETTE_DB_PG (db)->watch, db);
}

static gboolean
navette_db_pg_sync_changes (NavetteDb         *db,
                            NavetteDbSyncFunc  func,
                            gpointer           user_data)
{
  NavetteDbPg *self = NAVETTE_DB_PG (db);

  if (self->watch != NULL)
    navette_db_pg_watch_sync (NAVETTE_DB_PG_WATCH (self->watch), func, user_data);
  else
    navette_db_pg_watch_fail_later (func, user_data);  /* nobody can tell */
  return TRUE;
}

static void
navette_db_pg_set_busy_timeout (NavetteDb *db,
                                guint      timeout_ms)
{
  NavetteDbPg *self = NAVETTE_DB_PG (db);

  /* PostgreSQL's lock_timeout 0 would wait forever: 0 means "at once". */
  g_atomic_int_set (&self->busy_timeout_ms, MAX (timeout_ms, 1));
  /* Idle connections carry the old setting: open new ones. */
  g_mutex_lock (&self->lock);
  self->generation++;
  pool_flush_locked (self);
  g_mutex_unlock (&self->lock);
}

static guint
navette_db_pg_get_busy_timeout (NavetteDb *db)
{
  return g_atomic_int_get (&NAVETTE_DB_PG (db)->busy_timeout_ms);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
navette_db_pg_dispose (GObject *object)
{
  navette_db_pg_unwatch_changes (NAVETTE_DB (object));

  G_OBJECT_CLASS (navette_db_pg_parent_class)->dispose (object);
}

static void
navette_db_pg_finalize (GObject *object)
{
  NavetteDbPg *self = NAVETTE_DB_PG (object);

  g_mutex_lock (&self->lock);
  pool_flush_locked (self);
  g_mutex_unlock (&self->lock);
  g_warn_if_fail (self->n_open == 0);
  g_free (self->url);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (navette_db_pg_parent_class)->finalize (object);
}

static void
navette_db_pg_class_init (NavetteDbPgClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NavetteDbClass *db_class = NAVETTE_DB_CLASS (klass);

  object_class->dispose = navette_db_pg_dispose;
  object_class->finalize = navette_db_pg_finalize;

  db_class->backend_name = "postgresql";
  db_class->migrations_path = "/org/navette/server/migrations/postgresql";
  db_class->sql = pg_sql;
  db_class->current = "NOT obsolete";
  db_class->date_column = "to_char (@column, 'YYYY-MM-DD')";
  /* the revision from the BEFORE trigger, the time from the database's
   * clock, so that every server agrees */
  db_class->insert_columns = "";
  db_class->insert_values = "";
  db_class->list_order = "revision, record_id";

  NAVETTE_DB_CLASS_SET_DRIVER (db_class, navette_db_pg);
}

static void
navette_db_pg_init (NavetteDbPg *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->idle);
  self->max_open = POOL_DEFAULT_SIZE;
  self->busy_timeout_ms = NAVETTE_DB_DEFAULT_BUSY_TIMEOUT;
}

/* The value of the environment variable @name between @min and @max, or
 * @fallback. */
static guint
env_uint (const char *name,
          guint       min,
          guint       max,
          guint       fallback)
{
  const char *text = g_getenv (name);
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    return fallback;
  return (guint) value;
}

NavetteDb *
navette_db_pg_new (const char  *url,
                   GError     **error)
{
  NavetteDbPg *self;
  PQconninfoOption *options;
  char *message = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  options = PQconninfoParse (url, &message);
  if (options == NULL)
    {
      /* libpq's message may quote the URL, and so a password: not shown. */
      g_debug ("Invalid PostgreSQL URL: %s", message != NULL ? message : "out of memory");
      PQfreemem (message);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The PostgreSQL URL cannot be parsed.");
      return NULL;
    }
  PQconninfoFree (options);

  self = g_object_new (NAVETTE_TYPE_DB_PG, NULL);
  self->url = g_strdup (url);
  self->busy_timeout_ms = env_uint ("NAVETTE_PG_BUSY_TIMEOUT", 1, 600000, self->busy_timeout_ms);
  self->max_open = env_uint ("NAVETTE_PG_POOL_SIZE", 1, 1000, self->max_open);
  return NAVETTE_DB (self);
}
