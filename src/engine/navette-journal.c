/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "navette-engine-private.h"
#include "navette-journal.h"

#define JOURNAL_FORMAT 2

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

const char *
navette_journal_get_path (NavetteJournal *self)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), NULL);
  return self->path;
}

const char *
navette_journal_get_server (NavetteJournal *self)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), NULL);
  return self->server;
}

const char *
navette_journal_get_user (NavetteJournal *self)
{
  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), NULL);
  return self->user;
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

gboolean
navette_journal_load (NavetteJournal  *self,
                      GError         **error)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  JsonNode *changes;
  gsize len;

  g_return_val_if_fail (NAVETTE_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (self->entries->len == 0, FALSE);

  if (!g_file_get_contents (self->path, &text, &len, &local_error))
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
      g_autofree char *aside = g_strconcat (self->path, ".unreadable", NULL);

      /* Never overwrite what cannot be read: keep it beside (or, when it
       * cannot even be moved, do not use this journal at all). */
      g_message ("The journal %s cannot be read (%s); kept as %s", self->path,
                 local_error ? local_error->message : "not a journal", aside);
      if (g_rename (self->path, aside) != 0)
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
                   "The journal %s belongs to another server or user", self->path);
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (changes)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (changes), i);
      JsonObject *entry;
      const char *key;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      key = entry_key (entry);
      if (key == NULL || g_hash_table_contains (self->by_key, key))
        continue;
      g_ptr_array_add (self->entries, json_object_ref (entry));
      g_hash_table_insert (self->by_key, (gpointer) key, entry);
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

gboolean
navette_journal_write_file (const char  *path,
                            const char  *contents,
                            gsize        len,
                            GError     **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  gsize done = 0;
  int saved_errno;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    goto fail_errno;

  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail_errno;
  while (done < len)
    {
      gssize n = write (fd, contents + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          g_unlink (tmp);
          errno = saved_errno;
          goto fail_errno;
        }
      done += (gsize) n;
    }
  /* The data on the disk before the name points at it. */
  if (fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp);
      errno = saved_errno;
      goto fail_errno;
    }
  if (close (fd) != 0 || g_rename (tmp, path) != 0)
    {
      saved_errno = errno;
      g_unlink (tmp);
      errno = saved_errno;
      goto fail_errno;
    }
  /* And the new name itself (a file system that cannot sync a directory
   * says EINVAL: nothing more can be done there). */
  fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    goto fail_errno;
  if (fsync (fd) != 0 && errno != EINVAL)
    {
      saved_errno = errno;
      close (fd);
      errno = saved_errno;
      goto fail_errno;
    }
  close (fd);
  return TRUE;

fail_errno:
  saved_errno = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Could not write %s: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

typedef struct
{
  char    *path;
  GBytes  *bytes;
  guint64  ticket;
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_free (job->path);
  g_bytes_unref (job->bytes);
  g_free (job);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteJob *job = task_data;
  GError *error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (job->bytes, &len);

  if (navette_journal_write_file (job->path, data, len, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static GBytes *
serialize (NavetteJournal *self)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "{\"format\":%d,\"server\":", JOURNAL_FORMAT);
  navette_json_append_string (out, self->server);
  g_string_append (out, ",\"user\":");
  navette_json_append_string (out, self->user);
  g_string_append (out, ",\"changes\":[");
  for (guint i = 0; i < self->entries->len; i++)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (),
                                                        g_ptr_array_index (self->entries, i));
      g_autofree char *text = navette_json_to_string (node, NULL);

      if (i > 0)
        g_string_append_c (out, ',');
      /* One change per line: readable, and diffable by a person. */
      g_string_append_c (out, '\n');
      g_string_append (out, text);
    }
  g_string_append (out, self->entries->len > 0 ? "\n]}\n" : "]}\n");
  return g_string_free_to_bytes (out);
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
    self->durable = MAX (self->durable, job->ticket);
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
  job->path = g_strdup (self->path);
  job->bytes = serialize (self);
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
