/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-handlers.c — the v1 HTTP API's handlers and their
 * answers (docs/api.md).
 *
 * A handler runs on a worker of the pool (navette-http-server.c); it gets
 * a Request authenticated and authorized as its route asks (the route
 * table: navette-http-routes.c), with its body decoded, talks to the
 * NavetteDb and prepares the answer in the Request, which the main loop
 * then sends. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "navette-auth.h"
#include "navette-http-private.h"
#include "navette-password.h"

#define UNAVAILABLE_RETRY_AFTER        "2"
#define AUDIT_DEFAULT_LIMIT            100
#define AUDIT_MAX_LIMIT                1000

/* ------------------------------------------------------------------ */
/* Answers                                                             */

static void
respond_json (Request  *req,
              guint     status,
              JsonNode *root)
{
  g_free (req->response);
  req->status = status;
  req->response = navette_json_to_string (root, &req->response_len);
}

void
respond_builder (Request     *req,
                 guint        status,
                 JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  respond_json (req, status, root);
}

JsonBuilder *
begin_list (Request      *req,
            const char   *member,
            GPtrArray    *items,
            const GError *error)
{
  JsonBuilder *builder;

  if (items == NULL)
    {
      respond_gerror (req, error);
      return NULL;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  return builder;
}

void
respond_list (Request     *req,
              JsonBuilder *builder,
              const char  *next)
{
  json_builder_end_array (builder);
  add_string_unless_null (builder, "next", next);
  json_builder_end_object (builder);
  respond_builder (req, SOUP_STATUS_OK, builder);
}

static void
respond_string (Request *req,
                guint    status,
                GString *text)
{
  g_free (req->response);
  req->status = status;
  req->response_len = text->len;
  req->response = g_string_free (text, FALSE);
}

static void
append_time_or_null (GString *out,
                     gint64   usec)
{
  if (usec > 0)
    {
      g_autofree char *text = navette_time_format (usec);
      navette_json_append_string (out, text);
    }
  else
    g_string_append (out, "null");
}

void
respond_error_full (Request         *req,
                    NavetteApiError  code,
                    const char      *message,
                    GHashTable      *fields)
{
  respond_error_reason (req, code, message, fields, NULL, -1);
}

void
respond_error_reason (Request         *req,
                      NavetteApiError  code,
                      const char      *message,
                      GHashTable      *fields,
                      const char      *reason,
                      gint64           count)
{
  g_free (req->response);
  req->status = navette_api_error_status (code);
  req->response = navette_wire_error_to_json_full (code, message, fields, reason, count);
  req->response_len = strlen (req->response);
  if (code == NAVETTE_API_ERROR_UNAVAILABLE && req->retry_after == NULL)
    req->retry_after = g_strdup (UNAVAILABLE_RETRY_AFTER);
  if (code == NAVETTE_API_ERROR_METHOD_NOT_ALLOWED && req->route != NULL)
    req->allow = req->route->allow;
}

void
respond_error (Request         *req,
               NavetteApiError  code,
               const char      *message)
{
  respond_error_full (req, code, message, NULL);
}

/* Maps a storage (or any) error to its answer; never leaks internals. */
void
respond_gerror (Request      *req,
                const GError *error)
{
  if (error == NULL)
    {
      g_printerr ("navette-server: %s %s failed without an error\n",
                  req->method->method, req->path);
      respond_error (req, NAVETTE_API_ERROR_INTERNAL, "An internal error occurred");
      return;
    }
  if (error->domain != NAVETTE_API_ERROR || error->code == NAVETTE_API_ERROR_INTERNAL ||
      error->code < 0 || error->code > NAVETTE_API_ERROR_UNAVAILABLE)
    {
      g_printerr ("navette-server: %s %s: %s\n", req->method->method, req->path, error->message);
      respond_error (req, NAVETTE_API_ERROR_INTERNAL, "An internal error occurred");
      return;
    }
  respond_error_reason (req, (NavetteApiError) error->code, error->message, NULL,
                        navette_api_error_get_reason (error), navette_api_error_get_count (error));
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

gboolean
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

  req->json = navette_json_parse_request (len > 0 ? g_bytes_get_data (req->body, NULL) : NULL, len, &error);
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
/* Request field helpers                                               */

static const char * const read_only_fields[] = {
  "version", "revision", "updated_by", "updated_at", "obsolete", "superseded", "created_at",
};

/* Refuses members of the body object that are not in @allowed. */
gboolean
check_fields (Request           *req,
              const char * const *allowed)
{
  JsonObject *object = json_node_get_object (req->json);
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *message = NULL;

      if (g_strv_contains (allowed, l->data))
        continue;
      if (g_strv_contains ((const char * const *) read_only_fields, l->data) ||
          (g_str_equal (l->data, "id") && req->id != NULL))
        message = g_strdup_printf ("“%s” is read-only", (const char *) l->data);
      else
        message = g_strdup_printf ("“%s” is not a field of this request", (const char *) l->data);
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, message);
      return FALSE;
    }
  return TRUE;
}

