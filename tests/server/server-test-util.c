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

gint64
st_revision (NavetteTestServer *server,
             const char        *token,
             const char        *table_path)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *path = g_strconcat (table_path, "/last-modified", NULL);

  g_assert_cmpuint (st_request (server, "GET", path, token, NULL, &json, NULL), ==, 200);
  return json_object_get_int_member (st_object (json), "revision");
}

guint
st_conditional_get (NavetteTestServer  *server,
                    const char         *path,
                    const char         *token,
                    const char         *etag,
                    char              **new_etag,
                    JsonNode          **json)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *answer_etag;
  guint status;

  if (etag != NULL)
    status = navette_test_request_full (server, "GET", path, token, NULL, NULL, 0, &body, &headers,
                                        "If-None-Match", etag, NULL);
  else
    status = navette_test_request_full (server, "GET", path, token, NULL, NULL, 0, &body, &headers, NULL);
  answer_etag = soup_message_headers_get_one (headers, "ETag");
  g_assert_nonnull (answer_etag);
  *new_etag = g_strdup (answer_etag);
  if (json != NULL)
    *json = body != NULL && g_bytes_get_size (body) > 0 ? navette_test_parse (body) : NULL;
  if (status == SOUP_STATUS_NOT_MODIFIED)
    g_assert_true (body == NULL || g_bytes_get_size (body) == 0);
  return status;
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

/* ------------------------------------------------------------------ */
/* GET /api/v1/events subscribers                                      */

static void
subscriber_message_cb (SoupWebsocketConnection *connection,
                       int                      type,
                       GBytes                  *message,
                       gpointer                 data)
{
  StSubscriber *sub = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *text = g_bytes_get_data (message, &len);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, text, (gssize) len, NULL));
  g_queue_push_tail (&sub->messages, json_node_ref (json_parser_get_root (parser)));
}

static void
subscriber_closed_cb (SoupWebsocketConnection *connection,
                      gpointer                 data)
{
  ((StSubscriber *) data)->closed = TRUE;
}

void
st_subscriber_free (StSubscriber *sub)
{
  if (sub->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (sub->connection, sub);
      if (soup_websocket_connection_get_state (sub->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (sub->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (sub->connection);
    }
  g_queue_clear_full (&sub->messages, (GDestroyNotify) json_node_unref);
  g_free (sub);
}

static gboolean
deadline_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
st_wait_flag (gboolean *flag)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (ST_DEADLINE_SECONDS, deadline_cb, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

StSubscriber *
st_subscribe (NavetteTestServer *server,
              const char        *token,
              guint             *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (server->base_url, API "/events", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *protocols[] = { "navette.v1", NULL };
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (ST_DEADLINE_SECONDS, deadline_cb, &expired);
  SoupWebsocketConnection *connection;
  StSubscriber *sub;

  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_session_websocket_connect_async (session, msg, NULL, (char **) protocols, G_PRIORITY_DEFAULT,
                                        NULL, connected_cb, &result);
  while (result == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);

  connection = soup_session_websocket_connect_finish (session, result, &error);
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (connection == NULL)
    return NULL;
  g_assert_cmpstr (soup_websocket_connection_get_protocol (connection), ==, "navette.v1");
  sub = g_new0 (StSubscriber, 1);
  sub->connection = connection;
  g_queue_init (&sub->messages);
  g_signal_connect (connection, "message", G_CALLBACK (subscriber_message_cb), sub);
  g_signal_connect (connection, "closed", G_CALLBACK (subscriber_closed_cb), sub);
  return sub;
}

JsonNode *
st_next_message (StSubscriber *sub)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (ST_DEADLINE_SECONDS, deadline_cb, &expired);

  while (g_queue_is_empty (&sub->messages) && !sub->closed && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("no announcement within %d s", ST_DEADLINE_SECONDS);
  g_source_remove (deadline);
  g_assert_false (g_queue_is_empty (&sub->messages));
  return g_queue_pop_head (&sub->messages);
}

const char *
st_message_type (JsonNode *message)
{
  JsonObject *object = st_object (message);

  g_assert_true (json_object_has_member (object, "type"));
  return json_object_get_string_member (object, "type");
}

JsonNode *
st_next_of_type (StSubscriber *sub,
                 const char   *type)
{
  for (;;)
    {
      JsonNode *node = st_next_message (sub);

      if (g_str_equal (st_message_type (node), type))
        return node;
      json_node_unref (node);
    }
}
