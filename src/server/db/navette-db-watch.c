/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-watch.c — the base of the drivers' change watches (see
 * navette-db-watch.h). */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include "navette-db-watch.h"

typedef struct
{
  GMainContext *context;
  gboolean      stopped;
} NavetteDbWatchPrivate;

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NavetteDbWatch, navette_db_watch, G_TYPE_OBJECT)

GMainContext *
navette_db_watch_get_context (NavetteDbWatch *self)
{
  NavetteDbWatchPrivate *priv = navette_db_watch_get_instance_private (self);

  g_return_val_if_fail (NAVETTE_IS_DB_WATCH (self), NULL);
  return priv->context;
}

gboolean
navette_db_watch_is_stopped (NavetteDbWatch *self)
{
  NavetteDbWatchPrivate *priv = navette_db_watch_get_instance_private (self);

  g_return_val_if_fail (NAVETTE_IS_DB_WATCH (self), TRUE);
  return priv->stopped;
}

void
navette_db_watch_stop (NavetteDbWatch *self)
{
  NavetteDbWatchPrivate *priv = navette_db_watch_get_instance_private (self);

  g_return_if_fail (NAVETTE_IS_DB_WATCH (self));

  if (priv->stopped)
    return;
  priv->stopped = TRUE;
  NAVETTE_DB_WATCH_GET_CLASS (self)->stop (self);
}

void
navette_db_watch_emit (NavetteDbWatch  *self,
                       NavetteDbChange  kind,
                       const char      *name,
                       const char      *table)
{
  g_signal_emit (self, signals[CHANGED], 0, kind, name, table);
}

static void
changed_cb (NavetteDbWatch *watch,
            guint           kind,
            const char     *name,
            const char     *table,
            gpointer        user_data)
{
  navette_db_emit_change (user_data, kind, name, table);
}

NavetteDbWatch *
navette_db_watch_follow (NavetteDbWatch *watch,
                         NavetteDb      *db)
{
  g_return_val_if_fail (NAVETTE_IS_DB_WATCH (watch), NULL);

  g_signal_connect (watch, "changed", G_CALLBACK (changed_cb), db);
  return watch;
}

void
navette_db_watch_drop (NavetteDbWatch **watch,
                       NavetteDb       *db)
{
  if (*watch == NULL)
    return;
  g_signal_handlers_disconnect_by_func (*watch, changed_cb, db);
  navette_db_watch_stop (*watch);
  g_clear_object (watch);
}

static void
navette_db_watch_dispose (GObject *object)
{
  navette_db_watch_stop (NAVETTE_DB_WATCH (object));

  G_OBJECT_CLASS (navette_db_watch_parent_class)->dispose (object);
}

static void
navette_db_watch_finalize (GObject *object)
{
  NavetteDbWatchPrivate *priv = navette_db_watch_get_instance_private (NAVETTE_DB_WATCH (object));

  g_main_context_unref (priv->context);

  G_OBJECT_CLASS (navette_db_watch_parent_class)->finalize (object);
}

static void
navette_db_watch_class_init (NavetteDbWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_db_watch_dispose;
  object_class->finalize = navette_db_watch_finalize;

  /**
   * NavetteDbWatch::changed:
   * @kind: a #NavetteDbChange
   * @name: (nullable): the application or the user, %NULL for ANY
   * @table: (nullable): the table of @name, for TABLE
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
}

static void
navette_db_watch_init (NavetteDbWatch *self)
{
  NavetteDbWatchPrivate *priv = navette_db_watch_get_instance_private (self);

  priv->context = g_main_context_ref_thread_default ();
}
