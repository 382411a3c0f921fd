/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-cache.c — reading what the disk cache kept of a session (the
 * tables' records and schemas, the list of applications), for
 * navette_engine_open_cache_async(). The tables write their own files
 * (navette-table.c); the engine writes the index. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <string.h>

#include "navette-engine-private.h"

static void
cached_table_free (NavetteCachedTable *table)
{
  g_free (table->name);
  g_clear_pointer (&table->schema, navette_wire_table_free);
  g_clear_pointer (&table->records, g_ptr_array_unref);
  g_free (table);
}

void
navette_cached_app_free (NavetteCachedApp *app)
{
  g_free (app->name);
  g_free (app->title);
  g_clear_pointer (&app->tables, g_ptr_array_unref);
  g_free (app);
}

/* Reads a JSON file that must record @server and @user. */
static JsonObject *
read_owned_json (const char *path,
                 const char *server,
                 const char *user)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, NULL) ||
      !(root = navette_json_parse_strict (text, len, NULL)) ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "server", NULL), server) != 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "user", NULL), user) != 0)
    {
      g_debug ("Cache %s belongs to another server or user", path);
      return NULL;
    }
  return json_object_ref (object);
}

static NavetteCachedTable *
read_cached_table (const char *app_dir,
                   const char *name,
                   const char *server,
                   const char *user)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (app_dir, file, NULL);
  g_autofree char *schema_path = g_strconcat (path, ".schema", NULL);
  g_autoptr(JsonObject) schema_file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GString) prefix = g_string_new ("{\"server\":");
  g_autoptr(GError) error = NULL;
  JsonNode *schema_node;
  NavetteCachedTable *table;
  gsize len;

  schema_file = read_owned_json (schema_path, server, user);
  if (schema_file == NULL ||
      !(schema_node = json_object_get_member (schema_file, "schema")) ||
      !JSON_NODE_HOLDS_OBJECT (schema_node) ||
      !g_file_get_contents (path, &text, &len, NULL))
    return NULL;

  /* The records file starts with its owner, exactly as written. */
  navette_json_append_string (prefix, server);
  g_string_append (prefix, ",\"user\":");
  navette_json_append_string (prefix, user);
  g_string_append_c (prefix, ',');
  if (len < prefix->len || memcmp (text, prefix->str, prefix->len) != 0)
    {
      g_debug ("Cache %s belongs to another server or user", path);
      return NULL;
    }

  table = g_new0 (NavetteCachedTable, 1);
  table->name = g_strdup (name);
  table->schema = navette_wire_table_from_json (json_node_get_object (schema_node), NULL);
  if (table->schema == NULL || g_strcmp0 (table->schema->name, name) != 0 ||
      !(table->records = navette_packed_records_decode (text, len, &table->revision, &error)))
    {
      g_debug ("Cache %s is not usable: %s", path, error ? error->message : "schema");
      cached_table_free (table);
      return NULL;
    }
  return table;
}

GPtrArray *
navette_cache_read (const char *dir,
                    const char *server,
                    const char *user)
{
  g_autofree char *index_path = g_build_filename (dir, "index.json", NULL);
  g_autoptr(JsonObject) index = read_owned_json (index_path, server, user);
  g_autoptr(GPtrArray) result = NULL;
  JsonNode *apps_node;
  JsonArray *apps;

  if (index == NULL ||
      !(apps_node = json_object_get_member (index, "applications")) ||
      !JSON_NODE_HOLDS_ARRAY (apps_node))
    return NULL;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_cached_app_free);
  apps = json_node_get_array (apps_node);
  for (guint i = 0; i < json_array_get_length (apps); i++)
    {
      JsonNode *node = json_array_get_element (apps, i);
      g_autofree char *app_dir = NULL;
      g_autoptr(GDir) app_files = NULL;
      const char *name, *entry;
      NavetteCachedApp *app;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      name = json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL);
      if (name == NULL || !navette_name_is_valid (name))
        continue;

      app = g_new0 (NavetteCachedApp, 1);
      app->name = g_strdup (name);
      app->title = g_strdup (json_object_get_string_member_with_default (json_node_get_object (node),
                                                                        "title", name));
      app->role = navette_role_from_string (json_object_get_string_member_with_default (json_node_get_object (node),
                                                                                        "role", NULL));
      app->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) cached_table_free);
      g_ptr_array_add (result, app);

      app_dir = g_build_filename (dir, name, NULL);
      app_files = g_dir_open (app_dir, 0, NULL);
      while (app_files != NULL && (entry = g_dir_read_name (app_files)) != NULL)
        {
          g_autofree char *table_name = NULL;
          NavetteCachedTable *table;

          if (!g_str_has_suffix (entry, ".json"))
            continue;
          table_name = g_strndup (entry, strlen (entry) - 5);
          if (!navette_name_is_valid (table_name))
            continue;
          table = read_cached_table (app_dir, table_name, server, user);
          if (table != NULL)
            g_ptr_array_add (app->tables, table);
        }
    }

  return g_steal_pointer (&result);
}
