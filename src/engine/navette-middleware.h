/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteMiddleware — applies the stores' actions.
 *
 * Connected to the "create" and "update" signals of each store it is given,
 * for each change it: applies it optimistically at once (the record's
 * values change and the row emits items-changed before the request even
 * leaves); puts it in the journal (NavetteJournal) and sends it — never
 * before its journal entry is on disk — with an Idempotency-Key; the
 * changes of one record go out one at a time, in the order they were made.
 * On success it reconciles the record with the server's answer (version,
 * revision, timestamps, values).
 *
 * Transient failures (network, timeout, 502/503/504 `unavailable`) NEVER
 * roll back: the change stays applied and pending, marked "waiting"
 * (navette_change_get_waiting(), the record's sync state WAITING), in the
 * journal; "online" turns FALSE and everything else waits behind it, in
 * order. navette_middleware_resume() (the engine calls it when the server
 * answers again) sends them all, with the same idempotency keys, and once
 * every waiting change is saved a notification ALL_SAVED says so.
 *
 * An expired or revoked session (401 `auth_expired` / `auth_required`)
 * rolls back the change that got it, alone, into the failed list (a
 * CHANGE_FAILED notification saying the session expired); nothing else is
 * sent with the dead token — the changes queued behind it were not
 * refused and wait, applied — until a new session exists. The engine then
 * retries the changes that failed so, in the order they were made, before
 * those queued behind them, and resumes.
 *
 * Permanent failures (validation, forbidden, not found, conflict, an
 * answer that cannot be understood, a refused certificate, any other 4xx
 * or 500) roll back THAT change alone — only the columns it set,
 * restoring the values it overwrote unless a later pending change or the
 * server changed them meanwhile — never a table snapshot. A rolled-back
 * change lands in the failed-changes list, from which it can be retried
 * (same idempotency key) or discarded; the "notification" signal then
 * carries a sentence for a person.
 *
 * An update carries only the columns it names, with the base version it
 * was made on: a concurrent change to another column is never reverted.
 * When the server reports versions written by others since that base
 * version ("superseded"), a notification SUPERSEDED names who and when. */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_MIDDLEWARE (navette_middleware_get_type ())
G_DECLARE_FINAL_TYPE (NavetteMiddleware, navette_middleware, NAVETTE, MIDDLEWARE, GObject)

NavetteMiddleware *navette_middleware_new        (NavetteClient     *client);

/* Properties: "client" (read-only: the one given to _new()),
 * "n-pending" (guint, read-only: changes not finished, the waiting ones
 * included), "n-waiting" (guint, read-only: changes waiting for the
 * server or a sign-in), "online" (boolean, read-only: FALSE from a
 * transient failure until resumed), "failed-changes" (GListModel,
 * read-only), "journal-error" (GError, read-only, notified). */
guint       navette_middleware_get_n_pending     (NavetteMiddleware *self);
guint       navette_middleware_get_n_waiting     (NavetteMiddleware *self);
/* Why the journal cannot be written (navette_journal_get_write_error()),
 * or NULL: while set, changes not yet accepted are only in memory. The
 * first failure emits a notification JOURNAL_FAILED, the first write that
 * works again an INFO one. */
const GError *navette_middleware_get_journal_error (NavetteMiddleware *self);
gboolean    navette_middleware_get_online        (NavetteMiddleware *self);
/* The server answers again (or the user signed in again): sends every
 * waiting change, in order per record. */
void        navette_middleware_resume            (NavetteMiddleware *self);
/* The session expired (the engine calls it on NavetteSession
 * "auth-expired"): nothing is sent until navette_middleware_resume();
 * changes wait, applied. */
void        navette_middleware_wait_for_sign_in  (NavetteMiddleware *self);

void        navette_middleware_connect_store     (NavetteMiddleware *self,
                                                  NavetteStore      *store);
void        navette_middleware_disconnect_store  (NavetteMiddleware *self,
                                                  NavetteStore      *store);
/* Every change of @store not on its way now fails with @error (it goes to
 * the failed list, rolled back): the user lost the application. A change
 * being sent ends with the server's answer. */
void        navette_middleware_fail_store        (NavetteMiddleware *self,
                                                  NavetteStore      *store,
                                                  const GError      *error);

/* GListModel of NavetteChange: the rolled-back changes, oldest first.
 * (transfer none) */
GListModel *navette_middleware_get_failed_changes (NavetteMiddleware *self);

/* Sends a failed change again with the same idempotency key (it leaves the
 * failed list and is applied optimistically again, before the changes of
 * its record made after it that are not on their way yet). */
void        navette_middleware_retry             (NavetteMiddleware *self,
                                                  NavetteChange     *change);
/* Retries every failed change. */
void        navette_middleware_retry_all         (NavetteMiddleware *self);
/* Forgets a failed change (state DISCARDED). */
void        navette_middleware_discard           (NavetteMiddleware *self,
                                                  NavetteChange     *change);
/* Forgets every failed change. */
void        navette_middleware_discard_all       (NavetteMiddleware *self);

/* Signals:
 *   "notification" (const char *message, NavetteNotificationKind kind,
 *     NavetteChange *change /nullable/) — a change failed (CHANGE_FAILED),
 *     a save replaced others' versions (SUPERSEDED), everything that
 *     waited for the server is saved (ALL_SAVED, no change), the journal
 *     cannot be written (JOURNAL_FAILED, no change) or can again (INFO).
 *   "change-finished" (NavetteChange *change) — any change left PENDING. */

G_END_DECLS
