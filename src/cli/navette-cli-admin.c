/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-cli-admin.c — `navette-cli admin …`: the administration API
 * (docs/api.md, "Administration") through the engine's
 * NavetteAdminClient, with the session of `navette-cli login`. Every
 * command prints the server's answer with --json, and lines of
 * tab-separated fields otherwise. */
#define G_LOG_DOMAIN "navette-cli"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "navette-admin-client.h"
#include "navette-cli-private.h"

typedef struct
{
  Cli                *cli;
  NavetteAdminClient *admin;
  int                 argc;   /* after the command's words */
  char              **argv;
} Admin;

typedef int (*AdminRun) (Admin *admin);

typedef struct
{
  const char *words;     /* "user add" */
  int         min_args;  /* after the words */
  int         max_args;  /* -1: any */
  AdminRun    run;
} AdminCommand;

/* ---- Calls ---- */

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Waits for @result (set by result_cb) and finishes it. */
static JsonNode *
finish (Admin          *admin,
        GAsyncResult  **result,
        GError        **error)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return navette_admin_client_finish (admin->admin, *result, error);
}

/* What the caller ends with: the answer printed as JSON, or @text. */
static int
done (Admin      *admin,
      JsonNode   *json,
      const char *text)
{
  if (admin->cli->json)
    {
      if (json != NULL)
        cli_print_json_node (json);
      else
        g_print ("{}\n");
    }
  else if (text != NULL)
    g_print ("%s", text);
  return 0;
}

typedef void (*PrintFunc) (JsonObject *object);

/* Finishes a call answering a list: with --json the answer as it came;
 * otherwise @print on each object of its @member array, then the cursor
 * of the next page if there is one. */
static int
finish_list (Admin          *admin,
             GAsyncResult  **result,
             const char     *member,
             PrintFunc       print)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = finish (admin, result, &error);
  JsonObject *object;
  JsonArray *array;

  if (json == NULL)
    return cli_fail (admin->cli, error);
  if (admin->cli->json)
    return done (admin, json, NULL);
  object = json_node_get_object (json);
  array = json_object_get_array_member (object, member);
  for (guint i = 0; i < json_array_get_length (array); i++)
    print (json_array_get_object_element (array, i));
  if (json_object_has_member (object, "next"))
    g_print ("next\t%s\n", json_object_get_string_member (object, "next"));
  return 0;
}

static JsonObject *
member_object (JsonNode   *json,
               const char *member)
{
  return json_object_get_object_member (json_node_get_object (json), member);
}

static const char *
string_or (JsonObject *object,
           const char *member,
           const char *fallback)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

/* NAME=VALUE arguments from @from on: a table of them, or NULL with a
 * usage error when one is not that or not in @allowed. */
static GHashTable *
parse_settings (Admin               *admin,
                int                  from,
                const char * const  *allowed,
                int                 *status)
{
  g_autoptr(GHashTable) settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (int i = from; i < admin->argc; i++)
    {
      const char *arg = admin->argv[i];
      const char *equal = strchr (arg, '=');
      g_autofree char *name = equal != NULL ? g_strndup (arg, equal - arg) : NULL;
      g_autofree char *message = NULL;

      if (name == NULL)
        /* Translators: %s is an argument of the command line */
        message = g_strdup_printf (_("“%s” is not of the form NAME=VALUE."), arg);
      else if (!g_strv_contains (allowed, name))
        /* Translators: %s is the NAME of a NAME=VALUE argument */
        message = g_strdup_printf (_("Unknown setting “%s”."), name);
      if (message != NULL)
        {
          *status = cli_usage_error (admin->cli, message);
          return NULL;
        }
      g_hash_table_replace (settings, g_steal_pointer (&name), g_strdup (equal + 1));
    }
  return g_steal_pointer (&settings);
}

static gboolean
is_yes (const char *text)
{
  return g_ascii_strcasecmp (text, "yes") == 0 || g_ascii_strcasecmp (text, "true") == 0 ||
         g_strcmp0 (text, "1") == 0;
}

