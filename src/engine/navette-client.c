/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

/* Bodies above this size are parsed in a worker thread. */
#define THREAD_PARSE_THRESHOLD (16 * 1024)

struct _NavetteClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  char        *token;
  guint        timeout;
  guint64      bytes_received;
  guint64      requests;
};

G_DEFINE_FINAL_TYPE (NavetteClient, navette_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  PROP_TIMEOUT,
  PROP_BYTES_RECEIVED,
  PROP_REQUESTS,
  N_PROPS
};

enum {
  AUTH_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Runs in the worker thread (or inline for small bodies): turns the
 * parsed root into the result. Returns NULL with @error set on failure. */
typedef gpointer (*NavetteParseFunc) (JsonNode  *root,
                                      gpointer   parse_data,
                                      GError   **error);

/* Like NavetteParseFunc, but given the raw body (to parse it piecewise). */
typedef gpointer (*NavetteRawParseFunc) (GBytes    *body,
                                         gpointer   parse_data,
                                         GError   **error);

typedef struct
{
  SoupMessage      *message;
  GBytes           *body;
  guint             status;
  char             *etag;
  gboolean          not_modified;
  gboolean          had_token;
  gint64            started;
  NavetteParseFunc  parse;
  NavetteRawParseFunc raw_parse;
  gpointer          parse_data;
  GDestroyNotify    parse_data_free;
  GDestroyNotify    result_free;
  /* Reading piecewise to report progress (record lists) */
  NavetteProgressFunc progress;
  gpointer          progress_data;
  GInputStream     *stream;
  GByteArray       *buffer;
  guint64           expected;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_clear_object (&data->message);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_clear_pointer (&data->etag, g_free);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  if (data->parse_data_free != NULL)
    g_clear_pointer (&data->parse_data, data->parse_data_free);
  g_free (data);
}

static void
navette_client_dispose (GObject *object)
{
  NavetteClient *self = (NavetteClient *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (navette_client_parent_class)->dispose (object);
}

static void
navette_client_finalize (GObject *object)
{
  NavetteClient *self = (NavetteClient *)object;

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->token, g_free);

  G_OBJECT_CLASS (navette_client_parent_class)->finalize (object);
}

static void
navette_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NavetteClient *self = NAVETTE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, self->bytes_received);
      break;
    case PROP_REQUESTS:
      g_value_set_uint64 (value, self->requests);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_base_url (NavetteClient *self,
              const char    *url)
{
  gsize len = url ? strlen (url) : 0;

  while (len > 0 && url[len - 1] == '/')
    len--;
  g_free (self->base_url);
  self->base_url = g_strndup (url ? url : "", len);
}

static void
navette_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  NavetteClient *self = NAVETTE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      set_base_url (self, g_value_get_string (value));
      break;
    case PROP_TOKEN:
      navette_client_set_token (self, g_value_get_string (value));
      break;
    case PROP_TIMEOUT:
      navette_client_set_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
navette_client_class_init (NavetteClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = navette_client_dispose;
  object_class->finalize = navette_client_finalize;
  object_class->get_property = navette_client_get_property;
  object_class->set_property = navette_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, 30,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_uint64 ("bytes-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUESTS] =
    g_param_spec_uint64 ("requests", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[AUTH_FAILED] =
    g_signal_new ("auth-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
navette_client_init (NavetteClient *self)
{
  self->timeout = 30;
  self->session = soup_session_new ();
  soup_session_set_timeout (self->session, self->timeout);
  soup_session_set_user_agent (self->session, "navette/" PACKAGE_VERSION " ");
}

NavetteClient *
navette_client_new (const char *base_url)
{
  g_return_val_if_fail (base_url != NULL, NULL);

  return g_object_new (NAVETTE_TYPE_CLIENT, "base-url", base_url, NULL);
}

void
navette_client_set_base_url (NavetteClient *self,
                             const char    *base_url)
{
  g_return_if_fail (NAVETTE_IS_CLIENT (self));
  g_return_if_fail (base_url != NULL);

  set_base_url (self, base_url);
}

const char *
navette_client_get_base_url (NavetteClient *self)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);
  return self->base_url;
}

const char *
navette_client_get_token (NavetteClient *self)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);
  return self->token;
}

void
navette_client_set_token (NavetteClient *self,
                          const char    *token)
{
  g_return_if_fail (NAVETTE_IS_CLIENT (self));

  if (g_strcmp0 (self->token, token) == 0)
    return;

  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
}

guint
navette_client_get_timeout (NavetteClient *self)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), 0);
  return self->timeout;
}

