/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-tls.c — `navette-server serve --tls-cert F --tls-key F`.
 *
 * A throwaway CA and a certificate for 127.0.0.1 (subjectAltName
 * IP:127.0.0.1) are made at run time with the openssl CLI in a temporary
 * directory; a second CA signs nothing the server uses. */

#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "navette-test-pki.h"
#include "navette-test-server.h"

static NavetteTestPki pki;

/* A session trusting only @ca_file (NULL: the system store). */
static SoupSession *
session_new (const char *ca_file)
{
  SoupSession *session = soup_session_new_with_options ("timeout", 10, NULL);

  if (ca_file != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

      g_assert_no_error (error);
      soup_session_set_tls_database (session, database);
    }
  return session;
}

static GBytes *
send (SoupSession *session,
      const char  *method,
      const char  *url,
      const char  *token,
      const char  *body,
      guint       *status,
      GError     **error)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  GBytes *response;

  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", bearer);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  response = soup_session_send_and_read (session, message, NULL, error);
  *status = soup_message_get_status (message);
  return response;
}

static void
test_tls_listening_line (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);

  g_assert_true (g_str_has_prefix (server->base_url, "https://127.0.0.1:"));
  g_assert_nonnull (strstr (server->output->str, "listening on https://127.0.0.1:"));
}

static void
test_tls_trusted_ca_signs_in_and_lists (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(SoupSession) session = session_new (pki.ca);
  g_autofree char *login_url = g_strconcat (server->base_url, "/api/v1/sessions", NULL);
  g_autofree char *list_url = g_strconcat (server->base_url, "/api/v1/applications", NULL);
  g_autoptr(GBytes) login = NULL;
  g_autoptr(GBytes) list = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  guint status = 0;

  login = send (session, "POST", login_url, NULL,
                "{\"username\": \"alice\", \"password\": \"" NAVETTE_DEMO_PASSWORD "\"}",
                &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 201);
  root = navette_test_parse (login);
  token = g_strdup (json_object_get_string_member (json_node_get_object (root), "token"));
  g_assert_nonnull (token);

  g_clear_pointer (&root, json_node_unref);
  list = send (session, "GET", list_url, token, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  root = navette_test_parse (list);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root),
                                                                         "applications")), >, 0);
}

static void
assert_refused (const char *ca_file)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(SoupSession) session = session_new (ca_file);
  g_autofree char *url = g_strconcat (server->base_url, "/api/v1/health", NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status = 0;

  body = send (session, "GET", url, NULL, NULL, &status, &error);
  g_assert_null (body);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
}

static void
test_tls_system_store_refuses_throwaway_ca (void)
{
  assert_refused (NULL);
}

static void
test_tls_other_ca_refused (void)
{
  assert_refused (pki.other_ca);
}

static void
test_tls_plain_http_client_gets_no_answer (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_pki_start_server (&pki);
  g_autoptr(SoupSession) session = session_new (NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/health", server->port);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status = 0;

  /* The server speaks TLS only: plain HTTP gets no HTTP answer. */
  body = send (session, "GET", url, NULL, NULL, &status, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
}

static int
run_serve (const char *cert,
           const char *key,
           char      **err)
{
  g_autofree char *db = g_build_filename (pki.dir, "unused.db", NULL);
  const char *binary = g_getenv ("NAVETTE_SERVER_BINARY");
  const char *argv[] = { binary, "serve", "--db", db, "--listen", "127.0.0.1:0",
                         "--tls-cert", cert, "--tls-key", key, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (binary);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, err, &status, &error);
  g_assert_no_error (error);
  g_unlink (db);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_tls_bad_files_exit_1 (void)
{
  g_autofree char *missing = g_build_filename (pki.dir, "missing.pem", NULL);
  g_autofree char *err1 = NULL;
  g_autofree char *err2 = NULL;

  /* No such file. */
  g_assert_cmpint (run_serve (missing, pki.key, &err1), ==, 1);
  g_assert_nonnull (strstr (err1, "cannot load the TLS certificate"));
  /* A key that is not the certificate's (nor a key at all). */
  g_assert_cmpint (run_serve (pki.cert, pki.ca, &err2), ==, 1);
  g_assert_nonnull (strstr (err2, "cannot load the TLS certificate"));
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  navette_test_pki_setup (&pki);

  g_test_add_func ("/server/tls/listening-line", test_tls_listening_line);
  g_test_add_func ("/server/tls/trusted-ca-signs-in-and-lists", test_tls_trusted_ca_signs_in_and_lists);
  g_test_add_func ("/server/tls/system-store-refuses-throwaway-ca", test_tls_system_store_refuses_throwaway_ca);
  g_test_add_func ("/server/tls/other-ca-refused", test_tls_other_ca_refused);
  g_test_add_func ("/server/tls/plain-http-client-gets-no-answer", test_tls_plain_http_client_gets_no_answer);
  g_test_add_func ("/server/tls/bad-files-exit-1", test_tls_bad_files_exit_1);

  ret = g_test_run ();
  navette_test_pki_teardown (&pki);
  return ret;
}
