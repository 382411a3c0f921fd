/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-window.h — the editor's window opened on a table, for the
 * UI tests that start from the records of a table. */
#pragma once

#include "navette-window.h"

G_BEGIN_DECLS

/* A NavetteTestCondition: @window (a NavetteWindow) shows its records. */
gboolean       navette_test_window_shows_records (gpointer       window);
/* A new window of @engine, presented (at @width × @height; 0 × 0: its
 * default size), showing @app's @table: waits until the application's
 * tables are loaded and the records page is shown. */
NavetteWindow *navette_test_window_open          (NavetteEngine *engine,
                                                  const char    *app,
                                                  const char    *table,
                                                  int            width,
                                                  int            height);

G_END_DECLS
