/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteClient — the only code of the engine that builds HTTP requests.
 *
 * Wraps a SoupSession with the server's base URL, the bearer token and a
 * timeout; every answer is checked with the shared wire layer and every
 * failure becomes a NAVETTE_SYNC_ERROR. Large bodies are parsed in a worker
 * thread. The application code (UI, CLI) normally uses NavetteEngine,
 * NavetteStore and NavetteTable, and the client only for what they do not
 * cover. */
#pragma once

#include <libsoup/soup.h>

#include "navette-engine-types.h"
#include "navette-wire.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_CLIENT (navette_client_get_type ())
G_DECLARE_FINAL_TYPE (NavetteClient, navette_client, NAVETTE, CLIENT, GObject)

/* @base_url: "http://host:port" (with or without a trailing slash, without
 * "/api/v1"). */
NavetteClient *navette_client_new                (const char     *base_url);

/* Properties: "base-url" (construct-only), "token" (may be NULL),
 * "timeout" (seconds, 0 = none; default 30), "bytes-received" (total body
 * bytes received, guint64, read-only), "requests" (guint64, read-only). */
const char    *navette_client_get_base_url       (NavetteClient  *self);
/* Round 2: points the client at another address before the first request
 * (the local mode knows its server's port only once it runs). Requests
 * made afterwards use it. */
void           navette_client_set_base_url       (NavetteClient  *self,
                                                  const char     *base_url);
const char    *navette_client_get_token          (NavetteClient  *self);
void           navette_client_set_token          (NavetteClient  *self,
                                                  const char     *token);
guint          navette_client_get_timeout        (NavetteClient  *self);
void           navette_client_set_timeout        (NavetteClient  *self,
                                                  guint           seconds);
/* Trusts only the certificate authorities of the PEM file @ca_file (a
 * self-hosted server's own CA) instead of the system store; NULL goes back
 * to the system store. Certificates are always verified: one that does not
 * verify fails every request with NAVETTE_SYNC_ERROR_TLS. FALSE and
 * @error (G_TLS_ERROR or G_FILE_ERROR) when the file cannot be read. */
gboolean       navette_client_set_ca_file        (NavetteClient  *self,
                                                  const char     *ca_file,
                                                  GError        **error);
guint64        navette_client_get_bytes_received (NavetteClient  *self);
guint64        navette_client_get_requests       (NavetteClient  *self);

/* Signal "auth-failed" (GError *error): emitted whenever an answer is 401
 * (AUTH_EXPIRED or AUTH_REQUIRED) for a request that carried a token.
 * NavetteSession turns it into one "auth-expired". */

/**
 * navette_client_request_async:
 * @method: "GET", "POST", "PATCH", "DELETE"
 * @path: the path below the base URL, starting with "/api/v1/…" (query
 *   string allowed)
 * @body: (nullable): request body, sent as application/json
 * @idempotency_key: (nullable): sent as `Idempotency-Key`
 * @if_none_match: (nullable): sent as `If-None-Match`
 *
 * Sends one request. On success, _finish returns the parsed JSON root
 * (strictly parsed, in a worker thread when the body is large), or NULL
 * with no error for a 204 or a 304 (see @not_modified). On failure, a
 * NAVETTE_SYNC_ERROR.
 */
void           navette_client_request_async      (NavetteClient       *self,
                                                  const char          *method,
                                                  const char          *path,
                                                  JsonNode            *body,
                                                  const char          *idempotency_key,
                                                  const char          *if_none_match,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* @status: (out) (optional): HTTP status; @etag: (out) (optional) (transfer
 * full): the ETag header; @not_modified: (out) (optional): TRUE for 304. */
JsonNode      *navette_client_request_finish     (NavetteClient       *self,
                                                  GAsyncResult        *result,
                                                  guint               *status,
                                                  char               **etag,
                                                  gboolean            *not_modified,
                                                  GError             **error);

/* Builds "/api/v1/applications/APP/tables/TABLE" + @suffix (may be NULL),
 * escaping nothing: names are validated with navette_name_is_valid(). */
char          *navette_client_table_path         (const char          *app,
                                                  const char          *table,
                                                  const char          *suffix);

/* Records: GET …/records[?since=N], every page of it (following "next"
 * as `after`, docs/api.md "Paging"). _finish returns a GPtrArray of
 * NavetteWireRecord* (sorted by id; large pages parsed in a worker
 * thread) and the walk's revision (its first page's). */
void           navette_client_list_records_async (NavetteClient       *self,
                                                  const char          *app,
                                                  const char          *table,
                                                  gint64               since,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* Returns (transfer container): NavetteWireRecord* with a free func. */
GPtrArray     *navette_client_list_records_finish (NavetteClient      *self,
                                                   GAsyncResult       *result,
                                                   gint64             *revision,
                                                   GError            **error);

/* GET …/records/ID/versions, every page → GPtrArray of NavetteWireRecord*
 * (newest first; `obsolete` set). */
void           navette_client_list_versions_async (NavetteClient      *self,
                                                   const char         *app,
                                                   const char         *table,
                                                   const char         *record_id,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
GPtrArray     *navette_client_list_versions_finish (NavetteClient     *self,
                                                    GAsyncResult      *result,
                                                    GError           **error);

/* Synchronous helper for the CLI and tests: runs a nested main context
 * until @result is available. Not for the UI. */
JsonNode      *navette_client_request_sync       (NavetteClient       *self,
                                                  const char          *method,
                                                  const char          *path,
                                                  JsonNode            *body,
                                                  guint               *status,
                                                  GError             **error);

G_END_DECLS
