/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-editing.c — editing in the real window with real input: keys and
 * clicks sent to the X server (xdotool, XTEST) as a person types, against
 * a real navette-server. Nothing here calls the window's actions: Ctrl+S,
 * Escape, Enter and the buttons are pressed.
 *
 * What it checks: every input type saves what is typed when Ctrl+S comes
 * with the focus still in it; a change made by someone else to another
 * field survives the save, and an untouched input follows it; a touched
 * field changed by someone else raises the banner (Keep Mine / Take
 * Theirs); Escape and opening another record ask before dropping edits;
 * a save over someone's unseen change says so, and Review opens the
 * history; closing with changes not sent asks; a save refused because
 * the session expired is rolled back, said, and sent again after the next
 * sign-in, before what waited behind it. */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "navette-test-input.h"
#include "navette-test-engine.h"
#include "navette-test-server.h"
#include "navette-test-window.h"
#include "navette-window-private.h"

#define PRODUCT_1 "4e617665-7474-4500-8000-000000000101"

#define wait_until(c, d, w) navette_test_wait_until (c, d, w)
#define store_result_cb     navette_test_store_result_cb
#define result_ready        navette_test_result_ready
#define focus_window(w)     navette_test_focus_window (w)
#define wait_settled(w)     navette_test_wait_settled (w)
#define click(w)            navette_test_click (w)
#define key(k)              navette_test_key (k)
#define type(t)             navette_test_type (t)
#define find_widget(r, t, l) navette_test_find_widget (r, t, l)

/* ---- Fixture ---- */

typedef struct
{
  NavetteTestServer *server;
  NavetteEngine     *engine;
  NavetteWindow     *window;
  NavetteRecordPane *pane;
  char              *admin;
} Fixture;

/* Signs @user in on the running server and shows @app's @table in a
 * window of their own. */
static void
fixture_open_window (Fixture    *f,
                     const char *user,
                     const char *app,
                     const char *table)
{
  f->engine = navette_test_engine_new (f->server, user, NULL);
  navette_poller_set_interval_ms (navette_engine_get_poller (f->engine), 200);
  f->window = navette_test_window_open (f->engine, app, table, 1100, 720);
  f->pane = _navette_window_get_pane (f->window);
  focus_window (GTK_WIDGET (f->window));
}

static void
fixture_open_args (Fixture            *f,
                   const char * const *server_args,
                   const char         *app,
                   const char         *table)
{
  f->server = navette_test_server_start (server_args);
  f->admin = navette_test_login (f->server, "admin", NAVETTE_DEMO_PASSWORD);
  fixture_open_window (f, "alice", app, table);
}

/* Closes the window and signs out, the server running on. */
static void
fixture_close_window (Fixture *f)
{
  g_clear_pointer ((GtkWindow **) &f->window, gtk_window_destroy);
  g_clear_object (&f->engine);
}

static void
fixture_open (Fixture    *f,
              const char *app,
              const char *table)
{
  fixture_open_args (f, NULL, app, table);
}

static void
fixture_close (Fixture *f)
{
  fixture_close_window (f);
  g_clear_pointer (&f->admin, g_free);
  g_clear_pointer (&f->server, navette_test_server_free);
}

static NavetteRecord *
lookup (Fixture    *f,
        const char *id)
{
  return navette_table_lookup (navette_window_get_table (f->window), id);
}

static gboolean
pane_closed (gpointer data)
{
  Fixture *f = data;

  return navette_record_pane_get_table (f->pane) == NULL;
}

static gboolean
record_synced (gpointer data)
{
  return navette_record_get_sync_state (NAVETTE_RECORD (data)) == NAVETTE_SYNC_STATE_SYNCED;
}

/* The input of @column: the spin button, switch or text view inside its
 * row, or the entry row itself. */
