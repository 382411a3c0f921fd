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
#include "navette-demo.h"
#include "navette-password.h"
#include "navette-serve.h"

#define EXIT_USAGE 2

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

/* What an administration command was given, and the database it runs on. */
typedef struct
{
  char             **argv;            /* argv[1…]: the arguments */
  NavetteDb         *db;
  char              *db_path;         /* --db */
  char              *display_name;    /* --display-name */
  gboolean           admin;           /* --admin */
  gboolean           password_stdin;  /* --password-stdin */
  gboolean           json;            /* --json */
  int                rows;            /* --rows */
  char              *title;           /* --title */
  char             **columns;         /* --column */
  NavetteWireTable  *table;           /* table add: made by its check */
  NavetteWireColumn *column;          /* column add: made by its check */
} Invocation;

static void
invocation_clear (Invocation *inv)
{
  g_clear_object (&inv->db);
  g_clear_pointer (&inv->db_path, g_free);
  g_clear_pointer (&inv->display_name, g_free);
  g_clear_pointer (&inv->title, g_free);
  g_clear_pointer (&inv->columns, g_strfreev);
  g_clear_pointer (&inv->table, navette_wire_table_free);
  g_clear_pointer (&inv->column, navette_wire_column_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Invocation, invocation_clear)

/* The options a command may take besides --db, in the order --help lists them. */
typedef enum
{
  OPTION_DISPLAY_NAME   = 1 << 0,
  OPTION_ADMIN          = 1 << 1,
  OPTION_PASSWORD_STDIN = 1 << 2,
  OPTION_JSON           = 1 << 3,
  OPTION_ROWS           = 1 << 4,
  OPTION_TITLE          = 1 << 5,
  OPTION_COLUMN         = 1 << 6,
} CommandOptions;

static const struct
{
  CommandOptions option;   /* 0: every command (--db) */
  gsize          offset;   /* where the value goes in an Invocation */
  GOptionEntry   entry;    /* arg_data set per invocation */
} option_table[] = {
  { 0, G_STRUCT_OFFSET (Invocation, db_path),
    { "db", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      "SQLite database file, or a postgresql:// URL", "PATH_OR_URL" } },
  { OPTION_DISPLAY_NAME, G_STRUCT_OFFSET (Invocation, display_name),
    { "display-name", 0, 0, G_OPTION_ARG_STRING, NULL,
      "The name people see (default: the user name)", "NAME" } },
  { OPTION_ADMIN, G_STRUCT_OFFSET (Invocation, admin),
    { "admin", 0, 0, G_OPTION_ARG_NONE, NULL,
      "Make the user an administrator (editor of every application)", NULL } },
  { OPTION_PASSWORD_STDIN, G_STRUCT_OFFSET (Invocation, password_stdin),
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, NULL,
      "Read the password from the first line of standard input", NULL } },
  { OPTION_JSON, G_STRUCT_OFFSET (Invocation, json),
    { "json", 0, 0, G_OPTION_ARG_NONE, NULL, "Print JSON", NULL } },
  { OPTION_ROWS, G_STRUCT_OFFSET (Invocation, rows),
    { "rows", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, NULL,
      "Also add N generated rows to catalogue/products (benchmarks)", "N" } },
  { OPTION_TITLE, G_STRUCT_OFFSET (Invocation, title),
    { "title", 0, 0, G_OPTION_ARG_STRING, NULL, "The title people see", "TITLE" } },
  { OPTION_COLUMN, G_STRUCT_OFFSET (Invocation, columns),
    { "column", 'c', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      "A column (repeat for each): name:type[:required][:MAXLEN]", "SPEC" } },
};

/* Checks what a command was given before the database is opened, or runs
 * it. A G_OPTION_ERROR is a usage error (exit status 2), any other error a
 * failure (1). */
typedef gboolean (*InvocationFunc) (Invocation  *inv,
                                    GError     **error);

/* A command of navette-server: where it stands in the help, and for an
 * administration command, what it takes, what it says about itself, and
 * what it does. */
