/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-private.h — helpers shared by the storage backends.
 *
 * Only navette-db.c and the backends (navette-db-sqlite.c,
 * navette-db-pg.c) include this: where both backends do the same thing
 * apart from the SQL, the logic lives once in navette-db.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The versions an update from @base_version superseded: base_version + 1
 * … @current_version, or NULL when @base_version is 0 (not given) or not
 * older than @current_version. */
GArray *navette_db_superseded_versions    (gint64      base_version,
                                           gint64      current_version);

/* Stored with an idempotency key, so a replay answers what the first
 * request answered: "4,5", or NULL for none. */
char   *navette_db_superseded_to_string   (GArray     *superseded);
GArray *navette_db_superseded_from_string (const char *text);

/* A GCompareFunc over (const char **): sorts migration names. */
int     navette_db_compare_strings        (gconstpointer a,
                                           gconstpointer b);

G_END_DECLS
