/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-event-hub.c — push of committed changes to WebSocket subscribers.
 *
 * Everything here runs on the main loop except the check, a GTask in a
 * worker thread that reads the revisions of the changed tables (or of all
 * tables), the schema revisions of the changed applications, the roles of
 * the users whose grants changed, and re-reads the sessions and roles of
 * the subscribers whose cached access is older than
 * NAVETTE_EVENT_HUB_ACCESS_CACHE_USEC (and of those whose grants
 * changed). One check runs at a time; changes reported meanwhile are
 * coalesced into the next one, so a burst of writes costs a few checks,
 * not one each.
 *
 * Deduplication: a change is reported more than once (by the writer of
 * this process, then by the storage layer's watch), so the last revision
 * announced per table and per application's schema is kept, and a change
 * whose revision is not newer is not announced again; a user's roles are
 * announced when their fingerprint (admin flag and every app=role) is not
 * the one last announced or read when her socket was opened. The first
 * full comparison after the first subscriber arrives only records the
 * revisions (a baseline). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>

#include "navette-event-hub.h"

struct _NavetteEventHub
{
  GObject       parent_instance;

  NavetteDb    *db;
  GMainContext *context;
  guint         max_per_user;
  guint         poll_ms;
  guint         poll_id;
  gint64        access_cache_usec;
  guint         keepalive_s;
  guint         sweep_id;

  /* main loop only */
  GPtrArray    *subscribers;   /* of Subscriber* */
  GHashTable   *per_user;      /* username → count (GUINT_TO_POINTER) */
  GHashTable   *access;        /* token hash → Access* */
  GHashTable   *announced;     /* "app/table" → Announced* */
  GHashTable   *schemas;       /* app → Announced*: its schema's revision */
  GHashTable   *roles_seen;    /* username → fingerprint of the roles last told */
  guint64       n_sent;        /* announcements sent, for the metrics */
  gboolean      baseline_done;
  gboolean      busy;
  gboolean      refreshing;    /* a background re-read of sessions runs */

  /* any thread */
  GMutex        lock;
  GHashTable   *dirty;         /* "app\ttable" set */
  GHashTable   *dirty_schemas; /* app set */
  GHashTable   *dirty_roles;   /* username set */
  gboolean      dirty_all;
  guint         idle_id;
};

G_DEFINE_FINAL_TYPE (NavetteEventHub, navette_event_hub, G_TYPE_OBJECT)

typedef struct
{
  guint       n_subscribers;
  gboolean    valid;
  gboolean    admin;
  GHashTable *roles;
  gint64      expires_at;
  gint64      fetched_at;   /* monotonic */
} Access;

static void
access_free (Access *access)
{
  g_clear_pointer (&access->roles, g_hash_table_unref);
  g_free (access);
}

typedef struct
{
  gint64   revision;
  gboolean baseline_only;  /* recorded by a baseline, never announced */
} Announced;

typedef struct
{
  NavetteEventHub         *hub;
  SoupWebsocketConnection *connection;
  char                    *token_hash;
  char                    *username;
  gint64                   last_seen;  /* monotonic: a pong or a message */
} Subscriber;

static void
subscriber_free (Subscriber *sub)
{
  g_signal_handlers_disconnect_by_data (sub->connection, sub);
  g_object_unref (sub->connection);
  g_free (sub->token_hash);
  g_free (sub->username);
  g_free (sub);
}

/* ------------------------------------------------------------------ */
/* The check (worker thread)                                           */

typedef struct
{
  char     *app;
  char     *table;
  gint64    revision;
  gint64    last_update;
  gboolean  from_all;
} Change;

static void
change_free (Change *change)
{
  g_free (change->app);
  g_free (change->table);
  g_free (change);
}

typedef struct
{
  char *user;
  char *fingerprint;  /* NULL: no such user any more */
} RolesRead;

static void
roles_read_free (RolesRead *read)
{
  g_free (read->user);
  g_free (read->fingerprint);
  g_free (read);
}

typedef struct
{
  NavetteDb  *db;
  GPtrArray  *dirty;     /* "app\ttable" */
  GPtrArray  *schemas;   /* apps whose schema revision to read */
  GPtrArray  *users;     /* users whose roles to read */
  gboolean    all;
  gboolean    baseline;
  GPtrArray  *tokens;    /* token hashes whose access to re-read */
  /* results */
  GPtrArray  *changes;   /* of Change* */
  GPtrArray  *schema_changes;  /* of Change* (table NULL, revision: the schema's) */
  GPtrArray  *roles;     /* of RolesRead* */
  GHashTable *access;    /* token hash → Access* (only those read) */
} CheckJob;

static void
check_job_free (CheckJob *job)
{
  g_object_unref (job->db);
  g_ptr_array_unref (job->dirty);
  g_ptr_array_unref (job->schemas);
  g_ptr_array_unref (job->users);
  g_ptr_array_unref (job->tokens);
  g_ptr_array_unref (job->changes);
  g_ptr_array_unref (job->schema_changes);
  g_ptr_array_unref (job->roles);
  g_hash_table_unref (job->access);
  g_free (job);
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* What a user's /me tells of her rights, in one string: "admin;" when
 * she is one, then every "app=role;" in name order. */
static char *
roles_fingerprint (gboolean    admin,
                   GHashTable *roles)
{
  g_autofree gpointer *apps = (gpointer *) g_hash_table_get_keys_as_array (roles, NULL);
  GString *out = g_string_new (admin ? "admin;" : "");

  qsort (apps, g_hash_table_size (roles), sizeof (gpointer), compare_keys);
  for (guint i = 0; apps[i] != NULL; i++)
    g_string_append_printf (out, "%s=%s;", (const char *) apps[i],
                            (const char *) g_hash_table_lookup (roles, apps[i]));
  return g_string_free (out, FALSE);
}

static void
add_change (CheckJob   *job,
            const char *app,
            const char *table,
            gint64      revision,
            gint64      last_update,
            gboolean    from_all)
{
  Change *change = g_new0 (Change, 1);

  change->app = g_strdup (app);
  change->table = g_strdup (table);
  change->revision = revision;
  change->last_update = last_update;
  change->from_all = from_all;
  g_ptr_array_add (job->changes, change);
}

static void
add_schema_change (CheckJob   *job,
                   const char *app,
                   gint64      revision,
                   gboolean    from_all)
{
  Change *change = g_new0 (Change, 1);

  change->app = g_strdup (app);
  change->revision = revision;
  change->from_all = from_all;
  g_ptr_array_add (job->schema_changes, change);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckJob *job = task_data;

  if (job->all)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) apps = navette_db_app_list (job->db, &error);

      if (apps == NULL)
        g_debug ("Cannot list the applications for push: %s", error->message);
      for (guint i = 0; apps != NULL && i < apps->len; i++)
        {
          NavetteDbApp *app = g_ptr_array_index (apps, i);
          gint64 schema_revision = 0;
          g_autoptr(GPtrArray) states = navette_db_app_state (job->db, app->name, &schema_revision, NULL);

          if (states != NULL)
            add_schema_change (job, app->name, schema_revision, TRUE);
          for (guint j = 0; states != NULL && j < states->len; j++)
            {
              NavetteDbTableState *state = g_ptr_array_index (states, j);

              add_change (job, app->name, state->table, state->revision, state->last_update, TRUE);
            }
        }
    }
  for (guint i = 0; i < job->schemas->len; i++)
    {
      const char *app = g_ptr_array_index (job->schemas, i);
      gint64 schema_revision = 0;
      g_autoptr(GPtrArray) states = navette_db_app_state (job->db, app, &schema_revision, NULL);

      if (states != NULL)
        add_schema_change (job, app, schema_revision, FALSE);
    }
  for (guint i = 0; i < job->users->len; i++)
    {
      const char *username = g_ptr_array_index (job->users, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteDbUser) user = navette_db_user_get (job->db, username, &error);
      g_autoptr(GHashTable) roles = NULL;
      RolesRead *read;

      if (user == NULL && !g_error_matches (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND))
        continue;  /* unavailable: told at the next change */
      if (user != NULL && (roles = navette_db_roles_for_user (job->db, username, NULL)) == NULL)
        continue;
      read = g_new0 (RolesRead, 1);
      read->user = g_strdup (username);
      read->fingerprint = user != NULL ? roles_fingerprint (user->admin, roles) : NULL;
      g_ptr_array_add (job->roles, read);
    }
  for (guint i = 0; i < job->dirty->len; i++)
    {
      const char *key = g_ptr_array_index (job->dirty, i);
      const char *tab = strchr (key, '\t');
      g_autofree char *app = g_strndup (key, tab - key);
      NavetteDbTableState state = { 0, };

      if (navette_db_table_state (job->db, app, tab + 1, &state, NULL))
        add_change (job, app, tab + 1, state.revision, state.last_update, FALSE);
      g_free (state.table);
    }
  for (guint i = 0; i < job->tokens->len; i++)
    {
      const char *hash = g_ptr_array_index (job->tokens, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteDbUser) user = NULL;
      Access *access;
      gint64 expires_at = 0;

      user = navette_db_session_lookup (job->db, hash, &expires_at, &error);
      if (user == NULL && !(error != NULL && error->domain == NAVETTE_API_ERROR &&
                            (error->code == NAVETTE_API_ERROR_AUTH_REQUIRED ||
                             error->code == NAVETTE_API_ERROR_NOT_FOUND)))
        continue;  /* unavailable: keep what we knew */
      access = g_new0 (Access, 1);
      if (user != NULL)
        {
          access->roles = navette_db_roles_for_user (job->db, user->username, NULL);
          if (access->roles == NULL)
            {
              access_free (access);
              continue;
            }
          access->valid = TRUE;
          access->admin = user->admin;
          access->expires_at = expires_at;
        }
      g_hash_table_insert (job->access, g_strdup (hash), access);
    }
  g_task_return_boolean (task, TRUE);
}

