/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-pg.c — NavetteDb on PostgreSQL, with libpq.
 *
 * Connections: a bounded pool shared by the HTTP layer's worker threads.
 * A connection is used by one thread at a time; when one breaks, the idle
 * ones (likely to the same dead server) are dropped too, and an operation
 * that failed on a reused connection before COMMIT is retried once on a
 * fresh one. A database that cannot be reached gives UNAVAILABLE; the next
 * operation connects again, so the server recovers by itself.
 *
 * Every operation is one function run inside one transaction by run_op(),
 * which retries serialization failures, deadlocks and unique violations
 * (a lost race against another server) a bounded number of times.
 *
 * Concurrency across processes (see docs/postgresql.md):
 * - versions: a write first takes pg_advisory_xact_lock(table id,
 *   hashtext(record id)), then reads the current version in a new
 *   statement snapshot, so writers of one record run one after the other
 *   and versions are contiguous; UNIQUE (record_id, version) and the
 *   partial unique index on the current row are the safety net.
 * - revisions: the content table's triggers update the table's row of
 *   table_last_modifications, which row-locks it until commit; writers of
 *   one table therefore take revisions in commit order, and a poller that
 *   read revision R has seen every change up to R.
 *
 * Values are always bound (PQexecPrepared); identifiers are generated
 * ("c_<id>") or validated names, and always quoted. */
#define G_LOG_DOMAIN "navette-db-pg"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include "navette-db-pg.h"
#include "navette-db-private.h"

#define POOL_DEFAULT_SIZE   16
#define POOL_WAIT_USEC      (10 * G_USEC_PER_SEC)
#define PREPARED_CACHE_MAX  512
#define MAX_ATTEMPTS        12
#define MIGRATION_LOCK_KEY  "7036257418"
#define GRANTS_LOCK_SPACE   0
#define GRANTS_TLM_NAME     "_navette.role_grants"
#define MIGRATIONS_PATH     "/org/navette/server/migrations/postgresql"

/* Column names of a content table that are not the user's. */
static const char * const reserved_columns[] = {
  "record_id", "version", "obsolete", "archived", "updated_at", "updated_by", "revision", NULL
};

#define SYSTEM_COLUMNS \
  "record_id::text, version, revision, archived, " \
  "(extract (epoch FROM updated_at) * 1000000)::bigint, updated_by, obsolete"
#define N_SYSTEM_COLUMNS 7

typedef struct
{
  PGconn     *conn;
  GHashTable *prepared;    /* SQL text → statement name */
  guint       next_statement;
  guint       generation;
  gboolean    broken;      /* the connection failed: do not reuse */
  gboolean    committing;  /* a failure now leaves the outcome unknown */
  char        sqlstate[6];
} PgConn;

struct _NavetteDbPg
{
  NavetteDb  parent_instance;

  char      *url;
  GMutex     lock;
  GCond      cond;
  GQueue     idle;         /* of PgConn*, most recently used first */
  guint      n_open;
  guint      max_open;
  guint      generation;   /* bumped when the server went away */
  guint      busy_timeout_ms;

  /* navette_db_pg_watch_changes(): on watch_context only */
  gboolean      watching;
  GMainContext *watch_context;
  PGconn       *watch_conn;       /* listening, or NULL */
  gboolean      watch_connecting; /* a thread connects */
  GSource      *watch_source;     /* reads watch_conn */
  gpointer      watch_tag;        /* its fd */
  GQueue        watch_out;        /* SyncOut*: round trips out, oldest first */
  guint         watch_check_id;   /* watch_check_cb */
  guint         watch_retry_id;   /* watch_retry_cb */
  guint         watch_backoff_ms;
};

enum {
  TABLE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavetteDbPg, navette_db_pg, NAVETTE_TYPE_DB)

/* ------------------------------------------------------------------ */
/* Connections and the pool                                            */
/* ------------------------------------------------------------------ */

static void
notice_processor_cb (void       *arg,
                     const char *message)
{
  g_debug ("%s", message);
}

static void
pg_conn_free (PgConn *c)
{
  if (c == NULL)
    return;
  g_clear_pointer (&c->conn, PQfinish);
  g_clear_pointer (&c->prepared, g_hash_table_unref);
  g_free (c);
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

static gboolean
result_ok (PGresult *res)
{
  ExecStatusType status;

  if (res == NULL)
    return FALSE;
  status = PQresultStatus (res);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

static PgConn *
pg_conn_open (NavetteDbPg  *self,
              GError      **error)
{
  /* The URL comes last so that what it says wins over our defaults. */
  const char * const keywords[] = { "connect_timeout", "application_name", "dbname", NULL };
  const char * const values[] = { "5", "navette-server", self->url, NULL };
  g_autofree char *settings = NULL;
  PGresult *res;
  PgConn *c = g_new0 (PgConn, 1);

  c->conn = PQconnectdbParams (keywords, values, 1);
  if (c->conn == NULL || PQstatus (c->conn) != CONNECTION_OK)
    {
      g_message ("Cannot connect to PostgreSQL: %s",
                 c->conn != NULL ? PQerrorMessage (c->conn) : "out of memory");
      pg_conn_free (c);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           "The database cannot be reached");
      return NULL;
    }
  PQsetNoticeProcessor (c->conn, notice_processor_cb, NULL);
  c->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* Waiting for a lock (another server writing the same record or table)
   * past the busy timeout is UNAVAILABLE (503), as with SQLite. */
  settings = g_strdup_printf ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
                              "SET lock_timeout = %u; SET statement_timeout = %u;"
                              "SET idle_in_transaction_session_timeout = 60000",
                              g_atomic_int_get (&self->busy_timeout_ms),
                              MAX (30000, 2 * g_atomic_int_get (&self->busy_timeout_ms)));
  res = PQexec (c->conn, settings);
  if (!result_ok (res))
    {
      g_message ("Cannot set up the PostgreSQL session: %s", PQresultErrorMessage (res));
      PQclear (res);
      pg_conn_free (c);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           "The database cannot be reached");
      return NULL;
    }
  PQclear (res);
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

static PgConn *
pool_acquire (NavetteDbPg  *self,
              gboolean     *fresh,
              GError      **error)
{
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
          *fresh = FALSE;
          return c;
        }
      if (self->n_open < self->max_open)
        break;
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        {
          g_mutex_unlock (&self->lock);
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                               "The database is busy");
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
    c->generation = generation;
  g_mutex_unlock (&self->lock);
  *fresh = TRUE;
  return c;
}

static void
pool_release (NavetteDbPg *self,
              PgConn      *c)
{
  gboolean reusable;

  reusable = !c->broken
          && PQstatus (c->conn) == CONNECTION_OK
          && PQtransactionStatus (c->conn) == PQTRANS_IDLE;

  g_mutex_lock (&self->lock);
  if (!reusable && c->broken)
    {
      /* The server probably went away: the idle connections are as dead
       * as this one. Those in use are dropped when they come back. */
      self->generation++;
      pool_flush_locked (self);
    }
  if (reusable && c->generation == self->generation)
    {
      g_queue_push_head (&self->idle, c);
    }
  else
    {
      pg_conn_free (c);
      self->n_open--;
    }
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

static void
set_error_from_result (PgConn     *c,
                       PGresult   *res,
                       const char *what,
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
      g_message ("PostgreSQL unavailable (%s, %s): %s", what, c->sqlstate, message);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           c->broken ? "The database cannot be reached" : "The database is busy");
    }
  else if (sqlstate_is_retryable (c->sqlstate))
    {
      g_debug ("PostgreSQL: retryable failure (%s, %s): %s", what, c->sqlstate, message);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                           "The database is busy");
    }
  else
    {
      g_message ("PostgreSQL error (%s, %s): %s", what, c->sqlstate, message);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_INTERNAL,
                           "The database failed");
    }
}

/* Runs @sql (with $1…$n placeholders) with text parameters, through a
 * statement prepared once per connection. NULL values are SQL NULL. */
static PGresult *
pg_query (PgConn             *c,
          const char         *sql,
          int                 n_params,
          const char * const *params,
          GError            **error)
{
  const char *name;
  PGresult *res;

  name = g_hash_table_lookup (c->prepared, sql);
  if (name == NULL)
    {
      g_autofree char *new_name = NULL;

      if (g_hash_table_size (c->prepared) >= PREPARED_CACHE_MAX)
        {
          res = PQexec (c->conn, "DEALLOCATE ALL");
          if (!result_ok (res))
            {
              set_error_from_result (c, res, "deallocate", error);
              PQclear (res);
              return NULL;
            }
          PQclear (res);
          g_hash_table_remove_all (c->prepared);
        }
      new_name = g_strdup_printf ("navette_%u", c->next_statement++);
      res = PQprepare (c->conn, new_name, sql, n_params, NULL);
      if (!result_ok (res))
        {
          set_error_from_result (c, res, "prepare", error);
          g_debug ("Statement was: %s", sql);
          PQclear (res);
          return NULL;
        }
      PQclear (res);
      name = new_name;
      g_hash_table_insert (c->prepared, g_strdup (sql), g_steal_pointer (&new_name));
    }

  res = PQexecPrepared (c->conn, name, n_params, params, NULL, NULL, 0);
  if (!result_ok (res))
    {
      set_error_from_result (c, res, "query", error);
      g_debug ("Statement was: %s", sql);
      PQclear (res);
      return NULL;
    }
  return res;
}

