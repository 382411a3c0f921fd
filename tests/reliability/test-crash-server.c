/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-crash-server.c — nothing acknowledged is lost when the server is
 * killed (SIGKILL) at random moments under 8 concurrent writers.
 *
 * Every writer performs logical writes (creates with a client-chosen id,
 * and updates, archives and reverts of its own records), each with its
 * own Idempotency-Key, and repeats the same request until it is
 * acknowledged (2xx). Meanwhile the main thread waits for a random number
 * of acknowledgements, kills the server with SIGKILL and restarts it on
 * the same database, at least N_KILLS times. Then the database itself is checked: every acknowledged
 * write is there exactly once (a retried key is never written twice) with
 * its idempotency key, versions are contiguous 1..n with one current row
 * per record, one audit row per version, table_last_modifications moved by
 * exactly one per row written and agrees with the rows, the light check and
 * the `?since=` delta; and the storage is sound (SQLite: PRAGMA
 * integrity_check; PostgreSQL: amcheck on every index and table).
 *
 * Backends: SQLite by default; with NAVETTE_TEST_BACKEND=postgresql (see
 * tests/common/navette-test-server.h) the same test runs on PostgreSQL and
 * the checks read the database with libpq. On PostgreSQL the server's
 * transactions live in other processes (the database's backends), so two
 * more things are tested there:
 *  - every KILL_HELD_EVERY-th kill happens while write transactions are
 *    held open on the database side: the test row-locks the table's row of
 *    table_last_modifications, waits until every server worker is blocked
 *    on it (some after their first write), kills the server, then lets go;
 *  - /reliability/crash/kill-one-of-two-servers (PostgreSQL only): two
 *    server processes on the database, the writers on both; one of them
 *    is killed at a time (each in turn) and restarted, and a writer whose
 *    server went away sends the same request, same key, to the other at
 *    once (as a load balancer would): a write that the killed server
 *    committed but never answered is replayed by the other, never
 *    written twice;
 *  - /reliability/crash/kill-in-open-transaction/… (registered on
 *    PostgreSQL only): a kill at a known point, after the write's rows,
 *    audit and revision are written but before its idempotency key and
 *    COMMIT. The database rolls it back (checked), the server comes back,
 *    and the client's retries with the same Idempotency-Key write it
 *    exactly once, whether they come after the rollback or at once, while
 *    the killed transaction is still open. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>
#include <sqlite3.h>
#if HAVE_POSTGRESQL
#include "navette-test-pg.h"
#endif

#include "navette-test-server.h"
#include "navette-wire.h"

#define N_WRITERS 8
#define N_KILLS 24
/* Server worker threads: passed explicitly, since the PostgreSQL kills
 * wait until that many transactions are blocked. */
#define N_WORKERS 4
#define KILL_HELD_EVERY 4
#define WAIT_TIMEOUT_USEC (20 * G_USEC_PER_SEC)
#define TEST_USER "alice"
#define PRODUCTS "/api/v1/applications/catalogue/tables/products"
#define PRODUCTS_PATH PRODUCTS "/records"

static const char * const serve_args[] = { "--workers", G_STRINGIFY (N_WORKERS), NULL };

static gboolean
backend_is_postgresql (void)
{
  return g_strcmp0 (g_getenv ("NAVETTE_TEST_BACKEND"), "postgresql") == 0;
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */
/* ------------------------------------------------------------------ */

typedef gboolean (*Condition) (gpointer data);

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context (which the writers wake up at each
 * acknowledgement) until @condition holds, evaluating it at least every
 * 5 ms; fails the test after WAIT_TIMEOUT_USEC. */
static void
wait_until (Condition   condition,
            gpointer    data,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_USEC;
  guint tick = g_timeout_add (5, tick_cb, NULL);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

/* ------------------------------------------------------------------ */
/* Reading the database: SQLite or PostgreSQL                          */
/* ------------------------------------------------------------------ */

#if HAVE_POSTGRESQL
static PGconn *
pg_connect (const char *url)
{
  const char * const keywords[] = { "dbname", "application_name", NULL };
  const char * const values[] = { url, "navette-test-crash", NULL };
  PGconn *conn = PQconnectdbParams (keywords, values, 1);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to %s: %s", url, PQerrorMessage (conn));
  return conn;
}

/* Runs @sql with at most one text parameter; fails the test on error. */
static PGresult *
pg_run (PGconn     *conn,
        const char *sql,
        const char *arg)
{
  PGresult *res = PQexecParams (conn, sql, arg != NULL ? 1 : 0, NULL,
                                arg != NULL ? &arg : NULL, NULL, NULL, 0);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  return res;
}

static void
pg_exec (PGconn     *conn,
         const char *sql)
{
  g_autoptr(PGresult) res = pg_run (conn, sql, NULL);
}
#endif

/* The database of a test server, opened for checks. SQL given to
 * check_db_rows() uses $1 for its parameter (both backends accept it) and
 * the fields below for what the two dialects spell differently. */
typedef struct
{
  sqlite3    *sqlite;
#if HAVE_POSTGRESQL
  PGconn     *pg;
#endif
  char       *products;       /* catalogue.products' content table, quoted */
  const char *is_current;     /* the row is the current version */
  const char *obsolete_int;   /* obsolete as 0 or 1 */
  const char *is_ours;        /* the row was created by a writer of this test */
  const char *last_update_us; /* table_last_modifications.last_update in µs */
} CheckDb;

/* Rows of text columns (SQL NULL as ""), one GStrv per row. */
static GPtrArray *
check_db_rows (CheckDb    *db,
               const char *sql,
               const char *arg)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

#if HAVE_POSTGRESQL
  if (db->pg != NULL)
    {
      g_autoptr(PGresult) res = pg_run (db->pg, sql, arg);

      for (int r = 0; r < PQntuples (res); r++)
        {
          char **row = g_new0 (char *, PQnfields (res) + 1);

          for (int c = 0; c < PQnfields (res); c++)
            row[c] = g_strdup (PQgetvalue (res, r, c));
          g_ptr_array_add (rows, row);
        }
      return rows;
    }
#endif
  {
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (sqlite3_prepare_v2 (db->sqlite, sql, -1, &stmt, NULL) != SQLITE_OK)
      g_error ("%s: %s", sql, sqlite3_errmsg (db->sqlite));
    if (arg != NULL)
      sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        int n = sqlite3_column_count (stmt);
        char **row = g_new0 (char *, n + 1);

        for (int c = 0; c < n; c++)
          {
            const char *text = (const char *) sqlite3_column_text (stmt, c);

            row[c] = g_strdup (text != NULL ? text : "");
          }
        g_ptr_array_add (rows, row);
      }
    if (rc != SQLITE_DONE)
      g_error ("%s: %s", sql, sqlite3_errmsg (db->sqlite));
    sqlite3_finalize (stmt);
  }
  return rows;
}

static gint64
to_int (const char *text)
{
  return g_ascii_strtoll (text, NULL, 10);
}

/* The first column of the first row, or -1 when there is no row. */
static gint64
check_db_int (CheckDb    *db,
              const char *sql,
              const char *arg)
{
  g_autoptr(GPtrArray) rows = check_db_rows (db, sql, arg);

  if (rows->len == 0)
    return -1;
  return to_int (((char **) g_ptr_array_index (rows, 0))[0]);
}

/* Same with a printf-style SQL text (the table name and dialect bits). */
static gint64 check_db_intf (CheckDb    *db,
                             const char *arg,
                             const char *format,
                             ...) G_GNUC_PRINTF (3, 4);

static gint64
check_db_intf (CheckDb    *db,
               const char *arg,
               const char *format,
               ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return check_db_int (db, sql, arg);
}

static CheckDb *
check_db_open (NavetteTestServer *server)
{
  CheckDb *db = g_new0 (CheckDb, 1);

  if (backend_is_postgresql ())
    {
#if HAVE_POSTGRESQL
      g_autoptr(GPtrArray) rows = NULL;

      db->pg = pg_connect (server->db);
      rows = check_db_rows (db, "SELECT t.sql_name FROM content_tables t"
                                " JOIN applications a ON a.id = t.app_id"
                                " WHERE a.name = 'catalogue' AND t.name = 'products'", NULL);
      g_assert_cmpuint (rows->len, ==, 1);
      db->products = g_strdup_printf ("\"%s\"", ((char **) g_ptr_array_index (rows, 0))[0]);
      db->is_current = "NOT obsolete";
      db->obsolete_int = "obsolete::int";
      db->is_ours = "name ~ '^w[0-9]+-[0-9]+$'";
      db->last_update_us = "(extract (epoch FROM last_update) * 1000000)::bigint";
#else
      g_error ("NAVETTE_TEST_BACKEND=postgresql, but built without PostgreSQL");
#endif
      return db;
    }

  /* Read-only, next to a running server too (WAL). */
  if (sqlite3_open_v2 (server->db, &db->sqlite, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("cannot open %s: %s", server->db, sqlite3_errmsg (db->sqlite));
  sqlite3_busy_timeout (db->sqlite, 10000);
  db->products = g_strdup ("\"catalogue.products\"");
  db->is_current = "obsolete = 0";
  db->obsolete_int = "obsolete";
  db->is_ours = "name GLOB 'w[0-9]*-[0-9]*'";
  db->last_update_us = "last_update";
  return db;
}

static void
check_db_close (CheckDb *db)
{
  if (db == NULL)
    return;
#if HAVE_POSTGRESQL
  g_clear_pointer (&db->pg, PQfinish);
#endif
  g_clear_pointer (&db->sqlite, sqlite3_close);
  g_free (db->products);
  g_free (db);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CheckDb, check_db_close)

/* The storage itself is sound (after the server stopped). */
static void
check_storage (CheckDb *db)
{
#if HAVE_POSTGRESQL
  if (db->pg != NULL)
    {
      g_autoptr(GPtrArray) indexes = NULL;
      g_autoptr(GPtrArray) damaged = NULL;

      /* PostgreSQL's PRAGMA integrity_check: amcheck (in Debian's
       * postgresql package). Every B-tree index agrees with its table
       * (heapallindexed, so each unique constraint covers every row), and
       * every table's pages are sound. */
      pg_exec (db->pg, "CREATE EXTENSION IF NOT EXISTS amcheck");
      g_assert_cmpint (check_db_int (db, "SELECT count(*) FROM pg_index i"
                                         " JOIN pg_class c ON c.oid = i.indexrelid"
                                         " WHERE c.relnamespace = 'public'::regnamespace"
                                         " AND NOT (i.indisvalid AND i.indisready AND i.indislive)",
                                     NULL), ==, 0);
      indexes = check_db_rows (db, "SELECT c.relname, bt_index_parent_check (c.oid, true)"
                                   " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                                   " JOIN pg_am am ON am.oid = c.relam"
                                   " WHERE c.relnamespace = 'public'::regnamespace"
                                   " AND am.amname = 'btree'", NULL);
      g_assert_cmpuint (indexes->len, >, 5);
      damaged = check_db_rows (db, "SELECT c.relname, v.blkno, v.msg FROM pg_class c,"
                                   " LATERAL verify_heapam (c.oid) AS v"
                                   " WHERE c.relnamespace = 'public'::regnamespace"
                                   " AND c.relkind = 'r'", NULL);
      for (guint i = 0; i < damaged->len; i++)
        {
          char **row = g_ptr_array_index (damaged, i);

          g_test_message ("%s, block %s: %s", row[0], row[1], row[2]);
        }
      g_assert_cmpuint (damaged->len, ==, 0);
      g_test_message ("amcheck: %u indexes and every table sound", indexes->len);
      return;
    }
#endif
  {
    g_autoptr(GPtrArray) rows = check_db_rows (db, "PRAGMA integrity_check", NULL);

    g_assert_cmpuint (rows->len, ==, 1);
    g_assert_cmpstr (((char **) g_ptr_array_index (rows, 0))[0], ==, "ok");
  }
}

/* What table_last_modifications and the content table hold at a moment. */
typedef struct
{
  gint64 revision;
  gint64 last_update_us;
  gint64 rows;
  gint64 obsolete;
} TableState;

static void
read_table_state (CheckDb    *db,
                  TableState *state)
{
  state->revision = check_db_int (db, "SELECT revision FROM table_last_modifications"
                                      " WHERE table_name = 'catalogue.products'", NULL);
  state->last_update_us = check_db_intf (db, NULL, "SELECT %s FROM table_last_modifications"
                                                   " WHERE table_name = 'catalogue.products'",
                                         db->last_update_us);
  state->rows = check_db_intf (db, NULL, "SELECT count(*) FROM %s", db->products);
  state->obsolete = check_db_intf (db, NULL, "SELECT count(*) FROM %s WHERE NOT (%s)",
                                   db->products, db->is_current);
  g_assert_cmpint (state->revision, >, 0);
}

/* Checks one record's rows, audit and idempotency keys. @acked: the
 * acknowledged (version → stock) of that record (NULL stock: any value);
 * @keys: (key → version) of the keys its acknowledged writes were sent
 * with, or NULL. */
static void
check_record (CheckDb    *db,
              const char *id,
              GHashTable *acked,
              GHashTable *keys)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *sql = NULL;
  gint64 expected = 1;
  gint64 current = 0;
  guint n_current = 0;

  sql = g_strdup_printf ("SELECT version, %s, stock FROM %s WHERE record_id = $1 ORDER BY version",
                         db->obsolete_int, db->products);
  rows = check_db_rows (db, sql, id);
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      gint64 version = to_int (row[0]);
      gboolean obsolete = to_int (row[1]) != 0;
      gint64 stock = to_int (row[2]);
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
      if (g_hash_table_lookup_extended (acked, &version, NULL, &acked_stock) && acked_stock != NULL)
        g_assert_cmpint (stock, ==, *(gint64 *) acked_stock);
    }

  /* every version was acknowledged exactly once: nothing lost, and no
   * retried idempotency key written twice */
  if ((guint) (expected - 1) != g_hash_table_size (acked))
    g_error ("record %s: %" G_GINT64_FORMAT " versions stored, %u acknowledged",
             id, expected - 1, g_hash_table_size (acked));
  g_assert_cmpuint (n_current, ==, 1);
  g_assert_cmpint (current, ==, expected - 1);

  /* one audit row per version */
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = check_db_rows (db, "SELECT to_version, count(*) FROM audit"
                            " WHERE app = 'catalogue' AND \"table\" = 'products' AND record = $1"
                            " GROUP BY to_version ORDER BY to_version", id);
  expected = 1;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      if (to_int (row[0]) != expected || to_int (row[1]) != 1)
        g_error ("record %s: audit has %s row(s) for version %s where one for version %"
                 G_GINT64_FORMAT " was expected", id, row[1], row[0], expected);
      expected++;
    }
  if ((guint) (expected - 1) != g_hash_table_size (acked))
    g_error ("record %s: %" G_GINT64_FORMAT " audited versions, %u acknowledged",
             id, expected - 1, g_hash_table_size (acked));

  /* the key of every acknowledged write, stored once with that write
   * (PRIMARY KEY (username, key)), so that a retry is a replay */
  if (keys != NULL)
    {
      GHashTableIter iter;
      gpointer key, version;

      g_clear_pointer (&rows, g_ptr_array_unref);
      rows = check_db_rows (db, "SELECT key, version FROM idempotency_keys"
                                " WHERE username = '" TEST_USER "' AND app = 'catalogue'"
                                " AND \"table\" = 'products' AND record_id = $1", id);
      g_assert_cmpuint (rows->len, ==, g_hash_table_size (keys));
      g_hash_table_iter_init (&iter, keys);
      while (g_hash_table_iter_next (&iter, &key, &version))
        {
          gboolean found = FALSE;

          for (guint i = 0; i < rows->len && !found; i++)
            {
              char **row = g_ptr_array_index (rows, i);

              if (strcmp (row[0], key) == 0)
                {
                  g_assert_cmpint (to_int (row[1]), ==, *(gint64 *) version);
                  found = TRUE;
                }
            }
          if (!found)
            g_error ("record %s: the idempotency key %s of an acknowledged write is not stored",
                     id, (const char *) key);
        }
    }
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

static JsonObject *
get_object (NavetteTestServer *server,
            const char        *path,
            const char        *token)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status = navette_test_request (server, "GET", path, token, NULL, &response, NULL);

  g_assert_cmpuint (status, ==, 200);
  root = navette_test_parse (response);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* One write, sent once. Returns the status, 0 when no answer came. */
static guint
send_write (SoupSession  *session,
            const char   *base_url,
            const char   *token,
            const char   *key,
            const char   *method,
            const char   *path,
            const char   *body,
            JsonObject  **answer,
            GBytes      **raw)
{
  g_autofree char *uri = g_strconcat (base_url, path, NULL);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  response = soup_session_send_and_read (session, msg, NULL, &error);
  if (error != NULL)
    return 0;
  status = soup_message_get_status (msg);
  if (answer != NULL && status >= 200 && status < 300)
    {
      g_autoptr(JsonNode) root = navette_json_parse_strict (g_bytes_get_data (response, NULL),
                                                            g_bytes_get_size (response), NULL);

      *answer = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                ? json_object_ref (json_node_get_object (root)) : NULL;
    }
  if (raw != NULL)
    *raw = g_steal_pointer (&response);
  return status;
}

/* ------------------------------------------------------------------ */
/* Eight writers, killed at random moments                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  char   *id;
  char   *key;      /* the Idempotency-Key it was sent with */
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
  guint      server;       /* which server it sends to (of two) */
  guint      failovers;    /* requests sent again to the other server */
} Writer;

