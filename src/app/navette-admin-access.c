/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-access.c — Access: per application, who reads and who
 * edits, a dropdown per member (No Access / Reader / Editor); Add People;
 * the history of each grant (grants are versioned content) with Restore. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-admin-access.h"
#include "navette-admin-form.h"
#include "navette-admin-page.h"
#include "navette-gtk-compat.h"
#include "navette-admin-window.h"
#include "navette-format.h"

struct _NavetteAdminAccess
{
  AdwBin            parent_instance;

  NavetteAdminPage  page;
  GtkWidget        *app_dropdown;
  GtkStringList    *app_titles;
  GtkWidget        *add_button;
  GtkWidget        *list;
  GPtrArray        *app_names;   /* char*, in the dropdown's order */
  JsonArray        *users;       /* every member */
  JsonArray        *grants;      /* the current grants of the application shown */
  gboolean          filling;     /* the dropdowns are being set, not changed */
};

/* The page's NavetteAdminClient (NULL outside the window). */
#define client_of(page) navette_admin_window_client_of (GTK_WIDGET (page))

G_DEFINE_FINAL_TYPE (NavetteAdminAccess, navette_admin_access, ADW_TYPE_BIN)

/* The order of every role dropdown. */
static const NavetteRole roles[] = { NAVETTE_ROLE_NONE, NAVETTE_ROLE_READER, NAVETTE_ROLE_EDITOR };

static const char *
role_label (NavetteRole role)
{
  switch (role)
    {
    case NAVETTE_ROLE_READER: return _("Reader");
    case NAVETTE_ROLE_EDITOR: return _("Editor");
    case NAVETTE_ROLE_NONE:
    default: return _("No Access");
    }
}

static GListModel *
roles_model (gboolean with_none)
{
  GtkStringList *list = gtk_string_list_new (NULL);

  for (guint i = with_none ? 0 : 1; i < G_N_ELEMENTS (roles); i++)
    gtk_string_list_append (list, role_label (roles[i]));
  return G_LIST_MODEL (list);
}

static const char *
current_app (NavetteAdminAccess *self)
{
  guint selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->app_dropdown));

  if (selected == GTK_INVALID_LIST_POSITION || selected >= self->app_names->len)
    return NULL;
  return g_ptr_array_index (self->app_names, selected);
}

static const char *
display_name_of (NavetteAdminAccess *self,
                 const char         *username)
{
  return navette_admin_json_string (navette_admin_json_find (self->users, "username", username), "display_name");
}

/* ---- A role changed in a dropdown ---- */

typedef struct
{
  NavetteAdminAccess *self;
  char               *app;
  char               *username;
  NavetteRole         role;
} Grant;

static void
grant_free (Grant *grant)
{
  g_object_unref (grant->self);
  g_free (grant->app);
  g_free (grant->username);
  g_free (grant);
}

static void
granted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Grant *grant = user_data;
  g_autofree char *done = NULL;

  if (!navette_admin_finish_change (GTK_WIDGET (grant->self), object, result))
    {
      /* The dropdown goes back to what the server has. */
      navette_admin_access_reload (grant->self);
      grant_free (grant);
      return;
    }
  if (grant->role == NAVETTE_ROLE_NONE)
    done = g_strdup_printf (_("%s no longer has access"), grant->username);
  else
    /* Translators: "alice is now Editor" */
    done = g_strdup_printf (_("%s is now %s"), grant->username, role_label (grant->role));
  navette_admin_window_toast_in (GTK_WIDGET (grant->self), done);
  grant_free (grant);
}

static void
set_grant (NavetteAdminAccess *self,
           const char         *app,
           const char         *username,
           NavetteRole         role)
{
  Grant *grant = g_new0 (Grant, 1);

  grant->self = g_object_ref (self);
  grant->app = g_strdup (app);
  grant->username = g_strdup (username);
  grant->role = role;
  navette_admin_client_set_grant_async (client_of (self), app, username,
                                        role != NAVETTE_ROLE_NONE ? navette_role_to_string (role) : NULL,
                                        NULL, granted_cb, grant);
}

