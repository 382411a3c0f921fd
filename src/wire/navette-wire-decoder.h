/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A streaming decoder for large answers: the record list
 * (`{"records": [...], "revision": N, …}`) is read in one pass without a
 * json-glib tree. It runs the scanner of navette_json_parse_strict()
 * (navette-wire-scan-private.h), so it is exactly as strict: invalid
 * UTF-8, nesting deeper than NAVETTE_JSON_MAX_DEPTH, duplicate keys in any
 * object, integers outside gint64, non-finite numbers, bad escapes or
 * surrogates, control characters in strings, trailing data and an empty
 * body are refused with NAVETTE_API_ERROR_BAD_REQUEST. */
#pragma once

#include "navette-wire.h"

G_BEGIN_DECLS

/* One record as decoded; the pointers are valid during the callback only. */
typedef struct
{
  const char *id;           /* a valid UUID */
  gint64      version;      /* >= 1 */
  gint64      revision;
  gint64      updated_at;   /* unix µs */
  const char *updated_by;
  gboolean    archived;
  gboolean    obsolete;     /* FALSE when absent */
  const char *data_json;    /* the data object, compact JSON (NUL-terminated) */
  gsize       data_len;
} NavetteWireRecordView;

/* Returns FALSE (with @error set) to stop the decoding. */
typedef gboolean (*NavetteWireRecordFunc) (const NavetteWireRecordView *record,
                                           gpointer                     user_data,
                                           GError                     **error);

/* Decodes a record list; calls @func for each record, in order, and sets
 * @revision from the envelope (which must have an integer "revision" and
 * a "records" array; other members are checked and ignored, as unknown
 * members of a record are). A record missing a member or with a member of
 * the wrong type is an error (NAVETTE_API_ERROR_BAD_REQUEST too). */
gboolean         navette_wire_decode_record_list (const char            *data,
                                                  gsize                  len,
                                                  gint64                *revision,
                                                  NavetteWireRecordFunc  func,
                                                  gpointer               user_data,
                                                  GError               **error);

/* The same for one page of a list (docs/api.md, "Paging"): *@next gets
 * the page's "next" cursor (a string), or NULL on the last page. */
gboolean         navette_wire_decode_record_page (const char            *data,
                                                  gsize                  len,
                                                  gint64                *revision,
                                                  char                 **next,
                                                  NavetteWireRecordFunc  func,
                                                  gpointer               user_data,
                                                  GError               **error);

/* Checks one JSON document with the same rules, building nothing. */
gboolean         navette_wire_json_validate      (const char            *data,
                                                  gsize                  len,
                                                  GError               **error);

G_END_DECLS
