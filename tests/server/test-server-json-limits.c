/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-json-limits.c — hostile JSON against the real server:
 * bodies built to collide in hash tables are answered 400 at once on the
 * unauthenticated POST /api/v1/sessions while other requests go on being
 * served; the member and value limits; and malformed bodies counted
 * toward the per-address sign-in limit. (How fast is the benchmark's
 * business: tests/bench/bench-json.c.) */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "navette-test-json.h"
#include "server-test-util.h"

#define BODY_SIZE (1024 * 1024)

/* Counts the bodies sent in full. */
typedef struct
{
  GMutex mutex;
  GCond  cond;
  guint  written;
} Sent;

typedef struct
{
  const char *base_url;
  GString    *body;
  const char *real_ip;   /* or NULL */
  Sent       *sent;      /* or NULL */
  guint       status;
  char       *code;
  char       *message;
} Post;

static void
wrote_body_cb (SoupMessage *msg,
               gpointer     user_data)
{
  Sent *sent = user_data;

  g_mutex_lock (&sent->mutex);
  sent->written++;
  g_cond_broadcast (&sent->cond);
  g_mutex_unlock (&sent->mutex);
}

static void
post_clear (Post *post)
{
  g_free (post->code);
  g_free (post->message);
}

/* POST /api/v1/sessions with post->body, on a session of its own (it
 * runs on a thread of its own). */
static gpointer
post_thread (gpointer data)
{
  Post *post = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 120, NULL);
  g_autofree char *uri = g_strconcat (post->base_url, API "/sessions", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) body = g_bytes_new_static (post->body->str, post->body->len);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  JsonObject *object;

  if (post->real_ip != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Real-IP", post->real_ip);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  if (post->sent != NULL)
    g_signal_connect (msg, "wrote-body", G_CALLBACK (wrote_body_cb), post->sent);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  post->status = soup_message_get_status (msg);
  if (post->status < 400)
    return NULL;
  json = navette_test_parse (answer);
  object = json_object_get_object_member (st_object (json), "error");
  g_assert_nonnull (object);
  post->code = g_strdup (json_object_get_string_member (object, "code"));
  post->message = g_strdup (json_object_get_string_member (object, "message"));
  return NULL;
}

/* Eight 1 MiB bodies whose member names collide, in flight at once (twice
 * the server's workers); once all are sent, /health is asked: each body
 * is answered 400 with what is wrong, and /health is served meanwhile. A
 * server spending quadratic time on them (as it did: over a minute per
 * body) leaves no worker for /health, whose request then times out. */
