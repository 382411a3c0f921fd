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
  return navette_commands_main (argc, argv);
}
