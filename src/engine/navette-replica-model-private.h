/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-model-private.h — what navette-replica-model.c (the
 * replica's rows) shares with navette-replica-model-head.c (the records
 * created locally and not in the replica yet, shown first). */
#pragma once

#include "navette-replica-model.h"

G_BEGIN_DECLS

/* A materialised row. The record is held weakly (the weak reference
 * removes the entry when it is finalized); the cache holds it strongly. */
typedef struct
{
  gint64               key;
  NavetteRecord       *record;
  NavetteReplicaModel *model;
  GList               *cache_link;  /* in model->cache, or NULL */
  gboolean             placeholder;
} Entry;

struct _NavetteReplicaModel
{
  GObject             parent_instance;

  NavetteReplica     *replica;
  char               *app;
  char               *table;

  char               *sort_column;
  char               *search;
  NavetteReplicaView  view;

  GArray             *keys;          /* gint64, the view's order */
  guint               n_known;       /* keys known: keys->len, or fewer
                                      * while the rest of a view's keys are
                                      * read behind its head (0 beyond) */
  GHashTable         *unknown;       /* position → placeholder handed out
                                      * for a position >= n_known (owned) */
  GPtrArray          *finds;         /* Find*: find_async waiting for the keys */
  GHashTable         *live;          /* &entry->key → Entry* (owned) */
  GQueue              cache;         /* Entry*, most recently asked first */
  guint               cache_size;
  guint               head_size;     /* 0: the whole keys at once */
  guint               head_rows;     /* the head's first rows read with it */
  GHashTable         *batches;       /* batch index → in flight */
  guint               generation;    /* of the keys: bumped by each query applied */

  NavetteTable       *overlay;       /* the engine's table, or NULL */
  gulong              overlay_handler; /* its items-changed */
  GPtrArray          *head;          /* HeadItem*: created, not in the replica */
  GHashTable         *head_left;     /* ids that left it for the replica's rows */
  gboolean            head_hidden;   /* the archive view: no head */
  guint               query_serial;  /* bumped by each query started */

  GCancellable       *query_cancellable;
  GCancellable       *cancellable;   /* everything, cancelled by dispose */
  gboolean            loading;
  gboolean            refetch;       /* the query applied next is a refresh */
  gboolean            head_pending;  /* the head of the query running is awaited */
};

/* ---- The head (navette-replica-model-head.c) ----
 *
 * The overlay table's records created and not in the replica yet
 * (version 0 when they joined the table: a create pending, waiting or
 * failed), shown at positions 0..k-1 in the order they joined, before the
 * replica's rows (which are offset by k). Not in the archive view. A
 * record leaves the head when the replica has its row (a key query that
 * started after a lookup of its id found it is applied) or when it leaves
 * the table (a create rolled back). */

/* The head's length as shown (0 in the archive view). */
static inline guint
navette_replica_model_head_len (NavetteReplicaModel *self)
{
  return self->head_hidden ? 0 : self->head->len;
}

/* The records of the head, in order (transfer none). */
NavetteRecord *navette_replica_model_head_get         (NavetteReplicaModel *self,
                                                       guint                position);
/* Its position in the head (G_MAXUINT: not there, or hidden). */
guint          navette_replica_model_head_find        (NavetteReplicaModel *self,
                                                       const char          *id);
/* Follows @table (NULL: none): its records created become the head. */
void           navette_replica_model_head_set_overlay (NavetteReplicaModel *self,
                                                       NavetteTable        *table);
void           navette_replica_model_head_set_hidden  (NavetteReplicaModel *self,
                                                       gboolean             hidden);
/* Before a key query is queued: asks the replica whether it has the
 * head's rows (on its worker, before the query). */
void           navette_replica_model_head_lookup      (NavetteReplicaModel *self);
/* Before the keys of the query started last are applied: the head's
 * records whose rows they hold leave it. */
void           navette_replica_model_head_drop_synced (NavetteReplicaModel *self);
void           navette_replica_model_head_init        (NavetteReplicaModel *self);
void           navette_replica_model_head_finalize    (NavetteReplicaModel *self);
void           navette_replica_model_head_clear       (NavetteReplicaModel *self);
/* In navette-replica-model.c: "n-items" notified. */
void           navette_replica_model_notify_n_items   (NavetteReplicaModel *self);

/* An items-changed of the replica's rows: offset by the head. */
#define rows_changed(self, position, removed, added) \
  g_list_model_items_changed (G_LIST_MODEL (self), \
                              navette_replica_model_head_len (self) + (position), (removed), (added))

G_END_DECLS
