/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-schema.c — table schemas and data validation. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "navette-wire.h"

static const char * const column_type_names[] = {
  [NAVETTE_COLUMN_TEXT]    = "text",
  [NAVETTE_COLUMN_INTEGER] = "integer",
  [NAVETTE_COLUMN_REAL]    = "real",
  [NAVETTE_COLUMN_BOOLEAN] = "boolean",
  [NAVETTE_COLUMN_DATE]    = "date",
  [NAVETTE_COLUMN_LONG_TEXT] = "long_text",
  [NAVETTE_COLUMN_CHOICE]  = "choice",
  [NAVETTE_COLUMN_URL]     = "url",
  [NAVETTE_COLUMN_EMAIL]   = "email",
};

gboolean
navette_column_type_is_text (NavetteColumnType type)
{
  return type == NAVETTE_COLUMN_TEXT || type == NAVETTE_COLUMN_LONG_TEXT ||
         type == NAVETTE_COLUMN_CHOICE || type == NAVETTE_COLUMN_URL ||
         type == NAVETTE_COLUMN_EMAIL;
}

gboolean
navette_column_type_has_length (NavetteColumnType type)
{
  return navette_column_type_is_text (type) && type != NAVETTE_COLUMN_CHOICE;
}

gboolean
navette_column_type_is_number (NavetteColumnType type)
{
  return type == NAVETTE_COLUMN_INTEGER || type == NAVETTE_COLUMN_REAL;
}

GType
navette_column_type_value_type (NavetteColumnType type)
{
  switch (type)
    {
    case NAVETTE_COLUMN_INTEGER:
      return G_TYPE_INT64;
    case NAVETTE_COLUMN_REAL:
      return G_TYPE_DOUBLE;
    case NAVETTE_COLUMN_BOOLEAN:
      return G_TYPE_BOOLEAN;
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_DATE:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_CHOICE:
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    default:
      return G_TYPE_STRING;
    }
}

const char *
navette_column_type_to_string (NavetteColumnType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (column_type_names), NULL);
  return column_type_names[type];
}

gboolean
navette_column_type_from_string (const char        *text,
                                 NavetteColumnType *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (column_type_names); i++)
    {
      if (g_str_equal (column_type_names[i], text))
        {
          *out = (NavetteColumnType) i;
          return TRUE;
        }
    }
  return FALSE;
}

NavetteWireColumn *
navette_wire_column_new (const char        *name,
                         const char        *title,
                         NavetteColumnType  type,
                         gboolean           required,
                         gint64             max_length)
{
  NavetteWireColumn *column;

  g_return_val_if_fail (name != NULL, NULL);

  column = g_new0 (NavetteWireColumn, 1);
  column->name = g_strdup (name);
  column->title = g_strdup (title != NULL ? title : name);
  column->type = type;
  column->required = !!required;
  column->max_length = max_length > 0 ? max_length : 0;
  return column;
}

void
navette_wire_column_free (NavetteWireColumn *column)
{
  if (column == NULL)
    return;
  g_free (column->name);
  g_free (column->title);
  g_strfreev (column->choices);
  g_free (column);
}

NavetteWireColumn *
navette_wire_column_copy (const NavetteWireColumn *column)
{
  NavetteWireColumn *copy;

  g_return_val_if_fail (column != NULL, NULL);

  copy = navette_wire_column_new (column->name, column->title, column->type,
                                  column->required, column->max_length);
  copy->max_length = column->max_length;
  copy->choices = g_strdupv (column->choices);
  copy->has_min = column->has_min;
  copy->has_max = column->has_max;
  copy->min = column->min;
  copy->max = column->max;
  return copy;
}

NavetteWireTable *
navette_wire_table_new (const char *name,
                        const char *title)
{
  NavetteWireTable *table;

  g_return_val_if_fail (name != NULL, NULL);

  table = g_new0 (NavetteWireTable, 1);
  table->name = g_strdup (name);
  table->title = g_strdup (title != NULL ? title : name);
  table->columns = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_column_free);
  return table;
}

void
navette_wire_table_free (NavetteWireTable *table)
{
  if (table == NULL)
    return;
  g_free (table->name);
  g_free (table->title);
  g_ptr_array_unref (table->columns);
  g_free (table);
}

