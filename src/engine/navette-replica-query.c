/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-query.c — the replica's read side (see navette-replica.h):
 * views (sort, search, archived filter) as row keys, records fetched by
 * key, cursors that stream a view, and dropping a table or looking up a
 * record's key. The worker, the SQL helpers and the write side are in
 * navette-replica.c (shared through navette-replica-private.h). */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <sqlite3.h>
#include <glib/gi18n-lib.h>

#include "navette-replica.h"
#include "navette-engine-private.h"
#include "navette-replica-private.h"

/* ---- Views ---- */

static const char * const meta_columns[] = { "id", "version", "revision", "updated_at", "updated_by", NULL };

/* An FTS5 query: each word quoted, as a prefix. NULL when no word. */
static char *
fts_query (const char *search)
{
  g_auto(GStrv) words = g_strsplit_set (search, " \t\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, '"');
      for (const char *p = words[i]; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append (out, "\"*");
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* Whether @column is one of @fts_columns ("a,b": the table's text
 * columns). */
static gboolean
is_text_column (const char *fts_columns,
                const char *column)
{
  g_auto(GStrv) names = g_strsplit (fts_columns != NULL ? fts_columns : "", ",", -1);

  return g_strv_contains ((const char * const *) names, column);
}

/* replica_ensure_sort_keys() in a transaction of its own. */
static gboolean
ensure_sort_keys (NavetteReplica  *self,
                  gint64           id,
                  const char      *fts_columns,
                  GError         **error)
{
  if (!replica_sql_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!replica_ensure_sort_keys (self, id, fts_columns, error) ||
      !replica_sql_exec (self, "COMMIT", error))
    {
      replica_sql_rollback (self);
      return FALSE;
    }
  return TRUE;
}

/* Prepares the statement of @view, selecting @what. NULL and @error for an
 * unknown table or column. */
static sqlite3_stmt *
view_prepare (NavetteReplica            *self,
              const char                *app,
              const char                *table,
              const NavetteReplicaView  *view,
              const char                *what,
              GError                   **error)
{
  g_autofree char *fts = NULL;
  g_autofree char *sort = NULL;
  g_autofree char *query = NULL;
  g_autoptr(GString) sql = g_string_new (NULL);
  gint64 id = replica_lookup_table (self, app, table, NULL, &fts, error);
  sqlite3_stmt *stmt;

  if (id < 0)
    return NULL;
  if (id == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The table %s/%s is not in the local replica."), app, table);
      return NULL;
    }

  if (view->sort_column == NULL || g_strcmp0 (view->sort_column, "id") == 0)
    sort = g_strdup ("id");
  else if (g_strcmp0 (view->sort_column, "key") == 0)
    sort = g_strdup ("key");
  else if (g_strv_contains (meta_columns, view->sort_column))
    sort = g_strdup (view->sort_column);
  else
    {
      g_autoptr(GHashTable) have = replica_sql_columns (self, id, error);
      g_autofree char *sql_name = g_strconcat ("c_", view->sort_column, NULL);

      if (have == NULL)
        return NULL;
      if (!navette_name_is_valid (view->sort_column) || !g_hash_table_contains (have, sql_name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("There is no column “%s” in %s/%s."), view->sort_column, app, table);
          return NULL;
        }
      if (is_text_column (fts, view->sort_column))
        {
          /* Text sorts by its sort key (navette-sort-key.c). A table made
           * before keys gets them now, once (the same as its next sync
           * would). */
          g_autofree char *k_name = g_strconcat ("k_", view->sort_column, NULL);

          if (!g_hash_table_contains (have, k_name) && !ensure_sort_keys (self, id, fts, error))
            return NULL;
          sort = g_strdup_printf ("\"%s\"", k_name);
        }
      else
        sort = g_strdup_printf ("\"%s\"", sql_name);
    }
  if (g_strcmp0 (sort, "key") != 0)
    {
      /* The order of the keys (the model's default) needs no index. The
       * index of a sort: made once, kept up to date by SQLite. It
       * covers what a view's keys need (the row key is in every index, and
       * archived is filtered from it), so that the keys of a whole table
       * are an index scan, not one lookup of the table per row. */
      g_autofree char *index = NULL;

      if (g_strcmp0 (sort, "id") == 0 && view->archived == NAVETTE_REPLICA_ARCHIVED_ALL)
        /* The unique index on id (r<ID>_id) covers it: (id, key).
         * (navette-cli ls's default: its first run no longer builds a
         * second index of every id, 2 s and 60 MB for a million rows.) */
        index = NULL;
      else if (g_strcmp0 (sort, "id") == 0)
        index = g_strdup_printf ("CREATE INDEX IF NOT EXISTS \"v%1$" G_GINT64_FORMAT "_id\" ON r%1$" G_GINT64_FORMAT " (id, archived)", id);
      else
        /* (An index of the column alone, i<ID>_<column>, was made before:
         * dropped, not to be kept up to date for nothing.) */
        index = g_strdup_printf ("DROP INDEX IF EXISTS \"i%1$" G_GINT64_FORMAT "_%2$s\";"
                                 "CREATE INDEX IF NOT EXISTS \"%4$c%1$" G_GINT64_FORMAT "_%2$s\" ON r%1$" G_GINT64_FORMAT " (%3$s, id, archived)",
                                 id, view->sort_column, sort,
                                 /* w<ID>_<column>: on a text column's key */
                                 g_str_has_prefix (sort, "\"k_") ? 'w' : 'v');
      if (index != NULL && !replica_sql_exec (self, index, error))
        return NULL;
    }
  else if (view->archived != NAVETTE_REPLICA_ARCHIVED_ALL)
    {
      /* The order of the keys with archived rows left out (or only
       * them): the index on archived holds (archived, key), so the keys
       * are one range of it in order — 10 MB for a million rows, where a
       * scan of the table reads every row (300 MB), from the disk after
       * a reboot. */
      g_autofree char *index = g_strdup_printf ("CREATE INDEX IF NOT EXISTS \"v%1$" G_GINT64_FORMAT "_key\" ON r%1$" G_GINT64_FORMAT " (archived)", id);

      if (!replica_sql_exec (self, index, error))
        return NULL;
    }

  g_string_append_printf (sql, "SELECT %s FROM r%" G_GINT64_FORMAT " WHERE ", what, id);
  /* Another order reads its own index, which covers archived: the index
   * on archived must not be used there (without statistics, SQLite takes
   * archived = 0 for a selective term and would sort the whole table).
   * A unary + keeps a term from using an index. */
  if (g_strcmp0 (sort, "key") != 0)
    g_string_append_c (sql, '+');
  if (view->archived == NAVETTE_REPLICA_ARCHIVED_HIDE)
    g_string_append (sql, "archived = 0");
  else if (view->archived == NAVETTE_REPLICA_ARCHIVED_ONLY)
    g_string_append (sql, "archived = 1");
  else
    g_string_append (sql, "1");
  if (view->search != NULL && (query = fts_query (view->search)) != NULL)
    {
      if (fts == NULL || *fts == '\0')
        g_string_append (sql, " AND 0");
      else
        g_string_append_printf (sql, " AND key IN (SELECT rowid FROM f%" G_GINT64_FORMAT " WHERE f%" G_GINT64_FORMAT " MATCH ?1)", id, id);
    }
  g_string_append_printf (sql, " ORDER BY %s %s", sort, view->descending ? "DESC" : "ASC");
  if (g_strcmp0 (sort, "id") != 0 && g_strcmp0 (sort, "key") != 0)
    g_string_append_printf (sql, ", id %s", view->descending ? "DESC" : "ASC");
  if (view->limit > 0)
    g_string_append_printf (sql, " LIMIT %u", view->limit);

  stmt = replica_sql_prepare (self, sql->str, error);
  if (stmt != NULL && query != NULL && fts != NULL && *fts != '\0')
    sqlite3_bind_text (stmt, 1, query, -1, SQLITE_TRANSIENT);
  return stmt;
}

typedef struct
{
  char                   *app;
  char                   *table;
  char                   *sort_column;
  char                   *search;
  NavetteReplicaView      view;
  GArray                 *keys;     /* fetch: in; query: out */
  gboolean                keyed;    /* fetch: NULL for a key not there */
  guint                   n_total;  /* head: out, the view's row count */
  guint                   n_rows;   /* head: the first keys whose records are read */
  GPtrArray              *rows;     /* head: out, those records (keyed) */
} ViewJob;

static void
view_job_free (ViewJob *job)
{
  g_free (job->app);
  g_free (job->table);
  g_free (job->sort_column);
  g_free (job->search);
  g_clear_pointer (&job->keys, g_array_unref);
  g_clear_pointer (&job->rows, g_ptr_array_unref);
  g_free (job);
}

static ViewJob *
view_job_new (const char               *app,
              const char               *table,
              const NavetteReplicaView *view)
{
  ViewJob *job = g_new0 (ViewJob, 1);

  job->app = g_strdup (app);
  job->table = g_strdup (table);
  if (view != NULL)
    {
      job->view = *view;
      job->sort_column = g_strdup (view->sort_column);
      job->search = g_strdup (view->search);
    }
  job->view.sort_column = job->sort_column;
  job->view.search = job->search;
  return job;
}

/* The task of an async call on the replica's worker, holding @job
 * (taken). No source object: the worker may drop the task's last
 * reference. */
static GTask *
view_task_new (gpointer             source_tag,
               ViewJob             *job,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) view_job_free);
  return task;
}

/* ---- Sort indexes built in the background ----
 *
 * The index of a sort is made by the first view sorted so
 * (view_prepare()): a second or two at a million rows, the wait of the
 * first click on a column's header. Once a table is complete, they are
 * made beforehand, one column per job, behind every other job. */

typedef struct
{
  char *app;
  char *table;
  char *column;  /* "key": the order rows entered, archived hidden */
} SortIndexJob;

static void
sort_index_job_free (gpointer data)
{
  SortIndexJob *job = data;

  g_free (job->app);
  g_free (job->table);
  g_free (job->column);
  g_free (job);
}

static void
sort_index_job (NavetteReplica *self,
                gpointer        data)
{
  SortIndexJob *job = data;
  NavetteReplicaView view = { .sort_column = job->column, .archived = NAVETTE_REPLICA_ARCHIVED_HIDE };
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  sqlite3_stmt *stmt;

  if (!replica_background_begin (self))
    {
      replica_background_again (self, sort_index_job, job, sort_index_job_free);
      return;
    }
  /* Preparing the view makes its index (and a text column's sort keys,
   * if the table lacks them): one piece of code for both. */
  stmt = view_prepare (self, job->app, job->table, &view, "key", &error);
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (replica_background_end (self))
    {
      g_debug ("Replica: sort index of %s/%s by %s yielded after %.0f ms", job->app, job->table, job->column,
               (g_get_monotonic_time () - start) / 1000.0);
      replica_background_again (self, sort_index_job, job, sort_index_job_free);
      return;
    }
  if (error != NULL)
    g_debug ("Replica: sort index of %s/%s by %s: %s", job->app, job->table, job->column, error->message);
  else
    g_debug ("Replica: sort index of %s/%s by %s ready in %.0f ms", job->app, job->table, job->column,
             (g_get_monotonic_time () - start) / 1000.0);
  sort_index_job_free (job);
}

void
navette_replica_build_sort_indexes (NavetteReplica         *self,
                                    const char             *app,
                                    const NavetteWireTable *schema)
{
  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL && schema != NULL);

  /* The window's default order first (its index is the smallest), then
   * every column, as the window lets each be sorted. */
  for (guint i = 0; i <= schema->columns->len; i++)
    {
      SortIndexJob *job = g_new0 (SortIndexJob, 1);

      job->app = g_strdup (app);
      job->table = g_strdup (schema->name);
      job->column = g_strdup (i == 0 ? "key" : ((NavetteWireColumn *) g_ptr_array_index (schema->columns, i - 1))->name);
      replica_push_job_background (self, sort_index_job, job, sort_index_job_free);
    }
}

