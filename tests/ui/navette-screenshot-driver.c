/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-screenshot-driver.c — not a test: starts a demo server, opens the
 * window as a demo user in a given state and keeps it open, so that
 * screenshots (data/screenshots/) and the startup time can be taken.
 *
 *   navette-screenshot-driver editor|reader|history|failed|offline|preferences|
 *                             preferences-ca-file|shortcuts|sign-in|cached|
 *                             menu|archived|archive-view|long-text|history-diff|
 *                             untrusted|offline-waiting|
 *                             conflict|discard|superseded|loading-pages|
 *                             admin-members|admin-access|admin-model|
 *                             admin-activity|admin-members-form|admin-model-form|choice
 *                             [WIDTH HEIGHT]
 *
 * "admin-…": the Administration window (900×680) on that page, signed in
 * as the demo's administrator; "-form" adds the page's Add form.
 *
 * "cached": the server stopped, a second window showing what the first
 * one left in the replica, before its engine is loaded (an offline start:
 * the "Showing saved data" state).
 *
 * Prints "ready" on stdout once the state is reached. */
#define G_LOG_DOMAIN "navette-screenshot"

#include "config.h"

#include <locale.h>
#include <string.h>
#include <signal.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "navette-test-pki.h"
#include "navette-test-engine.h"
#include "navette-test-server.h"
#include "navette-test-loop.h"
#include "navette-admin-window.h"
#include "navette-preferences-window.h"
#include "navette-sign-in-dialog.h"
#include "navette-window-private.h"

static gboolean done;

static gboolean
quit_cb (gpointer data)
{
  /* SIGTERM: leave the loop, so the demo server is stopped and removed. */
  done = TRUE;
  return G_SOURCE_REMOVE;
}

