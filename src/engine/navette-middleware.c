/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

#define MAX_RETRY_DELAY_MS 30000

struct _NavetteMiddleware
{
  GObject        parent_instance;

  NavetteClient *client;
  GPtrArray     *stores;       /* NavetteStore*, strong */
  GListStore    *failed;       /* NavetteChange */
  GHashTable    *ops;          /* NavetteChange* → Op* (pending changes) */
  guint          max_attempts;
  guint          retry_delay;

  /* The journal (pending.json): every pending or failed change, written
   * before a change is first sent and whenever one ends. */
  GFile         *journal;
  char          *journal_server;
  char          *journal_user;
  GPtrArray     *journal_order;   /* NavetteChange*, strong, oldest first */
  GPtrArray     *journal_waiting; /* NavetteChange*, strong: sends waiting for a write */
  guint64        journal_wanted;  /* generation asked */
  guint64        journal_written; /* generation on disk */
  gboolean       journal_writing;
};

G_DEFINE_FINAL_TYPE (NavetteMiddleware, navette_middleware, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_MAX_ATTEMPTS,
  PROP_RETRY_DELAY,
  PROP_N_PENDING,
  PROP_FAILED_CHANGES,
  N_PROPS
};

enum {
  NOTIFICATION,
  CHANGE_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* A change being applied. */
typedef struct
{
  NavetteChange *change;     /* strong */
  JsonNode      *body;       /* frozen at the first send: a retry sends the same */
  char          *method;
  char          *path;
  guint          retry_source;
  gboolean       sending;
  guint64        journal_gen;  /* the write that must land before the first send */
  gboolean       journaled;    /* its body is in the journal */
  gboolean       fetched;      /* the record was asked for (not in the model) */
} Op;

static void
op_free (Op *op)
{
  g_clear_handle_id (&op->retry_source, g_source_remove);
  g_clear_pointer (&op->body, json_node_unref);
  g_clear_pointer (&op->method, g_free);
  g_clear_pointer (&op->path, g_free);
  g_clear_object (&op->change);
  g_free (op);
}

static void send_change (NavetteMiddleware *self,
                         Op                *op);

static void
navette_middleware_dispose (GObject *object)
{
  NavetteMiddleware *self = (NavetteMiddleware *)object;

  while (self->stores != NULL && self->stores->len > 0)
    navette_middleware_disconnect_store (self, g_ptr_array_index (self->stores, 0));
  g_clear_pointer (&self->ops, g_hash_table_unref);
  g_clear_object (&self->failed);
  g_clear_pointer (&self->journal_waiting, g_ptr_array_unref);
  g_clear_pointer (&self->journal_order, g_ptr_array_unref);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_middleware_parent_class)->dispose (object);
}

static void
navette_middleware_finalize (GObject *object)
{
  NavetteMiddleware *self = (NavetteMiddleware *)object;

  g_clear_pointer (&self->stores, g_ptr_array_unref);
  g_clear_object (&self->journal);
  g_clear_pointer (&self->journal_server, g_free);
  g_clear_pointer (&self->journal_user, g_free);

  G_OBJECT_CLASS (navette_middleware_parent_class)->finalize (object);
}

