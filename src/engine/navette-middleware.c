/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"
#include "navette-journal.h"
#include "navette-middleware-private.h"


G_DEFINE_FINAL_TYPE (NavetteMiddleware, navette_middleware, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_N_PENDING,
  PROP_N_WAITING,
  PROP_ONLINE,
  PROP_FAILED_CHANGES,
  PROP_JOURNAL_ERROR,
  N_PROPS
};

enum {
  NOTIFICATION,
  CHANGE_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];


static void
op_free (Op *op)
{
  g_clear_pointer (&op->body, json_node_unref);
  g_clear_pointer (&op->method, g_free);
  g_clear_pointer (&op->path, g_free);
  g_clear_pointer (&op->queue_key, g_free);
  g_clear_object (&op->change);
  g_free (op);
}

/* A 401: the session expired or was revoked. */
static gboolean
is_auth_error (const GError *error)
{
  return g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED) ||
         g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED);
}

static void pump       (NavetteMiddleware *self,
                        const char        *queue_key);

static void
navette_middleware_dispose (GObject *object)
{
  NavetteMiddleware *self = (NavetteMiddleware *)object;

  g_cancellable_cancel (self->cancellable);
  while (self->stores != NULL && self->stores->len > 0)
    navette_middleware_disconnect_store (self, g_ptr_array_index (self->stores, 0));
  g_clear_pointer (&self->queues, g_hash_table_unref);
  g_clear_pointer (&self->ops, g_hash_table_unref);
  g_clear_object (&self->failed);
  if (self->journal != NULL)
    g_signal_handlers_disconnect_by_data (self->journal, self);
  g_clear_object (&self->journal);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (navette_middleware_parent_class)->dispose (object);
}

static void
navette_middleware_finalize (GObject *object)
{
  NavetteMiddleware *self = (NavetteMiddleware *)object;

  g_clear_pointer (&self->stores, g_ptr_array_unref);
  g_clear_object (&self->cancellable);

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
    case PROP_N_PENDING:
      g_value_set_uint (value, navette_middleware_get_n_pending (self));
      break;
    case PROP_N_WAITING:
      g_value_set_uint (value, self->n_waiting);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_FAILED_CHANGES:
      g_value_set_object (value, self->failed);
      break;
    case PROP_JOURNAL_ERROR:
      g_value_set_boxed (value, navette_middleware_get_journal_error (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_middleware_class_init (NavetteMiddlewareClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_middleware_dispose;
  object_class->finalize = navette_middleware_finalize;
  object_class->get_property = navette_middleware_get_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, NAVETTE_TYPE_CLIENT, ro);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_WAITING] =
    g_param_spec_uint ("n-waiting", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE, ro);
  properties[PROP_FAILED_CHANGES] =
    g_param_spec_object ("failed-changes", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  properties[PROP_JOURNAL_ERROR] =
    g_param_spec_boxed ("journal-error", NULL, NULL, G_TYPE_ERROR, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, NAVETTE_TYPE_NOTIFICATION_KIND, NAVETTE_TYPE_CHANGE);
  signals[CHANGE_FINISHED] =
    g_signal_new ("change-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, NAVETTE_TYPE_CHANGE);
}

static void
queue_free (gpointer data)
{
  g_queue_free (data);
}

static void
navette_middleware_init (NavetteMiddleware *self)
{
  self->stores = g_ptr_array_new ();
  self->failed = g_list_store_new (NAVETTE_TYPE_CHANGE);
  self->ops = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) op_free);
  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);
  self->cancellable = g_cancellable_new ();
  self->online = TRUE;
}

NavetteMiddleware *
navette_middleware_new (NavetteClient *client)
{
  NavetteMiddleware *self;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (client), NULL);

  self = g_object_new (NAVETTE_TYPE_MIDDLEWARE, NULL);
  self->client = g_object_ref (client);
  return self;
}

guint
navette_middleware_get_n_pending (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), 0);
  return self->ops != NULL ? g_hash_table_size (self->ops) : 0;
}

guint
navette_middleware_get_n_waiting (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), 0);
  return self->n_waiting;
}

gboolean
navette_middleware_get_online (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), FALSE);
  return self->online;
}

