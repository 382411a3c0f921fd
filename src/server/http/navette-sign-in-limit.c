/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-sign-in-limit.c — the limits on failed sign-ins (the rules:
 * navette-sign-in-limit.h). */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include <string.h>

#include "navette-sign-in-limit.h"

/* The failures kept per key: enough to decide every rule. */
#define MAX_KEPT 64
/* Names longer than a user name can be are counted under their SHA-256,
 * so that nobody fills the server's memory with long names. */
#define MAX_NAME_KEY 64
/* Addresses that signed in kept at most, the oldest dropped first. */
#define MAX_TRUSTED 100000

typedef struct
{
  GArray *times;     /* failure times in the window, ascending */
  guint   inflight;  /* slots taken, not ended */
  gint64  last_slot; /* names: when the last slot was taken */
} Counter;

struct _NavetteSignInLimit
{
  GObject     parent_instance;

  GMutex      mutex;
  GHashTable *addresses;  /* address → Counter */
  GHashTable *pairs;      /* "name\naddress" → Counter */
  GHashTable *names;      /* name → Counter */
  GHashTable *trusted;    /* "name\naddress" → last successful sign-in (gint64 *) */
  gint64      last_sweep;
};

G_DEFINE_FINAL_TYPE (NavetteSignInLimit, navette_sign_in_limit, G_TYPE_OBJECT)

static void
counter_free (Counter *counter)
{
  g_array_unref (counter->times);
  g_free (counter);
}

static void
navette_sign_in_limit_finalize (GObject *object)
{
  NavetteSignInLimit *self = NAVETTE_SIGN_IN_LIMIT (object);

  g_hash_table_unref (self->addresses);
  g_hash_table_unref (self->pairs);
  g_hash_table_unref (self->names);
  g_hash_table_unref (self->trusted);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (navette_sign_in_limit_parent_class)->finalize (object);
}

static void
navette_sign_in_limit_class_init (NavetteSignInLimitClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = navette_sign_in_limit_finalize;
}

static void
navette_sign_in_limit_init (NavetteSignInLimit *self)
{
  g_mutex_init (&self->mutex);
  self->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) counter_free);
  self->pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) counter_free);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) counter_free);
  self->trusted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

NavetteSignInLimit *
navette_sign_in_limit_new (void)
{
  return g_object_new (NAVETTE_TYPE_SIGN_IN_LIMIT, NULL);
}

/* ------------------------------------------------------------------ */
/* Counters (with the lock held)                                       */

static void
expire (Counter *counter,
        gint64   now)
{
  guint n = 0;

  while (n < counter->times->len &&
         g_array_index (counter->times, gint64, n) <= now - NAVETTE_SIGN_IN_WINDOW_USEC)
    n++;
  if (n > 0)
    g_array_remove_range (counter->times, 0, n);
}

/* The counter of @key, expired to @now; NULL when there is none and
 * @create is FALSE. */
static Counter *
lookup (GHashTable *table,
        const char *key,
        gint64      now,
        gboolean    create)
{
  Counter *counter = g_hash_table_lookup (table, key);

  if (counter == NULL && create)
    {
      counter = g_new0 (Counter, 1);
      counter->times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (table, g_strdup (key), counter);
    }
  if (counter != NULL)
    expire (counter, now);
  return counter;
}

/* Failures and slots in flight. */
static guint
weight (Counter *counter)
{
  return counter != NULL ? counter->times->len + counter->inflight : 0;
}

/* Seconds until @counter is under @max again: its failure that makes it
 * reach @max leaves the window (1 when only slots in flight do). */
