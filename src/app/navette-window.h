/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteWindow — the main window: a sidebar of the applications the user
 * has a role in and their tables, the open table in a GtkColumnView, the
 * record pane, the sync indicator, the failed changes and the toasts. */
#pragma once

#include <adwaita.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_WINDOW (navette_window_get_type ())
G_DECLARE_FINAL_TYPE (NavetteWindow, navette_window, NAVETTE, WINDOW, AdwApplicationWindow)

NavetteWindow *navette_window_new                (GtkApplication *application);
/* Shows the engine's applications (call after sign-in and
 * navette_engine_load_async()). NULL detaches (signed out). */
void           navette_window_set_engine         (NavetteWindow  *self,
                                                  NavetteEngine  *engine);
NavetteEngine *navette_window_get_engine         (NavetteWindow  *self);
/* The spinner page with a sentence ("Starting the local server…"). */
/* Shows what @engine found in its replica (navette_engine_open_saved_async)
 * at once, read-only and without the network (the tables through the
 * replica's lazy models, nothing loaded whole), until
 * navette_window_set_engine() is called with the same engine once it is
 * loaded. Does nothing when the window already has an engine. */
void           navette_window_show_cached        (NavetteWindow  *self,
                                                  NavetteEngine  *engine);
void           navette_window_show_connecting    (NavetteWindow  *self,
                                                  const char     *message);
/* The "Cannot reach the server" page with a reason and a Retry button. */
void           navette_window_show_error         (NavetteWindow  *self,
                                                  const char     *title,
                                                  const char     *description);
/* Opens a table; FALSE when the user has no such table. */
gboolean       navette_window_select_table       (NavetteWindow  *self,
                                                  const char     *app,
                                                  const char     *table);
NavetteStore  *navette_window_get_store          (NavetteWindow  *self);
NavetteTable  *navette_window_get_table          (NavetteWindow  *self);
/* Opens @record in the pane (NULL: a new record). */
void           navette_window_open_record        (NavetteWindow  *self,
                                                  NavetteRecord  *record);
/* Opens @table of @app and the history of @record in the pane (once the
 * table is loaded); FALSE when the user has no such table. */
gboolean       navette_window_show_record_history (NavetteWindow *self,
                                                   const char    *app,
                                                   const char    *table,
                                                   const char    *record);
/* The table to open once the tables are known ("app/table"), instead of
 * the one of last time. */
void           navette_window_set_initial_table  (NavetteWindow  *self,
                                                  const char     *path);
void           navette_window_add_toast          (NavetteWindow  *self,
                                                  AdwToast       *toast);

typedef void (*NavetteWindowContinue) (NavetteWindow *self,
                                       gpointer       data);
/* Before quitting (or signing out, @sign_out): asks Save / Discard /
 * Cancel when the pane holds unsaved edits, then "N changes are not saved
 * yet — they will be sent next time you open Navette" / Quit Anyway when
 * changes wait for the server; runs @next unless the user cancels. */
void           navette_window_confirm_leave      (NavetteWindow         *self,
                                                  gboolean               sign_out,
                                                  NavetteWindowContinue  next,
                                                  gpointer               data,
                                                  GDestroyNotify         destroy);

G_END_DECLS
