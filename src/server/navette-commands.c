/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-commands.c — the command line of navette-server: `serve` and the
 * administration commands. */
#define G_LOG_DOMAIN "navette-commands"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "navette-commands.h"
#include "navette-db.h"
#include "navette-db-sqlite.h"
#include "navette-demo.h"
#include "navette-password.h"
#include "navette-serve.h"

#define EXIT_USAGE 2
#define MIN_PASSWORD_LENGTH 8

static const char *command_name = "navette-server";

static int
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("%s: %s\nTry “%s --help”.\n", command_name, message, command_name);
  return EXIT_USAGE;
}

static int
failure (const GError *error)
{
  g_printerr ("%s: %s\n", command_name, error->message);
  return EXIT_FAILURE;
}

/* What an administration command takes and says about itself. */
typedef struct
{
  const char *name;         /* "user add" */
  const char *parameters;   /* "USER", or NULL */
  const char *summary;
  const char *description;  /* or NULL */
  guint       n_args;       /* the number of arguments, exactly */
  const char *missing;      /* the usage error with fewer */
  const char *too_many;     /* with more; NULL: as @missing (n_args > 0), or
                             * “unexpected argument” (n_args == 0) */
} CommandSpec;

/* Parses the options of one command: --db into *@db_path, then @entries
 * (or NULL), and checks the number of arguments left. Returns -1 to go
 * on, or an exit status. */
static int
parse_options (const CommandSpec   *spec,
               char               **db_path,
               GOptionEntry        *entries,
               int                 *argc,
               char              ***argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  static char *full_name = NULL;
  GOptionEntry db_entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, db_path,
      "SQLite database file, or a postgresql:// URL", "PATH_OR_URL" },
    G_OPTION_ENTRY_NULL
  };
  guint n_args;

  g_clear_pointer (&full_name, g_free);
  full_name = g_strdup_printf ("navette-server %s", spec->name);
  command_name = full_name;
  g_set_prgname (full_name);

  context = g_option_context_new (spec->parameters);
  g_option_context_set_summary (context, spec->summary);
  if (spec->description != NULL)
    g_option_context_set_description (context, spec->description);
  g_option_context_add_main_entries (context, db_entries, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, argc, argv, &error))
    return usage_error ("%s", error->message);

  n_args = (guint) *argc - 1;
  if (n_args < spec->n_args)
    return usage_error ("%s", spec->missing);
  if (n_args > spec->n_args)
    {
      if (spec->too_many != NULL)
        return usage_error ("%s", spec->too_many);
      if (spec->n_args > 0)
        return usage_error ("%s", spec->missing);
      return usage_error ("unexpected argument “%s”.", (*argv)[1]);
    }

  return -1;
}

/* Opens the database named by --db and migrates it. */
static int
open_db (const char  *path_or_url,
         NavetteDb  **out)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;

  if (path_or_url == NULL || *path_or_url == '\0')
    return usage_error ("--db is required.");

  db = navette_db_open (path_or_url, &error);
  if (db == NULL || !navette_db_migrate (db, &error))
    {
      /* Name the file (never a URL: it may hold a password). */
      if (strstr (path_or_url, "://") == NULL)
        g_printerr ("%s: %s: %s\n", command_name, path_or_url, error->message);
      else
        g_printerr ("%s: %s\n", command_name, error->message);
      return EXIT_FAILURE;
    }

  *out = g_steal_pointer (&db);
  return EXIT_SUCCESS;
}

/* "publish_date" → "Publish date". */
static char *
title_from_name (const char *name)
{
  char *title = g_strdup (name);

  for (char *p = title; *p != '\0'; p++)
    {
      if (*p == '_')
        *p = ' ';
    }
  title[0] = g_ascii_toupper (title[0]);
  return title;
}

/* ---- passwords ---- */

