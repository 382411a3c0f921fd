/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavettePoller — detects changes made on the server.
 *
 * Every "interval" seconds (30 by default; ±10 % drawn again each round,
 * counted on the monotonic clock from the end of the last round, never
 * aligned to the wall clock, so clients started together drift apart)
 * it does the light check of each
 * watched application (`GET …/applications/APP/last-modified` with
 * If-None-Match: a 304 costs no body) and reloads (a delta) only the loaded
 * tables whose revision moved. When a check fails because the server cannot
 * be reached (or the middleware reports it: navette_poller_report_unreachable()),
 * it goes "online" = FALSE and PROBES the server (`GET /api/v1/health`, no
 * body to speak of) after 0.5 s, then 1, 2, 4, 8 s, then every
 * "probe-max-ms" (15 s), ±10 %; at once when GNetworkMonitor reports any
 * change and on navette_poller_refresh() (F5, the window getting focus).
 * The first probe answered turns "online" TRUE and runs a check round.
 * A table the store has never seen, or a moved schema_revision, is
 * reported as "schema-changed" (the table list is read again; the new
 * table is then loaded like the others). Changes made by others are reported as a
 * notification ("3 products changed"); the user's own writes (through the
 * middleware) are recognised and not reported. */
#pragma once

#include "navette-engine-types.h"
#include "navette-event-stream.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_POLLER (navette_poller_get_type ())
G_DECLARE_FINAL_TYPE (NavettePoller, navette_poller, NAVETTE, POLLER, GObject)

NavettePoller *navette_poller_new               (NavetteClient *client);

/* Properties: "client" (construct-only), "interval" (guint seconds,
 * default 30, > 0), "interval-ms" (guint, the same in milliseconds, for
 * tests and `watch`), "running" (boolean), "online" (boolean, read-only,
 * TRUE until a check fails), "polls" (guint64, read-only: light checks
 * sent), "reloads" (guint64, read-only: table reloads done),
 * "bytes-received" (guint64, read-only: of the client). */
guint          navette_poller_get_interval      (NavettePoller *self);
void           navette_poller_set_interval      (NavettePoller *self,
                                                 guint          seconds);
guint          navette_poller_get_interval_ms   (NavettePoller *self);
void           navette_poller_set_interval_ms   (NavettePoller *self,
                                                 guint          msec);
gboolean       navette_poller_get_online        (NavettePoller *self);
gboolean       navette_poller_get_running       (NavettePoller *self);
guint64        navette_poller_get_polls         (NavettePoller *self);
guint64        navette_poller_get_reloads       (NavettePoller *self);
guint64        navette_poller_get_bytes_received (NavettePoller *self);

/* Push (added in round 2): "push" (boolean, default TRUE) subscribes to
 * the server's announcements (GET /api/v1/events) while running; an
 * announced table that is loaded is reloaded (a delta) at once. Polling
 * goes on at "interval" as the safety net. "push-live" (boolean,
 * read-only, notified): the socket is open — for the sync indicator. */
gboolean       navette_poller_get_push          (NavettePoller *self);
void           navette_poller_set_push          (NavettePoller *self,
                                                 gboolean       push);
gboolean       navette_poller_get_push_live     (NavettePoller *self);
/* (transfer none) */
NavetteEventStream *navette_poller_get_event_stream (NavettePoller *self);

/* "probe-max-ms" (guint, default 15000): the longest wait between two
 * probes while offline. "probes" (guint64, read-only): probes sent. */
guint          navette_poller_get_probe_max_ms  (NavettePoller *self);
void           navette_poller_set_probe_max_ms  (NavettePoller *self,
                                                 guint          msec);
guint64        navette_poller_get_probes        (NavettePoller *self);
/* The server could not be reached (a write failed): go offline and probe. */
void           navette_poller_report_unreachable (NavettePoller *self);

/* Watches @store's tables. Only tables that were loaded at least once
 * (navette_table_get_loaded()) are reloaded; others only have their
 * revision noted. */
void           navette_poller_add_store         (NavettePoller *self,
                                                 NavetteStore  *store);
void           navette_poller_remove_store      (NavettePoller *self,
                                                 NavetteStore  *store);

void           navette_poller_start             (NavettePoller *self);
void           navette_poller_stop              (NavettePoller *self);
/* Checks now (and restarts the interval). */
void           navette_poller_refresh           (NavettePoller *self);

/* Signals:
 *   "changes" (NavetteTable *table, gint64 revision, GPtrArray *records,
 *     guint n_by_others) — a reload of @table brought @records (inserted or
 *     updated NavetteRecord objects), @n_by_others of them written by
 *     someone else.
 *   "notification" (const char *message, NavetteNotificationKind kind) —
 *     "3 products changed", offline / back online.
 *   "checked" () — after each check round (successful or not).
 *   "schema-changed" (const char *app) — @app's tables or columns changed
 *     on the server: announced (`"type": "schema"`), or its light check's
 *     schema_revision moved, or it lists a table the store does not know
 *     (or leaves out one it knows). The engine reads `/applications` and
 *     `…/tables` again. Such a light check's ETag is not kept. */

G_END_DECLS
