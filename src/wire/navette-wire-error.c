/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-error.c — API error codes and the error body. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include "navette-wire.h"

typedef struct
{
  const char *reason; /* static, or NULL */
  gint64      count;  /* -1: none */
} NavetteApiErrorPrivate;

static void
navette_api_error_private_init (NavetteApiErrorPrivate *priv)
{
  priv->reason = NULL;
  priv->count = -1;
}

static void
navette_api_error_private_copy (const NavetteApiErrorPrivate *src,
                                NavetteApiErrorPrivate       *dest)
{
  dest->reason = src->reason;
  dest->count = src->count;
}

static void
navette_api_error_private_clear (NavetteApiErrorPrivate *priv)
{
  priv->reason = NULL;
}

G_DEFINE_EXTENDED_ERROR (NavetteApiError, navette_api_error)

void
navette_api_error_set_reason (GError     *error,
                              const char *reason)
{
  NavetteApiErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == NAVETTE_API_ERROR);

  priv = navette_api_error_get_private (error);
  if (priv != NULL)
    priv->reason = reason;
}

const char *
navette_api_error_get_reason (const GError *error)
{
  NavetteApiErrorPrivate *priv;

  if (error == NULL || error->domain != NAVETTE_API_ERROR)
    return NULL;
  priv = navette_api_error_get_private (error);
  return priv != NULL ? priv->reason : NULL;
}

void
navette_api_error_set_count (GError *error,
                             gint64  count)
{
  NavetteApiErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == NAVETTE_API_ERROR);

  priv = navette_api_error_get_private (error);
  if (priv != NULL)
    priv->count = count;
}

gint64
navette_api_error_get_count (const GError *error)
{
  NavetteApiErrorPrivate *priv;

  if (error == NULL || error->domain != NAVETTE_API_ERROR)
    return -1;
  priv = navette_api_error_get_private (error);
  return priv != NULL ? priv->count : -1;
}

void
navette_api_set_error_reason (GError         **error,
                              NavetteApiError  code,
                              const char      *reason,
                              const char      *format,
                              ...)
{
  GError *new_error;
  va_list args;

  if (error == NULL)
    return;
  va_start (args, format);
  new_error = g_error_new_valist (NAVETTE_API_ERROR, code, format, args);
  va_end (args);
  navette_api_error_set_reason (new_error, reason);
  g_propagate_error (error, new_error);
}

typedef struct
{
  guint       status;
  const char *code;
} ErrorInfo;

static const ErrorInfo error_info[] = {
  [NAVETTE_API_ERROR_BAD_REQUEST]            = { 400, "bad_request" },
  [NAVETTE_API_ERROR_AUTH_REQUIRED]          = { 401, "auth_required" },
  [NAVETTE_API_ERROR_AUTH_EXPIRED]           = { 401, "auth_expired" },
  [NAVETTE_API_ERROR_FORBIDDEN]              = { 403, "forbidden" },
  [NAVETTE_API_ERROR_NOT_FOUND]              = { 404, "not_found" },
  [NAVETTE_API_ERROR_METHOD_NOT_ALLOWED]     = { 405, "method_not_allowed" },
  [NAVETTE_API_ERROR_CONFLICT]               = { 409, "conflict" },
  [NAVETTE_API_ERROR_PAYLOAD_TOO_LARGE]      = { 413, "payload_too_large" },
  [NAVETTE_API_ERROR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type" },
  [NAVETTE_API_ERROR_VALIDATION_FAILED]      = { 422, "validation_failed" },
  [NAVETTE_API_ERROR_RATE_LIMITED]           = { 429, "rate_limited" },
  [NAVETTE_API_ERROR_INTERNAL]               = { 500, "internal" },
  [NAVETTE_API_ERROR_UNAVAILABLE]            = { 503, "unavailable" },
};

guint
navette_api_error_status (NavetteApiError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_info))
    return 500;
  return error_info[code].status;
}

const char *
navette_api_error_code_string (NavetteApiError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_info))
    return "internal";
  return error_info[code].code;
}