/* ------------------------------------------------------------------ */
/* Delivery (main loop)                                                */

static void start_check (NavetteEventHub *self);

static char *
announcement_json (const Change *change)
{
  GString *out = g_string_new ("{\"type\":\"table\",\"app\":");

  navette_json_append_string (out, change->app);
  g_string_append (out, ",\"table\":");
  navette_json_append_string (out, change->table);
  g_string_append_printf (out, ",\"revision\":%" G_GINT64_FORMAT ",\"last_update\":", change->revision);
  if (change->last_update > 0)
    {
      g_autofree char *text = navette_time_format (change->last_update);
      navette_json_append_string (out, text);
    }
  else
    g_string_append (out, "null");
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static gboolean
subscriber_is_open (Subscriber *sub)
{
  return soup_websocket_connection_get_state (sub->connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* FALSE (and closes the subscription) when its session is over. */
static gboolean
subscriber_check_session (Subscriber *sub,
                          Access     *access)
{
  if (access != NULL && access->valid && navette_time_now () < access->expires_at)
    return TRUE;
  if (subscriber_is_open (sub))
    soup_websocket_connection_close (sub->connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                     "The session is over; sign in again");
  return FALSE;
}

/* Sends @text to every subscriber whose session is live and who may
 * read @app (admins: every one), or who is @user (and admins). */
static void
deliver_text (NavetteEventHub *self,
              const char      *text,
              const char      *app,
              const char      *user)
{
  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);
      Access *access = g_hash_table_lookup (self->access, sub->token_hash);

      if (!subscriber_is_open (sub) || !subscriber_check_session (sub, access))
        continue;
      if (access->admin ||
          (app != NULL && g_hash_table_contains (access->roles, app)) ||
          (user != NULL && g_str_equal (sub->username, user)))
        {
          soup_websocket_connection_send_text (sub->connection, text);
          self->n_sent++;
        }
    }
}

static void
deliver (NavetteEventHub *self,
         const Change    *change)
{
  g_autofree char *text = announcement_json (change);

  deliver_text (self, text, change->app, NULL);
}

/* {"type":"schema","app":…}: to those who may read the application (so
 * a new one, which nobody has a role in yet, is told to admins only). */
static void
deliver_schema (NavetteEventHub *self,
                const char      *app)
{
  g_autoptr(GString) text = g_string_new ("{\"type\":\"schema\",\"app\":");

  navette_json_append_string (text, app);
  g_string_append_c (text, '}');
  deliver_text (self, text->str, app, NULL);
}

/* {"type":"roles","user":…}: to her own sockets, and to admins'. */
static void
deliver_roles (NavetteEventHub *self,
               const char      *user)
{
  g_autoptr(GString) text = g_string_new ("{\"type\":\"roles\",\"user\":");

  navette_json_append_string (text, user);
  g_string_append_c (text, '}');
  deliver_text (self, text->str, NULL, user);
}

/* Whether @change (of the table or schema whose last announcement is in
 * @announced under @key) is new: then records it, and returns whether
 * to announce it (a baseline only records). */
static gboolean
record_change (GHashTable   *announced,
               const char   *key,
               const Change *change,
               gboolean      baseline)
{
  Announced *last = g_hash_table_lookup (announced, key);

  if (change->revision <= 0)
    return FALSE;
  if (last != NULL &&
      (change->revision < last->revision ||
       (change->revision == last->revision && (change->from_all || !last->baseline_only))))
    return FALSE;
  if (last == NULL)
    {
      last = g_new0 (Announced, 1);
      g_hash_table_insert (announced, g_strdup (key), last);
    }
  last->revision = change->revision;
  last->baseline_only = change->from_all && baseline;
  return !last->baseline_only;
}

static void
apply_access (NavetteEventHub *self,
              CheckJob        *job)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, job->access);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Access *fresh = value;
      Access *access = g_hash_table_lookup (self->access, key);

      if (access == NULL)
        continue;  /* no subscriber left with this token */
      g_clear_pointer (&access->roles, g_hash_table_unref);
      access->roles = fresh->roles != NULL ? g_hash_table_ref (fresh->roles) : g_hash_table_new (g_str_hash, g_str_equal);
      access->valid = fresh->valid;
      access->admin = fresh->admin;
      access->expires_at = fresh->expires_at;
      access->fetched_at = now;
    }
}

