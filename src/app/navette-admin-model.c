/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-model.c — Content Model: applications → tables → columns.
 * New application, new table, add a column (a type picker and the
 * constraints: required, maximum length, range, choices; a default for
 * the existing rows of a required column), change a column's title and
 * constraints (refused with the server's sentence — how many rows break
 * it — when the data does not allow it), retitle an application or a
 * table, archive one (after a question) and unarchive it: archived ones
 * stay listed, dimmed, with "Archived" in their caption. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <stdlib.h>
#include <glib/gi18n.h>

#include "navette-admin-form.h"
#include "navette-admin-model.h"
#include "navette-admin-page.h"
#include "navette-admin-window.h"
#include "navette-wire.h"

struct _NavetteAdminModel
{
  AdwBin            parent_instance;

  NavetteAdminPage  page;
  GtkWidget        *groups;   /* a box of one AdwPreferencesGroup per application */
  JsonArray        *apps;
};

/* The page's NavetteAdminClient (NULL outside the window). */
#define client_of(page) navette_admin_window_client_of (GTK_WIDGET (page))

G_DEFINE_FINAL_TYPE (NavetteAdminModel, navette_admin_model, ADW_TYPE_BIN)

typedef struct
{
  const char *type;
  const char *label;
} ColumnType;

static const ColumnType column_types[] = {
  { "text", N_("Text") },
  { "long_text", N_("Long Text") },
  { "integer", N_("Integer") },
  { "real", N_("Number") },
  { "boolean", N_("Yes or No") },
  { "date", N_("Date") },
  { "choice", N_("Choice") },
  { "url", N_("Web Address") },
  { "email", N_("Email Address") },
};

static const char *
type_label (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (column_types); i++)
    if (g_strcmp0 (column_types[i].type, type) == 0)
      return _(column_types[i].label);
  return type;
}

static gboolean
type_has_length (const char *type)
{
  NavetteColumnType column_type;

  return navette_column_type_from_string (type, &column_type) && navette_column_type_has_length (column_type);
}

static gboolean
type_has_range (const char *type)
{
  return g_strcmp0 (type, "integer") == 0 || g_strcmp0 (type, "real") == 0;
}

static JsonObject *
find_app (NavetteAdminModel *self,
          const char        *app)
{
  return navette_admin_json_find (self->apps, "name", app);
}

static JsonObject *
find_table (NavetteAdminModel *self,
            const char        *app,
            const char        *table)
{
  return navette_admin_json_find (navette_admin_json_array (find_app (self, app), "tables"), "name", table);
}

static JsonObject *
find_column (JsonObject *table,
             const char *column)
{
  return navette_admin_json_find (navette_admin_json_array (table, "columns"), "name", column);
}

/* "name · Text · required · at most 200 characters" */
static char *
describe_column (JsonObject *column)
{
  GString *text = g_string_new (navette_admin_json_string (column, "name"));
  const char *type = navette_admin_json_string (column, "type");
  JsonArray *choices = navette_admin_json_array (column, "choices");
  double number;

  g_string_append_printf (text, " · %s", type_label (type));
  if (json_object_get_boolean_member_with_default (column, "required", FALSE))
    g_string_append_printf (text, " · %s", _("required"));
  if (navette_admin_json_number (column, "max_length", &number))
    {
      g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) number);

      g_string_append (text, " · ");
      /* Translators: %s is a number */
      g_string_append_printf (text, _("at most %s characters"), count);
    }
  if (navette_admin_json_number (column, "min", &number))
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, _("from %g"), number);
    }
  if (navette_admin_json_number (column, "max", &number))
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, _("up to %g"), number);
    }
  if (choices != NULL && json_array_get_length (choices) > 0)
    {
      g_string_append (text, " · ");
      for (guint i = 0; i < json_array_get_length (choices); i++)
        g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (choices, i));
    }
  return g_string_free (text, FALSE);
}

/* ---- Requests from forms ---- */

static NavetteAdminForm *
form_new (NavetteAdminModel *self,
          const char        *title,
          const char        *action,
          char              *done)
{
  NavetteAdminForm *form = navette_admin_form_new (GTK_WIDGET (self), title, action);

  g_object_set_data (G_OBJECT (form), "page", self);
  g_object_set_data_full (G_OBJECT (form), "done", done, g_free);
  return form;
}

