/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-scan.c — the strict JSON scanner (see
 * navette-wire-scan-private.h). */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "navette-wire-scan-private.h"
#include "navette-wire-siphash-private.h"

/* Objects with more members than this check duplicates with a hash set;
 * smaller ones compare linearly. */
#define LINEAR_KEYS 16

/* json-glib keeps an object's members in a GHashTable hashed with
 * g_str_hash, whose function is fixed and documented: names chosen to
 * share one hash make each insertion compare with all the earlier ones.
 * An object over LINEAR_KEYS members may hold at most this many names
 * with one g_str_hash value (by chance, even three would be a wonder). */
#define MAX_SHARED_GLIB_HASH 4

/* A member name: its unescaped text. */
typedef struct
{
  const char *text;       /* into the document, or @owned */
  gsize       len;
  char       *owned;
  guint64     hash;       /* SipHash, once the object has slots */
  guint32     glib_hash;  /* g_str_hash's */
} Key;

gboolean
navette_wire_scan_fail (NavetteWireScan *s,
                        const char      *message)
{
  if (s->error != NULL && *s->error == NULL)
    g_set_error (s->error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                 "Malformed JSON at byte %" G_GSIZE_FORMAT ": %s", s->pos, message);
  return FALSE;
}

gboolean
navette_wire_scan_begin (NavetteWireScan  *s,
                         const char       *data,
                         gsize             len,
                         const char       *empty_message,
                         GError          **error)
{
  s->data = data;
  s->len = len;
  s->pos = 0;
  s->depth = 0;
  s->items = 0;
  s->max_items = 0;
  s->error = error;

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           empty_message);
      return FALSE;
    }
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The body is not valid UTF-8");
      return FALSE;
    }
  navette_wire_scan_skip_whitespace (s);
  if (s->pos >= len)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           empty_message);
      return FALSE;
    }
  return TRUE;
}

gboolean
navette_wire_scan_end (NavetteWireScan *s)
{
  navette_wire_scan_skip_whitespace (s);
  if (s->pos != s->len)
    return navette_wire_scan_fail (s, "trailing data after the JSON value");
  return TRUE;
}

gboolean
navette_wire_scan_document (const char  *data,
                            gsize        len,
                            const char  *empty_message,
                            GError     **error)
{
  NavetteWireScan s;

  return navette_wire_scan_begin (&s, data, len, empty_message, error) &&
         navette_wire_scan_value (&s, NULL) &&
         navette_wire_scan_end (&s);
}

/* ---- Tokens ---- */

static gboolean
scan_hex4 (NavetteWireScan *s,
           gunichar        *out)
{
  gunichar value = 0;

  if (s->len - s->pos < 4)
    return navette_wire_scan_fail (s, "a \\u escape needs four hexadecimal digits");
  for (guint i = 0; i < 4; i++)
    {
      int h = g_ascii_xdigit_value (s->data[s->pos + i]);

      if (h < 0)
        return navette_wire_scan_fail (s, "a \\u escape needs four hexadecimal digits");
      value = (value << 4) | (gunichar) h;
    }
  s->pos += 4;
  *out = value;
  return TRUE;
}

