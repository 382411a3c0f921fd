/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-auth.c — tokens: expiry, logout, unknown tokens, and the
 * limits on failed sign-ins, parallel ones included. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

static void
test_expired (void)
{
  const char *args[] = { "--token-lifetime", "0", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) again = NULL;
  guint status;

  status = st_request (server, "GET", API "/me", token, NULL, &json, NULL);
  st_assert_error (status, json, 401, "auth_expired");
  /* also on the light check, the hot path */
  status = st_request (server, "GET", PRODUCTS "/last-modified", token, NULL, &again, NULL);
  st_assert_error (status, again, 401, "auth_expired");
}

static void
test_logout_and_unknown (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *other = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) me = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) light = NULL;
  g_autoptr(JsonNode) still = NULL;
  g_autoptr(JsonNode) unknown = NULL;
  g_autoptr(JsonNode) twice = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) malformed = NULL;
  guint status;

  status = st_request (server, "GET", API "/me", token, NULL, &me, NULL);
  g_assert_cmpuint (status, ==, 200);
  /* warm the light-check caches for this token */
  status = st_request (server, "GET", PRODUCTS "/last-modified", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);

  status = st_request (server, "DELETE", API "/sessions/current", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 204);

  /* the token stops working at once, everywhere */
  status = st_request (server, "GET", API "/me", token, NULL, &after, NULL);
  st_assert_error (status, after, 401, "auth_required");
  status = st_request (server, "GET", PRODUCTS "/last-modified", token, NULL, &light, NULL);
  st_assert_error (status, light, 401, "auth_required");
  status = st_request (server, "DELETE", API "/sessions/current", token, NULL, &twice, NULL);
  st_assert_error (status, twice, 401, "auth_required");

  /* other sessions of the same user live on */
  status = st_request (server, "GET", API "/me", other, NULL, &still, NULL);
  g_assert_cmpuint (status, ==, 200);

  status = st_request (server, "GET", API "/me", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, &unknown, NULL);
  st_assert_error (status, unknown, 401, "auth_required");

  status = navette_test_request_full (server, "GET", API "/me", NULL, NULL, NULL, 0, &response, NULL,
                                      "Authorization", "Basic YWxpY2U6bmF2ZXR0ZS1kZW1v", NULL);
  malformed = navette_test_parse (response);
  st_assert_error (status, malformed, 401, "auth_required");
}

static void
test_rate_limited (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonNode) limited = NULL;
  g_autoptr(JsonNode) correct = NULL;
  g_autofree char *bob = NULL;
  guint64 retry_after = 0;
  guint status;

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonNode) json = NULL;

      status = st_request (server, "POST", API "/sessions", NULL,
                           "{\"username\": \"alice\", \"password\": \"guess\"}", &json, NULL);
      st_assert_error (status, json, 401, "auth_required");
    }

  status = st_request (server, "POST", API "/sessions", NULL,
                       "{\"username\": \"alice\", \"password\": \"guess\"}", &limited, &headers);
  st_assert_error (status, limited, 429, "rate_limited");
  g_assert_true (g_ascii_string_to_unsigned (soup_message_headers_get_one (headers, "Retry-After"),
                                             10, 1, 300, &retry_after, NULL));

  /* even the right password waits, for that user */
  status = st_request (server, "POST", API "/sessions", NULL,
                       "{\"username\": \"alice\", \"password\": \"navette-demo\"}", &correct, NULL);
  st_assert_error (status, correct, 429, "rate_limited");

  /* another user from the same address is not locked out */
  bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_assert_nonnull (bob);
}

static void
test_rate_limited_address (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(JsonNode) limited = NULL;
  guint status;

  /* 20 failures from one address over many usernames */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonNode) json = NULL;
      g_autofree char *body = g_strdup_printf ("{\"username\": \"user%u\", \"password\": \"guess\"}", i);

      status = st_request (server, "POST", API "/sessions", NULL, body, &json, NULL);
      st_assert_error (status, json, 401, "auth_required");
    }
  status = st_request (server, "POST", API "/sessions", NULL,
                       "{\"username\": \"bob\", \"password\": \"navette-demo\"}", &limited, NULL);
  st_assert_error (status, limited, 429, "rate_limited");
}

/* Signs in through a request carrying X-Real-IP: @real_ip. */
static guint
login_from (NavetteTestServer *server,
            const char        *username,
            const char        *password,
            const char        *real_ip)
{
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}",
                                           username, password);

  return navette_test_request_full (server, "POST", API "/sessions", NULL, "application/json",
                                    body, strlen (body), NULL, NULL,
                                    "X-Real-IP", real_ip, NULL);
}

