/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-ca-file.h — whether a certificate authority file can be used, and
 * if not, why, in words for a person. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* NULL when @path is a PEM file of certificate authorities that can be
 * used; otherwise why not, as a short translated phrase that completes
 * "Cannot use the certificate authority file: …" ("there is no such
 * file"). @error: the engine's error for this file, when there was one
 * (then the file is not parsed again). */
char *navette_ca_file_get_problem (const char   *path,
                                   const GError *error);
/* "Cannot use the certificate authority file: PROBLEM", as markup (for a
 * toast's title). */
char *navette_ca_file_format_problem (const char *problem);

G_END_DECLS
