/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-members.c — Members: the users of the server, with search;
 * add one (an initial password, or one the server generates, shown once
 * with Copy), change the display name, reset the password, disable or
 * enable, make or unmake administrator. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "navette-admin-form.h"
#include "navette-admin-members.h"
#include "navette-admin-page.h"
#include "navette-gtk-compat.h"
#include "navette-admin-window.h"

struct _NavetteAdminMembers
{
  AdwBin            parent_instance;

  NavetteAdminPage  page;
  GtkWidget        *search_entry;
  GtkWidget        *list;
  GtkWidget        *progress;  /* "Loading members… 500 so far" */
  GtkWidget        *progress_label;
  JsonArray        *users;     /* the last list read, all pages */
};

/* The page's NavetteAdminClient (NULL outside the window). */
#define client_of(page) navette_admin_window_client_of (GTK_WIDGET (page))

G_DEFINE_FINAL_TYPE (NavetteAdminMembers, navette_admin_members, ADW_TYPE_BIN)

static JsonObject *
find_user (NavetteAdminMembers *self,
           const char          *username)
{
  return navette_admin_json_find (self->users, "username", username);
}

/* ---- The list ---- */

static GtkWidget *
user_row_new (JsonObject *user)
{
  const char *username = navette_admin_json_string (user, "username");
  const char *display_name = navette_admin_json_string (user, "display_name");
  gboolean admin = json_object_get_boolean_member_with_default (user, "admin", FALSE);
  gboolean disabled = json_object_get_boolean_member_with_default (user, "disabled", FALSE);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *menu_button = gtk_menu_button_new ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  g_autoptr(GString) subtitle = g_string_new (username);
  g_autofree char *menu_label = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 display_name != NULL && *display_name ? display_name : username);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (admin)
    g_string_append_printf (subtitle, " · %s", _("Administrator"));
  if (disabled)
    g_string_append_printf (subtitle, " · %s", _("Disabled"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  if (disabled)
    gtk_widget_add_css_class (row, "dim-label");
  g_object_set_data_full (G_OBJECT (row), "username", g_strdup (username), g_free);
  g_object_set_data_full (G_OBJECT (row), "search",
                          g_utf8_casefold (subtitle->str, -1), g_free);
  g_object_set_data_full (G_OBJECT (row), "search-name",
                          g_utf8_casefold (display_name != NULL ? display_name : "", -1), g_free);

  {
    g_autoptr(GMenuItem) item = NULL;

    item = g_menu_item_new (_("Change Display _Name…"), NULL);
    g_menu_item_set_action_and_target_value (item, "members.rename", g_variant_new_string (username));
    g_menu_append_item (section, item);
    g_clear_object (&item);
    item = g_menu_item_new (_("_Reset Password…"), NULL);
    g_menu_item_set_action_and_target_value (item, "members.reset-password", g_variant_new_string (username));
    g_menu_append_item (section, item);
  }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  {
    g_autoptr(GMenu) roles = g_menu_new ();
    g_autoptr(GMenuItem) item = NULL;

    item = g_menu_item_new (admin ? _("Remove _Administrator Rights") : _("Make _Administrator…"), NULL);
    g_menu_item_set_action_and_target_value (item, "members.set-admin",
                                             g_variant_new ("(sb)", username, !admin));
    g_menu_append_item (roles, item);
    g_clear_object (&item);
    item = g_menu_item_new (disabled ? _("_Enable") : _("_Disable…"), NULL);
    g_menu_item_set_action_and_target_value (item, "members.set-disabled",
                                             g_variant_new ("(sb)", username, !disabled));
    g_menu_append_item (roles, item);
    g_menu_append_section (menu, NULL, G_MENU_MODEL (roles));
  }

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (menu_button, "flat");
  menu_label = g_strdup_printf (_("Actions for %s"), username);
  gtk_widget_set_tooltip_text (menu_button, menu_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), menu_button);
  return row;
}

static void
rebuild (NavetteAdminMembers *self)
{
  navette_list_box_remove_all (GTK_LIST_BOX (self->list));
  for (guint i = 0; self->users != NULL && i < json_array_get_length (self->users); i++)
    gtk_list_box_append (GTK_LIST_BOX (self->list),
                         user_row_new (json_array_get_object_element (self->users, i)));
}

