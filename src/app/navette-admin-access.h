/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_ACCESS (navette_admin_access_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminAccess, navette_admin_access, NAVETTE, ADMIN_ACCESS, AdwBin)

/* Loads the page again from the server (a spinner the first time). */
void navette_admin_access_reload (NavetteAdminAccess *self);

G_END_DECLS
