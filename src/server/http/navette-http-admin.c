/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-admin.c — the administration API (/api/v1/admin/…, for
 * administrators only: the route table gives ACCESS_ADMIN, and the
 * dispatcher answers 403 to anyone else) and the activity
 * (GET /api/v1/activity: administrators, and editors for the
 * applications they edit). See docs/api.md, "Administration".
 *
 * Every write takes an Idempotency-Key: the first answer is stored with
 * the key (navette_db_admin_key_put) once the change is committed, and
 * a replay of the same request gets it again without writing; the same
 * key with another request is 409. The rules (names, titles, columns,
 * grants, the rows a constraint would break) and the audit entries are
 * the storage layer's, written once for both backends. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>

#include "navette-http-private.h"
#include "navette-password.h"

#define ADMIN_DEFAULT_LIMIT 100
#define ADMIN_MAX_LIMIT     1000

/* ------------------------------------------------------------------ */
/* Idempotent writes                                                   */

typedef struct
{
  char     *hash;  /* of the request, when it has a key */
  gboolean  done;  /* answered from a stored answer, or refused */
} AdminWrite;

static void
admin_write_clear (AdminWrite *write)
{
  g_free (write->hash);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AdminWrite, admin_write_clear)

/* FALSE when the request is answered already: an invalid key, a replay
 * (the stored answer), a key used for another request (409). */
static gboolean
admin_write_begin (Request    *req,
                   AdminWrite *write)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  NavetteDbIdempotency idem;
  guint status = 0;

  if (!idempotency (req, &idem, &write->hash))
    return FALSE;
  if (write->hash == NULL)
    return TRUE;
  if (navette_db_admin_key_get (req->self->db, req->user->username, idem.key, write->hash,
                                &status, &body, &error))
    {
      g_free (req->response);
      req->status = status;
      req->response = g_steal_pointer (&body);
      req->response_len = req->response != NULL ? strlen (req->response) : 0;
      return FALSE;
    }
  if (error != NULL)
    {
      respond_gerror (req, error);
      return FALSE;
    }
  return TRUE;
}

/* Stores the answer of a successful write under its key; @stored: the
 * body to store instead of the answer's (NULL: the answer's). */
static void
admin_write_end (Request    *req,
                 AdminWrite *write,
                 const char *stored)
{
  g_autoptr(GError) error = NULL;

  if (write->hash == NULL || req->status < 200 || req->status >= 300)
    return;
  if (!navette_db_admin_key_put (req->self->db, req->user->username, req->idempotency_key,
                                 write->hash, req->status, stored != NULL ? stored : req->response,
                                 &error))
    g_warning ("The idempotency key of %s %s was not kept: %s", req->method->method, req->path,
               error->message);
}

/* ------------------------------------------------------------------ */
/* Shared checks and objects                                           */

static gboolean
check_app_name (Request *req)
{
  if (navette_name_is_valid (req->app))
    return TRUE;
  respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such application");
  return FALSE;
}

static gboolean
check_table_name (Request *req)
{
  if (!check_app_name (req))
    return FALSE;
  if (navette_name_is_valid (req->table))
    return TRUE;
  respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such table");
  return FALSE;
}

/* A parameter of the query; NULL when absent or empty. */
static const char *
query_text (Request    *req,
            const char *name)
{
  const char *text = req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;

  return text != NULL && text[0] != '\0' ? text : NULL;
}

static void
add_user (JsonBuilder         *builder,
          const NavetteDbUser *user)
{
  json_builder_begin_object (builder);
  navette_wire_user_add_members (builder, user->username, user->display_name, user->admin);
  json_builder_set_member_name (builder, "disabled");
  json_builder_add_boolean_value (builder, user->disabled);
  json_builder_set_member_name (builder, "created_at");
  add_time_or_null (builder, user->created_at);
  json_builder_end_object (builder);
}

