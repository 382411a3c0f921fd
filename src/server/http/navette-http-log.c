/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-log.c — the access log: one line per request on standard
 * output (method, path, status, bytes of the response body,
 * microseconds).
 *
 * It is written by a thread of its own: the main loop only appends to a
 * buffer, and the thread writes it out every 250 ms (no wake-up per
 * request, and the main loop never waits for whoever reads standard
 * output). When nobody reads it and the buffer is full, lines are dropped
 * (and counted) rather than stalling the API. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <stdio.h>

#include "navette-http-private.h"
#include "navette-log-escape.h"

#define LOG_BUFFER_MAX (8 * 1024 * 1024)

struct _NavetteHttpLog
{
  GMutex    mutex;
  GCond     cond;
  GString  *buffer;
  GThread  *thread;
  guint     dropped;
  gboolean  stop;
};

static GQuark
request_info_quark (void)
{
  return g_quark_from_static_string ("navette-request-info");
}

RequestInfo *
navette_http_request_info (SoupServerMessage *msg)
{
  return g_object_get_qdata (G_OBJECT (msg), request_info_quark ());
}

static void
request_info_free (gpointer data)
{
  RequestInfo *info = data;

  g_free (info->user);
  g_free (info);
}

void
navette_http_request_info_attach (SoupServerMessage *msg)
{
  RequestInfo *info = g_new0 (RequestInfo, 1);

  info->started = g_get_monotonic_time ();
  info->slot = navette_http_route_slot (NULL, NULL);
  g_object_set_qdata_full (G_OBJECT (msg), request_info_quark (), info, request_info_free);
}

void
navette_http_request_info_keep_user (Request *req)
{
  RequestInfo *info = navette_http_request_info (req->msg);
  const char *name = req->log_user != NULL ? req->log_user : req->user != NULL ? req->user->username : NULL;

  if (info != NULL && name != NULL)
    {
      g_free (info->user);
      info->user = g_strdup (name);
    }
}

static gpointer
log_thread_func (gpointer data)
{
  NavetteHttpLog *log = data;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean stop = FALSE;

  while (!stop)
    {
      guint dropped;

      g_mutex_lock (&log->mutex);
      if (!log->stop)
        g_cond_wait_until (&log->cond, &log->mutex, g_get_monotonic_time () + 250 * 1000);
      stop = log->stop;
      g_string_truncate (out, 0);
      g_string_append_len (out, log->buffer->str, log->buffer->len);
      g_string_truncate (log->buffer, 0);
      dropped = log->dropped;
      log->dropped = 0;
      g_mutex_unlock (&log->mutex);

      if (dropped > 0)
        fprintf (stdout, "navette-server: %u access-log lines dropped (standard output was not read)\n", dropped);
      if (out->len > 0)
        {
          fwrite (out->str, 1, out->len, stdout);
          fflush (stdout);
        }
    }
  return NULL;
}

NavetteHttpLog *
navette_http_log_new (void)
{
  NavetteHttpLog *log = g_new0 (NavetteHttpLog, 1);

  g_mutex_init (&log->mutex);
  g_cond_init (&log->cond);
  log->buffer = g_string_sized_new (64 * 1024);
  log->thread = g_thread_new ("navette-log", log_thread_func, log);
  return log;
}

void
navette_http_log_free (NavetteHttpLog *log)
{
  g_mutex_lock (&log->mutex);
  log->stop = TRUE;
  g_cond_signal (&log->cond);
  g_mutex_unlock (&log->mutex);
  g_thread_join (log->thread);
  g_string_free (log->buffer, TRUE);
  g_mutex_clear (&log->mutex);
  g_cond_clear (&log->cond);
  g_free (log);
  fflush (stdout);
}

/* method, path (never the query: it may hold anything), status, bytes of
 * the response body, microseconds, user name. Never a header. What the
 * client sent is escaped: one request, one line. */
void
navette_http_log_request (NavetteHttpLog    *log,
                          SoupServerMessage *msg,
                          guint              status,
                          gsize              bytes)
{
  RequestInfo *info = navette_http_request_info (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  gint64 elapsed;

  if (log == NULL || (info != NULL && info->logged))
    return;
  if (info != NULL)
    info->logged = TRUE;
  elapsed = info != NULL ? g_get_monotonic_time () - info->started : 0;

  g_mutex_lock (&log->mutex);
  if (log->buffer->len > LOG_BUFFER_MAX)
    log->dropped++;
  else
    {
      navette_log_escape_append (log->buffer, method);
      g_string_append_c (log->buffer, ' ');
      navette_log_escape_append (log->buffer, uri != NULL ? g_uri_get_path (uri) : NULL);
      g_string_append_printf (log->buffer, " %u %" G_GSIZE_FORMAT " %" G_GINT64_FORMAT " ",
                              status, bytes, elapsed);
      navette_log_escape_append (log->buffer, info != NULL ? info->user : NULL);
      g_string_append_c (log->buffer, '\n');
    }
  g_mutex_unlock (&log->mutex);
}
