/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "navette-cli-private.h"

static const char *journal_user (Cli *cli);
static void result_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data);
static gboolean tick_cb (gpointer user_data);

static void
cli_clear (Cli *cli)
{
  /* Changes still on their way: let them reach the server before
   * leaving (they stay in the journal if not), and the journal reach the
   * disk. */
  if (cli->engine != NULL)
    {
      NavetteMiddleware *middleware = navette_engine_get_middleware (cli->engine);
      gint64 deadline = g_get_monotonic_time () + MAX (cli->wait, 0) * G_USEC_PER_SEC;
      g_autoptr(GAsyncResult) flushed = NULL;
      g_autoptr(GError) error = NULL;
      guint tick = g_timeout_add (100, tick_cb, NULL);

      while (navette_middleware_get_n_pending (middleware) > navette_middleware_get_n_waiting (middleware) &&
             g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (tick);
      navette_engine_flush_journal_async (cli->engine, NULL, result_cb, &flushed);
      while (flushed == NULL)
        g_main_context_iteration (NULL, TRUE);
      /* Only what the server has not accepted is at risk. */
      if (!navette_engine_flush_journal_finish (cli->engine, flushed, &error) &&
          navette_middleware_get_n_pending (middleware) > 0)
        /* Translators: said when navette-cli ends; %s says why */
        g_printerr (_("navette-cli: warning: the changes not saved yet could not be kept on this computer: %s\n"),
                    error->message);
    }

  g_clear_pointer (&cli->server, g_free);
  g_clear_pointer (&cli->ca_file, g_free);
  g_clear_pointer (&cli->sort, g_free);
  g_clear_pointer (&cli->search, g_free);
  g_clear_pointer (&cli->saved_token, g_free);
  g_clear_pointer (&cli->saved_server, g_free);
  g_clear_pointer (&cli->saved_username, g_free);
  g_clear_pointer (&cli->replayed, g_ptr_array_unref);
  g_clear_object (&cli->engine);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cli, cli_clear)

/* ---- Waiting for async results ---- */

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static void
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- Saved session: $XDG_CONFIG_HOME/navette/session.json, 0600 ---- */

static char *
session_file (void)
{
  return g_build_filename (g_get_user_config_dir (), "navette", "session.json", NULL);
}

static void
load_saved (Cli *cli)
{
  g_autofree char *path = session_file ();
  g_autofree char *contents = NULL;
  g_autoptr(JsonNode) root = NULL;
  gsize len;
  JsonObject *object;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return;
  root = navette_json_parse_strict (contents, len, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;

  object = json_node_get_object (root);
  cli->saved_server = g_strdup (json_object_get_string_member_with_default (object, "server", NULL));
  cli->saved_token = g_strdup (json_object_get_string_member_with_default (object, "token", NULL));
  cli->saved_username = g_strdup (json_object_get_string_member_with_default (object, "username", NULL));
}

static gboolean
save_session (const char  *server,
              const char  *token,
              const char  *username,
              GError     **error)
{
  g_autofree char *path = session_file ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize len;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  json_builder_begin_object (builder);
  cli_add_string_member (builder, "server", server);
  cli_add_string_member (builder, "token", token);
  cli_add_string_member (builder, "username", username);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = navette_json_to_string (root, &len);

  return g_file_set_contents_full (path, text, len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                   0600, error);
}

static const char *
server_url (Cli *cli)
{
  if (cli->server != NULL)
    return cli->server;
  if (g_getenv ("NAVETTE_SERVER") != NULL && *g_getenv ("NAVETTE_SERVER") != '\0')
    return g_getenv ("NAVETTE_SERVER");
  return cli->saved_server;
}

/* What the engine says that a command must not keep quiet: the journal
 * cannot be written (changes not saved yet are at risk). */
static void
engine_notification_cb (NavetteEngine           *engine,
                        const char              *message,
                        NavetteNotificationKind  kind,
                        NavetteChange           *change,
                        Cli                     *cli)
{
  const GError *error = navette_middleware_get_journal_error (navette_engine_get_middleware (engine));

  if (kind == NAVETTE_NOTIFICATION_JOURNAL_FAILED)
    /* Translators: the engine's sentence, then why ("Could not write …: No
     * space left on device") */
    g_printerr (_("navette-cli: warning: %s (%s)\n"), message, error != NULL ? error->message : "");
}

NavetteEngine *
cli_open_engine (Cli     *cli,
                 GError **error)
{
  const char *url = server_url (cli);

  if (url == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("No server: use --server URL, set NAVETTE_SERVER, or sign in with “login” first."));
      return NULL;
    }

  if (cli->engine == NULL)
    {
      const char *ca_file = cli->ca_file;
      g_autoptr(NavetteEngine) engine = navette_engine_new (url);

      if (ca_file == NULL && g_getenv ("NAVETTE_CA_FILE") != NULL && *g_getenv ("NAVETTE_CA_FILE") != '\0')
        ca_file = g_getenv ("NAVETTE_CA_FILE");
      if (ca_file != NULL && !navette_engine_set_ca_file (engine, ca_file, error))
        {
          g_prefix_error (error, _("Cannot read the CA file %s: "), ca_file);
          return NULL;
        }
      cli->engine = g_steal_pointer (&engine);
      g_signal_connect (cli->engine, "notification", G_CALLBACK (engine_notification_cb), cli);
      /* Pending changes survive a crash ($XDG_DATA_HOME/navette). */
      navette_engine_use_default_dirs (cli->engine);
      /* Only use the saved token with the server it belongs to. */
      if (cli->saved_token != NULL && g_strcmp0 (url, cli->saved_server) == 0)
        navette_client_set_token (navette_engine_get_client (cli->engine), cli->saved_token);
    }

  return cli->engine;
}

/* ---- Password prompt ---- */

char *
cli_read_password (const char *env_name,
                   const char *prompt)
{
  const char *env = g_getenv (env_name);
  struct termios old_attr, new_attr;
  gboolean tty = isatty (STDIN_FILENO);
  char buf[1024];
  char *line;

  if (env != NULL)
    return g_strdup (env);

  if (tty)
    {
      g_printerr ("%s", prompt);
      if (tcgetattr (STDIN_FILENO, &old_attr) == 0)
        {
          new_attr = old_attr;
          new_attr.c_lflag &= ~(tcflag_t) ECHO;
          tcsetattr (STDIN_FILENO, TCSANOW, &new_attr);
        }
      else
        tty = FALSE;
    }

  line = fgets (buf, sizeof buf, stdin);

  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &old_attr);
      g_printerr ("\n");
    }

  if (line == NULL)
    return NULL;
  buf[strcspn (buf, "\r\n")] = '\0';
  return g_strdup (buf);
}

