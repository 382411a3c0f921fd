/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-state-cell.h"

struct _NavetteStateCell
{
  NavetteRecordCell  parent_instance;

  /* Template widgets */
  GtkSpinner        *spinner;
  GtkWidget         *icon;
};

G_DEFINE_FINAL_TYPE (NavetteStateCell, navette_state_cell, NAVETTE_TYPE_RECORD_CELL)

static void
navette_state_cell_update (NavetteRecordCell *cell,
                           NavetteRecord     *record)
{
  NavetteStateCell *self = NAVETTE_STATE_CELL (cell);
  NavetteSyncState state = navette_record_get_sync_state (record);

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), state == NAVETTE_SYNC_STATE_PENDING);
  gtk_spinner_set_spinning (self->spinner, state == NAVETTE_SYNC_STATE_PENDING);
  gtk_widget_set_visible (self->icon, state == NAVETTE_SYNC_STATE_FAILED || state == NAVETTE_SYNC_STATE_WAITING);
  if (state == NAVETTE_SYNC_STATE_FAILED)
    {
      const GError *error = navette_record_get_error (record);

      gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), "dialog-warning-symbolic");
      gtk_widget_remove_css_class (self->icon, "dim-label");
      gtk_widget_add_css_class (self->icon, "warning");
      gtk_widget_set_tooltip_text (self->icon, error != NULL ? error->message : _("This change could not be saved"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Not saved"), -1);
    }
  else if (state == NAVETTE_SYNC_STATE_WAITING)
    {
      /* Kept on this computer: sent by itself when the server answers. */
      gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), "document-open-recent-symbolic");
      gtk_widget_remove_css_class (self->icon, "warning");
      gtk_widget_add_css_class (self->icon, "dim-label");
      gtk_widget_set_tooltip_text (self->icon, _("Waiting for the server: this change is kept and will be sent by itself"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Waiting"), -1);
    }
}

static void
navette_state_cell_class_init (NavetteStateCellClass *klass)
{
  static const char * const watched[] = { "sync-state", "error", NULL };
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  NavetteRecordCellClass *cell_class = NAVETTE_RECORD_CELL_CLASS (klass);

  cell_class->watched = watched;
  cell_class->update = navette_state_cell_update;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-state-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteStateCell, spinner);
  gtk_widget_class_bind_template_child (widget_class, NavetteStateCell, icon);
  /* The spinner and the icon side by side, as a horizontal box. */
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
}

static void
navette_state_cell_init (NavetteStateCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
navette_state_cell_new (void)
{
  return g_object_new (NAVETTE_TYPE_STATE_CELL, NULL);
}
