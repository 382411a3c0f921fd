/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

struct _NavetteTable
{
  GObject            parent_instance;

  NavetteStore      *store;        /* weak */
  NavetteWireTable  *schema;
  GPtrArray         *retired;      /* NavetteWireTable*: earlier schemas, whose
                                    * columns widgets may still point to */
  GPtrArray         *records;      /* NavetteRecord*, sorted by id */
  GHashTable        *index;        /* id (owned by the record) → NavetteRecord* */
  GHashTable        *own;          /* "id/version" written by this client */
  gint64             revision;
  gint64             server_revision;
  double             progress;
  guint              rows_loaded;
  GPtrArray         *waiting;      /* GTask* joined to the running load */
  GCancellable      *fetch_cancellable; /* of the running load's request: cancelled
                                         * when every load joined to it is, and on
                                         * dispose */
  guint              fetch_page;       /* of the running walk */
  guint              loaded : 1;
  guint              loading : 1;
  guint              cached : 1;       /* shown from the replica, engine not loaded */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavetteTable, navette_table, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_NAME,
  PROP_TITLE,
  PROP_REVISION,
  PROP_LOADED,
  PROP_LOADING,
  PROP_CACHED,
  PROP_PROGRESS,
  PROP_ROWS_LOADED,
  PROP_N_ITEMS,
  PROP_ITEM_TYPE,
  N_PROPS
};

enum {
  RELOADED,
  SCHEMA_CHANGED,
  SERVER_REVISION_MOVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GType
navette_table_get_item_type (GListModel *model)
{
  return NAVETTE_TYPE_RECORD;
}

static guint
navette_table_get_n_items (GListModel *model)
{
  return NAVETTE_TABLE (model)->records->len;
}

static gpointer
navette_table_get_item (GListModel *model,
                        guint       position)
{
  NavetteTable *self = NAVETTE_TABLE (model);

  if (position >= self->records->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->records, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = navette_table_get_item_type;
  iface->get_n_items = navette_table_get_n_items;
  iface->get_item = navette_table_get_item;
}

/* The one place the model announces changes. */
static void
items_changed (NavetteTable *self,
               guint         position,
               guint         removed,
               guint         added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
navette_table_dispose (GObject *object)
{
  NavetteTable *self = (NavetteTable *)object;

  g_clear_weak_pointer (&self->store);
  g_cancellable_cancel (self->fetch_cancellable);

  G_OBJECT_CLASS (navette_table_parent_class)->dispose (object);
}

static void
navette_table_finalize (GObject *object)
{
  NavetteTable *self = (NavetteTable *)object;

  g_clear_pointer (&self->index, g_hash_table_unref);
  g_clear_pointer (&self->records, g_ptr_array_unref);
  g_clear_pointer (&self->own, g_hash_table_unref);
  g_clear_pointer (&self->schema, navette_wire_table_free);
  g_clear_pointer (&self->retired, g_ptr_array_unref);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_object (&self->fetch_cancellable);

  G_OBJECT_CLASS (navette_table_parent_class)->finalize (object);
}

static void
navette_table_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NavetteTable *self = NAVETTE_TABLE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_NAME:
      g_value_set_string (value, navette_table_get_name (self));
      break;
    case PROP_TITLE:
      g_value_set_string (value, navette_table_get_title (self));
      break;
    case PROP_REVISION:
      g_value_set_int64 (value, self->revision);
      break;
    case PROP_CACHED:
      g_value_set_boolean (value, self->cached);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_ROWS_LOADED:
      g_value_set_uint (value, self->rows_loaded);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->records->len);
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, NAVETTE_TYPE_RECORD);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_table_class_init (NavetteTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = navette_table_dispose;
  object_class->finalize = navette_table_finalize;
  object_class->get_property = navette_table_get_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, NAVETTE_TYPE_STORE, flags);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_REVISION] =
    g_param_spec_int64 ("revision", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_CACHED] =
    g_param_spec_boolean ("cached", NULL, NULL, FALSE, flags);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE, flags);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE, flags);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, -1.0, 1.0, -1.0, flags);
  properties[PROP_ROWS_LOADED] =
    g_param_spec_uint ("rows-loaded", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RELOADED] =
    g_signal_new ("reloaded",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_PTR_ARRAY);
  signals[SCHEMA_CHANGED] =
    g_signal_new ("schema-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SERVER_REVISION_MOVED] =
    g_signal_new ("server-revision-moved",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
navette_table_init (NavetteTable *self)
{
  self->records = g_ptr_array_new_with_free_func (g_object_unref);
  self->index = g_hash_table_new (g_str_hash, g_str_equal);
  self->own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->revision = -1;
  self->server_revision = -1;
  self->progress = -1.0;
}

NavetteTable *
navette_table_new (NavetteStore     *store,
                   NavetteWireTable *schema)
{
  NavetteTable *self = g_object_new (NAVETTE_TYPE_TABLE, NULL);

  g_set_weak_pointer (&self->store, store);
  self->schema = schema;
  return self;
}

static char *
schema_to_string (const NavetteWireTable *schema)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  navette_wire_table_to_json (schema, builder);
  node = json_builder_get_root (builder);
  return navette_json_to_string (node, NULL);
}

void
navette_table_set_schema (NavetteTable     *self,
                          NavetteWireTable *schema)
{
  gboolean title_changed = g_strcmp0 (self->schema->title, schema->title) != 0;
  g_autofree char *before = schema_to_string (self->schema);
  g_autofree char *after = schema_to_string (schema);

  if (g_strcmp0 (before, after) == 0)
    {
      navette_wire_table_free (schema);
      return;
    }

  /* Columns of the old schema may still be shown (a cell, a field): it is
   * kept until the table goes. Schemas change seldom. */
  if (self->retired == NULL)
    self->retired = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_table_free);
  g_ptr_array_add (self->retired, self->schema);
  self->schema = schema;
  if (title_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_signal_emit (self, signals[SCHEMA_CHANGED], 0);
}

NavetteStore *
navette_table_get_store (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  return self->store;
}

const char *
navette_table_get_name (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  return self->schema->name;
}

const char *
navette_table_get_title (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  return self->schema->title ? self->schema->title : self->schema->name;
}

gint64
navette_table_get_revision (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), -1);
  return self->revision;
}