static void
refresh_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NavetteEventHub *self = NAVETTE_EVENT_HUB (source);

  self->refreshing = FALSE;
  apply_access (self, g_task_get_task_data (G_TASK (result)));
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  NavetteEventHub *self = NAVETTE_EVENT_HUB (source);
  CheckJob *job = g_task_get_task_data (G_TASK (result));

  self->busy = FALSE;
  apply_access (self, job);

  /* Roles first, then schemas, then tables: a client re-reads /me and
   * the applications, then the tables, then the records. */
  for (guint i = 0; i < job->roles->len; i++)
    {
      RolesRead *read = g_ptr_array_index (job->roles, i);
      const char *seen = g_hash_table_lookup (self->roles_seen, read->user);

      if (seen != NULL && g_strcmp0 (seen, read->fingerprint) == 0)
        continue;
      g_hash_table_insert (self->roles_seen, g_strdup (read->user),
                           g_strdup (read->fingerprint != NULL ? read->fingerprint : "-"));
      deliver_roles (self, read->user);
    }
  for (guint i = 0; i < job->schema_changes->len; i++)
    {
      Change *change = g_ptr_array_index (job->schema_changes, i);

      if (record_change (self->schemas, change->app, change, job->baseline))
        deliver_schema (self, change->app);
    }
  for (guint i = 0; i < job->changes->len; i++)
    {
      Change *change = g_ptr_array_index (job->changes, i);
      g_autofree char *table_key = g_strconcat (change->app, "/", change->table, NULL);

      if (record_change (self->announced, table_key, change, job->baseline))
        deliver (self, change);
    }
  if (job->all && job->baseline && self->subscribers->len > 0)
    self->baseline_done = TRUE;

  g_mutex_lock (&self->lock);
  if ((self->dirty_all || g_hash_table_size (self->dirty) > 0 || g_hash_table_size (self->dirty_schemas) > 0 ||
       g_hash_table_size (self->dirty_roles) > 0) && self->idle_id == 0)
    {
      g_mutex_unlock (&self->lock);
      start_check (self);
      return;
    }
  g_mutex_unlock (&self->lock);
}

