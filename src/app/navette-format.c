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
