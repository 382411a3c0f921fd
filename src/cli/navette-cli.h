/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-cli — the command-line client, built on the sync engine. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs the command line; returns the exit status (0 success, 1 failure,
 * 2 usage error). */
int navette_cli_run (int    argc,
                     char **argv);

G_END_DECLS
