/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-hostile-edge.c — the server's own guards at the HTTP edge:
 *  - a client trickling its headers, or its body, is cut after a timeout
 *    (serve --request-timeout, 10 s by default; SLOW_LIMIT_SECONDS here is
 *    the most a test waits; libsoup 3.2's SoupServer has no such limit);
 *    so is a client that does not read its answer (the send deadline);
 *  - a cap on concurrent connections from one address
 *    (serve --max-connections-per-address, 64 by default);
 *  - a path segment with %00 or %2F gets the API's JSON error (libsoup
 *    itself answers 400 with an empty body before Navette sees it). */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "hostile-util.h"

/* How long a slow client may hold a connection before the server cuts it. */
#define SLOW_LIMIT_SECONDS 30
#define TRICKLE_INTERVAL_MS 500
#define N_CONNECTIONS 400

typedef struct
{
  GSocketConnection *connection;
  const char        *text;
  gsize              len;
  gsize              sent;
  gboolean           closed;
  gboolean           timed_out;
  guint              trickle_id;
  guint              limit_id;
  GMainLoop         *loop;
  char               byte;
} Trickle;

static void
trickle_finish (Trickle *t)
{
  g_clear_handle_id (&t->trickle_id, g_source_remove);
  g_clear_handle_id (&t->limit_id, g_source_remove);
  g_main_loop_quit (t->loop);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Trickle *t = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* end of file, a reset, or an answer (408): the server cut us */
  if (n >= 0 || error != NULL)
    {
      t->closed = TRUE;
      trickle_finish (t);
    }
}

static gboolean
trickle_cb (gpointer data)
{
  Trickle *t = data;
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (t->connection));
  g_autoptr(GError) error = NULL;

  if (t->sent < t->len)
    {
      if (g_output_stream_write (output, t->text + t->sent, 1, NULL, &error) != 1)
        {
          t->closed = TRUE;
          t->trickle_id = 0;
          trickle_finish (t);
          return G_SOURCE_REMOVE;
        }
      t->sent++;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
limit_cb (gpointer data)
{
  Trickle *t = data;

  t->timed_out = TRUE;
  t->limit_id = 0;
  trickle_finish (t);
  return G_SOURCE_REMOVE;
}

/* Sends @head at once (when not NULL), then @text one byte every
 * TRICKLE_INTERVAL_MS; TRUE when the server closed the connection within
 * SLOW_LIMIT_SECONDS. */
static gboolean
trickle (NavetteTestServer *server,
         const char        *head,
         const char        *text)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Trickle t = { 0 };

  t.connection = raw_connect (server);
  /* no client-side timeout: only the server may end this */
  g_socket_set_timeout (g_socket_connection_get_socket (t.connection), 0);
  if (head != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (t.connection)),
                                 head, strlen (head), NULL, NULL, &error);
      g_assert_no_error (error);
    }
  t.text = text;
  t.len = strlen (text);
  t.loop = loop;
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (t.connection)),
                             &t.byte, 1, G_PRIORITY_DEFAULT, cancellable, read_cb, &t);
  t.trickle_id = g_timeout_add (TRICKLE_INTERVAL_MS, trickle_cb, &t);
  t.limit_id = g_timeout_add_seconds (SLOW_LIMIT_SECONDS, limit_cb, &t);
  g_main_loop_run (loop);
  g_cancellable_cancel (cancellable);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_io_stream_close (G_IO_STREAM (t.connection), NULL, NULL);
  g_object_unref (t.connection);
  g_test_message ("sent %" G_GSIZE_FORMAT " byte(s) in %s; %s", t.sent,
                  t.timed_out ? "the whole limit" : "less than the limit",
                  t.closed ? "cut by the server" : "still connected");
  return t.closed && !t.timed_out;
}

static void
test_slow_headers (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GString) text = g_string_new ("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");

  /* more header bytes than can be sent in the limit */
  for (guint i = 0; i < 2 * SLOW_LIMIT_SECONDS * 1000 / TRICKLE_INTERVAL_MS; i++)
    g_string_append (text, "X-Slow: 1\r\n");
  g_assert_true (trickle (server, NULL, text->str));
  assert_still_healthy (server);
}

