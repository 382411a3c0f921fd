/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-paging.c — GET …/records and …/records/{id}/versions in
 * pages, through the real server (docs/api.md, "Paging"): the server's
 * page sizes and the `limit` and `after` it takes, `since` with pages,
 * and a walk while writers change the table between its pages: no record
 * is skipped or given twice, each comes as it was at the walk's revision,
 * and the walk and the delta after it make the table as it is. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

#define N_ROWS    800
#define N_WRITERS 3
#define WALK_PAGE 50

/* ------------------------------------------------------------------ */
/* Walking                                                             */

typedef struct
{
  gint64  revision;   /* the walk's */
  guint   pages;
  /* id → JsonObject (the record) */
  GHashTable *records;
} Walk;

static void
walk_clear (Walk *walk)
{
  g_clear_pointer (&walk->records, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Walk, walk_clear)

typedef void (*BetweenPages) (gpointer data);

/* Walks @path (a list with its query, "?" or "&" added) with pages of
 * @limit (0: the server's), asserting the cursor's rules on each page;
 * @between runs after each page that has a next. A record given twice is
 * a failure. */
static void
walk_list (NavetteTestServer *server,
           const char        *token,
           const char        *path,
           guint              limit,
           Walk              *walk,
           BetweenPages       between,
           gpointer           data)
{
  g_autofree char *next = NULL;

  walk->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);
  walk->revision = -1;
  walk->pages = 0;
  do
    {
      g_autoptr(GString) url = g_string_new (path);
      g_autoptr(JsonNode) json = NULL;
      g_autofree char *after = g_steal_pointer (&next);
      char sep = strchr (path, '?') != NULL ? '&' : '?';
      JsonObject *answer;
      JsonArray *records;
      guint status;

      if (limit > 0)
        {
          g_string_append_printf (url, "%climit=%u", sep, limit);
          sep = '&';
        }
      if (after != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (after, NULL, FALSE);

          g_string_append_printf (url, "%cafter=%s", sep, escaped);
        }
      status = st_request (server, "GET", url->str, token, NULL, &json, NULL);
      g_assert_cmpuint (status, ==, 200);
      answer = st_object (json);
      if (walk->revision < 0)
        walk->revision = json_object_get_int_member (answer, "revision");
      /* every page says the walk's revision */
      g_assert_cmpint (json_object_get_int_member (answer, "revision"), ==, walk->revision);
      records = json_object_get_array_member (answer, "records");
      for (guint i = 0; i < json_array_get_length (records); i++)
        {
          JsonObject *record = json_array_get_object_element (records, i);
          const char *id = json_object_get_string_member (record, "id");

          if (g_hash_table_contains (walk->records, id))
            g_error ("record %s given twice in one walk (page %u)", id, walk->pages + 1);
          /* as it was at the walk's revision */
          g_assert_cmpint (json_object_get_int_member (record, "revision"), <=, walk->revision);
          g_hash_table_insert (walk->records, g_strdup (id), json_object_ref (record));
        }
      if (json_object_has_member (answer, "next"))
        {
          next = g_strdup (json_object_get_string_member (answer, "next"));
          g_assert_nonnull (next);
          /* a page that stops early has records (its limit may be capped) */
          g_assert_cmpuint (json_array_get_length (records), >, 0);
          if (limit > 0)
            g_assert_cmpuint (json_array_get_length (records), <=, limit);
        }
      walk->pages++;
      if (next != NULL && between != NULL)
        between (data);
    }
  while (next != NULL);
}

/* ------------------------------------------------------------------ */
/* Page sizes, limit, after                                            */

static guint
list_length (JsonNode   *json,
             const char *member)
{
  return json_array_get_length (json_object_get_array_member (st_object (json), member));
}

static void
test_sizes (void)
{
  const char *args[] = { "--page-size", "4", "--max-page-size", "5", NULL };
  const char * const bad_limits[] = { "0", "-1", "abc", "", "1.5", "99999999999999999999" };
  const char * const bad_cursors[] = { "garbage", "bC4x", "%3D%3D", "" };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) capped = NULL;
  g_auto(Walk) all = { 0 };
  g_auto(Walk) since = { 0 };
  g_auto(Walk) capped_walk = { 0 };
  gint64 revision;
  guint status;

  /* no limit: the server's page size, and a cursor */
  status = st_request (server, "GET", PRODUCTS "/records", token, NULL, &first, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (list_length (first, "records"), ==, 4);
  g_assert_true (json_object_has_member (st_object (first), "next"));
  revision = json_object_get_int_member (st_object (first), "revision");

  /* a larger limit than the largest page: the largest page */
  status = st_request (server, "GET", PRODUCTS "/records?limit=100", token, NULL, &capped, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (list_length (capped, "records"), ==, 5);
  g_assert_true (json_object_has_member (st_object (capped), "next"));

  /* walks: the six demo products, in ascending revision */
  walk_list (server, token, PRODUCTS "/records", 0, &all, NULL, NULL);
  g_assert_cmpuint (g_hash_table_size (all.records), ==, 6);
  g_assert_cmpuint (all.pages, ==, 2);
  g_assert_cmpint (all.revision, ==, revision);
  walk_list (server, token, PRODUCTS "/records", 100, &capped_walk, NULL, NULL);
  g_assert_cmpuint (capped_walk.pages, ==, 2);
  /* since and pages combine: the three written after revision 3 */
  walk_list (server, token, PRODUCTS "/records?since=3", 2, &since, NULL, NULL);
  g_assert_cmpuint (g_hash_table_size (since.records), ==, 3);
  g_assert_cmpuint (since.pages, ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (bad_limits); i++)
    {
      g_autofree char *path = g_strdup_printf (PRODUCTS "/records?limit=%s", bad_limits[i]);
      g_autoptr(JsonNode) json = NULL;

      status = st_request (server, "GET", path, token, NULL, &json, NULL);
      st_assert_error (status, json, 400, "bad_request");
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_cursors); i++)
    {
      g_autofree char *path = g_strdup_printf (PRODUCTS "/records?after=%s", bad_cursors[i]);
      g_autoptr(JsonNode) json = NULL;

      status = st_request (server, "GET", path, token, NULL, &json, NULL);
      st_assert_error (status, json, 400, "bad_request");
    }
}

