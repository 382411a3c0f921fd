/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include "navette-sidebar-row.h"

struct _NavetteSidebarRow
{
  GtkListBoxRow  parent_instance;

  /* Template widgets */
  GtkLabel      *title;
  GtkLabel      *count;

  NavetteTable  *table;
  guint          count_idle;
  NavetteReplica *replica;      /* counts the rows when the table is not loaded */
  GCancellable  *count_cancellable;
  gint64         replica_count; /* -1: not counted (yet); with the records
                                 * created here it does not hold yet */
  GHashTable    *created;       /* ids of the records seen created here
                                 * (version 0), still in the table */
  GStrv          counted;       /* those of them not archived, sorted: the
                                 * ones the replica's count was asked for */
};

G_DEFINE_FINAL_TYPE (NavetteSidebarRow, navette_sidebar_row, GTK_TYPE_LIST_BOX_ROW)


/* Read as "Products, 6 records" (the row has no name of its own).
 * @n: the number of records shown, or -1 when not counted (yet). */
static void
update_name (NavetteSidebarRow *self,
             gint64             n)
{
  g_autofree char *name = NULL;

  if (n >= 0)
    {
      g_autofree char *count = g_strdup_printf ("%'" G_GINT64_FORMAT, n);

      /* Translators: a table in the sidebar, as a screen reader says it:
       * "Products, 6 records"; %s is the number, grouped as the locale
       * writes it ("1 000 006") */
      name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %s record", "%s, %s records", (gulong) n),
                              navette_table_get_title (self->table), count);
    }
  else
    name = g_strdup (navette_table_get_title (self->table));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static gboolean
count_idle_cb (gpointer user_data)
{
  NavetteSidebarRow *self = user_data;
  g_autofree char *text = NULL;
  gint64 shown = -1;

  self->count_idle = 0;
  if (navette_table_get_loaded (self->table))
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->table));

      /* Archived records are not listed: do not count them. */
      shown = 0;
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (self->table), i);

          shown += !navette_record_get_archived (record);
        }
    }
  else if (self->replica_count >= 0)
    shown = self->replica_count;
  /* Grouped as the locale writes numbers: "1 000 006" in French. */
  if (shown >= 0)
    text = g_strdup_printf ("%'" G_GINT64_FORMAT, shown);
  gtk_label_set_label (self->count, text != NULL ? text : "");
  update_name (self, shown);
  return G_SOURCE_REMOVE;
}

/* Once per main-loop iteration at most, however many rows changed. */
static void
count_update (NavetteSidebarRow *self)
{
  if (self->count_idle == 0)
    self->count_idle = g_idle_add (count_idle_cb, self);
}

static void
navette_sidebar_row_dispose (GObject *object)
{
  NavetteSidebarRow *self = NAVETTE_SIDEBAR_ROW (object);

  g_clear_handle_id (&self->count_idle, g_source_remove);
  g_cancellable_cancel (self->count_cancellable);
  g_clear_object (&self->count_cancellable);
  g_clear_object (&self->replica);
  g_clear_object (&self->table);
  g_clear_pointer (&self->created, g_hash_table_unref);
  g_clear_pointer (&self->counted, g_strfreev);

  G_OBJECT_CLASS (navette_sidebar_row_parent_class)->dispose (object);
}

static void
navette_sidebar_row_class_init (NavetteSidebarRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_sidebar_row_dispose;


  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-sidebar-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteSidebarRow, title);
  gtk_widget_class_bind_template_child (widget_class, NavetteSidebarRow, count);
}

static void
navette_sidebar_row_init (NavetteSidebarRow *self)
{
  self->replica_count = -1;
  self->created = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
counted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  NavetteSidebarRow *self;
  g_autoptr(GError) error = NULL;
  gint64 n = navette_replica_count_finish (NAVETTE_REPLICA (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = NAVETTE_SIDEBAR_ROW (user_data);
  if (error != NULL)
    g_debug ("Counting %s in the replica: %s", navette_table_get_name (self->table), error->message);
  self->replica_count = n;
  count_update (self);
}

void
navette_sidebar_row_recount (NavetteSidebarRow *self)
{
  NavetteStore *store;

  g_return_if_fail (NAVETTE_IS_SIDEBAR_ROW (self));

  store = navette_table_get_store (self->table);
  if (self->replica == NULL || store == NULL || navette_table_get_loaded (self->table))
    return;
  g_cancellable_cancel (self->count_cancellable);
  g_clear_object (&self->count_cancellable);
  self->count_cancellable = g_cancellable_new ();
  /* The row outlives the count: cancelled on dispose. */
  navette_replica_count_async (self->replica, navette_store_get_name (store),
                               navette_table_get_name (self->table),
                               (const char * const *) self->counted, self->count_cancellable,
                               counted_cb, self);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The ids of the records created here, still in the table and not
 * archived, sorted. A table not loaded holds only the records edited or
 * created here (the replica holds the rest); a record created here keeps
 * counting once sent (its version no longer 0) until the replica holds
 * it (then the replica's count has it, as the list does). */
static GStrv
created_ids (NavetteSidebarRow *self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->table));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NavetteRecord) record = g_list_model_get_item (G_LIST_MODEL (self->table), i);
      const char *id = navette_record_get_id (record);

      if (*id == '\0' || (navette_record_get_version (record) != 0 && !g_hash_table_contains (self->created, id)))
        continue;
      g_hash_table_add (seen, g_strdup (id));
      if (!navette_record_get_archived (record))
        g_ptr_array_add (ids, g_strdup (id));
    }
  g_hash_table_unref (self->created);
  self->created = g_steal_pointer (&seen);
  g_ptr_array_sort (ids, compare_strings);
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/* The table's records changed: a record created here (or one rolled
 * back, archived, restored) changes the count of a table not loaded. */
static void
table_items_changed_cb (NavetteSidebarRow *self)
{
  g_auto(GStrv) ids = NULL;

  count_update (self);
  if (self->replica == NULL || navette_table_get_loaded (self->table))
    return;
  ids = created_ids (self);
  if (self->counted != NULL && g_strv_equal ((const char * const *) ids, (const char * const *) self->counted))
    return;
  g_strfreev (self->counted);
  self->counted = g_steal_pointer (&ids);
  navette_sidebar_row_recount (self);
}

GtkWidget *
navette_sidebar_row_new (NavetteTable   *table,
                         NavetteReplica *replica)
{
  NavetteSidebarRow *self;

  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (replica == NULL || NAVETTE_IS_REPLICA (replica), NULL);

  self = g_object_new (NAVETTE_TYPE_SIDEBAR_ROW, NULL);
  self->table = g_object_ref (table);
  if (replica != NULL)
    self->replica = g_object_ref (replica);
  /* Creates journaled and replayed before the row was made count too. */
  self->counted = created_ids (self);
  navette_sidebar_row_recount (self);
  g_object_bind_property (table, "title", self->title, "label", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (table, "notify::title", G_CALLBACK (count_update), self, G_CONNECT_SWAPPED);
  update_name (self, -1);
  count_update (self);
  g_signal_connect_object (table, "items-changed", G_CALLBACK (table_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (table, "notify::loaded", G_CALLBACK (count_update), self, G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

NavetteTable *
navette_sidebar_row_get_table (NavetteSidebarRow *self)
{
  g_return_val_if_fail (NAVETTE_IS_SIDEBAR_ROW (self), NULL);
  return self->table;
}
