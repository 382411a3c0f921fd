/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"
#include "navette-wire-decoder.h"

struct _NavetteRecord
{
  GObject            parent_instance;

  char              *id;
  NavettePackedRecord *server;  /* last known server state, or NULL */
  GPtrArray         *pending;   /* NavetteChange*, in order; NULL when none */
  GError            *error;

  /* What is shown: the server state with the pending changes applied.
   * NULL until someone looks when there is no pending change (the values
   * are then those of the server state). */
  JsonObject        *data;
  gboolean           archived;
  NavetteSyncState   sync_state;
};

G_DEFINE_FINAL_TYPE (NavetteRecord, navette_record, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_VERSION,
  PROP_REVISION,
  PROP_ARCHIVED,
  PROP_UPDATED_AT,
  PROP_UPDATED_BY,
  PROP_SYNC_STATE,
  PROP_ERROR,
  PROP_DATA,
  N_PROPS
};

enum {
  DATA_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static JsonObject *ensure_data (NavetteRecord *self);

static void
navette_record_finalize (GObject *object)
{
  NavetteRecord *self = (NavetteRecord *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->server, navette_packed_record_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->data, json_object_unref);

  G_OBJECT_CLASS (navette_record_parent_class)->finalize (object);
}

static void
navette_record_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NavetteRecord *self = NAVETTE_RECORD (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_VERSION:
      g_value_set_int64 (value, navette_record_get_version (self));
      break;
    case PROP_REVISION:
      g_value_set_int64 (value, navette_record_get_revision (self));
      break;
    case PROP_ARCHIVED:
      g_value_set_boolean (value, self->archived);
      break;
    case PROP_UPDATED_AT:
      g_value_set_int64 (value, navette_record_get_updated_at (self));
      break;
    case PROP_UPDATED_BY:
      g_value_set_string (value, navette_record_get_updated_by (self));
      break;
    case PROP_SYNC_STATE:
      g_value_set_enum (value, self->sync_state);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_DATA:
      g_value_set_boxed (value, ensure_data (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_record_class_init (NavetteRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = navette_record_finalize;
  object_class->get_property = navette_record_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERSION] =
    g_param_spec_int64 ("version", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVISION] =
    g_param_spec_int64 ("revision", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ARCHIVED] =
    g_param_spec_boolean ("archived", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPDATED_BY] =
    g_param_spec_string ("updated-by", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYNC_STATE] =
    g_param_spec_enum ("sync-state", NULL, NULL, NAVETTE_TYPE_SYNC_STATE, NAVETTE_SYNC_STATE_SYNCED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DATA] =
    g_param_spec_boxed ("data", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[DATA_CHANGED] =
    g_signal_new ("data-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
navette_record_init (NavetteRecord *self)
{
}

NavetteRecord *
navette_record_new_for_id (const char *id)
{
  NavetteRecord *self = g_object_new (NAVETTE_TYPE_RECORD, NULL);

  self->id = g_strdup (id);
  return self;
}

NavetteRecord *
navette_record_new_from_packed (NavettePackedRecord *packed)
{
  NavetteRecord *self = g_object_new (NAVETTE_TYPE_RECORD, NULL);

  self->id = g_strdup (packed->id);
  self->server = packed;
  self->archived = packed->archived;
  return self;
}

NavetteRecord *
navette_record_new_from_wire (const NavetteWireRecord *wire)
{
  g_return_val_if_fail (wire != NULL, NULL);

  return navette_record_new_from_packed (navette_packed_record_new_from_wire (wire));
}

/* The shown values, made from the server state when first needed. */
static JsonObject *
ensure_data (NavetteRecord *self)
{
  if (self->data == NULL)
    self->data = self->server ? navette_packed_record_unpack_data (self->server) : json_object_new ();
  return self->data;
}

const char *
navette_record_get_id (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NULL);
  return self->id;
}

gint64
navette_record_get_version (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), 0);
  return self->server ? self->server->version : 0;
}

gint64
navette_record_get_revision (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), 0);
  return self->server ? self->server->revision : 0;
}

gboolean
navette_record_get_archived (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), FALSE);
  return self->archived;
}

gint64
navette_record_get_updated_at (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), 0);
  return self->server ? self->server->updated_at : 0;
}

const char *
navette_record_get_updated_by (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NULL);
  return self->server ? self->server->updated_by : NULL;
}

