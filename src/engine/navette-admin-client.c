/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-client.c — the administration API over a NavetteClient:
 * each method makes the path and body of its route and sends them; the
 * answer is returned as it came (see the header). */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include "navette-admin-client.h"
#include "navette-sync-error.h"

#define ADMIN NAVETTE_API_PREFIX "/admin"

struct _NavetteAdminClient
{
  GObject        parent_instance;

  NavetteClient *client;
};

G_DEFINE_FINAL_TYPE (NavetteAdminClient, navette_admin_client, G_TYPE_OBJECT)

static void
navette_admin_client_dispose (GObject *object)
{
  NavetteAdminClient *self = NAVETTE_ADMIN_CLIENT (object);

  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_admin_client_parent_class)->dispose (object);
}

static void
navette_admin_client_class_init (NavetteAdminClientClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = navette_admin_client_dispose;
}

static void
navette_admin_client_init (NavetteAdminClient *self)
{
}

NavetteAdminClient *
navette_admin_client_new (NavetteClient *client)
{
  NavetteAdminClient *self;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  self = g_object_new (NAVETTE_TYPE_ADMIN_CLIENT, NULL);
  self->client = g_object_ref (client);
  return self;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *node = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);

  /* A refusal keeps the engine's translated sentence (chosen from the
   * code and the reason); the server's English one stays a detail
   * (navette_sync_error_get_server_message()). */
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

/* Sends @method @path (@body: taken, may be NULL); writes get a key. */
static void
admin_send (NavetteAdminClient  *self,
            gpointer             source_tag,
            const char          *method,
            const char          *path,
            JsonBuilder         *body,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonNode) root = body != NULL ? json_builder_get_root (body) : NULL;
  g_autofree char *key = NULL;

  g_task_set_source_tag (task, source_tag);
  if (!g_str_equal (method, "GET"))
    key = navette_uuid_new ();
  navette_client_request_async (self->client, method, path, root, key, NULL, cancellable,
                                request_cb, g_steal_pointer (&task));
  if (body != NULL)
    g_object_unref (body);
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

/* A new builder holding an open object. */
static JsonBuilder *
begin_body (void)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  return builder;
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *member,
             gboolean     value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

/* A body made of the members of @object. */
static JsonBuilder *
body_of (JsonObject *object)
{
  JsonBuilder *builder = begin_body ();
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      json_builder_set_member_name (builder, l->data);
      json_builder_add_value (builder, json_node_copy (json_object_get_member (object, l->data)));
    }
  json_builder_end_object (builder);
  return builder;
}

/* {"title"?, "archived"?} */
static JsonBuilder *
title_archived (const char *title,
                int         archived)
{
  JsonBuilder *builder = begin_body ();

  if (title != NULL)
    add_string (builder, "title", title);
  if (archived >= 0)
    add_boolean (builder, "archived", archived != 0);
  json_builder_end_object (builder);
  return builder;
}

/* ------------------------------------------------------------------ */
/* Users                                                               */

/* Appends "NAME=VALUE&" to a query being built, both escaped; nothing
 * for a NULL @value. The caller drops the last character ("?" or "&"). */
static void
append_param (GString    *query,
              const char *name,
              const char *value)
{
  if (value == NULL)
    return;
  g_string_append_uri_escaped (query, name, NULL, FALSE);
  g_string_append_c (query, '=');
  g_string_append_uri_escaped (query, value, NULL, FALSE);
  g_string_append_c (query, '&');
}

void
navette_admin_client_list_users_async (NavetteAdminClient  *self,
                                       const char          *after,
                                       guint                limit,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new (ADMIN "/users?");

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  if (limit > 0)
    g_string_append_printf (path, "limit=%u&", limit);
  append_param (path, "after", after);
  g_string_truncate (path, path->len - 1);
  admin_send (self, navette_admin_client_list_users_async, "GET", path->str, NULL,
        cancellable, callback, user_data);
}

void
navette_admin_client_add_user_async (NavetteAdminClient  *self,
                                     const char          *username,
                                     const char          *display_name,
                                     const char          *password,
                                     gboolean             admin,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  JsonBuilder *body;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (username != NULL);

  body = begin_body ();
  add_string (body, "username", username);
  if (display_name != NULL)
    add_string (body, "display_name", display_name);
  if (password != NULL)
    add_string (body, "password", password);
  if (admin)
    add_boolean (body, "admin", TRUE);
  json_builder_end_object (body);
  admin_send (self, navette_admin_client_add_user_async, "POST", ADMIN "/users", body,
        cancellable, callback, user_data);
}

