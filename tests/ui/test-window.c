/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-window.c — the desktop editor's window against a real server.
 *
 * Each test starts navette-server (tests/common) with the demo content,
 * signs a demo user in through the sync engine, and drives the window
 * through its actions and API, waiting on main-loop iterations until the
 * expected state is reached (never on sleeps). */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "navette-test-input.h"
#include "navette-test-engine.h"
#include "navette-test-server.h"
#include "navette-test-window.h"
#include "navette-window-private.h"
#include "navette-sidebar-row.h"
#include "navette-record-cell.h"
#include "navette-archived-cell.h"
#include "navette-sign-in-dialog.h"
#include "navette-preferences-window.h"
#include "navette-sidebar-app-row.h"
#include "navette-format.h"

#define WAIT_TIMEOUT_S 20

/* Under valgrind (meson test --setup valgrind) everything is ~10× slower. */
static guint
wait_timeout (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL ? WAIT_TIMEOUT_S * 10 : WAIT_TIMEOUT_S;
}

typedef gboolean (*Condition) (gpointer data);

static gboolean
timeout_cb (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @condition holds; fails the test after
 * wait_timeout() seconds. */
static void
wait_until (Condition   condition,
            gpointer    data,
            const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (wait_timeout (), timeout_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out waiting for %s", what);
  g_source_remove (id);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

typedef struct
{
  NavetteTestServer *server;
  NavetteEngine     *engine;
  NavetteWindow     *window;
} Fixture;

/* @data_dir: the journal's, or NULL for none. */
static NavetteEngine *
engine_for (NavetteTestServer *server,
            const char        *username,
            const char        *data_dir)
{
  NavetteEngine *engine = navette_test_engine_new (server, username, data_dir);

  /* Quick polls so the tests do not wait for minutes. */
  navette_poller_set_interval_ms (navette_engine_get_poller (engine), 200);
  return engine;
}

static gboolean
store_loaded (gpointer data)
{
  Fixture *f = data;
  NavetteStore *store = navette_engine_lookup_store (f->engine, "catalogue");

  return store != NULL && navette_store_get_loaded (store);
}

static gboolean
page_is_records (gpointer data)
{
  Fixture *f = data;

  return navette_test_window_shows_records (f->window);
}

static void
fixture_open_full (Fixture    *f,
                   const char *username,
                   const char *app,
                   const char *table,
                   const char *data_dir)
{
  f->server = navette_test_server_start (NULL);
  f->engine = engine_for (f->server, username, data_dir);
  f->window = navette_test_window_open (f->engine, app, table, 0, 0);
}

static void
fixture_open (Fixture    *f,
              const char *username,
              const char *app,
              const char *table)
{
  fixture_open_full (f, username, app, table, NULL);
}

static void
fixture_close (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->engine);
  g_clear_pointer (&f->server, navette_test_server_free);
}

static NavetteRecord *
find_record (Fixture    *f,
             const char *column,
             const char *value)
{
  GListModel *model = _navette_window_get_view_model (f->window);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);

      if (g_strcmp0 (navette_record_get_string (record, column), value) == 0)
        return record;
    }
  return NULL;
}

static gboolean
first_record_read (gpointer data)
{
  Fixture *f = data;
  g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (f->window), 0);

  return record != NULL && navette_record_get_id (record)[0] != '\0';
}

/* Through the replica a row is a placeholder (id "") until its batch is
 * read: wait for it (at once in memory). */
static NavetteRecord *
first_record (Fixture *f)
{
  g_autoptr(NavetteRecord) record = NULL;

  wait_until (first_record_read, f, "the first row read");
  record = g_list_model_get_item (_navette_window_get_view_model (f->window), 0);
  g_assert_nonnull (record);
  return record;
}

static gboolean
change_finished (gpointer data)
{
  return navette_change_is_finished (NAVETTE_CHANGE (data));
}

static gboolean
record_synced (gpointer data)
{
  return navette_record_get_sync_state (NAVETTE_RECORD (data)) == NAVETTE_SYNC_STATE_SYNCED;
}

static gboolean
record_failed (gpointer data)
{
  return navette_record_get_sync_state (NAVETTE_RECORD (data)) == NAVETTE_SYNC_STATE_FAILED;
}

static guint
n_failed (Fixture *f)
{
  return g_list_model_get_n_items (navette_engine_get_failed_changes (f->engine));
}

/* ---- Reader and editor views ---- */

static void
test_reader_editor (void)
{
  Fixture editor = { 0 };
  Fixture reader = { 0 };
  NavetteRecordPane *pane;

  /* An editor: New, Save, Archive, editable inputs. */
  fixture_open (&editor, "alice", "catalogue", "products");
  g_assert_true (gtk_widget_get_visible (editor.window->new_button));
  pane = _navette_window_get_pane (editor.window);
  gtk_widget_activate_action (GTK_WIDGET (editor.window), "window.new-record", NULL);
  g_assert_nonnull (navette_record_pane_get_table (pane));
  g_assert_null (navette_record_pane_get_record (pane));
  g_assert_true (navette_record_pane_get_editable (pane));
  gtk_widget_activate_action (GTK_WIDGET (editor.window), "window.cancel", NULL);
  g_assert_null (navette_record_pane_get_table (pane));

  navette_window_open_record (editor.window, first_record (&editor));
  g_assert_true (navette_record_pane_get_editable (pane));
  g_assert_true (gtk_widget_get_visible (navette_record_pane_get_save_button (pane)));
  g_assert_true (gtk_widget_get_visible (navette_record_pane_get_archive_button (pane)));
  g_assert_true (gtk_widget_get_sensitive (navette_record_pane_get_row (pane, "name")));
  fixture_close (&editor);

  /* A reader: none of them, and inputs insensitive. */
  fixture_open (&reader, "bob", "catalogue", "products");
  g_assert_false (gtk_widget_get_visible (reader.window->new_button));
  pane = _navette_window_get_pane (reader.window);
  gtk_widget_activate_action (GTK_WIDGET (reader.window), "window.new-record", NULL);
  g_assert_null (navette_record_pane_get_table (pane));

  navette_window_open_record (reader.window, first_record (&reader));
  g_assert_nonnull (navette_record_pane_get_record (pane));
  g_assert_false (navette_record_pane_get_editable (pane));
  g_assert_false (gtk_widget_get_visible (navette_record_pane_get_save_button (pane)));
  g_assert_false (gtk_widget_get_visible (navette_record_pane_get_archive_button (pane)));
  g_assert_false (gtk_editable_get_editable (GTK_EDITABLE (navette_record_pane_get_row (pane, "name"))));
  g_assert_false (gtk_widget_get_sensitive (navette_record_pane_get_row (pane, "price")));

  /* Save does nothing for a reader, even through the shortcut's action. */
  {
    NavetteRecord *record = navette_record_pane_get_record (pane);
    g_autofree char *before = g_strdup (navette_record_get_string (record, "name"));

    navette_record_pane_set_text (pane, "name", "Changed by a reader");
    gtk_widget_activate_action (GTK_WIDGET (reader.window), "window.save", NULL);
    g_assert_cmpstr (navette_record_get_string (record, "name"), ==, before);
    g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (reader.engine)), ==, 0);
  }
  fixture_close (&reader);
}

/* ---- An edit shows at once and survives the answer ---- */

static void
test_edit_optimistic (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;
  NavetteRecord *record;
  gint64 version;

  fixture_open (&f, "alice", "catalogue", "products");
  record = first_record (&f);
  g_object_ref (record);
  version = navette_record_get_version (record);

  navette_window_open_record (f.window, record);
  pane = _navette_window_get_pane (f.window);
  navette_record_pane_set_text (pane, "name", "Chair, edited");
  navette_record_pane_set_text (pane, "stock", "42");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);

  /* At once, before any answer: the new values, pending, pane closed. */
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Chair, edited");
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 42);
  g_assert_cmpint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_PENDING);
  g_assert_null (navette_record_pane_get_table (pane));
  g_assert_nonnull (find_record (&f, "name", "Chair, edited"));

  /* The answer keeps them and brings the new version. */
  wait_until (record_synced, record, "the answer");
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Chair, edited");
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 42);
  g_assert_cmpint (navette_record_get_version (record), ==, version + 1);
  g_assert_cmpuint (n_failed (&f), ==, 0);

  g_object_unref (record);
  fixture_close (&f);
}

/* ---- New record through the pane ---- */

static void
test_create (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;
  NavetteRecord *record;
  guint n;

  fixture_open (&f, "alice", "catalogue", "products");
  n = g_list_model_get_n_items (_navette_window_get_view_model (f.window));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.new-record", NULL);
  pane = _navette_window_get_pane (f.window);

  /* The required name is empty: Save is refused until it is filled. */
  g_assert_false (navette_record_pane_get_valid (pane));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);
  g_assert_nonnull (navette_record_pane_get_table (pane));
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, n);

  navette_record_pane_set_text (pane, "name", "Created in the pane");
  navette_record_pane_set_text (pane, "price", "7.25");
  g_assert_true (navette_record_pane_get_valid (pane));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);

  /* In the list at once, pending; then saved at version 1. */
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, n + 1);
  record = find_record (&f, "name", "Created in the pane");
  g_assert_nonnull (record);
  g_assert_cmpint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_PENDING);
  wait_until (record_synced, record, "the create");
  g_assert_cmpint (navette_record_get_version (record), ==, 1);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 7.25);
  fixture_close (&f);
}

/* ---- Search ---- */

static gboolean
page_is_no_results (gpointer data)
{
  Fixture *f = data;

  return g_strcmp0 (_navette_window_get_page (f->window), "no-results") == 0;
}

static gboolean
one_result (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (_navette_window_get_view_model (f->window)) == 1;
}

static void
test_search (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  g_autofree char *name = NULL;

  fixture_open (&f, "bob", "catalogue", "products");
  record = g_object_ref (first_record (&f));
  name = g_strdup (navette_record_get_string (record, "name"));

  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.search", NULL);
  g_assert_true (gtk_search_bar_get_search_mode (f.window->search_bar));
  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), name);
  wait_until (one_result, &f, "the search");
  g_assert_true (find_record (&f, "name", name) == record);

  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), "no such product anywhere");
  wait_until (page_is_no_results, &f, "the no-results page");

  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), "");
  wait_until (page_is_records, &f, "the records again");
  fixture_close (&f);
}

/* ---- Rejected edits ---- */

static void
test_rejected_validation (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autofree char *before = NULL;
  g_autofree char *too_long = g_strnfill (250, 'x');
  guint toasts;

  fixture_open (&f, "alice", "blog", "articles");
  record = g_object_ref (first_record (&f));
  before = g_strdup (navette_record_get_string (record, "title"));
  toasts = f.window->n_toasts;

  /* The pane would refuse it (too long); the server is the judge. */
  json_object_set_string_member (data, "title", too_long);
  change = navette_store_update (navette_window_get_store (f.window), navette_window_get_table (f.window),
                                 navette_record_get_id (record), data);
  g_assert_cmpstr (navette_record_get_string (record, "title"), ==, too_long);

  wait_until (record_failed, record, "the rejection");
  g_assert_cmpstr (navette_record_get_string (record, "title"), ==, before);
  g_assert_nonnull (find_record (&f, "title", before));
  g_assert_true (g_error_matches (navette_record_get_error (record), NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION));
  g_assert_cmpuint (f.window->n_toasts, ==, toasts + 1);
  g_assert_nonnull (f.window->last_toast);
  g_assert_cmpuint (n_failed (&f), ==, 1);
  g_assert_true (gtk_widget_get_visible (f.window->failed_button));

  /* Opening the record shows the server's problem on the field. */
  navette_window_open_record (f.window, record);
  g_assert_true (gtk_widget_has_css_class (navette_record_pane_get_row (_navette_window_get_pane (f.window), "title"), "error"));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.cancel", NULL);

  /* Discard from the failed list. */
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.discard-change", "s",
                              navette_change_get_idempotency_key (change));
  g_assert_cmpuint (n_failed (&f), ==, 0);
  g_assert_false (gtk_widget_get_visible (f.window->failed_button));
  fixture_close (&f);
}