/* ---- Users ---- */

static void
print_user (JsonObject *user)
{
  g_print ("%s\t%s\t%s\t%s\n", json_object_get_string_member (user, "username"),
           json_object_get_string_member (user, "display_name"),
           json_object_get_boolean_member (user, "admin") ? "admin" : "-",
           json_object_get_boolean_member (user, "disabled") ? "disabled" : "active");
}

static int
run_users (Admin *admin)
{
  g_autoptr(JsonBuilder) builder = cli_begin_json_list ("users");
  g_autofree char *after = NULL;

  /* every page */
  for (;;)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) json = NULL;
      JsonArray *users;

      navette_admin_client_list_users_async (admin->admin, after, 1000, NULL, result_cb, &result);
      if (!(json = finish (admin, &result, &error)))
        return cli_fail (admin->cli, error);
      users = json_object_get_array_member (json_node_get_object (json), "users");
      for (guint i = 0; i < json_array_get_length (users); i++)
        {
          JsonObject *user = json_array_get_object_element (users, i);

          if (admin->cli->json)
            json_builder_add_value (builder, json_node_copy (json_array_get_element (users, i)));
          else
            print_user (user);
        }
      g_clear_pointer (&after, g_free);
      after = g_strdup (string_or (json_node_get_object (json), "next", NULL));
      if (after == NULL)
        break;
    }
  return cli_end_json_list (admin->cli, builder);
}

/* Finishes a call answering {"user": …, "password"?} and prints it. */
static int
finish_user (Admin         *admin,
             GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = finish (admin, result, &error);
  JsonObject *object;
  const char *password;

  if (json == NULL)
    return cli_fail (admin->cli, error);
  object = json_node_get_object (json);
  password = string_or (object, "password", NULL);
  if (admin->cli->json)
    return done (admin, json, NULL);
  print_user (json_object_get_object_member (object, "user"));
  if (password != NULL)
    /* Translators: a password the server made for a new account */
    g_print (_("Password (shown once): %s\n"), password);
  return 0;
}

static int
run_user_add (Admin *admin)
{
  static const char * const allowed[] = { "display_name", "admin", NULL };
  g_autoptr(GHashTable) settings = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *admin_flag;
  int status = 0;

  if (!(settings = parse_settings (admin, 1, allowed, &status)))
    return status;
  admin_flag = g_hash_table_lookup (settings, "admin");
  /* the password: NAVETTE_NEW_PASSWORD, or one the server makes */
  navette_admin_client_add_user_async (admin->admin, admin->argv[0],
                                       g_hash_table_lookup (settings, "display_name"),
                                       g_getenv ("NAVETTE_NEW_PASSWORD"),
                                       admin_flag != NULL && is_yes (admin_flag),
                                       NULL, result_cb, &result);
  return finish_user (admin, &result);
}

/* PATCH admin/users/USER with one member. */
static int
update_user (Admin      *admin,
             const char *member,
             JsonNode   *value)
{
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;

  json_object_set_member (changes, member, value);
  navette_admin_client_update_user_async (admin->admin, admin->argv[0], changes, NULL, result_cb, &result);
  return finish_user (admin, &result);
}

static JsonNode *
boolean_node (gboolean value)
{
  return json_node_init_boolean (json_node_alloc (), value);
}

static JsonNode *
string_node (const char *value)
{
  return json_node_init_string (json_node_alloc (), value);
}

static int
run_user_passwd (Admin *admin)
{
  /* Translators: %s is a user name */
  g_autofree char *prompt = g_strdup_printf (_("New password for %s: "), admin->argv[0]);
  g_autofree char *password = cli_read_password ("NAVETTE_NEW_PASSWORD", prompt);

  if (password == NULL || password[0] == '\0')
    return cli_usage_error (admin->cli, _("No password given (on standard input, or in NAVETTE_NEW_PASSWORD)."));
  return update_user (admin, "password", string_node (password));
}

