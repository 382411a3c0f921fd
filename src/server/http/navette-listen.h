/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-listen.h — the listening socket of navette-server.
 *
 * GLib listens with a backlog of 10 (and libsoup's soup_server_listen()
 * with GLib's): when a crowd of clients reconnects at once — after a
 * restart or a network blip — the kernel drops the connection attempts
 * that do not fit, and clients retry them only after 1, 3, 7 s. So the
 * server makes its own socket, with the system's largest backlog, and
 * hands it to soup_server_listen_socket(). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The system's limit of a listen backlog: net.core.somaxconn, else
 * SOMAXCONN. */
int      navette_listen_backlog    (void);
/* A TCP socket bound to @address and listening with
 * navette_listen_backlog() (IPv6 addresses: IPv6 only, as libsoup does). */
GSocket *navette_listen_socket_new (GSocketAddress  *address,
                                    GError         **error);

G_END_DECLS
