/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-admin.c — the administration API end to end, over HTTP,
 * against the real navette-server (tests/postgres runs it again on
 * PostgreSQL):
 *  - users: paged list, create with a given or a generated password
 *    (shown once), rename, password reset (the old sessions stop
 *    working), disable (sign-in refused with the answer of a wrong
 *    password, sessions revoked) and enable, the admin flag (and not
 *    one's own);
 *  - applications, tables, columns: create, retitle, archive (left out
 *    of what people see, data kept) and unarchive; a required column on
 *    a table with rows needs a default, which the rows then hold; a
 *    constraint that rows break is refused with their count, and
 *    accepted once they fit; strict bodies;
 *  - grants: set, change, revoke (a new version), the versions, revert;
 *    the user's /me follows; the change is announced on her socket;
 *  - the activity: filters, cursor paging newest first, editors limited
 *    to the applications they edit;
 *  - Idempotency-Key: a replay gets the first answer and writes nothing
 *    more, another body with the same key is 409. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

#define ADMIN API "/admin"

typedef struct
{
  NavetteTestServer *server;
  char              *admin;  /* the admin's token */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->server = navette_test_server_start (NULL);
  fixture->admin = navette_test_login (fixture->server, "admin", NAVETTE_DEMO_PASSWORD);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_free (fixture->admin);
  navette_test_server_free (fixture->server);
}

/* A request as the admin that must answer @expected; its JSON. */
static JsonNode *
admin_request (Fixture    *fixture,
               const char *method,
               const char *path,
               const char *body,
               guint       expected)
{
  JsonNode *json = NULL;
  guint status = st_request (fixture->server, method, path, fixture->admin, body, &json, NULL);

  if (status != expected)
    g_error ("%s %s: %u, expected %u", method, path, status, expected);
  return json;
}

static void
expect_error (Fixture    *fixture,
              const char *method,
              const char *path,
              const char *body,
              guint       status,
              const char *code)
{
  g_autoptr(JsonNode) json = NULL;
  guint answered = st_request (fixture->server, method, path, fixture->admin, body, &json, NULL);

  st_assert_error (answered, json, status, code);
}

/* The error's optional "reason" (NULL: none). */
static const char *
error_reason (JsonNode *json)
{
  JsonObject *error = json_object_get_object_member (st_object (json), "error");

  return json_object_get_string_member_with_default (error, "reason", NULL);
}

/* expect_error(), and the refusal's "reason" is @reason. */
static void
expect_reason (Fixture    *fixture,
               const char *method,
               const char *path,
               const char *body,
               guint       status,
               const char *code,
               const char *reason)
{
  g_autoptr(JsonNode) json = NULL;
  guint answered = st_request (fixture->server, method, path, fixture->admin, body, &json, NULL);

  st_assert_error (answered, json, status, code);
  g_assert_cmpstr (error_reason (json), ==, reason);
}

static const char *
error_message (JsonNode *json)
{
  return json_object_get_string_member (json_object_get_object_member (st_object (json), "error"),
                                        "message");
}

/* The status of a sign-in. */
static guint
sign_in (Fixture    *fixture,
         const char *username,
         const char *password,
         JsonNode  **json)
{
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}", username, password);

  return st_request (fixture->server, "POST", API "/sessions", NULL, body, json, NULL);
}

static guint
get_me (Fixture    *fixture,
        const char *token,
        JsonNode  **json)
{
  return st_request (fixture->server, "GET", API "/me", token, NULL, json, NULL);
}

/* The number of audit entries of @action (as the admin). */
static guint
count_action (Fixture    *fixture,
              const char *action)
{
  g_autofree char *path = g_strdup_printf (API "/activity?action=%s&limit=1000", action);
  g_autoptr(JsonNode) json = admin_request (fixture, "GET", path, NULL, 200);

  return json_array_get_length (json_object_get_array_member (st_object (json), "entries"));
}

/* ------------------------------------------------------------------ */

