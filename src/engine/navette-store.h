/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteStore — one application: its tables (with their schemas) and the
 * user's role in it.
 *
 * Writes go through ACTIONS: navette_store_create(), _update(), _archive()
 * and _revert() build a NavetteChange and emit it as the "create" or
 * "update" signal (archive, unarchive and revert are updates). The
 * NavetteMiddleware connected to the store applies it optimistically at
 * once (before these functions return), sends it and reconciles or rolls
 * back. Watch the returned change's "state" to know the outcome. Without
 * a middleware connected, nothing happens. */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_STORE (navette_store_get_type ())
G_DECLARE_FINAL_TYPE (NavetteStore, navette_store, NAVETTE, STORE, GObject)

/* Properties (read-only, notified): "client", "name", "title", "role"
 * (NavetteRole as guint; updated when the server changes it), "loaded"
 * (the table list is there), "tables" (GListModel of NavetteTable). */
NavetteClient *navette_store_get_client  (NavetteStore *self);
const char    *navette_store_get_name    (NavetteStore *self);
const char    *navette_store_get_title   (NavetteStore *self);
NavetteRole    navette_store_get_role    (NavetteStore *self);
gboolean       navette_store_get_loaded  (NavetteStore *self);
gboolean       navette_store_can_edit    (NavetteStore *self);
/* GListModel of NavetteTable, in the server's order. (transfer none) */
GListModel    *navette_store_get_tables  (NavetteStore *self);
NavetteTable  *navette_store_lookup_table (NavetteStore *self,
                                           const char   *name);

/* Fetches the table list and schemas (GET …/tables). Tables are kept
 * (same objects) across calls; their records are NOT loaded: call
 * navette_table_reload_async() on the ones shown. */
void           navette_store_load_tables_async  (NavetteStore        *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean       navette_store_load_tables_finish (NavetteStore        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* ---- Actions. Each returns the change (transfer full), already applied
 * optimistically when a middleware is connected. @data is not taken: the
 * values are copied. Values must be typed per the schema (see
 * navette_table_parse_value()). ---- */

/* @id: (nullable): the new record's id; NULL picks a UUID (a stable id for
 * the optimistic row). */
NavetteChange *navette_store_create      (NavetteStore *self,
                                          NavetteTable *table,
                                          const char   *id,
                                          JsonObject   *data);
/* Sets only the columns in @data: the others keep whatever they hold on
 * the server when the change lands, whoever wrote them. Made on the
 * version the engine has when the change is sent. */
NavetteChange *navette_store_update      (NavetteStore *self,
                                          NavetteTable *table,
                                          const char   *record_id,
                                          JsonObject   *data);
/* The same, made on @base_version: the version the user saw (an editor
 * opened on version 3 saves with base version 3 even if version 4 has
 * arrived meanwhile). Versions written by others after it are reported
 * as superseded (a SUPERSEDED notification). 0: as navette_store_update(). */
NavetteChange *navette_store_update_from (NavetteStore *self,
                                          NavetteTable *table,
                                          const char   *record_id,
                                          JsonObject   *data,
                                          gint64        base_version);
NavetteChange *navette_store_archive     (NavetteStore *self,
                                          NavetteTable *table,
                                          const char   *record_id,
                                          gboolean      archived);
/* @version_data: (nullable): the data of that version when the caller
 * knows them (from the history), shown optimistically; otherwise the row
 * changes when the server answers. */
NavetteChange *navette_store_revert      (NavetteStore *self,
                                          NavetteTable *table,
                                          const char   *record_id,
                                          gint64        version,
                                          JsonObject   *version_data);

/* History of a record: _finish returns a GListModel of NavetteRecord
 * (detached snapshots, newest first). */
void           navette_store_list_versions_async  (NavetteStore        *self,
                                                   NavetteTable        *table,
                                                   const char          *record_id,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GListModel    *navette_store_list_versions_finish (NavetteStore        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Signals:
 *   "create" (NavetteChange *change) — a create action.
 *   "update" (NavetteChange *change) — an update, archive or revert.
 *   "table-changed" (NavetteTable *table, guint n_by_others, GPtrArray
 *     *records) — a reload brought changes; @n_by_others excludes the
 *     user's own writes. Emitted by the poller through the store. */

G_END_DECLS