struct _Shared
{
  GMutex       mutex;
  GCond        cond;
  char        *base_url[2]; /* changes when a restart gets another port */
  guint        n_servers;
  guint        generation; /* bumped by every restart */
  gboolean     stop;
  char        *token;
  gint         acks;       /* atomic, bumped by the writers themselves */
};

static void
ack_free (Ack *ack)
{
  g_free (ack->id);
  g_free (ack->key);
  g_free (ack);
}

/* Sends one logical write until it is acknowledged, always with @key.
 * Returns the answer (a record) or NULL when an answer was neither 2xx
 * nor retryable. */
static JsonObject *
send_until_acknowledged (Writer      *writer,
                         SoupSession *session,
                         const char  *key,
                         const char  *method,
                         const char  *path,
                         const char  *body)
{
  Shared *shared = writer->shared;

  for (;;)
    {
      g_autoptr(JsonObject) answer = NULL;
      g_autoptr(GBytes) response = NULL;
      g_autofree char *base_url = NULL;
      guint generation;
      guint status;

      g_mutex_lock (&shared->mutex);
      base_url = g_strdup (shared->base_url[writer->server]);
      generation = shared->generation;
      g_mutex_unlock (&shared->mutex);

      status = send_write (session, base_url, shared->token, key, method, path, body,
                           &answer, &response);
      if (status >= 200 && status < 300)
        {
          if (answer == NULL)
            {
              writer->unexpected++;
              g_free (writer->last_unexpected);
              writer->last_unexpected = g_strdup_printf ("%s %s: %u with an answer that is not an object",
                                                         method, path, status);
              return NULL;
            }
          /* Counted here, not in an idle on the main context: an idle
           * added after the main thread's last wait outlives this test
           * (whose stack holds @shared) and ran in the next test's
           * wait_until(), adding to whatever its stack held there. */
          g_atomic_int_inc (&shared->acks);
          g_main_context_wakeup (NULL);
          return g_steal_pointer (&answer);
        }

      if (status != 0 && status != 503)
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

      /* Its server is down (killed): with two, the same request goes to
       * the other one at once. */
      writer->retries++;
      if (status == 0 && shared->n_servers > 1)
        {
          writer->server = (writer->server + 1) % shared->n_servers;
          writer->failovers++;
          continue;
        }
      /* The server is down (killed) or busy: wait until it was restarted
       * (or a second, for a 503), then send the same key again. */
      g_mutex_lock (&shared->mutex);
      if (shared->generation == generation)
        g_cond_wait_until (&shared->cond, &shared->mutex, g_get_monotonic_time () + G_USEC_PER_SEC);
      g_mutex_unlock (&shared->mutex);
    }
}

