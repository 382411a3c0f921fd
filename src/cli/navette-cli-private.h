/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-cli-private.h — shared by the files of navette-cli. */
#pragma once

#include "navette-cli.h"
#include "navette-engine.h"

G_BEGIN_DECLS

/* sysexits.h: a temporary failure; try again later. */
#define EXIT_TEMPFAIL 75

typedef struct
{
  char          *server;
  char          *ca_file;
  gboolean       json;
  int            interval;
  gboolean       restore;
  int            wait;          /* --wait: seconds to wait for the server */
  char          *saved_token;
  char          *saved_server;
  char          *saved_username;
  NavetteEngine *engine;
  GPtrArray     *replayed;      /* NavetteChange*: put back from the journal */
} Cli;

/* ---- navette-cli.c ---- */

/* The engine of the server of the command line (--server, NAVETTE_SERVER
 * or the last login), with the saved token. */
NavetteEngine *cli_open_engine          (Cli                     *cli,
                                         GError                 **error);
/* The value of $@env_name, or a line read from standard input (after
 * @prompt, without echo, on a terminal); NULL at end of input. */
char         *cli_read_password         (const char              *env_name,
                                         const char              *prompt);

/* ---- navette-cli-admin.c ---- */

/* `navette-cli admin WHAT …`: @argv after "admin". Returns the exit
 * status. */
int           cli_run_admin             (Cli                     *cli,
                                         int                      argc,
                                         char                   **argv);

/* ---- Output (navette-cli-output.c) ---- */

void         cli_print_json_node        (JsonNode                *node);
void         cli_print_json_builder     (JsonBuilder             *builder);
void         cli_add_string_member      (JsonBuilder             *builder,
                                         const char              *member,
                                         const char              *value);
void         cli_add_int_member         (JsonBuilder             *builder,
                                         const char              *member,
                                         gint64                   value);
/* {"@member": [ — the caller adds the items, then calls
 * cli_end_json_list(). */
JsonBuilder *cli_begin_json_list        (const char              *member);
/* {"table": …, "revision": …, "records": [ */
JsonBuilder *cli_begin_json_records     (const char              *table,
                                         gint64                   revision);
/* ]} — and prints the list with --json. Returns the exit status 0. */
int          cli_end_json_list          (Cli                     *cli,
                                         JsonBuilder             *builder);
void         cli_add_error_json         (JsonBuilder             *builder,
                                         const GError            *error);
/* Says @error (JSON with --json); returns the exit status: 75 for a
 * transient failure, else 1. */
int          cli_fail                   (Cli                     *cli,
                                         const GError            *error);
/* Says @message; returns 2. */
int          cli_usage_error            (Cli                     *cli,
                                         const char              *message);
/* The change is safe in the journal; the server could not be reached.
 * Returns 75. */
int          cli_say_kept               (Cli                     *cli,
                                         const char              *key,
                                         const char              *description);
void         cli_print_record_text      (NavetteTable            *table,
                                         NavetteRecord           *record);
void         cli_print_wire_record_json (const NavetteWireRecord *wire);
void         cli_add_change_json        (JsonBuilder             *builder,
                                         NavetteChange           *change);

G_END_DECLS
