/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica.c — the local replica (see navette-replica.h).
 *
 * Layout of the database:
 *   replica_tables (id, app, name, revision, schema, fts_columns)
 *     one row per table synced; revision -1 until a walk completed.
 *   r<ID> (key INTEGER PRIMARY KEY, id TEXT, version, revision,
 *          archived, updated_at, updated_by, data, "c_<column>"…)
 *     the records: `data` is the data object as the server sent it
 *     (compact JSON, what a record is materialised from); each schema
 *     column is also a typed SQL column, filled from it by json_extract(),
 *     for sorting and filtering; each text column has its sort key
 *     "k_<column>" too (navette-sort-key.c), a BLOB filled on write by
 *     the SQL function navette_sort_key(), registered on this connection.
 *   r<ID>_id: the unique index on id, made at the end of the first walk
 *     (tables made before it have it inline, UNIQUE).
 *   f<ID>: FTS5 over the text columns of r<ID> (external content, kept by
 *     triggers, except during a whole walk: filled at its end).
 *   v<ID>_<column>: an index (column, id, archived) made the first time a
 *     view sorts by it (v<ID>_id: (id, archived)), covering a view's keys;
 *     for a text column w<ID>_<column>: (k_<column>, id, archived).
 *     (Before: i<ID>_<column>, the column alone, dropped when met.) */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sqlite3.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "navette-replica.h"
#include "navette-engine-private.h"
#include "navette-replica-private.h"

#define REPLICA_ERROR navette_replica_error_quark ()
static G_DEFINE_QUARK (navette-replica-error-quark, navette_replica_error)

typedef struct
{
  JobFunc  func;   /* NULL: the worker ends */
  gpointer data;
  GDestroyNotify free_data; /* a background job left when the worker ends */
  gint     priority; /* JOB_* */
} Job;

enum {
  JOB_FIRST,
  JOB_NORMAL,
  JOB_RESUMED,     /* a background job that yielded, before the others */
  JOB_BACKGROUND,
};

struct _NavetteReplica
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;       /* used by the worker thread only (and open) */
  GThread      *worker;
  GAsyncQueue  *jobs;     /* of Job* */
  ReplicaViewCache *view_cache; /* the worker's (navette-replica-query.c) */
  gint          search_plan;    /* NavetteReplicaSearchPlan (tests) */
  gint          n_waiting;    /* jobs queued before JOB_RESUMED (atomic) */
  gint          closing;      /* finalized: background jobs end (atomic) */
  gboolean      yielded;      /* the background job's SQL was stopped */
};

G_DEFINE_FINAL_TYPE (NavetteReplica, navette_replica, G_TYPE_OBJECT)

enum {
  SYNC_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- The file ---- */

/* replica.db holds record data and unsent changes in clear: the file,
 * and its -wal and -shm (SQLite gives them the database's mode when it
 * makes them), readable by their owner only. SQLite creates the file
 * (sqlite3_open_v2() with SQLITE_OPEN_CREATE) with the umask's mode;
 * this takes group and other bits away, by name, before anything is
 * written. No descriptor of ours is ever opened on the file: closing
 * one would drop every POSIX lock this process holds on it, those of a
 * connection already open too (the journal's and the replica's are two),
 * and another program's connection could then checkpoint and delete the
 * WAL this process still writes into. The directory is made 0700. */
gboolean
navette_replica_file_make_private (const char  *path,
                                   GError     **error)
{
  static const char * const suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);
      GStatBuf st;

      if (g_stat (name, &st) != 0)
        {
          int saved = errno;

          if (saved == ENOENT && i > 0)
            continue;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Cannot make %s readable by its owner only: %s"), name, g_strerror (saved));
          return FALSE;
        }
      if ((st.st_mode & 077) != 0 && g_chmod (name, st.st_mode & 0700) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Cannot make %s readable by its owner only: %s"), name, g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- Worker ---- */

ReplicaViewCache **
replica_view_cache (NavetteReplica *self)
{
  return &self->view_cache;
}

NavetteReplicaSearchPlan
replica_search_plan (NavetteReplica *self)
{
  return g_atomic_int_get (&self->search_plan);
}

void
navette_replica_set_search_plan (NavetteReplica           *self,
                                 NavetteReplicaSearchPlan  plan)
{
  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_atomic_int_set (&self->search_plan, plan);
}

static gpointer
worker_main (gpointer user_data)
{
  NavetteReplica *self = user_data;

  for (;;)
    {
      Job *job = g_async_queue_pop (self->jobs);
      JobFunc func = job->func;

      if (job->priority < JOB_RESUMED)
        g_atomic_int_add (&self->n_waiting, -1);

      if (func != NULL)
        func (self, job->data);
      g_free (job);
      if (func == NULL)
        break;
    }
  return NULL;
}

/* The queue is kept sorted by priority, each priority in the order
 * queued. */
static gint
job_compare (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const Job *x = a, *y = b;

  /* Equal: g_async_queue_push_sorted() puts the new one after. */
  return x->priority - y->priority;
}

static void
push_job (NavetteReplica *self,
          JobFunc         func,
          gpointer        data,
          GDestroyNotify  free_data,
          gint            priority)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->data = data;
  job->free_data = free_data;
  job->priority = priority;
  /* Counted first: a background job running yields to it at once. */
  if (priority < JOB_RESUMED)
    g_atomic_int_inc (&self->n_waiting);
  g_async_queue_push_sorted (self->jobs, job, job_compare, NULL);
}

void
replica_push_job (NavetteReplica *self,
                  JobFunc         func,
                  gpointer        data)
{
  push_job (self, func, data, NULL, JOB_NORMAL);
}

void
replica_push_job_first (NavetteReplica *self,
                        JobFunc         func,
                        gpointer        data)
{
  g_return_if_fail (func != NULL);
  push_job (self, func, data, NULL, JOB_FIRST);
}

/* A background job yields to every other: its SQL stops (the progress
 * handler, between its steps, as sqlite3_interrupt() would stop it; its
 * statement or transaction rolled back) as soon as another job is
 * queued or the replica is finalized, and it is queued again, ahead of
 * the other background jobs. A view's head or a sync's page waits a few
 * milliseconds, not the second or two a CREATE INDEX takes at a million
 * rows; closing the replica (the CLI's exit) never waits for one. */
static int
background_progress (void *user_data)
{
  NavetteReplica *self = user_data;

  if (g_atomic_int_get (&self->n_waiting) == 0 && !g_atomic_int_get (&self->closing))
    return 0;
  self->yielded = TRUE;
  return 1;
}

gboolean
replica_background_begin (NavetteReplica *self)
{
  if (g_atomic_int_get (&self->n_waiting) > 0 || g_atomic_int_get (&self->closing))
    return FALSE;
  self->yielded = FALSE;
  sqlite3_progress_handler (self->db, 1000, background_progress, self);
  return TRUE;
}

gboolean
replica_background_end (NavetteReplica *self)
{
  sqlite3_progress_handler (self->db, 0, NULL, NULL);
  return self->yielded;
}

void
replica_background_again (NavetteReplica *self,
                          JobFunc         func,
                          gpointer        data,
                          GDestroyNotify  free_data)
{
  if (g_atomic_int_get (&self->closing))
    free_data (data);
  else
    push_job (self, func, data, free_data, JOB_RESUMED);
}

/* Running a job synchronously: the caller waits on a condition. */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean done;
  JobFunc  func;
  gpointer data;
} SyncJob;