gboolean
member_has_type (JsonObject *object,
                 const char *name,
                 GType       type)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

gboolean
wrong_type (Request    *req,
            const char *field,
            const char *what)
{
  g_autofree char *message = g_strdup_printf ("“%s” must be %s", field, what);

  respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, message);
  return FALSE;
}

/* Whether @name is in @object with @type: FALSE (answered "must be
 * @what") when it is there with another. */
static gboolean
check_optional (Request    *req,
                JsonObject *object,
                const char *name,
                GType       type,
                const char *what)
{
  return !json_object_has_member (object, name) || member_has_type (object, name, type) ||
         wrong_type (req, name, what);
}

gboolean
optional_string (Request     *req,
                 JsonObject  *object,
                 const char  *name,
                 const char **value)
{
  if (!check_optional (req, object, name, G_TYPE_STRING, "a string"))
    return FALSE;
  if (json_object_has_member (object, name))
    *value = json_object_get_string_member (object, name);
  return TRUE;
}

gboolean
optional_boolean (Request    *req,
                  JsonObject *object,
                  const char *name,
                  int        *value)
{
  if (!check_optional (req, object, name, G_TYPE_BOOLEAN, "a boolean"))
    return FALSE;
  if (json_object_has_member (object, name))
    *value = json_object_get_boolean_member (object, name) ? 1 : 0;
  return TRUE;
}

gboolean
parse_query_int (Request    *req,
                 const char *name,
                 gint64      min,
                 gint64      max,
                 gint64     *value)
{
  const char *text = req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
  guint64 parsed;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, (guint64) MAX (min, 0), (guint64) max, &parsed, NULL))
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be an integer between %" G_GINT64_FORMAT
                                                  " and %" G_GINT64_FORMAT, name, min, max);
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, message);
      return FALSE;
    }
  *value = (gint64) parsed;
  return TRUE;
}

gboolean
idempotency (Request              *req,
             NavetteDbIdempotency *idem,
             char                **hash_out)
{
  g_autoptr(GChecksum) checksum = NULL;

  idem->key = NULL;
  idem->request_hash = NULL;
  *hash_out = NULL;
  if (!req->has_idempotency_key)
    return TRUE;
  if (!navette_uuid_is_valid (req->idempotency_key))
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, "“Idempotency-Key” must be a lowercase UUID");
      return FALSE;
    }
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) req->method->method, -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) req->path, -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  if (req->body != NULL)
    g_checksum_update (checksum, g_bytes_get_data (req->body, NULL), g_bytes_get_size (req->body));
  *hash_out = g_strdup (g_checksum_get_string (checksum));
  idem->key = req->idempotency_key;
  idem->request_hash = *hash_out;
  return TRUE;
}

static NavetteWireTable *
find_table (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tables = navette_db_table_list (req->self->db, req->app, &error);

  if (tables == NULL)
    {
      respond_gerror (req, error);
      return NULL;
    }
  for (guint i = 0; i < tables->len; i++)
    {
      NavetteWireTable *table = g_ptr_array_index (tables, i);

      if (g_str_equal (table->name, req->table))
        return g_ptr_array_steal_index (tables, i);
    }
  respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such table");
  return NULL;
}

void
add_time_or_null (JsonBuilder *builder,
                  gint64       usec)
{
  if (usec > 0)
    {
      g_autofree char *text = navette_time_format (usec);
      json_builder_add_string_value (builder, text);
    }
  else
    json_builder_add_null_value (builder);
}

