/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-events.c — GET /api/v1/events: the WebSocket that announces
 * committed changes. A write through HTTP is announced; a user with no
 * role in an application hears nothing about it; a plain-SQL insert is
 * announced (SQLite: the server's look at the file every 0.5 s); the
 * per-user connection cap; refusals (401 without a token, 400 without an
 * upgrade). Every wait is
 * on the main loop for a WebSocket signal, with a deadline that only
 * turns a hang into a failure. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

#define DEADLINE_SECONDS ST_DEADLINE_SECONDS

static gboolean
deadline_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The next table announcement (schema and roles ones are skipped). */
static JsonNode *
next_message (StSubscriber *sub)
{
  return st_next_of_type (sub, "table");
}

static void
assert_announcement (JsonNode   *node,
                     const char *app,
                     const char *table)
{
  JsonObject *object = st_object (node);

  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "table");
  g_assert_cmpstr (json_object_get_string_member (object, "app"), ==, app);
  g_assert_cmpstr (json_object_get_string_member (object, "table"), ==, table);
  g_assert_cmpint (json_object_get_int_member (object, "revision"), >, 0);
  g_assert_nonnull (json_object_get_string_member (object, "last_update"));
  g_assert_cmpuint (json_object_get_size (object), ==, 5);
}

static void
test_write_announced (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) sub = st_subscribe (server, bob, NULL);
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) second = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) updated = NULL;

  g_assert_nonnull (sub);
  id = st_create_product (server, alice, "Pushed");
  first = next_message (sub);
  assert_announcement (first, "catalogue", "products");
  g_assert_cmpint (json_object_get_int_member (st_object (first), "revision"), ==,
                   st_revision (server, bob, PRODUCTS));

  path = g_strdup_printf (PRODUCTS "/records/%s", id);
  body = g_strdup ("{\"base_version\": 1, \"data\": {\"stock\": 3}}");
  g_assert_cmpuint (st_request (server, "PATCH", path, alice, body, &updated, NULL), ==, 200);
  second = next_message (sub);
  assert_announcement (second, "catalogue", "products");
  g_assert_cmpint (json_object_get_int_member (st_object (second), "revision"), >,
                   json_object_get_int_member (st_object (first), "revision"));
  g_assert_true (g_queue_is_empty (&sub->messages));
}

/* No table announcement waits in @sub's queue. Schema and roles ones may:
 * a grant made by `navette-server` in another process is noticed by the
 * server's look at the file (every 500 ms), whenever that comes. */
static void
assert_no_table_message (StSubscriber *sub)
{
  for (GList *l = sub->messages.head; l != NULL; l = l->next)
    g_assert_cmpstr (st_message_type (l->data), !=, "table");
}

/* Reads announcements until one of @app/@table at @min_revision or later;
 * every announcement read must be about @app. */
static void
wait_for_revision (StSubscriber *sub,
                   const char *app,
                   const char *table,
                   gint64      min_revision)
{
  for (;;)
    {
      g_autoptr(JsonNode) node = next_message (sub);
      JsonObject *object = st_object (node);

      g_assert_cmpstr (json_object_get_string_member (object, "app"), ==, app);
      if (g_str_equal (json_object_get_string_member (object, "table"), table) &&
          json_object_get_int_member (object, "revision") >= min_revision)
        return;
    }
}

static gint64
create_product (NavetteTestServer *server,
                const char        *token,
                const char        *name)
{
  g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"%s\"}}", name);
  g_autoptr(JsonNode) created = NULL;

  g_assert_cmpuint (st_request (server, "POST", PRODUCTS "/records", token, body, &created, NULL), ==, 201);
  return json_object_get_int_member (st_object (created), "revision");
}

/* bob has no role in blog: alice's blog writes never reach him, and her
 * catalogue writes do. Announcements may be coalesced (a burst of writes
 * announced once, with the last revision), so we wait for revisions, not
 * count messages. The last catalogue write is made after bob heard of
 * the one before it, so a blog announcement (made before that) would
 * have reached him before the last one. */
