/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sqlite3.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "navette-engine-private.h"
#include "navette-journal.h"

/* The outbox, in the account's replica.db (see navette-journal.h). */
static const char outbox_schema[] =
  "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
  " entry TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS outbox_account (server TEXT NOT NULL, user TEXT NOT NULL);";

/* Before the outbox: DIR/KEY/pending.json, migrated once by the load. */
#define LEGACY_NAME "pending.json"

struct _NavetteJournal
{
  GObject     parent_instance;

  char       *path;
  char       *server;
  char       *user;
  GPtrArray  *entries;     /* JsonObject*, strong, oldest first */
  GHashTable *by_key;      /* key → JsonObject* (borrowed from entries) */
  guint64     wanted;      /* ticket of the last put/remove */
  guint64     written;     /* last ticket whose write ended */
  guint64     durable;     /* last ticket on disk */
  gboolean    writing;
  GPtrArray  *flushes;     /* GTask* waiting for a ticket */
  GError     *write_error; /* of the last write, when it failed */
  sqlite3    *db;          /* the journal's own connection (after load) */
  GHashTable *texts;       /* key → entry text, of the entries in memory */
  GHashTable *stored;      /* key → entry text, as committed in the outbox */
};

G_DEFINE_FINAL_TYPE (NavetteJournal, navette_journal, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WRITE_ERROR,
  N_PROPS
};

enum {
  WRITTEN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
navette_journal_dispose (GObject *object)
{
  NavetteJournal *self = NAVETTE_JOURNAL (object);

  /* Nobody waits any more: a write still running ends on its own. */
  if (self->flushes != NULL)
    for (guint i = 0; i < self->flushes->len; i++)
      g_task_return_new_error (g_ptr_array_index (self->flushes, i), G_IO_ERROR,
                               G_IO_ERROR_CANCELLED, "The journal was closed");
  g_clear_pointer (&self->flushes, g_ptr_array_unref);

  G_OBJECT_CLASS (navette_journal_parent_class)->dispose (object);
}

static void
navette_journal_finalize (GObject *object)
{
  NavetteJournal *self = NAVETTE_JOURNAL (object);

  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_clear_pointer (&self->stored, g_hash_table_unref);
  g_clear_pointer (&self->texts, g_hash_table_unref);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_error (&self->write_error);

  G_OBJECT_CLASS (navette_journal_parent_class)->finalize (object);
}

static void
navette_journal_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavetteJournal *self = NAVETTE_JOURNAL (object);

  switch (prop_id)
    {
    case PROP_WRITE_ERROR:
      g_value_set_boxed (value, self->write_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_journal_class_init (NavetteJournalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_journal_dispose;
  object_class->finalize = navette_journal_finalize;
  object_class->get_property = navette_journal_get_property;

  properties[PROP_WRITE_ERROR] =
    g_param_spec_boxed ("write-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[WRITTEN] =
    g_signal_new ("written",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_BOOLEAN);
}

static void
navette_journal_init (NavetteJournal *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->flushes = g_ptr_array_new_with_free_func (g_object_unref);
}

NavetteJournal *
navette_journal_new (const char *path,
                     const char *server,
                     const char *user)
{
  NavetteJournal *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_JOURNAL, NULL);
  self->path = g_strdup (path);
  self->server = g_strdup (server);
  self->user = g_strdup (user);
  return self;
}

const GError *
navette_journal_get_write_error (NavetteJournal *self)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), NULL);
  return self->write_error;
}

static const char *
entry_key (JsonObject *entry)
{
  return json_object_get_string_member_with_default (entry, "key", NULL);
}

static char *
entry_text (JsonObject *entry)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), entry);

  return navette_json_to_string (node, NULL);
}

/* ---- The test hook ---- */

static gint test_fail_writes = -1;   /* -1: the environment not read yet */

void
navette_journal_set_test_fail_writes (gboolean fail)
{
  g_atomic_int_set (&test_fail_writes, fail ? 1 : 0);
}

