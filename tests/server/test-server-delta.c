/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-delta.c — delta reloads (GET …/records?since=REV) under
 * concurrent writers: a reader that only ever applies deltas, while 4
 * writers create and update records, ends with exactly what a full reload
 * gives, never receives a version twice or an older version after a newer
 * one, never receives a row at or below its `since`, and has every
 * version the audit trail records. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include <string.h>

#include "server-test-util.h"

#define N_WRITERS 4
#define N_ROUNDS  20

typedef struct
{
  NavetteTestServer *server;
  const char        *token;
  guint              index;
  volatile gint     *stop;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", w->token);
  g_autofree char *collection = g_strconcat (w->server->base_url, PRODUCTS "/records", NULL);

  for (guint round = 0; round < N_ROUNDS; round++)
    {
      g_autofree char *body = g_strdup_printf ("{\"data\": {\"name\": \"w%u r%u\", \"stock\": 0}}", w->index, round);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", collection);
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) response = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *uri = NULL;
      const char *id;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
      response = soup_session_send_and_read (session, msg, NULL, NULL);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 201);
      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (response, NULL),
                                                 (gssize) g_bytes_get_size (response), NULL));
      id = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "id");
      uri = g_strdup_printf ("%s/%s", collection, id);

      /* two updates of the new record */
      for (guint u = 1; u <= 2; u++)
        {
          g_autofree char *patch = g_strdup_printf ("{\"base_version\": %u, \"data\": {\"stock\": %u}}", u, u);
          g_autoptr(SoupMessage) update = soup_message_new ("PATCH", uri);
          g_autoptr(GBytes) update_body = g_bytes_new (patch, strlen (patch));
          g_autoptr(GBytes) update_response = NULL;

          soup_message_headers_replace (soup_message_get_request_headers (update), "Authorization", auth);
          soup_message_set_request_body_from_bytes (update, "application/json", update_body);
          update_response = soup_session_send_and_read (session, update, NULL, NULL);
          g_assert_cmpuint (soup_message_get_status (update), ==, 200);
        }
    }
  g_atomic_int_inc (w->stop);
  return NULL;
}

/* Applies one delta to @model (id → version); returns its revision. */
static gint64
apply_delta (NavetteTestServer *server,
             const char        *token,
             gint64             since,
             GHashTable        *model,
             GHashTable        *seen,
             guint             *n_rows)
{
  g_autofree char *path = g_strdup_printf (PRODUCTS "/records?since=%" G_GINT64_FORMAT, since);
  g_autoptr(JsonNode) json = NULL;
  JsonArray *records;
  gint64 revision;
  gint64 previous_row_revision = since;

  g_assert_cmpuint (st_request (server, "GET", path, token, NULL, &json, NULL), ==, 200);
  revision = json_object_get_int_member (st_object (json), "revision");
  g_assert_cmpint (revision, >=, since);
  records = json_object_get_array_member (st_object (json), "records");
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *record = json_array_get_object_element (records, i);
      const char *id = json_object_get_string_member (record, "id");
      gint64 version = json_object_get_int_member (record, "version");
      gint64 row_revision = json_object_get_int_member (record, "revision");
      g_autofree char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, version);

      /* only what changed after `since`, up to the answer's revision, in order */
      g_assert_cmpint (row_revision, >, since);
      g_assert_cmpint (row_revision, <=, revision);
      g_assert_cmpint (row_revision, >=, previous_row_revision);
      previous_row_revision = row_revision;
      /* never the same version twice, never an older one after a newer one */
      if (!g_hash_table_add (seen, g_steal_pointer (&key)))
        g_error ("version %s/%" G_GINT64_FORMAT " delivered twice", id, version);
      g_assert_cmpint (version, >, GPOINTER_TO_INT (g_hash_table_lookup (model, id)));
      g_hash_table_insert (model, g_strdup (id), GINT_TO_POINTER ((int) version));
      (*n_rows)++;
    }
  return revision;
}

