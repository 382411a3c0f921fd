/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-window-dialogs.c — the questions the window asks before
 * anything typed or made is dropped: Save / Discard / Cancel for the edits
 * in the record pane, and "N changes are not saved yet" / Quit Anyway
 * (Sign Out Anyway) for the changes not sent. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-format.h"
#include "navette-window-private.h"

typedef struct
{
  NavetteWindow         *self;
  NavetteWindowContinue  next;
  gpointer               data;
  GDestroyNotify         destroy;
} Pending;

static void
pending_free (Pending *pending)
{
  if (pending->destroy != NULL && pending->data != NULL)
    pending->destroy (pending->data);
  g_object_unref (pending->self);
  g_free (pending);
}

static void
unsaved_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     Pending          *pending)
{
  NavetteWindow *self = pending->self;

  self->unsaved_dialog = NULL;
  if (g_str_equal (response, "save"))
    {
      /* Saved as by the Save button; an invalid record stays open. */
      if (!_navette_window_save_pane (self))
        {
          pending_free (pending);
          return;
        }
      pending->next (self, pending->data);
    }
  else if (g_str_equal (response, "discard"))
    {
      _navette_window_close_pane (self);
      pending->next (self, pending->data);
    }
  pending_free (pending);
}

/* Runs @next at once when the pane holds no unsaved edit; otherwise asks
 * (Save / Discard / Cancel) and runs it after Save or Discard. */
void
_navette_window_check_unsaved (NavetteWindow         *self,
                               NavetteWindowContinue  next,
                               gpointer               data,
                               GDestroyNotify         destroy)
{
  NavetteRecord *record = navette_record_pane_get_record (self->record_pane);
  AdwMessageDialog *dialog;
  Pending *pending;
  g_autofree char *label = NULL;

  if (navette_record_pane_get_table (self->record_pane) == NULL ||
      !navette_record_pane_get_modified (self->record_pane) ||
      self->unsaved_dialog != NULL)
    {
      if (self->unsaved_dialog == NULL)
        next (self, data);
      if (destroy != NULL && data != NULL)
        destroy (data);
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->self = g_object_ref (self);
  pending->next = next;
  pending->data = data;
  pending->destroy = destroy;

  label = record != NULL ? navette_format_record_title (navette_record_pane_get_table (self->record_pane), record)
                         : g_strdup (_("The new record"));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Save Changes?"), NULL));
  /* Translators: the body of the "Save Changes?" dialog; %s is a record */
  adw_message_dialog_format_body (dialog, _("“%s” has changes that are not saved. "
                                            "Discarded changes cannot be brought back."), label);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "save", navette_record_pane_get_valid (self->record_pane));
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (unsaved_response_cb), pending);
  self->unsaved_dialog = GTK_WIDGET (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
unsent_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    Pending          *pending)
{
  pending->self->unsaved_dialog = NULL;
  if (g_str_equal (response, "leave"))
    pending->next (pending->self, pending->data);
  pending_free (pending);
}

typedef struct
{
  Pending *pending;
  gboolean sign_out;
} Leave;

static void
ask_unsent (NavetteWindow *self,
            gpointer       data)
{
  Leave *leave = data;
  Pending *pending = g_steal_pointer (&leave->pending);
  guint n = self->engine != NULL
            ? navette_middleware_get_n_pending (navette_engine_get_middleware (self->engine)) : 0;
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;

  if (n == 0)
    {
      pending->next (self, pending->data);
      pending_free (pending);
      return;
    }

  /* Translators: the heading of the dialog when quitting (or signing out)
   * with changes the server has not received yet */
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u change is not saved yet",
                                          "%u changes are not saved yet", n), n);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, NULL));
  if (leave->sign_out)
    adw_message_dialog_set_body (dialog,
                                 g_dngettext (GETTEXT_PACKAGE,
                                              "It is kept on this computer and will be sent when you sign in again.",
                                              "They are kept on this computer and will be sent when you sign in again.",
                                              n));
  else
    adw_message_dialog_set_body (dialog,
                                 g_dngettext (GETTEXT_PACKAGE,
                                              "It is kept on this computer and will be sent next time you open Navette.",
                                              "They are kept on this computer and will be sent next time you open Navette.",
                                              n));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "leave", leave->sign_out ? _("Sign _Out Anyway") : _("_Quit Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "leave", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (unsent_response_cb), pending);
  self->unsaved_dialog = GTK_WIDGET (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
leave_free (gpointer data)
{
  Leave *leave = data;

  g_clear_pointer (&leave->pending, pending_free);
  g_free (leave);
}

void
navette_window_confirm_leave (NavetteWindow         *self,
                              gboolean               sign_out,
                              NavetteWindowContinue  next,
                              gpointer               data,
                              GDestroyNotify         destroy)
{
  Leave *leave;

  g_return_if_fail (NAVETTE_IS_WINDOW (self));
  g_return_if_fail (next != NULL);

  leave = g_new0 (Leave, 1);
  leave->sign_out = sign_out;
  leave->pending = g_new0 (Pending, 1);
  leave->pending->self = g_object_ref (self);
  leave->pending->next = next;
  leave->pending->data = data;
  leave->pending->destroy = destroy;
  /* First the edits in the pane, then the changes not sent. */
  _navette_window_check_unsaved (self, ask_unsent, leave, leave_free);
}

GtkWidget *
_navette_window_get_dialog (NavetteWindow *self)
{
  return self->unsaved_dialog;
}
