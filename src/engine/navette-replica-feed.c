/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-replica-feed.c — one table of the replica kept up to date, and
 * its lazy model (see navette-replica-feed.h). */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include "navette-replica-feed.h"
#include "navette-engine-private.h"
#include "navette-store.h"

struct _NavetteReplicaFeed
{
  GObject              parent_instance;

  NavetteReplica      *replica;
  NavetteClient       *client;
  NavetteTable        *table;
  char                *app;
  NavetteReplicaModel *model;
  GListModel          *tables;    /* the store's */
  GCancellable        *cancellable;

  gint64               revision;
  guint64              rows_synced; /* rows applied by the running sync */
  GError              *error;
  gboolean             syncing;
  gboolean             synced;
  gboolean             again;     /* a sync was asked while one ran */
  gboolean             removed;   /* no longer readable: dropped */
  gboolean             held;      /* no sync until released (the engine
                                   * is not loaded yet) */
};

G_DEFINE_FINAL_TYPE (NavetteReplicaFeed, navette_replica_feed, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SYNCING,
  PROP_SYNCED,
  PROP_REVISION,
  PROP_ERROR,
  PROP_REMOVED,
  PROP_ROWS_SYNCED,
  N_PROPS
};

enum {
  SYNCED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_syncing (NavetteReplicaFeed *self,
             gboolean            syncing)
{
  if (self->syncing == syncing)
    return;
  self->syncing = syncing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNCING]);
}

static void sync_start (NavetteReplicaFeed *self);

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(NavetteReplicaFeed) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 revision = -1;
  guint64 n_rows = 0;

  if (!navette_replica_sync_finish (NAVETTE_REPLICA (object), result, &revision, &n_rows, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("syncing %s/%s into the replica: %s", self->app,
               navette_table_get_name (self->table), error->message);
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      g_object_freeze_notify (G_OBJECT (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      set_syncing (self, FALSE);
      g_object_thaw_notify (G_OBJECT (self));
      self->again = FALSE;
      return;
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (self->error != NULL)
    {
      g_clear_error (&self->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->revision != revision)
    {
      self->revision = revision;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
    }
  if (!self->synced)
    {
      self->synced = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNCED]);
      /* The table shown, complete: the sort indexes it lacks (a replica
       * synced by the CLI, or by a version without them), in the
       * background. */
      if (navette_table_get_schema (self->table) != NULL)
        navette_replica_build_sort_indexes (self->replica, self->app, navette_table_get_schema (self->table));
    }
  set_syncing (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));

  /* Nothing to recompute after an empty delta (but the first sync). */
  if (n_rows > 0)
    navette_replica_model_refresh (self->model);
  g_signal_emit (self, signals[SYNCED], 0, n_rows);

  /* Asked meanwhile, or the server moved past what this sync read. */
  if (self->again || navette_table_get_server_revision (self->table) > revision)
    {
      self->again = FALSE;
      sync_start (self);
    }
}

static void
sync_start (NavetteReplicaFeed *self)
{
  if (self->removed)
    return;
  if (self->syncing || self->held)
    {
      self->again = TRUE;
      return;
    }
  set_syncing (self, TRUE);
  if (self->rows_synced != 0)
    {
      self->rows_synced = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_SYNCED]);
    }
  navette_replica_sync_async (self->replica, self->client, self->app,
                              navette_table_get_schema (self->table),
                              self->cancellable, sync_cb, g_object_ref (self));
}

/* A page of a sync of this table was applied. */
static void
sync_progress_cb (NavetteReplica     *replica,
                  const char         *app,
                  const char         *table,
                  guint64             n_rows,
                  NavetteReplicaFeed *self)
{
  if (!self->syncing || g_strcmp0 (app, self->app) != 0 ||
      g_strcmp0 (table, navette_table_get_name (self->table)) != 0)
    return;
  self->rows_synced = n_rows;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_SYNCED]);
}

static void
server_revision_moved_cb (NavetteTable       *table,
                          gint64              revision,
                          NavetteReplicaFeed *self)
{
  if (revision > self->revision)
    sync_start (self);
}

static void
schema_changed_cb (NavetteTable       *table,
                   NavetteReplicaFeed *self)
{
  sync_start (self);
}

static void
dropped_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NavetteReplicaFeed) self = user_data;
  g_autoptr(GError) error = NULL;

  if (navette_replica_drop_finish (NAVETTE_REPLICA (object), result, &error) < 0)
    g_warning ("Cannot drop %s/%s from the replica: %s", self->app,
               navette_table_get_name (self->table), error->message);
  if (self->model != NULL)
    navette_replica_model_refresh (self->model);
}

/* The store's table list changed: a table no longer listed (the user
 * may no longer read it, or it was removed) leaves the replica. */
static void
tables_changed_cb (GListModel         *tables,
                   guint               position,
                   guint               removed,
                   guint               added,
                   NavetteReplicaFeed *self)
{
  NavetteStore *store = navette_table_get_store (self->table);

  if (self->removed || removed == 0)
    return;
  if (store != NULL && navette_store_lookup_table (store, navette_table_get_name (self->table)) == self->table)
    return;

  self->removed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_syncing (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOVED]);
  navette_replica_drop_async (self->replica, self->app, navette_table_get_name (self->table),
                              NULL, dropped_cb, g_object_ref (self));
}