const NavetteWireColumn *
navette_wire_table_lookup_column (const NavetteWireTable *table,
                                  const char             *name)
{
  g_return_val_if_fail (table != NULL, NULL);

  if (name == NULL)
    return NULL;
  for (guint i = 0; i < table->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->columns, i);

      if (g_str_equal (column->name, name))
        return column;
    }
  return NULL;
}

/* A bound of a number column: an integer when it is one. */
static void
add_bound (JsonBuilder       *builder,
           NavetteColumnType  type,
           double             value)
{
  if (type == NAVETTE_COLUMN_INTEGER && value >= -9007199254740992.0 && value <= 9007199254740992.0)
    json_builder_add_int_value (builder, (gint64) value);
  else
    json_builder_add_double_value (builder, value);
}

void
navette_wire_column_to_json (const NavetteWireColumn *column,
                             JsonBuilder             *builder)
{
  g_return_if_fail (column != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, column->name);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, column->title);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, navette_column_type_to_string (column->type));
  json_builder_set_member_name (builder, "required");
  json_builder_add_boolean_value (builder, column->required);
  if (navette_column_type_has_length (column->type) && column->max_length > 0)
    {
      json_builder_set_member_name (builder, "max_length");
      json_builder_add_int_value (builder, column->max_length);
    }
  if (column->type == NAVETTE_COLUMN_CHOICE && column->choices != NULL)
    {
      json_builder_set_member_name (builder, "choices");
      json_builder_begin_array (builder);
      for (guint i = 0; column->choices[i] != NULL; i++)
        json_builder_add_string_value (builder, column->choices[i]);
      json_builder_end_array (builder);
    }
  if (navette_column_type_is_number (column->type) && column->has_min)
    {
      json_builder_set_member_name (builder, "min");
      add_bound (builder, column->type, column->min);
    }
  if (navette_column_type_is_number (column->type) && column->has_max)
    {
      json_builder_set_member_name (builder, "max");
      add_bound (builder, column->type, column->max);
    }
  json_builder_end_object (builder);
}

void
navette_wire_table_add_members (const NavetteWireTable *table,
                                JsonBuilder            *builder)
{
  g_return_if_fail (table != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, table->name);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, table->title);
  json_builder_set_member_name (builder, "columns");
  json_builder_begin_array (builder);
  for (guint i = 0; i < table->columns->len; i++)
    navette_wire_column_to_json (g_ptr_array_index (table->columns, i), builder);
  json_builder_end_array (builder);
}

void
navette_wire_table_to_json (const NavetteWireTable *table,
                            JsonBuilder            *builder)
{
  g_return_if_fail (table != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  navette_wire_table_add_members (table, builder);
  json_builder_end_object (builder);
}

static gboolean
node_is_type (JsonNode *node,
              GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static const char *
get_string (JsonObject *object,
            const char *member,
            gboolean    optional,
            GError    **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL && optional)
    return NULL;
  if (!node_is_type (node, G_TYPE_STRING))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” must be a string", member);
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
get_bound (JsonObject  *object,
           const char  *member,
           gboolean    *has,
           double      *value,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *has = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (node_is_type (node, G_TYPE_INT64))
    *value = (double) json_node_get_int (node);
  else if (node_is_type (node, G_TYPE_DOUBLE))
    *value = json_node_get_double (node);
  else
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” must be a number", member);
      return FALSE;
    }
  *has = TRUE;
  return TRUE;
}

NavetteWireColumn *
navette_wire_column_from_json (JsonObject  *column,
                               GError     **error)
{
  g_autoptr(NavetteWireColumn) result = NULL;
  const char *column_name;
  const char *type_name;
  NavetteColumnType type;
  JsonNode *node;
  gboolean required = FALSE;
  gint64 max_length = 0;

  g_return_val_if_fail (column != NULL, NULL);

  if (!(column_name = get_string (column, "name", FALSE, error)))
    return NULL;
  if (!navette_name_is_valid (column_name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid column name", column_name);
      return NULL;
    }
  if (!(type_name = get_string (column, "type", FALSE, error)))
    return NULL;
  if (!navette_column_type_from_string (type_name, &type))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a column type", type_name);
      return NULL;
    }
  node = json_object_get_member (column, "title");
  if (node != NULL && !node_is_type (node, G_TYPE_STRING))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "“title” must be a string");
      return NULL;
    }
  node = json_object_get_member (column, "required");
  if (node != NULL)
    {
      if (!node_is_type (node, G_TYPE_BOOLEAN))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                               "“required” must be a boolean");
          return NULL;
        }
      required = json_node_get_boolean (node);
    }
  node = json_object_get_member (column, "max_length");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!node_is_type (node, G_TYPE_INT64) || json_node_get_int (node) < 0)
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                               "“max_length” must be a positive integer");
          return NULL;
        }
      max_length = json_node_get_int (node);
    }
  result = navette_wire_column_new (column_name, get_string (column, "title", TRUE, NULL),
                                    type, required, max_length);
  node = json_object_get_member (column, "choices");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonArray *array;
      GPtrArray *choices;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                               "“choices” must be an array of strings");
          return NULL;
        }
      array = json_node_get_array (node);
      choices = g_ptr_array_new ();
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!node_is_type (element, G_TYPE_STRING))
            {
              g_ptr_array_free (choices, TRUE);
              g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                                   "“choices” must be an array of strings");
              return NULL;
            }
          g_ptr_array_add (choices, g_strdup (json_node_get_string (element)));
        }
      g_ptr_array_add (choices, NULL);
      result->choices = (char **) g_ptr_array_free (choices, FALSE);
    }
  if (!get_bound (column, "min", &result->has_min, &result->min, error) ||
      !get_bound (column, "max", &result->has_max, &result->max, error))
    return NULL;
  return g_steal_pointer (&result);
}

