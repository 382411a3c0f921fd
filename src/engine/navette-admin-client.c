/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-client.c — the administration routes, over NavetteClient. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <string.h>

#include "navette-admin-client.h"
#include "navette-sync-error.h"

struct _NavetteAdminClient
{
  GObject        parent_instance;
  NavetteClient *client;
};

G_DEFINE_FINAL_TYPE (NavetteAdminClient, navette_admin_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
navette_admin_client_dispose (GObject *object)
{
  NavetteAdminClient *self = NAVETTE_ADMIN_CLIENT (object);

  g_clear_object (&self->client);
  G_OBJECT_CLASS (navette_admin_client_parent_class)->dispose (object);
}

static void
navette_admin_client_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavetteAdminClient *self = NAVETTE_ADMIN_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_admin_client_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NavetteAdminClient *self = NAVETTE_ADMIN_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_admin_client_class_init (NavetteAdminClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_admin_client_dispose;
  object_class->get_property = navette_admin_client_get_property;
  object_class->set_property = navette_admin_client_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
navette_admin_client_init (NavetteAdminClient *self)
{
}

NavetteAdminClient *
navette_admin_client_new (NavetteClient *client)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  return g_object_new (NAVETTE_TYPE_ADMIN_CLIENT, "client", client, NULL);
}

NavetteClient *
navette_admin_client_get_client (NavetteAdminClient *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_CLIENT (self), NULL);

  return self->client;
}

/* ---- The one way a request goes out ---- */

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  if (error != NULL)
    {
      const char *said = navette_sync_error_get_server_message (error);

      /* A refusal: the server's sentence says why (a name taken, how many
       * records a constraint breaks), the engine's only that it refused. */
      if (said != NULL && error->domain == NAVETTE_SYNC_ERROR &&
          (error->code == NAVETTE_SYNC_ERROR_VALIDATION || error->code == NAVETTE_SYNC_ERROR_CONFLICT ||
           error->code == NAVETTE_SYNC_ERROR_NOT_FOUND || error->code == NAVETTE_SYNC_ERROR_SERVER))
        {
          g_free (error->message);
          error->message = g_strdup (said);
        }
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
}

/* Sends @method @path with @body (taken; may be NULL). Writes (anything
 * but GET) get a fresh idempotency key: a retry of the same call is the
 * caller's new decision, not a replay. */
static void
send (NavetteAdminClient  *self,
      const char          *method,
      const char          *path,
      JsonNode            *body,
      gpointer             source_tag,
      GCancellable        *cancellable,
      GAsyncReadyCallback  callback,
      gpointer             user_data)
{
  g_autoptr(JsonNode) owned = body;
  g_autofree char *key = NULL;
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  if (!g_str_equal (method, "GET"))
    key = g_uuid_string_random ();
  navette_client_request_async (self->client, method, path, owned, key, NULL,
                                cancellable, request_cb, task);
}

JsonNode *
navette_admin_client_finish (NavetteAdminClient  *self,
                             GAsyncResult        *result,
                             GError             **error)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
escape (const char *name)
{
  return g_uri_escape_string (name, NULL, FALSE);
}

/* "/api/v1/admin/applications/APP[/tables/TABLE[/columns/COLUMN]]" */
static char *
app_path (const char *app,
          const char *table,
          const char *column)
{
  GString *path = g_string_new ("/api/v1/admin/applications/");
  g_autofree char *a = escape (app);

  g_string_append (path, a);
  if (table != NULL)
    {
      g_autofree char *t = escape (table);

      g_string_append_printf (path, "/tables/%s", t);
    }
  if (column != NULL)
    {
      g_autofree char *c = escape (column);

      g_string_append_printf (path, "/columns/%s", c);
    }
  return g_string_free (path, FALSE);
}

static char *
grant_path (const char *app,
            const char *username,
            const char *suffix)
{
  g_autofree char *a = escape (app);
  g_autofree char *u = escape (username);

  return g_strdup_printf ("/api/v1/admin/grants/%s/%s%s", a, u, suffix != NULL ? suffix : "");
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}

/* Appends "&name=value" (or "?name=value" first) when @value is set. */
static void
add_query (GString    *path,
           const char *name,
           const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL || *value == '\0')
    return;
  escaped = escape (value);
  g_string_append_printf (path, "%c%s=%s", strchr (path->str, '?') ? '&' : '?', name, escaped);
}

/* ---- Users ---- */

void
navette_admin_client_list_users_async (NavetteAdminClient  *self,
                                       const char          *after,
                                       guint                limit,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/admin/users");
  g_autofree char *count = limit > 0 ? g_strdup_printf ("%u", limit) : NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  add_query (path, "after", after);
  add_query (path, "limit", count);
  send (self, "GET", path->str, NULL, navette_admin_client_list_users_async,
        cancellable, callback, user_data);
}

void
navette_admin_client_create_user_async (NavetteAdminClient  *self,
                                        const char          *username,
                                        const char          *display_name,
                                        const char          *password,
                                        gboolean             admin,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (username != NULL && display_name != NULL);

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "display_name", display_name);
  if (password != NULL)
    json_object_set_string_member (body, "password", password);
  json_object_set_boolean_member (body, "admin", admin);
  send (self, "POST", "/api/v1/admin/users", object_node (body),
        navette_admin_client_create_user_async, cancellable, callback, user_data);
}

void
navette_admin_client_patch_user_async (NavetteAdminClient  *self,
                                       const char          *username,
                                       JsonObject          *changes,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (username != NULL && changes != NULL);

  name = escape (username);
  path = g_strdup_printf ("/api/v1/admin/users/%s", name);
  send (self, "PATCH", path, object_node (changes),
        navette_admin_client_patch_user_async, cancellable, callback, user_data);
}

