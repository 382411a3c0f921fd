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
navette_username_is_valid (const char *username)
{
  gsize len = username != NULL ? strlen (username) : 0;

  if (len == 0 || len > 64 || !(g_ascii_islower (username[0]) || g_ascii_isdigit (username[0])))
    return FALSE;
  for (const char *p = username; *p != '\0'; p++)
    {
      if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_' || *p == '-' || *p == '.'))
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

gboolean
navette_url_is_valid (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (text == NULL || !g_utf8_validate (text, -1, NULL) || strlen (text) > NAVETTE_URL_MAX_LENGTH)
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return FALSE;
    }
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
      && host != NULL && host[0] != '\0';
}

static gboolean
email_label_is_valid (const char *label,
                      gsize       length)
{
  if (length < 1 || length > 63 || label[0] == '-' || label[length - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) label[i];

      if (!(g_ascii_isalnum (c) || c == '-' || c >= 0x80))
        return FALSE;
    }
  return TRUE;
}

gboolean
navette_email_is_valid (const char *text)
{
  const char *at;
  const char *domain;
  const char *label;
  gsize local_length;
  guint labels = 0;

  if (text == NULL || !g_utf8_validate (text, -1, NULL) || strlen (text) > 254)
    return FALSE;
  at = strchr (text, '@');
  if (at == NULL || strchr (at + 1, '@') != NULL)
    return FALSE;
  local_length = (gsize) (at - text);
  if (local_length < 1 || local_length > 64)
    return FALSE;
  for (const char *p = text; p < at; p++)
    {
      guchar c = (guchar) *p;

      if (c <= ' ' || c == 0x7f || strchr ("<>()[]\\,;:\"", c) != NULL)
        return FALSE;
    }
  domain = at + 1;
  label = domain;
  for (const char *p = domain; ; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          if (!email_label_is_valid (label, (gsize) (p - label)))
            return FALSE;
          labels++;
          if (*p == '\0')
            break;
          label = p + 1;
        }
    }
  return labels >= 2;
}
