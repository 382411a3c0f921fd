/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-activity.c — Activity: the audit trail, newest first (who,
 * what, when, which record), filtered by application, table, user, action
 * and period, a page at a time (Load More). A row with a record opens
 * that record's history in the main window. An editor sees the
 * applications they edit (the server decides). */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-admin-activity.h"
#include "navette-admin-page.h"
#include "navette-gtk-compat.h"
#include "navette-admin-window.h"
#include "navette-format.h"

#define PAGE_SIZE 50

struct _NavetteAdminActivity
{
  AdwBin            parent_instance;

  NavetteAdminPage  page;
  GtkWidget        *app_row;
  GtkStringList    *app_titles;
  GPtrArray        *app_names;     /* char*; [0] is "" for every application */
  GtkWidget        *table_row;
  GtkWidget        *user_row;
  GtkWidget        *action_row;
  GtkWidget        *period_row;
  GtkWidget        *list;
  GtkWidget        *more_button;
  GtkWidget        *more_spinner;
  char             *next;
  gboolean          filling;
};

/* The page's NavetteAdminClient (NULL outside the window). */
#define client_of(page) navette_admin_window_client_of (GTK_WIDGET (page))

G_DEFINE_FINAL_TYPE (NavetteAdminActivity, navette_admin_activity, ADW_TYPE_BIN)

typedef struct
{
  const char *action;   /* as the server writes it; NULL: any */
  const char *label;
} Action;

static const Action actions[] = {
  { NULL, N_("Any Action") },
  { "create", N_("Records Created") },
  { "update", N_("Records Changed") },
  { "archive", N_("Records Archived") },
  { "revert", N_("Versions Restored") },
  { "grant", N_("Roles Given") },
  { "revoke", N_("Roles Removed") },
};

/* Seconds back from now; 0: any time. */
static const struct
{
  gint64      seconds;
  const char *label;
} periods[] = {
  { 0, N_("Any Time") },
  { 3600, N_("Last Hour") },
  { 86400, N_("Last 24 Hours") },
  { 7 * 86400, N_("Last 7 Days") },
  { 30 * 86400, N_("Last 30 Days") },
};

/* What each action of the audit trail says: "%s" is who. */
static const struct
{
  const char *action;
  const char *sentence;
} sentences[] = {
  { "create", N_("%s created a record") },
  { "update", N_("%s changed a record") },
  { "archive", N_("%s archived a record") },
  { "revert", N_("%s restored an earlier version") },
  { "grant", N_("%s gave a role") },
  { "revoke", N_("%s removed a role") },
  { "grant_revert", N_("%s restored an earlier role") },
  { "user_add", N_("%s added a member") },
  { "user_passwd", N_("%s changed a password") },
  { "user_rename", N_("%s renamed a member") },
  { "user_admin", N_("%s made a member administrator") },
  { "user_unadmin", N_("%s removed administrator rights") },
  { "user_disable", N_("%s disabled a member") },
  { "user_enable", N_("%s enabled a member") },
  { "app_add", N_("%s added an application") },
  { "app_retitle", N_("%s renamed an application") },
  { "app_archive", N_("%s archived an application") },
  { "app_unarchive", N_("%s restored an application") },
  { "table_add", N_("%s added a table") },
  { "table_retitle", N_("%s renamed a table") },
  { "table_archive", N_("%s archived a table") },
  { "table_unarchive", N_("%s restored a table") },
  { "column_add", N_("%s added a column") },
  { "column_change", N_("%s changed a column") },
};

