/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The streaming record-list decoder (navette-wire-decoder.h): it decodes
 * what the server sends, and refuses every class of malformed input that
 * navette_json_parse_strict() refuses — checked against it case by case. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "navette-wire-decoder.h"

#define REC(id, extra) \
  "{\"id\":\"" id "\",\"version\":2,\"revision\":7,\"data\":{\"name\":\"Lamp\",\"price\":12.5,\"tags\":[1,2]}," \
  "\"archived\":false,\"updated_at\":\"2026-11-28T19:31:04.123456Z\",\"updated_by\":\"alice\"" extra "}"
#define ID1 "4e617665-7474-4500-8000-000000000101"
#define ID2 "4e617665-7474-4500-8000-000000000102"

typedef struct
{
  GPtrArray *ids;
  GPtrArray *data;
  gint64     version;
  gint64     updated_at;
  gboolean   archived;
  char      *updated_by;
} Collected;

static gboolean
collect_cb (const NavetteWireRecordView *view,
            gpointer                     user_data,
            GError                     **error)
{
  Collected *c = user_data;

  g_ptr_array_add (c->ids, g_strdup (view->id));
  g_ptr_array_add (c->data, g_strndup (view->data_json, view->data_len));
  g_assert_cmpuint (strlen (view->data_json), ==, view->data_len);
  c->version = view->version;
  c->updated_at = view->updated_at;
  c->archived = view->archived;
  g_free (c->updated_by);
  c->updated_by = g_strdup (view->updated_by);
  return TRUE;
}

static gboolean
decode (const char  *text,
        gsize        len,
        Collected   *c,
        gint64      *revision,
        GError     **error)
{
  return navette_wire_decode_record_list (text, len, revision, collect_cb, c, error);
}

static void
collected_init (Collected *c)
{
  c->ids = g_ptr_array_new_with_free_func (g_free);
  c->data = g_ptr_array_new_with_free_func (g_free);
  c->updated_by = NULL;
}

static void
collected_clear (Collected *c)
{
  g_ptr_array_unref (c->ids);
  g_ptr_array_unref (c->data);
  g_free (c->updated_by);
}

