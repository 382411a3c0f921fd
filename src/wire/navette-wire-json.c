/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-json.c — the strict JSON decoder, and our JSON writers.
 *
 * json-glib 1.6 recurses without a limit (so very deep nesting overflows
 * the stack), keeps the last of duplicate keys and silently wraps integers
 * that do not fit in gint64. So every input is first checked by the strict
 * scanner (navette-wire-scan.c), which follows RFC 8259 exactly and adds
 * our limits; only input that passes is handed to JsonParser. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <math.h>
#include <string.h>

#include "navette-wire-scan-private.h"

static JsonNode *
parse_strict (const char  *data,
              gsize        len,
              guint        max_items,
              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  NavetteWireScan s;
  JsonNode *root;

  if (!navette_wire_scan_begin (&s, data, len, "The request body is empty", error))
    return NULL;
  s.max_items = max_items;
  if (!navette_wire_scan_value (&s, NULL) || !navette_wire_scan_end (&s))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Malformed JSON: %s", local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The request body is empty");
      return NULL;
    }
  return json_node_ref (root);
}

JsonNode *
navette_json_parse_strict (const char  *data,
                           gsize        len,
                           GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return parse_strict (data, len, 0, error);
}

JsonNode *
navette_json_parse_request (const char  *data,
                            gsize        len,
                            GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return parse_strict (data, len, NAVETTE_JSON_MAX_REQUEST_ITEMS, error);
}

char *
navette_json_to_string (JsonNode *node,
                        gsize    *length)
{
  GString *out;

  g_return_val_if_fail (node != NULL, NULL);

  /* Not JsonGenerator: json-glib 1.6 writes doubles such as 1e22 as
   * "1e+22.0", which is not JSON. */
  out = g_string_sized_new (128);
  navette_json_append_node (out, node);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

void
navette_json_append_string (GString    *out,
                            const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run;
  const char *p;

  g_return_if_fail (out != NULL);

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  run = text;
  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *escape = NULL;
      char unicode[7];

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      switch (c)
        {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default:
          unicode[0] = '\\';
          unicode[1] = 'u';
          unicode[2] = '0';
          unicode[3] = '0';
          unicode[4] = hex[c >> 4];
          unicode[5] = hex[c & 0xf];
          unicode[6] = '\0';
          escape = unicode;
          break;
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, escape);
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

void
navette_json_append_double (GString *out,
                            double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (out != NULL);

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  /* the shortest of %.15g, %.16g, %.17g that reads back exactly */
  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (precision == 17 || g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
  if (strpbrk (buffer, ".eE") == NULL)
    g_string_append (out, ".0");
}

void
navette_json_append_object (GString    *out,
                            JsonObject *object)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gboolean first = TRUE;

  g_return_if_fail (out != NULL);
  g_return_if_fail (object != NULL);

  g_string_append_c (out, '{');
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      navette_json_append_string (out, name);
      g_string_append_c (out, ':');
      navette_json_append_node (out, member);
    }
  g_string_append_c (out, '}');
}

void
navette_json_append_node (GString  *out,
                          JsonNode *node)
{
  g_return_if_fail (out != NULL);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      g_string_append (out, "null");
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      navette_json_append_object (out, json_node_get_object (node));
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      g_string_append_c (out, '[');
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          navette_json_append_node (out, json_array_get_element (array, i));
        }
      g_string_append_c (out, ']');
      return;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      navette_json_append_string (out, json_node_get_string (node));
      break;
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      navette_json_append_double (out, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}

void
navette_wire_user_add_members (JsonBuilder *builder,
                               const char  *username,
                               const char  *display_name,
                               gboolean     admin)
{
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, display_name);
  json_builder_set_member_name (builder, "admin");
  json_builder_add_boolean_value (builder, admin);
}