static gboolean
test_writes_fail (void)
{
  gint fail = g_atomic_int_get (&test_fail_writes);

  if (fail < 0)
    {
      const char *env = g_getenv ("NAVETTE_TEST_OUTBOX_FAIL");

      fail = env != NULL && g_str_equal (env, "1") ? 1 : 0;
      /* Unless the function was called meanwhile. */
      g_atomic_int_compare_and_exchange (&test_fail_writes, -1, fail);
      fail = g_atomic_int_get (&test_fail_writes);
    }
  return fail == 1;
}

/* ---- SQL ---- */

static void
set_sql_error (NavetteJournal  *self,
               sqlite3         *db,
               GError         **error)
{
  /* What the user reads in the warning: the file, and why. */
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("Could not write %s: %s"),
               self->path, db != NULL ? sqlite3_errmsg (db) : "out of memory");
}

static gboolean
exec_sql (NavetteJournal  *self,
          sqlite3         *db,
          const char      *sql,
          GError         **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  set_sql_error (self, db, error);
  return FALSE;
}

static void
rollback (sqlite3 *db)
{
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

/* The directory of @path made durable (a name removed from it). A file
 * system that cannot sync a directory says EINVAL: nothing more to do. */
static gboolean
sync_dir_of (const char  *path,
             GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  int saved_errno;

  if (fd < 0)
    goto fail;
  if (fsync (fd) != 0 && errno != EINVAL)
    {
      saved_errno = errno;
      close (fd);
      errno = saved_errno;
      goto fail;
    }
  close (fd);
  return TRUE;

fail:
  saved_errno = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Could not write %s: %s"), dir, g_strerror (saved_errno));
  return FALSE;
}

/* Opens the outbox's connection: the database made (0600, in a 0700
 * directory) when missing, WAL (the replica's mode), and a commit is on
 * the disk when it returns (synchronous=FULL). */
static gboolean
open_db (NavetteJournal  *self,
         GError         **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  /* FULLMUTEX: used by the load here, then by one write at a time on a
   * worker thread. */
  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
    {
      set_sql_error (self, self->db, error);
      g_clear_pointer (&self->db, sqlite3_close_v2);
      return FALSE;
    }
  /* Changes in clear: readable by their owner only, made so before
   * anything is written; SQLite creates the file, no descriptor of ours
   * is opened on it (see navette-replica.c). */
  if (!navette_replica_file_make_private (self->path, error))
    {
      g_clear_pointer (&self->db, sqlite3_close_v2);
      return FALSE;
    }
  /* The replica's worker writes to the same file on its own connection:
   * every write here begins IMMEDIATE (the lock taken first, so the
   * busy handler applies and no upgrade can deadlock) and waits for it
   * up to 60 s — a page of a first sync commits well within that. */
  sqlite3_busy_timeout (self->db, 60000);
  return exec_sql (self, self->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", error);
}

/* The outbox's tables, and whose they are: made once (a write only
 * then), an outbox of another server or user refused. */
static gboolean
prepare_outbox (NavetteJournal  *self,
                GError         **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean made = FALSE;
  gboolean ok = FALSE;
  int rc;

  for (;;)
    {
      if (sqlite3_prepare_v2 (self->db, "SELECT server, user FROM outbox_account", -1, &stmt, NULL) == SQLITE_OK)
        {
          rc = sqlite3_step (stmt);
          if (rc == SQLITE_ROW)
            {
              if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), self->server) != 0 ||
                  g_strcmp0 ((const char *) sqlite3_column_text (stmt, 1), self->user) != 0)
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                             "The outbox of %s belongs to another server or user", self->path);
              else
                ok = TRUE;
              sqlite3_finalize (stmt);
              return ok;
            }
          sqlite3_finalize (stmt);
          if (rc != SQLITE_DONE)
            {
              set_sql_error (self, self->db, error);
              return FALSE;
            }
        }
      else
        sqlite3_finalize (stmt);
      stmt = NULL;
      if (made)
        break;

      /* Not made yet (or made without its owner: the row is written in
       * the transaction that makes the tables, so only by hand). */
      if (!exec_sql (self, self->db, "BEGIN IMMEDIATE", error) ||
          !exec_sql (self, self->db, outbox_schema, error))
        goto fail;
      if (sqlite3_prepare_v2 (self->db, "INSERT INTO outbox_account (server, user)"
                              " SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM outbox_account)",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          set_sql_error (self, self->db, error);
          goto fail;
        }
      sqlite3_bind_text (stmt, 1, self->server, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, self->user, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      stmt = NULL;
      if (rc != SQLITE_DONE)
        {
          set_sql_error (self, self->db, error);
          goto fail;
        }
      if (!exec_sql (self, self->db, "COMMIT", error))
        goto fail;
      made = TRUE;
    }
  set_sql_error (self, self->db, error);
  return FALSE;

fail:
  rollback (self->db);
  return FALSE;
}

