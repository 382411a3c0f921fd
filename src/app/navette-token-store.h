/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteTokenStore — keeps the session token of a team server.
 *
 * Stored with libsecret (schema org.navette.Navette.Token, attributes
 * "server" and "username"). When no keyring answers (no session bus, no
 * secret service — as under tests), the token is kept in memory for the
 * life of the process, silently. NAVETTE_NO_KEYRING=1 forces that. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_TOKEN_STORE (navette_token_store_get_type ())
G_DECLARE_FINAL_TYPE (NavetteTokenStore, navette_token_store, NAVETTE, TOKEN_STORE, GObject)

NavetteTokenStore *navette_token_store_new           (void);

void               navette_token_store_save_async    (NavetteTokenStore   *self,
                                                      const char          *server,
                                                      const char          *username,
                                                      const char          *token,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean           navette_token_store_save_finish   (NavetteTokenStore   *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* _finish returns the token, or NULL (no error) when none is stored. */
void               navette_token_store_lookup_async  (NavetteTokenStore   *self,
                                                      const char          *server,
                                                      const char          *username,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
char              *navette_token_store_lookup_finish (NavetteTokenStore   *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
void               navette_token_store_clear_async   (NavetteTokenStore   *self,
                                                      const char          *server,
                                                      const char          *username,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean           navette_token_store_clear_finish  (NavetteTokenStore   *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