/* A statement without parameters nor result (DDL, transaction control). */
static gboolean
pg_exec (PgConn      *c,
         const char  *sql,
         GError     **error)
{
  PGresult *res = PQexec (c->conn, sql);

  if (!result_ok (res))
    {
      set_error_from_result (c, res, "exec", error);
      g_debug ("Statement was: %s", sql);
      PQclear (res);
      return FALSE;
    }
  PQclear (res);
  return TRUE;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* Parameter lists: a GPtrArray of owned strings (or NULL). */
static GPtrArray *
params_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static void
params_add (GPtrArray  *params,
            const char *value)
{
  g_ptr_array_add (params, g_strdup (value));
}

static void
params_add_int (GPtrArray *params,
                gint64     value)
{
  g_ptr_array_add (params, g_strdup_printf ("%" G_GINT64_FORMAT, value));
}

static void
params_add_bool (GPtrArray *params,
                 gboolean   value)
{
  g_ptr_array_add (params, g_strdup (value ? "t" : "f"));
}

static PGresult *
pg_query_params (PgConn     *c,
                 const char *sql,
                 GPtrArray  *params,
                 GError    **error)
{
  return pg_query (c, sql, params->len, (const char * const *) params->pdata, error);
}

static gint64
get_int (PGresult *res,
         int       row,
         int       col)
{
  if (PQgetisnull (res, row, col))
    return 0;
  return g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

static gboolean
get_bool (PGresult *res,
          int       row,
          int       col)
{
  return !PQgetisnull (res, row, col) && PQgetvalue (res, row, col)[0] == 't';
}

static char *
get_str (PGresult *res,
         int       row,
         int       col)
{
  if (PQgetisnull (res, row, col))
    return NULL;
  return g_strdup (PQgetvalue (res, row, col));
}

static char *
quote_ident (const char *name)
{
  GString *s = g_string_new ("\"");

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

static const char *
sql_type (NavetteColumnType type)
{
  switch (type)
    {
    case NAVETTE_COLUMN_TEXT:
      return "text";
    case NAVETTE_COLUMN_INTEGER:
      return "bigint";
    case NAVETTE_COLUMN_REAL:
      return "double precision";
    case NAVETTE_COLUMN_BOOLEAN:
      return "boolean";
    case NAVETTE_COLUMN_DATE:
      return "date";
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ */
/* Running an operation in a transaction                               */
/* ------------------------------------------------------------------ */

typedef enum
{
  OP_READ      = 0,       /* READ COMMITTED */
  OP_SNAPSHOT  = 1 << 0,  /* REPEATABLE READ, READ ONLY: one snapshot */
  OP_NO_TX     = 1 << 1,  /* a single statement, autocommit */
} OpFlags;

typedef gboolean (*OpFunc) (NavetteDbPg  *self,
                            PgConn       *c,
                            gpointer      data,
                            GError      **error);

static gboolean
run_op (NavetteDbPg  *self,
        OpFlags       flags,
        OpFunc        func,
        gpointer      data,
        GError      **error)
{
  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean fresh = FALSE;
      gboolean ok;
      gboolean lost;
      gboolean committing;
      char state[6];
      PgConn *c;

      c = pool_acquire (self, &fresh, error);
      if (c == NULL)
        return FALSE;

      c->sqlstate[0] = '\0';
      c->committing = FALSE;
      if (flags & OP_NO_TX)
        {
          ok = func (self, c, data, &local_error);
        }
      else
        {
          ok = pg_exec (c, (flags & OP_SNAPSHOT)
                             ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                             : "BEGIN", &local_error)
            && func (self, c, data, &local_error);
          if (ok)
            {
              c->committing = TRUE;
              ok = pg_exec (c, "COMMIT", &local_error);
            }
          else if (!c->broken && PQtransactionStatus (c->conn) != PQTRANS_IDLE)
            {
              PGresult *res = PQexec (c->conn, "ROLLBACK");
              PQclear (res);
            }
        }

      lost = c->broken || PQstatus (c->conn) != CONNECTION_OK;
      c->broken = lost;
      committing = c->committing;
      g_strlcpy (state, c->sqlstate, sizeof state);
      pool_release (self, c);

      if (ok)
        return TRUE;

      /* A reused connection that turns out dead: the server restarted
       * since. Try once more on a new one, unless COMMIT was sent. */
      if (lost && !fresh && !committing && attempt <= 2)
        continue;
      if (!lost && sqlstate_is_retryable (state) && attempt < MAX_ATTEMPTS)
        {
          /* Lost a race with another writer: back off a little, with
           * jitter so that the losers do not collide again. */
          g_usleep (g_random_int_range (100, 1000) * attempt);
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
}

/* run_op() for an operation that leaves what it read in *@out, a field
 * of @data: returns that, or NULL when the operation failed, after
 * freeing with @free_out what it may have left there. */
static gpointer
run_op_taking (NavetteDbPg     *self,
               OpFlags          flags,
               OpFunc           func,
               gpointer         data,
               gpointer        *out,
               GDestroyNotify   free_out,
               GError         **error)
{
  if (!run_op (self, flags, func, data, error))
    {
      g_clear_pointer (out, free_out);
      return NULL;
    }
  return g_steal_pointer (out);
}

/* run_op_taking() for an operation that leaves a GPtrArray in *@list. */
static GPtrArray *
run_list_op (NavetteDbPg  *self,
             OpFlags       flags,
             OpFunc        func,
             gpointer      data,
             GPtrArray   **list,
             GError      **error)
{
  return run_op_taking (self, flags, func, data, (gpointer *) list,
                        (GDestroyNotify) g_ptr_array_unref, error);
}

/* Sets *@list to a new array that frees its items with @free_func,
 * dropping what an earlier attempt of the operation left there. */
static void
list_reset (GPtrArray      **list,
            GDestroyNotify   free_func)
{
  g_clear_pointer (list, g_ptr_array_unref);
  *list = g_ptr_array_new_with_free_func (free_func);
}

typedef gpointer (*FromRowFunc) (PGresult *res,
                                 int       row);

/* Sets *@list to the items @from_row makes of the rows of @res. */
static void
list_rows (GPtrArray      **list,
           PGresult        *res,
           FromRowFunc      from_row,
           GDestroyNotify   free_item)
{
  list_reset (list, free_item);
  for (int i = 0; i < PQntuples (res); i++)
    g_ptr_array_add (*list, from_row (res, i));
}

/* Marks the current attempt as lost to a concurrent writer (retried). */
static gboolean
set_retry (PgConn  *c,
           GError **error)
{
  g_strlcpy (c->sqlstate, "40001", sizeof c->sqlstate);
  g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_UNAVAILABLE,
                       "The database is busy");
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Schema of content tables                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  gint64            id;
  char             *app;
  char             *sql_name;   /* quoted "c_<id>" */
  char             *tlm_name;   /* '<app>.<table>' */
  NavetteWireTable *schema;
} PgTable;

static void
pg_table_free (PgTable *t)
{
  if (t == NULL)
    return;
  g_free (t->app);
  g_free (t->sql_name);
  g_free (t->tlm_name);
  g_clear_pointer (&t->schema, navette_wire_table_free);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PgTable, pg_table_free)

static gboolean
not_found (GError    **error,
           const char *what)
{
  g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND, "%s not found", what);
  return FALSE;
}

/* The columns of content_columns that add_column_from_row() reads, from
 * the fourth column of a result on. */
#define COLUMN_COLUMNS "c.name, c.title, c.type, c.required, c.max_length "

/* Adds to @columns the column of COLUMN_COLUMNS in @row, unless @row has
 * none (a LEFT JOIN's row of a table without columns). */
static void
add_column_from_row (GPtrArray *columns,
                     PGresult  *res,
                     int        row)
{
  NavetteColumnType type = NAVETTE_COLUMN_TEXT;

  if (PQgetisnull (res, row, 3))
    return;
  navette_column_type_from_string (PQgetvalue (res, row, 5), &type);
  g_ptr_array_add (columns,
                   navette_wire_column_new (PQgetvalue (res, row, 3), PQgetvalue (res, row, 4),
                                            type, get_bool (res, row, 6), get_int (res, row, 7)));
}

static PgTable *
load_table (PgConn      *c,
            const char  *app,
            const char  *table,
            GError     **error)
{
  const char *params[] = { app, table };
  g_autoptr(PGresult) res = NULL;
  PgTable *t;

  if (!navette_name_is_valid (app) || !navette_name_is_valid (table))
    {
      not_found (error, "Table");
      return NULL;
    }
  res = pg_query (c,
                  "SELECT t.id, t.sql_name, t.title, " COLUMN_COLUMNS
                  "FROM applications a JOIN content_tables t ON t.app_id = a.id "
                  "LEFT JOIN content_columns c ON c.table_id = t.id "
                  "WHERE a.name = $1 AND t.name = $2 ORDER BY c.position",
                  2, params, error);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) == 0)
    {
      not_found (error, "Table");
      return NULL;
    }

  t = g_new0 (PgTable, 1);
  t->id = get_int (res, 0, 0);
  t->app = g_strdup (app);
  t->sql_name = quote_ident (PQgetvalue (res, 0, 1));
  t->tlm_name = g_strdup_printf ("%s.%s", app, table);
  t->schema = navette_wire_table_new (table, PQgetvalue (res, 0, 2));
  for (int i = 0; i < PQntuples (res); i++)
    add_column_from_row (t->schema->columns, res, i);
  return t;
}

/* "SELECT <system columns>, "col1", … FROM "c_N" " */
static char *
select_prefix (PgTable *t)
{
  GString *s = g_string_new ("SELECT " SYSTEM_COLUMNS);

  for (guint i = 0; i < t->schema->columns->len; i++)
    {
      NavetteWireColumn *col = g_ptr_array_index (t->schema->columns, i);
      g_autofree char *quoted = quote_ident (col->name);

      if (col->type == NAVETTE_COLUMN_DATE)
        g_string_append_printf (s, ", to_char (%s, 'YYYY-MM-DD')", quoted);
      else
        g_string_append_printf (s, ", %s", quoted);
    }
  g_string_append_printf (s, " FROM %s ", t->sql_name);
  return g_string_free (s, FALSE);
}

static NavetteWireRecord *
record_from_row (PgTable  *t,
                 PGresult *res,
                 int       row)
{
  NavetteWireRecord *record = navette_wire_record_new ();

  record->id = get_str (res, row, 0);
  record->version = get_int (res, row, 1);
  record->revision = get_int (res, row, 2);
  record->archived = get_bool (res, row, 3);
  record->updated_at = get_int (res, row, 4);
  record->updated_by = get_str (res, row, 5);
  record->obsolete = get_bool (res, row, 6);
  if (record->data == NULL)
    record->data = json_object_new ();

  for (guint i = 0; i < t->schema->columns->len; i++)
    {
      NavetteWireColumn *col = g_ptr_array_index (t->schema->columns, i);
      int field = N_SYSTEM_COLUMNS + i;
      const char *value;

      if (PQgetisnull (res, row, field))
        {
          json_object_set_null_member (record->data, col->name);
          continue;
        }
      value = PQgetvalue (res, row, field);
      switch (col->type)
        {
        case NAVETTE_COLUMN_TEXT:
        case NAVETTE_COLUMN_DATE:
          json_object_set_string_member (record->data, col->name, value);
          break;
        case NAVETTE_COLUMN_INTEGER:
          json_object_set_int_member (record->data, col->name, g_ascii_strtoll (value, NULL, 10));
          break;
        case NAVETTE_COLUMN_REAL:
          json_object_set_double_member (record->data, col->name, g_ascii_strtod (value, NULL));
          break;
        case NAVETTE_COLUMN_BOOLEAN:
          json_object_set_boolean_member (record->data, col->name, value[0] == 't');
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return record;
}

/* Sets *@list to the records of the rows of @res (select_prefix() form). */
static void
list_records (GPtrArray **list,
              PgTable    *t,
              PGresult   *res)
{
  list_reset (list, (GDestroyNotify) navette_wire_record_unref);
  for (int i = 0; i < PQntuples (res); i++)
    g_ptr_array_add (*list, record_from_row (t, res, i));
}

/* The text form of a JSON value for a column (NULL for null/absent). */
static char *
value_to_param (const NavetteWireColumn *col,
                JsonObject              *data)
{
  JsonNode *node;
  GType type;

  if (data == NULL || !json_object_has_member (data, col->name))
    return NULL;
  node = json_object_get_member (data, col->name);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    }
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "t" : "f");
  return g_strdup (json_node_get_string (node));
}

static gboolean
values_equal (JsonNode *a,
              JsonNode *b)
{
  gboolean a_null = a == NULL || JSON_NODE_HOLDS_NULL (a);
  gboolean b_null = b == NULL || JSON_NODE_HOLDS_NULL (b);
  GType ta, tb;

  if (a_null || b_null)
    return a_null == b_null;
  if (!JSON_NODE_HOLDS_VALUE (a) || !JSON_NODE_HOLDS_VALUE (b))
    return FALSE;
  ta = json_node_get_value_type (a);
  tb = json_node_get_value_type (b);
  if ((ta == G_TYPE_INT64 || ta == G_TYPE_DOUBLE) && (tb == G_TYPE_INT64 || tb == G_TYPE_DOUBLE))
    {
      if (ta == G_TYPE_INT64 && tb == G_TYPE_INT64)
        return json_node_get_int (a) == json_node_get_int (b);
      return json_node_get_double (a) == json_node_get_double (b);
    }
  if (ta != tb)
    return FALSE;
  if (ta == G_TYPE_BOOLEAN)
    return json_node_get_boolean (a) == json_node_get_boolean (b);
  return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
}

static gboolean
data_equal (PgTable    *t,
            JsonObject *a,
            JsonObject *b)
{
  for (guint i = 0; i < t->schema->columns->len; i++)
    {
      NavetteWireColumn *col = g_ptr_array_index (t->schema->columns, i);
      JsonNode *va = a != NULL ? json_object_get_member (a, col->name) : NULL;
      JsonNode *vb = b != NULL ? json_object_get_member (b, col->name) : NULL;

      if (!values_equal (va, vb))
        return FALSE;
    }
  return TRUE;
}

/* Inserts a version of a record. The revision comes from the table's
 * BEFORE trigger (under the row lock of table_last_modifications), the
 * time from the database's clock, so that every server agrees. */
static NavetteWireRecord *
insert_version (PgConn      *c,
                PgTable     *t,
                const char  *id,
                gint64       version,
                JsonObject  *data,
                gboolean     archived,
                const char  *user,
                GError     **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GString) values = g_string_new (NULL);
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;
  NavetteWireRecord *record;

  g_string_append_printf (sql, "INSERT INTO %s (record_id, version, archived, updated_by", t->sql_name);
  g_string_append (values, "$1::uuid, $2::bigint, $3::boolean, $4::text");
  params_add (params, id);
  params_add_int (params, version);
  params_add_bool (params, archived);
  params_add (params, user);
  for (guint i = 0; i < t->schema->columns->len; i++)
    {
      NavetteWireColumn *col = g_ptr_array_index (t->schema->columns, i);
      g_autofree char *quoted = quote_ident (col->name);

      g_string_append_printf (sql, ", %s", quoted);
      g_ptr_array_add (params, value_to_param (col, data));
      g_string_append_printf (values, ", $%u::%s", params->len, sql_type (col->type));
    }
  g_string_append_printf (sql, ") VALUES (%s) RETURNING revision, "
                          "(extract (epoch FROM updated_at) * 1000000)::bigint",
                          values->str);

  res = pg_query_params (c, sql->str, params, error);
  if (res == NULL)
    return NULL;

  record = navette_wire_record_new ();
  record->id = g_strdup (id);
  record->version = version;
  record->revision = get_int (res, 0, 0);
  record->updated_at = get_int (res, 0, 1);
  record->archived = archived;
  record->updated_by = g_strdup (user);
  record->obsolete = FALSE;
  if (record->data != NULL)
    json_object_unref (record->data);
  record->data = json_object_new ();
  for (guint i = 0; i < t->schema->columns->len; i++)
    {
      NavetteWireColumn *col = g_ptr_array_index (t->schema->columns, i);
      JsonNode *node = data != NULL ? json_object_get_member (data, col->name) : NULL;

      if (node != NULL)
        json_object_set_member (record->data, col->name, json_node_copy (node));
      else
        json_object_set_null_member (record->data, col->name);
    }
  return record;
}

static gboolean
audit_add (PgConn      *c,
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
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, user != NULL ? user : "");
  params_add (params, action);
  params_add (params, app);
  params_add (params, table);
  params_add (params, record);
  g_ptr_array_add (params, from_version > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, from_version) : NULL);
  g_ptr_array_add (params, to_version > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, to_version) : NULL);
  params_add (params, detail);
  res = pg_query_params (c,
                         "INSERT INTO audit (\"user\", action, app, \"table\", record, from_version, "
                         "to_version, detail) VALUES ($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8)",
                         params, error);
  return res != NULL;
}

