/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-sqlite-watch.c — the SQLite backend's look for changes made
 * by other connections (see navette-db-sqlite-watch.h).
 *
 * What a look keeps (Look) belongs to the watch, and is lent to the
 * thread of the one look under way: nothing else touches it meanwhile.
 *
 * Grants: a user's grants are compared as a fingerprint of her current
 * (application, role) pairs, so a grant written by plain SQL (whose
 * revision column nobody set) is found as surely as one written by the
 * server; they are read only when the grants' row of
 * table_last_modifications moved. */
#define G_LOG_DOMAIN "navette-db-sqlite"

#include "config.h"

#include <string.h>
#include <sqlite3.h>
#include <gio/gio.h>

#include "navette-db-sqlite-watch.h"

/* The row of table_last_modifications that the grants' triggers move. */
#define GRANTS_TLM_NAME "_navette.role_grants"

typedef struct
{
  sqlite3    *handle;        /* opened by the first look */
  gboolean    looked;        /* a baseline is taken */
  gint64      data_version;
  GHashTable *tables;        /* table_last_modifications name → gint64* revision */
  GHashTable *schemas;       /* application → gint64* revision */
  GHashTable *grants;        /* username → fingerprint "app=role;…" */
} Look;

typedef struct
{
  NavetteDbChange  kind;
  char            *name;
  char            *table;
} Found;

struct _NavetteDbSqliteWatch
{
  NavetteDbWatch  parent_instance;

  char           *path;
  guint           interval_ms;
  GSource        *timer;
  Look           *look;
  gboolean        looking;   /* a look is under way in a thread */
};

G_DEFINE_FINAL_TYPE (NavetteDbSqliteWatch, navette_db_sqlite_watch, NAVETTE_TYPE_DB_WATCH)

static void
look_free (Look *look)
{
  sqlite3_close_v2 (look->handle);
  g_hash_table_unref (look->tables);
  g_hash_table_unref (look->schemas);
  g_hash_table_unref (look->grants);
  g_free (look);
}

static Look *
look_new (void)
{
  Look *look = g_new0 (Look, 1);

  look->tables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  look->schemas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  look->grants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return look;
}

static void
found_free (Found *found)
{
  g_free (found->name);
  g_free (found->table);
  g_free (found);
}

static void
add_found (GPtrArray       *found,
           NavetteDbChange  kind,
           const char      *name,
           const char      *table)
{
  Found *change = g_new0 (Found, 1);

  change->kind = kind;
  change->name = g_strdup (name);
  change->table = g_strdup (table);
  g_ptr_array_add (found, change);
}

/* ------------------------------------------------------------------ */
/* A look (worker thread)                                              */

typedef struct
{
  char      *path;
  Look      *look;    /* lent by the watch */
  GPtrArray *found;   /* of Found* */
} LookJob;

static void
look_job_free (LookJob *job)
{
  g_free (job->path);
  g_ptr_array_unref (job->found);
  g_free (job);
}

static gboolean
look_exec (Look       *look,
           const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (look->handle, sql, NULL, NULL, &message) == SQLITE_OK)
    return TRUE;
  g_debug ("Change watch: %s: %s", sql, message != NULL ? message : "?");
  sqlite3_free (message);
  return FALSE;
}

/* Reads the rows of @sql, (text, integer) pairs, into a new table. */
static GHashTable *
read_revisions (Look       *look,
                const char *sql)
{
  g_autoptr(GHashTable) revisions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (look->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_debug ("Change watch: %s: %s", sql, sqlite3_errmsg (look->handle));
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);

      gint64 revision = sqlite3_column_int64 (stmt, 1);

      if (name != NULL)
        g_hash_table_insert (revisions, g_strdup (name), g_memdup2 (&revision, sizeof revision));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_debug ("Change watch: %s: %s", sql, sqlite3_errmsg (look->handle));
      return NULL;
    }
  return g_steal_pointer (&revisions);
}

