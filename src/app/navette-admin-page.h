/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-page.h — what the four pages of the Administration window
 * share: a loading spinner the first time, an error page with Retry when
 * the first load fails (a toast afterwards), a clamped column with a
 * toolbar over the lists, the confirmation question, and how a change
 * ends. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "navette-admin-form.h"

G_BEGIN_DECLS

typedef struct
{
  GtkWidget    *stack;        /* "loading", "content", "error" */
  GtkWidget    *error_page;
  GtkWidget    *toolbar;      /* a horizontal box above the content */
  GtkWidget    *content;      /* a vertical box in a clamp, scrolled */
  GCancellable *cancellable;
  gboolean      loaded;
} NavetteAdminPage;

/* Builds the page as the child of @bin; @name: the page's accessible name. */
void          navette_admin_page_init    (NavetteAdminPage *page,
                                          AdwBin           *bin,
                                          const char       *name);
void          navette_admin_page_clear   (NavetteAdminPage *page);
/* A load starts: the previous one is cancelled; the spinner shows until
 * the first load ends. Returns the load's cancellable. */
GCancellable *navette_admin_page_begin   (NavetteAdminPage *page);
/* The load ended: the content, or the error (a page the first time, a
 * toast afterwards). Nothing for a cancelled load. */
void          navette_admin_page_end     (NavetteAdminPage *page,
                                          const GError     *error);

/* Begins a load of every application for @widget, the page's owner, in
 * an Administration window (nothing elsewhere); @callback gets a
 * reference to @widget as its data. */
void          navette_admin_page_load_apps (NavetteAdminPage   *page,
                                            GtkWidget          *widget,
                                            GAsyncReadyCallback callback);
/* Finishes a load's call of @client: FALSE when it failed (then
 * navette_admin_page_end() has shown why); else TRUE, with *@root the
 * answer (transfer full) and *@array its array member @member (NULL when
 * there is none). */
gboolean      navette_admin_page_finish  (NavetteAdminPage *page,
                                          GObject          *client,
                                          GAsyncResult     *result,
                                          const char       *member,
                                          JsonNode        **root,
                                          JsonArray       **array);
/* Appends to the toolbar a space that pushes what follows to the end. */
void          navette_admin_page_add_spacer (NavetteAdminPage *page);
/* Appends to the toolbar a button with an icon and @mnemonic, named
 * @label for screen readers, that activates @action. */
GtkWidget    *navette_admin_page_add_button (NavetteAdminPage *page,
                                             const char       *icon_name,
                                             const char       *mnemonic,
                                             const char       *label,
                                             const char       *action);

/* An icon-only button with a tooltip and the same accessible name. */
GtkWidget    *navette_admin_icon_button  (const char       *icon_name,
                                          const char       *label);
/* A boxed list with an accessible name and a placeholder row. */
GtkWidget    *navette_admin_list_new     (const char       *name,
                                          const char       *placeholder);

typedef void (*NavetteAdminConfirmed) (gpointer data);
/* Asks @heading / @body with Cancel and @action (destructive when
 * @destructive); runs @confirmed only on @action. @destroy frees @data. */
void          navette_admin_confirm      (GtkWidget             *parent,
                                          const char            *heading,
                                          const char            *body,
                                          const char            *action,
                                          gboolean               destructive,
                                          NavetteAdminConfirmed  confirmed,
                                          gpointer               data,
                                          GDestroyNotify         destroy);

/* Finishes a change's request of @client sent by the page @page without
 * a form: FALSE when it failed (then a toast says why, nothing when it
 * was cancelled). */
gboolean      navette_admin_finish_change (GtkWidget       *page,
                                           GObject         *client,
                                           GAsyncResult    *result);

/* A change a page sends (a request that writes). */
typedef struct _NavetteAdminChange NavetteAdminChange;

/* A change from the page @page, sent by @form (nullable; it goes busy);
 * @done: the toast once it is made. Give it as the data of
 * navette_admin_change_cb(). */
NavetteAdminChange *navette_admin_change_new (GtkWidget        *page,
                                              NavetteAdminForm *form,
                                              const char       *done);
/* The end of a change's request (@data: a NavetteAdminChange, freed):
 * made, the toast @done, the form closed and the page read again;
 * refused, the server's sentence in the form (a toast without one);
 * cancelled, nothing. */
void          navette_admin_change_cb    (GObject          *client,
                                          GAsyncResult     *result,
                                          gpointer          data);

/* The string member @name of @object, or NULL (absent, null, not a string). */
const char   *navette_admin_json_string  (JsonObject       *object,
                                          const char       *name);
/* The array member @name of @object, or NULL (absent, null, not an array). */
JsonArray    *navette_admin_json_array   (JsonObject       *object,
                                          const char       *name);
/* The first object of @array (nullable) whose string member @name is
 * @value, or NULL. */
JsonObject   *navette_admin_json_find    (JsonArray        *array,
                                          const char       *name,
                                          const char       *value);
/* The number member @name of @object in *@value; FALSE when absent, null
 * or not a number. */
gboolean      navette_admin_json_number  (JsonObject       *object,
                                          const char       *name,
                                          double           *value);
/* An ISO 8601 time as unix microseconds (0 when it is not one). */
gint64        navette_admin_parse_time   (const char       *iso);

G_END_DECLS
