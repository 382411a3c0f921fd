/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-routes.c — the route table of the v1 HTTP API, and its
 * matching. A route is a pattern below /api/v1/ and its methods (any
 * number); what a 405 says is allowed, the pattern's segments and the
 * whole path are made from the table once, at startup. The handlers are
 * in navette-http-handlers.c (and navette-http-events.c for the
 * WebSocket); see docs/api.md. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>

#include "navette-http-private.h"

static Route routes[] = {
  { "health",
    (const RouteMethod[]) { { "GET", ACCESS_NONE, FALSE, handle_health }, { NULL } } },
  { "sessions",
    (const RouteMethod[]) { { "POST", ACCESS_NONE, TRUE, handle_login }, { NULL } } },
  { "sessions/current",
    (const RouteMethod[]) { { "DELETE", ACCESS_USER, FALSE, handle_logout }, { NULL } } },
  { "me",
    (const RouteMethod[]) { { "GET", ACCESS_USER, FALSE, handle_me }, { NULL } } },
  { "events",
    (const RouteMethod[]) { { "GET", ACCESS_USER, FALSE, handle_events }, { NULL } },
    ROUTE_UPGRADE },
  { "applications",
    (const RouteMethod[]) { { "GET", ACCESS_USER, FALSE, handle_applications }, { NULL } } },
  { "applications/{app}/tables",
    (const RouteMethod[]) { { "GET", ACCESS_READ, FALSE, handle_tables }, { NULL } } },
  { "applications/{app}/last-modified",
    (const RouteMethod[]) { { "GET", ACCESS_READ, FALSE, handle_app_state }, { NULL } },
    ROUTE_CACHED_AUTH },
  { "applications/{app}/audit",
    (const RouteMethod[]) { { "GET", ACCESS_AUDIT, FALSE, handle_audit }, { NULL } } },
  { "applications/{app}/tables/{table}/last-modified",
    (const RouteMethod[]) { { "GET", ACCESS_READ, FALSE, handle_table_state }, { NULL } },
    ROUTE_CACHED_AUTH },
  { "applications/{app}/tables/{table}/records",
    (const RouteMethod[]) { { "GET", ACCESS_READ, FALSE, handle_record_list },
                            { "POST", ACCESS_WRITE, TRUE, handle_record_create }, { NULL } } },
  { "applications/{app}/tables/{table}/records/{id}",
    (const RouteMethod[]) { { "GET", ACCESS_READ, FALSE, handle_record_get },
                            { "PATCH", ACCESS_WRITE, TRUE, handle_record_update }, { NULL } } },
  { "applications/{app}/tables/{table}/records/{id}/versions",
    (const RouteMethod[]) { { "GET", ACCESS_READ, FALSE, handle_versions }, { NULL } } },
  { "applications/{app}/tables/{table}/records/{id}/revert",
    (const RouteMethod[]) { { "POST", ACCESS_WRITE, TRUE, handle_revert }, { NULL } } },
  { "activity",
    (const RouteMethod[]) { { "GET", ACCESS_USER, FALSE, handle_activity }, { NULL } } },
  /* administration (navette-http-admin.c) */
  { "admin/users",
    (const RouteMethod[]) { { "GET", ACCESS_ADMIN, FALSE, handle_admin_users },
                            { "POST", ACCESS_ADMIN, TRUE, handle_admin_user_add }, { NULL } } },
  { "admin/users/{username}",
    (const RouteMethod[]) { { "PATCH", ACCESS_ADMIN, TRUE, handle_admin_user_update }, { NULL } } },
  { "admin/applications",
    (const RouteMethod[]) { { "GET", ACCESS_ADMIN, FALSE, handle_admin_apps },
                            { "POST", ACCESS_ADMIN, TRUE, handle_admin_app_add }, { NULL } } },
  { "admin/applications/{app}",
    (const RouteMethod[]) { { "PATCH", ACCESS_ADMIN, TRUE, handle_admin_app_update }, { NULL } } },
  { "admin/applications/{app}/tables",
    (const RouteMethod[]) { { "POST", ACCESS_ADMIN, TRUE, handle_admin_table_add }, { NULL } } },
  { "admin/applications/{app}/tables/{table}",
    (const RouteMethod[]) { { "PATCH", ACCESS_ADMIN, TRUE, handle_admin_table_update }, { NULL } } },
  { "admin/applications/{app}/tables/{table}/columns",
    (const RouteMethod[]) { { "POST", ACCESS_ADMIN, TRUE, handle_admin_column_add }, { NULL } } },
  { "admin/applications/{app}/tables/{table}/columns/{column}",
    (const RouteMethod[]) { { "PATCH", ACCESS_ADMIN, TRUE, handle_admin_column_update }, { NULL } } },
  { "admin/grants",
    (const RouteMethod[]) { { "GET", ACCESS_ADMIN, FALSE, handle_admin_grants }, { NULL } } },
  { "admin/grants/{app}/{username}",
    (const RouteMethod[]) { { "PUT", ACCESS_ADMIN, TRUE, handle_admin_grant_set },
                            { "DELETE", ACCESS_ADMIN, FALSE, handle_admin_grant_revoke }, { NULL } } },
  { "admin/grants/{app}/{username}/versions",
    (const RouteMethod[]) { { "GET", ACCESS_ADMIN, FALSE, handle_admin_grant_versions }, { NULL } } },
  { "admin/grants/{app}/{username}/revert",
    (const RouteMethod[]) { { "POST", ACCESS_ADMIN, TRUE, handle_admin_grant_revert }, { NULL } } },
};