gboolean
navette_wire_column_check (const NavetteWireColumn  *column,
                           GError                  **error)
{
  guint n_choices;

  g_return_val_if_fail (column != NULL, FALSE);

  if (column->max_length < 0)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: a maximum length cannot be negative.", column->name);
      return FALSE;
    }
  if (column->max_length > 0 && !navette_column_type_has_length (column->type))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: a maximum length only applies to text, long text, URL "
                   "and email columns.", column->name);
      return FALSE;
    }
  n_choices = column->choices != NULL ? g_strv_length (column->choices) : 0;
  if (column->type != NAVETTE_COLUMN_CHOICE && column->choices != NULL)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: choices only apply to choice columns.", column->name);
      return FALSE;
    }
  if (column->type == NAVETTE_COLUMN_CHOICE && (n_choices == 0 || n_choices > NAVETTE_COLUMN_MAX_CHOICES))
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_CHOICES_COUNT,
                                    "Column “%s”: a choice column needs a list of 1 to %d choices.",
                                    column->name, NAVETTE_COLUMN_MAX_CHOICES);
      return FALSE;
    }
  for (guint i = 0; i < n_choices; i++)
    {
      const char *choice = column->choices[i];

      if (choice[0] == '\0' || !g_utf8_validate (choice, -1, NULL) ||
          g_utf8_strlen (choice, -1) > NAVETTE_CHOICE_MAX_LENGTH)
        {
          navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_CHOICE_LENGTH,
                                        "Column “%s”: a choice must be 1 to %d characters long.",
                                        column->name, NAVETTE_CHOICE_MAX_LENGTH);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (g_str_equal (column->choices[j], choice))
          {
            navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_CHOICE_TWICE,
                                          "Column “%s”: the choice “%s” is given twice.", column->name, choice);
            return FALSE;
          }
    }
  if ((column->has_min || column->has_max) && !navette_column_type_is_number (column->type))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Column “%s”: a minimum or maximum only applies to integer and real columns.",
                   column->name);
      return FALSE;
    }
  if (column->has_min && column->has_max && column->min > column->max)
    {
      navette_api_set_error_reason (error, NAVETTE_API_ERROR_BAD_REQUEST, NAVETTE_API_REASON_MIN_ABOVE_MAX,
                                    "Column “%s”: the minimum is greater than the maximum.", column->name);
      return FALSE;
    }
  return TRUE;
}

