/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-crash-server.c — nothing acknowledged is lost when the server is
 * killed (SIGKILL) at random moments under 8 concurrent writers.
 *
 * Every writer performs logical writes (creates with a client-chosen id,
 * and updates of its own records), each with its own Idempotency-Key,
 * and repeats the same request until it is acknowledged (2xx). Meanwhile
 * the main thread waits for a random number of acknowledgements, kills
 * the server with SIGKILL and restarts it on the same database, at least
 * N_KILLS times. After a final clean stop the SQLite file itself is
 * checked: every acknowledged write is there exactly once (a retried key
 * is never written twice), versions are contiguous 1..n with one current
 * row per record, one audit row per version, and PRAGMA integrity_check
 * says "ok". */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "navette-test-server.h"
#include "navette-wire.h"

#define N_WRITERS 8
#define N_KILLS 24
#define PRODUCTS_PATH "/api/v1/applications/catalogue/tables/products/records"

typedef struct
{
  char   *id;
  gint64  version;  /* acknowledged version */
  gint64  stock;    /* the value written at that version */
} Ack;

typedef struct _Shared Shared;

typedef struct
{
  Shared    *shared;
  guint      index;
  GPtrArray *acks;         /* of Ack* */
  guint      unexpected;   /* answers that are neither 2xx nor retryable */
  char      *last_unexpected;
  guint      retries;
} Writer;

struct _Shared
{
  GMutex       mutex;
  GCond        cond;
  char        *base_url;   /* changes when a restart gets another port */
  guint        generation; /* bumped by every restart */
  gboolean     stop;
  char        *token;
  guint        acks;       /* main thread only (counted through idles) */
};

static void
ack_free (Ack *ack)
{
  g_free (ack->id);
  g_free (ack);
}

static gboolean
count_ack_cb (gpointer data)
{
  Shared *shared = data;

  shared->acks++;
  return G_SOURCE_REMOVE;
}

/* Sends one logical write until it is acknowledged. Returns the answer
 * (a record) or NULL when an answer was neither 2xx nor retryable. */
static JsonObject *
send_until_acknowledged (Writer      *writer,
                         SoupSession *session,
                         const char  *method,
                         const char  *path,
                         const char  *body)
{
  Shared *shared = writer->shared;
  g_autofree char *key = navette_uuid_new ();
  g_autofree char *auth = g_strdup_printf ("Bearer %s", shared->token);

  for (;;)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) response = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *uri = NULL;
      guint generation;
      guint status;

      g_mutex_lock (&shared->mutex);
      uri = g_strconcat (shared->base_url, path, NULL);
      generation = shared->generation;
      g_mutex_unlock (&shared->mutex);

      msg = soup_message_new (method, uri);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
      response = soup_session_send_and_read (session, msg, NULL, &error);
      status = soup_message_get_status (msg);

      if (error == NULL && status >= 200 && status < 300)
        {
          g_autoptr(JsonNode) root = navette_json_parse_strict (g_bytes_get_data (response, NULL),
                                                                g_bytes_get_size (response), &error);

          if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
            {
              writer->unexpected++;
              g_free (writer->last_unexpected);
              writer->last_unexpected = g_strdup_printf ("%s %s: %u with an answer that is not an object",
                                                         method, path, status);
              return NULL;
            }
          g_idle_add (count_ack_cb, shared);
          return json_object_ref (json_node_get_object (root));
        }

      if (error == NULL && status != 503)
        {
          /* The server answered something else: a bug (a 409 would mean
           * the same key and body were judged different; a 500 a crash
           * left something inconsistent). */
          writer->unexpected++;
          g_free (writer->last_unexpected);
          writer->last_unexpected = g_strdup_printf ("%s %s: %u %.*s", method, path, status,
                                                     response ? (int) MIN (g_bytes_get_size (response), 300) : 0,
                                                     response ? (const char *) g_bytes_get_data (response, NULL) : "");
          return NULL;
        }

      /* The server is down (killed) or busy: wait until it was restarted
       * (or a second, for a 503), then send the same key again. */
      writer->retries++;
      g_mutex_lock (&shared->mutex);
      if (shared->generation == generation)
        g_cond_wait_until (&shared->cond, &shared->mutex, g_get_monotonic_time () + G_USEC_PER_SEC);
      g_mutex_unlock (&shared->mutex);
    }
}

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  Shared *shared = writer->shared;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 20, NULL);
  g_autofree char *current = NULL;
  gint64 current_version = 0;

  for (guint i = 0; ; i++)
    {
      g_autoptr(JsonObject) answer = NULL;
      g_autofree char *body = NULL;
      g_autofree char *path = NULL;
      gint64 stock = (gint64) writer->index * 1000000 + i;
      gboolean create = current == NULL || i % 5 == 0;
      g_autofree char *id = create ? navette_uuid_new () : g_strdup (current);
      Ack *ack;
      gboolean stop;

      g_mutex_lock (&shared->mutex);
      stop = shared->stop;
      g_mutex_unlock (&shared->mutex);
      if (stop)
        break;

      if (create)
        {
          path = g_strdup (PRODUCTS_PATH);
          body = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"w%u-%u\", \"stock\": %" G_GINT64_FORMAT "}}",
                                  id, writer->index, i, stock);
        }
      else
        {
          path = g_strdup_printf (PRODUCTS_PATH "/%s", id);
          body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"stock\": %" G_GINT64_FORMAT "}}",
                                  current_version, stock);
        }

      answer = send_until_acknowledged (writer, session, create ? "POST" : "PATCH", path, body);
      if (answer == NULL)
        break;

      ack = g_new0 (Ack, 1);
      ack->id = g_strdup (json_object_get_string_member_with_default (answer, "id", ""));
      ack->version = json_object_get_int_member_with_default (answer, "version", 0);
      ack->stock = stock;
      if (g_strcmp0 (ack->id, id) != 0 || ack->version < 1)
        {
          writer->unexpected++;
          g_free (writer->last_unexpected);
          writer->last_unexpected = g_strdup_printf ("acknowledged %s %s with id %s version %" G_GINT64_FORMAT,
                                                     create ? "create" : "update", id, ack->id, ack->version);
          ack_free (ack);
          break;
        }
      g_ptr_array_add (writer->acks, ack);
      g_free (current);
      current = g_strdup (id);
      current_version = ack->version;
    }
  return NULL;
}