/* Serializes writers of one record, across every server process. */
static gboolean
lock_record (PgConn      *c,
             gint64       space,
             const char  *key,
             GError     **error)
{
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add_int (params, space);
  params_add (params, key);
  res = pg_query_params (c, "SELECT pg_advisory_xact_lock ($1::integer, hashtext ($2))",
                         params, error);
  return res != NULL;
}

/* ------------------------------------------------------------------ */
/* migrate, ping                                                       */
/* ------------------------------------------------------------------ */

static gboolean
op_migrate (NavetteDbPg  *self,
            PgConn       *c,
            gpointer      data,
            GError      **error)
{
  g_auto(GStrv) names = NULL;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(GHashTable) applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GError) local_error = NULL;

  /* Several servers may start at once on one database. */
  if (!pg_exec (c, "SELECT pg_advisory_xact_lock (" MIGRATION_LOCK_KEY ")", error))
    return FALSE;
  if (!pg_exec (c, "CREATE TABLE IF NOT EXISTS navette_schema_migrations ("
                   " name text PRIMARY KEY,"
                   " applied_at timestamptz NOT NULL DEFAULT clock_timestamp ())", error))
    return FALSE;
  res = pg_query (c, "SELECT name FROM navette_schema_migrations", 0, NULL, error);
  if (res == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (res); i++)
    g_hash_table_add (applied, g_strdup (PQgetvalue (res, i, 0)));

  names = g_resources_enumerate_children (MIGRATIONS_PATH, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                          &local_error);
  if (names == NULL)
    {
      g_message ("No PostgreSQL migrations: %s", local_error->message);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_INTERNAL,
                           "The database schema cannot be created");
      return FALSE;
    }
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_has_suffix (names[i], ".sql"))
      g_ptr_array_add (sorted, names[i]);
  g_ptr_array_sort (sorted, navette_db_compare_strings);

  for (guint i = 0; i < sorted->len; i++)
    {
      const char *name = g_ptr_array_index (sorted, i);
      g_autofree char *path = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *sql = NULL;
      g_autoptr(PGresult) done = NULL;
      const char *params[] = { name };
      gsize len;

      if (g_hash_table_contains (applied, name))
        continue;
      path = g_build_path ("/", MIGRATIONS_PATH, name, NULL);
      bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_assert (bytes != NULL);
      sql = g_strndup (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes));
      g_debug ("Applying migration %s", name);
      if (!pg_exec (c, sql, error))
        return FALSE;
      done = pg_query (c, "INSERT INTO navette_schema_migrations (name) VALUES ($1)",
                       1, params, error);
      if (done == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
navette_db_pg_migrate (NavetteDb  *db,
                       GError    **error)
{
  return run_op (NAVETTE_DB_PG (db), OP_READ, op_migrate, NULL, error);
}

static gboolean
op_ping (NavetteDbPg  *self,
         PgConn       *c,
         gpointer      data,
         GError      **error)
{
  g_autoptr(PGresult) res = pg_query (c, "SELECT 1", 0, NULL, error);

  return res != NULL;
}

static gboolean
navette_db_pg_ping (NavetteDb  *db,
                    GError    **error)
{
  return run_op (NAVETTE_DB_PG (db), OP_NO_TX, op_ping, NULL, error);
}

/* ------------------------------------------------------------------ */
/* Users and sessions                                                  */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char    *actor;
  const char    *username;
  const char    *display_name;
  const char    *password_hash;
  gboolean       admin;
  const char    *token_hash;
  gint64         expires_at;
  NavetteDbUser *user;
  GPtrArray     *list;
} UserOp;

#define USER_COLUMNS "u.id, u.username, u.display_name, u.password_hash, u.admin"

static NavetteDbUser *
user_from_row (PGresult *res,
               int       row)
{
  NavetteDbUser *user = g_new0 (NavetteDbUser, 1);

  user->id = get_int (res, row, 0);
  user->username = get_str (res, row, 1);
  user->display_name = get_str (res, row, 2);
  user->password_hash = get_str (res, row, 3);
  user->admin = get_bool (res, row, 4);
  return user;
}

static gboolean
op_user_add (NavetteDbPg  *self,
             PgConn       *c,
             gpointer      data,
             GError      **error)
{
  UserOp *op = data;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, op->username);
  params_add (params, op->display_name != NULL ? op->display_name : op->username);
  params_add (params, op->password_hash);
  params_add_bool (params, op->admin);
  params_add_int (params, g_get_real_time ());
  res = pg_query_params (c,
                         "INSERT INTO users (username, display_name, password_hash, admin, "
                         "created_at, updated_at) VALUES ($1, $2, $3, $4::boolean, $5::bigint, $5::bigint) "
                         "ON CONFLICT (username) DO NOTHING RETURNING id",
                         params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The user “%s” already exists", op->username);
      return FALSE;
    }
  return audit_add (c, op->actor, "user_add", NULL, NULL, NULL, 0, 0, op->username, error);
}

static gboolean
navette_db_pg_user_add (NavetteDb   *db,
                        const char  *actor,
                        const char  *username,
                        const char  *display_name,
                        const char  *password_hash,
                        gboolean     admin,
                        GError     **error)
{
  UserOp op = { .actor = actor, .username = username, .display_name = display_name,
                .password_hash = password_hash, .admin = admin };

  if (username == NULL || *username == '\0' || !g_utf8_validate (username, -1, NULL)
      || password_hash == NULL)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A user needs a name and a password");
      return FALSE;
    }
  return run_op (NAVETTE_DB_PG (db), OP_READ, op_user_add, &op, error);
}

static gboolean
op_user_set_password (NavetteDbPg  *self,
                      PgConn       *c,
                      gpointer      data,
                      GError      **error)
{
  UserOp *op = data;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, op->username);
  params_add (params, op->password_hash);
  params_add_int (params, g_get_real_time ());
  res = pg_query_params (c,
                         "UPDATE users SET password_hash = $2, updated_at = $3::bigint "
                         "WHERE username = $1 RETURNING id",
                         params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return not_found (error, "User");
  return audit_add (c, op->actor, "user_password", NULL, NULL, NULL, 0, 0, op->username, error);
}

static gboolean
navette_db_pg_user_set_password (NavetteDb   *db,
                                 const char  *actor,
                                 const char  *username,
                                 const char  *password_hash,
                                 GError     **error)
{
  UserOp op = { .actor = actor, .username = username, .password_hash = password_hash };

  return run_op (NAVETTE_DB_PG (db), OP_READ, op_user_set_password, &op, error);
}

static gboolean
op_user_get (NavetteDbPg  *self,
             PgConn       *c,
             gpointer      data,
             GError      **error)
{
  UserOp *op = data;
  const char *params[] = { op->username };
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c, "SELECT " USER_COLUMNS " FROM users u WHERE u.username = $1", 1, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return not_found (error, "User");
  g_clear_pointer (&op->user, navette_db_user_free);
  op->user = user_from_row (res, 0);
  return TRUE;
}

static NavetteDbUser *
navette_db_pg_user_get (NavetteDb   *db,
                        const char  *username,
                        GError     **error)
{
  UserOp op = { .username = username };

  return run_op_taking (NAVETTE_DB_PG (db), OP_NO_TX, op_user_get, &op,
                        (gpointer *) &op.user, (GDestroyNotify) navette_db_user_free, error);
}

static gboolean
op_user_list (NavetteDbPg  *self,
              PgConn       *c,
              gpointer      data,
              GError      **error)
{
  UserOp *op = data;
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.username", 0, NULL, error);
  if (res == NULL)
    return FALSE;
  list_rows (&op->list, res, (FromRowFunc) user_from_row, (GDestroyNotify) navette_db_user_free);
  return TRUE;
}

static GPtrArray *
navette_db_pg_user_list (NavetteDb  *db,
                         GError    **error)
{
  UserOp op = { 0 };

  return run_list_op (NAVETTE_DB_PG (db), OP_NO_TX, op_user_list, &op, &op.list, error);
}

static gboolean
op_session_create (NavetteDbPg  *self,
                   PgConn       *c,
                   gpointer      data,
                   GError      **error)
{
  UserOp *op = data;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, op->token_hash);
  params_add (params, op->username);
  params_add_int (params, g_get_real_time ());
  params_add_int (params, op->expires_at);
  res = pg_query_params (c,
                         "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
                         "SELECT $1, id, $3::bigint, $4::bigint FROM users WHERE username = $2 "
                         "RETURNING user_id",
                         params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return not_found (error, "User");
  return TRUE;
}

static gboolean
navette_db_pg_session_create (NavetteDb   *db,
                              const char  *username,
                              const char  *token_hash,
                              gint64       expires_at,
                              GError     **error)
{
  UserOp op = { .username = username, .token_hash = token_hash, .expires_at = expires_at };

  return run_op (NAVETTE_DB_PG (db), OP_NO_TX, op_session_create, &op, error);
}

static gboolean
op_session_lookup (NavetteDbPg  *self,
                   PgConn       *c,
                   gpointer      data,
                   GError      **error)
{
  UserOp *op = data;
  const char *params[] = { op->token_hash };
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c,
                  "SELECT " USER_COLUMNS ", s.expires_at FROM sessions s "
                  "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND NOT s.revoked",
                  1, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED,
                           "Unknown or revoked session");
      return FALSE;
    }
  g_clear_pointer (&op->user, navette_db_user_free);
  op->user = user_from_row (res, 0);
  op->expires_at = get_int (res, 0, 5);
  return TRUE;
}

static NavetteDbUser *
navette_db_pg_session_lookup (NavetteDb   *db,
                              const char  *token_hash,
                              gint64      *expires_at,
                              GError     **error)
{
  UserOp op = { .token_hash = token_hash };

  NavetteDbUser *user;

  user = run_op_taking (NAVETTE_DB_PG (db), OP_NO_TX, op_session_lookup, &op,
                        (gpointer *) &op.user, (GDestroyNotify) navette_db_user_free, error);
  if (user != NULL && expires_at != NULL)
    *expires_at = op.expires_at;
  return user;
}

static gboolean
op_session_revoke (NavetteDbPg  *self,
                   PgConn       *c,
                   gpointer      data,
                   GError      **error)
{
  UserOp *op = data;
  const char *params[] = { op->token_hash };
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c, "UPDATE sessions SET revoked = true WHERE token_hash = $1 RETURNING user_id",
                  1, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_AUTH_REQUIRED,
                           "Unknown session");
      return FALSE;
    }
  return TRUE;
}

static gboolean
navette_db_pg_session_revoke (NavetteDb   *db,
                              const char  *token_hash,
                              GError     **error)
{
  UserOp op = { .token_hash = token_hash };

  return run_op (NAVETTE_DB_PG (db), OP_NO_TX, op_session_revoke, &op, error);
}

/* ------------------------------------------------------------------ */
/* Roles                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *actor;
  const char *username;
  const char *app;
  const char *role;   /* NULL: revoke */
  GHashTable *roles;
} RoleOp;

