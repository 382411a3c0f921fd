/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include "navette-test-input.h"
#include "navette-test-window.h"
#include "navette-window-private.h"

typedef struct
{
  NavetteEngine *engine;
  const char    *app;
} StoreWait;

static gboolean
store_loaded (gpointer data)
{
  StoreWait *wait = data;
  NavetteStore *store = navette_engine_lookup_store (wait->engine, wait->app);

  return store != NULL && navette_store_get_loaded (store);
}

gboolean
navette_test_window_shows_records (gpointer window)
{
  return g_strcmp0 (_navette_window_get_page (window), "records") == 0;
}

NavetteWindow *
navette_test_window_open (NavetteEngine *engine,
                          const char    *app,
                          const char    *table,
                          int            width,
                          int            height)
{
  NavetteWindow *window = navette_window_new (NULL);
  StoreWait wait = { engine, app };

  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  navette_window_set_engine (window, engine);
  navette_test_wait_until (store_loaded, &wait, "the tables");
  g_assert_true (navette_window_select_table (window, app, table));
  navette_test_wait_until (navette_test_window_shows_records, window, "the records page");
  return window;
}