/* The change @form sends, with the toast form_new() was given. */
static NavetteAdminChange *
form_change (NavetteAdminForm *form)
{
  return navette_admin_change_new (g_object_get_data (G_OBJECT (form), "page"), form,
                                   g_object_get_data (G_OBJECT (form), "done"));
}

static GtkWidget *
entry_row (NavetteAdminForm *form,
           const char       *key,
           const char       *title,
           const char       *text)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (text != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
  navette_admin_form_add_row (form, row);
  g_object_set_data (G_OBJECT (form), key, row);
  return row;
}

static const char *
text_of (NavetteAdminForm *form,
         const char       *key)
{
  return gtk_editable_get_text (GTK_EDITABLE (g_object_get_data (G_OBJECT (form), key)));
}

/* A name for @title: "Publish date" → "publish_date" (accents dropped,
 * what is not a letter or digit an underscore, a letter first). */
static char *
name_for_title (const char *title)
{
  g_autofree char *ascii = g_str_to_ascii (title, "C");
  GString *name = g_string_new (NULL);

  for (const char *c = ascii; *c != '\0' && name->len < 63; c++)
    {
      if (g_ascii_isalnum (*c) && (name->len > 0 || g_ascii_isalpha (*c)))
        g_string_append_c (name, g_ascii_tolower (*c));
      else if (name->len > 0 && name->str[name->len - 1] != '_')
        g_string_append_c (name, '_');
    }
  while (name->len > 0 && name->str[name->len - 1] == '_')
    g_string_truncate (name, name->len - 1);
  return g_string_free (name, FALSE);
}

/* The name follows the title until the user types a name of their own. */
static void
title_changed_cb (NavetteAdminForm *form)
{
  GtkEditable *name = g_object_get_data (G_OBJECT (form), "name");
  const char *suggested = g_object_get_data (G_OBJECT (form), "suggested");
  char *next;

  if (name == NULL || g_strcmp0 (gtk_editable_get_text (name), suggested ?: "") != 0)
    return;
  next = name_for_title (text_of (form, "title"));
  g_object_set_data_full (G_OBJECT (form), "suggested", next, g_free);
  gtk_editable_set_text (name, next);
}

/* A name (^[a-z][a-z0-9_]{0,62}$) and a title. */
static void
name_title_changed_cb (NavetteAdminForm *form)
{
  navette_admin_form_set_valid (form, navette_name_is_valid (text_of (form, "name")) &&
                                      *text_of (form, "title") != '\0');
}

static void
name_title_form (NavetteAdminForm *form,
                 const char       *description)
{
  GtkWidget *name;
  GtkWidget *title;

  navette_admin_form_set_description (form, description);
  title = entry_row (form, "title", _("Title"), NULL);
  name = entry_row (form, "name", _("Name (lower case letters, digits, _)"), NULL);
  g_signal_connect_swapped (name, "changed", G_CALLBACK (name_title_changed_cb), form);
  g_signal_connect_swapped (title, "changed", G_CALLBACK (title_changed_cb), form);
  g_signal_connect_swapped (title, "changed", G_CALLBACK (name_title_changed_cb), form);
  name_title_changed_cb (form);
  gtk_window_present (GTK_WINDOW (form));
  gtk_widget_grab_focus (title);
}

static void
new_app_submit_cb (NavetteAdminForm  *form,
                   NavetteAdminModel *self)
{
  g_autofree char *taken = g_strdup_printf (_("An application named “%s” already exists."), text_of (form, "name"));

  navette_admin_form_set_conflict (form, taken);
  navette_admin_client_add_app_async (client_of (self), text_of (form, "name"), text_of (form, "title"),
                                         navette_admin_form_get_cancellable (form),
                                         navette_admin_change_cb, form_change (form));
}

static void
new_app_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteAdminModel *self = NAVETTE_ADMIN_MODEL (widget);
  NavetteAdminForm *form = form_new (self, _("New Application"), _("_Create"),
                                     g_strdup (_("Application created")));

  g_signal_connect (form, "submit", G_CALLBACK (new_app_submit_cb), self);
  name_title_form (form, _("An application groups tables; access is given per application."));
}

static void
new_table_submit_cb (NavetteAdminForm  *form,
                     NavetteAdminModel *self)
{
  g_autoptr(NavetteWireTable) table = navette_wire_table_new (text_of (form, "name"), text_of (form, "title"));
  g_autofree char *taken = g_strdup_printf (_("A table named “%s” already exists in this application."), text_of (form, "name"));

  navette_admin_form_set_conflict (form, taken);

  navette_admin_client_add_table_async (client_of (self), g_object_get_data (G_OBJECT (form), "app"), table,
                                        navette_admin_form_get_cancellable (form),
                                        navette_admin_change_cb, form_change (form));
}

