/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-pg-watch.c — LISTEN navette_changes, and round trips on that
 * connection (see navette-db-pg-watch.h).
 *
 * The database's triggers notify the channel when the writing
 * transaction commits: '<app>.<table>' for every change of
 * table_last_modifications (migrations/postgresql/0002-notify-changes.sql),
 * 'schema:<app>' for every change of an application's schema and
 * 'roles:<username>' for every write of a user's grant
 * (0003-announce-administration.sql). The connection is in
 * pipeline mode: a round trip is a Sync message, whose answer comes after
 * every notification of the commits made before it was sent — so once it
 * is in, they have all been emitted. */
#define G_LOG_DOMAIN "navette-db-pg"

#include "config.h"

#include <string.h>
#include <libpq-fe.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include "navette-db-pg-watch.h"

/* A round trip with no answer after this long fails, and the watch
 * connects again. */
#define SYNC_TIMEOUT_MS 2000
#define WATCH_CHECK_MS 500

typedef struct
{
  NavetteDbSyncFunc  func;
  gpointer           user_data;
} SyncCall;

/* A round trip that is out: the calls it answers, and when it was sent. */
typedef struct
{
  GArray *calls;  /* of SyncCall */
  gint64  sent_at;
} SyncOut;

struct _NavetteDbPgWatch
{
  NavetteDbWatch parent_instance;

  char         *url;
  PGconn       *conn;        /* listening, or NULL */
  gboolean      connecting;  /* a thread connects */
  GSource      *source;      /* reads conn */
  gpointer      tag;         /* its fd */
  GArray       *pending;     /* SyncCall: for the next round trip (flush_id) */
  GQueue        out;         /* SyncOut*: round trips out, oldest first */
  GArray       *failing;     /* SyncCall: to be told FALSE (fail_id) */
  guint         flush_id;
  guint         fail_id;
  guint         check_id;
  guint         retry_id;
  guint         backoff_ms;
};

G_DEFINE_FINAL_TYPE (NavetteDbPgWatch, navette_db_pg_watch, NAVETTE_TYPE_DB_WATCH)

static void watch_connect_start (NavetteDbPgWatch *self);

static void
notice_processor_cb (void       *arg,
                     const char *message)
{
  g_debug ("%s", message);
}

/* A source of the watch's context (which may not be the global default
 * one: g_source_remove() would not find it). */
static guint
add_source (NavetteDbPgWatch *self,
            GSource          *source,
            GSourceFunc       func,
            const char       *name)
{
  guint id;

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, name);
  id = g_source_attach (source, navette_db_watch_get_context (NAVETTE_DB_WATCH (self)));
  g_source_unref (source);
  return id;
}

