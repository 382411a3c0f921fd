/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-sqlite-watch.h — the change watch of the SQLite backend.
 *
 * Nothing tells a process of what others commit to an SQLite file, so
 * NavetteDbSqliteWatch looks for it itself, every @interval_ms
 * (NAVETTE_DB_SQLITE_WATCH_MS): on a connection of its own, PRAGMA
 * data_version says whether any other connection — of this process,
 * another server process, an admin command, plain SQL — committed since
 * its last look (a few microseconds, no lock taken). Only then does it
 * read, in one snapshot, the revisions of table_last_modifications and of
 * schema_revisions and, when the grants' revision moved, the current
 * grants; and it emits ::changed (kind, name, table), a NavetteDbChange,
 * for each difference with its last look: TABLE (app, table), SCHEMA
 * (app), ROLES (username). The first look only records (a baseline),
 * and then emits ANY: from then on, nothing is missed.
 *
 * The looks run in a worker thread, one at a time; the signal is emitted
 * on the thread-default main context of navette_db_sqlite_watch_new()
 * (which must run it). Used by NavetteDbSqlite only. */
#pragma once

#include "navette-db-watch.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_DB_SQLITE_WATCH (navette_db_sqlite_watch_get_type ())
G_DECLARE_FINAL_TYPE (NavetteDbSqliteWatch, navette_db_sqlite_watch, NAVETTE, DB_SQLITE_WATCH,
                      NavetteDbWatch)

/* Takes its baseline at once, then looks every @interval_ms. Stopped
 * (navette_db_watch_stop()), it looks no more; a look under way is
 * forgotten. */
NavetteDbSqliteWatch *navette_db_sqlite_watch_new  (const char           *path,
                                                    guint                 interval_ms);

G_END_DECLS