static gint64
query_int (sqlite3    *db,
           const char *sql,
           const char *arg)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

/* Checks one record's rows and audit in the SQLite file. @acked: the
 * acknowledged (version → stock) of that record. */
static void
check_record (sqlite3    *db,
              const char *id,
              GHashTable *acked)
{
  sqlite3_stmt *stmt = NULL;
  gint64 expected = 1;
  gint64 current = 0;
  guint n_current = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT version, obsolete, stock FROM \"catalogue.products\""
                                       " WHERE record_id = ?1 ORDER BY version", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 version = sqlite3_column_int64 (stmt, 0);
      gboolean obsolete = sqlite3_column_int (stmt, 1) != 0;
      gint64 stock = sqlite3_column_int64 (stmt, 2);
      gpointer acked_stock;

      /* contiguous 1..n */
      if (version != expected)
        g_error ("record %s: version %" G_GINT64_FORMAT " where %" G_GINT64_FORMAT " was expected",
                 id, version, expected);
      expected++;
      if (!obsolete)
        {
          n_current++;
          current = version;
        }
      /* each acknowledged version holds what was written */
      if (g_hash_table_lookup_extended (acked, &version, NULL, &acked_stock))
        g_assert_cmpint (stock, ==, *(gint64 *) acked_stock);
    }
  sqlite3_finalize (stmt);

  /* every version was acknowledged exactly once: nothing lost, and no
   * retried idempotency key written twice */
  if ((guint) (expected - 1) != g_hash_table_size (acked))
    g_error ("record %s: %" G_GINT64_FORMAT " versions stored, %u acknowledged",
             id, expected - 1, g_hash_table_size (acked));
  g_assert_cmpuint (n_current, ==, 1);
  g_assert_cmpint (current, ==, expected - 1);

  /* one audit row per version */
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT to_version, count(*) FROM audit"
                                       " WHERE app = 'catalogue' AND \"table\" = 'products' AND record = ?1"
                                       " GROUP BY to_version ORDER BY to_version", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  expected = 1;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (sqlite3_column_int64 (stmt, 0) != expected || sqlite3_column_int64 (stmt, 1) != 1)
        g_error ("record %s: audit has %" G_GINT64_FORMAT " row(s) for version %" G_GINT64_FORMAT
                 " where one for version %" G_GINT64_FORMAT " was expected",
                 id, (gint64) sqlite3_column_int64 (stmt, 1), (gint64) sqlite3_column_int64 (stmt, 0), expected);
      expected++;
    }
  sqlite3_finalize (stmt);
  if ((guint) (expected - 1) != g_hash_table_size (acked))
    g_error ("record %s: %" G_GINT64_FORMAT " audited versions, %u acknowledged",
             id, expected - 1, g_hash_table_size (acked));
}

