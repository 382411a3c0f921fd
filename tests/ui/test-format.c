/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-format.c — times as the editor words them: relative in lists,
 * absolute in tooltips. */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <string.h>
#include <gtk/gtk.h>

#include "navette-format.h"

#define MINUTE ((gint64) 60 * G_USEC_PER_SEC)
#define HOUR (60 * MINUTE)

static void
test_relative (void)
{
  gint64 now = g_get_real_time ();
  struct { gint64 ago; const char *expected; } cases[] = {
    { 0, "just now" },
    { 59 * G_USEC_PER_SEC, "just now" },
    { MINUTE, "1 minute ago" },
    { 5 * MINUTE + 10 * G_USEC_PER_SEC, "5 minutes ago" },
    { HOUR, "1 hour ago" },
    { 23 * HOUR, "23 hours ago" },
    { 30 * HOUR, "yesterday" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = navette_format_relative_time (now - cases[i].ago, now);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_old_dates (void)
{
  g_autoptr(GDateTime) date = g_date_time_new_local (2026, 3, 12, 10, 0, 0);
  gint64 then = g_date_time_to_unix (date) * G_USEC_PER_SEC;
  g_autofree char *relative = navette_format_relative_time (then, then + 40 * 24 * HOUR);
  g_autofree char *absolute = navette_format_absolute_time (then);
  g_autofree char *clock = navette_format_clock_time (then);

  g_assert_cmpstr (g_strstrip (relative), ==, "12 March 2026");
  g_assert_cmpstr (g_strstrip (absolute), ==, "12 March 2026, 10:00:00");
  g_assert_cmpstr (clock, ==, "10:00");
}

/* The history's diff of a text: the changed words marked, the others
 * plain; markup-safe; long unchanged stretches shortened. */
static void
test_word_diff (void)
{
  g_autofree char *diff = navette_format_word_diff ("The quick brown fox jumps",
                                                   "The slow brown fox leaps & jumps");
  g_autofree char *same = navette_format_word_diff ("same <text>", "same <text>");
  g_autoptr(GString) longer = g_string_new (NULL);
  g_autoptr(GString) changed = NULL;
  g_autofree char *long_diff = NULL;
  PangoAttrList *attrs = NULL;
  g_autofree char *plain = NULL;

  g_assert_nonnull (strstr (diff, "<s><span foreground=\"#c01c28\">quick</span></s>"));
  g_assert_nonnull (strstr (diff, "<u><span foreground=\"#26a269\">slow</span></u>"));
  g_test_message ("%s", diff);
  g_assert_nonnull (strstr (diff, "<u><span foreground=\"#26a269\"> leaps &amp;</span></u> jumps"));
  g_assert_true (g_str_has_prefix (diff, "The "));
  g_assert_true (g_str_has_suffix (diff, "jumps"));
  g_assert_true (pango_parse_markup (diff, -1, 0, &attrs, &plain, NULL, NULL));
  g_assert_cmpstr (plain, ==, "The quickslow brown fox leaps & jumps");
  pango_attr_list_unref (attrs);
  g_assert_cmpstr (same, ==, "same &lt;text&gt;");

  for (int i = 0; i < 200; i++)
    g_string_append_printf (longer, "word%d ", i);
  changed = g_string_new (longer->str);
  g_string_replace (changed, "word100 ", "changed ", 1);
  long_diff = navette_format_word_diff (longer->str, changed->str);
  g_assert_nonnull (strstr (long_diff, "word100"));
  g_assert_nonnull (strstr (long_diff, "changed"));
  g_assert_null (strstr (long_diff, "word10 "));
  g_assert_null (strstr (long_diff, "word190"));
  g_assert_nonnull (strstr (long_diff, "…"));
}

int
main (int   argc,
      char *argv[])
{
  /* The English source strings (the C locale). */
  g_setenv ("LC_ALL", "C", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/format/relative", test_relative);
  g_test_add_func ("/format/old-dates", test_old_dates);
  g_test_add_func ("/format/word-diff", test_word_diff);

  return g_test_run ();
}
