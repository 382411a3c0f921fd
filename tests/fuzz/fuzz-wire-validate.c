/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-wire-validate.c — libFuzzer target: request validation of the
 * wire format, as the server runs it on a request body and the engine on
 * an answer.
 *
 * The bytes are decoded strictly; an object then goes through
 * navette_wire_validate_data (against the demo schemas, as a create and as
 * an update, and against the object's own "data" member),
 * navette_wire_record_from_json, navette_wire_table_from_json (whose result
 * must survive navette_wire_table_to_json and back), and the raw bytes
 * through navette_wire_error_from_json. None may crash; every refusal is a
 * GError of the API domain or a FALSE with fields. */
#define G_LOG_DOMAIN "navette-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "navette-wire.h"
#include "navette-fuzz.h"

static NavetteWireTable *
demo_products (void)
{
  NavetteWireTable *table = navette_wire_table_new ("products", "Products");

  g_ptr_array_add (table->columns, navette_wire_column_new ("name", "Name", NAVETTE_COLUMN_TEXT, TRUE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("stock", "Stock", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  return table;
}

static NavetteWireTable *
demo_articles (void)
{
  NavetteWireTable *table = navette_wire_table_new ("articles", "Articles");

  g_ptr_array_add (table->columns, navette_wire_column_new ("title", "Title", NAVETTE_COLUMN_TEXT, TRUE, 200));
  g_ptr_array_add (table->columns, navette_wire_column_new ("body", "Body", NAVETTE_COLUMN_TEXT, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (table->columns, navette_wire_column_new ("publish_date", "Publish date", NAVETTE_COLUMN_DATE, FALSE, 0));
  return table;
}

static void
validate (const NavetteWireTable *table,
          JsonObject             *data)
{
  for (guint complete = 0; complete < 2; complete++)
    {
      g_autoptr(GHashTable) fields = NULL;
      gboolean ok = navette_wire_validate_data (table, data, complete, &fields);

      /* a refusal names at least one problem, each a sentence */
      if (!ok)
        {
          GHashTableIter iter;
          gpointer key, value;

          g_assert_nonnull (fields);
          g_assert_cmpuint (g_hash_table_size (fields), >, 0);
          g_hash_table_iter_init (&iter, fields);
          while (g_hash_table_iter_next (&iter, &key, &value))
            {
              g_assert_true (g_utf8_validate (key, -1, NULL));
              g_assert_true (value != NULL && g_utf8_validate (value, -1, NULL));
            }
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static NavetteWireTable *products, *articles;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  navette_fuzz_init ();
  if (products == NULL)
    {
      products = demo_products ();
      articles = demo_articles ();
    }

  /* the error body decoder takes raw bytes */
  {
    NavetteApiError code;
    g_autofree char *message = NULL;
    g_autoptr(GHashTable) fields = NULL;

    if (navette_wire_error_from_json ((const char *) data, size, &code, &message, &fields))
      {
        g_autofree char *encoded = NULL;

        g_assert_cmpuint (navette_api_error_status (code), >=, 400);
        g_assert_nonnull (message);
        encoded = navette_wire_error_to_json (code, message, fields);
        g_assert_nonnull (encoded);
      }
  }

  root = navette_json_parse_strict ((const char *) data, size, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  object = json_node_get_object (root);

  validate (products, object);
  validate (articles, object);
  if (json_object_has_member (object, "data") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "data")))
    {
      validate (products, json_object_get_object_member (object, "data"));
      validate (articles, json_object_get_object_member (object, "data"));
    }

  {
    g_autoptr(GError) record_error = NULL;
    g_autoptr(NavetteWireRecord) record = navette_wire_record_from_json (object, &record_error);

    if (record == NULL)
      g_assert_true (record_error != NULL && record_error->domain == NAVETTE_API_ERROR);
    else
      {
        g_autoptr(GString) out = g_string_new (NULL);
        g_autoptr(JsonNode) again = NULL;
        g_autoptr(NavetteWireRecord) record2 = NULL;

        /* what was accepted is written out and read back the same */
        navette_wire_record_append_json (record, out, TRUE);
        again = navette_json_parse_strict (out->str, out->len, &record_error);
        g_assert_no_error (record_error);
        record2 = navette_wire_record_from_json (json_node_get_object (again), &record_error);
        g_assert_no_error (record_error);
        g_assert_cmpstr (record->id, ==, record2->id);
        g_assert_cmpint (record->version, ==, record2->version);
        g_assert_cmpint (record->revision, ==, record2->revision);
        g_assert_cmpint (record->updated_at, ==, record2->updated_at);
        g_assert_cmpstr (record->updated_by, ==, record2->updated_by);
        g_assert_true (record->archived == record2->archived);
      }
  }

  {
    g_autoptr(GError) table_error = NULL;
    g_autoptr(NavetteWireTable) table = navette_wire_table_from_json (object, &table_error);

    if (table == NULL)
      g_assert_true (table_error != NULL && table_error->domain == NAVETTE_API_ERROR);
    else
      {
        g_autoptr(JsonBuilder) builder = json_builder_new ();
        g_autoptr(JsonNode) built = NULL;
        g_autoptr(NavetteWireTable) table2 = NULL;

        navette_wire_table_to_json (table, builder);
        built = json_builder_get_root (builder);
        table2 = navette_wire_table_from_json (json_node_get_object (built), &table_error);
        g_assert_no_error (table_error);
        g_assert_cmpstr (table->name, ==, table2->name);
        g_assert_cmpuint (table->columns->len, ==, table2->columns->len);
        /* a schema that was accepted can validate data */
        validate (table, object);
      }
  }
  return 0;
}
