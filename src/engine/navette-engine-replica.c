/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's side of the local replica: opening the loaded user's
 * replica, one NavetteReplicaFeed per table shown, the structure
 * (applications, tables, roles) kept in the replica for the next start,
 * and opening it without the network (navette_engine_open_saved_async()).
 * The rest of NavetteEngine is in navette-engine.c. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

/* ---- The replica ---- */

static void
replica_dropped_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autofree char *app = user_data;
  g_autoptr(GError) error = NULL;

  if (navette_replica_drop_finish (NAVETTE_REPLICA (object), result, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not drop %s from the replica: %s", app, error->message);
}

/* An application the user lost: its feeds go, and its tables leave the
 * replica (the replica is opened for that, when it was not yet). */
void
_navette_engine_drop_replica_app (NavetteEngine *self,
                  NavetteStore  *store)
{
  const char *app = navette_store_get_name (store);
  g_autofree char *prefix = g_strconcat (app, "/", NULL);
  NavetteReplica *replica = navette_engine_get_replica (self);

  if (self->feeds != NULL)
    {
      GHashTableIter iter;
      const char *key;

      g_hash_table_iter_init (&iter, self->feeds);
      while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
        if (g_str_has_prefix (key, prefix))
          g_hash_table_iter_remove (&iter);
    }
  if (replica != NULL)
    navette_replica_drop_async (replica, app, NULL, NULL, replica_dropped_cb, g_strdup (app));
}

NavetteReplica *
navette_engine_get_replica (NavetteEngine *self)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);

  /* Opened by navette_engine_open_saved_async() for the saved user, and
   * another one signed in: never shown theirs. */
  if (self->replica != NULL && self->loaded_user != NULL &&
      g_strcmp0 (self->replica_user, self->loaded_user) != 0)
    {
      g_debug ("Signed in as %s: the replica of %s is closed", self->loaded_user, self->replica_user);
      if (self->feeds != NULL)
        g_hash_table_remove_all (self->feeds);
      g_clear_object (&self->replica);
    }
  if (self->replica != NULL || self->replica_failed)
    return self->replica;
  if (self->data_dir == NULL || self->loaded_user == NULL)
    return NULL;
  path = navette_replica_path_for (self->data_dir, _navette_engine_account_url (self), self->loaded_user);
  g_free (self->replica_user);
  self->replica_user = g_strdup (self->loaded_user);
  self->replica = navette_replica_open (path, &error);
  if (self->replica == NULL)
    {
      self->replica_failed = TRUE;
      g_message ("Not using the replica %s: %s", path, error->message);
    }
  return self->replica;
}

NavetteReplicaFeed *
navette_engine_open_feed (NavetteEngine *self,
                          NavetteTable  *table)
{
  NavetteStore *store;
  NavetteReplica *replica;
  NavetteReplicaFeed *feed;
  g_autofree char *key = NULL;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);

  store = navette_table_get_store (table);
  if (store == NULL || (replica = navette_engine_get_replica (self)) == NULL)
    return NULL;
  key = g_strdup_printf ("%s/%s", navette_store_get_name (store), navette_table_get_name (table));
  if (self->feeds == NULL)
    self->feeds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  feed = g_hash_table_lookup (self->feeds, key);
  /* A feed whose table was dropped (removed from the store, or the same
   * name made again) is made anew. */
  if (feed != NULL && (navette_replica_feed_get_removed (feed) ||
                       navette_replica_feed_get_table (feed) != table))
    {
      g_hash_table_remove (self->feeds, key);
      feed = NULL;
    }
  if (feed == NULL)
    {
      /* Shown before the engine is loaded (no session yet): the replica's
       * rows, synced once it is. */
      feed = self->loaded ? navette_replica_feed_new (replica, self->client, table)
                          : navette_replica_feed_new_held (replica, self->client, table);
      g_hash_table_insert (self->feeds, g_steal_pointer (&key), feed);
      if (self->loaded && !self->structure_saved)
        _navette_engine_save_structure (self);
    }
  return feed;
}