static gboolean
filter_row (GtkListBoxRow *row,
            gpointer       user_data)
{
  NavetteAdminMembers *self = user_data;
  g_autofree char *needle = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  const char *search = g_object_get_data (G_OBJECT (row), "search");
  const char *name = g_object_get_data (G_OBJECT (row), "search-name");

  if (*needle == '\0')
    return TRUE;
  return (search != NULL && strstr (search, needle) != NULL) ||
         (name != NULL && strstr (name, needle) != NULL);
}

static void
search_changed_cb (NavetteAdminMembers *self)
{
  gtk_list_box_invalidate_filter (GTK_LIST_BOX (self->list));
}

/* Shows how many members are read so far, or hides it (@count 0). */
static void
show_progress (NavetteAdminMembers *self,
               guint                count)
{
  if (count > 0)
    {
      g_autofree char *text = NULL;

      /* Translators: while the list of members is read page by page */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Loading members… %u so far",
                                           "Loading members… %u so far", count), count);
      gtk_label_set_text (GTK_LABEL (self->progress_label), text);
    }
  gtk_widget_set_visible (self->progress, count > 0);
}

/* Reads every page of users and shows them once the last is in. A server
 * with many members takes several pages: the rows of the first load show
 * as they come, and the count read so far shows above the list (a reload
 * keeps the previous list until the new one is complete). */
static void
users_page_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(NavetteAdminMembers) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *answer;
  JsonArray *users;
  const char *next;

  root = navette_admin_client_finish (NAVETTE_ADMIN_CLIENT (object), result, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      if (error == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The server’s answer is not a list of members"));
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_progress (self, 0);
      navette_admin_page_end (&self->page, error);
      return;
    }
  answer = json_node_get_object (root);
  users = navette_admin_json_array (answer, "users");
  if (self->page.cancellable == NULL || g_cancellable_is_cancelled (self->page.cancellable))
    return;
  for (guint i = 0; users != NULL && i < json_array_get_length (users); i++)
    json_array_add_element (g_object_get_data (G_OBJECT (self->page.cancellable), "users"),
                            json_node_copy (json_array_get_element (users, i)));
  next = navette_admin_json_string (answer, "next");
  if (next != NULL)
    {
      JsonArray *so_far = g_object_get_data (G_OBJECT (self->page.cancellable), "users");

      if (!self->page.loaded)
        {
          g_clear_pointer (&self->users, json_array_unref);
          self->users = json_array_ref (so_far);
          rebuild (self);
          navette_admin_page_end (&self->page, NULL);
        }
      show_progress (self, json_array_get_length (so_far));
      navette_admin_client_list_users_async (NAVETTE_ADMIN_CLIENT (object), next, 0, self->page.cancellable,
                                             users_page_cb, g_object_ref (self));
      return;
    }
  g_clear_pointer (&self->users, json_array_unref);
  self->users = json_array_ref (g_object_get_data (G_OBJECT (self->page.cancellable), "users"));
  rebuild (self);
  show_progress (self, 0);
  navette_admin_page_end (&self->page, NULL);
}

void
navette_admin_members_reload (NavetteAdminMembers *self)
{
  NavetteAdminClient *client = client_of (self);
  GCancellable *cancellable;

  g_return_if_fail (NAVETTE_IS_ADMIN_MEMBERS (self));

  if (client == NULL)
    return;
  cancellable = navette_admin_page_begin (&self->page);
  /* The pages read so far belong to this load. */
  g_object_set_data_full (G_OBJECT (cancellable), "users", json_array_new (),
                          (GDestroyNotify) json_array_unref);
  navette_admin_client_list_users_async (client, NULL, 0, cancellable, users_page_cb, g_object_ref (self));
}

/* ---- Changes of one user ---- */

/* @form (nullable) sends @changes; @done: the toast then. */
static void
patch_user (NavetteAdminMembers *self,
            const char          *username,
            JsonObject          *changes,
            NavetteAdminForm    *form,
            const char          *done)
{
  navette_admin_client_update_user_async (client_of (self), username, changes,
                                         form != NULL ? navette_admin_form_get_cancellable (form) : NULL,
                                         navette_admin_change_cb,
                                         navette_admin_change_new (GTK_WIDGET (self), form, done));
}

typedef struct
{
  NavetteAdminMembers *self;
  char                *username;
  gboolean             value;
  const char          *member;  /* "admin" or "disabled" */
} Flag;