static char *
read_line (FILE *stream)
{
  g_autoptr(GString) line = g_string_new (NULL);
  int c;

  while ((c = fgetc (stream)) != EOF && c != '\n')
    g_string_append_c (line, (char) c);
  if (c == EOF && line->len == 0)
    return NULL;
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static char *
prompt_password (const char *prompt)
{
  struct termios saved, silent;
  FILE *tty;
  char *password;
  gboolean restore;

  tty = fopen ("/dev/tty", "r+");
  if (tty == NULL)
    return NULL;

  fputs (prompt, tty);
  fflush (tty);
  restore = tcgetattr (fileno (tty), &saved) == 0;
  if (restore)
    {
      silent = saved;
      silent.c_lflag &= ~(tcflag_t) ECHO;
      silent.c_lflag |= ECHONL;
      tcsetattr (fileno (tty), TCSAFLUSH, &silent);
    }
  password = read_line (tty);
  if (restore)
    tcsetattr (fileno (tty), TCSAFLUSH, &saved);
  fclose (tty);

  return password;
}

/* Returns the new password, or NULL after printing why (*status set). */
static char *
get_new_password (gboolean  from_stdin,
                  int      *status)
{
  g_autofree char *password = NULL;
  const char *env;

  if (from_stdin)
    password = read_line (stdin);
  else if ((env = g_getenv ("NAVETTE_PASSWORD")) != NULL)
    password = g_strdup (env);
  else if (isatty (STDIN_FILENO))
    {
      g_autofree char *again = NULL;

      password = prompt_password ("New password: ");
      if (password != NULL)
        again = prompt_password ("The same password again: ");
      if (password != NULL && g_strcmp0 (password, again) != 0)
        {
          g_printerr ("%s: the two passwords differ.\n", command_name);
          *status = EXIT_FAILURE;
          return NULL;
        }
    }
  else
    {
      *status = usage_error ("no password: give it on standard input with --password-stdin, "
                             "or in the NAVETTE_PASSWORD environment variable.");
      return NULL;
    }

  if (password == NULL || !g_utf8_validate (password, -1, NULL) ||
      g_utf8_strlen (password, -1) < MIN_PASSWORD_LENGTH)
    {
      g_printerr ("%s: a password needs at least %d characters (valid UTF-8).\n",
                  command_name, MIN_PASSWORD_LENGTH);
      *status = EXIT_FAILURE;
      return NULL;
    }

  return g_steal_pointer (&password);
}

/* ---- init, demo ---- */

static int
command_init (int    argc,
              char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autofree char *db_path = NULL;
  static const CommandSpec spec = {
    .name = "init",
    .summary = "Creates the database, or migrates it to the current schema.",
  };
  int status;

  status = parse_options (&spec, &db_path, NULL, &argc, &argv);
  if (status >= 0)
    return status;

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (NAVETTE_IS_DB_SQLITE (db))
    g_print ("Database ready (schema version %" G_GINT64_FORMAT ").\n",
             navette_db_sqlite_get_schema_version (NAVETTE_DB_SQLITE (db), NULL));
  else
    g_print ("Database ready.\n");
  return EXIT_SUCCESS;
}

static int
command_demo (int    argc,
              char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  int rows = 0;
  GOptionEntry entries[] = {
    { "rows", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &rows,
      "Also add N generated rows to catalogue/products (benchmarks)", "N" },
    G_OPTION_ENTRY_NULL
  };
  static const CommandSpec spec = {
    .name = "demo",
    .summary = "Creates the schema if needed and the demo content.",
    .description = "Applications “catalogue” (table “products”) and “blog” (table "
                   "“articles”) with a few rows each; users “admin” (administrator), "
                   "“alice” (editor of both) and “bob” (reader of catalogue), each "
                   "with the password “" NAVETTE_DEMO_PASSWORD "”.\n"
                   "Running it again adds only what is missing.",
  };
  int status;

  status = parse_options (&spec, &db_path, entries, &argc, &argv);
  if (status >= 0)
    return status;
  if (rows < 0)
    return usage_error ("--rows must be positive.");

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (!navette_demo_create (db, NAVETTE_COMMANDS_ACTOR, &error))
    return failure (error);
  if (rows > 0 &&
      !navette_demo_add_rows (db, "catalogue", "products", (guint) rows, &error))
    return failure (error);

  g_print ("Demo content ready: applications catalogue and blog; users admin, alice and bob "
           "(password “%s”).\n", NAVETTE_DEMO_PASSWORD);
  return EXIT_SUCCESS;
}

/* ---- users ---- */

static int
command_user_add (int    argc,
                  char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *password = NULL;
  g_autofree char *hash = NULL;
  gboolean admin = FALSE;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &display_name,
      "The name people see (default: the user name)", "NAME" },
    { "admin", 0, 0, G_OPTION_ARG_NONE, &admin,
      "Make the user an administrator (editor of every application)", NULL },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      "Read the password from the first line of standard input", NULL },
    G_OPTION_ENTRY_NULL
  };
  static const CommandSpec spec = {
    .name = "user add",
    .parameters = "USER",
    .summary = "Adds a user.",
    .description = "The password is read from standard input with --password-stdin, "
                   "else from the NAVETTE_PASSWORD environment variable, else asked "
                   "for on the terminal. At least 8 characters.",
    .n_args = 1,
    .missing = "the user name is missing.",
    .too_many = "too many arguments.",
  };
  int status;

  status = parse_options (&spec, &db_path, entries, &argc, &argv);
  if (status >= 0)
    return status;

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  password = get_new_password (password_stdin, &status);
  if (password == NULL)
    return status;
  hash = navette_password_hash (password, &error);
  if (hash == NULL)
    return failure (error);

  if (!navette_db_user_add (db, NAVETTE_COMMANDS_ACTOR, argv[1], display_name, hash, admin,
                            &error))
    return failure (error);

  g_print ("Added user “%s”%s.\n", argv[1], admin ? " (administrator)" : "");
  return EXIT_SUCCESS;
}

