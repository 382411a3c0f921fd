/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-format.h"
#include "navette-history-row.h"
#include "navette-record-pane.h"
#include "navette-a11y.h"

typedef struct
{
  NavetteRecordPane       *pane;
  const NavetteWireColumn *column;
  GtkWidget               *row;
  GtkWidget               *input;   /* AdwEntryRow, GtkTextView, GtkSpinButton or GtkSwitch */
  GtkWidget               *hint;    /* a suffix label: "Required", "210 / 200", a server error */
  GtkWidget               *calendar;
  char                    *server_error;  /* the server's problem, until edited */
  JsonNode                *base;    /* the value the input was loaded with (what the user saw) */
  gboolean                 problem;
  gboolean                 touched; /* edited by the user since loaded */
  gboolean                 conflict; /* touched, and changed by someone else meanwhile */
  GtkWidget               *date_button; /* the calendar's, for dates */
  GtkWidget               *link_button; /* opens a url / email value */
} Field;

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
  gboolean           loading;       /* setting inputs: not the user's edits */
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

/* gtk_list_box_remove_all() is newer than GTK 4.8. */
static void
list_box_clear (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
field_free (gpointer data)
{
  Field *field = data;

  g_free (field->server_error);
  g_clear_pointer (&field->base, json_node_unref);
  g_free (field);
}

static gboolean
is_long_text (const NavetteWireColumn *column,
              guint                    index)
{
  const char *type = navette_column_type_to_string (column->type);

  /* A long_text column is edited as one; so is generous text that is
   * not the record's name (its first text column, one line). */
  if (g_strcmp0 (type, "long_text") == 0)
    return TRUE;
  return column->type == NAVETTE_COLUMN_TEXT && index > 0 &&
         (column->max_length == 0 || column->max_length > 255);
}

static char *
field_get_text (Field *field)
{
  if (GTK_IS_TEXT_VIEW (field->input))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  if (GTK_IS_EDITABLE (field->input))
    return g_strdup (gtk_editable_get_text (GTK_EDITABLE (field->input)));
  return NULL;
}

static void
field_set_hint (Field      *field,
                const char *text,
                gboolean    is_error)
{
  gtk_label_set_label (GTK_LABEL (field->hint), text != NULL ? text : "");
  gtk_widget_set_visible (field->hint, text != NULL && text[0] != '\0');
  if (is_error)
    {
      gtk_widget_remove_css_class (field->hint, "dim-label");
      gtk_widget_add_css_class (field->hint, "error");
      gtk_widget_add_css_class (field->row, "error");
    }
  else
    {
      gtk_widget_add_css_class (field->hint, "dim-label");
      gtk_widget_remove_css_class (field->hint, "error");
      gtk_widget_remove_css_class (field->row, "error");
    }
}

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
field_check (Field *field)
{
  const NavetteWireColumn *column = field->column;
  g_autofree char *text = field_get_text (field);

  field->problem = FALSE;
  if (field->server_error != NULL)
    {
      field_set_hint (field, field->server_error, TRUE);
      gtk_widget_set_tooltip_text (field->row, field->server_error);
    }
  else if (text != NULL)
    {
      glong length = g_utf8_strlen (text, -1);

      if (column->max_length > 0 && length > column->max_length)
        {
          g_autofree char *hint = NULL;

          /* Translators: the length of a text and its limit, "210 / 200" */
          hint = g_strdup_printf (_("%ld / %ld"), length, (long) column->max_length);
          field_set_hint (field, hint, TRUE);
          gtk_widget_set_tooltip_text (field->row, _("This text is too long"));
          field->problem = TRUE;
        }
      else if (column->required && length == 0)
        {
          field_set_hint (field, field->pane->editable ? _("Required") : NULL, FALSE);
          gtk_widget_set_tooltip_text (field->row, NULL);
          field->problem = TRUE;
        }
      else if (column->required)
        {
          /* An editing hint: a reader has nothing to fill in. */
          field_set_hint (field, field->pane->editable ? _("Required") : NULL, FALSE);
          gtk_widget_set_tooltip_text (field->row, NULL);
        }
      else if (column->type == NAVETTE_COLUMN_DATE && length > 0 &&
               !navette_date_is_valid (text))
        {
          field_set_hint (field, _("Not a date"), TRUE);
          field->problem = TRUE;
        }
      else
        {
          field_set_hint (field, NULL, FALSE);
          gtk_widget_set_tooltip_text (field->row, NULL);
        }
    }
  update_valid (field->pane);
}

static void
field_changed_cb (Field *field)
{
  /* The inputs are set by the pane itself while loading: only what the
   * user types counts as an edit. */
  if (!field->pane->loading)
    {
      gboolean was = field->touched;

      field->touched = TRUE;
      if (!was)
        g_object_notify_by_pspec (G_OBJECT (field->pane), properties[PROP_MODIFIED]);
    }
  /* Edited: the server's complaint is about the old value. */
  g_clear_pointer (&field->server_error, g_free);
  field_check (field);
  if (field->link_button != NULL)
    {
      g_autofree char *text = field_get_text (field);
      g_autofree char *uri = navette_format_link_uri (field->column, text);

      gtk_widget_set_sensitive (field->link_button, uri != NULL);
    }
}

static void
field_open_link_cb (Field *field)
{
  g_autofree char *text = field_get_text (field);
  g_autofree char *uri = navette_format_link_uri (field->column, text);

  if (uri != NULL)
    gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (field->row)), uri, GDK_CURRENT_TIME);
}

