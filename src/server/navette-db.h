/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db.h — the storage layer of navette-server.
 *
 * NavetteDb is an abstract class; NavetteDbSqlite (embedded default) and
 * NavetteDbPg (PostgreSQL, libpq) implement it. The HTTP layer only ever
 * sees this interface, so a backend slots in without touching it.
 *
 * Threading: every method is synchronous and may block; the HTTP layer
 * calls them from worker threads (never from the main loop), concurrently.
 * A backend is responsible for its own connection handling (one
 * connection per thread or a pool) and for serializing writes correctly.
 *
 * Errors: NAVETTE_API_ERROR codes, so the HTTP layer maps them to a
 * status directly: NOT_FOUND (unknown app/table/record/user/version),
 * CONFLICT (idempotency key reused with another request, create with an
 * existing id and other data, admin objects that already exist),
 * BAD_REQUEST (admin input that cannot be accepted), UNAVAILABLE (database
 * unreachable or busy past its timeout), INTERNAL (anything else; the
 * message never contains SQL or paths — log the details with g_warning
 * or g_debug instead). Validation of record data against the schema is
 * done by the caller (navette_wire_validate_data) before a write. */
#pragma once

#include <glib-object.h>
#include "navette-wire.h"

G_BEGIN_DECLS

/* ---- Plain data returned by the storage layer ---- */

typedef struct
{
  gint64    id;
  char     *username;
  char     *display_name;
  char     *password_hash;  /* the KDF's encoded string */
  gboolean  admin;
} NavetteDbUser;

void navette_db_user_free (NavetteDbUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbUser, navette_db_user_free)

typedef struct
{
  char *name;
  char *title;
} NavetteDbApp;

void navette_db_app_free (NavetteDbApp *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbApp, navette_db_app_free)

/* Filled by table_state and record_list into a caller's struct: the
 * caller frees ->table (g_free). */
typedef struct
{
  char   *table;        /* table name within the application */
  gint64  revision;     /* table_last_modifications.revision, 0 if never written */
  gint64  last_update;  /* unix microseconds, 0 if never written */
} NavetteDbTableState;

void navette_db_table_state_free (NavetteDbTableState *state);

typedef struct
{
  gint64  id;
  gint64  at;            /* unix microseconds */
  char   *user;
  char   *action;        /* create, update, archive, revert, user_add, grant, … */
  char   *app;           /* NULL for actions outside an application */
  char   *table;         /* NULL when not about a table */
  char   *record;        /* NULL when not about a record */
  gint64  from_version;  /* 0 when none */
  gint64  to_version;    /* 0 when none */
  char   *detail;        /* free text for administration actions, may be NULL */
} NavetteDbAuditEntry;

void navette_db_audit_entry_free (NavetteDbAuditEntry *entry);

/* Result of a content write. */
typedef struct
{
  NavetteWireRecord *record;      /* the new current version */
  gboolean           created;     /* TRUE: a new record (201); FALSE: replay or update */
  gboolean           replayed;    /* TRUE: an idempotent replay, nothing written */
  GArray            *superseded;  /* of gint64: versions written by others since base_version; may be NULL */
} NavetteDbWriteResult;

void navette_db_write_result_free (NavetteDbWriteResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbWriteResult, navette_db_write_result_free)

/* Idempotency: every content write may carry a key. The backend stores
 * (key, username, request_hash) together with the write, in the same
 * transaction, and the id/version it produced plus the HTTP status.
 * A replay of the same key by the same user with the same request_hash
 * returns that stored version (result->replayed = TRUE, nothing written);
 * the same key with another request_hash is CONFLICT. Keys older than
 * 24 h may be purged (navette_db_purge). */
typedef struct
{
  const char *key;           /* NULL: no idempotency key */
  const char *request_hash;  /* SHA-256 hex of method + path + body */
} NavetteDbIdempotency;

#define NAVETTE_TYPE_DB (navette_db_get_type ())
G_DECLARE_DERIVABLE_TYPE (NavetteDb, navette_db, NAVETTE, DB, GObject)

struct _NavetteDbClass
{
  GObjectClass parent_class;

  /* Schema creation and migration (idempotent: safe on every start). */
  gboolean   (*migrate)            (NavetteDb *self, GError **error);
  /* TRUE when the database answers (a trivial query). */
  gboolean   (*ping)               (NavetteDb *self, GError **error);

  /* ---- users, sessions (not versioned, updated in place, audited) ---- */
  gboolean       (*user_add)       (NavetteDb *self, const char *actor, const char *username,
                                    const char *display_name, const char *password_hash,
                                    gboolean admin, GError **error);
  gboolean       (*user_set_password) (NavetteDb *self, const char *actor, const char *username,
                                       const char *password_hash, GError **error);
  NavetteDbUser *(*user_get)       (NavetteDb *self, const char *username, GError **error);
  GPtrArray     *(*user_list)      (NavetteDb *self, GError **error); /* of NavetteDbUser* */

