/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-archived-cell.h"
#include "navette-format.h"

struct _NavetteArchivedCell
{
  NavetteRecordCell parent_instance;

  GtkWidget *label;
  GtkWidget *restore_button;
};

G_DEFINE_FINAL_TYPE (NavetteArchivedCell, navette_archived_cell, NAVETTE_TYPE_RECORD_CELL)

static void
navette_archived_cell_update (NavetteRecordCell *cell,
                              NavetteRecord     *record)
{
  NavetteArchivedCell *self = NAVETTE_ARCHIVED_CELL (cell);
  g_autofree char *when = navette_format_relative_time (navette_record_get_updated_at (record),
                                                        g_get_real_time ());
  g_autofree char *exact = navette_format_absolute_time (navette_record_get_updated_at (record));
  g_autofree char *text = NULL;

  /* Translators: who archived a record and when: "alice, 5 minutes ago" */
  text = g_strdup_printf (_("%s, %s"), navette_record_get_updated_by (record), when);
  gtk_label_set_label (GTK_LABEL (self->label), text);
  gtk_widget_set_tooltip_text (self->label, exact);
  /* The action is named once it has its target (the record). */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->restore_button), "s",
                                    navette_record_get_id (record));
  if (gtk_actionable_get_action_name (GTK_ACTIONABLE (self->restore_button)) == NULL)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (self->restore_button), "window.restore-record");
}

static void
navette_archived_cell_class_init (NavetteArchivedCellClass *klass)
{
  static const char * const watched[] = { "data", "version", NULL };
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  NavetteRecordCellClass *cell_class = NAVETTE_RECORD_CELL_CLASS (klass);

  cell_class->watched = watched;
  cell_class->update = navette_archived_cell_update;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
}

static void
navette_archived_cell_init (NavetteArchivedCell *self)
{
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 12);
  self->label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (self->label, TRUE);
  gtk_widget_add_css_class (self->label, "dim-label");
  gtk_widget_set_parent (self->label, GTK_WIDGET (self));

  self->restore_button = gtk_button_new_with_label (_("Restore"));
  gtk_widget_add_css_class (self->restore_button, "flat");
  gtk_widget_set_parent (self->restore_button, GTK_WIDGET (self));
}

GtkWidget *
navette_archived_cell_new (gboolean can_restore)
{
  NavetteArchivedCell *self = g_object_new (NAVETTE_TYPE_ARCHIVED_CELL, NULL);

  gtk_widget_set_visible (self->restore_button, can_restore);
  return GTK_WIDGET (self);
}