static gboolean
op_roles_for_user (NavetteDbPg  *self,
                   PgConn       *c,
                   gpointer      data,
                   GError      **error)
{
  RoleOp *op = data;
  const char *params[] = { op->username };
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c,
                  "SELECT app, role FROM role_grants "
                  "WHERE username = $1 AND NOT obsolete AND role IS NOT NULL",
                  1, params, error);
  if (res == NULL)
    return FALSE;
  g_clear_pointer (&op->roles, g_hash_table_unref);
  op->roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (int i = 0; i < PQntuples (res); i++)
    g_hash_table_insert (op->roles, get_str (res, i, 0), get_str (res, i, 1));
  return TRUE;
}

static GHashTable *
navette_db_pg_roles_for_user (NavetteDb   *db,
                              const char  *username,
                              GError     **error)
{
  RoleOp op = { .username = username };

  return run_op_taking (NAVETTE_DB_PG (db), OP_NO_TX, op_roles_for_user, &op,
                        (gpointer *) &op.roles, (GDestroyNotify) g_hash_table_unref, error);
}

static gboolean
op_set_role (NavetteDbPg  *self,
             PgConn       *c,
             gpointer      data,
             GError      **error)
{
  RoleOp *op = data;
  g_autofree char *key = g_strdup_printf ("%s/%s", op->username, op->app);
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;
  g_autoptr(PGresult) current = NULL;
  g_autoptr(PGresult) inserted = NULL;
  g_autofree char *record_id = NULL;
  g_autofree char *previous_role = NULL;
  gint64 version = 0;

  params_add (params, op->username);
  params_add (params, op->app);
  res = pg_query_params (c,
                         "SELECT (SELECT count(*) FROM users WHERE username = $1), "
                         "(SELECT count(*) FROM applications WHERE name = $2)",
                         params, error);
  if (res == NULL)
    return FALSE;
  if (get_int (res, 0, 0) == 0)
    return not_found (error, "User");
  if (get_int (res, 0, 1) == 0)
    return not_found (error, "Application");

  if (!lock_record (c, GRANTS_LOCK_SPACE, key, error))
    return FALSE;
  current = pg_query_params (c,
                             "SELECT record_id::text, version, role FROM role_grants "
                             "WHERE username = $1 AND app = $2 AND NOT obsolete",
                             params, error);
  if (current == NULL)
    return FALSE;

  if (PQntuples (current) > 0)
    {
      const char *old_role = PQgetisnull (current, 0, 2) ? NULL : PQgetvalue (current, 0, 2);
      g_autoptr(GPtrArray) upd = params_new ();
      g_autoptr(PGresult) updated = NULL;

      if (g_strcmp0 (old_role, op->role) == 0)
        {
          if (op->role == NULL)
            return not_found (error, "Role");
          return TRUE;  /* nothing changes: no new version */
        }
      record_id = get_str (current, 0, 0);
      version = get_int (current, 0, 1);
      previous_role = g_strdup (old_role);
      params_add (upd, record_id);
      params_add_int (upd, version);
      updated = pg_query_params (c,
                                 "UPDATE role_grants SET obsolete = true "
                                 "WHERE record_id = $1::uuid AND version = $2::bigint AND NOT obsolete",
                                 upd, error);
      if (updated == NULL)
        return FALSE;
      if (g_strcmp0 (PQcmdTuples (updated), "1") != 0)
        return set_retry (c, error);
    }
  else if (op->role == NULL)
    {
      return not_found (error, "Role");
    }
  else
    {
      record_id = navette_uuid_new ();
    }

  {
    g_autoptr(GPtrArray) ins = params_new ();

    params_add (ins, record_id);
    params_add_int (ins, version + 1);
    params_add_bool (ins, op->role == NULL);
    params_add (ins, op->actor != NULL ? op->actor : "");
    params_add (ins, op->username);
    params_add (ins, op->app);
    params_add (ins, op->role);
    inserted = pg_query_params (c,
                                "INSERT INTO role_grants (record_id, version, archived, updated_by, "
                                "username, app, role) VALUES ($1::uuid, $2::bigint, $3::boolean, $4, "
                                "$5, $6, $7)",
                                ins, error);
    if (inserted == NULL)
      return FALSE;
  }

  {
    /* the same audit entry as SQLite's: the grant's record and versions */
    g_autofree char *detail = op->role != NULL
      ? g_strdup_printf ("%s: %s", op->username, op->role)
      : g_strdup_printf ("%s (was %s)", op->username, previous_role);

    return audit_add (c, op->actor, op->role != NULL ? "grant" : "revoke", op->app, NULL, record_id,
                      version, version + 1, detail, error);
  }
}

static gboolean
navette_db_pg_grant (NavetteDb   *db,
                     const char  *actor,
                     const char  *username,
                     const char  *app,
                     const char  *role,
                     GError     **error)
{
  RoleOp op = { .actor = actor, .username = username, .app = app, .role = role };

  if (g_strcmp0 (role, "reader") != 0 && g_strcmp0 (role, "editor") != 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A role is “reader” or “editor”");
      return FALSE;
    }
  return run_op (NAVETTE_DB_PG (db), OP_READ, op_set_role, &op, error);
}

static gboolean
navette_db_pg_revoke (NavetteDb   *db,
                      const char  *actor,
                      const char  *username,
                      const char  *app,
                      GError     **error)
{
  RoleOp op = { .actor = actor, .username = username, .app = app, .role = NULL };

  return run_op (NAVETTE_DB_PG (db), OP_READ, op_set_role, &op, error);
}

/* ------------------------------------------------------------------ */
/* Applications and table schemas                                      */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char              *actor;
  const char              *app;
  const char              *title;
  const char              *table;
  const NavetteWireTable  *schema;
  const NavetteWireColumn *column;
  GPtrArray               *list;
} SchemaOp;

static NavetteDbApp *
app_from_row (PGresult *res,
              int       row)
{
  NavetteDbApp *app = g_new0 (NavetteDbApp, 1);

  app->name = get_str (res, row, 0);
  app->title = get_str (res, row, 1);
  return app;
}

static gboolean
op_app_list (NavetteDbPg  *self,
             PgConn       *c,
             gpointer      data,
             GError      **error)
{
  SchemaOp *op = data;
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c, "SELECT name, title FROM applications ORDER BY name", 0, NULL, error);
  if (res == NULL)
    return FALSE;
  list_rows (&op->list, res, (FromRowFunc) app_from_row, (GDestroyNotify) navette_db_app_free);
  return TRUE;
}

static GPtrArray *
navette_db_pg_app_list (NavetteDb  *db,
                        GError    **error)
{
  SchemaOp op = { 0 };

  return run_list_op (NAVETTE_DB_PG (db), OP_NO_TX, op_app_list, &op, &op.list, error);
}

static gboolean
op_app_add (NavetteDbPg  *self,
            PgConn       *c,
            gpointer      data,
            GError      **error)
{
  SchemaOp *op = data;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, op->app);
  params_add (params, op->title != NULL ? op->title : op->app);
  params_add_int (params, g_get_real_time ());
  res = pg_query_params (c,
                         "INSERT INTO applications (name, title, created_at) "
                         "VALUES ($1, $2, $3::bigint) ON CONFLICT (name) DO NOTHING RETURNING id",
                         params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The application “%s” already exists", op->app);
      return FALSE;
    }
  return audit_add (c, op->actor, "app_add", op->app, NULL, NULL, 0, 0, op->title, error);
}

static gboolean
navette_db_pg_app_add (NavetteDb   *db,
                       const char  *actor,
                       const char  *name,
                       const char  *title,
                       GError     **error)
{
  SchemaOp op = { .actor = actor, .app = name, .title = title };

  if (!navette_name_is_valid (name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid application name", name != NULL ? name : "");
      return FALSE;
    }
  return run_op (NAVETTE_DB_PG (db), OP_READ, op_app_add, &op, error);
}

static gboolean
op_table_list (NavetteDbPg  *self,
               PgConn       *c,
               gpointer      data,
               GError      **error)
{
  SchemaOp *op = data;
  const char *params[] = { op->app };
  g_autoptr(PGresult) res = NULL;
  NavetteWireTable *current = NULL;
  gint64 current_id = -1;

  res = pg_query (c,
                  "SELECT t.id, t.name, t.title, " COLUMN_COLUMNS
                  "FROM applications a LEFT JOIN content_tables t ON t.app_id = a.id "
                  "LEFT JOIN content_columns c ON c.table_id = t.id "
                  "WHERE a.name = $1 ORDER BY t.id, c.position",
                  1, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return not_found (error, "Application");

  list_reset (&op->list, (GDestroyNotify) navette_wire_table_free);
  for (int i = 0; i < PQntuples (res); i++)
    {
      if (PQgetisnull (res, i, 0))
        continue;
      if (get_int (res, i, 0) != current_id)
        {
          current_id = get_int (res, i, 0);
          current = navette_wire_table_new (PQgetvalue (res, i, 1), PQgetvalue (res, i, 2));
          g_ptr_array_add (op->list, current);
        }
      add_column_from_row (current->columns, res, i);
    }
  return TRUE;
}

static GPtrArray *
navette_db_pg_table_list (NavetteDb   *db,
                          const char  *app,
                          GError     **error)
{
  SchemaOp op = { .app = app };

  if (!navette_name_is_valid (app))
    {
      not_found (error, "Application");
      return NULL;
    }
  return run_list_op (NAVETTE_DB_PG (db), OP_NO_TX, op_table_list, &op, &op.list, error);
}

static gboolean
column_is_acceptable (const NavetteWireColumn  *column,
                      GError                  **error)
{
  if (!navette_name_is_valid (column->name) || g_strv_contains (reserved_columns, column->name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” cannot be the name of a column", column->name != NULL ? column->name : "");
      return FALSE;
    }
  if (column->max_length < 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "The maximum length of “%s” cannot be negative", column->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
insert_column (PgConn                   *c,
               gint64                    table_id,
               int                       position,
               const NavetteWireColumn  *column,
               GError                  **error)
{
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add_int (params, table_id);
  params_add_int (params, position);
  params_add (params, column->name);
  params_add (params, column->title != NULL ? column->title : column->name);
  params_add (params, navette_column_type_to_string (column->type));
  params_add_bool (params, column->required);
  params_add_int (params, column->max_length);
  res = pg_query_params (c,
                         "INSERT INTO content_columns (table_id, position, name, title, type, required, "
                         "max_length) VALUES ($1::bigint, $2::integer, $3, $4, $5, $6::boolean, $7::bigint)",
                         params, error);
  return res != NULL;
}

static gboolean
op_table_add (NavetteDbPg  *self,
              PgConn       *c,
              gpointer      data,
              GError      **error)
{
  SchemaOp *op = data;
  const NavetteWireTable *schema = op->schema;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) app = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GString) ddl = g_string_new (NULL);
  g_autofree char *tlm_name = g_strdup_printf ("%s.%s", op->app, schema->name);
  g_autofree char *tlm_literal = NULL;
  g_autofree char *sql_name = NULL;
  g_autofree char *quoted = NULL;
  gint64 app_id;
  gint64 table_id;

  params_add (params, op->app);
  params_add (params, schema->name);
  app = pg_query_params (c,
                         "SELECT a.id, (SELECT count(*) FROM content_tables t WHERE t.app_id = a.id "
                         "AND t.name = $2) FROM applications a WHERE a.name = $1",
                         params, error);
  if (app == NULL)
    return FALSE;
  if (PQntuples (app) == 0)
    return not_found (error, "Application");
  if (get_int (app, 0, 1) > 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The table “%s” already exists", schema->name);
      return FALSE;
    }
  app_id = get_int (app, 0, 0);

  res = pg_query (c, "SELECT nextval ('content_tables_id_seq')", 0, NULL, error);
  if (res == NULL)
    return FALSE;
  table_id = get_int (res, 0, 0);
  g_clear_pointer (&res, PQclear);
  sql_name = g_strdup_printf ("c_%" G_GINT64_FORMAT, table_id);
  quoted = quote_ident (sql_name);

  {
    g_autoptr(GPtrArray) ins = params_new ();

    params_add_int (ins, table_id);
    params_add_int (ins, app_id);
    params_add (ins, schema->name);
    params_add (ins, schema->title != NULL ? schema->title : schema->name);
    params_add (ins, sql_name);
    params_add_int (ins, g_get_real_time ());
    res = pg_query_params (c,
                           "INSERT INTO content_tables (id, app_id, name, title, sql_name, created_at) "
                           "VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6::bigint)",
                           ins, error);
    if (res == NULL)
      return FALSE;
    g_clear_pointer (&res, PQclear);
  }

  /* The content table: the version columns, then the user's typed
   * columns (names validated, always quoted). */
  g_string_append_printf (ddl,
                          "CREATE TABLE %s ("
                          " record_id uuid NOT NULL DEFAULT gen_random_uuid (),"
                          " version bigint NOT NULL DEFAULT 1 CHECK (version > 0),"
                          " obsolete boolean NOT NULL DEFAULT false,"
                          " archived boolean NOT NULL DEFAULT false,"
                          " updated_at timestamptz NOT NULL DEFAULT clock_timestamp (),"
                          " updated_by text NOT NULL DEFAULT current_user,"
                          " revision bigint NOT NULL",
                          quoted);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *col = g_ptr_array_index (schema->columns, i);
      g_autofree char *col_quoted = quote_ident (col->name);

      g_string_append_printf (ddl, ", %s %s", col_quoted, sql_type (col->type));
      if (!insert_column (c, table_id, i, col, error))
        return FALSE;
    }
  tlm_literal = PQescapeLiteral (c->conn, tlm_name, strlen (tlm_name));
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
                          sql_name, quoted, sql_name, quoted,
                          quoted, tlm_literal, quoted, tlm_literal, tlm_literal);
  if (!pg_exec (c, ddl->str, error))
    return FALSE;

  return audit_add (c, op->actor, "table_add", op->app, schema->name, NULL, 0, 0,
                    schema->title, error);
}

static gboolean
navette_db_pg_table_add (NavetteDb               *db,
                         const char              *actor,
                         const char              *app,
                         const NavetteWireTable  *table,
                         GError                 **error)
{
  SchemaOp op = { .actor = actor, .app = app, .schema = table };

  if (!navette_name_is_valid (table->name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid table name", table->name != NULL ? table->name : "");
      return FALSE;
    }
  for (guint i = 0; i < table->columns->len; i++)
    {
      const NavetteWireColumn *col = g_ptr_array_index (table->columns, i);

      if (!column_is_acceptable (col, error))
        return FALSE;
      for (guint j = 0; j < i; j++)
        {
          const NavetteWireColumn *other = g_ptr_array_index (table->columns, j);

          if (g_strcmp0 (other->name, col->name) == 0)
            {
              g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The column “%s” is given twice", col->name);
              return FALSE;
            }
        }
    }
  if (!navette_name_is_valid (app))
    return not_found (error, "Application");
  return run_op (NAVETTE_DB_PG (db), OP_READ, op_table_add, &op, error);
}

static gboolean
op_column_add (NavetteDbPg  *self,
               PgConn       *c,
               gpointer      data,
               GError      **error)
{
  SchemaOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *col_quoted = NULL;

  t = load_table (c, op->app, op->table, error);
  if (t == NULL)
    return FALSE;
  if (navette_wire_table_lookup_column (t->schema, op->column->name) != NULL)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                   "The column “%s” already exists", op->column->name);
      return FALSE;
    }
  if (op->column->required)
    {
      g_autofree char *count_sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s)", t->sql_name);

      res = pg_query (c, count_sql, 0, NULL, error);
      if (res == NULL)
        return FALSE;
      if (get_bool (res, 0, 0))
        {
          g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                       "A required column cannot be added to a table that has records");
          return FALSE;
        }
      g_clear_pointer (&res, PQclear);
    }

  {
    g_autoptr(GPtrArray) params = params_new ();

    params_add_int (params, t->id);
    res = pg_query_params (c,
                           "SELECT COALESCE (max (position), -1) + 1 FROM content_columns "
                           "WHERE table_id = $1::bigint",
                           params, error);
    if (res == NULL)
      return FALSE;
  }
  if (!insert_column (c, t->id, (int) get_int (res, 0, 0), op->column, error))
    return FALSE;

  col_quoted = quote_ident (op->column->name);
  sql = g_strdup_printf ("ALTER TABLE %s ADD COLUMN %s %s", t->sql_name, col_quoted,
                         sql_type (op->column->type));
  if (!pg_exec (c, sql, error))
    return FALSE;
  return audit_add (c, op->actor, "column_add", op->app, op->table, NULL, 0, 0,
                    op->column->name, error);
}

