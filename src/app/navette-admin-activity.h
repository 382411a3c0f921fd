/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_ACTIVITY (navette_admin_activity_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminActivity, navette_admin_activity, NAVETTE, ADMIN_ACTIVITY, AdwBin)

/* Loads the page again from the server (a spinner the first time). */
void navette_admin_activity_reload (NavetteAdminActivity *self);

G_END_DECLS
