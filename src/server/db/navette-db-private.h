/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-private.h — what the files of the storage core share:
 *
 *   navette-db.c          the object, running an operation (attempts,
 *                         transactions), statements, migrations, the
 *                         change notification and busy timeout, purge
 *   navette-db-users.c    users and sessions
 *   navette-db-grants.c   roles: the versioned grants
 *   navette-db-schema.c   applications, tables, columns, the light check
 *   navette-db-records.c  content tables, records, idempotency, the JSON
 *                         row writer
 *   navette-db-audit.c    the audit trail
 *
 * Not included by the backends (they see navette-db-driver.h only). */
#pragma once

#include <json-glib/json-glib.h>

#include "navette-db-driver.h"

G_BEGIN_DECLS

/* ---- running an operation ---- */

/* One attempt of an operation, in the open transaction of @conn. It may
 * run again (a retried attempt): it sets what it answers only at its end,
 * replacing what an earlier attempt left. */
typedef gboolean (*NavetteDbOp) (NavetteDbConn  *conn,
                                 gpointer        data,
                                 GError        **error);

/* Runs @op in a transaction of @txn, again when the driver says the
 * failure is worth retrying (a bounded number of times). */
gboolean navette_db_run         (NavetteDb       *self,
                                 NavetteDbTxn     txn,
                                 NavetteDbOp      op,
                                 gpointer         data,
                                 GError         **error);
/* navette_db_run() for an operation that leaves its answer in *@out:
 * returns it, or NULL after freeing with @free_out what was left there. */
gpointer navette_db_run_taking  (NavetteDb       *self,
                                 NavetteDbTxn     txn,
                                 NavetteDbOp      op,
                                 gpointer         data,
                                 gpointer        *out,
                                 GDestroyNotify   free_out,
                                 GError         **error);
/* The attempt found a row changed under it: FALSE, with the busy error,
 * and the attempt is made again. */
gboolean navette_db_lost_race   (NavetteDbConn   *conn,
                                 GError         **error);
gboolean navette_db_lock_record (NavetteDbConn   *conn,
                                 gint64           space,
                                 const char      *key,
                                 GError         **error);
gboolean navette_db_exec        (NavetteDbConn   *conn,
                                 const char      *script,
                                 GError         **error);

/* ---- statements ---- */

NavetteDbStmt *navette_db_prepare      (NavetteDbConn *conn,
                                        NavetteDbSql   sql,
                                        GError       **error);
NavetteDbStmt *navette_db_prepare_text (NavetteDbConn *conn,
                                        const char    *text,
                                        GError       **error);
/* Resets @stmt for its next use (g_autoptr does it). */
void           navette_db_stmt_release (NavetteDbStmt *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbStmt, navette_db_stmt_release)

static inline void
navette_db_bind_text (NavetteDbStmt *stmt, int index, const char *value)
{
  stmt->klass->bind_text (stmt, index, value);
}

static inline void
navette_db_bind_int (NavetteDbStmt *stmt, int index, gint64 value)
{
  stmt->klass->bind_int (stmt, index, value);
}

static inline void
navette_db_bind_bool (NavetteDbStmt *stmt, int index, gboolean value)
{
  stmt->klass->bind_bool (stmt, index, value);
}

/* @value when @has, else NULL. */
static inline void
navette_db_bind_bound (NavetteDbStmt *stmt, int index, gboolean has, double value)
{
  if (has)
    stmt->klass->bind_double (stmt, index, value);
  else
    stmt->klass->bind_text (stmt, index, NULL);
}

/* A positive version, or NULL for 0 (none). */
static inline void
navette_db_bind_version (NavetteDbStmt *stmt, int index, gint64 version)
{
  if (version > 0)
    stmt->klass->bind_int (stmt, index, version);
  else
    stmt->klass->bind_text (stmt, index, NULL);
}

static inline NavetteDbStep
navette_db_step (NavetteDbStmt *stmt, GError **error)
{
  return stmt->klass->step (stmt, error);
}

static inline gboolean
navette_db_is_null (NavetteDbStmt *stmt, int column)
{
  return stmt->klass->is_null (stmt, column);
}