/* username → "app=role;…" of every current grant. */
static GHashTable *
read_grants (Look *look)
{
  static const char sql[] =
    "SELECT username, app, role FROM role_grants"
    " WHERE obsolete = 0 AND archived = 0 AND role IS NOT NULL ORDER BY username, app";
  g_autoptr(GHashTable) grants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GString *fingerprint = NULL;
  g_autofree char *user = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (look->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_debug ("Change watch: grants: %s", sqlite3_errmsg (look->handle));
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *username = (const char *) sqlite3_column_text (stmt, 0);

      if (username == NULL)
        continue;
      if (user == NULL || !g_str_equal (user, username))
        {
          if (user != NULL)
            g_hash_table_insert (grants, g_steal_pointer (&user), g_string_free (fingerprint, FALSE));
          user = g_strdup (username);
          fingerprint = g_string_new (NULL);
        }
      g_string_append_printf (fingerprint, "%s=%s;", sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2));
    }
  if (user != NULL)
    g_hash_table_insert (grants, g_steal_pointer (&user), g_string_free (fingerprint, FALSE));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_debug ("Change watch: grants: %s", sqlite3_errmsg (look->handle));
      return NULL;
    }
  return g_steal_pointer (&grants);
}

/* Adds to @found a change of @kind for every key whose value differs
 * between @before and @after (removed keys included), per @equal. */
static void
compare (GHashTable      *before,
         GHashTable      *after,
         NavetteDbChange  kind,
         GEqualFunc       equal,
         GPtrArray       *found)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gpointer old = NULL;

      if (g_hash_table_lookup_extended (before, key, NULL, &old) && equal (old, value))
        continue;
      if (kind != NAVETTE_DB_CHANGE_TABLE)
        add_found (found, kind, key, NULL);
      else
        {
          const char *dot = strchr (key, '.');
          g_autofree char *app = dot != NULL ? g_strndup (key, dot - (const char *) key) : NULL;

          /* '_navette.role_grants': told as roles */
          if (app != NULL && navette_name_is_valid (app) && navette_name_is_valid (dot + 1))
            add_found (found, kind, app, dot + 1);
        }
    }
  if (kind != NAVETTE_DB_CHANGE_ROLES)
    return;  /* tables and schemas: rows are never removed by the server */
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (after, key))
      add_found (found, kind, key, NULL);
}

/* The revision of @name in @revisions, 0 when it has none. */
static gint64
revision_of (GHashTable *revisions,
             const char *name)
{
  gint64 *revision = g_hash_table_lookup (revisions, name);

  return revision != NULL ? *revision : 0;
}

/* One look, in one read transaction; FALSE when the database could not
 * be read (the next look tries again, on a new connection). */
static gboolean
look_once (LookJob *job)
{
  Look *look = job->look;
  g_autoptr(GHashTable) tables = NULL;
  g_autoptr(GHashTable) schemas = NULL;
  g_autoptr(GHashTable) grants = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 version;
  gboolean grants_moved;
  gboolean new_handle = look->handle == NULL;

  if (new_handle)
    {
      if (sqlite3_open_v2 (job->path, &look->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           NULL) != SQLITE_OK)
        {
          g_debug ("Change watch: cannot open the database: %s", sqlite3_errmsg (look->handle));
          g_clear_pointer (&look->handle, sqlite3_close_v2);
          return FALSE;
        }
      sqlite3_busy_timeout (look->handle, 1000);
      look_exec (look, "PRAGMA query_only = 1");
    }

  if (!look_exec (look, "BEGIN"))
    return FALSE;
  if (sqlite3_prepare_v2 (look->handle, "PRAGMA data_version", -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_debug ("Change watch: data_version: %s", sqlite3_errmsg (look->handle));
      sqlite3_finalize (stmt);
      look_exec (look, "ROLLBACK");
      return FALSE;
    }
  version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  /* (a count of this connection's: meaningless on another one) */
  if (look->looked && !new_handle && version == look->data_version)
    {
      look_exec (look, "COMMIT");
      return TRUE;  /* nobody committed anything since */
    }

  tables = read_revisions (look, "SELECT table_name, revision FROM table_last_modifications");
  schemas = read_revisions (look, "SELECT app, revision FROM schema_revisions");
  if (tables == NULL || schemas == NULL)
    {
      look_exec (look, "ROLLBACK");
      return FALSE;
    }
  grants_moved = !look->looked ||
                 revision_of (tables, GRANTS_TLM_NAME) != revision_of (look->tables, GRANTS_TLM_NAME);
  if (grants_moved && (grants = read_grants (look)) == NULL)
    {
      look_exec (look, "ROLLBACK");
      return FALSE;
    }
  look_exec (look, "COMMIT");

  if (!look->looked)
    add_found (job->found, NAVETTE_DB_CHANGE_ANY, NULL, NULL);  /* from now on, nothing is missed */
  else
    {
      compare (look->schemas, schemas, NAVETTE_DB_CHANGE_SCHEMA, g_int64_equal, job->found);
      if (grants != NULL)
        compare (look->grants, grants, NAVETTE_DB_CHANGE_ROLES, g_str_equal, job->found);
      compare (look->tables, tables, NAVETTE_DB_CHANGE_TABLE, g_int64_equal, job->found);
    }
  g_hash_table_unref (look->tables);
  look->tables = g_steal_pointer (&tables);
  g_hash_table_unref (look->schemas);
  look->schemas = g_steal_pointer (&schemas);
  if (grants != NULL)
    {
      g_hash_table_unref (look->grants);
      look->grants = g_steal_pointer (&grants);
    }
  look->data_version = version;
  look->looked = TRUE;
  return TRUE;
}

static void
look_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LookJob *job = task_data;

  if (!look_once (job))
    {
      /* a new connection next time */
      g_clear_pointer (&job->look->handle, sqlite3_close_v2);
      g_ptr_array_set_size (job->found, 0);
    }
  g_task_return_boolean (task, TRUE);
}

