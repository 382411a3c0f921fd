/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-api.c — every endpoint of the v1 API against the real
 * navette-server (one server with the demo content for the program). */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

static NavetteTestServer *server;
static char *alice;  /* editor of catalogue and blog */
static char *bob;    /* reader of catalogue */
static char *admin;

static void
test_health (void)
{
  g_autoptr(JsonNode) json = NULL;
  guint status = st_request (server, "GET", API "/health", NULL, NULL, &json, NULL);

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (st_object (json), "status"), ==, "ok");
}

static void
test_login (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) wrong = NULL;
  g_autoptr(JsonNode) unknown = NULL;
  JsonObject *user;
  const char *token;
  gint64 expires_at;
  guint status;

  status = st_request (server, "POST", API "/sessions", NULL,
                       "{\"username\": \"alice\", \"password\": \"navette-demo\"}", &json, NULL);
  g_assert_cmpuint (status, ==, 201);
  token = json_object_get_string_member (st_object (json), "token");
  g_assert_cmpuint (strlen (token), ==, 43);
  g_assert_true (navette_time_parse (json_object_get_string_member (st_object (json), "expires_at"), &expires_at));
  g_assert_cmpint (expires_at, >, navette_time_now () + (gint64) 11 * 3600 * G_USEC_PER_SEC);
  user = json_object_get_object_member (st_object (json), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_false (json_object_get_boolean_member (user, "admin"));

  status = st_request (server, "POST", API "/sessions", NULL,
                       "{\"username\": \"alice\", \"password\": \"wrong\"}", &wrong, NULL);
  st_assert_error (status, wrong, 401, "auth_required");
  status = st_request (server, "POST", API "/sessions", NULL,
                       "{\"username\": \"nobody\", \"password\": \"navette-demo\"}", &unknown, NULL);
  st_assert_error (status, unknown, 401, "auth_required");
}

static void
test_login_bad_body (void)
{
  const char *bodies[] = {
    "{\"username\": \"alice\"}",
    "{\"username\": 1, \"password\": \"navette-demo\"}",
    "{\"username\": \"alice\", \"password\": \"navette-demo\", \"admin\": true}",
    "[\"alice\", \"navette-demo\"]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonNode) json = NULL;
      guint status = st_request (server, "POST", API "/sessions", NULL, bodies[i], &json, NULL);

      st_assert_error (status, json, 400, "bad_request");
    }
}

static void
test_me (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) bob_json = NULL;
  g_autoptr(JsonNode) none = NULL;
  JsonObject *roles;
  guint status;

  status = st_request (server, "GET", API "/me", alice, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (st_object (json), "username"), ==, "alice");
  g_assert_nonnull (json_object_get_string_member (st_object (json), "display_name"));
  roles = json_object_get_object_member (st_object (json), "roles");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (roles, "editor")), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (roles, "reader")), ==, 0);

  status = st_request (server, "GET", API "/me", bob, NULL, &bob_json, NULL);
  g_assert_cmpuint (status, ==, 200);
  roles = json_object_get_object_member (st_object (bob_json), "roles");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (roles, "reader"), 0), ==, "catalogue");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (roles, "editor")), ==, 0);

  status = st_request (server, "GET", API "/me", NULL, NULL, &none, NULL);
  st_assert_error (status, none, 401, "auth_required");
}

static void
test_applications (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) bob_json = NULL;
  JsonArray *apps;
  guint status;

  status = st_request (server, "GET", API "/applications", alice, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  apps = json_object_get_array_member (st_object (json), "applications");
  g_assert_cmpuint (json_array_get_length (apps), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *app = json_array_get_object_element (apps, i);
      g_assert_cmpstr (json_object_get_string_member (app, "role"), ==, "editor");
      g_assert_nonnull (json_object_get_string_member (app, "title"));
    }

  /* only those the user has a role in */
  status = st_request (server, "GET", API "/applications", bob, NULL, &bob_json, NULL);
  g_assert_cmpuint (status, ==, 200);
  apps = json_object_get_array_member (st_object (bob_json), "applications");
  g_assert_cmpuint (json_array_get_length (apps), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (apps, 0), "name"), ==, "catalogue");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (apps, 0), "role"), ==, "reader");
}