  gboolean       (*session_create) (NavetteDb *self, const char *username, const char *token_hash,
                                    gint64 expires_at, GError **error);
  /* Returns the user of a live (not revoked) session, and its expiry;
   * NULL with AUTH_REQUIRED when unknown or revoked. Expiry is checked by
   * the caller (so it can say auth_expired). */
  NavetteDbUser *(*session_lookup) (NavetteDb *self, const char *token_hash, gint64 *expires_at,
                                    GError **error);
  gboolean       (*session_revoke) (NavetteDb *self, const char *token_hash, GError **error);

  /* ---- roles: a versioned content table of grants ---- */
  /* app name → "reader" | "editor" for the user (admins: not expanded). */
  GHashTable    *(*roles_for_user) (NavetteDb *self, const char *username, GError **error);
  gboolean       (*grant)          (NavetteDb *self, const char *actor, const char *username,
                                    const char *app, const char *role, GError **error);
  gboolean       (*revoke)         (NavetteDb *self, const char *actor, const char *username,
                                    const char *app, GError **error);

  /* ---- applications and table schemas ---- */
  GPtrArray     *(*app_list)       (NavetteDb *self, GError **error); /* of NavetteDbApp* */
  gboolean       (*app_add)        (NavetteDb *self, const char *actor, const char *name,
                                    const char *title, GError **error);
  GPtrArray     *(*table_list)     (NavetteDb *self, const char *app, GError **error); /* of NavetteWireTable* */
  gboolean       (*table_add)      (NavetteDb *self, const char *actor, const char *app,
                                    const NavetteWireTable *table, GError **error);
  gboolean       (*column_add)     (NavetteDb *self, const char *actor, const char *app,
                                    const char *table, const NavetteWireColumn *column,
                                    GError **error);

  /* ---- the light check ---- */
  gboolean       (*table_state)    (NavetteDb *self, const char *app, const char *table,
                                    NavetteDbTableState *out, GError **error);
  GPtrArray     *(*app_state)      (NavetteDb *self, const char *app, GError **error); /* of NavetteDbTableState* */

  /* ---- records ---- */
  /* Current version of every record (archived included), or only those
   * whose current version has revision > @since when @since >= 0. Sets
   * the table's revision and last_update as read in the same snapshot. */
  GPtrArray     *(*record_list)    (NavetteDb *self, const char *app, const char *table,
                                    gint64 since, NavetteDbTableState *state, GError **error);
  NavetteWireRecord *(*record_get) (NavetteDb *self, const char *app, const char *table,
                                    const char *id, GError **error);
  /* Newest first, with obsolete set. */
  GPtrArray     *(*record_versions) (NavetteDb *self, const char *app, const char *table,
                                     const char *id, GError **error);
  /* @id: the client's UUID or NULL (the backend generates one). @data has
   * been validated. Same id with equal data → result->created = FALSE and
   * the existing record (no write); same id with other data → CONFLICT. */
  NavetteDbWriteResult *(*record_create) (NavetteDb *self, const char *app, const char *table,
                                          const char *id, JsonObject *data, const char *user,
                                          const NavetteDbIdempotency *idem, GError **error);
  /* @data: columns to change (may be NULL); @archived: -1 keep, 0/1 set.
   * Merges into the current version, writes version + 1, marks the old one
   * obsolete, audits ("update", or "archive" when archived goes to TRUE),
   * in one transaction. @base_version older than current → still applied,
   * result->superseded lists the versions in (base_version, current].
   * @validate is called with the merged data (inside the transaction)
   * and may refuse it by returning FALSE with an error. */
  NavetteDbWriteResult *(*record_update) (NavetteDb *self, const char *app, const char *table,
                                          const char *id, gint64 base_version, JsonObject *data,
                                          int archived, const char *user,
                                          const NavetteDbIdempotency *idem,
                                          gboolean (*validate) (JsonObject *merged, gpointer user_data, GError **error),
                                          gpointer validate_data, GError **error);
  /* New version whose data (and archived flag) is that of @version; audited "revert". */
  NavetteDbWriteResult *(*record_revert) (NavetteDb *self, const char *app, const char *table,
                                          const char *id, gint64 version, const char *user,
                                          const NavetteDbIdempotency *idem, GError **error);

  /* ---- audit ---- */
  GPtrArray     *(*audit_list)     (NavetteDb *self, const char *app, gint64 after, guint limit,
                                    GError **error); /* of NavetteDbAuditEntry*, ascending id */

  /* Removes idempotency keys older than @older_than (unix usec) and expired sessions. */
  gboolean       (*purge)          (NavetteDb *self, gint64 older_than, GError **error);

  /* Creates one record per element of @data (JsonObject*, validated),
   * with generated ids, at version 1, audited "create", all in ONE
   * transaction: demo data, imports, benchmarks. May be NULL in a
   * backend: the wrapper then calls record_create for each. */
  gboolean       (*record_create_many) (NavetteDb *self, const char *app, const char *table,
                                        GPtrArray *data, const char *user, GError **error);

