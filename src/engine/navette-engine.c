/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "navette-engine-private.h"


G_DEFINE_FINAL_TYPE (NavetteEngine, navette_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_SESSION,
  PROP_MIDDLEWARE,
  PROP_POLLER,
  PROP_STORES,
  PROP_ONLINE,
  PROP_PUSH_LIVE,
  N_PROPS
};

enum {
  NOTIFICATION,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
navette_engine_dispose (GObject *object)
{
  NavetteEngine *self = (NavetteEngine *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->feeds, g_hash_table_unref);
  g_clear_object (&self->replica);
  if (self->poller != NULL)
    navette_poller_stop (self->poller);
  g_clear_object (&self->poller);
  g_clear_object (&self->middleware);
  g_clear_object (&self->stores);
  g_clear_object (&self->session);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_engine_parent_class)->dispose (object);
}

static void
navette_engine_finalize (GObject *object)
{
  NavetteEngine *self = (NavetteEngine *)object;

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->replica_user, g_free);
  g_clear_pointer (&self->account_key, g_free);
  g_clear_pointer (&self->replayed, g_hash_table_unref);
  g_clear_pointer (&self->account_url, g_free);
  g_clear_pointer (&self->loaded_user, g_free);
  g_clear_pointer (&self->schema_apps, g_hash_table_unref);
  g_clear_pointer (&self->schema_next, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (navette_engine_parent_class)->finalize (object);
}

static void
navette_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NavetteEngine *self = NAVETTE_ENGINE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_MIDDLEWARE:
      g_value_set_object (value, self->middleware);
      break;
    case PROP_POLLER:
      g_value_set_object (value, self->poller);
      break;
    case PROP_STORES:
      g_value_set_object (value, self->stores);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, navette_engine_get_online (self));
      break;
    case PROP_PUSH_LIVE:
      g_value_set_boolean (value, navette_engine_get_push_live (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_engine_class_init (NavetteEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_engine_dispose;
  object_class->finalize = navette_engine_finalize;
  object_class->get_property = navette_engine_get_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT, flags);
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, NAVETTE_TYPE_SESSION, flags);
  properties[PROP_MIDDLEWARE] =
    g_param_spec_object ("middleware", NULL, NULL, NAVETTE_TYPE_MIDDLEWARE, flags);
  properties[PROP_POLLER] =
    g_param_spec_object ("poller", NULL, NULL, NAVETTE_TYPE_POLLER, flags);
  properties[PROP_STORES] =
    g_param_spec_object ("stores", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE, flags);
  properties[PROP_PUSH_LIVE] =
    g_param_spec_boolean ("push-live", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, NAVETTE_TYPE_NOTIFICATION_KIND, NAVETTE_TYPE_CHANGE);
}

static void
navette_engine_init (NavetteEngine *self)
{
  self->stores = g_list_store_new (NAVETTE_TYPE_STORE);
  self->cancellable = g_cancellable_new ();
}

static void
notify (NavetteEngine           *self,
        const char              *message,
        NavetteNotificationKind  kind,
        NavetteChange           *change)
{
  g_signal_emit (self, signals[NOTIFICATION], 0, message, (guint) kind, change);
}

static void
middleware_notification_cb (NavetteMiddleware       *middleware,
                            const char              *message,
                            NavetteNotificationKind  kind,
                            NavetteChange           *change,
                            NavetteEngine           *self)
{
  const GError *error = change != NULL ? navette_change_get_error (change) : NULL;

  notify (self, message, kind, change);

  if (g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_FORBIDDEN) &&
      navette_session_get_signed_in (self->session))
    navette_engine_load_async (self, self->cancellable, NULL, NULL);
}

static void
poller_notification_cb (NavettePoller           *poller,
                        const char              *message,
                        NavetteNotificationKind  kind,
                        NavetteEngine           *self)
{
  notify (self, message, kind, NULL);
}

/* Changes may go with the session's token: it has not expired, and it is
 * the session of the user who made them — never someone else's. */
static gboolean
may_send (NavetteEngine *self)
{
  if (self->session_expired)
    return FALSE;
  /* Put back from the journal at an offline start: they go once the
   * engine is loaded (open_account()), for the user it was loaded for. */
  if (self->journal_held)
    return FALSE;
  if (self->loaded_user != NULL &&
      g_strcmp0 (navette_session_get_username (self->session), self->loaded_user) != 0)
    {
      g_debug ("Signed in as %s: the changes of %s wait for them",
               navette_session_get_username (self->session), self->loaded_user);
      return FALSE;
    }
  return TRUE;
}