static void
role_selected_cb (AdwComboRow        *row,
                  GParamSpec         *pspec,
                  NavetteAdminAccess *self)
{
  guint selected = adw_combo_row_get_selected (row);
  const char *app = current_app (self);

  if (self->filling || app == NULL || selected >= G_N_ELEMENTS (roles))
    return;
  set_grant (self, app, g_object_get_data (G_OBJECT (row), "username"), roles[selected]);
}

/* ---- The history of a grant ---- */

typedef struct
{
  NavetteAdminAccess *self;
  GtkWidget          *dialog;
  char               *app;
  char               *username;
} History;

static void
history_free (gpointer data)
{
  History *history = data;

  g_object_unref (history->self);
  g_free (history->app);
  g_free (history->username);
  g_free (history);
}

static void
restore_clicked_cb (GtkButton *button,
                    History   *history)
{
  gint64 version = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "version"));

  navette_admin_client_revert_grant_async (client_of (history->self), history->app, history->username,
                                           version, NULL, navette_admin_change_cb,
                                           navette_admin_change_new (GTK_WIDGET (history->self), NULL,
                                                                     _("Access restored")));
  gtk_window_destroy (GTK_WINDOW (history->dialog));
}

static void
versions_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) dialog = user_data;
  History *history = g_object_get_data (G_OBJECT (dialog), "history");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  GtkWidget *list = g_object_get_data (G_OBJECT (dialog), "list");
  JsonArray *versions = NULL;
  gint64 now = g_get_real_time ();

  root = navette_admin_client_finish (NAVETTE_ADMIN_CLIENT (object), result, &error);
  /* Closed meanwhile. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (history->dialog), error->message);
      return;
    }
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    versions = navette_admin_json_array (json_node_get_object (root), "versions");
  navette_list_box_remove_all (GTK_LIST_BOX (list));
  for (guint i = 0; versions != NULL && i < json_array_get_length (versions); i++)
    {
      JsonObject *version = json_array_get_object_element (versions, i);
      const char *role = navette_admin_json_string (version, "role");
      const char *by = navette_admin_json_string (version, "updated_by");
      gint64 at = navette_admin_parse_time (navette_admin_json_string (version, "updated_at"));
      gboolean obsolete = json_object_get_boolean_member_with_default (version, "obsolete", TRUE);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *when = at != 0 ? navette_format_relative_time (at, now) : g_strdup ("");
      g_autofree char *subtitle = NULL;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     role_label (navette_role_from_string (role)));
      /* Translators: "by admin, 5 minutes ago" */
      subtitle = g_strdup_printf (_("by %s, %s"), by != NULL ? by : "—", when);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      if (at != 0)
        {
          g_autofree char *absolute = navette_format_absolute_time (at);

          gtk_widget_set_tooltip_text (row, absolute);
        }
      if (obsolete)
        {
          GtkWidget *restore = gtk_button_new_with_mnemonic (_("_Restore"));

          gtk_widget_set_valign (restore, GTK_ALIGN_CENTER);
          g_object_set_data (G_OBJECT (restore), "version",
                             GSIZE_TO_POINTER ((gsize) json_object_get_int_member_with_default (version, "version", 0)));
          g_signal_connect (restore, "clicked", G_CALLBACK (restore_clicked_cb), history);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), restore);
        }
      else
        {
          GtkWidget *current = gtk_label_new (_("Current"));

          gtk_widget_add_css_class (current, "dim-label");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), current);
        }
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
}