static gboolean
role_is_editor (gpointer data)
{
  return navette_store_can_edit (NAVETTE_STORE (data));
}

static void
test_rejected_forbidden (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autofree char *before = NULL;
  NavetteStore *store;
  guint toasts;
  int status;

  fixture_open (&f, "bob", "catalogue", "products");
  store = navette_window_get_store (f.window);
  record = g_object_ref (first_record (&f));
  before = g_strdup (navette_record_get_string (record, "name"));
  toasts = f.window->n_toasts;

  /* A reader's write (as an old window might send): 403, rolled back. */
  json_object_set_string_member (data, "name", "Renamed by bob");
  change = navette_store_update (store, navette_window_get_table (f.window),
                                 navette_record_get_id (record), data);
  wait_until (record_failed, record, "the refusal");
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, before);
  g_assert_true (g_error_matches (navette_record_get_error (record), NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_FORBIDDEN));
  g_assert_cmpuint (f.window->n_toasts, >, toasts);
  g_assert_cmpuint (n_failed (&f), ==, 1);

  /* The cause goes away: bob becomes editor. The open window follows
   * without a restart (the engine asks for the roles every few minutes;
   * F5 asks now): New appears, the pane becomes editable, Retry works. */
  navette_window_open_record (f.window, record);
  g_assert_false (navette_record_pane_get_editable (_navette_window_get_pane (f.window)));
  status = navette_test_server_admin (f.server, NULL, NULL, "grant", "bob", "editor", "catalogue", NULL);
  g_assert_cmpint (status, ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.refresh", NULL);
  wait_until (role_is_editor, store, "the new role");
  g_assert_true (gtk_widget_get_visible (f.window->new_button));
  g_assert_true (navette_record_pane_get_editable (_navette_window_get_pane (f.window)));
  g_assert_true (gtk_widget_get_visible (navette_record_pane_get_save_button (_navette_window_get_pane (f.window))));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.cancel", NULL);

  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.retry-change", "s",
                              navette_change_get_idempotency_key (change));
  wait_until (change_finished, change, "the retry");
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Renamed by bob");
  g_assert_cmpuint (n_failed (&f), ==, 0);
  fixture_close (&f);
}

static gboolean
record_waiting (gpointer data)
{
  return navette_record_get_sync_state (NAVETTE_RECORD (data)) == NAVETTE_SYNC_STATE_WAITING;
}


/* @data, a GtkLabel, is shown and laid out without an ellipsis. */
static gboolean
label_whole (gpointer data)
{
  GtkLabel *label = data;

  return gtk_widget_get_mapped (GTK_WIDGET (label)) &&
         gtk_widget_get_width (GTK_WIDGET (label)) > 0 &&
         !pango_layout_is_ellipsized (gtk_label_get_layout (label));
}
/* The server stopped while saving: nothing is rolled back, no error
 * toast; the indicator says the change waits; the server back, it is
 * saved by itself and one discreet toast says so. */
static void
test_offline_kept (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  NavetteRecordPane *pane;
  guint toasts;

  fixture_open (&f, "alice", "catalogue", "products");
  record = g_object_ref (first_record (&f));
  toasts = f.window->n_toasts;

  navette_test_server_stop (f.server);

  navette_window_open_record (f.window, record);
  pane = _navette_window_get_pane (f.window);
  navette_record_pane_set_text (pane, "name", "Saved while offline");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Saved while offline");

  wait_until (record_waiting, record, "the change to wait");
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Saved while offline");
  g_assert_cmpuint (f.window->n_toasts, ==, toasts);
  g_assert_cmpuint (n_failed (&f), ==, 0);
  g_assert_cmpstr (gtk_label_get_label (f.window->sync_label), ==, "Offline — 1 change waiting");
  /* At the default width it is read whole, not "Offline — 1 chan…". */
  wait_until (label_whole, f.window->sync_label, "the whole indicator");

  /* The server is back: saved without anyone pressing anything. */
  navette_test_server_restart (f.server);
  wait_until (record_synced, record, "the change to be sent");
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Saved while offline");
  g_assert_cmpuint (n_failed (&f), ==, 0);
  g_assert_cmpuint (f.window->n_toasts, ==, toasts + 1);
  g_assert_nonnull (strstr (f.window->last_toast, "saved"));
  fixture_close (&f);
}

/* ---- The record pane's title ---- */

typedef struct
{
  NavetteRecordPane *pane;
  const char        *title;
} TitleWait;

static gboolean
pane_titled (gpointer data)
{
  TitleWait *wait = data;

  return g_strcmp0 (navette_record_pane_get_title (wait->pane), wait->title) == 0;
}

/* The pane calls a record what the toasts, dialogs and failed list call
 * it (navette_format_record_title()): its first text that is not empty,
 * here its second text column, the first being an empty text; and it
 * follows a rename. */
static void
test_pane_title (void)
{
  Fixture f = { 0 };
  g_autofree char *token = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  NavetteRecord *record;
  TitleWait renamed;

  f.server = navette_test_server_start (NULL);
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/admin/applications/catalogue/tables", token,
                                          "{\"name\": \"lamps\", \"title\": \"Lamps\", \"columns\": ["
                                          "{\"name\": \"nickname\", \"title\": \"Nickname\", \"type\": \"text\"},"
                                          "{\"name\": \"model\", \"title\": \"Model\", \"type\": \"text\"}]}",
                                          NULL, NULL), ==, 201);
  g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/lamps/records", token,
                                          "{\"data\": {\"nickname\": \"\", \"model\": \"Anglepoise 1227\"}}", NULL, NULL), ==, 201);
  f.engine = engine_for (f.server, "alice", NULL);
  f.window = navette_test_window_open (f.engine, "catalogue", "lamps", 0, 0);

  record = first_record (&f);
  name = navette_format_record_title (navette_window_get_table (f.window), record);
  g_assert_cmpstr (name, ==, "Anglepoise 1227");
  navette_window_open_record (f.window, record);
  renamed.pane = _navette_window_get_pane (f.window);
  g_assert_cmpstr (navette_record_pane_get_title (renamed.pane), ==, name);

  /* Named by someone else: the pane's title follows. */
  path = g_strdup_printf ("/api/v1/applications/catalogue/tables/lamps/records/%s", navette_record_get_id (record));
  body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"nickname\": \"Desk lamp\"}}",
                          navette_record_get_version (record));
  g_assert_cmpuint (navette_test_request (f.server, "PATCH", path, token, body, NULL, NULL), ==, 200);
  renamed.title = "Desk lamp";
  wait_until (pane_titled, &renamed, "the pane titled with the new name");
  fixture_close (&f);
}

/* ---- The journal cannot be written ---- */

static gboolean
journal_failing (gpointer data)
{
  Fixture *f = data;

  return navette_middleware_get_journal_error (navette_engine_get_middleware (f->engine)) != NULL;
}

static gboolean
journal_working (gpointer data)
{
  return !journal_failing (data);
}

/* The journal of unsent changes cannot be written (the outbox's writes
 * made to fail by the test hook navette_journal_set_test_fail_writes():
 * SQLite's cannot be made to fail otherwise as root): a toast that stays
 * and the sync indicator warn that changes are at risk; edits still
 * reach the server; once the disk works again, the warning goes. */
static void
test_journal_failure (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("navette-ui-journal-XXXXXX", &error);
  g_autoptr(NavetteRecord) record = NULL;
  NavetteRecordPane *pane;

  g_assert_no_error (error);
  /* The outbox's writes fail from before the first edit. */
  fixture_open_full (&f, "alice", "catalogue", "products", data_dir);
  navette_journal_set_test_fail_writes (TRUE);
  record = g_object_ref (first_record (&f));

  navette_window_open_record (f.window, record);
  pane = _navette_window_get_pane (f.window);
  navette_record_pane_set_text (pane, "stock", "91");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);
  wait_until (journal_failing, &f, "the journal to fail");
  wait_until (record_synced, record, "the change to be saved all the same");
  g_assert_nonnull (strstr (f.window->last_toast, "cannot be kept on this computer"));
  g_assert_cmpstr (gtk_label_get_label (f.window->sync_label), ==, "Changes at risk");
  g_assert_true (gtk_widget_get_visible (f.window->sync_icon));
  g_assert_true (gtk_widget_has_css_class (f.window->sync_icon, "warning"));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (f.window->sync_indicator), "replica.db"));

  /* The disk works again. */
  navette_journal_set_test_fail_writes (FALSE);
  navette_window_open_record (f.window, record);
  navette_record_pane_set_text (pane, "stock", "92");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);
  wait_until (journal_working, &f, "the journal to work again");
  wait_until (record_synced, record, "the second change");
  g_assert_cmpstr (f.window->last_toast, ==, "Changes are kept on this computer again.");
  g_assert_false (gtk_widget_get_visible (f.window->sync_icon));
  g_assert_cmpstr (gtk_label_get_label (f.window->sync_label), !=, "Changes at risk");

  fixture_close (&f);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", data_dir);

    g_assert_cmpint (system (cmd), ==, 0);
  }
}

/* ---- Changes by others ---- */

typedef struct
{
  Fixture    *f;
  const char *name;
} Lookup;

static gboolean
record_shown (gpointer data)
{
  Lookup *lookup = data;

  return find_record (lookup->f, "name", lookup->name) != NULL;
}

static void
count_check_cb (guint *rounds)
{
  (*rounds)++;
}

/* Whether a cell of @record under @widget is highlighted. */
static gboolean
record_highlighted (GtkWidget     *widget,
                    NavetteRecord *record)
{
  if (NAVETTE_IS_RECORD_CELL (widget) &&
      navette_record_cell_get_record (NAVETTE_RECORD_CELL (widget)) == record &&
      navette_record_cell_get_highlighted (NAVETTE_RECORD_CELL (widget)))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (record_highlighted (child, record))
      return TRUE;
  return FALSE;
}

static void
test_external_write (void)
{
  Fixture f = { 0 };
  g_autofree char *token = NULL;
  g_autoptr(GBytes) body = NULL;
  Lookup lookup = { &f, "Written elsewhere" };
  NavettePoller *poller;
  guint rounds = 0;
  guint status;

  fixture_open (&f, "alice", "catalogue", "products");
  g_assert_null (find_record (&f, "name", "Written elsewhere"));
  poller = navette_engine_get_poller (f.engine);

  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  status = navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                 token, "{\"data\": {\"name\": \"Written elsewhere\", \"price\": 3.5}}",
                                 &body, NULL);
  g_assert_cmpuint (status, ==, 201);
  g_signal_connect_swapped (poller, "checked", G_CALLBACK (count_check_cb), &rounds);

  wait_until (record_shown, &lookup, "the external write");
  /* One poll was enough: the round that started after the write (plus,
   * at most, the one already running when it happened). */
  g_assert_cmpuint (rounds, <=, 2);
  g_signal_handlers_disconnect_by_func (poller, count_check_cb, &rounds);
  /* Who changed which record, said; the row stands out; Show opens it. */
  g_assert_cmpstr (f.window->last_toast, ==, "admin changed Written elsewhere");
  g_assert_true (record_highlighted (GTK_WIDGET (f.window->column_view),
                                     find_record (&f, "name", "Written elsewhere")));
  g_assert_nonnull (f.window->remote_toast);
  g_signal_emit_by_name (f.window->remote_toast, "button-clicked");
  g_assert_true (navette_record_pane_get_record (_navette_window_get_pane (f.window)) ==
                 find_record (&f, "name", "Written elsewhere"));

  /* More records while the toast shows: counted. */
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(GBytes) more = NULL;

      status = navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                     token, i == 0 ? "{\"data\": {\"name\": \"Second\"}}"
                                                   : "{\"data\": {\"name\": \"Third\"}}",
                                     &more, NULL);
      g_assert_cmpuint (status, ==, 201);
    }
  lookup.name = "Third";
  wait_until (record_shown, &lookup, "the other external writes");
  lookup.name = "Second";
  wait_until (record_shown, &lookup, "the other external writes");
  g_assert_cmpstr (f.window->last_toast, ==, "admin changed 3 products");
  fixture_close (&f);
}

