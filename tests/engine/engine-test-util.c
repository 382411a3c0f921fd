/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <sqlite3.h>

#include <glib/gstdio.h>

#include "engine-test-util.h"

gboolean
engine_test_timeout_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  g_main_context_wakeup (NULL);
  return G_SOURCE_REMOVE;
}

void
engine_test_run_for (guint msec)
{
  gboolean done = FALSE;

  g_timeout_add (msec, engine_test_timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

NavetteTable *
engine_test_load_table (NavetteEngine *engine,
                        const char    *app,
                        const char    *table_name)
{
  g_autoptr(GAsyncResult) reload = NULL;
  g_autoptr(GError) error = NULL;
  NavetteTable *table = navette_test_engine_table (engine, app, table_name);

  navette_table_reload_async (table, TRUE, NULL, navette_test_store_result_cb, &reload);
  ENGINE_WAIT_UNTIL (reload != NULL, 30000);
  navette_table_reload_finish (table, reload, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (navette_table_get_loaded (table));

  return table;
}

void
engine_test_wait_change (NavetteChange *change,
                         guint          timeout_ms)
{
  ENGINE_WAIT_UNTIL (navette_change_is_finished (change), timeout_ms);
}

JsonObject *
engine_test_object_double (const char *column,
                           double      value)
{
  JsonObject *object = json_object_new ();
  json_object_set_double_member (object, column, value);
  return object;
}

JsonObject *
engine_test_object_string (const char *column,
                           const char *value)
{
  JsonObject *object = json_object_new ();
  json_object_set_string_member (object, column, value);
  return object;
}

JsonObject *
engine_test_object_int (const char *column,
                        gint64      value)
{
  JsonObject *object = json_object_new ();
  json_object_set_int_member (object, column, value);
  return object;
}

gboolean
engine_test_have_sqlite (void)
{
  return g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") != 0;
}

void
engine_test_sql (NavetteTestServer *server,
                 const char        *sql)
{
  navette_test_sqlite_exec (server, sql);
}

guint
engine_test_count_versions (NavetteTestServer *server,
                            const char        *token,
                            const char        *app,
                            const char        *table,
                            const char        *id)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status;

  path = g_strdup_printf ("/api/v1/applications/%s/tables/%s/records/%s/versions", app, table, id);
  status = navette_test_request (server, "GET", path, token, NULL, &body, NULL);
  g_assert_cmpuint (status, ==, 200);
  root = navette_test_parse (body);
  return json_array_get_length (json_object_get_array_member (json_node_get_object (root), "versions"));
}

char *
engine_test_create_product (NavetteTestServer *server,
                            const char        *token,
                            const char        *name,
                            guint              price)
{
  g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"%s\", \"price\": %u}}", name, price);
  g_autoptr(JsonObject) created = navette_test_request_object (server, "POST",
                                                               "/api/v1/applications/catalogue/tables/products/records",
                                                               token, body, 201);

  return g_strdup (json_object_get_string_member (created, "id"));
}

GPtrArray *
engine_test_create_products (NavetteTestServer *server,
                             const char        *token,
                             const char        *prefix,
                             guint              n)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %03u", prefix, i);

      g_ptr_array_add (ids, engine_test_create_product (server, token, name, i));
    }
  return ids;
}

/* PATCHes @id with @members (beside base_version) from @base_version. */
static void
patch_product_members (NavetteTestServer *server,
                       const char        *token,
                       const char        *id,
                       gint64             base_version,
                       const char        *members)
{
  g_autofree char *admin = token == NULL ? navette_test_login (server, "admin", NAVETTE_DEMO_PASSWORD) : NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s", id);
  g_autofree char *patch = NULL;

  if (token == NULL)
    token = admin;
  if (base_version < 0)
    {
      g_autoptr(JsonObject) current = navette_test_request_object (server, "GET", path, token, NULL, 200);

      base_version = json_object_get_int_member (current, "version");
    }
  patch = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", %s}", base_version, members);
  g_assert_cmpuint (navette_test_request (server, "PATCH", path, token, patch, NULL, NULL), ==, 200);
}

void
engine_test_patch_product (NavetteTestServer *server,
                           const char        *token,
                           const char        *id,
                           gint64             base_version,
                           const char        *data)
{
  g_autofree char *members = g_strdup_printf ("\"data\": %s", data);

  patch_product_members (server, token, id, base_version, members);
}

void
engine_test_archive_product (NavetteTestServer *server,
                             const char        *token,
                             const char        *id)
{
  patch_product_members (server, token, id, -1, "\"archived\": true");
}

JsonObject *
engine_test_product_data (NavetteTestServer *server,
                          const char        *token,
                          const char        *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s", id);
  g_autoptr(JsonObject) record = navette_test_request_object (server, "GET", path, token, NULL, 200);

  return json_object_ref (json_object_get_object_member (record, "data"));
}

void
engine_test_items_changed_cb (GListModel             *model,
                              guint                   position,
                              guint                   removed,
                              guint                   added,
                              EngineTestItemsChanged *ic)
{
  ic->n_calls++;
  ic->position = position;
  ic->removed = removed;
  ic->added = added;
}

void
engine_test_set_push (NavetteEngine *engine,
                      gboolean       push,
                      guint          poll_ms)
{
  NavettePoller *poller = navette_engine_get_poller (engine);

  if (push)
    {
      navette_poller_set_interval (poller, 3600);
      ENGINE_WAIT_UNTIL (navette_engine_get_push_live (engine), 10000);
    }
  else
    {
      navette_poller_set_push (poller, FALSE);
      navette_poller_set_interval_ms (poller, poll_ms);
    }
}

void
engine_test_drop (NavetteEngine **engine,
                  gpointer        data)
{
  gpointer weak = *engine;

  g_signal_handlers_disconnect_by_data (*engine, data);
  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (engine);
  ENGINE_WAIT_UNTIL (weak == NULL, 10000);
}

void
engine_test_rm_rf (const char *path)
{
  navette_test_rm_rf (path);
}

GSubprocessLauncher *
engine_test_cli_launcher_new (const char *config_home)
{
  GSubprocessLauncher *launcher;
  g_autofree char *data_home = g_build_filename (config_home, "data", NULL);
  g_autofree char *cache_home = g_build_filename (config_home, "cache", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  /* The journal of pending changes goes there. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "NAVETTE_PASSWORD", NAVETTE_DEMO_PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NAVETTE_SERVER");
  return launcher;
}

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
engine_test_run_cli (const char  *config_home,
                     char       **out,
                     char       **err,
                     ...)
{
  g_autoptr(GSubprocessLauncher) launcher = engine_test_cli_launcher_new (config_home);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_buf = NULL;
  g_autofree char *stderr_buf = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NAVETTE_CLI_BINARY"));
  va_start (args, err);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* The main loop goes on meanwhile: a server in this process answers. */
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &result);
  ENGINE_WAIT_UNTIL (result != NULL, 120000);
  g_subprocess_communicate_utf8_finish (process, result, &stdout_buf, &stderr_buf, &error);
  g_assert_no_error (error);
  g_test_message ("navette-cli %s → %s %d\n%s%s", (const char *) argv->pdata[1],
                  g_subprocess_get_if_exited (process) ? "exit" : "signal",
                  g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                       : g_subprocess_get_term_sig (process),
                  stdout_buf, stderr_buf);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_buf);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_buf);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}
