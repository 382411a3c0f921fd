/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteTable — one table of an application: its schema and a GListModel
 * of its current records (NavetteRecord), archived ones included (filter on
 * "archived" in the UI).
 *
 * The model is kept sorted by record id (a stable key: the UI sorts with a
 * GtkSortListModel). A reload applies the smallest change: unchanged
 * records keep their objects and emit nothing; a changed record is updated
 * in place and "items-changed" covers only its row; new records are
 * inserted, and rows are removed only when the server no longer has them.
 * A record with a pending action keeps its optimistic values through a
 * reload; the server's answer to the action decides. */
#pragma once

#include "navette-engine-types.h"
#include "navette-wire.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_TABLE (navette_table_get_type ())
G_DECLARE_FINAL_TYPE (NavetteTable, navette_table, NAVETTE, TABLE, GObject)

/* Properties (read-only, notified): "store" (NavetteStore, weak), "name",
 * "title", "revision" (gint64, -1 before the first load), "loaded"
 * (boolean: the first load finished), "loading" (boolean), "progress"
 * (double 0..1 of the current load, -1 when unknown: a load of several
 * pages has no known total), "rows-loaded" (guint: rows received so far
 * by the current load, which walks the server's pages; the count of the
 * last load once it is over), "n-items" (guint), "item-type".
 * GListModel of NavetteRecord. */
NavetteStore            *navette_table_get_store    (NavetteTable *self);
const char              *navette_table_get_name     (NavetteTable *self);
const char              *navette_table_get_title    (NavetteTable *self);
gint64                   navette_table_get_revision (NavetteTable *self);
gboolean                 navette_table_get_loaded   (NavetteTable *self);
gboolean                 navette_table_get_loading  (NavetteTable *self);
double                   navette_table_get_progress (NavetteTable *self);
guint                    navette_table_get_rows_loaded (NavetteTable *self);

/* The schema: columns in order. Valid as long as the table lives (a
 * schema replaced by a newer one is kept until then). */
const NavetteWireTable  *navette_table_get_schema   (NavetteTable *self);
const NavetteWireColumn *navette_table_lookup_column (NavetteTable *self,
                                                      const char   *name);

/* The record with that id, or NULL. (transfer none) */
NavetteRecord           *navette_table_lookup       (NavetteTable *self,
                                                     const char   *id);
/* Its position in the model (G_MAXUINT when absent). */
guint                    navette_table_find         (NavetteTable *self,
                                                     const char   *id);

/* Fetches the records (a delta `?since=` when @full is FALSE and the table
 * was loaded before; everything otherwise), parses them off the main thread
 * and applies the smallest change. Only one load runs at a time: a second
 * call joins the running one. _finish returns the number of rows changed
 * (inserted + updated + removed). */
void                     navette_table_reload_async  (NavetteTable        *self,
                                                      gboolean             full,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean                 navette_table_reload_finish (NavetteTable        *self,
                                                      GAsyncResult        *result,
                                                      guint               *n_changed,
                                                      GError             **error);

/* Fetches one record (GET …/records/ID) and puts it in the model
 * (inserted, or updated in place), without loading the whole table.
 * _finish returns the record (transfer full). NOT_FOUND when the server
 * has no such record. */
void                     navette_table_fetch_record_async  (NavetteTable        *self,
                                                            const char          *id,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
NavetteRecord           *navette_table_fetch_record_finish (NavetteTable        *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);

/* Parses "col=value" text into a typed JSON value per the schema
 * (integer, real, boolean "true"/"false"/"yes"/"no"/"1"/"0", date
 * YYYY-MM-DD, text; an empty string or "null" is null for non-text
 * columns). Used by the CLI and by entry fields. Returns a new node, or
 * NULL with NAVETTE_SYNC_ERROR_VALIDATION (fields set). */
JsonNode                *navette_table_parse_value   (NavetteTable *self,
                                                      const char   *column,
                                                      const char   *text,
                                                      GError      **error);

/* Round 2: "cached" (boolean, read-only, notified): the table is known
 * from the replica (navette_engine_open_saved_async()) and shown from it
 * before the engine is loaded; FALSE once the engine is loaded (or after
 * a reload of the table). Its records are not loaded in memory. */
gboolean                 navette_table_get_cached    (NavetteTable *self);

/* Signal "reloaded" (guint n_changed, GPtrArray *changed): after every
 * applied reload; @changed holds the NavetteRecord objects that were
 * inserted or updated by the reload (not the rows kept for pending
 * actions).
 * Signal "schema-changed" (): the table's schema (title, columns) was
 * replaced by another one read from the server — a column added,
 * retitled, archived. The new one is navette_table_get_schema().
 * Signal "server-revision-moved" (gint64 revision): the poller (a light
 * check or an announcement) saw the server's revision of this table move
 * past what it knew, for a table not loaded in memory (a loaded one is
 * reloaded instead). NavetteReplicaFeed listens to it. */

G_END_DECLS
