/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-password.h — password hashing for navette-server.
 *
 * libsodium's argon2id (crypto_pwhash_str, "interactive" limits: about
 * 64 MiB and a tenth of a second per hash). The encoded string carries the
 * algorithm, its parameters and the salt, so it is all the database keeps. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns the encoded hash ("$argon2id$v=19$m=…"), or NULL with
 * NAVETTE_API_ERROR_INTERNAL when the KDF cannot run (out of memory). */
char     *navette_password_hash   (const char *password,
                                   GError    **error);
/* TRUE when @password matches @encoded_hash. FALSE for a NULL or malformed
 * hash. Takes as long as a hash: use it for unknown users too (with
 * navette_password_dummy_hash()) so timing does not tell who exists. */
gboolean  navette_password_verify (const char *encoded_hash,
                                   const char *password);
/* The shortest password accepted: NAVETTE_PASSWORD_MIN_LENGTH (in
 * characters), in navette-wire.h, as clients say it too. */
/* A random password of 20 characters from an alphabet without look-alike
 * characters (about 110 bits), for an account made without one. */
char     *navette_password_generate (void);

/* A valid hash of a random password, computed once per process. */
const char *navette_password_dummy_hash (void);

G_END_DECLS
