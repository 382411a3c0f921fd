/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteApplication — starts the local server (local mode, the default)
 * or connects to a team server (`--server URL` or the "server-url"
 * setting), signs in, and opens the window. */
#pragma once

#include <adwaita.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_APPLICATION (navette_application_get_type ())
G_DECLARE_FINAL_TYPE (NavetteApplication, navette_application, NAVETTE, APPLICATION, AdwApplication)

NavetteApplication *navette_application_new        (void);
/* The engine of the current connection (may not be loaded yet), or
 * NULL. (transfer none) */
NavetteEngine      *navette_application_get_engine (NavetteApplication *self);

G_END_DECLS
