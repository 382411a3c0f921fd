/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteRecordSorter — orders records by one column of their table, as a
 * person expects: numbers by value, text by collation ("n° 2" before
 * "n° 10", case ignored), empty values last. The collation keys of a text
 * column are computed once per record and value, and kept on the record:
 * 10 000 rows sort in milliseconds. */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_RECORD_SORTER (navette_record_sorter_get_type ())
G_DECLARE_FINAL_TYPE (NavetteRecordSorter, navette_record_sorter, NAVETTE, RECORD_SORTER, GtkSorter)

/* @column must outlive the sorter (the table's schema). */
GtkSorter *navette_record_sorter_new (const NavetteWireColumn *column);

/* The column a column view's sorter (@sorter, made of
 * NavetteRecordSorters) sorts by first, and (@descending) its direction;
 * NULL when it sorts by none. GTK 4.8 has no
 * gtk_column_view_sorter_get_primary_sort_column(): the sorter compares
 * two probe objects, which the first NavetteRecordSorter asked names. */
char      *navette_record_sorter_probe (GtkSorter *sorter,
                                        gboolean  *descending);

G_END_DECLS
