/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-pg-outage.c — the database goes away and comes back.
 *
 * The test runs its own throwaway cluster (argv[1] is pg-cluster.sh,
 * argv[2] the empty directory to make it in — `pg-cluster.sh scratch`
 * gives one and removes the cluster even when the test fails), so that
 * stopping it disturbs nobody: while it is down the server answers
 * 503 `unavailable` with Retry-After (and health says "unavailable");
 * once it is back, the next requests succeed without restarting the
 * server (broken pooled connections are replaced by themselves). */
#define G_LOG_DOMAIN "navette-test-pg"

#include "config.h"

#include <string.h>

#include "navette-test-server.h"

static const char *cluster_script;
static const char *cluster_dir;

static void
run_script (const char  *command,
            const char  *dir,
            char       **out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              cluster_script, command, dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
}

static void
assert_unavailable (NavetteTestServer *server,
                    const char        *path,
                    const char        *token)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *error;
  guint status;

  status = navette_test_request (server, "GET", path, token, NULL, &response, &headers);
  g_assert_cmpuint (status, ==, 503);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  root = navette_test_parse (response);
  error = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unavailable");
}

#define PRODUCTS "/api/v1/applications/catalogue/tables/products"

static void
test_outage (void)
{
  const char *dir = cluster_dir;
  g_autofree char *env = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) health = NULL;
  g_auto(GStrv) lines = NULL;
  const char * const serve_args[] = { "--state-cache", "0", NULL };
  NavetteTestServer *server;
  guint status;

  if (g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") != 0)
    {
      g_test_skip ("needs NAVETTE_TEST_BACKEND=postgresql");
      return;
    }

  run_script ("start", dir, &env);
  lines = g_strsplit (env, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "NAVETTE_TEST_PG_URL="))
      g_setenv ("NAVETTE_TEST_PG_URL", lines[i] + strlen ("NAVETTE_TEST_PG_URL="), TRUE);

  server = navette_test_server_start (serve_args);
  token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  status = navette_test_request (server, "GET", PRODUCTS "/records", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);

  /* The database goes away. */
  run_script ("halt", dir, NULL);
  status = navette_test_request (server, "GET", "/api/v1/health", NULL, NULL, &response, NULL);
  g_assert_cmpuint (status, ==, 503);
  health = navette_test_parse (response);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (health), "status"), ==,
                   "unavailable");
  assert_unavailable (server, PRODUCTS "/records", token);
  assert_unavailable (server, PRODUCTS "/last-modified", token);
  status = navette_test_request (server, "PATCH", PRODUCTS "/records/00000000-0000-4000-8000-000000000000",
                                 token, "{\"base_version\": 1, \"data\": {\"stock\": 1}}", NULL, NULL);
  g_assert_cmpuint (status, ==, 503);

  /* It comes back: the same server process recovers by itself. */
  run_script ("resume", dir, NULL);
  status = navette_test_request (server, "GET", "/api/v1/health", NULL, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  status = navette_test_request (server, "GET", PRODUCTS "/records", token, NULL, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  status = navette_test_request (server, "POST", PRODUCTS "/records", token,
                                 "{\"data\": {\"name\": \"After the outage\"}}", NULL, NULL);
  g_assert_cmpuint (status, ==, 201);

  navette_test_server_free (server);
  run_script ("stop", dir, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (argc < 3)
    g_error ("usage: %s PATH/TO/pg-cluster.sh EMPTY-DIRECTORY", argv[0]);
  cluster_script = argv[1];
  cluster_dir = argv[2];
  g_test_add_func ("/pg/outage/unavailable-then-recovers", test_outage);

  return g_test_run ();
}
