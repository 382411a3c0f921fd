/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-wire-record.c — records in the API shape. */
#define G_LOG_DOMAIN "navette-wire"

#include "config.h"

#include "navette-wire.h"

NavetteWireRecord *
navette_wire_record_new (void)
{
  NavetteWireRecord *record = g_new0 (NavetteWireRecord, 1);

  g_atomic_ref_count_init (&record->ref_count);
  return record;
}

NavetteWireRecord *
navette_wire_record_ref (NavetteWireRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  g_atomic_ref_count_inc (&record->ref_count);
  return record;
}

void
navette_wire_record_unref (NavetteWireRecord *record)
{
  g_return_if_fail (record != NULL);

  if (!g_atomic_ref_count_dec (&record->ref_count))
    return;
  g_free (record->id);
  g_clear_pointer (&record->data, json_object_unref);
  g_free (record->updated_by);
  g_free (record);
}

void
navette_wire_record_to_json (const NavetteWireRecord *record,
                             JsonBuilder             *builder,
                             gboolean                 with_obsolete)
{
  g_autofree char *updated_at = NULL;
  JsonNode *data;

  g_return_if_fail (record != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  updated_at = navette_time_format (record->updated_at);
  data = json_node_alloc ();
  if (record->data != NULL)
    json_node_init_object (data, record->data);
  else
    {
      g_autoptr(JsonObject) empty = json_object_new ();
      json_node_init_object (data, empty);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, record->version);
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, record->revision);
  json_builder_set_member_name (builder, "data");
  json_builder_add_value (builder, data);
  json_builder_set_member_name (builder, "archived");
  json_builder_add_boolean_value (builder, record->archived);
  json_builder_set_member_name (builder, "updated_at");
  json_builder_add_string_value (builder, updated_at);
  json_builder_set_member_name (builder, "updated_by");
  json_builder_add_string_value (builder, record->updated_by);
  if (with_obsolete)
    {
      json_builder_set_member_name (builder, "obsolete");
      json_builder_add_boolean_value (builder, record->obsolete);
    }
  json_builder_end_object (builder);
}

void
navette_wire_record_append_json (const NavetteWireRecord *record,
                                 GString                 *out,
                                 gboolean                 with_obsolete)
{
  g_autofree char *updated_at = NULL;

  g_return_if_fail (record != NULL);
  g_return_if_fail (out != NULL);

  updated_at = navette_time_format (record->updated_at);
  g_string_append (out, "{\"id\":");
  navette_json_append_string (out, record->id);
  g_string_append_printf (out, ",\"version\":%" G_GINT64_FORMAT ",\"revision\":%" G_GINT64_FORMAT ",\"data\":",
                          record->version, record->revision);
  if (record->data != NULL)
    navette_json_append_object (out, record->data);
  else
    g_string_append (out, "{}");
  g_string_append (out, record->archived ? ",\"archived\":true" : ",\"archived\":false");
  g_string_append (out, ",\"updated_at\":");
  navette_json_append_string (out, updated_at);
  g_string_append (out, ",\"updated_by\":");
  navette_json_append_string (out, record->updated_by);
  if (with_obsolete)
    g_string_append (out, record->obsolete ? ",\"obsolete\":true" : ",\"obsolete\":false");
  g_string_append_c (out, '}');
}

static gboolean
member_is (JsonObject *object,
           const char *member,
           GType       type)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
bad (GError    **error,
     const char *member,
     const char *what)
{
  g_set_error (error, NAVETTE_API_ERROR, NAVETTE_API_ERROR_BAD_REQUEST,
               "A record's “%s” must be %s", member, what);
  return FALSE;
}

NavetteWireRecord *
navette_wire_record_from_json (JsonObject  *object,
                               GError     **error)
{
  g_autoptr(NavetteWireRecord) record = NULL;
  JsonNode *data;
  gint64 updated_at;

  g_return_val_if_fail (object != NULL, NULL);

  if (!member_is (object, "id", G_TYPE_STRING) ||
      !navette_uuid_is_valid (json_object_get_string_member (object, "id")))
    return bad (error, "id", "a UUID"), NULL;
  if (!member_is (object, "version", G_TYPE_INT64) ||
      json_object_get_int_member (object, "version") < 1)
    return bad (error, "version", "a positive integer"), NULL;
  if (!member_is (object, "revision", G_TYPE_INT64))
    return bad (error, "revision", "an integer"), NULL;
  data = json_object_get_member (object, "data");
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
    return bad (error, "data", "an object"), NULL;
  if (!member_is (object, "archived", G_TYPE_BOOLEAN))
    return bad (error, "archived", "a boolean"), NULL;
  if (!member_is (object, "updated_at", G_TYPE_STRING) ||
      !navette_time_parse (json_object_get_string_member (object, "updated_at"), &updated_at))
    return bad (error, "updated_at", "an RFC 3339 time"), NULL;
  if (!member_is (object, "updated_by", G_TYPE_STRING))
    return bad (error, "updated_by", "a string"), NULL;
  if (json_object_has_member (object, "obsolete") && !member_is (object, "obsolete", G_TYPE_BOOLEAN))
    return bad (error, "obsolete", "a boolean"), NULL;

  record = navette_wire_record_new ();
  record->id = g_strdup (json_object_get_string_member (object, "id"));
  record->version = json_object_get_int_member (object, "version");
  record->revision = json_object_get_int_member (object, "revision");
  record->data = json_object_ref (json_node_get_object (data));
  record->archived = json_object_get_boolean_member (object, "archived");
  record->updated_at = updated_at;
  record->updated_by = g_strdup (json_object_get_string_member (object, "updated_by"));
  if (json_object_has_member (object, "obsolete"))
    record->obsolete = json_object_get_boolean_member (object, "obsolete");
  return g_steal_pointer (&record);
}
