/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-model-private.h — what navette-replica-model.c (the
 * replica's rows) shares with navette-replica-model-created.c (the records
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
  GPtrArray          *created;       /* CreatedItem*: created here, not in
                                      * the replica yet: shown first */
  GHashTable         *created_left;  /* ids that left it for the replica's rows */
  gboolean            created_hidden; /* the archive view: not shown */
  guint               query_serial;  /* bumped by each query started */

  GCancellable       *query_cancellable;
  GCancellable       *cancellable;   /* everything, cancelled by dispose */
  gboolean            loading;
  gboolean            refetch;       /* the query applied next is a refresh */
  gboolean            head_pending;  /* the head of the query running is awaited */
};

/* ---- The records created here, first (navette-replica-model-created.c) ----
 *
 * The overlay table's records created and not in the replica yet
 * (version 0 when they joined the table: a create pending, waiting or
 * failed), shown at positions 0..k-1 in the order they joined, before the
 * replica's rows (which are offset by k). Not in the archive view. A
 * record leaves them when the replica has its row (a key query that
 * started after a lookup of its id found it is applied) or when it leaves
 * the table (a create rolled back). */

/* How many are shown first (0 in the archive view). */
static inline guint
navette_replica_model_created_len (NavetteReplicaModel *self)
{
  return self->created_hidden ? 0 : self->created->len;
}

/* The record shown at @position (< _len()) (transfer none). */
NavetteRecord *navette_replica_model_created_get         (NavetteReplicaModel *self,
                                                          guint                position);
/* Its position among them (G_MAXUINT: not there, or hidden). */
guint          navette_replica_model_created_find        (NavetteReplicaModel *self,
                                                          const char          *id);
/* Follows @table (NULL: none): its records created are shown first. */
void           navette_replica_model_created_set_overlay (NavetteReplicaModel *self,
                                                          NavetteTable        *table);
void           navette_replica_model_created_set_hidden  (NavetteReplicaModel *self,
                                                          gboolean             hidden);
/* Before a key query is queued: asks the replica whether it has the
 * rows of those records (on its worker, before the query). */
void           navette_replica_model_created_lookup      (NavetteReplicaModel *self);
/* Before the keys of the query started last are applied: the
 * records whose rows they hold leave them. */
void           navette_replica_model_created_drop_synced (NavetteReplicaModel *self);
void           navette_replica_model_created_init        (NavetteReplicaModel *self);
void           navette_replica_model_created_finalize    (NavetteReplicaModel *self);
void           navette_replica_model_created_clear       (NavetteReplicaModel *self);
/* In navette-replica-model.c: "n-items" notified. */
void           navette_replica_model_notify_n_items      (NavetteReplicaModel *self);

/* An items-changed of the replica's rows: offset by the records
 * created shown first. */
#define rows_changed(self, position, removed, added) \
  g_list_model_items_changed (G_LIST_MODEL (self), \
                              navette_replica_model_created_len (self) + (position), (removed), (added))

G_END_DECLS