typedef enum
{
  WRITE_CREATE,
  WRITE_UPDATE,
  WRITE_ARCHIVE,  /* archived flips; the data stays */
  WRITE_REVERT,   /* back to version 1's data */
} WriteKind;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  Shared *shared = writer->shared;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 20, NULL);
  g_autofree char *current = NULL;
  gint64 current_version = 0;
  gint64 current_stock = 0;   /* of the current version */
  gint64 first_stock = 0;     /* of version 1 */
  gboolean archived = FALSE;

  for (guint i = 0; ; i++)
    {
      g_autoptr(JsonObject) answer = NULL;
      g_autofree char *body = NULL;
      g_autofree char *path = NULL;
      gint64 stock = (gint64) writer->index * 1000000 + i;
      WriteKind kind = current == NULL || i % 5 == 0 ? WRITE_CREATE
                       : i % 7 == 3 && current_version >= 2 ? WRITE_REVERT
                       : i % 11 == 6 ? WRITE_ARCHIVE
                       : WRITE_UPDATE;
      g_autofree char *id = kind == WRITE_CREATE ? navette_uuid_new () : g_strdup (current);
      g_autofree char *key = navette_uuid_new ();
      const char *method = "PATCH";
      Ack *ack;
      gboolean stop;

      g_mutex_lock (&shared->mutex);
      stop = shared->stop;
      g_mutex_unlock (&shared->mutex);
      if (stop)
        break;

      switch (kind)
        {
        case WRITE_CREATE:
          method = "POST";
          path = g_strdup (PRODUCTS_PATH);
          body = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"w%u-%u\", \"stock\": %" G_GINT64_FORMAT "}}",
                                  id, writer->index, i, stock);
          break;
        case WRITE_REVERT:
          method = "POST";
          path = g_strdup_printf (PRODUCTS_PATH "/%s/revert", id);
          body = g_strdup ("{\"version\": 1}");
          stock = first_stock;
          break;
        case WRITE_ARCHIVE:
          path = g_strdup_printf (PRODUCTS_PATH "/%s", id);
          body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"archived\": %s}",
                                  current_version, archived ? "false" : "true");
          stock = current_stock;
          break;
        case WRITE_UPDATE:
        default:
          path = g_strdup_printf (PRODUCTS_PATH "/%s", id);
          body = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"stock\": %" G_GINT64_FORMAT "}}",
                                  current_version, stock);
          break;
        }

      answer = send_until_acknowledged (writer, session, key, method, path, body);
      if (answer == NULL)
        break;

      ack = g_new0 (Ack, 1);
      ack->id = g_strdup (json_object_get_string_member_with_default (answer, "id", ""));
      ack->key = g_steal_pointer (&key);
      ack->version = json_object_get_int_member_with_default (answer, "version", 0);
      ack->stock = stock;
      if (g_strcmp0 (ack->id, id) != 0 || ack->version < 1 ||
          (kind != WRITE_CREATE && ack->version != current_version + 1) ||
          !json_object_has_member (answer, "data") ||
          json_object_get_int_member_with_default (json_object_get_object_member (answer, "data"), "stock", -1) != stock)
        {
          writer->unexpected++;
          g_free (writer->last_unexpected);
          writer->last_unexpected = g_strdup_printf ("acknowledged %s %s with id %s version %" G_GINT64_FORMAT,
                                                     method, path, ack->id, ack->version);
          ack_free (ack);
          break;
        }
      g_ptr_array_add (writer->acks, ack);
      if (kind == WRITE_CREATE)
        {
          first_stock = stock;
          archived = FALSE;
        }
      if (kind == WRITE_ARCHIVE || kind == WRITE_REVERT)
        archived = json_object_get_boolean_member_with_default (answer, "archived", FALSE);
      g_free (current);
      current = g_strdup (id);
      current_version = ack->version;
      current_stock = stock;
    }
  return NULL;
}

