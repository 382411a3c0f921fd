/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app.c — the `navette` program itself in local mode: on a fresh data
 * folder it creates the demo database, starts navette-server, signs the
 * local user in and paints the table; on SIGTERM it quits and stops the
 * server. Needs a display (Xvfb in CI). */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "navette-test-dirs.h"
#include "navette-test-server.h"

typedef struct
{
  GSubprocess *app;
  GSubprocess *bus;
  GString *log;
  char    *url;
  gboolean painted;
  gboolean cache_written;
  gboolean loaded;
  gboolean eof;
} Output;


static void read_line (GDataInputStream *stream, Output *output);

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Output *output = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object),
                                                                     result, NULL, NULL);
  const char *found;

  if (line == NULL)
    {
      output->eof = TRUE;
      return;
    }
  g_string_append_printf (output->log, "%s\n", line);
  found = strstr (line, "Local server ready at ");
  if (found != NULL && output->url == NULL)
    {
      found += strlen ("Local server ready at ");
      output->url = g_strndup (found, strcspn (found, " ,"));
    }
  if (strstr (line, "First records painted") != NULL)
    output->painted = TRUE;
  if (strstr (line, "Applications loaded") != NULL)
    output->loaded = TRUE;
  /* The open table is in the local replica (navette-engine debug): the
   * window shows it through the replica, not from a JSON cache. */
  if (strstr (line, "Replica sync of catalogue/products") != NULL)
    output->cache_written = TRUE;
  read_line (G_DATA_INPUT_STREAM (object), output);
}

static void
read_line (GDataInputStream *stream,
           Output           *output)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, read_line_cb, output);
}

static gboolean
timeout_cb (gpointer data)
{
  Output *output = data;

  /* Never leave the app (and its server) behind. */
  g_subprocess_send_signal (output->app, SIGTERM);
  g_subprocess_send_signal (output->bus, SIGTERM);
  g_error ("Timed out; the app said:\n%s", output->log->str);
  return G_SOURCE_REMOVE;
}

static gboolean
server_answers (const char *url)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *health = g_strconcat (url, "/api/v1/health", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", health);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, message, NULL, NULL);

  return body != NULL && soup_message_get_status (message) == SOUP_STATUS_OK;
}

/* Runs `navette` in local mode until it painted the records (and, with
 * @wait_cache, synced the table into its local replica), then quits it with SIGTERM and
 * checks it stopped cleanly. */
static void
run_app (const char  *binary,
         const char  *home,
         const char  *cache,
         const char  *schemas,
         GSubprocess *bus,
         const char  *bus_address,
         gboolean     wait_cache,
         Output      *output)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GDataInputStream) stream = NULL;
  guint timeout;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", schemas, TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "navette-app navette-engine", TRUE);
  g_subprocess_launcher_setenv (launcher, "NAVETTE_NO_KEYRING", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  /* A private session bus: the app is the primary instance there (not
   * handing over to another navette) and GTK finds a bus. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  app = g_subprocess_launcher_spawn (launcher, &error, binary, "--table", "catalogue/products", NULL);
  g_assert_no_error (error);
  output->app = app;
  output->bus = bus;

  /* g_debug() writes to standard output. */
  stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app));
  read_line (stream, output);
  timeout = g_timeout_add_seconds (60, timeout_cb, output);
  while (!(output->painted && output->loaded && (output->cache_written || !wait_cache)) &&
         !output->eof)
    g_main_context_iteration (NULL, TRUE);
  if (!output->painted || !output->loaded || (wait_cache && !output->cache_written))
    {
      g_subprocess_send_signal (bus, SIGTERM);
      g_error ("The app quit early; it said:\n%s", output->log->str);
    }
  g_assert_nonnull (output->url);
  g_assert_true (server_answers (output->url));

  /* Quitting stops the server. */
  g_subprocess_send_signal (app, SIGTERM);
  while (!output->eof)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (app, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (app));
  g_assert_cmpint (g_subprocess_get_exit_status (app), ==, 0);
  g_source_remove (timeout);
  output->app = NULL;
}

