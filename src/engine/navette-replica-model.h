/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteReplicaModel — a lazy GListModel of NavetteRecord over one table
 * of the local replica, for a table view.
 *
 * It keeps in memory only the view's row keys, in order (a GArray of
 * gint64: 8 bytes a row), read with navette_replica_query_keys_async() off
 * the main thread — for a new view without search, its first keys and its
 * count first (navette_replica_query_head_async()), the rest behind: a
 * position not known yet gets a placeholder of its own that becomes its
 * row, in place and with no items-changed, once the keys are read.
 * get_n_items() and get_item() are answered from them:
 *
 * - a row already materialised is handed out as the same object as long
 *   as someone holds it (a weak key → record map): a selection, an open
 *   record pane keep their object across scrolling, refreshes and sorts;
 * - a row that is not gets a placeholder record at once (id "", no data)
 *   and the batch of BATCH rows around it is read from the replica on its
 *   worker; when it lands, the placeholder is filled in place (its
 *   properties notified, "data-changed" per column) — get_item() never
 *   waits on SQLite;
 * - the model itself keeps a bounded cache of the records it made (strong
 *   references, least recently asked dropped first: "cache-size"); the
 *   others live as long as someone else holds them.
 *
 * navette_replica_model_set_view() (sort, search, archived filter) and
 * navette_replica_model_refresh() (after a sync or a delta) query the keys
 * again; a newer query cancels an older one. The new keys are compared
 * with the old ones and "items-changed" covers only the range between the
 * first and the last position that differ (one range: a row inserted,
 * removed or updated in place after a one-row delta is exactly its
 * position; nothing at all when no position changed). The records still
 * materialised are then read again and updated in place (a record's
 * values changed by a delta without moving it).
 *
 * Local changes (the overlay): the records are the replica's server
 * state. To edit one, the caller first hands it to the engine's table
 * (navette_replica_model_adopt(): it joins the model's "overlay", the
 * NavetteTable that navette_store_update() and the middleware work on);
 * the middleware then applies its optimistic changes to that very object,
 * which the view shows at once. A row whose id the overlay table holds is
 * always handed out as the table's object, with the replica's newer
 * server state applied under its pending changes. Records created here
 * and not in the replica yet (version 0 when they joined the overlay:
 * pending, waiting, failed) come first, at positions 0..k-1, in the
 * order they joined, whatever the view (not in the archive view); every
 * position of the replica's rows the model gives (items-changed, find,
 * get_key) is offset by k. Each leaves them when the replica holds
 * its row (see docs/replica.md). */
#pragma once

#include "navette-replica.h"
#include "navette-table.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_REPLICA_MODEL (navette_replica_model_get_type ())
G_DECLARE_FINAL_TYPE (NavetteReplicaModel, navette_replica_model, NAVETTE, REPLICA_MODEL, GObject)

/* Properties: "replica" (construct-only), "app", "table" (construct-only
 * strings), "loading" (boolean, read-only, notified: a key query runs),
 * "n-items" (guint, read-only, notified), "cache-size" (guint: records
 * the model keeps itself, default 1000, never fewer than a batch: 200),
 * "head-size" (guint, construct-only: the keys a new view without search
 * reads first, with its count, default 1000; 0: none), "head-rows"
 * (guint, construct-only: the records of the head's first keys read with
 * it and materialised before its items-changed, so that a view binds
 * its first screens to rows already read; default 0), "item-type".
 * Signals: "keys-loaded" () after each key query applied (the first one
 * included, empty table or not); "batch-loaded" (guint n) after a batch
 * of @n records was materialised; "error" (GError*) when a query or a
 * batch failed (the keys stay as they were). */
NavetteReplicaModel      *navette_replica_model_new            (NavetteReplica           *replica,
                                                                const char               *app,
                                                                const char               *table);
NavetteReplica           *navette_replica_model_get_replica    (NavetteReplicaModel      *self);
const char               *navette_replica_model_get_app        (NavetteReplicaModel      *self);
const char               *navette_replica_model_get_table      (NavetteReplicaModel      *self);
gboolean                  navette_replica_model_get_loading    (NavetteReplicaModel      *self);

/* The view: sort column and direction, search, archived filter (its
 * limit is ignored). Queries the keys again (asynchronously). The view
 * of a new model: sort column "key" (the order rows entered the replica,
 * the quickest to read), archived rows hidden. */
void                      navette_replica_model_set_view       (NavetteReplicaModel      *self,
                                                                const NavetteReplicaView *view);
/* (transfer none) The view asked last. */
const NavetteReplicaView *navette_replica_model_get_view       (NavetteReplicaModel      *self);

/* Queries the keys again with the same view (after a sync or a delta),
 * then reads again the rows still materialised. */
void                      navette_replica_model_refresh        (NavetteReplicaModel      *self);

/* The row key at @position (-1 beyond the end, or not read yet). */
gint64                    navette_replica_model_get_key        (NavetteReplicaModel      *self,
                                                                guint                     position);
/* The position of the record with that id among the rows materialised
 * (G_MAXUINT when it is not materialised or not in the view). */
guint                     navette_replica_model_find_loaded    (NavetteReplicaModel      *self,
                                                                const char               *id);
/* The position of the record with that id in the view (asked of the
 * replica off the main thread; the keys scanned when it answers): _finish
 * gives it, or G_MAXUINT and G_IO_ERROR_NOT_FOUND (not in the table, or
 * not in this view: archived, searched out). For "Show" in a toast. */
void                      navette_replica_model_find_async     (NavetteReplicaModel      *self,
                                                                const char               *id,
                                                                GCancellable             *cancellable,
                                                                GAsyncReadyCallback       callback,
                                                                gpointer                  user_data);
guint                     navette_replica_model_find_finish    (NavetteReplicaModel      *self,
                                                                GAsyncResult             *result,
                                                                GError                  **error);
/* How many records are materialised now (held by the model or by anyone
 * else), placeholders included. */
guint                     navette_replica_model_get_n_materialised (NavetteReplicaModel  *self);
void                      navette_replica_model_set_cache_size (NavetteReplicaModel      *self,
                                                                guint                     cache_size);

/* The engine's table the store edits (NULL: none). */
void                      navette_replica_model_set_overlay    (NavetteReplicaModel      *self,
                                                                NavetteTable             *table);
NavetteTable             *navette_replica_model_get_overlay    (NavetteReplicaModel      *self);
/* Puts @record (one this model handed out, not a placeholder) into the
 * overlay table, so that the store's actions on its id apply to this very
 * object. TRUE when it is there (already or now); FALSE without an
 * overlay, for a placeholder, or when the table holds another object of
 * that id. */
gboolean                  navette_replica_model_adopt          (NavetteReplicaModel      *self,
                                                                NavetteRecord            *record);

G_END_DECLS