static void
test_tables (void)
{
  g_autoptr(JsonNode) json = NULL;
  JsonArray *tables;
  JsonObject *articles;
  JsonArray *columns;
  gboolean seen_title = FALSE;
  guint status;

  status = st_request (server, "GET", BLOG "/tables", alice, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  tables = json_object_get_array_member (st_object (json), "tables");
  g_assert_cmpuint (json_array_get_length (tables), ==, 1);
  articles = json_array_get_object_element (tables, 0);
  g_assert_cmpstr (json_object_get_string_member (articles, "name"), ==, "articles");
  columns = json_object_get_array_member (articles, "columns");
  for (guint i = 0; i < json_array_get_length (columns); i++)
    {
      JsonObject *column = json_array_get_object_element (columns, i);

      if (g_str_equal (json_object_get_string_member (column, "name"), "title"))
        {
          seen_title = TRUE;
          g_assert_cmpstr (json_object_get_string_member (column, "type"), ==, "text");
          g_assert_true (json_object_get_boolean_member (column, "required"));
          g_assert_cmpint (json_object_get_int_member (column, "max_length"), ==, 200);
        }
    }
  g_assert_true (seen_title);
}

static void
test_table_light_check (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *expected_etag = NULL;
  g_autofree char *same = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *id = NULL;
  gint64 revision;
  gint64 last_update;
  guint status;

  status = navette_test_request (server, "GET", PRODUCTS "/last-modified", bob, NULL, &body, &headers);
  g_assert_cmpuint (status, ==, 200);
  /* the body stays under 100 bytes */
  g_assert_cmpuint (g_bytes_get_size (body), <, 100);
  json = navette_test_parse (body);
  g_assert_cmpstr (json_object_get_string_member (st_object (json), "table"), ==, "products");
  revision = json_object_get_int_member (st_object (json), "revision");
  g_assert_cmpint (revision, >, 0);
  g_assert_true (navette_time_parse (json_object_get_string_member (st_object (json), "last_update"), &last_update));
  etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  expected_etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", revision);
  g_assert_cmpstr (etag, ==, expected_etag);

  /* (a 304 has no body: st_conditional_get asserts it) */
  g_assert_cmpuint (st_conditional_get (server, PRODUCTS "/last-modified", bob, etag, &same, NULL), ==, 304);
  g_assert_cmpstr (same, ==, etag);

  /* a write moves it at once: the ETag no longer matches */
  id = st_create_product (server, alice, "Light check");
  g_assert_cmpuint (st_conditional_get (server, PRODUCTS "/last-modified", bob, etag, &moved, NULL), ==, 200);
  g_assert_cmpstr (moved, !=, etag);
}

static void
test_app_light_check (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *same = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *id = NULL;
  JsonObject *tables;

  /* (st_conditional_get asserts an ETag on every answer, and no body on a 304) */
  g_assert_cmpuint (st_conditional_get (server, CATALOGUE "/last-modified", alice, NULL, &etag, &json), ==, 200);
  tables = json_object_get_object_member (st_object (json), "tables");
  g_assert_true (json_object_has_member (tables, "products"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (tables, "products"), "revision"), >, 0);

  g_assert_cmpuint (st_conditional_get (server, CATALOGUE "/last-modified", alice, etag, &same, NULL), ==, 304);

  id = st_create_product (server, alice, "App light check");
  g_assert_cmpuint (st_conditional_get (server, CATALOGUE "/last-modified", alice, etag, &moved, NULL), ==, 200);
  g_assert_cmpstr (moved, !=, etag);
}

static void
test_records_list_and_since (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) delta = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autofree char *id = NULL;
  g_autofree char *since_path = NULL;
  JsonArray *records;
  JsonObject *record;
  gint64 revision;
  guint status;

  status = st_request (server, "GET", PRODUCTS "/records", bob, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (st_object (json), "table"), ==, "products");
  revision = json_object_get_int_member (st_object (json), "revision");
  records = json_object_get_array_member (st_object (json), "records");
  g_assert_cmpuint (json_array_get_length (records), >, 0);
  record = json_array_get_object_element (records, 0);
  g_assert_true (navette_uuid_is_valid (json_object_get_string_member (record, "id")));
  g_assert_cmpint (json_object_get_int_member (record, "version"), >=, 1);
  g_assert_true (json_object_has_member (record, "data"));
  g_assert_true (json_object_has_member (record, "archived"));
  g_assert_true (json_object_has_member (record, "updated_at"));
  g_assert_true (json_object_has_member (record, "updated_by"));
  g_assert_true (json_object_has_member (record, "revision"));

  id = st_create_product (server, alice, "Delta");
  since_path = g_strdup_printf (PRODUCTS "/records?since=%" G_GINT64_FORMAT, revision);
  status = st_request (server, "GET", since_path, bob, NULL, &delta, NULL);
  g_assert_cmpuint (status, ==, 200);
  records = json_object_get_array_member (st_object (delta), "records");
  g_assert_cmpuint (json_array_get_length (records), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (records, 0), "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (st_object (delta), "revision"), >, revision);

  status = st_request (server, "GET", PRODUCTS "/records?since=yesterday", bob, NULL, &bad, NULL);
  st_assert_error (status, bad, 400, "bad_request");
}

static void
test_record_create_get (void)
{
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) replay = NULL;
  g_autoptr(JsonNode) conflict = NULL;
  g_autoptr(JsonNode) got = NULL;
  g_autofree char *id = navette_uuid_new ();
  g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"Chair\", \"price\": 49.0}}", id);
  g_autofree char *other = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"Table\"}}", id);
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  JsonObject *record;
  guint status;

  status = st_request (server, "POST", PRODUCTS "/records", alice, body, &created, NULL);
  g_assert_cmpuint (status, ==, 201);
  record = st_object (created);
  g_assert_cmpstr (json_object_get_string_member (record, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (record, "updated_by"), ==, "alice");
  g_assert_false (json_object_get_boolean_member (record, "archived"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (record, "data"), "name"), ==, "Chair");

  /* the same id with the same data: 200 and the same record */
  status = st_request (server, "POST", PRODUCTS "/records", alice, body, &replay, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (replay), "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (st_object (replay), "revision"), ==,
                   json_object_get_int_member (record, "revision"));

  /* the same id with other data: 409 */
  status = st_request (server, "POST", PRODUCTS "/records", alice, other, &conflict, NULL);
  st_assert_error (status, conflict, 409, "conflict");

  status = st_request (server, "GET", path, bob, NULL, &got, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (st_object (got), "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (st_object (got), "version"), ==, 1);

  /* Once the record was updated, the create replayed is still a replay of
   * what it created (version 1), on either backend: 200, the record as it
   * is now, nothing written. */
  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 1, \"data\": {\"price\": 51.0}}",
                       NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&replay, json_node_unref);
  status = st_request (server, "POST", PRODUCTS "/records", alice, body, &replay, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (replay), "version"), ==, 2);
  g_clear_pointer (&conflict, json_node_unref);
  status = st_request (server, "POST", PRODUCTS "/records", alice, other, &conflict, NULL);
  st_assert_error (status, conflict, 409, "conflict");
}

