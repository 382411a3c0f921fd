/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal API shared by the engine's objects. Not for the UI or the CLI. */
#pragma once

#include "navette-engine.h"

G_BEGIN_DECLS

/* navette-sync-error.c */
void           navette_sync_error_set_fields      (GError            *error,
                                                   GHashTable        *fields);
GError        *navette_sync_error_from_api        (guint              status,
                                                   GBytes            *body);
GError        *navette_sync_error_localize_fields (const GError      *error,
                                                   GHashTable        *local);

/* navette-record.c: a server state kept compactly — the data as compact
 * JSON text, turned into a JsonObject only when someone looks at it (a
 * JsonObject costs about 1 KiB; 100 000 of them do not fit the budget). */
typedef struct
{
  char       *id;
  gint64      version;
  gint64      revision;
  gint64      updated_at;
  const char *updated_by;  /* interned */
  char       *data_json;   /* the data object, compact JSON */
  gboolean    archived;
} NavettePackedRecord;

NavettePackedRecord *navette_packed_record_new_from_wire (const NavetteWireRecord *wire);
NavettePackedRecord *navette_packed_record_copy   (const NavettePackedRecord *packed);
/* One page of a record list (docs/api.md, "Paging"): its records are
 * appended to @records (unsorted); *@next gets the page's cursor or NULL. */
gboolean       navette_packed_records_decode_page (const char        *text,
                                                   gsize              len,
                                                   GPtrArray         *records,
                                                   gint64            *revision,
                                                   char             **next,
                                                   GError           **error);
/* Sorts by id; a record given twice keeps its newer version. Returns how
 * many were dropped as repeated. */
guint          navette_packed_records_sort        (GPtrArray         *records);
void           navette_packed_record_free         (NavettePackedRecord *packed);
/* A new JsonObject of the data. */
JsonObject    *navette_packed_record_unpack_data  (const NavettePackedRecord *packed);
NavetteWireRecord *navette_packed_record_to_wire  (const NavettePackedRecord *packed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavettePackedRecord, navette_packed_record_free)

NavetteRecord *navette_record_new_for_id          (const char        *id);
/* Takes @packed. */
NavetteRecord *navette_record_new_from_packed     (NavettePackedRecord *packed);
/* The last server state (NULL for an optimistic create). */
const NavettePackedRecord *navette_record_get_server (NavetteRecord  *self);
/* Sets the server state and recomputes. Returns TRUE when what the record
 * shows changed. A state older than the one kept is ignored. */
gboolean       navette_record_set_server          (NavetteRecord     *self,
                                                   NavetteWireRecord *wire);
/* The same, taking @packed. */
gboolean       navette_record_set_server_packed   (NavetteRecord     *self,
                                                   NavettePackedRecord *packed);
/* TRUE when @packed is the same version as the server state kept. */
gboolean       navette_record_same_server         (NavetteRecord     *self,
                                                   const NavettePackedRecord *packed);
/* A placeholder (navette_record_new_for_id ("")) handed out before its
 * row was read: takes its id (notified) and @packed as its server state.
 * Takes @packed. */
void           navette_record_fill_placeholder    (NavetteRecord     *self,
                                                   NavettePackedRecord *packed);
/* The pending changes on this record, in order (NavetteChange*). */
GPtrArray     *navette_record_get_pending         (NavetteRecord     *self);
/* Puts @change among the pending changes in the order they were made
 * (navette_change_get_sequence()): a retried change goes before those
 * made after it. */
void           navette_record_insert_pending      (NavetteRecord     *self,
                                                   NavetteChange     *change);
void           navette_record_remove_pending      (NavetteRecord     *self,
                                                   NavetteChange     *change);
void           navette_record_set_error           (NavetteRecord     *self,
                                                   const GError      *error);
/* Recomputes the shown values: server state + pending changes in order.
 * Notifies what changed; returns TRUE when something did. */
gboolean       navette_record_recompute           (NavetteRecord     *self);

/* navette-change.c */
NavetteChange *navette_change_new                 (NavetteChangeKind  kind,
                                                   NavetteStore      *store,
                                                   NavetteTable      *table,
                                                   const char        *record_id,
                                                   JsonObject        *data,
                                                   gint64             revert_version);
void           navette_change_set_state           (NavetteChange     *self,
                                                   NavetteChangeState state,
                                                   const GError      *error);
void           navette_change_set_record          (NavetteChange     *self,
                                                   NavetteRecord     *record);
void           navette_change_set_result          (NavetteChange     *self,
                                                   NavetteWireRecord *result);
void           navette_change_add_attempt         (NavetteChange     *self);
void           navette_change_set_base_version    (NavetteChange     *self,
                                                   gint64             version);
