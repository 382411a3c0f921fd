/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "navette-a11y.h"
#include "navette-archived-cell.h"
#include "navette-failed-row.h"
#include "navette-record-cell.h"
#include "navette-record-sorter.h"
#include "navette-resources.h"
#include "navette-sidebar-app-row.h"
#include "navette-sidebar-row.h"
#include "navette-state-cell.h"
#include "navette-value-cell.h"
#include "navette-window-private.h"
#include "navette-format.h"
#include "navette-gtk-compat.h"

G_DEFINE_FINAL_TYPE (NavetteWindow, navette_window, ADW_TYPE_APPLICATION_WINDOW)

static void set_engine (NavetteWindow *self,
                        NavetteEngine *engine,
                        gboolean       cache_only);
static void open_initial_table (NavetteWindow *self,
                                NavetteStore  *store);
static void schedule_sidebar      (NavetteWindow *self);
static void build_columns         (NavetteWindow *self);
static void update_account        (NavetteWindow *self);

/* ---- Pages ---- */

static void
after_paint_cb (GdkFrameClock *clock,
                NavetteWindow *self)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, self);
  /* For the startup measurement (G_MESSAGES_DEBUG=navette-app). */
  g_debug ("First records painted at %.1f ms (monotonic), %u rows",
           g_get_monotonic_time () / 1000.0,
           self->table != NULL ? g_list_model_get_n_items (_navette_window_view_model (self)) : 0);
}

static gboolean
first_row_read (NavetteWindow *self)
{
  g_autoptr(NavetteRecord) first = g_list_model_get_item (_navette_window_view_model (self), 0);

  return first != NULL && navette_record_get_id (first)[0] != '\0';
}

void
_navette_window_update_page (NavetteWindow *self)
{
  const char *page;

  if (self->engine == NULL)
    return;
  if (self->table == NULL)
    page = g_list_model_get_n_items (navette_engine_get_stores (self->engine)) == 0 ? "no-apps" : "no-table";
  else if (self->feed != NULL)
    {
      NavetteReplicaModel *model = navette_replica_feed_get_model (self->feed);
      const GError *error = navette_replica_feed_get_error (self->feed);
      const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

      /* Rows the replica holds show at once; a first sync shows its
       * progress until it ends. */
      if (g_list_model_get_n_items (G_LIST_MODEL (model)) > 0)
        page = "records";
      else if (navette_replica_model_get_loading (model) ||
               (!navette_replica_feed_get_synced (self->feed) && error == NULL))
        page = "loading";
      else if (!navette_replica_feed_get_synced (self->feed))
        {
          adw_status_page_set_description (self->error_page, error->message);
          page = "error";
        }
      else
        page = search != NULL && search[0] != '\0' ? "no-results" : "empty";
    }
  else if (!navette_table_get_loaded (self->table))
    /* Showing the saved data without a replica to show it through: it
     * comes once the engine is loaded. */
    page = navette_table_get_loading (self->table) || self->cache_only ? "loading" : "error";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) > 0)
    page = "records";
  else
    {
      const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

      page = search != NULL && search[0] != '\0' ? "no-results" : "empty";
    }

  /* Once a first sync counts its rows, they are its progress: no
   * spinner (see _navette_window_counting_rows()). */
  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (page, "loading") &&
                                                   !_navette_window_counting_rows (self));
  gtk_stack_set_visible_child_name (self->main_stack, page);

  /* Through the replica, once the first row is read (not a placeholder). */
  if (!self->painted && g_str_equal (page, "records") && gtk_widget_get_realized (GTK_WIDGET (self)) &&
      (self->feed == NULL || first_row_read (self)))
    {
      self->painted = TRUE;
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (self)), "after-paint",
                        G_CALLBACK (after_paint_cb), self);
    }
}

/* A first sync into the replica that has applied pages already: its
 * progress is the count of rows on the loading page, updated once a page,
 * with no animation. An animation draws a frame of the whole window 60
 * times a second: with software GL (llvmpipe: no GPU, a virtual machine,
 * Xvfb) the two spinners and the pulsing bar (GTK 4 slides its block on
 * every frame) took 12–16 s of CPU during the first sync of a million
 * rows, more than the sync's worker (9 s), on the cores it shares with
 * the sync and the local server: 35–50 s instead of 15 s
 * (docs/replica.md, "First sync, fourth round"). */
static void update_rows_loaded (NavetteWindow *self);

gboolean
_navette_window_counting_rows (NavetteWindow *self)
{
  /* Only on the loading page: rows already shown (a walk resumed, a
   * column added) keep the spinner and the bar, the count being hidden. */
  return self->feed != NULL && navette_replica_feed_get_syncing (self->feed) &&
         !navette_replica_feed_get_synced (self->feed) &&
         navette_replica_feed_get_rows_synced (self->feed) > 0 &&
         g_list_model_get_n_items (G_LIST_MODEL (navette_replica_feed_get_model (self->feed))) == 0;
}

static gboolean
progress_tick_cb (gpointer user_data)
{
  NavetteWindow *self = user_data;
  double progress = self->table != NULL && self->feed == NULL ? navette_table_get_progress (self->table) : -1;

  /* Only loads that take a while get the bar: no flash for small ones. */
  if (++self->progress_ticks < 3)
    return G_SOURCE_CONTINUE;
  if (_navette_window_counting_rows (self))
    {
      /* Out of activity mode (its frames stop), and hidden. */
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      update_rows_loaded (self);
      return G_SOURCE_CONTINUE;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  if (progress >= 0)
    gtk_progress_bar_set_fraction (self->progress_bar, progress);
  else
    gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

/* A large table comes in pages and the server gives no total: say how
 * many rows have arrived (the bar pulses meanwhile). */
static void
update_rows_loaded (NavetteWindow *self)
{
  guint rows = 0;
  g_autofree char *count = NULL;
  g_autofree char *text = NULL;

  if (self->feed != NULL)
    {
      /* A first sync into the replica: the rows applied so far. */
      if (navette_replica_feed_get_syncing (self->feed) && !navette_replica_feed_get_synced (self->feed))
        rows = (guint) MIN (navette_replica_feed_get_rows_synced (self->feed), G_MAXUINT);
    }
  else if (self->table != NULL && navette_table_get_loading (self->table))
    rows = navette_table_get_rows_loaded (self->table);
  /* Each change of the count is a frame of the window: at most one a
   * second (the progress tick shows the last count; see
   * _navette_window_counting_rows()). */
  if (rows > 0 && gtk_widget_get_visible (GTK_WIDGET (self->loading_label)) &&
      g_get_monotonic_time () - self->rows_shown_at < G_USEC_PER_SEC)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->loading_label), rows > 0);
  if (rows == 0)
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->progress_bar), NULL);
      return;
    }
  self->rows_shown_at = g_get_monotonic_time ();
  count = g_strdup_printf ("%'u", rows);
  /* Translators: %s is a number of rows, with its thousands separators */
  text = g_strdup_printf (ngettext ("Loading… %s row so far", "Loading… %s rows so far", rows), count);
  gtk_label_set_text (self->loading_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->progress_bar), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
}

