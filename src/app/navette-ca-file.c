/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "navette-ca-file.h"

/* A CA bundle is a few hundred kilobytes; anything far larger is not one
 * (and is not read whole into memory to find out). */
#define MAX_CA_FILE_SIZE (64 * 1024 * 1024)

char *
navette_ca_file_get_problem (const char   *path,
                             const GError *error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_path (path);
  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_ACCESS_CAN_READ,
                            G_FILE_QUERY_INFO_NONE, NULL, &local_error);
  if (info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
        return g_strdup (_("there is no such file"));
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        return g_strdup (_("you are not allowed to read it"));
      return g_strdup (local_error->message);
    }
  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    return g_strdup (_("it is a folder, not a file"));
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return g_strdup (_("it is not a regular file"));
  if (!g_file_info_get_attribute_boolean (info, G_FILE_ATTRIBUTE_ACCESS_CAN_READ))
    return g_strdup (_("you are not allowed to read it"));
  if (g_file_info_get_size (info) == 0)
    return g_strdup (_("the file is empty"));
  if (g_file_info_get_size (info) > MAX_CA_FILE_SIZE)
    return g_strdup (_("it is far too large"));

  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ||
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_PERM))
        return g_strdup (_("you are not allowed to read it"));
      return g_strdup (local_error->message);
    }
  if (strstr (contents, "-----BEGIN CERTIFICATE-----") == NULL)
    return g_strdup (_("it holds no certificate in PEM format"));

  if (error == NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (path, &local_error);

      if (database != NULL)
        return NULL;
      error = local_error;
    }
  /* No TLS backend (glib-networking) at all: its own words. */
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE))
    return g_strdup (error->message);
  return g_strdup (_("a certificate in it is damaged"));
}

char *
navette_ca_file_format_problem (const char *problem)
{
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (problem != NULL, NULL);

  escaped = g_markup_escape_text (problem, -1);
  /* Translators: a toast; %s says why, e.g. "there is no such file" */
  return g_strdup_printf (_("Cannot use the certificate authority file: %s"), escaped);
}