/* ---- History and Restore ---- */

static gboolean
history_has (gpointer data)
{
  NavetteRecordPane *pane = data;
  GListModel *versions = navette_record_pane_get_versions (pane);

  return versions != NULL && g_list_model_get_n_items (versions) >= 2;
}

static void
test_restore (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(NavetteChange) change = NULL;
  g_autofree char *original = NULL;
  NavetteRecordPane *pane;

  fixture_open (&f, "alice", "catalogue", "products");
  record = g_object_ref (first_record (&f));
  original = g_strdup (navette_record_get_string (record, "name"));
  g_assert_cmpint (navette_record_get_version (record), ==, 1);

  navette_window_open_record (f.window, record);
  pane = _navette_window_get_pane (f.window);
  navette_record_pane_set_text (pane, "name", "Second name");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);
  wait_until (record_synced, record, "the save");
  g_assert_cmpint (navette_record_get_version (record), ==, 2);

  /* The history, newest first. */
  navette_window_open_record (f.window, record);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.history", NULL);
  wait_until (history_has, pane, "the history");
  {
    g_autoptr(NavetteRecord) newest = g_list_model_get_item (navette_record_pane_get_versions (pane), 0);
    g_autoptr(NavetteRecord) oldest = g_list_model_get_item (navette_record_pane_get_versions (pane), 1);

    g_assert_cmpint (navette_record_get_version (newest), ==, 2);
    g_assert_cmpint (navette_record_get_version (oldest), ==, 1);
    g_assert_cmpstr (navette_record_get_updated_by (newest), ==, "alice");
  }

  /* Restore version 1: a new version 3 with its data. */
  change = navette_record_pane_restore (pane, 1);
  g_assert_nonnull (change);
  wait_until (change_finished, change, "the restore");
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);
  g_assert_cmpint (navette_record_get_version (record), ==, 3);
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, original);
  fixture_close (&f);
}

/* ---- Archive and Undo ---- */

static gboolean
record_archived (gpointer data)
{
  NavetteRecord *record = data;

  return navette_record_get_archived (record) &&
         navette_record_get_sync_state (record) == NAVETTE_SYNC_STATE_SYNCED;
}

static gboolean
record_unarchived (gpointer data)
{
  NavetteRecord *record = data;

  return !navette_record_get_archived (record) &&
         navette_record_get_sync_state (record) == NAVETTE_SYNC_STATE_SYNCED;
}

static void
test_archive_undo (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  g_autofree char *name = NULL;
  guint n;

  fixture_open (&f, "alice", "catalogue", "products");
  record = g_object_ref (first_record (&f));
  name = g_strdup (navette_record_get_string (record, "name"));
  n = g_list_model_get_n_items (_navette_window_get_view_model (f.window));

  navette_window_open_record (f.window, record);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.archive", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, n - 1);
  g_assert_nonnull (strstr (f.window->last_toast, name));
  wait_until (record_archived, record, "the archive");

  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.unarchive", "(sss)",
                              "catalogue", "products", navette_record_get_id (record));
  wait_until (record_unarchived, record, "the undo");
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, n);
  fixture_close (&f);
}

static gboolean
push_live (gpointer data)
{
  return navette_engine_get_push_live (NAVETTE_ENGINE (data));
}

static gboolean
push_not_live (gpointer data)
{
  return !navette_engine_get_push_live (NAVETTE_ENGINE (data));
}

/* The sync indicator's tooltip says whether changes arrive live (push) or
 * by polling, and follows the engine's "push-live". */
static void
test_push_indicator (void)
{
  Fixture f = { 0 };
  const char *tooltip;

  fixture_open (&f, "alice", "catalogue", "products");
  navette_poller_set_interval (navette_engine_get_poller (f.engine), 30);
  wait_until (push_live, f.engine, "the push socket");
  tooltip = gtk_widget_get_tooltip_text (f.window->sync_indicator);
  g_assert_nonnull (tooltip);
  g_assert_true (g_str_has_prefix (tooltip, "Live updates."));

  navette_poller_set_push (navette_engine_get_poller (f.engine), FALSE);
  wait_until (push_not_live, f.engine, "the end of push");
  tooltip = gtk_widget_get_tooltip_text (f.window->sync_indicator);
  g_assert_nonnull (tooltip);
  g_assert_true (g_str_has_prefix (tooltip, "Checking every 30 s."));

  fixture_close (&f);
}

/* ---- Live schema and roles ---- */

typedef struct
{
  Fixture    *f;
  const char *name;
} Named;

static gboolean
view_has_column (gpointer data)
{
  Named *named = data;
  GListModel *columns = gtk_column_view_get_columns (named->f->window->column_view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_ascii_strcasecmp (gtk_column_view_column_get_title (column), named->name) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
pane_has_row (gpointer data)
{
  Named *named = data;

  return navette_record_pane_get_row (_navette_window_get_pane (named->f->window), named->name) != NULL;
}

static gboolean
sidebar_has_table (gpointer data)
{
  Named *named = data;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (named->f->window->sidebar_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (NAVETTE_IS_SIDEBAR_ROW (row) &&
        g_strcmp0 (navette_table_get_name (navette_sidebar_row_get_table (NAVETTE_SIDEBAR_ROW (row))),
                   named->name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
sidebar_has_app (gpointer data)
{
  Named *named = data;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (named->f->window->sidebar_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (NAVETTE_IS_SIDEBAR_APP_ROW (row) &&
        g_strcmp0 (navette_store_get_name (navette_sidebar_app_row_get_store (NAVETTE_SIDEBAR_APP_ROW (row))),
                   named->name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
sidebar_lacks_app (gpointer data)
{
  return !sidebar_has_app (data);
}

/* A column and a table added on the server while the window is open, with
 * a record open in the pane and an edit typed in it: the column shows in
 * the view and in the pane (the edit kept), the table in the sidebar. */
static gboolean
page_is_empty (gpointer data)
{
  Fixture *f = data;

  return g_strcmp0 (_navette_window_get_page (f->window), "empty") == 0;
}

static void
test_live_schema (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;
  Named subtitle = { &f, "subtitle" };
  Named notes = { &f, "notes" };

  fixture_open (&f, "alice", "blog", "articles");
  pane = _navette_window_get_pane (f.window);
  navette_window_open_record (f.window, first_record (&f));
  navette_record_pane_set_text (pane, "title", "Typed before the column came");
  g_assert_true (navette_record_pane_get_modified (pane));

  navette_test_server_admin_check (f.server, "column", "add", "blog", "articles", "subtitle:text", NULL);
  wait_until (view_has_column, &subtitle, "the new column in the view");
  wait_until (pane_has_row, &subtitle, "the new column in the pane");
  g_assert_true (navette_record_pane_get_modified (pane));
  {
    g_autoptr(JsonObject) values = navette_record_pane_collect (pane);

    g_assert_cmpstr (json_object_get_string_member (values, "title"), ==, "Typed before the column came");
  }

  navette_test_server_admin_check (f.server, "table", "add", "blog", "notes", "--column", "text:text:required", NULL);
  wait_until (sidebar_has_table, &notes, "the new table in the sidebar");
  g_assert_true (navette_window_select_table (f.window, "blog", "notes"));
  wait_until (page_is_empty, &f, "the new table's (empty) page");
  fixture_close (&f);
}

static gboolean
new_button_visible (gpointer data)
{
  Fixture *f = data;

  return gtk_widget_get_visible (f->window->new_button);
}

static gboolean
no_table_open (gpointer data)
{
  Fixture *f = data;

  return navette_window_get_table (f->window) == NULL;
}

/* Grants and revokes reach the open window: reader → editor in place
 * (New, Save appear; the open pane becomes editable), a new application
 * in the sidebar, a revoked one gone with a toast saying so. */
static void
test_live_roles (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;
  Named blog = { &f, "blog" };
  Named catalogue = { &f, "catalogue" };

  fixture_open (&f, "bob", "catalogue", "products");
  pane = _navette_window_get_pane (f.window);
  navette_window_open_record (f.window, first_record (&f));
  g_assert_false (gtk_widget_get_visible (f.window->new_button));
  g_assert_false (navette_record_pane_get_editable (pane));

  navette_test_server_admin_check (f.server, "grant", "bob", "editor", "catalogue", NULL);
  wait_until (new_button_visible, &f, "the New button");
  g_assert_true (navette_record_pane_get_editable (pane));
  g_assert_true (gtk_widget_get_visible (navette_record_pane_get_save_button (pane)));

  navette_test_server_admin_check (f.server, "grant", "bob", "reader", "blog", NULL);
  wait_until (sidebar_has_app, &blog, "Blog in the sidebar");

  navette_test_server_admin_check (f.server, "revoke", "bob", "catalogue", NULL);
  wait_until (sidebar_lacks_app, &catalogue, "Catalogue gone from the sidebar");
  wait_until (no_table_open, &f, "the products closed");
  g_assert_nonnull (strstr (f.window->last_toast, "no longer have access"));
  fixture_close (&f);
}

/* ---- The Archive view ---- */

static gboolean
view_has_n (gpointer data)
{
  Lookup *lookup = data;

  return g_list_model_get_n_items (_navette_window_get_view_model (lookup->f->window)) ==
         (guint) GPOINTER_TO_UINT (lookup->name);
}

static NavetteArchivedCell *
find_archived_cell (GtkWidget *widget)
{
  if (NAVETTE_IS_ARCHIVED_CELL (widget) &&
      navette_record_cell_get_record (NAVETTE_RECORD_CELL (widget)) != NULL)
    return NAVETTE_ARCHIVED_CELL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      NavetteArchivedCell *cell = find_archived_cell (child);

      if (cell != NULL)
        return cell;
    }
  return NULL;
}

/* Archived records are found again: the Archive view lists them (and
 * only them), says who archived them, is searchable, and Restore brings
 * a record back among the others. */
static void
test_archive_view (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(NavetteRecord) record = NULL;
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;
  Lookup n = { &f, NULL };
  guint before;

  fixture_open (&f, "alice", "catalogue", "products");
  before = g_list_model_get_n_items (_navette_window_get_view_model (f.window));
  record = g_object_ref (first_record (&f));
  id = g_strdup (navette_record_get_id (record));
  name = g_strdup (navette_record_get_string (record, "name"));
  change = navette_store_archive (navette_window_get_store (f.window), navette_window_get_table (f.window),
                                  id, TRUE);
  wait_until (change_finished, change, "the archive");
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, before - 1);

  _navette_window_set_show_archived (f.window, TRUE);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (f.window->archived_button)));
  g_assert_false (gtk_widget_get_visible (f.window->new_button));
  n.name = GUINT_TO_POINTER (1);
  wait_until (view_has_n, &n, "the archived record listed");
  g_assert_true (first_record (&f) == record);

  /* Who archived it, and Restore, on its row. */
  {
    NavetteArchivedCell *cell;

    while (g_main_context_iteration (NULL, FALSE))
      ;
    cell = find_archived_cell (GTK_WIDGET (f.window->column_view));
    g_assert_nonnull (cell);
    g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (gtk_widget_get_first_child (GTK_WIDGET (cell)))),
                              "alice"));
  }

  /* Searchable. */
  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), "no such thing anywhere");
  n.name = GUINT_TO_POINTER (0);
  wait_until (view_has_n, &n, "no archived record found");
  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), name);
  n.name = GUINT_TO_POINTER (1);
  wait_until (view_has_n, &n, "the archived record found");
  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), "");

  /* Opened in the pane, it offers Restore instead of Archive. */
  navette_window_open_record (f.window, record);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (navette_record_pane_get_archive_button (
                                           _navette_window_get_pane (f.window)))), ==, "_Restore");

  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.restore-record", "s", id);
  n.name = GUINT_TO_POINTER (0);
  wait_until (view_has_n, &n, "the archive view emptied");
  wait_until (record_synced, record, "the restore saved");
  g_assert_false (navette_record_get_archived (record));
  g_assert_nonnull (strstr (f.window->last_toast, "Restored"));

  _navette_window_set_show_archived (f.window, FALSE);
  n.name = GUINT_TO_POINTER (before);
  wait_until (view_has_n, &n, "the record back among the others");
  fixture_close (&f);
}

