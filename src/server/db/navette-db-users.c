/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-users.c — users and their sessions: administration data,
 * updated in place, every change audited. A new password ends the
 * user's sessions. */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include <string.h>

#include "navette-db-private.h"

typedef struct
{
  const char    *actor;
  const char    *username;
  const char    *display_name;
  const char    *password_hash;
  const char    *token_hash;
  gboolean       admin;
  gint64         expires_at;
  NavetteDbUser *user;
  GPtrArray     *users;
  const char    *after;
  guint          limit;
  const NavetteDbUserChange *change;
  gboolean       admin_changed;
} UserOp;

/* The columns of USER_GET, USER_LIST, USER_PAGE and SESSION_LOOKUP. */
static gpointer
read_user (NavetteDbStmt *stmt)
{
  NavetteDbUser *user = g_new0 (NavetteDbUser, 1);

  user->id = navette_db_get_int (stmt, 0);
  user->username = navette_db_dup_text (stmt, 1);
  user->display_name = navette_db_dup_text (stmt, 2);
  user->password_hash = navette_db_dup_text (stmt, 3);
  user->admin = navette_db_get_bool (stmt, 4);
  user->disabled = navette_db_get_bool (stmt, 5);
  user->created_at = navette_db_get_int (stmt, 6);
  return user;
}

static gboolean
user_add_op (NavetteDbConn  *conn,
             gpointer        data,
             GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_USER_ADD, error);
  g_autofree char *detail = NULL;
  gint64 now = g_get_real_time ();

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  navette_db_bind_text (stmt, 2, op->display_name);
  navette_db_bind_text (stmt, 3, op->password_hash);
  navette_db_bind_bool (stmt, 4, op->admin);
  navette_db_bind_int (stmt, 5, now);
  if (!navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_CONFLICT,
                                 "The user “%s” already exists.", op->username))
    return FALSE;

  detail = g_strdup_printf ("%s%s", op->username, op->admin ? " (admin)" : "");
  return navette_db_audit_add (conn, now, op->actor, "user_add", NULL, NULL, NULL, 0, 0, detail, error);
}

gboolean
navette_db_user_add (NavetteDb   *self,
                     const char  *actor,
                     const char  *username,
                     const char  *display_name,
                     const char  *password_hash,
                     gboolean     admin,
                     GError     **error)
{
  UserOp op = { .actor = actor, .username = username, .password_hash = password_hash, .admin = admin };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_username_is_valid (username))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid user name: use 1 to 64 lowercase letters, digits, "
                   "“_”, “-” or “.”, starting with a letter or a digit.", username);
      return FALSE;
    }
  op.display_name = navette_db_title_or_name (display_name, username);
  if (!g_utf8_validate (op.display_name, -1, NULL) || g_utf8_strlen (op.display_name, -1) > 200)
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_BAD_DISPLAY_NAME,
                                    "The display name must be valid UTF-8, at most 200 characters.");
      return FALSE;
    }
  return navette_db_run (self, NAVETTE_DB_WRITE, user_add_op, &op, error);
}

gboolean
navette_db_user_set_password (NavetteDb   *self,
                              const char  *actor,
                              const char  *username,
                              const char  *password_hash,
                              GError     **error)
{
  NavetteDbUserChange change = NAVETTE_DB_USER_CHANGE_INIT;
  g_autoptr(NavetteDbUser) user = NULL;

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  change.password_hash = password_hash;
  user = navette_db_user_update (self, actor, username, &change, error);
  return user != NULL;
}

/* Runs the UPDATE @sql of @op->username with @value (?2) and now (?3). */
static gboolean
set_user_field (NavetteDbConn  *conn,
                UserOp         *op,
                NavetteDbSql    sql,
                const char     *text,
                int             flag,
                gint64          now,
                GError        **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, sql, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  if (text != NULL)
    navette_db_bind_text (stmt, 2, text);
  else
    navette_db_bind_bool (stmt, 2, flag);
  navette_db_bind_int (stmt, 3, now);
  return navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                                   "There is no user “%s”.", op->username);
}

static gboolean
end_sessions (NavetteDbConn  *conn,
              const char     *username,
              GError        **error)
{
  g_autoptr(NavetteDbStmt) end = navette_db_prepare (conn, NAVETTE_DB_SQL_USER_END_SESSIONS, error);

  if (end == NULL)
    return FALSE;
  navette_db_bind_text (end, 1, username);
  return navette_db_step_done (end, error);
}

static gboolean user_get_op (NavetteDbConn  *conn,
                             gpointer        data,
                             GError        **error);

