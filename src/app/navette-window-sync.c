/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-window-sync.c — what the window says of synchronisation: the
 * sync indicator in the header, the toasts (changes by others, expired
 * session, the engine's notifications) and the failed-changes list. Split
 * out of navette-window.c; the window connects these to its engine. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "navette-a11y.h"
#include "navette-failed-row.h"
#include "navette-format.h"
#include "navette-record-cell.h"
#include "navette-window-private.h"

void
_navette_window_update_sync_indicator (NavetteWindow *self)
{
  gboolean online = self->engine == NULL || navette_engine_get_online (self->engine);
  guint pending = self->engine != NULL
                  ? navette_middleware_get_n_pending (navette_engine_get_middleware (self->engine)) : 0;
  guint waiting = self->engine != NULL
                  ? navette_middleware_get_n_waiting (navette_engine_get_middleware (self->engine)) : 0;
  gboolean cached = self->table != NULL && navette_table_get_cached (self->table);
  gboolean loading = self->feed != NULL
                     ? navette_replica_feed_get_syncing (self->feed)
                     : self->table != NULL && (navette_table_get_loading (self->table) || cached);
  gboolean live = self->engine != NULL && !self->cache_only && navette_engine_get_push_live (self->engine);
  const GError *journal_error = self->engine != NULL
                                ? navette_middleware_get_journal_error (navette_engine_get_middleware (self->engine))
                                : NULL;
  /* Spinning while something is on its way: not for changes that wait
   * (for a new sign-in), nor while a first sync counts its rows (the
   * count and the bar are its progress: _navette_window_counting_rows()). */
  gboolean busy = online && journal_error == NULL && (pending > waiting || loading) &&
                  !(pending == 0 && _navette_window_counting_rows (self));
  g_autofree char *when = self->last_check > 0 ? navette_format_absolute_time (self->last_check) : NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *label = NULL;

  gtk_widget_set_visible (self->sync_icon, !online || journal_error != NULL);
  gtk_image_set_from_icon_name (GTK_IMAGE (self->sync_icon),
                                journal_error != NULL ? "dialog-warning-symbolic" : "network-offline-symbolic");
  if (journal_error != NULL)
    gtk_widget_add_css_class (self->sync_icon, "warning");
  else
    gtk_widget_remove_css_class (self->sync_icon, "warning");
  gtk_spinner_set_spinning (self->sync_spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->sync_spinner), busy);

  if (journal_error != NULL)
    /* Translators: the sync indicator when the changes waiting cannot be
     * written to the disk (short: the tooltip says more) */
    label = g_strdup (_("Changes at risk"));
  else if (!online && pending > 0)
    /* Translators: the sync indicator while the server cannot be reached */
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offline — %u change waiting",
                                          "Offline — %u changes waiting", pending), pending);
  else if (!online && cached)
    label = g_strdup (_("Offline, showing saved data"));
  else if (!online)
    label = g_strdup (_("Offline"));
  else if (waiting > 0)
    /* Translators: the sync indicator: signed out, changes kept */
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u change waiting",
                                          "%u changes waiting", waiting), waiting);
  else if (pending > 0)
    /* Translators: the sync indicator while changes are sent */
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saving %u change…",
                                          "Saving %u changes…", pending), pending);
  else if (cached)
    label = g_strdup (_("Showing saved data"));
  else if (loading)
    label = g_strdup (_("Checking…"));
  else if (self->last_check > 0)
    {
      g_autofree char *clock = navette_format_clock_time (self->last_check);

      /* Translators: the sync indicator, "Synced 10:31" */
      label = g_strdup_printf (_("Synced %s"), clock);
    }
  else
    label = g_strdup ("");

  if (journal_error != NULL)
    /* Translators: tooltip of the sync indicator; %s says why ("Could not
     * write …: No space left on device") */
    tooltip = g_strdup_printf (_("Changes cannot be kept on this computer (%s). Changes not saved yet "
                                 "would be lost if Navette quit before the server receives them."),
                               journal_error->message);
  else if (!online && pending > 0)
    /* Translators: tooltip of the offline indicator with changes waiting */
    tooltip = g_strdup (_("The server cannot be reached. Your changes are kept on this computer and "
                          "will be sent by themselves as soon as it answers (press F5 to try now)."));
  else if (when != NULL && !online)
    /* Translators: tooltip of the offline indicator */
    tooltip = g_strdup_printf (_("Cannot reach the server, retrying. Last successful check: %s"), when);
  else if (!online)
    tooltip = g_strdup (_("Cannot reach the server, retrying."));
  else if (waiting > 0)
    /* Translators: tooltip of the sync indicator while the session has
     * expired */
    tooltip = g_strdup (_("These changes are kept on this computer and will be sent once you sign in again."));
  else if (cached)
    tooltip = g_strdup (_("These rows were saved on this computer at the last session. Checking the server for changes…"));
  else
    {
      g_autofree char *mode = NULL;

      if (live)
        /* Translators: tooltip of the sync indicator: the server announces
         * changes over a live connection */
        mode = g_strdup (_("Live updates."));
      else
        {
          guint interval = self->engine != NULL
                           ? navette_poller_get_interval (navette_engine_get_poller (self->engine)) : 30;

          /* Translators: tooltip of the sync indicator, %u is seconds */
          mode = g_strdup_printf (_("Checking every %u s."), interval);
        }
      if (when != NULL)
        /* Translators: "Live updates. Last successful check: …" */
        tooltip = g_strdup_printf (_("%s Last successful check: %s"), mode, when);
      else
        tooltip = g_steal_pointer (&mode);
    }

  gtk_label_set_label (self->sync_label, label);
  gtk_widget_set_tooltip_text (self->sync_indicator, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->sync_indicator), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label[0] != '\0' ? label : _("Sync status"), -1);
}

