/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-server.c — the NavetteHttpServer of navette-server: the
 * plumbing of the v1 HTTP API (listening, connection tracking, deadlines
 * and sweep, body-limit refusals, the access log thread, the caches,
 * authentication, the worker pool, PostgreSQL round-trip batching, the
 * WebSocket upgrade of GET /api/v1/events). The route table and the
 * handlers are in navette-http-routes.c.
 *
 * Life of a request:
 *  1. request-started: the message gets a RequestInfo (start time) and
 *     a got-headers handler. A Content-Length over the body limit is
 *     refused there, before any of the body is read (the connection is
 *     taken over, a 413 written and the connection closed); a chunked body
 *     is counted while it arrives and refused the same way once it grows
 *     over the limit.
 *  2. The handler (main loop) routes the path: unknown route → 404,
 *     known route with another method → 405 + Allow. A light check whose
 *     session and table state are both in the in-memory caches is answered
 *     right there (no database work, no thread hop): that is the hot path
 *     polled by every client.
 *  3. Anything else is paused and queued on the worker pool, which
 *     authenticates, checks the role, decodes the body strictly and runs
 *     the route's handler (navette-http-routes.c), which talks to the
 *     NavetteDb and prepares the answer; the main loop then sets the
 *     response and unpauses the message.
 *  4. request-finished: one access-log line on stdout.
 */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <libsoup/soup.h>

#include "navette-auth.h"
#include "navette-event-hub.h"
#include "navette-http-private.h"
#include "navette-rate-limit.h"

#define LOGIN_MAX_FAILURES_PER_USER    5
#define LOGIN_MAX_FAILURES_PER_ADDRESS 20
#define LOGIN_WINDOW_USEC              (5 * 60 * G_USEC_PER_SEC)
#define PURGE_INTERVAL_SECONDS         (10 * 60)
#define IDEMPOTENCY_KEEP_USEC          ((gint64) 48 * 60 * 60 * G_USEC_PER_SEC)
/* A request body must arrive at least this fast on average (bytes/s) on
 * top of the request timeout (see track_connection). */
#define MIN_BODY_RATE                  1024

G_DEFINE_FINAL_TYPE (NavetteHttpServer, navette_http_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DB,
  PROP_TOKEN_LIFETIME,
  PROP_BODY_LIMIT,
  PROP_RESPONSE_DELAY,
  PROP_WORKERS,
  PROP_STATE_CACHE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ */
/* Users as the HTTP layer sees them (cached per token)                */

AuthUser *
auth_user_ref (AuthUser *user)
{
  g_atomic_ref_count_inc (&user->ref_count);
  return user;
}

void
auth_user_unref (AuthUser *user)
{
  if (!g_atomic_ref_count_dec (&user->ref_count))
    return;
  g_free (user->username);
  g_free (user->display_name);
  g_clear_pointer (&user->roles, g_hash_table_unref);
  g_free (user);
}

typedef struct
{
  AuthUser *user;
  gint64    expires_at;
  gint64    cached_at;
} CachedSession;

static void
cached_session_free (CachedSession *session)
{
  auth_user_unref (session->user);
  g_free (session);
}

static void
cached_state_free (CachedState *state)
{
  g_free (state->body);
  g_free (state->etag);
  g_free (state);
}

static void
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
  g_free (req->address);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_clear_pointer (&req->user, auth_user_unref);
  g_clear_pointer (&req->json, json_node_unref);
  g_free (req->response);
  g_free (req->etag);
  g_free (req->retry_after);
  g_free (req);
}

/* ------------------------------------------------------------------ */
/* Caches                                                              */

char *
state_key (const char *app,
           const char *table)
{
  return table != NULL ? g_strconcat (app, "/", table, NULL) : g_strdup (app);
}

/* Called with the lock held. Returns the cached light-check answer when
 * it is fresh. */
CachedState *
lookup_state_locked (NavetteHttpServer *self,
                     const char        *key,
                     gint64             now)
{
  CachedState *state;

  if (self->state_cache_ms == 0)
    return NULL;
  state = g_hash_table_lookup (self->states, key);
  if (state == NULL || now - state->cached_at >= (gint64) self->state_cache_ms * 1000)
    return NULL;
  return state;
}

/* Forgets the light-check answers of @app after a write through us. */
void
invalidate_app (NavetteHttpServer *self,
                const char        *app)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->cache_mutex);
  g_autofree char *prefix = g_strconcat (app, "/", NULL);
  GHashTableIter iter;
  gpointer key;

  self->state_generation++;
  g_hash_table_iter_init (&iter, self->states);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (g_str_equal (key, app) || g_str_has_prefix (key, prefix))
        g_hash_table_iter_remove (&iter);
    }
}

void
store_state (NavetteHttpServer *self,
             const char        *key,
             guint64            generation,
             const char        *body,
             const char        *etag)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->cache_mutex);
  CachedState *state;

  /* A write since we read means what we read may be stale already. */
  if (self->state_cache_ms == 0 || generation != self->state_generation)
    return;
  state = g_new0 (CachedState, 1);
  state->body = g_strdup (body);
  state->etag = g_strdup (etag);
  state->cached_at = g_get_monotonic_time ();
  g_hash_table_replace (self->states, g_strdup (key), state);
}

/* ------------------------------------------------------------------ */
/* Authentication and authorization (workers)                          */

AuthUser *
load_user (NavetteHttpServer  *self,
           NavetteDbUser      *db_user,
           GError            **error)
{
  g_autoptr(AuthUser) user = g_new0 (AuthUser, 1);

  g_atomic_ref_count_init (&user->ref_count);
  user->username = g_strdup (db_user->username);
  user->display_name = g_strdup (db_user->display_name != NULL ? db_user->display_name : db_user->username);
  user->admin = db_user->admin;
  user->roles = navette_db_roles_for_user (self->db, db_user->username, error);
  if (user->roles == NULL)
    return NULL;
  return g_steal_pointer (&user);
}

void
cache_session (NavetteHttpServer *self,
               const char        *token_hash,
               AuthUser          *user,
               gint64             expires_at)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->cache_mutex);
  CachedSession *session = g_new0 (CachedSession, 1);

  session->user = auth_user_ref (user);
  session->expires_at = expires_at;
  session->cached_at = g_get_monotonic_time ();
  g_hash_table_replace (self->sessions, g_strdup (token_hash), session);
}