/* ---- Long texts, wide pane, fold and unfold ---- */

static GtkWidget *
find_text_view (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_text_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
text_view_grew (gpointer data)
{
  GtkWidget *view = data;
  int natural = 0;

  gtk_widget_measure (view, GTK_ORIENTATION_VERTICAL, 300, NULL, &natural, NULL, NULL);
  return natural > 500;
}

/* The article's body grows with its text (no fixed box); the Wide View
 * keeps the record open, twice as wide. */
static void
test_long_text (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;
  GtkWidget *view;
  g_autoptr(GString) text = g_string_new (NULL);
  int before = 0;

  fixture_open (&f, "alice", "blog", "articles");
  pane = _navette_window_get_pane (f.window);
  navette_window_open_record (f.window, first_record (&f));
  view = find_text_view (navette_record_pane_get_row (pane, "body"));
  g_assert_nonnull (view);
  gtk_widget_measure (view, GTK_ORIENTATION_VERTICAL, 300, NULL, &before, NULL, NULL);
  g_assert_cmpint (before, <, 500);

  for (int i = 0; i < 40; i++)
    g_string_append_printf (text, "Paragraph %d of a long article.\n", i);
  navette_record_pane_set_text (pane, "body", text->str);
  wait_until (text_view_grew, view, "the body to grow with its text");

  navette_record_pane_set_wide (pane, TRUE);
  g_assert_true (navette_record_pane_get_wide (pane));
  g_assert_nonnull (navette_record_pane_get_record (pane));
  g_assert_true (adw_flap_get_reveal_flap (f.window->flap));
  navette_record_pane_set_wide (pane, FALSE);
  g_assert_nonnull (navette_record_pane_get_record (pane));
  g_assert_true (adw_flap_get_reveal_flap (f.window->flap));
  fixture_close (&f);
}

/* Folding hides the pane and closes it cleanly; unfolding does not bring
 * it back open and empty. */
static void
test_fold_unfold (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;

  fixture_open (&f, "alice", "catalogue", "products");
  pane = _navette_window_get_pane (f.window);
  navette_window_open_record (f.window, first_record (&f));
  g_assert_true (adw_flap_get_reveal_flap (f.window->flap));

  /* What AdwFlap does when it folds, then unfolds. */
  adw_flap_set_reveal_flap (f.window->flap, FALSE);
  g_assert_null (navette_record_pane_get_table (pane));
  adw_flap_set_reveal_flap (f.window->flap, TRUE);
  g_assert_false (adw_flap_get_reveal_flap (f.window->flap));

  /* A record opens again normally. */
  navette_window_open_record (f.window, first_record (&f));
  g_assert_true (adw_flap_get_reveal_flap (f.window->flap));
  g_assert_nonnull (navette_record_pane_get_record (pane));
  fixture_close (&f);
}

/* ---- The account menu, and local mode said ---- */

/* The avatar opens the account menu: who, on which server, Sign Out; in
 * local mode "Local — on this computer" with the database's path, in the
 * menu and under the user's name, and no Sign Out. */
static void
test_account_menu (void)
{
  Fixture f = { 0 };
  g_autofree char *on = NULL;
  NavetteEngine *local;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  NavetteWindow *window;

  fixture_open (&f, "alice", "catalogue", "products");
  g_assert_nonnull (gtk_menu_button_get_popover (GTK_MENU_BUTTON (f.window->account_button)));
  g_assert_cmpstr (gtk_label_get_label (f.window->account_name_label), ==, "Alice (alice)");
  on = g_strdup_printf ("On %s", f.server->base_url);
  g_assert_cmpstr (gtk_label_get_label (f.window->account_server_label), ==, on);
  g_assert_true (gtk_widget_get_visible (f.window->account_sign_out_button));
  {
    const char *subtitle = adw_window_title_get_subtitle (f.window->user_title);

    g_assert_cmpstr (subtitle != NULL ? subtitle : "", ==, "");
  }

  /* The same server, named as the local mode names its database. */
  local = navette_engine_new (f.server->base_url);
  navette_engine_set_account_url (local, "local:/home/alice/.local/share/navette/local.db");
  navette_session_login_async (navette_engine_get_session (local), "admin", NAVETTE_DEMO_PASSWORD,
                               NULL, store_result_cb, &result);
  wait_until (result_ready, &result, "the local login");
  g_assert_true (navette_session_login_finish (navette_engine_get_session (local), result, &error));
  window = navette_window_new (NULL);
  gtk_window_present (GTK_WINDOW (window));
  navette_window_set_engine (window, local);
  g_assert_cmpstr (gtk_label_get_label (window->account_server_label), ==,
                   "Local — on this computer\n/home/alice/.local/share/navette/local.db");
  g_assert_cmpstr (adw_window_title_get_subtitle (window->user_title), ==, "Local — on this computer");
  g_assert_false (gtk_widget_get_visible (window->account_sign_out_button));
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (local);
  fixture_close (&f);
}

/* ---- Accessibility ---- */

/* A label a person reads: not empty, and its mnemonic is not read. */
static gboolean
plain_text (const char *text,
            gboolean    use_underline)
{
  return text != NULL && text[0] != '\0' && (!use_underline || strchr (text, '_') == NULL);
}

/* What a screen reader would say for @button, or NULL: its accessible
 * label or labelled-by relation, else a plain text label. */
static gboolean
button_is_named (GtkWidget *button)
{
  GtkWidget *child;

  if (gtk_test_accessible_has_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL) ||
      gtk_test_accessible_has_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return TRUE;
  if (!GTK_IS_BUTTON (button))
    return FALSE;
  if (plain_text (gtk_button_get_label (GTK_BUTTON (button)), gtk_button_get_use_underline (GTK_BUTTON (button))))
    return TRUE;
  child = gtk_button_get_child (GTK_BUTTON (button));
  if (GTK_IS_LABEL (child))
    return plain_text (gtk_label_get_label (GTK_LABEL (child)), gtk_label_get_use_underline (GTK_LABEL (child)));
  if (ADW_IS_BUTTON_CONTENT (child))
    return plain_text (adw_button_content_get_label (ADW_BUTTON_CONTENT (child)),
                       adw_button_content_get_use_underline (ADW_BUTTON_CONTENT (child)));
  return FALSE;
}

/* Adds a line per unnamed button under @widget (shown or not). */
static void
find_unnamed_buttons (GtkWidget *widget,
                      GString   *unnamed)
{
  if (GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget))
    {
      if (!button_is_named (widget))
        {
          const char *tooltip = gtk_widget_get_tooltip_text (widget);

          g_string_append_printf (unnamed, "%s (in %s, tooltip “%s”)\n", G_OBJECT_TYPE_NAME (widget),
                                  G_OBJECT_TYPE_NAME (gtk_widget_get_parent (widget)),
                                  tooltip != NULL ? tooltip : "");
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_unnamed_buttons (child, unnamed);
}

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (data));

  return file != NULL;
}

