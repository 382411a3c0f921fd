/* SPDX-License-Identifier: GPL-3.0-or-later */
/* navette-sign-in-limit.h — the limits on failed sign-ins (SECURITY.md).
 *
 * Failures are counted in a sliding window (NAVETTE_SIGN_IN_WINDOW_USEC):
 *  - per (user name, client address): at most NAVETTE_SIGN_IN_MAX_PER_PAIR;
 *    past it that address may not try that name, even with the right
 *    password, until the oldest failure leaves the window;
 *  - per client address: at most NAVETTE_SIGN_IN_MAX_PER_ADDRESS, over
 *    every name (bodies refused as malformed count too);
 *  - per user name, from every address: the first
 *    NAVETTE_SIGN_IN_FREE_PER_NAME failures cost nothing; after those, each
 *    password check of that name comes at least 1 s after the one before
 *    it, then 2 s, 4 s… (doubling with each failure in the window) up to
 *    NAVETTE_SIGN_IN_MAX_DELAY_USEC. The name is slowed down, never locked:
 *    its user waits at most that long, and not at all from an address she
 *    signed in from in the last NAVETTE_SIGN_IN_TRUST_USEC.
 *
 * Checking and counting are one step under one lock: a password check
 * takes a slot (navette_sign_in_limit_begin()), which counts as a failure
 * until the check ends (navette_sign_in_limit_end()), so attempts made in
 * parallel can never pass a limit together. Thread safe (the HTTP workers
 * share one). Times are monotonic microseconds, given by the caller. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define NAVETTE_SIGN_IN_WINDOW_USEC       (5 * 60 * G_USEC_PER_SEC)
#define NAVETTE_SIGN_IN_MAX_PER_PAIR      5
#define NAVETTE_SIGN_IN_MAX_PER_ADDRESS   20
#define NAVETTE_SIGN_IN_FREE_PER_NAME     5
#define NAVETTE_SIGN_IN_MAX_DELAY_USEC    (60 * G_USEC_PER_SEC)
#define NAVETTE_SIGN_IN_TRUST_USEC        ((gint64) 30 * 24 * 60 * 60 * G_USEC_PER_SEC)

/* How a password check ended. */
typedef enum
{
  NAVETTE_SIGN_IN_FAILED,       /* a wrong password, or an unknown name */
  NAVETTE_SIGN_IN_SUCCEEDED,
  NAVETTE_SIGN_IN_NOT_CHECKED,  /* the check could not be made (the database) */
} NavetteSignInOutcome;

#define NAVETTE_TYPE_SIGN_IN_LIMIT (navette_sign_in_limit_get_type ())
G_DECLARE_FINAL_TYPE (NavetteSignInLimit, navette_sign_in_limit, NAVETTE, SIGN_IN_LIMIT, GObject)

NavetteSignInLimit *navette_sign_in_limit_new         (void);
/* Whether @address may send a sign-in body at all (its own limit only):
 * FALSE with *@retry_after_seconds when it is past it. */
gboolean            navette_sign_in_limit_may_send    (NavetteSignInLimit *self,
                                                       const char         *address,
                                                       gint64              now_usec,
                                                       guint              *retry_after_seconds);
/* A sign-in body of @address was refused as malformed: a failure of the
 * address. */
void                navette_sign_in_limit_refused_body (NavetteSignInLimit *self,
                                                        const char         *address,
                                                        gint64              now_usec);
/* Takes a slot for one password check of @user from @address: FALSE,
 * with *@retry_after_seconds, when a limit refuses it (nothing taken). */
gboolean            navette_sign_in_limit_begin       (NavetteSignInLimit *self,
                                                       const char         *user,
                                                       const char         *address,
                                                       gint64              now_usec,
                                                       guint              *retry_after_seconds);
/* The check of a slot taken by navette_sign_in_limit_begin() ended: a
 * failure of the pair, the address and the name; or the right password
 * (the pair's failures are forgotten and the address becomes one the
 * user signs in from); or no check at all (the slot is given back). */
void                navette_sign_in_limit_end         (NavetteSignInLimit  *self,
                                                       const char          *user,
                                                       const char          *address,
                                                       NavetteSignInOutcome outcome,
                                                       gint64               now_usec);

G_END_DECLS