static void
new_table_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  NavetteAdminModel *self = NAVETTE_ADMIN_MODEL (widget);
  NavetteAdminForm *form = form_new (self, _("New Table"), _("_Create"), g_strdup (_("Table created")));

  g_object_set_data_full (G_OBJECT (form), "app", g_variant_dup_string (parameter, NULL), g_free);
  g_signal_connect (form, "submit", G_CALLBACK (new_table_submit_cb), self);
  name_title_form (form, _("Add its columns once it is created."));
}

/* ---- Retitle, archive and unarchive an application or a table ---- */

/* An application (table NULL) or one of its tables. */
typedef struct
{
  NavetteAdminModel *self;
  char              *app;
  char              *table;     /* nullable */
  gboolean           archived;  /* what to set */
} Target;

static Target *
target_new (NavetteAdminModel *self,
            GVariant          *parameter,
            gboolean           archived)
{
  Target *target = g_new0 (Target, 1);

  target->self = g_object_ref (self);
  target->archived = archived;
  if (g_variant_is_of_type (parameter, G_VARIANT_TYPE_STRING))
    target->app = g_variant_dup_string (parameter, NULL);
  else
    g_variant_get (parameter, "(ss)", &target->app, &target->table);
  return target;
}

static void
target_free (gpointer data)
{
  Target *target = data;

  g_object_unref (target->self);
  g_free (target->app);
  g_free (target->table);
  g_free (target);
}

/* The title shown for @target (its name when it has none). */
static const char *
target_title (Target *target)
{
  JsonObject *object = NULL;
  const char *title;

  if (target->table != NULL)
    object = find_table (target->self, target->app, target->table);
  else
    object = find_app (target->self, target->app);
  title = object != NULL ? navette_admin_json_string (object, "title") : NULL;
  return title != NULL && *title != '\0' ? title : (target->table != NULL ? target->table : target->app);
}

/* Sends the archived flag of @data (a Target). */
static void
set_archived (gpointer data)
{
  Target *target = data;
  NavetteAdminClient *client = client_of (target->self);
  NavetteAdminChange *change;
  const char *done;

  if (client == NULL)
    return;
  if (target->table != NULL)
    done = target->archived ? _("Table archived") : _("Table unarchived");
  else
    done = target->archived ? _("Application archived") : _("Application unarchived");
  change = navette_admin_change_new (GTK_WIDGET (target->self), NULL, done);
  if (target->table != NULL)
    navette_admin_client_update_table_async (client, target->app, target->table, NULL, target->archived, NULL,
                                             navette_admin_change_cb, change);
  else
    navette_admin_client_update_app_async (client, target->app, NULL, target->archived, NULL,
                                           navette_admin_change_cb, change);
}

static void
archive_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  Target *target = target_new (NAVETTE_ADMIN_MODEL (widget), parameter, TRUE);
  g_autofree char *heading = NULL;
  const char *body;

  if (target->table != NULL)
    {
      heading = g_strdup_printf (_("Archive the Table “%s”?"), target_title (target));
      body = _("Nobody will see it or its records any more. Its data stays in the database.");
    }
  else
    {
      heading = g_strdup_printf (_("Archive the Application “%s”?"), target_title (target));
      body = _("Nobody will see it, its tables or their records any more. Its data stays in the database, and it can be unarchived here.");
    }
  navette_admin_confirm (widget, heading, body, _("_Archive"), TRUE, set_archived, target, target_free);
}

/* Unarchiving takes nothing away from anyone: no question. */
static void
unarchive_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  Target *target = target_new (NAVETTE_ADMIN_MODEL (widget), parameter, FALSE);

  set_archived (target);
  target_free (target);
}

static void
retitle_changed_cb (NavetteAdminForm *form)
{
  g_autofree char *title = g_strstrip (g_strdup (text_of (form, "title")));

  navette_admin_form_set_valid (form, *title != '\0');
}