static GtkWidget *
find_by_tooltip (GtkWidget  *widget,
                 const char *tooltip)
{
  if (g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_tooltip (child, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
assert_all_named (GtkWidget  *root,
                  const char *where)
{
  g_autoptr(GString) unnamed = g_string_new (NULL);

  find_unnamed_buttons (root, unnamed);
  if (unnamed->len > 0)
    g_error ("Buttons without an accessible name in %s:\n%s", where, unnamed->str);
}

/* Every button of the main window (with a record open in the pane, a
 * date field included, and the account and failed-changes popovers), of
 * the sign-in dialog and of the preferences has a name a screen reader
 * can say; sidebar rows are named; a reader's fields are read-only, not
 * insensitive; Ctrl+N puts the cursor in the first field. */
static void
test_accessible_names (void)
{
  Fixture f = { 0 };
  NavetteRecordPane *pane;
  GtkWidget *dialog;
  GtkWidget *row;

  fixture_open (&f, "alice", "blog", "articles");
  pane = _navette_window_get_pane (f.window);
  navette_window_open_record (f.window, first_record (&f));
  g_assert_nonnull (navette_record_pane_get_row (pane, "publish_date"));
  assert_all_named (GTK_WIDGET (f.window), "the main window");
  assert_all_named (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (f.window->account_button))),
                    "the account menu");
  assert_all_named (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (f.window->failed_button))),
                    "the failed changes");

  /* The mnemonic is not read: "Archive", not "_Archive Archive". */
  gtk_test_accessible_assert_property (navette_record_pane_get_archive_button (pane),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Archive");

  /* Sidebar rows say what they are. */
  for (row = gtk_widget_get_first_child (GTK_WIDGET (f.window->sidebar_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL));

  /* The open table's row says its title and how many records the list
   * shows ("Articles, 4 records"), the number as the locale groups it
   * (not at all in the tests' C locale). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (row = gtk_widget_get_first_child (GTK_WIDGET (f.window->sidebar_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      NavetteTable *table;
      guint shown;
      g_autofree char *said = NULL;

      if (!NAVETTE_IS_SIDEBAR_ROW (row))
        continue;
      table = navette_sidebar_row_get_table (NAVETTE_SIDEBAR_ROW (row));
      if (g_strcmp0 (navette_table_get_name (table), "articles") != 0)
        continue;
      shown = g_list_model_get_n_items (_navette_window_get_view_model (f.window));
      g_assert_cmpuint (shown, >, 1);
      said = g_strdup_printf ("%s, %u records", navette_table_get_title (table), shown);
      gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, said);
      break;
    }
  g_assert_nonnull (row);

  /* The list is one Tab stop: from a row, Tab leaves it. */
  {
    GtkWidget *list = GTK_WIDGET (f.window->column_view);
    GtkWidget *focus;

    navette_window_open_record (f.window, first_record (&f));
    gtk_widget_activate_action (GTK_WIDGET (f.window), "window.cancel", NULL);
    g_assert_true (gtk_widget_child_focus (list, GTK_DIR_TAB_FORWARD));
    focus = gtk_root_get_focus (GTK_ROOT (f.window));
    g_assert_true (focus != NULL && gtk_widget_is_ancestor (focus, list));
    g_assert_true (_navette_window_tab_out_of_list (f.window, TRUE));
    focus = gtk_root_get_focus (GTK_ROOT (f.window));
    g_assert_true (focus != NULL && focus != list && !gtk_widget_is_ancestor (focus, list));
  }

  /* Ctrl+N: a new record, the cursor in its first field. */
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.new-record", NULL);
  g_assert_null (navette_record_pane_get_record (pane));
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f.window));
    GtkWidget *first = navette_record_pane_get_row (pane, "title");

    g_assert_nonnull (focus);
    g_assert_true (focus == first || gtk_widget_is_ancestor (focus, first));
  }
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.cancel", NULL);

  dialog = GTK_WIDGET (navette_sign_in_dialog_new (GTK_WINDOW (f.window),
                                                   navette_engine_get_session (f.engine),
                                                   f.server->base_url, "alice", NULL));
  assert_all_named (dialog, "the sign-in dialog");
  gtk_window_destroy (GTK_WINDOW (dialog));
  dialog = navette_preferences_window_new (GTK_WINDOW (f.window));
  assert_all_named (dialog, "the preferences");
  {
    /* The CA file comes from a file chooser (the portal's, sandboxed);
     * the file chosen goes through the same checks as a typed one. */
    GtkWidget *choose = find_by_tooltip (dialog, "Choose a File…");
    GtkFileChooserNative *chooser;
    g_autoptr(GFileIOStream) stream = NULL;
    g_autoptr(GFile) file = g_file_new_tmp ("navette-not-a-ca-XXXXXX.pem", &stream, NULL);
    g_autofree char *path = g_file_get_path (file);
    GtkWidget *ca_row;

    g_assert_nonnull (choose);
    g_signal_emit_by_name (choose, "clicked");
    chooser = _navette_preferences_window_get_ca_file_chooser (NAVETTE_PREFERENCES_WINDOW (dialog));
    g_assert_nonnull (chooser);
    g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL));
    wait_until (chooser_has_file, chooser, "the file selected in the chooser");
    g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_ACCEPT);
    g_assert_null (_navette_preferences_window_get_ca_file_chooser (NAVETTE_PREFERENCES_WINDOW (dialog)));
    ca_row = gtk_widget_get_ancestor (choose, ADW_TYPE_ENTRY_ROW);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (ca_row)), ==, path);
    /* Not a certificate (an empty file): said on the row and in a toast. */
    g_assert_true (gtk_widget_has_css_class (ca_row, "error"));
    g_file_delete (file, NULL, NULL);
  }
  gtk_window_destroy (GTK_WINDOW (dialog));
  fixture_close (&f);

  /* A reader's text fields are read-only but can be selected. */
  fixture_open (&f, "bob", "catalogue", "products");
  pane = _navette_window_get_pane (f.window);
  navette_window_open_record (f.window, first_record (&f));
  row = navette_record_pane_get_row (pane, "name");
  g_assert_true (gtk_widget_get_sensitive (row));
  g_assert_false (gtk_editable_get_editable (GTK_EDITABLE (row)));
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_READ_ONLY, TRUE);
  assert_all_named (GTK_WIDGET (f.window), "a reader's window");
  fixture_close (&f);
}

/* ---- The table through the local replica ---- */

/* With a data directory the engine opens the user's replica, and the
 * window shows the table through it (a lazy model). */
static char *
fixture_open_replica (Fixture    *f,
                      const char *username)
{
  g_autoptr(GError) error = NULL;
  char *data_dir = g_dir_make_tmp ("navette-ui-replica-XXXXXX", &error);

  g_assert_no_error (error);
  fixture_open_full (f, username, "catalogue", "products", data_dir);
  g_assert_nonnull (_navette_window_get_feed (f->window));
  g_assert_true (NAVETTE_IS_REPLICA_MODEL (_navette_window_get_view_model (f->window)));
  return data_dir;
}

static void
fixture_close_replica (Fixture *f,
                       char    *data_dir)
{
  fixture_close (f);
  navette_test_rm_rf (data_dir);
  g_free (data_dir);
}

/* Every row of the view read (no placeholder left). */
static gboolean
all_rows_read (gpointer data)
{
  Fixture *f = data;
  GListModel *model = _navette_window_get_view_model (f->window);
  NavetteReplicaModel *replica_model = NAVETTE_REPLICA_MODEL (model);
  gboolean read = !navette_replica_model_get_loading (replica_model);

  for (guint i = 0; read && i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);

      read = navette_record_get_id (record)[0] != '\0';
    }
  return read;
}

static gboolean
name_painted (gpointer data)
{
  Lookup *lookup = data;

  return navette_test_find_label (GTK_WIDGET (lookup->f->window->column_view), lookup->name) != NULL;
}

static const char *
name_at (Fixture *f,
         guint    position)
{
  g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (f->window), position);

  return navette_record_get_string (record, "name");
}

static void
test_replica_rows (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "bob");
  GListModel *model = _navette_window_get_view_model (f.window);
  Lookup lookup = { &f, "Moulin à café manuel" };

  /* The six demo products, every placeholder filled in place, and the
   * cells painted with their values. */
  wait_until (all_rows_read, &f, "the rows read from the replica");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 6);
  g_assert_nonnull (find_record (&f, "name", "Moulin à café manuel"));
  navette_test_wait_settled (GTK_WIDGET (f.window->column_view));
  wait_until (name_painted, &lookup, "a name painted in the list");
  /* The engine keeps one feed per table: the same on a second open. */
  g_assert_true (navette_engine_open_feed (f.engine, navette_window_get_table (f.window)) ==
                 _navette_window_get_feed (f.window));
  fixture_close_replica (&f, data_dir);
}

/* Whether a sort indicator under @root is shown with @css_class. */
static gboolean
has_sort_indicator (GtkWidget  *root,
                    const char *css_class)
{
  if (g_strcmp0 (gtk_widget_get_css_name (root), "sort-indicator") == 0 &&
      gtk_widget_has_css_class (root, css_class))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_sort_indicator (child, css_class))
      return TRUE;
  return FALSE;
}

typedef struct
{
  Fixture    *f;
  const char *column;
  gboolean    descending;
} SortWait;

static gboolean
sorted_by (gpointer data)
{
  SortWait *wait = data;
  NavetteReplicaModel *model = NAVETTE_REPLICA_MODEL (_navette_window_get_view_model (wait->f->window));
  const NavetteReplicaView *view = navette_replica_model_get_view (model);

  return g_strcmp0 (view->sort_column, wait->column) == 0 && view->descending == wait->descending &&
         all_rows_read (wait->f);
}

static void
test_replica_sort (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "bob");
  SortWait wait = { &f, "price", FALSE };
  GtkWidget *header;

  /* Opened in the replica's order: no arrow. */
  wait_until (all_rows_read, &f, "the rows read");
  g_assert_cmpstr (navette_replica_model_get_view (NAVETTE_REPLICA_MODEL (_navette_window_get_view_model (f.window)))->sort_column,
                   ==, "key");
  g_assert_false (has_sort_indicator (GTK_WIDGET (f.window->column_view), "ascending"));

  /* A click on Price: sorted by the replica (SQL), cheapest first, and
   * the header's arrow says so. */
  navette_test_wait_settled (GTK_WIDGET (f.window->column_view));
  header = navette_test_find_label (GTK_WIDGET (f.window->column_view), "Price");
  g_assert_nonnull (header);
  navette_test_click (header);
  wait_until (sorted_by, &wait, "the view sorted by price");
  g_assert_cmpstr (name_at (&f, 0), ==, "Filtres papier n° 4 (×100)");
  g_assert_cmpstr (name_at (&f, 1), ==, "Thé vert Sencha bio (100 g)");
  g_assert_cmpstr (name_at (&f, 5), ==, "Moulin à café manuel");
  g_assert_true (has_sort_indicator (GTK_WIDGET (f.window->column_view), "ascending"));

  /* Again: the dearest first. The pointer leaves the header first
   * (xdotool's mousemove --sync to where the pointer already is waits
   * long for a move), and the two clicks are not one double click. */
  g_object_set (gtk_settings_get_default (), "gtk-double-click-time", 1, NULL);
  navette_test_click (GTK_WIDGET (f.window->table_title));
  navette_test_click (header);
  wait.descending = TRUE;
  wait_until (sorted_by, &wait, "the view sorted by price, descending");
  g_assert_cmpstr (name_at (&f, 0), ==, "Moulin à café manuel");
  g_assert_cmpstr (name_at (&f, 1), ==, "Théière en fonte, 0,8 L");
  g_assert_true (has_sort_indicator (GTK_WIDGET (f.window->column_view), "descending"));

  /* Name: by the replica's text order, as a French reader expects
   * (accents and case second; in bytes, "abricot" and "Éclair" came
   * after "Théière"). Two products written elsewhere first. */
  {
    g_autofree char *token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
    Lookup lookup = { &f, "Éclair au café" };

    g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                            token, "{\"data\": {\"name\": \"abricots secs\", \"price\": 5}}",
                                            NULL, NULL), ==, 201);
    g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                            token, "{\"data\": {\"name\": \"Éclair au café\", \"price\": 4}}",
                                            NULL, NULL), ==, 201);
    wait_until (record_shown, &lookup, "the products written elsewhere");
    lookup.name = "abricots secs";
    wait_until (record_shown, &lookup, "the products written elsewhere");
  }
  header = navette_test_find_label (GTK_WIDGET (f.window->column_view), "Name");
  navette_test_click (header);
  wait.column = "name";
  wait.descending = FALSE;
  wait_until (sorted_by, &wait, "the view sorted by name");
  g_assert_cmpstr (name_at (&f, 0), ==, "abricots secs");
  g_assert_cmpstr (name_at (&f, 1), ==, "Café en grains — Éthiopie Yirgacheffe (250 g)");
  g_assert_cmpstr (name_at (&f, 2), ==, "Éclair au café");
  g_assert_cmpstr (name_at (&f, 3), ==, "Filtres papier n° 4 (×100)");
  g_assert_cmpstr (name_at (&f, 7), ==, "Théière en fonte, 0,8 L");
  g_object_set (gtk_settings_get_default (), "gtk-double-click-time", 400, NULL);
  fixture_close_replica (&f, data_dir);
}

static gboolean
n_rows_is (gpointer data)
{
  Lookup *lookup = data;

  return !navette_replica_model_get_loading (NAVETTE_REPLICA_MODEL (_navette_window_get_view_model (lookup->f->window))) &&
         g_list_model_get_n_items (_navette_window_get_view_model (lookup->f->window)) == GPOINTER_TO_UINT (lookup->name) &&
         all_rows_read (lookup->f);
}