NavetteReplicaFeed *
navette_engine_lookup_feed (NavetteEngine *self,
                            NavetteTable  *table)
{
  NavetteStore *store;
  NavetteReplicaFeed *feed;
  g_autofree char *key = NULL;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), NULL);

  store = navette_table_get_store (table);
  if (store == NULL || self->feeds == NULL)
    return NULL;
  key = g_strdup_printf ("%s/%s", navette_store_get_name (store), navette_table_get_name (table));
  feed = g_hash_table_lookup (self->feeds, key);
  return feed != NULL && navette_replica_feed_get_table (feed) == table ? feed : NULL;
}


/* ---- The structure kept in the replica, for the next start ---- */

typedef struct
{
  NavetteReplica *replica;
  char           *text;
} SaveStructure;

static void
save_structure_free (SaveStructure *save)
{
  g_clear_object (&save->replica);
  g_free (save->text);
  g_free (save);
}

static void
save_structure_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  SaveStructure *save = task_data;
  GError *error = NULL;

  /* Behind a sync's pages on the replica's worker: waited here, not on
   * the main loop. */
  if (navette_replica_set_meta (save->replica, "applications", save->text, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
structure_saved_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _navette_engine_cache_failed (NAVETTE_ENGINE (object), error);
}

/* Keeps the list of applications (name, title, role: no records) in the
 * replica, for navette_engine_open_saved_async() at the next start; the
 * tables and their schemas are there already (those synced). Only into a
 * replica already open (by the start, or a feed): a program that never
 * shows a table through it (navette-cli set) does not open it for this. */
void
_navette_engine_save_structure (NavetteEngine *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GTask) task = NULL;
  NavetteReplica *replica = self->replica;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->stores));
  SaveStructure *save;

  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteStore) store = g_list_model_get_item (G_LIST_MODEL (self->stores), i);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, navette_store_get_name (store));
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, navette_store_get_title (store));
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, navette_role_to_string (navette_store_get_role (store)));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  if (replica == NULL)
    return;
  self->structure_saved = TRUE;

  root = json_builder_get_root (builder);
  save = g_new0 (SaveStructure, 1);
  save->replica = g_object_ref (replica);
  save->text = navette_json_to_string (root, NULL);
  task = g_task_new (self, self->cancellable, structure_saved_cb, NULL);
  g_task_set_task_data (task, save, (GDestroyNotify) save_structure_free);
  g_task_run_in_thread (task, save_structure_thread);
}

/* ---- Opening the replica without the network ---- */

typedef struct
{
  char           *path;
  char           *server;     /* the account's URL (the journal's) */
  char           *user;
  NavetteReplica *replica;
  GPtrArray      *tables;     /* NavetteReplicaTable* */
  char           *apps;       /* the JSON kept by save_structure() */
  NavetteJournal *journal;    /* the account's unsent changes; NULL: */
  GError         *journal_error;  /* … it could not be opened */
  GPtrArray      *edited;     /* NavetteRecord* the journal changes, from
                               * the replica; their "navette-app" and
                               * "navette-table" set */
} SavedLoad;

static void
saved_load_free (SavedLoad *load)
{
  g_free (load->path);
  g_free (load->server);
  g_free (load->user);
  g_clear_object (&load->replica);
  g_clear_pointer (&load->tables, g_ptr_array_unref);
  g_free (load->apps);
  g_clear_object (&load->journal);
  g_clear_error (&load->journal_error);
  g_clear_pointer (&load->edited, g_ptr_array_unref);
  g_free (load);
}

static void
saved_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The record @id of APP/TABLE as the replica holds it, or NULL; waited
 * for here (the open_saved thread), on its own main context. */
