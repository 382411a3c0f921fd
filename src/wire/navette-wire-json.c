/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-json.c — the strict JSON decoder.
 *
 * json-glib 1.6 recurses without a limit (so very deep nesting overflows
 * the stack), keeps the last of duplicate keys and silently wraps integers
 * that do not fit in gint64. So every input is first checked by the small
 * scanner below, which follows RFC 8259 exactly and adds our limits; only
 * input that passes is handed to JsonParser. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "navette-wire.h"

typedef struct
{
  const char *data;
  gsize       len;
  gsize       pos;
  guint       depth;
  GString    *scratch;
  GError    **error;
} Scanner;

static gboolean
fail (Scanner    *s,
      const char *message)
{
  g_set_error (s->error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
               "Malformed JSON at byte %" G_GSIZE_FORMAT ": %s", s->pos, message);
  return FALSE;
}

static void
skip_whitespace (Scanner *s)
{
  while (s->pos < s->len)
    {
      char c = s->data[s->pos];

      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      s->pos++;
    }
}

static gboolean scan_value (Scanner *s);

static gboolean
scan_hex4 (Scanner  *s,
           gunichar *out)
{
  gunichar value = 0;

  if (s->len - s->pos < 4)
    return fail (s, "a \\u escape needs four hexadecimal digits");
  for (guint i = 0; i < 4; i++)
    {
      int h = g_ascii_xdigit_value (s->data[s->pos + i]);

      if (h < 0)
        return fail (s, "a \\u escape needs four hexadecimal digits");
      value = (value << 4) | (gunichar) h;
    }
  s->pos += 4;
  *out = value;
  return TRUE;
}

/* Scans a string starting at the opening quote. When @decoded is not
 * NULL the decoded text is stored there (used for object keys). */