  /* Appends to @out the JSON array ("[…]") of what record_list returns,
   * each record as navette_wire_record_append_json writes it (without
   * "obsolete"), in the same order, written straight from the rows.
   * May be NULL in a backend: the wrapper then calls record_list and
   * writes each record. On error @out may hold a partial array. */
  gboolean       (*record_list_json) (NavetteDb *self, const char *app, const char *table,
                                      gint64 since, NavetteDbTableState *state, GString *out,
                                      GError **error);

  gpointer padding[6];
};

/* Opens a backend: a path (SQLite) or a postgresql:// / postgres:// URL.
 * Does not migrate. */
NavetteDb *navette_db_open (const char *path_or_url, GError **error);

/* Thin wrappers that call the vfuncs (with g_return_val_if_fail checks). */
gboolean       navette_db_migrate           (NavetteDb *self, GError **error);
gboolean       navette_db_ping              (NavetteDb *self, GError **error);
gboolean       navette_db_user_add          (NavetteDb *self, const char *actor, const char *username,
                                             const char *display_name, const char *password_hash,
                                             gboolean admin, GError **error);
gboolean       navette_db_user_set_password (NavetteDb *self, const char *actor, const char *username,
                                             const char *password_hash, GError **error);
NavetteDbUser *navette_db_user_get          (NavetteDb *self, const char *username, GError **error);
GPtrArray     *navette_db_user_list         (NavetteDb *self, GError **error);
gboolean       navette_db_session_create    (NavetteDb *self, const char *username, const char *token_hash,
                                             gint64 expires_at, GError **error);
NavetteDbUser *navette_db_session_lookup    (NavetteDb *self, const char *token_hash, gint64 *expires_at,
                                             GError **error);
gboolean       navette_db_session_revoke    (NavetteDb *self, const char *token_hash, GError **error);
GHashTable    *navette_db_roles_for_user    (NavetteDb *self, const char *username, GError **error);
gboolean       navette_db_grant             (NavetteDb *self, const char *actor, const char *username,
                                             const char *app, const char *role, GError **error);
gboolean       navette_db_revoke            (NavetteDb *self, const char *actor, const char *username,
                                             const char *app, GError **error);
GPtrArray     *navette_db_app_list          (NavetteDb *self, GError **error);
gboolean       navette_db_app_add           (NavetteDb *self, const char *actor, const char *name,
                                             const char *title, GError **error);
GPtrArray     *navette_db_table_list        (NavetteDb *self, const char *app, GError **error);
gboolean       navette_db_table_add         (NavetteDb *self, const char *actor, const char *app,
                                             const NavetteWireTable *table, GError **error);
gboolean       navette_db_column_add        (NavetteDb *self, const char *actor, const char *app,
                                             const char *table, const NavetteWireColumn *column,
                                             GError **error);
gboolean       navette_db_table_state       (NavetteDb *self, const char *app, const char *table,
                                             NavetteDbTableState *out, GError **error);
GPtrArray     *navette_db_app_state         (NavetteDb *self, const char *app, GError **error);
GPtrArray     *navette_db_record_list       (NavetteDb *self, const char *app, const char *table,
                                             gint64 since, NavetteDbTableState *state, GError **error);
gboolean       navette_db_record_list_json  (NavetteDb *self, const char *app, const char *table,
                                             gint64 since, NavetteDbTableState *state, GString *out,
                                             GError **error);
NavetteWireRecord *navette_db_record_get    (NavetteDb *self, const char *app, const char *table,
                                             const char *id, GError **error);
GPtrArray     *navette_db_record_versions   (NavetteDb *self, const char *app, const char *table,
                                             const char *id, GError **error);
NavetteDbWriteResult *navette_db_record_create (NavetteDb *self, const char *app, const char *table,
                                                const char *id, JsonObject *data, const char *user,
                                                const NavetteDbIdempotency *idem, GError **error);
NavetteDbWriteResult *navette_db_record_update (NavetteDb *self, const char *app, const char *table,
                                                const char *id, gint64 base_version, JsonObject *data,
                                                int archived, const char *user,
                                                const NavetteDbIdempotency *idem,
                                                gboolean (*validate) (JsonObject *merged, gpointer user_data, GError **error),
                                                gpointer validate_data, GError **error);
NavetteDbWriteResult *navette_db_record_revert (NavetteDb *self, const char *app, const char *table,
                                                const char *id, gint64 version, const char *user,
                                                const NavetteDbIdempotency *idem, GError **error);
GPtrArray     *navette_db_audit_list        (NavetteDb *self, const char *app, gint64 after, guint limit,
                                             GError **error);
gboolean       navette_db_purge             (NavetteDb *self, gint64 older_than, GError **error);
gboolean       navette_db_record_create_many (NavetteDb *self, const char *app, const char *table,
                                              GPtrArray *data, const char *user, GError **error);

G_END_DECLS