static int
command_user_passwd (int    argc,
                     char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(NavetteDbUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *password = NULL;
  g_autofree char *hash = NULL;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      "Read the password from the first line of standard input", NULL },
    G_OPTION_ENTRY_NULL
  };
  static const CommandSpec spec = {
    .name = "user passwd",
    .parameters = "USER",
    .summary = "Sets a user's password.",
    .description = "Ends the user's open sessions. The password is read as for "
                   "“user add”.",
    .n_args = 1,
    .missing = "the user name is missing.",
    .too_many = "too many arguments.",
  };
  int status;

  status = parse_options (&spec, &db_path, entries, &argc, &argv);
  if (status >= 0)
    return status;

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  /* Say "no such user" before asking for a password. */
  user = navette_db_user_get (db, argv[1], &error);
  if (user == NULL)
    return failure (error);

  password = get_new_password (password_stdin, &status);
  if (password == NULL)
    return status;
  hash = navette_password_hash (password, &error);
  if (hash == NULL)
    return failure (error);

  if (!navette_db_user_set_password (db, NAVETTE_COMMANDS_ACTOR, argv[1], hash, &error))
    return failure (error);

  g_print ("Changed the password of “%s”.\n", argv[1]);
  return EXIT_SUCCESS;
}

static int
command_user_list (int    argc,
                   char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *db_path = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    G_OPTION_ENTRY_NULL
  };
  static const CommandSpec spec = {
    .name = "user list",
    .summary = "Lists the users and their roles.",
  };
  int status;

  status = parse_options (&spec, &db_path, entries, &argc, &argv);
  if (status >= 0)
    return status;

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  users = navette_db_user_list (db, &error);
  if (users == NULL)
    return failure (error);

  if (json)
    {
      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "users");
      json_builder_begin_array (builder);
    }
  else
    g_print ("%-20s %-28s %-6s %s\n", "USER", "DISPLAY NAME", "ADMIN", "ROLES");

  for (guint i = 0; i < users->len; i++)
    {
      NavetteDbUser *user = g_ptr_array_index (users, i);
      g_autoptr(GHashTable) roles = NULL;
      g_autoptr(GList) apps = NULL;

      roles = navette_db_roles_for_user (db, user->username, &error);
      if (roles == NULL)
        return failure (error);
      apps = g_list_sort (g_hash_table_get_keys (roles), (GCompareFunc) g_strcmp0);

      if (json)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, user->username);
          json_builder_set_member_name (builder, "display_name");
          json_builder_add_string_value (builder, user->display_name);
          json_builder_set_member_name (builder, "admin");
          json_builder_add_boolean_value (builder, user->admin);
          json_builder_set_member_name (builder, "roles");
          json_builder_begin_object (builder);
          for (GList *l = apps; l != NULL; l = l->next)
            {
              json_builder_set_member_name (builder, l->data);
              json_builder_add_string_value (builder, g_hash_table_lookup (roles, l->data));
            }
          json_builder_end_object (builder);
          json_builder_end_object (builder);
        }
      else
        {
          g_autoptr(GString) text = g_string_new (NULL);

          for (GList *l = apps; l != NULL; l = l->next)
            g_string_append_printf (text, "%s%s:%s", l != apps ? ", " : "",
                                    (const char *) l->data,
                                    (const char *) g_hash_table_lookup (roles, l->data));
          g_print ("%-20s %-28s %-6s %s\n", user->username, user->display_name,
                   user->admin ? "yes" : "no", text->str);
        }
    }

  if (json)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      /* not json-glib 1.6's generator: it writes invalid JSON for some numbers */
      text = navette_json_to_string (root, NULL);
      g_print ("%s\n", text);
    }

  return EXIT_SUCCESS;
}