static void
sync_job_run (NavetteReplica *self,
              gpointer        data)
{
  SyncJob *sync = data;

  sync->func (self, sync->data);
  g_mutex_lock (&sync->mutex);
  sync->done = TRUE;
  g_cond_signal (&sync->cond);
  g_mutex_unlock (&sync->mutex);
}

static void
run_job_sync (NavetteReplica *self,
              JobFunc         func,
              gpointer        data,
              gint            priority)
{
  SyncJob sync = { .func = func, .data = data };

  g_mutex_init (&sync.mutex);
  g_cond_init (&sync.cond);
  push_job (self, sync_job_run, &sync, NULL, priority);
  g_mutex_lock (&sync.mutex);
  while (!sync.done)
    g_cond_wait (&sync.cond, &sync.mutex);
  g_mutex_unlock (&sync.mutex);
  g_mutex_clear (&sync.mutex);
  g_cond_clear (&sync.cond);
}

void
replica_run_job_sync (NavetteReplica *self,
                      JobFunc         func,
                      gpointer        data)
{
  run_job_sync (self, func, data, JOB_NORMAL);
}

void
replica_push_job_background (NavetteReplica *self,
                             JobFunc         func,
                             gpointer        data,
                             GDestroyNotify  free_data)
{
  g_return_if_fail (func != NULL && free_data != NULL);
  push_job (self, func, data, free_data, JOB_BACKGROUND);
}

static void
nothing_job (NavetteReplica *self,
             gpointer        data)
{
}

void
navette_replica_wait_background (NavetteReplica *self)
{
  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  /* Queued last: every background job queued before has run. */
  run_job_sync (self, nothing_job, NULL, JOB_BACKGROUND);
}

/* ---- SQL helpers (worker) ---- */

gboolean
replica_sql_fail (NavetteReplica  *self,
                  const char      *what,
                  GError         **error)
{
  g_set_error (error, REPLICA_ERROR, sqlite3_errcode (self->db),
               _("The local replica %s failed (%s): %s"), self->path, what, sqlite3_errmsg (self->db));
  return FALSE;
}

gboolean
replica_sql_exec (NavetteReplica  *self,
                  const char      *sql,
                  GError         **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return replica_sql_fail (self, sql, error);
  return TRUE;
}

sqlite3_stmt *
replica_sql_prepare (NavetteReplica  *self,
                     const char      *sql,
                     GError         **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      replica_sql_fail (self, sql, error);
      return NULL;
    }
  return stmt;
}

void
replica_sql_rollback (NavetteReplica *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char *
column_affinity (NavetteColumnType type)
{
  if (type == NAVETTE_COLUMN_INTEGER || type == NAVETTE_COLUMN_BOOLEAN)
    return "INTEGER";
  if (type == NAVETTE_COLUMN_REAL)
    return "REAL";
  return "TEXT";  /* text-like columns and dates (ISO 8601 sorts as text) */
}

/* The id in replica_tables of APP/TABLE, 0 when absent, -1 on failure. */
gint64
replica_lookup_table (NavetteReplica  *self,
                      const char      *app,
                      const char      *table,
                      gint64          *revision,
                      char           **fts_columns,
                      GError         **error)
{
  sqlite3_stmt *stmt = replica_sql_prepare (self, "SELECT id, revision, fts_columns FROM replica_tables WHERE app = ? AND name = ?", error);
  gint64 id = 0;
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, table, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      if (revision != NULL)
        *revision = sqlite3_column_int64 (stmt, 1);
      if (fts_columns != NULL)
        *fts_columns = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  else if (rc != SQLITE_DONE)
    {
      replica_sql_fail (self, "reading the tables", error);
      id = -1;
    }
  sqlite3_finalize (stmt);
  return id;
}

/* The SQL columns of r<ID> ("c_name" → TRUE). */
GHashTable *
replica_sql_columns (NavetteReplica  *self,
                     gint64           id,
                     GError         **error)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA table_info(r%" G_GINT64_FORMAT ")", id);
  sqlite3_stmt *stmt = replica_sql_prepare (self, sql, error);
  GHashTable *columns;

  if (stmt == NULL)
    return NULL;
  columns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_add (columns, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);
  return columns;
}

