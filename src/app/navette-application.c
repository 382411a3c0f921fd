/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>
#include <signal.h>
#include <glib-unix.h>

#include "navette-application.h"
#include "navette-ca-file.h"
#include "navette-local-server.h"
#include "navette-resources.h"
#include "navette-preferences-window.h"
#include "navette-sign-in-dialog.h"
#include "navette-token-store.h"
#include "navette-window.h"

struct _NavetteApplication
{
  AdwApplication      parent_instance;

  GSettings          *settings;
  NavetteLocalServer *local_server;
  NavetteEngine      *engine;
  NavetteTokenStore  *tokens;
  GCancellable       *cancellable;
  NavetteWindow      *window;
  char               *server_option;   /* --server URL */
  char               *server;          /* the server in use, NULL in local mode */
  char               *table_option;    /* --table APP/TABLE */
  AdwToast           *ca_file_toast;   /* the file cannot be used, until dismissed */
  GtkWindow          *sign_in_dialog;  /* while asking the password (weak) */
  gboolean            asking_password;
  gboolean            restore_waiting; /* for the server to answer (saved data on show) */
  gint64              start_time;
};

G_DEFINE_FINAL_TYPE (NavetteApplication, navette_application, ADW_TYPE_APPLICATION)

static void connect_server (NavetteApplication *self);
static void make_engine    (NavetteApplication *self,
                            const char         *base_url);

static NavetteWindow *
get_window (NavetteApplication *self)
{
  if (self->window == NULL)
    {
      self->window = navette_window_new (GTK_APPLICATION (self));
      navette_window_set_initial_table (self->window, self->table_option);
      g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
    }
  return self->window;
}

static void
engine_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  NavetteEngine *engine = NAVETTE_ENGINE (object);

  if (!navette_engine_load_finish (engine, result, &error))
    {
      /* Cancelled — connecting again (another server, a new CA file) or
       * quitting — or the answer of an engine replaced meanwhile: the
       * window shows the new connection, not this. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || engine != self->engine)
        return;
      if (self->window != NULL)
        navette_window_show_error (self->window, NULL, error->message);
      return;
    }
  if (engine != self->engine)
    return;
  g_debug ("Applications loaded");
  if (self->window != NULL)
    navette_window_set_engine (self->window, self->engine);
}

static void
signed_in (NavetteApplication *self)
{
  NavetteSession *session = navette_engine_get_session (self->engine);

  if (self->server != NULL)
    {
      g_settings_set_string (self->settings, "username", navette_session_get_username (session));
      navette_token_store_save_async (self->tokens, self->server,
                                      navette_session_get_username (session),
                                      navette_session_get_token (session),
                                      NULL, NULL, NULL);
    }
  navette_poller_set_interval (navette_engine_get_poller (self->engine),
                               g_settings_get_uint (self->settings, "poll-interval"));
  navette_engine_load_async (self->engine, self->cancellable, engine_loaded_cb, g_object_ref (self));
}

static void engine_online_cb (NavetteApplication *self,
                              GParamSpec         *pspec,
                              NavetteEngine      *engine);
static void restore_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data);

static void
sign_in_dialog_signed_in_cb (NavetteApplication *self)
{
  NavetteSession *session = navette_engine_get_session (self->engine);
  const char *loaded_user = navette_engine_get_loaded_user (self->engine);

  self->asking_password = FALSE;
  if (loaded_user != NULL && g_strcmp0 (loaded_user, navette_session_get_username (session)) != 0)
    {
      g_autofree char *token = g_strdup (navette_session_get_token (session));

      /* Someone else signed in where a session expired: the changes of
       * the one before are not theirs — they stay in that user's journal
       * and go when that user signs in again. A new engine for this
       * user, with the session just opened. */
      if (self->window != NULL)
        navette_window_set_engine (self->window, NULL);
      make_engine (self, self->server);
      navette_window_show_connecting (get_window (self), _("Connecting to the server…"));
      navette_session_restore_async (navette_engine_get_session (self->engine), token,
                                     self->cancellable, restore_cb, g_object_ref (self));
      return;
    }
  /* A first sign-in, or a new session after an expired one (the engine
   * then retries the failed changes itself); either way, (re)load. */
  signed_in (self);
}