static void
test_record_create_without_id (void)
{
  g_autofree char *id = st_create_product (server, alice, "No id");

  g_assert_true (navette_uuid_is_valid (id));
}

static void
test_record_update (void)
{
  g_autofree char *id = st_create_product (server, alice, "Lamp");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) v3 = NULL;
  g_autoptr(JsonNode) late = NULL;
  g_autoptr(JsonNode) archived = NULL;
  JsonObject *data;
  JsonArray *superseded;
  guint status;

  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 1, \"data\": {\"price\": 12.5}}", &v2, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (v2), "version"), ==, 2);
  data = json_object_get_object_member (st_object (v2), "data");
  /* only the given columns change */
  g_assert_cmpfloat (json_object_get_double_member (data, "price"), ==, 12.5);
  g_assert_cmpstr (json_object_get_string_member (data, "name"), ==, "Lamp");
  g_assert_cmpint (json_object_get_int_member (data, "stock"), ==, 1);
  g_assert_false (json_object_has_member (st_object (v2), "superseded"));

  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 2, \"data\": {\"stock\": 7}}", &v3, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (v3), "version"), ==, 3);

  /* last write wins; the answer names the versions written since base 1 */
  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 1, \"data\": {\"name\": \"Lamp 2\"}}", &late, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (late), "version"), ==, 4);
  superseded = json_object_get_array_member (st_object (late), "superseded");
  g_assert_nonnull (superseded);
  g_assert_cmpuint (json_array_get_length (superseded), ==, 2);
  g_assert_cmpint (json_array_get_int_element (superseded, 0), ==, 2);
  g_assert_cmpint (json_array_get_int_element (superseded, 1), ==, 3);
  data = json_object_get_object_member (st_object (late), "data");
  g_assert_cmpint (json_object_get_int_member (data, "stock"), ==, 7);

  /* a version never written: refused, on either backend */
  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 9, \"data\": {\"stock\": 1}}", NULL, NULL);
  g_assert_cmpuint (status, ==, 400);

  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 4, \"archived\": true}", &archived, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_object_get_boolean_member (st_object (archived), "archived"));
  g_assert_cmpint (json_object_get_int_member (st_object (archived), "version"), ==, 5);
}