static void
retitle_submit_cb (NavetteAdminForm  *form,
                   NavetteAdminModel *self)
{
  Target *target = g_object_get_data (G_OBJECT (form), "target");
  g_autofree char *title = g_strstrip (g_strdup (text_of (form, "title")));

  if (target->table != NULL)
    navette_admin_client_update_table_async (client_of (self), target->app, target->table, title, -1,
                                             navette_admin_form_get_cancellable (form),
                                             navette_admin_change_cb, form_change (form));
  else
    navette_admin_client_update_app_async (client_of (self), target->app, title, -1,
                                           navette_admin_form_get_cancellable (form),
                                           navette_admin_change_cb, form_change (form));
}

static void
retitle_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteAdminModel *self = NAVETTE_ADMIN_MODEL (widget);
  Target *target = target_new (self, parameter, FALSE);
  g_autofree char *heading = NULL;
  NavetteAdminForm *form;
  GtkWidget *title;

  if (target->table != NULL)
    heading = g_strdup_printf (_("Rename the Table “%s”"), target->table);
  else
    heading = g_strdup_printf (_("Rename the Application “%s”"), target->app);
  form = form_new (self, heading, _("_Save"),
                   g_strdup (target->table != NULL ? _("Table renamed") : _("Application renamed")));
  navette_admin_form_set_description (form, _("The title is what people see; the name stays, so nothing that refers to it breaks."));
  title = entry_row (form, "title", _("Title"), target_title (target));
  g_object_set_data_full (G_OBJECT (form), "target", target, target_free);
  g_signal_connect_swapped (title, "changed", G_CALLBACK (retitle_changed_cb), form);
  g_signal_connect (form, "submit", G_CALLBACK (retitle_submit_cb), self);
  retitle_changed_cb (form);
  gtk_window_present (GTK_WINDOW (form));
  gtk_widget_grab_focus (title);
}

/* ---- Add or change a column ---- */

static const char *
form_type (NavetteAdminForm *form)
{
  AdwComboRow *type_row = g_object_get_data (G_OBJECT (form), "type");
  const char *fixed = g_object_get_data (G_OBJECT (form), "fixed-type");
  guint selected;

  if (fixed != NULL)
    return fixed;
  selected = adw_combo_row_get_selected (type_row);
  return selected < G_N_ELEMENTS (column_types) ? column_types[selected].type : "text";
}

static gboolean
form_required (NavetteAdminForm *form)
{
  return gtk_switch_get_active (g_object_get_data (G_OBJECT (form), "required"));
}

/* Shows the constraints of the chosen type only. */
static void
column_form_changed_cb (NavetteAdminForm *form)
{
  const char *type = form_type (form);
  gboolean adding = g_object_get_data (G_OBJECT (form), "column") == NULL;
  gboolean valid = *text_of (form, "title") != '\0';

  gtk_widget_set_visible (g_object_get_data (G_OBJECT (form), "max_length"), type_has_length (type));
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (form), "min"), type_has_range (type) && adding);
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (form), "max"), type_has_range (type) && adding);
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (form), "choices"), g_str_equal (type, "choice"));
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (form), "default"),
                          adding && form_required (form) && !g_str_equal (type, "boolean"));
  if (adding)
    valid = valid && navette_name_is_valid (text_of (form, "name"));
  if (g_str_equal (type, "choice"))
    valid = valid && *text_of (form, "choices") != '\0';
  navette_admin_form_set_valid (form, valid);
}

static JsonArray *
parse_choices (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  JsonArray *choices = json_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        json_array_add_string_element (choices, parts[i]);
    }
  return choices;
}

/* Sets @member to the number typed in @text (nothing when empty); FALSE
 * when it is not a number. */
static gboolean
set_number (JsonObject *object,
            const char *member,
            const char *text,
            gboolean    integer)
{
  char *end = NULL;

  if (*text == '\0')
    return TRUE;
  if (integer)
    {
      gint64 value = g_ascii_strtoll (text, &end, 10);

      if (*end != '\0')
        return FALSE;
      json_object_set_int_member (object, member, value);
    }
  else
    {
      double value = g_ascii_strtod (text, &end);

      if (*end != '\0')
        return FALSE;
      json_object_set_double_member (object, member, value);
    }
  return TRUE;
}

/* The value typed for the existing rows, as @type's JSON (NULL: none);
 * FALSE when it is not a number for a number column. */