static void
navette_middleware_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NavetteMiddleware *self = NAVETTE_MIDDLEWARE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_uint (value, self->retry_delay);
      break;
    case PROP_N_PENDING:
      g_value_set_uint (value, navette_middleware_get_n_pending (self));
      break;
    case PROP_FAILED_CHANGES:
      g_value_set_object (value, self->failed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_middleware_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NavetteMiddleware *self = NAVETTE_MIDDLEWARE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_MAX_ATTEMPTS:
      navette_middleware_set_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_RETRY_DELAY:
      navette_middleware_set_retry_delay (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_middleware_class_init (NavetteMiddlewareClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_middleware_dispose;
  object_class->finalize = navette_middleware_finalize;
  object_class->get_property = navette_middleware_get_property;
  object_class->set_property = navette_middleware_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, 4,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_DELAY] =
    g_param_spec_uint ("retry-delay", NULL, NULL, 0, MAX_RETRY_DELAY_MS, 500,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAILED_CHANGES] =
    g_param_spec_object ("failed-changes", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, NAVETTE_TYPE_CHANGE);
  signals[CHANGE_FINISHED] =
    g_signal_new ("change-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, NAVETTE_TYPE_CHANGE);
}

static void
navette_middleware_init (NavetteMiddleware *self)
{
  self->stores = g_ptr_array_new ();
  self->failed = g_list_store_new (NAVETTE_TYPE_CHANGE);
  self->ops = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) op_free);
  self->max_attempts = 4;
  self->retry_delay = 500;
  self->journal_order = g_ptr_array_new_with_free_func (g_object_unref);
  self->journal_waiting = g_ptr_array_new_with_free_func (g_object_unref);
}

NavetteMiddleware *
navette_middleware_new (NavetteClient *client)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  return g_object_new (NAVETTE_TYPE_MIDDLEWARE, "client", client, NULL);
}

guint
navette_middleware_get_max_attempts (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), 0);
  return self->max_attempts;
}

void
navette_middleware_set_max_attempts (NavetteMiddleware *self,
                                     guint              attempts)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (attempts >= 1);

  if (self->max_attempts == attempts)
    return;
  self->max_attempts = attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
}

guint
navette_middleware_get_retry_delay (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), 0);
  return self->retry_delay;
}

void
navette_middleware_set_retry_delay (NavetteMiddleware *self,
                                    guint              msec)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  msec = MIN (msec, MAX_RETRY_DELAY_MS);
  if (self->retry_delay == msec)
    return;
  self->retry_delay = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_DELAY]);
}

guint
navette_middleware_get_n_pending (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), 0);
  return g_hash_table_size (self->ops);
}

GListModel *
navette_middleware_get_failed_changes (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), NULL);
  return G_LIST_MODEL (self->failed);
}

gboolean
navette_middleware_has_pending (NavetteMiddleware *self,
                                NavetteTable      *table,
                                const char        *record_id)
{
  NavetteRecord *record;

  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), FALSE);
  g_return_val_if_fail (NAVETTE_IS_TABLE (table), FALSE);

  record = navette_table_lookup (table, record_id);
  return record != NULL && navette_record_get_pending (record) != NULL;
}

/* ---- Applying ---- */

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_alloc ();
  return json_node_init_object (node, object);
}

/* Builds the request of @change, once. */
static void
op_build_request (Op            *op,
                  NavetteRecord *record)
{
  NavetteChange *change = op->change;
  const char *app = navette_change_get_app (change);
  const char *table = navette_change_get_table_name (change);
  const char *id = navette_change_get_record_id (change);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *suffix = NULL;
  gint64 base_version = record ? navette_record_get_version (record) : 0;

  json_builder_begin_object (builder);

  switch (navette_change_get_kind (change))
    {
    case NAVETTE_CHANGE_CREATE:
      op->method = g_strdup ("POST");
      op->path = navette_client_table_path (app, table, "/records");
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
      json_builder_set_member_name (builder, "data");
      json_builder_add_value (builder, object_node (navette_change_get_data (change)));
      break;

    case NAVETTE_CHANGE_UPDATE:
    case NAVETTE_CHANGE_ARCHIVE:
    case NAVETTE_CHANGE_UNARCHIVE:
      op->method = g_strdup ("PATCH");
      suffix = g_strdup_printf ("/records/%s", id);
      op->path = navette_client_table_path (app, table, suffix);
      if (base_version > 0)
        {
          json_builder_set_member_name (builder, "base_version");
          json_builder_add_int_value (builder, base_version);
        }
      if (navette_change_get_kind (change) == NAVETTE_CHANGE_UPDATE)
        {
          json_builder_set_member_name (builder, "data");
          json_builder_add_value (builder, object_node (navette_change_get_data (change)));
        }
      else
        {
          json_builder_set_member_name (builder, "archived");
          json_builder_add_boolean_value (builder,
                                          navette_change_get_kind (change) == NAVETTE_CHANGE_ARCHIVE);
        }
      break;

    case NAVETTE_CHANGE_REVERT:
    default:
      op->method = g_strdup ("POST");
      suffix = g_strdup_printf ("/records/%s/revert", id);
      op->path = navette_client_table_path (app, table, suffix);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, navette_change_get_revert_version (change));
      break;
    }

  json_builder_end_object (builder);
  op->body = json_builder_get_root (builder);
}

