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
/* Raw HTTP over a socket: sends @request as is, returns everything read
 * until the server closes (or @max bytes). */
char       *st_raw_exchange   (NavetteTestServer   *server,
                               const char          *request,
                               gsize                request_len,
                               gsize                max);

G_END_DECLS
