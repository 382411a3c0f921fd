/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-body-limit.c — a request body over the limit is refused
 * from its headers, before any of it is read: a Content-Length over the
 * limit at once, a chunked body once it grows over it while it arrives.
 * The connection is taken over, a 413 written, what the client still
 * sends read (up to a bound, so closing does not reset the connection
 * before the client read the answer) and the connection closed. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>

#include "navette-http-private.h"

typedef struct
{
  GIOStream *stream;
  char      *response;
  char       drain[4096];
  gsize      drained;
  guint      timeout_id;
} Refusal;

static void
refusal_free (Refusal *refusal)
{
  g_clear_handle_id (&refusal->timeout_id, g_source_remove);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_free (refusal->response);
  g_free (refusal);
}

static void drain_next (Refusal *refusal);

static void
drained_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  /* Read what the client is still sending (up to a bound), so closing does
   * not reset the connection before it read our answer. */
  if (n <= 0 || refusal->drained > 4 * NAVETTE_DEFAULT_BODY_LIMIT || refusal->timeout_id == 0)
    {
      refusal_free (refusal);
      return;
    }
  refusal->drained += n;
  drain_next (refusal);
}

static void
drain_next (Refusal *refusal)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream),
                             refusal->drain, sizeof refusal->drain, G_PRIORITY_DEFAULT,
                             NULL, drained_cb, refusal);
}

static gboolean
refusal_timeout_cb (gpointer data)
{
  Refusal *refusal = data;

  refusal->timeout_id = 0;
  /* The pending read ends with an error once the stream is closed. */
  g_io_stream_close (refusal->stream, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;
  GSocket *socket = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      g_clear_handle_id (&refusal->timeout_id, g_source_remove);
      refusal_free (refusal);
      return;
    }
  if (G_IS_SOCKET_CONNECTION (refusal->stream))
    socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (refusal->stream));
  else
    socket = g_object_get_data (G_OBJECT (refusal->stream), "GSocket");
  if (socket != NULL)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
  drain_next (refusal);
}

static void
refuse_too_large (NavetteHttpServer *self,
                  SoupServerMessage *msg)
{
  g_autofree char *body = navette_wire_error_to_json (NAVETTE_API_ERROR_PAYLOAD_TOO_LARGE,
                                                      "The request body is over the size limit",
                                                      NULL);
  g_autoptr(GIOStream) stream = NULL;
  Refusal *refusal;

  g_object_ref (msg);
  navette_http_connections_deadline (self->connections, msg, FALSE);
  navette_http_log_request (self->log, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, strlen (body));
  stream = soup_server_message_steal_connection (msg);
  g_object_unref (msg);
  if (stream == NULL)
    return;

  refusal = g_new0 (Refusal, 1);
  refusal->stream = g_steal_pointer (&stream);
  refusal->response = g_strdup_printf ("HTTP/1.1 413 Payload Too Large\r\n"
                                       "Connection: close\r\n"
                                       "Content-Type: application/json\r\n"
                                       "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                       "\r\n%s", strlen (body), body);
  refusal->timeout_id = g_timeout_add_seconds (2, refusal_timeout_cb, refusal);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (refusal->stream),
                                   refusal->response, strlen (refusal->response),
                                   G_PRIORITY_DEFAULT, NULL, refusal_written_cb, refusal);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  RequestInfo *info = navette_http_request_info (msg);

  if (info == NULL || info->logged)
    return;
  info->received += g_bytes_get_size (chunk);
  if (info->received > self->body_limit)
    {
      g_signal_handlers_disconnect_by_func (msg, got_chunk_cb, self);
      refuse_too_large (self, msg);
    }
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  NavetteHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  /* the body, if any, must now make progress (see track_connection) */
  navette_http_connections_deadline (self->connections, msg, TRUE);
  if (soup_server_message_get_status (msg) == SOUP_STATUS_BAD_REQUEST)
    {
      /* libsoup refused the path itself (a ".." hidden as %2F..): that is
       * a path that names nothing, so our JSON 404. */
      char *body = navette_wire_error_to_json (NAVETTE_API_ERROR_NOT_FOUND, "No such resource", NULL);

      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
      return;
    }
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) self->body_limit)
    refuse_too_large (self, msg);
  else if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self);
}

void
navette_http_body_limit_watch (NavetteHttpServer *self,
                               SoupServerMessage *msg)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), self);
}