/* A record with 6 versions: pages of the server's size (4), then of 2,
 * newest first; a versions cursor is not one of the records list. */
static void
test_versions (void)
{
  const char *args[] = { "--page-size", "4", "--max-page-size", "5", NULL };
  g_autoptr(NavetteTestServer) server = navette_test_server_start (args);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *id = st_create_product (server, token, "Versions");
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records/%s", id);
  g_autofree char *versions = g_strdup_printf ("%s/versions", path);
  g_autofree char *cursor = NULL;
  gint64 expected = 6;
  guint status, pages = 0;

  for (gint64 v = 1; v < 6; v++)
    {
      g_autofree char *body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"stock\": %"
                                               G_GINT64_FORMAT "}}", v, v);
      g_autoptr(JsonNode) json = NULL;

      status = st_request (server, "PATCH", path, token, body, &json, NULL);
      g_assert_cmpuint (status, ==, 200);
    }

  {
    g_autoptr(JsonNode) json = NULL;

    status = st_request (server, "GET", versions, token, NULL, &json, NULL);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpuint (list_length (json, "versions"), ==, 4);
    g_assert_true (json_object_has_member (st_object (json), "next"));
  }

  do
    {
      g_autofree char *url = NULL;
      g_autoptr(JsonNode) json = NULL;
      JsonArray *list;

      url = cursor != NULL ? g_strdup_printf ("%s?limit=2&after=%s", versions, cursor)
                           : g_strdup_printf ("%s?limit=2", versions);
      g_clear_pointer (&cursor, g_free);
      status = st_request (server, "GET", url, token, NULL, &json, NULL);
      g_assert_cmpuint (status, ==, 200);
      list = json_object_get_array_member (st_object (json), "versions");
      g_assert_cmpuint (json_array_get_length (list), ==, 2);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *version = json_array_get_object_element (list, i);

          g_assert_cmpint (json_object_get_int_member (version, "version"), ==, expected);
          g_assert_true (json_object_get_boolean_member (version, "obsolete") == (expected != 6));
          expected--;
        }
      if (json_object_has_member (st_object (json), "next"))
        cursor = g_strdup (json_object_get_string_member (st_object (json), "next"));
      pages++;
    }
  while (cursor != NULL);
  g_assert_cmpint (expected, ==, 0);
  g_assert_cmpuint (pages, ==, 3);

  /* a versions cursor on the records list, and a bad one */
  {
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(JsonNode) bad = NULL;
    g_autofree char *url = NULL;

    status = st_request (server, "GET", versions, token, NULL, &json, NULL);
    url = g_strdup_printf (PRODUCTS "/records?after=%s",
                           json_object_get_string_member (st_object (json), "next"));
    g_clear_pointer (&json, json_node_unref);
    status = st_request (server, "GET", url, token, NULL, &json, NULL);
    st_assert_error (status, json, 400, "bad_request");
    g_free (url);
    url = g_strdup_printf ("%s?limit=0", versions);
    status = st_request (server, "GET", url, token, NULL, &bad, NULL);
    st_assert_error (status, bad, 400, "bad_request");
  }
}

/* ------------------------------------------------------------------ */
/* A walk under concurrent writes                                      */

typedef struct
{
  const char *base_url;
  const char *token;
  GPtrArray  *ids;        /* of the records there before the walk */
  GMutex      mutex;
  GCond       cond;
  guint       writes;     /* acknowledged, by every writer */
  guint       failures;
  gboolean    stop;
} Writers;

typedef struct
{
  Writers *writers;
  guint    index;
} Writer;

/* Updates records there before the walk, and now and then creates one,
 * until told to stop. */
