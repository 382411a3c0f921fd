/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-http-cache.c — the caches of the HTTP layer, shared by the main
 * loop and the workers under one lock:
 *
 *  - sessions: token hash → the user and her roles, for up to
 *    NAVETTE_HTTP_SESSION_CACHE_USEC, used by the light checks only, and
 *    forgotten as soon as the storage layer tells of a change of her
 *    grants;
 *  - light-check answers: "app" or "app/table" → body and ETag, for the
 *    state TTL (--state-cache). A write through this server, a change
 *    reported by the storage layer, or a logout bumps the generation: an
 *    answer read before it is not stored, and one answered from the cache
 *    before it is not sent before it was checked again.
 *
 * Together they answer the hot path, the light check polled by every
 * client, on the main loop without any database work. */
#define G_LOG_DOMAIN "navette-server"

#include "config.h"

#include "navette-auth.h"
#include "navette-http-private.h"

typedef struct
{
  AuthUser *user;
  gint64    expires_at;
  gint64    cached_at;
} CachedSession;

typedef struct
{
  char   *body;
  char   *etag;
  gint64  cached_at;
} CachedState;

struct _NavetteHttpCache
{
  GMutex      lock;
  GHashTable *sessions;    /* token hash → CachedSession */
  GHashTable *states;      /* "app" or "app/table" → CachedState */
  guint64     generation;  /* bumped by every write and logout */
  guint       state_ttl_ms;  /* atomic: read first by the hot path */
};

static void
cached_session_free (CachedSession *session)
{
  auth_user_unref (session->user);
  g_free (session);
}

static void
cached_state_free (CachedState *state)
{
  g_free (state->body);
  g_free (state->etag);
  g_free (state);
}

NavetteHttpCache *
navette_http_cache_new (void)
{
  NavetteHttpCache *cache = g_new0 (NavetteHttpCache, 1);

  g_mutex_init (&cache->lock);
  cache->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) cached_session_free);
  cache->states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) cached_state_free);
  cache->state_ttl_ms = NAVETTE_HTTP_DEFAULT_STATE_CACHE_MS;
  return cache;
}

void
navette_http_cache_free (NavetteHttpCache *cache)
{
  g_hash_table_unref (cache->sessions);
  g_hash_table_unref (cache->states);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

void
navette_http_cache_set_state_ttl (NavetteHttpCache *cache,
                                  guint             msec)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);

  g_atomic_int_set (&cache->state_ttl_ms, msec);
  g_hash_table_remove_all (cache->states);
  cache->generation++;
}

char *
navette_http_cache_state_key (const char *app,
                              const char *table)
{
  return table != NULL ? g_strconcat (app, "/", table, NULL) : g_strdup (app);
}

/* Called with the lock held: the answer of @key when it is fresh. */
static CachedState *
lookup_state_locked (NavetteHttpCache *cache,
                     const char       *key,
                     gint64            now)
{
  CachedState *state;

  if (cache->state_ttl_ms == 0)
    return NULL;
  state = g_hash_table_lookup (cache->states, key);
  if (state == NULL || now - state->cached_at >= (gint64) cache->state_ttl_ms * 1000)
    return NULL;
  return state;
}

guint64
navette_http_cache_copy_state (NavetteHttpCache  *cache,
                               const char        *key,
                               char             **body,
                               char             **etag)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  CachedState *cached = lookup_state_locked (cache, key, g_get_monotonic_time ());

  if (cached != NULL)
    {
      *body = g_strdup (cached->body);
      *etag = g_strdup (cached->etag);
    }
  return cache->generation;
}

void
navette_http_cache_store_state (NavetteHttpCache *cache,
                                const char       *key,
                                guint64           generation,
                                const char       *body,
                                const char       *etag)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  CachedState *state;

  /* A write since we read means what we read may be stale already. */
  if (cache->state_ttl_ms == 0 || generation != cache->generation)
    return;
  state = g_new0 (CachedState, 1);
  state->body = g_strdup (body);
  state->etag = g_strdup (etag);
  state->cached_at = g_get_monotonic_time ();
  g_hash_table_replace (cache->states, g_strdup (key), state);
}