static GtkWidget *
input_of (Fixture    *f,
          const char *column)
{
  GtkWidget *row = navette_record_pane_get_row (f->pane, column);
  GtkWidget *input;

  g_assert_nonnull (row);
  if ((input = find_widget (row, GTK_TYPE_SPIN_BUTTON, NULL)) != NULL ||
      (input = find_widget (row, GTK_TYPE_SWITCH, NULL)) != NULL ||
      (input = find_widget (row, GTK_TYPE_TEXT_VIEW, NULL)) != NULL ||
      (input = find_widget (row, GTK_TYPE_DROP_DOWN, NULL)) != NULL ||
      (input = find_widget (row, GTK_TYPE_TEXT, NULL)) != NULL)
    return input;
  return row;
}

/* Clicks into @column's input, replaces what it holds with @text and
 * presses Ctrl+S at once, the focus still in the field. */
static void
type_and_save (Fixture    *f,
               const char *column,
               const char *text)
{
  click (input_of (f, column));
  key ("ctrl+a");
  type (text);
  key ("ctrl+s");
  wait_until (pane_closed, f, "the save");
}

/* The server's value of @column of @id. */
static JsonNode *
server_value (Fixture    *f,
              const char *table,
              const char *id,
              const char *column)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;

  path = g_strdup_printf ("/api/v1/applications/%s/tables/%s/records/%s",
                          g_str_equal (table, "articles") ? "blog" : "catalogue", table, id);
  g_assert_cmpuint (navette_test_request (f->server, "GET", path, f->admin, NULL, &body, NULL), ==, 200);
  root = navette_test_parse (body);
  return json_node_copy (json_object_get_member (json_object_get_object_member (json_node_get_object (root),
                                                                                "data"), column));
}

/* Another person's PATCH of one column, on the current version. */
static void
change_elsewhere (Fixture    *f,
                  const char *id,
                  const char *data)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s", id);
  g_autoptr(GBytes) current = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;

  g_assert_cmpuint (navette_test_request (f->server, "GET", path, f->admin, NULL, &current, NULL), ==, 200);
  root = navette_test_parse (current);
  body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": %s}",
                          json_object_get_int_member (json_node_get_object (root), "version"), data);
  g_assert_cmpuint (navette_test_request (f->server, "PATCH", path, f->admin, body, NULL, NULL), ==, 200);
}

/* ---- Each input type, saved by Ctrl+S with the focus in it ---- */

static void
test_save_shortcut_products (void)
{
  Fixture f = { 0 };
  NavetteRecord *record;
  g_autoptr(JsonNode) stock = NULL;
  g_autoptr(JsonNode) price = NULL;
  g_autoptr(JsonNode) name = NULL;
  gboolean published;

  fixture_open (&f, "catalogue", "products");
  record = lookup (&f, PRODUCT_1);

  /* An integer typed over the old one: 40, not the 42 of before. */
  navette_window_open_record (f.window, record);
  type_and_save (&f, "stock", "40");
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 40);
  wait_until (record_synced, record, "the stock");
  stock = server_value (&f, "products", PRODUCT_1, "stock");
  g_assert_cmpint (json_node_get_int (stock), ==, 40);

  /* A real number. */
  navette_window_open_record (f.window, record);
  type_and_save (&f, "price", "12.75");
  wait_until (record_synced, record, "the price");
  price = server_value (&f, "products", PRODUCT_1, "price");
  g_assert_cmpfloat (json_node_get_double (price), ==, 12.75);

  /* A text entry. */
  navette_window_open_record (f.window, record);
  type_and_save (&f, "name", "Typed chair");
  wait_until (record_synced, record, "the name");
  name = server_value (&f, "products", PRODUCT_1, "name");
  g_assert_cmpstr (json_node_get_string (name), ==, "Typed chair");

  /* A switch, toggled with the space bar. */
  published = navette_record_get_boolean (record, "published");
  navette_window_open_record (f.window, record);
  click (input_of (&f, "published"));
  g_assert_cmpint (navette_record_get_boolean (record, "published"), ==, published);
  key ("ctrl+s");
  wait_until (pane_closed, &f, "the save");
  g_assert_cmpint (navette_record_get_boolean (record, "published"), ==, !published);
  wait_until (record_synced, record, "the switch");

  fixture_close (&f);
}

