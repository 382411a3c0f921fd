/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-input.h — real input for the UI tests (xdotool on the X
 * server the tests run on) and main-loop waits. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef gboolean (*NavetteTestCondition) (gpointer data);

/* Iterates the main loop until @condition holds; fails the test after 30 s
 * naming @what. */
void       navette_test_wait_until      (NavetteTestCondition  condition,
                                         gpointer              data,
                                         const char           *what);
/* A GAsyncReadyCallback that stores a ref of the result in *(GAsyncResult **) @user_data;
 * navette_test_result_ready() is its condition. */
void       navette_test_store_result_cb (GObject              *object,
                                         GAsyncResult         *result,
                                         gpointer              user_data);
gboolean   navette_test_result_ready    (gpointer              data);
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

G_END_DECLS