static void
add_table (JsonBuilder            *builder,
           const NavetteWireTable *table,
           gboolean                archived)
{
  json_builder_begin_object (builder);
  navette_wire_table_add_members (table, builder);
  json_builder_set_member_name (builder, "archived");
  json_builder_add_boolean_value (builder, archived);
  json_builder_end_object (builder);
}

static void
add_app (JsonBuilder              *builder,
         const NavetteDbAppSchema *app)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, app->name);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, app->title);
  json_builder_set_member_name (builder, "archived");
  json_builder_add_boolean_value (builder, app->archived);
  json_builder_set_member_name (builder, "tables");
  json_builder_begin_array (builder);
  for (guint i = 0; i < app->tables->len; i++)
    add_table (builder, g_ptr_array_index (app->tables, i),
               g_array_index (app->tables_archived, gboolean, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
add_grant (JsonBuilder          *builder,
           const NavetteDbGrant *grant,
           gboolean              version_only)
{
  json_builder_begin_object (builder);
  if (!version_only)
    {
      json_builder_set_member_name (builder, "user");
      json_builder_add_string_value (builder, grant->user);
      json_builder_set_member_name (builder, "app");
      json_builder_add_string_value (builder, grant->app);
    }
  add_string_or_null (builder, "role", grant->role);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, grant->version);
  if (version_only)
    {
      json_builder_set_member_name (builder, "obsolete");
      json_builder_add_boolean_value (builder, grant->obsolete);
    }
  json_builder_set_member_name (builder, "updated_at");
  add_time_or_null (builder, grant->updated_at);
  add_string_or_null (builder, "updated_by", grant->updated_by);
  json_builder_end_object (builder);
}

/* Answers {"user": …} for @username as she is now. */
static void
respond_user (Request             *req,
              guint                status,
              const NavetteDbUser *user,
              const char          *password)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user");
  add_user (builder, user);
  add_string_unless_null (builder, "password", password);
  json_builder_end_object (builder);
  respond_builder (req, status, builder);
}

/* Answers {"application": …}, {"table": …} or {"column": …} (by
 * @table and @column: NULL for the upper levels) as they are now. */
static void
respond_schema (Request    *req,
                guint       status,
                const char *table,
                const char *column)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) apps = navette_db_app_schemas (req->self->db, &error);
  g_autoptr(JsonBuilder) builder = NULL;

  if (apps == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  for (guint i = 0; i < apps->len; i++)
    {
      const NavetteDbAppSchema *app = g_ptr_array_index (apps, i);

      if (!g_str_equal (app->name, req->app))
        continue;
      if (table == NULL)
        {
          json_builder_set_member_name (builder, "application");
          add_app (builder, app);
          json_builder_end_object (builder);
          respond_builder (req, status, builder);
          return;
        }
      for (guint t = 0; t < app->tables->len; t++)
        {
          const NavetteWireTable *schema = g_ptr_array_index (app->tables, t);
          const NavetteWireColumn *found;

          if (!g_str_equal (schema->name, table))
            continue;
          if (column == NULL)
            {
              json_builder_set_member_name (builder, "table");
              add_table (builder, schema, g_array_index (app->tables_archived, gboolean, t));
              json_builder_end_object (builder);
              respond_builder (req, status, builder);
              return;
            }
          found = navette_wire_table_lookup_column (schema, column);
          if (found != NULL)
            {
              json_builder_set_member_name (builder, "column");
              navette_wire_column_to_json (found, builder);
              json_builder_end_object (builder);
              respond_builder (req, status, builder);
              return;
            }
        }
    }
  /* changed by someone else between the write and this read */
  respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "It no longer exists");
}

/* Answers a schema write: @error unless @done, else 200 or 201 with
 * what it wrote as it is now (respond_schema()), kept under the key. */
static void
respond_schema_write (Request      *req,
                      AdminWrite   *write,
                      gboolean      done,
                      const GError *error,
                      guint         status,
                      const char   *table,
                      const char   *column)
{
  if (!done)
    {
      respond_gerror (req, error);
      return;
    }
  respond_schema (req, status, table, column);
  admin_write_end (req, write, NULL);
}

