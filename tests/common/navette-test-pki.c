/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <glib/gstdio.h>

#include "navette-test-pki.h"

static void
run_openssl (NavetteTestPki *pki,
             const char     *first,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "openssl");
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (pki->dir, (char **) argv->pdata, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl %s failed: %s", first, err);
}

static void
make_ca (NavetteTestPki *pki,
         const char     *name)
{
  g_autofree char *key = g_strconcat (name, ".key", NULL);
  g_autofree char *pem = g_strconcat (name, ".pem", NULL);
  g_autofree char *subject = g_strconcat ("/CN=Navette test ", name, NULL);

  run_openssl (pki, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", key, "-out", pem, "-days", "2", "-subj", subject,
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL);
}

void
navette_test_pki_setup (NavetteTestPki *pki)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ext = NULL;

  pki->dir = g_dir_make_tmp ("navette-tls-XXXXXX", &error);
  g_assert_no_error (error);
  make_ca (pki, "ca");
  make_ca (pki, "other-ca");
  ext = g_build_filename (pki->dir, "server.ext", NULL);
  g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1\n"
                            "extendedKeyUsage=serverAuth\n"
                            "basicConstraints=CA:FALSE\n", -1, &error);
  g_assert_no_error (error);
  run_openssl (pki, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", "server.key", "-out", "server.csr",
               "-subj", "/CN=127.0.0.1", NULL);
  run_openssl (pki, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
               "-CAcreateserial", "-out", "server.pem", "-days", "2",
               "-extfile", "server.ext", NULL);

  pki->ca = g_build_filename (pki->dir, "ca.pem", NULL);
  pki->other_ca = g_build_filename (pki->dir, "other-ca.pem", NULL);
  pki->cert = g_build_filename (pki->dir, "server.pem", NULL);
  pki->key = g_build_filename (pki->dir, "server.key", NULL);
}

void
navette_test_pki_teardown (NavetteTestPki *pki)
{
  const char *names[] = { "ca.key", "ca.pem", "ca.srl", "other-ca.key", "other-ca.pem",
                          "other-ca.srl", "server.key", "server.csr", "server.pem",
                          "server.ext", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (pki->dir, names[i], NULL);
      g_unlink (path);
    }
  g_rmdir (pki->dir);
  g_free (pki->dir);
  g_free (pki->ca);
  g_free (pki->other_ca);
  g_free (pki->cert);
  g_free (pki->key);
}

NavetteTestServer *
navette_test_pki_start_server (const NavetteTestPki *pki)
{
  const char *args[] = { "--tls-cert", pki->cert, "--tls-key", pki->key, NULL };

  return navette_test_server_start (args);
}