static void
update_progress (NavetteWindow *self)
{
  /* Saved rows shown before the server answered: a small bar while they
   * are revalidated. */
  gboolean loading = self->feed != NULL
                     ? navette_replica_feed_get_syncing (self->feed) && !navette_replica_feed_get_synced (self->feed)
                     : self->table != NULL &&
                       (navette_table_get_loading (self->table) || navette_table_get_cached (self->table));

  if (loading && self->progress_timeout == 0)
    {
      self->progress_ticks = 0;
      self->progress_timeout = g_timeout_add (100, progress_tick_cb, self);
    }
  else if (!loading)
    {
      g_clear_handle_id (&self->progress_timeout, g_source_remove);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
    }
}

static void
update_empty_page (NavetteWindow *self)
{
  gboolean editor = self->store != NULL && navette_store_can_edit (self->store);

  if (self->show_archived)
    {
      adw_status_page_set_title (self->empty_page, _("No Archived Records"));
      adw_status_page_set_description (self->empty_page,
                                       _("Records archived here are listed, with who archived them and when."));
      return;
    }
  adw_status_page_set_title (self->empty_page, _("No Records Yet"));
  adw_status_page_set_description (self->empty_page,
                                   editor ? _("Create the first one with New.")
                                          : _("Nothing has been added here yet."));
}

static void
update_table_title (NavetteWindow *self)
{
  g_autofree char *subtitle = NULL;

  if (self->table == NULL)
    return;
  adw_window_title_set_title (self->table_title, navette_table_get_title (self->table));
  if (self->show_archived)
    /* Translators: the subtitle of a table's Archive view; %s is the application */
    subtitle = g_strdup_printf (_("Archived — %s"), navette_store_get_title (self->store));
  else
    subtitle = g_strdup (navette_store_get_title (self->store));
  adw_window_title_set_subtitle (self->table_title, subtitle);
}

void
_navette_window_set_show_archived (NavetteWindow *self,
                                   gboolean       show)
{
  if (self->show_archived == show)
    return;
  self->show_archived = show;
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->archived_button)) != show)
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->archived_button), show);
  _navette_window_close_pane (self);
  if (self->table != NULL)
    build_columns (self);
  if (self->feed != NULL)
    _navette_window_apply_view (self);
  else
    gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  update_empty_page (self);
  update_table_title (self);
  _navette_window_update_page (self);
  _navette_window_update_actions (self);
}

static void
archived_toggled_cb (NavetteWindow *self)
{
  _navette_window_set_show_archived (self, gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->archived_button)));
}

static void
table_notify_cb (NavetteWindow *self)
{
  update_progress (self);
  update_rows_loaded (self);
  _navette_window_update_page (self);
  _navette_window_update_sync_indicator (self);
}

static void
filter_items_changed_cb (NavetteWindow *self)
{
  _navette_window_update_page (self);
}

/* ---- Sidebar ---- */

static void
rebuild_sidebar (NavetteWindow *self)
{
  GListModel *stores;
  NavetteReplica *replica;

  navette_list_box_remove_all (self->sidebar_list);
  if (self->engine == NULL)
    return;

  /* Tables not loaded in memory are counted in the replica. */
  replica = navette_engine_get_replica (self->engine);
  stores = navette_engine_get_stores (self->engine);
  for (guint i = 0; i < g_list_model_get_n_items (stores); i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (stores, i);
      GListModel *tables = navette_store_get_tables (store);

      gtk_list_box_append (self->sidebar_list, navette_sidebar_app_row_new (store));
      for (guint j = 0; j < g_list_model_get_n_items (tables); j++)
        {
          g_autoptr(NavetteTable) table = g_list_model_get_item (tables, j);
          GtkWidget *row = navette_sidebar_row_new (table, replica);

          gtk_list_box_append (self->sidebar_list, row);
          if (table == self->table)
            gtk_list_box_select_row (self->sidebar_list, GTK_LIST_BOX_ROW (row));
        }
    }
}

/* A sync of the table shown changed what the replica holds: its count. */
static void
feed_synced_recount_cb (NavetteWindow *self)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (NAVETTE_IS_SIDEBAR_ROW (row) && self->table != NULL &&
        navette_sidebar_row_get_table (NAVETTE_SIDEBAR_ROW (row)) == self->table)
      navette_sidebar_row_recount (NAVETTE_SIDEBAR_ROW (row));
}

static gboolean
sidebar_idle_cb (gpointer user_data)
{
  NavetteWindow *self = user_data;

  self->sidebar_idle = 0;
  rebuild_sidebar (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_sidebar (NavetteWindow *self)
{
  /* Nothing to show once the engine is gone (signed out, or disposed). */
  if (self->engine == NULL)
    return;
  if (self->sidebar_idle == 0)
    self->sidebar_idle = g_idle_add (sidebar_idle_cb, self);
}

/* ---- Opening a table ---- */

static void
clear_columns (NavetteWindow *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);

  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);

      gtk_column_view_remove_column (self->column_view, column);
    }
}

