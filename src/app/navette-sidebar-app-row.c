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

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
navette_sidebar_app_row_constructed (GObject *object)
{
  NavetteSidebarAppRow *self = NAVETTE_SIDEBAR_APP_ROW (object);

  G_OBJECT_CLASS (navette_sidebar_app_row_parent_class)->constructed (object);

  g_object_bind_property (self->store, "title", self->title, "label", G_BINDING_SYNC_CREATE);
  role_update (self);
  g_signal_connect_object (self->store, "notify::role", G_CALLBACK (role_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "notify::title", G_CALLBACK (role_update), self, G_CONNECT_SWAPPED);
}

static void
navette_sidebar_app_row_dispose (GObject *object)
{
  NavetteSidebarAppRow *self = NAVETTE_SIDEBAR_APP_ROW (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (navette_sidebar_app_row_parent_class)->dispose (object);
}

static void
navette_sidebar_app_row_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NavetteSidebarAppRow *self = NAVETTE_SIDEBAR_APP_ROW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_sidebar_app_row_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  NavetteSidebarAppRow *self = NAVETTE_SIDEBAR_APP_ROW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_sidebar_app_row_class_init (NavetteSidebarAppRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = navette_sidebar_app_row_constructed;
  object_class->dispose = navette_sidebar_app_row_dispose;
  object_class->get_property = navette_sidebar_app_row_get_property;
  object_class->set_property = navette_sidebar_app_row_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, NAVETTE_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  g_return_val_if_fail (NAVETTE_IS_STORE (store), NULL);

  return g_object_new (NAVETTE_TYPE_SIDEBAR_APP_ROW, "store", store, NULL);
}

NavetteStore *
navette_sidebar_app_row_get_store (NavetteSidebarAppRow *self)
{
  g_return_val_if_fail (NAVETTE_IS_SIDEBAR_APP_ROW (self), NULL);
  return self->store;
}
