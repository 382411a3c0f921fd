/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-ca-file.h"
#include "navette-preferences-window.h"
#include "navette-a11y.h"

struct _NavettePreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  AdwEntryRow          *server_row;
  AdwEntryRow          *ca_file_row;
  GtkSpinButton        *interval_spin;
  GtkSwitch            *others_switch;
  GtkSwitch            *online_switch;
  GtkSwitch            *saved_switch;

  AdwToast             *ca_file_toast;   /* why the file was refused, until dismissed */
  GtkFileChooserNative *ca_file_chooser; /* while choosing the file */
  GtkWidget            *ca_file_choose_button;
};

G_DEFINE_FINAL_TYPE (NavettePreferencesWindow, navette_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
server_apply_cb (NavettePreferencesWindow *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));

  if (url[0] != '\0' && !g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("The address must start with http:// or https://")));
      return;
    }
  g_settings_set_string (self->settings, "server-url", url);
  /* The application reconnects when the setting changes. */
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (url[0] != '\0' ? _("Connecting to the team server…")
                                                                  : _("Using the local database")));
}

/* The row says when the file cannot be used: red, the reason in its
 * tooltip. NULL @problem clears it. */
static void
set_ca_file_problem (NavettePreferencesWindow *self,
                     const char               *problem)
{
  if (problem != NULL)
    {
      g_autofree char *tooltip = navette_ca_file_format_problem (problem);

      gtk_widget_add_css_class (GTK_WIDGET (self->ca_file_row), "error");
      gtk_widget_set_tooltip_markup (GTK_WIDGET (self->ca_file_row), tooltip);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->ca_file_row), "error");
      gtk_widget_set_tooltip_markup (GTK_WIDGET (self->ca_file_row), NULL);
    }
}

static void
ca_file_toast_dismissed_cb (NavettePreferencesWindow *self)
{
  g_clear_object (&self->ca_file_toast);
}

static void
ca_file_apply_cb (NavettePreferencesWindow *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->ca_file_row))));
  g_autofree char *path = NULL;
  g_autofree char *problem = NULL;

  /* "~/ca.pem", as a person types it. */
  if (g_str_has_prefix (text, "~/"))
    path = g_build_filename (g_get_home_dir (), text + 2, NULL);
  else
    path = g_steal_pointer (&text);

  if (path[0] != '\0')
    problem = navette_ca_file_get_problem (path, NULL);
  set_ca_file_problem (self, problem);
  if (problem != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (problem, -1);
      /* Short: the window is narrow, and the row in red says which file.
       * Translators: a toast; %s says why, e.g. "there is no such file" */
      g_autofree char *title = g_strdup_printf (_("Cannot use this file: %s"), escaped);
      AdwToast *toast;

      /* Only the latest word on the file: the toast still shown says it
       * (never dismissed here: libadwaita 1.2 can crash when a toast is
       * dismissed while it still slides in). */
      if (self->ca_file_toast != NULL)
        {
          adw_toast_set_title (self->ca_file_toast, title);
          return;
        }
      toast = adw_toast_new (title);
      self->ca_file_toast = g_object_ref (toast);
      g_signal_connect_object (toast, "dismissed", G_CALLBACK (ca_file_toast_dismissed_cb),
                               self, G_CONNECT_SWAPPED);
      adw_toast_set_timeout (toast, 10);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
      /* The setting keeps the file of before. */
      return;
    }
  if (g_strcmp0 (path, gtk_editable_get_text (GTK_EDITABLE (self->ca_file_row))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->ca_file_row), path);
  /* The application reconnects when the setting changes. */
  g_settings_set_string (self->settings, "ca-file", path);
}

static void
ca_file_chosen_cb (GtkNativeDialog          *dialog,
                   int                       response,
                   NavettePreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      /* In the Flatpak sandbox the portal hands a path it made readable. */
      if (path != NULL)
        {
          gtk_editable_set_text (GTK_EDITABLE (self->ca_file_row), path);
          ca_file_apply_cb (self);
        }
    }
  gtk_native_dialog_hide (dialog);
  g_clear_object (&self->ca_file_chooser);
}