/* ------------------------------------------------------------------ */
/* Users                                                               */

void
handle_admin_users (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *next = NULL;
  gint64 limit = ADMIN_DEFAULT_LIMIT;

  if (!parse_query_int (req, "limit", 1, ADMIN_MAX_LIMIT, &limit))
    return;
  if (limit < 1)
    return (void) wrong_type (req, "limit", "an integer between 1 and 1000");
  users = navette_db_user_page (req->self->db, query_text (req, "after"), (guint) limit, &next, &error);
  builder = begin_list (req, "users", users, error);
  if (builder == NULL)
    return;
  for (guint i = 0; i < users->len; i++)
    add_user (builder, g_ptr_array_index (users, i));
  respond_list (req, builder, next);
}

/* FALSE (answered) unless @password is long enough. */
static gboolean
check_password_length (Request    *req,
                       const char *password)
{
  g_autofree char *message = NULL;

  if (g_utf8_strlen (password, -1) >= NAVETTE_PASSWORD_MIN_LENGTH)
    return TRUE;
  message = g_strdup_printf ("A password needs at least %d characters", NAVETTE_PASSWORD_MIN_LENGTH);
  respond_error_reason (req, NAVETTE_API_ERROR_BAD_REQUEST, message, NULL,
                        NAVETTE_API_REASON_PASSWORD_TOO_SHORT, -1);
  return FALSE;
}

void
handle_admin_user_add (Request *req)
{
  static const char * const allowed[] = { "username", "display_name", "password", "admin", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) user = NULL;
  g_autofree char *generated = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *stored = NULL;
  const char *username;
  const char *display_name = NULL;
  const char *password = NULL;
  gboolean admin = FALSE;

  if (!check_fields (req, allowed))
    return;
  if (!member_has_type (object, "username", G_TYPE_STRING))
    return (void) wrong_type (req, "username", "a string");
  username = json_object_get_string_member (object, "username");
  if (!optional_string (req, object, "display_name", &display_name) ||
      !optional_string (req, object, "password", &password))
    return;
  if (password != NULL && !check_password_length (req, password))
    return;
  if (!optional_boolean (req, object, "admin", &admin) || !admin_write_begin (req, &write))
    return;

  if (password == NULL)
    password = generated = navette_password_generate ();
  hash = navette_password_hash (password, &error);
  if (hash == NULL ||
      !navette_db_user_add (req->self->db, req->user->username, username, display_name, hash, admin,
                            &error) ||
      !(user = navette_db_user_get (req->self->db, username, &error)))
    {
      respond_gerror (req, error);
      return;
    }
  /* A replay does not show a generated password again: it is not kept. */
  respond_user (req, SOUP_STATUS_CREATED, user, NULL);
  stored = g_steal_pointer (&req->response);
  respond_user (req, SOUP_STATUS_CREATED, user, generated);
  admin_write_end (req, &write, stored);
}

void
handle_admin_user_update (Request *req)
{
  static const char * const allowed[] = { "display_name", "password", "admin", "disabled", NULL };
  JsonObject *object = json_node_get_object (req->json);
  NavetteDbUserChange change = NAVETTE_DB_USER_CHANGE_INIT;
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbUser) user = NULL;
  g_autofree char *hash = NULL;
  const char *password = NULL;

  if (!check_fields (req, allowed))
    return;
  if (json_object_get_size (object) == 0)
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST,
                     "Give “display_name”, “password”, “admin” or “disabled”");
      return;
    }
  if (!optional_string (req, object, "display_name", &change.display_name) ||
      !optional_string (req, object, "password", &password))
    return;
  if (password != NULL && !check_password_length (req, password))
    return;
  if (!optional_boolean (req, object, "admin", &change.admin) ||
      !optional_boolean (req, object, "disabled", &change.disabled) ||
      !admin_write_begin (req, &write))
    return;

  if (password != NULL)
    {
      hash = navette_password_hash (password, &error);
      if (hash == NULL)
        {
          respond_gerror (req, error);
          return;
        }
      change.password_hash = hash;
    }
  user = navette_db_user_update (req->self->db, req->user->username, req->username, &change, &error);
  if (user == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  respond_user (req, SOUP_STATUS_OK, user, NULL);
  admin_write_end (req, &write, NULL);
}