void
_navette_window_poller_checked_cb (NavetteWindow *self)
{
  if (self->engine != NULL && navette_engine_get_online (self->engine))
    self->last_check = g_get_real_time ();
  _navette_window_update_sync_indicator (self);
}

/* ---- Toasts ---- */

void
navette_window_set_initial_table (NavetteWindow *self,
                                  const char    *path)
{
  g_return_if_fail (NAVETTE_IS_WINDOW (self));

  g_free (self->initial_table);
  self->initial_table = g_strdup (path);
}

void
navette_window_add_toast (NavetteWindow *self,
                          AdwToast      *toast)
{
  g_return_if_fail (NAVETTE_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  g_free (self->last_toast);
  self->last_toast = g_strdup (adw_toast_get_title (toast));
  self->n_toasts++;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* How long a row changed by someone else stands out. */
#define HIGHLIGHT_MS 4000

static void
remote_toast_dismissed_cb (NavetteWindow *self)
{
  self->remote_toast = NULL;
  self->remote_count = 0;
  g_ptr_array_set_size (self->remote_authors, 0);
  g_hash_table_remove_all (self->remote_ids);
  g_clear_pointer (&self->remote_record, g_free);
}

/* Through the replica: a record found by id (its position asked of the
 * replica), selected and opened once its row is read; with @history, its
 * history shown too. */
typedef struct
{
  NavetteWindow *window;   /* weak */
  gboolean       history;
} Reveal;

static void
reveal_free (Reveal *reveal)
{
  g_clear_weak_pointer (&reveal->window);
  g_free (reveal);
}

static void
reveal_open (NavetteWindow *self,
             NavetteRecord *record,
             gboolean       history)
{
  navette_window_open_record (self, record);
  if (history && navette_record_pane_get_record (self->record_pane) == record)
    navette_record_pane_show_history (self->record_pane);
}

static void
open_when_read_cb (NavetteRecord *record,
                   GParamSpec    *pspec,
                   Reveal        *reveal)
{
  NavetteWindow *self = reveal->window;
  gboolean history = reveal->history;

  if (navette_record_get_id (record)[0] == '\0')
    return;
  /* This frees @reveal. */
  g_signal_handlers_disconnect_by_func (record, open_when_read_cb, reveal);
  if (self != NULL && self->feed != NULL)
    reveal_open (self, record, history);
}

static void
reveal_found_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Reveal *reveal = user_data;
  NavetteWindow *self = reveal->window;
  NavetteReplicaModel *model = NAVETTE_REPLICA_MODEL (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteRecord) record = NULL;
  guint position = navette_replica_model_find_finish (model, result, &error);

  if (self == NULL || position == G_MAXUINT || self->feed == NULL ||
      navette_replica_feed_get_model (self->feed) != model)
    {
      if (self != NULL && error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        navette_window_add_toast (self, adw_toast_new (_("This record is no longer in the table")));
      reveal_free (reveal);
      return;
    }
  _navette_window_select_position (self, position);
  record = g_list_model_get_item (G_LIST_MODEL (model), position);
  if (navette_record_get_id (record)[0] != '\0')
    {
      reveal_open (self, record, reveal->history);
      reveal_free (reveal);
    }
  else
    g_signal_connect_data (record, "notify::id", G_CALLBACK (open_when_read_cb), reveal,
                           (GClosureNotify) (void (*) (void)) reveal_free, 0);
}

void
_navette_window_reveal_record (NavetteWindow *self,
                               const char    *id,
                               gboolean       history)
{
  Reveal *reveal;

  g_return_if_fail (self->feed != NULL);

  reveal = g_new0 (Reveal, 1);
  g_set_weak_pointer (&reveal->window, self);
  reveal->history = history;
  navette_replica_model_find_async (navette_replica_feed_get_model (self->feed), id,
                                    self->load_cancellable, reveal_found_cb, reveal);
}

static void
remote_show_cb (NavetteWindow *self)
{
  NavetteRecord *record;

  if (self->table == NULL || self->remote_record == NULL)
    return;
  if (self->feed != NULL)
    {
      _navette_window_reveal_record (self, self->remote_record, FALSE);
      return;
    }
  record = navette_table_lookup (self->table, self->remote_record);
  if (record != NULL)
    {
      /* Selected and scrolled to, as through the replica. */
      _navette_window_follow_record (self, record);
      navette_window_open_record (self, record);
    }
}

/* "alice", "alice and bob", "alice, bob and 2 others" */
static char *
authors_text (GPtrArray *authors)
{
  if (authors->len == 1)
    return g_strdup (g_ptr_array_index (authors, 0));
  if (authors->len == 2)
    /* Translators: who changed records: "alice and bob" */
    return g_strdup_printf (_("%s and %s"), (char *) g_ptr_array_index (authors, 0),
                            (char *) g_ptr_array_index (authors, 1));
  /* Translators: who changed records: "alice, bob and 2 others" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %s and %u other", "%s, %s and %u others",
                                       authors->len - 2),
                          (char *) g_ptr_array_index (authors, 0),
                          (char *) g_ptr_array_index (authors, 1), authors->len - 2);
}

/* The toast's words: who changed which record ("alice changed Lamp"), or
 * how many ("alice and bob changed 12 products"). Exposed for the
 * tests through last_toast. */
static char *
remote_toast_title (NavetteWindow *self,
                    NavetteTable  *table,
                    GPtrArray     *records)
{
  g_autofree char *what = g_utf8_strdown (navette_table_get_title (table), -1);
  g_autofree char *who = NULL;
  guint n = g_hash_table_size (self->remote_ids);

  if (self->remote_authors->len == 0 || n == 0)
    /* Translators: a toast, "Products: 3 records changed" */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u record changed",
                                         "%s: %u records changed", self->remote_count),
                            navette_table_get_title (table), self->remote_count);

  who = authors_text (self->remote_authors);
  if (n == 1 && self->remote_record != NULL)
    {
      NavetteRecord *record = navette_table_lookup (table, self->remote_record);
      g_autofree char *name = NULL;

      /* Through the replica, the record as read with the changes. */
      for (guint i = 0; record == NULL && records != NULL && i < records->len; i++)
        if (g_strcmp0 (navette_record_get_id (g_ptr_array_index (records, i)), self->remote_record) == 0)
          record = g_ptr_array_index (records, i);
      name = record != NULL ? navette_format_record_name (table, record) : NULL;

      if (name != NULL)
        /* Translators: a toast, "alice changed Cast-iron teapot" */
        return g_strdup_printf (_("%s changed %s"), who, name);
    }
  /* Translators: a toast, "alice and bob changed 12 products"; the
   * second %s is the table's title in lower case */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s changed %u %s", "%s changed %u %s", n),
                          who, n, what);
}