static void
field_active_cb (Field *field)
{
  field_changed_cb (field);
}

/* Enter in a number saves, as in the text fields: the number typed first
 * becomes the value. */
static gboolean
spin_key_pressed_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     Field                 *field)
{
  if ((keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter) ||
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
    return FALSE;
  gtk_spin_button_update (GTK_SPIN_BUTTON (field->input));
  gtk_widget_activate_action (GTK_WIDGET (field->pane), "window.save", NULL);
  return TRUE;
}

static void
entry_activated_cb (Field *field)
{
  gtk_widget_activate_action (GTK_WIDGET (field->pane), "window.save", NULL);
}

static void
day_selected_cb (GtkCalendar *calendar,
                 Field       *field)
{
  g_autoptr(GDateTime) date = gtk_calendar_get_date (calendar);
  g_autofree char *text = g_date_time_format (date, "%Y-%m-%d");
  GtkWidget *popover = gtk_widget_get_ancestor (GTK_WIDGET (calendar), GTK_TYPE_POPOVER);

  gtk_editable_set_text (GTK_EDITABLE (field->input), text);
  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
}

static void
set_input_value (Field         *field,
                 NavetteRecord *record)
{
  const char *name = field->column->name;

  switch (field->column->type)
    {
    default:   /* long_text, url, email and types not known yet: text */
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
      {
        const char *text = record != NULL ? navette_record_get_string (record, name) : NULL;

        if (GTK_IS_TEXT_VIEW (field->input))
          gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input)),
                                    text != NULL ? text : "", -1);
        else
          gtk_editable_set_text (GTK_EDITABLE (field->input), text != NULL ? text : "");
        if (field->calendar != NULL && text != NULL && navette_date_is_valid (text))
          {
            int y, m, d;

            if (sscanf (text, "%d-%d-%d", &y, &m, &d) == 3)
              {
                g_autoptr(GDateTime) date = g_date_time_new_local (y, m, d, 0, 0, 0);

                g_signal_handlers_block_by_func (field->calendar, day_selected_cb, field);
                gtk_calendar_select_day (GTK_CALENDAR (field->calendar), date);
                g_signal_handlers_unblock_by_func (field->calendar, day_selected_cb, field);
              }
          }
      }
      break;

    case NAVETTE_COLUMN_INTEGER:
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (field->input),
                                 record != NULL ? (double) navette_record_get_int (record, name) : 0);
      break;

    case NAVETTE_COLUMN_REAL:
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (field->input),
                                 record != NULL ? navette_record_get_double (record, name) : 0);
      break;

    case NAVETTE_COLUMN_BOOLEAN:
      gtk_switch_set_active (GTK_SWITCH (field->input),
                             record != NULL && navette_record_get_boolean (record, name));
      break;

    }
}