GListModel *
navette_middleware_get_failed_changes (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), NULL);
  return G_LIST_MODEL (self->failed);
}

JsonNode *
_navette_middleware_object_node (JsonObject *object)
{
  JsonNode *node = json_node_alloc ();
  return json_node_init_object (node, object);
}

static char *
queue_key_for (NavetteChange *change)
{
  return g_strdup_printf ("%s/%s/%s", navette_change_get_app (change),
                          navette_change_get_table_name (change),
                          navette_change_get_record_id (change));
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
  gint64 base_version = navette_change_get_base_version (change);

  /* The version the user saw when there is one; otherwise the one the
   * engine knows now (after the changes queued before this one). */
  if (base_version <= 0 && record != NULL)
    base_version = navette_record_get_version (record);

  json_builder_begin_object (builder);

  switch (navette_change_get_kind (change))
    {
    case NAVETTE_CHANGE_CREATE:
      op->method = g_strdup ("POST");
      op->path = navette_client_table_path (app, table, "/records");
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
      json_builder_set_member_name (builder, "data");
      json_builder_add_value (builder, _navette_middleware_object_node (navette_change_get_data (change)));
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
          /* Only the columns the change names: the server keeps the
           * others as they are now, whoever wrote them. */
          json_builder_set_member_name (builder, "data");
          json_builder_add_value (builder, _navette_middleware_object_node (navette_change_get_data (change)));
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
notify_counts (NavetteMiddleware *self)
{
  guint n_waiting = 0;
  GHashTableIter iter;
  gpointer value;

  if (self->ops == NULL)
    return;
  g_hash_table_iter_init (&iter, self->ops);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n_waiting += navette_change_get_waiting (((Op *) value)->change);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
  if (n_waiting != self->n_waiting)
    {
      self->n_waiting = n_waiting;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WAITING]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* Marks @op waiting for the server (or not), and shows it on its row. */
static void
op_set_waiting (NavetteMiddleware *self,
                Op                *op,
                gboolean           waiting)
{
  NavetteRecord *record = navette_change_get_record (op->change);

  if (navette_change_get_waiting (op->change) == !!waiting)
    return;
  navette_change_set_waiting (op->change, waiting);
  if (waiting)
    {
      self->had_waiting = TRUE;
      self->waited_offline |= !self->online;
    }
  if (record != NULL && navette_record_recompute (record))
    navette_table_record_changed (navette_change_get_table (op->change), record);
}

/* ---- Applying ---- */

static void send_change (NavetteMiddleware *self,
                         Op                *op);

static void
record_previous (NavetteChange *change,
                 NavetteRecord *record)
{
  JsonObject *data = navette_change_get_data (change);
  g_autoptr(JsonObject) previous = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (data == NULL)
    return;
  previous = json_object_new ();
  json_object_iter_init (&iter, data);
  while (json_object_iter_next (&iter, &name, &node))
    {
      JsonNode *old = navette_record_get_value (record, name);
      json_object_set_member (previous, name,
                              old ? json_node_copy (old) : json_node_init_null (json_node_alloc ()));
    }
  navette_change_set_previous (change, previous);
}

/* Queues @op in the order the changes were made: behind the changes of
 * its record made before it — a retried change goes before those made
 * after it that are not on their way yet. */
static void
queue_insert (GQueue *queue,
              Op     *op)
{
  guint64 sequence = navette_change_get_sequence (op->change);

  for (GList *l = queue->head; l != NULL; l = l->next)
    {
      Op *other = l->data;

      if (!other->sending && navette_change_get_sequence (other->change) > sequence)
        {
          g_queue_insert_before (queue, l, op);
          return;
        }
    }
  g_queue_push_tail (queue, op);
}

/* Applies @change optimistically and queues it behind the other changes
 * of its record made before it. */
static void
apply_change (NavetteMiddleware *self,
              NavetteChange     *change,
              JsonNode          *frozen_body)
{
  NavetteTable *table = navette_change_get_table (change);
  const char *id = navette_change_get_record_id (change);
  NavetteRecord *record = navette_table_lookup (table, id);
  GQueue *queue;
  Op *op;

  op = g_new0 (Op, 1);
  op->change = g_object_ref (change);
  op->queue_key = queue_key_for (change);
  g_hash_table_insert (self->ops, change, op);
  queue = g_hash_table_lookup (self->queues, op->queue_key);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->queues, g_strdup (op->queue_key), queue);
    }
  queue_insert (queue, op);

  if (record == NULL && navette_change_get_kind (change) == NAVETTE_CHANGE_CREATE)
    {
      g_autoptr(NavetteRecord) created = navette_record_new_for_id (id);

      navette_record_insert_pending (created, change);
      navette_record_recompute (created);
      navette_table_insert_record (table, created);
      record = created;
    }
  else if (record != NULL)
    {
      record_previous (change, record);
      navette_record_set_error (record, NULL);
      navette_record_insert_pending (record, change);
      if (navette_record_recompute (record))
        navette_table_record_changed (table, record);
    }
  /* Otherwise not in the model (not loaded): nothing to show yet. */

  navette_change_set_record (change, record);
  navette_change_set_state (change, NAVETTE_CHANGE_STATE_PENDING, NULL);

  if (frozen_body != NULL)
    {
      /* A resend (a retry, a change put back from the journal): the same
       * request with the same key. */
      op_build_request (op, record);
      json_node_unref (op->body);
      op->body = json_node_ref (frozen_body);
      g_object_set_data_full (G_OBJECT (change), "navette-body",
                              json_node_ref (frozen_body), (GDestroyNotify) json_node_unref);
    }
  else if (navette_change_get_kind (change) == NAVETTE_CHANGE_CREATE ||
           navette_change_get_base_version (change) > 0 ||
           (record != NULL && navette_record_get_version (record) > 0))
    {
      /* The request is known now — made on the version shown (the user's
       * base): it goes into the journal with the change, in the same
       * write, and nothing waits for the disk again when it is sent. */
      op_build_request (op, record);
      g_object_set_data_full (G_OBJECT (change), "navette-body",
                              json_node_ref (op->body), (GDestroyNotify) json_node_unref);
    }
  /* Otherwise the request is built when it is sent: a change queued
   * behind an optimistic create of the same record then carries the
   * version that one produced, and one not in the model asks for it. */

  /* On disk before it leaves (the apply above is reported at once; the
   * change is "journaled" when the write is durable). */
  _navette_middleware_journal_put (self, change, op, FALSE);
  if (!self->online || self->signed_out)
    op_set_waiting (self, op, TRUE);
  notify_counts (self);

  pump (self, op->queue_key);
}

static void
maybe_all_saved (NavetteMiddleware *self)
{
  guint n = 0;

  if (self->ops == NULL || g_hash_table_size (self->ops) > 0 || !self->had_waiting)
    return;
  n = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (self), "navette-n-waited"));
  g_object_set_data (G_OBJECT (self), "navette-n-waited", NULL);
  self->had_waiting = FALSE;
  if (self->failed_since || n == 0)
    {
      /* Not everything (the failures were said one by one), or nothing
       * that waited was sent. */
      self->failed_since = FALSE;
      self->waited_offline = FALSE;
      return;
    }
  {
    g_autofree char *message = NULL;

    if (self->waited_offline)
      /* Translators: a discreet toast once the server answers again */
      message = g_strdup_printf (ngettext ("The change made while the server could not be reached is saved.",
                                           "All %u changes made while the server could not be reached are saved.",
                                           n), n);
    else
      /* Translators: a discreet toast after signing in again */
      message = g_strdup_printf (ngettext ("The change made while your session had expired is saved.",
                                           "All %u changes made while your session had expired are saved.",
                                           n), n);
    self->waited_offline = FALSE;

    g_signal_emit (self, signals[NOTIFICATION], 0, message,
                   (guint) NAVETTE_NOTIFICATION_ALL_SAVED, NULL);
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
  Op *op = g_hash_table_lookup (self->ops, change);
  g_autofree char *queue_key = NULL;

  g_assert (op != NULL);
  queue_key = g_strdup (op->queue_key);
  g_queue_remove (g_hash_table_lookup (self->queues, queue_key), op);
  if (navette_change_get_waiting (change))
    navette_change_set_waiting (change, FALSE);
  g_hash_table_remove (self->ops, change);
  if (state != NAVETTE_CHANGE_STATE_FAILED)
    _navette_middleware_journal_forget (self, change);

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

  notify_counts (self);

  if (state == NAVETTE_CHANGE_STATE_FAILED)
    {
      g_autofree char *message = NULL;

      g_list_store_append (self->failed, change);
      navette_change_set_state (change, state, error);
      _navette_middleware_journal_put (self, change, NULL, TRUE);

      if (is_auth_error (error))
        /* Sent again by itself after the next sign-in: not a failure the
         * user has to act on, beyond signing in. */
        /* Translators: a discreet toast; %s describes the change ("Set
         * price to 12.5") */
        message = g_strdup_printf (_("Your session has expired: “%s” will be saved once you sign in again."),
                                   navette_change_get_description (change));
      else
        {
          if (self->had_waiting)
            self->failed_since = TRUE;
          /* Translators: the first %s describes the change ("Set price to 12.5"),
           * the second is the reason */
          message = g_strdup_printf (_("Could not save “%s”: %s"),
                                     navette_change_get_description (change),
                                     error ? error->message : "");
        }
      g_signal_emit (self, signals[NOTIFICATION], 0, message,
                     (guint) NAVETTE_NOTIFICATION_CHANGE_FAILED, change);
    }
  else
    navette_change_set_state (change, state, error);

  g_signal_emit (self, signals[CHANGE_FINISHED], 0, change);

  if (self->ops == NULL)
    return;   /* disposed by a handler */
  maybe_all_saved (self);
  pump (self, queue_key);
}