static CheckJob *
check_job_new (NavetteEventHub *self)
{
  CheckJob *job = g_new0 (CheckJob, 1);

  job->db = g_object_ref (self->db);
  job->dirty = g_ptr_array_new_with_free_func (g_free);
  job->schemas = g_ptr_array_new_with_free_func (g_free);
  job->users = g_ptr_array_new_with_free_func (g_free);
  job->tokens = g_ptr_array_new_with_free_func (g_free);
  job->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  job->schema_changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  job->roles = g_ptr_array_new_with_free_func ((GDestroyNotify) roles_read_free);
  job->access = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) access_free);
  return job;
}

typedef struct
{
  const char *token_hash;
  gint64      fetched_at;
} Stale;

static int
compare_stale (gconstpointer a,
               gconstpointer b)
{
  const Stale *x = a, *y = b;

  return x->fetched_at < y->fetched_at ? -1 : x->fetched_at > y->fetched_at;
}

/* The sessions whose access is older than the cache allows, oldest first:
 * up to INLINE_REFRESH_MAX are re-read by @job before it announces;
 * any others by a background job (announcements do not wait for a
 * thousand session reads; those subscribers are judged on what was read
 * at most a refresh ago). */
#define INLINE_REFRESH_MAX 32

static void
collect_stale (NavetteEventHub *self,
               CheckJob        *job)
{
  g_autoptr(GArray) stale = g_array_new (FALSE, FALSE, sizeof (Stale));
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->access);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (now - ((Access *) value)->fetched_at >= self->access_cache_usec)
      {
        Stale entry = { key, ((Access *) value)->fetched_at };
        g_array_append_val (stale, entry);
      }
  if (stale->len > INLINE_REFRESH_MAX)
    g_array_sort (stale, compare_stale);
  for (guint i = 0; i < stale->len && i < INLINE_REFRESH_MAX; i++)
    g_ptr_array_add (job->tokens, g_strdup (g_array_index (stale, Stale, i).token_hash));

  if (stale->len > INLINE_REFRESH_MAX && !self->refreshing)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, refresh_done_cb, NULL);
      CheckJob *refresh = check_job_new (self);

      for (guint i = INLINE_REFRESH_MAX; i < stale->len; i++)
        g_ptr_array_add (refresh->tokens, g_strdup (g_array_index (stale, Stale, i).token_hash));
      self->refreshing = TRUE;
      g_task_set_source_tag (task, collect_stale);
      g_task_set_task_data (task, refresh, (GDestroyNotify) check_job_free);
      g_task_run_in_thread (task, check_thread);
    }
}