static void
poller_online_cb (NavettePoller *poller,
                  GParamSpec    *pspec,
                  NavetteEngine *self)
{
  if (!navette_poller_get_online (poller) && self->journal_held)
    self->held_offline = TRUE;
  /* The server answers again: what waited goes, in order. (Signed out,
   * it waits for the new sign-in.) */
  if (navette_poller_get_online (poller) && may_send (self) &&
      (navette_session_get_signed_in (self->session) ||
       navette_client_get_token (self->client) != NULL))
    navette_middleware_resume (self->middleware);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

static void
middleware_online_cb (NavetteMiddleware *middleware,
                      GParamSpec        *pspec,
                      NavetteEngine     *self)
{
  /* A write could not reach the server: probe it until it answers. */
  if (!navette_middleware_get_online (middleware))
    navette_poller_report_unreachable (self->poller);
}

static void
poller_push_live_cb (NavettePoller *poller,
                     GParamSpec    *pspec,
                     NavetteEngine *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_LIVE]);
}

static void
me_checked_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(NavetteEngine) self = user_data;
  g_autoptr(GError) error = NULL;

  self->me_in_flight = FALSE;
  if (!navette_session_refresh_finish (NAVETTE_SESSION (object), result, &error))
    g_debug ("Checking the roles failed: %s", error->message);
}

/* The roles, checked at each poll round with `/me`'s ETag (a 304 costs
 * no body); "roles-changed" reloads what they give. */
static void
check_me (NavetteEngine *self)
{
  if (self->me_in_flight || !navette_session_get_signed_in (self->session))
    return;
  self->me_in_flight = TRUE;
  navette_session_refresh_async (self->session, self->cancellable,
                                 me_checked_cb, g_object_ref (self));
}

static void
poller_checked_cb (NavettePoller *poller,
                   NavetteEngine *self)
{
  if (self->loaded)
    check_me (self);
}

static void reload_schema (NavetteEngine *self,
                           const char    *app);

static void
poller_schema_changed_cb (NavettePoller *poller,
                          const char    *app,
                          NavetteEngine *self)
{
  if (self->loaded)
    reload_schema (self, app);
}

static void
roles_announced_cb (NavetteEventStream *events,
                    const char         *user,
                    NavetteEngine      *self)
{
  /* An admin's sockets hear of everyone's grants: only ours matter. */
  if (self->loaded && g_strcmp0 (user, navette_session_get_username (self->session)) == 0)
    check_me (self);
}

static void
auth_expired_cb (NavetteSession *session,
                 const GError   *error,
                 NavetteEngine  *self)
{
  /* Whatever request learnt it: no change goes with the dead token. */
  self->session_expired = TRUE;
  navette_middleware_wait_for_sign_in (self->middleware);
  notify (self, error->message, NAVETTE_NOTIFICATION_AUTH_EXPIRED, NULL);
}

static gboolean
failed_for_want_of_session (const GError *error)
{
  return g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED) ||
         g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED);
}

static int
compare_sequence (gconstpointer a,
                  gconstpointer b)
{
  guint64 x = navette_change_get_sequence (*(NavetteChange **) a);
  guint64 y = navette_change_get_sequence (*(NavetteChange **) b);

  return x < y ? -1 : x > y;
}

static void
signed_in_cb (NavetteSession *session,
              GParamSpec     *pspec,
              NavetteEngine  *self)
{
  GListModel *failed;
  g_autoptr(GPtrArray) retry = NULL;
  guint n;

  if (!navette_session_get_signed_in (session))
    return;
  /* Another user signed in: the changes held here are not theirs (they
   * stay in their author's journal). */
  if (self->loaded_user != NULL && g_strcmp0 (navette_session_get_username (session), self->loaded_user) != 0)
    {
      g_debug ("Signed in as %s: the changes of %s are not sent",
               navette_session_get_username (session), self->loaded_user);
      return;
    }
  self->session_expired = FALSE;
  /* The changes put back at an offline start wait for the load. */
  if (self->journal_held)
    return;

  /* Signed in again: what was refused for want of a session is sent
   * again (same keys), each before the changes of its record made after
   * it, in the order they were made… */
  failed = navette_middleware_get_failed_changes (self->middleware);
  n = g_list_model_get_n_items (failed);
  retry = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      NavetteChange *change = g_list_model_get_item (failed, i);

      if (failed_for_want_of_session (navette_change_get_error (change)))
        g_ptr_array_add (retry, change);
      else
        g_object_unref (change);
    }
  g_ptr_array_sort (retry, compare_sequence);
  for (guint i = 0; i < retry->len; i++)
    navette_middleware_retry (self->middleware, g_ptr_array_index (retry, i));

  /* … and the queue goes on. (Offline, it goes when the server answers.) */
  if (navette_poller_get_online (self->poller))
    navette_middleware_resume (self->middleware);
}