static void
test_replica_search (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "bob");
  Lookup lookup = { &f, GUINT_TO_POINTER (2) };

  wait_until (all_rows_read, &f, "the rows read");
  navette_test_focus_window (GTK_WIDGET (f.window));
  navette_test_wait_settled (GTK_WIDGET (f.window->column_view));
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.search", NULL);
  g_assert_true (gtk_search_bar_get_search_mode (f.window->search_bar));
  navette_test_click (GTK_WIDGET (f.window->search_entry));

  /* Typed: a prefix of a word, accents ignored ("the" finds "Thé" and
   * "Théière"), in the replica's text index. */
  navette_test_type ("the");
  wait_until (n_rows_is, &lookup, "two results");
  g_assert_nonnull (find_record (&f, "name", "Thé vert Sencha bio (100 g)"));
  g_assert_nonnull (find_record (&f, "name", "Théière en fonte, 0,8 L"));
  navette_test_type (" vert");
  lookup.name = GUINT_TO_POINTER (1);
  wait_until (n_rows_is, &lookup, "one result");
  g_assert_cmpstr (name_at (&f, 0), ==, "Thé vert Sencha bio (100 g)");

  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), "nothing like this");
  wait_until (page_is_no_results, &f, "the no-results page");
  gtk_editable_set_text (GTK_EDITABLE (f.window->search_entry), "");
  lookup.name = GUINT_TO_POINTER (6);
  wait_until (n_rows_is, &lookup, "every row again");
  wait_until (page_is_records, &f, "the records again");
  fixture_close_replica (&f, data_dir);
}

typedef struct
{
  Fixture       *f;
  NavetteRecord *record;
} SameWait;

/* The feed synced after the save, and the view still hands out the same
 * object for that record. */
static gboolean
synced_same_object (gpointer data)
{
  SameWait *wait = data;
  NavetteReplicaFeed *feed = _navette_window_get_feed (wait->f->window);
  NavetteReplicaModel *model = navette_replica_feed_get_model (feed);
  guint position;
  g_autoptr(NavetteRecord) shown = NULL;

  if (navette_replica_feed_get_syncing (feed) || navette_replica_model_get_loading (model))
    return FALSE;
  position = navette_replica_model_find_loaded (model, navette_record_get_id (wait->record));
  if (position == G_MAXUINT)
    return FALSE;
  shown = g_list_model_get_item (G_LIST_MODEL (model), position);
  return shown == wait->record && navette_record_get_version (wait->record) > 1;
}

static void
test_replica_edit (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "alice");
  g_autoptr(NavetteRecord) record = NULL;
  NavetteRecordPane *pane;
  SameWait same = { &f, NULL };
  Lookup lookup = { &f, "Moulin, edited" };

  wait_until (all_rows_read, &f, "the rows read");
  record = g_object_ref (find_record (&f, "name", "Moulin à café manuel"));
  same.record = record;

  navette_window_open_record (f.window, record);
  pane = _navette_window_get_pane (f.window);
  g_assert_true (navette_record_pane_get_record (pane) == record);
  navette_record_pane_set_text (pane, "name", "Moulin, edited");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);

  /* At once, on the object the view shows, before any answer. */
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Moulin, edited");
  g_assert_cmpint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_PENDING);
  g_assert_true (find_record (&f, "name", "Moulin, edited") == record);
  wait_until (name_painted, &lookup, "the edit painted");

  /* Saved, synced into the replica, and still the same object. */
  wait_until (record_synced, record, "the answer");
  wait_until (synced_same_object, &same, "the replica synced after the save");
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Moulin, edited");
  g_assert_cmpuint (n_failed (&f), ==, 0);

  /* Ctrl+N's record: in the pane until saved, then in the view once the
   * replica has it. */
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.new-record", NULL);
  navette_record_pane_set_text (pane, "name", "Created through the replica");
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.save", NULL);
  lookup.name = "Created through the replica";
  wait_until (name_painted, &lookup, "the new record in the view");
  fixture_close_replica (&f, data_dir);
}

static gboolean
search_bar_open (gpointer data)
{
  Fixture *f = data;

  return gtk_search_bar_get_search_mode (f->window->search_bar);
}

/* A new record's pane, the cursor in its name. */
static gboolean
new_record_ready (gpointer data)
{
  Fixture *f = data;
  NavetteRecordPane *pane = _navette_window_get_pane (f->window);
  GtkWidget *name = navette_record_pane_get_table (pane) != NULL && navette_record_pane_get_record (pane) == NULL ?
                    navette_record_pane_get_row (pane, "name") : NULL;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  return name != NULL && focus != NULL && (focus == name || gtk_widget_is_ancestor (focus, name));
}

static gboolean
name_typed (gpointer data)
{
  Lookup *lookup = data;
  GtkWidget *name = navette_record_pane_get_row (_navette_window_get_pane (lookup->f->window), "name");

  return name != NULL && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (name)), lookup->name) == 0;
}

static gboolean
pane_closed (gpointer data)
{
  Fixture *f = data;

  return navette_record_pane_get_table (_navette_window_get_pane (f->window)) == NULL;
}

/* The window on alice's replica, every row read, focused and settled for
 * keys. Returns the data directory for fixture_close_replica(). */
static char *
open_replica_for_keys (Fixture *f)
{
  char *data_dir = fixture_open_replica (f, "alice");

  wait_until (all_rows_read, f, "the rows read");
  navette_test_focus_window (GTK_WIDGET (f->window));
  navette_test_wait_settled (GTK_WIDGET (f->window->column_view));
  return data_dir;
}

/* Ctrl+N, @created's name typed, Ctrl+S: the new record's pane closed on
 * save. */
static void
create_by_keys (Lookup *created)
{
  navette_test_key ("ctrl+n");
  wait_until (new_record_ready, created->f, "the new record's pane");
  navette_test_type (created->name);
  wait_until (name_typed, created, "the name typed");
  navette_test_key ("ctrl+s");
  wait_until (pane_closed, created->f, "the pane closed on save");
}

/* Ctrl+N while a search is typed (src/app/README.md): the record saved
 * is in the list although it does not match the search, which is given
 * up (the entry emptied, the bar closed); a new record cancelled keeps
 * the search. Driven by keys, as a person would. */
static void
test_replica_new_while_searching (void)
{
  Fixture f = { 0 };
  char *data_dir = open_replica_for_keys (&f);
  Lookup lookup = { &f, GUINT_TO_POINTER (2) };
  Lookup created = { &f, "Zinc bucket" };

  navette_test_key ("ctrl+f");
  wait_until (search_bar_open, &f, "the search bar");
  navette_test_click (GTK_WIDGET (f.window->search_entry));
  navette_test_type ("the");
  wait_until (n_rows_is, &lookup, "two results");

  /* Cancelled: the search stays. */
  navette_test_key ("ctrl+n");
  wait_until (new_record_ready, &f, "the new record's pane");
  navette_test_key ("Escape");
  wait_until (pane_closed, &f, "the pane closed");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f.window->search_entry)), ==, "the");
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, 2);

  /* Saved: in the list, the search given up. */
  create_by_keys (&created);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f.window->search_entry)), ==, "");
  g_assert_false (gtk_search_bar_get_search_mode (f.window->search_bar));
  lookup.name = GUINT_TO_POINTER (7);
  wait_until (n_rows_is, &lookup, "the six rows and the new one");
  g_assert_nonnull (find_record (&f, "name", "Zinc bucket"));
  wait_until (name_painted, &created, "the new record painted in the list");
  g_assert_cmpuint (n_failed (&f), ==, 0);
  fixture_close_replica (&f, data_dir);
}

/* The head of the list left, the record created is at its place in the
 * replica's rows, once. */
static gboolean
created_in_rows_once (gpointer data)
{
  Lookup *lookup = data;
  GListModel *model = _navette_window_get_view_model (lookup->f->window);
  g_autoptr(NavetteRecord) first = g_list_model_get_item (model, 0);
  guint seen = 0;

  if (navette_replica_model_get_loading (NAVETTE_REPLICA_MODEL (model)) || !all_rows_read (lookup->f) ||
      g_strcmp0 (navette_record_get_string (first, "name"), lookup->name) == 0)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);

      seen += g_strcmp0 (navette_record_get_string (record, "name"), lookup->name) == 0;
    }
  return seen == 1 && g_list_model_get_n_items (model) == 7;
}

typedef struct
{
  Fixture    *f;
  const char *table;
  const char *count;
} CountWait;

/* @lookup's record left the top (created here) for its sorted place
 * among the replica's rows, every row read. */
static gboolean
created_left_top (gpointer data)
{
  Lookup *lookup = data;
  GListModel *model = _navette_window_get_view_model (lookup->f->window);
  g_autoptr(NavetteRecord) first = g_list_model_get_item (model, 0);

  return !navette_replica_model_get_loading (NAVETTE_REPLICA_MODEL (model)) && all_rows_read (lookup->f) &&
         g_strcmp0 (navette_record_get_string (first, "name"), lookup->name) != 0 &&
         find_record (lookup->f, "name", lookup->name) != NULL;
}

/* The sidebar row of @table shows @count and is read as "TITLE, COUNT
 * records" (its accessible name). */
static gboolean
sidebar_says (gpointer data)
{
  CountWait *wait = data;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (wait->f->window->sidebar_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (NAVETTE_IS_SIDEBAR_ROW (row))
      {
        NavetteTable *table = navette_sidebar_row_get_table (NAVETTE_SIDEBAR_ROW (row));
        g_autofree char *said = NULL;
        g_autofree char *wrong = NULL;

        if (g_strcmp0 (navette_table_get_name (table), wait->table) != 0)
          continue;
        said = g_strdup_printf ("%s, %s records", navette_table_get_title (table), wait->count);
        wrong = gtk_test_accessible_check_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, said);
        return navette_test_find_label (row, wait->count) != NULL && wrong == NULL;
      }
  return FALSE;
}

/* The column view's list (GTK 4.8: its child after the header). */
static GtkWidget *
list_of (Fixture *f)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (f->window->column_view));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      return child;
  g_assert_not_reached ();
}

/* @lookup's record (by name) is the selected row, and its row is drawn
 * within the list's visible height. */
static gboolean
selected_in_view (gpointer data)
{
  Lookup *lookup = data;
  NavetteRecord *selected = gtk_single_selection_get_selected_item (lookup->f->window->selection);
  GtkWidget *list = list_of (lookup->f);
  GtkWidget *label = navette_test_find_label (list, lookup->name);
  graphene_rect_t bounds;

  return selected != NULL && g_strcmp0 (navette_record_get_string (selected, "name"), lookup->name) == 0 &&
         label != NULL && gtk_widget_get_mapped (label) &&
         gtk_widget_compute_bounds (label, list, &bounds) &&
         bounds.origin.y >= 0 && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list);
}

/* Ctrl+N while the server is stopped: the record saved is in the list at
 * once (first, waiting, selected), not only in the header's count, and
 * the sidebar counts it; once the server is back it is sent and synced,
 * and listed once, among the others, still selected. Driven by keys, as
 * a person would. */
static void
test_replica_new_offline (void)
{
  Fixture f = { 0 };
  char *data_dir = open_replica_for_keys (&f);
  Lookup created = { &f, "Zinc bucket" };
  CountWait six = { &f, "products", "6" };
  CountWait seven = { &f, "products", "7" };
  g_autoptr(NavetteRecord) record = NULL;

  wait_until (sidebar_says, &six, "the sidebar counting 6 products");
  navette_test_server_stop (f.server);
  create_by_keys (&created);

  record = find_record (&f, "name", "Zinc bucket");
  g_assert_nonnull (record);
  g_object_ref (record);
  g_assert_cmpstr (name_at (&f, 0), ==, "Zinc bucket");
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, 7);
  wait_until (record_waiting, record, "the create to wait");
  g_assert_cmpstr (gtk_label_get_label (f.window->sync_label), ==, "Offline — 1 change waiting");
  wait_until (name_painted, &created, "the new record painted in the list");
  /* The sidebar counts the rows listed, the one not sent yet included. */
  wait_until (sidebar_says, &seven, "the sidebar counting the record not sent");
  /* The new record is the selected row. */
  wait_until (selected_in_view, &created, "the new record selected");

  /* The server back: sent, synced, listed once among the others, still
   * selected (the same object, moved), counted once. */
  navette_test_server_restart (f.server);
  wait_until (record_synced, record, "the create to be sent");
  wait_until (created_in_rows_once, &created, "the record synced into the list");
  g_assert_true (find_record (&f, "name", "Zinc bucket") == record);
  wait_until (selected_in_view, &created, "the record still selected at its place");
  wait_until (sidebar_says, &seven, "the sidebar counting it once synced");
  g_assert_cmpuint (n_failed (&f), ==, 0);
  fixture_close_replica (&f, data_dir);
}

