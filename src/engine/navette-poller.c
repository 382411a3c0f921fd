/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"
#include "navette-event-stream.h"

/* While the server cannot be reached, it is probed (GET /api/v1/health)
 * after 0.5 s, then 1, 2, 4, 8 s, then every "probe-max-ms" (15 s). */
#define FIRST_PROBE_MS 500

struct _NavettePoller
{
  GObject          parent_instance;

  NavetteClient   *client;
  NavetteEventStream *events;
  gboolean         push;
  GPtrArray       *stores;        /* NavetteStore*, strong */
  GNetworkMonitor *monitor;
  guint            interval_ms;
  guint            timeout_id;
  guint            probe_id;      /* the next probe, while offline */
  guint            probe_delay;   /* ms, doubled after each failed probe */
  guint            probe_max;     /* ms */
  gboolean         probing;       /* a probe is in flight */
  guint64          probes;
  GCancellable    *cancellable;   /* of every request (light checks, reloads,
                                   * probes); cancelled on stop and dispose */
  guint            in_flight;     /* light checks of this round not answered */
  gboolean         round_failed;
  gboolean         again;         /* refresh asked during a round */
  gboolean         online;
  gboolean         running;
  guint64          polls;
  guint64          reloads;
};

G_DEFINE_FINAL_TYPE (NavettePoller, navette_poller, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_INTERVAL,
  PROP_INTERVAL_MS,
  PROP_RUNNING,
  PROP_ONLINE,
  PROP_POLLS,
  PROP_RELOADS,
  PROP_BYTES_RECEIVED,
  PROP_PUSH,
  PROP_PUSH_LIVE,
  PROP_PROBE_MAX_MS,
  PROP_PROBES,
  N_PROPS
};

enum {
  CHANGES,
  NOTIFICATION,
  CHECKED,
  SCHEMA_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void check_now      (NavettePoller *self);
static void schedule_probe (NavettePoller *self);

static void
navette_poller_dispose (GObject *object)
{
  NavettePoller *self = (NavettePoller *)object;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->events != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->events, self);
      navette_event_stream_stop (self->events);
    }
  g_clear_object (&self->events);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  if (self->stores != NULL)
    g_ptr_array_set_size (self->stores, 0);

  G_OBJECT_CLASS (navette_poller_parent_class)->dispose (object);
}

