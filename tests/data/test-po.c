/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-po.c — the translations are complete and POTFILES.in misses no file.
 *
 * - POTFILES.in is sorted, and every file it names exists;
 * - every source file that marks a string for translation (_(, N_(, C_(,
 *   translatable="yes") and every translatable data file is listed;
 * - a catalogue extracted from the sources now, merged into each language
 *   of LINGUAS, has no untranslated and no fuzzy message. */
#define G_LOG_DOMAIN "navette-test-po"

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

static const char *
source_root (void)
{
  const char *root = g_getenv ("NAVETTE_SOURCE_ROOT");

  g_assert_nonnull (root);
  return root;
}

static GPtrArray *
read_list (const char *name)
{
  g_autofree char *path = g_build_filename (source_root (), "po", name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      g_ptr_array_add (list, g_strdup (lines[i]));
    }
  return list;
}

static gboolean
list_contains (GPtrArray  *list,
               const char *item)
{
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (g_ptr_array_index (list, i), item) == 0)
      return TRUE;
  return FALSE;
}

static void
test_potfiles_sorted (void)
{
  g_autoptr(GPtrArray) files = read_list ("POTFILES.in");

  g_assert_cmpuint (files->len, >, 0);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *path = g_build_filename (source_root (), file, NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_error ("POTFILES.in names %s, which does not exist", file);
      if (i > 0 && strcmp (g_ptr_array_index (files, i - 1), file) >= 0)
        g_error ("POTFILES.in is not sorted: %s comes after %s",
                 file, (const char *) g_ptr_array_index (files, i - 1));
    }
}

static gboolean
marks_translation (const char *contents)
{
  const char *p;

  if (strstr (contents, "translatable=\"yes\"") != NULL)
    return TRUE;

  /* _( N_( C_( NC_( not preceded by an identifier character */
  for (p = strchr (contents, '('); p != NULL; p = strchr (p + 1, '('))
    {
      const char *start = p;

      while (start > contents && start[-1] == ' ')
        start--;
      if (start - contents >= 1 && start[-1] == '_')
        {
          const char *word = start - 1;

          while (word > contents && (g_ascii_isalnum (word[-1]) || word[-1] == '_'))
            word--;
          if (strncmp (word, "_", start - word) == 0 && start - word == 1)
            return TRUE;
          if (start - word == 2 && (word[0] == 'N' || word[0] == 'C'))
            return TRUE;
          if (start - word == 3 && strncmp (word, "NC_", 3) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

static void
scan_dir (GFile     *root,
          GFile     *dir,
          GPtrArray *listed,
          GPtrArray *missing)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  enumerator = g_file_enumerate_children (dir,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                          NULL, &error);
  g_assert_no_error (error);

  while ((info = g_file_enumerator_next_file (enumerator, NULL, &error)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      const char *name = g_file_info_get_name (info);
      g_autoptr(GFile) child = g_file_get_child (dir, name);
      g_autofree char *relative = g_file_get_relative_path (root, child);
      gboolean wanted = FALSE;

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          if (name[0] != '.' && !g_str_has_prefix (name, "build") &&
              !g_str_has_prefix (name, "_build"))
            scan_dir (root, child, listed, missing);
          continue;
        }

      if (g_str_has_suffix (name, ".desktop.in") ||
          g_str_has_suffix (name, ".metainfo.xml.in") ||
          g_str_has_suffix (name, ".gschema.xml"))
        wanted = TRUE;
      else if (g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h") ||
               g_str_has_suffix (name, ".ui"))
        {
          g_autofree char *contents = NULL;

          g_file_load_contents (child, NULL, &contents, NULL, NULL, &error);
          g_assert_no_error (error);
          wanted = marks_translation (contents);
        }

      if (wanted && !list_contains (listed, relative))
        g_ptr_array_add (missing, g_steal_pointer (&relative));
    }
  g_assert_no_error (error);
}

static void
test_potfiles_complete (void)
{
  g_autoptr(GPtrArray) listed = read_list ("POTFILES.in");
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GFile) root = g_file_new_for_path (source_root ());
  const char *dirs[] = { "src", "data" };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr(GFile) dir = g_file_get_child (root, dirs[i]);

      scan_dir (root, dir, listed, missing);
    }

  for (guint i = 0; i < missing->len; i++)
    g_test_message ("not in po/POTFILES.in: %s",
                    (const char *) g_ptr_array_index (missing, i));
  g_assert_cmpuint (missing->len, ==, 0);
}

static char *
run (const char * const *argv,
     const char         *cwd)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_error ("%s failed: %s", argv[0], err);
  return g_strconcat (out, err, NULL);
}

static void
test_translations_complete (void)
{
  g_autoptr(GPtrArray) languages = read_list ("LINGUAS");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = g_dir_make_tmp ("navette-po-XXXXXX", &error);
  g_autofree char *pot = NULL;
  g_autofree char *potfiles = NULL;
  g_autofree char *xgettext_out = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (languages->len, >, 0);

  pot = g_build_filename (tmpdir, "navette.pot", NULL);
  potfiles = g_build_filename (source_root (), "po", "POTFILES.in", NULL);
  {
    /* The arguments of meson's i18n.gettext (preset: 'glib'). */
    const char *argv[] = {
      "xgettext", "--package-name=navette", "--from-code=UTF-8",
      "--add-comments", "-f", potfiles, "-D", source_root (), "-o", pot,
      "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
      "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3",
      "--keyword=g_dpgettext2:2c,3",
      "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format",
      "--flag=NC_:2:pass-c-format", "--flag=g_dngettext:2:pass-c-format",
      "--flag=g_strdup_printf:1:c-format", "--flag=g_string_printf:2:c-format",
      "--flag=g_string_append_printf:2:c-format",
      "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
      NULL
    };
    xgettext_out = run (argv, NULL);
  }

  for (guint i = 0; i < languages->len; i++)
    {
      const char *lang = g_ptr_array_index (languages, i);
      g_autofree char *po_name = g_strconcat (lang, ".po", NULL);
      g_autofree char *po = g_build_filename (source_root (), "po", po_name, NULL);
      g_autofree char *merged = g_build_filename (tmpdir, po_name, NULL);
      g_autofree char *stats = NULL;
      const char *merge_argv[] = { "msgmerge", "--quiet", "-o", merged, po, pot, NULL };
      const char *check_argv[] = { "msgfmt", "--check", "--statistics",
                                   "-o", "/dev/null", merged, NULL };
      g_autofree char *merge_out = NULL;

      g_test_message ("checking %s", po_name);
      merge_out = run (merge_argv, NULL);
      stats = run (check_argv, NULL);
      g_test_message ("%s: %s", po_name, stats);
      if (strstr (stats, "fuzzy") != NULL || strstr (stats, "untranslated") != NULL)
        g_error ("%s is not complete against the sources: %s"
                 "(run `meson compile navette-update-po` and translate)",
                 po_name, stats);
      g_assert_nonnull (strstr (stats, "translated message"));
      g_remove (merged);
    }

  g_remove (pot);
  g_rmdir (tmpdir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/po/potfiles-sorted", test_potfiles_sorted);
  g_test_add_func ("/po/potfiles-complete", test_potfiles_complete);
  g_test_add_func ("/po/translations-complete", test_translations_complete);

  return g_test_run ();
}