/* Puts @entries (JsonObject*, in order) in the outbox, those whose key is
 * not there yet, in one transaction. */
static gboolean
insert_missing (NavetteJournal  *self,
                GPtrArray       *entries,
                GError         **error)
{
  sqlite3_stmt *stmt = NULL;

  if (!exec_sql (self, self->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (sqlite3_prepare_v2 (self->db, "INSERT INTO outbox (key, entry) VALUES (?1, ?2)"
                          " ON CONFLICT (key) DO NOTHING", -1, &stmt, NULL) != SQLITE_OK)
    goto fail_sql;
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      char *text = entry_text (entry);

      sqlite3_bind_text (stmt, 1, entry_key (entry), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, text, -1, g_free);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        goto fail_sql;
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  stmt = NULL;
  if (!exec_sql (self, self->db, "COMMIT", error))
    goto fail;
  return TRUE;

fail_sql:
  set_sql_error (self, self->db, error);
fail:
  sqlite3_finalize (stmt);
  rollback (self->db);
  return FALSE;
}

/* The journal of before the outbox, DIR/pending.json, moved into it once:
 * its entries not in the outbox yet added (in their order, after those
 * there), committed, then the file removed and its directory synced. A
 * crash between the two leaves both: the next load adds nothing twice.
 * A file that cannot be parsed is moved aside (pending.json.unreadable);
 * one of another server or user, or that cannot be moved aside, is
 * never read nor removed: FALSE. */
static gboolean
migrate_legacy (NavetteJournal  *self,
                GError         **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *legacy = g_build_filename (dir, LEGACY_NAME, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) seen = NULL;
  JsonObject *object;
  JsonNode *changes;
  gsize len;

  if (g_strcmp0 (legacy, self->path) == 0)
    return TRUE;   /* a database of that name: nothing of before */
  if (!g_file_get_contents (legacy, &text, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  root = navette_json_parse_strict (text, len, &local_error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !(changes = json_object_get_member (json_node_get_object (root), "changes")) ||
      !JSON_NODE_HOLDS_ARRAY (changes))
    {
      g_autofree char *aside = g_strconcat (legacy, ".unreadable", NULL);

      /* Never lose what cannot be read: keep it beside (or, when it
       * cannot even be moved, do not use this journal at all). */
      g_message ("The journal %s cannot be read (%s); kept as %s", legacy,
                 local_error ? local_error->message : "not a journal", aside);
      if (g_rename (legacy, aside) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not write %s: %s"), aside, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  object = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "server", NULL), self->server) != 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "user", NULL), self->user) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "The journal %s belongs to another server or user", legacy);
      return FALSE;
    }

  entries = g_ptr_array_new ();
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (changes)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (changes), i);
      JsonObject *entry;
      const char *key;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      key = entry_key (entry);
      if (key == NULL || !g_hash_table_add (seen, (gpointer) key))
        continue;
      g_ptr_array_add (entries, entry);
    }
  if (!insert_missing (self, entries, error))
    return FALSE;
  if (g_unlink (legacy) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not write %s: %s"), legacy, g_strerror (saved_errno));
      return FALSE;
    }
  g_debug ("Moved %u changes from %s into %s", entries->len, legacy, self->path);
  return sync_dir_of (legacy, error);
}

/* The outbox's rows, in order, into memory. A row that cannot be parsed
 * is left as it is in the table (never rewritten nor removed). */
static gboolean
read_outbox (NavetteJournal  *self,
             GError         **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, "SELECT key, entry FROM outbox ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sql_error (self, self->db, error);
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (stmt, 0);
      const char *text = (const char *) sqlite3_column_text (stmt, 1);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GError) parse_error = NULL;
      JsonObject *entry;

      if (key == NULL || text == NULL)
        continue;
      node = navette_json_parse_strict (text, sqlite3_column_bytes (stmt, 1), &parse_error);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
          g_strcmp0 (entry_key (json_node_get_object (node)), key) != 0)
        {
          g_message ("The change %s in %s cannot be read; left as it is", key, self->path);
          continue;
        }
      entry = json_node_get_object (node);
      g_ptr_array_add (self->entries, json_object_ref (entry));
      g_hash_table_insert (self->by_key, (gpointer) entry_key (entry), entry);
      g_hash_table_insert (self->stored, g_strdup (key), g_strdup (text));
      g_hash_table_insert (self->texts, g_strdup (key), g_strdup (text));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sql_error (self, self->db, error);
      g_hash_table_remove_all (self->by_key);
      g_hash_table_remove_all (self->stored);
      g_hash_table_remove_all (self->texts);
      g_ptr_array_set_size (self->entries, 0);
      return FALSE;
    }
  return TRUE;
}

