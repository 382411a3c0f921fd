/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-model-created.c — the records created locally and not in
 * the replica yet, shown first by NavetteReplicaModel (see
 * navette-replica-model-private.h). A handful of records: everything here
 * walks them, never the replica's rows. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include "navette-replica-model-private.h"
#include "navette-record.h"

typedef struct
{
  NavetteRecord *record;
  guint          found;     /* the query serial whose lookup found its row
                             * in the replica; 0: not found */
  gboolean       looking;   /* a lookup of its id is on its way */
} CreatedItem;

static void
created_item_free (gpointer data)
{
  CreatedItem *item = data;

  g_object_unref (item->record);
  g_free (item);
}

static CreatedItem *
created_item (NavetteReplicaModel *self,
           guint                position)
{
  return g_ptr_array_index (self->created, position);
}

static void
created_changed (NavetteReplicaModel *self,
              guint                position,
              guint                removed,
              guint                added)
{
  if (self->created_hidden)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  navette_replica_model_notify_n_items (self);
}

static void
created_remove (NavetteReplicaModel *self,
             guint                position)
{
  g_ptr_array_remove_index (self->created, position);
  created_changed (self, position, 1, 0);
}

NavetteRecord *
navette_replica_model_created_get (NavetteReplicaModel *self,
                                   guint                position)
{
  return created_item (self, position)->record;
}

static guint
created_index (NavetteReplicaModel *self,
            const char          *id)
{
  for (guint i = 0; i < self->created->len; i++)
    if (g_strcmp0 (navette_record_get_id (created_item (self, i)->record), id) == 0)
      return i;
  return G_MAXUINT;
}

guint
navette_replica_model_created_find (NavetteReplicaModel *self,
                                    const char          *id)
{
  return self->created_hidden ? G_MAXUINT : created_index (self, id);
}

/* The overlay table changed: its records gone leave the list (a create
 * rolled back); those created (version 0) not in it yet join it, last.
 * The table holds only the records edited or created here. */
static void
overlay_changed_cb (GListModel          *table,
                    guint                position,
                    guint                removed,
                    guint                added,
                    NavetteReplicaModel *self)
{
  guint n = g_list_model_get_n_items (table);

  for (guint i = self->created->len; i > 0; i--)
    {
      NavetteRecord *record = created_item (self, i - 1)->record;

      if (navette_table_lookup (self->overlay, navette_record_get_id (record)) != record)
        created_remove (self, i - 1);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (table, i);
      CreatedItem *item;

      /* (One that left for the replica's rows while its version was
       * still 0 — the feed quicker than the answer — does not come back.) */
      if (navette_record_get_version (record) != 0 ||
          *navette_record_get_id (record) == '\0' ||
          g_hash_table_contains (self->created_left, navette_record_get_id (record)) ||
          created_index (self, navette_record_get_id (record)) != G_MAXUINT)
        continue;
      item = g_new0 (CreatedItem, 1);
      item->record = g_object_ref (record);
      g_ptr_array_add (self->created, item);
      created_changed (self, self->created->len - 1, 0, 1);
    }
}

void
navette_replica_model_created_clear (NavetteReplicaModel *self)
{
  guint n = navette_replica_model_created_len (self);

  if (self->created->len == 0)
    return;
  g_ptr_array_set_size (self->created, 0);
  if (n > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
      navette_replica_model_notify_n_items (self);
    }
}

void
navette_replica_model_created_set_overlay (NavetteReplicaModel *self,
                                           NavetteTable        *table)
{
  if (self->overlay_handler != 0)
    g_clear_signal_handler (&self->overlay_handler, self->overlay);
  navette_replica_model_created_clear (self);
  if (table == NULL)
    return;
  self->overlay_handler = g_signal_connect (table, "items-changed",
                                            G_CALLBACK (overlay_changed_cb), self);
  /* Creates journaled and replayed before the view was made. */
  overlay_changed_cb (G_LIST_MODEL (table), 0, 0, 0, self);
}

void
navette_replica_model_created_set_hidden (NavetteReplicaModel *self,
                                          gboolean             hidden)
{
  guint n = self->created->len;

  if (self->created_hidden == hidden)
    return;
  self->created_hidden = hidden;
  if (n > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, hidden ? n : 0, hidden ? 0 : n);
      navette_replica_model_notify_n_items (self);
    }
}

typedef struct
{
  NavetteReplicaModel *model;
  NavetteRecord       *record;
  guint                serial;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  NavetteReplicaModel *self = lookup->model;
  gint64 key = navette_replica_lookup_key_finish (NAVETTE_REPLICA (object), result, NULL);
  guint i;

  for (i = 0; i < self->created->len; i++)
    if (created_item (self, i)->record == lookup->record)
      break;
  if (i < self->created->len)
    {
      CreatedItem *item = created_item (self, i);

      item->looking = FALSE;
      /* Found: the key query queued after this lookup holds its row. */
      if (key >= 0 && item->found == 0)
        item->found = lookup->serial;
    }
  g_object_unref (lookup->record);
  g_object_unref (lookup->model);
  g_free (lookup);
}

void
navette_replica_model_created_lookup (NavetteReplicaModel *self)
{
  for (guint i = 0; i < self->created->len; i++)
    {
      CreatedItem *item = created_item (self, i);
      Lookup *lookup;

      if (item->found != 0 || item->looking)
        continue;
      lookup = g_new0 (Lookup, 1);
      lookup->model = g_object_ref (self);
      lookup->record = g_object_ref (item->record);
      lookup->serial = self->query_serial;
      item->looking = TRUE;
      navette_replica_lookup_key_async (self->replica, self->app, self->table,
                                        navette_record_get_id (item->record),
                                        self->cancellable, lookup_cb, lookup);
    }
}

void
navette_replica_model_created_drop_synced (NavetteReplicaModel *self)
{
  for (guint i = self->created->len; i > 0; i--)
    {
      CreatedItem *item = created_item (self, i - 1);

      if (item->found != 0 && item->found <= self->query_serial)
        {
          g_hash_table_add (self->created_left, g_strdup (navette_record_get_id (item->record)));
          created_remove (self, i - 1);
        }
    }
}

void
navette_replica_model_created_init (NavetteReplicaModel *self)
{
  self->created = g_ptr_array_new_with_free_func (created_item_free);
  self->created_left = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
navette_replica_model_created_finalize (NavetteReplicaModel *self)
{
  g_clear_pointer (&self->created, g_ptr_array_unref);
  g_clear_pointer (&self->created_left, g_hash_table_unref);
}