NavetteSyncState
navette_record_get_sync_state (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NAVETTE_SYNC_STATE_SYNCED);
  return self->sync_state;
}

const GError *
navette_record_get_error (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NULL);
  return self->error;
}

JsonObject *
navette_record_get_data (NavetteRecord *self)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NULL);
  return ensure_data (self);
}

JsonNode *
navette_record_get_value (NavetteRecord *self,
                          const char    *column)
{
  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NULL);
  g_return_val_if_fail (column != NULL, NULL);

  return json_object_get_member (ensure_data (self), column);
}

gboolean
navette_record_is_null (NavetteRecord *self,
                        const char    *column)
{
  JsonNode *node = navette_record_get_value (self, column);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

const char *
navette_record_get_string (NavetteRecord *self,
                           const char    *column)
{
  JsonNode *node = navette_record_get_value (self, column);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
navette_record_get_int (NavetteRecord *self,
                        const char    *column)
{
  JsonNode *node = navette_record_get_value (self, column);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

double
navette_record_get_double (NavetteRecord *self,
                           const char    *column)
{
  JsonNode *node = navette_record_get_value (self, column);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0.0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  return 0.0;
}

gboolean
navette_record_get_boolean (NavetteRecord *self,
                            const char    *column)
{
  JsonNode *node = navette_record_get_value (self, column);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  return json_node_get_boolean (node);
}

char *
navette_record_dup_display (NavetteRecord *self,
                            const char    *column)
{
  JsonNode *node = navette_record_get_value (self, column);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("");

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (type == G_TYPE_DOUBLE)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.15g", json_node_get_double (node)));
    }
  return g_strdup ("");
}

NavetteWireRecord *
navette_record_to_wire (NavetteRecord *self)
{
  NavetteWireRecord *wire;

  g_return_val_if_fail (NAVETTE_IS_RECORD (self), NULL);

  wire = navette_wire_record_new ();
  wire->id = g_strdup (self->id);
  wire->version = navette_record_get_version (self);
  wire->revision = navette_record_get_revision (self);
  g_clear_pointer (&wire->data, json_object_unref);
  wire->data = json_object_ref (ensure_data (self));
  wire->archived = self->archived;
  wire->updated_at = navette_record_get_updated_at (self);
  wire->updated_by = g_strdup (navette_record_get_updated_by (self));
  return wire;
}

/* ---- Packed server states ---- */

NavettePackedRecord *
navette_packed_record_new_from_wire (const NavetteWireRecord *wire)
{
  NavettePackedRecord *packed = g_new0 (NavettePackedRecord, 1);

  packed->id = g_strdup (wire->id);
  packed->version = wire->version;
  packed->revision = wire->revision;
  packed->updated_at = wire->updated_at;
  packed->updated_by = g_intern_string (wire->updated_by);
  packed->archived = wire->archived;
  if (wire->data != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), wire->data);
      packed->data_json = navette_json_to_string (node, NULL);
    }
  else
    packed->data_json = g_strdup ("{}");
  return packed;
}

NavettePackedRecord *
navette_packed_record_copy (const NavettePackedRecord *packed)
{
  NavettePackedRecord *copy = g_new (NavettePackedRecord, 1);

  *copy = *packed;
  copy->id = g_strdup (packed->id);
  copy->data_json = g_strdup (packed->data_json);
  return copy;
}

/* One record of a list, as the streaming decoder hands it over: packed
 * at once (no JSON tree). */
static gboolean
append_view_cb (const NavetteWireRecordView *view,
                gpointer                     user_data,
                GError                     **error)
{
  GPtrArray *records = user_data;
  NavettePackedRecord *packed = g_new0 (NavettePackedRecord, 1);

  packed->id = g_strdup (view->id);
  packed->version = view->version;
  packed->revision = view->revision;
  packed->updated_at = view->updated_at;
  packed->updated_by = g_intern_string (view->updated_by);
  packed->archived = view->archived;
  packed->data_json = g_strndup (view->data_json, view->data_len);
  g_ptr_array_add (records, packed);
  return TRUE;
}

static int
compare_packed_id (gconstpointer a,
                   gconstpointer b)
{
  const NavettePackedRecord *ra = *(const NavettePackedRecord * const *) a;
  const NavettePackedRecord *rb = *(const NavettePackedRecord * const *) b;

  return strcmp (ra->id, rb->id);
}

