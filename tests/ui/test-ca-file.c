/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-ca-file.c — the application tells the user when the certificate
 * authority file of the Preferences cannot be used.
 *
 * The real navette-server serves HTTPS with a certificate of a throwaway
 * CA (tests/common/navette-test-pki). The application is pointed at it with
 * a CA file that does not exist: a toast says the file cannot be used and
 * why, and signing in fails on the untrusted certificate. A file with no
 * certificate, set while the application runs, gets its own toast. In the
 * Preferences, the row of the file in use is red; applying a file that
 * cannot be used marks it again with a toast and keeps the setting;
 * applying the right CA is saved, the sign-in dialog of the engine of
 * before is replaced, and signing in then works. Everything is found through the widget tree, as a person
 * would see it. */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "navette-application.h"
#include "navette-preferences-window.h"
#include "navette-sign-in-dialog.h"
#include "navette-test-dirs.h"
#include "navette-test-pki.h"
#include "navette-test-input.h"
#include "navette-test-server.h"
#include "navette-window-private.h"

#define NO_SUCH_FILE_TOAST "Cannot use the certificate authority file: there is no such file"
#define NOT_PEM_TOAST "Cannot use the certificate authority file: it holds no certificate in PEM format"

static NavetteTestPki pki;

/* ---- The widget tree ---- */

/* The first widget under @root (itself included) that is mapped — on
 * screen — and for which @match holds. */
