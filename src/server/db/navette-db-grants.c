/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-grants.c — roles: the grants are content, a versioned table
 * with one record per (user, application), kept like any content table
 * (its changes move table_last_modifications '_navette.role_grants'). A
 * revocation is a new version with no role, archived. Once a new version
 * is committed, ::roles-changed tells of it (set_role()); writes by
 * others are found by the change watch. */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include "navette-db-private.h"

/* The per-record lock space of grants (content tables' ids start at 1). */
#define GRANTS_LOCK_SPACE 0

typedef struct
{
  const char *actor;
  const char *username;
  const char *app;
  const char *role;   /* NULL: revoke */
  GHashTable *roles;
  gboolean    wrote;  /* a new version was written */
  const char *action; /* of the audit entry: NULL for grant / revoke */
  gint64      version;
  GPtrArray  *grants;
} RoleOp;

static gboolean
roles_for_user_op (NavetteDbConn  *conn,
                   gpointer        data,
                   GError        **error)
{
  RoleOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_ROLES_FOR_USER, error);
  g_autoptr(GHashTable) roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  NavetteDbStep step;

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  while ((step = navette_db_step (stmt, error)) == NAVETTE_DB_STEP_ROW)
    g_hash_table_insert (roles, navette_db_dup_text (stmt, 0), navette_db_dup_text (stmt, 1));
  if (step != NAVETTE_DB_STEP_DONE)
    return FALSE;
  g_clear_pointer (&op->roles, g_hash_table_unref);
  op->roles = g_steal_pointer (&roles);
  return TRUE;
}

GHashTable *
navette_db_roles_for_user (NavetteDb   *self,
                           const char  *username,
                           GError     **error)
{
  RoleOp op = { .username = username };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, roles_for_user_op, &op,
                                (gpointer *) &op.roles, (GDestroyNotify) g_hash_table_unref, error);
}

/* NOT_FOUND unless the user and the application exist. */
static gboolean
check_user_and_app (NavetteDbConn  *conn,
                    RoleOp         *op,
                    GError        **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_GRANT_CHECK, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  navette_db_bind_text (stmt, 2, op->app);
  if (!navette_db_step_row (stmt, error, NAVETTE_API_ERROR_INTERNAL, "No answer."))
    return FALSE;
  if (navette_db_get_int (stmt, 0) == 0)
    g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                 "There is no user “%s”.", op->username);
  else if (navette_db_get_int (stmt, 1) == 0)
    g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                 "There is no application “%s”.", op->app);
  else
    return TRUE;
  return FALSE;
}

/* Writes the next version of the (user, app) grant: op->role NULL revokes;
 * the role she has already writes nothing. */
static gboolean
set_role_op (NavetteDbConn  *conn,
             gpointer        data,
             GError        **error)
{
  RoleOp *op = data;
  g_autofree char *key = g_strdup_printf ("%s/%s", op->username, op->app);
  g_autoptr(NavetteDbStmt) current = NULL;
  g_autoptr(NavetteDbStmt) insert = NULL;
  g_autofree char *record_id = NULL;
  g_autofree char *old_role = NULL;
  g_autofree char *detail = NULL;
  gint64 version = 0;
  gint64 now = g_get_real_time ();
  NavetteDbStep step;

  op->wrote = FALSE;
  if (!check_user_and_app (conn, op, error) ||
      !navette_db_lock_record (conn, GRANTS_LOCK_SPACE, key, error))
    return FALSE;

  current = navette_db_prepare (conn, NAVETTE_DB_SQL_GRANT_CURRENT, error);
  if (current == NULL)
    return FALSE;
  navette_db_bind_text (current, 1, op->username);
  navette_db_bind_text (current, 2, op->app);
  step = navette_db_step (current, error);
  if (step == NAVETTE_DB_STEP_ERROR)
    return FALSE;
  if (step == NAVETTE_DB_STEP_ROW)
    {
      record_id = navette_db_dup_text (current, 0);
      version = navette_db_get_int (current, 1);
      old_role = navette_db_dup_text (current, 2);
    }
  g_clear_pointer (&current, navette_db_stmt_release);

  if (g_strcmp0 (old_role, op->role) == 0)
    {
      if (op->role != NULL || op->action != NULL)
        return TRUE;  /* nothing changes: no new version */
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                   "“%s” has no role in “%s”.", op->username, op->app);
      return FALSE;
    }

  if (record_id != NULL)
    {
      g_autoptr(NavetteDbStmt) obsolete = navette_db_prepare (conn, NAVETTE_DB_SQL_GRANT_OBSOLETE, error);

      if (obsolete == NULL)
        return FALSE;
      navette_db_bind_text (obsolete, 1, record_id);
      navette_db_bind_int (obsolete, 2, version);
      if (!navette_db_step_once (conn, obsolete, error))
        return FALSE;
    }
  else
    record_id = navette_uuid_new ();

  insert = navette_db_prepare (conn, NAVETTE_DB_SQL_GRANT_INSERT, error);
  if (insert == NULL)
    return FALSE;
  navette_db_bind_text (insert, 1, record_id);
  navette_db_bind_int (insert, 2, version + 1);
  navette_db_bind_bool (insert, 3, op->role == NULL);
  navette_db_bind_text (insert, 4, op->actor);
  navette_db_bind_text (insert, 5, op->username);
  navette_db_bind_text (insert, 6, op->app);
  navette_db_bind_text (insert, 7, op->role);
  navette_db_bind_int (insert, 8, now);
  if (!navette_db_step_done (insert, error))
    return FALSE;

  if (op->role != NULL)
    detail = g_strdup_printf ("%s: %s", op->username, op->role);
  else
    detail = g_strdup_printf ("%s (was %s)", op->username, old_role);
  if (!navette_db_audit_add (conn, now, op->actor,
                             op->action != NULL ? op->action : op->role != NULL ? "grant" : "revoke", op->app,
                             NULL, record_id, version, version + 1, detail, error))
    return FALSE;
  op->wrote = TRUE;
  return TRUE;
}

