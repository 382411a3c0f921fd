/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-input.h — real input for the UI tests (xdotool on the X
 * server the tests run on) and main-loop waits. */
#pragma once

#include <gtk/gtk.h>

#include "navette-test-loop.h"

G_BEGIN_DECLS

typedef gboolean (*NavetteTestCondition) (gpointer data);

/* The environment of every UI test program: user directories of its own
 * (navette_test_dirs_init(); first thing in main()), the GSettings
 * schemas of the build tree, no keyring, and GTK_A11Y=@a11y. */
void       navette_test_ui_setenv       (const char           *a11y);
/* What a UI test program runs when the machine lacks what it needs (a
 * display, a tool): the one test @path, skipped saying @reason. Returns
 * g_test_run()'s status. */
int        navette_test_run_skipped     (int                  *argc,
                                         char               ***argv,
                                         const char           *path,
                                         const char           *reason);

/* For the programs that send real X input (xdotool): the UI environment
 * on the X11 backend, then GTK initialised (navette_test_gtk_init())
 * without animations. FALSE, and GTK not initialised, when there is no X
 * display or no xdotool. */
gboolean   navette_test_input_init      (int                  *argc,
                                         char               ***argv);
/* gtk_test_init() and adw_init(), with the cursor not blinking: one Xvfb
 * and no window manager, a blinking cursor in a window that lost the X
 * focus makes GTK warn ("did not receive a focus-out event"). */
void       navette_test_gtk_init        (int                  *argc,
                                         char               ***argv);

/* Iterates the main loop until @condition holds; fails the test after 60 s
 * naming @what (generous: a sign-in hashes a password with argon2id, and
 * the CI machine is shared). */
void       navette_test_wait_until      (NavetteTestCondition  condition,
                                         gpointer              data,
                                         const char           *what);
/* Runs xdotool with the arguments (NULL-terminated), then lets GTK read
 * the events. */
void       navette_test_xdo             (const char           *first,
                                         ...) G_GNUC_NULL_TERMINATED;
/* Gives the X focus to @widget's window. */
void       navette_test_focus_window    (GtkWidget            *widget);
/* Until @widget is mapped, laid out and painted twice at the same place. */
void       navette_test_wait_settled    (GtkWidget            *widget);
/* A left click in the middle of @widget, with the real pointer. */
void       navette_test_click           (GtkWidget            *widget);
/* xdotool key (e.g. "ctrl+s", "Tab", "Return"). */
void       navette_test_key             (const char           *keys);
/* Types @text. */
void       navette_test_type            (const char           *text);
/* The first mapped widget of @type under @root whose button label holds
 * @label (NULL: any). */
GtkWidget *navette_test_find_widget     (GtkWidget            *root,
                                         GType                 type,
                                         const char           *label);

/* The GtkLabel showing exactly @text under @root, mapped, or NULL. */
GtkWidget *navette_test_find_label      (GtkWidget            *root,
                                         const char           *text);

G_END_DECLS