static void
test_colliding_names (void)
{
  static const struct
  {
    NavetteTestBody  kind;
    const char      *message;
  } cases[] = {
    { NAVETTE_TEST_BODY_SAME_HASH_ONE_OBJECT, "members in an object" },
    { NAVETTE_TEST_BODY_SAME_HASH, "member names built to collide in a hash table" },
    /* as colliding as the scanner lets through: json-glib's work stays
     * linear, and then the request's fields are wrong */
    { NAVETTE_TEST_BODY_SAME_BUCKET, "“x” is not a field of this request" },
  };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autofree char *health_uri = g_strconcat (server->base_url, API "/health", NULL);
  GString *bodies[G_N_ELEMENTS (cases)];
  Post posts[8];
  GThread *threads[G_N_ELEMENTS (posts)];
  Sent sent = { 0 };

  g_mutex_init (&sent.mutex);
  g_cond_init (&sent.cond);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    bodies[i] = navette_test_json_body (cases[i].kind, BODY_SIZE, NAVETTE_JSON_MAX_MEMBERS);
  for (guint i = 0; i < G_N_ELEMENTS (posts); i++)
    {
      posts[i] = (Post) { server->base_url, bodies[i % G_N_ELEMENTS (cases)], NULL, &sent, 0, NULL, NULL };
      threads[i] = g_thread_new ("post", post_thread, &posts[i]);
    }
  g_mutex_lock (&sent.mutex);
  while (sent.written < G_N_ELEMENTS (posts))
    g_cond_wait (&sent.cond, &sent.mutex);
  g_mutex_unlock (&sent.mutex);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", health_uri);
      g_autoptr(GBytes) answer = NULL;
      g_autoptr(GError) error = NULL;

      answer = soup_session_send_and_read (session, msg, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    }

  for (guint i = 0; i < G_N_ELEMENTS (posts); i++)
    {
      g_thread_join (threads[i]);
      g_test_message ("%s: %u %s", navette_test_json_kind (cases[i % G_N_ELEMENTS (cases)].kind),
                      posts[i].status, posts[i].message);
      g_assert_cmpuint (posts[i].status, ==, 400);
      g_assert_cmpstr (posts[i].code, ==, "bad_request");
      g_assert_nonnull (strstr (posts[i].message, cases[i % G_N_ELEMENTS (cases)].message));
      post_clear (&posts[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_string_free (bodies[i], TRUE);
  g_mutex_clear (&sent.mutex);
  g_cond_clear (&sent.cond);
}

static GString *
string_of (const char *text)
{
  return g_string_new (text);
}

/* A body refused as malformed on the unauthenticated route is a failed
 * sign-in of its address: past 20, that address's sign-ins get 429 (the
 * right password too), before their bodies are parsed; other addresses
 * sign in as before. */
static void
test_parse_failures_rate_limited (void)
{
  const char *args[] = { "--trusted-proxy", "127.0.0.1", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(GString) malformed = string_of ("{\"username\": \"alice\", \"password\":");
  g_autoptr(GString) right = string_of ("{\"username\": \"alice\", \"password\": \"" NAVETTE_DEMO_PASSWORD "\"}");
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonNode) json = NULL;
  guint status;

  for (guint i = 0; i < 20; i++)
    {
      Post post = { server->base_url, malformed, "192.0.2.7", NULL, 0, NULL, NULL };

      post_thread (&post);
      g_assert_cmpuint (post.status, ==, 400);
      g_assert_cmpstr (post.code, ==, "bad_request");
      post_clear (&post);
    }

  {
    Post post = { server->base_url, right, "192.0.2.7", NULL, 0, NULL, NULL };

    post_thread (&post);
    g_assert_cmpuint (post.status, ==, 429);
    g_assert_cmpstr (post.code, ==, "rate_limited");
    post_clear (&post);
  }
  /* what it sends is not read any more: garbage is 429 too, not 400 */
  {
    Post post = { server->base_url, malformed, "192.0.2.7", NULL, 0, NULL, NULL };

    post_thread (&post);
    g_assert_cmpuint (post.status, ==, 429);
    post_clear (&post);
  }
  status = navette_test_request_full (server, "POST", API "/sessions", NULL, "application/json",
                                      right->str, right->len, &answer, &headers,
                                      "X-Real-IP", "192.0.2.7", NULL);
  g_assert_cmpuint (status, ==, 429);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));

  /* another address is not concerned */
  {
    Post post = { server->base_url, right, "192.0.2.8", NULL, 0, NULL, NULL };

    post_thread (&post);
    g_assert_cmpuint (post.status, ==, 201);
    post_clear (&post);
  }
  /* a body of another type counts as well */
  for (guint i = 0; i < 20; i++)
    {
      g_clear_pointer (&answer, g_bytes_unref);
      status = navette_test_request_full (server, "POST", API "/sessions", NULL, "text/plain",
                                          "hello", 5, &answer, NULL, "X-Real-IP", "192.0.2.9", NULL);
      g_assert_cmpuint (status, ==, 415);
    }
  g_clear_pointer (&answer, g_bytes_unref);
  status = navette_test_request_full (server, "POST", API "/sessions", NULL, "application/json",
                                      right->str, right->len, &answer, NULL, "X-Real-IP", "192.0.2.9", NULL);
  g_assert_cmpuint (status, ==, 429);
  json = navette_test_parse (answer);
  st_assert_error (status, json, 429, "rate_limited");
}

/* At most NAVETTE_JSON_MAX_MEMBERS members per object and
 * NAVETTE_JSON_MAX_REQUEST_ITEMS values per request body, signed in or
 * not; a record of as many columns as the limit allows is read. */
static void
test_limits (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GString) values = g_string_new ("{\"username\": \"alice\", \"password\": \"x\", \"extra\": [0");
  g_autoptr(GString) members = g_string_new ("{\"data\": {\"name\": \"many\"");
  g_autoptr(GString) fewer = NULL;
  g_autoptr(JsonNode) json = NULL;
  JsonObject *error;
  guint status;

  for (guint i = 1; i < NAVETTE_JSON_MAX_REQUEST_ITEMS; i++)
    g_string_append (values, ",0");
  g_string_append (values, "]}");
  status = st_request (server, "POST", API "/sessions", NULL, values->str, &json, NULL);
  st_assert_error (status, json, 400, "bad_request");
  error = json_object_get_object_member (st_object (json), "error");
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                            "more than 100000 values in the document"));
  g_clear_pointer (&json, json_node_unref);

  for (guint i = 1; i < NAVETTE_JSON_MAX_MEMBERS; i++)
    g_string_append_printf (members, ", \"c%u\": %u", i, i);
  fewer = g_string_new (members->str);
  g_string_append (members, ", \"one_more\": 0}}");
  status = st_request (server, "POST", PRODUCTS "/records", token, members->str, &json, NULL);
  st_assert_error (status, json, 400, "bad_request");
  error = json_object_get_object_member (st_object (json), "error");
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                            "more than 1024 members in an object"));
  g_clear_pointer (&json, json_node_unref);

  /* at the limit, the body is read: what is wrong then is the columns */
  g_string_append (fewer, "}}");
  status = st_request (server, "POST", PRODUCTS "/records", token, fewer->str, &json, NULL);
  st_assert_error (status, json, 422, "validation_failed");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/json-limits/colliding-names", test_colliding_names);
  g_test_add_func ("/server/json-limits/parse-failures-rate-limited", test_parse_failures_rate_limited);
  g_test_add_func ("/server/json-limits/limits", test_limits);

  return g_test_run ();
}