/* The list of applications (kept in the replica for the next start)
 * cannot be written: nothing is lost, but the user should know why the
 * next start waits for the server. Said once. */
void
_navette_engine_cache_failed (NavetteEngine *self,
              const GError  *error)
{
  g_autofree char *message = NULL;

  if (self->cache_failure_said)
    return;
  self->cache_failure_said = TRUE;
  /* Translators: %s says why ("Could not create …: Permission denied") */
  message = g_strdup_printf (_("Could not keep a copy of the data on this computer (%s). Nothing is "
                               "lost; the next start will wait for the server."), error->message);
  notify (self, message, NAVETTE_NOTIFICATION_CACHE_FAILED, NULL);
}

/* A store made by the engine (its actions go through the middleware, the
 * poller watches it). */
NavetteStore *
_navette_engine_adopt_store (NavetteEngine *self,
             NavetteStore  *store)
{
  return store;
}

static void
roles_changed_cb (NavetteSession *session,
                  NavetteEngine  *self)
{
  if (self->loaded)
    reload_schema (self, NULL);
}

/* ---- Live schema: /applications and …/tables read again ---- */

static void
tables_reloaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!navette_store_load_tables_finish (NAVETTE_STORE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Reading the tables of %s again failed: %s",
             navette_store_get_name (NAVETTE_STORE (object)), error->message);
}

static void start_schema_reload (NavetteEngine *self);

static void
schema_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NavetteEngine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) apps = g_steal_pointer (&self->schema_apps);
  gboolean all = self->schema_all;
  guint n;

  self->schema_all = FALSE;
  if (!navette_engine_load_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Reading the applications again failed: %s", error->message);
    }
  else
    {
      /* The tables of the stores shown (loaded); the others are read when
       * they are opened. */
      n = g_list_model_get_n_items (G_LIST_MODEL (self->stores));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(NavetteStore) store = g_list_model_get_item (G_LIST_MODEL (self->stores), i);

          if (!navette_store_get_loaded (store))
            continue;
          if (all || g_hash_table_contains (apps, navette_store_get_name (store)))
            navette_store_load_tables_async (store, self->cancellable, tables_reloaded_cb, NULL);
        }
    }

  if (self->schema_next != NULL)
    {
      self->schema_apps = g_steal_pointer (&self->schema_next);
      start_schema_reload (self);
    }
}

static void
start_schema_reload (NavetteEngine *self)
{
  navette_engine_load_async (self, self->cancellable, schema_loaded_cb, g_object_ref (self));
}

/* @app: NULL for every application (and the application list). Asked
 * while a reload runs, another one follows it (what it read may be older
 * than the change). */
static void
reload_schema (NavetteEngine *self,
               const char    *app)
{
  GHashTable **apps = self->schema_apps == NULL ? &self->schema_apps : &self->schema_next;
  gboolean start = self->schema_apps == NULL;

  if (*apps == NULL)
    *apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (app == NULL)
    self->schema_all = TRUE;
  else
    g_hash_table_add (*apps, g_strdup (app));
  if (start)
    start_schema_reload (self);
}

NavetteEngine *
navette_engine_new (const char *base_url)
{
  NavetteEngine *self;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_ENGINE, NULL);
  self->client = navette_client_new (base_url);
  self->session = navette_session_new (self->client);
  self->middleware = navette_middleware_new (self->client);
  self->poller = navette_poller_new (self->client);

  g_signal_connect_object (self->middleware, "notification",
                           G_CALLBACK (middleware_notification_cb), self, 0);
  g_signal_connect_object (self->middleware, "notify::online",
                           G_CALLBACK (middleware_online_cb), self, 0);
  g_signal_connect_object (self->poller, "notification",
                           G_CALLBACK (poller_notification_cb), self, 0);
  g_signal_connect_object (self->poller, "notify::online",
                           G_CALLBACK (poller_online_cb), self, 0);
  g_signal_connect_object (self->poller, "notify::push-live",
                           G_CALLBACK (poller_push_live_cb), self, 0);
  g_signal_connect_object (self->poller, "checked",
                           G_CALLBACK (poller_checked_cb), self, 0);
  g_signal_connect_object (self->poller, "schema-changed",
                           G_CALLBACK (poller_schema_changed_cb), self, 0);
  g_signal_connect_object (navette_poller_get_event_stream (self->poller), "roles-changed",
                           G_CALLBACK (roles_announced_cb), self, 0);
  g_signal_connect_object (self->session, "auth-expired",
                           G_CALLBACK (auth_expired_cb), self, 0);
  g_signal_connect_object (self->session, "notify::signed-in",
                           G_CALLBACK (signed_in_cb), self, 0);
  /* Another user signed in meanwhile, then the first one again. */
  g_signal_connect_object (self->session, "notify::username",
                           G_CALLBACK (signed_in_cb), self, 0);
  g_signal_connect_object (self->session, "roles-changed",
                           G_CALLBACK (roles_changed_cb), self, 0);

  return self;
}

