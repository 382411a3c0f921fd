/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

struct _NavetteStore
{
  GObject        parent_instance;

  NavetteClient *client;
  char          *name;
  char          *title;
  NavetteRole    role;
  GListStore    *tables;   /* NavetteTable */
  char          *etag;
  gint64         schema_revision; /* of the last light check; -1: none yet */
  gboolean       loaded;
};

G_DEFINE_FINAL_TYPE (NavetteStore, navette_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_NAME,
  PROP_TITLE,
  PROP_ROLE,
  PROP_LOADED,
  PROP_TABLES,
  N_PROPS
};

enum {
  CREATE,
  UPDATE,
  TABLE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
navette_store_dispose (GObject *object)
{
  NavetteStore *self = (NavetteStore *)object;

  g_clear_object (&self->tables);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_store_parent_class)->dispose (object);
}

static void
navette_store_finalize (GObject *object)
{
  NavetteStore *self = (NavetteStore *)object;


  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->etag, g_free);

  G_OBJECT_CLASS (navette_store_parent_class)->finalize (object);
}

static void
navette_store_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NavetteStore *self = NAVETTE_STORE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_TITLE:
      g_value_set_string (value, navette_store_get_title (self));
      break;
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_TABLES:
      g_value_set_object (value, self->tables);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_store_class_init (NavetteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_store_dispose;
  object_class->finalize = navette_store_finalize;
  object_class->get_property = navette_store_get_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT, flags);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, NAVETTE_TYPE_ROLE, NAVETTE_ROLE_NONE, flags);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE, flags);
  properties[PROP_TABLES] =
    g_param_spec_object ("tables", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CREATE] =
    g_signal_new ("create",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, NAVETTE_TYPE_CHANGE);
  signals[UPDATE] =
    g_signal_new ("update",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, NAVETTE_TYPE_CHANGE);
  signals[TABLE_CHANGED] =
    g_signal_new ("table-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, NAVETTE_TYPE_TABLE, G_TYPE_UINT, G_TYPE_PTR_ARRAY);
}

static void
navette_store_init (NavetteStore *self)
{
  self->tables = g_list_store_new (NAVETTE_TYPE_TABLE);
  self->schema_revision = -1;
}

NavetteStore *
navette_store_new (NavetteClient *client,
                   const char    *name,
                   const char    *title,
                   NavetteRole    role)
{
  NavetteStore *self = g_object_new (NAVETTE_TYPE_STORE, NULL);

  self->client = g_object_ref (client);
  self->name = g_strdup (name);
  self->title = g_strdup (title);
  self->role = role;
  return self;
}

NavetteClient *
navette_store_get_client (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  return self->client;
}

const char *
navette_store_get_name (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  return self->name;
}

const char *
navette_store_get_title (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  return self->title ? self->title : self->name;
}

NavetteRole
navette_store_get_role (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NAVETTE_ROLE_NONE);
  return self->role;
}

gboolean
navette_store_get_loaded (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), FALSE);
  return self->loaded;
}

gboolean
navette_store_can_edit (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), FALSE);
  return self->role == NAVETTE_ROLE_EDITOR;
}

GListModel *
navette_store_get_tables (NavetteStore *self)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  return G_LIST_MODEL (self->tables);
}

NavetteTable *
navette_store_lookup_table (NavetteStore *self,
                            const char   *name)
{
  guint n;

  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->tables));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteTable) table = g_list_model_get_item (G_LIST_MODEL (self->tables), i);

      if (g_strcmp0 (navette_table_get_name (table), name) == 0)
        return table;
    }

  return NULL;
}

void
navette_store_set_title (NavetteStore *self,
                         const char   *title)
{
  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
navette_store_set_role (NavetteStore *self,
                        NavetteRole   role)
{
  if (self->role == role)
    return;
  self->role = role;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
}

const char *
navette_store_get_etag (NavetteStore *self)
{
  return self->etag;
}

gint64
navette_store_get_schema_revision (NavetteStore *self)
{
  return self->schema_revision;
}

void
navette_store_set_schema_revision (NavetteStore *self,
                                   gint64        revision)
{
  self->schema_revision = revision;
}

void
navette_store_set_etag (NavetteStore *self,
                        const char   *etag)
{
  g_free (self->etag);
  self->etag = g_strdup (etag);
}

void
navette_store_emit_table_changed (NavetteStore *self,
                                  NavetteTable *table,
                                  guint         n_by_others,
                                  GPtrArray    *records)
{
  g_signal_emit (self, signals[TABLE_CHANGED], 0, table, n_by_others, records);
}

/* ---- Tables ---- */

NavetteTable *
navette_store_add_cached_table (NavetteStore     *self,
                                NavetteWireTable *schema)
{
  NavetteTable *table = navette_store_lookup_table (self, schema->name);

  if (table != NULL)
    {
      navette_wire_table_free (schema);
      return table;
    }

  table = navette_table_new (self, schema);
  g_list_store_append (self->tables, table);
  g_object_unref (table);
  if (!self->loaded)
    {
      self->loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  return table;
}

static void
load_tables_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteStore *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  JsonNode *tables_node;
  JsonArray *array;
  guint n;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  if (root == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                                     _("The server’s answer could not be understood."));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      !(tables_node = json_object_get_member (json_node_get_object (root), "tables")) ||
      !JSON_NODE_HOLDS_ARRAY (tables_node))
    goto malformed;

  array = json_node_get_array (tables_node);
  n = json_array_get_length (array);
  tables = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      NavetteWireTable *schema;
      NavetteTable *table;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !(schema = navette_wire_table_from_json (json_node_get_object (node), NULL)))
        goto malformed;

      table = navette_store_lookup_table (self, schema->name);
      if (table != NULL)
        {
          navette_table_set_schema (table, schema);
          g_ptr_array_add (tables, g_object_ref (table));
        }
      else
        {
          table = navette_table_new (self, schema);
          g_ptr_array_add (tables, table);
        }
    }

  /* Replace the list only when it differs, keeping the table objects. */
  {
    guint old_n = g_list_model_get_n_items (G_LIST_MODEL (self->tables));
    gboolean same = old_n == tables->len;

    for (guint i = 0; same && i < old_n; i++)
      {
        g_autoptr(NavetteTable) table = g_list_model_get_item (G_LIST_MODEL (self->tables), i);
        same = table == g_ptr_array_index (tables, i);
      }
    if (!same)
      g_list_store_splice (self->tables, 0, old_n, tables->pdata, tables->len);
  }

  if (!self->loaded)
    {
      self->loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }

  g_task_return_boolean (task, TRUE);
  return;

