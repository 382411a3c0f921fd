/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteArchivedCell — in the table's Archive view, who archived a
 * record and when ("alice, 5 minutes ago"; the archive is the record's
 * latest version), and a Restore button for editors (the action
 * "window.restore-record" with the record's id). */
#pragma once

#include "navette-record-cell.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_ARCHIVED_CELL (navette_archived_cell_get_type ())
G_DECLARE_FINAL_TYPE (NavetteArchivedCell, navette_archived_cell, NAVETTE, ARCHIVED_CELL, NavetteRecordCell)

/* @can_restore: show the Restore button (an editor's view). */
GtkWidget *navette_archived_cell_new (gboolean can_restore);

G_END_DECLS