static void
test_save_shortcut_articles (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) date = NULL;
  g_autoptr(JsonNode) title = NULL;

  fixture_open (&f, "blog", "articles");
  record = g_list_model_get_item (_navette_window_get_view_model (f.window), 0);

  /* A multi-line text view. */
  navette_window_open_record (f.window, record);
  type_and_save (&f, "body", "Typed body");
  wait_until (record_synced, record, "the body");
  body = server_value (&f, "articles", navette_record_get_id (record), "body");
  g_assert_cmpstr (json_node_get_string (body), ==, "Typed body");

  /* A date, typed. */
  navette_window_open_record (f.window, record);
  type_and_save (&f, "publish_date", "2031-02-03");
  wait_until (record_synced, record, "the date");
  date = server_value (&f, "articles", navette_record_get_id (record), "publish_date");
  g_assert_cmpstr (json_node_get_string (date), ==, "2031-02-03");

  /* Enter in an entry saves too. */
  navette_window_open_record (f.window, record);
  click (input_of (&f, "title"));
  key ("ctrl+a");
  type ("Entered title");
  key ("Return");
  wait_until (pane_closed, &f, "the save by Enter");
  wait_until (record_synced, record, "the title");
  title = server_value (&f, "articles", navette_record_get_id (record), "title");
  g_assert_cmpstr (json_node_get_string (title), ==, "Entered title");

  fixture_close (&f);
}

/* ---- Someone else's change to another field ---- */

typedef struct
{
  Fixture    *f;
  const char *column;
  double      value;
} InputIs;

static gboolean
spin_shows (gpointer data)
{
  InputIs *is = data;

  return gtk_spin_button_get_value (GTK_SPIN_BUTTON (input_of (is->f, is->column))) == is->value;
}

static void
test_concurrent_other_field (void)
{
  Fixture f = { 0 };
  NavetteRecord *record;
  g_autoptr(JsonNode) price = NULL;
  g_autoptr(JsonNode) stock = NULL;
  InputIs price_is_88 = { &f, "price", 88 };

  fixture_open (&f, "catalogue", "products");
  record = lookup (&f, PRODUCT_1);
  navette_window_open_record (f.window, record);

  /* Alice is in the pane; the price changes elsewhere: the untouched
   * input follows it in place. */
  change_elsewhere (&f, PRODUCT_1, "{\"price\": 88.0}");
  wait_until (spin_shows, &price_is_88, "the price to follow");
  g_assert_false (navette_record_pane_get_conflict (f.pane));

  /* She changes only the stock: the price written by the other stays. */
  type_and_save (&f, "stock", "7");
  wait_until (record_synced, record, "the save");
  price = server_value (&f, "products", PRODUCT_1, "price");
  stock = server_value (&f, "products", PRODUCT_1, "stock");
  g_assert_cmpfloat (json_node_get_double (price), ==, 88.0);
  g_assert_cmpint (json_node_get_int (stock), ==, 7);

  fixture_close (&f);
}

/* ---- The same field: the banner ---- */

static gboolean
banner_shown (gpointer data)
{
  Fixture *f = data;

  return navette_record_pane_get_conflict (f->pane);
}

static GtkWidget *
banner_label (Fixture *f)
{
  GtkWidget *button = find_widget (GTK_WIDGET (f->pane), GTK_TYPE_BUTTON, "Keep");
  GtkWidget *box = gtk_widget_get_parent (gtk_widget_get_parent (button));

  return gtk_widget_get_first_child (box);
}