static void
fail_twenty_times (NavetteTestServer *server,
                   const char        *real_ip)
{
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *username = g_strdup_printf ("user%u", i);

      g_assert_cmpuint (login_from (server, username, "guess", real_ip), ==, 401);
    }
}

/* Behind a trusted reverse proxy, failures are counted per X-Real-IP (the
 * documentation addresses below are header values only: no traffic). */
static void
test_rate_limited_behind_proxy (void)
{
  const char *args[] = { "--trusted-proxy", "127.0.0.1", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);

  fail_twenty_times (server, "203.0.113.7");
  g_assert_cmpuint (login_from (server, "bob", NAVETTE_DEMO_PASSWORD, "203.0.113.7"), ==, 429);
  /* other clients of the same proxy are not locked out */
  g_assert_cmpuint (login_from (server, "bob", NAVETTE_DEMO_PASSWORD, "198.51.100.9"), ==, 201);
}

/* Without --trusted-proxy the header is ignored: it cannot be used to
 * dodge the limit. */
static void
test_rate_limited_header_ignored (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *username = g_strdup_printf ("user%u", i);
      g_autofree char *real_ip = g_strdup_printf ("203.0.113.%u", i + 1);

      g_assert_cmpuint (login_from (server, username, "guess", real_ip), ==, 401);
    }
  g_assert_cmpuint (login_from (server, "bob", NAVETTE_DEMO_PASSWORD, "198.51.100.9"), ==, 429);
}

/* ------------------------------------------------------------------ */
/* Parallel sign-ins                                                   */

#define N_PARALLEL 12

typedef struct
{
  const char *base_url;
  const char *password;
  GMutex      mutex;
  GCond       cond;
  gboolean    go;
  guint       ready;
  guint       checked;   /* 401: a password was checked */
  guint       refused;   /* 429 */
  guint       other;
} Race;

typedef struct
{
  Race *race;
  char *real_ip;         /* X-Real-IP, or NULL */
} Racer;

/* One wrong password for alice, sent when every racer is ready. */
static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;
  Race *race = racer->race;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *uri = g_strconcat (race->base_url, API "/sessions", NULL);
  g_autofree char *body = g_strdup_printf ("{\"username\": \"alice\", \"password\": \"%s\"}", race->password);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  if (racer->real_ip != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Real-IP", racer->real_ip);

  g_mutex_lock (&race->mutex);
  race->ready++;
  g_cond_broadcast (&race->cond);
  while (!race->go)
    g_cond_wait (&race->cond, &race->mutex);
  g_mutex_unlock (&race->mutex);

  response = soup_session_send_and_read (session, msg, NULL, &error);
  status = error == NULL ? soup_message_get_status (msg) : 0;
  g_mutex_lock (&race->mutex);
  if (status == 401)
    race->checked++;
  else if (status == 429)
    race->refused++;
  else
    race->other++;
  g_mutex_unlock (&race->mutex);
  return NULL;
}

/* N_PARALLEL wrong passwords for alice at once, from one address or (with
 * @spread) from as many: (checked, refused). */