static gboolean
navette_db_pg_column_add (NavetteDb                *db,
                          const char               *actor,
                          const char               *app,
                          const char               *table,
                          const NavetteWireColumn  *column,
                          GError                  **error)
{
  SchemaOp op = { .actor = actor, .app = app, .table = table, .column = column };

  if (!column_is_acceptable (column, error))
    return FALSE;
  return run_op (NAVETTE_DB_PG (db), OP_READ, op_column_add, &op, error);
}

/* ------------------------------------------------------------------ */
/* The light check                                                     */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char          *app;
  const char          *table;
  NavetteDbTableState *out;
  GPtrArray           *list;
} StateOp;

#define STATE_COLUMNS \
  "m.revision, (extract (epoch FROM m.last_update) * 1000000)::bigint"

static gboolean
op_table_state (NavetteDbPg  *self,
                PgConn       *c,
                gpointer      data,
                GError      **error)
{
  StateOp *op = data;
  const char *params[] = { op->app, op->table };
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c,
                  "SELECT " STATE_COLUMNS " FROM applications a "
                  "JOIN content_tables t ON t.app_id = a.id "
                  "LEFT JOIN table_last_modifications m ON m.table_name = a.name || '.' || t.name "
                  "WHERE a.name = $1 AND t.name = $2",
                  2, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return not_found (error, "Table");
  g_free (op->out->table);
  op->out->table = g_strdup (op->table);
  op->out->revision = get_int (res, 0, 0);
  op->out->last_update = get_int (res, 0, 1);
  return TRUE;
}

static gboolean
navette_db_pg_table_state (NavetteDb            *db,
                           const char           *app,
                           const char           *table,
                           NavetteDbTableState  *out,
                           GError              **error)
{
  StateOp op = { .app = app, .table = table, .out = out };

  if (!navette_name_is_valid (app) || !navette_name_is_valid (table))
    return not_found (error, "Table");
  return run_op (NAVETTE_DB_PG (db), OP_NO_TX, op_table_state, &op, error);
}

static gboolean
op_app_state (NavetteDbPg  *self,
              PgConn       *c,
              gpointer      data,
              GError      **error)
{
  StateOp *op = data;
  const char *params[] = { op->app };
  g_autoptr(PGresult) res = NULL;

  res = pg_query (c,
                  "SELECT t.name, " STATE_COLUMNS " FROM applications a "
                  "LEFT JOIN content_tables t ON t.app_id = a.id "
                  "LEFT JOIN table_last_modifications m ON m.table_name = a.name || '.' || t.name "
                  "WHERE a.name = $1 ORDER BY t.name",
                  1, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return not_found (error, "Application");
  list_reset (&op->list, (GDestroyNotify) navette_db_table_state_free);
  for (int i = 0; i < PQntuples (res); i++)
    {
      NavetteDbTableState *state;

      if (PQgetisnull (res, i, 0))
        continue;
      state = g_new0 (NavetteDbTableState, 1);
      state->table = get_str (res, i, 0);
      state->revision = get_int (res, i, 1);
      state->last_update = get_int (res, i, 2);
      g_ptr_array_add (op->list, state);
    }
  return TRUE;
}

static GPtrArray *
navette_db_pg_app_state (NavetteDb   *db,
                         const char  *app,
                         GError     **error)
{
  StateOp op = { .app = app };

  if (!navette_name_is_valid (app))
    {
      not_found (error, "Application");
      return NULL;
    }
  return run_list_op (NAVETTE_DB_PG (db), OP_NO_TX, op_app_state, &op, &op.list, error);
}

/* ------------------------------------------------------------------ */
/* Records: reading                                                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char                 *app;
  const char                 *table;
  const char                 *id;
  gint64                      since;
  gint64                      version;
  gint64                      base_version;
  JsonObject                 *data;
  int                         archived;
  const char                 *user;
  const NavetteDbIdempotency *idem;
  NavetteDbValidateFunc       validate;
  gpointer                    validate_data;
  NavetteDbTableState        *state;
  GPtrArray                  *list;
  NavetteWireRecord          *record;
  NavetteDbWriteResult       *result;
} RecordOp;

static void
record_op_clear (RecordOp *op)
{
  g_clear_pointer (&op->list, g_ptr_array_unref);
  g_clear_pointer (&op->record, navette_wire_record_unref);
  g_clear_pointer (&op->result, navette_db_write_result_free);
}

/* run_op() for a RecordOp: returns what it left in *@out, a field of
 * @op, or NULL when it failed; @op is cleared either way. */
static gpointer
run_record_op (NavetteDbPg  *self,
               OpFlags       flags,
               OpFunc        func,
               RecordOp     *op,
               gpointer     *out,
               GError      **error)
{
  gpointer value = NULL;

  if (run_op (self, flags, func, op, error))
    value = g_steal_pointer (out);
  record_op_clear (op);
  return value;
}

/* Loads the table @app.@table into *@t, reads its row of
 * table_last_modifications into *@state, and selects its current rows
 * (those past revision @since when @since >= 0) in select_prefix()
 * form. In a REPEATABLE READ snapshot, the revision read covers exactly
 * the rows selected. */
static PGresult *
select_current_rows (PgConn      *c,
                     const char  *app,
                     const char  *table,
                     gint64       since,
                     PgTable    **t,
                     PGresult   **state,
                     GError     **error)
{
  g_autofree char *prefix = NULL;
  g_autofree char *sql = NULL;
  const char *params[1];

  *t = load_table (c, app, table, error);
  if (*t == NULL)
    return NULL;

  params[0] = (*t)->tlm_name;
  *state = pg_query (c,
                     "SELECT revision, (extract (epoch FROM last_update) * 1000000)::bigint "
                     "FROM table_last_modifications WHERE table_name = $1",
                     1, params, error);
  if (*state == NULL)
    return NULL;

  prefix = select_prefix (*t);
  if (since >= 0)
    {
      g_autofree char *since_text = g_strdup_printf ("%" G_GINT64_FORMAT, since);

      sql = g_strconcat (prefix, "WHERE NOT obsolete AND revision > $1::bigint "
                         "ORDER BY revision, record_id", NULL);
      params[0] = since_text;
      return pg_query (c, sql, 1, params, error);
    }
  sql = g_strconcat (prefix, "WHERE NOT obsolete ORDER BY revision, record_id", NULL);
  return pg_query (c, sql, 0, NULL, error);
}

/* Fills @out (when not NULL) from the @state select_current_rows() read. */
static void
set_list_state (NavetteDbTableState *out,
                const char          *table,
                PGresult            *state)
{
  if (out == NULL)
    return;
  g_free (out->table);
  out->table = g_strdup (table);
  out->revision = PQntuples (state) > 0 ? get_int (state, 0, 0) : 0;
  out->last_update = PQntuples (state) > 0 ? get_int (state, 0, 1) : 0;
}

static gboolean
op_record_list (NavetteDbPg  *self,
                PgConn       *c,
                gpointer      data,
                GError      **error)
{
  RecordOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(PGresult) state = NULL;
  g_autoptr(PGresult) res = NULL;

  res = select_current_rows (c, op->app, op->table, op->since, &t, &state, error);
  if (res == NULL)
    return FALSE;

  list_records (&op->list, t, res);
  set_list_state (op->state, op->table, state);
  return TRUE;
}

static GPtrArray *
navette_db_pg_record_list (NavetteDb            *db,
                           const char           *app,
                           const char           *table,
                           gint64                since,
                           NavetteDbTableState  *state,
                           GError              **error)
{
  RecordOp op = { .app = app, .table = table, .since = since, .state = state };

  return run_record_op (NAVETTE_DB_PG (db), OP_SNAPSHOT, op_record_list, &op,
                        (gpointer *) &op.list, error);
}

/* A text field as navette_json_append_string writes the string (or null). */
static void
append_text_field (GString  *out,
                   PGresult *res,
                   int       row,
                   int       col)
{
  navette_json_append_string (out, PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col));
}

/* One row of select_prefix() as navette_wire_record_append_json writes
 * the record record_from_row makes of it (without "obsolete"). */
