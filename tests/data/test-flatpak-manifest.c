/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-flatpak-manifest.c — the Flatpak manifests parse and match the
 * build: flatpak/org.navette.Navette.json (publication: builds a tagged
 * release from git) and flatpak/org.navette.Navette.Devel.json
 * (development: builds this tree). Their app id and command are those
 * meson installs, the last module builds this project with meson, every
 * dependency the GNOME runtime lacks is a module (or its feature is
 * disabled), the sandbox asks for no more than network, display and GPU
 * (no files: the file chooser portal; no secrets service: libsecret's
 * portal), and the two differ only in where the sources come from. */
#define G_LOG_DOMAIN "navette-test-flatpak"

#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

static JsonObject *manifest;       /* the one being checked */
static JsonObject *manifests[2];   /* publication, development */

static gboolean
array_has_string (JsonArray  *array,
                  const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

static JsonObject *
find_module (const char *name)
{
  JsonArray *modules = json_object_get_array_member (manifest, "modules");

  for (guint i = 0; i < json_array_get_length (modules); i++)
    {
      JsonNode *node = json_array_get_element (modules, i);

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL), name) == 0)
        return json_node_get_object (node);
    }
  return NULL;
}

static void
test_identity (void)
{
  const char *runtime_version;

  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "id", NULL), ==, APP_ID);
  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "command", NULL), ==, NAVETTE_APP_COMMAND);
  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "runtime", NULL), ==, "org.gnome.Platform");
  g_assert_cmpstr (json_object_get_string_member_with_default (manifest, "sdk", NULL), ==, "org.gnome.Sdk");
  runtime_version = json_object_get_string_member_with_default (manifest, "runtime-version", "0");
  /* GNOME 45 and later ship GTK ≥ 4.12 and libadwaita ≥ 1.4: our 4.8/1.2 floor. */
  g_assert_cmpint (g_ascii_strtoll (runtime_version, NULL, 10), >=, 45);
}

static void
test_permissions (void)
{
  const char *allowed[] = {
    "--share=network", "--socket=wayland", "--socket=fallback-x11",
    "--device=dri",
  };
  JsonArray *args = json_object_get_array_member (manifest, "finish-args");

  g_assert_nonnull (args);
  for (guint i = 0; i < json_array_get_length (args); i++)
    {
      const char *arg = json_array_get_string_element (args, i);
      gboolean ok = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (allowed); j++)
        ok |= g_strcmp0 (arg, allowed[j]) == 0;
      if (!ok)
        g_error ("finish-args asks for %s, more than the app needs", arg);
    }
  for (guint j = 0; j < G_N_ELEMENTS (allowed); j++)
    g_assert_true (array_has_string (args, allowed[j]));
}

