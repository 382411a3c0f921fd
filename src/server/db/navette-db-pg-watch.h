/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-pg-watch.h — the change watch of the PostgreSQL backend.
 *
 * NavetteDbPgWatch LISTENs on 'navette_changes' on a connection of its
 * own (reconnecting by itself, with a back-off) and emits ::changed
 * (kind, name, table), a NavetteDbChange, for each change committed by
 * anyone — this server, other servers on the same database, plain SQL —
 * to a table (TABLE, app, table), to an application's schema (SCHEMA,
 * app) or to a user's grants (ROLES, username); (ANY, NULL, NULL) after
 * (re)connecting: anything may have changed. Its "have I seen every
 * change committed before now" is a round trip on that connection.
 *
 * Everything runs on the thread-default main context of
 * navette_db_pg_watch_new() (which must run it): the connection is
 * non-blocking and read by a source there, so a round trip is answered
 * without any thread hop. Only connecting (which blocks, up to
 * connect_timeout) is done in a thread. Used by NavetteDbPg only. */
#pragma once

#include "navette-db-watch.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_DB_PG_WATCH (navette_db_pg_watch_get_type ())
G_DECLARE_FINAL_TYPE (NavetteDbPgWatch, navette_db_pg_watch, NAVETTE, DB_PG_WATCH, NavetteDbWatch)

/* Starts connecting to @url at once. Stopped (navette_db_watch_stop()),
 * it closes the connection, and every sync still waiting is answered
 * FALSE before that returns. */
NavetteDbPgWatch *navette_db_pg_watch_new        (const char        *url);
/* navette_db_sync_changes(): @func (TRUE) once every change committed
 * before this call has been emitted, FALSE when that cannot be known
 * (the connection is down); never from within this call. The calls made
 * before the main context next goes idle share one round trip, and round
 * trips are pipelined. */
void              navette_db_pg_watch_sync       (NavetteDbPgWatch  *self,
                                                  NavetteDbSyncFunc  func,
                                                  gpointer           user_data);
/* @func (FALSE) from an idle of the thread-default main context. */
void              navette_db_pg_watch_fail_later (NavetteDbSyncFunc  func,
                                                  gpointer           user_data);

G_END_DECLS