/* ---- The worker's cache of views ----
 *
 * A search typed while the view is sorted used to read two things of a
 * million entries each time: the FTS rows it matched, and the view's
 * order (the sort's index). The worker keeps the last of each, for one
 * table: the keys of the last view read without a search (shared with
 * the model that asked for them: the arrays are never changed once
 * returned), and the bitmap of the rows the last search matched. Both
 * are valid while nothing changed in the file: the stamp is the
 * connection's total_changes() (every insert, update and delete of this
 * connection, triggers included, rolled back or not) and PRAGMA
 * data_version (a commit by any other connection). So a search typed
 * in a sorted view reads the FTS rows only, a sort changed while a
 * search is active reads the sort's index only, and clearing the search
 * reads nothing. */

/* Whether @key's bit is set in @bits, the bitmap of keys 0..@max_key. */
static inline gboolean
bitmap_has (const guint8 *bits,
            gint64        max_key,
            gint64        key)
{
  return key >= 0 && key <= max_key && (bits[key / 8] & (1 << (key % 8))) != 0;
}
struct _ReplicaViewCache
{
  gint64                  changes;
  gint64                  version;
  gint64                  table;
  /* the keys of a view without a search, whole (no limit) */
  char                   *sort;
  gboolean                descending;
  NavetteReplicaArchived  archived;
  GArray                 *keys;
  /* the rows the FTS query @query matched, bits of keys 0..@max_key */
  char                   *query;
  guint8                 *bits;
  gint64                  max_key;
  gint64                  n_match;
};