static void
build_columns (NavetteWindow *self)
{
  const NavetteWireTable *schema = navette_table_get_schema (self->table);
  GtkColumnViewColumn *first = NULL;
  GtkListItemFactory *factory;
  g_autoptr(GtkColumnViewColumn) state = NULL;
  gboolean expanded = FALSE;

  clear_columns (self);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      g_autoptr(GtkColumnViewColumn) view_column = NULL;
      g_autoptr(GtkSorter) sorter = NULL;

      /* The column data belong to the table's schema, which outlives the
       * view columns: they are removed before the table is dropped. */
      factory = _navette_window_cell_factory_new (G_CALLBACK (_navette_window_value_cell_setup_cb), (gpointer) column);
      view_column = gtk_column_view_column_new (column->title != NULL ? column->title : column->name,
                                                factory);
      sorter = navette_record_sorter_new (column);
      gtk_column_view_column_set_sorter (view_column, sorter);
      gtk_column_view_column_set_resizable (view_column, TRUE);
      /* Text columns share the width; the first (the record's name)
       * keeps room for a few words when the pane is open. */
      if (column->type == NAVETTE_COLUMN_TEXT)
        {
          gtk_column_view_column_set_expand (view_column, TRUE);
          g_object_set_data (G_OBJECT (factory), "first-text", GINT_TO_POINTER (!expanded));
          expanded = TRUE;
        }
      gtk_column_view_append_column (self->column_view, view_column);
      if (first == NULL)
        first = view_column;
    }

  if (self->show_archived)
    {
      g_autoptr(GtkColumnViewColumn) archived = NULL;

      factory = _navette_window_cell_factory_new (G_CALLBACK (_navette_window_archived_cell_setup_cb),
                                  GINT_TO_POINTER (navette_store_can_edit (self->store)));
      /* Translators: the title of the column of who archived a record, and when */
      archived = gtk_column_view_column_new (C_("column", "Archived"), factory);
      gtk_column_view_column_set_expand (archived, TRUE);
      gtk_column_view_column_set_resizable (archived, TRUE);
      gtk_column_view_append_column (self->column_view, archived);
    }

  factory = _navette_window_cell_factory_new (G_CALLBACK (_navette_window_state_cell_setup_cb), NULL);
  /* Translators: the title of the column of sync states */
  state = gtk_column_view_column_new (C_("column", "State"), factory);
  gtk_column_view_column_set_fixed_width (state, 64);
  gtk_column_view_append_column (self->column_view, state);

  /* In memory, by the first column. Through the replica, in the order
   * rows entered it until a header is clicked: sorting a large table by
   * a column the first time builds an index (seconds at a million
   * rows), and the header shows no arrow for that order. */
  if (first != NULL && self->feed == NULL)
    gtk_column_view_sort_by_column (self->column_view, first, GTK_SORT_ASCENDING);
}

/* Columns added, retitled or archived on the server: the view follows
 * (the open record pane follows by itself). */
static void
table_schema_changed_cb (NavetteWindow *self)
{
  build_columns (self);
  if (self->feed != NULL)
    _navette_window_apply_view (self);
  else
    gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
}

static void
table_title_cb (NavetteWindow *self)
{
  update_table_title (self);
}

static void
disconnect_table (NavetteWindow *self)
{
  if (self->feed != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->feed, self);
      g_signal_handlers_disconnect_by_data (navette_replica_feed_get_model (self->feed), self);
      g_clear_object (&self->feed);
    }
  g_cancellable_cancel (self->changes_cancellable);
  g_clear_object (&self->changes_cancellable);
  g_hash_table_remove_all (self->highlight_ids);
  if (self->table == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->table, self);
}

static void
feed_notify_cb (NavetteWindow *self)
{
  update_progress (self);
  update_rows_loaded (self);
  _navette_window_update_page (self);
  _navette_window_update_sync_indicator (self);
}

/* Shows @table through the replica when the engine has one: the column
 * view's selection is on the feed's lazy model directly. */
static gboolean
show_through_replica (NavetteWindow *self,
                      NavetteTable  *table)
{
  NavetteReplicaFeed *feed = NULL;
  NavetteReplicaModel *model;

  /* Before the engine is loaded (the saved data shown) too: the feed
   * shows the replica's rows and syncs once it is. */
  if (self->engine != NULL)
    feed = navette_engine_open_feed (self->engine, table);
  if (feed == NULL)
    return FALSE;
  self->feed = g_object_ref (feed);
  self->feed_revision = navette_replica_feed_get_revision (feed);
  model = navette_replica_feed_get_model (feed);
  g_signal_connect_swapped (feed, "notify::syncing", G_CALLBACK (feed_notify_cb), self);
  g_signal_connect_swapped (feed, "notify::synced", G_CALLBACK (feed_notify_cb), self);
  g_signal_connect_swapped (feed, "notify::error", G_CALLBACK (feed_notify_cb), self);
  g_signal_connect_swapped (feed, "notify::rows-synced", G_CALLBACK (feed_notify_cb), self);
  g_signal_connect_swapped (feed, "synced", G_CALLBACK (_navette_window_feed_synced_cb), self);
  g_signal_connect_swapped (feed, "synced", G_CALLBACK (feed_synced_recount_cb), self);
  g_signal_connect_swapped (model, "batch-loaded", G_CALLBACK (_navette_window_batch_loaded_cb), self);
  g_signal_connect_swapped (model, "batch-loaded", G_CALLBACK (_navette_window_update_page), self);
  g_signal_connect_swapped (model, "items-changed", G_CALLBACK (filter_items_changed_cb), self);
  g_signal_connect_swapped (model, "notify::loading", G_CALLBACK (feed_notify_cb), self);
  _navette_window_apply_view (self);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (model));
  return TRUE;
}

static void
reload_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NavetteWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  NavetteTable *table = NAVETTE_TABLE (object);

  if (!navette_table_reload_finish (table, result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->engine == NULL)
        return;
      if (table != self->table)
        return;
      if (!navette_table_get_loaded (table))
        {
          adw_status_page_set_description (self->error_page, error->message);
          _navette_window_update_page (self);
        }
      else
        {
          g_autofree char *escaped = g_markup_escape_text (error->message, -1);

          navette_window_add_toast (self, adw_toast_new (escaped));
        }
      return;
    }
  if (self->engine == NULL)
    return;
  self->last_check = g_get_real_time ();
  g_debug ("Records of %s loaded", navette_table_get_name (table));
  if (table == self->table)
    {
      _navette_window_update_page (self);
      _navette_window_update_sync_indicator (self);
    }
}

static void
reload_table (NavetteWindow *self,
              NavetteTable  *table,
              gboolean       full)
{
  navette_table_reload_async (table, full, self->load_cancellable, reload_cb, g_object_ref (self));
}