/* ------------------------------------------------------------------ */
/* Applications, tables, columns                                       */

void
handle_admin_apps (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) apps = navette_db_app_schemas (req->self->db, &error);
  g_autoptr(JsonBuilder) builder = begin_list (req, "applications", apps, error);

  if (builder == NULL)
    return;
  for (guint i = 0; i < apps->len; i++)
    add_app (builder, g_ptr_array_index (apps, i));
  respond_list (req, builder, NULL);
}

void
handle_admin_app_add (Request *req)
{
  static const char * const allowed[] = { "name", "title", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  const char *title = NULL;
  gboolean done;

  if (!check_fields (req, allowed))
    return;
  if (!member_has_type (object, "name", G_TYPE_STRING))
    return (void) wrong_type (req, "name", "a string");
  if (!optional_string (req, object, "title", &title) || !admin_write_begin (req, &write))
    return;
  g_free (req->app);
  req->app = g_strdup (json_object_get_string_member (object, "name"));
  done = navette_db_app_add (req->self->db, req->user->username, req->app, title, &error);
  respond_schema_write (req, &write, done, error, SOUP_STATUS_CREATED, NULL, NULL);
}

/* {"title"?, "archived"?}: FALSE (answered) when the body is not that. */
static gboolean
read_title_archived (Request     *req,
                     const char **title,
                     int         *archived)
{
  static const char * const allowed[] = { "title", "archived", NULL };
  JsonObject *object = json_node_get_object (req->json);

  *title = NULL;
  *archived = -1;
  if (!check_fields (req, allowed))
    return FALSE;
  if (json_object_get_size (object) == 0)
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, "Give “title”, “archived” or both");
      return FALSE;
    }
  return optional_string (req, object, "title", title) &&
         optional_boolean (req, object, "archived", archived);
}

void
handle_admin_app_update (Request *req)
{
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  const char *title;
  int archived;
  gboolean done;

  if (!check_app_name (req) || !read_title_archived (req, &title, &archived) ||
      !admin_write_begin (req, &write))
    return;
  done = navette_db_app_update (req->self->db, req->user->username, req->app, title, archived, &error);
  respond_schema_write (req, &write, done, error, SOUP_STATUS_OK, NULL, NULL);
}

static const char * const column_fields[] = {
  "name", "title", "type", "required", "max_length", "min", "max", "choices", NULL
};

/* FALSE (answered) when @column (a column object) has a member that is
 * neither in column_fields nor @extra. */
static gboolean
check_column_fields (Request    *req,
                     JsonObject *column,
                     const char *extra)
{
  g_autoptr(GList) members = json_object_get_members (column);

  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *message = NULL;

      if (g_strv_contains (column_fields, l->data) || g_strcmp0 (extra, l->data) == 0)
        continue;
      message = g_strdup_printf ("“%s” is not a field of a column", (const char *) l->data);
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST, message);
      return FALSE;
    }
  return TRUE;
}

void
handle_admin_table_add (Request *req)
{
  static const char * const allowed[] = { "name", "title", "columns", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = NULL;
  const char *title = NULL;
  JsonNode *columns;
  gboolean done;

  if (!check_app_name (req) || !check_fields (req, allowed))
    return;
  if (!member_has_type (object, "name", G_TYPE_STRING))
    return (void) wrong_type (req, "name", "a string");
  /* the title is read with the rest by navette_wire_table_from_json() */
  if (!optional_string (req, object, "title", &title))
    return;
  columns = json_object_get_member (object, "columns");
  if (columns == NULL || !JSON_NODE_HOLDS_ARRAY (columns))
    return (void) wrong_type (req, "columns", "an array of columns");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (columns)); i++)
    {
      JsonNode *column = json_array_get_element (json_node_get_array (columns), i);

      if (!JSON_NODE_HOLDS_OBJECT (column))
        return (void) wrong_type (req, "columns", "an array of columns");
      if (!check_column_fields (req, json_node_get_object (column), NULL))
        return;
    }
  table = navette_wire_table_from_json (object, &error);
  if (table == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  if (!admin_write_begin (req, &write))
    return;
  done = navette_db_table_add (req->self->db, req->user->username, req->app, table, &error);
  respond_schema_write (req, &write, done, error, SOUP_STATUS_CREATED, table->name, NULL);
}