gboolean
navette_table_get_loaded (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), FALSE);
  return self->loaded;
}

gboolean
navette_table_get_loading (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), FALSE);
  return self->loading;
}

double
navette_table_get_progress (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), -1.0);
  return self->progress;
}

guint
navette_table_get_rows_loaded (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), 0);
  return self->rows_loaded;
}

const NavetteWireTable *
navette_table_get_schema (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  return self->schema;
}

const NavetteWireColumn *
navette_table_lookup_column (NavetteTable *self,
                             const char   *name)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  return navette_wire_table_lookup_column (self->schema, name);
}

NavetteRecord *
navette_table_lookup (NavetteTable *self,
                      const char   *id)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return g_hash_table_lookup (self->index, id);
}

/* Binary search: the position of @id, or where it would be inserted. */
static guint
search (NavetteTable *self,
        const char   *id,
        gboolean     *found)
{
  guint lo = 0, hi = self->records->len;

  *found = FALSE;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      NavetteRecord *record = g_ptr_array_index (self->records, mid);
      int cmp = strcmp (id, navette_record_get_id (record));

      if (cmp == 0)
        {
          *found = TRUE;
          return mid;
        }
      if (cmp < 0)
        hi = mid;
      else
        lo = mid + 1;
    }

  return lo;
}

guint
navette_table_find (NavetteTable *self,
                    const char   *id)
{
  gboolean found;
  guint pos;

  g_return_val_if_fail (NAVETTE_IS_TABLE (self), G_MAXUINT);
  g_return_val_if_fail (id != NULL, G_MAXUINT);

  pos = search (self, id, &found);
  return found ? pos : G_MAXUINT;
}

