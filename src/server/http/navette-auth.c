/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-auth.c — bearer tokens of navette-server. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>
#include <sodium.h>

#include "navette-auth.h"

char *
navette_auth_token_new (char **hash)
{
  guchar random[32];
  g_autofree char *encoded = NULL;
  char *p;

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
  randombytes_buf (random, sizeof random);

  encoded = g_base64_encode (random, sizeof random);
  sodium_memzero (random, sizeof random);
  /* base64 → base64url, no padding */
  for (p = encoded; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  g_assert (strlen (encoded) == NAVETTE_TOKEN_LENGTH);

  if (hash != NULL)
    *hash = navette_auth_token_hash (encoded);
  return g_steal_pointer (&encoded);
}

char *
navette_auth_token_hash (const char *token)
{
  g_return_val_if_fail (token != NULL, NULL);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

char *
navette_auth_parse_bearer (const char *header)
{
  const char *token;
  gsize len;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  token = header + 7;
  while (*token == ' ')
    token++;
  len = strlen (token);
  while (len > 0 && token[len - 1] == ' ')
    len--;
  if (len == 0 || len > 256)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      char c = token[i];

      if (!(g_ascii_isalnum (c) || c == '-' || c == '_'))
        return NULL;
    }
  return g_strndup (token, len);
}