void
_navette_window_poller_changes_cb (NavetteWindow *self,
                                   NavetteTable  *table,
                                   gint64         revision,
                                   GPtrArray     *records,
                                   guint          n_by_others)
{
  g_autofree char *title = NULL;
  g_autofree char *escaped = NULL;
  const char *me;

  self->last_check = g_get_real_time ();
  _navette_window_update_sync_indicator (self);

  if (table != self->table || n_by_others == 0 ||
      !g_settings_get_boolean (self->settings, "toast-changes-by-others"))
    return;

  /* Grouped: one toast counts all the changes while it is shown. */
  self->remote_count += n_by_others;
  me = navette_session_get_username (navette_engine_get_session (self->engine));
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      NavetteRecord *record = g_ptr_array_index (records, i);
      const char *by = navette_record_get_updated_by (record);

      if (by == NULL || g_strcmp0 (by, me) == 0)
        continue;
      g_hash_table_add (self->remote_ids, g_strdup (navette_record_get_id (record)));
      if (!g_ptr_array_find_with_equal_func (self->remote_authors, by, g_str_equal, NULL))
        g_ptr_array_add (self->remote_authors, g_strdup (by));
      g_free (self->remote_record);
      self->remote_record = g_strdup (navette_record_get_id (record));
      if (self->feed != NULL)
        {
          /* The rows on show are the model's objects: highlighted when
           * materialised (now, or when their batch is read). */
          gint64 *until = g_new (gint64, 1);

          *until = g_get_monotonic_time () + HIGHLIGHT_MS * G_GINT64_CONSTANT (1000);
          g_hash_table_replace (self->highlight_ids, g_strdup (navette_record_get_id (record)), until);
        }
      else
        navette_record_cell_highlight (record, HIGHLIGHT_MS);
    }
  if (self->feed != NULL)
    _navette_window_batch_loaded_cb (self);

  title = remote_toast_title (self, table, records);
  escaped = g_markup_escape_text (title, -1);
  if (self->remote_toast == NULL)
    {
      self->remote_toast = adw_toast_new (escaped);
      adw_toast_set_button_label (self->remote_toast, _("_Show"));
      g_signal_connect_object (self->remote_toast, "dismissed",
                               G_CALLBACK (remote_toast_dismissed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->remote_toast, "button-clicked",
                               G_CALLBACK (remote_show_cb), self, G_CONNECT_SWAPPED);
      navette_window_add_toast (self, self->remote_toast);
    }
  else
    {
      adw_toast_set_title (self->remote_toast, escaped);
      g_free (self->last_toast);
      self->last_toast = g_strdup (escaped);
    }
  /* Show opens the record: only when one record changed. */
  adw_toast_set_button_label (self->remote_toast,
                              g_hash_table_size (self->remote_ids) == 1 ? _("_Show") : NULL);
}