static void
sign_in_dialog_destroy_cb (NavetteApplication *self)
{
  gboolean cancelled = self->asking_password;

  self->asking_password = FALSE;
  /* Cancelled before signing in: say so, with a way to try again. */
  if (cancelled && self->window != NULL && self->engine != NULL &&
      !navette_session_get_signed_in (navette_engine_get_session (self->engine)))
    navette_window_show_error (self->window, _("Not Signed In"),
                               _("Sign in to see the applications you work on."));
}

static void
ask_password (NavetteApplication *self,
              const char         *reason)
{
  NavetteSignInDialog *dialog;
  g_autofree char *username = NULL;

  if (self->asking_password || self->engine == NULL)
    return;
  self->asking_password = TRUE;
  username = g_settings_get_string (self->settings, "username");
  dialog = navette_sign_in_dialog_new (GTK_WINDOW (get_window (self)),
                                       navette_engine_get_session (self->engine),
                                       self->server, username, reason);
  g_signal_connect_object (dialog, "signed-in", G_CALLBACK (sign_in_dialog_signed_in_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (sign_in_dialog_destroy_cb),
                           self, G_CONNECT_SWAPPED);
  g_set_weak_pointer (&self->sign_in_dialog, GTK_WINDOW (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
local_login_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!navette_session_login_finish (NAVETTE_SESSION (object), result, &error))
    {
      if (self->window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        navette_window_show_error (self->window, _("Could Not Sign In"), error->message);
      return;
    }
  g_debug ("Signed in as the local user");
  signed_in (self);
}

static void
auth_expired_cb (NavetteApplication *self)
{
  if (self->server == NULL)
    {
      /* Local mode: sign in again as the local user, silently. */
      navette_session_login_async (navette_engine_get_session (self->engine),
                                   NAVETTE_LOCAL_USERNAME, NAVETTE_LOCAL_PASSWORD,
                                   self->cancellable, local_login_cb, g_object_ref (self));
      return;
    }
  ask_password (self, _("Your session has expired. Sign in again to save your changes."));
}

static void
poll_interval_changed_cb (NavetteApplication *self)
{
  if (self->engine != NULL)
    navette_poller_set_interval (navette_engine_get_poller (self->engine),
                                 g_settings_get_uint (self->settings, "poll-interval"));
}

static void
ca_file_toast_dismissed_cb (NavetteApplication *self)
{
  g_clear_object (&self->ca_file_toast);
}

/* A toast: the certificate authority file cannot be used, why, and a way
 * to the Preferences to change it. */
static void
show_ca_file_problem (NavetteApplication *self,
                      const char         *problem)
{
  g_autofree char *title = navette_ca_file_format_problem (problem);
  AdwToast *toast;

  /* Only the latest word on the file: the toast still shown says it.
   * (Never dismissed by the app: libadwaita 1.2 can crash when a toast is
   * dismissed while it still slides in.) */
  if (self->ca_file_toast != NULL)
    {
      adw_toast_set_title (self->ca_file_toast, title);
      adw_toast_set_button_label (self->ca_file_toast, _("_Preferences"));
      return;
    }
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 10);
  adw_toast_set_button_label (toast, _("_Preferences"));
  adw_toast_set_action_name (toast, "app.preferences");
  self->ca_file_toast = g_object_ref (toast);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (ca_file_toast_dismissed_cb),
                           self, G_CONNECT_SWAPPED);
  navette_window_add_toast (get_window (self), toast);
}

/* The file was mended while the toast about it is still shown. */
static void
show_ca_file_mended (NavetteApplication *self,
                     const char         *ca_file)
{
  if (self->ca_file_toast == NULL)
    return;
  adw_toast_set_title (self->ca_file_toast,
                       ca_file[0] != '\0' ? _("Now using the certificate authority file")
                                          : _("Now using the system’s certificate authorities"));
  adw_toast_set_button_label (self->ca_file_toast, NULL);
}

static void
make_engine (NavetteApplication *self,
             const char         *base_url)
{
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (navette_engine_get_session (self->engine), self);
  g_clear_object (&self->engine);
  self->engine = navette_engine_new (base_url);
  self->restore_waiting = FALSE;
  g_signal_connect_object (self->engine, "notify::online", G_CALLBACK (engine_online_cb), self,
                           G_CONNECT_SWAPPED);
  /* A self-hosted server's own certificate authority. */
  if (self->settings != NULL)
    {
      g_autofree char *ca_file = g_settings_get_string (self->settings, "ca-file");
      g_autoptr(GError) error = NULL;

      if (ca_file[0] == '\0' || navette_engine_set_ca_file (self->engine, ca_file, &error))
        show_ca_file_mended (self, ca_file);
      else
        {
          g_autofree char *problem = navette_ca_file_get_problem (ca_file, error);

          g_message ("The certificate authority file %s is not used: %s", ca_file, error->message);
          /* The team server's certificate is now checked against the
           * system store: say so (the local server needs no certificate). */
          if (self->server != NULL)
            show_ca_file_problem (self, problem != NULL ? problem : error->message);
        }
    }
  /* The crash journal and the replica (before the first load). */
  navette_engine_use_default_dirs (self->engine);
  g_signal_connect_swapped (navette_engine_get_session (self->engine), "auth-expired",
                            G_CALLBACK (auth_expired_cb), self);
}

static void
saved_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  NavetteEngine *engine = NAVETTE_ENGINE (object);

  if (!navette_engine_open_saved_finish (engine, result, &error))
    {
      g_debug ("No saved data shown: %s", error->message);
      return;
    }
  /* Only while the network has not answered yet (and for this engine). */
  if (engine != self->engine || self->window == NULL ||
      navette_window_get_engine (self->window) != NULL)
    return;
  g_debug ("Saved data read after %.0f ms",
           (g_get_monotonic_time () - self->start_time) / 1000.0);
  navette_window_show_cached (self->window, engine);
}

