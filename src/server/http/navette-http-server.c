/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-server.c — the NavetteHttpServer of navette-server: the
 * object, listening, and the life of a request (the other parts of the
 * HTTP layer: navette-http-private.h).
 *
 * Life of a request:
 *  1. request-started: the connection limiter counts it
 *     (navette-http-connections.c), the message gets a RequestInfo (start
 *     time) and its body is watched against the limit, from its headers
 *     on (navette-http-body-limit.c).
 *  2. The handler (main loop) routes the path (navette-http-routes.c):
 *     unknown route → 404, known route with another method → 405 + Allow.
 *     A light check whose session and table state are both in the caches
 *     (navette-http-cache.c) is answered right there, once the storage
 *     layer has seen every change committed before the request came (at
 *     once on SQLite; a round trip of its LISTEN connection on
 *     PostgreSQL): that is the hot path polled by every client.
 *  3. Anything else is paused and queued on the worker pool, which
 *     authenticates (navette-http-auth.c), checks the role, decodes the
 *     body strictly and runs the route's handler
 *     (navette-http-handlers.c), which talks to the NavetteDb and prepares
 *     the answer; the main loop then sets the response and unpauses the
 *     message. An upgrade route (GET /api/v1/events) goes its own way:
 *     navette-http-events.c.
 *  4. request-finished: one access-log line (navette-http-log.c).
 */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <libsoup/soup.h>

#include "navette-auth.h"
#include "navette-http-private.h"
#include "navette-listen.h"

#define PURGE_INTERVAL_SECONDS         (10 * 60)
#define IDEMPOTENCY_KEEP_USEC          ((gint64) 48 * 60 * 60 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (NavetteHttpServer, navette_http_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */
/* Requests                                                            */

Request *
request_new (NavetteHttpServer *self,
             SoupServerMessage *msg,
             const char        *path)
{
  Request *req = g_new0 (Request, 1);

  req->self = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->path = g_strdup (path);
  return req;
}

void
request_free (Request *req)
{
  g_clear_object (&req->self);
  g_clear_object (&req->msg);
  g_free (req->path);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_free (req->app);
  g_free (req->table);
  g_free (req->id);
  g_free (req->token);
  g_free (req->content_type);
  g_free (req->if_none_match);
  g_free (req->idempotency_key);
  g_free (req->column);
  g_free (req->username);
  g_free (req->address);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_clear_pointer (&req->user, auth_user_unref);
  g_free (req->log_user);
  g_clear_pointer (&req->json, json_node_unref);
  g_free (req->response);
  g_free (req->etag);
  g_free (req->retry_after);
  g_free (req);
}

/* ------------------------------------------------------------------ */
/* Bodies anyone may send (POST /api/v1/sessions): an address past the
 * failed sign-in limit is refused before its body is parsed, and a body
 * refused as malformed (400, 415) counts as a failed sign-in of its
 * address, so nobody parses bodies for free without signing in. */

static gboolean
open_body_allowed (Request *req)
{
  guint retry_after = 0;

  if (navette_sign_in_limit_may_send (req->self->sign_in, req->address != NULL ? req->address : "unknown",
                                      g_get_monotonic_time (), &retry_after))
    return TRUE;
  req->retry_after = g_strdup_printf ("%u", retry_after);
  respond_error (req, NAVETTE_API_ERROR_RATE_LIMITED, "Too many failed sign-ins; try again later");
  navette_http_metrics_sign_in_failed (req->self->metrics, METRICS_SIGN_IN_RATE_LIMITED);
  return FALSE;
}