static gboolean
parse_default (const char  *type,
               const char  *text,
               JsonNode   **value)
{
  g_autoptr(JsonObject) holder = json_object_new ();

  *value = NULL;
  if (*text == '\0')
    return TRUE;
  if (g_str_equal (type, "integer") || g_str_equal (type, "real"))
    {
      if (!set_number (holder, "default", text, g_str_equal (type, "integer")))
        return FALSE;
    }
  else
    json_object_set_string_member (holder, "default", text);
  *value = json_node_copy (json_object_get_member (holder, "default"));
  return TRUE;
}

static void
column_submit_cb (NavetteAdminForm  *form,
                  NavetteAdminModel *self)
{
  const char *app = g_object_get_data (G_OBJECT (form), "app");
  const char *table = g_object_get_data (G_OBJECT (form), "table");
  JsonObject *old = g_object_get_data (G_OBJECT (form), "column");
  const char *type = form_type (form);
  GtkSpinButton *max_length = g_object_get_data (G_OBJECT (form), "max_length_spin");
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) default_value = NULL;
  g_autoptr(NavetteWireColumn) column = NULL;
  g_autoptr(GError) error = NULL;
  gint64 length = gtk_spin_button_get_value_as_int (max_length);

  if (!g_str_equal (text_of (form, "title"), old != NULL ? navette_admin_json_string (old, "title") ?: "" : ""))
    json_object_set_string_member (body, "title", text_of (form, "title"));
  if (old == NULL || form_required (form) != json_object_get_boolean_member_with_default (old, "required", FALSE))
    json_object_set_boolean_member (body, "required", form_required (form));
  if (type_has_length (type) &&
      (old == NULL || length != json_object_get_int_member_with_default (old, "max_length", 0)))
    {
      if (length > 0)
        json_object_set_int_member (body, "max_length", length);
      else if (old != NULL)
        json_object_set_null_member (body, "max_length");
    }
  if (g_str_equal (type, "choice"))
    json_object_set_array_member (body, "choices", parse_choices (text_of (form, "choices")));

  if (old != NULL)
    {
      navette_admin_client_update_column_async (client_of (self), app, table,
                                               navette_admin_json_string (old, "name"), body,
                                               navette_admin_form_get_cancellable (form),
                                               navette_admin_change_cb, form_change (form));
      return;
    }

  json_object_set_string_member (body, "name", text_of (form, "name"));
  json_object_set_string_member (body, "type", type);
  if (type_has_range (type) &&
      (!set_number (body, "min", text_of (form, "min"), g_str_equal (type, "integer")) ||
       !set_number (body, "max", text_of (form, "max"), g_str_equal (type, "integer"))))
    {
      navette_admin_form_set_error (form, _("The minimum and maximum must be numbers."));
      return;
    }
  if (form_required (form) && !parse_default (type, text_of (form, "default"), &default_value))
    {
      navette_admin_form_set_error (form, _("The default value must be a number."));
      return;
    }
  if (form_required (form) && g_str_equal (type, "boolean"))
    {
      default_value = json_node_new (JSON_NODE_VALUE);
      json_node_set_boolean (default_value, FALSE);
    }
  /* What the wire layer refuses (no choices, min above max) is said here,
   * before the server is asked. */
  column = navette_wire_column_from_json (body, &error);
  if (column == NULL || !navette_wire_column_check (column, &error))
    {
      g_autofree char *sentence = navette_api_error_to_sentence (error);

      navette_admin_form_set_error (form, sentence);
      return;
    }
  {
    g_autofree char *taken = g_strdup_printf (_("A column named “%s” already exists in this table."), column->name);

    navette_admin_form_set_conflict (form, taken);
  }
  navette_admin_client_add_column_async (client_of (self), app, table, column, default_value,
                                         navette_admin_form_get_cancellable (form),
                                         navette_admin_change_cb, form_change (form));
}