gboolean
navette_journal_load (NavetteJournal  *self,
                      GError         **error)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (self->entries->len == 0, FALSE);
  g_return_val_if_fail (self->db == NULL, FALSE);

  if (!open_db (self, error) || !prepare_outbox (self, error) ||
      !migrate_legacy (self, error) || !read_outbox (self, error))
    {
      g_clear_pointer (&self->db, sqlite3_close_v2);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
navette_journal_dup_entries (NavetteJournal *self)
{
  GPtrArray *copy;

  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), NULL);

  copy = g_ptr_array_new_full (self->entries->len, (GDestroyNotify) json_object_unref);
  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (copy, json_object_ref (g_ptr_array_index (self->entries, i)));
  return copy;
}

guint
navette_journal_get_n_entries (NavetteJournal *self)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), 0);
  return self->entries->len;
}

JsonObject *
navette_journal_lookup (NavetteJournal *self,
                        const char     *key)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->by_key, key);
}

/* ---- Writing ---- */

typedef struct
{
  char *key;
  char *text;    /* NULL: removed */
} WriteOp;

static void
write_op_free (WriteOp *op)
{
  g_free (op->key);
  g_free (op->text);
  g_free (op);
}

typedef struct
{
  NavetteJournal *self;   /* for messages only; the task holds it */
  sqlite3        *db;
  GPtrArray      *ops;    /* WriteOp*: what differs from the outbox */
  gboolean        probe;  /* the last write failed: write even without ops */
  guint64         ticket;
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_ptr_array_unref (job->ops);
  g_free (job);
}

/* One transaction: the entries put since the last write added (a new key
 * at the end, a replaced one in its place: its seq is kept) or removed.
 * synchronous=FULL: committed is on the disk. */
