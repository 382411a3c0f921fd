/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-roles.c — the role matrix: no token / no role / reader /
 * editor / admin × every route of the API.
 *
 * The table below is the list of routes: a route added to the server must
 * be added here too (docs/api.md lists the same routes). */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "navette-http-server.h"
#include "server-test-util.h"

typedef enum
{
  AS_ANONYMOUS,  /* no token */
  AS_NO_ROLE,    /* bob in blog */
  AS_READER,     /* bob in catalogue */
  AS_EDITOR,     /* alice in catalogue */
  AS_ADMIN,      /* admin in blog (no grant: admin is editor everywhere) */
  N_AS
} As;

static const struct
{
  const char *user;
  const char *app;
  const char *table;
  const char *column;
} who[N_AS] = {
  [AS_ANONYMOUS] = { NULL, "catalogue", "products", "name" },
  [AS_NO_ROLE]   = { "bob", "blog", "articles", "title" },
  [AS_READER]    = { "bob", "catalogue", "products", "name" },
  [AS_EDITOR]    = { "alice", "catalogue", "products", "name" },
  [AS_ADMIN]     = { "admin", "blog", "articles", "title" },
};

typedef struct
{
  const char *method;
  const char *path;         /* {app} {table} {id} are replaced */
  const char *body;         /* {column} is replaced */
  gboolean    fresh_token;  /* the request revokes its token */
  guint       expected[N_AS];
} MatrixRow;

static const MatrixRow matrix[] = {
  { "GET", "/api/v1/health", NULL, FALSE,
    { 200, 200, 200, 200, 200 } },
  { "POST", "/api/v1/sessions", "{\"username\": \"alice\", \"password\": \"navette-demo\"}", FALSE,
    { 201, 201, 201, 201, 201 } },
  { "DELETE", "/api/v1/sessions/current", NULL, TRUE,
    { 401, 204, 204, 204, 204 } },
  { "GET", "/api/v1/me", NULL, FALSE,
    { 401, 200, 200, 200, 200 } },
  { "GET", "/api/v1/applications", NULL, FALSE,
    { 401, 200, 200, 200, 200 } },
  { "GET", "/api/v1/applications/{app}/tables", NULL, FALSE,
    { 401, 404, 200, 200, 200 } },
  { "GET", "/api/v1/applications/{app}/last-modified", NULL, FALSE,
    { 401, 404, 200, 200, 200 } },
  { "GET", "/api/v1/applications/{app}/audit", NULL, FALSE,
    { 401, 404, 403, 200, 200 } },
  { "GET", "/api/v1/applications/{app}/tables/{table}/last-modified", NULL, FALSE,
    { 401, 404, 200, 200, 200 } },
  { "GET", "/api/v1/applications/{app}/tables/{table}/records", NULL, FALSE,
    { 401, 404, 200, 200, 200 } },
  { "POST", "/api/v1/applications/{app}/tables/{table}/records", "{\"data\": {\"{column}\": \"Matrix\"}}", FALSE,
    { 401, 404, 403, 201, 201 } },
  { "GET", "/api/v1/applications/{app}/tables/{table}/records/{id}", NULL, FALSE,
    { 401, 404, 200, 200, 200 } },
  { "PATCH", "/api/v1/applications/{app}/tables/{table}/records/{id}", "{\"base_version\": 1, \"data\": {\"{column}\": \"Matrix 2\"}}", FALSE,
    { 401, 404, 403, 200, 200 } },
  { "DELETE", "/api/v1/applications/{app}/tables/{table}/records/{id}", NULL, FALSE,
    { 405, 405, 405, 405, 405 } },
  { "GET", "/api/v1/applications/{app}/tables/{table}/records/{id}/versions", NULL, FALSE,
    { 401, 404, 200, 200, 200 } },
  { "POST", "/api/v1/applications/{app}/tables/{table}/records/{id}/revert", "{\"version\": 1}", FALSE,
    { 401, 404, 403, 200, 200 } },
  /* The push WebSocket: the token is checked before anything else (401);
   * any signed-in user may subscribe (announcements are filtered by role
   * per application, tests/server/test-server-events.c), so a plain GET
   * with a token is the 400 that asks for the upgrade. */
  { "GET", "/api/v1/events", NULL, FALSE,
    { 401, 400, 400, 400, 400 } },
  /* The activity: administrators, and editors (of the applications they
   * edit); bob, reader only, is refused. */
  { "GET", "/api/v1/activity", NULL, FALSE,
    { 401, 403, 403, 200, 200 } },
  /* Administration: administrators only, 403 for everyone else. The
   * admin's rows act on blog, articles, title ({app}, {table},
   * {column}) and on the user "matrix" ({username}), made first. */
  { "GET", "/api/v1/admin/users", NULL, FALSE,
    { 401, 403, 403, 403, 200 } },
  { "POST", "/api/v1/admin/users", "{\"username\": \"matrix\", \"display_name\": \"Matrix\"}", FALSE,
    { 401, 403, 403, 403, 201 } },
  { "PATCH", "/api/v1/admin/users/{username}", "{\"display_name\": \"Matrix Two\"}", FALSE,
    { 401, 403, 403, 403, 200 } },
  { "GET", "/api/v1/admin/applications", NULL, FALSE,
    { 401, 403, 403, 403, 200 } },
  { "POST", "/api/v1/admin/applications", "{\"name\": \"matrix\", \"title\": \"Matrix\"}", FALSE,
    { 401, 403, 403, 403, 201 } },
  { "PATCH", "/api/v1/admin/applications/{app}", "{\"title\": \"Blog\"}", FALSE,
    { 401, 403, 403, 403, 200 } },
  { "POST", "/api/v1/admin/applications/{app}/tables",
    "{\"name\": \"matrix\", \"columns\": [{\"name\": \"label\", \"type\": \"text\"}]}", FALSE,
    { 401, 403, 403, 403, 201 } },
  { "PATCH", "/api/v1/admin/applications/{app}/tables/{table}", "{\"title\": \"Articles\"}", FALSE,
    { 401, 403, 403, 403, 200 } },
  { "POST", "/api/v1/admin/applications/{app}/tables/{table}/columns",
    "{\"name\": \"matrix\", \"type\": \"long_text\"}", FALSE,
    { 401, 403, 403, 403, 201 } },
  { "PATCH", "/api/v1/admin/applications/{app}/tables/{table}/columns/{column}", "{\"title\": \"Title\"}", FALSE,
    { 401, 403, 403, 403, 200 } },
  { "GET", "/api/v1/admin/grants", NULL, FALSE,
    { 401, 403, 403, 403, 200 } },
  { "PUT", "/api/v1/admin/grants/{app}/{username}", "{\"role\": \"reader\"}", FALSE,
    { 401, 403, 403, 403, 200 } },
  { "GET", "/api/v1/admin/grants/{app}/{username}/versions", NULL, FALSE,
    { 401, 403, 403, 403, 200 } },
  { "POST", "/api/v1/admin/grants/{app}/{username}/revert", "{\"version\": 1}", FALSE,
    { 401, 403, 403, 403, 200 } },
  { "DELETE", "/api/v1/admin/grants/{app}/{username}", NULL, FALSE,
    { 401, 403, 403, 403, 204 } },
};