/* With a saved user for this server, shows the replica at once while the
 * network (or the local server) starts. */
static void
open_saved (NavetteApplication *self,
            const char         *username)
{
  if (username == NULL || username[0] == '\0')
    return;
  navette_engine_open_saved_async (self->engine, username, self->cancellable,
                                   saved_opened_cb, g_object_ref (self));
}

/* The local mode's engine: its server's port changes at each start, so
 * the journal and the replica are named after the database. */
static void
make_local_engine (NavetteApplication *self,
                   const char         *base_url)
{
  g_autofree char *account = NULL;

  make_engine (self, base_url);
  account = g_strconcat ("local:", navette_local_server_get_db_path (self->local_server), NULL);
  navette_engine_set_account_url (self->engine, account);
}

static void
local_server_started_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *url;

  url = navette_local_server_start_finish (NAVETTE_LOCAL_SERVER (object), result, &error);
  if (url == NULL)
    {
      if (self->window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        navette_window_show_error (self->window, _("Could Not Start the Local Server"), error->message);
      return;
    }
  g_debug ("Local server ready at %s after %.0f ms, at %.1f ms (monotonic)", url,
           (g_get_monotonic_time () - self->start_time) / 1000.0,
           g_get_monotonic_time () / 1000.0);
  /* The engine showing the replica meanwhile now has its server. */
  navette_client_set_base_url (navette_engine_get_client (self->engine), url);
  navette_session_login_async (navette_engine_get_session (self->engine),
                               NAVETTE_LOCAL_USERNAME, NAVETTE_LOCAL_PASSWORD,
                               self->cancellable, local_login_cb, g_object_ref (self));
}

static void
restore_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!navette_session_restore_finish (NAVETTE_SESSION (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The server does not answer while the saved data (and the
       * changes waiting) are on show: they stay, "Offline", and the
       * session is restored once it answers (the engine probes it). */
      if ((g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK) ||
           g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TIMEOUT)) &&
          self->window != NULL && navette_window_get_engine (self->window) == self->engine)
        {
          g_debug ("Showing the saved data until the server answers: %s", error->message);
          self->restore_waiting = TRUE;
          navette_poller_report_unreachable (navette_engine_get_poller (self->engine));
          return;
        }
      /* The password would not help: say what is wrong instead. */
      if (g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK) ||
          g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TIMEOUT) ||
          g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TLS))
        {
          if (self->window != NULL)
            navette_window_show_error (self->window,
                                       g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TLS)
                                         ? _("Cannot Trust the Server") : NULL,
                                       error->message);
          return;
        }
      ask_password (self, NULL);
      return;
    }
  signed_in (self);
}

