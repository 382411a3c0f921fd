/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-format.h"
#include "navette-gtk-compat.h"
#include "navette-history-row.h"
#include "navette-record-field.h"
#include "navette-record-pane.h"
#include "navette-a11y.h"

typedef NavetteRecordField Field;

struct _NavetteRecordPane
{
  GtkWidget          parent_instance;

  GtkWidget         *box;
  GtkLabel          *title_label;
  AdwViewStack      *view_stack;
  AdwPreferencesGroup *fields_group;
  GtkLabel          *error_label;
  GtkLabel          *meta_label;
  GtkStack          *history_stack;
  GtkSpinner        *history_spinner;
  GtkListBox        *history_list;
  AdwStatusPage     *history_error;
  GtkWidget         *archive_button;
  GtkWidget         *save_button;
  GtkWidget         *cancel_button;
  GtkWidget         *close_button;
  GtkWidget         *wide_button;
  GtkRevealer       *conflict_revealer;
  GtkLabel          *conflict_label;

  NavetteStore      *store;
  NavetteTable      *table;
  NavetteRecord     *record;
  GPtrArray         *fields;   /* Field* */
  GListModel        *versions;
  GCancellable      *history_cancellable;
  gint64             base_version; /* the version the user saw */
  gint64             replaced_version; /* marked in the history (Review) */
  gint64             mine_version;
  gboolean           editable;
  gboolean           valid;
};

G_DEFINE_FINAL_TYPE (NavetteRecordPane, navette_record_pane, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_EDITABLE,
  PROP_VALID,
  PROP_RECORD,
  PROP_MODIFIED,
  PROP_WIDE,
  N_PROPS
};

enum {
  HISTORY_LOADED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_valid (NavetteRecordPane *self)
{
  gboolean valid = TRUE;

  for (guint i = 0; i < self->fields->len; i++)
    valid &= !((Field *) g_ptr_array_index (self->fields, i))->problem;

  if (valid != self->valid)
    {
      self->valid = valid;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
    }
}

/* The hints shown before saving: required, and the length of text. */
static void
field_state_cb (NavetteRecordField *field,
                  gboolean            edited,
                  gpointer            user_data)
{
  NavetteRecordPane *self = user_data;

  if (edited)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
  update_valid (self);
}

static void
clear_fields (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      navette_record_field_disconnect (field);
      adw_preferences_group_remove (self->fields_group, field->row);
    }
  g_ptr_array_set_size (self->fields, 0);
}

static void
update_sensitivity (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    navette_record_field_set_editable (g_ptr_array_index (self->fields, i), self->editable);
  gtk_widget_set_visible (self->save_button, self->editable);
  gtk_widget_set_visible (self->archive_button, self->editable && self->record != NULL);
  /* An archived record (the Archive view): Restore instead. */
  if (self->record != NULL && navette_record_get_archived (self->record))
    {
      gtk_button_set_label (GTK_BUTTON (self->archive_button), _("_Restore"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->archive_button), NULL);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->archive_button), "s",
                                        navette_record_get_id (self->record));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->archive_button), "window.restore-record");
      gtk_widget_remove_css_class (self->archive_button, "destructive-action");
    }
  else
    {
      gtk_button_set_label (GTK_BUTTON (self->archive_button), _("_Archive"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->archive_button), NULL);
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->archive_button), NULL);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->archive_button), "window.archive");
      gtk_widget_add_css_class (self->archive_button, "destructive-action");
    }
  navette_a11y_fix_mnemonics (self->archive_button);
  gtk_button_set_label (GTK_BUTTON (self->cancel_button),
                        self->editable ? _("_Cancel") : _("_Close"));
}

static void
update_meta (NavetteRecordPane *self)
{
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;
  g_autofree char *version = NULL;

  if (self->record == NULL || navette_record_get_version (self->record) == 0)
    {
      gtk_label_set_label (self->meta_label, "");
      return;
    }
  when = navette_format_relative_time (navette_record_get_updated_at (self->record),
                                       g_get_real_time ());
  /* Translators: "Version 3, changed by alice 5 minutes ago" */
  version = g_strdup_printf ("%" G_GINT64_FORMAT, navette_record_get_version (self->record));
  text = g_strdup_printf (_("Version %s, changed by %s %s"),
                          version,
                          navette_record_get_updated_by (self->record),
                          when);
  gtk_label_set_label (self->meta_label, text);
}

