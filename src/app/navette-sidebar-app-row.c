/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-sidebar-app-row.h"

struct _NavetteSidebarAppRow
{
  GtkListBoxRow  parent_instance;

  /* Template widgets */
  GtkLabel      *title;
  GtkLabel      *role;

  NavetteStore  *store;
};

G_DEFINE_FINAL_TYPE (NavetteSidebarAppRow, navette_sidebar_app_row, GTK_TYPE_LIST_BOX_ROW)


static void
role_update (NavetteSidebarAppRow *self)
{
  gtk_label_set_label (self->role, navette_store_get_role (self->store) == NAVETTE_ROLE_EDITOR
                                   /* Translators: the user's role in an application, in the sidebar */
                                   ? C_("role", "editor") : C_("role", "reader"));
  {
    /* Translators: an application in the sidebar, as a screen reader
     * says it: "Catalogue, editor" */
    g_autofree char *name = g_strdup_printf (_("%s, %s"), navette_store_get_title (self->store),
                                             gtk_label_get_label (self->role));

    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  }
}

static void
navette_sidebar_app_row_dispose (GObject *object)
{
  NavetteSidebarAppRow *self = NAVETTE_SIDEBAR_APP_ROW (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (navette_sidebar_app_row_parent_class)->dispose (object);
}

static void
navette_sidebar_app_row_class_init (NavetteSidebarAppRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_sidebar_app_row_dispose;


  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-sidebar-app-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteSidebarAppRow, title);
  gtk_widget_class_bind_template_child (widget_class, NavetteSidebarAppRow, role);
}

static void
navette_sidebar_app_row_init (NavetteSidebarAppRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
navette_sidebar_app_row_new (NavetteStore *store)
{
  NavetteSidebarAppRow *self;

  g_return_val_if_fail (NAVETTE_IS_STORE (store), NULL);

  self = g_object_new (NAVETTE_TYPE_SIDEBAR_APP_ROW, NULL);
  self->store = g_object_ref (store);
  g_object_bind_property (store, "title", self->title, "label", G_BINDING_SYNC_CREATE);
  role_update (self);
  g_signal_connect_object (store, "notify::role", G_CALLBACK (role_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "notify::title", G_CALLBACK (role_update), self, G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

NavetteStore *
navette_sidebar_app_row_get_store (NavetteSidebarAppRow *self)
{
  g_return_val_if_fail (NAVETTE_IS_SIDEBAR_APP_ROW (self), NULL);
  return self->store;
}
