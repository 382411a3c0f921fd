/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-idempotency.c — the idempotency keys of record writes: a
 * key names one request of one user; a replay with the same request gets
 * the answer given then, another request with the key a CONFLICT
 * (navette-db-records.c calls these inside its write transactions). */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include <string.h>

#include "navette-db-private.h"

/* Stored with a key, so that a replay answers what the first request
 * answered: "4,5", or NULL for none. */
static char *
superseded_to_string (GArray *superseded)
{
  GString *text;

  if (superseded == NULL || superseded->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < superseded->len; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            g_array_index (superseded, gint64, i));
  return g_string_free (text, FALSE);
}

static GArray *
superseded_from_string (const char *text)
{
  g_auto(GStrv) parts = NULL;
  GArray *superseded;

  if (text == NULL || *text == '\0')
    return NULL;
  parts = g_strsplit (text, ",", -1);
  superseded = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 version = g_ascii_strtoll (parts[i], NULL, 10);

      g_array_append_val (superseded, version);
    }
  return superseded;
}

static gboolean
idem_used (const NavetteDbIdempotency *idem)
{
  return idem != NULL && idem->key != NULL;
}

/* Looks the key up: FALSE with @error on failure, or CONFLICT when it was
 * used for another request; else TRUE, and *@replay is the answer given
 * then, or NULL when the key is new. */
gboolean
navette_db_idem_lookup (NavetteDbConn               *conn,
                        const char                  *user,
                        const NavetteDbIdempotency  *idem,
                        NavetteDbWriteResult       **replay,
                        GError                     **error)
{
  g_autoptr(NavetteDbStmt) stmt = NULL;
  g_autoptr(NavetteDbTable) table = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autofree char *app = NULL;
  g_autofree char *name = NULL;
  g_autofree char *record_id = NULL;
  gint64 version;
  NavetteDbStep step;

  *replay = NULL;
  if (!idem_used (idem))
    return TRUE;
  stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_IDEM_GET, error);
  if (stmt == NULL)
    return FALSE;
  navette_db_bind_text (stmt, 1, user);
  navette_db_bind_text (stmt, 2, idem->key);
  step = navette_db_step (stmt, error);
  if (step != NAVETTE_DB_STEP_ROW)
    return step == NAVETTE_DB_STEP_DONE;
  if (g_strcmp0 (navette_db_get_text (stmt, 0), idem->request_hash != NULL ? idem->request_hash : "") != 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_CONFLICT,
                           "This Idempotency-Key was already used for another request.");
      return FALSE;
    }

  app = navette_db_dup_text (stmt, 1);
  name = navette_db_dup_text (stmt, 2);
  record_id = navette_db_dup_text (stmt, 3);
  version = navette_db_get_int (stmt, 4);
  result = g_new0 (NavetteDbWriteResult, 1);
  result->created = navette_db_get_bool (stmt, 5);
  result->replayed = TRUE;
  result->superseded = superseded_from_string (navette_db_get_text (stmt, 6));
  g_clear_pointer (&stmt, navette_db_stmt_release);

  table = navette_db_table_load (conn, app, name, error);
  if (table == NULL)
    return FALSE;
  result->record = navette_db_fetch_record (conn, table, record_id, version, error);
  if (result->record == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_INTERNAL,
                             "The version this request wrote is missing.");
      return FALSE;
    }
  result->record->obsolete = FALSE;
  *replay = g_steal_pointer (&result);
  return TRUE;
}

gboolean
navette_db_idem_store (NavetteDbConn               *conn,
                       const char                  *user,
                       const NavetteDbIdempotency  *idem,
                       NavetteDbTable              *table,
                       NavetteDbWriteResult        *result,
                       gint64                       now,
                       GError                     **error)
{
  g_autoptr(NavetteDbStmt) stmt = NULL;
  g_autofree char *superseded = NULL;

  if (!idem_used (idem))
    return TRUE;
  stmt = navette_db_prepare (conn, NAVETTE_DB_SQL_IDEM_PUT, error);
  if (stmt == NULL)
    return FALSE;
  superseded = superseded_to_string (result->superseded);
  navette_db_bind_text (stmt, 1, user);
  navette_db_bind_text (stmt, 2, idem->key);
  navette_db_bind_text (stmt, 3, idem->request_hash != NULL ? idem->request_hash : "");
  navette_db_bind_text (stmt, 4, table->app);
  navette_db_bind_text (stmt, 5, table->schema->name);
  navette_db_bind_text (stmt, 6, result->record->id);
  navette_db_bind_int (stmt, 7, result->record->version);
  navette_db_bind_bool (stmt, 8, result->created);
  navette_db_bind_text (stmt, 9, superseded);
  navette_db_bind_int (stmt, 10, now);
  /* On PostgreSQL, a concurrent request with the same key makes this a
   * unique violation: the attempt is made again, and becomes a replay. */
  return navette_db_step_done (stmt, error);
}