/* The record's name as the list's toasts, dialogs and history say it
 * (navette_format_record_title()), kept as the record changes. */
static void
update_title (NavetteRecordPane *self)
{
  g_autofree char *title = NULL;

  if (self->record != NULL)
    title = navette_format_record_title (self->table, self->record);
  else
    /* Translators: the title of the pane of a record being created */
    title = g_strdup (_("New Record"));
  gtk_label_set_label (self->title_label, title);
}

static void
record_notify_cb (NavetteRecordPane *self)
{
  update_meta (self);
}

/* ---- Following the live record ---- */

static Field *
find_field (NavetteRecordPane *self,
            const char        *column)
{
  for (guint i = 0; self->fields != NULL && i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (field->column->name, column) == 0)
        return field;
    }
  return NULL;
}

static const char *
column_title (const NavetteWireColumn *column)
{
  return column->title != NULL && column->title[0] != '\0' ? column->title : column->name;
}

static void
update_conflict_banner (NavetteRecordPane *self)
{
  g_autoptr(GString) titles = g_string_new (NULL);
  Field *first = NULL;
  guint n = 0;

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (!field->conflict)
        continue;
      if (first == NULL)
        first = field;
      if (n++ > 0)
        g_string_append (titles, ", ");
      g_string_append (titles, column_title (field->column));
    }

  if (first != NULL && self->record != NULL)
    {
      const char *who = navette_record_get_updated_by (self->record);
      g_autofree char *text = NULL;

      if (n == 1)
        {
          g_autofree char *value = navette_format_value (navette_record_get_value (self->record, first->column->name));

          /* Translators: a banner over the record being edited: "alice
           * changed Price to 88.00 while you were editing" */
          text = g_strdup_printf (_("%s changed %s to %s while you were editing"),
                                  who != NULL ? who : _("Someone"), column_title (first->column), value);
        }
      else
        /* Translators: "alice changed Price, Stock while you were editing" */
        text = g_strdup_printf (_("%s changed %s while you were editing"),
                                who != NULL ? who : _("Someone"), titles->str);
      gtk_label_set_label (self->conflict_label, text);
    }
  gtk_revealer_set_reveal_child (self->conflict_revealer, first != NULL);
}

static gboolean
has_conflicts (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    if (((Field *) g_ptr_array_index (self->fields, i))->conflict)
      return TRUE;
  return FALSE;
}

/* Someone (a reload, push, another client) changed a column of the open
 * record: an input the user did not touch follows it in place; one they
 * changed keeps their value, and the banner asks. */
static void
record_data_changed_cb (NavetteRecord     *record,
                        const char        *column,
                        NavetteRecordPane *self)
{
  Field *field = find_field (self, column);
  JsonNode *live;
  g_autoptr(JsonNode) mine = NULL;

  /* Renamed, by someone else or by the save of this very pane. */
  update_title (self);
  if (field == NULL)
    return;
  live = navette_record_get_value (record, column);
  if (navette_format_same_value (live, field->base))
    return;

  if (!field->touched)
    {
      navette_record_field_load (field, record);
      navette_record_field_check (field);
      return;
    }

  mine = navette_record_field_get_value (field);
  if (navette_format_same_value (mine, live))
    {
      /* Both made the same change: nothing to ask. */
      g_clear_pointer (&field->base, json_node_unref);
      field->base = json_node_copy (mine);
      field->conflict = FALSE;
    }
  else
    field->conflict = TRUE;
  update_conflict_banner (self);
}

static void
record_version_cb (NavetteRecordPane *self)
{
  /* Everything the user sees now comes from this version, unless a
   * conflict is still open (saving then replaces the other's change,
   * and says so). */
  if (self->record != NULL && !has_conflicts (self))
    self->base_version = navette_record_get_version (self->record);
}

