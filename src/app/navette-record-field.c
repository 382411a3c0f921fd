/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "navette-a11y.h"
#include "navette-format.h"
#include "navette-record-field.h"

typedef NavetteRecordField Field;

void
navette_record_field_free (NavetteRecordField *field)
{
  g_free (field->server_error);
  g_clear_pointer (&field->base, json_node_unref);
  g_clear_object (&field->choices);
  g_free (field);
}

static gboolean
is_long_text (const NavetteWireColumn *column,
              guint                    index)
{
  /* A long_text column is edited as one; so is generous text that is
   * not the record's name (its first text column, one line). */
  if (column->type == NAVETTE_COLUMN_LONG_TEXT)
    return TRUE;
  return column->type == NAVETTE_COLUMN_TEXT && index > 0 &&
         (column->max_length == 0 || column->max_length > 255);
}

/* ---- Choices ---- */

static gboolean
choice_has_none (Field *field)
{
  return !field->column->required;
}

/* The selected choice, or NULL for none. */
static const char *
choice_get (Field *field)
{
  guint selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (field->input));

  if (selected == GTK_INVALID_LIST_POSITION || (selected == 0 && choice_has_none (field)))
    return NULL;
  return gtk_string_list_get_string (field->choices, selected);
}

/* Selects @value (NULL or "" for none); a value that is not one of the
 * column's choices (they changed on the server) gets its own entry, so
 * that it is seen and kept. */
static void
choice_set (Field      *field,
            const char *value)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (field->choices));
  guint position = GTK_INVALID_LIST_POSITION;

  if (value == NULL || value[0] == '\0')
    {
      gtk_drop_down_set_selected (GTK_DROP_DOWN (field->input),
                                  choice_has_none (field) ? 0 : GTK_INVALID_LIST_POSITION);
      return;
    }
  for (guint i = choice_has_none (field) ? 1 : 0; i < n && position == GTK_INVALID_LIST_POSITION; i++)
    if (g_strcmp0 (gtk_string_list_get_string (field->choices, i), value) == 0)
      position = i;
  if (position == GTK_INVALID_LIST_POSITION)
    {
      const char *extra[] = { value, NULL };

      /* One such entry at a time: the value shown. */
      gtk_string_list_splice (field->choices, field->n_choices, n - field->n_choices, extra);
      position = field->n_choices;
    }
  gtk_drop_down_set_selected (GTK_DROP_DOWN (field->input), position);
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
  if (GTK_IS_DROP_DOWN (field->input))
    {
      const char *choice = choice_get (field);

      return g_strdup (choice != NULL ? choice : "");
    }
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
void
navette_record_field_check (NavetteRecordField *field)
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
          field_set_hint (field, field->editable ? _("Required") : NULL, FALSE);
          gtk_widget_set_tooltip_text (field->row, NULL);
          field->problem = TRUE;
        }
      else if (column->required)
        {
          /* An editing hint: a reader has nothing to fill in. */
          field_set_hint (field, field->editable ? _("Required") : NULL, FALSE);
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
  if (field->changed != NULL)
    field->changed (field, FALSE, field->user_data);
}

static void
field_changed_cb (Field *field)
{
  /* The inputs are set by the pane itself while loading: only what the
   * user types counts as an edit. */
  gboolean edited = !field->loading && !field->touched;

  if (!field->loading)
    field->touched = TRUE;
  /* Edited: the server's complaint is about the old value. */
  g_clear_pointer (&field->server_error, g_free);
  if (field->link_button != NULL)
    {
      g_autofree char *text = field_get_text (field);
      g_autofree char *uri = navette_format_link_uri (field->column, text);

      gtk_widget_set_sensitive (field->link_button, uri != NULL);
    }
  if (edited && field->changed != NULL)
    field->changed (field, TRUE, field->user_data);
  navette_record_field_check (field);
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
  gtk_widget_activate_action (field->row, "window.save", NULL);
  return TRUE;
}

