/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "navette-engine-types.h"
#include "navette-engine-private.h"
#include "navette-sync-error.h"

typedef struct
{
  GHashTable *fields; /* column → sentence, or NULL */
  guint       status; /* HTTP status when the server answered, else 0 */
  char       *server_message; /* the error body's "message", or NULL */
  char       *reason; /* the error body's "reason", or NULL */
  gint64      count;  /* the error body's "count", or -1 */
} NavetteSyncErrorPrivate;

static void
navette_sync_error_private_init (NavetteSyncErrorPrivate *priv)
{
  priv->fields = NULL;
  priv->status = 0;
  priv->server_message = NULL;
  priv->reason = NULL;
  priv->count = -1;
}

static void
navette_sync_error_private_copy (const NavetteSyncErrorPrivate *src,
                                 NavetteSyncErrorPrivate       *dest)
{
  dest->fields = src->fields ? g_hash_table_ref (src->fields) : NULL;
  dest->status = src->status;
  dest->server_message = g_strdup (src->server_message);
  dest->reason = g_strdup (src->reason);
  dest->count = src->count;
}

static void
navette_sync_error_private_clear (NavetteSyncErrorPrivate *priv)
{
  g_clear_pointer (&priv->fields, g_hash_table_unref);
  g_clear_pointer (&priv->server_message, g_free);
  g_clear_pointer (&priv->reason, g_free);
}

G_DEFINE_EXTENDED_ERROR (NavetteSyncError, navette_sync_error)

gboolean
navette_sync_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != NAVETTE_SYNC_ERROR)
    return FALSE;

  switch ((NavetteSyncError) error->code)
    {
    case NAVETTE_SYNC_ERROR_NETWORK:
    case NAVETTE_SYNC_ERROR_TIMEOUT:
    case NAVETTE_SYNC_ERROR_UNAVAILABLE:
      return TRUE;
    case NAVETTE_SYNC_ERROR_SERVER:
      /* A 500 is a bug of the server, a 4xx a refusal: sending the same
       * again would get the same answer. (502, 503 and 504 are
       * UNAVAILABLE.) */
    case NAVETTE_SYNC_ERROR_AUTH_EXPIRED:
    case NAVETTE_SYNC_ERROR_AUTH_REQUIRED:
    case NAVETTE_SYNC_ERROR_FORBIDDEN:
    case NAVETTE_SYNC_ERROR_VALIDATION:
    case NAVETTE_SYNC_ERROR_NOT_FOUND:
    case NAVETTE_SYNC_ERROR_CONFLICT:
    case NAVETTE_SYNC_ERROR_SERIALIZATION:
    case NAVETTE_SYNC_ERROR_TLS:
    default:
      return FALSE;
    }
}

GHashTable *
navette_sync_error_get_fields (const GError *error)
{
  NavetteSyncErrorPrivate *priv;

  if (error == NULL || error->domain != NAVETTE_SYNC_ERROR)
    return NULL;

  priv = navette_sync_error_get_private (error);
  return priv ? priv->fields : NULL;
}

void
navette_sync_error_set_fields (GError     *error,
                               GHashTable *fields)
{
  NavetteSyncErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == NAVETTE_SYNC_ERROR);

  priv = navette_sync_error_get_private (error);
  g_clear_pointer (&priv->fields, g_hash_table_unref);
  priv->fields = fields;
}

const char *
navette_sync_error_get_server_message (const GError *error)
{
  NavetteSyncErrorPrivate *priv;

  if (error == NULL || error->domain != NAVETTE_SYNC_ERROR)
    return NULL;

  priv = navette_sync_error_get_private (error);
  return priv ? priv->server_message : NULL;
}

const char *
navette_sync_error_get_reason (const GError *error)
{
  NavetteSyncErrorPrivate *priv;

  if (error == NULL || error->domain != NAVETTE_SYNC_ERROR)
    return NULL;

  priv = navette_sync_error_get_private (error);
  return priv ? priv->reason : NULL;
}

