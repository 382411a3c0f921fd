/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-pg-events.c — push and caches across server processes on one
 * PostgreSQL database (LISTEN/NOTIFY):
 *  - a write through server a is announced to a subscriber of server b,
 *    and b's light-check cache (60 s here, so only the invalidation can
 *    explain a fresh answer) is forgotten before that announcement;
 *  - a row inserted by plain SQL (libpq) is announced;
 *  - a grant inserted by plain SQL is announced to its user.
 * Every wait is on the main loop for a WebSocket signal, with a deadline
 * that only turns a hang into a failure. */
#define G_LOG_DOMAIN "navette-test-pg"

#include "config.h"

#include <string.h>

#include "navette-test-pg.h"
#include "server-test-util.h"


/* A long cache: a server that did not hear about a change answers stale. */
static const char * const serve_args[] = { "--state-cache", "60000", NULL };

static StSubscriber *
subscribe (NavetteTestServer *server,
           const char        *token)
{
  StSubscriber *sub = st_subscribe (server, token, NULL);

  g_assert_nonnull (sub);
  return sub;
}

/* Waits for an announcement of catalogue.products at @min_revision or
 * later and returns its revision. */
static gint64
wait_for_products (StSubscriber *sub,
                   gint64        min_revision)
{
  gint64 revision = 0;

  while (revision < min_revision)
    {
      g_autoptr(JsonNode) node = st_next_of_type (sub, "table");
      JsonObject *object = st_object (node);

      if (g_str_equal (json_object_get_string_member (object, "app"), "catalogue") &&
          g_str_equal (json_object_get_string_member (object, "table"), "products"))
        revision = json_object_get_int_member (object, "revision");
    }
  return revision;
}

static void
test_push_across_servers (void)
{
  g_autoptr(NavetteTestServer) a = NULL;
  g_autoptr(NavetteTestServer) b = NULL;
  g_autofree char *b_own_db = NULL;
  g_autofree char *token = NULL;
  g_autoptr(StSubscriber) sub = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autofree char *alice = NULL;
  gint64 before, written, announced;

  if (!navette_test_need_postgresql ())
    return;
  /* b on a's database (its own one is put back before it is freed) */
  a = navette_test_server_start (serve_args);
  b = navette_test_server_start_empty (serve_args);
  navette_test_server_stop (b);
  b_own_db = b->db;
  b->db = g_strdup (a->db);
  navette_test_server_restart (b);

  token = navette_test_login (a, "bob", NAVETTE_DEMO_PASSWORD);
  alice = navette_test_login (a, "alice", NAVETTE_DEMO_PASSWORD);
  sub = subscribe (b, token);

  /* A first write through a reaches b's subscriber: b listens by now
   * (only a notification can tell b about it). */
  first = navette_test_request_object (a, "POST", PRODUCTS "/records", alice,
                                       "{\"data\": {\"name\": \"First through a\"}}", 201);
  written = json_object_get_int_member (first, "revision");
  g_assert_cmpint (wait_for_products (sub, written), ==, written);

  before = st_revision (b, token, PRODUCTS);  /* now in b's cache for 60 s */
  g_assert_cmpint (before, ==, written);
  g_assert_cmpint (st_revision (b, token, PRODUCTS), ==, before);

  created = navette_test_request_object (a, "POST", PRODUCTS "/records", alice,
                                         "{\"data\": {\"name\": \"Through a\"}}", 201);
  written = json_object_get_int_member (created, "revision");
  g_assert_cmpint (written, >, before);

  announced = wait_for_products (sub, written);
  g_assert_cmpint (announced, ==, written);
  /* b forgot its cached answer before it announced the change */
  g_assert_cmpint (st_revision (b, token, PRODUCTS), ==, written);

  navette_test_server_stop (b);
  g_free (b->db);
  b->db = g_steal_pointer (&b_own_db);
}

static void
test_plain_sql_announced (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(StSubscriber) sub = NULL;
  g_autofree char *token = NULL;
  gint64 before;

  if (!navette_test_need_postgresql ())
    return;
  server = navette_test_server_start (serve_args);
  token = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  sub = subscribe (server, token);
  before = st_revision (server, token, PRODUCTS);

  conn = navette_test_pg_connect (server->db);
  navette_test_pg_insert_product (conn, "Plain SQL", "9.5");

  g_assert_cmpint (wait_for_products (sub, before + 1), ==, before + 1);
  g_assert_cmpint (st_revision (server, token, PRODUCTS), ==, before + 1);
}

/* A grant written by plain SQL (libpq) is announced to its user: the
 * trigger on role_grants notifies 'roles:<username>'. */
static void
test_plain_sql_grant_announced (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(StSubscriber) sub = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autofree char *token = NULL;
  g_autofree char *alice = NULL;
  g_autoptr(JsonNode) roles = NULL;

  if (!navette_test_need_postgresql ())
    return;
  server = navette_test_server_start (serve_args);
  token = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  sub = subscribe (server, token);
  /* the server listens by now: bob hears of a first write */
  first = navette_test_request_object (server, "POST", PRODUCTS "/records", alice,
                                       "{\"data\": {\"name\": \"First\"}}", 201);
  wait_for_products (sub, json_object_get_int_member (first, "revision"));

  conn = navette_test_pg_connect (server->db);
  navette_test_pg_exec (conn, "INSERT INTO role_grants (username, app, role) VALUES ('bob', 'blog', 'reader')");

  roles = st_next_of_type (sub, "roles");
  g_assert_cmpstr (json_object_get_string_member (st_object (roles), "user"), ==, "bob");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pg/events/push-across-servers", test_push_across_servers);
  g_test_add_func ("/pg/events/plain-sql-announced", test_plain_sql_announced);
  g_test_add_func ("/pg/events/plain-sql-grant-announced", test_plain_sql_grant_announced);

  return g_test_run ();
}