void
replica_view_cache_free (ReplicaViewCache *cache)
{
  g_free (cache->sort);
  g_clear_pointer (&cache->keys, g_array_unref);
  g_free (cache->query);
  g_free (cache->bits);
  g_free (cache);
}

/* The cache for table @id, emptied when anything changed since it was
 * filled. NULL and @error when the stamp cannot be read. */
static ReplicaViewCache *
view_cache_get (NavetteReplica  *self,
                gint64           id,
                GError         **error)
{
  ReplicaViewCache **slot = replica_view_cache (self);
  gint64 changes, version;

  if ((changes = replica_sql_int (self, "SELECT total_changes()", error)) < 0 ||
      (version = replica_sql_int (self, "PRAGMA data_version", error)) < 0)
    return NULL;
  if (*slot == NULL || (*slot)->changes != changes || (*slot)->version != version || (*slot)->table != id)
    {
      g_clear_pointer (slot, replica_view_cache_free);
      *slot = g_new0 (ReplicaViewCache, 1);
      (*slot)->changes = changes;
      (*slot)->version = version;
      (*slot)->table = id;
    }
  return *slot;
}

/* The sort of @view as the cache names it (no column: by id). */
static const char *
view_sort_name (const NavetteReplicaView *view)
{
  return view->sort_column != NULL ? view->sort_column : "id";
}

/* The cached keys of @view without its search and limit, or NULL. */
static GArray *
view_cache_keys (ReplicaViewCache         *cache,
                 const NavetteReplicaView *view)
{
  if (cache == NULL || cache->keys == NULL ||
      g_strcmp0 (cache->sort, view_sort_name (view)) != 0 ||
      cache->descending != view->descending || cache->archived != view->archived)
    return NULL;
  return cache->keys;
}