void
navette_client_set_timeout (NavetteClient *self,
                            guint          seconds)
{
  g_return_if_fail (NAVETTE_IS_CLIENT (self));

  if (self->timeout == seconds)
    return;

  self->timeout = seconds;
  soup_session_set_timeout (self->session, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

guint64
navette_client_get_bytes_received (NavetteClient *self)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), 0);
  return self->bytes_received;
}

gboolean
navette_client_set_ca_file (NavetteClient  *self,
                            const char     *ca_file,
                            GError        **error)
{
  g_autoptr(GTlsDatabase) database = NULL;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (ca_file != NULL)
    {
      database = g_tls_file_database_new (ca_file, error);
      if (database == NULL)
        return FALSE;
    }
  else
    {
      database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
    }
  soup_session_set_tls_database (self->session, database);
  return TRUE;
}

guint64
navette_client_get_requests (NavetteClient *self)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), 0);
  return self->requests;
}

void
navette_client_add_bytes (NavetteClient *self,
                          guint64        n)
{
  self->bytes_received += n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
}

char *
navette_client_table_path (const char *app,
                           const char *table,
                           const char *suffix)
{
  return g_strdup_printf (NAVETTE_API_PREFIX "/applications/%s/tables/%s%s",
                          app, table, suffix ? suffix : "");
}

/* Why a certificate did not verify, for a person. */
static const char *
describe_certificate_errors (GTlsCertificateFlags flags)
{
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return _("it is not signed by a known certificate authority (for a self-hosted server, give the file of the authority that signed it)");
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return _("it is made out for another server name");
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    return _("it has expired");
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return _("it is not valid yet");
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    return _("it has been revoked");
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    return _("it uses an insecure algorithm");
  return _("it does not verify");
}

static GError *
map_transport_error (SoupMessage  *message,
                     const GError *error)
{
  /* Cancelled: GLib's error as it is, which every caller checks. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TIMEOUT,
                                _("The server did not answer in time."));
  if (error->domain == G_RESOLVER_ERROR)
    return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                                _("The server’s name could not be found."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                                _("The server refused the connection. Is it running?"));
  /* A certificate that does not verify is not worth retrying: it will not
   * verify any better in a minute. */
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    return g_error_new (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TLS,
                        _("The server’s certificate is not trusted: %s."),
                        describe_certificate_errors (message != NULL ? soup_message_get_tls_peer_certificate_errors (message) : 0));
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_TLS,
                                _("The server does not answer in TLS at this address: use http://, or check the port."));
  return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                              _("The connection to the server failed or was lost."));
}

static GError *
serialization_error (void)
{
  return g_error_new_literal (NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_SERIALIZATION,
                              _("The server’s answer could not be understood."));
}

static void
count_header_cb (const char *name,
                 const char *value,
                 gpointer    user_data)
{
  guint64 *n = user_data;
  *n += strlen (name) + strlen (value) + 4;
}

/* Parses the body (in the worker thread or inline); returns the result of
 * data->parse, or the root node. */
static gpointer
parse_body (RequestData  *data,
            GError      **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (data->body, &len);

  if (data->raw_parse != NULL)
    return data->raw_parse (data->body, data->parse_data, error);

  root = navette_json_parse_strict (text, len, &local_error);
  if (root == NULL)
    {
      g_debug ("Malformed answer: %s", local_error->message);
      g_propagate_error (error, serialization_error ());
      return NULL;
    }

  if (data->parse == NULL)
    return g_steal_pointer (&root);

  return data->parse (root, data->parse_data, error);
}

static void
parse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  RequestData *data = task_data;
  GError *error = NULL;
  gpointer result;
  gint64 start = g_get_monotonic_time ();

  result = parse_body (data, &error);
  g_debug ("Parsed %" G_GSIZE_FORMAT " bytes in %.1f ms (worker thread)",
           g_bytes_get_size (data->body), (g_get_monotonic_time () - start) / 1000.0);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, data->result_free);
}

static void body_received (GTask *task);

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (data->body == NULL)
    {
      g_task_return_error (task, map_transport_error (data->message, error));
      return;
    }
  body_received (g_steal_pointer (&task));
}

#define READ_CHUNK (64 * 1024)

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  gsize len;
  const guint8 *chunk;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, map_transport_error (data->message, error));
      return;
    }

  chunk = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      data->body = g_byte_array_free_to_bytes (g_steal_pointer (&data->buffer));
      g_clear_object (&data->stream);
      body_received (g_steal_pointer (&task));
      return;
    }

  g_byte_array_append (data->buffer, chunk, len);
  data->progress (data->buffer->len, data->expected, data->progress_data);
  cancellable = g_task_get_cancellable (task);
  g_input_stream_read_bytes_async (data->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   cancellable, read_cb, g_steal_pointer (&task));
}

