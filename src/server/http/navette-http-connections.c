/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-connections.c — the connection limiter of the HTTP layer:
 * the connections seen, their deadlines, the cap per client address, and
 * the sweep of dead ones (main loop only). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "navette-http-private.h"

/* A request body must arrive at least this fast on average (bytes/s) on
 * top of the request timeout (see navette_http_connections_deadline). */
#define MIN_BODY_RATE 1024
/* An answer must be taken at least this fast on average (bytes/s) on top
 * of the request timeout (navette_http_connections_sending). */
#define MIN_SEND_RATE (16 * 1024)

/* libsoup 3.2 (Debian 12) never notices that a client closed a kept-alive
 * connection while it was idle: the socket stays in CLOSE-WAIT and its
 * descriptor is never released (fixed upstream in libsoup 3.3, commit
 * d20c6601). A server that every client reconnects to would run out of
 * descriptors. So we remember the sockets we have seen and, every two
 * seconds, close those that are idle (no request in progress) and have
 * reached end-of-file.
 *
 * The same table guards the edge (SECURITY.md):
 *  - a deadline per connection: libsoup emits request-started as soon as a
 *    connection is accepted (on a kept-alive one, when the next request's
 *    first bytes arrive; an idle deadline runs from the previous answer
 *    until then); from then on the request headers must be complete
 *    within request_timeout_s, then each piece of the body must follow the
 *    previous one within request_timeout_s and the whole body must be in
 *    within request_timeout_s + its length / MIN_BODY_RATE, or the socket
 *    is shut down. A trickling client is cut; so is a kept-alive
 *    connection left idle that long. Once the body is read (a worker may
 *    then take its time, a WebSocket may live for hours) no deadline runs
 *    until the answer is ready to go: then each piece of it must be taken
 *    by the client within request_timeout_s of the previous one, and the
 *    whole within request_timeout_s + its length / MIN_SEND_RATE, or the
 *    socket is shut down — a client that does not read its answer holds
 *    that answer's memory for request_timeout_s at most.
 *  - at most max_per_address connections from one client address: the next
 *    one is answered 429 in JSON and shut down at once. */
struct _NavetteHttpConnections
{
  NavetteHttpServer *self;            /* not a reference: it owns this */
  GHashTable        *connections;     /* GSocket → ConnectionState */
  GHashTable        *address_counts;  /* client address → connections */
  guint              deadline_id;     /* deadline_tick_cb */
  guint              sweep_id;        /* sweep_cb */
};

typedef struct
{
  NavetteHttpConnections *conns;
  GSocket           *socket;
  char              *address;
  gboolean           busy;
  gpointer           current;      /* the SoupServerMessage being read (identity only) */
  gint64             deadline;     /* monotonic µs; 0: none (see deadline_tick_cb) */
  gint64             body_end;     /* monotonic µs the body must be in by; 0: none */
  MetricsDeadline    phase;        /* what the deadline is for */
} ConnectionState;

static void
connection_state_free (ConnectionState *state)
{
  NavetteHttpConnections *conns = state->conns;
  guint count;

  count = GPOINTER_TO_UINT (g_hash_table_lookup (conns->address_counts, state->address));
  if (count <= 1)
    g_hash_table_remove (conns->address_counts, state->address);
  else
    g_hash_table_insert (conns->address_counts, g_strdup (state->address), GUINT_TO_POINTER (count - 1));
  g_object_unref (state->socket);
  g_free (state->address);
  g_free (state);
}

static ConnectionState *
lookup_connection (NavetteHttpConnections *conns,
                   SoupServerMessage      *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  return socket != NULL ? g_hash_table_lookup (conns->connections, socket) : NULL;
}

/* Deadlines are timestamps, checked every second here: no timer is added
 * or removed per request on the light check's fast path. */