static NavetteTestServer *server;
static char *tokens[N_AS];
static char *record_ids[N_AS];

static char *
expand (const char *text,
        As          as)
{
  GString *out;

  if (text == NULL)
    return NULL;
  out = g_string_new (text);
  g_string_replace (out, "{app}", who[as].app, 0);
  g_string_replace (out, "{table}", who[as].table, 0);
  g_string_replace (out, "{id}", record_ids[as], 0);
  g_string_replace (out, "{column}", who[as].column, 0);
  g_string_replace (out, "{username}", "matrix", 0);
  return g_string_free (out, FALSE);
}

static void
test_row (gconstpointer data)
{
  const MatrixRow *row = data;

  for (As as = 0; as < N_AS; as++)
    {
      g_autofree char *path = expand (row->path, as);
      g_autofree char *body = expand (row->body, as);
      g_autofree char *fresh = NULL;
      g_autoptr(JsonNode) json = NULL;
      const char *token = tokens[as];
      guint status;

      if (row->fresh_token && who[as].user != NULL)
        token = fresh = navette_test_login (server, who[as].user, NAVETTE_DEMO_PASSWORD);

      status = st_request (server, row->method, path, token, body, &json, NULL);
      if (status != row->expected[as])
        g_error ("%s %s as %d: %u, expected %u", row->method, path, as, status, row->expected[as]);
      if (status >= 400)
        {
          const char *code = status == 401 ? "auth_required"
                             : status == 403 ? "forbidden"
                             : status == 404 ? "not_found"
                             : status == 400 ? "bad_request"
                             : "method_not_allowed";
          st_assert_error (status, json, row->expected[as], code);
        }
    }
}

/* Every route of the server has a row (a route added to the server without
 * a row here fails this test). DELETE on a record is the one row that is
 * not a route: it is the 405 the contract asks for. */
static void
test_matrix_covers_routes (void)
{
  g_auto(GStrv) server_routes = navette_http_server_dup_routes ();

  g_assert_cmpuint (g_strv_length (server_routes), >, 10);
  for (guint i = 0; server_routes[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (matrix) && !found; j++)
        {
          g_autofree char *row = g_strdup_printf ("%s %s", matrix[j].method, matrix[j].path);
          found = g_str_equal (row, server_routes[i]);
        }
      if (!found)
        g_error ("route “%s” has no row in the role matrix", server_routes[i]);
    }
  g_assert_cmpuint (g_strv_length (server_routes), ==, G_N_ELEMENTS (matrix) - 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *admin = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  server = navette_test_server_start (NULL);
  admin = navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD);
  for (As as = 0; as < N_AS; as++)
    {
      g_autofree char *records = g_strdup_printf ("/api/v1/applications/%s/tables/%s/records",
                                                  who[as].app, who[as].table);

      if (who[as].user != NULL)
        tokens[as] = navette_test_login (server, who[as].user, NAVETTE_DEMO_PASSWORD);
      record_ids[as] = st_first_record (server, admin, records);
    }

  g_test_add_func ("/server/roles/matrix-covers-every-route", test_matrix_covers_routes);
  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/roles/%s %s", matrix[i].method, matrix[i].path);

      g_strdelimit (name + strlen ("/server/roles/"), "/{} ", '_');
      g_test_add_data_func (name, &matrix[i], test_row);
    }

  ret = g_test_run ();

  for (As as = 0; as < N_AS; as++)
    {
      g_free (tokens[as]);
      g_free (record_ids[as]);
    }
  navette_test_server_free (server);
  return ret;
}
