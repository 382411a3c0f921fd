/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-json — parse time of 1 MiB request bodies built to collide,
 * against an ordinary 1 MiB body of the same shape (tests/common/
 * navette-test-json.h describes the bodies):
 *  1. in this process: the strict scanner alone, then the whole parse a
 *     request body gets (navette_json_parse_request: scanner + json-glib);
 *  2. through the real navette-server: POST /api/v1/sessions with each
 *     body (each from its own client address, through --trusted-proxy, so
 *     the rate limit does not answer instead), and the time of
 *     GET /api/v1/health while four of the worst bodies are in flight.
 * The worst body must parse within 3× the time of the ordinary one
 * (medians); the exit status says whether it does. */
#define G_LOG_DOMAIN "navette-bench"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "navette-test-json.h"
#include "navette-test-server.h"
#include "navette-wire-decoder.h"

#define BODY_SIZE   (1024 * 1024)
#define ROUNDS      21
#define MAX_RATIO   3.0

static const NavetteTestBody kinds[] = {
  NAVETTE_TEST_BODY_ORDINARY,
  NAVETTE_TEST_BODY_SAME_HASH,
  NAVETTE_TEST_BODY_SAME_HASH_ONE_OBJECT,
  NAVETTE_TEST_BODY_SAME_BUCKET,
};

typedef struct
{
  double median;
  double min;
  double max;
} Figures;

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static Figures
figures_of (double *ms,
            guint   n)
{
  Figures f;

  qsort (ms, n, sizeof ms[0], compare_double);
  f.median = ms[n / 2];
  f.min = ms[0];
  f.max = ms[n - 1];
  return f;
}

static void
print_row (const char    *what,
           NavetteTestBody kind,
           const Figures *f,
           const char    *outcome)
{
  g_print ("  %-8s %-22s median %8.2f ms  (%.2f-%.2f)  %s\n", what,
           navette_test_json_kind (kind), f->median, f->min, f->max, outcome);
}

/* Parses each body ROUNDS times, the bodies in turn (so that a busy
 * moment of the machine weighs on all alike). Returns the worst median of
 * the colliding bodies divided by the ordinary body's. */
static double
bench_in_process (GString **bodies,
                  gboolean  whole)
{
  double ms[G_N_ELEMENTS (kinds)][ROUNDS];
  char *outcome[G_N_ELEMENTS (kinds)] = { NULL };
  double ordinary = 0, worst = 0;

  for (guint r = 0; r < ROUNDS; r++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) node = NULL;
        gint64 start = g_get_monotonic_time ();

        if (whole)
          node = navette_json_parse_request (bodies[k]->str, bodies[k]->len, &error);
        else
          navette_wire_json_validate (bodies[k]->str, bodies[k]->len, &error);
        ms[k][r] = (g_get_monotonic_time () - start) / 1000.0;
        if (r == 0)
          outcome[k] = error != NULL ? g_strdup_printf ("refused: %s", error->message) : g_strdup ("accepted");
      }

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      Figures f = figures_of (ms[k], ROUNDS);

      print_row (whole ? "parse" : "scanner", kinds[k], &f, outcome[k]);
      g_free (outcome[k]);
      if (kinds[k] == NAVETTE_TEST_BODY_ORDINARY)
        ordinary = f.median;
      else
        worst = MAX (worst, f.median);
    }
  return worst / ordinary;
}

typedef struct
{
  const char *base_url;
  GString    *body;
  guint       client;   /* its X-Real-IP: 10.0.x.y */
  guint       status;
  double      ms;
} Post;

static gpointer
post_thread (gpointer data)
{
  Post *post = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 120, NULL);
  g_autofree char *uri = g_strconcat (post->base_url, "/api/v1/sessions", NULL);
  g_autofree char *address = g_strdup_printf ("10.%u.%u.%u", (post->client >> 16) & 0xff,
                                              (post->client >> 8) & 0xff, post->client & 0xff);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) body = g_bytes_new_static (post->body->str, post->body->len);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Real-IP", address);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  start = g_get_monotonic_time ();
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  post->ms = (g_get_monotonic_time () - start) / 1000.0;
  g_assert_no_error (error);
  post->status = soup_message_get_status (msg);
  return NULL;
}

static double
health_ms (NavetteTestServer *server)
{
  gint64 start = g_get_monotonic_time ();
  guint status = navette_test_request (server, "GET", "/api/v1/health", NULL, NULL, NULL, NULL);

  g_assert_cmpuint (status, ==, 200);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static double
bench_server (GString **bodies)
{
  const char *args[] = { "--trusted-proxy", "127.0.0.1", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  double ordinary = 0, worst = 0;
  guint client = 1;

  double ms[G_N_ELEMENTS (kinds)][ROUNDS];
  guint status[G_N_ELEMENTS (kinds)] = { 0 };

  for (guint r = 0; r < ROUNDS; r++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        Post post = { server->base_url, bodies[k], client++, 0, 0 };

        post_thread (&post);
        ms[k][r] = post.ms;
        status[k] = post.status;
      }
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      Figures f = figures_of (ms[k], ROUNDS);
      g_autofree char *outcome = g_strdup_printf ("answered %u", status[k]);

      print_row ("server", kinds[k], &f, outcome);
      if (kinds[k] == NAVETTE_TEST_BODY_ORDINARY)
        ordinary = f.median;
      else
        worst = MAX (worst, f.median);
    }

  /* /health while four of the slowest bodies keep the four workers busy */
  {
    NavetteTestBody slowest = NAVETTE_TEST_BODY_SAME_BUCKET;
    double health[ROUNDS];
    Figures f, idle;

    for (guint r = 0; r < ROUNDS; r++)
      health[r] = health_ms (server);
    idle = figures_of (health, ROUNDS);
    for (guint r = 0; r < ROUNDS; r++)
      {
        Post posts[4];
        GThread *threads[4];

        for (guint i = 0; i < 4; i++)
          {
            posts[i] = (Post) { server->base_url, bodies[G_N_ELEMENTS (kinds) - 1], client++, 0, 0 };
            threads[i] = g_thread_new ("bench-post", post_thread, &posts[i]);
          }
        health[r] = health_ms (server);
        for (guint i = 0; i < 4; i++)
          g_thread_join (threads[i]);
      }
    f = figures_of (health, ROUNDS);
    g_print ("  /health idle: median %.2f ms (%.2f-%.2f); with 4 %s bodies in flight: "
             "median %.2f ms (%.2f-%.2f)\n", idle.median, idle.min, idle.max,
             navette_test_json_kind (slowest), f.median, f.min, f.max);
  }
  return worst / ordinary;
}

int
main (int   argc,
      char *argv[])
{
  GString *bodies[G_N_ELEMENTS (kinds)];
  double scanner, parse, server;
  gboolean ok;

  g_print ("bench-json: 1 MiB bodies, %u rounds each (median, min-max)\n", ROUNDS);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    bodies[k] = navette_test_json_body (kinds[k], BODY_SIZE, NAVETTE_JSON_MAX_MEMBERS);

  g_print ("In this process:\n");
  scanner = bench_in_process (bodies, FALSE);
  parse = bench_in_process (bodies, TRUE);
  g_print ("Through navette-server (POST /api/v1/sessions, 400 for each):\n");
  server = bench_server (bodies);

  ok = parse <= MAX_RATIO;
  g_print ("Worst colliding body / ordinary body: scanner %.2fx, whole parse %.2fx, "
           "through the server %.2fx (limit %.0fx for the parse): %s\n",
           scanner, parse, server, MAX_RATIO, ok ? "within" : "OVER");

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    g_string_free (bodies[k], TRUE);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