/* The form of a new column (@column NULL) or of @column. */
static void
column_form (NavetteAdminModel *self,
             const char        *app,
             const char        *table,
             JsonObject        *column)
{
  const char *type = column != NULL ? navette_admin_json_string (column, "type") : NULL;
  g_autofree char *heading = NULL;
  NavetteAdminForm *form;
  GtkWidget *row;
  GtkWidget *widget;

  if (column != NULL)
    heading = g_strdup_printf (_("Column “%s”"), navette_admin_json_string (column, "name"));
  form = form_new (self, column != NULL ? heading : _("Add Column"),
                   column != NULL ? _("_Save") : _("_Add"),
                   g_strdup (column != NULL ? _("Column changed") : _("Column added")));
  g_object_set_data_full (G_OBJECT (form), "app", g_strdup (app), g_free);
  g_object_set_data_full (G_OBJECT (form), "table", g_strdup (table), g_free);
  if (column != NULL)
    {
      g_object_set_data_full (G_OBJECT (form), "column", json_object_ref (column),
                              (GDestroyNotify) json_object_unref);
      g_object_set_data_full (G_OBJECT (form), "fixed-type", g_strdup (type), g_free);
    }

  widget = entry_row (form, "title", _("Title"), column != NULL ? navette_admin_json_string (column, "title") : NULL);
  g_signal_connect_swapped (widget, "changed", G_CALLBACK (column_form_changed_cb), form);
  if (column == NULL)
    {
      g_autoptr(GtkStringList) types = gtk_string_list_new (NULL);

      widget = entry_row (form, "name", _("Name (lower case letters, digits, _)"), NULL);
      g_signal_connect_swapped (widget, "changed", G_CALLBACK (column_form_changed_cb), form);
      g_signal_connect_swapped (g_object_get_data (G_OBJECT (form), "title"), "changed",
                                G_CALLBACK (title_changed_cb), form);
      for (guint i = 0; i < G_N_ELEMENTS (column_types); i++)
        gtk_string_list_append (types, _(column_types[i].label));
      row = adw_combo_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Type"));
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (types));
      g_signal_connect_swapped (row, "notify::selected", G_CALLBACK (column_form_changed_cb), form);
      navette_admin_form_add_row (form, row);
      g_object_set_data (G_OBJECT (form), "type", row);
    }
  else
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Type"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), type_label (type));
      navette_admin_form_add_row (form, row);
    }

  row = adw_action_row_new ();
  widget = gtk_switch_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Required"));
  gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Required"), -1);
  if (column != NULL)
    gtk_switch_set_active (GTK_SWITCH (widget), json_object_get_boolean_member_with_default (column, "required", FALSE));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), widget);
  g_signal_connect_swapped (widget, "notify::active", G_CALLBACK (column_form_changed_cb), form);
  navette_admin_form_add_row (form, row);
  g_object_set_data (G_OBJECT (form), "required", widget);

  widget = entry_row (form, "default", _("Value for Existing Rows"), NULL);
  g_signal_connect_swapped (widget, "changed", G_CALLBACK (column_form_changed_cb), form);

  row = adw_action_row_new ();
  widget = gtk_spin_button_new_with_range (0, 1000000, 1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Maximum Length"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Characters; 0 for no limit"));
  gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Maximum Length"), -1);
  if (column != NULL)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget),
                               (double) json_object_get_int_member_with_default (column, "max_length", 0));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
  navette_admin_form_add_row (form, row);
  g_object_set_data (G_OBJECT (form), "max_length", row);
  g_object_set_data (G_OBJECT (form), "max_length_spin", widget);

  entry_row (form, "min", _("Minimum (empty: none)"), NULL);
  entry_row (form, "max", _("Maximum (empty: none)"), NULL);
  widget = entry_row (form, "choices", _("Choices, separated by commas"), NULL);
  if (column != NULL && navette_admin_json_array (column, "choices") != NULL)
    {
      JsonArray *choices = navette_admin_json_array (column, "choices");
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (choices); i++)
        g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (choices, i));
      gtk_editable_set_text (GTK_EDITABLE (widget), text->str);
    }
  g_signal_connect_swapped (widget, "changed", G_CALLBACK (column_form_changed_cb), form);

  navette_admin_form_set_description (form, column != NULL
                                      ? _("The server refuses a constraint that existing records break, and says how many.")
                                      : _("A required column needs a value for the records already in the table: give one, or leave Required off to leave them empty."));
  column_form_changed_cb (form);
  g_signal_connect (form, "submit", G_CALLBACK (column_submit_cb), self);
  gtk_window_present (GTK_WINDOW (form));
  gtk_widget_grab_focus (g_object_get_data (G_OBJECT (form), "title"));
}

static void
add_column_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  const char *app;
  const char *table;

  g_variant_get (parameter, "(&s&s)", &app, &table);
  column_form (NAVETTE_ADMIN_MODEL (widget), app, table, NULL);
}

static void
edit_column_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  NavetteAdminModel *self = NAVETTE_ADMIN_MODEL (widget);
  const char *app;
  const char *table;
  const char *column;
  JsonObject *found;

  g_variant_get (parameter, "(&s&s&s)", &app, &table, &column);
  found = find_column (find_table (self, app, table), column);
  if (found != NULL)
    column_form (self, app, table, found);
}