/* Keeps @keys (a whole view without a search, read at the cache's stamp). */
static void
view_cache_put_keys (ReplicaViewCache         *cache,
                     const NavetteReplicaView *view,
                     GArray                   *keys)
{
  g_clear_pointer (&cache->keys, g_array_unref);
  g_free (cache->sort);
  cache->sort = g_strdup (view_sort_name (view));
  cache->descending = view->descending;
  cache->archived = view->archived;
  cache->keys = g_array_ref (keys);
}

/* The first @limit keys of @keys (all of them for 0): @keys itself
 * (a reference) when it has no more. */
static GArray *
keys_head (GArray *keys,
           guint   limit)
{
  GArray *head;

  if (limit == 0 || keys->len <= limit)
    return g_array_ref (keys);
  head = g_array_sized_new (FALSE, FALSE, sizeof (gint64), limit);
  g_array_append_vals (head, keys->data, limit);
  return head;
}

/* Reads the rows of table @id matching @query into the cache's bitmap
 * (when it is not there already). */
static gboolean
view_cache_match (NavetteReplica    *self,
                  ReplicaViewCache  *cache,
                  gint64             id,
                  const char        *query,
                  GError           **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  gint64 max_key;
  int rc;

  if (cache->bits != NULL && g_strcmp0 (cache->query, query) == 0)
    return TRUE;
  g_clear_pointer (&cache->query, g_free);
  g_clear_pointer (&cache->bits, g_free);
  sql = g_strdup_printf ("SELECT coalesce(max(key), 0) FROM r%" G_GINT64_FORMAT, id);
  if ((max_key = replica_sql_int (self, sql, error)) < 0)
    return FALSE;
  cache->max_key = max_key;
  cache->n_match = 0;
  cache->bits = g_malloc0 (max_key / 8 + 1);
  g_free (sql);
  sql = g_strdup_printf ("SELECT rowid FROM f%1$" G_GINT64_FORMAT " WHERE f%1$" G_GINT64_FORMAT " MATCH ?", id);
  if (!(stmt = replica_sql_prepare (self, sql, error)))
    {
      g_clear_pointer (&cache->bits, g_free);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, query, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 key = sqlite3_column_int64 (stmt, 0);

      if (key >= 0 && key <= max_key)
        {
          cache->bits[key / 8] |= 1 << (key % 8);
          cache->n_match++;
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_clear_pointer (&cache->bits, g_free);
      return replica_sql_fail (self, "searching", error);
    }
  cache->query = g_strdup (query);
  return TRUE;
}

/* Reads the keys of @view (no search) with SQL; a whole view is kept
 * in @cache (when not NULL). */
static GArray *
view_read_keys (NavetteReplica           *self,
                ViewJob                  *job,
                const NavetteReplicaView *view,
                ReplicaViewCache         *cache,
                GError                  **error)
{
  sqlite3_stmt *stmt = view_prepare (self, job->app, job->table, view, "key", error);
  GArray *keys;
  int rc;

  if (stmt == NULL)
    return NULL;
  keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 key = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (keys, key);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      replica_sql_fail (self, "querying a view", error);
      g_array_unref (keys);
      return NULL;
    }
  if (cache != NULL && view->limit == 0)
    {
      g_autofree char *query = view->search != NULL ? fts_query (view->search) : NULL;

      if (query == NULL)
        view_cache_put_keys (cache, view, keys);
    }
  return keys;
}

/* The keys of a view in the order of the keys (unsorted, the model's
 * default), searched, from the bitmap of the rows the search matched:
 * they are its bits in order, less (or, for ARCHIVED_ONLY, only) the
 * archived rows — few, read from the index on archived. A second scan of
 * a million entries saved. Only when the table's last walk completed
 * (revision >= 0): then every row of the FTS index is a row of the
 * table (during a whole walk, rows it removed may still be there). */
static GArray *
keys_from_bitmap (NavetteReplica  *self,
                  ViewJob         *job,
                  guint8          *bits,
                  gint64           max_key,
                  GError         **error)
{
  NavetteReplicaView archived = { .sort_column = "key", .archived = NAVETTE_REPLICA_ARCHIVED_ONLY };
  const guint limit = job->view.limit;
  sqlite3_stmt *stmt;
  GArray *keys;
  int rc;

  if (job->view.archived != NAVETTE_REPLICA_ARCHIVED_ALL)
    {
      g_autoptr(GArray) only = g_array_new (FALSE, FALSE, sizeof (gint64));

      if (!(stmt = view_prepare (self, job->app, job->table, &archived, "key", error)))
        return NULL;
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 key = sqlite3_column_int64 (stmt, 0);

          if (!bitmap_has (bits, max_key, key))
            continue;
          if (job->view.archived == NAVETTE_REPLICA_ARCHIVED_HIDE)
            bits[key / 8] &= ~(1 << (key % 8));
          else
            g_array_append_val (only, key);
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          replica_sql_fail (self, "querying a view", error);
          return NULL;
        }
      if (job->view.archived == NAVETTE_REPLICA_ARCHIVED_ONLY)
        {
          if (job->view.descending)
            for (guint i = 0; i < only->len / 2; i++)
              {
                gint64 tmp = g_array_index (only, gint64, i);

                g_array_index (only, gint64, i) = g_array_index (only, gint64, only->len - 1 - i);
                g_array_index (only, gint64, only->len - 1 - i) = tmp;
              }
          if (limit > 0 && only->len > limit)
            g_array_set_size (only, limit);
          return g_steal_pointer (&only);
        }
    }

  keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (gint64 i = 0; i <= max_key / 8 && (limit == 0 || keys->len < limit); i++)
    {
      gint64 byte = job->view.descending ? max_key / 8 - i : i;

      if (bits[byte] == 0)
        continue;
      for (guint b = 0; b < 8 && (limit == 0 || keys->len < limit); b++)
        {
          guint bit = job->view.descending ? 7 - b : b;

          if (bits[byte] & (1 << bit))
            {
              gint64 key = byte * 8 + bit;

              g_array_append_val (keys, key);
            }
        }
    }
  return keys;
}