static void
navette_poller_finalize (GObject *object)
{
  NavettePoller *self = (NavettePoller *)object;

  g_clear_pointer (&self->stores, g_ptr_array_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (navette_poller_parent_class)->finalize (object);
}

static void
navette_poller_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NavettePoller *self = NAVETTE_POLLER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, navette_poller_get_interval (self));
      break;
    case PROP_INTERVAL_MS:
      g_value_set_uint (value, self->interval_ms);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_POLLS:
      g_value_set_uint64 (value, self->polls);
      break;
    case PROP_RELOADS:
      g_value_set_uint64 (value, self->reloads);
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, navette_poller_get_bytes_received (self));
      break;
    case PROP_PUSH:
      g_value_set_boolean (value, self->push);
      break;
    case PROP_PUSH_LIVE:
      g_value_set_boolean (value, navette_poller_get_push_live (self));
      break;
    case PROP_PROBE_MAX_MS:
      g_value_set_uint (value, self->probe_max);
      break;
    case PROP_PROBES:
      g_value_set_uint64 (value, self->probes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_poller_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  NavettePoller *self = NAVETTE_POLLER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_INTERVAL:
      navette_poller_set_interval (self, g_value_get_uint (value));
      break;
    case PROP_INTERVAL_MS:
      navette_poller_set_interval_ms (self, g_value_get_uint (value));
      break;
    case PROP_PUSH:
      navette_poller_set_push (self, g_value_get_boolean (value));
      break;
    case PROP_PROBE_MAX_MS:
      navette_poller_set_probe_max_ms (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
client_bytes_cb (NavetteClient *client,
                 GParamSpec    *pspec,
                 NavettePoller *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
}

static void probe_now (NavettePoller *self);

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    NavettePoller   *self)
{
  /* Any change: an interface came up, a VPN, another Wi-Fi. */
  if (!self->online)
    {
      g_debug ("Network changed: probing the server now");
      probe_now (self);
    }
  if (available && self->events != NULL)
    navette_event_stream_reconnect (self->events);
}

static void reload_table (NavettePoller *self,
                          NavetteTable  *table);

static void
announcement_cb (NavetteEventStream *events,
                 const char         *app,
                 const char         *table_name,
                 gint64              revision,
                 NavettePoller      *self)
{
  for (guint i = 0; i < self->stores->len; i++)
    {
      NavetteStore *store = g_ptr_array_index (self->stores, i);
      NavetteTable *table;

      if (g_strcmp0 (navette_store_get_name (store), app) != 0)
        continue;

      table = navette_store_lookup_table (store, table_name);
      if (table == NULL)
        return;
      if (revision > navette_table_get_server_revision (table))
        navette_table_set_server_revision (table, revision);
      if (!navette_table_get_loaded (table) ||
          revision <= navette_table_get_revision (table))
        return;
      /* A load running now may have been answered before this change:
       * reload_cb looks at the server revision again when it ends. */
      if (!navette_table_get_loading (table))
        reload_table (self, table);
      return;
    }
}

static void
schema_announced_cb (NavetteEventStream *events,
                     const char         *app,
                     NavettePoller      *self)
{
  g_signal_emit (self, signals[SCHEMA_CHANGED], 0, app);
}

static void
push_live_cb (NavetteEventStream *events,
              GParamSpec         *pspec,
              NavettePoller      *self)
{
  /* Coming back after a gap: what was announced meanwhile was missed. */
  if (navette_event_stream_get_live (events) && self->running && self->in_flight == 0)
    navette_poller_refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_LIVE]);
}

static void
navette_poller_constructed (GObject *object)
{
  NavettePoller *self = (NavettePoller *)object;

  G_OBJECT_CLASS (navette_poller_parent_class)->constructed (object);

  g_signal_connect_object (self->client, "notify::bytes-received",
                           G_CALLBACK (client_bytes_cb), self, 0);

  self->events = navette_event_stream_new (self->client);
  g_signal_connect_object (self->events, "announcement",
                           G_CALLBACK (announcement_cb), self, 0);
  g_signal_connect_object (self->events, "schema-changed",
                           G_CALLBACK (schema_announced_cb), self, 0);
  g_signal_connect_object (self->events, "notify::live",
                           G_CALLBACK (push_live_cb), self, 0);

  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "network-changed",
                           G_CALLBACK (network_changed_cb), self, 0);
}

static void
navette_poller_class_init (NavettePollerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = navette_poller_constructed;
  object_class->dispose = navette_poller_dispose;
  object_class->finalize = navette_poller_finalize;
  object_class->get_property = navette_poller_get_property;
  object_class->set_property = navette_poller_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 1, 24 * 3600, 30, rw);
  properties[PROP_INTERVAL_MS] =
    g_param_spec_uint ("interval-ms", NULL, NULL, 1, 24 * 3600 * 1000, 30000, rw);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE, ro);
  properties[PROP_POLLS] =
    g_param_spec_uint64 ("polls", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_RELOADS] =
    g_param_spec_uint64 ("reloads", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_uint64 ("bytes-received", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_PUSH] =
    g_param_spec_boolean ("push", NULL, NULL, TRUE, rw);
  properties[PROP_PUSH_LIVE] =
    g_param_spec_boolean ("push-live", NULL, NULL, FALSE, ro);
  properties[PROP_PROBE_MAX_MS] =
    g_param_spec_uint ("probe-max-ms", NULL, NULL, FIRST_PROBE_MS, 24 * 3600 * 1000, 15000, rw);
  properties[PROP_PROBES] =
    g_param_spec_uint64 ("probes", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGES] =
    g_signal_new ("changes",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, NAVETTE_TYPE_TABLE, G_TYPE_INT64, G_TYPE_PTR_ARRAY, G_TYPE_UINT);
  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, NAVETTE_TYPE_NOTIFICATION_KIND);
  signals[CHECKED] =
    g_signal_new ("checked",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SCHEMA_CHANGED] =
    g_signal_new ("schema-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
navette_poller_init (NavettePoller *self)
{
  self->stores = g_ptr_array_new_with_free_func (g_object_unref);
  self->interval_ms = 30000;
  self->online = TRUE;
  self->push = TRUE;
  self->probe_max = 15000;
  self->probe_delay = FIRST_PROBE_MS;
  self->cancellable = g_cancellable_new ();
}

NavettePoller *
navette_poller_new (NavetteClient *client)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  return g_object_new (NAVETTE_TYPE_POLLER, "client", client, NULL);
}

