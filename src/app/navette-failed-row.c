/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include "navette-failed-row.h"
#include "navette-a11y.h"
#include "navette-format.h"

struct _NavetteFailedRow
{
  GtkListBoxRow  parent_instance;

  /* Template widgets */
  GtkLabel      *title;
  GtkLabel      *description;
  GtkLabel      *reason;
  GtkWidget     *discard_button;
  GtkWidget     *retry_button;

  NavetteChange *change;
};

G_DEFINE_FINAL_TYPE (NavetteFailedRow, navette_failed_row, GTK_TYPE_LIST_BOX_ROW)


/* The error may be set after the change joined the list. */
static void
reason_update (NavetteFailedRow *self)
{
  const GError *error = navette_change_get_error (self->change);

  gtk_label_set_label (self->reason, error != NULL ? error->message : "");
}

static void
navette_failed_row_dispose (GObject *object)
{
  NavetteFailedRow *self = NAVETTE_FAILED_ROW (object);

  /* (The row's child goes with GtkListBoxRow's own dispose.) */
  g_clear_object (&self->change);

  G_OBJECT_CLASS (navette_failed_row_parent_class)->dispose (object);
}

static void
navette_failed_row_class_init (NavetteFailedRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_failed_row_dispose;


  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-failed-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteFailedRow, title);
  gtk_widget_class_bind_template_child (widget_class, NavetteFailedRow, description);
  gtk_widget_class_bind_template_child (widget_class, NavetteFailedRow, reason);
  gtk_widget_class_bind_template_child (widget_class, NavetteFailedRow, discard_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteFailedRow, retry_button);
}

static void
navette_failed_row_init (NavetteFailedRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  navette_a11y_fix_mnemonics (GTK_WIDGET (self));
}

GtkWidget *
navette_failed_row_new (NavetteChange *change)
{
  NavetteFailedRow *self;
  NavetteRecord *record;
  NavetteTable *table;
  g_autofree char *name = NULL;
  GVariant *target;

  g_return_val_if_fail (NAVETTE_IS_CHANGE (change), NULL);

  self = g_object_new (NAVETTE_TYPE_FAILED_ROW, NULL);
  self->change = g_object_ref (change);
  record = navette_change_get_record (change);
  table = navette_change_get_table (change);
  if (record != NULL && table != NULL)
    name = navette_format_record_name (table, record);

  /* The record's name when it has one, and what the change did under it;
   * otherwise what the change did. */
  gtk_label_set_label (self->title, name != NULL ? name : navette_change_get_description (change));
  gtk_label_set_label (self->description, navette_change_get_description (change));
  gtk_widget_set_visible (GTK_WIDGET (self->description), name != NULL);
  reason_update (self);
  g_signal_connect_object (change, "notify::error", G_CALLBACK (reason_update), self, G_CONNECT_SWAPPED);
  target = g_variant_new_string (navette_change_get_idempotency_key (change));
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->retry_button), target);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->discard_button), target);
  return GTK_WIDGET (self);
}

NavetteChange *
navette_failed_row_get_change (NavetteFailedRow *self)
{
  g_return_val_if_fail (NAVETTE_IS_FAILED_ROW (self), NULL);
  return self->change;
}