/* Moves the keys of @set into @array. */
static void
steal_keys (GHashTable *set,
            GPtrArray  *array)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_ptr_array_add (array, key);
      g_hash_table_iter_steal (&iter);
    }
}

static gboolean
has_admin (NavetteEventHub *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->access);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Access *) value)->admin)
      return TRUE;
  return FALSE;
}

/* The users whose grants changed, of @users (emptied): those somebody
 * listens to (a socket of theirs, or an admin's) go into @job, with
 * their sessions to re-read at once; the others are forgotten. */
static void
add_role_users (NavetteEventHub *self,
                CheckJob        *job,
                GPtrArray       *users)
{
  gboolean admin = has_admin (self);
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) tokens = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < users->len; i++)
    {
      const char *user = g_ptr_array_index (users, i);

      if (!admin && !g_hash_table_contains (self->per_user, user))
        g_hash_table_remove (self->roles_seen, user);  /* nobody to tell: what was told no longer holds */
      else if (!g_hash_table_contains (wanted, user))
        {
          char *copy = g_strdup (user);

          g_ptr_array_add (job->users, copy);
          g_hash_table_add (wanted, copy);
        }
    }
  g_ptr_array_set_size (users, 0);
  if (g_hash_table_size (wanted) == 0)
    return;

  for (guint i = 0; i < job->tokens->len; i++)
    g_hash_table_add (tokens, g_ptr_array_index (job->tokens, i));
  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);

      if (g_hash_table_contains (wanted, sub->username) && g_hash_table_add (tokens, sub->token_hash))
        g_ptr_array_add (job->tokens, g_strdup (sub->token_hash));
    }
}