/* Sends the first change of the record's queue when it may go. */
static void
pump (NavetteMiddleware *self,
      const char        *queue_key)
{
  GQueue *queue;
  Op *head;

  if (self->queues == NULL || self->failing_store)
    return;
  queue = g_hash_table_lookup (self->queues, queue_key);
  if (queue == NULL)
    return;
  if (g_queue_is_empty (queue))
    {
      g_hash_table_remove (self->queues, queue_key);
      return;
    }

  head = g_queue_peek_head (queue);
  if (head->sending)
    return;
  if (!self->online || self->signed_out)
    {
      /* Kept (applied, in the journal) until the server answers again. */
      for (GList *l = queue->head; l != NULL; l = l->next)
        op_set_waiting (self, l->data, TRUE);
      notify_counts (self);
      return;
    }
  if (self->journal != NULL && !navette_journal_is_written (self->journal, head->ticket))
    return;   /* _navette_middleware_journal_written_cb pumps again */

  send_change (self, head);
}

void
_navette_middleware_pump_all (NavetteMiddleware *self)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  if (self->queues == NULL)
    return;
  g_hash_table_iter_init (&iter, self->queues);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, g_strdup (key));
  for (guint i = 0; i < keys->len; i++)
    pump (self, g_ptr_array_index (keys, i));
}

