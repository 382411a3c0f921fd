/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteEngine — a workspace on one server: the client, the session, one
 * NavetteStore per application (a GListModel for the sidebar), the
 * middleware that applies actions, and the poller.
 *
 * Typical use (desktop editor):
 *   engine = navette_engine_new ("http://127.0.0.1:8080");
 *   navette_session_login_async (navette_engine_get_session (engine), …)
 *     — or _restore_async() with a saved token —
 *   navette_engine_load_async (engine, …)   // applications → stores
 *   navette_store_load_tables_async (store, …), then
 *   navette_table_reload_async (table, TRUE, …) for the table shown;
 *   navette_store_update (store, table, id, data) to edit;
 *   connect to "notification" for toasts.
 * The poller starts with navette_engine_load_async(). */
#pragma once

#include "navette-engine-types.h"
#include "navette-sync-error.h"
#include "navette-client.h"
#include "navette-session.h"
#include "navette-record.h"
#include "navette-table.h"
#include "navette-store.h"
#include "navette-change.h"
#include "navette-journal.h"
#include "navette-middleware.h"
#include "navette-replica.h"
#include "navette-replica-feed.h"
#include "navette-sort-key.h"
#include "navette-poller.h"
#include "navette-event-stream.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_ENGINE (navette_engine_get_type ())
G_DECLARE_FINAL_TYPE (NavetteEngine, navette_engine, NAVETTE, ENGINE, GObject)

NavetteEngine     *navette_engine_new            (const char    *base_url);

/* Properties (read-only): "client", "session", "middleware", "poller",
 * "stores" (GListModel of NavetteStore), "online" (mirrors the poller). */
NavetteClient     *navette_engine_get_client     (NavetteEngine *self);
NavetteSession    *navette_engine_get_session    (NavetteEngine *self);
NavetteMiddleware *navette_engine_get_middleware (NavetteEngine *self);
NavettePoller     *navette_engine_get_poller     (NavetteEngine *self);
/* The CA file (PEM) that a self-hosted server's certificate is checked
 * against instead of the system store; NULL: the system store. See
 * navette_client_set_ca_file(). */
gboolean           navette_engine_set_ca_file    (NavetteEngine *self,
                                                  const char    *ca_file,
                                                  GError       **error);
/* GListModel of NavetteStore, one per application the user has a role in,
 * in the server's order. Stores are kept (same objects) across reloads;
 * an application the user lost is removed. (transfer none) */
GListModel        *navette_engine_get_stores     (NavetteEngine *self);
NavetteStore      *navette_engine_lookup_store   (NavetteEngine *self,
                                                  const char    *name);
/* The failed changes (of the middleware). (transfer none) */
GListModel        *navette_engine_get_failed_changes (NavetteEngine *self);
gboolean           navette_engine_get_online     (NavetteEngine *self);
/* The user whose changes the engine holds: the one signed in at its
 * first load (NULL before). When another user signs in on this engine
 * (after an expired session), none of them is sent with that user's
 * token — give that user a new engine; the changes wait in their
 * author's journal. */
const char        *navette_engine_get_loaded_user (NavetteEngine *self);
/* "push-live" (boolean, read-only, notified; round 2): the server's
 * announcements arrive over a WebSocket (see NavettePoller "push"). */
gboolean           navette_engine_get_push_live  (NavetteEngine *self);

/* GET /applications (and /me): creates or updates the stores, connects
 * them to the middleware and the poller, starts the poller. Call after a
 * login or restore; calling again refreshes (roles included). An
 * application the user lost is removed, a ROLE_CHANGED notification says
 * so, and its changes not sent yet are failed with that reason. */
