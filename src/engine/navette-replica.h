/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteReplica — the local replica: one SQLite database (WAL) per
 * server and user, holding the current records of the tables synced into
 * it, with typed columns, each table's revision and schema, and an FTS5
 * index over its text columns.
 *
 * Every statement runs on the replica's own worker thread (one SQLite
 * connection, used by that thread only), in the order asked; results come
 * back on the main context of the caller (the thread-default context when
 * the call was made). A page or a delta is applied in one transaction,
 * and a walk's revision is written in the transaction of its last page
 * (a whole walk also fills the FTS index and makes the id index there):
 * a process killed at any moment leaves the replica as it was after some
 * whole page, and the next sync asks from the last revision it completed.
 *
 * The engine opens its user's replica (navette_engine_get_replica()) and
 * the window shows tables through a NavetteReplicaFeed's lazy model;
 * navette-cli ls reads it too. The journal of unsent changes
 * (NavetteJournal) is the table outbox of the same file, on its own
 * connection. */
#pragma once

#include "navette-client.h"
#include "navette-record.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_REPLICA (navette_replica_get_type ())
G_DECLARE_FINAL_TYPE (NavetteReplica, navette_replica, NAVETTE, REPLICA, GObject)

/* DATA_DIR/KEY/replica.db, KEY from navette_engine_account_key(): two
 * users of one machine, or one user of two servers, never share one. */
char           *navette_replica_path_for       (const char      *data_dir,
                                                const char      *base_url,
                                                const char      *username);

/* Opens (creating it and its directory, 0700) the database at @path.
 * Synchronous: meant for a program's start, not the middle of a UI. */
NavetteReplica *navette_replica_open           (const char      *path,
                                                GError         **error);
const char     *navette_replica_get_path       (NavetteReplica  *self);

/* Syncs APP/@schema: migrates the replica's table to @schema (a column
 * added: ALTER TABLE and the values read from the stored data; text
 * columns changed: the FTS index rebuilt), then walks the server's record
 * list from the table's last completed revision (everything on the first
 * sync), applying each page in a transaction. _finish: the revision now
 * held, and (@n_rows) how many rows the server sent. */
