/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-cli end to end: the real binary (NAVETTE_CLI_BINARY) against the
 * real server. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "engine-test-util.h"
#include "navette-test-dirs.h"
#include "navette-test-outbox.h"

typedef struct
{
  NavetteTestServer *server;
  char              *config_home;
} Cli;

/* navette-cli ARGS… with its homes under @home (or the test's), as
 * engine_test_run_cli(). */
#define run_cli(cli, home, out, err, ...) \
  engine_test_run_cli ((home) != NULL ? (home) : (cli)->config_home, out, err, __VA_ARGS__)
#define launcher_new(cli, home) engine_test_cli_launcher_new (home)

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = navette_json_parse_strict (text, strlen (text) - (g_str_has_suffix (text, "\n") ? 1 : 0), &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static void
cli_setup (Cli *cli)
{
  g_autoptr(GError) error = NULL;

  cli->server = navette_test_server_start (NULL);
  cli->config_home = g_dir_make_tmp ("navette-cli-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
cli_teardown (Cli *cli)
{
  engine_test_rm_rf (cli->config_home);
  g_free (cli->config_home);
  navette_test_server_free (cli->server);
}

static void
test_cli_commands (void)
{
  Cli cli = { 0 };
  g_autofree char *session_path = NULL;
  g_autofree char *long_title = NULL;
  g_autofree char *title_arg = NULL;
  g_autofree char *article = NULL;
  g_autofree char *bob_home = NULL;
  g_autofree char *new_id = NULL;
  GStatBuf st;

  cli_setup (&cli);

  /* login: the token lands in a 0600 file under $XDG_CONFIG_HOME. */
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "login", "alice", "--server", cli.server->base_url, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "Alice"));
    session_path = g_build_filename (cli.config_home, "navette", "session.json", NULL);
    g_assert_cmpint (g_stat (session_path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  /* apps, tables: the server saved at login is used. */
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;
    JsonArray *apps;
    gboolean found = FALSE;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "apps", "--json", NULL), ==, 0);
    root = parse_object (out);
    apps = json_object_get_array_member (root, "applications");
    for (guint i = 0; i < json_array_get_length (apps); i++)
      {
        JsonObject *app = json_array_get_object_element (apps, i);
        if (g_str_equal (json_object_get_string_member (app, "name"), "catalogue"))
          {
            g_assert_cmpstr (json_object_get_string_member (app, "role"), ==, "editor");
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "tables", "catalogue", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "products"));
    g_assert_nonnull (strstr (out, "price\treal"));
  }

  /* ls, get */
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "ls", "catalogue/products", "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "records")), ==, 6);
  }
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "get", "catalogue/products", DEMO_PRODUCT_1, "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_cmpstr (json_object_get_string_member (root, "id"), ==, DEMO_PRODUCT_1);
    g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  }

  /* set: values typed per the schema */
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;
    JsonObject *data;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "set", "catalogue/products", DEMO_PRODUCT_1,
                              "price=12.5", "published=false", "stock=7", "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 2);
    data = json_object_get_object_member (root, "data");
    g_assert_cmpfloat (json_object_get_double_member (data, "price"), ==, 12.5);
    g_assert_false (json_object_get_boolean_member (data, "published"));
    g_assert_cmpint (json_object_get_int_member (data, "stock"), ==, 7);
  }

  /* create */
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "create", "catalogue/products",
                              "name=Lampe de bureau", "price=45", "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
    new_id = g_strdup (json_object_get_string_member (root, "id"));
    g_assert_true (navette_uuid_is_valid (new_id));
  }

  /* history, revert, archive */
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "history", "catalogue/products", DEMO_PRODUCT_1, "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "versions")), ==, 2);
  }
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "revert", "catalogue/products", DEMO_PRODUCT_1, "1", "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "data"), "stock"), ==, 42);
  }
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "archive", "catalogue/products", new_id, "--json", NULL), ==, 0);
    root = parse_object (out);
    g_assert_true (json_object_get_boolean_member (root, "archived"));
  }
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "archive", "--restore", "catalogue/products", new_id, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "archived: false"));
  }

  /* A failing set prints the rolled-back change and the reason. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(JsonObject) root = NULL;
    g_autoptr(JsonObject) first = NULL;

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "ls", "blog/articles", "--json", NULL), ==, 0);
    first = parse_object (out);
    article = g_strdup (json_object_get_string_member (
      json_array_get_object_element (json_object_get_array_member (first, "records"), 0), "id"));
    g_clear_pointer (&out, g_free);

    long_title = g_strnfill (201, 'x');
    title_arg = g_strconcat ("title=", long_title, NULL);
    g_assert_cmpint (run_cli (&cli, NULL, &out, &err, "set", "blog/articles", article, title_arg, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "Rolled back"));
    g_assert_nonnull (strstr (err, "title"));
    g_assert_nonnull (strstr (err, "Reason:"));
    g_clear_pointer (&out, g_free);

    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "set", "blog/articles", article, title_arg, "--json", NULL), ==, 1);
    root = parse_object (out);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "error"), "code"), ==, "validation");
    g_assert_true (json_object_has_member (json_object_get_object_member (json_object_get_object_member (root, "error"), "fields"), "title"));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "rolled_back"), "record"), ==, article);
  }

  /* A reader is refused. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autoptr(JsonObject) root = NULL;

    bob_home = g_dir_make_tmp ("navette-cli-bob-XXXXXX", &error);
    g_assert_no_error (error);
    g_assert_cmpint (run_cli (&cli, bob_home, NULL, NULL, "login", "bob", "--server", cli.server->base_url, NULL), ==, 0);
    g_assert_cmpint (run_cli (&cli, bob_home, &out, NULL, "set", "catalogue/products", DEMO_PRODUCT_2, "price=1", "--json", NULL), ==, 1);
    root = parse_object (out);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "error"), "code"), ==, "forbidden");
    engine_test_rm_rf (bob_home);
  }

  /* Bad input is a usage error. */
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "set", "catalogue/products", DEMO_PRODUCT_2, "price=cheap", NULL), ==, 1);
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "frobnicate", NULL), ==, 2);

  /* logout forgets the token. */
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "logout", NULL), ==, 0);
  g_assert_false (g_file_test (session_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "apps", "--server", cli.server->base_url, NULL), ==, 1);

  cli_teardown (&cli);
}

