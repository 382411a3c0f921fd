/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-types.c — the column types long_text, choice, url and email
 * (and the range of number columns) through the real server, on either
 * backend (tests/postgres runs it again on PostgreSQL):
 *  - a table made with `navette-server table add` holding them is listed
 *    with its types, choices and bounds;
 *  - a record that fits is created (201) and read back as written;
 *  - a choice not in the list, a URL that is not http(s), an address
 *    without a domain, a number out of range: 422 validation_failed with
 *    the column in "fields", on create and on update;
 *  - the demo's article body is long_text, and a long text of it is kept
 *    whole. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

#define CONTACTS BLOG "/tables/contacts"

static void
add_contacts (NavetteTestServer *server)
{
  g_autofree char *err = NULL;
  int status = navette_test_server_admin (server, NULL, &err, "table", "add", "blog", "contacts",
                                          "--column", "name:text:required:80",
                                          "--column", "notes:long_text",
                                          "--column", "state:choice:required:choices=lead|client|gone:away",
                                          "--column", "site:url",
                                          "--column", "mail:email:254",
                                          "--column", "age:integer:min=0:max=150",
                                          NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (err, ==, "");
}

static JsonObject *
find_column (JsonObject *table,
             const char *name)
{
  JsonArray *columns = json_object_get_array_member (table, "columns");

  for (guint i = 0; i < json_array_get_length (columns); i++)
    {
      JsonObject *column = json_array_get_object_element (columns, i);

      if (g_str_equal (json_object_get_string_member (column, "name"), name))
        return column;
    }
  g_assert_not_reached ();
}

static JsonObject *
find_table (JsonNode   *tables,
            const char *name)
{
  JsonArray *array = json_object_get_array_member (st_object (tables), "tables");

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *table = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (table, "name"), name))
        return table;
    }
  g_assert_not_reached ();
}

