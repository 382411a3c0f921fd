/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-service.c — readiness and watchdog for systemd (see
 * navette-service.h). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "navette-service.h"

#if HAVE_LIBSYSTEMD
static guint watchdog_id;

/* From the main loop: a main loop stuck for WatchdogSec stops feeding
 * it, and systemd restarts the service. */
static gboolean
watchdog_cb (gpointer data)
{
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}
#endif

void
navette_service_ready (const char *url)
{
#if HAVE_LIBSYSTEMD
  guint64 usec = 0;

  sd_notifyf (0, "READY=1\nSTATUS=Listening on %s", url);
  if (watchdog_id == 0 && sd_watchdog_enabled (0, &usec) > 0 && usec > 0)
    watchdog_id = g_timeout_add (MAX (usec / 2000, 1), watchdog_cb, NULL);
#endif
}

void
navette_service_stopping (void)
{
#if HAVE_LIBSYSTEMD
  g_clear_handle_id (&watchdog_id, g_source_remove);
  sd_notify (0, "STOPPING=1");
#endif
}
