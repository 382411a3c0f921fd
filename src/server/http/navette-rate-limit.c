/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-rate-limit.c — counts failures per key in a sliding window. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include "navette-rate-limit.h"

struct _NavetteRateLimit
{
  GObject     parent_instance;

  GMutex      mutex;
  GHashTable *failures; /* key → GArray of gint64 (failure times, ascending) */
  guint       max_failures;
  gint64      window_usec;
  gint64      last_sweep;
};

G_DEFINE_FINAL_TYPE (NavetteRateLimit, navette_rate_limit, G_TYPE_OBJECT)

static void
navette_rate_limit_finalize (GObject *object)
{
  NavetteRateLimit *self = NAVETTE_RATE_LIMIT (object);

  g_hash_table_unref (self->failures);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (navette_rate_limit_parent_class)->finalize (object);
}

static void
navette_rate_limit_class_init (NavetteRateLimitClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = navette_rate_limit_finalize;
}

static void
navette_rate_limit_init (NavetteRateLimit *self)
{
  g_mutex_init (&self->mutex);
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_array_unref);
}

NavetteRateLimit *
navette_rate_limit_new (guint  max_failures,
                        gint64 window_usec)
{
  NavetteRateLimit *self;

  g_return_val_if_fail (max_failures > 0, NULL);
  g_return_val_if_fail (window_usec > 0, NULL);

  self = g_object_new (NAVETTE_TYPE_RATE_LIMIT, NULL);
  self->max_failures = max_failures;
  self->window_usec = window_usec;
  return self;
}

/* Drops the failures that left the window. Called with the lock held. */
static void
expire (NavetteRateLimit *self,
        GArray           *times,
        gint64            now_usec)
{
  guint n = 0;

  while (n < times->len && g_array_index (times, gint64, n) <= now_usec - self->window_usec)
    n++;
  if (n > 0)
    g_array_remove_range (times, 0, n);
}

static void
sweep (NavetteRateLimit *self,
       gint64            now_usec)
{
  GHashTableIter iter;
  gpointer value;

  if (now_usec - self->last_sweep < self->window_usec)
    return;
  self->last_sweep = now_usec;
  g_hash_table_iter_init (&iter, self->failures);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      expire (self, value, now_usec);
      if (((GArray *) value)->len == 0)
        g_hash_table_iter_remove (&iter);
    }
}

gboolean
navette_rate_limit_check (NavetteRateLimit *self,
                          const char       *key,
                          gint64            now_usec,
                          guint            *retry_after_seconds)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GArray *times;
  gint64 wait;

  g_return_val_if_fail (NAVETTE_IS_RATE_LIMIT (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  times = g_hash_table_lookup (self->failures, key);
  if (times == NULL)
    return TRUE;
  expire (self, times, now_usec);
  if (times->len < self->max_failures)
    return TRUE;

  wait = g_array_index (times, gint64, times->len - self->max_failures) + self->window_usec - now_usec;
  if (retry_after_seconds != NULL)
    *retry_after_seconds = (guint) MAX (1, (wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  return FALSE;
}

void
navette_rate_limit_fail (NavetteRateLimit *self,
                         const char       *key,
                         gint64            now_usec)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GArray *times;

  g_return_if_fail (NAVETTE_IS_RATE_LIMIT (self));
  g_return_if_fail (key != NULL);

  locker = g_mutex_locker_new (&self->mutex);
  sweep (self, now_usec);
  times = g_hash_table_lookup (self->failures, key);
  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->failures, g_strdup (key), times);
    }
  expire (self, times, now_usec);
  g_array_append_val (times, now_usec);
  /* Never keep more than needed to decide. */
  if (times->len > self->max_failures)
    g_array_remove_range (times, 0, times->len - self->max_failures);
}

void
navette_rate_limit_reset (NavetteRateLimit *self,
                          const char       *key)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (NAVETTE_IS_RATE_LIMIT (self));
  g_return_if_fail (key != NULL);

  locker = g_mutex_locker_new (&self->mutex);
  g_hash_table_remove (self->failures, key);
}
