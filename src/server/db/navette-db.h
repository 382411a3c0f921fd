/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db.h — the storage layer of navette-server, as the rest of the
 * server sees it.
 *
 * NavetteDb is the storage core: every operation below, with its rules
 * (validation, messages, idempotency, create replays, versions, grants,
 * the audit trail), is written once in navette-db*.c over a small SQL
 * driver (navette-db-driver.h) that each backend implements:
 * NavetteDbSqlite (embedded default) and NavetteDbPg (PostgreSQL, libpq).
 * The HTTP layer only ever sees this header — no backend type, no SQL.
 *
 * Threading: the operations are synchronous and may block; the HTTP
 * layer calls them from worker threads (never from the main loop),
 * concurrently. A backend handles its own connections (one per caller,
 * pooled) and serializes writes correctly. The change notification
 * calls (navette_db_watch_changes() and the rest) belong to one main
 * context instead: the thread-default one of the first call.
 *
 * Errors: NAVETTE_API_ERROR codes, so the HTTP layer maps them to a
 * status directly: NOT_FOUND (unknown app/table/record/user/version),
 * CONFLICT (idempotency key reused with another request, create with an
 * existing id and other data, admin objects that already exist),
 * BAD_REQUEST (admin input that cannot be accepted), UNAVAILABLE (database
 * unreachable or busy past its timeout), INTERNAL (anything else; the
 * message never contains SQL or paths — the details go to the log).
 * Validation of record data against the schema is done by the caller
 * (navette_wire_validate_data) before a write. */
#pragma once

#include <glib-object.h>
#include "navette-histogram.h"
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
  gboolean  disabled;       /* sign-in refused, sessions revoked */
  gint64    created_at;     /* unix microseconds */
} NavetteDbUser;

void navette_db_user_free (NavetteDbUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbUser, navette_db_user_free)

