/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

struct _NavetteSession
{
  GObject        parent_instance;

  NavetteClient *client;
  char          *username;
  char          *display_name;
  GHashTable    *roles;          /* app → GINT_TO_POINTER (NavetteRole) */
  gint64         expires_at;
  gboolean       admin;
  gboolean       signed_in;
  gboolean       expired_emitted;
  char          *me_etag;        /* of the last `me` read; NULL: ask in full */
};

G_DEFINE_FINAL_TYPE (NavetteSession, navette_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_SIGNED_IN,
  PROP_TOKEN,
  PROP_EXPIRES_AT,
  PROP_USERNAME,
  PROP_DISPLAY_NAME,
  PROP_ADMIN,
  N_PROPS
};

enum {
  AUTH_EXPIRED,
  ROLES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
navette_session_dispose (GObject *object)
{
  NavetteSession *self = (NavetteSession *)object;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_session_parent_class)->dispose (object);
}

static void
navette_session_finalize (GObject *object)
{
  NavetteSession *self = (NavetteSession *)object;

  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->me_etag, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->roles, g_hash_table_unref);

  G_OBJECT_CLASS (navette_session_parent_class)->finalize (object);
}

static void
navette_session_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavetteSession *self = NAVETTE_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, navette_session_get_token (self));
      break;
    case PROP_EXPIRES_AT:
      g_value_set_int64 (value, self->expires_at);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, navette_session_get_display_name (self));
      break;
    case PROP_ADMIN:
      g_value_set_boolean (value, self->admin);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_session_class_init (NavetteSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_session_dispose;
  object_class->finalize = navette_session_finalize;
  object_class->get_property = navette_session_get_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT, flags);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, flags);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL, flags);
  properties[PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_ADMIN] =
    g_param_spec_boolean ("admin", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[AUTH_EXPIRED] =
    g_signal_new ("auth-expired",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[ROLES_CHANGED] =
    g_signal_new ("roles-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
navette_session_init (NavetteSession *self)
{
  self->roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
set_signed_in (NavetteSession *self,
               gboolean        signed_in)
{
  if (self->signed_in == signed_in)
    return;
  self->signed_in = signed_in;
  if (signed_in)
    self->expired_emitted = FALSE;
  else
    g_clear_pointer (&self->me_etag, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

static void
auth_failed_cb (NavetteClient  *client,
                const GError   *error,
                NavetteSession *self)
{
  if (!self->signed_in || self->expired_emitted)
    return;

  self->expired_emitted = TRUE;
  set_signed_in (self, FALSE);
  g_signal_emit (self, signals[AUTH_EXPIRED], 0, error);
}

NavetteSession *
navette_session_new (NavetteClient *client)
{
  NavetteSession *self;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  self = g_object_new (NAVETTE_TYPE_SESSION, NULL);
  self->client = g_object_ref (client);
  g_signal_connect (client, "auth-failed", G_CALLBACK (auth_failed_cb), self);
  return self;
}

gboolean
navette_session_get_signed_in (NavetteSession *self)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), FALSE);
  return self->signed_in;
}

const char *
navette_session_get_token (NavetteSession *self)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), NULL);
  return navette_client_get_token (self->client);
}

gint64
navette_session_get_expires_at (NavetteSession *self)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), 0);
  return self->expires_at;
}

const char *
navette_session_get_username (NavetteSession *self)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), NULL);
  return self->username;
}

const char *
navette_session_get_display_name (NavetteSession *self)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), NULL);
  return self->display_name ? self->display_name : self->username;
}

gboolean
navette_session_get_admin (NavetteSession *self)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), FALSE);
  return self->admin;
}

NavetteRole
navette_session_get_role (NavetteSession *self,
                          const char     *app)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), NAVETTE_ROLE_NONE);
  g_return_val_if_fail (app != NULL, NAVETTE_ROLE_NONE);

  if (self->admin)
    return NAVETTE_ROLE_EDITOR;
  return GPOINTER_TO_INT (g_hash_table_lookup (self->roles, app));
}

static void
add_roles (GHashTable  *roles,
           JsonObject  *object,
           const char  *name,
           NavetteRole  role)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *app = json_array_get_string_element (array, i);

      if (app != NULL)
        g_hash_table_insert (roles, g_strdup (app), GINT_TO_POINTER (role));
    }
}

static gboolean
roles_equal (GHashTable *a,
             GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gpointer other;

      if (!g_hash_table_lookup_extended (b, key, NULL, &other) || other != value)
        return FALSE;
    }
  return TRUE;
}

