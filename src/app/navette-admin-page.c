/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-page.c — the parts the Administration pages share. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-admin-page.h"
#include "navette-admin-window.h"

void
navette_admin_page_init (NavetteAdminPage *page,
                         AdwBin           *bin,
                         const char       *name)
{
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *retry = gtk_button_new_with_mnemonic (_("_Retry"));

  page->stack = gtk_stack_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (page->stack), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);

  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Loading"), -1);
  gtk_stack_add_named (GTK_STACK (page->stack), spinner, "loading");

  gtk_widget_set_margin_top (column, 24);
  gtk_widget_set_margin_bottom (column, 24);
  gtk_widget_set_margin_start (column, 12);
  gtk_widget_set_margin_end (column, 12);
  page->toolbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (column), page->toolbar);
  page->content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_box_append (GTK_BOX (column), page->content);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 720);
  adw_clamp_set_child (ADW_CLAMP (clamp), column);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_stack_add_named (GTK_STACK (page->stack), scrolled, "content");

  page->error_page = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page->error_page), "network-error-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page->error_page), _("Could not load this page"));
  gtk_widget_set_halign (retry, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (retry, "pill");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (retry), "admin.refresh");
  adw_status_page_set_child (ADW_STATUS_PAGE (page->error_page), retry);
  gtk_stack_add_named (GTK_STACK (page->stack), page->error_page, "error");

  gtk_stack_set_visible_child_name (GTK_STACK (page->stack), "loading");
  adw_bin_set_child (bin, page->stack);
}

void
navette_admin_page_clear (NavetteAdminPage *page)
{
  g_cancellable_cancel (page->cancellable);
  g_clear_object (&page->cancellable);
}

GCancellable *
navette_admin_page_begin (NavetteAdminPage *page)
{
  g_cancellable_cancel (page->cancellable);
  g_clear_object (&page->cancellable);
  page->cancellable = g_cancellable_new ();
  if (!page->loaded)
    gtk_stack_set_visible_child_name (GTK_STACK (page->stack), "loading");
  return page->cancellable;
}

void
navette_admin_page_end (NavetteAdminPage *page,
                        const GError     *error)
{
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error == NULL)
    {
      page->loaded = TRUE;
      gtk_stack_set_visible_child_name (GTK_STACK (page->stack), "content");
      return;
    }
  if (page->loaded)
    {
      navette_admin_window_error_in (page->stack, error);
      return;
    }
  adw_status_page_set_description (ADW_STATUS_PAGE (page->error_page), error->message);
  gtk_stack_set_visible_child_name (GTK_STACK (page->stack), "error");
}

void
navette_admin_page_load_apps (NavetteAdminPage   *page,
                              GtkWidget          *widget,
                              GAsyncReadyCallback callback)
{
  NavetteAdminClient *client = navette_admin_window_client_of (widget);

  if (client != NULL)
    navette_admin_client_list_apps_async (client, navette_admin_page_begin (page), callback, g_object_ref (widget));
}

gboolean
navette_admin_page_finish (NavetteAdminPage *page,
                           GObject          *client,
                           GAsyncResult     *result,
                           const char       *member,
                           JsonNode        **root,
                           JsonArray       **array)
{
  g_autoptr(GError) error = NULL;

  *root = navette_admin_client_finish (NAVETTE_ADMIN_CLIENT (client), result, &error);
  *array = NULL;
  if (error != NULL)
    {
      navette_admin_page_end (page, error);
      return FALSE;
    }
  if (*root != NULL && JSON_NODE_HOLDS_OBJECT (*root))
    *array = navette_admin_json_array (json_node_get_object (*root), member);
  return TRUE;
}

void
navette_admin_page_add_spacer (NavetteAdminPage *page)
{
  GtkWidget *spacer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  gtk_widget_set_hexpand (spacer, TRUE);
  gtk_box_append (GTK_BOX (page->toolbar), spacer);
}

GtkWidget *
navette_admin_page_add_button (NavetteAdminPage *page,
                               const char       *icon_name,
                               const char       *mnemonic,
                               const char       *label,
                               const char       *action)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), icon_name);
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), mnemonic);
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_box_append (GTK_BOX (page->toolbar), button);
  return button;
}

