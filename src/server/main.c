/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c — navette-server: the sync server and its admin commands. */
#include "config.h"

#include <locale.h>

#include "navette-commands.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  /* The API speaks English to every client, whatever the server's locale:
   * the shared wire messages are translatable for the clients, which
   * translate them on their side (navette_wire_validate_data). */
  setlocale (LC_MESSAGES, "C");
  return navette_commands_main (argc, argv);
}
