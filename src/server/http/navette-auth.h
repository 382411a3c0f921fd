/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-auth.h — bearer tokens of navette-server.
 *
 * A token is 256 random bits (libsodium's randombytes_buf), encoded as
 * unpadded base64url (43 characters). Only its SHA-256 (hex) is stored. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NAVETTE_TOKEN_LENGTH 43

/* Returns a new random token; *hash (optional) gets its SHA-256 hex. */
char     *navette_auth_token_new        (char       **hash);
/* SHA-256 hex of @token. */
char     *navette_auth_token_hash       (const char  *token);
/* Extracts the token of an "Authorization: Bearer <token>" header value.
 * Returns NULL when the value is not a well-formed bearer token. */
char     *navette_auth_parse_bearer     (const char  *header);

G_END_DECLS
