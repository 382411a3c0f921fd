/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-window-actions.c — the window's actions ("window.*").
 *
 * Every write goes through the store's actions (navette_store_create,
 * _update, _archive, _revert): the middleware applies them at once and
 * sends them; the UI never builds a request itself. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-admin-window.h"
#include "navette-format.h"
#include "navette-window-private.h"

static gboolean
is_editor (NavetteWindow *self)
{
  /* Saved data shown before signing in (an offline start) can be edited
   * where the saved role allows it, when the edits can be kept: they go
   * into the journal and wait for the server. */
  return self->store != NULL && navette_store_can_edit (self->store) &&
         (!self->cache_only || (self->engine != NULL && navette_engine_get_journal (self->engine) != NULL));
}

static gboolean
pane_open (NavetteWindow *self)
{
  return navette_record_pane_get_table (self->record_pane) != NULL;
}

void
_navette_window_update_actions (NavetteWindow *self)
{
  gboolean editor = is_editor (self);
  gboolean open = pane_open (self);
  gboolean has_record = navette_record_pane_get_record (self->record_pane) != NULL;
  GtkWidget *widget = GTK_WIDGET (self);

  gtk_widget_action_set_enabled (widget, "window.new-record", editor && self->table != NULL && !self->show_archived);
  gtk_widget_action_set_enabled (widget, "window.save",
                                 editor && open && navette_record_pane_get_valid (self->record_pane));
  gtk_widget_action_set_enabled (widget, "window.archive", editor && open && has_record);
  gtk_widget_action_set_enabled (widget, "window.cancel", open);
  gtk_widget_action_set_enabled (widget, "window.search", self->table != NULL);
  gtk_widget_action_set_enabled (widget, "window.refresh", self->engine != NULL);
  gtk_widget_action_set_enabled (widget, "window.history", open && has_record);
  gtk_widget_action_set_enabled (widget, "window.administration", _navette_window_can_administer (self));
  gtk_widget_set_visible (self->new_button, editor && self->table != NULL && !self->show_archived);
  gtk_widget_set_visible (self->search_button, self->table != NULL);
  gtk_widget_set_visible (self->archived_button, self->table != NULL);
  gtk_widget_action_set_enabled (widget, "window.restore-record", editor && self->table != NULL);

  if (open && navette_record_pane_get_editable (self->record_pane) != editor)
    navette_record_pane_set_editable (self->record_pane, editor);
}

static void
new_record_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  navette_window_open_record (self, NULL);
  /* Ready to type: the cursor in the first field. */
  if (navette_record_pane_get_table (self->record_pane) != NULL)
    navette_record_pane_focus_first (self->record_pane);
}

gboolean
_navette_window_save_pane (NavetteWindow *self)
{
  NavetteRecord *record = navette_record_pane_get_record (self->record_pane);
  NavetteStore *store = navette_record_pane_get_store (self->record_pane);
  NavetteTable *table = navette_record_pane_get_table (self->record_pane);
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(NavetteChange) change = NULL;

  if (!is_editor (self) || table == NULL)
    return FALSE;

  /* What is on screen, the number being typed included. */
  navette_record_pane_commit (self->record_pane);
  if (!navette_record_pane_get_valid (self->record_pane))
    return FALSE;

  data = navette_record_pane_collect (self->record_pane);
  if (record == NULL)
    {
      const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

      change = navette_store_create (store, table, NULL, data);
      /* A new record hidden by the search typed before would look lost:
       * the search is given up, so that the record is in the list
       * whether it matches or not (src/app/README.md). */
      if (change != NULL && search != NULL && search[0] != '\0')
        {
          gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
          gtk_search_bar_set_search_mode (self->search_bar, FALSE);
        }
    }
  else if (json_object_get_size (data) > 0)
    /* Only the fields the user changed, on the version they saw. */
    change = navette_store_update_from (store, table, navette_record_get_id (record), data,
                                        navette_record_pane_get_base_version (self->record_pane));

  /* Applied at once: the list shows the new values with the pending
   * spinner until the server answers. */
  _navette_window_close_pane (self);
  /* A new record stays in sight: selected and scrolled to, first while
   * not sent, then at its sorted place (src/app/README.md). */
  if (record == NULL && change != NULL && navette_change_get_record (change) != NULL)
    _navette_window_follow_record (self, navette_change_get_record (change));
  return TRUE;
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  _navette_window_save_pane (NAVETTE_WINDOW (widget));
}

static void
close_pane_now (NavetteWindow *self,
                gpointer       data)
{
  _navette_window_close_pane (self);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  /* Escape with edits in the pane asks first. */
  _navette_window_check_unsaved (self, close_pane_now, NULL, NULL);
}