/* The server answers again after a start that showed the saved data:
 * the session is restored now (with the token kept), then the load. */
static void
engine_online_cb (NavetteApplication *self,
                  GParamSpec         *pspec,
                  NavetteEngine      *engine)
{
  g_autofree char *token = NULL;

  if (engine != self->engine || !self->restore_waiting || !navette_engine_get_online (engine))
    return;
  self->restore_waiting = FALSE;
  token = g_strdup (navette_client_get_token (navette_engine_get_client (engine)));
  if (token == NULL)
    return;
  navette_session_restore_async (navette_engine_get_session (engine), token,
                                 self->cancellable, restore_cb, g_object_ref (self));
}

static void
token_lookup_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  token = navette_token_store_lookup_finish (NAVETTE_TOKEN_STORE (object), result, &error);
  if (self->engine == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (token == NULL)
    {
      ask_password (self, NULL);
      return;
    }
  navette_session_restore_async (navette_engine_get_session (self->engine), token,
                                 self->cancellable, restore_cb, g_object_ref (self));
}

static void
update_sign_out (NavetteApplication *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "sign-out");

  /* Local mode signs the local user in by itself: nothing to sign out of. */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), self->server != NULL);
}

static void
connect_server (NavetteApplication *self)
{
  NavetteWindow *window = get_window (self);
  g_autofree char *setting = g_settings_get_string (self->settings, "server-url");
  const char *url = self->server_option != NULL ? self->server_option : setting;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  /* A sign-in dialog open for the engine of before (another server, or
   * the CA file changed) would sign that one in: ask again for this one. */
  if (self->sign_in_dialog != NULL)
    {
      GtkWindow *dialog = self->sign_in_dialog;

      g_signal_handlers_disconnect_by_data (dialog, self);
      g_clear_weak_pointer (&self->sign_in_dialog);
      gtk_window_destroy (dialog);
    }
  self->asking_password = FALSE;
  navette_window_set_engine (window, NULL);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (navette_engine_get_session (self->engine), self);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->server, g_free);
  self->server = url != NULL && url[0] != '\0' ? g_strdup (url) : NULL;
  update_sign_out (self);

  if (url == NULL || url[0] == '\0')
    {
      /* Local mode. */
      if (self->local_server != NULL && navette_local_server_get_base_url (self->local_server) != NULL)
        {
          make_local_engine (self, navette_local_server_get_base_url (self->local_server));
          open_saved (self, NAVETTE_LOCAL_USERNAME);
          navette_session_login_async (navette_engine_get_session (self->engine),
                                       NAVETTE_LOCAL_USERNAME, NAVETTE_LOCAL_PASSWORD,
                                       self->cancellable, local_login_cb, g_object_ref (self));
          return;
        }
      g_clear_object (&self->local_server);
      self->local_server = navette_local_server_new (g_getenv ("NAVETTE_LOCAL_DB"));
      navette_window_show_connecting (window, _("Starting the local server…"));
      /* The address is known once the server runs: the replica is shown
       * meanwhile. */
      make_local_engine (self, "http://127.0.0.1");
      open_saved (self, NAVETTE_LOCAL_USERNAME);
      navette_local_server_start_async (self->local_server, self->cancellable,
                                        local_server_started_cb, g_object_ref (self));
      return;
    }

  /* A team server: the local one is not needed. */
  if (self->local_server != NULL)
    navette_local_server_stop (self->local_server);
  g_clear_object (&self->local_server);
  make_engine (self, url);
  navette_window_show_connecting (window, _("Connecting to the server…"));
  {
    g_autofree char *username = g_settings_get_string (self->settings, "username");

    if (username[0] == '\0')
      ask_password (self, NULL);
    else
      {
        open_saved (self, username);
        navette_token_store_lookup_async (self->tokens, url, username, self->cancellable,
                                          token_lookup_cb, g_object_ref (self));
      }
  }
}

static void
server_url_changed_cb (NavetteApplication *self)
{
  if (self->server_option != NULL)
    return;
  connect_server (self);
}