/* ---- watch ---- */

typedef struct
{
  GDataInputStream *stream;
  GPtrArray        *lines;
  gboolean          eof;
} LineReader;

static void read_next (LineReader *reader);

static void
line_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineReader *reader = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL, NULL);

  if (line == NULL)
    {
      reader->eof = TRUE;
      return;
    }
  g_test_message ("watch: %s", line);
  g_ptr_array_add (reader->lines, line);
  read_next (reader);
}

static void
read_next (LineReader *reader)
{
  g_data_input_stream_read_line_async (reader->stream, G_PRIORITY_DEFAULT, NULL, line_cb, reader);
}

static void
test_cli_watch (void)
{
  Cli cli = { 0 };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) watch = NULL;
  g_autoptr(GError) error = NULL;
  LineReader out = { 0 };
  LineReader err = { 0 };

  cli_setup (&cli);
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "login", "alice", "--server", cli.server->base_url, NULL), ==, 0);

  launcher = launcher_new (&cli, cli.config_home);
  watch = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NAVETTE_CLI_BINARY"),
                                       "watch", "catalogue/products", "--interval", "1", NULL);
  g_assert_no_error (error);

  out.stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watch));
  out.lines = g_ptr_array_new_with_free_func (g_free);
  err.stream = g_data_input_stream_new (g_subprocess_get_stderr_pipe (watch));
  err.lines = g_ptr_array_new_with_free_func (g_free);
  read_next (&out);
  read_next (&err);

  /* Ready once it says what it watches. */
  ENGINE_WAIT_UNTIL (err.lines->len >= 1, 10000);
  g_assert_nonnull (strstr (g_ptr_array_index (err.lines, 0), "Watching"));

  /* A change made elsewhere shows within an interval or so. */
  engine_test_patch_product (cli.server, NULL, DEMO_PRODUCT_1, 1, "{\"stock\": 1}");
  ENGINE_WAIT_UNTIL (out.lines->len >= 1, 10000);
  g_assert_nonnull (strstr (g_ptr_array_index (out.lines, 0), DEMO_PRODUCT_1));
  g_assert_nonnull (strstr (g_ptr_array_index (out.lines, 0), "revision"));

  /* Silent while nothing changes (a few intervals). */
  engine_test_run_for (2500);
  g_assert_cmpuint (out.lines->len, ==, 1);

  engine_test_patch_product (cli.server, NULL, DEMO_PRODUCT_2, 1, "{\"stock\": 2}");
  ENGINE_WAIT_UNTIL (out.lines->len >= 2, 10000);
  g_assert_nonnull (strstr (g_ptr_array_index (out.lines, 1), DEMO_PRODUCT_2));
  g_assert_cmpuint (out.lines->len, ==, 2);

  g_subprocess_force_exit (watch);
  g_subprocess_wait (watch, NULL, NULL);
  ENGINE_WAIT_UNTIL (out.eof && err.eof, 10000);

  g_clear_object (&out.stream);
  g_clear_object (&err.stream);
  g_ptr_array_unref (out.lines);
  g_ptr_array_unref (err.lines);
  cli_teardown (&cli);
}