NavetteClient *
navette_engine_get_client (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return self->client;
}

gboolean
navette_engine_set_ca_file (NavetteEngine  *self,
                            const char     *ca_file,
                            GError        **error)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), FALSE);
  return navette_client_set_ca_file (self->client, ca_file, error);
}

NavetteSession *
navette_engine_get_session (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return self->session;
}

NavetteMiddleware *
navette_engine_get_middleware (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return self->middleware;
}

NavettePoller *
navette_engine_get_poller (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return self->poller;
}

GListModel *
navette_engine_get_stores (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return G_LIST_MODEL (self->stores);
}

GListModel *
navette_engine_get_failed_changes (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return navette_middleware_get_failed_changes (self->middleware);
}

const char *
navette_engine_get_loaded_user (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return self->loaded_user;
}

gboolean
navette_engine_get_online (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), FALSE);
  return navette_poller_get_online (self->poller);
}

gboolean
navette_engine_get_push_live (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), FALSE);
  return navette_poller_get_push_live (self->poller);
}

NavetteStore *
navette_engine_lookup_store (NavetteEngine *self,
                             const char    *name)
{
  guint n;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->stores));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (G_LIST_MODEL (self->stores), i);

      if (g_strcmp0 (navette_store_get_name (store), name) == 0)
        return store;
    }
  return NULL;
}

void
navette_engine_refresh (NavetteEngine *self)
{
  g_return_if_fail (NAVETTE_IS_ENGINE (self));

  navette_poller_refresh (self->poller);
  /* Everything revalidated: the roles, the applications, the tables. */
  if (self->loaded && navette_session_get_signed_in (self->session))
    {
      check_me (self);
      reload_schema (self, NULL);
    }
}

/* ---- Journal and cache: per server and user ---- */

const char *
_navette_engine_account_url (NavetteEngine *self)
{
  return self->account_url != NULL ? self->account_url
                                   : navette_client_get_base_url (self->client);
}

void
navette_engine_set_account_url (NavetteEngine *self,
                                const char    *url)
{
  g_return_if_fail (NAVETTE_IS_ENGINE (self));

  g_free (self->account_url);
  self->account_url = g_strdup (url);
}

char *
navette_engine_account_key (const char *base_url,
                            const char *username)
{
  g_autofree char *text = NULL;
  char *key;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  text = g_strconcat (base_url, "\n", username, NULL);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  key[32] = '\0';
  return key;
}

void
navette_engine_set_data_dir (NavetteEngine *self,
                             const char    *dir)
{
  g_return_if_fail (NAVETTE_IS_ENGINE (self));

  g_free (self->data_dir);
  self->data_dir = g_strdup (dir);
  g_clear_pointer (&self->account_key, g_free);
}

const char *
navette_engine_get_data_dir (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return self->data_dir;
}

/* Deletes @path and what it holds (no symbolic link followed). */
static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else if (g_unlink (child) != 0)
        g_debug ("Could not delete %s: %s", child, g_strerror (errno));
    }
  g_clear_pointer (&dir, g_dir_close);
  if (g_rmdir (path) != 0 && errno != ENOENT)
    g_debug ("Could not delete %s: %s", path, g_strerror (errno));
}

static gpointer
remove_old_cache_thread (gpointer data)
{
  g_autofree char *path = data;

  remove_tree (path);
  g_debug ("Deleted the JSON cache of an earlier version, %s", path);
  return NULL;
}

void
navette_engine_use_default_dirs (NavetteEngine *self)
{
  g_autofree char *data = NULL;
  g_autofree char *cache = NULL;

  g_return_if_fail (NAVETTE_IS_ENGINE (self));

  data = g_build_filename (g_get_user_data_dir (), "navette", NULL);
  navette_engine_set_data_dir (self, data);

  /* Earlier versions kept every table's records there as JSON (236 MB
   * for a million rows, read whole at start): the replica replaces it,
   * synced again as tables are opened. Deleted once, off the main loop. */
  cache = g_build_filename (g_get_user_cache_dir (), "navette", NULL);
  if (g_file_test (cache, G_FILE_TEST_IS_DIR))
    g_thread_unref (g_thread_new ("navette-old-cache", remove_old_cache_thread, g_steal_pointer (&cache)));
}

char *
navette_engine_dup_journal_path (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);

  if (self->data_dir == NULL || self->account_key == NULL)
    return NULL;
  return g_build_filename (self->data_dir, self->account_key, "replica.db", NULL);
}

