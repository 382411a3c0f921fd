/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-model.c — a lazy GListModel over the replica (see
 * navette-replica-model.h). */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-replica-model-private.h"
#include "navette-engine-private.h"
#include "navette-record.h"
#include "navette-table.h"

/* Rows read from the replica at a time, aligned on multiples of BATCH. */
#define BATCH 200
/* Rows read again at a time by a refresh. */
#define REFRESH_CHUNK 1000
/* A new view's keys read first by default, with its count: the first
 * screens show while the rest of its keys are read ("head-size"). */
#define HEAD 1000

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavetteReplicaModel, navette_replica_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_REPLICA,
  PROP_APP,
  PROP_TABLE,
  PROP_LOADING,
  PROP_N_ITEMS,
  PROP_CACHE_SIZE,
  PROP_HEAD_SIZE,
  PROP_HEAD_ROWS,
  PROP_ITEM_TYPE,
  N_PROPS
};

enum {
  KEYS_LOADED,
  BATCH_LOADED,
  ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Materialised rows ---- */

static void
entry_weak_notify (gpointer  data,
                   GObject  *where_the_object_was)
{
  Entry *entry = data;
  NavetteReplicaModel *self = entry->model;

  /* The cache holds a reference: an entry in it cannot be finalized. */
  g_assert (entry->cache_link == NULL);
  g_hash_table_remove (self->live, &entry->key);
}

static void
entry_free (Entry *entry)
{
  g_free (entry);
}

static void
cache_trim (NavetteReplicaModel *self)
{
  while (self->cache.length > MAX (self->cache_size, BATCH))
    {
      Entry *entry = g_queue_pop_tail (&self->cache);
      NavetteRecord *record = entry->record;

      entry->cache_link = NULL;
      /* May finalize it, which removes (and frees) the entry. */
      g_object_unref (record);
    }
}

static void
cache_touch (NavetteReplicaModel *self,
             Entry               *entry)
{
  if (entry->cache_link != NULL)
    {
      g_queue_unlink (&self->cache, entry->cache_link);
      g_queue_push_head_link (&self->cache, entry->cache_link);
    }
  else
    {
      g_object_ref (entry->record);
      g_queue_push_head (&self->cache, entry);
      entry->cache_link = self->cache.head;
    }
}

/* Takes @record. The entry is in the cache (which holds the reference). */
static Entry *
entry_add (NavetteReplicaModel *self,
           gint64               key,
           NavetteRecord       *record,
           gboolean             placeholder)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->key = key;
  entry->record = record;
  entry->model = self;
  entry->placeholder = placeholder;
  g_object_weak_ref (G_OBJECT (record), entry_weak_notify, entry);
  g_hash_table_insert (self->live, &entry->key, entry);
  g_queue_push_head (&self->cache, entry);
  entry->cache_link = self->cache.head;
  return entry;
}

/* Applies a row read from the replica: fills or updates the entry of its
 * key, or makes one. Takes @record. */
static guint
find_key (NavetteReplicaModel *self,
          gint64               key)
{
  const gint64 *keys = (const gint64 *) self->keys->data;

  for (guint i = 0; i < self->n_known; i++)
    if (keys[i] == key)
      return i;
  return G_MAXUINT;
}

/* The record of the overlay table for @record's id (one the store edits),
 * updated with the replica's state of @record; or NULL. */
static NavetteRecord *
overlay_record (NavetteReplicaModel *self,
                NavetteRecord       *record)
{
  NavetteRecord *adopted;
  const NavettePackedRecord *server;

  if (self->overlay == NULL)
    return NULL;
  adopted = navette_table_lookup (self->overlay, navette_record_get_id (record));
  if (adopted == NULL)
    return NULL;
  server = navette_record_get_server (record);
  /* An older state is ignored; pending changes stay applied on top. */
  if (server != NULL && !navette_record_same_server (adopted, server))
    navette_record_set_server_packed (adopted, navette_packed_record_copy (server));
  return adopted;
}

static void
apply_row (NavetteReplicaModel *self,
           gint64               key,
           NavetteRecord       *record)
{
  Entry *entry = g_hash_table_lookup (self->live, &key);
  NavetteRecord *adopted = overlay_record (self, record);
  const NavettePackedRecord *server;

  if (entry == NULL)
    {
      if (adopted != NULL)
        {
          g_object_unref (record);
          record = g_object_ref (adopted);
        }
      entry_add (self, key, record, FALSE);
      return;
    }
  if (adopted != NULL && adopted != entry->record)
    {
      /* The store's object replaces the one handed out: the view asks
       * for that row again. */
      guint position;

      if (entry->placeholder)
        navette_record_fill_placeholder (entry->record,
                                         navette_packed_record_copy (navette_record_get_server (record)));
      g_object_weak_unref (G_OBJECT (entry->record), entry_weak_notify, entry);
      if (entry->cache_link != NULL)
        {
          g_object_unref (entry->record);
          g_object_ref (adopted);
        }
      entry->record = adopted;
      entry->placeholder = FALSE;
      g_object_weak_ref (G_OBJECT (adopted), entry_weak_notify, entry);
      g_object_unref (record);
      if (entry->cache_link == NULL)
        {
          /* Nobody held the old one but its holders: keep the new one
           * until it is asked again. */
          cache_touch (self, entry);
        }
      position = find_key (self, key);
      if (position != G_MAXUINT)
        rows_changed (self, position, 1, 1);
      return;
    }
  server = navette_record_get_server (record);
  if (server != NULL)
    {
      if (entry->placeholder)
        navette_record_fill_placeholder (entry->record, navette_packed_record_copy (server));
      else if (!navette_record_same_server (entry->record, server))
        navette_record_set_server_packed (entry->record, navette_packed_record_copy (server));
      entry->placeholder = FALSE;
    }
  g_object_unref (record);
}