/* The keys of a view from the worker's cache and bitmap; NULL without
 * error when SQL alone does it better (no search, a view not cached; a
 * selective search, fewer than one row in 16 matching: the FTS rows
 * joined to the table and sorted). A search most rows match (a word
 * every row has): the rows it matched are a bitmap of row keys, and the
 * view's keys without the search (an index scan, see view_prepare(), or
 * the cache) are kept when their bit is set — the same order, ties
 * included, as the join. Joining a million FTS rows to the table instead
 * costs one lookup per match (seconds). */
static GArray *
query_keys_cached (NavetteReplica    *self,
                   ViewJob           *job,
                   ReplicaViewCache **out_cache,
                   GError           **error)
{
  NavetteReplicaSearchPlan plan = replica_search_plan (self);
  g_autofree char *fts = NULL;
  g_autofree char *query = NULL;
  g_autoptr(GArray) all_keys = NULL;
  NavetteReplicaView all = job->view;
  ReplicaViewCache *cache;
  gint64 id, revision = -1;
  GArray *keys;

  id = replica_lookup_table (self, job->app, job->table, &revision, &fts, error);
  if (id <= 0)
    return NULL;  /* view_prepare() says why */
  if ((cache = view_cache_get (self, id, error)) == NULL)
    return NULL;
  *out_cache = cache;
  all.search = NULL;
  all.limit = 0;
  if (job->view.search == NULL || (query = fts_query (job->view.search)) == NULL)
    {
      GArray *cached = view_cache_keys (cache, &all);

      return cached != NULL ? keys_head (cached, job->view.limit) : NULL;
    }
  if (fts == NULL || *fts == '\0' || plan == NAVETTE_REPLICA_SEARCH_JOIN)
    return NULL;  /* nothing to match, or the join asked for */
  if (!view_cache_match (self, cache, id, query, error))
    return NULL;
  if (plan != NAVETTE_REPLICA_SEARCH_BITMAP &&
      (cache->max_key < 64 || cache->n_match * 16 < cache->max_key))
    return NULL;  /* a small table or a selective search */

  if (g_strcmp0 (job->view.sort_column, "key") == 0 && revision >= 0)
    {
      /* keys_from_bitmap() clears the bits of archived rows. */
      g_autofree guint8 *bits = g_memdup2 (cache->bits, cache->max_key / 8 + 1);

      return keys_from_bitmap (self, job, bits, cache->max_key, error);
    }

  if (view_cache_keys (cache, &all) != NULL)
    all_keys = g_array_ref (view_cache_keys (cache, &all));
  else if (!(all_keys = view_read_keys (self, job, &all, cache, error)))
    return NULL;
  keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < all_keys->len && (job->view.limit == 0 || keys->len < job->view.limit); i++)
    {
      gint64 key = g_array_index (all_keys, gint64, i);

      if (bitmap_has (cache->bits, cache->max_key, key))
        g_array_append_val (keys, key);
    }
  return keys;
}

static void
query_keys_job (NavetteReplica *self,
                gpointer        data)
{
  GTask *task = data;
  ViewJob *job = g_task_get_task_data (task);
  ReplicaViewCache *cache = NULL;
  GError *error = NULL;
  GArray *keys;

  if (g_task_return_error_if_cancelled (task))
    ;
  else if ((keys = query_keys_cached (self, job, &cache, &error)) != NULL)
    g_task_return_pointer (task, keys, (GDestroyNotify) g_array_unref);
  else if (error != NULL)
    g_task_return_error (task, error);
  else if ((keys = view_read_keys (self, job, &job->view, cache, &error)) != NULL)
    g_task_return_pointer (task, keys, (GDestroyNotify) g_array_unref);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

void
navette_replica_query_keys_async (NavetteReplica           *self,
                                  const char               *app,
                                  const char               *table,
                                  const NavetteReplicaView *view,
                                  GCancellable             *cancellable,
                                  GAsyncReadyCallback       callback,
                                  gpointer                  user_data)
{
  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL && table != NULL);

  replica_push_job (self, query_keys_job,
                    view_task_new (navette_replica_query_keys_async, view_job_new (app, table, view),
                                   cancellable, callback, user_data));
}