static void
open_body_answered (Request *req)
{
  if (req->status == SOUP_STATUS_BAD_REQUEST || req->status == SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE)
    {
      navette_sign_in_limit_refused_body (req->self->sign_in, req->address != NULL ? req->address : "unknown",
                                          g_get_monotonic_time ());
      navette_http_metrics_sign_in_failed (req->self->metrics, METRICS_SIGN_IN_MALFORMED);
    }
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static void
run_request (Request *req)
{
  gboolean open_body = req->method->access == ACCESS_NONE && req->method->has_body;

  if (open_body && !open_body_allowed (req))
    return;
  if (req->method->access != ACCESS_NONE && !authenticate (req))
    return;
  if (req->method->access == ACCESS_ADMIN && !req->user->admin)
    {
      respond_error (req, NAVETTE_API_ERROR_FORBIDDEN, "Only administrators may do this");
      return;
    }
  if (req->method->access >= ACCESS_READ && !check_access (req))
    return;
  if (decode_body (req))
    req->method->handler (req);
  if (open_body)
    open_body_answered (req);
}

/* Sets the prepared answer on the message (main loop). */
void
apply_response (Request *req)
{
  SoupServerMessage *msg = req->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  navette_http_request_info_keep_user (req);

  if (req->status == 0)
    {
      g_printerr ("navette-server: %s %s produced no answer\n", req->method->method, req->path);
      respond_error (req, NAVETTE_API_ERROR_INTERNAL, "An internal error occurred");
    }
  soup_server_message_set_status (msg, req->status, NULL);
  if (req->etag != NULL)
    soup_message_headers_replace (headers, "ETag", req->etag);
  if (req->allow != NULL)
    soup_message_headers_replace (headers, "Allow", req->allow);
  if (req->retry_after != NULL)
    soup_message_headers_replace (headers, "Retry-After", req->retry_after);
  if (req->response != NULL)
    {
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                        g_steal_pointer (&req->response), req->response_len);
    }
  else if (req->status == SOUP_STATUS_NOT_MODIFIED || req->status == SOUP_STATUS_NO_CONTENT)
    {
      /* No body and no "Content-Length: 0": the no-change poll stays small. */
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_NONE);
    }
}

/* A paused message whose connection went away (the client left, or the
 * server shuts down) is marked by request-aborted: libsoup has dropped its
 * I/O and must not be asked to resume it. */
#define ABORTED_KEY "navette-aborted"

static void
unpause_if_alive (SoupServerMessage *msg)
{
  /* A connection closed while its request was paused (by the deadline,
   * the sweep of dead connections or the shutdown) has taken libsoup's
   * I/O with it without any request-aborted; its socket is gone too. */
  if (g_object_get_data (G_OBJECT (msg), ABORTED_KEY) == NULL &&
      soup_server_message_get_socket (msg) != NULL)
    soup_server_message_unpause (msg);
}

/* Answers larger than this are watched piece by piece while they are
 * written (smaller ones go out in one piece, into the socket's buffer). */
#define SEND_PROGRESS_MIN (64 * 1024)

static void
wrote_body_data_cb (SoupServerMessage *msg,
                    guint              chunk_size,
                    gpointer           user_data)
{
  NavetteHttpServer *self = user_data;

  navette_http_connections_deadline (self->connections, msg, TRUE);
}

