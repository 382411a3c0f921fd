/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-format.h — words for times and values, as a person reads them. */
#pragma once

#include "navette-engine.h"

G_BEGIN_DECLS

/* "just now", "5 minutes ago", "3 hours ago", "yesterday", "12 March 2026".
 * @now_usec: the reference time (g_get_real_time()). */
char *navette_format_relative_time (gint64 unix_usec,
                                    gint64 now_usec);
/* The local date and time, for tooltips: "28 November 2026, 10:31:05". */
char *navette_format_absolute_time (gint64 unix_usec);
/* "10:31" — the time of day, local. */
char *navette_format_clock_time    (gint64 unix_usec);
/* A value as the history shows it: "—" for none, "yes"/"no", a real with
 * two decimals, a text cut after 40 characters. @node: (nullable). */
char    *navette_format_value      (JsonNode *node);
/* TRUE when @a and @b are the same value (absent and null alike, 12 and
 * 12.0 alike). */
gboolean navette_format_same_value (JsonNode *a,
                                    JsonNode *b);
/* The name of @record for a person: its first text column that is not
 * empty ("Lamp"), or NULL. */
char *navette_format_record_name   (NavetteTable  *table,
                                    NavetteRecord *record);
/* The same name, or "Untitled" when it has none: what the record pane's
 * title, the toasts and the dialogs call it. */
char *navette_format_record_title  (NavetteTable  *table,
                                    NavetteRecord *record);

/* Pango markup of what changed from @before to @after, word by word:
 * removed words struck through (red), added ones underlined (green),
 * long unchanged stretches cut to a few words around the changes ("…").
 * Never relies on colour alone. */
char *navette_format_word_diff     (const char    *before,
                                    const char    *after);

/* The link of a value of a `url` column (http and https only) or an
 * `email` column ("mailto:…"), or NULL (other columns, other text). */
char *navette_format_link_uri      (const NavetteWireColumn *column,
                                    const char              *text);

G_END_DECLS