static gboolean
authenticate (Request *req)
{
  NavetteHttpServer *self = req->self;
  g_autofree char *hash = NULL;
  g_autoptr(AuthUser) user = NULL;
  gint64 expires_at = 0;

  if (req->token == NULL)
    {
      respond_error (req, NAVETTE_API_ERROR_AUTH_REQUIRED, "This request needs a valid bearer token");
      return FALSE;
    }
  hash = navette_auth_token_hash (req->token);

  g_mutex_lock (&self->cache_mutex);
  {
    CachedSession *session = g_hash_table_lookup (self->sessions, hash);

    /* Only the light checks (polled all the time, and harmless) use the
     * cached session; every other request reads the session and roles
     * afresh, so a grant, revocation or logout made by another process
     * applies to it at once. */
    if (session != NULL && req->route->cached_auth &&
        g_get_monotonic_time () - session->cached_at < NAVETTE_HTTP_SESSION_CACHE_USEC)
      {
        user = auth_user_ref (session->user);
        expires_at = session->expires_at;
      }
  }
  g_mutex_unlock (&self->cache_mutex);

  if (user == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteDbUser) db_user = navette_db_session_lookup (self->db, hash, &expires_at, &error);

      if (db_user == NULL)
        {
          if (error != NULL && error->domain == NAVETTE_API_ERROR &&
              (error->code == NAVETTE_API_ERROR_AUTH_REQUIRED || error->code == NAVETTE_API_ERROR_NOT_FOUND))
            respond_error (req, NAVETTE_API_ERROR_AUTH_REQUIRED, "This token is not valid; sign in again");
          else
            respond_gerror (req, error);
          return FALSE;
        }
      user = load_user (self, db_user, &error);
      if (user == NULL)
        {
          respond_gerror (req, error);
          return FALSE;
        }
      cache_session (self, hash, user, expires_at);
    }

  if (navette_time_now () >= expires_at)
    {
      respond_error (req, NAVETTE_API_ERROR_AUTH_EXPIRED, "This token has expired; sign in again");
      return FALSE;
    }
  req->user = g_steal_pointer (&user);
  req->expires_at = expires_at;
  return TRUE;
}

static gboolean
check_access (Request *req)
{
  const char *role;

  if (!navette_name_is_valid (req->app))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such application");
      return FALSE;
    }
  if (req->table != NULL && !navette_name_is_valid (req->table))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such table");
      return FALSE;
    }
  if (req->id != NULL && !navette_uuid_is_valid (req->id))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such record");
      return FALSE;
    }
  /* An admin is editor everywhere; whether the application exists is
   * then the storage layer's answer. */
  if (req->user->admin)
    return TRUE;

  role = g_hash_table_lookup (req->user->roles, req->app);
  if (role == NULL)
    {
      /* the same answer as an application that does not exist */
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such application");
      return FALSE;
    }
  if ((req->method->access == ACCESS_WRITE || req->method->access == ACCESS_AUDIT) &&
      !g_str_equal (role, "editor"))
    {
      respond_error (req, NAVETTE_API_ERROR_FORBIDDEN,
                     req->method->access == ACCESS_AUDIT
                     ? "Only editors may read the audit trail of this application"
                     : "Your role in this application does not allow changes");
      return FALSE;
    }
  return TRUE;
}

static gboolean
content_type_is_json (const char *content_type)
{
  g_autofree char *mime = NULL;
  const char *semicolon;

  if (content_type == NULL)
    return FALSE;
  semicolon = strchr (content_type, ';');
  mime = semicolon != NULL ? g_strndup (content_type, semicolon - content_type) : g_strdup (content_type);
  g_strstrip (mime);
  return g_ascii_strcasecmp (mime, "application/json") == 0;
}

static gboolean
decode_body (Request *req)
{
  g_autoptr(GError) error = NULL;
  gsize len = req->body != NULL ? g_bytes_get_size (req->body) : 0;

  if (len > 0 && !content_type_is_json (req->content_type))
    {
      respond_error (req, NAVETTE_API_ERROR_UNSUPPORTED_MEDIA_TYPE,
                     "The request body must be application/json");
      return FALSE;
    }
  if (!req->method->has_body)
    return TRUE;

  req->json = navette_json_parse_strict (len > 0 ? g_bytes_get_data (req->body, NULL) : NULL, len, &error);
  if (req->json == NULL)
    {
      respond_gerror (req, error);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (req->json))
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, "The request body must be a JSON object");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static void
run_request (Request *req)
{
  if (req->method->access != ACCESS_NONE && !authenticate (req))
    return;
  if (req->method->access >= ACCESS_READ && !check_access (req))
    return;
  if (!decode_body (req))
    return;
  req->method->handler (req);
}

/* Sets the prepared answer on the message (main loop). */
static void
apply_response (Request *req)
{
  SoupServerMessage *msg = req->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

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

static gboolean
unpause_cb (gpointer data)
{
  unpause_if_alive (data);
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
      if (!paused)
        soup_server_message_pause (req->msg);
      g_timeout_add_full (G_PRIORITY_DEFAULT, req->self->response_delay, unpause_cb,
                          g_object_ref (req->msg), g_object_unref);
    }
  else if (paused)
    unpause_if_alive (req->msg);
}

static void events_authenticated (Request *req);