typedef struct
{
  const char     *group;        /* "user", or NULL: a top-level command */
  const char     *name;         /* "add" */
  const char     *usage;        /* its line in “navette-server --help” */
  int           (*main) (int argc, char **argv);  /* serve: its own command line */
  const char     *parameters;   /* "USER", or NULL */
  const char     *summary;
  const char     *description;  /* or NULL */
  guint           n_args;       /* the number of arguments, exactly */
  const char     *missing;      /* the usage error with fewer */
  const char     *too_many;     /* with more; NULL: as @missing (n_args > 0),
                                 * or “unexpected argument” (n_args == 0) */
  CommandOptions  options;
  InvocationFunc  check;        /* or NULL */
  InvocationFunc  run;          /* with inv->db open and migrated */
} Command;

/* Parses the options of one command into @inv and checks the number of
 * arguments left. Returns -1 to go on, or an exit status. */
static int
parse_options (const Command      *command,
               Invocation         *inv,
               int                *argc,
               char             ***argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  static char *full_name = NULL;
  GOptionEntry entries[G_N_ELEMENTS (option_table) + 1] = { G_OPTION_ENTRY_NULL };
  guint n_entries = 0;
  guint n_args;

  g_clear_pointer (&full_name, g_free);
  if (command->group != NULL)
    full_name = g_strdup_printf ("navette-server %s %s", command->group, command->name);
  else
    full_name = g_strdup_printf ("navette-server %s", command->name);
  command_name = full_name;
  g_set_prgname (full_name);

  for (guint i = 0; i < G_N_ELEMENTS (option_table); i++)
    {
      if (option_table[i].option != 0 && (command->options & option_table[i].option) == 0)
        continue;
      entries[n_entries] = option_table[i].entry;
      entries[n_entries].arg_data = G_STRUCT_MEMBER_P (inv, option_table[i].offset);
      n_entries++;
    }

  context = g_option_context_new (command->parameters);
  g_option_context_set_summary (context, command->summary);
  if (command->description != NULL)
    g_option_context_set_description (context, command->description);
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, argc, argv, &error))
    return usage_error ("%s", error->message);

  n_args = (guint) *argc - 1;
  if (n_args < command->n_args)
    return usage_error ("%s", command->missing);
  if (n_args > command->n_args)
    {
      if (command->too_many != NULL)
        return usage_error ("%s", command->too_many);
      if (command->n_args > 0)
        return usage_error ("%s", command->missing);
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

/* The exit status for an error a check or a run reported, after saying it. */
static int
report (const GError *error)
{
  if (error->domain == G_OPTION_ERROR)
    return usage_error ("%s", error->message);
  return failure (error);
}

/* Runs one command: serve with its own command line; else parses the
 * command line, checks it, opens the database and runs the command.
 * Returns the exit status. */
static int
run_command (const Command  *command,
             int             argc,
             char          **argv)
{
  g_auto(Invocation) inv = { 0 };
  g_autoptr(GError) error = NULL;
  int status;

  if (command->main != NULL)
    return command->main (argc, argv);

  status = parse_options (command, &inv, &argc, &argv);
  if (status >= 0)
    return status;
  inv.argv = argv;

  if (command->check != NULL && !command->check (&inv, &error))
    return report (error);

  status = open_db (inv.db_path, &inv.db);
  if (status != EXIT_SUCCESS)
    return status;

  if (!command->run (&inv, &error))
    return report (error);
  return EXIT_SUCCESS;
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

/* Reads the new password (--password-stdin, NAVETTE_PASSWORD or the
 * terminal) and returns its hash. */
static char *
hash_new_password (Invocation  *inv,
                   GError     **error)
{
  g_autofree char *password = NULL;
  const char *env;

  if (inv->password_stdin)
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
          g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                               "the two passwords differ.");
          return NULL;
        }
    }
  else
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "no password: give it on standard input with --password-stdin, "
                           "or in the NAVETTE_PASSWORD environment variable.");
      return NULL;
    }

  if (password == NULL || !g_utf8_validate (password, -1, NULL) ||
      g_utf8_strlen (password, -1) < NAVETTE_PASSWORD_MIN_LENGTH)
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "a password needs at least %d characters (valid UTF-8).",
                   NAVETTE_PASSWORD_MIN_LENGTH);
      return NULL;
    }

  return navette_password_hash (password, error);
}