void
handle_admin_table_update (Request *req)
{
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  const char *title;
  int archived;
  gboolean done;

  if (!check_table_name (req) || !read_title_archived (req, &title, &archived) ||
      !admin_write_begin (req, &write))
    return;
  done = navette_db_table_update (req->self->db, req->user->username, req->app, req->table, title,
                                  archived, &error);
  respond_schema_write (req, &write, done, error, SOUP_STATUS_OK, req->table, NULL);
}

void
handle_admin_column_add (Request *req)
{
  JsonObject *object = json_node_get_object (req->json);
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireColumn) column = NULL;
  JsonNode *default_value;
  gboolean done;

  if (!check_table_name (req) || !check_column_fields (req, object, "default"))
    return;
  column = navette_wire_column_from_json (object, &error);
  if (column == NULL || !navette_wire_column_check (column, &error))
    {
      respond_gerror (req, error);
      return;
    }
  default_value = json_object_get_member (object, "default");
  if (default_value != NULL && !JSON_NODE_HOLDS_NULL (default_value))
    {
      g_autofree char *problem = navette_wire_column_problem (column, default_value);

      if (problem != NULL)
        {
          g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

          g_hash_table_insert (fields, (gpointer) "default", g_steal_pointer (&problem));
          respond_error_reason (req, NAVETTE_API_ERROR_VALIDATION_FAILED,
                                "The default value does not fit the column", fields,
                                NAVETTE_API_REASON_DEFAULT_MISFIT, -1);
          return;
        }
    }
  if (!admin_write_begin (req, &write))
    return;
  done = navette_db_column_add_with_default (req->self->db, req->user->username, req->app, req->table,
                                             column, default_value, &error);
  respond_schema_write (req, &write, done, error, SOUP_STATUS_CREATED, req->table, column->name);
}

/* A bound of a column change: a number, or null (none). */
static gboolean
read_bound (Request    *req,
            JsonObject *object,
            const char *name,
            gboolean   *set,
            gboolean   *has,
            double     *value)
{
  JsonNode *node = json_object_get_member (object, name);

  *set = node != NULL;
  *has = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (member_has_type (object, name, G_TYPE_INT64))
    *value = (double) json_node_get_int (node);
  else if (member_has_type (object, name, G_TYPE_DOUBLE))
    *value = json_node_get_double (node);
  else
    return wrong_type (req, name, "a number or null");
  *has = TRUE;
  return TRUE;
}