static char *
read_password_for (const char *username)
{
  g_autofree char *prompt = g_strdup_printf (_("Password for %s: "), username);

  return cli_read_password ("NAVETTE_PASSWORD", prompt);
}

/* ---- Helpers ---- */

static void
replayed_cb (NavetteMiddleware *middleware,
             NavetteChange     *change,
             Cli               *cli)
{
  g_ptr_array_add (cli->replayed, g_object_ref (change));
}

static gboolean
tick_once_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Wakes the main loop up now and then, so that a deadline is noticed. */
static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* The changes an earlier run (or the editor) kept in the journal are put
 * back by the load: they go first; say what was sent. */
static void
send_waiting_first (Cli *cli)
{
  NavetteMiddleware *middleware = navette_engine_get_middleware (cli->engine);
  gint64 deadline = g_get_monotonic_time () + MAX (cli->wait, 0) * G_USEC_PER_SEC;
  guint n_sent = 0;

  guint tick = g_timeout_add (100, tick_cb, NULL);

  while (navette_middleware_get_n_pending (middleware) > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);

  for (guint i = 0; i < cli->replayed->len; i++)
    n_sent += navette_change_get_state (g_ptr_array_index (cli->replayed, i)) == NAVETTE_CHANGE_STATE_SUCCEEDED;
  if (n_sent > 0)
    g_printerr (g_dngettext (GETTEXT_PACKAGE, "Sent %u change kept earlier:\n",
                             "Sent %u changes kept earlier:\n", n_sent), n_sent);
  for (guint i = 0; i < cli->replayed->len; i++)
    {
      NavetteChange *change = g_ptr_array_index (cli->replayed, i);

      if (navette_change_get_state (change) == NAVETTE_CHANGE_STATE_SUCCEEDED)
        g_printerr ("  %s (%s/%s %s)\n", navette_change_get_description (change),
                    navette_change_get_app (change), navette_change_get_table_name (change),
                    navette_change_get_record_id (change));
      else if (navette_change_get_state (change) == NAVETTE_CHANGE_STATE_FAILED)
        g_printerr (_("Could not save a change kept earlier: %s (%s). See “navette-cli pending”.\n"),
                    navette_change_get_description (change),
                    navette_change_get_error (change) ? navette_change_get_error (change)->message : "");
    }
  if (navette_middleware_get_n_pending (middleware) > 0)
    g_printerr (g_dngettext (GETTEXT_PACKAGE, "%u change kept earlier is still waiting for the server.\n",
                             "%u changes kept earlier are still waiting for the server.\n",
                             navette_middleware_get_n_pending (middleware)),
                navette_middleware_get_n_pending (middleware));
  g_ptr_array_set_size (cli->replayed, 0);
}

static gboolean
load_apps (Cli      *cli,
           GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  NavetteEngine *engine = cli_open_engine (cli, error);
  NavetteMiddleware *middleware;
  gulong id;
  gboolean ok;

  if (engine == NULL)
    return FALSE;

  middleware = navette_engine_get_middleware (engine);
  if (cli->replayed == NULL)
    cli->replayed = g_ptr_array_new_with_free_func (g_object_unref);
  id = g_signal_connect (middleware, "change-finished", G_CALLBACK (replayed_cb), cli);
  navette_engine_load_async (engine, NULL, result_cb, &result);
  wait_for (&result);
  ok = navette_engine_load_finish (engine, result, error);
  if (ok && navette_middleware_get_n_pending (middleware) + cli->replayed->len > 0)
    send_waiting_first (cli);
  g_signal_handler_disconnect (middleware, id);
  return ok;
}

static NavetteStore *
get_store (Cli         *cli,
           const char  *app,
           GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  NavetteStore *store;

  if (!load_apps (cli, error))
    return NULL;

  store = navette_engine_lookup_store (cli->engine, app);
  if (store == NULL)
    {
      g_set_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                   _("There is no application “%s” (or you have no role in it)."), app);
      return NULL;
    }

  navette_store_load_tables_async (store, NULL, result_cb, &result);
  wait_for (&result);
  if (!navette_store_load_tables_finish (store, result, error))
    return NULL;

  return store;
}

/* "APP/TABLE" → the store and table */
static NavetteTable *
get_table (Cli           *cli,
           const char    *spec,
           NavetteStore **store_out,
           GError       **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, "/", 2);
  NavetteStore *store;
  NavetteTable *table;

  if (g_strv_length (parts) != 2 || !navette_name_is_valid (parts[0]) ||
      !navette_name_is_valid (parts[1]))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not APP/TABLE."), spec);
      return NULL;
    }

  store = get_store (cli, parts[0], error);
  if (store == NULL)
    return NULL;

  table = navette_store_lookup_table (store, parts[1]);
  if (table == NULL)
    {
      g_set_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                   _("There is no table “%s” in %s."), parts[1], parts[0]);
      return NULL;
    }

  if (store_out != NULL)
    *store_out = store;
  return table;
}

static gboolean
reload_table (NavetteTable  *table,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_table_reload_async (table, TRUE, NULL, result_cb, &result);
  wait_for (&result);
  return navette_table_reload_finish (table, result, NULL, error);
}

