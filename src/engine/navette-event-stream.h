/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteEventStream — the push subscription (GET /api/v1/events, a
 * WebSocket with subprotocol navette.v1).
 *
 * When started it connects with the client's bearer token, emits
 * "announcement" for every message the server sends, and reconnects with
 * a backoff (1 s doubling up to 60 s, ±10 %) when the socket cannot be
 * opened or drops. A server that offers no push (404) is asked again
 * every 5 minutes. When the client's token changes the socket is opened
 * again at once. Polling stays the safety net: NavettePoller owns one and
 * reloads a table as soon as it is announced. */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_EVENT_STREAM (navette_event_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavetteEventStream, navette_event_stream, NAVETTE, EVENT_STREAM, GObject)

NavetteEventStream *navette_event_stream_new       (NavetteClient      *client);

/* Properties: "client" (read-only: the one given to _new()),
 * "running" (boolean, read-only),
 * "live" (boolean, read-only: the socket is open and subscribed),
 * "announcements" (guint64, read-only: messages received),
 * "connects" (guint64, read-only: sockets opened). */
gboolean            navette_event_stream_get_live    (NavetteEventStream *self);
guint64             navette_event_stream_get_announcements (NavetteEventStream *self);
guint64             navette_event_stream_get_connects (NavetteEventStream *self);

void                navette_event_stream_start     (NavetteEventStream *self);
void                navette_event_stream_stop      (NavetteEventStream *self);
/* When not live: tries to connect now instead of at the end of the
 * backoff. */
void                navette_event_stream_reconnect (NavetteEventStream *self);

/* Signals (messages are dispatched on their "type"; unknown types are
 * ignored, a message without "type" is a table's):
 *   "announcement" (const char *app, const char *table, gint64 revision)
 *     — `"type": "table"`: a committed change of @table; @revision is the
 *     table's revision after it.
 *   "schema-changed" (const char *app) — `"type": "schema"`: an
 *     application, table or column of @app was added, changed or archived.
 *   "roles-changed" (const char *user) — `"type": "roles"`: @user's grants
 *     changed. */

G_END_DECLS