NavetteJournal *
navette_engine_get_journal (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return navette_middleware_get_journal (self->middleware);
}

char *
navette_engine_journal_path_for (NavetteEngine *self,
                                 const char    *username)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  if (self->data_dir == NULL)
    return NULL;
  key = navette_engine_account_key (_navette_engine_account_url (self), username);
  return g_build_filename (self->data_dir, key, "replica.db", NULL);
}

const char *
navette_engine_get_account_url (NavetteEngine *self)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  return _navette_engine_account_url (self);
}

static void
flush_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (navette_journal_flush_finish (NAVETTE_JOURNAL (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
navette_engine_flush_journal_async (NavetteEngine       *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  NavetteJournal *journal;

  g_return_if_fail (NAVETTE_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_engine_flush_journal_async);
  journal = navette_middleware_get_journal (self->middleware);
  if (journal == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  navette_journal_flush_async (journal, cancellable, flush_cb, g_steal_pointer (&task));
}

gboolean
navette_engine_flush_journal_finish (NavetteEngine  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  NavetteEngine *self;
  GTask         *task;
  guint          waiting;  /* table lists being loaded */
} OpenAccount;

static void
open_account_free (OpenAccount *open)
{
  g_clear_object (&open->task);
  g_free (open);
}

/* The error of a change that had failed, as the journal kept it. Format 1
 * kept the code as a number, format 2 as its name. */
static GError *
entry_error (JsonObject *entry)
{
  JsonNode *code_node = json_object_get_member (entry, "error_code");
  const char *message = json_object_get_string_member_with_default (entry, "error_message", "");
  int code = NAVETTE_SYNC_ERROR_SERVER;

  if (code_node != NULL && json_node_get_value_type (code_node) == G_TYPE_INT64 &&
      g_strcmp0 (navette_sync_error_code_to_string ((int) json_node_get_int (code_node)), "unknown") != 0)
    code = (int) json_node_get_int (code_node);
  else if (code_node != NULL && json_node_get_value_type (code_node) == G_TYPE_STRING)
    for (int c = NAVETTE_SYNC_ERROR_NETWORK; c <= NAVETTE_SYNC_ERROR_TLS; c++)
      if (g_strcmp0 (navette_sync_error_code_to_string (c), json_node_get_string (code_node)) == 0)
        code = c;
  return g_error_new_literal (NAVETTE_SYNC_ERROR, code, message);
}

/* The typed data of an entry: "data", or "text" (COLUMN → text as typed,
 * for a change kept by `navette-cli` while the schema was not known),
 * parsed now with the table's schema. */
static JsonObject *
entry_data (JsonObject    *entry,
            NavetteTable  *table,
            GError       **error)
{
  JsonNode *data_node = json_object_get_member (entry, "data");
  JsonNode *text_node = json_object_get_member (entry, "text");
  g_autoptr(JsonObject) data = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (data_node != NULL && JSON_NODE_HOLDS_OBJECT (data_node))
    return json_object_ref (json_node_get_object (data_node));
  if (text_node == NULL || !JSON_NODE_HOLDS_OBJECT (text_node))
    return NULL;

  data = json_object_new ();
  json_object_iter_init (&iter, json_node_get_object (text_node));
  while (json_object_iter_next (&iter, &name, &node))
    {
      const char *text = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                         ? json_node_get_string (node) : "";
      JsonNode *value = navette_table_parse_value (table, name, text, error && *error == NULL ? error : NULL);

      /* Kept as typed, to say what it was in the failed changes. */
      json_object_set_member (data, name, value != NULL ? value
                                                        : json_node_init_string (json_node_alloc (), text));
    }
  return g_steal_pointer (&data);
}

/* Puts the changes of the journal back, in order: sent again with the
 * same keys (the exact request when it was built), or listed as failed.
 * Entries whose table cannot be found stay in the journal as they are. */
static void
replay_journal (NavetteEngine *self)
{
  NavetteJournal *journal = navette_middleware_get_journal (self->middleware);
  g_autoptr(GPtrArray) entries = NULL;
  guint replayed = 0;

  if (journal == NULL)
    return;
  entries = navette_journal_dup_entries (journal);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      g_autoptr(NavetteChange) change = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) data = NULL;
      JsonNode *body;
      NavetteChangeKind kind;
      NavetteStore *store;
      NavetteTable *table;
      const char *key, *state, *record;

      key = json_object_get_string_member_with_default (entry, "key", NULL);
      state = json_object_get_string_member_with_default (entry, "state", NULL);
      record = json_object_get_string_member_with_default (entry, "record", NULL);
      /* Put back already (at an offline start, before the load): never
       * twice. */
      if (key != NULL && self->replayed != NULL && g_hash_table_contains (self->replayed, key))
        continue;
      if (key == NULL || record == NULL ||
          !navette_change_kind_from_string (json_object_get_string_member_with_default (entry, "kind", NULL), &kind))
        continue;
      store = navette_engine_lookup_store (self,
                                           json_object_get_string_member_with_default (entry, "app", ""));
      table = store ? navette_store_lookup_table (store,
                                                  json_object_get_string_member_with_default (entry, "table", "")) : NULL;
      if (table == NULL)
        {
          g_debug ("Journal: %s of %s: the table is not there; kept", key, record);
          continue;
        }

      data = entry_data (entry, table, &error);
      change = navette_change_new (kind, store, table, record, data,
                                   json_object_get_int_member_with_default (entry, "revert_version", 0));
      navette_change_set_idempotency_key (change, key);
      navette_change_set_base_version (change, json_object_get_int_member_with_default (entry, "base_version", 0));
      body = json_object_get_member (entry, "body");
      if (body != NULL && !JSON_NODE_HOLDS_OBJECT (body))
        body = NULL;

      if (g_strcmp0 (state, "failed") == 0)
        {
          g_clear_error (&error);
          error = entry_error (entry);
          /* Refused only for want of a session: this load is signed in,
           * so it is sent again (same key), as after a new sign-in. */
          if (failed_for_want_of_session (error))
            g_clear_error (&error);
        }
      /* Otherwise an error here is a value typed offline that its column
       * cannot take: the change goes to the failed list, said why. */
      if (self->replayed == NULL)
        self->replayed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_add (self->replayed, g_strdup (key));
      navette_middleware_replay (self->middleware, change, body, error);
      replayed++;
    }

  g_debug ("Journal: %u changes put back", replayed);
}

/* The changes put back before the load (an offline start) go now, the
 * engine being loaded — at once when the server answers, else when it
 * answers again. */
static void
release_held (NavetteEngine *self)
{
  if (!self->journal_held)
    return;
  self->journal_held = FALSE;
  /* "Saved" is said of them once sent if they waited for the server. */
  navette_middleware_note_held (self->middleware, self->held_offline);
  self->held_offline = FALSE;
  if (navette_poller_get_online (self->poller) && may_send (self))
    navette_middleware_resume (self->middleware);
}

static void
open_account_done (OpenAccount *open)
{
  open->self->journal_replayed = TRUE;
  replay_journal (open->self);
  release_held (open->self);
  g_task_return_boolean (open->task, TRUE);
  open_account_free (open);
}

static void
journal_tables_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  OpenAccount *open = user_data;
  g_autoptr(GError) error = NULL;

  if (!navette_store_load_tables_finish (NAVETTE_STORE (object), result, &error))
    g_debug ("Journal: tables of %s: %s", navette_store_get_name (NAVETTE_STORE (object)), error->message);

  if (--open->waiting == 0)
    open_account_done (open);
}

static void
notify_journal_failed (NavetteEngine *self)
{
  notify (self,
          _("Changes cannot be kept on this computer: those not saved yet would be lost if Navette quit."),
          NAVETTE_NOTIFICATION_JOURNAL_FAILED, NULL);
}

static gboolean
journal_failed_idle_cb (gpointer data)
{
  notify_journal_failed (data);
  return G_SOURCE_REMOVE;
}

void
_navette_engine_put_back_saved (NavetteEngine  *self,
                                const char     *user,
                                NavetteJournal *journal,
                                const GError   *error,
                                GPtrArray      *edited)
{
  const char *server = _navette_engine_account_url (self);
  g_autofree char *key = navette_engine_account_key (server, user);

  /* Opened already (the load was quicker, or a second open_saved). */
  if (self->account_key != NULL)
    return;
  self->account_key = g_steal_pointer (&key);
  self->journal_replayed = FALSE;
  if (journal == NULL)
    {
      g_autofree char *path = navette_engine_dup_journal_path (self);

      /* As at a load (open_account()); said once the window listens. The
       * load does not try again. */
      g_message ("Not using the journal %s: %s", path, error != NULL ? error->message : "");
      navette_middleware_set_journal (self->middleware, NULL);
      self->journal_replayed = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT, journal_failed_idle_cb, g_object_ref (self), g_object_unref);
      return;
    }
  navette_middleware_set_journal (self->middleware, journal);

  /* Nothing goes before the load (no session yet, maybe no server): the
   * changes put back, and those made meanwhile, wait for it. */
  self->journal_held = TRUE;
  navette_middleware_wait_for_sign_in (self->middleware);
  if (navette_journal_get_n_entries (journal) == 0)
    return;

  /* The records the changes edit join their tables (the overlay of the
   * replica's rows), so that the changes show on them. */
  for (guint i = 0; edited != NULL && i < edited->len; i++)
    {
      NavetteRecord *record = g_ptr_array_index (edited, i);
      NavetteStore *store = navette_engine_lookup_store (self, g_object_get_data (G_OBJECT (record), "navette-app"));
      NavetteTable *table = store != NULL
                            ? navette_store_lookup_table (store, g_object_get_data (G_OBJECT (record), "navette-table"))
                            : NULL;

      if (table != NULL && navette_table_lookup (table, navette_record_get_id (record)) == NULL)
        navette_table_insert_record (table, record);
    }
  /* Those of tables not in the replica are put back at the load. */
  replay_journal (self);
  g_debug ("Journal: put back before the load, waiting");
}