/* ---- Batches ---- */

typedef struct
{
  NavetteReplicaModel *model;
  GArray              *keys;
  guint                batch;       /* G_MAXUINT: a refresh chunk */
  guint                generation;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->model);
  g_array_unref (fetch->keys);
  g_free (fetch);
}

static void
fetch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fetch *fetch = user_data;
  NavetteReplicaModel *self = fetch->model;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  guint n = 0;

  rows = navette_replica_fetch_finish (NAVETTE_REPLICA (object), result, &error);
  if (fetch->batch != G_MAXUINT && fetch->generation == self->generation)
    g_hash_table_remove (self->batches, GUINT_TO_POINTER (fetch->batch));

  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[ERROR], 0, error);
      fetch_free (fetch);
      return;
    }

  g_assert (rows->len == fetch->keys->len);
  for (guint i = 0; i < rows->len; i++)
    {
      NavetteRecord *record = g_steal_pointer (&g_ptr_array_index (rows, i));

      if (record != NULL)
        {
          apply_row (self, g_array_index (fetch->keys, gint64, i), record);
          n++;
        }
    }
  cache_trim (self);
  if (fetch->batch != G_MAXUINT)
    g_signal_emit (self, signals[BATCH_LOADED], 0, n);
  fetch_free (fetch);
}

static void
fetch_start (NavetteReplicaModel *self,
             GArray              *keys,
             guint                batch)
{
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->model = g_object_ref (self);
  fetch->keys = keys;
  fetch->batch = batch;
  fetch->generation = self->generation;
  navette_replica_fetch_keyed_async (self->replica, self->app, self->table,
                                     (const gint64 *) keys->data, keys->len,
                                     self->cancellable, fetch_cb, fetch);
}

/* Reads the batch holding @position, unless it is on its way. */
static void
request_batch (NavetteReplicaModel *self,
               guint                position)
{
  guint batch = position / BATCH;
  guint end = MIN (self->n_known, (batch + 1) * BATCH);
  GArray *keys;

  if (g_hash_table_contains (self->batches, GUINT_TO_POINTER (batch)))
    return;

  keys = g_array_sized_new (FALSE, FALSE, sizeof (gint64), BATCH);
  for (guint i = batch * BATCH; i < end; i++)
    {
      gint64 key = g_array_index (self->keys, gint64, i);
      Entry *entry = g_hash_table_lookup (self->live, &key);

      if (entry == NULL || entry->placeholder)
        g_array_append_val (keys, key);
    }
  if (keys->len == 0)
    {
      g_array_unref (keys);
      return;
    }
  g_hash_table_add (self->batches, GUINT_TO_POINTER (batch));
  fetch_start (self, keys, batch);
}

/* Reads again every row materialised and not a placeholder. */
static void
refetch_live (NavetteReplicaModel *self)
{
  GHashTableIter iter;
  Entry *entry;
  GArray *keys = NULL;

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->placeholder)
        continue;
      if (keys == NULL)
        keys = g_array_sized_new (FALSE, FALSE, sizeof (gint64), REFRESH_CHUNK);
      g_array_append_val (keys, entry->key);
      if (keys->len == REFRESH_CHUNK)
        {
          fetch_start (self, keys, G_MAXUINT);
          keys = NULL;
        }
    }
  if (keys != NULL)
    fetch_start (self, keys, G_MAXUINT);
}

/* ---- Keys ---- */