/* ------------------------------------------------------------------ */
/* The clock (main context)                                            */

static void
look_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  NavetteDbSqliteWatch *self = NAVETTE_DB_SQLITE_WATCH (object);
  LookJob *job = g_task_get_task_data (G_TASK (result));

  self->looking = FALSE;
  if (navette_db_watch_is_stopped (NAVETTE_DB_WATCH (self)))
    return;
  for (guint i = 0; i < job->found->len; i++)
    {
      Found *found = g_ptr_array_index (job->found, i);

      navette_db_watch_emit (NAVETTE_DB_WATCH (self), found->kind, found->name, found->table);
      if (navette_db_watch_is_stopped (NAVETTE_DB_WATCH (self)))
        return;
    }
}

static void
look_start (NavetteDbSqliteWatch *self)
{
  g_autoptr(GTask) task = NULL;
  LookJob *job;

  if (self->looking || navette_db_watch_is_stopped (NAVETTE_DB_WATCH (self)))
    return;
  job = g_new0 (LookJob, 1);
  job->path = g_strdup (self->path);
  job->look = self->look;
  job->found = g_ptr_array_new_with_free_func ((GDestroyNotify) found_free);

  /* answered on the watch's context, whatever the thread-default one is */
  g_main_context_push_thread_default (navette_db_watch_get_context (NAVETTE_DB_WATCH (self)));
  task = g_task_new (self, NULL, look_done_cb, NULL);
  g_main_context_pop_thread_default (navette_db_watch_get_context (NAVETTE_DB_WATCH (self)));
  g_task_set_source_tag (task, look_start);
  g_task_set_task_data (task, job, (GDestroyNotify) look_job_free);
  self->looking = TRUE;
  g_task_run_in_thread (task, look_thread);
}

static gboolean
tick_cb (gpointer data)
{
  look_start (data);
  return G_SOURCE_CONTINUE;
}

static void
navette_db_sqlite_watch_stop (NavetteDbWatch *watch)
{
  NavetteDbSqliteWatch *self = NAVETTE_DB_SQLITE_WATCH (watch);

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
navette_db_sqlite_watch_finalize (GObject *object)
{
  NavetteDbSqliteWatch *self = NAVETTE_DB_SQLITE_WATCH (object);

  /* a look under way holds a reference: none is */
  g_clear_pointer (&self->look, look_free);
  g_free (self->path);

  G_OBJECT_CLASS (navette_db_sqlite_watch_parent_class)->finalize (object);
}

static void
navette_db_sqlite_watch_class_init (NavetteDbSqliteWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = navette_db_sqlite_watch_finalize;
  /* ::changed: ANY once the baseline is taken, then TABLE, SCHEMA or ROLES */
  NAVETTE_DB_WATCH_CLASS (klass)->stop = navette_db_sqlite_watch_stop;
}

static void
navette_db_sqlite_watch_init (NavetteDbSqliteWatch *self)
{
  self->look = look_new ();
}

NavetteDbSqliteWatch *
navette_db_sqlite_watch_new (const char *path,
                             guint       interval_ms)
{
  NavetteDbSqliteWatch *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (interval_ms > 0, NULL);

  self = g_object_new (NAVETTE_TYPE_DB_SQLITE_WATCH, NULL);
  self->path = g_strdup (path);
  self->interval_ms = interval_ms;
  self->timer = g_timeout_source_new (interval_ms);
  g_source_set_callback (self->timer, tick_cb, self, NULL);
  g_source_set_static_name (self->timer, "[navette] look for changes");
  g_source_attach (self->timer, navette_db_watch_get_context (NAVETTE_DB_WATCH (self)));
  look_start (self);  /* the baseline */
  return self;
}