static gboolean
finish_in_main_cb (gpointer data)
{
  Request *req = data;

  if (req->upgrade)
    {
      events_authenticated (req);
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

/* The hot path: a light check (of a table or of a whole application)
 * answered from the caches on the main loop.
 * Returns FALSE when anything is missing (the worker then does it all). */
static gboolean
try_cached_light_check (Request *req)
{
  NavetteHttpServer *self = req->self;
  g_autofree char *hash = NULL;
  g_autofree char *key = NULL;
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;
  gint64 now = g_get_monotonic_time ();
  CachedSession *session;
  CachedState *state;

  if (req->token == NULL || self->state_cache_ms == 0 || !navette_name_is_valid (req->app) ||
      (req->table != NULL && !navette_name_is_valid (req->table)))
    return FALSE;
  hash = navette_auth_token_hash (req->token);
  key = state_key (req->app, req->table);

  g_mutex_lock (&self->cache_mutex);
  session = g_hash_table_lookup (self->sessions, hash);
  state = lookup_state_locked (self, key, now);
  if (session != NULL && state != NULL &&
      now - session->cached_at < NAVETTE_HTTP_SESSION_CACHE_USEC &&
      navette_time_now () < session->expires_at &&
      (session->user->admin || g_hash_table_contains (session->user->roles, req->app)))
    {
      body = g_strdup (state->body);
      etag = g_strdup (state->etag);
      req->cached_generation = self->state_generation;
    }
  g_mutex_unlock (&self->cache_mutex);

  if (body == NULL)
    return FALSE;
  respond_state (req, body, etag);
  return TRUE;
}

/* The client's address: the peer's, or, when the peer is the trusted
 * reverse proxy, the address the proxy puts in X-Real-IP (ignored unless it
 * is a plain IP address). */
static char *
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

typedef struct
{
  NavetteHttpServer *self;
  GPtrArray         *requests;  /* Request* */
} SyncBatch;

static void
sync_done_cb (gboolean ok,
              gpointer user_data)
{
  SyncBatch *batch = user_data;
  NavetteHttpServer *self = batch->self;
  guint64 generation;

  /* what was invalidated up to now, the round trip's changes included */
  g_mutex_lock (&self->cache_mutex);
  generation = self->state_generation;
  g_mutex_unlock (&self->cache_mutex);

  for (guint i = 0; i < batch->requests->len; i++)
    {
      Request *req = g_ptr_array_index (batch->requests, i);

      /* every change committed before the request came is now known: the
       * answer made from the caches is current if nothing was invalidated
       * since, and an entry still cached is */
      if (self->shutting_down)
        request_free (req);  /* its connection is gone */
      else if (ok && (req->cached_generation == generation || try_cached_light_check (req)))
        {
          send_response (req, TRUE);
          request_free (req);
        }
      else
        {
          request_read_rest (req);
          g_thread_pool_push (self->pool, req, NULL);
        }
    }
  g_ptr_array_unref (batch->requests);
  g_object_unref (batch->self);
  g_free (batch);
}

static gboolean
sync_flush_cb (gpointer data)
{
  NavetteHttpServer *self = data;
  SyncBatch *batch = g_new0 (SyncBatch, 1);

  self->sync_flush_id = 0;
  batch->self = g_object_ref (self);
  batch->requests = g_steal_pointer (&self->sync_waiting);
  self->sync_waiting = g_ptr_array_new ();
  if (!navette_db_sync_changes (self->db, sync_done_cb, batch))
    sync_done_cb (TRUE, batch);  /* nothing to wait for */
  return G_SOURCE_REMOVE;
}

/* When the storage layer watches other processes' changes (PostgreSQL's
 * LISTEN), another server process may have committed a write that
 * its client has already been told about, while our notification of it is
 * still on its way: a cached light-check answer is only given once a
 * round trip on the listening connection, sent after the request came,
 * has come back (every notification sent before it arrives before it).
 * The requests read in one main-loop iteration share one round trip, and
 * round trips are pipelined: a request never waits for one that was out
 * before it came. */
static void
wait_for_changes (NavetteHttpServer *self,
                  Request           *req)
{
  g_ptr_array_add (self->sync_waiting, req);
  if (self->sync_flush_id == 0)
    self->sync_flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, sync_flush_cb, self, NULL);
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
  Request *req = g_new0 (Request, 1);
  gboolean cached;

  req->self = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->path = g_strdup (path);

  if (!g_str_has_prefix (path, NAVETTE_API_PREFIX "/") ||
      !(req->route = match_route (path + strlen (NAVETTE_API_PREFIX "/"), req)))
    {
      static const RouteMethod none = { "?", ACCESS_NONE, FALSE, NULL };

      req->method = &none;
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such resource");
      send_response (req, FALSE);
      request_free (req);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (req->route->methods); i++)
    {
      const RouteMethod *candidate = &req->route->methods[i];

      if (candidate->method != NULL && g_str_equal (candidate->method, method))
        req->method = candidate;
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

  req->token = navette_auth_parse_bearer (soup_message_headers_get_one (headers, "Authorization"));
  req->if_none_match = g_strdup (soup_message_headers_get_one (headers, "If-None-Match"));

  cached = req->route->cached_auth && try_cached_light_check (req);
  if (cached && !self->sync_before_cache)
    {
      send_response (req, FALSE);
      request_free (req);
      return;
    }

  req->query = query != NULL ? g_hash_table_ref (query) : NULL;
  soup_server_message_pause (msg);
  if (cached)
    {
      wait_for_changes (self, req);
      return;
    }
  request_read_rest (req);
  g_thread_pool_push (self->pool, req, NULL);
}

/* ------------------------------------------------------------------ */
/* Body limit: refused from the headers, before the body is read       */

typedef struct
{
  GIOStream *stream;
  char      *response;
  char       drain[4096];
  gsize      drained;
  guint      timeout_id;
} Refusal;

static void
refusal_free (Refusal *refusal)
{
  g_clear_handle_id (&refusal->timeout_id, g_source_remove);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_free (refusal->response);
  g_free (refusal);
}

static void drain_next (Refusal *refusal);

static void
drained_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  /* Read what the client is still sending (up to a bound), so closing does
   * not reset the connection before it read our answer. */
  if (n <= 0 || refusal->drained > 4 * NAVETTE_DEFAULT_BODY_LIMIT || refusal->timeout_id == 0)
    {
      refusal_free (refusal);
      return;
    }
  refusal->drained += n;
  drain_next (refusal);
}

static void
drain_next (Refusal *refusal)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream),
                             refusal->drain, sizeof refusal->drain, G_PRIORITY_DEFAULT,
                             NULL, drained_cb, refusal);
}

static gboolean
refusal_timeout_cb (gpointer data)
{
  Refusal *refusal = data;

  refusal->timeout_id = 0;
  /* The pending read ends with an error once the stream is closed. */
  g_io_stream_close (refusal->stream, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;
  GSocket *socket = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      g_clear_handle_id (&refusal->timeout_id, g_source_remove);
      refusal_free (refusal);
      return;
    }
  if (G_IS_SOCKET_CONNECTION (refusal->stream))
    socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (refusal->stream));
  else
    socket = g_object_get_data (G_OBJECT (refusal->stream), "GSocket");
  if (socket != NULL)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
  drain_next (refusal);
}

