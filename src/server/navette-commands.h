/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-commands.h — the command line of navette-server.
 *
 *   navette-server serve  --db PATH_OR_URL --listen HOST:PORT …
 *   navette-server init   --db PATH_OR_URL
 *   navette-server demo   --db PATH_OR_URL
 *   navette-server user add USER [--display-name NAME] [--admin] [--password-stdin]
 *   navette-server user passwd USER [--password-stdin]
 *   navette-server user list [--json]
 *   navette-server grant USER reader|editor APP
 *   navette-server revoke USER APP
 *   navette-server app add APP [--title TITLE]
 *   navette-server table add APP TABLE [--title TITLE] --column name:type[:required][:MAXLEN]…
 *   navette-server column add APP TABLE name:type[:required][:MAXLEN]
 *
 * Every command takes --db and migrates the schema first. Exit status: 0
 * on success, 1 when the command failed, 2 for a usage error. Changes are
 * audited with the actor "admin". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NAVETTE_COMMANDS_ACTOR "admin"

int navette_commands_main (int    argc,
                           char **argv);

G_END_DECLS