static void
append_row_json (PgTable  *t,
                 PGresult *res,
                 int       row,
                 GString  *out)
{
  g_autofree char *updated_at = navette_time_format (get_int (res, row, 4));

  g_string_append (out, "{\"id\":");
  append_text_field (out, res, row, 0);
  g_string_append_printf (out, ",\"version\":%" G_GINT64_FORMAT ",\"revision\":%" G_GINT64_FORMAT
                          ",\"data\":{", get_int (res, row, 1), get_int (res, row, 2));
  for (guint i = 0; i < t->schema->columns->len; i++)
    {
      NavetteWireColumn *col = g_ptr_array_index (t->schema->columns, i);
      int field = N_SYSTEM_COLUMNS + i;
      const char *value;

      if (i > 0)
        g_string_append_c (out, ',');
      navette_json_append_string (out, col->name);
      g_string_append_c (out, ':');
      if (PQgetisnull (res, row, field))
        {
          g_string_append (out, "null");
          continue;
        }
      value = PQgetvalue (res, row, field);
      switch (col->type)
        {
        case NAVETTE_COLUMN_INTEGER:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, g_ascii_strtoll (value, NULL, 10));
          break;
        case NAVETTE_COLUMN_REAL:
          navette_json_append_double (out, g_ascii_strtod (value, NULL));
          break;
        case NAVETTE_COLUMN_BOOLEAN:
          g_string_append (out, value[0] == 't' ? "true" : "false");
          break;
        case NAVETTE_COLUMN_TEXT:
        case NAVETTE_COLUMN_DATE:
        default:
          navette_json_append_string (out, value);
          break;
        }
    }
  g_string_append (out, get_bool (res, row, 3) ? "},\"archived\":true" : "},\"archived\":false");
  g_string_append (out, ",\"updated_at\":");
  navette_json_append_string (out, updated_at);
  g_string_append (out, ",\"updated_by\":");
  append_text_field (out, res, row, 5);
  g_string_append_c (out, '}');
}

typedef struct
{
  const char          *app;
  const char          *table;
  gint64               since;
  NavetteDbTableState *state;
  GString             *out;
  gsize                start;   /* out->len before the first attempt */
} ListJsonOp;

/* op_record_list's query, written as JSON text from the result rows. */
static gboolean
op_record_list_json (NavetteDbPg  *self,
                     PgConn       *c,
                     gpointer      data,
                     GError      **error)
{
  ListJsonOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(PGresult) state = NULL;
  g_autoptr(PGresult) res = NULL;

  /* A retried attempt starts over. */
  g_string_truncate (op->out, op->start);

  res = select_current_rows (c, op->app, op->table, op->since, &t, &state, error);
  if (res == NULL)
    return FALSE;

  g_string_append_c (op->out, '[');
  for (int i = 0; i < PQntuples (res); i++)
    {
      if (i > 0)
        g_string_append_c (op->out, ',');
      append_row_json (t, res, i, op->out);
    }
  g_string_append_c (op->out, ']');
  set_list_state (op->state, op->table, state);
  return TRUE;
}

static gboolean
navette_db_pg_record_list_json (NavetteDb            *db,
                                const char           *app,
                                const char           *table,
                                gint64                since,
                                NavetteDbTableState  *state,
                                GString              *out,
                                GError              **error)
{
  ListJsonOp op = { .app = app, .table = table, .since = since, .state = state,
                    .out = out, .start = out->len };

  return run_op (NAVETTE_DB_PG (db), OP_SNAPSHOT, op_record_list_json, &op, error);
}

/* Loads the table of @op into *@t and selects the rows of the record
 * op->id that match @where ("WHERE record_id = $1::uuid …"): NOT_FOUND
 * when there are none. */
static PGresult *
select_record_rows (PgConn      *c,
                    RecordOp    *op,
                    const char  *where,
                    PgTable    **t,
                    GError     **error)
{
  g_autoptr(PGresult) res = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *sql = NULL;
  const char *params[] = { op->id };

  *t = load_table (c, op->app, op->table, error);
  if (*t == NULL)
    return NULL;
  if (!navette_uuid_is_valid (op->id))
    {
      not_found (error, "Record");
      return NULL;
    }
  prefix = select_prefix (*t);
  sql = g_strconcat (prefix, where, NULL);
  res = pg_query (c, sql, 1, params, error);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) == 0)
    {
      not_found (error, "Record");
      return NULL;
    }
  return g_steal_pointer (&res);
}

static gboolean
op_record_get (NavetteDbPg  *self,
               PgConn       *c,
               gpointer      data,
               GError      **error)
{
  RecordOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(PGresult) res = NULL;

  res = select_record_rows (c, op, "WHERE record_id = $1::uuid AND NOT obsolete", &t, error);
  if (res == NULL)
    return FALSE;
  g_clear_pointer (&op->record, navette_wire_record_unref);
  op->record = record_from_row (t, res, 0);
  return TRUE;
}

static NavetteWireRecord *
navette_db_pg_record_get (NavetteDb   *db,
                          const char  *app,
                          const char  *table,
                          const char  *id,
                          GError     **error)
{
  RecordOp op = { .app = app, .table = table, .id = id };

  return run_record_op (NAVETTE_DB_PG (db), OP_SNAPSHOT, op_record_get, &op,
                        (gpointer *) &op.record, error);
}

static gboolean
op_record_versions (NavetteDbPg  *self,
                    PgConn       *c,
                    gpointer      data,
                    GError      **error)
{
  RecordOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(PGresult) res = NULL;

  res = select_record_rows (c, op, "WHERE record_id = $1::uuid ORDER BY version DESC", &t,
                            error);
  if (res == NULL)
    return FALSE;
  list_records (&op->list, t, res);
  return TRUE;
}

static GPtrArray *
navette_db_pg_record_versions (NavetteDb   *db,
                               const char  *app,
                               const char  *table,
                               const char  *id,
                               GError     **error)
{
  RecordOp op = { .app = app, .table = table, .id = id };

  return run_record_op (NAVETTE_DB_PG (db), OP_SNAPSHOT, op_record_versions, &op,
                        (gpointer *) &op.list, error);
}

/* ------------------------------------------------------------------ */
/* Records: writing                                                    */
/* ------------------------------------------------------------------ */

static NavetteDbWriteResult *
write_result_new (NavetteWireRecord *record,
                  gboolean           created,
                  gboolean           replayed)
{
  NavetteDbWriteResult *result = g_new0 (NavetteDbWriteResult, 1);

  result->record = record;
  result->created = created;
  result->replayed = replayed;
  return result;
}

/* Reads one version of a record (any, obsolete or not). */
static NavetteWireRecord *
fetch_version (PgConn      *c,
               PgTable     *t,
               const char  *id,
               gint64       version,
               GError     **error)
{
  g_autofree char *prefix = select_prefix (t);
  g_autofree char *sql = NULL;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, id);
  if (version > 0)
    {
      params_add_int (params, version);
      sql = g_strconcat (prefix, "WHERE record_id = $1::uuid AND version = $2::bigint", NULL);
    }
  else
    {
      sql = g_strconcat (prefix, "WHERE record_id = $1::uuid AND NOT obsolete", NULL);
    }
  res = pg_query_params (c, sql, params, error);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) == 0)
    {
      not_found (error, version > 0 ? "Version" : "Record");
      return NULL;
    }
  return record_from_row (t, res, 0);
}

/* Looks the idempotency key up. Returns TRUE when the caller can go on:
 * with op->result set, the request is a replay and is answered from it. */
static gboolean
idempotency_check (PgConn    *c,
                   PgTable   *t,
                   RecordOp  *op,
                   GError   **error)
{
  const char *params[] = { op->user, op->idem->key };
  g_autoptr(PGresult) res = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;
  const char *hash = op->idem->request_hash != NULL ? op->idem->request_hash : "";

  res = pg_query (c,
                  "SELECT request_hash, app, \"table\", record_id::text, version, created, superseded "
                  "FROM idempotency_keys WHERE username = $1 AND key = $2",
                  2, params, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return TRUE;
  if (strcmp (PQgetvalue (res, 0, 0), hash) != 0
      || strcmp (PQgetvalue (res, 0, 1), t->app) != 0
      || strcmp (PQgetvalue (res, 0, 2), t->schema->name) != 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                           "This idempotency key was used for another request");
      return FALSE;
    }
  record = fetch_version (c, t, PQgetvalue (res, 0, 3), get_int (res, 0, 4), error);
  if (record == NULL)
    return FALSE;
  g_clear_pointer (&op->result, navette_db_write_result_free);
  op->result = write_result_new (g_steal_pointer (&record), get_bool (res, 0, 5), TRUE);
  op->result->superseded =
    navette_db_superseded_from_string (PQgetisnull (res, 0, 6) ? NULL : PQgetvalue (res, 0, 6));
  return TRUE;
}

static gboolean
idempotency_store (PgConn                  *c,
                   PgTable                 *t,
                   RecordOp                *op,
                   const NavetteWireRecord *record,
                   gboolean                 created,
                   GArray                  *superseded,
                   GError                 **error)
{
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  if (op->idem == NULL || op->idem->key == NULL)
    return TRUE;
  params_add (params, op->user);
  params_add (params, op->idem->key);
  params_add (params, op->idem->request_hash != NULL ? op->idem->request_hash : "");
  params_add (params, t->app);
  params_add (params, t->schema->name);
  params_add (params, record->id);
  params_add_int (params, record->version);
  params_add_bool (params, created);
  g_ptr_array_add (params, navette_db_superseded_to_string (superseded));
  params_add_int (params, g_get_real_time ());
  /* A concurrent request with the same key makes this a unique
   * violation: the transaction is retried and becomes a replay. */
  res = pg_query_params (c,
                         "INSERT INTO idempotency_keys (username, key, request_hash, app, \"table\", "
                         "record_id, version, created, superseded, created_at) VALUES ($1, $2, $3, "
                         "$4, $5, $6::uuid, $7::bigint, $8::boolean, $9, $10::bigint)",
                         params, error);
  return res != NULL;
}

/* Reads the current version of a record after its lock is held. */
static gboolean
fetch_current (PgConn             *c,
               PgTable            *t,
               const char         *id,
               NavetteWireRecord **out,
               GError            **error)
{
  g_autoptr(GError) local_error = NULL;

  *out = fetch_version (c, t, id, 0, &local_error);
  if (*out != NULL)
    return TRUE;
  if (g_error_matches (local_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
mark_obsolete (PgConn                  *c,
               PgTable                 *t,
               const NavetteWireRecord *current,
               GError                 **error)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET obsolete = true WHERE record_id = $1::uuid "
                                          "AND version = $2::bigint AND NOT obsolete", t->sql_name);
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, current->id);
  params_add_int (params, current->version);
  res = pg_query_params (c, sql, params, error);
  if (res == NULL)
    return FALSE;
  /* Someone outside the server (plain SQL) got there first. */
  if (g_strcmp0 (PQcmdTuples (res), "1") != 0)
    return set_retry (c, error);
  return TRUE;
}

/* The start of every record write: loads the table into *@t and answers
 * a replay of op->idem (op->result set, nothing else done), or else takes
 * the lock of the record and reads its current version into *@current
 * (NULL when there is none). */
static gboolean
begin_record_write (PgConn             *c,
                    RecordOp           *op,
                    PgTable           **t,
                    NavetteWireRecord **current,
                    GError            **error)
{
  g_clear_pointer (&op->result, navette_db_write_result_free);
  *t = load_table (c, op->app, op->table, error);
  if (*t == NULL)
    return FALSE;
  if (!navette_uuid_is_valid (op->id))
    return not_found (error, "Record");
  if (op->idem != NULL && op->idem->key != NULL)
    {
      if (!idempotency_check (c, *t, op, error))
        return FALSE;
      if (op->result != NULL)
        return TRUE;
    }

  return lock_record (c, (*t)->id, op->id, error)
      && fetch_current (c, *t, op->id, current, error);
}

/* Inserts version 1 of the new record @id and audits its creation. */
static NavetteWireRecord *
insert_created (PgConn      *c,
                PgTable     *t,
                const char  *id,
                JsonObject  *data,
                const char  *user,
                GError     **error)
{
  g_autoptr(NavetteWireRecord) record = NULL;

  record = insert_version (c, t, id, 1, data, FALSE, user, error);
  if (record == NULL)
    return NULL;
  if (!audit_add (c, user, "create", t->app, t->schema->name, id, 0, 1, NULL, error))
    return NULL;
  return g_steal_pointer (&record);
}

/* Writes version current + 1 of op->id with @data and @archived, marking
 * @current obsolete first; audits it as @action with @detail, stores
 * op->idem, and leaves the answer in op->result, with @superseded (taken). */
