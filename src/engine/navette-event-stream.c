/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"
#include "navette-event-stream.h"

#define FIRST_BACKOFF_MS 1000
#define MAX_BACKOFF_MS (60 * 1000)
#define NO_PUSH_RETRY_MS (5 * 60 * 1000)
/* The server accepts nothing bigger from us; we accept little more. */
#define MAX_MESSAGE 4096

struct _NavetteEventStream
{
  GObject                  parent_instance;

  NavetteClient           *client;
  SoupWebsocketConnection *connection;
  GCancellable            *cancellable;   /* of the connect in flight */
  guint                    retry_id;
  guint                    failures;
  gboolean                 running;
  gboolean                 live;
  guint64                  announcements;
  guint64                  connects;
};

G_DEFINE_FINAL_TYPE (NavetteEventStream, navette_event_stream, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_RUNNING,
  PROP_LIVE,
  PROP_ANNOUNCEMENTS,
  PROP_CONNECTS,
  N_PROPS
};

enum {
  ANNOUNCEMENT,
  SCHEMA_CHANGED,
  ROLES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_now (NavetteEventStream *self);

static void
set_live (NavetteEventStream *self,
          gboolean            live)
{
  if (self->live == live)
    return;
  self->live = live;
  g_debug ("Push %s", live ? "live" : "down");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
}

static void
drop_connection (NavetteEventStream *self)
{
  if (self->connection == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->connection, self);
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_clear_object (&self->connection);
}

static void
navette_event_stream_dispose (GObject *object)
{
  NavetteEventStream *self = (NavetteEventStream *)object;

  self->running = FALSE;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_event_stream_parent_class)->dispose (object);
}

static void
navette_event_stream_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavetteEventStream *self = NAVETTE_EVENT_STREAM (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_LIVE:
      g_value_set_boolean (value, self->live);
      break;
    case PROP_ANNOUNCEMENTS:
      g_value_set_uint64 (value, self->announcements);
      break;
    case PROP_CONNECTS:
      g_value_set_uint64 (value, self->connects);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
token_changed_cb (NavetteClient      *client,
                  GParamSpec         *pspec,
                  NavetteEventStream *self)
{
  if (!self->running)
    return;

  /* Another user or a new session: subscribe again with the new token. */
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  set_live (self, FALSE);
  self->failures = 0;
  if (navette_client_get_token (client) != NULL)
    connect_now (self);
}

static void
navette_event_stream_class_init (NavetteEventStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_event_stream_dispose;
  object_class->get_property = navette_event_stream_get_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT, ro);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  properties[PROP_LIVE] =
    g_param_spec_boolean ("live", NULL, NULL, FALSE, ro);
  properties[PROP_ANNOUNCEMENTS] =
    g_param_spec_uint64 ("announcements", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_CONNECTS] =
    g_param_spec_uint64 ("connects", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ANNOUNCEMENT] =
    g_signal_new ("announcement",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64);
  signals[SCHEMA_CHANGED] =
    g_signal_new ("schema-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ROLES_CHANGED] =
    g_signal_new ("roles-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
navette_event_stream_init (NavetteEventStream *self)
{
}

NavetteEventStream *
navette_event_stream_new (NavetteClient *client)
{
  NavetteEventStream *self;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  self = g_object_new (NAVETTE_TYPE_EVENT_STREAM, NULL);
  self->client = g_object_ref (client);
  g_signal_connect_object (client, "notify::token", G_CALLBACK (token_changed_cb), self, 0);
  return self;
}

gboolean
navette_event_stream_get_live (NavetteEventStream *self)
{
  g_return_val_if_fail (NAVETTE_IS_EVENT_STREAM (self), FALSE);
  return self->live;
}

guint64
navette_event_stream_get_announcements (NavetteEventStream *self)
{
  g_return_val_if_fail (NAVETTE_IS_EVENT_STREAM (self), 0);
  return self->announcements;
}

guint64
navette_event_stream_get_connects (NavetteEventStream *self)
{
  g_return_val_if_fail (NAVETTE_IS_EVENT_STREAM (self), 0);
  return self->connects;
}

static gboolean
retry_cb (gpointer user_data)
{
  NavetteEventStream *self = user_data;

  self->retry_id = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (NavetteEventStream *self,
                guint               delay_ms)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (!self->running)
    return;
  if (delay_ms == 0)
    {
      guint64 delay = FIRST_BACKOFF_MS;

      for (guint i = 0; i < self->failures && delay < MAX_BACKOFF_MS; i++)
        delay *= 2;
      delay = MIN (delay, MAX_BACKOFF_MS);
      delay_ms = navette_jitter_ms (delay);
    }
  self->failures++;
  g_debug ("Push: connecting again in %u ms", delay_ms);
  self->retry_id = g_timeout_add (delay_ms, retry_cb, self);
}

static gboolean
read_member (JsonObject  *object,
             const char  *name,
             GType        type,
             JsonNode   **out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return FALSE;
  *out = node;
  return TRUE;
}

static void
message_cb (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *message,
            NavetteEventStream      *self)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *app, *table, *revision;
  JsonObject *object;
  const char *kind = "table";
  gsize len;
  const char *text = g_bytes_get_data (message, &len);

  navette_client_add_bytes (self->client, len + 2);

  if (type != SOUP_WEBSOCKET_DATA_TEXT || len > MAX_MESSAGE)
    {
      g_debug ("Push: ignoring a message of type %d, %" G_GSIZE_FORMAT " bytes", type, len);
      return;
    }

  root = navette_json_parse_strict (text, len, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_debug ("Push: malformed message: %s", error ? error->message : "not an object");
      return;
    }
  object = json_node_get_object (root);

  /* "type" says what the message announces; a message without one is a
   * table's (servers before the administration announcements). Types
   * this client does not know are ignored. */
  if (json_object_has_member (object, "type"))
    {
      JsonNode *type_node;

      if (!read_member (object, "type", G_TYPE_STRING, &type_node))
        {
          g_debug ("Push: unexpected message %.*s", (int) MIN (len, 200), text);
          return;
        }
      kind = json_node_get_string (type_node);
    }

  if (g_strcmp0 (kind, "schema") == 0 || g_strcmp0 (kind, "roles") == 0)
    {
      gboolean schema = g_strcmp0 (kind, "schema") == 0;
      JsonNode *name;

      if (!read_member (object, schema ? "app" : "user", G_TYPE_STRING, &name) ||
          json_node_get_string (name)[0] == '\0')
        {
          g_debug ("Push: unexpected message %.*s", (int) MIN (len, 200), text);
          return;
        }
      self->announcements++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANNOUNCEMENTS]);
      g_signal_emit (self, signals[schema ? SCHEMA_CHANGED : ROLES_CHANGED], 0,
                     json_node_get_string (name));
      return;
    }
  if (g_strcmp0 (kind, "table") != 0)
    {
      g_debug ("Push: ignoring a message of type “%s”", kind);
      return;
    }

  if (!read_member (object, "app", G_TYPE_STRING, &app) ||
      !read_member (object, "table", G_TYPE_STRING, &table) ||
      !read_member (object, "revision", G_TYPE_INT64, &revision) ||
      !navette_name_is_valid (json_node_get_string (app)) ||
      !navette_name_is_valid (json_node_get_string (table)))
    {
      g_debug ("Push: unexpected message %.*s", (int) MIN (len, 200), text);
      return;
    }

  self->announcements++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANNOUNCEMENTS]);
  g_signal_emit (self, signals[ANNOUNCEMENT], 0,
                 json_node_get_string (app), json_node_get_string (table),
                 json_node_get_int (revision));
}

