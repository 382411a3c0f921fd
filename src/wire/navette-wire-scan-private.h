/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-scan-private.h — the one strict JSON scanner of src/wire.
 *
 * It follows RFC 8259 exactly and adds our limits: nesting deeper than
 * NAVETTE_JSON_MAX_DEPTH, more than NAVETTE_JSON_MAX_MEMBERS members in an
 * object, duplicate member names (compared unescaped), member names built
 * to collide in json-glib's hash tables, integers outside gint64,
 * non-finite numbers, invalid UTF-8, U+0000 and lone surrogates, trailing
 * data; and, when asked (max_items), more values than that in the
 * document. Its time is linear in the input whatever the input: names are
 * compared with a keyed hash an outsider cannot aim at
 * (navette-wire-siphash-private.h). navette_json_parse_strict() runs it in
 * front of json-glib; the streaming record-list decoder
 * (navette-wire-decoder.c) builds records with its pieces. Every refusal
 * is NAVETTE_API_ERROR_BAD_REQUEST; but for an empty body and invalid
 * UTF-8, its message is "Malformed JSON at byte N: …", N where the input
 * went wrong (the server answers with it: tests/wire pins the texts). */
#pragma once

#include <string.h>

#include "navette-wire.h"

G_BEGIN_DECLS

typedef struct
{
  const char  *data;
  gsize        len;
  gsize        pos;
  guint        depth;
  guint        items;      /* values read so far */
  guint        max_items;  /* 0: no limit */
  GError     **error;
} NavetteWireScan;

/* An object being read member by member; the fields are the scanner's. */
typedef struct
{
  GString    *compact;
  gboolean    first;
  GArray     *keys;   /* the names so far (navette-wire-scan.c's Key) */
  guint32    *slots;  /* objects over 16 members: an open-addressing set
                       * of key indexes + 1 (0: free), keyed by SipHash */
  guint       mask;   /* the number of slots - 1 */
  /* the member name just read: its source text, quotes included */
  gsize       name_start;
  gsize       name_end;
  gboolean    name_escaped;
} NavetteWireScanObject;

typedef struct
{
  GString    *compact;
  gboolean    first;
} NavetteWireScanArray;

static inline void
navette_wire_scan_skip_whitespace (NavetteWireScan *s)
{
  while (s->pos < s->len)
    {
      char c = s->data[s->pos];

      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      s->pos++;
    }
}

/* Sets the error (unless one is set already) and returns FALSE. */
gboolean navette_wire_scan_fail          (NavetteWireScan       *s,
                                          const char            *message);

/* Starts on a whole document: refuses an empty or blank one (with
 * @empty_message) and invalid UTF-8, and skips leading white space.
 * s->max_items is 0 (no limit); set it after. */
gboolean navette_wire_scan_begin         (NavetteWireScan       *s,
                                          const char            *data,
                                          gsize                  len,
                                          const char            *empty_message,
                                          GError               **error);
/* Refuses anything but white space after the value. */
gboolean navette_wire_scan_end           (NavetteWireScan       *s);
/* begin, one value, end. */
gboolean navette_wire_scan_document      (const char            *data,
                                          gsize                  len,
                                          const char            *empty_message,
                                          GError               **error);

/* A string token, on its opening quote. Its unescaped text is appended
 * to @value when not NULL; *escaped tells whether it held an escape. */
gboolean navette_wire_scan_string        (NavetteWireScan       *s,
                                          GString               *value,
                                          gboolean              *escaped);
/* A number token, on its first character. *is_int tells an integer (then
 * in *int_value), which must fit in gint64; other numbers must be finite. */
gboolean navette_wire_scan_number        (NavetteWireScan       *s,
                                          gboolean              *is_int,
                                          gint64                *int_value);
gboolean navette_wire_scan_literal       (NavetteWireScan       *s,
                                          const char            *literal);

/* Any value, on its first character. When @compact is not NULL the
 * value is appended to it without white space (strings and numbers as
 * written). */
gboolean navette_wire_scan_value         (NavetteWireScan       *s,
                                          GString               *compact);

/* Objects, on the '{': open, then next until *member is FALSE (or next
 * fails), each member's value read by the caller; close always. After a
 * member, s->pos is on its value. The member limit, duplicates and names
 * built to collide are refused by next. */
gboolean navette_wire_scan_object_open   (NavetteWireScan       *s,
                                          NavetteWireScanObject *o,
                                          GString               *compact);
gboolean navette_wire_scan_object_next   (NavetteWireScan       *s,
                                          NavetteWireScanObject *o,
                                          gboolean              *member);
void     navette_wire_scan_object_close  (NavetteWireScan       *s,
                                          NavetteWireScanObject *o);

/* Whether the member just read is @name, written with no escape (our
 * names never need one). Inline: strlen() of a literal is a constant. */
static inline gboolean
navette_wire_scan_member_is (NavetteWireScan       *s,
                             NavetteWireScanObject *o,
                             const char            *name)
{
  gsize n = strlen (name);

  return !o->name_escaped &&
         o->name_end - o->name_start == n + 2 &&
         memcmp (s->data + o->name_start + 1, name, n) == 0;
}

/* Arrays, on the '[': as objects, with *element. */
gboolean navette_wire_scan_array_open    (NavetteWireScan       *s,
                                          NavetteWireScanArray  *a,
                                          GString               *compact);
gboolean navette_wire_scan_array_next    (NavetteWireScan       *s,
                                          NavetteWireScanArray  *a,
                                          gboolean              *element);
void     navette_wire_scan_array_close   (NavetteWireScan       *s,
                                          NavetteWireScanArray  *a);

G_END_DECLS