static void
history_clicked_cb (GtkButton          *button,
                    NavetteAdminAccess *self)
{
  const char *username = g_object_get_data (G_OBJECT (button), "username");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *heading = g_strdup_printf (_("Access of %s"), username);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *list = navette_admin_list_new (_("Versions"), _("Loading"));
  History *history = g_new0 (History, 1);
  GCancellable *cancellable = g_cancellable_new ();

  history->self = g_object_ref (self);
  history->app = g_strdup (current_app (self));
  history->username = g_strdup (username);
  history->dialog = adw_message_dialog_new (GTK_WINDOW (root), heading, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (history->dialog), scrolled);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (history->dialog), "close", _("_Close"));
  g_object_set_data (G_OBJECT (history->dialog), "list", list);
  g_object_set_data_full (G_OBJECT (history->dialog), "history", history, history_free);
  g_object_set_data_full (G_OBJECT (history->dialog), "cancellable", cancellable, g_object_unref);
  g_signal_connect_swapped (history->dialog, "destroy", G_CALLBACK (g_cancellable_cancel), cancellable);
  gtk_window_present (GTK_WINDOW (history->dialog));
  navette_admin_client_grant_versions_async (client_of (self), history->app, username, cancellable,
                                             versions_cb, g_object_ref (history->dialog));
}

/* ---- The list of one application ---- */

static GtkWidget *
grant_row_new (NavetteAdminAccess *self,
               JsonObject         *grant)
{
  const char *username = navette_admin_json_string (grant, "user");
  const char *display_name = display_name_of (self, username);
  const char *by = navette_admin_json_string (grant, "updated_by");
  NavetteRole role = navette_role_from_string (navette_admin_json_string (grant, "role"));
  gint64 at = navette_admin_parse_time (navette_admin_json_string (grant, "updated_at"));
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GListModel) model = roles_model (TRUE);
  g_autofree char *subtitle = NULL;
  g_autofree char *when = at != 0 ? navette_format_relative_time (at, g_get_real_time ()) : g_strdup ("");
  g_autofree char *history_label = g_strdup_printf (_("History of the access of %s"), username);
  GtkWidget *history = navette_admin_icon_button ("document-open-recent-symbolic", history_label);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 display_name != NULL && *display_name ? display_name : username);
  /* Translators: "alice · changed by admin, 5 minutes ago" */
  subtitle = g_strdup_printf (_("%s · changed by %s, %s"), username, by != NULL ? by : "—", when);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), model);
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    if (roles[i] == role)
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), i);
  g_object_set_data_full (G_OBJECT (row), "username", g_strdup (username), g_free);
  g_signal_connect (row, "notify::selected", G_CALLBACK (role_selected_cb), self);
  g_object_set_data_full (G_OBJECT (history), "username", g_strdup (username), g_free);
  g_signal_connect (history, "clicked", G_CALLBACK (history_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), history);
  return row;
}

static void
grants_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NavetteAdminAccess) self = user_data;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *grants;

  if (!navette_admin_page_finish (&self->page, object, result, "grants", &root, &grants))
    return;
  g_clear_pointer (&self->grants, json_array_unref);
  self->grants = grants != NULL ? json_array_ref (grants) : json_array_new ();
  self->filling = TRUE;
  navette_list_box_remove_all (GTK_LIST_BOX (self->list));
  for (guint i = 0; i < json_array_get_length (self->grants); i++)
    {
      JsonObject *grant = json_array_get_object_element (self->grants, i);

      /* A revoked grant is history, not a member of the application. */
      if (navette_admin_json_string (grant, "role") != NULL)
        gtk_list_box_append (GTK_LIST_BOX (self->list), grant_row_new (self, grant));
    }
  self->filling = FALSE;
  navette_admin_page_end (&self->page, NULL);
}

static void
load_grants (NavetteAdminAccess *self)
{
  const char *app = current_app (self);

  gtk_widget_set_sensitive (self->add_button, app != NULL);
  if (app == NULL)
    {
      navette_list_box_remove_all (GTK_LIST_BOX (self->list));
      navette_admin_page_end (&self->page, NULL);
      return;
    }
  navette_admin_client_list_grants_async (client_of (self), app, NULL, self->page.cancellable,
                                          grants_cb, g_object_ref (self));
}

