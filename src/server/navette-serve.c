/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-serve.c — the `serve` sub-command of navette-server. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>
#include <sodium.h>

#include "navette-db.h"
#include "navette-http-server.h"
#include "navette-serve.h"
#include "navette-service.h"

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* "HOST:PORT", "[v6]:PORT" */
static gboolean
parse_listen (const char  *text,
              char       **host,
              guint16     *port,
              GError     **error)
{
  const char *colon = text != NULL ? strrchr (text, ':') : NULL;
  guint64 value;

  if (colon == NULL || colon == text ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen takes HOST:PORT (port 0 picks a free port), not “%s”", text ? text : "");
      return FALSE;
    }
  if (text[0] == '[' && colon[-1] == ']')
    *host = g_strndup (text + 1, colon - text - 2);
  else
    *host = g_strndup (text, colon - text);
  *port = (guint16) value;
  return TRUE;
}

int
navette_serve_main (int    argc,
                    char **argv)
{
  g_autofree char *db_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *host = NULL;
  gint64 token_lifetime = NAVETTE_HTTP_DEFAULT_TOKEN_LIFETIME;
  gint64 body_limit = NAVETTE_DEFAULT_BODY_LIMIT;
  int busy_timeout = -1;
  int response_delay = 0;
  int workers = NAVETTE_HTTP_DEFAULT_WORKERS;
  int state_cache = NAVETTE_HTTP_DEFAULT_STATE_CACHE_MS;
  int max_subscriptions = NAVETTE_HTTP_DEFAULT_MAX_SUBSCRIPTIONS;
  int push_access_cache = -1;
  int push_keepalive = 0;
  int request_timeout = NAVETTE_HTTP_DEFAULT_REQUEST_TIMEOUT;
  int max_per_address = NAVETTE_HTTP_DEFAULT_MAX_PER_ADDRESS;
  int page_size = NAVETTE_HTTP_DEFAULT_PAGE_SIZE;
  int max_page_size = NAVETTE_HTTP_DEFAULT_MAX_PAGE_SIZE;
  g_autofree char *trusted_proxy = NULL;
  g_autofree char *metrics_listen = NULL;
  g_autofree char *metrics_host = NULL;
  guint16 metrics_port = 0;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autoptr(GTlsCertificate) tls_certificate = NULL;
  g_autofree char *url = NULL;
  const char *scheme = "http";
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "SQLite file or postgresql:// URL", "PATH_OR_URL" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1:8080; port 0 picks one)", "HOST:PORT" },
    { "token-lifetime", 0, 0, G_OPTION_ARG_INT64, &token_lifetime, "Seconds a sign-in token lives (default 43200; 0: expires at once)", "SECONDS" },
    { "body-limit", 0, 0, G_OPTION_ARG_INT64, &body_limit, "Largest request body accepted (default 1048576)", "BYTES" },
    { "busy-timeout", 0, 0, G_OPTION_ARG_INT, &busy_timeout, "How long a write waits for a lock before 503 (SQLite busy timeout, PostgreSQL lock_timeout; default 5000)", "MS" },
    { "response-delay", 0, 0, G_OPTION_ARG_INT, &response_delay, "Testing aid: delay every response", "MS" },
    { "workers", 0, 0, G_OPTION_ARG_INT, &workers, "Database worker threads (default 4)", "N" },
    { "state-cache", 0, 0, G_OPTION_ARG_INT, &state_cache, "How long a light-check answer is reused (default 250; 0: never)", "MS" },
    { "request-timeout", 0, 0, G_OPTION_ARG_INT, &request_timeout, "Seconds to send the request headers, then each piece of the body, before the connection is cut; also the idle keep-alive time (default 10; 0: never)", "SECONDS" },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_address, "Connections one client address may hold; the next gets 429 (default 64; 0: no cap)", "N" },
    { "page-size", 0, 0, G_OPTION_ARG_INT, &page_size, "Records or versions per page of a list when the request gives no limit (default 1000)", "N" },
    { "max-page-size", 0, 0, G_OPTION_ARG_INT, &max_page_size, "The largest page of a list; a larger limit gets this many (default 10000)", "N" },
    { "metrics-listen", 0, 0, G_OPTION_ARG_STRING, &metrics_listen, "Serve GET /metrics (Prometheus text format) on this address, apart from the API (default: none; keep it off the public network)", "HOST:PORT" },
    { "trusted-proxy", 0, 0, G_OPTION_ARG_STRING, &trusted_proxy, "Address of a reverse proxy in front: for its requests, the client address (for the sign-in rate limit) is its X-Real-IP header", "ADDRESS" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Serve HTTPS with this certificate (PEM; the chain may follow it); needs --tls-key", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "The certificate's private key (PEM)", "FILE" },
    { "max-subscriptions", 0, 0, G_OPTION_ARG_INT, &max_subscriptions, "WebSockets of /api/v1/events one user may hold (default 8)", "N" },
    { "push-access-cache", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &push_access_cache, "Testing aid: how long push re-uses a subscriber's roles (default 2000)", "MS" },
    { "push-keepalive", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &push_keepalive, "Testing aid: seconds between WebSocket pings (default 30)", "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteDb) db = NULL;
  g_autoptr(NavetteHttpServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  guint16 port = 8080;
  guint16 bound_port = 0;

  g_set_prgname ("navette-server serve");
  context = g_option_context_new ("- serve the Navette HTTP API");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "Answers the v1 HTTP API (docs/api.md) on HOST:PORT. Once it accepts\n"
                                "connections it prints “navette-server: listening on http://HOST:PORT”\n"
                                "(https:// with --tls-cert and --tls-key);\n"
                                "then one access-log line per request on standard output.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("navette-server serve: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("navette-server serve: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  if (db_path == NULL)
    {
      g_printerr ("navette-server serve: --db PATH_OR_URL is required\n");
      return 2;
    }
  if (!parse_listen (listen != NULL ? listen : "127.0.0.1:8080", &host, &port, &error))
    {
      g_printerr ("navette-server serve: %s\n", error->message);
      return 2;
    }
  if (token_lifetime < 0 || token_lifetime > G_MAXINT32 || body_limit < 1 || body_limit > G_MAXINT32 ||
      response_delay < 0 || workers < 1 || workers > 256 || state_cache < 0 || state_cache > 60000 ||
      max_subscriptions < 1 || max_subscriptions > 1000000 || push_access_cache > 600000 ||
      push_keepalive < 0 || push_keepalive > 3600 || request_timeout < 0 || request_timeout > 86400 ||
      max_per_address < 0 || page_size < 1 || max_page_size < page_size || max_page_size > 1000000)
    {
      g_printerr ("navette-server serve: an option is out of range (see --help)\n");
      return 2;
    }
  if (metrics_listen != NULL && !parse_listen (metrics_listen, &metrics_host, &metrics_port, &error))
    {
      g_printerr ("navette-server serve: --metrics-%s\n", error->message + strlen ("--"));
      return 2;
    }
  if (trusted_proxy != NULL && !g_hostname_is_ip_address (trusted_proxy))
    {
      g_printerr ("navette-server serve: --trusted-proxy takes an IP address, not “%s”\n",
                  trusted_proxy);
      return 2;
    }
  if ((tls_cert == NULL) != (tls_key == NULL))
    {
      g_printerr ("navette-server serve: --tls-cert and --tls-key go together\n");
      return 2;
    }
  if (tls_cert != NULL)
    {
      if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
        {
          g_printerr ("navette-server serve: TLS is not available (is glib-networking installed?)\n");
          return 1;
        }
      tls_certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (tls_certificate == NULL)
        {
          g_printerr ("navette-server serve: cannot load the TLS certificate %s and key %s: %s\n",
                      tls_cert, tls_key, error->message);
          return 1;
        }
      scheme = "https";
    }
  if (sodium_init () < 0)
    {
      g_printerr ("navette-server serve: libsodium could not be initialised\n");
      return 1;
    }

  db = navette_db_open (db_path, &error);
  if (db == NULL)
    {
      g_printerr ("navette-server serve: cannot open the database: %s\n", error->message);
      return 1;
    }
  if (busy_timeout >= 0)
    navette_db_set_busy_timeout (db, (guint) busy_timeout);
  if (!navette_db_migrate (db, &error))
    {
      g_printerr ("navette-server serve: cannot prepare the database: %s\n", error->message);
      return 1;
    }

  server = navette_http_server_new (db);
  navette_http_server_set_token_lifetime (server, token_lifetime);
  navette_http_server_set_body_limit (server, (gsize) body_limit);
  navette_http_server_set_response_delay (server, (guint) response_delay);
  navette_http_server_set_workers (server, (guint) workers);
  navette_http_server_set_state_cache (server, (guint) state_cache);
  navette_http_server_set_max_subscriptions (server, (guint) max_subscriptions);
  navette_http_server_set_request_timeout (server, (guint) request_timeout);
  navette_http_server_set_max_connections_per_address (server, (guint) max_per_address);
  navette_http_server_set_trusted_proxy (server, trusted_proxy);
  navette_http_server_set_page_size (server, (guint) page_size, (guint) max_page_size);
  if (push_access_cache >= 0)
    navette_http_server_set_push_access_cache (server, (guint) push_access_cache);
  if (push_keepalive > 0)
    navette_http_server_set_push_keepalive (server, (guint) push_keepalive);
  navette_http_server_set_tls_certificate (server, tls_certificate);
  if (metrics_host != NULL)
    {
      guint16 bound = 0;

      if (!navette_http_server_listen_metrics (server, metrics_host, metrics_port, &bound, &error))
        {
          g_printerr ("navette-server serve: cannot listen on %s for the metrics: %s\n", metrics_listen,
                      error->message);
          return 1;
        }
      /* before "listening on": whoever waits for that line has this one */
      if (strchr (metrics_host, ':') != NULL)
        printf ("navette-server: metrics on http://[%s]:%u/metrics\n", metrics_host, bound);
      else
        printf ("navette-server: metrics on http://%s:%u/metrics\n", metrics_host, bound);
    }
  if (!navette_http_server_listen (server, host, port, &bound_port, &error))
    {
      g_printerr ("navette-server serve: cannot listen on %s: %s\n", listen ? listen : "127.0.0.1:8080", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);

  if (strchr (host, ':') != NULL)
    url = g_strdup_printf ("%s://[%s]:%u", scheme, host, bound_port);
  else
    url = g_strdup_printf ("%s://%s:%u", scheme, host, bound_port);
  printf ("navette-server: listening on %s\n", url);
  fflush (stdout);
  navette_service_ready (url);

  g_main_loop_run (loop);

  navette_service_stopping ();
  navette_http_server_shutdown (server);
  return 0;
}