/* "a,b" — the text columns of @schema, indexed by FTS. */
static char *
schema_fts_columns (const NavetteWireTable *schema)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *col = g_ptr_array_index (schema->columns, i);

      if (!navette_column_type_is_text (col->type))
        continue;
      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append (out, col->name);
    }
  return g_string_free (out, FALSE);
}

/* "P\"c_a\", P\"c_b\"" for @fts_columns "a,b" and @prefix P ("", "new.",
 * "old."): the SQL columns of the FTS index. */
static char *
fts_sql_columns (const char *fts_columns,
                 const char *prefix)
{
  g_auto(GStrv) names = g_strsplit (fts_columns, ",", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (out, "%s%s\"c_%s\"", i ? ", " : "", prefix, names[i]);
  return g_string_free (out, FALSE);
}

static gboolean
drop_fts_triggers (NavetteReplica  *self,
                   gint64           id,
                   GError         **error)
{
  g_autofree char *sql = g_strdup_printf ("DROP TRIGGER IF EXISTS r%1$" G_GINT64_FORMAT "_ai;"
                                          "DROP TRIGGER IF EXISTS r%1$" G_GINT64_FORMAT "_ad;"
                                          "DROP TRIGGER IF EXISTS r%1$" G_GINT64_FORMAT "_au;", id);

  return replica_sql_exec (self, sql, error);
}

/* FTS5's default: the segments of a level merged once it has 4. */
#define FTS_AUTOMERGE 4

/* Fills f<ID> from r<ID> (FTS5 'rebuild'; without @rebuild, its rows are
 * there already: a first walk added them page by page) and creates the
 * triggers that keep it up to date from then on.
 *
 * The rebuild is made with automerge off, then 'optimize'd into one
 * segment. A plain 'rebuild' of a large table leaves a dozen segments on
 * several levels, some in the middle of an incremental merge: the first
 * writes after it (the next delta) then merged the whole index, 3 700
 * pages for a million rows, 0.45 s of CPU in a delta of 1 000 rows that
 * otherwise takes 40 ms (bench-replica's delta at 1M: 1.9–2.2 s under
 * load, against 0.25 s when triggers had filled the index). With automerge
 * off the rebuild merges nothing on the way, so 'optimize' costs about
 * what the rebuild saves (2.5 s for both at 1M, 2.3 s for the plain
 * rebuild), and writes after it only merge their own small segments. */
static gboolean
fill_fts (NavetteReplica  *self,
          gint64           id,
          const char      *fts_columns,
          gboolean         rebuild,
          GError         **error)
{
  g_autofree char *cols = fts_sql_columns (fts_columns, "");
  g_autofree char *news = fts_sql_columns (fts_columns, "new.");
  g_autofree char *olds = fts_sql_columns (fts_columns, "old.");
  g_autofree char *sql = NULL;
  g_autofree char *rebuild_sql = rebuild ? g_strdup_printf ("INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ") VALUES ('rebuild');", id)
                                         : g_strdup ("");

  if (!drop_fts_triggers (self, id, error))
    return FALSE;
  sql = g_strdup_printf (
    "CREATE TRIGGER r%1$" G_GINT64_FORMAT "_ai AFTER INSERT ON r%1$" G_GINT64_FORMAT " BEGIN "
    "  INSERT INTO f%1$" G_GINT64_FORMAT " (rowid, %2$s) VALUES (new.key, %3$s); END;"
    "CREATE TRIGGER r%1$" G_GINT64_FORMAT "_ad AFTER DELETE ON r%1$" G_GINT64_FORMAT " BEGIN "
    "  INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ", rowid, %2$s) VALUES ('delete', old.key, %4$s); END;"
    "CREATE TRIGGER r%1$" G_GINT64_FORMAT "_au AFTER UPDATE ON r%1$" G_GINT64_FORMAT " BEGIN "
    "  INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ", rowid, %2$s) VALUES ('delete', old.key, %4$s);"
    "  INSERT INTO f%1$" G_GINT64_FORMAT " (rowid, %2$s) VALUES (new.key, %3$s); END;"
    "INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ", rank) VALUES ('automerge', 0);"
    "%5$s"
    "INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ") VALUES ('optimize');"
    "INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ", rank) VALUES ('automerge', " G_STRINGIFY (FTS_AUTOMERGE) ");",
    id, cols, news, olds, rebuild_sql);
  return replica_sql_exec (self, sql, error);
}

/* (Re)creates f<ID> over @fts_columns ("a,b"); with @fill, fills it and
 * makes its triggers (without: a whole walk follows, which fills it at
 * its end, see apply_page_job()). */
static gboolean
make_fts (NavetteReplica  *self,
          gint64           id,
          const char      *fts_columns,
          gboolean         fill,
          GError         **error)
{
  g_autofree char *sql = NULL;
  g_autofree char *cols = NULL;

  if (!drop_fts_triggers (self, id, error))
    return FALSE;
  sql = g_strdup_printf ("DROP TABLE IF EXISTS f%" G_GINT64_FORMAT, id);
  if (!replica_sql_exec (self, sql, error))
    return FALSE;
  if (*fts_columns == '\0')
    return TRUE;

  cols = fts_sql_columns (fts_columns, "");
  g_free (sql);
  sql = g_strdup_printf ("CREATE VIRTUAL TABLE f%1$" G_GINT64_FORMAT " USING fts5(%2$s, content='r%1$" G_GINT64_FORMAT "',"
                         " content_rowid='key', tokenize='unicode61 remove_diacritics 2')", id, cols);
  if (!replica_sql_exec (self, sql, error))
    return FALSE;
  return !fill || fill_fts (self, id, fts_columns, TRUE, error);
}

