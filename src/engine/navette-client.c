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

GError *
_navette_client_serialization_error (void)
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
      g_propagate_error (error, _navette_client_serialization_error ());
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

/* A @method message to the server's @path carrying the token, counted in
 * "requests"; NULL, with the error returned on @task, when the server
 * address is not valid. */
static SoupMessage *
new_message (NavetteClient *self,
             const char    *method,
             const char    *path,
             GTask         *task)
{
  g_autofree char *uri = g_strconcat (self->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, uri);

  if (message == NULL)
    {
      g_task_return_new_error (task, NAVETTE_SYNC_ERROR, NAVETTE_SYNC_ERROR_NETWORK,
                               _("The server address “%s” is not valid."), self->base_url);
      return NULL;
    }
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", auth);
    }
  self->requests++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS]);
  return message;
}

void
_navette_client_send_async (NavetteClient       *self,
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

  if (!(data->message = new_message (self, method, path, task)))
    return;
  data->had_token = self->token != NULL;

  headers = soup_message_get_request_headers (data->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
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

  _navette_client_send_async (self, method, path, body, idempotency_key, if_none_match,
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
  const char *protocols[] = { "navette.v1", NULL };
  SoupMessage *message;

  g_return_if_fail (NAVETTE_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, navette_client_events_connect_async);

  if (!(message = new_message (self, "GET", NAVETTE_API_PREFIX "/events", task)))
    return;
  g_task_set_task_data (task, message, g_object_unref);

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
