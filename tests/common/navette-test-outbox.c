/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "navette-test-outbox.h"

char *
navette_test_outbox_dump (const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GString *out;
  int rc;

  /* Never created here: a missing database is "no outbox yet". */
  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 30000);
  if (sqlite3_prepare_v2 (db, "SELECT entry FROM outbox ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return NULL;
    }
  out = g_string_new (NULL);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_string_append (out, (const char *) sqlite3_column_text (stmt, 0));
      g_string_append_c (out, '\n');
    }
  if (rc != SQLITE_DONE)
    g_error ("reading the outbox of %s: %s", db_path, sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

void
navette_test_outbox_restore (const char *db_path,
                             const char *dump)
{
  g_auto(GStrv) lines = g_strsplit (dump, "\n", -1);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    g_error ("cannot open %s: %s", db_path, sqlite3_errmsg (db));
  sqlite3_busy_timeout (db, 30000);
  if (sqlite3_exec (db, "BEGIN IMMEDIATE; DELETE FROM outbox", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO outbox (key, entry) VALUES (json_extract (?1, '$.key'), ?1)",
                          -1, &stmt, NULL) != SQLITE_OK)
    g_error ("writing the outbox of %s: %s", db_path, sqlite3_errmsg (db));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      sqlite3_bind_text (stmt, 1, lines[i], -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("writing the outbox of %s: %s", db_path, sqlite3_errmsg (db));
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    g_error ("writing the outbox of %s: %s", db_path, sqlite3_errmsg (db));
  sqlite3_close (db);
}