/* Through the file chooser portal when sandboxed: no access to the
 * user's files is asked for, only to the one chosen. */
static void
ca_file_choose_cb (NavettePreferencesWindow *self)
{
  g_autoptr(GtkFileFilter) pem = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->ca_file_chooser != NULL)
    return;
  self->ca_file_chooser = gtk_file_chooser_native_new (_("Choose a Certificate Authority File"),
                                                       GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                                       _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (pem, _("Certificates (PEM)"));
  gtk_file_filter_add_suffix (pem, "pem");
  gtk_file_filter_add_suffix (pem, "crt");
  gtk_file_filter_add_suffix (pem, "cer");
  gtk_file_filter_add_mime_type (pem, "application/x-x509-ca-cert");
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_file_chooser), pem);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_file_chooser), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->ca_file_chooser), TRUE);
  g_signal_connect_object (self->ca_file_chooser, "response", G_CALLBACK (ca_file_chosen_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->ca_file_chooser));
}

GtkFileChooserNative *
_navette_preferences_window_get_ca_file_chooser (NavettePreferencesWindow *self)
{
  return self->ca_file_chooser;
}

static void
ca_file_changed_cb (NavettePreferencesWindow *self)
{
  /* Being edited: no longer the text that was refused. */
  if (gtk_widget_has_css_class (GTK_WIDGET (self->ca_file_row), "error"))
    set_ca_file_problem (self, NULL);
}

static void
navette_preferences_window_dispose (GObject *object)
{
  NavettePreferencesWindow *self = NAVETTE_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->ca_file_toast);
  if (self->ca_file_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ca_file_chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->ca_file_chooser));
      g_clear_object (&self->ca_file_chooser);
    }
  G_OBJECT_CLASS (navette_preferences_window_parent_class)->dispose (object);
}

static void
navette_preferences_window_class_init (NavettePreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NavettePreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, NavettePreferencesWindow, ca_file_row);
  gtk_widget_class_bind_template_child (widget_class, NavettePreferencesWindow, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, NavettePreferencesWindow, others_switch);
  gtk_widget_class_bind_template_child (widget_class, NavettePreferencesWindow, online_switch);
  gtk_widget_class_bind_template_child (widget_class, NavettePreferencesWindow, saved_switch);
  gtk_widget_class_bind_template_callback (widget_class, server_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_file_apply_cb);
}

static void
navette_preferences_window_init (NavettePreferencesWindow *self)
{
  g_autofree char *url = NULL;
  g_autofree char *ca_file = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  navette_a11y_fix_mnemonics (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  url = g_settings_get_string (self->settings, "server-url");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), url);
  ca_file = g_settings_get_string (self->settings, "ca-file");
  gtk_editable_set_text (GTK_EDITABLE (self->ca_file_row), ca_file);
  /* A file that became unusable since it was chosen shows at once. */
  if (ca_file[0] != '\0')
    {
      g_autofree char *problem = navette_ca_file_get_problem (ca_file, NULL);

      set_ca_file_problem (self, problem);
    }
  g_signal_connect_swapped (self->ca_file_row, "changed", G_CALLBACK (ca_file_changed_cb), self);
  {
    GtkWidget *choose = gtk_button_new_from_icon_name ("document-open-symbolic");

    gtk_widget_set_tooltip_text (choose, _("Choose a File…"));
    navette_a11y_name (choose, _("Choose a File…"));
    gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class (choose, "flat");
    g_signal_connect_swapped (choose, "clicked", G_CALLBACK (ca_file_choose_cb), self);
    adw_entry_row_add_suffix (self->ca_file_row, choose);
    self->ca_file_choose_button = choose;
  }
  g_settings_bind (self->settings, "poll-interval", self->interval_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "toast-changes-by-others", self->others_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "toast-back-online", self->online_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "toast-saved", self->saved_switch, "active", G_SETTINGS_BIND_DEFAULT);
}

GtkWidget *
navette_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (NAVETTE_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
}
