/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-decoder.c — the record list, read with the strict scanner
 * (navette-wire-scan.c) into one record at a time. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include <string.h>

#include "navette-wire-decoder.h"
#include "navette-wire-scan-private.h"

gboolean
navette_wire_json_validate (const char  *data,
                            gsize        len,
                            GError     **error)
{
  return navette_wire_scan_document (data, len, "The body is empty", error);
}

/* ---- The record list ---- */

enum {
  F_ID = 1 << 0,
  F_VERSION = 1 << 1,
  F_REVISION = 1 << 2,
  F_DATA = 1 << 3,
  F_ARCHIVED = 1 << 4,
  F_UPDATED_AT = 1 << 5,
  F_UPDATED_BY = 1 << 6,
  F_ALL = (1 << 7) - 1,
};

typedef struct
{
  GString *id;
  GString *updated_by;
  GString *updated_at;
  GString *data;
} Scratch;

static gboolean
read_int (NavetteWireScan *s,
          gint64          *out)
{
  gboolean is_int = FALSE;

  if (s->pos >= s->len || (s->data[s->pos] != '-' && !g_ascii_isdigit (s->data[s->pos])))
    return navette_wire_scan_fail (s, "expected an integer");
  if (!navette_wire_scan_number (s, &is_int, out))
    return FALSE;
  if (!is_int)
    return navette_wire_scan_fail (s, "expected an integer");
  return TRUE;
}

static gboolean
read_bool (NavetteWireScan *s,
           gboolean        *out)
{
  if (s->pos < s->len && s->data[s->pos] == 't')
    {
      *out = TRUE;
      return navette_wire_scan_literal (s, "true");
    }
  if (s->pos < s->len && s->data[s->pos] == 'f')
    {
      *out = FALSE;
      return navette_wire_scan_literal (s, "false");
    }
  return navette_wire_scan_fail (s, "expected a boolean");
}

static gboolean
read_text (NavetteWireScan *s,
           GString         *out)
{
  g_string_truncate (out, 0);
  if (s->pos >= s->len || s->data[s->pos] != '"')
    return navette_wire_scan_fail (s, "expected a string");
  return navette_wire_scan_string (s, out, NULL);
}

/* One member of a record; unknown ones are checked and skipped. */
static gboolean
read_member (NavetteWireScan       *s,
             NavetteWireScanObject *o,
             Scratch               *scratch,
             NavetteWireRecordView *view,
             guint                 *seen)
{
  if (navette_wire_scan_member_is (s, o, "id"))
    {
      if (!read_text (s, scratch->id))
        return FALSE;
      *seen |= F_ID;
    }
  else if (navette_wire_scan_member_is (s, o, "version"))
    {
      if (!read_int (s, &view->version))
        return FALSE;
      *seen |= F_VERSION;
    }
  else if (navette_wire_scan_member_is (s, o, "revision"))
    {
      if (!read_int (s, &view->revision))
        return FALSE;
      *seen |= F_REVISION;
    }
  else if (navette_wire_scan_member_is (s, o, "data"))
    {
      g_string_truncate (scratch->data, 0);
      if (s->pos >= s->len || s->data[s->pos] != '{')
        return navette_wire_scan_fail (s, "data must be an object");
      if (!navette_wire_scan_value (s, scratch->data))
        return FALSE;
      *seen |= F_DATA;
    }
  else if (navette_wire_scan_member_is (s, o, "archived"))
    {
      if (!read_bool (s, &view->archived))
        return FALSE;
      *seen |= F_ARCHIVED;
    }
  else if (navette_wire_scan_member_is (s, o, "obsolete"))
    {
      if (!read_bool (s, &view->obsolete))
        return FALSE;
    }
  else if (navette_wire_scan_member_is (s, o, "updated_at"))
    {
      if (!read_text (s, scratch->updated_at))
        return FALSE;
      *seen |= F_UPDATED_AT;
    }
  else if (navette_wire_scan_member_is (s, o, "updated_by"))
    {
      if (!read_text (s, scratch->updated_by))
        return FALSE;
      *seen |= F_UPDATED_BY;
    }
  else if (!navette_wire_scan_value (s, NULL))
    return FALSE;
  return TRUE;
}

