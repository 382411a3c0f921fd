/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-engine.h — an engine signed in on the real test server,
 * for every test program that drives the engine (engine, ui, bench). Each
 * call waits on the default main context (never sleeping) and fails the
 * test on an error. */
#pragma once

#include "navette-engine.h"
#include "navette-test-server.h"

G_BEGIN_DECLS

/* Signs @session in as @username with the demo password. */
void           navette_test_sign_in          (NavetteSession    *session,
                                              const char        *username);
/* Signs @engine in as @username and loads its applications. */
void           navette_test_sign_in_and_load (NavetteEngine     *engine,
                                              const char        *username);
/* A new engine for @server, its journal in @data_dir (NULL: none),
 * signed in as @username with its applications loaded. */
NavetteEngine *navette_test_engine_new       (NavetteTestServer *server,
                                              const char        *username,
                                              const char        *data_dir);

/* The table @table of @app, once @engine has loaded that application's
 * tables (its records are not loaded). */
NavetteTable  *navette_test_engine_table     (NavetteEngine     *engine,
                                              const char        *app,
                                              const char        *table);

G_END_DECLS