guint
navette_poller_get_interval (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return MAX (1, self->interval_ms / 1000);
}

void
navette_poller_set_interval (NavettePoller *self,
                             guint          seconds)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));
  g_return_if_fail (seconds > 0);

  navette_poller_set_interval_ms (self, seconds * 1000);
}

guint
navette_poller_get_interval_ms (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return self->interval_ms;
}

static void
schedule (NavettePoller *self,
          guint          delay_ms);
static guint poll_delay (NavettePoller *self);

void
navette_poller_set_interval_ms (NavettePoller *self,
                                guint          msec)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));
  g_return_if_fail (msec > 0);

  if (self->interval_ms == msec)
    return;

  self->interval_ms = msec;
  if (self->running && self->timeout_id != 0)
    schedule (self, poll_delay (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL_MS]);
}

gboolean
navette_poller_get_online (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), FALSE);
  return self->online;
}

gboolean
navette_poller_get_running (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), FALSE);
  return self->running;
}

guint64
navette_poller_get_polls (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return self->polls;
}

guint64
navette_poller_get_reloads (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return self->reloads;
}

guint64
navette_poller_get_bytes_received (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return navette_client_get_bytes_received (self->client);
}

gboolean
navette_poller_get_push (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), FALSE);
  return self->push;
}

void
navette_poller_set_push (NavettePoller *self,
                         gboolean       push)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));

  push = !!push;
  if (self->push == push)
    return;
  self->push = push;
  if (push && self->running)
    navette_event_stream_start (self->events);
  else if (!push)
    navette_event_stream_stop (self->events);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH]);
}

gboolean
navette_poller_get_push_live (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), FALSE);
  return self->events != NULL && navette_event_stream_get_live (self->events);
}

NavetteEventStream *
navette_poller_get_event_stream (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), NULL);
  return self->events;
}

void
navette_poller_add_store (NavettePoller *self,
                          NavetteStore  *store)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));

  if (!g_ptr_array_find (self->stores, store, NULL))
    g_ptr_array_add (self->stores, g_object_ref (store));
}

void
navette_poller_remove_store (NavettePoller *self,
                             NavetteStore  *store)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));

  g_ptr_array_remove (self->stores, store);
}

static gboolean
timeout_cb (gpointer user_data)
{
  NavettePoller *self = user_data;

  self->timeout_id = 0;
  check_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (NavettePoller *self,
          guint          delay_ms)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->running)
    self->timeout_id = g_timeout_add (delay_ms, timeout_cb, self);
}

guint
navette_jitter_ms (guint64 ms)
{
  return (guint) (ms * g_random_double_range (0.9, 1.1));
}

/* The delay to the next regular round: the interval ±10 %, drawn again
 * every round, on the monotonic clock and counted from the end of the
 * last round (never aligned to the wall clock), so clients that started
 * together (a server restart, an office opening its editors at nine) do
 * not stay in step and come to the server at the same instant. */
static guint
poll_delay (NavettePoller *self)
{
  return MAX (1, navette_jitter_ms (self->interval_ms));
}