static void
flag_free (gpointer data)
{
  Flag *flag = data;

  g_object_unref (flag->self);
  g_free (flag->username);
  g_free (flag);
}

static void
set_flag (gpointer data)
{
  Flag *flag = data;
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autofree char *done = NULL;

  json_object_set_boolean_member (changes, flag->member, flag->value);
  if (g_str_equal (flag->member, "admin"))
    done = g_strdup_printf (flag->value ? _("%s is now an administrator")
                                        : _("%s is no longer an administrator"), flag->username);
  else
    done = g_strdup_printf (flag->value ? _("%s is disabled") : _("%s is enabled"), flag->username);
  patch_user (flag->self, flag->username, changes, NULL, done);
}

static void
set_flag_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  NavetteAdminMembers *self = NAVETTE_ADMIN_MEMBERS (widget);
  Flag *flag = g_new0 (Flag, 1);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  const char *username;

  g_variant_get (parameter, "(sb)", &username, &flag->value);
  flag->self = g_object_ref (self);
  flag->username = g_strdup (username);
  flag->member = g_str_equal (action_name, "members.set-admin") ? "admin" : "disabled";

  /* Giving rights and shutting someone out are asked first; taking rights
   * back and enabling are not (one click undoes them). */
  if (g_str_equal (flag->member, "admin") && flag->value)
    {
      heading = g_strdup_printf (_("Make %s an Administrator?"), username);
      body = g_strdup (_("Administrators manage members, access and the content model, and can edit every application."));
      navette_admin_confirm (widget, heading, body, _("_Make Administrator"), FALSE, set_flag, flag, flag_free);
    }
  else if (g_str_equal (flag->member, "disabled") && flag->value)
    {
      heading = g_strdup_printf (_("Disable %s?"), username);
      body = g_strdup (_("They can no longer sign in, and their open sessions end now. What they wrote stays."));
      navette_admin_confirm (widget, heading, body, _("_Disable"), TRUE, set_flag, flag, flag_free);
    }
  else
    {
      set_flag (flag);
      flag_free (flag);
    }
}

/* Sends what the entry holds as the member's "member" (the form's data),
 * "done" the toast then. */
static void
one_entry_submit_cb (NavetteAdminForm *form,
                     gpointer          user_data)
{
  NavetteAdminMembers *self = user_data;
  const char *username = g_object_get_data (G_OBJECT (form), "username");
  GtkEditable *entry = g_object_get_data (G_OBJECT (form), "entry");
  g_autoptr(JsonObject) changes = json_object_new ();

  json_object_set_string_member (changes, g_object_get_data (G_OBJECT (form), "member"),
                                 gtk_editable_get_text (entry));
  patch_user (self, username, changes, form, g_object_get_data (G_OBJECT (form), "done"));
}

static void
entry_not_empty_cb (GtkEditable      *entry,
                    NavetteAdminForm *form)
{
  navette_admin_form_set_valid (form, *gtk_editable_get_text (entry) != '\0');
}

/* A form with one entry row, for @username's @member (a static string);
 * @done (taken): the toast once it is changed. */
static void
one_entry_form (NavetteAdminMembers *self,
                const char          *username,
                const char          *title,
                const char          *action,
                const char          *description,
                GtkWidget           *entry,
                const char          *member,
                char                *done)
{
  NavetteAdminForm *form = navette_admin_form_new (GTK_WIDGET (self), title, action);

  g_object_set_data_full (G_OBJECT (form), "username", g_strdup (username), g_free);
  g_object_set_data (G_OBJECT (form), "entry", entry);
  g_object_set_data (G_OBJECT (form), "member", (gpointer) member);
  g_object_set_data_full (G_OBJECT (form), "done", done, g_free);
  navette_admin_form_set_description (form, description);
  navette_admin_form_add_row (form, entry);
  g_signal_connect (entry, "changed", G_CALLBACK (entry_not_empty_cb), form);
  entry_not_empty_cb (GTK_EDITABLE (entry), form);
  g_signal_connect (form, "submit", G_CALLBACK (one_entry_submit_cb), self);
  gtk_window_present (GTK_WINDOW (form));
  gtk_widget_grab_focus (entry);
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  NavetteAdminMembers *self = NAVETTE_ADMIN_MEMBERS (widget);
  const char *username = g_variant_get_string (parameter, NULL);
  JsonObject *user = find_user (self, username);
  GtkWidget *entry = adw_entry_row_new ();
  g_autofree char *title = g_strdup_printf (_("Display Name of %s"), username);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("Display Name"));
  gtk_editable_set_text (GTK_EDITABLE (entry), navette_admin_json_string (user, "display_name") ?: "");
  one_entry_form (self, username, title, _("_Rename"), NULL, entry,
                  "display_name", g_strdup_printf (_("Renamed %s"), username));
}

