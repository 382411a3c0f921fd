/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "navette-wire-decoder.h"

/* Objects with more members than this check duplicates with a hash
 * table; smaller ones compare linearly. */
#define LINEAR_KEYS 16

typedef struct
{
  const char  *data;
  gsize        len;
  gsize        pos;
  guint        depth;
  GError     **error;
} Decoder;

/* A member name: its unescaped text. */
typedef struct
{
  const char *text;  /* into the body, or into @owned */
  gsize       len;
  char       *owned;
} Key;

static gboolean
fail (Decoder    *d,
      const char *message)
{
  if (d->error != NULL && *d->error == NULL)
    g_set_error (d->error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                 "Malformed JSON at byte %" G_GSIZE_FORMAT ": %s", d->pos, message);
  return FALSE;
}

static inline void
skip_ws (Decoder *d)
{
  while (d->pos < d->len)
    {
      char c = d->data[d->pos];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      d->pos++;
    }
}

static gboolean
read_hex4 (Decoder  *d,
           gunichar *out)
{
  gunichar v = 0;

  if (d->pos + 4 > d->len)
    return fail (d, "a \\u escape needs four hexadecimal digits");
  for (int i = 0; i < 4; i++)
    {
      int h = g_ascii_xdigit_value (d->data[d->pos + i]);
      if (h < 0)
        return fail (d, "a \\u escape needs four hexadecimal digits");
      v = v * 16 + (gunichar) h;
    }
  d->pos += 4;
  *out = v;
  return TRUE;
}

/* Scans a string at d->pos (on the opening quote). @value (optional)
 * receives the unescaped text; @raw (optional) gets the source bytes
 * (quotes included). *escaped tells whether there was any escape. */
static gboolean
scan_string (Decoder  *d,
             GString  *value,
             GString  *raw,
             gboolean *escaped)
{
  gsize start = d->pos;
  gsize run;

  d->pos++;
  run = d->pos;
  if (escaped != NULL)
    *escaped = FALSE;

  for (;;)
    {
      unsigned char c;

      if (d->pos >= d->len)
        return fail (d, "unterminated string");
      c = (unsigned char) d->data[d->pos];

      if (c == '"')
        {
          if (value != NULL)
            g_string_append_len (value, d->data + run, d->pos - run);
          d->pos++;
          if (raw != NULL)
            g_string_append_len (raw, d->data + start, d->pos - start);
          return TRUE;
        }
      if (c < 0x20)
        return fail (d, "control characters must be escaped in strings");
      if (c != '\\')
        {
          d->pos++;
          continue;
        }

      if (escaped != NULL)
        *escaped = TRUE;
      if (value != NULL)
        g_string_append_len (value, d->data + run, d->pos - run);
      d->pos++;
      if (d->pos >= d->len)
        return fail (d, "unterminated string");
      c = (unsigned char) d->data[d->pos++];
      switch (c)
        {
        case '"': case '\\': case '/':
          if (value != NULL) g_string_append_c (value, (char) c);
          break;
        case 'b': if (value != NULL) g_string_append_c (value, '\b'); break;
        case 'f': if (value != NULL) g_string_append_c (value, '\f'); break;
        case 'n': if (value != NULL) g_string_append_c (value, '\n'); break;
        case 'r': if (value != NULL) g_string_append_c (value, '\r'); break;
        case 't': if (value != NULL) g_string_append_c (value, '\t'); break;
        case 'u':
          {
            gunichar u, low;

            if (!read_hex4 (d, &u))
              return FALSE;
            if (u >= 0xDC00 && u <= 0xDFFF)
              return fail (d, "a low surrogate without a high surrogate");
            if (u >= 0xD800 && u <= 0xDBFF)
              {
                if (d->pos + 2 > d->len || d->data[d->pos] != '\\' || d->data[d->pos + 1] != 'u')
                  return fail (d, "a high surrogate must be followed by a low surrogate");
                d->pos += 2;
                if (!read_hex4 (d, &low))
                  return FALSE;
                if (low < 0xDC00 || low > 0xDFFF)
                  return fail (d, "a high surrogate must be followed by a low surrogate");
                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
              }
            if (u == 0)
              return fail (d, "NUL characters are not allowed in strings");
            if (value != NULL)
              g_string_append_unichar (value, u);
          }
          break;
        default:
          return fail (d, "invalid escape in a string");
        }
      run = d->pos;
    }
}

