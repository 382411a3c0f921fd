/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <glib/gi18n.h>

#include "navette-format.h"
#include "navette-history-row.h"
#include "navette-a11y.h"

struct _NavetteHistoryRow
{
  GtkListBoxRow  parent_instance;

  /* Template widgets */
  GtkBox        *box;
  GtkLabel      *title;
  GtkLabel      *when;
  GtkLabel      *note;
  GtkWidget     *current_label;
  GtkWidget     *restore_button;

  NavetteRecord *version;
};

G_DEFINE_FINAL_TYPE (NavetteHistoryRow, navette_history_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  RESTORE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
restore_clicked_cb (NavetteHistoryRow *self)
{
  g_signal_emit (self, signals[RESTORE], 0);
}

static void
navette_history_row_dispose (GObject *object)
{
  NavetteHistoryRow *self = NAVETTE_HISTORY_ROW (object);

  g_clear_object (&self->version);

  G_OBJECT_CLASS (navette_history_row_parent_class)->dispose (object);
}

static void
navette_history_row_class_init (NavetteHistoryRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = navette_history_row_dispose;

  signals[RESTORE] =
    g_signal_new ("restore",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/navette/Navette/navette-history-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NavetteHistoryRow, box);
  gtk_widget_class_bind_template_child (widget_class, NavetteHistoryRow, title);
  gtk_widget_class_bind_template_child (widget_class, NavetteHistoryRow, when);
  gtk_widget_class_bind_template_child (widget_class, NavetteHistoryRow, note);
  gtk_widget_class_bind_template_child (widget_class, NavetteHistoryRow, current_label);
  gtk_widget_class_bind_template_child (widget_class, NavetteHistoryRow, restore_button);
  gtk_widget_class_bind_template_callback (widget_class, restore_clicked_cb);
}

static void
navette_history_row_init (NavetteHistoryRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  navette_a11y_fix_mnemonics (GTK_WIDGET (self));
}

/* A line of the changes, before the note. */
static GtkLabel *
add_line (NavetteHistoryRow *self,
          const char        *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_insert_child_after (self->box, label,
                              gtk_widget_get_prev_sibling (GTK_WIDGET (self->note)));
  return GTK_LABEL (label);
}

/* What @version changed after @older: archived or restored, then each
 * column whose value changed. */
static void
add_changes (NavetteHistoryRow *self,
             NavetteTable      *table,
             NavetteRecord     *version,
             NavetteRecord     *older)
{
  const NavetteWireTable *schema = navette_table_get_schema (table);
  JsonObject *data = navette_record_get_data (version);
  JsonObject *old_data = navette_record_get_data (older);

  if (navette_record_get_archived (version) != navette_record_get_archived (older))
    add_line (self, navette_record_get_archived (version) ? _("Archived") : _("Restored from the archive"));
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (schema->columns, i);
      JsonNode *a = old_data != NULL && json_object_has_member (old_data, column->name)
                    ? json_object_get_member (old_data, column->name) : NULL;
      JsonNode *b = data != NULL && json_object_has_member (data, column->name)
                    ? json_object_get_member (data, column->name) : NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      g_autofree char *line = NULL;
      GtkLabel *label;

      if (navette_format_same_value (a, b))
        continue;
      /* A long text: what changed in it, word by word, not two cut
       * prefixes. */
      if (a != NULL && b != NULL &&
          JSON_NODE_HOLDS_VALUE (a) && json_node_get_value_type (a) == G_TYPE_STRING &&
          JSON_NODE_HOLDS_VALUE (b) && json_node_get_value_type (b) == G_TYPE_STRING &&
          (g_str_equal (navette_column_type_to_string (column->type), "long_text") ||
           g_utf8_strlen (json_node_get_string (a), -1) > 40 ||
           g_utf8_strlen (json_node_get_string (b), -1) > 40))
        {
          g_autofree char *diff = navette_format_word_diff (json_node_get_string (a), json_node_get_string (b));
          g_autofree char *title = g_markup_escape_text (column->title != NULL ? column->title : column->name, -1);

          /* Translators: a long text changed, in the history: "Body: " and
           * the text with the removed words struck through and the added
           * ones underlined */
          line = g_strdup_printf (_("%s: %s"), title, diff);
          label = add_line (self, NULL);
          gtk_label_set_markup (label, line);
          gtk_label_set_wrap (label, TRUE);
          gtk_label_set_wrap_mode (label, PANGO_WRAP_WORD_CHAR);
          gtk_label_set_selectable (label, TRUE);
          continue;
        }
      before = navette_format_value (a);
      after = navette_format_value (b);
      /* Translators: a changed column in the history: "Price: 12.50 → 14.00" */
      line = g_strdup_printf (_("%s: %s → %s"),
                              column->title != NULL ? column->title : column->name,
                              before, after);
      label = add_line (self, line);
      gtk_label_set_wrap (label, TRUE);
      gtk_label_set_wrap_mode (label, PANGO_WRAP_WORD_CHAR);
    }
}

GtkWidget *
navette_history_row_new (NavetteTable  *table,
                         NavetteRecord *version,
                         NavetteRecord *older,
                         gboolean       current,
                         gboolean       can_restore,
                         const char    *note)
{
  NavetteHistoryRow *self;
  g_autofree char *number = NULL;
  g_autofree char *title = NULL;
  g_autofree char *when = NULL;
  g_autofree char *tooltip = NULL;

  g_return_val_if_fail (NAVETTE_IS_TABLE (table), NULL);
  g_return_val_if_fail (NAVETTE_IS_RECORD (version), NULL);
  g_return_val_if_fail (older == NULL || NAVETTE_IS_RECORD (older), NULL);

  self = g_object_new (NAVETTE_TYPE_HISTORY_ROW, NULL);
  self->version = g_object_ref (version);

  number = g_strdup_printf ("%" G_GINT64_FORMAT, navette_record_get_version (version));
  /* Translators: "Version 3 · alice" in the history */
  title = g_strdup_printf (_("Version %s · %s"), number, navette_record_get_updated_by (version));
  gtk_label_set_label (self->title, title);
  when = navette_format_relative_time (navette_record_get_updated_at (version), g_get_real_time ());
  tooltip = navette_format_absolute_time (navette_record_get_updated_at (version));
  gtk_label_set_label (self->when, when);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->when), tooltip);

  if (older == NULL)
    gtk_widget_add_css_class (GTK_WIDGET (add_line (self, _("Created"))), "dim-label");
  else
    add_changes (self, table, version, older);

  if (note != NULL)
    {
      gtk_label_set_label (self->note, note);
      gtk_widget_set_visible (GTK_WIDGET (self->note), TRUE);
    }
  gtk_widget_set_visible (self->current_label, current);
  gtk_widget_set_visible (self->restore_button, !current && can_restore);
  return GTK_WIDGET (self);
}

NavetteRecord *
navette_history_row_get_version (NavetteHistoryRow *self)
{
  g_return_val_if_fail (NAVETTE_IS_HISTORY_ROW (self), NULL);
  return self->version;
}
