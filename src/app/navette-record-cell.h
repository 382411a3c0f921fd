/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteRecordCell — the base of the cells of the table's column view:
 * a widget that shows something of one record (set when the row is
 * bound: navette_record_cell_set_record()) and follows it. A subclass
 * says which properties of the record it shows ("watched",
 * NULL-terminated) and how (update); its children (a template's too) are
 * unparented by the base's dispose. */
#pragma once

#include <gtk/gtk.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_RECORD_CELL (navette_record_cell_get_type ())
G_DECLARE_DERIVABLE_TYPE (NavetteRecordCell, navette_record_cell, NAVETTE, RECORD_CELL, GtkWidget)

struct _NavetteRecordCellClass
{
  GtkWidgetClass parent_class;

  /* The record's properties whose change is shown ("data", "sync-state"…). */
  const char * const *watched;
  /* Shows @record (never NULL). */
  void (*update) (NavetteRecordCell *self,
                  NavetteRecord     *record);
};

/* The record shown (NULL: none). */
NavetteRecord *navette_record_cell_get_record (NavetteRecordCell *self);
void           navette_record_cell_set_record (NavetteRecordCell *self,
                                               NavetteRecord     *record);

/* Highlights every cell of @record for @msec (a change by someone else):
 * the cells get the CSS class "changed-by-other". */
void           navette_record_cell_highlight  (NavetteRecord     *record,
                                               guint              msec);
gboolean       navette_record_cell_get_highlighted (NavetteRecordCell *self);

G_END_DECLS