static void
ca_file_changed_cb (NavetteApplication *self)
{
  /* A team server (from the setting or --server): connect again with the
   * new file, which tells when it cannot be used. The local server needs
   * no certificate. */
  if (self->server != NULL)
    connect_server (self);
}

/* ---- Actions ---- */

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  NavetteApplication *self = user_data;

  /* Through the window: it asks about unsaved edits and unsent changes,
   * puts everything on disk, and the app ends with its last window. */
  if (self->window != NULL)
    gtk_window_close (GTK_WINDOW (self->window));
  else
    g_application_quit (G_APPLICATION (self));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  NavetteApplication *self = user_data;

  gtk_window_present (GTK_WINDOW (navette_preferences_window_new (GTK_WINDOW (get_window (self)))));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  NavetteApplication *self = user_data;
  const char *developers[] = { _("The Navette developers"), NULL };

  adw_show_about_window (GTK_WINDOW (get_window (self)),
                         "application-name", _("Navette"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Navette developers"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Edit shared, versioned content"),
                         "website", "https://github.com/navette/navette",
                         "issue-url", "https://github.com/navette/navette/issues",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         /* Translators: put your names here, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NavetteApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!navette_session_logout_finish (NAVETTE_SESSION (object), result, &error))
    g_debug ("Sign-out: %s", error->message);
  if (self->window != NULL)
    navette_window_set_engine (self->window, NULL);
  if (self->server != NULL)
    {
      /* A new engine for whoever signs in next: changes still waiting
       * belong to the user who made them; they stay in that user's
       * journal and go when that user signs in again — never under
       * someone else's name. */
      make_engine (self, self->server);
      ask_password (self, NULL);
    }
}

static void sign_out_now (NavetteWindow *window,
                          gpointer       user_data);

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  NavetteApplication *self = user_data;

  if (self->engine == NULL)
    return;
  /* Unsaved edits and unsent changes: ask first. */
  navette_window_confirm_leave (get_window (self), TRUE, sign_out_now,
                                g_object_ref (self), g_object_unref);
}

static void
sign_out_now (NavetteWindow *window,
              gpointer       user_data)
{
  NavetteApplication *self = user_data;
  NavetteSession *session;

  if (self->engine == NULL)
    return;
  session = navette_engine_get_session (self->engine);
  if (self->server != NULL && navette_session_get_username (session) != NULL)
    navette_token_store_clear_async (self->tokens, self->server,
                                     navette_session_get_username (session), NULL, NULL, NULL);
  navette_window_show_connecting (get_window (self), _("Signing out…"));
  navette_session_logout_async (session, NULL, logout_cb, g_object_ref (self));
}

static void
reconnect_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  connect_server (NAVETTE_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_action, NULL, NULL, NULL, { 0 } },
  { "about", about_action, NULL, NULL, NULL, { 0 } },
  { "sign-out", sign_out_action, NULL, NULL, NULL, { 0 } },
  { "reconnect", reconnect_action, NULL, NULL, NULL, { 0 } },
};

/* ---- GApplication ---- */