static void
show_table (NavetteWindow *self,
            NavetteStore  *store,
            NavetteTable  *table)
{
  if (table == self->table)
    return;

  _navette_window_close_pane (self);
  disconnect_table (self);
  /* Another table opens on its records, not its archive. */
  if (self->show_archived)
    {
      self->show_archived = FALSE;
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->archived_button), FALSE);
      update_empty_page (self);
    }
  g_clear_object (&self->follow);
  gtk_single_selection_set_model (self->selection, NULL);
  gtk_filter_list_model_set_model (self->filter_model, NULL);
  clear_columns (self);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_set_object (&self->store, store);
  g_set_object (&self->table, table);
  self->remote_count = 0;
  if (self->remote_toast != NULL)
    adw_toast_dismiss (self->remote_toast);

  if (table == NULL)
    {
      adw_window_title_set_title (self->table_title, _("Navette"));
      adw_window_title_set_subtitle (self->table_title, NULL);
      update_progress (self);
      update_rows_loaded (self);
      _navette_window_update_page (self);
      _navette_window_update_actions (self);
      return;
    }

  update_table_title (self);
  /* For the measurement (G_MESSAGES_DEBUG=navette-app). */
  g_debug ("Table %s selected at %.1f ms (monotonic)", navette_table_get_name (table),
           g_get_monotonic_time () / 1000.0);
  /* "First records painted" measured again for this table. */
  self->painted = FALSE;
  {
    g_autofree char *path = g_strdup_printf ("%s/%s", navette_store_get_name (store),
                                             navette_table_get_name (table));

    g_settings_set_string (self->settings, "last-table", path);
  }
  if (!show_through_replica (self, table))
    {
      build_columns (self);
      gtk_filter_list_model_set_model (self->filter_model, G_LIST_MODEL (table));
      gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->sort_model));
    }
  else
    build_columns (self);
  g_signal_connect_swapped (table, "notify::loading", G_CALLBACK (table_notify_cb), self);
  g_signal_connect_swapped (table, "notify::loaded", G_CALLBACK (table_notify_cb), self);
  g_signal_connect_swapped (table, "notify::progress", G_CALLBACK (table_notify_cb), self);
  g_signal_connect_swapped (table, "notify::rows-loaded", G_CALLBACK (table_notify_cb), self);
  g_signal_connect_swapped (table, "notify::cached", G_CALLBACK (table_notify_cb), self);
  g_signal_connect_swapped (table, "schema-changed", G_CALLBACK (table_schema_changed_cb), self);
  g_signal_connect_swapped (table, "notify::title", G_CALLBACK (table_title_cb), self);
  update_empty_page (self);

  /* In memory (no replica): the first time the spinner page; after that
   * the rows held at once and a delta in the background. */
  if (self->feed == NULL && !self->cache_only && !navette_table_get_cached (table))
    reload_table (self, table, !navette_table_get_loaded (table));
  update_progress (self);
  update_rows_loaded (self);
  _navette_window_update_page (self);
  _navette_window_update_sync_indicator (self);
  _navette_window_update_actions (self);
}

static void
show_table_now (NavetteWindow *self,
                gpointer       data)
{
  NavetteTable *table = data;

  if (navette_table_get_store (table) == NULL)
    return;
  show_table (self, navette_table_get_store (table), table);
  adw_leaflet_set_visible_child (self->leaflet, self->content_box);
}

static void
sidebar_row_activated_cb (NavetteWindow *self,
                          GtkListBoxRow *row)
{
  NavetteTable *table = NAVETTE_IS_SIDEBAR_ROW (row) ? navette_sidebar_row_get_table (NAVETTE_SIDEBAR_ROW (row)) : NULL;

  if (table == NULL || table == self->table)
    return;
  /* Another table closes the pane: ask first when it holds edits. */
  _navette_window_check_unsaved (self, show_table_now, g_object_ref (table), g_object_unref);
}

gboolean
navette_window_select_table (NavetteWindow *self,
                             const char    *app,
                             const char    *table_name)
{
  NavetteStore *store;
  NavetteTable *table;

  g_return_val_if_fail (NAVETTE_IS_WINDOW (self), FALSE);

  if (self->engine == NULL)
    return FALSE;
  store = navette_engine_lookup_store (self->engine, app);
  if (store == NULL)
    return FALSE;
  table = navette_store_lookup_table (store, table_name);
  if (table == NULL)
    return FALSE;
  show_table (self, store, table);
  rebuild_sidebar (self);
  adw_leaflet_set_visible_child (self->leaflet, self->content_box);
  return TRUE;
}

/* ---- Stores ---- */

/* Counts the records of the tables not loaded yet in the background (the
 * sidebar shows them). */
static void
count_tables (NavetteWindow *self,
              NavetteStore  *store)
{
  GListModel *tables = navette_store_get_tables (store);

  for (guint i = 0; i < g_list_model_get_n_items (tables); i++)
    {
      g_autoptr(NavetteTable) table = g_list_model_get_item (tables, i);

      /* With a replica, tables are shown through it: none is loaded
       * whole to be counted (a million rows would be). */
      if (table != self->table && !navette_table_get_loaded (table) &&
          !navette_table_get_loading (table) &&
          (self->engine == NULL || navette_engine_get_replica (self->engine) == NULL))
        reload_table (self, table, TRUE);
    }
}

/* A store's table list changed on the server: a table added (listed and
 * counted), archived (gone; closed when it was open), retitled. */
static void
store_tables_changed_cb (NavetteWindow *self)
{
  schedule_sidebar (self);
  if (self->engine == NULL || self->cache_only)
    return;
  for (guint i = 0; i < self->watched_stores->len; i++)
    {
      NavetteStore *store = g_ptr_array_index (self->watched_stores, i);

      if (navette_store_get_loaded (store))
        count_tables (self, store);
    }
  if (self->table != NULL && self->store != NULL &&
      navette_store_lookup_table (self->store, navette_table_get_name (self->table)) != self->table)
    {
      g_autofree char *message =
        /* Translators: %s is a table's title */
        g_strdup_printf (_("%s is no longer available."), navette_table_get_title (self->table));

      show_table (self, NULL, NULL);
      navette_window_add_toast (self, adw_toast_new (message));
    }
}

static void
tables_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NavetteWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  NavetteStore *store = NAVETTE_STORE (object);

  if (!navette_store_load_tables_finish (store, result, &error) || self->engine == NULL)
    {
      if (error == NULL)
        return;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not load the tables of %s: %s", navette_store_get_name (store), error->message);
      return;
    }
  g_debug ("Tables of %s loaded", navette_store_get_name (store));
  schedule_sidebar (self);
  open_initial_table (self, store);

  count_tables (self, store);
}

/* Opens the table of last time (or the one asked for on the command
 * line), else the first one, when nothing is open yet. */
static void
open_initial_table (NavetteWindow *self,
                    NavetteStore  *store)
{
  if (self->table == NULL && self->engine != NULL)
    {
      GListModel *tables = navette_store_get_tables (store);
      g_autofree char *wanted = self->initial_table != NULL
                                ? g_strdup (self->initial_table)
                                : g_settings_get_string (self->settings, "last-table");
      g_auto(GStrv) parts = g_strsplit (wanted, "/", 2);
      gboolean wanted_exists = g_strv_length (parts) == 2 &&
                               navette_engine_lookup_store (self->engine, parts[0]) != NULL;
      g_autoptr(NavetteStore) first_store = g_list_model_get_item (navette_engine_get_stores (self->engine), 0);

      if (wanted_exists && g_strcmp0 (parts[0], navette_store_get_name (store)) == 0 &&
          navette_store_lookup_table (store, parts[1]) != NULL)
        show_table (self, store, navette_store_lookup_table (store, parts[1]));
      else if (!wanted_exists && store == first_store && g_list_model_get_n_items (tables) > 0)
        {
          g_autoptr(NavetteTable) table = g_list_model_get_item (tables, 0);

          show_table (self, store, table);
        }
    }
}

