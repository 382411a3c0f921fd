/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Push against the real server: a write through one engine reaches a
 * second engine's model through /api/v1/events with no poll in between,
 * the writer sees no "changed" toast for its own save, and a client
 * whose socket is cut goes on polling and subscribes again. */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "engine-test-util.h"

typedef struct
{
  guint n_remote_notes;
} NoteSpy;

static void
notification_cb (NavetteEngine *engine,
                 const char    *message,
                 guint          kind,
                 NavetteChange *change,
                 NoteSpy       *spy)
{
  if (kind == NAVETTE_NOTIFICATION_REMOTE_CHANGES)
    {
      g_test_message ("notification: %s", message);
      spy->n_remote_notes++;
    }
}

static gint64
stock_of (NavetteTable *table,
          const char   *id)
{
  NavetteRecord *record = navette_table_lookup (table, id);

  g_assert_nonnull (record);
  return navette_record_get_int (record, "stock");
}

static void
test_push_reaches_second_engine (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) writer = navette_test_engine_new (server, "alice", NULL);
  g_autoptr(NavetteEngine) reader = navette_test_engine_new (server, "admin", NULL);
  NavetteTable *wtable = engine_test_load_table (writer, "catalogue", "products");
  NavetteTable *rtable = engine_test_load_table (reader, "catalogue", "products");
  NavettePoller *rpoller = navette_engine_get_poller (reader);
  g_autoptr(JsonObject) data = engine_test_object_int ("stock", 777);
  g_autoptr(NavetteChange) change = NULL;
  NoteSpy writer_spy = { 0 }, reader_spy = { 0 };
  guint64 polls0, reloads0;

  g_signal_connect (writer, "notification", G_CALLBACK (notification_cb), &writer_spy);
  g_signal_connect (reader, "notification", G_CALLBACK (notification_cb), &reader_spy);

  /* No poll can help: an hour. */
  navette_poller_set_interval (rpoller, 3600);
  navette_poller_set_interval (navette_engine_get_poller (writer), 3600);
  ENGINE_WAIT_UNTIL (navette_engine_get_push_live (reader), 10000);
  ENGINE_WAIT_UNTIL (navette_engine_get_push_live (writer), 10000);
  g_assert_true (navette_poller_get_push_live (rpoller));
  polls0 = navette_poller_get_polls (rpoller);
  reloads0 = navette_poller_get_reloads (rpoller);
  g_assert_cmpint (stock_of (rtable, DEMO_PRODUCT_1), !=, 777);

  change = navette_store_update (navette_table_get_store (wtable), wtable, DEMO_PRODUCT_1, data);
  engine_test_wait_change (change, 10000);
  g_assert_cmpint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_SUCCEEDED);

  ENGINE_WAIT_UNTIL (stock_of (rtable, DEMO_PRODUCT_1) == 777, 5000);
  g_assert_cmpuint (navette_poller_get_polls (rpoller), ==, polls0);
  g_assert_cmpuint (navette_poller_get_reloads (rpoller), ==, reloads0 + 1);
  ENGINE_WAIT_UNTIL (reader_spy.n_remote_notes == 1, 5000);

  /* The writer got the announcement of its own write too: it reloads (or
   * finds nothing new) and says nothing about it. */
  ENGINE_WAIT_UNTIL (navette_event_stream_get_announcements (
                       navette_poller_get_event_stream (navette_engine_get_poller (writer))) >= 1,
                     5000);
  ENGINE_WAIT_UNTIL (navette_table_get_revision (wtable) == navette_table_get_revision (rtable), 5000);
  ENGINE_WAIT_UNTIL (!navette_table_get_loading (wtable), 5000);
  g_assert_cmpuint (writer_spy.n_remote_notes, ==, 0);
}

static void
test_push_resubscribes_after_cut (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) reader = navette_test_engine_new (server, "admin", NULL);
  NavetteTable *rtable = engine_test_load_table (reader, "catalogue", "products");
  NavettePoller *rpoller = navette_engine_get_poller (reader);
  NavetteEventStream *events = navette_poller_get_event_stream (rpoller);
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  g_autofree char *patch = NULL;
  guint64 polls0, probes0, connects0;
  guint status;

  navette_poller_set_interval_ms (rpoller, 100);
  ENGINE_WAIT_UNTIL (navette_engine_get_push_live (reader), 10000);
  connects0 = navette_event_stream_get_connects (events);

  /* Cut the socket: the server goes away. */
  navette_test_server_stop (server);
  ENGINE_WAIT_UNTIL (!navette_engine_get_push_live (reader), 10000);

  /* The poller notices (the safety net) and probes the server while it
   * is away. */
  ENGINE_WAIT_UNTIL (!navette_engine_get_online (reader), 10000);
  probes0 = navette_poller_get_probes (rpoller);
  ENGINE_WAIT_UNTIL (navette_poller_get_probes (rpoller) >= probes0 + 2, 10000);
  g_assert_false (navette_engine_get_push_live (reader));

  navette_test_server_restart (server);
  g_assert_cmpstr (server->base_url, ==, navette_client_get_base_url (navette_engine_get_client (reader)));
  ENGINE_WAIT_UNTIL (navette_engine_get_push_live (reader), 20000);
  g_assert_cmpuint (navette_event_stream_get_connects (events), ==, connects0 + 1);

  /* Announcements flow again: stop polling and write from outside. */
  navette_poller_set_interval (rpoller, 3600);
  token = navette_test_login (server, "alice", NAVETTE_DEMO_PASSWORD);
  path = g_strdup_printf ("/api/v1/applications/catalogue/tables/products/records/%s",
                          DEMO_PRODUCT_2);
  patch = g_strdup_printf ("{\"base_version\": %" G_GINT64_FORMAT ", \"data\": {\"stock\": 4242}}",
                           navette_record_get_version (navette_table_lookup (rtable, DEMO_PRODUCT_2)));
  polls0 = navette_poller_get_polls (rpoller);
  status = navette_test_request (server, "PATCH", path, token, patch, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  ENGINE_WAIT_UNTIL (stock_of (rtable, DEMO_PRODUCT_2) == 4242, 5000);
  /* At most the one light check that follows a resubscription. */
  g_assert_cmpuint (navette_poller_get_polls (rpoller), <=, polls0 + 1);
}

/* The client's request timeout does not apply to the idle push socket. */
static void
test_push_survives_idle (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) reader = navette_test_engine_new (server, "admin", NULL);
  NavettePoller *poller = navette_engine_get_poller (reader);
  NavetteEventStream *events = navette_poller_get_event_stream (poller);
  guint64 connects;

  navette_poller_set_interval (poller, 3600);
  navette_client_set_timeout (navette_engine_get_client (reader), 1);
  navette_poller_set_push (poller, FALSE);
  navette_poller_set_push (poller, TRUE);
  ENGINE_WAIT_UNTIL (navette_engine_get_push_live (reader), 10000);
  connects = navette_event_stream_get_connects (events);

  engine_test_run_for (3000);
  g_assert_true (navette_engine_get_push_live (reader));
  g_assert_cmpuint (navette_event_stream_get_connects (events), ==, connects);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/push/reaches-second-engine", test_push_reaches_second_engine);
  g_test_add_func ("/engine/push/resubscribes-after-cut", test_push_resubscribes_after_cut);
  g_test_add_func ("/engine/push/survives-idle", test_push_survives_idle);

  return g_test_run ();
}
