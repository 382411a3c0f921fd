/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_MEMBERS (navette_admin_members_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminMembers, navette_admin_members, NAVETTE, ADMIN_MEMBERS, AdwBin)

/* Loads the page again from the server (a spinner the first time). */
void navette_admin_members_reload (NavetteAdminMembers *self);

G_END_DECLS