typedef struct
{
  gint64   started;
  gsize    received;
  gboolean logged;
} RequestInfo;

static GQuark
request_info_quark (void)
{
  return g_quark_from_static_string ("navette-request-info");
}

static void connection_deadline (NavetteHttpServer *self,
                                 SoupServerMessage *msg,
                                 gboolean           arm);
static gboolean track_connection (NavetteHttpServer *self,
                                  SoupServerMessage *msg,
                                  gboolean           busy);
static void log_request (NavetteHttpServer *self,
                         SoupServerMessage *msg,
                         guint              status,
                         gsize              bytes);

static void
refuse_too_large (NavetteHttpServer *self,
                  SoupServerMessage *msg)
{
  RequestInfo *info = g_object_get_qdata (G_OBJECT (msg), request_info_quark ());
  g_autofree char *body = navette_wire_error_to_json (NAVETTE_API_ERROR_PAYLOAD_TOO_LARGE,
                                                      "The request body is over the size limit",
                                                      NULL);
  g_autoptr(GIOStream) stream = NULL;
  Refusal *refusal;

  g_object_ref (msg);
  connection_deadline (self, msg, FALSE);
  log_request (self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, strlen (body));
  if (info != NULL)
    info->logged = TRUE;
  stream = soup_server_message_steal_connection (msg);
  g_object_unref (msg);
  if (stream == NULL)
    return;

  refusal = g_new0 (Refusal, 1);
  refusal->stream = g_steal_pointer (&stream);
  refusal->response = g_strdup_printf ("HTTP/1.1 413 Payload Too Large\r\n"
                                       "Connection: close\r\n"
                                       "Content-Type: application/json\r\n"
                                       "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                       "\r\n%s", strlen (body), body);
  refusal->timeout_id = g_timeout_add_seconds (2, refusal_timeout_cb, refusal);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (refusal->stream),
                                   refusal->response, strlen (refusal->response),
                                   G_PRIORITY_DEFAULT, NULL, refusal_written_cb, refusal);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  RequestInfo *info = g_object_get_qdata (G_OBJECT (msg), request_info_quark ());

  if (info == NULL || info->logged)
    return;
  info->received += g_bytes_get_size (chunk);
  if (info->received > self->body_limit)
    {
      g_signal_handlers_disconnect_by_func (msg, got_chunk_cb, self);
      refuse_too_large (self, msg);
    }
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  /* the body, if any, must now make progress (see track_connection) */
  connection_deadline (self, msg, TRUE);
  if (soup_server_message_get_status (msg) == SOUP_STATUS_BAD_REQUEST)
    {
      /* libsoup refused the path itself (a ".." hidden as %2F..): that is
       * a path that names nothing, so our JSON 404. */
      char *body = navette_wire_error_to_json (NAVETTE_API_ERROR_NOT_FOUND, "No such resource", NULL);

      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
      return;
    }
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) self->body_limit)
    refuse_too_large (self, msg);
  else if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self);
}

/* ------------------------------------------------------------------ */
/* GET /api/v1/events: the WebSocket of pushed changes                 */

/* The upgrade is authenticated before libsoup answers the handshake: an
 * early handler pauses the message after its headers and has a worker
 * check the bearer token (the database may block); the normal handler
 * then refuses it (401, 429, 400) or lets libsoup switch protocols, and
 * the WebSocket handler hands the connection to the NavetteEventHub. */

static const char *events_protocols[] = { "navette.v1", NULL };

typedef struct
{
  char       *token_hash;
  char       *username;
  gboolean    admin;
  GHashTable *roles;
  gint64      expires_at;
} EventsAuth;

static void
events_auth_free (EventsAuth *auth)
{
  g_free (auth->token_hash);
  g_free (auth->username);
  g_clear_pointer (&auth->roles, g_hash_table_unref);
  g_free (auth);
}

static GQuark
events_auth_quark (void)
{
  return g_quark_from_static_string ("navette-events-auth");
}

static void
handle_events (Request *req)
{
  /* authenticated: the upgrade may go on (no answer of our own) */
  req->status = SOUP_STATUS_SWITCHING_PROTOCOLS;
}

static const Route events_route = {
  "events", "GET", { { "GET", ACCESS_USER, FALSE, handle_events } }
};

/* Main loop, after the worker authenticated (or refused) the upgrade. */
static void
events_authenticated (Request *req)
{
  if (req->status == SOUP_STATUS_SWITCHING_PROTOCOLS && req->user != NULL)
    {
      EventsAuth *auth = g_new0 (EventsAuth, 1);

      auth->token_hash = navette_auth_token_hash (req->token);
      auth->username = g_strdup (req->user->username);
      auth->admin = req->user->admin;
      auth->roles = g_hash_table_ref (req->user->roles);
      auth->expires_at = req->expires_at;
      g_object_set_qdata_full (G_OBJECT (req->msg), events_auth_quark (), auth,
                               (GDestroyNotify) events_auth_free);
    }
  else
    {
      /* status set: libsoup skips the handlers and sends this answer */
      apply_response (req);
    }
  soup_server_message_unpause (req->msg);
}

static void
events_early_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  Request *req;

  if (!g_str_equal (path, EVENTS_PATH) || !g_str_equal (soup_server_message_get_method (msg), "GET"))
    return;

  req = g_new0 (Request, 1);
  req->self = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->path = g_strdup (path);
  req->route = &events_route;
  req->method = &events_route.methods[0];
  req->upgrade = TRUE;
  req->token = navette_auth_parse_bearer (soup_message_headers_get_one (headers, "Authorization"));
  req->address = client_address (self, msg);

  soup_server_message_pause (msg);
  g_thread_pool_push (self->pool, req, NULL);
}

