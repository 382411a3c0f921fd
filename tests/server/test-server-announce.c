/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-announce.c — announcements of administration changes, and
 * the ETags that let a client that does not listen find them by polling.
 *
 * Every change here is made by `navette-server` commands run as separate
 * processes on the server's database, as an administrator does (so the
 * server only hears of them through the database: PostgreSQL's
 * notifications, or its look at the SQLite file):
 *  - `table add` and `column add` → {"type":"schema","app"} to those who
 *    may read the application (alice, editor; the admin), not to bob (no
 *    role in blog); `app add` → to the admin only;
 *  - `grant` and `revoke` → {"type":"roles","user"} to that user's
 *    sockets and the admin's, not to others;
 *  - the application light check's ETag moves when a column is added;
 *  - GET /me has an ETag, 304 for If-None-Match, and a new ETag (and the
 *    new role) right after a grant;
 *  - a grant written by plain SQL into the SQLite file is announced.
 *
 * "Not to others" is checked by order: a later change that the other
 * subscriber does hear of goes out after, on the same socket, so a
 * message about the first would have come before it. Every wait is on
 * the main loop for a WebSocket message, with a deadline that only turns
 * a hang into a failure. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

/* Runs `navette-server ARGS… --db DB` (a NULL-terminated list) to
 * completion, as an administrator would; asserts it succeeded. */
/* The next message on @sub that is not a table announcement: asserts it
 * is {"type": @type, @member: @value} and nothing else. */
static void
expect_message (StSubscriber *sub,
                const char   *type,
                const char   *member,
                const char   *value)
{
  for (;;)
    {
      g_autoptr(JsonNode) node = st_next_message (sub);
      JsonObject *object = st_object (node);

      if (g_str_equal (st_message_type (node), "table"))
        continue;
      g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, type);
      g_assert_cmpstr (json_object_get_string_member (object, member), ==, value);
      g_assert_cmpuint (json_object_get_size (object), ==, 2);
      return;
    }
}

static void
expect_schema (StSubscriber *sub,
               const char   *app)
{
  expect_message (sub, "schema", "app", app);
}

static void
expect_roles (StSubscriber *sub,
              const char   *user)
{
  expect_message (sub, "roles", "user", user);
}

/* A product created by @token, then waits for its table announcement on
 * @sub, and asserts that nothing but table announcements came before it. */
static void
assert_nothing_else_before_next_write (NavetteTestServer *server,
                                       const char        *token,
                                       StSubscriber      *sub)
{
  g_autofree char *id = st_create_product (server, token, "Marker");

  for (;;)
    {
      g_autoptr(JsonNode) node = st_next_message (sub);
      JsonObject *object = st_object (node);

      g_assert_cmpstr (st_message_type (node), ==, "table");
      if (g_str_equal (json_object_get_string_member (object, "app"), "catalogue"))
        return;
    }
}

/* Subscribes and makes sure the subscription is live end to end (the
 * server's first look and baseline are done): a write @writer makes to
 * catalogue is heard. */
static StSubscriber *
subscribe_live (NavetteTestServer *server,
                const char        *token,
                const char        *writer)
{
  StSubscriber *sub = st_subscribe (server, token, NULL);
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) first = NULL;

  g_assert_nonnull (sub);
  id = st_create_product (server, writer, "Warm-up");
  first = st_next_of_type (sub, "table");
  return sub;
}

/* The demo's server, with a live subscription of the admin, alice (editor
 * of blog and catalogue) and bob (reader of catalogue, no role in blog). */
typedef struct
{
  NavetteTestServer *server;
  char              *admin;
  char              *alice;
  char              *bob;
  StSubscriber      *admin_sub;
  StSubscriber      *alice_sub;
  StSubscriber      *bob_sub;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->server = navette_test_server_start (NULL);
  fixture->admin = navette_test_login (fixture->server, "admin", NAVETTE_DEMO_PASSWORD);
  fixture->alice = navette_test_login (fixture->server, "alice", NAVETTE_DEMO_PASSWORD);
  fixture->bob = navette_test_login (fixture->server, "bob", NAVETTE_DEMO_PASSWORD);
  fixture->admin_sub = subscribe_live (fixture->server, fixture->admin, fixture->alice);
  fixture->alice_sub = subscribe_live (fixture->server, fixture->alice, fixture->alice);
  fixture->bob_sub = subscribe_live (fixture->server, fixture->bob, fixture->alice);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  st_subscriber_free (fixture->admin_sub);
  st_subscriber_free (fixture->alice_sub);
  st_subscriber_free (fixture->bob_sub);
  g_free (fixture->admin);
  g_free (fixture->alice);
  g_free (fixture->bob);
  navette_test_server_free (fixture->server);
}