static void
keep_mine_cb (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (!field->conflict)
        continue;
      /* Seen, and overruled: the new base is theirs, the value mine. */
      g_clear_pointer (&field->base, json_node_unref);
      field->base = json_node_copy (navette_record_get_value (self->record, field->column->name));
      if (field->base == NULL)
        field->base = json_node_init_null (json_node_alloc ());
      field->conflict = FALSE;
    }
  self->base_version = navette_record_get_version (self->record);
  update_conflict_banner (self);
}

static void
take_theirs_cb (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (!field->conflict)
        continue;
      navette_record_field_load (field, self->record);
      navette_record_field_check (field);
    }
  self->base_version = navette_record_get_version (self->record);
  update_conflict_banner (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

static void
load_fields (NavetteRecordPane *self)
{
  const NavetteWireTable *schema;

  clear_fields (self);
  if (self->table == NULL)
    return;

  schema = navette_table_get_schema (self->table);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      Field *field = navette_record_field_new (column, i, field_state_cb, self);

      g_ptr_array_add (self->fields, field);
      adw_preferences_group_add (self->fields_group, field->row);
      navette_record_field_load (field, self->record);
      navette_record_field_check (field);
    }
  update_valid (self);
}

/* The table's columns changed on the server (added, retitled, archived):
 * the inputs are made again, keeping what the user typed in the columns
 * that are still there. */
static void
table_schema_changed_cb (NavetteRecordPane *self)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bases = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);
      char *text;

      if (!navette_record_field_is_modified (field))
        continue;
      text = navette_record_field_dup_text (field);
      if (text == NULL)
        continue;
      g_ptr_array_add (names, g_strdup (field->column->name));
      g_ptr_array_add (kept, text);
      g_ptr_array_add (bases, field->base != NULL ? json_node_ref (field->base) : json_node_new (JSON_NODE_NULL));
    }

  load_fields (self);
  for (guint i = 0; i < names->len; i++)
    {
      Field *field = find_field (self, g_ptr_array_index (names, i));

      if (field == NULL)
        continue;
      navette_record_pane_set_text (self, field->column->name, g_ptr_array_index (kept, i));
      g_clear_pointer (&field->base, json_node_unref);
      field->base = json_node_ref (g_ptr_array_index (bases, i));
    }
  update_sensitivity (self);
  update_conflict_banner (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

/* The pane for long texts: twice as wide, over the list (the window
 * folds its flap while the pane is wide). */
#define PANE_WIDTH 360
#define WIDE_PANE_WIDTH 720

static void
wide_toggled_cb (NavetteRecordPane *self)
{
  gboolean wide = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->wide_button));

  gtk_widget_set_size_request (GTK_WIDGET (self), wide ? WIDE_PANE_WIDTH : PANE_WIDTH, -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIDE]);
}

gboolean
navette_record_pane_get_wide (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), FALSE);
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->wide_button));
}

void
navette_record_pane_set_wide (NavetteRecordPane *self,
                              gboolean           wide)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->wide_button), wide);
}

/* Stops reading the history and hearing of the record and the table
 * shown, before they are let go of. */
static void
stop_following (NavetteRecordPane *self)
{
  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  g_clear_object (&self->versions);
  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  if (self->table != NULL)
    g_signal_handlers_disconnect_by_func (self->table, table_schema_changed_cb, self);
}

static void
navette_record_pane_dispose (GObject *object)
{
  NavetteRecordPane *self = NAVETTE_RECORD_PANE (object);

  stop_following (self);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_clear_object (&self->record);
  g_clear_object (&self->table);
  g_clear_object (&self->store);
  g_clear_object (&self->versions);

  G_OBJECT_CLASS (navette_record_pane_parent_class)->dispose (object);
}