static int
navette_application_handle_local_options (GApplication *application,
                                          GVariantDict *options)
{
  NavetteApplication *self = NAVETTE_APPLICATION (application);
  const char *server = NULL;
  const char *table = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("navette %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "server", "&s", &server))
    {
      if (!g_str_has_prefix (server, "http://") && !g_str_has_prefix (server, "https://"))
        {
          g_printerr (_("The server address must start with http:// or https://\n"));
          return 1;
        }
      self->server_option = g_strdup (server);
    }
  if (g_variant_dict_lookup (options, "table", "&s", &table))
    self->table_option = g_strdup (table);
  return -1;
}

static gboolean
quit_signal_cb (gpointer user_data)
{
  /* SIGTERM / SIGINT: quit properly, so the local server is stopped. */
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
navette_application_startup (GApplication *application)
{
  NavetteApplication *self = NAVETTE_APPLICATION (application);
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *preferences_accels[] = { "<Control>comma", NULL };
  const char *refresh_accels[] = { "F5", NULL };
  const char *new_accels[] = { "<Control>n", NULL };
  const char *save_accels[] = { "<Control>s", NULL };
  const char *search_accels[] = { "<Control>f", NULL };

  G_APPLICATION_CLASS (navette_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.refresh", refresh_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.new-record", new_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.save", save_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.search", search_accels);

  g_unix_signal_add (SIGTERM, quit_signal_cb, self);
  g_unix_signal_add (SIGINT, quit_signal_cb, self);

  self->settings = g_settings_new (APP_ID);
  self->tokens = navette_token_store_new ();
  g_signal_connect_swapped (self->settings, "changed::server-url",
                            G_CALLBACK (server_url_changed_cb), self);
  g_signal_connect_swapped (self->settings, "changed::ca-file",
                            G_CALLBACK (ca_file_changed_cb), self);
  g_signal_connect_swapped (self->settings, "changed::poll-interval",
                            G_CALLBACK (poll_interval_changed_cb), self);
}

static void
navette_application_activate (GApplication *application)
{
  NavetteApplication *self = NAVETTE_APPLICATION (application);
  gboolean first = self->window == NULL;
  NavetteWindow *window = get_window (self);

  gtk_window_present (GTK_WINDOW (window));
  if (first)
    connect_server (self);
}

/* Static: the answer may come after the wait gave up. */
static gboolean shutdown_flushed;

static void
shutdown_flushed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!navette_engine_flush_journal_finish (NAVETTE_ENGINE (object), result, &error))
    g_warning ("Quitting with changes not on disk: %s", error->message);
  shutdown_flushed = TRUE;
}

static void
navette_application_shutdown (GApplication *application)
{
  NavetteApplication *self = NAVETTE_APPLICATION (application);

  /* However it ends (the window, Ctrl+Q, SIGTERM): the changes made are
   * on disk before the process goes, to be sent at the next start. */
  if (self->engine != NULL)
    {
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      shutdown_flushed = FALSE;
      navette_engine_flush_journal_async (self->engine, NULL, shutdown_flushed_cb, NULL);
      while (!shutdown_flushed && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
    }

  g_cancellable_cancel (self->cancellable);
  if (self->window != NULL)
    navette_window_set_engine (self->window, NULL);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (navette_engine_get_session (self->engine), self);
  g_clear_object (&self->engine);
  /* Local mode: the embedded server stops with the app. */
  if (self->local_server != NULL)
    navette_local_server_stop (self->local_server);
  g_clear_object (&self->local_server);

  G_APPLICATION_CLASS (navette_application_parent_class)->shutdown (application);
}

static void
navette_application_finalize (GObject *object)
{
  NavetteApplication *self = NAVETTE_APPLICATION (object);

  g_clear_object (&self->ca_file_toast);
  g_clear_weak_pointer (&self->sign_in_dialog);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->tokens);
  g_clear_pointer (&self->server_option, g_free);
  g_clear_pointer (&self->table_option, g_free);
  g_clear_pointer (&self->server, g_free);

  G_OBJECT_CLASS (navette_application_parent_class)->finalize (object);
}

static void
navette_application_class_init (NavetteApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = navette_application_finalize;
  (void) navette_get_resource ();
  app_class->handle_local_options = navette_application_handle_local_options;
  app_class->startup = navette_application_startup;
  app_class->activate = navette_application_activate;
  app_class->shutdown = navette_application_shutdown;
}

static void
navette_application_init (NavetteApplication *self)
{
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
      N_("Connect to the team server at URL instead of the local database"), N_("URL") },
    { "table", 't', 0, G_OPTION_ARG_STRING, NULL,
      N_("Open the table APP/TABLE first"), N_("APP/TABLE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };

  self->start_time = g_get_monotonic_time ();
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Edit shared, versioned content."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("Without --server, Navette starts its own server on a local "
                                                  "database ($XDG_DATA_HOME/navette/local.db, created with the "
                                                  "demo content on first run) and signs in as the local user "
                                                  "“admin”, password “navette-demo”. The server stops when "
                                                  "Navette quits."));
}

NavetteEngine *
navette_application_get_engine (NavetteApplication *self)
{
  g_return_val_if_fail (NAVETTE_IS_APPLICATION (self), NULL);
  return self->engine;
}

NavetteApplication *
navette_application_new (void)
{
  return g_object_new (NAVETTE_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/navette/Navette",
                       NULL);
}