static void
respond_record (Request              *req,
                guint                 status,
                NavetteDbWriteResult *result)
{
  GString *out = g_string_sized_new (256);

  navette_wire_record_append_json (result->record, out, FALSE);
  if (result->superseded != NULL && result->superseded->len > 0)
    {
      /* reopen the object for "superseded" */
      g_string_truncate (out, out->len - 1);
      g_string_append (out, ",\"superseded\":[");
      for (guint i = 0; i < result->superseded->len; i++)
        g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                                g_array_index (result->superseded, gint64, i));
      g_string_append (out, "]}");
    }
  respond_string (req, status, out);
}

/* ------------------------------------------------------------------ */
/* Handlers (workers)                                                  */

void
handle_health (Request *req)
{
  g_autoptr(GError) error = NULL;

  if (navette_db_ping (req->self->db, &error))
    {
      req->status = SOUP_STATUS_OK;
      req->response = g_strdup ("{\"status\":\"ok\"}");
    }
  else
    {
      g_printerr ("navette-server: health check failed: %s\n", error != NULL ? error->message : "?");
      req->status = SOUP_STATUS_SERVICE_UNAVAILABLE;
      req->response = g_strdup ("{\"status\":\"unavailable\"}");
      req->retry_after = g_strdup (UNAVAILABLE_RETRY_AFTER);
    }
  req->response_len = strlen (req->response);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The <me> object; admins are editors of every application. */
static gboolean
build_me (Request     *req,
          AuthUser    *user,
          JsonBuilder *builder)
{
  g_autoptr(GPtrArray) readers = g_ptr_array_new ();
  g_autoptr(GPtrArray) editors = g_ptr_array_new ();
  g_autoptr(GPtrArray) apps = NULL;

  if (user->admin)
    {
      g_autoptr(GError) error = NULL;

      apps = navette_db_app_list (req->self->db, &error);
      if (apps == NULL)
        {
          respond_gerror (req, error);
          return FALSE;
        }
      for (guint i = 0; i < apps->len; i++)
        g_ptr_array_add (editors, ((NavetteDbApp *) g_ptr_array_index (apps, i))->name);
    }
  else
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, user->roles);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_ptr_array_add (g_str_equal (value, "editor") ? editors : readers, key);
    }
  g_ptr_array_sort (readers, compare_strings);
  g_ptr_array_sort (editors, compare_strings);

  json_builder_begin_object (builder);
  navette_wire_user_add_members (builder, user->username, user->display_name, user->admin);
  json_builder_set_member_name (builder, "roles");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reader");
  json_builder_begin_array (builder);
  for (guint i = 0; i < readers->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (readers, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "editor");
  json_builder_begin_array (builder);
  for (guint i = 0; i < editors->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (editors, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return TRUE;
}

/* Checks @password against @username's: the user in *@db_user when it is
 * right. An unknown user costs the same work as a known one, so timing
 * does not tell. NOT_CHECKED, with @error, when the database fails. */
static NavetteSignInOutcome
check_password (NavetteHttpServer  *self,
                const char         *username,
                const char         *password,
                NavetteDbUser     **db_user,
                GError            **error)
{
  g_autoptr(GError) local_error = NULL;

  *db_user = navette_db_user_get (self->db, username, &local_error);
  if (*db_user == NULL)
    {
      if (!g_error_matches (local_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NAVETTE_SIGN_IN_NOT_CHECKED;
        }
      navette_password_verify (navette_password_dummy_hash (), password);
      return NAVETTE_SIGN_IN_FAILED;
    }
  /* a disabled user gets the answer of a wrong password */
  if (!navette_password_verify ((*db_user)->password_hash, password) || (*db_user)->disabled)
    {
      g_clear_pointer (db_user, navette_db_user_free);
      return NAVETTE_SIGN_IN_FAILED;
    }
  return NAVETTE_SIGN_IN_SUCCEEDED;
}

void
handle_login (Request *req)
{
  static const char * const allowed[] = { "username", "password", NULL };
  NavetteHttpServer *self = req->self;
  JsonObject *object = json_node_get_object (req->json);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) db_user = NULL;
  g_autoptr(AuthUser) user = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *expires_text = NULL;
  const char *username;
  const char *password;
  const char *address = req->address != NULL ? req->address : "unknown";
  NavetteSignInOutcome outcome;
  gint64 expires_at;
  guint retry = 0;

  if (!check_fields (req, allowed))
    return;
  if (!member_has_type (object, "username", G_TYPE_STRING))
    return (void) wrong_type (req, "username", "a string");
  if (!member_has_type (object, "password", G_TYPE_STRING))
    return (void) wrong_type (req, "password", "a string");
  username = json_object_get_string_member (object, "username");
  password = json_object_get_string_member (object, "password");
  req->log_user = g_strdup (username);

  /* the limits checked and the check counted in one step */
  if (!navette_sign_in_limit_begin (self->sign_in, username, address, g_get_monotonic_time (), &retry))
    {
      req->retry_after = g_strdup_printf ("%u", retry);
      respond_error (req, NAVETTE_API_ERROR_RATE_LIMITED, "Too many failed sign-ins; try again later");
      navette_http_metrics_sign_in_failed (self->metrics, METRICS_SIGN_IN_RATE_LIMITED);
      return;
    }
  outcome = check_password (self, username, password, &db_user, &error);
  navette_sign_in_limit_end (self->sign_in, username, address, outcome, g_get_monotonic_time ());
  if (outcome == NAVETTE_SIGN_IN_NOT_CHECKED)
    {
      respond_gerror (req, error);
      return;
    }
  if (outcome == NAVETTE_SIGN_IN_FAILED)
    {
      respond_error (req, NAVETTE_API_ERROR_AUTH_REQUIRED, "Wrong username or password");
      navette_http_metrics_sign_in_failed (self->metrics, METRICS_SIGN_IN_PASSWORD);
      return;
    }

  token = navette_auth_token_new (&hash);
  expires_at = navette_time_now () + self->token_lifetime * G_USEC_PER_SEC;
  if (!navette_db_session_create (self->db, db_user->username, hash, expires_at, &error))
    {
      respond_gerror (req, error);
      return;
    }
  user = load_user (self, db_user, &error);
  if (user == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  navette_http_cache_store_session (self->cache, hash, user, expires_at);

  builder = json_builder_new ();
  expires_text = navette_time_format (expires_at);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_string_value (builder, expires_text);
  json_builder_set_member_name (builder, "user");
  if (!build_me (req, user, builder))
    return;
  json_builder_end_object (builder);
  respond_builder (req, SOUP_STATUS_CREATED, builder);
}

void
handle_logout (Request *req)
{
  NavetteHttpServer *self = req->self;
  g_autofree char *hash = navette_auth_token_hash (req->token);
  g_autoptr(GError) error = NULL;

  if (!navette_db_session_revoke (self->db, hash, &error))
    {
      respond_gerror (req, error);
      return;
    }
  navette_http_cache_forget_session (self->cache, hash);
  req->status = SOUP_STATUS_NO_CONTENT;
}

/* A strong ETag made of the first 64 bits of the SHA-256 of @text. */
static char *
digest_etag (const char *text)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);

  return g_strdup_printf ("\"%.16s\"", digest);
}

/* Read afresh (the session and roles of every request but the light
 * checks are), so a grant or a revocation shows at the next poll; its
 * ETag is the digest of the answer, which moves exactly when it does,
 * and If-None-Match gets a 304. */
void
handle_me (Request *req)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;

  if (!build_me (req, req->user, builder))
    return;
  root = json_builder_get_root (builder);
  body = navette_json_to_string (root, NULL);
  etag = digest_etag (body);
  respond_state (req, body, etag);
}

