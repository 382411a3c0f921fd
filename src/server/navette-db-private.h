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

/* The @validate callback of navette_db_record_update(). */
typedef gboolean (*NavetteDbValidateFunc) (JsonObject  *merged,
                                           gpointer     user_data,
                                           GError     **error);

/* BAD_REQUEST when an update's @base_version is newer than the current
 * version (both backends). */
gboolean navette_db_check_base_version     (gint64      base_version,
                                            gint64      current_version,
                                            GError    **error);
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

/* The data of the version an update of @current writes: @changes merged
 * into the current data (navette_db_merge_data), checked with @validate
 * when given; NULL with @error when @validate refuses. *@new_archived is
 * @archived (1 or 0), or for -1 the current flag; *@action is the audit
 * action, "archive" when the update archives the record, else "update". */
JsonObject *navette_db_update_data        (const NavetteWireTable  *schema,
                                           NavetteWireRecord       *current,
                                           JsonObject              *changes,
                                           int                      archived,
                                           NavetteDbValidateFunc    validate,
                                           gpointer                 validate_data,
                                           gboolean                *new_archived,
                                           const char             **action,
                                           GError                 **error);

/* A GCompareFunc over (const char **): sorts migration names. */
int     navette_db_compare_strings        (gconstpointer a,
                                           gconstpointer b);

/* Sets every vfunc of the NavetteDbClass @klass to <prefix>_<vfunc>:
 * each backend implements them all, under those names. */
#define NAVETTE_DB_CLASS_SET_VFUNCS(klass, prefix)              \
  G_STMT_START {                                                \
    (klass)->migrate = prefix##_migrate;                        \
    (klass)->ping = prefix##_ping;                              \
    (klass)->user_add = prefix##_user_add;                      \
    (klass)->user_set_password = prefix##_user_set_password;    \
    (klass)->user_get = prefix##_user_get;                      \
    (klass)->user_list = prefix##_user_list;                    \
    (klass)->session_create = prefix##_session_create;          \
    (klass)->session_lookup = prefix##_session_lookup;          \
    (klass)->session_revoke = prefix##_session_revoke;          \
    (klass)->roles_for_user = prefix##_roles_for_user;          \
    (klass)->grant = prefix##_grant;                            \
    (klass)->revoke = prefix##_revoke;                          \
    (klass)->app_list = prefix##_app_list;                      \
    (klass)->app_add = prefix##_app_add;                        \
    (klass)->table_list = prefix##_table_list;                  \
    (klass)->table_add = prefix##_table_add;                    \
    (klass)->column_add = prefix##_column_add;                  \
    (klass)->table_state = prefix##_table_state;                \
    (klass)->app_state = prefix##_app_state;                    \
    (klass)->record_list = prefix##_record_list;                \
    (klass)->record_list_json = prefix##_record_list_json;      \
    (klass)->record_get = prefix##_record_get;                  \
    (klass)->record_versions = prefix##_record_versions;        \
    (klass)->record_create = prefix##_record_create;            \
    (klass)->record_update = prefix##_record_update;            \
    (klass)->record_revert = prefix##_record_revert;            \
    (klass)->audit_list = prefix##_audit_list;                  \
    (klass)->purge = prefix##_purge;                            \
    (klass)->record_create_many = prefix##_record_create_many;  \
  } G_STMT_END

G_END_DECLS