NavetteWireTable *
navette_wire_table_from_json (JsonObject  *object,
                              GError     **error)
{
  g_autoptr(NavetteWireTable) table = NULL;
  const char *name;
  const char *title;
  JsonNode *columns_node;
  JsonArray *columns;

  g_return_val_if_fail (object != NULL, NULL);

  if (!(name = get_string (object, "name", FALSE, error)))
    return NULL;
  if (!navette_name_is_valid (name))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid table name", name);
      return NULL;
    }
  title = get_string (object, "title", TRUE, NULL);
  table = navette_wire_table_new (name, title);

  columns_node = json_object_get_member (object, "columns");
  if (columns_node == NULL || !JSON_NODE_HOLDS_ARRAY (columns_node))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "“columns” must be an array");
      return NULL;
    }
  columns = json_node_get_array (columns_node);
  for (guint i = 0; i < json_array_get_length (columns); i++)
    {
      JsonNode *column_node = json_array_get_element (columns, i);
      NavetteWireColumn *column;

      if (!JSON_NODE_HOLDS_OBJECT (column_node))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                               "a column must be an object");
          return NULL;
        }
      column = navette_wire_column_from_json (json_node_get_object (column_node), error);
      if (column == NULL)
        return NULL;
      g_ptr_array_add (table->columns, column);
    }

  return g_steal_pointer (&table);
}

static void
add_problem (GHashTable **fields,
             const char  *column,
             char        *sentence)
{
  if (*fields == NULL)
    *fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace (*fields, g_strdup (column), sentence);
}

/* "12", "12.5": a bound as a person reads it. */
static char *
format_bound (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (value == (double) (gint64) value && value > -1e15 && value < 1e15)
    return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) value);
  return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, value));
}

char *
navette_wire_column_problem (const NavetteWireColumn *column,
                             JsonNode                *node)
{
  g_return_val_if_fail (column != NULL, NULL);
  g_return_val_if_fail (node != NULL, NULL);

  if (JSON_NODE_HOLDS_NULL (node))
    return column->required ? g_strdup (_("is required")) : NULL;

  if (navette_column_type_is_text (column->type))
    {
      const char *text;

      if (!node_is_type (node, G_TYPE_STRING))
        return g_strdup (_("must be text"));
      text = json_node_get_string (node);
      if (column->max_length > 0 && navette_column_type_has_length (column->type) &&
          (gint64) g_utf8_strlen (text, -1) > column->max_length)
        {
          g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT, column->max_length);

          /* Translators: %s is a number of characters. */
          return g_strdup_printf (_("must be at most %s characters long"), max);
        }
      if (column->type == NAVETTE_COLUMN_CHOICE &&
          (column->choices == NULL || !g_strv_contains ((const char * const *) column->choices, text)))
        return g_strdup (_("must be one of the column’s choices"));
      if (column->type == NAVETTE_COLUMN_URL && !navette_url_is_valid (text))
        return g_strdup (_("must be a web address starting with http:// or https://"));
      if (column->type == NAVETTE_COLUMN_EMAIL && !navette_email_is_valid (text))
        return g_strdup (_("must be an email address (name@example.org)"));
      return NULL;
    }

  switch (column->type)
    {
    case NAVETTE_COLUMN_INTEGER:
      if (!node_is_type (node, G_TYPE_INT64))
        return g_strdup (_("must be an integer"));
      break;
    case NAVETTE_COLUMN_REAL:
      if (!node_is_type (node, G_TYPE_INT64) && !node_is_type (node, G_TYPE_DOUBLE))
        return g_strdup (_("must be a number"));
      break;
    case NAVETTE_COLUMN_BOOLEAN:
      if (!node_is_type (node, G_TYPE_BOOLEAN))
        return g_strdup (_("must be true or false"));
      return NULL;
    case NAVETTE_COLUMN_DATE:
      if (!node_is_type (node, G_TYPE_STRING) || !navette_date_is_valid (json_node_get_string (node)))
        return g_strdup (_("must be a date (YYYY-MM-DD)"));
      return NULL;
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_CHOICE:
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    default:
      g_assert_not_reached ();
    }

  /* a number: its range */
  {
    double value = node_is_type (node, G_TYPE_INT64) ? (double) json_node_get_int (node)
                                                     : json_node_get_double (node);

    if (column->has_min && value < column->min)
      {
        g_autofree char *min = format_bound (column->min);

        /* Translators: %s is a number. */
        return g_strdup_printf (_("must be at least %s"), min);
      }
    if (column->has_max && value > column->max)
      {
        g_autofree char *max = format_bound (column->max);

        /* Translators: %s is a number. */
        return g_strdup_printf (_("must be at most %s"), max);
      }
  }
  return NULL;
}

