/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteSignInDialog — asks for a user name and password and signs in
 * with the session. Emits "signed-in" on success; a wrong password keeps
 * the dialog open with the reason. */
#pragma once

#include <adwaita.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_SIGN_IN_DIALOG (navette_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (NavetteSignInDialog, navette_sign_in_dialog, NAVETTE, SIGN_IN_DIALOG, AdwWindow)

NavetteSignInDialog *navette_sign_in_dialog_new          (GtkWindow      *parent,
                                                          NavetteSession *session,
                                                          const char     *server,
                                                          const char     *username,
                                                          const char     *reason);
const char          *navette_sign_in_dialog_get_username (NavetteSignInDialog *self);
/* Fills in the fields and signs in, as the Sign In button does. */
void                 navette_sign_in_dialog_submit       (NavetteSignInDialog *self,
                                                          const char          *username,
                                                          const char          *password);

/* Signal "signed-in" () */

G_END_DECLS
