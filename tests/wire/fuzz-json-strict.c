/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-json-strict.c — libFuzzer target for the strict JSON decoder.
 *
 * Whatever the bytes, navette_json_parse_strict must not crash (json-glib
 * must never see input it mishandles), and what it accepts must survive
 * a round trip through our writers. Built with -Dfuzzing=true (clang). */
#define G_LOG_DOMAIN "navette-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "navette-wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = navette_json_parse_strict ((const char *) data, size, &error);
  g_autoptr(GString) out = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *generated = NULL;
  gsize generated_len = 0;

  if (node == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == NAVETTE_API_ERROR);
      return 0;
    }

  /* our writer's output is strict JSON that means the same */
  out = g_string_new (NULL);
  navette_json_append_node (out, node);
  again = navette_json_parse_strict (out->str, out->len, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (node, again));

  /* and so is navette_json_to_string's */
  generated = navette_json_to_string (node, &generated_len);
  g_clear_pointer (&again, json_node_unref);
  again = navette_json_parse_strict (generated, generated_len, &error);
  g_assert_no_error (error);
  return 0;
}
