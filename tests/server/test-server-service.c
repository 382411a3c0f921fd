/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-service.c — navette-server as a systemd service: its
 * version, and (built with libsystemd) what `serve` tells systemd over
 * $NOTIFY_SOCKET — READY=1 once it accepts connections, WATCHDOG=1 when
 * the unit asks for a watchdog, STOPPING=1 at SIGTERM. The test plays
 * systemd's part: a datagram socket of its own. (data/navette-server.service
 * itself is checked by tests/data/check-service.py.) */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

#include "server-test-util.h"

static void
test_version (void)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              g_getenv ("NAVETTE_SERVER_BINARY"), "--version", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpstr (out, ==, "navette-server " PACKAGE_VERSION "\n");
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* The next datagram systemd would get. */
static char *
receive (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);
  buffer[n] = '\0';
  g_test_message ("notify: %s", buffer);
  return g_strdup (buffer);
}

static void
test_notify (void)
{
#if HAVE_LIBSYSTEMD
  g_autoptr(NavetteTestServer) helper = navette_test_server_start (NULL);
  g_autoptr(GSocket) notify = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (helper->tmpdir, "notify", NULL);
  g_autofree char *line = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *status_line = NULL;
  g_autofree char *url = NULL;
  g_autofree char *saved_url = NULL;
  gboolean watchdog = FALSE;
  gboolean stopping = FALSE;
  guint status;

  notify = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (path);
  g_socket_bind (notify, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (notify, 30);

  navette_test_server_stop (helper);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", path, TRUE);
  /* WatchdogSec=0.2s, as systemd says it */
  g_subprocess_launcher_setenv (launcher, "WATCHDOG_USEC", "200000", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NAVETTE_SERVER_BINARY"),
                                         "serve", "--db", helper->db, "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);

  /* ready: after it listens, and saying where */
  ready = receive (notify);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "navette-server: listening on http://127.0.0.1:"));
  url = g_strdup (line + strlen ("navette-server: listening on "));
  status_line = g_strdup_printf ("STATUS=Listening on %s", url);
  g_assert_nonnull (strstr (ready, "READY=1"));
  g_assert_nonnull (strstr (ready, status_line));

  saved_url = helper->base_url;
  helper->base_url = g_strdup (url);
  status = st_request (helper, "GET", API "/health", NULL, NULL, NULL, NULL);
  g_free (helper->base_url);
  helper->base_url = g_steal_pointer (&saved_url);
  g_assert_cmpuint (status, ==, 200);

  /* the watchdog is fed (every 0.1 s) */
  while (!watchdog)
    {
      g_autofree char *message = receive (notify);

      watchdog = g_str_equal (message, "WATCHDOG=1");
    }

  g_subprocess_send_signal (process, SIGTERM);
  while (!stopping)
    {
      g_autofree char *message = receive (notify);

      stopping = g_str_equal (message, "STOPPING=1");
    }
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_unlink (path);
#else
  g_test_skip ("built without libsystemd (meson -Dsystemd=disabled)");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/service/version", test_version);
  g_test_add_func ("/server/service/notify", test_notify);

  return g_test_run ();
}