static void
store_role_cb (NavetteWindow *self,
               GParamSpec    *pspec,
               NavetteStore  *store)
{
  schedule_sidebar (self);
  if (store == self->store)
    {
      update_empty_page (self);
      /* The Archive view's Restore buttons come or go. */
      if (self->show_archived && self->table != NULL)
        build_columns (self);
    }
  _navette_window_update_actions (self);
}

static void
watch_store (NavetteWindow *self,
             NavetteStore  *store)
{
  if (self->cache_only)
    {
      /* The tables the replica holds are there already. */
      open_initial_table (self, store);
      return;
    }
  for (guint i = 0; i < self->watched_stores->len; i++)
    if (g_ptr_array_index (self->watched_stores, i) == store)
      return;
  g_ptr_array_add (self->watched_stores, g_object_ref (store));
  g_signal_connect_object (store, "notify::role", G_CALLBACK (store_role_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (navette_store_get_tables (store), "items-changed",
                           G_CALLBACK (store_tables_changed_cb), self, G_CONNECT_SWAPPED);
  navette_store_load_tables_async (store, self->load_cancellable, tables_loaded_cb, g_object_ref (self));
}

static void
unwatch_stores (NavetteWindow *self)
{
  for (guint i = 0; i < self->watched_stores->len; i++)
    {
      NavetteStore *store = g_ptr_array_index (self->watched_stores, i);

      g_signal_handlers_disconnect_by_data (store, self);
      g_signal_handlers_disconnect_by_data (navette_store_get_tables (store), self);
    }
  g_ptr_array_set_size (self->watched_stores, 0);
}

static void
stores_changed_cb (NavetteWindow *self)
{
  GListModel *stores = navette_engine_get_stores (self->engine);
  gboolean current_present = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (stores); i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (stores, i);

      watch_store (self, store);
      current_present |= store == self->store;
    }
  /* The user lost the role in the open application. */
  if (self->store != NULL && !current_present)
    show_table (self, NULL, NULL);
  schedule_sidebar (self);
  _navette_window_update_page (self);
  _navette_window_update_actions (self);
}

/* The account menu (the avatar): who is signed in, to which server or
 * to the local database, and Sign Out; the sidebar's title says who, and
 * in local mode that it is local. */
static void
update_account (NavetteWindow *self)
{
  NavetteSession *session = self->engine != NULL ? navette_engine_get_session (self->engine) : NULL;
  const char *name = session != NULL ? navette_session_get_display_name (session) : NULL;
  const char *username = session != NULL ? navette_session_get_username (session) : NULL;
  const char *account = self->engine != NULL ? navette_engine_get_account_url (self->engine) : NULL;
  gboolean local = account != NULL && g_str_has_prefix (account, "local:");
  g_autofree char *server = NULL;
  g_autofree char *who = NULL;

  if (name == NULL || name[0] == '\0')
    name = username;
  adw_window_title_set_title (self->user_title, name != NULL ? name : _("Navette"));
  adw_window_title_set_subtitle (self->user_title, local ? _("Local — on this computer") : NULL);
  adw_avatar_set_text (self->avatar, name);

  if (name == NULL)
    who = g_strdup (_("Not signed in"));
  else if (username != NULL && g_strcmp0 (name, username) != 0)
    /* Translators: "Alice Martin (alice)" */
    who = g_strdup_printf (_("%s (%s)"), name, username);
  else
    who = g_strdup (name);
  gtk_label_set_label (self->account_name_label, who);

  if (local)
    /* Translators: the account menu in local mode; %s is the database's path */
    server = g_strdup_printf (_("Local — on this computer\n%s"), account + strlen ("local:"));
  else if (self->engine != NULL && session != NULL && username != NULL)
    /* Translators: the account menu; %s is the server's address */
    server = g_strdup_printf (_("On %s"), navette_client_get_base_url (navette_engine_get_client (self->engine)));
  gtk_label_set_label (self->account_server_label, server != NULL ? server : "");
  gtk_widget_set_visible (GTK_WIDGET (self->account_server_label), server != NULL);
  gtk_widget_set_visible (self->account_sign_out_button, !local && username != NULL);
}

static void
session_notify_cb (NavetteWindow *self)
{
  update_account (self);
}

void
navette_window_set_engine (NavetteWindow *self,
                           NavetteEngine *engine)
{
  g_return_if_fail (NAVETTE_IS_WINDOW (self));
  g_return_if_fail (engine == NULL || NAVETTE_IS_ENGINE (engine));

  if (engine != NULL && engine == self->engine && self->cache_only)
    {
      /* The engine shown from its cache is loaded: go live, keeping the
       * open table (the same objects, revalidated by the engine). */
      self->cache_only = FALSE;
      self->last_check = g_get_real_time ();
      stores_changed_cb (self);
      /* Loaded, the engine has its replica: the open table is shown
       * through it from now on (not loaded whole in memory). A feed shown
       * before that the engine dropped (another user signed in: that was
       * the saved user's replica) is replaced by the engine's. */
      if (self->table != NULL && self->store != NULL &&
          (self->feed == NULL || navette_engine_lookup_feed (engine, self->table) != self->feed) &&
          navette_engine_open_feed (engine, self->table) != NULL)
        {
          g_autoptr(NavetteStore) store = g_object_ref (self->store);
          g_autoptr(NavetteTable) table = g_object_ref (self->table);

          show_table (self, NULL, NULL);
          show_table (self, store, table);
        }
      else if (self->table != NULL && self->feed == NULL && !navette_table_get_cached (self->table) &&
               !navette_table_get_loading (self->table))
        reload_table (self, self->table, !navette_table_get_loaded (self->table));
      _navette_window_update_sync_indicator (self);
      _navette_window_update_page (self);
      _navette_window_update_actions (self);
      return;
    }
  if (engine == self->engine)
    return;

  set_engine (self, engine, FALSE);
}

static void
set_engine (NavetteWindow *self,
            NavetteEngine *engine,
            gboolean       cache_only)
{
  self->cache_only = cache_only;
  show_table (self, NULL, NULL);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  unwatch_stores (self);
  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      g_signal_handlers_disconnect_by_data (navette_engine_get_stores (self->engine), self);
      g_signal_handlers_disconnect_by_data (navette_engine_get_failed_changes (self->engine), self);
      g_signal_handlers_disconnect_by_data (navette_engine_get_middleware (self->engine), self);
      g_signal_handlers_disconnect_by_data (navette_engine_get_poller (self->engine), self);
      g_signal_handlers_disconnect_by_data (navette_engine_get_session (self->engine), self);
      gtk_list_box_bind_model (self->failed_list, NULL, NULL, NULL, NULL);
    }
  g_set_object (&self->engine, engine);
  self->load_cancellable = g_cancellable_new ();
  navette_list_box_remove_all (self->sidebar_list);

  if (engine != NULL)
    {
      g_signal_connect_swapped (engine, "notification", G_CALLBACK (_navette_window_engine_notification_cb), self);
      g_signal_connect_swapped (engine, "notify::online", G_CALLBACK (_navette_window_update_sync_indicator), self);
      g_signal_connect_swapped (engine, "notify::push-live", G_CALLBACK (_navette_window_update_sync_indicator), self);
      g_signal_connect_swapped (navette_engine_get_stores (engine), "items-changed",
                                G_CALLBACK (stores_changed_cb), self);
      g_signal_connect_swapped (navette_engine_get_failed_changes (engine), "items-changed",
                                G_CALLBACK (_navette_window_failed_items_changed_cb), self);
      g_signal_connect_swapped (navette_engine_get_middleware (engine), "notify::n-pending",
                                G_CALLBACK (_navette_window_update_sync_indicator), self);
      g_signal_connect_swapped (navette_engine_get_middleware (engine), "notify::n-waiting",
                                G_CALLBACK (_navette_window_update_sync_indicator), self);
      g_signal_connect_swapped (navette_engine_get_middleware (engine), "notify::journal-error",
                                G_CALLBACK (_navette_window_update_sync_indicator), self);
      g_signal_connect_swapped (navette_engine_get_middleware (engine), "change-finished",
                                G_CALLBACK (_navette_window_change_finished_cb), self);
      g_signal_connect_swapped (navette_engine_get_poller (engine), "checked",
                                G_CALLBACK (_navette_window_poller_checked_cb), self);
      g_signal_connect_swapped (navette_engine_get_poller (engine), "changes",
                                G_CALLBACK (_navette_window_poller_changes_cb), self);
      g_signal_connect_swapped (navette_engine_get_session (engine), "notify::display-name",
                                G_CALLBACK (session_notify_cb), self);
      g_signal_connect_swapped (navette_engine_get_session (engine), "notify::admin",
                                G_CALLBACK (_navette_window_update_actions), self);
      g_signal_connect_swapped (navette_engine_get_session (engine), "notify::signed-in",
                                G_CALLBACK (_navette_window_update_actions), self);
      g_signal_connect_swapped (navette_engine_get_session (engine), "notify::username",
                                G_CALLBACK (session_notify_cb), self);
      gtk_list_box_bind_model (self->failed_list, navette_engine_get_failed_changes (engine),
                               _navette_window_failed_row_new, self, NULL);
      session_notify_cb (self);
      self->last_check = g_get_real_time ();
      stores_changed_cb (self);
    }
  else
    {
      /* Signed out, or connecting elsewhere: neither the last user nor
       * "Synced" stays on show beside what the page says. */
      self->last_check = 0;
      update_account (self);
    }
  _navette_window_failed_items_changed_cb (self);
  _navette_window_update_sync_indicator (self);
  _navette_window_update_page (self);
  _navette_window_update_actions (self);
}