static JsonNode *
field_get_value (Field *field)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  switch (field->column->type)
    {
    default:   /* long_text, url, email and types not known yet: text */
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
      {
        g_autofree char *text = field_get_text (field);

        if (text[0] == '\0' && (field->column->type == NAVETTE_COLUMN_DATE ||
                                !field->column->required))
          {
            json_node_init_null (node);
            break;
          }
        json_node_set_string (node, text);
      }
      break;

    case NAVETTE_COLUMN_INTEGER:
      json_node_set_int (node, gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (field->input)));
      break;

    case NAVETTE_COLUMN_REAL:
      json_node_set_double (node, gtk_spin_button_get_value (GTK_SPIN_BUTTON (field->input)));
      break;

    case NAVETTE_COLUMN_BOOLEAN:
      json_node_set_boolean (node, gtk_switch_get_active (GTK_SWITCH (field->input)));
      break;

    }
  return node;
}

/* Shows @record's value in the input, as loaded (not an edit): what the
 * user sees from now on is the base of the field. */
static void
field_load (Field         *field,
            NavetteRecord *record)
{
  gboolean was_loading = field->pane->loading;

  field->pane->loading = TRUE;
  set_input_value (field, record);
  field->pane->loading = was_loading;
  g_clear_pointer (&field->base, json_node_unref);
  field->base = field_get_value (field);
  field->touched = FALSE;
  field->conflict = FALSE;
}

static gboolean
field_is_modified (Field *field)
{
  g_autoptr(JsonNode) value = NULL;

  if (!field->touched)
    return FALSE;
  value = field_get_value (field);
  return !navette_format_same_value (value, field->base);
}

