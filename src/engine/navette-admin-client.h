/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteAdminClient — the administration routes of the contract
 * (`/api/v1/admin/…` and `/api/v1/activity`), one async method per route.
 *
 * A thin layer over the engine's authenticated NavetteClient (the same
 * token, timeout, TLS settings and "auth-failed" signal): it builds each
 * route's path and body, gives every write a fresh `Idempotency-Key`, and
 * hands back the server's JSON answer as it is. Every method finishes with
 * navette_admin_client_finish(): the parsed root object (transfer full), or
 * NULL without an error for a 204 (a revoked grant). Failures are
 * NAVETTE_SYNC_ERROR with the server's own sentence as the message (403
 * FORBIDDEN for a non-administrator, 422 VALIDATION for a constraint the
 * rows break, 409 CONFLICT for a name taken, …).
 *
 * Names (user, application, table, column) are escaped into the path, so
 * a bad one gets the server's 404 or 422, never a malformed request. The
 * desktop editor's Administration window and `navette-cli admin` use it;
 * neither builds a request itself. */
#pragma once

#include <json-glib/json-glib.h>

#include "navette-client.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_CLIENT (navette_admin_client_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminClient, navette_admin_client, NAVETTE, ADMIN_CLIENT, GObject)

NavetteAdminClient *navette_admin_client_new        (NavetteClient      *client);
/* Property "client" (construct-only). */
NavetteClient      *navette_admin_client_get_client (NavetteAdminClient *self);

/* The answer of any of the methods below. */
JsonNode *navette_admin_client_finish               (NavetteAdminClient  *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* ---- Users ---- */

/* GET /admin/users?after=&limit= → {"users": […], "next"?}.
 * @after: (nullable): the "next" of the previous page; @limit: 0 for the
 * server's default. */
void navette_admin_client_list_users_async    (NavetteAdminClient  *self,
                                               const char          *after,
                                               guint                limit,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* POST /admin/users → {"user": …, "password"?}. @password: (nullable):
 * NULL asks the server to generate one, returned once in "password". */
void navette_admin_client_create_user_async   (NavetteAdminClient  *self,
                                               const char          *username,
                                               const char          *display_name,
                                               const char          *password,
                                               gboolean             admin,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* PATCH /admin/users/{username} → {"user": …}. @changes: any of
 * "display_name", "password", "admin", "disabled" (a new password or
 * "disabled": true ends the user's sessions). */
void navette_admin_client_patch_user_async    (NavetteAdminClient  *self,
                                               const char          *username,
                                               JsonObject          *changes,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);

/* ---- Applications, tables, columns ---- */

/* GET /admin/applications → {"applications": [{"name", "title",
 * "archived", "tables": [{…, "columns": […]}]}]}, archived ones included. */
void navette_admin_client_list_apps_async     (NavetteAdminClient  *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* POST /admin/applications {"name", "title"}. */
void navette_admin_client_create_app_async    (NavetteAdminClient  *self,
                                               const char          *name,
                                               const char          *title,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* PATCH /admin/applications/{app}; @changes: "title", "archived". */
void navette_admin_client_patch_app_async     (NavetteAdminClient  *self,
                                               const char          *app,
                                               JsonObject          *changes,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* POST /admin/applications/{app}/tables {"name", "title", "columns"};
 * @columns: (nullable): an array of <column> objects (none: empty). */
void navette_admin_client_create_table_async  (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *name,
                                               const char          *title,
                                               JsonArray           *columns,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* PATCH …/tables/{table}; @changes: "title", "archived". */
void navette_admin_client_patch_table_async   (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *table,
                                               JsonObject          *changes,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* POST …/tables/{table}/columns <column>: "name", "title", "type",
 * "required", "max_length", "min", "max", "choices", and "default" when the
 * table has rows and the column is required. */
void navette_admin_client_add_column_async    (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *table,
                                               JsonObject          *column,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* PATCH …/tables/{table}/columns/{column}; @changes: "title", "required",
 * "max_length", "choices". A constraint that existing rows break fails
 * with VALIDATION, the message saying how many. */
void navette_admin_client_patch_column_async  (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *table,
                                               const char          *column,
                                               JsonObject          *changes,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);

/* ---- Role grants ---- */

/* GET /admin/grants?app=&user= (either may be NULL) → {"grants": […]}. */
void navette_admin_client_list_grants_async   (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *username,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* PUT /admin/grants/{app}/{username} {"role"}, or DELETE it when @role is
 * NAVETTE_ROLE_NONE (a revocation: a new version, finishes with NULL). */
void navette_admin_client_set_grant_async     (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *username,
                                               NavetteRole          role,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* GET /admin/grants/{app}/{username}/versions → {"versions": […]},
 * newest first; "role" is null for a revocation. */
void navette_admin_client_grant_versions_async (NavetteAdminClient  *self,
                                                const char          *app,
                                                const char          *username,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* POST /admin/grants/{app}/{username}/revert {"version"}. */
void navette_admin_client_revert_grant_async  (NavetteAdminClient  *self,
                                               const char          *app,
                                               const char          *username,
                                               gint64               version,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);

/* ---- Activity ---- */

/* The filters of GET /activity; NULL (or 0) fields are left out. @from
 * and @to are ISO 8601 times, @before the "next" of the previous page. */
typedef struct
{
  const char *app;
  const char *table;
  const char *record;
  const char *user;
  const char *action;
  const char *from;
  const char *to;
  const char *before;
  guint       limit;
} NavetteActivityQuery;

/* GET /activity?… → {"entries": [<audit entry>…], "next"?}, newest
 * first. An editor gets the applications they edit; FORBIDDEN for an
 * explicit @query->app they do not edit. */
void navette_admin_client_activity_async      (NavetteAdminClient         *self,
                                               const NavetteActivityQuery *query,
                                               GCancellable               *cancellable,
                                               GAsyncReadyCallback         callback,
                                               gpointer                    user_data);

G_END_DECLS