void
navette_window_show_cached (NavetteWindow *self,
                            NavetteEngine *engine)
{
  g_return_if_fail (NAVETTE_IS_WINDOW (self));
  g_return_if_fail (NAVETTE_IS_ENGINE (engine));

  if (self->engine != NULL)
    return;
  g_debug ("Showing the saved data at %.1f ms (monotonic)", g_get_monotonic_time () / 1000.0);
  set_engine (self, engine, TRUE);
  self->last_check = 0;
  rebuild_sidebar (self);
  _navette_window_update_sync_indicator (self);
}

NavetteEngine *
navette_window_get_engine (NavetteWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_WINDOW (self), NULL);
  return self->engine;
}

NavetteStore *
navette_window_get_store (NavetteWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_WINDOW (self), NULL);
  return self->store;
}

NavetteTable *
navette_window_get_table (NavetteWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_WINDOW (self), NULL);
  return self->table;
}

void
navette_window_show_connecting (NavetteWindow *self,
                                const char    *message)
{
  g_return_if_fail (NAVETTE_IS_WINDOW (self));

  gtk_label_set_label (self->connecting_label, message != NULL ? message : _("Connecting…"));
  gtk_stack_set_visible_child_name (self->main_stack, "connecting");
}

void
navette_window_show_error (NavetteWindow *self,
                           const char    *title,
                           const char    *description)
{
  g_return_if_fail (NAVETTE_IS_WINDOW (self));

  adw_status_page_set_title (self->error_page, title != NULL ? title : _("Cannot Reach the Server"));
  adw_status_page_set_description (self->error_page, description);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
}

/* ---- The record pane ---- */

static void
open_record_now (NavetteWindow *self,
                 gpointer       data)
{
  NavetteRecord *record = data;

  if (self->table == NULL || (record != NULL && navette_record_get_archived (record) &&
                              _navette_window_lookup_record (self, navette_record_get_id (record)) == NULL))
    return;
  navette_window_open_record (self, record);
}

void
navette_window_open_record (NavetteWindow *self,
                            NavetteRecord *record)
{
  NavetteRecord *open;

  g_return_if_fail (NAVETTE_IS_WINDOW (self));
  g_return_if_fail (self->table != NULL);

  /* Another record while this one holds edits: ask first. */
  open = navette_record_pane_get_record (self->record_pane);
  if (navette_record_pane_get_table (self->record_pane) != NULL && open != record &&
      navette_record_pane_get_modified (self->record_pane))
    {
      _navette_window_check_unsaved (self, open_record_now,
                                     record != NULL ? g_object_ref (record) : NULL,
                                     record != NULL ? g_object_unref : NULL);
      return;
    }

  /* Through the replica, the record joins the engine's table before the
   * pane edits it: the middleware's changes land on this very object. */
  if (self->feed != NULL && record != NULL && navette_record_get_version (record) > 0 &&
      !navette_replica_model_adopt (navette_replica_feed_get_model (self->feed), record))
    return;
  navette_record_pane_set_editable (self->record_pane, navette_store_can_edit (self->store));
  navette_record_pane_set_record (self->record_pane, self->store, self->table, record);
  adw_leaflet_set_visible_child (self->leaflet, self->content_box);
  adw_flap_set_reveal_flap (self->flap, TRUE);
  _navette_window_update_actions (self);
}

void
_navette_window_close_pane (NavetteWindow *self)
{
  adw_flap_set_reveal_flap (self->flap, FALSE);
  navette_record_pane_clear (self->record_pane);
  _navette_window_update_actions (self);
}

/* ---- A record kept selected as it moves ---- */

void
_navette_window_select_position (NavetteWindow *self,
                                 guint          position)
{
  gtk_single_selection_set_selected (self->selection, position);
  navette_column_view_scroll_to (self->column_view, position);
}

