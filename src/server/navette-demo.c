/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-demo.c — the demo content of `navette-server demo`. */
#define G_LOG_DOMAIN "navette-demo"

#include "config.h"

#include "navette-demo.h"
#include "navette-password.h"

typedef struct
{
  const char *name;
  const char *title;
  NavetteColumnType type;
  gboolean required;
  gint64 max_length;
} DemoColumn;

static const DemoColumn product_columns[] = {
  { "name", "Name", NAVETTE_COLUMN_TEXT, TRUE, 0 },
  { "price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0 },
  { "stock", "Stock", NAVETTE_COLUMN_INTEGER, FALSE, 0 },
  { "published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0 },
};

static const DemoColumn article_columns[] = {
  { "title", "Title", NAVETTE_COLUMN_TEXT, TRUE, 200 },
  { "body", "Body", NAVETTE_COLUMN_LONG_TEXT, FALSE, 0 },
  { "published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0 },
  { "publish_date", "Publish date", NAVETTE_COLUMN_DATE, FALSE, 0 },
};

typedef struct
{
  const char *id;
  const char *name;
  double price;
  gint64 stock;
  gboolean published;
} DemoProduct;

/* Fixed ids ("Navette" in the first bytes), so `demo` never duplicates. */
static const DemoProduct products[] = {
  { "4e617665-7474-4500-8000-000000000101", "Café en grains — Éthiopie Yirgacheffe (250 g)", 12.9, 42, TRUE },
  { "4e617665-7474-4500-8000-000000000102", "Théière en fonte, 0,8 L", 39.5, 7, TRUE },
  { "4e617665-7474-4500-8000-000000000103", "Moulin à café manuel", 54.0, 0, FALSE },
  { "4e617665-7474-4500-8000-000000000104", "Thé vert Sencha bio (100 g)", 8.4, 120, TRUE },
  { "4e617665-7474-4500-8000-000000000105", "Tasses en grès, lot de 4", 28.0, 15, TRUE },
  { "4e617665-7474-4500-8000-000000000106", "Filtres papier n° 4 (×100)", 3.2, 300, FALSE },
};

typedef struct
{
  const char *id;
  const char *title;
  const char *body;
  gboolean published;
  const char *publish_date;
} DemoArticle;

static const DemoArticle articles[] = {
  { "4e617665-7474-4500-8000-000000000201",
    "Bienvenue sur le blog de Navette",
    "Ce blog est rédigé avec Navette : chaque modification est une nouvelle "
    "version, rien n'est jamais écrasé, et vos collègues voient vos changements "
    "quelques secondes plus tard.",
    TRUE, "2026-09-01" },
  { "4e617665-7474-4500-8000-000000000202",
    "Comment bien conserver son café",
    "À l'abri de l'air, de la lumière et de l'humidité : une boîte hermétique "
    "opaque, loin de la cuisinière. Jamais au réfrigérateur.",
    TRUE, "2026-10-12" },
  { "4e617665-7474-4500-8000-000000000203",
    "Les coulisses de notre torréfaction",
    "Brouillon : photos de l'atelier à ajouter, interview de Léa à relire.",
    FALSE, "2026-12-05" },
  { "4e617665-7474-4500-8000-000000000204",
    "Five things we learned shipping an offline-first editor",
    "Optimistic writes, stable ids chosen by the client, idempotency keys, "
    "cheap change detection, and an honest conflict story.",
    TRUE, "2026-11-03" },
};

typedef struct
{
  const char *username;
  const char *display_name;
  gboolean admin;
} DemoUser;

static const DemoUser users[] = {
  { "admin", "Administrator", TRUE },
  { "alice", "Alice", FALSE },
  { "bob", "Bob", FALSE },
};

typedef struct
{
  const char *username;
  const char *app;
  const char *role;
} DemoGrant;

static const DemoGrant grants[] = {
  { "alice", "catalogue", "editor" },
  { "alice", "blog", "editor" },
  { "bob", "catalogue", "reader" },
};

/* Whether @items (structs with their name at @name_offset) has @name. */
static gboolean
has_name (GPtrArray  *items,
          gsize       name_offset,
          const char *name)
{
  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (G_STRUCT_MEMBER (const char *, g_ptr_array_index (items, i), name_offset), name) == 0)
      return TRUE;
  return FALSE;
}

/* After a look-up that found nothing: TRUE when it failed only because
 * there is no such thing (to be created), else FALSE with its error. */
static gboolean
is_missing (GError  **local_error,
            GError  **error)
{
  if (g_error_matches (*local_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (local_error));
  return FALSE;
}

static gboolean
ensure_app (NavetteDb   *db,
            const char  *actor,
            const char  *name,
            const char  *title,
            GError     **error)
{
  g_autoptr(GPtrArray) apps = navette_db_app_list (db, error);

  if (apps == NULL)
    return FALSE;
  if (has_name (apps, G_STRUCT_OFFSET (NavetteDbApp, name), name))
    return TRUE;
  return navette_db_app_add (db, actor, name, title, error);
}

static gboolean
ensure_table (NavetteDb         *db,
              const char        *actor,
              const char        *app,
              const char        *name,
              const char        *title,
              const DemoColumn  *columns,
              guint              n_columns,
              GError           **error)
{
  g_autoptr(GPtrArray) tables = navette_db_table_list (db, app, error);
  g_autoptr(NavetteWireTable) table = NULL;

  if (tables == NULL)
    return FALSE;
  if (has_name (tables, G_STRUCT_OFFSET (NavetteWireTable, name), name))
    return TRUE;

  table = navette_wire_table_new (name, title);
  for (guint i = 0; i < n_columns; i++)
    g_ptr_array_add (table->columns,
                     navette_wire_column_new (columns[i].name, columns[i].title, columns[i].type,
                                              columns[i].required, columns[i].max_length));
  return navette_db_table_add (db, actor, app, table, error);
}

/* Creates the record unless a record with that id exists (edited or not). */
static gboolean
ensure_record (NavetteDb   *db,
               const char  *actor,
               const char  *app,
               const char  *table,
               const char  *id,
               JsonObject  *data,
               GError     **error)
{
  g_autoptr(NavetteWireRecord) existing = NULL;
  g_autoptr(NavetteDbWriteResult) result = NULL;
  g_autoptr(GError) local_error = NULL;

  existing = navette_db_record_get (db, app, table, id, &local_error);
  if (existing != NULL)
    return TRUE;
  if (!is_missing (&local_error, error))
    return FALSE;

  result = navette_db_record_create (db, app, table, id, data, actor, NULL, error);
  return result != NULL;
}

/* @hash: the demo password's hash, computed on first need and shared by
 * the demo users (they share the password anyway; one argon2id run instead
 * of three keeps `demo`, run before every server test, quick). */
static gboolean
ensure_user (NavetteDb       *db,
             const char      *actor,
             const DemoUser  *user,
             char           **hash,
             GError         **error)
{
  g_autoptr(NavetteDbUser) existing = NULL;
  g_autoptr(GError) local_error = NULL;

  existing = navette_db_user_get (db, user->username, &local_error);
  if (existing != NULL)
    return TRUE;
  if (!is_missing (&local_error, error))
    return FALSE;

  if (*hash == NULL)
    *hash = navette_password_hash (NAVETTE_DEMO_PASSWORD, error);
  if (*hash == NULL)
    return FALSE;
  return navette_db_user_add (db, actor, user->username, user->display_name, *hash,
                              user->admin, error);
}

static gboolean
ensure_grant (NavetteDb        *db,
              const char       *actor,
              const DemoGrant  *grant,
              GError          **error)
{
  g_autoptr(GHashTable) roles = navette_db_roles_for_user (db, grant->username, error);

  if (roles == NULL)
    return FALSE;
  if (g_hash_table_contains (roles, grant->app))
    return TRUE;
  return navette_db_grant (db, actor, grant->username, grant->app, grant->role, error);
}

gboolean
navette_demo_create (NavetteDb   *db,
                     const char  *actor,
                     GError     **error)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (NAVETTE_IS_DB (db), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!navette_db_migrate (db, error))
    return FALSE;

  if (!ensure_app (db, actor, "catalogue", "Catalogue", error) ||
      !ensure_table (db, actor, "catalogue", "products", "Products",
                     product_columns, G_N_ELEMENTS (product_columns), error) ||
      !ensure_app (db, actor, "blog", "Blog", error) ||
      !ensure_table (db, actor, "blog", "articles", "Articles",
                     article_columns, G_N_ELEMENTS (article_columns), error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (products); i++)
    {
      g_autoptr(JsonObject) data = json_object_new ();

      json_object_set_string_member (data, "name", products[i].name);
      json_object_set_double_member (data, "price", products[i].price);
      json_object_set_int_member (data, "stock", products[i].stock);
      json_object_set_boolean_member (data, "published", products[i].published);
      if (!ensure_record (db, "admin", "catalogue", "products", products[i].id, data, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (articles); i++)
    {
      g_autoptr(JsonObject) data = json_object_new ();

      json_object_set_string_member (data, "title", articles[i].title);
      json_object_set_string_member (data, "body", articles[i].body);
      json_object_set_boolean_member (data, "published", articles[i].published);
      json_object_set_string_member (data, "publish_date", articles[i].publish_date);
      if (!ensure_record (db, "alice", "blog", "articles", articles[i].id, data, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      if (!ensure_user (db, actor, &users[i], &hash, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (grants); i++)
    {
      if (!ensure_grant (db, actor, &grants[i], error))
        return FALSE;
    }

  return TRUE;
}

static JsonNode *
generated_value (const NavetteWireColumn *column,
                 guint                    n)
{
  JsonNode *node = json_node_alloc ();

  switch (column->type)
    {
    case NAVETTE_COLUMN_INTEGER:
      return json_node_init_int (node, (gint64) (n * 7 % 500));
    case NAVETTE_COLUMN_REAL:
      return json_node_init_double (node, 1.0 + (n % 10000) / 100.0);
    case NAVETTE_COLUMN_BOOLEAN:
      return json_node_init_boolean (node, n % 3 != 0);
    case NAVETTE_COLUMN_DATE:
      {
        g_autofree char *date = g_strdup_printf ("2026-%02u-%02u", 1 + n % 12, 1 + n % 28);
        return json_node_init_string (node, date);
      }
    case NAVETTE_COLUMN_CHOICE:
      if (column->choices == NULL || column->choices[0] == NULL)
        return json_node_init_null (node);
      return json_node_init_string (node, column->choices[n % g_strv_length (column->choices)]);
    case NAVETTE_COLUMN_URL:
      {
        g_autofree char *url = g_strdup_printf ("https://example.org/%u", n);
        return json_node_init_string (node, url);
      }
    case NAVETTE_COLUMN_EMAIL:
      {
        g_autofree char *email = g_strdup_printf ("person%u@example.org", n);
        return json_node_init_string (node, email);
      }
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    default:
      {
        g_autofree char *text = NULL;

        if (g_strcmp0 (column->name, "name") == 0)
          text = g_strdup_printf ("Produit n° %u", n);
        else
          text = g_strdup_printf ("%s %u", column->title, n);
        if (column->max_length > 0 && g_utf8_strlen (text, -1) > column->max_length)
          {
            char *cut = g_utf8_substring (text, 0, column->max_length);
            g_free (text);
            text = cut;
          }
        return json_node_init_string (node, text);
      }
    }
}

#define ROWS_PER_TRANSACTION 10000

gboolean
navette_demo_add_rows (NavetteDb   *db,
                       const char  *app,
                       const char  *table,
                       guint        n,
                       GError     **error)
{
  g_autoptr(GPtrArray) tables = NULL;
  const NavetteWireTable *schema = NULL;

  g_return_val_if_fail (NAVETTE_IS_DB (db), FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  tables = navette_db_table_list (db, app, error);
  if (tables == NULL)
    return FALSE;
  for (guint i = 0; i < tables->len; i++)
    {
      const NavetteWireTable *candidate = g_ptr_array_index (tables, i);
      if (g_strcmp0 (candidate->name, table) == 0)
        schema = candidate;
    }
  if (schema == NULL)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_NOT_FOUND,
                           "No such table.");
      return FALSE;
    }

  for (guint done = 0; done < n;)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      guint count = MIN (n - done, ROWS_PER_TRANSACTION);

      for (guint i = 0; i < count; i++)
        {
          JsonObject *data = json_object_new ();

          for (guint c = 0; c < schema->columns->len; c++)
            {
              const NavetteWireColumn *column = g_ptr_array_index (schema->columns, c);
              json_object_set_member (data, column->name, generated_value (column, done + i + 1));
            }
          g_ptr_array_add (batch, data);
        }

      if (!navette_db_record_create_many (db, app, table, batch, "admin", error))
        return FALSE;
      done += count;
    }

  return TRUE;
}