/* The list scrolled to its end (@data: a Fixture). */
static gboolean
scrolled_to_end (gpointer data)
{
  Fixture *f = data;
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list_of (f)));
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (end <= 0)
    return FALSE;
  gtk_adjustment_set_value (adjustment, end);
  return gtk_adjustment_get_value (adjustment) >= end - 1;
}

/* More rows than a short window shows, the list scrolled to its end:
 * Ctrl+N, a name, Ctrl+S; the new record (first: created here) is
 * selected and scrolled into view; once synced it moves to its sorted
 * place, still selected and in view. */
static void
test_replica_new_in_view (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  char *data_dir = g_dir_make_tmp ("navette-ui-replica-XXXXXX", &error);
  g_autofree char *token = NULL;
  Lookup created = { &f, "Zinc bucket" };
  NavetteRecord *record;

  g_assert_no_error (error);
  f.server = navette_test_server_start (NULL);
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"Filler %02u\"}}", i);

      g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                              token, body, NULL, NULL), ==, 201);
    }
  f.engine = engine_for (f.server, "alice", data_dir);
  f.window = navette_test_window_open (f.engine, "catalogue", "products", 1100, 420);
  g_assert_nonnull (_navette_window_get_feed (f.window));
  wait_until (all_rows_read, &f, "the rows read");
  navette_test_focus_window (GTK_WIDGET (f.window));
  navette_test_wait_settled (GTK_WIDGET (f.window->column_view));
  wait_until (scrolled_to_end, &f, "the list scrolled to its end");

  create_by_keys (&created);
  record = find_record (&f, "name", "Zinc bucket");
  g_assert_nonnull (record);
  wait_until (selected_in_view, &created, "the new record selected and in view");

  wait_until (record_synced, record, "the create to be sent");
  wait_until (created_left_top, &created, "the record synced into its place");
  wait_until (selected_in_view, &created, "the record selected and in view at its place");
  g_assert_cmpuint (n_failed (&f), ==, 0);
  fixture_close_replica (&f, data_dir);
}

/* The Archive view through the replica: its archived filter. */
static void
test_replica_archive (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "alice");
  g_autoptr(NavetteRecord) record = NULL;
  Lookup rows = { &f, GUINT_TO_POINTER (5) };

  wait_until (all_rows_read, &f, "the rows read");
  record = g_object_ref (find_record (&f, "name", "Moulin à café manuel"));
  navette_window_open_record (f.window, record);
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.archive", NULL);
  wait_until (record_synced, record, "the archive saved");
  wait_until (n_rows_is, &rows, "the archived row gone from the view");
  g_assert_null (find_record (&f, "name", "Moulin à café manuel"));

  /* The header's toggle: only the archived record, the same object. */
  navette_test_wait_settled (GTK_WIDGET (f.window->archived_button));
  navette_test_click (f.window->archived_button);
  rows.name = GUINT_TO_POINTER (1);
  wait_until (n_rows_is, &rows, "the Archive view");
  g_assert_true (find_record (&f, "name", "Moulin à café manuel") == record);
  g_assert_cmpint (navette_replica_model_get_view (NAVETTE_REPLICA_MODEL (_navette_window_get_view_model (f.window)))->archived,
                   ==, NAVETTE_REPLICA_ARCHIVED_ONLY);

  /* Restore (its row's button's action): listed with the others again. */
  gtk_widget_activate_action (GTK_WIDGET (f.window), "window.restore-record", "s", navette_record_get_id (record));
  wait_until (record_synced, record, "the restore saved");
  rows.name = GUINT_TO_POINTER (0);
  wait_until (n_rows_is, &rows, "the Archive view empty");
  /* (the pointer leaves the toggle first: see test_replica_sort) */
  navette_test_click (GTK_WIDGET (f.window->table_title));
  navette_test_click (f.window->archived_button);
  rows.name = GUINT_TO_POINTER (6);
  wait_until (n_rows_is, &rows, "every row again");
  fixture_close_replica (&f, data_dir);
}

typedef struct
{
  Fixture    *f;
  const char *text;
} ToastWait;

static gboolean
toast_is (gpointer data)
{
  ToastWait *wait = data;

  return g_strcmp0 (wait->f->window->last_toast, wait->text) == 0;
}

static gboolean
shown_highlighted (gpointer data)
{
  Lookup *lookup = data;
  NavetteRecord *record = find_record (lookup->f, "name", lookup->name);

  return record != NULL && record_highlighted (GTK_WIDGET (lookup->f->window->column_view), record);
}

static gboolean
pane_shows (gpointer data)
{
  Lookup *lookup = data;
  NavetteRecord *record = find_record (lookup->f, "name", lookup->name);

  return record != NULL && navette_record_pane_get_record (_navette_window_get_pane (lookup->f->window)) == record;
}

/* Another user's write, through the replica: the row comes in, who
 * changed it is said, the row stands out, and Show opens it. */
static void
test_replica_others (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "bob");
  g_autofree char *token = NULL;
  g_autoptr(GBytes) body = NULL;
  Lookup lookup = { &f, "Written elsewhere" };
  ToastWait toast = { &f, "admin changed Written elsewhere" };

  wait_until (all_rows_read, &f, "the rows read");
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                          token, "{\"data\": {\"name\": \"Written elsewhere\", \"price\": 3.5}}",
                                          &body, NULL), ==, 201);
  wait_until (record_shown, &lookup, "the external write");
  wait_until (toast_is, &toast, "the toast saying who");
  wait_until (shown_highlighted, &lookup, "the row highlighted");
  g_assert_nonnull (f.window->remote_toast);
  g_signal_emit_by_name (f.window->remote_toast, "button-clicked");
  wait_until (pane_shows, &lookup, "Show to open the record");
  fixture_close_replica (&f, data_dir);
}

typedef struct
{
  char     *seen;      /* the loading page's text during the first sync */
  gboolean  animated;  /* a spinner spun while the rows were counted */
} ProgressSeen;

static void
rows_synced_cb (NavetteReplicaFeed *feed,
                GParamSpec         *pspec,
                ProgressSeen       *progress)
{
  NavetteWindow *window = g_object_get_data (G_OBJECT (feed), "test-window");

  if (navette_replica_feed_get_rows_synced (feed) == 0 || navette_replica_feed_get_synced (feed))
    return;
  if (progress->seen == NULL &&
      g_strcmp0 (_navette_window_get_page (window), "loading") == 0 &&
      gtk_widget_get_visible (GTK_WIDGET (window->loading_label)))
    progress->seen = g_strdup (gtk_label_get_label (window->loading_label));
  /* From the second page on (the window has seen the first): the count
   * is the progress, nothing animates (each frame of an animation is a
   * frame of the whole window, CPU taken from the sync under software
   * GL: docs/replica.md, "First sync, fourth round"). */
  if (navette_replica_feed_get_rows_synced (feed) > 10000 &&
      (gtk_spinner_get_spinning (window->loading_spinner) ||
       gtk_spinner_get_spinning (window->sync_spinner)))
    progress->animated = TRUE;
}

static gboolean
feed_synced (gpointer data)
{
  return navette_replica_feed_get_synced (NAVETTE_REPLICA_FEED (data));
}

static void
test_replica_progress (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  ProgressSeen progress = { 0 };
  NavetteStore *store;
  NavetteTable *table;
  NavetteReplicaFeed *feed;

  if (!navette_test_need_sqlite ("rows are added with plain SQL"))
    return;
  data_dir = g_dir_make_tmp ("navette-ui-replica-XXXXXX", &error);
  g_assert_no_error (error);
  f.server = navette_test_server_start (NULL);
  /* Three pages of the server's (10 000 rows each). */
  navette_test_sqlite_exec (f.server,
                            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000) "
                            "INSERT INTO \"catalogue.products\" (name, price, stock, published) "
                            "SELECT 'Product number ' || x, x * 0.25, x, x % 2 FROM c");
  f.engine = engine_for (f.server, "bob", data_dir);
  f.window = navette_window_new (NULL);
  gtk_window_present (GTK_WINDOW (f.window));
  navette_window_set_engine (f.window, f.engine);
  wait_until (store_loaded, &f, "the tables");
  store = navette_engine_lookup_store (f.engine, "catalogue");
  table = navette_store_lookup_table (store, "products");
  /* The feed is the engine's: watched before the window opens it. */
  feed = navette_engine_open_feed (f.engine, table);
  g_object_set_data (G_OBJECT (feed), "test-window", f.window);
  g_signal_connect (feed, "notify::rows-synced", G_CALLBACK (rows_synced_cb), &progress);
  g_assert_true (navette_window_select_table (f.window, "catalogue", "products"));
  g_assert_true (_navette_window_get_feed (f.window) == feed);

  /* While the first sync runs: the loading page says how many rows so
   * far, without spinners once it counts; then the rows. */
  wait_until (feed_synced, feed, "the first sync");
  g_assert_nonnull (progress.seen);
  g_assert_nonnull (strstr (progress.seen, "rows so far"));
  g_assert_false (progress.animated);
  g_free (progress.seen);
  wait_until (page_is_records, &f, "the records page");
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, 25006);
  g_signal_handlers_disconnect_by_func (feed, rows_synced_cb, &progress);
  fixture_close (&f);
  navette_test_rm_rf (data_dir);
}

/* ---- Start from the replica ---- */