/* @msg's answer goes out now: the send deadline starts. */
static void
start_sending (NavetteHttpServer *self,
               SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize length = body != NULL ? (gsize) body->length : 0;

  if (soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;
  navette_http_connections_sending (self->connections, msg, length);
  if (length > SEND_PROGRESS_MIN && self->request_timeout_s > 0)
    g_signal_connect_object (msg, "wrote-body-data", G_CALLBACK (wrote_body_data_cb), self, 0);
}

typedef struct
{
  NavetteHttpServer *self;
  SoupServerMessage *msg;
} Delayed;

static void
delayed_free (Delayed *delayed)
{
  g_object_unref (delayed->self);
  g_object_unref (delayed->msg);
  g_free (delayed);
}

static gboolean
unpause_cb (gpointer data)
{
  Delayed *delayed = data;

  start_sending (delayed->self, delayed->msg);
  unpause_if_alive (delayed->msg);
  return G_SOURCE_REMOVE;
}

/* Sends the answer, after --response-delay when set. @paused: whether
 * the message is paused already. */
static void
send_response (Request  *req,
               gboolean  paused)
{
  apply_response (req);
  if (req->self->response_delay > 0)
    {
      Delayed *delayed = g_new0 (Delayed, 1);

      if (!paused)
        soup_server_message_pause (req->msg);
      delayed->self = g_object_ref (req->self);
      delayed->msg = g_object_ref (req->msg);
      g_timeout_add_full (G_PRIORITY_DEFAULT, req->self->response_delay, unpause_cb,
                          delayed, (GDestroyNotify) delayed_free);
      return;
    }
  start_sending (req->self, req->msg);
  if (paused)
    unpause_if_alive (req->msg);
}

static gboolean
finish_in_main_cb (gpointer data)
{
  Request *req = data;

  if (req->upgrade)
    {
      navette_http_events_authenticated (req);
      request_free (req);
      return G_SOURCE_REMOVE;
    }
  send_response (req, TRUE);
  request_free (req);
  return G_SOURCE_REMOVE;
}

static void
worker_func (gpointer data,
             gpointer user_data)
{
  Request *req = data;

  run_request (req);
  g_main_context_invoke (req->self->context, finish_in_main_cb, req);
}

/* The client's address: the peer's, or, when the peer is the trusted
 * reverse proxy, the address the proxy puts in X-Real-IP (ignored unless it
 * is a plain IP address). */
char *
client_address (NavetteHttpServer *self,
                SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  GInetAddress *peer;

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  peer = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (self->trusted_proxy != NULL && g_inet_address_equal (peer, self->trusted_proxy))
    {
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
      const char *real_ip = soup_message_headers_get_one (headers, "X-Real-IP");
      g_autoptr(GInetAddress) forwarded = NULL;

      if (real_ip != NULL)
        forwarded = g_inet_address_new_from_string (real_ip);
      if (forwarded != NULL)
        return g_inet_address_to_string (forwarded);
    }
  return g_inet_address_to_string (peer);
}

/* What a worker needs beyond the light check's own few fields. */
static void
request_read_rest (Request *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  SoupMessageBody *body;

  req->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  req->idempotency_key = g_strdup (soup_message_headers_get_one (headers, "Idempotency-Key"));
  req->has_idempotency_key = req->idempotency_key != NULL;
  req->address = client_address (req->self, req->msg);
  body = soup_server_message_get_request_body (req->msg);
  if (body != NULL && body->length > 0)
    req->body = soup_message_body_flatten (body);
}

/* Every change committed before the light check @user_data came is now
 * known (@ok): the answer made from the caches is current if nothing was
 * invalidated since, and an entry still cached is. Else a worker reads
 * the database; it may use an entry cached meanwhile only when @ok (when
 * not, nobody can tell which cached entries a write elsewhere made
 * stale). */
static void
synced_cb (gboolean ok,
           gpointer user_data)
{
  Request *req = user_data;
  NavetteHttpServer *self = req->self;

  req->synced = ok;
  if (self->shutting_down)
    request_free (req);  /* its connection is gone */
  else if (ok && ((req->from_cache &&
                   req->cached_generation == navette_http_cache_get_generation (self->cache)) ||
                  navette_http_cache_answer (self->cache, req)))
    {
      navette_http_metrics_light_check (self->metrics, TRUE);
      send_response (req, TRUE);
      request_free (req);
    }
  else
    {
      request_read_rest (req);
      g_thread_pool_push (self->pool, req, NULL);
    }
}

static void
server_handler_cb (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  Request *req = request_new (self, msg, path);

  if (!g_str_has_prefix (path, NAVETTE_API_PREFIX "/") ||
      !(req->route = match_route (path + strlen (NAVETTE_API_PREFIX "/"), req)))
    {
      /* the metrics' slot is "no route" already (navette_http_request_info_attach()) */
      static const RouteMethod none = { "?", ACCESS_NONE, FALSE, NULL };

      req->method = &none;
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such resource");
      send_response (req, FALSE);
      request_free (req);
      return;
    }

  req->method = route_method (req->route, method);
  if (self->metrics != NULL)
    {
      RequestInfo *info = navette_http_request_info (msg);

      if (info != NULL)
        info->slot = navette_http_route_slot (req->route, req->method);
    }
  if (req->method == NULL)
    {
      static const RouteMethod none = { "?", ACCESS_NONE, FALSE, NULL };
      g_autofree char *message = g_strdup_printf ("This resource allows %s only", req->route->allow);

      req->method = &none;
      respond_error (req, NAVETTE_API_ERROR_METHOD_NOT_ALLOWED, message);
      send_response (req, FALSE);
      request_free (req);
      return;
    }

  if (req->route->flags & ROUTE_UPGRADE)
    {
      navette_http_events_handle (self, req);
      return;
    }

  req->token = navette_auth_parse_bearer (soup_message_headers_get_one (headers, "Authorization"));
  req->if_none_match = g_strdup (soup_message_headers_get_one (headers, "If-None-Match"));

  req->query = query != NULL ? g_hash_table_ref (query) : NULL;
  if (req->route->flags & ROUTE_CACHED_AUTH)
    {
      gboolean cached = navette_http_cache_answer (self->cache, req);

      /* Another server process may have committed a write that its client
       * has already been told about, while our notice of it is still on
       * its way: a light check is answered from the caches (here, or by
       * a worker that had to read the session) only once the storage
       * layer has seen every change committed before the request came
       * (no wait on SQLite). */
      if (navette_db_sync_changes (self->db, synced_cb, req))
        {
          soup_server_message_pause (msg);
          return;
        }
      req->synced = TRUE;
      if (cached)
        {
          navette_http_metrics_light_check (self->metrics, TRUE);
          send_response (req, FALSE);
          request_free (req);
          return;
        }
    }
  soup_server_message_pause (msg);
  request_read_rest (req);
  g_thread_pool_push (self->pool, req, NULL);
}

static void
body_progress_cb (SoupServerMessage *msg,
                  GBytes            *chunk,
                  gpointer           user_data)
{
  NavetteHttpServer *self = user_data;

  navette_http_connections_deadline (self->connections, msg, TRUE);
}

static void
body_done_cb (SoupServerMessage *msg,
              gpointer           user_data)
{
  NavetteHttpServer *self = user_data;

  navette_http_connections_deadline (self->connections, msg, FALSE);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  NavetteHttpServer *self = user_data;

  if (!navette_http_connections_track (self->connections, msg, TRUE))
    return;
  navette_http_request_info_attach (msg);
  navette_http_body_limit_watch (self, msg);
  if (self->request_timeout_s > 0)
    {
      g_signal_connect (msg, "got-chunk", G_CALLBACK (body_progress_cb), self);
      g_signal_connect (msg, "got-body", G_CALLBACK (body_done_cb), self);
    }
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageBody *body;
  RequestInfo *info;

  navette_http_connections_track (self->connections, msg, FALSE);
  info = navette_http_request_info (msg);
  if (info == NULL)
    return;  /* refused over the per-address cap */
  if (self->metrics != NULL)
    navette_http_metrics_request (self->metrics, info->slot, soup_server_message_get_status (msg),
                                  g_get_monotonic_time () - info->started);
  body = soup_server_message_get_response_body (msg);
  navette_http_log_request (self->log, msg, soup_server_message_get_status (msg),
                            body != NULL ? (gsize) body->length : 0);
}

/* A paused message whose connection went away (the client left, or the
 * server shuts down) is marked: libsoup has dropped its I/O and must not
 * be asked to resume it (see unpause_if_alive). */
static void
request_aborted_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  NavetteHttpServer *self = user_data;

  g_object_set_data (G_OBJECT (msg), ABORTED_KEY, GINT_TO_POINTER (TRUE));
  navette_http_connections_track (self->connections, msg, FALSE);
}