static NavetteRecord *
fetch_record (NavetteTable  *table,
              const char    *id,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_table_fetch_record_async (table, id, NULL, result_cb, &result);
  wait_for (&result);
  return navette_table_fetch_record_finish (table, result, error);
}

/* col=value… → a typed JSON object per the schema */
static JsonObject *
parse_assignments (NavetteTable  *table,
                   char         **args,
                   int            n_args,
                   GError       **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  if (n_args == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("Give at least one column=value."));
      return NULL;
    }

  for (int i = 0; i < n_args; i++)
    {
      const char *eq = strchr (args[i], '=');
      g_autofree char *column = NULL;
      JsonNode *value;

      if (eq == NULL || eq == args[i])
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("“%s” is not column=value."), args[i]);
          return NULL;
        }
      column = g_strndup (args[i], eq - args[i]);
      value = navette_table_parse_value (table, column, eq + 1, error);
      if (value == NULL)
        return NULL;
      json_object_set_member (data, column, value);
    }

  return g_steal_pointer (&data);
}

/* Runs a change to its end and prints the outcome. Takes @change_owned. */
static int
finish_change (Cli           *cli,
               NavetteTable  *table,
               NavetteChange *change_owned)
{
  g_autoptr(NavetteChange) change = change_owned;
  const GError *error;
  gboolean expired;
  gint64 deadline = 0;
  guint tick = g_timeout_add (100, tick_cb, NULL);

  /* A change that waits for the server gets --wait seconds to go. */
  while (!navette_change_is_finished (change))
    {
      if (navette_change_get_waiting (change))
        {
          if (deadline == 0)
            deadline = g_get_monotonic_time () + MAX (cli->wait, 0) * G_USEC_PER_SEC;
          else if (g_get_monotonic_time () >= deadline)
            break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
  if (!navette_change_is_finished (change))
    return cli_say_kept (cli, navette_change_get_idempotency_key (change),
                         navette_change_get_description (change));

  error = navette_change_get_error (change);
  expired = g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED) ||
            g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED);
  if (navette_change_get_state (change) == NAVETTE_CHANGE_STATE_SUCCEEDED)
    {
      NavetteWireRecord *wire = navette_change_get_result (change);

      if (cli->json)
        cli_print_wire_record_json (wire);
      else
        {
          g_autoptr(NavetteRecord) record = navette_record_new_from_wire (wire);
          cli_print_record_text (table, record);
        }
      return 0;
    }

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "rolled_back");
      cli_add_change_json (builder, change);
      json_builder_set_member_name (builder, "error");
      cli_add_error_json (builder, error);
      json_builder_end_object (builder);
      cli_print_json_builder (builder);
    }
  else
    {
      JsonObject *previous = navette_change_get_previous (change);

      g_printerr (_("Rolled back: %s (record %s in %s/%s)\n"),
                  navette_change_get_description (change),
                  navette_change_get_record_id (change),
                  navette_change_get_app (change),
                  navette_change_get_table_name (change));
      if (previous != NULL)
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *node;

          json_object_iter_init (&iter, previous);
          while (json_object_iter_next (&iter, &name, &node))
            {
              g_autofree char *text = json_to_string (node, FALSE);
              g_printerr (_("  %s restored to %s\n"), name, text);
            }
        }
      g_printerr (_("Reason: %s\n"), error ? error->message : "");
      if (navette_change_get_attempts (change) > 1)
        g_printerr (_("Tried %u times.\n"), navette_change_get_attempts (change));
      if (expired)
        g_printerr ("%s\n", _("Sign in again with “navette-cli login”: the next command sends this change again."));
    }

  /* Refused for want of a session: kept (failed) in the journal, and sent
   * again by the first command after the next login. Any other refusal is
   * reported and leaves the journal (a later run must not retry it
   * behind the user's back). */
  if (cli->engine != NULL && navette_change_get_state (change) == NAVETTE_CHANGE_STATE_FAILED && !expired)
    navette_middleware_discard (navette_engine_get_middleware (cli->engine), change);

  return 1;
}

/* ---- Commands ---- */

/* What a command was given and, for a command on a table, what the runner
 * opened for it. */
typedef struct
{
  int             argc;
  char          **argv;
  NavetteStore   *store;    /* OPEN_TABLE: the application of argv[0] */
  NavetteTable   *table;    /* OPEN_TABLE: argv[0], APP/TABLE */
  NavetteRecord  *record;   /* OPEN_RECORD: argv[1], an ID */
  JsonObject     *data;     /* the COLUMN=VALUE… from argv[data_from] */
  gint64          version;  /* revert: argv[2] */
} Invocation;

static void
invocation_clear (Invocation *inv)
{
  g_clear_object (&inv->record);
  g_clear_pointer (&inv->data, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Invocation, invocation_clear)

typedef enum
{
  OPEN_TABLE  = 1 << 0,  /* argv[0] is APP/TABLE */
  OPEN_RELOAD = 1 << 1,  /* … with its records */
  OPEN_RECORD = 1 << 2,  /* … and argv[1] the ID of a record */
} OpenFlags;

static int
run_login (Cli        *cli,
           Invocation *inv)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  NavetteEngine *engine;
  NavetteSession *session;

  if (inv->argc == 1)
    username = g_strdup (inv->argv[0]);
  else if (g_getenv ("NAVETTE_USERNAME") != NULL)
    username = g_strdup (g_getenv ("NAVETTE_USERNAME"));
  else if (isatty (STDIN_FILENO))
    {
      char buf[256];

      g_printerr (_("User name: "));
      if (fgets (buf, sizeof buf, stdin) == NULL)
        return cli_usage_error (cli, _("No user name given."));
      buf[strcspn (buf, "\r\n")] = '\0';
      username = g_strdup (buf);
    }
  else
    return cli_usage_error (cli, _("No user name given."));

  engine = cli_open_engine (cli, &error);
  if (engine == NULL)
    return cli_fail (cli, error);

  password = read_password_for (username);
  if (password == NULL)
    return cli_usage_error (cli, _("No password given."));

  session = navette_engine_get_session (engine);
  navette_session_login_async (session, username, password, NULL, result_cb, &result);
  wait_for (&result);
  if (!navette_session_login_finish (session, result, &error))
    return cli_fail (cli, error);

  if (!save_session (server_url (cli), navette_session_get_token (session),
                     navette_session_get_username (session), &error))
    return cli_fail (cli, error);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cli_add_string_member (builder, "server", server_url (cli));
      cli_add_string_member (builder, "username", navette_session_get_username (session));
      cli_add_string_member (builder, "display_name", navette_session_get_display_name (session));
      json_builder_end_object (builder);
      cli_print_json_builder (builder);
    }
  else
    g_print (_("Signed in to %s as %s.\n"), server_url (cli), navette_session_get_display_name (session));

  return 0;
}