static void
app_selected_cb (NavetteAdminAccess *self)
{
  if (self->filling || client_of (self) == NULL)
    return;
  navette_admin_page_begin (&self->page);
  load_grants (self);
}

static void
users_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NavetteAdminAccess) self = user_data;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *users;

  if (!navette_admin_page_finish (&self->page, object, result, "users", &root, &users))
    return;
  g_clear_pointer (&self->users, json_array_unref);
  self->users = users != NULL ? json_array_ref (users) : json_array_new ();
  load_grants (self);
}

static void
apps_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(NavetteAdminAccess) self = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *previous = g_strdup (current_app (self));
  JsonArray *apps;
  guint selected = 0;

  if (!navette_admin_page_finish (&self->page, object, result, "applications", &root, &apps))
    return;
  self->filling = TRUE;
  g_ptr_array_set_size (self->app_names, 0);
  gtk_string_list_splice (self->app_titles, 0, g_list_model_get_n_items (G_LIST_MODEL (self->app_titles)), NULL);
  for (guint i = 0; apps != NULL && i < json_array_get_length (apps); i++)
    {
      JsonObject *app = json_array_get_object_element (apps, i);
      const char *name = navette_admin_json_string (app, "name");
      const char *title = navette_admin_json_string (app, "title");

      if (name == NULL || json_object_get_boolean_member_with_default (app, "archived", FALSE))
        continue;
      if (g_strcmp0 (name, previous) == 0)
        selected = self->app_names->len;
      g_ptr_array_add (self->app_names, g_strdup (name));
      gtk_string_list_append (self->app_titles, title != NULL ? title : name);
    }
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->app_dropdown), selected);
  self->filling = FALSE;
  /* The members, for the names and Add People (one large page). */
  navette_admin_client_list_users_async (NAVETTE_ADMIN_CLIENT (object), NULL, 1000, self->page.cancellable,
                                         users_cb, g_object_ref (self));
}

void
navette_admin_access_reload (NavetteAdminAccess *self)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_ACCESS (self));

  navette_admin_page_load_apps (&self->page, GTK_WIDGET (self), apps_cb);
}

/* ---- Add People ---- */

static void
add_submit_cb (NavetteAdminForm   *form,
               NavetteAdminAccess *self)
{
  AdwComboRow *member = g_object_get_data (G_OBJECT (form), "member");
  AdwComboRow *role = g_object_get_data (G_OBJECT (form), "role");
  GPtrArray *candidates = g_object_get_data (G_OBJECT (form), "candidates");
  guint selected = adw_combo_row_get_selected (member);

  if (selected >= candidates->len || current_app (self) == NULL)
    return;
  navette_admin_client_set_grant_async (client_of (self), current_app (self),
                                        g_ptr_array_index (candidates, selected),
                                        navette_role_to_string (roles[adw_combo_row_get_selected (role) + 1]),
                                        navette_admin_form_get_cancellable (form), navette_admin_change_cb,
                                        navette_admin_change_new (GTK_WIDGET (self), form, _("Access given")));
}