static void
start_check (NavetteEventHub *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  CheckJob *job;

  if (self->busy)
    return;

  job = check_job_new (self);

  g_mutex_lock (&self->lock);
  job->all = self->dirty_all;
  self->dirty_all = FALSE;
  steal_keys (self->dirty, job->dirty);
  steal_keys (self->dirty_schemas, job->schemas);
  steal_keys (self->dirty_roles, users);
  g_mutex_unlock (&self->lock);

  if (self->subscribers->len == 0 ||
      (!job->all && job->dirty->len == 0 && job->schemas->len == 0 && users->len == 0))
    {
      check_job_free (job);
      return;
    }
  job->baseline = job->all && !self->baseline_done;
  if (job->all && !job->baseline)
    {
      /* anything may have changed: every subscriber's roles too */
      GHashTableIter iter;
      gpointer user;

      g_hash_table_iter_init (&iter, self->per_user);
      while (g_hash_table_iter_next (&iter, &user, NULL))
        g_ptr_array_add (users, g_strdup (user));
    }

  collect_stale (self, job);
  add_role_users (self, job, users);

  self->busy = TRUE;
  task = g_task_new (self, NULL, check_done_cb, NULL);
  g_task_set_source_tag (task, start_check);
  g_task_set_task_data (task, job, (GDestroyNotify) check_job_free);
  g_task_run_in_thread (task, check_thread);
}

static gboolean
changed_idle_cb (gpointer data)
{
  NavetteEventHub *self = data;

  g_mutex_lock (&self->lock);
  self->idle_id = 0;
  g_mutex_unlock (&self->lock);
  start_check (self);
  return G_SOURCE_REMOVE;
}

/* Called with the lock held: a check soon. */
static void
schedule_check_locked (NavetteEventHub *self)
{
  if (self->idle_id == 0)
    {
      g_autoptr(GSource) source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, changed_idle_cb, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[navette] push");
      self->idle_id = g_source_attach (source, self->context);
    }
}

void
navette_event_hub_changed (NavetteEventHub *self,
                           const char      *app,
                           const char      *table)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));

  g_mutex_lock (&self->lock);
  if (app == NULL || table == NULL)
    self->dirty_all = TRUE;
  else
    g_hash_table_add (self->dirty, g_strconcat (app, "\t", table, NULL));
  schedule_check_locked (self);
  g_mutex_unlock (&self->lock);
}

void
navette_event_hub_schema_changed (NavetteEventHub *self,
                                  const char      *app)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  g_return_if_fail (app != NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_add (self->dirty_schemas, g_strdup (app));
  schedule_check_locked (self);
  g_mutex_unlock (&self->lock);
}

void
navette_event_hub_roles_changed (NavetteEventHub *self,
                                 const char      *username)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  g_return_if_fail (username != NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_add (self->dirty_roles, g_strdup (username));
  schedule_check_locked (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ */
/* Subscribers                                                         */

static gboolean
poll_cb (gpointer data)
{
  navette_event_hub_changed (data, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
update_poll (NavetteEventHub *self)
{
  gboolean want = self->poll_ms > 0 && self->subscribers->len > 0;

  if (want && self->poll_id == 0)
    self->poll_id = g_timeout_add (self->poll_ms, poll_cb, self);
  else if (!want)
    g_clear_handle_id (&self->poll_id, g_source_remove);
}

/* The roles last told of users nobody listens to any more (no socket of
 * theirs, no admin's) would go stale: forgotten. */
static void
forget_unheard_roles (NavetteEventHub *self)
{
  GHashTableIter iter;
  gpointer user;

  if (has_admin (self))
    return;
  g_hash_table_iter_init (&iter, self->roles_seen);
  while (g_hash_table_iter_next (&iter, &user, NULL))
    if (!g_hash_table_contains (self->per_user, user))
      g_hash_table_iter_remove (&iter);
}

static void
remove_subscriber (NavetteEventHub *self,
                   Subscriber      *sub)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_user, sub->username));
  Access *access = g_hash_table_lookup (self->access, sub->token_hash);

  if (count <= 1)
    g_hash_table_remove (self->per_user, sub->username);
  else
    g_hash_table_insert (self->per_user, g_strdup (sub->username), GUINT_TO_POINTER (count - 1));
  if (access != NULL && --access->n_subscribers == 0)
    g_hash_table_remove (self->access, sub->token_hash);
  g_ptr_array_remove_fast (self->subscribers, sub);
  if (self->subscribers->len == 0)
    {
      /* Nobody listens: forget, and take a new baseline next time. */
      self->baseline_done = FALSE;
      g_hash_table_remove_all (self->announced);
      g_hash_table_remove_all (self->schemas);
    }
  forget_unheard_roles (self);
  update_poll (self);
}

static void
closed_cb (SoupWebsocketConnection *connection,
           gpointer                 data)
{
  Subscriber *sub = data;

  remove_subscriber (sub->hub, sub);
}

static void
seen_cb (SoupWebsocketConnection *connection,
         gpointer                 arg1,
         gpointer                 data)
{
  Subscriber *sub = data;

  /* Clients send nothing but pongs; anything counts as a sign of life. */
  sub->last_seen = g_get_monotonic_time ();
}

static void
message_cb (SoupWebsocketConnection *connection,
            int                      type,
            GBytes                  *message,
            gpointer                 data)
{
  seen_cb (connection, NULL, data);
}

/* Heartbeats: libsoup pings every keepalive interval (30 s); a
 * subscriber that has not answered for two and a half intervals is gone
 * (its socket may stay "open" for many minutes otherwise). Expired
 * sessions end here too. */
static gboolean
sweep_cb (gpointer data)
{
  NavetteEventHub *self = data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);

      if (!subscriber_is_open (sub))
        continue;
      if (now - sub->last_seen > (gint64) self->keepalive_s * 5 * G_USEC_PER_SEC / 2)
        soup_websocket_connection_close (sub->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                         "No answer to the heartbeats");
      else
        subscriber_check_session (sub, g_hash_table_lookup (self->access, sub->token_hash));
    }
  return G_SOURCE_CONTINUE;
}

