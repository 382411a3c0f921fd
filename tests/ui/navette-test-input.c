/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-input.c — real input for the UI tests: keys and clicks
 * sent to the X server (xdotool, XTEST) as a person types, and waiting
 * on the main loop (never sleeping). */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <string.h>
#include <gdk/x11/gdkx.h>
#include <adwaita.h>

#include "navette-test-dirs.h"
#include "navette-test-input.h"

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
navette_test_ui_setenv (const char *a11y)
{
  g_autofree char *schemas = g_build_filename (g_getenv ("NAVETTE_BUILD_ROOT"), "data", NULL);

  navette_test_dirs_init ();
  g_setenv ("GSETTINGS_SCHEMA_DIR", schemas, TRUE);
  g_setenv ("NAVETTE_NO_KEYRING", "1", TRUE);
  g_setenv ("GTK_A11Y", a11y, TRUE);
}

static void
skipped (gconstpointer reason)
{
  g_test_skip (reason);
}

int
navette_test_run_skipped (int         *argc,
                          char      ***argv,
                          const char  *path,
                          const char  *reason)
{
  g_test_init (argc, argv, NULL);
  g_test_add_data_func (path, reason, skipped);
  return g_test_run ();
}

void
navette_test_gtk_init (int    *argc,
                       char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
}

gboolean
navette_test_input_init (int    *argc,
                         char ***argv)
{
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");

  navette_test_ui_setenv ("none");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  if (g_getenv ("DISPLAY") == NULL || xdotool == NULL)
    return FALSE;
  navette_test_gtk_init (argc, argv);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  return TRUE;
}

void
navette_test_wait_until (NavetteTestCondition condition,
                         gpointer    data,
                         const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (60, timeout_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out waiting for %s", what);
  g_source_remove (id);
}

/* ---- Real input ---- */

/* Runs xdotool with @args (NULL-terminated), then lets GTK take the
 * events the X server now has for it. */
void
navette_test_xdo (const char *first,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* The events are queued in order: let GTK read what is there. */
  for (guint i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static char *
xid_of (GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (widget));

  return g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
}

/* Gives the X focus to @widget's window. */
void
navette_test_focus_window (GtkWidget *widget)
{
  g_autofree char *xid = xid_of (widget);

  navette_test_xdo ("windowfocus", "--sync", xid, NULL);
}

static void
painted_cb (GdkFrameClock *clock,
            guint         *n)
{
  (*n)++;
}

/* Until @widget is on screen where it will stay: mapped, laid out and
 * painted twice at the same place (a pane slides in). */
void
navette_test_wait_settled (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (gtk_widget_get_native (widget)));
  graphene_rect_t before = GRAPHENE_RECT_INIT (0, 0, 0, 0);
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);
  guint n = 0;
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (painted_cb), &n);

  while (!timed_out)
    {
      graphene_rect_t now;
      guint painted = n;

      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      while (n == painted && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      if (gtk_widget_get_mapped (widget) &&
          gtk_widget_compute_bounds (widget, GTK_WIDGET (gtk_widget_get_native (widget)), &now) &&
          now.size.width > 1 && graphene_rect_equal (&now, &before))
        break;
          if (!gtk_widget_compute_bounds (widget, GTK_WIDGET (gtk_widget_get_native (widget)), &before))
        before = GRAPHENE_RECT_INIT (0, 0, 0, 0);
    }
  g_signal_handler_disconnect (clock, handler);
  if (timed_out)
    g_error ("The widget did not settle on screen");
  g_source_remove (id);
}

/* A left click in the middle of @widget, with the real pointer. */
void
navette_test_click (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  g_autofree char *xid = xid_of (widget);
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  graphene_rect_t bounds;
  double dx, dy;

  navette_test_wait_settled (widget);
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (native), &bounds));
  gtk_native_get_surface_transform (native, &dx, &dy);
  x = g_strdup_printf ("%d", (int) (dx + bounds.origin.x + bounds.size.width / 2));
  y = g_strdup_printf ("%d", (int) (dy + bounds.origin.y + bounds.size.height / 2));
  navette_test_xdo ("mousemove", "--window", xid, "--sync", x, y, NULL);
  navette_test_xdo ("click", "1", NULL);
}

void
navette_test_key (const char *keys)
{
  navette_test_xdo ("key", "--clearmodifiers", keys, NULL);
}

void
navette_test_type (const char *text)
{
  navette_test_xdo ("type", "--delay", "20", text, NULL);
}

/* The first widget of @type under @root whose label or text holds
 * @label (NULL: any). */
GtkWidget *
navette_test_find_widget (GtkWidget  *root,
                          GType       type,
                          const char *label)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && gtk_widget_get_mapped (root))
    {
      const char *text = NULL;

      if (GTK_IS_BUTTON (root))
        text = gtk_button_get_label (GTK_BUTTON (root));
      if (label == NULL || (text != NULL && strstr (text, label) != NULL))
        return root;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = navette_test_find_widget (child, type, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}


GtkWidget *
navette_test_find_label (GtkWidget  *root,
                         const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_label_get_label (GTK_LABEL (root)), text) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = navette_test_find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}
