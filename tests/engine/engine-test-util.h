/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the engine tests: waiting on the main loop (never
 * sleeping), loading tables, writing into the SQLite file directly. An
 * engine signed in on the test server: navette-test-engine.h. */
#pragma once

#include "navette-engine.h"
#include "navette-test-engine.h"
#include "navette-test-loop.h"
#include "navette-test-server.h"

G_BEGIN_DECLS

/* Iterates the default main context until @cond holds; fails the test
 * after @timeout_ms. */
#define ENGINE_WAIT_UNTIL(cond, timeout_ms)                                   \
  G_STMT_START {                                                              \
    gboolean _timed_out = FALSE;                                              \
    gboolean _done;                                                           \
    guint _id = g_timeout_add ((timeout_ms), engine_test_timeout_cb, &_timed_out); \
    /* @cond is evaluated once per check: it may have side effects. */        \
    while (!(_done = (cond)) && !_timed_out)                                  \
      g_main_context_iteration (NULL, TRUE);                                  \
    if (!_done)                                                               \
      g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
    if (!_timed_out)                                                          \
      g_source_remove (_id);                                                  \
  } G_STMT_END

gboolean        engine_test_timeout_cb      (gpointer user_data);

/* Iterates the main loop for @msec (to check that something does NOT
 * happen — never to wait for something). */
void            engine_test_run_for         (guint    msec);

/* Loads the table list of @app and all the records of @table. */
NavetteTable   *engine_test_load_table      (NavetteEngine     *engine,
                                             const char        *app,
                                             const char        *table);
/* Waits until the change leaves PENDING. */
void            engine_test_wait_change     (NavetteChange     *change,
                                             guint              timeout_ms);
/* A one-member JSON object. */
JsonObject     *engine_test_object_double   (const char        *column,
                                             double             value);
JsonObject     *engine_test_object_string   (const char        *column,
                                             const char        *value);
JsonObject     *engine_test_object_int      (const char        *column,
                                             gint64             value);

/* TRUE unless the tests run against PostgreSQL (plain-SQL tests need the
 * SQLite file). */
gboolean        engine_test_have_sqlite     (void);
/* Runs @sql on the server's SQLite file with the sqlite3 C API. */
void            engine_test_sql             (NavetteTestServer *server,
                                             const char        *sql);

/* The records (id, version) of a record's history, through the API. */
guint           engine_test_count_versions  (NavetteTestServer *server,
                                             const char        *token,
                                             const char        *app,
                                             const char        *table,
                                             const char        *id);

/* A launcher for the navette-cli binary (NAVETTE_CLI_BINARY) whose
 * configuration, journal and cache live under @config_home, with the
 * demo password in NAVETTE_PASSWORD; stdout and stderr piped. */
GSubprocessLauncher *engine_test_cli_launcher_new (const char *config_home);
/* Runs navette-cli ARGS… (NULL-terminated) that way; returns its exit
 * status, and its output in @out and @err when given. */
int             engine_test_run_cli         (const char        *config_home,
                                             char             **out,
                                             char             **err,
                                             ...) G_GNUC_NULL_TERMINATED;

/* POSTs the product {"name": @name, "price": @price} to
 * catalogue/products; its id. Asserts 201. */
char           *engine_test_create_product  (NavetteTestServer *server,
                                             const char        *token,
                                             const char        *name,
                                             guint              price);
/* Creates @n products "@prefix NNN" priced NNN; returns their ids. */
GPtrArray      *engine_test_create_products (NavetteTestServer *server,
                                             const char        *token,
                                             const char        *prefix,
                                             guint              n);
/* PATCHes the record @id of catalogue/products with @data (a JSON
 * object's text) as admin (signing in when @token is NULL), from
 * @base_version (-1: its current version, read first). Asserts 200. */
void            engine_test_patch_product   (NavetteTestServer *server,
                                             const char        *token,
                                             const char        *id,
                                             gint64             base_version,
                                             const char        *data);
/* Archives the record @id of catalogue/products from its current
 * version, the same way. */
void            engine_test_archive_product (NavetteTestServer *server,
                                             const char        *token,
                                             const char        *id);

/* The "data" of the record @id of catalogue/products, read through the
 * API with @token (asserts 200). */
JsonObject     *engine_test_product_data    (NavetteTestServer *server,
                                             const char        *token,
                                             const char        *id);

/* What the last "items-changed" of a list model said, and how many came
 * (connect engine_test_items_changed_cb with a pointer to one). */
typedef struct
{
  guint n_calls;
  guint position;
  guint removed;
  guint added;
} EngineTestItemsChanged;

void            engine_test_items_changed_cb (GListModel             *model,
                                              guint                   position,
                                              guint                   removed,
                                              guint                   added,
                                              EngineTestItemsChanged *ic);

/* How @engine hears of changes: by push alone (polls an hour apart; waits
 * until push is live), or by polling every @poll_ms without push. */
void            engine_test_set_push        (NavetteEngine     *engine,
                                             gboolean           push,
                                             guint              poll_ms);

/* Removes a directory and everything in it (temporary homes). */
/* Drops *@engine (set to NULL) once its signal handlers with @data are
 * disconnected, and waits until it is finalized: an engine with a
 * request in flight outlives the last reference and may still emit,
 * into a test's stack that is gone (the next test's). */
void            engine_test_drop            (NavetteEngine **engine,
                                             gpointer        data);
void            engine_test_rm_rf           (const char        *path);

/* Demo record ids */
#define DEMO_PRODUCT_1 "4e617665-7474-4500-8000-000000000101"
#define DEMO_PRODUCT_2 "4e617665-7474-4500-8000-000000000102"
#define DEMO_PRODUCT_3 "4e617665-7474-4500-8000-000000000103"

G_END_DECLS