static void
notify_pending (NavetteMiddleware *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

/* ---- Journal ---- */

static void journal_request (NavetteMiddleware *self);
static void do_send (NavetteMiddleware *self,
                     Op                *op);

static const char *
kind_to_string (NavetteChangeKind kind)
{
  switch (kind)
    {
    case NAVETTE_CHANGE_CREATE: return "create";
    case NAVETTE_CHANGE_UPDATE: return "update";
    case NAVETTE_CHANGE_ARCHIVE: return "archive";
    case NAVETTE_CHANGE_UNARCHIVE: return "unarchive";
    case NAVETTE_CHANGE_REVERT: return "revert";
    default: return NULL;
    }
}

gboolean
navette_change_kind_from_string (const char        *text,
                                 NavetteChangeKind *kind)
{
  static const NavetteChangeKind kinds[] = {
    NAVETTE_CHANGE_CREATE, NAVETTE_CHANGE_UPDATE, NAVETTE_CHANGE_ARCHIVE,
    NAVETTE_CHANGE_UNARCHIVE, NAVETTE_CHANGE_REVERT,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (text, kind_to_string (kinds[i])) == 0)
      {
        *kind = kinds[i];
        return TRUE;
      }
  return FALSE;
}

static void
journal_add (NavetteMiddleware *self,
             NavetteChange     *change)
{
  if (self->journal != NULL && !g_ptr_array_find (self->journal_order, change, NULL))
    g_ptr_array_add (self->journal_order, g_object_ref (change));
}

static void
journal_forget (NavetteMiddleware *self,
                NavetteChange     *change)
{
  if (g_ptr_array_remove (self->journal_order, change))
    journal_request (self);
}

static GBytes *
journal_serialize (NavetteMiddleware *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize len;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, self->journal_server);
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, self->journal_user);
  json_builder_set_member_name (builder, "changes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->journal_order->len; i++)
    {
      NavetteChange *change = g_ptr_array_index (self->journal_order, i);
      Op *op = g_hash_table_lookup (self->ops, change);
      gboolean failed = g_list_store_find (self->failed, change, NULL);
      JsonNode *body = g_object_get_data (G_OBJECT (change), "navette-body");
      const GError *error = navette_change_get_error (change);

      if (op == NULL && !failed)
        continue;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "key");
      json_builder_add_string_value (builder, navette_change_get_idempotency_key (change));
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, failed ? "failed" : "pending");
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, kind_to_string (navette_change_get_kind (change)));
      json_builder_set_member_name (builder, "app");
      json_builder_add_string_value (builder, navette_change_get_app (change));
      json_builder_set_member_name (builder, "table");
      json_builder_add_string_value (builder, navette_change_get_table_name (change));
      json_builder_set_member_name (builder, "record");
      json_builder_add_string_value (builder, navette_change_get_record_id (change));
      if (navette_change_get_data (change) != NULL)
        {
          json_builder_set_member_name (builder, "data");
          json_builder_add_value (builder, object_node (navette_change_get_data (change)));
        }
      if (navette_change_get_revert_version (change) > 0)
        {
          json_builder_set_member_name (builder, "revert_version");
          json_builder_add_int_value (builder, navette_change_get_revert_version (change));
        }
      /* The exact request once it was (or is about to be) sent: a replay
       * must send the same bytes under the same key. */
      if (op != NULL && op->body != NULL)
        body = op->body;
      if (body != NULL)
        {
          json_builder_set_member_name (builder, "body");
          json_builder_add_value (builder, json_node_copy (body));
        }
      if (failed && error != NULL)
        {
          json_builder_set_member_name (builder, "error_code");
          json_builder_add_int_value (builder, error->code);
          json_builder_set_member_name (builder, "error_message");
          json_builder_add_string_value (builder, error->message);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = navette_json_to_string (root, &len);
  return g_bytes_new_take (text, len);
}