static void
closed_cb (SoupWebsocketConnection *connection,
           NavetteEventStream      *self)
{
  g_debug ("Push socket closed (code %u)",
           soup_websocket_connection_get_close_code (connection));
  g_object_ref (self);
  drop_connection (self);
  set_live (self, FALSE);
  /* A socket that was up: try again soon (first step of the backoff). */
  schedule_retry (self, 0);
  g_object_unref (self);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NavetteEventStream) self = user_data;
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = navette_client_events_connect_finish (NAVETTE_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  if (!self->running)
    return;

  if (connection == NULL)
    {
      g_debug ("Push: cannot subscribe: %s", error->message);
      if (error->code == NAVETTE_SYNC_ERROR_NOT_FOUND)
        schedule_retry (self, NO_PUSH_RETRY_MS);
      else
        schedule_retry (self, 0);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  self->failures = 0;
  soup_websocket_connection_set_max_incoming_payload_size (self->connection, MAX_MESSAGE);
  g_signal_connect (self->connection, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (closed_cb), self);
  self->connects++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTS]);
  set_live (self, TRUE);
}

static void
connect_now (NavetteEventStream *self)
{
  if (!self->running || self->connection != NULL || self->cancellable != NULL)
    return;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (navette_client_get_token (self->client) == NULL)
    return;   /* token_changed_cb connects after a login */

  self->cancellable = g_cancellable_new ();
  navette_client_events_connect_async (self->client, self->cancellable,
                                       connect_cb, g_object_ref (self));
}

void
navette_event_stream_start (NavetteEventStream *self)
{
  g_return_if_fail (NAVETTE_IS_EVENT_STREAM (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->failures = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  connect_now (self);
}

void
navette_event_stream_stop (NavetteEventStream *self)
{
  g_return_if_fail (NAVETTE_IS_EVENT_STREAM (self));

  if (!self->running)
    return;
  self->running = FALSE;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  set_live (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

void
navette_event_stream_reconnect (NavetteEventStream *self)
{
  g_return_if_fail (NAVETTE_IS_EVENT_STREAM (self));

  if (!self->running || self->live)
    return;
  connect_now (self);
}