malformed:
  g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                           _("The server’s answer could not be understood."));
}

void
navette_store_load_tables_async (NavetteStore        *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (NAVETTE_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_store_load_tables_async);

  path = g_strdup_printf (NAVETTE_API_PREFIX "/applications/%s/tables", self->name);
  navette_client_request_async (self->client, "GET", path, NULL, NULL, NULL,
                                cancellable, load_tables_cb, g_steal_pointer (&task));
}

gboolean
navette_store_load_tables_finish (NavetteStore  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Actions ---- */

static NavetteChange *
emit_action (NavetteStore  *self,
             guint          signal_id,
             NavetteChange *change)
{
  g_signal_emit (self, signals[signal_id], 0, change);
  return change;
}

NavetteChange *
navette_store_create (NavetteStore *self,
                      NavetteTable *table,
                      const char   *id,
                      JsonObject   *data)
{
  g_autofree char *new_id = NULL;

  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (id == NULL)
    id = new_id = navette_uuid_new ();

  return emit_action (self, CREATE,
                      navette_change_new (NAVETTE_CHANGE_CREATE, self, table, id, data, 0));
}

NavetteChange *
navette_store_update (NavetteStore *self,
                      NavetteTable *table,
                      const char   *record_id,
                      JsonObject   *data)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  return navette_store_update_from (self, table, record_id, data, 0);
}

NavetteChange *
navette_store_update_from (NavetteStore *self,
                           NavetteTable *table,
                           const char   *record_id,
                           JsonObject   *data,
                           gint64        base_version)
{
  NavetteChange *change;

  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  change = navette_change_new (NAVETTE_CHANGE_UPDATE, self, table, record_id, data, 0);
  navette_change_set_base_version (change, MAX (base_version, 0));
  return emit_action (self, UPDATE, change);
}

NavetteChange *
navette_store_archive (NavetteStore *self,
                       NavetteTable *table,
                       const char   *record_id,
                       gboolean      archived)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);

  return emit_action (self, UPDATE,
                      navette_change_new (archived ? NAVETTE_CHANGE_ARCHIVE : NAVETTE_CHANGE_UNARCHIVE,
                                          self, table, record_id, NULL, 0));
}

NavetteChange *
navette_store_revert (NavetteStore *self,
                      NavetteTable *table,
                      const char   *record_id,
                      gint64        version,
                      JsonObject   *version_data)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (record_id != NULL, NULL);
  g_return_val_if_fail (version > 0, NULL);

  return emit_action (self, UPDATE,
                      navette_change_new (NAVETTE_CHANGE_REVERT, self, table, record_id,
                                          version_data, version));
}

/* ---- History ---- */

static void
list_versions_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GListStore) list = NULL;
  GError *error = NULL;

  versions = navette_client_list_versions_finish (NAVETTE_CLIENT (object), result, &error);
  if (versions == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  list = g_list_store_new (NAVETTE_TYPE_RECORD);
  for (guint i = 0; i < versions->len; i++)
    {
      g_autoptr(NavetteRecord) record = navette_record_new_from_wire (g_ptr_array_index (versions, i));
      g_list_store_append (list, record);
    }

  g_task_return_pointer (task, g_steal_pointer (&list), g_object_unref);
}

void
navette_store_list_versions_async (NavetteStore        *self,
                                   NavetteTable        *table,
                                   const char          *record_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAVETTE_IS_STORE (self));
  g_return_if_fail (NAVETTE_IS_TABLE (table));
  g_return_if_fail (record_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_store_list_versions_async);
  navette_client_list_versions_async (self->client, self->name,
                                      navette_table_get_name (table), record_id,
                                      cancellable, list_versions_cb, task);
}

GListModel *
navette_store_list_versions_finish (NavetteStore  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (NAVETTE_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
