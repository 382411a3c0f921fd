/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `navette-cli admin …` end to end: the real binary (NAVETTE_CLI_BINARY)
 * against the real server, signed in as the demo's administrator —
 * users (add with a generated or given password, passwd, disable,
 * enable, admin), applications, tables and columns (a default for the
 * rows there are, a constraint the rows break refused with their
 * count), grants (set, list, revoke, history, revert), the activity,
 * --json; and a non-administrator refused. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "engine-test-util.h"
#include "navette-test-dirs.h"

typedef struct
{
  NavetteTestServer *server;
  char              *home;        /* the admin's */
  char              *alice_home;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  fixture->server = navette_test_server_start (NULL);
  fixture->home = g_dir_make_tmp ("navette-cli-admin-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->alice_home = g_dir_make_tmp ("navette-cli-alice-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (engine_test_run_cli (fixture->home, &out, NULL, "login", "admin",
                                        "--server", fixture->server->base_url, NULL), ==, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  engine_test_rm_rf (fixture->home);
  engine_test_rm_rf (fixture->alice_home);
  g_free (fixture->home);
  g_free (fixture->alice_home);
  navette_test_server_free (fixture->server);
  g_unsetenv ("NAVETTE_NEW_PASSWORD");
}

#define admin_cli(fixture, out, err, ...) \
  engine_test_run_cli ((fixture)->home, out, err, __VA_ARGS__)

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = navette_json_parse_strict (text, strlen (text) - (g_str_has_suffix (text, "\n") ? 1 : 0),
                                                        &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* The status of a sign-in over HTTP. */
static guint
sign_in (Fixture    *fixture,
         const char *username,
         const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}", username, password);

  return navette_test_request (fixture->server, "POST", "/api/v1/sessions", NULL, body, NULL, NULL);
}

static void
test_users (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *password = NULL;
  g_autoptr(JsonObject) root = NULL;
  const char *line;

  /* a generated password, shown once */
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "user", "add", "erin", "display_name=Erin E.", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "erin\tErin E.\t-\tactive\n"));
  line = strstr (out, "Password (shown once): ");
  g_assert_nonnull (line);
  password = g_strndup (line + strlen ("Password (shown once): "), 23);
  g_assert_cmpuint (sign_in (fixture, "erin", password), ==, 201);
  g_clear_pointer (&out, g_free);

  /* a given one, and the admin flag, as JSON */
  g_setenv ("NAVETTE_NEW_PASSWORD", "fay-password-1", TRUE);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "--json", "admin", "user", "add", "fay", "admin=yes", NULL), ==, 0);
  root = parse_object (out);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (root, "user"), "admin"));
  g_assert_false (json_object_has_member (root, "password"));
  g_assert_cmpuint (sign_in (fixture, "fay", "fay-password-1"), ==, 201);
  g_clear_pointer (&out, g_free);

  /* passwd, disable, enable, admin */
  g_setenv ("NAVETTE_NEW_PASSWORD", "erin-password-2", TRUE);
  g_assert_cmpint (admin_cli (fixture, NULL, NULL, "admin", "user", "passwd", "erin", NULL), ==, 0);
  g_assert_cmpuint (sign_in (fixture, "erin", password), ==, 401);
  g_assert_cmpuint (sign_in (fixture, "erin", "erin-password-2"), ==, 201);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "user", "disable", "erin", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "erin\tErin E.\t-\tdisabled\n"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpuint (sign_in (fixture, "erin", "erin-password-2"), ==, 401);
  g_assert_cmpint (admin_cli (fixture, NULL, NULL, "admin", "user", "enable", "erin", NULL), ==, 0);
  g_assert_cmpuint (sign_in (fixture, "erin", "erin-password-2"), ==, 201);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "user", "admin", "erin", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "erin\tErin E.\tadmin\tactive\n"));
  g_clear_pointer (&out, g_free);
  /* (an administration refusal is said in the server's words) */
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "user", "admin", "admin", "no", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "You cannot take your own administrator rights away"));
  g_clear_pointer (&err, g_free);

  /* the list */
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "users", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "admin\tAdministrator\tadmin\tactive\n"));
  g_assert_nonnull (strstr (out, "fay\tfay\tadmin\tactive\n"));
  g_clear_pointer (&out, g_free);

  /* a non-administrator is refused */
  g_assert_cmpint (engine_test_run_cli (fixture->alice_home, NULL, NULL, "login", "alice",
                                        "--server", fixture->server->base_url, NULL), ==, 0);
  g_assert_cmpint (engine_test_run_cli (fixture->alice_home, NULL, &err, "admin", "users", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "not allowed"));
  g_clear_pointer (&err, g_free);
  /* usage */
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "navette-cli admin COMMAND"));
}

