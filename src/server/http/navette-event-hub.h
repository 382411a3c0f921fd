/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-event-hub.h — push of committed changes to WebSocket subscribers.
 *
 * NavetteEventHub keeps the subscribers of GET /api/v1/events and sends
 * each of them {"type": "table", "app", "table", "revision",
 * "last_update"} after every committed change to a table of an
 * application they may read, {"type": "schema", "app"} after a change of
 * its schema, and {"type": "roles", "user"} to a user's sockets (and
 * admins') after a change of her grants. Changes
 * are reported with navette_event_hub_changed() (from any thread); the
 * hub reads the table's revision in a worker thread, re-checks the
 * subscribers' sessions and roles (cached for a short while), drops
 * announcements it has already made (same or older revision) and sends
 * the rest from the main loop. See docs/api.md. */
#pragma once

#include <libsoup/soup.h>

#include "navette-db.h"

G_BEGIN_DECLS

#define NAVETTE_EVENT_HUB_DEFAULT_MAX_PER_USER 8
#define NAVETTE_EVENT_HUB_KEEPALIVE_SECONDS    30
#define NAVETTE_EVENT_HUB_MAX_INCOMING         1024
#define NAVETTE_EVENT_HUB_ACCESS_CACHE_USEC    (2 * G_USEC_PER_SEC)

#define NAVETTE_TYPE_EVENT_HUB (navette_event_hub_get_type ())
G_DECLARE_FINAL_TYPE (NavetteEventHub, navette_event_hub, NAVETTE, EVENT_HUB, GObject)

NavetteEventHub *navette_event_hub_new              (NavetteDb               *db);
/* Connections one user may hold at once (the upgrade is refused past it). */
void             navette_event_hub_set_max_per_user (NavetteEventHub         *self,
                                                     guint                    max);
/* TRUE when @username may open one more subscription. */
gboolean         navette_event_hub_may_subscribe    (NavetteEventHub         *self,
                                                     const char              *username);
/* How long a subscriber's session and roles, as read from the database,
 * are trusted before they are read again for an announcement
 * (default NAVETTE_EVENT_HUB_ACCESS_CACHE_USEC / 1000; 0: every time). */
void             navette_event_hub_set_access_cache (NavetteEventHub         *self,
                                                     guint                    msec);
/* Seconds between two WebSocket pings (default
 * NAVETTE_EVENT_HUB_KEEPALIVE_SECONDS); a subscriber silent for two and a
 * half of them is closed. For subscribers added from now on. */
void             navette_event_hub_set_keepalive    (NavetteEventHub         *self,
                                                     guint                    seconds);
/* How often the whole table_last_modifications is compared with what was
 * announced, while there are subscribers (0: never). For changes made by
 * other programs that nothing else reports (SQLite). */
void             navette_event_hub_set_poll_interval (NavetteEventHub        *self,
                                                      guint                   msec);
/* Takes a new subscriber (main loop). @roles: app → role, as read when the
 * connection was authenticated; @token_hash identifies its session so a
 * logout or an expiry ends the subscription. */
void             navette_event_hub_add              (NavetteEventHub         *self,
                                                     SoupWebsocketConnection *connection,
                                                     const char              *token_hash,
                                                     const char              *username,
                                                     gboolean                 admin,
                                                     GHashTable              *roles,
                                                     gint64                   expires_at);
guint            navette_event_hub_get_n_subscribers (NavetteEventHub        *self);
/* Messages sent to subscribers so far (main loop). */
guint64          navette_event_hub_get_n_sent       (NavetteEventHub         *self);
/* A change to @table of @app was committed (any thread). @app NULL:
 * anything may have changed (compares every table and schema with what
 * was announced, and every subscriber's roles). */
void             navette_event_hub_changed          (NavetteEventHub         *self,
                                                     const char              *app,
                                                     const char              *table);
/* The schema of @app changed (any thread): {"type":"schema","app"} to
 * those who may read @app, once per schema revision. */
void             navette_event_hub_schema_changed   (NavetteEventHub         *self,
                                                     const char              *app);
/* The grants of @username changed (any thread): her sessions are read
 * again, and {"type":"roles","user"} goes to her sockets and admins'
 * when her roles are not those last told. */
void             navette_event_hub_roles_changed    (NavetteEventHub         *self,
                                                     const char              *username);
/* Closes every subscription (going away). */
void             navette_event_hub_close_all        (NavetteEventHub         *self);

G_END_DECLS