static gboolean
write_next_version (PgConn                  *c,
                    PgTable                 *t,
                    RecordOp                *op,
                    const NavetteWireRecord *current,
                    JsonObject              *data,
                    gboolean                 archived,
                    const char              *action,
                    const char              *detail,
                    GArray                  *superseded,
                    GError                 **error)
{
  g_autoptr(GArray) owned_superseded = superseded;
  g_autoptr(NavetteWireRecord) record = NULL;

  if (!mark_obsolete (c, t, current, error))
    return FALSE;
  record = insert_version (c, t, op->id, current->version + 1, data, archived, op->user, error);
  if (record == NULL)
    return FALSE;
  if (!audit_add (c, op->user, action, t->app, t->schema->name, op->id,
                  current->version, record->version, detail, error))
    return FALSE;
  if (!idempotency_store (c, t, op, record, FALSE, owned_superseded, error))
    return FALSE;
  op->result = write_result_new (g_steal_pointer (&record), FALSE, FALSE);
  op->result->superseded = g_steal_pointer (&owned_superseded);
  return TRUE;
}

static gboolean
op_record_create (NavetteDbPg  *self,
                  PgConn       *c,
                  gpointer      data,
                  GError      **error)
{
  RecordOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(NavetteWireRecord) record = NULL;

  if (!begin_record_write (c, op, &t, &current, error))
    return FALSE;
  if (op->result != NULL)
    return TRUE;
  if (current != NULL)
    {
      /* a replay of the create: the same data as it created (version 1),
       * whatever was written since */
      g_autoptr(NavetteWireRecord) first = current->version == 1 ? NULL
                                           : fetch_version (c, t, op->id, 1, error);

      if (current->version != 1 && first == NULL)
        return FALSE;
      if (!data_equal (t, (first != NULL ? first : current)->data, op->data))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                               "A record with this id exists with other data");
          return FALSE;
        }
      if (!idempotency_store (c, t, op, current, FALSE, NULL, error))
        return FALSE;
      op->result = write_result_new (g_steal_pointer (&current), FALSE, FALSE);
      return TRUE;
    }

  record = insert_created (c, t, op->id, op->data, op->user, error);
  if (record == NULL)
    return FALSE;
  if (!idempotency_store (c, t, op, record, TRUE, NULL, error))
    return FALSE;
  op->result = write_result_new (g_steal_pointer (&record), TRUE, FALSE);
  return TRUE;
}

static NavetteDbWriteResult *
navette_db_pg_record_create (NavetteDb                   *db,
                             const char                  *app,
                             const char                  *table,
                             const char                  *id,
                             JsonObject                  *data,
                             const char                  *user,
                             const NavetteDbIdempotency  *idem,
                             GError                     **error)
{
  g_autofree char *new_id = NULL;
  RecordOp op = { .app = app, .table = table, .id = id, .data = data, .user = user, .idem = idem };

  if (id == NULL)
    op.id = new_id = navette_uuid_new ();
  else if (!navette_uuid_is_valid (id))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "A record id is a UUID");
      return NULL;
    }
  return run_record_op (NAVETTE_DB_PG (db), OP_READ, op_record_create, &op,
                        (gpointer *) &op.result, error);
}

static gboolean
op_record_update (NavetteDbPg  *self,
                  PgConn       *c,
                  gpointer      data,
                  GError      **error)
{
  RecordOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(JsonObject) merged = NULL;
  gboolean archived;
  const char *action;

  if (!begin_record_write (c, op, &t, &current, error))
    return FALSE;
  if (op->result != NULL)
    return TRUE;
  if (current == NULL)
    return not_found (error, "Record");
  if (!navette_db_check_base_version (op->base_version, current->version, error))
    return FALSE;

  merged = navette_db_update_data (t->schema, current, op->data, op->archived, op->validate,
                                   op->validate_data, &archived, &action, error);
  if (merged == NULL)
    return FALSE;
  return write_next_version (c, t, op, current, merged, archived, action, NULL,
                             navette_db_superseded_versions (op->base_version, current->version),
                             error);
}

static NavetteDbWriteResult *
navette_db_pg_record_update (NavetteDb                   *db,
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
  RecordOp op = { .app = app, .table = table, .id = id, .base_version = base_version,
                  .data = data, .archived = archived, .user = user, .idem = idem,
                  .validate = validate, .validate_data = validate_data };

  return run_record_op (NAVETTE_DB_PG (db), OP_READ, op_record_update, &op,
                        (gpointer *) &op.result, error);
}

static gboolean
op_record_revert (NavetteDbPg  *self,
                  PgConn       *c,
                  gpointer      data,
                  GError      **error)
{
  RecordOp *op = data;
  g_autoptr(PgTable) t = NULL;
  g_autoptr(NavetteWireRecord) current = NULL;
  g_autoptr(NavetteWireRecord) target = NULL;
  g_autofree char *detail = NULL;

  if (!begin_record_write (c, op, &t, &current, error))
    return FALSE;
  if (op->result != NULL)
    return TRUE;
  if (current == NULL)
    return not_found (error, "Record");
  if (op->version <= 0 || op->version > current->version)
    return not_found (error, "Version");
  target = fetch_version (c, t, op->id, op->version, error);
  if (target == NULL)
    return FALSE;

  detail = g_strdup_printf ("version %" G_GINT64_FORMAT, op->version);
  return write_next_version (c, t, op, current, target->data, target->archived, "revert",
                             detail, NULL, error);
}

static NavetteDbWriteResult *
navette_db_pg_record_revert (NavetteDb                   *db,
                             const char                  *app,
                             const char                  *table,
                             const char                  *id,
                             gint64                       version,
                             const char                  *user,
                             const NavetteDbIdempotency  *idem,
                             GError                     **error)
{
  RecordOp op = { .app = app, .table = table, .id = id, .version = version, .user = user,
                  .idem = idem };

  return run_record_op (NAVETTE_DB_PG (db), OP_READ, op_record_revert, &op,
                        (gpointer *) &op.result, error);
}

typedef struct
{
  const char *app;
  const char *table;
  GPtrArray  *data;
  const char *user;
} ManyOp;

static gboolean
op_record_create_many (NavetteDbPg  *self,
                       PgConn       *c,
                       gpointer      data,
                       GError      **error)
{
  ManyOp *op = data;
  g_autoptr(PgTable) t = load_table (c, op->app, op->table, error);

  if (t == NULL)
    return FALSE;
  for (guint i = 0; i < op->data->len; i++)
    {
      g_autofree char *id = navette_uuid_new ();
      g_autoptr(NavetteWireRecord) record = NULL;

      record = insert_created (c, t, id, g_ptr_array_index (op->data, i), op->user, error);
      if (record == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
navette_db_pg_record_create_many (NavetteDb   *db,
                                  const char  *app,
                                  const char  *table,
                                  GPtrArray   *data,
                                  const char  *user,
                                  GError     **error)
{
  ManyOp op = { .app = app, .table = table, .data = data, .user = user };

  return run_op (NAVETTE_DB_PG (db), OP_READ, op_record_create_many, &op, error);
}

/* ------------------------------------------------------------------ */
/* Audit and purge                                                     */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *app;
  gint64      after;
  guint       limit;
  gint64      older_than;
  GPtrArray  *list;
} AuditOp;

static NavetteDbAuditEntry *
audit_entry_from_row (PGresult *res,
                      int       row)
{
  NavetteDbAuditEntry *entry = g_new0 (NavetteDbAuditEntry, 1);

  entry->id = get_int (res, row, 0);
  entry->at = get_int (res, row, 1);
  entry->user = get_str (res, row, 2);
  entry->action = get_str (res, row, 3);
  entry->app = get_str (res, row, 4);
  entry->table = get_str (res, row, 5);
  entry->record = get_str (res, row, 6);
  entry->from_version = get_int (res, row, 7);
  entry->to_version = get_int (res, row, 8);
  entry->detail = get_str (res, row, 9);
  return entry;
}

static gboolean
op_audit_list (NavetteDbPg  *self,
               PgConn       *c,
               gpointer      data,
               GError      **error)
{
  AuditOp *op = data;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) res = NULL;

  params_add (params, op->app);
  params_add_int (params, op->after);
  params_add_int (params, op->limit);
  res = pg_query_params (c,
                         "SELECT id, at, \"user\", action, app, \"table\", record, from_version, "
                         "to_version, detail FROM audit "
                         "WHERE ($1::text IS NULL OR app = $1) AND id > $2::bigint "
                         "ORDER BY id LIMIT $3::bigint",
                         params, error);
  if (res == NULL)
    return FALSE;
  list_rows (&op->list, res, (FromRowFunc) audit_entry_from_row,
             (GDestroyNotify) navette_db_audit_entry_free);
  return TRUE;
}

static GPtrArray *
navette_db_pg_audit_list (NavetteDb   *db,
                          const char  *app,
                          gint64       after,
                          guint        limit,
                          GError     **error)
{
  AuditOp op = { .app = app, .after = after, .limit = limit };

  return run_list_op (NAVETTE_DB_PG (db), OP_NO_TX, op_audit_list, &op, &op.list, error);
}

static gboolean
op_purge (NavetteDbPg  *self,
          PgConn       *c,
          gpointer      data,
          GError      **error)
{
  AuditOp *op = data;
  g_autoptr(GPtrArray) params = params_new ();
  g_autoptr(PGresult) keys = NULL;
  g_autoptr(PGresult) sessions = NULL;

  params_add_int (params, op->older_than);
  keys = pg_query_params (c, "DELETE FROM idempotency_keys WHERE created_at < $1::bigint",
                          params, error);
  if (keys == NULL)
    return FALSE;
  g_ptr_array_set_size (params, 0);
  params_add_int (params, g_get_real_time ());
  sessions = pg_query_params (c, "DELETE FROM sessions WHERE expires_at < $1::bigint",
                              params, error);
  return sessions != NULL;
}

static gboolean
navette_db_pg_purge (NavetteDb  *db,
                     gint64      older_than,
                     GError    **error)
{
  AuditOp op = { .older_than = older_than };

  return run_op (NAVETTE_DB_PG (db), OP_READ, op_purge, &op, error);
}

/* ------------------------------------------------------------------ */
/* Change notifications (LISTEN navette_changes)                       */
/* ------------------------------------------------------------------ */

static void
emit_changed (NavetteDbPg *self,
              const char  *table_name)
{
  const char *dot = table_name != NULL ? strchr (table_name, '.') : NULL;
  g_autofree char *app = NULL;

  if (table_name == NULL)
    {
      g_signal_emit (self, signals[TABLE_CHANGED], 0, NULL, NULL);
      return;
    }
  if (dot == NULL)
    return;
  app = g_strndup (table_name, dot - table_name);
  g_signal_emit (self, signals[TABLE_CHANGED], 0, app, dot + 1);
}

/* The watch runs on the main context that called
 * navette_db_pg_watch_changes(): its connection is non-blocking and read
 * by a source there, so a light check waiting for a round trip is answered
 * without any thread hop. Only connecting (which blocks, up to
 * connect_timeout) is done in a thread. */

/* navette_db_pg_sync_changes(): a round trip with no answer after this
 * long fails, and the watch connects again. */
#define SYNC_TIMEOUT_MS 2000
#define WATCH_CHECK_MS 500

typedef struct
{
  NavetteDbPgSyncFunc  func;
  gpointer             user_data;
} SyncCall;

/* A round trip that is out: the call it answers, and when it was sent. */
typedef struct
{
  SyncCall call;
  gint64   sent_at;
} SyncOut;

static gboolean
sync_failure_cb (gpointer data)
{
  SyncCall *call = data;

  call->func (FALSE, call->user_data);
  return G_SOURCE_REMOVE;
}

/* @func is told FALSE from an idle of @context, never from within the
 * call that asked. */
static void
sync_fail_later (GMainContext        *context,
                 NavetteDbPgSyncFunc  func,
                 gpointer             user_data)
{
  g_autoptr(GSource) source = g_idle_source_new ();
  SyncCall *call = g_new0 (SyncCall, 1);

  call->func = func;
  call->user_data = user_data;
  g_source_set_callback (source, sync_failure_cb, call, g_free);
  g_source_set_static_name (source, "[navette] round trip failed");
  g_source_attach (source, context);
}

static void watch_connect_start (NavetteDbPg *self);

/* Fails every round trip that is out. */
static void
watch_fail_all (NavetteDbPg *self)
{
  SyncOut *out;

  while ((out = g_queue_pop_head (&self->watch_out)) != NULL)
    {
      sync_fail_later (self->watch_context, out->call.func, out->call.user_data);
      g_free (out);
    }
}

/* Removes a source of the watch's context (which may not be the global
 * default one: g_source_remove() would not find it). */
static void
watch_remove_source (NavetteDbPg *self,
                     guint       *id)
{
  GSource *source = *id != 0 ? g_main_context_find_source_by_id (self->watch_context, *id) : NULL;

  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

static void
watch_close (NavetteDbPg *self)
{
  if (self->watch_source != NULL)
    {
      g_source_destroy (self->watch_source);
      g_clear_pointer (&self->watch_source, g_source_unref);
    }
  watch_remove_source (self, &self->watch_check_id);
  g_clear_pointer (&self->watch_conn, PQfinish);
  watch_fail_all (self);
}

static gboolean
watch_retry_cb (gpointer data)
{
  NavetteDbPg *self = data;

  self->watch_retry_id = 0;
  watch_connect_start (self);
  return G_SOURCE_REMOVE;
}

/* The listening connection is gone: its waiters read the database, and
 * the watch connects again after a pause (forgetting the caches when it
 * is back: changes may have been missed meanwhile). */
static void
watch_lost (NavetteDbPg *self,
            const char  *why)
{
  g_debug ("Lost the change notifications: %s", why);
  watch_close (self);
  if (self->watch_retry_id == 0)
    {
      g_autoptr(GSource) source = g_timeout_source_new (self->watch_backoff_ms);

      g_source_set_callback (source, watch_retry_cb, self, NULL);
      g_source_set_static_name (source, "[navette] listen again");
      self->watch_retry_id = g_source_attach (source, self->watch_context);
      self->watch_backoff_ms = MIN (self->watch_backoff_ms * 2, 5000);
    }
}

static void
emit_notifications (NavetteDbPg *self)
{
  PGnotify *notify;

  while ((notify = PQnotifies (self->watch_conn)) != NULL)
    {
      emit_changed (self, notify->extra);
      PQfreemem (notify);
    }
}

static void
watch_ready (NavetteDbPg  *self,
             GIOCondition  condition)
{
  PGresult *res;

  if ((condition & G_IO_OUT) != 0 && PQflush (self->watch_conn) == 0)
    g_source_modify_unix_fd (self->watch_source, self->watch_tag, G_IO_IN | G_IO_HUP | G_IO_ERR);
  if (!PQconsumeInput (self->watch_conn) || PQstatus (self->watch_conn) != CONNECTION_OK)
    {
      watch_lost (self, PQerrorMessage (self->watch_conn));
      return;
    }
  emit_notifications (self);
  /* Each PGRES_PIPELINE_SYNC answers the oldest round trip out; the
   * notifications before it in the stream are parsed by then. */
  while (self->watch_conn != NULL && !PQisBusy (self->watch_conn) &&
         (res = PQgetResult (self->watch_conn)) != NULL)
    {
      gboolean synced = PQresultStatus (res) == PGRES_PIPELINE_SYNC;
      SyncOut *out;

      PQclear (res);
      emit_notifications (self);
      if (synced && (out = g_queue_pop_head (&self->watch_out)) != NULL)
        {
          out->call.func (TRUE, out->call.user_data);
          g_free (out);
        }
    }
}

typedef struct
{
  GSource      source;
  NavetteDbPg *self;  /* not a reference: destroyed by watch_close() */
} WatchSource;

static gboolean
watch_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  NavetteDbPg *self = ((WatchSource *) source)->self;

  watch_ready (self, g_source_query_unix_fd (source, self->watch_tag));
  return G_SOURCE_CONTINUE;
}

/* Dispatched when the listening connection's socket is ready. */
static GSourceFuncs watch_source_funcs = { NULL, NULL, watch_source_dispatch, NULL, NULL, NULL };

/* Connects and listens, in a thread; NULL (after a message) when that
 * fails. The connection is returned in pipeline mode, non-blocking. */
static void
watch_connect_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  const char * const keywords[] = { "connect_timeout", "application_name", "dbname", NULL };
  const char * const values[] = { "5", "navette-server-watch", task_data, NULL };
  PGconn *conn = PQconnectdbParams (keywords, values, 1);
  PGresult *res = PQstatus (conn) == CONNECTION_OK ? PQexec (conn, "LISTEN navette_changes") : NULL;

  if (!result_ok (res) || !PQenterPipelineMode (conn) || PQsetnonblocking (conn, 1) != 0)
    {
      g_debug ("Cannot listen for changes: %s", PQerrorMessage (conn));
      PQclear (res);
      PQfinish (conn);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  PQclear (res);
  PQsetNoticeProcessor (conn, notice_processor_cb, NULL);
  g_task_return_pointer (task, conn, (GDestroyNotify) PQfinish);
}

static void
watch_connected_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  NavetteDbPg *self = NAVETTE_DB_PG (object);
  PGconn *conn = g_task_propagate_pointer (G_TASK (result), NULL);

  self->watch_connecting = FALSE;
  if (!self->watching)
    {
      g_clear_pointer (&conn, PQfinish);
      return;
    }
  if (conn == NULL)
    {
      watch_lost (self, "cannot connect");
      return;
    }
  self->watch_conn = conn;
  self->watch_backoff_ms = 100;
  self->watch_source = g_source_new (&watch_source_funcs, sizeof (WatchSource));
  ((WatchSource *) self->watch_source)->self = self;
  self->watch_tag = g_source_add_unix_fd (self->watch_source, PQsocket (conn), G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_static_name (self->watch_source, "[navette] change notifications");
  g_source_attach (self->watch_source, self->watch_context);
  /* Changes may have been missed while not listening. */
  emit_changed (self, NULL);
}

static void
watch_connect_start (NavetteDbPg *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->watch_connecting || self->watch_conn != NULL || !self->watching)
    return;
  self->watch_connecting = TRUE;
  task = g_task_new (self, NULL, watch_connected_cb, NULL);
  g_task_set_source_tag (task, watch_connect_start);
  g_task_set_task_data (task, g_strdup (self->url), g_free);
  g_task_run_in_thread (task, watch_connect_thread);
}