static gboolean
user_update_op (NavetteDbConn  *conn,
                gpointer        data,
                GError        **error)
{
  UserOp *op = data;
  const NavetteDbUserChange *change = op->change;
  g_autoptr(NavetteDbUser) before = NULL;
  gint64 now = g_get_real_time ();
  gboolean end = FALSE;

  op->admin_changed = FALSE;
  if (!user_get_op (conn, op, error))
    return FALSE;
  before = g_steal_pointer (&op->user);

  if (change->display_name != NULL && g_strcmp0 (change->display_name, before->display_name) != 0)
    {
      g_autofree char *detail = g_strdup_printf ("%s: %s", op->username, change->display_name);

      if (!set_user_field (conn, op, NAVETTE_DB_SQL_USER_SET_NAME, change->display_name, 0, now, error) ||
          !navette_db_audit_add (conn, now, op->actor, "user_rename", NULL, NULL, NULL, 0, 0, detail, error))
        return FALSE;
    }
  if (change->password_hash != NULL)
    {
      g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_USER_SET_PASSWORD, error);

      if (stmt == NULL)
        return FALSE;
      navette_db_bind_text (stmt, 1, op->username);
      navette_db_bind_text (stmt, 2, change->password_hash);
      navette_db_bind_int (stmt, 3, now);
      if (!navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                                     "There is no user “%s”.", op->username) ||
          !navette_db_audit_add (conn, now, op->actor, "user_passwd", NULL, NULL, NULL, 0, 0,
                                 op->username, error))
        return FALSE;
      end = TRUE;  /* a new password ends the sessions opened with the old one */
    }
  if (change->admin >= 0 && !change->admin != !before->admin)
    {
      if (!set_user_field (conn, op, NAVETTE_DB_SQL_USER_SET_ADMIN, NULL, change->admin, now, error) ||
          !navette_db_audit_add (conn, now, op->actor, change->admin ? "user_admin" : "user_unadmin",
                                 NULL, NULL, NULL, 0, 0, op->username, error))
        return FALSE;
      op->admin_changed = TRUE;
    }
  if (change->disabled >= 0 && !change->disabled != !before->disabled)
    {
      if (!set_user_field (conn, op, NAVETTE_DB_SQL_USER_SET_DISABLED, NULL, change->disabled, now, error) ||
          !navette_db_audit_add (conn, now, op->actor, change->disabled ? "user_disable" : "user_enable",
                                 NULL, NULL, NULL, 0, 0, op->username, error))
        return FALSE;
      end = end || change->disabled;
    }
  if (end && !end_sessions (conn, op->username, error))
    return FALSE;
  /* ended sessions are told like a change of roles: the server then
   * checks the sessions of the user's open sockets again */
  op->admin_changed = op->admin_changed || end;
  return user_get_op (conn, op, error);  /* the user as she is now */
}

NavetteDbUser *
navette_db_user_update (NavetteDb                  *self,
                        const char                 *actor,
                        const char                 *username,
                        const NavetteDbUserChange  *change,
                        GError                    **error)
{
  UserOp op = { .actor = actor, .username = username, .change = change };
  NavetteDbUser *user;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (actor != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (change != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (change->display_name != NULL &&
      (change->display_name[0] == '\0' || !g_utf8_validate (change->display_name, -1, NULL) ||
       g_utf8_strlen (change->display_name, -1) > 200))
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_BAD_DISPLAY_NAME,
                                    "The display name must be valid UTF-8, 1 to 200 characters.");
      return NULL;
    }
  if (g_strcmp0 (actor, username) == 0 && (change->admin == 0 || change->disabled == 1))
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST,
                                    change->disabled == 1 ? NAVETTE_API_REASON_OWN_ACCOUNT
                                                          : NAVETTE_API_REASON_OWN_ADMIN,
                                    "%s",
                                    change->disabled == 1
                                    ? "You cannot disable your own account; ask another administrator."
                                    : "You cannot take your own administrator rights away; ask another "
                                      "administrator.");
      return NULL;
    }
  user = navette_db_run_taking (self, NAVETTE_DB_WRITE, user_update_op, &op,
                                (gpointer *) &op.user, (GDestroyNotify) navette_db_user_free, error);
  if (user != NULL && op.admin_changed)
    navette_db_committed_roles (self, username);
  return user;
}

static gboolean
user_page_op (NavetteDbConn  *conn,
              gpointer        data,
              GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_USER_PAGE, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->after);
  navette_db_bind_int (stmt, 2, (gint64) op->limit + 1);
  return navette_db_answer_list (&op->users,
                                 navette_db_collect (stmt, read_user,
                                                     (GDestroyNotify) navette_db_user_free, error));
}