static int
run_logout (Cli        *cli,
            Invocation *inv)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = session_file ();
  NavetteEngine *engine;
  NavetteSession *session;

  engine = cli_open_engine (cli, &error);
  if (engine == NULL)
    return cli_fail (cli, error);

  session = navette_engine_get_session (engine);
  if (navette_client_get_token (navette_engine_get_client (engine)) != NULL)
    {
      navette_session_logout_async (session, NULL, result_cb, &result);
      wait_for (&result);
      /* Forget the token even when the server could not be told. */
      if (!navette_session_logout_finish (session, result, &error) &&
          !g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED) &&
          !g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED))
        g_printerr ("navette-cli: %s\n", error->message);
    }

  g_unlink (path);

  if (cli->json)
    g_print ("{\"signed_out\":true}\n");
  else
    g_print (_("Signed out.\n"));
  return 0;
}

static int
run_apps (Cli        *cli,
          Invocation *inv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  GListModel *stores;

  if (!load_apps (cli, &error))
    return cli_fail (cli, error);

  stores = navette_engine_get_stores (cli->engine);
  builder = cli_begin_json_list ("applications");
  for (guint i = 0; i < g_list_model_get_n_items (stores); i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (stores, i);
      const char *role = navette_role_to_string (navette_store_get_role (store));

      if (cli->json)
        {
          json_builder_begin_object (builder);
          cli_add_string_member (builder, "name", navette_store_get_name (store));
          cli_add_string_member (builder, "title", navette_store_get_title (store));
          cli_add_string_member (builder, "role", role);
          json_builder_end_object (builder);
        }
      else
        g_print ("%s\t%s\t%s\n", navette_store_get_name (store), navette_store_get_title (store), role);
    }
  return cli_end_json_list (cli, builder);
}

static int
run_tables (Cli        *cli,
            Invocation *inv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  NavetteStore *store;
  GListModel *tables;

  store = get_store (cli, inv->argv[0], &error);
  if (store == NULL)
    return cli_fail (cli, error);

  tables = navette_store_get_tables (store);
  builder = cli_begin_json_list ("tables");
  for (guint i = 0; i < g_list_model_get_n_items (tables); i++)
    {
      g_autoptr(NavetteTable) table = g_list_model_get_item (tables, i);
      const NavetteWireTable *schema = navette_table_get_schema (table);

      if (cli->json)
        navette_wire_table_to_json (schema, builder);
      else
        {
          g_print ("%s\t%s\n", schema->name, navette_table_get_title (table));
          for (guint c = 0; c < schema->columns->len; c++)
            {
              const NavetteWireColumn *col = g_ptr_array_index (schema->columns, c);

              g_print ("  %s\t%s%s", col->name, navette_column_type_to_string (col->type),
                       col->required ? " required" : "");
              if (col->max_length > 0)
                g_print (" max %" G_GINT64_FORMAT, col->max_length);
              g_print ("\n");
            }
        }
    }
  return cli_end_json_list (cli, builder);
}

/* The replica of the server and user of the command (DATA_DIR/KEY/
 * replica.db), or NULL when the user is not known. */
static NavetteReplica *
open_replica (Cli     *cli,
              GError **error)
{
  NavetteSession *session = navette_engine_get_session (cli->engine);
  const char *user = navette_session_get_username (session);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (user == NULL)
    user = journal_user (cli);
  if (user == NULL)
    return NULL;
  dir = g_build_filename (g_get_user_data_dir (), "navette", NULL);
  path = navette_replica_path_for (dir, server_url (cli), user);
  return navette_replica_open (path, error);
}

/* ls from the table's records in memory: without a known user only. */
static int
ls_in_memory (Cli        *cli,
              Invocation *inv)
{
  const NavetteWireTable *schema = navette_table_get_schema (inv->table);
  GListModel *records = G_LIST_MODEL (inv->table);
  g_autoptr(GError) error = NULL;
  guint n;

  if (cli->sort != NULL || cli->search != NULL || cli->limit > 0)
    return cli_usage_error (cli, _("--sort, --search and --limit need a signed-in user (use “login”)."));
  if (!reload_table (inv->table, &error))
    return cli_fail (cli, error);
  n = g_list_model_get_n_items (records);
  cli_print_ls_header (cli, schema, navette_table_get_revision (inv->table));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (records, i);

      cli_print_ls_row (cli, schema, record, i == 0);
    }
  cli_print_ls_footer (cli);
  return 0;
}

/* ls: syncs the table into the replica (everything the first time, the
 * changes since afterwards), then streams the view from it, a batch at a
 * time: the memory does not depend on the table's size. */
