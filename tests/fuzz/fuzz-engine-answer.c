/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-engine-answer.c — libFuzzer target: the sync engine's parsers of
 * a server answer.
 *
 * The record-page parser (parse_records_raw, with the streaming decoder)
 * and the versions page parser
 * are static in src/engine/navette-client-walk.c and only reachable through
 * HTTP, so this target compiles that file in (#include) to call them
 * directly; navette_sync_error_from_api (navette-engine-private.h) parses
 * error answers. Whatever the bytes: no crash, and a failure is a
 * NAVETTE_SYNC_ERROR. */
#include "navette-client-walk.c"

#include <stdint.h>

#include "navette-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  static const guint statuses[] = { 400, 401, 403, 404, 409, 413, 422, 429, 500, 503 };

  navette_fuzz_init ();

  /* a record list (GET …/records), one page of a walk: the last page
   * (no "next") sorts the walk by id */
  {
    g_autoptr(GError) error = NULL;
    PageWalk walk = { 0 };
    PageWalk *parsed;

    walk.items = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_packed_record_free);
    parsed = parse_records_raw (body, &walk, &error);
    if (parsed == NULL)
      g_assert_true (error != NULL && error->domain == NAVETTE_SYNC_ERROR);
    else
      {
        g_assert_no_error (error);
        g_assert_true (parsed == &walk);
        for (guint i = 0; i < walk.items->len; i++)
          {
            NavettePackedRecord *packed = g_ptr_array_index (walk.items, i);
            g_autoptr(JsonObject) unpacked = navette_packed_record_unpack_data (packed);

            g_assert_nonnull (packed->id);
            g_assert_nonnull (unpacked);
            /* sorted by id, each once */
            if (i > 0 && walk.next == NULL)
              g_assert_cmpint (strcmp (((NavettePackedRecord *) g_ptr_array_index (walk.items, i - 1))->id,
                                       packed->id), <, 0);
          }
      }
    g_clear_pointer (&walk.items, g_ptr_array_unref);
    g_clear_pointer (&walk.next, g_free);
  }

  /* a versions list (GET …/versions), one page */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = navette_json_parse_strict ((const char *) data, size, NULL);

    if (root != NULL)
      {
        PageWalk walk = { 0 };

        walk.items = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
        if (parse_versions (root, &walk, &error) == NULL)
          g_assert_true (error != NULL && error->domain == NAVETTE_SYNC_ERROR);
        g_clear_pointer (&walk.items, g_ptr_array_unref);
        g_clear_pointer (&walk.next, g_free);
      }
  }

  /* an error answer, under every status */
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(GError) error = navette_sync_error_from_api (statuses[i], body);

      g_assert_nonnull (error);
      g_assert_true (error->domain == NAVETTE_SYNC_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
  return 0;
}
