/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteJournal — the changes the server has not accepted yet, on disk.
 *
 * One journal per server and user (DIR/KEY/pending.json). It holds
 * entries — JSON objects, one per change, each with a unique "key" (the
 * change's idempotency key) — in the order they were first put: the
 * order in which the changes were made, hence the order in which those of
 * one record must be sent.
 *
 * The interface is entry-level on purpose (put, remove, look up, list), so
 * that another storage (an SQLite replica) can take the place of the file
 * without the middleware noticing. This implementation keeps the entries
 * in memory and rewrites the whole file after each change, in a worker
 * thread: a temporary file is written and fsync()ed, renamed over the old
 * one, and the directory is fsync()ed. Writes are coalesced: while one is
 * running, further puts and removes are gathered into the next one.
 *
 * Each put or remove returns a ticket; the change it describes is
 * DURABLE — it survives a crash or a power cut — once
 * navette_journal_is_durable() says so for that ticket ("written" is then
 * emitted with durable TRUE). Entries this process does not understand (written by a newer
 * version, or for a table that is gone) are kept as they are.
 *
 * The file: {"format": 2, "server": URL, "user": NAME, "changes": [ENTRY…]}.
 * A file written for another server or user is never read. */
#pragma once

#include "navette-engine-types.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_JOURNAL (navette_journal_get_type ())
G_DECLARE_FINAL_TYPE (NavetteJournal, navette_journal, NAVETTE, JOURNAL, GObject)

NavetteJournal *navette_journal_new           (const char     *path,
                                               const char     *server,
                                               const char     *user);
const char     *navette_journal_get_path      (NavetteJournal *self);
const char     *navette_journal_get_server    (NavetteJournal *self);
const char     *navette_journal_get_user      (NavetteJournal *self);
/* "write-error" (GError, read-only, notified): why the last write failed
 * (disk full, a directory that cannot be written…), NULL once a write
 * works again. While it is set, what the journal holds is only in
 * memory: changes not yet accepted are lost if the process ends. */
const GError   *navette_journal_get_write_error (NavetteJournal *self);

/* Reads the file (small: read on the calling thread). A missing file is
 * an empty journal; a file of another server or user, or one that cannot
 * be parsed, is left alone on disk (renamed to pending.json.unreadable
 * when it cannot be parsed, so that nothing is lost) and the journal
 * starts empty. FALSE with @error for another server's or user's file,
 * a file that cannot be read, or one that cannot be parsed nor moved
 * aside: then it must not be used. Call once, before any put. */
gboolean        navette_journal_load          (NavetteJournal *self,
                                               GError        **error);

/* The entries, oldest first. (transfer container): JsonObject*. */
GPtrArray      *navette_journal_dup_entries   (NavetteJournal *self);
guint           navette_journal_get_n_entries (NavetteJournal *self);
/* (transfer none) or NULL. */
JsonObject     *navette_journal_lookup        (NavetteJournal *self,
                                               const char     *key);

/* Adds @entry (its "key" member names it) or replaces the entry of that
 * key in place. Returns the ticket of the write that makes it durable. */
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

/* Writes @path atomically and durably (temporary file, fsync, rename,
 * fsync of the directory), mode 0600. Any thread. */
gboolean        navette_journal_write_file    (const char     *path,
                                               const char     *contents,
                                               gsize           len,
                                               GError        **error);

/* TRUE once the write of @ticket was tried, whether it worked or not. */
gboolean        navette_journal_is_written    (NavetteJournal *self,
                                               guint64         ticket);

/* Signal "written" (guint64 ticket, gboolean durable): a write ended;
 * every put and remove up to @ticket is on disk when @durable, otherwise
 * the write failed (disk full, …: see "write-error"), the entries stay in
 * memory and the next put writes them again. */

G_END_DECLS