void
handle_applications (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) apps = navette_db_app_list (req->self->db, &error);
  g_autoptr(JsonBuilder) builder = begin_list (req, "applications", apps, error);

  if (builder == NULL)
    return;
  for (guint i = 0; i < apps->len; i++)
    {
      NavetteDbApp *app = g_ptr_array_index (apps, i);
      const char *role = req->user->admin ? "editor" : g_hash_table_lookup (req->user->roles, app->name);

      if (role == NULL)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, app->name);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, app->title != NULL ? app->title : app->name);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, role);
      json_builder_end_object (builder);
    }
  respond_list (req, builder, NULL);
}

void
handle_tables (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tables = navette_db_table_list (req->self->db, req->app, &error);
  g_autoptr(JsonBuilder) builder = begin_list (req, "tables", tables, error);

  if (builder == NULL)
    return;
  for (guint i = 0; i < tables->len; i++)
    navette_wire_table_to_json (g_ptr_array_index (tables, i), builder);
  respond_list (req, builder, NULL);
}

/* TRUE when @if_none_match (a header value) names @etag, or is "*". */
static gboolean
etag_matches (const char *if_none_match,
              const char *etag)
{
  g_auto(GStrv) parts = NULL;

  if (if_none_match == NULL || etag == NULL)
    return FALSE;
  if (g_str_equal (if_none_match, etag))
    return TRUE;
  parts = g_strsplit (if_none_match, ",", 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *candidate = g_strstrip (parts[i]);

      if (g_str_has_prefix (candidate, "W/"))
        candidate += 2;
      if (g_str_equal (candidate, "*") || g_str_equal (candidate, etag))
        return TRUE;
    }
  return FALSE;
}