static void
stream_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  SoupMessageHeaders *headers;

  data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (data->stream == NULL)
    {
      g_task_return_error (task, map_transport_error (data->message, error));
      return;
    }

  headers = soup_message_get_response_headers (data->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    data->expected = (guint64) soup_message_headers_get_content_length (headers);
  data->buffer = g_byte_array_sized_new (data->expected > 0 && data->expected < G_MAXUINT32
                                         ? (guint) data->expected : READ_CHUNK);
  data->progress (0, data->expected, data->progress_data);
  cancellable = g_task_get_cancellable (task);
  g_input_stream_read_bytes_async (data->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   cancellable, read_cb, g_steal_pointer (&task));
}

/* The whole body is in data->body: check the answer and parse it. Takes
 * @task. */
static void
body_received (GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  NavetteClient *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  guint64 n = 17;

  data->status = soup_message_get_status (data->message);
  g_debug ("%s %s: %u, %" G_GSIZE_FORMAT " bytes in %.1f ms",
           soup_message_get_method (data->message),
           g_uri_get_path (soup_message_get_uri (data->message)), data->status,
           g_bytes_get_size (data->body), (g_get_monotonic_time () - data->started) / 1000.0);
  headers = soup_message_get_response_headers (data->message);
  soup_message_headers_foreach (headers, count_header_cb, &n);
  navette_client_add_bytes (self, n + g_bytes_get_size (data->body));
  data->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));

  /* A connection lost in the middle of the body may end the read quietly:
   * compare with what was announced. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > g_bytes_get_size (data->body) &&
      data->status != SOUP_STATUS_NOT_MODIFIED && data->status != SOUP_STATUS_NO_CONTENT)
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                               _("The connection to the server was lost before the whole answer arrived."));
      return;
    }

  if (data->status == SOUP_STATUS_NOT_MODIFIED)
    {
      data->not_modified = TRUE;
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  if (data->status == SOUP_STATUS_NO_CONTENT)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  if (data->status < 200 || data->status >= 300)
    {
      GError *api_error = navette_sync_error_from_api (data->status, data->body);

      if ((api_error->code == NAVETTE_SYNC_ERROR_AUTH_EXPIRED ||
           api_error->code == NAVETTE_SYNC_ERROR_AUTH_REQUIRED) &&
          data->had_token)
        g_signal_emit (self, signals[AUTH_FAILED], 0, api_error);

      g_task_return_error (task, api_error);
      return;
    }

  if (g_bytes_get_size (data->body) >= THREAD_PARSE_THRESHOLD)
    {
      g_task_run_in_thread (task, parse_thread);
    }
  else
    {
      GError *parse_error = NULL;
      gpointer parsed = parse_body (data, &parse_error);

      if (parsed == NULL)
        g_task_return_error (task, parse_error);
      else
        g_task_return_pointer (task, parsed, data->result_free);
    }
}

static void
navette_client_send_async (NavetteClient       *self,
                           const char          *method,
                           const char          *path,
                           JsonNode            *body,
                           const char          *idempotency_key,
                           const char          *if_none_match,
                           NavetteParseFunc     parse,
                           NavetteRawParseFunc  raw_parse,
                           gpointer             parse_data,
                           GDestroyNotify       parse_data_free,
                           GDestroyNotify       result_free,
                           gpointer             source_tag,
                           NavetteProgressFunc  progress,
                           gpointer             progress_data,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *uri = NULL;
  SoupMessageHeaders *headers;
  RequestData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  data = g_new0 (RequestData, 1);
  data->parse = parse;
  data->raw_parse = raw_parse;
  data->parse_data = parse_data;
  data->parse_data_free = parse_data_free;
  data->result_free = result_free;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);

  uri = g_strconcat (self->base_url, path, NULL);
  data->message = soup_message_new (method, uri);
  if (data->message == NULL)
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                               _("The server address “%s” is not valid."), self->base_url);
      return;
    }

  headers = soup_message_get_request_headers (data->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
      data->had_token = TRUE;
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  if (if_none_match != NULL)
    soup_message_headers_replace (headers, "If-None-Match", if_none_match);

  if (body != NULL)
    {
      gsize len;
      char *text = navette_json_to_string (body, &len);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, len);

      soup_message_set_request_body_from_bytes (data->message, "application/json", bytes);
    }

  data->started = g_get_monotonic_time ();
  self->requests++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS]);

  if (progress != NULL)
    {
      data->progress = progress;
      data->progress_data = progress_data;
      soup_session_send_async (self->session, data->message, G_PRIORITY_DEFAULT,
                               cancellable, stream_sent_cb, g_steal_pointer (&task));
      return;
    }

  soup_session_send_and_read_async (self->session, data->message, G_PRIORITY_DEFAULT,
                                    cancellable, send_cb, g_steal_pointer (&task));
}

void
navette_client_request_async (NavetteClient       *self,
                              const char          *method,
                              const char          *path,
                              JsonNode            *body,
                              const char          *idempotency_key,
                              const char          *if_none_match,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (NAVETTE_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  navette_client_send_async (self, method, path, body, idempotency_key, if_none_match,
                             NULL, NULL, NULL, NULL, (GDestroyNotify) json_node_unref,
                             navette_client_request_async,
                             NULL, NULL,
                             cancellable, callback, user_data);
}

JsonNode *
navette_client_request_finish (NavetteClient  *self,
                               GAsyncResult   *result,
                               guint          *status,
                               char          **etag,
                               gboolean       *not_modified,
                               GError        **error)
{
  RequestData *data;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (status != NULL)
    *status = data->status;
  if (etag != NULL)
    *etag = g_strdup (data->etag);
  if (not_modified != NULL)
    *not_modified = data->not_modified;

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Records ---- */