static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  Writers *writers = writer->writers;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (writer->index + 1);

  for (guint n = 0; ; n++)
    {
      g_autofree char *path = NULL;
      g_autofree char *body = NULL;
      const char *method;
      guint status;

      g_mutex_lock (&writers->mutex);
      if (writers->stop)
        {
          g_mutex_unlock (&writers->mutex);
          break;
        }
      g_mutex_unlock (&writers->mutex);

      if (n % 5 == 4)
        {
          g_autofree char *id = navette_uuid_new ();

          method = "POST";
          path = g_strdup (PRODUCTS "/records");
          body = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"Created during the walk\"}}", id);
        }
      else
        {
          const char *id = g_ptr_array_index (writers->ids, g_rand_int_range (rand, 0, (gint32) writers->ids->len));

          method = "PATCH";
          path = g_strdup_printf (PRODUCTS "/records/%s", id);
          /* an old base_version is still applied (last write wins) */
          body = g_strdup_printf ("{\"base_version\": 1, \"data\": {\"stock\": %u}}", n);
        }
      status = navette_test_session_send (session, writers->base_url, method, path, writers->token, body,
                                          NULL, NULL);

      g_mutex_lock (&writers->mutex);
      if (status == 200 || status == 201)
        writers->writes++;
      else
        writers->failures++;
      g_cond_broadcast (&writers->cond);
      g_mutex_unlock (&writers->mutex);
    }
  return NULL;
}

/* Between two pages of the walk: until a few more writes were made. */
static void
wait_for_writes (gpointer data)
{
  Writers *writers = data;
  guint target;

  g_mutex_lock (&writers->mutex);
  target = writers->writes + N_WRITERS;
  while (writers->writes < target && writers->failures == 0)
    g_cond_wait (&writers->cond, &writers->mutex);
  g_assert_cmpuint (writers->failures, ==, 0);
  g_mutex_unlock (&writers->mutex);
}

static void
test_walk_under_writes (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *rows = g_strdup_printf ("%u", N_ROWS);
  g_autofree char *delta_path = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_auto(Walk) before = { 0 };
  g_auto(Walk) walk = { 0 };
  g_auto(Walk) delta = { 0 };
  g_auto(Walk) now = { 0 };
  Writers writers = { 0 };
  Writer writer[N_WRITERS];
  GThread *threads[N_WRITERS];
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpint (navette_test_server_admin (server, NULL, NULL, "demo", "--rows", rows, NULL), ==, 0);
  walk_list (server, token, PRODUCTS "/records", 0, &before, NULL, NULL);
  g_assert_cmpuint (g_hash_table_size (before.records), ==, N_ROWS + 6);
  g_hash_table_iter_init (&iter, before.records);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));

  writers.base_url = server->base_url;
  writers.token = token;
  writers.ids = ids;
  g_mutex_init (&writers.mutex);
  g_cond_init (&writers.cond);
  for (guint i = 0; i < N_WRITERS; i++)
    {
      writer[i] = (Writer) { &writers, i };
      threads[i] = g_thread_new ("writer", writer_thread, &writer[i]);
    }
  /* the walk begins once the writers are going */
  wait_for_writes (&writers);

  walk_list (server, token, PRODUCTS "/records", WALK_PAGE, &walk, wait_for_writes, &writers);

  g_mutex_lock (&writers.mutex);
  writers.stop = TRUE;
  g_mutex_unlock (&writers.mutex);
  for (guint i = 0; i < N_WRITERS; i++)
    g_thread_join (threads[i]);
  g_test_message ("walk of %u pages at revision %" G_GINT64_FORMAT ", %u writes meanwhile",
                  walk.pages, walk.revision, writers.writes);
  g_assert_cmpuint (writers.failures, ==, 0);
  g_assert_cmpuint (walk.pages, >=, (N_ROWS + 6) / WALK_PAGE);

  /* no record there before the walk was skipped (none is given twice:
   * walk_list checks it, and that each is as of the walk's revision) */
  for (guint i = 0; i < ids->len; i++)
    if (!g_hash_table_contains (walk.records, g_ptr_array_index (ids, i)))
      g_error ("record %s skipped by the walk", (const char *) g_ptr_array_index (ids, i));

  /* the walk, then the delta since its revision, is the table as it is */
  delta_path = g_strdup_printf (PRODUCTS "/records?since=%" G_GINT64_FORMAT, walk.revision);
  walk_list (server, token, delta_path, WALK_PAGE, &delta, NULL, NULL);
  g_assert_cmpuint (g_hash_table_size (delta.records), >, 0);
  g_hash_table_iter_init (&iter, delta.records);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (walk.records, g_strdup (key), json_object_ref (value));
  walk_list (server, token, PRODUCTS "/records", 0, &now, NULL, NULL);
  g_assert_cmpuint (g_hash_table_size (walk.records), ==, g_hash_table_size (now.records));
  g_hash_table_iter_init (&iter, now.records);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      JsonObject *seen = g_hash_table_lookup (walk.records, key);

      g_assert_nonnull (seen);
      g_assert_cmpint (json_object_get_int_member (seen, "version"), ==,
                       json_object_get_int_member (value, "version"));
    }

  g_mutex_clear (&writers.mutex);
  g_cond_clear (&writers.cond);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/paging/sizes", test_sizes);
  g_test_add_func ("/server/paging/versions", test_versions);
  g_test_add_func ("/server/paging/walk-under-writes", test_walk_under_writes);

  return g_test_run ();
}