/* ------------------------------------------------------------------ */
/* GET /metrics, on a listener of its own                              */

static void
metrics_handler_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *text;

  if (!g_str_equal (path, "/metrics"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                        "Not found: the metrics are at /metrics\n", 39);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      soup_message_headers_replace (headers, "Allow", "GET");
      return;
    }
  text = navette_http_metrics_render (self);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

gboolean
navette_http_server_listen_metrics (NavetteHttpServer  *self,
                                    const char         *host,
                                    guint16             port,
                                    guint16            *bound_port,
                                    GError            **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *listeners;

  g_return_val_if_fail (NAVETTE_IS_HTTP_SERVER (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (self->soup == NULL && self->metrics_soup == NULL, FALSE);

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, port);
  self->metrics_soup = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_handler (self->metrics_soup, NULL, metrics_handler_cb, self, NULL);
  if (!soup_server_listen (self->metrics_soup, socket_address, 0, error))
    {
      g_clear_object (&self->metrics_soup);
      return FALSE;
    }
  listeners = soup_server_get_listeners (self->metrics_soup);
  if (bound_port != NULL && listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, error);

      if (local == NULL)
        {
          g_slist_free (listeners);
          return FALSE;
        }
      *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  self->metrics = navette_http_metrics_new ();
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Maintenance                                                         */

static gpointer
purge_thread (gpointer data)
{
  NavetteHttpServer *self = data;
  g_autoptr(GError) error = NULL;

  if (!navette_db_purge (self->db, navette_time_now () - IDEMPOTENCY_KEEP_USEC, &error))
    g_printerr ("navette-server: purge failed: %s\n", error->message);
  g_object_unref (self);
  return NULL;
}

static gboolean
purge_cb (gpointer data)
{
  NavetteHttpServer *self = data;

  /* A one-off thread: purging is rare and must not hold a request worker. */
  g_thread_unref (g_thread_new ("navette-purge", purge_thread, g_object_ref (self)));
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
navette_http_server_dispose (GObject *object)
{
  NavetteHttpServer *self = NAVETTE_HTTP_SERVER (object);

  navette_http_server_shutdown (self);
  g_clear_object (&self->soup);
  g_clear_object (&self->metrics_soup);
  g_clear_object (&self->events);
  g_clear_object (&self->db);
  g_clear_object (&self->sign_in);

  G_OBJECT_CLASS (navette_http_server_parent_class)->dispose (object);
}

static void
navette_http_server_finalize (GObject *object)
{
  NavetteHttpServer *self = NAVETTE_HTTP_SERVER (object);

  navette_http_cache_free (self->cache);
  navette_http_metrics_free (self->metrics);
  g_clear_object (&self->trusted_proxy);
  g_clear_object (&self->tls_certificate);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (navette_http_server_parent_class)->finalize (object);
}

static void
navette_http_server_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NavetteHttpServer *self = NAVETTE_HTTP_SERVER (object);

  switch (prop_id)
    {
    case PROP_DB:
      g_value_set_object (value, self->db);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_http_server_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  NavetteHttpServer *self = NAVETTE_HTTP_SERVER (object);

  switch (prop_id)
    {
    case PROP_DB:
      self->db = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_http_server_class_init (NavetteHttpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_http_server_dispose;
  object_class->finalize = navette_http_server_finalize;
  object_class->get_property = navette_http_server_get_property;
  object_class->set_property = navette_http_server_set_property;

  properties[PROP_DB] =
    g_param_spec_object ("db", NULL, NULL, NAVETTE_TYPE_DB,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
navette_http_server_init (NavetteHttpServer *self)
{
  self->token_lifetime = NAVETTE_HTTP_DEFAULT_TOKEN_LIFETIME;
  self->body_limit = NAVETTE_DEFAULT_BODY_LIMIT;
  self->workers = NAVETTE_HTTP_DEFAULT_WORKERS;
  self->max_subscriptions = NAVETTE_HTTP_DEFAULT_MAX_SUBSCRIPTIONS;
  self->request_timeout_s = NAVETTE_HTTP_DEFAULT_REQUEST_TIMEOUT;
  self->max_per_address = NAVETTE_HTTP_DEFAULT_MAX_PER_ADDRESS;
  self->page_size = NAVETTE_HTTP_DEFAULT_PAGE_SIZE;
  self->max_page_size = NAVETTE_HTTP_DEFAULT_MAX_PAGE_SIZE;
  self->push_access_cache_ms = -1;
  self->context = g_main_context_ref_thread_default ();
  self->cache = navette_http_cache_new ();
  self->sign_in = navette_sign_in_limit_new ();
}

NavetteHttpServer *
navette_http_server_new (NavetteDb *db)
{
  g_return_val_if_fail (NAVETTE_IS_DB (db), NULL);

  return g_object_new (NAVETTE_TYPE_HTTP_SERVER, "db", db, NULL);
}

void
navette_http_server_set_token_lifetime (NavetteHttpServer *self,
                                        gint64             seconds)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->token_lifetime = seconds;
}

void
navette_http_server_set_body_limit (NavetteHttpServer *self,
                                    gsize              bytes)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (bytes > 0);

  self->body_limit = bytes;
}

void
navette_http_server_set_response_delay (NavetteHttpServer *self,
                                        guint              msec)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  self->response_delay = msec;
}

void
navette_http_server_set_workers (NavetteHttpServer *self,
                                 guint              workers)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (workers > 0);

  self->workers = workers;
  if (self->pool != NULL)
    g_thread_pool_set_max_threads (self->pool, (int) workers, NULL);
}

void
navette_http_server_set_state_cache (NavetteHttpServer *self,
                                     guint              msec)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  navette_http_cache_set_state_ttl (self->cache, msec);
}

void
navette_http_server_set_request_timeout (NavetteHttpServer *self,
                                         guint              seconds)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  self->request_timeout_s = seconds;
}

void
navette_http_server_set_max_connections_per_address (NavetteHttpServer *self,
                                                     guint              max)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  self->max_per_address = max;
}

