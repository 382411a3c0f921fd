/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db.c — the abstract storage layer: wrappers and plain data. */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include <string.h>

#include "navette-db.h"
#include "navette-db-private.h"
#include "navette-db-sqlite.h"
#if HAVE_POSTGRESQL
#include "navette-db-pg.h"
#endif

G_DEFINE_ABSTRACT_TYPE (NavetteDb, navette_db, G_TYPE_OBJECT)

static void
navette_db_class_init (NavetteDbClass *klass)
{
}

static void
navette_db_init (NavetteDb *self)
{
}

/* ---- helpers shared by the backends (navette-db-private.h) ---- */

gboolean
navette_db_check_base_version (gint64   base_version,
                               gint64   current_version,
                               GError **error)
{
  /* the client claims to have edited a version that was never written */
  if (base_version <= current_version)
    return TRUE;
  g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
               "base_version %" G_GINT64_FORMAT " is newer than the current version %"
               G_GINT64_FORMAT ".", base_version, current_version);
  return FALSE;
}

GArray *
navette_db_superseded_versions (gint64 base_version,
                                gint64 current_version)
{
  GArray *versions;

  if (base_version <= 0 || base_version >= current_version)
    return NULL;
  versions = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (gint64 v = base_version + 1; v <= current_version; v++)
    g_array_append_val (versions, v);
  return versions;
}

char *
navette_db_superseded_to_string (GArray *superseded)
{
  GString *text;

  if (superseded == NULL || superseded->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < superseded->len; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            g_array_index (superseded, gint64, i));
  return g_string_free (text, FALSE);
}

GArray *
navette_db_superseded_from_string (const char *text)
{
  g_auto(GStrv) parts = NULL;
  GArray *superseded;

  if (text == NULL || *text == '\0')
    return NULL;
  parts = g_strsplit (text, ",", -1);
  superseded = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 version = g_ascii_strtoll (parts[i], NULL, 10);

      g_array_append_val (superseded, version);
    }
  return superseded;
}

JsonObject *
navette_db_merge_data (const NavetteWireTable *schema,
                       JsonObject             *current,
                       JsonObject             *changes)
{
  JsonObject *merged = json_object_new ();

  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      JsonNode *node = NULL;

      if (changes != NULL && json_object_has_member (changes, column->name))
        node = json_object_get_member (changes, column->name);
      else if (current != NULL && json_object_has_member (current, column->name))
        node = json_object_get_member (current, column->name);

      json_object_set_member (merged, column->name,
                              node != NULL ? json_node_copy (node) : json_node_new (JSON_NODE_NULL));
    }

  return merged;
}

JsonObject *
navette_db_update_data (const NavetteWireTable  *schema,
                        NavetteWireRecord       *current,
                        JsonObject              *changes,
                        int                      archived,
                        NavetteDbValidateFunc    validate,
                        gpointer                 validate_data,
                        gboolean                *new_archived,
                        const char             **action,
                        GError                 **error)
{
  g_autoptr(JsonObject) merged = navette_db_merge_data (schema, current->data, changes);

  if (validate != NULL && !validate (merged, validate_data, error))
    return NULL;
  *new_archived = archived < 0 ? current->archived : archived != 0;
  *action = *new_archived && !current->archived ? "archive" : "update";
  return g_steal_pointer (&merged);
}

int
navette_db_compare_strings (gconstpointer a,
                            gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* ---- plain data ---- */

void
navette_db_user_free (NavetteDbUser *user)
{
  if (user == NULL)
    return;
  g_free (user->username);
  g_free (user->display_name);
  g_free (user->password_hash);
  g_free (user);
}

void
navette_db_app_free (NavetteDbApp *app)
{
  if (app == NULL)
    return;
  g_free (app->name);
  g_free (app->title);
  g_free (app);
}

void
navette_db_table_state_free (NavetteDbTableState *state)
{
  if (state == NULL)
    return;
  g_free (state->table);
  g_free (state);
}

void
navette_db_audit_entry_free (NavetteDbAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->user);
  g_free (entry->action);
  g_free (entry->app);
  g_free (entry->table);
  g_free (entry->record);
  g_free (entry->detail);
  g_free (entry);
}

void
navette_db_write_result_free (NavetteDbWriteResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->record, navette_wire_record_unref);
  g_clear_pointer (&result->superseded, g_array_unref);
  g_free (result);
}

/* ---- opening ---- */

NavetteDb *
navette_db_open (const char  *path_or_url,
                 GError     **error)
{
  g_return_val_if_fail (path_or_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_has_prefix (path_or_url, "postgresql://") ||
      g_str_has_prefix (path_or_url, "postgres://"))
    {
#if HAVE_POSTGRESQL
      return navette_db_pg_new (path_or_url, error);
#else
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "This navette-server was built without PostgreSQL support.");
      return NULL;
#endif
    }

  if (*path_or_url == '\0')
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "No database given.");
      return NULL;
    }

  return navette_db_sqlite_new (path_or_url, error);
}

/* ---- wrappers ---- */