char *
navette_refusal_reason_to_sentence (const char *reason,
                                    gint64      count)
{
  static const struct
  {
    const char *reason;
    const char *sentence;
  } sentences[] = {
    { NAVETTE_API_REASON_ROWS_EXIST,
      N_("This table already has records, which need a value in a new required column: give one, "
         "or make the column optional.") },
    { NAVETTE_API_REASON_RECORDS_MISFIT,
      N_("Records of this table do not fit the column’s new rules; change them first.") },
    { NAVETTE_API_REASON_VERSION_MISFIT,
      N_("This version does not fit the table as it is now, so it cannot be restored.") },
    { NAVETTE_API_REASON_DEFAULT_MISFIT, N_("The value for the existing records does not fit the column.") },
    { NAVETTE_API_REASON_RESERVED_NAME,
      N_("This name is used by every record’s own fields; choose another name.") },
    { NAVETTE_API_REASON_OWN_ACCOUNT, N_("Only another administrator can disable your account.") },
    { NAVETTE_API_REASON_OWN_ADMIN, N_("Only another administrator can take away your administrator rights.") },
    { NAVETTE_API_REASON_BAD_TITLE, N_("A title must be 1 to 200 characters long.") },
    { NAVETTE_API_REASON_BAD_DISPLAY_NAME, N_("A display name must be 1 to 200 characters long.") },
    { NAVETTE_API_REASON_CHOICE_TWICE, N_("A choice is given twice; give each choice once.") },
    { NAVETTE_API_REASON_MIN_ABOVE_MAX, N_("The minimum is greater than the maximum.") },
  };

  if (reason == NULL)
    return NULL;
  if (g_str_equal (reason, NAVETTE_API_REASON_RECORDS_MISFIT) && count > 0 && count <= G_MAXINT)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%d record of this table does not fit the column’s new rules; "
                                         "change it first.",
                                         "%d records of this table do not fit the column’s new rules; "
                                         "change them first.",
                                         (gulong) count),
                            (int) count);
  if (g_str_equal (reason, NAVETTE_API_REASON_PASSWORD_TOO_SHORT))
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "A password needs at least %d character.",
                                         "A password needs at least %d characters.",
                                         NAVETTE_PASSWORD_MIN_LENGTH),
                            NAVETTE_PASSWORD_MIN_LENGTH);
  if (g_str_equal (reason, NAVETTE_API_REASON_CHOICES_COUNT))
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "A choice column needs 1 to %d choice.",
                                         "A choice column needs 1 to %d choices.",
                                         NAVETTE_COLUMN_MAX_CHOICES),
                            NAVETTE_COLUMN_MAX_CHOICES);
  if (g_str_equal (reason, NAVETTE_API_REASON_CHOICE_LENGTH))
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "A choice must be 1 to %d character long.",
                                         "A choice must be 1 to %d characters long.",
                                         NAVETTE_CHOICE_MAX_LENGTH),
                            NAVETTE_CHOICE_MAX_LENGTH);
  for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
    if (g_str_equal (reason, sentences[i].reason))
      return g_strdup (_(sentences[i].sentence));
  return NULL;
}

char *
navette_api_error_to_sentence (const GError *error)
{
  char *sentence;

  g_return_val_if_fail (error != NULL, NULL);

  sentence = navette_refusal_reason_to_sentence (navette_api_error_get_reason (error),
                                                 navette_api_error_get_count (error));
  if (sentence != NULL)
    return sentence;
  /* Translators: %s is the rule broken, in English (a case this version
   * cannot say in your language) */
  return g_strdup_printf (_("This is not accepted: %s"), error->message);
}

const char *
navette_sync_error_code_to_string (NavetteSyncError code)
{
  switch (code)
    {
    case NAVETTE_SYNC_ERROR_NETWORK: return "network";
    case NAVETTE_SYNC_ERROR_TIMEOUT: return "timeout";
    case NAVETTE_SYNC_ERROR_AUTH_EXPIRED: return "auth_expired";
    case NAVETTE_SYNC_ERROR_AUTH_REQUIRED: return "auth_required";
    case NAVETTE_SYNC_ERROR_FORBIDDEN: return "forbidden";
    case NAVETTE_SYNC_ERROR_VALIDATION: return "validation";
    case NAVETTE_SYNC_ERROR_NOT_FOUND: return "not_found";
    case NAVETTE_SYNC_ERROR_CONFLICT: return "conflict";
    case NAVETTE_SYNC_ERROR_SERVER: return "server";
    case NAVETTE_SYNC_ERROR_UNAVAILABLE: return "unavailable";
    case NAVETTE_SYNC_ERROR_SERIALIZATION: return "serialization";
    case NAVETTE_SYNC_ERROR_TLS: return "tls";
    default: return "unknown";
    }
}

