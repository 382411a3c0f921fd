/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

struct _NavetteChange
{
  GObject             parent_instance;

  NavetteChangeKind   kind;
  NavetteChangeState  state;
  GError             *error;
  guint               attempts;
  NavetteStore       *store;      /* strong */
  NavetteTable       *table;      /* strong */
  NavetteRecord      *record;     /* strong, may be NULL */
  char               *record_id;
  char               *idempotency_key;
  JsonObject         *data;       /* may be NULL */
  JsonObject         *previous;   /* values overwritten, may be NULL */
  gint64              revert_version;
  NavetteWireRecord  *result;
  char               *description;
  gint64              base_version;
  gboolean            waiting;
  gboolean            journaled;
  GArray             *superseded;
  char               *superseded_by;
  gint64              superseded_at;
  guint64             sequence;   /* the order in which changes were made */
};

G_DEFINE_FINAL_TYPE (NavetteChange, navette_change, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_STATE,
  PROP_ERROR,
  PROP_ATTEMPTS,
  PROP_APP,
  PROP_TABLE_NAME,
  PROP_RECORD_ID,
  PROP_IDEMPOTENCY_KEY,
  PROP_DESCRIPTION,
  PROP_RECORD,
  PROP_WAITING,
  PROP_JOURNALED,
  N_PROPS
};

enum {
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
navette_change_dispose (GObject *object)
{
  NavetteChange *self = (NavetteChange *)object;

  g_clear_object (&self->record);
  g_clear_object (&self->table);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (navette_change_parent_class)->dispose (object);
}

static void
navette_change_finalize (GObject *object)
{
  NavetteChange *self = (NavetteChange *)object;

  g_clear_error (&self->error);
  g_clear_pointer (&self->record_id, g_free);
  g_clear_pointer (&self->idempotency_key, g_free);
  g_clear_pointer (&self->data, json_object_unref);
  g_clear_pointer (&self->previous, json_object_unref);
  g_clear_pointer (&self->result, navette_wire_record_unref);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->superseded, g_array_unref);
  g_clear_pointer (&self->superseded_by, g_free);

  G_OBJECT_CLASS (navette_change_parent_class)->finalize (object);
}

static void
navette_change_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NavetteChange *self = NAVETTE_CHANGE (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_ATTEMPTS:
      g_value_set_uint (value, self->attempts);
      break;
    case PROP_APP:
      g_value_set_string (value, navette_change_get_app (self));
      break;
    case PROP_TABLE_NAME:
      g_value_set_string (value, navette_change_get_table_name (self));
      break;
    case PROP_RECORD_ID:
      g_value_set_string (value, self->record_id);
      break;
    case PROP_IDEMPOTENCY_KEY:
      g_value_set_string (value, self->idempotency_key);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, navette_change_get_description (self));
      break;
    case PROP_RECORD:
      g_value_set_object (value, self->record);
      break;
    case PROP_WAITING:
      g_value_set_boolean (value, self->waiting);
      break;
    case PROP_JOURNALED:
      g_value_set_boolean (value, self->journaled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_change_class_init (NavetteChangeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_change_dispose;
  object_class->finalize = navette_change_finalize;
  object_class->get_property = navette_change_get_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, NAVETTE_TYPE_CHANGE_KIND, NAVETTE_CHANGE_CREATE, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, NAVETTE_TYPE_CHANGE_STATE, NAVETTE_CHANGE_STATE_PENDING, flags);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_APP] =
    g_param_spec_string ("app", NULL, NULL, NULL, flags);
  properties[PROP_TABLE_NAME] =
    g_param_spec_string ("table-name", NULL, NULL, NULL, flags);
  properties[PROP_RECORD_ID] =
    g_param_spec_string ("record-id", NULL, NULL, NULL, flags);
  properties[PROP_IDEMPOTENCY_KEY] =
    g_param_spec_string ("idempotency-key", NULL, NULL, NULL, flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties[PROP_RECORD] =
    g_param_spec_object ("record", NULL, NULL, NAVETTE_TYPE_RECORD, flags);
  properties[PROP_WAITING] =
    g_param_spec_boolean ("waiting", NULL, NULL, FALSE, flags);
  properties[PROP_JOURNALED] =
    g_param_spec_boolean ("journaled", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FINISHED] =
    g_signal_new ("finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
navette_change_init (NavetteChange *self)
{
}

NavetteChange *
navette_change_new (NavetteChangeKind  kind,
                    NavetteStore      *store,
                    NavetteTable      *table,
                    const char        *record_id,
                    JsonObject        *data,
                    gint64             revert_version)
{
  static guint64 made = 0;
  NavetteChange *self = g_object_new (NAVETTE_TYPE_CHANGE, NULL);

  self->sequence = ++made;
  self->kind = kind;
  self->store = g_object_ref (store);
  self->table = g_object_ref (table);
  self->record_id = g_strdup (record_id);
  self->idempotency_key = navette_uuid_new ();
  self->revert_version = revert_version;

  if (data != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      self->data = json_object_new ();
      json_object_iter_init (&iter, data);
      while (json_object_iter_next (&iter, &name, &node))
        json_object_set_member (self->data, name, json_node_copy (node));
    }

  return self;
}

guint64
navette_change_get_sequence (NavetteChange *self)
{
  return self->sequence;
}

NavetteChangeKind
navette_change_get_kind (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), 0);
  return self->kind;
}

