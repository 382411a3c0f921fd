/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire.h — the shared wire format of the v1 HTTP API.
 *
 * Used by the server and by the sync engine alike: strict JSON decoding,
 * the error body, times, names, records and table schemas. Depends on
 * GLib and json-glib only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define NAVETTE_API_PREFIX "/api/v1"
#define NAVETTE_JSON_MAX_DEPTH 64
/* Members of one JSON object, in every document: a record's data has one
 * per column, and tables of a few hundred columns must fit with room. */
#define NAVETTE_JSON_MAX_MEMBERS 1024
/* Values (the document, every member value and array element) in one
 * request body: a request is a handful of fields and a table's columns. */
#define NAVETTE_JSON_MAX_REQUEST_ITEMS 100000
#define NAVETTE_DEFAULT_BODY_LIMIT (1024 * 1024)

/* ---- API error codes (the table of ../shared/API.md) ---- */
typedef enum
{
  NAVETTE_API_ERROR_BAD_REQUEST,            /* 400 bad_request */
  NAVETTE_API_ERROR_AUTH_REQUIRED,          /* 401 auth_required */
  NAVETTE_API_ERROR_AUTH_EXPIRED,           /* 401 auth_expired */
  NAVETTE_API_ERROR_FORBIDDEN,              /* 403 forbidden */
  NAVETTE_API_ERROR_NOT_FOUND,              /* 404 not_found */
  NAVETTE_API_ERROR_METHOD_NOT_ALLOWED,     /* 405 method_not_allowed */
  NAVETTE_API_ERROR_CONFLICT,               /* 409 conflict */
  NAVETTE_API_ERROR_PAYLOAD_TOO_LARGE,      /* 413 payload_too_large */
  NAVETTE_API_ERROR_UNSUPPORTED_MEDIA_TYPE, /* 415 unsupported_media_type */
  NAVETTE_API_ERROR_VALIDATION_FAILED,      /* 422 validation_failed */
  NAVETTE_API_ERROR_RATE_LIMITED,           /* 429 rate_limited */
  NAVETTE_API_ERROR_INTERNAL,               /* 500 internal */
  NAVETTE_API_ERROR_UNAVAILABLE,            /* 503 unavailable */
} NavetteApiError;

#define NAVETTE_API_ERROR (navette_api_error_quark ())
GQuark           navette_api_error_quark        (void);

/* ---- Reasons: an optional, machine-readable detail of a refusal ----
 * The error body's "reason" (docs/api.md "Errors"): tells apart refusals
 * of one code that a client explains differently, so that it can say
 * them in its user's language without reading the English "message". */
#define NAVETTE_API_REASON_ROWS_EXIST         "rows_exist"         /* 400: a required column without a default on a table with records */
#define NAVETTE_API_REASON_RECORDS_MISFIT     "records_misfit"     /* 422: records break a column's new constraints */
#define NAVETTE_API_REASON_VERSION_MISFIT     "version_misfit"     /* 422: a version to restore does not fit the table as it is now */
#define NAVETTE_API_REASON_DEFAULT_MISFIT     "default_misfit"     /* 422: a new column's default value does not fit it */
#define NAVETTE_API_REASON_RESERVED_NAME      "reserved_name"      /* 400: a column name the record's own fields use */
#define NAVETTE_API_REASON_OWN_ACCOUNT        "own_account"        /* 400: an administrator disabling her own account */
#define NAVETTE_API_REASON_OWN_ADMIN          "own_admin"          /* 400: an administrator taking her own rights away */
#define NAVETTE_API_REASON_PASSWORD_TOO_SHORT "password_too_short" /* 400: fewer than NAVETTE_PASSWORD_MIN_LENGTH characters */
#define NAVETTE_API_REASON_BAD_TITLE          "bad_title"          /* 400: a title empty or over 200 characters */
#define NAVETTE_API_REASON_BAD_DISPLAY_NAME   "bad_display_name"   /* 400: a display name empty or over 200 characters */
#define NAVETTE_API_REASON_CHOICES_COUNT     "choices_count"      /* 400: a choice column without 1 to NAVETTE_COLUMN_MAX_CHOICES choices */
#define NAVETTE_API_REASON_CHOICE_LENGTH     "choice_length"      /* 400: a choice empty or over NAVETTE_CHOICE_MAX_LENGTH characters */
#define NAVETTE_API_REASON_CHOICE_TWICE      "choice_twice"       /* 400: a choice given twice */
#define NAVETTE_API_REASON_MIN_ABOVE_MAX     "min_above_max"      /* 400: a column's minimum above its maximum */

/* The shortest password accepted, in characters (the server's rule). */
#define NAVETTE_PASSWORD_MIN_LENGTH 8

