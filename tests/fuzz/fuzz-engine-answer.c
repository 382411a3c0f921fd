/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-engine-answer.c — libFuzzer target: the sync engine's parsers of
 * a server answer.
 *
 * The record-list parser (parse_records_raw, with its hand-written
 * structural splitter split_records/skip_value) and the versions parser
 * are static in src/engine/navette-client.c and only reachable through
 * HTTP, so this target compiles that file in (#include) to call them
 * directly; navette_sync_error_from_api (navette-engine-private.h) parses
 * error answers. Whatever the bytes: no crash, and a failure is a
 * NAVETTE_SYNC_ERROR. */
#include "navette-client.c"

#include <stdint.h>

#include "navette-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  static const guint statuses[] = { 400, 401, 403, 404, 409, 413, 422, 429, 500, 503 };

  navette_fuzz_init ();

  /* a record list (GET …/records) */
  {
    g_autoptr(GError) error = NULL;
    RecordList *list = parse_records_raw (body, NULL, &error);

    if (list == NULL)
      g_assert_true (error != NULL && error->domain == NAVETTE_SYNC_ERROR);
    else
      {
        g_assert_no_error (error);
        for (guint i = 0; i < list->records->len; i++)
          {
            NavettePackedRecord *packed = g_ptr_array_index (list->records, i);
            g_autoptr(JsonObject) unpacked = navette_packed_record_unpack_data (packed);

            g_assert_nonnull (packed->id);
            g_assert_nonnull (unpacked);
            /* sorted by id */
            if (i > 0)
              g_assert_cmpint (strcmp (((NavettePackedRecord *) g_ptr_array_index (list->records, i - 1))->id,
                                       packed->id), <=, 0);
          }
        record_list_free (list);
      }
  }

  /* a versions list (GET …/versions) */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = navette_json_parse_strict ((const char *) data, size, NULL);

    if (root != NULL)
      {
        GPtrArray *versions = parse_versions (root, NULL, &error);

        if (versions == NULL)
          g_assert_true (error != NULL && error->domain == NAVETTE_SYNC_ERROR);
        else
          g_ptr_array_unref (versions);
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