/* After "\u": one code point, a surrogate pair as one. */
static gboolean
scan_unicode_escape (NavetteWireScan *s,
                     gunichar        *out)
{
  gunichar cp;

  if (!scan_hex4 (s, &cp))
    return FALSE;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    return navette_wire_scan_fail (s, "a low surrogate without a high surrogate");
  if (cp >= 0xD800 && cp <= 0xDBFF)
    {
      gunichar low;

      if (s->len - s->pos < 2 || s->data[s->pos] != '\\' || s->data[s->pos + 1] != 'u')
        return navette_wire_scan_fail (s, "a high surrogate must be followed by a low surrogate");
      s->pos += 2;
      if (!scan_hex4 (s, &low))
        return FALSE;
      if (low < 0xDC00 || low > 0xDFFF)
        return navette_wire_scan_fail (s, "a high surrogate must be followed by a low surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
  if (cp == 0)
    return navette_wire_scan_fail (s, "strings may not contain U+0000");
  *out = cp;
  return TRUE;
}

gboolean
navette_wire_scan_string (NavetteWireScan *s,
                          GString         *value,
                          gboolean        *escaped)
{
  gsize run;

  g_assert (s->data[s->pos] == '"');
  s->pos++;
  run = s->pos;
  if (escaped != NULL)
    *escaped = FALSE;

  /* UTF-8 validity was checked for the whole document already. */
  while (s->pos < s->len)
    {
      guchar c = (guchar) s->data[s->pos];
      char e;

      if (c == '"')
        {
          if (value != NULL)
            g_string_append_len (value, s->data + run, s->pos - run);
          s->pos++;
          return TRUE;
        }
      if (c < 0x20)
        return navette_wire_scan_fail (s, "control characters must be escaped in strings");
      if (c != '\\')
        {
          s->pos++;
          continue;
        }

      if (escaped != NULL)
        *escaped = TRUE;
      if (value != NULL)
        g_string_append_len (value, s->data + run, s->pos - run);
      s->pos++;
      if (s->pos >= s->len)
        break;
      e = s->data[s->pos++];
      if (e == 'u')
        {
          gunichar cp = 0;

          if (!scan_unicode_escape (s, &cp))
            return FALSE;
          if (value != NULL)
            g_string_append_unichar (value, cp);
        }
      else
        {
          switch (e)
            {
            case '"': case '\\': case '/': break;
            case 'b': e = '\b'; break;
            case 'f': e = '\f'; break;
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            default:
              s->pos--;
              return navette_wire_scan_fail (s, "invalid escape in a string");
            }
          if (value != NULL)
            g_string_append_c (value, e);
        }
      run = s->pos;
    }

  return navette_wire_scan_fail (s, "unterminated string");
}

static gboolean
scan_digits (NavetteWireScan *s)
{
  gsize start = s->pos;

  while (s->pos < s->len && g_ascii_isdigit (s->data[s->pos]))
    s->pos++;
  return s->pos > start;
}

gboolean
navette_wire_scan_number (NavetteWireScan *s,
                          gboolean        *is_int,
                          gint64          *int_value)
{
  gsize start = s->pos;
  gboolean integer = TRUE;
  char buffer[64];
  g_autofree char *copy = NULL;
  const char *text;
  gsize text_len;

  if (s->data[s->pos] == '-')
    s->pos++;
  if (s->pos >= s->len || !g_ascii_isdigit (s->data[s->pos]))
    return navette_wire_scan_fail (s, "invalid number");
  if (s->data[s->pos] == '0')
    {
      s->pos++;
      if (s->pos < s->len && g_ascii_isdigit (s->data[s->pos]))
        return navette_wire_scan_fail (s, "numbers may not have leading zeros");
    }
  else
    scan_digits (s);

  if (s->pos < s->len && s->data[s->pos] == '.')
    {
      integer = FALSE;
      s->pos++;
      if (!scan_digits (s))
        return navette_wire_scan_fail (s, "a decimal point must be followed by digits");
    }
  if (s->pos < s->len && (s->data[s->pos] == 'e' || s->data[s->pos] == 'E'))
    {
      integer = FALSE;
      s->pos++;
      if (s->pos < s->len && (s->data[s->pos] == '+' || s->data[s->pos] == '-'))
        s->pos++;
      if (!scan_digits (s))
        return navette_wire_scan_fail (s, "an exponent needs digits");
    }

  /* The grammar is checked: strtoll and strtod read the whole text. */
  text_len = s->pos - start;
  if (text_len < sizeof buffer)
    {
      memcpy (buffer, s->data + start, text_len);
      buffer[text_len] = '\0';
      text = buffer;
    }
  else
    {
      copy = g_strndup (s->data + start, text_len);
      text = copy;
    }

  errno = 0;
  if (integer)
    {
      char *end = NULL;
      gint64 value = g_ascii_strtoll (text, &end, 10);

      if (errno == ERANGE || end == NULL || *end != '\0')
        {
          s->pos = start;
          return navette_wire_scan_fail (s, "integer out of range (must fit in 64 bits)");
        }
      if (int_value != NULL)
        *int_value = value;
    }
  else if (!isfinite (g_ascii_strtod (text, NULL)))
    {
      s->pos = start;
      return navette_wire_scan_fail (s, "number out of range");
    }

  if (is_int != NULL)
    *is_int = integer;
  return TRUE;
}

gboolean
navette_wire_scan_literal (NavetteWireScan *s,
                           const char      *literal)
{
  gsize n = strlen (literal);

  if (s->len - s->pos < n || memcmp (s->data + s->pos, literal, n) != 0)
    return navette_wire_scan_fail (s, "unexpected character");
  s->pos += n;
  return TRUE;
}

/* ---- Containers ---- */

typedef struct
{
  char        open;
  char        close;
  const char *unterminated;
  const char *expected;
} Container;

static const Container object_container = {
  '{', '}', "unterminated object", "expected ',' or '}' in an object",
};
static const Container array_container = {
  '[', ']', "unterminated array", "expected ',' or ']' in an array",
};

/* On the opening bracket. */
static gboolean
container_open (NavetteWireScan *s,
                const Container *container,
                GString         *compact,
                gboolean        *first)
{
  g_assert (s->data[s->pos] == container->open);

  /* The depth is checked before going in, so the C stack stays bounded
   * whatever the input. */
  if (s->depth >= NAVETTE_JSON_MAX_DEPTH)
    return navette_wire_scan_fail (s, "nesting deeper than 64 levels");
  s->depth++;
  s->pos++;
  *first = TRUE;
  if (compact != NULL)
    g_string_append_c (compact, container->open);
  return TRUE;
}

/* Past the comma before the next item, white space skipped (*more); or
 * past the closing bracket (not *more). Inlined: it runs for every item. */
G_ALWAYS_INLINE static inline gboolean
container_next (NavetteWireScan *s,
                const Container *container,
                GString         *compact,
                gboolean        *first,
                gboolean        *more)
{
  *more = FALSE;
  navette_wire_scan_skip_whitespace (s);
  if (*first)
    {
      *first = FALSE;
      if (s->pos < s->len && s->data[s->pos] == container->close)
        goto close;
    }
  else if (s->pos >= s->len)
    return navette_wire_scan_fail (s, container->unterminated);
  else if (s->data[s->pos] == container->close)
    goto close;
  else if (s->data[s->pos] == ',')
    {
      s->pos++;
      if (compact != NULL)
        g_string_append_c (compact, ',');
      navette_wire_scan_skip_whitespace (s);
    }
  else
    return navette_wire_scan_fail (s, container->expected);
  *more = TRUE;
  return TRUE;

close:
  s->pos++;
  if (compact != NULL)
    g_string_append_c (compact, container->close);
  return TRUE;
}

/* g_str_hash (the "djb" hash over signed chars, as GLib documents it)
 * of @len bytes with no NUL. */
static guint32
glib_str_hash (const char *text,
               gsize       len)
{
  guint32 h = 5381;

  for (gsize i = 0; i < len; i++)
    h = (h << 5) + h + (guint32) (gint32) (signed char) text[i];
  return h;
}

static inline gboolean
key_equal (const Key *a,
           const Key *b)
{
  return a->len == b->len && memcmp (a->text, b->text, a->len) == 0;
}

/* Puts key @index (whose hash is set) in a free slot. */
static void
slot_insert (NavetteWireScanObject *o,
             guint                  index)
{
  guint i = (guint) g_array_index (o->keys, Key, index).hash & o->mask;

  while (o->slots[i] != 0)
    i = (i + 1) & o->mask;
  o->slots[i] = index + 1;
}

/* (Re)builds the slots for the keys so far: at most half full. */
static void
slots_rebuild (NavetteWireScanObject *o)
{
  guint size = 64;

  while (size < 2 * (o->keys->len + 1))
    size *= 2;
  g_free (o->slots);
  o->slots = g_new0 (guint32, size);
  o->mask = size - 1;
  for (guint i = 0; i < o->keys->len; i++)
    slot_insert (o, i);
}

/* Adds the member name just read. Returns NULL, or why it is refused.
 * Names are compared unescaped. They never hold a NUL (a raw one is a
 * control character, \u0000 is refused). */
static const char *
add_name (NavetteWireScan       *s,
          NavetteWireScanObject *o)
{
  Key key = { s->data + o->name_start + 1, o->name_end - o->name_start - 2, NULL, 0, 0 };

  if (o->keys == NULL)
    o->keys = g_array_sized_new (FALSE, FALSE, sizeof (Key), 8);
  if (o->keys->len >= NAVETTE_JSON_MAX_MEMBERS)
    return "more than " G_STRINGIFY (NAVETTE_JSON_MAX_MEMBERS) " members in an object";

  if (o->name_escaped)
    {
      GString *value = g_string_new (NULL);
      NavetteWireScan again = { .data = s->data, .len = o->name_end, .pos = o->name_start };

      navette_wire_scan_string (&again, value, NULL);
      key.len = value->len;
      key.owned = g_string_free (value, FALSE);
      key.text = key.owned;
    }
  key.glib_hash = glib_str_hash (key.text, key.len);

  if (o->slots == NULL)
    {
      for (guint i = 0; i < o->keys->len; i++)
        if (key_equal (&g_array_index (o->keys, Key, i), &key))
          goto duplicate;
      g_array_append_val (o->keys, key);
      if (o->keys->len > LINEAR_KEYS)
        {
          for (guint i = 0; i < o->keys->len; i++)
            {
              Key *k = &g_array_index (o->keys, Key, i);

              k->hash = navette_wire_siphash (navette_wire_siphash_key (), k->text, k->len);
            }
          slots_rebuild (o);
        }
      return NULL;
    }

  key.hash = navette_wire_siphash (navette_wire_siphash_key (), key.text, key.len);
  for (guint i = (guint) key.hash & o->mask; o->slots[i] != 0; i = (i + 1) & o->mask)
    {
      const Key *k = &g_array_index (o->keys, Key, o->slots[i] - 1);

      if (k->hash == key.hash && key_equal (k, &key))
        goto duplicate;
    }
  g_array_append_val (o->keys, key);
  if (2 * (o->keys->len + 1) > o->mask + 1)
    slots_rebuild (o);
  else
    slot_insert (o, o->keys->len - 1);
  return NULL;

duplicate:
  g_free (key.owned);
  return "duplicate member name in an object";
}

static int
compare_guint32 (const void *a,
                 const void *b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

/* Whether more than MAX_SHARED_GLIB_HASH names of a large object share
 * one g_str_hash value. n log n, n at most NAVETTE_JSON_MAX_MEMBERS. */
static gboolean
names_collide (NavetteWireScanObject *o)
{
  guint32 hashes[NAVETTE_JSON_MAX_MEMBERS];
  guint n = o->keys->len;
  guint run = 1;

  for (guint i = 0; i < n; i++)
    hashes[i] = g_array_index (o->keys, Key, i).glib_hash;
  qsort (hashes, n, sizeof hashes[0], compare_guint32);
  for (guint i = 1; i < n; i++)
    {
      run = hashes[i] == hashes[i - 1] ? run + 1 : 1;
      if (run > MAX_SHARED_GLIB_HASH)
        return TRUE;
    }
  return FALSE;
}

gboolean
navette_wire_scan_object_open (NavetteWireScan       *s,
                               NavetteWireScanObject *o,
                               GString               *compact)
{
  if (!container_open (s, &object_container, compact, &o->first))
    return FALSE;
  o->compact = compact;
  o->keys = NULL;
  o->slots = NULL;
  o->mask = 0;
  o->name_start = o->name_end = 0;
  o->name_escaped = FALSE;
  return TRUE;
}

gboolean
navette_wire_scan_object_next (NavetteWireScan       *s,
                               NavetteWireScanObject *o,
                               gboolean              *member)
{
  const char *refused;

  if (!container_next (s, &object_container, o->compact, &o->first, member))
    return FALSE;
  if (!*member)
    {
      if (o->slots != NULL && names_collide (o))
        {
          s->pos--;
          return navette_wire_scan_fail (s, "member names built to collide in a hash table");
        }
      return TRUE;
    }

  if (s->pos >= s->len || s->data[s->pos] != '"')
    return navette_wire_scan_fail (s, "expected a member name in quotes");
  o->name_start = s->pos;
  if (!navette_wire_scan_string (s, NULL, &o->name_escaped))
    return FALSE;
  o->name_end = s->pos;
  if ((refused = add_name (s, o)) != NULL)
    {
      s->pos = o->name_start;
      return navette_wire_scan_fail (s, refused);
    }
  if (o->compact != NULL)
    g_string_append_len (o->compact, s->data + o->name_start, o->name_end - o->name_start);

  navette_wire_scan_skip_whitespace (s);
  if (s->pos >= s->len || s->data[s->pos] != ':')
    return navette_wire_scan_fail (s, "expected ':' after a member name");
  s->pos++;
  if (o->compact != NULL)
    g_string_append_c (o->compact, ':');
  navette_wire_scan_skip_whitespace (s);
  return TRUE;
}

void
navette_wire_scan_object_close (NavetteWireScan       *s,
                                NavetteWireScanObject *o)
{
  if (o->keys != NULL)
    {
      for (guint i = 0; i < o->keys->len; i++)
        g_free (g_array_index (o->keys, Key, i).owned);
      g_clear_pointer (&o->keys, g_array_unref);
    }
  g_clear_pointer (&o->slots, g_free);
  s->depth--;
}

gboolean
navette_wire_scan_array_open (NavetteWireScan      *s,
                              NavetteWireScanArray *a,
                              GString              *compact)
{
  a->compact = compact;
  return container_open (s, &array_container, compact, &a->first);
}

gboolean
navette_wire_scan_array_next (NavetteWireScan      *s,
                              NavetteWireScanArray *a,
                              gboolean             *element)
{
  return container_next (s, &array_container, a->compact, &a->first, element);
}

void
navette_wire_scan_array_close (NavetteWireScan      *s,
                               NavetteWireScanArray *a)
{
  s->depth--;
}

/* ---- Any value ---- */

static gboolean
scan_object (NavetteWireScan *s,
             GString         *compact)
{
  NavetteWireScanObject o;
  gboolean ok, member;

  if (!navette_wire_scan_object_open (s, &o, compact))
    return FALSE;
  while ((ok = navette_wire_scan_object_next (s, &o, &member)) && member)
    if (!(ok = navette_wire_scan_value (s, compact)))
      break;
  navette_wire_scan_object_close (s, &o);
  return ok;
}

static gboolean
scan_array (NavetteWireScan *s,
            GString         *compact)
{
  NavetteWireScanArray a;
  gboolean ok, element;

  if (!navette_wire_scan_array_open (s, &a, compact))
    return FALSE;
  while ((ok = navette_wire_scan_array_next (s, &a, &element)) && element)
    if (!(ok = navette_wire_scan_value (s, compact)))
      break;
  navette_wire_scan_array_close (s, &a);
  return ok;
}

gboolean
navette_wire_scan_value (NavetteWireScan *s,
                         GString         *compact)
{
  gsize start = s->pos;
  gboolean ok;

  if (s->pos >= s->len)
    return navette_wire_scan_fail (s, "unexpected end of input");
  if (s->max_items != 0 && ++s->items > s->max_items)
    {
      g_autofree char *message = g_strdup_printf ("more than %u values in the document", s->max_items);

      return navette_wire_scan_fail (s, message);
    }

  switch (s->data[s->pos])
    {
    case '{':
      return scan_object (s, compact);
    case '[':
      return scan_array (s, compact);
    case '"':
      ok = navette_wire_scan_string (s, NULL, NULL);
      break;
    case 't':
      ok = navette_wire_scan_literal (s, "true");
      break;
    case 'f':
      ok = navette_wire_scan_literal (s, "false");
      break;
    case 'n':
      ok = navette_wire_scan_literal (s, "null");
      break;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      ok = navette_wire_scan_number (s, NULL, NULL);
      break;
    default:
      return navette_wire_scan_fail (s, "unexpected character");
    }
  if (ok && compact != NULL)
    g_string_append_len (compact, s->data + start, s->pos - start);
  return ok;
}