static gboolean
scan_string (Scanner *s,
             GString *decoded)
{
  g_assert (s->data[s->pos] == '"');
  s->pos++;

  if (decoded != NULL)
    g_string_truncate (decoded, 0);

  while (s->pos < s->len)
    {
      guchar c = (guchar) s->data[s->pos];

      if (c == '"')
        {
          s->pos++;
          return TRUE;
        }
      else if (c < 0x20)
        {
          return fail (s, "control characters must be escaped in strings");
        }
      else if (c == '\\')
        {
          char e;

          s->pos++;
          if (s->pos >= s->len)
            break;
          e = s->data[s->pos++];
          switch (e)
            {
            case '"': case '\\': case '/':
              if (decoded != NULL)
                g_string_append_c (decoded, e);
              break;
            case 'b':
              if (decoded != NULL)
                g_string_append_c (decoded, '\b');
              break;
            case 'f':
              if (decoded != NULL)
                g_string_append_c (decoded, '\f');
              break;
            case 'n':
              if (decoded != NULL)
                g_string_append_c (decoded, '\n');
              break;
            case 'r':
              if (decoded != NULL)
                g_string_append_c (decoded, '\r');
              break;
            case 't':
              if (decoded != NULL)
                g_string_append_c (decoded, '\t');
              break;
            case 'u':
              {
                gunichar cp;

                if (!scan_hex4 (s, &cp))
                  return FALSE;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                  return fail (s, "a low surrogate without a high surrogate");
                if (cp >= 0xD800 && cp <= 0xDBFF)
                  {
                    gunichar low;

                    if (s->len - s->pos < 2 || s->data[s->pos] != '\\' || s->data[s->pos + 1] != 'u')
                      return fail (s, "a high surrogate must be followed by a low surrogate");
                    s->pos += 2;
                    if (!scan_hex4 (s, &low))
                      return FALSE;
                    if (low < 0xDC00 || low > 0xDFFF)
                      return fail (s, "a high surrogate must be followed by a low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                  }
                if (cp == 0)
                  return fail (s, "strings may not contain U+0000");
                if (decoded != NULL)
                  g_string_append_unichar (decoded, cp);
              }
              break;
            default:
              s->pos--;
              return fail (s, "invalid escape in a string");
            }
        }
      else
        {
          /* UTF-8 validity was checked for the whole input already. */
          if (decoded != NULL)
            g_string_append_c (decoded, (char) c);
          s->pos++;
        }
    }

  return fail (s, "unterminated string");
}

static gboolean
scan_digits (Scanner *s)
{
  gsize start = s->pos;

  while (s->pos < s->len && g_ascii_isdigit (s->data[s->pos]))
    s->pos++;
  return s->pos > start;
}

static gboolean
scan_number (Scanner *s)
{
  gsize start = s->pos;
  gboolean integer = TRUE;
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *copy = NULL;
  const char *text;
  gsize text_len;

  if (s->data[s->pos] == '-')
    s->pos++;
  if (s->pos >= s->len || !g_ascii_isdigit (s->data[s->pos]))
    return fail (s, "invalid number");
  if (s->data[s->pos] == '0')
    {
      s->pos++;
      if (s->pos < s->len && g_ascii_isdigit (s->data[s->pos]))
        return fail (s, "numbers may not have leading zeros");
    }
  else
    scan_digits (s);

  if (s->pos < s->len && s->data[s->pos] == '.')
    {
      integer = FALSE;
      s->pos++;
      if (!scan_digits (s))
        return fail (s, "a decimal point must be followed by digits");
    }
  if (s->pos < s->len && (s->data[s->pos] == 'e' || s->data[s->pos] == 'E'))
    {
      integer = FALSE;
      s->pos++;
      if (s->pos < s->len && (s->data[s->pos] == '+' || s->data[s->pos] == '-'))
        s->pos++;
      if (!scan_digits (s))
        return fail (s, "an exponent needs digits");
    }

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

  if (integer)
    {
      gint64 value;
      char *end = NULL;

      errno = 0;
      value = g_ascii_strtoll (text, &end, 10);
      (void) value;
      if (errno == ERANGE || end == NULL || *end != '\0')
        {
          s->pos = start;
          return fail (s, "integer out of range (must fit in 64 bits)");
        }
    }
  else
    {
      double value;

      errno = 0;
      value = g_ascii_strtod (text, NULL);
      if (!isfinite (value))
        {
          s->pos = start;
          return fail (s, "number out of range");
        }
    }
  return TRUE;
}

static gboolean
scan_literal (Scanner    *s,
              const char *literal)
{
  gsize n = strlen (literal);

  if (s->len - s->pos < n || memcmp (s->data + s->pos, literal, n) != 0)
    return fail (s, "unexpected character");
  s->pos += n;
  return TRUE;
}

static gboolean
scan_object (Scanner *s)
{
  g_autoptr(GHashTable) keys = NULL;

  s->pos++; /* '{' */
  skip_whitespace (s);
  if (s->pos < s->len && s->data[s->pos] == '}')
    {
      s->pos++;
      return TRUE;
    }

  keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (;;)
    {
      gsize key_pos;

      skip_whitespace (s);
      if (s->pos >= s->len || s->data[s->pos] != '"')
        return fail (s, "expected a member name in quotes");
      key_pos = s->pos;
      if (!scan_string (s, s->scratch))
        return FALSE;
      if (g_hash_table_contains (keys, s->scratch->str))
        {
          s->pos = key_pos;
          return fail (s, "duplicate member name in an object");
        }
      g_hash_table_add (keys, g_strndup (s->scratch->str, s->scratch->len));

      skip_whitespace (s);
      if (s->pos >= s->len || s->data[s->pos] != ':')
        return fail (s, "expected ':' after a member name");
      s->pos++;
      if (!scan_value (s))
        return FALSE;
      skip_whitespace (s);
      if (s->pos >= s->len)
        return fail (s, "unterminated object");
      if (s->data[s->pos] == ',')
        {
          s->pos++;
          continue;
        }
      if (s->data[s->pos] == '}')
        {
          s->pos++;
          return TRUE;
        }
      return fail (s, "expected ',' or '}' in an object");
    }
}

static gboolean
scan_array (Scanner *s)
{
  s->pos++; /* '[' */
  skip_whitespace (s);
  if (s->pos < s->len && s->data[s->pos] == ']')
    {
      s->pos++;
      return TRUE;
    }
  for (;;)
    {
      if (!scan_value (s))
        return FALSE;
      skip_whitespace (s);
      if (s->pos >= s->len)
        return fail (s, "unterminated array");
      if (s->data[s->pos] == ',')
        {
          s->pos++;
          continue;
        }
      if (s->data[s->pos] == ']')
        {
          s->pos++;
          return TRUE;
        }
      return fail (s, "expected ',' or ']' in an array");
    }
}

static gboolean
scan_value (Scanner *s)
{
  gboolean ok;

  skip_whitespace (s);
  if (s->pos >= s->len)
    return fail (s, "unexpected end of input");

  switch (s->data[s->pos])
    {
    case '{':
    case '[':
      /* The depth is checked before recursing, so the C stack stays
       * bounded whatever the input. */
      if (s->depth >= NAVETTE_JSON_MAX_DEPTH)
        return fail (s, "nesting deeper than 64 levels");
      s->depth++;
      ok = s->data[s->pos] == '{' ? scan_object (s) : scan_array (s);
      s->depth--;
      return ok;
    case '"':
      return scan_string (s, NULL);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return scan_number (s);
    default:
      return fail (s, "unexpected character");
    }
}

static gboolean
json_check_strict (const char  *data,
                   gsize        len,
                   GError     **error)
{
  g_autoptr(GString) scratch = g_string_new (NULL);
  Scanner s = { data, len, 0, 0, scratch, error };

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The request body is empty");
      return FALSE;
    }
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The body is not valid UTF-8");
      return FALSE;
    }
  skip_whitespace (&s);
  if (s.pos >= len)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The request body is empty");
      return FALSE;
    }
  if (!scan_value (&s))
    return FALSE;
  skip_whitespace (&s);
  if (s.pos != len)
    return fail (&s, "trailing data after the JSON value");
  return TRUE;
}