typedef struct
{
  char     *name;
  char     *title;
  gboolean  archived;
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

/* A version of a role grant (one record per user and application). */
typedef struct
{
  char   *user;
  char   *app;
  char   *role;        /* "reader", "editor", or NULL: revoked */
  gint64  version;
  gboolean obsolete;
  gint64  updated_at;  /* unix microseconds */
  char   *updated_by;
} NavetteDbGrant;

void navette_db_grant_free (NavetteDbGrant *grant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbGrant, navette_db_grant_free)

/* An application with its tables, as administrators see it. */
typedef struct
{
  char      *name;
  char      *title;
  gboolean   archived;
  GPtrArray *tables;           /* of NavetteWireTable*, in name order */
  GArray    *tables_archived;  /* of gboolean, one per table */
} NavetteDbAppSchema;

void navette_db_app_schema_free (NavetteDbAppSchema *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteDbAppSchema, navette_db_app_schema_free)

/* A change of a user (navette_db_user_update()): NULL or -1 keeps. */
typedef struct
{
  const char *display_name;
  const char *password_hash;
  int         admin;
  int         disabled;
} NavetteDbUserChange;

#define NAVETTE_DB_USER_CHANGE_INIT { NULL, NULL, -1, -1 }

/* A change of a column's constraints (navette_db_column_update()). */
typedef struct
{
  const char  *title;       /* NULL: keep */
  int          required;    /* -1: keep */
  gboolean     set_max_length;
  gint64       max_length;  /* 0: none */
  gboolean     set_choices;
  char       **choices;
  gboolean     set_min;
  gboolean     has_min;
  double       min;
  gboolean     set_max;
  gboolean     has_max;
  double       max;
} NavetteDbColumnChange;

/* The filters of navette_db_activity(): NULL / 0 for none. */
typedef struct
{
  const char  *app;
  const char  *table;
  const char  *record;
  const char  *user;
  const char  *action;
  gint64       from;     /* at >= from (unix µs) */
  gint64       to;       /* at < to */
  gint64       before;   /* id < before: the cursor */
  const char * const *apps;  /* only these applications (an editor's); NULL: all */
} NavetteDbActivityFilter;

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
/* The class struct is the driver interface: navette-db-driver.h. */
G_DECLARE_DERIVABLE_TYPE (NavetteDb, navette_db, NAVETTE, DB, GObject)

/* The @validate callback of navette_db_record_update(). */
typedef gboolean (*NavetteDbValidateFunc) (JsonObject  *merged,
                                           gpointer     user_data,
                                           GError     **error);

/* Opens a backend: a path (SQLite) or a postgresql:// / postgres:// URL.
 * Does not migrate. */
NavetteDb     *navette_db_open               (const char *path_or_url, GError **error);
/* "sqlite" or "postgresql". */
const char    *navette_db_get_backend_name   (NavetteDb *self);

/* Schema creation and migration (idempotent: safe on every start, and
 * from several processes at once). */
gboolean       navette_db_migrate            (NavetteDb *self, GError **error);
/* The number of the newest migration applied (0 before any). */
gint64         navette_db_get_schema_version (NavetteDb *self, GError **error);
/* TRUE when the database answers (a trivial query). */
gboolean       navette_db_ping               (NavetteDb *self, GError **error);

/* How long a write waits for a lock held by another writer (of this
 * process, another server process, or a plain-SQL session) before it
 * fails with UNAVAILABLE: SQLite's busy timeout, PostgreSQL's
 * lock_timeout. Default NAVETTE_DB_DEFAULT_BUSY_TIMEOUT ms; 0: at once. */
#define NAVETTE_DB_DEFAULT_BUSY_TIMEOUT 5000
void           navette_db_set_busy_timeout   (NavetteDb *self, guint timeout_ms);
guint          navette_db_get_busy_timeout   (NavetteDb *self);

/* ---- statistics, for the server's metrics (docs/metrics.md) ----
 * Counted by every operation since the object was made. */
typedef struct
{
  guint64          reads;        /* operations that read (autocommit or one snapshot) */
  guint64          writes;       /* write transactions */
  guint64          retries;      /* attempts made again (a lost race, a dead pooled connection) */
  guint64          unavailable;  /* operations that failed UNAVAILABLE (busy past the timeout, unreachable) */
  NavetteHistogram wait;         /* each attempt's wait for a connection (PostgreSQL: the pool;
                                  * SQLite: the write gate of this process) */
} NavetteDbStats;

void           navette_db_get_stats          (NavetteDb *self, NavetteDbStats *stats);

/* ---- change notification ----
 * For caches and WebSocket push, NavetteDb tells of changes committed by
 * anyone — this process, another server process on the same database,
 * the admin commands, plain SQL:
 *
 *  - ::table-changed (app, table): a change of a content table; (NULL,
 *    NULL) means "anything may have changed", schemas and roles included
 *    (after the watch (re)connected);
 *  - ::schema-changed (app): a row of applications, content_tables or
 *    content_columns of @app was written (an application, table or
 *    column added, changed, archived);
 *  - ::roles-changed (username): a grant of @username was written.
 *
 * Changes made by others are emitted once navette_db_watch_changes() was
 * called, on the thread-default main context of that call (which must
 * run it): on PostgreSQL from the notifications of the database's
 * triggers (LISTEN), on SQLite from a check of the file every
 * NAVETTE_DB_SQLITE_WATCH_MS (PRAGMA data_version, then the revisions).
 * Schema and role changes made through this object are emitted besides,
 * whether or not anybody watches, in the thread that made them right
 * after their commit (before the call returns): their handlers must be
 * thread-safe. A change may be told more than once (by the writer, then
 * by the watch): the handlers tell repeats apart by revision. */

/* How often the SQLite backend checks the file for changes made by
 * others, while watching. */
#define NAVETTE_DB_SQLITE_WATCH_MS 500

/* Starts watching. FALSE when this backend hears of no changes but those
 * made through this object: the caller then compares the tables' states
 * itself now and then (no backend today). */
gboolean       navette_db_watch_changes      (NavetteDb *self);
/* Stops watching; every navette_db_sync_changes() still waiting is
 * answered FALSE before this returns. */
void           navette_db_unwatch_changes    (NavetteDb *self);

typedef void (*NavetteDbSyncFunc) (gboolean ok,
                                   gpointer user_data);
/* "Wait until I have seen every change committed before now": calls
 * @func (on the watch's main context, never from within this call) with
 * @ok TRUE once every change committed before this call has been emitted
 * as ::table-changed, FALSE when that cannot be known (no watch, or its
 * connection is down). The calls made in one main-loop iteration share
 * one round trip (PostgreSQL: a LISTEN connection's round trip), and
 * round trips are pipelined: none waits for those already out.
 * Returns FALSE, and never calls @func, when there is nothing to wait
 * for: the changes made through this object are known at once, and the
 * others are looked for on the watch's own clock (SQLite). */
gboolean       navette_db_sync_changes       (NavetteDb *self, NavetteDbSyncFunc func,
                                              gpointer user_data);

/* ---- users, sessions (not versioned, updated in place, audited) ---- */
/* BAD_REQUEST for a user name that is not 1 to 64 of [a-z0-9_.-] starting
 * with a letter or digit, or a display name over 200 characters; an
 * empty or NULL display name is the user name. Audited "user_add". */
gboolean       navette_db_user_add           (NavetteDb *self, const char *actor, const char *username,
                                              const char *display_name, const char *password_hash,
                                              gboolean admin, GError **error);
/* Also ends the user's sessions. Audited "user_passwd". */
gboolean       navette_db_user_set_password  (NavetteDb *self, const char *actor, const char *username,
                                              const char *password_hash, GError **error);
NavetteDbUser *navette_db_user_get           (NavetteDb *self, const char *username, GError **error);
/* Of NavetteDbUser*, in name order. */
GPtrArray     *navette_db_user_list          (NavetteDb *self, GError **error);
gboolean       navette_db_session_create     (NavetteDb *self, const char *username, const char *token_hash,
                                              gint64 expires_at, GError **error);
/* The user of a live (not revoked) session, and its expiry; NULL with
 * AUTH_REQUIRED when unknown or revoked. Expiry is checked by the caller
 * (so it can say auth_expired). */
NavetteDbUser *navette_db_session_lookup     (NavetteDb *self, const char *token_hash, gint64 *expires_at,
                                              GError **error);
gboolean       navette_db_session_revoke     (NavetteDb *self, const char *token_hash, GError **error);

/* Users in name order after @after (NULL: from the first), at most
 * @limit; *@next the cursor of the next page, NULL on the last. */
GPtrArray     *navette_db_user_page          (NavetteDb *self, const char *after, guint limit,
                                              char **next, GError **error);
/* Changes a user in place, in one transaction: each change audited
 * ("user_rename", "user_passwd", "user_admin", "user_unadmin",
 * "user_disable", "user_enable"); a new password or disabling ends the
 * user's sessions at once; a change of the admin flag, or ended
 * sessions, are told as ::roles-changed (so that her open sockets are
 * checked again). NOT_FOUND without such a user; BAD_REQUEST for a
 * display name over 200 characters, or an administrator taking her own
 * admin flag away or disabling herself (@actor). Returns the user as
 * she is now. */
NavetteDbUser *navette_db_user_update        (NavetteDb *self, const char *actor, const char *username,
                                              const NavetteDbUserChange *change, GError **error);

/* ---- roles: a versioned table of grants, one record per (user, app) ---- */
/* app name → "reader" | "editor" for the user (admins: not expanded);
 * archived applications left out. */
GHashTable    *navette_db_roles_for_user     (NavetteDb *self, const char *username, GError **error);
/* The role she has already: nothing written. Audited "grant". */
gboolean       navette_db_grant              (NavetteDb *self, const char *actor, const char *username,
                                              const char *app, const char *role, GError **error);
/* NOT_FOUND without a role. Audited "revoke". */
gboolean       navette_db_revoke             (NavetteDb *self, const char *actor, const char *username,
                                              const char *app, GError **error);
/* The current grants (revoked ones left out), of @app and/or @username
 * (NULL: any), by application then user. Of NavetteDbGrant*. */
GPtrArray     *navette_db_grant_list         (NavetteDb *self, const char *app, const char *username,
                                              GError **error);
/* Every version of the grant of @username in @app, newest first; NOT_FOUND
 * when there never was one. Of NavetteDbGrant*. */
GPtrArray     *navette_db_grant_versions     (NavetteDb *self, const char *app, const char *username,
                                              GError **error);
/* A new version with the role of @version (a revocation when it had
 * none); nothing written when that is the role now. Audited
 * "grant_revert". NOT_FOUND for an unknown version. Returns the current
 * version. */
NavetteDbGrant *navette_db_grant_revert      (NavetteDb *self, const char *actor, const char *app,
                                              const char *username, gint64 version, GError **error);

/* ---- applications and table schemas ----
 * An archived application or table is kept with its data but left out of
 * what people see: navette_db_app_list, navette_db_table_list and the
 * content operations (NOT_FOUND) skip it; the admin calls below show it. */
/* Of NavetteDbApp*, in name order, archived ones left out. */
GPtrArray     *navette_db_app_list           (NavetteDb *self, GError **error);
/* Every application, archived ones included, with its tables (archived
 * ones included) and columns. Of NavetteDbAppSchema*, in name order. */
GPtrArray     *navette_db_app_schemas        (NavetteDb *self, GError **error);
/* @title NULL: keep; @archived -1: keep. Audited "app_retitle",
 * "app_archive", "app_unarchive"; NOT_FOUND without such an application. */
gboolean       navette_db_app_update         (NavetteDb *self, const char *actor, const char *app,
                                              const char *title, int archived, GError **error);
/* The same for a table: "table_retitle", "table_archive", "table_unarchive". */
gboolean       navette_db_table_update       (NavetteDb *self, const char *actor, const char *app,
                                              const char *table, const char *title, int archived,
                                              GError **error);
/* Changes a column's title and constraints when the rows allow it:
 * VALIDATION_FAILED "N records …" when current versions of N records
 * would break the new constraint (nothing written). The type and name
 * never change. Audited "column_change". */
gboolean       navette_db_column_update      (NavetteDb *self, const char *actor, const char *app,
                                              const char *table, const char *column,
                                              const NavetteDbColumnChange *change, GError **error);
/* A NULL or empty title is the name. Audited "app_add". */
gboolean       navette_db_app_add            (NavetteDb *self, const char *actor, const char *name,
                                              const char *title, GError **error);
/* Of NavetteWireTable*, in name order. */
GPtrArray     *navette_db_table_list         (NavetteDb *self, const char *app, GError **error);
/* At least one column; names valid, not reserved, not twice; a maximum
 * length on text columns only; titles at most 200 characters. Audited
 * "table_add". */
gboolean       navette_db_table_add          (NavetteDb *self, const char *actor, const char *app,
                                              const NavetteWireTable *table, GError **error);
/* A required column on a table that has rows → BAD_REQUEST (there is no
 * value to give the existing records). Audited "column_add". */
gboolean       navette_db_column_add         (NavetteDb *self, const char *actor, const char *app,
                                              const char *table, const NavetteWireColumn *column,
                                              GError **error);
/* The same, with @default (a JSON value that fits the column, or NULL)
 * written into the existing rows (every version, as the value they had
 * for a column that did not exist); a required column on a table with
 * rows needs one (BAD_REQUEST without). */
gboolean       navette_db_column_add_with_default (NavetteDb *self, const char *actor, const char *app,
                                                   const char *table, const NavetteWireColumn *column,
                                                   JsonNode *default_value, GError **error);

/* ---- the light check ---- */
gboolean       navette_db_table_state        (NavetteDb *self, const char *app, const char *table,
                                              NavetteDbTableState *out, GError **error);
/* Of NavetteDbTableState*, in table name order; *@schema_revision (may
 * be NULL): the revision of the application's schema, which grows with
 * every application, table or column row written (0 before any). */
GPtrArray     *navette_db_app_state          (NavetteDb *self, const char *app, gint64 *schema_revision,
                                              GError **error);

/* ---- records ---- */
/* Current version of every record (archived included), or only those
 * whose current version has revision > @since when @since >= 0. Sets
 * the table's revision and last_update as read in the same snapshot. */
GPtrArray     *navette_db_record_list        (NavetteDb *self, const char *app, const char *table,
                                              gint64 since, NavetteDbTableState *state, GError **error);
/* Appends to @out the JSON array ("[…]") of what record_list returns,
 * each record as navette_wire_record_append_json writes it (without
 * "obsolete"), in the same order, written straight from the rows. On
 * error @out may hold a partial array. */
gboolean       navette_db_record_list_json   (NavetteDb *self, const char *app, const char *table,
                                              gint64 since, NavetteDbTableState *state, GString *out,
                                              GError **error);
/* ---- pages of a list (docs/api.md, "Paging") ----
 * A walk through a table's records is a series of pages, each read in
 * its own snapshot: the first page fixes the walk's revision R (the
 * table's revision then), and every page gives, in ascending revision,
 * the records as they were at revision R (each one's version current at
 * R; records created after R are left out), past the last row of the
 * page before. So within one walk no record is given twice or skipped,
 * whatever is written meanwhile; what changed after R is in the next
 * delta (since = R). The cursor that says where a page stopped is an
 * opaque string, made and checked here: BAD_REQUEST when @after is not
 * a cursor of this list. */
typedef struct
{
  gint64      since;  /* -1: every record; else those whose version at R was written after it */
  guint       limit;  /* rows per page at most; 0: no limit */
  const char *after;  /* a page's next cursor, or NULL for the first page */
} NavetteDbPage;

/* Appends to @out the JSON array of the page's records (as
 * navette_db_record_list_json writes them); @state gets the walk's
 * revision and last_update (those of its first page), *@next the cursor
 * of the page after, or NULL when this one is the last. */
gboolean       navette_db_record_page_json   (NavetteDb *self, const char *app, const char *table,
                                              const NavetteDbPage *page, NavetteDbTableState *state,
                                              GString *out, char **next, GError **error);
NavetteWireRecord *navette_db_record_get     (NavetteDb *self, const char *app, const char *table,
                                              const char *id, GError **error);
/* Newest first, with obsolete set. */
GPtrArray     *navette_db_record_versions    (NavetteDb *self, const char *app, const char *table,
                                              const char *id, GError **error);
/* A page of them: at most @limit (0: all) older than where the page of
 * the cursor @after stopped (NULL: from the newest); *@next as for
 * navette_db_record_page_json. Versions written during the walk are
 * newer than its first page: none is given twice or skipped. */
GPtrArray     *navette_db_record_versions_page (NavetteDb *self, const char *app, const char *table,
                                                const char *id, guint limit, const char *after,
                                                char **next, GError **error);
/* @id: the client's UUID or NULL (one is generated). @data has been
 * validated. Same id with the data version 1 had → result->created =
 * FALSE and the record as it is now (no write); other data → CONFLICT. */
NavetteDbWriteResult *navette_db_record_create (NavetteDb *self, const char *app, const char *table,
                                                const char *id, JsonObject *data, const char *user,
                                                const NavetteDbIdempotency *idem, GError **error);
/* @data: columns to change (may be NULL); @archived: -1 keep, 0/1 set.
 * Merges into the current version, writes version + 1, marks the old one
 * obsolete, audits ("update", or "archive" when archived goes to TRUE),
 * in one transaction. @base_version older than current → still applied,
 * result->superseded lists the versions in (base_version, current];
 * newer than current → BAD_REQUEST. @validate is called with the merged
 * data (inside the transaction) and may refuse it by returning FALSE
 * with an error. */
NavetteDbWriteResult *navette_db_record_update (NavetteDb *self, const char *app, const char *table,
                                                const char *id, gint64 base_version, JsonObject *data,
                                                int archived, const char *user,
                                                const NavetteDbIdempotency *idem,
                                                NavetteDbValidateFunc validate,
                                                gpointer validate_data, GError **error);
/* New version whose data (and archived flag) is that of @version;
 * audited "revert". That data is checked against the table's schema as
 * it is now, as an update's is (a column may have become required, or
 * shorter, since): VALIDATION_FAILED when it does not fit, with *@fields
 * (when not NULL) column → problem, as navette_wire_validate_data gives
 * them. */
NavetteDbWriteResult *navette_db_record_revert (NavetteDb *self, const char *app, const char *table,
                                                const char *id, gint64 version, const char *user,
                                                const NavetteDbIdempotency *idem, GHashTable **fields,
                                                GError **error);
/* Creates one record per element of @data (JsonObject*, validated), with
 * generated ids, at version 1, audited "create", all in ONE transaction:
 * demo data, imports, benchmarks. */
gboolean       navette_db_record_create_many (NavetteDb *self, const char *app, const char *table,
                                              GPtrArray *data, const char *user, GError **error);

/* ---- audit and housekeeping ---- */
/* Of NavetteDbAuditEntry*, ascending id, after @after, at most @limit
 * (0: 100); of one application, or all when @app is NULL. */
GPtrArray     *navette_db_audit_list         (NavetteDb *self, const char *app, gint64 after, guint limit,
                                              GError **error);
/* The activity: entries matching @filter, newest first (descending id),
 * at most @limit (0: 100); *@next the cursor (an id, as text) to pass as
 * filter->before for the next page, NULL on the last. */
GPtrArray     *navette_db_activity           (NavetteDb *self, const NavetteDbActivityFilter *filter,
                                              guint limit, char **next, GError **error);

/* Idempotency of administration writes: the answer (status and body)
 * stored for (@username, @key). navette_db_admin_key_get: TRUE with
 * *@status and *@body when the key was used with @request_hash, FALSE
 * with *@status 0 when it was not used, CONFLICT when it was used with
 * another request. navette_db_admin_key_put records it after the write
 * (a key used at once by two writes keeps the first). */
gboolean       navette_db_admin_key_get      (NavetteDb *self, const char *username, const char *key,
                                              const char *request_hash, guint *status, char **body,
                                              GError **error);
gboolean       navette_db_admin_key_put      (NavetteDb *self, const char *username, const char *key,
                                              const char *request_hash, guint status, const char *body,
                                              GError **error);

/* Removes the idempotency keys made before @older_than (unix µs), and the
 * sessions that expired before it: a session is kept as long as the keys
 * once expired, so that its client is told it expired, not that it is
 * unknown. */
gboolean       navette_db_purge              (NavetteDb *self, gint64 older_than, GError **error);

G_END_DECLS