static GPtrArray *
parse_record_array (JsonArray  *array,
                    GError    **error)
{
  g_autoptr(GPtrArray) records = NULL;
  guint n = json_array_get_length (array);

  records = g_ptr_array_new_full (n, (GDestroyNotify) navette_wire_record_unref);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      NavetteWireRecord *record;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !(record = navette_wire_record_from_json (json_node_get_object (node), &local_error)))
        {
          g_debug ("Malformed record %u: %s", i, local_error ? local_error->message : "not an object");
          g_propagate_error (error, serialization_error ());
          return NULL;
        }
      g_ptr_array_add (records, record);
    }

  return g_steal_pointer (&records);
}

/* ---- Walking the pages of a list ----
 *
 * `GET …/records` and `…/versions` answer one page at a time (docs/api.md,
 * "Paging"): a walk asks for the first page, then passes each page's
 * "next" as `after` until a page has none. Its items are gathered in
 * PageWalk (one page at a time, so the parse of a page, in a worker
 * thread for a large one, is the only one touching them) and handed over
 * when the walk is complete: a full reload replaces the table only with
 * a whole snapshot. The walk's revision is its first page's. */

typedef struct
{
  char                *path;       /* without `after` */
  char                *next;       /* the cursor of the page to ask for */
  GPtrArray           *items;
  gint64               revision;
  gboolean             have_revision;
  guint                pages;
  NavetteParseFunc     parse;
  NavetteRawParseFunc  raw_parse;
  NavetteProgressFunc  progress;
  NavettePageFunc      page;
  gpointer             progress_data;
  gpointer             source_tag;
  NavettePageSinkFunc  sink;       /* NULL: the items are kept to the end */
  gpointer             sink_data;

  /* A sink's walk asks for the next page as soon as the current one's
   * body is in and its cursor read (peek_next_cursor()), before that body
   * is decoded: the server builds and sends page N+1
   * while page N is decoded and applied. At most two pages here: the
   * one decoded (or handed to the sink), and the next one's body. */
  GCancellable        *fetch_cancellable;  /* the walk's, or its own when it ends */
  GCancellable        *cancellable;        /* the caller's */
  gulong               cancel_handler;
  struct FetchedPage  *ready;        /* the next page's body, fetched */
  GError              *fetch_error;  /* its fetch failed */
  gboolean             fetching;
  gboolean             waiting;      /* the walk waits for the fetch */
  gboolean             ended;
} PageWalk;

typedef struct FetchedPage
{
  GBytes *body;
  char   *next;  /* read ahead of the decode */
} FetchedPage;

static void
fetched_page_free (FetchedPage *page)
{
  g_clear_pointer (&page->body, g_bytes_unref);
  g_clear_pointer (&page->next, g_free);
  g_free (page);
}

static void
page_walk_free (PageWalk *walk)
{
  if (walk->cancel_handler != 0)
    g_cancellable_disconnect (walk->cancellable, walk->cancel_handler);
  g_clear_object (&walk->cancellable);
  g_clear_object (&walk->fetch_cancellable);
  g_clear_pointer (&walk->ready, fetched_page_free);
  g_clear_error (&walk->fetch_error);
  g_clear_pointer (&walk->path, g_free);
  g_clear_pointer (&walk->next, g_free);
  g_clear_pointer (&walk->items, g_ptr_array_unref);
  g_free (walk);
}

/* Called by a page's parse (in a worker or inline): the page's revision
 * and cursor. */
static void
page_walk_set_page (PageWalk   *walk,
                    gint64      revision,
                    char       *next)
{
  if (!walk->have_revision)
    {
      walk->revision = revision;
      walk->have_revision = TRUE;
    }
  g_free (walk->next);
  walk->next = next;
}

