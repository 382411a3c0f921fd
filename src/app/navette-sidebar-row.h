/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteSidebarRow — a table in the window's sidebar: its title and the
 * number of its records (archived ones not counted), kept up to date at
 * most once per main-loop iteration however many rows change. */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_SIDEBAR_ROW (navette_sidebar_row_get_type ())
G_DECLARE_FINAL_TYPE (NavetteSidebarRow, navette_sidebar_row, NAVETTE, SIDEBAR_ROW, GtkListBoxRow)

GtkWidget    *navette_sidebar_row_new       (NavetteTable      *table);
/* The table shown (given to _new()). */
NavetteTable *navette_sidebar_row_get_table (NavetteSidebarRow *self);

G_END_DECLS
