/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-hostile-input.c — what a hostile client sends at the HTTP edge
 * never gets a 500, never reaches SQL as code, and never writes a field
 * the server owns:
 *  - paths with invalid UTF-8, "..", "%2e%2e", NUL and "%00";
 *  - oversized headers (one huge header, very many headers);
 *  - SQL metacharacters in every name (application, table, column, record
 *    id, user name, query parameters) and in values, which round-trip;
 *  - client-sent version, revision, updated_by, updated_at, obsolete
 *    (mass assignment) refused with 400, on create, update and revert. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "hostile-util.h"

#define RECORDS "/api/v1/applications/catalogue/tables/products/records"

static const char *sql_bits[] = {
  "'", "\"", ";--", "\\", "' OR '1'='1", "\"; DROP TABLE audit; --", "%", "_", "`", "*/", "/*",
};

static void
test_hostile_paths (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  /* answered by Navette's router: 404 with the JSON error */
  static const struct { const char *path; gsize len; } routed[] = {
#define P(s) { s, sizeof s - 1 }
    P ("/api/v1/applications/\xff\xfe/tables"),
    P ("/api/v1/applications/cat\xc3\x28logue/tables"),
    P ("/api/v1/applications/%ff%fe/tables"),
    P ("/api/v1/applications/%2e%2e/tables"),
    P ("/api/v1/applications/catalogue/tables/%2e%2e/records"),
    P ("/api/v1/%2e%2e/%2e%2e/etc/passwd"),
    P ("/api/v1/applications/catalogue/tables/products/records/../../../../../etc/passwd"),
    P ("/api/v1/applications/catalogue/tables/products/records/%2e%2e"),
    P ("/api/v1/applications/catalogue/tables/products/records/\xc0\xae\xc0\xae"),
    P ("/api/v1/applications/catalogue/tables/products/records/%c0%ae%c0%ae"),
    P ("/../../../../etc/passwd"),
#undef P
  };
  /* refused before routing (NUL) */
  static const struct { const char *path; gsize len; } refused[] = {
#define P(s) { s, sizeof s - 1 }
    P ("/api/v1/applications/cat\0alogue/tables"),
    P ("/api/v1/applications/catalogue/tables/products/records/a\0b"),
#undef P
  };
  /* percent-encoded NUL or slash inside a segment */
  static const char *encoded[] = {
    "/api/v1/applications/cat%00alogue/tables",
    "/api/v1/applications/catalogue/tables/%00",
    "/api/v1/applications/catalogue/tables/products/records/a%00b",
    "/api/v1/applications/catalogue/tables/products/records/%2e%2e%2f%2e%2e",
  };

  for (guint i = 0; i < G_N_ELEMENTS (routed); i++)
    {
      g_autoptr(RawAnswer) answer = raw_get (server, routed[i].path, routed[i].len, token);

      g_test_message ("routed path %u → %u", i, answer->status);
      g_assert_cmpuint (answer->status, ==, 404);
      assert_json_error (answer->body, "not_found");
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(RawAnswer) answer = raw_get (server, refused[i].path, refused[i].len, token);

      /* libsoup refuses a raw NUL in the request line itself */
      g_test_message ("NUL path %u → %u", i, answer->status);
      g_assert_true (answer->status == 400 || (answer->status == 0 && !answer->reset) || answer->reset);
    }

  for (guint i = 0; i < G_N_ELEMENTS (encoded); i++)
    {
      g_autoptr(RawAnswer) answer = raw_get (server, encoded[i], strlen (encoded[i]), token);

      g_test_message ("%s → %u", encoded[i], answer->status);
      g_assert_true (answer->status == 400 || answer->status == 404);
    }

  assert_still_healthy (server);
}