/* The reason (a static string, one of NAVETTE_API_REASON_*) of an error of
 * the NAVETTE_API_ERROR domain, or NULL. Errors of that domain carry it
 * through g_error_copy(). */
void             navette_api_error_set_reason   (GError          *error,
                                                 const char      *reason);
const char      *navette_api_error_get_reason   (const GError    *error);
/* How many records the refusal is about (the body's "count", with
 * NAVETTE_API_REASON_RECORDS_MISFIT), or -1 when it says none. */
void             navette_api_error_set_count    (GError          *error,
                                                 gint64           count);
gint64           navette_api_error_get_count    (const GError    *error);
/* g_set_error() with a reason. */
void             navette_api_set_error_reason   (GError         **error,
                                                 NavetteApiError  code,
                                                 const char      *reason,
                                                 const char      *format,
                                                 ...) G_GNUC_PRINTF (4, 5);
guint            navette_api_error_status       (NavetteApiError code);
const char      *navette_api_error_code_string  (NavetteApiError code);
/* Returns FALSE for an unknown code string. */
gboolean         navette_api_error_from_string  (const char      *code,
                                                 NavetteApiError *out);

/* Encodes {"error": {"code", "message", "fields"?}}. @fields maps column
 * name to problem (char*), may be NULL. Returns a newly allocated string. */
char            *navette_wire_error_to_json     (NavetteApiError  code,
                                                 const char      *message,
                                                 GHashTable      *fields);
/* The same with "reason" (NULL: none) and "count" (-1: none). */
char            *navette_wire_error_to_json_full (NavetteApiError  code,
                                                  const char      *message,
                                                  GHashTable      *fields,
                                                  const char      *reason,
                                                  gint64           count);
/* Decodes an error body. On success sets *code, *message and (optionally)
 * *fields (a new string→string table, or NULL when absent). */
gboolean         navette_wire_error_from_json   (const char      *body,
                                                 gsize            len,
                                                 NavetteApiError *code,
                                                 char           **message,
                                                 GHashTable     **fields);
/* The same, with *@reason and *@count (both optional): the "reason", or
 * NULL when absent; the "count", or -1 when absent. */
gboolean         navette_wire_error_from_json_full (const char      *body,
                                                    gsize            len,
                                                    NavetteApiError *code,
                                                    char           **message,
                                                    GHashTable     **fields,
                                                    char           **reason,
                                                    gint64          *count);

/* ---- Strict JSON ----
 * Refuses (NAVETTE_API_ERROR_BAD_REQUEST, with a sentence for a person):
 * invalid UTF-8, nesting deeper than NAVETTE_JSON_MAX_DEPTH, more than
 * NAVETTE_JSON_MAX_MEMBERS members in an object, duplicate keys in an
 * object, member names built to collide in json-glib's hash tables,
 * trailing data after the value, integers outside gint64, non-finite
 * numbers, an empty body. Never lets json-glib see input it would crash on
 * or take more than linear time over. Returns a new JsonNode (the root). */
JsonNode        *navette_json_parse_strict      (const char      *data,
                                                 gsize            len,
                                                 GError         **error);
/* navette_json_parse_strict(), and at most NAVETTE_JSON_MAX_REQUEST_ITEMS
 * values: what the server reads a request body with. */
JsonNode        *navette_json_parse_request     (const char      *data,
                                                 gsize            len,
                                                 GError         **error);
/* Serializes @node compactly. */
char            *navette_json_to_string         (JsonNode        *node,
                                                 gsize           *length);
/* Fast writers for large answers (no intermediate tree). */
/* Appends @text (UTF-8) as a quoted, escaped JSON string. */
void             navette_json_append_string     (GString         *out,
                                                 const char      *text);
/* Appends @value as the shortest JSON number that reads back exactly;
 * integral values keep a ".0" so they stay reals. Non-finite → null. */
void             navette_json_append_double     (GString         *out,
                                                 double           value);
/* Appends @object's members, in their order, as a JSON object. */
void             navette_json_append_object     (GString         *out,
                                                 JsonObject      *object);
/* Appends any node compactly (scalars directly, containers recursively). */
void             navette_json_append_node       (GString         *out,
                                                 JsonNode        *node);

/* ---- Times: RFC 3339 UTC with microseconds, "2026-11-28T19:31:04.123456Z" ---- */
char            *navette_time_format            (gint64           unix_usec);
gboolean         navette_time_parse             (const char      *text,
                                                 gint64          *unix_usec);
gint64           navette_time_now               (void); /* g_get_real_time() */