static void
navette_record_pane_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NavetteRecordPane *self = NAVETTE_RECORD_PANE (object);

  switch (prop_id)
    {
    case PROP_EDITABLE:
      g_value_set_boolean (value, self->editable);
      break;
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;
    case PROP_RECORD:
      g_value_set_object (value, self->record);
      break;
    case PROP_MODIFIED:
      g_value_set_boolean (value, navette_record_pane_get_modified (self));
      break;
    case PROP_WIDE:
      g_value_set_boolean (value, navette_record_pane_get_wide (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_record_pane_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  NavetteRecordPane *self = NAVETTE_RECORD_PANE (object);

  switch (prop_id)
    {
    case PROP_EDITABLE:
      navette_record_pane_set_editable (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
view_stack_notify_cb (NavetteRecordPane *self)
{
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "history") == 0 &&
      self->versions == NULL)
    navette_record_pane_show_history (self);
}

static void
navette_record_pane_class_init (NavetteRecordPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_record_pane_dispose;
  object_class->get_property = navette_record_pane_get_property;
  object_class->set_property = navette_record_pane_set_property;

  properties[PROP_EDITABLE] =
    g_param_spec_boolean ("editable", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECORD] =
    g_param_spec_object ("record", NULL, NULL, NAVETTE_TYPE_RECORD,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WIDE] =
    g_param_spec_boolean ("wide", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HISTORY_LOADED] =
    g_signal_new ("history-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-record-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, box);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, close_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, wide_button);
  gtk_widget_class_bind_template_callback (widget_class, wide_toggled_cb);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, title_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, view_stack);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, fields_group);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, error_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, meta_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, history_stack);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, history_spinner);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, history_list);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, history_error);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, archive_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, save_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, conflict_revealer);
  gtk_widget_class_bind_template_child (widget_class, NavetteRecordPane, conflict_label);
  gtk_widget_class_bind_template_callback (widget_class, keep_mine_cb);
  gtk_widget_class_bind_template_callback (widget_class, take_theirs_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
navette_record_pane_init (NavetteRecordPane *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_record_field_free);
  self->valid = TRUE;
  g_signal_connect_swapped (self->view_stack, "notify::visible-child-name",
                            G_CALLBACK (view_stack_notify_cb), self);
  navette_a11y_name (self->close_button, _("Close"));
  navette_a11y_name (self->wide_button, _("Wide View"));
  navette_a11y_fix_mnemonics (GTK_WIDGET (self));
}

void
navette_record_pane_focus_first (NavetteRecordPane *self)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  adw_view_stack_set_visible_child_name (self->view_stack, "details");
  if (self->fields->len > 0)
    gtk_widget_grab_focus (((Field *) g_ptr_array_index (self->fields, 0))->input);
}

GtkWidget *
navette_record_pane_new (void)
{
  return g_object_new (NAVETTE_TYPE_RECORD_PANE, NULL);
}

void
navette_record_pane_set_record (NavetteRecordPane *self,
                                NavetteStore      *store,
                                NavetteTable      *table,
                                NavetteRecord     *record)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));
  g_return_if_fail (NAVETTE_IS_TABLE (table));
  g_return_if_fail (record == NULL || NAVETTE_IS_RECORD (record));

  stop_following (self);

  g_set_object (&self->store, store);
  g_set_object (&self->table, table);
  g_signal_connect_swapped (table, "schema-changed", G_CALLBACK (table_schema_changed_cb), self);
  g_set_object (&self->record, record);
  if (record != NULL)
    {
      g_signal_connect_swapped (record, "notify", G_CALLBACK (record_notify_cb), self);
      g_signal_connect (record, "data-changed", G_CALLBACK (record_data_changed_cb), self);
      g_signal_connect_swapped (record, "notify::version", G_CALLBACK (record_version_cb), self);
    }
  self->base_version = record != NULL ? navette_record_get_version (record) : 0;
  self->replaced_version = self->mine_version = 0;

  update_title (self);

  load_fields (self);
  update_conflict_banner (self);
  update_sensitivity (self);
  navette_record_pane_show_errors (self, NULL, NULL);
  if (record != NULL && navette_record_get_sync_state (record) == NAVETTE_SYNC_STATE_FAILED)
    {
      const GError *error = navette_record_get_error (record);

      if (error != NULL)
        navette_record_pane_show_errors (self, navette_sync_error_get_fields (error), error->message);
    }
  update_meta (self);
  navette_list_box_remove_all (self->history_list);
  adw_view_stack_page_set_visible (adw_view_stack_get_page (self->view_stack, GTK_WIDGET (self->history_stack)),
                                   record != NULL);
  adw_view_stack_set_visible_child_name (self->view_stack, "details");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
}

