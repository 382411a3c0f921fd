/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-session.c — the application against a team server: it asks for the
 * password (no saved token), opens the window; when the session expires,
 * the saves refused are rolled back into the failed changes with one
 * discreet toast, ONE sign-in dialog appears, a change made meanwhile
 * waits, and after signing in again the refused changes are sent again,
 * then the waiting one. The server runs with --token-lifetime 15: the
 * window must load its tables before the session ends, and a sign-in
 * (the password's hash) took 8.8 s on a loaded machine, where 4 s had
 * the session over before the first tables were read.
 * Connecting again while the applications load never shows the cancelled
 * load as an error. */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <adwaita.h>

#include "navette-application.h"
#include "navette-sign-in-dialog.h"
#include "navette-test-dirs.h"
#include "navette-test-input.h"
#include "navette-test-outbox.h"
#include "navette-test-server.h"
#include "navette-window-private.h"


static gboolean timed_out;

static gboolean
timeout_cb (gpointer data)
{
  timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static guint
count_dialogs (NavetteSignInDialog **last)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (NAVETTE_IS_SIGN_IN_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        {
          n++;
          if (last != NULL)
            *last = NAVETTE_SIGN_IN_DIALOG (window);
        }
    }
  return n;
}

static gboolean
dialog_shown (gpointer data)
{
  return count_dialogs (NULL) > 0;
}

static gboolean
no_dialog (gpointer data)
{
  return count_dialogs (NULL) == 0;
}

static NavetteWindow *
find_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (NAVETTE_IS_WINDOW (window))
        return NAVETTE_WINDOW (window);
    }
  return NULL;
}

static gboolean
records_shown (gpointer data)
{
  NavetteWindow *window = find_window ();

  return window != NULL && g_strcmp0 (_navette_window_get_page (window), "records") == 0;
}

static gboolean
change_succeeded (gpointer data)
{
  return navette_change_get_state (NAVETTE_CHANGE (data)) == NAVETTE_CHANGE_STATE_SUCCEEDED;
}

static gboolean
session_over (gpointer data)
{
  NavetteSession *session = data;

  return g_get_real_time () > navette_session_get_expires_at (session) + G_USEC_PER_SEC / 2;
}

static gboolean
catalogue_loaded (gpointer data)
{
  NavetteStore *store = navette_engine_lookup_store (NAVETTE_ENGINE (data), "catalogue");

  return store != NULL && navette_store_get_loaded (store);
}

static gboolean
change_finished (gpointer data)
{
  return navette_change_is_finished (NAVETTE_CHANGE (data));
}

static gboolean
change_waiting (gpointer data)
{
  return navette_change_get_waiting (NAVETTE_CHANGE (data));
}

typedef struct
{
  NavetteWindow *window;
  guint          position;
} Row;

static gboolean
row_read (gpointer data)
{
  Row *row = data;
  g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (row->window),
                                                           row->position);

  return record != NULL && navette_record_get_id (record)[0] != '\0';
}

/* The record at @position as the store edits it: through the replica a
 * row is read in batches (a placeholder until then), and joins the
 * engine's table (adopted) before an edit, as the record pane does. */
static NavetteRecord *
row_for_edit (NavetteWindow *window,
              guint          position)
{
  Row row = { window, position };
  g_autoptr(NavetteRecord) record = NULL;
  NavetteRecord *own;

  navette_test_wait_until (row_read, &row, "the row read");
  record = g_list_model_get_item (_navette_window_get_view_model (window), position);
  own = _navette_window_lookup_record (window, navette_record_get_id (record));
  g_assert_true (own == record);
  return g_steal_pointer (&record);
}

static NavetteChange *
set_published (NavetteWindow *window,
               NavetteRecord *record,
               gboolean       published)
{
  g_autoptr(JsonObject) data = json_object_new ();

  json_object_set_boolean_member (data, "published", published);
  return navette_store_update (navette_window_get_store (window), navette_window_get_table (window),
                               navette_record_get_id (record), data);
}