GPtrArray *
navette_db_user_page (NavetteDb   *self,
                      const char  *after,
                      guint        limit,
                      char       **next,
                      GError     **error)
{
  UserOp op = { .after = after, .limit = limit > 0 ? limit : 100 };
  GPtrArray *users;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (next != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  *next = NULL;
  users = navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, user_page_op, &op,
                                 (gpointer *) &op.users, (GDestroyNotify) g_ptr_array_unref, error);
  if (users != NULL && users->len > op.limit)
    {
      g_ptr_array_set_size (users, op.limit);
      *next = g_strdup (((NavetteDbUser *) g_ptr_array_index (users, op.limit - 1))->username);
    }
  return users;
}

static gboolean
user_get_op (NavetteDbConn  *conn,
             gpointer        data,
             GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_USER_GET, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  if (!navette_db_step_row (stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                            "There is no user “%s”.", op->username))
    return FALSE;
  g_clear_pointer (&op->user, navette_db_user_free);
  op->user = read_user (stmt);
  return TRUE;
}

NavetteDbUser *
navette_db_user_get (NavetteDb   *self,
                     const char  *username,
                     GError     **error)
{
  UserOp op = { .username = username };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, user_get_op, &op,
                                (gpointer *) &op.user, (GDestroyNotify) navette_db_user_free, error);
}

static gboolean
user_list_op (NavetteDbConn  *conn,
              gpointer        data,
              GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_USER_LIST, error);

  return stmt != NULL
      && navette_db_answer_list (&op->users,
                                 navette_db_collect (stmt, read_user,
                                                     (GDestroyNotify) navette_db_user_free, error));
}

GPtrArray *
navette_db_user_list (NavetteDb  *self,
                      GError    **error)
{
  UserOp op = { 0 };
  GPtrArray *users;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  users = navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, user_list_op, &op,
                                 (gpointer *) &op.users, (GDestroyNotify) g_ptr_array_unref, error);
  if (users != NULL)
    navette_db_sort_by_name (users, G_STRUCT_OFFSET (NavetteDbUser, username));
  return users;
}

static gboolean
session_create_op (NavetteDbConn  *conn,
                   gpointer        data,
                   GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_SESSION_CREATE, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->token_hash);
  navette_db_bind_text (stmt, 2, op->username);
  navette_db_bind_int (stmt, 3, g_get_real_time ());
  navette_db_bind_int (stmt, 4, op->expires_at);
  return navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_NOT_FOUND,
                                   "There is no user “%s”.", op->username);
}

gboolean
navette_db_session_create (NavetteDb   *self,
                           const char  *username,
                           const char  *token_hash,
                           gint64       expires_at,
                           GError     **error)
{
  UserOp op = { .username = username, .token_hash = token_hash, .expires_at = expires_at };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return navette_db_run (self, NAVETTE_DB_WRITE, session_create_op, &op, error);
}

static gboolean
session_lookup_op (NavetteDbConn  *conn,
                   gpointer        data,
                   GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_SESSION_LOOKUP, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->token_hash);
  if (!navette_db_step_row (stmt, error, NAVETTE_API_ERROR_AUTH_REQUIRED,
                            "This session is unknown or was closed; sign in again."))
    return FALSE;
  g_clear_pointer (&op->user, navette_db_user_free);
  op->user = read_user (stmt);
  op->expires_at = navette_db_get_int (stmt, 7);
  return TRUE;
}

NavetteDbUser *
navette_db_session_lookup (NavetteDb   *self,
                           const char  *token_hash,
                           gint64      *expires_at,
                           GError     **error)
{
  UserOp op = { .token_hash = token_hash };
  NavetteDbUser *user;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (token_hash != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  user = navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, session_lookup_op, &op,
                                (gpointer *) &op.user, (GDestroyNotify) navette_db_user_free, error);
  if (user != NULL && expires_at != NULL)
    *expires_at = op.expires_at;
  return user;
}

static gboolean
session_revoke_op (NavetteDbConn  *conn,
                   gpointer        data,
                   GError        **error)
{
  UserOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_SESSION_REVOKE, error);

  if (stmt == NULL)
    return FALSE;
  /* A session already revoked is matched again: not an error. */
  navette_db_bind_text (stmt, 1, op->token_hash);
  return navette_db_step_changing (stmt, error, NAVETTE_API_ERROR_AUTH_REQUIRED,
                                   "This session is unknown; sign in again.");
}

gboolean
navette_db_session_revoke (NavetteDb   *self,
                           const char  *token_hash,
                           GError     **error)
{
  UserOp op = { .token_hash = token_hash };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return navette_db_run (self, NAVETTE_DB_WRITE, session_revoke_op, &op, error);
}
