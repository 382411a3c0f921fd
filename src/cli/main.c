/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-cli"

#include "config.h"

#include "navette-cli.h"

int
main (int    argc,
      char **argv)
{
  return navette_cli_run (argc, argv);
}