static void
navette_replica_feed_dispose (GObject *object)
{
  NavetteReplicaFeed *self = NAVETTE_REPLICA_FEED (object);

  g_cancellable_cancel (self->cancellable);
  if (self->replica != NULL)
    g_signal_handlers_disconnect_by_data (self->replica, self);
  if (self->table != NULL)
    g_signal_handlers_disconnect_by_data (self->table, self);
  if (self->tables != NULL)
    g_signal_handlers_disconnect_by_data (self->tables, self);
  g_clear_object (&self->tables);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (navette_replica_feed_parent_class)->dispose (object);
}

static void
navette_replica_feed_finalize (GObject *object)
{
  NavetteReplicaFeed *self = NAVETTE_REPLICA_FEED (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->replica);
  g_clear_object (&self->client);
  g_clear_object (&self->table);
  g_clear_pointer (&self->app, g_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (navette_replica_feed_parent_class)->finalize (object);
}

static void
navette_replica_feed_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavetteReplicaFeed *self = NAVETTE_REPLICA_FEED (object);

  switch (prop_id)
    {
    case PROP_SYNCING:
      g_value_set_boolean (value, self->syncing);
      break;
    case PROP_SYNCED:
      g_value_set_boolean (value, self->synced);
      break;
    case PROP_REVISION:
      g_value_set_int64 (value, self->revision);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_REMOVED:
      g_value_set_boolean (value, self->removed);
      break;
    case PROP_ROWS_SYNCED:
      g_value_set_uint64 (value, self->rows_synced);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_replica_feed_class_init (NavetteReplicaFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_replica_feed_dispose;
  object_class->finalize = navette_replica_feed_finalize;
  object_class->get_property = navette_replica_feed_get_property;

  properties[PROP_SYNCING] = g_param_spec_boolean ("syncing", NULL, NULL, FALSE, flags);
  properties[PROP_SYNCED] = g_param_spec_boolean ("synced", NULL, NULL, FALSE, flags);
  properties[PROP_REVISION] = g_param_spec_int64 ("revision", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_REMOVED] = g_param_spec_boolean ("removed", NULL, NULL, FALSE, flags);
  properties[PROP_ROWS_SYNCED] = g_param_spec_uint64 ("rows-synced", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SYNCED] =
    g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
navette_replica_feed_init (NavetteReplicaFeed *self)
{
  self->revision = -1;
  self->cancellable = g_cancellable_new ();
}

static NavetteReplicaFeed *
feed_new (NavetteReplica *replica,
          NavetteClient  *client,
          NavetteTable   *table,
          gboolean        held)
{
  NavetteReplicaFeed *self;
  NavetteStore *store;

  g_return_val_if_fail (NAVETTE_IS_REPLICA (replica), NULL);
  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  store = navette_table_get_store (table);
  g_return_val_if_fail (store != NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_REPLICA_FEED, NULL);
  self->held = held;
  self->replica = g_object_ref (replica);
  self->client = g_object_ref (client);
  self->table = g_object_ref (table);
  self->app = g_strdup (navette_store_get_name (store));
  /* A window shows it: its first screens' rows read with the view's
   * first keys (GTK 4.8's column view makes some 200 rows at once). */
  self->model = g_object_new (NAVETTE_TYPE_REPLICA_MODEL,
                              "replica", replica,
                              "app", self->app,
                              "table", navette_table_get_name (table),
                              "head-rows", 200,
                              NULL);
  navette_replica_model_set_overlay (self->model, table);
  g_signal_connect (replica, "sync-progress", G_CALLBACK (sync_progress_cb), self);
  g_signal_connect (table, "server-revision-moved", G_CALLBACK (server_revision_moved_cb), self);
  g_signal_connect (table, "schema-changed", G_CALLBACK (schema_changed_cb), self);
  self->tables = g_object_ref (navette_store_get_tables (store));
  g_signal_connect (self->tables, "items-changed", G_CALLBACK (tables_changed_cb), self);
  sync_start (self);
  return self;
}

NavetteReplicaFeed *
navette_replica_feed_new (NavetteReplica *replica,
                          NavetteClient  *client,
                          NavetteTable   *table)
{
  return feed_new (replica, client, table, FALSE);
}

NavetteReplicaFeed *
navette_replica_feed_new_held (NavetteReplica *replica,
                               NavetteClient  *client,
                               NavetteTable   *table)
{
  return feed_new (replica, client, table, TRUE);
}

void
navette_replica_feed_release (NavetteReplicaFeed *self)
{
  g_return_if_fail (NAVETTE_IS_REPLICA_FEED (self));

  if (!self->held)
    return;
  self->held = FALSE;
  if (self->again)
    {
      self->again = FALSE;
      sync_start (self);
    }
}

NavetteReplicaModel *
navette_replica_feed_get_model (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), NULL);
  return self->model;
}

NavetteTable *
navette_replica_feed_get_table (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), NULL);
  return self->table;
}

gboolean
navette_replica_feed_get_syncing (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), FALSE);
  return self->syncing;
}

gboolean
navette_replica_feed_get_synced (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), FALSE);
  return self->synced;
}

gint64
navette_replica_feed_get_revision (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), -1);
  return self->revision;
}

const GError *
navette_replica_feed_get_error (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), NULL);
  return self->error;
}

guint64
navette_replica_feed_get_rows_synced (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), 0);
  return self->rows_synced;
}

gboolean
navette_replica_feed_get_removed (NavetteReplicaFeed *self)
{
  g_return_val_if_fail (NAVETTE_IS_REPLICA_FEED (self), FALSE);
  return self->removed;
}

void
navette_replica_feed_sync (NavetteReplicaFeed *self)
{
  g_return_if_fail (NAVETTE_IS_REPLICA_FEED (self));
  sync_start (self);
}