NavetteChangeState
navette_change_get_state (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), 0);
  return self->state;
}

const GError *
navette_change_get_error (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->error;
}

guint
navette_change_get_attempts (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), 0);
  return self->attempts;
}

const char *
navette_change_get_app (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return navette_store_get_name (self->store);
}

const char *
navette_change_get_table_name (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return navette_table_get_name (self->table);
}

const char *
navette_change_get_record_id (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->record_id;
}

const char *
navette_change_get_idempotency_key (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->idempotency_key;
}

NavetteRecord *
navette_change_get_record (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->record;
}

NavetteTable *
navette_change_get_table (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->table;
}

JsonObject *
navette_change_get_data (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->data;
}

gint64
navette_change_get_revert_version (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), 0);
  return self->revert_version;
}

NavetteWireRecord *
navette_change_get_result (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->result;
}

gboolean
navette_change_is_finished (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), FALSE);
  return self->state != NAVETTE_CHANGE_STATE_PENDING;
}

gint64
navette_change_get_base_version (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), 0);
  return self->base_version;
}

gboolean
navette_change_get_waiting (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), FALSE);
  return self->waiting;
}

gboolean
navette_change_get_journaled (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), FALSE);
  return self->journaled;
}

GArray *
navette_change_get_superseded (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->superseded;
}

const char *
navette_change_get_superseded_by (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->superseded_by;
}

gint64
navette_change_get_superseded_at (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), 0);
  return self->superseded_at;
}

void
navette_change_set_base_version (NavetteChange *self,
                                 gint64         version)
{
  self->base_version = version;
}

void
navette_change_set_waiting (NavetteChange *self,
                            gboolean       waiting)
{
  waiting = !!waiting;
  if (self->waiting == waiting)
    return;
  self->waiting = waiting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WAITING]);
}

void
navette_change_set_journaled (NavetteChange *self,
                              gboolean       journaled)
{
  journaled = !!journaled;
  if (self->journaled == journaled)
    return;
  self->journaled = journaled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOURNALED]);
}

void
navette_change_set_superseded (NavetteChange *self,
                               GArray        *versions,
                               const char    *by,
                               gint64         at)
{
  g_clear_pointer (&self->superseded, g_array_unref);
  self->superseded = versions;
  g_free (self->superseded_by);
  self->superseded_by = g_strdup (by);
  self->superseded_at = at;
}

static char *
describe_value (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return g_strdup (_("empty"));

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);

      if (g_utf8_strlen (text, -1) > 40)
        {
          g_autofree char *start = g_utf8_substring (text, 0, 39);
          return g_strdup_printf ("“%s…”", start);
        }
      return g_strdup_printf ("“%s”", text);
    }
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
  if (type == G_TYPE_DOUBLE)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.15g", json_node_get_double (node)));
    }
  return g_strdup ("?");
}

