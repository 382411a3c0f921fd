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
/* The version the change was made on — for an update, the version the
 * user saw: the server reports versions written since by others as
 * superseded. 0: the record's version when the change is sent. */
gint64             navette_change_get_base_version    (NavetteChange *self);
/* "waiting" (boolean, notified): PENDING, applied and kept in the journal,
 * and waiting for the server to answer again (or for a new sign-in). */
gboolean           navette_change_get_waiting         (NavetteChange *self);
/* "journaled" (boolean, notified): the change is on disk in the journal
 * (written and fsync()ed): it survives a crash from now on, and is sent
 * again with the same idempotency key by the next run. FALSE for an
 * engine without a journal. */
gboolean           navette_change_get_journaled       (NavetteChange *self);
/* After success: the versions written by others since the base version
 * that this change replaced (it wrote over them: last write wins), newest
 * last, or NULL. (transfer none) GArray of gint64. */
GArray            *navette_change_get_superseded      (NavetteChange *self);
/* Who wrote the newest of them and when (unix µs), when known. */
const char        *navette_change_get_superseded_by   (NavetteChange *self);
gint64             navette_change_get_superseded_at   (NavetteChange *self);

/* Signal "finished" (): when the state leaves PENDING (to SUCCEEDED or
 * FAILED), also again after a retry. */

G_END_DECLS
