/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-form.c — a modal form that keeps what was typed when the
 * server refuses it. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-admin-form.h"
#include "navette-admin-client.h"
#include "navette-sync-error.h"

struct _NavetteAdminForm
{
  AdwWindow     parent_instance;

  GtkWidget    *button;
  GtkWidget    *button_stack;
  GtkWidget    *spinner;
  GtkWidget    *description;
  GtkWidget    *list;
  GtkWidget    *error_label;
  GCancellable *cancellable;
  char         *conflict;    /* shown for a 409, instead of the server's sentence */
  gboolean      valid;
  gboolean      busy;
};

G_DEFINE_FINAL_TYPE (NavetteAdminForm, navette_admin_form, ADW_TYPE_WINDOW)

enum {
  SUBMIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_button (NavetteAdminForm *self)
{
  gtk_widget_set_sensitive (self->button, self->valid && !self->busy);
  gtk_widget_set_sensitive (self->list, !self->busy);
  gtk_stack_set_visible_child_name (GTK_STACK (self->button_stack), self->busy ? "busy" : "label");
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), self->busy);
}

static void
submit (NavetteAdminForm *self)
{
  if (!self->valid || self->busy)
    return;
  g_signal_emit (self, signals[SUBMIT], 0);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  submit (NAVETTE_ADMIN_FORM (widget));
}

static gboolean
navette_admin_form_close_request (GtkWindow *window)
{
  NavetteAdminForm *self = NAVETTE_ADMIN_FORM (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (navette_admin_form_parent_class)->close_request (window);
}

static void
navette_admin_form_dispose (GObject *object)
{
  NavetteAdminForm *self = NAVETTE_ADMIN_FORM (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (navette_admin_form_parent_class)->dispose (object);
}

static void
navette_admin_form_finalize (GObject *object)
{
  NavetteAdminForm *self = NAVETTE_ADMIN_FORM (object);

  g_clear_object (&self->cancellable);
  g_free (self->conflict);
  G_OBJECT_CLASS (navette_admin_form_parent_class)->finalize (object);
}

static void
navette_admin_form_class_init (NavetteAdminFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = navette_admin_form_dispose;
  object_class->finalize = navette_admin_form_finalize;
  window_class->close_request = navette_admin_form_close_request;

  /**
   * NavetteAdminForm::submit:
   *
   * The action's button was pressed (or Enter): start the request, with
   * navette_admin_form_set_busy(); then close the form, or
   * navette_admin_form_set_error().
   */
  signals[SUBMIT] = g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "form.submit", NULL, submit_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
navette_admin_form_init (NavetteAdminForm *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *label;

  self->cancellable = g_cancellable_new ();
  self->valid = TRUE;

  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 460, -1);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);

  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);

  self->button_stack = gtk_stack_new ();
  gtk_stack_set_hhomogeneous (GTK_STACK (self->button_stack), TRUE);
  label = gtk_label_new (NULL);
  gtk_label_set_use_underline (GTK_LABEL (label), TRUE);
  gtk_stack_add_named (GTK_STACK (self->button_stack), label, "label");
  self->spinner = gtk_spinner_new ();
  gtk_stack_add_named (GTK_STACK (self->button_stack), self->spinner, "busy");
  self->button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->button), self->button_stack);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->button), "form.submit");
  gtk_widget_add_css_class (self->button, "suggested-action");
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->button);
  gtk_box_append (GTK_BOX (box), header);

  gtk_widget_set_margin_top (content, 18);
  gtk_widget_set_margin_bottom (content, 18);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  self->description = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->description), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->description), 0);
  gtk_widget_add_css_class (self->description, "dim-label");
  gtk_widget_set_visible (self->description, FALSE);
  gtk_box_append (GTK_BOX (content), self->description);
  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->list, "boxed-list");
  gtk_box_append (GTK_BOX (content), self->list);
  self->error_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->error_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->error_label), 0);
  gtk_label_set_selectable (GTK_LABEL (self->error_label), TRUE);
  gtk_widget_add_css_class (self->error_label, "error");
  gtk_widget_set_visible (self->error_label, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Error"), -1);
  gtk_box_append (GTK_BOX (content), self->error_label);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_box_append (GTK_BOX (box), clamp);
  adw_window_set_content (ADW_WINDOW (self), box);
  gtk_window_set_default_widget (GTK_WINDOW (self), self->button);
}

NavetteAdminForm *
navette_admin_form_new (GtkWidget  *parent,
                        const char *title,
                        const char *action_label)
{
  NavetteAdminForm *self = g_object_new (NAVETTE_TYPE_ADMIN_FORM, "title", title, NULL);
  GtkRoot *root = parent != NULL ? gtk_widget_get_root (parent) : NULL;
  GtkWidget *label = gtk_stack_get_child_by_name (GTK_STACK (self->button_stack), "label");

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  gtk_label_set_text_with_mnemonic (GTK_LABEL (label), action_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, gtk_label_get_text (GTK_LABEL (label)), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  return self;
}

void
navette_admin_form_add_row (NavetteAdminForm *self,
                            GtkWidget        *row)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_FORM (self));

  gtk_list_box_append (GTK_LIST_BOX (self->list), row);
  if (ADW_IS_ENTRY_ROW (row))
    g_signal_connect_swapped (row, "entry-activated", G_CALLBACK (submit), self);
}

void
navette_admin_form_set_description (NavetteAdminForm *self,
                                    const char       *text)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_FORM (self));

  gtk_label_set_text (GTK_LABEL (self->description), text);
  gtk_widget_set_visible (self->description, text != NULL);
}

void
navette_admin_form_set_valid (NavetteAdminForm *self,
                              gboolean          valid)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_FORM (self));

  self->valid = valid;
  update_button (self);
}

void
navette_admin_form_set_busy (NavetteAdminForm *self,
                             gboolean          busy)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_FORM (self));

  self->busy = busy;
  if (busy)
    gtk_widget_set_visible (self->error_label, FALSE);
  update_button (self);
}

void
navette_admin_form_set_error (NavetteAdminForm *self,
                              const char       *message)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_FORM (self));

  gtk_label_set_text (GTK_LABEL (self->error_label), message);
  gtk_widget_set_visible (self->error_label, message != NULL);
  self->busy = FALSE;
  update_button (self);
}

const char *
navette_admin_form_get_error (NavetteAdminForm *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_FORM (self), NULL);

  if (!gtk_widget_get_visible (self->error_label))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (self->error_label));
}

gboolean
navette_admin_form_finish (NavetteAdminForm  *self,
                           GObject           *client,
                           GAsyncResult      *result,
                           JsonNode         **root)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (NAVETTE_IS_ADMIN_FORM (self), FALSE);

  *root = navette_admin_client_finish (NAVETTE_ADMIN_CLIENT (client), result, &error);
  if (error == NULL)
    return TRUE;
  /* A name taken, in the user's language when the caller said how; else
   * the server's sentence (how many rows a constraint breaks). What was
   * typed stays there. */
  if (g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_CONFLICT) && self->conflict != NULL)
    navette_admin_form_set_error (self, self->conflict);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    navette_admin_form_set_error (self, error->message);
  return FALSE;
}

void
navette_admin_form_set_conflict (NavetteAdminForm *self,
                                 const char       *sentence)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_FORM (self));

  g_free (self->conflict);
  self->conflict = g_strdup (sentence);
}

GCancellable *
navette_admin_form_get_cancellable (NavetteAdminForm *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_FORM (self), NULL);

  return self->cancellable;
}

GtkWidget *
navette_admin_form_get_button (NavetteAdminForm *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_FORM (self), NULL);

  return self->button;
}
