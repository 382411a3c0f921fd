/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-schema.c — table schemas and data validation. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-wire.h"

static const char * const column_type_names[] = {
  [NAVETTE_COLUMN_TEXT]    = "text",
  [NAVETTE_COLUMN_INTEGER] = "integer",
  [NAVETTE_COLUMN_REAL]    = "real",
  [NAVETTE_COLUMN_BOOLEAN] = "boolean",
  [NAVETTE_COLUMN_DATE]    = "date",
};

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
  g_free (column);
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

void
navette_wire_table_to_json (const NavetteWireTable *table,
                            JsonBuilder            *builder)
{
  g_return_if_fail (table != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, table->name);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, table->title);
  json_builder_set_member_name (builder, "columns");
  json_builder_begin_array (builder);
  for (guint i = 0; i < table->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->columns, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, column->name);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, column->title);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, navette_column_type_to_string (column->type));
      json_builder_set_member_name (builder, "required");
      json_builder_add_boolean_value (builder, column->required);
      if (column->type == NAVETTE_COLUMN_TEXT && column->max_length > 0)
        {
          json_builder_set_member_name (builder, "max_length");
          json_builder_add_int_value (builder, column->max_length);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
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
      JsonObject *column;
      const char *column_name;
      const char *type_name;
      NavetteColumnType type;
      JsonNode *node;
      gboolean required = FALSE;
      gint64 max_length = 0;

      if (!JSON_NODE_HOLDS_OBJECT (column_node))
        {
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                               "a column must be an object");
          return NULL;
        }
      column = json_node_get_object (column_node);
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
      g_ptr_array_add (table->columns,
                       navette_wire_column_new (column_name,
                                                get_string (column, "title", TRUE, NULL),
                                                type, required, max_length));
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

      if (column == NULL)
        {
          add_problem (fields, name, g_strdup (_("is not a column of this table")));
          ok = FALSE;
          continue;
        }
      if (JSON_NODE_HOLDS_NULL (node))
        {
          if (column->required)
            {
              add_problem (fields, name, g_strdup (_("is required")));
              ok = FALSE;
            }
          continue;
        }
      switch (column->type)
        {
        case NAVETTE_COLUMN_TEXT:
          if (!node_is_type (node, G_TYPE_STRING))
            {
              add_problem (fields, name, g_strdup (_("must be text")));
              ok = FALSE;
            }
          else if (column->max_length > 0 &&
                   (gint64) g_utf8_strlen (json_node_get_string (node), -1) > column->max_length)
            {
              g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                      column->max_length);

              /* Translators: %s is a number of characters. */
              add_problem (fields, name,
                           g_strdup_printf (_("must be at most %s characters long"), max));
              ok = FALSE;
            }
          break;
        case NAVETTE_COLUMN_INTEGER:
          if (!node_is_type (node, G_TYPE_INT64))
            {
              add_problem (fields, name, g_strdup (_("must be an integer")));
              ok = FALSE;
            }
          break;
        case NAVETTE_COLUMN_REAL:
          if (!node_is_type (node, G_TYPE_INT64) && !node_is_type (node, G_TYPE_DOUBLE))
            {
              add_problem (fields, name, g_strdup (_("must be a number")));
              ok = FALSE;
            }
          break;
        case NAVETTE_COLUMN_BOOLEAN:
          if (!node_is_type (node, G_TYPE_BOOLEAN))
            {
              add_problem (fields, name, g_strdup (_("must be true or false")));
              ok = FALSE;
            }
          break;
        case NAVETTE_COLUMN_DATE:
          if (!node_is_type (node, G_TYPE_STRING) ||
              !navette_date_is_valid (json_node_get_string (node)))
            {
              add_problem (fields, name, g_strdup (_("must be a date (YYYY-MM-DD)")));
              ok = FALSE;
            }
          break;
        default:
          g_assert_not_reached ();
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