#define NAVETTE_DB_CHECK(self, vfunc, val)                                    \
  G_STMT_START {                                                              \
    g_return_val_if_fail (NAVETTE_IS_DB (self), val);                         \
    g_return_val_if_fail (error == NULL || *error == NULL, val);              \
    if (NAVETTE_DB_GET_CLASS (self)->vfunc == NULL)                           \
      {                                                                       \
        g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_INTERNAL,    \
                     "This storage backend cannot do that (%s).", #vfunc);    \
        return val;                                                           \
      }                                                                       \
  } G_STMT_END

gboolean
navette_db_migrate (NavetteDb  *self,
                    GError    **error)
{
  NAVETTE_DB_CHECK (self, migrate, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->migrate (self, error);
}

gboolean
navette_db_ping (NavetteDb  *self,
                 GError    **error)
{
  NAVETTE_DB_CHECK (self, ping, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->ping (self, error);
}

gboolean
navette_db_user_add (NavetteDb   *self,
                     const char  *actor,
                     const char  *username,
                     const char  *display_name,
                     const char  *password_hash,
                     gboolean     admin,
                     GError     **error)
{
  NAVETTE_DB_CHECK (self, user_add, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->user_add (self, actor, username, display_name,
                                                password_hash, admin, error);
}

gboolean
navette_db_user_set_password (NavetteDb   *self,
                              const char  *actor,
                              const char  *username,
                              const char  *password_hash,
                              GError     **error)
{
  NAVETTE_DB_CHECK (self, user_set_password, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->user_set_password (self, actor, username,
                                                         password_hash, error);
}

NavetteDbUser *
navette_db_user_get (NavetteDb   *self,
                     const char  *username,
                     GError     **error)
{
  NAVETTE_DB_CHECK (self, user_get, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->user_get (self, username, error);
}

GPtrArray *
navette_db_user_list (NavetteDb  *self,
                      GError    **error)
{
  NAVETTE_DB_CHECK (self, user_list, NULL);
  return NAVETTE_DB_GET_CLASS (self)->user_list (self, error);
}

gboolean
navette_db_session_create (NavetteDb   *self,
                           const char  *username,
                           const char  *token_hash,
                           gint64       expires_at,
                           GError     **error)
{
  NAVETTE_DB_CHECK (self, session_create, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->session_create (self, username, token_hash,
                                                      expires_at, error);
}

NavetteDbUser *
navette_db_session_lookup (NavetteDb   *self,
                           const char  *token_hash,
                           gint64      *expires_at,
                           GError     **error)
{
  NAVETTE_DB_CHECK (self, session_lookup, NULL);
  g_return_val_if_fail (token_hash != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->session_lookup (self, token_hash, expires_at, error);
}

gboolean
navette_db_session_revoke (NavetteDb   *self,
                           const char  *token_hash,
                           GError     **error)
{
  NAVETTE_DB_CHECK (self, session_revoke, FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->session_revoke (self, token_hash, error);
}

GHashTable *
navette_db_roles_for_user (NavetteDb   *self,
                           const char  *username,
                           GError     **error)
{
  NAVETTE_DB_CHECK (self, roles_for_user, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->roles_for_user (self, username, error);
}

gboolean
navette_db_grant (NavetteDb   *self,
                  const char  *actor,
                  const char  *username,
                  const char  *app,
                  const char  *role,
                  GError     **error)
{
  NAVETTE_DB_CHECK (self, grant, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (role != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->grant (self, actor, username, app, role, error);
}

gboolean
navette_db_revoke (NavetteDb   *self,
                   const char  *actor,
                   const char  *username,
                   const char  *app,
                   GError     **error)
{
  NAVETTE_DB_CHECK (self, revoke, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->revoke (self, actor, username, app, error);
}

GPtrArray *
navette_db_app_list (NavetteDb  *self,
                     GError    **error)
{
  NAVETTE_DB_CHECK (self, app_list, NULL);
  return NAVETTE_DB_GET_CLASS (self)->app_list (self, error);
}

gboolean
navette_db_app_add (NavetteDb   *self,
                    const char  *actor,
                    const char  *name,
                    const char  *title,
                    GError     **error)
{
  NAVETTE_DB_CHECK (self, app_add, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->app_add (self, actor, name, title, error);
}

GPtrArray *
navette_db_table_list (NavetteDb   *self,
                       const char  *app,
                       GError     **error)
{
  NAVETTE_DB_CHECK (self, table_list, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->table_list (self, app, error);
}

gboolean
navette_db_table_add (NavetteDb               *self,
                      const char              *actor,
                      const char              *app,
                      const NavetteWireTable  *table,
                      GError                 **error)
{
  NAVETTE_DB_CHECK (self, table_add, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->table_add (self, actor, app, table, error);
}

gboolean
navette_db_column_add (NavetteDb                *self,
                       const char               *actor,
                       const char               *app,
                       const char               *table,
                       const NavetteWireColumn  *column,
                       GError                  **error)
{
  NAVETTE_DB_CHECK (self, column_add, FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (column != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->column_add (self, actor, app, table, column, error);
}

gboolean
navette_db_table_state (NavetteDb            *self,
                        const char           *app,
                        const char           *table,
                        NavetteDbTableState  *out,
                        GError              **error)
{
  NAVETTE_DB_CHECK (self, table_state, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->table_state (self, app, table, out, error);
}

GPtrArray *
navette_db_app_state (NavetteDb   *self,
                      const char  *app,
                      GError     **error)
{
  NAVETTE_DB_CHECK (self, app_state, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->app_state (self, app, error);
}

GPtrArray *
navette_db_record_list (NavetteDb            *self,
                        const char           *app,
                        const char           *table,
                        gint64                since,
                        NavetteDbTableState  *state,
                        GError              **error)
{
  NAVETTE_DB_CHECK (self, record_list, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->record_list (self, app, table, since, state, error);
}

gboolean
navette_db_record_list_json (NavetteDb            *self,
                             const char           *app,
                             const char           *table,
                             gint64                since,
                             NavetteDbTableState  *state,
                             GString              *out,
                             GError              **error)
{
  g_autoptr(GPtrArray) records = NULL;

  NAVETTE_DB_CHECK (self, record_list, FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (NAVETTE_DB_GET_CLASS (self)->record_list_json != NULL)
    return NAVETTE_DB_GET_CLASS (self)->record_list_json (self, app, table, since, state, out,
                                                          error);

  records = NAVETTE_DB_GET_CLASS (self)->record_list (self, app, table, since, state, error);
  if (records == NULL)
    return FALSE;
  g_string_append_c (out, '[');
  for (guint i = 0; i < records->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      navette_wire_record_append_json (g_ptr_array_index (records, i), out, FALSE);
    }
  g_string_append_c (out, ']');
  return TRUE;
}

NavetteWireRecord *
navette_db_record_get (NavetteDb   *self,
                       const char  *app,
                       const char  *table,
                       const char  *id,
                       GError     **error)
{
  NAVETTE_DB_CHECK (self, record_get, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->record_get (self, app, table, id, error);
}

GPtrArray *
navette_db_record_versions (NavetteDb   *self,
                            const char  *app,
                            const char  *table,
                            const char  *id,
                            GError     **error)
{
  NAVETTE_DB_CHECK (self, record_versions, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->record_versions (self, app, table, id, error);
}

NavetteDbWriteResult *
navette_db_record_create (NavetteDb                   *self,
                          const char                  *app,
                          const char                  *table,
                          const char                  *id,
                          JsonObject                  *data,
                          const char                  *user,
                          const NavetteDbIdempotency  *idem,
                          GError                     **error)
{
  NAVETTE_DB_CHECK (self, record_create, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->record_create (self, app, table, id, data, user,
                                                     idem, error);
}

NavetteDbWriteResult *
navette_db_record_update (NavetteDb                   *self,
                          const char                  *app,
                          const char                  *table,
                          const char                  *id,
                          gint64                       base_version,
                          JsonObject                  *data,
                          int                          archived,
                          const char                  *user,
                          const NavetteDbIdempotency  *idem,
                          NavetteDbValidateFunc        validate,
                          gpointer                     validate_data,
                          GError                     **error)
{
  NAVETTE_DB_CHECK (self, record_update, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (archived >= -1 && archived <= 1, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->record_update (self, app, table, id, base_version,
                                                     data, archived, user, idem,
                                                     validate, validate_data, error);
}

NavetteDbWriteResult *
navette_db_record_revert (NavetteDb                   *self,
                          const char                  *app,
                          const char                  *table,
                          const char                  *id,
                          gint64                       version,
                          const char                  *user,
                          const NavetteDbIdempotency  *idem,
                          GError                     **error)
{
  NAVETTE_DB_CHECK (self, record_revert, NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  return NAVETTE_DB_GET_CLASS (self)->record_revert (self, app, table, id, version, user,
                                                     idem, error);
}

GPtrArray *
navette_db_audit_list (NavetteDb   *self,
                       const char  *app,
                       gint64       after,
                       guint        limit,
                       GError     **error)
{
  NAVETTE_DB_CHECK (self, audit_list, NULL);
  return NAVETTE_DB_GET_CLASS (self)->audit_list (self, app, after, limit, error);
}

gboolean
navette_db_purge (NavetteDb  *self,
                  gint64      older_than,
                  GError    **error)
{
  NAVETTE_DB_CHECK (self, purge, FALSE);
  return NAVETTE_DB_GET_CLASS (self)->purge (self, older_than, error);
}

gboolean
navette_db_record_create_many (NavetteDb   *self,
                               const char  *app,
                               const char  *table,
                               GPtrArray   *data,
                               const char  *user,
                               GError     **error)
{
  g_return_val_if_fail (NAVETTE_IS_DB (self), FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (NAVETTE_DB_GET_CLASS (self)->record_create_many != NULL)
    return NAVETTE_DB_GET_CLASS (self)->record_create_many (self, app, table, data, user, error);

  for (guint i = 0; i < data->len; i++)
    {
      g_autoptr(NavetteDbWriteResult) result = NULL;

      result = navette_db_record_create (self, app, table, NULL, g_ptr_array_index (data, i),
                                         user, NULL, error);
      if (result == NULL)
        return FALSE;
    }

  return TRUE;
}