static Field *
field_new (NavetteRecordPane       *self,
           const NavetteWireColumn *column,
           guint                    index)
{
  Field *field = g_new0 (Field, 1);
  const char *title = column->title != NULL && column->title[0] != '\0' ? column->title : column->name;

  field->pane = self;
  field->column = column;
  field->hint = gtk_label_new (NULL);
  gtk_widget_set_valign (field->hint, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (field->hint, "caption");
  gtk_widget_add_css_class (field->hint, "dim-label");
  gtk_widget_set_visible (field->hint, FALSE);

  switch (column->type)
    {
    default:   /* long_text, url, email and types not known yet: text */
    case NAVETTE_COLUMN_TEXT:
      if (is_long_text (column, index))
        {
          GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
          GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
          GtkWidget *label = gtk_label_new (title);

          field->row = adw_preferences_row_new ();
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->row), title);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (field->row), FALSE);
          gtk_widget_set_margin_top (box, 8);
          gtk_widget_set_margin_bottom (box, 8);
          gtk_widget_set_margin_start (box, 12);
          gtk_widget_set_margin_end (box, 12);
          gtk_label_set_xalign (GTK_LABEL (label), 0);
          gtk_widget_set_hexpand (label, TRUE);
          gtk_widget_add_css_class (label, "caption");
          gtk_widget_add_css_class (label, "dim-label");
          gtk_box_append (GTK_BOX (header), label);
          gtk_box_append (GTK_BOX (header), field->hint);
          field->input = gtk_text_view_new ();
          gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (field->input), GTK_WRAP_WORD_CHAR);
          gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (field->input), FALSE);
          gtk_widget_add_css_class (field->input, "inline");
          /* Grows with its content (the pane scrolls), from about five
           * lines. */
          gtk_widget_set_size_request (field->input, -1, 100);
          gtk_box_append (GTK_BOX (box), header);
          gtk_box_append (GTK_BOX (box), field->input);
          gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (field->row), box);
          g_signal_connect_swapped (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input)),
                                    "changed", G_CALLBACK (field_changed_cb), field);
          gtk_accessible_update_relation (GTK_ACCESSIBLE (field->input),
                                          GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL,
                                          -1);
          break;
        }
      G_GNUC_FALLTHROUGH;

    case NAVETTE_COLUMN_DATE:
      field->row = adw_entry_row_new ();
      field->input = field->row;
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->row), title);
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (field->row), field->hint);
      g_signal_connect_swapped (field->input, "changed", G_CALLBACK (field_changed_cb), field);
      {
        const char *type = navette_column_type_to_string (column->type);
        gboolean email = g_strcmp0 (type, "email") == 0;

        /* A web or e-mail address opens from its field. */
        if (email || g_strcmp0 (type, "url") == 0)
          {
            field->link_button = gtk_button_new_from_icon_name (email ? "mail-send-symbolic"
                                                                      : "web-browser-symbolic");
            gtk_widget_set_tooltip_text (field->link_button, email ? _("Write an E-mail") : _("Open the Link"));
            navette_a11y_name (field->link_button, email ? _("Write an E-mail") : _("Open the Link"));
            gtk_widget_set_valign (field->link_button, GTK_ALIGN_CENTER);
            gtk_widget_add_css_class (field->link_button, "flat");
            gtk_widget_set_sensitive (field->link_button, FALSE);
            g_signal_connect_swapped (field->link_button, "clicked", G_CALLBACK (field_open_link_cb), field);
            adw_entry_row_add_suffix (ADW_ENTRY_ROW (field->row), field->link_button);
          }
      }
      g_signal_connect_swapped (field->input, "entry-activated", G_CALLBACK (entry_activated_cb), field);
      if (column->type == NAVETTE_COLUMN_DATE)
        {
          GtkWidget *button = gtk_menu_button_new ();
          GtkWidget *popover = gtk_popover_new ();

          field->calendar = gtk_calendar_new ();
          gtk_popover_set_child (GTK_POPOVER (popover), field->calendar);
          gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
          gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "x-office-calendar-symbolic");
          gtk_widget_set_tooltip_text (button, _("Choose a Date"));
          navette_a11y_name (button, _("Choose a Date"));
          field->date_button = button;
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (button, "flat");
          adw_entry_row_add_suffix (ADW_ENTRY_ROW (field->row), button);
          g_signal_connect (field->calendar, "day-selected", G_CALLBACK (day_selected_cb), field);
        }
      break;

    case NAVETTE_COLUMN_INTEGER:
    case NAVETTE_COLUMN_REAL:
      field->row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->row), title);
      if (column->type == NAVETTE_COLUMN_INTEGER)
        field->input = gtk_spin_button_new_with_range (-1e12, 1e12, 1);
      else
        {
          field->input = gtk_spin_button_new_with_range (-1e12, 1e12, 0.01);
          gtk_spin_button_set_digits (GTK_SPIN_BUTTON (field->input), 2);
        }
      gtk_widget_set_valign (field->input, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (field->row), field->hint);
      adw_action_row_add_suffix (ADW_ACTION_ROW (field->row), field->input);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (field->row), field->input);
      gtk_accessible_update_property (GTK_ACCESSIBLE (field->input), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
      /* Typed (not yet a value) or stepped: an edit either way. */
      g_signal_connect_swapped (field->input, "changed", G_CALLBACK (field_changed_cb), field);
      g_signal_connect_swapped (field->input, "value-changed", G_CALLBACK (field_changed_cb), field);
      {
        GtkEventController *keys = gtk_event_controller_key_new ();

        gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
        g_signal_connect (keys, "key-pressed", G_CALLBACK (spin_key_pressed_cb), field);
        gtk_widget_add_controller (field->input, keys);
      }
      break;

    case NAVETTE_COLUMN_BOOLEAN:
      field->row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->row), title);
      field->input = gtk_switch_new ();
      gtk_widget_set_valign (field->input, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (field->input), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
      g_signal_connect_swapped (field->input, "notify::active", G_CALLBACK (field_active_cb), field);
      adw_action_row_add_suffix (ADW_ACTION_ROW (field->row), field->hint);
      adw_action_row_add_suffix (ADW_ACTION_ROW (field->row), field->input);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (field->row), field->input);
      break;

    }

  gtk_widget_set_name (field->row, column->name);
  return field;
}

static void
clear_fields (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (GTK_IS_TEXT_VIEW (field->input))
        g_signal_handlers_disconnect_by_data (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input)), field);
      g_signal_handlers_disconnect_by_data (field->input, field);
      if (field->calendar != NULL)
        g_signal_handlers_disconnect_by_data (field->calendar, field);
      adw_preferences_group_remove (self->fields_group, field->row);
    }
  g_ptr_array_set_size (self->fields, 0);
}

