/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-pki.h — a throwaway certificate authority for TLS tests.
 *
 * Made at run time with the openssl CLI in a temporary directory: a CA,
 * a certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) that it signs,
 * and a second CA that signs nothing the server uses. */
#pragma once

#include <glib.h>

#include "navette-test-server.h"

G_BEGIN_DECLS

typedef struct
{
  char *dir;
  char *ca;          /* the CA that signed the server's certificate */
  char *other_ca;    /* a CA that signed nothing */
  char *cert;        /* the server's certificate (PEM) */
  char *key;         /* its private key (PEM) */
} NavetteTestPki;

void navette_test_pki_setup    (NavetteTestPki *pki);
void navette_test_pki_teardown (NavetteTestPki *pki);

/* navette_test_server_start() serving HTTPS with @pki's certificate. */
NavetteTestServer *navette_test_pki_start_server (const NavetteTestPki *pki);

G_END_DECLS