static void
archive_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);
  NavetteRecord *record = navette_record_pane_get_record (self->record_pane);
  NavetteStore *store = navette_record_pane_get_store (self->record_pane);
  NavetteTable *table = navette_record_pane_get_table (self->record_pane);
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *label = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *title = NULL;
  g_autofree char *id = NULL;
  AdwToast *toast;

  if (!is_editor (self) || record == NULL)
    return;

  id = g_strdup (navette_record_get_id (record));
  label = navette_format_record_title (table, record);
  change = navette_store_archive (store, table, id, TRUE);
  _navette_window_close_pane (self);

  escaped = g_markup_escape_text (label, -1);
  /* Translators: a toast with an Undo button */
  title = g_strdup_printf (_("Archived “%s”"), escaped);
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "window.unarchive");
  adw_toast_set_action_target_value (toast,
                                     g_variant_new ("(sss)", navette_store_get_name (store),
                                                    navette_table_get_name (table), id));
  navette_window_add_toast (self, toast);
}

static void
unarchive_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);
  const char *app, *table_name, *id;
  NavetteStore *store;
  NavetteTable *table;
  g_autoptr(NavetteChange) change = NULL;

  if (self->engine == NULL)
    return;
  g_variant_get (parameter, "(&s&s&s)", &app, &table_name, &id);
  store = navette_engine_lookup_store (self->engine, app);
  if (store == NULL || !navette_store_can_edit (store))
    return;
  table = navette_store_lookup_table (store, table_name);
  if (table == NULL)
    return;
  change = navette_store_archive (store, table, id, FALSE);
}

/* Restore in the Archive view (a row's button, or the pane's): the record
 * is listed again with the others. */
static void
restore_record_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *label = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *title = NULL;
  NavetteRecord *record;

  if (!is_editor (self) || self->table == NULL)
    return;
  record = _navette_window_lookup_record (self, id);
  if (record == NULL || !navette_record_get_archived (record))
    return;
  label = navette_format_record_title (self->table, record);
  if (navette_record_pane_get_record (self->record_pane) == record)
    _navette_window_close_pane (self);
  change = navette_store_archive (self->store, self->table, id, FALSE);

  escaped = g_markup_escape_text (label, -1);
  /* Translators: a toast after Restore in the Archive view */
  title = g_strdup_printf (_("Restored “%s”"), escaped);
  navette_window_add_toast (self, adw_toast_new (title));
}

static NavetteChange *
find_failed_change (NavetteWindow *self,
                    const char    *key)
{
  GListModel *failed;

  if (self->engine == NULL)
    return NULL;
  failed = navette_engine_get_failed_changes (self->engine);
  for (guint i = 0; i < g_list_model_get_n_items (failed); i++)
    {
      g_autoptr(NavetteChange) change = g_list_model_get_item (failed, i);

      if (g_strcmp0 (navette_change_get_idempotency_key (change), key) == 0)
        return change;
    }
  return NULL;
}

/* window.retry-change and window.discard-change (the change's key), and
 * window.retry-all and window.discard-all. */
static void
failed_change_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);
  gboolean retry = g_str_has_prefix (action_name, "window.retry-");
  NavetteMiddleware *middleware;

  if (self->engine == NULL)
    return;
  middleware = navette_engine_get_middleware (self->engine);
  if (parameter == NULL)
    (retry ? navette_middleware_retry_all : navette_middleware_discard_all) (middleware);
  else
    {
      NavetteChange *change = find_failed_change (self, g_variant_get_string (parameter, NULL));

      if (change != NULL)
        (retry ? navette_middleware_retry : navette_middleware_discard) (middleware, change);
    }
}

typedef struct
{
  char   *id;
  gint64  replaced;
  gint64  mine;
} Review;

static void
review_free (gpointer data)
{
  Review *review = data;

  g_free (review->id);
  g_free (review);
}

static void
review_now (NavetteWindow *self,
            gpointer       data)
{
  Review *review = data;
  NavetteRecord *record;

  if (self->table == NULL || (record = _navette_window_lookup_record (self, review->id)) == NULL)
    return;
  navette_window_open_record (self, record);
  if (navette_record_pane_get_record (self->record_pane) == record)
    navette_record_pane_show_history_of (self->record_pane, review->replaced, review->mine);
}

/* The "Replaced alice's change" toast's Review: the record's history,
 * with the version replaced and the one that replaced it marked. */
static void
review_change_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);
  const char *app, *table_name, *id;
  Review *review;
  NavetteStore *store;
  NavetteTable *table;

  if (self->engine == NULL)
    return;
  review = g_new0 (Review, 1);
  g_variant_get (parameter, "(&s&s&sxx)", &app, &table_name, &id, &review->replaced, &review->mine);
  review->id = g_strdup (id);
  store = navette_engine_lookup_store (self->engine, app);
  table = store != NULL ? navette_store_lookup_table (store, table_name) : NULL;
  if (table == NULL)
    {
      review_free (review);
      return;
    }
  if (table != self->table)
    navette_window_select_table (self, app, table_name);
  review_now (self, review);
  review_free (review);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
engine_reload_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!navette_engine_load_finish (NAVETTE_ENGINE (object), result, &error))
    g_debug ("Refresh failed: %s", error->message);
}

