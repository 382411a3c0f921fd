/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-service.h — navette-server as a systemd service
 * (data/navette-server.service).
 *
 * Built with libsystemd (meson -Dsystemd=enabled), `serve` tells systemd
 * when it accepts connections (Type=notify: READY=1), keeps its watchdog
 * fed from the main loop when the unit asks for one (WatchdogSec=), and
 * says when it stops. Without libsystemd, or outside systemd, these do
 * nothing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The server accepts connections at @url. */
void navette_service_ready    (const char *url);
/* The server is stopping (after SIGTERM or SIGINT). */
void navette_service_stopping (void);

G_END_DECLS