void
navette_http_cache_invalidate (NavetteHttpCache *cache,
                               const char       *app)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  g_autofree char *prefix = app != NULL ? g_strconcat (app, "/", NULL) : NULL;
  GHashTableIter iter;
  gpointer key;

  cache->generation++;
  if (app == NULL)
    {
      g_hash_table_remove_all (cache->states);
      return;
    }
  g_hash_table_iter_init (&iter, cache->states);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (g_str_equal (key, app) || g_str_has_prefix (key, prefix))
        g_hash_table_iter_remove (&iter);
    }
}

guint64
navette_http_cache_get_generation (NavetteHttpCache *cache)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);

  return cache->generation;
}

void
navette_http_cache_store_session (NavetteHttpCache *cache,
                                  const char       *token_hash,
                                  AuthUser         *user,
                                  gint64            expires_at)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  CachedSession *session = g_new0 (CachedSession, 1);

  session->user = auth_user_ref (user);
  session->expires_at = expires_at;
  session->cached_at = g_get_monotonic_time ();
  g_hash_table_replace (cache->sessions, g_strdup (token_hash), session);
}

/* Called with the lock held: the session of @token_hash when it is fresh. */
static CachedSession *
lookup_session_locked (NavetteHttpCache *cache,
                       const char       *token_hash,
                       gint64            now)
{
  CachedSession *session = g_hash_table_lookup (cache->sessions, token_hash);

  if (session == NULL || now - session->cached_at >= NAVETTE_HTTP_SESSION_CACHE_USEC)
    return NULL;
  return session;
}

AuthUser *
navette_http_cache_lookup_session (NavetteHttpCache *cache,
                                   const char       *token_hash,
                                   gint64           *expires_at)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  CachedSession *session = lookup_session_locked (cache, token_hash, g_get_monotonic_time ());

  if (session == NULL)
    return NULL;
  *expires_at = session->expires_at;
  return auth_user_ref (session->user);
}

void
navette_http_cache_forget_session (NavetteHttpCache *cache,
                                   const char       *token_hash)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);

  g_hash_table_remove (cache->sessions, token_hash);
  cache->generation++;  /* light checks answered from it may wait */
}

void
navette_http_cache_forget_user (NavetteHttpCache *cache,
                                const char       *username)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, cache->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (username == NULL || g_str_equal (((CachedSession *) value)->user->username, username))
      g_hash_table_iter_remove (&iter);
  cache->generation++;  /* light checks answered from them may wait */
}

gboolean
navette_http_cache_answer (NavetteHttpCache *cache,
                           Request          *req)
{
  g_autofree char *hash = NULL;
  g_autofree char *key = NULL;
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;
  gint64 now = g_get_monotonic_time ();
  CachedSession *session;
  CachedState *state;

  if (req->token == NULL || g_atomic_int_get (&cache->state_ttl_ms) == 0 ||
      !navette_name_is_valid (req->app) ||
      (req->table != NULL && !navette_name_is_valid (req->table)))
    return FALSE;
  hash = navette_auth_token_hash (req->token);
  key = navette_http_cache_state_key (req->app, req->table);

  g_mutex_lock (&cache->lock);
  session = lookup_session_locked (cache, hash, now);
  state = lookup_state_locked (cache, key, now);
  if (session != NULL && state != NULL &&
      navette_time_now () < session->expires_at &&
      (session->user->admin || g_hash_table_contains (session->user->roles, req->app)))
    {
      body = g_strdup (state->body);
      etag = g_strdup (state->etag);
      req->from_cache = TRUE;
      req->cached_generation = cache->generation;
      g_free (req->log_user);
      req->log_user = g_strdup (session->user->username);
    }
  g_mutex_unlock (&cache->lock);

  if (body == NULL)
    return FALSE;
  respond_state (req, body, etag);
  return TRUE;
}

void
navette_http_cache_sweep (NavetteHttpCache *cache)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&cache->lock);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  /* so that tokens that are not used any more do not stay in memory */
  g_hash_table_iter_init (&iter, cache->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((CachedSession *) value)->cached_at >= NAVETTE_HTTP_SESSION_CACHE_USEC)
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, cache->states);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((CachedState *) value)->cached_at >= (gint64) cache->state_ttl_ms * 1000)
      g_hash_table_iter_remove (&iter);
}
