/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-middleware-journal.c — the middleware's journal of unsent
 * changes: what is written before a change is first sent (and fsynced),
 * forgotten once the server answered, and what the user is told when the
 * journal cannot be written. Split out of navette-middleware.c. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"
#include "navette-journal.h"
#include "navette-middleware-private.h"

static const char *
kind_to_string (NavetteChangeKind kind)
{
  switch (kind)
    {
    case NAVETTE_CHANGE_CREATE: return "create";
    case NAVETTE_CHANGE_UPDATE: return "update";
    case NAVETTE_CHANGE_ARCHIVE: return "archive";
    case NAVETTE_CHANGE_UNARCHIVE: return "unarchive";
    case NAVETTE_CHANGE_REVERT: return "revert";
    default: return NULL;
    }
}

gboolean
navette_change_kind_from_string (const char        *text,
                                 NavetteChangeKind *kind)
{
  static const NavetteChangeKind kinds[] = {
    NAVETTE_CHANGE_CREATE, NAVETTE_CHANGE_UPDATE, NAVETTE_CHANGE_ARCHIVE,
    NAVETTE_CHANGE_UNARCHIVE, NAVETTE_CHANGE_REVERT,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (text, kind_to_string (kinds[i])) == 0)
      {
        *kind = kinds[i];
        return TRUE;
      }
  return FALSE;
}

/* The journal entry of @change (see docs: the journal format). */
static JsonObject *
change_entry (NavetteMiddleware *self,
              NavetteChange     *change,
              Op                *op,
              gboolean           failed)
{
  JsonObject *entry = json_object_new ();
  JsonObject *old = navette_journal_lookup (self->journal, navette_change_get_idempotency_key (change));
  JsonNode *body = g_object_get_data (G_OBJECT (change), "navette-body");
  const GError *error = navette_change_get_error (change);

  json_object_set_string_member (entry, "key", navette_change_get_idempotency_key (change));
  json_object_set_string_member (entry, "state", failed ? "failed" : "pending");
  json_object_set_string_member (entry, "kind", kind_to_string (navette_change_get_kind (change)));
  json_object_set_string_member (entry, "app", navette_change_get_app (change));
  json_object_set_string_member (entry, "table", navette_change_get_table_name (change));
  json_object_set_string_member (entry, "record", navette_change_get_record_id (change));
  if (old != NULL && json_object_has_member (old, "made_at"))
    json_object_set_member (entry, "made_at", json_node_copy (json_object_get_member (old, "made_at")));
  else
    {
      g_autofree char *now = navette_time_format (g_get_real_time ());
      json_object_set_string_member (entry, "made_at", now);
    }
  if (navette_change_get_data (change) != NULL)
    json_object_set_member (entry, "data", _navette_middleware_object_node (navette_change_get_data (change)));
  if (navette_change_get_base_version (change) > 0)
    json_object_set_int_member (entry, "base_version", navette_change_get_base_version (change));
  if (navette_change_get_revert_version (change) > 0)
    json_object_set_int_member (entry, "revert_version", navette_change_get_revert_version (change));
  /* The exact request once it was (or is about to be) sent: a resend
   * must send the same bytes under the same key. */
  if (op != NULL && op->body != NULL)
    body = op->body;
  if (body != NULL)
    json_object_set_member (entry, "body", json_node_copy (body));
  if (failed && error != NULL)
    {
      json_object_set_string_member (entry, "error_code",
                                     error->domain == NAVETTE_SYNC_ERROR
                                       ? navette_sync_error_code_to_string (error->code) : "internal");
      json_object_set_string_member (entry, "error_message", error->message);
    }
  return entry;
}

guint64
_navette_middleware_journal_put (NavetteMiddleware *self,
                                 NavetteChange     *change,
                                 Op                *op,
                                 gboolean           failed)
{
  g_autoptr(JsonObject) entry = NULL;
  guint64 ticket;

  if (self->journal == NULL)
    return 0;
  entry = change_entry (self, change, op, failed);
  ticket = navette_journal_put (self->journal, entry);
  if (op != NULL)
    op->ticket = ticket;
  return ticket;
}

void
_navette_middleware_journal_forget (NavetteMiddleware *self,
                                    NavetteChange     *change)
{
  if (self->journal != NULL)
    navette_journal_remove (self->journal, navette_change_get_idempotency_key (change));
}

void
_navette_middleware_journal_written_cb (NavetteJournal    *journal,
                                        guint64            ticket,
                                        gboolean           durable,
                                        NavetteMiddleware *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self->ops == NULL)
    return;
  if (durable)
    {
      g_hash_table_iter_init (&iter, self->ops);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Op *op = value;

          if (op->ticket <= ticket)
            navette_change_set_journaled (op->change, TRUE);
        }
    }
  /* Sends that waited for this write go (even when it failed: the
   * user's edits are not held back by a full disk). */
  _navette_middleware_pump_all (self);
}

/* The journal cannot be written (or can again): the changes not yet
 * accepted are only in memory — the user must know, once per failure. */
static void
journal_error_cb (NavetteJournal    *journal,
                  GParamSpec        *pspec,
                  NavetteMiddleware *self)
{
  gboolean failing = navette_journal_get_write_error (journal) != NULL;

  g_object_notify (G_OBJECT (self), "journal-error");
  if (failing == self->journal_failing)
    return;
  self->journal_failing = failing;
  if (failing)
    /* Translators: a warning that stays until closed (the reason is in
     * navette_middleware_get_journal_error()); keep it short */
    g_signal_emit_by_name (self, "notification",
                           _("Changes cannot be kept on this computer: those not saved yet would be lost if Navette quit."),
                   (guint) NAVETTE_NOTIFICATION_JOURNAL_FAILED, NULL);
  else
    g_signal_emit_by_name (self, "notification",
                           _("Changes are kept on this computer again."),
                   (guint) NAVETTE_NOTIFICATION_INFO, NULL);
}

const GError *
navette_middleware_get_journal_error (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), NULL);
  return self->journal != NULL ? navette_journal_get_write_error (self->journal) : NULL;
}

void
navette_middleware_set_journal (NavetteMiddleware *self,
                                NavetteJournal    *journal)
{
  g_return_if_fail (NAVETTE_IS_MIDDLEWARE (self));
  g_return_if_fail (journal == NULL || NAVETTE_IS_JOURNAL (journal));

  if (self->journal != NULL)
    g_signal_handlers_disconnect_by_data (self->journal, self);
  g_set_object (&self->journal, journal);
  self->journal_failing = FALSE;
  if (journal != NULL)
    {
      g_signal_connect_object (journal, "written", G_CALLBACK (_navette_middleware_journal_written_cb), self, 0);
      g_signal_connect_object (journal, "notify::write-error", G_CALLBACK (journal_error_cb), self, 0);
    }
  g_object_notify (G_OBJECT (self), "journal-error");
}

NavetteJournal *
navette_middleware_get_journal (NavetteMiddleware *self)
{
  g_return_val_if_fail (NAVETTE_IS_MIDDLEWARE (self), NULL);
  return self->journal;
}