static void
journal_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other,
                    GFileMonitorEvent  event,
                    guint             *n_events)
{
  (*n_events)++;
}

/* The journal (the outbox of replica.db, read with SQL) holds a pending
 * change with its request (so it was written before the request left). */
static gboolean
journal_has_sent_change (const char *path,
                         char      **contents)
{
  g_autofree char *text = navette_test_outbox_dump (path);

  if (text == NULL)
    return FALSE;
  if (strstr (text, "\"state\":\"pending\"") == NULL || strstr (text, "\"body\"") == NULL)
    return FALSE;
  *contents = g_steal_pointer (&text);
  return TRUE;
}

/* The journal holds no change any more. */
static gboolean
journal_is_empty (const char *path)
{
  g_autofree char *text = navette_test_outbox_dump (path);

  return text != NULL && text[0] == '\0';
}

/* An engine with its journal under @data_dir, signed in as alice. */
static NavetteEngine *
replaying_engine_new (NavetteTestServer *server,
                      const char        *data_dir)
{
  return navette_test_engine_new (server, "alice", data_dir);
}

static gint64
current_stock (NavetteTestServer *server,
               const char        *token,
               const char        *id)
{
  g_autoptr(JsonObject) data = engine_test_product_data (server, token, id);

  return json_object_get_int_member (data, "stock");
}

/* navette-cli killed (SIGKILL) while its change is on the way: the next
 * engine of the same user replays it with the same idempotency key —
 * one new version, and replaying the same journal again writes nothing. */