static void
test_versions_and_revert (void)
{
  g_autofree char *id = st_create_product (server, alice, "Desk");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autofree char *versions_path = g_strdup_printf ("%s/versions", path);
  g_autofree char *revert_path = g_strdup_printf ("%s/revert", path);
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) reverted = NULL;
  g_autoptr(JsonNode) versions = NULL;
  g_autoptr(JsonNode) missing = NULL;
  JsonArray *list;
  guint status;

  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 1, \"data\": {\"name\": \"Desk 2\"}}", &v2, NULL);
  g_assert_cmpuint (status, ==, 200);

  status = st_request (server, "POST", revert_path, alice, "{\"version\": 1}", &reverted, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (reverted), "version"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (st_object (reverted), "data"), "name"), ==, "Desk");

  status = st_request (server, "GET", versions_path, bob, NULL, &versions, NULL);
  g_assert_cmpuint (status, ==, 200);
  list = json_object_get_array_member (st_object (versions), "versions");
  g_assert_cmpuint (json_array_get_length (list), ==, 3);
  /* newest first, only the newest is current */
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *version = json_array_get_object_element (list, i);

      g_assert_cmpint (json_object_get_int_member (version, "version"), ==, 3 - i);
      g_assert_true (json_object_get_boolean_member (version, "obsolete") == (i != 0));
    }

  status = st_request (server, "POST", revert_path, alice, "{\"version\": 99}", &missing, NULL);
  st_assert_error (status, missing, 404, "not_found");
}

static void
test_record_delete_405 (void)
{
  g_autofree char *id = st_first_record (server, alice, PRODUCTS "/records");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  guint status;

  status = st_request (server, "DELETE", path, alice, NULL, &json, &headers);
  st_assert_error (status, json, 405, "method_not_allowed");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Allow"), ==, "GET, PATCH");
}

static void
test_not_found (void)
{
  const char *paths[] = {
    "/",
    "/api/v2/health",
    API "/nothing",
    API "/applications/",
    API "/applications/nosuchapp/tables",
    API "/applications/Catalogue/tables",
    API "/applications/catalogue;drop/tables",
    API "/applications/catalogue/tables/nosuchtable/records",
    API "/applications/catalogue/tables/products%20x/records",
    API "/applications/catalogue/tables/products/records/not-a-uuid",
    API "/applications/catalogue/tables/products/records/00000000-0000-4000-8000-000000000000",
    API "/applications/catalogue/tables/products/records/00000000-0000-4000-8000-000000000000/versions",
    API "/applications/catalogue/tables/products/records/extra/segments/here",
    API "/applications/catalogue/tables/products/records/..%2F..%2Fhealth",
    API "/applications/blog/tables",  /* alice has it, bob has no role: 404 for bob below */
  };

  for (guint i = 0; i + 1 < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(JsonNode) json = NULL;
      guint status = st_request (server, "GET", paths[i], alice, NULL, &json, NULL);

      st_assert_error (status, json, 404, "not_found");
    }
  {
    g_autoptr(JsonNode) json = NULL;
    guint status = st_request (server, "GET", paths[G_N_ELEMENTS (paths) - 1], bob, NULL, &json, NULL);

    st_assert_error (status, json, 404, "not_found");
  }
}

static void
test_method_not_allowed (void)
{
  struct { const char *method; const char *path; const char *allow; } cases[] = {
    { "POST", API "/health", "GET" },
    { "GET", API "/sessions", "POST" },
    { "PUT", PRODUCTS "/records", "GET, POST" },
    { "DELETE", PRODUCTS "/last-modified", "GET" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) json = NULL;
      g_autoptr(SoupMessageHeaders) headers = NULL;
      guint status = st_request (server, cases[i].method, cases[i].path, alice, NULL, &json, &headers);

      st_assert_error (status, json, 405, "method_not_allowed");
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Allow"), ==, cases[i].allow);
    }
}

