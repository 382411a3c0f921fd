/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-rate-limit.h — counts failures per key in a sliding window.
 *
 * Used for failed logins: per username and per client address. Thread
 * safe (the HTTP workers share one). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define NAVETTE_TYPE_RATE_LIMIT (navette_rate_limit_get_type ())
G_DECLARE_FINAL_TYPE (NavetteRateLimit, navette_rate_limit, NAVETTE, RATE_LIMIT, GObject)

/* At most @max_failures failures per key within @window_usec. */
NavetteRateLimit *navette_rate_limit_new      (guint             max_failures,
                                               gint64            window_usec);
/* TRUE when @key may try again now; otherwise *retry_after_seconds (if not
 * NULL) gets how long until its oldest failure leaves the window. */
gboolean          navette_rate_limit_check    (NavetteRateLimit *self,
                                               const char       *key,
                                               gint64            now_usec,
                                               guint            *retry_after_seconds);
void              navette_rate_limit_fail     (NavetteRateLimit *self,
                                               const char       *key,
                                               gint64            now_usec);
void              navette_rate_limit_reset    (NavetteRateLimit *self,
                                               const char       *key);

G_END_DECLS