static NavetteRecord *
saved_record (NavetteReplica *replica,
              GMainContext   *context,
              const char     *app,
              const char     *table,
              const char     *id)
{
  g_autoptr(GAsyncResult) looked = NULL;
  g_autoptr(GAsyncResult) fetched = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  gint64 key;

  navette_replica_lookup_key_async (replica, app, table, id, NULL, saved_result_cb, &looked);
  while (looked == NULL)
    g_main_context_iteration (context, TRUE);
  key = navette_replica_lookup_key_finish (replica, looked, &error);
  if (error != NULL || key <= 0)
    return NULL;
  navette_replica_fetch_async (replica, app, table, &key, 1, NULL, saved_result_cb, &fetched);
  while (fetched == NULL)
    g_main_context_iteration (context, TRUE);
  records = navette_replica_fetch_finish (replica, fetched, &error);
  if (records == NULL || records->len != 1)
    return NULL;
  return g_object_ref (g_ptr_array_index (records, 0));
}

/* The account's journal, and the records its changes edit as the replica
 * holds them: put back on the tables before anything shows them, so that
 * the unsent changes show at once, on the rows they change. */
static void
open_saved_journal (SavedLoad *load)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GMainContext) context = NULL;

  load->journal = navette_journal_new (load->path, load->server, load->user);
  if (!navette_journal_load (load->journal, &load->journal_error))
    {
      g_clear_object (&load->journal);
      return;
    }
  entries = navette_journal_dup_entries (load->journal);
  load->edited = g_ptr_array_new_with_free_func (g_object_unref);
  /* Records created here are not in the replica; each record read once. */
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "kind", NULL), "create") == 0)
        g_hash_table_add (seen, g_strdup_printf ("%s/%s/%s",
                                                 json_object_get_string_member_with_default (entry, "app", ""),
                                                 json_object_get_string_member_with_default (entry, "table", ""),
                                                 json_object_get_string_member_with_default (entry, "record", "")));
    }

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      const char *app = json_object_get_string_member_with_default (entry, "app", NULL);
      const char *table = json_object_get_string_member_with_default (entry, "table", NULL);
      const char *id = json_object_get_string_member_with_default (entry, "record", NULL);
      g_autofree char *key = NULL;
      gboolean known = FALSE;
      NavetteRecord *record;

      if (app == NULL || table == NULL || id == NULL)
        continue;
      key = g_strdup_printf ("%s/%s/%s", app, table, id);
      if (g_hash_table_contains (seen, key))
        continue;
      g_hash_table_add (seen, g_steal_pointer (&key));
      for (guint j = 0; j < load->tables->len && !known; j++)
        {
          NavetteReplicaTable *saved = g_ptr_array_index (load->tables, j);

          known = g_strcmp0 (saved->app, app) == 0 && g_strcmp0 (saved->schema->name, table) == 0;
        }
      if (!known || (record = saved_record (load->replica, context, app, table, id)) == NULL)
        continue;
      g_object_set_data_full (G_OBJECT (record), "navette-app", g_strdup (app), g_free);
      g_object_set_data_full (G_OBJECT (record), "navette-table", g_strdup (table), g_free);
      g_ptr_array_add (load->edited, record);
    }
  g_main_context_pop_thread_default (context);
}

static void
open_saved_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SavedLoad *load = task_data;
  GError *error = NULL;

  /* Nothing was kept: not made here. */
  if (!g_file_test (load->path, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                               _("Nothing was kept from an earlier session."));
      return;
    }
  if (!(load->replica = navette_replica_open (load->path, &error)) ||
      !(load->tables = navette_replica_list_tables (load->replica, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  load->apps = navette_replica_dup_meta (load->replica, "applications", NULL);
  if (load->tables->len == 0)
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                               _("Nothing was kept from an earlier session."));
      return;
    }
  open_saved_journal (load);
  g_task_return_boolean (task, TRUE);
}

