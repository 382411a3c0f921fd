/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteStateCell — the sync state of a record in the table's last
 * column: nothing when synced, a spinner while saving, a clock while the
 * change waits (for the server, or a new sign-in), a warning when it was
 * rolled back (the reason in its tooltip). */
#pragma once

#include "navette-record-cell.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_STATE_CELL (navette_state_cell_get_type ())
G_DECLARE_FINAL_TYPE (NavetteStateCell, navette_state_cell, NAVETTE, STATE_CELL, NavetteRecordCell)

/* The record (see NavetteRecordCell): whose state it shows. */
GtkWidget *navette_state_cell_new (void);

G_END_DECLS