static void
test_conflict_banner (void)
{
  Fixture f = { 0 };
  NavetteRecord *record;
  g_autoptr(JsonNode) price = NULL;
  InputIs price_is_55 = { &f, "price", 55 };

  fixture_open (&f, "catalogue", "products");
  record = lookup (&f, PRODUCT_1);

  /* Keep Mine: the user's value is saved over theirs, knowingly. */
  navette_window_open_record (f.window, record);
  click (input_of (&f, "price"));
  key ("ctrl+a");
  type ("77");
  key ("Tab");
  change_elsewhere (&f, PRODUCT_1, "{\"price\": 88.0}");
  wait_until (banner_shown, &f, "the banner");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (banner_label (&f))), ==,
                   "admin changed Price to 88.00 while you were editing");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (input_of (&f, "price"))), ==, 77);
  click (find_widget (GTK_WIDGET (f.pane), GTK_TYPE_BUTTON, "Keep"));
  g_assert_false (navette_record_pane_get_conflict (f.pane));
  key ("ctrl+s");
  wait_until (pane_closed, &f, "the save");
  wait_until (record_synced, record, "the save");
  price = server_value (&f, "products", PRODUCT_1, "price");
  g_assert_cmpfloat (json_node_get_double (price), ==, 77.0);

  /* Take Theirs: the input shows their value, and nothing is sent. */
  navette_window_open_record (f.window, record);
  click (input_of (&f, "price"));
  key ("ctrl+a");
  type ("66");
  key ("Tab");
  change_elsewhere (&f, PRODUCT_1, "{\"price\": 55.0}");
  wait_until (banner_shown, &f, "the banner");
  click (find_widget (GTK_WIDGET (f.pane), GTK_TYPE_BUTTON, "Take"));
  wait_until (spin_shows, &price_is_55, "their value");
  g_assert_false (navette_record_pane_get_modified (f.pane));
  key ("ctrl+s");
  wait_until (pane_closed, &f, "the save");
  g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (f.engine)), ==, 0);

  fixture_close (&f);
}

/* ---- Nothing discarded without asking ---- */

static gboolean
dialog_shown (gpointer data)
{
  Fixture *f = data;
  GtkWidget *dialog = _navette_window_get_dialog (f->window);

  return dialog != NULL && gtk_widget_get_mapped (dialog);
}

static gboolean
no_dialog (gpointer data)
{
  Fixture *f = data;

  return _navette_window_get_dialog (f->window) == NULL;
}

static void
test_discard_dialogs (void)
{
  Fixture f = { 0 };
  g_autoptr(NavetteRecord) first = NULL;
  g_autoptr(NavetteRecord) second = NULL;
  g_autofree char *name = NULL;

  fixture_open (&f, "catalogue", "products");
  first = g_object_ref (lookup (&f, PRODUCT_1));
  second = g_list_model_get_item (_navette_window_get_view_model (f.window), 1);
  if (second == first)
    g_set_object (&second, g_list_model_get_item (_navette_window_get_view_model (f.window), 0));
  name = g_strdup (navette_record_get_string (first, "name"));

  /* Escape with an edit: asked; Cancel (Escape) keeps the pane. */
  navette_window_open_record (f.window, first);
  click (input_of (&f, "name"));
  key ("ctrl+a");
  type ("Not yet saved");
  key ("Escape");
  wait_until (dialog_shown, &f, "the question");
  g_assert_true (ADW_IS_MESSAGE_DIALOG (_navette_window_get_dialog (f.window)));
  focus_window (_navette_window_get_dialog (f.window));
  key ("Escape");
  wait_until (no_dialog, &f, "Cancel");
  g_assert_true (navette_record_pane_get_record (f.pane) == first);
  g_assert_true (navette_record_pane_get_modified (f.pane));

  /* Escape again, then Discard: closed, nothing saved. */
  focus_window (GTK_WIDGET (f.window));
  click (input_of (&f, "name"));
  key ("Escape");
  wait_until (dialog_shown, &f, "the question");
  click (find_widget (_navette_window_get_dialog (f.window), GTK_TYPE_BUTTON, "Discard"));
  wait_until (pane_closed, &f, "Discard");
  g_assert_cmpstr (navette_record_get_string (first, "name"), ==, name);
  g_assert_cmpuint (navette_middleware_get_n_pending (navette_engine_get_middleware (f.engine)), ==, 0);

  /* Opening another record with an edit: asked; Save (the default,
   * Enter) saves it and opens the other. */
  focus_window (GTK_WIDGET (f.window));
  navette_window_open_record (f.window, first);
  click (input_of (&f, "name"));
  key ("ctrl+a");
  type ("Saved on the way");
  navette_window_open_record (f.window, second);
  wait_until (dialog_shown, &f, "the question");
  focus_window (_navette_window_get_dialog (f.window));
  key ("Return");
  wait_until (no_dialog, &f, "Save");
  g_assert_cmpstr (navette_record_get_string (first, "name"), ==, "Saved on the way");
  g_assert_true (navette_record_pane_get_record (f.pane) == second);
  wait_until (record_synced, first, "the save");

  fixture_close (&f);
}

