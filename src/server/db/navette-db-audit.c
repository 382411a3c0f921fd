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