static void
journal_release_waiting (NavetteMiddleware *self)
{
  g_autoptr(GPtrArray) ready = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->journal_waiting->len; )
    {
      NavetteChange *change = g_ptr_array_index (self->journal_waiting, i);
      Op *op = g_hash_table_lookup (self->ops, change);

      if (op == NULL || op->journal_gen <= self->journal_written)
        g_ptr_array_add (ready, g_ptr_array_steal_index (self->journal_waiting, i));
      else
        i++;
    }

  for (guint i = 0; i < ready->len; i++)
    {
      Op *op = g_hash_table_lookup (self->ops, g_ptr_array_index (ready, i));

      if (op != NULL)
        {
          op->journaled = TRUE;
          do_send (self, op);
        }
    }
}

static void journal_write (NavetteMiddleware *self);

static void
journal_written_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(NavetteMiddleware) self = user_data;
  g_autoptr(GError) error = NULL;
  guint64 gen = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (object), "navette-gen"));

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    /* Do not hold the user's edits back: send them anyway. */
    g_debug ("Could not write the journal %s: %s", g_file_peek_path (G_FILE (object)), error->message);

  self->journal_writing = FALSE;
  if (self->ops == NULL)
    return;   /* disposed */
  self->journal_written = MAX (self->journal_written, gen);
  journal_release_waiting (self);
  if (self->journal_wanted > self->journal_written)
    journal_write (self);
}

static void
journal_write (NavetteMiddleware *self)
{
  g_autoptr(GBytes) bytes = NULL;

  if (self->journal_writing || self->journal == NULL)
    return;

  self->journal_writing = TRUE;
  bytes = journal_serialize (self);
  g_object_set_data (G_OBJECT (self->journal), "navette-gen",
                     GSIZE_TO_POINTER ((gsize) self->journal_wanted));
  /* Atomic (a temporary file renamed over the old one) and synced. */
  g_file_replace_contents_bytes_async (self->journal, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, journal_written_cb, g_object_ref (self));
}

/* Asks for a write of the current state; returns its generation. */
static void
journal_request (NavetteMiddleware *self)
{
  if (self->journal == NULL)
    return;
  self->journal_wanted++;
  journal_write (self);
}

void
navette_middleware_set_journal (NavetteMiddleware *self,
                                GFile             *file,
                                const char        *server,
                                const char        *user)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  g_set_object (&self->journal, file);
  g_free (self->journal_server);
  self->journal_server = g_strdup (server);
  g_free (self->journal_user);
  self->journal_user = g_strdup (user);
  if (file != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (file);

      if (parent != NULL)
        g_mkdir_with_parents (g_file_peek_path (parent), 0700);
    }
}

GFile *
navette_middleware_get_journal (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), NULL);
  return self->journal;
}

