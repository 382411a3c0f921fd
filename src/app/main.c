/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "navette-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NavetteApplication) app = NULL;
  const char *localedir = g_getenv ("NAVETTE_LOCALEDIR");

  /* NAVETTE_LOCALEDIR: the translations of an uninstalled build (BUILD/po). */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = navette_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