static void
navette_sync_error_set_status (GError *error,
                               guint   status)
{
  NavetteSyncErrorPrivate *priv = navette_sync_error_get_private (error);

  if (priv != NULL)
    priv->status = status;
}

static char *
format_fields (GHashTable *fields)
{
  g_autoptr(GList) keys = NULL;
  GString *str = g_string_new (NULL);

  keys = g_list_sort (g_hash_table_get_keys (fields), (GCompareFunc) g_strcmp0);
  for (const GList *l = keys; l != NULL; l = l->next)
    {
      if (str->len > 0)
        g_string_append (str, "; ");
      /* Translators: a column and its problem, "price: must be a number" */
      g_string_append_printf (str, _("%s: %s"), (const char *) l->data,
                              (const char *) g_hash_table_lookup (fields, l->data));
    }

  return g_string_free (str, FALSE);
}

/* A VALIDATION error from the server carries the server's per-field
 * messages, in the server's language. @local holds the messages of
 * navette_wire_validate_data() run here on the same data (translated): a
 * field found in both takes the local message; the others keep the
 * server's text. The error's message is rebuilt. Returns a new error, or
 * NULL when nothing changed. */
GError *
navette_sync_error_localize_fields (const GError *error,
                                    GHashTable   *local)
{
  GHashTable *fields;
  g_autoptr(GHashTable) merged = NULL;
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gboolean changed = FALSE;
  GError *result;

  g_return_val_if_fail (error != NULL, NULL);

  if (!g_error_matches (error, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION) ||
      local == NULL || navette_sync_error_get_reason (error) != NULL)
    return NULL;
  fields = navette_sync_error_get_fields (error);
  if (fields == NULL || g_hash_table_size (fields) == 0)
    return NULL;

  merged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *mine = g_hash_table_lookup (local, key);

      if (mine != NULL && g_strcmp0 (mine, value) != 0)
        changed = TRUE;
      g_hash_table_insert (merged, g_strdup (key),
                           g_strdup (mine != NULL ? mine : value));
    }
  if (!changed)
    return NULL;

  text = format_fields (merged);
  result = g_error_new (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION,
                        _("The values are not valid (%s)."), text);
  {
    NavetteSyncErrorPrivate *priv = navette_sync_error_get_private ((GError *) error);

    navette_sync_error_set_status (result, priv != NULL ? priv->status : 0);
    if (priv != NULL)
      navette_sync_error_get_private (result)->server_message = g_strdup (priv->server_message);
  }
  navette_sync_error_set_fields (result, g_steal_pointer (&merged));

  return result;
}

/* Maps an API error answer (status + error body, which may be anything) to
 * a NAVETTE_SYNC_ERROR with a sentence for a person. */
