/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-window-private.h — shared by navette-window.c,
 * navette-window-actions.c, navette-window-dialogs.c and the UI tests. */
#pragma once

#include "navette-record-pane.h"
#include "navette-window.h"

G_BEGIN_DECLS

struct _NavetteWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar_box;
  AdwWindowTitle       *user_title;
  AdwAvatar            *avatar;
  GtkWidget            *account_button;
  GtkLabel             *account_name_label;
  GtkLabel             *account_server_label;
  GtkWidget            *account_sign_out_button;
  GtkWidget            *main_menu_button;
  GtkWidget            *back_button;
  GtkListBox           *sidebar_list;
  GtkWidget            *content_box;
  AdwWindowTitle       *table_title;
  GtkWidget            *new_button;
  GtkWidget            *search_button;
  GtkWidget            *archived_button;
  gboolean              show_archived;    /* the Archive view of the table */
  gboolean              refolding;        /* the flap folds for the wide pane */
  GtkWidget            *failed_button;
  AdwButtonContent     *failed_button_content;
  GtkListBox           *failed_list;
  GtkWidget            *sync_indicator;
  GtkSpinner           *sync_spinner;
  GtkWidget            *sync_icon;
  GtkLabel             *sync_label;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkProgressBar       *progress_bar;
  AdwFlap              *flap;
  GtkStack             *main_stack;
  GtkSpinner           *loading_spinner;
  GtkLabel             *loading_label;
  GtkColumnView        *column_view;
  AdwStatusPage        *empty_page;
  AdwStatusPage        *error_page;
  GtkLabel             *connecting_label;
  NavetteRecordPane    *record_pane;

  /* State */
  GSettings            *settings;
  NavetteEngine        *engine;
  NavetteStore         *store;
  NavetteTable         *table;
  NavetteReplicaFeed   *feed;             /* the table shown through the
                                           * replica (its lazy model), or
                                           * NULL: shown in memory */
  gint64                feed_revision;    /* the feed's, at its last sync */
  GHashTable           *highlight_ids;    /* id → gint64 (µs): rows changed
                                           * by others, to highlight once
                                           * materialised */
  GCancellable         *changes_cancellable; /* reading who changed what */
  GtkFilter            *filter;
  GtkFilterListModel   *filter_model;
  GtkSortListModel     *sort_model;
  GtkSingleSelection   *selection;
  GPtrArray            *watched_stores;   /* NavetteStore*, signals connected */
  GCancellable         *load_cancellable;
  AdwToast             *remote_toast;     /* the grouped "N changed" toast */
  guint                 remote_count;
  GPtrArray            *remote_authors;   /* char*: who changed, in order (the toast) */
  GHashTable           *remote_ids;       /* record ids changed by others (the toast) */
  char                 *remote_record;    /* the one record changed, for Show */
  NavetteRecord        *follow;           /* kept selected wherever it moves (one
                                           * just created), until another is */
  AdwToast             *expired_toast;    /* the grouped "session expired" toast */
  guint                 expired_count;
  guint                 sidebar_idle;
  guint                 progress_timeout;
  guint                 progress_ticks;
  gint64                rows_shown_at;    /* when the count of a first sync last changed */
  gint64                last_check;
  char                 *initial_table;    /* "app/table" to open first */
  gboolean              painted;          /* the records of the table shown were painted */
  gboolean              cache_only;       /* the engine shows its replica, not loaded */
  char                 *last_toast;       /* title of the last toast (tests) */
  guint                 n_toasts;
  GtkWidget            *unsaved_dialog;   /* the question being asked, or NULL */
  gboolean              close_confirmed;  /* the user agreed to close */
};

void     _navette_window_class_actions_init (GtkWidgetClass *widget_class);
void     _navette_window_update_actions     (NavetteWindow  *self);
void     _navette_window_close_pane         (NavetteWindow  *self);
/* Saves what the pane holds (as the Save button does) and closes it;
 * FALSE when it cannot be saved (not valid) and stays open. */
gboolean _navette_window_save_pane          (NavetteWindow  *self);
/* Runs @next now, or after asking Save / Discard / Cancel when the pane
 * holds unsaved edits (not at all after Cancel). @destroy frees @data. */
void     _navette_window_check_unsaved      (NavetteWindow         *self,
                                             NavetteWindowContinue  next,
                                             gpointer               data,
                                             GDestroyNotify         destroy);
/* Selects the row at @position of the view and scrolls it into view. */
void     _navette_window_select_position    (NavetteWindow  *self,
                                             guint           position);