JsonNode *
navette_json_parse_strict (const char  *data,
                           gsize        len,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!json_check_strict (data, len, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                   "Malformed JSON: %s", local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
                           "The request body is empty");
      return NULL;
    }
  return json_node_ref (root);
}

char *
navette_json_to_string (JsonNode *node,
                        gsize    *length)
{
  GString *out;

  g_return_val_if_fail (node != NULL, NULL);

  /* Not JsonGenerator: json-glib 1.6 writes doubles such as 1e22 as
   * "1e+22.0", which is not JSON. */
  out = g_string_sized_new (128);
  navette_json_append_node (out, node);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

void
navette_json_append_string (GString    *out,
                            const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run;
  const char *p;

  g_return_if_fail (out != NULL);

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  run = text;
  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *escape = NULL;
      char unicode[7];

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      switch (c)
        {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default:
          unicode[0] = '\\';
          unicode[1] = 'u';
          unicode[2] = '0';
          unicode[3] = '0';
          unicode[4] = hex[c >> 4];
          unicode[5] = hex[c & 0xf];
          unicode[6] = '\0';
          escape = unicode;
          break;
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, escape);
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

void
navette_json_append_double (GString *out,
                            double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (out != NULL);

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  /* the shortest of %.15g, %.16g, %.17g that reads back exactly */
  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (precision == 17 || g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
  if (strpbrk (buffer, ".eE") == NULL)
    g_string_append (out, ".0");
}

void
navette_json_append_node (GString  *out,
                          JsonNode *node)
{
  g_return_if_fail (out != NULL);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      g_string_append (out, "null");
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      gboolean first = TRUE;

      g_string_append_c (out, '{');
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        {
          if (!first)
            g_string_append_c (out, ',');
          first = FALSE;
          navette_json_append_string (out, name);
          g_string_append_c (out, ':');
          navette_json_append_node (out, member);
        }
      g_string_append_c (out, '}');
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      g_string_append_c (out, '[');
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          navette_json_append_node (out, json_array_get_element (array, i));
        }
      g_string_append_c (out, ']');
      return;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      navette_json_append_string (out, json_node_get_string (node));
      break;
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      navette_json_append_double (out, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}
