/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteSession — who is signed in.
 *
 * Logs in and out and knows the user (`GET /api/v1/me`). The token is
 * handed to the caller to keep (the desktop editor in libsecret, the CLI in
 * a 0600 file): read the "token" property after login, and give it back
 * with navette_session_restore_async() next time.
 *
 * When the server answers auth_expired (or auth_required for a token that
 * worked before), "auth-expired" is emitted ONCE — not once per failing
 * request — and "signed-in" becomes FALSE. After a new successful login,
 * "signed-in" is TRUE again and the engine retries the failed changes. */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_SESSION (navette_session_get_type ())
G_DECLARE_FINAL_TYPE (NavetteSession, navette_session, NAVETTE, SESSION, GObject)

NavetteSession *navette_session_new              (NavetteClient       *client);

/* Properties (all read-only, notified): "client", "signed-in", "token",
 * "expires-at" (unix usec, 0 = unknown), "username", "display-name",
 * "admin". */
gboolean        navette_session_get_signed_in    (NavetteSession      *self);
const char     *navette_session_get_token        (NavetteSession      *self);
gint64          navette_session_get_expires_at   (NavetteSession      *self);
const char     *navette_session_get_username     (NavetteSession      *self);
const char     *navette_session_get_display_name (NavetteSession      *self);
gboolean        navette_session_get_admin        (NavetteSession      *self);
/* The role of the user in @app according to the last `me`. */
NavetteRole     navette_session_get_role         (NavetteSession      *self,
                                                  const char          *app);

/* POST /sessions then fills the user. Wrong credentials:
 * NAVETTE_SYNC_ERROR_AUTH_REQUIRED. */
void            navette_session_login_async      (NavetteSession      *self,
                                                  const char          *username,
                                                  const char          *password,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        navette_session_login_finish     (NavetteSession      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Uses a saved token: sets it and checks it with `GET /me`. */
void            navette_session_restore_async    (NavetteSession      *self,
                                                  const char          *token,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        navette_session_restore_finish   (NavetteSession      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* GET /me again (roles may have changed), with the ETag of the last
 * answer (If-None-Match: a 304 leaves everything as it was). Emits
 * "roles-changed" when they did. */
void            navette_session_refresh_async    (NavetteSession      *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        navette_session_refresh_finish   (NavetteSession      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* DELETE /sessions/current; forgets the token even when the server cannot
 * be reached (the error is still reported). */
void            navette_session_logout_async     (NavetteSession      *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        navette_session_logout_finish    (NavetteSession      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Signals:
 *   "auth-expired" (const GError *error) — once per signed-in period.
 *   "roles-changed" () — after a refresh found other roles. */

G_END_DECLS