static void
test_users (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) me = NULL;
  g_autofree char *generated = NULL;
  g_autofree char *dora = NULL;
  g_autofree char *next = NULL;
  g_autofree char *path = NULL;
  JsonObject *user;
  JsonArray *users;

  /* with a password */
  json = admin_request (fixture, "POST", ADMIN "/users",
                        "{\"username\": \"carol\", \"display_name\": \"Carol\", \"password\": \"carol-secret\"}",
                        201);
  user = json_object_get_object_member (st_object (json), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "carol");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Carol");
  g_assert_false (json_object_get_boolean_member (user, "admin"));
  g_assert_false (json_object_get_boolean_member (user, "disabled"));
  g_assert_nonnull (json_object_get_string_member (user, "created_at"));
  g_assert_false (json_object_has_member (st_object (json), "password"));
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (sign_in (fixture, "carol", "carol-secret", NULL), ==, 201);

  /* without: a generated one, shown once, that works */
  json = admin_request (fixture, "POST", ADMIN "/users", "{\"username\": \"dora\"}", 201);
  generated = g_strdup (json_object_get_string_member (st_object (json), "password"));
  g_assert_cmpuint (strlen (generated), >=, 20);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (st_object (json), "user"),
                                                  "display_name"), ==, "dora");
  g_clear_pointer (&json, json_node_unref);
  dora = navette_test_login (fixture->server, "dora", generated);

  /* refused: taken, malformed, strict, short password */
  expect_error (fixture, "POST", ADMIN "/users", "{\"username\": \"dora\"}", 409, "conflict");
  expect_error (fixture, "POST", ADMIN "/users", "{\"username\": \"Not Valid\"}", 400, "bad_request");
  expect_error (fixture, "POST", ADMIN "/users", "{\"username\": \"eve\", \"role\": \"x\"}", 400, "bad_request");
  expect_error (fixture, "POST", ADMIN "/users", "{\"username\": \"eve\", \"admin\": \"yes\"}", 400, "bad_request");
  expect_reason (fixture, "POST", ADMIN "/users", "{\"username\": \"eve\", \"password\": \"short\"}", 400, "bad_request",
                 "password_too_short");
  expect_error (fixture, "PATCH", ADMIN "/users/nobody", "{\"display_name\": \"N\"}", 404, "not_found");
  expect_error (fixture, "PATCH", ADMIN "/users/dora", "{}", 400, "bad_request");
  expect_error (fixture, "DELETE", ADMIN "/users/dora", NULL, 405, "method_not_allowed");

  /* the paged list, in name order */
  json = admin_request (fixture, "GET", ADMIN "/users?limit=2", NULL, 200);
  users = json_object_get_array_member (st_object (json), "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (users, 0), "username"), ==, "admin");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (users, 1), "username"), ==, "alice");
  next = g_strdup (json_object_get_string_member (st_object (json), "next"));
  g_clear_pointer (&json, json_node_unref);
  path = g_strdup_printf (ADMIN "/users?limit=10&after=%s", next);
  json = admin_request (fixture, "GET", path, NULL, 200);
  users = json_object_get_array_member (st_object (json), "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 3);  /* bob, carol, dora */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (users, 2), "username"), ==, "dora");
  g_assert_false (json_object_has_member (st_object (json), "next"));
  g_clear_pointer (&json, json_node_unref);

  /* rename */
  json = admin_request (fixture, "PATCH", ADMIN "/users/dora", "{\"display_name\": \"Dora M.\"}", 200);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (get_me (fixture, dora, &me), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (st_object (me), "display_name"), ==, "Dora M.");
  g_clear_pointer (&me, json_node_unref);

  /* a password reset ends her sessions */
  json = admin_request (fixture, "PATCH", ADMIN "/users/dora", "{\"password\": \"new-secret-1\"}", 200);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (get_me (fixture, dora, NULL), ==, 401);
  g_assert_cmpuint (sign_in (fixture, "dora", generated, NULL), ==, 401);
  g_free (dora);
  dora = navette_test_login (fixture->server, "dora", "new-secret-1");

  /* disabled: sessions revoked, sign-in refused like a wrong password */
  json = admin_request (fixture, "PATCH", ADMIN "/users/dora", "{\"disabled\": true}", 200);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (st_object (json), "user"),
                                                 "disabled"));
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (get_me (fixture, dora, NULL), ==, 401);
  {
    g_autoptr(JsonNode) refused = NULL;
    g_autoptr(JsonNode) wrong = NULL;

    guint status = sign_in (fixture, "dora", "new-secret-1", &refused);

    st_assert_error (status, refused, 401, "auth_required");
    status = sign_in (fixture, "carol", "not-her-password", &wrong);
    st_assert_error (status, wrong, 401, "auth_required");
    g_assert_cmpstr (error_message (refused), ==, error_message (wrong));
  }
  json = admin_request (fixture, "PATCH", ADMIN "/users/dora", "{\"disabled\": false}", 200);
  g_clear_pointer (&json, json_node_unref);
  g_free (dora);
  dora = navette_test_login (fixture->server, "dora", "new-secret-1");

  /* administrator */
  json = admin_request (fixture, "PATCH", ADMIN "/users/dora", "{\"admin\": true}", 200);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (get_me (fixture, dora, &me), ==, 200);
  g_assert_true (json_object_get_boolean_member (st_object (me), "admin"));
  g_clear_pointer (&me, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "GET", ADMIN "/users", dora, NULL, NULL, NULL), ==, 200);
  /* what the client says in its user's language: the reason tells */
  expect_reason (fixture, "PATCH", ADMIN "/users/admin", "{\"admin\": false}", 400, "bad_request", "own_admin");
  expect_reason (fixture, "PATCH", ADMIN "/users/admin", "{\"disabled\": true}", 400, "bad_request", "own_account");

  /* each change audited */
  g_assert_cmpuint (count_action (fixture, "user_add"), >=, 5);  /* 3 of the demo, carol, dora */
  g_assert_cmpuint (count_action (fixture, "user_rename"), ==, 1);
  g_assert_cmpuint (count_action (fixture, "user_passwd"), ==, 1);
  g_assert_cmpuint (count_action (fixture, "user_disable"), ==, 1);
  g_assert_cmpuint (count_action (fixture, "user_enable"), ==, 1);
  g_assert_cmpuint (count_action (fixture, "user_admin"), ==, 1);
}