static void
set_loading (NavetteReplicaModel *self,
             gboolean             loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* The keys changed: the batches on their way still apply (by key), but
 * the positions they covered are not the same any more. */
static void
keys_replaced (NavetteReplicaModel *self)
{
  self->generation++;
  g_hash_table_remove_all (self->batches);
}

/* Replaces the keys (takes @keys) and emits one range: from the first to
 * the last position that differ. */
static void
apply_keys (NavetteReplicaModel *self,
            GArray              *keys,
            guint                prefix,
            guint                suffix)
{
  g_autoptr(GArray) old = self->keys;
  guint n_old = old->len;
  guint n_new = keys->len;

  self->keys = keys;
  self->n_known = n_new;
  keys_replaced (self);
  if (n_old - prefix - suffix > 0 || n_new - prefix - suffix > 0)
    rows_changed (self, prefix,
                  n_old - prefix - suffix, n_new - prefix - suffix);
  if (n_old != n_new)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* ---- A view's head: its first keys and its count ---- */

/* Placeholders handed out for positions whose key was not known: the
 * range that replaces those positions makes the view ask again. */
static void
drop_unknown (NavetteReplicaModel *self)
{
  g_hash_table_remove_all (self->unknown);
}

/* The first keys of a new view (takes @head) and its count: the keys
 * beyond are not known yet (0); get_item() answers those positions with
 * placeholders, which the keys, once read, give their rows to. One range
 * from the first position that differs. */
static void
apply_head (NavetteReplicaModel *self,
            GArray              *head,
            guint                n_total,
            GPtrArray           *rows)
{
  g_autoptr(GArray) old = self->keys;
  const gint64 *a = (const gint64 *) old->data;
  const gint64 *b = (const gint64 *) head->data;
  guint n_old = old->len;
  guint n_min = MIN (self->n_known, head->len);
  guint prefix = 0;

  while (prefix < n_min && a[prefix] == b[prefix])
    prefix++;
  self->keys = g_array_sized_new (FALSE, TRUE, sizeof (gint64), n_total);
  g_array_append_vals (self->keys, head->data, head->len);
  g_array_set_size (self->keys, n_total);
  self->n_known = head->len;
  drop_unknown (self);
  keys_replaced (self);
  /* The first rows, read with the head: materialised before the view
   * asks for them (those of a key already materialised are applied
   * after the range: applying one may emit items-changed). */
  for (guint i = 0; rows != NULL && i < rows->len && i < head->len; i++)
    {
      gint64 key = g_array_index (head, gint64, i);

      if (g_ptr_array_index (rows, i) != NULL && !g_hash_table_contains (self->live, &key))
        apply_row (self, key, g_steal_pointer (&g_ptr_array_index (rows, i)));
    }
  g_object_freeze_notify (G_OBJECT (self));
  if (n_old - prefix > 0 || n_total - prefix > 0)
    rows_changed (self, prefix, n_old - prefix, n_total - prefix);
  if (n_old != n_total)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_thaw_notify (G_OBJECT (self));
  for (guint i = 0; rows != NULL && i < rows->len && i < head->len; i++)
    if (g_ptr_array_index (rows, i) != NULL)
      apply_row (self, g_array_index (head, gint64, i), g_steal_pointer (&g_ptr_array_index (rows, i)));
  cache_trim (self);
  g_array_unref (head);
}

static void
head_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(NavetteReplicaModel) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  guint n_total = 0;
  GArray *head;

  head = navette_replica_query_head_finish (NAVETTE_REPLICA (object), result, &n_total, &rows, &error);
  /* Failed: the whole query, queued behind, says why. Cancelled: a newer
   * query runs. */
  if (head == NULL || !self->head_pending)
    {
      g_clear_pointer (&head, g_array_unref);
      return;
    }
  self->head_pending = FALSE;
  navette_replica_model_created_drop_synced (self);
  apply_head (self, head, n_total, rows);
}

/* The whole keys of a view whose head was applied (takes @keys). Where
 * the known keys are the same and so is the count, no position changed:
 * no items-changed, and the placeholders handed out beyond the head get
 * their rows (the same objects: filled in place). Otherwise one range
 * from the first position that differs (a sync landed in between). */
static void
complete_keys (NavetteReplicaModel *self,
               GArray              *keys)
{
  g_autoptr(GArray) old = self->keys;
  const gint64 *a = (const gint64 *) old->data;
  const gint64 *b = (const gint64 *) keys->data;
  guint n_old = old->len;
  guint n_new = keys->len;
  guint n_known = self->n_known;
  guint prefix = 0;

  while (prefix < MIN (n_known, n_new) && a[prefix] == b[prefix])
    prefix++;
  self->keys = keys;
  self->n_known = n_new;
  if (n_old == n_new && prefix == n_known)
    {
      GHashTableIter iter;
      gpointer position;
      NavetteRecord *placeholder;
      g_autoptr(GArray) again = g_array_new (FALSE, FALSE, sizeof (guint));

      g_hash_table_iter_init (&iter, self->unknown);
      while (g_hash_table_iter_next (&iter, &position, (gpointer *) &placeholder))
        {
          guint p = GPOINTER_TO_UINT (position);
          gint64 key = b[p];
          Entry *entry = g_hash_table_lookup (self->live, &key);

          g_hash_table_iter_steal (&iter);
          if (entry == NULL)
            {
              /* The entry takes the placeholder's reference. */
              entry_add (self, key, placeholder, TRUE);
              request_batch (self, p);
            }
          else
            {
              /* A record of that key is held already (from another
               * view): the view asks for it again. */
              g_object_unref (placeholder);
              g_array_append_val (again, p);
            }
        }
      cache_trim (self);
      for (guint i = 0; i < again->len; i++)
        rows_changed (self, g_array_index (again, guint, i), 1, 1);
      return;
    }
  drop_unknown (self);
  keys_replaced (self);
  g_object_freeze_notify (G_OBJECT (self));
  rows_changed (self, prefix, n_old - prefix, n_new - prefix);
  if (n_old != n_new)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* ---- The diff of the keys after a refresh ---- */

/* Beyond that many ranges, one range over all of them. */
#define MAX_RANGES 64
/* Middles shorter than that are not worth a thread. */
#define SMALL_MIDDLE 64

typedef struct
{
  gint64 key;
  guint  index;
} KeyIndex;

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Range;

typedef struct
{
  GArray *old;      /* the keys when the diff started */
  GArray *keys;     /* the new ones */
  guint   prefix;
  guint   suffix;
  GArray *ranges;   /* out: Range, or NULL (too many: one range) */
} Diff;

static void
diff_free (Diff *diff)
{
  g_array_unref (diff->old);
  g_array_unref (diff->keys);
  g_clear_pointer (&diff->ranges, g_array_unref);
  g_free (diff);
}

static int
key_index_compare (gconstpointer a,
                   gconstpointer b)
{
  gint64 x = ((const KeyIndex *) a)->key;
  gint64 y = ((const KeyIndex *) b)->key;

  return x < y ? -1 : x > y;
}

static KeyIndex *
key_index_new (const gint64 *keys,
               guint         n)
{
  KeyIndex *index = g_new (KeyIndex, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      index[i].key = keys[i];
      index[i].index = i;
    }
  qsort (index, n, sizeof (KeyIndex), key_index_compare);
  return index;
}

/* The index of @key among the keys, or -1. */
static gint64
key_index_lookup (const KeyIndex *index,
                  guint           n,
                  gint64          key)
{
  KeyIndex wanted = { .key = key };
  const KeyIndex *found = bsearch (&wanted, index, n, sizeof (KeyIndex), key_index_compare);

  return found != NULL ? (gint64) found->index : -1;
}

/* In a thread: the ranges that turn the old middle into the new one,
 * positions in the new order (each range applied before the next one is
 * looked at). The keys are unique: a key of the new order that the old
 * one has further on is a move — taken out where it was, put in where it
 * is. */
static void
diff_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Diff *diff = task_data;
  const gint64 *a = (const gint64 *) diff->old->data + diff->prefix;
  const gint64 *b = (const gint64 *) diff->keys->data + diff->prefix;
  guint na = diff->old->len - diff->prefix - diff->suffix;
  guint nb = diff->keys->len - diff->prefix - diff->suffix;
  g_autofree KeyIndex *in_a = key_index_new (a, na);
  g_autofree KeyIndex *in_b = key_index_new (b, nb);
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  Range range = { 0 };
  gboolean open = FALSE;
  guint i = 0, j = 0;

  while (i < na || j < nb)
    {
      gboolean insert;

      if (i < na && j < nb && a[i] == b[j])
        {
          if (open)
            g_array_append_val (ranges, range);
          open = FALSE;
          i++;
          j++;
          continue;
        }
      if (!open)
        {
          range.position = diff->prefix + j;
          range.removed = range.added = 0;
          open = TRUE;
        }
      if (i >= na)
        insert = TRUE;
      else if (j >= nb)
        insert = FALSE;
      else
        {
          gint64 at = key_index_lookup (in_a, na, b[j]);

          /* New, or its old place is behind: put in here. */
          insert = at < 0 || at < (gint64) i;
        }
      if (insert)
        {
          range.added++;
          j++;
        }
      else
        {
          range.removed++;
          i++;
        }
      if (ranges->len > MAX_RANGES)
        break;
    }
  if (open)
    g_array_append_val (ranges, range);

  if (ranges->len > MAX_RANGES)
    g_array_unref (ranges);
  else
    diff->ranges = ranges;
  g_task_return_boolean (task, TRUE);
}

/* Applies the ranges one by one on the keys (the model answers each
 * items-changed from the keys as they are then). */
static void
apply_ranges (NavetteReplicaModel *self,
              Diff                *diff)
{
  /* A copy: the old array may still be read by a diff thread that a
   * newer query cancelled. */
  GArray *keys = g_array_sized_new (FALSE, FALSE, sizeof (gint64), MAX (self->keys->len, diff->keys->len));
  guint n_old = self->keys->len;

  g_array_append_vals (keys, self->keys->data, n_old);
  g_array_unref (self->keys);
  self->keys = keys;
  keys_replaced (self);
  for (guint r = 0; r < diff->ranges->len; r++)
    {
      const Range *range = &g_array_index (diff->ranges, Range, r);

      if (range->removed > 0)
        g_array_remove_range (keys, range->position, range->removed);
      if (range->added > 0)
        g_array_insert_vals (keys, range->position,
                             &g_array_index (diff->keys, gint64, range->position), range->added);
      self->n_known = keys->len;
      rows_changed (self, range->position, range->removed, range->added);
    }
  g_assert (keys->len == diff->keys->len);
  if (n_old != keys->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* A query applied. A refresh asked meanwhile (even one whose diff was
 * cancelled by a newer query) reads the rows materialised again. */
static void resolve_finds (NavetteReplicaModel *self);

static void
query_done (NavetteReplicaModel *self)
{
  gboolean refetch = self->refetch;

  self->refetch = FALSE;
  resolve_finds (self);
  g_clear_object (&self->query_cancellable);
  set_loading (self, FALSE);
  if (refetch)
    refetch_live (self);
  g_signal_emit (self, signals[KEYS_LOADED], 0);
}

static void
diff_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (object);
  Diff *diff = g_task_get_task_data (G_TASK (result));

  /* Cancelled: a newer query runs. */
  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return;
  g_assert (self->keys == diff->old);

  g_object_freeze_notify (G_OBJECT (self));
  navette_replica_model_created_drop_synced (self);
  if (diff->ranges != NULL)
    apply_ranges (self, diff);
  else
    apply_keys (self, g_array_ref (diff->keys), diff->prefix, diff->suffix);
  g_object_thaw_notify (G_OBJECT (self));
  query_done (self);
}

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NavetteReplicaModel) self = user_data;
  g_autoptr(GError) error = NULL;
  GArray *keys;
  gboolean refetch;
  const gint64 *a, *b;
  guint n_old, n_new, n_min;
  guint prefix = 0, suffix = 0;

  keys = navette_replica_query_keys_finish (NAVETTE_REPLICA (object), result, &error);
  /* Not in the replica (not synced yet, or dropped): no rows. */
  if (keys == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_clear_error (&error);
      keys = g_array_new (FALSE, FALSE, sizeof (gint64));
    }
  if (keys == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->head_pending = FALSE;
          if (self->n_known < self->keys->len)
            {
              /* The rest of the keys could not be read: the view ends
               * after its head. */
              GArray *known = g_array_sized_new (FALSE, FALSE, sizeof (gint64), self->n_known);

              g_array_append_vals (known, self->keys->data, self->n_known);
              complete_keys (self, known);
              resolve_finds (self);
            }
          g_clear_object (&self->query_cancellable);
          set_loading (self, FALSE);
          g_signal_emit (self, signals[ERROR], 0, error);
        }
      return;
    }
  refetch = self->refetch;
  self->head_pending = FALSE;

  if (self->n_known < self->keys->len)
    {
      /* Its head was applied (or a refresh came before the rest of a
       * view's keys: one range from the first position that differs). */
      navette_replica_model_created_drop_synced (self);
      complete_keys (self, keys);
      query_done (self);
      return;
    }

  a = (const gint64 *) self->keys->data;
  b = (const gint64 *) keys->data;
  n_old = self->keys->len;
  n_new = keys->len;
  n_min = MIN (n_old, n_new);
  while (prefix < n_min && a[prefix] == b[prefix])
    prefix++;
  while (suffix < n_min - prefix && a[n_old - 1 - suffix] == b[n_new - 1 - suffix])
    suffix++;

  /* A refresh whose changes are not in one place: the ranges are worked
   * out in a thread, so that a few rows changed far apart in a large
   * table do not make the view ask for every row between them. A new
   * view (another sort, a search) changes everything anyway. */
  if (refetch &&
      n_old - prefix - suffix > 0 && n_new - prefix - suffix > 0 &&
      (n_old - prefix - suffix) + (n_new - prefix - suffix) > SMALL_MIDDLE)
    {
      Diff *diff = g_new0 (Diff, 1);
      g_autoptr(GTask) task = g_task_new (self, self->query_cancellable, diff_cb, NULL);

      diff->old = g_array_ref (self->keys);
      diff->keys = keys;
      diff->prefix = prefix;
      diff->suffix = suffix;
      g_task_set_source_tag (task, query_cb);
      g_task_set_task_data (task, diff, (GDestroyNotify) diff_free);
      g_task_run_in_thread (task, diff_thread);
      return;
    }

  g_object_freeze_notify (G_OBJECT (self));
  navette_replica_model_created_drop_synced (self);
  apply_keys (self, keys, prefix, suffix);
  g_object_thaw_notify (G_OBJECT (self));
  query_done (self);
}