void
navette_record_pane_clear (NavetteRecordPane *self)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  stop_following (self);
  clear_fields (self);
  g_clear_object (&self->record);
  g_clear_object (&self->table);
  g_clear_object (&self->store);
  self->base_version = 0;
  navette_list_box_remove_all (self->history_list);
  gtk_revealer_set_reveal_child (self->conflict_revealer, FALSE);
  update_valid (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

NavetteRecord *
navette_record_pane_get_record (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return self->record;
}

NavetteTable *
navette_record_pane_get_table (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return self->table;
}

NavetteStore *
navette_record_pane_get_store (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return self->store;
}

gboolean
navette_record_pane_get_editable (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), FALSE);
  return self->editable;
}

void
navette_record_pane_set_editable (NavetteRecordPane *self,
                                  gboolean           editable)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  editable = !!editable;
  if (editable == self->editable)
    return;
  self->editable = editable;
  update_sensitivity (self);
  /* The Restore buttons depend on the role too. */
  if (self->versions != NULL)
    navette_record_pane_show_history (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITABLE]);
}

gboolean
navette_record_pane_get_valid (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), FALSE);
  return self->valid;
}

void
navette_record_pane_commit (NavetteRecordPane *self)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  /* What is on screen is the value (a number being typed). */
  for (guint i = 0; i < self->fields->len; i++)
    navette_record_field_commit (g_ptr_array_index (self->fields, i));
}

JsonObject *
navette_record_pane_collect (NavetteRecordPane *self)
{
  JsonObject *data;

  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);

  navette_record_pane_commit (self);
  data = json_object_new ();
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);
      JsonNode *value;

      if (self->record != NULL && !navette_record_field_is_modified (field))
        continue;   /* not touched: whatever it holds on the server stays */
      value = navette_record_field_get_value (field);
      if (self->record == NULL && JSON_NODE_HOLDS_NULL (value))
        json_node_unref (value);
      else
        json_object_set_member (data, field->column->name, value);
    }
  return data;
}

gint64
navette_record_pane_get_base_version (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), 0);
  return self->base_version;
}

gboolean
navette_record_pane_get_modified (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), FALSE);

  if (self->table == NULL || !self->editable)
    return FALSE;
  navette_record_pane_commit (self);
  for (guint i = 0; i < self->fields->len; i++)
    if (navette_record_field_is_modified (g_ptr_array_index (self->fields, i)))
      return TRUE;
  return FALSE;
}

gboolean
navette_record_pane_get_conflict (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), FALSE);
  return self->fields != NULL && has_conflicts (self);
}

void
navette_record_pane_show_errors (NavetteRecordPane *self,
                                 GHashTable        *fields,
                                 const char        *message)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);
      const char *problem = fields != NULL ? g_hash_table_lookup (fields, field->column->name) : NULL;

      g_free (field->server_error);
      field->server_error = g_strdup (problem);
      navette_record_field_check (field);
    }
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

void
navette_record_pane_set_text (NavetteRecordPane *self,
                              const char        *column,
                              const char        *text)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (field->column->name, column) != 0)
        continue;
      navette_record_field_set_text (field, text);
      return;
    }
  g_critical ("No column %s in the pane", column);
}

/* ---- History ---- */

static void
history_restore_cb (NavetteHistoryRow *row,
                    NavetteRecordPane *self)
{
  g_autoptr(NavetteChange) change =
    navette_record_pane_restore (self, navette_record_get_version (navette_history_row_get_version (row)));

  (void) change;
}