/* ---- Closing with changes not sent ---- */

static gboolean
record_waiting (gpointer data)
{
  return navette_record_get_sync_state (NAVETTE_RECORD (data)) == NAVETTE_SYNC_STATE_WAITING;
}

static gboolean
window_gone (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (window == data)
        return FALSE;
    }
  return TRUE;
}

static void
test_close_unsent (void)
{
  Fixture f = { 0 };
  NavetteRecord *record;
  const char *heading;

  fixture_open (&f, "catalogue", "products");
  record = lookup (&f, PRODUCT_1);
  navette_test_server_stop (f.server);
  navette_window_open_record (f.window, record);
  type_and_save (&f, "stock", "3");
  wait_until (record_waiting, record, "the change to wait");
  g_assert_cmpstr (gtk_label_get_label (f.window->sync_label), ==, "Offline — 1 change waiting");

  /* Closing asks; Cancel (the default) keeps the window. */
  gtk_window_close (GTK_WINDOW (f.window));
  wait_until (dialog_shown, &f, "the question");
  heading = adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (_navette_window_get_dialog (f.window)));
  g_assert_cmpstr (heading, ==, "1 change is not saved yet");
  focus_window (_navette_window_get_dialog (f.window));
  key ("Return");
  wait_until (no_dialog, &f, "Cancel");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f.window)));

  /* Quit Anyway: the window goes (the change stays in the journal). */
  g_object_ref (f.window);
  gtk_window_close (GTK_WINDOW (f.window));
  wait_until (dialog_shown, &f, "the question");
  click (find_widget (_navette_window_get_dialog (f.window), GTK_TYPE_BUTTON, "Quit Anyway"));
  wait_until (no_dialog, &f, "Quit Anyway");
  wait_until (window_gone, f.window, "the window to close");
  g_object_unref (f.window);
  f.window = NULL;

  g_clear_object (&f.engine);
  g_clear_pointer (&f.admin, g_free);
  g_clear_pointer (&f.server, navette_test_server_free);
}

/* ---- Last write wins, said ---- */

static gboolean
toast_replaced (gpointer data)
{
  Fixture *f = data;

  return f->window->last_toast != NULL && g_str_has_prefix (f->window->last_toast, "Replaced admin’s change of ");
}

static gboolean
history_marked (gpointer data)
{
  Fixture *f = data;
  GListModel *versions = navette_record_pane_get_versions (f->pane);

  return versions != NULL &&
         find_widget (GTK_WIDGET (f->pane), GTK_TYPE_LABEL, NULL) != NULL &&
         g_list_model_get_n_items (versions) >= 3;
}

static void
test_superseded_toast (void)
{
  Fixture f = { 0 };
  NavetteRecord *record;
  GtkWidget *review;

  fixture_open (&f, "catalogue", "products");
  record = lookup (&f, PRODUCT_1);
  /* The other change does not reach this window before the save. */
  navette_poller_set_push (navette_engine_get_poller (f.engine), FALSE);
  navette_poller_stop (navette_engine_get_poller (f.engine));

  navette_window_open_record (f.window, record);
  change_elsewhere (&f, PRODUCT_1, "{\"price\": 88.0}");
  type_and_save (&f, "price", "99");
  wait_until (toast_replaced, &f, "the toast");

  /* Review: the history, the replaced version and ours marked. */
  review = find_widget (GTK_WIDGET (f.window), GTK_TYPE_BUTTON, "Review");
  g_assert_nonnull (review);
  click (review);
  wait_until (history_marked, &f, "the history");
  g_assert_true (navette_record_pane_get_record (f.pane) == record);

  fixture_close (&f);
}

