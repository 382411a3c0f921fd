/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The outbox of unsent changes (the table outbox of an account's
 * replica.db, see NavetteJournal), read and written with plain SQL by
 * tests: what is on the disk, not what an engine holds in memory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The outbox's entries, oldest first (by seq), one JSON object a line
 * (each line ends with "\n"; "" when the outbox is empty), or NULL when
 * @db_path cannot be opened or has no outbox yet. */
char     *navette_test_outbox_dump    (const char *db_path);
/* Puts back what navette_test_outbox_dump() returned, in place of what
 * the outbox holds (a crash replayed). */
void      navette_test_outbox_restore (const char *db_path,
                                       const char *dump);

G_END_DECLS