static void
test_validation (void)
{
  g_autofree char *id = st_create_product (server, alice, "Valid");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autoptr(JsonNode) missing = NULL;
  g_autoptr(JsonNode) wrong = NULL;
  g_autoptr(JsonNode) unknown = NULL;
  g_autoptr(JsonNode) null_required = NULL;
  g_autoptr(JsonNode) too_long = NULL;
  g_autofree char *long_title = g_strnfill (201, 'x');
  g_autofree char *long_body = g_strdup_printf ("{\"data\": {\"title\": \"%s\"}}", long_title);
  JsonObject *fields;
  guint status;

  status = st_request (server, "POST", PRODUCTS "/records", alice, "{\"data\": {\"price\": 1}}", &missing, NULL);
  st_assert_error (status, missing, 422, "validation_failed");
  fields = json_object_get_object_member (json_object_get_object_member (st_object (missing), "error"), "fields");
  g_assert_true (json_object_has_member (fields, "name"));

  status = st_request (server, "POST", PRODUCTS "/records", alice,
                       "{\"data\": {\"name\": \"x\", \"stock\": 1.5, \"published\": \"yes\"}}", &wrong, NULL);
  st_assert_error (status, wrong, 422, "validation_failed");
  fields = json_object_get_object_member (json_object_get_object_member (st_object (wrong), "error"), "fields");
  g_assert_true (json_object_has_member (fields, "stock"));
  g_assert_true (json_object_has_member (fields, "published"));

  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 1, \"data\": {\"colour\": \"red\"}}", &unknown, NULL);
  st_assert_error (status, unknown, 422, "validation_failed");

  status = st_request (server, "PATCH", path, alice, "{\"base_version\": 1, \"data\": {\"name\": null}}", &null_required, NULL);
  st_assert_error (status, null_required, 422, "validation_failed");

  status = st_request (server, "POST", ARTICLES "/records", alice, long_body, &too_long, NULL);
  st_assert_error (status, too_long, 422, "validation_failed");
}

static void
test_bad_request_fields (void)
{
  g_autofree char *id = st_create_product (server, alice, "Fields");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autofree char *revert = g_strdup_printf ("%s/revert", path);
  struct { const char *method; const char *path; const char *body; } cases[] = {
    /* wrong JSON types of request fields */
    { "POST", PRODUCTS "/records", "{\"data\": [1]}" },
    { "POST", PRODUCTS "/records", "{\"data\": \"name\"}" },
    { "POST", PRODUCTS "/records", "{\"id\": 12, \"data\": {\"name\": \"a\"}}" },
    { "POST", PRODUCTS "/records", "{\"id\": \"not-a-uuid\", \"data\": {\"name\": \"a\"}}" },
    { "PATCH", path, "{\"base_version\": \"1\", \"data\": {}}" },
    { "PATCH", path, "{\"base_version\": 1.0, \"data\": {}}" },
    { "PATCH", path, "{\"data\": {\"name\": \"no base\"}}" },
    { "PATCH", path, "{\"base_version\": 1, \"archived\": \"yes\"}" },
    { "PATCH", path, "{\"base_version\": 1}" },
    { "POST", revert, "{\"version\": \"1\"}" },
    /* read-only fields */
    { "POST", PRODUCTS "/records", "{\"version\": 2, \"data\": {\"name\": \"a\"}}" },
    { "POST", PRODUCTS "/records", "{\"revision\": 2, \"data\": {\"name\": \"a\"}}" },
    { "PATCH", path, "{\"base_version\": 1, \"updated_by\": \"eve\", \"data\": {}}" },
    { "PATCH", path, "{\"base_version\": 1, \"updated_at\": \"2026-01-01T00:00:00.000000Z\", \"data\": {}}" },
    { "PATCH", path, "{\"base_version\": 1, \"obsolete\": true}" },
    { "PATCH", path, "{\"base_version\": 1, \"id\": \"00000000-0000-4000-8000-000000000000\", \"data\": {}}" },
    /* unknown fields */
    { "POST", PRODUCTS "/records", "{\"data\": {\"name\": \"a\"}, \"colour\": 1}" },
    /* not an object */
    { "POST", PRODUCTS "/records", "[]" },
    { "POST", PRODUCTS "/records", "\"data\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) json = NULL;
      guint status = st_request (server, cases[i].method, cases[i].path, alice, cases[i].body, &json, NULL);

      if (status != 400)
        g_error ("%s %s %s → %u", cases[i].method, cases[i].path, cases[i].body, status);
      st_assert_error (status, json, 400, "bad_request");
    }
}

static void
test_malformed_json (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"data\": {\"name\": ");
  g_autoptr(GString) huge_deep = g_string_new (NULL);
  struct { const char *body; gsize len; } cases[] = {
    { "{\"data\": {\"name\": \"a\"}, \"data\": {\"name\": \"b\"}}", 0 },       /* duplicate keys */
    { "{\"data\": {\"name\": \"a\", \"name\": \"b\"}}", 0 },
    { "{\"data\": {\"name\": \"a\"}} trailing", 0 },                         /* trailing data */
    { "{\"data\": {\"name\": \"a\"}}{}", 0 },
    { "{\"data\": {\"name\": \"a\", \"stock\": 99999999999999999999}}", 0 }, /* out of range */
    { "{\"data\": {\"name\": \"a\", \"price\": 1e999}}", 0 },
    { "{\"data\": {\"name\": \"a\", \"price\": NaN}}", 0 },
    { "{\"data\": {\"name\": \"\xff\xfe\"}}", 0 },                            /* invalid UTF-8 */
    { "{\"data\": {\"name\": \"\\uD800\"}}", 0 },                            /* lone surrogate */
    { "{\"data\": ", 0 },                                                     /* truncated */
    { "", 0 },                                                                /* empty */
  };
  guint status;

  for (guint i = 0; i < 70; i++)
    g_string_append (deep, "[");
  for (guint i = 0; i < 70; i++)
    g_string_append (deep, "]");
  g_string_append (deep, "}}");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (huge_deep, '[');

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) response = NULL;
      g_autoptr(JsonNode) json = NULL;

      status = navette_test_request_full (server, "POST", PRODUCTS "/records", alice, "application/json",
                                          cases[i].body, strlen (cases[i].body), &response, NULL, NULL);
      json = navette_test_parse (response);
      st_assert_error (status, json, 400, "bad_request");
    }

  {
    g_autoptr(JsonNode) json = NULL;
    status = st_request (server, "POST", PRODUCTS "/records", alice, deep->str, &json, NULL);
    st_assert_error (status, json, 400, "bad_request");
  }
  {
    g_autoptr(JsonNode) json = NULL;
    status = st_request (server, "POST", PRODUCTS "/records", alice, huge_deep->str, &json, NULL);
    st_assert_error (status, json, 400, "bad_request");
  }
  /* and the server is still there */
  test_health ();
}