static void
test_slow_body (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(RawAnswer) answer = NULL;
  guint body_len = 4 * SLOW_LIMIT_SECONDS * 1000 / TRICKLE_INTERVAL_MS;
  g_autoptr(GString) head = g_string_new (NULL);

  g_string_printf (head,
                   "POST /api/v1/applications/catalogue/tables/products/records HTTP/1.1\r\n"
                   "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %u\r\n\r\n",
                   token, body_len);
  g_string_append (text, "{\"data\": {\"name\": \"");
  while (text->len < body_len - 3)
    g_string_append_c (text, 's');
  g_string_append (text, "\"}}");

  /* the headers at once, the body a byte at a time */
  g_assert_true (trickle (server, head->str, text->str));
  assert_still_healthy (server);
}

/* After an answer, a kept-alive connection waits for its next request
 * under the same deadline: left idle, it is closed (here with a 2 s
 * --request-timeout; the socket gives up after 10 s). */
static void
test_idle_keep_alive_closed (void)
{
  const char *args[] = { "--request-timeout", "2", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(GSocketConnection) connection = raw_connect (server);
  GSocket *socket = g_socket_connection_get_socket (connection);
  static const char request[] = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GString) received = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gint64 started;
  gssize n;
  char buffer[1024];

  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==, strlen (request));
  g_assert_no_error (error);
  g_socket_set_timeout (socket, 10);
  started = g_get_monotonic_time ();
  while ((n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (received, buffer, n);
  g_test_message ("closed after %.1f s: %s", (g_get_monotonic_time () - started) / 1e6,
                  error != NULL ? error->message : "end of file");
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (received->str, "HTTP/1.1 200"));
  assert_still_healthy (server);
}

/* The state of the server's end of the TCP connection from
 * @client_port to @server_port on loopback, as /proc/net/tcp gives it
 * (1: established), or 0 when it is gone. */
static guint
server_end_state (guint16 server_port,
                  guint16 client_port)
{
  g_autofree char *table = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL));
  lines = g_strsplit (table, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autofree char *local = NULL;
      g_autofree char *remote = NULL;
      guint n = 0;
      const char *f[4] = { NULL };

      for (guint k = 0; fields[k] != NULL && n < 4; k++)
        if (fields[k][0] != '\0')
          f[n++] = fields[k];
      if (n < 4)
        continue;
      local = g_strdup_printf (":%04X", server_port);
      remote = g_strdup_printf (":%04X", client_port);
      if (g_str_has_suffix (f[1], local) && g_str_has_suffix (f[2], remote))
        return (guint) g_ascii_strtoull (f[3], NULL, 16);
    }
  return 0;
}

typedef struct
{
  guint16    server_port;
  guint16    client_port;
  GMainLoop *loop;
  gboolean   cut;
} Stalled;