static GtkWidget *
first_expander (GtkWidget *widget)
{
  if (ADW_IS_EXPANDER_ROW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = first_expander (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Opens the first expander row under @data (once the page is loaded). */
static gboolean
expand_first_cb (gpointer data)
{
  GtkWidget *found = first_expander (GTK_WIDGET (data));

  if (found != NULL)
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (found), TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
ready_cb (gpointer data)
{
  g_print ("ready\n");
  return G_SOURCE_REMOVE;
}

/* The @n-th AdwEntryRow under @root, counting from 0. */
static GtkWidget *
find_entry_row_n (GtkWidget *root,
                  guint     *n)
{
  if (ADW_IS_ENTRY_ROW (root) && (*n)-- == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry_row_n (child, n);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_entry_row (GtkWidget *root,
                guint      n)
{
  return find_entry_row_n (root, &n);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *schemas = g_build_filename (g_getenv ("NAVETTE_BUILD_ROOT"), "data", NULL);
  const char *mode = argc > 1 ? argv[1] : "editor";
  const char *user = g_str_equal (mode, "reader") ? "bob" : g_str_has_prefix (mode, "admin-") ? "admin" : "alice";
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  NavetteWindow *window;
  NavetteStore *store;
  g_autofree char *cache_dir = NULL;
  g_autoptr(NavetteEngine) engine_keep = NULL;

  g_setenv ("GSETTINGS_SCHEMA_DIR", schemas, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  {
    /* The translations of the build tree (LANGUAGE=fr to see them). */
    g_autofree char *locale_dir = g_build_filename (g_getenv ("NAVETTE_BUILD_ROOT"), "po", NULL);

    setlocale (LC_ALL, "");
    bindtextdomain (GETTEXT_PACKAGE, locale_dir);
    bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
    textdomain (GETTEXT_PACKAGE);
  }
  gtk_init ();
  adw_init ();
  {
    /* What AdwApplication loads for the real app. */
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    g_type_ensure (NAVETTE_TYPE_WINDOW);
    gtk_css_provider_load_from_resource (css, "/org/navette/Navette/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  {
    /* "session-expired": sessions of 3 s. */
    const char *short_session[] = { "--token-lifetime", "3", NULL };

    /* "loading-pages": pages of 10 rows. */
    const char *small_pages[] = { "--page-size", "10", "--max-page-size", "10", NULL };

    server = navette_test_server_start (g_str_equal (mode, "session-expired") ? short_session :
                                        g_str_equal (mode, "loading-pages") ? small_pages : NULL);
  }
  if (g_str_equal (mode, "loading-pages"))
    {
      /* 1,200 rows, so the table comes in 121 pages. */
      g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);

      for (guint i = 0; i < 1200; i++)
        {
          g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"Item %04u\", \"price\": %u}}", i, i);

          g_assert_cmpuint (navette_test_request (server, "POST", "/api/v1/applications/catalogue/tables/products/records",
                                                  token, body, NULL, NULL), ==, 201);
        }
    }
  if (g_str_equal (mode, "choice"))
    /* A choice column, its drop-down in the pane. */
    g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "column", "add", "catalogue", "products",
                                                "colour:choice:choices=Red|Green|Blue", NULL), ==, 0);
  engine = navette_engine_new (server->base_url);
  if (g_str_equal (mode, "cached"))
    {
      /* The replica the next start shows. */
      cache_dir = g_build_filename (server->tmpdir, "data", NULL);
      navette_engine_set_data_dir (engine, cache_dir);
    }
  else if (g_str_equal (mode, "replica"))
    {
      /* A data directory: the engine opens the user's local replica and
       * the window shows the table through it. */
      g_autofree char *data_dir = g_build_filename (server->tmpdir, "data", NULL);

      navette_engine_set_data_dir (engine, data_dir);
    }
  else if (g_str_equal (mode, "journal-failure"))
    {
      /* A journal that cannot be written: the outbox's writes made to
       * fail by the test hook. */
      g_autofree char *data_dir = g_build_filename (server->tmpdir, "data", NULL);

      navette_journal_set_test_fail_writes (TRUE);
      navette_engine_set_data_dir (engine, data_dir);
    }
  navette_test_sign_in_and_load (engine, user);

  window = navette_window_new (NULL);
  if (argc > 3)
    gtk_window_set_default_size (GTK_WINDOW (window), atoi (argv[2]), atoi (argv[3]));
  gtk_window_present (GTK_WINDOW (window));
  navette_window_set_engine (window, engine);

  store = navette_engine_lookup_store (engine, "catalogue");
  while (!navette_store_get_loaded (store))
    g_main_context_iteration (NULL, TRUE);
  if (g_str_equal (mode, "article") || g_str_equal (mode, "long-text") || g_str_equal (mode, "history-diff"))
    {
      NavetteStore *blog = navette_engine_lookup_store (engine, "blog");

      while (!navette_store_get_loaded (blog))
        g_main_context_iteration (NULL, TRUE);
      navette_window_select_table (window, "blog", "articles");
    }
  else
    navette_window_select_table (window, "catalogue", "products");
  if (g_str_equal (mode, "loading-pages"))
    {
      /* Half-way through the walk, the server stops answering (SIGSTOP):
       * the window stays on "Loading… N rows so far". */
      NavetteTable *table = navette_window_get_table (window);

      while (navette_table_get_rows_loaded (table) < 600)
        g_main_context_iteration (NULL, TRUE);
      g_subprocess_send_signal (server->process, SIGSTOP);
    }
  else
    while (g_strcmp0 (_navette_window_get_page (window), "records") != 0)
      g_main_context_iteration (NULL, TRUE);

  if (g_str_equal (mode, "long-text") || g_str_equal (mode, "history-diff"))
    {
      /* An article's body, several paragraphs long, in the wide pane;
       * "history-diff": a sentence of it changed, and the history. */
      static const char body[] =
        "Our spring collection brings back the cast-iron teapot that sold out in two weeks last year, "
        "with a new enamel lining and a lid that no longer rattles.\n\n"
        "We asked the workshop in Morioka for a smaller size too: it holds two cups, which is what most "
        "of you told us you brew at once. Both sizes keep the tea hot for about forty minutes.\n\n"
        "The ceramic cups that go with it are made in Limoges, in three colours: celadon, chalk and ink. "
        "They stack, and they go in the dishwasher.\n\n"
        "Orders open on Monday morning; the first hundred come with a tin of sencha from our supplier "
        "in Shizuoka.";
      g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (window), 0);
      NavetteStore *blog = navette_engine_lookup_store (engine, "blog");
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteChange) change = NULL;

      json_object_set_string_member (data, "body", body);
      change = navette_store_update (blog, navette_window_get_table (window),
                                     navette_record_get_id (record), data);
      while (!navette_change_is_finished (change))
        g_main_context_iteration (NULL, TRUE);
      if (g_str_equal (mode, "history-diff"))
        {
          g_autoptr(GString) edited = g_string_new (body);
          g_autoptr(JsonObject) more = json_object_new ();
          g_autoptr(NavetteChange) second = NULL;

          g_string_replace (edited, "it holds two cups", "it holds two large cups", 1);
          g_string_replace (edited, "forty minutes", "an hour", 1);
          json_object_set_string_member (more, "body", edited->str);
          second = navette_store_update (blog, navette_window_get_table (window),
                                         navette_record_get_id (record), more);
          while (!navette_change_is_finished (second))
            g_main_context_iteration (NULL, TRUE);
        }
      navette_window_open_record (window, record);
      navette_record_pane_set_wide (_navette_window_get_pane (window), TRUE);
      if (g_str_equal (mode, "history-diff"))
        gtk_widget_activate_action (GTK_WIDGET (window), "window.history", NULL);
    }
  if (g_str_equal (mode, "article"))
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (window), 0);
      g_autofree char *long_title = g_strnfill (205, 'a');

      navette_window_open_record (window, record);
      navette_record_pane_set_text (_navette_window_get_pane (window), "title", long_title);
    }

  if (g_str_equal (mode, "editor") || g_str_equal (mode, "reader") || g_str_equal (mode, "history") ||
      g_str_equal (mode, "choice"))
    {
      GListModel *model = _navette_window_get_view_model (window);
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, 1);

      if (g_str_equal (mode, "history"))
        {
          g_autoptr(JsonObject) data = json_object_new ();
          g_autoptr(NavetteChange) change = NULL;

          json_object_set_double_member (data, "price", 54.5);
          change = navette_store_update (store, navette_window_get_table (window),
                                         navette_record_get_id (record), data);
          while (!navette_change_is_finished (change))
            g_main_context_iteration (NULL, TRUE);
        }
      navette_window_open_record (window, record);
      if (g_str_equal (mode, "history"))
        gtk_widget_activate_action (GTK_WIDGET (window), "window.history", NULL);
      if (g_str_equal (mode, "editor"))
        navette_record_pane_set_text (_navette_window_get_pane (window), "stock", "12");
      if (g_str_equal (mode, "choice"))
        navette_record_pane_set_text (_navette_window_get_pane (window), "colour", "Green");
    }
  else if (g_str_has_prefix (mode, "failed"))
    {
      GListModel *model = _navette_window_get_view_model (window);
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, 2);
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteChange) change = NULL;

      json_object_set_string_member (data, "name", "");
      json_object_set_null_member (data, "name");
      change = navette_store_update (store, navette_window_get_table (window),
                                     navette_record_get_id (record), data);
      while (!navette_change_is_finished (change))
        g_main_context_iteration (NULL, TRUE);
      if (g_str_equal (mode, "failed-popover"))
        gtk_menu_button_popup (GTK_MENU_BUTTON (window->failed_button));
    }

  else if (g_str_equal (mode, "cached"))
    {
      g_autoptr(NavetteEngine) cached = navette_engine_new (server->base_url);
      NavetteReplica *replica = navette_engine_get_replica (engine);
      NavetteWindow *first = window;
      g_autofree char *apps = NULL;

      /* The table is in the replica (the window synced it) and the
       * applications' list is kept there (a worker thread writes it). */
      g_assert_nonnull (replica);
      while (navette_engine_lookup_feed (engine, navette_window_get_table (window)) == NULL ||
             !navette_replica_feed_get_synced (navette_engine_lookup_feed (engine, navette_window_get_table (window))) ||
             (g_free (apps), apps = navette_replica_dup_meta (replica, "applications", NULL)) == NULL)
        {
          g_timeout_add_once (50, (GSourceOnceFunc) g_main_context_wakeup, NULL);
          g_main_context_iteration (NULL, TRUE);
        }
      /* An offline start: the server is stopped. */
      navette_test_server_stop (server);
      navette_engine_set_data_dir (cached, cache_dir);
      navette_engine_open_saved_async (cached, user, NULL, navette_test_store_result_cb, &result);
      navette_test_wait_result (&result, "navette_engine_open_saved");
      g_assert_true (navette_engine_open_saved_finish (cached, result, NULL));
      g_clear_object (&result);

      window = navette_window_new (NULL);
      if (argc > 3)
        gtk_window_set_default_size (GTK_WINDOW (window), atoi (argv[2]), atoi (argv[3]));
      navette_window_set_initial_table (window, "catalogue/products");
      gtk_window_present (GTK_WINDOW (window));
      navette_window_show_cached (window, cached);
      gtk_window_destroy (GTK_WINDOW (first));
      engine_keep = g_steal_pointer (&cached);
    }
  else if (g_str_equal (mode, "offline-waiting"))
    {
      /* Three edits made while the server is stopped: kept, waiting. */
      NavetteTable *table = navette_window_get_table (window);
      GListModel *model = _navette_window_get_view_model (window);

      navette_test_server_stop (server);
      for (guint i = 0; i < 3; i++)
        {
          g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);
          g_autoptr(JsonObject) data = json_object_new ();
          g_autoptr(NavetteChange) change = NULL;

          json_object_set_int_member (data, "stock", 10 + i);
          change = navette_store_update (store, table, navette_record_get_id (record), data);
        }
      while (navette_middleware_get_n_waiting (navette_engine_get_middleware (engine)) < 3 ||
             navette_engine_get_online (engine))
        g_main_context_iteration (NULL, TRUE);
    }
  else if (g_str_equal (mode, "conflict") || g_str_equal (mode, "discard") ||
           g_str_equal (mode, "superseded"))
    {
      GListModel *model = _navette_window_get_view_model (window);
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, 1);
      NavetteRecordPane *pane = _navette_window_get_pane (window);
      g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
      g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s",
                                               navette_record_get_id (record));
      g_autofree char *body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT
                                               ", \"data\": {\"price\": 88.0}}",
                                               navette_record_get_version (record));

      if (g_str_equal (mode, "superseded"))
        {
          navette_poller_set_push (navette_engine_get_poller (engine), FALSE);
          navette_poller_stop (navette_engine_get_poller (engine));
        }
      navette_window_open_record (window, record);
      navette_record_pane_set_text (pane, "price", "79.5");
      if (!g_str_equal (mode, "discard"))
        g_assert_cmpuint (navette_test_request (server, "PATCH", path, token, body, NULL, NULL), ==, 200);
      if (g_str_equal (mode, "conflict"))
        while (!navette_record_pane_get_conflict (pane))
          g_main_context_iteration (NULL, TRUE);
      else if (g_str_equal (mode, "discard"))
        gtk_widget_activate_action (GTK_WIDGET (window), "window.cancel", NULL);
      else
        {
          gtk_widget_activate_action (GTK_WIDGET (window), "window.save", NULL);
          while (window->last_toast == NULL || !g_str_has_prefix (window->last_toast, "Replaced"))
            g_main_context_iteration (NULL, TRUE);
        }
    }
  else if (g_str_equal (mode, "session-expired"))
    {
      /* A save refused because the session ended meanwhile (401): rolled
       * back, one discreet toast; a second edit waits (a clock). */
      GListModel *model = _navette_window_get_view_model (window);
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, 1);
      g_autoptr(NavetteRecord) other = g_list_model_get_item (model, 2);
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteChange) change = NULL;
      g_autoptr(NavetteChange) later = NULL;
      gint64 expires_at = navette_session_get_expires_at (navette_engine_get_session (engine));

      navette_poller_set_interval_ms (navette_engine_get_poller (engine), 3600 * 1000);
      while (g_get_real_time () < expires_at + G_USEC_PER_SEC / 2)
        {
          g_timeout_add_once (100, (GSourceOnceFunc) g_main_context_wakeup, NULL);
          g_main_context_iteration (NULL, TRUE);
        }
      json_object_set_int_member (data, "stock", 12);
      change = navette_store_update (store, navette_window_get_table (window),
                                     navette_record_get_id (record), data);
      while (!navette_change_is_finished (change))
        g_main_context_iteration (NULL, TRUE);
      later = navette_store_update (store, navette_window_get_table (window),
                                    navette_record_get_id (other), data);
      while (!navette_change_get_waiting (later))
        g_main_context_iteration (NULL, TRUE);
    }
  else if (g_str_equal (mode, "replica"))
    {
      /* Sorted by price, dearest first, in the replica (SQL); every row
       * read (no placeholder). */
      GListModel *columns = gtk_column_view_get_columns (window->column_view);
      GListModel *model;
      gboolean read = FALSE;

      for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
        {
          g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

          if (g_strcmp0 (gtk_column_view_column_get_title (column), "Price") == 0)
            gtk_column_view_sort_by_column (window->column_view, column, GTK_SORT_DESCENDING);
        }
      model = _navette_window_get_view_model (window);
      while (!read)
        {
          read = !navette_replica_model_get_loading (NAVETTE_REPLICA_MODEL (model)) &&
                 g_strcmp0 (navette_replica_model_get_view (NAVETTE_REPLICA_MODEL (model))->sort_column, "price") == 0;
          for (guint i = 0; read && i < g_list_model_get_n_items (model); i++)
            {
              g_autoptr(NavetteRecord) record = g_list_model_get_item (model, i);

              read = navette_record_get_id (record)[0] != '\0';
            }
          if (!read)
            g_main_context_iteration (NULL, TRUE);
        }
    }
  else if (g_str_equal (mode, "journal-failure"))
    {
      GListModel *model = _navette_window_get_view_model (window);
      g_autoptr(NavetteRecord) record = g_list_model_get_item (model, 1);
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(NavetteChange) change = NULL;

      /* Through the replica (a data directory): the row read, then
       * adopted into the table, as the record pane does. */
      while (navette_record_get_id (record)[0] == '\0')
        g_main_context_iteration (NULL, TRUE);
      g_assert_nonnull (_navette_window_lookup_record (window, navette_record_get_id (record)));

      json_object_set_int_member (data, "stock", 12);
      change = navette_store_update (store, navette_window_get_table (window),
                                     navette_record_get_id (record), data);
      while (navette_middleware_get_journal_error (navette_engine_get_middleware (engine)) == NULL ||
             !navette_change_is_finished (change))
        g_main_context_iteration (NULL, TRUE);
    }
  else if (g_str_equal (mode, "offline"))
    {
      navette_poller_set_interval_ms (navette_engine_get_poller (engine), 300);
      navette_test_server_stop (server);
      while (navette_engine_get_online (engine))
        g_main_context_iteration (NULL, TRUE);
    }
  else if (g_str_equal (mode, "preferences"))
    gtk_window_present (GTK_WINDOW (navette_preferences_window_new (GTK_WINDOW (window))));
  else if (g_str_has_prefix (mode, "admin-"))
    {
      /* The Administration window on one page, as the administrator. */
      NavetteAdminWindow *admin = navette_admin_window_new (GTK_WINDOW (window), engine);
      g_autofree char *page = g_strdup (mode + strlen ("admin-"));
      char *form = strchr (page, '-');

      /* "admin-members-form", "admin-model-form": the page's Add form too. */
      if (form != NULL)
        *form++ = '\0';
      if (g_str_equal (page, "model"))
        {
          /* An archived application too: listed, dimmed, with Unarchive. */
          g_autofree char *token = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);

          g_assert_cmpuint (navette_test_request (server, "POST", "/api/v1/admin/applications", token,
                                                  "{\"name\": \"intranet\", \"title\": \"Old Intranet\"}",
                                                  NULL, NULL), ==, 201);
          g_assert_cmpuint (navette_test_request (server, "PATCH", "/api/v1/admin/applications/intranet", token,
                                                  "{\"archived\": true}", NULL, NULL), ==, 200);
        }
      gtk_window_set_default_size (GTK_WINDOW (admin), 900, 680);
      gtk_window_present (GTK_WINDOW (admin));
      navette_admin_window_show_page (admin, page);
      if (form != NULL && g_str_equal (page, "members"))
        gtk_widget_activate_action (navette_admin_window_get_page_widget (admin, page), "members.add", NULL);
      else if (form != NULL && g_str_equal (page, "model"))
        gtk_widget_activate_action (navette_admin_window_get_page_widget (admin, page), "model.add-column",
                                    "(ss)", "catalogue", "products");
      if (g_str_equal (page, "model"))
        {
          /* The first table opened on its columns. */
          GtkWidget *widget = navette_admin_window_get_page_widget (admin, page);
          GtkStack *stack = GTK_STACK (gtk_widget_get_first_child (widget));

          while (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "content") != 0)
            g_main_context_iteration (NULL, TRUE);
          expand_first_cb (widget);
        }
    }
  else if (g_str_equal (mode, "menu"))
    {
      GtkWidget *child;

      /* The main menu: the first menu button of the sidebar's header. */
      for (child = window->sidebar_box; child != NULL && !GTK_IS_MENU_BUTTON (child);)
        {
          GtkWidget *next = gtk_widget_get_first_child (child);

          while (next == NULL && child != NULL)
            {
              next = gtk_widget_get_next_sibling (child);
              if (next == NULL)
                child = gtk_widget_get_parent (child);
            }
          child = next;
        }
      g_assert_nonnull (child);
      gtk_menu_button_popup (GTK_MENU_BUTTON (child));
    }
  else if (g_str_equal (mode, "archived"))
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (window), 1);

      navette_window_open_record (window, record);
      gtk_widget_activate_action (GTK_WIDGET (window), "window.archive", NULL);
    }
  else if (g_str_equal (mode, "archive-view"))
    {
      /* Two records archived, then the table's Archive view. */
      for (guint i = 0; i < 2; i++)
        {
          g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_get_view_model (window), i);
          g_autoptr(NavetteChange) change = navette_store_archive (store, navette_window_get_table (window),
                                                                   navette_record_get_id (record), TRUE);

          while (!navette_change_is_finished (change))
            g_main_context_iteration (NULL, TRUE);
        }
      _navette_window_set_show_archived (window, TRUE);
    }
  else if (g_str_equal (mode, "untrusted"))
    {
      /* A server whose certificate no authority of the system signed: the
       * error page as the application shows it. */
      NavetteTestPki pki = { 0 };
      g_autoptr(NavetteTestServer) https = NULL;
      g_autoptr(NavetteEngine) untrusting = NULL;
      g_autoptr(GError) error = NULL;

      navette_test_pki_setup (&pki);
      https = navette_test_pki_start_server (&pki);
      untrusting = navette_engine_new (https->base_url);
      navette_session_login_async (navette_engine_get_session (untrusting), user, NAVETTE_DEMO_PASSWORD,
                                   NULL, navette_test_store_result_cb, &result);
      navette_test_wait_result (&result, "navette_session_login");
      g_assert_false (navette_session_login_finish (navette_engine_get_session (untrusting), result, &error));
      g_clear_object (&result);
      navette_window_set_engine (window, NULL);
      navette_window_show_error (window, _("Cannot Trust the Server"), error->message);
      navette_test_pki_teardown (&pki);
    }
  else if (g_str_equal (mode, "preferences-ca-file"))
    {
      /* A CA file that is not one, refused on Apply: the row in red and a
       * toast saying why. */
      g_autofree char *notes = g_build_filename (server->tmpdir, "notes.txt", NULL);
      GtkWidget *preferences = navette_preferences_window_new (GTK_WINDOW (window));
      GtkWidget *row;

      g_file_set_contents (notes, "Not a certificate.\n", -1, NULL);
      gtk_window_present (GTK_WINDOW (preferences));
      row = find_entry_row (preferences, 1);
      g_assert_nonnull (row);
      gtk_editable_set_text (GTK_EDITABLE (row), notes);
      g_signal_emit_by_name (row, "apply");
    }
  else if (g_str_equal (mode, "sign-in"))
    gtk_window_present (GTK_WINDOW (navette_sign_in_dialog_new (GTK_WINDOW (window),
                                                                navette_engine_get_session (engine),
                                                                server->base_url, "alice", NULL)));
  else if (g_str_equal (mode, "shortcuts"))
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/org/navette/Navette/gtk/help-overlay.ui");
      GtkWindow *overlay = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));

      gtk_window_set_transient_for (overlay, GTK_WINDOW (window));
      gtk_window_present (overlay);
    }

  g_unix_signal_add (SIGTERM, quit_cb, NULL);
  g_unix_signal_add (SIGINT, quit_cb, NULL);
  g_timeout_add (1500, ready_cb, NULL);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  if (g_str_equal (mode, "loading-pages"))
    g_subprocess_send_signal (server->process, SIGCONT);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
