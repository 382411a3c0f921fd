/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-pg.h — libpq for the tests that read or write a PostgreSQL
 * database behind the server's back (plain SQL, as an import or another
 * program would). Header-only, for the programs that link libpq; every
 * call fails the test on an error. */
#pragma once

#include <string.h>
#include <unistd.h>
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

/* A fresh database on the throwaway cluster NAVETTE_TEST_PG_URL names
 * (set), called @prefix_PID_N: its name, and its URL in @url. */
static inline char *
navette_test_pg_database_new (const char  *prefix,
                              char       **url)
{
  static gint counter;
  const char *cluster = g_getenv ("NAVETTE_TEST_PG_URL");
  const char *slash = cluster != NULL ? strrchr (cluster, '/') : NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autofree char *sql = NULL;
  char *name;

  g_assert_nonnull (slash);
  conn = navette_test_pg_connect (cluster);
  name = g_strdup_printf ("%s_%d_%d", prefix, (int) getpid (), g_atomic_int_add (&counter, 1));
  sql = g_strdup_printf ("CREATE DATABASE %s", name);
  navette_test_pg_exec (conn, sql);
  *url = g_strdup_printf ("%.*s/%s", (int) (slash - cluster), cluster, name);
  return name;
}

/* Drops the database @name of that cluster, closing its connections. */
static inline void
navette_test_pg_database_drop (const char *name)
{
  g_autoptr(PGconn) conn = navette_test_pg_connect (g_getenv ("NAVETTE_TEST_PG_URL"));
  g_autofree char *sql = g_strdup_printf ("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);

  navette_test_pg_exec (conn, sql);
}

/* The name of the SQL table that holds catalogue/products' rows. */
static inline char *
navette_test_pg_products_table (PGconn *conn)
{
  return navette_test_pg_value (conn,
                                "SELECT t.sql_name FROM content_tables t JOIN applications a ON a.id = t.app_id "
                                "WHERE a.name = 'catalogue' AND t.name = 'products'");
}

/* Inserts the product @name at @price into catalogue/products with plain
 * SQL, as an import program would (updated_by "import"). */
static inline void
navette_test_pg_insert_product (PGconn     *conn,
                                const char *name,
                                const char *price)
{
  g_autofree char *table = navette_test_pg_products_table (conn);
  g_autofree char *sql = g_strdup_printf ("INSERT INTO \"%s\" (updated_by, name, price) "
                                          "VALUES ('import', '%s', %s)", table, name, price);

  navette_test_pg_exec (conn, sql);
}

G_END_DECLS
