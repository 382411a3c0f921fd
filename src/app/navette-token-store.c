/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <libsecret/secret.h>

#include "navette-token-store.h"

struct _NavetteTokenStore
{
  GObject     parent_instance;

  GHashTable *memory;   /* "server\nusername" → token */
  gboolean    no_keyring;
};

G_DEFINE_FINAL_TYPE (NavetteTokenStore, navette_token_store, G_TYPE_OBJECT)

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "org.navette.Navette.Token", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };
  return &schema;
}

static char *
memory_key (const char *server,
            const char *username)
{
  return g_strconcat (server, "\n", username, NULL);
}

static void
navette_token_store_finalize (GObject *object)
{
  NavetteTokenStore *self = NAVETTE_TOKEN_STORE (object);

  g_clear_pointer (&self->memory, g_hash_table_unref);
  G_OBJECT_CLASS (navette_token_store_parent_class)->finalize (object);
}

static void
navette_token_store_class_init (NavetteTokenStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = navette_token_store_finalize;
}

static void
navette_token_store_init (NavetteTokenStore *self)
{
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Without a session bus, libsecret cannot reach any keyring. */
  self->no_keyring = g_strcmp0 (g_getenv ("NAVETTE_NO_KEYRING"), "1") == 0 ||
                     g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL;
}

NavetteTokenStore *
navette_token_store_new (void)
{
  return g_object_new (NAVETTE_TYPE_TOKEN_STORE, NULL);
}

/* A call about @username on @server; its task data is their memory key. */
static GTask *
task_new (NavetteTokenStore   *self,
          gpointer             source_tag,
          const char          *server,
          const char          *username,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, memory_key (server, username), g_free);
  return task;
}

/* The keyring answered a save or a clear: without a keyring, the memory
 * alone (already changed) holds the token. */
static void
keyring_written_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (g_task_get_source_tag (task) == navette_token_store_save_async)
    secret_password_store_finish (result, &error);
  else
    secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_debug ("No keyring, the token stays in memory: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

void
navette_token_store_save_async (NavetteTokenStore   *self,
                                const char          *server,
                                const char          *username,
                                const char          *token,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NAVETTE_IS_TOKEN_STORE (self));
  g_return_if_fail (server != NULL && username != NULL && token != NULL);

  task = task_new (self, navette_token_store_save_async, server, username, cancellable, callback, user_data);
  g_hash_table_replace (self->memory, memory_key (server, username), g_strdup (token));
  if (self->no_keyring)
    g_task_return_boolean (task, TRUE);
  else
    secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, "Navette", token, cancellable,
                           keyring_written_cb, g_steal_pointer (&task),
                           "server", server, "username", username, NULL);
}

gboolean
navette_token_store_save_finish (NavetteTokenStore  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_debug ("No keyring: %s", error->message);
  if (token == NULL)
    {
      NavetteTokenStore *self = g_task_get_source_object (task);

      token = g_strdup (g_hash_table_lookup (self->memory, g_task_get_task_data (task)));
    }
  g_task_return_pointer (task, token, g_free);
}

void
navette_token_store_lookup_async (NavetteTokenStore   *self,
                                  const char          *server,
                                  const char          *username,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NAVETTE_IS_TOKEN_STORE (self));
  g_return_if_fail (server != NULL && username != NULL);

  task = task_new (self, navette_token_store_lookup_async, server, username, cancellable, callback, user_data);
  if (self->no_keyring)
    g_task_return_pointer (task, g_strdup (g_hash_table_lookup (self->memory, g_task_get_task_data (task))), g_free);
  else
    secret_password_lookup (token_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                            "server", server, "username", username, NULL);
}

char *
navette_token_store_lookup_finish (NavetteTokenStore  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
navette_token_store_clear_async (NavetteTokenStore   *self,
                                 const char          *server,
                                 const char          *username,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NAVETTE_IS_TOKEN_STORE (self));
  g_return_if_fail (server != NULL && username != NULL);

  task = task_new (self, navette_token_store_clear_async, server, username, cancellable, callback, user_data);
  g_hash_table_remove (self->memory, g_task_get_task_data (task));
  if (self->no_keyring)
    g_task_return_boolean (task, TRUE);
  else
    secret_password_clear (token_schema (), cancellable, keyring_written_cb, g_steal_pointer (&task),
                           "server", server, "username", username, NULL);
}

gboolean
navette_token_store_clear_finish (NavetteTokenStore  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