static void
events_refuse (SoupServerMessage *msg,
               NavetteApiError    code,
               const char        *message)
{
  char *body = navette_wire_error_to_json (code, message, NULL);

  soup_server_message_set_status (msg, navette_api_error_status (code), NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
events_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  EventsAuth *auth = g_object_get_qdata (G_OBJECT (msg), events_auth_quark ());
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (path, EVENTS_PATH))
    {
      /* below /api/v1/events/…: the ordinary routes (a 404) */
      server_handler_cb (server, msg, path, query, user_data);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET");
      events_refuse (msg, NAVETTE_API_ERROR_METHOD_NOT_ALLOWED, "This resource allows GET only");
      return;
    }
  if (auth == NULL)
    {
      events_refuse (msg, NAVETTE_API_ERROR_INTERNAL, "An internal error occurred");
      return;
    }
  if (!soup_websocket_server_check_handshake (msg, NULL, (char **) events_protocols, NULL, &error))
    {
      events_refuse (msg, NAVETTE_API_ERROR_BAD_REQUEST,
                     "This resource is a WebSocket: send a WebSocket upgrade (subprotocol navette.v1)");
      return;
    }
  if (!navette_event_hub_may_subscribe (self->events, auth->username))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "30");
      events_refuse (msg, NAVETTE_API_ERROR_RATE_LIMITED,
                     "Too many event connections are open for this user");
      return;
    }
  /* status left unset: libsoup answers the handshake (101) */
}

static void
events_websocket_cb (SoupServer              *server,
                     SoupServerMessage       *msg,
                     const char              *path,
                     SoupWebsocketConnection *connection,
                     gpointer                 user_data)
{
  NavetteHttpServer *self = user_data;
  EventsAuth *auth = g_object_get_qdata (G_OBJECT (msg), events_auth_quark ());

  if (auth == NULL)
    {
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
      return;
    }
  navette_event_hub_add (self->events, connection, auth->token_hash, auth->username,
                         auth->admin, auth->roles, auth->expires_at);
  /* the upgraded message never finishes: log it now */
  {
    RequestInfo *info = g_object_get_qdata (G_OBJECT (msg), request_info_quark ());

    if (info != NULL && !info->logged)
      {
        info->logged = TRUE;
        log_request (self, msg, SOUP_STATUS_SWITCHING_PROTOCOLS, 0);
      }
  }
}

/* NavetteDb::table-changed, on the main loop: a write committed by
 * any server process (or plain SQL) on the shared database. */
static void
db_table_changed_cb (NavetteDb  *db,
                     const char *app,
                     const char *table,
                     gpointer    user_data)
{
  NavetteHttpServer *self = user_data;

  if (app != NULL)
    invalidate_app (self, app);
  else
    {
      g_mutex_lock (&self->cache_mutex);
      g_hash_table_remove_all (self->states);
      self->state_generation++;
      g_mutex_unlock (&self->cache_mutex);
    }
  if (self->events != NULL)
    navette_event_hub_changed (self->events, app, table);
}

/* ------------------------------------------------------------------ */
/* Access log                                                          */

/* The access log is written by a thread of its own: the main loop only
 * appends to a buffer, and the thread writes it out every 250 ms (no
 * wake-up per request, and the main loop never waits for whoever reads
 * standard output). When nobody reads it and the buffer is full, lines
 * are dropped (and counted) rather than stalling the API. */
#define LOG_BUFFER_MAX (8 * 1024 * 1024)

static gpointer
log_thread_func (gpointer data)
{
  NavetteHttpServer *self = data;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean stop = FALSE;

  while (!stop)
    {
      guint dropped;

      g_mutex_lock (&self->log_mutex);
      if (!self->log_stop)
        g_cond_wait_until (&self->log_cond, &self->log_mutex, g_get_monotonic_time () + 250 * 1000);
      stop = self->log_stop;
      g_string_truncate (out, 0);
      g_string_append_len (out, self->log_buffer->str, self->log_buffer->len);
      g_string_truncate (self->log_buffer, 0);
      dropped = self->log_dropped;
      self->log_dropped = 0;
      g_mutex_unlock (&self->log_mutex);

      if (dropped > 0)
        fprintf (stdout, "navette-server: %u access-log lines dropped (standard output was not read)\n", dropped);
      if (out->len > 0)
        {
          fwrite (out->str, 1, out->len, stdout);
          fflush (stdout);
        }
    }
  return NULL;
}

/* method, path (never the query: it may hold anything), status, bytes of
 * the response body, microseconds. Never a header. */
static void
log_request (NavetteHttpServer *self,
             SoupServerMessage *msg,
             guint              status,
             gsize              bytes)
{
  RequestInfo *info = g_object_get_qdata (G_OBJECT (msg), request_info_quark ());
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  gint64 elapsed = info != NULL ? g_get_monotonic_time () - info->started : 0;

  g_mutex_lock (&self->log_mutex);
  if (self->log_buffer->len > LOG_BUFFER_MAX)
    self->log_dropped++;
  else
    g_string_append_printf (self->log_buffer, "%s %s %u %" G_GSIZE_FORMAT " %" G_GINT64_FORMAT "\n",
                            method != NULL ? method : "-", uri != NULL ? g_uri_get_path (uri) : "-",
                            status, bytes, elapsed);
  g_mutex_unlock (&self->log_mutex);
}

static void
body_progress_cb (SoupServerMessage *msg,
                  GBytes            *chunk,
                  gpointer           user_data)
{
  connection_deadline (user_data, msg, TRUE);
}

static void
body_done_cb (SoupServerMessage *msg,
              gpointer           user_data)
{
  connection_deadline (user_data, msg, FALSE);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  RequestInfo *info;

  if (!track_connection (self, msg, TRUE))
    return;
  info = g_new0 (RequestInfo, 1);
  info->started = g_get_monotonic_time ();
  g_object_set_qdata_full (G_OBJECT (msg), request_info_quark (), info, g_free);
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), self);
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
  RequestInfo *info = g_object_get_qdata (G_OBJECT (msg), request_info_quark ());
  SoupMessageBody *body;

  track_connection (self, msg, FALSE);
  if (info == NULL || info->logged)
    return;
  info->logged = TRUE;
  body = soup_server_message_get_response_body (msg);
  log_request (self, msg, soup_server_message_get_status (msg), body != NULL ? (gsize) body->length : 0);
}

/* ------------------------------------------------------------------ */
/* Connections: idle ones closed by the client, slow ones, the cap     */

