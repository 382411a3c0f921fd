/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-test"

#include "config.h"

#include "navette-test-loop.h"

#define WAIT_SECONDS 30

void
navette_test_store_result_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

gboolean
navette_test_result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static gboolean
timed_out_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
navette_test_wait_result (GAsyncResult **result,
                          const char    *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (WAIT_SECONDS, timed_out_cb, &timed_out);

  while (*result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (*result == NULL)
    g_error ("Timed out waiting for %s", what);
  g_source_remove (id);
  return *result;
}