/* Sets a light-check answer: 304 when the client has it already. */
void
respond_state (Request    *req,
               const char *body,
               const char *etag)
{
  g_free (req->etag);
  req->etag = g_strdup (etag);
  g_clear_pointer (&req->response, g_free);
  req->response_len = 0;
  if (etag_matches (req->if_none_match, etag))
    {
      req->status = SOUP_STATUS_NOT_MODIFIED;
      return;
    }
  req->status = SOUP_STATUS_OK;
  req->response = g_strdup (body);
  req->response_len = strlen (body);
}

/* Reads a light check's answer: writes its members into the object
 * @builder has open and sets its ETag, or FALSE (answered). */
typedef gboolean (*ReadState) (Request      *req,
                               JsonBuilder  *builder,
                               char        **etag);

/* A light check: answered from the cache when the request was synced
 * (req->synced: a cached answer is stale when a write committed elsewhere
 * has not been seen yet), else read with @read and kept for the next ones
 * (unless something changed meanwhile). */
static void
answer_state (Request   *req,
              ReadState  read)
{
  g_autofree char *key = navette_http_cache_state_key (req->app, req->table);
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;
  guint64 generation = req->synced
    ? navette_http_cache_copy_state (req->self->cache, key, &body, &etag)
    : navette_http_cache_get_generation (req->self->cache);

  navette_http_metrics_light_check (req->self->metrics, body != NULL);
  if (body == NULL)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      if (!read (req, builder, &etag))
        return;
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      body = navette_json_to_string (root, NULL);
      navette_http_cache_store_state (req->self->cache, key, generation, body, etag);
    }
  respond_state (req, body, etag);
}

/* A table's "last_update" and "revision", into the object @builder has
 * open: the table state, alone or as one of its application's. */
static void
add_state_members (JsonBuilder               *builder,
                   const NavetteDbTableState *state)
{
  json_builder_set_member_name (builder, "last_update");
  add_time_or_null (builder, state->last_update);
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, state->revision);
}

static gboolean
read_table_state (Request      *req,
                  JsonBuilder  *builder,
                  char        **etag)
{
  g_autoptr(GError) error = NULL;
  NavetteDbTableState state = { 0, };

  if (!navette_db_table_state (req->self->db, req->app, req->table, &state, &error))
    {
      respond_gerror (req, error);
      return FALSE;
    }
  g_free (state.table);
  json_builder_set_member_name (builder, "table");
  json_builder_add_string_value (builder, req->table);
  add_state_members (builder, &state);
  *etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", state.revision);
  return TRUE;
}

void
handle_table_state (Request *req)
{
  answer_state (req, read_table_state);
}

static int
compare_states (gconstpointer a,
                gconstpointer b)
{
  const NavetteDbTableState *sa = *(NavetteDbTableState * const *) a;
  const NavetteDbTableState *sb = *(NavetteDbTableState * const *) b;

  return g_strcmp0 (sa->table, sb->table);
}