static void
query_start (NavetteReplicaModel *self)
{
  if (self->query_cancellable != NULL)
    g_cancellable_cancel (self->query_cancellable);
  g_clear_object (&self->query_cancellable);
  self->query_cancellable = g_cancellable_new ();
  set_loading (self, TRUE);
  self->query_serial++;
  navette_replica_model_created_lookup (self);
  /* A new view without search: its first keys and its count first (the
   * first screens show at once), the whole keys behind. A refresh needs
   * the whole keys to say which positions changed. */
  self->head_pending = !self->refetch && self->head_size > 0 &&
                       (self->view.search == NULL || self->view.search[0] == '\0');
  if (self->head_pending)
    {
      NavetteReplicaView head = self->view;

      head.search = NULL;
      navette_replica_query_head_async (self->replica, self->app, self->table, &head, self->head_size, self->head_rows,
                                        self->query_cancellable, head_cb, g_object_ref (self));
    }
  navette_replica_query_keys_async (self->replica, self->app, self->table, &self->view,
                                    self->query_cancellable, query_cb, g_object_ref (self));
}

void
navette_replica_model_notify_n_items (NavetteReplicaModel *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* ---- GListModel ---- */

static GType
navette_replica_model_get_item_type (GListModel *model)
{
  return NAVETTE_TYPE_RECORD;
}

static guint
navette_replica_model_get_n_items (GListModel *model)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (model);

  return navette_replica_model_created_len (self) + self->keys->len;
}

