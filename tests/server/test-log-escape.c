/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-log-escape.c — navette_log_escape_append(): what a client sent, as
 * one field of one line of the access log. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "navette-log-escape.h"

static char *
escape (const char *text)
{
  GString *out = g_string_new (NULL);

  navette_log_escape_append (out, text);
  return g_string_free (out, FALSE);
}

static void
assert_escaped (const char *text,
                const char *expected)
{
  g_autofree char *escaped = escape (text);

  g_assert_cmpstr (escaped, ==, expected);
}

static void
test_plain (void)
{
  assert_escaped ("GET", "GET");
  assert_escaped ("/api/v1/applications/blog/tables/articles/last-modified",
                  "/api/v1/applications/blog/tables/articles/last-modified");
  assert_escaped ("alice", "alice");
  /* printable ASCII but space and '%' is kept */
  assert_escaped ("!\"#$&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", "!\"#$&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~");
}

static void
test_empty (void)
{
  assert_escaped (NULL, "-");
  assert_escaped ("", "-");
  /* so that "-" still means "none" */
  assert_escaped ("-", "%2D");
  assert_escaped ("--", "--");
}

static void
test_line_breaks_and_controls (void)
{
  assert_escaped ("/api/v1/\nFAKE 200 0 0 -", "/api/v1/%0AFAKE%20200%200%200%20-");
  assert_escaped ("a\r\nb", "a%0D%0Ab");
  assert_escaped ("\x1b[31mred\x1b[0m", "%1B[31mred%1B[0m");
  assert_escaped ("back\bspace\x7f", "back%08space%7F");
  assert_escaped ("\t\x01\x1f", "%09%01%1F");
  assert_escaped ("a b", "a%20b");
  assert_escaped ("100%", "100%25");
  assert_escaped ("%0A", "%250A");
}

static void
test_beyond_ascii (void)
{
  /* valid UTF-8: its bytes, so that no bidirectional override, line
   * separator or C1 control reaches a terminal either */
  assert_escaped ("café", "caf%C3%A9");
  assert_escaped ("\xe2\x80\xae" "evil", "%E2%80%AEevil");   /* U+202E */
  assert_escaped ("\xc2\x85", "%C2%85");                     /* U+0085 NEL */
  assert_escaped ("\xe2\x80\xa8", "%E2%80%A8");              /* U+2028 */
  /* invalid UTF-8 */
  assert_escaped ("\xff\xfe", "%FF%FE");
  assert_escaped ("\xc3", "%C3");
}

/* Whatever the bytes, the field is printable ASCII without a space, and
 * reads back to them. */
static void
test_every_byte (void)
{
  char text[256];
  g_autofree char *escaped = NULL;
  g_autofree char *back = NULL;

  for (guint i = 1; i < 256; i++)
    text[i - 1] = (char) i;
  text[255] = '\0';
  escaped = escape (text);
  for (const char *p = escaped; *p != '\0'; p++)
    g_assert_true (*p > 0x20 && *p < 0x7f);
  back = g_uri_unescape_string (escaped, NULL);
  g_assert_cmpstr (back, ==, text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/log-escape/plain", test_plain);
  g_test_add_func ("/server/log-escape/empty", test_empty);
  g_test_add_func ("/server/log-escape/line-breaks-and-controls", test_line_breaks_and_controls);
  g_test_add_func ("/server/log-escape/beyond-ascii", test_beyond_ascii);
  g_test_add_func ("/server/log-escape/every-byte", test_every_byte);

  return g_test_run ();
}