/* ---- Internal changes ---- */

void
navette_table_record_changed (NavetteTable  *self,
                              NavetteRecord *record)
{
  guint pos = navette_table_find (self, navette_record_get_id (record));

  if (pos != G_MAXUINT)
    items_changed (self, pos, 1, 1);
}

static guint
insert_record_silently (NavetteTable  *self,
                        NavetteRecord *record)
{
  gboolean found;
  guint pos = search (self, navette_record_get_id (record), &found);

  g_assert (!found);
  g_ptr_array_insert (self->records, pos, g_object_ref (record));
  g_hash_table_insert (self->index, (gpointer) navette_record_get_id (record), record);
  return pos;
}

void
navette_table_insert_record (NavetteTable  *self,
                             NavetteRecord *record)
{
  guint pos = insert_record_silently (self, record);

  items_changed (self, pos, 0, 1);
}

void
navette_table_remove_record (NavetteTable  *self,
                             NavetteRecord *record)
{
  guint pos = navette_table_find (self, navette_record_get_id (record));

  if (pos == G_MAXUINT)
    return;

  g_hash_table_remove (self->index, navette_record_get_id (record));
  g_ptr_array_remove_index (self->records, pos);
  items_changed (self, pos, 1, 0);
}

/* Adjacent rows changed the same way go out as one items-changed. */
typedef enum { RUN_NONE, RUN_UPDATE, RUN_INSERT, RUN_REMOVE } RunKind;

typedef struct
{
  RunKind kind;
  guint   start;
  guint   len;
} Run;

static void
run_flush (NavetteTable *self,
           Run          *run)
{
  switch (run->kind)
    {
    case RUN_UPDATE:
      items_changed (self, run->start, run->len, run->len);
      break;
    case RUN_INSERT:
      items_changed (self, run->start, 0, run->len);
      break;
    case RUN_REMOVE:
      items_changed (self, run->start, run->len, 0);
      break;
    case RUN_NONE:
    default:
      break;
    }
  run->kind = RUN_NONE;
  run->len = 0;
}

static void
run_add (NavetteTable *self,
         Run          *run,
         RunKind       kind,
         guint         pos)
{
  if (run->kind == kind)
    {
      if ((kind == RUN_UPDATE || kind == RUN_INSERT) && pos == run->start + run->len)
        {
          run->len++;
          return;
        }
      if (kind == RUN_REMOVE && pos + 1 == run->start)
        {
          run->start = pos;
          run->len++;
          return;
        }
    }
  run_flush (self, run);
  run->kind = kind;
  run->start = pos;
  run->len = 1;
}