static void
test_unsupported_media_type (void)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) json = NULL;
  const char *body = "{\"data\": {\"name\": \"a\"}}";
  guint status;

  status = navette_test_request_full (server, "POST", PRODUCTS "/records", alice, "text/plain",
                                      body, strlen (body), &response, NULL, NULL);
  json = navette_test_parse (response);
  st_assert_error (status, json, 415, "unsupported_media_type");

  g_clear_pointer (&response, g_bytes_unref);
  g_clear_pointer (&json, json_node_unref);
  status = navette_test_request_full (server, "POST", PRODUCTS "/records", alice, "application/x-www-form-urlencoded",
                                      "name=a", 6, &response, NULL, NULL);
  json = navette_test_parse (response);
  st_assert_error (status, json, 415, "unsupported_media_type");

  /* parameters are fine */
  g_clear_pointer (&response, g_bytes_unref);
  status = navette_test_request_full (server, "POST", PRODUCTS "/records", alice, "application/json; charset=utf-8",
                                      body, strlen (body), &response, NULL, NULL);
  g_assert_cmpuint (status, ==, 201);
}

static guint
idem_request (const char  *method,
              const char  *path,
              const char  *key,
              const char  *body,
              JsonNode   **json)
{
  g_autoptr(GBytes) response = NULL;
  guint status;

  status = navette_test_request_full (server, method, path, alice, "application/json",
                                      body, strlen (body), &response, NULL,
                                      "Idempotency-Key", key, NULL);
  *json = response != NULL && g_bytes_get_size (response) > 0 ? navette_test_parse (response) : NULL;
  return status;
}

static gint64
version_count (const char *id)
{
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s/versions", id);
  g_autoptr(JsonNode) json = NULL;
  guint status = st_request (server, "GET", path, alice, NULL, &json, NULL);

  g_assert_cmpuint (status, ==, 200);
  return json_array_get_length (json_object_get_array_member (st_object (json), "versions"));
}