/* ---- Retry All / Discard All ---- */

static gboolean
two_failed (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (navette_engine_get_failed_changes (f->engine)) == 2;
}

static gboolean
none_failed (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (navette_engine_get_failed_changes (f->engine)) == 0;
}

static void
sent_again_cb (NavetteChange *change,
               GParamSpec    *pspec,
               guint         *n)
{
  if (navette_change_get_state (change) == NAVETTE_CHANGE_STATE_PENDING)
    (*n)++;
}

static gboolean
both_sent_again (gpointer data)
{
  return *(guint *) data == 2;
}

static void
test_retry_discard_all (void)
{
  Fixture f = { 0 };
  NavetteTable *table;
  NavetteStore *store;
  g_autoptr(JsonObject) bad = json_object_new ();
  g_autoptr(NavetteChange) a = NULL;
  g_autoptr(NavetteChange) b = NULL;
  g_autoptr(NavetteRecord) second = NULL;
  GtkWidget *popover;
  guint n_sent_again = 0;

  fixture_open (&f, "catalogue", "products");
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (f.window->failed_button)));
  table = navette_window_get_table (f.window);
  store = navette_window_get_store (f.window);
  second = g_list_model_get_item (_navette_window_get_view_model (f.window), 1);

  /* Two changes the server refuses (an older window might send them). */
  json_object_set_string_member (bad, "stock", "many");
  a = navette_store_update (store, table, PRODUCT_1, bad);
  b = navette_store_update (store, table, navette_record_get_id (second), bad);
  wait_until (two_failed, &f, "the refusals");
  g_assert_true (gtk_widget_get_visible (f.window->failed_button));
  g_signal_connect (a, "notify::state", G_CALLBACK (sent_again_cb), &n_sent_again);
  g_signal_connect (b, "notify::state", G_CALLBACK (sent_again_cb), &n_sent_again);

  /* Retry All from the popover: both sent again (refused again). */
  click (f.window->failed_button);
  click (find_widget (popover, GTK_TYPE_BUTTON, "Retry _All"));
  wait_until (both_sent_again, &n_sent_again, "Retry All");
  wait_until (two_failed, &f, "the refusals again");

  /* Discard All: none left, the button goes. */
  if (!gtk_widget_get_mapped (popover))
    click (f.window->failed_button);
  click (find_widget (popover, GTK_TYPE_BUTTON, "D_iscard All"));
  wait_until (none_failed, &f, "Discard All");
  g_assert_false (gtk_widget_get_visible (f.window->failed_button));
  g_assert_cmpuint (navette_change_get_state (a), ==, NAVETTE_CHANGE_STATE_DISCARDED);

  fixture_close (&f);
}

/* ---- The session expires ---- */

static gboolean
session_over (gpointer data)
{
  NavetteSession *session = data;

  return g_get_real_time () > navette_session_get_expires_at (session) + G_USEC_PER_SEC / 2;
}

static gboolean
record_failed (gpointer data)
{
  return navette_record_get_sync_state (NAVETTE_RECORD (data)) == NAVETTE_SYNC_STATE_FAILED;
}

/* Tokens live 4 s. A stock saved with Ctrl+S after the end of the session
 * is refused (401): rolled back alone into the failed changes, a discreet
 * toast says the session expired. A price saved next is not sent with
 * the dead token: it waits, applied (a clock). Signed in again (the
 * application's one dialog does it: test-session), the refused stock is
 * sent again, then the price. */