static guint
retry_after (Counter *counter,
             guint    max,
             gint64   now)
{
  guint over = weight (counter) - max + 1;
  gint64 wait;

  if (over > counter->times->len)
    return 1;
  wait = g_array_index (counter->times, gint64, over - 1) + NAVETTE_SIGN_IN_WINDOW_USEC - now;
  return (guint) MAX (1, (wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

static void
add_failure (Counter *counter,
             gint64   now)
{
  g_array_append_val (counter->times, now);
  if (counter->times->len > MAX_KEPT)
    g_array_remove_range (counter->times, 0, counter->times->len - MAX_KEPT);
}

static void
sweep_table (GHashTable *table,
             gint64      now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Counter *counter = value;

      expire (counter, now);
      if (counter->times->len == 0 && counter->inflight == 0 &&
          counter->last_slot <= now - NAVETTE_SIGN_IN_MAX_DELAY_USEC)
        g_hash_table_iter_remove (&iter);
    }
}

/* Forgets what no rule needs any more, once per window. */
static void
sweep (NavetteSignInLimit *self,
       gint64              now)
{
  GHashTableIter iter;
  gpointer value;

  if (now - self->last_sweep < NAVETTE_SIGN_IN_WINDOW_USEC)
    return;
  self->last_sweep = now;
  sweep_table (self->addresses, now);
  sweep_table (self->pairs, now);
  sweep_table (self->names, now);
  g_hash_table_iter_init (&iter, self->trusted);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (*(gint64 *) value <= now - NAVETTE_SIGN_IN_TRUST_USEC)
      g_hash_table_iter_remove (&iter);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */

static char *
name_key (const char *user)
{
  if (strlen (user) <= MAX_NAME_KEY)
    return g_strdup (user);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, user, -1);
}

static char *
pair_key (const char *name,
          const char *address)
{
  return g_strconcat (name, "\n", address, NULL);
}

/* ------------------------------------------------------------------ */
/* The rules                                                           */

gboolean
navette_sign_in_limit_may_send (NavetteSignInLimit *self,
                                const char         *address,
                                gint64              now_usec,
                                guint              *retry_after_seconds)
{
  g_autoptr(GMutexLocker) locker = NULL;
  Counter *counter;

  g_return_val_if_fail (NAVETTE_IS_SIGN_IN_LIMIT (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  counter = lookup (self->addresses, address, now_usec, FALSE);
  if (weight (counter) < NAVETTE_SIGN_IN_MAX_PER_ADDRESS)
    return TRUE;
  if (retry_after_seconds != NULL)
    *retry_after_seconds = retry_after (counter, NAVETTE_SIGN_IN_MAX_PER_ADDRESS, now_usec);
  return FALSE;
}

void
navette_sign_in_limit_refused_body (NavetteSignInLimit *self,
                                    const char         *address,
                                    gint64              now_usec)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (NAVETTE_IS_SIGN_IN_LIMIT (self));
  g_return_if_fail (address != NULL);

  locker = g_mutex_locker_new (&self->mutex);
  sweep (self, now_usec);
  add_failure (lookup (self->addresses, address, now_usec, TRUE), now_usec);
}

/* The least time between two password checks of a name with @failures
 * (failures and slots in flight) in the window. */
static gint64
name_delay (guint failures)
{
  guint doublings;

  if (failures < NAVETTE_SIGN_IN_FREE_PER_NAME)
    return 0;
  doublings = MIN (failures - NAVETTE_SIGN_IN_FREE_PER_NAME, 20);
  return MIN ((gint64) G_USEC_PER_SEC << doublings, NAVETTE_SIGN_IN_MAX_DELAY_USEC);
}

gboolean
navette_sign_in_limit_begin (NavetteSignInLimit *self,
                             const char         *user,
                             const char         *address,
                             gint64              now_usec,
                             guint              *retry_after_seconds)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *name = NULL;
  g_autofree char *pair = NULL;
  Counter *by_address, *by_pair, *by_name;
  guint retry = 0;

  g_return_val_if_fail (NAVETTE_IS_SIGN_IN_LIMIT (self), FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  name = name_key (user);
  pair = pair_key (name, address);
  locker = g_mutex_locker_new (&self->mutex);
  sweep (self, now_usec);
  by_address = lookup (self->addresses, address, now_usec, FALSE);
  by_pair = lookup (self->pairs, pair, now_usec, FALSE);
  by_name = lookup (self->names, name, now_usec, FALSE);

  if (weight (by_address) >= NAVETTE_SIGN_IN_MAX_PER_ADDRESS)
    retry = MAX (retry, retry_after (by_address, NAVETTE_SIGN_IN_MAX_PER_ADDRESS, now_usec));
  if (weight (by_pair) >= NAVETTE_SIGN_IN_MAX_PER_PAIR)
    retry = MAX (retry, retry_after (by_pair, NAVETTE_SIGN_IN_MAX_PER_PAIR, now_usec));
  if (by_name != NULL && !g_hash_table_contains (self->trusted, pair))
    {
      gint64 earliest = by_name->last_slot + name_delay (weight (by_name));

      if (name_delay (weight (by_name)) > 0 && now_usec < earliest)
        retry = MAX (retry, (guint) ((earliest - now_usec + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
    }
  if (retry > 0)
    {
      if (retry_after_seconds != NULL)
        *retry_after_seconds = retry;
      return FALSE;
    }

  lookup (self->addresses, address, now_usec, TRUE)->inflight++;
  lookup (self->pairs, pair, now_usec, TRUE)->inflight++;
  by_name = lookup (self->names, name, now_usec, TRUE);
  by_name->inflight++;
  by_name->last_slot = now_usec;
  return TRUE;
}

/* The end of a slot of @counter (which has one). */
static void
end_slot (Counter              *counter,
          NavetteSignInOutcome  outcome,
          gint64                now)
{
  g_return_if_fail (counter != NULL && counter->inflight > 0);

  counter->inflight--;
  if (outcome == NAVETTE_SIGN_IN_FAILED)
    add_failure (counter, now);
}

void
navette_sign_in_limit_end (NavetteSignInLimit   *self,
                           const char           *user,
                           const char           *address,
                           NavetteSignInOutcome  outcome,
                           gint64                now_usec)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *name = NULL;
  g_autofree char *pair = NULL;
  Counter *by_pair;

  g_return_if_fail (NAVETTE_IS_SIGN_IN_LIMIT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (address != NULL);

  name = name_key (user);
  pair = pair_key (name, address);
  locker = g_mutex_locker_new (&self->mutex);
  end_slot (lookup (self->addresses, address, now_usec, FALSE), outcome, now_usec);
  end_slot (lookup (self->names, name, now_usec, FALSE), outcome, now_usec);
  by_pair = lookup (self->pairs, pair, now_usec, FALSE);
  end_slot (by_pair, outcome, now_usec);
  if (outcome != NAVETTE_SIGN_IN_SUCCEEDED)
    return;

  /* the right password: this address may try that name again freely,
   * and it is one she signs in from */
  if (by_pair != NULL)
    g_array_set_size (by_pair->times, 0);
  if (!g_hash_table_contains (self->trusted, pair) && g_hash_table_size (self->trusted) >= MAX_TRUSTED)
    {
      GHashTableIter iter;
      gpointer key, value;
      gpointer oldest = NULL;
      gint64 oldest_time = G_MAXINT64;

      g_hash_table_iter_init (&iter, self->trusted);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (*(gint64 *) value < oldest_time)
          {
            oldest = key;
            oldest_time = *(gint64 *) value;
          }
      g_hash_table_remove (self->trusted, oldest);
    }
  g_hash_table_insert (self->trusted, g_steal_pointer (&pair), g_memdup2 (&now_usec, sizeof now_usec));
}