static void
test_modules (void)
{
  JsonArray *modules = json_object_get_array_member (manifest, "modules");
  JsonObject *last;
  JsonArray *opts;
  JsonArray *sources;
  g_auto(GStrv) required = g_strsplit (NAVETTE_FLATPAK_MODULES, ",", -1);
  g_auto(GStrv) disabled = g_strsplit (NAVETTE_FLATPAK_DISABLED, ",", -1);

  g_assert_nonnull (modules);
  g_assert_cmpuint (json_array_get_length (modules), >, 0);

  /* The project itself comes last, built with meson from this tree. */
  last = json_array_get_object_element (modules, json_array_get_length (modules) - 1);
  g_assert_cmpstr (json_object_get_string_member_with_default (last, "name", NULL), ==, "navette");
  g_assert_cmpstr (json_object_get_string_member_with_default (last, "buildsystem", NULL), ==, "meson");
  opts = json_object_get_array_member (last, "config-opts");
  g_assert_true (array_has_string (opts, "-Dgui=enabled"));
  sources = json_object_get_array_member (last, "sources");
  g_assert_nonnull (sources);
  if (manifest == manifests[0])
    {
      /* Publication: a tagged release, from git. */
      JsonObject *source = json_array_get_object_element (sources, 0);

      g_assert_cmpstr (json_object_get_string_member (source, "type"), ==, "git");
      g_assert_true (g_str_has_prefix (json_object_get_string_member_with_default (source, "url", ""),
                                       "https://"));
      g_assert_true (g_str_has_prefix (json_object_get_string_member_with_default (source, "tag", ""),
                                       "v"));
    }
  else
    {
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (sources, 0), "type"), ==, "dir");
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (sources, 0), "path"), ==, "..");
    }

  /* Every -Dname=value is an option of this build. */
  {
    g_autofree char *options_path = g_build_filename (g_getenv ("NAVETTE_SOURCE_ROOT"), "meson_options.txt", NULL);
    g_autofree char *options = NULL;
    g_autoptr(GError) error = NULL;

    g_file_get_contents (options_path, &options, NULL, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < json_array_get_length (opts); i++)
      {
        const char *opt = json_array_get_string_element (opts, i);
        g_autofree char *name = NULL;
        g_autofree char *needle = NULL;

        if (!g_str_has_prefix (opt, "-D") || strchr (opt, '=') == NULL)
          continue;
        name = g_strndup (opt + 2, strchr (opt, '=') - (opt + 2));
        needle = g_strdup_printf ("option('%s'", name);
        if (strstr (options, needle) == NULL)
          g_error ("The manifest passes %s, which is not an option of meson_options.txt", opt);
      }
  }

  /* Dependencies of the build that the GNOME runtime does not ship. */
  for (guint i = 0; required[i] != NULL; i++)
    if (required[i][0] != '\0' && find_module (required[i]) == NULL)
      g_error ("the build needs %s, which the GNOME runtime lacks: add a module", required[i]);

  /* Optional features whose library the runtime lacks must be off. */
  for (guint i = 0; disabled[i] != NULL; i++)
    {
      g_autofree char *opt = g_strdup_printf ("-D%s=disabled", disabled[i]);

      if (disabled[i][0] != '\0' && !array_has_string (opts, opt))
        g_error ("the manifest must pass %s (the runtime lacks its library)", opt);
    }
}

/* The development manifest is the publication one but for the sources
 * of the navette module. */
static void
test_variants_agree (void)
{
  char *texts[2] = { NULL, NULL };

  for (guint i = 0; i < 2; i++)
    {
      /* A deep copy (through text): the manifests stay as they are. */
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), manifests[i]);
      g_autofree char *text = json_to_string (node, FALSE);
      g_autoptr(JsonNode) copy = json_from_string (text, NULL);
      JsonArray *modules = json_object_get_array_member (json_node_get_object (copy), "modules");
      JsonObject *last = json_array_get_object_element (modules, json_array_get_length (modules) - 1);

      json_object_remove_member (last, "sources");
      texts[i] = json_to_string (copy, TRUE);
    }
  g_assert_cmpstr (texts[0], ==, texts[1]);
  g_clear_pointer (&texts[0], g_free);
  g_clear_pointer (&texts[1], g_free);
}

static JsonObject *
load (JsonParser *parser,
      const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("NAVETTE_SOURCE_ROOT"), "flatpak", name, NULL);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
run_on (gconstpointer data)
{
  const struct { guint which; GTestFunc func; } *check = data;

  manifest = manifests[check->which];
  check->func ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) devel_parser = json_parser_new ();
  static const struct { guint which; GTestFunc func; const char *path; } checks[] = {
    { 0, test_identity, "/flatpak/identity" },
    { 0, test_permissions, "/flatpak/permissions" },
    { 0, test_modules, "/flatpak/modules" },
    { 1, test_identity, "/flatpak/devel/identity" },
    { 1, test_permissions, "/flatpak/devel/permissions" },
    { 1, test_modules, "/flatpak/devel/modules" },
  };

  g_test_init (&argc, &argv, NULL);

  manifests[0] = load (parser, APP_ID ".json");
  manifests[1] = load (devel_parser, APP_ID ".Devel.json");

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    g_test_add_data_func (checks[i].path, &checks[i], run_on);
  g_test_add_func ("/flatpak/variants-agree", test_variants_agree);

  return g_test_run ();
}