static gboolean
acks_reached (gpointer data)
{
  Shared *shared = ((gpointer *) data)[0];
  guint target = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  return (guint) g_atomic_int_get (&shared->acks) >= target;
}

/* Waits for @more acknowledgements from now. */
static void
wait_for_acks (Shared *shared,
               guint   more)
{
  guint target = (guint) g_atomic_int_get (&shared->acks) + more;
  gpointer data[2] = { shared, GUINT_TO_POINTER (target) };

  wait_until (acks_reached, data, "acknowledged writes");
}

#if HAVE_POSTGRESQL
/* Write transactions held open on the database side (PostgreSQL). */
typedef struct
{
  PGconn *holder;       /* row-locks the table's row of table_last_modifications */
  PGconn *observer;     /* looks at pg_stat_activity */
  guint   blocked;      /* the server's backends waiting for the holder */
  guint   writing;      /* ... of which have written already (hold an xid) */
} Hold;

static gboolean
workers_blocked (gpointer data)
{
  Hold *hold = data;
  g_autoptr(PGresult) res = NULL;

  /* Waiting for the holder, or in the queue behind the first waiter (its
   * tuple lock): nothing else holds a lock for long here. */
  res = pg_run (hold->observer,
                "SELECT count(*), count(backend_xid) FROM pg_stat_activity"
                " WHERE datname = current_database () AND application_name = 'navette-server'"
                " AND wait_event_type = 'Lock'", NULL);
  hold->blocked = (guint) to_int (PQgetvalue (res, 0, 0));
  hold->writing = (guint) to_int (PQgetvalue (res, 0, 1));
  /* every worker is stuck: all that the server will start is started */
  return hold->blocked >= N_WORKERS && hold->writing >= 1;
}
#endif