static gboolean
stalled_check_cb (gpointer data)
{
  Stalled *stalled = data;

  if (server_end_state (stalled->server_port, stalled->client_port) == 1)
    return G_SOURCE_CONTINUE;
  stalled->cut = TRUE;
  g_main_loop_quit (stalled->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
stalled_limit_cb (gpointer data)
{
  g_main_loop_quit (((Stalled *) data)->loop);
  return G_SOURCE_REMOVE;
}

/* A client that asks for a large answer and does not read it is cut by
 * the send deadline (here a 2 s --request-timeout): the server's end of
 * its connection leaves the established state, and what the client then
 * reads is a part of the answer, then end of file. The answer is larger
 * than the kernel's socket buffers can hold, so the server holds the
 * rest until then. */
static void
test_stalled_reader_cut (void)
{
  const char *args[] = { "--request-timeout", "2", "--max-page-size", "100000", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *wmem = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GString) received = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) wmem_fields = NULL;
  const char *body;
  Stalled stalled = { 0 };
  gint64 started;
  guint limit_id, check_id;
  gssize n;
  char buffer[65536];

  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "demo", "--rows", "40000", NULL), ==, 0);
  /* a reader that reads gets it all */
  g_assert_cmpuint (navette_test_request (server, "GET", "/api/v1/applications/catalogue/tables/products/records?limit=100000",
                                          token, NULL, &whole, NULL), ==, 200);
  g_assert_true (g_file_get_contents ("/proc/sys/net/ipv4/tcp_wmem", &wmem, NULL, NULL));
  wmem_fields = g_strsplit_set (g_strstrip (wmem), " \t", -1);
  if (g_bytes_get_size (whole) < g_ascii_strtoull (wmem_fields[g_strv_length (wmem_fields) - 1], NULL, 10) + 1024 * 1024)
    {
      g_test_skip ("the kernel's socket buffers would hold the whole answer");
      return;
    }

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 4096, &error));
  address = g_inet_socket_address_new (loopback, server->port);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET /api/v1/applications/catalogue/tables/products/records?limit=100000 HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", token);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==, strlen (request));
  g_assert_no_error (error);

  /* not reading; the server's end leaves "established" once it is cut */
  stalled.server_port = server->port;
  stalled.client_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  stalled.loop = loop;
  started = g_get_monotonic_time ();
  check_id = g_timeout_add (100, stalled_check_cb, &stalled);
  limit_id = g_timeout_add_seconds (SLOW_LIMIT_SECONDS, stalled_limit_cb, &stalled);
  g_main_loop_run (loop);
  if (stalled.cut)
    g_source_remove (limit_id);
  else
    g_source_remove (check_id);
  g_test_message ("stalled reader cut after %.1f s", (g_get_monotonic_time () - started) / 1e6);
  g_assert_true (stalled.cut);

  /* what it gets then: the start of the answer, then end of file */
  g_socket_set_timeout (socket, 10);
  while ((n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (received, buffer, n);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (received->str, "HTTP/1.1 200"));
  body = strstr (received->str, "\r\n\r\n");
  g_assert_nonnull (body);
  g_test_message ("read %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes of the answer",
                  received->len - (gsize) (body + 4 - received->str), g_bytes_get_size (whole));
  g_assert_cmpuint (received->len - (gsize) (body + 4 - received->str), <, g_bytes_get_size (whole));
  assert_still_healthy (server);
}

static void
test_connection_cap (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  GSocketConnection *last;
  GSocket *socket;
  g_autoptr(GError) error = NULL;
  char buffer[256];
  gssize n;

  /* idle connections from one address, holding nothing but a descriptor */
  for (guint i = 0; i < N_CONNECTIONS; i++)
    g_ptr_array_add (connections, raw_connect (server));

  /* Over the cap, the server closes the newest at once (or answers 429/503
   * and closes): a read returns end-of-file or an answer, well before the
   * 10 s this waits. */
  last = g_ptr_array_index (connections, connections->len - 1);
  socket = g_socket_connection_get_socket (last);
  g_socket_set_timeout (socket, 10);
  n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  g_test_message ("connection %u: read %" G_GSSIZE_FORMAT "%s%s", N_CONNECTIONS, n,
                  error ? ", " : "", error ? error->message : "");
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));

  g_ptr_array_set_size (connections, 0);
  assert_still_healthy (server);
}

static void
test_encoded_nul_is_json (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  static const char *paths[] = {
    "/api/v1/applications/cat%00alogue/tables",
    "/api/v1/applications/catalogue/tables/products/records/a%00b",
    "/api/v1/applications/catalogue/tables/products/records/%2e%2e%2f%2e%2e",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(RawAnswer) answer = raw_get (server, paths[i], strlen (paths[i]), token);

      g_test_message ("%s → %u, %" G_GSIZE_FORMAT " byte(s) of body", paths[i], answer->status,
                      g_bytes_get_size (answer->body));
      g_assert_true (answer->status == 400 || answer->status == 404);
      assert_json_error (answer->body, answer->status == 400 ? "bad_request" : "not_found");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* each missing protection is reported, not only the first */
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/reliability/edge/slow-headers-cut", test_slow_headers);
  g_test_add_func ("/reliability/edge/slow-body-cut", test_slow_body);
  g_test_add_func ("/reliability/edge/idle-keep-alive-closed", test_idle_keep_alive_closed);
  g_test_add_func ("/reliability/edge/stalled-reader-cut", test_stalled_reader_cut);
  g_test_add_func ("/reliability/edge/connections-per-address-capped", test_connection_cap);
  g_test_add_func ("/reliability/edge/encoded-nul-answered-in-json", test_encoded_nul_is_json);

  return g_test_run ();
}