const char *
navette_change_get_description (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);

  if (self->description != NULL)
    return self->description;

  switch (self->kind)
    {
    case NAVETTE_CHANGE_CREATE:
      /* Translators: %s is a table name */
      self->description = g_strdup_printf (_("Create a record in %s"),
                                           navette_table_get_title (self->table));
      break;
    case NAVETTE_CHANGE_UPDATE:
      {
        GString *str = g_string_new (NULL);
        JsonObjectIter iter;
        const char *name;
        JsonNode *node;

        if (self->data != NULL)
          {
            json_object_iter_init (&iter, self->data);
            while (json_object_iter_next (&iter, &name, &node))
              {
                g_autofree char *value = describe_value (node);
                const NavetteWireColumn *column =
                  navette_wire_table_lookup_column (navette_table_get_schema (self->table), name);

                /* the column as the user sees it in the list */
                if (column != NULL && column->title != NULL && column->title[0] != '\0')
                  name = column->title;
                if (str->len > 0)
                  g_string_append (str, ", ");
                /* Translators: "price to 12.5" — a column and its new value */
                g_string_append_printf (str, _("%s to %s"), name, value);
              }
          }
        /* Translators: "Set price to 12.5" */
        self->description = g_strdup_printf (_("Set %s"), str->str);
        g_string_free (str, TRUE);
      }
      break;
    case NAVETTE_CHANGE_ARCHIVE:
      self->description = g_strdup (_("Archive a record"));
      break;
    case NAVETTE_CHANGE_UNARCHIVE:
      self->description = g_strdup (_("Restore an archived record"));
      break;
    case NAVETTE_CHANGE_REVERT:
      {
        g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, self->revert_version);
        /* Translators: %s is a version number */
        self->description = g_strdup_printf (_("Revert a record to version %s"), version);
      }
      break;
    default:
      self->description = g_strdup ("");
      break;
    }

  return self->description;
}

/* ---- Internal ---- */

void
navette_change_set_state (NavetteChange      *self,
                          NavetteChangeState  state,
                          const GError       *error)
{
  gboolean was_pending = self->state == NAVETTE_CHANGE_STATE_PENDING;

  if (self->error != error)
    {
      g_clear_error (&self->error);
      if (error != NULL)
        self->error = g_error_copy (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }

  if (was_pending && state != NAVETTE_CHANGE_STATE_PENDING &&
      state != NAVETTE_CHANGE_STATE_DISCARDED)
    g_signal_emit (self, signals[FINISHED], 0);
}

void
navette_change_set_record (NavetteChange *self,
                           NavetteRecord *record)
{
  if (g_set_object (&self->record, record))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
}

void
navette_change_set_result (NavetteChange     *self,
                           NavetteWireRecord *result)
{
  if (result != NULL)
    navette_wire_record_ref (result);
  g_clear_pointer (&self->result, navette_wire_record_unref);
  self->result = result;
}

void
navette_change_add_attempt (NavetteChange *self)
{
  self->attempts++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTEMPTS]);
}

void
navette_change_reset_attempts (NavetteChange *self)
{
  self->attempts = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTEMPTS]);
}

JsonObject *
navette_change_get_previous (NavetteChange *self)
{
  g_return_val_if_fail (NAVETTE_IS_CHANGE (self), NULL);
  return self->previous;
}

void
navette_change_set_previous (NavetteChange *self,
                             JsonObject    *previous)
{
  if (previous != NULL)
    json_object_ref (previous);
  g_clear_pointer (&self->previous, json_object_unref);
  self->previous = previous;
}

void
navette_change_apply_to (NavetteChange *self,
                         JsonObject    *data,
                         gboolean      *archived)
{
  switch (self->kind)
    {
    case NAVETTE_CHANGE_ARCHIVE:
      *archived = TRUE;
      break;
    case NAVETTE_CHANGE_UNARCHIVE:
      *archived = FALSE;
      break;
    case NAVETTE_CHANGE_CREATE:
    case NAVETTE_CHANGE_UPDATE:
    case NAVETTE_CHANGE_REVERT:
    default:
      if (self->data != NULL)
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *node;

          json_object_iter_init (&iter, self->data);
          while (json_object_iter_next (&iter, &name, &node))
            json_object_set_member (data, name, json_node_copy (node));
        }
      break;
    }
}

void
navette_change_set_idempotency_key (NavetteChange *self,
                                    const char    *key)
{
  g_return_if_fail (NAVETTE_IS_CHANGE (self));
  g_return_if_fail (key != NULL);

  if (g_strcmp0 (self->idempotency_key, key) == 0)
    return;
  g_free (self->idempotency_key);
  self->idempotency_key = g_strdup (key);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDEMPOTENCY_KEY]);
}