/* ---- init, demo ---- */

static gboolean
run_init (Invocation  *inv,
          GError     **error)
{
  gint64 version = navette_db_get_schema_version (inv->db, error);

  if (version < 0)
    return FALSE;
  g_print ("Database ready (schema version %" G_GINT64_FORMAT ").\n", version);
  return TRUE;
}

static gboolean
check_demo (Invocation  *inv,
            GError     **error)
{
  if (inv->rows < 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--rows must be positive.");
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_demo (Invocation  *inv,
          GError     **error)
{
  if (!navette_demo_create (inv->db, NAVETTE_COMMANDS_ACTOR, error))
    return FALSE;
  if (inv->rows > 0 &&
      !navette_demo_add_rows (inv->db, "catalogue", "products", (guint) inv->rows, error))
    return FALSE;

  g_print ("Demo content ready: applications catalogue and blog; users admin, alice and bob "
           "(password “%s”).\n", NAVETTE_DEMO_PASSWORD);
  return TRUE;
}

/* ---- users ---- */

static gboolean
run_user_add (Invocation  *inv,
              GError     **error)
{
  g_autofree char *hash = hash_new_password (inv, error);

  if (hash == NULL ||
      !navette_db_user_add (inv->db, NAVETTE_COMMANDS_ACTOR, inv->argv[1], inv->display_name,
                            hash, inv->admin, error))
    return FALSE;

  g_print ("Added user “%s”%s.\n", inv->argv[1], inv->admin ? " (administrator)" : "");
  return TRUE;
}

static gboolean
run_user_passwd (Invocation  *inv,
                 GError     **error)
{
  g_autoptr(NavetteDbUser) user = NULL;
  g_autofree char *hash = NULL;

  /* Say "no such user" before asking for a password. */
  user = navette_db_user_get (inv->db, inv->argv[1], error);
  if (user == NULL)
    return FALSE;

  hash = hash_new_password (inv, error);
  if (hash == NULL ||
      !navette_db_user_set_password (inv->db, NAVETTE_COMMANDS_ACTOR, inv->argv[1], hash, error))
    return FALSE;

  g_print ("Changed the password of “%s”.\n", inv->argv[1]);
  return TRUE;
}

static gboolean
run_user_list (Invocation  *inv,
               GError     **error)
{
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  users = navette_db_user_list (inv->db, error);
  if (users == NULL)
    return FALSE;

  if (inv->json)
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

      roles = navette_db_roles_for_user (inv->db, user->username, error);
      if (roles == NULL)
        return FALSE;
      apps = g_list_sort (g_hash_table_get_keys (roles), (GCompareFunc) g_strcmp0);

      if (inv->json)
        {
          json_builder_begin_object (builder);
          navette_wire_user_add_members (builder, user->username, user->display_name, user->admin);
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

  if (inv->json)
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

  return TRUE;
}

/* ---- roles ---- */

static gboolean
check_grant (Invocation  *inv,
             GError     **error)
{
  if (g_strcmp0 (inv->argv[2], "reader") != 0 && g_strcmp0 (inv->argv[2], "editor") != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is not a role: use “reader” or “editor”.", inv->argv[2]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_grant (Invocation  *inv,
           GError     **error)
{
  char **argv = inv->argv;

  if (!navette_db_grant (inv->db, NAVETTE_COMMANDS_ACTOR, argv[1], argv[3], argv[2], error))
    return FALSE;

  g_print ("“%s” is now %s of “%s”.\n", argv[1], argv[2], argv[3]);
  return TRUE;
}

static gboolean
run_revoke (Invocation  *inv,
            GError     **error)
{
  char **argv = inv->argv;

  if (!navette_db_revoke (inv->db, NAVETTE_COMMANDS_ACTOR, argv[1], argv[2], error))
    return FALSE;

  g_print ("“%s” has no role in “%s” any more.\n", argv[1], argv[2]);
  return TRUE;
}

/* ---- applications, tables, columns ---- */

/* A usage error unless @name is a valid application, table or column name. */
static gboolean
check_name (const char  *name,
            const char  *what,
            GError     **error)
{
  if (!navette_name_is_valid (name))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is not a valid %s name.", name, what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_app_add (Invocation  *inv,
               GError     **error)
{
  return check_name (inv->argv[1], "application", error);
}

static gboolean
run_app_add (Invocation  *inv,
             GError     **error)
{
  if (inv->title == NULL)
    inv->title = navette_title_from_name (inv->argv[1]);
  if (!navette_db_app_add (inv->db, NAVETTE_COMMANDS_ACTOR, inv->argv[1], inv->title, error))
    return FALSE;

  g_print ("Added application “%s”.\n", inv->argv[1]);
  return TRUE;
}

/* A column spec (navette_wire_column_from_spec()) as a usage error. */
static NavetteWireColumn *
parse_column_spec (const char  *spec,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  NavetteWireColumn *column = navette_wire_column_from_spec (spec, &local_error);

  if (column == NULL)
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, local_error->message);
  return column;
}

static gboolean
check_table_add (Invocation  *inv,
                 GError     **error)
{
  if (!check_name (inv->argv[2], "table", error))
    return FALSE;
  if (inv->columns == NULL || inv->columns[0] == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "a table needs at least one --column.");
      return FALSE;
    }

  if (inv->title == NULL)
    inv->title = navette_title_from_name (inv->argv[2]);
  inv->table = navette_wire_table_new (inv->argv[2], inv->title);
  for (guint i = 0; inv->columns[i] != NULL; i++)
    {
      NavetteWireColumn *column = parse_column_spec (inv->columns[i], error);

      if (column == NULL)
        return FALSE;
      g_ptr_array_add (inv->table->columns, column);
    }
  return TRUE;
}

static gboolean
run_table_add (Invocation  *inv,
               GError     **error)
{
  if (!navette_db_table_add (inv->db, NAVETTE_COMMANDS_ACTOR, inv->argv[1], inv->table, error))
    return FALSE;

  g_print ("Added table “%s” to “%s”.\n", inv->argv[2], inv->argv[1]);
  return TRUE;
}

static gboolean
check_column_add (Invocation  *inv,
                  GError     **error)
{
  inv->column = parse_column_spec (inv->argv[3], error);
  return inv->column != NULL;
}

static gboolean
run_column_add (Invocation  *inv,
                GError     **error)
{
  char **argv = inv->argv;

  if (!navette_db_column_add (inv->db, NAVETTE_COMMANDS_ACTOR, argv[1], argv[2], inv->column,
                              error))
    return FALSE;

  g_print ("Added column “%s” to “%s.%s”.\n", inv->column->name, argv[1], argv[2]);
  return TRUE;
}

/* ---- dispatch ---- */

static const Command commands[] = {
  {
    .name = "serve",
    .usage = "serve --db PATH_OR_URL --listen HOST:PORT   Run the server",
    .main = navette_serve_main,
  },
  {
    .name = "init",
    .usage = "init --db PATH_OR_URL                       Create or migrate the database",
    .summary = "Creates the database, or migrates it to the current schema.",
    .run = run_init,
  },
  {
    .name = "demo",
    .usage = "demo --db PATH_OR_URL                       Add the demo content",
    .summary = "Creates the schema if needed and the demo content.",
    .description = "Applications “catalogue” (table “products”) and “blog” (table "
                   "“articles”) with a few rows each; users “admin” (administrator), "
                   "“alice” (editor of both) and “bob” (reader of catalogue), each "
                   "with the password “" NAVETTE_DEMO_PASSWORD "”.\n"
                   "Running it again adds only what is missing.",
    .options = OPTION_ROWS,
    .check = check_demo,
    .run = run_demo,
  },
  {
    .group = "user",
    .name = "add",
    .usage = "user add USER [--admin] [--display-name N]  Add a user",
    .parameters = "USER",
    .summary = "Adds a user.",
    .description = "The password is read from standard input with --password-stdin, "
                   "else from the NAVETTE_PASSWORD environment variable, else asked "
                   "for on the terminal. At least 8 characters.",
    .n_args = 1,
    .missing = "the user name is missing.",
    .too_many = "too many arguments.",
    .options = OPTION_DISPLAY_NAME | OPTION_ADMIN | OPTION_PASSWORD_STDIN,
    .run = run_user_add,
  },
  {
    .group = "user",
    .name = "passwd",
    .usage = "user passwd USER                            Set a user's password",
    .parameters = "USER",
    .summary = "Sets a user's password.",
    .description = "Ends the user's open sessions. The password is read as for "
                   "“user add”.",
    .n_args = 1,
    .missing = "the user name is missing.",
    .too_many = "too many arguments.",
    .options = OPTION_PASSWORD_STDIN,
    .run = run_user_passwd,
  },
  {
    .group = "user",
    .name = "list",
    .usage = "user list [--json]                          List users and roles",
    .summary = "Lists the users and their roles.",
    .options = OPTION_JSON,
    .run = run_user_list,
  },
  {
    .name = "grant",
    .usage = "grant USER reader|editor APP                Give a role",
    .parameters = "USER reader|editor APP",
    .summary = "Gives a user a role in an application (replacing the one they had).",
    .description = "Grants are versioned: every grant and revocation stays in the history.",
    .n_args = 3,
    .missing = "expected USER, a role (reader or editor) and APP.",
    .check = check_grant,
    .run = run_grant,
  },
  {
    .name = "revoke",
    .usage = "revoke USER APP                             Take a role away",
    .parameters = "USER APP",
    .summary = "Removes a user's role in an application.",
    .n_args = 2,
    .missing = "expected USER and APP.",
    .run = run_revoke,
  },
  {
    .group = "app",
    .name = "add",
    .usage = "app add APP [--title T]                     Add an application",
    .parameters = "APP",
    .summary = "Adds an application.",
    .description = "APP: a lowercase letter, then up to 62 lowercase letters, digits or “_”.",
    .n_args = 1,
    .missing = "the application name is missing.",
    .too_many = "too many arguments.",
    .options = OPTION_TITLE,
    .check = check_app_add,
    .run = run_app_add,
  },
  {
    .group = "table",
    .name = "add",
    .usage = "table add APP TABLE --column SPEC…          Add a table",
    .parameters = "APP TABLE",
    .summary = "Adds a table to an application.",
    .description = "A column is name:type[:required][:MAXLEN][:min=N][:max=N][:choices=A|B|…].\n"
                   "Column types: text, long_text, integer, real, boolean, date (YYYY-MM-DD),\n"
                   "choice (one of its choices=), url (http:// or https://), email.\n"
                   "MAXLEN: text, long_text, url and email; min= and max=: integer and real.\n"
                   "Example: --column title:text:required:200 --column body:long_text\n"
                   "         --column state:choice:required:choices=draft|review|published",
    .n_args = 2,
    .missing = "expected APP and TABLE.",
    .options = OPTION_TITLE | OPTION_COLUMN,
    .check = check_table_add,
    .run = run_table_add,
  },
  {
    .group = "column",
    .name = "add",
    .usage = "column add APP TABLE SPEC                    Add a column",
    .parameters = "APP TABLE name:type[:required][:MAXLEN][:min=N][:max=N][:choices=A|B|…]",
    .summary = "Adds a column to a table.",
    .description = "Types and constraints as for “table add”. Existing records get no value "
                   "(null) for it, so a required column can only be added to a table without "
                   "records (the admin API can give them a default).",
    .n_args = 3,
    .missing = "expected APP, TABLE and a column.",
    .check = check_column_add,
    .run = run_column_add,
  },
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
           "“navette-server COMMAND --help” describes a command; “navette-server --version”\n"
           "prints the version. Exit status: 0 success, 1 failure, 2 usage error.\n",
           NAVETTE_COMMANDS_ACTOR);
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
        return run_command (command, argc - 1, argv + 1);

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
              return run_command (&commands[j], argc - 2, argv + 2);

          g_printerr ("navette-server %s: unknown sub-command “%s”.\n"
                      "Try “navette-server --help”.\n", name, argv[2]);
          return EXIT_USAGE;
        }
    }

  g_printerr ("navette-server: unknown command “%s”.\nTry “navette-server --help”.\n", name);
  return EXIT_USAGE;
}