/* "alice changed a record" */
static char *
describe (const char *user,
          const char *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
    if (g_strcmp0 (action, sentences[i].action) == 0)
      {
        /* The formats are the table's, each with one %s (msgfmt -c checks
         * the translations keep it). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        return g_strdup_printf (_(sentences[i].sentence), user);
#pragma GCC diagnostic pop
      }
  /* An action this version does not know, named as the server names it. */
  /* Translators: "admin: grant" */
  return g_strdup_printf (_("%s: %s"), user, action);
}

static void
row_activated_cb (GtkListBox           *list,
                  GtkListBoxRow        *row,
                  NavetteAdminActivity *self)
{
  NavetteAdminWindow *window = navette_admin_window_of (GTK_WIDGET (self));
  const char *record = g_object_get_data (G_OBJECT (row), "record");

  if (window == NULL || record == NULL)
    return;
  navette_admin_window_open_history (window, g_object_get_data (G_OBJECT (row), "app"),
                                     g_object_get_data (G_OBJECT (row), "table"), record);
}

static GtkWidget *
entry_row_new (JsonObject *entry,
               gint64      now)
{
  const char *user = navette_admin_json_string (entry, "user");
  const char *action = navette_admin_json_string (entry, "action");
  const char *app = navette_admin_json_string (entry, "app");
  const char *table = navette_admin_json_string (entry, "table");
  const char *record = navette_admin_json_string (entry, "record");
  gint64 at = navette_admin_parse_time (navette_admin_json_string (entry, "at"));
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *title = describe (user != NULL ? user : "—", action != NULL ? action : "");
  g_autofree char *when = at != 0 ? navette_format_relative_time (at, now) : g_strdup ("");
  g_autoptr(GString) subtitle = g_string_new (NULL);
  double version;

  if (app != NULL)
    g_string_append (subtitle, app);
  if (table != NULL)
    g_string_append_printf (subtitle, "%s%s", subtitle->len > 0 ? " › " : "", table);
  if (navette_admin_json_number (entry, "to_version", &version))
    {
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) version);

      g_string_append (subtitle, subtitle->len > 0 ? " · " : "");
      /* Translators: %s is a version number */
      g_string_append_printf (subtitle, _("version %s"), number);
    }
  /* What the server noted: the member, the column… */
  if (navette_admin_json_string (entry, "detail") != NULL)
    g_string_append_printf (subtitle, "%s%s", subtitle->len > 0 ? " · " : "",
                            navette_admin_json_string (entry, "detail"));
  g_string_append_printf (subtitle, "%s%s", subtitle->len > 0 ? " · " : "", when);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  if (at != 0)
    {
      g_autofree char *absolute = navette_format_absolute_time (at);

      gtk_widget_set_tooltip_text (row, absolute);
    }
  if (record != NULL && app != NULL && table != NULL)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("go-next-symbolic");

      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Open the record’s history"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "app", g_strdup (app), g_free);
      g_object_set_data_full (G_OBJECT (row), "table", g_strdup (table), g_free);
      g_object_set_data_full (G_OBJECT (row), "record", g_strdup (record), g_free);
    }
  return row;
}

static void
entries_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NavetteAdminActivity) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gboolean more = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self->page.cancellable), "more"));
  JsonArray *entries = NULL;
  gint64 now = g_get_real_time ();
  double cursor;

  root = navette_admin_client_finish (NAVETTE_ADMIN_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_set_spinning (GTK_SPINNER (self->more_spinner), FALSE);
  gtk_widget_set_visible (self->more_spinner, FALSE);
  if (error != NULL)
    {
      gtk_widget_set_visible (self->more_button, self->next != NULL);
      navette_admin_page_end (&self->page, error);
      return;
    }
  if (!more)
    navette_list_box_remove_all (GTK_LIST_BOX (self->list));
  g_clear_pointer (&self->next, g_free);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      entries = navette_admin_json_array (json_node_get_object (root), "entries");
      self->next = g_strdup (navette_admin_json_string (json_node_get_object (root), "next"));
      /* A number cursor is a cursor too. */
      if (self->next == NULL && navette_admin_json_number (json_node_get_object (root), "next", &cursor))
        self->next = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) cursor);
    }
  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    gtk_list_box_append (GTK_LIST_BOX (self->list),
                         entry_row_new (json_array_get_object_element (entries, i), now));
  gtk_widget_set_visible (self->more_button, self->next != NULL);
  navette_admin_page_end (&self->page, NULL);
}

