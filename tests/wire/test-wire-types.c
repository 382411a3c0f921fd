/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-wire-types.c — errors, times, names, schemas and records. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "navette-wire.h"

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = navette_json_parse_strict (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static void
test_error_codes (void)
{
  struct { NavetteApiError code; guint status; const char *name; } table[] = {
    { NAVETTE_API_ERROR_BAD_REQUEST, 400, "bad_request" },
    { NAVETTE_API_ERROR_AUTH_REQUIRED, 401, "auth_required" },
    { NAVETTE_API_ERROR_AUTH_EXPIRED, 401, "auth_expired" },
    { NAVETTE_API_ERROR_FORBIDDEN, 403, "forbidden" },
    { NAVETTE_API_ERROR_NOT_FOUND, 404, "not_found" },
    { NAVETTE_API_ERROR_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
    { NAVETTE_API_ERROR_CONFLICT, 409, "conflict" },
    { NAVETTE_API_ERROR_PAYLOAD_TOO_LARGE, 413, "payload_too_large" },
    { NAVETTE_API_ERROR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type" },
    { NAVETTE_API_ERROR_VALIDATION_FAILED, 422, "validation_failed" },
    { NAVETTE_API_ERROR_RATE_LIMITED, 429, "rate_limited" },
    { NAVETTE_API_ERROR_INTERNAL, 500, "internal" },
    { NAVETTE_API_ERROR_UNAVAILABLE, 503, "unavailable" },
  };
  NavetteApiError code;

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_assert_cmpuint (navette_api_error_status (table[i].code), ==, table[i].status);
      g_assert_cmpstr (navette_api_error_code_string (table[i].code), ==, table[i].name);
      g_assert_true (navette_api_error_from_string (table[i].name, &code));
      g_assert_cmpint (code, ==, table[i].code);
    }
  g_assert_false (navette_api_error_from_string ("teapot", &code));
  g_assert_false (navette_api_error_from_string (NULL, &code));
}

static void
test_error_body (void)
{
  g_autoptr(GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) parsed_fields = NULL;
  g_autofree char *json = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *message = NULL;
  NavetteApiError code;

  g_hash_table_insert (fields, (gpointer) "title", (gpointer) "is required");
  g_hash_table_insert (fields, (gpointer) "price", (gpointer) "must be a number");
  json = navette_wire_error_to_json (NAVETTE_API_ERROR_VALIDATION_FAILED, "Invalid “data”", fields);
  g_assert_cmpstr (json, ==,
                   "{\"error\":{\"code\":\"validation_failed\",\"message\":\"Invalid “data”\","
                   "\"fields\":{\"price\":\"must be a number\",\"title\":\"is required\"}}}");
  g_assert_true (navette_wire_error_from_json (json, strlen (json), &code, &message, &parsed_fields));
  g_assert_cmpint (code, ==, NAVETTE_API_ERROR_VALIDATION_FAILED);
  g_assert_cmpstr (message, ==, "Invalid “data”");
  g_assert_cmpstr (g_hash_table_lookup (parsed_fields, "price"), ==, "must be a number");
  g_assert_cmpuint (g_hash_table_size (parsed_fields), ==, 2);

  plain = navette_wire_error_to_json (NAVETTE_API_ERROR_NOT_FOUND, "No such table", NULL);
  g_assert_cmpstr (plain, ==, "{\"error\":{\"code\":\"not_found\",\"message\":\"No such table\"}}");
  g_clear_pointer (&message, g_free);
  g_clear_pointer (&parsed_fields, g_hash_table_unref);
  g_assert_true (navette_wire_error_from_json (plain, strlen (plain), &code, &message, &parsed_fields));
  g_assert_null (parsed_fields);
  g_clear_pointer (&message, g_free);

  /* The optional reason and count, and a GError that carries them. */
  {
    g_autofree char *with_reason = NULL;
    g_autofree char *reason = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) copy = NULL;
    gint64 count = 0;

    navette_api_set_error_reason (&error, NAVETTE_API_ERROR_VALIDATION_FAILED, NAVETTE_API_REASON_RECORDS_MISFIT,
                                  "%d records do not fit", 3);
    navette_api_error_set_count (error, 3);
    copy = g_error_copy (error);
    g_assert_cmpstr (navette_api_error_get_reason (copy), ==, "records_misfit");
    g_assert_cmpint (navette_api_error_get_count (copy), ==, 3);
    with_reason = navette_wire_error_to_json_full (copy->code, copy->message, NULL,
                                                   navette_api_error_get_reason (copy),
                                                   navette_api_error_get_count (copy));
    g_assert_cmpstr (with_reason, ==,
                     "{\"error\":{\"code\":\"validation_failed\",\"message\":\"3 records do not fit\","
                     "\"reason\":\"records_misfit\",\"count\":3}}");
    g_assert_true (navette_wire_error_from_json_full (with_reason, strlen (with_reason), &code, &message, NULL,
                                                      &reason, &count));
    g_assert_cmpstr (reason, ==, "records_misfit");
    g_assert_cmpint (count, ==, 3);
    g_clear_pointer (&message, g_free);
    g_clear_pointer (&reason, g_free);
    g_assert_true (navette_wire_error_from_json_full (plain, strlen (plain), &code, &message, NULL, &reason, &count));
    g_assert_null (reason);
    g_assert_cmpint (count, ==, -1);
    g_clear_pointer (&message, g_free);
    /* An error made without one has none. */
    g_clear_error (&error);
    g_set_error_literal (&error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST, "No");
    g_assert_null (navette_api_error_get_reason (error));
    g_assert_cmpint (navette_api_error_get_count (error), ==, -1);
  }

  g_assert_false (navette_wire_error_from_json ("{}", 2, &code, &message, NULL));
  g_assert_false (navette_wire_error_from_json ("<html>", 6, &code, &message, NULL));
  g_assert_false (navette_wire_error_from_json ("{\"error\":{\"code\":\"nope\"}}", 25, &code, &message, NULL));
  g_assert_null (message);
}

static void
test_time (void)
{
  g_autofree char *text = navette_time_format (1795894264123456);
  g_autofree char *epoch = navette_time_format (0);
  g_autofree char *now_text = NULL;
  gint64 parsed = 0;
  gint64 now = navette_time_now ();

  g_assert_cmpstr (text, ==, "2026-11-28T19:31:04.123456Z");
  g_assert_cmpstr (epoch, ==, "1970-01-01T00:00:00.000000Z");
  g_assert_true (navette_time_parse (text, &parsed));
  g_assert_cmpint (parsed, ==, 1795894264123456);
  g_assert_true (navette_time_parse ("2026-11-28T20:31:04.5+01:00", &parsed));
  g_assert_cmpint (parsed, ==, 1795894264500000);
  now_text = navette_time_format (now);
  g_assert_true (navette_time_parse (now_text, &parsed));
  g_assert_cmpint (parsed, ==, now);

  /* Years before 1000 keep four digits, so they read back (found by
   * fuzz-wire-validate); times past either end of RFC 3339's range clamp. */
  {
    g_autofree char *early = navette_time_format (G_GINT64_CONSTANT (-40897785600) * G_USEC_PER_SEC);
    g_autofree char *before = navette_time_format (G_MININT64);
    g_autofree char *after = navette_time_format (G_MAXINT64);

    g_assert_cmpstr (early, ==, "0674-01-01T00:00:00.000000Z");
    g_assert_true (navette_time_parse (early, &parsed));
    g_assert_cmpint (parsed, ==, G_GINT64_CONSTANT (-40897785600) * G_USEC_PER_SEC);
    g_assert_cmpstr (before, ==, "0001-01-01T00:00:00.000000Z");
    g_assert_cmpstr (after, ==, "9999-12-31T23:59:59.999999Z");
  }

  g_assert_false (navette_time_parse ("2026-11-28", &parsed));
  g_assert_false (navette_time_parse ("2026-11-28T19:31:04", &parsed));
  g_assert_false (navette_time_parse ("yesterday", &parsed));
  g_assert_false (navette_time_parse (NULL, &parsed));
}

static void
test_names (void)
{
  g_autofree char *long_ok = g_strnfill (63, 'a');
  g_autofree char *too_long = g_strnfill (64, 'a');
  g_autofree char *uuid = navette_uuid_new ();

  g_assert_true (navette_name_is_valid ("a"));
  g_assert_true (navette_name_is_valid ("articles_2"));
  g_assert_true (navette_name_is_valid (long_ok));
  g_assert_false (navette_name_is_valid (too_long));
  g_assert_false (navette_name_is_valid (""));
  g_assert_false (navette_name_is_valid (NULL));
  g_assert_false (navette_name_is_valid ("2a"));
  g_assert_false (navette_name_is_valid ("_a"));
  g_assert_false (navette_name_is_valid ("Articles"));
  g_assert_false (navette_name_is_valid ("a-b"));
  g_assert_false (navette_name_is_valid ("a;drop"));
  g_assert_false (navette_name_is_valid ("é"));

  /* User names: the server's rule, which the Add Member form checks. */
  g_assert_true (navette_username_is_valid ("alice"));
  g_assert_true (navette_username_is_valid ("7"));
  g_assert_true (navette_username_is_valid ("jean-luc.picard_2"));
  g_assert_true (navette_username_is_valid ("0123456789012345678901234567890123456789012345678901234567890123"));
  g_assert_false (navette_username_is_valid ("01234567890123456789012345678901234567890123456789012345678901234"));
  g_assert_false (navette_username_is_valid (""));
  g_assert_false (navette_username_is_valid (NULL));
  g_assert_false (navette_username_is_valid ("Alice"));
  g_assert_false (navette_username_is_valid ("aLice"));
  g_assert_false (navette_username_is_valid ("-alice"));
  g_assert_false (navette_username_is_valid (".alice"));
  g_assert_false (navette_username_is_valid ("al ice"));
  g_assert_false (navette_username_is_valid ("alicé"));

  g_assert_true (navette_uuid_is_valid (uuid));
  g_assert_true (navette_uuid_is_valid ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
  g_assert_false (navette_uuid_is_valid ("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"));
  g_assert_false (navette_uuid_is_valid ("0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"));
  g_assert_false (navette_uuid_is_valid ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4"));
  g_assert_false (navette_uuid_is_valid ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g"));
  g_assert_false (navette_uuid_is_valid (NULL));

  g_assert_true (navette_date_is_valid ("2026-11-28"));
  g_assert_true (navette_date_is_valid ("2024-02-29"));
  g_assert_false (navette_date_is_valid ("2026-02-29"));
  g_assert_false (navette_date_is_valid ("2026-13-01"));
  g_assert_false (navette_date_is_valid ("2026-00-10"));
  g_assert_false (navette_date_is_valid ("2026-1-1"));
  g_assert_false (navette_date_is_valid ("2026-11-28T00:00"));
  g_assert_false (navette_date_is_valid ("abcd-ef-gh"));
  g_assert_false (navette_date_is_valid (NULL));
}

static NavetteWireTable *
articles (void)
{
  NavetteWireTable *table = navette_wire_table_new ("articles", "Articles");

  g_ptr_array_add (table->columns, navette_wire_column_new ("title", "Title", NAVETTE_COLUMN_TEXT, TRUE, 5));
  g_ptr_array_add (table->columns, navette_wire_column_new ("stock", "Stock", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("day", "Day", NAVETTE_COLUMN_DATE, FALSE, 0));
  return table;
}

static void
test_schema_json (void)
{
  g_autoptr(NavetteWireTable) table = articles ();
  g_autoptr(NavetteWireTable) parsed = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  NavetteColumnType type;

  navette_wire_table_to_json (table, builder);
  root = json_builder_get_root (builder);
  text = navette_json_to_string (root, NULL);
  g_assert_nonnull (strstr (text, "{\"name\":\"title\",\"title\":\"Title\",\"type\":\"text\",\"required\":true,\"max_length\":5}"));
  g_assert_nonnull (strstr (text, "{\"name\":\"stock\",\"title\":\"Stock\",\"type\":\"integer\",\"required\":false}"));

  parsed = navette_wire_table_from_json (json_node_get_object (root), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->name, ==, "articles");
  g_assert_cmpuint (parsed->columns->len, ==, 5);
  g_assert_cmpint (navette_wire_table_lookup_column (parsed, "title")->max_length, ==, 5);
  g_assert_true (navette_wire_table_lookup_column (parsed, "title")->required);
  g_assert_cmpint (navette_wire_table_lookup_column (parsed, "day")->type, ==, NAVETTE_COLUMN_DATE);
  g_assert_null (navette_wire_table_lookup_column (parsed, "nope"));

  g_assert_true (navette_column_type_from_string ("real", &type));
  g_assert_cmpint (type, ==, NAVETTE_COLUMN_REAL);
  g_assert_false (navette_column_type_from_string ("blob", &type));
  g_assert_cmpstr (navette_column_type_to_string (NAVETTE_COLUMN_BOOLEAN), ==, "boolean");
}

static void
test_url_email (void)
{
  const char * const good_urls[] = {
    "https://example.org", "http://example.org/a?b=c#d", "HTTPS://EXAMPLE.ORG:8443/x",
    "https://[::1]/", "http://localhost", NULL
  };
  const char * const bad_urls[] = {
    "", "example.org", "ftp://example.org", "https://", "https:///path", "mailto:a@b.org",
    "https://exa mple.org", "https://example.org/\n", "javascript:alert(1)", "//example.org", NULL
  };
  const char * const good_emails[] = {
    "a@example.org", "first.last+tag@sub.example.co.uk", "x@b-c.de", "élise@exemple.fr", NULL
  };
  const char * const bad_emails[] = {
    "", "a", "a@", "@example.org", "a@b", "a@@b.org", "a@b@c.org", "a b@c.org", "a@-b.org",
    "a@b-.org", "a@b..org", "a@.b.org", "a@b.org.", "<a>@b.org", "a@b_c.org", NULL
  };
  g_autofree char *long_url = g_strdup_printf ("https://example.org/%0*d", NAVETTE_URL_MAX_LENGTH, 0);

  for (guint i = 0; good_urls[i] != NULL; i++)
    g_assert_true (navette_url_is_valid (good_urls[i]));
  for (guint i = 0; bad_urls[i] != NULL; i++)
    {
      g_test_message ("%s", bad_urls[i]);
      g_assert_false (navette_url_is_valid (bad_urls[i]));
    }
  g_assert_false (navette_url_is_valid (long_url));
  g_assert_false (navette_url_is_valid (NULL));
  for (guint i = 0; good_emails[i] != NULL; i++)
    g_assert_true (navette_email_is_valid (good_emails[i]));
  for (guint i = 0; bad_emails[i] != NULL; i++)
    {
      g_test_message ("%s", bad_emails[i]);
      g_assert_false (navette_email_is_valid (bad_emails[i]));
    }
  g_assert_false (navette_email_is_valid (NULL));
}

static NavetteWireTable *
contacts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = parse_object (
    "{\"name\": \"contacts\", \"columns\": ["
    " {\"name\": \"notes\", \"type\": \"long_text\", \"max_length\": 10},"
    " {\"name\": \"state\", \"type\": \"choice\", \"required\": true, \"choices\": [\"draft\", \"done\"]},"
    " {\"name\": \"site\", \"type\": \"url\"},"
    " {\"name\": \"mail\", \"type\": \"email\"},"
    " {\"name\": \"age\", \"type\": \"integer\", \"min\": 0, \"max\": 150},"
    " {\"name\": \"score\", \"type\": \"real\", \"min\": -1.5}]}");
  NavetteWireTable *table = navette_wire_table_from_json (object, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < table->columns->len; i++)
    {
      g_assert_true (navette_wire_column_check (g_ptr_array_index (table->columns, i), &error));
      g_assert_no_error (error);
    }
  return table;
}

static void
test_new_types (void)
{
  g_autoptr(NavetteWireTable) table = contacts ();
  g_autoptr(NavetteWireTable) parsed = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) good = parse_object ("{\"notes\": \"short\", \"state\": \"done\","
                                             " \"site\": \"https://example.org/a\","
                                             " \"mail\": \"a@example.org\", \"age\": 150, \"score\": -1.5}");
  g_autoptr(JsonObject) bad = parse_object ("{\"notes\": \"far too long\", \"state\": \"Done\","
                                            " \"site\": \"example.org\", \"mail\": \"a@b\","
                                            " \"age\": 151, \"score\": -2}");
  g_autoptr(JsonObject) wrong_types = parse_object ("{\"state\": 1, \"site\": true, \"mail\": null}");
  const NavetteWireColumn *state = navette_wire_table_lookup_column (table, "state");
  g_autoptr(NavetteWireColumn) copy = navette_wire_column_copy (state);

  g_assert_cmpint (state->type, ==, NAVETTE_COLUMN_CHOICE);
  g_assert_cmpuint (g_strv_length (state->choices), ==, 2);
  g_assert_cmpstrv (copy->choices, state->choices);
  g_assert_cmpint (navette_wire_table_lookup_column (table, "notes")->type, ==, NAVETTE_COLUMN_LONG_TEXT);
  g_assert_true (navette_column_type_is_text (NAVETTE_COLUMN_URL));
  g_assert_false (navette_column_type_is_text (NAVETTE_COLUMN_DATE));
  g_assert_false (navette_column_type_has_length (NAVETTE_COLUMN_CHOICE));
  g_assert_true (navette_column_type_value_type (NAVETTE_COLUMN_INTEGER) == G_TYPE_INT64);
  g_assert_true (navette_column_type_value_type (NAVETTE_COLUMN_REAL) == G_TYPE_DOUBLE);
  g_assert_true (navette_column_type_value_type (NAVETTE_COLUMN_BOOLEAN) == G_TYPE_BOOLEAN);
  g_assert_true (navette_column_type_value_type (NAVETTE_COLUMN_DATE) == G_TYPE_STRING);
  g_assert_true (navette_column_type_value_type (NAVETTE_COLUMN_CHOICE) == G_TYPE_STRING);
  g_assert_true (navette_column_type_value_type (NAVETTE_COLUMN_EMAIL) == G_TYPE_STRING);

  navette_wire_table_to_json (table, builder);
  root = json_builder_get_root (builder);
  text = navette_json_to_string (root, NULL);
  g_assert_nonnull (strstr (text, "{\"name\":\"notes\",\"title\":\"notes\",\"type\":\"long_text\",\"required\":false,\"max_length\":10}"));
  g_assert_nonnull (strstr (text, "\"type\":\"choice\",\"required\":true,\"choices\":[\"draft\",\"done\"]}"));
  g_assert_nonnull (strstr (text, "\"type\":\"integer\",\"required\":false,\"min\":0,\"max\":150}"));
  g_assert_nonnull (strstr (text, "\"type\":\"real\",\"required\":false,\"min\":-1.5}"));
  parsed = navette_wire_table_from_json (json_node_get_object (root), &error);
  g_assert_no_error (error);
  g_assert_true (navette_wire_table_lookup_column (parsed, "score")->has_min);
  g_assert_false (navette_wire_table_lookup_column (parsed, "score")->has_max);
  g_assert_cmpfloat (navette_wire_table_lookup_column (parsed, "score")->min, ==, -1.5);

  g_assert_true (navette_wire_validate_data (table, good, TRUE, &fields));
  g_assert_null (fields);
  g_assert_false (navette_wire_validate_data (table, bad, TRUE, &fields));
  g_assert_cmpuint (g_hash_table_size (fields), ==, 6);
  g_assert_cmpstr (g_hash_table_lookup (fields, "notes"), ==, "must be at most 10 characters long");
  g_assert_cmpstr (g_hash_table_lookup (fields, "state"), ==, "must be one of the column’s choices");
  g_assert_cmpstr (g_hash_table_lookup (fields, "site"), ==, "must be a web address starting with http:// or https://");
  g_assert_cmpstr (g_hash_table_lookup (fields, "mail"), ==, "must be an email address (name@example.org)");
  g_assert_cmpstr (g_hash_table_lookup (fields, "age"), ==, "must be at most 150");
  g_assert_cmpstr (g_hash_table_lookup (fields, "score"), ==, "must be at least -1.5");
  g_clear_pointer (&fields, g_hash_table_unref);
  g_assert_false (navette_wire_validate_data (table, wrong_types, FALSE, &fields));
  g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (fields, "state"), ==, "must be text");
}

static void
test_column_check (void)
{
  const char * const refused[] = {
    "{\"name\": \"a\", \"type\": \"choice\"}",
    "{\"name\": \"a\", \"type\": \"choice\", \"choices\": []}",
    "{\"name\": \"a\", \"type\": \"choice\", \"choices\": [\"x\", \"x\"]}",
    "{\"name\": \"a\", \"type\": \"choice\", \"choices\": [\"\"]}",
    "{\"name\": \"a\", \"type\": \"text\", \"choices\": [\"x\"]}",
    "{\"name\": \"a\", \"type\": \"choice\", \"choices\": [\"x\"], \"max_length\": 3}",
    "{\"name\": \"a\", \"type\": \"boolean\", \"max_length\": 3}",
    "{\"name\": \"a\", \"type\": \"text\", \"min\": 1}",
    "{\"name\": \"a\", \"type\": \"integer\", \"min\": 2, \"max\": 1}",
    NULL
  };
  const char * const malformed[] = {
    "{\"name\": \"a\", \"type\": \"choice\", \"choices\": \"x\"}",
    "{\"name\": \"a\", \"type\": \"choice\", \"choices\": [1]}",
    "{\"name\": \"a\", \"type\": \"integer\", \"min\": \"1\"}",
    "{\"name\": \"a\", \"type\": \"blob\"}",
    "{\"name\": \"A\", \"type\": \"text\"}",
    "{\"name\": \"a\", \"type\": \"text\", \"title\": 3}",
    NULL
  };

  for (guint i = 0; refused[i] != NULL; i++)
    {
      g_autoptr(JsonObject) object = parse_object (refused[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteWireColumn) column = navette_wire_column_from_json (object, &error);

      g_test_message ("%s", refused[i]);
      g_assert_no_error (error);
      g_assert_false (navette_wire_column_check (column, &error));
      g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
    }
  for (guint i = 0; malformed[i] != NULL; i++)
    {
      g_autoptr(JsonObject) object = parse_object (malformed[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(NavetteWireColumn) column = navette_wire_column_from_json (object, &error);

      g_test_message ("%s", malformed[i]);
      g_assert_null (column);
      g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
    }
}

static void
test_validate (void)
{
  g_autoptr(NavetteWireTable) table = articles ();
  g_autoptr(JsonObject) good = parse_object ("{\"title\": \"héllo\", \"stock\": 3, \"price\": 2,"
                                             " \"published\": true, \"day\": \"2026-11-28\"}");
  g_autoptr(JsonObject) bad = parse_object ("{\"title\": \"toolong\", \"stock\": 1.5, \"price\": \"2\","
                                            " \"published\": 1, \"day\": \"2026-02-30\", \"nope\": 1}");
  g_autoptr(JsonObject) partial = parse_object ("{\"stock\": null}");
  g_autoptr(JsonObject) null_required = parse_object ("{\"title\": null}");
  g_autoptr(GHashTable) fields = NULL;

  g_assert_true (navette_wire_validate_data (table, good, TRUE, &fields));
  g_assert_null (fields);

  g_assert_false (navette_wire_validate_data (table, bad, TRUE, &fields));
  g_assert_cmpuint (g_hash_table_size (fields), ==, 6);
  g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "must be at most 5 characters long");
  g_assert_cmpstr (g_hash_table_lookup (fields, "stock"), ==, "must be an integer");
  g_assert_cmpstr (g_hash_table_lookup (fields, "price"), ==, "must be a number");
  g_assert_nonnull (g_hash_table_lookup (fields, "published"));
  g_assert_nonnull (g_hash_table_lookup (fields, "day"));
  g_assert_cmpstr (g_hash_table_lookup (fields, "nope"), ==, "is not a column of this table");
  g_clear_pointer (&fields, g_hash_table_unref);

  /* an update may leave out required columns, a create may not */
  g_assert_true (navette_wire_validate_data (table, partial, FALSE, &fields));
  g_assert_null (fields);
  g_assert_false (navette_wire_validate_data (table, partial, TRUE, &fields));
  g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "is required");
  g_clear_pointer (&fields, g_hash_table_unref);

  g_assert_false (navette_wire_validate_data (table, null_required, FALSE, &fields));
  g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "is required");
}

static void
test_record (void)
{
  g_autoptr(NavetteWireRecord) record = navette_wire_record_new ();
  g_autoptr(NavetteWireRecord) parsed = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) missing = parse_object ("{\"id\": \"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\", \"version\": 1}");
  g_autoptr(JsonObject) wrong = parse_object ("{\"id\": \"x\", \"version\": 1, \"revision\": 1, \"data\": {},"
                                              " \"archived\": false, \"updated_at\": \"2026-11-28T19:31:04.123456Z\","
                                              " \"updated_by\": \"a\"}");

  record->id = g_strdup ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  record->version = 3;
  record->revision = 41;
  record->data = parse_object ("{\"title\": \"Hi\", \"price\": 12.5}");
  record->archived = FALSE;
  record->updated_at = 1795894264123456;
  record->updated_by = g_strdup ("alice");
  record->obsolete = TRUE;

  navette_wire_record_to_json (record, builder, FALSE);
  root = json_builder_get_root (builder);
  text = navette_json_to_string (root, NULL);
  g_assert_cmpstr (text, ==,
                   "{\"id\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\",\"version\":3,\"revision\":41,"
                   "\"data\":{\"title\":\"Hi\",\"price\":12.5},\"archived\":false,"
                   "\"updated_at\":\"2026-11-28T19:31:04.123456Z\",\"updated_by\":\"alice\"}");

  parsed = navette_wire_record_from_json (json_node_get_object (root), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->id, ==, record->id);
  g_assert_cmpint (parsed->version, ==, 3);
  g_assert_cmpint (parsed->revision, ==, 41);
  g_assert_cmpint (parsed->updated_at, ==, record->updated_at);
  g_assert_cmpstr (parsed->updated_by, ==, "alice");
  g_assert_false (parsed->obsolete);
  g_assert_cmpfloat (json_object_get_double_member (parsed->data, "price"), ==, 12.5);

  g_clear_pointer (&root, json_node_unref);
  g_clear_object (&builder);
  builder = json_builder_new ();
  navette_wire_record_to_json (record, builder, TRUE);
  root = json_builder_get_root (builder);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (root), "obsolete"));

  g_assert_null (navette_wire_record_from_json (missing, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_null (navette_wire_record_from_json (wrong, &error));
  g_assert_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
}

static void
test_fast_writers (void)
{
  struct { double value; const char *text; } doubles[] = {
    { 0.1, "0.1" }, { 49.0, "49.0" }, { 12.5, "12.5" }, { -3.0, "-3.0" },
    { 1e300, "1e+300" }, { 1.0 / 3.0, "0.3333333333333333" }, { 0.0, "0.0" },
  };
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(NavetteWireRecord) record = navette_wire_record_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) built = NULL;
  g_autoptr(JsonNode) reparsed = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (doubles); i++)
    {
      g_string_truncate (out, 0);
      navette_json_append_double (out, doubles[i].value);
      g_assert_cmpstr (out->str, ==, doubles[i].text);
      g_assert_cmpfloat (g_ascii_strtod (out->str, NULL), ==, doubles[i].value);
    }
  g_string_truncate (out, 0);
  navette_json_append_double (out, INFINITY);
  g_assert_cmpstr (out->str, ==, "null");

  g_string_truncate (out, 0);
  navette_json_append_string (out, "a\"b\\c\n\t\x01é😀/");
  g_assert_cmpstr (out->str, ==, "\"a\\\"b\\\\c\\n\\t\\u0001é😀/\"");

  /* a record: the same JSON as the builder path, and strict-valid */
  record->id = g_strdup ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  record->version = 2;
  record->revision = 7;
  record->data = parse_object ("{\"title\": \"Quote \\\" and \\u0002\", \"price\": 0.1,"
                               " \"stock\": -5, \"published\": true, \"day\": null}");
  record->archived = TRUE;
  record->updated_at = 1795894264000001;
  record->updated_by = g_strdup ("alice");
  record->obsolete = TRUE;

  g_string_truncate (out, 0);
  navette_wire_record_append_json (record, out, TRUE);
  reparsed = navette_json_parse_strict (out->str, out->len, &error);
  g_assert_no_error (error);
  navette_wire_record_to_json (record, builder, TRUE);
  built = json_builder_get_root (builder);
  g_assert_true (json_node_equal (built, reparsed));
  g_assert_cmpstr (out->str, ==,
                   "{\"id\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\",\"version\":2,\"revision\":7,"
                   "\"data\":{\"title\":\"Quote \\\" and \\u0002\",\"price\":0.1,\"stock\":-5,"
                   "\"published\":true,\"day\":null},\"archived\":true,"
                   "\"updated_at\":\"2026-11-28T19:31:04.000001Z\",\"updated_by\":\"alice\",\"obsolete\":true}");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wire/error/codes", test_error_codes);
  g_test_add_func ("/wire/error/body", test_error_body);
  g_test_add_func ("/wire/time", test_time);
  g_test_add_func ("/wire/names", test_names);
  g_test_add_func ("/wire/schema/json", test_schema_json);
  g_test_add_func ("/wire/schema/validate", test_validate);
  g_test_add_func ("/wire/schema/new-types", test_new_types);
  g_test_add_func ("/wire/schema/column-check", test_column_check);
  g_test_add_func ("/wire/url-email", test_url_email);
  g_test_add_func ("/wire/record", test_record);
  g_test_add_func ("/wire/fast-writers", test_fast_writers);

  return g_test_run ();
}