/* libsoup 3.2 (Debian 12) never notices that a client closed a kept-alive
 * connection while it was idle: the socket stays in CLOSE-WAIT and its
 * descriptor is never released (fixed upstream in libsoup 3.3, commit
 * d20c6601). A server that every client reconnects to would run out of
 * descriptors. So we remember the sockets we have seen and, every two
 * seconds, close those that are idle (no request in progress) and have
 * reached end-of-file.
 *
 * The same table guards the edge (SECURITY.md):
 *  - a deadline per connection: libsoup emits request-started as soon as a
 *    connection is accepted (on a kept-alive one, when the next request's
 *    first bytes arrive; an idle deadline runs from the previous answer
 *    until then); from then on the request headers must be complete
 *    within request_timeout_s, then each piece of the body must follow the
 *    previous one within request_timeout_s and the whole body must be in
 *    within request_timeout_s + its length / MIN_BODY_RATE, or the socket
 *    is shut down. A trickling client is cut; so is a kept-alive
 *    connection left idle that long. Once the body is read (a worker may
 *    then take its time, a WebSocket may live for hours) no deadline runs.
 *  - at most max_per_address connections from one client address: the next
 *    one is answered 429 in JSON and shut down at once. */
typedef struct
{
  NavetteHttpServer *self;
  GSocket           *socket;
  char              *address;
  gboolean           busy;
  gpointer           current;      /* the SoupServerMessage being read (identity only) */
  gint64             deadline;     /* monotonic µs; 0: none (see deadline_tick_cb) */
  gint64             body_end;     /* monotonic µs the body must be in by; 0: none */
} ConnectionState;

static void
connection_state_free (ConnectionState *state)
{
  NavetteHttpServer *self = state->self;
  guint count;

  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->address_counts, state->address));
  if (count <= 1)
    g_hash_table_remove (self->address_counts, state->address);
  else
    g_hash_table_insert (self->address_counts, g_strdup (state->address), GUINT_TO_POINTER (count - 1));
  g_object_unref (state->socket);
  g_free (state->address);
  g_free (state);
}

static ConnectionState *
lookup_connection (NavetteHttpServer *self,
                   SoupServerMessage *msg)
{
  GSocket *socket;

  if (self->connections == NULL)
    return NULL;
  socket = soup_server_message_get_socket (msg);
  return socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;
}

/* Deadlines are timestamps, checked every second here: no timer is added
 * or removed per request on the light check's fast path. */
static gboolean
deadline_tick_cb (gpointer data)
{
  NavetteHttpServer *self = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConnectionState *state = value;

      if (state->deadline != 0 && now >= state->deadline)
        {
          state->deadline = 0;
          /* libsoup reads end-of-file, drops the message and closes the
           * socket; the sweep then forgets it. */
          g_socket_shutdown (state->socket, TRUE, TRUE, NULL);
        }
    }
  return G_SOURCE_CONTINUE;
}

/* (Re)starts the deadline of @msg's connection; @arm FALSE stops it. */
static void
connection_deadline (NavetteHttpServer *self,
                     SoupServerMessage *msg,
                     gboolean           arm)
{
  ConnectionState *state = lookup_connection (self, msg);
  gint64 now, delay;

  if (state == NULL || state->current != msg)
    return;
  state->deadline = 0;
  if (!arm || self->request_timeout_s == 0)
    return;
  now = g_get_monotonic_time ();
  delay = (gint64) self->request_timeout_s * G_USEC_PER_SEC;
  if (state->body_end == 0)
    {
      /* the headers: by then the body's whole allowance is known */
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
      goffset expected = self->body_limit;

      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        expected = MIN (soup_message_headers_get_content_length (headers), (goffset) self->body_limit);
      state->body_end = now + delay + expected * G_USEC_PER_SEC / MIN_BODY_RATE;
    }
  state->deadline = now + CLAMP (state->body_end - now, 0, delay);
}