static gpointer
navette_replica_model_get_item (GListModel *model,
                                guint       position)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (model);
  gint64 key;
  Entry *entry;

  if (position < navette_replica_model_created_len (self))
    return g_object_ref (navette_replica_model_created_get (self, position));
  position -= navette_replica_model_created_len (self);
  if (position >= self->keys->len)
    return NULL;
  if (position >= self->n_known)
    {
      /* Its key is not read yet: a placeholder, filled once it is (the
       * same object: see complete_keys()). */
      NavetteRecord *placeholder = g_hash_table_lookup (self->unknown, GUINT_TO_POINTER (position));

      if (placeholder == NULL)
        {
          placeholder = navette_record_new_for_id ("");
          g_hash_table_insert (self->unknown, GUINT_TO_POINTER (position), placeholder);
        }
      return g_object_ref (placeholder);
    }

  key = g_array_index (self->keys, gint64, position);
  entry = g_hash_table_lookup (self->live, &key);
  if (entry != NULL)
    {
      cache_touch (self, entry);
      if (entry->placeholder)
        request_batch (self, position);
      return g_object_ref (entry->record);
    }

  entry = entry_add (self, key, navette_record_new_for_id (""), TRUE);
  request_batch (self, position);
  g_object_ref (entry->record);
  /* The placeholder is returned before the trim: it cannot be the one
   * dropped (it is the most recent). */
  cache_trim (self);
  return entry->record;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = navette_replica_model_get_item_type;
  iface->get_n_items = navette_replica_model_get_n_items;
  iface->get_item = navette_replica_model_get_item;
}