typedef struct
{
  NavetteMiddleware *self;
  NavetteChange     *change;
} SendData;

static SendData *
send_data_new (NavetteMiddleware *self,
               NavetteChange     *change)
{
  SendData *data = g_new0 (SendData, 1);

  data->self = g_object_ref (self);
  data->change = g_object_ref (change);
  return data;
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

/* Nothing more leaves: every change not on its way waits (applied, in
 * the journal) until navette_middleware_resume(). */
static void
hold_all (NavetteMiddleware *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->ops);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Op *op = value;

      if (!op->sending)
        op_set_waiting (self, op, TRUE);
    }
  notify_counts (self);
}

/* The server cannot be reached or cannot answer now: keep the change, and
 * everything behind it, until it can. */
static void
hold (NavetteMiddleware *self)
{
  if (self->online)
    {
      self->online = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
    }
  hold_all (self);
}

void
navette_middleware_wait_for_sign_in (NavetteMiddleware *self)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  if (self->ops == NULL)
    return;
  /* Never sent with a token the server refuses: they wait (nothing
   * refused them) until a new session exists. */
  self->signed_out = TRUE;
  hold_all (self);
}

/* ---- Last write wins, said ---- */

static void
superseded_versions_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  SendData *data = user_data;
  NavetteChange *change = data->change;
  NavetteWireRecord *mine = navette_change_get_result (change);
  GArray *superseded = navette_change_get_superseded (change);
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) others = g_array_new (FALSE, FALSE, sizeof (gint64));
  const NavetteWireRecord *newest = NULL;
  g_autofree char *message = NULL;

  versions = navette_client_list_versions_finish (NAVETTE_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      data->self->ops == NULL)
    {
      send_data_free (data);
      return;
    }

  for (guint i = 0; i < superseded->len; i++)
    {
      gint64 version = g_array_index (superseded, gint64, i);
      const NavetteWireRecord *found = NULL;

      for (guint j = 0; versions != NULL && j < versions->len; j++)
        {
          const NavetteWireRecord *wire = g_ptr_array_index (versions, j);

          if (wire->version == version)
            found = wire;
        }
      /* Written by this same user (another window, an earlier run): not
       * someone else's work. */
      if (found != NULL && mine != NULL && g_strcmp0 (found->updated_by, mine->updated_by) == 0)
        continue;
      g_array_append_val (others, version);
      if (found != NULL && (newest == NULL || found->version > newest->version))
        newest = found;
    }

  if (others->len == 0)
    {
      navette_change_set_superseded (change, NULL, NULL, 0);
      send_data_free (data);
      return;
    }

  navette_change_set_superseded (change, g_array_ref (others),
                                 newest ? newest->updated_by : NULL,
                                 newest ? newest->updated_at : 0);
  if (newest != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (newest->updated_at / G_USEC_PER_SEC);
      g_autofree char *clock = g_date_time_format (when, "%H:%M");

      /* Translators: a toast: "Replaced alice’s change of 10:31" — a
       * save wrote over a change by someone else that the user had not
       * seen; %s are a user name and a time of day */
      message = g_strdup_printf (_("Replaced %s’s change of %s"), newest->updated_by, clock);
    }
  else
    message = g_strdup (_("Replaced a change made meanwhile by someone else"));

  g_signal_emit (data->self, signals[NOTIFICATION], 0, message,
                 (guint) NAVETTE_NOTIFICATION_SUPERSEDED, change);
  send_data_free (data);
}