/* The client closed its end (or the socket is gone) and nothing runs. */
static gboolean
connection_is_dead (ConnectionState *state)
{
  char byte;
  gssize n;

  if (g_socket_is_closed (state->socket))
    return TRUE;
  if (state->busy)
    return FALSE;
  n = recv (g_socket_get_fd (state->socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static char *
socket_address_key (GSocketAddress *address)
{
  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("-");
  return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

/* Drops the closed connections of @address, TRUE when one was dropped. */
static gboolean
forget_dead_connections (NavetteHttpServer *self,
                         const char        *address)
{
  GHashTableIter iter;
  gpointer value;
  gboolean dropped = FALSE;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConnectionState *state = value;

      if (g_str_equal (state->address, address) && connection_is_dead (state))
        {
          if (!g_socket_is_closed (state->socket))
            g_socket_close (state->socket, NULL);
          g_hash_table_iter_remove (&iter);
          dropped = TRUE;
        }
    }
  return dropped;
}

/* Over the cap: a 429 in JSON if the socket takes it now, then shut. */
static void
refuse_connection (GSocket *socket)
{
  g_autofree char *body = navette_wire_error_to_json (NAVETTE_API_ERROR_RATE_LIMITED,
                                                      "Too many connections from this address",
                                                      NULL);
  g_autofree char *response = g_strdup_printf ("HTTP/1.1 429 Too Many Requests\r\n"
                                               "Connection: close\r\n"
                                               "Retry-After: 1\r\n"
                                               "Content-Type: application/json\r\n"
                                               "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                               "\r\n%s", strlen (body), body);

  (void) send (g_socket_get_fd (socket), response, strlen (response), MSG_DONTWAIT | MSG_NOSIGNAL);
  g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

/* Called at request-started (@busy TRUE) and when a request ends. Returns
 * FALSE when the connection is over the per-address cap and was refused. */
static gboolean
track_connection (NavetteHttpServer *self,
                  SoupServerMessage *msg,
                  gboolean           busy)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnectionState *state;

  if (socket == NULL || self->connections == NULL)
    return TRUE;
  state = g_hash_table_lookup (self->connections, socket);
  if (state == NULL)
    {
      g_autofree char *address = NULL;
      guint count;

      if (!busy)
        return TRUE;
      address = socket_address_key (soup_server_message_get_remote_address (msg));
      count = GPOINTER_TO_UINT (g_hash_table_lookup (self->address_counts, address));
      if (self->max_per_address > 0 && count >= self->max_per_address &&
          (!forget_dead_connections (self, address) ||
           GPOINTER_TO_UINT (g_hash_table_lookup (self->address_counts, address)) >= self->max_per_address))
        {
          refuse_connection (socket);
          return FALSE;
        }
      count = GPOINTER_TO_UINT (g_hash_table_lookup (self->address_counts, address));
      state = g_new0 (ConnectionState, 1);
      state->self = self;
      state->socket = g_object_ref (socket);
      state->address = g_strdup (address);
      g_hash_table_insert (self->address_counts, g_steal_pointer (&address), GUINT_TO_POINTER (count + 1));
      g_hash_table_insert (self->connections, socket, state);
    }
  /* The end of an older message (if libsoup ever started the next one
   * first) leaves the newer one's deadline alone. */
  state->busy = busy;
  if (busy)
    state->current = msg;
  else if (state->current != msg)
    return TRUE;
  else
    state->current = NULL;
  state->body_end = 0;
  state->deadline = 0;
  /* The headers' deadline; or, once an answer is out, the idle one: libsoup
   * starts a kept-alive connection's next message only when its first
   * bytes arrive. A WebSocket (101) is not HTTP any more: no deadline. */
  if (self->request_timeout_s > 0 &&
      (busy || soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS))
    state->deadline = g_get_monotonic_time () + (gint64) self->request_timeout_s * G_USEC_PER_SEC;
  return TRUE;
}

static gboolean
sweep_connections_cb (gpointer data)
{
  NavetteHttpServer *self = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConnectionState *state = value;

      if (connection_is_dead (state))
        {
          if (!g_socket_is_closed (state->socket))
            g_socket_close (state->socket, NULL);
          g_hash_table_iter_remove (&iter);
        }
    }

  /* Forget cache entries past their lifetime, so tokens that are not used
   * any more do not stay in memory. */
  {
    gint64 now = g_get_monotonic_time ();

    g_mutex_lock (&self->cache_mutex);
    g_hash_table_iter_init (&iter, self->sessions);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (now - ((CachedSession *) value)->cached_at >= NAVETTE_HTTP_SESSION_CACHE_USEC)
        g_hash_table_iter_remove (&iter);
    g_hash_table_iter_init (&iter, self->states);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (now - ((CachedState *) value)->cached_at >= (gint64) self->state_cache_ms * 1000)
        g_hash_table_iter_remove (&iter);
    g_mutex_unlock (&self->cache_mutex);
  }
  return G_SOURCE_CONTINUE;
}

static void
request_aborted_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_object_set_data (G_OBJECT (msg), ABORTED_KEY, GINT_TO_POINTER (TRUE));
  track_connection (user_data, msg, FALSE);
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
  g_clear_object (&self->events);
  g_clear_object (&self->db);
  g_clear_object (&self->user_failures);
  g_clear_object (&self->address_failures);

  G_OBJECT_CLASS (navette_http_server_parent_class)->dispose (object);
}

static void
navette_http_server_finalize (GObject *object)
{
  NavetteHttpServer *self = NAVETTE_HTTP_SERVER (object);

  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->states);
  g_clear_object (&self->trusted_proxy);
  g_clear_object (&self->tls_certificate);
  g_mutex_clear (&self->cache_mutex);
  g_mutex_clear (&self->log_mutex);
  g_cond_clear (&self->log_cond);
  g_string_free (self->log_buffer, TRUE);
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
    case PROP_TOKEN_LIFETIME:
      g_value_set_int64 (value, self->token_lifetime);
      break;
    case PROP_BODY_LIMIT:
      g_value_set_uint64 (value, self->body_limit);
      break;
    case PROP_RESPONSE_DELAY:
      g_value_set_uint (value, self->response_delay);
      break;
    case PROP_WORKERS:
      g_value_set_uint (value, self->workers);
      break;
    case PROP_STATE_CACHE:
      g_value_set_uint (value, self->state_cache_ms);
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
    case PROP_TOKEN_LIFETIME:
      navette_http_server_set_token_lifetime (self, g_value_get_int64 (value));
      break;
    case PROP_BODY_LIMIT:
      navette_http_server_set_body_limit (self, g_value_get_uint64 (value));
      break;
    case PROP_RESPONSE_DELAY:
      navette_http_server_set_response_delay (self, g_value_get_uint (value));
      break;
    case PROP_WORKERS:
      navette_http_server_set_workers (self, g_value_get_uint (value));
      break;
    case PROP_STATE_CACHE:
      navette_http_server_set_state_cache (self, g_value_get_uint (value));
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
  properties[PROP_TOKEN_LIFETIME] =
    g_param_spec_int64 ("token-lifetime", NULL, NULL, 0, G_MAXINT32, NAVETTE_HTTP_DEFAULT_TOKEN_LIFETIME,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BODY_LIMIT] =
    g_param_spec_uint64 ("body-limit", NULL, NULL, 1, G_MAXUINT32, NAVETTE_DEFAULT_BODY_LIMIT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESPONSE_DELAY] =
    g_param_spec_uint ("response-delay", NULL, NULL, 0, G_MAXUINT32, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORKERS] =
    g_param_spec_uint ("workers", NULL, NULL, 1, 256, NAVETTE_HTTP_DEFAULT_WORKERS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE_CACHE] =
    g_param_spec_uint ("state-cache", NULL, NULL, 0, 60000, NAVETTE_HTTP_DEFAULT_STATE_CACHE_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
navette_http_server_init (NavetteHttpServer *self)
{
  self->token_lifetime = NAVETTE_HTTP_DEFAULT_TOKEN_LIFETIME;
  self->body_limit = NAVETTE_DEFAULT_BODY_LIMIT;
  self->workers = NAVETTE_HTTP_DEFAULT_WORKERS;
  self->state_cache_ms = NAVETTE_HTTP_DEFAULT_STATE_CACHE_MS;
  self->max_subscriptions = NAVETTE_HTTP_DEFAULT_MAX_SUBSCRIPTIONS;
  self->request_timeout_s = NAVETTE_HTTP_DEFAULT_REQUEST_TIMEOUT;
  self->max_per_address = NAVETTE_HTTP_DEFAULT_MAX_PER_ADDRESS;
  self->push_access_cache_ms = -1;
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->cache_mutex);
  g_mutex_init (&self->log_mutex);
  g_cond_init (&self->log_cond);
  self->log_buffer = g_string_sized_new (64 * 1024);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) cached_session_free);
  self->states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) cached_state_free);
  self->user_failures = navette_rate_limit_new (LOGIN_MAX_FAILURES_PER_USER, LOGIN_WINDOW_USEC);
  self->address_failures = navette_rate_limit_new (LOGIN_MAX_FAILURES_PER_ADDRESS, LOGIN_WINDOW_USEC);
}