static void
fill_history (NavetteRecordPane *self)
{
  guint n = g_list_model_get_n_items (self->versions);

  navette_list_box_remove_all (self->history_list);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) version = g_list_model_get_item (self->versions, i);
      g_autoptr(NavetteRecord) older = i + 1 < n ? g_list_model_get_item (self->versions, i + 1) : NULL;
      gint64 number = navette_record_get_version (version);
      const char *note = NULL;
      GtkWidget *row;

      if (number == self->mine_version)
        note = _("Your change, which replaced the one below");
      else if (number == self->replaced_version)
        note = _("Replaced by your change: you had not seen it");
      row = navette_history_row_new (self->table, version, older, i == 0, self->editable, note);
      g_signal_connect_object (row, "restore", G_CALLBACK (history_restore_cb), self, 0);
      gtk_list_box_append (self->history_list, row);
    }
  gtk_stack_set_visible_child_name (self->history_stack, "list");
}

static void
list_versions_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NavetteRecordPane) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) versions = NULL;

  versions = navette_store_list_versions_finish (NAVETTE_STORE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->box == NULL /* disposed */)
    return;

  gtk_spinner_set_spinning (self->history_spinner, FALSE);
  if (versions == NULL)
    {
      adw_status_page_set_description (self->history_error, error->message);
      gtk_stack_set_visible_child_name (self->history_stack, "error");
      return;
    }
  g_set_object (&self->versions, versions);
  fill_history (self);
  g_signal_emit (self, signals[HISTORY_LOADED], 0);
}

void
navette_record_pane_show_history (NavetteRecordPane *self)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  if (self->record == NULL)
    return;

  adw_view_stack_set_visible_child_name (self->view_stack, "history");
  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  self->history_cancellable = g_cancellable_new ();
  if (self->versions == NULL)
    {
      gtk_spinner_set_spinning (self->history_spinner, TRUE);
      gtk_stack_set_visible_child_name (self->history_stack, "loading");
    }
  navette_store_list_versions_async (self->store, self->table,
                                     navette_record_get_id (self->record),
                                     self->history_cancellable,
                                     list_versions_cb, g_object_ref (self));
}

void
navette_record_pane_show_history_of (NavetteRecordPane *self,
                                     gint64             replaced,
                                     gint64             mine)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  self->replaced_version = replaced;
  self->mine_version = mine;
  g_clear_object (&self->versions);
  navette_record_pane_show_history (self);
}

GListModel *
navette_record_pane_get_versions (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return self->versions;
}

static void
restore_finished_cb (NavetteChange     *change,
                     NavetteRecordPane *self)
{
  g_signal_handlers_disconnect_by_func (change, restore_finished_cb, self);
  if (self->box != NULL &&
      navette_change_get_state (change) == NAVETTE_CHANGE_STATE_SUCCEEDED &&
      self->record != NULL &&
      g_strcmp0 (navette_change_get_record_id (change), navette_record_get_id (self->record)) == 0)
    navette_record_pane_show_history (self);
  g_object_unref (self);
}

NavetteChange *
navette_record_pane_restore (NavetteRecordPane *self,
                             gint64             version)
{
  NavetteChange *change;
  JsonObject *data = NULL;

  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  g_return_val_if_fail (self->editable, NULL);
  g_return_val_if_fail (self->record != NULL, NULL);

  for (guint i = 0; self->versions != NULL && i < g_list_model_get_n_items (self->versions); i++)
    {
      g_autoptr(NavetteRecord) item = g_list_model_get_item (self->versions, i);

      if (navette_record_get_version (item) == version)
        data = navette_record_get_data (item);
    }

  change = navette_store_revert (self->store, self->table,
                                 navette_record_get_id (self->record),
                                 version, data);
  if (change != NULL && !navette_change_is_finished (change))
    g_signal_connect (change, "finished", G_CALLBACK (restore_finished_cb), g_object_ref (self));
  else if (change != NULL)
    navette_record_pane_show_history (self);
  return change;
}

GtkWidget *
navette_record_pane_get_save_button (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return self->save_button;
}

const char *
navette_record_pane_get_title (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return gtk_label_get_label (self->title_label);
}

GtkWidget *
navette_record_pane_get_archive_button (NavetteRecordPane *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);
  return self->archive_button;
}

GtkWidget *
navette_record_pane_get_row (NavetteRecordPane *self,
                             const char        *column)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD_PANE (self), NULL);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (field->column->name, column) == 0)
        return field->row;
    }
  return NULL;
}