/* Creates or migrates the table of APP/@schema; returns its id (> 0) and
 * its revision, or -1. Within the caller's transaction. */
static gint64
ensure_table (NavetteReplica          *self,
              const char              *app,
              const NavetteWireTable  *schema,
              gint64                  *revision,
              GError                 **error)
{
  g_autofree char *stored_fts = NULL;
  g_autofree char *fts = schema_fts_columns (schema);
  g_autoptr(GHashTable) have = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) schema_node = NULL;
  g_autofree char *schema_json = NULL;
  gboolean added = FALSE;
  gint64 id;
  sqlite3_stmt *stmt;

  navette_wire_table_to_json (schema, builder);
  schema_node = json_builder_get_root (builder);
  schema_json = navette_json_to_string (schema_node, NULL);

  id = replica_lookup_table (self, app, schema->name, revision, &stored_fts, error);
  if (id < 0)
    return -1;
  if (id == 0)
    {
      g_autofree char *sql = NULL;

      stmt = replica_sql_prepare (self, "INSERT INTO replica_tables (app, name, revision, schema, fts_columns) VALUES (?, ?, -1, ?, '')", error);
      if (stmt == NULL)
        return -1;
      sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, schema->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, schema_json, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          sqlite3_finalize (stmt);
          replica_sql_fail (self, "adding a table", error);
          return -1;
        }
      sqlite3_finalize (stmt);
      id = sqlite3_last_insert_rowid (self->db);
      /* The unique index on id (r<ID>_id) is made at the end of the
       * first walk (see prepare_job()). */
      sql = g_strdup_printf ("CREATE TABLE r%" G_GINT64_FORMAT " (key INTEGER PRIMARY KEY, id TEXT NOT NULL,"
                             " version INTEGER NOT NULL, revision INTEGER NOT NULL, archived INTEGER NOT NULL,"
                             " updated_at INTEGER NOT NULL, updated_by TEXT, data TEXT NOT NULL)", id);
      if (!replica_sql_exec (self, sql, error))
        return -1;
      g_clear_pointer (&stored_fts, g_free);
      stored_fts = g_strdup ("");
      *revision = -1;
    }

  /* Columns added (a column removed or retyped keeps its SQL column: the
   * data object is what records are made from). */
  have = replica_sql_columns (self, id, error);
  if (have == NULL)
    return -1;
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *col = g_ptr_array_index (schema->columns, i);
      g_autofree char *sql_name = g_strconcat ("c_", col->name, NULL);
      g_autofree char *sql = NULL;

      if (g_hash_table_contains (have, sql_name))
        continue;
      sql = g_strdup_printf ("ALTER TABLE r%" G_GINT64_FORMAT " ADD COLUMN \"%s\" %s",
                             id, sql_name, column_affinity (col->type));
      if (!replica_sql_exec (self, sql, error))
        return -1;
      g_debug ("Replica: column %s added to %s/%s", col->name, app, schema->name);
      added = TRUE;
    }
  /* The server gives every row the new column (null, or the default of a
   * required one) without a new revision: the rows held are read again,
   * all of them, by the next walk (the revision is forgotten in the same
   * transaction; an interrupted walk starts over). */
  if (added && *revision >= 0)
    {
      g_autofree char *sql = g_strdup_printf ("UPDATE replica_tables SET revision = -1 WHERE id = %" G_GINT64_FORMAT, id);

      if (!replica_sql_exec (self, sql, error))
        return -1;
      *revision = -1;
    }
  if (g_strcmp0 (fts, stored_fts) != 0 && !make_fts (self, id, fts, *revision >= 0, error))
    return -1;
  /* Every text column has its sort key (the upsert fills them). */
  if (!replica_ensure_sort_keys (self, id, fts, error))
    return -1;

  stmt = replica_sql_prepare (self, "UPDATE replica_tables SET schema = ?, fts_columns = ? WHERE id = ?", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, schema_json, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, fts, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      replica_sql_fail (self, "saving a schema", error);
      return -1;
    }
  sqlite3_finalize (stmt);
  return id;
}

/* ---- Object ---- */

