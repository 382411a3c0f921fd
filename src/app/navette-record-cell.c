/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include "navette-record-cell.h"

typedef struct
{
  NavetteRecord *record;
  guint          highlight_id;   /* removes the highlight */
} NavetteRecordCellPrivate;

#define HIGHLIGHT_KEY "navette-highlight-until"


G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NavetteRecordCell, navette_record_cell, GTK_TYPE_WIDGET)

static void update (NavetteRecordCell *self);

static gboolean
highlight_over_cb (gpointer user_data)
{
  NavetteRecordCell *self = user_data;
  NavetteRecordCellPrivate *priv = navette_record_cell_get_instance_private (self);

  priv->highlight_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* Rows changed by someone else stand out for a moment. */
static void
update_highlight (NavetteRecordCell *self)
{
  NavetteRecordCellPrivate *priv = navette_record_cell_get_instance_private (self);
  gint64 *until = priv->record != NULL ? g_object_get_data (G_OBJECT (priv->record), HIGHLIGHT_KEY) : NULL;
  gint64 now = g_get_monotonic_time ();

  g_clear_handle_id (&priv->highlight_id, g_source_remove);
  if (until != NULL && *until > now)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "changed-by-other");
      priv->highlight_id = g_timeout_add ((guint) ((*until - now) / 1000) + 1, highlight_over_cb, self);
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "changed-by-other");
}

static void
update (NavetteRecordCell *self)
{
  NavetteRecordCellPrivate *priv = navette_record_cell_get_instance_private (self);

  if (priv->record != NULL)
    NAVETTE_RECORD_CELL_GET_CLASS (self)->update (self, priv->record);
  update_highlight (self);
}

gboolean
navette_record_cell_get_highlighted (NavetteRecordCell *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_CELL (self), FALSE);
  return gtk_widget_has_css_class (GTK_WIDGET (self), "changed-by-other");
}

void
navette_record_cell_highlight (NavetteRecord *record,
                               guint          msec)
{
  gint64 *until;

  g_return_if_fail (NAVETTE_IS_RECORD (record));

  until = g_new (gint64, 1);
  *until = g_get_monotonic_time () + (gint64) msec * 1000;
  g_object_set_data_full (G_OBJECT (record), HIGHLIGHT_KEY, until, g_free);
  /* The cells bound to it look again. */
  g_object_notify (G_OBJECT (record), "data");
}

NavetteRecord *
navette_record_cell_get_record (NavetteRecordCell *self)
{
  NavetteRecordCellPrivate *priv = navette_record_cell_get_instance_private (self);

  g_return_val_if_fail (NAVETTE_IS_RECORD_CELL (self), NULL);
  return priv->record;
}

void
navette_record_cell_set_record (NavetteRecordCell *self,
                                NavetteRecord     *record)
{
  NavetteRecordCellPrivate *priv = navette_record_cell_get_instance_private (self);
  const char * const *watched;

  g_return_if_fail (NAVETTE_IS_RECORD_CELL (self));
  g_return_if_fail (record == NULL || NAVETTE_IS_RECORD (record));

  if (priv->record == record)
    return;
  if (priv->record != NULL)
    g_signal_handlers_disconnect_by_data (priv->record, self);
  g_set_object (&priv->record, record);
  watched = NAVETTE_RECORD_CELL_GET_CLASS (self)->watched;
  for (guint i = 0; record != NULL && watched != NULL && watched[i] != NULL; i++)
    {
      g_autofree char *signal = g_strconcat ("notify::", watched[i], NULL);

      g_signal_connect_object (record, signal, G_CALLBACK (update), self, G_CONNECT_SWAPPED);
    }
  update (self);
}

static void
navette_record_cell_dispose (GObject *object)
{
  NavetteRecordCellPrivate *priv = navette_record_cell_get_instance_private (NAVETTE_RECORD_CELL (object));
  GtkWidget *child;

  navette_record_cell_set_record (NAVETTE_RECORD_CELL (object), NULL);
  g_clear_handle_id (&priv->highlight_id, g_source_remove);
  /* A subclass's children, from its template or not. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (navette_record_cell_parent_class)->dispose (object);
}

static void
navette_record_cell_class_init (NavetteRecordCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_record_cell_dispose;
}

static void
navette_record_cell_init (NavetteRecordCell *self)
{
}