guint
navette_table_apply_records (NavetteTable *self,
                             GPtrArray    *wire_records,
                             gboolean      full,
                             gint64        revision,
                             GPtrArray    *changed)
{
  guint n_changed = 0;

  if (self->records->len == 0)
    {
      /* First load: build the model at once, one items-changed. */
      g_ptr_array_set_size (self->records, 0);
      for (guint i = 0; i < wire_records->len; i++)
        {
          NavettePackedRecord *packed = g_ptr_array_index (wire_records, i);
          NavetteRecord *record;

          if (packed == NULL || g_hash_table_contains (self->index, packed->id))
            continue;
          record = navette_record_new_from_packed (g_steal_pointer (&wire_records->pdata[i]));
          g_ptr_array_add (self->records, record);
          g_hash_table_insert (self->index, (gpointer) navette_record_get_id (record), record);
          if (changed != NULL)
            g_ptr_array_add (changed, g_object_ref (record));
        }
      n_changed = self->records->len;
      if (n_changed > 0)
        items_changed (self, 0, 0, n_changed);
    }
  else
    {
      g_autoptr(GHashTable) present = NULL;
      Run run = { RUN_NONE, 0, 0 };

      if (full)
        {
          present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          for (guint i = 0; i < wire_records->len; i++)
            {
              NavettePackedRecord *packed = g_ptr_array_index (wire_records, i);

              if (packed != NULL)
                g_hash_table_add (present, g_strdup (packed->id));
            }
        }

      for (guint i = 0; i < wire_records->len; i++)
        {
          NavettePackedRecord *wire = g_ptr_array_index (wire_records, i);
          NavetteRecord *record;

          if (wire == NULL)
            continue;
          record = g_hash_table_lookup (self->index, wire->id);
          if (record == NULL)
            {
              guint pos;

              record = navette_record_new_from_packed (g_steal_pointer (&wire_records->pdata[i]));
              pos = insert_record_silently (self, record);
              run_add (self, &run, RUN_INSERT, pos);
              if (changed != NULL)
                g_ptr_array_add (changed, g_object_ref (record));
              g_object_unref (record);
              n_changed++;
              continue;
            }

          if (navette_record_same_server (record, wire))
            continue;

          /* Pending changes stay on top of the new server state (see
           * navette_record_recompute()): optimistic values survive. */
          if (navette_record_set_server_packed (record, g_steal_pointer (&wire_records->pdata[i])))
            {
              guint pos = navette_table_find (self, navette_record_get_id (record));

              if (pos != G_MAXUINT)
                run_add (self, &run, RUN_UPDATE, pos);
              if (changed != NULL)
                g_ptr_array_add (changed, g_object_ref (record));
              n_changed++;
            }
        }

      run_flush (self, &run);

      if (full)
        {
          for (guint i = self->records->len; i > 0; i--)
            {
              NavetteRecord *record = g_ptr_array_index (self->records, i - 1);

              if (navette_record_get_server (record) == NULL ||
                  navette_record_get_pending (record) != NULL ||
                  g_hash_table_contains (present, navette_record_get_id (record)))
                continue;

              g_hash_table_remove (self->index, navette_record_get_id (record));
              /* Emit the run before (above) this row first, while the
               * positions it names are still right. */
              run_add (self, &run, RUN_REMOVE, i - 1);
              g_ptr_array_remove_index (self->records, i - 1);
              n_changed++;
            }
          run_flush (self, &run);
        }
    }

  if (revision > self->revision)
    {
      self->revision = revision;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
    }
  if (revision > self->server_revision)
    self->server_revision = revision;

  return n_changed;
}

static char *
own_key (const char *id,
         gint64      version)
{
  return g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, version);
}

void
navette_table_mark_own (NavetteTable *self,
                        const char   *id,
                        gint64        version)
{
  g_hash_table_add (self->own, own_key (id, version));
}

gboolean
navette_table_is_own (NavetteTable *self,
                      const char   *id,
                      gint64        version)
{
  g_autofree char *key = own_key (id, version);

  return g_hash_table_contains (self->own, key);
}

gint64
navette_table_get_server_revision (NavetteTable *self)
{
  return self->server_revision;
}

void
navette_table_set_server_revision (NavetteTable *self,
                                   gint64        revision)
{
  gboolean moved = revision > self->server_revision;

  self->server_revision = revision;
  if (moved)
    g_signal_emit (self, signals[SERVER_REVISION_MOVED], 0, revision);
}

/* ---- Reload ---- */

typedef struct
{
  gboolean      delta;
  gint64        since;
  guint         n_changed;
  GCancellable *cancellable;   /* the caller's, watched while joined */
  gulong        cancelled_id;
} ReloadData;

