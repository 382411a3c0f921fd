/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-concurrency.c — versioning invariants under 8 concurrent
 * HTTP writers on one record: contiguous versions, exactly one current
 * version, one audit row per version. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

#define N_WRITERS 8
#define N_UPDATES 10

typedef struct
{
  NavetteTestServer *server;
  const char        *token;
  const char        *path;
  guint              index;
  guint              ok;
  guint              failed;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);

  for (guint i = 0; i < N_UPDATES; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"base_version\": 1, \"data\": {\"stock\": %u}}",
                                               writer->index * 1000 + i);

      if (navette_test_session_send (session, writer->server->base_url, "PATCH", writer->path, writer->token,
                                     body, NULL, NULL) == 200)
        writer->ok++;
      else
        writer->failed++;
    }
  return NULL;
}

static void
test_concurrent_writers (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *id = st_create_product (server, token, "Contended");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autofree char *versions_path = g_strdup_printf ("%s/versions", path);
  g_autoptr(JsonNode) versions = NULL;
  g_autoptr(JsonNode) audit = NULL;
  g_autoptr(GHashTable) audited = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GArray) audited_versions = g_array_new (FALSE, FALSE, sizeof (gint64));
  Writer writers[N_WRITERS];
  GThread *threads[N_WRITERS];
  guint total = 1 + N_WRITERS * N_UPDATES;
  guint current = 0;
  JsonArray *list;
  JsonArray *entries;
  guint status;

  for (guint i = 0; i < N_WRITERS; i++)
    {
      writers[i] = (Writer) { server, token, path, i, 0, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }
  for (guint i = 0; i < N_WRITERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (writers[i].failed, ==, 0);
      g_assert_cmpuint (writers[i].ok, ==, N_UPDATES);
    }

  status = st_request (server, "GET", versions_path, token, NULL, &versions, NULL);
  g_assert_cmpuint (status, ==, 200);
  list = json_object_get_array_member (st_object (versions), "versions");
  g_assert_cmpuint (json_array_get_length (list), ==, total);
  for (guint i = 0; i < total; i++)
    {
      JsonObject *version = json_array_get_object_element (list, i);

      /* contiguous, newest first */
      g_assert_cmpint (json_object_get_int_member (version, "version"), ==, total - i);
      if (!json_object_get_boolean_member (version, "obsolete"))
        current++;
    }
  g_assert_cmpuint (current, ==, 1);
  g_assert_false (json_object_get_boolean_member (json_array_get_object_element (list, 0), "obsolete"));

  /* one audit row per version */
  status = st_request (server, "GET", CATALOGUE "/audit?limit=1000", token, NULL, &audit, NULL);
  g_assert_cmpuint (status, ==, 200);
  entries = json_object_get_array_member (st_object (audit), "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);
      gint64 to_version;

      if (g_strcmp0 (json_object_get_string_member (entry, "record"), id) != 0)
        continue;
      to_version = json_object_get_int_member (entry, "to_version");
      g_array_append_val (audited_versions, to_version);
    }
  g_assert_cmpuint (audited_versions->len, ==, total);
  for (guint i = 0; i < audited_versions->len; i++)
    {
      gint64 *v = &g_array_index (audited_versions, gint64, i);

      g_assert_cmpint (*v, >=, 1);
      g_assert_cmpint (*v, <=, total);
      g_assert_false (g_hash_table_contains (audited, v));
      g_hash_table_add (audited, v);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/concurrency/eight-writers-one-record", test_concurrent_writers);

  return g_test_run ();
}
