/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include "navette-engine-types.h"

const char *
navette_role_to_string (NavetteRole role)
{
  switch (role)
    {
    case NAVETTE_ROLE_READER: return "reader";
    case NAVETTE_ROLE_EDITOR: return "editor";
    case NAVETTE_ROLE_NONE:
    default: return "none";
    }
}

NavetteRole
navette_role_from_string (const char *text)
{
  if (g_strcmp0 (text, "editor") == 0)
    return NAVETTE_ROLE_EDITOR;
  if (g_strcmp0 (text, "reader") == 0)
    return NAVETTE_ROLE_READER;
  return NAVETTE_ROLE_NONE;
}