static gboolean
read_app_state (Request      *req,
                JsonBuilder  *builder,
                char        **etag)
{
  g_autoptr(GError) error = NULL;
  gint64 schema_revision = 0;
  g_autoptr(GPtrArray) states = navette_db_app_state (req->self->db, req->app, &schema_revision, &error);
  g_autoptr(GChecksum) checksum = NULL;
  g_autofree char *schema = NULL;

  if (states == NULL)
    {
      respond_gerror (req, error);
      return FALSE;
    }
  g_ptr_array_sort (states, compare_states);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  schema = g_strdup_printf ("schema=%" G_GINT64_FORMAT ";", schema_revision);
  g_checksum_update (checksum, (const guchar *) schema, -1);
  json_builder_set_member_name (builder, "schema_revision");
  json_builder_add_int_value (builder, schema_revision);
  json_builder_set_member_name (builder, "tables");
  json_builder_begin_object (builder);
  for (guint i = 0; i < states->len; i++)
    {
      NavetteDbTableState *state = g_ptr_array_index (states, i);
      g_autofree char *part = g_strdup_printf ("%s=%" G_GINT64_FORMAT ";", state->table, state->revision);

      g_checksum_update (checksum, (const guchar *) part, -1);
      json_builder_set_member_name (builder, state->table);
      json_builder_begin_object (builder);
      add_state_members (builder, state);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  /* 64 bits of a hash of the schema's revision and every (table,
   * revision): changes whenever any revision changes, or a table or a
   * column is added, changed or archived. */
  *etag = g_strdup_printf ("\"%.16s\"", g_checksum_get_string (checksum));
  return TRUE;
}

void
handle_app_state (Request *req)
{
  answer_state (req, read_app_state);
}

/* The page a list request asks for: `limit` (the server's page size
 * when absent; more than its largest page is served as the largest) and
 * `after`. FALSE (answered) when they are not valid. */
static gboolean
parse_page (Request       *req,
            NavetteDbPage *page)
{
  const char *text = req->query != NULL ? g_hash_table_lookup (req->query, "limit") : NULL;
  guint64 limit = req->self->page_size;

  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &limit, NULL))
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, "“limit” must be a positive integer");
      return FALSE;
    }
  page->limit = (guint) MIN (limit, (guint64) req->self->max_page_size);
  page->after = req->query != NULL ? g_hash_table_lookup (req->query, "after") : NULL;
  return TRUE;
}

static void
append_next (GString    *out,
             const char *next)
{
  if (next == NULL)
    return;
  g_string_append (out, ",\"next\":");
  navette_json_append_string (out, next);
}

void
handle_record_list (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) records = NULL;
  g_autofree char *next = NULL;
  NavetteDbTableState state = { 0, };
  NavetteDbPage page = { .since = -1 };
  GString *out;

  if (!parse_query_int (req, "since", 0, G_MAXINT64, &page.since) || !parse_page (req, &page))
    return;
  /* The records array is written by the storage core straight from the
   * rows (no record objects); the envelope, which needs the walk's
   * revision read with the page, goes in front of it afterwards. */
  records = g_string_sized_new (MIN (page.limit, 4096) * 256);
  if (!navette_db_record_page_json (req->self->db, req->app, req->table, &page, &state,
                                    records, &next, &error))
    {
      respond_gerror (req, error);
      return;
    }
  g_free (state.table);

  out = g_string_sized_new (128);
  g_string_append (out, "{\"table\":");
  navette_json_append_string (out, req->table);
  g_string_append_printf (out, ",\"revision\":%" G_GINT64_FORMAT ",\"last_update\":", state.revision);
  append_time_or_null (out, state.last_update);
  g_string_append (out, ",\"records\":");
  g_string_prepend_len (records, out->str, out->len);
  g_string_free (out, TRUE);
  append_next (records, next);
  g_string_append_c (records, '}');
  respond_string (req, SOUP_STATUS_OK, g_steal_pointer (&records));
}

void
handle_record_get (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) record = navette_db_record_get (req->self->db, req->app, req->table,
                                                               req->id, &error);
  GString *out;

  if (record == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  out = g_string_sized_new (256);
  navette_wire_record_append_json (record, out, FALSE);
  respond_string (req, SOUP_STATUS_OK, out);
}