static void
test_delta_under_writers (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autofree char *alice = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  g_autofree char *bob = navette_test_login (server, "bob", NAVETTE_DEMO_PASSWORD);
  g_autoptr(GHashTable) model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) audited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonNode) full = NULL;
  Writer writers[N_WRITERS];
  GThread *threads[N_WRITERS];
  volatile gint done = 0;
  gint64 since;
  guint n_deltas = 0, n_rows = 0;
  JsonArray *records;
  gint64 after = 0;

  /* the first, full load */
  g_assert_cmpuint (st_request (server, "GET", PRODUCTS "/records", bob, NULL, &full, NULL), ==, 200);
  since = json_object_get_int_member (st_object (full), "revision");
  records = json_object_get_array_member (st_object (full), "records");
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *record = json_array_get_object_element (records, i);
      g_hash_table_insert (model, g_strdup (json_object_get_string_member (record, "id")),
                           GINT_TO_POINTER ((int) json_object_get_int_member (record, "version")));
    }
  g_clear_pointer (&full, json_node_unref);

  for (guint i = 0; i < N_WRITERS; i++)
    {
      writers[i] = (Writer) { server, alice, i, &done };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }
  /* deltas while they write */
  while (g_atomic_int_get (&done) < N_WRITERS)
    {
      since = apply_delta (server, bob, since, model, seen, &n_rows);
      n_deltas++;
    }
  for (guint i = 0; i < N_WRITERS; i++)
    g_thread_join (threads[i]);
  since = apply_delta (server, bob, since, model, seen, &n_rows);
  g_test_message ("%u deltas, %u rows", n_deltas + 1, n_rows);
  g_assert_cmpuint (n_deltas, >, 1);

  /* the model equals a full reload */
  g_assert_cmpuint (st_request (server, "GET", PRODUCTS "/records", bob, NULL, &full, NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (st_object (full), "revision"), ==, since);
  records = json_object_get_array_member (st_object (full), "records");
  g_assert_cmpuint (json_array_get_length (records), ==, g_hash_table_size (model));
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *record = json_array_get_object_element (records, i);
      const char *id = json_object_get_string_member (record, "id");

      g_assert_true (g_hash_table_contains (model, id));
      g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (model, id)), ==,
                       json_object_get_int_member (record, "version"));
    }

  /* every write in the audit trail reached the model at its last version */
  for (;;)
    {
      g_autofree char *path = g_strdup_printf (CATALOGUE "/audit?after=%" G_GINT64_FORMAT "&limit=1000", after);
      g_autoptr(JsonNode) audit = NULL;
      JsonArray *entries;

      g_assert_cmpuint (st_request (server, "GET", path, alice, NULL, &audit, NULL), ==, 200);
      entries = json_object_get_array_member (st_object (audit), "entries");
      if (json_array_get_length (entries) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          JsonObject *entry = json_array_get_object_element (entries, i);
          const char *record = json_object_get_string_member_with_default (entry, "record", NULL);
          const char *table = json_object_get_string_member_with_default (entry, "table", NULL);

          after = json_object_get_int_member (entry, "id");
          if (record == NULL || g_strcmp0 (table, "products") != 0)
            continue;
          g_hash_table_add (audited, g_strdup (record));
          g_assert_true (g_hash_table_contains (model, record));
          g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (model, record)), >=,
                           json_object_get_int_member (entry, "to_version"));
        }
    }
  /* N_WRITERS × N_ROUNDS new records, each at version 3 */
  {
    guint n_new = 0;
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, model);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      n_new += GPOINTER_TO_INT (value) == 3;
    g_assert_cmpuint (n_new, >=, N_WRITERS * N_ROUNDS);
  }
  g_assert_cmpuint (g_hash_table_size (audited), >=, N_WRITERS * N_ROUNDS);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/delta/under-writers", test_delta_under_writers);

  return g_test_run ();
}
