/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Engine pieces that need no server: the error domain and its mapping of
 * API answers, typed values from text, records made from wire records. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "navette-engine-private.h"

static GBytes *
bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static void
test_error_mapping (void)
{
  struct {
    guint status;
    const char *body;
    NavetteSyncError code;
    gboolean transient;
  } cases[] = {
    { 401, "{\"error\":{\"code\":\"auth_expired\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_AUTH_EXPIRED, FALSE },
    { 401, "{\"error\":{\"code\":\"auth_required\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_AUTH_REQUIRED, FALSE },
    { 403, "{\"error\":{\"code\":\"forbidden\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_FORBIDDEN, FALSE },
    { 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_NOT_FOUND, FALSE },
    { 409, "{\"error\":{\"code\":\"conflict\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_CONFLICT, FALSE },
    /* A bug of the server: the same request would get the same answer. */
    { 500, "{\"error\":{\"code\":\"internal\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_SERVER, FALSE },
    { 503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_UNAVAILABLE, TRUE },
    { 400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_SERVER, FALSE },
    /* Not our error body (a proxy's page): by status. */
    { 502, "<html>Bad gateway</html>", NAVETTE_SYNC_ERROR_UNAVAILABLE, TRUE },
    { 504, "<html>Gateway timeout</html>", NAVETTE_SYNC_ERROR_UNAVAILABLE, TRUE },
    { 502, "{\"error\":{\"code\":\"internal\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_UNAVAILABLE, TRUE },
    { 429, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"x\"}}", NAVETTE_SYNC_ERROR_SERVER, FALSE },
    { 503, "", NAVETTE_SYNC_ERROR_UNAVAILABLE, TRUE },
    { 404, "not json", NAVETTE_SYNC_ERROR_NOT_FOUND, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) body = bytes (cases[i].body);
      g_autoptr(GError) error = navette_sync_error_from_api (cases[i].status, body);

      g_assert_error (error, NAVETTE_SYNC_ERROR, (gint) cases[i].code);
      g_assert_cmpint (navette_sync_error_is_transient (error), ==, cases[i].transient);
      g_assert_cmpstr (error->message, !=, "");
      g_assert_cmpstr (error->message, !=, "x");
    }
}

static void
test_error_fields (void)
{
  g_autoptr(GBytes) body = bytes ("{\"error\":{\"code\":\"validation_failed\",\"message\":\"x\","
                                  "\"fields\":{\"price\":\"must be a number\",\"name\":\"is required\"}}}");
  g_autoptr(GError) error = navette_sync_error_from_api (422, body);
  g_autoptr(GError) copy = NULL;
  GHashTable *fields;

  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
  fields = navette_sync_error_get_fields (error);
  g_assert_nonnull (fields);
  /* The columns are the server's; their problems, in the server's
   * language, are not shown: the engine's own sentence stands for them
   * until navette_sync_error_localize_fields() finds the problem here. */
  g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (fields, "price"), ==, "is not accepted by the server");
  g_assert_cmpstr (g_hash_table_lookup (fields, "name"), ==, "is not accepted by the server");
  g_assert_nonnull (strstr (error->message, "price: is not accepted by the server"));
  g_assert_cmpstr (navette_sync_error_get_server_message (error), ==, "x");

  /* Copies keep them. */
  copy = g_error_copy (error);
  g_assert_nonnull (navette_sync_error_get_fields (copy));
  g_assert_cmpstr (g_hash_table_lookup (navette_sync_error_get_fields (copy), "price"), ==,
                   "is not accepted by the server");

  g_assert_false (navette_sync_error_is_transient (error));
  g_assert_cmpstr (navette_sync_error_code_to_string (NAVETTE_SYNC_ERROR_VALIDATION), ==, "validation");
}

static NavetteTable *
products_table (NavetteStore **store_out)
{
  g_autoptr(NavetteClient) client = navette_client_new ("http://127.0.0.1:1");
  NavetteStore *store = navette_store_new (client, "catalogue", "Catalogue", NAVETTE_ROLE_EDITOR);
  NavetteWireTable *schema = navette_wire_table_new ("products", "Products");

  g_ptr_array_add (schema->columns, navette_wire_column_new ("name", "Name", NAVETTE_COLUMN_TEXT, TRUE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("price", "Price", NAVETTE_COLUMN_REAL, FALSE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("stock", "Stock", NAVETTE_COLUMN_INTEGER, FALSE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("published", "Published", NAVETTE_COLUMN_BOOLEAN, FALSE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("day", "Day", NAVETTE_COLUMN_DATE, FALSE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("notes", "Notes", NAVETTE_COLUMN_LONG_TEXT, FALSE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("site", "Site", NAVETTE_COLUMN_URL, FALSE, 0));
  g_ptr_array_add (schema->columns, navette_wire_column_new ("contact", "Contact", NAVETTE_COLUMN_EMAIL, FALSE, 0));
  {
    NavetteWireColumn *shade = navette_wire_column_new ("shade", "Shade", NAVETTE_COLUMN_CHOICE, FALSE, 0);
    const char *choices[] = { "Red", "Green", NULL };

    shade->choices = g_strdupv ((char **) choices);
    g_ptr_array_add (schema->columns, shade);
  }

  *store_out = store;
  return navette_table_new (store, schema);
}

/* What a text typed into a column's field becomes: a JSON value of the
 * column's type, checked as @kind says (@expected is the value's text). */
typedef enum
{
  PARSED_DOUBLE,   /* a double (its type checked), equal to @expected */
  PARSED_INT,
  PARSED_BOOLEAN,  /* "true" or "false" */
  PARSED_STRING,
  PARSED_NULL,     /* no value */
} ParsedKind;

static const struct
{
  const char *column;
  const char *text;
  ParsedKind  kind;
  const char *expected;
} parsed_values[] = {
  { "price", "12.5", PARSED_DOUBLE, "12.5" },
  { "stock", "-7", PARSED_INT, "-7" },
  { "published", "true", PARSED_BOOLEAN, "true" },
  { "published", "no", PARSED_BOOLEAN, "false" },
  { "name", "12", PARSED_STRING, "12" },
  { "day", "2026-11-28", PARSED_STRING, "2026-11-28" },
  { "stock", "", PARSED_NULL, NULL },
  /* The text-like types are strings (their checks come on saving); empty
   * is no value, but the empty text of text and long_text. */
  { "shade", "Green", PARSED_STRING, "Green" },
  { "site", "https://example.org/", PARSED_STRING, "https://example.org/" },
  { "contact", "", PARSED_NULL, NULL },
  { "shade", "", PARSED_NULL, NULL },
  { "notes", "", PARSED_STRING, "" },
};

/* Texts refused (a validation error), with @field named when not NULL. */
static const struct
{
  const char *column;
  const char *text;
  const char *field;
} refused_values[] = {
  { "stock", "1.5", "stock" },
  { "price", "cheap", NULL },
  { "day", "2026-02-30", NULL },
  { "colour", "red", NULL },
};

static void
test_parse_value (void)
{
  g_autoptr(NavetteStore) store = NULL;
  g_autoptr(NavetteTable) table = products_table (&store);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (parsed_values); i++)
    {
      g_autoptr(JsonNode) node = navette_table_parse_value (table, parsed_values[i].column,
                                                            parsed_values[i].text, &error);
      const char *expected = parsed_values[i].expected;

      g_test_message ("%s: “%s”", parsed_values[i].column, parsed_values[i].text);
      g_assert_no_error (error);
      switch (parsed_values[i].kind)
        {
        case PARSED_DOUBLE:
          g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_DOUBLE);
          g_assert_cmpfloat (json_node_get_double (node), ==, g_ascii_strtod (expected, NULL));
          break;
        case PARSED_INT:
          g_assert_cmpint (json_node_get_int (node), ==, g_ascii_strtoll (expected, NULL, 10));
          break;
        case PARSED_BOOLEAN:
          g_assert_cmpint (json_node_get_boolean (node), ==, g_str_equal (expected, "true"));
          break;
        case PARSED_STRING:
          g_assert_cmpstr (json_node_get_string (node), ==, expected);
          break;
        case PARSED_NULL:
          g_assert_true (JSON_NODE_HOLDS_NULL (node));
          break;
        default:
          g_assert_not_reached ();
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused_values); i++)
    {
      g_test_message ("%s: “%s”", refused_values[i].column, refused_values[i].text);
      g_assert_null (navette_table_parse_value (table, refused_values[i].column, refused_values[i].text, &error));
      g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
      if (refused_values[i].field != NULL)
        g_assert_nonnull (g_hash_table_lookup (navette_sync_error_get_fields (error), refused_values[i].field));
      g_clear_error (&error);
    }
}

static NavetteWireRecord *
wire (const char *id,
      gint64      version,
      double      price)
{
  NavetteWireRecord *record = navette_wire_record_new ();

  record->id = g_strdup (id);
  record->version = version;
  record->revision = version * 10;
  g_clear_pointer (&record->data, json_object_unref);
  record->data = json_object_new ();
  json_object_set_string_member (record->data, "name", "Lamp");
  json_object_set_double_member (record->data, "price", price);
  record->updated_by = g_strdup ("alice");
  record->updated_at = 1000 * version;
  return record;
}

static guint n_data_changed;

static void
data_changed_cb (NavetteRecord *record,
                 const char    *column,
                 gpointer       user_data)
{
  g_assert_cmpstr (column, ==, "price");
  n_data_changed++;
}

static void
test_record_server_state (void)
{
  g_autoptr(NavetteWireRecord) v1 = wire ("4e617665-7474-4500-8000-000000000001", 1, 1.5);
  g_autoptr(NavetteWireRecord) v2 = wire ("4e617665-7474-4500-8000-000000000001", 2, 2.5);
  g_autoptr(NavetteRecord) record = navette_record_new_from_wire (v2);

  g_assert_cmpint (navette_record_get_version (record), ==, 2);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 2.5);
  g_assert_cmpstr (navette_record_get_string (record, "name"), ==, "Lamp");
  g_assert_cmpstr (navette_record_get_updated_by (record), ==, "alice");

  /* An older state never replaces a newer one. */
  g_assert_false (navette_record_set_server (record, v1));
  g_assert_cmpint (navette_record_get_version (record), ==, 2);
  g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 2.5);

  /* A newer one changes the values in place, column by column. */
  {
    g_autoptr(NavetteWireRecord) v3 = wire ("4e617665-7474-4500-8000-000000000001", 3, 3.5);

    n_data_changed = 0;
    g_signal_connect (record, "data-changed", G_CALLBACK (data_changed_cb), NULL);
    g_assert_true (navette_record_set_server (record, v3));
    g_assert_cmpuint (n_data_changed, ==, 1);
    g_assert_cmpfloat (navette_record_get_double (record, "price"), ==, 3.5);
    g_assert_cmpint (navette_record_get_version (record), ==, 3);
  }
}

/* The engine's enums are registered types, and the properties that hold
 * them are enum properties (bindings and GtkExpressions see the names). */
static void
test_enum_properties (void)
{
  struct {
    GType       object_type;
    const char *property;
    GType       enum_type;
    const char *nick;
  } cases[] = {
    { NAVETTE_TYPE_RECORD, "sync-state", NAVETTE_TYPE_SYNC_STATE, "waiting" },
    { NAVETTE_TYPE_STORE, "role", NAVETTE_TYPE_ROLE, "editor" },
    { NAVETTE_TYPE_CHANGE, "kind", NAVETTE_TYPE_CHANGE_KIND, "revert" },
    { NAVETTE_TYPE_CHANGE, "state", NAVETTE_TYPE_CHANGE_STATE, "discarded" },
  };
  g_autoptr(GEnumClass) errors = g_type_class_ref (NAVETTE_TYPE_SYNC_ERROR);
  g_autoptr(GEnumClass) kinds = g_type_class_ref (NAVETTE_TYPE_NOTIFICATION_KIND);
  GSignalQuery query;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GTypeClass) klass = g_type_class_ref (cases[i].object_type);
      g_autoptr(GEnumClass) values = g_type_class_ref (cases[i].enum_type);
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), cases[i].property);

      g_assert_nonnull (pspec);
      g_assert_true (G_IS_PARAM_SPEC_ENUM (pspec));
      g_assert_true (pspec->value_type == cases[i].enum_type);
      g_assert_nonnull (g_enum_get_value_by_nick (values, cases[i].nick));
    }

  g_assert_nonnull (g_enum_get_value_by_nick (errors, "auth-expired"));
  g_assert_nonnull (g_enum_get_value (kinds, NAVETTE_NOTIFICATION_ALL_SAVED));

  /* The "notification" signals carry the kind as the enum. */
  g_type_class_unref (g_type_class_ref (NAVETTE_TYPE_ENGINE));
  g_signal_query (g_signal_lookup ("notification", NAVETTE_TYPE_ENGINE), &query);
  g_assert_cmpuint (query.n_params, ==, 3);
  g_assert_true (query.param_types[1] == NAVETTE_TYPE_NOTIFICATION_KIND);
}

/* navette_sort_key(): each text of the list sorts before the next
 * (keys compared as SQLite compares BLOBs: memcmp, then the length);
 * whatever the locale (g_test_init() sets none: the "C" locale). */
static int
compare_keys (const char *a,
              const char *b)
{
  gsize la, lb;
  g_autofree guint8 *ka = navette_sort_key (a, -1, &la);
  g_autofree guint8 *kb = navette_sort_key (b, -1, &lb);
  int cmp = memcmp (ka, kb, MIN (la, lb));

  return cmp != 0 ? cmp : (la < lb ? -1 : la > lb);
}

static void
test_sort_key (void)
{
  static const char * const ordered[] = {
    "", "abricot", "Banane", "cerise", "Cote", "Côte", "cote", "côte", "Éclair", "eclairs",
    "fraise", "n° 2", "n° 10", "n° 010b", "oeil", "Œuf", "Produit 9", "Produit 10", "Produit 100",
    "Straße", "Zoé", NULL
  };

  for (guint i = 0; ordered[i] != NULL; i++)
    {
      g_assert_cmpint (compare_keys (ordered[i], ordered[i]), ==, 0);
      for (guint j = i + 1; ordered[j] != NULL; j++)
        if (compare_keys (ordered[i], ordered[j]) >= 0)
          g_error ("“%s” should sort before “%s”", ordered[i], ordered[j]);
    }
  /* Leading zeros: the same value; the text breaks the tie. */
  g_assert_cmpint (compare_keys ("n° 07", "n° 7"), <, 0);
  g_assert_cmpint (compare_keys ("n° 7", "n° 08"), <, 0);
}

/* The first part of @text's key (up to its 0 byte), as a string. */
static char *
key_part_one (const char *text)
{
  gsize len;
  g_autofree guint8 *key = navette_sort_key (text, -1, &len);

  return g_strndup ((const char *) key, strlen ((const char *) key));
}

/* ASCII texts take a shorter way (no NFKD, no Unicode case folding):
 * their keys must be what the general way makes. A text with one letter
 * accented goes the general way, and its first part is the same (the
 * accent is left out); the whole key is checked on one text too. */
static void
test_sort_key_ascii (void)
{
  static const char * const texts[] = {
    "Product number 4242", "VIS M3 x 08 ZINGUEE", "Tab\there, 0007 and 10b", "e", "E-MAIL ~ [x]{y}|z", NULL
  };
  const char expected[] = "vis m" "0\001" "3" " x " "0\001" "8" "\0" "Vis M3 x 08";
  gsize len;
  g_autofree guint8 *key = navette_sort_key ("Vis M3 x 08", -1, &len);

  g_assert_cmpmem (key, len, expected, sizeof expected - 1);
  for (guint i = 0; texts[i] != NULL; i++)
    {
      const char *e = strpbrk (texts[i], "eE");
      g_autofree char *accented = g_strdup_printf ("%.*s%s%s", (int) (e - texts[i]), texts[i],
                                                   *e == 'e' ? "é" : "É", e + 1);
      g_autofree char *ascii = key_part_one (texts[i]);
      g_autofree char *general = key_part_one (accented);

      g_assert_cmpstr (ascii, ==, general);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/unit/error-mapping", test_error_mapping);
  g_test_add_func ("/engine/unit/error-fields", test_error_fields);
  g_test_add_func ("/engine/unit/parse-value", test_parse_value);
  g_test_add_func ("/engine/unit/record-server-state", test_record_server_state);
  g_test_add_func ("/engine/unit/enum-properties", test_enum_properties);
  g_test_add_func ("/engine/unit/sort-key", test_sort_key);
  g_test_add_func ("/engine/unit/sort-key-ascii", test_sort_key_ascii);

  return g_test_run ();
}