static void
test_oversized_headers (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GString) one_huge = g_string_new ("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ");
  g_autoptr(GString) many = g_string_new ("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  g_autoptr(GString) long_line = g_string_new ("GET /api/v1/");
  g_autoptr(RawAnswer) a = NULL;
  g_autoptr(RawAnswer) b = NULL;
  g_autoptr(RawAnswer) c = NULL;

  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (one_huge, 'a' + i % 26);
  g_string_append (one_huge, "\r\nConnection: close\r\n\r\n");
  for (guint i = 0; i < 50000; i++)
    g_string_append_printf (many, "X-H%u: v\r\n", i);
  g_string_append (many, "Connection: close\r\n\r\n");
  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (long_line, 'a');
  g_string_append (long_line, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

  /* Refused (an error status, or the connection closed); never a 5xx, and
   * never answered as if it were fine. */
  a = raw_exchange (server, one_huge->str, one_huge->len);
  g_test_message ("1 MiB header → %u%s", a->status, a->reset ? " (reset)" : "");
  g_assert_true (a->status == 0 || (a->status >= 400 && a->status < 500));
  b = raw_exchange (server, many->str, many->len);
  g_test_message ("50000 headers → %u%s", b->status, b->reset ? " (reset)" : "");
  g_assert_true (b->status == 0 || (b->status >= 400 && b->status < 500));
  c = raw_exchange (server, long_line->str, long_line->len);
  g_test_message ("1 MiB request line → %u%s", c->status, c->reset ? " (reset)" : "");
  g_assert_true (c->status == 0 || (c->status >= 400 && c->status < 500));

  assert_still_healthy (server);
}

static char *
create_with_name (NavetteTestServer *server,
                  const char        *token,
                  const char        *name,
                  guint             *status)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) answer = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = navette_json_to_string (root, NULL);

  *status = navette_test_request (server, "POST", RECORDS, token, body, &response, NULL);
  if (*status != 201)
    return NULL;
  answer = navette_test_parse (response);
  return g_strdup (json_object_get_string_member (json_node_get_object (answer), "id"));
}