static void
entry_activated_cb (Field *field)
{
  gtk_widget_activate_action (field->row, "window.save", NULL);
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
    case NAVETTE_COLUMN_CHOICE:
      choice_set (field, record != NULL ? navette_record_get_string (record, name) : NULL);
      break;

    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    case NAVETTE_COLUMN_DATE:
    default:   /* types not known yet: text */
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

JsonNode *
navette_record_field_get_value (NavetteRecordField *field)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  switch (field->column->type)
    {
    case NAVETTE_COLUMN_CHOICE:
      {
        const char *choice = choice_get (field);

        if (choice != NULL)
          json_node_set_string (node, choice);
        else
          json_node_init_null (node);
      }
      break;

    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    case NAVETTE_COLUMN_DATE:
    default:   /* types not known yet: text */
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
void
navette_record_field_load (NavetteRecordField *field,
                           NavetteRecord      *record)
{
  gboolean was_loading = field->loading;

  field->loading = TRUE;
  set_input_value (field, record);
  field->loading = was_loading;
  g_clear_pointer (&field->base, json_node_unref);
  field->base = navette_record_field_get_value (field);
  field->touched = FALSE;
  field->conflict = FALSE;
}

gboolean
navette_record_field_is_modified (NavetteRecordField *field)
{
  g_autoptr(JsonNode) value = NULL;

  if (!field->touched)
    return FALSE;
  value = navette_record_field_get_value (field);
  return !navette_format_same_value (value, field->base);
}

NavetteRecordField *
navette_record_field_new (const NavetteWireColumn   *column,
                          guint                      index,
                          NavetteRecordFieldChanged  changed,
                          gpointer                   user_data)
{
  Field *field = g_new0 (Field, 1);
  const char *title = column->title != NULL && column->title[0] != '\0' ? column->title : column->name;

  field->column = column;
  field->changed = changed;
  field->user_data = user_data;
  field->hint = gtk_label_new (NULL);
  gtk_widget_set_valign (field->hint, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (field->hint, "caption");
  gtk_widget_add_css_class (field->hint, "dim-label");
  gtk_widget_set_visible (field->hint, FALSE);

  switch (column->type)
    {
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    default:   /* types not known yet: text */
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
        gboolean email = column->type == NAVETTE_COLUMN_EMAIL;

        /* A web or e-mail address opens from its field. */
        if (email || column->type == NAVETTE_COLUMN_URL)
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

    case NAVETTE_COLUMN_CHOICE:
      field->row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (field->row), title);
      field->choices = gtk_string_list_new (NULL);
      if (choice_has_none (field))
        /* Translators: the entry of a list of choices that is no value */
        gtk_string_list_append (field->choices, C_("choice", "None"));
      if (column->choices != NULL)
        gtk_string_list_splice (field->choices, g_list_model_get_n_items (G_LIST_MODEL (field->choices)),
                                0, (const char * const *) column->choices);
      field->n_choices = g_list_model_get_n_items (G_LIST_MODEL (field->choices));
      field->input = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (field->choices)), NULL);
      gtk_widget_set_valign (field->input, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (field->input), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
      g_signal_connect_swapped (field->input, "notify::selected", G_CALLBACK (field_active_cb), field);
      adw_action_row_add_suffix (ADW_ACTION_ROW (field->row), field->hint);
      adw_action_row_add_suffix (ADW_ACTION_ROW (field->row), field->input);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (field->row), field->input);
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

/* Before the field's row leaves the pane: no more signals to the field. */
void
navette_record_field_disconnect (NavetteRecordField *field)
{
  if (GTK_IS_TEXT_VIEW (field->input))
    g_signal_handlers_disconnect_by_data (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input)), field);
  g_signal_handlers_disconnect_by_data (field->input, field);
  if (field->calendar != NULL)
    g_signal_handlers_disconnect_by_data (field->calendar, field);
}

/* A spin button parses its text into its value only on Enter or when it
 * loses the focus: saving with the focus in it must take what is on
 * screen, not the value of before. (Entries, text views and dates hold
 * their text as typed.) */
void
navette_record_field_commit (NavetteRecordField *field)
{
  if (GTK_IS_SPIN_BUTTON (field->input))
    gtk_spin_button_update (GTK_SPIN_BUTTON (field->input));
}

void
navette_record_field_set_editable (NavetteRecordField *field,
                                   gboolean            editable)
{
  field->editable = editable;
  /* A reader's text stays selectable and is read as read-only, not as
   * unavailable; switches, numbers and choices cannot be read-only in GTK:
   * insensitive, and said read-only too. */
  navette_a11y_set_read_only (field->input, !editable);
  if (GTK_IS_SWITCH (field->input) || GTK_IS_SPIN_BUTTON (field->input) ||
      GTK_IS_DROP_DOWN (field->input))
    gtk_widget_set_sensitive (field->row, editable);
  if (field->date_button != NULL)
    gtk_widget_set_visible (field->date_button, editable);
  navette_record_field_check (field);
}

/* What the input holds, as text navette_record_field_set_text() takes
 * back ("true", "12.5", "2024-05-01", a choice or "" for none). */
char *
navette_record_field_dup_text (NavetteRecordField *field)
{
  if (GTK_IS_SPIN_BUTTON (field->input))
    return g_strdup_printf ("%.17g", gtk_spin_button_get_value (GTK_SPIN_BUTTON (field->input)));
  if (GTK_IS_SWITCH (field->input))
    return g_strdup (gtk_switch_get_active (GTK_SWITCH (field->input)) ? "true" : "false");
  return field_get_text (field);
}

/* Sets the input as the user would (an edit). */
void
navette_record_field_set_text (NavetteRecordField *field,
                               const char         *text)
{
  if (GTK_IS_TEXT_VIEW (field->input))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (field->input)), text, -1);
  else if (GTK_IS_SPIN_BUTTON (field->input))
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (field->input), g_ascii_strtod (text, NULL));
  else if (GTK_IS_SWITCH (field->input))
    gtk_switch_set_active (GTK_SWITCH (field->input), g_strcmp0 (text, "true") == 0);
  else if (GTK_IS_DROP_DOWN (field->input))
    choice_set (field, text);
  else
    gtk_editable_set_text (GTK_EDITABLE (field->input), text);
}