static void
reload_data_free (ReloadData *data)
{
  if (data->cancelled_id != 0)
    g_cancellable_disconnect (data->cancellable, data->cancelled_id);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static gboolean
task_cancelled (GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  return cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

/* A caller gave up: when every load joined to the request did, the
 * request itself is cancelled (a 100 000-row answer is not read for
 * nobody). */
static void
waiter_cancelled_cb (GCancellable *cancellable,
                     NavetteTable *self)
{
  if (self->waiting == NULL || self->fetch_cancellable == NULL)
    return;
  for (guint i = 0; i < self->waiting->len; i++)
    if (!task_cancelled (g_ptr_array_index (self->waiting, i)))
      return;
  g_cancellable_cancel (self->fetch_cancellable);
}

/* Adds @task to the running load. */
static void
join_load (NavetteTable *self,
           GTask        *task)
{
  ReloadData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_ptr_array_add (self->waiting, task);
  if (cancellable != NULL)
    {
      data->cancellable = g_object_ref (cancellable);
      /* Runs at once when it is cancelled already. */
      data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                                  self, NULL);
    }
}

static void
set_loading (NavetteTable *self,
             gboolean      loading)
{
  if (self->loading == !!loading)
    return;
  self->loading = !!loading;
  self->progress = loading ? -1.0 : 1.0;
  if (loading && self->rows_loaded != 0)
    {
      self->rows_loaded = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_LOADED]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
finish_waiting (NavetteTable *self,
                guint         n_changed,
                const GError *error)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    {
      GTask *task = g_ptr_array_index (waiting, i);
      ReloadData *data = g_task_get_task_data (task);

      if (data->cancelled_id != 0)
        {
          g_cancellable_disconnect (data->cancellable, data->cancelled_id);
          data->cancelled_id = 0;
        }
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        {
          data->n_changed = n_changed;
          g_task_return_boolean (task, TRUE);
        }
    }
}

static void start_fetch (NavetteTable *self,
                         gint64        since);

/* ---- Shown from the replica ---- */

gboolean
navette_table_get_cached (NavetteTable *self)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), FALSE);
  return self->cached;
}

void
navette_table_set_cached (NavetteTable *self,
                          gboolean      cached)
{
  g_return_if_fail (NAVETTE_IS_TABLE (self));

  if (self->cached == !!cached)
    return;
  self->cached = !!cached;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHED]);
}

static void
list_records_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NavetteTable) self = user_data;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) changed = NULL;
  g_autoptr(GError) error = NULL;
  gint64 revision = -1;
  gint64 since;
  guint n_changed;
  GTask *first;

  records = navette_client_list_records_finish_packed (NAVETTE_CLIENT (object), result, &revision, &error);
  if (records == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      self->store != NULL && self->waiting != NULL)
    {
      /* Cancelled when every load had given up, but another one joined
       * since: ask again for it. */
      for (guint i = 0; i < self->waiting->len; i++)
        if (!task_cancelled (g_ptr_array_index (self->waiting, i)))
          {
            start_fetch (self, ((ReloadData *) g_task_get_task_data (g_ptr_array_index (self->waiting, 0)))->since);
            return;
          }
    }
  if (records == NULL)
    {
      set_loading (self, FALSE);
      finish_waiting (self, 0, error);
      return;
    }

  first = g_ptr_array_index (self->waiting, 0);
  since = ((ReloadData *) g_task_get_task_data (first))->since;

  /* A delta that brings nothing although the revision moved: a row was
   * written by another program without a proper revision. Fetch it all
   * (still one reload). */
  if (since >= 0 && records->len == 0 && revision > self->revision && self->loaded)
    {
      for (guint i = 0; i < self->waiting->len; i++)
        ((ReloadData *) g_task_get_task_data (g_ptr_array_index (self->waiting, i)))->since = -1;
      start_fetch (self, -1);
      return;
    }

  if (self->rows_loaded != records->len)
    {
      self->rows_loaded = records->len;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_LOADED]);
    }
  changed = g_ptr_array_new_with_free_func (g_object_unref);
  {
    gint64 start = g_get_monotonic_time ();

    n_changed = navette_table_apply_records (self, records, since < 0, revision, changed);
    g_debug ("Applied %u records to %s in %.1f ms: %u changed",
             records->len, self->schema->name, (g_get_monotonic_time () - start) / 1000.0, n_changed);
  }

  if (!self->loaded)
    {
      self->loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  set_loading (self, FALSE);
  if (self->cached)
    {
      self->cached = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHED]);
    }

  g_signal_emit (self, signals[RELOADED], 0, n_changed, changed);
  finish_waiting (self, n_changed, NULL);
}