/* Scans a number. *is_int and *int_value tell an integer (in gint64). */
static gboolean
scan_number (Decoder  *d,
             GString  *raw,
             gboolean *is_int,
             gint64   *int_value)
{
  gsize start = d->pos;
  gboolean integer = TRUE;
  char buffer[64];
  g_autofree char *copy = NULL;
  const char *text;
  gsize text_len;
  char *end = NULL;

  if (d->data[d->pos] == '-')
    d->pos++;
  if (d->pos >= d->len || !g_ascii_isdigit (d->data[d->pos]))
    return fail (d, "invalid number");
  if (d->data[d->pos] == '0')
    {
      d->pos++;
      if (d->pos < d->len && g_ascii_isdigit (d->data[d->pos]))
        return fail (d, "numbers may not have leading zeros");
    }
  else
    while (d->pos < d->len && g_ascii_isdigit (d->data[d->pos]))
      d->pos++;

  if (d->pos < d->len && d->data[d->pos] == '.')
    {
      gsize digits;

      integer = FALSE;
      d->pos++;
      digits = d->pos;
      while (d->pos < d->len && g_ascii_isdigit (d->data[d->pos]))
        d->pos++;
      if (d->pos == digits)
        return fail (d, "a decimal point must be followed by digits");
    }
  if (d->pos < d->len && (d->data[d->pos] == 'e' || d->data[d->pos] == 'E'))
    {
      gsize digits;

      integer = FALSE;
      d->pos++;
      if (d->pos < d->len && (d->data[d->pos] == '+' || d->data[d->pos] == '-'))
        d->pos++;
      digits = d->pos;
      while (d->pos < d->len && g_ascii_isdigit (d->data[d->pos]))
        d->pos++;
      if (d->pos == digits)
        return fail (d, "an exponent needs digits");
    }

  text_len = d->pos - start;
  if (text_len < sizeof buffer)
    {
      memcpy (buffer, d->data + start, text_len);
      buffer[text_len] = '\0';
      text = buffer;
    }
  else
    {
      copy = g_strndup (d->data + start, text_len);
      text = copy;
    }

  errno = 0;
  if (integer)
    {
      gint64 v = g_ascii_strtoll (text, &end, 10);

      if (errno == ERANGE || end == NULL || *end != '\0')
        return fail (d, "integer out of range");
      if (int_value != NULL)
        *int_value = v;
    }
  else
    {
      double v = g_ascii_strtod (text, &end);

      if (end == NULL || *end != '\0' || !isfinite (v))
        return fail (d, "number out of range");
    }

  if (is_int != NULL)
    *is_int = integer;
  if (raw != NULL)
    g_string_append_len (raw, d->data + start, text_len);
  return TRUE;
}

static gboolean
scan_literal (Decoder    *d,
              const char *literal,
              GString    *raw)
{
  gsize n = strlen (literal);

  if (d->len - d->pos < n || memcmp (d->data + d->pos, literal, n) != 0)
    return fail (d, "unexpected character");
  d->pos += n;
  if (raw != NULL)
    g_string_append_len (raw, literal, n);
  return TRUE;
}

/* ---- Duplicate keys ---- */

typedef struct
{
  GArray     *keys;  /* Key */
  GHashTable *set;   /* when large: owned copies */
} KeySet;

static void
key_set_init (KeySet *set)
{
  set->keys = NULL;
  set->set = NULL;
}

static void
key_set_clear (KeySet *set)
{
  if (set->keys != NULL)
    {
      for (guint i = 0; i < set->keys->len; i++)
        g_free (g_array_index (set->keys, Key, i).owned);
      g_array_unref (set->keys);
    }
  g_clear_pointer (&set->set, g_hash_table_unref);
}

/* Adds the key just scanned (source text at @start..@end, quotes
 * included); FALSE when it was already there. */