static gboolean
deadline_tick_cb (gpointer data)
{
  NavetteHttpConnections *conns = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, conns->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConnectionState *state = value;

      if (state->deadline != 0 && now >= state->deadline)
        {
          state->deadline = 0;
          navette_http_metrics_deadline (conns->self->metrics, state->phase);
          /* libsoup reads end-of-file, drops the message and closes the
           * socket; the sweep then forgets it. */
          g_socket_shutdown (state->socket, TRUE, TRUE, NULL);
        }
    }
  return G_SOURCE_CONTINUE;
}

void
navette_http_connections_deadline (NavetteHttpConnections *conns,
                                   SoupServerMessage      *msg,
                                   gboolean                arm)
{
  NavetteHttpServer *self = conns != NULL ? conns->self : NULL;
  ConnectionState *state = conns != NULL ? lookup_connection (conns, msg) : NULL;
  gint64 now, delay;

  if (state == NULL || state->current != msg)
    return;
  state->deadline = 0;
  if (!arm || self->request_timeout_s == 0)
    return;
  now = g_get_monotonic_time ();
  delay = (gint64) self->request_timeout_s * G_USEC_PER_SEC;
  if (state->body_end == 0)
    {
      /* the headers: by then the body's whole allowance is known */
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
      goffset expected = self->body_limit;

      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        expected = MIN (soup_message_headers_get_content_length (headers), (goffset) self->body_limit);
      state->body_end = now + delay + expected * G_USEC_PER_SEC / MIN_BODY_RATE;
    }
  state->deadline = now + CLAMP (state->body_end - now, 0, delay);
}

void
navette_http_connections_sending (NavetteHttpConnections *conns,
                                  SoupServerMessage      *msg,
                                  gsize                   length)
{
  NavetteHttpServer *self = conns != NULL ? conns->self : NULL;
  ConnectionState *state = conns != NULL ? lookup_connection (conns, msg) : NULL;
  gint64 delay;

  if (state == NULL || state->current != msg || self->request_timeout_s == 0)
    return;
  delay = (gint64) self->request_timeout_s * G_USEC_PER_SEC;
  state->body_end = g_get_monotonic_time () + delay + (gint64) length * G_USEC_PER_SEC / MIN_SEND_RATE;
  state->phase = METRICS_DEADLINE_SEND;
  navette_http_connections_deadline (conns, msg, TRUE);
}

guint
navette_http_connections_count (NavetteHttpConnections *conns)
{
  return g_hash_table_size (conns->connections);
}

