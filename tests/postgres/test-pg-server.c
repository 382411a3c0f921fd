/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-pg-server.c — the PostgreSQL versions of the server tests that
 * tests/server skips on PostgreSQL because they use the sqlite3 API:
 *  - a row written by plain SQL (libpq, behind the server's back) moves
 *    the light check's revision and is listed like any record;
 *  - a write that waits for a lock past the busy timeout is 503
 *    `unavailable` with Retry-After, and works once the lock is gone. */
#define G_LOG_DOMAIN "navette-test-pg"

#include "config.h"

#include <string.h>

#include "navette-test-pg.h"
#include "navette-test-server.h"

#define PRODUCTS "/api/v1/applications/catalogue/tables/products"

static void
test_trigger_seen (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(JsonObject) delta = NULL;
  g_autofree char *token = NULL;
  g_autofree char *since = NULL;
  JsonArray *records;
  JsonObject *data;

  if (!navette_test_need_postgresql ())
    return;
  server = navette_test_server_start (NULL);
  token = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  before = navette_test_request_object (server, "GET", PRODUCTS "/last-modified", token, NULL, 200);

  conn = navette_test_pg_connect (server->db);
  navette_test_pg_insert_product (conn, "Plain SQL", "9.5");

  after = navette_test_request_object (server, "GET", PRODUCTS "/last-modified", token, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (after, "revision"), ==,
                   json_object_get_int_member (before, "revision") + 1);

  since = g_strdup_printf (PRODUCTS "/records?since=%" G_GINT64_FORMAT,
                           json_object_get_int_member (before, "revision"));
  delta = navette_test_request_object (server, "GET", since, token, NULL, 200);
  records = json_object_get_array_member (delta, "records");
  g_assert_cmpuint (json_array_get_length (records), ==, 1);
  data = json_object_get_object_member (json_array_get_object_element (records, 0), "data");
  g_assert_cmpstr (json_object_get_string_member (data, "name"), ==, "Plain SQL");
  g_assert_cmpfloat (json_object_get_double_member (data, "price"), ==, 9.5);
}

static void
test_busy_503 (gconstpointer data)
{
  gboolean by_option = GPOINTER_TO_INT (data);
  const char * const option[] = { "--busy-timeout", "100", NULL };
  gint64 started;
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *token = NULL;
  g_autofree char *table = NULL;
  g_autofree char *sql = NULL;
  JsonObject *error;
  guint status;

  if (!navette_test_need_postgresql ())
    return;
  /* `serve --busy-timeout`, or the environment read by NavetteDbPg in
   * the server process. */
  if (by_option)
    server = navette_test_server_start (option);
  else
    {
      g_setenv ("NAVETTE_PG_BUSY_TIMEOUT", "100", TRUE);
      server = navette_test_server_start (NULL);
      g_unsetenv ("NAVETTE_PG_BUSY_TIMEOUT");
    }
  token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);

  /* Another session (a migration, a maintenance script) holds the table. */
  conn = navette_test_pg_connect (server->db);
  table = navette_test_pg_products_table (conn);
  navette_test_pg_exec (conn, "BEGIN");
  sql = g_strdup_printf ("LOCK TABLE \"%s\" IN ACCESS EXCLUSIVE MODE", table);
  navette_test_pg_exec (conn, sql);

  started = g_get_monotonic_time ();
  status = navette_test_request (server, "POST", PRODUCTS "/records", token,
                                 "{\"data\": {\"name\": \"Busy\"}}", &response, &headers);
  g_assert_cmpuint (status, ==, 503);
  /* after the 100 ms asked for, well before the default 5 s */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2500 * 1000);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  root = navette_test_parse (response);
  error = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unavailable");

  navette_test_pg_exec (conn, "ROLLBACK");
  status = navette_test_request (server, "POST", PRODUCTS "/records", token,
                                 "{\"data\": {\"name\": \"Not busy\"}}", NULL, NULL);
  g_assert_cmpuint (status, ==, 201);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pg/server/trigger-seen", test_trigger_seen);
  g_test_add_data_func ("/pg/server/busy-503", GINT_TO_POINTER (FALSE), test_busy_503);
  g_test_add_data_func ("/pg/server/busy-503-option", GINT_TO_POINTER (TRUE), test_busy_503);

  return g_test_run ();
}