static int
run_ls (Cli        *cli,
        Invocation *inv)
{
  const NavetteWireTable *schema = navette_table_get_schema (inv->table);
  g_autoptr(NavetteReplica) replica = NULL;
  g_autoptr(NavetteReplicaCursor) cursor = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = g_strsplit (inv->argv[0], "/", 2);
  g_auto(GStrv) sort = NULL;
  NavetteReplicaView view = { 0 };
  gint64 revision = -1;
  gboolean first = TRUE;

  if (cli->limit < 0)
    return cli_usage_error (cli, _("--limit must be 0 (no limit) or more."));
  if (cli->sort != NULL)
    {
      sort = g_strsplit (cli->sort, ":", 2);
      if (sort[1] != NULL && g_strcmp0 (sort[1], "desc") != 0 && g_strcmp0 (sort[1], "asc") != 0)
        return cli_usage_error (cli, _("--sort is COLUMN, COLUMN:asc or COLUMN:desc."));
      view.sort_column = sort[0];
      view.descending = g_strcmp0 (sort[1], "desc") == 0;
    }
  view.search = cli->search;
  view.archived = NAVETTE_REPLICA_ARCHIVED_ALL;
  view.limit = cli->limit;

  replica = open_replica (cli, &error);
  if (replica == NULL && error == NULL)
    return ls_in_memory (cli, inv);
  if (replica == NULL ||
      !navette_replica_sync (replica, navette_engine_get_client (cli->engine), parts[0], schema,
                             &revision, NULL, &error))
    return cli_fail (cli, error);
  cursor = navette_replica_cursor_open (replica, parts[0], parts[1], &view, &error);
  if (cursor == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
        return cli_usage_error (cli, error->message);
      return cli_fail (cli, error);
    }

  cli_print_ls_header (cli, schema, revision);
  for (;;)
    {
      g_autoptr(GPtrArray) rows = navette_replica_cursor_next (cursor, 1000, &error);

      if (rows == NULL)
        return cli_fail (cli, error);
      if (rows->len == 0)
        break;
      for (guint i = 0; i < rows->len; i++)
        {
          cli_print_ls_row (cli, schema, g_ptr_array_index (rows, i), first);
          first = FALSE;
        }
    }
  cli_print_ls_footer (cli);
  return 0;
}

static int
run_get (Cli        *cli,
         Invocation *inv)
{
  if (cli->json)
    {
      g_autoptr(NavetteWireRecord) wire = navette_record_to_wire (inv->record);

      cli_print_wire_record_json (wire);
    }
  else
    cli_print_record_text (inv->table, inv->record);
  return 0;
}

static int
run_create (Cli        *cli,
            Invocation *inv)
{
  return finish_change (cli, inv->table,
                        navette_store_create (inv->store, inv->table, NULL, inv->data));
}

static int
run_set (Cli        *cli,
         Invocation *inv)
{
  return finish_change (cli, inv->table,
                        navette_store_update (inv->store, inv->table, inv->argv[1], inv->data));
}

static int
run_archive (Cli        *cli,
             Invocation *inv)
{
  return finish_change (cli, inv->table,
                        navette_store_archive (inv->store, inv->table, inv->argv[1],
                                               !cli->restore));
}

static int
run_history (Cli        *cli,
             Invocation *inv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) versions = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const NavetteWireTable *schema;

  navette_store_list_versions_async (inv->store, inv->table, inv->argv[1], NULL,
                                     result_cb, &result);
  wait_for (&result);
  versions = navette_store_list_versions_finish (inv->store, result, &error);
  if (versions == NULL)
    return cli_fail (cli, error);

  schema = navette_table_get_schema (inv->table);
  builder = cli_begin_json_list ("versions");
  for (guint i = 0; i < g_list_model_get_n_items (versions); i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (versions, i);
      g_autoptr(NavetteWireRecord) wire = navette_record_to_wire (record);

      wire->obsolete = i > 0;
      if (cli->json)
        navette_wire_record_to_json (wire, builder, TRUE);
      else
        {
          g_autofree char *when = navette_time_format (wire->updated_at);

          g_print ("version %" G_GINT64_FORMAT "\trevision %" G_GINT64_FORMAT "\t%s\t%s%s",
                   wire->version, wire->revision, when,
                   wire->updated_by ? wire->updated_by : "",
                   wire->archived ? "\tarchived" : "");
          for (guint c = 0; c < schema->columns->len; c++)
            {
              const NavetteWireColumn *col = g_ptr_array_index (schema->columns, c);
              g_autofree char *value = navette_record_dup_display (record, col->name);

              g_print ("\t%s=%s", col->name, value);
            }
          g_print ("\n");
        }
    }
  return cli_end_json_list (cli, builder);
}

static int
check_revert (Cli        *cli,
              Invocation *inv)
{
  if (!g_ascii_string_to_signed (inv->argv[2], 10, 1, G_MAXINT64, &inv->version, NULL))
    return cli_usage_error (cli, _("VERSION must be a version number (1, 2, …)."));
  return -1;
}

static int
run_revert (Cli        *cli,
            Invocation *inv)
{
  return finish_change (cli, inv->table,
                        navette_store_revert (inv->store, inv->table, inv->argv[1],
                                              inv->version, NULL));
}

static void
watch_changes_cb (NavettePoller *poller,
                  NavetteTable  *table,
                  gint64         revision,
                  GPtrArray     *records,
                  guint          n_by_others,
                  gpointer       user_data)
{
  Cli *cli = user_data;
  NavetteTable *watched = g_object_get_data (G_OBJECT (poller), "navette-cli-table");

  if (table != watched || records->len == 0)
    return;

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = NULL;

      builder = cli_begin_json_records (navette_table_get_name (table), revision);
      for (guint i = 0; i < records->len; i++)
        {
          NavetteRecord *record = g_ptr_array_index (records, i);

          json_builder_begin_object (builder);
          cli_add_string_member (builder, "id", navette_record_get_id (record));
          cli_add_int_member (builder, "version", navette_record_get_version (record));
          cli_add_string_member (builder, "updated_by", navette_record_get_updated_by (record));
          json_builder_end_object (builder);
        }
      cli_end_json_list (cli, builder);
    }
  else
    {
      GString *line = g_string_new (NULL);

      g_string_append_printf (line, "revision %" G_GINT64_FORMAT ": %u changed:",
                              revision, records->len);
      for (guint i = 0; i < records->len; i++)
        {
          NavetteRecord *record = g_ptr_array_index (records, i);

          g_string_append_printf (line, " %s (version %" G_GINT64_FORMAT ", %s)",
                                  navette_record_get_id (record),
                                  navette_record_get_version (record),
                                  navette_record_get_updated_by (record)
                                    ? navette_record_get_updated_by (record) : "?");
        }
      g_print ("%s\n", line->str);
      g_string_free (line, TRUE);
    }

  fflush (stdout);
}