static gboolean
write_ops (WriteJob  *job,
           GError   **error)
{
  sqlite3 *db = job->db;
  sqlite3_stmt *upsert = NULL;
  sqlite3_stmt *delete = NULL;

  if (job->ops->len == 0 && !job->probe)
    return TRUE;
  if (db == NULL)
    {
      /* Never loaded: nowhere to write. */
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("Could not write %s: %s"),
                   job->self->path, g_strerror (EBADF));
      return FALSE;
    }
  if (!exec_sql (job->self, db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (sqlite3_prepare_v2 (db, "INSERT INTO outbox (key, entry) VALUES (?1, ?2)"
                          " ON CONFLICT (key) DO UPDATE SET entry = excluded.entry",
                          -1, &upsert, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "DELETE FROM outbox WHERE key = ?1", -1, &delete, NULL) != SQLITE_OK)
    goto fail_sql;
  for (guint i = 0; i < job->ops->len; i++)
    {
      WriteOp *op = g_ptr_array_index (job->ops, i);
      sqlite3_stmt *stmt = op->text != NULL ? upsert : delete;

      sqlite3_bind_text (stmt, 1, op->key, -1, SQLITE_STATIC);
      if (op->text != NULL)
        sqlite3_bind_text (stmt, 2, op->text, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        goto fail_sql;
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  g_clear_pointer (&upsert, sqlite3_finalize);
  g_clear_pointer (&delete, sqlite3_finalize);
  /* After a failure, nothing is said to work again before a write did
   * (even with nothing left to write: a row rewritten as it is). */
  if (job->probe && !exec_sql (job->self, db, "UPDATE outbox_account SET server = server", error))
    {
      rollback (db);
      return FALSE;
    }

  if (test_writes_fail ())
    {
      /* The test hook: refused as a failing disk would refuse it. */
      g_debug ("NAVETTE_TEST_OUTBOX_FAIL: the write of %s fails", job->self->path);
      rollback (db);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, _("Could not write %s: %s"),
                   job->self->path, sqlite3_errstr (SQLITE_IOERR));
      return FALSE;
    }
  if (!exec_sql (job->self, db, "COMMIT", error))
    {
      rollback (db);
      return FALSE;
    }
  return TRUE;

fail_sql:
  set_sql_error (job->self, db, error);
  sqlite3_finalize (upsert);
  sqlite3_finalize (delete);
  rollback (db);
  return FALSE;
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteJob *job = task_data;
  GError *error = NULL;

  if (write_ops (job, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* What the outbox must change to hold the entries in memory: every entry
 * whose text differs from the committed one (in memory order: a new key
 * is appended in the order it was first put), every key gone. */
static GPtrArray *
diff_ops (NavetteJournal *self)
{
  GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) write_op_free);
  GHashTableIter iter;
  gpointer gone;

  for (guint i = 0; i < self->entries->len; i++)
    {
      const char *key = entry_key (g_ptr_array_index (self->entries, i));
      const char *text = g_hash_table_lookup (self->texts, key);
      WriteOp *op;

      if (g_strcmp0 (g_hash_table_lookup (self->stored, key), text) == 0)
        continue;
      op = g_new0 (WriteOp, 1);
      op->key = g_strdup (key);
      op->text = g_strdup (text);
      g_ptr_array_add (ops, op);
    }
  g_hash_table_iter_init (&iter, self->stored);
  while (g_hash_table_iter_next (&iter, &gone, NULL))
    if (!g_hash_table_contains (self->by_key, gone))
      {
        WriteOp *op = g_new0 (WriteOp, 1);

        op->key = g_strdup (gone);
        g_ptr_array_add (ops, op);
      }
  return ops;
}

/* A write committed: the outbox now holds what @ops says. */
static void
apply_ops (NavetteJournal *self,
           GPtrArray      *ops)
{
  for (guint i = 0; i < ops->len; i++)
    {
      WriteOp *op = g_ptr_array_index (ops, i);

      if (op->text != NULL)
        g_hash_table_insert (self->stored, g_strdup (op->key), g_strdup (op->text));
      else
        g_hash_table_remove (self->stored, op->key);
    }
}

static void start_write (NavetteJournal *self);

static void
release_flushes (NavetteJournal *self)
{
  for (guint i = 0; i < self->flushes->len; )
    {
      GTask *task = g_ptr_array_index (self->flushes, i);
      guint64 ticket = GPOINTER_TO_SIZE (g_task_get_task_data (task));

      if (ticket <= self->written)
        {
          if (ticket <= self->durable)
            g_task_return_boolean (task, TRUE);
          else if (self->write_error != NULL)
            g_task_return_error (task, g_error_copy (self->write_error));
          else
            g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                     _("The list of changes waiting could not be saved on this computer."));
          g_ptr_array_remove_index (self->flushes, i);
        }
      else
        i++;
    }
}

static void
write_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  NavetteJournal *self = NAVETTE_JOURNAL (object);
  WriteJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = g_task_propagate_boolean (G_TASK (result), &error);
  self->writing = FALSE;
  self->written = MAX (self->written, job->ticket);
  if (ok)
    {
      self->durable = MAX (self->durable, job->ticket);
      apply_ops (self, job->ops);
    }
  else
    g_debug ("Could not save the changes waiting in %s: %s", self->path, error->message);
  /* Said to the user through "write-error" (the middleware turns it into
   * a notification): the changes are at risk while it is set. */
  if (ok && self->write_error != NULL)
    {
      g_clear_error (&self->write_error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRITE_ERROR]);
    }
  else if (!ok && (self->write_error == NULL || g_strcmp0 (self->write_error->message, error->message) != 0))
    {
      g_clear_error (&self->write_error);
      self->write_error = g_steal_pointer (&error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRITE_ERROR]);
    }

  if (self->flushes != NULL)
    release_flushes (self);
  g_signal_emit (self, signals[WRITTEN], 0, job->ticket, ok);

  if (self->wanted > self->written && self->flushes != NULL)
    start_write (self);
}