static void
reset_password_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  NavetteAdminMembers *self = NAVETTE_ADMIN_MEMBERS (widget);
  const char *username = g_variant_get_string (parameter, NULL);
  GtkWidget *entry = adw_password_entry_row_new ();
  g_autofree char *title = g_strdup_printf (_("New Password for %s"), username);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("New Password"));
  one_entry_form (self, username, title, _("_Change Password"),
                  _("Their open sessions end now: they sign in again with the new password."),
                  entry, "password", g_strdup_printf (_("The password of %s was changed"), username));
}

/* ---- Add a member ---- */

static void
copy_clicked_cb (GtkButton *button,
                 GtkLabel  *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), gtk_label_get_text (label));
  gtk_button_set_label (button, _("Copied"));
  navette_admin_window_toast_in (GTK_WIDGET (label), _("Password copied"));
}

/* The generated password, shown once, with Copy. */
static void
show_password (NavetteAdminMembers *self,
               const char          *username,
               const char          *password)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *heading = g_strdup_printf (_("Password for %s"), username);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (root), heading,
                                              _("Give it to them now: it is shown only this once. They can change it after signing in."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (password);
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy"));

  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "title-3");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Generated password"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy the password"), -1);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_clicked_cb), label);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), copy);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Done"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NavetteAdminForm) form = user_data;
  NavetteAdminMembers *self = g_object_get_data (G_OBJECT (form), "page");
  g_autoptr(JsonNode) root = NULL;
  const char *username;
  const char *password = NULL;
  g_autofree char *done = NULL;

  if (!navette_admin_form_finish (form, object, result, &root))
    return;
  username = g_object_get_data (G_OBJECT (form), "username");
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    password = navette_admin_json_string (json_node_get_object (root), "password");
  if (password != NULL)
    show_password (self, username, password);
  done = g_strdup_printf (_("Added %s"), username);
  navette_admin_window_toast_in (GTK_WIDGET (self), done);
  gtk_window_destroy (GTK_WINDOW (form));
  navette_admin_members_reload (self);
}

static void
add_submit_cb (NavetteAdminForm    *form,
               NavetteAdminMembers *self)
{
  GtkEditable *name = g_object_get_data (G_OBJECT (form), "name");
  GtkEditable *display = g_object_get_data (G_OBJECT (form), "display");
  GtkEditable *password = g_object_get_data (G_OBJECT (form), "password");
  GtkSwitch *admin = g_object_get_data (G_OBJECT (form), "admin");
  const char *typed = gtk_editable_get_text (password);

  g_autofree char *taken = g_strdup_printf (_("The user name “%s” is already taken."), gtk_editable_get_text (name));

  g_object_set_data_full (G_OBJECT (form), "username", g_strdup (gtk_editable_get_text (name)), g_free);
  navette_admin_form_set_conflict (form, taken);
  navette_admin_form_set_busy (form, TRUE);
  navette_admin_client_add_user_async (client_of (self), gtk_editable_get_text (name),
                                          gtk_editable_get_text (display),
                                          *typed != '\0' ? typed : NULL,
                                          gtk_switch_get_active (admin),
                                          navette_admin_form_get_cancellable (form),
                                          created_cb, g_object_ref (form));
}

/* The server's rule for user names, said as it is typed (and in the
 * user's language, which the server's refusal is not). */