/* All the pages of @path (a list), its records into @records; returns
 * the walk's revision. */
static gint64
get_all_records (NavetteTestServer *server,
                 const char        *path,
                 const char        *token,
                 GPtrArray         *records)
{
  g_autofree char *next = NULL;
  gint64 revision = -1;

  do
    {
      g_autofree char *after = g_steal_pointer (&next);
      g_autofree char *url = after == NULL ? g_strdup (path)
                                           : g_strdup_printf ("%s%safter=%s", path,
                                                              strchr (path, '?') != NULL ? "&" : "?", after);
      g_autoptr(JsonObject) page = get_object (server, url, token);
      JsonArray *list = json_object_get_array_member (page, "records");

      if (revision < 0)
        revision = json_object_get_int_member (page, "revision");
      for (guint i = 0; i < json_array_get_length (list); i++)
        g_ptr_array_add (records, json_object_ref (json_array_get_object_element (list, i)));
      if (json_object_has_member (page, "next"))
        next = g_strdup (json_object_get_string_member (page, "next"));
    }
  while (next != NULL);
  return revision;
}

/* The writers' test; with @two_servers (PostgreSQL), on two server
 * processes, one of which is killed at a time. */
static void
kill_under_writers (gboolean two_servers)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (serve_args);
  g_autoptr(NavetteTestServer) other = NULL;
  g_autofree char *other_own_db = NULL;
  g_autoptr(GPtrArray) delta_records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  guint total_failovers = 0;
  g_autoptr(GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_hash_table_unref);
  g_autoptr(GHashTable) record_keys = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) g_hash_table_unref);
  g_autoptr(GRand) rand = NULL;
  g_autoptr(CheckDb) db = NULL;
  g_autoptr(JsonObject) light = NULL;
  g_autofree char *since = NULL;
  Shared shared = { 0 };
  Writer writers[N_WRITERS];
  GThread *threads[N_WRITERS];
  TableState before, after;
  GHashTableIter iter;
  gpointer key, value;
  gint64 started_us;
  guint total_acks = 0;
  guint total_retries = 0;
  guint held_kills = 0;
  guint held_blocked = 0;
  guint held_writing = 0;
  guint32 seed;
#if HAVE_POSTGRESQL
  Hold hold = { NULL, NULL, 0, 0 };
#endif

  seed = g_test_rand_int ();
  g_test_message ("kill schedule seed: %u", seed);
  rand = g_rand_new_with_seed (seed);

  db = check_db_open (server);
  read_table_state (db, &before);
  started_us = g_get_real_time ();
#if HAVE_POSTGRESQL
  if (db->pg != NULL)
    {
      hold.holder = pg_connect (server->db);
      hold.observer = pg_connect (server->db);
    }