static void
remove_source (NavetteDbPgWatch *self,
               guint            *id)
{
  GMainContext *context = navette_db_watch_get_context (NAVETTE_DB_WATCH (self));
  GSource *source = *id != 0 ? g_main_context_find_source_by_id (context, *id) : NULL;

  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

/* @payload: a notification's (NULL: anything may have changed). */
static void
emit_changed (NavetteDbPgWatch *self,
              const char       *payload)
{
  NavetteDbWatch *watch = NAVETTE_DB_WATCH (self);
  const char *dot = payload != NULL ? strchr (payload, '.') : NULL;
  g_autofree char *app = NULL;

  if (payload == NULL)
    navette_db_watch_emit (watch, NAVETTE_DB_CHANGE_ANY, NULL, NULL);
  else if (g_str_has_prefix (payload, "schema:") && navette_name_is_valid (payload + 7))
    navette_db_watch_emit (watch, NAVETTE_DB_CHANGE_SCHEMA, payload + 7, NULL);
  else if (g_str_has_prefix (payload, "roles:") && payload[6] != '\0')
    navette_db_watch_emit (watch, NAVETTE_DB_CHANGE_ROLES, payload + 6, NULL);
  else if (dot != NULL)
    {
      app = g_strndup (payload, dot - payload);
      /* '_navette.role_grants' and the like: told as roles */
      if (navette_name_is_valid (app) && navette_name_is_valid (dot + 1))
        navette_db_watch_emit (watch, NAVETTE_DB_CHANGE_TABLE, app, dot + 1);
    }
}

/* ------------------------------------------------------------------ */
/* Answering the calls                                                 */

static void
answer_all (GArray   *calls,
            gboolean  ok)
{
  for (guint i = 0; i < calls->len; i++)
    {
      SyncCall *call = &g_array_index (calls, SyncCall, i);

      call->func (ok, call->user_data);
    }
}

static gboolean
fail_cb (gpointer data)
{
  NavetteDbPgWatch *self = data;
  g_autoptr(GArray) calls = g_steal_pointer (&self->failing);

  self->fail_id = 0;
  self->failing = g_array_new (FALSE, FALSE, sizeof (SyncCall));
  answer_all (calls, FALSE);
  return G_SOURCE_REMOVE;
}

/* @calls are told FALSE from an idle, never from within the call that
 * asked; emptied. */
static void
fail_later (NavetteDbPgWatch *self,
            GArray           *calls)
{
  g_array_append_vals (self->failing, calls->data, calls->len);
  g_array_set_size (calls, 0);
  if (self->fail_id == 0 && self->failing->len > 0)
    self->fail_id = add_source (self, g_idle_source_new (), fail_cb, "[navette] round trip failed");
}

static gboolean
fail_one_cb (gpointer data)
{
  SyncCall *call = data;

  call->func (FALSE, call->user_data);
  return G_SOURCE_REMOVE;
}

void
navette_db_pg_watch_fail_later (NavetteDbSyncFunc func,
                                gpointer          user_data)
{
  g_autoptr(GSource) source = g_idle_source_new ();
  SyncCall *call = g_new0 (SyncCall, 1);

  call->func = func;
  call->user_data = user_data;
  g_source_set_callback (source, fail_one_cb, call, g_free);
  g_source_set_static_name (source, "[navette] round trip failed");
  g_source_attach (source, g_main_context_get_thread_default ());
}

/* Fails every round trip that is out, and those waiting to go out. */
static void
fail_all (NavetteDbPgWatch *self)
{
  SyncOut *out;

  while ((out = g_queue_pop_head (&self->out)) != NULL)
    {
      fail_later (self, out->calls);
      g_array_unref (out->calls);
      g_free (out);
    }
  fail_later (self, self->pending);
}

/* ------------------------------------------------------------------ */
/* The connection                                                      */

static void
watch_close (NavetteDbPgWatch *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  remove_source (self, &self->check_id);
  g_clear_pointer (&self->conn, PQfinish);
  fail_all (self);
}

static gboolean
retry_cb (gpointer data)
{
  NavetteDbPgWatch *self = data;

  self->retry_id = 0;
  watch_connect_start (self);
  return G_SOURCE_REMOVE;
}

/* The listening connection is gone: its waiters read the database, and
 * the watch connects again after a pause (anything may have changed when
 * it is back: changes may have been missed meanwhile). */
static void
watch_lost (NavetteDbPgWatch *self,
            const char       *why)
{
  g_debug ("Lost the change notifications: %s", why);
  watch_close (self);
  if (self->retry_id == 0 && !navette_db_watch_is_stopped (NAVETTE_DB_WATCH (self)))
    {
      self->retry_id = add_source (self, g_timeout_source_new (self->backoff_ms), retry_cb,
                                   "[navette] listen again");
      self->backoff_ms = MIN (self->backoff_ms * 2, 5000);
    }
}

static void
emit_notifications (NavetteDbPgWatch *self)
{
  PGnotify *notify;

  while ((notify = PQnotifies (self->conn)) != NULL)
    {
      emit_changed (self, notify->extra);
      PQfreemem (notify);
    }
}

static void
watch_ready (NavetteDbPgWatch *self,
             GIOCondition      condition)
{
  PGresult *res;

  if ((condition & G_IO_OUT) != 0 && PQflush (self->conn) == 0)
    g_source_modify_unix_fd (self->source, self->tag, G_IO_IN | G_IO_HUP | G_IO_ERR);
  if (!PQconsumeInput (self->conn) || PQstatus (self->conn) != CONNECTION_OK)
    {
      watch_lost (self, PQerrorMessage (self->conn));
      return;
    }
  emit_notifications (self);
  /* Each PGRES_PIPELINE_SYNC answers the oldest round trip out; the
   * notifications before it in the stream are parsed by then. */
  while (self->conn != NULL && !PQisBusy (self->conn) && (res = PQgetResult (self->conn)) != NULL)
    {
      gboolean synced = PQresultStatus (res) == PGRES_PIPELINE_SYNC;
      SyncOut *out;

      PQclear (res);
      emit_notifications (self);
      if (synced && (out = g_queue_pop_head (&self->out)) != NULL)
        {
          answer_all (out->calls, TRUE);
          g_array_unref (out->calls);
          g_free (out);
        }
    }
}

typedef struct
{
  GSource           source;
  NavetteDbPgWatch *self;  /* not a reference: destroyed by watch_close() */
} WatchSource;

static gboolean
watch_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  NavetteDbPgWatch *self = ((WatchSource *) source)->self;

  watch_ready (self, g_source_query_unix_fd (source, self->tag));
  return G_SOURCE_CONTINUE;
}