/* The sidebar row of @table shows @count (its rows in the replica). */
static gboolean
sidebar_counts (gpointer data)
{
  CountWait *wait = data;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (wait->f->window->sidebar_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (NAVETTE_IS_SIDEBAR_ROW (row) &&
        g_strcmp0 (navette_table_get_name (navette_sidebar_row_get_table (NAVETTE_SIDEBAR_ROW (row))),
                   wait->table) == 0)
      return navette_test_find_label (row, wait->count) != NULL;
  return FALSE;
}

static gboolean
structure_kept (gpointer data)
{
  NavetteReplica *replica = navette_engine_get_replica (data);
  g_autofree char *apps = replica != NULL ? navette_replica_dup_meta (replica, "applications", NULL) : NULL;

  return apps != NULL;
}

static gboolean
feed_synced_and_read (gpointer data)
{
  Fixture *f = data;
  NavetteReplicaFeed *feed = _navette_window_get_feed (f->window);

  return feed != NULL && navette_replica_feed_get_synced (feed) && all_rows_read (f);
}

/* Navette started again on alice's replica in @data_dir, the server not
 * answering: a new engine opens the saved account, a new window shows
 * the products from it (the caller has closed the window and dropped the
 * engine of before). */
static void
start_again_offline (Fixture    *f,
                     const char *data_dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  f->engine = navette_engine_new (f->server->base_url);
  navette_engine_set_data_dir (f->engine, data_dir);
  navette_engine_open_saved_async (f->engine, "alice", NULL, store_result_cb, &result);
  wait_until (result_ready, &result, "the replica opened");
  g_assert_true (navette_engine_open_saved_finish (f->engine, result, &error));
  g_assert_no_error (error);
  f->window = navette_window_new (NULL);
  navette_window_set_initial_table (f->window, "catalogue/products");
  gtk_window_present (GTK_WINDOW (f->window));
  navette_window_show_cached (f->window, f->engine);
}

/* The server back: alice signs in, the engine loads and the window
 * takes it, as the application does. */
static void
sign_in_and_load (Fixture *f)
{
  NavetteSession *session = navette_engine_get_session (f->engine);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  navette_session_login_async (session, "alice", NAVETTE_DEMO_PASSWORD, NULL, store_result_cb, &result);
  wait_until (result_ready, &result, "the login");
  g_assert_true (navette_session_login_finish (session, result, &error));
  g_clear_object (&result);
  navette_engine_load_async (f->engine, NULL, store_result_cb, &result);
  wait_until (result_ready, &result, "the applications");
  g_assert_true (navette_engine_load_finish (f->engine, result, &error));
  g_assert_no_error (error);
  navette_window_set_engine (f->window, f->engine);
}

/* The sidebar counts the rows the replica holds (no table is loaded in
 * memory), again after a sync; a start with the server stopped shows the
 * replica's rows at once, read-only, and goes live once it is back. */
static void
test_replica_offline_start (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "alice");
  g_autofree char *token = NULL;
  CountWait six = { &f, "products", "6" };
  CountWait seven = { &f, "products", "7" };
  NavetteTable *table;

  wait_until (all_rows_read, &f, "the rows read");
  wait_until (sidebar_counts, &six, "the sidebar counting 6 products");
  g_assert_false (navette_table_get_loaded (navette_window_get_table (f.window)));
  token = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  g_assert_cmpuint (navette_test_request (f.server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                          token, "{\"data\": {\"name\": \"Kept for later\", \"price\": 4.5}}",
                                          NULL, NULL), ==, 201);
  wait_until (sidebar_counts, &seven, "the sidebar counting 7 products after the sync");
  wait_until (structure_kept, f.engine, "the applications kept in the replica");

  /* Quit; start again with the server stopped. */
  gtk_window_destroy (GTK_WINDOW (f.window));
  g_clear_object (&f.engine);
  navette_test_server_stop (f.server);
  start_again_offline (&f, data_dir);

  wait_until (page_is_records, &f, "the records page from the replica");
  wait_until (all_rows_read, &f, "the replica's rows read");
  g_assert_nonnull (_navette_window_get_feed (f.window));
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, 7);
  g_assert_nonnull (find_record (&f, "name", "Kept for later"));
  g_assert_nonnull (find_record (&f, "name", "Moulin à café manuel"));
  wait_until (sidebar_counts, &seven, "the sidebar counting the replica's 7 products");
  table = navette_window_get_table (f.window);
  g_assert_false (navette_table_get_loaded (table));
  g_assert_true (navette_table_get_cached (table));
  g_assert_false (navette_replica_feed_get_syncing (_navette_window_get_feed (f.window)));
  g_assert_cmpstr (gtk_label_get_label (f.window->sync_label), ==, "Showing saved data");
  /* alice is an editor (the role kept in the replica): she can edit
   * before the engine is loaded, the edits kept in the journal. */
  g_assert_true (gtk_widget_is_sensitive (f.window->new_button));

  /* The server is back: the same table goes live and syncs. */
  navette_test_server_restart (f.server);
  sign_in_and_load (&f);
  wait_until (feed_synced_and_read, &f, "the feed synced once loaded");
  g_assert_true (navette_window_get_table (f.window) == table);
  g_assert_false (navette_table_get_cached (table));
  g_assert_true (gtk_widget_is_sensitive (f.window->new_button));
  fixture_close_replica (&f, data_dir);
}

static void
journal_flushed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (navette_engine_flush_journal_finish (NAVETTE_ENGINE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

typedef struct
{
  Fixture    *f;
  const char *text;
} LabelWait;

static gboolean
sync_label_is (gpointer data)
{
  LabelWait *wait = data;

  return g_strcmp0 (gtk_label_get_label (wait->f->window->sync_label), wait->text) == 0;
}

/* Both records created offline left the head of the list, each listed
 * once among the replica's rows (8 in all). */
static gboolean
both_in_rows_once (gpointer data)
{
  Fixture *f = data;
  GListModel *model = _navette_window_get_view_model (f->window);
  guint zinc = 0, copper = 0;

  if (navette_replica_model_get_loading (NAVETTE_REPLICA_MODEL (model)) || !all_rows_read (f) ||
      g_list_model_get_n_items (model) != 8)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);
      const char *name = navette_record_get_string (record, "name");

      if (navette_record_get_version (record) == 0)
        return FALSE;
      zinc += g_strcmp0 (name, "Zinc bucket") == 0;
      copper += g_strcmp0 (name, "Copper kettle") == 0;
    }
  return zinc == 1 && copper == 1;
}

/* A record created with Ctrl+N while the server is stopped is in the
 * journal when Navette quits; started again with the server still
 * stopped, the list shows it at once, first, waiting — with the count
 * in the header — not only the replica's rows. An editor can create
 * another meanwhile: it waits too. Once the server is back and the
 * engine loaded both are sent, and listed once each. */
static void
test_replica_offline_start_journal (void)
{
  Fixture f = { 0 };
  char *data_dir = fixture_open_replica (&f, "alice");
  Lookup created = { &f, "Zinc bucket" };
  Lookup later = { &f, "Copper kettle" };
  LabelWait offline = { &f, "Offline — 1 change waiting" };
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(NavetteRecord) second = NULL;
  gboolean flushed = FALSE;

  wait_until (all_rows_read, &f, "the rows read");
  wait_until (structure_kept, f.engine, "the applications kept in the replica");
  navette_test_server_stop (f.server);
  navette_test_focus_window (GTK_WIDGET (f.window));
  navette_test_wait_settled (GTK_WIDGET (f.window->column_view));
  navette_test_key ("ctrl+n");
  wait_until (new_record_ready, &f, "the new record's pane");
  navette_test_type ("Zinc bucket");
  wait_until (name_typed, &created, "the name typed");
  navette_test_key ("ctrl+s");
  wait_until (pane_closed, &f, "the pane closed on save");
  record = g_object_ref (find_record (&f, "name", "Zinc bucket"));
  wait_until (record_waiting, record, "the create to wait");
  navette_engine_flush_journal_async (f.engine, NULL, journal_flushed_cb, &flushed);
  wait_until (flag_set, &flushed, "the journal on the disk");
  g_clear_object (&record);

  /* Quit ("Quit Anyway"); start again, the server still stopped. */
  gtk_window_destroy (GTK_WINDOW (f.window));
  g_clear_object (&f.engine);
  start_again_offline (&f, data_dir);
  /* What the application does when the session cannot be restored:
   * the server cannot be reached. */
  navette_poller_report_unreachable (navette_engine_get_poller (f.engine));

  wait_until (page_is_records, &f, "the records page from the replica");
  wait_until (all_rows_read, &f, "the replica's rows read");
  g_assert_cmpuint (g_list_model_get_n_items (_navette_window_get_view_model (f.window)), ==, 7);
  g_assert_cmpstr (name_at (&f, 0), ==, "Zinc bucket");
  record = g_object_ref (find_record (&f, "name", "Zinc bucket"));
  g_assert_cmpint (navette_record_get_sync_state (record), ==, NAVETTE_SYNC_STATE_WAITING);
  wait_until (name_painted, &created, "the record created painted in the list");
  wait_until (sync_label_is, &offline, "the header counting the change waiting");

  /* alice is an editor: another record made now, before any server
   * answer, waits with the first. */
  g_assert_true (gtk_widget_is_sensitive (f.window->new_button));
  navette_test_focus_window (GTK_WIDGET (f.window));
  navette_test_wait_settled (GTK_WIDGET (f.window->column_view));
  navette_test_key ("ctrl+n");
  wait_until (new_record_ready, &f, "the new record's pane at the offline start");
  navette_test_type ("Copper kettle");
  wait_until (name_typed, &later, "the second name typed");
  navette_test_key ("ctrl+s");
  wait_until (pane_closed, &f, "the pane closed on save");
  second = g_object_ref (find_record (&f, "name", "Copper kettle"));
  wait_until (record_waiting, second, "the second create to wait");
  offline.text = "Offline — 2 changes waiting";
  wait_until (sync_label_is, &offline, "the header counting both");

  /* The server is back: sent once, listed once among the others. */
  navette_test_server_restart (f.server);
  sign_in_and_load (&f);
  wait_until (record_synced, record, "the create to be sent");
  wait_until (record_synced, second, "the second create to be sent");
  wait_until (both_in_rows_once, &f, "the records synced into the list");
  g_assert_cmpuint (n_failed (&f), ==, 0);
  fixture_close_replica (&f, data_dir);
}

int
main (int   argc,
      char *argv[])
{
  /* No accessibility bus in CI (GTK 4 would complain, fatal here): the
   * test context, which keeps the accessible properties for
   * gtk_test_accessible_*() to read. */
  navette_test_ui_setenv ("test");

  /* The CI runs these under Xvfb; without a display there is nothing to
   * test. */
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    return navette_test_run_skipped (&argc, &argv, "/ui/no-display", "No display: run under Xvfb (DISPLAY=…)");

  navette_test_gtk_init (&argc, &argv);

  g_test_add_func ("/ui/reader-editor", test_reader_editor);
  g_test_add_func ("/ui/edit-optimistic", test_edit_optimistic);
  g_test_add_func ("/ui/create", test_create);
  g_test_add_func ("/ui/search", test_search);
  g_test_add_func ("/ui/rejected/validation", test_rejected_validation);
  g_test_add_func ("/ui/rejected/forbidden", test_rejected_forbidden);
  g_test_add_func ("/ui/offline/kept", test_offline_kept);
  g_test_add_func ("/ui/pane-title", test_pane_title);
  g_test_add_func ("/ui/journal-failure", test_journal_failure);
  g_test_add_func ("/ui/external-write", test_external_write);
  g_test_add_func ("/ui/restore", test_restore);
  g_test_add_func ("/ui/archive-undo", test_archive_undo);
  g_test_add_func ("/ui/push-indicator", test_push_indicator);
  g_test_add_func ("/ui/live/schema", test_live_schema);
  g_test_add_func ("/ui/live/roles", test_live_roles);
  g_test_add_func ("/ui/accessible-names", test_accessible_names);
  g_test_add_func ("/ui/archive-view", test_archive_view);
  g_test_add_func ("/ui/long-text", test_long_text);
  g_test_add_func ("/ui/fold-unfold", test_fold_unfold);
  g_test_add_func ("/ui/account-menu", test_account_menu);
  g_test_add_func ("/ui/replica/rows", test_replica_rows);
  g_test_add_func ("/ui/replica/sort", test_replica_sort);
  g_test_add_func ("/ui/replica/search", test_replica_search);
  g_test_add_func ("/ui/replica/edit", test_replica_edit);
  g_test_add_func ("/ui/replica/new-while-searching", test_replica_new_while_searching);
  g_test_add_func ("/ui/replica/new-offline", test_replica_new_offline);
  g_test_add_func ("/ui/replica/new-in-view", test_replica_new_in_view);
  g_test_add_func ("/ui/replica/progress", test_replica_progress);
  g_test_add_func ("/ui/replica/others", test_replica_others);
  g_test_add_func ("/ui/replica/archive", test_replica_archive);
  g_test_add_func ("/ui/replica/offline-start", test_replica_offline_start);
  g_test_add_func ("/ui/replica/offline-start-journal", test_replica_offline_start_journal);

  return g_test_run ();
}