gboolean
navette_packed_records_decode_page (const char  *text,
                                    gsize        len,
                                    GPtrArray   *records,
                                    gint64      *revision,
                                    char       **next,
                                    GError     **error)
{
  return navette_wire_decode_record_page (text, len, revision, next, append_view_cb, records, error);
}

guint
navette_packed_records_sort (GPtrArray *records)
{
  guint kept = 0;

  g_ptr_array_sort (records, compare_packed_id);
  for (guint i = 0; i < records->len; i++)
    {
      NavettePackedRecord *packed = g_ptr_array_index (records, i);
      NavettePackedRecord *last = kept > 0 ? g_ptr_array_index (records, kept - 1) : NULL;

      if (last != NULL && strcmp (last->id, packed->id) == 0)
        {
          /* Never from a server that keeps the contract: keep the newer. */
          if (packed->version > last->version)
            {
              records->pdata[kept - 1] = packed;
              packed = last;
            }
          navette_packed_record_free (packed);
          continue;
        }
      records->pdata[kept++] = packed;
    }
  {
    guint dropped = records->len - kept;

    /* Shrink without freeing what moved. */
    g_ptr_array_set_free_func (records, NULL);
    g_ptr_array_set_size (records, kept);
    g_ptr_array_set_free_func (records, (GDestroyNotify) navette_packed_record_free);
    return dropped;
  }
}

void
navette_packed_record_free (NavettePackedRecord *packed)
{
  if (packed == NULL)
    return;
  g_free (packed->id);
  g_free (packed->data_json);
  g_free (packed);
}

JsonObject *
navette_packed_record_unpack_data (const NavettePackedRecord *packed)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  root = navette_json_parse_strict (packed->data_json, strlen (packed->data_json), &error);
  /* We wrote it ourselves from a parsed object. */
  g_assert (root != NULL && JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

NavetteWireRecord *
navette_packed_record_to_wire (const NavettePackedRecord *packed)
{
  NavetteWireRecord *wire = navette_wire_record_new ();

  wire->id = g_strdup (packed->id);
  wire->version = packed->version;
  wire->revision = packed->revision;
  wire->updated_at = packed->updated_at;
  wire->updated_by = g_strdup (packed->updated_by);
  wire->archived = packed->archived;
  g_clear_pointer (&wire->data, json_object_unref);
  wire->data = navette_packed_record_unpack_data (packed);
  return wire;
}

/* ---- Internal ---- */

const NavettePackedRecord *
navette_record_get_server (NavetteRecord *self)
{
  return self->server;
}

gboolean
navette_record_same_server (NavetteRecord             *self,
                            const NavettePackedRecord *packed)
{
  return self->server != NULL &&
         self->server->version == packed->version &&
         self->server->revision == packed->revision &&
         self->server->archived == packed->archived;
}

gboolean
navette_record_set_server (NavetteRecord     *self,
                           NavetteWireRecord *wire)
{
  g_return_val_if_fail (wire != NULL, FALSE);

  return navette_record_set_server_packed (self, navette_packed_record_new_from_wire (wire));
}

gboolean
navette_record_set_server_packed (NavetteRecord       *self,
                                  NavettePackedRecord *packed)
{
  g_autoptr(NavettePackedRecord) old = self->server;
  gboolean meta_changed;
  gboolean data_changed;

  if (old != NULL &&
      (packed->version < old->version ||
       (packed->version == old->version && packed->revision < old->revision)))
    {
      self->server = g_steal_pointer (&old);
      navette_packed_record_free (packed);
      return FALSE;
    }

  meta_changed = old == NULL ||
                 old->version != packed->version ||
                 old->revision != packed->revision ||
                 old->updated_at != packed->updated_at ||
                 old->updated_by != packed->updated_by;
  data_changed = old == NULL || g_strcmp0 (old->data_json, packed->data_json) != 0;

  /* When nobody looked at the values yet (self->data is NULL, and nothing
   * is pending), they stay packed: there is nothing to compare. */
  self->server = packed;

  g_object_freeze_notify (G_OBJECT (self));
  if (meta_changed)
    {
      if (old == NULL || old->version != packed->version)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERSION]);
      if (old == NULL || old->revision != packed->revision)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
      if (old == NULL || old->updated_at != packed->updated_at)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
      if (old == NULL || old->updated_by != packed->updated_by)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_BY]);
    }

  if (navette_record_recompute (self))
    meta_changed = TRUE;
  g_object_thaw_notify (G_OBJECT (self));

  return meta_changed || data_changed;
}