void
handle_versions (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autofree char *next = NULL;
  NavetteDbPage page = { .since = -1 };
  GString *out;

  if (!parse_page (req, &page))
    return;
  versions = navette_db_record_versions_page (req->self->db, req->app, req->table, req->id,
                                              page.limit, page.after, &next, &error);
  if (versions == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  out = g_string_sized_new (64 + versions->len * 256);
  g_string_append (out, "{\"versions\":[");
  for (guint i = 0; i < versions->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      navette_wire_record_append_json (g_ptr_array_index (versions, i), out, TRUE);
    }
  g_string_append_c (out, ']');
  append_next (out, next);
  g_string_append_c (out, '}');
  respond_string (req, SOUP_STATUS_OK, out);
}

static void
respond_write (Request              *req,
               MetricsWrite          write,
               NavetteDbWriteResult *result,
               GError               *error)
{
  if (result == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  navette_http_metrics_write (req->self->metrics, write, result->replayed);
  if (!result->replayed)
    navette_http_events_changed (req->self, req->app, req->table);
  respond_record (req, result->created ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, result);
}

void
handle_record_create (Request *req)
{
  static const char * const allowed[] = { "id", "data", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_autoptr(NavetteWireTable) table = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autofree char *hash = NULL;
  NavetteDbIdempotency idem;
  const char *id = NULL;
  JsonNode *data;

  if (!check_fields (req, allowed))
    return;
  if (json_object_has_member (object, "id"))
    {
      if (!member_has_type (object, "id", G_TYPE_STRING) ||
          !navette_uuid_is_valid (json_object_get_string_member (object, "id")))
        return (void) wrong_type (req, "id", "a lowercase UUID");
      id = json_object_get_string_member (object, "id");
    }
  data = json_object_get_member (object, "data");
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
    return (void) wrong_type (req, "data", "an object");
  if (!idempotency (req, &idem, &hash))
    return;
  if (!(table = find_table (req)))
    return;
  if (!navette_wire_validate_data (table, json_node_get_object (data), TRUE, &fields))
    {
      respond_error_full (req, NAVETTE_API_ERROR_VALIDATION_FAILED,
                          "The data does not fit the table", fields);
      return;
    }
  result = navette_db_record_create (req->self->db, req->app, req->table, id,
                                     json_node_get_object (data), req->user->username,
                                     &idem, &error);
  respond_write (req, METRICS_WRITE_CREATE, result, error);
}

typedef struct
{
  NavetteWireTable *table;
  GHashTable       *fields;
} MergedCheck;

static gboolean
validate_merged (JsonObject  *merged,
                 gpointer     user_data,
                 GError     **error)
{
  MergedCheck *check = user_data;

  if (navette_wire_validate_data (check->table, merged, TRUE, &check->fields))
    return TRUE;
  g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_VALIDATION_FAILED,
                       "The data does not fit the table");
  return FALSE;
}

void
handle_record_update (Request *req)
{
  static const char * const allowed[] = { "base_version", "data", "archived", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_autoptr(NavetteWireTable) table = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autofree char *hash = NULL;
  NavetteDbIdempotency idem;
  MergedCheck check = { NULL, NULL };
  JsonObject *data = NULL;
  JsonNode *node;
  gint64 base_version;
  int archived = -1;

  if (!check_fields (req, allowed))
    return;
  if (!member_has_type (object, "base_version", G_TYPE_INT64) ||
      json_object_get_int_member (object, "base_version") < 1)
    return (void) wrong_type (req, "base_version", "a positive integer (the version you edited)");
  base_version = json_object_get_int_member (object, "base_version");
  node = json_object_get_member (object, "data");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return (void) wrong_type (req, "data", "an object");
      data = json_node_get_object (node);
    }
  if (json_object_has_member (object, "archived"))
    {
      if (!member_has_type (object, "archived", G_TYPE_BOOLEAN))
        return (void) wrong_type (req, "archived", "a boolean");
      archived = json_object_get_boolean_member (object, "archived") ? 1 : 0;
    }
  if (data == NULL && archived < 0)
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, "Give “data”, “archived” or both");
      return;
    }
  if (!idempotency (req, &idem, &hash))
    return;
  if (!(table = find_table (req)))
    return;
  if (data != NULL && !navette_wire_validate_data (table, data, FALSE, &fields))
    {
      respond_error_full (req, NAVETTE_API_ERROR_VALIDATION_FAILED,
                          "The data does not fit the table", fields);
      return;
    }

  check.table = table;
  result = navette_db_record_update (req->self->db, req->app, req->table, req->id, base_version,
                                     data, archived, req->user->username, &idem,
                                     validate_merged, &check, &error);
  if (result == NULL && check.fields != NULL)
    {
      respond_error_full (req, NAVETTE_API_ERROR_VALIDATION_FAILED,
                          "The data does not fit the table", check.fields);
      g_hash_table_unref (check.fields);
      return;
    }
  g_clear_pointer (&check.fields, g_hash_table_unref);
  respond_write (req, METRICS_WRITE_UPDATE, result, error);
}

