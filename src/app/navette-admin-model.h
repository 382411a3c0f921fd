/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_MODEL (navette_admin_model_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminModel, navette_admin_model, NAVETTE, ADMIN_MODEL, AdwBin)

/* Loads the page again from the server (a spinner the first time). */
void navette_admin_model_reload (NavetteAdminModel *self);

G_END_DECLS
