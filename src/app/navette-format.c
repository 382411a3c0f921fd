/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "navette-format.h"

char *
navette_format_relative_time (gint64 unix_usec,
                              gint64 now_usec)
{
  gint64 seconds = (now_usec - unix_usec) / G_USEC_PER_SEC;
  g_autoptr(GDateTime) then = NULL;

  if (seconds < 60)
    return g_strdup (_("just now"));
  if (seconds < 3600)
    {
      int minutes = (int) (seconds / 60);

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", minutes), minutes);
    }
  if (seconds < 24 * 3600)
    {
      int hours = (int) (seconds / 3600);

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", hours), hours);
    }
  if (seconds < 48 * 3600)
    return g_strdup (_("yesterday"));

  then = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);
  /* Translators: a date, see the strftime manual; e.g. "12 March 2026" */
  return g_date_time_format (then, _("%e %B %Y"));
}

char *
navette_format_absolute_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);

  if (then == NULL)
    return g_strdup ("");
  /* Translators: a date and time, see the strftime manual; e.g.
   * "28 November 2026, 10:31:05" */
  return g_date_time_format (then, _("%e %B %Y, %H:%M:%S"));
}

char *
navette_format_clock_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);

  if (then == NULL)
    return g_strdup ("");
  return g_date_time_format (then, "%H:%M");
}

char *
navette_format_record_name (NavetteTable  *table,
                            NavetteRecord *record)
{
  const NavetteWireTable *schema;

  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (NAVETTE_IS_RECORD (record), NULL);

  schema = navette_table_get_schema (table);
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      const char *text;

      if (column->type != NAVETTE_COLUMN_TEXT)
        continue;
      text = navette_record_get_string (record, column->name);
      if (text != NULL && text[0] != '\0')
        return g_strdup (text);
    }
  return NULL;
}

char *
navette_format_record_title (NavetteTable  *table,
                             NavetteRecord *record)
{
  char *name = navette_format_record_name (table, record);

  /* Translators: the name of a record with no text to name it by */
  return name != NULL ? name : g_strdup (_("Untitled"));
}

char *
navette_format_value (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    /* Translators: an empty value in the history ("Price: — → 12.50") */
    return g_strdup (_("—"));
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      /* In the user's locale, as the list shows it ("12,50" in French). */
      return g_strdup_printf ("%.2f", json_node_get_double (node));
    default:
      {
        const char *text = json_node_get_string (node);

        if (text != NULL && g_utf8_strlen (text, -1) > 40)
          {
            g_autofree char *cut = g_utf8_substring (text, 0, 40);

            return g_strconcat (cut, "…", NULL);
          }
        return g_strdup (text != NULL ? text : "");
      }
    }
}

gboolean
navette_format_same_value (JsonNode *a,
                           JsonNode *b)
{
  gboolean a_null = a == NULL || JSON_NODE_HOLDS_NULL (a);
  gboolean b_null = b == NULL || JSON_NODE_HOLDS_NULL (b);

  if (a_null || b_null)
    return a_null == b_null;
  if (json_node_get_value_type (a) == G_TYPE_STRING || json_node_get_value_type (b) == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
  if (json_node_get_value_type (a) == G_TYPE_BOOLEAN || json_node_get_value_type (b) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (a) == json_node_get_boolean (b);
  return json_node_get_double (a) == json_node_get_double (b);
}

/* ---- Word-level diff of two texts ---- */

/* Words and the spaces between them, as tokens (each a pointer into the
 * text and a length). */
typedef struct
{
  const char *start;
  gsize       len;
} Token;

static GArray *
tokenize (const char *text)
{
  GArray *tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  const char *p = text;

  while (*p != '\0')
    {
      Token token = { p, 0 };
      gboolean space = g_unichar_isspace (g_utf8_get_char (p));

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)) == space)
        p = g_utf8_next_char (p);
      token.len = (gsize) (p - token.start);
      g_array_append_val (tokens, token);
    }
  return tokens;
}

static gboolean
token_equal (const Token *a,
             const Token *b)
{
  return a->len == b->len && memcmp (a->start, b->start, a->len) == 0;
}

typedef enum { OP_SAME, OP_DELETE, OP_INSERT } DiffOp;

static void
append_tokens (GString     *out,
               const Token *tokens,
               guint        from,
               guint        to)
{
  for (guint i = from; i < to; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (tokens[i].start, (gssize) tokens[i].len);

      g_string_append (out, escaped);
    }
}

/* Unchanged runs keep a few words of context around the changes. */
#define CONTEXT_TOKENS 12

static void
append_run (GString     *out,
            DiffOp       op,
            const Token *tokens,
            guint        from,
            guint        to,
            gboolean     first,
            gboolean     last)
{
  switch (op)
    {
    case OP_DELETE:
      g_string_append (out, "<s><span foreground=\"#c01c28\">");
      append_tokens (out, tokens, from, to);
      g_string_append (out, "</span></s>");
      break;
    case OP_INSERT:
      g_string_append (out, "<u><span foreground=\"#26a269\">");
      append_tokens (out, tokens, from, to);
      g_string_append (out, "</span></u>");
      break;
    case OP_SAME:
    default:
      if (!first && !last && to - from > 2 * CONTEXT_TOKENS + 1)
        {
          append_tokens (out, tokens, from, from + CONTEXT_TOKENS);
          g_string_append (out, " … ");
          append_tokens (out, tokens, to - CONTEXT_TOKENS, to);
        }
      else if (first && !last && to - from > CONTEXT_TOKENS + 1)
        {
          g_string_append (out, "… ");
          append_tokens (out, tokens, to - CONTEXT_TOKENS, to);
        }
      else if (last && !first && to - from > CONTEXT_TOKENS + 1)
        {
          append_tokens (out, tokens, from, from + CONTEXT_TOKENS);
          g_string_append (out, " …");
        }
      else
        append_tokens (out, tokens, from, to);
      break;
    }
}

