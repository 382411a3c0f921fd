/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteJournal — the changes the server has not accepted yet, on disk:
 * the outbox of the account's replica.
 *
 * One journal per server and user: the table outbox (seq INTEGER PRIMARY
 * KEY, key TEXT UNIQUE, entry TEXT) of DATA_DIR/KEY/replica.db (the path
 * from navette_replica_path_for()). It holds entries — JSON objects, one
 * per change, each with a unique "key" (the change's idempotency key) —
 * in the order they were first put: the order in which the changes were
 * made, hence the order in which those of one record must be sent. A
 * replaced entry keeps its place (its seq).
 *
 * The interface is entry-level (put, remove, look up, list), so the
 * middleware does not know the storage. The entries are kept in memory;
 * each write is ONE transaction on the journal's own SQLite connection
 * (WAL, synchronous=FULL: committed means on the disk), run on a worker
 * thread, that adds, replaces or removes the entries that differ from
 * what the outbox holds. Writes are coalesced: while one is running,
 * further puts and removes are gathered into the next one. The replica's
 * own connection (NavetteReplica's worker) may write to the same file at
 * the same time: each write begins IMMEDIATE and waits for the lock (a
 * busy timeout of 60 s), so neither can deadlock the other.
 *
 * Each put or remove returns a ticket; the change it describes is
 * DURABLE — it survives a crash or a power cut — once
 * navette_journal_is_durable() says so for that ticket ("written" is then
 * emitted with durable TRUE). Entries this process does not understand
 * (written by a newer version, or for a table that is gone) are kept as
 * they are.
 *
 * Whose: the outbox_account table names the server and user the outbox
 * belongs to; an outbox of another server or user (a hash collision of
 * KEY) is never read nor written.
 *
 * Before the outbox (until issue 14), the journal was a JSON file beside
 * it, DATA_DIR/KEY/pending.json ({"format": 2, "server": URL, "user":
 * NAME, "changes": [ENTRY…]}). The load moves it into the outbox once
 * (see navette_journal_load()). */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_JOURNAL (navette_journal_get_type ())
G_DECLARE_FINAL_TYPE (NavetteJournal, navette_journal, NAVETTE, JOURNAL, GObject)

NavetteJournal *navette_journal_new           (const char     *path,
                                               const char     *server,
                                               const char     *user);
/* "write-error" (GError, read-only, notified): why the last write failed
 * (disk full, a directory that cannot be written…), NULL once a write
 * works again. While it is set, what the journal holds is only in
 * memory: changes not yet accepted are lost if the process ends. */
const GError   *navette_journal_get_write_error (NavetteJournal *self);

/* Opens the outbox of the database at @path (made, 0600 in a 0700
 * directory, when missing: the tables are made by the first load, the
 * only time a load writes apart from the migration) and reads it, on the
 * calling thread (it is small). Then the journal of before, a
 * pending.json beside @path, is moved in once: its entries not in the
 * outbox yet are added in their order and committed, the file is
 * removed and its directory synced (a crash between the two adds
 * nothing twice). A pending.json that cannot be parsed is renamed
 * pending.json.unreadable (nothing is lost) and the journal goes on.
 * FALSE with @error for an outbox (or pending.json) of another server or
 * user, a database that cannot be opened, or a pending.json that cannot
 * be read, or parsed nor moved aside: then the journal must not be used.
 * Call once, before any put. */
gboolean        navette_journal_load          (NavetteJournal *self,
                                               GError        **error);

/* The entries, oldest first. (transfer container): JsonObject*. */
GPtrArray      *navette_journal_dup_entries   (NavetteJournal *self);
guint           navette_journal_get_n_entries (NavetteJournal *self);
/* (transfer none) or NULL. */
JsonObject     *navette_journal_lookup        (NavetteJournal *self,
                                               const char     *key);

/* Adds @entry (its "key" member names it) or replaces the entry of that
 * key in place. Returns the ticket of the write that makes it durable.
 * @entry is written as it is now: it must not be changed afterwards (put
 * a new one instead). */
guint64         navette_journal_put           (NavetteJournal *self,
                                               JsonObject     *entry);
/* Removes the entry of @key (nothing when there is none). */
guint64         navette_journal_remove        (NavetteJournal *self,
                                               const char     *key);
gboolean        navette_journal_is_durable    (NavetteJournal *self,
                                               guint64         ticket);

/* Waits until everything put or removed so far is on disk. */
void            navette_journal_flush_async   (NavetteJournal      *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean        navette_journal_flush_finish  (NavetteJournal      *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* TRUE once the write of @ticket was tried, whether it worked or not. */
gboolean        navette_journal_is_written    (NavetteJournal *self,
                                               guint64         ticket);

/* Signal "written" (guint64 ticket, gboolean durable): a write ended;
 * every put and remove up to @ticket is on disk when @durable, otherwise
 * the write failed (disk full, …: see "write-error"), the entries stay in
 * memory and the next put writes them again. */

/* TEST HOOK (fault injection), never called by the app: while @fail is
 * TRUE, every journal's write fails as a disk that refuses writes makes
 * it fail ("Could not write …/replica.db: disk I/O error"; the
 * transaction is rolled back, nothing is committed). The environment
 * variable NAVETTE_TEST_OUTBOX_FAIL=1, read at the first write of the
 * process unless this was called before, sets it for a whole process
 * (the CLI's tests). It exists because SQLite's writes cannot be made to
 * fail on demand otherwise: tests run as root, whom file modes do not
 * stop, and a full file system needs a mount. Loads are not affected. */
void            navette_journal_set_test_fail_writes (gboolean fail);

G_END_DECLS
