/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-names.c — names, UUIDs and dates. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <string.h>

#include "navette-wire.h"

gboolean
navette_name_is_valid (const char *name)
{
  gsize i;

  if (name == NULL || !(name[0] >= 'a' && name[0] <= 'z'))
    return FALSE;
  for (i = 1; name[i] != '\0'; i++)
    {
      char c = name[i];

      if (i > 62)
        return FALSE;
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
        return FALSE;
    }
  return TRUE;
}

gboolean
navette_uuid_is_valid (const char *text)
{
  if (text == NULL || strlen (text) != 36)
    return FALSE;
  for (guint i = 0; i < 36; i++)
    {
      char c = text[i];

      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (c != '-')
            return FALSE;
        }
      else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return FALSE;
    }
  return TRUE;
}

char *
navette_uuid_new (void)
{
  return g_uuid_string_random ();
}

gboolean
navette_date_is_valid (const char *text)
{
  guint year, month, day;

  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;

  year = (guint) g_ascii_strtoull (text, NULL, 10);
  month = (guint) g_ascii_strtoull (text + 5, NULL, 10);
  day = (guint) g_ascii_strtoull (text + 8, NULL, 10);
  if (year < 1 || month < 1 || month > 12 || day < 1)
    return FALSE;
  return g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year);
}
