/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteSidebarAppRow — the heading of an application in the window's
 * sidebar, above its tables: its title and the user's role there as a
 * small dim word ("editor", "reader"). Neither selectable nor
 * activatable. */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_SIDEBAR_APP_ROW (navette_sidebar_app_row_get_type ())
G_DECLARE_FINAL_TYPE (NavetteSidebarAppRow, navette_sidebar_app_row, NAVETTE, SIDEBAR_APP_ROW, GtkListBoxRow)

GtkWidget    *navette_sidebar_app_row_new       (NavetteStore         *store);
/* The application shown (given to _new()). */
NavetteStore *navette_sidebar_app_row_get_store (NavetteSidebarAppRow *self);

G_END_DECLS
