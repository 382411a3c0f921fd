/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-gtk-compat.c — what the editor needs of GTK newer than 4.8. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include "navette-gtk-compat.h"

void
navette_list_box_remove_all (GtkListBox *list)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (list));

  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      if (GTK_IS_LIST_BOX_ROW (child))
        gtk_list_box_remove (list, child);
      child = next;
    }
}
