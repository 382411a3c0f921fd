/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-private.h — what the files of the HTTP layer share:
 *
 *   navette-http-server.c       the object: listening, a request's life
 *                               (dispatch, the worker pool, answers), shutdown
 *   navette-http-routes.c       the route table and its matching
 *   navette-http-handlers.c     the v1 API's handlers and their answers
 *   navette-http-auth.c         authentication and authorization
 *   navette-http-cache.c        the caches of sessions and light checks
 *   navette-http-events.c       GET /api/v1/events: the WebSocket upgrade,
 *                               and the storage layer's changes
 *   navette-http-log.c          the access log
 *   navette-http-connections.c  the connection limiter: per-address cap,
 *                               deadlines, dead connections
 *   navette-http-body-limit.c   request bodies over the limit, refused
 *                               from their headers
 *
 * Not installed; nothing outside src/server/http includes it. */
#pragma once

#include <libsoup/soup.h>

#include "navette-event-hub.h"
#include "navette-http-server.h"
#include "navette-sign-in-limit.h"

G_BEGIN_DECLS

typedef struct _NavetteHttpCache       NavetteHttpCache;
typedef struct _NavetteHttpLog         NavetteHttpLog;
typedef struct _NavetteHttpConnections NavetteHttpConnections;
typedef struct _NavetteHttpMetrics     NavetteHttpMetrics;

struct _NavetteHttpServer
{
  GObject                 parent_instance;

  NavetteDb              *db;
  SoupServer             *soup;
  GThreadPool            *pool;
  GMainContext           *context;
  NavetteSignInLimit     *sign_in;
  NavetteHttpCache       *cache;
  NavetteHttpLog         *log;
  NavetteHttpConnections *connections;   /* while listening */
  NavetteHttpMetrics     *metrics;       /* NULL: not counted (no --metrics-listen) */
  SoupServer             *metrics_soup;  /* GET /metrics */

  gint64                  token_lifetime;
  gsize                   body_limit;
  guint                   response_delay;
  guint                   workers;
  guint                   request_timeout_s; /* 0: no deadline */
  guint                   max_per_address;   /* 0: no cap */
  guint                   page_size;         /* rows of a list page without `limit` */
  guint                   max_page_size;     /* the largest `limit` served */
  guint                   purge_id;