gboolean
navette_event_hub_may_subscribe (NavetteEventHub *self,
                                 const char      *username)
{
  g_return_val_if_fail (NAVETTE_IS_EVENT_HUB (self), FALSE);
  g_return_val_if_fail (username != NULL, FALSE);

  return GPOINTER_TO_UINT (g_hash_table_lookup (self->per_user, username)) < self->max_per_user;
}

void
navette_event_hub_add (NavetteEventHub         *self,
                       SoupWebsocketConnection *connection,
                       const char              *token_hash,
                       const char              *username,
                       gboolean                 admin,
                       GHashTable              *roles,
                       gint64                   expires_at)
{
  Subscriber *sub;
  Access *access;
  guint count;

  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  g_return_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (connection));
  g_return_if_fail (token_hash != NULL && username != NULL && roles != NULL);

  soup_websocket_connection_set_keepalive_interval (connection, self->keepalive_s);
  soup_websocket_connection_set_max_incoming_payload_size (connection, NAVETTE_EVENT_HUB_MAX_INCOMING);

  sub = g_new0 (Subscriber, 1);
  sub->hub = self;
  sub->connection = g_object_ref (connection);
  sub->token_hash = g_strdup (token_hash);
  sub->username = g_strdup (username);
  sub->last_seen = g_get_monotonic_time ();
  g_signal_connect (connection, "closed", G_CALLBACK (closed_cb), sub);
  g_signal_connect (connection, "pong", G_CALLBACK (seen_cb), sub);
  g_signal_connect (connection, "message", G_CALLBACK (message_cb), sub);
  g_ptr_array_add (self->subscribers, sub);

  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_user, username));
  g_hash_table_insert (self->per_user, g_strdup (username), GUINT_TO_POINTER (count + 1));

  access = g_hash_table_lookup (self->access, token_hash);
  if (access == NULL)
    {
      access = g_new0 (Access, 1);
      g_hash_table_insert (self->access, g_strdup (token_hash), access);
    }
  access->n_subscribers++;
  g_clear_pointer (&access->roles, g_hash_table_unref);
  access->roles = g_hash_table_ref (roles);
  access->valid = TRUE;
  access->admin = admin;
  access->expires_at = expires_at;
  access->fetched_at = g_get_monotonic_time ();

  /* What she was told of her roles: what she could read when she
   * connected (unless a change of them is being told already). */
  if (!g_hash_table_contains (self->roles_seen, username))
    g_hash_table_insert (self->roles_seen, g_strdup (username), roles_fingerprint (admin, roles));

  if (!self->baseline_done)
    navette_event_hub_changed (self, NULL, NULL);
  update_poll (self);
}