static void
test_sql_metacharacters (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GBytes) before = NULL;
  g_autoptr(JsonNode) before_json = NULL;
  gint64 before_count;
  guint status;

  status = navette_test_request (server, "GET", RECORDS, token, NULL, &before, NULL);
  g_assert_cmpuint (status, ==, 200);
  before_json = navette_test_parse (before);
  before_count = json_array_get_length (json_object_get_array_member (json_node_get_object (before_json), "records"));

  for (guint i = 0; i < G_N_ELEMENTS (sql_bits); i++)
    {
      const char *bit = sql_bits[i];
      g_autofree char *escaped = g_uri_escape_string (bit, NULL, FALSE);
      g_autofree char *value = g_strdup_printf ("a%sb%s", bit, bit);
      g_autofree char *id = NULL;
      g_autofree char *path = NULL;
      /* prefix, then the escaped metacharacters, then suffix */
      static const char *paths[][2] = {
        { "/api/v1/applications/catalogue", "/tables" },
        { "/api/v1/applications/", "/tables" },
        { "/api/v1/applications/catalogue/tables/products", "/records" },
        { "/api/v1/applications/catalogue/tables/products/records/", "" },
        { "/api/v1/applications/catalogue/tables/products/records/00000000-0000-0000-0000-000000000000", "" },
        { "/api/v1/applications/catalogue/tables/products", "/last-modified" },
        { "/api/v1/applications/catalogue", "/audit" },
      };
      static const char *queries[] = {
        "/api/v1/applications/catalogue/tables/products/records?since=1",
        "/api/v1/applications/catalogue/audit?after=1",
        "/api/v1/applications/catalogue/audit?limit=1",
      };

      /* names in paths: 404, the JSON error, never 500 */
      for (guint p = 0; p < G_N_ELEMENTS (paths); p++)
        {
          g_autofree char *bad = g_strconcat (paths[p][0], escaped, paths[p][1], NULL);
          g_autoptr(GBytes) response = NULL;

          status = navette_test_request (server, "GET", bad, token, NULL, &response, NULL);
          g_test_message ("GET %s → %u", bad, status);
          g_assert_cmpuint (status, ==, 404);
          assert_json_error (response, "not_found");
        }

      /* query parameters: 400 */
      for (guint p = 0; p < G_N_ELEMENTS (queries); p++)
        {
          g_autofree char *bad = g_strconcat (queries[p], escaped, NULL);
          g_autoptr(GBytes) response = NULL;

          status = navette_test_request (server, "GET", bad, token, NULL, &response, NULL);
          g_test_message ("GET %s → %u", bad, status);
          g_assert_cmpuint (status, ==, 400);
          assert_json_error (response, "bad_request");
        }

      /* a column name in the data: 422, the name given back unchanged */
      {
        g_autoptr(JsonBuilder) builder = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GBytes) response = NULL;
        g_autoptr(JsonNode) answer = NULL;
        g_autofree char *body = NULL;
        g_autofree char *column = g_strdup_printf ("name%s", bit);
        JsonObject *fields;

        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "data");
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "name");
        json_builder_add_string_value (builder, "ok");
        json_builder_set_member_name (builder, column);
        json_builder_add_string_value (builder, "x");
        json_builder_end_object (builder);
        json_builder_end_object (builder);
        root = json_builder_get_root (builder);
        body = navette_json_to_string (root, NULL);
        status = navette_test_request (server, "POST", RECORDS, token, body, &response, NULL);
        g_assert_cmpuint (status, ==, 422);
        assert_json_error (response, "validation_failed");
        answer = navette_test_parse (response);
        fields = json_object_get_object_member (json_object_get_object_member (json_node_get_object (answer), "error"),
                                                "fields");
        g_assert_nonnull (fields);
        g_assert_true (json_object_has_member (fields, column));
      }

      /* a user name at sign-in: 401, nobody signed in */
      {
        g_autoptr(JsonBuilder) builder = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GBytes) response = NULL;
        g_autofree char *body = NULL;
        g_autofree char *username = g_strdup_printf ("alice%s", bit);

        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "username");
        json_builder_add_string_value (builder, username);
        json_builder_set_member_name (builder, "password");
        json_builder_add_string_value (builder, bit);
        json_builder_end_object (builder);
        root = json_builder_get_root (builder);
        body = navette_json_to_string (root, NULL);
        status = navette_test_request (server, "POST", "/api/v1/sessions", NULL, body, &response, NULL);
        g_assert_true (status == 401 || status == 429);
      }

      /* values round-trip unchanged: create, read back, update, read back */
      id = create_with_name (server, token, value, &status);
      g_assert_cmpuint (status, ==, 201);
      path = g_strdup_printf (RECORDS "/%s", id);
      {
        g_autoptr(GBytes) response = NULL;
        g_autoptr(JsonNode) answer = NULL;
        g_autoptr(JsonBuilder) builder = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *body = NULL;
        g_autofree char *value2 = g_strdup_printf ("%s%s%s", bit, value, bit);
        g_autoptr(GBytes) response2 = NULL;
        g_autoptr(JsonNode) answer2 = NULL;

        status = navette_test_request (server, "GET", path, token, NULL, &response, NULL);
        g_assert_cmpuint (status, ==, 200);
        answer = navette_test_parse (response);
        g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (answer), "data"),
                                                        "name"), ==, value);

        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "base_version");
        json_builder_add_int_value (builder, 1);
        json_builder_set_member_name (builder, "data");
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "name");
        json_builder_add_string_value (builder, value2);
        json_builder_end_object (builder);
        json_builder_end_object (builder);
        root = json_builder_get_root (builder);
        body = navette_json_to_string (root, NULL);
        status = navette_test_request (server, "PATCH", path, token, body, NULL, NULL);
        g_assert_cmpuint (status, ==, 200);
        status = navette_test_request (server, "GET", path, token, NULL, &response2, NULL);
        g_assert_cmpuint (status, ==, 200);
        answer2 = navette_test_parse (response2);
        g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (answer2), "data"),
                                                        "name"), ==, value2);
      }
    }

  /* nothing else happened to the table: the records before, plus ours */
  {
    g_autoptr(GBytes) after = NULL;
    g_autoptr(JsonNode) after_json = NULL;

    status = navette_test_request (server, "GET", RECORDS, token, NULL, &after, NULL);
    g_assert_cmpuint (status, ==, 200);
    after_json = navette_test_parse (after);
    g_assert_cmpint (json_array_get_length (json_object_get_array_member (json_node_get_object (after_json), "records")),
                     ==, before_count + (gint64) G_N_ELEMENTS (sql_bits));
  }
  assert_still_healthy (server);
}

