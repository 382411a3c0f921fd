/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-wire-json.c — the strict JSON decoder refuses every class of bad
 * input json-glib would mishandle, and accepts valid JSON unchanged. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "navette-wire-decoder.h"

static void
assert_refused (const char *data,
                gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = navette_json_parse_strict (data, len, &error);

  if (node != NULL)
    g_error ("accepted: %.*s", (int) MIN (len, 80), data);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_assert_nonnull (error->message);
}

static void
refuse (const char *text)
{
  assert_refused (text, strlen (text));
}

static JsonNode *
accept (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = navette_json_parse_strict (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
test_valid (void)
{
  const char *valid[] = {
    "{}", "[]", "0", "-0", "1.5", "-1.5e10", "1E+2", "true", "false", "null",
    "\"\"", " \t\r\n{ \"a\" : [1, 2, {\"b\": null}] } \n",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\uD83D\\uDE00\"", "\"é😀\"",
    "9223372036854775807", "-9223372036854775808",
    "{\"a\": 1, \"A\": 2}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(JsonNode) node = accept (valid[i]);
      (void) node;
    }
}

static void
test_values_kept (void)
{
  g_autoptr(JsonNode) root = accept ("{\"big\": 9223372036854775807, \"small\": -9223372036854775808,"
                                     " \"real\": 12.5, \"text\": \"\\uD83D\\uDE00\"}");
  JsonObject *object = json_node_get_object (root);

  g_assert_cmpint (json_object_get_int_member (object, "big"), ==, G_MAXINT64);
  g_assert_cmpint (json_object_get_int_member (object, "small"), ==, G_MININT64);
  g_assert_cmpfloat (json_object_get_double_member (object, "real"), ==, 12.5);
  g_assert_cmpstr (json_object_get_string_member (object, "text"), ==, "😀");
}

static void
test_empty (void)
{
  g_autoptr(GError) error = NULL;

  assert_refused (NULL, 0);
  assert_refused ("", 0);
  refuse ("   \n ");
  g_assert_null (navette_json_parse_strict ("{}", 0, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
}

static void
test_deep_nesting (void)
{
  gsize n = 100000;
  g_autofree char *deep = g_malloc (n);
  g_autofree char *balanced = g_malloc (2 * n);
  GString *ok = g_string_new (NULL);
  GString *over = g_string_new (NULL);
  g_autoptr(JsonNode) node = NULL;

  memset (deep, '[', n);
  assert_refused (deep, n);

  memset (balanced, '[', n);
  memset (balanced + n, ']', n);
  assert_refused (balanced, 2 * n);

  /* objects count too */
  for (guint i = 0; i < 100000; i++)
    g_string_append (over, "{\"a\":");
  assert_refused (over->str, over->len);

  /* exactly 64 levels is fine, 65 is not */
  for (guint i = 0; i < NAVETTE_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, '[');
  for (guint i = 0; i < NAVETTE_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, ']');
  node = accept (ok->str);
  g_string_prepend_c (ok, '[');
  g_string_append_c (ok, ']');
  refuse (ok->str);

  g_string_free (ok, TRUE);
  g_string_free (over, TRUE);
}

static void
test_duplicate_keys (void)
{
  refuse ("{\"a\": 1, \"a\": 2}");
  refuse ("{\"a\": 1, \"b\": {}, \"a\": 1}");
  /* escapes are decoded before comparing */
  refuse ("{\"a\": 1, \"\\u0061\": 2}");
  refuse ("[{\"x\": {\"y\": 1, \"y\": 1}}]");
}

static void
test_trailing_data (void)
{
  refuse ("{} {}");
  refuse ("{}x");
  refuse ("1 2");
  refuse ("[1],");
  assert_refused ("{}\0", 3);
}

static void
test_numbers (void)
{
  refuse ("9223372036854775808");
  refuse ("-9223372036854775809");
  refuse ("{\"a\": 123456789012345678901234567890}");
  refuse ("1e400");
  refuse ("-1e400");
  refuse ("NaN");
  refuse ("Infinity");
  refuse ("-Infinity");
  refuse ("01");
  refuse ("1.");
  refuse (".5");
  refuse ("+1");
  refuse ("1e");
  refuse ("0x10");
}

static void
test_utf8 (void)
{
  refuse ("\"\xff\"");
  refuse ("{\"a\": \"\xc3\"}");
  refuse ("\"\xed\xa0\x80\""); /* UTF-8 encoded surrogate */
  assert_refused ("\"a\0b\"", 5);
}

static void
test_strings (void)
{
  refuse ("\"abc");
  refuse ("\"\\x\"");
  refuse ("\"\\u12\"");
  refuse ("\"\\uZZZZ\"");
  refuse ("\"\\uD800\"");           /* lone high surrogate */
  refuse ("\"\\uD800\\u0041\"");    /* high + not low */
  refuse ("\"\\uDC00\"");           /* lone low surrogate */
  refuse ("\"\\u0000\"");
  refuse ("\"tab\there\"");
  refuse ("'single'");
}

static void
test_syntax (void)
{
  refuse ("{");
  refuse ("[1,]");
  refuse ("{\"a\":1,}");
  refuse ("{a: 1}");
  refuse ("{\"a\" 1}");
  refuse ("tru");
  refuse ("nul");
  refuse ("[1 2]");
  refuse ("/* comment */ {}");
}

/* The server answers a malformed body with these messages: each names
 * the byte where the input went wrong. navette_wire_json_validate (the
 * record-list decoder's checker) runs the same scanner and says the same,
 * but for the word "request" of an empty body. */
static void
assert_message (const char *text,
                gsize       len,
                const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) validate_error = NULL;
  g_autoptr(JsonNode) node = navette_json_parse_strict (text, len, &error);

  g_assert_null (node);
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (error->message, ==, message);

  g_assert_false (navette_wire_json_validate (text, len, &validate_error));
  g_assert_error (validate_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  if (g_str_equal (message, "The request body is empty"))
    g_assert_cmpstr (validate_error->message, ==, "The body is empty");
  else
    g_assert_cmpstr (validate_error->message, ==, message);
}

static void
test_messages (void)
{
  static const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "", "The request body is empty" },
    { "  \n", "The request body is empty" },
    { "\"\xff\"", "The body is not valid UTF-8" },
    { "{} x", "Malformed JSON at byte 3: trailing data after the JSON value" },
    { "[1 2]", "Malformed JSON at byte 3: expected ',' or ']' in an array" },
    { "[1,", "Malformed JSON at byte 3: unexpected end of input" },
    { "[", "Malformed JSON at byte 1: unexpected end of input" },
    { "{\"a\" 1}", "Malformed JSON at byte 5: expected ':' after a member name" },
    { "{\"a\":1 \"b\":2}", "Malformed JSON at byte 7: expected ',' or '}' in an object" },
    { "{\"a\":1", "Malformed JSON at byte 6: unterminated object" },
    { "{a:1}", "Malformed JSON at byte 1: expected a member name in quotes" },
    { "{\"a\":1,}", "Malformed JSON at byte 7: expected a member name in quotes" },
    { "{\"a\":1,\"a\":2}", "Malformed JSON at byte 7: duplicate member name in an object" },
    { "{\"a\":1, \"\\u0061\":2}", "Malformed JSON at byte 8: duplicate member name in an object" },
    { "{\"a\":", "Malformed JSON at byte 5: unexpected end of input" },
    { "tru", "Malformed JSON at byte 0: unexpected character" },
    { "@", "Malformed JSON at byte 0: unexpected character" },
    { "\"abc", "Malformed JSON at byte 4: unterminated string" },
    { "\"a\\", "Malformed JSON at byte 3: unterminated string" },
    { "\"a\tb\"", "Malformed JSON at byte 2: control characters must be escaped in strings" },
    { "\"\\x\"", "Malformed JSON at byte 2: invalid escape in a string" },
    { "\"\\u12\"", "Malformed JSON at byte 3: a \\u escape needs four hexadecimal digits" },
    { "\"\\uZZZZ\"", "Malformed JSON at byte 3: a \\u escape needs four hexadecimal digits" },
    { "\"\\uD800\"", "Malformed JSON at byte 7: a high surrogate must be followed by a low surrogate" },
    { "\"\\uD800\\u0041\"", "Malformed JSON at byte 13: a high surrogate must be followed by a low surrogate" },
    { "\"\\uDC00\"", "Malformed JSON at byte 7: a low surrogate without a high surrogate" },
    { "\"\\u0000\"", "Malformed JSON at byte 7: strings may not contain U+0000" },
    { "-", "Malformed JSON at byte 1: invalid number" },
    { "-a", "Malformed JSON at byte 1: invalid number" },
    { "01", "Malformed JSON at byte 1: numbers may not have leading zeros" },
    { "1.", "Malformed JSON at byte 2: a decimal point must be followed by digits" },
    { "1.e5", "Malformed JSON at byte 2: a decimal point must be followed by digits" },
    { "1e", "Malformed JSON at byte 2: an exponent needs digits" },
    { "1e+", "Malformed JSON at byte 3: an exponent needs digits" },
    { "9223372036854775808", "Malformed JSON at byte 0: integer out of range (must fit in 64 bits)" },
    { "[-9223372036854775809]", "Malformed JSON at byte 1: integer out of range (must fit in 64 bits)" },
    { "1e400", "Malformed JSON at byte 0: number out of range" },
  };
  g_autoptr(GString) deep = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = g_strescape (cases[i].text, NULL);  /* TAP wants UTF-8 */

      g_test_message ("%s", shown);
      assert_message (cases[i].text, strlen (cases[i].text), cases[i].message);
    }
  assert_message (NULL, 0, "The request body is empty");

  /* the 65th bracket is refused where it stands */
  for (guint i = 0; i <= NAVETTE_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  assert_message (deep->str, deep->len, "Malformed JSON at byte 64: nesting deeper than 64 levels");
}

static void
test_to_string (void)
{
  g_autoptr(JsonNode) root = accept ("{ \"a\" : [ 1 , true ] }");
  g_autofree char *text = NULL;
  gsize len = 0;

  text = navette_json_to_string (root, &len);
  g_assert_cmpstr (text, ==, "{\"a\":[1,true]}");
  g_assert_cmpuint (len, ==, strlen (text));
}

static void
test_to_string_doubles (void)
{
  /* json-glib 1.6's generator would write "1e+22.0" and "-5e+19.0" */
  g_autoptr(JsonNode) root = accept ("[1e22, -0.5e20, 0.1, 2.0, 1.5e-7]");
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  text = navette_json_to_string (root, &len);
  g_assert_cmpstr (text, ==, "[1e+22,-5e+19,0.1,2.0,1.5e-07]");
  again = navette_json_parse_strict (text, len, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (root, again));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wire/json/valid", test_valid);
  g_test_add_func ("/wire/json/values-kept", test_values_kept);
  g_test_add_func ("/wire/json/empty", test_empty);
  g_test_add_func ("/wire/json/deep-nesting", test_deep_nesting);
  g_test_add_func ("/wire/json/duplicate-keys", test_duplicate_keys);
  g_test_add_func ("/wire/json/trailing-data", test_trailing_data);
  g_test_add_func ("/wire/json/numbers", test_numbers);
  g_test_add_func ("/wire/json/utf8", test_utf8);
  g_test_add_func ("/wire/json/strings", test_strings);
  g_test_add_func ("/wire/json/syntax", test_syntax);
  g_test_add_func ("/wire/json/messages", test_messages);
  g_test_add_func ("/wire/json/to-string", test_to_string);
  g_test_add_func ("/wire/json/to-string-doubles", test_to_string_doubles);

  return g_test_run ();
}
