/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <string.h>

#include "navette-record-sorter.h"

struct _NavetteRecordSorter
{
  GtkSorter                parent_instance;

  const NavetteWireColumn *column;
  GQuark                   quark;    /* of the collation key kept on each record */
};

G_DEFINE_FINAL_TYPE (NavetteRecordSorter, navette_record_sorter, GTK_TYPE_SORTER)

typedef struct
{
  char   *text;
  guint8 *key;
  gsize   key_len;
} SortKey;

static void
sort_key_free (gpointer data)
{
  SortKey *sort_key = data;

  g_free (sort_key->text);
  g_free (sort_key->key);
  g_free (sort_key);
}

static const SortKey *
record_sort_key (NavetteRecordSorter *self,
                 NavetteRecord       *record)
{
  const char *text = navette_record_get_string (record, self->column->name);
  SortKey *sort_key = g_object_get_qdata (G_OBJECT (record), self->quark);

  if (sort_key == NULL || g_strcmp0 (sort_key->text, text) != 0)
    {
      sort_key = g_new0 (SortKey, 1);
      sort_key->text = g_strdup (text);
      /* The replica's order (navette-sort-key.c): accents and case
       * second, numbers by value ("n° 2" before "n° 10"). */
      sort_key->key = navette_sort_key (text != NULL ? text : "", -1, &sort_key->key_len);
      g_object_set_qdata_full (G_OBJECT (record), self->quark, sort_key, sort_key_free);
    }
  return sort_key;
}

static int
compare_sort_keys (const SortKey *a,
                   const SortKey *b)
{
  int cmp = memcmp (a->key, b->key, MIN (a->key_len, b->key_len));

  if (cmp != 0)
    return cmp;
  return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

static int
compare_records (NavetteRecordSorter *self,
                 NavetteRecord       *ra,
                 NavetteRecord       *rb)
{
  const NavetteWireColumn *column = self->column;
  gboolean na = navette_record_is_null (ra, column->name);
  gboolean nb = navette_record_is_null (rb, column->name);

  if (na || nb)
    return na == nb ? 0 : (na ? 1 : -1);

  switch (column->type)
    {
    case NAVETTE_COLUMN_INTEGER:
      {
        gint64 x = navette_record_get_int (ra, column->name);
        gint64 y = navette_record_get_int (rb, column->name);

        return x < y ? -1 : x > y;
      }
    case NAVETTE_COLUMN_REAL:
      {
        double x = navette_record_get_double (ra, column->name);
        double y = navette_record_get_double (rb, column->name);

        return x < y ? -1 : x > y;
      }
    case NAVETTE_COLUMN_BOOLEAN:
      return (int) navette_record_get_boolean (ra, column->name) -
             (int) navette_record_get_boolean (rb, column->name);
    case NAVETTE_COLUMN_DATE:
      return g_strcmp0 (navette_record_get_string (ra, column->name),
                        navette_record_get_string (rb, column->name));
    case NAVETTE_COLUMN_TEXT:
    case NAVETTE_COLUMN_LONG_TEXT:
    case NAVETTE_COLUMN_CHOICE:
    case NAVETTE_COLUMN_URL:
    case NAVETTE_COLUMN_EMAIL:
    default:   /* a type not known yet */
      return compare_sort_keys (record_sort_key (self, ra), record_sort_key (self, rb));
    }
}

#define PROBE_KEY "navette-sort-probe-column"

static GtkOrdering
navette_record_sorter_compare (GtkSorter *sorter,
                               gpointer   item1,
                               gpointer   item2)
{
  /* A probe (navette_record_sorter_probe()): the first sorter asked
   * names its column, and says "smaller". */
  if (G_UNLIKELY (!NAVETTE_IS_RECORD (item1)))
    {
      if (g_object_get_data (item1, PROBE_KEY) == NULL)
        g_object_set_data_full (item1, PROBE_KEY,
                                g_strdup (NAVETTE_RECORD_SORTER (sorter)->column->name), g_free);
      return GTK_ORDERING_SMALLER;
    }
  return gtk_ordering_from_cmpfunc (compare_records (NAVETTE_RECORD_SORTER (sorter),
                                                     NAVETTE_RECORD (item1), NAVETTE_RECORD (item2)));
}

static GtkSorterOrder
navette_record_sorter_get_order (GtkSorter *sorter)
{
  return GTK_SORTER_ORDER_PARTIAL;
}

static void
navette_record_sorter_class_init (NavetteRecordSorterClass *klass)
{
  GtkSorterClass *sorter_class = GTK_SORTER_CLASS (klass);

  sorter_class->compare = navette_record_sorter_compare;
  sorter_class->get_order = navette_record_sorter_get_order;
}

static void
navette_record_sorter_init (NavetteRecordSorter *self)
{
}

GtkSorter *
navette_record_sorter_new (const NavetteWireColumn *column)
{
  NavetteRecordSorter *self;
  g_autofree char *quark_name = NULL;

  g_return_val_if_fail (column != NULL, NULL);

  self = g_object_new (NAVETTE_TYPE_RECORD_SORTER, NULL);
  self->column = column;
  quark_name = g_strconcat ("navette-sort-key-", column->name, NULL);
  self->quark = g_quark_from_string (quark_name);
  return GTK_SORTER (self);
}

char *
navette_record_sorter_probe (GtkSorter *sorter,
                             gboolean  *descending)
{
  g_autoptr(GObject) a = NULL;
  g_autoptr(GObject) b = NULL;
  GtkOrdering order;

  g_return_val_if_fail (GTK_IS_SORTER (sorter), NULL);

  /* The view's sorter asks its column sorters in order, the primary one
   * first, and inverts the answer of a descending one: the first column
   * sorter asked is the primary column, and the answer its direction. */
  a = g_object_new (G_TYPE_OBJECT, NULL);
  b = g_object_new (G_TYPE_OBJECT, NULL);
  order = gtk_sorter_compare (sorter, a, b);
  if (descending != NULL)
    *descending = order == GTK_ORDERING_LARGER;
  if (order == GTK_ORDERING_EQUAL)
    return NULL;
  return g_strdup (g_object_get_data (a, PROBE_KEY));
}