/* The tables of @app as alice sees them (GET …/tables): their names. */
static char *
table_names (Fixture    *fixture,
             const char *token,
             const char *app,
             guint      *status)
{
  g_autofree char *path = g_strdup_printf (API "/applications/%s/tables", app);
  g_autoptr(JsonNode) json = NULL;
  GString *names = g_string_new (NULL);
  JsonArray *tables;

  *status = st_request (fixture->server, "GET", path, token, NULL, &json, NULL);
  if (*status != 200)
    return g_string_free (names, FALSE);
  tables = json_object_get_array_member (st_object (json), "tables");
  for (guint i = 0; i < json_array_get_length (tables); i++)
    g_string_append_printf (names, "%s%s", i > 0 ? " " : "",
                            json_object_get_string_member (json_array_get_object_element (tables, i), "name"));
  return g_string_free (names, FALSE);
}

static void
test_schema (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *names = NULL;
  g_autofree char *alice = NULL;
  g_autoptr(StSubscriber) sub = NULL;
  JsonObject *object;
  JsonArray *apps;
  guint status;

  json = admin_request (fixture, "POST", ADMIN "/applications", "{\"name\": \"crm\", \"title\": \"CRM\"}", 201);
  object = json_object_get_object_member (st_object (json), "application");
  g_assert_cmpstr (json_object_get_string_member (object, "title"), ==, "CRM");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "tables")), ==, 0);
  g_clear_pointer (&json, json_node_unref);
  expect_error (fixture, "POST", ADMIN "/applications", "{\"name\": \"crm\"}", 409, "conflict");
  expect_error (fixture, "POST", ADMIN "/applications", "{\"name\": \"Bad Name\"}", 400, "bad_request");
  expect_error (fixture, "PATCH", ADMIN "/applications/nope", "{\"title\": \"N\"}", 404, "not_found");
  expect_error (fixture, "PATCH", ADMIN "/applications/crm", "{\"title\": 3}", 400, "bad_request");

  json = admin_request (fixture, "POST", ADMIN "/applications/crm/tables",
                        "{\"name\": \"contacts\", \"title\": \"Contacts\", \"columns\": ["
                        " {\"name\": \"name\", \"type\": \"text\", \"required\": true, \"max_length\": 80},"
                        " {\"name\": \"stage\", \"type\": \"choice\", \"choices\": [\"lead\", \"client\"]},"
                        " {\"name\": \"site\", \"type\": \"url\"}]}", 201);
  object = json_object_get_object_member (st_object (json), "table");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "columns")), ==, 3);
  g_clear_pointer (&json, json_node_unref);
  expect_error (fixture, "POST", ADMIN "/applications/crm/tables",
                "{\"name\": \"other\", \"columns\": [{\"name\": \"a\", \"type\": \"text\", \"colour\": 1}]}",
                400, "bad_request");
  expect_error (fixture, "POST", ADMIN "/applications/crm/tables",
                "{\"name\": \"other\", \"columns\": [{\"name\": \"a\", \"type\": \"choice\"}]}",
                400, "bad_request");
  expect_error (fixture, "POST", ADMIN "/applications/crm/tables", "{\"name\": \"other\", \"columns\": []}",
                400, "bad_request");

  /* the change reaches alice's socket once she may read crm */
  json = admin_request (fixture, "PUT", ADMIN "/grants/crm/alice", "{\"role\": \"editor\"}", 200);
  g_clear_pointer (&json, json_node_unref);
  alice = navette_test_login (fixture->server, "alice", NAVETTE_DEMO_PASSWORD);
  sub = st_subscribe (fixture->server, alice, &status);
  g_assert_nonnull (sub);

  /* two records, then a required column: needs a default */
  g_assert_cmpuint (st_request (fixture->server, "POST", API "/applications/crm/tables/contacts/records", alice,
                                "{\"data\": {\"name\": \"Ann\", \"stage\": \"lead\"}}", NULL, NULL), ==, 201);
  g_assert_cmpuint (st_request (fixture->server, "POST", API "/applications/crm/tables/contacts/records", alice,
                                "{\"data\": {\"name\": \"A very long name\", \"stage\": \"client\"}}", NULL, NULL),
                    ==, 201);
  expect_reason (fixture, "POST", ADMIN "/applications/crm/tables/contacts/columns",
                 "{\"name\": \"country\", \"type\": \"text\", \"required\": true}", 400, "bad_request", "rows_exist");
  expect_reason (fixture, "POST", ADMIN "/applications/crm/tables/contacts/columns",
                 "{\"name\": \"mail\", \"type\": \"email\", \"required\": true, \"default\": \"nobody\"}",
                 422, "validation_failed", "default_misfit");
  expect_reason (fixture, "POST", ADMIN "/applications/crm/tables/contacts/columns",
                 "{\"name\": \"version\", \"type\": \"text\"}", 400, "bad_request", "reserved_name");
  json = admin_request (fixture, "POST", ADMIN "/applications/crm/tables/contacts/columns",
                        "{\"name\": \"country\", \"title\": \"Country\", \"type\": \"text\", \"required\": true,"
                        " \"default\": \"FR\"}", 201);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (st_object (json), "column"),
                                                  "title"), ==, "Country");
  g_clear_pointer (&json, json_node_unref);
  {
    g_autoptr(JsonNode) message = st_next_of_type (sub, "schema");

    g_assert_cmpstr (json_object_get_string_member (st_object (message), "app"), ==, "crm");
  }
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/applications/crm/tables/contacts/records", alice,
                                NULL, &json, NULL), ==, 200);
  {
    JsonArray *records = json_object_get_array_member (st_object (json), "records");

    g_assert_cmpuint (json_array_get_length (records), ==, 2);
    for (guint i = 0; i < 2; i++)
      g_assert_cmpstr (json_object_get_string_member (
                         json_object_get_object_member (json_array_get_object_element (records, i), "data"),
                         "country"), ==, "FR");
  }
  g_clear_pointer (&json, json_node_unref);

  /* constraints the rows break are refused, with their count */
  g_assert_cmpuint (st_request (fixture->server, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/name",
                                fixture->admin, "{\"max_length\": 5}", &json, NULL), ==, 422);
  st_assert_error (422, json, 422, "validation_failed");
  g_assert_nonnull (strstr (error_message (json), "1 record of “contacts”"));
  g_assert_cmpstr (error_reason (json), ==, "records_misfit");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (st_object (json), "error"), "count"),
                   ==, 1);
  /* …and of the column, in "fields" */
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_object_get_object_member (json_object_get_object_member (st_object (json), "error"),
                                                             "fields"), "name"), "1 record"));
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/stage",
                                fixture->admin, "{\"choices\": [\"prospect\"]}", &json, NULL), ==, 422);
  g_assert_nonnull (strstr (error_message (json), "2 records of “contacts”"));
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/site",
                                fixture->admin, "{\"required\": true}", &json, NULL), ==, 422);
  g_assert_nonnull (strstr (error_message (json), "2 records"));
  g_clear_pointer (&json, json_node_unref);
  /* …and accepted when they fit */
  json = admin_request (fixture, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/stage",
                        "{\"choices\": [\"lead\", \"client\", \"former\"], \"required\": true, \"title\": \"Stage\"}",
                        200);
  object = json_object_get_object_member (st_object (json), "column");
  g_assert_true (json_object_get_boolean_member (object, "required"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "choices")), ==, 3);
  g_clear_pointer (&json, json_node_unref);
  json = admin_request (fixture, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/name",
                        "{\"max_length\": 16}", 200);
  g_clear_pointer (&json, json_node_unref);
  expect_error (fixture, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/nope",
                "{\"title\": \"N\"}", 404, "not_found");
  expect_error (fixture, "PATCH", ADMIN "/applications/crm/tables/contacts/columns/name",
                "{\"type\": \"integer\"}", 400, "bad_request");
  /* the new constraint applies to writes */
  {
    g_autoptr(JsonNode) refused = NULL;
    guint answered = st_request (fixture->server, "POST", API "/applications/crm/tables/contacts/records", alice,
                                 "{\"data\": {\"name\": \"Bo\"}}", &refused, NULL);

    st_assert_error (answered, refused, 422, "validation_failed");
  }

  /* retitle and archive a table: left out of what alice sees */
  json = admin_request (fixture, "PATCH", ADMIN "/applications/crm/tables/contacts",
                        "{\"title\": \"People\", \"archived\": true}", 200);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (st_object (json), "table"),
                                                 "archived"));
  g_clear_pointer (&json, json_node_unref);
  names = table_names (fixture, alice, "crm", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (names, ==, "");
  g_clear_pointer (&names, g_free);
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/applications/crm/tables/contacts/records", alice,
                                NULL, NULL, NULL), ==, 404);
  json = admin_request (fixture, "PATCH", ADMIN "/applications/crm/tables/contacts", "{\"archived\": false}", 200);
  g_clear_pointer (&json, json_node_unref);
  names = table_names (fixture, alice, "crm", &status);
  g_assert_cmpstr (names, ==, "contacts");
  g_clear_pointer (&names, g_free);

  /* archive the application: out of /applications, its tables 404; the
   * admin list keeps it */
  json = admin_request (fixture, "PATCH", ADMIN "/applications/crm", "{\"archived\": true, \"title\": \"Old CRM\"}",
                        200);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/applications", alice, NULL, &json, NULL), ==, 200);
  apps = json_object_get_array_member (st_object (json), "applications");
  for (guint i = 0; i < json_array_get_length (apps); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (apps, i), "name"), !=, "crm");
  g_clear_pointer (&json, json_node_unref);
  names = table_names (fixture, alice, "crm", &status);
  g_assert_cmpuint (status, ==, 404);
  g_clear_pointer (&names, g_free);
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/me", alice, NULL, &json, NULL), ==, 200);
  apps = json_object_get_array_member (json_object_get_object_member (st_object (json), "roles"), "editor");
  for (guint i = 0; i < json_array_get_length (apps); i++)
    g_assert_cmpstr (json_array_get_string_element (apps, i), !=, "crm");
  g_clear_pointer (&json, json_node_unref);
  json = admin_request (fixture, "GET", ADMIN "/applications", NULL, 200);
  apps = json_object_get_array_member (st_object (json), "applications");
  object = NULL;
  for (guint i = 0; i < json_array_get_length (apps); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (apps, i), "name"), "crm"))
      object = json_array_get_object_element (apps, i);
  g_assert_nonnull (object);
  g_assert_true (json_object_get_boolean_member (object, "archived"));
  g_assert_cmpstr (json_object_get_string_member (object, "title"), ==, "Old CRM");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "tables")), ==, 1);
  g_clear_pointer (&json, json_node_unref);
  json = admin_request (fixture, "PATCH", ADMIN "/applications/crm", "{\"archived\": false}", 200);
  g_clear_pointer (&json, json_node_unref);
  names = table_names (fixture, alice, "crm", &status);
  g_assert_cmpstr (names, ==, "contacts");

  g_assert_cmpuint (count_action (fixture, "app_add"), >=, 1);
  g_assert_cmpuint (count_action (fixture, "table_archive"), ==, 1);
  g_assert_cmpuint (count_action (fixture, "app_unarchive"), ==, 1);
  g_assert_cmpuint (count_action (fixture, "column_change"), ==, 2);
}

