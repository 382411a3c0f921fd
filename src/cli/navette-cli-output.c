/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-cli-output.c — what navette-cli prints: records and changes as
 * text or JSON (--json), failures with their exit status. */
#define G_LOG_DOMAIN "navette-cli"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n-lib.h>

#include "navette-cli-private.h"

void
cli_print_json_node (JsonNode *node)
{
  g_autofree char *text = navette_json_to_string (node, NULL);
  g_print ("%s\n", text);
}

void
cli_print_json_builder (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  cli_print_json_node (root);
}

void
cli_add_string_member (JsonBuilder *builder,
                       const char  *member,
                       const char  *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

void
cli_add_int_member (JsonBuilder *builder,
                    const char  *member,
                    gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

JsonBuilder *
cli_begin_json_list (const char *member)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  return builder;
}

JsonBuilder *
cli_begin_json_records (const char *table,
                        gint64      revision)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  cli_add_string_member (builder, "table", table);
  cli_add_int_member (builder, "revision", revision);
  json_builder_set_member_name (builder, "records");
  json_builder_begin_array (builder);
  return builder;
}

int
cli_end_json_list (Cli         *cli,
                   JsonBuilder *builder)
{
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  if (cli->json)
    cli_print_json_builder (builder);
  return 0;
}

void
cli_add_error_json (JsonBuilder  *builder,
                    const GError *error)
{
  GHashTable *fields = navette_sync_error_get_fields (error);

  json_builder_begin_object (builder);
  cli_add_string_member (builder, "code",
                         error->domain == NAVETTE_SYNC_ERROR
                           ? navette_sync_error_code_to_string (error->code)
                           : "usage");
  cli_add_string_member (builder, "message", error->message);
  if (navette_sync_error_get_reason (error) != NULL)
    cli_add_string_member (builder, "reason", navette_sync_error_get_reason (error));
  if (navette_sync_error_get_server_message (error) != NULL)
    cli_add_string_member (builder, "server_message", navette_sync_error_get_server_message (error));
  if (fields != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      json_builder_set_member_name (builder, "fields");
      json_builder_begin_object (builder);
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        cli_add_string_member (builder, key, value);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

int
cli_fail (Cli          *cli,
          const GError *error)
{
  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      cli_add_error_json (builder, error);
      json_builder_end_object (builder);
      cli_print_json_builder (builder);
    }
  else
    {
      const char *said = navette_sync_error_get_server_message (error);

      g_printerr ("navette-cli: %s\n", error->message);
      /* The server's own (English) sentence may say more (how many
       * records a constraint breaks): a detail for the operator. */
      if (said != NULL && !navette_sync_error_is_transient (error))
        {
          /* Translators: %s is the server's sentence, in English */
          g_autofree char *detail = g_strdup_printf (_("The server says: %s"), said);

          g_printerr ("navette-cli: %s\n", detail);
        }
      if (g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED) ||
          g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED))
        g_printerr ("%s\n", _("Sign in with “navette-cli login”."));
    }
  return navette_sync_error_is_transient (error) ? EXIT_TEMPFAIL : 1;
}

int
cli_usage_error (Cli        *cli,
                 const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (G_OPTION_ERROR, G_OPTION_ERROR_FAILED, message);

  cli_fail (cli, error);
  return 2;
}

int
cli_say_kept (Cli        *cli,
              const char *key,
              const char *description)
{
  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kept");
      json_builder_begin_object (builder);
      cli_add_string_member (builder, "idempotency_key", key);
      cli_add_string_member (builder, "description", description);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      cli_print_json_builder (builder);
    }
  g_printerr (_("navette-cli: the server cannot be reached. The change (%s) is kept on this computer "
                "and will be sent by the next navette-cli command (see “navette-cli pending”).\n"),
              description);
  return EXIT_TEMPFAIL;
}