static void
test_kill_under_writers (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_hash_table_unref);
  g_autoptr(GRand) rand = NULL;
  Shared shared = { 0 };
  Writer writers[N_WRITERS];
  GThread *threads[N_WRITERS];
  sqlite3 *db = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint total_acks = 0;
  guint total_retries = 0;
  guint32 seed;

  if (g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") == 0)
    {
      g_test_skip ("checks the SQLite file directly");
      return;
    }

  seed = g_test_rand_int ();
  g_test_message ("kill schedule seed: %u", seed);
  rand = g_rand_new_with_seed (seed);

  g_mutex_init (&shared.mutex);
  g_cond_init (&shared.cond);
  shared.base_url = g_strdup (server->base_url);
  shared.token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);

  for (guint i = 0; i < N_WRITERS; i++)
    {
      writers[i] = (Writer) { &shared, i, g_ptr_array_new_with_free_func ((GDestroyNotify) ack_free), 0, NULL, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }

  for (guint k = 0; k < N_KILLS; k++)
    {
      /* a random moment: after 1 to 40 more acknowledged writes */
      guint target = shared.acks + (guint) g_rand_int_range (rand, 1, 41);

      while (shared.acks < target)
        g_main_context_iteration (NULL, TRUE);

      navette_test_server_kill (server);
      navette_test_server_restart (server);

      g_mutex_lock (&shared.mutex);
      g_free (shared.base_url);
      shared.base_url = g_strdup (server->base_url);
      shared.generation++;
      g_cond_broadcast (&shared.cond);
      g_mutex_unlock (&shared.mutex);
    }

  /* a last stretch of writes on the restarted server, then stop */
  {
    guint target = shared.acks + 20;

    while (shared.acks < target)
      g_main_context_iteration (NULL, TRUE);
  }
  g_mutex_lock (&shared.mutex);
  shared.stop = TRUE;
  g_cond_broadcast (&shared.cond);
  g_mutex_unlock (&shared.mutex);

  for (guint i = 0; i < N_WRITERS; i++)
    {
      g_thread_join (threads[i]);
      if (writers[i].unexpected > 0)
        g_error ("writer %u: %u unexpected answer(s), the last: %s",
                 i, writers[i].unexpected, writers[i].last_unexpected);
      total_retries += writers[i].retries;
      for (guint j = 0; j < writers[i].acks->len; j++)
        {
          Ack *ack = g_ptr_array_index (writers[i].acks, j);
          GHashTable *versions = g_hash_table_lookup (records, ack->id);

          if (versions == NULL)
            {
              versions = g_hash_table_new (g_int64_hash, g_int64_equal);
              g_hash_table_insert (records, ack->id, versions);
            }
          /* the same version acknowledged twice means two writes got one version */
          g_assert_false (g_hash_table_contains (versions, &ack->version));
          g_hash_table_insert (versions, &ack->version, &ack->stock);
          total_acks++;
        }
    }
  g_test_message ("%u writes acknowledged on %u records, %u retries, %d kills",
                  total_acks, g_hash_table_size (records), total_retries, N_KILLS);
  g_assert_cmpuint (total_acks, >=, N_KILLS);

  navette_test_server_stop (server);

  g_assert_cmpint (sqlite3_open_v2 (server->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
    sqlite3_finalize (stmt);
  }

  g_hash_table_iter_init (&iter, records);
  while (g_hash_table_iter_next (&iter, &key, &value))
    check_record (db, key, value);

  /* no stored record the writers never saw acknowledged... is allowed
   * (a create whose answer was lost is retried with the same key and so
   * acknowledged); but no record of ours may be missing entirely */
  g_assert_cmpint (query_int (db, "SELECT count(DISTINCT record_id) FROM \"catalogue.products\""
                                  " WHERE name GLOB 'w[0-9]*-[0-9]*'", NULL), ==, g_hash_table_size (records));
  /* one current row per record, for the whole table */
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM (SELECT record_id FROM \"catalogue.products\""
                                  " WHERE obsolete = 0 GROUP BY record_id HAVING count(*) <> 1)", NULL), ==, 0);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM (SELECT record_id FROM \"catalogue.products\""
                                  " GROUP BY record_id HAVING sum(obsolete = 0) <> 1)", NULL), ==, 0);
  sqlite3_close (db);

  for (guint i = 0; i < N_WRITERS; i++)
    {
      g_ptr_array_unref (writers[i].acks);
      g_free (writers[i].last_unexpected);
    }
  g_free (shared.base_url);
  g_free (shared.token);
  g_mutex_clear (&shared.mutex);
  g_cond_clear (&shared.cond);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/reliability/crash/kill-under-eight-writers", test_kill_under_writers);

  return g_test_run ();
}
