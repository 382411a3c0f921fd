/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-commands.c — the admin command line of navette-server, end to end:
 * runs the built binary (NAVETTE_SERVER_BINARY) on a temporary database. */
#define G_LOG_DOMAIN "test-commands"

#include "config.h"

#include <glib/gstdio.h>

#include "navette-db.h"
#include "navette-test-server.h"
#include "navette-demo.h"
#include "navette-password.h"

typedef struct
{
  char *dir;
  char *db;
} Fixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("navette-commands-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->db = g_build_filename (fixture->dir, "admin.db", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  navette_test_rm_rf (fixture->dir);
  g_free (fixture->db);
  g_free (fixture->dir);
}

static const char *
server_binary (void)
{
  const char *binary = g_getenv ("NAVETTE_SERVER_BINARY");

  if (binary == NULL)
    g_error ("NAVETTE_SERVER_BINARY is not set (run through meson test)");
  return binary;
}

/* Runs navette-server with @args (NULL-terminated), @input on stdin (may be
 * NULL: an empty stdin), @password in NAVETTE_PASSWORD (NULL: unset). */
static void
run_command (Run               *run,
             const char        *input,
             const char        *password,
             const char * const *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) server_binary ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (password != NULL)
    g_subprocess_launcher_setenv (launcher, "NAVETTE_PASSWORD", password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "NAVETTE_PASSWORD");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input != NULL ? input : "", NULL,
                                 &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("%s → %d\n%s%s", (const char *) argv->pdata[1], run->status, run->out, run->err);
}

#define RUN(run, input, password, ...) \
  G_STMT_START { \
    const char * const _args[] = { __VA_ARGS__, NULL }; \
    run_clear (run); \
    run_command ((run), (input), (password), _args); \
  } G_STMT_END

/* ---- help and usage errors ---- */

static void
test_help (Fixture       *fixture,
           gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  const char * const commands[][3] = {
    { "serve", "--help", NULL }, { "init", "--help", NULL }, { "demo", "--help", NULL },
    { "user", "add", "--help" }, { "user", "passwd", "--help" }, { "user", "list", "--help" },
    { "grant", "--help", NULL }, { "revoke", "--help", NULL }, { "app", "add", "--help" },
    { "table", "add", "--help" }, { "column", "add", "--help" },
  };

  RUN (&run, NULL, NULL, "--help");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "user add"));
  g_assert_nonnull (strstr (run.out, "column add"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      RUN (&run, NULL, NULL, commands[i][0], commands[i][1], commands[i][2]);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_nonnull (strstr (run.out, "--db"));
    }

  RUN (&run, NULL, NULL, "user", "add", "--help");
  g_assert_nonnull (strstr (run.out, "--password-stdin"));
  g_assert_nonnull (strstr (run.out, "navette-server user add"));
}

static void
test_usage_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  const char *db = fixture->db;

  RUN (&run, NULL, NULL, "frobnicate");
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "unknown command"));

  RUN (&run, NULL, NULL, "user", "frob", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "user");
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "init");
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--db"));
  RUN (&run, NULL, NULL, "init", "--bogus", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "init", "extra", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "grant", "alice", "owner", "catalogue", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "owner"));
  RUN (&run, NULL, NULL, "grant", "alice", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "user", "add", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "table", "add", "shop", "items", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "table", "add", "shop", "items", "--column", "name", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "table", "add", "shop", "items", "--column", "name:blob", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "table", "add", "shop", "items", "--column", "qty:integer:40", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "table", "add", "shop", "Bad-Name", "--column", "a:text", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "column", "add", "shop", "items", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  RUN (&run, NULL, NULL, "app", "add", "Bad Name", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  /* No password source: not a terminal, no --password-stdin, no variable. */
  RUN (&run, NULL, NULL, "user", "add", "carol", "--db", db);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "password"));
}

/* ---- the commands, end to end ---- */

static JsonObject *
find_user (JsonNode   *root,
           const char *username)
{
  JsonArray *users = json_object_get_array_member (json_node_get_object (root), "users");

  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *user = json_array_get_object_element (users, i);
      if (g_strcmp0 (json_object_get_string_member (user, "username"), username) == 0)
        return user;
    }
  return NULL;
}

static JsonNode *
user_list_json (const char *db)
{
  g_auto(Run) run = { 0 };
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  RUN (&run, NULL, NULL, "user", "list", "--json", "--db", db);
  g_assert_cmpint (run.status, ==, 0);
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  return root;
}

