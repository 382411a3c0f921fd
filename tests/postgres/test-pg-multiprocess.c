/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-pg-multiprocess.c — two navette-server processes on one PostgreSQL
 * database, as behind a load balancer:
 *  - a session opened through one works through the other;
 *  - a write through one is seen at once by a light check (and a delta)
 *    through the other;
 *  - 4 writers, 2 on each server, hammering one record leave contiguous,
 *    unique versions and exactly one current row.
 *
 * The servers run with their light-check cache (60 s here, so that every
 * light check through b could be answered from it): a server forgets its
 * cached answers when PostgreSQL notifies it of another server's commit
 * (LISTEN/NOTIFY), and it answers from the cache only after a round trip
 * on its listening connection, so a notification still on its way when
 * the writer's client got its answer cannot be overtaken
 * (docs/postgresql.md, "Caches in the HTTP layer"). */
#define G_LOG_DOMAIN "navette-test-pg"

#include "config.h"

#include <string.h>

#include "navette-test-pg.h"
#include "navette-test-server.h"

#define HAMMER_WRITERS 4
#define HAMMER_UPDATES 25

static const char * const serve_args[] = { "--state-cache", "60000", NULL };

#define SEEN_AT_ONCE_ROUNDS 200
#define NEW_SESSION_ROUNDS 40
#define RECONNECT_ROUNDS 20

typedef struct
{
  NavetteTestServer *a;
  NavetteTestServer *b;
  char              *b_own_db;
} TwoServers;

/* Server a on a fresh demo database, then server b started on the same
 * database (b first gets a database of its own from the helper, which
 * is put back before it is freed, so each database is dropped once). */
static void
two_servers_start (TwoServers *two)
{
  two->a = navette_test_server_start (serve_args);
  two->b = navette_test_server_start_empty (serve_args);
  navette_test_server_stop (two->b);
  two->b_own_db = two->b->db;
  two->b->db = g_strdup (two->a->db);
  navette_test_server_restart (two->b);
  g_assert_cmpstr (two->a->base_url, !=, two->b->base_url);
}

static void
two_servers_free (TwoServers *two)
{
  navette_test_server_stop (two->b);
  g_free (two->b->db);
  two->b->db = g_steal_pointer (&two->b_own_db);
  g_clear_pointer (&two->b, navette_test_server_free);
  g_clear_pointer (&two->a, navette_test_server_free);
}

#define PRODUCTS "/api/v1/applications/catalogue/tables/products"

static void
test_write_seen_through_other (void)
{
  TwoServers two = { 0 };
  g_autofree char *token = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *path = NULL;
  g_autofree char *since = NULL;
  g_autoptr(JsonObject) state = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) fresh = NULL;
  g_autoptr(JsonObject) delta = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  JsonObject *record;
  const char *id;
  gint64 revision, version;
  guint status;

  if (!navette_test_need_postgresql ())
    return;
  two_servers_start (&two);

  /* Sessions live in the database: a token from a works on b. */
  token = navette_test_login (two.a, "alice", NAVETTE_DEMO_PASSWORD);

  state = navette_test_request_object (two.b, "GET", PRODUCTS "/last-modified", token, NULL, 200);
  revision = json_object_get_int_member (state, "revision");
  etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", revision);
  status = navette_test_request_full (two.b, "GET", PRODUCTS "/last-modified", token, NULL, NULL, 0,
                                      NULL, NULL, "If-None-Match", etag, NULL);
  g_assert_cmpuint (status, ==, 304);

  list = navette_test_request_object (two.a, "GET", PRODUCTS "/records", token, NULL, 200);
  record = json_array_get_object_element (json_object_get_array_member (list, "records"), 0);
  id = json_object_get_string_member (record, "id");
  version = json_object_get_int_member (record, "version");

  /* Write through a… */
  path = g_strdup_printf (PRODUCTS "/records/%s", id);
  {
    g_autofree char *body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT
                                             ", \"data\": {\"stock\": 4242}}", version);

    updated = navette_test_request_object (two.a, "PATCH", path, token, body, 200);
  }
  g_assert_cmpint (json_object_get_int_member (updated, "version"), ==, version + 1);
  g_assert_cmpint (json_object_get_int_member (updated, "revision"), >, revision);

  /* …and the very next light check through b sees it. */
  status = navette_test_request_full (two.b, "GET", PRODUCTS "/last-modified", token, NULL, NULL, 0,
                                      &response, &headers, "If-None-Match", etag, NULL);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autoptr(JsonNode) root = navette_test_parse (response);

    fresh = json_object_ref (json_node_get_object (root));
  }
  g_assert_cmpint (json_object_get_int_member (fresh, "revision"), >=,
                   json_object_get_int_member (updated, "revision"));
  g_assert_cmpstr (soup_message_headers_get_one (headers, "ETag"), !=, etag);

  /* The delta through b holds the new version. */
  since = g_strdup_printf (PRODUCTS "/records?since=%" G_GINT64_FORMAT, revision);
  delta = navette_test_request_object (two.b, "GET", since, token, NULL, 200);
  {
    JsonArray *records = json_object_get_array_member (delta, "records");
    JsonObject *changed;

    g_assert_cmpuint (json_array_get_length (records), ==, 1);
    changed = json_array_get_object_element (records, 0);
    g_assert_cmpstr (json_object_get_string_member (changed, "id"), ==, id);
    g_assert_cmpint (json_object_get_int_member (changed, "version"), ==, version + 1);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (changed, "data"), "stock"),
                     ==, 4242);
  }

  /* Signing out through b ends the session for a too. */
  status = navette_test_request (two.b, "DELETE", "/api/v1/sessions/current", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 204);

  two_servers_free (&two);
}