static void
test_schema_listed (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) json = NULL;
  JsonObject *contacts;
  JsonObject *state;
  JsonArray *choices;

  add_contacts (server);
  g_assert_cmpuint (st_request (server, "GET", BLOG "/tables", token, NULL, &json, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (find_column (find_table (json, "articles"), "body"), "type"),
                   ==, "long_text");
  contacts = find_table (json, "contacts");
  g_assert_cmpstr (json_object_get_string_member (find_column (contacts, "notes"), "type"), ==, "long_text");
  state = find_column (contacts, "state");
  g_assert_cmpstr (json_object_get_string_member (state, "type"), ==, "choice");
  g_assert_true (json_object_get_boolean_member (state, "required"));
  choices = json_object_get_array_member (state, "choices");
  g_assert_cmpuint (json_array_get_length (choices), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (choices, 2), ==, "gone:away");
  g_assert_cmpstr (json_object_get_string_member (find_column (contacts, "site"), "type"), ==, "url");
  g_assert_cmpstr (json_object_get_string_member (find_column (contacts, "mail"), "type"), ==, "email");
  g_assert_cmpint (json_object_get_int_member (find_column (contacts, "mail"), "max_length"), ==, 254);
  g_assert_cmpint (json_object_get_int_member (find_column (contacts, "age"), "min"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (find_column (contacts, "age"), "max"), ==, 150);
}

static void
expect_refused (NavetteTestServer *server,
                const char        *token,
                const char        *method,
                const char        *path,
                const char        *body,
                const char        *column,
                const char        *problem)
{
  g_autoptr(JsonNode) json = NULL;
  guint status = st_request (server, method, path, token, body, &json, NULL);
  JsonObject *fields;

  st_assert_error (status, json, 422, "validation_failed");
  fields = json_object_get_object_member (json_object_get_object_member (st_object (json), "error"), "fields");
  g_assert_nonnull (fields);
  g_assert_cmpstr (json_object_get_string_member (fields, column), ==, problem);
  g_assert_cmpuint (json_object_get_size (fields), ==, 1);
}

static void
test_validated (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  JsonObject *data;
  guint status;

  add_contacts (server);
  status = st_request (server, "POST", CONTACTS "/records", token,
                       "{\"data\": {\"name\": \"Zoé\", \"notes\": \"Line one\\nLine two\","
                       " \"state\": \"gone:away\", \"site\": \"https://example.org/zoé\","
                       " \"mail\": \"zoe@example.org\", \"age\": 150}}", &json, NULL);
  g_assert_cmpuint (status, ==, 201);
  data = json_object_get_object_member (st_object (json), "data");
  g_assert_cmpstr (json_object_get_string_member (data, "notes"), ==, "Line one\nLine two");
  g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, "gone:away");
  g_assert_cmpstr (json_object_get_string_member (data, "site"), ==, "https://example.org/zoé");
  g_assert_cmpstr (json_object_get_string_member (data, "mail"), ==, "zoe@example.org");
  path = g_strdup_printf (CONTACTS "/records/%s", json_object_get_string_member (st_object (json), "id"));

  expect_refused (server, token, "POST", CONTACTS "/records",
                  "{\"data\": {\"name\": \"A\", \"state\": \"friend\"}}",
                  "state", "must be one of the column’s choices");
  expect_refused (server, token, "POST", CONTACTS "/records",
                  "{\"data\": {\"name\": \"A\", \"state\": \"lead\", \"site\": \"ftp://example.org\"}}",
                  "site", "must be a web address starting with http:// or https://");
  expect_refused (server, token, "POST", CONTACTS "/records",
                  "{\"data\": {\"name\": \"A\", \"state\": \"lead\", \"mail\": \"a@localhost\"}}",
                  "mail", "must be an email address (name@example.org)");
  expect_refused (server, token, "POST", CONTACTS "/records",
                  "{\"data\": {\"name\": \"A\", \"state\": \"lead\", \"age\": -1}}",
                  "age", "must be at least 0");
  expect_refused (server, token, "POST", CONTACTS "/records",
                  "{\"data\": {\"name\": \"A\"}}", "state", "is required");
  expect_refused (server, token, "PATCH", path,
                  "{\"base_version\": 1, \"data\": {\"state\": \"LEAD\"}}",
                  "state", "must be one of the column’s choices");
  expect_refused (server, token, "PATCH", path,
                  "{\"base_version\": 1, \"data\": {\"site\": \"not a url\"}}",
                  "site", "must be a web address starting with http:// or https://");
  expect_refused (server, token, "PATCH", path,
                  "{\"base_version\": 1, \"data\": {\"mail\": \"zoe@example\"}}",
                  "mail", "must be an email address (name@example.org)");

  /* what fits is written */
  g_clear_pointer (&json, json_node_unref);
  body = g_strdup ("{\"base_version\": 1, \"data\": {\"state\": \"client\", \"site\": null}}");
  g_assert_cmpuint (st_request (server, "PATCH", path, token, body, &json, NULL), ==, 200);
  data = json_object_get_object_member (st_object (json), "data");
  g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, "client");
  g_assert_true (json_object_get_null_member (data, "site"));
}

static void
test_long_text_demo (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *id = st_first_record (server, token, ARTICLES "/records");
  g_autofree char *path = g_strdup_printf (ARTICLES "/records/%s", id);
  GString *body = g_string_new ("{\"base_version\": 1, \"data\": {\"body\": \"");

  /* long text: no length limit of its own */
  for (guint i = 0; i < 2000; i++)
    g_string_append (body, "Paragraphe. ");
  g_string_append (body, "\"}}");
  g_assert_cmpuint (st_request (server, "PATCH", path, token, body->str, &json, NULL), ==, 200);
  g_assert_cmpuint (strlen (json_object_get_string_member (json_object_get_object_member (st_object (json), "data"),
                                                           "body")), ==, 2000 * strlen ("Paragraphe. "));
  g_string_free (body, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/types/schema", test_schema_listed);
  g_test_add_func ("/server/types/validated", test_validated);
  g_test_add_func ("/server/types/long-text", test_long_text_demo);

  return g_test_run ();
}
