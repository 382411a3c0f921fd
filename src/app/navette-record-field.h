/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "navette-engine.h"

G_BEGIN_DECLS

/* One column of the record pane: its row, its input, the hints shown
 * before saving and what the user changed. Private to the pane
 * (navette-record-pane.c); the pane owns the fields and hears of them
 * only through the NavetteRecordFieldChanged function. */

typedef struct _NavetteRecordField NavetteRecordField;

/* The state of @field changed (an edit, a hint, a problem); @edited is
 * TRUE when the user's edit made it touched for the first time. */
typedef void (*NavetteRecordFieldChanged) (NavetteRecordField *field,
                                           gboolean            edited,
                                           gpointer            user_data);

struct _NavetteRecordField
{
  const NavetteWireColumn *column;
  GtkWidget               *row;
  GtkWidget               *input;   /* AdwEntryRow, GtkTextView, GtkSpinButton, GtkSwitch or GtkDropDown */
  GtkWidget               *hint;    /* a suffix label: "Required", "210 / 200", a server error */
  GtkWidget               *calendar;
  GtkWidget               *date_button; /* the calendar's, for dates */
  GtkWidget               *link_button; /* opens a url / email value */
  GtkStringList           *choices; /* a choice's entries: "None" first unless required,
                                     * the column's choices, then a value no longer one of them */
  guint                    n_choices; /* the entries before that value */
  char                    *server_error;  /* the server's problem, until edited */
  JsonNode                *base;    /* the value the input was loaded with (what the user saw) */
  gboolean                 problem;
  gboolean                 touched; /* edited by the user since loaded */
  gboolean                 conflict; /* touched, and changed by someone else meanwhile */
  gboolean                 editable;
  gboolean                 loading; /* setting the input: not the user's edit */

  NavetteRecordFieldChanged changed;
  gpointer                  user_data;
};

NavetteRecordField *navette_record_field_new          (const NavetteWireColumn   *column,
                                                       guint                      index,
                                                       NavetteRecordFieldChanged  changed,
                                                       gpointer                   user_data);
void                navette_record_field_free         (NavetteRecordField        *field);
void                navette_record_field_disconnect   (NavetteRecordField        *field);
void                navette_record_field_load         (NavetteRecordField        *field,
                                                       NavetteRecord             *record);
void                navette_record_field_check        (NavetteRecordField        *field);
void                navette_record_field_commit       (NavetteRecordField        *field);
void                navette_record_field_set_editable (NavetteRecordField        *field,
                                                       gboolean                   editable);
JsonNode           *navette_record_field_get_value    (NavetteRecordField        *field);
gboolean            navette_record_field_is_modified  (NavetteRecordField        *field);
char               *navette_record_field_dup_text     (NavetteRecordField        *field);
void                navette_record_field_set_text     (NavetteRecordField        *field,
                                                       const char                *text);

G_END_DECLS
