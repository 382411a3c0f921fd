/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-auth.c — who asks, and what they may do: the bearer token
 * checked against the sessions (the light checks may use a session
 * cached for a moment), the user's roles, and the access a route's
 * method asks for (workers). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include "navette-auth.h"
#include "navette-http-private.h"

AuthUser *
auth_user_ref (AuthUser *user)
{
  g_atomic_ref_count_inc (&user->ref_count);
  return user;
}

void
auth_user_unref (AuthUser *user)
{
  if (!g_atomic_ref_count_dec (&user->ref_count))
    return;
  g_free (user->username);
  g_free (user->display_name);
  g_clear_pointer (&user->roles, g_hash_table_unref);
  g_free (user);
}

AuthUser *
load_user (NavetteHttpServer  *self,
           NavetteDbUser      *db_user,
           GError            **error)
{
  g_autoptr(AuthUser) user = g_new0 (AuthUser, 1);

  g_atomic_ref_count_init (&user->ref_count);
  user->username = g_strdup (db_user->username);
  user->display_name = g_strdup (db_user->display_name != NULL ? db_user->display_name : db_user->username);
  user->admin = db_user->admin;
  user->roles = navette_db_roles_for_user (self->db, db_user->username, error);
  if (user->roles == NULL)
    return NULL;
  return g_steal_pointer (&user);
}

gboolean
authenticate (Request *req)
{
  NavetteHttpServer *self = req->self;
  g_autofree char *hash = NULL;
  g_autoptr(AuthUser) user = NULL;
  gint64 expires_at = 0;

  if (req->token == NULL)
    {
      respond_error (req, NAVETTE_API_ERROR_AUTH_REQUIRED, "This request needs a valid bearer token");
      return FALSE;
    }
  hash = navette_auth_token_hash (req->token);

  /* Only the light checks (polled all the time, and harmless) use the
   * cached session; every other request reads the session and roles
   * afresh, so a grant, revocation or logout made by another process
   * applies to it at once. */
  if (req->route->flags & ROUTE_CACHED_AUTH)
    user = navette_http_cache_lookup_session (self->cache, hash, &expires_at);

  if (user == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteDbUser) db_user = navette_db_session_lookup (self->db, hash, &expires_at, &error);

      if (db_user == NULL)
        {
          if (error != NULL && error->domain == NAVETTE_API_ERROR &&
              (error->code == NAVETTE_API_ERROR_AUTH_REQUIRED || error->code == NAVETTE_API_ERROR_NOT_FOUND))
            respond_error (req, NAVETTE_API_ERROR_AUTH_REQUIRED, "This token is not valid; sign in again");
          else
            respond_gerror (req, error);
          return FALSE;
        }
      user = load_user (self, db_user, &error);
      if (user == NULL)
        {
          respond_gerror (req, error);
          return FALSE;
        }
      navette_http_cache_store_session (self->cache, hash, user, expires_at);
    }

  if (navette_time_now () >= expires_at)
    {
      respond_error (req, NAVETTE_API_ERROR_AUTH_EXPIRED, "This token has expired; sign in again");
      return FALSE;
    }
  req->user = g_steal_pointer (&user);
  req->expires_at = expires_at;
  return TRUE;
}

gboolean
check_access (Request *req)
{
  const char *role;

  if (!navette_name_is_valid (req->app))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such application");
      return FALSE;
    }
  if (req->table != NULL && !navette_name_is_valid (req->table))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such table");
      return FALSE;
    }
  if (req->id != NULL && !navette_uuid_is_valid (req->id))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such record");
      return FALSE;
    }
  /* An admin is editor everywhere; whether the application exists is
   * then the storage layer's answer. */
  if (req->user->admin)
    return TRUE;

  role = g_hash_table_lookup (req->user->roles, req->app);
  if (role == NULL)
    {
      /* the same answer as an application that does not exist */
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such application");
      return FALSE;
    }
  if ((req->method->access == ACCESS_WRITE || req->method->access == ACCESS_AUDIT) &&
      !g_str_equal (role, "editor"))
    {
      respond_error (req, NAVETTE_API_ERROR_FORBIDDEN,
                     req->method->access == ACCESS_AUDIT
                     ? "Only editors may read the audit trail of this application"
                     : "Your role in this application does not allow changes");
      return FALSE;
    }
  return TRUE;
}
