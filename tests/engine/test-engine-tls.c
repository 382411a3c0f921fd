/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-engine-tls.c — the engine against `navette-server serve --tls-cert
 * --tls-key`: it verifies the certificate (system store, or the CA file
 * given with navette_engine_set_ca_file()) and refuses one that does not
 * verify with NAVETTE_SYNC_ERROR_TLS, a permanent failure.
 *
 * A throwaway CA and a certificate for 127.0.0.1 are made at run time with
 * the openssl CLI; a second CA signs nothing the server uses. */

#include <glib.h>
#include <glib/gstdio.h>

#include "engine-test-util.h"
#include "navette-test-dirs.h"
#include "navette-test-pki.h"

static NavetteTestPki pki;

/* Signs in as alice with an engine trusting @ca_file (NULL: the system
 * store); returns whether it worked, and the error. */
static gboolean
login (NavetteEngine  *engine,
       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  NavetteSession *session = navette_engine_get_session (engine);

  navette_session_login_async (session, "alice", NAVETTE_DEMO_PASSWORD, NULL, navette_test_store_result_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 10000);
  return navette_session_login_finish (session, result, error);
}

static void
test_engine_tls_ca_file_signs_in_and_lists (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(NavetteEngine) engine = navette_engine_new (server->base_url);
  g_autoptr(GAsyncResult) load = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (server->base_url, "https://"));
  g_assert_true (navette_engine_set_ca_file (engine, pki.ca, &error));
  g_assert_no_error (error);
  g_assert_true (login (engine, &error));
  g_assert_no_error (error);

  navette_engine_load_async (engine, NULL, navette_test_store_result_cb, &load);
  ENGINE_WAIT_UNTIL (load != NULL, 10000);
  navette_engine_load_finish (engine, load, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_stores (engine)), >, 0);
}

static void
assert_refused (const char *ca_file)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(NavetteEngine) engine = navette_engine_new (server->base_url);
  g_autoptr(GError) error = NULL;
  NavetteClient *client = navette_engine_get_client (engine);

  if (ca_file != NULL)
    g_assert_true (navette_engine_set_ca_file (engine, ca_file, NULL));
  g_assert_false (login (engine, &error));
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TLS);
  g_assert_true (g_str_has_prefix (error->message, "The server’s certificate is not trusted: "));
  g_assert_nonnull (strstr (error->message, "known certificate authority"));
  /* Permanent: nothing retries it. */
  g_assert_false (navette_sync_error_is_transient (error));
  g_assert_cmpstr (navette_sync_error_code_to_string (error->code), ==, "tls");
  g_assert_false (navette_session_get_signed_in (navette_engine_get_session (engine)));
  g_assert_cmpuint (navette_client_get_requests (client), <=, 1);
}

static void
test_engine_tls_system_store_refuses (void)
{
  assert_refused (NULL);
}

static void
test_engine_tls_other_ca_refused (void)
{
  assert_refused (pki.other_ca);
}

static void
test_engine_tls_bad_ca_file (void)
{
  g_autoptr(NavetteEngine) engine = navette_engine_new ("https://127.0.0.1:1");
  g_autofree char *missing = g_build_filename (pki.dir, "missing.pem", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (navette_engine_set_ca_file (engine, missing, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* Back to the system store. */
  g_assert_true (navette_engine_set_ca_file (engine, NULL, &error));
  g_assert_no_error (error);
}

/* Runs navette-cli with a config home of its own; @ca_env: the
 * NAVETTE_CA_FILE it sees (NULL: unset). Returns the exit status. */
static int
run_cli (const char  *home,
         const char  *ca_env,
         char       **err,
         const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_build_filename (home, "data", NULL);
  g_autofree char *cache_home = g_build_filename (home, "cache", NULL);
  g_autofree char *out = NULL;

  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "NAVETTE_PASSWORD", NAVETTE_DEMO_PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NAVETTE_SERVER");
  if (ca_env != NULL)
    g_subprocess_launcher_setenv (launcher, "NAVETTE_CA_FILE", ca_env, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "NAVETTE_CA_FILE");

  g_ptr_array_add (argv, (gpointer) g_getenv ("NAVETTE_CLI_BINARY"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, err, &error);
  g_assert_no_error (error);
  g_test_message ("navette-cli %s → %d\n%s%s", args[0], g_subprocess_get_exit_status (process),
                  out, *err);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_engine_tls_cli_ca_file (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("navette-tls-cli-XXXXXX", &error);
  const char *rm[] = { "rm", "-rf", home, NULL };

  g_assert_no_error (error);
  {
    g_autofree char *err = NULL;
    const char *args[] = { "login", "alice", "--server", server->base_url, NULL };

    /* Without the CA: refused, with the reason. */
    g_assert_cmpint (run_cli (home, NULL, &err, args), !=, 0);
    g_assert_nonnull (strstr (err, "certificate is not trusted"));
  }
  {
    g_autofree char *err = NULL;
    const char *args[] = { "login", "alice", "--server", server->base_url, "--ca-file", pki.ca, NULL };

    g_assert_cmpint (run_cli (home, NULL, &err, args), ==, 0);
  }
  {
    g_autofree char *err = NULL;
    const char *args[] = { "apps", NULL };

    /* The saved server, the CA from the environment. */
    g_assert_cmpint (run_cli (home, pki.ca, &err, args), ==, 0);
  }
  {
    g_autofree char *err = NULL;
    const char *args[] = { "apps", NULL };

    g_assert_cmpint (run_cli (home, pki.other_ca, &err, args), !=, 0);
    g_assert_nonnull (strstr (err, "certificate is not trusted"));
  }
  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  /* Nothing in the user's own data, cache and config folders. */
  navette_test_dirs_init ();
  g_test_init (&argc, &argv, NULL);
  navette_test_pki_setup (&pki);

  g_test_add_func ("/engine/tls/ca-file-signs-in-and-lists", test_engine_tls_ca_file_signs_in_and_lists);
  g_test_add_func ("/engine/tls/system-store-refuses", test_engine_tls_system_store_refuses);
  g_test_add_func ("/engine/tls/other-ca-refused", test_engine_tls_other_ca_refused);
  g_test_add_func ("/engine/tls/bad-ca-file", test_engine_tls_bad_ca_file);
  g_test_add_func ("/engine/tls/cli-ca-file", test_engine_tls_cli_ca_file);

  ret = g_test_run ();
  navette_test_pki_teardown (&pki);
  return ret;
}
