/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-private.h — helpers shared by the storage backends.
 *
 * Only navette-db.c and the backends (navette-db-sqlite.c,
 * navette-db-pg.c) include this: where both backends do the same thing
 * apart from the SQL, the logic lives once in navette-db.c. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "navette-wire.h"

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

/* The data of an update: for each column of @schema, its value in
 * @changes, else in @current, else null (either object may be NULL);
 * members that are not columns are left out. */
JsonObject *navette_db_merge_data         (const NavetteWireTable *schema,
                                           JsonObject             *current,
                                           JsonObject             *changes);

/* A GCompareFunc over (const char **): sorts migration names. */
int     navette_db_compare_strings        (gconstpointer a,
                                           gconstpointer b);

G_END_DECLS