static void
open_job (NavetteReplica *self,
          gpointer        data)
{
  GError **error = data;
  static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    /* 32 MiB of page cache (the default is 2 MiB): the id index takes
     * random UUIDs, and a first sync of a million rows spent most of its
     * time re-reading its pages. A bound, whatever the table. */
    "PRAGMA cache_size=-32768;"
    "CREATE TABLE IF NOT EXISTS replica_tables (id INTEGER PRIMARY KEY, app TEXT NOT NULL,"
    " name TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT -1, schema TEXT NOT NULL,"
    " fts_columns TEXT NOT NULL DEFAULT '', UNIQUE (app, name));";

  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      replica_sql_fail (self, "open", error);
      return;
    }
  /* Before anything is written (the first statement below). */
  if (!navette_replica_file_make_private (self->path, error))
    return;
  sqlite3_busy_timeout (self->db, 10000);
  if (sqlite3_create_function_v2 (self->db, "navette_sort_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                  NULL, replica_sql_sort_key, NULL, NULL, NULL) != SQLITE_OK)
    {
      replica_sql_fail (self, "registering navette_sort_key", error);
      return;
    }
  replica_sql_exec (self, schema, error);
}

static void
close_job (NavetteReplica *self,
           gpointer        data)
{
  g_clear_pointer (&self->view_cache, replica_view_cache_free);
  g_clear_pointer (&self->db, sqlite3_close_v2);
}

static void
navette_replica_finalize (GObject *object)
{
  NavetteReplica *self = NAVETTE_REPLICA (object);

  if (self->worker != NULL)
    {
      Job *left;

      g_atomic_int_set (&self->closing, TRUE);
      replica_push_job (self, close_job, NULL);
      push_job (self, NULL, NULL, NULL, JOB_NORMAL);
      g_thread_join (self->worker);
      /* The background jobs never run. */
      while ((left = g_async_queue_try_pop (self->jobs)) != NULL)
        {
          if (left->free_data != NULL)
            left->free_data (left->data);
          g_free (left);
        }
    }
  g_clear_pointer (&self->jobs, g_async_queue_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (navette_replica_parent_class)->finalize (object);
}

static void
navette_replica_class_init (NavetteReplicaClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = navette_replica_finalize;

  signals[SYNC_PROGRESS] =
    g_signal_new ("sync-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT64);
}

static void
navette_replica_init (NavetteReplica *self)
{
  self->jobs = g_async_queue_new ();
}

char *
navette_replica_path_for (const char *data_dir,
                          const char *base_url,
                          const char *username)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (data_dir != NULL && base_url != NULL && username != NULL, NULL);

  key = navette_engine_account_key (base_url, username);
  return g_build_filename (data_dir, key, "replica.db", NULL);
}

NavetteReplica *
navette_replica_open (const char  *path,
                      GError     **error)
{
  g_autoptr(NavetteReplica) self = NULL;
  g_autofree char *dir = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot create %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  self = g_object_new (NAVETTE_TYPE_REPLICA, NULL);
  self->path = g_strdup (path);
  self->worker = g_thread_new ("navette-replica", worker_main, self);
  replica_run_job_sync (self, open_job, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *
navette_replica_get_path (NavetteReplica *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA (self), NULL);
  return self->path;
}

/* ---- Sync ---- */

typedef struct
{
  NavetteReplica   *self;
  NavetteClient    *client;
  char             *app;
  NavetteWireTable *schema;
  gint64            table_id;
  gint64            since;      /* the revision held when the sync began */
  gint64            revision;   /* the revision held at the end */
  guint64           n_rows;
  /* Pipelining: the next page is downloaded while one is applied. */
  guint             in_flight;  /* pages given to the worker, not applied yet */
  GTask            *held;       /* the walk, waiting for an apply to end */
  gboolean          held_last;  /* … after its last page */
  GError           *error;      /* the first apply that failed */
  GTask            *ending;     /* the sync task, its walk over, waiting
                                   for the applies in flight */
  GError           *end_error;
  /* A whole walk (revision -1): the FTS index is not kept by triggers
   * row by row (fts_columns non-NULL): filled page by page on a first
   * walk (fts_per_page), else once, with its last page;
   * and when the table has no index on id yet (a first walk, or one
   * interrupted), rows are plainly inserted and the index is made at the
   * end (plain_insert). */
  char             *fts_columns;
  gboolean          plain_insert;
  /* A first walk (the table empty): each page's rows are added to the FTS
   * index in its transaction (automerge off), which is only merged at
   * the end. The work overlaps the download of the next page, where a
   * rebuild at the end (2.5 s for a million rows) waited for the last. */
  gboolean          fts_per_page;
  gint64            max_key;    /* before the page being applied */
  gint64            started;    /* monotonic µs */
  gint64            apply_us;   /* time spent applying pages (worker) */
  gint64            apply_cpu_us;
} Sync;

static void
sync_free (Sync *sync)
{
  g_clear_object (&sync->self);
  g_clear_object (&sync->client);
  g_free (sync->app);
  g_clear_pointer (&sync->schema, navette_wire_table_free);
  g_free (sync->fts_columns);
  g_clear_error (&sync->error);
  g_free (sync);
}

/* A job whose result goes back to a GTask on its caller's context. */
typedef struct
{
  GTask    *task;
  gpointer  data;
} TaskJob;

/* A single-value query (an integer), -1 on failure. */
gint64
replica_sql_int (NavetteReplica  *self,
                 const char      *sql,
                 GError         **error)
{
  sqlite3_stmt *stmt = replica_sql_prepare (self, sql, error);
  gint64 value = -1;

  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  else
    replica_sql_fail (self, sql, error);
  sqlite3_finalize (stmt);
  return value;
}

/* Before a whole walk (revision -1), in the preparation's transaction:
 * the FTS triggers are dropped (the index is rebuilt at the end, in the
 * transaction of the last page: a walk interrupted leaves the revision at
 * -1, so the next one is a whole walk again and rebuilds it); an empty
 * table loses its index on id, so that its rows are plainly appended, and
 * its FTS index is emptied and filled page by page instead (each page's
 * rows in its transaction; merged at the end). A table with rows and its
 * index (a column added) keeps it: pages are upserted. Until the walk
 * ends, a search may miss rows. */
static gboolean
prepare_whole_walk (NavetteReplica  *self,
                    Sync            *sync,
                    GError         **error)
{
  g_autofree char *sql = NULL;
  gint64 unique, empty;

  g_clear_pointer (&sync->fts_columns, g_free);
  if (replica_lookup_table (self, sync->app, sync->schema->name, NULL, &sync->fts_columns, error) < 0)
    return FALSE;
  if (sync->fts_columns != NULL && *sync->fts_columns == '\0')
    g_clear_pointer (&sync->fts_columns, g_free);
  if (sync->fts_columns != NULL && !drop_fts_triggers (self, sync->table_id, error))
    return FALSE;

  sql = g_strdup_printf ("SELECT NOT EXISTS (SELECT 1 FROM r%" G_GINT64_FORMAT ")", sync->table_id);
  if ((empty = replica_sql_int (self, sql, error)) < 0)
    return FALSE;
  if (empty)
    {
      g_free (sql);
      sql = g_strdup_printf ("DROP INDEX IF EXISTS r%1$" G_GINT64_FORMAT "_id", sync->table_id);
      if (!replica_sql_exec (self, sql, error))
        return FALSE;
    }
  sync->fts_per_page = empty && sync->fts_columns != NULL;
  if (sync->fts_per_page)
    {
      /* The index of an empty table holds nothing worth keeping. */
      g_free (sql);
      sql = g_strdup_printf ("INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ") VALUES ('delete-all');"
                             "INSERT INTO f%1$" G_GINT64_FORMAT " (f%1$" G_GINT64_FORMAT ", rank) VALUES ('automerge', 0)",
                             sync->table_id);
      if (!replica_sql_exec (self, sql, error))
        return FALSE;
    }
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM pragma_index_list('r%" G_GINT64_FORMAT "') WHERE \"unique\"", sync->table_id);
  if ((unique = replica_sql_int (self, sql, error)) < 0)
    return FALSE;
  sync->plain_insert = unique == 0;
  return TRUE;
}

/* At the end of a whole walk, in its last page's transaction: the index
 * on id (the rows a walk gave twice, or an interrupted walk left, are
 * removed first, keeping the newest version), and the FTS index. */
static gboolean
finish_whole_walk (NavetteReplica  *self,
                   Sync            *sync,
                   GError         **error)
{
  const gint64 n = sync->table_id;
  gboolean rebuild = !sync->fts_per_page;

  if (sync->plain_insert)
    {
      g_autofree char *index = g_strdup_printf ("CREATE UNIQUE INDEX r%1$" G_GINT64_FORMAT "_id ON r%1$" G_GINT64_FORMAT " (id)", n);

      if (sqlite3_exec (self->db, index, NULL, NULL, NULL) != SQLITE_OK)
        {
          g_autofree char *dedup = NULL;

          if (sqlite3_errcode (self->db) != SQLITE_CONSTRAINT)
            return replica_sql_fail (self, index, error);
          dedup = g_strdup_printf ("DELETE FROM r%1$" G_GINT64_FORMAT " WHERE key IN (SELECT key FROM"
                                   " (SELECT key, row_number () OVER (PARTITION BY id ORDER BY version DESC, key DESC) AS n"
                                   " FROM r%1$" G_GINT64_FORMAT ") WHERE n > 1)", n);
          if (!replica_sql_exec (self, dedup, error) || !replica_sql_exec (self, index, error))
            return FALSE;
          /* Rows removed: their FTS rows, added page by page, with them. */
          rebuild = TRUE;
        }
    }
  if (sync->fts_columns != NULL && !fill_fts (self, n, sync->fts_columns, rebuild, error))
    return FALSE;
  return TRUE;
}

static void
prepare_job (NavetteReplica *self,
             gpointer        data)
{
  GTask *task = data;
  Sync *sync = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 revision = -1;

  if (!replica_sql_exec (self, "BEGIN IMMEDIATE", &error) ||
      (sync->table_id = ensure_table (self, sync->app, sync->schema, &revision, &error)) < 0 ||
      (revision < 0 && !prepare_whole_walk (self, sync, &error)) ||
      !replica_sql_exec (self, "COMMIT", &error))
    {
      replica_sql_rollback (self);
      g_task_return_error (task, error);
    }
  else
    {
      sync->since = revision;
      sync->revision = revision;
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

typedef struct
{
  Sync      *sync;
  GPtrArray *records;   /* NavettePackedRecord* */
  gint64     revision;
  gboolean   last;
  GMainContext *context;  /* the walk's */
  GError    *error;
} Page;

static void
page_free (Page *page)
{
  g_clear_pointer (&page->records, g_ptr_array_unref);
  g_clear_pointer (&page->context, g_main_context_unref);
  g_free (page);
}

static void sync_maybe_resume (Sync *sync);

/* Back on the walk's context: a page is applied (or failed). */
static gboolean
page_applied_cb (gpointer user_data)
{
  Page *page = user_data;
  Sync *sync = page->sync;

  sync->in_flight--;
  if (page->error != NULL && sync->error == NULL)
    sync->error = g_steal_pointer (&page->error);
  else if (page->error == NULL)
    g_signal_emit (sync->self, signals[SYNC_PROGRESS], 0,
                   sync->app, sync->schema->name, sync->n_rows);
  g_clear_error (&page->error);
  page_free (page);
  sync_maybe_resume (sync);
  return G_SOURCE_REMOVE;
}

/* The walk goes on while at most one page waits to be applied; after its
 * last page (or a failure), once every page is applied. The sync task
 * ends only when no apply is in flight (they use the Sync). */
static void
sync_maybe_resume (Sync *sync)
{
  if (sync->held != NULL &&
      (sync->in_flight == 0 || (!sync->held_last && sync->error == NULL && sync->in_flight <= 1)))
    {
      GTask *walk = g_steal_pointer (&sync->held);

      /* A held walk has not ended, so nothing is ending yet. Resuming it
       * may end it at once, and walk_done_cb() then ends the sync and
       * frees @sync: it must not be read after this call. */
      navette_client_walk_resume (walk, sync->error != NULL ? g_error_copy (sync->error) : NULL);
      return;
    }
  if (sync->ending != NULL && sync->in_flight == 0)
    {
      g_autoptr(GTask) task = g_steal_pointer (&sync->ending);

      g_debug ("Replica sync of %s/%s: %" G_GUINT64_FORMAT " rows in %.0f ms, %.0f ms of it applying on the worker (CPU %.0f ms)",
               sync->app, sync->schema->name, sync->n_rows,
               (g_get_monotonic_time () - sync->started) / 1000.0, sync->apply_us / 1000.0,
               sync->apply_cpu_us / 1000.0);
      if (sync->end_error != NULL)
        g_task_return_error (task, g_steal_pointer (&sync->end_error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
page_done (Page   *page,
           GError *error)
{
  g_clear_pointer (&page->records, g_ptr_array_unref);
  page->error = error;
  g_main_context_invoke (page->context, page_applied_cb, page);
}

/* INSERT … ON CONFLICT(id) DO UPDATE, newer versions only; or (@plain)
 * a plain INSERT. */
static char *
upsert_sql (gint64                  id,
            const NavetteWireTable *schema,
            gboolean                plain)
{
  GString *sql = g_string_new (NULL);
  g_autoptr(GString) values = g_string_new (NULL);
  g_autoptr(GString) sets = g_string_new (NULL);

  g_string_append_printf (sql, "INSERT INTO r%" G_GINT64_FORMAT
                          " (id, version, revision, archived, updated_at, updated_by, data", id);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *col = g_ptr_array_index (schema->columns, i);

      g_string_append_printf (sql, ", \"c_%s\"", col->name);
      g_string_append_printf (values, ", json_extract(?7, '$.%s')", col->name);
      g_string_append_printf (sets, ", \"c_%1$s\" = excluded.\"c_%1$s\"", col->name);
      if (!navette_column_type_is_text (col->type))
        continue;
      /* Its sort key (ensure_table() made the column). */
      g_string_append_printf (sql, ", \"k_%s\"", col->name);
      g_string_append_printf (values, ", navette_sort_key(json_extract(?7, '$.%s'))", col->name);
      g_string_append_printf (sets, ", \"k_%1$s\" = excluded.\"k_%1$s\"", col->name);
    }
  g_string_append_printf (sql, ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7%s)", values->str);
  if (plain)
    return g_string_free (sql, FALSE);
  g_string_append_printf (sql, " ON CONFLICT (id) DO UPDATE SET version = excluded.version,"
                          " revision = excluded.revision, archived = excluded.archived,"
                          " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
                          " data = excluded.data%s"
                          " WHERE excluded.version >= r%" G_GINT64_FORMAT ".version",
                          sets->str, id);
  return g_string_free (sql, FALSE);
}

/* CPU time of the calling thread, in µs (phases of a sync, in debug). */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return ts.tv_sec * G_GINT64_CONSTANT (1000000) + ts.tv_nsec / 1000;
}

static void
apply_page_job (NavetteReplica *self,
                gpointer        data)
{
  Page *page = data;
  Sync *sync = page->sync;
  g_autofree char *sql = upsert_sql (sync->table_id, sync->schema, sync->plain_insert);
  sqlite3_stmt *stmt = NULL;
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 cpu_start = thread_cpu_us ();

  if (!replica_sql_exec (self, "BEGIN IMMEDIATE", &error))
    goto fail;
  if (sync->fts_per_page)
    {
      g_autofree char *max = g_strdup_printf ("SELECT coalesce(max(key), 0) FROM r%" G_GINT64_FORMAT, sync->table_id);

      if ((sync->max_key = replica_sql_int (self, max, &error)) < 0)
        goto fail;
    }
  if (!(stmt = replica_sql_prepare (self, sql, &error)))
    goto fail;
  for (guint i = 0; i < page->records->len; i++)
    {
      const NavettePackedRecord *rec = g_ptr_array_index (page->records, i);

      sqlite3_bind_text (stmt, 1, rec->id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, rec->version);
      sqlite3_bind_int64 (stmt, 3, rec->revision);
      sqlite3_bind_int (stmt, 4, rec->archived ? 1 : 0);
      sqlite3_bind_int64 (stmt, 5, rec->updated_at);
      if (rec->updated_by != NULL)
        sqlite3_bind_text (stmt, 6, rec->updated_by, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 6);
      sqlite3_bind_text (stmt, 7, rec->data_json, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          replica_sql_fail (self, "applying a page", &error);
          goto fail;
        }
      sqlite3_reset (stmt);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (sync->fts_per_page)
    {
      /* Plain inserts append: the page's rows are those after the
       * largest key before it. */
      g_autofree char *cols = fts_sql_columns (sync->fts_columns, "");
      g_autofree char *fts = g_strdup_printf ("INSERT INTO f%1$" G_GINT64_FORMAT " (rowid, %2$s) SELECT key, %2$s FROM r%1$" G_GINT64_FORMAT
                                              " WHERE key > %3$" G_GINT64_FORMAT, sync->table_id, cols, sync->max_key);

      if (!replica_sql_exec (self, fts, &error))
        goto fail;
    }
  if (page->last && sync->since < 0)
    {
      gint64 finish_start = g_get_monotonic_time ();

      if (!finish_whole_walk (self, sync, &error))
        goto fail;
      g_debug ("Replica: whole walk of %s/%s finished (index on id, FTS) in %.0f ms",
               sync->app, sync->schema->name, (g_get_monotonic_time () - finish_start) / 1000.0);
    }
  if (page->last)
    {
      stmt = replica_sql_prepare (self, "UPDATE replica_tables SET revision = ? WHERE id = ?", &error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, page->revision);
      sqlite3_bind_int64 (stmt, 2, sync->table_id);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          replica_sql_fail (self, "saving the revision", &error);
          goto fail;
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  if (!replica_sql_exec (self, "COMMIT", &error))
    goto fail;
  sync->n_rows += page->records->len;
  if (page->last)
    sync->revision = page->revision;
  /* The table is complete: its sort indexes, behind everything else. */
  if (page->last && sync->since < 0)
    navette_replica_build_sort_indexes (self, sync->app, sync->schema);
  sync->apply_us += g_get_monotonic_time () - start;
  sync->apply_cpu_us += thread_cpu_us () - cpu_start;
  page_done (page, NULL);
  return;

fail:
  g_clear_pointer (&stmt, sqlite3_finalize);
  replica_sql_rollback (self);
  page_done (page, error);
}

static void
page_sink (GPtrArray *records,
           gint64     revision,
           gboolean   last,
           GTask     *walk,
           gpointer   user_data)
{
  Sync *sync = user_data;

  sync->held = walk;
  sync->held_last = last;
  if (sync->error != NULL)
    g_ptr_array_unref (records);
  else
    {
      Page *page = g_new0 (Page, 1);

      page->sync = sync;
      page->records = records;
      page->revision = revision;
      page->last = last;
      page->context = g_main_context_ref (g_task_get_context (walk));
      sync->in_flight++;
      replica_push_job (sync->self, apply_page_job, page);
    }
  sync_maybe_resume (sync);
}

static void
walk_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  Sync *sync = g_task_get_task_data (task);
  GError *error = NULL;

  if (!navette_client_walk_records_finish (NAVETTE_CLIENT (object), result, NULL, &error))
    sync->end_error = error;
  sync->ending = task;
  sync_maybe_resume (sync);
}

static void
prepared_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Sync *sync = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  navette_client_walk_records_async (sync->client, sync->app, sync->schema->name, sync->since,
                                     page_sink, sync, g_task_get_cancellable (task),
                                     walk_done_cb, g_object_ref (task));
}

static NavetteWireTable *
copy_schema (const NavetteWireTable *schema)
{
  NavetteWireTable *copy = navette_wire_table_new (schema->name, schema->title);

  for (guint i = 0; i < schema->columns->len; i++)
    g_ptr_array_add (copy->columns, navette_wire_column_copy (g_ptr_array_index (schema->columns, i)));
  return copy;
}

void
navette_replica_sync_async (NavetteReplica         *self,
                            NavetteClient          *client,
                            const char             *app,
                            const NavetteWireTable *schema,
                            GCancellable           *cancellable,
                            GAsyncReadyCallback     callback,
                            gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  GTask *prepare;
  Sync *sync;

  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (NAVETTE_IS_CLIENT (client));
  g_return_if_fail (app != NULL && schema != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_replica_sync_async);
  sync = g_new0 (Sync, 1);
  sync->self = g_object_ref (self);
  sync->client = g_object_ref (client);
  sync->app = g_strdup (app);
  sync->schema = copy_schema (schema);
  sync->started = g_get_monotonic_time ();
  g_task_set_task_data (task, sync, (GDestroyNotify) sync_free);

  /* The preparation shares the Sync: a task of its own, no source (its
   * last reference may be dropped on the worker). */
  prepare = g_task_new (NULL, cancellable, prepared_cb, g_object_ref (task));
  g_task_set_task_data (prepare, sync, NULL);
  replica_push_job (self, prepare_job, prepare);
}

gboolean
navette_replica_sync_finish (NavetteReplica  *self,
                             GAsyncResult    *result,
                             gint64          *revision,
                             guint64         *n_rows,
                             GError         **error)
{
  Sync *sync;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  sync = g_task_get_task_data (G_TASK (result));
  if (revision != NULL)
    *revision = sync->revision;
  if (n_rows != NULL)
    *n_rows = sync->n_rows;
  return TRUE;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

gboolean
navette_replica_sync (NavetteReplica          *self,
                      NavetteClient           *client,
                      const char              *app,
                      const NavetteWireTable  *schema,
                      gint64                  *revision,
                      guint64                 *n_rows,
                      GError                 **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_replica_sync_async (self, client, app, schema, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  return navette_replica_sync_finish (self, result, revision, n_rows, error);
}

/* ---- Table info ---- */

typedef struct
{
  const char *app;
  const char *table;
  gint64      revision;
  guint64     n_rows;
  GError     *error;
} Info;

static void
info_job (NavetteReplica *self,
          gpointer        data)
{
  Info *info = data;
  gint64 id = replica_lookup_table (self, info->app, info->table, &info->revision, NULL, &info->error);
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;

  if (id <= 0)
    {
      info->revision = -1;
      return;
    }
  sql = g_strdup_printf ("SELECT count(*) FROM r%" G_GINT64_FORMAT, id);
  stmt = replica_sql_prepare (self, sql, &info->error);
  if (stmt == NULL)
    return;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    info->n_rows = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
}

gboolean
navette_replica_get_table_info (NavetteReplica  *self,
                                const char      *app,
                                const char      *table,
                                gint64          *revision,
                                guint64         *n_rows,
                                GError         **error)
{
  Info info = { .app = app, .table = table, .revision = -1 };

  g_return_val_if_fail (NAVETTE_IS_REPLICA (self), FALSE);

  replica_run_job_sync (self, info_job, &info);
  if (info.error != NULL)
    {
      g_propagate_error (error, info.error);
      return FALSE;
    }
  if (revision != NULL)
    *revision = info.revision;
  if (n_rows != NULL)
    *n_rows = info.n_rows;
  return TRUE;
}