static void
test_schema_announced (Fixture       *fixture,
                       gconstpointer  data)
{
  NavetteTestServer *server = fixture->server;
  g_autoptr(JsonNode) tables = NULL;

  /* a table, then a column, of blog: alice and the admin hear of each */
  navette_test_server_admin_check (server, "table", "add", "blog", "notes", "--column", "text:text:required", NULL);
  expect_schema (fixture->alice_sub, "blog");
  expect_schema (fixture->admin_sub, "blog");
  g_assert_cmpuint (st_request (server, "GET", BLOG "/tables", fixture->alice, NULL, &tables, NULL), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (st_object (tables), "tables")), ==, 2);

  navette_test_server_admin_check (server, "column", "add", "blog", "notes", "colour:text", NULL);
  expect_schema (fixture->alice_sub, "blog");
  expect_schema (fixture->admin_sub, "blog");

  /* a new application: nobody has a role in it yet, so the admin only */
  navette_test_server_admin_check (server, "app", "add", "shelf", NULL);
  expect_schema (fixture->admin_sub, "shelf");

  /* bob (no role in blog) heard of none of it; alice not of shelf */
  assert_nothing_else_before_next_write (server, fixture->alice, fixture->bob_sub);
  assert_nothing_else_before_next_write (server, fixture->alice, fixture->alice_sub);
  assert_nothing_else_before_next_write (server, fixture->alice, fixture->admin_sub);
}

static void
test_roles_announced (Fixture       *fixture,
                      gconstpointer  data)
{
  NavetteTestServer *server = fixture->server;
  g_autoptr(StSubscriber) bob_second = subscribe_live (server, fixture->bob, fixture->alice);
  g_autoptr(JsonNode) created = NULL;

  navette_test_server_admin_check (server, "grant", "bob", "editor", "blog", NULL);
  expect_roles (fixture->bob_sub, "bob");
  expect_roles (bob_second, "bob");
  expect_roles (fixture->admin_sub, "bob");

  /* bob's socket now carries blog's announcements too */
  g_assert_cmpuint (st_request (server, "POST", ARTICLES "/records", fixture->alice,
                                "{\"data\": {\"title\": \"For bob now\"}}", &created, NULL), ==, 201);
  for (;;)
    {
      g_autoptr(JsonNode) node = st_next_of_type (fixture->bob_sub, "table");

      if (g_str_equal (json_object_get_string_member (st_object (node), "app"), "blog"))
        break;
    }

  navette_test_server_admin_check (server, "revoke", "bob", "blog", NULL);
  expect_roles (fixture->bob_sub, "bob");
  expect_roles (fixture->admin_sub, "bob");

  /* alice's roles did not change: she heard nothing of bob's */
  assert_nothing_else_before_next_write (server, fixture->alice, fixture->alice_sub);
  assert_nothing_else_before_next_write (server, fixture->alice, fixture->bob_sub);
  assert_nothing_else_before_next_write (server, fixture->alice, fixture->admin_sub);
}

/* Polling alone (no cached answers here, so the answer is what the
 * database says now): a column added moves the application's ETag, and
 * its schema_revision. */
