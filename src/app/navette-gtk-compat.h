/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-gtk-compat.h — what the editor needs of GTK newer than 4.8. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Removes every row of @list, not its placeholder (as
 * gtk_list_box_remove_all() of GTK 4.12). */
void navette_list_box_remove_all (GtkListBox *list);

/* Scrolls @view so that the row at @position is in view (as
 * gtk_column_view_scroll_to() of GTK 4.12, without its flags): GTK 4.8
 * has the "list.scroll-to-item" action of its inner list view. */
void navette_column_view_scroll_to (GtkColumnView *view,
                                    guint          position);

G_END_DECLS