/* The server took the change over versions written since its base
 * version: the ones not written by this client are someone else's work
 * the user had not seen. Learn who and when, and say it. */
static void
check_superseded (NavetteMiddleware *self,
                  NavetteChange     *change,
                  JsonNode          *root)
{
  NavetteTable *table = navette_change_get_table (change);
  const char *id = navette_change_get_record_id (change);
  g_autoptr(GArray) versions = g_array_new (FALSE, FALSE, sizeof (gint64));
  JsonNode *node;
  JsonArray *array;

  node = json_object_get_member (json_node_get_object (root), "superseded");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      gint64 version;

      if (json_node_get_value_type (element) != G_TYPE_INT64)
        continue;
      version = json_node_get_int (element);
      if (!navette_table_is_own (table, id, version))
        g_array_append_val (versions, version);
    }
  if (versions->len == 0)
    return;

  navette_change_set_superseded (change, g_steal_pointer (&versions), NULL, 0);
  navette_client_list_versions_async (self->client, navette_change_get_app (change),
                                      navette_change_get_table_name (change), id,
                                      self->cancellable, superseded_versions_cb,
                                      send_data_new (self, change));
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
      if (JSON_NODE_HOLDS_OBJECT (root))
        wire = navette_wire_record_from_json (json_node_get_object (root), NULL);
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
      /* Reconcile: the server's answer becomes the base; the change
       * leaves the pending list in finish_change(). */
      if (record != NULL)
        navette_record_set_server (record, wire);
      finish_change (self, change, NAVETTE_CHANGE_STATE_SUCCEEDED, NULL);
      if (self->ops != NULL)
        check_superseded (self, change, root);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Only on dispose: it stays in the journal. */
    }
  else if (navette_sync_error_is_transient (error))
    {
      g_debug ("Keeping “%s” until the server answers (%s)",
               navette_change_get_description (change), error->message);
      hold (self);
    }
  else if (is_auth_error (error))
    {
      /* Refused for want of a session: this change alone is rolled back
       * (into the failed list, retried after the next sign-in); the
       * others are not sent with the dead token and wait. */
      g_debug ("“%s” refused: %s", navette_change_get_description (change), error->message);
      self->signed_out = TRUE;
      finish_change (self, change, NAVETTE_CHANGE_STATE_FAILED, error);
      navette_middleware_wait_for_sign_in (self);
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
  if (error != NULL && (navette_sync_error_is_transient (error) || is_auth_error (error)))
    {
      /* Ask again when the server answers, or after the sign-in: the
       * change itself was not refused. */
      op->fetched = FALSE;
      if (is_auth_error (error))
        navette_middleware_wait_for_sign_in (self);
      else
        hold (self);
      send_data_free (data);
      return;
    }

  if (record != NULL && navette_change_get_record (change) == NULL)
    {
      /* Now in the model: show the change on it, as for any other. */
      record_previous (change, record);
      navette_record_insert_pending (record, change);
      navette_change_set_record (change, record);
      if (navette_record_recompute (record))
        navette_table_record_changed (navette_change_get_table (change), record);
    }
  else if (error != NULL)
    g_debug ("Could not fetch %s before sending: %s",
             navette_change_get_record_id (change), error->message);

  pump (self, op->queue_key);
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
      navette_change_get_base_version (op->change) <= 0 &&
      (kind == NAVETTE_CHANGE_UPDATE || kind == NAVETTE_CHANGE_ARCHIVE ||
       kind == NAVETTE_CHANGE_UNARCHIVE))
    {
      op->fetched = TRUE;
      op->sending = TRUE;
      op_set_waiting (self, op, FALSE);
      navette_table_fetch_record_async (navette_change_get_table (op->change),
                                        navette_change_get_record_id (op->change),
                                        self->cancellable, fetch_for_send_cb,
                                        send_data_new (self, op->change));
      return;
    }

  if (op->body == NULL)
    {
      op_build_request (op, navette_change_get_record (op->change));
      /* Frozen for a later retry from the failed list. */
      g_object_set_data_full (G_OBJECT (op->change), "navette-body",
                              json_node_ref (op->body), (GDestroyNotify) json_node_unref);
      /* The exact request on disk before it leaves: a crash from now on
       * sends the same bytes under the same key. */
      _navette_middleware_journal_put (self, op->change, op, FALSE);
      if (self->journal != NULL && !navette_journal_is_written (self->journal, op->ticket))
        return;   /* _navette_middleware_journal_written_cb pumps again */
    }

  op->sending = TRUE;
  op_set_waiting (self, op, FALSE);
  notify_counts (self);
  navette_change_add_attempt (op->change);
  navette_client_request_async (self->client, op->method, op->path, op->body,
                                navette_change_get_idempotency_key (op->change),
                                NULL, self->cancellable, send_cb,
                                send_data_new (self, op->change));
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