static void
test_decoder_good (void)
{
  const char *text = " {\"records\" : [ " REC (ID1, "") " ,\n" REC (ID2, ",\"obsolete\":false,\"future\":{\"x\":[null,true]}") " ],"
                     " \"revision\": 42, \"extra\": \"ignored\" } ";
  Collected c;
  g_autoptr(GError) error = NULL;
  gint64 revision = 0;
  gint64 expected_time;

  collected_init (&c);
  g_assert_true (decode (text, strlen (text), &c, &revision, &error));
  g_assert_no_error (error);
  g_assert_cmpint (revision, ==, 42);
  g_assert_cmpuint (c.ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (c.ids, 0), ==, ID1);
  g_assert_cmpstr (g_ptr_array_index (c.ids, 1), ==, ID2);
  g_assert_cmpstr (g_ptr_array_index (c.data, 0), ==, "{\"name\":\"Lamp\",\"price\":12.5,\"tags\":[1,2]}");
  g_assert_cmpint (c.version, ==, 2);
  g_assert_false (c.archived);
  g_assert_cmpstr (c.updated_by, ==, "alice");
  g_assert_true (navette_time_parse ("2026-11-28T19:31:04.123456Z", &expected_time));
  g_assert_cmpint (c.updated_at, ==, expected_time);
  collected_clear (&c);

  /* An empty list; whitespace inside data is dropped, escapes kept. */
  {
    const char *empty = "{\"revision\":0,\"records\":[]}";
    const char *spaced = "{\"records\":[{\"id\":\"" ID1 "\",\"version\":1,\"revision\":1,"
                         "\"data\":{ \"a\" : [ 1 , \"x\\u00e9\\n\" ] , \"b\" : { } },"
                         "\"archived\":true,\"updated_at\":\"2026-01-01T00:00:00.000000Z\",\"updated_by\":\"b\\u00f6b\"}],"
                         "\"revision\":1}";

    collected_init (&c);
    g_assert_true (decode (empty, strlen (empty), &c, &revision, &error));
    g_assert_cmpuint (c.ids->len, ==, 0);
    g_assert_cmpint (revision, ==, 0);
    g_assert_true (decode (spaced, strlen (spaced), &c, &revision, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (g_ptr_array_index (c.data, 0), ==, "{\"a\":[1,\"x\\u00e9\\n\"],\"b\":{}}");
    g_assert_cmpstr (c.updated_by, ==, "böb");
    g_assert_true (c.archived);
    collected_clear (&c);
  }
}

/* Each of these is refused by both the strict parser and the decoder. */
static const char *malformed_json[] = {
  /* invalid UTF-8 */
  "{\"records\":[],\"revision\":1,\"x\":\"\xc3\x28\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"\xed\xa0\x80\"}",
  /* duplicate keys: envelope, record, data, deep */
  "{\"records\":[],\"revision\":1,\"revision\":2}",
  "{\"records\":[" REC (ID1, ",\"version\":3") "],\"revision\":1}",
  "{\"records\":[{\"id\":\"" ID1 "\",\"version\":1,\"revision\":1,\"data\":{\"a\":1,\"a\":2},"
    "\"archived\":false,\"updated_at\":\"2026-01-01T00:00:00.000000Z\",\"updated_by\":\"a\"}],\"revision\":1}",
  "{\"records\":[],\"revision\":1,\"x\":{\"y\":{\"k\":1,\"\\u006b\":2}}}",
  /* integers out of range */
  "{\"records\":[],\"revision\":9223372036854775808}",
  "{\"records\":[],\"revision\":1,\"x\":-9223372036854775809}",
  /* non-finite numbers */
  "{\"records\":[],\"revision\":1,\"x\":1e999}",
  /* number grammar */
  "{\"records\":[],\"revision\":01}",
  "{\"records\":[],\"revision\":1,\"x\":1.}",
  "{\"records\":[],\"revision\":1,\"x\":.5}",
  "{\"records\":[],\"revision\":1,\"x\":1e}",
  "{\"records\":[],\"revision\":1,\"x\":+1}",
  /* strings */
  "{\"records\":[],\"revision\":1,\"x\":\"a\tb\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"\\x\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"\\u12\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"\\ud800\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"\\udc00\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"\\u0000\"}",
  "{\"records\":[],\"revision\":1,\"x\":\"open}",
  /* trailing data, truncation, syntax */
  "{\"records\":[],\"revision\":1} x",
  "{\"records\":[],\"revision\":1}{}",
  "{\"records\":[],\"revision\":1",
  "{\"records\":[" REC (ID1, ""),
  "{\"records\":[],,\"revision\":1}",
  "{\"records\":[,],\"revision\":1}",
  "{\"records\":[],\"revision\":1,}",
  "{\"records\":[],\"revision\":1,\"x\":tru}",
  "{\"records\":[],\"revision\":1,\"x\":[1,]}",
  "",
  "   ",
};

/* Well-formed JSON, but not a record list the engine can use. */
static const char *malformed_list[] = {
  "[]",
  "{\"revision\":1}",
  "{\"records\":[]}",
  "{\"records\":{},\"revision\":1}",
  "{\"records\":[],\"revision\":1.5}",
  "{\"records\":[],\"revision\":\"1\"}",
  "{\"records\":[1],\"revision\":1}",
  "{\"records\":[{}],\"revision\":1}",
  "{\"records\":[" REC ("not-a-uuid", "") "],\"revision\":1}",
  "{\"records\":[{\"id\":\"" ID1 "\",\"version\":0,\"revision\":1,\"data\":{},"
    "\"archived\":false,\"updated_at\":\"2026-01-01T00:00:00.000000Z\",\"updated_by\":\"a\"}],\"revision\":1}",
  "{\"records\":[{\"id\":\"" ID1 "\",\"version\":1,\"revision\":1,\"data\":[],"
    "\"archived\":false,\"updated_at\":\"2026-01-01T00:00:00.000000Z\",\"updated_by\":\"a\"}],\"revision\":1}",
  "{\"records\":[{\"id\":\"" ID1 "\",\"version\":1,\"revision\":1,\"data\":{},"
    "\"archived\":0,\"updated_at\":\"2026-01-01T00:00:00.000000Z\",\"updated_by\":\"a\"}],\"revision\":1}",
  "{\"records\":[{\"id\":\"" ID1 "\",\"version\":1,\"revision\":1,\"data\":{},"
    "\"archived\":false,\"updated_at\":\"yesterday\",\"updated_by\":\"a\"}],\"revision\":1}",
  "{\"records\":[{\"id\":\"" ID1 "\",\"version\":1,\"revision\":1,\"data\":{},"
    "\"archived\":false,\"updated_at\":\"2026-01-01T00:00:00.000000Z\"}],\"revision\":1}",
  "{\"records\":[" REC (ID1, ",\"obsolete\":\"no\"") "],\"revision\":1}",
};

static void
test_decoder_malformed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (malformed_json); i++)
    {
      const char *text = malformed_json[i];
      g_autoptr(GError) strict_error = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *shown = g_strescape (text, NULL);  /* TAP wants UTF-8 */
      Collected c;

      g_test_message ("malformed JSON %u: %s", i, shown);
      root = navette_json_parse_strict (text, strlen (text), &strict_error);
      g_assert_null (root);
      g_assert_error (strict_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);

      collected_init (&c);
      g_assert_false (decode (text, strlen (text), &c, NULL, &error));
      g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
      collected_clear (&c);
      g_clear_error (&error);
      g_assert_false (navette_wire_json_validate (text, strlen (text), &error));
      g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
    }

  for (guint i = 0; i < G_N_ELEMENTS (malformed_list); i++)
    {
      const char *text = malformed_list[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *shown = g_strescape (text, NULL);  /* TAP wants UTF-8 */
      Collected c;

      g_test_message ("not a record list %u: %s", i, shown);
      g_assert_true (navette_wire_json_validate (text, strlen (text), NULL));
      collected_init (&c);
      g_assert_false (decode (text, strlen (text), &c, NULL, &error));
      g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
      collected_clear (&c);
    }
}

static void
test_decoder_depth (void)
{
  g_autoptr(GString) ok = g_string_new (NULL);
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;

  /* NAVETTE_JSON_MAX_DEPTH containers pass, one more fails — as in the
   * strict parser. */
  for (int i = 0; i < NAVETTE_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, '[');
  for (int i = 0; i < NAVETTE_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, ']');
  g_string_printf (deep, "[%s]", ok->str);

  root = navette_json_parse_strict (ok->str, ok->len, NULL);
  g_assert_nonnull (root);
  g_assert_true (navette_wire_json_validate (ok->str, ok->len, NULL));
  g_assert_null (navette_json_parse_strict (deep->str, deep->len, NULL));
  g_assert_false (navette_wire_json_validate (deep->str, deep->len, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);

  /* A very deep data object in a record list: refused, no stack overflow. */
  {
    g_autoptr(GString) list = g_string_new ("{\"revision\":1,\"records\":[{\"data\":");
    Collected c;

    for (int i = 0; i < 100000; i++)
      g_string_append (list, "{\"a\":");
    collected_init (&c);
    g_clear_error (&error);
    g_assert_false (decode (list->str, list->len, &c, NULL, &error));
    g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
    collected_clear (&c);
  }
}

static void
test_decoder_many_keys (void)
{
  g_autoptr(GString) text = g_string_new ("{\"revision\":1,\"records\":[],\"x\":{");
  g_autoptr(GString) dup = NULL;

  for (int i = 0; i < 100; i++)
    g_string_append_printf (text, "%s\"k%d\":%d", i ? "," : "", i, i);
  dup = g_string_new (text->str);
  g_string_append (text, "}}");
  g_string_append (dup, ",\"k57\":0}}");
  g_assert_true (navette_wire_json_validate (text->str, text->len, NULL));
  g_assert_false (navette_wire_json_validate (dup->str, dup->len, NULL));
  g_assert_null (navette_json_parse_strict (dup->str, dup->len, NULL));
}

/* A page of a list: its "next" cursor, none on the last page, and a
 * "next" that is not a string refused. */
static void
test_decoder_page (void)
{
  const char *page = "{\"table\":\"t\",\"revision\":9,\"records\":[" REC (ID1, "") "],\"next\":\"bC4xLjk\"}";
  const char *last = "{\"revision\":9,\"records\":[]}";
  const char *bad = "{\"revision\":9,\"records\":[],\"next\":17}";
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  g_autofree char *none = NULL;
  gint64 revision = 0;
  Collected c;

  collected_init (&c);
  g_assert_true (navette_wire_decode_record_page (page, strlen (page), &revision, &next, collect_cb, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (next, ==, "bC4xLjk");
  g_assert_cmpint (revision, ==, 9);
  g_assert_cmpuint (c.ids->len, ==, 1);
  g_assert_true (navette_wire_decode_record_page (last, strlen (last), &revision, &none, collect_cb, &c, &error));
  g_assert_null (none);
  g_assert_false (navette_wire_decode_record_page (bad, strlen (bad), &revision, &none, collect_cb, &c, &error));
  g_assert_nonnull (error);
  g_assert_null (none);
  collected_clear (&c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/decoder/good", test_decoder_good);
  g_test_add_func ("/engine/decoder/page", test_decoder_page);
  g_test_add_func ("/engine/decoder/malformed", test_decoder_malformed);
  g_test_add_func ("/engine/decoder/depth", test_decoder_depth);
  g_test_add_func ("/engine/decoder/many-keys", test_decoder_many_keys);

  return g_test_run ();
}