/* Fills the user from a <me> object. Returns FALSE when malformed. */
static gboolean
set_me (NavetteSession *self,
        JsonNode       *node)
{
  g_autoptr(GHashTable) roles = NULL;
  JsonObject *object;
  JsonNode *roles_node;
  const char *username;
  gboolean admin;
  gboolean changed;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  username = json_object_get_string_member_with_default (object, "username", NULL);
  if (username == NULL)
    return FALSE;

  roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  roles_node = json_object_get_member (object, "roles");
  if (roles_node != NULL && JSON_NODE_HOLDS_OBJECT (roles_node))
    {
      add_roles (roles, json_node_get_object (roles_node), "reader", NAVETTE_ROLE_READER);
      add_roles (roles, json_node_get_object (roles_node), "editor", NAVETTE_ROLE_EDITOR);
    }

  g_object_freeze_notify (G_OBJECT (self));

  if (g_strcmp0 (self->username, username) != 0)
    {
      g_free (self->username);
      self->username = g_strdup (username);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
    }
  {
    const char *display = json_object_get_string_member_with_default (object, "display_name", NULL);

    if (g_strcmp0 (self->display_name, display) != 0)
      {
        g_free (self->display_name);
        self->display_name = g_strdup (display);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
      }
  }
  admin = json_object_get_boolean_member_with_default (object, "admin", FALSE);
  changed = admin != self->admin || !roles_equal (roles, self->roles);
  if (admin != self->admin)
    {
      self->admin = admin;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADMIN]);
    }
  g_clear_pointer (&self->roles, g_hash_table_unref);
  self->roles = g_steal_pointer (&roles);

  set_signed_in (self, TRUE);
  g_object_thaw_notify (G_OBJECT (self));

  if (changed)
    g_signal_emit (self, signals[ROLES_CHANGED], 0);

  return TRUE;
}

static GError *
malformed_error (void)
{
  return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                              _("The server’s answer could not be understood."));
}

/* ---- Login ---- */

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteSession *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) root = NULL;
  GError *error = NULL;
  JsonObject *object_;
  const char *token;
  const char *expires;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  if (root == NULL)
    {
      g_task_return_error (task, error ? error : malformed_error ());
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_task_return_error (task, malformed_error ());
      return;
    }
  object_ = json_node_get_object (root);
  token = json_object_get_string_member_with_default (object_, "token", NULL);
  if (token == NULL)
    {
      g_task_return_error (task, malformed_error ());
      return;
    }

  navette_client_set_token (self->client, token);
  expires = json_object_get_string_member_with_default (object_, "expires_at", NULL);
  if (expires == NULL || !navette_time_parse (expires, &self->expires_at))
    self->expires_at = 0;

  g_clear_pointer (&self->me_etag, g_free);
  if (!set_me (self, json_object_get_member (object_, "user")))
    {
      g_task_return_error (task, malformed_error ());
      return;
    }

  self->expired_emitted = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  g_task_return_boolean (task, TRUE);
}

void
navette_session_login_async (NavetteSession      *self,
                             const char          *username,
                             const char          *password,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (NAVETTE_IS_SESSION (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_session_login_async);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  /* No stale token with a login. */
  navette_client_set_token (self->client, NULL);
  navette_client_request_async (self->client, "POST", NAVETTE_API_PREFIX "/sessions", body,
                                NULL, NULL, cancellable, login_cb, task);
}

/* Every _finish below: the task's boolean. */
static gboolean
finish (NavetteSession  *self,
        GAsyncResult    *result,
        GError         **error)
{
  g_return_val_if_fail (NAVETTE_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
navette_session_login_finish (NavetteSession  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return finish (self, result, error);
}

/* ---- Me ---- */

static void
me_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteSession *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *etag = NULL;
  gboolean not_modified = FALSE;
  GError *error = NULL;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, &etag,
                                        &not_modified, &error);
  /* 304: the roles are those read last time. */
  if (root == NULL && not_modified && error == NULL && self->signed_in)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (root == NULL)
    {
      g_task_return_error (task, error ? error : malformed_error ());
      return;
    }

  if (!set_me (self, root))
    {
      g_task_return_error (task, malformed_error ());
      return;
    }
  g_free (self->me_etag);
  self->me_etag = g_steal_pointer (&etag);

  g_task_return_boolean (task, TRUE);
}

/* GET /me for @task (taken), with the ETag of the last answer when
 * signed in: a 304 (no body) when the roles have not moved — cheap
 * enough for every poll. */
static void
request_me (NavetteSession *self,
            GTask          *task)
{
  navette_client_request_async (self->client, "GET", NAVETTE_API_PREFIX "/me", NULL,
                                NULL, self->signed_in ? self->me_etag : NULL,
                                g_task_get_cancellable (task), me_cb, task);
}

void
navette_session_restore_async (NavetteSession      *self,
                               const char          *token,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAVETTE_IS_SESSION (self));
  g_return_if_fail (token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_session_restore_async);

  navette_client_set_token (self->client, token);
  g_clear_pointer (&self->me_etag, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
  request_me (self, task);
}

gboolean
navette_session_restore_finish (NavetteSession  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return finish (self, result, error);
}

void
navette_session_refresh_async (NavetteSession      *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAVETTE_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_session_refresh_async);
  request_me (self, task);
}

gboolean
navette_session_refresh_finish (NavetteSession  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return finish (self, result, error);
}

/* ---- Logout ---- */

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteSession *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) root = NULL;
  GError *error = NULL;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);

  navette_client_set_token (self->client, NULL);
  self->expired_emitted = FALSE;
  set_signed_in (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
navette_session_logout_async (NavetteSession      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAVETTE_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_session_logout_async);

  /* No auth-expired for the logout itself. */
  self->expired_emitted = TRUE;
  navette_client_request_async (self->client, "DELETE", NAVETTE_API_PREFIX "/sessions/current",
                                NULL, NULL, NULL, cancellable, logout_cb, task);
}

gboolean
navette_session_logout_finish (NavetteSession  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish (self, result, error);
}
