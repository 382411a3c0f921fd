/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-audit.c — the audit trail: one entry per change, written in
 * the transaction of the change (navette_db_audit_add(), the only writer),
 * and read by application, in id order. */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include "navette-db-private.h"

gboolean
navette_db_audit_add (NavetteDbConn  *conn,
                      gint64          now,
                      const char     *user,
                      const char     *action,
                      const char     *app,
                      const char     *table,
                      const char     *record,
                      gint64          from_version,
                      gint64          to_version,
                      const char     *detail,
                      GError        **error)
{
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_AUDIT_ADD, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_int (stmt, 1, now);
  navette_db_bind_text (stmt, 2, user != NULL ? user : "");
  navette_db_bind_text (stmt, 3, action);
  navette_db_bind_text (stmt, 4, app);
  navette_db_bind_text (stmt, 5, table);
  navette_db_bind_text (stmt, 6, record);
  navette_db_bind_version (stmt, 7, from_version);
  navette_db_bind_version (stmt, 8, to_version);
  navette_db_bind_text (stmt, 9, detail);
  return navette_db_step_done (stmt, error);
}

typedef struct
{
  const char *app;
  gint64      after;
  guint       limit;
  GPtrArray  *entries;
} AuditList;

static gpointer
read_audit_entry (NavetteDbStmt *stmt)
{
  NavetteDbAuditEntry *entry = g_new0 (NavetteDbAuditEntry, 1);

  entry->id = navette_db_get_int (stmt, 0);
  entry->at = navette_db_get_int (stmt, 1);
  entry->user = navette_db_dup_text (stmt, 2);
  entry->action = navette_db_dup_text (stmt, 3);
  entry->app = navette_db_dup_text (stmt, 4);
  entry->table = navette_db_dup_text (stmt, 5);
  entry->record = navette_db_dup_text (stmt, 6);
  entry->from_version = navette_db_get_int (stmt, 7);
  entry->to_version = navette_db_get_int (stmt, 8);
  entry->detail = navette_db_dup_text (stmt, 9);
  return entry;
}

static gboolean
audit_list_op (NavetteDbConn  *conn,
               gpointer        data,
               GError        **error)
{
  AuditList *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_AUDIT_LIST, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->app);
  navette_db_bind_int (stmt, 2, op->after);
  navette_db_bind_int (stmt, 3, op->limit);
  return navette_db_answer_list (&op->entries,
                                 navette_db_collect (stmt, read_audit_entry,
                                                     (GDestroyNotify) navette_db_audit_entry_free,
                                                     error));
}

GPtrArray *
navette_db_audit_list (NavetteDb   *self,
                       const char  *app,
                       gint64       after,
                       guint        limit,
                       GError     **error)
{
  AuditList op = { app, after, limit > 0 ? limit : 100, NULL };

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (app != NULL && !navette_db_check_app (app, error))
    return NULL;
  return navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, audit_list_op, &op,
                                (gpointer *) &op.entries, (GDestroyNotify) g_ptr_array_unref, error);
}

typedef struct
{
  const NavetteDbActivityFilter *filter;
  const char                    *apps;  /* ",a,b," or NULL */
  guint                          limit;
  GPtrArray                     *entries;
} ActivityOp;

static gboolean
activity_op (NavetteDbConn  *conn,
             gpointer        data,
             GError        **error)
{
  ActivityOp *op = data;
  const NavetteDbActivityFilter *filter = op->filter;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_ACTIVITY, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, filter->app);
  navette_db_bind_text (stmt, 2, filter->table);
  navette_db_bind_text (stmt, 3, filter->record);
  navette_db_bind_text (stmt, 4, filter->user);
  navette_db_bind_text (stmt, 5, filter->action);
  navette_db_bind_version (stmt, 6, filter->from);
  navette_db_bind_version (stmt, 7, filter->to);
  navette_db_bind_version (stmt, 8, filter->before);
  navette_db_bind_int (stmt, 9, (gint64) op->limit + 1);
  navette_db_bind_text (stmt, 10, op->apps);
  return navette_db_answer_list (&op->entries,
                                 navette_db_collect (stmt, read_audit_entry,
                                                     (GDestroyNotify) navette_db_audit_entry_free,
                                                     error));
}

