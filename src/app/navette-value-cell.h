/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteValueCell — one value of a record in the table's column view:
 * the first line of a text, a number right-aligned (reals with two
 * decimals), a check mark for a true boolean. It follows the record's
 * values (the record: see NavetteRecordCell). */
#pragma once

#include "navette-record-cell.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_VALUE_CELL (navette_value_cell_get_type ())
G_DECLARE_FINAL_TYPE (NavetteValueCell, navette_value_cell, NAVETTE, VALUE_CELL, NavetteRecordCell)

/* A cell of @column (which must outlive it: the table's schema). @wide: the
 * first text column, which keeps room for a few words. */
GtkWidget *navette_value_cell_new (const NavetteWireColumn *column,
                                   gboolean                 wide);

G_END_DECLS
