/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "navette-test-engine.h"
#include "navette-test-loop.h"

void
navette_test_sign_in (NavetteSession *session,
                      const char     *username)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  navette_session_login_async (session, username, NAVETTE_DEMO_PASSWORD, NULL,
                               navette_test_store_result_cb, &result);
  navette_test_wait_result (&result, "the sign-in");
  navette_session_login_finish (session, result, &error);
  g_assert_no_error (error);
  g_assert_true (navette_session_get_signed_in (session));
}

void
navette_test_sign_in_and_load (NavetteEngine *engine,
                               const char    *username)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  navette_test_sign_in (navette_engine_get_session (engine), username);
  navette_engine_load_async (engine, NULL, navette_test_store_result_cb, &result);
  navette_test_wait_result (&result, "the applications");
  navette_engine_load_finish (engine, result, &error);
  g_assert_no_error (error);
}

NavetteTable *
navette_test_engine_table (NavetteEngine *engine,
                           const char    *app,
                           const char    *table_name)
{
  NavetteStore *store = navette_engine_lookup_store (engine, app);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NavetteTable *table;

  g_assert_nonnull (store);
  navette_store_load_tables_async (store, NULL, navette_test_store_result_cb, &result);
  navette_test_wait_result (&result, "the tables");
  g_assert_true (navette_store_load_tables_finish (store, result, &error));
  g_assert_no_error (error);
  table = navette_store_lookup_table (store, table_name);
  g_assert_nonnull (table);
  return table;
}

NavetteEngine *
navette_test_engine_new (NavetteTestServer *server,
                         const char        *username,
                         const char        *data_dir)
{
  NavetteEngine *engine = navette_engine_new (server->base_url);

  if (data_dir != NULL)
    navette_engine_set_data_dir (engine, data_dir);
  navette_test_sign_in_and_load (engine, username);
  return engine;
}