/* Past this many cells (words before × words after, once the common
 * beginning and end are set aside), the middle is shown as removed and
 * added whole rather than compared word by word. */
#define MAX_DIFF_CELLS (4 * 1024 * 1024)

char *
navette_format_word_diff (const char *before,
                          const char *after)
{
  g_autoptr(GArray) a = tokenize (before != NULL ? before : "");
  g_autoptr(GArray) b = tokenize (after != NULL ? after : "");
  const Token *ta = (const Token *) a->data;
  const Token *tb = (const Token *) b->data;
  GString *out = g_string_new (NULL);
  guint prefix = 0, suffix = 0;
  guint n, m;
  g_autoptr(GArray) ops = g_array_new (FALSE, FALSE, sizeof (guint8));

  while (prefix < a->len && prefix < b->len && token_equal (&ta[prefix], &tb[prefix]))
    prefix++;
  while (suffix < a->len - prefix && suffix < b->len - prefix &&
         token_equal (&ta[a->len - 1 - suffix], &tb[b->len - 1 - suffix]))
    suffix++;
  n = a->len - prefix - suffix;
  m = b->len - prefix - suffix;

  /* The middle: a longest common subsequence of tokens, as operations. */
  if (n > 0 && m > 0 && (guint64) (n + 1) * (m + 1) <= MAX_DIFF_CELLS)
    {
      guint32 *lcs = g_new0 (guint32, (gsize) (n + 1) * (m + 1));
      guint i = 0, j = 0;

#define LCS(x, y) lcs[(gsize) (x) * (m + 1) + (y)]
      for (guint x = n; x-- > 0;)
        for (guint y = m; y-- > 0;)
          LCS (x, y) = token_equal (&ta[prefix + x], &tb[prefix + y])
                       ? LCS (x + 1, y + 1) + 1
                       : MAX (LCS (x + 1, y), LCS (x, y + 1));
      while (i < n || j < m)
        {
          guint8 op;

          if (i < n && j < m && token_equal (&ta[prefix + i], &tb[prefix + j]))
            op = OP_SAME, i++, j++;
          else if (j < m && (i == n || LCS (i, j + 1) > LCS (i + 1, j)))
            op = OP_INSERT, j++;
          else
            op = OP_DELETE, i++;
          g_array_append_val (ops, op);
        }
#undef LCS
      g_free (lcs);
    }

  /* Rewritten rather than edited (few words in common): removed and added
   * whole reads better than words interleaved. */
  if (ops->len > 0)
    {
      guint same = 0, words = 0;
      guint i = prefix;

      for (guint k = 0; k < ops->len; k++)
        {
          guint8 op = g_array_index (ops, guint8, k);

          if (op != OP_INSERT)
            {
              gboolean word = !g_unichar_isspace (g_utf8_get_char (ta[i].start));

              words += word;
              same += word && op == OP_SAME;
              i++;
            }
        }
      if (words > 8 && same * 3 < words)
        g_array_set_size (ops, 0);
    }
  if (ops->len == 0 && (n > 0 || m > 0))
    {
      guint8 op = OP_DELETE;

      for (guint i = 0; i < n; i++)
        g_array_append_val (ops, op);
      op = OP_INSERT;
      for (guint j = 0; j < m; j++)
        g_array_append_val (ops, op);
    }

  /* Runs: the common beginning, the middle's runs, the common end. */
  {
    gboolean any = ops->len > 0;
    guint i = prefix, j = prefix;
    guint k = 0;

    if (prefix > 0)
      append_run (out, OP_SAME, ta, 0, prefix, TRUE, !any && suffix == 0);
    while (k < ops->len)
      {
        guint8 op = g_array_index (ops, guint8, k);
        guint count = 0;

        while (k < ops->len && g_array_index (ops, guint8, k) == op)
          k++, count++;
        if (op == OP_INSERT)
          {
            append_run (out, OP_INSERT, tb, j, j + count, FALSE, FALSE);
            j += count;
          }
        else
          {
            append_run (out, (DiffOp) op, ta, i, i + count, i == 0, FALSE);
            i += count;
            if (op == OP_SAME)
              j += count;
          }
      }
    if (suffix > 0)
      append_run (out, OP_SAME, ta, a->len - suffix, a->len, a->len - suffix == 0, TRUE);
  }
  return g_string_free (out, FALSE);
}

char *
navette_format_link_uri (const NavetteWireColumn *column,
                         const char              *text)
{
  const char *type = navette_column_type_to_string (column->type);

  if (text == NULL || text[0] == '\0')
    return NULL;
  if (g_strcmp0 (type, "url") == 0)
    {
      const char *scheme = g_uri_peek_scheme (text);

      /* Only what a browser should open. */
      if (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0)
        return g_strdup (text);
      return NULL;
    }
  if (g_strcmp0 (type, "email") == 0)
    {
      g_autofree char *escaped = NULL;

      if (strchr (text, '@') == NULL || strpbrk (text, " \t\r\n?&") != NULL)
        return NULL;
      escaped = g_uri_escape_string (text, "@.+-_", FALSE);
      return g_strconcat ("mailto:", escaped, NULL);
    }
  return NULL;
}
