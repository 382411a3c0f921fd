/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-admin-window.c — the Administration window. */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-admin-access.h"
#include "navette-admin-activity.h"
#include "navette-admin-members.h"
#include "navette-admin-model.h"
#include "navette-admin-window.h"
#include "navette-window.h"

struct _NavetteAdminWindow
{
  AdwWindow             parent_instance;

  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *stack;
  NavetteAdminMembers  *members;
  NavetteAdminAccess   *access;
  NavetteAdminModel    *model;
  NavetteAdminActivity *activity;

  NavetteEngine        *engine;
  NavetteAdminClient   *client;
  GtkWindow            *main_window;   /* weak */
  char                 *last_toast;
  gboolean              full;
};

G_DEFINE_FINAL_TYPE (NavetteAdminWindow, navette_admin_window, ADW_TYPE_WINDOW)

static void
reload_page (NavetteAdminWindow *self,
             const char         *name)
{
  if (g_strcmp0 (name, "members") == 0)
    navette_admin_members_reload (self->members);
  else if (g_strcmp0 (name, "access") == 0)
    navette_admin_access_reload (self->access);
  else if (g_strcmp0 (name, "model") == 0)
    navette_admin_model_reload (self->model);
  else if (g_strcmp0 (name, "activity") == 0)
    navette_admin_activity_reload (self->activity);
}

/* Each page is read again when it is shown: what another page (or
 * another administrator) changed is there. */
static void
visible_child_cb (NavetteAdminWindow *self)
{
  if (self->client == NULL)
    return;
  reload_page (self, adw_view_stack_get_visible_child_name (self->stack));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  NavetteAdminWindow *self = NAVETTE_ADMIN_WINDOW (widget);

  reload_page (self, adw_view_stack_get_visible_child_name (self->stack));
}

static void
navette_admin_window_dispose (GObject *object)
{
  NavetteAdminWindow *self = NAVETTE_ADMIN_WINDOW (object);

  g_clear_weak_pointer (&self->main_window);
  g_clear_object (&self->client);
  g_clear_object (&self->engine);
  gtk_widget_dispose_template (GTK_WIDGET (self), NAVETTE_TYPE_ADMIN_WINDOW);
  G_OBJECT_CLASS (navette_admin_window_parent_class)->dispose (object);
}

static void
navette_admin_window_finalize (GObject *object)
{
  NavetteAdminWindow *self = NAVETTE_ADMIN_WINDOW (object);

  g_free (self->last_toast);
  G_OBJECT_CLASS (navette_admin_window_parent_class)->finalize (object);
}

static void
navette_admin_window_class_init (NavetteAdminWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_admin_window_dispose;
  object_class->finalize = navette_admin_window_finalize;

  g_type_ensure (NAVETTE_TYPE_ADMIN_MEMBERS);
  g_type_ensure (NAVETTE_TYPE_ADMIN_ACCESS);
  g_type_ensure (NAVETTE_TYPE_ADMIN_MODEL);
  g_type_ensure (NAVETTE_TYPE_ADMIN_ACTIVITY);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-admin-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteAdminWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NavetteAdminWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, NavetteAdminWindow, members);
  gtk_widget_class_bind_template_child (widget_class, NavetteAdminWindow, access);
  gtk_widget_class_bind_template_child (widget_class, NavetteAdminWindow, model);
  gtk_widget_class_bind_template_child (widget_class, NavetteAdminWindow, activity);
  gtk_widget_class_bind_template_callback (widget_class, visible_child_cb);

  gtk_widget_class_install_action (widget_class, "admin.refresh", NULL, refresh_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "admin.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
navette_admin_window_init (NavetteAdminWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

NavetteAdminWindow *
navette_admin_window_new (GtkWindow     *parent,
                          NavetteEngine *engine)
{
  NavetteAdminWindow *self;
  NavetteSession *session;

  g_return_val_if_fail (NAVETTE_IS_ENGINE (engine), NULL);

  self = g_object_new (NAVETTE_TYPE_ADMIN_WINDOW, NULL);
  if (parent != NULL)
    {
      gtk_window_set_transient_for (GTK_WINDOW (self), parent);
      gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
      g_set_weak_pointer (&self->main_window, parent);
    }
  self->engine = g_object_ref (engine);
  self->client = navette_admin_client_new (navette_engine_get_client (engine));
  session = navette_engine_get_session (engine);
  self->full = navette_session_get_admin (session);

  /* Not an administrator: Activity only (of the applications they edit). */
  adw_view_stack_page_set_visible (adw_view_stack_get_page (self->stack, GTK_WIDGET (self->members)), self->full);
  adw_view_stack_page_set_visible (adw_view_stack_get_page (self->stack, GTK_WIDGET (self->access)), self->full);
  adw_view_stack_page_set_visible (adw_view_stack_get_page (self->stack, GTK_WIDGET (self->model)), self->full);
  adw_view_stack_set_visible_child_name (self->stack, self->full ? "members" : "activity");
  visible_child_cb (self);
  return self;
}

NavetteEngine *
navette_admin_window_get_engine (NavetteAdminWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), NULL);

  return self->engine;
}

