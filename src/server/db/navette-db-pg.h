/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-pg.h — NavetteDb on PostgreSQL (libpq).
 *
 * For deployments that outgrow one machine: several stateless
 * navette-server processes on one PostgreSQL database. Connections are
 * pooled (bounded, shared by the worker threads); writes to one record
 * are serialized across processes with a transaction-scoped advisory
 * lock, and table revisions are taken under the row lock of
 * table_last_modifications, so they follow commit order. The change
 * watch (navette_db_watch_changes()) is LISTEN/NOTIFY
 * (navette-db-pg-watch.h). See docs/postgresql.md. */
#pragma once

#include "navette-db.h"

G_BEGIN_DECLS

/* @url: a postgresql:// or postgres:// URL (libpq's URI syntax). Does not
 * connect: connections are opened on first use, so a database that is not
 * up yet gives UNAVAILABLE then, not here. BAD_REQUEST for a URL libpq
 * cannot parse. The pool size is NAVETTE_PG_POOL_SIZE (default 16), the
 * busy timeout (PostgreSQL's lock_timeout) NAVETTE_PG_BUSY_TIMEOUT
 * (milliseconds) when set. */
NavetteDb *navette_db_pg_new (const char  *url,
                              GError     **error);

G_END_DECLS