static void
test_idempotency (void)
{
  g_autofree char *key = navette_uuid_new ();
  g_autofree char *patch_key = navette_uuid_new ();
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *first_text = NULL;
  g_autofree char *replay_text = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) replay = NULL;
  g_autoptr(JsonNode) other = NULL;
  g_autoptr(JsonNode) patch = NULL;
  g_autoptr(JsonNode) patch_replay = NULL;
  g_autoptr(JsonNode) bad_key = NULL;
  g_autoptr(JsonNode) list_before = NULL;
  g_autoptr(JsonNode) list_after = NULL;
  const char *body = "{\"data\": {\"name\": \"Idempotent\"}}";
  guint status;

  status = st_request (server, "GET", PRODUCTS "/records", alice, NULL, &list_before, NULL);
  g_assert_cmpuint (status, ==, 200);

  status = idem_request ("POST", PRODUCTS "/records", key, body, &first);
  g_assert_cmpuint (status, ==, 201);
  /* same key, same body: the first answer again, nothing written */
  status = idem_request ("POST", PRODUCTS "/records", key, body, &replay);
  g_assert_cmpuint (status, ==, 201);
  first_text = navette_json_to_string (first, NULL);
  replay_text = navette_json_to_string (replay, NULL);
  g_assert_cmpstr (first_text, ==, replay_text);
  status = st_request (server, "GET", PRODUCTS "/records", alice, NULL, &list_after, NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (st_object (list_after), "records")), ==,
                    json_array_get_length (json_object_get_array_member (st_object (list_before), "records")) + 1);

  /* same key, other body: 409 */
  status = idem_request ("POST", PRODUCTS "/records", key, "{\"data\": {\"name\": \"Other\"}}", &other);
  st_assert_error (status, other, 409, "conflict");

  /* updates too */
  id = g_strdup (json_object_get_string_member (st_object (first), "id"));
  path = g_strdup_printf (PRODUCTS "/records/%s", id);
  status = idem_request ("PATCH", path, patch_key, "{\"base_version\": 1, \"data\": {\"stock\": 3}}", &patch);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (patch), "version"), ==, 2);
  status = idem_request ("PATCH", path, patch_key, "{\"base_version\": 1, \"data\": {\"stock\": 3}}", &patch_replay);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (patch_replay), "version"), ==, 2);
  g_assert_cmpint (version_count (id), ==, 2);

  status = idem_request ("POST", PRODUCTS "/records", "not-a-uuid", body, &bad_key);
  st_assert_error (status, bad_key, 400, "bad_request");
}

