/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteAdminClient — the administration API (docs/api.md,
 * "Administration"; /api/v1/admin/… and /api/v1/activity) for the
 * desktop editor and navette-cli.
 *
 * A thin asynchronous wrapper over a NavetteClient (which builds the
 * requests, carries the token and turns every failure into a
 * NAVETTE_SYNC_ERROR with a translated sentence, chosen from the API's
 * code and "reason"): one method per route.
 * Every write carries a fresh Idempotency-Key. Every _async is finished
 * by navette_admin_client_finish(), which returns the answer's JSON root
 * as the API documents it — {"users": […], "next"?}, {"user": …,
 * "password"?}, {"applications": […]}, {"application": …}, {"table": …},
 * {"column": …}, {"grants": […]}, {"grant": …}, {"versions": […]},
 * {"entries": […], "next"?} — or NULL without an error for a 204 (a
 * revocation). Nothing is cached: the caller re-reads after the schema
 * and roles announcements (NavetteEventStream) or when it wants.
 *
 * Never blocks; callbacks run on the thread-default main context of the
 * call. No GTK. */
#pragma once

#include <gio/gio.h>

#include "navette-client.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_CLIENT (navette_admin_client_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminClient, navette_admin_client, NAVETTE, ADMIN_CLIENT, GObject)

/* @client: the client it sends through (with the token of a signed-in
 * administrator, or editor for the activity). */
NavetteAdminClient *navette_admin_client_new        (NavetteClient       *client);

/* Finishes any call below: the answer (transfer full), NULL for 204, or
 * NULL with a NAVETTE_SYNC_ERROR. */
JsonNode *navette_admin_client_finish               (NavetteAdminClient  *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* ---- users ---- */
/* GET admin/users: a page of at most @limit (0: the server's default)
 * after the cursor @after (NULL: the first page). */
void navette_admin_client_list_users_async          (NavetteAdminClient  *self,
                                                     const char          *after,
                                                     guint                limit,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* POST admin/users; @display_name and @password may be NULL (the server
 * then generates a password and answers it once, in "password"). */
void navette_admin_client_add_user_async            (NavetteAdminClient  *self,
                                                     const char          *username,
                                                     const char          *display_name,
                                                     const char          *password,
                                                     gboolean             admin,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* PATCH admin/users/USERNAME with @changes: any of "display_name",
 * "password" (strings), "admin", "disabled" (booleans). */
void navette_admin_client_update_user_async         (NavetteAdminClient  *self,
                                                     const char          *username,
                                                     JsonObject          *changes,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

/* ---- applications, tables, columns ---- */
/* GET admin/applications: every application, archived ones included,
 * with their tables and columns (each with "archived"). */
void navette_admin_client_list_apps_async           (NavetteAdminClient  *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* POST admin/applications; @title may be NULL (the name). */
void navette_admin_client_add_app_async             (NavetteAdminClient  *self,
                                                     const char          *name,
                                                     const char          *title,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* PATCH admin/applications/APP: @title NULL keeps it; @archived -1 keeps,
 * 0 or 1 sets. */
void navette_admin_client_update_app_async          (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *title,
                                                     int                  archived,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* POST admin/applications/APP/tables with @table's name, title, columns. */
void navette_admin_client_add_table_async           (NavetteAdminClient     *self,
                                                     const char             *app,
                                                     const NavetteWireTable *table,
                                                     GCancellable           *cancellable,
                                                     GAsyncReadyCallback     callback,
                                                     gpointer                user_data);
/* PATCH admin/applications/APP/tables/TABLE, as update_app. */
void navette_admin_client_update_table_async        (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *table,
                                                     const char          *title,
                                                     int                  archived,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* POST …/tables/TABLE/columns; @default_value (may be NULL) is written
 * into the rows that exist (needed for a required column when there are
 * rows). */
void navette_admin_client_add_column_async          (NavetteAdminClient      *self,
                                                     const char              *app,
                                                     const char              *table,
                                                     const NavetteWireColumn *column,
                                                     JsonNode                *default_value,
                                                     GCancellable            *cancellable,
                                                     GAsyncReadyCallback      callback,
                                                     gpointer                 user_data);
/* PATCH …/columns/COLUMN with @changes: any of "title", "required",
 * "max_length" (null: none), "choices", "min", "max" (null: none). A
 * change that current rows break fails with NAVETTE_SYNC_ERROR_VALIDATION
 * and a translated sentence that says how many (the reason
 * records_misfit and its count). */
void navette_admin_client_update_column_async       (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *table,
                                                     const char          *column,
                                                     JsonObject          *changes,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

/* ---- grants ---- */
/* GET admin/grants: the current grants of @app and/or @username (NULL:
 * any). */
void navette_admin_client_list_grants_async         (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *username,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* PUT admin/grants/APP/USERNAME {"role"}, or DELETE it when @role is
 * NULL (a revocation: a new version; the answer is NULL). */
void navette_admin_client_set_grant_async           (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *username,
                                                     const char          *role,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* GET admin/grants/APP/USERNAME/versions, newest first. */
void navette_admin_client_grant_versions_async      (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *username,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* POST admin/grants/APP/USERNAME/revert {"version"}. */
void navette_admin_client_revert_grant_async        (NavetteAdminClient  *self,
                                                     const char          *app,
                                                     const char          *username,
                                                     gint64               version,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

/* ---- activity ---- */
/* GET activity: @filters is NULL or a NULL-terminated list of name,
 * value pairs among app, table, record, user, action, from, to (times in
 * RFC 3339); @before the cursor of the previous page's "next" (NULL:
 * the newest); @limit 0: the server's default. */
void navette_admin_client_activity_async            (NavetteAdminClient  *self,
                                                     const char * const  *filters,
                                                     const char          *before,
                                                     guint                limit,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

G_END_DECLS