static int
compare_sequence_desc (gconstpointer a,
                       gconstpointer b)
{
  guint64 x = navette_change_get_sequence (*(NavetteChange **) a);
  guint64 y = navette_change_get_sequence (*(NavetteChange **) b);

  return x < y ? 1 : x > y ? -1 : 0;
}

void
navette_middleware_fail_store (NavetteMiddleware *self,
                               NavetteStore      *store,
                               const GError      *error)
{
  g_autoptr(GPtrArray) doomed = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_STORE (store));
  g_return_if_fail (error != NULL);

  if (self->queues == NULL)
    return;

  /* Newest first in each record's queue (each one is rolled back onto
   * the one before it); nothing is sent meanwhile. */
  doomed = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->queues);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GQueue *queue = value;

      for (GList *l = queue->tail; l != NULL; l = l->prev)
        {
          Op *op = l->data;
          NavetteTable *table = navette_change_get_table (op->change);

          if (op->sending || table == NULL || navette_table_get_store (table) != store)
            continue;
          g_ptr_array_add (doomed, g_object_ref (op->change));
        }
    }
  self->failing_store = TRUE;
  for (guint i = 0; i < doomed->len && self->ops != NULL; i++)
    {
      NavetteChange *change = g_ptr_array_index (doomed, i);

      if (g_hash_table_contains (self->ops, change))
        finish_change (self, change, NAVETTE_CHANGE_STATE_FAILED, error);
    }
  self->failing_store = FALSE;
}