static int
run_user_rename (Admin *admin)
{
  return update_user (admin, "display_name", string_node (admin->argv[1]));
}

static int
run_user_disable (Admin *admin)
{
  return update_user (admin, "disabled", boolean_node (TRUE));
}

static int
run_user_enable (Admin *admin)
{
  return update_user (admin, "disabled", boolean_node (FALSE));
}

static int
run_user_admin (Admin *admin)
{
  return update_user (admin, "admin", boolean_node (admin->argc < 2 || is_yes (admin->argv[1])));
}

/* ---- Applications, tables, columns ---- */

static void
print_column (JsonObject *column)
{
  g_autoptr(GString) line = g_string_new (NULL);

  g_string_append_printf (line, "\t%s\t%s\t%s", json_object_get_string_member (column, "name"),
                          json_object_get_string_member (column, "type"),
                          json_object_get_boolean_member (column, "required") ? "required" : "optional");
  if (json_object_has_member (column, "max_length"))
    g_string_append_printf (line, "\tmax_length=%" G_GINT64_FORMAT,
                            json_object_get_int_member (column, "max_length"));
  if (json_object_has_member (column, "choices"))
    {
      JsonArray *choices = json_object_get_array_member (column, "choices");

      g_string_append (line, "\tchoices=");
      for (guint i = 0; i < json_array_get_length (choices); i++)
        g_string_append_printf (line, "%s%s", i > 0 ? "|" : "", json_array_get_string_element (choices, i));
    }
  for (guint i = 0; i < 2; i++)
    {
      const char *bound = i == 0 ? "min" : "max";
      JsonNode *node = json_object_get_member (column, bound);
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      if (node != NULL)
        g_string_append_printf (line, "\t%s=%s", bound,
                                g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
    }
  g_print ("%s\t%s\n", line->str, json_object_get_string_member (column, "title"));
}

static void
print_table (JsonObject *table,
             gboolean    with_columns)
{
  JsonArray *columns = json_object_get_array_member (table, "columns");

  g_print ("%s\t%s\t%s\n", json_object_get_string_member (table, "name"),
           json_object_get_string_member (table, "title"),
           json_object_get_boolean_member (table, "archived") ? "archived" : "-");
  for (guint i = 0; with_columns && i < json_array_get_length (columns); i++)
    print_column (json_array_get_object_element (columns, i));
}

static void
print_app (JsonObject *app)
{
  g_print ("%s\t%s\t%s\t%u\n", json_object_get_string_member (app, "name"),
           json_object_get_string_member (app, "title"),
           json_object_get_boolean_member (app, "archived") ? "archived" : "-",
           json_array_get_length (json_object_get_array_member (app, "tables")));
}

static int
run_apps (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_list_apps_async (admin->admin, NULL, result_cb, &result);
  return finish_list (admin, &result, "applications", print_app);
}

static int
run_tables (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  JsonArray *apps;

  navette_admin_client_list_apps_async (admin->admin, NULL, result_cb, &result);
  if (!(json = finish (admin, &result, &error)))
    return cli_fail (admin->cli, error);
  apps = json_object_get_array_member (json_node_get_object (json), "applications");
  for (guint i = 0; i < json_array_get_length (apps); i++)
    {
      JsonObject *app = json_array_get_object_element (apps, i);
      JsonArray *tables;

      if (!g_str_equal (json_object_get_string_member (app, "name"), admin->argv[0]))
        continue;
      tables = json_object_get_array_member (app, "tables");
      if (admin->cli->json)
        {
          g_autoptr(JsonBuilder) builder = cli_begin_json_list ("tables");

          for (guint t = 0; t < json_array_get_length (tables); t++)
            json_builder_add_value (builder, json_node_copy (json_array_get_element (tables, t)));
          return cli_end_json_list (admin->cli, builder);
        }
      for (guint t = 0; t < json_array_get_length (tables); t++)
        print_table (json_array_get_object_element (tables, t), TRUE);
      return 0;
    }
  g_set_error_literal (&error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND, _("No such application."));
  return cli_fail (admin->cli, error);
}

/* Prints {"application"|"table"|"column": …} of @json. */
static int
done_schema (Admin    *admin,
             JsonNode *json)
{
  JsonObject *object = json_node_get_object (json);

  if (admin->cli->json)
    return done (admin, json, NULL);
  if (json_object_has_member (object, "application"))
    print_app (member_object (json, "application"));
  else if (json_object_has_member (object, "table"))
    print_table (member_object (json, "table"), TRUE);
  else if (json_object_has_member (object, "column"))
    print_column (member_object (json, "column"));
  return 0;
}

static int
finish_schema (Admin         *admin,
               GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = finish (admin, result, &error);

  if (json == NULL)
    return cli_fail (admin->cli, error);
  return done_schema (admin, json);
}

static int
run_app_add (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_add_app_async (admin->admin, admin->argv[0], admin->argc > 1 ? admin->argv[1] : NULL,
                                      NULL, result_cb, &result);
  return finish_schema (admin, &result);
}

static int
update_app (Admin      *admin,
            const char *title,
            int         archived)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_update_app_async (admin->admin, admin->argv[0], title, archived, NULL, result_cb, &result);
  return finish_schema (admin, &result);
}