typedef struct
{
  const char *base_url;
  const char *token;
  const char *path;
  guint       index;
  guint       ok;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);

  for (guint i = 0; i < HAMMER_UPDATES; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"base_version\": 1, \"data\": {\"stock\": %u}}",
                                               w->index * 1000 + i);
      g_autoptr(GBytes) response = NULL;
      g_autoptr(GError) error = NULL;
      guint status = navette_test_session_send (session, w->base_url, "PATCH", w->path, w->token, body,
                                                &response, &error);

      g_assert_no_error (error);
      if (status != 200)
        g_error ("PATCH %s%s: %u %.*s", w->base_url, w->path, status,
                 (int) g_bytes_get_size (response), (const char *) g_bytes_get_data (response, NULL));
      w->ok++;
    }
  return NULL;
}

/* Ends the listening connections of both servers (the database then
 * closes them; each server connects again on its own). */
static void
terminate_watches (const char *url)
{
  g_autoptr(PGconn) conn = navette_test_pg_connect (url);

  navette_test_pg_exec (conn, "SELECT pg_terminate_backend (pid) FROM pg_stat_activity "
                              "WHERE application_name = 'navette-server-watch' "
                              "AND datname = current_database ()");
}

typedef enum
{
  ROUND_PLAIN,        /* b has the session and the state cached */
  ROUND_NEW_SESSION,  /* the light check after the write is a new session's */
  ROUND_WATCH_LOST,   /* the listening connections end before the write */
} RoundKind;

/* @rounds of "light check through b (cached), write through a, light
 * check through b at once": asserts that none of the latter answered a
 * revision older than the write's. */
static void
check_write_seen_at_once (guint     rounds,
                          RoundKind kind)
{
  TwoServers two = { 0 };
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) list = NULL;
  JsonObject *record;
  gint64 version;
  guint stale = 0;

  two_servers_start (&two);
  token = navette_test_login (two.a, "alice", NAVETTE_DEMO_PASSWORD);
  list = navette_test_request_object (two.a, "GET", PRODUCTS "/records", token, NULL, 200);
  record = json_array_get_object_element (json_object_get_array_member (list, "records"), 0);
  path = g_strdup_printf (PRODUCTS "/records/%s", json_object_get_string_member (record, "id"));
  version = json_object_get_int_member (record, "version");

  for (guint i = 0; i < rounds; i++)
    {
      g_autofree char *fresh = kind == ROUND_NEW_SESSION
        ? navette_test_login (two.a, "alice", NAVETTE_DEMO_PASSWORD) : NULL;
      g_autoptr(JsonObject) cached = navette_test_request_object (two.b, "GET", PRODUCTS "/last-modified", token, NULL, 200);
      g_autoptr(JsonObject) updated = NULL;
      g_autoptr(JsonObject) seen = NULL;
      g_autofree char *body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT
                                               ", \"data\": {\"stock\": %u}}", version, i);

      if (kind == ROUND_WATCH_LOST)
        terminate_watches (two.a->db);
      updated = navette_test_request_object (two.a, "PATCH", path, token, body, 200);
      version = json_object_get_int_member (updated, "version");
      seen = navette_test_request_object (two.b, "GET", PRODUCTS "/last-modified", fresh != NULL ? fresh : token,
                                          NULL, 200);
      if (json_object_get_int_member (seen, "revision") < json_object_get_int_member (updated, "revision"))
        stale++;
      g_assert_cmpint (json_object_get_int_member (cached, "revision"), <,
                       json_object_get_int_member (updated, "revision"));
    }
  g_test_message ("%u stale light check(s) in %u rounds", stale, rounds);
  g_assert_cmpuint (stale, ==, 0);
  two_servers_free (&two);
}

