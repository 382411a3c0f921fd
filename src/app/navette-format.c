/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-format.h"

char *
navette_format_relative_time (gint64 unix_usec,
                              gint64 now_usec)
{
  gint64 seconds = (now_usec - unix_usec) / G_USEC_PER_SEC;
  g_autoptr(GDateTime) then = NULL;

  if (seconds < 60)
    return g_strdup (_("just now"));
  if (seconds < 3600)
    {
      int minutes = (int) (seconds / 60);

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", minutes), minutes);
    }
  if (seconds < 24 * 3600)
    {
      int hours = (int) (seconds / 3600);

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", hours), hours);
    }
  if (seconds < 48 * 3600)
    return g_strdup (_("yesterday"));

  then = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);
  /* Translators: a date, see the strftime manual; e.g. "12 March 2026" */
  return g_date_time_format (then, _("%e %B %Y"));
}

char *
navette_format_absolute_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);

  if (then == NULL)
    return g_strdup ("");
  /* Translators: a date and time, see the strftime manual; e.g.
   * "28 November 2026, 10:31:05" */
  return g_date_time_format (then, _("%e %B %Y, %H:%M:%S"));
}

char *
navette_format_clock_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);

  if (then == NULL)
    return g_strdup ("");
  return g_date_time_format (then, "%H:%M");
}

char *
navette_format_record_name (NavetteTable  *table,
                            NavetteRecord *record)
{
  const NavetteWireTable *schema;

  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (NAVETTE_IS_RECORD (record), NULL);

  schema = navette_table_get_schema (table);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      const char *text;

      if (column->type != NAVETTE_COLUMN_TEXT)
        continue;
      text = navette_record_get_string (record, column->name);
      if (text != NULL && text[0] != '\0')
        return g_strdup (text);
    }
  return NULL;
}

char *
navette_format_value (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    /* Translators: an empty value in the history ("Price: — → 12.50") */
    return g_strdup (_("—"));
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      /* In the user's locale, as the list shows it ("12,50" in French). */
      return g_strdup_printf ("%.2f", json_node_get_double (node));
    default:
      {
        const char *text = json_node_get_string (node);

        if (text != NULL && g_utf8_strlen (text, -1) > 40)
          {
            g_autofree char *cut = g_utf8_substring (text, 0, 40);

            return g_strconcat (cut, "…", NULL);
          }
        return g_strdup (text != NULL ? text : "");
      }
    }
}

gboolean
navette_format_same_value (JsonNode *a,
                           JsonNode *b)
{
  gboolean a_null = a == NULL || JSON_NODE_HOLDS_NULL (a);
  gboolean b_null = b == NULL || JSON_NODE_HOLDS_NULL (b);

  if (a_null || b_null)
    return a_null == b_null;
  if (json_node_get_value_type (a) == G_TYPE_STRING || json_node_get_value_type (b) == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
  if (json_node_get_value_type (a) == G_TYPE_BOOLEAN || json_node_get_value_type (b) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (a) == json_node_get_boolean (b);
  return json_node_get_double (a) == json_node_get_double (b);
}