static void
test_end_to_end (Fixture       *fixture,
                 gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) list_after = NULL;
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(NavetteDbUser) carol = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(GPtrArray) apps = NULL;
  const char *path = fixture->db;
  const char *actions[] = { "app_add", "table_add", "column_add", "user_add", "user_passwd",
                            "grant", "revoke" };
  JsonObject *user;
  NavetteWireTable *items;

  RUN (&run, NULL, NULL, "init", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "schema version"));
  RUN (&run, NULL, NULL, "init", "--db", path);
  g_assert_cmpint (run.status, ==, 0);

  RUN (&run, NULL, NULL, "app", "add", "shop", "--title", "Boutique", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "app", "add", "shop", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "already exists"));

  RUN (&run, NULL, NULL, "table", "add", "shop", "items", "--column", "name:text:required:40",
       "--column", "price:real", "--column", "sold_out:boolean", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "table", "add", "nowhere", "items", "--column", "name:text", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  RUN (&run, NULL, NULL, "table", "add", "shop", "things", "--column", "version:integer", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "reserved"));
  RUN (&run, NULL, NULL, "column", "add", "shop", "items", "release_date:date", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "column", "add", "shop", "items", "release_date:date", "--db", path);
  g_assert_cmpint (run.status, ==, 1);

  RUN (&run, "correct horse\n", NULL, "user", "add", "carol", "--display-name", "Carole",
       "--password-stdin", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, "correct horse\n", NULL, "user", "add", "carol", "--password-stdin", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "already exists"));
  RUN (&run, "short\n", NULL, "user", "add", "erin", "--password-stdin", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  RUN (&run, NULL, "battery staple", "user", "add", "dave", "--admin", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, "new password 1", "user", "passwd", "carol", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, "new password 1", "user", "passwd", "nobody", "--db", path);
  g_assert_cmpint (run.status, ==, 1);

  RUN (&run, NULL, NULL, "grant", "carol", "editor", "shop", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "grant", "nobody", "reader", "shop", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  RUN (&run, NULL, NULL, "grant", "carol", "reader", "nowhere", "--db", path);
  g_assert_cmpint (run.status, ==, 1);

  list = user_list_json (path);
  user = find_user (list, "carol");
  g_assert_nonnull (user);
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Carole");
  g_assert_false (json_object_get_boolean_member (user, "admin"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (user, "roles"), "shop"),
                   ==, "editor");
  g_assert_true (json_object_get_boolean_member (find_user (list, "dave"), "admin"));
  g_assert_null (find_user (list, "erin"));

  RUN (&run, NULL, NULL, "revoke", "carol", "shop", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "revoke", "carol", "shop", "--db", path);
  g_assert_cmpint (run.status, ==, 1);
  list_after = user_list_json (path);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (find_user (list_after, "carol"),
                                                                         "roles")), ==, 0);

  RUN (&run, NULL, NULL, "user", "list", "--db", path);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "carol"));

  /* What the commands wrote, seen through the storage layer. */
  db = navette_db_open (path, &error);
  g_assert_no_error (error);
  carol = navette_db_user_get (db, "carol", &error);
  g_assert_no_error (error);
  g_assert_true (navette_password_verify (carol->password_hash, "new password 1"));
  g_assert_false (navette_password_verify (carol->password_hash, "correct horse"));

  apps = navette_db_app_list (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpstr (((NavetteDbApp *) g_ptr_array_index (apps, 0))->title, ==, "Boutique");

  tables = navette_db_table_list (db, "shop", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tables->len, ==, 1);
  items = g_ptr_array_index (tables, 0);
  g_assert_cmpuint (items->columns->len, ==, 4);
  g_assert_true (((NavetteWireColumn *) g_ptr_array_index (items->columns, 0))->required);
  g_assert_cmpint (((NavetteWireColumn *) g_ptr_array_index (items->columns, 0))->max_length, ==, 40);
  g_assert_cmpstr (((NavetteWireColumn *) g_ptr_array_index (items->columns, 2))->title, ==, "Sold out");
  g_assert_cmpint (((NavetteWireColumn *) g_ptr_array_index (items->columns, 3))->type, ==,
                   NAVETTE_COLUMN_DATE);

  audit = navette_db_audit_list (db, NULL, 0, 1000, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < audit->len; j++)
        {
          NavetteDbAuditEntry *entry = g_ptr_array_index (audit, j);

          if (g_strcmp0 (entry->action, actions[i]) == 0)
            {
              g_assert_cmpstr (entry->user, ==, "admin");
              found = TRUE;
            }
        }
      g_assert_true (found);
    }
}

static void
test_demo (Fixture       *fixture,
           gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GPtrArray) products = NULL;
  JsonObject *bob;

  RUN (&run, NULL, NULL, "demo", "--db", fixture->db);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "demo", "--db", fixture->db);
  g_assert_cmpint (run.status, ==, 0);
  RUN (&run, NULL, NULL, "demo", "--rows", "150", "--db", fixture->db);
  g_assert_cmpint (run.status, ==, 0);

  list = user_list_json (fixture->db);
  g_assert_true (json_object_get_boolean_member (find_user (list, "admin"), "admin"));
  g_assert_nonnull (find_user (list, "alice"));
  bob = json_object_get_object_member (find_user (list, "bob"), "roles");
  g_assert_cmpstr (json_object_get_string_member (bob, "catalogue"), ==, "reader");
  g_assert_false (json_object_has_member (bob, "blog"));

  db = navette_db_open (fixture->db, &error);
  g_assert_no_error (error);
  products = navette_db_record_list (db, "catalogue", "products", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (products->len, ==, 6 + 150);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/commands/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("help", test_help);
  ADD ("usage-errors", test_usage_errors);
  ADD ("end-to-end", test_end_to_end);
  ADD ("demo", test_demo);

#undef ADD

  return g_test_run ();
}
