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

  /* One of them, made in code (a template per cell cost the first
   * screen of a table: dozens of cells built at once). */
  GtkLabel                *label;   /* text and numbers */
  GtkImage                *check;   /* booleans: a check mark when true */

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

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
navette_value_cell_init (NavetteValueCell *self)
{
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
      self->check = GTK_IMAGE (gtk_image_new ());
      gtk_widget_set_parent (GTK_WIDGET (self->check), GTK_WIDGET (self));
      return GTK_WIDGET (self);
    }
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_ellipsize (self->label, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->label, 0);
  gtk_widget_set_parent (GTK_WIDGET (self->label), GTK_WIDGET (self));
  gtk_label_set_width_chars (self->label, wide ? 14 : 4);
  if (column->type == NAVETTE_COLUMN_INTEGER || column->type == NAVETTE_COLUMN_REAL)
    {
      gtk_label_set_xalign (self->label, 1);
      gtk_widget_add_css_class (GTK_WIDGET (self->label), "numeric");
    }
  return GTK_WIDGET (self);
}