/* ---- GObject ---- */

static void
navette_replica_model_constructed (GObject *object)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (object);

  G_OBJECT_CLASS (navette_replica_model_parent_class)->constructed (object);

  g_assert (self->replica != NULL && self->app != NULL && self->table != NULL);
  query_start (self);
}

static void
navette_replica_model_dispose (GObject *object)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (object);
  GHashTableIter iter;
  Entry *entry;

  g_cancellable_cancel (self->cancellable);
  if (self->query_cancellable != NULL)
    g_cancellable_cancel (self->query_cancellable);

  /* Records others hold outlive the model: they forget it. */
  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      g_object_weak_unref (G_OBJECT (entry->record), entry_weak_notify, entry);
      if (entry->cache_link != NULL)
        g_object_unref (entry->record);
      entry->cache_link = NULL;
    }
  g_queue_clear (&self->cache);
  g_hash_table_remove_all (self->live);
  g_hash_table_remove_all (self->unknown);
  resolve_finds (self);
  navette_replica_model_created_set_overlay (self, NULL);

  G_OBJECT_CLASS (navette_replica_model_parent_class)->dispose (object);
}

static void
navette_replica_model_finalize (GObject *object)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (object);

  g_clear_object (&self->query_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->overlay);
  g_clear_object (&self->replica);
  g_clear_pointer (&self->app, g_free);
  g_clear_pointer (&self->table, g_free);
  g_clear_pointer (&self->sort_column, g_free);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->keys, g_array_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->batches, g_hash_table_unref);
  g_clear_pointer (&self->unknown, g_hash_table_unref);
  g_clear_pointer (&self->finds, g_ptr_array_unref);
  navette_replica_model_created_finalize (self);

  G_OBJECT_CLASS (navette_replica_model_parent_class)->finalize (object);
}