static inline gint64
navette_db_get_int (NavetteDbStmt *stmt, int column)
{
  return stmt->klass->get_int (stmt, column);
}

static inline gboolean
navette_db_get_bool (NavetteDbStmt *stmt, int column)
{
  return stmt->klass->get_bool (stmt, column);
}

static inline gint64
navette_db_get_usec (NavetteDbStmt *stmt, int column)
{
  return stmt->klass->get_usec (stmt, column);
}

static inline const char *
navette_db_get_text (NavetteDbStmt *stmt, int column)
{
  return stmt->klass->get_text (stmt, column);
}

static inline char *
navette_db_dup_text (NavetteDbStmt *stmt, int column)
{
  return g_strdup (stmt->klass->get_text (stmt, column));
}

/* Runs @stmt, a write, to its end. */
gboolean   navette_db_step_done     (NavetteDbStmt  *stmt,
                                     GError        **error);
/* Steps @stmt to its first row: FALSE with @error set when that fails,
 * or when there is no row, to a NAVETTE_API_ERROR @code and @format. */
gboolean   navette_db_step_row      (NavetteDbStmt  *stmt,
                                     GError        **error,
                                     NavetteApiError code,
                                     const char     *format,
                                     ...) G_GNUC_PRINTF (4, 5);
/* Runs @stmt, a write: FALSE with @error set when that fails, or when it
 * changed no row, to a NAVETTE_API_ERROR @code and @format. */
gboolean   navette_db_step_changing (NavetteDbStmt  *stmt,
                                     GError        **error,
                                     NavetteApiError code,
                                     const char     *format,
                                     ...) G_GNUC_PRINTF (4, 5);

/* Runs @stmt, a write that must change exactly one row: when it changed
 * none, someone outside the server (plain SQL) got there first, and the
 * attempt is lost (navette_db_lost_race()). */
gboolean   navette_db_step_once     (NavetteDbConn  *conn,
                                     NavetteDbStmt  *stmt,
                                     GError        **error);

typedef gpointer (*NavetteDbReadRow) (NavetteDbStmt *stmt);

/* Steps @stmt through its rows, making an item of each with @read_row:
 * the items, or NULL with @error when a step fails. */
GPtrArray *navette_db_collect       (NavetteDbStmt   *stmt,
                                     NavetteDbReadRow read_row,
                                     GDestroyNotify   free_item,
                                     GError         **error);

/* An operation's answer: @list (NULL: the step failed, FALSE) replaces
 * what an earlier attempt left in *@out. */
static inline gboolean
navette_db_answer_list (GPtrArray **out,
                        GPtrArray  *list)
{
  if (list == NULL)
    return FALSE;
  g_clear_pointer (out, g_ptr_array_unref);
  *out = list;
  return TRUE;
}

/* ---- checks and messages the operations share ---- */

gboolean   navette_db_not_found        (GError     **error,
                                        const char  *message);
/* NOT_FOUND "No such application." unless @app is a name. */
gboolean   navette_db_check_app        (const char  *app,
                                        GError     **error);
/* NOT_FOUND "No such table." unless both are names. */
gboolean   navette_db_check_app_table  (const char  *app,
                                        const char  *table,
                                        GError     **error);
/* BAD_REQUEST unless @name is a name; @what: "application", "table", … */
gboolean   navette_db_check_name       (const char  *name,
                                        const char  *what,
                                        GError     **error);
/* BAD_REQUEST unless @title is NULL or valid UTF-8 of at most 200 characters. */
gboolean   navette_db_check_title      (const char  *title,
                                        GError     **error);
/* @title, or @name when it is NULL or empty. */
const char *navette_db_title_or_name   (const char  *title,
                                        const char  *name);
/* Sorts an array of structs by their char* member at @offset. */
void       navette_db_sort_by_name     (GPtrArray   *items,
                                        gsize        offset);

/* ---- change notification (navette-db.c) ---- */

/* A write of @app's schema, or of @username's grants, committed through
 * this object: emits ::schema-changed or ::roles-changed at once, in the
 * calling thread. Called by the public operation after navette_db_run()
 * succeeded, and only when it wrote. */
void       navette_db_committed_schema (NavetteDb   *self,
                                        const char  *app);
