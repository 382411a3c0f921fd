/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-test-util.c — small helpers shared by the tests/server programs. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

guint
st_request (NavetteTestServer   *server,
            const char          *method,
            const char          *path,
            const char          *token,
            const char          *body,
            JsonNode           **json,
            SoupMessageHeaders **headers)
{
  g_autoptr(GBytes) response = NULL;
  guint status;

  status = navette_test_request (server, method, path, token, body, &response, headers);
  /* Lets tests/common drain the server's access log (it splices the
   * server's stdout on this thread's default main context). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (json != NULL)
    {
      *json = NULL;
      if (response != NULL && g_bytes_get_size (response) > 0)
        *json = navette_test_parse (response);
    }
  return status;
}

void
st_assert_error (guint       status,
                 JsonNode   *json,
                 guint       expected_status,
                 const char *expected_code)
{
  JsonObject *error;

  g_assert_cmpuint (status, ==, expected_status);
  g_assert_nonnull (json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json));
  error = json_object_get_object_member (json_node_get_object (json), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, expected_code);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
}

JsonObject *
st_object (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

char *
st_first_record (NavetteTestServer *server,
                 const char        *token,
                 const char        *path)
{
  g_autoptr(JsonNode) json = NULL;
  JsonArray *records;
  guint status;

  status = st_request (server, "GET", path, token, NULL, &json, NULL);
  g_assert_cmpuint (status, ==, 200);
  records = json_object_get_array_member (st_object (json), "records");
  g_assert_cmpuint (json_array_get_length (records), >, 0);
  return g_strdup (json_object_get_string_member (json_array_get_object_element (records, 0), "id"));
}

char *
st_create_product (NavetteTestServer *server,
                   const char        *token,
                   const char        *name)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"%s\", \"price\": 1.5, \"stock\": 1}}", name);
  guint status;

  status = st_request (server, "POST", PRODUCTS "/records", token, body, &json, NULL);
  g_assert_cmpuint (status, ==, 201);
  return g_strdup (json_object_get_string_member (st_object (json), "id"));
}

char *
st_raw_exchange (NavetteTestServer *server,
                 const char        *request,
                 gsize              request_len,
                 gsize              max)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GString *answer = g_string_new (NULL);
  GInputStream *input;
  char buffer[4096];

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, request_len, NULL, NULL, &error);
  g_assert_no_error (error);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (answer->len < max)
    {
      gssize n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error);

      if (n <= 0)
        break;
      g_string_append_len (answer, buffer, n);
    }
  /* A reset after the answer was read is fine; no answer is not. */
  g_clear_error (&error);
  return g_string_free (answer, FALSE);
}
