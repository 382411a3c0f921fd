/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavettePreferencesWindow — the server to use, the polling interval and
 * what toasts show, bound to GSettings org.navette.Navette. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_PREFERENCES_WINDOW (navette_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (NavettePreferencesWindow, navette_preferences_window, NAVETTE, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *navette_preferences_window_new (GtkWindow *parent);

/* The file chooser of the CA file while it is shown (tests), or NULL. */
GtkFileChooserNative *_navette_preferences_window_get_ca_file_chooser (NavettePreferencesWindow *self);

G_END_DECLS