/* ---- Names and ids ---- */
/* ^[a-z][a-z0-9_]{0,62}$ */
gboolean         navette_name_is_valid          (const char      *name);
/* A user name: 1 to 64 of a-z 0-9 "_" "-" ".", starting with a letter or
 * a digit. The server's rule, which the Add Member form checks as typed. */
gboolean         navette_username_is_valid      (const char      *username);
/* Canonical lowercase 8-4-4-4-12 hex UUID. */
gboolean         navette_uuid_is_valid          (const char      *text);
char            *navette_uuid_new               (void);
/* YYYY-MM-DD, a real calendar date. */
gboolean         navette_date_is_valid          (const char      *text);
/* An absolute http:// or https:// URL with a host, no white space nor
 * control characters, at most NAVETTE_URL_MAX_LENGTH bytes. */
#define NAVETTE_URL_MAX_LENGTH 2048
gboolean         navette_url_is_valid           (const char      *text);
/* local@domain: one "@"; a local part of 1 to 64 bytes, printable,
 * without white space nor any of "@<>()[]\\,;:\""; a domain of at least
 * two dot-separated labels of 1 to 63 letters, digits or "-" (or non-ASCII
 * UTF-8 letters), neither starting nor ending with "-"; 254 bytes in all. */
gboolean         navette_email_is_valid         (const char      *text);

/* ---- Table schemas ---- */
typedef enum
{
  NAVETTE_COLUMN_TEXT,
  NAVETTE_COLUMN_INTEGER,
  NAVETTE_COLUMN_REAL,
  NAVETTE_COLUMN_BOOLEAN,
  NAVETTE_COLUMN_DATE,
  NAVETTE_COLUMN_LONG_TEXT,  /* text, edited as paragraphs */
  NAVETTE_COLUMN_CHOICE,     /* one of the column's choices (a string) */
  NAVETTE_COLUMN_URL,        /* navette_url_is_valid() */
  NAVETTE_COLUMN_EMAIL,      /* navette_email_is_valid() */
} NavetteColumnType;

/* Columns whose values are JSON strings stored as text: text, long_text,
 * choice, url, email (not date). */
gboolean         navette_column_type_is_text    (NavetteColumnType type);
/* Those that take a max_length: text, long_text, url, email. */
gboolean         navette_column_type_has_length (NavetteColumnType type);
/* Those that take min and max: integer, real. */
gboolean         navette_column_type_is_number  (NavetteColumnType type);
/* The type of the column's values, in JSON and in storage: G_TYPE_INT64
 * (integer), G_TYPE_DOUBLE (real), G_TYPE_BOOLEAN (boolean), else
 * G_TYPE_STRING (dates, and the types not known yet, too). */
GType            navette_column_type_value_type (NavetteColumnType type);

const char      *navette_column_type_to_string  (NavetteColumnType type);
gboolean         navette_column_type_from_string (const char       *text,
                                                  NavetteColumnType *out);

typedef struct
{
  char              *name;
  char              *title;
  NavetteColumnType  type;
  gboolean           required;
  gint64             max_length; /* text-like types only (navette_column_type_has_length); 0 = no limit */
  char             **choices;    /* choice only: the allowed values, NULL-terminated; NULL otherwise */
  gboolean           has_min;    /* integer and real only: values must be >= min */
  gboolean           has_max;    /* … and <= max */
  double             min;
  double             max;
} NavetteWireColumn;

/* How many choices a column may have, and how long each may be. */
#define NAVETTE_COLUMN_MAX_CHOICES 1000
#define NAVETTE_CHOICE_MAX_LENGTH 200

typedef struct
{
  char      *name;
  char      *title;
  GPtrArray *columns; /* of NavetteWireColumn*, owned */
} NavetteWireTable;

NavetteWireColumn *navette_wire_column_new      (const char       *name,
                                                 const char       *title,
                                                 NavetteColumnType type,
                                                 gboolean          required,
                                                 gint64            max_length);
void               navette_wire_column_free     (NavetteWireColumn *column);
NavetteWireColumn *navette_wire_column_copy     (const NavetteWireColumn *column);
/* Writes one column's object (as in navette_wire_table_to_json). */
void               navette_wire_column_to_json  (const NavetteWireColumn *column,
                                                 JsonBuilder             *builder);
/* Reads one column's object: "name", "type" required; "title",
 * "required", "max_length", "choices", "min", "max" optional. Checks the
 * JSON types and the name and type (BAD_REQUEST); the constraints that
 * depend on the type (max_length on text-like types only, choices on
 * choice columns, non-empty, distinct) are checked by
 * navette_wire_column_check(). */
NavetteWireColumn *navette_wire_column_from_json (JsonObject             *object,
                                                  GError                **error);