static int
run_app_title (Admin *admin)
{
  return update_app (admin, admin->argv[1], -1);
}

static int
run_app_archive (Admin *admin)
{
  return update_app (admin, NULL, 1);
}

static int
run_app_unarchive (Admin *admin)
{
  return update_app (admin, NULL, 0);
}

/* A column spec as a usage error. */
static NavetteWireColumn *
column_from_spec (Admin      *admin,
                  const char *spec,
                  int        *status)
{
  g_autoptr(GError) error = NULL;
  NavetteWireColumn *column = navette_wire_column_from_spec (spec, &error);

  if (column == NULL)
    *status = cli_usage_error (admin->cli, error->message);
  return column;
}

static int
run_table_add (Admin *admin)
{
  g_autofree char *title = navette_title_from_name (admin->argv[1]);
  g_autoptr(NavetteWireTable) table = navette_wire_table_new (admin->argv[1], title);
  g_autoptr(GAsyncResult) result = NULL;
  int status = 0;

  for (int i = 2; i < admin->argc; i++)
    {
      NavetteWireColumn *column;

      if (g_str_has_prefix (admin->argv[i], "title="))
        {
          g_free (table->title);
          table->title = g_strdup (admin->argv[i] + strlen ("title="));
          continue;
        }
      if (!(column = column_from_spec (admin, admin->argv[i], &status)))
        return status;
      g_ptr_array_add (table->columns, column);
    }
  navette_admin_client_add_table_async (admin->admin, admin->argv[0], table, NULL, result_cb, &result);
  return finish_schema (admin, &result);
}

static int
update_table (Admin      *admin,
              const char *title,
              int         archived)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_update_table_async (admin->admin, admin->argv[0], admin->argv[1], title, archived,
                                           NULL, result_cb, &result);
  return finish_schema (admin, &result);
}

static int
run_table_title (Admin *admin)
{
  return update_table (admin, admin->argv[2], -1);
}

static int
run_table_archive (Admin *admin)
{
  return update_table (admin, NULL, 1);
}

static int
run_table_unarchive (Admin *admin)
{
  return update_table (admin, NULL, 0);
}

/* @text as a value of @column: a number or boolean for those types, a
 * string otherwise; NULL (with a usage error) when it is not one. */