GArray *
navette_replica_query_keys_finish (NavetteReplica  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- The head of a view: its first keys and its count ---- */

static GPtrArray *fetch_rows (NavetteReplica  *self,
                              const char      *app,
                              const char      *table,
                              GArray          *keys,
                              gboolean         keyed,
                              GError         **error);

/* The number of rows of a view without search: the table's count (SQLite
 * counts the entries of its smallest index without stepping them, ~10 ms
 * for a million) less, or only, the archived rows (a range of the index
 * on archived: few). -1 on failure. */
static gint64
view_count (NavetteReplica            *self,
            const char                *app,
            const char                *table,
            const NavetteReplicaView  *view,
            GError                   **error)
{
  g_autofree char *sql = NULL;
  gint64 id = replica_lookup_table (self, app, table, NULL, NULL, error);
  gint64 all, archived;

  if (id <= 0)
    return id < 0 ? -1 : 0;
  sql = g_strdup_printf ("SELECT count(*) FROM r%" G_GINT64_FORMAT, id);
  if ((all = replica_sql_int (self, sql, error)) < 0)
    return -1;
  if (view->archived == NAVETTE_REPLICA_ARCHIVED_ALL)
    return all;
  /* The index on archived (the unsorted view's, see view_prepare()). */
  g_free (sql);
  sql = g_strdup_printf ("CREATE INDEX IF NOT EXISTS \"v%1$" G_GINT64_FORMAT "_key\" ON r%1$" G_GINT64_FORMAT " (archived)", id);
  if (!replica_sql_exec (self, sql, error))
    return -1;
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM r%" G_GINT64_FORMAT " WHERE archived = 1", id);
  if ((archived = replica_sql_int (self, sql, error)) < 0)
    return -1;
  return view->archived == NAVETTE_REPLICA_ARCHIVED_ONLY ? archived : all - archived;
}

static void
query_head_job (NavetteReplica *self,
                gpointer        data)
{
  GTask *task = data;
  ViewJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  sqlite3_stmt *stmt = NULL;
  GArray *keys = NULL;
  gint64 n_total;
  int rc;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  stmt = view_prepare (self, job->app, job->table, &job->view, "key", &error);
  if (stmt != NULL)
    {
      keys = g_array_sized_new (FALSE, FALSE, sizeof (gint64), job->view.limit);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 key = sqlite3_column_int64 (stmt, 0);
          g_array_append_val (keys, key);
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          replica_sql_fail (self, "querying a view", &error);
          g_clear_pointer (&keys, g_array_unref);
        }
    }
  if (keys != NULL)
    {
      /* The same snapshot: nothing else runs on the connection between. */
      n_total = keys->len < job->view.limit
                ? (gint64) keys->len
                : view_count (self, job->app, job->table, &job->view, &error);
      if (n_total < 0)
        g_clear_pointer (&keys, g_array_unref);
      else
        job->n_total = MAX ((guint) n_total, keys->len);
    }
  if (keys != NULL && job->n_rows > 0)
    {
      /* The first rows too: the view binds its first screens to records
       * already read, not to placeholders filled a moment later (each
       * cell set twice, the rows measured twice). */
      g_autoptr(GArray) first = g_array_sized_new (FALSE, FALSE, sizeof (gint64), job->n_rows);

      g_array_append_vals (first, keys->data, MIN (job->n_rows, keys->len));
      job->rows = fetch_rows (self, job->app, job->table, first, TRUE, &error);
      if (job->rows == NULL)
        g_clear_pointer (&keys, g_array_unref);
    }
  if (keys == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, keys, (GDestroyNotify) g_array_unref);
  g_object_unref (task);
}

void
navette_replica_query_head_async (NavetteReplica           *self,
                                  const char               *app,
                                  const char               *table,
                                  const NavetteReplicaView *view,
                                  guint                     head,
                                  guint                     n_rows,
                                  GCancellable             *cancellable,
                                  GAsyncReadyCallback       callback,
                                  gpointer                  user_data)
{
  ViewJob *job;

  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL && table != NULL && view != NULL);
  g_return_if_fail (view->search == NULL && head > 0);

  job = view_job_new (app, table, view);
  job->view.limit = head;
  job->n_rows = MIN (n_rows, head);
  /* Before a sync's jobs queued meanwhile (and the whole keys of the
   * view): the user waits on it. */
  replica_push_job_first (self, query_head_job,
                          view_task_new (navette_replica_query_head_async, job, cancellable, callback, user_data));
}

GArray *
navette_replica_query_head_finish (NavetteReplica  *self,
                                   GAsyncResult    *result,
                                   guint           *n_total,
                                   GPtrArray      **rows,
                                   GError         **error)
{
  ViewJob *job;
  GArray *keys;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  keys = g_task_propagate_pointer (G_TASK (result), error);
  job = g_task_get_task_data (G_TASK (result));
  if (n_total != NULL)
    *n_total = keys != NULL ? job->n_total : 0;
  if (rows != NULL)
    *rows = keys != NULL && job->rows != NULL ? g_ptr_array_ref (job->rows) : NULL;
  return keys;
}

/* The record of the current row of a statement selecting ROW_COLUMNS. */
#define ROW_COLUMNS "id, version, revision, archived, updated_at, updated_by, data"

