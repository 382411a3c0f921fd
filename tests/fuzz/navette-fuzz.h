/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-fuzz.h — what the fuzz targets share: the libFuzzer entry point
 * and a one-time setup (fuzz-replay.c calls the same entry point on the
 * files of tests/fuzz/regressions/ and tests/fuzz/corpus/). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* g_debug and g_message stay quiet; a g_warning or a g_critical is a
 * finding (it aborts, like G_DEBUG=fatal-warnings does in the tests). */
static inline void
navette_fuzz_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
      g_once_init_leave (&done, 1);
    }
}

G_END_DECLS
