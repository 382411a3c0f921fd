/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-pg.h — libpq for the tests that read or write a PostgreSQL
 * database behind the server's back (plain SQL, as an import or another
 * program would). Header-only, for the programs that link libpq; every
 * call fails the test on an error. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

static inline PGconn *
navette_test_pg_connect (const char *url)
{
  PGconn *conn = PQconnectdb (url);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to %s: %s", url, PQerrorMessage (conn));
  return conn;
}

/* Runs @sql (a command, or a query whose rows are dropped). */
static inline void
navette_test_pg_exec (PGconn     *conn,
                      const char *sql)
{
  g_autoptr(PGresult) res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
}

/* The one value (one row, first column) @sql returns. */
static inline char *
navette_test_pg_value (PGconn     *conn,
                       const char *sql)
{
  g_autoptr(PGresult) res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  g_assert_cmpint (PQntuples (res), ==, 1);
  return g_strdup (PQgetvalue (res, 0, 0));
}

/* The name of the SQL table that holds catalogue/products' rows. */
static inline char *
navette_test_pg_products_table (PGconn *conn)
{
  return navette_test_pg_value (conn,
                                "SELECT t.sql_name FROM content_tables t JOIN applications a ON a.id = t.app_id "
                                "WHERE a.name = 'catalogue' AND t.name = 'products'");
}

G_END_DECLS