static gboolean
key_set_add (KeySet     *set,
             const char *data,
             gsize       start,
             gsize       end,
             gboolean    escaped)
{
  Key key = { data + start + 1, end - start - 2, NULL };

  if (escaped)
    {
      g_autoptr(GString) value = g_string_new (NULL);
      Decoder d = { data, end, start, 0, NULL };

      scan_string (&d, value, NULL, NULL);
      key.len = value->len;
      key.owned = g_string_free (g_steal_pointer (&value), FALSE);
      key.text = key.owned;
    }

  if (set->set != NULL)
    {
      char *copy = g_strndup (key.text, key.len);

      g_free (key.owned);
      if (strlen (copy) != key.len || !g_hash_table_add (set->set, copy))
        {
          if (strlen (copy) != key.len)
            g_free (copy);
          return FALSE;
        }
      return TRUE;
    }

  if (set->keys == NULL)
    set->keys = g_array_sized_new (FALSE, FALSE, sizeof (Key), 8);

  for (guint i = 0; i < set->keys->len; i++)
    {
      Key *k = &g_array_index (set->keys, Key, i);

      if (k->len == key.len && memcmp (k->text, key.text, key.len) == 0)
        {
          g_free (key.owned);
          return FALSE;
        }
    }
  g_array_append_val (set->keys, key);

  if (set->keys->len > LINEAR_KEYS)
    {
      set->set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < set->keys->len; i++)
        {
          Key *k = &g_array_index (set->keys, Key, i);
          g_hash_table_add (set->set, g_strndup (k->text, k->len));
          g_free (k->owned);
        }
      g_clear_pointer (&set->keys, g_array_unref);
    }
  return TRUE;
}

/* ---- Values ---- */

static gboolean scan_value (Decoder *d,
                            GString *raw);

static gboolean
enter (Decoder *d)
{
  if (d->depth >= NAVETTE_JSON_MAX_DEPTH)
    return fail (d, "nesting too deep");
  d->depth++;
  return TRUE;
}

static gboolean
scan_object (Decoder *d,
             GString *raw)
{
  KeySet keys;
  gboolean ok = FALSE;

  if (!enter (d))
    return FALSE;
  key_set_init (&keys);
  d->pos++;
  if (raw != NULL)
    g_string_append_c (raw, '{');
  skip_ws (d);
  if (d->pos < d->len && d->data[d->pos] == '}')
    {
      d->pos++;
      ok = TRUE;
      goto out;
    }

  for (;;)
    {
      gsize key_start = d->pos;
      gboolean escaped;

      if (d->pos >= d->len || d->data[d->pos] != '"')
        {
          fail (d, "expected a member name");
          goto out;
        }
      if (!scan_string (d, NULL, raw, &escaped))
        goto out;
      if (!key_set_add (&keys, d->data, key_start, d->pos, escaped))
        {
          fail (d, "duplicate member name in an object");
          goto out;
        }
      skip_ws (d);
      if (d->pos >= d->len || d->data[d->pos] != ':')
        {
          fail (d, "expected ':'");
          goto out;
        }
      d->pos++;
      if (raw != NULL)
        g_string_append_c (raw, ':');
      skip_ws (d);
      if (!scan_value (d, raw))
        goto out;
      skip_ws (d);
      if (d->pos < d->len && d->data[d->pos] == ',')
        {
          d->pos++;
          if (raw != NULL)
            g_string_append_c (raw, ',');
          skip_ws (d);
          continue;
        }
      if (d->pos < d->len && d->data[d->pos] == '}')
        {
          d->pos++;
          ok = TRUE;
          break;
        }
      fail (d, "expected ',' or '}'");
      goto out;
    }

out:
  if (ok && raw != NULL)
    g_string_append_c (raw, '}');
  key_set_clear (&keys);
  d->depth--;
  return ok;
}