/* While round trips are out: one that got no answer in SYNC_TIMEOUT_MS
 * means a connection that stopped answering. */
static gboolean
watch_check_cb (gpointer data)
{
  NavetteDbPg *self = data;
  SyncOut *oldest = g_queue_peek_head (&self->watch_out);

  if (oldest == NULL)
    {
      self->watch_check_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (g_get_monotonic_time () - oldest->sent_at >= SYNC_TIMEOUT_MS * 1000)
    {
      self->watch_check_id = 0;  /* removed by returning */
      watch_lost (self, "no answer to a round trip");
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
navette_db_pg_sync_changes (NavetteDbPg         *self,
                            NavetteDbPgSyncFunc  func,
                            gpointer             user_data)
{
  SyncOut *out;
  int flushed;

  g_return_if_fail (NAVETTE_IS_DB_PG (self));
  g_return_if_fail (func != NULL);

  if (self->watch_conn == NULL)
    {
      /* nobody can tell what was committed meanwhile */
      sync_fail_later (self->watch_context != NULL ? self->watch_context : g_main_context_get_thread_default (),
                       func, user_data);
      return;
    }

  /* A Sync message: its answer comes after every notification of the
   * commits made before it was sent, so once it is in, they have all been
   * emitted. Round trips are pipelined: one does not wait for those out. */
  if (!PQpipelineSync (self->watch_conn) || (flushed = PQflush (self->watch_conn)) < 0)
    {
      sync_fail_later (self->watch_context, func, user_data);
      watch_lost (self, PQerrorMessage (self->watch_conn));
      return;
    }
  if (flushed == 1)
    g_source_modify_unix_fd (self->watch_source, self->watch_tag, G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR);
  out = g_new0 (SyncOut, 1);
  out->call.func = func;
  out->call.user_data = user_data;
  out->sent_at = g_get_monotonic_time ();
  g_queue_push_tail (&self->watch_out, out);
  if (self->watch_check_id == 0)
    {
      g_autoptr(GSource) source = g_timeout_source_new (WATCH_CHECK_MS);

      g_source_set_callback (source, watch_check_cb, self, NULL);
      g_source_set_static_name (source, "[navette] round-trip deadline");
      self->watch_check_id = g_source_attach (source, self->watch_context);
    }
}

void
navette_db_pg_watch_changes (NavetteDbPg *self)
{
  g_return_if_fail (NAVETTE_IS_DB_PG (self));

  if (self->watching)
    return;
  self->watching = TRUE;
  self->watch_context = g_main_context_ref_thread_default ();
  self->watch_backoff_ms = 100;
  watch_connect_start (self);
}

static void
watch_stop (NavetteDbPg *self)
{
  if (!self->watching)
    return;
  self->watching = FALSE;
  watch_remove_source (self, &self->watch_retry_id);
  watch_close (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */
/* ------------------------------------------------------------------ */

static void
navette_db_pg_dispose (GObject *object)
{
  watch_stop (NAVETTE_DB_PG (object));

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
  g_clear_pointer (&self->watch_context, g_main_context_unref);

  G_OBJECT_CLASS (navette_db_pg_parent_class)->finalize (object);
}

static void
navette_db_pg_class_init (NavetteDbPgClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NavetteDbClass *db_class = NAVETTE_DB_CLASS (klass);

  object_class->dispose = navette_db_pg_dispose;
  object_class->finalize = navette_db_pg_finalize;

  /**
   * NavetteDbPg::table-changed:
   * @app: (nullable): the application, or %NULL for "anything may have changed"
   * @table: (nullable): the table of @app
   *
   * A change to a table was committed — through this server, another
   * server or plain SQL. Only after navette_db_pg_watch_changes(); emitted
   * in the watch thread, not in the main loop.
   */
  signals[TABLE_CHANGED] =
    g_signal_new ("table-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  NAVETTE_DB_CLASS_SET_VFUNCS (db_class, navette_db_pg);
}

static void
navette_db_pg_init (NavetteDbPg *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->idle);
  self->max_open = POOL_DEFAULT_SIZE;
  self->busy_timeout_ms = NAVETTE_DB_PG_DEFAULT_BUSY_TIMEOUT;
}

NavetteDb *
navette_db_pg_new (const char  *url,
                   GError     **error)
{
  g_autoptr(NavetteDbPg) self = NULL;
  PQconninfoOption *options;
  char *message = NULL;
  const char *pool_size;
  const char *busy_timeout;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  options = PQconninfoParse (url, &message);
  if (options == NULL)
    {
      /* libpq's message may quote the URL, and so a password: not shown. */
      g_debug ("Invalid PostgreSQL URL: %s", message != NULL ? message : "out of memory");
      PQfreemem (message);
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The PostgreSQL URL cannot be parsed");
      return NULL;
    }
  PQconninfoFree (options);

  self = g_object_new (NAVETTE_TYPE_DB_PG, NULL);
  self->url = g_strdup (url);
  busy_timeout = g_getenv ("NAVETTE_PG_BUSY_TIMEOUT");
  if (busy_timeout != NULL)
    {
      guint64 ms = g_ascii_strtoull (busy_timeout, NULL, 10);

      if (ms >= 1 && ms <= 600000)
        self->busy_timeout_ms = (guint) ms;
    }
  pool_size = g_getenv ("NAVETTE_PG_POOL_SIZE");
  if (pool_size != NULL)
    {
      guint64 size = g_ascii_strtoull (pool_size, NULL, 10);

      if (size >= 1 && size <= 1000)
        self->max_open = (guint) size;
    }
  return NAVETTE_DB (g_steal_pointer (&self));
}

void
navette_db_pg_set_busy_timeout (NavetteDbPg *self,
                                guint        timeout_ms)
{
  g_return_if_fail (NAVETTE_IS_DB_PG (self));

  /* PostgreSQL's lock_timeout 0 would wait forever: 0 means "at once". */
  g_atomic_int_set (&self->busy_timeout_ms, MAX (timeout_ms, 1));
  /* Idle connections carry the old setting: open new ones. */
  g_mutex_lock (&self->lock);
  self->generation++;
  pool_flush_locked (self);
  g_mutex_unlock (&self->lock);
}

guint
navette_db_pg_get_busy_timeout (NavetteDbPg *self)
{
  g_return_val_if_fail (NAVETTE_IS_DB_PG (self), 0);

  return g_atomic_int_get (&self->busy_timeout_ms);
}