static void
race_wrong_passwords (NavetteTestServer *server,
                      gboolean           spread,
                      guint             *checked,
                      guint             *refused)
{
  Race race = { .base_url = server->base_url, .password = "guess" };
  Racer racers[N_PARALLEL];
  GThread *threads[N_PARALLEL];

  g_mutex_init (&race.mutex);
  g_cond_init (&race.cond);
  for (guint i = 0; i < N_PARALLEL; i++)
    {
      racers[i].race = &race;
      racers[i].real_ip = spread ? g_strdup_printf ("203.0.113.%u", i + 1) : NULL;
      threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
    }
  g_mutex_lock (&race.mutex);
  while (race.ready < N_PARALLEL)
    g_cond_wait (&race.cond, &race.mutex);
  race.go = TRUE;
  g_cond_broadcast (&race.cond);
  g_mutex_unlock (&race.mutex);
  for (guint i = 0; i < N_PARALLEL; i++)
    {
      g_thread_join (threads[i]);
      g_free (racers[i].real_ip);
    }
  g_test_message ("%u parallel wrong passwords%s: %u checked (401), %u refused (429)", N_PARALLEL,
                  spread ? " from as many addresses" : "", race.checked, race.refused);
  g_assert_cmpuint (race.other, ==, 0);
  g_assert_cmpuint (race.checked + race.refused, ==, N_PARALLEL);
  *checked = race.checked;
  *refused = race.refused;
  g_mutex_clear (&race.mutex);
  g_cond_clear (&race.cond);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Checking and counting are one step: twelve wrong passwords sent at once
 * make at most five password checks, from one address (its limit for that
 * name) or from twelve (the name's free failures). The name is slowed
 * down, not locked: its user signs in at once from an address she signed
 * in from before, and from a new one after the Retry-After she is given
 * (a second or so, at most a minute). */
static void
test_sign_in_race (void)
{
  const char *args[] = { "--trusted-proxy", "127.0.0.1", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(NavetteTestServer) spread_server = navette_test_server_start (args);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint64 retry_after = 0;
  guint checked, refused;
  gint64 race_start;

  race_wrong_passwords (server, FALSE, &checked, &refused);
  g_assert_cmpuint (checked, ==, 5);
  g_assert_cmpuint (refused, ==, N_PARALLEL - 5);

  /* from as many addresses; alice signed in from 192.0.2.1 before */
  g_assert_cmpuint (login_from (spread_server, "alice", NAVETTE_DEMO_PASSWORD, "192.0.2.1"), ==, 201);
  race_start = g_get_monotonic_time ();
  {
    /* The name is slowed, not locked: after its five free failures the
     * next check may come 1 s after the last, the one after 2 s more, and
     * so on. A loaded machine can take seconds to send the twelve, so the
     * bound counts the checks those seconds allow (k more after
     * 2^k - 1 s), not a flat five. */
    gint64 start = race_start;
    double elapsed;
    guint allowed = 5;

    race_wrong_passwords (spread_server, TRUE, &checked, &refused);
    elapsed = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
    while ((double) ((1u << (allowed - 5 + 1)) - 1) <= elapsed)
      allowed++;
    g_test_message ("%u checks in %.2f s (at most %u)", checked, elapsed, allowed);
    g_assert_cmpuint (checked, <=, allowed);
  }
  g_assert_cmpuint (login_from (spread_server, "alice", NAVETTE_DEMO_PASSWORD, "192.0.2.1"), ==, 201);
  {
    g_autofree char *body = g_strdup_printf ("{\"username\": \"alice\", \"password\": \"%s\"}",
                                             NAVETTE_DEMO_PASSWORD);
    guint status = navette_test_request_full (spread_server, "POST", API "/sessions", NULL, "application/json",
                                              body, strlen (body), NULL, &headers,
                                              "X-Real-IP", "198.51.100.77", NULL);

    /* After `checked` failures the name waits 2^(checked - 5) s from its
     * last failure, which came after race_start: while fewer seconds than
     * that have passed since race_start, a new address is refused. A
     * machine slow enough to pass that time may let it through. */
    double since = (double) (g_get_monotonic_time () - race_start) / G_USEC_PER_SEC;
    double delay = checked >= 5 ? MIN ((double) (1u << MIN (checked - 5, 6)), 60.0) : 0;

    g_test_message ("new address after %.2f s (the name waits %.0f s): %u", since, delay, status);
    if (status == 201)
      {
        g_assert_cmpfloat (since, >=, delay);
        return;
      }
    g_assert_cmpuint (status, ==, 429);
    g_assert_true (g_ascii_string_to_unsigned (soup_message_headers_get_one (headers, "Retry-After"),
                                               10, 1, 60, &retry_after, NULL));
  }
  /* g_timeout_add_seconds() may fire early (it rounds to whole seconds
   * of the clock): wait the full Retry-After in milliseconds. */
  g_timeout_add ((guint) retry_after * 1000, quit_cb, loop);
  g_main_loop_run (loop);
  g_assert_cmpuint (login_from (spread_server, "alice", NAVETTE_DEMO_PASSWORD, "198.51.100.77"), ==, 201);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/auth/expired", test_expired);
  g_test_add_func ("/server/auth/logout-and-unknown", test_logout_and_unknown);
  g_test_add_func ("/server/auth/rate-limited/user", test_rate_limited);
  g_test_add_func ("/server/auth/rate-limited/address", test_rate_limited_address);
  g_test_add_func ("/server/auth/rate-limited/behind-proxy", test_rate_limited_behind_proxy);
  g_test_add_func ("/server/auth/rate-limited/header-ignored", test_rate_limited_header_ignored);
  g_test_add_func ("/server/auth/sign-in-race", test_sign_in_race);

  return g_test_run ();
}