static gboolean
scan_array (Decoder *d,
            GString *raw)
{
  if (!enter (d))
    return FALSE;
  d->pos++;
  if (raw != NULL)
    g_string_append_c (raw, '[');
  skip_ws (d);
  if (d->pos < d->len && d->data[d->pos] == ']')
    goto done;

  for (;;)
    {
      if (!scan_value (d, raw))
        return FALSE;
      skip_ws (d);
      if (d->pos < d->len && d->data[d->pos] == ',')
        {
          d->pos++;
          if (raw != NULL)
            g_string_append_c (raw, ',');
          skip_ws (d);
          continue;
        }
      if (d->pos < d->len && d->data[d->pos] == ']')
        break;
      return fail (d, "expected ',' or ']'");
    }

done:
  d->pos++;
  if (raw != NULL)
    g_string_append_c (raw, ']');
  d->depth--;
  return TRUE;
}

static gboolean
scan_value (Decoder *d,
            GString *raw)
{
  if (d->pos >= d->len)
    return fail (d, "unexpected end of data");

  switch (d->data[d->pos])
    {
    case '{':
      return scan_object (d, raw);
    case '[':
      return scan_array (d, raw);
    case '"':
      return scan_string (d, NULL, raw, NULL);
    case 't':
      return scan_literal (d, "true", raw);
    case 'f':
      return scan_literal (d, "false", raw);
    case 'n':
      return scan_literal (d, "null", raw);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return scan_number (d, raw, NULL, NULL);
    default:
      return fail (d, "unexpected character");
    }
}

static gboolean
begin (Decoder     *d,
       const char  *data,
       gsize        len,
       GError     **error)
{
  d->data = data;
  d->len = len;
  d->pos = 0;
  d->depth = 0;
  d->error = error;

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The body is empty");
      return FALSE;
    }
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The body is not valid UTF-8");
      return FALSE;
    }
  skip_ws (d);
  if (d->pos >= len)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The body is empty");
      return FALSE;
    }
  return TRUE;
}

static gboolean
end (Decoder *d)
{
  skip_ws (d);
  if (d->pos != d->len)
    return fail (d, "trailing data after the JSON value");
  return TRUE;
}

gboolean
navette_wire_json_validate (const char  *data,
                            gsize        len,
                            GError     **error)
{
  Decoder d;

  return begin (&d, data, len, error) && scan_value (&d, NULL) && end (&d);
}

/* ---- The record list ---- */

enum {
  F_ID = 1 << 0,
  F_VERSION = 1 << 1,
  F_REVISION = 1 << 2,
  F_DATA = 1 << 3,
  F_ARCHIVED = 1 << 4,
  F_UPDATED_AT = 1 << 5,
  F_UPDATED_BY = 1 << 6,
  F_ALL = (1 << 7) - 1,
};

typedef struct
{
  GString *id;
  GString *updated_by;
  GString *updated_at;
  GString *data;
} Scratch;

static gboolean
member_is (const char *data,
           gsize       start,
           gsize       end,
           const char *name)
{
  gsize n = strlen (name);

  return end - start == n + 2 && memcmp (data + start + 1, name, n) == 0;
}

static gboolean
read_int (Decoder *d,
          gint64  *out)
{
  gboolean is_int = FALSE;

  if (d->pos >= d->len || (d->data[d->pos] != '-' && !g_ascii_isdigit (d->data[d->pos])))
    return fail (d, "expected an integer");
  if (!scan_number (d, NULL, &is_int, out))
    return FALSE;
  if (!is_int)
    return fail (d, "expected an integer");
  return TRUE;
}

static gboolean
read_bool (Decoder  *d,
           gboolean *out)
{
  if (d->pos < d->len && d->data[d->pos] == 't')
    {
      *out = TRUE;
      return scan_literal (d, "true", NULL);
    }
  if (d->pos < d->len && d->data[d->pos] == 'f')
    {
      *out = FALSE;
      return scan_literal (d, "false", NULL);
    }
  return fail (d, "expected a boolean");
}

static gboolean
read_text (Decoder *d,
           GString *out)
{
  g_string_truncate (out, 0);
  if (d->pos >= d->len || d->data[d->pos] != '"')
    return fail (d, "expected a string");
  return scan_string (d, out, NULL, NULL);
}