/* Applies @change optimistically and queues it. */
static void
apply_change (NavetteMiddleware *self,
              NavetteChange     *change,
              JsonNode          *frozen_body)
{
  NavetteTable *table = navette_change_get_table (change);
  const char *id = navette_change_get_record_id (change);
  NavetteRecord *record = navette_table_lookup (table, id);
  JsonObject *data = navette_change_get_data (change);
  gboolean first;
  Op *op;

  op = g_new0 (Op, 1);
  op->change = g_object_ref (change);
  g_hash_table_insert (self->ops, change, op);
  journal_add (self, change);

  if (record == NULL && navette_change_get_kind (change) == NAVETTE_CHANGE_CREATE)
    {
      g_autoptr(NavetteRecord) created = navette_record_new_for_id (id);

      navette_record_add_pending (created, change);
      navette_record_recompute (created);
      navette_table_insert_record (table, created);
      record = created;
      first = TRUE;
    }
  else if (record != NULL)
    {
      GPtrArray *pending = navette_record_get_pending (record);

      first = pending == NULL;

      if (data != NULL)
        {
          g_autoptr(JsonObject) previous = json_object_new ();
          JsonObjectIter iter;
          const char *name;
          JsonNode *node;

          json_object_iter_init (&iter, data);
          while (json_object_iter_next (&iter, &name, &node))
            {
              JsonNode *old = navette_record_get_value (record, name);
              json_object_set_member (previous, name,
                                      old ? json_node_copy (old) : json_node_init_null (json_node_alloc ()));
            }
          navette_change_set_previous (change, previous);
        }

      navette_record_set_error (record, NULL);
      navette_record_add_pending (record, change);
      if (navette_record_recompute (record))
        navette_table_record_changed (table, record);
    }
  else
    {
      /* Not in the model (not loaded): nothing to show, just send. */
      first = TRUE;
    }

  navette_change_set_record (change, record);
  navette_change_set_state (change, NAVETTE_CHANGE_STATE_PENDING, NULL);

  if (frozen_body != NULL)
    {
      /* A retry of a failed change: the same request with the same key. */
      op_build_request (op, record);
      json_node_unref (op->body);
      op->body = json_node_ref (frozen_body);
      g_object_set_data_full (G_OBJECT (change), "navette-body",
                              json_node_ref (frozen_body), (GDestroyNotify) json_node_unref);
    }
  /* Otherwise the request is built when it is sent: a change queued
   * behind another one of the same record (an update right after an
   * optimistic create) then carries the version that one produced. */

  notify_pending (self);

  /* Changes of one record go out one at a time, in order. */
  if (first)
    send_change (self, op);
}

/* Sends the next queued change of @record, if any. */
static void
send_next (NavetteMiddleware *self,
           NavetteRecord     *record)
{
  GPtrArray *pending;

  if (record == NULL || (pending = navette_record_get_pending (record)) == NULL)
    return;

  for (guint i = 0; i < pending->len; i++)
    {
      Op *op = g_hash_table_lookup (self->ops, g_ptr_array_index (pending, i));

      if (op == NULL)
        continue;
      if (op->sending || op->retry_source != 0)
        return;
      send_change (self, op);
      return;
    }
}

static void
finish_change (NavetteMiddleware  *self,
               NavetteChange      *change,
               NavetteChangeState  state,
               const GError       *error)
{
  g_autoptr(NavetteChange) hold = g_object_ref (change);
  NavetteRecord *record = navette_change_get_record (change);
  NavetteTable *table = navette_change_get_table (change);

  g_hash_table_remove (self->ops, change);
  if (state != NAVETTE_CHANGE_STATE_FAILED)
    journal_forget (self, change);

  if (record != NULL)
    {
      navette_record_remove_pending (record, change);
      navette_record_set_error (record, error);
      navette_record_recompute (record);

      if (navette_record_get_server (record) == NULL &&
          navette_record_get_pending (record) == NULL)
        navette_table_remove_record (table, record);
      else
        navette_table_record_changed (table, record);
    }

  notify_pending (self);

  if (state == NAVETTE_CHANGE_STATE_FAILED)
    {
      g_autofree char *message = NULL;

      g_list_store_append (self->failed, change);
      navette_change_set_state (change, state, error);
      journal_request (self);

      /* Translators: the first %s describes the change ("Set price to 12.5"),
       * the second is the reason */
      message = g_strdup_printf (_("Could not save “%s”: %s"),
                                 navette_change_get_description (change),
                                 error ? error->message : "");
      g_signal_emit (self, signals[NOTIFICATION], 0, message,
                     (guint) NAVETTE_NOTIFICATION_CHANGE_FAILED, change);
    }
  else
    navette_change_set_state (change, state, error);

  g_signal_emit (self, signals[CHANGE_FINISHED], 0, change);

  send_next (self, record);
}