void
navette_http_server_set_page_size (NavetteHttpServer *self,
                                   guint              page_size,
                                   guint              max_page_size)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (page_size > 0 && page_size <= max_page_size);

  self->page_size = page_size;
  self->max_page_size = max_page_size;
}

void
navette_http_server_set_tls_certificate (NavetteHttpServer *self,
                                         GTlsCertificate   *certificate)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));
  g_return_if_fail (self->soup == NULL);

  g_set_object (&self->tls_certificate, certificate);
}

void
navette_http_server_set_trusted_proxy (NavetteHttpServer *self,
                                       const char        *address)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  g_clear_object (&self->trusted_proxy);
  if (address != NULL)
    self->trusted_proxy = g_inet_address_new_from_string (address);
}

void
navette_http_server_set_max_subscriptions (NavetteHttpServer *self,
                                           guint              max)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (max > 0);

  self->max_subscriptions = max;
  if (self->events != NULL)
    navette_event_hub_set_max_per_user (self->events, max);
}

void
navette_http_server_set_push_access_cache (NavetteHttpServer *self,
                                           guint              msec)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (msec <= G_MAXINT);

  self->push_access_cache_ms = (int) msec;
  if (self->events != NULL)
    navette_event_hub_set_access_cache (self->events, msec);
}