static void
test_session_expired (void)
{
  const char *args[] = { "--token-lifetime", "15", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(NavetteApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteChange) change1 = NULL;
  g_autoptr(NavetteChange) change2 = NULL;
  g_autoptr(NavetteChange) later = NULL;
  g_autoptr(NavetteRecord) record1 = NULL;
  g_autoptr(NavetteRecord) record2 = NULL;
  g_autoptr(JsonObject) stock = json_object_new ();
  NavetteSignInDialog *dialog = NULL;
  NavetteWindow *window;
  NavetteEngine *engine;
  gboolean published1, published2;
  guint timer;

  /* A team server, a known user, no saved token; nothing saved by an
   * earlier test, whose server may have had this port (its rows would
   * show before the sign-in). */
  navette_test_dirs_reset ();
  g_settings_set_string (settings, "server-url", server->base_url);
  g_settings_set_string (settings, "username", "alice");

  app = navette_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  /* The sign-in dialog, with the user name filled in. */
  navette_test_wait_until (dialog_shown, NULL, "the sign-in dialog");
  g_assert_cmpuint (count_dialogs (&dialog), ==, 1);
  g_assert_cmpstr (navette_sign_in_dialog_get_username (dialog), ==, "alice");
  navette_sign_in_dialog_submit (dialog, "alice", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (records_shown, NULL, "the records");
  g_assert_cmpuint (count_dialogs (NULL), ==, 0);
  window = find_window ();
  engine = navette_window_get_engine (window);
  navette_test_wait_until (catalogue_loaded, engine, "the tables of the catalogue");
  g_assert_true (navette_window_select_table (window, "catalogue", "products"));
  navette_test_wait_until (records_shown, NULL, "the products");
  /* No light check meanwhile: the saves are the first requests to meet
   * the end of the session. */
  navette_poller_set_interval_ms (navette_engine_get_poller (engine), 3600 * 1000);

  /* The session runs out; a save is refused (401): it is rolled back
   * into the failed changes, a discreet toast says the session expired,
   * and ONE dialog asks for the password. */
  navette_test_wait_until (session_over, navette_engine_get_session (engine), "the end of the session");
  record1 = row_for_edit (window, 0);
  record2 = row_for_edit (window, 1);
  published1 = navette_record_get_boolean (record1, "published");
  published2 = navette_record_get_boolean (record2, "published");
  change1 = set_published (window, record1, !published1);
  navette_test_wait_until (change_finished, change1, "the refusal");
  navette_test_wait_until (dialog_shown, NULL, "the sign-in dialog again");
  g_assert_cmpint (navette_change_get_state (change1), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_error (navette_change_get_error (change1), NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED);
  g_assert_cmpint (navette_record_get_boolean (record1, "published"), ==, published1);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 1);
  g_assert_nonnull (strstr (window->last_toast, "Your session has expired"));

  /* Made meanwhile, on another record and on the same one: not sent with
   * the dead token, kept applied. */
  change2 = set_published (window, record2, !published2);
  navette_test_wait_until (change_waiting, change2, "the second change to wait");
  json_object_set_int_member (stock, "stock", 77);
  later = navette_store_update (navette_window_get_store (window), navette_window_get_table (window),
                                navette_record_get_id (record1), stock);
  navette_test_wait_until (change_waiting, later, "the later change to wait");
  g_assert_cmpuint (navette_change_get_attempts (later), ==, 0);
  g_assert_cmpuint (navette_change_get_attempts (change2), ==, 0);
  g_assert_cmpint (navette_record_get_int (record1, "stock"), ==, 77);

  navette_poller_refresh (navette_engine_get_poller (engine));
  timer = g_timeout_add (500, timeout_cb, NULL);
  timed_out = FALSE;
  while (!timed_out)
    g_main_context_iteration (NULL, TRUE);
  (void) timer;
  g_assert_cmpuint (count_dialogs (&dialog), ==, 1);

  /* Signed in again: the refused change is sent again (same key), then
   * those that waited. */
  navette_sign_in_dialog_submit (dialog, "alice", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (change_succeeded, change1, "the refused change, sent again");
  navette_test_wait_until (change_succeeded, change2, "the second change");
  navette_test_wait_until (change_succeeded, later, "the change that waited");
  g_assert_cmpint (navette_record_get_boolean (record1, "published"), ==, !published1);
  g_assert_cmpint (navette_record_get_boolean (record2, "published"), ==, !published2);
  g_assert_cmpint (navette_record_get_int (record1, "stock"), ==, 77);
  navette_test_wait_until (no_dialog, NULL, "the dialog to close");
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (engine)), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

typedef struct
{
  NavetteApplication *app;
  NavetteWindow      *window;
  NavetteEngine      *first;      /* (expired-other-user) the engine of before */
  guint               n_errors;
  char               *error_text;
} Reconnect;

static gboolean
load_on_its_way (gpointer data)
{
  Reconnect *r = data;
  NavetteEngine *engine = navette_application_get_engine (r->app);

  /* Signed in (POST /sessions), and GET /applications sent. */
  return engine != NULL && navette_session_get_signed_in (navette_engine_get_session (engine)) &&
         navette_client_get_requests (navette_engine_get_client (engine)) >= 2;
}

/* The sign-in dialog of @window (the application of the test before may
 * still show its own). */
static NavetteSignInDialog *
dialog_of (NavetteWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (NAVETTE_IS_SIGN_IN_DIALOG (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)) &&
          gtk_window_get_transient_for (toplevel) == GTK_WINDOW (window))
        return NAVETTE_SIGN_IN_DIALOG (toplevel);
    }
  return NULL;
}

static gboolean
reconnect_dialog_shown (gpointer data)
{
  Reconnect *r = data;

  return dialog_of (r->window) != NULL;
}

static gboolean
reconnect_records_or_dialog (gpointer data)
{
  Reconnect *r = data;

  return g_strcmp0 (_navette_window_get_page (r->window), "records") == 0 || dialog_of (r->window) != NULL;
}

static gboolean
reconnect_records (gpointer data)
{
  Reconnect *r = data;

  return g_strcmp0 (_navette_window_get_page (r->window), "records") == 0;
}

static void
page_cb (GtkStack   *stack,
         GParamSpec *pspec,
         Reconnect  *r)
{
  if (g_strcmp0 (_navette_window_get_page (r->window), "error") != 0)
    return;
  r->n_errors++;
  g_free (r->error_text);
  r->error_text = g_strdup (adw_status_page_get_description (r->window->error_page));
}

/* Connecting again (another server, a new certificate authority file)
 * while the applications are loading cancels that load: the window goes
 * on to the new connection and never shows the cancelled one as an error
 * ("Operation was cancelled"). Each answer of the server takes 400 ms. */
static void
test_session_reconnect_during_load (void)
{
  const char *args[] = { "--response-delay", "400", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteEngine) first = NULL;
  Reconnect r = { 0 };
  NavetteWindow *window;

  navette_test_dirs_reset ();
  g_settings_set_string (settings, "server-url", server->base_url);
  g_settings_set_string (settings, "username", "alice");

  r.app = navette_application_new ();
  /* Its own name on the bus: the application of the test before is still
   * registered in this process (a GApplication cannot unregister). */
  g_application_set_application_id (G_APPLICATION (r.app), APP_ID ".ReconnectTest");
  g_application_register (G_APPLICATION (r.app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (r.app));
  window = r.window = NAVETTE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (r.app)));
  g_assert_true (NAVETTE_IS_WINDOW (window));
  g_signal_connect (window->main_stack, "notify::visible-child-name", G_CALLBACK (page_cb), &r);

  navette_test_wait_until (reconnect_dialog_shown, &r, "the sign-in dialog");
  navette_sign_in_dialog_submit (dialog_of (window), "alice", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (load_on_its_way, &r, "the load of the applications");
  first = g_object_ref (navette_application_get_engine (r.app));

  g_action_group_activate_action (G_ACTION_GROUP (r.app), "reconnect", NULL);
  g_assert_true (navette_application_get_engine (r.app) != first);
  navette_test_wait_until (reconnect_records_or_dialog, &r, "the new connection");
  if (dialog_of (window) != NULL)
    {
      navette_sign_in_dialog_submit (dialog_of (window), "alice", NAVETTE_DEMO_PASSWORD);
      navette_test_wait_until (reconnect_records, &r, "the records");
    }

  g_assert_true (navette_window_get_engine (window) == navette_application_get_engine (r.app));
  g_assert_cmpstr (r.error_text, ==, NULL);
  g_assert_cmpuint (r.n_errors, ==, 0);

  g_signal_handlers_disconnect_by_data (window->main_stack, &r);
  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&r.app);
  g_free (r.error_text);
}