static GtkWidget *
find_widget (GtkWidget  *root,
             gboolean  (*match) (GtkWidget *widget, gconstpointer data),
             gconstpointer data)
{
  if (!gtk_widget_get_mapped (root))
    return NULL;
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A toast on its way out (dismissed, fading) no longer takes input: it
 * does not count as shown. */
static gboolean
in_hiding_toast (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (strcmp (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget") == 0)
      return !gtk_widget_get_can_target (widget);
  return FALSE;
}

static gboolean
label_is (GtkWidget     *widget,
          gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0 &&
         !in_hiding_toast (widget);
}

static gboolean
label_starts_with (GtkWidget     *widget,
                   gconstpointer  prefix)
{
  return GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix) &&
         !in_hiding_toast (widget);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* A label with this text is on screen in a window of this type. */
typedef struct
{
  GType       type;
  const char *text;
  gboolean    prefix;
} Shown;

static gboolean
text_shown (gpointer data)
{
  const Shown *shown = data;
  GtkWindow *window = find_toplevel (shown->type);

  return window != NULL &&
         find_widget (GTK_WIDGET (window), shown->prefix ? label_starts_with : label_is, shown->text) != NULL;
}

static gboolean
text_gone (gpointer data)
{
  return !text_shown (data);
}

/* The toast has this text; and it comes with a button to the Preferences. */
static void
assert_toast (const char *text)
{
  NavetteWindow *window = NAVETTE_WINDOW (find_toplevel (NAVETTE_TYPE_WINDOW));
  GtkWidget *label = find_widget (GTK_WIDGET (window), label_is, text);
  GtkWidget *toast = label;

  /* The button of the same toast says where to change the file. */
  while (toast != NULL && strcmp (G_OBJECT_TYPE_NAME (toast), "AdwToastWidget") != 0)
    toast = gtk_widget_get_parent (toast);
  g_assert_nonnull (toast);
  g_assert_nonnull (find_widget (toast, label_is, "Preferences"));
}

static gboolean
dialog_shown (gpointer data)
{
  return find_toplevel (NAVETTE_TYPE_SIGN_IN_DIALOG) != NULL;
}

static gboolean
records_shown (gpointer data)
{
  GtkWindow *window = find_toplevel (NAVETTE_TYPE_WINDOW);

  return window != NULL && g_strcmp0 (_navette_window_get_page (NAVETTE_WINDOW (window)), "records") == 0;
}

static gboolean
has_error_style (GtkWidget     *widget,
                 gconstpointer  data)
{
  return ADW_IS_ENTRY_ROW (widget) && gtk_widget_has_css_class (widget, "error");
}

static gboolean
is_ca_file_row (GtkWidget     *widget,
                gconstpointer  data)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                    "Certificate Authority File (Self-Hosted Server)") == 0;
}

static gboolean
ca_file_row_shown (gpointer data)
{
  GtkWindow *preferences = find_toplevel (NAVETTE_TYPE_PREFERENCES_WINDOW);

  return preferences != NULL && find_widget (GTK_WIDGET (preferences), is_ca_file_row, NULL) != NULL;
}

static gboolean
old_dialog_gone (gpointer data)
{
  return *(GtkWindow * const *) data == NULL;
}

static void
close_sign_in_dialog (void)
{
  GtkWindow *dialog = find_toplevel (NAVETTE_TYPE_SIGN_IN_DIALOG);

  g_assert_nonnull (dialog);
  gtk_window_destroy (dialog);
}

/* ---- The test ---- */

static void
test_ca_file_unusable (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(NavetteApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (pki.dir, "missing.pem", NULL);
  g_autofree char *not_pem = g_build_filename (pki.dir, "not-a-certificate.pem", NULL);
  g_autofree char *setting = NULL;
  Shown no_such_file = { NAVETTE_TYPE_WINDOW, NO_SUCH_FILE_TOAST, FALSE };
  Shown not_pem_toast = { NAVETTE_TYPE_WINDOW, NOT_PEM_TOAST, FALSE };
  Shown untrusted = { NAVETTE_TYPE_SIGN_IN_DIALOG, "The server’s certificate is not trusted", TRUE };
  Shown preferences_toast = { NAVETTE_TYPE_PREFERENCES_WINDOW,
                              "Cannot use this file: there is no such file", FALSE };
  GtkWindow *preferences;
  GtkWindow *old_dialog = NULL;
  GtkWidget *row;

  g_assert_true (g_str_has_prefix (server->base_url, "https://"));
  g_assert_true (g_file_set_contents (not_pem, "This is not a certificate.\n", -1, NULL));

  /* A team server over HTTPS, a known user, a CA file that is not there;
   * nothing saved by an earlier test. */
  navette_test_dirs_reset ();
  g_settings_set_string (settings, "server-url", server->base_url);
  g_settings_set_string (settings, "username", "alice");
  g_settings_set_string (settings, "ca-file", missing);

  app = navette_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  /* The user is told, with a way to the Preferences. */
  navette_test_wait_until (text_shown, &no_such_file, "the toast about the missing file");
  assert_toast (NO_SUCH_FILE_TOAST);

  /* What it means: the system's authorities do not know this server. */
  navette_test_wait_until (dialog_shown, NULL, "the sign-in dialog");
  navette_sign_in_dialog_submit (NAVETTE_SIGN_IN_DIALOG (find_toplevel (NAVETTE_TYPE_SIGN_IN_DIALOG)),
                                 "alice", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (text_shown, &untrusted, "the untrusted certificate in the dialog");
  close_sign_in_dialog ();

  /* Changed while the application runs: a file with no certificate. */
  g_settings_set_string (settings, "ca-file", not_pem);
  navette_test_wait_until (text_shown, &not_pem_toast, "the toast about the file with no certificate");
  assert_toast (NOT_PEM_TOAST);
  /* Only the latest word on the file: the first one is gone. */
  navette_test_wait_until (text_gone, &no_such_file, "the first toast to go");
  navette_test_wait_until (dialog_shown, NULL, "the sign-in dialog again");
  /* Left open: the next change of file must replace it, not reuse the
   * one of the engine of before. */
  g_set_weak_pointer (&old_dialog, find_toplevel (NAVETTE_TYPE_SIGN_IN_DIALOG));

  /* The Preferences show the problem of the file in use on its row at
   * once: red, the reason in its tooltip. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  navette_test_wait_until (ca_file_row_shown, NULL, "the Preferences");
  preferences = find_toplevel (NAVETTE_TYPE_PREFERENCES_WINDOW);
  row = find_widget (GTK_WIDGET (preferences), is_ca_file_row, NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, not_pem);
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (row), ==, NOT_PEM_TOAST);

  /* Editing clears the mark. Applying a file that cannot be used: the row
   * turns red again, a toast says why, the setting is kept. */
  gtk_editable_set_text (GTK_EDITABLE (row), missing);
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_signal_emit_by_name (row, "apply");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_true (find_widget (GTK_WIDGET (preferences), has_error_style, NULL) == row);
  navette_test_wait_until (text_shown, &preferences_toast, "the toast in the Preferences");
  setting = g_settings_get_string (settings, "ca-file");
  g_assert_cmpstr (setting, ==, not_pem);

  /* The right file is saved, and signing in works. */
  gtk_editable_set_text (GTK_EDITABLE (row), pki.ca);
  g_signal_emit_by_name (row, "apply");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_clear_pointer (&setting, g_free);
  setting = g_settings_get_string (settings, "ca-file");
  g_assert_cmpstr (setting, ==, pki.ca);
  gtk_window_destroy (preferences);

  navette_test_wait_until (old_dialog_gone, &old_dialog, "the sign-in dialog of before to go");
  navette_test_wait_until (dialog_shown, NULL, "the sign-in dialog with the right file");
  navette_sign_in_dialog_submit (NAVETTE_SIGN_IN_DIALOG (find_toplevel (NAVETTE_TYPE_SIGN_IN_DIALOG)),
                                 "alice", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (records_shown, NULL, "the records over HTTPS");

  gtk_window_destroy (find_toplevel (NAVETTE_TYPE_WINDOW));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  GSubprocess *bus;
  g_autofree char *address = NULL;
  int status;

  navette_test_ui_setenv ("none");

  if ((g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL) ||
      dbus_daemon == NULL || openssl == NULL)
    return navette_test_run_skipped (&argc, &argv, "/ca-file/skipped", "Needs a display, dbus-daemon and openssl");

  /* A private session bus for the application. */
  bus = navette_test_session_bus_start (&address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  navette_test_gtk_init (&argc, &argv);

  navette_test_pki_setup (&pki);
  g_test_add_func ("/ca-file/unusable", test_ca_file_unusable);
  status = g_test_run ();
  navette_test_pki_teardown (&pki);

  navette_test_session_bus_stop (bus);
  return status;
}