/* ---- roles ---- */

static int
command_grant (int    argc,
               char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  static const CommandSpec spec = {
    .name = "grant",
    .parameters = "USER reader|editor APP",
    .summary = "Gives a user a role in an application (replacing the one they had).",
    .description = "Grants are versioned: every grant and revocation stays in the history.",
    .n_args = 3,
    .missing = "expected USER, a role (reader or editor) and APP.",
  };
  int status;

  status = parse_options (&spec, &db_path, NULL, &argc, &argv);
  if (status >= 0)
    return status;
  if (g_strcmp0 (argv[2], "reader") != 0 && g_strcmp0 (argv[2], "editor") != 0)
    return usage_error ("“%s” is not a role: use “reader” or “editor”.", argv[2]);

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (!navette_db_grant (db, NAVETTE_COMMANDS_ACTOR, argv[1], argv[3], argv[2], &error))
    return failure (error);

  g_print ("“%s” is now %s of “%s”.\n", argv[1], argv[2], argv[3]);
  return EXIT_SUCCESS;
}

static int
command_revoke (int    argc,
                char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  static const CommandSpec spec = {
    .name = "revoke",
    .parameters = "USER APP",
    .summary = "Removes a user's role in an application.",
    .n_args = 2,
    .missing = "expected USER and APP.",
  };
  int status;

  status = parse_options (&spec, &db_path, NULL, &argc, &argv);
  if (status >= 0)
    return status;

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (!navette_db_revoke (db, NAVETTE_COMMANDS_ACTOR, argv[1], argv[2], &error))
    return failure (error);

  g_print ("“%s” has no role in “%s” any more.\n", argv[1], argv[2]);
  return EXIT_SUCCESS;
}

/* ---- applications, tables, columns ---- */

static int
command_app_add (int    argc,
                 char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *title = NULL;
  GOptionEntry entries[] = {
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, "The title people see", "TITLE" },
    G_OPTION_ENTRY_NULL
  };
  static const CommandSpec spec = {
    .name = "app add",
    .parameters = "APP",
    .summary = "Adds an application.",
    .description = "APP: a lowercase letter, then up to 62 lowercase letters, digits or “_”.",
    .n_args = 1,
    .missing = "the application name is missing.",
    .too_many = "too many arguments.",
  };
  int status;

  status = parse_options (&spec, &db_path, entries, &argc, &argv);
  if (status >= 0)
    return status;
  if (!navette_name_is_valid (argv[1]))
    return usage_error ("“%s” is not a valid application name.", argv[1]);

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (title == NULL)
    title = title_from_name (argv[1]);
  if (!navette_db_app_add (db, NAVETTE_COMMANDS_ACTOR, argv[1], title, &error))
    return failure (error);

  g_print ("Added application “%s”.\n", argv[1]);
  return EXIT_SUCCESS;
}

