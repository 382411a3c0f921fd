/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-app"

#include "config.h"

#include <adwaita.h>

#include "navette-a11y.h"

void
navette_a11y_name (GtkWidget  *widget,
                   const char *name)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  /* The menu button's own toggle button is what a screen reader lands on. */
  if (GTK_IS_MENU_BUTTON (widget) && gtk_widget_get_first_child (widget) != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_first_child (widget)),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

/* "_Archive" → "Archive" ("__" stays one underscore). */
static char *
strip_mnemonic (const char *label)
{
  GString *out = g_string_new (NULL);

  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (p[1] == '_')
            {
              g_string_append_c (out, '_');
              p++;
            }
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

void
navette_a11y_fix_mnemonics (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root))
    {
      GtkWidget *child = gtk_button_get_child (GTK_BUTTON (root));
      const char *label = NULL;

      if (gtk_button_get_use_underline (GTK_BUTTON (root)))
        label = gtk_button_get_label (GTK_BUTTON (root));
      else if (ADW_IS_BUTTON_CONTENT (child) && adw_button_content_get_use_underline (ADW_BUTTON_CONTENT (child)))
        label = adw_button_content_get_label (ADW_BUTTON_CONTENT (child));
      if (label != NULL && strchr (label, '_') != NULL)
        {
          g_autofree char *text = strip_mnemonic (label);

          gtk_accessible_update_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    navette_a11y_fix_mnemonics (child);
}

void
navette_a11y_set_read_only (GtkWidget *widget,
                            gboolean   read_only)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (GTK_IS_TEXT_VIEW (widget))
    {
      gtk_text_view_set_editable (GTK_TEXT_VIEW (widget), !read_only);
      gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (widget), !read_only);
    }
  else if (GTK_IS_EDITABLE (widget))
    gtk_editable_set_editable (GTK_EDITABLE (widget), !read_only);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_READ_ONLY, read_only, -1);
}