typedef struct
{
  NavetteWindow *window;   /* weak */
  NavetteRecord *record;
} Follow;

static void
follow_free (Follow *follow)
{
  g_clear_weak_pointer (&follow->window);
  g_object_unref (follow->record);
  g_free (follow);
}

/* @item is the followed record, or may be: its row not read yet (a
 * placeholder, its id empty) or another object for its id. */
static gboolean
follow_may_be (NavetteWindow *self,
               NavetteRecord *item)
{
  const char *id;

  if (item == NULL || self->follow == NULL)
    return FALSE;
  id = navette_record_get_id (item);
  return item == self->follow || id[0] == '\0' || g_strcmp0 (id, navette_record_get_id (self->follow)) == 0;
}

static void
follow_select (NavetteWindow *self,
               guint          position)
{
  g_autoptr(NavetteRecord) item = NULL;

  if (position != G_MAXUINT)
    item = g_list_model_get_item (_navette_window_view_model (self), position);
  /* Not listed (the Archive view, another sort since), or another record
   * there by now: not followed. */
  if (!follow_may_be (self, item))
    {
      g_clear_object (&self->follow);
      return;
    }
  /* A placeholder is selected too, and the record followed until the
   * view hands it out there (an items-changed of that row). */
  _navette_window_select_position (self, position);
}

static void
follow_found_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Follow *follow = user_data;
  NavetteWindow *self = follow->window;
  guint position = navette_replica_model_find_finish (NAVETTE_REPLICA_MODEL (object), result, NULL);

  /* Not in the view's keys yet (it left the top as the sync landed,
   * before the keys that list it at its place were read): still
   * followed, found again at the view's next change. */
  if (self != NULL && self->follow == follow->record && self->feed != NULL &&
      G_LIST_MODEL (navette_replica_feed_get_model (self->feed)) == G_LIST_MODEL (object) &&
      gtk_single_selection_get_selected_item (self->selection) != (gpointer) follow->record &&
      position != G_MAXUINT)
    follow_select (self, position);
  follow_free (follow);
}

/* Finds the followed record in the view and selects it: through the
 * replica its position is asked of it (the rows are read lazily); in
 * memory the view is walked (a table loaded whole is small). */
static void
follow_find (NavetteWindow *self)
{
  GListModel *model = _navette_window_view_model (self);
  guint n;

  if (self->feed != NULL)
    {
      Follow *follow = g_new0 (Follow, 1);

      g_set_weak_pointer (&follow->window, self);
      follow->record = g_object_ref (self->follow);
      navette_replica_model_find_async (NAVETTE_REPLICA_MODEL (model), navette_record_get_id (self->follow),
                                        self->load_cancellable, follow_found_cb, follow);
      return;
    }
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);

      if (record == self->follow)
        {
          follow_select (self, i);
          return;
        }
    }
  follow_select (self, G_MAXUINT);
}

void
_navette_window_follow_record (NavetteWindow *self,
                               NavetteRecord *record)
{
  g_set_object (&self->follow, record);
  if (record != NULL)
    follow_find (self);
}

/* The view changed: the followed record moved (removed from the top and
 * added at its sorted place, apart, through the replica), the selection
 * lost it; it is found again. */
static void
selection_items_changed_cb (NavetteWindow *self)
{
  if (self->follow != NULL &&
      gtk_single_selection_get_selected_item (self->selection) != (gpointer) self->follow)
    follow_find (self);
}

/* Another row selected (a click, the keys, Show): that one now. */
static void
selection_changed_cb (NavetteWindow *self)
{
  if (self->follow != NULL && !follow_may_be (self, gtk_single_selection_get_selected_item (self->selection)))
    g_clear_object (&self->follow);
}

static void
column_view_activate_cb (NavetteWindow *self,
                         guint          position)
{
  g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_view_model (self), position);

  /* A placeholder (its row not read yet) has nothing to open. */
  if (record != NULL && navette_record_get_id (record)[0] != '\0')
    navette_window_open_record (self, record);
}

static void
flap_reveal_cb (NavetteWindow *self)
{
  if (self->refolding)
    return;
  if (!adw_flap_get_reveal_flap (self->flap) &&
      navette_record_pane_get_table (self->record_pane) != NULL)
    _navette_window_close_pane (self);
  /* Folding hides the pane (and closes what it showed); unfolding would
   * bring it back empty, every button disabled: it stays closed. */
  else if (adw_flap_get_reveal_flap (self->flap) &&
           navette_record_pane_get_table (self->record_pane) == NULL)
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

/* The list is one Tab stop: arrows move between its rows, Tab and
 * Shift+Tab leave it (GTK 4.8 visits every row with Tab). */
gboolean
_navette_window_tab_out_of_list (NavetteWindow *self,
                                 gboolean       forward)
{
  GtkWidget *list = GTK_WIDGET (self->column_view);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  gboolean moved;

  if (focus == NULL || (focus != list && !gtk_widget_is_ancestor (focus, list)))
    return FALSE;
  gtk_widget_set_can_focus (list, FALSE);
  moved = gtk_widget_child_focus (GTK_WIDGET (self), forward ? GTK_DIR_TAB_FORWARD : GTK_DIR_TAB_BACKWARD);
  gtk_widget_set_can_focus (list, TRUE);
  return moved;
}

static gboolean
list_key_pressed_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     NavetteWindow         *self)
{
  if (keyval != GDK_KEY_Tab && keyval != GDK_KEY_ISO_Left_Tab && keyval != GDK_KEY_KP_Tab)
    return FALSE;
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  return _navette_window_tab_out_of_list (self, keyval != GDK_KEY_ISO_Left_Tab &&
                                                !(state & GDK_SHIFT_MASK));
}

/* The wide pane goes over the list (folded); back to normal, beside it
 * when there is room. The pane stays open meanwhile. */
static void
pane_wide_cb (NavetteWindow *self)
{
  gboolean wide = navette_record_pane_get_wide (self->record_pane);
  gboolean open = navette_record_pane_get_table (self->record_pane) != NULL;

  self->refolding = TRUE;
  adw_flap_set_fold_policy (self->flap, wide ? ADW_FLAP_FOLD_POLICY_ALWAYS : ADW_FLAP_FOLD_POLICY_AUTO);
  adw_flap_set_reveal_flap (self->flap, open);
  self->refolding = FALSE;
}

const char *
_navette_window_get_page (NavetteWindow *self)
{
  return gtk_stack_get_visible_child_name (self->main_stack);
}

GListModel *
_navette_window_get_view_model (NavetteWindow *self)
{
  return _navette_window_view_model (self);
}

NavetteReplicaFeed *
_navette_window_get_feed (NavetteWindow *self)
{
  return self->feed;
}