static void
test_no_role_no_announcement (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) bob_sub = st_subscribe (server, bob, NULL);
  g_autoptr(StSubscriber) alice_sub = st_subscribe (server, alice, NULL);
  g_autoptr(JsonNode) created = NULL;
  gint64 blog_revision, revision;
  gboolean alice_heard_blog = FALSE;

  g_assert_nonnull (bob_sub);
  g_assert_nonnull (alice_sub);
  g_assert_cmpuint (st_request (server, "POST", ARTICLES "/records", alice,
                                "{\"data\": {\"title\": \"Secret\"}}", &created, NULL), ==, 201);
  blog_revision = json_object_get_int_member (st_object (created), "revision");
  create_product (server, alice, "Public one");
  revision = create_product (server, alice, "Public two");
  wait_for_revision (bob_sub, "catalogue", "products", revision);

  revision = create_product (server, alice, "Public three");
  wait_for_revision (bob_sub, "catalogue", "products", revision);
  assert_no_table_message (bob_sub);

  /* while alice, editor of blog, did hear about it */
  while (!alice_heard_blog)
    {
      g_autoptr(JsonNode) node = next_message (alice_sub);
      JsonObject *object = st_object (node);

      alice_heard_blog = g_str_equal (json_object_get_string_member (object, "app"), "blog") &&
                         json_object_get_int_member (object, "revision") >= blog_revision;
    }
}

/* Roles are read again when announcing (here at every announcement:
 * --push-access-cache 0): once bob's catalogue role is revoked, he hears
 * about blog (where he got a role) but no more about catalogue. alice
 * hears of the catalogue write before the blog write is made, so the
 * catalogue announcement (if bob got one) was sent to him before the blog
 * one, on the same socket. */
static void
test_revoked_role (void)
{
  const char *args[] = { "--push-access-cache", "0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) bob_sub = st_subscribe (server, bob, NULL);
  g_autoptr(StSubscriber) alice_sub = st_subscribe (server, alice, NULL);
  g_autoptr(JsonNode) created = NULL;
  gint64 revision;

  g_assert_nonnull (bob_sub);
  g_assert_nonnull (alice_sub);
  revision = create_product (server, alice, "Before");
  wait_for_revision (bob_sub, "catalogue", "products", revision);

  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "grant", "bob", "reader", "blog", NULL), ==, 0);
  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "revoke", "bob", "catalogue", NULL), ==, 0);

  revision = create_product (server, alice, "After");
  wait_for_revision (alice_sub, "catalogue", "products", revision);
  g_assert_cmpuint (st_request (server, "POST", ARTICLES "/records", alice,
                                "{\"data\": {\"title\": \"Now for bob\"}}", &created, NULL), ==, 201);
  wait_for_revision (bob_sub, "blog", "articles", json_object_get_int_member (st_object (created), "revision"));
  assert_no_table_message (bob_sub);
}

/* A session that ends (logout) ends its subscriptions at the next
 * announcement: the server closes with 1008. */
static void
test_logout_closes (void)
{
  const char *args[] = { "--push-access-cache", "0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) bob_sub = st_subscribe (server, bob, NULL);
  gboolean expired = FALSE;
  guint deadline;

  g_assert_nonnull (bob_sub);
  g_assert_cmpuint (st_request (server, "DELETE", API "/sessions/current", bob, NULL, NULL, NULL), ==, 204);
  create_product (server, alice, "After the logout");

  deadline = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &expired);
  while (!bob_sub->closed && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
  g_assert_cmpint (soup_websocket_connection_get_close_code (bob_sub->connection), ==,
                   SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_true (g_queue_is_empty (&bob_sub->messages));
}

typedef struct
{
  char        buffer[4096];
  GByteArray *frames;
  gboolean    closed;   /* a close frame, or end of file */
} SilentRead;

/* Server frames are unmasked; ours are small (length < 126). */
static gboolean
silent_saw_close (SilentRead *read)
{
  guint offset = 0;

  while (offset + 2 <= read->frames->len)
    {
      guint opcode = read->frames->data[offset] & 0x0F;
      guint length = read->frames->data[offset + 1] & 0x7F;

      g_assert_cmpuint (length, <, 126);
      if (opcode == 0x8)
        return TRUE;
      g_assert_cmpuint (opcode, ==, 0x9);  /* nothing but pings */
      offset += 2 + length;
    }
  return FALSE;
}

static void
silent_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  SilentRead *read = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      read->closed = TRUE;
      return;
    }
  g_byte_array_append (read->frames, (const guint8 *) read->buffer, (guint) n);
  if (silent_saw_close (read))
    {
      read->closed = TRUE;
      return;
    }
  /* pings: read and never answered */
  g_input_stream_read_async (G_INPUT_STREAM (source), read->buffer, sizeof read->buffer,
                             G_PRIORITY_DEFAULT, NULL, silent_read_cb, read);
}

/* Heartbeats (a ping every second here): a subscriber that never answers
 * (a dead peer, as far as the server can tell) is closed after two and a
 * half intervals without a pong, while one that answers (libsoup does)
 * stays. */
