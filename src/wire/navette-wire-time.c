/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-time.c — RFC 3339 UTC times with microseconds. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <string.h>

#include "navette-wire.h"

/* RFC 3339 has four-digit years: times outside 0001-01-01 … 9999-12-31
 * (only reachable through data written by other programs) are clamped to
 * the nearest end of that range rather than producing text that
 * navette_time_parse() would refuse. */
#define NAVETTE_TIME_MIN G_GINT64_CONSTANT (-62135596800)  /* 0001-01-01T00:00:00Z */
#define NAVETTE_TIME_MAX G_GINT64_CONSTANT (253402300799)  /* 9999-12-31T23:59:59Z */

char *
navette_time_format (gint64 unix_usec)
{
  g_autoptr(GDateTime) utc = NULL;
  gint64 seconds = unix_usec / G_USEC_PER_SEC;
  gint64 usec = unix_usec % G_USEC_PER_SEC;
  int year, month, day;

  if (usec < 0)
    {
      usec += G_USEC_PER_SEC;
      seconds -= 1;
    }
  if (seconds < NAVETTE_TIME_MIN)
    {
      seconds = NAVETTE_TIME_MIN;
      usec = 0;
    }
  else if (seconds > NAVETTE_TIME_MAX)
    {
      seconds = NAVETTE_TIME_MAX;
      usec = G_USEC_PER_SEC - 1;
    }
  utc = g_date_time_new_from_unix_utc (seconds);
  g_assert (utc != NULL);
  g_date_time_get_ymd (utc, &year, &month, &day);
  /* %Y is not zero-padded for years before 1000: format every field. */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                          year, month, day,
                          g_date_time_get_hour (utc),
                          g_date_time_get_minute (utc),
                          g_date_time_get_second (utc),
                          (int) usec);
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