static gboolean
decode_record (Decoder               *d,
               Scratch               *s,
               NavetteWireRecordFunc  func,
               gpointer               user_data)
{
  NavetteWireRecordView view = { 0 };
  guint seen = 0;
  KeySet keys;
  gboolean ok = FALSE;

  if (d->pos >= d->len || d->data[d->pos] != '{')
    return fail (d, "a record must be an object");
  if (!enter (d))
    return FALSE;
  key_set_init (&keys);
  d->pos++;
  skip_ws (d);
  if (d->pos < d->len && d->data[d->pos] == '}')
    {
      d->pos++;
      goto check;
    }

  for (;;)
    {
      gsize key_start = d->pos, key_end;
      gboolean escaped;

      if (d->pos >= d->len || d->data[d->pos] != '"')
        {
          fail (d, "expected a member name");
          goto out;
        }
      if (!scan_string (d, NULL, NULL, &escaped))
        goto out;
      key_end = d->pos;
      if (!key_set_add (&keys, d->data, key_start, key_end, escaped))
        {
          fail (d, "duplicate member name in an object");
          goto out;
        }
      skip_ws (d);
      if (d->pos >= d->len || d->data[d->pos] != ':')
        {
          fail (d, "expected ':'");
          goto out;
        }
      d->pos++;
      skip_ws (d);

      if (escaped)
        {
          /* Our names never need escapes: an unknown member. */
          if (!scan_value (d, NULL))
            goto out;
        }
      else if (member_is (d->data, key_start, key_end, "id"))
        {
          if (!read_text (d, s->id))
            goto out;
          seen |= F_ID;
        }
      else if (member_is (d->data, key_start, key_end, "version"))
        {
          if (!read_int (d, &view.version))
            goto out;
          seen |= F_VERSION;
        }
      else if (member_is (d->data, key_start, key_end, "revision"))
        {
          if (!read_int (d, &view.revision))
            goto out;
          seen |= F_REVISION;
        }
      else if (member_is (d->data, key_start, key_end, "data"))
        {
          g_string_truncate (s->data, 0);
          if (d->pos >= d->len || d->data[d->pos] != '{')
            {
              fail (d, "data must be an object");
              goto out;
            }
          if (!scan_object (d, s->data))
            goto out;
          seen |= F_DATA;
        }
      else if (member_is (d->data, key_start, key_end, "archived"))
        {
          if (!read_bool (d, &view.archived))
            goto out;
          seen |= F_ARCHIVED;
        }
      else if (member_is (d->data, key_start, key_end, "obsolete"))
        {
          if (!read_bool (d, &view.obsolete))
            goto out;
        }
      else if (member_is (d->data, key_start, key_end, "updated_at"))
        {
          if (!read_text (d, s->updated_at))
            goto out;
          seen |= F_UPDATED_AT;
        }
      else if (member_is (d->data, key_start, key_end, "updated_by"))
        {
          if (!read_text (d, s->updated_by))
            goto out;
          seen |= F_UPDATED_BY;
        }
      else if (!scan_value (d, NULL))
        goto out;

      skip_ws (d);
      if (d->pos < d->len && d->data[d->pos] == ',')
        {
          d->pos++;
          skip_ws (d);
          continue;
        }
      if (d->pos < d->len && d->data[d->pos] == '}')
        {
          d->pos++;
          break;
        }
      fail (d, "expected ',' or '}'");
      goto out;
    }

check:
  if (seen != F_ALL)
    {
      fail (d, "a record lacks a member");
      goto out;
    }
  if (!navette_uuid_is_valid (s->id->str))
    {
      fail (d, "a record id is not a UUID");
      goto out;
    }
  if (view.version < 1)
    {
      fail (d, "a record version is not positive");
      goto out;
    }
  if (strlen (s->updated_at->str) != s->updated_at->len ||
      !navette_time_parse (s->updated_at->str, &view.updated_at))
    {
      fail (d, "a record time is not an RFC 3339 time");
      goto out;
    }
  if (strlen (s->updated_by->str) != s->updated_by->len)
    {
      fail (d, "a user name holds a NUL");
      goto out;
    }

  view.id = s->id->str;
  view.updated_by = s->updated_by->str;
  view.data_json = s->data->str;
  view.data_len = s->data->len;
  ok = func (&view, user_data, d->error);
  if (!ok && d->error != NULL && *d->error == NULL)
    fail (d, "a record was refused");

out:
  key_set_clear (&keys);
  d->depth--;
  return ok;
}