void               navette_engine_load_async     (NavetteEngine       *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean           navette_engine_load_finish    (NavetteEngine       *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Checks the server now (a manual refresh, F5): the light checks of
 * every application, the user's roles (`me`, otherwise asked with its
 * ETag after each poll round and on a `roles` announcement), the
 * applications and the tables of the loaded stores (otherwise read again
 * on a `schema` announcement or when a light check shows the schema
 * moved). */
void               navette_engine_refresh        (NavetteEngine       *self);

/* Round 2: the journal and the replica, per server and user.
 *
 * @dir: the data directory (NULL, the default, turns the journal off);
 * pending, waiting and failed changes are kept in the outbox of the
 * account's replica, DIR/KEY/replica.db (KEY from
 * navette_engine_account_key(); see NavetteJournal; a DIR/KEY/pending.json
 * of an earlier version is moved into it once), committed to the disk
 * before a change is sent and whenever one ends, and put
 * back (sent again with the same idempotency key, or listed as failed) by
 * the next navette_engine_load_async() of the same server and user. Set
 * before the first load. */
void               navette_engine_set_data_dir   (NavetteEngine *self,
                                                  const char    *dir);
const char        *navette_engine_get_data_dir   (NavetteEngine *self);
/* $XDG_DATA_HOME/navette (the app, the CLI). The JSON cache of earlier
 * versions, $XDG_CACHE_HOME/navette, is deleted once (in a worker
 * thread): the replica holds the data now, synced again from the server
 * as tables are opened. */
void               navette_engine_use_default_dirs (NavetteEngine *self);
/* @url: the name of this server in the journal and the replica, used
 * instead of the client's base URL (NULL: the base URL). The local mode
 * names its database, since its server's port changes at each start.
 * Set before navette_engine_open_saved_async() and the first load. */
void               navette_engine_set_account_url (NavetteEngine *self,
                                                   const char    *url);
/* The first 32 hex digits of SHA-256("URL\nUSERNAME"). */
char              *navette_engine_account_key    (const char    *base_url,
                                                  const char    *username);
/* The journal in use (after a load), or NULL. (transfer none) */
NavetteJournal    *navette_engine_get_journal    (NavetteEngine *self);
/* The path of the journal in use (after a load), or NULL: the database
 * (replica.db) whose outbox table holds it. */
char              *navette_engine_dup_journal_path (NavetteEngine *self);
/* The journal of @username on this server (whether in use or not), or
 * NULL without a data directory. */
char              *navette_engine_journal_path_for (NavetteEngine *self,
                                                    const char    *username);
/* The name of the server in the journal and the replica (the account URL,
 * else the base URL). */
const char        *navette_engine_get_account_url  (NavetteEngine *self);
/* Waits until every change made so far is on disk in the journal (before
 * quitting). TRUE at once without a journal. */
void               navette_engine_flush_journal_async  (NavetteEngine       *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean           navette_engine_flush_journal_finish (NavetteEngine       *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Shows what the replica of @username on this server holds at once,
 * with no network (the data directory is needed): opens that replica
 * (navette_engine_get_replica() returns it from then on) and creates the
 * stores and tables it knows, from the applications' list the engine kept
 * there at its last load and the tables' schemas (tables "cached" = TRUE:
 * shown from the replica, not loaded in memory), read in a worker thread;
 * no record is read. navette_engine_open_feed() works at once: the feed
 * shows the replica's rows and syncs only once the engine is loaded.
 * Then sign in / restore and navette_engine_load_async() as usual: it
 * keeps those table objects ("cached" becomes FALSE) and the feeds sync.
 * NOT_FOUND when there is no replica or it holds no table. Does nothing
 * once the engine was loaded from the server. */
void               navette_engine_open_saved_async  (NavetteEngine       *self,
                                                     const char          *username,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean           navette_engine_open_saved_finish (NavetteEngine       *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* The local replica of the loaded user on this server
 * (DATA_DIR/KEY/replica.db, see docs/replica.md), opened the first time
 * it is asked (synchronously: a quick open); NULL without a data
 * directory, before the first load (the user is not known), or when it
 * could not be opened (said once in the log). (transfer none) */
NavetteReplica    *navette_engine_get_replica     (NavetteEngine *self);
/* The feed keeping @table in the replica (made, and its first sync
 * started, the first time; the same object afterwards), or NULL without
 * a replica. The engine owns it: it lives as long as the engine, or
 * until the application is lost (its tables are then dropped from the
 * replica). (transfer none) */
NavetteReplicaFeed *navette_engine_open_feed      (NavetteEngine *self,
                                                   NavetteTable  *table);
/* The feed of @table if one was opened, else NULL. (transfer none) */
NavetteReplicaFeed *navette_engine_lookup_feed    (NavetteEngine *self,
                                                   NavetteTable  *table);

/* Signals:
 *   "notification" (const char *message, NavetteNotificationKind kind,
 *     NavetteChange *change /nullable/) — everything the UI shows as a toast:
 *     failed changes, changes by others, offline/online, role changes, an
 *     expired session (emitted once; after a new login the failed changes
 *     are retried automatically). */

G_END_DECLS
