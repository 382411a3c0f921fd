/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-json-strict.c — libFuzzer target: the wire format's strict JSON
 * decoder (navette_json_parse_strict) on any bytes.
 *
 * It must never crash nor let json-glib see input json-glib mishandles;
 * it refuses with NAVETTE_API_ERROR_BAD_REQUEST; what it accepts
 * survives a round trip through both of our writers unchanged; and the
 * streaming decoder's checker (navette_wire_json_validate) agrees with it
 * on every input, to the error message: both run the one scanner. */
#define G_LOG_DOMAIN "navette-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "navette-wire-decoder.h"
#include "navette-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) again2 = NULL;
  g_autofree char *generated = NULL;
  gsize generated_len = 0;
  g_autoptr(GError) validate_error = NULL;
  gboolean valid;

  navette_fuzz_init ();
  node = navette_json_parse_strict ((const char *) data, size, &error);
  valid = navette_wire_json_validate ((const char *) data, size, &validate_error);
  g_assert_true (valid == (node != NULL));
  if (node == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == NAVETTE_API_ERROR);
      g_assert_cmpint (error->code, ==, NAVETTE_API_ERROR_BAD_REQUEST);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      /* the same refusal, but for the word "request" of an empty body */
      g_assert_error (validate_error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST);
      if (!g_str_has_suffix (error->message, " is empty"))
        g_assert_cmpstr (validate_error->message, ==, error->message);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_no_error (validate_error);

  out = g_string_new (NULL);
  navette_json_append_node (out, node);
  again = navette_json_parse_strict (out->str, out->len, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (node, again));

  generated = navette_json_to_string (node, &generated_len);
  g_assert_cmpuint (generated_len, ==, strlen (generated));
  again2 = navette_json_parse_strict (generated, generated_len, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (node, again2));
  return 0;
}
