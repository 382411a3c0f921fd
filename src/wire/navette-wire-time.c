/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-time.c — RFC 3339 UTC times with microseconds. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <string.h>

#include "navette-wire.h"

char *
navette_time_format (gint64 unix_usec)
{
  g_autoptr(GDateTime) utc = NULL;
  gint64 seconds = unix_usec / G_USEC_PER_SEC;
  gint64 usec = unix_usec % G_USEC_PER_SEC;
  g_autofree char *base = NULL;

  if (usec < 0)
    {
      usec += G_USEC_PER_SEC;
      seconds -= 1;
    }
  utc = g_date_time_new_from_unix_utc (seconds);
  if (utc == NULL)
    return g_strdup ("1970-01-01T00:00:00.000000Z");
  base = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%06dZ", base, (int) usec);
}

gboolean
navette_time_parse (const char *text,
                    gint64     *unix_usec)
{
  g_autoptr(GDateTime) parsed = NULL;
  gint64 usec;

  g_return_val_if_fail (unix_usec != NULL, FALSE);

  /* RFC 3339 needs a date, a time and an offset: "T" and "Z"/±hh:mm. */
  if (text == NULL || strlen (text) < 20 || (text[10] != 'T' && text[10] != 't'))
    return FALSE;
  parsed = g_date_time_new_from_iso8601 (text, NULL);
  if (parsed == NULL)
    return FALSE;
  usec = g_date_time_to_unix (parsed) * G_USEC_PER_SEC + g_date_time_get_microsecond (parsed);
  *unix_usec = usec;
  return TRUE;
}

gint64
navette_time_now (void)
{
  return g_get_real_time ();
}
