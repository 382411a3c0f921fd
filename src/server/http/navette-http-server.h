/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-server.h — the HTTP server of navette-server.
 *
 * NavetteHttpServer owns the SoupServer and the NavetteDb. Requests are
 * routed on the main loop; database work runs in a pool of worker threads
 * while the message is paused. The v1 API itself (routes and handlers) is
 * navette-http-routes.c; see docs/api.md. */
#pragma once

#include <glib-object.h>

#include "navette-db.h"

G_BEGIN_DECLS

#define NAVETTE_HTTP_DEFAULT_TOKEN_LIFETIME (12 * 60 * 60)
#define NAVETTE_HTTP_DEFAULT_WORKERS 4
#define NAVETTE_HTTP_DEFAULT_STATE_CACHE_MS 250
#define NAVETTE_HTTP_SESSION_CACHE_USEC (2 * G_USEC_PER_SEC)
#define NAVETTE_HTTP_DEFAULT_MAX_SUBSCRIPTIONS 8
#define NAVETTE_HTTP_DEFAULT_REQUEST_TIMEOUT 10
#define NAVETTE_HTTP_DEFAULT_MAX_PER_ADDRESS 64
#define NAVETTE_HTTP_DEFAULT_PAGE_SIZE 1000
#define NAVETTE_HTTP_DEFAULT_MAX_PAGE_SIZE 10000

#define NAVETTE_TYPE_HTTP_SERVER (navette_http_server_get_type ())
G_DECLARE_FINAL_TYPE (NavetteHttpServer, navette_http_server, NAVETTE, HTTP_SERVER, GObject)

NavetteHttpServer *navette_http_server_new                (NavetteDb         *db);
/* Seconds a new token lives (0: expires at once). */
void               navette_http_server_set_token_lifetime (NavetteHttpServer *self,
                                                           gint64             seconds);
void               navette_http_server_set_body_limit     (NavetteHttpServer *self,
                                                           gsize              bytes);
/* A testing aid: every response waits this long before it is sent. */
void               navette_http_server_set_response_delay (NavetteHttpServer *self,
                                                           guint              msec);
void               navette_http_server_set_workers        (NavetteHttpServer *self,
                                                           guint              workers);
/* How long a light-check answer read from the database is reused
 * (0: never). Writes made through this server invalidate it at once. */
void               navette_http_server_set_state_cache    (NavetteHttpServer *self,
                                                           guint              msec);
/* Seconds a connection has to complete its request headers, and then
 * between two pieces of its body, before it is cut (0: no limit). The same
 * deadline closes a kept-alive connection idle that long. */
void               navette_http_server_set_request_timeout (NavetteHttpServer *self,
                                                            guint              seconds);
/* Connections one client address may hold at once; the next one gets 429
 * and is closed (0: no cap). */
void               navette_http_server_set_max_connections_per_address (NavetteHttpServer *self,
                                                                        guint              max);
/* Rows of a page of GET …/records and …/versions when the request gives
 * no `limit` (@page_size), and the largest page served (@max_page_size:
 * a larger `limit` is served as that); see docs/api.md, "Paging". */
void               navette_http_server_set_page_size      (NavetteHttpServer *self,
                                                           guint              page_size,
                                                           guint              max_page_size);
/* Serve HTTPS with @certificate (with its private key); NULL: plain HTTP.
 * Set before navette_http_server_listen(). */
void               navette_http_server_set_tls_certificate (NavetteHttpServer *self,
                                                            GTlsCertificate   *certificate);
/* The address of a reverse proxy in front (NULL: none). For requests from
 * that address, the client's address — which the failed-login rate limit
 * counts — is taken from the proxy's X-Real-IP header. */
void               navette_http_server_set_trusted_proxy (NavetteHttpServer *self,
                                                          const char        *address);
/* How many GET /api/v1/events WebSockets one user may hold at once (the
 * next upgrade is refused with 429). */
void               navette_http_server_set_max_subscriptions (NavetteHttpServer *self,
                                                              guint              max);
/* Testing aid: how long the push re-uses a subscriber's session and roles
 * (default 2000 ms; 0: read again for every announcement). */
void               navette_http_server_set_push_access_cache (NavetteHttpServer *self,
                                                              guint              msec);
/* Testing aid: seconds between the pings of /api/v1/events (default 30). */
void               navette_http_server_set_push_keepalive (NavetteHttpServer *self,
                                                           guint              seconds);
/* Listens on @host:@port (0: a free port); *bound_port gets the port. */
gboolean           navette_http_server_listen             (NavetteHttpServer *self,
                                                           const char        *host,
                                                           guint16            port,
                                                           guint16           *bound_port,
                                                           GError           **error);
/* Serves GET /metrics (docs/metrics.md) on @host:@port (0: a free port;
 * *bound_port gets it), apart from the API; and counts what it shows from
 * now on. Without it nothing is counted. Call before
 * navette_http_server_listen(). */
gboolean           navette_http_server_listen_metrics     (NavetteHttpServer *self,
                                                           const char        *host,
                                                           guint16            port,
                                                           guint16           *bound_port,
                                                           GError           **error);
/* Every route the server answers, as "METHOD /api/v1/pattern" strings
 * ("{app}", "{table}", "{id}" for the variable parts), so tests can check
 * they cover each one. */
GStrv              navette_http_server_dup_routes         (void);
/* Stops listening and waits for the running requests' database work. */
void               navette_http_server_shutdown           (NavetteHttpServer *self);

G_END_DECLS
