/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-private.h — what navette-http-server.c (the object and the
 * plumbing) and navette-http-routes.c (the route table and the handlers)
 * share: the server's instance struct, the Request a handler works on,
 * the route types and the few functions each calls of the other. Not
 * installed; included by those two files only. */
#pragma once

#include <libsoup/soup.h>

#include "navette-event-hub.h"
#include "navette-http-server.h"
#include "navette-rate-limit.h"

G_BEGIN_DECLS

struct _NavetteHttpServer
{
  GObject           parent_instance;

  NavetteDb        *db;
  SoupServer       *soup;
  GThreadPool      *pool;
  GMainContext     *context;
  NavetteRateLimit *user_failures;
  NavetteRateLimit *address_failures;

  gint64            token_lifetime;
  gsize             body_limit;
  guint             response_delay;
  guint             workers;
  guint             state_cache_ms;

  /* Caches shared by the main loop and the workers. */
  GMutex            cache_mutex;
  GHashTable       *sessions;          /* token hash → CachedSession */
  GHashTable       *states;            /* "app" or "app/table" → CachedState */
  guint64           state_generation;  /* bumped by every write and logout */

  GMutex            log_mutex;
  GCond             log_cond;
  GString          *log_buffer;
  GThread          *log_thread;
  guint             log_dropped;
  gboolean          log_stop;
  guint             purge_id;
  GHashTable       *connections;       /* GSocket → ConnectionState (main loop only) */
  GHashTable       *address_counts;    /* client address → connections (main loop only) */
  guint             request_timeout_s; /* 0: no deadline */
  guint             max_per_address;   /* 0: no cap */
  guint             deadline_id;       /* deadline_tick_cb */
  guint             sweep_id;

  NavetteEventHub  *events;            /* GET /api/v1/events subscribers */
  guint             max_subscriptions;
  GInetAddress     *trusted_proxy;
  GTlsCertificate  *tls_certificate;
  int               push_access_cache_ms;  /* -1: the hub's default */
  guint             push_keepalive_s;      /* 0: the hub's default */
  gulong            changed_id;        /* NavetteDb::table-changed */
  /* a light check the caches can answer first waits until the storage
   * layer has seen every change committed before it (see wait_for_changes) */
  gboolean          sync_before_cache;
  GPtrArray        *sync_waiting;      /* Request*: for the next round trip */
  guint             sync_flush_id;     /* sends it (sync_flush_cb) */
  gboolean          shutting_down;
};

/* ------------------------------------------------------------------ */
/* Users as the HTTP layer sees them (cached per token)                */

typedef struct
{
  gatomicrefcount  ref_count;
  char            *username;
  char            *display_name;
  gboolean         admin;
  GHashTable      *roles; /* app → "reader" | "editor" */
} AuthUser;

G_GNUC_INTERNAL
AuthUser *auth_user_ref   (AuthUser *user);
G_GNUC_INTERNAL
void      auth_user_unref (AuthUser *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuthUser, auth_user_unref)

typedef struct
{
  char   *body;
  char   *etag;
  gint64  cached_at;
} CachedState;

/* ------------------------------------------------------------------ */
/* Routes                                                              */

typedef enum
{
  ACCESS_NONE,   /* no token needed */
  ACCESS_USER,   /* any signed-in user */
  ACCESS_READ,   /* a role in {app} */
  ACCESS_WRITE,  /* editor of {app} */
  ACCESS_AUDIT,  /* editor of {app}: the audit trail */
} Access;

typedef struct _Request Request;
typedef void (*Handler) (Request *req);

typedef struct
{
  const char *method;
  Access      access;
  gboolean    has_body;
  Handler     handler;
} RouteMethod;

typedef struct
{
  const char  *pattern;      /* below /api/v1/ */
  const char  *allow;
  RouteMethod  methods[2];
  gboolean     cached_auth;  /* may use a session cached for up to 2 s */
} Route;

struct _Request
{
  NavetteHttpServer *self;
  SoupServerMessage *msg;
  const Route       *route;
  const RouteMethod *method;
  char              *path;
  GHashTable        *query;
  char              *app;
  char              *table;
  char              *id;
  char              *token;
  char              *content_type;
  char              *if_none_match;
  char              *idempotency_key;
  gboolean           has_idempotency_key;
  char              *address;
  GBytes            *body;
  AuthUser          *user;
  JsonNode          *json;
  gint64             expires_at;       /* of the session, once authenticated */
  gboolean           upgrade;          /* GET /api/v1/events before the upgrade */
  guint64            cached_generation; /* of the caches, when answered from them */

  /* the answer */
  guint              status;
  char              *response;
  gsize              response_len;
  char              *etag;
  const char        *allow;
  char              *retry_after;
};

/* Not in the route table: its own SoupServer handlers (WebSocket
 * upgrade) in navette-http-server.c. */
#define EVENTS_PATH NAVETTE_API_PREFIX "/events"

/* navette-http-server.c: the caches (see there) */
G_GNUC_INTERNAL
char        *state_key           (const char        *app,
                                  const char        *table);
G_GNUC_INTERNAL
CachedState *lookup_state_locked (NavetteHttpServer *self,
                                  const char        *key,
                                  gint64             now);
G_GNUC_INTERNAL
void         invalidate_app      (NavetteHttpServer *self,
                                  const char        *app);
G_GNUC_INTERNAL
void         store_state         (NavetteHttpServer *self,
                                  const char        *key,
                                  guint64            generation,
                                  const char        *body,
                                  const char        *etag);

/* navette-http-server.c: authentication (workers) */
G_GNUC_INTERNAL
AuthUser    *load_user           (NavetteHttpServer  *self,
                                  NavetteDbUser      *db_user,
                                  GError            **error);
G_GNUC_INTERNAL
void         cache_session       (NavetteHttpServer *self,
                                  const char        *token_hash,
                                  AuthUser          *user,
                                  gint64             expires_at);

/* navette-http-routes.c */
G_GNUC_INTERNAL
const Route *match_route         (const char        *path,
                                  Request           *req);
G_GNUC_INTERNAL
void         respond_error       (Request           *req,
                                  NavetteApiError    code,
                                  const char        *message);
G_GNUC_INTERNAL
void         respond_gerror      (Request           *req,
                                  const GError      *error);
G_GNUC_INTERNAL
void         respond_state       (Request           *req,
                                  const char        *body,
                                  const char        *etag);

G_END_DECLS