static guint
count_versions (NavetteTestServer *server,
                const char        *id)
{
  g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s/versions", id);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_assert_cmpuint (navette_test_request (server, "GET", path, token, NULL, &body, NULL), ==, 200);
  root = navette_test_parse (body);
  return json_array_get_length (json_object_get_array_member (json_node_get_object (root), "versions"));
}

static gboolean
other_engine_shows_records (gpointer data)
{
  Reconnect *r = data;
  NavetteEngine *engine = navette_application_get_engine (r->app);

  return engine != NULL && engine != r->first && navette_window_get_engine (r->window) == engine &&
         g_strcmp0 (_navette_window_get_page (r->window), "records") == 0;
}

/* The session of alice expires with a change refused; bob signs in in
 * the one dialog. The window goes on as bob, with a new engine: alice's
 * change is never sent with bob's session (it waits in alice's journal
 * for her next sign-in). */
static void
test_session_expired_other_user (void)
{
  const char *args[] = { "--token-lifetime", "15", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteChange) change = NULL;
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(NavetteEngine) first = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *journal_text = NULL;
  Reconnect r = { 0 };
  NavetteWindow *window;
  guint n_versions;

  navette_test_dirs_reset ();
  g_settings_set_string (settings, "server-url", server->base_url);
  g_settings_set_string (settings, "username", "alice");

  r.app = navette_application_new ();
  /* Its own name on the bus (see test_session_reconnect_during_load). */
  g_application_set_application_id (G_APPLICATION (r.app), APP_ID ".OtherUserTest");
  g_application_register (G_APPLICATION (r.app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (r.app));
  window = r.window = NAVETTE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (r.app)));
  navette_test_wait_until (reconnect_dialog_shown, &r, "the sign-in dialog");
  navette_sign_in_dialog_submit (dialog_of (window), "alice", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (reconnect_records, &r, "the records");
  first = g_object_ref (navette_application_get_engine (r.app));
  navette_test_wait_until (catalogue_loaded, first, "the tables of the catalogue");
  g_assert_true (navette_window_select_table (window, "catalogue", "products"));
  navette_test_wait_until (reconnect_records, &r, "the products");
  navette_poller_set_interval_ms (navette_engine_get_poller (first), 3600 * 1000);

  navette_test_wait_until (session_over, navette_engine_get_session (first), "the end of the session");
  record = row_for_edit (window, 0);
  n_versions = count_versions (server, navette_record_get_id (record));
  change = set_published (window, record, !navette_record_get_boolean (record, "published"));
  navette_test_wait_until (change_finished, change, "the refusal");
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_FAILED);
  journal = navette_engine_dup_journal_path (first);
  g_assert_nonnull (journal);

  /* bob signs in instead. */
  r.first = first;
  navette_test_wait_until (reconnect_dialog_shown, &r, "the sign-in dialog again");
  navette_sign_in_dialog_submit (dialog_of (window), "bob", NAVETTE_DEMO_PASSWORD);
  navette_test_wait_until (other_engine_shows_records, &r, "bob's window");
  g_assert_true (navette_application_get_engine (r.app) != first);
  g_assert_cmpstr (navette_session_get_username (navette_engine_get_session (navette_application_get_engine (r.app))),
                   ==, "bob");
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_FAILED);
  g_assert_cmpuint (count_versions (server, navette_record_get_id (record)), ==, n_versions);
  /* Kept for alice, with its key. */
  journal_text = navette_test_outbox_dump (journal);
  g_assert_nonnull (journal_text);
  g_assert_nonnull (strstr (journal_text, navette_change_get_idempotency_key (change)));

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&r.app);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");
  GSubprocess *bus;
  g_autofree char *address = NULL;
  int status;

  navette_test_ui_setenv ("none");

  if ((g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL) || dbus_daemon == NULL)
    return navette_test_run_skipped (&argc, &argv, "/session/skipped", "Needs a display and dbus-daemon");

  /* A private session bus for the application. */
  bus = navette_test_session_bus_start (&address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  navette_test_gtk_init (&argc, &argv);

  g_test_add_func ("/session/expired", test_session_expired);
  g_test_add_func ("/session/reconnect-during-load", test_session_reconnect_during_load);
  g_test_add_func ("/session/expired-other-user", test_session_expired_other_user);

  status = g_test_run ();
  navette_test_session_bus_stop (bus);
  return status;
}