static void
test_silent_subscriber_closed (void)
{
  const char *args[] = { "--push-keepalive", "1", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) alive = st_subscribe (server, bob, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  SilentRead read = { { 0 }, NULL, FALSE };
  GInputStream *input;
  gboolean expired = FALSE;
  gint64 started;
  guint deadline;

  g_assert_nonnull (alive);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET " API "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Protocol: navette.v1\r\nAuthorization: Bearer %s\r\n\r\n", bob);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            request, strlen (request), NULL, NULL, &error));
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (strstr (answer->str, "\r\n\r\n") == NULL)
    {
      char byte;

      g_assert_cmpint (g_input_stream_read (input, &byte, 1, NULL, &error), ==, 1);
      g_string_append_c (answer, byte);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 101"));
  started = g_get_monotonic_time ();

  read.frames = g_byte_array_new ();
  g_input_stream_read_async (input, read.buffer, sizeof read.buffer, G_PRIORITY_DEFAULT, NULL,
                             silent_read_cb, &read);
  deadline = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &expired);
  while (!read.closed && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
  g_test_message ("closed after %.1f s", (g_get_monotonic_time () - started) / 1e6);
  g_byte_array_unref (read.frames);
  /* not before 2.5 intervals of silence */
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 2 * G_USEC_PER_SEC);
  /* the one that answered the same pings is still there */
  g_assert_false (alive->closed);
  g_assert_cmpint (soup_websocket_connection_get_state (alive->connection), ==, SOUP_WEBSOCKET_STATE_OPEN);
}

/* More sessions than the server re-reads before announcing (32): the
 * others are re-read in the background, and every subscriber still gets
 * every announcement; then logging all of them out closes them all. */
static void
test_many_sessions (void)
{
  const char *args[] = { "--push-access-cache", "0", "--max-subscriptions", "100", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) subs = g_ptr_array_new_with_free_func ((GDestroyNotify) st_subscriber_free);
  gint64 revision;

  for (guint i = 0; i < 40; i++)
    {
      char *token = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
      StSubscriber *sub = st_subscribe (server, token, NULL);

      g_assert_nonnull (sub);
      g_ptr_array_add (tokens, token);
      g_ptr_array_add (subs, sub);
    }
  for (guint round = 0; round < 3; round++)
    {
      revision = create_product (server, alice, "For everyone");
      for (guint i = 0; i < subs->len; i++)
        wait_for_revision (g_ptr_array_index (subs, i), "catalogue", "products", revision);
    }

  for (guint i = 0; i < tokens->len; i++)
    g_assert_cmpuint (st_request (server, "DELETE", API "/sessions/current",
                                  g_ptr_array_index (tokens, i), NULL, NULL, NULL), ==, 204);
  /* announcements until every session has been re-read and closed */
  for (guint i = 0; i < subs->len; i++)
    {
      StSubscriber *sub = g_ptr_array_index (subs, i);
      gboolean expired = FALSE;
      guint deadline = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &expired);

      while (!sub->closed && !expired)
        {
          create_product (server, alice, "After the logouts");
          g_main_context_iteration (NULL, FALSE);
          while (g_main_context_iteration (NULL, FALSE))
            ;
        }
      g_assert_false (expired);
      g_source_remove (deadline);
    }
}

/* A row written by another program into the SQLite file is announced:
 * the server looks for such changes every 0.5 s (PRAGMA data_version). */
static void
test_plain_sql_announced (void)
{
  g_autoptr(NavetteTestServer) server = NULL;
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autoptr(StSubscriber) sub = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) second = NULL;

  if (!navette_test_need_sqlite ("writes with the sqlite3 API "
                                 "(tests/postgres/test-pg-events covers NOTIFY)"))
    return;
  server = navette_test_server_start (NULL);
  alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  sub = st_subscribe (server, bob, NULL);
  g_assert_nonnull (sub);

  /* One announced write first: the server has then taken its baseline
   * (the first comparison after a subscriber arrives only records). */
  id = st_create_product (server, alice, "Before");
  first = next_message (sub);
  assert_announcement (first, "catalogue", "products");

  navette_test_sqlite_exec (server, "INSERT INTO \"catalogue.products\" (name, price) VALUES ('Plain SQL', 2.5)");

  second = next_message (sub);
  assert_announcement (second, "catalogue", "products");
  g_assert_cmpint (json_object_get_int_member (st_object (second), "revision"), >,
                   json_object_get_int_member (st_object (first), "revision"));
  g_assert_cmpint (json_object_get_int_member (st_object (second), "revision"), ==,
                   st_revision (server, bob, PRODUCTS));
}