static void
watch_online_cb (NavettePoller *poller,
                 GParamSpec    *pspec,
                 gpointer       user_data)
{
  g_printerr ("navette-cli: %s\n", navette_poller_get_online (poller)
                                     ? _("connected to the server again")
                                     : _("the server cannot be reached; retrying"));
}

static int
check_watch (Cli        *cli,
             Invocation *inv)
{
  if (cli->interval <= 0)
    return cli_usage_error (cli, _("--interval must be a positive number of seconds."));
  return -1;
}

static int
run_watch (Cli        *cli,
           Invocation *inv)
{
  NavettePoller *poller = navette_engine_get_poller (cli->engine);
  GListModel *stores = navette_engine_get_stores (cli->engine);

  /* Watch this application only. */
  for (guint i = 0; i < g_list_model_get_n_items (stores); i++)
    {
      g_autoptr(NavetteStore) other = g_list_model_get_item (stores, i);

      if (other != inv->store)
        navette_poller_remove_store (poller, other);
    }

  g_object_set_data (G_OBJECT (poller), "navette-cli-table", inv->table);
  g_signal_connect (poller, "changes", G_CALLBACK (watch_changes_cb), cli);
  g_signal_connect (poller, "notify::online", G_CALLBACK (watch_online_cb), cli);
  navette_poller_set_interval (poller, (guint) cli->interval);
  navette_poller_start (poller);

  if (!cli->json)
    {
      g_autofree char *revision = NULL;

      /* xgettext cannot read G_GINT64_FORMAT: the number is a string. */
      revision = g_strdup_printf ("%" G_GINT64_FORMAT,
                                  navette_table_get_revision (inv->table));
      g_printerr (_("Watching %s (revision %s, every %d s). Press Ctrl+C to stop.\n"),
                  inv->argv[0], revision, cli->interval);
    }

  for (;;)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}

/* ---- Dispatch ---- */

typedef struct
{
  const char *name;
  int         min_args;
  int         max_args;   /* -1: any number */
  const char *usage;      /* the usage error when the number is off */
  int       (*check) (Cli *cli, Invocation *inv);  /* or NULL: -1 to go on,
                                                    * or the exit status */
  OpenFlags   open;
  int         data_from;  /* 0, or where COLUMN=VALUE… start */
  int       (*run) (Cli *cli, Invocation *inv);
  const char *keep;       /* a change: its kind in the journal, kept when offline */
} Command;

static int run_pending  (Cli           *cli,
                         Invocation    *inv);

static int
run_admin (Cli        *cli,
           Invocation *inv)
{
  return cli_run_admin (cli, inv->argc, inv->argv);
}
static int keep_offline (Cli           *cli,
                         const Command *command,
                         Invocation    *inv,
                         const GError  *cause);

static const Command commands[] = {
  { "login", 0, 1, N_("Usage: navette-cli login [USERNAME]"), NULL, 0, 0, run_login },
  { "logout", 0, -1, NULL, NULL, 0, 0, run_logout },
  { "apps", 0, -1, NULL, NULL, 0, 0, run_apps },
  { "tables", 1, 1, N_("Usage: navette-cli tables APP"), NULL, 0, 0, run_tables },
  { "ls", 1, 1, N_("Usage: navette-cli ls APP/TABLE [--sort COLUMN[:desc]] [--search TEXT] [--limit N]"), NULL,
    OPEN_TABLE, 0, run_ls },
  { "get", 2, 2, N_("Usage: navette-cli get APP/TABLE ID"), NULL,
    OPEN_TABLE | OPEN_RECORD, 0, run_get },
  { "create", 2, -1, N_("Usage: navette-cli create APP/TABLE COLUMN=VALUE…"), NULL,
    OPEN_TABLE, 1, run_create, "create" },
  { "set", 3, -1, N_("Usage: navette-cli set APP/TABLE ID COLUMN=VALUE…"), NULL,
    OPEN_TABLE | OPEN_RECORD, 2, run_set, "update" },
  { "archive", 2, 2, N_("Usage: navette-cli archive APP/TABLE ID [--restore]"), NULL,
    OPEN_TABLE | OPEN_RECORD, 0, run_archive, "archive" },
  { "history", 2, 2, N_("Usage: navette-cli history APP/TABLE ID"), NULL,
    OPEN_TABLE, 0, run_history },
  { "revert", 3, 3, N_("Usage: navette-cli revert APP/TABLE ID VERSION"), check_revert,
    OPEN_TABLE | OPEN_RECORD, 0, run_revert, "revert" },
  { "pending", 0, 0, N_("Usage: navette-cli pending"), NULL, 0, 0, run_pending, NULL },
  { "admin", 0, -1, NULL, NULL, 0, 0, run_admin, NULL },
  { "watch", 1, 1, N_("Usage: navette-cli watch APP/TABLE [--interval S]"), check_watch,
    OPEN_TABLE | OPEN_RELOAD, 0, run_watch },
};

/* ---- Changes made while the server cannot be reached ---- */

static const char *
journal_user (Cli *cli)
{
  return cli->saved_username != NULL && g_strcmp0 (server_url (cli), cli->saved_server) == 0
         ? cli->saved_username : NULL;
}