static guint n_slots;

const Route *
navette_http_routes_get (guint *n_routes)
{
  static gsize made = 0;

  if (g_once_init_enter (&made))
    {
      guint slot = 0;

      for (guint r = 0; r < G_N_ELEMENTS (routes); r++)
        {
          g_autoptr(GStrvBuilder) allow = g_strv_builder_new ();
          g_auto(GStrv) methods = NULL;

          routes[r].segments = g_strsplit (routes[r].pattern, "/", 0);
          routes[r].path = g_strconcat (NAVETTE_API_PREFIX "/", routes[r].pattern, NULL);
          routes[r].slot = slot;
          for (const RouteMethod *m = routes[r].methods; m->method != NULL; m++)
            {
              g_strv_builder_add (allow, m->method);
              slot++;
            }
          slot++;  /* its other methods */
          methods = g_strv_builder_end (allow);
          routes[r].allow = g_strjoinv (", ", methods);
        }
      n_slots = slot + 1;  /* and no route */
      g_once_init_leave (&made, 1);
    }
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

/* Where @segment of a pattern puts the path's segment: "{…}" captures
 * any non-empty segment. */
static char **
capture_of (const char *segment,
            Request    *req)
{
  if (g_str_equal (segment, "{app}"))
    return &req->app;
  if (g_str_equal (segment, "{table}"))
    return &req->table;
  if (g_str_equal (segment, "{id}"))
    return &req->id;
  if (g_str_equal (segment, "{column}"))
    return &req->column;
  if (g_str_equal (segment, "{username}"))
    return &req->username;
  return NULL;
}

/* TRUE when @path (below /api/v1/) has the segments of @route. */
static gboolean
route_matches (const Route *route,
               const char  *path)
{
  const char *p = path;

  for (guint i = 0; route->segments[i] != NULL; i++)
    {
      const char *segment = route->segments[i];
      const char *slash = strchr (p, '/');
      gsize len = slash != NULL ? (gsize) (slash - p) : strlen (p);

      if (segment[0] == '{' ? len == 0 : (strlen (segment) != len || memcmp (segment, p, len) != 0))
        return FALSE;
      if (route->segments[i + 1] == NULL)
        return slash == NULL;
      if (slash == NULL)
        return FALSE;
      p = slash + 1;
    }
  return FALSE;
}

const Route *
match_route (const char *path,
             Request    *req)
{
  guint n_routes;
  const Route *table = navette_http_routes_get (&n_routes);

  for (guint r = 0; r < n_routes; r++)
    {
      const char *p = path;

      if (!route_matches (&table[r], path))
        continue;
      for (guint i = 0; table[r].segments[i] != NULL; i++)
        {
          const char *slash = strchr (p, '/');
          char **capture = capture_of (table[r].segments[i], req);

          if (capture != NULL)
            *capture = slash != NULL ? g_strndup (p, slash - p) : g_strdup (p);
          p = slash != NULL ? slash + 1 : p;
        }
      return &table[r];
    }
  return NULL;
}

const RouteMethod *
route_method (const Route *route,
              const char  *method)
{
  for (const RouteMethod *m = route->methods; m->method != NULL; m++)
    if (g_str_equal (m->method, method))
      return m;
  return NULL;
}

guint
navette_http_routes_n_slots (void)
{
  guint n_routes;

  navette_http_routes_get (&n_routes);
  return n_slots;
}

guint
navette_http_route_slot (const Route       *route,
                         const RouteMethod *method)
{
  guint n = 0;

  if (route == NULL)
    return navette_http_routes_n_slots () - 1;
  if (method != NULL)
    return route->slot + (guint) (method - route->methods);
  while (route->methods[n].method != NULL)
    n++;
  return route->slot + n;
}

GStrv
navette_http_server_dup_routes (void)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n_routes;
  const Route *table = navette_http_routes_get (&n_routes);

  for (guint r = 0; r < n_routes; r++)
    for (const RouteMethod *m = table[r].methods; m->method != NULL; m++)
      {
        g_autofree char *route = g_strdup_printf ("%s %s", m->method, table[r].path);

        g_strv_builder_add (builder, route);
      }
  return g_strv_builder_end (builder);
}
