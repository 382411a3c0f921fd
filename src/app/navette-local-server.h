/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteLocalServer — the embedded server of local mode.
 *
 * Runs `navette-server demo --db DB` the first time (when DB does not exist
 * yet), then `navette-server serve --db DB --listen 127.0.0.1:0` as a child
 * process, reads its standard output asynchronously until the
 * "listening on http://…" line and hands back that address. Stops the
 * child (SIGTERM, then waits) in navette_local_server_stop() and when
 * finalized. The binary is $NAVETTE_SERVER_BINARY, else the installed one
 * in BINDIR, else the one of the build tree. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_LOCAL_SERVER (navette_local_server_get_type ())
G_DECLARE_FINAL_TYPE (NavetteLocalServer, navette_local_server, NAVETTE, LOCAL_SERVER, GObject)

/* The user of the demo database that local mode signs in as. */
#define NAVETTE_LOCAL_USERNAME "admin"
#define NAVETTE_LOCAL_PASSWORD "navette-demo"

/* @db_path: (nullable): NULL for $XDG_DATA_HOME/navette/local.db */
NavetteLocalServer *navette_local_server_new          (const char          *db_path);
const char         *navette_local_server_get_db_path  (NavetteLocalServer  *self);
/* "http://127.0.0.1:PORT" once started, NULL before. */
const char         *navette_local_server_get_base_url (NavetteLocalServer  *self);
char               *navette_local_server_find_binary  (void);

void                navette_local_server_start_async  (NavetteLocalServer  *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
/* Returns the base URL (transfer none) or NULL with an error. */
const char         *navette_local_server_start_finish (NavetteLocalServer  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void                navette_local_server_stop         (NavetteLocalServer  *self);

G_END_DECLS
