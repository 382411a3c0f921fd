/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-serve.h — the `serve` sub-command of navette-server. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* argv[0] is "serve". Returns the process exit status. */
int navette_serve_main (int    argc,
                        char **argv);

G_END_DECLS