static gboolean
decode_record (NavetteWireScan       *s,
               Scratch               *scratch,
               NavetteWireRecordFunc  func,
               gpointer               user_data)
{
  NavetteWireRecordView view = { 0 };
  NavetteWireScanObject o;
  guint seen = 0;
  gboolean ok, member;

  if (s->pos >= s->len || s->data[s->pos] != '{')
    return navette_wire_scan_fail (s, "a record must be an object");
  if (!navette_wire_scan_object_open (s, &o, NULL))
    return FALSE;
  while ((ok = navette_wire_scan_object_next (s, &o, &member)) && member)
    if (!(ok = read_member (s, &o, scratch, &view, &seen)))
      break;
  navette_wire_scan_object_close (s, &o);
  if (!ok)
    return FALSE;

  if (seen != F_ALL)
    return navette_wire_scan_fail (s, "a record lacks a member");
  if (!navette_uuid_is_valid (scratch->id->str))
    return navette_wire_scan_fail (s, "a record id is not a UUID");
  if (view.version < 1)
    return navette_wire_scan_fail (s, "a record version is not positive");
  if (strlen (scratch->updated_at->str) != scratch->updated_at->len ||
      !navette_time_parse (scratch->updated_at->str, &view.updated_at))
    return navette_wire_scan_fail (s, "a record time is not an RFC 3339 time");
  if (strlen (scratch->updated_by->str) != scratch->updated_by->len)
    return navette_wire_scan_fail (s, "a user name holds a NUL");

  view.id = scratch->id->str;
  view.updated_by = scratch->updated_by->str;
  view.data_json = scratch->data->str;
  view.data_len = scratch->data->len;
  if (!func (&view, user_data, s->error))
    return navette_wire_scan_fail (s, "a record was refused");
  return TRUE;
}

static gboolean
decode_records (NavetteWireScan       *s,
                Scratch               *scratch,
                NavetteWireRecordFunc  func,
                gpointer               user_data)
{
  NavetteWireScanArray a;
  gboolean ok, element;

  if (s->pos >= s->len || s->data[s->pos] != '[')
    return navette_wire_scan_fail (s, "records must be an array");
  if (!navette_wire_scan_array_open (s, &a, NULL))
    return FALSE;
  while ((ok = navette_wire_scan_array_next (s, &a, &element)) && element)
    if (!(ok = decode_record (s, scratch, func, user_data)))
      break;
  navette_wire_scan_array_close (s, &a);
  return ok;
}

gboolean
navette_wire_decode_record_list (const char            *data,
                                 gsize                  len,
                                 gint64                *revision,
                                 NavetteWireRecordFunc  func,
                                 gpointer               user_data,
                                 GError               **error)
{
  return navette_wire_decode_record_page (data, len, revision, NULL, func, user_data, error);
}

gboolean
navette_wire_decode_record_page (const char            *data,
                                 gsize                  len,
                                 gint64                *revision,
                                 char                 **next,
                                 NavetteWireRecordFunc  func,
                                 gpointer               user_data,
                                 GError               **error)
{
  NavetteWireScan s;
  NavetteWireScanObject o;
  Scratch scratch;
  g_autoptr(GString) cursor = NULL;
  gboolean ok, member, have_records = FALSE, have_revision = FALSE;
  gint64 rev = 0;

  g_return_val_if_fail (func != NULL, FALSE);

  if (!navette_wire_scan_begin (&s, data, len, "The body is empty", error))
    return FALSE;
  if (s.data[s.pos] != '{')
    return navette_wire_scan_fail (&s, "the answer must be an object");
  if (!navette_wire_scan_object_open (&s, &o, NULL))
    return FALSE;

  scratch.id = g_string_sized_new (40);
  scratch.updated_by = g_string_sized_new (32);
  scratch.updated_at = g_string_sized_new (32);
  scratch.data = g_string_sized_new (256);

  while ((ok = navette_wire_scan_object_next (&s, &o, &member)) && member)
    {
      if (navette_wire_scan_member_is (&s, &o, "records"))
        {
          ok = decode_records (&s, &scratch, func, user_data);
          have_records = TRUE;
        }
      else if (navette_wire_scan_member_is (&s, &o, "revision"))
        {
          ok = read_int (&s, &rev);
          have_revision = TRUE;
        }
      else if (next != NULL && navette_wire_scan_member_is (&s, &o, "next"))
        {
          cursor = g_string_new (NULL);
          ok = read_text (&s, cursor);
        }
      else
        ok = navette_wire_scan_value (&s, NULL);
      if (!ok)
        break;
    }
  navette_wire_scan_object_close (&s, &o);

  if (ok && (!have_records || !have_revision))
    ok = navette_wire_scan_fail (&s, "the answer lacks records or revision");
  ok = ok && navette_wire_scan_end (&s);
  if (ok && revision != NULL)
    *revision = rev;
  if (ok && next != NULL)
    *next = cursor != NULL ? g_string_free (g_steal_pointer (&cursor), FALSE) : NULL;

  g_string_free (scratch.id, TRUE);
  g_string_free (scratch.updated_by, TRUE);
  g_string_free (scratch.updated_at, TRUE);
  g_string_free (scratch.data, TRUE);
  return ok;
}
