/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-db-row-json.c — a content row written as the API's JSON record
 * straight from the driver's row accessors, without a JsonNode: what a
 * full list and a page spend their time in (navette-db-records.c). */
#define G_LOG_DOMAIN "navette-db"

#include "config.h"

#include <math.h>
#include <string.h>

#include "navette-db-private.h"

/* Decimal text of @value, as "%" G_GINT64_FORMAT writes it, without printf. */
static void
append_int64 (GString *out,
              gint64   value)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 magnitude = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude != 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

/* @value zero-padded to @width digits into @p (which has room). */
static char *
put_digits (char *p,
            guint value,
            int   width)
{
  for (int i = width - 1; i >= 0; i--)
    {
      p[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  return p + width;
}

/* The quoted text navette_time_format() gives, without GDateTime or
 * printf for times in 1970-01-01 … 9999-12-31 (the rest goes through
 * navette_time_format, which also clamps). */
static void
append_time_string (GString *out,
                    gint64   unix_usec)
{
  char buf[32];
  char *p = buf;
  gint64 seconds, days, z, era, doe, yoe, doy, mp, year;
  guint usec, sod, month, day;

  if (unix_usec < 0 || unix_usec / G_USEC_PER_SEC > G_GINT64_CONSTANT (253402300799))
    {
      g_autofree char *text = navette_time_format (unix_usec);
      navette_json_append_string (out, text);
      return;
    }
  seconds = unix_usec / G_USEC_PER_SEC;
  usec = (guint) (unix_usec % G_USEC_PER_SEC);
  days = seconds / 86400;
  sod = (guint) (seconds % 86400);
  /* civil date from days since 1970-01-01 (proleptic Gregorian) */
  z = days + 719468;
  era = z / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  day = (guint) (doy - (153 * mp + 2) / 5 + 1);
  month = (guint) (mp < 10 ? mp + 3 : mp - 9);
  year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  *p++ = '"';
  p = put_digits (p, (guint) year, 4);
  *p++ = '-';
  p = put_digits (p, month, 2);
  *p++ = '-';
  p = put_digits (p, day, 2);
  *p++ = 'T';
  p = put_digits (p, sod / 3600, 2);
  *p++ = ':';
  p = put_digits (p, sod / 60 % 60, 2);
  *p++ = ':';
  p = put_digits (p, sod % 60, 2);
  *p++ = '.';
  p = put_digits (p, usec, 6);
  *p++ = 'Z';
  *p++ = '"';
  g_string_append_len (out, buf, p - buf);
}

/* navette_json_append_double()'s text, without printf for the common
 * case of a value with at most two decimals below 1e13: the %.15g
 * rendering of such a value is exactly its two-decimal form with
 * trailing zeros dropped (it reads back exactly: k / 100 is the value
 * strtod gives for that text), and ".0" is added when there is no
 * point. Anything else goes through navette_json_append_double. */
static void
append_real (GString *out,
             double   value)
{
  gint64 k;
  guint64 whole;
  guint frac;

  if (!isfinite (value) || fabs (value) >= 1e13 || (value == 0.0 && signbit (value)))
    {
      navette_json_append_double (out, value);
      return;
    }
  k = (gint64) llround (value * 100.0);
  if ((double) k / 100.0 != value || (k != 0 && fabs (value) < 0.01))
    {
      navette_json_append_double (out, value);
      return;
    }
  if (k < 0)
    g_string_append_c (out, '-');
  whole = (guint64) (k < 0 ? -k : k) / 100;
  frac = (guint) ((guint64) (k < 0 ? -k : k) % 100);
  append_int64 (out, (gint64) whole);
  g_string_append_c (out, '.');
  g_string_append_c (out, (char) ('0' + frac / 10));
  if (frac % 10 != 0)
    g_string_append_c (out, (char) ('0' + frac % 10));
}

/* One row of table->select as navette_wire_record_append_json writes the
 * record read_record makes of it (without "obsolete"). */
void
navette_db_append_row_json (NavetteDbTable *table,
                            NavetteDbStmt  *stmt,
                            GString        *out)
{
  /* the row accessors straight from the driver: this runs for every
   * value of a full list */
  const NavetteDbClass *row = stmt->klass;

  g_string_append (out, "{\"id\":");
  navette_json_append_string (out, row->get_text (stmt, NAVETTE_DB_ROW_RECORD_ID));
  g_string_append (out, ",\"version\":");
  append_int64 (out, row->get_int (stmt, NAVETTE_DB_ROW_VERSION));
  g_string_append (out, ",\"revision\":");
  append_int64 (out, row->get_int (stmt, NAVETTE_DB_ROW_REVISION));
  g_string_append (out, ",\"data\":{");
  for (guint i = 0; i < table->schema->columns->len; i++)
    {
      const NavetteWireColumn *column = g_ptr_array_index (table->schema->columns, i);
      int index = NAVETTE_DB_ROW_DATA + (int) i;

      if (i > 0)
        g_string_append_c (out, ',');
      navette_json_append_string (out, column->name);
      g_string_append_c (out, ':');
      if (row->is_null (stmt, index))
        {
          g_string_append (out, "null");
          continue;
        }
      switch (navette_column_type_value_type (column->type))
        {
        case G_TYPE_INT64:
          append_int64 (out, row->get_int (stmt, index));
          break;
        case G_TYPE_DOUBLE:
          append_real (out, row->get_double (stmt, index));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, row->get_bool (stmt, index) ? "true" : "false");
          break;
        default:
          navette_json_append_string (out, row->get_text (stmt, index));
          break;
        }
    }
  g_string_append (out, row->get_bool (stmt, NAVETTE_DB_ROW_ARCHIVED)
                        ? "},\"archived\":true" : "},\"archived\":false");
  g_string_append (out, ",\"updated_at\":");
  append_time_string (out, row->get_usec (stmt, NAVETTE_DB_ROW_UPDATED_AT));
  g_string_append (out, ",\"updated_by\":");
  navette_json_append_string (out, row->get_text (stmt, NAVETTE_DB_ROW_UPDATED_BY));
  g_string_append_c (out, '}');
}