static gboolean
change_needs_sign_in (NavetteChange *change)
{
  const GError *error = navette_change_get_error (change);

  return g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED) ||
         g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED);
}

static void
expired_toast_dismissed_cb (NavetteWindow *self)
{
  self->expired_toast = NULL;
  self->expired_count = 0;
}

/* A change refused because the session expired: rolled back, and sent
 * again by itself after the sign-in (the application asks once). One
 * discreet toast, counting them while it is shown; no button. */
static void
show_expired_toast (NavetteWindow *self,
                    const char    *title)
{
  g_autofree char *grouped = NULL;

  self->expired_count++;
  if (self->expired_toast == NULL)
    {
      self->expired_toast = adw_toast_new (title);
      g_signal_connect_object (self->expired_toast, "dismissed",
                               G_CALLBACK (expired_toast_dismissed_cb), self, G_CONNECT_SWAPPED);
      navette_window_add_toast (self, self->expired_toast);
      return;
    }
  /* Translators: a toast; the changes refused because the session had
   * expired are sent again after signing in */
  grouped = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Your session has expired: %u change will be saved once you sign in again.",
                                          "Your session has expired: %u changes will be saved once you sign in again.",
                                          self->expired_count),
                             self->expired_count);
  adw_toast_set_title (self->expired_toast, grouped);
  g_free (self->last_toast);
  self->last_toast = g_strdup (grouped);
}

