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

enum {
  PROP_0,
  PROP_CHANGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The error may be set after the change joined the list. */
static void
reason_update (NavetteFailedRow *self)
{
  const GError *error = navette_change_get_error (self->change);

  gtk_label_set_label (self->reason, error != NULL ? error->message : "");
}

static void
navette_failed_row_constructed (GObject *object)
{
  NavetteFailedRow *self = NAVETTE_FAILED_ROW (object);
  NavetteRecord *record = navette_change_get_record (self->change);
  NavetteTable *table = navette_change_get_table (self->change);
  g_autofree char *name = record != NULL && table != NULL ? navette_format_record_name (table, record) : NULL;
  GVariant *target = g_variant_new_string (navette_change_get_idempotency_key (self->change));

  G_OBJECT_CLASS (navette_failed_row_parent_class)->constructed (object);

  /* The record's name when it has one, and what the change did under it;
   * otherwise what the change did. */
  gtk_label_set_label (self->title, name != NULL ? name : navette_change_get_description (self->change));
  gtk_label_set_label (self->description, navette_change_get_description (self->change));
  gtk_widget_set_visible (GTK_WIDGET (self->description), name != NULL);
  reason_update (self);
  g_signal_connect_object (self->change, "notify::error", G_CALLBACK (reason_update),
                           self, G_CONNECT_SWAPPED);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->retry_button), target);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->discard_button), target);
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
navette_failed_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NavetteFailedRow *self = NAVETTE_FAILED_ROW (object);

  switch (prop_id)
    {
    case PROP_CHANGE:
      g_value_set_object (value, self->change);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_failed_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NavetteFailedRow *self = NAVETTE_FAILED_ROW (object);

  switch (prop_id)
    {
    case PROP_CHANGE:
      self->change = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_failed_row_class_init (NavetteFailedRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = navette_failed_row_constructed;
  object_class->dispose = navette_failed_row_dispose;
  object_class->get_property = navette_failed_row_get_property;
  object_class->set_property = navette_failed_row_set_property;

  properties[PROP_CHANGE] =
    g_param_spec_object ("change", NULL, NULL, NAVETTE_TYPE_CHANGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  g_return_val_if_fail (NAVETTE_IS_CHANGE (change), NULL);

  return g_object_new (NAVETTE_TYPE_FAILED_ROW, "change", change, NULL);
}

NavetteChange *
navette_failed_row_get_change (NavetteFailedRow *self)
{
  g_return_val_if_fail (NAVETTE_IS_FAILED_ROW (self), NULL);
  return self->change;
}