#endif

  g_mutex_init (&shared.mutex);
  g_cond_init (&shared.cond);
  shared.base_url[0] = g_strdup (server->base_url);
  shared.n_servers = 1;
  shared.token = navette_test_login (server, TEST_USER, NAVETTE_DEMO_PASSWORD);
  if (two_servers)
    {
      /* the second process on the same database (it gets one of its own
       * from the helper first, put back before it is freed) */
      other = navette_test_server_start_empty (serve_args);
      navette_test_server_stop (other);
      other_own_db = other->db;
      other->db = g_strdup (server->db);
      navette_test_server_restart (other);
      shared.base_url[1] = g_strdup (other->base_url);
      shared.n_servers = 2;
    }

  for (guint i = 0; i < N_WRITERS; i++)
    {
      writers[i] = (Writer) { &shared, i, g_ptr_array_new_with_free_func ((GDestroyNotify) ack_free), 0, NULL, 0,
                              i % shared.n_servers, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }

  for (guint k = 0; k < N_KILLS; k++)
    {
      guint victim = k % shared.n_servers;
      NavetteTestServer *killed = victim == 0 ? server : other;

      /* a random moment: after 1 to 40 more acknowledged writes */
      wait_for_acks (&shared, (guint) g_rand_int_range (rand, 1, 41));

      if (two_servers)
        {
          /* one of the two; the other goes on serving */
          navette_test_server_kill (killed);
          navette_test_server_restart (killed);
          g_mutex_lock (&shared.mutex);
          g_free (shared.base_url[victim]);
          shared.base_url[victim] = g_strdup (killed->base_url);
          shared.generation++;
          g_cond_broadcast (&shared.cond);
          g_mutex_unlock (&shared.mutex);
          continue;
        }
#if HAVE_POSTGRESQL
      if (hold.holder != NULL && k % KILL_HELD_EVERY == KILL_HELD_EVERY - 1)
        {
          /* Every write takes this row lock (its table's revision), so
           * every worker's transaction stops there: an update after it
           * marked the old version obsolete, a create before its insert. */
          pg_exec (hold.holder, "BEGIN");
          pg_exec (hold.holder, "SELECT revision FROM table_last_modifications"
                                " WHERE table_name = 'catalogue.products' FOR UPDATE");
          wait_until (workers_blocked, &hold, "the server's transactions to block");
          navette_test_server_kill (server);
          /* The killed server's transactions are still open: they end (roll
           * back) once they get past the lock and find their client gone. */
          pg_exec (hold.holder, "ROLLBACK");
          held_kills++;
          held_blocked += hold.blocked;
          held_writing += hold.writing;
        }
      else
#endif
        navette_test_server_kill (server);
      navette_test_server_restart (server);

      g_mutex_lock (&shared.mutex);
      g_free (shared.base_url[0]);
      shared.base_url[0] = g_strdup (server->base_url);
      shared.generation++;
      g_cond_broadcast (&shared.cond);
      g_mutex_unlock (&shared.mutex);
    }

  /* a last stretch of writes on the restarted server, then stop */
  wait_for_acks (&shared, 20);
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
      total_failovers += writers[i].failovers;
      for (guint j = 0; j < writers[i].acks->len; j++)
        {
          Ack *ack = g_ptr_array_index (writers[i].acks, j);
          GHashTable *versions = g_hash_table_lookup (records, ack->id);
          GHashTable *keys = g_hash_table_lookup (record_keys, ack->id);

          if (versions == NULL)
            {
              versions = g_hash_table_new (g_int64_hash, g_int64_equal);
              g_hash_table_insert (records, ack->id, versions);
              keys = g_hash_table_new (g_str_hash, g_str_equal);
              g_hash_table_insert (record_keys, ack->id, keys);
            }
          /* the same version acknowledged twice means two writes got one version */
          g_assert_false (g_hash_table_contains (versions, &ack->version));
          g_hash_table_insert (versions, &ack->version, &ack->stock);
          g_hash_table_insert (keys, ack->key, &ack->version);
          total_acks++;
        }
    }
  g_test_message ("%u writes acknowledged on %u records, %u retries (%u sent to the other server), %d kills",
                  total_acks, g_hash_table_size (records), total_retries, total_failovers, N_KILLS);
  if (held_kills > 0)
    g_test_message ("%u kills with transactions held open: %u blocked, %u of them after writing",
                    held_kills, held_blocked, held_writing);
  g_assert_cmpuint (total_acks, >=, N_KILLS);
  /* the other server took requests the killed one left unanswered */
  if (two_servers)
    g_assert_cmpuint (total_failovers, >, 0);
  if (backend_is_postgresql () && !two_servers)
    {
      g_assert_cmpuint (held_kills, ==, N_KILLS / KILL_HELD_EVERY);
      g_assert_cmpuint (held_writing, >=, held_kills);
    }

  /* The restarted server and the light check agree with the writes: the
   * revision a poller sees, and the delta since the revision before them
   * holds every record written, at its last acknowledged version. */
  light = get_object (server, PRODUCTS "/last-modified", shared.token);
  since = g_strdup_printf (PRODUCTS_PATH "?since=%" G_GINT64_FORMAT, before.revision);
  g_assert_cmpint (get_all_records (server, since, shared.token, delta_records), ==,
                   json_object_get_int_member (light, "revision"));
  g_assert_cmpuint (delta_records->len, ==, g_hash_table_size (records));
  for (guint i = 0; i < delta_records->len; i++)
    {
      JsonObject *record = g_ptr_array_index (delta_records, i);
      GHashTable *versions = g_hash_table_lookup (records, json_object_get_string_member (record, "id"));

      g_assert_nonnull (versions);
      g_assert_cmpint (json_object_get_int_member (record, "version"), ==, g_hash_table_size (versions));
      g_assert_cmpint (json_object_get_int_member (record, "revision"), >, before.revision);
    }

  navette_test_server_stop (server);
  if (other != NULL)
    {
      navette_test_server_stop (other);
      g_free (other->db);
      other->db = g_steal_pointer (&other_own_db);
    }

  check_storage (db);

  g_hash_table_iter_init (&iter, records);
  while (g_hash_table_iter_next (&iter, &key, &value))
    check_record (db, key, value, g_hash_table_lookup (record_keys, key));

  /* no stored record the writers never saw acknowledged... is allowed
   * (a create whose answer was lost is retried with the same key and so
   * acknowledged); but no record of ours may be missing entirely */
  g_assert_cmpint (check_db_intf (db, NULL, "SELECT count(DISTINCT record_id) FROM %s WHERE %s",
                                  db->products, db->is_ours), ==, g_hash_table_size (records));
  /* one current row per record, for the whole table */
  g_assert_cmpint (check_db_intf (db, NULL, "SELECT count(*) FROM (SELECT record_id FROM %s"
                                            " WHERE %s GROUP BY record_id HAVING count(*) <> 1) AS x",
                                  db->products, db->is_current), ==, 0);
  g_assert_cmpint (check_db_intf (db, NULL, "SELECT count(*) FROM (SELECT record_id FROM %s"
                                            " GROUP BY record_id"
                                            " HAVING sum(CASE WHEN %s THEN 1 ELSE 0 END) <> 1) AS x",
                                  db->products, db->is_current), ==, 0);

  /* table_last_modifications: one revision per row written (a version
   * inserted, or an old one marked obsolete), nothing from a transaction
   * that was killed; every row inserted since got its own revision above
   * the old one, the newest the table's; and the light check said so. */
  read_table_state (db, &after);
  g_test_message ("table revision %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT ", rows %"
                  G_GINT64_FORMAT " -> %" G_GINT64_FORMAT, before.revision, after.revision,
                  before.rows, after.rows);
  g_assert_cmpint (after.revision - before.revision, ==,
                   (after.rows - before.rows) + (after.obsolete - before.obsolete));
  g_assert_cmpint (after.revision, ==, json_object_get_int_member (light, "revision"));
  {
    g_autofree char *revision = g_strdup_printf ("%" G_GINT64_FORMAT, before.revision);

    g_assert_cmpint (check_db_intf (db, revision, "SELECT count(DISTINCT revision) FROM %s"
                                                  " WHERE revision > $1", db->products),
                     ==, after.rows - before.rows);
  }
  g_assert_cmpint (check_db_intf (db, NULL, "SELECT max(revision) FROM %s", db->products),
                   ==, after.revision);
  /* last_update moved with the writes (SQLite's clock has ms resolution) */
  g_assert_cmpint (after.last_update_us, >=, started_us - G_USEC_PER_SEC);