/* Bytes received / Content-Length of the first page, notified in steps
 * of 1 %. Once a second page is asked for, the total is unknown (the
 * server does not give it): -1, and "rows-loaded" says how far the walk
 * is. The table is kept alive by the fetch's own reference. */
static void
fetch_progress_cb (guint64  received,
                   guint64  expected,
                   gpointer user_data)
{
  NavetteTable *self = user_data;
  double progress;

  if (!self->loading || expected == 0 || self->fetch_page > 0)
    return;
  progress = MIN (1.0, (double) received / (double) expected);
  if (progress < 1.0 && progress - MAX (self->progress, 0.0) < 0.01)
    return;
  self->progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
fetch_page_cb (guint    rows,
               guint    page,
               gpointer user_data)
{
  NavetteTable *self = user_data;

  self->fetch_page = page;
  if (!self->loading)
    return;
  if (page > 0 && self->progress != -1.0)
    {
      self->progress = -1.0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
  if (rows != self->rows_loaded)
    {
      self->rows_loaded = rows;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_LOADED]);
    }
}

static void
start_fetch (NavetteTable *self,
             gint64        since)
{
  NavetteClient *client;

  g_assert (self->store != NULL);
  client = navette_store_get_client (self->store);
  /* A new request after one that was cancelled. */
  if (self->fetch_cancellable == NULL || g_cancellable_is_cancelled (self->fetch_cancellable))
    {
      g_clear_object (&self->fetch_cancellable);
      self->fetch_cancellable = g_cancellable_new ();
    }
  navette_client_list_records_progress_async (client,
                                              navette_store_get_name (self->store),
                                              self->schema->name,
                                              since, fetch_progress_cb, fetch_page_cb, self,
                                              self->fetch_cancellable,
                                              list_records_cb, g_object_ref (self));
}

void
navette_table_reload_async (NavetteTable        *self,
                            gboolean             full,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReloadData *data;

  g_return_if_fail (NAVETTE_IS_TABLE (self));
  g_return_if_fail (self->store != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_table_reload_async);
  data = g_new0 (ReloadData, 1);
  data->since = (full || !self->loaded) ? -1 : self->revision;
  g_task_set_task_data (task, data, (GDestroyNotify) reload_data_free);

  if (self->waiting != NULL)
    {
      /* Join the running load. */
      join_load (self, g_steal_pointer (&task));
      return;
    }

  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_clear_object (&self->fetch_cancellable);
  self->fetch_cancellable = g_cancellable_new ();
  join_load (self, g_object_ref (task));
  set_loading (self, TRUE);
  start_fetch (self, data->since);
}

gboolean
navette_table_reload_finish (NavetteTable  *self,
                             GAsyncResult  *result,
                             guint         *n_changed,
                             GError       **error)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (n_changed != NULL)
    *n_changed = ((ReloadData *) g_task_get_task_data (G_TASK (result)))->n_changed;

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- One record ---- */

static void
fetch_record_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NavetteTable *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(NavetteWireRecord) wire = NULL;
  g_autoptr(GPtrArray) one = NULL;
  GError *error = NULL;
  NavetteRecord *record;

  root = navette_client_request_finish (NAVETTE_CLIENT (object), result, NULL, NULL, NULL, &error);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    wire = navette_wire_record_from_json (json_node_get_object (root), NULL);
  if (wire == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                                     _("The server’s answer could not be understood."));
      g_task_return_error (task, error);
      return;
    }

  one = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_packed_record_free);
  g_ptr_array_add (one, navette_packed_record_new_from_wire (wire));
  navette_table_apply_records (self, one, FALSE, -1, NULL);

  record = navette_table_lookup (self, wire->id);
  g_assert (record != NULL);
  g_task_return_pointer (task, g_object_ref (record), g_object_unref);
}