static JsonNode *
parse_value (Admin                   *admin,
             const NavetteWireColumn *column,
             const char              *text,
             int                     *status)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *problem = NULL;

  if (navette_column_type_is_number (column->type) || column->type == NAVETTE_COLUMN_BOOLEAN)
    node = navette_json_parse_strict (text, strlen (text), NULL);
  else
    node = string_node (text);
  if (node != NULL)
    problem = navette_wire_column_problem (column, node);
  if (node == NULL || problem != NULL)
    {
      /* Translators: the first %s is a value, the second why it is refused */
      g_autofree char *message = g_strdup_printf (_("“%s” %s."), text,
                                                  problem != NULL ? problem : _("is not a value of this column"));

      *status = cli_usage_error (admin->cli, message);
      return NULL;
    }
  return g_steal_pointer (&node);
}

static int
run_column_add (Admin *admin)
{
  g_autoptr(NavetteWireColumn) column = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  int status = 0;

  if (!(column = column_from_spec (admin, admin->argv[2], &status)))
    return status;
  if (admin->argc > 3)
    {
      if (!g_str_has_prefix (admin->argv[3], "default="))
        {
          g_autofree char *message = g_strdup_printf (_("Unknown setting “%s”."), admin->argv[3]);
          return cli_usage_error (admin->cli, message);
        }
      if (!(value = parse_value (admin, column, admin->argv[3] + strlen ("default="), &status)))
        return status;
    }
  navette_admin_client_add_column_async (admin->admin, admin->argv[0], admin->argv[1], column, value,
                                         NULL, result_cb, &result);
  return finish_schema (admin, &result);
}

/* "none" → null; else @make's value of @text. */
static JsonNode *
number_or_none (const char *text)
{
  if (g_strcmp0 (text, "none") == 0)
    return json_node_new (JSON_NODE_NULL);
  return navette_json_parse_strict (text, strlen (text), NULL);
}

static int
run_column_set (Admin *admin)
{
  static const char * const allowed[] = { "title", "required", "max_length", "choices", "min", "max", NULL };
  g_autoptr(GHashTable) settings = NULL;
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  GHashTableIter iter;
  gpointer key, value;
  int status = 0;

  if (!(settings = parse_settings (admin, 3, allowed, &status)))
    return status;
  g_hash_table_iter_init (&iter, settings);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      JsonNode *node = NULL;

      if (g_str_equal (key, "title"))
        node = string_node (value);
      else if (g_str_equal (key, "required"))
        node = boolean_node (is_yes (value));
      else if (g_str_equal (key, "choices"))
        {
          g_auto(GStrv) choices = g_strsplit (value, "|", -1);
          JsonArray *array = json_array_new ();

          for (guint i = 0; choices[i] != NULL; i++)
            json_array_add_string_element (array, choices[i]);
          node = json_node_init_array (json_node_alloc (), array);
          json_array_unref (array);
        }
      else
        node = number_or_none (value);
      if (node == NULL)
        {
          /* Translators: the first %s is a NAME=VALUE argument's value, the second its NAME */
          g_autofree char *message = g_strdup_printf (_("“%s” is not a number (nor “none”) for %s."),
                                                      (const char *) value, (const char *) key);
          return cli_usage_error (admin->cli, message);
        }
      json_object_set_member (changes, key, node);
    }
  navette_admin_client_update_column_async (admin->admin, admin->argv[0], admin->argv[1], admin->argv[2],
                                            changes, NULL, result_cb, &result);
  return finish_schema (admin, &result);
}

/* ---- Grants ---- */

static void
print_grant (JsonObject *grant)
{
  g_print ("%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\n", json_object_get_string_member (grant, "app"),
           json_object_get_string_member (grant, "user"), string_or (grant, "role", "-"),
           json_object_get_int_member (grant, "version"), string_or (grant, "updated_at", ""),
           string_or (grant, "updated_by", ""));
}

static int
run_grants (Admin *admin)
{
  static const char * const allowed[] = { "app", "user", NULL };
  g_autoptr(GHashTable) settings = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  int status = 0;

  if (!(settings = parse_settings (admin, 0, allowed, &status)))
    return status;
  navette_admin_client_list_grants_async (admin->admin, g_hash_table_lookup (settings, "app"),
                                          g_hash_table_lookup (settings, "user"), NULL, result_cb, &result);
  return finish_list (admin, &result, "grants", print_grant);
}

