/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteHistoryRow — one version in the record pane's history: its
 * number, author and time, the columns it changed ("Price: 12.50 →
 * 14.00"), a note when it is the user's save or the change it replaced,
 * and Restore This Version (the "restore" signal) or "Current version". */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_HISTORY_ROW (navette_history_row_get_type ())
G_DECLARE_FINAL_TYPE (NavetteHistoryRow, navette_history_row, NAVETTE, HISTORY_ROW, GtkListBoxRow)

/* @older: (nullable): the version before (NULL: the first, "Created").
 * @current: the newest (no Restore). @can_restore: an editor's history.
 * @note: (nullable): a warning line under the changes. */
GtkWidget     *navette_history_row_new         (NavetteTable  *table,
                                                NavetteRecord *version,
                                                NavetteRecord *older,
                                                gboolean       current,
                                                gboolean       can_restore,
                                                const char    *note);
/* The version shown. */
NavetteRecord *navette_history_row_get_version (NavetteHistoryRow *self);

/* Signal "restore" (): Restore This Version was clicked. */

G_END_DECLS