static void
test_audit (void)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) page = NULL;
  g_autoptr(JsonNode) reader = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autoptr(JsonNode) admin_json = NULL;
  g_autoptr(JsonNode) missing = NULL;
  g_autofree char *id = st_create_product (server, alice, "Audited");
  g_autofree char *after_path = NULL;
  JsonArray *entries;
  JsonObject *last;
  gint64 first_id;
  guint status;

  status = st_request (server, "GET", CATALOGUE "/audit?limit=1000", alice, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  entries = json_object_get_array_member (st_object (json), "entries");
  g_assert_cmpuint (json_array_get_length (entries), >, 0);
  last = json_array_get_object_element (entries, json_array_get_length (entries) - 1);
  g_assert_cmpstr (json_object_get_string_member (last, "action"), ==, "create");
  g_assert_cmpstr (json_object_get_string_member (last, "user"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (last, "table"), ==, "products");
  g_assert_cmpstr (json_object_get_string_member (last, "record"), ==, id);
  g_assert_cmpint (json_object_get_int_member (last, "to_version"), ==, 1);
  g_assert_true (navette_time_parse (json_object_get_string_member (last, "at"), &first_id));

  first_id = json_object_get_int_member (json_array_get_object_element (entries, 0), "id");
  after_path = g_strdup_printf (CATALOGUE "/audit?after=%" G_GINT64_FORMAT "&limit=1", first_id);
  status = st_request (server, "GET", after_path, alice, NULL, &page, NULL);
  g_assert_cmpuint (status, ==, 200);
  entries = json_object_get_array_member (st_object (page), "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (entries, 0), "id"), >, first_id);

  status = st_request (server, "GET", CATALOGUE "/audit", bob, NULL, &reader, NULL);
  st_assert_error (status, reader, 403, "forbidden");

  status = st_request (server, "GET", CATALOGUE "/audit?limit=0", alice, NULL, &bad, NULL);
  st_assert_error (status, bad, 400, "bad_request");

  /* an admin sees every application's trail, but not one that does not exist */
  status = st_request (server, "GET", BLOG "/audit", admin, NULL, &admin_json, NULL);
  g_assert_cmpuint (status, ==, 200);
  status = st_request (server, "GET", API "/applications/nosuchapp/audit", admin, NULL, &missing, NULL);
  st_assert_error (status, missing, 404, "not_found");
}

/* A grant and its revocation are audited alike on both backends: the
 * grant's record, its versions, and who had which role. */
static void
test_audit_grants (void)
{
  g_autoptr(JsonNode) json = NULL;
  JsonArray *entries;
  JsonObject *grant, *revoke;
  guint n, status;

  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "grant", "bob", "reader", "blog", NULL), ==, 0);
  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "revoke", "bob", "blog", NULL), ==, 0);

  status = st_request (server, "GET", BLOG "/audit?limit=1000", admin, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  entries = json_object_get_array_member (st_object (json), "entries");
  n = json_array_get_length (entries);
  g_assert_cmpuint (n, >=, 2);
  grant = json_array_get_object_element (entries, n - 2);
  revoke = json_array_get_object_element (entries, n - 1);

  g_assert_cmpstr (json_object_get_string_member (grant, "action"), ==, "grant");
  g_assert_cmpstr (json_object_get_string_member (grant, "detail"), ==, "bob: reader");
  g_assert_true (navette_uuid_is_valid (json_object_get_string_member (grant, "record")));
  g_assert_cmpint (json_object_get_int_member (grant, "from_version"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (grant, "to_version"), ==, 1);

  g_assert_cmpstr (json_object_get_string_member (revoke, "action"), ==, "revoke");
  g_assert_cmpstr (json_object_get_string_member (revoke, "detail"), ==, "bob (was reader)");
  g_assert_cmpstr (json_object_get_string_member (revoke, "record"), ==,
                   json_object_get_string_member (grant, "record"));
  g_assert_cmpint (json_object_get_int_member (revoke, "from_version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (revoke, "to_version"), ==, 2);
}

static void
test_access_log (void)
{
  g_autoptr(GBytes) response = NULL;
  guint status;

  /* The log is drained by the test helper; what we can check from here
   * is the announcement line, and that a query string with a secret is
   * not echoed anywhere in the answer. */
  g_assert_nonnull (strstr (server->output->str, "listening on http://127.0.0.1:"));
  status = navette_test_request (server, "GET", API "/health?token=secret", NULL, NULL, &response, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_null (g_strstr_len (g_bytes_get_data (response, NULL), g_bytes_get_size (response), "secret"));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = navette_test_server_start (NULL);
  alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  admin = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);

  g_test_add_func ("/server/api/health", test_health);
  g_test_add_func ("/server/api/login", test_login);
  g_test_add_func ("/server/api/login-bad-body", test_login_bad_body);
  g_test_add_func ("/server/api/me", test_me);
  g_test_add_func ("/server/api/applications", test_applications);
  g_test_add_func ("/server/api/tables", test_tables);
  g_test_add_func ("/server/api/light-check/table", test_table_light_check);
  g_test_add_func ("/server/api/light-check/application", test_app_light_check);
  g_test_add_func ("/server/api/records/list-and-since", test_records_list_and_since);
  g_test_add_func ("/server/api/records/create-get", test_record_create_get);
  g_test_add_func ("/server/api/records/create-without-id", test_record_create_without_id);
  g_test_add_func ("/server/api/records/update", test_record_update);
  g_test_add_func ("/server/api/records/versions-revert", test_versions_and_revert);
  g_test_add_func ("/server/api/records/delete-405", test_record_delete_405);
  g_test_add_func ("/server/api/errors/not-found", test_not_found);
  g_test_add_func ("/server/api/errors/method-not-allowed", test_method_not_allowed);
  g_test_add_func ("/server/api/errors/validation", test_validation);
  g_test_add_func ("/server/api/errors/bad-request-fields", test_bad_request_fields);
  g_test_add_func ("/server/api/errors/malformed-json", test_malformed_json);
  g_test_add_func ("/server/api/errors/unsupported-media-type", test_unsupported_media_type);
  g_test_add_func ("/server/api/idempotency", test_idempotency);
  g_test_add_func ("/server/api/audit", test_audit);
  g_test_add_func ("/server/api/audit-grants", test_audit_grants);
  g_test_add_func ("/server/api/access-log", test_access_log);

  ret = g_test_run ();

  g_free (alice);
  g_free (bob);
  g_free (admin);
  navette_test_server_free (server);
  return ret;
}