void
navette_poller_start (NavettePoller *self)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));

  if (self->running)
    return;
  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  schedule (self, poll_delay (self));
  if (self->push)
    navette_event_stream_start (self->events);
  /* Stopped while offline: the probes go on. */
  if (!self->online)
    schedule_probe (self);
}

void
navette_poller_stop (NavettePoller *self)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));

  if (!self->running)
    return;
  self->running = FALSE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  /* What is on its way is dropped: its answers would start more. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->in_flight = 0;
  self->again = FALSE;
  self->probing = FALSE;
  navette_event_stream_stop (self->events);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

void
navette_poller_refresh (NavettePoller *self)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));

  /* Offline: ask the server whether it is back, now. */
  if (!self->online)
    {
      probe_now (self);
      return;
    }
  if (self->in_flight > 0)
    {
      self->again = TRUE;
      return;
    }
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  check_now (self);
}

static void
set_online (NavettePoller *self,
            gboolean       online)
{
  if (self->online == online)
    return;

  self->online = online;
  if (!online)
    {
      /* Probe quickly at first, then less often. */
      self->probe_delay = FIRST_PROBE_MS;
      schedule_probe (self);
    }
  else
    {
      g_clear_handle_id (&self->probe_id, g_source_remove);
      self->probe_delay = FIRST_PROBE_MS;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
  if (online)
    g_signal_emit (self, signals[NOTIFICATION], 0,
                   _("Connected to the server again."), (guint) NAVETTE_NOTIFICATION_ONLINE);
  else
    g_signal_emit (self, signals[NOTIFICATION], 0,
                   _("The server cannot be reached. Changes made elsewhere will show when it is back."),
                   (guint) NAVETTE_NOTIFICATION_OFFLINE);
}

static void
round_done (NavettePoller *self)
{
  g_signal_emit (self, signals[CHECKED], 0);

  /* Offline, the probes take over: the first one that is answered runs a
   * check round at once. */
  if (self->round_failed || !self->online)
    {
      self->again = FALSE;
      g_clear_handle_id (&self->timeout_id, g_source_remove);
      return;
    }

  if (self->again)
    {
      self->again = FALSE;
      check_now (self);
      return;
    }

  schedule (self, poll_delay (self));
}

/* ---- Probing while offline ---- */

static gboolean
probe_timeout_cb (gpointer user_data)
{
  NavettePoller *self = user_data;

  self->probe_id = 0;
  probe_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_probe (NavettePoller *self)
{
  guint delay;

  g_clear_handle_id (&self->probe_id, g_source_remove);
  if (self->online || self->probing)
    return;
  delay = navette_jitter_ms (MIN (self->probe_delay, self->probe_max));
  self->probe_id = g_timeout_add (delay, probe_timeout_cb, self);
}

static void
probe_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NavettePoller) self = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->probing = FALSE;
  if (self->online)
    return;

  if (error == NULL)
    {
      g_debug ("The server answers again");
      set_online (self, TRUE);
      if (self->running)
        {
          g_clear_handle_id (&self->timeout_id, g_source_remove);
          if (self->in_flight == 0)
            check_now (self);
          else
            self->again = TRUE;
        }
      return;
    }

  g_debug ("Probe: %s", error->message);
  self->probe_delay = MIN (self->probe_delay * 2, self->probe_max);
  schedule_probe (self);
}

static void
probe_now (NavettePoller *self)
{
  g_clear_handle_id (&self->probe_id, g_source_remove);
  if (self->online || self->probing)
    return;
  self->probing = TRUE;
  self->probes++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBES]);
  navette_client_request_async (self->client, "GET", NAVETTE_API_PREFIX "/health",
                                NULL, NULL, NULL, self->cancellable, probe_cb,
                                g_object_ref (self));
}

void
navette_poller_report_unreachable (NavettePoller *self)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));

  set_online (self, FALSE);
}

guint
navette_poller_get_probe_max_ms (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return self->probe_max;
}

