/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-events.c — GET /api/v1/events, the WebSocket of pushed
 * changes, and the changes themselves: those committed through this
 * server and those the storage layer reports (its own schema and grant
 * writes; other server processes, admin commands, plain SQL), which
 * invalidate the caches and go to the NavetteEventHub.
 *
 * An upgrade route is authenticated before libsoup answers the
 * handshake: an early handler pauses the message after its headers and
 * has a worker check the bearer token (the database may block); the
 * normal handler then refuses it (401, 429, 400) or lets libsoup switch
 * protocols, and the WebSocket handler hands the connection to the hub. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include "navette-auth.h"
#include "navette-http-private.h"

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

void
handle_events (Request *req)
{
  /* authenticated: the upgrade may go on (no answer of our own) */
  req->status = SOUP_STATUS_SWITCHING_PROTOCOLS;
}

void
navette_http_events_authenticated (Request *req)
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
      navette_http_request_info_keep_user (req);
    }
  else
    {
      /* status set: libsoup skips the handlers and sends this answer */
      apply_response (req);
    }
  soup_server_message_unpause (req->msg);
}

/* The upgrade route of @path, if any. */
static const Route *
upgrade_route (const char *path)
{
  guint n_routes;
  const Route *routes = navette_http_routes_get (&n_routes);

  for (guint r = 0; r < n_routes; r++)
    if ((routes[r].flags & ROUTE_UPGRADE) && g_str_equal (routes[r].path, path))
      return &routes[r];
  return NULL;
}

static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const Route *route = upgrade_route (path);
  const RouteMethod *method = route != NULL ? route_method (route, soup_server_message_get_method (msg)) : NULL;
  Request *req;

  /* anything else (below the path, another method) is answered as usual */
  if (method == NULL)
    return;

  req = request_new (self, msg, path);
  req->route = route;
  req->method = method;
  req->upgrade = TRUE;
  req->token = navette_auth_parse_bearer (soup_message_headers_get_one (headers, "Authorization"));
  req->address = client_address (self, msg);

  soup_server_message_pause (msg);
  g_thread_pool_push (self->pool, req, NULL);
}

void
navette_http_events_handle (NavetteHttpServer *self,
                            Request           *req)
{
  EventsAuth *auth = g_object_get_qdata (G_OBJECT (req->msg), events_auth_quark ());
  g_autoptr(GError) error = NULL;

  if (auth == NULL)
    respond_error (req, NAVETTE_API_ERROR_INTERNAL, "An internal error occurred");
  else if (!soup_websocket_server_check_handshake (req->msg, NULL, (char **) events_protocols, NULL,
                                                   &error))
    respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST,
                   "This resource is a WebSocket: send a WebSocket upgrade (subprotocol navette.v1)");
  else if (!navette_event_hub_may_subscribe (self->events, auth->username))
    {
      req->retry_after = g_strdup ("30");
      respond_error (req, NAVETTE_API_ERROR_RATE_LIMITED,
                     "Too many event connections are open for this user");
    }
  /* status left unset: libsoup answers the handshake (101) */
  if (req->status != 0)
    apply_response (req);
  request_free (req);
}

static void
websocket_cb (SoupServer              *server,
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
  navette_http_log_request (self->log, msg, SOUP_STATUS_SWITCHING_PROTOCOLS, 0);
}

void
navette_http_events_changed (NavetteHttpServer *self,
                             const char        *app,
                             const char        *table)
{
  navette_http_cache_invalidate (self->cache, app);
  if (app == NULL)
    navette_http_cache_forget_user (self->cache, NULL);  /* roles too */
  if (self->events != NULL)
    navette_event_hub_changed (self->events, app, table);
}

/* NavetteDb::table-changed, on the main loop: a write committed by any
 * server process (or plain SQL) on the shared database. */
static void
table_changed_cb (NavetteDb  *db,
                  const char *app,
                  const char *table,
                  gpointer    user_data)
{
  navette_http_events_changed (user_data, app, table);
}

/* NavetteDb::schema-changed, in any thread (a worker of ours right after
 * its commit, or the main loop): the application's light check has a new
 * ETag, and its readers are told. */
static void
schema_changed_cb (NavetteDb  *db,
                   const char *app,
                   gpointer    user_data)
{
  NavetteHttpServer *self = user_data;

  navette_http_cache_invalidate (self->cache, app);
  if (self->events != NULL)
    navette_event_hub_schema_changed (self->events, app);
}

/* NavetteDb::roles-changed, in any thread: the user's cached sessions
 * hold her old roles (the light checks would go on answering from them
 * for up to 2 s), and she and the admins are told. */
static void
roles_changed_cb (NavetteDb  *db,
                  const char *username,
                  gpointer    user_data)
{
  NavetteHttpServer *self = user_data;

  navette_http_cache_forget_user (self->cache, username);
  if (self->events != NULL)
    navette_event_hub_roles_changed (self->events, username);
}

void
navette_http_events_start (NavetteHttpServer *self)
{
  guint n_routes;
  const Route *routes = navette_http_routes_get (&n_routes);

  self->events = navette_event_hub_new (self->db);
  navette_event_hub_set_max_per_user (self->events, self->max_subscriptions);
  if (self->push_access_cache_ms >= 0)
    navette_event_hub_set_access_cache (self->events, (guint) self->push_access_cache_ms);
  if (self->push_keepalive_s > 0)
    navette_event_hub_set_keepalive (self->events, self->push_keepalive_s);

  self->changed_id = g_signal_connect (self->db, "table-changed", G_CALLBACK (table_changed_cb), self);
  self->schema_changed_id = g_signal_connect (self->db, "schema-changed", G_CALLBACK (schema_changed_cb), self);
  self->roles_changed_id = g_signal_connect (self->db, "roles-changed", G_CALLBACK (roles_changed_cb), self);
  if (!navette_db_watch_changes (self->db))
    {
      /* Other programs' writes: nothing tells us (no backend today), so
       * compare every table, schema and subscriber's roles every second
       * while anybody listens. */
      navette_event_hub_set_poll_interval (self->events, 1000);
    }

  /* Announcements are a few dozen bytes: no per-connection zlib state. */
  soup_server_remove_websocket_extension (self->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  for (guint r = 0; r < n_routes; r++)
    {
      if (!(routes[r].flags & ROUTE_UPGRADE))
        continue;
      soup_server_add_early_handler (self->soup, routes[r].path, early_cb, self, NULL);
      soup_server_add_websocket_handler (self->soup, routes[r].path, NULL, (char **) events_protocols,
                                         websocket_cb, self, NULL);
    }
}

void
navette_http_events_stop (NavetteHttpServer *self)
{
  if (self->events != NULL)
    navette_event_hub_close_all (self->events);
  if (self->changed_id != 0)
    {
      g_clear_signal_handler (&self->changed_id, self->db);
      g_clear_signal_handler (&self->schema_changed_id, self->db);
      g_clear_signal_handler (&self->roles_changed_id, self->db);
      navette_db_unwatch_changes (self->db);
    }
}