void
handle_admin_column_update (Request *req)
{
  static const char * const allowed[] = { "title", "required", "max_length", "choices", "min", "max", NULL };
  JsonObject *object = json_node_get_object (req->json);
  NavetteDbColumnChange change = { .required = -1 };
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) choices = NULL;
  JsonNode *node;

  if (!check_table_name (req))
    return;
  if (!navette_name_is_valid (req->column))
    {
      respond_error (req, NAVETTE_API_ERROR_NOT_FOUND, "No such column");
      return;
    }
  if (!check_fields (req, allowed))
    return;
  if (json_object_get_size (object) == 0)
    {
      respond_error (req, NAVETTE_API_ERROR_BAD_REQUEST,
                     "Give “title”, “required”, “max_length”, “choices”, “min” or “max”");
      return;
    }
  if (!optional_string (req, object, "title", &change.title) ||
      !optional_boolean (req, object, "required", &change.required))
    return;
  node = json_object_get_member (object, "max_length");
  if (node != NULL)
    {
      change.set_max_length = TRUE;
      if (!JSON_NODE_HOLDS_NULL (node))
        {
          if (!member_has_type (object, "max_length", G_TYPE_INT64) || json_node_get_int (node) < 0)
            return (void) wrong_type (req, "max_length", "a positive integer or null");
          change.max_length = json_node_get_int (node);
        }
    }
  node = json_object_get_member (object, "choices");
  if (node != NULL)
    {
      g_autoptr(GStrvBuilder) strv = g_strv_builder_new ();
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return (void) wrong_type (req, "choices", "an array of strings");
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            return (void) wrong_type (req, "choices", "an array of strings");
          g_strv_builder_add (strv, json_node_get_string (element));
        }
      choices = g_strv_builder_end (strv);
      change.set_choices = TRUE;
      change.choices = choices;
    }
  if (!read_bound (req, object, "min", &change.set_min, &change.has_min, &change.min) ||
      !read_bound (req, object, "max", &change.set_max, &change.has_max, &change.max))
    return;
  if (!admin_write_begin (req, &write))
    return;
  if (!navette_db_column_update (req->self->db, req->user->username, req->app, req->table, req->column,
                                 &change, &error))
    {
      /* rows that would break the new constraint: said of the column too */
      if (g_error_matches (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_VALIDATION_FAILED))
        {
          g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

          g_hash_table_insert (fields, req->column, g_strdup (error->message));
          respond_error_reason (req, NAVETTE_API_ERROR_VALIDATION_FAILED, error->message, fields,
                                navette_api_error_get_reason (error), navette_api_error_get_count (error));
          return;
        }
      respond_gerror (req, error);
      return;
    }
  respond_schema (req, SOUP_STATUS_OK, req->table, req->column);
  admin_write_end (req, &write, NULL);
}

/* ------------------------------------------------------------------ */
/* Grants                                                              */

/* Answers {"@member": [grants…]}, or @error when they could not be read. */
static void
respond_grants (Request      *req,
                const char   *member,
                GPtrArray    *grants,
                const GError *error,
                gboolean      versions)
{
  g_autoptr(JsonBuilder) builder = begin_list (req, member, grants, error);

  if (builder == NULL)
    return;
  for (guint i = 0; i < grants->len; i++)
    add_grant (builder, g_ptr_array_index (grants, i), versions);
  respond_list (req, builder, NULL);
}

void
handle_admin_grants (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) grants = navette_db_grant_list (req->self->db, query_text (req, "app"),
                                                       query_text (req, "user"), &error);

  respond_grants (req, "grants", grants, error, FALSE);
}

/* Answers {"grant": …}: the current version of the grant of the path. */
static void
respond_grant (Request              *req,
               const NavetteDbGrant *grant)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "grant");
  add_grant (builder, grant, FALSE);
  json_builder_end_object (builder);
  respond_builder (req, SOUP_STATUS_OK, builder);
}

static gboolean
check_grant_path (Request *req)
{
  return check_app_name (req);
}

void
handle_admin_grant_set (Request *req)
{
  static const char * const allowed[] = { "role", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) versions = NULL;

  if (!check_grant_path (req) || !check_fields (req, allowed))
    return;
  if (!member_has_type (object, "role", G_TYPE_STRING))
    return (void) wrong_type (req, "role", "“reader” or “editor”");
  if (!admin_write_begin (req, &write))
    return;
  if (!navette_db_grant (req->self->db, req->user->username, req->username, req->app,
                         json_object_get_string_member (object, "role"), &error) ||
      !(versions = navette_db_grant_versions (req->self->db, req->app, req->username, &error)))
    {
      respond_gerror (req, error);
      return;
    }
  respond_grant (req, g_ptr_array_index (versions, 0));
  admin_write_end (req, &write, NULL);
}

