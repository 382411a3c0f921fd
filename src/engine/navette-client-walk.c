/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NavetteClient's record lists: walking the pages of `…/records` and
 * `…/versions` (docs/api.md, "Paging"), the prefetching walk a replica
 * sync uses, and the streaming decoder of a large record list. The
 * requests themselves are in navette-client.c. */
#define G_LOG_DOMAIN "navette-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "navette-engine-private.h"

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
          g_propagate_error (error, _navette_client_serialization_error ());
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
  _navette_client_send_async (self, "GET", path, NULL, NULL, NULL,
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
      g_task_return_error (task, error != NULL ? error : _navette_client_serialization_error ());
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
  _navette_client_send_async (self, "GET", path, NULL, NULL, NULL,
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
    g_task_return_error (task, _navette_client_serialization_error ());
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
    walk->fetch_error = error != NULL ? error : _navette_client_serialization_error ();
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
      g_propagate_error (error, _navette_client_serialization_error ());
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

/* ---- Versions of a record ---- */

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
      g_propagate_error (error, _navette_client_serialization_error ());
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