typedef struct
{
  NavetteMiddleware *self;
  NavetteChange     *change;
} SendData;

static gboolean
retry_timeout_cb (gpointer user_data)
{
  SendData *data = user_data;
  Op *op = data->self->ops ? g_hash_table_lookup (data->self->ops, data->change) : NULL;

  if (op != NULL)
    {
      op->retry_source = 0;
      send_change (data->self, op);
    }

  return G_SOURCE_REMOVE;
}

static void
send_data_free (gpointer user_data)
{
  SendData *data = user_data;

  g_object_unref (data->self);
  g_object_unref (data->change);
  g_free (data);
}

/* The server validates in its own language (normally English): run the
 * same validation here, with the schema the engine has, so that the
 * per-field messages of a 422 reach the user translated. */
static GError *
localize_validation_error (NavetteChange *change,
                           const GError  *error)
{
  NavetteTable *table = navette_change_get_table (change);
  const NavetteWireTable *schema;
  JsonObject *data = navette_change_get_data (change);
  g_autoptr(GHashTable) local = NULL;
  NavetteChangeKind kind = navette_change_get_kind (change);

  if (!g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION) ||
      table == NULL || data == NULL ||
      (kind != NAVETTE_CHANGE_CREATE && kind != NAVETTE_CHANGE_UPDATE))
    return NULL;
  schema = navette_table_get_schema (table);
  if (schema == NULL)
    return NULL;
  if (navette_wire_validate_data (schema, data, kind == NAVETTE_CHANGE_CREATE, &local))
    return NULL;

  return navette_sync_error_localize_fields (error, local);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendData *data = user_data;
  NavetteMiddleware *self = data->self;
  NavetteChange *change = data->change;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NavetteWireRecord) wire = NULL;
  Op *op;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  op = self->ops ? g_hash_table_lookup (self->ops, change) : NULL;
  if (op == NULL)
    {
      /* Disposed or discarded meanwhile. */
      send_data_free (data);
      return;
    }
  op->sending = FALSE;

  if (root != NULL)
    {
      g_autoptr(GError) parse_error = NULL;

      if (JSON_NODE_HOLDS_OBJECT (root))
        wire = navette_wire_record_from_json (json_node_get_object (root), &parse_error);
      if (wire == NULL)
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                                     _("The server’s answer could not be understood."));
    }
  else if (error == NULL)
    error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                                 _("The server’s answer could not be understood."));

  if (wire != NULL)
    {
      NavetteRecord *record = navette_change_get_record (change);
      NavetteTable *table = navette_change_get_table (change);

      navette_change_set_result (change, wire);
      navette_table_mark_own (table, wire->id, wire->version);
      if (record != NULL)
        {
          /* Reconcile: the server's answer becomes the base; the change
           * leaves the pending list in finish_change(). */
          navette_record_set_server (record, wire);
        }
      finish_change (self, change, NAVETTE_CHANGE_STATE_SUCCEEDED, NULL);
    }
  else if (navette_sync_error_is_transient (error) &&
           navette_change_get_attempts (change) < self->max_attempts)
    {
      guint attempt = navette_change_get_attempts (change);
      double delay = (double) self->retry_delay * (double) (1u << MIN (attempt - 1, 16));
      SendData *retry;

      delay = MIN (delay, MAX_RETRY_DELAY_MS);
      delay *= g_random_double_range (0.75, 1.25);

      g_debug ("Retrying “%s” in %.0f ms (%s)",
               navette_change_get_description (change), delay, error->message);

      retry = g_new0 (SendData, 1);
      retry->self = g_object_ref (self);
      retry->change = g_object_ref (change);
      op->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) delay,
                                             retry_timeout_cb, retry, send_data_free);
    }
  else
    {
      g_autoptr(GError) local_error = localize_validation_error (change, error);

      finish_change (self, change, NAVETTE_CHANGE_STATE_FAILED,
                     local_error != NULL ? local_error : error);
    }

  send_data_free (data);
}

