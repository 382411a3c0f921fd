/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-test-util.h — small helpers shared by the tests/server programs. */
#pragma once

#include "navette-test-server.h"
#include "navette-wire.h"

G_BEGIN_DECLS

#define API "/api/v1"
#define CATALOGUE API "/applications/catalogue"
#define PRODUCTS CATALOGUE "/tables/products"
#define BLOG API "/applications/blog"
#define ARTICLES BLOG "/tables/articles"

/* A request; *json gets the parsed body when there is one (else NULL). */
guint       st_request        (NavetteTestServer   *server,
                               const char          *method,
                               const char          *path,
                               const char          *token,
                               const char          *body,
                               JsonNode           **json,
                               SoupMessageHeaders **headers);
/* Asserts an error answer: @status and the body's error.code. */
void        st_assert_error   (guint                status,
                               JsonNode            *json,
                               guint                expected_status,
                               const char          *expected_code);
JsonObject *st_object         (JsonNode            *node);
/* Id of the first record of @path (a records collection). */
char       *st_first_record   (NavetteTestServer   *server,
                               const char          *token,
                               const char          *path);
/* Creates a record in products and returns its id. */
char       *st_create_product (NavetteTestServer   *server,
                               const char          *token,
                               const char          *name);
/* GET @path with If-None-Match @etag (may be NULL): the status; the
 * answer's ETag (asserted present) in *@new_etag, its JSON body (NULL
 * when empty) in *@json when given. A 304 is asserted to have no body. */
guint       st_conditional_get (NavetteTestServer   *server,
                                const char          *path,
                                const char          *token,
                                const char          *etag,
                                char               **new_etag,
                                JsonNode           **json);
/* The revision of the table at @table_path (e.g. PRODUCTS), from its
 * light check (asserts 200). */
gint64      st_revision        (NavetteTestServer   *server,
                                const char          *token,
                                const char          *table_path);
/* Raw HTTP over a socket: sends @request as is, returns everything read
 * until the server closes (or @max bytes). */
char       *st_raw_exchange   (NavetteTestServer   *server,
                               const char          *request,
                               gsize                request_len,
                               gsize                max);

/* ---- GET /api/v1/events subscribers ---- */

/* Every wait below gives up (the test fails) after this long. */
#define ST_DEADLINE_SECONDS 10

typedef struct
{
  SoupWebsocketConnection *connection;
  GQueue                   messages;   /* of JsonNode*, in arrival order */
  gboolean                 closed;
} StSubscriber;

/* Opens /api/v1/events with @token; NULL (and *status set) when refused. */
StSubscriber *st_subscribe          (NavetteTestServer *server,
                                     const char        *token,
                                     guint             *status);
void          st_subscriber_free    (StSubscriber      *sub);
/* The next message (waits on the main loop for it). */
JsonNode     *st_next_message       (StSubscriber      *sub);
/* The "type" of a message (asserts it has one). */
const char   *st_message_type       (JsonNode          *message);
/* The next message of @type, after skipping those of other types. */
JsonNode     *st_next_of_type       (StSubscriber      *sub,
                                     const char        *type);
/* Iterates the main loop until *@flag is TRUE (fails past the deadline). */
void          st_wait_flag          (gboolean          *flag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StSubscriber, st_subscriber_free)

G_END_DECLS