static void
test_app_etag_moves_with_schema (void)
{
  const char *args[] = { "--state-cache", "0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *etag = NULL;
  g_autofree char *same = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;

  g_assert_cmpuint (st_conditional_get (server, BLOG "/last-modified", alice, NULL, &etag, &before), ==, 200);
  g_assert_cmpuint (st_conditional_get (server, BLOG "/last-modified", alice, etag, &same, NULL), ==, 304);
  g_assert_cmpstr (same, ==, etag);

  navette_test_server_admin_check (server, "column", "add", "blog", "articles", "subtitle:text", NULL);
  g_assert_cmpuint (st_conditional_get (server, BLOG "/last-modified", alice, etag, &moved, &after), ==, 200);
  g_assert_cmpstr (moved, !=, etag);
  g_assert_cmpint (json_object_get_int_member (st_object (after), "schema_revision"), >,
                   json_object_get_int_member (st_object (before), "schema_revision"));
  /* the tables' revisions did not move: only the schema did */
  g_assert_true (json_node_equal (json_object_get_member (st_object (before), "tables"),
                                  json_object_get_member (st_object (after), "tables")));
  g_assert_cmpuint (st_conditional_get (server, BLOG "/last-modified", alice, moved, &again, NULL), ==, 304);
}

/* With the default cache (250 ms): once the schema announcement is out,
 * the cached answer is gone, and the next light check has the new ETag. */
static void
test_app_etag_after_announcement (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) sub = subscribe_live (server, alice, alice);
  g_autofree char *etag = NULL;
  g_autofree char *moved = NULL;

  g_assert_cmpuint (st_conditional_get (server, BLOG "/last-modified", alice, NULL, &etag, NULL), ==, 200);
  navette_test_server_admin_check (server, "column", "add", "blog", "articles", "subtitle:text", NULL);
  expect_schema (sub, "blog");
  g_assert_cmpuint (st_conditional_get (server, BLOG "/last-modified", alice, etag, &moved, NULL), ==, 200);
  g_assert_cmpstr (moved, !=, etag);
}

static gboolean
array_has (JsonArray  *array,
           const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_str_equal (json_array_get_string_element (array, i), value))
      return TRUE;
  return FALSE;
}

/* GET /me: an ETag, 304 when the client has it, and a new ETag right
 * after a grant made by another process. */
static void
test_me_etag (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *etag = NULL;
  g_autofree char *same = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *back = NULL;
  g_autofree char *alice_etag = NULL;
  g_autofree char *alice_again = NULL;
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) restored = NULL;
  JsonObject *roles;

  g_assert_cmpuint (st_conditional_get (server, API "/me", bob, NULL, &etag, &before), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (st_object (before), "username"), ==, "bob");
  g_assert_cmpuint (st_conditional_get (server, API "/me", bob, etag, &same, NULL), ==, 304);
  g_assert_cmpstr (same, ==, etag);
  g_assert_cmpuint (st_conditional_get (server, API "/me", alice, NULL, &alice_etag, NULL), ==, 200);
  g_assert_cmpstr (alice_etag, !=, etag);

  navette_test_server_admin_check (server, "grant", "bob", "editor", "blog", NULL);
  g_assert_cmpuint (st_conditional_get (server, API "/me", bob, etag, &moved, &after), ==, 200);
  g_assert_cmpstr (moved, !=, etag);
  roles = json_object_get_object_member (st_object (after), "roles");
  g_assert_true (array_has (json_object_get_array_member (roles, "editor"), "blog"));
  /* alice's did not move */
  g_assert_cmpuint (st_conditional_get (server, API "/me", alice, alice_etag, &alice_again, NULL), ==, 304);

  /* the same roles again: the same ETag */
  navette_test_server_admin_check (server, "revoke", "bob", "blog", NULL);
  g_assert_cmpuint (st_conditional_get (server, API "/me", bob, moved, &back, &restored), ==, 200);
  g_assert_cmpstr (back, ==, etag);
}

/* A grant inserted into the SQLite file by plain SQL (a new version, as
 * the server would write it) is announced to its user. */
static void
test_plain_sql_grant_announced (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autoptr(StSubscriber) sub = NULL;

  if (!navette_test_need_sqlite ("writes with the sqlite3 API "
                                 "(tests/postgres/test-pg-events covers PostgreSQL)"))
    return;
  server = navette_test_server_start (NULL);
  alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  sub = subscribe_live (server, bob, alice);

  navette_test_sqlite_exec (server,
                            "INSERT INTO role_grants (record_id, version, updated_at, updated_by, username, app, role)"
                            " VALUES ('00000000-0000-4000-8000-000000000016', 1, 0, 'sql', 'bob', 'blog', 'reader')");

  expect_roles (sub, "bob");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/announce/schema", Fixture, NULL, fixture_setup, test_schema_announced,
              fixture_teardown);
  g_test_add ("/server/announce/roles", Fixture, NULL, fixture_setup, test_roles_announced,
              fixture_teardown);
  g_test_add_func ("/server/announce/app-etag-moves-with-schema", test_app_etag_moves_with_schema);
  g_test_add_func ("/server/announce/app-etag-after-announcement", test_app_etag_after_announcement);
  g_test_add_func ("/server/announce/me-etag", test_me_etag);
  g_test_add_func ("/server/announce/plain-sql-grant", test_plain_sql_grant_announced);

  return g_test_run ();
}