#if HAVE_POSTGRESQL
  g_clear_pointer (&hold.holder, PQfinish);
  g_clear_pointer (&hold.observer, PQfinish);
#endif
  for (guint i = 0; i < N_WRITERS; i++)
    {
      g_ptr_array_unref (writers[i].acks);
      g_free (writers[i].last_unexpected);
    }
  g_free (shared.base_url[0]);
  g_free (shared.base_url[1]);
  g_free (shared.token);
  g_mutex_clear (&shared.mutex);
  g_cond_clear (&shared.cond);
}

static void
test_kill_under_writers (void)
{
  kill_under_writers (FALSE);
}

static void
test_kill_one_of_two (void)
{
  kill_under_writers (TRUE);
}

/* ------------------------------------------------------------------ */
/* A kill inside a write's transaction (PostgreSQL)                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *name;
  gboolean    create;            /* a create, or an update */
  gboolean    retry_while_open;  /* retried before the killed transaction ended */
} OpenCase;

static const OpenCase open_cases[] = {
  { "create", TRUE, FALSE },
  { "update", FALSE, FALSE },
  { "create-retried-at-once", TRUE, TRUE },
  { "update-retried-at-once", FALSE, TRUE },
};

#if HAVE_POSTGRESQL
typedef struct
{
  const char *base_url;
  const char *token;
  const char *key;
  const char *method;
  const char *path;
  const char *body;
  guint       status;
  JsonObject *answer;
} Request;

static gpointer
request_thread (gpointer data)
{
  Request *request = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);

  request->status = send_write (session, request->base_url, request->token, request->key,
                                request->method, request->path, request->body,
                                &request->answer, NULL);
  return NULL;
}

typedef struct
{
  PGconn *observer;
  int     holder_pid;
  int     pid;         /* the killed server's backend, once found */
  int     retry_pid;   /* the restarted server's backend doing the retry */
} Blocked;

/* The navette-server backend that the backend @blocker blocks (one that
 * wrote already, holding an xid, when @wrote), or 0 when none waits. */
static int
server_backend_blocked_by (PGconn   *observer,
                           int       blocker,
                           gboolean  wrote)
{
  g_autofree char *pid = g_strdup_printf ("%d", blocker);
  g_autofree char *sql = g_strdup_printf ("SELECT pid FROM pg_stat_activity"
                                          " WHERE datname = current_database ()"
                                          " AND application_name = 'navette-server'%s"
                                          " AND $1::integer = ANY (pg_blocking_pids (pid))",
                                          wrote ? " AND backend_xid IS NOT NULL" : "");
  g_autoptr(PGresult) res = pg_run (observer, sql, pid);

  g_assert_cmpint (PQntuples (res), <=, 1);
  return PQntuples (res) == 0 ? 0 : (int) to_int (PQgetvalue (res, 0, 0));
}

/* The server's backend doing our write waits for the test's uncommitted
 * idempotency key, after it wrote (it holds an xid). */
static gboolean
write_blocked (gpointer data)
{
  Blocked *blocked = data;

  blocked->pid = server_backend_blocked_by (blocked->observer, blocked->holder_pid, TRUE);
  return blocked->pid != 0;
}

/* The retry waits for the killed server's transaction (its record lock). */
static gboolean
retry_blocked (gpointer data)
{
  Blocked *blocked = data;

  blocked->retry_pid = server_backend_blocked_by (blocked->observer, blocked->pid, FALSE);
  return blocked->retry_pid != 0;
}

static gboolean
backend_gone (gpointer data)
{
  Blocked *blocked = data;
  g_autofree char *pid = g_strdup_printf ("%d", blocked->pid);
  g_autoptr(PGresult) res = pg_run (blocked->observer,
                                    "SELECT 1 FROM pg_stat_activity WHERE pid = $1::integer", pid);

  return PQntuples (res) == 0;
}

/* The answer to a write of @stock at @version, of record @id. */
static void
assert_written (JsonObject *answer,
                const char *id,
                gint64      version,
                gint64      stock)
{
  g_assert_nonnull (answer);
  g_assert_cmpstr (json_object_get_string_member (answer, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (answer, "version"), ==, version);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (answer, "data"), "stock"),
                   ==, stock);
}
#endif

/* The server is killed while a write's transaction is open on the
 * database, at a known point: after its version row, audit row and table
 * revision are written, while it waits to store its idempotency key (the
 * test holds an uncommitted row with that key). The client retries with
 * the same key: once the killed transaction was rolled back (checked), or
 * at once, on the restarted server, while it is still open (the retry
 * waits for its record lock). Either way the write is there once. */