/* "name:type[:required][:MAXLEN]" → a column, or NULL after printing why. */
static NavetteWireColumn *
parse_column_spec (const char *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, ":", -1);
  NavetteColumnType type;
  gboolean required = FALSE;
  gint64 max_length = 0;
  g_autofree char *title = NULL;

  if (g_strv_length (parts) < 2)
    {
      usage_error ("“%s”: a column is name:type[:required][:MAXLEN].", spec);
      return NULL;
    }
  if (!navette_name_is_valid (parts[0]))
    {
      usage_error ("“%s” is not a valid column name.", parts[0]);
      return NULL;
    }
  if (!navette_column_type_from_string (parts[1], &type))
    {
      usage_error ("“%s” is not a column type: use text, integer, real, boolean or date.",
                   parts[1]);
      return NULL;
    }
  for (guint i = 2; parts[i] != NULL; i++)
    {
      guint64 value;

      if (g_strcmp0 (parts[i], "required") == 0)
        required = TRUE;
      else if (g_strcmp0 (parts[i], "optional") == 0)
        required = FALSE;
      else if (type == NAVETTE_COLUMN_TEXT &&
               g_ascii_string_to_unsigned (parts[i], 10, 1, G_MAXINT32, &value, NULL))
        max_length = (gint64) value;
      else
        {
          usage_error ("“%s”: “%s” is neither “required” nor a maximum length%s.", spec,
                       parts[i], type == NAVETTE_COLUMN_TEXT ? "" : " (text columns only)");
          return NULL;
        }
    }

  title = title_from_name (parts[0]);
  return navette_wire_column_new (parts[0], title, type, required, max_length);
}

static int
command_table_add (int    argc,
                   char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireTable) table = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *title = NULL;
  g_auto(GStrv) columns = NULL;
  GOptionEntry entries[] = {
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, "The title people see", "TITLE" },
    { "column", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &columns,
      "A column (repeat for each): name:type[:required][:MAXLEN]", "SPEC" },
    G_OPTION_ENTRY_NULL
  };
  static const CommandSpec spec = {
    .name = "table add",
    .parameters = "APP TABLE",
    .summary = "Adds a table to an application.",
    .description = "Column types: text, integer, real, boolean, date (YYYY-MM-DD).\n"
                   "Example: --column title:text:required:200 --column published:boolean",
    .n_args = 2,
    .missing = "expected APP and TABLE.",
  };
  int status;

  status = parse_options (&spec, &db_path, entries, &argc, &argv);
  if (status >= 0)
    return status;
  if (!navette_name_is_valid (argv[2]))
    return usage_error ("“%s” is not a valid table name.", argv[2]);
  if (columns == NULL || columns[0] == NULL)
    return usage_error ("a table needs at least one --column.");

  if (title == NULL)
    title = title_from_name (argv[2]);
  table = navette_wire_table_new (argv[2], title);
  for (guint i = 0; columns[i] != NULL; i++)
    {
      NavetteWireColumn *column = parse_column_spec (columns[i]);

      if (column == NULL)
        return EXIT_USAGE;
      g_ptr_array_add (table->columns, column);
    }

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (!navette_db_table_add (db, NAVETTE_COMMANDS_ACTOR, argv[1], table, &error))
    return failure (error);

  g_print ("Added table “%s” to “%s”.\n", argv[2], argv[1]);
  return EXIT_SUCCESS;
}

static int
command_column_add (int    argc,
                    char **argv)
{
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireColumn) column = NULL;
  g_autofree char *db_path = NULL;
  static const CommandSpec spec = {
    .name = "column add",
    .parameters = "APP TABLE name:type[:required][:MAXLEN]",
    .summary = "Adds a column to a table.",
    .description = "Existing records get no value (null) for it, so a required column "
                   "can only be added to a table without records.",
    .n_args = 3,
    .missing = "expected APP, TABLE and a column.",
  };
  int status;

  status = parse_options (&spec, &db_path, NULL, &argc, &argv);
  if (status >= 0)
    return status;

  column = parse_column_spec (argv[3]);
  if (column == NULL)
    return EXIT_USAGE;

  status = open_db (db_path, &db);
  if (status != EXIT_SUCCESS)
    return status;

  if (!navette_db_column_add (db, NAVETTE_COMMANDS_ACTOR, argv[1], argv[2], column, &error))
    return failure (error);

  g_print ("Added column “%s” to “%s.%s”.\n", column->name, argv[1], argv[2]);
  return EXIT_SUCCESS;
}

