/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-format.c — times as the editor words them: relative in lists,
 * absolute in tooltips. */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

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

  return g_test_run ();
}