GError *
navette_sync_error_from_api (guint   status,
                             GBytes *body)
{
  NavetteApiError api_code;
  g_autofree char *api_message = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *reason_sentence = NULL;
  gint64 count = -1;
  g_autoptr(GHashTable) fields = NULL;
  gboolean have_code = FALSE;
  gboolean has_message;
  GError *error;

  if (body != NULL && g_bytes_get_size (body) > 0)
    {
      gsize len;
      const char *data = g_bytes_get_data (body, &len);

      have_code = navette_wire_error_from_json_full (data, len, &api_code,
                                                     &api_message, &fields, &reason, &count);
    }

  /* A gateway (a reverse proxy) that could not reach the server, or the
   * server's own "unavailable": the server is not there right now, not
   * refusing anything, whatever the body says. */
  if (status == 502 || status == 503 || status == 504)
    {
      api_code = NAVETTE_API_ERROR_UNAVAILABLE;
      have_code = TRUE;
    }

  if (!have_code)
    {
      switch (status)
        {
        case 401: api_code = NAVETTE_API_ERROR_AUTH_REQUIRED; break;
        case 403: api_code = NAVETTE_API_ERROR_FORBIDDEN; break;
        case 404: api_code = NAVETTE_API_ERROR_NOT_FOUND; break;
        case 409: api_code = NAVETTE_API_ERROR_CONFLICT; break;
        case 422: api_code = NAVETTE_API_ERROR_VALIDATION_FAILED; break;
        case 503: api_code = NAVETTE_API_ERROR_UNAVAILABLE; break;
        default:
          if (status >= 500)
            api_code = NAVETTE_API_ERROR_INTERNAL;
          else
            api_code = NAVETTE_API_ERROR_BAD_REQUEST;
          break;
        }
    }

  /* The server's sentence is English: what the client can say itself
   * (from the code, the reason and the fields' keys) it says in its
   * user's language. The server's sentence only follows a translated
   * lead-in for a refusal this client cannot name (an unknown reason,
   * a client's bug), when it is short enough to be one. */
  has_message = api_message != NULL && api_message[0] != '\0' &&
                strlen (api_message) <= 500 && g_utf8_validate (api_message, -1, NULL);
  reason_sentence = navette_refusal_reason_to_sentence (reason, count);
  if (fields != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      /* Per column: the local validation's sentence replaces this one
       * where it finds the same problem (navette_sync_error_localize_fields()). */
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_hash_table_iter_replace (&iter, g_strdup (_("is not accepted by the server")));
    }

  switch (api_code)
    {
    case NAVETTE_API_ERROR_AUTH_REQUIRED:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED,
                                   _("You are not signed in, or the user name or password is wrong."));
      break;
    case NAVETTE_API_ERROR_AUTH_EXPIRED:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_EXPIRED,
                                   _("Your session has expired. Please sign in again."));
      break;
    case NAVETTE_API_ERROR_FORBIDDEN:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_FORBIDDEN,
                                   _("You are not allowed to make this change."));
      break;
    case NAVETTE_API_ERROR_NOT_FOUND:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                                   _("The item does not exist on the server."));
      break;
    case NAVETTE_API_ERROR_CONFLICT:
      /* A name taken, a key reused: the caller knows which it asked
       * (navette_admin_form_set_conflict()). */
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_CONFLICT,
                                   reason_sentence != NULL ? reason_sentence
                                   : _("The server refused the change because it conflicts with an earlier one."));
      break;
    case NAVETTE_API_ERROR_VALIDATION_FAILED:
      if (reason_sentence != NULL)
        {
          error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION, reason_sentence);
          if (fields != NULL && g_hash_table_size (fields) > 0)
            navette_sync_error_set_fields (error, g_steal_pointer (&fields));
        }
      else if (fields != NULL && g_hash_table_size (fields) > 0)
        {
          g_autofree char *text = format_fields (fields);
          /* Translators: %s lists the problems, e.g. "price: must be a number"; in
           * parentheses, so the sentence does not read "…: price: …" */
          error = g_error_new (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION,
                               _("The values are not valid (%s)."), text);
          navette_sync_error_set_fields (error, g_steal_pointer (&fields));
        }
      else
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_VALIDATION,
                                     _("The values are not valid."));
      break;
    case NAVETTE_API_ERROR_UNAVAILABLE:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_UNAVAILABLE,
                                   _("The server is busy or its database is unavailable. Try again in a moment."));
      break;
    case NAVETTE_API_ERROR_RATE_LIMITED:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER,
                                   _("Too many attempts. Wait a moment and try again."));
      break;
    case NAVETTE_API_ERROR_INTERNAL:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER,
                                   _("The server had an internal problem."));
      break;
    case NAVETTE_API_ERROR_PAYLOAD_TOO_LARGE:
      error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER,
                                   _("The change is too large for the server to accept."));
      break;
    case NAVETTE_API_ERROR_BAD_REQUEST:
    case NAVETTE_API_ERROR_METHOD_NOT_ALLOWED:
    case NAVETTE_API_ERROR_UNSUPPORTED_MEDIA_TYPE:
    default:
      if (reason_sentence != NULL && status >= 400 && status < 500)
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER, reason_sentence);
      else if (has_message && status >= 400 && status < 500)
        /* Translators: %s is the server's own explanation, in English */
        error = g_error_new (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER,
                             _("The server refused the request: %s"), api_message);
      else
        error = g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERVER,
                                     _("The server refused the request."));
      break;
    }

  navette_sync_error_set_status (error, status);
  if (api_message != NULL && *api_message != '\0')
    navette_sync_error_get_private (error)->server_message = g_steal_pointer (&api_message);
  navette_sync_error_get_private (error)->reason = g_steal_pointer (&reason);
  return error;
}
