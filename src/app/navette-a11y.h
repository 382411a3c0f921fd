/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-a11y.h — names for assistive technologies that GTK 4.8 does not
 * give by itself.
 *
 * - An icon-only button is read by its accessible label: give one (and a
 *   tooltip) with navette_a11y_name() or <accessibility> in the .ui.
 *   A GtkMenuButton's label goes to its inner button too, the one that
 *   takes the focus.
 * - A button whose label has a mnemonic ("_Archive") is read with the
 *   underscore and then the text ("_Archive Archive"):
 *   navette_a11y_fix_mnemonics() names every such button under a widget
 *   by its text alone, once. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void      navette_a11y_name             (GtkWidget  *widget,
                                         const char *name);
void      navette_a11y_fix_mnemonics    (GtkWidget  *root);
/* Marks @widget read-only for assistive technologies (and editable
 * FALSE for entries and text views) while it stays sensitive, so its
 * text can still be selected and copied. */
void      navette_a11y_set_read_only    (GtkWidget  *widget,
                                         gboolean    read_only);

G_END_DECLS
