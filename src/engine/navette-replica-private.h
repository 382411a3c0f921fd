/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-private.h — what navette-replica.c (the worker, the SQL
 * helpers, the write side) shares with navette-replica-query.c (the read
 * side). Every function here runs on the replica's worker thread, except
 * replica_push_job() and replica_run_job_sync(), which hand a job to it. */
#pragma once

#include <sqlite3.h>

#include "navette-replica.h"
#include "navette-engine-private.h"

G_BEGIN_DECLS

/* The worker's cache of views (navette-replica-query.c). */
typedef struct _ReplicaViewCache ReplicaViewCache;
ReplicaViewCache **replica_view_cache (NavetteReplica *self);
void          replica_view_cache_free (ReplicaViewCache *cache);
NavetteReplicaSearchPlan replica_search_plan (NavetteReplica *self);

typedef void (*JobFunc) (NavetteReplica *self,
                         gpointer        data);

/* Queues @func (@data) on the worker, after every job queued before. */
void          replica_push_job     (NavetteReplica  *self,
                                    JobFunc          func,
                                    gpointer         data);
/* Queues @func (@data) on the worker before every job queued with
 * replica_push_job() (after the one running — a job is never interrupted,
 * and each job's transaction is its own — and after those queued first
 * before it). For a short read the user waits on: a view's first keys,
 * a batch of rows. */
void          replica_push_job_first (NavetteReplica  *self,
                                      JobFunc          func,
                                      gpointer         data);
/* Queues @func (@data) after every other job, those queued later too
 * (those queued the same way in order): work nobody waits for (a sort
 * index). @free_data frees @data if the replica is finalized before it
 * runs. @func runs its SQL between replica_background_begin() and
 * replica_background_end(), and yields to any other job: when begin
 * gives FALSE (another job waits, or the replica is being finalized) or
 * end gives TRUE (its SQL was stopped for one, and rolled back), it
 * runs nothing more and calls replica_background_again() instead. */
void          replica_push_job_background (NavetteReplica *self,
                                           JobFunc         func,
                                           gpointer        data,
                                           GDestroyNotify  free_data);
gboolean      replica_background_begin (NavetteReplica *self);
gboolean      replica_background_end   (NavetteReplica *self);
/* Queues @func (@data) again, before the other background jobs; frees
 * @data instead when the replica is being finalized. */
void          replica_background_again (NavetteReplica *self,
                                        JobFunc         func,
                                        gpointer        data,
                                        GDestroyNotify  free_data);
/* The same, waiting until it has run. */
void          replica_run_job_sync (NavetteReplica  *self,
                                    JobFunc          func,
                                    gpointer         data);

/* Sets @error from the connection's last error, about @what; FALSE. */
gboolean      replica_sql_fail     (NavetteReplica  *self,
                                    const char      *what,
                                    GError         **error);
gboolean      replica_sql_exec     (NavetteReplica  *self,
                                    const char      *sql,
                                    GError         **error);
sqlite3_stmt *replica_sql_prepare  (NavetteReplica  *self,
                                    const char      *sql,
                                    GError         **error);
/* A single-value query (an integer), -1 on failure. */
gint64        replica_sql_int      (NavetteReplica  *self,
                                    const char      *sql,
                                    GError         **error);
void          replica_sql_rollback (NavetteReplica  *self);

/* APP/TABLE's id in replica_tables (the <ID> of r<ID>): 0 when absent,
 * -1 on failure; with its revision and the columns of its text index. */
gint64        replica_lookup_table (NavetteReplica  *self,
                                    const char      *app,
                                    const char      *table,
                                    gint64          *revision,
                                    char           **fts_columns,
                                    GError         **error);
/* The SQL columns of r<ID> ("c_name" → TRUE). */
GHashTable   *replica_sql_columns  (NavetteReplica  *self,
                                    gint64           id,
                                    GError         **error);

/* navette_sort_key(text) for SQL: the BLOB navette_sort_key() makes of
 * it, NULL for NULL (navette-replica-keys.c). */
void          replica_sql_sort_key (sqlite3_context  *context,
                                    int               argc,
                                    sqlite3_value   **argv);

/* Gives r<ID> its sort key columns k_<column> for @text_columns ("a,b"),
 * those missing made and filled. Within the caller's transaction. */
gboolean      replica_ensure_sort_keys (NavetteReplica  *self,
                                        gint64           id,
                                        const char      *text_columns,
                                        GError         **error);

G_END_DECLS