void
cli_print_record_text (NavetteTable  *table,
                       NavetteRecord *record)
{
  const NavetteWireTable *schema = navette_table_get_schema (table);
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *when = NULL;

  g_print ("id: %s\n", navette_record_get_id (record));
  g_print ("version: %" G_GINT64_FORMAT "\n", navette_record_get_version (record));
  g_print ("revision: %" G_GINT64_FORMAT "\n", navette_record_get_revision (record));
  g_print ("archived: %s\n", navette_record_get_archived (record) ? "true" : "false");
  when = navette_time_format (navette_record_get_updated_at (record));
  g_print ("updated_at: %s\n", when);
  g_print ("updated_by: %s\n", navette_record_get_updated_by (record) ? navette_record_get_updated_by (record) : "");
  for (guint i = 0; i < schema->columns->len; i++)
    {
      const NavetteWireColumn *col = g_ptr_array_index (schema->columns, i);
      g_autofree char *value = navette_record_dup_display (record, col->name);

      g_print ("%s: %s\n", col->name, value);
    }
}

void
cli_print_wire_record_json (const NavetteWireRecord *wire)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  navette_wire_record_to_json (wire, builder, FALSE);
  cli_print_json_builder (builder);
}

void
cli_print_ls_header (Cli                    *cli,
                     const NavetteWireTable *schema,
                     gint64                  revision)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (cli->json)
    {
      /* The shape of cli_begin_json_records(), written as it goes. */
      g_string_append (out, "{\"table\":");
      navette_json_append_string (out, schema->name);
      g_string_append_printf (out, ",\"revision\":%" G_GINT64_FORMAT ",\"records\":[", revision);
    }
  else
    {
      g_string_append (out, "id\tversion\tarchived");
      for (guint c = 0; c < schema->columns->len; c++)
        g_string_append_printf (out, "\t%s", ((NavetteWireColumn *) g_ptr_array_index (schema->columns, c))->name);
      g_string_append_c (out, '\n');
    }
  fwrite (out->str, 1, out->len, stdout);
}

void
cli_print_ls_row (Cli                    *cli,
                  const NavetteWireTable *schema,
                  NavetteRecord          *record,
                  gboolean                first)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (cli->json)
    {
      g_autoptr(NavetteWireRecord) wire = navette_record_to_wire (record);

      if (!first)
        g_string_append_c (out, ',');
      navette_wire_record_append_json (wire, out, FALSE);
    }
  else
    {
      g_string_append_printf (out, "%s\t%" G_GINT64_FORMAT "\t%s", navette_record_get_id (record),
                              navette_record_get_version (record),
                              navette_record_get_archived (record) ? "archived" : "-");
      for (guint c = 0; c < schema->columns->len; c++)
        {
          const NavetteWireColumn *col = g_ptr_array_index (schema->columns, c);
          g_autofree char *value = navette_record_dup_display (record, col->name);

          g_string_append_printf (out, "\t%s", value);
        }
      g_string_append_c (out, '\n');
    }
  fwrite (out->str, 1, out->len, stdout);
}

void
cli_print_ls_footer (Cli *cli)
{
  if (cli->json)
    fputs ("]}\n", stdout);
  fflush (stdout);
}

void
cli_add_change_json (JsonBuilder   *builder,
                     NavetteChange *change)
{
  JsonObject *data = navette_change_get_data (change);
  JsonObject *previous = navette_change_get_previous (change);
  g_autoptr(GEnumClass) kinds = g_type_class_ref (NAVETTE_TYPE_CHANGE_KIND);

  json_builder_begin_object (builder);
  cli_add_string_member (builder, "kind", g_enum_get_value (kinds, navette_change_get_kind (change))->value_nick);
  cli_add_string_member (builder, "description", navette_change_get_description (change));
  cli_add_string_member (builder, "app", navette_change_get_app (change));
  cli_add_string_member (builder, "table", navette_change_get_table_name (change));
  cli_add_string_member (builder, "record", navette_change_get_record_id (change));
  cli_add_string_member (builder, "idempotency_key", navette_change_get_idempotency_key (change));
  cli_add_int_member (builder, "attempts", navette_change_get_attempts (change));
  if (data != NULL)
    {
      JsonNode *node = json_node_alloc ();
      json_builder_set_member_name (builder, "data");
      json_builder_add_value (builder, json_node_init_object (node, data));
    }
  if (previous != NULL)
    {
      JsonNode *node = json_node_alloc ();
      json_builder_set_member_name (builder, "previous");
      json_builder_add_value (builder, json_node_init_object (node, previous));
    }
  json_builder_end_object (builder);
}
