/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-middleware-private.h — what navette-middleware.c and
 * navette-middleware-journal.c share: the instance and an applied change. */
#pragma once

#include "navette-engine-private.h"
#include "navette-journal.h"

G_BEGIN_DECLS

struct _NavetteMiddleware
{
  GObject         parent_instance;

  NavetteClient  *client;
  GPtrArray      *stores;       /* NavetteStore*, strong */
  GListStore     *failed;       /* NavetteChange */
  GHashTable     *ops;          /* NavetteChange* → Op* (pending changes) */
  GHashTable     *queues;       /* "app/table/id" → GQueue of Op*, oldest first */
  GCancellable   *cancellable;  /* of every request; cancelled on dispose */
  NavetteJournal *journal;      /* NULL: no journal */
  gboolean        online;       /* FALSE after a transient failure, until resumed */
  gboolean        signed_out;   /* the session expired (a 401), until resumed */
  gboolean        had_waiting;  /* some change waited since the queue was last empty */
  gboolean        waited_offline; /* … for the server (not only for a sign-in) */
  gboolean        failed_since; /* … and some change failed since */
  gboolean        journal_failing; /* said: the journal cannot be written */
  guint           n_waiting;
  gboolean        failing_store; /* navette_middleware_fail_store() runs: nothing is sent */
};

/* A change being applied. */
typedef struct
{
  NavetteChange *change;     /* strong */
  char          *queue_key;  /* "app/table/id": the changes of one record go out in order */
  JsonNode      *body;       /* frozen at the first send: a resend sends the same */
  char          *method;
  char          *path;
  guint64        ticket;     /* the journal write that must be on disk before the first send */
  gboolean       sending;
  gboolean       fetched;    /* the record was asked for (not in the model) */
} Op;

JsonNode *_navette_middleware_object_node (JsonObject *object);
void _navette_middleware_pump_all (NavetteMiddleware *self);
guint64 _navette_middleware_journal_put (NavetteMiddleware *self,
                                         NavetteChange     *change,
                                         Op                *op,
                                         gboolean           failed);
void _navette_middleware_journal_forget (NavetteMiddleware *self,
                                         NavetteChange     *change);
void _navette_middleware_journal_written_cb (NavetteJournal    *journal,
                                             guint64            ticket,
                                             gboolean           durable,
                                             NavetteMiddleware *self);

G_END_DECLS
