/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "navette-value-cell.h"
#include "navette-format.h"

struct _NavetteValueCell
{
  NavetteRecordCell        parent_instance;

  /* Template widgets */
  GtkLabel                *label;
  GtkImage                *check;

  const NavetteWireColumn *column;   /* the table's schema's */
};

G_DEFINE_FINAL_TYPE (NavetteValueCell, navette_value_cell, NAVETTE_TYPE_RECORD_CELL)

static void
navette_value_cell_update (NavetteRecordCell *cell,
                           NavetteRecord     *record)
{
  NavetteValueCell *self = NAVETTE_VALUE_CELL (cell);
  const char *name = self->column->name;

  if (self->column->type == NAVETTE_COLUMN_BOOLEAN)
    {
      gboolean value = navette_record_get_boolean (record, name);

      gtk_image_set_from_icon_name (self->check, value ? "object-select-symbolic" : NULL);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      value ? _("yes") : _("no"), -1);
    }
  else if (self->column->type == NAVETTE_COLUMN_REAL)
    {
      g_autofree char *text = NULL;

      if (!navette_record_is_null (record, name))
        text = g_strdup_printf ("%.2f", navette_record_get_double (record, name));
      gtk_label_set_label (self->label, text != NULL ? text : "");
    }
  else
    {
      g_autofree char *text = navette_record_dup_display (record, name);

      g_autofree char *uri = NULL;

      /* The first line of a long text. */
      if (text != NULL && strchr (text, '\n') != NULL)
        *strchr (text, '\n') = '\0';
      uri = text != NULL ? navette_format_link_uri (self->column, text) : NULL;
      if (uri != NULL)
        {
          /* A web address or an e-mail address: a link. */
          g_autofree char *escaped_uri = g_markup_escape_text (uri, -1);
          g_autofree char *escaped = g_markup_escape_text (text, -1);
          g_autofree char *markup = g_strdup_printf ("<a href=\"%s\">%s</a>", escaped_uri, escaped);

          gtk_label_set_markup (self->label, markup);
        }
      else
        gtk_label_set_label (self->label, text != NULL ? text : "");
    }
}

static void
navette_value_cell_class_init (NavetteValueCellClass *klass)
{
  static const char * const watched[] = { "data", NULL };
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  NavetteRecordCellClass *cell_class = NAVETTE_RECORD_CELL_CLASS (klass);

  cell_class->watched = watched;
  cell_class->update = navette_value_cell_update;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-value-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteValueCell, label);
  gtk_widget_class_bind_template_child (widget_class, NavetteValueCell, check);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
navette_value_cell_init (NavetteValueCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
navette_value_cell_new (const NavetteWireColumn *column,
                        gboolean                 wide)
{
  NavetteValueCell *self;

  g_return_val_if_fail (column != NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_VALUE_CELL, NULL);
  self->column = column;
  if (column->type == NAVETTE_COLUMN_BOOLEAN)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->label), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->check), TRUE);
      return GTK_WIDGET (self);
    }
  gtk_label_set_width_chars (self->label, wide ? 14 : 4);
  if (column->type == NAVETTE_COLUMN_INTEGER || column->type == NAVETTE_COLUMN_REAL)
    {
      gtk_label_set_xalign (self->label, 1);
      gtk_widget_add_css_class (GTK_WIDGET (self->label), "numeric");
    }
  return GTK_WIDGET (self);
}