/* After a load: opens the journal of this server and user, keeps the
 * structure in the replica,
 * puts the changes of a previous run back, then returns @task. */
static void
open_account (NavetteEngine *self,
              GTask         *task)
{
  const char *server = _navette_engine_account_url (self);
  const char *user = navette_session_get_username (self->session);
  g_autofree char *key = NULL;
  g_autofree char *path = NULL;
  g_autoptr(NavetteJournal) journal = NULL;
  g_autoptr(GHashTable) apps = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  OpenAccount *open;

  if (self->data_dir == NULL || user == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  key = navette_engine_account_key (server, user);
  /* The tables shown from the replica before the load are the server's
   * now. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->stores)); i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (G_LIST_MODEL (self->stores), i);
      GListModel *tables = navette_store_get_tables (store);

      for (guint j = 0; j < g_list_model_get_n_items (tables); j++)
        {
          g_autoptr(NavetteTable) table = g_list_model_get_item (tables, j);

          navette_table_set_cached (table, FALSE);
        }
    }
  /* Another user signed in than the one whose replica was shown: closed. */
  if (self->replica != NULL)
    navette_engine_get_replica (self);
  self->structure_saved = FALSE;
  if (self->replica != NULL)
    _navette_engine_save_structure (self);
  _navette_engine_release_feeds (self);

  if ((g_strcmp0 (key, self->account_key) == 0 && self->journal_replayed))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (g_strcmp0 (key, self->account_key) != 0)
    {
      if (self->account_key != NULL && self->journal_held)
        {
          /* Another user signed in than the one whose changes were put
           * back at the start: those stay in their journal, for them. */
          g_debug ("Signed in as %s: the changes put back at the start are not theirs", user);
          navette_middleware_set_journal (self->middleware, NULL);
          navette_middleware_drop_all (self->middleware);
          self->journal_held = FALSE;
        }
      g_clear_pointer (&self->replayed, g_hash_table_unref);
      g_free (self->account_key);
      self->account_key = g_steal_pointer (&key);
      self->journal_replayed = FALSE;

      path = g_build_filename (self->data_dir, self->account_key, "replica.db", NULL);
      journal = navette_journal_new (path, server, user);
      if (!navette_journal_load (journal, &error))
        {
          /* Another account's file (a hash collision) or an unreadable
           * one: never written over. The changes made now are not kept on
           * this computer: say so. */
          g_message ("Not using the journal %s: %s", path, error->message);
          navette_middleware_set_journal (self->middleware, NULL);
          notify_journal_failed (self);
          g_task_return_boolean (task, TRUE);
          g_object_unref (task);
          return;
        }
      navette_middleware_set_journal (self->middleware, journal);
    }

  open = g_new0 (OpenAccount, 1);
  open->self = self;
  open->task = task;

  /* The tables the changes belong to. */
  entries = navette_journal_dup_entries (navette_middleware_get_journal (self->middleware));
  apps = g_hash_table_new (g_str_hash, g_str_equal);
  open->waiting = 1;
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      NavetteStore *store;
      const char *app;

      app = json_object_get_string_member_with_default (entry, "app", NULL);
      if (app == NULL || g_hash_table_contains (apps, app) ||
          !(store = navette_engine_lookup_store (self, app)))
        continue;
      g_hash_table_add (apps, (gpointer) app);
      if (navette_store_get_loaded (store))
        continue;
      open->waiting++;
      navette_store_load_tables_async (store, self->cancellable, journal_tables_cb, open);
    }
  if (--open->waiting == 0)
    open_account_done (open);
}