static void
fetch_for_send_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  SendData *data = user_data;
  NavetteMiddleware *self = data->self;
  NavetteChange *change = data->change;
  g_autoptr(NavetteRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  Op *op;

  record = navette_table_fetch_record_finish (NAVETTE_TABLE (object), result, &error);
  op = self->ops ? g_hash_table_lookup (self->ops, change) : NULL;
  if (op == NULL)
    {
      send_data_free (data);
      return;
    }
  op->sending = FALSE;

  if (g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND))
    {
      finish_change (self, change, NAVETTE_CHANGE_STATE_FAILED, error);
      send_data_free (data);
      return;
    }

  if (record != NULL && navette_change_get_record (change) == NULL)
    {
      JsonObject *values = navette_change_get_data (change);

      /* Now in the model: show the change on it, as for any other. */
      if (values != NULL)
        {
          g_autoptr(JsonObject) previous = json_object_new ();
          JsonObjectIter iter;
          const char *name;
          JsonNode *node;

          json_object_iter_init (&iter, values);
          while (json_object_iter_next (&iter, &name, &node))
            {
              JsonNode *old = navette_record_get_value (record, name);
              json_object_set_member (previous, name,
                                      old ? json_node_copy (old) : json_node_init_null (json_node_alloc ()));
            }
          navette_change_set_previous (change, previous);
        }
      navette_record_add_pending (record, change);
      navette_change_set_record (change, record);
      if (navette_record_recompute (record))
        navette_table_record_changed (navette_change_get_table (change), record);
    }
  else if (error != NULL)
    g_debug ("Could not fetch %s before sending: %s",
             navette_change_get_record_id (change), error->message);

  send_change (self, op);
  send_data_free (data);
}

static void
send_change (NavetteMiddleware *self,
             Op                *op)
{
  NavetteChangeKind kind = navette_change_get_kind (op->change);

  g_assert (!op->sending);

  /* An update of a record that is not in the model (its table not
   * loaded, a change put back from the journal): ask for its current
   * version first, so that it is not sent without a base version. */
  if (op->body == NULL && !op->fetched && navette_change_get_record (op->change) == NULL &&
      (kind == NAVETTE_CHANGE_UPDATE || kind == NAVETTE_CHANGE_ARCHIVE ||
       kind == NAVETTE_CHANGE_UNARCHIVE))
    {
      SendData *data = g_new0 (SendData, 1);

      op->fetched = TRUE;
      op->sending = TRUE;
      data->self = g_object_ref (self);
      data->change = g_object_ref (op->change);
      navette_table_fetch_record_async (navette_change_get_table (op->change),
                                        navette_change_get_record_id (op->change),
                                        NULL, fetch_for_send_cb, data);
      return;
    }

  if (op->body == NULL)
    {
      op_build_request (op, navette_change_get_record (op->change));
      /* Frozen for a later retry from the failed list. */
      g_object_set_data_full (G_OBJECT (op->change), "navette-body",
                              json_node_ref (op->body), (GDestroyNotify) json_node_unref);
    }

  op->sending = TRUE;

  if (self->journal != NULL && !op->journaled)
    {
      /* On disk before it leaves: a crash from now on replays it with
       * the same key. */
      journal_request (self);
      op->journal_gen = self->journal_wanted;
      g_ptr_array_add (self->journal_waiting, g_object_ref (op->change));
      return;
    }

  do_send (self, op);
}