static void
test_mass_assignment (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *revert = NULL;
  static const char *owned[] = {
    "\"version\": 7", "\"revision\": 99", "\"updated_by\": \"bob\"",
    "\"updated_at\": \"2001-01-01T00:00:00.000000Z\"", "\"obsolete\": true",
  };
  /* columns the server keeps for itself, inside data */
  static const char *owned_columns[] = {
    "version", "revision", "updated_by", "updated_at", "obsolete", "row_id", "record_id", "archived",
  };
  guint status;

  {
    g_autoptr(GBytes) response = NULL;
    g_autoptr(JsonNode) answer = NULL;

    status = navette_test_request (server, "POST", RECORDS, token, "{\"data\": {\"name\": \"owned\"}}", &response, NULL);
    g_assert_cmpuint (status, ==, 201);
    answer = navette_test_parse (response);
    id = g_strdup (json_object_get_string_member (json_node_get_object (answer), "id"));
  }
  path = g_strdup_printf (RECORDS "/%s", id);
  revert = g_strdup_printf (RECORDS "/%s/revert", id);

  for (guint i = 0; i < G_N_ELEMENTS (owned); i++)
    {
      g_autofree char *create = g_strdup_printf ("{\"data\": {\"name\": \"x\"}, %s}", owned[i]);
      g_autofree char *update = g_strdup_printf ("{\"base_version\": 1, \"data\": {\"name\": \"x\"}, %s}", owned[i]);
      g_autofree char *revert_body = g_strdup_printf ("{\"version\": 1, %s}", owned[i]);
      g_autoptr(GBytes) r1 = NULL;
      g_autoptr(GBytes) r2 = NULL;
      g_autoptr(GBytes) r3 = NULL;

      status = navette_test_request (server, "POST", RECORDS, token, create, &r1, NULL);
      g_test_message ("create with %s → %u", owned[i], status);
      g_assert_cmpuint (status, ==, 400);
      assert_json_error (r1, "bad_request");

      status = navette_test_request (server, "PATCH", path, token, update, &r2, NULL);
      g_test_message ("update with %s → %u", owned[i], status);
      g_assert_cmpuint (status, ==, 400);
      assert_json_error (r2, "bad_request");

      if (!g_str_has_prefix (owned[i], "\"version\""))
        {
          status = navette_test_request (server, "POST", revert, token, revert_body, &r3, NULL);
          g_test_message ("revert with %s → %u", owned[i], status);
          g_assert_cmpuint (status, ==, 400);
          assert_json_error (r3, "bad_request");
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (owned_columns); i++)
    {
      g_autofree char *create = g_strdup_printf ("{\"data\": {\"name\": \"x\", \"%s\": 1}}", owned_columns[i]);
      g_autofree char *update = g_strdup_printf ("{\"base_version\": 1, \"data\": {\"%s\": 1}}", owned_columns[i]);
      g_autoptr(GBytes) r1 = NULL;
      g_autoptr(GBytes) r2 = NULL;

      status = navette_test_request (server, "POST", RECORDS, token, create, &r1, NULL);
      g_assert_cmpuint (status, ==, 422);
      assert_json_error (r1, "validation_failed");
      status = navette_test_request (server, "PATCH", path, token, update, &r2, NULL);
      g_assert_cmpuint (status, ==, 422);
      assert_json_error (r2, "validation_failed");
    }

  /* and the record is untouched: still version 1, written by alice */
  {
    g_autoptr(GBytes) response = NULL;
    g_autoptr(JsonNode) answer = NULL;
    JsonObject *record;

    status = navette_test_request (server, "GET", path, token, NULL, &response, NULL);
    g_assert_cmpuint (status, ==, 200);
    answer = navette_test_parse (response);
    record = json_node_get_object (answer);
    g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (record, "updated_by"), ==, "alice");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (record, "data"), "name"), ==, "owned");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/reliability/hostile/paths", test_hostile_paths);
  g_test_add_func ("/reliability/hostile/oversized-headers", test_oversized_headers);
  g_test_add_func ("/reliability/hostile/sql-metacharacters", test_sql_metacharacters);
  g_test_add_func ("/reliability/hostile/mass-assignment", test_mass_assignment);

  return g_test_run ();
}
