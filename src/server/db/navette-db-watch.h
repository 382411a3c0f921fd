/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-watch.h — what the drivers' change watches share.
 *
 * A NavetteDbWatch (NavetteDbSqliteWatch, NavetteDbPgWatch) tells of the
 * changes committed by anyone with ::changed (kind, name, table), a
 * NavetteDbChange, on the thread-default main context of its creation,
 * until it is stopped. A driver's watch_changes makes one and follows it
 * (navette_db_watch_follow(): what it tells, the NavetteDb emits with
 * navette_db_emit_change()); its unwatch_changes drops it. */
#pragma once

#include <glib-object.h>

#include "navette-db-driver.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_DB_WATCH (navette_db_watch_get_type ())
G_DECLARE_DERIVABLE_TYPE (NavetteDbWatch, navette_db_watch, NAVETTE, DB_WATCH, GObject)

struct _NavetteDbWatchClass
{
  GObjectClass parent_class;

  /* Let go of everything that could emit; called once, by
   * navette_db_watch_stop() or on dispose. */
  void (*stop) (NavetteDbWatch *self);
};

/* The thread-default main context of the watch's creation. */
GMainContext   *navette_db_watch_get_context (NavetteDbWatch  *self);
gboolean        navette_db_watch_is_stopped  (NavetteDbWatch  *self);
/* Nothing is emitted after this. */
void            navette_db_watch_stop        (NavetteDbWatch  *self);
void            navette_db_watch_emit        (NavetteDbWatch  *self,
                                              NavetteDbChange  kind,
                                              const char      *name,
                                              const char      *table);

/* @db emits what @watch tells, until navette_db_watch_drop(); returns
 * @watch. */
NavetteDbWatch *navette_db_watch_follow      (NavetteDbWatch  *watch,
                                              NavetteDb       *db);
/* Stops *@watch, that @db follows, and clears it; nothing when NULL. */
void            navette_db_watch_drop        (NavetteDbWatch **watch,
                                              NavetteDb       *db);

G_END_DECLS