static void
table_reload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!navette_table_reload_finish (NAVETTE_TABLE (object), result, NULL, &error))
    g_debug ("Reload failed: %s", error->message);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  if (self->engine == NULL)
    return;
  /* The light checks and the roles now, and the open table. */
  navette_engine_refresh (self->engine);
  if (self->feed != NULL)
    navette_replica_feed_sync (self->feed);
  else if (self->table != NULL)
    navette_table_reload_async (self->table, FALSE, NULL, table_reload_cb, NULL);
}

static void
retry_load_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  if (self->engine == NULL)
    {
      gtk_widget_activate_action (widget, "app.reconnect", NULL);
      return;
    }
  if (self->feed != NULL)
    navette_replica_feed_sync (self->feed);
  else if (self->table != NULL)
    navette_table_reload_async (self->table, !navette_table_get_loaded (self->table),
                                NULL, table_reload_cb, NULL);
  else
    navette_engine_load_async (self->engine, NULL, engine_reload_cb, NULL);
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  navette_record_pane_show_history (self->record_pane);
}

static void
go_back_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ---- Administration ---- */

static void
administration_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  NavetteWindow *self = NAVETTE_WINDOW (widget);

  if (self->engine == NULL)
    return;
  gtk_window_present (GTK_WINDOW (navette_admin_window_new (GTK_WINDOW (self), self->engine)));
}

/* Administrators, and editors of some application (their Activity). */
gboolean
_navette_window_can_administer (NavetteWindow *self)
{
  NavetteSession *session;
  GListModel *stores;

  if (self->engine == NULL)
    return FALSE;
  session = navette_engine_get_session (self->engine);
  if (!navette_session_get_signed_in (session))
    return FALSE;
  if (navette_session_get_admin (session))
    return TRUE;
  stores = navette_engine_get_stores (self->engine);
  for (guint i = 0; i < g_list_model_get_n_items (stores); i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (stores, i);

      if (navette_store_get_role (store) == NAVETTE_ROLE_EDITOR)
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  NavetteWindow *window;
  NavetteTable  *table;
  char          *record;
  gulong         handler;
} HistoryWait;

static void
show_history_now (NavetteWindow *self,
                  NavetteTable  *table,
                  const char    *id)
{
  NavetteRecord *record;

  if (self->table != table)
    return;
  record = navette_table_lookup (table, id);
  if (record == NULL)
    {
      navette_window_add_toast (self, adw_toast_new (_("This record is no longer in the table")));
      return;
    }
  navette_window_open_record (self, record);
  if (navette_record_pane_get_record (self->record_pane) == record)
    navette_record_pane_show_history (self->record_pane);
}

static void
history_table_loaded_cb (NavetteTable *table,
                         GParamSpec   *pspec,
                         gpointer      user_data)
{
  HistoryWait *wait = user_data;

  if (!navette_table_get_loaded (table))
    return;
  g_signal_handler_disconnect (table, wait->handler);
  if (wait->window != NULL)
    show_history_now (wait->window, table, wait->record);
  g_clear_weak_pointer (&wait->window);
  g_free (wait->record);
  g_free (wait);
}

gboolean
navette_window_show_record_history (NavetteWindow *self,
                                    const char    *app,
                                    const char    *table,
                                    const char    *record)
{
  HistoryWait *wait;

  g_return_val_if_fail (NAVETTE_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (!navette_window_select_table (self, app, table))
    return FALSE;
  if (self->feed != NULL)
    {
      _navette_window_reveal_record (self, record, TRUE);
      return TRUE;
    }
  if (navette_table_get_loaded (self->table))
    {
      show_history_now (self, self->table, record);
      return TRUE;
    }
  wait = g_new0 (HistoryWait, 1);
  g_set_weak_pointer (&wait->window, self);
  wait->record = g_strdup (record);
  wait->handler = g_signal_connect (self->table, "notify::loaded",
                                    G_CALLBACK (history_table_loaded_cb), wait);
  return TRUE;
}

void
_navette_window_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "window.new-record", NULL, new_record_action);
  gtk_widget_class_install_action (widget_class, "window.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "window.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "window.archive", NULL, archive_action);
  gtk_widget_class_install_action (widget_class, "window.unarchive", "(sss)", unarchive_action);
  gtk_widget_class_install_action (widget_class, "window.restore-record", "s", restore_record_action);
  gtk_widget_class_install_action (widget_class, "window.retry-change", "s", failed_change_action);
  gtk_widget_class_install_action (widget_class, "window.discard-change", "s", failed_change_action);
  gtk_widget_class_install_action (widget_class, "window.retry-all", NULL, failed_change_action);
  gtk_widget_class_install_action (widget_class, "window.discard-all", NULL, failed_change_action);
  gtk_widget_class_install_action (widget_class, "window.review-change", "(sssxx)", review_change_action);
  gtk_widget_class_install_action (widget_class, "window.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "window.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "window.retry-load", NULL, retry_load_action);
  gtk_widget_class_install_action (widget_class, "window.history", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "window.go-back", NULL, go_back_action);
  gtk_widget_class_install_action (widget_class, "window.administration", NULL, administration_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "window.new-record", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "window.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "window.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "window.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK, "window.history", NULL);
}