static void
add_changed_cb (NavetteAdminForm *form)
{
  GtkEditable *name = g_object_get_data (G_OBJECT (form), "name");
  GtkEditable *display = g_object_get_data (G_OBJECT (form), "display");
  const char *typed = gtk_editable_get_text (name);
  gboolean name_valid = navette_username_is_valid (typed);

  navette_admin_form_set_error (form, *typed != '\0' && !name_valid
                                      ? _("A user name is 1 to 64 lowercase letters, digits, “_”, “-” or “.”, starting with a letter or a digit.")
                                      : NULL);
  navette_admin_form_set_valid (form, name_valid && *gtk_editable_get_text (display) != '\0');
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  NavetteAdminMembers *self = NAVETTE_ADMIN_MEMBERS (widget);
  NavetteAdminForm *form = navette_admin_form_new (widget, _("Add Member"), _("_Add"));
  GtkWidget *name = adw_entry_row_new ();
  GtkWidget *display = adw_entry_row_new ();
  GtkWidget *password = adw_password_entry_row_new ();
  GtkWidget *admin_row = adw_action_row_new ();
  GtkWidget *admin = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name), _("User Name"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (display), _("Display Name"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (password), _("Initial Password (empty: generate one)"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (admin_row), _("Administrator"));
  gtk_widget_set_valign (admin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (admin), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Administrator"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (admin_row), admin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (admin_row), admin);
  navette_admin_form_set_description (form, _("They sign in with the user name and the password; the display name is what others see."));
  navette_admin_form_add_row (form, name);
  navette_admin_form_add_row (form, display);
  navette_admin_form_add_row (form, password);
  navette_admin_form_add_row (form, admin_row);
  g_object_set_data (G_OBJECT (form), "name", name);
  g_object_set_data (G_OBJECT (form), "display", display);
  g_object_set_data (G_OBJECT (form), "password", password);
  g_object_set_data (G_OBJECT (form), "admin", admin);
  g_object_set_data (G_OBJECT (form), "page", self);
  g_signal_connect_swapped (name, "changed", G_CALLBACK (add_changed_cb), form);
  g_signal_connect_swapped (display, "changed", G_CALLBACK (add_changed_cb), form);
  add_changed_cb (form);
  g_signal_connect (form, "submit", G_CALLBACK (add_submit_cb), self);
  gtk_window_present (GTK_WINDOW (form));
  gtk_widget_grab_focus (name);
}

/* ---- The page ---- */

static void
navette_admin_members_dispose (GObject *object)
{
  NavetteAdminMembers *self = NAVETTE_ADMIN_MEMBERS (object);

  navette_admin_page_clear (&self->page);
  g_clear_pointer (&self->users, json_array_unref);
  G_OBJECT_CLASS (navette_admin_members_parent_class)->dispose (object);
}

static void
navette_admin_members_class_init (NavetteAdminMembersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_admin_members_dispose;

  gtk_widget_class_install_action (widget_class, "members.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "members.rename", "s", rename_action);
  gtk_widget_class_install_action (widget_class, "members.reset-password", "s", reset_password_action);
  gtk_widget_class_install_action (widget_class, "members.set-admin", "(sb)", set_flag_action);
  gtk_widget_class_install_action (widget_class, "members.set-disabled", "(sb)", set_flag_action);
}

static void
navette_admin_members_init (NavetteAdminMembers *self)
{
  navette_admin_page_init (&self->page, ADW_BIN (self), _("Members"));

  self->search_entry = gtk_search_entry_new ();
  gtk_widget_set_hexpand (self->search_entry, TRUE);
  g_object_set (self->search_entry, "placeholder-text", _("Search members"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search_entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Search members"), -1);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  gtk_box_append (GTK_BOX (self->page.toolbar), self->search_entry);

  navette_admin_page_add_button (&self->page, "list-add-symbolic", _("_Add Member…"),
                                 _("Add Member…"), "members.add");

  self->progress = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->progress_label = gtk_label_new (NULL);
  {
    GtkWidget *spinner = gtk_spinner_new ();

    gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
    gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Loading"), -1);
    gtk_box_append (GTK_BOX (self->progress), spinner);
  }
  gtk_widget_add_css_class (self->progress_label, "dim-label");
  gtk_box_append (GTK_BOX (self->progress), self->progress_label);
  gtk_widget_set_visible (self->progress, FALSE);
  gtk_box_append (GTK_BOX (self->page.content), self->progress);

  self->list = navette_admin_list_new (_("Members"), _("No members match the search"));
  gtk_list_box_set_filter_func (GTK_LIST_BOX (self->list), filter_row, self, NULL);
  gtk_box_append (GTK_BOX (self->page.content), self->list);
}
