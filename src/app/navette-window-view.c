/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteWindow's table view: the cells of its column view, the filter of
 * the in-memory path, and the view through the replica (header sort and
 * search driving the lazy model). The rest of the window is in
 * navette-window.c. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "navette-archived-cell.h"
#include "navette-record-cell.h"
#include "navette-record-sorter.h"
#include "navette-state-cell.h"
#include "navette-value-cell.h"
#include "navette-window-private.h"
#include "navette-format.h"

/* ---- Cells ---- */

void
_navette_window_value_cell_setup_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  gboolean wide = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "first-text"));

  gtk_list_item_set_child (item, navette_value_cell_new (user_data, wide));
}

void
_navette_window_archived_cell_setup_cb (GtkSignalListItemFactory *factory,
                        GtkListItem              *item,
                        gpointer                  user_data)
{
  gtk_list_item_set_child (item, navette_archived_cell_new (GPOINTER_TO_INT (user_data)));
}

void
_navette_window_state_cell_setup_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  gtk_list_item_set_child (item, navette_state_cell_new ());
}

/* Both kinds of cell show the record of their row. */
static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  navette_record_cell_set_record (NAVETTE_RECORD_CELL (gtk_list_item_get_child (item)),
                                  gtk_list_item_get_item (item));
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  navette_record_cell_set_record (NAVETTE_RECORD_CELL (gtk_list_item_get_child (item)), NULL);
}

GtkListItemFactory *
_navette_window_cell_factory_new (GCallback setup,
                  gpointer  user_data)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", setup, user_data);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), NULL);
  return factory;
}

/* ---- Filtering ---- */

gboolean
_navette_window_filter_record (gpointer item,
               gpointer user_data)
{
  NavetteWindow *self = user_data;
  NavetteRecord *record = item;
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  const NavetteWireTable *schema;
  g_autofree char *needle = NULL;

  /* The Archive view lists the archived records only; the others, the
   * rest. */
  if (navette_record_get_archived (record) != self->show_archived)
    return FALSE;
  if (search == NULL || search[0] == '\0' || self->table == NULL)
    return TRUE;

  needle = g_utf8_casefold (search, -1);
  schema = navette_table_get_schema (self->table);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      g_autofree char *text = navette_record_dup_display (record, column->name);
      g_autofree char *folded = NULL;

      if (text == NULL || column->type == NAVETTE_COLUMN_BOOLEAN)
        continue;
      folded = g_utf8_casefold (text, -1);
      if (strstr (folded, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* ---- The view through the replica ---- */

GListModel *
_navette_window_view_model (NavetteWindow *self)
{
  if (self->feed != NULL)
    return G_LIST_MODEL (navette_replica_feed_get_model (self->feed));
  return G_LIST_MODEL (self->sort_model);
}

/* The column and direction the header shows. GTK 4.8 has no
 * gtk_column_view_sorter_get_primary_sort_column() (4.10): the view's
 * sorter is asked to compare two probes, which the first column sorter
 * it asks names (see navette_record_sorter_probe()). */
void
_navette_window_apply_view (NavetteWindow *self)
{
  NavetteReplicaView view = { 0 };
  const NavetteReplicaView *current;
  g_autofree char *column = NULL;
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (self->feed == NULL)
    return;
  column = navette_record_sorter_probe (gtk_column_view_get_sorter (self->column_view),
                                        &view.descending);
  /* No column clicked: the order rows entered the replica (the quickest
   * to read; no arrow in the header). */
  view.sort_column = column != NULL ? column : "key";
  view.search = search;
  view.archived = self->show_archived ? NAVETTE_REPLICA_ARCHIVED_ONLY : NAVETTE_REPLICA_ARCHIVED_HIDE;
  /* The same view again (the table shown anew, columns rebuilt): its keys
   * are not read again (a second at a million rows). */
  current = navette_replica_model_get_view (navette_replica_feed_get_model (self->feed));
  if (current != NULL && g_strcmp0 (current->sort_column != NULL ? current->sort_column : "id", view.sort_column) == 0 &&
      current->descending == view.descending && current->archived == view.archived &&
      g_strcmp0 (current->search != NULL ? current->search : "", search != NULL ? search : "") == 0)
    return;
  navette_replica_model_set_view (navette_replica_feed_get_model (self->feed), &view);
}

void
_navette_window_view_sorter_changed_cb (NavetteWindow *self)
{
  _navette_window_apply_view (self);
}

/* The entry's search-changed comes 150 ms after the last key (the
 * entry's own delay): the replica is asked once per pause. */
void
_navette_window_search_changed_cb (NavetteWindow *self)
{
  if (self->feed != NULL)
    _navette_window_apply_view (self);
  else
    gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  _navette_window_update_page (self);
}