NavetteRecord *
_navette_window_lookup_record (NavetteWindow *self,
                               const char    *id)
{
  NavetteReplicaModel *model;
  NavetteRecord *record;
  g_autoptr(NavetteRecord) loaded = NULL;
  guint position;

  if (self->table == NULL || id == NULL)
    return NULL;
  record = navette_table_lookup (self->table, id);
  if (record != NULL || self->feed == NULL)
    return record;
  model = navette_replica_feed_get_model (self->feed);
  position = navette_replica_model_find_loaded (model, id);
  if (position == G_MAXUINT)
    return NULL;
  loaded = g_list_model_get_item (G_LIST_MODEL (model), position);
  if (loaded == NULL || !navette_replica_model_adopt (model, loaded))
    return NULL;
  return navette_table_lookup (self->table, id);
}

NavetteRecordPane *
_navette_window_get_pane (NavetteWindow *self)
{
  return self->record_pane;
}

/* Coming back to the window while offline: ask the server now. */
static void
is_active_cb (NavetteWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)) && self->engine != NULL &&
      !navette_engine_get_online (self->engine))
    navette_poller_refresh (navette_engine_get_poller (self->engine));
}

/* ---- GObject ---- */

static void
navette_window_dispose (GObject *object)
{
  NavetteWindow *self = NAVETTE_WINDOW (object);

  g_clear_handle_id (&self->sidebar_idle, g_source_remove);
  g_clear_handle_id (&self->progress_timeout, g_source_remove);
  if (self->engine != NULL)
    navette_window_set_engine (self, NULL);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  disconnect_table (self);
  g_clear_object (&self->table);
  g_clear_object (&self->store);
  g_clear_pointer (&self->watched_stores, g_ptr_array_unref);

  G_OBJECT_CLASS (navette_window_parent_class)->dispose (object);
}

static void
navette_window_finalize (GObject *object)
{
  NavetteWindow *self = NAVETTE_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->follow);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_pointer (&self->initial_table, g_free);
  g_clear_pointer (&self->remote_authors, g_ptr_array_unref);
  g_clear_pointer (&self->remote_ids, g_hash_table_unref);
  g_clear_pointer (&self->highlight_ids, g_hash_table_unref);
  g_clear_pointer (&self->remote_record, g_free);

  G_OBJECT_CLASS (navette_window_parent_class)->finalize (object);
}

static void
journal_flushed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(NavetteWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!navette_engine_flush_journal_finish (NAVETTE_ENGINE (object), result, &error))
    g_warning ("Closing with changes not on disk: %s", error->message);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
close_now (NavetteWindow *self,
           gpointer       data)
{
  self->close_confirmed = TRUE;
  /* Every change on disk before the window (and the app) goes. */
  if (self->engine != NULL)
    navette_engine_flush_journal_async (self->engine, NULL, journal_flushed_cb, g_object_ref (self));
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
navette_window_close_request (GtkWindow *window)
{
  NavetteWindow *self = NAVETTE_WINDOW (window);
  int width, height;

  if (!self->close_confirmed)
    {
      navette_window_confirm_leave (self, FALSE, close_now, NULL, NULL);
      return TRUE;
    }

  /* The size of the window is kept for the next start. */
  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (navette_window_parent_class)->close_request (window);
}

static void
navette_window_class_init (NavetteWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = navette_window_dispose;
  object_class->finalize = navette_window_finalize;
  window_class->close_request = navette_window_close_request;

  g_type_ensure (NAVETTE_TYPE_RECORD_PANE);
  /* Links the resources (templates, icons) into whoever uses the window. */
  (void) navette_get_resource ();

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, sidebar_box);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, user_title);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, avatar);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, account_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, account_name_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, account_server_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, account_sign_out_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, main_menu_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, archived_button);
  gtk_widget_class_bind_template_callback (widget_class, archived_toggled_cb);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, table_title);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, new_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, failed_button);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, failed_button_content);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, failed_list);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, sync_indicator);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, sync_spinner);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, sync_icon);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, sync_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, connecting_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteWindow, record_pane);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_activated_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "search_changed_cb",
                                                G_CALLBACK (_navette_window_search_changed_cb));
  gtk_widget_class_bind_template_callback (widget_class, column_view_activate_cb);

  _navette_window_class_actions_init (widget_class);
}

static void
navette_window_init (NavetteWindow *self)
{
  GtkSorter *sorter;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  self->watched_stores = g_ptr_array_new_with_free_func (g_object_unref);
  self->remote_authors = g_ptr_array_new_with_free_func (g_free);
  self->remote_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->highlight_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->load_cancellable = g_cancellable_new ();

  self->filter = GTK_FILTER (gtk_custom_filter_new (_navette_window_filter_record, self, NULL));
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (self->filter));
  sorter = gtk_column_view_get_sorter (self->column_view);
  self->sort_model = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filter_model)),
                                              g_object_ref (sorter));
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (selection_items_changed_cb), self);
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->filter_model, "items-changed",
                            G_CALLBACK (filter_items_changed_cb), self);
  g_signal_connect_swapped (sorter, "changed", G_CALLBACK (_navette_window_view_sorter_changed_cb), self);
  g_signal_connect_swapped (self->flap, "notify::reveal-flap", G_CALLBACK (flap_reveal_cb), self);
  g_signal_connect_swapped (self->flap, "notify::folded", G_CALLBACK (flap_reveal_cb), self);
  g_signal_connect_swapped (self->record_pane, "notify::wide", G_CALLBACK (pane_wide_cb), self);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    g_signal_connect (keys, "key-pressed", G_CALLBACK (list_key_pressed_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->column_view), keys);
  }
  /* The sync state can be reached with the keyboard, and read. */
  gtk_widget_set_focusable (GTK_WIDGET (self->sync_indicator), TRUE);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_cb), NULL);
  g_signal_connect_swapped (self->record_pane, "notify::valid",
                            G_CALLBACK (_navette_window_update_actions), self);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->column_view));

  /* Names for screen readers (tooltips are not names in GTK 4.8). */
  navette_a11y_name (self->main_menu_button, _("Main Menu"));
  navette_a11y_name (self->account_button, _("Account"));
  navette_a11y_name (self->search_button, _("Search"));
  navette_a11y_name (self->archived_button, _("Archived Records"));
  navette_a11y_name (self->failed_button, _("Changes That Could Not Be Saved"));
  navette_a11y_name (GTK_WIDGET (self->back_button), _("Back"));
  navette_a11y_fix_mnemonics (GTK_WIDGET (self));
  update_account (self);

  gtk_stack_set_visible_child_name (self->main_stack, "connecting");
  _navette_window_update_actions (self);
}

NavetteWindow *
navette_window_new (GtkApplication *application)
{
  return g_object_new (NAVETTE_TYPE_WINDOW, "application", application, NULL);
}