static void
do_send (NavetteMiddleware *self,
         Op                *op)
{
  SendData *data;

  navette_change_add_attempt (op->change);

  data = g_new0 (SendData, 1);
  data->self = g_object_ref (self);
  data->change = g_object_ref (op->change);

  navette_client_request_async (self->client, op->method, op->path, op->body,
                                navette_change_get_idempotency_key (op->change),
                                NULL, NULL, send_cb, data);
}

static void
action_cb (NavetteStore      *store,
           NavetteChange     *change,
           NavetteMiddleware *self)
{
  apply_change (self, change, NULL);
}

void
navette_middleware_connect_store (NavetteMiddleware *self,
                                  NavetteStore      *store)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));

  if (g_ptr_array_find (self->stores, store, NULL))
    return;

  g_ptr_array_add (self->stores, g_object_ref (store));
  g_signal_connect_object (store, "create", G_CALLBACK (action_cb), self, 0);
  g_signal_connect_object (store, "update", G_CALLBACK (action_cb), self, 0);
}

void
navette_middleware_disconnect_store (NavetteMiddleware *self,
                                     NavetteStore      *store)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));

  if (!g_ptr_array_remove (self->stores, store))
    return;

  g_signal_handlers_disconnect_by_data (store, self);
  g_object_unref (store);
}

static gboolean
take_failed (NavetteMiddleware *self,
             NavetteChange     *change)
{
  guint pos;

  if (!g_list_store_find (self->failed, change, &pos))
    return FALSE;
  g_list_store_remove (self->failed, pos);
  return TRUE;
}

void
navette_middleware_retry (NavetteMiddleware *self,
                          NavetteChange     *change)
{
  g_autoptr(NavetteChange) hold = NULL;
  JsonNode *body;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_CHANGE (change));

  hold = g_object_ref (change);
  if (!take_failed (self, change))
    return;

  navette_change_reset_attempts (change);
  body = g_object_get_data (G_OBJECT (change), "navette-body");
  apply_change (self, change, body);
}

void
navette_middleware_retry_all (NavetteMiddleware *self)
{
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->failed));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (changes, g_list_model_get_item (G_LIST_MODEL (self->failed), i));
  for (guint i = 0; i < changes->len; i++)
    navette_middleware_retry (self, g_ptr_array_index (changes, i));
}

void
navette_middleware_discard (NavetteMiddleware *self,
                            NavetteChange     *change)
{
  g_autoptr(NavetteChange) hold = NULL;
  NavetteRecord *record;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_CHANGE (change));

  hold = g_object_ref (change);
  if (!take_failed (self, change))
    return;

  navette_change_set_state (change, NAVETTE_CHANGE_STATE_DISCARDED, navette_change_get_error (change));
  journal_forget (self, change);

  record = navette_change_get_record (change);
  if (record != NULL && navette_record_get_error (record) != NULL)
    {
      navette_record_set_error (record, NULL);
      if (navette_record_recompute (record))
        navette_table_record_changed (navette_change_get_table (change), record);
    }
}

void
navette_middleware_replay (NavetteMiddleware *self,
                           NavetteChange     *change,
                           JsonNode          *body,
                           const GError      *error)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_CHANGE (change));

  if (body != NULL)
    g_object_set_data_full (G_OBJECT (change), "navette-body",
                            json_node_ref (body), (GDestroyNotify) json_node_unref);

  if (error != NULL)
    {
      /* It had failed: back in the failed list, for the user to retry or
       * discard. */
      journal_add (self, change);
      navette_change_set_state (change, NAVETTE_CHANGE_STATE_FAILED, error);
      g_list_store_append (self->failed, change);
      return;
    }

  apply_change (self, change, body);
}