static void
test_cli_crash_replay (void)
{
  const char *args[] = { "--response-delay", "2000", NULL };
  Cli cli = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) set = NULL;
  g_autoptr(GFile) dir_file = NULL;
  g_autoptr(GFileMonitor) monitor = NULL;
  g_autoptr(NavetteEngine) first = NULL;
  g_autoptr(NavetteEngine) second = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *key = NULL;
  g_autofree char *key_dir = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *token = NULL;
  guint n_versions, n_events = 0;

  cli.server = navette_test_server_start (args);
  cli.config_home = g_dir_make_tmp ("navette-cli-XXXXXX", &error);
  g_assert_no_error (error);
  data_home = g_build_filename (cli.config_home, "data", NULL);
  data_dir = g_build_filename (data_home, "navette", NULL);
  key = navette_engine_account_key (cli.server->base_url, "alice");
  key_dir = g_build_filename (data_dir, key, NULL);
  journal = g_build_filename (key_dir, "replica.db", NULL);

  token = navette_test_login (cli.server, "admin", NAVETTE_DEMO_PASSWORD);
  n_versions = engine_test_count_versions (cli.server, token, "catalogue", "products", DEMO_PRODUCT_3);
  g_assert_cmpint (current_stock (cli.server, token, DEMO_PRODUCT_3), !=, 31337);

  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "login", "alice", "--server", cli.server->base_url, NULL), ==, 0);

  /* Watch the journal's directory (made here so it can be watched). */
  g_assert_cmpint (g_mkdir_with_parents (key_dir, 0700), ==, 0);
  dir_file = g_file_new_for_path (key_dir);
  monitor = g_file_monitor_directory (dir_file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (monitor, "changed", G_CALLBACK (journal_changed_cb), &n_events);

  launcher = launcher_new (&cli, cli.config_home);
  set = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NAVETTE_CLI_BINARY"),
                                     "set", "catalogue/products", DEMO_PRODUCT_3, "stock=31337", NULL);
  g_assert_no_error (error);

  /* The change is on disk (with its request) before it is sent; the
   * server holds its answer 2 s: kill the CLI now. */
  ENGINE_WAIT_UNTIL (journal_has_sent_change (journal, &saved), 20000);
  g_subprocess_force_exit (set);
  g_subprocess_wait (set, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (set));
  g_test_message ("journal: %s", saved);

  /* The next start replays it: one new version. */
  first = replaying_engine_new (cli.server, data_dir);
  g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (first)), >=, 1);
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_pending (navette_engine_get_middleware (first)) == 0, 20000);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (first)), ==, 0);
  ENGINE_WAIT_UNTIL (journal_is_empty (journal), 10000);
  g_assert_cmpint (current_stock (cli.server, token, DEMO_PRODUCT_3), ==, 31337);
  g_assert_cmpuint (engine_test_count_versions (cli.server, token, "catalogue", "products", DEMO_PRODUCT_3),
                    ==, n_versions + 1);
  g_clear_object (&first);

  /* The same journal once more (a crash right after the answer): the
   * server recognises the key and writes nothing. */
  navette_test_outbox_restore (journal, saved);
  second = replaying_engine_new (cli.server, data_dir);
  g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (second)), >=, 1);
  ENGINE_WAIT_UNTIL (navette_middleware_get_n_pending (navette_engine_get_middleware (second)) == 0, 20000);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (second)), ==, 0);
  g_assert_cmpuint (engine_test_count_versions (cli.server, token, "catalogue", "products", DEMO_PRODUCT_3),
                    ==, n_versions + 1);
  g_clear_object (&second);

  g_signal_handlers_disconnect_by_data (monitor, &n_events);
  g_file_monitor_cancel (monitor);
  cli_teardown (&cli);
}

/* The server stopped: `set` keeps the change, says so and exits 75 after
 * --wait; `pending` lists it (text and JSON); the next command, with the
 * server back, sends it first and says so — once. `set` sends only the
 * columns it names. */
