/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-sign-in-dialog.h"
#include "navette-a11y.h"

struct _NavetteSignInDialog
{
  AdwWindow       parent_instance;

  NavetteSession *session;
  GCancellable   *cancellable;
  AdwStatusPage  *status;
  AdwEntryRow    *username_row;
  AdwEntryRow    *password_row;
  GtkLabel       *error_label;
  GtkSpinner     *spinner;
  GtkWidget      *sign_in_button;
};

G_DEFINE_FINAL_TYPE (NavetteSignInDialog, navette_sign_in_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_busy (NavetteSignInDialog *self,
          gboolean             busy)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (self->sign_in_button, !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NavetteSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!navette_session_login_finish (NAVETTE_SESSION (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      gtk_label_set_label (self->error_label,
                           g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED)
                           ? _("Wrong user name or password.") : error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }
  g_signal_emit (self, signals[SIGNED_IN], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
sign_in_cb (NavetteSignInDialog *self)
{
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (username[0] == '\0')
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
      return;
    }
  /* The entries turn insensitive while signing in: take the focus out of
   * them first, or their GtkText misses its focus-out. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  set_busy (self, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  navette_session_login_async (self->session, username, password, self->cancellable,
                               login_cb, g_object_ref (self));
}

static void
navette_sign_in_dialog_dispose (GObject *object)
{
  NavetteSignInDialog *self = NAVETTE_SIGN_IN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (navette_sign_in_dialog_parent_class)->dispose (object);
}

static void
navette_sign_in_dialog_class_init (NavetteSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_sign_in_dialog_dispose;

  signals[SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteSignInDialog, status);
  gtk_widget_class_bind_template_child (widget_class, NavetteSignInDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, NavetteSignInDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, NavetteSignInDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteSignInDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, NavetteSignInDialog, sign_in_button);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
navette_sign_in_dialog_init (NavetteSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  navette_a11y_fix_mnemonics (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

NavetteSignInDialog *
navette_sign_in_dialog_new (GtkWindow      *parent,
                            NavetteSession *session,
                            const char     *server,
                            const char     *username,
                            const char     *reason)
{
  NavetteSignInDialog *self;
  g_autofree char *description = NULL;

  g_return_val_if_fail (NAVETTE_IS_SESSION (session), NULL);

  self = g_object_new (NAVETTE_TYPE_SIGN_IN_DIALOG, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  if (reason != NULL)
    description = g_strdup (reason);
  else
    /* Translators: %s is a server address */
    description = g_strdup_printf (_("Sign in to %s"), server);
  adw_status_page_set_description (self->status, description);
  if (username != NULL && username[0] != '\0')
    {
      gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
    }
  return self;
}

const char *
navette_sign_in_dialog_get_username (NavetteSignInDialog *self)
{
  g_return_val_if_fail (NAVETTE_IS_SIGN_IN_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->username_row));
}

void
navette_sign_in_dialog_submit (NavetteSignInDialog *self,
                               const char          *username,
                               const char          *password)
{
  g_return_if_fail (NAVETTE_IS_SIGN_IN_DIALOG (self));
  g_return_if_fail (username != NULL && password != NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
  sign_in_cb (self);
}