static void
test_grants (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *bob = navette_test_login (fixture->server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(StSubscriber) sub = NULL;
  JsonArray *array;
  JsonObject *object;
  guint status;

  sub = st_subscribe (fixture->server, bob, &status);
  g_assert_nonnull (sub);
  g_assert_cmpuint (st_request (fixture->server, "GET", BLOG "/tables", bob, NULL, NULL, NULL), ==, 404);

  json = admin_request (fixture, "PUT", ADMIN "/grants/blog/bob", "{\"role\": \"reader\"}", 200);
  object = json_object_get_object_member (st_object (json), "grant");
  g_assert_cmpstr (json_object_get_string_member (object, "role"), ==, "reader");
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "updated_by"), ==, "admin");
  g_clear_pointer (&json, json_node_unref);
  {
    g_autoptr(JsonNode) message = st_next_of_type (sub, "roles");

    g_assert_cmpstr (json_object_get_string_member (st_object (message), "user"), ==, "bob");
  }
  g_assert_cmpuint (st_request (fixture->server, "GET", BLOG "/tables", bob, NULL, NULL, NULL), ==, 200);

  json = admin_request (fixture, "PUT", ADMIN "/grants/blog/bob", "{\"role\": \"editor\"}", 200);
  g_clear_pointer (&json, json_node_unref);
  expect_error (fixture, "PUT", ADMIN "/grants/blog/bob", "{\"role\": \"owner\"}", 400, "bad_request");
  expect_error (fixture, "PUT", ADMIN "/grants/blog/nobody", "{\"role\": \"reader\"}", 404, "not_found");
  expect_error (fixture, "PUT", ADMIN "/grants/nope/bob", "{\"role\": \"reader\"}", 404, "not_found");

  /* per application, per user */
  json = admin_request (fixture, "GET", ADMIN "/grants?app=blog", NULL, 200);
  array = json_object_get_array_member (st_object (json), "grants");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);  /* alice, bob */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1), "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1), "role"), ==, "editor");
  g_clear_pointer (&json, json_node_unref);
  json = admin_request (fixture, "GET", ADMIN "/grants?user=bob", NULL, 200);
  array = json_object_get_array_member (st_object (json), "grants");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);  /* blog, catalogue */
  g_clear_pointer (&json, json_node_unref);

  /* a revocation is a version */
  g_assert_cmpuint (st_request (fixture->server, "DELETE", ADMIN "/grants/blog/bob", fixture->admin, NULL, NULL, NULL),
                    ==, 204);
  expect_error (fixture, "DELETE", ADMIN "/grants/blog/bob", NULL, 404, "not_found");
  g_assert_cmpuint (st_request (fixture->server, "GET", BLOG "/tables", bob, NULL, NULL, NULL), ==, 404);
  json = admin_request (fixture, "GET", ADMIN "/grants/blog/bob/versions", NULL, 200);
  array = json_object_get_array_member (st_object (json), "versions");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 3);
  g_assert_true (json_object_get_null_member (object, "role"));
  g_assert_false (json_object_get_boolean_member (object, "obsolete"));
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (array, 2), "obsolete"));
  g_clear_pointer (&json, json_node_unref);
  expect_error (fixture, "GET", ADMIN "/grants/blog/carol/versions", NULL, 404, "not_found");

  /* restore version 1: reader again, as version 4 */
  json = admin_request (fixture, "POST", ADMIN "/grants/blog/bob/revert", "{\"version\": 1}", 200);
  object = json_object_get_object_member (st_object (json), "grant");
  g_assert_cmpstr (json_object_get_string_member (object, "role"), ==, "reader");
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 4);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "GET", BLOG "/tables", bob, NULL, NULL, NULL), ==, 200);
  expect_error (fixture, "POST", ADMIN "/grants/blog/bob/revert", "{\"version\": 9}", 404, "not_found");
  expect_error (fixture, "POST", ADMIN "/grants/blog/bob/revert", "{\"version\": \"1\"}", 400, "bad_request");
  /* restore the revocation */
  json = admin_request (fixture, "POST", ADMIN "/grants/blog/bob/revert", "{\"version\": 3}", 200);
  g_assert_true (json_object_get_null_member (json_object_get_object_member (st_object (json), "grant"), "role"));
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "GET", BLOG "/tables", bob, NULL, NULL, NULL), ==, 404);
  g_assert_cmpuint (count_action (fixture, "grant_revert"), ==, 2);
}

