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

void
navette_column_view_scroll_to (GtkColumnView *view,
                               guint          position)
{
  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));

  /* The column view's children: its header, then its list view, where
   * the action is (GtkListBase's, since GTK 4.0). */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (view));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      {
        gtk_widget_activate_action (child, "list.scroll-to-item", "u", position);
        return;
      }
}