/* ---- dispatch ---- */

typedef int (*CommandFunc) (int argc, char **argv);

typedef struct
{
  const char  *group;   /* NULL: a top-level command */
  const char  *name;
  const char  *usage;
  CommandFunc  func;
} Command;

static const Command commands[] = {
  { NULL, "serve", "serve --db PATH_OR_URL --listen HOST:PORT   Run the server", navette_serve_main },
  { NULL, "init", "init --db PATH_OR_URL                       Create or migrate the database", command_init },
  { NULL, "demo", "demo --db PATH_OR_URL                       Add the demo content", command_demo },
  { "user", "add", "user add USER [--admin] [--display-name N]  Add a user", command_user_add },
  { "user", "passwd", "user passwd USER                            Set a user's password", command_user_passwd },
  { "user", "list", "user list [--json]                          List users and roles", command_user_list },
  { NULL, "grant", "grant USER reader|editor APP                Give a role", command_grant },
  { NULL, "revoke", "revoke USER APP                             Take a role away", command_revoke },
  { "app", "add", "app add APP [--title T]                     Add an application", command_app_add },
  { "table", "add", "table add APP TABLE --column SPEC…          Add a table", command_table_add },
  { "column", "add", "column add APP TABLE SPEC                    Add a column", command_column_add },
};

static void
print_usage (FILE *stream)
{
  fprintf (stream,
           "Usage:\n  navette-server COMMAND [ARGUMENTS…] --db PATH_OR_URL\n\n"
           "The Navette sync server and its administration commands.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %s\n", commands[i].usage);
  fprintf (stream,
           "\nPATH_OR_URL is an SQLite file (created if needed) or a postgresql:// URL.\n"
           "Every command migrates the schema first; changes are audited as “%s”.\n"
           "“navette-server COMMAND --help” describes a command. Exit status: 0 success,\n"
           "1 failure, 2 usage error.\n", NAVETTE_COMMANDS_ACTOR);
}

int
navette_commands_main (int    argc,
                       char **argv)
{
  const char *name;

  g_set_prgname ("navette-server");

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  name = argv[1];
  if (g_strcmp0 (name, "--help") == 0 || g_strcmp0 (name, "-h") == 0 ||
      g_strcmp0 (name, "help") == 0)
    {
      print_usage (stdout);
      return EXIT_SUCCESS;
    }
  if (g_strcmp0 (name, "--version") == 0)
    {
      g_print ("navette-server %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const Command *command = &commands[i];

      if (command->group == NULL && g_strcmp0 (command->name, name) == 0)
        return command->func (argc - 1, argv + 1);

      if (command->group != NULL && g_strcmp0 (command->group, name) == 0)
        {
          if (argc < 3 || argv[2][0] == '-')
            {
              gboolean help = argc >= 3 && (g_strcmp0 (argv[2], "--help") == 0 ||
                                            g_strcmp0 (argv[2], "-h") == 0);
              FILE *stream = help ? stdout : stderr;

              fprintf (stream, "navette-server %s: %s:\n", name,
                       help ? "sub-commands" : "expected a sub-command");
              for (guint j = 0; j < G_N_ELEMENTS (commands); j++)
                if (g_strcmp0 (commands[j].group, name) == 0)
                  fprintf (stream, "  navette-server %s\n", commands[j].usage);
              return help ? EXIT_SUCCESS : EXIT_USAGE;
            }
          for (guint j = i; j < G_N_ELEMENTS (commands); j++)
            if (g_strcmp0 (commands[j].group, name) == 0 &&
                g_strcmp0 (commands[j].name, argv[2]) == 0)
              return commands[j].func (argc - 2, argv + 2);

          g_printerr ("navette-server %s: unknown sub-command “%s”.\n"
                      "Try “navette-server --help”.\n", name, argv[2]);
          return EXIT_USAGE;
        }
    }

  g_printerr ("navette-server: unknown command “%s”.\nTry “navette-server --help”.\n", name);
  return EXIT_USAGE;
}
