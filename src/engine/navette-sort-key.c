/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-sort-key.c — the sort key of a text (docs/replica.md, "Text
 * order").
 *
 * A key is compared byte by byte (memcmp(), SQLite's BINARY order of
 * BLOBs). It is made of two parts separated by a 0 byte:
 *
 *  1. the text compatibility-decomposed (NFKD), case-folded, without its
 *     combining marks (accents), "œ" and "æ" written "oe" and "ae", and
 *     each run of ASCII digits written as '0', its length (leading zeros
 *     left out) and its digits, so that numbers compare by value ("n° 2"
 *     before "n° 10", as GNOME's file names);
 *  2. the text itself (UTF-8), so that texts equal in 1 ("Cote", "côte",
 *     "cote") are in a stable order (by code point: capitals first).
 *
 * So "abricot" < "Banane" < "cerise" < "Éclair" < "fraise" < "Zoé": what a
 * French (or English, German, Italian…) reader expects, whatever the
 * process's locale. It does not depend on LC_COLLATE on purpose: the key
 * is stored in the replica, which the app and navette-cli share, and
 * g_utf8_collate() sorts by code point under C.UTF-8 (containers, CI),
 * exactly the bytes order this replaces. Languages that put an accented
 * letter after z (Swedish å, ä, ö) get it among the a's and o's. */
#include "config.h"

#include <string.h>

#include "navette-sort-key.h"

static void
append_digits (GByteArray *out,
               const char *digits,
               gsize       n)
{
  guint8 lead = '0';
  guint8 len;

  while (n > 1 && *digits == '0')
    {
      digits++;
      n--;
    }
  len = (guint8) MIN (n, 255);
  g_byte_array_append (out, &lead, 1);
  g_byte_array_append (out, &len, 1);
  g_byte_array_append (out, (const guint8 *) digits, n);
}

static gboolean
is_ascii (const char *text,
          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] >= 0x80 || text[i] == '\0')
      return FALSE;
  return TRUE;
}

/* Returns a newly allocated key of @key_len bytes for @text (@len bytes,
 * or NUL-terminated when -1; valid UTF-8, or the invalid bytes are left
 * out of part 1). */
guint8 *
navette_sort_key (const char *text,
                  gssize      len,
                  gsize      *key_len)
{
  g_autofree char *decomposed = NULL;
  g_autofree char *folded = NULL;
  GByteArray *out;
  const guint8 zero = 0;
  const char *p;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (key_len != NULL, NULL);

  if (len < 0)
    len = strlen (text);
  out = g_byte_array_sized_new (2 * len + 2);
  if (is_ascii (text, len))
    /* ASCII is its own NFKD, and its case folding is A-Z to a-z: the
     * same result without GLib's decomposition and folding, which were
     * most of the key's cost (a product name, a reference: the common
     * case; 1 000 000 keys in a first sync). */
    folded = g_ascii_strdown (text, len);
  else
    {
      decomposed = g_utf8_normalize (text, len, G_NORMALIZE_NFKD);
      if (decomposed != NULL)
        folded = g_utf8_casefold (decomposed, -1);
    }

  for (p = folded; p != NULL && *p != '\0';)
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (c >= '0' && c <= '9')
        {
          const char *end = p;

          while (*end >= '0' && *end <= '9')
            end++;
          append_digits (out, p, end - p);
          p = end;
          continue;
        }
      if (g_unichar_ismark (c) || c < 0x20)
        ;  /* accents; control characters (below any text) */
      else if (c == 0x0153)   /* œ */
        g_byte_array_append (out, (const guint8 *) "oe", 2);
      else if (c == 0x00E6)   /* æ */
        g_byte_array_append (out, (const guint8 *) "ae", 2);
      else
        g_byte_array_append (out, (const guint8 *) p, next - p);
      p = next;
    }
  g_byte_array_append (out, &zero, 1);
  g_byte_array_append (out, (const guint8 *) text, len);
  *key_len = out->len;
  return g_byte_array_free (out, FALSE);
}