static void
test_schema_and_grants (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *token = navette_test_login (fixture->server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonObject) root = NULL;
  JsonArray *tables;
  JsonArray *entries;

  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "app", "add", "crm", "Customer relations", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "crm\tCustomer relations\t-\t0\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "table", "add", "crm", "contacts",
                              "name:text:required:80", "stage:choice:choices=lead|client", "site:url",
                              "title=Contacts", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "contacts\tContacts\t-\n"));
  g_assert_nonnull (strstr (out, "\tstage\tchoice\toptional\tchoices=lead|client\tStage\n"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "table", "add", "crm", "bad", "x:blob", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "not a column type"));
  g_clear_pointer (&err, g_free);

  /* a row, then a required column with a default; a constraint it breaks */
  g_assert_cmpuint (navette_test_request (fixture->server, "POST", "/api/v1/applications/crm/tables/contacts/records",
                                          token, "{\"data\": {\"name\": \"Ann\", \"stage\": \"lead\"}}", NULL, NULL),
                    ==, 201);
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "column", "add", "crm", "contacts",
                              "country:text:required", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "give a default value"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "column", "add", "crm", "contacts",
                              "country:text:required", "default=FR", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "\tcountry\ttext\trequired\tCountry\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "column", "set", "crm", "contacts", "stage",
                              "choices=prospect", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "1 record of “contacts”"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "column", "set", "crm", "contacts", "stage",
                              "choices=lead|client|former", "required=yes", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "\tstage\tchoice\trequired\tchoices=lead|client|former\tStage\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "--json", "admin", "tables", "crm", NULL), ==, 0);
  root = parse_object (out);
  tables = json_object_get_array_member (root, "tables");
  g_assert_cmpuint (json_array_get_length (tables), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_array_get_object_element (tables, 0),
                                                                         "columns")), ==, 4);
  g_clear_pointer (&root, json_object_unref);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "table", "archive", "crm", "contacts", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "contacts\tContacts\tarchived\n"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "app", "archive", "crm", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "crm\tCustomer relations\tarchived\t1\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, NULL, NULL, "admin", "app", "unarchive", "crm", NULL), ==, 0);
  g_assert_cmpint (admin_cli (fixture, NULL, NULL, "admin", "table", "unarchive", "crm", "contacts", NULL), ==, 0);

  /* grants */
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "grant", "set", "crm", "bob", "editor", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "crm\tbob\teditor\t1\t"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "grants", "user=bob", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "catalogue\tbob\treader\t"));
  g_assert_nonnull (strstr (out, "crm\tbob\teditor\t"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, NULL, NULL, "admin", "grant", "revoke", "crm", "bob", NULL), ==, 0);
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "grant", "revoke", "crm", "bob", NULL), ==, 1);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "grant", "history", "crm", "bob", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "2\t-\tcurrent\t"));
  g_assert_nonnull (strstr (out, "\n1\teditor\tobsolete\t"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "grant", "revert", "crm", "bob", "1", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "crm\tbob\teditor\t3\t"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "grant", "revert", "crm", "bob", "one", NULL), ==, 2);
  g_clear_pointer (&err, g_free);

  /* the activity */
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "admin", "activity", "app=crm", "action=grant_revert", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\tadmin\tgrant_revert\tcrm\t-\t"));
  g_assert_null (strstr (out, "\trevoke\t"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (admin_cli (fixture, &out, NULL, "--json", "admin", "activity", "app=crm", "limit=2", NULL), ==, 0);
  root = parse_object (out);
  entries = json_object_get_array_member (root, "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "action"), ==,
                   "grant_revert");
  g_assert_true (json_object_has_member (root, "next"));
  g_assert_cmpint (admin_cli (fixture, NULL, &err, "admin", "activity", "colour=red", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "colour"));
}

int
main (int    argc,
      char **argv)
{
  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/engine/cli-admin/users", Fixture, NULL, fixture_set_up, test_users, fixture_tear_down);
  g_test_add ("/engine/cli-admin/schema-and-grants", Fixture, NULL, fixture_set_up, test_schema_and_grants,
              fixture_tear_down);

  return g_test_run ();
}