static NavetteRecord *
row_to_record (sqlite3_stmt *stmt)
{
  NavettePackedRecord *packed = g_new0 (NavettePackedRecord, 1);
  const char *by = (const char *) sqlite3_column_text (stmt, 5);

  packed->id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  packed->version = sqlite3_column_int64 (stmt, 1);
  packed->revision = sqlite3_column_int64 (stmt, 2);
  packed->archived = sqlite3_column_int (stmt, 3) != 0;
  packed->updated_at = sqlite3_column_int64 (stmt, 4);
  packed->updated_by = by != NULL ? g_intern_string (by) : NULL;
  packed->data_json = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  return navette_record_new_from_packed (packed);
}

static void
unref_nullable (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

/* The records of @keys (NULL for a key not there when @keyed, else left
 * out), or NULL and @error. */
static GPtrArray *
fetch_rows (NavetteReplica  *self,
            const char      *app,
            const char      *table,
            GArray          *keys,
            gboolean         keyed,
            GError         **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  GPtrArray *rows;
  gint64 id;

  id = replica_lookup_table (self, app, table, NULL, NULL, error);
  if (id <= 0)
    {
      if (id == 0)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("The table %s/%s is not in the local replica."), app, table);
      return NULL;
    }
  sql = g_strdup_printf ("SELECT " ROW_COLUMNS " FROM r%" G_GINT64_FORMAT " WHERE key = ?", id);
  if (!(stmt = replica_sql_prepare (self, sql, error)))
    return NULL;
  rows = g_ptr_array_new_full (keys->len, unref_nullable);
  for (guint i = 0; i < keys->len; i++)
    {
      sqlite3_bind_int64 (stmt, 1, g_array_index (keys, gint64, i));
      if (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (rows, row_to_record (stmt));
      else if (keyed)
        g_ptr_array_add (rows, NULL);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  return rows;
}

static void
fetch_job (NavetteReplica *self,
           gpointer        data)
{
  GTask *task = data;
  ViewJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  GPtrArray *rows;

  if (!g_task_return_error_if_cancelled (task))
    {
      rows = fetch_rows (self, job->app, job->table, job->keys, job->keyed, &error);
      if (rows == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
    }
  g_object_unref (task);
}

static void
fetch_start (NavetteReplica      *self,
             const char          *app,
             const char          *table,
             const gint64        *keys,
             guint                n_keys,
             gboolean             keyed,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  ViewJob *job;

  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL && table != NULL);
  g_return_if_fail (keys != NULL || n_keys == 0);

  job = view_job_new (app, table, NULL);
  job->keyed = keyed;
  job->keys = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n_keys);
  g_array_append_vals (job->keys, keys, n_keys);
  /* Rows a view waits on (a few hundred): before a sync's jobs and a
   * view's whole keys queued meanwhile. */
  replica_push_job_first (self, fetch_job,
                          view_task_new (navette_replica_fetch_async, job, cancellable, callback, user_data));
}

void
navette_replica_fetch_async (NavetteReplica      *self,
                             const char          *app,
                             const char          *table,
                             const gint64        *keys,
                             guint                n_keys,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  fetch_start (self, app, table, keys, n_keys, FALSE, cancellable, callback, user_data);
}

void
navette_replica_fetch_keyed_async (NavetteReplica      *self,
                                   const char          *app,
                                   const char          *table,
                                   const gint64        *keys,
                                   guint                n_keys,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  fetch_start (self, app, table, keys, n_keys, TRUE, cancellable, callback, user_data);
}

GPtrArray *
navette_replica_fetch_finish (NavetteReplica  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Cursors ---- */

struct _NavetteReplicaCursor
{
  NavetteReplica *replica;
  ViewJob        *job;
  sqlite3_stmt   *stmt;
  guint           n;        /* next: rows wanted */
  GPtrArray      *rows;     /* next: out */
  GError         *error;
  gboolean        done;
};

static void
cursor_open_job (NavetteReplica *self,
                 gpointer        data)
{
  NavetteReplicaCursor *cursor = data;

  cursor->stmt = view_prepare (self, cursor->job->app, cursor->job->table, &cursor->job->view,
                               ROW_COLUMNS, &cursor->error);
}

static void
cursor_next_job (NavetteReplica *self,
                 gpointer        data)
{
  NavetteReplicaCursor *cursor = data;

  cursor->rows = g_ptr_array_new_full (cursor->n, g_object_unref);
  while (!cursor->done && cursor->rows->len < cursor->n)
    {
      int rc = sqlite3_step (cursor->stmt);

      if (rc == SQLITE_ROW)
        g_ptr_array_add (cursor->rows, row_to_record (cursor->stmt));
      else
        {
          cursor->done = TRUE;
          if (rc != SQLITE_DONE)
            replica_sql_fail (self, "reading a view", &cursor->error);
        }
    }
}

static void
cursor_close_job (NavetteReplica *self,
                  gpointer        data)
{
  NavetteReplicaCursor *cursor = data;

  g_clear_pointer (&cursor->stmt, sqlite3_finalize);
}

NavetteReplicaCursor *
navette_replica_cursor_open (NavetteReplica           *self,
                             const char               *app,
                             const char               *table,
                             const NavetteReplicaView *view,
                             GError                  **error)
{
  NavetteReplicaCursor *cursor;

  g_return_val_if_fail (NAVETTE_IS_REPLICA (self), NULL);

  cursor = g_new0 (NavetteReplicaCursor, 1);
  cursor->replica = self;
  cursor->job = view_job_new (app, table, view);
  replica_run_job_sync (self, cursor_open_job, cursor);
  if (cursor->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&cursor->error));
      navette_replica_cursor_free (cursor);
      return NULL;
    }
  return cursor;
}

