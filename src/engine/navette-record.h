/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteRecord — the current version of one record, as the UI shows it.
 *
 * A record object is stable: a reload or an answer of the server updates it
 * in place (notifying the properties that changed) instead of replacing it,
 * so a selection or an open editor survives. The data are typed values of
 * a JsonObject (string, integer, double, boolean or null), read with the
 * getters below; the engine alone changes them. */
#pragma once

#include "navette-engine-types.h"
#include "navette-wire.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_RECORD (navette_record_get_type ())
G_DECLARE_FINAL_TYPE (NavetteRecord, navette_record, NAVETTE, RECORD, GObject)

/* Properties (read-only, notified when they change):
 *   "id" (string), "version" (gint64, 0 for an optimistic create not yet
 *   answered), "revision" (gint64), "archived" (boolean), "updated-at"
 *   (gint64 unix usec), "updated-by" (string), "sync-state"
 *   (NavetteSyncState as guint), "error" (GError boxed, NULL unless
 *   failed), "data" (JsonObject boxed: notified on any value change).
 * Signal "data-changed" (const char *column) once per changed column. */
const char       *navette_record_get_id          (NavetteRecord *self);
gint64            navette_record_get_version     (NavetteRecord *self);
gint64            navette_record_get_revision    (NavetteRecord *self);
gboolean          navette_record_get_archived    (NavetteRecord *self);
gint64            navette_record_get_updated_at  (NavetteRecord *self);
const char       *navette_record_get_updated_by  (NavetteRecord *self);
NavetteSyncState  navette_record_get_sync_state  (NavetteRecord *self);
const GError     *navette_record_get_error       (NavetteRecord *self);

/* The values (column → JsonNode). Do not modify. */
JsonObject       *navette_record_get_data        (NavetteRecord *self);
/* NULL when the column is absent; a JSON null node when it is null. */
JsonNode         *navette_record_get_value       (NavetteRecord *self,
                                                  const char    *column);
/* TRUE when the column is absent or null. */
gboolean          navette_record_is_null         (NavetteRecord *self,
                                                  const char    *column);
/* Typed getters; return NULL / 0 / FALSE for a null, absent or mistyped
 * value. get_double accepts integers too. */
const char       *navette_record_get_string      (NavetteRecord *self,
                                                  const char    *column);
gint64            navette_record_get_int         (NavetteRecord *self,
                                                  const char    *column);
double            navette_record_get_double      (NavetteRecord *self,
                                                  const char    *column);
gboolean          navette_record_get_boolean     (NavetteRecord *self,
                                                  const char    *column);
/* The value as text for display ("12.5", "true", "" for null). */
char             *navette_record_dup_display     (NavetteRecord *self,
                                                  const char    *column);

/* A detached snapshot in the wire shape (e.g. to print as JSON). */
NavetteWireRecord *navette_record_to_wire        (NavetteRecord *self);

/* A record made from a wire record — e.g. to show one entry of a history
 * (navette_store_list_versions_async()). Such records are not in a table. */
NavetteRecord    *navette_record_new_from_wire   (const NavetteWireRecord *wire);

G_END_DECLS