void       navette_db_committed_roles  (NavetteDb   *self,
                                        const char  *username);

/* ---- the audit trail (navette-db-audit.c) ---- */

/* Writes one audit entry in the open write transaction: @record and the
 * versions are those of a record write (0: none); @detail is free text. */
gboolean   navette_db_audit_add        (NavetteDbConn  *conn,
                                        gint64          now,
                                        const char     *user,
                                        const char     *action,
                                        const char     *app,
                                        const char     *table,
                                        const char     *record,
                                        gint64          from_version,
                                        gint64          to_version,
                                        const char     *detail,
                                        GError        **error);

/* ---- content tables (navette-db-records.c) ---- */

/* The table, its schema and its statements' common select: NOT_FOUND
 * "No such table." when there is none, or when it (or its application)
 * is archived. */
NavetteDbTable *navette_db_table_load  (NavetteDbConn  *conn,
                                        const char     *app,
                                        const char     *table,
                                        GError        **error);
/* The same, archived or not (the admin operations). */
NavetteDbTable *navette_db_table_load_any (NavetteDbConn  *conn,
                                           const char     *app,
                                           const char     *table,
                                           GError        **error);
/* Binds @node, a value of @column (validated, or null), to @index. */
void            navette_db_bind_value  (NavetteDbStmt           *stmt,
                                        int                      index,
                                        const NavetteWireColumn *column,
                                        JsonNode                *node);
/* *@count: the current versions of @table's records whose value of
 * @column (as it is stored) does not fit @column (a column of the same
 * name with other constraints), by navette_wire_column_problem(). */
gboolean        navette_db_count_misfits (NavetteDbConn            *conn,
                                          NavetteDbTable           *table,
                                          const NavetteWireColumn  *column,
                                          gint64                   *count,
                                          GError                  **error);
/* Writes @value into @column of the current versions of @table's records. */
gboolean        navette_db_set_current_value (NavetteDbConn            *conn,
                                              NavetteDbTable           *table,
                                              const NavetteWireColumn  *column,
                                              JsonNode                 *value,
                                              GError                  **error);
/* A table's row of content_columns in a result (from column @first on:
 * name, title, type, required, max_length, choices, min_value,
 * max_value), added to @columns. */
void            navette_db_add_column_from_row (GPtrArray     *columns,
                                                NavetteDbStmt *stmt,
                                                int            first);
void            navette_db_table_free  (NavetteDbTable  *table);
/* A choice column's choices as content_columns.choices holds them (a
 * JSON array of strings), and back; NULL for NULL. */
char           *navette_db_choices_to_text   (char           **choices);
char          **navette_db_choices_from_text (const char      *text);

/* The current version of @id (@version 0), or that version: NULL without
 * error when there is none (navette-db-records.c). */
NavetteWireRecord *navette_db_fetch_record (NavetteDbConn   *conn,
                                            NavetteDbTable  *table,
                                            const char      *id,
                                            gint64           version,
                                            GError         **error);
/* One row of table->select (positioned on a row) as
 * navette_wire_record_append_json writes the record read from it, without
 * "obsolete" (navette-db-row-json.c). */
void            navette_db_append_row_json (NavetteDbTable *table,
                                            NavetteDbStmt  *stmt,
                                            GString        *out);
/* Idempotency keys of record writes (navette-db-idempotency.c). Lookup:
 * FALSE with @error on failure, or CONFLICT when the key was used for
 * another request; else TRUE, and *@replay is the answer given then, or
 * NULL when the key is new (or none is given). Store: keeps @result as
 * the answer to the key's request. */
gboolean        navette_db_idem_lookup (NavetteDbConn               *conn,
                                        const char                  *user,
                                        const NavetteDbIdempotency  *idem,
                                        NavetteDbWriteResult       **replay,
                                        GError                     **error);
gboolean        navette_db_idem_store  (NavetteDbConn               *conn,
                                        const char                  *user,
                                        const NavetteDbIdempotency  *idem,
                                        NavetteDbTable              *table,
                                        NavetteDbWriteResult        *result,
                                        gint64                       now,
                                        GError                     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbTable, navette_db_table_free)

G_END_DECLS
