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