static void
update_sensitivity (NavetteRecordPane *self)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      /* A reader's text stays selectable and is read as read-only, not
       * as unavailable; switches and numbers cannot be read-only in GTK:
       * insensitive, and said read-only too. */
      navette_a11y_set_read_only (field->input, !self->editable);
      if (GTK_IS_SWITCH (field->input) || GTK_IS_SPIN_BUTTON (field->input))
        gtk_widget_set_sensitive (field->row, self->editable);
      if (field->date_button != NULL)
        gtk_widget_set_visible (field->date_button, self->editable);
      field_check (field);
    }
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

  if (field == NULL)
    return;
  live = navette_record_get_value (record, column);
  if (navette_format_same_value (live, field->base))
    return;

  if (!field->touched)
    {
      field_load (field, record);
      field_check (field);
      return;
    }

  mine = field_get_value (field);
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
      field_load (field, self->record);
      field_check (field);
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
      Field *field = field_new (self, column, i);

      g_ptr_array_add (self->fields, field);
      adw_preferences_group_add (self->fields_group, field->row);
      field_load (field, self->record);
      field_check (field);
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

      if (!field_is_modified (field))
        continue;
      if (GTK_IS_SPIN_BUTTON (field->input))
        text = g_strdup_printf ("%.17g", gtk_spin_button_get_value (GTK_SPIN_BUTTON (field->input)));
      else if (GTK_IS_SWITCH (field->input))
        text = g_strdup (gtk_switch_get_active (GTK_SWITCH (field->input)) ? "true" : "false");
      else
        text = field_get_text (field);
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

static void
navette_record_pane_dispose (GObject *object)
{
  NavetteRecordPane *self = NAVETTE_RECORD_PANE (object);

  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  if (self->table != NULL)
    g_signal_handlers_disconnect_by_func (self->table, table_schema_changed_cb, self);
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
  self->fields = g_ptr_array_new_with_free_func (field_free);
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
  g_autofree char *title = NULL;

  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));
  g_return_if_fail (NAVETTE_IS_TABLE (table));
  g_return_if_fail (record == NULL || NAVETTE_IS_RECORD (record));

  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  g_clear_object (&self->versions);
  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  if (self->table != NULL)
    g_signal_handlers_disconnect_by_func (self->table, table_schema_changed_cb, self);

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

  if (record != NULL)
    {
      const NavetteWireTable *schema = navette_table_get_schema (table);
      const char *first = NULL;

      for (guint i = 0; i < schema->columns->len && first == NULL; i++)
        {
          const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);

          if (column->type == NAVETTE_COLUMN_TEXT)
            first = navette_record_get_string (record, column->name);
        }
      title = g_strdup (first != NULL && first[0] != '\0' ? first : _("Untitled"));
    }
  else
    /* Translators: the title of the pane of a record being created */
    title = g_strdup (_("New Record"));
  gtk_label_set_label (self->title_label, title);

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
  list_box_clear (self->history_list);
  adw_view_stack_page_set_visible (adw_view_stack_get_page (self->view_stack, GTK_WIDGET (self->history_stack)),
                                   record != NULL);
  adw_view_stack_set_visible_child_name (self->view_stack, "details");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
}

void
navette_record_pane_clear (NavetteRecordPane *self)
{
  g_return_if_fail (NAVETTE_IS_RECORD_PANE (self));

  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  g_clear_object (&self->versions);
  if (self->record != NULL)
    g_signal_handlers_disconnect_by_data (self->record, self);
  if (self->table != NULL)
    g_signal_handlers_disconnect_by_func (self->table, table_schema_changed_cb, self);
  clear_fields (self);
  g_clear_object (&self->record);
  g_clear_object (&self->table);
  g_clear_object (&self->store);
  self->base_version = 0;
  list_box_clear (self->history_list);
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

  /* A spin button parses its text into its value only on Enter or when
   * it loses the focus: saving with the focus in it must take what is on
   * screen, not the value of before. (Entries, text views and dates hold
   * their text as typed.) */
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (GTK_IS_SPIN_BUTTON (field->input))
        gtk_spin_button_update (GTK_SPIN_BUTTON (field->input));
    }
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

      if (self->record != NULL && !field_is_modified (field))
        continue;   /* not touched: whatever it holds on the server stays */
      value = field_get_value (field);
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
    if (field_is_modified (g_ptr_array_index (self->fields, i)))
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
      field_check (field);
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
      if (GTK_IS_TEXT_VIEW (field->input))
        gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input)), text, -1);
      else if (GTK_IS_SPIN_BUTTON (field->input))
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (field->input), g_ascii_strtod (text, NULL));
      else if (GTK_IS_SWITCH (field->input))
        gtk_switch_set_active (GTK_SWITCH (field->input), g_strcmp0 (text, "true") == 0);
      else
        gtk_editable_set_text (GTK_EDITABLE (field->input), text);
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

  list_box_clear (self->history_list);
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