void
navette_record_fill_placeholder (NavetteRecord       *self,
                                 NavettePackedRecord *packed)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->id, packed->id) != 0)
    {
      g_free (self->id);
      self->id = g_strdup (packed->id);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
    }
  navette_record_set_server_packed (self, packed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA]);
  g_object_thaw_notify (G_OBJECT (self));
}

GPtrArray *
navette_record_get_pending (NavetteRecord *self)
{
  return self->pending;
}

void
navette_record_insert_pending (NavetteRecord *self,
                               NavetteChange *change)
{
  guint64 sequence = navette_change_get_sequence (change);
  guint at;

  if (self->pending == NULL)
    self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  for (at = 0; at < self->pending->len; at++)
    if (navette_change_get_sequence (g_ptr_array_index (self->pending, at)) > sequence)
      break;
  g_ptr_array_insert (self->pending, at, g_object_ref (change));
}

void
navette_record_remove_pending (NavetteRecord *self,
                               NavetteChange *change)
{
  if (self->pending == NULL)
    return;
  g_ptr_array_remove (self->pending, change);
  if (self->pending->len == 0)
    g_clear_pointer (&self->pending, g_ptr_array_unref);
}

void
navette_record_set_error (NavetteRecord *self,
                          const GError  *error)
{
  if (self->error == error)
    return;

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static gboolean
values_equal (JsonNode *a,
              JsonNode *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    {
      JsonNode *other = a ? a : b;
      /* absent and null look the same */
      return JSON_NODE_HOLDS_NULL (other);
    }
  return json_node_equal (a, b);
}

gboolean
navette_record_recompute (NavetteRecord *self)
{
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GPtrArray) changed_columns = NULL;
  gboolean archived;
  NavetteSyncState state;
  gboolean changed = FALSE;

  archived = self->server ? self->server->archived : FALSE;

  if (self->data != NULL || self->pending != NULL)
    {
      data = self->server ? navette_packed_record_unpack_data (self->server) : json_object_new ();
      for (guint i = 0; self->pending != NULL && i < self->pending->len; i++)
        navette_change_apply_to (g_ptr_array_index (self->pending, i), data, &archived);
    }

  if (data != NULL)
    {
      JsonObject *old = ensure_data (self);
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      changed_columns = g_ptr_array_new_with_free_func (g_free);

      json_object_iter_init (&iter, data);
      while (json_object_iter_next (&iter, &name, &node))
        if (!values_equal (node, json_object_get_member (old, name)))
          g_ptr_array_add (changed_columns, g_strdup (name));

      json_object_iter_init (&iter, old);
      while (json_object_iter_next (&iter, &name, &node))
        if (!json_object_has_member (data, name) && !values_equal (node, NULL))
          g_ptr_array_add (changed_columns, g_strdup (name));

      if (changed_columns->len > 0)
        {
          g_clear_pointer (&self->data, json_object_unref);
          self->data = g_steal_pointer (&data);
        }
    }

  g_object_freeze_notify (G_OBJECT (self));

  if (changed_columns != NULL && changed_columns->len > 0)
    {
      changed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA]);
      for (guint i = 0; i < changed_columns->len; i++)
        g_signal_emit (self, signals[DATA_CHANGED], 0,
                       (const char *) g_ptr_array_index (changed_columns, i));
    }

  if (archived != self->archived)
    {
      self->archived = archived;
      changed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ARCHIVED]);
    }

  if (self->pending != NULL)
    {
      state = NAVETTE_SYNC_STATE_PENDING;
      for (guint i = 0; i < self->pending->len; i++)
        if (navette_change_get_waiting (g_ptr_array_index (self->pending, i)))
          state = NAVETTE_SYNC_STATE_WAITING;
    }
  else if (self->error != NULL)
    state = NAVETTE_SYNC_STATE_FAILED;
  else
    state = NAVETTE_SYNC_STATE_SYNCED;

  if (state != self->sync_state)
    {
      self->sync_state = state;
      changed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_STATE]);
    }

  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}