static void
walk_progress_cb (guint64  received,
                  guint64  expected,
                  gpointer user_data)
{
  PageWalk *walk = g_task_get_task_data (user_data);

  walk->progress (received, expected, walk->progress_data);
}

static void walk_page_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data);

/* The path of the page after @cursor (the first page's when NULL). */
static char *
walk_page_path (PageWalk   *walk,
                const char *cursor)
{
  g_autofree char *escaped = NULL;

  if (cursor == NULL)
    return g_strdup (walk->path);
  escaped = g_uri_escape_string (cursor, NULL, FALSE);
  return g_strconcat (walk->path, strchr (walk->path, '?') ? "&" : "?",
                      "after=", escaped, NULL);
}

static void
walk_send_page (GTask *task)
{
  NavetteClient *self = g_task_get_source_object (task);
  PageWalk *walk = g_task_get_task_data (task);
  g_autofree char *path = walk_page_path (walk, walk->next);

  if (walk->page != NULL)
    walk->page (walk->items->len, walk->pages, walk->progress_data);
  navette_client_send_async (self, "GET", path, NULL, NULL, NULL,
                             walk->parse, walk->raw_parse, walk, NULL, NULL,
                             walk->source_tag,
                             walk->progress != NULL ? walk_progress_cb : NULL, task,
                             g_task_get_cancellable (task), walk_page_cb, g_object_ref (task));
}

/* Hands the page's items to the sink, with a reference to the walk. */
static void
walk_hand_over (GTask *task)
{
  PageWalk *walk = g_task_get_task_data (task);
  GPtrArray *items = g_steal_pointer (&walk->items);

  walk->items = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_packed_record_free);
  walk->sink (items, walk->revision, walk->next == NULL, g_object_ref (task), walk->sink_data);
}

static void
walk_page_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PageWalk *walk = g_task_get_task_data (task);
  GError *error = NULL;

  if (g_task_propagate_pointer (G_TASK (result), &error) == NULL)
    {
      g_task_return_error (task, error != NULL ? error : serialization_error ());
      return;
    }
  walk->pages++;
  if (walk->sink != NULL)
    {
      walk_hand_over (task);
      return;
    }
  if (walk->next != NULL)
    {
      walk_send_page (task);
      return;
    }
  g_debug ("Walked %s: %u items in %u pages", walk->path, walk->items->len, walk->pages);
  g_task_return_boolean (task, TRUE);
}

/* ---- The prefetching walk (a sink's) ---- */

static gpointer parse_records_raw (GBytes    *body,
                                   gpointer   parse_data,
                                   GError   **error);

/* Ends a prefetching walk: a fetch still running is cancelled. Takes
 * @error (NULL: the walk is complete). */
static void
walk_end (GTask  *task,
          GError *error)
{
  PageWalk *walk = g_task_get_task_data (task);

  walk->ended = TRUE;
  g_cancellable_cancel (walk->fetch_cancellable);
  if (error != NULL)
    g_task_return_error (task, error);
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
}

/* The page's cursor as the server writes it, at the very end of the body
 * (`…],"next":"CURSOR"}`): read from the tail, not by decoding the page
 * (which costs as much as the decode itself). Only a hint: the decode
 * reads the page's "next" as it should, and a hint that differs fails the
 * walk. NULL when the tail is not that (the last page; another layout):
 * the next page is then asked for after the decode, as before. */
static char *
peek_next_cursor (GBytes *body)
{
  static const char member[] = "],\"next\":\"";
  gsize len;
  const char *text = g_bytes_get_data (body, &len);
  const char *end = text + len;
  const char *tail, *start, *p;

  while (end > text && g_ascii_isspace (end[-1]))
    end--;
  if (end - text < 2 || end[-1] != '}' || end[-2] != '"')
    return NULL;
  tail = end - MIN ((gsize) (end - text), 512);
  start = g_strrstr_len (tail, end - tail, member);
  if (start == NULL)
    return NULL;
  start += strlen (member);
  for (p = start; p < end - 2; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '=')
      return NULL;
  return p > start ? g_strndup (start, p - start) : NULL;
}

/* The body kept as it is, and its cursor's hint. */
static gpointer
peek_page_raw (GBytes    *body,
               gpointer   parse_data,
               GError   **error)
{
  FetchedPage *page = g_new0 (FetchedPage, 1);

  page->body = g_bytes_ref (body);
  page->next = peek_next_cursor (body);
  return page;
}

static void walk_fetched_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data);

