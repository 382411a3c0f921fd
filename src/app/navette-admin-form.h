/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteAdminForm — the small modal window of every "Add …", "Reset
 * Password…" and "Edit Column…" of the Administration window.
 *
 * A header bar with Cancel and the action's button, a boxed list of the
 * caller's rows, and a place for the server's answer: the form stays open
 * while the request runs (a spinner in the action's button, inputs
 * insensitive) and shows the server's sentence under the rows when it
 * refuses, so nothing typed is lost. Enter (in an entry row) and the
 * button emit "submit"; Escape and Cancel close it and cancel the
 * request (navette_admin_form_get_cancellable()). */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_ADMIN_FORM (navette_admin_form_get_type ())
G_DECLARE_FINAL_TYPE (NavetteAdminForm, navette_admin_form, NAVETTE, ADMIN_FORM, AdwWindow)

NavetteAdminForm *navette_admin_form_new             (GtkWidget        *parent,
                                                      const char       *title,
                                                      const char       *action_label);
/* Adds @row (an AdwPreferencesRow, usually) to the boxed list. */
void              navette_admin_form_add_row         (NavetteAdminForm *self,
                                                      GtkWidget        *row);
/* A sentence above the rows (NULL: none). */
void              navette_admin_form_set_description (NavetteAdminForm *self,
                                                      const char       *text);
/* Whether the action's button can be pressed (what is typed is complete). */
void              navette_admin_form_set_valid       (NavetteAdminForm *self,
                                                      gboolean          valid);
/* Spinner in the button, inputs insensitive, the error hidden. */
void              navette_admin_form_set_busy        (NavetteAdminForm *self,
                                                      gboolean          busy);
/* Shows @message under the rows and ends the busy state. */
void              navette_admin_form_set_error       (NavetteAdminForm *self,
                                                      const char       *message);
const char       *navette_admin_form_get_error       (NavetteAdminForm *self);
/* Finishes the form's request on @client (a NavetteAdminClient): TRUE
 * with *@root its answer (transfer full); or FALSE, and the server's
 * refusal shown in the form (nothing when the request was cancelled). */
gboolean          navette_admin_form_finish          (NavetteAdminForm *self,
                                                      GObject          *client,
                                                      GAsyncResult     *result,
                                                      JsonNode        **root);
/* The translated sentence to show when the server refuses the request
 * with 409 conflict ("A table named “x” already exists…"): the server's
 * own sentence is in English. NULL: the server's sentence. */
void              navette_admin_form_set_conflict    (NavetteAdminForm *self,
                                                      const char       *sentence);
/* Cancelled when the form is closed. */
GCancellable     *navette_admin_form_get_cancellable (NavetteAdminForm *self);
/* The action's button (tests press it). */
GtkWidget        *navette_admin_form_get_button      (NavetteAdminForm *self);

G_END_DECLS