/* The client closed its end (or the socket is gone) and nothing runs. */
static gboolean
connection_is_dead (ConnectionState *state)
{
  char byte;
  gssize n;

  if (g_socket_is_closed (state->socket))
    return TRUE;
  if (state->busy)
    return FALSE;
  n = recv (g_socket_get_fd (state->socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static char *
socket_address_key (GSocketAddress *address)
{
  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("-");
  return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

/* Drops the closed connections of @address, TRUE when one was dropped. */
static gboolean
forget_dead_connections (NavetteHttpConnections *conns,
                         const char             *address)
{
  GHashTableIter iter;
  gpointer value;
  gboolean dropped = FALSE;

  g_hash_table_iter_init (&iter, conns->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConnectionState *state = value;

      if (g_str_equal (state->address, address) && connection_is_dead (state))
        {
          if (!g_socket_is_closed (state->socket))
            g_socket_close (state->socket, NULL);
          g_hash_table_iter_remove (&iter);
          dropped = TRUE;
        }
    }
  return dropped;
}

/* Over the cap: a 429 in JSON if the socket takes it now, then shut. */
static void
refuse_connection (GSocket *socket)
{
  g_autofree char *body = navette_wire_error_to_json (NAVETTE_API_ERROR_RATE_LIMITED,
                                                      "Too many connections from this address",
                                                      NULL);
  g_autofree char *response = g_strdup_printf ("HTTP/1.1 429 Too Many Requests\r\n"
                                               "Connection: close\r\n"
                                               "Retry-After: 1\r\n"
                                               "Content-Type: application/json\r\n"
                                               "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                               "\r\n%s", strlen (body), body);

  (void) send (g_socket_get_fd (socket), response, strlen (response), MSG_DONTWAIT | MSG_NOSIGNAL);
  g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

gboolean
navette_http_connections_track (NavetteHttpConnections *conns,
                                SoupServerMessage      *msg,
                                gboolean                busy)
{
  NavetteHttpServer *self = conns != NULL ? conns->self : NULL;
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnectionState *state;

  if (socket == NULL || conns == NULL)
    return TRUE;
  state = g_hash_table_lookup (conns->connections, socket);
  if (state == NULL)
    {
      g_autofree char *address = NULL;
      guint count;

      if (!busy)
        return TRUE;
      address = socket_address_key (soup_server_message_get_remote_address (msg));
      count = GPOINTER_TO_UINT (g_hash_table_lookup (conns->address_counts, address));
      if (self->max_per_address > 0 && count >= self->max_per_address &&
          (!forget_dead_connections (conns, address) ||
           GPOINTER_TO_UINT (g_hash_table_lookup (conns->address_counts, address)) >= self->max_per_address))
        {
          refuse_connection (socket);
          return FALSE;
        }
      count = GPOINTER_TO_UINT (g_hash_table_lookup (conns->address_counts, address));
      state = g_new0 (ConnectionState, 1);
      state->conns = conns;
      state->socket = g_object_ref (socket);
      state->address = g_strdup (address);
      g_hash_table_insert (conns->address_counts, g_steal_pointer (&address), GUINT_TO_POINTER (count + 1));
      g_hash_table_insert (conns->connections, socket, state);
    }
  /* The end of an older message (if libsoup ever started the next one
   * first) leaves the newer one's deadline alone. */
  state->busy = busy;
  if (busy)
    state->current = msg;
  else if (state->current != msg)
    return TRUE;
  else
    state->current = NULL;
  state->body_end = 0;
  state->deadline = 0;
  state->phase = busy ? METRICS_DEADLINE_REQUEST : METRICS_DEADLINE_IDLE;
  /* The headers' deadline; or, once an answer is out, the idle one: libsoup
   * starts a kept-alive connection's next message only when its first
   * bytes arrive. A WebSocket (101) is not HTTP any more: no deadline. */
  if (self->request_timeout_s > 0 &&
      (busy || soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS))
    state->deadline = g_get_monotonic_time () + (gint64) self->request_timeout_s * G_USEC_PER_SEC;
  return TRUE;
}

static gboolean
sweep_cb (gpointer data)
{
  NavetteHttpConnections *conns = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, conns->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConnectionState *state = value;

      if (connection_is_dead (state))
        {
          if (!g_socket_is_closed (state->socket))
            g_socket_close (state->socket, NULL);
          g_hash_table_iter_remove (&iter);
        }
    }
  /* the caches' entries past their lifetime go at the same pace */
  navette_http_cache_sweep (conns->self->cache);
  return G_SOURCE_CONTINUE;
}

NavetteHttpConnections *
navette_http_connections_new (NavetteHttpServer *self)
{
  NavetteHttpConnections *conns = g_new0 (NavetteHttpConnections, 1);

  conns->self = self;
  conns->address_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  conns->connections = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) connection_state_free);
  conns->sweep_id = g_timeout_add_seconds (2, sweep_cb, conns);
  conns->deadline_id = g_timeout_add_seconds (1, deadline_tick_cb, conns);
  return conns;
}

void
navette_http_connections_free (NavetteHttpConnections *conns)
{
  g_clear_handle_id (&conns->sweep_id, g_source_remove);
  g_clear_handle_id (&conns->deadline_id, g_source_remove);
  g_clear_pointer (&conns->connections, g_hash_table_unref);
  g_clear_pointer (&conns->address_counts, g_hash_table_unref);
  g_free (conns);
}