/* The window the round trip closes is a fraction of a millisecond wide:
 * many rounds of "write through a, light check through b at once". */
static void
test_write_seen_at_once_repeatedly (void)
{
  if (navette_test_need_postgresql ())
    check_write_seen_at_once (SEEN_AT_ONCE_ROUNDS, ROUND_PLAIN);
}

/* A light check whose session b has not cached (a new one, or the first
 * poll 2 s after the session was cached) goes to a worker, which reads
 * the session: it must not answer the state b cached before the write
 * either, whether or not b's notice of the write is in yet. */
static void
test_write_seen_at_once_new_session (void)
{
  if (navette_test_need_postgresql ())
    check_write_seen_at_once (NEW_SESSION_ROUNDS, ROUND_NEW_SESSION);
}

/* While b's listening connection is lost (and until it is back), b
 * cannot tell which of its cached light checks a write elsewhere made
 * stale: none is answered, by the main loop or a worker. */
static void
test_write_seen_while_watch_lost (void)
{
  if (navette_test_need_postgresql ())
    check_write_seen_at_once (RECONNECT_ROUNDS, ROUND_WATCH_LOST);
}

static void
test_hammer_one_record (void)
{
  TwoServers two = { 0 };
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  g_autofree char *versions_path = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) versions = NULL;
  g_autoptr(JsonObject) audit = NULL;
  Writer writers[HAMMER_WRITERS];
  GThread *threads[HAMMER_WRITERS];
  JsonArray *list;
  guint n_current = 0;
  guint n_updates = 0;
  const char *id;

  if (!navette_test_need_postgresql ())
    return;
  two_servers_start (&two);
  token = navette_test_login (two.a, "alice", NAVETTE_DEMO_PASSWORD);

  created = navette_test_request_object (two.a, "POST", PRODUCTS "/records", token,
                                         "{\"data\": {\"name\": \"Hammered\", \"stock\": 0}}", 201);
  id = json_object_get_string_member (created, "id");
  path = g_strdup_printf (PRODUCTS "/records/%s", id);

  for (guint i = 0; i < HAMMER_WRITERS; i++)
    {
      writers[i] = (Writer) { (i % 2) ? two.b->base_url : two.a->base_url, token, path, i, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }
  for (guint i = 0; i < HAMMER_WRITERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (writers[i].ok, ==, HAMMER_UPDATES);
    }

  versions_path = g_strdup_printf ("%s/versions", path);
  versions = navette_test_request_object (two.b, "GET", versions_path, token, NULL, 200);
  list = json_object_get_array_member (versions, "versions");
  g_assert_cmpuint (json_array_get_length (list), ==, 1 + HAMMER_WRITERS * HAMMER_UPDATES);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *v = json_array_get_object_element (list, i);

      /* Newest first: N, N-1, …, 1 — no gap, no duplicate. */
      g_assert_cmpint (json_object_get_int_member (v, "version"), ==,
                       (gint64) json_array_get_length (list) - i);
      if (!json_object_get_boolean_member (v, "obsolete"))
        n_current++;
    }
  g_assert_cmpuint (n_current, ==, 1);

  /* One audit row per version, written in the same transactions. */
  audit = navette_test_request_object (two.a, "GET", "/api/v1/applications/catalogue/audit?limit=1000", token,
                                       NULL, 200);
  list = json_object_get_array_member (audit, "entries");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "record", ""), id) == 0 &&
          g_strcmp0 (json_object_get_string_member (entry, "action"), "update") == 0)
        {
          n_updates++;
          g_assert_cmpint (json_object_get_int_member (entry, "to_version"), ==,
                           json_object_get_int_member (entry, "from_version") + 1);
        }
    }
  g_assert_cmpuint (n_updates, ==, HAMMER_WRITERS * HAMMER_UPDATES);

  two_servers_free (&two);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pg/multiprocess/write-seen-through-other", test_write_seen_through_other);
  g_test_add_func ("/pg/multiprocess/write-seen-at-once-repeatedly", test_write_seen_at_once_repeatedly);
  g_test_add_func ("/pg/multiprocess/write-seen-at-once-new-session", test_write_seen_at_once_new_session);
  g_test_add_func ("/pg/multiprocess/write-seen-while-watch-lost", test_write_seen_while_watch_lost);
  g_test_add_func ("/pg/multiprocess/hammer-one-record", test_hammer_one_record);

  return g_test_run ();
}
