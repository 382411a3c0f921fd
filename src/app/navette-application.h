/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteApplication — starts the local server (local mode, the default)
 * or connects to a team server (`--server URL` or the "server-url"
 * setting), signs in, and opens the window. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_APPLICATION (navette_application_get_type ())
G_DECLARE_FINAL_TYPE (NavetteApplication, navette_application, NAVETTE, APPLICATION, AdwApplication)

NavetteApplication *navette_application_new (void);

G_END_DECLS