static void
test_cli_offline (void)
{
  Cli cli = { 0 };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *token = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) record = NULL;
  JsonArray *changes;
  JsonObject *change;
  guint n_versions;

  cli_setup (&cli);
  token = navette_test_login (cli.server, "admin", NAVETTE_DEMO_PASSWORD);
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "login", "alice", "--server", cli.server->base_url, NULL), ==, 0);

  /* Only the named column: a price written meanwhile by admin stays. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s",
                                             DEMO_PRODUCT_1);
    g_autoptr(GBytes) body = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *patch = NULL;

    g_assert_cmpuint (navette_test_request (cli.server, "GET", path, token, NULL, &body, NULL), ==, 200);
    root = navette_test_parse (body);
    patch = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"price\": 66.5}}",
                             json_object_get_int_member (json_node_get_object (root), "version"));
    g_assert_cmpuint (navette_test_request (cli.server, "PATCH", path, token, patch, NULL, NULL), ==, 200);
    g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "--json", "set", "catalogue/products", DEMO_PRODUCT_1,
                              "stock=12", NULL), ==, 0);
    record = parse_object (out);
    g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (record, "data"), "price"),
                       ==, 66.5);
    g_clear_pointer (&out, g_free);
  }

  n_versions = engine_test_count_versions (cli.server, token, "catalogue", "products", DEMO_PRODUCT_2);
  navette_test_server_stop (cli.server);

  g_assert_cmpint (run_cli (&cli, NULL, NULL, &err, "set", "catalogue/products", DEMO_PRODUCT_2,
                            "stock=55", "--wait", "1", NULL), ==, 75);
  g_assert_nonnull (strstr (err, "kept"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "pending", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "waiting"));
  g_assert_nonnull (strstr (out, DEMO_PRODUCT_2));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "pending", "--json", NULL), ==, 0);
  listed = parse_object (out);
  changes = json_object_get_array_member (listed, "changes");
  g_assert_cmpuint (json_array_get_length (changes), ==, 1);
  change = json_array_get_object_element (changes, 0);
  g_assert_cmpstr (json_object_get_string_member (change, "state"), ==, "waiting");
  g_assert_cmpstr (json_object_get_string_member (change, "kind"), ==, "update");
  g_assert_cmpstr (json_object_get_string_member (change, "record"), ==, DEMO_PRODUCT_2);
  g_clear_pointer (&out, g_free);

  /* Reads say it too: a temporary failure. */
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "get", "catalogue/products", DEMO_PRODUCT_2,
                            "--wait", "1", NULL), ==, 75);

  /* Back: the next command sends it first, and says so. */
  navette_test_server_restart (cli.server);
  g_assert_cmpint (run_cli (&cli, NULL, &out, &err, "get", "catalogue/products", DEMO_PRODUCT_2, NULL), ==, 0);
  g_assert_nonnull (strstr (err, "Sent 1 change kept earlier"));
  g_assert_nonnull (strstr (out, "stock: 55"));
  g_assert_cmpuint (engine_test_count_versions (cli.server, token, "catalogue", "products", DEMO_PRODUCT_2),
                    ==, n_versions + 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&cli, NULL, &out, NULL, "pending", NULL), ==, 0);
  g_assert_null (strstr (out, DEMO_PRODUCT_2));

  cli_teardown (&cli);
}

/* The journal cannot be written (the outbox's writes made to fail by the
 * test hook NAVETTE_TEST_OUTBOX_FAIL=1, in the CLI's environment only):
 * `set` still saves the change on the server, and warns that changes are
 * not kept on this computer, naming the file. */
static void
test_cli_journal_failure (void)
{
  Cli cli = { 0 };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) set = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;

  cli_setup (&cli);
  g_assert_cmpint (run_cli (&cli, NULL, NULL, NULL, "login", "alice", "--server", cli.server->base_url, NULL), ==, 0);

  launcher = launcher_new (&cli, cli.config_home);
  g_subprocess_launcher_setenv (launcher, "NAVETTE_TEST_OUTBOX_FAIL", "1", TRUE);
  set = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NAVETTE_CLI_BINARY"),
                                     "set", "catalogue/products", DEMO_PRODUCT_1, "stock=77", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (set, NULL, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 120000);
  g_assert_true (g_subprocess_communicate_utf8_finish (set, result, &out, &err, &error));
  g_test_message ("navette-cli set → %d\n%s%s", g_subprocess_get_exit_status (set), out, err);
  g_assert_true (g_subprocess_get_if_exited (set));
  g_assert_cmpint (g_subprocess_get_exit_status (set), ==, 0);
  g_assert_nonnull (strstr (out, "stock: 77"));
  g_assert_nonnull (strstr (err, "warning"));
  g_assert_nonnull (strstr (err, "cannot be kept on this computer"));
  g_assert_nonnull (strstr (err, "replica.db"));

  cli_teardown (&cli);
}

int
main (int    argc,
      char **argv)
{
  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/cli/commands", test_cli_commands);
  g_test_add_func ("/engine/cli/watch", test_cli_watch);
  g_test_add_func ("/engine/cli/crash-replay", test_cli_crash_replay);
  g_test_add_func ("/engine/cli/offline", test_cli_offline);
  g_test_add_func ("/engine/cli/journal-failure", test_cli_journal_failure);

  return g_test_run ();
}
