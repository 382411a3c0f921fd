/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-log-escape.c — a client's text as one access-log field (see the
 * header). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include "navette-log-escape.h"

void
navette_log_escape_append (GString    *out,
                           const char *text)
{
  static const char hex[] = "0123456789ABCDEF";

  g_return_if_fail (out != NULL);

  if (text == NULL || *text == '\0')
    {
      g_string_append_c (out, '-');
      return;
    }
  if (g_str_equal (text, "-"))
    {
      g_string_append (out, "%2D");
      return;
    }
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p > 0x20 && *p < 0x7f && *p != '%')
        g_string_append_c (out, (char) *p);
      else
        {
          g_string_append_c (out, '%');
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
    }
}