/* A column written on a command line,
 * "name:type[:required][:MAXLEN][:min=N][:max=N][:choices=A|B|…]"
 * (choices= comes last and takes the rest, colons included), with the
 * title navette_title_from_name() makes; checked by
 * navette_wire_column_check(). BAD_REQUEST with a sentence otherwise. */
NavetteWireColumn *navette_wire_column_from_spec (const char            *spec,
                                                  GError               **error);
/* "publish_date" → "Publish date". */
char              *navette_title_from_name      (const char              *name);
/* BAD_REQUEST unless the constraints fit the type: max_length >= 0 and on
 * text-like types only; choices on (and required by) choice columns, 1 to
 * NAVETTE_COLUMN_MAX_CHOICES distinct non-empty strings of at most
 * NAVETTE_CHOICE_MAX_LENGTH characters; min and max on numbers only, min
 * <= max. */
gboolean           navette_wire_column_check    (const NavetteWireColumn *column,
                                                 GError                 **error);
/* Checks one value against @column as navette_wire_validate_data does:
 * NULL when it fits, else the problem (a sentence to free). A JSON null
 * fits unless the column is required. */
char              *navette_wire_column_problem  (const NavetteWireColumn *column,
                                                 JsonNode                *node);
NavetteWireTable  *navette_wire_table_new       (const char       *name,
                                                 const char       *title);
void               navette_wire_table_free      (NavetteWireTable *table);
const NavetteWireColumn *navette_wire_table_lookup_column (const NavetteWireTable *table,
                                                           const char             *name);
/* {"name","title","columns":[{"name","title","type","required","max_length"?,
 *   "choices"?,"min"?,"max"?}]} */
void               navette_wire_table_to_json   (const NavetteWireTable *table,
                                                 JsonBuilder            *builder);
/* Writes the members of navette_wire_table_to_json's object into the
 * object @builder has open, for a caller that adds members of its own. */
void               navette_wire_table_add_members (const NavetteWireTable *table,
                                                   JsonBuilder            *builder);
NavetteWireTable  *navette_wire_table_from_json (JsonObject             *object,
                                                 GError                **error);

/* Checks @data (column → value) against @table: unknown columns, wrong JSON
 * types (integer: an integer; real: any number; boolean; text-like and
 * date: strings; null allowed for non-required columns), text over
 * max_length (counted in characters), invalid dates, a choice not in the
 * column's choices, invalid URLs and email addresses, numbers outside
 * min and max. When @complete is TRUE (a create,
 * or the merged result of an update), required columns must be present and
 * non-null. Problems are added to @fields (column → sentence, created when
 * NULL); returns FALSE when there is at least one. */
gboolean           navette_wire_validate_data   (const NavetteWireTable *table,
                                                 JsonObject             *data,
                                                 gboolean                complete,
                                                 GHashTable            **fields);

/* ---- Records ---- */
typedef struct
{
  gatomicrefcount ref_count;
  char       *id;          /* UUID */
  gint64      version;     /* 1, 2, … */
  gint64      revision;    /* table revision at which this version was written */
  JsonObject *data;        /* column → value (string, integer, double, boolean or null) */
  gboolean    archived;
  gint64      updated_at;  /* unix microseconds */
  char       *updated_by;  /* username */
  gboolean    obsolete;    /* only meaningful in version listings */
} NavetteWireRecord;

NavetteWireRecord *navette_wire_record_new      (void);
NavetteWireRecord *navette_wire_record_ref      (NavetteWireRecord *record);
void               navette_wire_record_unref    (NavetteWireRecord *record);
/* Adds the record object (API shape) to @builder. With @with_obsolete, adds
 * "obsolete" (the versions listing). */
void               navette_wire_record_to_json  (const NavetteWireRecord *record,
                                                 JsonBuilder             *builder,
                                                 gboolean                 with_obsolete);
/* Same object as navette_wire_record_to_json, appended as text to @out. */
void               navette_wire_record_append_json (const NavetteWireRecord *record,
                                                    GString                 *out,
                                                    gboolean                 with_obsolete);
/* Parses the API shape; NAVETTE_API_ERROR_BAD_REQUEST when malformed. */
NavetteWireRecord *navette_wire_record_from_json (JsonObject             *object,
                                                  GError                **error);

/* ---- Users ---- */
/* Writes "username", "display_name" and "admin" into the object @builder
 * has open: a user as the API (…/me, …/admin/users) and `navette-server
 * user list --json` show her. */
void               navette_wire_user_add_members (JsonBuilder           *builder,
                                                  const char            *username,
                                                  const char            *display_name,
                                                  gboolean               admin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteWireRecord, navette_wire_record_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteWireTable, navette_wire_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavetteWireColumn, navette_wire_column_free)

G_END_DECLS