void
handle_revert (Request *req)
{
  static const char * const allowed[] = { "version", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autofree char *hash = NULL;
  NavetteDbIdempotency idem;

  /* "version" is the one field a revert takes, so it is not read-only here. */
  if (!check_fields (req, allowed))
    return;
  if (!member_has_type (object, "version", G_TYPE_INT64) ||
      json_object_get_int_member (object, "version") < 1)
    return (void) wrong_type (req, "version", "a positive integer");
  if (!idempotency (req, &idem, &hash))
    return;
  result = navette_db_record_revert (req->self->db, req->app, req->table, req->id,
                                     json_object_get_int_member (object, "version"),
                                     req->user->username, &idem, &fields, &error);
  if (result == NULL && fields != NULL)
    {
      /* the same answer as an update's whose data does not fit */
      respond_error_full (req, NAVETTE_API_ERROR_VALIDATION_FAILED,
                          "The data does not fit the table", fields);
      return;
    }
  respond_write (req, METRICS_WRITE_REVERT, result, error);
}

void
add_string_or_null (JsonBuilder *builder,
                    const char  *member,
                    const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
add_string_unless_null (JsonBuilder *builder,
                        const char  *member,
                        const char  *value)
{
  if (value != NULL)
    add_string_or_null (builder, member, value);
}

void
add_version_or_null (JsonBuilder *builder,
                     const char  *member,
                     gint64       value)
{
  json_builder_set_member_name (builder, member);
  if (value > 0)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
add_audit_entry (JsonBuilder               *builder,
                 const NavetteDbAuditEntry *entry)
{
  g_autofree char *at = navette_time_format (entry->at);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, entry->id);
  json_builder_set_member_name (builder, "at");
  json_builder_add_string_value (builder, at);
  add_string_or_null (builder, "user", entry->user);
  add_string_or_null (builder, "action", entry->action);
  add_string_or_null (builder, "app", entry->app);
  add_string_or_null (builder, "table", entry->table);
  add_string_or_null (builder, "record", entry->record);
  add_version_or_null (builder, "from_version", entry->from_version);
  add_version_or_null (builder, "to_version", entry->to_version);
  add_string_unless_null (builder, "detail", entry->detail);
  json_builder_end_object (builder);
}

void
handle_audit (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  gint64 after = 0;
  gint64 limit = AUDIT_DEFAULT_LIMIT;

  if (!parse_query_int (req, "after", 0, G_MAXINT64, &after) ||
      !parse_query_int (req, "limit", 1, AUDIT_MAX_LIMIT, &limit))
    return;
  if (limit < 1)
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, "“limit” must be an integer between 1 and 1000");
      return;
    }
  if (req->user->admin)
    {
      /* an admin has no grant that proves the application exists */
      g_autoptr(GPtrArray) apps = navette_db_app_list (req->self->db, &error);
      gboolean found = FALSE;

      if (apps == NULL)
        {
          respond_gerror (req, error);
          return;
        }
      for (guint i = 0; i < apps->len && !found; i++)
        found = g_str_equal (((NavetteDbApp *) g_ptr_array_index (apps, i))->name, req->app);
      if (!found)
        {
          respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such application");
          return;
        }
    }
  entries = navette_db_audit_list (req->self->db, req->app, after, (guint) limit, &error);
  builder = begin_list (req, "entries", entries, error);
  if (builder == NULL)
    return;
  for (guint i = 0; i < entries->len; i++)
    add_audit_entry (builder, g_ptr_array_index (entries, i));
  respond_list (req, builder, NULL);
}