static const char *
entry_text (GtkWidget *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return *text != '\0' ? text : NULL;
}

/* Reads the first page (@more FALSE) or the next one. */
static void
load (NavetteAdminActivity *self,
      gboolean              more)
{
  NavetteAdminClient *client = client_of (self);
  const char *filters[13] = { NULL };
  guint n = 0;
  guint app = adw_combo_row_get_selected (ADW_COMBO_ROW (self->app_row));
  guint action = adw_combo_row_get_selected (ADW_COMBO_ROW (self->action_row));
  guint period = adw_combo_row_get_selected (ADW_COMBO_ROW (self->period_row));
  g_autofree char *from = NULL;
  GCancellable *cancellable;

  if (client == NULL)
    return;
  cancellable = navette_admin_page_begin (&self->page);
  g_object_set_data (G_OBJECT (cancellable), "more", GINT_TO_POINTER (more));
#define FILTER(name, value) \
  G_STMT_START { const char *v_ = (value); if (v_ != NULL) { filters[n++] = name; filters[n++] = v_; } } G_STMT_END
  if (app < self->app_names->len && app > 0)
    FILTER ("app", g_ptr_array_index (self->app_names, app));
  FILTER ("table", entry_text (self->table_row));
  FILTER ("user", entry_text (self->user_row));
  if (action < G_N_ELEMENTS (actions))
    FILTER ("action", actions[action].action);
  if (period < G_N_ELEMENTS (periods) && periods[period].seconds > 0)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) start = g_date_time_add_seconds (now, (double) -periods[period].seconds);

      from = g_date_time_format_iso8601 (start);
      FILTER ("from", from);
    }
#undef FILTER
  if (more)
    {
      gtk_widget_set_visible (self->more_button, FALSE);
      gtk_widget_set_visible (self->more_spinner, TRUE);
      gtk_spinner_set_spinning (GTK_SPINNER (self->more_spinner), TRUE);
    }
  navette_admin_client_activity_async (client, filters, more ? self->next : NULL, PAGE_SIZE,
                                       cancellable, entries_cb, g_object_ref (self));
}

/* The applications of the filter: those the engine knows that the user
 * edits (all of them for an administrator). */
static void
fill_apps (NavetteAdminActivity *self)
{
  NavetteAdminWindow *window = navette_admin_window_of (GTK_WIDGET (self));
  g_autofree char *previous = NULL;
  GListModel *stores;
  guint selected = 0;

  if (window == NULL)
    return;
  previous = g_strdup (adw_combo_row_get_selected (ADW_COMBO_ROW (self->app_row)) < self->app_names->len
                       ? g_ptr_array_index (self->app_names, adw_combo_row_get_selected (ADW_COMBO_ROW (self->app_row)))
                       : "");
  stores = navette_engine_get_stores (navette_admin_window_get_engine (window));
  self->filling = TRUE;
  g_ptr_array_set_size (self->app_names, 0);
  gtk_string_list_splice (self->app_titles, 0, g_list_model_get_n_items (G_LIST_MODEL (self->app_titles)), NULL);
  g_ptr_array_add (self->app_names, g_strdup (""));
  gtk_string_list_append (self->app_titles, _("All Applications"));
  for (guint i = 0; i < g_list_model_get_n_items (stores); i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (stores, i);

      if (navette_store_get_role (store) != NAVETTE_ROLE_EDITOR && !navette_admin_window_get_full (window))
        continue;
      if (g_strcmp0 (previous, navette_store_get_name (store)) == 0)
        selected = self->app_names->len;
      g_ptr_array_add (self->app_names, g_strdup (navette_store_get_name (store)));
      gtk_string_list_append (self->app_titles, navette_store_get_title (store));
    }
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->app_row), selected);
  self->filling = FALSE;
}

void
navette_admin_activity_reload (NavetteAdminActivity *self)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_ACTIVITY (self));

  fill_apps (self);
  load (self, FALSE);
}