void            navette_replica_sync_async     (NavetteReplica         *self,
                                                NavetteClient          *client,
                                                const char             *app,
                                                const NavetteWireTable *schema,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
gboolean        navette_replica_sync_finish    (NavetteReplica         *self,
                                                GAsyncResult           *result,
                                                gint64                 *revision,
                                                guint64                *n_rows,
                                                GError                **error);
/* Signal "sync-progress" (const char *app, const char *table, guint64
 * n_rows): emitted on the sync's context after each page of a sync is
 * applied, with the rows applied so far by that sync (progress of a
 * first sync: the server gives no total). */

/* The same, waiting in a nested iteration of the thread-default main
 * context (the CLI, tests). */
gboolean        navette_replica_sync           (NavetteReplica         *self,
                                                NavetteClient          *client,
                                                const char             *app,
                                                const NavetteWireTable *schema,
                                                gint64                 *revision,
                                                guint64                *n_rows,
                                                GError                **error);

/* Builds the indexes that views of APP/TABLE sorted by each of
 * @schema's columns read (and that of the order rows entered, archived
 * ones hidden: the window's default), which the first view sorted so
 * would otherwise build (a second or two at a million rows). In the
 * background: one column per job, after every other job of the
 * replica's (views, rows, syncs). Those there already cost nothing. A
 * whole walk (navette_replica_sync()) queues them when it ends. */
void            navette_replica_build_sort_indexes (NavetteReplica         *self,
                                                    const char             *app,
                                                    const NavetteWireTable *schema);
/* Waits until every background job queued before has run (benchmarks,
 * tests). */
void            navette_replica_wait_background (NavetteReplica *self);

/* The revision of APP/TABLE held (-1: never completely synced) and its
 * number of rows (archived included). Synchronous (a quick query). */
gboolean        navette_replica_get_table_info (NavetteReplica  *self,
                                                const char      *app,
                                                const char      *table,
                                                gint64          *revision,
                                                guint64         *n_rows,
                                                GError         **error);

typedef enum
{
  NAVETTE_REPLICA_ARCHIVED_HIDE,  /* the current records only */
  NAVETTE_REPLICA_ARCHIVED_ONLY,
  NAVETTE_REPLICA_ARCHIVED_ALL,
} NavetteReplicaArchived;

/* A view of a table: its order, search and filter. */
typedef struct
{
  const char             *sort_column; /* a schema column, or id, version,
                                          revision, updated_at, updated_by;
                                          NULL: by id; "key": the order
                                          rows entered the replica (a
                                          plain scan, no index: the
                                          quickest) */
  gboolean                descending;
  const char             *search;      /* NULL or "": no search; else every
                                          word must start a word of a text
                                          column (FTS5 prefix query) */
  NavetteReplicaArchived  archived;
  guint                   limit;       /* 0: no limit */
} NavetteReplicaView;

/* The view's row keys in order (GArray of gint64; read-only: the
 * worker may keep the same array). Sorting by a column (or by id)
 * creates an index (column, id, archived) the first time, covering the
 * keys: a whole table's are an index scan. A search most rows match is
 * the view's order filtered through a bitmap of the FTS rows; the
 * worker keeps the last view's keys and the last search's matches while
 * nothing in the file changes, so that a search typed in a sorted view
 * reads the FTS rows only (docs/replica.md, "Sorted search"). Unknown
 * column: G_IO_ERROR INVALID_ARGUMENT. */
void            navette_replica_query_keys_async  (NavetteReplica           *self,
                                                   const char               *app,
                                                   const char               *table,
                                                   const NavetteReplicaView *view,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
GArray         *navette_replica_query_keys_finish (NavetteReplica           *self,
                                                   GAsyncResult             *result,
                                                   GError                  **error);

/* The first @head keys of a view without search, in @n_total the number
 * of rows of the whole view (a count, not a scan: see docs/replica.md),
 * and in @rows (transfer full, or NULL) the records of the first @n_rows
 * of those keys (NULL for a key not there), read in one job that goes
 * before the jobs already queued on the worker (a sync's): for a view to
 * show its first rows before its keys are all read. */
void            navette_replica_query_head_async  (NavetteReplica           *self,
                                                   const char               *app,
                                                   const char               *table,
                                                   const NavetteReplicaView *view,
                                                   guint                     head,
                                                   guint                     n_rows,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
GArray         *navette_replica_query_head_finish (NavetteReplica           *self,
                                                   GAsyncResult             *result,
                                                   guint                    *n_total,
                                                   GPtrArray               **rows,
                                                   GError                  **error);

/* Materialises rows by key: (transfer full) a GPtrArray of NavetteRecord
 * (new objects holding the server state, not linked to any store), in the
 * order of @keys; a key no longer there is skipped. */
void            navette_replica_fetch_async    (NavetteReplica  *self,
                                                const char      *app,
                                                const char      *table,
                                                const gint64    *keys,
                                                guint            n_keys,
                                                GCancellable    *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer         user_data);
GPtrArray      *navette_replica_fetch_finish   (NavetteReplica  *self,
                                                GAsyncResult    *result,
                                                GError         **error);

/* The same, but the array has one element per key, in the order of
 * @keys: NULL for a key no longer there (the lazy model's batches).
 * _finish: navette_replica_fetch_finish(). */
void            navette_replica_fetch_keyed_async (NavetteReplica  *self,
                                                   const char      *app,
                                                   const char      *table,
                                                   const gint64    *keys,
                                                   guint            n_keys,
                                                   GCancellable    *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer         user_data);

/* Drops APP/@table (NULL: every table of APP) from the replica: its
 * records, text index and revision (a table or an application the user
 * may no longer read). _finish: how many tables were dropped, or -1. */
void            navette_replica_drop_async     (NavetteReplica      *self,
                                                const char          *app,
                                                const char          *table,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gint            navette_replica_drop_finish    (NavetteReplica      *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* The row key of the record @id of APP/@table (> 0), or -1 and
 * G_IO_ERROR_NOT_FOUND. */
void            navette_replica_lookup_key_async  (NavetteReplica      *self,
                                                   const char          *app,
                                                   const char          *table,
                                                   const char          *id,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gint64          navette_replica_lookup_key_finish (NavetteReplica      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Streaming a view without holding its keys: a cursor over the view's
 * rows, read @n at a time (on the worker). The replica must outlive it. */
typedef struct _NavetteReplicaCursor NavetteReplicaCursor;

NavetteReplicaCursor *navette_replica_cursor_open (NavetteReplica           *self,
                                                   const char               *app,
                                                   const char               *table,
                                                   const NavetteReplicaView *view,
                                                   GError                  **error);
/* The next ≤ @n rows as NavetteRecord (an empty array at the end), or
 * NULL and @error. Synchronous (runs on the worker, waits for it). */
GPtrArray      *navette_replica_cursor_next    (NavetteReplicaCursor     *cursor,
                                                guint                     n,
                                                GError                  **error);
void            navette_replica_cursor_free    (NavetteReplicaCursor     *cursor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteReplicaCursor, navette_replica_cursor_free)

/* What the replica holds, for a start without the network
 * (navette-replica-meta.c). Synchronous (quick queries; any thread). */
typedef struct
{
  char             *app;
  NavetteWireTable *schema;    /* as last synced */
  gint64            revision;  /* -1: never completely synced */
} NavetteReplicaTable;

void            navette_replica_table_free     (NavetteReplicaTable *table);
/* (transfer full) NavetteReplicaTable*, by application and name. */
GPtrArray      *navette_replica_list_tables    (NavetteReplica  *self,
                                                GError         **error);
/* A small named value kept in the replica (the engine keeps its list of
 * applications there: names, titles, roles). _dup: NULL when never set. */
gboolean        navette_replica_set_meta       (NavetteReplica  *self,
                                                const char      *key,
                                                const char      *value,
                                                GError         **error);
char           *navette_replica_dup_meta       (NavetteReplica  *self,
                                                const char      *key,
                                                GError         **error);

/* The rows of APP/@table not archived (what a view shows), counted on
 * the worker, plus those of @created (nullable: the ids of records
 * created here, not archived) that the replica does not hold yet — a
 * view lists them first: -1 when the replica does not hold the table
 * completely (never synced to its end). */
void            navette_replica_count_async    (NavetteReplica      *self,
                                                const char          *app,
                                                const char          *table,
                                                const char * const  *created,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gint64          navette_replica_count_finish   (NavetteReplica      *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