/* ---- The tree ---- */

static GtkWidget *
action_button (const char *icon,
               const char *label,
               const char *action,
               GVariant   *target)
{
  GtkWidget *button = navette_admin_icon_button (icon, label);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), target);
  return button;
}

/* "Unarchive", a text button; @label its tooltip and accessible name. */
static GtkWidget *
unarchive_button (const char *label,
                  const char *action,
                  GVariant   *target)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Unarchive"));

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), target);
  return button;
}

/* An archived application or table stays listed, dimmed, with "Archived"
 * in its caption and Unarchive instead of Archive. */
static GtkWidget *
table_row_new (const char *app,
               gboolean    app_archived,
               JsonObject *table)
{
  const char *name = navette_admin_json_string (table, "name");
  const char *title = navette_admin_json_string (table, "title");
  const char *shown = title != NULL && *title != '\0' ? title : name;
  gboolean archived = json_object_get_boolean_member_with_default (table, "archived", FALSE);
  JsonArray *columns = navette_admin_json_array (table, "columns");
  guint n = columns != NULL ? json_array_get_length (columns) : 0;
  GtkWidget *row = adw_expander_row_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *add_label = g_strdup_printf (_("Add a column to %s"), shown);
  g_autofree char *rename_label = g_strdup_printf (_("Rename %s"), shown);
  g_autofree char *archive_label = g_strdup_printf (_("Archive %s"), shown);
  g_autofree char *unarchive_label = g_strdup_printf (_("Unarchive %s"), shown);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), shown);
  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u column", "%s · %u columns", n), name, n);
  if (archived)
    {
      char *with = g_strdup_printf ("%s · %s", subtitle, _("Archived"));

      g_free (subtitle);
      subtitle = with;
      gtk_widget_add_css_class (row, "dim-label");
    }
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  g_object_set_data_full (G_OBJECT (row), "table", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (row), "archived", GINT_TO_POINTER (archived));
  /* Nothing is added to what is archived; an archived application's
   * tables can be renamed only. */
  if (!archived && !app_archived)
    adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                 action_button ("list-add-symbolic", add_label, "model.add-column",
                                                g_variant_new ("(ss)", app, name)));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               action_button ("document-edit-symbolic", rename_label, "model.rename-table",
                                              g_variant_new ("(ss)", app, name)));
  if (archived)
    adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                 unarchive_button (unarchive_label, "model.unarchive-table",
                                                   g_variant_new ("(ss)", app, name)));
  else if (!app_archived)
    adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                 action_button ("user-trash-symbolic", archive_label, "model.archive-table",
                                                g_variant_new ("(ss)", app, name)));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *column = json_array_get_object_element (columns, i);
      const char *column_name = navette_admin_json_string (column, "name");
      const char *column_title = navette_admin_json_string (column, "title");
      GtkWidget *child = adw_action_row_new ();
      g_autofree char *description = describe_column (column);
      g_autofree char *edit_label = g_strdup_printf (_("Change the column %s"), column_name);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (child), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (child),
                                     column_title != NULL ? column_title : column_name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (child), description);
      if (!archived && !app_archived)
        adw_action_row_add_suffix (ADW_ACTION_ROW (child),
                                   action_button ("document-edit-symbolic", edit_label, "model.edit-column",
                                                  g_variant_new ("(sss)", app, name, column_name)));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), child);
    }
  return row;
}