/* ---- Applications, tables, columns ---- */

void
navette_admin_client_list_apps_async (NavetteAdminClient  *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  send (self, "GET", "/api/v1/admin/applications", NULL,
        navette_admin_client_list_apps_async, cancellable, callback, user_data);
}

void
navette_admin_client_create_app_async (NavetteAdminClient  *self,
                                       const char          *name,
                                       const char          *title,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (name != NULL && title != NULL);

  json_object_set_string_member (body, "name", name);
  json_object_set_string_member (body, "title", title);
  send (self, "POST", "/api/v1/admin/applications", object_node (body),
        navette_admin_client_create_app_async, cancellable, callback, user_data);
}

void
navette_admin_client_patch_app_async (NavetteAdminClient  *self,
                                      const char          *app,
                                      JsonObject          *changes,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && changes != NULL);

  path = app_path (app, NULL, NULL);
  send (self, "PATCH", path, object_node (changes),
        navette_admin_client_patch_app_async, cancellable, callback, user_data);
}

void
navette_admin_client_create_table_async (NavetteAdminClient  *self,
                                         const char          *app,
                                         const char          *name,
                                         const char          *title,
                                         JsonArray           *columns,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && name != NULL && title != NULL);

  json_object_set_string_member (body, "name", name);
  json_object_set_string_member (body, "title", title);
  json_object_set_array_member (body, "columns",
                                columns != NULL ? json_array_ref (columns) : json_array_new ());
  base = app_path (app, NULL, NULL);
  path = g_strconcat (base, "/tables", NULL);
  send (self, "POST", path, object_node (body),
        navette_admin_client_create_table_async, cancellable, callback, user_data);
}

void
navette_admin_client_patch_table_async (NavetteAdminClient  *self,
                                        const char          *app,
                                        const char          *table,
                                        JsonObject          *changes,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL && changes != NULL);

  path = app_path (app, table, NULL);
  send (self, "PATCH", path, object_node (changes),
        navette_admin_client_patch_table_async, cancellable, callback, user_data);
}

void
navette_admin_client_add_column_async (NavetteAdminClient  *self,
                                       const char          *app,
                                       const char          *table,
                                       JsonObject          *column,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL && column != NULL);

  base = app_path (app, table, NULL);
  path = g_strconcat (base, "/columns", NULL);
  send (self, "POST", path, object_node (column),
        navette_admin_client_add_column_async, cancellable, callback, user_data);
}

void
navette_admin_client_patch_column_async (NavetteAdminClient  *self,
                                         const char          *app,
                                         const char          *table,
                                         const char          *column,
                                         JsonObject          *changes,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL && column != NULL && changes != NULL);

  path = app_path (app, table, column);
  send (self, "PATCH", path, object_node (changes),
        navette_admin_client_patch_column_async, cancellable, callback, user_data);
}

/* ---- Role grants ---- */

void
navette_admin_client_list_grants_async (NavetteAdminClient  *self,
                                        const char          *app,
                                        const char          *username,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/admin/grants");

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  add_query (path, "app", app);
  add_query (path, "user", username);
  send (self, "GET", path->str, NULL, navette_admin_client_list_grants_async,
        cancellable, callback, user_data);
}

void
navette_admin_client_set_grant_async (NavetteAdminClient  *self,
                                      const char          *app,
                                      const char          *username,
                                      NavetteRole          role,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) body = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && username != NULL);
  g_return_if_fail (role == NAVETTE_ROLE_NONE || role == NAVETTE_ROLE_READER ||
                    role == NAVETTE_ROLE_EDITOR);

  path = grant_path (app, username, NULL);
  if (role == NAVETTE_ROLE_NONE)
    {
      send (self, "DELETE", path, NULL, navette_admin_client_set_grant_async,
            cancellable, callback, user_data);
      return;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "role", navette_role_to_string (role));
  send (self, "PUT", path, object_node (body), navette_admin_client_set_grant_async,
        cancellable, callback, user_data);
}

void
navette_admin_client_grant_versions_async (NavetteAdminClient  *self,
                                           const char          *app,
                                           const char          *username,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && username != NULL);

  path = grant_path (app, username, "/versions");
  send (self, "GET", path, NULL, navette_admin_client_grant_versions_async,
        cancellable, callback, user_data);
}

void
navette_admin_client_revert_grant_async (NavetteAdminClient  *self,
                                         const char          *app,
                                         const char          *username,
                                         gint64               version,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && username != NULL);

  path = grant_path (app, username, "/revert");
  json_object_set_int_member (body, "version", version);
  send (self, "POST", path, object_node (body), navette_admin_client_revert_grant_async,
        cancellable, callback, user_data);
}

/* ---- Activity ---- */

void
navette_admin_client_activity_async (NavetteAdminClient         *self,
                                     const NavetteActivityQuery *query,
                                     GCancellable               *cancellable,
                                     GAsyncReadyCallback         callback,
                                     gpointer                    user_data)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/activity");
  g_autofree char *limit = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  if (query != NULL)
    {
      add_query (path, "app", query->app);
      add_query (path, "table", query->table);
      add_query (path, "record", query->record);
      add_query (path, "user", query->user);
      add_query (path, "action", query->action);
      add_query (path, "from", query->from);
      add_query (path, "to", query->to);
      add_query (path, "before", query->before);
      if (query->limit > 0)
        {
          limit = g_strdup_printf ("%u", query->limit);
          add_query (path, "limit", limit);
        }
    }
  send (self, "GET", path->str, NULL, navette_admin_client_activity_async,
        cancellable, callback, user_data);
}
