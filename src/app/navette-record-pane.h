/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteRecordPane — one record: a typed input per column, and its
 * history. Shown in the window's side pane.
 *
 * Text columns get an AdwEntryRow (a multi-line view that grows with its
 * content for long_text and long text; url and email ones a button that
 * opens them), unknown column types are edited as text, numbers
 * a GtkSpinButton, booleans a GtkSwitch, dates an entry with a calendar
 * popover, choices a drop-down ("None" first unless required; a value no
 * longer among the choices kept as an extra entry). The fields are
 * navette-record-field.c's. Required columns are marked and too-long text is flagged while
 * typing ("valid" goes FALSE); the server's validation errors are shown on
 * their field. In a reader's pane ("editable" FALSE) text inputs are
 * read-only (still selectable; announced read-only), switches, numbers
 * and choices insensitive, and there is no Save, Archive or Restore. An archived
 * record (the Archive view) has Restore instead of Archive. The Wide View
 * button doubles the pane's width for long texts. */
#pragma once

#include <adwaita.h>

#include "navette-engine.h"

G_BEGIN_DECLS

#define NAVETTE_TYPE_RECORD_PANE (navette_record_pane_get_type ())
G_DECLARE_FINAL_TYPE (NavetteRecordPane, navette_record_pane, NAVETTE, RECORD_PANE, GtkWidget)

GtkWidget     *navette_record_pane_new            (void);
/* @record: (nullable): NULL for a new record of @table. */
void           navette_record_pane_set_record     (NavetteRecordPane *self,
                                                   NavetteStore      *store,
                                                   NavetteTable      *table,
                                                   NavetteRecord     *record);
void           navette_record_pane_clear          (NavetteRecordPane *self);
NavetteRecord *navette_record_pane_get_record     (NavetteRecordPane *self);
NavetteTable  *navette_record_pane_get_table      (NavetteRecordPane *self);
NavetteStore  *navette_record_pane_get_store      (NavetteRecordPane *self);
gboolean       navette_record_pane_get_editable   (NavetteRecordPane *self);
void           navette_record_pane_set_editable   (NavetteRecordPane *self,
                                                   gboolean           editable);
/* FALSE while a required field is empty or a text is too long. */
gboolean       navette_record_pane_get_valid      (NavetteRecordPane *self);
/* Commits the input being typed in (a spin button's text becomes its
 * value), as focus-out or Enter would. Every save path calls it first. */
void           navette_record_pane_commit         (NavetteRecordPane *self);
/* The values to save (commits first): for a new record every input that
 * holds something; otherwise only the inputs the user edited since the
 * record was opened (or since an input followed a change made elsewhere)
 * whose value differs from what they showed — the others follow the live
 * record and are not sent. (transfer full) */
JsonObject    *navette_record_pane_collect        (NavetteRecordPane *self);
/* The version the user saw: the record's when opened, moved on when the
 * pane follows a newer version with no conflict open, or when a conflict
 * is settled (Keep Mine / Take Theirs). Save with it as base version. */
gint64         navette_record_pane_get_base_version (NavetteRecordPane *self);
/* "modified" (boolean): an editor's inputs hold edits not saved. */
gboolean       navette_record_pane_get_modified   (NavetteRecordPane *self);
/* TRUE while the banner asks about an edited field someone else changed. */
gboolean       navette_record_pane_get_conflict   (NavetteRecordPane *self);
/* Shows per-column problems (column → sentence) on their fields; NULL
 * clears them. */
void           navette_record_pane_show_errors    (NavetteRecordPane *self,
                                                   GHashTable        *fields,
                                                   const char        *message);
/* Sets the text of a column's input, as a person would type it (tests). */
void           navette_record_pane_set_text       (NavetteRecordPane *self,
                                                   const char        *column,
                                                   const char        *text);
/* Shows the history page and loads the versions. */
void           navette_record_pane_show_history   (NavetteRecordPane *self);
/* The same, marking @replaced (a version by someone else that a save
 * replaced unseen) and @mine (the version that replaced it). */
void           navette_record_pane_show_history_of (NavetteRecordPane *self,
                                                    gint64             replaced,
                                                    gint64             mine);
/* The listed versions (NavetteRecord, newest first) or NULL. */
GListModel    *navette_record_pane_get_versions   (NavetteRecordPane *self);
/* Writes a new version with the data of @version (editors). */
NavetteChange *navette_record_pane_restore        (NavetteRecordPane *self,
                                                   gint64             version);

/* For the tests: the title shown, the Save and Archive buttons, and the
 * row of a column. */
const char    *navette_record_pane_get_title          (NavetteRecordPane *self);
GtkWidget     *navette_record_pane_get_save_button    (NavetteRecordPane *self);
GtkWidget     *navette_record_pane_get_archive_button (NavetteRecordPane *self);
GtkWidget     *navette_record_pane_get_row            (NavetteRecordPane *self,
                                                       const char        *column);

/* The wide pane (for long texts), as its Wide View button sets it. */
void           navette_record_pane_set_wide           (NavetteRecordPane *self,
                                                       gboolean           wide);
/* "wide" (boolean, read-only, notified). */
gboolean       navette_record_pane_get_wide           (NavetteRecordPane *self);
/* Shows the details and puts the keyboard focus in the first input. */
void           navette_record_pane_focus_first        (NavetteRecordPane *self);

/* Signals: "history-loaded" () after the versions are listed. */

G_END_DECLS