NavetteAdminClient *
navette_admin_window_get_client (NavetteAdminWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), NULL);

  return self->client;
}

gboolean
navette_admin_window_get_full (NavetteAdminWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), FALSE);

  return self->full;
}

void
navette_admin_window_show_page (NavetteAdminWindow *self,
                                const char         *name)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_WINDOW (self));

  if (navette_admin_window_has_page (self, name))
    adw_view_stack_set_visible_child_name (self->stack, name);
}

const char *
navette_admin_window_get_page (NavetteAdminWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), NULL);

  return adw_view_stack_get_visible_child_name (self->stack);
}

GtkWidget *
navette_admin_window_get_page_widget (NavetteAdminWindow *self,
                                      const char         *name)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), NULL);

  return adw_view_stack_get_child_by_name (self->stack, name);
}

gboolean
navette_admin_window_has_page (NavetteAdminWindow *self,
                               const char         *name)
{
  GtkWidget *child;

  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), FALSE);

  child = adw_view_stack_get_child_by_name (self->stack, name);
  return child != NULL && adw_view_stack_page_get_visible (adw_view_stack_get_page (self->stack, child));
}

void
navette_admin_window_toast (NavetteAdminWindow *self,
                            const char         *title)
{
  AdwToast *toast;

  g_return_if_fail (NAVETTE_IS_ADMIN_WINDOW (self));

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

const char *
navette_admin_window_get_last_toast (NavetteAdminWindow *self)
{
  g_return_val_if_fail (NAVETTE_IS_ADMIN_WINDOW (self), NULL);

  return self->last_toast;
}

void
navette_admin_window_open_history (NavetteAdminWindow *self,
                                   const char         *app,
                                   const char         *table,
                                   const char         *record)
{
  g_return_if_fail (NAVETTE_IS_ADMIN_WINDOW (self));

  if (!NAVETTE_IS_WINDOW (self->main_window))
    return;
  if (!navette_window_show_record_history (NAVETTE_WINDOW (self->main_window), app, table, record))
    {
      navette_admin_window_toast (self, _("This record cannot be opened: you cannot read its table"));
      return;
    }
  gtk_window_present (self->main_window);
}

NavetteAdminWindow *
navette_admin_window_of (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  return NAVETTE_IS_ADMIN_WINDOW (root) ? NAVETTE_ADMIN_WINDOW (root) : NULL;
}

NavetteAdminClient *
navette_admin_window_client_of (GtkWidget *widget)
{
  NavetteAdminWindow *window = navette_admin_window_of (widget);

  return window != NULL ? window->client : NULL;
}

void
navette_admin_window_toast_in (GtkWidget  *widget,
                               const char *title)
{
  NavetteAdminWindow *window = navette_admin_window_of (widget);

  if (window != NULL)
    navette_admin_window_toast (window, title);
}

void
navette_admin_window_error_in (GtkWidget    *widget,
                               const GError *error)
{
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    navette_admin_window_toast_in (widget, error->message);
}

void
navette_admin_window_reload_in (GtkWidget *widget)
{
  NavetteAdminWindow *window = navette_admin_window_of (widget);
  GtkWidget *page = widget;

  if (window == NULL)
    return;
  while (page != NULL && gtk_widget_get_parent (page) != GTK_WIDGET (window->stack))
    page = gtk_widget_get_parent (page);
  if (page != NULL)
    reload_page (window, adw_view_stack_page_get_name (adw_view_stack_get_page (window->stack, page)));
}