GPtrArray *
navette_db_activity (NavetteDb                      *self,
                     const NavetteDbActivityFilter  *filter,
                     guint                           limit,
                     char                          **next,
                     GError                        **error)
{
  ActivityOp op = { filter, NULL, limit > 0 ? limit : 100, NULL };
  g_autofree char *apps = NULL;
  GPtrArray *entries;

  g_return_val_if_fail (NAVETTE_IS_DB (self), NULL);
  g_return_val_if_fail (filter != NULL, NULL);
  g_return_val_if_fail (next != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  *next = NULL;
  if (filter->apps != NULL)
    {
      GString *list = g_string_new (",");

      /* names of applications hold no ",": the list cannot be misread */
      for (guint i = 0; filter->apps[i] != NULL; i++)
        if (navette_name_is_valid (filter->apps[i]))
          g_string_append_printf (list, "%s,", filter->apps[i]);
      apps = g_string_free (list, FALSE);
      if (g_str_equal (apps, ","))
        return g_ptr_array_new_with_free_func ((GDestroyNotify) navette_db_audit_entry_free);
      op.apps = apps;
    }
  entries = navette_db_run_taking (self, NAVETTE_DB_AUTOCOMMIT, activity_op, &op,
                                   (gpointer *) &op.entries, (GDestroyNotify) g_ptr_array_unref, error);
  if (entries != NULL && entries->len > op.limit)
    {
      g_ptr_array_set_size (entries, op.limit);
      *next = g_strdup_printf ("%" G_GINT64_FORMAT,
                               ((NavetteDbAuditEntry *) g_ptr_array_index (entries, op.limit - 1))->id);
    }
  return entries;
}

typedef struct
{
  const char *username;
  const char *key;
  const char *request_hash;
  guint       status;
  const char *body;
  char       *stored_hash;
  char       *stored_body;
  guint       stored_status;
} AdminKeyOp;

static gboolean
admin_key_get_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  AdminKeyOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_ADMIN_KEY_GET, error);
  NavetteDbStep step;

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  navette_db_bind_text (stmt, 2, op->key);
  step = navette_db_step (stmt, error);
  if (step == NAVETTE_DB_STEP_ERROR)
    return FALSE;
  g_clear_pointer (&op->stored_hash, g_free);
  g_clear_pointer (&op->stored_body, g_free);
  op->stored_status = 0;
  if (step == NAVETTE_DB_STEP_ROW)
    {
      op->stored_hash = navette_db_dup_text (stmt, 0);
      op->stored_status = (guint) navette_db_get_int (stmt, 1);
      op->stored_body = navette_db_dup_text (stmt, 2);
    }
  return TRUE;
}

gboolean
navette_db_admin_key_get (NavetteDb   *self,
                          const char  *username,
                          const char  *key,
                          const char  *request_hash,
                          guint       *status,
                          char       **body,
                          GError     **error)
{
  AdminKeyOp op = { .username = username, .key = key };
  gboolean ok;

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (username != NULL && key != NULL && request_hash != NULL, FALSE);
  g_return_val_if_fail (status != NULL && body != NULL, FALSE);

  *status = 0;
  *body = NULL;
  ok = navette_db_run (self, NAVETTE_DB_AUTOCOMMIT, admin_key_get_op, &op, error);
  if (ok && op.stored_hash != NULL)
    {
      if (!g_str_equal (op.stored_hash, request_hash))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                               "This idempotency key was used for another request.");
          ok = FALSE;
        }
      else
        {
          *status = op.stored_status;
          *body = g_steal_pointer (&op.stored_body);
        }
    }
  g_free (op.stored_hash);
  g_free (op.stored_body);
  return ok && *status != 0;
}

static gboolean
admin_key_put_op (NavetteDbConn  *conn,
                  gpointer        data,
                  GError        **error)
{
  AdminKeyOp *op = data;
  g_autoptr(NavetteDbStmt) stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_ADMIN_KEY_PUT, error);

  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, op->username);
  navette_db_bind_text (stmt, 2, op->key);
  navette_db_bind_text (stmt, 3, op->request_hash);
  navette_db_bind_int (stmt, 4, op->status);
  navette_db_bind_text (stmt, 5, op->body);
  navette_db_bind_int (stmt, 6, g_get_real_time ());
  return navette_db_step_done (stmt, error);
}

gboolean
navette_db_admin_key_put (NavetteDb   *self,
                          const char  *username,
                          const char  *key,
                          const char  *request_hash,
                          guint        status,
                          const char  *body,
                          GError     **error)
{
  AdminKeyOp op = { .username = username, .key = key, .request_hash = request_hash,
                    .status = status, .body = body };

  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (username != NULL && key != NULL && request_hash != NULL, FALSE);

  return navette_db_run (self, NAVETTE_DB_WRITE, admin_key_put_op, &op, error);
}