void           navette_change_set_waiting         (NavetteChange     *self,
                                                   gboolean           waiting);
void           navette_change_set_journaled       (NavetteChange     *self,
                                                   gboolean           journaled);
/* Takes @versions. */
void           navette_change_set_superseded      (NavetteChange     *self,
                                                   GArray            *versions,
                                                   const char        *by,
                                                   gint64             at);
void           navette_change_reset_attempts      (NavetteChange     *self);
/* Grows with each change made in this process (main thread only): the
 * order in which they were made, kept by a retry. */
guint64        navette_change_get_sequence        (NavetteChange     *self);
/* The values the change overwrote when it was applied (for the report). */
void           navette_change_set_previous        (NavetteChange     *self,
                                                   JsonObject        *previous);
/* Applies the change's effect onto @data / @archived (the recompute). */
void           navette_change_apply_to            (NavetteChange     *self,
                                                   JsonObject        *data,
                                                   gboolean          *archived);

/* navette-table.c */
NavetteTable  *navette_table_new                  (NavetteStore      *store,
                                                   NavetteWireTable  *schema);
/* Replaces the schema (same name). */
void           navette_table_set_schema           (NavetteTable      *self,
                                                   NavetteWireTable  *schema);
/* Emits items-changed for the row of @record (after it changed in
 * place). */
void           navette_table_record_changed       (NavetteTable      *self,
                                                   NavetteRecord     *record);
/* Inserts a record (optimistic create) at its sorted place. */
void           navette_table_insert_record        (NavetteTable      *self,
                                                   NavetteRecord     *record);
void           navette_table_remove_record        (NavetteTable      *self,
                                                   NavetteRecord     *record);
/* Applies a list of NavettePackedRecord (sorted by id; taken: the array's
 * elements are stolen and set to NULL) as a reload; @full also
 * removes rows the server no longer has. Returns the number of rows
 * changed; @changed (optional) receives the inserted/updated records. */
guint          navette_table_apply_records        (NavetteTable      *self,
                                                   GPtrArray         *wire_records,
                                                   gboolean           full,
                                                   gint64             revision,
                                                   GPtrArray         *changed);
/* Remembers that @id at @version was written by this client. */
void           navette_table_mark_own             (NavetteTable      *self,
                                                   const char        *id,
                                                   gint64             version);
gboolean       navette_table_is_own               (NavetteTable      *self,
                                                   const char        *id,
                                                   gint64             version);
/* Called by the poller: the server's revision of this table (from the
 * light check). */
gint64         navette_table_get_server_revision  (NavetteTable      *self);
void           navette_table_set_server_revision  (NavetteTable      *self,
                                                   gint64             revision);

/* navette-middleware.c: the journal of pending and failed changes (NULL
 * turns it off). */
void           navette_middleware_set_journal     (NavetteMiddleware *self,
                                                   NavetteJournal    *journal);
NavetteJournal *navette_middleware_get_journal    (NavetteMiddleware *self);
/* Puts a change read from the journal back: sent again (with @body, the
 * exact request sent before, when not NULL) or, with @error, into the
 * failed list. */
void           navette_middleware_replay          (NavetteMiddleware *self,
                                                   NavetteChange     *change,
                                                   JsonNode          *body,
                                                   const GError      *error);
/* Takes every change out (waiting or failed), as if never made, without
 * touching the journal (turn it off first): they are another user's,
 * kept in their journal. */
void           navette_middleware_drop_all        (NavetteMiddleware *self);
/* The changes waiting now were held for a reason the middleware did not
 * see (put back before the load): @offline, the server could not be
 * reached meanwhile (the toast says so once they are saved); otherwise
 * nothing is said when they are. */
void           navette_middleware_note_held       (NavetteMiddleware *self,
                                                   gboolean           offline);
gboolean       navette_change_kind_from_string    (const char        *text,
                                                   NavetteChangeKind *kind);
/* navette-change.c: a change read back from the journal keeps its key. */
void           navette_change_set_idempotency_key (NavetteChange     *self,
                                                   const char        *key);

/* navette-table.c: "cached" — the table is shown from the replica
 * before the engine is loaded (navette_engine_open_saved_async()). */
void           navette_table_set_cached           (NavetteTable      *self,
                                                   gboolean           cached);

/* navette-replica-feed.c: a feed that shows the replica's rows but does
 * not sync until released (made before the engine is loaded). */
NavetteReplicaFeed *navette_replica_feed_new_held (NavetteReplica    *replica,
                                                   NavetteClient     *client,
                                                   NavetteTable      *table);
