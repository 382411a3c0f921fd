/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-sqlite.h — NavetteDb on SQLite, the embedded default.
 *
 * WAL journal, synchronous=FULL, foreign keys on, BEGIN IMMEDIATE for every
 * write transaction, a busy timeout (default 5000 ms). A pool of
 * connections (one per concurrent caller): readers never wait for the
 * writer. Writers of one process queue on a mutex (no busy-spinning), and
 * other processes (admin commands, the sqlite3 shell) through SQLite's own
 * lock with the busy timeout; past it a write fails with
 * NAVETTE_API_ERROR_UNAVAILABLE.
 *
 * Each application table is a real SQL table named "<app>.<table>" (always
 * quoted) with the user's columns and the version columns record_id,
 * version, obsolete, archived, updated_at, updated_by, revision; its
 * AFTER INSERT/UPDATE/DELETE triggers keep table_last_modifications. */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

#define NAVETTE_DB_SQLITE_DEFAULT_BUSY_TIMEOUT 5000

#define NAVETTE_TYPE_DB_SQLITE (navette_db_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (NavetteDbSqlite, navette_db_sqlite, NAVETTE, DB_SQLITE, NavetteDb)

/* Opens (creating the file if needed, not its directory) the database at
 * @path and checks that it can be read. UNAVAILABLE when it cannot. */
NavetteDb  *navette_db_sqlite_new               (const char      *path,
                                                 GError         **error);
const char *navette_db_sqlite_get_path          (NavetteDbSqlite *self);
/* Milliseconds a write waits for the database lock (and for the other
 * writers of this process) before failing with UNAVAILABLE. */
void        navette_db_sqlite_set_busy_timeout  (NavetteDbSqlite *self,
                                                 guint            timeout_ms);
guint       navette_db_sqlite_get_busy_timeout  (NavetteDbSqlite *self);
/* The schema version after migrate (0 before). */
gint64      navette_db_sqlite_get_schema_version (NavetteDbSqlite *self,
                                                  GError         **error);

G_END_DECLS