static void
test_session_expired (void)
{
  const char *args[] = { "--token-lifetime", "4", NULL };
  Fixture f = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stock = NULL;
  g_autoptr(JsonNode) price = NULL;
  NavetteMiddleware *middleware;
  NavetteSession *session;
  NavetteRecord *record;
  gint64 stock_before;

  fixture_open_args (&f, args, "catalogue", "products");
  session = navette_engine_get_session (f.engine);
  middleware = navette_engine_get_middleware (f.engine);
  record = lookup (&f, PRODUCT_1);
  stock_before = navette_record_get_int (record, "stock");
  g_assert_cmpint (stock_before, !=, 61);
  /* No light check meanwhile: the save is the first request to meet the
   * end of the session (a check meeting it first would make the save
   * wait for the sign-in, never sent — the second case below). */
  navette_poller_set_interval_ms (navette_engine_get_poller (f.engine), 3600 * 1000);
  wait_until (session_over, session, "the end of the session");

  navette_window_open_record (f.window, record);
  type_and_save (&f, "stock", "61");
  wait_until (record_failed, record, "the refusal");
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, stock_before);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (f.engine)), ==, 1);
  g_assert_true (gtk_widget_get_visible (f.window->failed_button));
  g_test_message ("toast: %s", f.window->last_toast);
  g_assert_nonnull (strstr (f.window->last_toast, "session has expired"));

  navette_window_open_record (f.window, record);
  type_and_save (&f, "price", "7.25");
  wait_until (record_waiting, record, "the price to wait");
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 7.25);
  g_assert_cmpuint (navette_middleware_get_n_waiting (middleware), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (f.engine)), ==, 1);

  navette_session_login_async (session, "alice", NAVETTE_DEMO_PASSWORD, NULL, store_result_cb, &result);
  wait_until (result_ready, &result, "the new sign-in");
  g_assert_true (navette_session_login_finish (session, result, &error));
  wait_until (record_synced, record, "both changes");
  g_assert_cmpint (navette_record_get_int (record, "stock"), ==, 61);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 7.25);
  g_assert_cmpuint (g_list_model_get_n_items (navette_engine_get_failed_changes (f.engine)), ==, 0);
  g_assert_false (gtk_widget_get_visible (f.window->failed_button));

  g_free (f.admin);
  f.admin = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  stock = server_value (&f, "products", PRODUCT_1, "stock");
  price = server_value (&f, "products", PRODUCT_1, "price");
  g_assert_cmpint (json_node_get_int (stock), ==, 61);
  g_assert_cmpfloat (json_node_get_double (price), ==, 7.25);

  fixture_close (&f);
}

/* ---- A choice ---- */

typedef struct
{
  GtkWidget  *root;
  const char *text;
} LabelIn;

static gboolean
label_shown (gpointer data)
{
  LabelIn *in = data;

  return navette_test_find_label (in->root, in->text) != NULL;
}

/* The selected entry of a drop-down, as shown. */
static const char *
drop_down_text (GtkWidget *drop_down)
{
  GObject *item = gtk_drop_down_get_selected_item (GTK_DROP_DOWN (drop_down));

  return item != NULL ? gtk_string_object_get_string (GTK_STRING_OBJECT (item)) : NULL;
}

/* A choice column: a drop-down of its choices after "None", picked with
 * the pointer, saved with Ctrl+S; a value that is no longer a choice is
 * shown and kept; a reader sees the choice and cannot change it. */