static void
navette_replica_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (object);

  switch (prop_id)
    {
    case PROP_REPLICA:
      g_value_set_object (value, self->replica);
      break;
    case PROP_APP:
      g_value_set_string (value, self->app);
      break;
    case PROP_TABLE:
      g_value_set_string (value, self->table);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, navette_replica_model_created_len (self) + self->keys->len);
      break;
    case PROP_CACHE_SIZE:
      g_value_set_uint (value, self->cache_size);
      break;
    case PROP_HEAD_SIZE:
      g_value_set_uint (value, self->head_size);
      break;
    case PROP_HEAD_ROWS:
      g_value_set_uint (value, self->head_rows);
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, NAVETTE_TYPE_RECORD);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_replica_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  NavetteReplicaModel *self = NAVETTE_REPLICA_MODEL (object);

  switch (prop_id)
    {
    case PROP_REPLICA:
      self->replica = g_value_dup_object (value);
      break;
    case PROP_APP:
      self->app = g_value_dup_string (value);
      break;
    case PROP_TABLE:
      self->table = g_value_dup_string (value);
      break;
    case PROP_CACHE_SIZE:
      navette_replica_model_set_cache_size (self, g_value_get_uint (value));
      break;
    case PROP_HEAD_SIZE:
      self->head_size = g_value_get_uint (value);
      break;
    case PROP_HEAD_ROWS:
      self->head_rows = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_replica_model_class_init (NavetteReplicaModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = navette_replica_model_constructed;
  object_class->dispose = navette_replica_model_dispose;
  object_class->finalize = navette_replica_model_finalize;
  object_class->get_property = navette_replica_model_get_property;
  object_class->set_property = navette_replica_model_set_property;

  properties[PROP_REPLICA] =
    g_param_spec_object ("replica", NULL, NULL, NAVETTE_TYPE_REPLICA,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_APP] =
    g_param_spec_string ("app", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TABLE] =
    g_param_spec_string ("table", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_SIZE] =
    g_param_spec_uint ("cache-size", NULL, NULL, 1, G_MAXUINT, 1000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HEAD_SIZE] =
    g_param_spec_uint ("head-size", NULL, NULL, 0, G_MAXUINT, HEAD,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HEAD_ROWS] =
    g_param_spec_uint ("head-rows", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[KEYS_LOADED] =
    g_signal_new ("keys-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[BATCH_LOADED] =
    g_signal_new ("batch-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
navette_replica_model_init (NavetteReplicaModel *self)
{
  self->keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->live = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) entry_free);
  self->batches = g_hash_table_new (NULL, NULL);
  self->unknown = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->finds = g_ptr_array_new ();
  navette_replica_model_created_init (self);
  self->cache_size = 1000;
  self->cancellable = g_cancellable_new ();
  self->view.archived = NAVETTE_REPLICA_ARCHIVED_HIDE;
  /* Unsorted: the order rows entered the replica (a scan of the table,
   * not of the id index: 1M rows' keys in a fraction of the time). */
  self->sort_column = g_strdup ("key");
  self->view.sort_column = self->sort_column;
}

/* ---- API ---- */

NavetteReplicaModel *
navette_replica_model_new (NavetteReplica *replica,
                           const char     *app,
                           const char     *table)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA (replica), NULL);
  g_return_val_if_fail (app != NULL && table != NULL, NULL);

  return g_object_new (NAVETTE_TYPE_REPLICA_MODEL,
                       "replica", replica,
                       "app", app,
                       "table", table,
                       NULL);
}

NavetteReplica *
navette_replica_model_get_replica (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), NULL);
  return self->replica;
}

const char *
navette_replica_model_get_app (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), NULL);
  return self->app;
}

const char *
navette_replica_model_get_table (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), NULL);
  return self->table;
}

gboolean
navette_replica_model_get_loading (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), FALSE);
  return self->loading;
}

void
navette_replica_model_set_view (NavetteReplicaModel      *self,
                                const NavetteReplicaView *view)
{
  g_return_if_fail (NAVETTE_IS_REPLICA_MODEL (self));
  g_return_if_fail (view != NULL);

  g_free (self->sort_column);
  g_free (self->search);
  self->sort_column = g_strdup (view->sort_column);
  self->search = g_strdup (view->search);
  self->view = *view;
  self->view.sort_column = self->sort_column;
  self->view.search = self->search;
  self->view.limit = 0;
  navette_replica_model_created_set_hidden (self, view->archived == NAVETTE_REPLICA_ARCHIVED_ONLY);
  query_start (self);
}

const NavetteReplicaView *
navette_replica_model_get_view (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), NULL);
  return &self->view;
}

void
navette_replica_model_refresh (NavetteReplicaModel *self)
{
  g_return_if_fail (NAVETTE_IS_REPLICA_MODEL (self));

  self->refetch = TRUE;
  query_start (self);
}

gint64
navette_replica_model_get_key (NavetteReplicaModel *self,
                               guint                position)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), -1);

  if (position < navette_replica_model_created_len (self) ||
      position - navette_replica_model_created_len (self) >= self->n_known)
    return -1;
  return g_array_index (self->keys, gint64, position - navette_replica_model_created_len (self));
}

static Entry *
find_entry (NavetteReplicaModel *self,
            const char          *id)
{
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->placeholder && g_strcmp0 (navette_record_get_id (entry->record), id) == 0)
      return entry;
  return NULL;
}

guint
navette_replica_model_find_loaded (NavetteReplicaModel *self,
                                   const char          *id)
{
  Entry *entry;
  guint position;

  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), G_MAXUINT);
  g_return_val_if_fail (id != NULL, G_MAXUINT);

  if (navette_replica_model_created_find (self, id) != G_MAXUINT)
    return navette_replica_model_created_find (self, id);
  entry = find_entry (self, id);
  position = entry != NULL ? find_key (self, entry->key) : G_MAXUINT;
  return position != G_MAXUINT ? navette_replica_model_created_len (self) + position : G_MAXUINT;
}