static NavetteJournal *
open_journal (Cli     *cli,
              GError **error)
{
  const char *user = journal_user (cli);
  g_autofree char *path = NULL;
  g_autoptr(NavetteJournal) journal = NULL;

  if (cli_open_engine (cli, error) == NULL)
    return NULL;
  if (user == NULL || (path = navette_engine_journal_path_for (cli->engine, user)) == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("Not signed in to this server: sign in with “navette-cli login” first."));
      return NULL;
    }
  journal = navette_journal_new (path, navette_engine_get_account_url (cli->engine), user);
  if (!navette_journal_load (journal, error))
    return NULL;
  return g_steal_pointer (&journal);
}

static gboolean
journal_flush (NavetteJournal  *journal,
               GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_journal_flush_async (journal, NULL, result_cb, &result);
  wait_for (&result);
  return navette_journal_flush_finish (journal, result, error);
}

/* The server could not be reached to open what the command works on: the
 * change goes into the journal as typed (the columns are typed by the
 * schema when it is sent), on disk; then --wait seconds for the server to
 * come back, and it is sent like any change kept earlier. */
static int
keep_offline (Cli           *cli,
              const Command *command,
              Invocation    *inv,
              const GError  *cause)
{
  g_autoptr(NavetteJournal) journal = NULL;
  g_autoptr(JsonObject) entry = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = g_strsplit (inv->argv[0], "/", 2);
  g_autofree char *key = navette_uuid_new ();
  g_autofree char *record = NULL;
  g_autofree char *now = navette_time_format (g_get_real_time ());
  g_autofree char *args = g_strjoinv (" ", inv->argv);
  g_autofree char *description = g_strdup_printf ("%s %s", command->name, args);
  const char *kind = command->keep;
  gint64 deadline;

  journal = open_journal (cli, &error);
  if (journal == NULL)
    return cli_fail (cli, cause);

  if (g_str_equal (kind, "archive") && cli->restore)
    kind = "unarchive";
  record = g_str_equal (kind, "create") ? navette_uuid_new () : g_strdup (inv->argv[1]);
  json_object_set_string_member (entry, "key", key);
  json_object_set_string_member (entry, "state", "pending");
  json_object_set_string_member (entry, "kind", kind);
  json_object_set_string_member (entry, "app", parts[0]);
  json_object_set_string_member (entry, "table", parts[1]);
  json_object_set_string_member (entry, "record", record);
  json_object_set_string_member (entry, "made_at", now);
  if (command->data_from > 0)
    {
      JsonObject *text = json_object_new ();

      for (int i = command->data_from; i < inv->argc; i++)
        {
          const char *eq = strchr (inv->argv[i], '=');
          g_autofree char *column = NULL;

          if (eq == NULL || eq == inv->argv[i])
            {
              json_object_unref (text);
              g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("“%s” is not column=value."), inv->argv[i]);
              return cli_fail (cli, error);
            }
          column = g_strndup (inv->argv[i], eq - inv->argv[i]);
          json_object_set_string_member (text, column, eq + 1);
        }
      json_object_set_object_member (entry, "text", text);
    }
  if (g_str_equal (kind, "revert"))
    json_object_set_int_member (entry, "revert_version", inv->version);

  navette_journal_put (journal, entry);
  if (!journal_flush (journal, &error))
    return cli_fail (cli, error);
  g_clear_object (&journal);

  /* On disk. Now give the server --wait seconds to come back. */
  deadline = g_get_monotonic_time () + MAX (cli->wait, 0) * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) load_error = NULL;
      gboolean again = FALSE;
      guint id;

      if (load_apps (cli, &load_error))
        {
          NavetteJournal *engine_journal = navette_engine_get_journal (cli->engine);
          JsonObject *left = engine_journal != NULL ? navette_journal_lookup (engine_journal, key) : NULL;

          if (left == NULL)
            return 0;   /* sent (and said so) */
          if (g_strcmp0 (json_object_get_string_member_with_default (left, "state", NULL), "failed") == 0)
            return 1;
          break;
        }
      if (!navette_sync_error_is_transient (load_error))
        return cli_fail (cli, load_error);
      id = g_timeout_add (1000, (GSourceFunc) G_SOURCE_FUNC (tick_once_cb), &again);
      while (!again)
        g_main_context_iteration (NULL, TRUE);
      (void) id;
    }
  return cli_say_kept (cli, key, description);
}

static const char *
entry_string (JsonObject *entry,
              const char *member)
{
  return json_object_get_string_member_with_default (entry, member, "");
}

/* What waits in the journal, and what failed: no network needed. */
static int
run_pending (Cli        *cli,
             Invocation *inv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteJournal) journal = open_journal (cli, &error);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (journal == NULL)
    return cli_fail (cli, error);
  entries = navette_journal_dup_entries (journal);
  builder = cli_begin_json_list ("changes");
  if (!cli->json && entries->len == 0)
    g_print ("%s\n", _("No change is waiting."));
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      gboolean failed = g_strcmp0 (entry_string (entry, "state"), "failed") == 0;
      JsonNode *values = json_object_get_member (entry, "data");

      if (values == NULL)
        values = json_object_get_member (entry, "text");
      if (cli->json)
        {
          json_builder_begin_object (builder);
          cli_add_string_member (builder, "idempotency_key", entry_string (entry, "key"));
          cli_add_string_member (builder, "state", failed ? "failed" : "waiting");
          cli_add_string_member (builder, "kind", entry_string (entry, "kind"));
          cli_add_string_member (builder, "app", entry_string (entry, "app"));
          cli_add_string_member (builder, "table", entry_string (entry, "table"));
          cli_add_string_member (builder, "record", entry_string (entry, "record"));
          cli_add_string_member (builder, "made_at", entry_string (entry, "made_at"));
          if (values != NULL)
            {
              json_builder_set_member_name (builder, "data");
              json_builder_add_value (builder, json_node_copy (values));
            }
          if (failed)
            {
              json_builder_set_member_name (builder, "error");
              json_builder_begin_object (builder);
              cli_add_string_member (builder, "code", entry_string (entry, "error_code"));
              cli_add_string_member (builder, "message", entry_string (entry, "error_message"));
              json_builder_end_object (builder);
            }
          json_builder_end_object (builder);
        }
      else
        {
          g_autofree char *text = values != NULL ? json_to_string (values, FALSE) : g_strdup ("");

          g_print ("%s\t%s\t%s/%s\t%s\t%s\t%s%s%s\n",
                   failed ? _("failed") : _("waiting"), entry_string (entry, "kind"),
                   entry_string (entry, "app"), entry_string (entry, "table"),
                   entry_string (entry, "record"), entry_string (entry, "made_at"), text,
                   failed ? "\t" : "", failed ? entry_string (entry, "error_message") : "");
        }
    }
  return cli_end_json_list (cli, builder);
}