void           navette_replica_feed_release       (NavetteReplicaFeed *self);

/* navette-replica.c: takes group and other permissions away from the
 * replica's file @path and its -wal and -shm (by name: no descriptor). */
gboolean       navette_replica_file_make_private  (const char        *path,
                                                   GError           **error);

/* navette-replica-query.c: how a searched view's keys are found (tests
 * compare the two ways' answers; AUTO picks by the number of matches). */
typedef enum
{
  NAVETTE_REPLICA_SEARCH_AUTO,
  NAVETTE_REPLICA_SEARCH_JOIN,    /* SQL: the FTS rows joined, sorted */
  NAVETTE_REPLICA_SEARCH_BITMAP,  /* the view's order filtered by the matches */
} NavetteReplicaSearchPlan;
void           navette_replica_set_search_plan    (NavetteReplica    *self,
                                                   NavetteReplicaSearchPlan plan);

/* navette-store.c: a table known from the replica (takes @schema); the store counts as
 * loaded until the server's list replaces it. */
NavetteTable  *navette_store_add_cached_table     (NavetteStore      *self,
                                                   NavetteWireTable  *schema);

/* navette-store.c */
NavetteStore  *navette_store_new                  (NavetteClient     *client,
                                                   const char        *name,
                                                   const char        *title,
                                                   NavetteRole        role);
void           navette_store_set_title            (NavetteStore      *self,
                                                   const char        *title);
void           navette_store_set_role             (NavetteStore      *self,
                                                   NavetteRole        role);
/* For the poller's light check: the ETag last seen. */
const char    *navette_store_get_etag             (NavetteStore      *self);
void           navette_store_emit_table_changed   (NavetteStore      *self,
                                                   NavetteTable      *table,
                                                   guint              n_by_others,
                                                   GPtrArray         *records);
/* The application's schema_revision seen by the last light check (-1:
 * none yet). */
gint64         navette_store_get_schema_revision  (NavetteStore      *self);
void           navette_store_set_schema_revision  (NavetteStore      *self,
                                                   gint64             revision);
void           navette_store_set_etag             (NavetteStore      *self,
                                                   const char        *etag);

/* navette-client-walk.c: the record list in the packed form (GPtrArray of
 * NavettePackedRecord*, sorted by id). */
GPtrArray     *navette_client_list_records_finish_packed (NavetteClient *self,
                                                          GAsyncResult  *result,
                                                          gint64        *revision,
                                                          GError       **error);
/* navette-client.c: opens the push socket (GET /api/v1/events, subprotocol
 * navette.v1, the bearer token). _finish returns the connection (transfer
 * full); NOT_FOUND when the server offers no push, AUTH_REQUIRED on 401. */
void           navette_client_events_connect_async (NavetteClient     *self,
                                                    GCancellable      *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer           user_data);
SoupWebsocketConnection *navette_client_events_connect_finish (NavetteClient *self,
                                                    GAsyncResult      *result,
                                                    GError           **error);
/* navette-client-walk.c: the record list, every page of it (following
 * "next"), each read piecewise: @progress is called on the main context
 * as a page's bytes arrive (@expected: the page's Content-Length, 0 when
 * unknown), @page before each page. The revision is the first page's. */
typedef void (*NavetteProgressFunc) (guint64  received,
                                     guint64  expected,
                                     gpointer user_data);
/* The walk of a paged list: called on the main context before each page
 * is asked for, with @rows received in the earlier pages and the page's
 * index (0 for the first). */
typedef void (*NavettePageFunc)     (guint    rows,
                                     guint    page,
                                     gpointer user_data);