/* Selects @record and keeps it selected and in view as it moves (from
 * the top, created here, to its sorted place once synced), until another
 * row is selected or another table shown. */
void     _navette_window_follow_record      (NavetteWindow  *self,
                                             NavetteRecord  *record);
/* The dialog being shown (Save Changes? / N changes not saved), or NULL. */
GtkWidget *_navette_window_get_dialog       (NavetteWindow  *self);
/* What the window shows: "connecting", "no-table", "loading", "records",
 * "empty", "no-results", "error". */
const char *_navette_window_get_page        (NavetteWindow  *self);
/* The sorted, filtered model under the column view: the replica's lazy
 * model when the table is shown through the replica. */
GListModel *_navette_window_get_view_model  (NavetteWindow  *self);
/* The feed of the table shown through the replica, or NULL. */
NavetteReplicaFeed *_navette_window_get_feed (NavetteWindow *self);
/* The record @id of the open table as an object the store edits: the
 * table's; through the replica, a row materialised in the view, adopted
 * into the table (navette_replica_model_adopt()). NULL when neither. */
NavetteRecord *_navette_window_lookup_record (NavetteWindow *self,
                                              const char    *id);
/* The Archive view: only the table's archived records, who archived them
 * and when, each with Restore. */
void        _navette_window_set_show_archived (NavetteWindow *self,
                                               gboolean       show);
/* Tab / Shift+Tab in the list: the focus leaves it (one Tab stop). */
gboolean    _navette_window_tab_out_of_list (NavetteWindow *self,
                                             gboolean       forward);
NavetteRecordPane *_navette_window_get_pane (NavetteWindow  *self);
/* Administrators, and editors of an application (Activity only): the
 * main menu's Administration. */
gboolean _navette_window_can_administer     (NavetteWindow  *self);

/* navette-window-sync.c: the sync indicator, toasts, failed changes */
void _navette_window_update_sync_indicator (NavetteWindow *self);
void _navette_window_poller_checked_cb (NavetteWindow *self);
void _navette_window_poller_changes_cb (NavetteWindow *self,
                                        NavetteTable  *table,
                                        gint64         revision,
                                        GPtrArray     *records,
                                        guint          n_by_others);
void _navette_window_engine_notification_cb (NavetteWindow           *self,
                                             const char              *message,
                                             NavetteNotificationKind  kind,
                                             NavetteChange           *change);
void _navette_window_change_finished_cb (NavetteWindow *self,
                                         NavetteChange *change);
/* Through the replica: after each sync of the feed shown (who changed
 * which rows: the toast and the highlight), and after each batch of rows
 * materialised (rows changed by others highlighted then). */
void _navette_window_feed_synced_cb (NavetteWindow *self,
                                     guint64        n_rows);
void _navette_window_batch_loaded_cb (NavetteWindow *self);
/* Through the replica: finds the record @id in the view (asked of the
 * replica), selects it and opens it once its row is read; with
 * @history, shows its history. A toast when it is not in the view. */
void _navette_window_reveal_record (NavetteWindow *self,
                                    const char    *id,
                                    gboolean       history);
GtkWidget *_navette_window_failed_row_new (gpointer item,
                                           gpointer user_data);
void _navette_window_failed_items_changed_cb (NavetteWindow *self);

/* navette-window-view.c: cells, filter, the view through the replica */
void                _navette_window_value_cell_setup_cb    (GtkSignalListItemFactory *factory,
                                                            GtkListItem              *item,
                                                            gpointer                  user_data);
void                _navette_window_archived_cell_setup_cb (GtkSignalListItemFactory *factory,
                                                            GtkListItem              *item,
                                                            gpointer                  user_data);
void                _navette_window_state_cell_setup_cb    (GtkSignalListItemFactory *factory,
                                                            GtkListItem              *item,
                                                            gpointer                  user_data);
GtkListItemFactory *_navette_window_cell_factory_new       (GCallback                 setup,
                                                            gpointer                  user_data);
gboolean            _navette_window_filter_record          (gpointer                  item,
                                                            gpointer                  user_data);
GListModel         *_navette_window_view_model             (NavetteWindow            *self);
void                _navette_window_apply_view             (NavetteWindow            *self);
void                _navette_window_view_sorter_changed_cb (NavetteWindow            *self);
void                _navette_window_search_changed_cb      (NavetteWindow            *self);
/* navette-window.c */
void                _navette_window_update_page            (NavetteWindow            *self);
gboolean            _navette_window_counting_rows          (NavetteWindow            *self);

G_END_DECLS