typedef struct
{
  GTask  *task;
  gint64  key;
} Find;

/* Answers a find from the keys as they are now. */
static void
find_answer (NavetteReplicaModel *self,
             GTask               *task,
             gint64               key)
{
  guint position = find_key (self, key);

  if (position == G_MAXUINT)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("The record is not in this view."));
  else
    g_task_return_int (task, navette_replica_model_created_len (self) + position);
}

/* The finds that waited for the whole keys: answered once they are read
 * (or cancelled, the model disposed). */
static void
resolve_finds (NavetteReplicaModel *self)
{
  g_autoptr(GPtrArray) finds = NULL;
  gboolean closed = g_cancellable_is_cancelled (self->cancellable);

  if (self->finds == NULL || self->finds->len == 0 ||
      (self->n_known < self->keys->len && !closed))
    return;
  finds = g_steal_pointer (&self->finds);
  self->finds = g_ptr_array_new ();
  for (guint i = 0; i < finds->len; i++)
    {
      Find *find = g_ptr_array_index (finds, i);

      if (closed)
        g_task_return_new_error (find->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "The view was closed.");
      else
        find_answer (self, find->task, find->key);
      g_object_unref (find->task);
      g_free (find);
    }
}

static void
find_key_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteReplicaModel *self = g_task_get_source_object (task);
  GError *error = NULL;
  gint64 key = navette_replica_lookup_key_finish (NAVETTE_REPLICA (object), result, &error);

  if (key < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The keys as they are now (a refresh may have landed meanwhile); not
   * among those known while the rest of the view's keys are read: once
   * they are. */
  if (find_key (self, key) == G_MAXUINT && self->n_known < self->keys->len &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      Find *find = g_new0 (Find, 1);

      find->task = g_steal_pointer (&task);
      find->key = key;
      g_ptr_array_add (self->finds, find);
      return;
    }
  find_answer (self, task, key);
}

void
navette_replica_model_find_async (NavetteReplicaModel *self,
                                  const char          *id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAVETTE_IS_REPLICA_MODEL (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_replica_model_find_async);
  if (navette_replica_model_created_find (self, id) != G_MAXUINT)
    {
      /* Created here, not in the replica yet: shown first. */
      g_task_return_int (task, navette_replica_model_created_find (self, id));
      g_object_unref (task);
      return;
    }
  navette_replica_lookup_key_async (self->replica, self->app, self->table, id,
                                    cancellable, find_key_cb, task);
}

guint
navette_replica_model_find_finish (NavetteReplicaModel  *self,
                                   GAsyncResult         *result,
                                   GError              **error)
{
  gssize position;

  g_return_val_if_fail (g_task_is_valid (result, self), G_MAXUINT);

  position = g_task_propagate_int (G_TASK (result), error);
  return position < 0 ? G_MAXUINT : (guint) position;
}

void
navette_replica_model_set_overlay (NavetteReplicaModel *self,
                                   NavetteTable        *table)
{
  g_return_if_fail (NAVETTE_IS_REPLICA_MODEL (self));
  g_return_if_fail (table == NULL || NAVETTE_IS_TABLE (table));

  if (self->overlay == table)
    return;
  navette_replica_model_created_set_overlay (self, NULL);
  g_set_object (&self->overlay, table);
  navette_replica_model_created_set_overlay (self, table);
}

NavetteTable *
navette_replica_model_get_overlay (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), NULL);
  return self->overlay;
}

gboolean
navette_replica_model_adopt (NavetteReplicaModel *self,
                             NavetteRecord       *record)
{
  const char *id;

  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), FALSE);
  g_return_val_if_fail (NAVETTE_IS_RECORD (record), FALSE);

  if (self->overlay == NULL)
    return FALSE;
  id = navette_record_get_id (record);
  if (navette_table_lookup (self->overlay, id) == record)
    return TRUE;
  if (*id == '\0' || navette_table_lookup (self->overlay, id) != NULL)
    return FALSE;
  /* Only a record this model handed out. */
  if (find_entry (self, id) == NULL || find_entry (self, id)->record != record)
    return FALSE;
  navette_table_insert_record (self->overlay, record);
  return TRUE;
}

guint
navette_replica_model_get_n_materialised (NavetteReplicaModel *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_MODEL (self), 0);
  return g_hash_table_size (self->live) + g_hash_table_size (self->unknown);
}

void
navette_replica_model_set_cache_size (NavetteReplicaModel *self,
                                      guint                cache_size)
{
  g_return_if_fail (NAVETTE_IS_REPLICA_MODEL (self));
  g_return_if_fail (cache_size > 0);

  if (self->cache_size == cache_size)
    return;
  self->cache_size = cache_size;
  cache_trim (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE_SIZE]);
}
