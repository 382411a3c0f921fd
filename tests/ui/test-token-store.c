/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-token-store.c — the session token is saved, found again and
 * forgotten; without a keyring (no session bus, as in CI) it is kept in
 * memory without any warning (G_DEBUG=fatal-warnings would abort). */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include "navette-token-store.h"
#include "navette-test-loop.h"

static void
test_memory_fallback (void)
{
  g_autoptr(NavetteTokenStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  const char *server = "http://127.0.0.1:1";

  /* No session bus: libsecret cannot reach a keyring. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("NAVETTE_NO_KEYRING");
  store = navette_token_store_new ();

  navette_token_store_lookup_async (store, server, "alice", NULL, navette_test_store_result_cb, &result);
  token = navette_token_store_lookup_finish (store, navette_test_wait_result (&result, "navette_token_store_lookup"), &error);
  g_assert_no_error (error);
  g_assert_null (token);
  g_clear_object (&result);

  navette_token_store_save_async (store, server, "alice", "secret-token", NULL, navette_test_store_result_cb, &result);
  g_assert_true (navette_token_store_save_finish (store, navette_test_wait_result (&result, "navette_token_store_save"), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  navette_token_store_lookup_async (store, server, "alice", NULL, navette_test_store_result_cb, &result);
  token = navette_token_store_lookup_finish (store, navette_test_wait_result (&result, "navette_token_store_lookup"), &error);
  g_assert_cmpstr (token, ==, "secret-token");
  g_clear_pointer (&token, g_free);
  g_clear_object (&result);

  /* Another user or server has no token. */
  navette_token_store_lookup_async (store, server, "bob", NULL, navette_test_store_result_cb, &result);
  token = navette_token_store_lookup_finish (store, navette_test_wait_result (&result, "navette_token_store_lookup"), &error);
  g_assert_null (token);
  g_clear_object (&result);

  navette_token_store_clear_async (store, server, "alice", NULL, navette_test_store_result_cb, &result);
  g_assert_true (navette_token_store_clear_finish (store, navette_test_wait_result (&result, "navette_token_store_clear"), &error));
  g_clear_object (&result);
  navette_token_store_lookup_async (store, server, "alice", NULL, navette_test_store_result_cb, &result);
  token = navette_token_store_lookup_finish (store, navette_test_wait_result (&result, "navette_token_store_lookup"), &error);
  g_assert_null (token);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/token-store/memory-fallback", test_memory_fallback);

  return g_test_run ();
}
