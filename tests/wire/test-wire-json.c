/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-wire-json.c — the strict JSON decoder refuses every class of bad
 * input json-glib would mishandle, and accepts valid JSON unchanged. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "navette-wire-decoder.h"
#include "navette-wire-siphash-private.h"

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

/* Duplicates past the small objects' linear comparison: the hash set. */
static void
test_duplicate_keys_large (void)
{
  g_autoptr(GString) text = g_string_new ("{");
  g_autoptr(GString) dup = NULL;
  g_autoptr(GString) escaped = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < 500; i++)
    g_string_append_printf (text, "%s\"k%u\":%u", i ? "," : "", i, i);
  dup = g_string_new (text->str);
  escaped = g_string_new (text->str);
  g_string_append (text, "}");
  node = accept (text->str);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==, 500);

  g_string_append (dup, ",\"k17\":0}");
  refuse (dup->str);
  g_string_append (escaped, ",\"\\u006b499\":0}");
  refuse (escaped->str);
}

/* Up to NAVETTE_JSON_MAX_MEMBERS members per object, in every document. */
static void
test_member_limit (void)
{
  g_autoptr(GString) text = g_string_new ("[{");
  g_autoptr(GString) over = NULL;
  g_autoptr(GString) other = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < NAVETTE_JSON_MAX_MEMBERS; i++)
    g_string_append_printf (text, "%s\"m%u\":null", i ? "," : "", i);
  over = g_string_new (text->str);
  g_string_append (text, "}]");
  node = accept (text->str);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (json_array_get_element (json_node_get_array (node), 0))),
                    ==, NAVETTE_JSON_MAX_MEMBERS);

  /* the next name is refused where it stands */
  g_string_append (over, ",\"last\":null}]");
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *expected = g_strdup_printf ("Malformed JSON at byte %" G_GSIZE_FORMAT
                                                 ": more than %u members in an object",
                                                 strstr (over->str, "\"last\"") - over->str,
                                                 NAVETTE_JSON_MAX_MEMBERS);

    g_assert_null (navette_json_parse_strict (over->str, over->len, &error));
    g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
    g_assert_cmpstr (error->message, ==, expected);
    g_assert_false (navette_wire_json_validate (over->str, over->len, NULL));
  }

  /* per object: two full objects side by side are fine */
  other = g_string_new (text->str);
  g_string_truncate (other, other->len - 1);
  g_string_append_c (other, ',');
  g_string_append_len (other, text->str + 1, text->len - 1);
  g_clear_pointer (&node, json_node_unref);
  node = accept (other->str);
}

/* json-glib hashes member names with g_str_hash, which anyone can make
 * collide: "Ez", "FY" and "G8" hash alike, and so does any string of
 * these blocks of one length. A large object may hold four names with one
 * hash, not five. */
static void
test_colliding_names (void)
{
  static const char *blocks[] = { "Ez", "FY", "G8" };
  g_autoptr(GString) four = g_string_new ("{");
  g_autoptr(GString) five = NULL;
  g_autoptr(GString) small = g_string_new ("{");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpuint (g_str_hash ("EzEz"), ==, g_str_hash ("FYG8"));
  for (guint i = 0; i < 4; i++)
    g_string_append_printf (four, "\"%s%s\":%u,", blocks[i / 3], blocks[i % 3], i);
  for (guint i = 0; i < 20; i++)
    g_string_append_printf (four, "\"n%u\":%u,", i, i);
  five = g_string_new (four->str);
  g_string_append (four, "\"end\":0}");
  node = accept (four->str);

  g_string_append_printf (five, "\"%s%s\":4}", blocks[1], blocks[1]);
  g_assert_null (navette_json_parse_strict (five->str, five->len, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  expected = g_strdup_printf ("Malformed JSON at byte %" G_GSIZE_FORMAT
                              ": member names built to collide in a hash table", five->len - 1);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_false (navette_wire_json_validate (five->str, five->len, NULL));

  /* a small object is compared name by name: nothing to aim at */
  for (guint i = 0; i < 9; i++)
    g_string_append_printf (small, "%s\"%s%s\":%u", i ? "," : "", blocks[i / 3], blocks[i % 3], i);
  g_string_append_c (small, '}');
  g_clear_pointer (&node, json_node_unref);
  node = accept (small->str);
}

/* A request body holds at most NAVETTE_JSON_MAX_REQUEST_ITEMS values;
 * other documents (the server's answers) have no such limit. */
static void
test_request_items (void)
{
  g_autoptr(GString) text = g_string_new ("[0");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;

  /* the array itself is one value */
  for (guint i = 2; i < NAVETTE_JSON_MAX_REQUEST_ITEMS; i++)
    g_string_append (text, ",0");
  g_string_append_c (text, ']');
  node = navette_json_parse_request (text->str, text->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, NAVETTE_JSON_MAX_REQUEST_ITEMS - 1);

  g_string_insert (text, 1, "0,");
  g_assert_null (navette_json_parse_request (text->str, text->len, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (error->message, ==, "Malformed JSON at byte 199999: more than 100000 values in the document");
  answer = navette_json_parse_strict (text->str, text->len, NULL);
  g_assert_nonnull (answer);
}

/* The reference vectors of SipHash-2-4 (key 00 01 … 0f, message 00 01 …
 * n-1), and a key of our own per process. */
static void
test_siphash (void)
{
  static const struct
  {
    gsize   len;
    guint64 hash;
  } vectors[] = {
    { 0, G_GUINT64_CONSTANT (0x726fdb47dd0e0e31) },
    { 1, G_GUINT64_CONSTANT (0x74f839c593dc67fd) },
    { 8, G_GUINT64_CONSTANT (0x93f5f5799a932462) },
    { 15, G_GUINT64_CONSTANT (0xa129ca6149be45e5) },
  };
  const NavetteSipKey key = { G_GUINT64_CONSTANT (0x0706050403020100), G_GUINT64_CONSTANT (0x0f0e0d0c0b0a0908) };
  guint8 message[15];

  for (guint i = 0; i < sizeof message; i++)
    message[i] = (guint8) i;
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_assert_cmphex (navette_wire_siphash (&key, message, vectors[i].len), ==, vectors[i].hash);

  g_assert_true (navette_wire_siphash_key () == navette_wire_siphash_key ());
  g_assert_false (navette_wire_siphash_key ()->k0 == 0 && navette_wire_siphash_key ()->k1 == 0);
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
  g_test_add_func ("/wire/json/duplicate-keys-large", test_duplicate_keys_large);
  g_test_add_func ("/wire/json/member-limit", test_member_limit);
  g_test_add_func ("/wire/json/colliding-names", test_colliding_names);
  g_test_add_func ("/wire/json/request-items", test_request_items);
  g_test_add_func ("/wire/json/siphash", test_siphash);
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
