/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-replay.c — runs a fuzz target's entry point, without libFuzzer, on
 * every file of the directories given (tests/fuzz/regressions/TARGET: the
 * inputs that once crashed it; tests/fuzz/corpus/TARGET: the seeds). One
 * TAP test per file, so a regression names its input. */
#define G_LOG_DOMAIN "navette-fuzz"

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include "navette-fuzz.h"

static void
replay (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  guint count = 0;

  g_test_init (&argc, &argv, NULL);

  for (int a = 1; a < argc; a++)
    {
      g_autoptr(GDir) dir = g_dir_open (argv[a], 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *base = g_path_get_basename (argv[a]);
      g_autofree char *parent = g_path_get_dirname (argv[a]);
      g_autofree char *kind = g_path_get_basename (parent);
      const char *name;

      if (dir == NULL)
        continue;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.' && !g_str_has_suffix (name, ".md"))
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint i = 0; i < names->len; i++)
        {
          char *path = g_build_filename (argv[a], g_ptr_array_index (names, i), NULL);
          g_autofree char *test_path = g_strdup_printf ("/fuzz/%s/%s/%s", base, kind,
                                                        (const char *) g_ptr_array_index (names, i));

          g_ptr_array_add (paths, path);
          g_test_add_data_func (test_path, path, replay);
          count++;
        }
    }

  if (count == 0)
    {
      g_test_add_data_func ("/fuzz/no-inputs", NULL, (GTestDataFunc) g_test_skip);
    }
  return g_test_run ();
}