static int
finish_grant (Admin         *admin,
              GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = finish (admin, result, &error);

  if (json == NULL && error != NULL)
    return cli_fail (admin->cli, error);
  if (admin->cli->json || json == NULL)
    return done (admin, json, NULL);
  print_grant (member_object (json, "grant"));
  return 0;
}

static int
run_grant_set (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_set_grant_async (admin->admin, admin->argv[0], admin->argv[1], admin->argv[2],
                                        NULL, result_cb, &result);
  return finish_grant (admin, &result);
}

static int
run_grant_revoke (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_set_grant_async (admin->admin, admin->argv[0], admin->argv[1], NULL,
                                        NULL, result_cb, &result);
  return finish_grant (admin, &result);
}

static void
print_grant_version (JsonObject *version)
{
  g_print ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", json_object_get_int_member (version, "version"),
           string_or (version, "role", "-"),
           json_object_get_boolean_member (version, "obsolete") ? "obsolete" : "current",
           string_or (version, "updated_at", ""), string_or (version, "updated_by", ""));
}

static int
run_grant_history (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;

  navette_admin_client_grant_versions_async (admin->admin, admin->argv[0], admin->argv[1],
                                             NULL, result_cb, &result);
  return finish_list (admin, &result, "versions", print_grant_version);
}

static int
run_grant_revert (Admin *admin)
{
  g_autoptr(GAsyncResult) result = NULL;
  guint64 version;

  if (!g_ascii_string_to_unsigned (admin->argv[2], 10, 1, G_MAXINT64, &version, NULL))
    {
      /* Translators: %s is what was given as a version number */
      g_autofree char *message = g_strdup_printf (_("“%s” is not a version number."), admin->argv[2]);
      return cli_usage_error (admin->cli, message);
    }
  navette_admin_client_revert_grant_async (admin->admin, admin->argv[0], admin->argv[1], (gint64) version,
                                           NULL, result_cb, &result);
  return finish_grant (admin, &result);
}

/* ---- Activity ---- */

static void
print_entry (JsonObject *entry)
{
  g_print ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", json_object_get_int_member (entry, "id"),
           string_or (entry, "at", ""), string_or (entry, "user", ""), string_or (entry, "action", ""),
           string_or (entry, "app", "-"), string_or (entry, "table", "-"), string_or (entry, "record", "-"),
           string_or (entry, "detail", ""));
}

static int
run_activity (Admin *admin)
{
  static const char * const allowed[] = {
    "app", "table", "record", "user", "action", "from", "to", "before", "limit", NULL
  };
  g_autoptr(GHashTable) settings = NULL;
  g_autoptr(GPtrArray) filters = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  guint64 limit = 0;
  int status = 0;

  if (!(settings = parse_settings (admin, 0, allowed, &status)))
    return status;
  for (guint i = 0; i < 7; i++)
    {
      const char *value = g_hash_table_lookup (settings, allowed[i]);

      if (value == NULL)
        continue;
      g_ptr_array_add (filters, (gpointer) allowed[i]);
      g_ptr_array_add (filters, (gpointer) value);
    }
  g_ptr_array_add (filters, NULL);
  if (g_hash_table_contains (settings, "limit") &&
      !g_ascii_string_to_unsigned (g_hash_table_lookup (settings, "limit"), 10, 1, 1000, &limit, NULL))
    return cli_usage_error (admin->cli, _("limit= takes a number from 1 to 1000."));
  navette_admin_client_activity_async (admin->admin, (const char * const *) filters->pdata,
                                       g_hash_table_lookup (settings, "before"), (guint) limit,
                                       NULL, result_cb, &result);
  return finish_list (admin, &result, "entries", print_entry);
}

/* ---- Dispatch ---- */

