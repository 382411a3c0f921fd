/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-dirs.h — user directories of the test program's own.
 *
 * The application and the engine keep their saved rows per server address
 * and user under $XDG_DATA_HOME/navette. Shared by every test program, a
 * test server that got a port another test's server had used showed that
 * test's rows. Each program that runs the application, navette-cli or an
 * engine on the default directories calls navette_test_dirs_init() first
 * thing in main(); each of its subtests that does so starts with
 * navette_test_dirs_reset(). (A process that does not exit, killed by
 * an assertion, leaves its folder in the temporary directory.) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* XDG_DATA_HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME and XDG_STATE_HOME set
 * to a temporary directory of this process, inherited by its children
 * (unless a test gives one folders of its own), removed when it exits.
 * Before anything reads them (GLib keeps the first values it reads: a
 * late call is an error). Returns that directory; a second call returns
 * the same. */
const char *navette_test_dirs_init     (void);

/* Removes what the application kept in them (the navette folder of each),
 * so that a subtest never meets an earlier subtest's saved rows, whose
 * server may have had the same port. */
void        navette_test_dirs_reset    (void);

G_END_DECLS