/* Runs set_role_op(); once a new version is committed, tells of it
 * (::roles-changed, so that the user's open clients hear of it). */
static gboolean
set_role (NavetteDb  *self,
          RoleOp     *op,
          GError    **error)
{
  if (!navette_db_run (self, NAVETTE_DB_WRITE, set_role_op, op, error))
    return FALSE;
  if (op->wrote)
    navette_db_committed_roles (self, op->username);
  return TRUE;
}

gboolean
navette_db_grant (NavetteDb   *self,
                  const char  *actor,
                  const char  *username,
                  const char  *app,
                  const char  *role,
                  GError     **error)
{
  RoleOp op = { .actor = actor, .username = username, .app = app, .role = role };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (role != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_str_equal (role, "reader") && !g_str_equal (role, "editor"))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a role: use “reader” or “editor”.", role);
      return FALSE;
    }
  return set_role (self, &op, error);
}

gboolean
navette_db_revoke (NavetteDb   *self,
                   const char  *actor,
                   const char  *username,
                   const char  *app,
                   GError     **error)
{
  RoleOp op = { .actor = actor, .username = username, .app = app, .role = NULL };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return set_role (self, &op, error);
}

/* The columns of GRANT_LIST and GRANT_VERSIONS. */
static gpointer
read_grant (NavetteDbStmt *stmt)
{
  NavetteDbGrant *grant = g_new0 (NavetteDbGrant, 1);

  grant->user = navette_db_dup_text (stmt, 0);
  grant->app = navette_db_dup_text (stmt, 1);
  grant->role = navette_db_dup_text (stmt, 2);
  grant->version = navette_db_get_int (stmt, 3);
  grant->obsolete = navette_db_get_bool (stmt, 4);
  grant->updated_at = navette_db_get_usec (stmt, 5);
  grant->updated_by = navette_db_dup_text (stmt, 6);
  return grant;
}

static gboolean
grant_list_op (NavetteDbConn  *conn,
               gpointer        data,
               GError        **error)
{
  RoleOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_GRANT_LIST, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->app);
  navette_db_bind_text (stmt, 2, op->username);
  return navette_db_answer_list (&op->grants,
                                 navette_db_collect (stmt, read_grant,
                                                     (GDestroyNotify) navette_db_grant_free, error));
}

GPtrArray *
navette_db_grant_list (NavetteDb   *self,
                       const char  *app,
                       const char  *username,
                       GError     **error)
{
  RoleOp op = { .app = app, .username = username };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, grant_list_op, &op,
                                (gpointer *) &op.grants, (GDestroyNotify) g_ptr_array_unref, error);
}

static gboolean
grant_versions_op (NavetteDbConn  *conn,
                   gpointer        data,
                   GError        **error)
{
  RoleOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_GRANT_VERSIONS, error);
  GPtrArray *grants;

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  navette_db_bind_text (stmt, 2, op->app);
  grants = navette_db_collect (stmt, read_grant, (GDestroyNotify) navette_db_grant_free, error);
  if (grants != NULL && grants->len == 0)
    {
      g_ptr_array_unref (grants);
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                   "“%s” never had a role in “%s”.", op->username, op->app);
      return FALSE;
    }
  return navette_db_answer_list (&op->grants, grants);
}

GPtrArray *
navette_db_grant_versions (NavetteDb   *self,
                           const char  *app,
                           const char  *username,
                           GError     **error)
{
  RoleOp op = { .app = app, .username = username };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, grant_versions_op, &op,
                                (gpointer *) &op.grants, (GDestroyNotify) g_ptr_array_unref, error);
}

/* Writes a version with the role of op->version (set_role_op() under an
 * audit action of its own), then reads the versions back: op->grants. */
static gboolean
grant_revert_op (NavetteDbConn  *conn,
                 gpointer        data,
                 GError        **error)
{
  RoleOp *op = data;
  g_autoptr(GPtrArray) versions = NULL;
  const NavetteDbGrant *target = NULL;
  g_autofree char *role = NULL;

  if (!grant_versions_op (conn, op, error))
    return FALSE;
  versions = g_steal_pointer (&op->grants);
  for (guint i = 0; i < versions->len; i++)
    {
      const NavetteDbGrant *grant = g_ptr_array_index (versions, i);

      if (grant->version == op->version)
        target = grant;
    }
  if (target == NULL)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                   "The grant of “%s” in “%s” has no version %" G_GINT64_FORMAT ".",
                   op->username, op->app, op->version);
      return FALSE;
    }
  role = g_strdup (target->role);
  op->role = role;
  if (!set_role_op (conn, op, error))
    return FALSE;
  op->role = NULL;
  return grant_versions_op (conn, op, error);
}

NavetteDbGrant *
navette_db_grant_revert (NavetteDb   *self,
                         const char  *actor,
                         const char  *app,
                         const char  *username,
                         gint64       version,
                         GError     **error)
{
  RoleOp op = { .actor = actor, .username = username, .app = app, .action = "grant_revert",
                .version = version };
  g_autoptr(GPtrArray) versions = NULL;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (actor != NULL, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  versions = navette_db_run_taking (self, NAVETTE_DB_WRITE, grant_revert_op, &op,
                                    (gpointer *) &op.grants, (GDestroyNotify) g_ptr_array_unref, error);
  if (versions == NULL)
    return NULL;
  if (op.wrote)
    navette_db_committed_roles (self, username);
  return g_ptr_array_steal_index (versions, 0);
}
