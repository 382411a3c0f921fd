/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-pg.h — the PostgreSQL backend of NavetteDb (libpq).
 *
 * For deployments that outgrow one machine: several stateless
 * navette-server processes on one PostgreSQL database. Connections are
 * pooled (bounded, shared by the worker threads); writes to one record
 * are serialized across processes with a transaction-scoped advisory
 * lock, and table revisions are taken under the row lock of
 * table_last_modifications, so they follow commit order. See
 * docs/postgresql.md. */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

#define NAVETTE_DB_PG_DEFAULT_BUSY_TIMEOUT 5000

#define NAVETTE_TYPE_DB_PG (navette_db_pg_get_type ())
G_DECLARE_FINAL_TYPE (NavetteDbPg, navette_db_pg, NAVETTE, DB_PG, NavetteDb)

/* @url: a postgresql:// or postgres:// URL (libpq's URI syntax). Does not
 * connect: connections are opened on first use, so a database that is not
 * up yet gives UNAVAILABLE then, not here. BAD_REQUEST for a URL libpq
 * cannot parse. The pool size is NAVETTE_PG_POOL_SIZE (default 16), the
 * busy timeout NAVETTE_PG_BUSY_TIMEOUT (milliseconds) when set. */
NavetteDb *navette_db_pg_new              (const char   *url,
                                           GError      **error);
/* How long a statement waits for a lock held by another transaction (a
 * writer of the same record or table, perhaps in another server process,
 * or a plain-SQL session) before failing with UNAVAILABLE: PostgreSQL's
 * lock_timeout. Default NAVETTE_DB_PG_DEFAULT_BUSY_TIMEOUT ms, the same as
 * SQLite's busy timeout; `serve --busy-timeout` sets it. 0: fail at once. */
void       navette_db_pg_set_busy_timeout (NavetteDbPg  *self,
                                           guint         timeout_ms);
guint      navette_db_pg_get_busy_timeout (NavetteDbPg  *self);
/* Starts listening (on a connection of its own, reconnecting by itself)
 * for the changes committed to any table by anyone — this server, other
 * servers on the same database, plain SQL — and emits
 * NavetteDbPg::table-changed (app, table) for each, on the thread-default
 * main context of the caller (which must run it); (NULL, NULL) after
 * (re)connecting means "anything may have changed". For caches and
 * WebSocket push across server processes. Stopped when @self is disposed. */
void       navette_db_pg_watch_changes    (NavetteDbPg  *self);

typedef void (*NavetteDbPgSyncFunc) (gboolean ok,
                                     gpointer user_data);
/* Has the watch (navette_db_pg_watch_changes()) make a round trip on its
 * listening connection, then calls @func on the watch's main context
 * (call this from there): with @ok TRUE once every change committed before
 * this call has been emitted as NavetteDbPg::table-changed; FALSE when
 * that cannot be known (no watch, or its connection is down), never from
 * within this call. Round trips are pipelined: each call sends one at
 * once, whatever is out. */
void       navette_db_pg_sync_changes     (NavetteDbPg         *self,
                                           NavetteDbPgSyncFunc  func,
                                           gpointer             user_data);

G_END_DECLS