  NavetteEventHub        *events;            /* GET /api/v1/events subscribers */
  guint                   max_subscriptions;
  GInetAddress           *trusted_proxy;
  GTlsCertificate        *tls_certificate;
  int                     push_access_cache_ms;  /* -1: the hub's default */
  guint                   push_keepalive_s;      /* 0: the hub's default */
  gulong                  changed_id;        /* NavetteDb::table-changed */
  gulong                  schema_changed_id; /* NavetteDb::schema-changed */
  gulong                  roles_changed_id;  /* NavetteDb::roles-changed */
  gboolean                shutting_down;
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

G_GNUC_INTERNAL AuthUser *auth_user_ref   (AuthUser *user);
G_GNUC_INTERNAL void      auth_user_unref (AuthUser *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuthUser, auth_user_unref)

/* ------------------------------------------------------------------ */
/* Routes and requests                                                 */

typedef enum
{
  ACCESS_NONE,   /* no token needed */
  ACCESS_USER,   /* any signed-in user */
  ACCESS_ADMIN,  /* administrators only (403 for anyone else) */
  ACCESS_READ,   /* a role in {app} */
  ACCESS_WRITE,  /* editor of {app} */
  ACCESS_AUDIT,  /* editor of {app}: the audit trail */
} Access;

typedef struct _Request Request;
typedef void (*Handler) (Request *req);

typedef struct
{
  const char *method;    /* NULL ends a route's methods */
  Access      access;
  gboolean    has_body;
  Handler     handler;
} RouteMethod;

typedef enum
{
  ROUTE_CACHED_AUTH = 1 << 0,  /* may use a session cached for up to 2 s (light checks) */
  ROUTE_UPGRADE     = 1 << 1,  /* a WebSocket: authenticated before the handshake */
} RouteFlags;

typedef struct
{
  const char        *pattern;   /* below /api/v1/; "{app}", "{table}", "{id}", "{column}",
                                 * "{username}" capture */
  const RouteMethod *methods;   /* ended by { NULL } */
  RouteFlags         flags;
  /* made once, at startup (navette_http_routes_get()) */
  char             **segments;  /* the pattern split at "/" */
  char              *allow;     /* "GET, POST": the methods, for 405 */
  char              *path;      /* the whole path: NAVETTE_API_PREFIX "/" pattern */
  guint              slot;      /* its metrics' first slot: one per method, then "other" */
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
  char              *column;
  char              *username;
  char              *token;
  char              *content_type;
  char              *if_none_match;
  char              *idempotency_key;
  gboolean           has_idempotency_key;
  char              *address;
  GBytes            *body;
  AuthUser          *user;
  char              *log_user;         /* the access log's, when not user's */
  JsonNode          *json;
  gint64             expires_at;        /* of the session, once authenticated */
  gboolean           upgrade;           /* an upgrade route, before the handshake */
  gboolean           from_cache;        /* answered from the caches (main loop) */
  guint64            cached_generation; /* of the caches, when answered from them */
  gboolean           synced;            /* every change committed elsewhere before
                                         * it came is known: a cached light-check
                                         * answer may be given */

  /* the answer */
  guint              status;
  char              *response;
  gsize              response_len;
  char              *etag;
  const char        *allow;
  char              *retry_after;
};

/* ------------------------------------------------------------------ */
/* navette-http-server.c                                               */

G_GNUC_INTERNAL Request *request_new        (NavetteHttpServer *self,
                                             SoupServerMessage *msg,
                                             const char        *path);
G_GNUC_INTERNAL void     request_free       (Request           *req);
/* The client's address (X-Real-IP behind the trusted proxy). */
G_GNUC_INTERNAL char    *client_address     (NavetteHttpServer *self,
                                             SoupServerMessage *msg);
/* Sets the prepared answer on the message (main loop). */
G_GNUC_INTERNAL void     apply_response     (Request           *req);

/* ------------------------------------------------------------------ */
/* navette-http-routes.c                                               */

/* The route of @path (below /api/v1/), its captures set in @req. */
G_GNUC_INTERNAL const Route *match_route    (const char        *path,
                                             Request           *req);
G_GNUC_INTERNAL const Route *navette_http_routes_get (guint     *n_routes);
/* @route's entry for @method, or NULL. */
G_GNUC_INTERNAL const RouteMethod *route_method (const Route *route,
                                                 const char  *method);
/* The metrics' slot of @method (NULL: another) of @route (NULL: no
 * route), below navette_http_routes_n_slots(). */
G_GNUC_INTERNAL guint    navette_http_route_slot   (const Route       *route,
                                                    const RouteMethod *method);
G_GNUC_INTERNAL guint    navette_http_routes_n_slots (void);

/* ------------------------------------------------------------------ */
/* navette-http-handlers.c: the answers, and the handlers (workers)    */

G_GNUC_INTERNAL void respond_error          (Request           *req,
                                             NavetteApiError    code,
                                             const char        *message);
G_GNUC_INTERNAL void respond_gerror         (Request           *req,
                                             const GError      *error);
/* A light-check answer: 304 when the client has it already. */
G_GNUC_INTERNAL void respond_state          (Request           *req,
                                             const char        *body,
                                             const char        *etag);
/* Decodes the body as the route's method wants it: FALSE (answered) when
 * it cannot be. */
G_GNUC_INTERNAL gboolean decode_body        (Request           *req);

/* Helpers of the handlers (navette-http-handlers.c), shared with
 * navette-http-admin.c. */
G_GNUC_INTERNAL void respond_builder        (Request           *req,
                                             guint              status,
                                             JsonBuilder       *builder);
G_GNUC_INTERNAL void respond_error_full     (Request           *req,
                                             NavetteApiError    code,
                                             const char        *message,
                                             GHashTable        *fields);
/* The same with a "reason" (NAVETTE_API_REASON_*, NULL: none) and a
 * "count" (-1: none). */
G_GNUC_INTERNAL void respond_error_reason   (Request           *req,
                                             NavetteApiError    code,
                                             const char        *message,
                                             GHashTable        *fields,
                                             const char        *reason,
                                             gint64             count);
/* Refuses members of the body object that are not in @allowed. */
G_GNUC_INTERNAL gboolean check_fields       (Request           *req,
                                             const char * const *allowed);
G_GNUC_INTERNAL gboolean member_has_type    (JsonObject        *object,
                                             const char        *name,
                                             GType              type);
/* Answers 400 "“@field” must be @what"; FALSE. */
G_GNUC_INTERNAL gboolean wrong_type         (Request           *req,
                                             const char        *field,
                                             const char        *what);
G_GNUC_INTERNAL gboolean parse_query_int    (Request           *req,
                                             const char        *name,
                                             gint64             min,
                                             gint64             max,
                                             gint64            *value);
/* The request's Idempotency-Key and the hash of method, path and body. */
G_GNUC_INTERNAL gboolean idempotency        (Request              *req,
                                             NavetteDbIdempotency *idem,
                                             char                **hash_out);
G_GNUC_INTERNAL void add_time_or_null       (JsonBuilder       *builder,
                                             gint64             usec);
G_GNUC_INTERNAL void add_string_or_null     (JsonBuilder       *builder,
                                             const char        *member,
                                             const char        *value);
/* Adds @member only when @value is not NULL. */
G_GNUC_INTERNAL void add_string_unless_null (JsonBuilder       *builder,
                                             const char        *member,
                                             const char        *value);
G_GNUC_INTERNAL void add_version_or_null    (JsonBuilder       *builder,
                                             const char        *member,
                                             gint64             value);
/* A list answer: begin_list() answers @error when @items could not be
 * read (NULL), else opens {"@member": [; the caller adds the items, and
 * respond_list() closes the array, adds "next" when @next is not NULL
 * and answers 200. */
G_GNUC_INTERNAL JsonBuilder *begin_list     (Request           *req,
                                             const char        *member,
                                             GPtrArray         *items,
                                             const GError      *error);
G_GNUC_INTERNAL void respond_list           (Request           *req,
                                             JsonBuilder       *builder,
                                             const char        *next);
/* Optional members of the body: FALSE (answered) when there but of
 * another type; *@value set when there (a boolean as 0 or 1), else
 * left as it is. */
G_GNUC_INTERNAL gboolean optional_string    (Request           *req,
                                             JsonObject        *object,
                                             const char        *name,
                                             const char       **value);
G_GNUC_INTERNAL gboolean optional_boolean   (Request           *req,
                                             JsonObject        *object,
                                             const char        *name,
                                             int               *value);
/* An audit entry's object (GET …/audit, GET /activity). */
G_GNUC_INTERNAL void add_audit_entry        (JsonBuilder               *builder,
                                             const NavetteDbAuditEntry *entry);

G_GNUC_INTERNAL void handle_health          (Request *req);
G_GNUC_INTERNAL void handle_login           (Request *req);
G_GNUC_INTERNAL void handle_logout          (Request *req);
G_GNUC_INTERNAL void handle_me              (Request *req);
G_GNUC_INTERNAL void handle_applications    (Request *req);
G_GNUC_INTERNAL void handle_tables          (Request *req);
G_GNUC_INTERNAL void handle_app_state       (Request *req);
G_GNUC_INTERNAL void handle_audit           (Request *req);
G_GNUC_INTERNAL void handle_table_state     (Request *req);
G_GNUC_INTERNAL void handle_record_list     (Request *req);
G_GNUC_INTERNAL void handle_record_create   (Request *req);
G_GNUC_INTERNAL void handle_record_get      (Request *req);
G_GNUC_INTERNAL void handle_record_update   (Request *req);
G_GNUC_INTERNAL void handle_versions        (Request *req);
G_GNUC_INTERNAL void handle_revert          (Request *req);

/* navette-http-admin.c: /api/v1/admin/… and /api/v1/activity */
G_GNUC_INTERNAL void handle_admin_users        (Request *req);
G_GNUC_INTERNAL void handle_admin_user_add     (Request *req);
G_GNUC_INTERNAL void handle_admin_user_update  (Request *req);
G_GNUC_INTERNAL void handle_admin_apps         (Request *req);
G_GNUC_INTERNAL void handle_admin_app_add      (Request *req);
G_GNUC_INTERNAL void handle_admin_app_update   (Request *req);
G_GNUC_INTERNAL void handle_admin_table_add    (Request *req);
G_GNUC_INTERNAL void handle_admin_table_update (Request *req);
G_GNUC_INTERNAL void handle_admin_column_add   (Request *req);
G_GNUC_INTERNAL void handle_admin_column_update (Request *req);
G_GNUC_INTERNAL void handle_admin_grants       (Request *req);
G_GNUC_INTERNAL void handle_admin_grant_set    (Request *req);
G_GNUC_INTERNAL void handle_admin_grant_revoke (Request *req);
G_GNUC_INTERNAL void handle_admin_grant_versions (Request *req);
G_GNUC_INTERNAL void handle_admin_grant_revert (Request *req);
G_GNUC_INTERNAL void handle_activity           (Request *req);

/* ------------------------------------------------------------------ */
/* navette-http-auth.c (workers)                                       */

/* Who asks: FALSE (answered) when the token is missing or not valid. */
G_GNUC_INTERNAL gboolean  authenticate      (Request           *req);
/* May req->user do req->method on req->app: FALSE (answered) if not. */
G_GNUC_INTERNAL gboolean  check_access      (Request           *req);
/* The user of @db_user, with her roles read afresh. */
G_GNUC_INTERNAL AuthUser *load_user         (NavetteHttpServer  *self,
                                             NavetteDbUser      *db_user,
                                             GError            **error);

/* ------------------------------------------------------------------ */
/* navette-http-cache.c: shared by the main loop and the workers       */

G_GNUC_INTERNAL NavetteHttpCache *navette_http_cache_new (void);
G_GNUC_INTERNAL void     navette_http_cache_free          (NavetteHttpCache *cache);
/* How long a light-check answer is reused (0: never); forgets them all. */
G_GNUC_INTERNAL void     navette_http_cache_set_state_ttl (NavetteHttpCache *cache,
                                                           guint             msec);
/* "app" or "app/table" */
G_GNUC_INTERNAL char    *navette_http_cache_state_key     (const char       *app,
                                                           const char       *table);
/* The cached answer of @key into *@body and *@etag (left NULL when there
 * is none), and the caches' generation, both read at once. */
G_GNUC_INTERNAL guint64  navette_http_cache_copy_state    (NavetteHttpCache *cache,
                                                           const char       *key,
                                                           char            **body,
                                                           char            **etag);
/* Keeps an answer read at @generation, unless something was invalidated since. */
G_GNUC_INTERNAL void     navette_http_cache_store_state   (NavetteHttpCache *cache,
                                                           const char       *key,
                                                           guint64           generation,
                                                           const char       *body,
                                                           const char       *etag);
/* Forgets the answers of @app (NULL: all), a change was committed. */
G_GNUC_INTERNAL void     navette_http_cache_invalidate    (NavetteHttpCache *cache,
                                                           const char       *app);
G_GNUC_INTERNAL guint64  navette_http_cache_get_generation (NavetteHttpCache *cache);
G_GNUC_INTERNAL void     navette_http_cache_store_session (NavetteHttpCache *cache,
                                                           const char       *token_hash,
                                                           AuthUser         *user,
                                                           gint64            expires_at);
/* The user of a session cached less than NAVETTE_HTTP_SESSION_CACHE_USEC ago. */
G_GNUC_INTERNAL AuthUser *navette_http_cache_lookup_session (NavetteHttpCache *cache,
                                                             const char       *token_hash,
                                                             gint64           *expires_at);
/* A logout: forgets the session (light checks answered from it may wait). */
G_GNUC_INTERNAL void     navette_http_cache_forget_session (NavetteHttpCache *cache,
                                                            const char       *token_hash);
/* A change of @username's grants (NULL: anyone's): forgets her sessions. */
G_GNUC_INTERNAL void     navette_http_cache_forget_user   (NavetteHttpCache *cache,
                                                           const char       *username);
/* The hot path: answers the light check of @req from the caches alone
 * (session and state), on the main loop. FALSE when anything is missing. */
G_GNUC_INTERNAL gboolean navette_http_cache_answer        (NavetteHttpCache *cache,
                                                           Request          *req);
/* Forgets what is past its lifetime. */
G_GNUC_INTERNAL void     navette_http_cache_sweep         (NavetteHttpCache *cache);

/* ------------------------------------------------------------------ */
/* navette-http-events.c                                               */

G_GNUC_INTERNAL void     navette_http_events_start        (NavetteHttpServer *self);
G_GNUC_INTERNAL void     navette_http_events_stop         (NavetteHttpServer *self);
/* A change was committed through this server (a worker). */
G_GNUC_INTERNAL void     navette_http_events_changed      (NavetteHttpServer *self,
                                                           const char        *app,
                                                           const char        *table);
/* An upgrade route's message, once routed (main loop). */
G_GNUC_INTERNAL void     navette_http_events_handle       (NavetteHttpServer *self,
                                                           Request           *req);
/* After the worker authenticated (or refused) an upgrade (main loop). */
G_GNUC_INTERNAL void     navette_http_events_authenticated (Request          *req);
G_GNUC_INTERNAL void     handle_events                    (Request           *req);

/* ------------------------------------------------------------------ */
/* navette-http-log.c                                                  */

typedef struct
{
  gint64   started;
  gsize    received;
  gboolean logged;
  char    *user;       /* the access log's user name, or NULL */
  guint    slot;       /* the metrics' slot (navette_http_route_slot()) */
} RequestInfo;

G_GNUC_INTERNAL NavetteHttpLog *navette_http_log_new (void);
/* Writes out what is left and stops its thread. */
G_GNUC_INTERNAL void     navette_http_log_free            (NavetteHttpLog    *log);
/* One line for @msg, unless it was logged already. */
G_GNUC_INTERNAL void     navette_http_log_request         (NavetteHttpLog    *log,
                                                           SoupServerMessage *msg,
                                                           guint              status,
                                                           gsize              bytes);
G_GNUC_INTERNAL RequestInfo *navette_http_request_info    (SoupServerMessage *msg);
G_GNUC_INTERNAL void     navette_http_request_info_attach (SoupServerMessage *msg);
/* The user name of the access log's line for @req: who is signed in, or
 * the name given at sign-in (main loop). */
G_GNUC_INTERNAL void     navette_http_request_info_keep_user (Request       *req);

/* ------------------------------------------------------------------ */
/* navette-http-metrics.c (docs/metrics.md): counted from any thread;  */
/* every call takes NULL (metrics off: --metrics-listen not given)     */

typedef enum
{
  METRICS_WRITE_CREATE,
  METRICS_WRITE_UPDATE,
  METRICS_WRITE_REVERT,
  METRICS_N_WRITES
} MetricsWrite;

typedef enum
{
  METRICS_SIGN_IN_PASSWORD,      /* a wrong password or user name */
  METRICS_SIGN_IN_RATE_LIMITED,  /* refused by a limit (429) */
  METRICS_SIGN_IN_MALFORMED,     /* a body refused as malformed (400, 415) */
  METRICS_N_SIGN_INS
} MetricsSignIn;

typedef enum
{
  METRICS_DEADLINE_REQUEST,      /* the request's headers or body too slow */
  METRICS_DEADLINE_IDLE,         /* a kept-alive connection left idle */
  METRICS_DEADLINE_SEND,         /* an answer not taken in time */
  METRICS_N_DEADLINES
} MetricsDeadline;

G_GNUC_INTERNAL NavetteHttpMetrics *navette_http_metrics_new (void);
G_GNUC_INTERNAL void     navette_http_metrics_free        (NavetteHttpMetrics *metrics);
/* A request of the metrics' @slot answered @status after @usec. */
G_GNUC_INTERNAL void     navette_http_metrics_request     (NavetteHttpMetrics *metrics,
                                                           guint               slot,
                                                           guint               status,
                                                           gint64              usec);
/* A light check answered from the caches, or read from the database. */
G_GNUC_INTERNAL void     navette_http_metrics_light_check (NavetteHttpMetrics *metrics,
                                                           gboolean            cached);
G_GNUC_INTERNAL void     navette_http_metrics_write       (NavetteHttpMetrics *metrics,
                                                           MetricsWrite        write,
                                                           gboolean            replayed);
G_GNUC_INTERNAL void     navette_http_metrics_sign_in_failed (NavetteHttpMetrics *metrics,
                                                              MetricsSignIn       reason);
G_GNUC_INTERNAL void     navette_http_metrics_deadline    (NavetteHttpMetrics *metrics,
                                                           MetricsDeadline     phase);
/* The exposition (the Prometheus text format) of everything @self counts. */
G_GNUC_INTERNAL char    *navette_http_metrics_render      (NavetteHttpServer  *self);

/* ------------------------------------------------------------------ */
/* navette-http-connections.c (main loop)                              */

G_GNUC_INTERNAL NavetteHttpConnections *navette_http_connections_new (NavetteHttpServer *self);
G_GNUC_INTERNAL void     navette_http_connections_free    (NavetteHttpConnections *conns);
/* Called when a request starts (@busy TRUE) and ends. FALSE when the
 * connection is over the per-address cap: it was refused (429). */
G_GNUC_INTERNAL gboolean navette_http_connections_track   (NavetteHttpConnections *conns,
                                                           SoupServerMessage      *msg,
                                                           gboolean                busy);
/* The answer of @msg, @length bytes of body, is ready to be sent: the
 * send deadline starts (each piece written restarts it, through
 * navette_http_connections_deadline()). */
G_GNUC_INTERNAL void     navette_http_connections_sending (NavetteHttpConnections *conns,
                                                           SoupServerMessage      *msg,
                                                           gsize                   length);
/* Connections open now. */
G_GNUC_INTERNAL guint    navette_http_connections_count   (NavetteHttpConnections *conns);
/* (Re)starts the deadline of @msg's connection; @arm FALSE stops it. */
G_GNUC_INTERNAL void     navette_http_connections_deadline (NavetteHttpConnections *conns,
                                                            SoupServerMessage      *msg,
                                                            gboolean                arm);

/* ------------------------------------------------------------------ */
/* navette-http-body-limit.c                                           */

/* Watches @msg's body against the limit, from its headers on. */
G_GNUC_INTERNAL void     navette_http_body_limit_watch    (NavetteHttpServer *self,
                                                           SoupServerMessage *msg);

G_END_DECLS