static void
test_kill_in_open_transaction (gconstpointer data)
{
#if HAVE_POSTGRESQL
  const OpenCase *open_case = data;
  gboolean create = open_case->create;
  g_autoptr(NavetteTestServer) server = NULL;
  g_autoptr(CheckDb) db = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GHashTable) acked = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) light = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = navette_uuid_new ();
  g_autofree char *key = navette_uuid_new ();
  g_autofree char *create_key = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *hold_sql = NULL;
  PGconn *holder = NULL;
  Blocked blocked = { NULL, 0, 0, 0 };
  Request request = { 0 };
  Request retry = { 0 };
  TableState before, after;
  GThread *thread;
  gint64 expected_version = create ? 1 : 2;
  gint64 version_one = 1;
  gint64 stock = 4242;
  guint expected_status = create ? 201 : 200;
  guint status;

  server = navette_test_server_start (serve_args);
  token = navette_test_login (server, TEST_USER, NAVETTE_DEMO_PASSWORD);
  session = soup_session_new_with_options ("timeout", 30, NULL);
  db = check_db_open (server);

  if (create)
    {
      path = g_strdup (PRODUCTS_PATH);
      body = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"held\", \"stock\": %" G_GINT64_FORMAT "}}",
                              id, stock);
    }
  else
    {
      g_autofree char *create_body = g_strdup_printf ("{\"id\": \"%s\", \"data\": {\"name\": \"held\"}}", id);

      create_key = navette_uuid_new ();
      status = send_write (session, server->base_url, token, create_key, "POST", PRODUCTS_PATH,
                           create_body, NULL, NULL);
      g_assert_cmpuint (status, ==, 201);
      g_hash_table_insert (acked, &version_one, NULL);
      g_hash_table_insert (keys, create_key, &version_one);
      path = g_strdup_printf (PRODUCTS_PATH "/%s", id);
      body = g_strdup_printf ("{\"base_version\": 1, \"data\": {\"stock\": %" G_GINT64_FORMAT "}}", stock);
    }
  read_table_state (db, &before);

  holder = pg_connect (server->db);
  blocked.observer = pg_connect (server->db);
  blocked.holder_pid = PQbackendPID (holder);
  pg_exec (holder, "BEGIN");
  hold_sql = g_strdup_printf ("INSERT INTO idempotency_keys (username, key, request_hash, app, \"table\","
                              " record_id, version, created, created_at)"
                              " VALUES ('" TEST_USER "', '%s', 'held by the test', 'catalogue', 'products',"
                              " '%s', 0, false, 0)", key, id);
  pg_exec (holder, hold_sql);

  request = (Request) { server->base_url, token, key, create ? "POST" : "PATCH", path, body, 0, NULL };
  thread = g_thread_new ("request", request_thread, &request);
  wait_until (write_blocked, &blocked, "the write's transaction to wait for the key");

  navette_test_server_kill (server);
  g_thread_join (thread);
  g_assert_cmpuint (request.status, ==, 0);   /* never acknowledged */
  {
    /* the server is gone, its transaction still open on the database */
    g_autofree char *pid = g_strdup_printf ("%d", blocked.pid);
    g_autoptr(PGresult) res = pg_run (blocked.observer,
                                      "SELECT 1 FROM pg_stat_activity WHERE pid = $1::integer"
                                      " AND xact_start IS NOT NULL AND backend_xid IS NOT NULL", pid);

    g_assert_cmpint (PQntuples (res), ==, 1);
  }

  if (open_case->retry_while_open)
    {
      /* The server comes back at once and the client retries at once:
       * the retry finds no key (uncommitted) and waits for the record's
       * lock, which the killed transaction holds until it ends. */
      navette_test_server_restart (server);
      retry = (Request) { server->base_url, token, key, request.method, path, body, 0, NULL };
      thread = g_thread_new ("retry", request_thread, &retry);
      wait_until (retry_blocked, &blocked, "the retry to wait for the killed transaction");
      g_assert_cmpint (blocked.retry_pid, !=, blocked.pid);

      /* Let the killed transaction go: it gets its key, finds its client
       * gone and ends, rolled back (no COMMIT was sent); then the retry
       * writes. */
      pg_exec (holder, "ROLLBACK");
      g_thread_join (thread);
      wait_until (backend_gone, &blocked, "the killed server's backend to end");
    }
  else
    {
      /* Let it go: it gets its key, finds its client gone and ends —
       * rolled back, as no COMMIT was sent. */
      pg_exec (holder, "ROLLBACK");
      wait_until (backend_gone, &blocked, "the killed server's backend to end");

      read_table_state (db, &after);
      g_assert_cmpint (after.revision, ==, before.revision);
      g_assert_cmpint (after.rows, ==, before.rows);
      g_assert_cmpint (after.obsolete, ==, before.obsolete);
      g_assert_cmpint (check_db_intf (db, id, "SELECT count(*) FROM %s WHERE record_id = $1 AND %s",
                                      db->products, db->is_current), ==, create ? 0 : 1);
      g_assert_cmpint (check_db_int (db, "SELECT count(*) FROM audit WHERE record = $1", id), ==, create ? 0 : 1);
      g_assert_cmpint (check_db_int (db, "SELECT count(*) FROM idempotency_keys WHERE key = $1", key), ==, 0);

      /* The server comes back, and the client retries with the same key. */
      navette_test_server_restart (server);
      retry = (Request) { server->base_url, token, key, request.method, path, body, 0, NULL };
      request_thread (&retry);
    }

  /* Written once, and a second retry (its answer lost, say) replays it. */
  g_assert_cmpuint (retry.status, ==, expected_status);
  assert_written (retry.answer, id, expected_version, stock);
  status = send_write (session, server->base_url, token, key, request.method, path, body, &again, NULL);
  g_assert_cmpuint (status, ==, expected_status);
  assert_written (again, id, expected_version, stock);
  g_assert_cmpint (json_object_get_int_member (again, "revision"), ==,
                   json_object_get_int_member (retry.answer, "revision"));

  light = get_object (server, PRODUCTS "/last-modified", token);
  navette_test_server_stop (server);

  g_hash_table_insert (acked, &expected_version, &stock);
  g_hash_table_insert (keys, key, &expected_version);
  check_record (db, id, acked, keys);
  read_table_state (db, &after);
  /* a create is one row; an update one row and one obsolete mark */
  g_assert_cmpint (after.revision, ==, before.revision + (create ? 1 : 2));
  g_assert_cmpint (after.revision, ==, json_object_get_int_member (light, "revision"));
  g_assert_cmpint (json_object_get_int_member (retry.answer, "revision"), ==, after.revision);
  check_storage (db);

  json_object_unref (retry.answer);
  PQfinish (holder);
  PQfinish (blocked.observer);
#else
  g_test_skip ("built without PostgreSQL");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/reliability/crash/kill-under-eight-writers", test_kill_under_writers);
  /* several server processes share one database on PostgreSQL only */
  if (backend_is_postgresql ())
    g_test_add_func ("/reliability/crash/kill-one-of-two-servers", test_kill_one_of_two);
  /* On SQLite, a transaction does not outlive the server's process. */
  for (guint i = 0; backend_is_postgresql () && i < G_N_ELEMENTS (open_cases); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/reliability/crash/kill-in-open-transaction/%s",
                                                    open_cases[i].name);

      g_test_add_data_func (test_path, &open_cases[i], test_kill_in_open_transaction);
    }

  return g_test_run ();
}
