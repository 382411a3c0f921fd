/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteFailedRow — one change that could not be saved, in the popover
 * of the window's failed-changes button: the record, what the change did,
 * why it was refused, and Discard / Retry (the window.discard-change and
 * window.retry-change actions, with the change's idempotency key). */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_FAILED_ROW (navette_failed_row_get_type ())
G_DECLARE_FINAL_TYPE (NavetteFailedRow, navette_failed_row, NAVETTE, FAILED_ROW, GtkListBoxRow)

GtkWidget     *navette_failed_row_new        (NavetteChange    *change);
/* The change shown (given to _new()). */
NavetteChange *navette_failed_row_get_change (NavetteFailedRow *self);

G_END_DECLS
