/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteMiddleware — applies the stores' actions.
 *
 * Connected to the "create" and "update" signals of each store it is given,
 * for each change it: applies it optimistically at once (the record's
 * values change and the row emits items-changed before the request even
 * leaves); sends it with an Idempotency-Key; on success reconciles the
 * record with the server's answer (version, revision, timestamps, values);
 * on failure rolls back THAT change alone — only the columns it set,
 * restoring the values it overwrote unless a later pending change or the
 * server changed them meanwhile — never a table snapshot. Transient
 * failures (network, timeout, unavailable, 5xx) are retried with
 * exponential backoff and jitter, "max-attempts" times in all, before the
 * rollback; permanent ones roll back at once. A rolled-back change lands
 * in the failed-changes list, from which it can be retried (same
 * idempotency key) or discarded; the "notification" signal then carries a
 * sentence for a person. */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_MIDDLEWARE (navette_middleware_get_type ())
G_DECLARE_FINAL_TYPE (NavetteMiddleware, navette_middleware, NAVETTE, MIDDLEWARE, GObject)

NavetteMiddleware *navette_middleware_new        (NavetteClient     *client);

/* Properties: "client" (construct-only), "max-attempts" (guint, default
 * 4: the first send + 3 retries), "retry-delay" (guint, ms, default 500:
 * the first backoff; doubled each time, ±25 % jitter, capped at 30 s),
 * "n-pending" (guint, read-only), "failed-changes" (GListModel,
 * read-only). */
guint       navette_middleware_get_max_attempts  (NavetteMiddleware *self);
void        navette_middleware_set_max_attempts  (NavetteMiddleware *self,
                                                  guint              attempts);
guint       navette_middleware_get_retry_delay   (NavetteMiddleware *self);
void        navette_middleware_set_retry_delay   (NavetteMiddleware *self,
                                                  guint              msec);
guint       navette_middleware_get_n_pending     (NavetteMiddleware *self);

void        navette_middleware_connect_store     (NavetteMiddleware *self,
                                                  NavetteStore      *store);
void        navette_middleware_disconnect_store  (NavetteMiddleware *self,
                                                  NavetteStore      *store);

/* GListModel of NavetteChange: the rolled-back changes, oldest first.
 * (transfer none) */
GListModel *navette_middleware_get_failed_changes (NavetteMiddleware *self);

/* Sends a failed change again with the same idempotency key (it leaves the
 * failed list and is applied optimistically again). */
void        navette_middleware_retry             (NavetteMiddleware *self,
                                                  NavetteChange     *change);
/* Retries every failed change (e.g. after signing in again). */
void        navette_middleware_retry_all         (NavetteMiddleware *self);
/* Forgets a failed change (state DISCARDED). */
void        navette_middleware_discard           (NavetteMiddleware *self,
                                                  NavetteChange     *change);

/* TRUE when a pending change of this record exists; reloads leave such
 * records alone. */
gboolean    navette_middleware_has_pending       (NavetteMiddleware *self,
                                                  NavetteTable      *table,
                                                  const char        *record_id);

/* Signals:
 *   "notification" (const char *message, NavetteNotificationKind kind,
 *     NavetteChange *change) — a change failed (kind CHANGE_FAILED).
 *   "change-finished" (NavetteChange *change) — any change left PENDING. */

G_END_DECLS