static void
walk_fetch (GTask      *task,
            const char *cursor)
{
  NavetteClient *self = g_task_get_source_object (task);
  PageWalk *walk = g_task_get_task_data (task);
  g_autofree char *path = walk_page_path (walk, cursor);

  walk->fetching = TRUE;
  navette_client_send_async (self, "GET", path, NULL, NULL, NULL,
                             NULL, peek_page_raw, NULL, NULL, (GDestroyNotify) fetched_page_free,
                             walk->source_tag, NULL, NULL,
                             walk->fetch_cancellable, walk_fetched_cb, g_object_ref (task));
}

typedef struct
{
  GTask       *walk;
  FetchedPage *page;
} Decode;

static void
decode_free (Decode *decode)
{
  g_object_unref (decode->walk);
  fetched_page_free (decode->page);
  g_free (decode);
}

/* In a worker: the page decoded into walk->items (the only decode
 * running: the next one starts once the sink resumed the walk). */
static void
decode_page_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Decode *decode = task_data;
  PageWalk *walk = g_task_get_task_data (decode->walk);
  GError *error = NULL;

  if (parse_records_raw (decode->page->body, walk, &error) == NULL)
    g_task_return_error (task, error);
  else if (decode->page->next != NULL && g_strcmp0 (walk->next, decode->page->next) != 0)
    g_task_return_error (task, serialization_error ());
  else
    g_task_return_boolean (task, TRUE);
}

static void
walk_decoded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Decode *decode = g_task_get_task_data (G_TASK (result));
  GTask *task = decode->walk;
  PageWalk *walk = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      walk_end (task, error);
      return;
    }
  walk->pages++;
  walk_hand_over (task);
}

/* The fetched body becomes the current page: the next one is asked for at
 * once, and this one decoded in a worker. */
static void
walk_decode_ready (GTask *task)
{
  PageWalk *walk = g_task_get_task_data (task);
  g_autoptr(GTask) worker = g_task_new (NULL, NULL, walk_decoded_cb, NULL);
  Decode *decode = g_new0 (Decode, 1);

  decode->walk = g_object_ref (task);
  decode->page = g_steal_pointer (&walk->ready);
  walk->waiting = FALSE;
  if (decode->page->next != NULL)
    walk_fetch (task, decode->page->next);
  g_task_set_task_data (worker, decode, (GDestroyNotify) decode_free);
  g_task_run_in_thread (worker, decode_page_thread);
}

static void
walk_fetched_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PageWalk *walk = g_task_get_task_data (task);
  GError *error = NULL;
  FetchedPage *page = g_task_propagate_pointer (G_TASK (result), &error);

  walk->fetching = FALSE;
  if (walk->ended)
    {
      g_clear_pointer (&page, fetched_page_free);
      g_clear_error (&error);
      return;
    }
  if (page == NULL)
    walk->fetch_error = error != NULL ? error : serialization_error ();
  else
    walk->ready = page;
  if (!walk->waiting)
    return;
  if (walk->fetch_error != NULL)
    walk_end (task, g_steal_pointer (&walk->fetch_error));
  else
    walk_decode_ready (task);
}

/* The sink resumed the walk: the next page, fetched already or on its way. */
static void
walk_prefetched_next (GTask *task)
{
  PageWalk *walk = g_task_get_task_data (task);

  walk->waiting = TRUE;
  if (walk->fetch_error != NULL)
    walk_end (task, g_steal_pointer (&walk->fetch_error));
  else if (walk->ready != NULL)
    walk_decode_ready (task);
  else if (!walk->fetching)
    walk_fetch (task, walk->next);
}

static void
chain_cancel_cb (GCancellable *cancellable,
                 gpointer      user_data)
{
  g_cancellable_cancel (user_data);
}

static void
walk_start (NavetteClient       *self,
            PageWalk            *walk,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, walk->source_tag);
  g_task_set_task_data (task, walk, (GDestroyNotify) page_walk_free);
  if (walk->sink == NULL)
    {
      walk_send_page (task);
      return;
    }
  walk->fetch_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      walk->cancellable = g_object_ref (cancellable);
      walk->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (chain_cancel_cb),
                                                    walk->fetch_cancellable, NULL);
    }
  walk->waiting = TRUE;
  walk_fetch (task, NULL);
}

/* The walk's items, or NULL and @error. */
static GPtrArray *
walk_finish (NavetteClient  *self,
             GAsyncResult   *result,
             gint64         *revision,
             GError        **error)
{
  PageWalk *walk;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  walk = g_task_get_task_data (G_TASK (result));
  if (revision != NULL)
    *revision = walk->revision;
  return g_steal_pointer (&walk->items);
}