static void
applications_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteEngine *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) stores = NULL;
  GError *error = NULL;
  JsonNode *apps_node;
  JsonArray *apps;
  guint old_n;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !(apps_node = json_object_get_member (json_node_get_object (root), "applications")) ||
      !JSON_NODE_HOLDS_ARRAY (apps_node))
    {
      if (error == NULL)
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                                     _("The server’s answer could not be understood."));
      g_task_return_error (task, error);
      return;
    }

  apps = json_node_get_array (apps_node);
  stores = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (apps); i++)
    {
      JsonNode *node = json_array_get_element (apps, i);
      JsonObject *app;
      const char *name;
      const char *title;
      NavetteRole role;
      NavetteStore *store;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      app = json_node_get_object (node);
      name = json_object_get_string_member_with_default (app, "name", NULL);
      if (name == NULL || !navette_name_is_valid (name))
        continue;
      title = json_object_get_string_member_with_default (app, "title", name);
      role = navette_role_from_string (json_object_get_string_member_with_default (app, "role", NULL));

      store = navette_engine_lookup_store (self, name);
      if (store != NULL)
        {
          NavetteRole old_role = navette_store_get_role (store);

          navette_store_set_title (store, title);
          navette_store_set_role (store, role);
          if (old_role != role && self->loaded)
            {
              g_autofree char *message = NULL;

              if (role == NAVETTE_ROLE_EDITOR)
                /* Translators: %s is an application's title */
                message = g_strdup_printf (_("You can now edit %s."), navette_store_get_title (store));
              else
                /* Translators: %s is an application's title */
                message = g_strdup_printf (_("You can now only read %s."), navette_store_get_title (store));
              notify (self, message, NAVETTE_NOTIFICATION_ROLE_CHANGED, NULL);
            }
          g_ptr_array_add (stores, g_object_ref (store));
        }
      else
        {
          store = _navette_engine_adopt_store (self, navette_store_new (self->client, name, title, role));
          g_ptr_array_add (stores, store);
        }
    }

  /* Stores the user lost. */
  old_n = g_list_model_get_n_items (G_LIST_MODEL (self->stores));
  for (guint i = 0; i < old_n; i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (G_LIST_MODEL (self->stores), i);

      if (!g_ptr_array_find (stores, store, NULL))
        {
          g_autofree char *message =
            /* Translators: %s is an application's title */
            g_strdup_printf (_("You no longer have access to %s."), navette_store_get_title (store));

          /* Its unsent changes cannot go any more: they are listed as
           * failed, saying why (kept in the journal, as failed ones are). */
          if (self->loaded)
            {
              g_autoptr(GError) reason = g_error_new_literal (NAVETTE_SYNC_ERROR,
                                                              NAVETTE_SYNC_ERROR_FORBIDDEN,
                                                              message);

              navette_middleware_fail_store (self->middleware, store, reason);
            }
          navette_middleware_disconnect_store (self->middleware, store);
          navette_poller_remove_store (self->poller, store);
          _navette_engine_drop_replica_app (self, store);
          if (self->loaded)
            notify (self, message, NAVETTE_NOTIFICATION_ROLE_CHANGED, NULL);
        }
    }

  for (guint i = 0; i < stores->len; i++)
    {
      NavetteStore *store = g_ptr_array_index (stores, i);

      navette_middleware_connect_store (self->middleware, store);
      navette_poller_add_store (self->poller, store);
    }

  {
    gboolean same = old_n == stores->len;

    for (guint i = 0; same && i < old_n; i++)
      {
        g_autoptr(NavetteStore) store = g_list_model_get_item (G_LIST_MODEL (self->stores), i);
        same = store == g_ptr_array_index (stores, i);
      }
    if (!same)
      g_list_store_splice (self->stores, 0, old_n, stores->pdata, stores->len);
  }

  self->loaded = TRUE;
  if (self->loaded_user == NULL)
    self->loaded_user = g_strdup (navette_session_get_username (self->session));
  navette_poller_start (self->poller);
  open_account (self, g_steal_pointer (&task));
}

/* GET /applications for @task (taken): the load itself. */
static void
request_applications (NavetteEngine *self,
                      GTask         *task)
{
  navette_client_request_async (self->client, "GET", NAVETTE_API_PREFIX "/applications",
                                NULL, NULL, NULL, g_task_get_cancellable (task),
                                applications_cb, task);
}

static void
me_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  GTask *task = user_data;
  NavetteEngine *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!navette_session_refresh_finish (NAVETTE_SESSION (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  request_applications (self, task);
}

void
navette_engine_load_async (NavetteEngine       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAVETTE_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_engine_load_async);

  /* The journal and the replica are per user: learn who we are first. */
  if (self->data_dir != NULL &&
      navette_session_get_username (self->session) == NULL &&
      navette_client_get_token (self->client) != NULL)
    {
      navette_session_refresh_async (self->session, cancellable, me_cb, task);
      return;
    }
  request_applications (self, task);
}

gboolean
navette_engine_load_finish (NavetteEngine  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