guint
navette_event_hub_get_n_subscribers (NavetteEventHub *self)
{
  g_return_val_if_fail (NAVETTE_IS_EVENT_HUB (self), 0);
  return self->subscribers->len;
}

guint64
navette_event_hub_get_n_sent (NavetteEventHub *self)
{
  g_return_val_if_fail (NAVETTE_IS_EVENT_HUB (self), 0);
  return self->n_sent;
}

void
navette_event_hub_set_max_per_user (NavetteEventHub *self,
                                    guint            max)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  self->max_per_user = max;
}

void
navette_event_hub_set_keepalive (NavetteEventHub *self,
                                 guint            seconds)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  g_return_if_fail (seconds > 0);

  self->keepalive_s = seconds;
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  self->sweep_id = g_timeout_add_seconds (seconds, sweep_cb, self);
}

void
navette_event_hub_set_access_cache (NavetteEventHub *self,
                                    guint            msec)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  self->access_cache_usec = (gint64) msec * 1000;
}

void
navette_event_hub_set_poll_interval (NavetteEventHub *self,
                                     guint            msec)
{
  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));
  self->poll_ms = msec;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  update_poll (self);
}

void
navette_event_hub_close_all (NavetteEventHub *self)
{
  g_autoptr(GPtrArray) subscribers = NULL;

  g_return_if_fail (NAVETTE_IS_EVENT_HUB (self));

  subscribers = g_steal_pointer (&self->subscribers);
  self->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) subscriber_free);
  for (guint i = 0; i < subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (subscribers, i);

      g_signal_handlers_disconnect_by_data (sub->connection, sub);
      if (subscriber_is_open (sub))
        soup_websocket_connection_close (sub->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  g_hash_table_remove_all (self->per_user);
  g_hash_table_remove_all (self->access);
  g_hash_table_remove_all (self->announced);
  g_hash_table_remove_all (self->schemas);
  g_hash_table_remove_all (self->roles_seen);
  self->baseline_done = FALSE;
  update_poll (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
navette_event_hub_dispose (GObject *object)
{
  NavetteEventHub *self = NAVETTE_EVENT_HUB (object);

  if (self->subscribers != NULL)
    navette_event_hub_close_all (self);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  G_OBJECT_CLASS (navette_event_hub_parent_class)->dispose (object);
}

static void
navette_event_hub_finalize (GObject *object)
{
  NavetteEventHub *self = NAVETTE_EVENT_HUB (object);

  g_clear_pointer (&self->subscribers, g_ptr_array_unref);
  g_hash_table_unref (self->per_user);
  g_hash_table_unref (self->access);
  g_hash_table_unref (self->announced);
  g_hash_table_unref (self->schemas);
  g_hash_table_unref (self->roles_seen);
  g_hash_table_unref (self->dirty);
  g_hash_table_unref (self->dirty_schemas);
  g_hash_table_unref (self->dirty_roles);
  g_mutex_clear (&self->lock);
  g_clear_object (&self->db);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (navette_event_hub_parent_class)->finalize (object);
}

static void
navette_event_hub_class_init (NavetteEventHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_event_hub_dispose;
  object_class->finalize = navette_event_hub_finalize;
}

static void
navette_event_hub_init (NavetteEventHub *self)
{
  self->max_per_user = NAVETTE_EVENT_HUB_DEFAULT_MAX_PER_USER;
  self->access_cache_usec = NAVETTE_EVENT_HUB_ACCESS_CACHE_USEC;
  self->keepalive_s = NAVETTE_EVENT_HUB_KEEPALIVE_SECONDS;
  self->context = g_main_context_ref_thread_default ();
  self->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) subscriber_free);
  self->per_user = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->access = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) access_free);
  self->announced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->schemas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->roles_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dirty_schemas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dirty_roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->lock);
}

NavetteEventHub *
navette_event_hub_new (NavetteDb *db)
{
  NavetteEventHub *self;

  g_return_val_if_fail (NAVETTE_IS_DB (db), NULL);

  self = g_object_new (NAVETTE_TYPE_EVENT_HUB, NULL);
  self->db = g_object_ref (self->db == NULL ? db : self->db);
  self->sweep_id = g_timeout_add_seconds (NAVETTE_EVENT_HUB_KEEPALIVE_SECONDS, sweep_cb, self);
  return self;
}
