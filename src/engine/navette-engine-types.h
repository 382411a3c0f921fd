/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-engine-types.h — forward declarations and enums of the sync engine.
 *
 * The sync engine (libnavette-engine) depends on GIO, libsoup 3 and
 * json-glib only — never on GTK — so the desktop editor, navette-cli and
 * the headless tests all use the same code. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _NavetteChange     NavetteChange;
typedef struct _NavetteClient     NavetteClient;
typedef struct _NavetteEngine     NavetteEngine;
typedef struct _NavetteJournal    NavetteJournal;
typedef struct _NavetteMiddleware NavetteMiddleware;
typedef struct _NavettePoller     NavettePoller;
typedef struct _NavetteRecord     NavetteRecord;
typedef struct _NavetteSession    NavetteSession;
typedef struct _NavetteStore      NavetteStore;
typedef struct _NavetteTable      NavetteTable;

/**
 * NavetteSyncState:
 * @NAVETTE_SYNC_STATE_SYNCED: the record shows what the server holds.
 * @NAVETTE_SYNC_STATE_PENDING: at least one local action on the record
 *   has been applied optimistically and is not answered yet.
 * @NAVETTE_SYNC_STATE_FAILED: the last action on the record failed and was
 *   rolled back; navette_record_get_error() says why. The change itself is
 *   kept in the failed-changes list of the #NavetteMiddleware.
 * @NAVETTE_SYNC_STATE_WAITING: a local action on the record is applied and
 *   kept in the journal, waiting for the server to answer again (it could
 *   not be reached) or for a new sign-in; it is sent by itself then.
 */
typedef enum
{
  NAVETTE_SYNC_STATE_SYNCED,
  NAVETTE_SYNC_STATE_PENDING,
  NAVETTE_SYNC_STATE_FAILED,
  NAVETTE_SYNC_STATE_WAITING,
} NavetteSyncState;

/**
 * NavetteRole:
 * @NAVETTE_ROLE_NONE: no role (the application is not visible).
 * @NAVETTE_ROLE_READER: may read.
 * @NAVETTE_ROLE_EDITOR: may read, create, update, archive and revert.
 */
typedef enum
{
  NAVETTE_ROLE_NONE,
  NAVETTE_ROLE_READER,
  NAVETTE_ROLE_EDITOR,
} NavetteRole;

/**
 * NavetteChangeKind:
 * The actions a store emits. Archive, unarchive and revert are updates.
 */
typedef enum
{
  NAVETTE_CHANGE_CREATE,
  NAVETTE_CHANGE_UPDATE,
  NAVETTE_CHANGE_ARCHIVE,
  NAVETTE_CHANGE_UNARCHIVE,
  NAVETTE_CHANGE_REVERT,
} NavetteChangeKind;

/**
 * NavetteChangeState:
 * @NAVETTE_CHANGE_STATE_PENDING: applied optimistically, being sent, or
 *   waiting in the journal for the server to answer again (see
 *   navette_change_get_waiting()): a transient failure never ends a change.
 * @NAVETTE_CHANGE_STATE_SUCCEEDED: the server accepted it; the record was
 *   reconciled with the server's answer.
 * @NAVETTE_CHANGE_STATE_FAILED: rolled back; in the failed-changes list.
 * @NAVETTE_CHANGE_STATE_DISCARDED: the user discarded it.
 */
typedef enum
{
  NAVETTE_CHANGE_STATE_PENDING,
  NAVETTE_CHANGE_STATE_SUCCEEDED,
  NAVETTE_CHANGE_STATE_FAILED,
  NAVETTE_CHANGE_STATE_DISCARDED,
} NavetteChangeState;

/**
 * NavetteNotificationKind:
 * What a #NavetteEngine::notification is about, so the UI can pick a
 * toast style (and an action button: "Retry" for a failure, "Sign In" for
 * an expired session).
 * @NAVETTE_NOTIFICATION_INFO: neutral information.
 * @NAVETTE_NOTIFICATION_REMOTE_CHANGES: changes made by others arrived
 *   ("3 products changed").
 * @NAVETTE_NOTIFICATION_CHANGE_FAILED: an action was rolled back; the
 *   notification carries the #NavetteChange.
 * @NAVETTE_NOTIFICATION_AUTH_EXPIRED: the session expired; ask for the
 *   password and call navette_session_login_async() again.
 * @NAVETTE_NOTIFICATION_OFFLINE: the server cannot be reached.
 * @NAVETTE_NOTIFICATION_ONLINE: the server is reachable again.
 * @NAVETTE_NOTIFICATION_ROLE_CHANGED: the user's role in an application
 *   changed on the server.
 * @NAVETTE_NOTIFICATION_SUPERSEDED: a saved change replaced versions
 *   written by someone else that the user had not seen ("Replaced alice’s
 *   change of 10:31"); the notification carries the #NavetteChange (see
 *   navette_change_get_superseded()).
 * @NAVETTE_NOTIFICATION_ALL_SAVED: every change that waited for the server
 *   is saved.
 * @NAVETTE_NOTIFICATION_JOURNAL_FAILED: the journal of changes not yet
 *   accepted cannot be written (disk full, a directory that cannot be
 *   written): they are only in memory, lost if the program ends. A
 *   warning the user must see; navette_middleware_get_journal_error()
 *   says while it lasts.
 * @NAVETTE_NOTIFICATION_CACHE_FAILED: what the next start shows before
 *   the server answers (the list of applications kept in the replica)
 *   cannot be written; nothing is lost (said once).
 */
typedef enum
{
  NAVETTE_NOTIFICATION_INFO,
  NAVETTE_NOTIFICATION_REMOTE_CHANGES,
  NAVETTE_NOTIFICATION_CHANGE_FAILED,
  NAVETTE_NOTIFICATION_AUTH_EXPIRED,
  NAVETTE_NOTIFICATION_OFFLINE,
  NAVETTE_NOTIFICATION_ONLINE,
  NAVETTE_NOTIFICATION_ROLE_CHANGED,
  NAVETTE_NOTIFICATION_SUPERSEDED,
  NAVETTE_NOTIFICATION_ALL_SAVED,
  NAVETTE_NOTIFICATION_JOURNAL_FAILED,
  NAVETTE_NOTIFICATION_CACHE_FAILED,
} NavetteNotificationKind;

const char  *navette_role_to_string   (NavetteRole role);
NavetteRole  navette_role_from_string (const char *text);

G_END_DECLS

/* NAVETTE_TYPE_SYNC_STATE, NAVETTE_TYPE_ROLE, … (gnome.mkenums_simple) */
#include "navette-engine-enums.h"
