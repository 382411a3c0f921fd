/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteAdminWindow — Administration: Members, Access, Content Model and
 * Activity, over NavetteAdminClient.
 *
 * An administrator sees the four pages; anyone else only Activity (the
 * server gives an editor the applications they edit, nothing more). Each
 * page loads when it is shown (and on Refresh, F5), with a spinner the
 * first time; failures are toasts with the server's sentence. */
#pragma once

#include <adwaita.h>

#include "navette-admin-client.h"
#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_WINDOW (navette_admin_window_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminWindow, navette_admin_window, NAVETTE, ADMIN_WINDOW, AdwWindow)

/* @parent: the main window (a NavetteWindow: Activity opens records' history in it). */
NavetteAdminWindow *navette_admin_window_new          (GtkWindow          *parent,
                                                       NavetteEngine      *engine);
NavetteEngine      *navette_admin_window_get_engine   (NavetteAdminWindow *self);
NavetteAdminClient *navette_admin_window_get_client   (NavetteAdminWindow *self);
/* TRUE for an administrator: the four pages. */
gboolean            navette_admin_window_get_full     (NavetteAdminWindow *self);
/* "members", "access", "model", "activity". */
void                navette_admin_window_show_page    (NavetteAdminWindow *self,
                                                       const char         *name);
const char         *navette_admin_window_get_page     (NavetteAdminWindow *self);
/* Whether page @name can be shown (visible in the switcher). */
gboolean            navette_admin_window_has_page     (NavetteAdminWindow *self,
                                                       const char         *name);
GtkWidget          *navette_admin_window_get_page_widget (NavetteAdminWindow *self,
                                                          const char         *name);
void                navette_admin_window_toast        (NavetteAdminWindow *self,
                                                       const char         *title);
/* Shows the history of a record in the main window's pane. */
void                navette_admin_window_open_history (NavetteAdminWindow *self,
                                                       const char         *app,
                                                       const char         *table,
                                                       const char         *record);
/* The last toast's title (tests). */
const char         *navette_admin_window_get_last_toast (NavetteAdminWindow *self);

/* For the pages: the Administration window @widget is in (or NULL), its
 * client (or NULL), a toast in it (nothing when @widget is not in one;
 * nothing for a cancelled error), and the page @widget is (or is in)
 * read again. */
NavetteAdminWindow *navette_admin_window_of           (GtkWidget          *widget);
NavetteAdminClient *navette_admin_window_client_of    (GtkWidget          *widget);
void                navette_admin_window_toast_in     (GtkWidget          *widget,
                                                       const char         *title);
void                navette_admin_window_error_in     (GtkWidget          *widget,
                                                       const GError       *error);
void                navette_admin_window_reload_in    (GtkWidget          *widget);

G_END_DECLS