static void
test_connection_cap (void)
{
  const char *args[] = { "--max-subscriptions", "3", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) subs = g_ptr_array_new_with_free_func ((GDestroyNotify) st_subscriber_free);
  StSubscriber *refused;
  g_autoptr(StSubscriber) other_user = NULL;
  g_autoptr(StSubscriber) again = NULL;
  StSubscriber *first;
  gboolean expired = FALSE;
  guint deadline;
  guint status = 0;

  for (guint i = 0; i < 3; i++)
    {
      StSubscriber *sub = st_subscribe (server, bob, &status);

      g_assert_nonnull (sub);
      g_assert_cmpuint (status, ==, 101);
      g_ptr_array_add (subs, sub);
    }
  refused = st_subscribe (server, bob, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 429);

  /* the cap is per user */
  other_user = st_subscribe (server, alice, &status);
  g_assert_nonnull (other_user);

  /* a closed one frees its place */
  first = g_ptr_array_index (subs, 0);
  soup_websocket_connection_close (first->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  deadline = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &expired);
  while (!first->closed && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
  again = st_subscribe (server, bob, &status);
  g_assert_nonnull (again);
}

static void
test_default_cap_is_8 (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GPtrArray) subs = g_ptr_array_new_with_free_func ((GDestroyNotify) st_subscriber_free);
  guint status = 0;

  for (guint i = 0; i < 8; i++)
    {
      StSubscriber *sub = st_subscribe (server, bob, &status);

      g_assert_nonnull (sub);
      g_ptr_array_add (subs, sub);
    }
  g_assert_null (st_subscribe (server, bob, &status));
  g_assert_cmpuint (status, ==, 429);
}

/* An upgrade request by hand, to read the refusal's body. */
static guint
upgrade_request (NavetteTestServer *server,
                 const char        *token,
                 gboolean           upgrade,
                 JsonNode         **json)
{
  g_autoptr(GBytes) body = NULL;
  guint status;

  if (upgrade)
    status = navette_test_request_full (server, "GET", API "/events", token, NULL, NULL, 0, &body, NULL,
                                        "Upgrade", "websocket",
                                        "Connection", "Upgrade",
                                        "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
                                        "Sec-WebSocket-Version", "13",
                                        "Sec-WebSocket-Protocol", "navette.v1",
                                        NULL);
  else
    status = navette_test_request_full (server, "GET", API "/events", token, NULL, NULL, 0, &body, NULL,
                                        NULL);
  *json = body != NULL && g_bytes_get_size (body) > 0 ? navette_test_parse (body) : NULL;
  return status;
}

static void
test_refusals (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) no_token = NULL;
  g_autoptr(JsonNode) bad_token = NULL;
  g_autoptr(JsonNode) not_upgrade = NULL;
  g_autoptr(JsonNode) posted = NULL;
  guint status;

  status = upgrade_request (server, NULL, TRUE, &no_token);
  st_assert_error (status, no_token, 401, "auth_required");
  status = upgrade_request (server, "not-a-token", TRUE, &bad_token);
  st_assert_error (status, bad_token, 401, "auth_required");
  g_assert_null (st_subscribe (server, NULL, &status));
  g_assert_cmpuint (status, ==, 401);

  status = upgrade_request (server, bob, FALSE, &not_upgrade);
  st_assert_error (status, not_upgrade, 400, "bad_request");
  status = st_request (server, "POST", API "/events", bob, "{}", &posted, NULL);
  st_assert_error (status, posted, 405, "method_not_allowed");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/events/write-announced", test_write_announced);
  g_test_add_func ("/server/events/no-role-no-announcement", test_no_role_no_announcement);
  g_test_add_func ("/server/events/revoked-role", test_revoked_role);
  g_test_add_func ("/server/events/logout-closes", test_logout_closes);
  g_test_add_func ("/server/events/silent-subscriber-closed", test_silent_subscriber_closed);
  g_test_add_func ("/server/events/many-sessions", test_many_sessions);
  g_test_add_func ("/server/events/plain-sql-announced", test_plain_sql_announced);
  g_test_add_func ("/server/events/connection-cap", test_connection_cap);
  g_test_add_func ("/server/events/default-cap", test_default_cap_is_8);
  g_test_add_func ("/server/events/refusals", test_refusals);

  return g_test_run ();
}