GtkWidget *
navette_admin_icon_button (const char *icon_name,
                           const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return button;
}

GtkWidget *
navette_admin_list_new (const char *name,
                        const char *placeholder)
{
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *label = gtk_label_new (placeholder);

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_widget_set_valign (list, GTK_ALIGN_START);
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 18);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_list_box_set_placeholder (GTK_LIST_BOX (list), label);
  return list;
}

typedef struct
{
  NavetteAdminConfirmed confirmed;
  gpointer              data;
  GDestroyNotify        destroy;
} Confirm;

static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  Confirm *confirm = user_data;

  if (g_strcmp0 (response, "confirm") == 0)
    confirm->confirmed (confirm->data);
  if (confirm->destroy != NULL)
    confirm->destroy (confirm->data);
  g_free (confirm);
}

void
navette_admin_confirm (GtkWidget             *parent,
                       const char            *heading,
                       const char            *body,
                       const char            *action,
                       gboolean               destructive,
                       NavetteAdminConfirmed  confirmed,
                       gpointer               data,
                       GDestroyNotify         destroy)
{
  GtkRoot *root = gtk_widget_get_root (parent);
  AdwMessageDialog *dialog;
  Confirm *confirm = g_new0 (Confirm, 1);

  confirm->confirmed = confirmed;
  confirm->data = data;
  confirm->destroy = destroy;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       heading, body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "confirm", action, NULL);
  adw_message_dialog_set_response_appearance (dialog, "confirm",
                                              destructive ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (confirm_response_cb), confirm);
  gtk_window_present (GTK_WINDOW (dialog));
}

gboolean
navette_admin_finish_change (GtkWidget    *page,
                             GObject      *client,
                             GAsyncResult *result)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  root = navette_admin_client_finish (NAVETTE_ADMIN_CLIENT (client), result, &error);
  if (error != NULL)
    {
      navette_admin_window_error_in (page, error);
      return FALSE;
    }
  return TRUE;
}

struct _NavetteAdminChange
{
  GtkWidget        *page;
  NavetteAdminForm *form;   /* nullable */
  char             *done;
};

NavetteAdminChange *
navette_admin_change_new (GtkWidget        *page,
                          NavetteAdminForm *form,
                          const char       *done)
{
  NavetteAdminChange *change = g_new0 (NavetteAdminChange, 1);

  change->page = g_object_ref (page);
  change->form = form != NULL ? g_object_ref (form) : NULL;
  change->done = g_strdup (done);
  if (form != NULL)
    navette_admin_form_set_busy (form, TRUE);
  return change;
}

static void
change_free (NavetteAdminChange *change)
{
  g_object_unref (change->page);
  g_clear_object (&change->form);
  g_free (change->done);
  g_free (change);
}

void
navette_admin_change_cb (GObject      *client,
                         GAsyncResult *result,
                         gpointer      data)
{
  NavetteAdminChange *change = data;
  g_autoptr(JsonNode) root = NULL;
  gboolean made;

  if (change->form != NULL)
    made = navette_admin_form_finish (change->form, client, result, &root);
  else
    made = navette_admin_finish_change (change->page, client, result);
  if (made)
    {
      if (change->form != NULL)
        gtk_window_destroy (GTK_WINDOW (change->form));
      navette_admin_window_toast_in (change->page, change->done);
      navette_admin_window_reload_in (change->page);
    }
  change_free (change);
}

const char *
navette_admin_json_string (JsonObject *object,
                           const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonArray *
navette_admin_json_array (JsonObject *object,
                          const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonObject *
navette_admin_json_find (JsonArray  *array,
                         const char *name,
                         const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (navette_admin_json_string (object, name), value) == 0)
        return object;
    }
  return NULL;
}

gboolean
navette_admin_json_number (JsonObject *object,
                           const char *name,
                           double     *value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *value = json_node_get_double (node);
  return TRUE;
}

gint64
navette_admin_parse_time (const char *iso)
{
  g_autoptr(GDateTime) time = NULL;

  if (iso == NULL)
    return 0;
  time = g_date_time_new_from_iso8601 (iso, NULL);
  if (time == NULL)
    return 0;
  return g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
}