gboolean
navette_api_error_from_string (const char      *code,
                               NavetteApiError *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (code == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (error_info); i++)
    {
      if (g_str_equal (error_info[i].code, code))
        {
          *out = (NavetteApiError) i;
          return TRUE;
        }
    }
  return FALSE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

char *
navette_wire_error_to_json (NavetteApiError  code,
                            const char      *message,
                            GHashTable      *fields)
{
  return navette_wire_error_to_json_full (code, message, fields, NULL, -1);
}

char *
navette_wire_error_to_json_full (NavetteApiError  code,
                                 const char      *message,
                                 GHashTable      *fields,
                                 const char      *reason,
                                 gint64           count)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, navette_api_error_code_string (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message != NULL ? message : "");
  if (fields != NULL && g_hash_table_size (fields) > 0)
    {
      g_autofree gpointer *keys = NULL;
      guint n_keys = 0;

      /* Sorted, so the answer is stable. */
      keys = g_hash_table_get_keys_as_array (fields, &n_keys);
      qsort (keys, n_keys, sizeof (gpointer), compare_strings);
      json_builder_set_member_name (builder, "fields");
      json_builder_begin_object (builder);
      for (guint i = 0; i < n_keys; i++)
        {
          json_builder_set_member_name (builder, keys[i]);
          json_builder_add_string_value (builder, g_hash_table_lookup (fields, keys[i]));
        }
      json_builder_end_object (builder);
    }
  if (reason != NULL)
    {
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
    }
  if (count >= 0)
    {
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, count);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return navette_json_to_string (root, NULL);
}

gboolean
navette_wire_error_from_json (const char      *body,
                              gsize            len,
                              NavetteApiError *code,
                              char           **message,
                              GHashTable     **fields)
{
  return navette_wire_error_from_json_full (body, len, code, message, fields, NULL, NULL);
}

gboolean
navette_wire_error_from_json_full (const char      *body,
                                   gsize            len,
                                   NavetteApiError *code,
                                   char           **message,
                                   GHashTable     **fields,
                                   char           **reason,
                                   gint64          *count)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *error_object;
  JsonNode *node;
  const char *code_string;
  NavetteApiError parsed_code;

  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (fields != NULL)
    *fields = NULL;
  if (reason != NULL)
    *reason = NULL;
  if (count != NULL)
    *count = -1;
  if (body == NULL)
    return FALSE;

  root = navette_json_parse_strict (body, len, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  node = json_object_get_member (object, "error");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  error_object = json_node_get_object (node);

  node = json_object_get_member (error_object, "code");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  code_string = json_node_get_string (node);
  if (!navette_api_error_from_string (code_string, &parsed_code))
    return FALSE;

  node = json_object_get_member (error_object, "message");
  if (node != NULL && (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING))
    return FALSE;

  if (fields != NULL)
    {
      JsonNode *fields_node = json_object_get_member (error_object, "fields");

      if (fields_node != NULL && JSON_NODE_HOLDS_OBJECT (fields_node))
        {
          JsonObject *fields_object = json_node_get_object (fields_node);
          g_autoptr(GList) members = json_object_get_members (fields_object);

          *fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          for (GList *l = members; l != NULL; l = l->next)
            {
              JsonNode *value = json_object_get_member (fields_object, l->data);
              const char *text = "";

              if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
                text = json_node_get_string (value);
              g_hash_table_insert (*fields, g_strdup (l->data), g_strdup (text));
            }
        }
    }

  if (reason != NULL)
    {
      JsonNode *reason_node = json_object_get_member (error_object, "reason");

      if (reason_node != NULL && JSON_NODE_HOLDS_VALUE (reason_node) &&
          json_node_get_value_type (reason_node) == G_TYPE_STRING)
        *reason = g_strdup (json_node_get_string (reason_node));
    }
  if (count != NULL)
    {
      JsonNode *count_node = json_object_get_member (error_object, "count");

      if (count_node != NULL && JSON_NODE_HOLDS_VALUE (count_node) &&
          json_node_get_value_type (count_node) == G_TYPE_INT64 && json_node_get_int (count_node) >= 0)
        *count = json_node_get_int (count_node);
    }

  *code = parsed_code;
  *message = g_strdup (node != NULL ? json_node_get_string (node) : "");
  return TRUE;
}