gboolean
navette_wire_validate_data (const NavetteWireTable *table,
                            JsonObject             *data,
                            gboolean                complete,
                            GHashTable            **fields)
{
  g_autoptr(GList) members = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (fields != NULL, FALSE);

  members = json_object_get_members (data);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      const NavetteWireColumn *column = navette_wire_table_lookup_column (table, name);
      JsonNode *node = json_object_get_member (data, name);
      char *problem;

      if (column == NULL)
        {
          add_problem (fields, name, g_strdup (_("is not a column of this table")));
          ok = FALSE;
          continue;
        }
      problem = navette_wire_column_problem (column, node);
      if (problem != NULL)
        {
          add_problem (fields, name, problem);
          ok = FALSE;
        }
    }

  if (complete)
    {
      for (guint i = 0; i < table->columns->len; i++)
        {
          const NavetteWireColumn *column = g_ptr_array_index (table->columns, i);
          JsonNode *node;

          if (!column->required)
            continue;
          node = json_object_get_member (data, column->name);
          if (node == NULL || JSON_NODE_HOLDS_NULL (node))
            {
              add_problem (fields, column->name, g_strdup (_("is required")));
              ok = FALSE;
            }
        }
    }

  return ok;
}

char *
navette_title_from_name (const char *name)
{
  char *title;

  g_return_val_if_fail (name != NULL, NULL);

  title = g_strdup (name);
  for (char *p = title; *p != '\0'; p++)
    {
      if (*p == '_')
        *p = ' ';
    }
  title[0] = g_ascii_toupper (title[0]);
  return title;
}

/* A bound "min=N" or "max=N" of a number column. */
static gboolean
parse_bound (const char  *spec,
             const char  *text,
             double      *value,
             GError     **error)
{
  char *end = NULL;

  *value = g_ascii_strtod (text, &end);
  if (text[0] == '\0' || end == NULL || *end != '\0' || !isfinite (*value))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s”: “%s” is not a number.", spec, text);
      return FALSE;
    }
  return TRUE;
}

NavetteWireColumn *
navette_wire_column_from_spec (const char  *spec,
                               GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(NavetteWireColumn) column = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *title = NULL;
  NavetteColumnType type;

  g_return_val_if_fail (spec != NULL, NULL);

  parts = g_strsplit (spec, ":", -1);
  if (g_strv_length (parts) < 2)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s”: a column is name:type[:required][:MAXLEN][:min=N][:max=N]"
                   "[:choices=A|B|…].", spec);
      return NULL;
    }
  if (!navette_name_is_valid (parts[0]))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a valid column name.", parts[0]);
      return NULL;
    }
  if (!navette_column_type_from_string (parts[1], &type))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "“%s” is not a column type: use text, long_text, integer, real, boolean, "
                   "date, choice, url or email.", parts[1]);
      return NULL;
    }
  title = navette_title_from_name (parts[0]);
  column = navette_wire_column_new (parts[0], title, type, FALSE, 0);
  for (guint i = 2; parts[i] != NULL; i++)
    {
      guint64 value;

      if (g_strcmp0 (parts[i], "required") == 0)
        column->required = TRUE;
      else if (g_strcmp0 (parts[i], "optional") == 0)
        column->required = FALSE;
      else if (g_str_has_prefix (parts[i], "choices="))
        {
          g_autofree char *rest = g_strjoinv (":", parts + i);

          g_strfreev (column->choices);
          column->choices = g_strsplit (rest + strlen ("choices="), "|", -1);
          break;
        }
      else if (g_str_has_prefix (parts[i], "min="))
        {
          if (!parse_bound (spec, parts[i] + 4, &column->min, error))
            return NULL;
          column->has_min = TRUE;
        }
      else if (g_str_has_prefix (parts[i], "max="))
        {
          if (!parse_bound (spec, parts[i] + 4, &column->max, error))
            return NULL;
          column->has_max = TRUE;
        }
      else if (g_ascii_string_to_unsigned (parts[i], 10, 1, G_MAXINT32, &value, NULL))
        column->max_length = (gint64) value;
      else
        {
          g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                       "“%s”: “%s” is none of “required”, a maximum length, min=, max= "
                       "or choices=.", spec, parts[i]);
          return NULL;
        }
    }
  if (!navette_wire_column_check (column, &local_error))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST, "“%s”: %s", spec,
                   local_error->message);
      return NULL;
    }
  return g_steal_pointer (&column);
}