void
navette_poller_set_probe_max_ms (NavettePoller *self,
                                 guint          msec)
{
  g_return_if_fail (NAVETTE_IS_POLLER (self));

  msec = MAX (msec, FIRST_PROBE_MS);
  if (self->probe_max == msec)
    return;
  self->probe_max = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBE_MAX_MS]);
}

guint64
navette_poller_get_probes (NavettePoller *self)
{
  g_return_val_if_fail (NAVETTE_IS_POLLER (self), 0);
  return self->probes;
}

typedef struct
{
  NavettePoller *self;
  NavetteStore  *store;
  NavetteTable  *table;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->store);
  g_clear_object (&data->table);
  g_free (data);
}

static void
reload_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CheckData *data = user_data;
  NavetteTable *table = NAVETTE_TABLE (object);
  g_autoptr(GError) error = NULL;

  if (!navette_table_reload_finish (table, result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          check_data_free (data);
          return;
        }
      g_debug ("Reload of %s failed: %s", navette_table_get_name (table), error->message);
      /* Forget the ETag so that the next check asks again. */
      if (navette_table_get_store (table) != NULL)
        navette_store_set_etag (navette_table_get_store (table), NULL);
    }
  else if (navette_table_get_server_revision (table) > navette_table_get_revision (table) &&
           !navette_table_get_loading (table) && data->self->running)
    {
      /* Announced while this load ran. */
      reload_table (data->self, table);
    }

  check_data_free (data);
}

static void
table_reloaded_cb (NavetteTable  *table,
                   guint          n_changed,
                   GPtrArray     *changed,
                   NavettePoller *self)
{
  NavetteStore *store = navette_table_get_store (table);
  guint n_by_others = 0;

  if (changed == NULL || changed->len == 0)
    return;

  for (guint i = 0; i < changed->len; i++)
    {
      NavetteRecord *record = g_ptr_array_index (changed, i);

      if (navette_record_get_pending (record) != NULL)
        continue;
      if (navette_table_is_own (table, navette_record_get_id (record),
                                navette_record_get_version (record)))
        continue;
      n_by_others++;
    }

  g_signal_emit (self, signals[CHANGES], 0, table, navette_table_get_revision (table),
                 changed, n_by_others);
  if (store != NULL)
    navette_store_emit_table_changed (store, table, n_by_others, changed);

  if (n_by_others > 0)
    {
      g_autofree char *what = g_utf8_strdown (navette_table_get_title (table), -1);
      g_autofree char *message = NULL;

      /* Translators: "3 products changed"; %s is the table's title in
       * lower case */
      message = g_strdup_printf (ngettext ("%u %s changed", "%u %s changed", n_by_others),
                                 n_by_others, what);
      g_signal_emit (self, signals[NOTIFICATION], 0, message,
                     (guint) NAVETTE_NOTIFICATION_REMOTE_CHANGES);
    }
}

static void
reload_table (NavettePoller *self,
              NavetteTable  *table)
{

  CheckData *data;

  /* Connect once: the poller reports the changes of every reload it
   * started. */
  if (g_signal_handler_find (table, G_SIGNAL_MATCH_DATA | G_SIGNAL_MATCH_FUNC,
                             0, 0, NULL, table_reloaded_cb, self) == 0)
    g_signal_connect_object (table, "reloaded", G_CALLBACK (table_reloaded_cb), self, 0);

  self->reloads++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELOADS]);

  data = g_new0 (CheckData, 1);
  data->self = g_object_ref (self);
  data->table = g_object_ref (table);
  navette_table_reload_async (table, FALSE, self->cancellable, reload_cb, data);
}

