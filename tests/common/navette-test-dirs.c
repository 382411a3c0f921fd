/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-dirs.c — user directories of the test program's own. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <stdlib.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "navette-test-dirs.h"
#include "navette-test-server.h"

static const struct {
  const char *variable;
  const char *name;
  const char *(*get) (void);
} dirs[] = {
  { "XDG_DATA_HOME", "data", g_get_user_data_dir },
  { "XDG_CACHE_HOME", "cache", g_get_user_cache_dir },
  { "XDG_CONFIG_HOME", "config", g_get_user_config_dir },
  { "XDG_STATE_HOME", "state", g_get_user_state_dir },
};

static char *root;
static pid_t owner;

static void
remove_at_exit (void)
{
  /* Not from a forked child: the directory is its parent's. */
  if (root != NULL && getpid () == owner)
    navette_test_rm_rf (root);
}

const char *
navette_test_dirs_init (void)
{
  g_autoptr(GError) error = NULL;

  if (root != NULL)
    return root;

  root = g_dir_make_tmp ("navette-test-dirs-XXXXXX", &error);
  g_assert_no_error (error);
  owner = getpid ();
  atexit (remove_at_exit);

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (root, dirs[i].name, NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (dirs[i].variable, dir, TRUE);
      /* GLib keeps the first value it read: had anything read it before,
       * the application would still use the shared one. */
      if (g_strcmp0 (dirs[i].get (), dir) != 0)
        g_error ("%s was read before navette_test_dirs_init(): %s", dirs[i].variable, dirs[i].get ());
    }
  return root;
}

void
navette_test_dirs_reset (void)
{
  g_assert_nonnull (root);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *navette = g_build_filename (dirs[i].get (), "navette", NULL);

      navette_test_rm_rf (navette);
      g_assert_false (g_file_test (navette, G_FILE_TEST_EXISTS));
    }
}