/* "%s" escaped as a path segment */
static char *
segment (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

void
navette_admin_client_update_user_async (NavetteAdminClient  *self,
                                        const char          *username,
                                        JsonObject          *changes,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (changes != NULL);

  name = segment (username);
  path = g_strdup_printf (ADMIN "/users/%s", name);
  admin_send (self, navette_admin_client_update_user_async, "PATCH", path, body_of (changes),
        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Applications, tables, columns                                       */

void
navette_admin_client_list_apps_async (NavetteAdminClient  *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  admin_send (self, navette_admin_client_list_apps_async, "GET", ADMIN "/applications", NULL,
        cancellable, callback, user_data);
}

void
navette_admin_client_add_app_async (NavetteAdminClient  *self,
                                    const char          *name,
                                    const char          *title,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  JsonBuilder *body;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (name != NULL);

  body = begin_body ();
  add_string (body, "name", name);
  if (title != NULL)
    add_string (body, "title", title);
  json_builder_end_object (body);
  admin_send (self, navette_admin_client_add_app_async, "POST", ADMIN "/applications", body,
        cancellable, callback, user_data);
}

/* ADMIN "/applications/APP[/tables/TABLE[/columns[/COLUMN]]]": names
 * that are not names go as they are escaped (the server answers 404). */
static char *
schema_path (const char *app,
             const char *table,
             const char *suffix)
{
  g_autofree char *a = segment (app);
  g_autofree char *t = table != NULL ? segment (table) : NULL;

  return g_strdup_printf (ADMIN "/applications/%s%s%s%s", a, t != NULL ? "/tables/" : "",
                          t != NULL ? t : "", suffix != NULL ? suffix : "");
}

void
navette_admin_client_update_app_async (NavetteAdminClient  *self,
                                       const char          *app,
                                       const char          *title,
                                       int                  archived,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL);

  path = schema_path (app, NULL, NULL);
  admin_send (self, navette_admin_client_update_app_async, "PATCH", path, title_archived (title, archived),
        cancellable, callback, user_data);
}

void
navette_admin_client_add_table_async (NavetteAdminClient     *self,
                                      const char             *app,
                                      const NavetteWireTable *table,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data)
{
  g_autofree char *path = NULL;
  JsonBuilder *body;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL);
  g_return_if_fail (table != NULL);

  body = json_builder_new ();
  navette_wire_table_to_json (table, body);
  path = schema_path (app, NULL, "/tables");
  admin_send (self, navette_admin_client_add_table_async, "POST", path, body,
        cancellable, callback, user_data);
}

void
navette_admin_client_update_table_async (NavetteAdminClient  *self,
                                         const char          *app,
                                         const char          *table,
                                         const char          *title,
                                         int                  archived,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL);

  path = schema_path (app, table, NULL);
  admin_send (self, navette_admin_client_update_table_async, "PATCH", path, title_archived (title, archived),
        cancellable, callback, user_data);
}

void
navette_admin_client_add_column_async (NavetteAdminClient      *self,
                                       const char              *app,
                                       const char              *table,
                                       const NavetteWireColumn *column,
                                       JsonNode                *default_value,
                                       GCancellable            *cancellable,
                                       GAsyncReadyCallback      callback,
                                       gpointer                 user_data)
{
  g_autoptr(JsonBuilder) one = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = NULL;
  JsonObject *object;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL);
  g_return_if_fail (column != NULL);

  navette_wire_column_to_json (column, one);
  root = json_builder_get_root (one);
  object = json_node_get_object (root);
  if (default_value != NULL)
    json_object_set_member (object, "default", json_node_copy (default_value));
  path = schema_path (app, table, "/columns");
  admin_send (self, navette_admin_client_add_column_async, "POST", path, body_of (object),
        cancellable, callback, user_data);
}

void
navette_admin_client_update_column_async (NavetteAdminClient  *self,
                                          const char          *app,
                                          const char          *table,
                                          const char          *column,
                                          JsonObject          *changes,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *suffix = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL && column != NULL);
  g_return_if_fail (changes != NULL);

  name = segment (column);
  suffix = g_strdup_printf ("/columns/%s", name);
  path = schema_path (app, table, suffix);
  admin_send (self, navette_admin_client_update_column_async, "PATCH", path, body_of (changes),
        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Grants                                                              */

/* ADMIN "/grants/APP/USERNAME" + @suffix */
static char *
grant_path (const char *app,
            const char *username,
            const char *suffix)
{
  g_autofree char *a = segment (app);
  g_autofree char *u = segment (username);

  return g_strdup_printf (ADMIN "/grants/%s/%s%s", a, u, suffix != NULL ? suffix : "");
}

void
navette_admin_client_list_grants_async (NavetteAdminClient  *self,
                                        const char          *app,
                                        const char          *username,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new (ADMIN "/grants?");

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  append_param (path, "app", app);
  append_param (path, "user", username);
  g_string_truncate (path, path->len - 1);
  admin_send (self, navette_admin_client_list_grants_async, "GET", path->str, NULL,
        cancellable, callback, user_data);
}

void
navette_admin_client_set_grant_async (NavetteAdminClient  *self,
                                      const char          *app,
                                      const char          *username,
                                      const char          *role,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *path = NULL;
  JsonBuilder *body = NULL;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && username != NULL);

  path = grant_path (app, username, NULL);
  if (role != NULL)
    {
      body = begin_body ();
      add_string (body, "role", role);
      json_builder_end_object (body);
    }
  admin_send (self, navette_admin_client_set_grant_async, role != NULL ? "PUT" : "DELETE", path, body,
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
  admin_send (self, navette_admin_client_grant_versions_async, "GET", path, NULL,
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
  JsonBuilder *body;

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));
  g_return_if_fail (app != NULL && username != NULL);

  path = grant_path (app, username, "/revert");
  body = begin_body ();
  json_builder_set_member_name (body, "version");
  json_builder_add_int_value (body, version);
  json_builder_end_object (body);
  admin_send (self, navette_admin_client_revert_grant_async, "POST", path, body,
        cancellable, callback, user_data);
}

/* ------------------------------------------------------------------ */
/* Activity                                                            */

void
navette_admin_client_activity_async (NavetteAdminClient  *self,
                                     const char * const  *filters,
                                     const char          *before,
                                     guint                limit,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GString) path = g_string_new (NAVETTE_API_PREFIX "/activity?");

  g_return_if_fail (NAVETTE_IS_ADMIN_CLIENT (self));

  for (guint i = 0; filters != NULL && filters[i] != NULL && filters[i + 1] != NULL; i += 2)
    append_param (path, filters[i], filters[i + 1]);
  append_param (path, "before", before);
  if (limit > 0)
    g_string_append_printf (path, "limit=%u&", limit);
  g_string_truncate (path, path->len - 1);
  admin_send (self, navette_admin_client_activity_async, "GET", path->str, NULL,
        cancellable, callback, user_data);
}
