/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-sqlite.h — NavetteDb on SQLite, the embedded default.
 *
 * WAL journal, synchronous=FULL, foreign keys on, BEGIN IMMEDIATE for every
 * write transaction, a busy timeout (navette_db_set_busy_timeout()). A
 * pool of connections (one per concurrent caller): readers never wait for
 * the writer. Writers of one process queue on a mutex (no busy-spinning),
 * and other processes (admin commands, the sqlite3 shell) through
 * SQLite's own lock with the busy timeout; past it a write fails with
 * NAVETTE_API_ERROR_UNAVAILABLE.
 *
 * Each application table is a real SQL table named "<app>.<table>" (always
 * quoted) with the user's columns and the version columns record_id,
 * version, obsolete, archived, updated_at, updated_by, revision; its
 * AFTER INSERT/UPDATE/DELETE triggers keep table_last_modifications. */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

/* Opens (creating the file if needed, not its directory) the database at
 * @path and checks that it can be read. UNAVAILABLE when it cannot. */
NavetteDb *navette_db_sqlite_new (const char  *path,
                                  GError     **error);

G_END_DECLS