static void
test_activity (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *alice = navette_test_login (fixture->server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *bob = navette_test_login (fixture->server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autofree char *id = st_create_product (fixture->server, alice, "Activity");
  g_autofree char *path = NULL;
  g_autofree char *next = NULL;
  g_autofree char *from = NULL;
  JsonArray *entries;
  gint64 last_id = G_MAXINT64;
  guint total = 0;

  json = admin_request (fixture, "POST", ADMIN "/applications", "{\"name\": \"secret\"}", 201);
  g_clear_pointer (&json, json_node_unref);

  /* by record */
  path = g_strdup_printf (API "/activity?app=catalogue&table=products&record=%s", id);
  json = admin_request (fixture, "GET", path, NULL, 200);
  entries = json_object_get_array_member (st_object (json), "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "action"), ==, "create");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "user"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "app"), ==, "catalogue");
  from = g_strdup (json_object_get_string_member (json_array_get_object_element (entries, 0), "at"));
  g_clear_pointer (&json, json_node_unref);
  g_clear_pointer (&path, g_free);

  /* by user and time range */
  path = g_strdup_printf (API "/activity?user=alice&from=%s", from);
  json = admin_request (fixture, "GET", path, NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (st_object (json), "entries")), ==, 1);
  g_clear_pointer (&json, json_node_unref);
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf (API "/activity?user=alice&to=%s", from);
  json = admin_request (fixture, "GET", path, NULL, 200);
  entries = json_object_get_array_member (st_object (json), "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, i), "record"), !=, id);
  g_clear_pointer (&json, json_node_unref);
  g_clear_pointer (&path, g_free);
  expect_error (fixture, "GET", API "/activity?from=yesterday", NULL, 400, "bad_request");
  expect_error (fixture, "GET", API "/activity?limit=0", NULL, 400, "bad_request");

  /* cursor paging, newest first, every entry once */
  path = g_strdup (API "/activity?limit=3");
  for (;;)
    {
      json = admin_request (fixture, "GET", path, NULL, 200);
      entries = json_object_get_array_member (st_object (json), "entries");
      g_assert_cmpuint (json_array_get_length (entries), <=, 3);
      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          gint64 entry_id = json_object_get_int_member (json_array_get_object_element (entries, i), "id");

          g_assert_cmpint (entry_id, <, last_id);
          last_id = entry_id;
          total++;
        }
      g_clear_pointer (&path, g_free);
      if (!json_object_has_member (st_object (json), "next"))
        break;
      path = g_strdup_printf (API "/activity?limit=3&before=%s",
                              json_object_get_string_member (st_object (json), "next"));
      g_clear_pointer (&json, json_node_unref);
    }
  g_clear_pointer (&json, json_node_unref);
  json = admin_request (fixture, "GET", API "/activity?limit=1000", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (st_object (json), "entries")), ==, total);
  g_clear_pointer (&json, json_node_unref);

  /* an editor: only the applications she edits */
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/activity?limit=1000", alice, NULL, &json, NULL), ==, 200);
  entries = json_object_get_array_member (st_object (json), "entries");
  g_assert_cmpuint (json_array_get_length (entries), >, 0);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      g_assert_false (json_object_get_null_member (entry, "app"));
      g_assert_true (g_str_equal (json_object_get_string_member (entry, "app"), "catalogue") ||
                     g_str_equal (json_object_get_string_member (entry, "app"), "blog"));
    }
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/activity?app=secret", alice, NULL, &json, NULL), ==, 403);
  st_assert_error (403, json, 403, "forbidden");
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (st_request (fixture->server, "GET", API "/activity", bob, NULL, &json, NULL), ==, 403);
  st_assert_error (403, json, 403, "forbidden");
  g_clear_pointer (&next, g_free);
}

