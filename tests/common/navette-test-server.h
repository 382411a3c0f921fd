/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-test-server.h — start the real navette-server for a test.
 *
 * Every test that talks to a server uses this: it runs the built binary
 * (NAVETTE_SERVER_BINARY) with `demo` on a fresh temporary database, then
 * `serve --listen 127.0.0.1:0`, and waits for its "listening on" line.
 * Backend: SQLite by default; when NAVETTE_TEST_BACKEND=postgresql, a fresh
 * database on the cluster named by NAVETTE_TEST_PG_URL. */
#pragma once

#include <stdarg.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char        *tmpdir;
  char        *db;          /* path or URL given to --db */
  char        *base_url;    /* "http://127.0.0.1:PORT" */
  guint16      port;
  GPtrArray   *extra_args;  /* extra `serve` arguments, reused on restart */
  GString     *output;      /* what the server printed on stdout */
} NavetteTestServer;

/* Creates the database with demo content and starts the server.
 * @extra_args: NULL-terminated extra arguments to `serve` (may be NULL). */
NavetteTestServer *navette_test_server_start      (const char * const *extra_args);
/* Starts a server without running `demo` first (an empty, migrated db is
 * made by `init`). */
NavetteTestServer *navette_test_server_start_empty (const char * const *extra_args);
/* SIGTERM and wait. The database stays until _free. */
void               navette_test_server_stop       (NavetteTestServer *server);
/* SIGKILL and wait. */
void               navette_test_server_kill       (NavetteTestServer *server);
/* Starts it again on the same database (and the same port when it can). */
void               navette_test_server_restart    (NavetteTestServer *server);
/* Stops if needed and removes the database and temporary directory. */
void               navette_test_server_free       (NavetteTestServer *server);
/* Runs `navette-server ARGS… --db DB` to completion; returns the exit status,
 * fills *out and *err when non-NULL. */
int                navette_test_server_admin      (NavetteTestServer *server,
                                                   char             **out,
                                                   char             **err,
                                                   ...) G_GNUC_NULL_TERMINATED;
int                navette_test_server_admin_v    (NavetteTestServer *server,
                                                   char             **out,
                                                   char             **err,
                                                   va_list            args);
/* Runs `navette-server ARGS…` that way and fails the test (with what the
 * command printed on stderr) unless it exits with 0. */
void               navette_test_server_admin_check (NavetteTestServer *server,
                                                    ...) G_GNUC_NULL_TERMINATED;

/* A synchronous HTTP request. @token may be NULL; @body may be NULL (no body)
 * and is sent as application/json. Returns the status; *response gets the
 * body (may be NULL), *headers the response headers (ref'd) when non-NULL. */
guint              navette_test_request           (NavetteTestServer  *server,
                                                   const char         *method,
                                                   const char         *path,
                                                   const char         *token,
                                                   const char         *body,
                                                   GBytes            **response,
                                                   SoupMessageHeaders **headers);
/* Same, with extra request headers (NULL-terminated name, value pairs). */
guint              navette_test_request_full      (NavetteTestServer  *server,
                                                   const char         *method,
                                                   const char         *path,
                                                   const char         *token,
                                                   const char         *content_type,
                                                   const char         *body,
                                                   gsize               body_len,
                                                   GBytes            **response,
                                                   SoupMessageHeaders **headers,
                                                   ...) G_GNUC_NULL_TERMINATED;
/* A JSON request on @session (a thread's own: the calls above use one
 * session, of the main thread) to @base_url@path, with @token (may be
 * NULL) as its bearer and @body (may be NULL): the status, or 0 when no
 * answer came (then @error says why); the answer's body in @response. */
guint              navette_test_session_send      (SoupSession        *session,
                                                   const char         *base_url,
                                                   const char         *method,
                                                   const char         *path,
                                                   const char         *token,
                                                   const char         *body,
                                                   GBytes            **response,
                                                   GError            **error);
/* Parses a JSON response body (asserts it is JSON). */
JsonNode          *navette_test_parse             (GBytes *body);
/* The schema of @app's table @table as the server gives it now (GET
 * …/tables), as its JSON object; fails the test when it is not there. */
JsonObject        *navette_test_table_json        (NavetteTestServer *server,
                                                   const char        *token,
                                                   const char        *app,
                                                   const char        *table);
/* A request whose answer must be @expected_status with a JSON object
 * (fails the test with the body otherwise); returns the object. */
JsonObject        *navette_test_request_object    (NavetteTestServer *server,
                                                   const char        *method,
                                                   const char        *path,
                                                   const char        *token,
                                                   const char        *body,
                                                   guint              expected_status);
/* Signs in (POST /sessions) and returns the token; asserts 201. */
char              *navette_test_login             (NavetteTestServer *server,
                                                   const char        *username,
                                                   const char        *password);

/* TRUE when the tests run on PostgreSQL (NAVETTE_TEST_BACKEND=postgresql
 * and NAVETTE_TEST_PG_URL); otherwise marks the test skipped. */
gboolean           navette_test_need_postgresql   (void);
/* TRUE when the tests run on SQLite; otherwise marks the test skipped,
 * saying @why it needs SQLite. */
gboolean           navette_test_need_sqlite       (const char        *why);

/* Runs @sql on the SQLite file @path (which must exist) with the sqlite3
 * API, as another program would; fails the test on an error. */
void               navette_test_sqlite_file_exec  (const char        *path,
                                                   const char        *sql);
/* The same on the server's SQLite file, behind the server's back. */
void               navette_test_sqlite_exec       (NavetteTestServer *server,
                                                   const char        *sql);

/* Removes a directory and everything in it (links are not followed). */
void               navette_test_rm_rf             (const char        *path);

/* A private D-Bus session bus (dbus-daemon, which ends with the test
 * process if the test dies); *@address gets its address. */
GSubprocess       *navette_test_session_bus_start (char             **address);
/* SIGTERM, wait, unref. */
void               navette_test_session_bus_stop  (GSubprocess       *bus);

#define NAVETTE_DEMO_PASSWORD "navette-demo"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteTestServer, navette_test_server_free)

G_END_DECLS