void
navette_middleware_resume (NavetteMiddleware *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  if (self->ops == NULL)
    return;
  self->signed_out = FALSE;
  if (!self->online)
    {
      self->online = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
    }
  /* Remember how many waited, for the "all saved" toast. */
  if (self->had_waiting)
    g_object_set_data (G_OBJECT (self), "navette-n-waited",
                       GUINT_TO_POINTER (MAX (self->n_waiting,
                                              GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (self),
                                                                                   "navette-n-waited")))));
  g_hash_table_iter_init (&iter, self->ops);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    op_set_waiting (self, value, FALSE);
  notify_counts (self);
  _navette_middleware_pump_all (self);
}

/* Takes @change out of the failed list: the list's reference to it, or
 * NULL when it is not there. */
static NavetteChange *
take_failed (NavetteMiddleware *self,
             NavetteChange     *change)
{
  guint pos;

  if (!g_list_store_find (self->failed, change, &pos))
    return NULL;
  g_object_ref (change);
  g_list_store_remove (self->failed, pos);
  return change;
}

void
navette_middleware_retry (NavetteMiddleware *self,
                          NavetteChange     *change)
{
  g_autoptr(NavetteChange) taken = NULL;
  JsonNode *body;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_CHANGE (change));

  if ((taken = take_failed (self, change)) == NULL)
    return;

  navette_change_reset_attempts (change);
  body = g_object_get_data (G_OBJECT (change), "navette-body");
  apply_change (self, change, body);
}

/* Calls @func on every failed change (of a copy of the list: @func takes
 * them out of it). */
static void
each_failed (NavetteMiddleware *self,
             void             (*func) (NavetteMiddleware *self,
                                       NavetteChange     *change))
{
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->failed));

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (changes, g_list_model_get_item (G_LIST_MODEL (self->failed), i));
  for (guint i = 0; i < changes->len; i++)
    func (self, g_ptr_array_index (changes, i));
}

void
navette_middleware_retry_all (NavetteMiddleware *self)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  each_failed (self, navette_middleware_retry);
}

void
navette_middleware_discard (NavetteMiddleware *self,
                            NavetteChange     *change)
{
  g_autoptr(NavetteChange) taken = NULL;
  NavetteRecord *record;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (NAVETTE_IS_CHANGE (change));

  if ((taken = take_failed (self, change)) == NULL)
    return;

  navette_change_set_state (change, NAVETTE_CHANGE_STATE_DISCARDED, navette_change_get_error (change));
  _navette_middleware_journal_forget (self, change);

  record = navette_change_get_record (change);
  if (record != NULL && navette_record_get_error (record) != NULL)
    {
      navette_record_set_error (record, NULL);
      if (navette_record_recompute (record))
        navette_table_record_changed (navette_change_get_table (change), record);
    }
}

void
navette_middleware_discard_all (NavetteMiddleware *self)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  each_failed (self, navette_middleware_discard);
}

void
navette_middleware_drop_all (NavetteMiddleware *self)
{
  g_autoptr(GPtrArray) changes = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (self->journal == NULL);

  if (self->ops == NULL)
    return;
  changes = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->ops);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!((Op *) value)->sending)
      g_ptr_array_add (changes, g_object_ref (((Op *) value)->change));
  /* Newest first: each rolled back onto the one before it. */
  g_ptr_array_sort (changes, compare_sequence_desc);
  self->failing_store = TRUE;
  for (guint i = 0; i < changes->len && self->ops != NULL; i++)
    if (g_hash_table_contains (self->ops, g_ptr_array_index (changes, i)))
      finish_change (self, g_ptr_array_index (changes, i), NAVETTE_CHANGE_STATE_DISCARDED, NULL);
  self->failing_store = FALSE;
  g_list_store_remove_all (self->failed);
}

void
navette_middleware_note_held (NavetteMiddleware *self,
                              gboolean           offline)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));

  if (offline)
    self->waited_offline = TRUE;
  else
    self->had_waiting = FALSE;
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
      navette_change_set_state (change, NAVETTE_CHANGE_STATE_FAILED, error);
      g_list_store_append (self->failed, change);
      _navette_middleware_journal_put (self, change, NULL, TRUE);
      return;
    }

  navette_change_set_journaled (change, TRUE);
  apply_change (self, change, body);
}