static guint
keyed (Fixture    *fixture,
       const char *method,
       const char *path,
       const char *key,
       const char *body,
       JsonNode  **json)
{
  g_autoptr(GBytes) response = NULL;
  guint status;

  status = navette_test_request_full (fixture->server, method, path, fixture->admin, "application/json",
                                      body, body != NULL ? strlen (body) : 0, &response, NULL,
                                      "Idempotency-Key", key, NULL);
  *json = response != NULL && g_bytes_get_size (response) > 0 ? navette_test_parse (response) : NULL;
  return status;
}

static void
test_idempotency (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *key = navette_uuid_new ();
  g_autofree char *key2 = navette_uuid_new ();
  g_autofree char *key3 = navette_uuid_new ();
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) other = NULL;
  guint adds = count_action (fixture, "app_add");

  g_assert_cmpuint (keyed (fixture, "POST", ADMIN "/applications", key, "{\"name\": \"once\"}", &first), ==, 201);
  g_assert_cmpuint (keyed (fixture, "POST", ADMIN "/applications", key, "{\"name\": \"once\"}", &again), ==, 201);
  g_assert_true (json_node_equal (first, again));
  g_assert_cmpuint (count_action (fixture, "app_add"), ==, adds + 1);
  g_assert_cmpuint (keyed (fixture, "POST", ADMIN "/applications", key, "{\"name\": \"twice\"}", &other), ==, 409);
  st_assert_error (409, other, 409, "conflict");
  g_clear_pointer (&first, json_node_unref);
  g_clear_pointer (&again, json_node_unref);

  /* a generated password is shown once: not on a replay */
  g_assert_cmpuint (keyed (fixture, "POST", ADMIN "/users", key2, "{\"username\": \"erin\"}", &first), ==, 201);
  g_assert_true (json_object_has_member (st_object (first), "password"));
  g_assert_cmpuint (keyed (fixture, "POST", ADMIN "/users", key2, "{\"username\": \"erin\"}", &again), ==, 201);
  g_assert_false (json_object_has_member (st_object (again), "password"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (st_object (again), "user"),
                                                  "username"), ==, "erin");
  g_clear_pointer (&first, json_node_unref);
  g_clear_pointer (&again, json_node_unref);

  /* a revocation replayed is not a 404 */
  g_assert_cmpuint (keyed (fixture, "DELETE", ADMIN "/grants/catalogue/bob", key3, NULL, &first), ==, 204);
  g_assert_cmpuint (keyed (fixture, "DELETE", ADMIN "/grants/catalogue/bob", key3, NULL, &again), ==, 204);
  g_assert_cmpuint (count_action (fixture, "revoke"), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/admin/users", Fixture, NULL, fixture_set_up, test_users, fixture_tear_down);
  g_test_add ("/server/admin/schema", Fixture, NULL, fixture_set_up, test_schema, fixture_tear_down);
  g_test_add ("/server/admin/grants", Fixture, NULL, fixture_set_up, test_grants, fixture_tear_down);
  g_test_add ("/server/admin/activity", Fixture, NULL, fixture_set_up, test_activity, fixture_tear_down);
  g_test_add ("/server/admin/idempotency", Fixture, NULL, fixture_set_up, test_idempotency, fixture_tear_down);

  return g_test_run ();
}
