/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-engine-admin.c — NavetteAdminClient against the real server, as the
 * Administration window uses it: a refusal carries the engine's
 * translated sentence, chosen from the code and reason (how many records
 * a constraint breaks), the server's English one as a detail, a
 * revocation finishes with NULL and no error, and a non-administrator
 * gets FORBIDDEN. */
#define G_LOG_DOMAIN "navette-test-engine"

#include "config.h"

#include "navette-admin-client.h"
#include "navette-sync-error.h"
#include "navette-test-server.h"

typedef struct
{
  NavetteTestServer  *server;
  NavetteClient      *client;
  NavetteAdminClient *admin;
  char               *token;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *user = data;

  f->server = navette_test_server_start (NULL);
  f->token = navette_test_login (f->server, user, NAVETTE_DEMO_PASSWORD);
  f->client = navette_client_new (f->server->base_url);
  navette_client_set_token (f->client, f->token);
  f->admin = navette_admin_client_new (f->client);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->admin);
  g_assert_finalize_object (f->client);
  g_free (f->token);
  navette_test_server_free (f->server);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Waits for the call started with store_cb and finishes it. */
static JsonNode *
finish (Fixture       *f,
        GAsyncResult **result,
        GError       **error)
{
  JsonNode *node;

  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  node = navette_admin_client_finish (f->admin, *result, error);
  g_clear_object (result);
  return node;
}

/* The "message" of the server's answer to the same request. */
static char *
server_message (Fixture    *f,
                const char *method,
                const char *path,
                const char *body,
                guint       status)
{
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *error;

  g_assert_cmpuint (navette_test_request (f->server, method, path, f->token, body, &answer, NULL), ==, status);
  root = navette_test_parse (answer);
  error = json_object_get_object_member (json_node_get_object (root), "error");
  return g_strdup (json_object_get_string_member (error, "message"));
}

static void
test_refusal_says_why (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autofree char *said = NULL;

  /* A name taken: CONFLICT, in the engine's (translated) words; the
   * server's English one a detail. */
  said = server_message (f, "POST", "/api/v1/admin/users",
                         "{\"username\": \"alice\", \"display_name\": \"Another Alice\", \"password\": \"long-enough-pass\"}",
                         409);
  navette_admin_client_add_user_async (f->admin, "alice", "Another Alice", "long-enough-pass", FALSE,
                                       NULL, store_cb, &result);
  node = finish (f, &result, &error);
  g_assert_null (node);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "The server refused the change because it conflicts with an earlier one.");
  g_assert_cmpstr (navette_sync_error_get_server_message (error), ==, said);
  g_clear_error (&error);
  g_clear_pointer (&said, g_free);

  /* A constraint the rows break: VALIDATION, saying how many (the
   * reason and its count), not in the server's words. */
  said = server_message (f, "PATCH", "/api/v1/admin/applications/blog/tables/articles/columns/title",
                         "{\"max_length\": 3}", 422);
  json_object_set_int_member (changes, "max_length", 3);
  navette_admin_client_update_column_async (f->admin, "blog", "articles", "title", changes,
                                            NULL, store_cb, &result);
  node = finish (f, &result, &error);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
  g_assert_cmpstr (error->message, !=, said);
  g_assert_cmpstr (navette_sync_error_get_server_message (error), ==, said);
  g_assert_cmpstr (navette_sync_error_get_reason (error), ==, "records_misfit");
  g_assert_true (g_regex_match_simple ("^[0-9]+ records? of this table", error->message, 0, 0));
}

static void
test_revocation_is_null (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) grants = NULL;

  navette_admin_client_set_grant_async (f->admin, "catalogue", "bob", NULL, NULL, store_cb, &result);
  node = finish (f, &result, &error);
  g_assert_no_error (error);
  g_assert_null (node);

  navette_admin_client_list_grants_async (f->admin, "catalogue", "bob", NULL, store_cb, &result);
  grants = finish (f, &result, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (json_node_get_object (grants), "grants")); i++)
    {
      JsonObject *grant = json_array_get_object_element (json_object_get_array_member (json_node_get_object (grants), "grants"), i);

      g_assert_true (json_object_get_null_member (grant, "role"));
    }
}

static void
test_editor_forbidden (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *filters[] = { "app", "blog", NULL };

  /* alice edits the blog: its activity, but not the members. */
  navette_admin_client_activity_async (f->admin, filters, NULL, 10, NULL, store_cb, &result);
  node = finish (f, &result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_object_get_array_member (json_node_get_object (node), "entries"));
  g_clear_pointer (&node, json_node_unref);

  navette_admin_client_list_users_async (f->admin, NULL, 0, NULL, store_cb, &result);
  node = finish (f, &result, &error);
  g_assert_null (node);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_FORBIDDEN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/engine/admin/refusal-says-why", Fixture, "admin",
              fixture_setup, test_refusal_says_why, fixture_teardown);
  g_test_add ("/engine/admin/revocation-is-null", Fixture, "admin",
              fixture_setup, test_revocation_is_null, fixture_teardown);
  g_test_add ("/engine/admin/editor-forbidden", Fixture, "alice",
              fixture_setup, test_editor_forbidden, fixture_teardown);

  return g_test_run ();
}