void
navette_http_server_set_push_keepalive (NavetteHttpServer *self,
                                        guint              seconds)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (seconds > 0);

  self->push_keepalive_s = seconds;
  if (self->events != NULL)
    navette_event_hub_set_keepalive (self->events, seconds);
}

gboolean
navette_http_server_listen (NavetteHttpServer  *self,
                            const char         *host,
                            guint16             port,
                            guint16            *bound_port,
                            GError            **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) listener = NULL;
  GSList *listeners;
  const Route *routes;
  guint n_routes;

  g_return_val_if_fail (NAVETTE_IS_HTTP_SERVER (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      GList *addresses = g_resolver_lookup_by_name (resolver, host, NULL, error);

      if (addresses == NULL)
        return FALSE;
      address = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }
  socket_address = g_inet_socket_address_new (address, port);

  self->pool = g_thread_pool_new (worker_func, self, (int) self->workers, FALSE, error);
  if (self->pool == NULL)
    return FALSE;

  self->soup = soup_server_new ("server-header", NULL, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_aborted_cb), self);
  soup_server_add_handler (self->soup, NULL, server_handler_cb, self, NULL);
  /* The path of an upgrade route has a WebSocket handler, which would hide
   * the default handler there. */
  routes = navette_http_routes_get (&n_routes);
  for (guint r = 0; r < n_routes; r++)
    if (routes[r].flags & ROUTE_UPGRADE)
      soup_server_add_handler (self->soup, routes[r].path, server_handler_cb, self, NULL);
  navette_http_events_start (self);
  if (self->tls_certificate != NULL)
    g_object_set (self->soup, "tls-certificate", self->tls_certificate, NULL);
  /* our own socket: the system's largest backlog (navette-listen.h) */
  listener = navette_listen_socket_new (socket_address, error);
  if (listener == NULL ||
      !soup_server_listen_socket (self->soup, listener,
                                  self->tls_certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return FALSE;

  listeners = soup_server_get_listeners (self->soup);
  if (bound_port != NULL && listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, error);

      if (local == NULL)
        return FALSE;
      *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);

  self->log = navette_http_log_new ();
  self->purge_id = g_timeout_add_seconds (PURGE_INTERVAL_SECONDS, purge_cb, self);
  self->connections = navette_http_connections_new (self);
  return TRUE;
}

void
navette_http_server_shutdown (NavetteHttpServer *self)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  self->shutting_down = TRUE;
  /* The light checks waiting for the storage layer are dropped with their
   * connections, like the queued requests. */
  navette_http_events_stop (self);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  if (self->metrics_soup != NULL)
    soup_server_disconnect (self->metrics_soup);
  if (self->pool != NULL)
    {
      /* Let running database work finish; queued requests are dropped
       * with their connections. */
      g_thread_pool_free (g_steal_pointer (&self->pool), TRUE, TRUE);
    }
  g_clear_handle_id (&self->purge_id, g_source_remove);
  g_clear_pointer (&self->connections, navette_http_connections_free);
  g_clear_pointer (&self->log, navette_http_log_free);
  fflush (stdout);
}