NavetteHttpServer *
navette_http_server_new (NavetteDb *db)
{
  g_return_val_if_fail (NAVETTE_IS_DB (db), NULL);

  return g_object_new (NAVETTE_TYPE_HTTP_SERVER, "db", db, NULL);
}

NavetteDb *
navette_http_server_get_db (NavetteHttpServer *self)
{
  g_return_val_if_fail (NAVETTE_IS_HTTP_SERVER (self), NULL);
  return self->db;
}

void
navette_http_server_set_token_lifetime (NavetteHttpServer *self,
                                        gint64             seconds)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (seconds >= 0);

  if (self->token_lifetime == seconds)
    return;
  self->token_lifetime = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_LIFETIME]);
}

void
navette_http_server_set_body_limit (NavetteHttpServer *self,
                                    gsize              bytes)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (bytes > 0);

  if (self->body_limit == bytes)
    return;
  self->body_limit = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BODY_LIMIT]);
}

void
navette_http_server_set_response_delay (NavetteHttpServer *self,
                                        guint              msec)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  if (self->response_delay == msec)
    return;
  self->response_delay = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPONSE_DELAY]);
}

void
navette_http_server_set_workers (NavetteHttpServer *self,
                                 guint              workers)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));
  g_return_if_fail (workers > 0);

  if (self->workers == workers)
    return;
  self->workers = workers;
  if (self->pool != NULL)
    g_thread_pool_set_max_threads (self->pool, (int) workers, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKERS]);
}

void
navette_http_server_set_state_cache (NavetteHttpServer *self,
                                     guint              msec)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  if (self->state_cache_ms == msec)
    return;
  self->state_cache_ms = msec;
  g_mutex_lock (&self->cache_mutex);
  g_hash_table_remove_all (self->states);
  self->state_generation++;
  g_mutex_unlock (&self->cache_mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_CACHE]);
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
  GSList *listeners;

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

  self->events = navette_event_hub_new (self->db);
  navette_event_hub_set_max_per_user (self->events, self->max_subscriptions);
  if (self->push_access_cache_ms >= 0)
    navette_event_hub_set_access_cache (self->events, (guint) self->push_access_cache_ms);
  if (self->push_keepalive_s > 0)
    navette_event_hub_set_keepalive (self->events, self->push_keepalive_s);
  /* Other server processes' writes (PostgreSQL: LISTEN/NOTIFY). */
  self->changed_id = g_signal_connect (self->db, "table-changed", G_CALLBACK (db_table_changed_cb), self);
  if (navette_db_watch_changes (self->db))
    {
      self->sync_before_cache = TRUE;
      self->sync_waiting = g_ptr_array_new ();
    }
  else
    {
      /* Other programs' writes to the SQLite file: nothing tells us, so
       * compare table_last_modifications every second while anybody
       * listens. */
      navette_event_hub_set_poll_interval (self->events, 1000);
    }

  self->soup = soup_server_new ("server-header", NULL, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_aborted_cb), self);
  soup_server_add_handler (self->soup, NULL, server_handler_cb, self, NULL);
  /* Announcements are a few dozen bytes: no per-connection zlib state. */
  soup_server_remove_websocket_extension (self->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_early_handler (self->soup, EVENTS_PATH, events_early_cb, self, NULL);
  soup_server_add_handler (self->soup, EVENTS_PATH, events_cb, self, NULL);
  soup_server_add_websocket_handler (self->soup, EVENTS_PATH, NULL, (char **) events_protocols,
                                     events_websocket_cb, self, NULL);
  if (self->tls_certificate != NULL)
    g_object_set (self->soup, "tls-certificate", self->tls_certificate, NULL);
  if (!soup_server_listen (self->soup, socket_address,
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

  self->log_thread = g_thread_new ("navette-log", log_thread_func, self);
  self->purge_id = g_timeout_add_seconds (PURGE_INTERVAL_SECONDS, purge_cb, self);
  self->address_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->connections = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) connection_state_free);
  self->sweep_id = g_timeout_add_seconds (2, sweep_connections_cb, self);
  self->deadline_id = g_timeout_add_seconds (1, deadline_tick_cb, self);
  return TRUE;
}

void
navette_http_server_shutdown (NavetteHttpServer *self)
{
  g_return_if_fail (NAVETTE_IS_HTTP_SERVER (self));

  self->shutting_down = TRUE;
  if (self->events != NULL)
    navette_event_hub_close_all (self->events);
  if (self->changed_id != 0)
    {
      g_clear_signal_handler (&self->changed_id, self->db);
      navette_db_unwatch_changes (self->db);
    }
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  if (self->pool != NULL)
    {
      /* Let running database work finish; queued requests are dropped
       * with their connections. */
      g_thread_pool_free (g_steal_pointer (&self->pool), TRUE, TRUE);
    }
  g_clear_handle_id (&self->sync_flush_id, g_source_remove);
  if (self->sync_waiting != NULL)
    {
      /* light checks that waited for a round trip: dropped with their
       * connections, like the queued requests */
      for (guint i = 0; i < self->sync_waiting->len; i++)
        request_free (g_ptr_array_index (self->sync_waiting, i));
      g_clear_pointer (&self->sync_waiting, g_ptr_array_unref);
    }
  g_clear_handle_id (&self->purge_id, g_source_remove);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->deadline_id, g_source_remove);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->address_counts, g_hash_table_unref);
  if (self->log_thread != NULL)
    {
      g_mutex_lock (&self->log_mutex);
      self->log_stop = TRUE;
      g_cond_signal (&self->log_cond);
      g_mutex_unlock (&self->log_mutex);
      g_thread_join (g_steal_pointer (&self->log_thread));
    }
  fflush (stdout);
}