/* ---- Decoding a large record list ----
 *
 * json-glib builds a tree of the whole answer before anything can be
 * used: for 100 000 records that is seconds and hundreds of MiB. The
 * streaming decoder of the wire layer (navette-wire-decoder.h, as strict
 * as navette_json_parse_strict()) reads the body once and hands each
 * record over; it becomes a packed record at once
 * (navette_packed_records_decode_page()). */

/* The rows a page of records is asked for: the server's largest page by
 * default (docs/api.md, "Paging": a larger limit is served as its largest
 * page, whatever the operator chose). Each page is a round trip, one
 * after the other; a whole table is wanted anyway, and the client's
 * memory is the same whatever the page. */
#define RECORD_PAGE_LIMIT 10000

static gpointer
parse_records_raw (GBytes    *body,
                   gpointer   parse_data,
                   GError   **error)
{
  PageWalk *walk = parse_data;
  gsize len;
  const char *text = g_bytes_get_data (body, &len);
  g_autoptr(GError) local_error = NULL;
  gint64 revision = 0;
  char *next = NULL;

  if (!navette_packed_records_decode_page (text, len, walk->items, &revision, &next, &local_error))
    {
      g_debug ("Malformed record list: %s", local_error->message);
      g_propagate_error (error, serialization_error ());
      return NULL;
    }
  page_walk_set_page (walk, revision, next);
  /* The last page: sort the whole walk here (in the worker when large). */
  if (next == NULL)
    {
      guint dropped = navette_packed_records_sort (walk->items);

      if (dropped > 0)
        g_debug ("%u records were given twice in one walk", dropped);
    }
  return walk;
}

/* A walk over the records of @app/@table (changed after @since, or all
 * when it is negative), page by page. */
static PageWalk *
records_walk_new (const char *app,
                  const char *table,
                  gint64      since,
                  gpointer    source_tag)
{
  g_autofree char *suffix = NULL;
  PageWalk *walk = g_new0 (PageWalk, 1);

  if (since >= 0)
    suffix = g_strdup_printf ("/records?limit=%u&since=%" G_GINT64_FORMAT, RECORD_PAGE_LIMIT, since);
  else
    suffix = g_strdup_printf ("/records?limit=%u", RECORD_PAGE_LIMIT);
  walk->path = navette_client_table_path (app, table, suffix);
  walk->items = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_packed_record_free);
  walk->raw_parse = parse_records_raw;
  walk->source_tag = source_tag;
  return walk;
}

void
navette_client_list_records_progress_async (NavetteClient       *self,
                                            const char          *app,
                                            const char          *table,
                                            gint64               since,
                                            NavetteProgressFunc  progress,
                                            NavettePageFunc      page,
                                            gpointer             progress_data,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  PageWalk *walk;

  g_return_if_fail (NAVETTE_IS_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL);

  walk = records_walk_new (app, table, since, navette_client_list_records_async);
  walk->progress = progress;
  walk->page = page;
  walk->progress_data = progress_data;
  walk_start (self, walk, cancellable, callback, user_data);
}

void
navette_client_walk_records_async (NavetteClient       *self,
                                   const char          *app,
                                   const char          *table,
                                   gint64               since,
                                   NavettePageSinkFunc  sink,
                                   gpointer             sink_data,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  PageWalk *walk;

  g_return_if_fail (NAVETTE_IS_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL && sink != NULL);

  walk = records_walk_new (app, table, since, navette_client_walk_records_async);
  walk->sink = sink;
  walk->sink_data = sink_data;
  walk_start (self, walk, cancellable, callback, user_data);
}