void
navette_table_fetch_record_async (NavetteTable        *self,
                                  const char          *id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autofree char *suffix = NULL;
  GTask *task;

  g_return_if_fail (NAVETTE_IS_TABLE (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (self->store != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_table_fetch_record_async);

  if (!navette_uuid_is_valid (id))
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                               _("“%s” is not a record id."), id);
      g_object_unref (task);
      return;
    }

  suffix = g_strdup_printf ("/records/%s", id);
  path = navette_client_table_path (navette_store_get_name (self->store), self->schema->name, suffix);
  navette_client_request_async (navette_store_get_client (self->store), "GET", path, NULL,
                                NULL, NULL, cancellable, fetch_record_cb, task);
}

NavetteRecord *
navette_table_fetch_record_finish (NavetteTable  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Parsing typed values ---- */

static JsonNode *
value_error (const char  *column,
             const char  *problem,
             GError     **error)
{
  GHashTable *fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GError *local_error;

  g_hash_table_insert (fields, g_strdup (column), g_strdup (problem));
  /* Translators: "price: not a number" */
  local_error = g_error_new (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION,
                             _("%s: %s"), column, problem);
  navette_sync_error_set_fields (local_error, fields);
  g_propagate_error (error, local_error);
  return NULL;
}

JsonNode *
navette_table_parse_value (NavetteTable  *self,
                           const char    *column,
                           const char    *text,
                           GError       **error)
{
  const NavetteWireColumn *col;
  JsonNode *node;

  g_return_val_if_fail (NAVETTE_IS_TABLE (self), NULL);
  g_return_val_if_fail (column != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  col = navette_wire_table_lookup_column (self->schema, column);
  if (col == NULL)
    return value_error (column, _("there is no such column"), error);

  /* Empty is no value, but for text, where it is the empty text. */
  if (col->type != NAVETTE_COLUMN_TEXT && col->type != NAVETTE_COLUMN_LONG_TEXT &&
      (text[0] == '\0' || g_strcmp0 (text, "null") == 0))
    return json_node_init_null (json_node_alloc ());

  node = json_node_alloc ();
  switch (col->type)
    {
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_CHOICE:   /* the choices, addresses: checked on saving */
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    default:   /* a type not known yet: text */
      json_node_init_string (node, text);
      break;
    case NAVETTE_COLUMN_INTEGER:
      {
        gint64 v;

        if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &v, NULL))
          {
            json_node_unref (node);
            return value_error (column, _("not a whole number"), error);
          }
        json_node_init_int (node, v);
      }
      break;
    case NAVETTE_COLUMN_REAL:
      {
        char *end = NULL;
        double v = g_ascii_strtod (text, &end);

        if (end == text || *end != '\0' || !isfinite (v))
          {
            json_node_unref (node);
            return value_error (column, _("not a number"), error);
          }
        json_node_init_double (node, v);
      }
      break;
    case NAVETTE_COLUMN_BOOLEAN:
      if (g_ascii_strcasecmp (text, "true") == 0 || g_ascii_strcasecmp (text, "yes") == 0 ||
          g_strcmp0 (text, "1") == 0)
        json_node_init_boolean (node, TRUE);
      else if (g_ascii_strcasecmp (text, "false") == 0 || g_ascii_strcasecmp (text, "no") == 0 ||
               g_strcmp0 (text, "0") == 0)
        json_node_init_boolean (node, FALSE);
      else
        {
          json_node_unref (node);
          return value_error (column, _("not true or false"), error);
        }
      break;
    case NAVETTE_COLUMN_DATE:
      if (!navette_date_is_valid (text))
        {
          json_node_unref (node);
          return value_error (column, _("not a date (YYYY-MM-DD)"), error);
        }
      json_node_init_string (node, text);
      break;
    }

  return node;
}