gboolean
navette_wire_decode_record_list (const char            *data,
                                 gsize                  len,
                                 gint64                *revision,
                                 NavetteWireRecordFunc  func,
                                 gpointer               user_data,
                                 GError               **error)
{
  Scratch s;
  Decoder d;
  KeySet keys;
  gboolean ok = FALSE, have_records = FALSE, have_revision = FALSE;
  gint64 rev = 0;

  g_return_val_if_fail (func != NULL, FALSE);

  if (!begin (&d, data, len, error))
    return FALSE;
  if (d.data[d.pos] != '{')
    return fail (&d, "the answer must be an object");

  s.id = g_string_sized_new (40);
  s.updated_by = g_string_sized_new (32);
  s.updated_at = g_string_sized_new (32);
  s.data = g_string_sized_new (256);
  key_set_init (&keys);

  d.depth = 1;
  d.pos++;
  skip_ws (&d);
  if (d.pos < d.len && d.data[d.pos] == '}')
    {
      d.pos++;
      goto check;
    }

  for (;;)
    {
      gsize key_start = d.pos, key_end;
      gboolean escaped;

      if (d.pos >= d.len || d.data[d.pos] != '"')
        {
          fail (&d, "expected a member name");
          goto out;
        }
      if (!scan_string (&d, NULL, NULL, &escaped))
        goto out;
      key_end = d.pos;
      if (!key_set_add (&keys, d.data, key_start, key_end, escaped))
        {
          fail (&d, "duplicate member name in an object");
          goto out;
        }
      skip_ws (&d);
      if (d.pos >= d.len || d.data[d.pos] != ':')
        {
          fail (&d, "expected ':'");
          goto out;
        }
      d.pos++;
      skip_ws (&d);

      if (!escaped && member_is (d.data, key_start, key_end, "records"))
        {
          if (d.pos >= d.len || d.data[d.pos] != '[')
            {
              fail (&d, "records must be an array");
              goto out;
            }
          if (!enter (&d))
            goto out;
          d.pos++;
          skip_ws (&d);
          if (d.pos < d.len && d.data[d.pos] == ']')
            d.pos++;
          else
            for (;;)
              {
                if (!decode_record (&d, &s, func, user_data))
                  goto out;
                skip_ws (&d);
                if (d.pos < d.len && d.data[d.pos] == ',')
                  {
                    d.pos++;
                    skip_ws (&d);
                    continue;
                  }
                if (d.pos < d.len && d.data[d.pos] == ']')
                  {
                    d.pos++;
                    break;
                  }
                fail (&d, "expected ',' or ']'");
                goto out;
              }
          d.depth--;
          have_records = TRUE;
        }
      else if (!escaped && member_is (d.data, key_start, key_end, "revision"))
        {
          if (!read_int (&d, &rev))
            goto out;
          have_revision = TRUE;
        }
      else if (!scan_value (&d, NULL))
        goto out;

      skip_ws (&d);
      if (d.pos < d.len && d.data[d.pos] == ',')
        {
          d.pos++;
          skip_ws (&d);
          continue;
        }
      if (d.pos < d.len && d.data[d.pos] == '}')
        {
          d.pos++;
          break;
        }
      fail (&d, "expected ',' or '}'");
      goto out;
    }

check:
  if (!have_records || !have_revision)
    {
      fail (&d, "the answer lacks records or revision");
      goto out;
    }
  if (!end (&d))
    goto out;
  if (revision != NULL)
    *revision = rev;
  ok = TRUE;

out:
  key_set_clear (&keys);
  g_string_free (s.id, TRUE);
  g_string_free (s.updated_by, TRUE);
  g_string_free (s.updated_at, TRUE);
  g_string_free (s.data, TRUE);
  return ok;
}