void           navette_client_list_records_progress_async (NavetteClient       *self,
                                                           const char          *app,
                                                           const char          *table,
                                                           gint64               since,
                                                           NavetteProgressFunc  progress,
                                                           NavettePageFunc      page,
                                                           gpointer             progress_data,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
/* navette-client-walk.c: the same walk handing each page over as it comes
 * (the replica): @sink gets the page's NavettePackedRecord* (transfer
 * full), the walk's revision, whether it is the last page, and the walk
 * (transfer full), which asks for the next page only once
 * navette_client_walk_resume() is called (with NULL, or an error (taken)
 * that ends the walk). Memory: one page. */
typedef void (*NavettePageSinkFunc) (GPtrArray *records,
                                     gint64     revision,
                                     gboolean   last,
                                     GTask     *walk,
                                     gpointer   user_data);
void           navette_client_walk_records_async  (NavetteClient       *self,
                                                   const char          *app,
                                                   const char          *table,
                                                   gint64               since,
                                                   NavettePageSinkFunc  sink,
                                                   gpointer             sink_data,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
void           navette_client_walk_resume         (GTask               *walk,
                                                   GError              *error);
gboolean       navette_client_walk_records_finish (NavetteClient       *self,
                                                   GAsyncResult        *result,
                                                   gint64              *revision,
                                                   GError             **error);
/* navette-client.c: byte counting for requests made elsewhere. */
void           navette_client_add_bytes           (NavetteClient     *self,
                                                   guint64            n);

/* NavetteEngine's instance, shared by navette-engine.c and
 * navette-engine-replica.c. */
struct _NavetteEngine
{
  GObject            parent_instance;

  NavetteClient     *client;
  NavetteSession    *session;
  NavetteMiddleware *middleware;
  NavettePoller     *poller;
  GListStore        *stores;      /* NavetteStore */
  gboolean           me_in_flight; /* a `me` check of a poll round */
  GHashTable        *schema_apps;  /* apps whose tables are read again after
                                    * the running schema reload; NULL: none
                                    * running */
  GHashTable        *schema_next;  /* … after the next one (asked meanwhile) */
  gboolean           schema_all;   /* every loaded store (F5, roles) */
  gboolean           loaded;
  char              *data_dir;    /* NULL: no journal */
  char              *account_key; /* of the journal in use */
  char              *account_url; /* names the server there; NULL: base URL */
  gboolean           journal_replayed;
  GHashTable        *replayed;    /* keys of the journal's changes put back */
  gboolean           journal_held; /* put back before the load: they wait
                                    * for it */
  gboolean           held_offline; /* … and the server did not answer */
  gboolean           cache_failure_said;
  gboolean           session_expired; /* until the same user signs in again */
  char              *loaded_user;     /* whose changes this engine holds */
  GCancellable      *cancellable; /* of the requests the engine starts itself;
                                   * cancelled on dispose */
  NavetteReplica    *replica;     /* of the loaded user; NULL until asked */
  char              *replica_user; /* whose replica it is */
  gboolean           replica_failed; /* it could not be opened (said once) */
  gboolean           structure_saved; /* since the last load */
  GHashTable        *feeds;       /* "APP/TABLE" → NavetteReplicaFeed */
};

/* navette-poller.c: @ms ±10 %, drawn anew each time, so that the waits of
 * many clients that started together (a server restart) do not stay in
 * step and bring them back at the same instant. */
guint          navette_jitter_ms                  (guint64            ms);

/* navette-engine.c */
const char   *_navette_engine_account_url       (NavetteEngine *self);
void          _navette_engine_cache_failed      (NavetteEngine *self,
                                                 const GError  *error);
NavetteStore *_navette_engine_adopt_store       (NavetteEngine *self,
                                                 NavetteStore  *store);
/* navette-engine-replica.c */
void          _navette_engine_drop_replica_app  (NavetteEngine *self,
                                                 NavetteStore  *store);
void          _navette_engine_save_structure    (NavetteEngine *self);
void          _navette_engine_release_feeds     (NavetteEngine *self);
/* navette-engine.c: at an open_saved start, the journal of @user (NULL
 * and @error: it could not be opened) put back on the cached tables,
 * waiting for the load; @edited: the records it changes, from the
 * replica (see open_saved_journal()). */
void          _navette_engine_put_back_saved    (NavetteEngine  *self,
                                                 const char     *user,
                                                 NavetteJournal *journal,
                                                 const GError   *error,
                                                 GPtrArray      *edited);

/* NavetteClient internals shared by navette-client.c (requests) and
 * navette-client-walk.c (record lists and their pages). */
/* Runs in the worker thread (or inline for small bodies): turns the
 * parsed root into the result. Returns NULL with @error set on failure. */
typedef gpointer (*NavetteParseFunc) (JsonNode  *root,
                                      gpointer   parse_data,
                                      GError   **error);

/* Like NavetteParseFunc, but given the raw body (to parse it piecewise). */
typedef gpointer (*NavetteRawParseFunc) (GBytes    *body,
                                         gpointer   parse_data,
                                         GError   **error);

GError *_navette_client_serialization_error (void);
void     _navette_client_send_async          (NavetteClient       *self,
                                              const char          *method,
                                              const char          *path,
                                              JsonNode            *body,
                                              const char          *idempotency_key,
                                              const char          *if_none_match,
                                              NavetteParseFunc     parse,
                                              NavetteRawParseFunc  raw_parse,
                                              gpointer             parse_data,
                                              GDestroyNotify       parse_data_free,
                                              GDestroyNotify       result_free,
                                              gpointer             source_tag,
                                              NavetteProgressFunc  progress,
                                              gpointer             progress_data,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);

G_END_DECLS