/* Dispatched when the listening connection's socket is ready. */
static GSourceFuncs watch_source_funcs = { NULL, NULL, watch_source_dispatch, NULL, NULL, NULL };

/* Connects and listens, in a thread; NULL (after a message) when that
 * fails. The connection is returned in pipeline mode, non-blocking. */
static void
connect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char * const keywords[] = { "connect_timeout", "application_name", "dbname", NULL };
  const char * const values[] = { "5", "navette-server-watch", task_data, NULL };
  PGconn *conn = PQconnectdbParams (keywords, values, 1);
  PGresult *res = PQstatus (conn) == CONNECTION_OK ? PQexec (conn, "LISTEN navette_changes") : NULL;

  if (PQresultStatus (res) != PGRES_COMMAND_OK || !PQenterPipelineMode (conn) ||
      PQsetnonblocking (conn, 1) != 0)
    {
      g_debug ("Cannot listen for changes: %s", PQerrorMessage (conn));
      PQclear (res);
      PQfinish (conn);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  PQclear (res);
  PQsetNoticeProcessor (conn, notice_processor_cb, NULL);
  g_task_return_pointer (task, conn, (GDestroyNotify) PQfinish);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  NavetteDbPgWatch *self = NAVETTE_DB_PG_WATCH (object);
  PGconn *conn = g_task_propagate_pointer (G_TASK (result), NULL);

  self->connecting = FALSE;
  if (navette_db_watch_is_stopped (NAVETTE_DB_WATCH (self)))
    {
      g_clear_pointer (&conn, PQfinish);
      return;
    }
  if (conn == NULL)
    {
      watch_lost (self, "cannot connect");
      return;
    }
  self->conn = conn;
  self->backoff_ms = 100;
  self->source = g_source_new (&watch_source_funcs, sizeof (WatchSource));
  ((WatchSource *) self->source)->self = self;
  self->tag = g_source_add_unix_fd (self->source, PQsocket (conn), G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_static_name (self->source, "[navette] change notifications");
  g_source_attach (self->source, navette_db_watch_get_context (NAVETTE_DB_WATCH (self)));
  /* Changes may have been missed while not listening. */
  emit_changed (self, NULL);
}

static void
watch_connect_start (NavetteDbPgWatch *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->connecting || self->conn != NULL || navette_db_watch_is_stopped (NAVETTE_DB_WATCH (self)))
    return;
  self->connecting = TRUE;
  task = g_task_new (self, NULL, connected_cb, NULL);
  g_task_set_source_tag (task, watch_connect_start);
  g_task_set_task_data (task, g_strdup (self->url), g_free);
  g_task_run_in_thread (task, connect_thread);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */

/* While round trips are out: one that got no answer in SYNC_TIMEOUT_MS
 * means a connection that stopped answering. */
static gboolean
check_cb (gpointer data)
{
  NavetteDbPgWatch *self = data;
  SyncOut *oldest;

  /* A main loop slower than the deadline (a loaded machine) may not have
   * read an answer that came in time: take what is in first. */
  if (self->conn != NULL)
    watch_ready (self, G_IO_IN);
  oldest = g_queue_peek_head (&self->out);

  if (oldest == NULL)
    {
      self->check_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (g_get_monotonic_time () - oldest->sent_at >= SYNC_TIMEOUT_MS * 1000)
    {
      self->check_id = 0;  /* removed by returning */
      watch_lost (self, "no answer to a round trip");
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Sends one round trip for every call that came since the last one. */
static gboolean
flush_cb (gpointer data)
{
  NavetteDbPgWatch *self = data;
  SyncOut *out;
  int flushed;

  self->flush_id = 0;
  if (self->conn == NULL)
    {
      /* nobody can tell what was committed meanwhile */
      fail_later (self, self->pending);
      return G_SOURCE_REMOVE;
    }
  /* Round trips are pipelined: this one does not wait for those out. */
  if (!PQpipelineSync (self->conn) || (flushed = PQflush (self->conn)) < 0)
    {
      watch_lost (self, PQerrorMessage (self->conn));
      return G_SOURCE_REMOVE;
    }
  if (flushed == 1)
    g_source_modify_unix_fd (self->source, self->tag, G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR);
  out = g_new0 (SyncOut, 1);
  out->calls = g_steal_pointer (&self->pending);
  out->sent_at = g_get_monotonic_time ();
  self->pending = g_array_new (FALSE, FALSE, sizeof (SyncCall));
  g_queue_push_tail (&self->out, out);
  if (self->check_id == 0)
    self->check_id = add_source (self, g_timeout_source_new (WATCH_CHECK_MS), check_cb,
                                 "[navette] round-trip deadline");
  return G_SOURCE_REMOVE;
}

void
navette_db_pg_watch_sync (NavetteDbPgWatch  *self,
                          NavetteDbSyncFunc  func,
                          gpointer           user_data)
{
  SyncCall call = { func, user_data };

  g_return_if_fail (NAVETTE_IS_DB_PG_WATCH (self));
  g_return_if_fail (func != NULL);

  g_array_append_val (self->pending, call);
  if (self->conn == NULL)
    fail_later (self, self->pending);
  else if (self->flush_id == 0)
    {
      /* After the requests read in this iteration, not after every other
       * source is done (an idle's default priority would let polls wait
       * under load). */
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      self->flush_id = add_source (self, source, flush_cb, "[navette] send a round trip");
    }
}

static void
navette_db_pg_watch_stop (NavetteDbWatch *watch)
{
  NavetteDbPgWatch *self = NAVETTE_DB_PG_WATCH (watch);

  remove_source (self, &self->retry_id);
  remove_source (self, &self->flush_id);
  watch_close (self);
  remove_source (self, &self->fail_id);
  fail_cb (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
navette_db_pg_watch_finalize (GObject *object)
{
  NavetteDbPgWatch *self = NAVETTE_DB_PG_WATCH (object);

  g_free (self->url);
  g_clear_pointer (&self->pending, g_array_unref);
  g_clear_pointer (&self->failing, g_array_unref);

  G_OBJECT_CLASS (navette_db_pg_watch_parent_class)->finalize (object);
}

static void
navette_db_pg_watch_class_init (NavetteDbPgWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = navette_db_pg_watch_finalize;
  NAVETTE_DB_WATCH_CLASS (klass)->stop = navette_db_pg_watch_stop;
}

static void
navette_db_pg_watch_init (NavetteDbPgWatch *self)
{
  g_queue_init (&self->out);
  self->pending = g_array_new (FALSE, FALSE, sizeof (SyncCall));
  self->failing = g_array_new (FALSE, FALSE, sizeof (SyncCall));
  self->backoff_ms = 100;
}

NavetteDbPgWatch *
navette_db_pg_watch_new (const char *url)
{
  NavetteDbPgWatch *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_DB_PG_WATCH, NULL);
  self->url = g_strdup (url);
  watch_connect_start (self);
  return self;
}
