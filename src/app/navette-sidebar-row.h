/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteSidebarRow — a table in the window's sidebar: its title and the
 * number of its records (archived ones not counted): of the table when
 * it is loaded in memory (kept up to date at most once per main-loop
 * iteration however many rows change), else of the replica's copy of it
 * (counted off the main thread, again on _recount(); none when the
 * replica does not hold it). */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_SIDEBAR_ROW (navette_sidebar_row_get_type ())
G_DECLARE_FINAL_TYPE (NavetteSidebarRow, navette_sidebar_row, NAVETTE, SIDEBAR_ROW, GtkListBoxRow)

/* @replica: nullable */
GtkWidget    *navette_sidebar_row_new       (NavetteTable      *table,
                                             NavetteReplica    *replica);
/* Counts the replica's rows again (after a sync of the table). */
void          navette_sidebar_row_recount   (NavetteSidebarRow *self);
/* The table shown (given to _new()). */
NavetteTable *navette_sidebar_row_get_table (NavetteSidebarRow *self);

G_END_DECLS
