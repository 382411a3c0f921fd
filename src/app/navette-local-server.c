/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#ifdef __linux__
# include <sys/prctl.h>
#endif

#include "navette-local-server.h"

struct _NavetteLocalServer
{
  GObject           parent_instance;

  char             *db_path;
  char             *base_url;
  GSubprocess      *process;
  GDataInputStream *stdout_stream;
  GCancellable     *reader_cancellable;
  GTask            *start_task;
};

G_DEFINE_FINAL_TYPE (NavetteLocalServer, navette_local_server, G_TYPE_OBJECT)

static void read_line (NavetteLocalServer *self);

static void
navette_local_server_finalize (GObject *object)
{
  NavetteLocalServer *self = NAVETTE_LOCAL_SERVER (object);

  navette_local_server_stop (self);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->base_url, g_free);

  G_OBJECT_CLASS (navette_local_server_parent_class)->finalize (object);
}

static void
navette_local_server_class_init (NavetteLocalServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = navette_local_server_finalize;
}

static void
navette_local_server_init (NavetteLocalServer *self)
{
}

NavetteLocalServer *
navette_local_server_new (const char *db_path)
{
  NavetteLocalServer *self = g_object_new (NAVETTE_TYPE_LOCAL_SERVER, NULL);

  if (db_path != NULL)
    self->db_path = g_strdup (db_path);
  else
    self->db_path = g_build_filename (g_get_user_data_dir (), "navette", "local.db", NULL);
  return self;
}

const char *
navette_local_server_get_db_path (NavetteLocalServer *self)
{
  g_return_val_if_fail (NAVETTE_IS_LOCAL_SERVER (self), NULL);
  return self->db_path;
}

const char *
navette_local_server_get_base_url (NavetteLocalServer *self)
{
  g_return_val_if_fail (NAVETTE_IS_LOCAL_SERVER (self), NULL);
  return self->base_url;
}

char *
navette_local_server_find_binary (void)
{
  const char *env = g_getenv ("NAVETTE_SERVER_BINARY");
  g_autofree char *installed = g_build_filename (BINDIR, "navette-server", NULL);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  return g_strdup (BUILD_SERVER_PATH);
}

static void
fail_start (NavetteLocalServer *self,
            GError             *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(NavetteLocalServer) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *found;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object),
                                                    result, NULL, &error);
  if (line == NULL)
    {
      /* End of output (the server exited) or cancelled. */
      if (self->start_task != NULL)
        fail_start (self, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                       _("The local server stopped before it was ready")));
      return;
    }

  g_debug ("navette-server: %s", line);
  found = strstr (line, "listening on ");
  if (found != NULL && self->start_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

      found += strlen ("listening on ");
      self->base_url = g_strstrip (g_strdup (found));
      g_task_return_pointer (task, self->base_url, NULL);
    }

  /* Keep draining the output so the server never blocks on a full pipe. */
  read_line (self);
}

static void
read_line (NavetteLocalServer *self)
{
  if (self->stdout_stream == NULL)
    return;
  g_data_input_stream_read_line_async (self->stdout_stream, G_PRIORITY_DEFAULT,
                                       self->reader_cancellable,
                                       read_line_cb, g_object_ref (self));
}

static void
child_setup (gpointer user_data)
{
#ifdef __linux__
  /* The server must not outlive the editor, even when it crashes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static void
spawn_serve (NavetteLocalServer *self)
{
  g_autofree char *binary = navette_local_server_find_binary ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawn (launcher, &error,
                                               binary, "serve", "--db", self->db_path,
                                               "--listen", "127.0.0.1:0", NULL);
  if (self->process == NULL)
    {
      fail_start (self, g_steal_pointer (&error));
      return;
    }

  self->stdout_stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  self->reader_cancellable = g_cancellable_new ();
  read_line (self);
}

static void
demo_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(NavetteLocalServer) self = user_data;
  GSubprocess *demo = G_SUBPROCESS (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  if (!g_subprocess_communicate_utf8_finish (demo, result, NULL, &err, &error) ||
      !g_subprocess_get_if_exited (demo) || g_subprocess_get_exit_status (demo) != 0)
    {
      const char *reason = error != NULL ? error->message : g_strstrip (err);
      g_autoptr(GError) wrapped = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                               _("Could not create the local database: %s"),
                                               reason != NULL && reason[0] != '\0'
                                               ? reason : _("the server failed"));
      g_unlink (self->db_path);
      fail_start (self, g_steal_pointer (&wrapped));
      return;
    }
  spawn_serve (self);
}

void
navette_local_server_start_async (NavetteLocalServer  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *dir = NULL;
  g_autofree char *binary = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (NAVETTE_IS_LOCAL_SERVER (self));
  g_return_if_fail (self->start_task == NULL && self->process == NULL);

  self->start_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->start_task, navette_local_server_start_async);

  dir = g_path_get_dirname (self->db_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      fail_start (self, g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                     _("Could not create the folder %s: %s"),
                                     dir, g_strerror (saved_errno)));
      return;
    }

  if (g_file_test (self->db_path, G_FILE_TEST_EXISTS))
    {
      spawn_serve (self);
      return;
    }

  /* First run: create the database with the demo content. */
  binary = navette_local_server_find_binary ();
  {
    g_autoptr(GSubprocess) demo = NULL;

    demo = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                             binary, "demo", "--db", self->db_path, NULL);
    if (demo == NULL)
      {
        fail_start (self, g_steal_pointer (&error));
        return;
      }
    g_subprocess_communicate_utf8_async (demo, NULL, cancellable, demo_done_cb, g_object_ref (self));
  }
}

const char *
navette_local_server_start_finish (NavetteLocalServer  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (NAVETTE_IS_LOCAL_SERVER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

#define STOP_TIMEOUT_S 5

static void
wait_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *exited = TRUE;
}

static gboolean
stop_timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
navette_local_server_stop (NavetteLocalServer *self)
{
  g_return_if_fail (NAVETTE_IS_LOCAL_SERVER (self));

  if (self->reader_cancellable != NULL)
    g_cancellable_cancel (self->reader_cancellable);
  g_clear_object (&self->reader_cancellable);
  g_clear_object (&self->stdout_stream);

  if (self->process != NULL)
    {
      g_autoptr(GMainContext) context = g_main_context_new ();
      gboolean exited = FALSE;
      gboolean timed_out = FALSE;
      GSource *timeout;

      /* Runs at shutdown: wait for the server to close its database, but
       * never more than a few seconds (then kill it). A private context,
       * so that nothing else of the application runs meanwhile. */
      g_main_context_push_thread_default (context);
      g_subprocess_send_signal (self->process, SIGTERM);
      g_subprocess_wait_async (self->process, NULL, wait_done_cb, &exited);
      timeout = g_timeout_source_new_seconds (STOP_TIMEOUT_S);
      g_source_set_callback (timeout, stop_timeout_cb, &timed_out, NULL);
      g_source_attach (timeout, context);
      while (!exited && !timed_out)
        g_main_context_iteration (context, TRUE);
      g_source_destroy (timeout);
      g_source_unref (timeout);
      if (!exited)
        {
          g_subprocess_force_exit (self->process);
          while (!exited)
            g_main_context_iteration (context, TRUE);
        }
      g_main_context_pop_thread_default (context);
      g_clear_object (&self->process);
    }
  g_clear_pointer (&self->base_url, g_free);
}