static void
test_local_mode_app (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("navette-app-XXXXXX", &error);
  g_autofree char *binary = g_build_filename (g_getenv ("NAVETTE_BUILD_ROOT"), "src", "app", "navette", NULL);
  g_autofree char *schemas = g_build_filename (g_getenv ("NAVETTE_BUILD_ROOT"), "data", NULL);
  g_autofree char *db = g_build_filename (home, "navette", "local.db", NULL);
  g_autoptr(GSubprocess) bus = NULL;
  g_autofree char *bus_address = NULL;
  g_autofree char *dbus_daemon = NULL;
  g_autofree char *cache = NULL;
  Output output = { NULL, NULL, g_string_new (NULL), NULL, FALSE, FALSE, FALSE, FALSE };

  g_assert_no_error (error);
  cache = g_build_filename (home, "cache", NULL);

  dbus_daemon = g_find_program_in_path ("dbus-daemon");
  if (dbus_daemon == NULL)
    {
      g_test_skip ("dbus-daemon is needed for a private session bus");
      return;
    }
  bus = navette_test_session_bus_start (&bus_address);

  /* First run: a fresh data folder, and the JSON cache an earlier
   * version kept ($XDG_CACHE_HOME/navette): deleted, never read. */
  {
    g_autofree char *old_dir = g_build_filename (cache, "navette", "0123456789abcdef0123456789abcdef",
                                                 "catalogue", NULL);
    g_autofree char *old_file = g_build_filename (old_dir, "products.json", NULL);

    g_assert_cmpint (g_mkdir_with_parents (old_dir, 0700), ==, 0);
    g_assert_true (g_file_set_contents (old_file, "{\"server\":\"x\",\"user\":\"y\",\"records\":[]}", -1, NULL));
  }
  run_app (binary, home, cache, schemas, bus, bus_address, TRUE, &output);
  g_assert_null (strstr (output.log->str, "Showing the saved data"));
  {
    g_autofree char *old_cache = g_build_filename (cache, "navette", NULL);

    g_assert_nonnull (strstr (output.log->str, "Deleted the JSON cache of an earlier version"));
    g_assert_false (g_file_test (old_cache, G_FILE_TEST_EXISTS));
  }

  /* The demo database was made in the data folder; the server answered. */
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (output.url);
  g_assert_true (g_str_has_prefix (output.url, "http://127.0.0.1:"));
  g_assert_false (server_answers (output.url));

  /* Second run: what the replica holds (the applications and tables
   * the first run kept there, the table's rows) is shown at once, while
   * the local server starts (on another port); no JSON cache is written. */
  g_clear_pointer (&output.url, g_free);
  g_string_truncate (output.log, 0);
  output.painted = output.cache_written = output.loaded = output.eof = FALSE;
  run_app (binary, home, cache, schemas, bus, bus_address, FALSE, &output);
  {
    const char *shown = strstr (output.log->str, "Showing the saved data");
    const char *loaded = strstr (output.log->str, "Applications loaded");

    g_assert_nonnull (shown);
    g_assert_nonnull (loaded);
    g_assert_true (shown < loaded);
  }
  {
    g_autofree char *old_cache = g_build_filename (cache, "navette", NULL);

    g_assert_false (g_file_test (old_cache, G_FILE_TEST_EXISTS));
  }

  g_subprocess_send_signal (bus, SIGTERM);
  g_subprocess_wait (bus, NULL, NULL);

  g_free (output.url);
  g_string_free (output.log, TRUE);
  /* (the database and the cache are under @home) */
  navette_test_rm_rf (home);
}

static void
no_display (void)
{
  g_test_skip ("No display: run under Xvfb (DISPLAY=…)");
}

int
main (int   argc,
      char *argv[])
{
  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    g_test_add_func ("/app/no-display", no_display);
  else
    g_test_add_func ("/app/local-mode", test_local_mode_app);

  return g_test_run ();
}