static GtkWidget *
app_group_new (JsonObject *app)
{
  const char *name = navette_admin_json_string (app, "name");
  const char *title = navette_admin_json_string (app, "title");
  const char *shown = title != NULL && *title != '\0' ? title : name;
  gboolean archived = json_object_get_boolean_member_with_default (app, "archived", FALSE);
  JsonArray *tables = navette_admin_json_array (app, "tables");
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *list = navette_admin_list_new (shown, _("No tables yet"));
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *add = gtk_button_new ();
  g_autofree char *description = NULL;
  g_autofree char *add_label = g_strdup_printf (_("New table in %s"), shown);
  g_autofree char *rename_label = g_strdup_printf (_("Rename %s"), shown);
  g_autofree char *archive_label = g_strdup_printf (_("Archive %s"), shown);
  g_autofree char *unarchive_label = g_strdup_printf (_("Unarchive %s"), shown);

  description = archived ? g_strdup_printf ("%s · %s", name, _("Archived")) : g_strdup (name);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), shown);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  gtk_button_set_child (GTK_BUTTON (add), adw_button_content_new ());
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (gtk_button_get_child (GTK_BUTTON (add))), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (gtk_button_get_child (GTK_BUTTON (add))), _("New Table"));
  gtk_widget_add_css_class (add, "flat");
  gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL, add_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "model.new-table");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (add), g_variant_new_string (name));
  gtk_widget_set_visible (add, !archived);
  gtk_box_append (GTK_BOX (buttons), add);
  gtk_box_append (GTK_BOX (buttons), action_button ("document-edit-symbolic", rename_label, "model.rename-app",
                                                    g_variant_new_string (name)));
  if (archived)
    gtk_box_append (GTK_BOX (buttons), unarchive_button (unarchive_label, "model.unarchive-app",
                                                         g_variant_new_string (name)));
  else
    gtk_box_append (GTK_BOX (buttons), action_button ("user-trash-symbolic", archive_label, "model.archive-app",
                                                      g_variant_new_string (name)));
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (group), buttons);
  if (archived)
    gtk_widget_add_css_class (list, "dim-label");
  for (guint i = 0; tables != NULL && i < json_array_get_length (tables); i++)
    gtk_list_box_append (GTK_LIST_BOX (list), table_row_new (name, archived, json_array_get_object_element (tables, i)));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), list);
  g_object_set_data_full (G_OBJECT (group), "app", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (group), "archived", GINT_TO_POINTER (archived));
  return group;
}

static void
apps_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(NavetteAdminModel) self = user_data;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *apps;
  GtkWidget *child;

  if (!navette_admin_page_finish (&self->page, object, result, "applications", &root, &apps))
    return;
  g_clear_pointer (&self->apps, json_array_unref);
  self->apps = apps != NULL ? json_array_ref (apps) : json_array_new ();
  while ((child = gtk_widget_get_first_child (self->groups)) != NULL)
    gtk_box_remove (GTK_BOX (self->groups), child);
  for (guint i = 0; i < json_array_get_length (self->apps); i++)
    gtk_box_append (GTK_BOX (self->groups), app_group_new (json_array_get_object_element (self->apps, i)));
  navette_admin_page_end (&self->page, NULL);
}

void
navette_admin_model_reload (NavetteAdminModel *self)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_MODEL (self));

  navette_admin_page_load_apps (&self->page, GTK_WIDGET (self), apps_cb);
}

/* ---- The page ---- */

static void
navette_admin_model_dispose (GObject *object)
{
  NavetteAdminModel *self = NAVETTE_ADMIN_MODEL (object);

  navette_admin_page_clear (&self->page);
  g_clear_pointer (&self->apps, json_array_unref);
  G_OBJECT_CLASS (navette_admin_model_parent_class)->dispose (object);
}

static void
navette_admin_model_class_init (NavetteAdminModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_admin_model_dispose;
  gtk_widget_class_install_action (widget_class, "model.new-app", NULL, new_app_action);
  gtk_widget_class_install_action (widget_class, "model.new-table", "s", new_table_action);
  gtk_widget_class_install_action (widget_class, "model.rename-app", "s", retitle_action);
  gtk_widget_class_install_action (widget_class, "model.rename-table", "(ss)", retitle_action);
  gtk_widget_class_install_action (widget_class, "model.archive-app", "s", archive_action);
  gtk_widget_class_install_action (widget_class, "model.archive-table", "(ss)", archive_action);
  gtk_widget_class_install_action (widget_class, "model.unarchive-app", "s", unarchive_action);
  gtk_widget_class_install_action (widget_class, "model.unarchive-table", "(ss)", unarchive_action);
  gtk_widget_class_install_action (widget_class, "model.add-column", "(ss)", add_column_action);
  gtk_widget_class_install_action (widget_class, "model.edit-column", "(sss)", edit_column_action);
}

static void
navette_admin_model_init (NavetteAdminModel *self)
{
  navette_admin_page_init (&self->page, ADW_BIN (self), _("Content Model"));
  navette_admin_page_add_spacer (&self->page);
  navette_admin_page_add_button (&self->page, "list-add-symbolic", _("New _Application…"),
                                 _("New Application…"), "model.new-app");

  self->groups = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  gtk_box_append (GTK_BOX (self->page.content), self->groups);
}