static void
start_write (NavetteJournal *self)
{
  g_autoptr(GTask) task = NULL;
  WriteJob *job;

  if (self->writing)
    return;
  self->writing = TRUE;

  job = g_new0 (WriteJob, 1);
  job->self = self;
  job->db = self->db;
  job->ops = diff_ops (self);
  job->probe = self->write_error != NULL;
  job->ticket = self->wanted;

  /* The task holds the journal until the write ends. */
  task = g_task_new (self, NULL, write_done_cb, NULL);
  g_task_set_source_tag (task, start_write);
  g_task_set_task_data (task, job, (GDestroyNotify) write_job_free);
  g_task_run_in_thread (task, write_thread);
}

static guint64
changed (NavetteJournal *self)
{
  self->wanted++;
  start_write (self);
  return self->wanted;
}

guint64
navette_journal_put (NavetteJournal *self,
                     JsonObject     *entry)
{
  const char *key;
  JsonObject *old;

  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), 0);
  g_return_val_if_fail (entry != NULL, 0);
  key = entry_key (entry);
  g_return_val_if_fail (key != NULL, 0);

  old = g_hash_table_lookup (self->by_key, key);
  if (old != NULL)
    {
      guint pos;

      g_ptr_array_find (self->entries, old, &pos);
      g_hash_table_remove (self->by_key, key);
      json_object_ref (entry);
      g_ptr_array_index (self->entries, pos) = entry;
      json_object_unref (old);
    }
  else
    g_ptr_array_add (self->entries, json_object_ref (entry));
  g_hash_table_insert (self->by_key, (gpointer) entry_key (entry), entry);
  /* Its text now: what the next write puts in the outbox. */
  g_hash_table_insert (self->texts, g_strdup (key), entry_text (entry));
  return changed (self);
}

guint64
navette_journal_remove (NavetteJournal *self,
                        const char     *key)
{
  JsonObject *old;

  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), 0);
  g_return_val_if_fail (key != NULL, 0);

  old = g_hash_table_lookup (self->by_key, key);
  if (old == NULL)
    return self->wanted;
  g_hash_table_remove (self->texts, key);
  g_hash_table_remove (self->by_key, key);
  g_ptr_array_remove (self->entries, old);
  return changed (self);
}

gboolean
navette_journal_is_durable (NavetteJournal *self,
                            guint64         ticket)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), FALSE);
  return ticket <= self->durable;
}

gboolean
navette_journal_is_written (NavetteJournal *self,
                            guint64         ticket)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), FALSE);
  return ticket <= self->written;
}

void
navette_journal_flush_async (NavetteJournal      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NAVETTE_IS_JOURNAL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_journal_flush_async);
  if (self->wanted <= self->written)
    {
      if (self->wanted <= self->durable)
        g_task_return_boolean (task, TRUE);
      else
        {
          /* The last write failed: try again. */
          g_task_set_task_data (task, GSIZE_TO_POINTER ((gsize) changed (self)), NULL);
          g_ptr_array_add (self->flushes, g_steal_pointer (&task));
        }
      return;
    }
  g_task_set_task_data (task, GSIZE_TO_POINTER ((gsize) self->wanted), NULL);
  g_ptr_array_add (self->flushes, g_steal_pointer (&task));
}

gboolean
navette_journal_flush_finish (NavetteJournal  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
