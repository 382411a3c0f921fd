/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-password.c — argon2id password hashes with libsodium. */
#define G_LOG_DOMAIN "navette-password"

#include "config.h"

#include <string.h>
#include <sodium.h>

#include "navette-password.h"
#include "navette-wire.h"

static void
ensure_sodium (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_error ("libsodium cannot be initialized");
      g_once_init_leave (&initialized, 1);
    }
}

char *
navette_password_hash (const char  *password,
                       GError     **error)
{
  char out[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ensure_sodium ();

  if (crypto_pwhash_str_alg (out, password, strlen (password),
                             crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE,
                             crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_INTERNAL,
                           "The password could not be hashed (out of memory).");
      return NULL;
    }

  return g_strdup (out);
}

gboolean
navette_password_verify (const char *encoded_hash,
                         const char *password)
{
  gsize len;

  if (encoded_hash == NULL || password == NULL)
    return FALSE;

  ensure_sodium ();

  len = strlen (encoded_hash);
  if (len == 0 || len >= crypto_pwhash_STRBYTES)
    return FALSE;

  return crypto_pwhash_str_verify (encoded_hash, password, strlen (password)) == 0;
}

static gpointer
make_dummy_hash (gpointer data)
{
  unsigned char random_bytes[16];
  char random_password[sizeof random_bytes * 2 + 1];
  char *hash;

  ensure_sodium ();
  randombytes_buf (random_bytes, sizeof random_bytes);
  sodium_bin2hex (random_password, sizeof random_password,
                  random_bytes, sizeof random_bytes);
  hash = navette_password_hash (random_password, NULL);
  return hash != NULL ? hash : g_strdup ("");
}

const char *
navette_password_dummy_hash (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, make_dummy_hash, NULL);
}

char *
navette_password_generate (void)
{
  /* no 0/O, 1/l/I */
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  GString *password = g_string_sized_new (24);

  for (guint i = 0; i < 20; i++)
    {
      if (i > 0 && i % 5 == 0)
        g_string_append_c (password, '-');
      g_string_append_c (password, alphabet[randombytes_uniform (sizeof alphabet - 1)]);
    }
  return g_string_free (password, FALSE);
}