GPtrArray *
navette_replica_cursor_next (NavetteReplicaCursor  *cursor,
                             guint                  n,
                             GError               **error)
{
  g_return_val_if_fail (cursor != NULL && n > 0, NULL);

  if (cursor->done)
    return g_ptr_array_new_with_free_func (g_object_unref);
  cursor->n = n;
  replica_run_job_sync (cursor->replica, cursor_next_job, cursor);
  if (cursor->error != NULL)
    {
      g_clear_pointer (&cursor->rows, g_ptr_array_unref);
      g_propagate_error (error, g_steal_pointer (&cursor->error));
      return NULL;
    }
  return g_steal_pointer (&cursor->rows);
}

void
navette_replica_cursor_free (NavetteReplicaCursor *cursor)
{
  if (cursor == NULL)
    return;
  if (cursor->stmt != NULL)
    replica_run_job_sync (cursor->replica, cursor_close_job, cursor);
  g_clear_pointer (&cursor->job, view_job_free);
  g_clear_error (&cursor->error);
  g_free (cursor);
}

/* ---- Dropping tables (issue 14: tables the user may no longer read) ---- */

static void
drop_job (NavetteReplica *self,
          gpointer        data)
{
  GTask *task = data;
  ViewJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  if (!replica_sql_exec (self, "BEGIN IMMEDIATE", &error))
    goto fail;
  stmt = replica_sql_prepare (self, "SELECT id FROM replica_tables WHERE app = ?1 AND (?2 IS NULL OR name = ?2)", &error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, job->app, -1, SQLITE_STATIC);
  if (job->table != NULL)
    sqlite3_bind_text (stmt, 2, job->table, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      replica_sql_fail (self, "listing the tables to drop", &error);
      goto fail;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      /* The table's triggers and indexes go with it. */
      g_autofree char *sql = g_strdup_printf ("DROP TABLE IF EXISTS f%1$" G_GINT64_FORMAT ";"
                                              "DROP TABLE IF EXISTS r%1$" G_GINT64_FORMAT ";"
                                              "DELETE FROM replica_tables WHERE id = %1$" G_GINT64_FORMAT ";", id);

      if (!replica_sql_exec (self, sql, &error))
        goto fail;
    }
  if (!replica_sql_exec (self, "COMMIT", &error))
    goto fail;
  g_task_return_int (task, ids->len);
  g_object_unref (task);
  return;

fail:
  replica_sql_rollback (self);
  g_task_return_error (task, error);
  g_object_unref (task);
}

void
navette_replica_drop_async (NavetteReplica      *self,
                            const char          *app,
                            const char          *table,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL);

  replica_push_job (self, drop_job,
                    view_task_new (navette_replica_drop_async, view_job_new (app, table, NULL),
                                   cancellable, callback, user_data));
}

gint
navette_replica_drop_finish (NavetteReplica  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  return g_task_propagate_int (G_TASK (result), error);
}

/* ---- A row's key by record id ---- */

/* The key of the record whose id travels in @job's search slot: 0 when
 * it is not there, -1 on failure. */
static gint64
key_for_id (NavetteReplica  *self,
            ViewJob         *job,
            GError         **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  gint64 id;
  gint64 key = 0;

  id = replica_lookup_table (self, job->app, job->table, NULL, NULL, error);
  if (id <= 0)
    return id;
  sql = g_strdup_printf ("SELECT key FROM r%" G_GINT64_FORMAT " WHERE id = ?", id);
  if (!(stmt = replica_sql_prepare (self, sql, error)))
    return -1;
  sqlite3_bind_text (stmt, 1, job->search, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    key = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return key;
}

static void
key_for_id_job (NavetteReplica *self,
                gpointer        data)
{
  GTask *task = data;
  ViewJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 key = key_for_id (self, job, &error);

  if (key < 0)
    g_task_return_error (task, error);
  else if (key == 0)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("The record %s is not in %s/%s in the local replica."),
                             job->search, job->app, job->table);
  else
    g_task_return_int (task, key);
  g_object_unref (task);
}

void
navette_replica_lookup_key_async (NavetteReplica      *self,
                                  const char          *app,
                                  const char          *table,
                                  const char          *id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  NavetteReplicaView view = { .search = id };

  g_return_if_fail (NAVETTE_IS_REPLICA (self));
  g_return_if_fail (app != NULL && table != NULL && id != NULL);

  replica_push_job (self, key_for_id_job,
                    view_task_new (navette_replica_lookup_key_async, view_job_new (app, table, &view),
                                   cancellable, callback, user_data));
}

gint64
navette_replica_lookup_key_finish (NavetteReplica  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  return g_task_propagate_int (G_TASK (result), error);
}