void
navette_engine_open_saved_async (NavetteEngine       *self,
                                 const char          *username,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SavedLoad *load;

  g_return_if_fail (NAVETTE_IS_ENGINE (self));
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_engine_open_saved_async);

  if (self->data_dir == NULL)
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                               _("Nothing was kept from an earlier session."));
      return;
    }

  load = g_new0 (SavedLoad, 1);
  load->path = navette_replica_path_for (self->data_dir, _navette_engine_account_url (self), username);
  load->server = g_strdup (_navette_engine_account_url (self));
  load->user = g_strdup (username);
  g_task_set_task_data (task, load, (GDestroyNotify) saved_load_free);
  g_task_run_in_thread (task, open_saved_thread);
}

/* The applications kept by save_structure(): name → NavetteStore made
 * from it (not yet in the engine's list). */
static NavetteStore *
saved_store (NavetteEngine *self,
             JsonArray     *apps,
             const char    *name)
{
  const char *title = name;
  NavetteRole role = NAVETTE_ROLE_READER;

  for (guint i = 0; apps != NULL && i < json_array_get_length (apps); i++)
    {
      JsonNode *node = json_array_get_element (apps, i);
      JsonObject *app;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      app = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member_with_default (app, "name", NULL), name) != 0)
        continue;
      title = json_object_get_string_member_with_default (app, "title", name);
      role = navette_role_from_string (json_object_get_string_member_with_default (app, "role", NULL));
      break;
    }
  return _navette_engine_adopt_store (self, navette_store_new (self->client, name, title, role));
}

gboolean
navette_engine_open_saved_finish (NavetteEngine  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  SavedLoad *load;
  g_autoptr(GPtrArray) new_stores = NULL;
  g_autoptr(JsonNode) apps_root = NULL;
  JsonArray *apps = NULL;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  /* The network may have been quicker: never replace the server's data. */
  if (self->loaded)
    return TRUE;

  load = g_task_get_task_data (G_TASK (result));
  if (self->replica == NULL)
    {
      self->replica = g_steal_pointer (&load->replica);
      g_free (self->replica_user);
      self->replica_user = g_strdup (load->user);
    }
  else if (g_strcmp0 (self->replica_user, load->user) != 0)
    return TRUE;

  if (load->apps != NULL &&
      (apps_root = navette_json_parse_strict (load->apps, strlen (load->apps), NULL)) &&
      JSON_NODE_HOLDS_ARRAY (apps_root))
    apps = json_node_get_array (apps_root);

  new_stores = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < load->tables->len; i++)
    {
      NavetteReplicaTable *saved = g_ptr_array_index (load->tables, i);
      NavetteStore *store = navette_engine_lookup_store (self, saved->app);
      NavetteTable *table;

      for (guint j = 0; store == NULL && j < new_stores->len; j++)
        if (g_strcmp0 (navette_store_get_name (g_ptr_array_index (new_stores, j)), saved->app) == 0)
          store = g_ptr_array_index (new_stores, j);
      if (store == NULL)
        {
          store = saved_store (self, apps, saved->app);
          g_ptr_array_add (new_stores, store);
          navette_middleware_connect_store (self->middleware, store);
          navette_poller_add_store (self->poller, store);
        }
      table = navette_store_add_cached_table (store, g_steal_pointer (&saved->schema));
      navette_table_set_cached (table, TRUE);
    }
  if (new_stores->len > 0)
    g_list_store_splice (self->stores, g_list_model_get_n_items (G_LIST_MODEL (self->stores)), 0,
                         new_stores->pdata, new_stores->len);

  /* The changes not sent yet show on these tables, waiting. */
  _navette_engine_put_back_saved (self, load->user, load->journal, load->journal_error, load->edited);
  return TRUE;
}

/* The feeds made before the load (showing the replica) sync now. */
void
_navette_engine_release_feeds (NavetteEngine *self)
{
  GHashTableIter iter;
  NavetteReplicaFeed *feed;

  if (self->feeds == NULL)
    return;
  g_hash_table_iter_init (&iter, self->feeds);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &feed))
    navette_replica_feed_release (feed);
}
