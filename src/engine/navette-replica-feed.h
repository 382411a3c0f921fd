/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteReplicaFeed — keeps one table of the replica up to date from the
 * server, and a lazy model of it (NavetteReplicaModel) refreshed after
 * each sync.
 *
 * Made for a table the user opens: it syncs the table into the replica at
 * once (the whole table the first time, the changes since the revision
 * held afterwards), and again whenever the poller sees the table's
 * revision move (NavetteTable "server-revision-moved": a light check or
 * an announcement; the NavetteTable itself is not loaded in memory) or
 * the table's schema changes, or on navette_replica_feed_sync(). A sync
 * asked while one runs is run once after it. After each sync the model
 * queries its keys again: "items-changed" covers only the positions that
 * changed. The model's overlay is @table: records adopted into it
 * (navette_replica_model_adopt()) show the middleware's optimistic
 * changes. Nothing here blocks the main loop. */
#pragma once

#include "navette-replica-model.h"
#include "navette-table.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_REPLICA_FEED (navette_replica_feed_get_type ())
G_DECLARE_FINAL_TYPE (NavetteReplicaFeed, navette_replica_feed, NAVETTE, REPLICA_FEED, GObject)

/* @table: the engine's table (its store names the application; its schema
 * is the replica's). Starts the first sync. */
NavetteReplicaFeed  *navette_replica_feed_new          (NavetteReplica     *replica,
                                                        NavetteClient      *client,
                                                        NavetteTable       *table);
/* (transfer none) */
NavetteReplicaModel *navette_replica_feed_get_model    (NavetteReplicaFeed *self);
NavetteTable        *navette_replica_feed_get_table    (NavetteReplicaFeed *self);

/* Properties (read-only, notified): "syncing" (boolean), "synced"
 * (boolean: a sync completed since the feed was made), "revision"
 * (gint64: the revision the replica holds, -1 before a sync completed),
 * "error" (GError boxed: the last sync's failure, NULL after a success),
 * "removed" (boolean: the store no longer lists the table — the user may
 * no longer read it, or it was removed —: it was dropped from the
 * replica, the model emptied, and nothing syncs it any more),
 * "rows-synced" (guint64: the rows the running sync applied so far,
 * page by page — the progress of a first sync; 0 when a sync starts).
 * Signal "synced" (guint64 n_rows): after each sync that succeeded, with
 * the number of rows the server sent. */
gboolean             navette_replica_feed_get_syncing  (NavetteReplicaFeed *self);
gboolean             navette_replica_feed_get_synced   (NavetteReplicaFeed *self);
gint64               navette_replica_feed_get_revision (NavetteReplicaFeed *self);
const GError        *navette_replica_feed_get_error    (NavetteReplicaFeed *self);
gboolean             navette_replica_feed_get_removed  (NavetteReplicaFeed *self);
guint64              navette_replica_feed_get_rows_synced (NavetteReplicaFeed *self);

/* Syncs now (a delta), or once more after the sync running. */
void                 navette_replica_feed_sync         (NavetteReplicaFeed *self);

G_END_DECLS