static gboolean
has_grant (NavetteAdminAccess *self,
           const char         *username)
{
  for (guint i = 0; self->grants != NULL && i < json_array_get_length (self->grants); i++)
    {
      JsonObject *grant = json_array_get_object_element (self->grants, i);

      if (g_strcmp0 (navette_admin_json_string (grant, "user"), username) == 0 &&
          navette_admin_json_string (grant, "role") != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
add_people_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  NavetteAdminAccess *self = NAVETTE_ADMIN_ACCESS (widget);
  guint selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->app_dropdown));
  const char *title = g_list_model_get_n_items (G_LIST_MODEL (self->app_titles)) > selected
                      ? gtk_string_list_get_string (self->app_titles, selected) : "";
  g_autofree char *heading = g_strdup_printf (_("Add People to %s"), title);
  NavetteAdminForm *form = navette_admin_form_new (widget, heading, _("_Add"));
  GtkWidget *member = adw_combo_row_new ();
  GtkWidget *role = adw_combo_row_new ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GListModel) role_names = roles_model (FALSE);
  GPtrArray *candidates = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; self->users != NULL && i < json_array_get_length (self->users); i++)
    {
      JsonObject *user = json_array_get_object_element (self->users, i);
      const char *username = navette_admin_json_string (user, "username");
      const char *display_name = navette_admin_json_string (user, "display_name");
      g_autofree char *label = NULL;

      if (username == NULL || has_grant (self, username) ||
          json_object_get_boolean_member_with_default (user, "disabled", FALSE))
        continue;
      label = g_strdup_printf ("%s (%s)", display_name != NULL ? display_name : username, username);
      gtk_string_list_append (names, label);
      g_ptr_array_add (candidates, g_strdup (username));
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (member), _("Member"));
  adw_combo_row_set_model (ADW_COMBO_ROW (member), G_LIST_MODEL (names));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (role), _("Role"));
  adw_combo_row_set_model (ADW_COMBO_ROW (role), role_names);
  navette_admin_form_set_description (form, candidates->len > 0
                                      ? _("Readers see the application’s tables; editors also change them.")
                                      : _("Every member already has access to this application."));
  navette_admin_form_add_row (form, member);
  navette_admin_form_add_row (form, role);
  navette_admin_form_set_valid (form, candidates->len > 0);
  g_object_set_data (G_OBJECT (form), "member", member);
  g_object_set_data (G_OBJECT (form), "role", role);
  g_object_set_data_full (G_OBJECT (form), "candidates", candidates, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect (form, "submit", G_CALLBACK (add_submit_cb), self);
  gtk_window_present (GTK_WINDOW (form));
}

/* ---- The page ---- */

static void
navette_admin_access_dispose (GObject *object)
{
  NavetteAdminAccess *self = NAVETTE_ADMIN_ACCESS (object);

  navette_admin_page_clear (&self->page);
  g_clear_pointer (&self->users, json_array_unref);
  g_clear_pointer (&self->grants, json_array_unref);
  g_clear_pointer (&self->app_names, g_ptr_array_unref);
  G_OBJECT_CLASS (navette_admin_access_parent_class)->dispose (object);
}

static void
navette_admin_access_class_init (NavetteAdminAccessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_admin_access_dispose;
  gtk_widget_class_install_action (widget_class, "access.add-people", NULL, add_people_action);
}

static void
navette_admin_access_init (NavetteAdminAccess *self)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Application"));

  self->app_names = g_ptr_array_new_with_free_func (g_free);
  navette_admin_page_init (&self->page, ADW_BIN (self), _("Access"));

  self->app_titles = gtk_string_list_new (NULL);
  self->app_dropdown = gtk_drop_down_new (G_LIST_MODEL (self->app_titles), NULL);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), self->app_dropdown);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->app_dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Application"), -1);
  g_signal_connect_swapped (self->app_dropdown, "notify::selected", G_CALLBACK (app_selected_cb), self);
  gtk_box_append (GTK_BOX (self->page.toolbar), label);
  gtk_box_append (GTK_BOX (self->page.toolbar), self->app_dropdown);
  navette_admin_page_add_spacer (&self->page);

  self->add_button = gtk_button_new_with_mnemonic (_("Add _People…"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->add_button), "access.add-people");
  gtk_box_append (GTK_BOX (self->page.toolbar), self->add_button);

  self->list = navette_admin_list_new (_("Members of the application"),
                                       _("Nobody has access yet: add people."));
  gtk_box_append (GTK_BOX (self->page.content), self->list);
}
