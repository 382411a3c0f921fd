/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostile-util.h — raw HTTP exchanges for the hostile-input tests
 * (header-only: each test program includes it once). */
#pragma once

#include <string.h>

#include "navette-test-server.h"
#include "navette-wire.h"

G_BEGIN_DECLS

typedef struct
{
  guint    status;     /* 0: the server closed without an answer */
  char    *head;       /* status line and headers */
  GBytes  *body;       /* may be empty */
  gboolean reset;      /* the connection was reset */
} RawAnswer;

static inline void
raw_answer_free (RawAnswer *answer)
{
  g_free (answer->head);
  g_clear_pointer (&answer->body, g_bytes_unref);
  g_free (answer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawAnswer, raw_answer_free)

static inline GSocketConnection *
raw_connect (NavetteTestServer *server)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

/* Sends @request (bytes as they are) and reads until the server closes. */
static inline RawAnswer *
raw_exchange (NavetteTestServer *server,
              const char        *request,
              gsize              len)
{
  g_autoptr(GSocketConnection) connection = raw_connect (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) all = g_byte_array_new ();
  RawAnswer *answer = g_new0 (RawAnswer, 1);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  const char *end;
  guint8 buffer[8192];

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, len, NULL, NULL, &error))
    {
      /* the server closed before it read everything (oversized input) */
      answer->reset = TRUE;
      g_clear_error (&error);
    }
  for (;;)
    {
      gssize n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error);

      if (n < 0)
        {
          answer->reset = TRUE;
          break;
        }
      if (n == 0)
        break;
      g_byte_array_append (all, buffer, n);
    }

  g_byte_array_append (all, (const guint8 *) "", 1);
  end = strstr ((const char *) all->data, "\r\n\r\n");
  if (g_str_has_prefix ((const char *) all->data, "HTTP/1.") && end != NULL)
    {
      answer->status = (guint) g_ascii_strtoull ((const char *) all->data + 9, NULL, 10);
      answer->head = g_strndup ((const char *) all->data, end - (const char *) all->data);
      answer->body = g_bytes_new (end + 4, all->len - 1 - (end + 4 - (const char *) all->data));
    }
  else
    {
      answer->head = g_strdup ("");
      answer->body = g_bytes_new (NULL, 0);
    }
  return answer;
}

/* A GET of @path (raw bytes) with Connection: close. */
static inline RawAnswer *
raw_get (NavetteTestServer *server,
         const char        *path,
         gsize              path_len,
         const char        *token)
{
  g_autoptr(GString) request = g_string_new ("GET ");

  g_string_append_len (request, path, path_len);
  g_string_append (request, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
  if (token != NULL)
    g_string_append_printf (request, "Authorization: Bearer %s\r\n", token);
  g_string_append (request, "\r\n");
  return raw_exchange (server, request->str, request->len);
}

/* Asserts @body is the API's JSON error with @code. */
static inline void
assert_json_error (GBytes     *body,
                   const char *code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  g_assert_nonnull (body);
  root = navette_json_parse_strict (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  /* (the checks go on past a failure where assertions are non-fatal) */
  g_assert_true (root != NULL && JSON_NODE_HOLDS_OBJECT (root));
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  object = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_nonnull (object);
  if (object == NULL)
    return;
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, code);
}

static inline void
assert_still_healthy (NavetteTestServer *server)
{
  g_assert_cmpuint (navette_test_request (server, "GET", "/api/v1/health", NULL, NULL, NULL, NULL), ==, 200);
}

G_END_DECLS