void
_navette_window_engine_notification_cb (NavetteWindow           *self,
                                        const char              *message,
                                        NavetteNotificationKind  kind,
                                        NavetteChange           *change)
{
  g_autofree char *escaped = g_markup_escape_text (message != NULL ? message : "", -1);
  AdwToast *toast;

  switch (kind)
    {
    case NAVETTE_NOTIFICATION_CHANGE_FAILED:
      if (change != NULL && change_needs_sign_in (change))
        {
          show_expired_toast (self, escaped);
          break;
        }
      toast = adw_toast_new (escaped);
      adw_toast_set_timeout (toast, 10);
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      if (change != NULL)
        {
          adw_toast_set_button_label (toast, _("_Retry"));
          adw_toast_set_action_name (toast, "window.retry-change");
          adw_toast_set_action_target_value (toast,
                                             g_variant_new_string (navette_change_get_idempotency_key (change)));
        }
      navette_window_add_toast (self, toast);
      break;

    case NAVETTE_NOTIFICATION_ONLINE:
      self->last_check = g_get_real_time ();
      /* With changes waiting, the one toast is "saved" when they are. */
      if (g_settings_get_boolean (self->settings, "toast-back-online") &&
          (self->engine == NULL ||
           navette_middleware_get_n_pending (navette_engine_get_middleware (self->engine)) == 0))
        navette_window_add_toast (self, adw_toast_new (escaped));
      break;

    case NAVETTE_NOTIFICATION_ALL_SAVED:
    case NAVETTE_NOTIFICATION_CACHE_FAILED:
      /* Discreet: the default timeout, no button. */
      navette_window_add_toast (self, adw_toast_new (escaped));
      break;

    case NAVETTE_NOTIFICATION_JOURNAL_FAILED:
      /* Changes are at risk: shown until the user closes it (and the
       * sync indicator says it while it lasts). */
      toast = adw_toast_new (escaped);
      adw_toast_set_timeout (toast, 0);
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      navette_window_add_toast (self, toast);
      break;

    case NAVETTE_NOTIFICATION_SUPERSEDED:
      toast = adw_toast_new (escaped);
      adw_toast_set_timeout (toast, 10);
      if (change != NULL && navette_change_get_superseded (change) != NULL &&
          navette_change_get_result (change) != NULL)
        {
          GArray *versions = navette_change_get_superseded (change);

          adw_toast_set_button_label (toast, _("_Review"));
          adw_toast_set_action_name (toast, "window.review-change");
          adw_toast_set_action_target_value (toast,
                                             g_variant_new ("(sssxx)", navette_change_get_app (change),
                                                            navette_change_get_table_name (change),
                                                            navette_change_get_record_id (change),
                                                            g_array_index (versions, gint64, versions->len - 1),
                                                            navette_change_get_result (change)->version));
        }
      navette_window_add_toast (self, toast);
      break;

    case NAVETTE_NOTIFICATION_REMOTE_CHANGES:
      /* Shown per open table from the poller's "changes". */
      break;

    case NAVETTE_NOTIFICATION_OFFLINE:
      /* The header-bar indicator says it; no toast. */
      break;

    case NAVETTE_NOTIFICATION_AUTH_EXPIRED:
      /* The application asks for the password (one dialog). */
      break;

    case NAVETTE_NOTIFICATION_ROLE_CHANGED:
    case NAVETTE_NOTIFICATION_INFO:
    default:
      navette_window_add_toast (self, adw_toast_new (escaped));
      break;
    }
  _navette_window_update_sync_indicator (self);
}

void
_navette_window_change_finished_cb (NavetteWindow *self,
                                    NavetteChange *change)
{
  if (navette_change_get_state (change) == NAVETTE_CHANGE_STATE_SUCCEEDED)
    {
      self->last_check = g_get_real_time ();
      /* Through the replica: it takes the change now (a record created
       * appears in the view then; an edit's row moves where its new
       * values sort). */
      if (self->feed != NULL && navette_change_get_table (change) == self->table)
        navette_replica_feed_sync (self->feed);
      if (g_settings_get_boolean (self->settings, "toast-saved"))
        {
          g_autofree char *escaped = g_markup_escape_text (navette_change_get_description (change), -1);
          g_autofree char *title = g_strdup_printf (_("Saved: %s"), escaped);

          navette_window_add_toast (self, adw_toast_new (title));
        }
    }
  _navette_window_update_sync_indicator (self);
}

/* ---- Failed changes ---- */

GtkWidget *
_navette_window_failed_row_new (gpointer item,
                                gpointer user_data)
{
  return navette_failed_row_new (item);
}

void
_navette_window_failed_items_changed_cb (NavetteWindow *self)
{
  guint n = self->engine != NULL
            ? g_list_model_get_n_items (navette_engine_get_failed_changes (self->engine)) : 0;
  g_autofree char *label = g_strdup_printf ("%u", n);

  adw_button_content_set_label (self->failed_button_content, label);
  gtk_widget_set_visible (self->failed_button, n > 0);
  if (n == 0)
    gtk_menu_button_popdown (GTK_MENU_BUTTON (self->failed_button));
}

/* ---- Who changed what, through the replica ---- */