static void
light_check_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  CheckData *data = user_data;
  NavettePoller *self = data->self;
  NavetteStore *store = data->store;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  gboolean not_modified = FALSE;
  JsonNode *tables_node;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, &etag,
                                        &not_modified, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Stopped (or disposed): the round is over already. */
      check_data_free (data);
      return;
    }
  if (error != NULL)
    {
      g_debug ("Light check of %s failed: %s", navette_store_get_name (store), error->message);
      if (navette_sync_error_is_transient (error))
        self->round_failed = TRUE;
      goto out;
    }

  if (not_modified)
    goto out;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !(tables_node = json_object_get_member (json_node_get_object (root), "tables")) ||
      !JSON_NODE_HOLDS_OBJECT (tables_node))
    {
      g_debug ("Light check of %s: unexpected answer", navette_store_get_name (store));
      goto out;
    }

  {
    gboolean skipped = FALSE;
    gboolean schema_moved = FALSE;
    guint n_known = 0;
    JsonObjectIter iter;
    const char *name;
    JsonNode *node;
    JsonNode *schema_node;

    /* The application's tables or columns changed (added, retitled,
     * archived): its schema_revision moved, or a table is listed that
     * the store does not know, or one it knows is not listed. */
    schema_node = json_object_get_member (json_node_get_object (root), "schema_revision");
    if (schema_node != NULL && JSON_NODE_HOLDS_VALUE (schema_node) &&
        json_node_get_value_type (schema_node) == G_TYPE_INT64)
      {
        gint64 schema_revision = json_node_get_int (schema_node);

        if (navette_store_get_schema_revision (store) >= 0 &&
            schema_revision != navette_store_get_schema_revision (store))
          schema_moved = TRUE;
        navette_store_set_schema_revision (store, schema_revision);
      }

    json_object_iter_init (&iter, json_node_get_object (tables_node));
    while (json_object_iter_next (&iter, &name, &node))
      {
        NavetteTable *table = navette_store_lookup_table (store, name);
        JsonNode *revision_node;
        gint64 revision;

        if (table == NULL)
          {
            /* Never seen: the table list is read again, and this check is
             * not taken as the last word (its ETag is not kept). */
            if (navette_store_get_loaded (store) && navette_name_is_valid (name))
              schema_moved = TRUE;
            continue;
          }
        n_known++;
        if (!JSON_NODE_HOLDS_OBJECT (node))
          continue;
        revision_node = json_object_get_member (json_node_get_object (node), "revision");
        if (revision_node == NULL || json_node_get_value_type (revision_node) != G_TYPE_INT64)
          continue;
        revision = json_node_get_int (revision_node);

        if (navette_table_get_loaded (table))
          {
            if (revision > navette_table_get_revision (table))
              {
                if (navette_table_get_loading (table))
                  skipped = TRUE;
                else
                  reload_table (self, table);
              }
          }
        else
          navette_table_set_server_revision (table, revision);
      }
    if (navette_store_get_loaded (store) &&
        n_known < g_list_model_get_n_items (navette_store_get_tables (store)))
      schema_moved = TRUE;

    /* A table that could not be reloaded now must be seen again; so must
     * a schema that is being read again. */
    navette_store_set_etag (store, skipped || schema_moved ? NULL : etag);
    if (schema_moved)
      g_signal_emit (self, signals[SCHEMA_CHANGED], 0, navette_store_get_name (store));
  }

out:
  if (!self->round_failed)
    set_online (self, TRUE);
  else
    set_online (self, FALSE);

  g_assert (self->in_flight > 0);
  if (--self->in_flight == 0)
    round_done (self);

  check_data_free (data);
}

static void
check_now (NavettePoller *self)
{
  if (self->stores->len == 0)
    {
      self->round_failed = FALSE;
      round_done (self);
      return;
    }

  self->round_failed = FALSE;
  self->in_flight = self->stores->len;

  for (guint i = 0; i < self->stores->len; i++)
    {
      NavetteStore *store = g_ptr_array_index (self->stores, i);
      g_autofree char *path = NULL;
      CheckData *data;

      path = g_strdup_printf (NAVETTE_API_PREFIX "/applications/%s/last-modified",
                              navette_store_get_name (store));

      self->polls++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POLLS]);

      data = g_new0 (CheckData, 1);
      data->self = g_object_ref (self);
      data->store = g_object_ref (store);
      navette_client_request_async (self->client, "GET", path, NULL, NULL,
                                    navette_store_get_etag (store), self->cancellable,
                                    light_check_cb, data);
    }
}
