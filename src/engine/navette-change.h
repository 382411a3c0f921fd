/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteChange — one action (create, update, archive, revert) and its fate.
 *
 * Holds what was asked (the columns and values), which record, the values
 * it overwrote (for the rollback), its idempotency key (reused by a retry,
 * so a change that reached the server is never written twice), its state
 * and the reason of its failure. Failed changes are listed by
 * navette_middleware_get_failed_changes(). */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_CHANGE (navette_change_get_type ())
G_DECLARE_FINAL_TYPE (NavetteChange, navette_change, NAVETTE, CHANGE, GObject)

/* Properties (read-only, notified): "kind" (NavetteChangeKind as guint),
 * "state" (NavetteChangeState as guint), "error" (GError boxed),
 * "attempts" (guint), "app", "table-name", "record-id", "idempotency-key",
 * "description" (a sentence: what the change does), "record"
 * (NavetteRecord: the record when it is in the model, may be NULL). */
NavetteChangeKind  navette_change_get_kind            (NavetteChange *self);
NavetteChangeState navette_change_get_state           (NavetteChange *self);
const GError      *navette_change_get_error           (NavetteChange *self);
guint              navette_change_get_attempts        (NavetteChange *self);
const char        *navette_change_get_app             (NavetteChange *self);
const char        *navette_change_get_table_name      (NavetteChange *self);
const char        *navette_change_get_record_id       (NavetteChange *self);
const char        *navette_change_get_idempotency_key (NavetteChange *self);
NavetteRecord     *navette_change_get_record          (NavetteChange *self);
NavetteTable      *navette_change_get_table           (NavetteChange *self);
NavetteStore      *navette_change_get_store           (NavetteChange *self);
/* The columns and values the change sets (create/update; for a revert, the
 * version's data when known). May be NULL (archive). Do not modify. */
JsonObject        *navette_change_get_data            (NavetteChange *self);
/* The values the change overwrote when it was applied (column → value as
 * shown then), or NULL (create, archive, a record not in the model). What
 * a rollback restored, unless a later change or the server changed them
 * meanwhile. Do not modify. */
JsonObject        *navette_change_get_previous        (NavetteChange *self);
/* The target version of a revert, 0 otherwise. */
gint64             navette_change_get_revert_version  (NavetteChange *self);
/* "Set price of “Lamp” to 12.5", "Create product", "Archive “Lamp”" —
 * translated. (transfer none) */
const char        *navette_change_get_description     (NavetteChange *self);
/* The record as the server answered it (after success), or NULL. */
NavetteWireRecord *navette_change_get_result          (NavetteChange *self);
/* TRUE when the change is over (succeeded, failed or discarded). */
gboolean           navette_change_is_finished         (NavetteChange *self);

/* Signal "finished" (): when the state leaves PENDING (to SUCCEEDED or
 * FAILED), also again after a retry. */

G_END_DECLS