void
navette_client_walk_resume (GTask  *walk_task,
                            GError *error)
{
  g_autoptr(GTask) task = walk_task;
  PageWalk *walk = g_task_get_task_data (task);

  if (walk->sink != NULL && walk->fetch_cancellable != NULL)
    {
      if (error != NULL || walk->next == NULL || g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        walk_end (task, error);
      else
        walk_prefetched_next (task);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else if (g_task_return_error_if_cancelled (task))
    ;
  else if (walk->next != NULL)
    walk_send_page (task);
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
navette_client_walk_records_finish (NavetteClient  *self,
                                    GAsyncResult   *result,
                                    gint64         *revision,
                                    GError        **error)
{
  g_autoptr(GPtrArray) rest = walk_finish (self, result, revision, error);

  return rest != NULL;
}

void
navette_client_list_records_async (NavetteClient       *self,
                                   const char          *app,
                                   const char          *table,
                                   gint64               since,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  navette_client_list_records_progress_async (self, app, table, since, NULL, NULL, NULL,
                                              cancellable, callback, user_data);
}

GPtrArray *
navette_client_list_records_finish (NavetteClient  *self,
                                    GAsyncResult   *result,
                                    gint64         *revision,
                                    GError        **error)
{
  g_autoptr(GPtrArray) packed = NULL;
  GPtrArray *records;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  packed = navette_client_list_records_finish_packed (self, result, revision, error);
  if (packed == NULL)
    return NULL;

  records = g_ptr_array_new_full (packed->len, (GDestroyNotify) navette_wire_record_unref);
  for (guint i = 0; i < packed->len; i++)
    g_ptr_array_add (records, navette_packed_record_to_wire (g_ptr_array_index (packed, i)));
  return records;
}

GPtrArray *
navette_client_list_records_finish_packed (NavetteClient  *self,
                                           GAsyncResult   *result,
                                           gint64         *revision,
                                           GError        **error)
{
  return walk_finish (self, result, revision, error);
}

static gpointer
parse_versions (JsonNode  *root,
                gpointer   parse_data,
                GError   **error)
{
  PageWalk *walk = parse_data;
  JsonNode *versions;
  JsonNode *next = NULL;
  JsonObject *object;
  g_autoptr(GPtrArray) page = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      !(versions = json_object_get_member ((object = json_node_get_object (root)), "versions")) ||
      !JSON_NODE_HOLDS_ARRAY (versions) ||
      ((next = json_object_get_member (object, "next")) != NULL &&
       (!JSON_NODE_HOLDS_VALUE (next) || json_node_get_value_type (next) != G_TYPE_STRING)))
    {
      g_propagate_error (error, serialization_error ());
      return NULL;
    }

  page = parse_record_array (json_node_get_array (versions), error);
  if (page == NULL)
    return NULL;
  g_ptr_array_extend_and_steal (walk->items, g_steal_pointer (&page));
  page_walk_set_page (walk, 0, next != NULL ? g_strdup (json_node_get_string (next)) : NULL);
  return walk;
}

void
navette_client_list_versions_async (NavetteClient       *self,
                                    const char          *app,
                                    const char          *table,
                                    const char          *record_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *suffix = NULL;
  PageWalk *walk;

  g_return_if_fail (NAVETTE_IS_CLIENT (self));
  g_return_if_fail (app != NULL && table != NULL && record_id != NULL);

  suffix = g_strdup_printf ("/records/%s/versions", record_id);
  walk = g_new0 (PageWalk, 1);
  walk->path = navette_client_table_path (app, table, suffix);
  walk->items = g_ptr_array_new_with_free_func ((GDestroyNotify) navette_wire_record_unref);
  walk->parse = parse_versions;
  walk->source_tag = navette_client_list_versions_async;
  walk_start (self, walk, cancellable, callback, user_data);
}

GPtrArray *
navette_client_list_versions_finish (NavetteClient  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);

  return walk_finish (self, result, NULL, error);
}

/* ---- Synchronous helper ---- */

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

JsonNode *
navette_client_request_sync (NavetteClient  *self,
                             const char     *method,
                             const char     *path,
                             JsonNode       *body,
                             guint          *status,
                             GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);

  navette_client_request_async (self, method, path, body, NULL, NULL, NULL, sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return navette_client_request_finish (self, result, status, NULL, NULL, error);
}

static void
events_connect_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *connection;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (connection == NULL)
    {
      guint status = soup_message_get_status (message);

      if (status == SOUP_STATUS_UNAUTHORIZED)
        g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_AUTH_REQUIRED,
                                 _("Sign in again to receive changes as they happen."));
      else if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_BAD_REQUEST ||
               status == SOUP_STATUS_METHOD_NOT_ALLOWED)
        g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NOT_FOUND,
                                 _("The server does not announce changes."));
      else if (status >= 400)
        g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_UNAVAILABLE,
                                 _("The server refused to announce changes now."));
      else
        g_task_return_error (task, map_transport_error (message, error));
      return;
    }

  g_task_return_pointer (task, connection, g_object_unref);
}

void
navette_client_events_connect_async (NavetteClient       *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *uri = NULL;
  const char *protocols[] = { "navette.v1", NULL };
  SoupMessage *message;

  g_return_if_fail (NAVETTE_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_client_events_connect_async);

  uri = g_strconcat (self->base_url, NAVETTE_API_PREFIX "/events", NULL);
  message = soup_message_new ("GET", uri);
  if (message == NULL)
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                               _("The server address “%s” is not valid."), self->base_url);
      return;
    }
  g_task_set_task_data (task, message, g_object_unref);

  if (self->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", auth);
    }

  self->requests++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS]);

  soup_session_websocket_connect_async (self->session, message, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, cancellable,
                                        events_connect_cb, g_steal_pointer (&task));
}

SoupWebsocketConnection *
navette_client_events_connect_finish (NavetteClient  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (NAVETTE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