static const AdminCommand admin_commands[] = {
  { "users", 0, 0, run_users },
  { "user add", 1, -1, run_user_add },
  { "user passwd", 1, 1, run_user_passwd },
  { "user rename", 2, 2, run_user_rename },
  { "user disable", 1, 1, run_user_disable },
  { "user enable", 1, 1, run_user_enable },
  { "user admin", 1, 2, run_user_admin },
  { "apps", 0, 0, run_apps },
  { "app add", 1, 2, run_app_add },
  { "app title", 2, 2, run_app_title },
  { "app archive", 1, 1, run_app_archive },
  { "app unarchive", 1, 1, run_app_unarchive },
  { "tables", 1, 1, run_tables },
  { "table add", 3, -1, run_table_add },
  { "table title", 3, 3, run_table_title },
  { "table archive", 2, 2, run_table_archive },
  { "table unarchive", 2, 2, run_table_unarchive },
  { "column add", 3, 4, run_column_add },
  { "column set", 4, -1, run_column_set },
  { "grants", 0, 2, run_grants },
  { "grant set", 3, 3, run_grant_set },
  { "grant revoke", 2, 2, run_grant_revoke },
  { "grant history", 2, 2, run_grant_history },
  { "grant revert", 3, 3, run_grant_revert },
  { "activity", 0, -1, run_activity },
};

static const char *
admin_usage (void)
{
  return _("Usage: navette-cli admin COMMAND …\n"
           "  users                                   list the users\n"
           "  user add USER [display_name=N] [admin=yes]\n"
           "                                          add a user (password: NAVETTE_NEW_PASSWORD,\n"
           "                                          or one the server makes, shown once)\n"
           "  user passwd USER                        set a new password (ends the user's sessions)\n"
           "  user rename USER \"DISPLAY NAME\"         change the display name\n"
           "  user disable USER | user enable USER    refuse (or allow again) the user's sign-in\n"
           "  user admin USER [yes|no]                make (or unmake) an administrator\n"
           "  apps                                    list every application, archived ones too\n"
           "  app add APP [TITLE] | app title APP TITLE | app archive APP | app unarchive APP\n"
           "  tables APP                              list the tables and their columns\n"
           "  table add APP TABLE SPEC… [title=T]     add a table; SPEC is\n"
           "                                          name:type[:required][:MAXLEN][:min=N][:max=N][:choices=A|B]\n"
           "  table title APP TABLE TITLE | table archive APP TABLE | table unarchive APP TABLE\n"
           "  column add APP TABLE SPEC [default=V]   add a column (a default fills the records there are)\n"
           "  column set APP TABLE COLUMN NAME=VALUE… change title, required, max_length, choices, min, max\n"
           "  grants [app=APP] [user=USER]            list the roles\n"
           "  grant set APP USER reader|editor | grant revoke APP USER\n"
           "  grant history APP USER | grant revert APP USER VERSION\n"
           "  activity [app=…] [table=…] [record=…] [user=…] [action=…] [from=…] [to=…] [before=…] [limit=N]");
}

int
cli_run_admin (Cli   *cli,
               int    argc,
               char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteAdminClient) client = NULL;
  NavetteEngine *engine;

  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    {
      const AdminCommand *command = &admin_commands[i];
      g_auto(GStrv) words = g_strsplit (command->words, " ", -1);
      int n_words = (int) g_strv_length (words);
      Admin admin = { cli, NULL, argc - n_words, argv + n_words };
      gboolean match = argc >= n_words;

      for (int w = 0; match && w < n_words; w++)
        match = g_str_equal (words[w], argv[w]);
      if (!match)
        continue;
      if (admin.argc < command->min_args || (command->max_args >= 0 && admin.argc > command->max_args))
        return cli_usage_error (cli, admin_usage ());
      if (!(engine = cli_open_engine (cli, &error)))
        return cli_fail (cli, error);
      client = navette_admin_client_new (navette_engine_get_client (engine));
      admin.admin = client;
      return command->run (&admin);
    }
  return cli_usage_error (cli, admin_usage ());
}