void
handle_admin_grant_revoke (Request *req)
{
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;

  if (!check_grant_path (req) || !admin_write_begin (req, &write))
    return;
  if (!navette_db_revoke (req->self->db, req->user->username, req->username, req->app, &error))
    {
      respond_gerror (req, error);
      return;
    }
  req->status = SOUP_STATUS_NO_CONTENT;
  admin_write_end (req, &write, NULL);
}

void
handle_admin_grant_versions (Request *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) versions = NULL;

  if (!check_grant_path (req))
    return;
  versions = navette_db_grant_versions (req->self->db, req->app, req->username, &error);
  respond_grants (req, "versions", versions, error, TRUE);
}

void
handle_admin_grant_revert (Request *req)
{
  static const char * const allowed[] = { "version", NULL };
  JsonObject *object = json_node_get_object (req->json);
  g_auto(AdminWrite) write = { NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDbGrant) grant = NULL;

  if (!check_grant_path (req) || !check_fields (req, allowed))
    return;
  if (!member_has_type (object, "version", G_TYPE_INT64) ||
      json_object_get_int_member (object, "version") < 1)
    return (void) wrong_type (req, "version", "a positive integer");
  if (!admin_write_begin (req, &write))
    return;
  grant = navette_db_grant_revert (req->self->db, req->user->username, req->app, req->username,
                                   json_object_get_int_member (object, "version"), &error);
  if (grant == NULL)
    {
      respond_gerror (req, error);
      return;
    }
  respond_grant (req, grant);
  admin_write_end (req, &write, NULL);
}

/* ------------------------------------------------------------------ */
/* Activity                                                            */

/* A time filter of the query: RFC 3339; FALSE (answered) when malformed. */
static gboolean
parse_query_time (Request    *req,
                  const char *name,
                  gint64     *value)
{
  const char *text = query_text (req, name);

  *value = 0;
  if (text == NULL)
    return TRUE;
  if (navette_time_parse (text, value) && *value > 0)
    return TRUE;
  return wrong_type (req, name, "a time (RFC 3339, as “2026-11-28T19:31:04.123456Z”)");
}

void
handle_activity (Request *req)
{
  NavetteDbActivityFilter filter = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) edited = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *next = NULL;
  gint64 limit = ADMIN_DEFAULT_LIMIT;

  if (!parse_query_int (req, "limit", 1, ADMIN_MAX_LIMIT, &limit) ||
      !parse_query_int (req, "before", 1, G_MAXINT64, &filter.before) ||
      !parse_query_time (req, "from", &filter.from) ||
      !parse_query_time (req, "to", &filter.to))
    return;
  if (limit < 1)
    return (void) wrong_type (req, "limit", "an integer between 1 and 1000");
  filter.app = query_text (req, "app");
  filter.table = query_text (req, "table");
  filter.record = query_text (req, "record");
  filter.user = query_text (req, "user");
  filter.action = query_text (req, "action");

  if (!req->user->admin)
    {
      GHashTableIter iter;
      gpointer app, role;

      edited = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, req->user->roles);
      while (g_hash_table_iter_next (&iter, &app, &role))
        if (g_str_equal (role, "editor"))
          g_ptr_array_add (edited, app);
      if (edited->len == 0)
        {
          respond_error (req, NAVETTE_API_ERROR_FORBIDDEN,
                         "Only administrators and editors may read the activity");
          return;
        }
      if (filter.app != NULL && !g_ptr_array_find_with_equal_func (edited, filter.app, g_str_equal, NULL))
        {
          respond_error (req, NAVETTE_API_ERROR_FORBIDDEN,
                         "Only editors of this application may read its activity");
          return;
        }
      g_ptr_array_add (edited, NULL);
      filter.apps = (const char * const *) edited->pdata;
    }

  entries = navette_db_activity (req->self->db, &filter, (guint) limit, &next, &error);
  builder = begin_list (req, "entries", entries, error);
  if (builder == NULL)
    return;
  for (guint i = 0; i < entries->len; i++)
    add_audit_entry (builder, g_ptr_array_index (entries, i));
  respond_list (req, builder, next);
}
