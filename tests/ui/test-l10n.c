/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-l10n.c — the server's refusals reach a French user in French: the
 * engine re-runs navette_wire_validate_data() on rejected data (translated
 * through gettext, with the build's po/ as locale directory) and uses its
 * messages; every administration refusal a person can meet (the last
 * rights of one's own, a required column on a table with records, rows
 * that break a column's new rules, …) is said from the API's code and
 * "reason", never with the server's English sentence. And, on a display,
 * the window's French words fit where they are shown (the sync
 * indicator). */
#define G_LOG_DOMAIN "navette-test-ui"

#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "navette-admin-client.h"
#include "navette-engine.h"
#include "navette-engine-private.h"
#include "navette-test-engine.h"
#include "navette-test-server.h"
#include "navette-test-loop.h"
#include "navette-test-input.h"
#include "navette-test-window.h"
#include "navette-window-private.h"

#define DEMO_PRODUCT_1 "4e617665-7474-4500-8000-000000000101"

static gboolean timed_out;

static gboolean
timeout_cb (gpointer data)
{
  timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_change (NavetteChange *change)
{
  guint id = g_timeout_add_seconds (30, timeout_cb, NULL);

  timed_out = FALSE;
  while (!timed_out && navette_change_get_state (change) == NAVETTE_CHANGE_STATE_PENDING)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out waiting for the change");
  g_source_remove (id);
}

static void
test_validation_french (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(NavetteChange) change = NULL;
  NavetteStore *store;
  NavetteTable *table;
  GHashTable *fields;
  const GError *change_error;

  /* The translation itself is there (built po/). */
  g_assert_cmpstr (_("must be a number"), ==, "doit être un nombre");

  engine = navette_test_engine_new (server, "alice", NULL);

  store = navette_engine_lookup_store (engine, "catalogue");
  table = navette_test_engine_table (engine, "catalogue", "products");
  navette_table_reload_async (table, TRUE, NULL, navette_test_store_result_cb, &result);
  g_assert_true (navette_table_reload_finish (table, navette_test_wait_result (&result, "the records"), NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Two problems the server finds (in English, its locale is its own). */
  json_object_set_string_member (data, "price", "cheap");
  json_object_set_null_member (data, "name");
  change = g_object_ref (navette_store_update (store, table, DEMO_PRODUCT_1, data));
  wait_change (change);

  g_assert_cmpuint (navette_change_get_state (change), ==, NAVETTE_CHANGE_STATE_FAILED);
  change_error = navette_change_get_error (change);
  g_assert_error (change_error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
  fields = navette_sync_error_get_fields (change_error);
  g_assert_nonnull (fields);
  g_assert_cmpstr (g_hash_table_lookup (fields, "price"), ==, "doit être un nombre");
  g_assert_cmpstr (g_hash_table_lookup (fields, "name"), ==, "est obligatoire");
  g_assert_nonnull (strstr (change_error->message, "price : doit être un nombre"));
  g_assert_null (strstr (change_error->message, "must be"));
}

/* Every administration refusal, made by the real server, as the engine's
 * NavetteAdminClient gives it to the Administration window. */
typedef struct
{
  NavetteAdminClient *client;
  GAsyncResult       *result;
} Admin;

/* Finishes the request started on @admin: it must fail with @code and the
 * French @sentence, and never carry the server's English one. */
static void
assert_refused (Admin      *admin,
                int         code,
                const char *sentence)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  const char *said;

  root = navette_admin_client_finish (admin->client, navette_test_wait_result (&admin->result, sentence), &error);
  g_clear_object (&admin->result);
  g_assert_null (root);
  g_assert_error (error, NAVETTE_SYNC_ERROR, code);
  g_assert_cmpstr (error->message, ==, sentence);
  said = navette_sync_error_get_server_message (error);
  g_assert_nonnull (said);
  g_assert_null (strstr (error->message, said));
}

static NavetteWireColumn *
column_of (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  NavetteWireColumn *column = navette_wire_column_from_json (json_node_get_object (node), &error);

  g_assert_no_error (error);
  return column;
}

static void
test_admin_refusals_french (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "admin", NULL);
  g_autoptr(NavetteAdminClient) client = navette_admin_client_new (navette_engine_get_client (engine));
  Admin admin = { client, NULL };
  g_autoptr(JsonObject) not_admin = json_object_new ();
  g_autoptr(JsonObject) disabled = json_object_new ();
  g_autoptr(JsonObject) short_password = json_object_new ();
  g_autoptr(JsonObject) shorter = json_object_new ();
  g_autoptr(NavetteWireColumn) size = column_of ("{\"name\": \"size\", \"type\": \"text\", \"required\": true}");
  g_autoptr(NavetteWireColumn) version = column_of ("{\"name\": \"version\", \"type\": \"text\"}");
  g_autoptr(NavetteWireColumn) stock = column_of ("{\"name\": \"stock\", \"type\": \"integer\", \"required\": true}");
  g_autoptr(JsonNode) not_a_number = json_from_string ("\"many\"", NULL);

  /* An administrator's own rights and account. */
  json_object_set_boolean_member (not_admin, "admin", FALSE);
  navette_admin_client_update_user_async (client, "admin", not_admin, NULL, navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_SERVER,
                  "Seul un autre administrateur peut retirer vos droits d’administrateur.");
  json_object_set_boolean_member (disabled, "disabled", TRUE);
  navette_admin_client_update_user_async (client, "admin", disabled, NULL, navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_SERVER,
                  "Seul un autre administrateur peut désactiver votre compte.");
  json_object_set_string_member (short_password, "password", "abc");
  navette_admin_client_update_user_async (client, "bob", short_password, NULL, navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_SERVER, "Un mot de passe doit compter au moins 8 caractères.");

  /* The content model: a required column on a table with records, a name
   * of the record's own, a default that does not fit, rows that break a
   * column's new rule, something that is not there, a name taken. */
  navette_admin_client_add_column_async (client, "catalogue", "products", size, NULL, NULL,
                                         navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_SERVER,
                  "Cette table contient déjà des fiches, qui ont besoin d’une valeur dans une nouvelle "
                  "colonne obligatoire : donnez-en une, ou rendez la colonne facultative.");
  navette_admin_client_add_column_async (client, "catalogue", "products", version, NULL, NULL,
                                         navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_SERVER,
                  "Ce nom est celui d’un champ propre à chaque fiche ; choisissez-en un autre.");
  navette_admin_client_add_column_async (client, "catalogue", "products", stock, not_a_number, NULL,
                                         navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_VALIDATION,
                  "La valeur pour les fiches existantes ne convient pas à la colonne.");
  json_object_set_int_member (shorter, "max_length", 2);
  navette_admin_client_update_column_async (client, "catalogue", "products", "name", shorter, NULL,
                                            navette_test_store_result_cb, &admin.result);
  /* the demo's six products have longer names */
  assert_refused (&admin, NAVETTE_SYNC_ERROR_VALIDATION,
                  "6 fiches de cette table ne respectent pas les nouvelles règles de la colonne ; "
                  "modifiez-les d’abord.");
  navette_admin_client_update_table_async (client, "catalogue", "nowhere", "Nulle part", -1, NULL,
                                           navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_NOT_FOUND, "L’élément n’existe pas sur le serveur.");
  navette_admin_client_add_app_async (client, "catalogue", "Encore", NULL, navette_test_store_result_cb, &admin.result);
  assert_refused (&admin, NAVETTE_SYNC_ERROR_CONFLICT,
                  "Le serveur a refusé la modification car elle entre en conflit avec une précédente.");
}

/* A reason this client does not know: a translated lead-in, then the
 * server's sentence (the last resort); a column's problem the local
 * validation does not find: a translated sentence, not the server's. */
static void
test_unknown_reason (void)
{
  static const char body[] =
    "{\"error\": {\"code\": \"bad_request\", \"message\": \"Something new\", \"reason\": \"new_rule\"}}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
  g_autoptr(GError) error = navette_sync_error_from_api (400, bytes);

  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER);
  g_assert_cmpstr (error->message, ==, "Le serveur a refusé la requête : Something new");
  g_assert_cmpstr (navette_sync_error_get_reason (error), ==, "new_rule");
}

/* A field the local validation does not find gets a translated sentence
 * of the engine's; the others take the local (translated) one. */
static void
test_localize_fields (void)
{
  static const char body[] =
    "{\"error\": {\"code\": \"validation_failed\", \"message\": \"Invalid\", "
    "\"fields\": {\"price\": \"must be a number\", \"sku\": \"is already used\"}}}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
  g_autoptr(GError) server_error = navette_sync_error_from_api (422, bytes);
  g_autoptr(GHashTable) local = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  GHashTable *fields;

  g_assert_error (server_error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
  g_hash_table_insert (local, (gpointer) "price", (gpointer) "doit être un nombre");
  g_hash_table_insert (local, (gpointer) "name", (gpointer) "est obligatoire");
  error = navette_sync_error_localize_fields (server_error, local);
  g_assert_error (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION);
  fields = navette_sync_error_get_fields (error);
  g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (fields, "price"), ==, "doit être un nombre");
  g_assert_cmpstr (g_hash_table_lookup (fields, "sku"), ==, "n’est pas accepté par le serveur");
  g_assert_false (navette_sync_error_is_transient (error));
}

/* The sync indicator shows @data (a GtkLabel) whole: laid out and
 * painted, without an ellipsis. */
static gboolean
label_whole (GtkLabel *label)
{
  navette_test_wait_settled (GTK_WIDGET (label));
  return gtk_widget_get_width (GTK_WIDGET (label)) > 0 &&
         !pango_layout_is_ellipsized (gtk_label_get_layout (label));
}

static gboolean
offline_waiting (gpointer data)
{
  NavetteWindow *window = data;

  return g_strcmp0 (gtk_label_get_label (window->sync_label), "Hors ligne — 1 envoi en attente") == 0;
}

/* Offline with a change waiting, at the default 1,100 px width, the
 * header's indicator is read whole in French ("Hors ligne — 1 modification
 * en att…" was cut), beside the centred title; and so is every other
 * wording it takes, at a three-digit count. */
static void
test_indicator_french (void)
{
  g_autoptr(NavetteTestServer) server = navette_test_server_start (NULL);
  g_autoptr(NavetteEngine) engine = navette_test_engine_new (server, "alice", NULL);
  NavetteWindow *window = navette_test_window_open (engine, "catalogue", "products", 0, 0);
  g_autoptr(NavetteRecord) record = g_list_model_get_item (_navette_window_view_model (window), 0);
  NavetteRecordPane *pane = _navette_window_get_pane (window);
  const guint n = 123;
  char *wordings[] = {
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offline — %u change waiting", "Offline — %u changes waiting", n), n),
    g_strdup (_("Offline, showing saved data")),
    g_strdup (_("Offline")),
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u change waiting", "%u changes waiting", n), n),
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saving %u change…", "Saving %u changes…", n), n),
    g_strdup (_("Showing saved data")),
    g_strdup (_("Checking…")),
    g_strdup_printf (_("Synced %s"), "10:31"),
    g_strdup (_("Changes at risk")),
  };

  g_assert_nonnull (record);
  navette_test_server_stop (server);
  navette_window_open_record (window, record);
  navette_record_pane_set_text (pane, "name", "Modifié hors ligne");
  gtk_widget_activate_action (GTK_WIDGET (window), "window.save", NULL);
  navette_test_wait_until (offline_waiting, window, "the indicator offline with a change waiting");
  {
    int width, height;

    gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
    g_assert_cmpint (width, ==, 1100);
  }
  g_assert_true (label_whole (window->sync_label));

  /* The other wordings, on the same label at the same width. */
  for (guint i = 0; i < G_N_ELEMENTS (wordings); i++)
    {
      gtk_label_set_label (window->sync_label, wordings[i]);
      if (!label_whole (window->sync_label) || g_strcmp0 (gtk_label_get_label (window->sync_label), wordings[i]) != 0)
        g_error ("The indicator does not show “%s” whole (%d px)", wordings[i],
                 gtk_widget_get_width (GTK_WIDGET (window->sync_label)));
      g_free (wordings[i]);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *localedir = g_build_filename (g_getenv ("NAVETTE_BUILD_ROOT"), "po", NULL);

  /* French, whatever the machine's locale: LANGUAGE needs a locale other
   * than C for its messages. */
  g_setenv ("LANGUAGE", "fr", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  navette_test_ui_setenv ("test");
  if (g_getenv ("DISPLAY") != NULL)
    /* (gtk_test_init() sets a locale of its own: set ours again) */
    navette_test_gtk_init (&argc, &argv);
  else
    g_test_init (&argc, &argv, NULL);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* The window's templates too (GtkBuilder's domain), as main() does. */
  textdomain (GETTEXT_PACKAGE);

  g_test_add_func ("/l10n/validation-french", test_validation_french);
  g_test_add_func ("/l10n/localize-fields", test_localize_fields);
  g_test_add_func ("/l10n/admin-refusals-french", test_admin_refusals_french);
  g_test_add_func ("/l10n/unknown-reason", test_unknown_reason);
  if (g_getenv ("DISPLAY") != NULL)
    g_test_add_func ("/l10n/indicator-french", test_indicator_french);

  return g_test_run ();
}