void
_navette_window_batch_loaded_cb (NavetteWindow *self)
{
  NavetteReplicaModel *model;
  GHashTableIter iter;
  const char *id;
  gint64 *until;
  gint64 now = g_get_monotonic_time ();

  if (self->feed == NULL || g_hash_table_size (self->highlight_ids) == 0)
    return;
  model = navette_replica_feed_get_model (self->feed);
  g_hash_table_iter_init (&iter, self->highlight_ids);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, (gpointer *) &until))
    {
      guint position;
      g_autoptr(NavetteRecord) record = NULL;

      if (*until <= now)
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      position = navette_replica_model_find_loaded (model, id);
      if (position == G_MAXUINT)
        continue;
      record = g_list_model_get_item (G_LIST_MODEL (model), position);
      if (navette_record_get_id (record)[0] == '\0')
        continue;
      navette_record_cell_highlight (record, (guint) ((*until - now) / 1000));
      g_hash_table_iter_remove (&iter);
    }
}

typedef struct
{
  NavetteWindow      *window;   /* weak */
  NavetteReplicaFeed *feed;
  gint64              since;
} ChangesRead;

static void
changes_read_free (ChangesRead *read)
{
  g_clear_weak_pointer (&read->window);
  g_clear_object (&read->feed);
  g_free (read);
}

static void
changes_fetched_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ChangesRead *read = user_data;
  NavetteWindow *self = read->window;
  g_autoptr(GPtrArray) records =
    navette_replica_fetch_finish (navette_replica_model_get_replica (navette_replica_feed_get_model (read->feed)),
                                  result, NULL);
  g_autoptr(GPtrArray) changed = g_ptr_array_new ();
  const char *me;
  guint n_by_others = 0;

  if (records != NULL && self != NULL && self->feed == read->feed && self->engine != NULL)
    {
      me = navette_session_get_username (navette_engine_get_session (self->engine));
      for (guint i = 0; i < records->len; i++)
        {
          NavetteRecord *record = g_ptr_array_index (records, i);
          const char *by = navette_record_get_updated_by (record);

          if (navette_record_get_revision (record) <= read->since)
            continue;
          g_ptr_array_add (changed, record);
          if (by != NULL && g_strcmp0 (by, me) != 0)
            n_by_others++;
        }
      if (changed->len > 0)
        _navette_window_poller_changes_cb (self, self->table, navette_replica_feed_get_revision (self->feed),
                                           changed, n_by_others);
    }
  changes_read_free (read);
}

static void
changes_keys_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ChangesRead *read = user_data;
  NavetteWindow *self = read->window;
  NavetteReplicaModel *model = navette_replica_feed_get_model (read->feed);
  NavetteReplica *replica = navette_replica_model_get_replica (model);
  g_autoptr(GArray) keys = navette_replica_query_keys_finish (replica, result, NULL);

  if (keys == NULL || keys->len == 0 || self == NULL || self->feed != read->feed)
    {
      changes_read_free (read);
      return;
    }
  navette_replica_fetch_async (replica, navette_replica_model_get_app (model),
                               navette_replica_model_get_table (model),
                               (const gint64 *) keys->data, keys->len,
                               self->changes_cancellable, changes_fetched_cb, read);
}

/* The rows a delta brought: the newest revisions of the table, read
 * from the replica off the main thread (at most CHANGES_READ of them),
 * then told and highlighted as the poller's changes are for a table in
 * memory. */
#define CHANGES_READ 200

void
_navette_window_feed_synced_cb (NavetteWindow *self,
                                guint64        n_rows)
{
  gint64 since = self->feed_revision;
  NavetteReplicaModel *model;
  NavetteReplicaView view = { .sort_column = "revision", .descending = TRUE,
                              .archived = NAVETTE_REPLICA_ARCHIVED_ALL };
  ChangesRead *read;

  self->last_check = g_get_real_time ();
  _navette_window_update_sync_indicator (self);
  if (self->feed == NULL)
    return;
  self->feed_revision = navette_replica_feed_get_revision (self->feed);
  /* The first sync shown is no news. */
  if (since < 0 || n_rows == 0 || self->engine == NULL)
    return;

  model = navette_replica_feed_get_model (self->feed);
  view.limit = (guint) MIN (n_rows, CHANGES_READ);
  if (self->changes_cancellable == NULL)
    self->changes_cancellable = g_cancellable_new ();
  read = g_new0 (ChangesRead, 1);
  g_set_weak_pointer (&read->window, self);
  read->feed = g_object_ref (self->feed);
  read->since = since;
  navette_replica_query_keys_async (navette_replica_model_get_replica (model),
                                    navette_replica_model_get_app (model),
                                    navette_replica_model_get_table (model),
                                    &view, self->changes_cancellable, changes_keys_cb, read);
}