static void
test_choice (void)
{
  Fixture f = { 0 };
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) colour = NULL;
  NavetteRecord *record;
  GtkWidget *drop_down;
  GListModel *entries;
  LabelIn green;

  f.server = navette_test_server_start (NULL);
  f.admin = navette_test_login (f.server, "admin", NAVETTE_DEMO_PASSWORD);
  if (navette_test_server_admin (f.server, NULL, &err, "column", "add", "catalogue", "products",
                                 "colour:choice:choices=Red|Green|Blue", NULL) != 0)
    g_error ("column add: %s", err);
  fixture_open_window (&f, "alice", "catalogue", "products");
  record = lookup (&f, PRODUCT_1);
  navette_window_open_record (f.window, record);

  drop_down = input_of (&f, "colour");
  g_assert_true (GTK_IS_DROP_DOWN (drop_down));
  entries = gtk_drop_down_get_model (GTK_DROP_DOWN (drop_down));
  g_assert_cmpuint (g_list_model_get_n_items (entries), ==, 4);
  g_assert_cmpstr (drop_down_text (drop_down), ==, "None");
  g_assert_true (gtk_widget_get_sensitive (navette_record_pane_get_row (f.pane, "colour")));
  g_assert_false (navette_record_pane_get_modified (f.pane));

  /* Opened with a click, Green clicked in its list. */
  click (drop_down);
  green.root = drop_down;
  green.text = "Green";
  wait_until (label_shown, &green, "the list of choices");
  click (navette_test_find_label (drop_down, "Green"));
  g_assert_cmpstr (drop_down_text (drop_down), ==, "Green");
  g_assert_true (navette_record_pane_get_modified (f.pane));
  key ("ctrl+s");
  wait_until (pane_closed, &f, "the save");
  g_assert_cmpstr (navette_record_get_string (record, "colour"), ==, "Green");
  wait_until (record_synced, record, "the choice");
  colour = server_value (&f, "products", PRODUCT_1, "colour");
  g_assert_cmpstr (json_node_get_string (colour), ==, "Green");

  /* Opened again, it shows the saved choice; a value that is not one of
   * the choices (they changed) gets its own entry and is what is sent;
   * None is no value. */
  navette_window_open_record (f.window, record);
  drop_down = input_of (&f, "colour");
  g_assert_cmpstr (drop_down_text (drop_down), ==, "Green");
  navette_record_pane_set_text (f.pane, "colour", "Violet");
  g_assert_cmpstr (drop_down_text (drop_down), ==, "Violet");
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (drop_down))), ==, 5);
  {
    g_autoptr(JsonObject) values = navette_record_pane_collect (f.pane);

    g_assert_cmpstr (json_object_get_string_member (values, "colour"), ==, "Violet");
  }
  navette_record_pane_set_text (f.pane, "colour", "");
  {
    g_autoptr(JsonObject) values = navette_record_pane_collect (f.pane);

    g_assert_true (json_object_has_member (values, "colour"));
    g_assert_true (json_object_get_null_member (values, "colour"));
  }
  navette_record_pane_set_text (f.pane, "colour", "Green");
  g_assert_false (navette_record_pane_get_modified (f.pane));
  key ("Escape");
  wait_until (pane_closed, &f, "the pane closing");
  fixture_close_window (&f);

  /* A reader (bob): the choice shown, the drop-down insensitive. */
  fixture_open_window (&f, "bob", "catalogue", "products");
  record = lookup (&f, PRODUCT_1);
  navette_window_open_record (f.window, record);
  drop_down = input_of (&f, "colour");
  g_assert_cmpstr (drop_down_text (drop_down), ==, "Green");
  g_assert_false (navette_record_pane_get_editable (f.pane));
  g_assert_false (gtk_widget_get_sensitive (navette_record_pane_get_row (f.pane, "colour")));
  g_assert_false (gtk_widget_is_sensitive (drop_down));
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  /* The tests type English-formatted numbers. */
  g_setenv ("LC_NUMERIC", "C", TRUE);

  if (!navette_test_input_init (&argc, &argv))
    return navette_test_run_skipped (&argc, &argv, "/ui/editing/no-display", "No display: run under Xvfb (DISPLAY=…)");

  g_test_add_func ("/ui/editing/save-shortcut/products", test_save_shortcut_products);
  g_test_add_func ("/ui/editing/save-shortcut/articles", test_save_shortcut_articles);
  g_test_add_func ("/ui/editing/concurrent-other-field", test_concurrent_other_field);
  g_test_add_func ("/ui/editing/conflict-banner", test_conflict_banner);
  g_test_add_func ("/ui/editing/discard-dialogs", test_discard_dialogs);
  g_test_add_func ("/ui/editing/close-unsent", test_close_unsent);
  g_test_add_func ("/ui/editing/superseded-toast", test_superseded_toast);
  g_test_add_func ("/ui/editing/retry-discard-all", test_retry_discard_all);
  g_test_add_func ("/ui/editing/session-expired", test_session_expired);
  g_test_add_func ("/ui/editing/choice", test_choice);

  return g_test_run ();
}
