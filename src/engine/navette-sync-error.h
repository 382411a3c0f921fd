/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * NavetteSyncError:
 * @NAVETTE_SYNC_ERROR_NETWORK: connection refused or lost, DNS failure.
 * @NAVETTE_SYNC_ERROR_TIMEOUT: no answer within the client's timeout.
 * @NAVETTE_SYNC_ERROR_AUTH_EXPIRED: the session's token expired (401 auth_expired).
 * @NAVETTE_SYNC_ERROR_AUTH_REQUIRED: not signed in, token unknown or revoked,
 *   wrong credentials (401 auth_required).
 * @NAVETTE_SYNC_ERROR_FORBIDDEN: the role does not allow the action (403).
 * @NAVETTE_SYNC_ERROR_VALIDATION: the data breaks the table schema (422);
 *   per-column messages via navette_sync_error_get_fields().
 * @NAVETTE_SYNC_ERROR_NOT_FOUND: unknown application, table or record (404).
 * @NAVETTE_SYNC_ERROR_CONFLICT: 409 (idempotency key reused, id taken).
 * @NAVETTE_SYNC_ERROR_SERVER: any other server-side failure (500 and other
 *   5xx but 502/503/504, and unexpected 4xx such as 400/413/415/429).
 * @NAVETTE_SYNC_ERROR_UNAVAILABLE: 503 — the database is busy or down —
 *   and 502/504 from a gateway that cannot reach the server.
 * @NAVETTE_SYNC_ERROR_SERIALIZATION: the answer is not the JSON expected
 *   (malformed, truncated, wrong shape).
 * @NAVETTE_SYNC_ERROR_TLS: the server's TLS certificate does not verify
 *   (unknown authority, wrong name, expired); permanent, not retried.
 *
 * Every message is a translated sentence for a person, chosen from the
 * API's code, "reason" and "fields" (never from the server's English
 * "message", which only follows a translated lead-in for a refusal this
 * client cannot name). A cancelled
 * operation fails with GLib's own G_IO_ERROR_CANCELLED, never with a code
 * of this domain.
 */
typedef enum
{
  NAVETTE_SYNC_ERROR_NETWORK,
  NAVETTE_SYNC_ERROR_TIMEOUT,
  NAVETTE_SYNC_ERROR_AUTH_EXPIRED,
  NAVETTE_SYNC_ERROR_AUTH_REQUIRED,
  NAVETTE_SYNC_ERROR_FORBIDDEN,
  NAVETTE_SYNC_ERROR_VALIDATION,
  NAVETTE_SYNC_ERROR_NOT_FOUND,
  NAVETTE_SYNC_ERROR_CONFLICT,
  NAVETTE_SYNC_ERROR_SERVER,
  NAVETTE_SYNC_ERROR_UNAVAILABLE,
  NAVETTE_SYNC_ERROR_SERIALIZATION,
  /* 11 was a "cancelled" code: journals of format 1 keep codes as
   * numbers, so the numbers stay. */
  NAVETTE_SYNC_ERROR_TLS = 12,
} NavetteSyncError;

#define NAVETTE_SYNC_ERROR (navette_sync_error_quark ())
GQuark       navette_sync_error_quark        (void);

/* TRUE for NETWORK, TIMEOUT and UNAVAILABLE (502, 503, 504): the server
 * cannot be reached or cannot answer right now; the same request will
 * work later. A change that fails so is kept and sent again, never rolled
 * back. FALSE for every other error (permanent: the same request would get
 * the same answer), and for errors of other domains. */
gboolean     navette_sync_error_is_transient (const GError *error);

/* The per-column messages of a VALIDATION error (column name → sentence),
 * or NULL when @error has none. The table belongs to the error: valid as
 * long as @error lives. */
GHashTable  *navette_sync_error_get_fields   (const GError *error);

/* The server's own sentence (the error body's "message", in English), or
 * NULL when the server did not answer with one. The message of the error
 * is the engine's translated sentence, chosen from the code, the reason
 * and the fields, never from this text; `navette-cli` prints it as a
 * detail for operators. Valid as long as @error lives. */
const char  *navette_sync_error_get_server_message (const GError *error);

/* The error body's "reason" (docs/api.md "Errors", one of
 * NAVETTE_API_REASON_*), or NULL when the server gave none. Valid as long
 * as @error lives. */
const char  *navette_sync_error_get_reason (const GError *error);

/* The translated sentence of a refusal's @reason (NAVETTE_API_REASON_*)
 * and @count (the records it is about, -1: not said), or NULL for a
 * reason this client does not know. */
char        *navette_refusal_reason_to_sentence (const char *reason,
                                                 gint64      count);

/* The translated sentence of a NAVETTE_API_ERROR from the wire layer run
 * here (a column checked before it is sent): the reason's sentence, else
 * a translated lead-in and the wire's (English) message. */
char        *navette_api_error_to_sentence (const GError *error);

/* A short machine name of the code ("network", "timeout", "auth_expired",
 * …), for `navette-cli --json` and logs. */
const char  *navette_sync_error_code_to_string (NavetteSyncError code);

G_END_DECLS