/* Opens what @command works on: the table of argv[0], then the
 * COLUMN=VALUE… it is given, then the record argv[1] or the records. */
static gboolean
open_target (Cli            *cli,
             const Command  *command,
             Invocation     *inv,
             GError        **error)
{
  int from = command->data_from;

  inv->table = get_table (cli, inv->argv[0], &inv->store, error);
  if (inv->table == NULL)
    return FALSE;
  if (from > 0 &&
      !(inv->data = parse_assignments (inv->table, inv->argv + from, inv->argc - from, error)))
    return FALSE;
  if ((command->open & OPEN_RECORD) != 0 &&
      !(inv->record = fetch_record (inv->table, inv->argv[1], error)))
    return FALSE;
  if ((command->open & OPEN_RELOAD) != 0 && !reload_table (inv->table, error))
    return FALSE;
  return TRUE;
}

/* Checks the arguments of @command, opens what it works on and runs it.
 * Returns the exit status. */
static int
run_command (Cli            *cli,
             const Command  *command,
             int             argc,
             char          **argv)
{
  g_auto(Invocation) inv = { .argc = argc, .argv = argv };
  g_autoptr(GError) error = NULL;
  int status;

  if (argc < command->min_args || (command->max_args >= 0 && argc > command->max_args))
    return cli_usage_error (cli, _(command->usage));
  if (command->check != NULL && (status = command->check (cli, &inv)) >= 0)
    return status;
  if ((command->open & OPEN_TABLE) != 0 && !open_target (cli, command, &inv, &error))
    {
      /* The server cannot be reached: a change is kept all the same. */
      if (command->keep != NULL && navette_sync_error_is_transient (error))
        return keep_offline (cli, command, &inv, error);
      return cli_fail (cli, error);
    }
  return command->run (cli, &inv);
}

int
navette_cli_run (int    argc,
                 char **argv)
{
  g_auto(Cli) cli = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &cli.server, N_("Server URL (default: $NAVETTE_SERVER, or the server of the last login)"), "URL" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &cli.ca_file, N_("Trust the server certificates signed by the CA of this PEM file instead of the system store (default: $NAVETTE_CA_FILE)"), "FILE" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &cli.json, N_("Print JSON"), NULL },
    { "interval", 'i', 0, G_OPTION_ARG_INT, &cli.interval, N_("Seconds between checks (watch)"), "S" },
    { "restore", 0, 0, G_OPTION_ARG_NONE, &cli.restore, N_("Restore instead of archive (archive)"), NULL },
    { "sort", 0, 0, G_OPTION_ARG_STRING, &cli.sort, N_("Order by this column, COLUMN:desc for descending (ls)"), "COLUMN[:desc]" },
    { "search", 0, 0, G_OPTION_ARG_STRING, &cli.search, N_("Only the records whose text columns have words starting with each of these (ls)"), "TEXT" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &cli.limit, N_("At most this many records (ls)"), "N" },
    { "wait", 'w', 0, G_OPTION_ARG_INT, &cli.wait, N_("Seconds to wait for the server when it cannot be reached (default 10); the change is kept meanwhile, and the command exits with 75 if it does not answer"), "SECONDS" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  cli.interval = 30;
  cli.wait = 10;

  context = g_option_context_new (_("COMMAND [ARGUMENTS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Commands:\n"
      "  login [USERNAME]                 sign in (password from a prompt or NAVETTE_PASSWORD)\n"
      "  logout                           sign out\n"
      "  apps                             list the applications\n"
      "  tables APP                       list the tables of an application\n"
      "  ls APP/TABLE                     list the records (--sort, --search, --limit)\n"
      "  get APP/TABLE ID                 show a record\n"
      "  create APP/TABLE COL=VALUE…      create a record\n"
      "  set APP/TABLE ID COL=VALUE…      change a record\n"
      "  archive APP/TABLE ID [--restore] archive (or restore) a record\n"
      "  history APP/TABLE ID             list the versions of a record\n"
      "  revert APP/TABLE ID VERSION      make a version current again\n"
      "  watch APP/TABLE [--interval S]   print the changes made on the server\n"
      "  pending                          list the changes waiting for the server, and those that failed\n"
      "  admin COMMAND …                  administer the server: users, applications, tables,\n"
      "                                   columns, roles, activity (see “navette-cli admin”)\n"
      "\n"
      "When the server cannot be reached, a change is kept on this computer, sent by the\n"
      "next command (which says so), and the command exits with status 75."));

  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("navette-cli: %s\n", error->message);
      return 2;
    }

  if (g_strv_length (args) < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("%s", help);
      return 2;
    }

  load_saved (&cli);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (args[1], commands[i].name) == 0)
      return run_command (&cli, &commands[i], g_strv_length (args) - 2, args + 2);

  {
    g_autofree char *message = g_strdup_printf (_("Unknown command “%s”. See --help."), args[1]);
    return cli_usage_error (&cli, message);
  }
}