static void
filter_changed_cb (NavetteAdminActivity *self)
{
  if (!self->filling)
    load (self, FALSE);
}

static void
more_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  NavetteAdminActivity *self = NAVETTE_ADMIN_ACTIVITY (widget);

  if (self->next != NULL)
    load (self, TRUE);
}

static void
navette_admin_activity_dispose (GObject *object)
{
  NavetteAdminActivity *self = NAVETTE_ADMIN_ACTIVITY (object);

  navette_admin_page_clear (&self->page);
  g_clear_pointer (&self->app_names, g_ptr_array_unref);
  g_clear_object (&self->app_titles);
  g_clear_pointer (&self->next, g_free);
  G_OBJECT_CLASS (navette_admin_activity_parent_class)->dispose (object);
}

static void
navette_admin_activity_class_init (NavetteAdminActivityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_admin_activity_dispose;
  gtk_widget_class_install_action (widget_class, "activity.more", NULL, more_action);
}

static GtkWidget *
combo_row_new (NavetteAdminActivity *self,
               GtkWidget            *expander,
               const char           *title,
               GListModel           *model)
{
  GtkWidget *row = adw_combo_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), model);
  g_signal_connect_swapped (row, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
  return row;
}

static GtkWidget *
filter_entry_new (NavetteAdminActivity *self,
                  GtkWidget            *expander,
                  const char           *title)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  g_signal_connect_swapped (row, "apply", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (row, "entry-activated", G_CALLBACK (filter_changed_cb), self);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
  return row;
}

static void
navette_admin_activity_init (NavetteAdminActivity *self)
{
  GtkWidget *filters = gtk_list_box_new ();
  GtkWidget *expander = adw_expander_row_new ();
  g_autoptr(GtkStringList) action_labels = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) period_labels = gtk_string_list_new (NULL);
  GtkWidget *more_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  self->app_names = g_ptr_array_new_with_free_func (g_free);
  navette_admin_page_init (&self->page, ADW_BIN (self), _("Activity"));
  gtk_widget_set_visible (self->page.toolbar, FALSE);

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (filters), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (filters, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (filters), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Filters"), -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), _("Filters"));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), _("Application, table, user, action, period"));
  gtk_list_box_append (GTK_LIST_BOX (filters), expander);

  self->app_titles = gtk_string_list_new (NULL);
  self->app_row = combo_row_new (self, expander, _("Application"), G_LIST_MODEL (self->app_titles));
  self->table_row = filter_entry_new (self, expander, _("Table (name)"));
  self->user_row = filter_entry_new (self, expander, _("User (name)"));
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_string_list_append (action_labels, _(actions[i].label));
  self->action_row = combo_row_new (self, expander, _("Action"), G_LIST_MODEL (action_labels));
  for (guint i = 0; i < G_N_ELEMENTS (periods); i++)
    gtk_string_list_append (period_labels, _(periods[i].label));
  self->period_row = combo_row_new (self, expander, _("Period"), G_LIST_MODEL (period_labels));
  gtk_box_append (GTK_BOX (self->page.content), filters);

  self->list = navette_admin_list_new (_("Activity"), _("Nothing happened in this selection"));
  g_signal_connect (self->list, "row-activated", G_CALLBACK (row_activated_cb), self);
  gtk_box_append (GTK_BOX (self->page.content), self->list);

  gtk_widget_set_halign (more_box, GTK_ALIGN_CENTER);
  self->more_button = gtk_button_new_with_mnemonic (_("_Load More"));
  gtk_widget_add_css_class (self->more_button, "pill");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->more_button), "activity.more");
  gtk_widget_set_visible (self->more_button, FALSE);
  gtk_box_append (GTK_BOX (more_box), self->more_button);
  self->more_spinner = gtk_spinner_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->more_spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Loading"), -1);
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_box_append (GTK_BOX (more_box), self->more_spinner);
  gtk_box_append (GTK_BOX (self->page.content), more_box);
}
