/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-sort-key.h — the order text columns are sorted in, everywhere
 * (the replica's views, navette-cli ls --sort, the window's in-memory
 * sort): a byte string compared with memcmp(). See navette-sort-key.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint8 *navette_sort_key (const char *text,
                          gssize      len,
                          gsize      *key_len);

G_END_DECLS
